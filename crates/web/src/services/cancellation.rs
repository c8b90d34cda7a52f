//! Cancelling a session recorded by mistake: only the patient's most recent accepted session of
//! the year (see `msp_domain::cancellation`), by the psychologist who recorded it or a CPAM
//! agent. The claim keeps its decision and is marked cancelled, the patient's day and year
//! counter are freed, the statistics take it back and the audit log says who cancelled it and
//! why, in one transaction.

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{CpamAgent, CurrentUser};
use crate::services::territory;
use msp_domain::{CancelRefusal, Role};
use msp_store::pathway::{self, CancelFailure, Canceller};

/// A session cancelled, and the patient's year as it now stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelOutcome {
    pub claim_id: String,
    pub year: i16,
    /// Sessions accepted that year after the cancellation.
    pub used: u32,
}

fn refusal(f: CancelFailure) -> AppError {
    match f {
        CancelFailure::NotFound => AppError::not_found(
            "seance_introuvable",
            "Aucune séance saisie en ligne ne porte ce numéro.",
        ),
        CancelFailure::NotYours => AppError::forbidden(
            "acces_refuse",
            "Seuls le psychologue qui a saisi la séance et les agents de CPAM peuvent l’annuler.",
        ),
        CancelFailure::Refused(r @ CancelRefusal::MissingMotive) => {
            AppError::invalid(r.code(), r.message()).field("motif")
        }
        CancelFailure::Refused(r) => AppError::conflict(r.code(), r.message()),
    }
}

/// Cancels session `id` for `by` (the psychologist who recorded it, or a CPAM agent) with a
/// motive (5 characters at least, no NIR: it goes to the audit log).
pub async fn cancel_session(
    state: &AppState,
    by: &CurrentUser,
    id: &str,
    motive: &str,
) -> AppResult<CancelOutcome> {
    by.require_role(
        &[Role::Psychologue, Role::AgentCpam],
        "aux psychologues et aux agents de CPAM",
    )?;
    if msp_domain::ids::could_hold_nir(motive) {
        return Err(AppError::invalid(
            "motif_invalide",
            "Motif d’annulation : n’y écrivez pas de numéro de sécurité sociale.",
        )
        .field("motif"));
    }
    if let Some(agent) = CpamAgent::of(by)
        && agent.territory.is_some()
    {
        let key = id.to_owned();
        if let Some(line) = state.db(move |db| pathway::get_session(db, &key)).await? {
            state
                .db(move |db| territory::check_session(db, &agent, &line.nir, line.rpps))
                .await??;
        }
    }
    let (account_id, actor, cpam) = (by.account.id, by.actor(), by.role() == Role::AgentCpam);
    let (id, motive) = (id.to_owned(), motive.to_owned());
    let done = state
        .db(move |db| {
            pathway::cancel_session(
                db,
                &id,
                Canceller {
                    account_id,
                    actor: &actor,
                    is_cpam_agent: cpam,
                },
                &motive,
                jiff::Timestamp::now(),
                &mut |tx, c| msp_stats::refresh::unfold_cancelled(tx, &c.claim_id),
            )
        })
        .await?
        .map_err(refusal)?;
    Ok(CancelOutcome {
        claim_id: done.claim_id,
        year: done.year.year,
        used: done.year.accepted,
    })
}
