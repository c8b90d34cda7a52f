//! Signing in and out, and changing one's password: the checks the sign-in page and
//! `POST /api/connexion` share (lockout after repeated failures, the same answer and cost for an
//! unknown email as for a wrong password, a deactivated account told only to whoever gave its
//! right password), the server-side sessions, the password change with its audit line.

use crate::AppState;
use crate::error::{AppError, AppResult, FieldError};
use crate::extract::CurrentUser;
use crate::security::{
    MIN_PASSWORD_CHARS, dummy_hash, hash_password_blocking, random_token, sha256_hex,
    verify_password_blocking,
};
use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use msp_store::accounts::{self, Account};
use msp_store::{Db, StoreError};

/// A session ends this many hours after sign-in.
pub const SESSION_HOURS: i64 = 8;
/// Failed sign-ins of an email within [`FAILURE_WINDOW_MINUTES`] that lock it.
pub const MAX_FAILURES: i64 = 5;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;
/// What the sign-in page says to the holder of a deactivated account.
pub const DEACTIVATED: &str = "Ce compte est désactivé : contactez l’administrateur.";

/// Why a sign-in was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInFailure {
    /// Too many failures for this email in the window: locked for a while.
    TooManyAttempts,
    /// Unknown email or wrong password (the same answer, at the same cost).
    Wrong,
    /// The right password for a deactivated account.
    Deactivated,
}

impl SignInFailure {
    pub fn status(self) -> StatusCode {
        match self {
            SignInFailure::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            SignInFailure::Wrong => StatusCode::UNAUTHORIZED,
            SignInFailure::Deactivated => StatusCode::FORBIDDEN,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            SignInFailure::TooManyAttempts => "trop_de_tentatives",
            SignInFailure::Wrong => "identifiants_invalides",
            SignInFailure::Deactivated => "compte_desactive",
        }
    }

    pub fn message(self) -> String {
        match self {
            SignInFailure::TooManyAttempts => format!(
                "Trop de tentatives de connexion échouées pour ce compte. Réessayez dans {FAILURE_WINDOW_MINUTES} minutes."
            ),
            SignInFailure::Wrong => "Adresse électronique ou mot de passe incorrect.".into(),
            SignInFailure::Deactivated => DEACTIVATED.into(),
        }
    }
}

impl From<SignInFailure> for AppError {
    fn from(f: SignInFailure) -> AppError {
        match f {
            SignInFailure::Deactivated => AppError::forbidden(f.code(), f.message()),
            _ => AppError::rejected(f.status(), f.code(), f.message()),
        }
    }
}

/// Credentials as typed.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// Where the credentials come from: the API refuses a temporary password (nothing else would
/// work with that session), the sign-in page opens a session that reaches the password page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Page,
    Api,
}

/// A session just opened.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub account: Account,
    /// The session token, for the cookie (the store keeps only its SHA-256).
    pub token: String,
}

fn minutes_ago(now: Timestamp, minutes: i64) -> Timestamp {
    now.checked_sub(SignedDuration::from_mins(minutes))
        .unwrap_or(now)
}

/// Checks an email (normalized) and a password; a refusal is a [`SignInFailure`] (the caller
/// shows its message). Failures are recorded.
pub async fn check_credentials(
    state: &AppState,
    email: &str,
    password: String,
) -> AppResult<Result<Account, SignInFailure>> {
    let now = Timestamp::now();
    let window_start = minutes_ago(now, FAILURE_WINDOW_MINUTES);
    let key = email.to_owned();
    let (failures, account) = state
        .db(move |db| {
            let failures = accounts::login_failures_since(db, &key, window_start)?;
            Ok((failures, accounts::find_for_login(db, &key)?))
        })
        .await?;
    if failures >= MAX_FAILURES {
        return Ok(Err(SignInFailure::TooManyAttempts));
    }
    let hash = account
        .as_ref()
        .map_or_else(|| dummy_hash().to_owned(), |(_, h)| h.clone());
    let ok =
        tokio::task::spawn_blocking(move || verify_password_blocking(&password, &hash)).await?;
    let Some((account, _)) = account.filter(|_| ok) else {
        let key = email.to_owned();
        state
            .db(move |db| accounts::record_login_failure(db, &key, now))
            .await?;
        return Ok(Err(SignInFailure::Wrong));
    };
    if !account.active {
        return Ok(Err(SignInFailure::Deactivated));
    }
    Ok(Ok(account))
}

