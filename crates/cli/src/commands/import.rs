//! `msp import <kind> <FILE>`: upsert a reference file, all good rows in one transaction.

use crate::cli::{ImportKind, Outcome};
use crate::files::{read_all, report_errors};
use msp_domain::french::count;
use msp_domain::{Beneficiary, Convention, Exclusion, RegistryEntry, Suspension};
use msp_interchange::{InputRecord, Parsed};
use msp_store::{Db, StoreResult, migrate, reference};
use std::path::Path;
use std::time::Instant;

pub fn run(
    db_url: &str,
    kind: ImportKind,
    file: &Path,
    errors: Option<&Path>,
) -> anyhow::Result<Outcome> {
    let mut db = Db::connect(db_url)?;
    migrate(&mut db)?;
    let started = Instant::now();
    let (read, bad) = match kind {
        ImportKind::Registry => {
            load::<RegistryEntry>(&mut db, file, errors, reference::upsert_registry)?
        }
        ImportKind::Conventions => {
            load::<Convention>(&mut db, file, errors, reference::upsert_conventions)?
        }
        ImportKind::Suspensions => {
            load::<Suspension>(&mut db, file, errors, reference::upsert_suspensions)?
        }
        ImportKind::Beneficiaries => {
            load::<Beneficiary>(&mut db, file, errors, reference::upsert_beneficiaries)?
        }
        ImportKind::Exclusions => {
            load::<Exclusion>(&mut db, file, errors, reference::upsert_exclusions)?
        }
        ImportKind::RppsExtract => super::rpps_extract::load(&mut db, file, errors)?,
    };
    eprintln!(
        "{} : {}, {}, en {}\u{a0}s",
        file.display(),
        count(read, "ligne importée", "lignes importées"),
        count(bad, "ligne illisible", "lignes illisibles"),
        msp_domain::french::decimal(started.elapsed().as_secs_f64(), 2)
    );
    Ok(if bad == 0 {
        Outcome::Complete
    } else {
        Outcome::SomeRowsUnreadable
    })
}

/// Reads the file, stores the good rows in one transaction, reports the bad ones.
pub fn load<T: InputRecord>(
    db: &mut Db,
    file: &Path,
    errors: Option<&Path>,
    upsert: fn(&mut Db, &[T]) -> StoreResult<u64>,
) -> anyhow::Result<(usize, usize)> {
    let Parsed { rows, errors: bad } = read_all::<T>(file)?;
    if let Some(path) = errors {
        crate::files::check_writable(path)?;
    }
    let records: Vec<T> = rows.into_iter().map(|(_, r)| r).collect();
    db.transaction(|tx| upsert(tx, &records))?;
    report_errors(&bad, errors)?;
    Ok((records.len(), bad.len()))
}
