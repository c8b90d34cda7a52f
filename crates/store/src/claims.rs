//! Batch adjudication against the store: load what the batch needs, let the pure engine judge,
//! record claims, decisions and counters — all in one transaction, so a batch commits whole or
//! not at all, and a killed run leaves no trace.

use crate::db::Param;
use crate::{Backend, Db, StoreError, StoreResult, Value};
use jiff::Timestamp;
use msp_domain::{
    AcceptedSession, Act, AmcRoute, AmoPayee, Beneficiary, Cents, Claim, ComplementaryPayer,
    Decision, FactsMap, FastMap, FastSet, InsuranceRegime, Ledger, Nir, Payment, Period,
    PsychologistRights, Reason, Rpps, Rules, Sex, YearCounter,
};

/// What a batch did.
#[derive(Debug, Clone)]
pub struct BatchOutcome {
    pub batch_id: i64,
    /// One decision per input claim, in input order.
    pub decisions: Vec<Decision>,
    /// Claims whose id was judged by an earlier batch: their decision is reported again.
    pub already_judged: usize,
}

/// Progress of a long batch: `(stage, done, total)`.
pub type Progress<'a> = &'a dyn Fn(&'static str, u64, u64);

const CHUNK: usize = 5_000;

/// Serialises writers of the ledger (batch adjudication, live session recording). SQLite's
/// `BEGIN IMMEDIATE` already does; PostgreSQL takes a transaction-scoped advisory lock.
pub fn lock_ledger(db: &mut Db) -> StoreResult<()> {
    if db.backend() == Backend::Postgres {
        db.query("SELECT CAST(pg_advisory_xact_lock(7001) AS TEXT)", &[])?;
    }
    Ok(())
}

/// What a batch recorded, handed to a [`BatchHook`] inside the batch's transaction: the rows
/// written to `claims` (first occurrence of each id not judged before) with their decisions,
/// and the facts they were judged on.
pub struct JudgedBatch<'a> {
    pub batch_id: i64,
    pub rows: &'a [(&'a Claim, &'a Decision)],
    pub facts: &'a FactsMap,
}

