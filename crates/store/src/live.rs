//! Live recording of a session by a psychologist: the same engine as batch adjudication, one
//! claim at a time, decided at once. Writers of the ledger are serialised (see
//! [`crate::claims::lock_ledger`]), so two psychologists recording a patient's last session at
//! the same moment get one acceptance and one `PLAFOND`.

use crate::claims::{BatchOutcome, adjudicate_batch, load_patient_history};
use crate::{Db, StoreResult};
use jiff::Timestamp;
use msp_domain::{Act, Claim, Date, Decision, Nir, Rules};

/// Judges and records one session; returns its decision (a claim id seen before gets its
/// earlier decision again).
pub fn record_session(
    db: &mut Db,
    rules: &Rules,
    now: Timestamp,
    claim: &Claim,
) -> StoreResult<Decision> {
    let BatchOutcome { decisions, .. } = adjudicate_batch(
        db,
        rules,
        crate::liquidation::ONLINE_SOURCE,
        now,
        std::slice::from_ref(claim),
        &|_, _, _| {},
    )?;
    Ok(decisions[0])
}

/// Where a patient stands in a calendar year, across all psychologists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearStanding {
    /// Accepted sessions in the calendar year of `on`.
    pub used: u32,
    /// Paid sessions still possible this year under the regime in force on `on`.
    pub remaining: u32,
    /// The next session of the year must be an EEP.
    pub eep_due: bool,
}

/// What a psychologist sees before recording a session for `nir` on `on`.
pub fn year_standing(db: &mut Db, rules: &Rules, nir: &Nir, on: Date) -> StoreResult<YearStanding> {
    let history = load_patient_history(db, nir)?;
    let year = history.year(on.year());
    let ceiling = rules.regime_on(on).map_or(0, |r| r.sessions_per_year);
    Ok(YearStanding {
        used: year.accepted,
        remaining: ceiling.saturating_sub(year.accepted),
        eep_due: rules.first_session_must_be_eep && year.first_eep.is_none(),
    })
}

/// Where a patient stood at the end of the day `on`: the accepted sessions of that calendar
/// year dated `on` or before (a session page's running totals: a later session of the year is
/// not counted yet).
pub fn year_standing_as_of(
    db: &mut Db,
    rules: &Rules,
    nir: &Nir,
    on: Date,
) -> StoreResult<YearStanding> {
    let history = load_patient_history(db, nir)?;
    let year = history.year(on.year());
    let in_year = |d: Date| d.year() == on.year();
    let listed = history.sessions.iter().filter(|s| in_year(s.date)).count();
    let up_to: Vec<_> = history
        .sessions
        .iter()
        .filter(|s| in_year(s.date) && s.date <= on)
        .collect();
    // Sessions counted without their dates (imported counters) are taken as earlier ones.
    let undated = year
        .accepted
        .saturating_sub(u32::try_from(listed).unwrap_or(u32::MAX));
    let used = undated + u32::try_from(up_to.len()).unwrap_or(u32::MAX);
    let ceiling = rules.regime_on(on).map_or(0, |r| r.sessions_per_year);
    let eep_done =
        year.first_eep.is_some_and(|d| d <= on) || up_to.iter().any(|s| s.act == Act::Eep);
    Ok(YearStanding {
        used,
        remaining: ceiling.saturating_sub(used),
        eep_due: rules.first_session_must_be_eep && !eep_done,
    })
}

/// The act the next session should be billed as.
pub fn next_act(standing: &YearStanding) -> Act {
    if standing.eep_due { Act::Eep } else { Act::Aps }
}
