//! JSON API of the CPAM's rejected claims.

#![allow(unused_imports)]
// Handlers refuse with a ready JSON answer (temporary, until converted to AppError).
#![allow(clippy::result_large_err)]

use crate::AppState;
use crate::directory::json::CodeLabel;
use crate::pages::auth::{CurrentUser, MaybeUser, capitalize};
use crate::pages::referrals::{self as adressages, display_code, letter_validity, parse_code};
use crate::pages::sessions::{
    self as seances, AmountsJson, ApiProblem, ReasonJson, SessionInput, StandingJson,
    UNKNOWN_PATIENT, YearSummary, amo_payee_fr, api_problem, complementary_fr, date_fr,
    identity_matches, parse_date, patient_ref, standing_json,
};
use crate::pages::space::audit_blocking;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use msp_domain::{AmcRoute, AmoPayee, Date, Payment, Reason, Role, Rpps, dates};
use msp_store::live::{YearStanding, next_act, year_standing};
use msp_store::pathway::{self, Letter, SessionLine};
use msp_store::{Db, StoreError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use utoipa::ToSchema;

/// An answer, or the JSON refusal that replaces it.
pub(crate) type ApiResult<T> = Result<T, Response>;

use crate::api::sessions::reason_json;
use crate::api::support::*;

// ------------------------------------------------------------------ CPAM

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectCountJson {
    pub code: &'static str,
    pub explication: &'static str,
    pub nombre: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectJson {
    pub id: String,
    pub date_reception: String,
    pub date_seance: String,
    /// The psychologist's RPPS.
    pub rpps: String,
    /// The patient's NIR, masked.
    pub nir_masque: String,
    pub ref_patient: String,
    pub acte: String,
    pub motif: ReasonJson,
    /// The session in the API.
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectsJson {
    /// The agent's département, when their account is limited to one.
    pub departement: Option<String>,
    /// Rejected claims, all reasons.
    pub total: i64,
    pub par_motif: Vec<RejectCountJson>,
    /// The reason filtered on, if any.
    pub motif: Option<String>,
    /// At most this many claims are listed, most recent first.
    pub limite: i64,
    pub rejets: Vec<RejectJson>,
}

#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct RejectParamsDoc {
    /// A reason code (`PLAFOND`, `EEP_MANQUANTE`, …): only the claims rejected for it.
    motif: Option<String>,
}

/// Rejected claims with their reason (agents de CPAM; a département agent sees the claims of
/// the psychologists of their département).
#[utoipa::path(
    get,
    path = "/api/cpam/rejets",
    tag = "parcours",
    params(RejectParamsDoc),
    security(("session" = [])),
    responses(
        (status = 200, description = "Séances rejetées, comptées par motif, avec l’explication en français", body = RejectsJson),
        (status = 400, description = "Motif inconnu", body = ApiProblem),
        (status = 401, description = "Pas de session ouverte", body = ApiProblem),
        (status = 403, description = "Compte qui n’est pas celui d’un agent de CPAM", body = ApiProblem),
    )
)]
pub async fn rejects(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    either(rejects_in(state, user, q).await)
}

async fn rejects_in(
    state: AppState,
    user: Option<CurrentUser>,
    q: HashMap<String, String>,
) -> ApiResult<Response> {
    let user = signed_in(user, &[Role::AgentCpam], "aux agents de CPAM")?;
    let reason = match q.get("motif").map(|m| m.trim()).filter(|m| !m.is_empty()) {
        None => None,
        Some(m) => Some(Reason::parse(&m.to_uppercase()).ok_or_else(|| {
            api_problem(
                StatusCode::BAD_REQUEST,
                "motif_inconnu",
                format!(
                    "Motif (motif) inconnu « {m} » : {}.",
                    Reason::ALL.map(Reason::code).join(", ")
                ),
            )
        })?),
    };
    let (territory, u) = (user.account.territory.clone(), user.clone());
    let (counts, list) = store(&state, move |db| {
        let found = crate::pages::claims::rejects_blocking(db, territory.as_deref(), reason)?;
        let patients: BTreeSet<String> = found.1.iter().map(|r| patient_ref(&r.nir)).collect();
        for p in patients {
            audit_blocking(
                db,
                &u,
                "lecture",
                "patient",
                &p,
                "liste des séances rejetées (API)",
            )?;
        }
        Ok(found)
    })
    .await?;
    Ok(ok(RejectsJson {
        departement: user.account.territory.clone(),
        total: counts.iter().map(|(_, n)| n).sum(),
        par_motif: counts
            .iter()
            .map(|(r, n)| RejectCountJson {
                code: r.code(),
                explication: r.explanation_fr(),
                nombre: *n,
            })
            .collect(),
        motif: reason.map(|r| r.code().to_owned()),
        limite: crate::pages::claims::REJECTS_SHOWN,
        rejets: list
            .iter()
            .map(|r| RejectJson {
                id: r.claim_id.clone(),
                date_reception: r.received_date.to_string(),
                date_seance: r.session_date.to_string(),
                rpps: r.rpps.clone(),
                nir_masque: r.nir.masked(),
                ref_patient: patient_ref(&r.nir),
                acte: r.act.clone(),
                motif: reason_json(r.reason),
                url: format!("/api/seances/{}", r.claim_id),
            })
            .collect(),
    }))
}

/// This area's endpoints, each documented by its `#[utoipa::path]`.
pub fn router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(rejects))
}
