//! Public statistics (SPEC §11): the French page `/statistiques` and the JSON/CSV payload
//! `/api/stats`, both computed by `msp-stats` (counts from 1 to 10 masked).
//!
//! Query parameters: `date=YYYY-MM-DD` (default today) and `perimetre=france|region:CODE|
//! departement:CODE`; `/api/stats` also takes `format=json|csv`. The page is drawn inside the
//! one layout; its charts bring their own stylesheet.

use crate::AppState;
use crate::error::{AppError, Problem};
use crate::extract::MaybeUser;
use crate::views::{Frame, layout};
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

pub const STATS_CSS: &str = "/statistiques/style.css";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(crate::paths::STATISTICS, get(page))
        .route(STATS_CSS, get(css))
        .route("/api/stats", get(api))
}

fn parse(state: &AppState, q: &StatsQuery) -> Result<(Date, Scope), AppError> {
    let date = match q.date.as_deref().filter(|d| !d.is_empty()) {
        None => state.today(),
        Some(d) => msp_domain::session::parse_date(d).ok_or_else(|| {
            AppError::from(Problem::bad_request(
                "date_invalide",
                format!("Date « {d} » illisible : attendue sous la forme JJ/MM/AAAA."),
            ))
            .field("date")
        })?,
    };
    let scope = Scope::parse(q.perimetre.as_deref().unwrap_or("france")).map_err(|m| {
        AppError::from(Problem::bad_request("perimetre_invalide", m)).field("perimetre")
    })?;
    Ok((date, scope))
}

async fn compute(state: &AppState, date: Date, scope: Scope) -> Result<Stats, AppError> {
    state
        .db(move |db| msp_stats::load(db, &Rules::standard(), date, &scope))
        .await
}

async fn page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<StatsQuery>,
) -> Result<Response, AppError> {
    let (date, scope) = parse(&state, &q)?;
    let stats = compute(&state, date, scope).await?;
    let frame = Frame::new(user.as_ref(), "Statistiques").styles(&[STATS_CSS]);
    Ok(layout(
        &frame,
        maud::html! { div class="stats" { (dashboard::dashboard_body_with(&stats, chooser(&stats))) } },
    )
    .into_response())
}

/// A form to ask another date or area: France, a région, a département.
fn chooser(stats: &Stats) -> maud::Markup {
    let areas = msp_stats::geo::areas();
    let current = stats.scope.code();
    maud::html! {
        form class="stats-chooser" method="get" action=(crate::paths::STATISTICS) {
            div class="field" {
                label for="perimetre" { "Périmètre" }
                select id="perimetre" name="perimetre" {
                    option value="france" selected[current == "france"] { "France entière" }
                    optgroup label="Régions" {
                        @for (code, name) in &areas.regions {
                            @let v = format!("region:{code}");
                            option value=(v) selected[current == v] { (name) }
                        }
                    }
                    optgroup label="Départements" {
                        @for (code, name, _) in &areas.departements {
                            @let v = format!("departement:{code}");
                            option value=(v) selected[current == v] { (code) " – " (name) }
                        }
                    }
                }
            }
            div class="field" {
                label for="date" { "Date" }
                input id="date" name="date" type="date" value=(stats.requested.to_string());
            }
            button type="submit" class="button" { "Afficher" }
        }
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
) -> Result<Response, AppError> {
    let (date, scope) = parse(&state, &q)?;
    let stats = compute(&state, date, scope).await?;
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
