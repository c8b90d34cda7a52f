//! SPEC §7, case by case: every reason code and every amount rule, with hand-computed rows.

use jiff::civil::{Date, date};
use msp_domain::fixtures::{nir, rpps};
use msp_domain::*;
use proptest::prelude::*;

fn open(from: Date) -> Option<Period> {
    Some(Period::new(from, None))
}

fn person(n: u32) -> Beneficiary {
    Beneficiary {
        nir: nir(n),
        birth_date: date(1985, 1, 15),
        sex: Sex::Female,
        regime: InsuranceRegime::General,
        rights: open(date(2000, 1, 1)),
        ame: None,
        c2s: None,
        amc_id: Some("MUT01".into()),
        noemie: true,
        commune_insee: Some("75111".into()),
        exclusions: vec![],
    }
}

// Patients.
const A: u32 = 1; // general, AMC linked by Noémie
const B: u32 = 2; // C2S
const C: u32 = 3; // AME, no AMO rights
const D: u32 = 4; // Alsace-Moselle, AMC without Noémie
const E: u32 = 5; // child born 2021-05-10
const F: u32 = 6; // exclusion period 2023-01-01..2023-06-30
const G: u32 = 7; // rights end 2024-12-31
const H: u32 = 8; // AMO only, no complementary

// Psychologists.
const P1: u32 = 1; // conventioned since 2022
const P2: u32 = 2; // conventioned in 2023 only
const P3: u32 = 3; // suspended in March 2024
const P4: u32 = 4; // excluded from 2024-05-01
const P5: u32 = 5; // conventioned since 2022
const UNKNOWN: u32 = 99;

fn facts() -> FactsMap {
    let mut f = FactsMap::default();
    let conv = |from, to| PsychologistRights {
        conventions: vec![Period::new(from, to)],
        ..Default::default()
    };
    f.psychologists
        .insert(rpps(P1), conv(date(2022, 1, 1), None));
    f.psychologists
        .insert(rpps(P2), conv(date(2023, 1, 1), Some(date(2023, 12, 31))));
    let mut p3 = conv(date(2022, 1, 1), None);
    p3.suspensions
        .push(Period::new(date(2024, 3, 1), Some(date(2024, 3, 31))));
    f.psychologists.insert(rpps(P3), p3);
    let mut p4 = conv(date(2022, 1, 1), None);
    p4.excluded_from = Some(date(2024, 5, 1));
    f.psychologists.insert(rpps(P4), p4);
    f.psychologists
        .insert(rpps(P5), conv(date(2022, 1, 1), None));

    let mut people = vec![person(A)];
    let mut b = person(B);
    b.c2s = open(date(2023, 1, 1));
    b.amc_id = None;
    people.push(b);
    let mut c = person(C);
    c.rights = None;
    c.ame = open(date(2022, 1, 1));
    c.amc_id = None;
    people.push(c);
    let mut d = person(D);
    d.regime = InsuranceRegime::AlsaceMoselle;
    d.noemie = false;
    people.push(d);
    let mut e = person(E);
    e.birth_date = date(2021, 5, 10);
    people.push(e);
    let mut f6 = person(F);
    f6.exclusions
        .push(Period::new(date(2023, 1, 1), Some(date(2023, 6, 30))));
    people.push(f6);
    let mut g = person(G);
    g.rights = Some(Period::new(date(2000, 1, 1), Some(date(2024, 12, 31))));
    people.push(g);
    let mut h = person(H);
    h.amc_id = None;
    people.push(h);
    for p in people {
        f.beneficiaries.insert(p.nir, p);
    }
    f
}

/// A claim received the day after the session, at the tariff in force, without a letter.
fn claim(id: &str, patient: u32, psy: u32, day: Date, act: Act) -> Claim {
    let rules = Rules::standard();
    let amount = rules.regime_on(day).map_or(Cents(5000), |r| r.tariff(act));
    Claim {
        claim_id: id.into(),
        received_date: day.tomorrow().unwrap(),
        rpps: rpps(psy),
        nir: nir(patient),
        session_date: day,
        act,
        amount,
        context: ClaimContext::Maladie,
        tiers_payant: false,
        referral: None,
    }
}

fn with_letter(mut c: Claim, on: Date, kind: ReferrerKind) -> Claim {
    c.referral = Some(Referral {
        date: on,
        referrer_id: Some("10000000000".into()),
        kind: Some(kind),
    });
    c
}

