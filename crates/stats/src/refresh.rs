//! Summary tables kept in step with adjudicated batches (migration `0003_stats.sql`).
//!
//! [`refresh`] folds every batch not yet summarised into `stats_days` and `stats_patients`,
//! batch after batch, each in its own transaction (or inside the caller's). It is idempotent
//! and cheap when nothing is new (one query), so readers call it before answering. Adjudication
//! may also call it at the end of its own transaction (see `docs/statistics.md`), which keeps
//! the summaries exactly in step with the claims.

use crate::geo::{areas, departement_of_commune};
use msp_domain::{Date, dates};
use msp_store::{Db, StoreResult, Value};
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
    departement: String,
    sex: String,
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
    let pending: Vec<i64> = db
        .query(
            "SELECT batch_id FROM batches WHERE batch_id > $1 ORDER BY batch_id",
            &[Value::Int(last)],
        )?
        .iter()
        .map(|r| r.int(0))
        .collect::<StoreResult<_>>()?;
    for batch in pending {
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
            tx.execute(
                "UPDATE stats_state SET last_batch = $1 WHERE id = 1",
                &[Value::Int(batch)],
            )?;
            Ok(())
        })?;
    }
    Ok(done)
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

struct Accepted {
    nir: String,
    day: Date,
    act: String,
    rank: i64,
    tariff: i64,
    amo: i64,
    amo_payee: String,
    complementary: i64,
    payer: String,
    state: i64,
    patient: i64,
    sex: String,
    birth: Date,
    commune: Option<String>,
    /// The patient has C2S on the session date (beneficiaries file).
    c2s: bool,
}

/// The columns of an [`Accepted`] row, claims `c` joined with beneficiaries `b`.
const ACCEPTED_SELECT: &str =
    "SELECT c.nir, c.session_date, c.act, c.rank, c.tariff_cents, c.amo_cents,
        c.amo_payee, c.complementary_cents, c.complementary_payer, c.state_cents, c.patient_cents,
        b.sex, b.birth_date, b.commune_insee, b.c2s_from, b.c2s_to
     FROM claims c JOIN beneficiaries b ON b.nir = c.nir";

fn load_accepted(db: &mut Db, filter: &str, params: &[Value]) -> StoreResult<Vec<Accepted>> {
    let rows = db.query(&format!("{ACCEPTED_SELECT} {filter}"), params)?;
    let mut claims = Vec::with_capacity(rows.len());
    for r in &rows {
        let day = r.date(1)?;
        claims.push(Accepted {
            nir: r.string(0)?,
            day,
            act: r.string(2)?,
            rank: r.opt_int(3)?.unwrap_or(0),
            tariff: r.opt_int(4)?.unwrap_or(0),
            amo: r.opt_int(5)?.unwrap_or(0),
            amo_payee: r.opt_string(6)?.unwrap_or_default(),
            complementary: r.opt_int(7)?.unwrap_or(0),
            payer: r.opt_string(8)?.unwrap_or_default(),
            state: r.opt_int(9)?.unwrap_or(0),
            patient: r.opt_int(10)?.unwrap_or(0),
            sex: r.string(11)?,
            birth: r.date(12)?,
            commune: r.opt_string(13)?,
            c2s: match r.opt_date(14)? {
                Some(from) => from <= day && r.opt_date(15)?.is_none_or(|to| day <= to),
                None => false,
            },
        });
    }
    Ok(claims)
}

