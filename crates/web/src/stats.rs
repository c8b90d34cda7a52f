//! Public statistics (SPEC §11): the French page `/statistiques` and the JSON/CSV payload
//! `/api/stats`, both computed by `msp-stats` (counts from 1 to 10 masked).
//!
//! Query parameters: `date=YYYY-MM-DD` (default today) and `perimetre=france|region:CODE|
//! departement:CODE`; `/api/stats` also takes `format=json|csv`. Analysts of an ARS are to see
//! only their région once accounts exist: the scope is already a parameter, to be forced from
//! the account then.

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::pages::error_page;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use msp_domain::{Date, Rules};
use msp_stats::{Scope, Stats, dashboard, export};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct StatsQuery {
    date: Option<String>,
    perimetre: Option<String>,
    format: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/statistiques", get(page))
        .route("/statistiques/style.css", get(css))
        .route("/api/stats", get(api))
}

fn parse(state: &AppState, q: &StatsQuery) -> Result<(Date, Scope), Problem> {
    let date = match q.date.as_deref().filter(|d| !d.is_empty()) {
        None => state.today(),
        Some(d) => msp_domain::dates::parse_iso(d).ok_or_else(|| {
            Problem::bad_request(
                "date_invalide",
                format!("date « {d} » illisible : attendu AAAA-MM-JJ"),
            )
        })?,
    };
    let scope = Scope::parse(q.perimetre.as_deref().unwrap_or("france"))
        .map_err(|m| Problem::bad_request("perimetre_invalide", m))?;
    Ok((date, scope))
}

async fn compute(state: AppState, date: Date, scope: Scope) -> Result<Stats, Problem> {
    tokio::task::spawn_blocking(move || {
        let mut db = state.pool().get().map_err(|e| Problem::internal(&e))?;
        msp_stats::load(&mut db, &Rules::standard(), date, &scope)
            .map_err(|e| Problem::internal(&e))
    })
    .await
    .map_err(|e| Problem::internal(&e))?
}

async fn page(State(state): State<AppState>, Query(q): Query<StatsQuery>) -> Response {
    let result = async {
        let (date, scope) = parse(&state, &q)?;
        compute(state, date, scope).await
    }
    .await;
    match result {
        Ok(stats) => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            dashboard::dashboard_html(
                &stats,
                dashboard::Styles::Links(&["/statistiques/style.css"]),
            ),
        )
            .into_response(),
        Err(p) => error_page(&p),
    }
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        dashboard::DASHBOARD_CSS,
    )
        .into_response()
}

async fn api(
    State(state): State<AppState>,
    Query(q): Query<StatsQuery>,
) -> Result<Response, ApiError> {
    let (date, scope) = parse(&state, &q)?;
    let stats = compute(state, date, scope).await?;
    Ok(match q.format.as_deref() {
        Some("csv") => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"statistiques-mon-soutien-psy.csv\"",
                ),
            ],
            export::to_csv(&stats),
        )
            .into_response(),
        _ => axum::Json(export::to_json(&stats, true)).into_response(),
    })
}