fn judge_all(claims: &[Claim]) -> Vec<Decision> {
    judge_batch(&Rules::standard(), &facts(), &mut Ledger::default(), claims)
}

fn reasons(claims: &[Claim]) -> Vec<Option<&'static str>> {
    judge_all(claims)
        .iter()
        .map(|d| d.reason().map(Reason::code))
        .collect()
}

const OK: Option<&str> = None;

#[allow(clippy::too_many_arguments)] // one argument per column of a decision row
fn pay(
    rank: u32,
    tariff: i64,
    amo: i64,
    payee: AmoPayee,
    comp: i64,
    payer: ComplementaryPayer,
    route: AmcRoute,
    state: i64,
    patient: i64,
) -> Decision {
    Decision::Accepted(Payment {
        rank,
        tariff: Cents(tariff),
        amo: Cents(amo),
        amo_payee: payee,
        complementary: Cents(comp),
        complementary_payer: payer,
        complementary_route: route,
        state: Cents(state),
        patient: Cents(patient),
    })
}

#[test]
fn doublon_comes_before_every_other_check() {
    let first = claim("1", A, P1, date(2024, 7, 1), Act::Eep);
    let mut again = claim("2", A, P1, date(2024, 7, 1), Act::Eep);
    again.received_date = date(2024, 7, 5);
    again.amount = Cents(1); // would be TARIF, but DOUBLON is checked first
    let same_psy_other_act = claim("3", A, P1, date(2024, 7, 1), Act::Aps);
    assert_eq!(
        reasons(&[first, again, same_psy_other_act]),
        vec![OK, Some("DOUBLON"), Some("MEME_JOUR")]
    );
}

#[test]
fn dates_programme_and_limitation() {
    let mut late_session = claim("1", A, P1, date(2024, 7, 2), Act::Eep);
    late_session.received_date = date(2024, 7, 1);
    assert_eq!(reasons(&[late_session]), vec![Some("DATE_INVALIDE")]);
    assert_eq!(
        reasons(&[claim("1", A, P1, date(2022, 4, 4), Act::Eep)]),
        vec![Some("HORS_DISPOSITIF")]
    );
    // Session 2024-02-10: deadline 2026-04-01 (SPEC §3 example).
    let letter = |id, received| {
        let mut c = with_letter(
            claim(id, A, P1, date(2024, 2, 10), Act::Eep),
            date(2024, 2, 1),
            ReferrerKind::Medecin,
        );
        c.received_date = received;
        c
    };
    assert_eq!(
        reasons(&[letter("1", date(2026, 4, 2))]),
        vec![Some("FORCLOS")]
    );
    assert_eq!(reasons(&[letter("1", date(2026, 4, 1))]), vec![OK]);
}

#[test]
fn psychologist_must_be_conventioned_on_the_day() {
    let day = date(2024, 7, 1);
    assert_eq!(
        reasons(&[claim("1", A, P2, date(2024, 1, 5), Act::Aps)]),
        vec![Some("PSY_NON_CONVENTIONNE")]
    );
    assert_eq!(
        reasons(&[claim("1", A, P3, date(2024, 3, 15), Act::Aps)]),
        vec![Some("PSY_NON_CONVENTIONNE")]
    );
    assert_eq!(
        reasons(&[claim("1", A, P4, date(2024, 5, 2), Act::Aps)]),
        vec![Some("PSY_NON_CONVENTIONNE")]
    );
    assert_eq!(
        reasons(&[claim("1", A, UNKNOWN, day, Act::Eep)]),
        vec![Some("PSY_NON_CONVENTIONNE")]
    );
    // The suspension lifts itself: April is fine again.
    assert_eq!(
        reasons(&[claim("1", A, P3, date(2024, 7, 1), Act::Eep)]),
        vec![OK]
    );
}

