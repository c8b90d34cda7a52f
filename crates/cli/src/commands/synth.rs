//! `msp synth`: deterministic synthetic input files for benchmarks and load tests.

use crate::cli::Outcome;
use msp_interchange::synth::{SynthConfig, generate_to_dir};
use std::path::Path;
use std::time::Instant;

pub fn run(
    seed: u64,
    psychologists: usize,
    patients: usize,
    claims: usize,
    out: &Path,
) -> anyhow::Result<Outcome> {
    std::fs::create_dir_all(out)?;
    let started = Instant::now();
    let config = SynthConfig::new(seed, psychologists, patients, claims);
    let summary = generate_to_dir(&config, out)?;
    eprintln!(
        "{} : {summary:?} en {:.1} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::Complete)
}
