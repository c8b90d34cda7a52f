//! Cancelling a session recorded by mistake (issue 6).
//!
//! | Route | Who |
//! |---|---|
//! | `POST /espace/seances/{id}/annulation` | the psychologist who recorded it, or a CPAM agent (form, CSRF) |
//! | `POST /api/seances/{id}/annulation` | the same, JSON `{"motif": "..."}` |
//!
//! Only the patient's most recent accepted session of the year can be cancelled (see
//! `msp_domain::cancellation`); the claim keeps its decision and is marked cancelled, the
//! patient's day and year counter are freed, the statistics take it back, and the audit log
//! says who cancelled it and why — all in one transaction.

// Handlers refuse with a ready French page; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use crate::AppState;
use crate::pages::auth::{CurrentUser, MaybeUser, blocking};
use crate::pages::sessions::api_problem;
use crate::pages::space::refusal;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use msp_domain::{CancelRefusal, Role};
use msp_store::pathway::{self, CancelFailure, Cancellation, Cancelled, Canceller, SessionLine};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Cancels `id` for `user`; the statistics are taken back in the same transaction.
async fn cancel(
    state: &AppState,
    user: &CurrentUser,
    id: String,
    motive: String,
) -> Result<Result<Cancelled, CancelFailure>, Response> {
    let (account_id, actor, cpam) = (
        user.account.id,
        user.actor(),
        user.role() == Role::AgentCpam,
    );
    blocking(state, move |db| {
        let by = Canceller {
            account_id,
            actor: &actor,
            is_cpam_agent: cpam,
        };
        pathway::cancel_session(
            db,
            &id,
            by,
            &motive,
            jiff::Timestamp::now(),
            &mut |tx, c| msp_stats::refresh::unfold_cancelled(tx, &c.claim_id),
        )
    })
    .await
}

/// HTTP status and French message of a failed cancellation.
fn failure(f: CancelFailure) -> (StatusCode, &'static str, String) {
    match f {
        CancelFailure::NotFound => (
            StatusCode::NOT_FOUND,
            "seance_introuvable",
            "Aucune séance saisie en ligne ne porte ce numéro.".into(),
        ),
        CancelFailure::NotYours => (
            StatusCode::FORBIDDEN,
            "acces_refuse",
            "Seuls le psychologue qui a saisi la séance et les agents de CPAM peuvent l’annuler."
                .into(),
        ),
        CancelFailure::Refused(r @ CancelRefusal::MissingMotive) => {
            (StatusCode::UNPROCESSABLE_ENTITY, r.code(), r.message())
        }
        CancelFailure::Refused(r) => (StatusCode::CONFLICT, r.code(), r.message()),
    }
}

/// A motive must not carry a NIR: it is written to the audit log.
fn motive_error(motive: &str) -> Option<String> {
    msp_domain::ids::could_hold_nir(motive)
        .then(|| "Motif d’annulation : n’y écrivez pas de numéro de sécurité sociale.".to_owned())
}

/// `POST /espace/seances/{id}/annulation`.
pub async fn cancel_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = user.require(&[Role::Psychologue, Role::AgentCpam]) {
        return r;
    }
    if let Err(r) = user.check_form(&form) {
        return r;
    }
    let motive = form.get("motif").cloned().unwrap_or_default();
    if let Some(m) = motive_error(&motive) {
        return refusal(
            Some(&user),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Annulation refusée",
            &m,
        );
    }
    match cancel(&state, &user, id.clone(), motive).await {
        Err(r) => r,
        Ok(Ok(_)) => Redirect::to(&format!("/espace/seances/{id}")).into_response(),
        Ok(Err(f)) => {
            let (status, _, message) = failure(f);
            refusal(Some(&user), status, "Annulation refusée", &message)
        }
    }
}

/// Body of `POST /api/seances/{id}/annulation`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CancelInput {
    /// Why the session is cancelled (5 characters at least, no NIR).
    pub motif: String,
}

