//! `msp bench DIR`: imports the references of DIR (the files of `msp synth`), times exactly
//! `msp adjudicate DIR/claims.csv` (read, judge, commit with the statistics summaries, write the
//! decisions), then the pure engine alone, and prints the peak memory of the process. The
//! figures to compare with a peer come from `scripts/bench-adjudicate.sh`, which times the
//! `msp adjudicate` process itself.

use crate::cli::Outcome;
use crate::commands::{adjudicate, import};
use crate::files::read_all;
use msp_domain::{Beneficiary, Claim, FactsMap, Ledger, Rules};
use msp_store::{Db, claims::load_psychologist_rights, migrate, reference};
use std::path::Path;
use std::time::Instant;

pub fn run(db_url: &str, rules: &Rules, dir: &Path) -> anyhow::Result<Outcome> {
    let mut db = Db::connect(db_url)?;
    migrate(&mut db)?;
    let t = Instant::now();
    import::load(
        &mut db,
        &dir.join("registry.csv"),
        None,
        reference::upsert_registry,
    )?;
    import::load(
        &mut db,
        &dir.join("conventions.csv"),
        None,
        reference::upsert_conventions,
    )?;
    import::load(
        &mut db,
        &dir.join("suspensions.csv"),
        None,
        reference::upsert_suspensions,
    )?;
    let (patients, _) = import::load(
        &mut db,
        &dir.join("beneficiaries.csv"),
        None,
        reference::upsert_beneficiaries,
    )?;
    import::load(
        &mut db,
        &dir.join("exclusions.csv"),
        None,
        reference::upsert_exclusions,
    )?;
    println!(
        "import des références ({patients} bénéficiaires) : {:.2} s",
        t.elapsed().as_secs_f64()
    );

    // End to end: exactly `msp adjudicate DIR/claims.csv --out DIR/decisions.csv` (statistics
    // summaries included), timed from the connection to the decisions file.
    let t = Instant::now();
    let out = dir.join("decisions.csv");
    adjudicate::run_timed(
        db_url,
        rules,
        &dir.join("claims.csv"),
        Some(&out),
        None,
        true,
    )?;
    let total = t.elapsed().as_secs_f64();
    let parsed = read_all::<Claim>(&dir.join("claims.csv"))?;
    let claims: Vec<Claim> = parsed.rows.into_iter().map(|(_, c)| c).collect();
    #[allow(clippy::cast_precision_loss)]
    let n = claims.len() as f64;
    println!(
        "bout en bout (msp adjudicate) : {} demandes en {total:.2} s = {:.0} demandes/s",
        claims.len(),
        n / total
    );
    println!(
        "mémoire de pointe après le bout en bout : {} Mo",
        peak_rss_mb().map_or("inconnue".into(), |m| m.to_string())
    );

    // The pure engine alone, on the same claims, facts in memory and an empty ledger.
    let psychologists = load_psychologist_rights(&mut db)?;
    let beneficiaries = read_all::<Beneficiary>(&dir.join("beneficiaries.csv"))?;
    let mut facts = FactsMap {
        psychologists,
        beneficiaries: beneficiaries
            .rows
            .into_iter()
            .map(|(_, b)| (b.nir, b))
            .collect(),
    };
    let exclusions = read_all::<msp_domain::Exclusion>(&dir.join("exclusions.csv"))?;
    for (_, e) in exclusions.rows {
        if let Some(b) = facts.beneficiaries.get_mut(&e.nir) {
            b.exclusions.push(e.period);
        }
    }
    let mut best = f64::MAX;
    for _ in 0..3 {
        let mut ledger = Ledger::default();
        let t = Instant::now();
        let decisions = msp_domain::judge_batch(rules, &facts, &mut ledger, &claims);
        best = best.min(t.elapsed().as_secs_f64());
        anyhow::ensure!(
            decisions.len() == claims.len(),
            "le moteur a perdu des décisions"
        );
    }
    println!(
        "moteur seul : {:.0} demandes/s (meilleur de 3, {best:.3} s)",
        n / best
    );
    println!(
        "mémoire de pointe du processus : {} Mo",
        peak_rss_mb().map_or("inconnue".into(), |m| m.to_string())
    );
    Ok(Outcome::Complete)
}

/// Peak resident memory of this process (VmHWM), in MB.
pub fn peak_rss_mb() -> Option<u64> {
    memory_mb("VmHWM:")
}

/// Resident memory of this process now (VmRSS), in MB.
pub fn rss_mb() -> Option<u64> {
    memory_mb("VmRSS:")
}

fn memory_mb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}