/// Work done inside the batch's transaction once it is judged (the statistics summaries, folded
/// from the batch in memory rather than read back from the claims it just wrote).
pub type BatchHook<'a> = &'a mut dyn FnMut(&mut Db, &JudgedBatch<'_>) -> StoreResult<()>;

/// Judges `claims` and records everything in one transaction.
pub fn adjudicate_batch(
    db: &mut Db,
    rules: &Rules,
    source: &str,
    now: Timestamp,
    claims: &[Claim],
    progress: Progress<'_>,
) -> StoreResult<BatchOutcome> {
    adjudicate_batch_with(db, rules, source, now, claims, progress, &mut |_, _| Ok(()))
}

/// [`adjudicate_batch`], running `hook` inside the transaction after the batch is written.
pub fn adjudicate_batch_with(
    db: &mut Db,
    rules: &Rules,
    source: &str,
    now: Timestamp,
    claims: &[Claim],
    progress: Progress<'_>,
    hook: BatchHook<'_>,
) -> StoreResult<BatchOutcome> {
    db.transaction(|tx| {
        lock_ledger(tx)?;
        let earlier = earlier_decisions(tx, claims)?;
        progress("décisions antérieures", earlier.len() as u64, claims.len() as u64);
        let fresh: Vec<&Claim> = claims.iter().filter(|c| !earlier.contains_key(&c.claim_id)).collect();
        let facts = load_facts(tx, &fresh)?;
        let mut ledger = load_ledger(tx)?;
        progress("historique chargé", fresh.len() as u64, claims.len() as u64);
        let msp_domain::BatchDecisions { decisions: judged, first } =
            msp_domain::judge_batch_marked(rules, &facts, &mut ledger, &fresh);
        progress("jugement", fresh.len() as u64, claims.len() as u64);

        let batch_id = tx
            .query_one(
                "INSERT INTO batches (source, started_at, claims, accepted, rejected) VALUES ($1, $2, 0, 0, 0) RETURNING batch_id",
                &[source.into(), now.into()],
            )?
            .int(0)?;
        let rows = new_rows(&fresh, &judged, &first);
        drop(first);
        record(tx, batch_id, &rows, &ledger, progress)?;
        hook(tx, &JudgedBatch { batch_id, rows: &rows, facts: &facts })?;
        drop(rows);
        drop((facts, ledger));
        let decisions = if earlier.is_empty() {
            judged // every claim is fresh: already in input order, no second copy
        } else {
            let mut fresh_decisions = judged.into_iter();
            claims
                .iter()
                .map(|c| match earlier.get(&c.claim_id) {
                    Some(d) => *d,
                    None => fresh_decisions.next().expect("one decision per fresh claim"),
                })
                .collect()
        };
        // The decisions not written to `claims` (repeated ids) are kept with the batch, so that
        // its decisions file and its counts hold every row, as the command line gives them.
        record_repeats(tx, batch_id, claims, &decisions, &earlier)?;
        let accepted = decisions.iter().filter(|d| matches!(d, Decision::Accepted(_))).count() as i64;
        tx.execute(
            "UPDATE batches SET claims = $1, accepted = $2, rejected = $3 WHERE batch_id = $4",
            &[
                Value::Int(claims.len() as i64),
                Value::Int(accepted),
                Value::Int(claims.len() as i64 - accepted),
                Value::Int(batch_id),
            ],
        )?;
        Ok(BatchOutcome { batch_id, decisions, already_judged: claims.len() - fresh.len() })
    })
}

/// Records the decisions of `claims` that the batch did not write to `claims` (ids judged by an
/// earlier batch, and every occurrence of an id after its first), by position in the file.
fn record_repeats(
    db: &mut Db,
    batch_id: i64,
    claims: &[Claim],
    decisions: &[Decision],
    earlier: &FastMap<String, Decision>,
) -> StoreResult<()> {
    let mut seen: FastSet<&str> = FastSet::default();
    let mut values: Vec<Param<'_>> = Vec::new();
    let mut rows = 0;
    for (i, (c, d)) in claims.iter().zip(decisions).enumerate() {
        let first = seen.insert(c.claim_id.as_str());
        if first && !earlier.contains_key(&c.claim_id) {
            continue;
        }
        values.extend([
            Param::Int(batch_id),
            Param::Int(i as i64),
            Param::Text(&c.claim_id),
        ]);
        decision_params(d, &mut values);
        rows += 1;
        if rows == CHUNK {
            db.insert_params(REPEAT_INSERT, REPEAT_COLUMNS, &values, "")?;
            values.clear();
            rows = 0;
        }
    }
    if rows > 0 {
        db.insert_params(REPEAT_INSERT, REPEAT_COLUMNS, &values, "")?;
    }
    Ok(())
}

const REPEAT_INSERT: &str = "INSERT INTO batch_repeats (batch_id, position, claim_id, status, reason, rank, \
     tariff_cents, amo_cents, amo_payee, complementary_cents, complementary_payer, complementary_route, \
     state_cents, patient_cents)";
const REPEAT_COLUMNS: usize = 14;

/// Appends a decision's columns, in [`DECISION_COLUMNS`] order.
fn decision_params<'a>(d: &Decision, v: &mut Vec<Param<'a>>) {
    v.extend([Param::Text(d.status()), d.reason().map(Reason::code).into()]);
    payment_params(d, v);
}

fn payment_params<'a>(d: &Decision, v: &mut Vec<Param<'a>>) {
    match d.payment() {
        Some(p) => v.extend([
            Param::Int(p.rank.into()),
            Param::Int(p.tariff.0),
            Param::Int(p.amo.0),
            Param::Text(p.amo_payee.code()),
            Param::Int(p.complementary.0),
            Param::Text(p.complementary_payer.code()),
            Param::Text(p.complementary_route.code()),
            Param::Int(p.state.0),
            Param::Int(p.patient.0),
        ]),
        None => v.extend(std::iter::repeat_n(Param::Null, 9)),
    }
}

