//! Statistics on a small hand-built dataset, with exact expected numbers, on both engines.

use jiff::civil::{Date, date};
use msp_domain::fixtures::{nir, rpps};
use msp_domain::*;
use msp_stats::{Scope, export, refresh};
use msp_store::{Db, claims::adjudicate_batch, reference, testing};

fn registry(n: u32, mode: PracticeMode, commune: &str) -> RegistryEntry {
    RegistryEntry {
        rpps: rpps(n),
        last_name: format!("Nom{n}"),
        first_name: "Prénom".into(),
        profession_code: "93".into(),
        practice_mode: mode,
        commune_insee: Some(commune.into()),
    }
}

fn convention(n: u32, from: Date, to: Option<Date>) -> Convention {
    Convention {
        rpps: rpps(n),
        cpam: "000".into(),
        period: Period::new(from, to),
    }
}

fn person(n: u32, birth: Date, sex: Sex, commune: &str) -> Beneficiary {
    Beneficiary {
        nir: nir(n),
        birth_date: birth,
        sex,
        regime: InsuranceRegime::General,
        rights: Some(Period::new(date(2000, 1, 1), None)),
        ame: None,
        c2s: None,
        amc_id: None,
        noemie: false,
        commune_insee: Some(commune.into()),
        exclusions: vec![],
    }
}

fn claim(id: &str, psy: u32, patient: u32, day: Date, act: Act, euros: i64) -> Claim {
    let referral = (day < date(2024, 6, 15) && act == Act::Eep).then(|| Referral {
        date: day.yesterday().unwrap(),
        referrer_id: Some("10000000007".into()),
        kind: Some(ReferrerKind::Medecin),
    });
    Claim {
        claim_id: id.into(),
        received_date: day.tomorrow().unwrap(),
        rpps: rpps(psy),
        nir: nir(patient),
        session_date: day,
        act,
        amount: Cents(euros * 100),
        context: ClaimContext::Maladie,
        tiers_payant: false,
        referral,
    }
}

/// Five psychologists, three patients, three batches (the last one brings an earlier session).
fn load(db: &mut Db) {
    let rules = Rules::standard();
    reference::upsert_registry(
        db,
        &[
            registry(1, PracticeMode::Liberal, "69123"),
            registry(2, PracticeMode::Mixed, "75056"),
            registry(3, PracticeMode::Salaried, "69123"),
            registry(4, PracticeMode::Liberal, "69123"),
            registry(5, PracticeMode::Liberal, "13055"),
        ],
    )
    .unwrap();
    reference::upsert_conventions(
        db,
        &[
            convention(1, date(2022, 5, 10), None),
            convention(2, date(2024, 7, 1), None),
            convention(3, date(2023, 2, 1), None),
            convention(5, date(2022, 4, 5), Some(date(2024, 12, 31))),
        ],
    )
    .unwrap();
    reference::upsert_suspensions(
        db,
        &[Suspension {
            rpps: rpps(2),
            period: Period::new(date(2025, 1, 1), Some(date(2025, 1, 31))),
            reason: "contrôle".into(),
        }],
    )
    .unwrap();
    let mut p1 = person(1, date(1990, 3, 4), Sex::Female, "69123");
    p1.amc_id = Some("MUT".into());
    p1.noemie = true;
    let mut p2 = person(2, date(2010, 6, 1), Sex::Female, "75056");
    p2.c2s = Some(Period::new(date(2020, 1, 1), None));
    let p3 = person(3, date(1950, 1, 1), Sex::Male, "13055");
    reference::upsert_beneficiaries(db, &[p1, p2, p3]).unwrap();

    let now = jiff::Timestamp::UNIX_EPOCH;
    let batch1 = vec![
        claim("a1", 1, 1, date(2023, 3, 1), Act::Eep, 40),
        claim("a2", 1, 1, date(2023, 3, 8), Act::Aps, 30),
        claim("a3", 1, 1, date(2023, 3, 15), Act::Aps, 30),
        claim("a4", 1, 2, date(2023, 4, 3), Act::Eep, 40),
    ];
    adjudicate_batch(db, &rules, "t1", now, &batch1, &|_, _, _| {}).unwrap();
    let batch2 = vec![
        claim("b1", 1, 1, date(2024, 7, 1), Act::Eep, 50),
        claim("b2", 1, 1, date(2024, 7, 8), Act::Aps, 50),
        claim("b3", 1, 1, date(2024, 7, 8), Act::Aps, 50), // DOUBLON
        claim("b4", 5, 3, date(2024, 9, 2), Act::Eep, 50),
        claim("b5", 1, 2, date(2025, 1, 10), Act::Eep, 50),
        claim("b6", 4, 2, date(2024, 1, 10), Act::Eep, 40), // PSY_NON_CONVENTIONNE
    ];
    let out = adjudicate_batch(db, &rules, "t2", now, &batch2, &|_, _, _| {}).unwrap();
    assert_eq!(out.decisions.iter().filter(|d| d.is_accepted()).count(), 4);
    // A late claim for an earlier session: patient 3's first session moves to 2023-11-06.
    let batch3 = vec![claim("c1", 1, 3, date(2023, 11, 6), Act::Eep, 40)];
    let out = adjudicate_batch(db, &rules, "t3", now, &batch3, &|_, _, _| {}).unwrap();
    assert!(out.decisions[0].is_accepted(), "{:?}", out.decisions);
}

