//! Notices of each kind are told apart in a real browser (headless Chromium): success
//! (« Séance acceptée »), information (where the patient stands), warning (the next session
//! would be refused) and error (« Séance refusée », a search that cannot run) each have their
//! own colours, their own spoken label and the ARIA role screen readers need — `status` for
//! success and information, `alert` for warnings and errors. The pages pass axe.

mod common;

use common::TODAY;
use common::browser::{Driver, assert_accessible, serve};
use common::fixtures::{Account, beneficiary, conventioned_psychologist, rpps, state_on};
use common::http::post_json;
use msp_domain::Role;
use msp_store::testing;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const NIR: &str = "206127511100564";
const BIRTH: &str = "2006-12-05";
const PASSWORD: &str = "correct-horse-battery-staple";

/// Colours, role and spoken label of the first notice of a kind on the page.
fn look(d: &Driver, kind: &str) -> Value {
    d.wait_for(&format!("main .notice-{kind}"));
    d.exec(
        "var n = document.querySelector('main .notice-' + arguments[0]);
         var s = getComputedStyle(n);
         return { role: n.getAttribute('role'), border: s.borderLeftColor,
                  background: s.backgroundColor, width: s.borderLeftWidth,
                  label: n.querySelector('.visually-hidden').textContent };",
        json!([kind]),
    )
}

#[test]
fn the_four_kinds_of_notice_look_and_sound_different() {
    let db = testing::sqlite();
    let mut conn = db.connect();
    let hash = msp_web::security::hash_password_blocking(PASSWORD).unwrap();
    let psy = Account::new(Role::Psychologue, "psy@avis.test")
        .named("Claire Avis")
        .password_hash(&hash)
        .create(&mut conn);
    conventioned_psychologist(&mut conn, psy, &rpps("1000000042"));
    beneficiary(&mut conn, NIR, BIRTH);
    let (cookie, _) = msp_web::pages::auth::open_session_blocking(&mut conn, psy).unwrap();
    drop(conn);
    let state = state_on(&db, TODAY);
    // Twelve sessions of 2026, then a thirteenth, refused.
    let mut ids = Vec::new();
    for i in 0..13 {
        let a = post_json(
            &state,
            "/api/seances",
            Some(&cookie),
            json!({"nir": NIR, "date_naissance": BIRTH, "date_seance": format!("2026-03-{:02}", i + 1),
                   "acte": if i == 0 { "EEP" } else { "APS" }, "consentement": true}),
        );
        assert_eq!(a.status.as_u16(), 201, "{}", a.body);
        ids.push(a.json()["id"].as_str().unwrap().to_owned());
    }
    let base = serve(state.clone());
    let d = Driver::start();
    d.goto(&format!("{base}/connexion"));
    let e = d.wait_for("#email");
    d.type_into(&e, "psy@avis.test");
    let p = d.wait_for("#password");
    d.type_into(&p, PASSWORD);
    d.click_on("form[action='/connexion'] button[type=submit]");
    d.wait_for_url("the space", |u| u.ends_with("/espace"));

    // The 12th session: accepted (success), the year (information), nothing left (warning).
    d.goto(&format!("{base}/espace/seances/{}", ids[11]));
    let success = look(&d, "success");
    let info = look(&d, "info");
    let warning = look(&d, "warning");
    assert!(d.text("main .notice-success").contains("Séance acceptée"));
    assert!(d.text("main .notice-warning").contains("serait refusée"));
    assert_accessible(&d, "séance acceptée");
    // The 13th: refused (error).
    d.goto(&format!("{base}/espace/seances/{}", ids[12]));
    let error = look(&d, "error");
    assert!(d.text("main .notice-error").contains("Séance refusée"));
    assert!(
        d.find("main .notice-success").is_none(),
        "a refusal never reads as a success"
    );
    assert_accessible(&d, "séance refusée");
    // A search that cannot run is an error too, on a public page.
    d.goto(&format!("{base}/recherche?q=Xyzzyville"));
    let search_error = look(&d, "error");
    assert_eq!(search_error["border"], error["border"]);

    let kinds = [
        ("success", &success, "status", "Succès : "),
        ("info", &info, "status", "Information : "),
        ("warning", &warning, "alert", "Attention : "),
        ("error", &error, "alert", "Erreur : "),
    ];
    for (kind, l, role, label) in kinds {
        assert_eq!(l["role"], role, "{kind}: {l}");
        assert_eq!(l["label"], label, "{kind}: {l}");
        assert_ne!(l["width"], "0px", "{kind}: a marked border");
    }
    let borders: BTreeSet<String> = kinds
        .iter()
        .map(|(_, l, _, _)| l["border"].to_string())
        .collect();
    let backgrounds: BTreeSet<String> = kinds
        .iter()
        .map(|(_, l, _, _)| l["background"].to_string())
        .collect();
    assert_eq!(borders.len(), 4, "four border colours: {borders:?}");
    assert_eq!(backgrounds.len(), 4, "four backgrounds: {backgrounds:?}");
    drop(db);
}
