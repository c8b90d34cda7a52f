//! `msp import rpps-extract FILE`: the public RPPS extraction of the Annuaire Santé into the
//! registry, with a progress bar over the file's bytes; all good rows in one transaction.

use crate::files::report_errors;
use msp_domain::french::count;
use msp_interchange::rpps_extract::read_rpps_extract;
use msp_store::{Db, reference};
use std::path::Path;

pub fn load(db: &mut Db, file: &Path, errors: Option<&Path>) -> anyhow::Result<(usize, usize)> {
    let f = std::fs::File::open(file).map_err(|e| crate::files::io_error(file, &e))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = crate::progress::bar(len, "extraction RPPS");
    let out = read_rpps_extract(std::io::BufReader::with_capacity(1 << 20, f), |n| {
        bar.set_position(n);
    })
    .map_err(|e| anyhow::anyhow!("{} : {}", file.display(), e.detail()))?;
    bar.finish_and_clear();
    if let Some(path) = errors {
        crate::files::check_writable(path)?;
    }
    db.transaction(|tx| reference::upsert_registry(tx, &out.entries))?;
    let n = |v: usize| v as u64;
    eprintln!(
        "{} : {} ; {} ; ignorées : {} et {}",
        file.display(),
        count(out.rows, "ligne lue", "lignes lues"),
        count(
            n(out.entries.len()),
            "psychologue (RPPS) retenu",
            "psychologues (RPPS) retenus"
        ),
        count(
            out.other_professions,
            "ligne d’une autre profession",
            "lignes d’autres professions"
        ),
        count(out.adeli_only, "ligne ADELI seule", "lignes ADELI seules")
    );
    report_errors(&out.errors, errors)?;
    Ok((out.entries.len(), out.errors.len()))
}
