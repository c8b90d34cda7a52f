use msp_domain::{Claim, Decision, FactsMap, Ledger, Reason, Rules, judge_batch};
use msp_interchange::synth::{FILE_NAMES, SynthConfig, SynthFiles, generate, generate_to_dir};
use msp_interchange::{
    BeneficiaryReader, ClaimReader, ConventionReader, ExclusionReader, RegistryReader,
    SuspensionReader,
};
use std::collections::{BTreeMap, HashSet};

fn bytes(config: &SynthConfig) -> SynthFiles<Vec<u8>> {
    let mut files = SynthFiles::default();
    generate(config, &mut files).unwrap();
    files
}

fn all(files: &SynthFiles<Vec<u8>>) -> [&Vec<u8>; 6] {
    [
        &files.registry,
        &files.conventions,
        &files.suspensions,
        &files.beneficiaries,
        &files.exclusions,
        &files.claims,
    ]
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let config = SynthConfig::new(7, 30, 400, 3000);
    let a = bytes(&config);
    let b = bytes(&config);
    assert_eq!(all(&a), all(&b));
    let c = bytes(&SynthConfig { seed: 8, ..config });
    for (x, y) in all(&a).into_iter().zip(all(&c)) {
        assert_ne!(x, y);
    }
}

#[test]
fn files_in_a_directory_match_the_writers() {
    let dir = tempfile::tempdir().unwrap();
    let config = SynthConfig::new(3, 5, 50, 200);
    let summary = generate_to_dir(&config, dir.path()).unwrap();
    let mem = bytes(&config);
    for (name, expected) in FILE_NAMES.iter().zip(all(&mem)) {
        assert_eq!(&std::fs::read(dir.path().join(name)).unwrap(), expected);
    }
    assert_eq!(summary.claims, 200);
}

struct Loaded {
    facts: FactsMap,
    claims: Vec<Claim>,
}

/// Parses every file (asserting zero row errors) and builds adjudication facts.
fn load(files: &SynthFiles<Vec<u8>>) -> Loaded {
    let registry = RegistryReader::new(&files.registry[..])
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(registry.errors, vec![]);
    let conventions = ConventionReader::new(&files.conventions[..])
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(conventions.errors, vec![]);
    let suspensions = SuspensionReader::new(&files.suspensions[..])
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(suspensions.errors, vec![]);
    let beneficiaries = BeneficiaryReader::new(&files.beneficiaries[..])
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(beneficiaries.errors, vec![]);
    let exclusions = ExclusionReader::new(&files.exclusions[..])
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(exclusions.errors, vec![]);
    let claims = ClaimReader::new(&files.claims[..])
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(claims.errors, vec![]);

    // Registry: unique RPPS; every conventioned psychologist is a registered psychologist.
    let mut registered = HashSet::new();
    for (_, e) in &registry.rows {
        assert!(registered.insert(e.rpps), "duplicate RPPS {}", e.rpps);
    }
    let psychologists: HashSet<_> = registry
        .rows
        .iter()
        .filter(|(_, e)| e.is_psychologist())
        .map(|(_, e)| e.rpps)
        .collect();
    let mut facts = FactsMap::default();
    for (_, c) in &conventions.rows {
        assert!(psychologists.contains(&c.rpps));
        facts
            .psychologists
            .entry(c.rpps)
            .or_default()
            .conventions
            .push(c.period);
    }
    for (_, s) in &suspensions.rows {
        facts
            .psychologists
            .entry(s.rpps)
            .or_default()
            .suspensions
            .push(s.period);
    }
    for (_, b) in beneficiaries.rows {
        let nir = b.nir;
        assert!(
            facts.beneficiaries.insert(nir, b).is_none(),
            "duplicate NIR"
        );
    }
    for (_, x) in &exclusions.rows {
        facts
            .beneficiaries
            .get_mut(&x.nir)
            .expect("exclusion of a known patient")
            .exclusions
            .push(x.period);
    }
    Loaded {
        facts,
        claims: claims.rows.into_iter().map(|(_, c)| c).collect(),
    }
}

#[test]
fn every_generated_row_is_readable_and_adjudication_looks_real() {
    let config = SynthConfig::new(2024, 60, 3000, 20_000);
    let files = bytes(&config);
    let loaded = load(&files);
    assert_eq!(loaded.claims.len(), 20_000);
    assert_eq!(loaded.facts.beneficiaries.len(), 3000);

    // Claims are sorted by received date, apart from the rows sent twice.
    let mut seen = HashSet::new();
    let firsts: Vec<&Claim> = loaded
        .claims
        .iter()
        .filter(|c| seen.insert(c.claim_id.as_str()))
        .collect();
    assert!(
        firsts
            .windows(2)
            .all(|w| w[0].received_date <= w[1].received_date)
    );
    // A few claim ids are repeated, on purpose.
    let ids: HashSet<&str> = loaded.claims.iter().map(|c| c.claim_id.as_str()).collect();
    assert_eq!(ids.len(), 20_000 - 10);

    let decisions = judge_batch(
        &Rules::standard(),
        &loaded.facts,
        &mut Ledger::default(),
        &loaded.claims,
    );
    let mut reasons: BTreeMap<Reason, usize> = BTreeMap::new();
    let mut accepted = 0;
    for d in &decisions {
        match d {
            Decision::Accepted(_) => accepted += 1,
            Decision::Rejected(r) => *reasons.entry(*r).or_default() += 1,
        }
    }
    let share = accepted as f64 / decisions.len() as f64;
    println!("accepted {share:.3}, rejected by reason: {reasons:?}");
    assert!(
        (0.80..0.97).contains(&share),
        "accepted {share:.3}, {reasons:?}"
    );
    for reason in Reason::ALL {
        if reason == Reason::Age {
            continue; // too rare to show up reliably at this size
        }
        assert!(reasons.contains_key(&reason), "no {reason}: {reasons:?}");
    }
}

#[test]
fn communes_are_real() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/communes.csv"
    ))
    .unwrap();
    let known: HashSet<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    let files = bytes(&SynthConfig::new(1, 20, 500, 100));
    let beneficiaries = BeneficiaryReader::new(&files.beneficiaries[..])
        .unwrap()
        .read_all()
        .unwrap();
    for (_, b) in beneficiaries.rows {
        let code = b.commune_insee.unwrap();
        assert!(known.contains(code.as_str()), "{code}");
    }
}

#[test]
fn tiny_and_empty_configurations_work() {
    for (p, n, c) in [(0, 0, 0), (1, 1, 1), (1, 1, 50)] {
        let files = bytes(&SynthConfig::new(9, p, n, c));
        let loaded = load(&files);
        assert_eq!(loaded.claims.len(), c);
    }
}
