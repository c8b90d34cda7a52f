//! Reference records: registry, conventions, suspensions, beneficiaries, exclusions.
//!
//! Every import is an upsert keyed as SPEC §8 says (RPPS, RPPS + start date, NIR, ...), so
//! importing the same file twice changes nothing.

use crate::{Db, StoreResult, Value};
use msp_domain::{Beneficiary, Convention, Exclusion, RegistryEntry, Suspension};

/// Rows per statement are chunked by `insert_many`; this bounds the values held at once.
const CHUNK_ROWS: usize = 5_000;

fn upsert<T>(
    db: &mut Db,
    rows: &[T],
    head: &str,
    columns: usize,
    tail: &str,
    to_values: impl Fn(&T, &mut Vec<Value>),
) -> StoreResult<u64> {
    let mut changed = 0;
    for chunk in rows.chunks(CHUNK_ROWS) {
        let mut values = Vec::with_capacity(chunk.len() * columns);
        for row in chunk {
            to_values(row, &mut values);
        }
        changed += db.insert_many(head, columns, &values, tail)?;
    }
    Ok(changed)
}

pub fn upsert_registry(db: &mut Db, rows: &[RegistryEntry]) -> StoreResult<u64> {
    upsert(
        db,
        rows,
        "INSERT INTO registry (rpps, last_name, first_name, profession_code, practice_mode, commune_insee)",
        6,
        "ON CONFLICT (rpps) DO UPDATE SET last_name = excluded.last_name, first_name = excluded.first_name,
         profession_code = excluded.profession_code, practice_mode = excluded.practice_mode,
         commune_insee = excluded.commune_insee",
        |r, v| {
            v.extend([
                r.rpps.to_string().into(),
                r.last_name.as_str().into(),
                r.first_name.as_str().into(),
                r.profession_code.as_str().into(),
                r.practice_mode.code().into(),
                r.commune_insee.clone().into(),
            ]);
        },
    )
}

pub fn upsert_conventions(db: &mut Db, rows: &[Convention]) -> StoreResult<u64> {
    upsert(
        db,
        rows,
        "INSERT INTO conventions (rpps, start_date, end_date, cpam)",
        4,
        "ON CONFLICT (rpps, start_date) DO UPDATE SET end_date = excluded.end_date, cpam = excluded.cpam",
        |r, v| {
            v.extend([
                r.rpps.to_string().into(),
                r.period.from.into(),
                r.period.to.into(),
                r.cpam.as_str().into(),
            ])
        },
    )
}

pub fn upsert_suspensions(db: &mut Db, rows: &[Suspension]) -> StoreResult<u64> {
    upsert(
        db,
        rows,
        "INSERT INTO suspensions (rpps, from_date, to_date, reason)",
        4,
        "ON CONFLICT (rpps, from_date) DO UPDATE SET to_date = excluded.to_date, reason = excluded.reason",
        |r, v| {
            v.extend([
                r.rpps.to_string().into(),
                r.period.from.into(),
                r.period.to.into(),
                r.reason.as_str().into(),
            ])
        },
    )
}

pub fn upsert_beneficiaries(db: &mut Db, rows: &[Beneficiary]) -> StoreResult<u64> {
    upsert(
        db,
        rows,
        "INSERT INTO beneficiaries (nir, birth_date, sex, regime, rights_from, rights_to, ame_from, ame_to,
         c2s_from, c2s_to, amc_id, noemie, commune_insee)",
        13,
        "ON CONFLICT (nir) DO UPDATE SET birth_date = excluded.birth_date, sex = excluded.sex,
         regime = excluded.regime, rights_from = excluded.rights_from, rights_to = excluded.rights_to,
         ame_from = excluded.ame_from, ame_to = excluded.ame_to, c2s_from = excluded.c2s_from,
         c2s_to = excluded.c2s_to, amc_id = excluded.amc_id, noemie = excluded.noemie,
         commune_insee = excluded.commune_insee",
        |b, v| {
            v.extend([
                b.nir.as_str().into(),
                b.birth_date.into(),
                b.sex.code().into(),
                b.regime.code().into(),
                b.rights.map(|p| p.from).into(),
                b.rights.and_then(|p| p.to).into(),
                b.ame.map(|p| p.from).into(),
                b.ame.and_then(|p| p.to).into(),
                b.c2s.map(|p| p.from).into(),
                b.c2s.and_then(|p| p.to).into(),
                b.amc_id.clone().into(),
                b.noemie.into(),
                b.commune_insee.clone().into(),
            ]);
        },
    )
}

pub fn upsert_exclusions(db: &mut Db, rows: &[Exclusion]) -> StoreResult<u64> {
    upsert(
        db,
        rows,
        "INSERT INTO patient_exclusions (nir, from_date, to_date)",
        3,
        "ON CONFLICT (nir, from_date) DO UPDATE SET to_date = excluded.to_date",
        |e, v| {
            v.extend([
                e.nir.as_str().into(),
                e.period.from.into(),
                e.period.to.into(),
            ])
        },
    )
}

/// The tables whose rows mean someone has begun to use the database: the national registry,
/// conventions, directory cards, beneficiaries, claims, sessions recorded on line and
/// accounts. See [`is_unused`].
pub const USE_TABLES: [&str; 7] = [
    "registry",
    "conventions",
    "directory_cards",
    "beneficiaries",
    "claims",
    "session_records",
    "accounts",
];

/// Whether the database is *empty* in the sense of `msp serve`'s demonstration: none of
/// [`USE_TABLES`] holds a row. Only such a database may receive the demo directory, so that
/// fictitious psychologists never mix with imported or typed-in records (issue 13).
pub fn is_unused(db: &mut Db) -> StoreResult<bool> {
    for table in USE_TABLES {
        // Table names come from the constant above, never from input.
        let any = db.query(&format!("SELECT 1 FROM {table} LIMIT 1"), &[])?;
        if !any.is_empty() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Number of rows in a core table (for summaries and tests).
pub fn count(db: &mut Db, table: &str) -> StoreResult<i64> {
    const TABLES: [&str; 9] = [
        "registry",
        "conventions",
        "suspensions",
        "psychologist_exclusions",
        "beneficiaries",
        "patient_exclusions",
        "claims",
        "accepted_sessions",
        "patient_years",
    ];
    let table = TABLES
        .iter()
        .find(|t| **t == table)
        .ok_or_else(|| crate::StoreError::Invalid(format!("table inconnue : {table}")))?;
    db.query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])?
        .int(0)
}