#[test]
fn rights_age_and_exclusion() {
    assert_eq!(
        reasons(&[claim("1", 42, P1, date(2024, 7, 1), Act::Eep)]),
        vec![Some("DROITS_FERMES")]
    );
    assert_eq!(
        reasons(&[claim("1", G, P1, date(2025, 1, 10), Act::Eep)]),
        vec![Some("DROITS_FERMES")]
    );
    assert_eq!(
        reasons(&[claim("1", G, P1, date(2024, 12, 31), Act::Eep)]),
        vec![OK]
    );
    // Third birthday 2024-07-10 in the 2024 regime (no letter needed).
    let child = |day| claim("1", E, P1, day, Act::Eep);
    let mut e = facts();
    e.beneficiaries.get_mut(&nir(E)).unwrap().birth_date = date(2021, 7, 10);
    let judge =
        |c: Claim| judge_batch(&Rules::standard(), &e, &mut Ledger::default(), &[c])[0].reason();
    assert_eq!(judge(child(date(2024, 7, 9))), Some(Reason::Age));
    assert_eq!(judge(child(date(2024, 7, 10))), None);
    // Exclusion 2023-01-01..2023-06-30 excludes up to 2025-06-30.
    assert_eq!(
        reasons(&[claim("1", F, P1, date(2025, 6, 30), Act::Eep)]),
        vec![Some("EXCLU")]
    );
    assert_eq!(
        reasons(&[claim("1", F, P1, date(2025, 7, 1), Act::Eep)]),
        vec![OK]
    );
}

#[test]
fn tariff_must_match_the_regime() {
    let mut c = claim("1", A, P1, date(2024, 7, 1), Act::Eep);
    c.amount = Cents(4000); // the old 2022 tariff
    assert_eq!(reasons(&[c]), vec![Some("TARIF")]);
    let mut old = with_letter(
        claim("1", A, P1, date(2023, 3, 1), Act::Eep),
        date(2023, 2, 1),
        ReferrerKind::Medecin,
    );
    old.amount = Cents(5000);
    assert_eq!(reasons(&[old]), vec![Some("TARIF")]);
}

#[test]
fn referral_rules_of_the_2022_regime() {
    let eep = |d| claim("1", A, P1, d, Act::Eep);
    let day = date(2023, 3, 29);
    assert_eq!(reasons(&[eep(day)]), vec![Some("ADRESSAGE")]);
    assert_eq!(
        reasons(&[with_letter(
            eep(day),
            date(2022, 9, 29),
            ReferrerKind::Medecin
        )]),
        vec![OK]
    );
    assert_eq!(
        reasons(&[with_letter(
            eep(day),
            date(2022, 9, 28),
            ReferrerKind::Medecin
        )]),
        vec![Some("ADRESSAGE")]
    );
    assert_eq!(
        reasons(&[with_letter(
            eep(day),
            date(2023, 3, 30),
            ReferrerKind::Medecin
        )]),
        vec![Some("ADRESSAGE")]
    );
    assert_eq!(
        reasons(&[with_letter(eep(day), day, ReferrerKind::Medecin)]),
        vec![OK]
    );
    // Midwives may refer from 2023-12-25.
    let sf = |d| with_letter(eep(d), date(2023, 12, 1), ReferrerKind::SageFemme);
    assert_eq!(reasons(&[sf(date(2023, 12, 24))]), vec![Some("ADRESSAGE")]);
    assert_eq!(reasons(&[sf(date(2023, 12, 26))]), vec![OK]);
    // A letter without a referrer kind is not from an allowed referrer.
    let mut no_kind = with_letter(eep(day), date(2023, 3, 1), ReferrerKind::Medecin);
    no_kind.referral.as_mut().unwrap().kind = None;
    assert_eq!(reasons(&[no_kind]), vec![Some("ADRESSAGE")]);
    // Follow-ups need no letter; direct access from 2024-06-15.
    let follow = claim("2", A, P1, date(2023, 4, 5), Act::Aps);
    assert_eq!(
        reasons(&[
            with_letter(eep(day), date(2023, 3, 1), ReferrerKind::Medecin),
            follow
        ]),
        vec![OK, OK]
    );
    assert_eq!(reasons(&[eep(date(2024, 6, 14))]), vec![Some("ADRESSAGE")]);
    assert_eq!(reasons(&[eep(date(2024, 6, 15))]), vec![OK]);
}

#[test]
fn one_session_a_day_and_one_eep_a_year() {
    let claims = [
        claim("1", A, P1, date(2024, 7, 1), Act::Eep),
        claim("2", A, P5, date(2024, 7, 1), Act::Aps),
        claim("3", A, P5, date(2024, 8, 1), Act::Eep),
        claim("4", A, P5, date(2024, 8, 2), Act::Pss),
    ];
    assert_eq!(
        reasons(&claims),
        vec![OK, Some("MEME_JOUR"), Some("EEP_DEJA_FACTUREE"), OK]
    );
}

