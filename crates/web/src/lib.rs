//! Web server of msp: the public directory (annuaire) as French pages, a JSON API with its
//! OpenAPI document, and a read-only FHIR R4 directory.
//!
//! - [`app`] builds the router from an [`AppState`]; tests drive it with `oneshot`.
//! - [`serve`] opens the database, loads the demo directory when asked and the database has no
//!   card, builds the in-memory index and serves until Ctrl-C.
//!
//! Routes: see [`app`]; the JSON API is documented at `/api/openapi.json`.

pub mod adressages;
pub mod annulation;
pub mod api;
pub mod api_connexion;
pub mod api_pathway;
pub mod auth;
pub mod conventionnement;
pub mod demo;
pub mod error;
pub mod espace;
pub mod fhir;
pub mod index;
pub mod languages;
pub mod liquidation;
pub mod pages;
pub mod params;
pub mod pdf;
pub mod seances;
pub mod search;
pub mod stats;

use axum::Router;
use axum::http::{HeaderValue, Request, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use error::Problem;
use index::DirectoryIndex;
use msp_domain::Date;
use msp_store::directory::{self, DirectoryCard, ListedCard};
use msp_store::{Pool, StoreError};
use std::net::SocketAddr;
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;

/// How often the server reloads the index from the store, to see conventions and cards written
/// by other processes (imports). Writes through the application update it at once.
pub const RELOAD_EVERY: Duration = Duration::from_secs(300);

/// Options of the application.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A fixed "today" (tests, demos); `None`: the calendar date in Paris.
    pub today: Option<Date>,
    /// Bearer token that allows `PUT /api/psychologues/{rpps}`; `None` disables edits (until
    /// psychologists have accounts).
    pub edit_token: Option<String>,
    /// Disables the cache of JSON search answers (see [`SEARCH_CACHE_ENTRIES`]).
    pub no_search_cache: bool,
    /// The dated rules that judge sessions recorded on line; `None`: the shipped rules.
    pub rules: Option<Arc<msp_domain::Rules>>,
}

/// JSON search answers kept in memory, keyed by query string; the cache is emptied when the
/// index changes (card written, periodic reload), when the day changes, and when it is full.
pub const SEARCH_CACHE_ENTRIES: usize = 20_000;

#[derive(Default)]
struct SearchCache {
    generation: u64,
    day: Option<Date>,
    answers: std::collections::HashMap<String, axum::body::Bytes>,
}

struct Inner {
    pool: Pool,
    index: RwLock<DirectoryIndex>,
    options: Options,
    rules: Arc<msp_domain::Rules>,
    /// Bumped whenever the index changes.
    generation: std::sync::atomic::AtomicU64,
    cache: RwLock<SearchCache>,
    /// Batches judged from the web, in memory (see [`liquidation::Jobs`]).
    jobs: liquidation::Jobs,
}

