//! Controls of agents CPAM.
//!
//! | Route | Who |
//! |---|---|
//! | `GET /espace/cpam/controles?annee=YYYY` | CPAM agents (a département agent: psychologists conventioned by their CPAM): psychologists above the remote-session share of the year |

use crate::AppState;
use crate::error::AppResult;
use crate::extract::CpamAgent;
use crate::paths;
use crate::services::controls::{self, RemoteShareControl};
use crate::views::{self, Frame, Notice, notice};
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use maud::{Markup, html};
use msp_domain::french::{count, decimal};

pub fn router() -> Router<AppState> {
    Router::new().route(paths::REMOTE_SHARE_CONTROL, get(remote_share))
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
        p class="hint" { "La même liste, nationale, en CSV : " code { "msp controle-visio --annee " (c.year) } "." }
    }
}
