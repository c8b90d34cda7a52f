//! Controls of agents CPAM.
//!
//! | Route | Who |
//! |---|---|
//! | `GET /espace/cpam/controles?annee=YYYY` | CPAM agents (a département agent: psychologists conventioned by their CPAM): psychologists above the remote-session share of the year |
//! | `GET /espace/cpam/controles.csv?annee=YYYY` | The same list as CSV, in the format of `msp controle-visio` |

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::CpamAgent;
use crate::paths;
use crate::services::controls::{self, RemoteShareControl};
use crate::views::{self, Frame, Notice, notice};
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use msp_domain::french::{count, decimal};
use msp_interchange::controls::ControlRow;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::REMOTE_SHARE_CONTROL, get(remote_share))
        .route(paths::REMOTE_SHARE_CONTROL_CSV, get(remote_share_csv))
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct YearQuery {
    annee: String,
}

/// `GET /espace/cpam/controles`.
async fn remote_share(
    State(state): State<AppState>,
    agent: CpamAgent,
    Query(q): Query<YearQuery>,
) -> AppResult<Markup> {
    let year = crate::services::sessions::year_asked(&state, Some(&q.annee))?;
    let list = controls::remote_share(&state, &agent, year).await?;
    Ok(views::layout(
        &Frame::new(Some(&agent.user), "Contrôle des séances en visio"),
        view(
            &list,
            state.rules().programme_start.year(),
            state.today().year(),
        ),
    ))
}

/// `GET /espace/cpam/controles.csv`: the list the page shows, as a file.
async fn remote_share_csv(
    State(state): State<AppState>,
    agent: CpamAgent,
    Query(q): Query<YearQuery>,
) -> AppResult<Response> {
    let year = crate::services::sessions::year_asked(&state, Some(&q.annee))?;
    let list = controls::remote_share(&state, &agent, year).await?;
    let mut out = Vec::new();
    msp_interchange::controls::write(
        &mut out,
        list.above.iter().map(|r| ControlRow {
            rpps: &r.rpps,
            last_name: r.last_name.as_deref().unwrap_or(""),
            first_name: r.first_name.as_deref().unwrap_or(""),
            sessions: r.sessions,
            remote: r.remote,
            percent: r.percent(),
        }),
    )
    .map_err(AppError::internal)?;
    Ok(views::csv_download(
        &format!("controle-visio-{year}.csv"),
        out,
    ))
}

fn view(c: &RemoteShareControl, first: i16, current: i16) -> Markup {
    html! {
        h1 { "Contrôle des séances en visio" }
        p {
            "Le repère des règles en vigueur : au plus " (c.percent) " % des séances acceptées d’un psychologue dans l’année se font en visio (séances de suivi PSS). "
            "Au-delà, c’est un point à vérifier avec le psychologue, jamais un motif de refus d’une séance."
        }
        @if let Some(t) = &c.territory {
            p { "Psychologues conventionnés par la CPAM du département " (t) "." }
        }
        (views::sessions::year_picker(paths::REMOTE_SHARE_CONTROL, first, current, c.year))
        @if c.above.is_empty() {
            (notice(Notice::Info, html! { p { "Aucun psychologue au-dessus de " (c.percent) " % de séances en visio en " (c.year) "." } }))
        } @else {
            table {
                caption { (count(c.above.len(), "psychologue", "psychologues")) " au-dessus de " (c.percent) " % de séances en visio en " (c.year) ", part la plus forte d’abord" }
                thead { tr {
                    th scope="col" { "Psychologue" } th scope="col" { "RPPS" }
                    th scope="col" { "Séances acceptées" } th scope="col" { "Dont en visio" } th scope="col" { "Part en visio" }
                } }
                tbody {
                    @for r in &c.above {
                        tr {
                            td { (match (&r.first_name, &r.last_name) {
                                (Some(f), Some(l)) => format!("{f} {l}"),
                                _ => "Absent du répertoire RPPS".to_owned(),
                            }) }
                            td { a href=(paths::convention(&r.rpps)) { (r.rpps) } }
                            td { (r.sessions) }
                            td { (r.remote) }
                            td { (decimal(r.percent(), 1)) " %" }
                        }
                    }
                }
            }
        }
        @if !c.above.is_empty() {
            p { a href=(format!("{}?annee={}", paths::REMOTE_SHARE_CONTROL_CSV, c.year)) { "Télécharger cette liste (CSV)" } }
        }
    }
}
