//! Sign-in, server-side sessions, CSRF protection and role checks.
//!
//! - Passwords: Argon2id (the `argon2` crate's defaults), hashed and verified inside
//!   `spawn_blocking`; an unknown email costs the same as a wrong password.
//! - Sessions: a random 256-bit token in the `msp_session` cookie (`HttpOnly`, `SameSite=Lax`,
//!   `Path=/`, `Secure` when the request came over HTTPS); the store keeps only its SHA-256,
//!   with the account, a per-session CSRF token and an absolute expiry ([`SESSION_HOURS`]).
//! - CSRF: every form carries `_csrf`; every POST compares it with the session's token. The
//!   sign-in form, which has no session yet, uses a double-submit cookie (`msp_csrf`).
//! - Rate limiting: [`MAX_FAILURES`] failed sign-ins for an email within [`FAILURE_WINDOW_MINUTES`]
//!   lock it until the window has passed; the failures are kept in the store, so every server
//!   process sees them. A wrong current password on the password page counts as one.
//! - Lifecycle: a deactivated account's sessions stop working and its sign-in is refused (the
//!   reason is told only to whoever gives the right password); an account whose password an
//!   admin reset reaches [`PASSWORD_PAGE`] (and `/deconnexion`) only, until it chooses a new one.

// Handlers refuse with a ready French page; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use crate::AppState;
use crate::error::AppError;
use crate::pages::space::layout;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::{SignedDuration, Timestamp};
use maud::html;
use msp_domain::Role;
use msp_store::accounts;
use msp_store::{Db, StoreError};
use std::collections::HashMap;

pub const LOGIN_CSRF_COOKIE: &str = "msp_csrf";
/// A session ends this many hours after sign-in.
pub const SESSION_HOURS: i64 = 8;
pub const MAX_FAILURES: i64 = 5;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;
/// Where a signed-in person changes their password.
pub const PASSWORD_PAGE: &str = "/espace/mot-de-passe";
/// What the sign-in page says to the holder of a deactivated account.
pub const DEACTIVATED: &str = "Ce compte est désactivé : contactez l’administrateur.";

pub use crate::security::*;

pub async fn hash_password(password: String) -> Result<String, Response> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await
        .map_err(|e| internal(&e))?
        .map_err(|e| internal(&e))
}

pub use crate::extract::{CurrentUser, MaybeUser, SESSION_COOKIE, cookie, is_https, set_cookie};

/// An unexpected failure, as a response (logged by the error middleware).
pub fn internal(cause: &dyn std::fmt::Display) -> Response {
    AppError::internal(cause).into_response()
}

/// Runs store work on the blocking pool; store refusals become French pages.
pub async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut Db) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Response> {
    state.db(f).await.map_err(IntoResponse::into_response)
}

impl CurrentUser {
    /// Refuses (403) unless the account has one of these roles.
    pub fn require(&self, roles: &[Role]) -> Result<(), Response> {
        if roles.contains(&self.account.role) {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "acces_refuse",
                format!(
                    "Cette page n’est pas accessible avec un compte « {} ».",
                    self.account.role.label_fr()
                ),
            )
            .into_response())
        }
    }

    /// [`CurrentUser::check_csrf`] on a parsed form.
    pub fn check_form(&self, form: &HashMap<String, String>) -> Result<(), Response> {
        self.check_csrf(form.get("_csrf").map(String::as_str))
            .map_err(IntoResponse::into_response)
    }
}

pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => {
            let mut out: String = f.to_uppercase().collect();
            out.push_str(c.as_str());
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}

pub fn csrf_refusal(_user: Option<&CurrentUser>) -> Response {
    crate::extract::csrf_refused().into_response()
}

/// `GET /connexion`.
pub async fn login_page(
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if user.is_some() {
        return Redirect::to("/espace").into_response();
    }
    let token = cookie(&headers, LOGIN_CSRF_COOKIE)
        .filter(|t| t.len() == 64)
        .unwrap_or_else(random_token);
    let notice = q
        .contains_key("expiree")
        .then_some("Votre session a expiré. Reconnectez-vous pour continuer.");
    let mut res = login_form(StatusCode::OK, &token, notice, None, "");
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, &token, 3600, is_https(&headers)),
    );
    res
}

fn login_form(
    status: StatusCode,
    token: &str,
    notice: Option<&str>,
    error: Option<&str>,
    email: &str,
) -> Response {
    let body = html! {
        h1 { "Se connecter" }
        @if let Some(n) = notice { div class="alert" role="status" { p { (n) } } }
        @if let Some(e) = error { div class="alert" role="alert" { p { (e) } } }
        form method="post" action="/connexion" class="search" {
            input type="hidden" name="_csrf" value=(token);
            div class="field" {
                label for="email" { "Adresse électronique" }
                input id="email" name="email" type="email" autocomplete="username" required value=(email);
            }
            div class="field" {
                label for="password" { "Mot de passe" }
                input id="password" name="password" type="password" autocomplete="current-password" required;
            }
            div class="actions" { button type="submit" class="button" { "Se connecter" } }
        }
        p class="hint" { "Les comptes sont créés par un administrateur du dispositif." }
    };
    (status, layout(None, "Se connecter", body)).into_response()
}

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

