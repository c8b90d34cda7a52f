//! Sign-in page, sign-out and the password page; the checks themselves are in
//! [`crate::services::auth`].
//!
//! - Passwords: Argon2id (the `argon2` crate's defaults), hashed and verified on the blocking
//!   pool; an unknown email costs the same as a wrong password.
//! - Sessions: a random 256-bit token in the `msp_session` cookie (`HttpOnly`, `SameSite=Lax`,
//!   `Path=/`, `Secure` when the request came over HTTPS); the store keeps only its SHA-256,
//!   with the account, a per-session CSRF token and an absolute expiry ([`SESSION_HOURS`]).
//! - CSRF: every form carries `_csrf`, checked by [`crate::extract::CsrfForm`]. The sign-in
//!   form, which has no session yet, uses a double-submit cookie (`msp_csrf`).
//! - Rate limiting without lock-out: failed sign-ins are counted per (account, client address)
//!   and per client address, with growing delays ([`crate::services::auth::ACCOUNT_FROM_ADDRESS`],
//!   [`crate::services::auth::FROM_ADDRESS`]); a refusal is a 429 with `Retry-After`. The
//!   counters are in the store, so every server process sees them. A wrong current password on
//!   the password page counts as one.
//! - Lifecycle: a deactivated account's sessions stop working and its sign-in is refused (the
//!   reason is told only to whoever gives the right password); an account whose password an
//!   admin reset reaches [`PASSWORD_PAGE`] (and `/deconnexion`) only, until it chooses a new one.

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{ClientAddr, CsrfForm, csrf_refused};
use crate::paths;
use crate::services::auth::{
    self as service, Channel, Credentials, PasswordChange, PasswordChanged,
};
use crate::views::{Field, Frame, Notice, field_error, form_errors, layout, notice};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::collections::HashMap;

pub const LOGIN_CSRF_COOKIE: &str = "msp_csrf";
/// Where a signed-in person changes their password.
pub const PASSWORD_PAGE: &str = paths::PASSWORD;

pub use crate::extract::{CurrentUser, MaybeUser, SESSION_COOKIE, cookie, is_https, set_cookie};
pub use crate::security::*;
pub use crate::services::auth::{
    DEACTIVATED, MAX_FAILURES, SESSION_HOURS, SignInFailure, check_credentials, open_session,
    open_session_blocking,
};

/// The fields at fault of a refusal that a form shows again (a 4xx naming fields), as
/// `(field id, message)`; `None` for the refusals shown as an error page.
pub(crate) fn form_refusal(e: &AppError) -> Option<Vec<(String, String)>> {
    match e {
        AppError::Rejected(p) | AppError::Conflict(p) if !p.fields.is_empty() => Some(
            p.fields
                .iter()
                .map(|f| (f.champ.clone(), f.detail.clone()))
                .collect(),
        ),
        _ => None,
    }
}

/// [`form_refusal`]'s list as the views take it.
pub(crate) fn as_fields(errors: &[(String, String)]) -> Vec<Field<'_>> {
    errors
        .iter()
        .map(|(id, m)| (id.as_str(), m.clone()))
        .collect()
}

/// `aria-describedby` of a field: its hint and its error, when there are.
pub(crate) fn described_by(errors: &[Field<'_>], id: &str, hint: Option<&str>) -> Option<String> {
    let error = errors
        .iter()
        .any(|(f, _)| *f == id)
        .then(|| format!("{id}-erreur"));
    let ids: Vec<String> = hint.map(str::to_owned).into_iter().chain(error).collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// `aria-invalid` of a field.
pub(crate) fn invalid(errors: &[Field<'_>], id: &str) -> Option<&'static str> {
    errors.iter().any(|(f, _)| *f == id).then_some("true")
}

// Shims for the areas not yet converted, in their own module (the lead removes them).

// ---- Sign-in. ----

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

/// The sign-in buttons of the configured providers, for the sign-in page.
pub fn provider_buttons(state: &AppState) -> Markup {
    let providers = &state.options().oidc;
    html! {
        @if !providers.is_empty() {
            h2 { "Avec un fournisseur d’identité" }
            ul class="actions" {
                @for p in providers {
                    li { a class="button" href=(paths::oidc_start(&p.name)) { "Se connecter avec " (p.label) } }
                }
            }
            p class="hint" { "Psychologues, médecins et sages-femmes : carte CPS ou application e-CPS. Patients : FranceConnect." }
            h2 { "Avec un mot de passe" }
        }
    }
}

/// The sign-in page: `notice` above the form, `email` as typed.
fn login_view(
    state: &AppState,
    token: &str,
    message: Option<(Notice, &str)>,
    email: &str,
) -> Markup {
    let body = html! {
        h1 { "Se connecter" }
        @if let Some((kind, m)) = message { (notice(kind, html! { p { (m) } })) }
        (provider_buttons(state))
        form method="post" action=(paths::SIGN_IN) class="search" {
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
        p class="hint" { "Les comptes à mot de passe sont créés par un administrateur du dispositif." }
    };
    layout(&Frame::new(None, "Se connecter"), body)
}

/// `GET /connexion`.
pub async fn login_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if user.is_some() {
        return Redirect::to(paths::SPACE).into_response();
    }
    let token = cookie(&headers, LOGIN_CSRF_COOKIE)
        .filter(|t| t.len() == 64)
        .unwrap_or_else(random_token);
    let expired = q.contains_key("expiree").then_some((
        Notice::Info,
        "Votre session a expiré. Reconnectez-vous pour continuer.",
    ));
    let mut res = login_view(&state, &token, expired, "").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, &token, 3600, is_https(&headers)),
    );
    res
}

/// The sign-in form.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct SignInForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    email: String,
    password: String,
}

/// The `Retry-After` of a refusal that says when to try again, on a page drawn by the handler.
fn with_retry_after(e: &AppError, mut res: Response) -> Response {
    if let Some(seconds) = e.problem().retry_after {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds.get()));
    }
    res
}

