//! Summary tables kept in step with adjudicated batches (migration `0003_stats.sql`).
//!
//! [`refresh`] folds every batch not yet summarised into `stats_days` and `stats_patients`,
//! batch after batch, each in its own transaction (or inside the caller's). It is idempotent
//! and cheap when nothing is new (one query), so readers call it before answering. Adjudication
//! folds its batch from memory inside its own transaction with [`fold_judged`] (see
//! `docs/statistics.md`), which keeps the summaries exactly in step with the claims without
//! reading them back.

use crate::geo::{areas, departement_of_commune};
use msp_domain::{Date, dates};
use msp_store::claims::JudgedBatch;
use msp_store::{Db, Param, Row, StoreResult, Value};
use std::collections::HashMap;

/// Counter columns of `stats_days`, in order (after `day, departement, region, y, m`).
pub const COUNTERS: [&str; 41] = [
    "sessions",
    "eep",
    "aps",
    "pss",
    "new_patients",
    "new_patients_c2s",
    "tariff_cents",
    "amo_cents",
    "amo_tiers_payant_cents",
    "c2s_cents",
    "amc_cents",
    "state_cents",
    "patient_cents",
    "r1",
    "r2",
    "r3",
    "r4",
    "r5",
    "r6",
    "r7",
    "r8",
    "r9",
    "r10",
    "r11",
    "r12",
    "nf0",
    "nf1",
    "nf2",
    "nf3",
    "nf4",
    "nf5",
    "nf6",
    "nf7",
    "nm0",
    "nm1",
    "nm2",
    "nm3",
    "nm4",
    "nm5",
    "nm6",
    "nm7",
];

// Indexes into the counters.
pub(crate) const SESSIONS: usize = 0;
pub(crate) const EEP: usize = 1;
pub(crate) const APS: usize = 2;
pub(crate) const PSS: usize = 3;
pub(crate) const NEW: usize = 4;
pub(crate) const NEW_C2S: usize = 5;
pub(crate) const TARIFF: usize = 6;
pub(crate) const AMO: usize = 7;
pub(crate) const AMO_TP: usize = 8;
pub(crate) const C2S: usize = 9;
pub(crate) const AMC: usize = 10;
pub(crate) const STATE: usize = 11;
pub(crate) const PATIENT: usize = 12;
pub(crate) const RANK1: usize = 13;
pub(crate) const NEW_F0: usize = 25;
pub(crate) const NEW_M0: usize = 33;
pub const MAX_RANK: usize = 12;
pub const AGE_BANDS: usize = 8;

pub(crate) type Counters = [i64; 41];

/// Age band of an age in years: 3–11, 12–17, 18–24, 25–34, 35–44, 45–54, 55–64, 65+.
pub fn age_band(age: i32) -> usize {
    match age {
        ..=11 => 0,
        12..=17 => 1,
        18..=24 => 2,
        25..=34 => 3,
        35..=44 => 4,
        45..=54 => 5,
        55..=64 => 6,
        _ => 7,
    }
}

/// French labels of the age bands.
pub const AGE_BAND_LABELS: [&str; AGE_BANDS] = [
    "3 à 11 ans",
    "12 à 17 ans",
    "18 à 24 ans",
    "25 à 34 ans",
    "35 à 44 ans",
    "45 à 54 ans",
    "55 à 64 ans",
    "65 ans et plus",
];

/// What a refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    pub batches: u64,
    pub sessions: u64,
    pub new_patients: u64,
}

#[derive(Debug, Clone)]
struct PatientRow {
    first_day: Date,
    /// Index into [`Departements`].
    departement: usize,
    male: bool,
    band: usize,
    c2s: bool,
}

fn new_counters() -> Counters {
    [0; 41]
}

/// Folds every adjudicated batch not yet summarised into the summary tables.
pub fn refresh(db: &mut Db) -> StoreResult<Refreshed> {
    let mut done = Refreshed::default();
    let last = last_batch(db)?;
    for batch in pending_batches(db, last, i64::MAX)? {
        db.transaction(|tx| {
            msp_store::claims::lock_ledger(tx)?;
            // Another process may have summarised it meanwhile.
            if last_batch(tx)? >= batch {
                return Ok(());
            }
            let r = fold_batch(tx, batch)?;
            done.batches += 1;
            done.sessions += r.sessions;
            done.new_patients += r.new_patients;
            set_last_batch(tx, batch)
        })?;
    }
    Ok(done)
}

