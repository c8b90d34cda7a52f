//! Live recording under concurrency: the ceiling holds on both engines.

use jiff::civil::date;
use msp_domain::fixtures::{nir, rpps};
use msp_domain::*;
use msp_store::{live, reference, testing};

fn claim(id: &str, psy: u32, day: Date, act: Act) -> Claim {
    Claim {
        claim_id: id.into(),
        received_date: day,
        rpps: rpps(psy),
        nir: nir(1),
        session_date: day,
        act,
        amount: Cents(5000),
        context: ClaimContext::Maladie,
        tiers_payant: true,
        referral: None,
    }
}

#[test]
fn concurrent_psychologists_get_one_last_session() {
    let rules = Rules::standard();
    for t in testing::all() {
        let mut db = t.connect();
        let conventions: Vec<Convention> = (1..=8)
            .map(|p| Convention {
                rpps: rpps(p),
                cpam: "751".into(),
                period: Period::new(date(2022, 1, 1), None),
            })
            .collect();
        reference::upsert_conventions(&mut db, &conventions).unwrap();
        let patient = Beneficiary {
            nir: nir(1),
            birth_date: date(1990, 1, 1),
            sex: Sex::Male,
            regime: InsuranceRegime::General,
            rights: Some(Period::new(date(2000, 1, 1), None)),
            ame: None,
            c2s: None,
            amc_id: None,
            noemie: false,
            commune_insee: None,
            exclusions: vec![],
        };
        reference::upsert_beneficiaries(&mut db, &[patient]).unwrap();
        let now = jiff::Timestamp::now();
        let start = date(2025, 1, 6);
        let standing = live::year_standing(&mut db, &rules, &nir(1), start).unwrap();
        assert_eq!(
            (standing.remaining, standing.eep_due),
            (12, true),
            "{}",
            t.label
        );
        for i in 0..11 {
            let day = start + jiff::Span::new().weeks(i);
            let act = if i == 0 { Act::Eep } else { Act::Aps };
            assert!(
                live::record_session(&mut db, &rules, now, &claim(&format!("s{i}"), 1, day, act))
                    .unwrap()
                    .is_accepted()
            );
        }
        let standing = live::year_standing(&mut db, &rules, &nir(1), start).unwrap();
        assert_eq!(
            (standing.used, standing.remaining, standing.eep_due),
            (11, 1, false)
        );

        // Eight psychologists record the twelfth session at once, on eight different days.
        let barrier = std::sync::Barrier::new(8);
        let decisions: Vec<Decision> = std::thread::scope(|s| {
            let handles: Vec<_> = (1..=8u32)
                .map(|p| {
                    let (barrier, rules, url) = (&barrier, &rules, &t.url);
                    s.spawn(move || {
                        let mut db = msp_store::Db::connect(url).unwrap();
                        let day = date(2025, 6, 1) + jiff::Span::new().days(i64::from(p));
                        barrier.wait();
                        live::record_session(
                            &mut db,
                            rules,
                            now,
                            &claim(&format!("last-{p}"), p, day, Act::Aps),
                        )
                        .unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let accepted = decisions.iter().filter(|d| d.is_accepted()).count();
        assert_eq!(accepted, 1, "{}: {decisions:?}", t.label);
        assert!(
            decisions
                .iter()
                .filter(|d| !d.is_accepted())
                .all(|d| d.reason() == Some(Reason::Plafond)),
            "{}",
            t.label
        );
        let standing = live::year_standing(&mut db, &rules, &nir(1), start).unwrap();
        assert_eq!((standing.used, standing.remaining), (12, 0), "{}", t.label);
        assert_eq!(reference::count(&mut db, "accepted_sessions").unwrap(), 12);
    }
}