/// Checks an email and a password: the lockout after repeated failures, the same cost for an
/// unknown email as for a wrong password, failures recorded, and a deactivated account told
/// only to whoever gave its right password. Shared by the sign-in page and the JSON API.
pub async fn check_credentials(
    state: &AppState,
    email: &str,
    password: String,
) -> Result<Result<accounts::Account, SignInFailure>, Response> {
    let now = Timestamp::now();
    let window_start = now
        .checked_sub(SignedDuration::from_mins(FAILURE_WINDOW_MINUTES))
        .unwrap_or(now);
    let key = email.to_owned();
    let (failures, account) = blocking(state, move |db| {
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
    let ok = tokio::task::spawn_blocking(move || verify_password_blocking(&password, &hash))
        .await
        .unwrap_or(false);
    let Some((account, _)) = account.filter(|_| ok) else {
        let key = email.to_owned();
        blocking(state, move |db| {
            accounts::record_login_failure(db, &key, now)
        })
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
pub async fn open_session(
    state: &AppState,
    account: &accounts::Account,
    email: &str,
) -> Result<String, Response> {
    let now = Timestamp::now();
    let token = random_token();
    let csrf = random_token();
    let token_hash = sha256_hex(&token);
    let expires = now
        .checked_add(SignedDuration::from_hours(SESSION_HOURS))
        .unwrap_or(now);
    let day_ago = now
        .checked_sub(SignedDuration::from_hours(24))
        .unwrap_or(now);
    let (id, email) = (account.id, email.to_owned());
    blocking(state, move |db| {
        accounts::clear_login_failures(db, &email, day_ago)?;
        accounts::create_session(db, &token_hash, id, &csrf, now, expires)
    })
    .await?;
    Ok(token)
}

/// The `Set-Cookie` value of a session opened over `headers`' connection.
pub fn session_cookie(headers: &HeaderMap, token: &str) -> HeaderValue {
    set_cookie(
        SESSION_COOKIE,
        token,
        SESSION_HOURS * 3600,
        is_https(headers),
    )
}

/// The `Set-Cookie` value that ends the session cookie.
pub fn session_cookie_cleared(headers: &HeaderMap) -> HeaderValue {
    set_cookie(SESSION_COOKIE, "", 0, is_https(headers))
}

/// `POST /connexion`.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let sent = form.get("_csrf").map(String::as_str).unwrap_or("");
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(sent, &expected) {
        return csrf_refusal(None);
    }
    let email = accounts::normalize_email(form.get("email").map(String::as_str).unwrap_or(""));
    let password = form.get("password").cloned().unwrap_or_default();
    let account = match check_credentials(&state, &email, password).await {
        Err(r) => return r,
        Ok(Ok(account)) => account,
        Ok(Err(failure)) => {
            return login_form(
                failure.status(),
                &expected,
                None,
                Some(&failure.message()),
                &email,
            );
        }
    };
    let token = match open_session(&state, &account, &email).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let mut res = Redirect::to(if account.must_change_password {
        PASSWORD_PAGE
    } else {
        "/espace"
    })
    .into_response();
    let secure = is_https(&headers);
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &token, SESSION_HOURS * 3600, secure),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, "", 0, secure),
    );
    res
}

/// `POST /deconnexion`.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = user.check_form(&form) {
        return r;
    }
    let key = user.token_hash.clone();
    if let Err(r) = blocking(&state, move |db| accounts::delete_session(db, &key)).await {
        return r;
    }
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, is_https(&headers)),
    );
    res
}

/// The fields of the password form: (name and id, label, autocomplete).
const PASSWORD_FIELDS: [(&str, &str, &str); 3] = [
    ("actuel", "Mot de passe actuel", "current-password"),
    ("nouveau", "Nouveau mot de passe", "new-password"),
    (
        "confirmation",
        "Confirmation du nouveau mot de passe",
        "new-password",
    ),
];

