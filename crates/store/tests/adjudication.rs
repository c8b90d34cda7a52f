//! Batch adjudication against both engines: decisions, idempotence, counters across batches.

use jiff::civil::{Date, date};
use msp_domain::fixtures::{nir, rpps};
use msp_domain::*;
use msp_store::{claims::adjudicate_batch, reference, testing};

fn refs(db: &mut msp_store::Db) {
    let registry = RegistryEntry {
        rpps: rpps(1),
        last_name: "Durand".into(),
        first_name: "Léa".into(),
        profession_code: "93".into(),
        practice_mode: PracticeMode::Liberal,
        commune_insee: Some("69383".into()),
    };
    reference::upsert_registry(db, &[registry]).unwrap();
    let convention = Convention {
        rpps: rpps(1),
        cpam: "691".into(),
        period: Period::new(date(2022, 1, 1), None),
    };
    reference::upsert_conventions(db, std::slice::from_ref(&convention)).unwrap();
    reference::upsert_conventions(db, &[convention]).unwrap();
    let mut people = Vec::new();
    for n in 1..=3 {
        people.push(Beneficiary {
            nir: nir(n),
            birth_date: date(1990, 3, 4),
            sex: Sex::Female,
            regime: InsuranceRegime::General,
            rights: Some(Period::new(date(2000, 1, 1), None)),
            ame: None,
            c2s: (n == 2).then(|| Period::new(date(2020, 1, 1), None)),
            amc_id: Some("MUT".into()),
            noemie: n == 1,
            commune_insee: None,
            exclusions: vec![],
        });
    }
    reference::upsert_beneficiaries(db, &people).unwrap();
    reference::upsert_exclusions(
        db,
        &[Exclusion {
            nir: nir(3),
            period: Period::new(date(2024, 1, 1), None),
        }],
    )
    .unwrap();
}

fn claim(id: &str, patient: u32, day: Date, act: Act) -> Claim {
    Claim {
        claim_id: id.into(),
        received_date: day.tomorrow().unwrap(),
        rpps: rpps(1),
        nir: nir(patient),
        session_date: day,
        act,
        amount: Cents(5000),
        context: ClaimContext::Maladie,
        tiers_payant: false,
        referral: None,
    }
}

fn weekly(patient: u32, from: u32, to: u32) -> Vec<Claim> {
    (from..to)
        .map(|i| {
            let day = date(2025, 1, 6) + jiff::Span::new().weeks(i64::from(i));
            claim(
                &format!("p{patient}-{i}"),
                patient,
                day,
                if i == 0 { Act::Eep } else { Act::Aps },
            )
        })
        .collect()
}

#[test]
fn batches_continue_the_ledger_and_repeat_earlier_decisions() {
    let rules = Rules::standard();
    let now = jiff::Timestamp::now();
    for t in testing::all() {
        let mut db = t.connect();
        refs(&mut db);
        assert_eq!(
            reference::count(&mut db, "conventions").unwrap(),
            1,
            "{}: import twice changes nothing",
            t.label
        );

        // Batch 1: 8 sessions for patient 1, one for the excluded patient 3.
        let mut first = weekly(1, 0, 8);
        first.push(claim("p3-0", 3, date(2025, 1, 6), Act::Eep));
        let out = adjudicate_batch(&mut db, &rules, "b1", now, &first, &|_, _, _| {}).unwrap();
        assert_eq!(
            out.decisions.iter().filter(|d| d.is_accepted()).count(),
            8,
            "{}",
            t.label
        );
        assert_eq!(out.decisions[8].reason(), Some(Reason::Exclu));

        // Batch 2: the rest of the year; the 13th session hits the ceiling. One claim of batch 1
        // comes again and gets its decision unchanged; it is not judged twice.
        let mut second = weekly(1, 8, 14);
        second.insert(0, first[3].clone());
        let out2 = adjudicate_batch(&mut db, &rules, "b2", now, &second, &|_, _, _| {}).unwrap();
        assert_eq!(out2.already_judged, 1);
        assert_eq!(out2.decisions[0], out.decisions[3], "{}", t.label);
        let ranks: Vec<Option<u32>> = out2.decisions[1..]
            .iter()
            .map(|d| d.payment().map(|p| p.rank))
            .collect();
        assert_eq!(
            ranks,
            vec![Some(9), Some(10), Some(11), Some(12), None, None],
            "{}",
            t.label
        );
        assert_eq!(out2.decisions[5].reason(), Some(Reason::Plafond));

        // Running batch 2 again changes nothing and reports the same decisions.
        let again =
            adjudicate_batch(&mut db, &rules, "b2 again", now, &second, &|_, _, _| {}).unwrap();
        assert_eq!(again.decisions, out2.decisions, "{}", t.label);
        assert_eq!(again.already_judged, second.len());
        assert_eq!(
            reference::count(&mut db, "claims").unwrap(),
            9 + 6,
            "{}",
            t.label
        );
        assert_eq!(reference::count(&mut db, "accepted_sessions").unwrap(), 12);
        let h = msp_store::claims::load_patient_history(&mut db, &nir(1)).unwrap();
        assert_eq!(h.year(2025).accepted, 12);
        assert_eq!(h.year(2025).first_eep, Some(date(2025, 1, 6)));
    }
}

#[test]
fn a_failed_batch_leaves_nothing_behind() {
    let rules = Rules::standard();
    for t in testing::all() {
        let mut db = t.connect();
        refs(&mut db);
        // The batch is judged and written, then the enclosing transaction fails before commit.
        let claims = weekly(2, 0, 3);
        let failed = db.transaction(|tx| {
            let out = adjudicate_batch(
                tx,
                &rules,
                "doomed",
                jiff::Timestamp::now(),
                &claims,
                &|_, _, _| {},
            )?;
            assert_eq!(out.decisions.len(), 3);
            Err::<(), _>(msp_store::StoreError::Invalid("interrompu".into()))
        });
        assert!(failed.is_err());
        assert_eq!(
            reference::count(&mut db, "claims").unwrap(),
            0,
            "{}",
            t.label
        );
        assert_eq!(
            reference::count(&mut db, "patient_years").unwrap(),
            0,
            "{}",
            t.label
        );
        let out = adjudicate_batch(
            &mut db,
            &rules,
            "retry",
            jiff::Timestamp::now(),
            &claims,
            &|_, _, _| {},
        )
        .unwrap();
        assert!(
            out.decisions.iter().all(Decision::is_accepted),
            "{}",
            t.label
        );
        let p = out.decisions[0].payment().unwrap();
        assert_eq!(
            (p.amo_payee, p.complementary_payer, p.complementary_route),
            (
                AmoPayee::Psychologue,
                ComplementaryPayer::C2s,
                AmcRoute::TiersPayant
            )
        );
    }
}
