//! Serving: the assets built into the binary, liveness, security headers, the listener and the
//! background tasks (directory reload, expiry of applications).

use crate::directory::demo;
use crate::state::{AppState, Options, system_today};
use axum::http::{HeaderValue, Request, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use msp_store::StoreError;
use std::net::SocketAddr;

const STYLE_CSS: &str = include_str!("../static/style.css");
const SEARCH_JS: &str = include_str!("../static/recherche.js");
const BATCH_JS: &str = include_str!("../static/suivi-lot.js");

pub(crate) async fn style_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE_CSS,
    )
        .into_response()
}

pub(crate) async fn batch_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        BATCH_JS,
    )
        .into_response()
}

pub(crate) async fn search_js() -> Response {
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
pub(crate) async fn health() -> &'static str {
    "ok"
}

/// HSTS max-age sent over HTTPS: `MSP_HSTS_MAX_AGE` seconds (0 sends none), one year by default.
fn hsts_max_age() -> u64 {
    static AGE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *AGE.get_or_init(|| {
        std::env::var("MSP_HSTS_MAX_AGE")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(31_536_000)
    })
}

/// Whether the answer to this request may hold personal data: the professional space, the
/// sign-in pages, and anything asked by a signed-in person or a program with credentials
/// (even a public page then carries the person's menu).
fn personal(req: &Request<axum::body::Body>) -> bool {
    let path = req.uri().path();
    path.starts_with("/espace")
        || path.starts_with("/connexion")
        || path.starts_with("/api/connexion")
        || req.headers().contains_key(header::AUTHORIZATION)
        || crate::extract::cookie(req.headers(), crate::extract::SESSION_COOKIE).is_some()
}

pub(crate) async fn security_headers(req: Request<axum::body::Body>, next: Next) -> Response {
    let personal = personal(&req);
    let https = crate::extract::is_https(req.headers());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if personal {
        // Neither the browser nor a proxy keeps a copy (shared computers, back button).
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let age = hsts_max_age();
    if https
        && age > 0
        && let Ok(v) = HeaderValue::from_str(&format!("max-age={age}; includeSubDomains"))
    {
        h.insert(header::STRICT_TRANSPORT_SECURITY, v);
    }
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

/// Binds `addr` first (a busy port writes nothing), opens the database, loads the demo
/// directory if asked and the database is unused ([`msp_store::reference::is_unused`]), builds
/// the index and serves until SIGTERM or Ctrl-C.
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
        AppState::new(
            pool,
            Options {
                db_url: Some(url),
                ..Options::default()
            },
        )
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
    state.watch_directory()?;
    crate::pages::enrolment::expiry_job(&state);
    crate::services::claims::spawn_heartbeat(&state);
    match &state.options().smtp {
        Some(cfg) => eprintln!(
            "Rappels de disponibilité envoyés par le serveur SMTP {}:{} (expéditeur {}).",
            cfg.host, cfg.port, cfg.from
        ),
        None => eprintln!(
            "Aucun serveur SMTP configuré (--smtp-hote ou MSP_SMTP_HOST) : les rappels de disponibilité ne partent pas ; l’administrateur voit ceux qui auraient été envoyés dans son espace ({}).",
            crate::paths::REMINDERS
        ),
    }
    tokio::spawn(crate::services::reminders::reminder_job(state.clone()));
    eprintln!("Annuaire disponible sur http://{local}/");
    let stopping = std::sync::Arc::new(tokio::sync::Notify::new());
    let told = stopping.clone();
    let server = axum::serve(
        listener,
        crate::app(state).into_make_service_with_connect_info::<SocketAddr>(),
    ).with_graceful_shutdown(async move {
        shutdown_signal().await;
        eprintln!(
            "Arrêt demandé : plus de nouvelle connexion, les requêtes en cours ont {} s pour finir.",
            GRACE.as_secs()
        );
        told.notify_one();
    });
    tokio::select! {
        served = server => served?,
        () = async {
            stopping.notified().await;
            tokio::time::sleep(GRACE).await;
        } => tracing::warn!("grace period over: requests still in flight are cut"),
    }
    // Batches judged in the background run on the blocking pool; the runtime waits for them
    // before the process exits, so a batch transaction is never cut by a stop.
    Ok(())
}

/// How long requests in flight may take to finish after SIGTERM or SIGINT.
pub const GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// SIGINT (Ctrl-C) or SIGTERM (what a service manager or a container runtime sends).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