/// Opens a session for an account whose credentials were just checked (and forgets the
/// email's recent failures); returns the token for the session cookie.
pub async fn open_session(state: &AppState, account: &Account) -> AppResult<String> {
    let now = Timestamp::now();
    let token = random_token();
    let csrf = random_token();
    let token_hash = sha256_hex(&token);
    let expires = now
        .checked_add(SignedDuration::from_hours(SESSION_HOURS))
        .unwrap_or(now);
    let day_ago = minutes_ago(now, 24 * 60);
    let (id, email) = (account.id, account.email.clone());
    state
        .db(move |db| {
            accounts::clear_login_failures(db, &email, day_ago)?;
            accounts::create_session(db, &token_hash, id, &csrf, now, expires)
        })
        .await?;
    Ok(token)
}

/// Signs in: the credentials checked, then a session opened. Refusals are errors with the
/// status and code of their [`SignInFailure`]; through the API, a temporary password is a 403
/// `mot_de_passe_a_changer` and opens no session.
pub async fn sign_in(
    state: &AppState,
    credentials: Credentials,
    channel: Channel,
) -> AppResult<SignedIn> {
    let email = accounts::normalize_email(&credentials.email);
    let account = check_credentials(state, &email, credentials.password).await??;
    if channel == Channel::Api && account.must_change_password {
        return Err(AppError::forbidden(
            "mot_de_passe_a_changer",
            "Mot de passe provisoire : choisissez-en un nouveau dans l’espace (/espace/mot-de-passe) avant d’utiliser l’API.",
        ));
    }
    let token = open_session(state, &account).await?;
    Ok(SignedIn { account, token })
}

/// Ends the session of `user`.
pub async fn sign_out(state: &AppState, user: &CurrentUser) -> AppResult<()> {
    let key = user.session_hash().to_owned();
    state.db(move |db| accounts::delete_session(db, &key)).await
}

/// The password form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PasswordChange {
    pub actuel: String,
    pub nouveau: String,
    pub confirmation: String,
}

/// What a password change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordChanged {
    /// The account's other sessions, now closed.
    pub closed_sessions: u64,
}

/// The rules of a new password, every error at once (the current one is checked apart).
pub fn new_password_errors(change: &PasswordChange) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let field = |champ: &str, detail: String| FieldError {
        champ: champ.to_owned(),
        detail,
    };
    if change.nouveau.chars().count() < MIN_PASSWORD_CHARS {
        errors.push(field(
            "nouveau",
            format!("Nouveau mot de passe : {MIN_PASSWORD_CHARS} caractères au moins."),
        ));
    } else if change.nouveau == change.actuel {
        errors.push(field(
            "nouveau",
            "Nouveau mot de passe : il doit être différent du mot de passe actuel.".into(),
        ));
    }
    if change.confirmation != change.nouveau {
        errors.push(field(
            "confirmation",
            "Confirmation : elle ne correspond pas au nouveau mot de passe.".into(),
        ));
    }
    errors
}