#[test]
fn the_first_session_of_each_year_is_an_eep() {
    let claims = [
        claim("1", H, P1, date(2024, 7, 1), Act::Aps),
        claim("2", H, P1, date(2024, 12, 1), Act::Eep),
        claim("3", H, P1, date(2024, 12, 8), Act::Pss),
        claim("4", H, P1, date(2025, 1, 5), Act::Aps),
        claim("5", H, P5, date(2025, 1, 12), Act::Eep),
        claim("6", H, P1, date(2025, 1, 19), Act::Aps),
    ];
    assert_eq!(
        reasons(&claims),
        vec![Some("EEP_MANQUANTE"), OK, OK, Some("EEP_MANQUANTE"), OK, OK]
    );
}

#[test]
fn ceiling_of_twelve_and_ranks() {
    let mut claims = vec![claim("00", A, P1, date(2025, 1, 6), Act::Eep)];
    for i in 1..13 {
        claims.push(claim(
            &format!("{i:02}"),
            A,
            if i % 2 == 0 { P1 } else { P5 },
            date(2025, 1, 6) + jiff::Span::new().weeks(i),
            Act::Aps,
        ));
    }
    let decisions = judge_all(&claims);
    let ranks: Vec<Option<u32>> = decisions
        .iter()
        .map(|d| d.payment().map(|p| p.rank))
        .collect();
    let mut expected: Vec<Option<u32>> = (1..=12).map(Some).collect();
    expected.push(None);
    assert_eq!(ranks, expected);
    assert_eq!(decisions[12].reason(), Some(Reason::Plafond));
}

#[test]
fn a_regime_change_keeps_the_year_count() {
    // 8 sessions before 2024-06-15 (ceiling 8), the 9th refused, then 4 more after the reform.
    let start = date(2024, 1, 8);
    let mut claims = vec![with_letter(
        claim("00", A, P1, start, Act::Eep),
        date(2024, 1, 2),
        ReferrerKind::Medecin,
    )];
    for i in 1..8 {
        claims.push(claim(
            &format!("{i:02}"),
            A,
            P1,
            start + jiff::Span::new().weeks(i),
            Act::Aps,
        ));
    }
    claims.push(claim("08", A, P1, date(2024, 6, 10), Act::Aps));
    for (i, day) in [
        date(2024, 6, 20),
        date(2024, 7, 1),
        date(2024, 8, 1),
        date(2024, 9, 1),
        date(2024, 10, 1),
    ]
    .into_iter()
    .enumerate()
    {
        claims.push(claim(&format!("1{i}"), A, P1, day, Act::Aps));
    }
    let d = judge_all(&claims);
    let r: Vec<Option<&str>> = d.iter().map(|d| d.reason().map(Reason::code)).collect();
    assert_eq!(r[..8], [OK; 8]);
    assert_eq!(r[8], Some("PLAFOND"));
    assert_eq!(r[9..13], [OK; 4]);
    assert_eq!(r[13], Some("PLAFOND"));
    assert_eq!(d[12].payment().unwrap().rank, 12);
    // The 2022 tariff (30 €) before the reform, 50 € after.
    assert_eq!(d[1].payment().unwrap().tariff, Cents(3000));
    assert_eq!(d[9].payment().unwrap().tariff, Cents(5000));
}

