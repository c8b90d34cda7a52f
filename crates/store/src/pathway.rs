//! The patient pathway on line: sessions recorded by psychologists (judged at once by the batch
//! engine, see [`crate::live`]) with the consents they attest, and the psychologist's view of
//! their own sessions.

use crate::claims::decision_from_row;
use crate::{Db, StoreError, StoreResult, Value};
use jiff::Timestamp;
use msp_domain::{Act, Cents, Claim, ClaimContext, Date, Decision, Nir, ReferrerKind, Rpps, Rules};

/// What the psychologist attests when recording a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consents {
    /// The patient agreed to be cared for in the programme.
    pub patient: bool,
    /// Minors: both holders of parental authority agreed in writing.
    pub parental: bool,
    /// The patient agrees that a short report be sent to their médecin traitant (direct access:
    /// after the EEP and after the last session).
    pub report_to_gp: bool,
    /// The clinical inclusion criterion assessed (at the EEP, usually).
    pub inclusion: Option<msp_domain::InclusionCriterion>,
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
            "INSERT INTO session_records (claim_id, account_id, consent, parental_consent, recorded_at,
                 report_to_gp, inclusion)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (claim_id) DO NOTHING",
            &[
                claim.claim_id.as_str().into(),
                Value::Int(account_id),
                consents.patient.into(),
                consents.parental.into(),
                now.into(),
                consents.report_to_gp.into(),
                consents.inclusion.map(|c| c.code()).into(),
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
    /// The decision taken when the claim was judged (kept when the session is cancelled).
    pub decision: Decision,
    /// Cancelled after the fact (recorded by mistake): counts for nothing, pays nothing.
    pub cancelled: bool,
}

impl SessionLine {
    /// What this session pays: nothing when it was rejected or cancelled.
    pub fn paid(&self) -> Option<&msp_domain::Payment> {
        if self.cancelled {
            None
        } else {
            self.decision.payment()
        }
    }
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
        cancelled: r.text(9)? == "cancelled",
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

/// A referral letter (courrier d'adressage) issued in the system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// Verification code (8 characters of an unambiguous alphabet).
    pub code: String,
    pub account_id: i64,
    pub referrer_kind: ReferrerKind,
    pub referrer_name: String,
    pub referrer_id: String,
    pub patient_nir: Nir,
    pub patient_name: String,
    pub letter_date: Date,
    /// `maladie`, `ald`, `maternite`, `atmp` or `tiers` (accident caused by a third party).
    pub context: Option<String>,
    pub created_at: Timestamp,
}

const LETTER_COLUMNS: &str = "code, account_id, referrer_kind, referrer_name, referrer_id, patient_nir, \
     patient_name, letter_date, context, created_at";

fn letter_from_row(r: &crate::Row) -> StoreResult<Letter> {
    Ok(Letter {
        code: r.string(0)?,
        account_id: r.int(1)?,
        referrer_kind: ReferrerKind::parse(r.text(2)?)
            .ok_or_else(|| StoreError::Invalid("type de prescripteur".into()))?,
        referrer_name: r.string(3)?,
        referrer_id: r.string(4)?,
        patient_nir: Nir::parse(r.text(5)?).map_err(|e| StoreError::Invalid(e.to_string()))?,
        patient_name: r.string(6)?,
        letter_date: r.date(7)?,
        context: r.opt_string(8)?,
        created_at: r.timestamp(9)?,
    })
}

/// Stores a letter; `false` when its code is already taken (the caller draws another).
pub fn insert_letter(db: &mut Db, l: &Letter) -> StoreResult<bool> {
    let n = db.execute(
        &format!(
            "INSERT INTO referral_letters ({LETTER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (code) DO NOTHING"
        ),
        &[
            l.code.as_str().into(),
            Value::Int(l.account_id),
            l.referrer_kind.code().into(),
            l.referrer_name.as_str().into(),
            l.referrer_id.as_str().into(),
            l.patient_nir.as_str().into(),
            l.patient_name.as_str().into(),
            l.letter_date.into(),
            l.context.as_deref().into(),
            l.created_at.into(),
        ],
    )?;
    Ok(n == 1)
}