/// Shared state of the server: the connection pool and the directory index.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    /// Loads every card from the store and builds the index (blocking: call it before serving
    /// or inside `spawn_blocking`).
    pub fn new(pool: Pool, options: Options) -> Result<AppState, StoreError> {
        let today = options.today.unwrap_or_else(system_today);
        let cards = directory::load_cards(&mut *pool.get()?)?;
        let index = DirectoryIndex::build(cards, today);
        let rules = options
            .rules
            .clone()
            .unwrap_or_else(|| Arc::new(msp_domain::Rules::standard()));
        Ok(AppState(Arc::new(Inner {
            pool,
            index: RwLock::new(index),
            options,
            rules,
            generation: std::sync::atomic::AtomicU64::new(0),
            cache: RwLock::new(SearchCache::default()),
            jobs: liquidation::Jobs::default(),
        })))
    }

    /// Changes whenever the index changes.
    pub fn generation(&self) -> u64 {
        self.0.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn bump(&self) {
        self.0
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// A cached JSON search answer for this query string, if still valid.
    pub fn cached_response(&self, query: &str, today: Date) -> Option<axum::body::Bytes> {
        if self.0.options.no_search_cache {
            return None;
        }
        let cache = self
            .0
            .cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.generation != self.generation() || cache.day != Some(today) {
            return None;
        }
        cache.answers.get(query).cloned()
    }

    /// Keeps a JSON search answer computed from the index at `generation`.
    pub fn cache_response(
        &self,
        query: &str,
        today: Date,
        generation: u64,
        body: axum::body::Bytes,
    ) {
        if self.0.options.no_search_cache || generation != self.generation() {
            return;
        }
        let mut cache = self
            .0
            .cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.generation != generation
            || cache.day != Some(today)
            || cache.answers.len() >= SEARCH_CACHE_ENTRIES
        {
            cache.answers.clear();
            cache.generation = generation;
            cache.day = Some(today);
        }
        cache.answers.insert(query.to_owned(), body);
    }

    /// The date that decides who is listed.
    pub fn today(&self) -> Date {
        self.0.options.today.unwrap_or_else(system_today)
    }

    pub fn pool(&self) -> &Pool {
        &self.0.pool
    }

    /// The dated rules sessions recorded on line are judged by.
    pub fn rules(&self) -> &msp_domain::Rules {
        &self.0.rules
    }

    pub fn options(&self) -> &Options {
        &self.0.options
    }

    /// The batches CPAM agents run from the web: progress and outcome, in memory.
    pub fn jobs(&self) -> &liquidation::Jobs {
        &self.0.jobs
    }

    /// Read access to the index.
    pub fn index(&self) -> RwLockReadGuard<'_, DirectoryIndex> {
        self.0
            .index
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Rebuilds the index from the store (blocking).
    pub fn reload(&self) -> Result<usize, StoreError> {
        let cards = directory::load_cards(&mut *self.0.pool.get()?)?;
        let index = DirectoryIndex::build(cards, self.today());
        let n = index.len();
        *self
            .0
            .index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = index;
        self.bump();
        Ok(n)
    }

    /// Reloads one psychologist's card and rights from the store into the index (blocking):
    /// after a signature, suspension, exclusion or withdrawal.
    pub fn refresh_card(&self, rpps: msp_domain::Rpps) -> Result<(), StoreError> {
        let Some(card) = directory::load_card(&mut *self.0.pool.get()?, rpps)? else {
            return Ok(());
        };
        self.0
            .index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .upsert(card);
        self.bump();
        Ok(())
    }

    /// Writes a card to the store and into the index (blocking).
    pub fn upsert_card(&self, card: &DirectoryCard) -> Result<ListedCard, Problem> {
        let mut db = self.0.pool.get().map_err(|e| Problem::internal(&e))?;
        let stored = db
            .transaction(|tx| {
                if !directory::is_registered_psychologist(tx, card.rpps)? {
                    return Ok(None);
                }
                directory::upsert_card(tx, card, jiff::Timestamp::now())?;
                directory::load_card(tx, card.rpps)
            })
            .map_err(|e| match e {
                StoreError::Invalid(m) => Problem::bad_request("fiche_invalide", m),
                other => Problem::internal(&other),
            })?
            .ok_or_else(|| {
                Problem::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "rpps_hors_repertoire",
                    format!(
                        "Le RPPS {} n’est pas celui d’un psychologue du répertoire national.",
                        card.rpps
                    ),
                )
            })?;
        self.0
            .index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .upsert(stored.clone());
        self.bump();
        Ok(stored)
    }
}

/// Today's date in France (Europe/Paris), falling back to UTC without a time-zone database.
pub fn system_today() -> Date {
    static PARIS: std::sync::OnceLock<jiff::tz::TimeZone> = std::sync::OnceLock::new();
    let tz = PARIS
        .get_or_init(|| jiff::tz::TimeZone::get("Europe/Paris").unwrap_or(jiff::tz::TimeZone::UTC));
    jiff::Timestamp::now().to_zoned(tz.clone()).date()
}