#[test]
fn amounts_payees_and_routes() {
    use AmcRoute as R;
    use AmoPayee::{Assure, Psychologue};
    use ComplementaryPayer as P;
    let day = date(2024, 7, 1);
    let eep = |p| claim("1", p, P1, day, Act::Eep);
    // 60 % AMO reimbursed to the patient; the TM to the AMC linked by Noémie.
    assert_eq!(
        judge_all(&[eep(A)])[0],
        pay(1, 5000, 3000, Assure, 2000, P::Amc, R::Noemie, 0, 0)
    );
    // C2S: tiers payant on both parts.
    assert_eq!(
        judge_all(&[eep(B)])[0],
        pay(
            1,
            5000,
            3000,
            Psychologue,
            2000,
            P::C2s,
            R::TiersPayant,
            0,
            0
        )
    );
    // AME: the State pays everything.
    assert_eq!(
        judge_all(&[eep(C)])[0],
        pay(1, 5000, 0, AmoPayee::None, 0, P::None, R::None, 5000, 0)
    );
    // Alsace-Moselle: 90 %; AMC without Noémie: a statement to forward.
    assert_eq!(
        judge_all(&[eep(D)])[0],
        pay(1, 5000, 4500, Assure, 500, P::Amc, R::Decompte, 0, 0)
    );
    // No complementary: the TM stays with the patient.
    assert_eq!(
        judge_all(&[eep(H)])[0],
        pay(1, 5000, 3000, Assure, 0, P::None, R::None, 0, 2000)
    );
    // ALD, maternity, AT/MP: 100 % AMO in tiers payant, nothing left.
    for ctx in [
        ClaimContext::Ald,
        ClaimContext::Maternite,
        ClaimContext::Atmp,
    ] {
        let mut c = eep(A);
        c.context = ctx;
        assert_eq!(
            judge_all(&[c])[0],
            pay(1, 5000, 5000, Psychologue, 0, P::None, R::None, 0, 0),
            "{ctx:?}"
        );
    }
    // The psychologist chose tiers payant.
    let mut c = eep(A);
    c.tiers_payant = true;
    assert_eq!(
        judge_all(&[c])[0],
        pay(1, 5000, 3000, Psychologue, 2000, P::Amc, R::Noemie, 0, 0)
    );
    // From 2026-10-01 tiers payant on the AMO part is mandatory.
    let late = claim("1", A, P1, date(2026, 10, 5), Act::Eep);
    assert_eq!(
        judge_all(&[late])[0],
        pay(1, 5000, 3000, Psychologue, 2000, P::Amc, R::Noemie, 0, 0)
    );
    // 2022 tariffs: EEP 40 €, APS 30 €; Alsace-Moselle 90 % of 30 € = 27 €.
    let first = with_letter(
        claim("1", D, P1, date(2023, 5, 2), Act::Eep),
        date(2023, 5, 1),
        ReferrerKind::Medecin,
    );
    let follow = claim("2", D, P1, date(2023, 5, 9), Act::Aps);
    let d = judge_all(&[first, follow]);
    assert_eq!(
        d[0],
        pay(1, 4000, 3600, Assure, 400, P::Amc, R::Decompte, 0, 0)
    );
    assert_eq!(
        d[1],
        pay(2, 3000, 2700, Assure, 300, P::Amc, R::Decompte, 0, 0)
    );
}

#[test]
fn amo_share_rounds_half_up() {
    // A tariff of 49.95 € in Alsace-Moselle: 90 % = 44.955 € → 44.96 €.
    let text = msp_domain::rules::DEFAULT_RULES_TOML.replace("EEP = 5000, APS = 5000, PSS = 5000 }\nreferrers = [\n  { kind = \"medecin\", from = \"2022-04-05\" },\n  { kind = \"sage_femme\", from = \"2023-12-25\" },\n]\n\n[[regime]]\ncode = \"2026-lfss\"", "EEP = 4995, APS = 5000, PSS = 5000 }\nreferrers = [\n  { kind = \"medecin\", from = \"2022-04-05\" },\n  { kind = \"sage_femme\", from = \"2023-12-25\" },\n]\n\n[[regime]]\ncode = \"2026-lfss\"");
    let rules = Rules::from_toml(&text).unwrap();
    assert_eq!(
        rules.regime_on(date(2024, 7, 1)).unwrap().tariff(Act::Eep),
        Cents(4995),
        "rules edited"
    );
    let mut c = claim("1", D, P1, date(2024, 7, 1), Act::Eep);
    c.amount = Cents(4995);
    let d = judge_batch(&rules, &facts(), &mut Ledger::default(), &[c]);
    let p = d[0].payment().unwrap();
    assert_eq!((p.amo, p.complementary), (Cents(4496), Cents(499)));
}

#[test]
fn batch_order_is_session_date_then_received_date_then_id() {
    // Given in reverse order: the EEP is still judged first.
    let claims = [
        claim("b", A, P1, date(2024, 7, 8), Act::Aps),
        claim("a", A, P1, date(2024, 7, 1), Act::Eep),
    ];
    assert_eq!(reasons(&claims), vec![OK, OK]);
    // Same day, two psychologists: the earlier receipt wins, the other is MEME_JOUR.
    let mut x = claim("x", A, P1, date(2024, 7, 1), Act::Eep);
    let mut y = claim("y", A, P5, date(2024, 7, 1), Act::Eep);
    x.received_date = date(2024, 7, 9);
    y.received_date = date(2024, 7, 3);
    assert_eq!(
        reasons(&[x.clone(), y.clone()]),
        vec![Some("MEME_JOUR"), OK]
    );
    // Same receipt: the smaller claim id wins.
    x.received_date = y.received_date;
    assert_eq!(reasons(&[y, x]), vec![Some("MEME_JOUR"), OK]);
}

