//! `msp controle-visio --annee YYYY`: psychologists whose remote sessions (PSS) exceed the
//! control share of the dated rules (20 %) in a calendar year (SPEC §3), as CSV.

use crate::cli::Outcome;
use crate::files::{check_writable, write_output};
use msp_domain::Rules;
use msp_domain::french::count;
use msp_interchange::cells::neutralise;
use msp_store::{Db, controls, migrate};
use std::path::Path;

/// Columns of the file, in order.
pub const COLUMNS: [&str; 6] = [
    "rpps",
    "last_name",
    "first_name",
    "sessions",
    "remote_sessions",
    "remote_share_percent",
];

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
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record(COLUMNS)?;
        for r in &found {
            // Two decimals, like the amounts of the interchange files.
            let share = format!("{:.2}", r.percent());
            csv.write_record([
                r.rpps.as_str(),
                &neutralise(r.last_name.as_deref().unwrap_or("")),
                &neutralise(r.first_name.as_deref().unwrap_or("")),
                &r.sessions.to_string(),
                &r.remote.to_string(),
                &share,
            ])?;
        }
        csv.flush()
    })?;
    eprintln!(
        "Contrôle des séances en visio {year} : {} au-delà de {percent}\u{a0}% de séances PSS.",
        count(found.len(), "psychologue", "psychologues")
    );
    Ok(Outcome::Complete)
}
