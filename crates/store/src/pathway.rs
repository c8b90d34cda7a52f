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