/// Changes the password of `user`: the current one checked (a wrong one counts as a failed
/// sign-in), the new one and its confirmation; then the new hash stored, the reset flag
/// cleared, every other session closed and the audit line written, in one transaction.
/// Refusals: 429 (`trop_de_tentatives`) or 422 (`mot_de_passe_invalide`) with every field at
/// fault.
pub async fn change_password(
    state: &AppState,
    user: &CurrentUser,
    change: PasswordChange,
) -> AppResult<PasswordChanged> {
    let now = Timestamp::now();
    let window_start = minutes_ago(now, FAILURE_WINDOW_MINUTES);
    let (id, email) = (user.account.id, user.account.email.clone());
    let key = email.clone();
    let (failures, hash) = state
        .db(move |db| {
            Ok((
                accounts::login_failures_since(db, &key, window_start)?,
                accounts::password_hash(db, id)?.unwrap_or_default(),
            ))
        })
        .await?;
    if failures >= MAX_FAILURES {
        let message = format!(
            "Mot de passe actuel : trop de tentatives échouées pour ce compte. Réessayez dans {FAILURE_WINDOW_MINUTES} minutes."
        );
        return Err(AppError::rejected(
            StatusCode::TOO_MANY_REQUESTS,
            "trop_de_tentatives",
            message,
        )
        .field("actuel"));
    }
    let mut errors = Vec::new();
    if change.actuel.is_empty() {
        errors.push(FieldError {
            champ: "actuel".into(),
            detail: "Mot de passe actuel : obligatoire.".into(),
        });
    } else {
        let typed = change.actuel.clone();
        let right =
            tokio::task::spawn_blocking(move || verify_password_blocking(&typed, &hash)).await?;
        if !right {
            let key = email.clone();
            state
                .db(move |db| accounts::record_login_failure(db, &key, now))
                .await?;
            errors.push(FieldError {
                champ: "actuel".into(),
                detail: "Mot de passe actuel : incorrect.".into(),
            });
        }
    }
    errors.extend(new_password_errors(&change));
    if !errors.is_empty() {
        return Err(AppError::invalid(
            "mot_de_passe_invalide",
            "Le mot de passe n’a pas été changé.",
        )
        .fields(errors));
    }
    let hash = hash_password(change.nouveau).await?;
    let day_ago = minutes_ago(now, 24 * 60);
    let actor = user.actor();
    let keep = user.session_hash().to_owned();
    let closed = state
        .db(move |db| {
            db.transaction(|db| {
                accounts::set_password(db, id, &hash, false)?;
                let closed = accounts::close_sessions(db, id, Some(&keep))?;
                accounts::clear_login_failures(db, &email, day_ago)?;
                super::audit::record_as(
                    db,
                    &actor,
                    "modification",
                    "compte",
                    &id.to_string(),
                    &format!(
                        "mot de passe changé par son titulaire ; autres sessions fermées : {closed}"
                    ),
                )?;
                Ok(closed)
            })
        })
        .await?;
    Ok(PasswordChanged {
        closed_sessions: closed,
    })
}

/// The Argon2id hash of a password, on the blocking pool.
pub async fn hash_password(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await?
        .map_err(AppError::internal)
}

/// Opens a session for an account without a password (tests and tools); returns the cookie
/// value and the CSRF token.
pub fn open_session_blocking(db: &mut Db, account_id: i64) -> Result<(String, String), StoreError> {
    let token = random_token();
    let csrf = random_token();
    let now = Timestamp::now();
    let expires = now
        .checked_add(SignedDuration::from_hours(SESSION_HOURS))
        .unwrap_or(now);
    accounts::create_session(db, &sha256_hex(&token), account_id, &csrf, now, expires)?;
    Ok((token, csrf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(actuel: &str, nouveau: &str, confirmation: &str) -> PasswordChange {
        PasswordChange {
            actuel: actuel.into(),
            nouveau: nouveau.into(),
            confirmation: confirmation.into(),
        }
    }

    #[test]
    fn every_new_password_error_at_once() {
        let champs = |c: &PasswordChange| -> Vec<String> {
            new_password_errors(c)
                .into_iter()
                .map(|e| e.champ)
                .collect()
        };
        assert!(
            champs(&change(
                "ancien mot de passe",
                "un nouveau bien long",
                "un nouveau bien long"
            ))
            .is_empty()
        );
        assert_eq!(
            champs(&change("x", "court", "autre")),
            ["nouveau", "confirmation"]
        );
        assert_eq!(
            champs(&change(
                "le même mot de passe",
                "le même mot de passe",
                "le même mot de passe"
            )),
            ["nouveau"]
        );
        assert_eq!(
            new_password_errors(&change("x", "court", "court"))[0].detail,
            "Nouveau mot de passe : 12 caractères au moins."
        );
    }

    #[test]
    fn failures_become_errors_with_their_status() {
        for f in [
            SignInFailure::TooManyAttempts,
            SignInFailure::Wrong,
            SignInFailure::Deactivated,
        ] {
            let e = AppError::from(f);
            assert_eq!(e.status(), f.status());
            assert_eq!(e.problem().code, f.code());
        }
    }
}
