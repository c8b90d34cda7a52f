//! What operators need from a running server: one log line per request (method, route
//! template, status, duration, request id — never a query string, a NIR or a session token),
//! `GET /metrics` in the Prometheus text format, `GET /ready` (database reachable, migrations
//! applied, directory loaded) beside `GET /health` (alive).

use crate::AppState;
use crate::error::render::REQUEST_ID;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Counters of the process, read by `GET /metrics`.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    directory_reloads: AtomicU64,
    claims_judged: AtomicU64,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        *self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let mut latency = self
            .latency
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let h = latency.entry(route.to_owned()).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// A reload of the directory index from the store.
    pub fn directory_reloaded(&self) {
        self.directory_reloads.fetch_add(1, Ordering::Relaxed);
    }

    /// Claims judged by batches run from this server.
    pub fn claims_judged(&self, n: u64) {
        self.claims_judged.fetch_add(n, Ordering::Relaxed);
    }

    /// The Prometheus text exposition (version 0.0.4).
    pub fn render(&self, pool: &msp_store::Pool) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP msp_http_requests_total Requests answered, by method, route template and status.\n# TYPE msp_http_requests_total counter"
        );
        for ((method, route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(
                out,
                "msp_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        let _ = writeln!(
            out,
            "# HELP msp_http_request_duration_seconds Time to answer, by route template.\n# TYPE msp_http_request_duration_seconds histogram"
        );
        for (route, h) in self
            .latency
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            let route = escape(route);
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "msp_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "msp_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\nmsp_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\nmsp_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count, h.sum, h.count
            );
        }
        let state = pool.state();
        let _ = writeln!(
            out,
            "# HELP msp_db_pool_connections Database connections of the pool, by state.\n# TYPE msp_db_pool_connections gauge\nmsp_db_pool_connections{{state=\"in_use\"}} {}\nmsp_db_pool_connections{{state=\"idle\"}} {}\n# HELP msp_db_pool_max_connections Size of the pool.\n# TYPE msp_db_pool_max_connections gauge\nmsp_db_pool_max_connections {}",
            state.connections.saturating_sub(state.idle_connections),
            state.idle_connections,
            pool.max_size()
        );
        let _ = writeln!(
            out,
            "# HELP msp_directory_reloads_total Reloads of the directory index from the database.\n# TYPE msp_directory_reloads_total counter\nmsp_directory_reloads_total {}\n# HELP msp_batch_claims_judged_total Claims judged by batches run from this server.\n# TYPE msp_batch_claims_judged_total counter\nmsp_batch_claims_judged_total {}",
            self.directory_reloads.load(Ordering::Relaxed),
            self.claims_judged.load(Ordering::Relaxed)
        );
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Where the route template of a request is written once the router matched it.
#[derive(Clone, Default)]
struct RouteSlot(Arc<Mutex<Option<String>>>);

/// Inside the router (a route layer): notes the matched route template.
pub async fn note_route(req: Request, next: Next) -> Response {
    if let (Some(slot), Some(path)) = (
        req.extensions().get::<RouteSlot>(),
        req.extensions().get::<MatchedPath>(),
    ) {
        *slot
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(path.as_str().to_owned());
    }
    next.run(req).await
}

/// Outermost: times the request, counts it and writes its log line.
pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let slot = RouteSlot::default();
    req.extensions_mut().insert(slot.clone());
    let res = next.run(req).await;
    let elapsed = started.elapsed();
    let route = slot
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
        .unwrap_or_else(|| "(aucune route)".to_owned());
    let status = res.status().as_u16();
    let request_id = res
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    state
        .metrics()
        .observe(&method, &route, status, elapsed.as_secs_f64());
    tracing::info!(
        target: "msp::requests",
        method = %method,
        route = %route,
        status,
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        request_id = %request_id,
        "requête"
    );
    res
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics().render(state.pool()),
    )
        .into_response()
}

/// `GET /ready`: 200 when the database answers, every migration is applied and the directory is
/// loaded; 503 with the failing check otherwise (a load balancer takes the server out).
pub async fn ready(State(state): State<AppState>) -> Response {
    let cards = state.index().len();
    let checked = state.db(msp_store::pending_migrations).await;
    let (status, body) = match checked {
        Ok(0) => (
            StatusCode::OK,
            serde_json::json!({"etat": "pret", "base": "ok", "migrations": "ok", "fiches_chargees": cards}),
        ),
        Ok(n) => (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"etat": "pas_pret", "base": "ok", "migrations": format!("{n} migration(s) non appliquée(s)")}),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"etat": "pas_pret", "base": "injoignable"}),
        ),
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}
