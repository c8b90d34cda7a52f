//! Browser test of « Ma fiche » (issue 12), in headless Chromium over the real server (SQLite):
//! a conventioned psychologist signs in, is told her card is public and why, gets a postal code
//! refused with the field named, previews her card (nothing saved), saves it, confirms her
//! availability in one click, and finds both on the public card and in the search. Every page
//! is audited with axe-core; each step is captured under `target/captures/fiche-*.png`.

mod common;

use common::TODAY;
use common::browser::{Driver, assert_accessible, serve, sign_in};
use common::fixtures::{Account, conventioned_psychologist_named, rpps, state_on};
use msp_domain::Role;
use msp_store::testing;

const PASSWORD: &str = "correct-horse-battery-staple";
const EMAIL: &str = "psy@example.org";

#[test]
fn a_psychologist_edits_her_card_and_confirms_her_availability() {
    let db = testing::sqlite();
    let own = rpps("1000000042");
    {
        let mut conn = db.connect();
        let hash = msp_web::pages::auth::hash_password_blocking(PASSWORD).unwrap();
        let id = Account::new(Role::Psychologue, EMAIL)
            .named("Claire Dubois")
            .password_hash(&hash)
            .create(&mut conn);
        conventioned_psychologist_named(&mut conn, id, &own, "Dubois", "Claire");
    }
    let base = serve(state_on(&db, TODAY));
    let d = Driver::start();
    sign_in(&d, &base, EMAIL, PASSWORD, "Claire Dubois");

    d.goto(&format!("{base}/espace/fiche"));
    d.wait_for("#adresse1");
    assert_eq!(d.text("h1"), "Ma fiche de l’annuaire");
    let main = d.text("main");
    assert!(
        main.contains("Enregistrez d’abord votre fiche")
            && main.contains(
                "votre convention court, votre fiche sera publique dès que vous l’aurez enregistrée"
            ),
        "why the card is not public yet, and no availability before a card: {main}"
    );
    assert_accessible(&d, "ma fiche (vide)");
    d.capture("fiche-1-vide");

    // A postal code that is not the commune's: refused, the field named, nothing saved.
    let fill = |line: &str, postal: &str, commune: &str| {
        for (id, v) in [
            ("#adresse1", line),
            ("#cp1", postal),
            ("#commune1", commune),
        ] {
            d.set_value(id, v);
        }
    };
    fill("12 rue de Marseille", "75001", "Lyon");
    d.click_on("button[name=action][value=enregistrer]");
    d.wait_for(".notice-error, [role=alert]");
    let main = d.text("main");
    assert!(
        main.contains("Votre fiche n’a pas été enregistrée"),
        "{main}"
    );
    assert_eq!(
        d.exec(
            "return document.getElementById('cp1').getAttribute('aria-invalid');",
            serde_json::json!([])
        ),
        "true"
    );
    assert_accessible(&d, "ma fiche (erreur)");
    d.capture("fiche-2-erreur");
    assert!(
        !d.text("main").contains("Votre fiche est enregistrée"),
        "a refusal must not read as a success"
    );

    // Preview: the public card as it would read, nothing saved yet.
    fill("12 rue de Marseille", "69007", "");
    d.set_value("#telephone", "04 72 00 00 01");
    d.click_on("#telephone_public");
    d.click_on("#langue-en");
    d.click_on("button[name=action][value=apercu]");
    d.wait_for("#apercu-titre");
    let preview = d.text(".preview");
    assert!(
        preview.contains("12 rue de Marseille") && preview.contains("Aperçu seulement"),
        "{preview}"
    );
    assert_accessible(&d, "ma fiche (aperçu)");
    d.capture("fiche-3-apercu");
    let public = format!("{base}/psychologues/{own}");

    // Saved: told so; then one click for the availability.
    d.click_on("button[name=action][value=enregistrer]");
    d.wait_until("the saved card", || {
        d.text("main").contains("Votre fiche est enregistrée")
    });
    assert!(
        d.text("main")
            .contains("Votre fiche est publique aujourd’hui")
    );
    // Nothing declared yet: neither answer is chosen for her.
    assert_eq!(
        d.exec(
            "return document.getElementById('accepte-oui').checked || document.getElementById('accepte-non').checked;",
            serde_json::json!([])
        ),
        false
    );
    // Each radio button sits on its label's line, to its left, as checkboxes do.
    for id in ["accepte-oui", "accepte-non", "teleconsultation"] {
        let beside = d.exec(
            "var i = document.getElementById(arguments[0]).getBoundingClientRect();
             var l = document.querySelector('label[for=' + arguments[0] + ']').getBoundingClientRect();
             return l.left >= i.right && l.top < i.bottom && i.top < l.bottom;",
            serde_json::json!([id]),
        );
        assert_eq!(beside, true, "#{id} beside its label");
    }
    d.click_on("#accepte-oui");
    d.set_value("#delai", "semaine");
    d.click_on("form[action='/espace/fiche/disponibilite'] button[type=submit]");
    d.wait_until("the availability confirmed", || {
        d.text("main")
            .contains("Disponibilité confirmée aujourd’hui")
    });
    assert_accessible(&d, "ma fiche (disponibilité confirmée)");
    d.capture("fiche-4-confirmee");

    // The public card and the search say it, with the confirmation date.
    d.goto(&public);
    d.wait_for("h1");
    // Dates are written with non-breaking spaces.
    let card = d.text("main").replace(['\u{a0}', '\u{202f}'], " ");
    for expected in [
        "12 rue de Marseille",
        "04 72 00 00 01",
        "anglais",
        "Accepte de nouveaux patients, premier rendez-vous sous une semaine (confirmé le 23 novembre 2026)",
    ] {
        assert!(
            card.contains(expected),
            "« {expected} » not on the card: {card}"
        );
    }
    assert_accessible(&d, "fiche publique");
    d.capture("fiche-5-publique");
    d.goto(&format!("{base}/recherche?q=Lyon&rayon=10&disponible=1"));
    d.wait_for("main");
    assert!(d.text("main").contains("Dubois"), "{}", d.text("main"));
}