/// Folds a batch being adjudicated into the summaries from the batch in memory, inside the
/// batch's transaction (a [`msp_store::claims::BatchHook`]): the summaries commit with the
/// batch or not at all, and the two million claims just written are not read back. Batches
/// committed earlier and not summarised yet (a refresh that failed) are folded first, from the
/// claims, so the summaries stay in batch order.
pub fn fold_judged(db: &mut Db, batch: &JudgedBatch<'_>) -> StoreResult<()> {
    let last = last_batch(db)?;
    if last >= batch.batch_id {
        return Ok(());
    }
    for earlier in pending_batches(db, last, batch.batch_id)? {
        fold_batch(db, earlier)?;
    }
    let sessions = batch.rows.iter().filter_map(|(c, d)| {
        let p = d.payment()?;
        // The claims' join with the beneficiaries: an accepted claim always has one.
        let b = batch.facts.beneficiaries.get(&c.nir)?;
        Some(Accepted {
            nir: c.nir.as_str(),
            day: c.session_date,
            act: c.act.code(),
            rank: p.rank.into(),
            tariff: p.tariff.0,
            amo: p.amo.0,
            amo_payee: p.amo_payee.code(),
            complementary: p.complementary.0,
            payer: p.complementary_payer.code(),
            state: p.state.0,
            patient: p.patient.0,
            sex: b.sex.code(),
            birth: b.birth_date,
            commune: b.commune_insee.as_deref(),
            c2s: b.c2s.is_some_and(|p| p.contains(c.session_date)),
        })
    });
    fold_sessions(db, sessions)?;
    set_last_batch(db, batch.batch_id)
}

/// Batches after `after` and before `before`, in order.
fn pending_batches(db: &mut Db, after: i64, before: i64) -> StoreResult<Vec<i64>> {
    db.query(
        "SELECT batch_id FROM batches WHERE batch_id > $1 AND batch_id < $2 ORDER BY batch_id",
        &[Value::Int(after), Value::Int(before)],
    )?
    .iter()
    .map(|r| r.int(0))
    .collect()
}

fn set_last_batch(db: &mut Db, batch: i64) -> StoreResult<()> {
    db.execute(
        "UPDATE stats_state SET last_batch = $1 WHERE id = 1",
        &[Value::Int(batch)],
    )?;
    Ok(())
}

fn last_batch(db: &mut Db) -> StoreResult<i64> {
    if let Some(r) = db.query_opt("SELECT last_batch FROM stats_state WHERE id = 1", &[])? {
        return r.int(0);
    }
    db.execute(
        "INSERT INTO stats_state (id, last_batch) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
        &[],
    )?;
    db.query_one("SELECT last_batch FROM stats_state WHERE id = 1", &[])?
        .int(0)
}

/// One accepted session as the summaries count it, borrowed from a claims row or from a batch
/// in memory.
#[derive(Debug, Clone, Copy)]
struct Accepted<'a> {
    nir: &'a str,
    day: Date,
    act: &'a str,
    rank: i64,
    tariff: i64,
    amo: i64,
    amo_payee: &'a str,
    complementary: i64,
    payer: &'a str,
    state: i64,
    patient: i64,
    sex: &'a str,
    birth: Date,
    commune: Option<&'a str>,
    /// The patient has C2S on the session date (beneficiaries file).
    c2s: bool,
}

/// The columns of an [`Accepted`] row, claims `c` joined with beneficiaries `b`.
const ACCEPTED_SELECT: &str =
    "SELECT c.nir, c.session_date, c.act, c.rank, c.tariff_cents, c.amo_cents,
        c.amo_payee, c.complementary_cents, c.complementary_payer, c.state_cents, c.patient_cents,
        b.sex, b.birth_date, b.commune_insee, b.c2s_from, b.c2s_to
     FROM claims c JOIN beneficiaries b ON b.nir = c.nir";

fn load_accepted(db: &mut Db, filter: &str, params: &[Value]) -> StoreResult<Vec<Row>> {
    db.query(&format!("{ACCEPTED_SELECT} {filter}"), params)
}

