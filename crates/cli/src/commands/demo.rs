//! `msp demo`: import the shipped sample files and judge their batch.

use crate::cli::Outcome;
use crate::commands::adjudicate::{judge_and_write, summary};
use msp_domain::Rules;
use msp_interchange::{CsvReader, InputRecord};
use msp_store::{Db, migrate, reference};
use std::time::Instant;

const REGISTRY: &str = include_str!("../../../../samples/registry.csv");
const CONVENTIONS: &str = include_str!("../../../../samples/conventions.csv");
const SUSPENSIONS: &str = include_str!("../../../../samples/suspensions.csv");
const BENEFICIARIES: &str = include_str!("../../../../samples/beneficiaries.csv");
const EXCLUSIONS: &str = include_str!("../../../../samples/exclusions.csv");
pub const CLAIMS: &str = include_str!("../../../../samples/claims.csv");

fn parse<T: InputRecord>(text: &str) -> anyhow::Result<Vec<T>> {
    let parsed = CsvReader::<_, T>::new(text.as_bytes())?.read_all()?;
    anyhow::ensure!(
        parsed.errors.is_empty(),
        "fichier d’exemple {} illisible : {:?}",
        T::FILE,
        parsed.errors
    );
    Ok(parsed.rows.into_iter().map(|(_, r)| r).collect())
}

/// Loads the samples into `db` (idempotent) and judges the sample batch.
pub fn load_samples(db: &mut Db, rules: &Rules) -> anyhow::Result<String> {
    let started = Instant::now();
    migrate(db)?;
    let registry = parse(REGISTRY)?;
    let conventions = parse(CONVENTIONS)?;
    let suspensions = parse(SUSPENSIONS)?;
    let beneficiaries = parse(BENEFICIARIES)?;
    let exclusions = parse(EXCLUSIONS)?;
    db.transaction(|tx| {
        reference::upsert_registry(tx, &registry)?;
        reference::upsert_conventions(tx, &conventions)?;
        reference::upsert_suspensions(tx, &suspensions)?;
        reference::upsert_beneficiaries(tx, &beneficiaries)?;
        reference::upsert_exclusions(tx, &exclusions)
    })?;
    let claims = parse(CLAIMS)?;
    let out = std::env::temp_dir().join(format!("msp-demo-decisions-{}.csv", std::process::id()));
    let outcome = judge_and_write(db, rules, "samples/claims.csv", &claims, Some(&out), false)?;
    let _ = std::fs::remove_file(&out);
    Ok(summary(
        &claims,
        &outcome,
        0,
        started.elapsed().as_secs_f64(),
    ))
}

pub fn run(db_url: &str, rules: &Rules) -> anyhow::Result<Outcome> {
    let mut db = Db::connect(db_url)?;
    eprintln!(
        "Import des fichiers d’exemple (samples/) dans {db_url} et jugement du lot d’exemple :"
    );
    eprint!("{}", load_samples(&mut db, rules)?);
    Ok(Outcome::Complete)
}
