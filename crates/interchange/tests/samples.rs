//! The hand-written files of `samples/` read cleanly and adjudicate as `samples/README.md` says.

use msp_domain::{Claim, Decision, FactsMap, Ledger, Rules, judge_batch};
use msp_interchange::{
    BeneficiaryReader, ClaimReader, ConventionReader, CsvReader, ExclusionReader, InputRecord,
    RegistryReader, SuspensionReader,
};
use std::fs::File;
use std::path::PathBuf;

fn rows<T: InputRecord>(name: &str) -> Vec<T> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../samples")
        .join(name);
    let parsed = CsvReader::<_, T>::new(File::open(path).unwrap())
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(parsed.errors, vec![], "{name}");
    parsed.rows.into_iter().map(|(_, r)| r).collect()
}

/// Expected decisions, derived by hand from SPEC §7: `accepted rank amo payee comp payer route
/// state patient` or the rejection reason.
const EXPECTED: &[(&str, &str)] = &[
    ("S01", "1 2400 assure 1600 amc noemie 0 0"),
    ("S02", "2 1800 assure 1200 amc noemie 0 0"),
    ("S03", "DOUBLON"),
    ("S04", "MEME_JOUR"),
    ("S05", "EEP_DEJA_FACTUREE"),
    ("S06", "TARIF"),
    ("S08", "ADRESSAGE"),
    ("S09", "EEP_MANQUANTE"),
    ("S10", "ADRESSAGE"),
    ("S11", "ADRESSAGE"),
    ("S12", "ADRESSAGE"),
    ("S13", "1 2400 assure 1600 amc decompte 0 0"),
    ("S14", "1 3000 psychologue 2000 c2s tiers_payant 0 0"),
    ("S15", "2 3000 psychologue 2000 c2s tiers_payant 0 0"),
    ("S16", "1 0 none 0 none none 5000 0"),
    ("S17", "1 4500 psychologue 0 none none 0 500"),
    ("S18", "AGE"),
    ("S19", "1 2400 assure 1600 amc noemie 0 0"),
    ("S20", "EXCLU"),
    ("S21", "DROITS_FERMES"),
    ("S22", "DROITS_FERMES"),
    ("S23", "PSY_NON_CONVENTIONNE"),
    ("S24", "PSY_NON_CONVENTIONNE"),
    ("S25", "PSY_NON_CONVENTIONNE"),
    ("S26", "HORS_DISPOSITIF"),
    ("S27", "FORCLOS"),
    ("S28", "DATE_INVALIDE"),
    ("S29", "1 5000 psychologue 0 none none 0 0"),
    ("S30", "1 2400 psychologue 1600 amc noemie 0 0"),
    ("S31", "2 1800 psychologue 1200 amc noemie 0 0"),
    ("S32", "3 1800 psychologue 1200 amc noemie 0 0"),
    ("S33", "4 1800 psychologue 1200 amc noemie 0 0"),
    ("S34", "5 1800 psychologue 1200 amc noemie 0 0"),
    ("S35", "6 1800 psychologue 1200 amc noemie 0 0"),
    ("S36", "7 1800 psychologue 1200 amc noemie 0 0"),
    ("S37", "8 1800 psychologue 1200 amc noemie 0 0"),
    ("S38", "PLAFOND"),
    ("S39", "1 3000 psychologue 2000 amc noemie 0 0"),
    ("S40", "2 5000 psychologue 0 none none 0 0"),
    ("S41", "1 3000 assure 2000 amc decompte 0 0"),
];

fn describe(d: &Decision) -> String {
    match d {
        Decision::Rejected(r) => r.code().to_string(),
        Decision::Accepted(p) => format!(
            "{} {} {} {} {} {} {} {}",
            p.rank,
            p.amo.0,
            p.amo_payee.code(),
            p.complementary.0,
            p.complementary_payer.code(),
            p.complementary_route.code(),
            p.state.0,
            p.patient.0
        ),
    }
}

#[test]
fn samples_adjudicate_as_documented() {
    assert_eq!(rows::<msp_domain::RegistryEntry>("registry.csv").len(), 7);
    let _ = RegistryReader::<File>::new;
    let _ = (ConventionReader::<File>::new, SuspensionReader::<File>::new);
    let _ = (BeneficiaryReader::<File>::new, ExclusionReader::<File>::new);
    let _ = ClaimReader::<File>::new;
    let mut facts = FactsMap::default();
    for c in rows::<msp_domain::Convention>("conventions.csv") {
        facts
            .psychologists
            .entry(c.rpps)
            .or_default()
            .conventions
            .push(c.period);
    }
    for s in rows::<msp_domain::Suspension>("suspensions.csv") {
        facts
            .psychologists
            .entry(s.rpps)
            .or_default()
            .suspensions
            .push(s.period);
    }
    for b in rows::<msp_domain::Beneficiary>("beneficiaries.csv") {
        facts.beneficiaries.insert(b.nir, b);
    }
    for x in rows::<msp_domain::Exclusion>("exclusions.csv") {
        facts
            .beneficiaries
            .get_mut(&x.nir)
            .unwrap()
            .exclusions
            .push(x.period);
    }
    assert_eq!(facts.beneficiaries.len(), 12);
    assert_eq!(facts.psychologists.len(), 4);
    let claims: Vec<Claim> = rows("claims.csv");
    assert_eq!(claims.len(), 41);
    let decisions = judge_batch(&Rules::standard(), &facts, &mut Ledger::default(), &claims);
    let mut seen = std::collections::HashSet::new();
    for (claim, decision) in claims.iter().zip(&decisions) {
        let expected = EXPECTED
            .iter()
            .find(|(id, _)| *id == claim.claim_id)
            .unwrap_or_else(|| panic!("no expectation for {}", claim.claim_id))
            .1;
        assert_eq!(describe(decision), expected, "claim {}", claim.claim_id);
        seen.insert(claim.claim_id.as_str());
    }
    assert_eq!(seen.len(), EXPECTED.len());
    // Every rejection reason of SPEC §7 is exercised.
    for reason in msp_domain::Reason::ALL {
        assert!(
            decisions.iter().any(|d| d.reason() == Some(reason)),
            "{reason} not exercised"
        );
    }
}
