//! The generated demo: deterministic, through the real pipeline, every rejection reason; the
//! dashboard renders its key content.

use jiff::civil::date;
use msp_domain::Rules;
use msp_stats::demo::{DemoConfig, Size, run};
use msp_stats::{Scope, dashboard};
use msp_store::testing;

fn config(seed: u64) -> DemoConfig {
    DemoConfig {
        seed,
        scale: Size::Small.scale(),
        today: date(2026, 11, 23),
    }
}

#[test]
fn same_seed_same_figures_on_both_engines() {
    let rules = Rules::standard();
    let mut figures = Vec::new();
    for t in testing::all() {
        let mut db = t.connect();
        let summary = run(&mut db, &rules, &config(7), &|_| {}).unwrap();
        assert!(summary.claims > 5_000, "{}: {summary:?}", t.label);
        assert!(summary.accepted < summary.claims, "{}", t.label);
        let s = msp_stats::load(&mut db, &rules, date(2025, 6, 30), &Scope::France).unwrap();
        assert!(s.patients_since_launch > 1_000, "{}", t.label);
        assert!(s.psychologists_conventioned > 5, "{}", t.label);
        figures.push(s);
    }
    // SQLite and PostgreSQL hold the same records and give the same figures.
    if figures.len() == 2 {
        assert_eq!(figures[0], figures[1]);
    }
    // A second SQLite run with the same seed: identical; another seed: different.
    let t = testing::sqlite();
    let mut db = t.connect();
    run(&mut db, &rules, &config(7), &|_| {}).unwrap();
    let again = msp_stats::load(&mut db, &rules, date(2025, 6, 30), &Scope::France).unwrap();
    assert_eq!(again, figures[0]);
    let t = testing::sqlite();
    let mut db = t.connect();
    run(&mut db, &rules, &config(8), &|_| {}).unwrap();
    let other = msp_stats::load(&mut db, &rules, date(2025, 6, 30), &Scope::France).unwrap();
    assert_ne!(other, figures[0]);
}

#[test]
fn demo_rejects_for_every_reason_and_dashboard_renders() {
    let rules = Rules::standard();
    let t = testing::sqlite();
    let mut db = t.connect();
    let cfg = DemoConfig {
        seed: 3,
        scale: 0.01,
        today: date(2026, 11, 23),
    };
    run(&mut db, &rules, &cfg, &|_| {}).unwrap();
    let reasons: Vec<String> = db
        .query(
            "SELECT DISTINCT reason FROM claims WHERE status = 'rejected' ORDER BY reason",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.string(0).unwrap())
        .collect();
    assert_eq!(reasons.len(), 14, "{reasons:?}");

    let s = msp_stats::load(&mut db, &rules, date(2025, 6, 30), &Scope::France).unwrap();
    let page =
        dashboard::dashboard_html(&s, dashboard::Styles::Links(&["/statistiques/style.css"]));
    for needle in [
        "<html lang=\"fr\"",
        "Statistiques du dispositif Mon soutien psy",
        "30 juin 2025",
        "patients accompagnés depuis le lancement",
        "psychologues conventionnés",
        "Nouveaux psychologues conventionnés par mois",
        "Séances acceptées par mois",
        "Patients selon le nombre de séances en 2024",
        "Part des psychologues libéraux ou mixtes conventionnés, par département",
        "Rhône (69)",
        "La Réunion (974)",
        "aucun psychologue inscrit",
        "<caption>Psychologues et patients par département</caption>",
        "<caption>Psychologues et patients par région</caption>",
        "Complémentaire santé solidaire",
        "65 ans et plus",
    ] {
        assert!(page.contains(needle), "missing {needle}");
    }
    assert_eq!(page.matches("<path ").count(), 101);
    // A département whose share is masked is drawn as secret, never as « aucun psychologue ».
    assert!(
        page.contains(") : secret statistique</title></path>"),
        "a masked share on the map"
    );
    assert!(page.contains("role=\"img\""));
    assert!(!page.contains("style=\""), "no inline style (CSP)");
    assert!(!page.contains("<style>"));
    let standalone = dashboard::dashboard_html(&s, dashboard::Styles::Inline);
    assert!(standalone.contains("<style>"));

    // A région's page greys the rest of France.
    let ara = msp_stats::load(
        &mut db,
        &rules,
        date(2025, 6, 30),
        &Scope::Region("84".into()),
    )
    .unwrap();
    let page = dashboard::dashboard_body(&ara).into_string();
    assert!(page.contains("Auvergne-Rhône-Alpes"));
    assert!(page.contains("fill=\"#fafafa\""));
    // Its départements are tabled; a « by région » table of one row is not.
    assert!(page.contains("<caption>Psychologues et patients par département</caption>"));
    assert!(
        !page.contains("<caption>Psychologues et patients par région</caption>"),
        "{page}"
    );
}

#[test]
fn french_numbers() {
    assert_eq!(dashboard::fr_int(586_858), "586\u{202f}858");
    assert_eq!(dashboard::fr_int(12), "12");
    assert_eq!(dashboard::fr_int(1_000_000), "1\u{202f}000\u{202f}000");
}