fn accepted_of(r: &Row) -> StoreResult<Accepted<'_>> {
    let day = r.date(1)?;
    Ok(Accepted {
        nir: r.text(0)?,
        day,
        act: r.text(2)?,
        rank: r.opt_int(3)?.unwrap_or(0),
        tariff: r.opt_int(4)?.unwrap_or(0),
        amo: r.opt_int(5)?.unwrap_or(0),
        amo_payee: r.opt_text(6)?.unwrap_or_default(),
        complementary: r.opt_int(7)?.unwrap_or(0),
        payer: r.opt_text(8)?.unwrap_or_default(),
        state: r.opt_int(9)?.unwrap_or(0),
        patient: r.opt_int(10)?.unwrap_or(0),
        sex: r.text(11)?,
        birth: r.date(12)?,
        commune: r.opt_text(13)?,
        c2s: match r.opt_date(14)? {
            Some(from) => from <= day && r.opt_date(15)?.is_none_or(|to| day <= to),
            None => false,
        },
    })
}

/// Départements met while folding, by index, and the département of each commune met.
#[derive(Default)]
struct Departements {
    codes: Vec<String>,
    by_code: HashMap<String, usize>,
    by_commune: HashMap<String, usize>,
}

impl Departements {
    fn index(&mut self, code: String) -> usize {
        if let Some(&i) = self.by_code.get(&code) {
            return i;
        }
        self.codes.push(code.clone());
        self.by_code.insert(code, self.codes.len() - 1);
        self.codes.len() - 1
    }

    fn of_commune(&mut self, commune: Option<&str>) -> usize {
        let key = commune.unwrap_or_default();
        if let Some(&i) = self.by_commune.get(key) {
            return i;
        }
        let i = self.index(departement_of_commune(commune));
        self.by_commune.insert(key.to_owned(), i);
        i
    }
}

/// Counters per (day, département index).
type Days = HashMap<(Date, usize), Counters>;

/// Adds (`sign` = 1) or takes back (-1) one accepted session in its day's counters.
fn count_session(k: &mut Counters, c: &Accepted<'_>, sign: i64) {
    k[SESSIONS] += sign;
    match c.act {
        "EEP" => k[EEP] += sign,
        "PSS" => k[PSS] += sign,
        _ => k[APS] += sign,
    }
    k[TARIFF] += sign * c.tariff;
    k[AMO] += sign * c.amo;
    if c.amo_payee == "psychologue" {
        k[AMO_TP] += sign * c.amo;
    }
    match c.payer {
        "c2s" => k[C2S] += sign * c.complementary,
        "amc" => k[AMC] += sign * c.complementary,
        _ => {}
    }
    k[STATE] += sign * c.state;
    k[PATIENT] += sign * c.patient;
    if let Ok(rank) = usize::try_from(c.rank)
        && (1..=MAX_RANK).contains(&rank)
    {
        k[RANK1 + rank - 1] += sign;
    }
}

/// Adds (or takes back) a patient's first session in the new-patient counters.
fn count_new(days: &mut Days, p: &PatientRow, sign: i64) {
    let k = days
        .entry((p.first_day, p.departement))
        .or_insert_with(new_counters);
    k[NEW] += sign;
    if p.c2s {
        k[NEW_C2S] += sign;
    }
    let base = if p.male { NEW_M0 } else { NEW_F0 };
    k[base + p.band] += sign;
}

fn patient_row(c: &Accepted<'_>, departement: usize) -> PatientRow {
    PatientRow {
        first_day: c.day,
        departement,
        male: c.sex == "M",
        band: age_band(dates::age_on(c.birth, c.day)),
        c2s: c.c2s,
    }
}

/// Folds one committed batch, read back from the claims.
fn fold_batch(db: &mut Db, batch: i64) -> StoreResult<Refreshed> {
    let rows = load_accepted(
        db,
        "WHERE c.batch_id = $1 AND c.status = 'accepted'",
        &[Value::Int(batch)],
    )?;
    let sessions = rows
        .iter()
        .map(accepted_of)
        .collect::<StoreResult<Vec<_>>>()?;
    fold_sessions(db, sessions.into_iter())
}

