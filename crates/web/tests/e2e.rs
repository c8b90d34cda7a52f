//! End-to-end browser test: a person types a town, picks a suggestion, searches, applies a
//! filter and opens a card, in headless Chromium driven over WebDriver (chromedriver); every
//! page is audited with axe-core (vendored in `tests/vendor/axe.min.js`) and any *serious* or
//! *critical* violation fails the test.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`scripts/e2e.sh` installs them). When they
//! are missing the test FAILS, it never skips. Paths can be overridden with `MSP_CHROMIUM` and
//! `MSP_CHROMEDRIVER`. The WebDriver client and the audit are in `common/browser.rs`.

mod common;

use common::browser::{Driver, assert_accessible, serve};
use serde_json::json;

/// Serves the demo directory on a random loopback port, in a thread of its own.
fn start_server() -> (String, common::TestApp) {
    let app = common::demo_app();
    (serve(app.state.clone()), app)
}

#[test]
fn a_person_finds_a_psychologist_in_lyon() {
    let (base, _app) = start_server();
    let d = Driver::start();

    // Home page.
    d.goto(&format!("{base}/"));
    assert!(d.text("h1").contains("Trouver un psychologue"));
    assert_accessible(&d, "accueil");

    // Types a town and picks a suggestion from the list (JavaScript combobox).
    let input = d.wait_for("#q");
    d.type_into(&input, "lyo");
    let option = d.wait_for("#q-suggestions [role=option]");
    assert_eq!(
        d.exec(
            "return document.getElementById('q').getAttribute('aria-expanded');",
            json!([])
        ),
        "true"
    );
    let label = d.text("#q-suggestions [role=option]");
    assert!(label.starts_with("Lyon (69)"), "first suggestion: {label}");
    d.click(&option);
    assert_eq!(
        d.exec("return document.getElementById('q').value;", json!([])),
        "Lyon (69)"
    );
    // Keyboard too: arrow down then Enter chooses without a mouse.
    d.exec(
        "var q = document.getElementById('q'); q.value = ''; q.focus();",
        json!([]),
    );
    d.type_into(&input, "villeurb");
    d.wait_until("the suggestions for « villeurb »", || {
        d.text("#q-suggestions [role=option]")
            .starts_with("Villeurbanne")
    });
    d.type_into(&input, "\u{E015}"); // ArrowDown
    d.type_into(&input, "\u{E007}"); // Enter
    assert_eq!(
        d.exec("return document.getElementById('q').value;", json!([])),
        "Villeurbanne (69)"
    );
    d.exec(
        "document.getElementById('q').value = 'Lyon (69)';",
        json!([]),
    );

    // Searches.
    let submit = d.wait_for("form.search button[type=submit]");
    d.click(&submit);
    d.wait_for(".results");
    assert!(d.url().contains("/recherche?"), "{}", d.url());
    assert!(d.text("h1").contains("Lyon"));
    assert!(d.text("#resultats-titre").contains("psychologue"));
    assert_accessible(&d, "résultats");

    // Applies a filter: children.
    let children = d.wait_for("#enfants");
    d.click(&children);
    let submit = d.wait_for("form.search button[type=submit]");
    d.click(&submit);
    // The new page, not the old one's results.
    d.wait_for_url("the filtered results", |u| u.contains("enfants=1"));
    d.wait_for(".results");
    let publics = d.exec(
        "return Array.from(document.querySelectorAll('.result .tags li:first-child')).map(function (e) { return e.textContent; });",
        json!([]),
    );
    let publics: Vec<&str> = publics
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(!publics.is_empty());
    assert!(
        publics
            .iter()
            .all(|p| *p == "Adultes, adolescents et enfants" || *p == "Enfants"),
        "{publics:?}"
    );

    // Opens a card.
    let first = d.wait_for(".results h3 a");
    let name = d.text(".results h3 a");
    d.click(&first);
    d.wait_for("#nom-psy");
    assert!(d.url().contains("/psychologues/"), "{}", d.url());
    assert_eq!(d.text("#nom-psy").trim(), name.trim());
    assert!(d.text("main").contains("Public reçu"));
    assert_accessible(&d, "fiche");

    // Other pages: empty search form, an unknown town, a page that does not exist.
    d.goto(&format!("{base}/recherche"));
    d.wait_for("#q");
    assert_accessible(&d, "recherche vide");
    d.goto(&format!("{base}/recherche?q=Lyonn"));
    d.wait_for("[role=alert]");
    assert!(d.text("[role=alert]").contains("Lyonn"));
    assert_accessible(&d, "commune inconnue");
    d.goto(&format!("{base}/nulle-part"));
    d.wait_for("h1");
    assert_accessible(&d, "page introuvable");

    // Small screen (320 CSS px, WCAG 1.4.10 reflow): no horizontal scrolling, still accessible.
    d.cmd(
        "POST",
        "/window/rect",
        json!({ "width": 360, "height": 800 }),
    );
    for page in ["/", "/recherche?q=69003&enfants=1"] {
        d.goto(&format!("{base}{page}"));
        d.wait_for("h1");
        let (scroll, inner) = (
            d.exec("return document.documentElement.scrollWidth;", json!([])),
            d.exec("return window.innerWidth;", json!([])),
        );
        assert!(
            scroll.as_f64().unwrap() <= inner.as_f64().unwrap(),
            "{page}: horizontal scrolling on a small screen ({scroll} > {inner})"
        );
        assert_accessible(&d, &format!("{page} (petit écran)"));
    }
    d.cmd(
        "POST",
        "/window/rect",
        json!({ "width": 1280, "height": 900 }),
    );

    // The skip link is the first focusable element and leads to the content.
    d.goto(&format!("{base}/"));
    let first_focus = d.exec(
        "return document.querySelector('a, button, input, select, textarea').className;",
        json!([]),
    );
    assert_eq!(first_focus, "skip");

    // The audit itself catches violations: an unlabelled field and an image without text.
    d.exec(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=\"text\"><img src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\">');",
        json!([]),
    );
    let found: Vec<String> = d
        .audit()
        .iter()
        .map(|v| v["id"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(
        found.iter().any(|id| id == "label") && found.iter().any(|id| id == "image-alt"),
        "axe should report the planted violations: {found:?}"
    );
}