/// The letters an account issued, newest first.
pub fn letters_of(db: &mut Db, account_id: i64) -> StoreResult<Vec<Letter>> {
    db.query(
        &format!(
            "SELECT {LETTER_COLUMNS} FROM referral_letters WHERE account_id = $1
             ORDER BY created_at DESC, code"
        ),
        &[Value::Int(account_id)],
    )?
    .iter()
    .map(letter_from_row)
    .collect()
}

/// One letter by its verification code (canonical form).
pub fn letter_by_code(db: &mut Db, code: &str) -> StoreResult<Option<Letter>> {
    db.query_opt(
        &format!("SELECT {LETTER_COLUMNS} FROM referral_letters WHERE code = $1"),
        &[code.into()],
    )?
    .as_ref()
    .map(letter_from_row)
    .transpose()
}

/// Ties a patient's account to their NIR.
pub fn link_patient(db: &mut Db, account_id: i64, nir: &Nir) -> StoreResult<()> {
    let n = db.execute(
        "INSERT INTO patient_accounts (account_id, nir) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[Value::Int(account_id), nir.as_str().into()],
    )?;
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            "un compte patient existe déjà pour cet assuré".into(),
        ))
    }
}

/// The NIR of a patient's account.
pub fn patient_nir(db: &mut Db, account_id: i64) -> StoreResult<Option<Nir>> {
    db.query_opt(
        "SELECT nir FROM patient_accounts WHERE account_id = $1",
        &[Value::Int(account_id)],
    )?
    .map(|r| Nir::parse(r.text(0)?).map_err(|e| StoreError::Invalid(e.to_string())))
    .transpose()
}

/// A patient's claims of one calendar year, every psychologist, by session date.
pub fn sessions_of_patient(db: &mut Db, nir: &Nir, year: i16) -> StoreResult<Vec<SessionLine>> {
    db.query(
        &format!(
            "SELECT {LINE_COLUMNS} FROM claims WHERE nir = $1 AND session_year = $2
             ORDER BY session_date, claim_id"
        ),
        &[nir.as_str().into(), Value::Int(year.into())],
    )?
    .iter()
    .map(line_from_row)
    .collect()
}

/// « Prénom NOM » of a psychologist from the national registry, if known.
pub fn psychologist_name(db: &mut Db, rpps: Rpps) -> StoreResult<Option<String>> {
    db.query_opt(
        "SELECT first_name, last_name FROM registry WHERE rpps = $1",
        &[rpps.to_string().into()],
    )?
    .map(|r| Ok(format!("{} {}", r.text(0)?, r.text(1)?)))
    .transpose()
}

/// Who cancels a session: the psychologist who recorded it, or a CPAM agent.
#[derive(Debug, Clone, Copy)]
pub struct Canceller<'a> {
    pub account_id: i64,
    /// « email (rôle) », for the audit log.
    pub actor: &'a str,
    pub is_cpam_agent: bool,
}

/// A cancelled session, handed to the caller's hook inside the cancelling transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled {
    pub claim_id: String,
    pub batch_id: i64,
    pub nir: Nir,
    pub session_date: Date,
    /// The patient's year as it now stands.
    pub year: msp_domain::YearCounter,
}

/// Why nothing was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelFailure {
    /// No session recorded on line with this id.
    NotFound,
    /// Recorded by another psychologist.
    NotYours,
    Refused(msp_domain::CancelRefusal),
}

/// When and why a session was cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    pub at: Timestamp,
    pub by: String,
    pub motive: String,
}

