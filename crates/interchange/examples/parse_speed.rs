//! Throughput check (not a test): generates a large synthetic data set (or uses the directory
//! given as first argument), then parses every file and prints rows per second.
//!
//! `cargo run --release -p msp-interchange --example parse_speed [DIR] [CLAIMS]`

use msp_domain::{Beneficiary, Claim, Convention, Exclusion, RegistryEntry, Suspension};
use msp_interchange::synth::{SynthConfig, generate_to_dir};
use msp_interchange::{CsvReader, InputRecord, ReadError};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::Instant;

fn parse<T: InputRecord>(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let name = T::FILE;
    let path = dir.join(name);
    let bytes = std::fs::metadata(&path)?.len();
    let t = Instant::now();
    let reader = CsvReader::<_, T>::new(BufReader::with_capacity(1 << 16, File::open(&path)?))?;
    let (mut good, mut bad) = (0u64, 0u64);
    for item in reader {
        match item {
            Ok(_) => good += 1,
            Err(ReadError::Row(_)) => bad += 1,
            Err(ReadError::Fatal(e)) => return Err(e.into()),
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{name:<18} {good:>9} rows ({bad} bad) in {secs:>6.3} s: {:>11.0} rows/s, {:>6.0} MB/s",
        (good + bad) as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let tmp;
    let dir = match args.get(1) {
        Some(d) => Path::new(d).to_path_buf(),
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    if !dir.join("claims.csv").exists() {
        let claims = args.get(2).map_or(Ok(2_000_000), |n| n.parse())?;
        let config = SynthConfig::new(42, claims / 200, claims * 3 / 20, claims);
        let t = Instant::now();
        let summary = generate_to_dir(&config, &dir)?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "generated {} claims, {} patients, {} registry rows in {secs:.2} s ({:.0} claims/s)",
            summary.claims,
            summary.beneficiaries,
            summary.registry,
            summary.claims as f64 / secs
        );
        println!("deliberate: {:?}", summary.deliberate);
    }
    parse::<RegistryEntry>(&dir)?;
    parse::<Convention>(&dir)?;
    parse::<Suspension>(&dir)?;
    parse::<Beneficiary>(&dir)?;
    parse::<Exclusion>(&dir)?;
    parse::<Claim>(&dir)?;
    Ok(())
}