#[test]
fn figures_on_both_engines() {
    for t in testing::all() {
        let mut db = t.connect();
        load(&mut db);
        let rules = Rules::standard();
        let r = refresh(&mut db).unwrap();
        assert_eq!(r.batches, 3, "{}", t.label);
        assert_eq!(r.sessions, 9, "{}", t.label);
        assert_eq!(
            refresh(&mut db).unwrap().batches,
            0,
            "{}: idempotent",
            t.label
        );

        let s = msp_stats::compute(&mut db, &rules, date(2025, 1, 15), &Scope::France).unwrap();
        let l = t.label;
        assert_eq!(s.patients_since_launch, 3, "{l}");
        assert_eq!(s.sessions, 9, "{l}");
        assert_eq!(
            (s.sessions_eep, s.sessions_aps, s.sessions_pss),
            (6, 3, 0),
            "{l}"
        );
        assert_eq!(s.patients_c2s, 1, "{l}");
        assert_eq!(s.share_patients_women, Some(2.0 / 3.0), "{l}");
        assert_eq!(s.share_patients_under_25, Some(1.0 / 3.0), "{l}");
        assert_eq!(s.mean_sessions_per_patient, Some(3.0), "{l}");
        assert_eq!(s.mean_sessions_per_patient_year, Some(1.5), "{l}");
        assert_eq!(s.psychologists_conventioned, 3, "{l}");
        assert_eq!(s.psychologists_suspended, 1, "{l}");
        assert_eq!(
            (s.registered_liberal, s.conventioned_liberal),
            (4, 2),
            "{l}"
        );
        assert_eq!(s.share_psychologists_conventioned, Some(0.5), "{l}");
        assert_eq!(s.conventions_started_per_month, Some(0.0), "{l}");
        assert_eq!(s.spend.total_cents, 38_000, "{l}");
        assert_eq!(s.spend.amo_cents, 22_800, "{l}");
        assert_eq!(s.spend.amo_tiers_payant_cents, 5_400, "{l}");
        assert_eq!(s.spend.c2s_cents, 3_600, "{l}");
        assert_eq!(s.spend.amc_cents, 8_000, "{l}");
        assert_eq!(s.spend.state_cents, 0, "{l}");
        assert_eq!(s.spend.patient_cents, 3_600, "{l}");
        let started: Vec<(i16, i8, i64)> = s
            .months
            .iter()
            .filter(|m| m.conventions_started > 0)
            .map(|m| (m.year, m.month, m.conventions_started))
            .collect();
        assert_eq!(
            started,
            vec![(2022, 4, 1), (2022, 5, 1), (2023, 2, 1), (2024, 7, 1)],
            "{l}"
        );
        let nov = s
            .months
            .iter()
            .find(|m| (m.year, m.month) == (2023, 11))
            .unwrap();
        assert_eq!((nov.new_patients, nov.sessions), (1, 1), "{l}");
        let sep = s
            .months
            .iter()
            .find(|m| (m.year, m.month) == (2024, 9))
            .unwrap();
        assert_eq!((sep.new_patients, sep.sessions), (0, 1), "{l}");
        let y: Vec<(i16, i64, i64, u32)> = s
            .years
            .iter()
            .map(|y| (y.year, y.patients, y.sessions, y.ceiling))
            .collect();
        assert_eq!(
            y,
            vec![(2023, 3, 5, 8), (2024, 2, 3, 12), (2025, 1, 1, 12)],
            "{l}"
        );
        assert_eq!(s.years[0].distribution, vec![2, 0, 1, 0, 0, 0, 0, 0], "{l}");
        assert_eq!(s.years[1].distribution[..3], [1, 1, 0], "{l}");
        assert_eq!(s.years[0].at_ceiling, 0, "{l}");
        assert_eq!(s.demography.women, vec![0, 1, 0, 1, 0, 0, 0, 0], "{l}");
        assert_eq!(s.demography.men, vec![0, 0, 0, 0, 0, 0, 0, 1], "{l}");
        let ara = s.regions.iter().find(|r| r.code == "84").unwrap();
        assert_eq!(
            (
                ara.registered_liberal,
                ara.conventioned_liberal,
                ara.conventioned,
                ara.patients,
                ara.sessions
            ),
            (2, 1, 2, 1, 5),
            "{l}"
        );
        let paris = s.departements.iter().find(|d| d.code == "75").unwrap();
        assert_eq!(paris.share_conventioned, Some(1.0), "{l}");

        // Earlier dates.
        let s = msp_stats::compute(&mut db, &rules, date(2023, 12, 31), &Scope::France).unwrap();
        assert_eq!((s.patients_since_launch, s.sessions), (3, 5), "{l}");
        assert_eq!(s.psychologists_conventioned, 3, "{l}");
        let s = msp_stats::compute(&mut db, &rules, date(2023, 6, 30), &Scope::France).unwrap();
        assert_eq!((s.patients_since_launch, s.sessions), (2, 4), "{l}");
        assert_eq!(s.years.len(), 1, "{l}");

        // Scopes.
        let s = msp_stats::compute(
            &mut db,
            &rules,
            date(2025, 1, 15),
            &Scope::parse("region:84").unwrap(),
        )
        .unwrap();
        assert_eq!((s.patients_since_launch, s.sessions), (1, 5), "{l}");
        assert_eq!(
            (
                s.registered_liberal,
                s.conventioned_liberal,
                s.psychologists_conventioned
            ),
            (2, 1, 2),
            "{l}"
        );
        assert_eq!(
            s.departements
                .iter()
                .map(|d| d.code.as_str())
                .collect::<Vec<_>>()
                .len(),
            12,
            "{l}"
        );
        let s = msp_stats::compute(
            &mut db,
            &rules,
            date(2025, 1, 15),
            &Scope::parse("departement:13").unwrap(),
        )
        .unwrap();
        assert_eq!(
            (
                s.patients_since_launch,
                s.sessions,
                s.psychologists_conventioned
            ),
            (1, 2, 0),
            "{l}"
        );
        assert_eq!(s.spend.patient_cents, 3_600, "{l}");

        // Rebuilding from scratch gives the same figures.
        let before = msp_stats::compute(&mut db, &rules, date(2026, 1, 1), &Scope::France).unwrap();
        msp_stats::reset(&mut db).unwrap();
        refresh(&mut db).unwrap();
        let after = msp_stats::compute(&mut db, &rules, date(2026, 1, 1), &Scope::France).unwrap();
        assert_eq!(before, after, "{l}");
    }
}