/// The password form; `errors` are (field, French message naming it), `done` a confirmation.
fn password_view(
    user: &CurrentUser,
    status: StatusCode,
    errors: &[(&str, String)],
    done: Option<&str>,
) -> Response {
    let forced = user.account.must_change_password && done.is_none();
    let body = html! {
        h1 { "Changer mon mot de passe" }
        @if let Some(d) = done {
            div class="alert" role="status" { p { (d) } }
            p { a href="/espace" { "Retour à mon espace" } }
        } @else {
            @if forced {
                div class="alert" role="status" {
                    p { "Votre mot de passe a été réinitialisé par un administrateur. Choisissez un nouveau mot de passe pour accéder à votre espace." }
                }
            }
            @if !errors.is_empty() {
                div class="alert" role="alert" {
                    p { "Le mot de passe n’a pas été changé :" }
                    ul {
                        @for (field, message) in errors {
                            li { a href=(format!("#{field}")) { (message) } }
                        }
                    }
                }
            }
            form method="post" action=(PASSWORD_PAGE) class="search" {
                input type="hidden" name="_csrf" value=(user.csrf);
                @for (name, label, autocomplete) in PASSWORD_FIELDS {
                    @let error = errors.iter().find(|(f, _)| *f == name).map(|(_, m)| m);
                    @let hint = (name == "nouveau").then(|| format!("{name}-aide"));
                    @let error_id = error.map(|_| format!("{name}-erreur"));
                    @let described = [hint.clone(), error_id.clone()].into_iter().flatten().collect::<Vec<_>>().join(" ");
                    div class="field" {
                        label for=(name) { (label) }
                        @if hint.is_some() {
                            p id=(format!("{name}-aide")) class="hint" {
                                (MIN_PASSWORD_CHARS) " caractères au moins, différent du mot de passe actuel."
                            }
                        }
                        @if let (Some(id), Some(m)) = (&error_id, error) {
                            p id=(id) class="hint" { strong { (m) } }
                        }
                        input id=(name) name=(name) type="password" autocomplete=(autocomplete) required
                            aria-invalid=[error.map(|_| "true")]
                            aria-describedby=[(!described.is_empty()).then_some(described.as_str())];
                    }
                }
                div class="actions" { button type="submit" class="button" { "Changer le mot de passe" } }
            }
        }
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        layout(Some(user), "Changer mon mot de passe", body),
    )
        .into_response()
}

/// `GET /espace/mot-de-passe`: any signed-in account.
pub async fn password_page(user: CurrentUser) -> Response {
    password_view(&user, StatusCode::OK, &[], None)
}

/// `POST /espace/mot-de-passe`: checks the current password (a wrong one counts as a failed
/// sign-in), the new one and its confirmation; then stores the new hash, clears the reset flag,
/// closes every other session of the account and writes the audit line, in one transaction.
pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = user.check_form(&form) {
        return r;
    }
    let f = |k: &str| form.get(k).cloned().unwrap_or_default();
    let (current, new, confirmation) = (f("actuel"), f("nouveau"), f("confirmation"));
    let now = Timestamp::now();
    let window_start = now
        .checked_sub(SignedDuration::from_mins(FAILURE_WINDOW_MINUTES))
        .unwrap_or(now);
    let (id, email) = (user.account.id, user.account.email.clone());
    let key = email.clone();
    let (failures, hash) = match blocking(&state, move |db| {
        Ok((
            accounts::login_failures_since(db, &key, window_start)?,
            accounts::password_hash(db, id)?.unwrap_or_default(),
        ))
    })
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    if failures >= MAX_FAILURES {
        return password_view(
            &user,
            StatusCode::TOO_MANY_REQUESTS,
            &[(
                "actuel",
                format!(
                    "Mot de passe actuel : trop de tentatives échouées pour ce compte. Réessayez dans {FAILURE_WINDOW_MINUTES} minutes."
                ),
            )],
            None,
        );
    }
    let mut errors: Vec<(&str, String)> = Vec::new();
    let typed = current.clone();
    let right = !current.is_empty()
        && tokio::task::spawn_blocking(move || verify_password_blocking(&typed, &hash))
            .await
            .unwrap_or(false);
    if current.is_empty() {
        errors.push(("actuel", "Mot de passe actuel : obligatoire.".into()));
    } else if !right {
        let key = email.clone();
        if let Err(r) = blocking(&state, move |db| {
            accounts::record_login_failure(db, &key, now)
        })
        .await
        {
            return r;
        }
        errors.push(("actuel", "Mot de passe actuel : incorrect.".into()));
    }
    if new.chars().count() < MIN_PASSWORD_CHARS {
        errors.push((
            "nouveau",
            format!("Nouveau mot de passe : {MIN_PASSWORD_CHARS} caractères au moins."),
        ));
    } else if new == current {
        errors.push((
            "nouveau",
            "Nouveau mot de passe : il doit être différent du mot de passe actuel.".into(),
        ));
    }
    if confirmation != new {
        errors.push((
            "confirmation",
            "Confirmation : elle ne correspond pas au nouveau mot de passe.".into(),
        ));
    }
    if !errors.is_empty() {
        return password_view(&user, StatusCode::UNPROCESSABLE_ENTITY, &errors, None);
    }
    let hash = match hash_password(new).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let day_ago = now
        .checked_sub(SignedDuration::from_hours(24))
        .unwrap_or(now);
    let u = user.clone();
    let closed = blocking(&state, move |db| {
        db.transaction(|db| {
            accounts::set_password(db, id, &hash, false)?;
            let closed = accounts::close_sessions(db, id, Some(u.session_hash()))?;
            accounts::clear_login_failures(db, &email, day_ago)?;
            crate::pages::space::audit_blocking(
                db,
                &u,
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
    .await;
    match closed {
        Ok(closed) => password_view(
            &user,
            StatusCode::OK,
            &[],
            Some(&if closed == 0 {
                "Votre mot de passe a été changé.".to_owned()
            } else {
                format!(
                    "Votre mot de passe a été changé. Vos autres sessions ouvertes ({closed}) ont été fermées."
                )
            }),
        ),
        Err(r) => r,
    }
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
