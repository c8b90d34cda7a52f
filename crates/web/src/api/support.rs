//! Steps shared by the pathway endpoints while they are converted to `AppError` (temporary).

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

// ------------------------------------------------------------------ shared steps

pub(crate) fn internal(cause: &dyn std::fmt::Display) -> Response {
    tracing::error!(%cause, "internal error");
    api_problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "erreur_interne",
        "Une erreur interne est survenue. Réessayez dans quelques instants.",
    )
}

/// The signed-in account, if it has one of `roles`: 401 without a session, 403 otherwise.
/// `reserved_to` completes « Cette action est réservée … ».
pub(crate) fn signed_in(
    user: Option<CurrentUser>,
    roles: &[Role],
    reserved_to: &str,
) -> ApiResult<CurrentUser> {
    let Some(user) = user else {
        return Err(api_problem(
            StatusCode::UNAUTHORIZED,
            "non_authentifie",
            format!(
                "Pas de session ouverte : connectez-vous (/connexion). Cette action est réservée {reserved_to}."
            ),
        ));
    };
    if !roles.contains(&user.role()) {
        return Err(api_problem(
            StatusCode::FORBIDDEN,
            "acces_refuse",
            format!(
                "Cette action est réservée {reserved_to} ; votre compte est un compte « {} ».",
                user.role().label_fr()
            ),
        ));
    }
    Ok(user)
}

/// The body as `T`: 415 unless `application/json`, 422 (in French, naming the field) when it
/// is not an object of the `fields` listed or does not read as `T`; `hint` ends the message
/// about an unknown field.
pub(crate) fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
    fields: &[&str],
    hint: &str,
) -> ApiResult<T> {
    crate::pages::sessions::require_json(headers)?;
    let unreadable = |m: String| api_problem(StatusCode::UNPROCESSABLE_ENTITY, "json_invalide", m);
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| unreadable(format!("Corps JSON illisible : {e}.")))?;
    let Some(object) = value.as_object() else {
        return Err(unreadable(format!(
            "Le corps doit être un objet JSON avec les champs : {}.",
            fields.join(", ")
        )));
    };
    if let Some(k) = object.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(api_problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "champ_inconnu",
            format!(
                "Champ inconnu « {k} ». Champs acceptés : {}.{hint}",
                fields.join(", ")
            ),
        ));
    }
    serde_json::from_value(value).map_err(|e| {
        unreadable(format!(
            "Corps JSON invalide (champs : {}) : {e}.",
            fields.join(", ")
        ))
    })
}

/// Store work on the blocking pool; the store's refusals become JSON problems.
pub(crate) async fn store<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut Db) -> Result<T, StoreError> + Send + 'static,
) -> ApiResult<T> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let mut db = state.pool().get().map_err(|e| internal(&e))?;
        f(&mut db).map_err(|e| match e {
            StoreError::Conflict(m) => api_problem(StatusCode::CONFLICT, "conflit", capitalize(&m)),
            StoreError::Invalid(m) => api_problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "demande_invalide",
                capitalize(&m),
            ),
            other => internal(&other),
        })
    })
    .await
    .map_err(|e| internal(&e))?
}

/// The signed-in psychologist's RPPS (accepted application), 403 without one.
pub(crate) async fn own_rpps(state: &AppState, user: &CurrentUser) -> ApiResult<Rpps> {
    match crate::pages::enrolment::own_rpps(state, user).await {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err(api_problem(
            StatusCode::FORBIDDEN,
            "sans_rpps",
            "Votre compte n’est rattaché à aucun RPPS : candidature au conventionnement non acceptée.",
        )),
        Err(r) => Err(internal(&r.status())),
    }
}

pub(crate) fn either(r: ApiResult<Response>) -> Response {
    r.unwrap_or_else(|e| e)
}

// Unused since the letters API answers through `AppResult`; the file goes with the sessions area.
#[allow(dead_code)]
pub(crate) fn created<T: Serialize>(value: T) -> Response {
    (StatusCode::CREATED, axum::Json(value)).into_response()
}

pub(crate) fn ok<T: Serialize>(value: T) -> Response {
    (StatusCode::OK, axum::Json(value)).into_response()
}