/// Adds (`sign` = 1) or takes back (-1) one accepted session in its day's counters.
fn count_session(k: &mut Counters, c: &Accepted, sign: i64) {
    k[SESSIONS] += sign;
    match c.act.as_str() {
        "EEP" => k[EEP] += sign,
        "PSS" => k[PSS] += sign,
        _ => k[APS] += sign,
    }
    k[TARIFF] += sign * c.tariff;
    k[AMO] += sign * c.amo;
    if c.amo_payee == "psychologue" {
        k[AMO_TP] += sign * c.amo;
    }
    match c.payer.as_str() {
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
fn count_new(days: &mut HashMap<(Date, String), Counters>, p: &PatientRow, sign: i64) {
    let k = days
        .entry((p.first_day, p.departement.clone()))
        .or_insert_with(new_counters);
    k[NEW] += sign;
    if p.c2s {
        k[NEW_C2S] += sign;
    }
    let base = if p.sex == "M" { NEW_M0 } else { NEW_F0 };
    k[base + p.band] += sign;
}

fn patient_row(c: &Accepted, departement: String) -> PatientRow {
    PatientRow {
        first_day: c.day,
        departement,
        sex: c.sex.clone(),
        band: age_band(dates::age_on(c.birth, c.day)),
        c2s: c.c2s,
    }
}

fn fold_batch(db: &mut Db, batch: i64) -> StoreResult<Refreshed> {
    let claims = load_accepted(
        db,
        "WHERE c.batch_id = $1 AND c.status = 'accepted'",
        &[Value::Int(batch)],
    )?;
    let mut out = Refreshed {
        batches: 1,
        ..Refreshed::default()
    };
    if claims.is_empty() {
        return Ok(out);
    }

    // The earliest accepted session of each patient in this batch.
    let mut earliest: HashMap<&str, usize> = HashMap::new();
    for (i, c) in claims.iter().enumerate() {
        earliest
            .entry(c.nir.as_str())
            .and_modify(|j| {
                if c.day < claims[*j].day {
                    *j = i;
                }
            })
            .or_insert(i);
    }
    let known = known_patients(db, earliest.keys().copied())?;

    let mut deps: HashMap<String, String> = HashMap::new();
    let mut dep_of = |commune: &Option<String>| -> String {
        let key = commune.clone().unwrap_or_default();
        deps.entry(key)
            .or_insert_with(|| departement_of_commune(commune.as_deref()))
            .clone()
    };
    let mut days: HashMap<(Date, String), Counters> = HashMap::new();
    for c in &claims {
        let dep = dep_of(&c.commune);
        count_session(days.entry((c.day, dep)).or_insert_with(new_counters), c, 1);
        out.sessions += 1;
    }

    let mut patient_rows: Vec<(String, PatientRow)> = Vec::new();
    for (nir, &i) in &earliest {
        let c = &claims[i];
        let fresh = patient_row(c, dep_of(&c.commune));
        match known.get(*nir) {
            Some(old) if old.first_day <= c.day => continue,
            Some(old) => count_new(&mut days, old, -1),
            None => out.new_patients += 1,
        }
        count_new(&mut days, &fresh, 1);
        patient_rows.push(((*nir).to_owned(), fresh));
    }

    write_days(db, &days)?;
    let mut values = Vec::with_capacity(patient_rows.len() * 6);
    for (nir, p) in patient_rows {
        values.extend([
            Value::Text(nir),
            p.first_day.into(),
            Value::Text(p.departement),
            Value::Text(p.sex),
            Value::Int(p.band as i64),
            Value::from(p.c2s),
        ]);
    }
    db.insert_many(
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
    let mut gone = load_accepted(
        db,
        "WHERE c.claim_id = $1 AND c.batch_id <= $2",
        &[claim_id.into(), Value::Int(last)],
    )?;
    let Some(c) = gone.pop() else {
        return Ok(());
    };
    let dep = departement_of_commune(c.commune.as_deref());
    let mut days: HashMap<(Date, String), Counters> = HashMap::new();
    count_session(
        days.entry((c.day, dep.clone()))
            .or_insert_with(new_counters),
        &c,
        -1,
    );
    let known = known_patients(db, std::iter::once(c.nir.as_str()))?;
    if let Some(old) = known.get(&c.nir).filter(|p| p.first_day == c.day) {
        count_new(&mut days, old, -1);
        let next = load_accepted(
            db,
            "WHERE c.nir = $1 AND c.status = 'accepted' AND c.batch_id <= $2
             ORDER BY c.session_date LIMIT 1",
            &[c.nir.as_str().into(), Value::Int(last)],
        )?;
        match next.first() {
            Some(n) => {
                let fresh = patient_row(n, departement_of_commune(n.commune.as_deref()));
                count_new(&mut days, &fresh, 1);
                db.execute(
                    "UPDATE stats_patients SET first_day = $1, departement = $2, sex = $3,
                     age_band = $4, c2s = $5 WHERE nir = $6",
                    &[
                        fresh.first_day.into(),
                        Value::Text(fresh.departement),
                        Value::Text(fresh.sex),
                        Value::Int(fresh.band as i64),
                        Value::from(fresh.c2s),
                        c.nir.as_str().into(),
                    ],
                )?;
            }
            None => {
                db.execute(
                    "DELETE FROM stats_patients WHERE nir = $1",
                    &[c.nir.as_str().into()],
                )?;
            }
        }
    }
    write_days(db, &days)
}

fn known_patients<'a>(
    db: &mut Db,
    nirs: impl Iterator<Item = &'a str>,
) -> StoreResult<HashMap<String, PatientRow>> {
    db.batch(
        "CREATE TEMP TABLE IF NOT EXISTS stats_batch_nirs (k TEXT NOT NULL PRIMARY KEY); DELETE FROM stats_batch_nirs;",
    )?;
    let values: Vec<Value> = nirs.map(|n| Value::Text(n.to_owned())).collect();
    db.insert_many("INSERT INTO stats_batch_nirs (k)", 1, &values, "")?;
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
                departement: r.string(2)?,
                sex: r.string(3)?,
                band: usize::try_from(r.int(4)?).unwrap_or(0).min(AGE_BANDS - 1),
                c2s: r.bool(5)?,
            },
        );
    }
    Ok(out)
}

fn write_days(db: &mut Db, days: &HashMap<(Date, String), Counters>) -> StoreResult<()> {
    // The same deltas, per month.
    let mut months: HashMap<(i16, i8, &str), Counters> = HashMap::new();
    for ((day, dep), k) in days {
        let e = months
            .entry((day.year(), day.month(), dep.as_str()))
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
    let mut keys: Vec<&(Date, String)> = days.keys().collect();
    keys.sort();
    let mut values = Vec::with_capacity(keys.len() * columns);
    for key in keys {
        let (day, dep) = key;
        values.extend([
            Value::Date(*day),
            Value::Text(dep.clone()),
            Value::Text(areas().region_of(dep).to_owned()),
            Value::Int(day.year().into()),
            Value::Int(day.month().into()),
        ]);
        values.extend(days[key].iter().map(|v| Value::Int(*v)));
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
