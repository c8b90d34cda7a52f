//! `msp import rpps-extract FILE`: the public RPPS extraction of the Annuaire Santé into the
//! registry, with a progress bar over the file's bytes; all good rows in one transaction.

use crate::files::report_errors;
use anyhow::Context;
use msp_interchange::rpps_extract::read_rpps_extract;
use msp_store::{Db, reference};
use std::path::Path;

pub fn load(db: &mut Db, file: &Path, errors: Option<&Path>) -> anyhow::Result<(usize, usize)> {
    let f = std::fs::File::open(file)
        .with_context(|| format!("impossible d'ouvrir {}", file.display()))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = crate::progress::bar(len, "extraction RPPS");
    let out = read_rpps_extract(std::io::BufReader::with_capacity(1 << 20, f), |n| {
        bar.set_position(n);
    })?;
    bar.finish_and_clear();
    db.transaction(|tx| reference::upsert_registry(tx, &out.entries))?;
    eprintln!(
        "{} : {} lignes lues, {} psychologues (RPPS) retenus, {} lignes d'autres professions et {} lignes ADELI seules ignorées",
        file.display(),
        out.rows,
        out.entries.len(),
        out.other_professions,
        out.adeli_only
    );
    report_errors(&out.errors, errors)?;
    Ok((out.entries.len(), out.errors.len()))
}
