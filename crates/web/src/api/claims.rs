//! JSON API of the CPAM's rejected claims: the same service as `/espace/cpam/rejets`
//! ([`crate::services::claims::rejects`]), rendered as JSON.

use crate::AppState;
use crate::api::sessions::reason_json;
use crate::error::{AppError, AppResult, ProblemJson};
use crate::extract::CpamAgent;
use crate::pages::sessions::ReasonJson;
use crate::services::audit::Via;
use crate::services::claims::{self, REJECTS_SHOWN};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

/// The query of `GET /api/cpam/rejets` (other parameters are ignored).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RejectParams {
    /// A reason code (`PLAFOND`, `EEP_MANQUANTE`, …, any case): only the claims rejected for it.
    motif: Option<String>,
}

/// Rejected claims with their reason (agents de CPAM; a département agent sees the claims of
/// the psychologists of their département).
#[utoipa::path(
    get,
    path = "/api/cpam/rejets",
    tag = "parcours",
    params(RejectParams),
    security(("session" = [])),
    responses(
        (status = 200, description = "Séances rejetées, comptées par motif, avec l’explication en français", body = RejectsJson),
        (status = 400, description = "Motif inconnu", body = ProblemJson),
        (status = 401, description = "Pas de session ouverte", body = ProblemJson),
        (status = 403, description = "Compte qui n’est pas celui d’un agent de CPAM", body = ProblemJson),
    )
)]
pub async fn rejects(
    State(state): State<AppState>,
    agent: CpamAgent,
    query: Result<Query<RejectParams>, QueryRejection>,
) -> AppResult<Json<RejectsJson>> {
    let Query(q) = query.map_err(|_| {
        AppError::rejected(
            StatusCode::BAD_REQUEST,
            "parametres_invalides",
            "Paramètres illisibles : un seul motif (motif=PLAFOND, par exemple).",
        )
    })?;
    let list = claims::rejects(&state, &agent, q.motif.as_deref(), Via::Api).await?;
    Ok(Json(RejectsJson {
        departement: list.territory.clone(),
        total: list.total(),
        par_motif: list
            .rejects
            .counts
            .iter()
            .map(|(r, n)| RejectCountJson {
                code: r.code(),
                explication: r.explanation_fr(),
                nombre: *n,
            })
            .collect(),
        motif: list.reason.map(|r| r.code().to_owned()),
        limite: REJECTS_SHOWN,
        rejets: list
            .rejects
            .recent
            .iter()
            .map(|r| RejectJson {
                id: r.claim_id.clone(),
                date_reception: r.received_date.to_string(),
                date_seance: r.session_date.to_string(),
                rpps: r.rpps.clone(),
                nir_masque: r.nir.masked(),
                ref_patient: state.patient_ref(&r.nir),
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
