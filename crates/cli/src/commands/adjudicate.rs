//! `msp adjudicate <CLAIMS.csv>`: judge a batch and write one decision per readable row.

use crate::cli::Outcome;
use crate::files::{read_all, report_errors, write_output};
use crate::progress;
use msp_domain::french::count;
use msp_domain::{Claim, ComplementaryPayer, Decision, Reason, Rules};
use msp_interchange::{DecisionWriter, Parsed};
use msp_store::{Db, claims::BatchOutcome, migrate};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

pub fn run(
    db_url: &str,
    rules: &Rules,
    file: &Path,
    out: Option<&Path>,
    errors: Option<&Path>,
) -> anyhow::Result<Outcome> {
    run_timed(db_url, rules, file, out, errors, false)
}

/// `msp adjudicate`, printing stage timings when `timings` is set (what `msp bench` times).
pub fn run_timed(
    db_url: &str,
    rules: &Rules,
    file: &Path,
    out: Option<&Path>,
    errors: Option<&Path>,
    timings: bool,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let mut db = Db::connect(db_url)?;
    migrate(&mut db)?;
    let Parsed { rows, errors: bad } = read_all::<Claim>(file)?;
    // Before judging: the batch commits whole, its files must be writable (issue 13).
    for path in [out, errors].into_iter().flatten() {
        crate::files::check_writable(path)?;
    }
    let claims: Vec<Claim> = rows.into_iter().map(|(_, c)| c).collect();
    if timings {
        eprintln!(
            "  [{:>7.2} s] lecture ({} demandes)",
            started.elapsed().as_secs_f64(),
            claims.len()
        );
    }
    let outcome = judge_and_write(
        &mut db,
        rules,
        &file.display().to_string(),
        &claims,
        out,
        timings,
    )?;
    report_errors(&bad, errors)?;
    eprint!(
        "{}",
        summary(
            &claims,
            &outcome,
            bad.len(),
            started.elapsed().as_secs_f64()
        )
    );
    Ok(if bad.is_empty() {
        Outcome::Complete
    } else {
        Outcome::SomeRowsUnreadable
    })
}

/// Judges and commits the batch with its statistics summaries (folded from the batch in
/// memory, in the same transaction), then writes the decisions file (after the commit: the
/// file always describes what the database holds).
pub fn judge_and_write(
    db: &mut Db,
    rules: &Rules,
    source: &str,
    claims: &[Claim],
    out: Option<&Path>,
    timings: bool,
) -> anyhow::Result<BatchOutcome> {
    let bar = progress::bar(claims.len() as u64, "jugement du lot");
    let started = Instant::now();
    let last_stage = std::cell::Cell::new("");
    let lap = |stage: &str| {
        let mb = |m: Option<u64>| m.map_or("?".into(), |m| m.to_string());
        eprintln!(
            "  [{:>7.2} s] {stage} (mémoire {} Mo, pointe {} Mo)",
            started.elapsed().as_secs_f64(),
            mb(super::bench::rss_mb()),
            mb(super::bench::peak_rss_mb())
        );
    };
    let outcome = msp_store::claims::adjudicate_batch_with(
        db,
        rules,
        source,
        jiff::Timestamp::now(),
        claims,
        &|stage, done, _| {
            if timings && last_stage.replace(stage) != stage {
                lap(stage);
            }
            bar.set_message(stage);
            bar.set_position(done);
        },
        &mut |tx, batch| {
            msp_stats::refresh::fold_judged(tx, batch)?;
            if timings {
                lap("statistiques");
            }
            Ok(())
        },
    )?;
    bar.finish_and_clear();
    if timings {
        lap("validé (commit)");
    }
    write_output(out, |w| {
        let mut writer = DecisionWriter::new(w)?;
        for (c, d) in claims.iter().zip(&outcome.decisions) {
            writer.write(&c.claim_id, d)?;
        }
        writer.finish().map(|_| ())
    })?;
    if timings {
        lap("décisions écrites");
    }
    Ok(outcome)
}

/// The end-of-run summary: claims read, accepted, rejected by reason, amounts by payer, time.
pub fn summary(
    claims: &[Claim],
    outcome: &BatchOutcome,
    unreadable: usize,
    seconds: f64,
) -> String {
    let mut by_reason: BTreeMap<Reason, usize> = BTreeMap::new();
    let (mut amo, mut c2s, mut amc, mut state, mut patient, mut accepted) =
        (0i64, 0i64, 0i64, 0i64, 0i64, 0usize);
    for d in &outcome.decisions {
        match d {
            Decision::Rejected(r) => *by_reason.entry(*r).or_default() += 1,
            Decision::Accepted(p) => {
                accepted += 1;
                amo += p.amo.0;
                state += p.state.0;
                patient += p.patient.0;
                match p.complementary_payer {
                    ComplementaryPayer::C2s => c2s += p.complementary.0,
                    ComplementaryPayer::Amc => amc += p.complementary.0,
                    ComplementaryPayer::None => {}
                }
            }
        }
    }
    let euros = |c: i64| msp_domain::Cents(c).to_string();
    let n = |v: usize| v as u64;
    let mut s = format!(
        "Lot n°\u{a0}{} : {} ({} auparavant), {}\n  acceptées : {accepted}\n  rejetées : {}\n",
        outcome.batch_id,
        count(n(claims.len()), "demande lue", "demandes lues"),
        count(n(outcome.already_judged), "déjà jugée", "déjà jugées"),
        count(n(unreadable), "ligne illisible", "lignes illisibles"),
        claims.len() - accepted
    );
    for (r, n) in &by_reason {
        s.push_str(&format!("    {:<22} {n}\n", r.code()));
    }
    s.push_str(&format!(
        "  montants : AMO {} €, C2S {} €, AMC {} €, État (AME) {} €, reste à charge {} €\n",
        euros(amo),
        euros(c2s),
        euros(amc),
        euros(state),
        euros(patient)
    ));
    #[allow(clippy::cast_precision_loss)]
    let rate = if seconds > 0.0 {
        claims.len() as f64 / seconds
    } else {
        0.0
    };
    s.push_str(&format!(
        "  durée : {}\u{a0}s ({}\u{a0}demandes/s)\n",
        msp_domain::french::decimal(seconds, 2),
        msp_domain::french::number(rate.round() as i64)
    ));
    s
}