/// Cancels a session recorded on line by mistake, in one transaction with the ledger locked:
/// the claim takes the status `cancelled`, the patient's day and year counter are freed, the
/// cancellation is recorded and audited, and `after` runs (the statistics take it back).
/// Anything refused leaves everything as it was.
pub fn cancel_session(
    db: &mut Db,
    claim_id: &str,
    by: Canceller<'_>,
    motive: &str,
    now: Timestamp,
    after: &mut dyn FnMut(&mut Db, &Cancelled) -> StoreResult<()>,
) -> StoreResult<Result<Cancelled, CancelFailure>> {
    db.transaction(|tx| {
        crate::claims::lock_ledger(tx)?;
        let Some(r) = tx.query_opt(
            "SELECT c.batch_id, c.nir, c.session_date, c.status, c.rank, s.account_id
             FROM claims c JOIN session_records s ON s.claim_id = c.claim_id
             WHERE c.claim_id = $1",
            &[claim_id.into()],
        )?
        else {
            return Ok(Err(CancelFailure::NotFound));
        };
        if !by.is_cpam_agent && r.int(5)? != by.account_id {
            return Ok(Err(CancelFailure::NotYours));
        }
        let batch_id = r.int(0)?;
        let nir = Nir::parse(r.text(1)?).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let session_date = r.date(2)?;
        let state = match r.text(3)? {
            "cancelled" => msp_domain::ClaimState::Cancelled,
            "rejected" => msp_domain::ClaimState::Rejected,
            _ => msp_domain::ClaimState::Accepted {
                rank: u32::try_from(r.opt_int(4)?.unwrap_or(0)).unwrap_or(0),
            },
        };
        let mut history = crate::claims::load_patient_history(tx, &nir)?;
        let year = match msp_domain::cancellation::cancel(&mut history, state, session_date, motive)
        {
            Ok(year) => year,
            Err(refusal) => return Ok(Err(CancelFailure::Refused(refusal))),
        };
        let motive = motive.trim();
        tx.execute(
            "UPDATE claims SET status = 'cancelled' WHERE claim_id = $1",
            &[claim_id.into()],
        )?;
        tx.execute(
            "DELETE FROM accepted_sessions WHERE nir = $1 AND session_date = $2",
            &[nir.as_str().into(), session_date.into()],
        )?;
        tx.execute(
            "UPDATE patient_years SET accepted = $1, first_eep = $2 WHERE nir = $3 AND year = $4",
            &[
                Value::Int(year.accepted.into()),
                year.first_eep.into(),
                nir.as_str().into(),
                Value::Int(year.year.into()),
            ],
        )?;
        tx.execute(
            "UPDATE session_records SET cancelled_at = $1, cancelled_by = $2, cancel_reason = $3
             WHERE claim_id = $4",
            &[now.into(), by.actor.into(), motive.into(), claim_id.into()],
        )?;
        crate::audit::record(
            tx,
            &crate::audit::AuditEntry {
                at: now,
                actor: by.actor.to_owned(),
                action: "annulation".into(),
                subject_kind: "seance".into(),
                subject_id: claim_id.to_owned(),
                reason: motive.to_owned(),
            },
        )?;
        let done = Cancelled {
            claim_id: claim_id.to_owned(),
            batch_id,
            nir,
            session_date,
            year,
        };
        after(tx, &done)?;
        Ok(Ok(done))
    })
}

/// When, by whom and why a session was cancelled, if it was.
pub fn cancellation(db: &mut Db, claim_id: &str) -> StoreResult<Option<Cancellation>> {
    db.query_opt(
        "SELECT cancelled_at, cancelled_by, cancel_reason FROM session_records
         WHERE claim_id = $1 AND cancelled_at IS NOT NULL",
        &[claim_id.into()],
    )?
    .map(|r| {
        Ok(Cancellation {
            at: r.timestamp(0)?,
            by: r.opt_string(1)?.unwrap_or_default(),
            motive: r.opt_string(2)?.unwrap_or_default(),
        })
    })
    .transpose()
}

/// The account that recorded a session on line (`None` for a claim from a batch file).
pub fn recorded_by(db: &mut Db, claim_id: &str) -> StoreResult<Option<i64>> {
    db.query_opt(
        "SELECT account_id FROM session_records WHERE claim_id = $1",
        &[claim_id.into()],
    )?
    .map(|r| r.int(0))
    .transpose()
}

/// What the psychologist attested when recording a session on line (`None` for a batch claim).
pub fn attestations(db: &mut Db, claim_id: &str) -> StoreResult<Option<Consents>> {
    db.query_opt(
        "SELECT consent, parental_consent, report_to_gp, inclusion FROM session_records
         WHERE claim_id = $1",
        &[claim_id.into()],
    )?
    .map(|r| {
        Ok(Consents {
            patient: r.bool(0)?,
            parental: r.bool(1)?,
            report_to_gp: r.bool(2)?,
            inclusion: r
                .opt_string(3)?
                .and_then(|c| msp_domain::InclusionCriterion::parse(&c)),
        })
    })
    .transpose()
}