/// Creates (once per connection) and fills a temporary key table with the distinct `keys`
/// (distinct here, so that PostgreSQL can take them as one `COPY`).
fn temp_keys(db: &mut Db, table: &str, keys: &[&str]) -> StoreResult<()> {
    // SQLite joins by probing this table's key; PostgreSQL hash-joins it, and an index on
    // millions of staged keys would cost more than it saves.
    let key = match db.backend() {
        Backend::Sqlite => "PRIMARY KEY",
        Backend::Postgres => "",
    };
    db.batch(&format!(
        "CREATE TEMP TABLE IF NOT EXISTS {table} (k TEXT NOT NULL {key}); DELETE FROM {table};"
    ))?;
    let mut seen: FastSet<&str> = FastSet::default();
    seen.reserve(keys.len());
    let distinct: Vec<Param<'_>> = keys
        .iter()
        .filter(|k| seen.insert(k))
        .map(|k| Param::Text(k))
        .collect();
    drop(seen);
    for chunk in distinct.chunks(CHUNK * 20) {
        db.insert_params(&format!("INSERT INTO {table} (k)"), 1, chunk, "")?;
    }
    if db.backend() == Backend::Postgres {
        // A fresh temporary table has no statistics: without them PostgreSQL plans the join
        // with the ledger tables for a handful of rows.
        db.batch(&format!("ANALYZE {table}"))?;
    }
    Ok(())
}

const DECISION_COLUMNS: &str = "status, reason, rank, tariff_cents, amo_cents, amo_payee, complementary_cents, \
     complementary_payer, complementary_route, state_cents, patient_cents";

fn earlier_decisions(db: &mut Db, claims: &[Claim]) -> StoreResult<FastMap<String, Decision>> {
    // An empty ledger (the first batch) has no earlier decision: no need to stage the ids.
    if db.query("SELECT 1 FROM claims LIMIT 1", &[])?.is_empty() {
        return Ok(FastMap::default());
    }
    let ids: Vec<&str> = claims.iter().map(|c| c.claim_id.as_str()).collect();
    temp_keys(db, "batch_claim_ids", &ids)?;
    let rows = db.query(
        &format!("SELECT c.claim_id, {DECISION_COLUMNS} FROM claims c JOIN batch_claim_ids b ON b.k = c.claim_id"),
        &[],
    )?;
    rows.iter()
        .map(|r| Ok((r.string(0)?, decision_from_row(r, 1)?)))
        .collect()
}

/// Rebuilds a decision from its columns starting at `at` (in `DECISION_COLUMNS` order).
pub fn decision_from_row(r: &crate::Row, at: usize) -> StoreResult<Decision> {
    let bad = |what: &str| StoreError::Invalid(format!("décision enregistrée illisible : {what}"));
    if r.text(at)? == "rejected" {
        let code = r.text(at + 1)?;
        return Ok(Decision::Rejected(
            Reason::parse(code).ok_or_else(|| bad(code))?,
        ));
    }
    let cents = |i: usize| -> StoreResult<Cents> { Ok(Cents(r.int(at + i)?)) };
    Ok(Decision::Accepted(Payment {
        rank: u32::try_from(r.int(at + 2)?).map_err(|_| bad("rang"))?,
        tariff: cents(3)?,
        amo: cents(4)?,
        amo_payee: AmoPayee::parse(r.text(at + 5)?).ok_or_else(|| bad("amo_payee"))?,
        complementary: cents(6)?,
        complementary_payer: ComplementaryPayer::parse(r.text(at + 7)?)
            .ok_or_else(|| bad("complementary_payer"))?,
        complementary_route: AmcRoute::parse(r.text(at + 8)?)
            .ok_or_else(|| bad("complementary_route"))?,
        state: cents(9)?,
        patient: cents(10)?,
    }))
}