/// Answer of a cancellation: the patient's year as it now stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CancelledJson {
    pub id: String,
    /// Always `annulee`.
    pub statut: &'static str,
    pub annee: i16,
    /// Sessions accepted this year after the cancellation.
    pub utilisees: u32,
}

/// `POST /api/seances/{id}/annulation`: cancels a session recorded by mistake (JSON body,
/// session cookie). Answers 200, or 401/403/404/409/415/422 with `{code, message}` in French.
#[utoipa::path(
    post,
    path = "/api/seances/{id}/annulation",
    tag = "seances",
    params(("id" = String, Path, description = "Numéro de la séance")),
    request_body = CancelInput,
    security(("session" = [])),
    responses(
        (status = 200, description = "Séance annulée : elle ne compte plus dans l’année du patient ni dans les paiements", body = CancelledJson),
        (status = 401, description = "Pas de session ouverte", body = crate::pages::sessions::ApiProblem),
        (status = 403, description = "Ni le psychologue qui a saisi la séance, ni un agent de CPAM", body = crate::pages::sessions::ApiProblem),
        (status = 404, description = "Aucune séance saisie en ligne ne porte ce numéro", body = crate::pages::sessions::ApiProblem),
        (status = 409, description = "Séance refusée, déjà annulée, ou suivie d’autres séances acceptées la même année", body = crate::pages::sessions::ApiProblem),
        (status = 415, description = "Corps qui n’est pas du JSON", body = crate::pages::sessions::ApiProblem),
        (status = 422, description = "Motif absent, trop court ou contenant un NIR", body = crate::pages::sessions::ApiProblem),
    )
)]
pub async fn cancel_api(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = match crate::api::support::signed_in(
        user,
        &[Role::Psychologue, Role::AgentCpam],
        "aux psychologues et aux agents de CPAM",
    ) {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(r) = crate::pages::sessions::require_json(&headers) {
        return r;
    }
    let input: CancelInput = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(_) => {
            return api_problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "json_invalide",
                "Corps JSON attendu : {\"motif\": \"…\"} (motif de l’annulation).",
            );
        }
    };
    if let Some(m) = motive_error(&input.motif) {
        return api_problem(StatusCode::UNPROCESSABLE_ENTITY, "motif_invalide", m);
    }
    match cancel(&state, &user, id, input.motif).await {
        Err(r) => r,
        Ok(Ok(c)) => axum::Json(CancelledJson {
            id: c.claim_id,
            statut: "annulee",
            annee: c.year.year,
            utilisees: c.year.accepted,
        })
        .into_response(),
        Ok(Err(f)) => {
            let (status, code, message) = failure(f);
            api_problem(status, code, message)
        }
    }
}

/// On the session page: the cancellation if there was one, else the form to cancel it for
/// those who may.
pub fn section(
    user: &CurrentUser,
    line: &SessionLine,
    done: Option<&Cancellation>,
    recorder: Option<i64>,
) -> Markup {
    if let Some(c) = done {
        return html! {
            div class="alert" role="status" {
                p { strong { "Séance annulée" } " le " (c.at.strftime("%d/%m/%Y")) " par " (c.by) " : " (c.motive) }
                p { "Elle ne compte plus dans les séances de l’année du patient et n’est pas remboursée." }
            }
        };
    }
    let may = line.decision.is_accepted()
        && (user.role() == Role::AgentCpam
            || (user.role() == Role::Psychologue && recorder == Some(user.account.id)));
    if !may {
        return html! {};
    }
    html! {
        details {
            summary { "Annuler cette séance (saisie par erreur)" }
            form method="post" action=(format!("/espace/seances/{}/annulation", line.claim_id)) {
                input type="hidden" name="_csrf" value=(user.csrf);
                p { "Seule la séance la plus récente du patient dans l’année peut être annulée. L’annulation est journalisée." }
                label for="motif" { "Motif de l’annulation" }
                input id="motif" name="motif" type="text" required minlength="5" maxlength="200";
                button type="submit" { "Annuler la séance" }
            }
        }
    }
}