#[test]
fn masking() {
    assert_eq!(export::masked(0), "0");
    assert_eq!(export::masked(1), "<11");
    assert_eq!(export::masked(10), "<11");
    assert_eq!(export::masked(11), "11");
    let t = testing::sqlite();
    let mut db = t.connect();
    load(&mut db);
    let rules = Rules::standard();
    let s = msp_stats::load(&mut db, &rules, date(2025, 1, 15), &Scope::France).unwrap();
    let csv = export::to_csv(&s);
    assert!(csv.starts_with("indicateur,perimetre,periode,modalite,valeur\n"));
    // Published at the month end before the date asked.
    assert_eq!(s.as_of, date(2024, 12, 31));
    assert_eq!(s.requested, date(2025, 1, 15));
    assert!(
        csv.contains("patients_depuis_lancement,France,2024-12-31,,<11\n"),
        "{csv}"
    );
    // Amounts would give the masked sessions away (amount ÷ price of a session).
    assert!(
        csv.contains("depenses_euros,France,2024-12-31,total,\n"),
        "{csv}"
    );
    // No count from 1 to 10 is left in clear: every count line ends with 0, <11 or ≥ 11.
    for line in csv.lines().skip(1) {
        let value = line.rsplit(',').next().unwrap();
        if let Ok(n) = value.parse::<i64>() {
            assert!(n == 0 || n > 10, "unmasked count: {line}");
        }
    }
    assert!(!csv.contains(nir(1).as_str()));
    let json = export::to_json(&s, true);
    assert_eq!(json["patients_depuis_lancement"], "<11");
    assert_eq!(json["date_demandee"], "2025-01-15");
    assert!(json["depenses_euros"]["total"].is_null());
    assert!(json["part_patients_femmes"].is_null());
    assert_eq!(json["seances_par_acte"]["PSS"], 0);
    let raw = export::to_json(&s, false);
    assert_eq!(raw["patients_depuis_lancement"], 3);
    // A share left out over a masked base says so beside the « — » (issue 13).
    let page = msp_stats::dashboard::dashboard_body(&s).into_string();
    let women = page
        .find("des patients sont des femmes")
        .unwrap_or_else(|| panic!("{page}"));
    let figure = &page[page[..women].rfind("<li>").unwrap()..];
    let figure = &figure[..figure.find("</li>").unwrap()];
    assert!(
        figure.contains(">—<")
            && figure.contains("non publié : l’un de ses deux termes est masqué"),
        "{figure}"
    );
    assert!(page.contains("(sinon : « — »)"), "{page}");
    // So does the share of under-25s, below the table of ages.
    assert!(
        page.contains("Moins de 25 ans : — (non publié : l’un de ses deux termes est masqué)."),
        "{page}"
    );
    // Over a base of zero (no psychologist in Lozère here) the reason is not a masked term.
    let s = msp_stats::load(
        &mut db,
        &rules,
        date(2025, 1, 15),
        &Scope::parse("departement:48").unwrap(),
    )
    .unwrap();
    assert_eq!((s.registered_liberal, s.conventioned_liberal), (0, 0));
    let page = msp_stats::dashboard::dashboard_body(&s).into_string();
    let share = page
        .find("des psychologues libéraux ou mixtes sont conventionnés")
        .unwrap();
    let figure = &page[page[..share].rfind("<li>").unwrap()..];
    let figure = &figure[..figure.find("</li>").unwrap()];
    assert!(
        figure.contains(">—<") && figure.contains("sans objet : aucun cas sur ce périmètre"),
        "{figure}"
    );
}

#[test]
fn scopes_parse() {
    assert_eq!(Scope::parse("france").unwrap(), Scope::France);
    assert_eq!(
        Scope::parse("region:84").unwrap(),
        Scope::Region("84".into())
    );
    assert_eq!(
        Scope::parse("departement:2a").unwrap(),
        Scope::Departement("2A".into())
    );
    assert_eq!(
        Scope::parse("dep:1").unwrap(),
        Scope::Departement("01".into())
    );
    assert!(Scope::parse("region:99").is_err());
    assert!(Scope::parse("ville:Lyon").is_err());
    assert_eq!(
        Scope::parse("region:84").unwrap().label(),
        "Auvergne-Rhône-Alpes"
    );
}
