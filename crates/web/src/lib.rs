//! Web server of msp: the public directory (annuaire) as French pages, a JSON API with its
//! OpenAPI document, and a read-only FHIR R4 directory.
//!
//! - [`app`] builds the router from an [`AppState`]; tests drive it with `oneshot`.
//! - [`serve`] opens the database, loads the demo directory when asked and the database has no
//!   card, builds the in-memory index and serves until Ctrl-C.
//!
//! Routes: see [`app`]; the JSON API is documented at `/api/openapi.json`.

pub mod api;
pub mod directory;
pub mod documents;
pub mod error;
pub mod extract;
pub mod ops;
pub mod pages;
pub mod paths;
pub mod security;
pub mod server;
pub mod services;
pub mod state;
pub mod views;

use axum::Router;
use axum::routing::get;

pub use server::{serve, serve_listener, serve_state};
pub use state::{AppState, Options, RELOAD_EVERY, SEARCH_CACHE_ENTRIES, system_today};

/// Largest form body read by [`extract::CsrfForm`].
pub const MAX_FORM_BYTES: usize = 256 * 1024;
/// Largest JSON body read by [`extract::ApiJson`].
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

/// The whole application:
///
/// | Path | What |
/// |---|---|
/// | `GET /` | home page: the programme in plain words, search form |
/// | `GET /recherche` | search form and results (`q`, `rayon`, filters, `page`) |
/// | `GET /psychologues/{rpps}` | a psychologist's public card |
/// | `GET /static/style.css`, `GET /static/recherche.js`, `GET /static/suivi-lot.js` | assets, served from the binary |
/// | `GET /health` | liveness |
/// | `GET /ready` | readiness: database reachable, migrations applied, directory loaded (503 otherwise) |
/// | `GET /metrics` | Prometheus text format: requests by route and status, latency, pool, reloads, batches |
/// | `GET /statistiques`, `GET /api/stats` | public statistics page and payload, see [`stats`] |
/// | `/api/...` | JSON API, see [`api::routes`] and `/api/openapi.json` |
/// | `/fhir/...` | FHIR R4: `metadata`, `Practitioner`, `PractitionerRole`, `Location` |
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::directory::home))
        .route("/recherche", get(pages::directory::search_page))
        .route("/psychologues/{rpps}", get(pages::directory::card_page))
        .route("/static/style.css", get(server::style_css))
        .route("/static/recherche.js", get(server::search_js))
        .route("/static/suivi-lot.js", get(server::batch_js))
        .route("/health", get(server::health))
        .route("/ready", get(ops::ready))
        .route("/metrics", get(ops::metrics))
        .merge(api::router())
        .merge(pages::stats::router())
        .merge(pages::space::router())
        .nest("/fhir", directory::fhir::router())
        .route_layer(axum::middleware::from_fn(ops::note_route))
        .fallback(pages::directory::not_found)
        .layer(axum::middleware::from_fn(server::security_headers))
        .layer(axum::middleware::from_fn(error::render::render_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::observe,
        ))
        .with_state(state)
}
