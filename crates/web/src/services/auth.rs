//! Signing in and out, and changing one's password: the checks the sign-in page and
//! `POST /api/connexion` share (growing delays per account and client address and per address,
//! never a lock-out of the holder from elsewhere; the same answer and cost for an
//! unknown email as for a wrong password, a deactivated account told only to whoever gave its
//! right password), the server-side sessions, the password change with its audit line.

use crate::AppState;
use crate::error::{AppError, AppResult, FieldError};
use crate::extract::{ClientAddr, CurrentUser};
use crate::security::{
    MIN_PASSWORD_CHARS, dummy_hash, hash_password_blocking, random_token, sha256_hex,
    verify_password_blocking,
};
use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use msp_store::accounts::{self, Account};
use msp_store::throttle::{self, Limit};
use msp_store::{Db, StoreError};

/// A session ends this many hours after sign-in.
pub const SESSION_HOURS: i64 = 8;
/// Failed sign-ins of one account from one client address: 5 heard at once, then a delay of
/// 30 s doubled at every further failure, 15 minutes at most. The holder signing in from
/// another address is never held back by them.
pub const ACCOUNT_FROM_ADDRESS: Limit = Limit {
    free: 5,
    base: 30,
    max: 15 * 60,
    forget_after: 24 * 3600,
};
/// Failed sign-ins from one client address, whatever the accounts (someone trying many
/// e-mails): 20 heard at once, then the same growing delays for that address only.
pub const FROM_ADDRESS: Limit = Limit {
    free: 20,
    base: 30,
    max: 15 * 60,
    forget_after: 24 * 3600,
};
/// Failures heard at once for one account from one address (tests and docs).
pub const MAX_FAILURES: i64 = ACCOUNT_FROM_ADDRESS.free;
/// What the sign-in page says to the holder of a deactivated account.
pub const DEACTIVATED: &str = "Ce compte est désactivé : contactez l’administrateur.";

/// Why a sign-in was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInFailure {
    /// Too many failures for this account from this address, or from this address: heard
    /// again in `seconds`.
    TooManyAttempts { seconds: i64 },
    /// Unknown email or wrong password (the same answer, at the same cost).
    Wrong,
    /// The right password for a deactivated account.
    Deactivated,
}

impl SignInFailure {
    pub fn status(self) -> StatusCode {
        match self {
            SignInFailure::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            SignInFailure::Wrong => StatusCode::UNAUTHORIZED,
            SignInFailure::Deactivated => StatusCode::FORBIDDEN,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            SignInFailure::TooManyAttempts { .. } => "trop_de_tentatives",
            SignInFailure::Wrong => "identifiants_invalides",
            SignInFailure::Deactivated => "compte_desactive",
        }
    }

