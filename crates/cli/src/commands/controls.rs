//! `msp controle-visio --annee YYYY`: psychologists whose remote sessions (PSS) exceed the
//! control share of the dated rules (20 %) in a calendar year (SPEC §3), as CSV.

use crate::cli::Outcome;
use crate::files::{check_writable, write_output};
use msp_domain::Rules;
use msp_domain::french::count;
use msp_interchange::controls::ControlRow;
use msp_store::controls::RemoteShare;
use msp_store::{Db, controls, migrate};
use std::path::Path;

pub fn remote_share(
    db_url: &str,
    rules: &Rules,
    year: i16,
    out: Option<&Path>,
) -> anyhow::Result<Outcome> {
    if let Some(p) = out {
        check_writable(p)?;
    }
    let mut db = Db::connect(db_url)?;
    migrate(&mut db)?;
    let percent = rules.remote_share_control_percent;
    let found = controls::remote_share_above(&mut db, year, percent, None)?;
    write_output(out, |w| {
        msp_interchange::controls::write(w, found.iter().map(row))
    })?;
    eprintln!(
        "Contrôle des séances en visio {year} : {} au-delà de {percent}\u{a0}% de séances PSS.",
        count(found.len(), "psychologue", "psychologues")
    );
    Ok(Outcome::Complete)
}

fn row(r: &RemoteShare) -> ControlRow<'_> {
    ControlRow {
        rpps: &r.rpps,
        last_name: r.last_name.as_deref().unwrap_or(""),
        first_name: r.first_name.as_deref().unwrap_or(""),
        sessions: r.sessions,
        remote: r.remote,
        percent: r.percent(),
    }
}
