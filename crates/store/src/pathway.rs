//! The patient pathway on line: sessions recorded by psychologists (judged at once by the batch
//! engine, see [`crate::live`]) with the consents they attest, and the psychologist's view of
//! their own sessions.

use crate::claims::decision_from_row;
use crate::{Db, StoreError, StoreResult, Value};
use jiff::Timestamp;
use msp_domain::{Act, Cents, Claim, ClaimContext, Date, Decision, Nir, Rpps, Rules};

/// What the psychologist attests when recording a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consents {
    /// The patient agreed to be cared for in the programme.
    pub patient: bool,
    /// Minors: both holders of parental authority agreed in writing.
    pub parental: bool,
}

/// Judges and records one session and the consents, in one transaction: either everything is
/// stored or nothing.
pub fn record_session(
    db: &mut Db,
    rules: &Rules,
    now: Timestamp,
    claim: &Claim,
    account_id: i64,
    consents: Consents,
) -> StoreResult<Decision> {
    db.transaction(|tx| {
        let decision = crate::live::record_session(tx, rules, now, claim)?;
        tx.execute(
            "INSERT INTO session_records (claim_id, account_id, consent, parental_consent, recorded_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (claim_id) DO NOTHING",
            &[
                claim.claim_id.as_str().into(),
                Value::Int(account_id),
                consents.patient.into(),
                consents.parental.into(),
                now.into(),
            ],
        )?;
        Ok(decision)
    })
}

/// A recorded claim and its decision, as the psychologist, the patient and the CPAM see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLine {
    pub claim_id: String,
    pub rpps: Rpps,
    pub nir: Nir,
    pub session_date: Date,
    pub received_date: Date,
    pub act: Act,
    pub amount: Cents,
    pub context: ClaimContext,
    pub tiers_payant: bool,
    pub decision: Decision,
}

const LINE_COLUMNS: &str = "claim_id, rpps, nir, session_date, received_date, act, amount_cents, context, \
     tiers_payant, status, reason, rank, tariff_cents, amo_cents, amo_payee, complementary_cents, \
     complementary_payer, complementary_route, state_cents, patient_cents";

fn line_from_row(r: &crate::Row) -> StoreResult<SessionLine> {
    let bad = |what: &str| StoreError::Invalid(format!("séance enregistrée illisible : {what}"));
    Ok(SessionLine {
        claim_id: r.string(0)?,
        rpps: Rpps::parse(r.text(1)?).map_err(|e| StoreError::Invalid(e.to_string()))?,
        nir: Nir::parse(r.text(2)?).map_err(|e| StoreError::Invalid(e.to_string()))?,
        session_date: r.date(3)?,
        received_date: r.date(4)?,
        act: Act::parse(r.text(5)?).ok_or_else(|| bad("acte"))?,
        amount: Cents(r.int(6)?),
        context: ClaimContext::parse(r.text(7)?).ok_or_else(|| bad("contexte"))?,
        tiers_payant: r.bool(8)?,
        decision: decision_from_row(r, 9)?,
    })
}

/// One claim by id.
pub fn get_session(db: &mut Db, claim_id: &str) -> StoreResult<Option<SessionLine>> {
    db.query_opt(
        &format!("SELECT {LINE_COLUMNS} FROM claims WHERE claim_id = $1"),
        &[claim_id.into()],
    )?
    .as_ref()
    .map(line_from_row)
    .transpose()
}

/// A psychologist's claims of one calendar year, by session date then claim id.
pub fn sessions_of_psychologist(
    db: &mut Db,
    rpps: Rpps,
    year: i16,
) -> StoreResult<Vec<SessionLine>> {
    db.query(
        &format!(
            "SELECT {LINE_COLUMNS} FROM claims WHERE rpps = $1 AND session_year = $2
             ORDER BY session_date, claim_id"
        ),
        &[rpps.to_string().into(), Value::Int(year.into())],
    )?
    .iter()
    .map(line_from_row)
    .collect()
}

/// Whether this psychologist has at least one claim for this patient (accepted or not): the
/// psychologists who saw a patient may read the patient's sessions.
pub fn has_seen(db: &mut Db, rpps: Rpps, nir: &Nir) -> StoreResult<bool> {
    Ok(db
        .query_opt(
            "SELECT claim_id FROM claims WHERE rpps = $1 AND nir = $2 LIMIT 1",
            &[rpps.to_string().into(), nir.as_str().into()],
        )?
        .is_some())
}