/// Folds a batch's accepted sessions into the summaries, in one pass over them.
fn fold_sessions<'a>(
    db: &mut Db,
    sessions: impl Iterator<Item = Accepted<'a>>,
) -> StoreResult<Refreshed> {
    let mut out = Refreshed {
        batches: 1,
        ..Refreshed::default()
    };
    let mut deps = Departements::default();
    let mut days: Days = HashMap::new();
    // The earliest accepted session of each patient in this batch.
    let mut earliest: HashMap<&'a str, Accepted<'a>> = HashMap::new();
    for c in sessions {
        let dep = deps.of_commune(c.commune);
        count_session(days.entry((c.day, dep)).or_insert_with(new_counters), &c, 1);
        out.sessions += 1;
        earliest
            .entry(c.nir)
            .and_modify(|e| {
                if c.day < e.day {
                    *e = c;
                }
            })
            .or_insert(c);
    }
    if earliest.is_empty() {
        return Ok(out);
    }
    // In NIR order: the keyed writes below then append to their B-trees.
    let mut earliest: Vec<(&'a str, Accepted<'a>)> = earliest.into_iter().collect();
    earliest.sort_unstable_by_key(|(nir, _)| *nir);
    let known = known_patients(db, &mut deps, earliest.iter().map(|(nir, _)| *nir))?;

    let mut patient_rows: Vec<(&str, PatientRow)> = Vec::new();
    for (nir, c) in &earliest {
        let fresh = patient_row(c, deps.of_commune(c.commune));
        match known.get(*nir) {
            Some(old) if old.first_day <= c.day => continue,
            Some(old) => count_new(&mut days, old, -1),
            None => out.new_patients += 1,
        }
        count_new(&mut days, &fresh, 1);
        patient_rows.push((nir, fresh));
    }

    write_days(db, &days, &deps)?;
    let mut values = Vec::with_capacity(patient_rows.len() * 6);
    for (nir, p) in &patient_rows {
        values.extend([
            Param::Text(nir),
            Param::Date(p.first_day),
            Param::Text(&deps.codes[p.departement]),
            Param::Text(if p.male { "M" } else { "F" }),
            Param::Int(p.band as i64),
            Param::from(p.c2s),
        ]);
    }
    db.insert_params(
        "INSERT INTO stats_patients (nir, first_day, departement, sex, age_band, c2s)",
        6,
        &values,
        "ON CONFLICT (nir) DO UPDATE SET first_day = excluded.first_day, departement = excluded.departement,
         sex = excluded.sex, age_band = excluded.age_band, c2s = excluded.c2s",
    )?;
    Ok(out)
}

/// Takes a cancelled session back out of the summaries, inside the cancelling transaction.
/// A session of a batch not summarised yet needs nothing: the refresh only folds accepted
/// claims. When it was the patient's first session, the patient's first day moves to their
/// next summarised session, or the patient is no longer counted.
pub fn unfold_cancelled(db: &mut Db, claim_id: &str) -> StoreResult<()> {
    let last = last_batch(db)?;
    let gone = load_accepted(
        db,
        "WHERE c.claim_id = $1 AND c.batch_id <= $2",
        &[claim_id.into(), Value::Int(last)],
    )?;
    let Some(row) = gone.last() else {
        return Ok(());
    };
    let c = accepted_of(row)?;
    let mut deps = Departements::default();
    let dep = deps.of_commune(c.commune);
    let mut days: Days = HashMap::new();
    count_session(
        days.entry((c.day, dep)).or_insert_with(new_counters),
        &c,
        -1,
    );
    let known = known_patients(db, &mut deps, std::iter::once(c.nir))?;
    if let Some(old) = known.get(c.nir).filter(|p| p.first_day == c.day) {
        count_new(&mut days, old, -1);
        let next = load_accepted(
            db,
            "WHERE c.nir = $1 AND c.status = 'accepted' AND c.batch_id <= $2
             ORDER BY c.session_date LIMIT 1",
            &[c.nir.into(), Value::Int(last)],
        )?;
        match next.first() {
            Some(n) => {
                let n = accepted_of(n)?;
                let fresh = patient_row(&n, deps.of_commune(n.commune));
                count_new(&mut days, &fresh, 1);
                db.execute(
                    "UPDATE stats_patients SET first_day = $1, departement = $2, sex = $3,
                     age_band = $4, c2s = $5 WHERE nir = $6",
                    &[
                        fresh.first_day.into(),
                        Value::Text(deps.codes[fresh.departement].clone()),
                        n.sex.into(),
                        Value::Int(fresh.band as i64),
                        Value::from(fresh.c2s),
                        c.nir.into(),
                    ],
                )?;
            }
            None => {
                db.execute("DELETE FROM stats_patients WHERE nir = $1", &[c.nir.into()])?;
            }
        }
    }
    write_days(db, &days, &deps)
}