/// `POST /connexion`: the form's token must match the double-submit cookie.
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let form: SignInForm = serde_urlencoded::from_bytes(&body)
        .map_err(|_| AppError::invalid("formulaire_illisible", "Formulaire illisible."))?;
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(&form.csrf, &expected) {
        return Err(csrf_refused());
    }
    let email = msp_store::accounts::normalize_email(&form.email);
    let credentials = Credentials {
        email: email.clone(),
        password: form.password,
    };
    let signed_in = match service::sign_in(&state, credentials, Channel::Page, &client).await {
        Ok(s) => s,
        Err(e @ (AppError::Rejected(_) | AppError::Forbidden(_))) => {
            let message = e.problem().message;
            let page = login_view(&state, &expected, Some((Notice::Error, &message)), &email);
            return Ok(with_retry_after(&e, (e.status(), page).into_response()));
        }
        Err(e) => return Err(e),
    };
    let mut res = Redirect::to(if signed_in.account.must_change_password {
        PASSWORD_PAGE
    } else {
        paths::SPACE
    })
    .into_response();
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        session_cookie(&headers, &signed_in.token),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, "", 0, is_https(&headers)),
    );
    Ok(res)
}

/// `POST /deconnexion`.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    CsrfForm(_): CsrfForm<HashMap<String, String>>,
) -> AppResult<Response> {
    service::sign_out(&state, &user).await?;
    let mut res = Redirect::to("/").into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, session_cookie_cleared(&headers));
    Ok(res)
}

// ---- The password page. ----

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

/// The password form with every error at once, or the confirmation of the change.
fn password_view(
    user: &CurrentUser,
    errors: &[Field<'_>],
    done: Option<PasswordChanged>,
) -> Markup {
    let forced = user.account.must_change_password && done.is_none();
    let body = html! {
        h1 { "Changer mon mot de passe" }
        @if let Some(done) = done {
            (notice(Notice::Success, html! {
                p {
                    "Votre mot de passe a été changé."
                    @if done.closed_sessions > 0 {
                        " Vos autres sessions ouvertes (" (done.closed_sessions) ") ont été fermées."
                    }
                }
            }))
            p { a href=(paths::SPACE) { "Retour à mon espace" } }
        } @else if !user.account.has_password {
            (notice(Notice::Info, html! {
                p { "Votre compte n’a pas de mot de passe : vous vous connectez avec Pro Santé Connect ou FranceConnect, qui vérifient votre identité. Il n’y a rien à changer ici." }
            }))
            p { a href=(paths::SPACE) { "Retour à mon espace" } }
        } @else {
            @if forced {
                // Information (a polite `status`): the errors of the form are the alerts.
                (notice(Notice::Info, html! {
                    p { "Votre mot de passe a été réinitialisé par un administrateur. Choisissez un nouveau mot de passe pour accéder à votre espace." }
                }))
            }
            (form_errors("Le mot de passe n’a pas été changé :", errors))
            form method="post" action=(PASSWORD_PAGE) class="search" novalidate {
                input type="hidden" name="_csrf" value=(user.csrf);
                @for (name, label, autocomplete) in PASSWORD_FIELDS {
                    @let hint = (name == "nouveau").then(|| format!("{name}-aide"));
                    div class="field" {
                        label for=(name) { (label) }
                        @if let Some(h) = &hint {
                            p id=(h) class="hint" {
                                (MIN_PASSWORD_CHARS) " caractères au moins, différent du mot de passe actuel."
                            }
                        }
                        (field_error(errors, name))
                        input id=(name) name=(name) type="password" autocomplete=(autocomplete) required
                            aria-invalid=[invalid(errors, name)]
                            aria-describedby=[described_by(errors, name, hint.as_deref())];
                    }
                }
                div class="actions" { button type="submit" class="button" { "Changer le mot de passe" } }
            }
        }
    };
    layout(&Frame::new(Some(user), "Changer mon mot de passe"), body)
}

fn no_store(status: StatusCode, page: Markup) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], page).into_response()
}

/// `GET /espace/mot-de-passe`: any signed-in account.
pub async fn password_page(user: CurrentUser) -> Response {
    no_store(StatusCode::OK, password_view(&user, &[], None))
}

/// `POST /espace/mot-de-passe`: see [`service::change_password`]; a refusal shows the form
/// again with every field's error.
pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    CsrfForm(form): CsrfForm<PasswordChange>,
) -> AppResult<Response> {
    match service::change_password(&state, &user, form, &client).await {
        Ok(done) => Ok(no_store(
            StatusCode::OK,
            password_view(&user, &[], Some(done)),
        )),
        Err(e) => {
            let errors = form_refusal(&e).ok_or_else(|| e.clone())?;
            Ok(with_retry_after(
                &e,
                no_store(e.status(), password_view(&user, &as_fields(&errors), None)),
            ))
        }
    }
}
