//! Signing in and out through the JSON API, for practice software that records sessions without
//! the web pages: `POST /api/connexion` checks the credentials exactly as the sign-in page does
//! (lockout, same answer for an unknown email and a wrong password) and sets the same session
//! cookie; `POST /api/deconnexion` ends it. Both accept only `application/json`, which a
//! cross-site form cannot send.

use crate::AppState;
use crate::pages::auth::{
    CurrentUser, MaybeUser, blocking, check_credentials, open_session, session_cookie,
    session_cookie_cleared,
};
use crate::pages::sessions::{ApiProblem, api_problem, require_json};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use msp_store::accounts;
use serde::{Deserialize, Serialize};

/// Credentials of an account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
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
        (status = 401, description = "Adresse ou mot de passe incorrect (même réponse pour une adresse inconnue)", body = ApiProblem),
        (status = 403, description = "Compte désactivé, ou mot de passe provisoire à changer d’abord dans l’espace (/espace/mot-de-passe)", body = ApiProblem),
        (status = 415, description = "Corps qui n’est pas du JSON", body = ApiProblem),
        (status = 422, description = "Corps JSON invalide (champs email et mot_de_passe)", body = ApiProblem),
        (status = 429, description = "Trop de tentatives échouées pour ce compte : réessayer plus tard", body = ApiProblem),
    )
)]
pub async fn sign_in(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = require_json(&headers) {
        return r;
    }
    let input: SignInInput = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(_) => {
            return api_problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "json_invalide",
                "Corps JSON attendu : {\"email\": \"…\", \"mot_de_passe\": \"…\"}.",
            );
        }
    };
    let email = accounts::normalize_email(&input.email);
    let account = match check_credentials(&state, &email, input.mot_de_passe).await {
        Err(r) => return r,
        Ok(Err(failure)) => {
            return api_problem(failure.status(), failure.code(), failure.message());
        }
        Ok(Ok(account)) => account,
    };
    if account.must_change_password {
        // Nothing else would work with this session: no session at all.
        return api_problem(
            StatusCode::FORBIDDEN,
            "mot_de_passe_a_changer",
            "Mot de passe provisoire : choisissez-en un nouveau dans l’espace (/espace/mot-de-passe) avant d’utiliser l’API.",
        );
    }
    let token = match open_session(&state, &account, &email).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let mut res = axum::Json(SignedInJson {
        email: account.email.clone(),
        role: account.role.code(),
        nom: account.display_name.clone(),
    })
    .into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, session_cookie(&headers, &token));
    res
}

/// End the session.
#[utoipa::path(
    post,
    path = "/api/deconnexion",
    tag = "connexion",
    security(("session" = [])),
    responses(
        (status = 204, description = "Session fermée, cookie effacé"),
        (status = 401, description = "Pas de session ouverte", body = ApiProblem),
        (status = 415, description = "Corps qui n’est pas du JSON", body = ApiProblem),
    )
)]
pub async fn sign_out(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let Some(user): Option<CurrentUser> = user else {
        return api_problem(
            StatusCode::UNAUTHORIZED,
            "non_authentifie",
            "Pas de session ouverte.",
        );
    };
    if let Err(r) = require_json(&headers) {
        return r;
    }
    let key = user.session_hash().to_owned();
    if let Err(r) = blocking(&state, move |db| accounts::delete_session(db, &key)).await {
        return r;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, session_cookie_cleared(&headers));
    res
}

/// This area's endpoints, each documented by its `#[utoipa::path]`.
pub fn router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(sign_in))
        .routes(utoipa_axum::routes!(sign_out))
}