fn known_patients<'a>(
    db: &mut Db,
    deps: &mut Departements,
    nirs: impl Iterator<Item = &'a str>,
) -> StoreResult<HashMap<String, PatientRow>> {
    db.batch(
        "CREATE TEMP TABLE IF NOT EXISTS stats_batch_nirs (k TEXT NOT NULL PRIMARY KEY); DELETE FROM stats_batch_nirs;",
    )?;
    let values: Vec<Param<'_>> = nirs.map(Param::Text).collect();
    db.insert_params("INSERT INTO stats_batch_nirs (k)", 1, &values, "")?;
    drop(values);
    let mut out = HashMap::new();
    for r in db.query(
        "SELECT p.nir, p.first_day, p.departement, p.sex, p.age_band, p.c2s
         FROM stats_patients p JOIN stats_batch_nirs ON k = p.nir",
        &[],
    )? {
        out.insert(
            r.string(0)?,
            PatientRow {
                first_day: r.date(1)?,
                departement: deps.index(r.string(2)?),
                male: r.text(3)? == "M",
                band: usize::try_from(r.int(4)?).unwrap_or(0).min(AGE_BANDS - 1),
                c2s: r.bool(5)?,
            },
        );
    }
    Ok(out)
}

fn write_days(db: &mut Db, days: &Days, deps: &Departements) -> StoreResult<()> {
    // The same deltas, per month.
    let mut months: HashMap<(i16, i8, &str), Counters> = HashMap::new();
    for ((day, dep), k) in days {
        let e = months
            .entry((day.year(), day.month(), deps.codes[*dep].as_str()))
            .or_insert_with(new_counters);
        e.iter_mut().zip(k).for_each(|(a, b)| *a += b);
    }
    let columns = 4 + COUNTERS.len();
    let head = format!(
        "INSERT INTO stats_months (y, m, departement, region, {})",
        COUNTERS.join(", ")
    );
    let tail = format!(
        "ON CONFLICT (y, m, departement) DO UPDATE SET {}",
        COUNTERS
            .iter()
            .map(|c| format!("{c} = stats_months.{c} + excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut keys: Vec<&(i16, i8, &str)> = months.keys().collect();
    keys.sort();
    let mut values = Vec::with_capacity(keys.len() * columns);
    for key in keys {
        values.extend([
            Value::Int(key.0.into()),
            Value::Int(key.1.into()),
            Value::Text(key.2.to_owned()),
            Value::Text(areas().region_of(key.2).to_owned()),
        ]);
        values.extend(months[key].iter().map(|v| Value::Int(*v)));
    }
    db.insert_many(&head, columns, &values, &tail)?;

    let columns = 5 + COUNTERS.len();
    let head = format!(
        "INSERT INTO stats_days (day, departement, region, y, m, {})",
        COUNTERS.join(", ")
    );
    let tail = format!(
        "ON CONFLICT (day, departement) DO UPDATE SET {}",
        COUNTERS
            .iter()
            .map(|c| format!("{c} = stats_days.{c} + excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut keys: Vec<(Date, &str, &Counters)> = days
        .iter()
        .map(|((day, dep), k)| (*day, deps.codes[*dep].as_str(), k))
        .collect();
    keys.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut values = Vec::with_capacity(keys.len() * columns);
    for (day, dep, k) in keys {
        values.extend([
            Value::Date(day),
            Value::Text(dep.to_owned()),
            Value::Text(areas().region_of(dep).to_owned()),
            Value::Int(day.year().into()),
            Value::Int(day.month().into()),
        ]);
        values.extend(k.iter().map(|v| Value::Int(*v)));
    }
    db.insert_many(&head, columns, &values, &tail)?;
    Ok(())
}

/// Empties the summaries, to rebuild them from the claims with [`refresh`].
pub fn reset(db: &mut Db) -> StoreResult<()> {
    db.transaction(|tx| {
        tx.batch(
            "DELETE FROM stats_days; DELETE FROM stats_months; DELETE FROM stats_patients;
             DELETE FROM stats_state;",
        )
    })
}
