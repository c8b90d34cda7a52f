//! `msp synth`: deterministic synthetic input files for benchmarks and load tests.

use crate::cli::Outcome;
use msp_domain::french::{count, decimal};
use msp_interchange::synth::{SynthConfig, SynthSummary, generate_to_dir};
use std::path::Path;
use std::time::Instant;

pub fn run(
    seed: u64,
    psychologists: usize,
    patients: usize,
    claims: usize,
    out: &Path,
) -> anyhow::Result<Outcome> {
    std::fs::create_dir_all(out).map_err(|e| crate::files::io_error(out, &e))?;
    let started = Instant::now();
    let config = SynthConfig::new(seed, psychologists, patients, claims);
    let summary = generate_to_dir(&config, out)?;
    eprint!(
        "{}",
        describe(
            &out.display().to_string(),
            &summary,
            started.elapsed().as_secs_f64()
        )
    );
    Ok(Outcome::Complete)
}

/// The summary in French sentences: rows written per file, then the claims made wrong on
/// purpose, by kind.
pub fn describe(dir: &str, s: &SynthSummary, seconds: f64) -> String {
    let n = |v: usize| v as u64;
    let d = &s.deliberate;
    let mut text = format!(
        "{dir} : fichiers écrits en {}\u{a0}s : {}, {}, {}, {}, {} et {}.\n",
        decimal(seconds, 1),
        count(
            n(s.registry),
            "psychologue au registre",
            "psychologues au registre"
        ),
        count(n(s.conventions), "convention", "conventions"),
        count(n(s.suspensions), "suspension", "suspensions"),
        count(n(s.beneficiaries), "bénéficiaire", "bénéficiaires"),
        count(
            n(s.exclusions),
            "période d’exclusion",
            "périodes d’exclusion"
        ),
        count(n(s.claims), "demande", "demandes"),
    );
    text.push_str("Demandes fautives à dessein :\n");
    for (v, one, many) in [
        (d.unknown_patient, "patient inconnu", "patients inconnus"),
        (d.wrong_amount, "montant faux", "montants faux"),
        (d.duplicate_session, "séance en double", "séances en double"),
        (
            d.same_day,
            "deuxième séance du même jour",
            "deuxièmes séances du même jour",
        ),
        (d.late, "demande hors délai", "demandes hors délai"),
        (
            d.received_before_session,
            "reçue avant la séance",
            "reçues avant la séance",
        ),
        (
            d.before_programme,
            "séance antérieure au dispositif",
            "séances antérieures au dispositif",
        ),
        (
            d.unconventioned_psychologist,
            "psychologue non conventionné",
            "psychologues non conventionnés",
        ),
        (
            d.referral_problem,
            "adressage défaillant",
            "adressages défaillants",
        ),
        (
            d.over_ceiling_episodes,
            "épisode au-delà du plafond",
            "épisodes au-delà du plafond",
        ),
        (
            d.repeated_claim_id,
            "identifiant de demande répété",
            "identifiants de demande répétés",
        ),
    ] {
        text.push_str(&format!("  {}\n", count(n(v), one, many)));
    }
    text
}