const STYLE_CSS: &str = include_str!("../static/style.css");
const SEARCH_JS: &str = include_str!("../static/recherche.js");
const BATCH_JS: &str = include_str!("../static/suivi-lot.js");

async fn style_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE_CSS,
    )
        .into_response()
}

async fn batch_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        BATCH_JS,
    )
        .into_response()
}

async fn search_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SEARCH_JS,
    )
        .into_response()
}

/// Liveness probe (also the baseline of the load benchmark).
async fn health() -> &'static str {
    "ok"
}

async fn security_headers(req: Request<axum::body::Body>, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        ),
    );
    res
}

/// The whole application:
///
/// | Path | What |
/// |---|---|
/// | `GET /` | home page: the programme in plain words, search form |
/// | `GET /recherche` | search form and results (`q`, `rayon`, filters, `page`) |
/// | `GET /psychologues/{rpps}` | a psychologist's public card |
/// | `GET /static/style.css`, `GET /static/recherche.js`, `GET /static/suivi-lot.js` | assets, served from the binary |
/// | `GET /health` | liveness |
/// | `GET /statistiques`, `GET /api/stats` | public statistics page and payload, see [`stats`] |
/// | `/api/...` | JSON API, see [`api::routes`] and `/api/openapi.json` |
/// | `/fhir/...` | FHIR R4: `metadata`, `Practitioner`, `PractitionerRole`, `Location` |
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/recherche", get(pages::search_page))
        .route("/psychologues/{rpps}", get(pages::card_page))
        .route("/static/style.css", get(style_css))
        .route("/static/recherche.js", get(search_js))
        .route("/static/suivi-lot.js", get(batch_js))
        .route("/health", get(health))
        .merge(api::router())
        .merge(stats::router())
        .merge(espace::router())
        .nest("/fhir", fhir::router())
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

/// Binds `addr` first (a busy port writes nothing), opens the database, loads the demo
/// directory if asked and the database is unused ([`msp_store::reference::is_unused`]), builds
/// the index and serves until Ctrl-C.
pub async fn serve(
    db_url: &str,
    addr: SocketAddr,
    demo_if_empty: bool,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let url = db_url.to_owned();
    let state = tokio::task::spawn_blocking(move || -> Result<AppState, StoreError> {
        let pool = msp_store::open_pool(&url, 8)?;
        if demo_if_empty {
            let mut db = pool.get()?;
            if msp_store::reference::is_unused(&mut db)? {
                let today = system_today();
                let n = demo::load_directory_demo(&mut db, today)?;
                tracing::info!(
                    cards = n,
                    "directory was empty: demo dataset loaded ({n} fictitious psychologists)"
                );
                eprintln!(
                    "Annuaire vide : jeu de démonstration chargé ({n} psychologues fictifs)."
                );
            }
        }
        AppState::new(pool, Options::default())
    })
    .await??;
    serve_listener(state, listener).await
}

/// Serves an already built state (used by `serve`, tests and the benchmark).
pub async fn serve_state(
    state: AppState,
    addr: SocketAddr,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_listener(state, listener).await
}

/// Serves on a bound listener (tests bind port 0 and read the address first).
pub async fn serve_listener(
    state: AppState,
    listener: tokio::net::TcpListener,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let local = listener.local_addr()?;
    {
        let today = state.today();
        let index = state.index();
        tracing::info!(
            cards = index.len(),
            listed = index.listed_count(today),
            "directory index built"
        );
    }
    let reloader = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(RELOAD_EVERY);
        tick.tick().await;
        loop {
            tick.tick().await;
            let s = reloader.clone();
            match tokio::task::spawn_blocking(move || s.reload()).await {
                Ok(Ok(n)) => tracing::debug!(cards = n, "directory index reloaded"),
                Ok(Err(e)) => tracing::warn!(error = %e, "directory index reload failed"),
                Err(e) => tracing::warn!(error = %e, "directory index reload panicked"),
            }
        }
    });
    tokio::spawn(conventionnement::expiry_job(state.clone()));
    eprintln!("Annuaire disponible sur http://{local}/");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
