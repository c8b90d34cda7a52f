//! The territory of a CPAM agent (SPEC §2: each role within its territory). An agent's account
//! may carry a département code; such an agent reads and acts only on what belongs to that
//! CPAM, and a national agent (no département) on everything. Every service an agent reaches
//! asks here, so the pages and the JSON API cannot differ:
//!
//! - an application belongs to the département of its main practice address;
//! - a psychologist, to that of their accepted application's main practice, or to the CPAM of
//!   any of their conventions;
//! - a patient's session, to the patient's CPAM (the département of the beneficiary's commune)
//!   **or** the CPAM of the psychologist's convention: both funds handle it;
//! - rejected claims follow the sessions' rule (`msp_store::liquidation::rejects`); batches
//!   span départements and are for national agents only (`claims::require_national`).
//!
//! Out of territory is 403 `hors_territoire`, checked after the thing was found (an unknown
//! number stays 404): see docs/choices.md.

use crate::error::AppError;
use crate::extract::CpamAgent;
use msp_domain::{Nir, Rpps};
use msp_store::enrolment::Application;
use msp_store::{Db, StoreError};

/// The département of a commune (INSEE code), from the communes reference.
pub fn departement_of(insee: &str) -> Option<&'static str> {
    msp_geo::communes()
        .by_insee(insee)
        .map(|c| c.departement.as_str())
}

/// The refusal of something outside the agent's département.
pub fn out_of_territory(territory: &str, what: &str) -> AppError {
    AppError::forbidden(
        "hors_territoire",
        format!("{what} relève d’une autre CPAM que la vôtre (département {territory})."),
    )
}

/// Whether the territory covers an application: the département of its main practice.
pub fn covers_application(territory: Option<&str>, app: &Application) -> bool {
    let Some(territory) = territory else {
        return true;
    };
    departement_of(&app.fields.address1.insee) == Some(territory)
}

/// Whether the territory covers a psychologist: their accepted application's main practice,
/// or a convention with that CPAM.
pub fn covers_psychologist(
    db: &mut Db,
    territory: Option<&str>,
    rpps: Rpps,
    app: Option<&Application>,
) -> Result<bool, StoreError> {
    let Some(t) = territory else {
        return Ok(true);
    };
    if app.is_some_and(|a| covers_application(Some(t), a)) {
        return Ok(true);
    }
    msp_store::enrolment::conventioned_by(db, rpps, t)
}

/// Whether the territory covers a patient's session with a psychologist: the patient's CPAM
/// (the département of the beneficiary's commune) or the psychologist's convention CPAM.
pub fn covers_session(
    db: &mut Db,
    territory: Option<&str>,
    nir: &Nir,
    rpps: Rpps,
) -> Result<bool, StoreError> {
    let Some(t) = territory else {
        return Ok(true);
    };
    let patient_commune =
        msp_store::claims::load_beneficiary(db, nir)?.and_then(|b| b.commune_insee);
    if patient_commune.as_deref().and_then(departement_of) == Some(t) {
        return Ok(true);
    }
    msp_store::enrolment::conventioned_by(db, rpps, t)
}

/// [`covers_session`] for an agent, as a refusal.
pub fn check_session(
    db: &mut Db,
    agent: &CpamAgent,
    nir: &Nir,
    rpps: Rpps,
) -> Result<Result<(), AppError>, StoreError> {
    Ok(
        match covers_session(db, agent.territory.as_deref(), nir, rpps)? {
            true => Ok(()),
            false => Err(out_of_territory(
                agent.territory.as_deref().unwrap_or_default(),
                "Cette séance",
            )),
        },
    )
}
