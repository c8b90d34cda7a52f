//! The signed-in space: its routes, the home page of each role, an ARS analyst's région. Account
//! management and the audit log are in [`crate::pages::accounts`].

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{Analyst, CurrentUser};
use crate::paths;
use crate::services::accounts as service;
use axum::Router;
use axum::extract::{Path, Query};
use axum::response::Redirect;
use axum::routing::{get, post};
use maud::{Markup, html};
use msp_domain::Role;

pub use crate::services::accounts::validate_new_account;
pub use crate::views::{menu, menu_of};

/// Routes of the signed-in space (sign-in pages included).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            paths::SIGN_IN,
            get(crate::pages::auth::login_page).post(crate::pages::auth::login),
        )
        .route(paths::SIGN_OUT, post(crate::pages::auth::logout))
        .route(paths::SPACE, get(home))
        .route(
            paths::PASSWORD,
            get(crate::pages::auth::password_page).post(crate::pages::auth::change_password),
        )
        .route("/espace/ars/{region}", get(ars_region))
        .merge(crate::pages::accounts::router())
        .merge(crate::pages::oidc::router())
        .merge(crate::pages::enrolment::router())
        .merge(crate::pages::sessions::router())
        .merge(crate::pages::referrals::router())
        .merge(crate::pages::claims::router())
        .merge(crate::pages::controls::router())
        .merge(crate::pages::card::router())
}

/// What each role does in its space.
fn intro(user: &CurrentUser) -> &'static str {
    let national = user.account.territory.as_deref().is_none_or(str::is_empty);
    match user.role() {
        Role::Patient => {
            "Vos séances de l’année, le nombre de séances qu’il vous reste et vos remboursements."
        }
        Role::Psychologue => {
            "Votre candidature au conventionnement et votre convention, la saisie de vos séances et leurs remboursements, votre fiche de l’annuaire."
        }
        Role::Medecin | Role::SageFemme => {
            "Émettez des courriers d’adressage vers un psychologue conventionné et retrouvez ceux que vous avez émis."
        }
        Role::Expert => {
            "Examinez les candidatures déposées : acceptez ou refusez-les en motivant votre décision."
        }
        Role::AgentCpam if national => {
            "Signez les conventions des candidats acceptés, suspendez ou excluez un psychologue, traitez les séances rejetées et jugez les lots de feuilles de soins."
        }
        Role::AgentCpam => {
            "Signez les conventions des candidats acceptés de votre département, suspendez ou excluez un psychologue, traitez les séances rejetées et contrôlez la part des séances en visio. Les lots de feuilles de soins sont jugés par les agents de portée nationale."
        }
        Role::AnalysteArs => "Consultez les statistiques de votre région, sans donnée personnelle.",
        Role::Admin => "Gérez les comptes et consultez le journal d’audit.",
    }
}

fn home_view(user: &CurrentUser, linked: bool) -> Markup {
    let body = html! {
        h1 { "Mon espace" }
        @if linked && user.role() == Role::Patient {
            (crate::views::notice(crate::views::Notice::Success, html! {
                p { "Votre compte est rattaché à votre dossier d’assuré : vos séances et vos remboursements sont dans « Mon suivi »." }
            }))
        }
        p class="lead" { "Bonjour " (user.account.display_name) "." }
        p { (intro(user)) }
        ul {
            @for (href, label) in menu_of(Some(user)).into_iter().skip(1) {
                li { a href=(href) { (label) } }
            }
            @if user.role() == Role::AnalysteArs {
                @if let Some(r) = &user.account.territory {
                    li { a href=(format!("/espace/ars/{r}")) { "Statistiques de ma région (" (msp_stats::geo::areas().region_name(r).unwrap_or(r)) ")" } }
                }
            }
            @if user.role() == Role::Psychologue {
                li { a href=(paths::MY_CARD) { "Ma fiche de l’annuaire et ma disponibilité" } }
                li { a href=(paths::MY_CONVENTION) { "Ma convention" } }
            }
            @if user.role() == Role::Admin {
                li { a href=(paths::REMINDERS) { "Rappels de disponibilité" } }
            }
            @if user.account.has_password {
                li { a href=(paths::PASSWORD) { "Changer mon mot de passe" } }
            }
        }
    };
    crate::views::layout(&crate::views::Frame::new(Some(user), "Mon espace"), body)
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct HomeQuery {
    /// Set by the FranceConnect link form once it succeeded (a flag, never a text shown).
    rattache: Option<String>,
}

/// `GET /espace`: what this role can do.
async fn home(user: CurrentUser, Query(q): Query<HomeQuery>) -> Markup {
    home_view(&user, q.rattache.is_some())
}

/// `GET /espace/ars/{region}`: only the analyst's own région.
async fn ars_region(analyst: Analyst, Path(region): Path<String>) -> AppResult<Redirect> {
    service::own_region(&analyst, &region)?;
    Ok(Redirect::to(&format!(
        "{}?perimetre=region:{region}",
        paths::STATISTICS
    )))
}