fn rpps_of(text: &str) -> StoreResult<Rpps> {
    Rpps::parse(text).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn nir_of(text: &str) -> StoreResult<Nir> {
    Nir::parse(text).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn period(r: &crate::Row, from: usize, to: usize) -> StoreResult<Option<Period>> {
    Ok(r.opt_date(from)?
        .map(|f| Period::new(f, r.opt_date(to).ok().flatten())))
}

/// Conventions, suspensions and exclusions of every psychologist (tens of thousands at most).
pub fn load_psychologist_rights(db: &mut Db) -> StoreResult<FastMap<Rpps, PsychologistRights>> {
    let mut out: FastMap<Rpps, PsychologistRights> = FastMap::default();
    for r in db.query("SELECT rpps, start_date, end_date FROM conventions", &[])? {
        out.entry(rpps_of(r.text(0)?)?)
            .or_default()
            .conventions
            .push(Period::new(r.date(1)?, r.opt_date(2)?));
    }
    for r in db.query("SELECT rpps, from_date, to_date FROM suspensions", &[])? {
        out.entry(rpps_of(r.text(0)?)?)
            .or_default()
            .suspensions
            .push(Period::new(r.date(1)?, r.opt_date(2)?));
    }
    for r in db.query("SELECT rpps, from_date FROM psychologist_exclusions", &[])? {
        out.entry(rpps_of(r.text(0)?)?).or_default().excluded_from = Some(r.date(1)?);
    }
    Ok(out)
}

const BENEFICIARY_COLUMNS: &str = "nir, birth_date, sex, regime, rights_from, rights_to, ame_from, ame_to, \
     c2s_from, c2s_to, amc_id, noemie, commune_insee";

fn beneficiary_from_row(r: &crate::Row) -> StoreResult<Beneficiary> {
    Ok(Beneficiary {
        nir: nir_of(r.text(0)?)?,
        birth_date: r.date(1)?,
        sex: Sex::parse(r.text(2)?).ok_or_else(|| StoreError::Invalid("sexe".into()))?,
        regime: InsuranceRegime::parse(r.text(3)?)
            .ok_or_else(|| StoreError::Invalid("régime".into()))?,
        rights: period(r, 4, 5)?,
        ame: period(r, 6, 7)?,
        c2s: period(r, 8, 9)?,
        amc_id: r.opt_string(10)?,
        noemie: r.bool(11)?,
        commune_insee: r.opt_string(12)?,
        exclusions: Vec::new(),
    })
}

/// One beneficiary with their exclusion periods.
pub fn load_beneficiary(db: &mut Db, nir: &Nir) -> StoreResult<Option<Beneficiary>> {
    let Some(row) = db.query_opt(
        &format!("SELECT {BENEFICIARY_COLUMNS} FROM beneficiaries WHERE nir = $1"),
        &[nir.as_str().into()],
    )?
    else {
        return Ok(None);
    };
    let mut b = beneficiary_from_row(&row)?;
    for r in db.query(
        "SELECT from_date, to_date FROM patient_exclusions WHERE nir = $1",
        &[nir.as_str().into()],
    )? {
        b.exclusions.push(Period::new(r.date(0)?, r.opt_date(1)?));
    }
    Ok(Some(b))
}

fn load_facts(db: &mut Db, claims: &[&Claim]) -> StoreResult<FactsMap> {
    let nirs: Vec<&str> = claims
        .iter()
        .map(|c| c.nir.as_str())
        .collect::<FastSet<_>>()
        .into_iter()
        .collect();
    temp_keys(db, "batch_nirs", &nirs)?;
    let mut beneficiaries = FastMap::default();
    beneficiaries.reserve(nirs.len());
    for r in db.query(
        &format!("SELECT {BENEFICIARY_COLUMNS} FROM beneficiaries JOIN batch_nirs ON k = nir"),
        &[],
    )? {
        let b = beneficiary_from_row(&r)?;
        beneficiaries.insert(b.nir, b);
    }
    for r in db.query(
        "SELECT nir, from_date, to_date FROM patient_exclusions JOIN batch_nirs ON k = nir",
        &[],
    )? {
        if let Some(b) = beneficiaries.get_mut(&nir_of(r.text(0)?)?) {
            b.exclusions.push(Period::new(r.date(1)?, r.opt_date(2)?));
        }
    }
    Ok(FactsMap {
        psychologists: load_psychologist_rights(db)?,
        beneficiaries,
    })
}

/// The ledger of the batch's patients (expects `batch_nirs` filled by `load_facts`).
fn load_ledger(db: &mut Db) -> StoreResult<Ledger> {
    let mut ledger = Ledger::default();
    for r in db.query(
        "SELECT nir, session_date, rpps, act FROM accepted_sessions JOIN batch_nirs ON k = nir",
        &[],
    )? {
        let session = session_from_row(&r, 1)?;
        ledger
            .patients
            .entry(nir_of(r.text(0)?)?)
            .or_default()
            .sessions
            .push(session);
    }
    for r in db.query(
        "SELECT nir, year, accepted, first_eep FROM patient_years JOIN batch_nirs ON k = nir",
        &[],
    )? {
        let counter = counter_from_row(&r, 1)?;
        ledger
            .patients
            .entry(nir_of(r.text(0)?)?)
            .or_default()
            .years
            .push(counter);
    }
    Ok(ledger)
}

/// The history of one patient (for live recording and the patient's space).
pub fn load_patient_history(db: &mut Db, nir: &Nir) -> StoreResult<msp_domain::PatientHistory> {
    let mut h = msp_domain::PatientHistory::default();
    for r in db.query(
        "SELECT session_date, rpps, act FROM accepted_sessions WHERE nir = $1",
        &[nir.as_str().into()],
    )? {
        h.sessions.push(session_from_row(&r, 0)?);
    }
    for r in db.query(
        "SELECT year, accepted, first_eep FROM patient_years WHERE nir = $1",
        &[nir.as_str().into()],
    )? {
        h.years.push(counter_from_row(&r, 0)?);
    }
    Ok(h)
}

/// `session_date, rpps, act` starting at column `at`.
fn session_from_row(r: &crate::Row, at: usize) -> StoreResult<AcceptedSession> {
    Ok(AcceptedSession {
        date: r.date(at)?,
        rpps: rpps_of(r.text(at + 1)?)?,
        act: Act::parse(r.text(at + 2)?).ok_or_else(|| StoreError::Invalid("acte".into()))?,
    })
}

/// `year, accepted, first_eep` starting at column `at`.
fn counter_from_row(r: &crate::Row, at: usize) -> StoreResult<YearCounter> {
    Ok(YearCounter {
        year: i16::try_from(r.int(at)?).map_err(|_| StoreError::Invalid("année".into()))?,
        accepted: u32::try_from(r.int(at + 1)?)
            .map_err(|_| StoreError::Invalid("compteur".into()))?,
        first_eep: r.opt_date(at + 2)?,
    })
}

const CLAIM_INSERT: &str = "INSERT INTO claims (claim_id, batch_id, received_date, rpps, nir, session_date, \
     session_year, session_month, act, amount_cents, context, tiers_payant, referral_date, referrer_id, \
     referrer_kind, status, reason, rank, tariff_cents, amo_cents, amo_payee, complementary_cents, \
     complementary_payer, complementary_route, state_cents, patient_cents)";
const CLAIM_COLUMNS: usize = 26;

/// The RPPS numbers of `claims` as text, 11 digits each, one after the other (see [`rpps_at`]).
fn rpps_texts<'c>(claims: impl Iterator<Item = &'c Claim>) -> String {
    let mut out: Vec<u8> = Vec::new();
    for c in claims {
        let mut digits = [b'0'; 11];
        let mut v = c.rpps.value();
        for b in digits.iter_mut().rev() {
            *b = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out.extend_from_slice(&digits);
    }
    String::from_utf8(out).expect("des chiffres ASCII")
}

fn rpps_at(texts: &str, i: usize) -> &str {
    &texts[i * 11..(i + 1) * 11]
}

/// Appends the columns of one claim and its decision, in `CLAIM_INSERT` order; `rpps` is the
/// claim's RPPS as text.
pub fn claim_params<'a>(
    batch_id: i64,
    c: &'a Claim,
    d: &Decision,
    rpps: &'a str,
    v: &mut Vec<Param<'a>>,
) {
    let referral = c.referral.as_ref();
    v.extend([
        Param::Text(&c.claim_id),
        Param::Int(batch_id),
        Param::Date(c.received_date),
        Param::Text(rpps),
        Param::Text(c.nir.as_str()),
        Param::Date(c.session_date),
        Param::Int(c.session_date.year().into()),
        Param::Int(c.session_date.month().into()),
        Param::Text(c.act.code()),
        Param::Int(c.amount.0),
        Param::Text(c.context.code()),
        c.tiers_payant.into(),
        referral.map(|r| r.date).into(),
        referral.and_then(|r| r.referrer_id.as_deref()).into(),
        referral.and_then(|r| r.kind).map(|k| k.code()).into(),
    ]);
    decision_params(d, v);
}

/// Appends the columns of one claim and its decision, in `CLAIM_INSERT` order.
pub fn claim_values(batch_id: i64, c: &Claim, d: &Decision, v: &mut Vec<Value>) {
    let rpps = c.rpps.to_string();
    let mut params = Vec::with_capacity(CLAIM_COLUMNS);
    claim_params(batch_id, c, d, &rpps, &mut params);
    v.extend(params.into_iter().map(Param::to_value));
}

pub fn insert_claims(db: &mut Db, batch_id: i64, rows: &[(&Claim, &Decision)]) -> StoreResult<()> {
    for chunk in rows.chunks(CHUNK) {
        let rpps = rpps_texts(chunk.iter().map(|(c, _)| *c));
        let mut values = Vec::with_capacity(chunk.len() * CLAIM_COLUMNS);
        for (i, (c, d)) in chunk.iter().enumerate() {
            claim_params(batch_id, c, d, rpps_at(&rpps, i), &mut values);
        }
        db.insert_params(CLAIM_INSERT, CLAIM_COLUMNS, &values, "")?;
    }
    Ok(())
}

/// The batch's new claims: first occurrence of each id (`first`, as the engine found them), in
/// claim-id order (key order makes B-tree inserts mostly appends).
fn new_rows<'a>(
    claims: &[&'a Claim],
    decisions: &'a [Decision],
    first: &[bool],
) -> Vec<(&'a Claim, &'a Decision)> {
    let mut rows: Vec<(&Claim, &Decision)> = claims
        .iter()
        .zip(decisions)
        .zip(first)
        .filter(|(_, f)| **f)
        .map(|((&c, d), _)| (c, d))
        .collect();
    rows.sort_unstable_by(|a, b| a.0.claim_id.cmp(&b.0.claim_id));
    rows
}

/// Writes the batch's new claims, accepted sessions and counters.
fn record(
    db: &mut Db,
    batch_id: i64,
    rows: &[(&Claim, &Decision)],
    ledger: &Ledger,
    progress: Progress<'_>,
) -> StoreResult<(i64, i64)> {
    let accepted = rows.iter().filter(|(_, d)| d.is_accepted()).count() as i64;
    let rejected = rows.len() as i64 - accepted;

    for (i, chunk) in rows.chunks(CHUNK * 4).enumerate() {
        insert_claims(db, batch_id, chunk)?;
        progress(
            "enregistrement",
            ((i * CHUNK * 4) + chunk.len()) as u64,
            rows.len() as u64,
        );
    }

    progress("séances et compteurs", rows.len() as u64, rows.len() as u64);
    let mut sessions: Vec<&Claim> = rows
        .iter()
        .filter(|(_, d)| d.is_accepted())
        .map(|(c, _)| *c)
        .collect();
    sessions.sort_unstable_by_key(|c| (c.nir, c.session_date));
    for chunk in sessions.chunks(CHUNK) {
        let rpps = rpps_texts(chunk.iter().copied());
        let mut values = Vec::with_capacity(chunk.len() * 5);
        for (i, c) in chunk.iter().enumerate() {
            values.extend([
                Param::Text(c.nir.as_str()),
                Param::Date(c.session_date),
                Param::Text(rpps_at(&rpps, i)),
                Param::Text(c.act.code()),
                Param::Text(&c.claim_id),
            ]);
        }
        db.insert_params(
            "INSERT INTO accepted_sessions (nir, session_date, rpps, act, claim_id)",
            5,
            &values,
            "",
        )?;
    }
    let mut touched: Vec<(Nir, i16)> = sessions
        .iter()
        .map(|c| (c.nir, c.session_date.year()))
        .collect();
    touched.dedup(); // sorted by (nir, date), hence by (nir, year)
    for chunk in touched.chunks(CHUNK) {
        let mut values = Vec::with_capacity(chunk.len() * 4);
        for (nir, year) in chunk {
            let y = ledger.history(nir).map_or(
                YearCounter {
                    year: *year,
                    accepted: 0,
                    first_eep: None,
                },
                |h| h.year(*year),
            );
            values.extend([
                Param::Text(nir.as_str()),
                Param::Int(y.year.into()),
                Param::Int(y.accepted.into()),
                y.first_eep.into(),
            ]);
        }
        db.insert_params(
            "INSERT INTO patient_years (nir, year, accepted, first_eep)",
            4,
            &values,
            "ON CONFLICT (nir, year) DO UPDATE SET accepted = excluded.accepted, first_eep = excluded.first_eep",
        )?;
    }
    progress("validation", rows.len() as u64, rows.len() as u64);
    Ok((accepted, rejected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_check_applies_to_claim_rows() {
        let mut db = Db::connect("sqlite::memory:").unwrap();
        crate::migrate(&mut db).unwrap();
        let day = jiff::civil::date(2024, 7, 1);
        let claim = Claim {
            claim_id: "C1".into(),
            received_date: day,
            rpps: msp_domain::fixtures::rpps(1),
            nir: msp_domain::fixtures::nir(1),
            session_date: day,
            act: Act::Eep,
            amount: Cents(4000),
            context: msp_domain::ClaimContext::Maladie,
            tiers_payant: false,
            referral: None,
        };
        let rules = Rules::standard();
        let out = adjudicate_batch(
            &mut db,
            &rules,
            "t",
            Timestamp::now(),
            std::slice::from_ref(&claim),
            &|_, _, _| {},
        )
        .unwrap();
        assert_eq!(out.decisions.len(), 1);
        let mut values = Vec::new();
        claim_values(
            out.batch_id,
            &Claim {
                claim_id: "C2".into(),
                ..claim
            },
            &out.decisions[0],
            &mut values,
        );
        values[15] = Value::Text("bogus".into());
        let refused = db.insert_many(CLAIM_INSERT, CLAIM_COLUMNS, &values, "");
        assert!(refused.is_err(), "CHECK on status must apply: {refused:?}");
    }

    #[test]
    fn rpps_texts_are_the_display_form() {
        let day = jiff::civil::date(2024, 7, 1);
        let claims: Vec<Claim> = [1, 42, 999_999_999]
            .iter()
            .map(|n| Claim {
                claim_id: format!("C{n}"),
                received_date: day,
                rpps: msp_domain::fixtures::rpps(*n),
                nir: msp_domain::fixtures::nir(1),
                session_date: day,
                act: Act::Eep,
                amount: Cents(4000),
                context: msp_domain::ClaimContext::Maladie,
                tiers_payant: false,
                referral: None,
            })
            .collect();
        let texts = rpps_texts(claims.iter());
        for (i, c) in claims.iter().enumerate() {
            assert_eq!(rpps_at(&texts, i), c.rpps.to_string());
        }
    }
}
