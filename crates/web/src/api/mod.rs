//! The JSON API under `/api`. Each area's module declares its routes once, with the
//! `#[utoipa::path]` of each handler; [`router`] merges them and the OpenAPI document served at
//! `/api/openapi.json` is generated from that same router, so the two cannot differ.
//! Every error is `application/problem+json` (see [`crate::error::ProblemJson`]).

pub mod auth;
pub mod claims;
pub mod directory;
pub mod referrals;
pub mod sessions;

use crate::AppState;
use crate::error::AppError;
use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use std::sync::OnceLock;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "API Mon soutien psy",
        description = "Annuaire public des psychologues conventionnés du dispositif Mon soutien psy (recherche géographique, fiches, communes) et parcours du patient pour les logiciels des professionnels. Toutes les erreurs sont des documents application/problem+json (RFC 9457) : un code stable, un détail en français qui dit quoi corriger, les champs en cause.",
        version = "1"
    ),
    components(schemas(crate::error::ProblemJson, crate::error::FieldError, crate::error::Suggestion)),
    modifiers(&Security),
    tags(
        (name = "annuaire", description = "Recherche et fiches publiques"),
        (name = "fiches", description = "Écriture des fiches"),
        (name = "lieux", description = "Communes, langues, rayons, ce document"),
        (name = "connexion", description = "Ouvrir et fermer une session (cookie) pour utiliser l’API sans les pages"),
        (name = "seances", description = "Séances saisies par les psychologues (session ouverte par /connexion)"),
        (name = "parcours", description = "Parcours du patient : courriers d’adressage, situation de l’année, séances et décisions, suivi du patient, rejets pour la CPAM (session ouverte par /connexion ; jamais de NIR dans une adresse)")
    )
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "jeton",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::extract::SESSION_COOKIE,
            ))),
        );
    }
}

/// Every documented endpoint, by area.
fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(directory::router())
        .merge(auth::router())
        .merge(sessions::router())
        .merge(referrals::router())
        .merge(claims::router())
        .routes(routes!(openapi_json))
}

/// The OpenAPI document of the API, generated from its router.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().into_openapi()
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "lieux",
    responses((status = 200, description = "Document OpenAPI 3 de l’API", content_type = "application/json"))
)]
async fn openapi_json() -> Response {
    static DOC: OnceLock<String> = OnceLock::new();
    let doc = DOC.get_or_init(|| openapi().to_pretty_json().unwrap_or_default());
    ([(header::CONTENT_TYPE, "application/json")], doc.as_str()).into_response()
}

async fn unknown_route() -> AppError {
    AppError::not_found(
        "route_inconnue",
        "Cette adresse de l’API n’existe pas. Voir /api/openapi.json.",
    )
}

/// The JSON API and its fallback (an unknown `/api/…` address is a problem, not a page).
pub fn router() -> Router<AppState> {
    let (router, _) = documented().split_for_parts();
    router
        .route("/api", any(unknown_route))
        .route("/api/{*rest}", any(unknown_route))
}