#[test]
fn a_repeated_claim_id_gets_the_first_decision() {
    let first = claim("1", A, P1, date(2024, 7, 1), Act::Eep);
    let mut repeat = claim("1", A, P1, date(2024, 7, 8), Act::Aps);
    repeat.amount = Cents(1);
    let d = judge_all(&[first, repeat]);
    assert_eq!(d[0], d[1]);
    assert!(d[0].is_accepted());
}

#[test]
fn the_engine_marks_the_first_claim_of_each_id() {
    let claims = [
        claim("2", A, P1, date(2024, 7, 8), Act::Aps),
        claim("1", A, P1, date(2024, 7, 1), Act::Eep),
        claim("2", A, P1, date(2024, 7, 15), Act::Aps),
        claim("3", A, P1, date(2024, 7, 15), Act::Aps),
        claim("1", A, P1, date(2024, 7, 22), Act::Aps),
    ];
    let refs: Vec<&Claim> = claims.iter().collect();
    let judged = judge_batch_marked(&Rules::standard(), &facts(), &mut Ledger::default(), &refs);
    assert_eq!(judged.first, [true, true, false, true, false]);
    assert_eq!(judged.decisions, judge_all(&claims));
    assert_eq!(judged.decisions[2], judged.decisions[0]);
    assert_eq!(judged.decisions[4], judged.decisions[1]);
}

fn any_claim() -> impl Strategy<Value = Claim> {
    (
        0u32..6,
        1u32..=5,
        0i64..1500,
        prop::sample::select(vec![Act::Eep, Act::Aps, Act::Pss]),
        0i64..30,
        any::<bool>(),
    )
        .prop_map(|(p, psy, offset, act, delay, letter)| {
            let day = date(2023, 1, 1) + jiff::Span::new().days(offset);
            let mut c = claim(
                &format!("{p}-{offset}-{psy}-{act}"),
                [A, B, C, D, H, G][p as usize],
                psy,
                day,
                act,
            );
            c.received_date = day + jiff::Span::new().days(delay);
            if letter {
                c = with_letter(c, day, ReferrerKind::Medecin);
            }
            c
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn no_patient_ever_exceeds_the_ceiling(claims in prop::collection::vec(any_claim(), 1..300)) {
        let rules = Rules::standard();
        let decisions = judge_all(&claims);
        let mut per_year: std::collections::HashMap<(Nir, i16), u32> = Default::default();
        let mut days = std::collections::HashSet::new();
        let mut ids = std::collections::HashSet::new();
        for (c, d) in claims.iter().zip(&decisions) {
            if !ids.insert(c.claim_id.clone()) {
                continue; // a repeated id is not a new claim
            }
            if let Some(p) = d.payment() {
                let ceiling = rules.regime_on(c.session_date).unwrap().sessions_per_year;
                prop_assert!(p.rank <= ceiling, "rank {} over ceiling {}", p.rank, ceiling);
                *per_year.entry((c.nir, c.session_date.year())).or_default() += 1;
                prop_assert!(days.insert((c.nir, c.session_date)), "two paid sessions on one day");
                prop_assert_eq!(p.tariff, p.amo + p.complementary + p.state + p.patient);
            }
        }
        prop_assert!(per_year.values().all(|n| *n <= 12));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Judging patient by patient gives the decisions of the plain global order of SPEC §7.
    #[test]
    fn patient_grouping_matches_the_global_order(claims in prop::collection::vec(any_claim(), 1..200)) {
        let rules = Rules::standard();
        let facts = facts();
        let fast = judge_batch(&rules, &facts, &mut Ledger::default(), &claims);
        let mut firsts: Vec<usize> = Vec::new();
        for (i, c) in claims.iter().enumerate() {
            if !firsts.iter().any(|&f| claims[f].claim_id == c.claim_id) {
                firsts.push(i);
            }
        }
        firsts.sort_by(|&a, &b| {
            let (x, y) = (&claims[a], &claims[b]);
            (x.session_date, x.received_date, &x.claim_id).cmp(&(y.session_date, y.received_date, &y.claim_id))
        });
        let mut ledger = Ledger::default();
        let mut slow = std::collections::HashMap::new();
        for i in firsts {
            slow.insert(claims[i].claim_id.clone(), judge(&rules, &facts, &mut ledger, &claims[i]));
        }
        for (c, d) in claims.iter().zip(&fast) {
            prop_assert_eq!(slow[&c.claim_id], *d);
        }
    }
}
