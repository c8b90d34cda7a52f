//! Signing in and out through the JSON API, for practice software that records sessions without
//! the web pages: `POST /api/connexion` checks the credentials with the same service as the
//! sign-in page ([`crate::services::auth::sign_in`]: lockout, same answer for an unknown email
//! and a wrong password) and sets the same session cookie; `POST /api/deconnexion` ends it.
//! Both accept only `application/json`, which a cross-site form cannot send.

use crate::AppState;
use crate::error::{AppResult, ProblemJson};
use crate::extract::{ApiJson, ClientAddr, CurrentUser, require_json};
use crate::pages::auth::{session_cookie, session_cookie_cleared};
use crate::services::auth::{self as service, Channel, Credentials};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// Credentials of an account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInInput {
    pub email: String,
    pub mot_de_passe: String,
}

/// The account now signed in.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedInJson {
    pub email: String,
    /// `patient`, `psychologue`, `medecin`, `sage_femme`, `expert`, `agent_cpam`,
    /// `analyste_ars` or `admin`.
    pub role: &'static str,
    pub nom: String,
}

/// Open a session (cookie `msp_session`, HttpOnly, SameSite=Lax).
#[utoipa::path(
    post,
    path = "/api/connexion",
    tag = "connexion",
    request_body = SignInInput,
    responses(
        (status = 200, description = "Session ouverte : le cookie de session accompagne la réponse", body = SignedInJson),
        (status = 401, description = "Adresse ou mot de passe incorrect (même réponse pour une adresse inconnue) : code identifiants_invalides", body = ProblemJson, content_type = "application/problem+json"),
        (status = 403, description = "Compte désactivé (compte_desactive), ou mot de passe provisoire à changer d’abord dans l’espace, /espace/mot-de-passe (mot_de_passe_a_changer)", body = ProblemJson, content_type = "application/problem+json"),
        (status = 415, description = "Corps qui n’est pas du JSON", body = ProblemJson, content_type = "application/problem+json"),
        (status = 422, description = "Corps JSON invalide : champs email et mot_de_passe, aucun autre", body = ProblemJson, content_type = "application/problem+json"),
        (status = 429, description = "Trop de tentatives échouées pour ce compte depuis cette adresse, ou depuis cette adresse : réessayer après le délai de l’en-tête Retry-After (trop_de_tentatives)", body = ProblemJson, content_type = "application/problem+json"),
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    ApiJson(input): ApiJson<SignInInput>,
) -> AppResult<Response> {
    let credentials = Credentials {
        email: input.email,
        password: input.mot_de_passe,
    };
    let signed_in = service::sign_in(&state, credentials, Channel::Api, &client).await?;
    let account = &signed_in.account;
    let mut res = axum::Json(SignedInJson {
        email: account.email.clone(),
        role: account.role.code(),
        nom: account.display_name.clone(),
    })
    .into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        session_cookie(&headers, &signed_in.token),
    );
    Ok(res)
}

/// End the session.
#[utoipa::path(
    post,
    path = "/api/deconnexion",
    tag = "connexion",
    security(("session" = [])),
    responses(
        (status = 204, description = "Session fermée, cookie effacé"),
        (status = 401, description = "Pas de session ouverte", body = ProblemJson, content_type = "application/problem+json"),
        (status = 415, description = "Corps qui n’est pas du JSON", body = ProblemJson, content_type = "application/problem+json"),
    )
)]
pub async fn sign_out(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> AppResult<Response> {
    require_json(&headers)?;
    service::sign_out(&state, &user).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, session_cookie_cleared(&headers));
    Ok(res)
}

/// This area's endpoints, each documented by its `#[utoipa::path]`.
pub fn router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(sign_in))
        .routes(utoipa_axum::routes!(sign_out))
}