    pub fn message(self) -> String {
        match self {
            SignInFailure::TooManyAttempts { seconds } => format!(
                "Trop de tentatives de connexion échouées depuis votre adresse réseau. Réessayez dans {}.",
                wait_fr(seconds)
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
            SignInFailure::TooManyAttempts { seconds } => {
                AppError::rejected(f.status(), f.code(), f.message())
                    .retry_after(seconds.unsigned_abs())
            }
            SignInFailure::Wrong => AppError::rejected(f.status(), f.code(), f.message()),
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

/// A wait in French: « 30 secondes », « 1 minute », « 15 minutes » (minutes rounded up).
pub fn wait_fr(seconds: i64) -> String {
    let seconds = seconds.max(1).unsigned_abs();
    if seconds < 60 {
        msp_domain::french::count(seconds, "seconde", "secondes")
    } else {
        msp_domain::french::count(seconds.div_ceil(60), "minute", "minutes")
    }
}

/// The two buckets of a sign-in: this account from this address, and this address. Named by
/// digests: the table holds neither typed e-mails nor addresses.
fn buckets(email: &str, client: &ClientAddr) -> (String, String) {
    (
        sha256_hex(&format!("compte\u{0}{email}\u{0}{}", client.0)),
        sha256_hex(&format!("adresse\u{0}{}", client.0)),
    )
}

/// Seconds before a sign-in of `email` from `client` is heard again (0: now).
fn throttled(db: &mut Db, email: &str, client: &ClientAddr, now: i64) -> Result<i64, StoreError> {
    let (pair, address) = buckets(email, client);
    Ok(throttle::wait(db, &pair, now)?.max(throttle::wait(db, &address, now)?))
}

/// Counts a failed sign-in of `email` from `client`.
fn count_failure(
    db: &mut Db,
    email: &str,
    client: &ClientAddr,
    now: i64,
) -> Result<(), StoreError> {
    let (pair, address) = buckets(email, client);
    throttle::record_failure(db, &pair, now, ACCOUNT_FROM_ADDRESS)?;
    throttle::record_failure(db, &address, now, FROM_ADDRESS)?;
    Ok(())
}

/// Forgets the failures of `email` from `client` (its right password was given), and every
/// bucket quiet for a day. The address's own count stays: signing in to one's own account
/// does not buy more guesses at others.
fn forget_failures(
    db: &mut Db,
    email: &str,
    client: &ClientAddr,
    now: i64,
) -> Result<(), StoreError> {
    let (pair, _) = buckets(email, client);
    throttle::forget(db, &pair, now - ACCOUNT_FROM_ADDRESS.forget_after)
}

/// Checks an email (normalized) and a password given from `client`; a refusal is a
/// [`SignInFailure`] (the caller shows its message). Failures are counted; a bucket under a
/// delay is refused before the password is even checked.
pub async fn check_credentials(
    state: &AppState,
    email: &str,
    password: String,
    client: &ClientAddr,
) -> AppResult<Result<Account, SignInFailure>> {
    let now = Timestamp::now().as_second();
    let (key, from) = (email.to_owned(), client.clone());
    let (wait, account) = state
        .db(move |db| {
            let wait = throttled(db, &key, &from, now)?;
            Ok((wait, accounts::find_for_login(db, &key)?))
        })
        .await?;
    if wait > 0 {
        return Ok(Err(SignInFailure::TooManyAttempts { seconds: wait }));
    }
    let hash = account
        .as_ref()
        .map_or_else(|| dummy_hash().to_owned(), |(_, h)| h.clone());
    let ok =
        tokio::task::spawn_blocking(move || verify_password_blocking(&password, &hash)).await?;
    let (key, from) = (email.to_owned(), client.clone());
    let Some((account, _)) = account.filter(|_| ok) else {
        state
            .db(move |db| count_failure(db, &key, &from, now))
            .await?;
        return Ok(Err(SignInFailure::Wrong));
    };
    state
        .db(move |db| forget_failures(db, &key, &from, now))
        .await?;
    if !account.active {
        return Ok(Err(SignInFailure::Deactivated));
    }
    Ok(Ok(account))
}

/// Opens a session for an account whose credentials were just checked; returns the token for
/// the session cookie.
pub async fn open_session(state: &AppState, account: &Account) -> AppResult<String> {
    let now = Timestamp::now();
    let token = random_token();
    let csrf = random_token();
    let token_hash = sha256_hex(&token);
    let expires = now
        .checked_add(SignedDuration::from_hours(SESSION_HOURS))
        .unwrap_or(now);
    let id = account.id;
    state
        .db(move |db| accounts::create_session(db, &token_hash, id, &csrf, now, expires))
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
    client: &ClientAddr,
) -> AppResult<SignedIn> {
    let email = accounts::normalize_email(&credentials.email);
    let account = check_credentials(state, &email, credentials.password, client).await??;
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
    client: &ClientAddr,
) -> AppResult<PasswordChanged> {
    let now = Timestamp::now().as_second();
    let (id, email) = (user.account.id, user.account.email.clone());
    let (key, from) = (email.clone(), client.clone());
    let (wait, hash) = state
        .db(move |db| {
            Ok((
                throttled(db, &key, &from, now)?,
                accounts::password_hash(db, id)?.unwrap_or_default(),
            ))
        })
        .await?;
    if wait > 0 {
        let message = format!(
            "Mot de passe actuel : trop de tentatives échouées depuis votre adresse réseau. Réessayez dans {}.",
            wait_fr(wait)
        );
        return Err(AppError::rejected(
            StatusCode::TOO_MANY_REQUESTS,
            "trop_de_tentatives",
            message,
        )
        .field("actuel")
        .retry_after(wait.unsigned_abs()));
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
            let (key, from) = (email.clone(), client.clone());
            state
                .db(move |db| count_failure(db, &key, &from, now))
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
    let from = client.clone();
    let actor = user.actor();
    let keep = user.session_hash().to_owned();
    let closed = state
        .db(move |db| {
            db.transaction(|db| {
                accounts::set_password(db, id, &hash, false)?;
                let closed = accounts::close_sessions(db, id, Some(&keep))?;
                forget_failures(db, &email, &from, now)?;
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
            SignInFailure::TooManyAttempts { seconds: 90 },
            SignInFailure::Wrong,
            SignInFailure::Deactivated,
        ] {
            let e = AppError::from(f);
            assert_eq!(e.status(), f.status());
            assert_eq!(e.problem().code, f.code());
        }
    }
}
