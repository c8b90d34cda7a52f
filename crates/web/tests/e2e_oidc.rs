//! Browser test of the sign-in with OpenID providers (issue 11), in headless Chromium over the
//! real server and the real `oidc-provider` (npm): a psychologist signs in with the Pro Santé
//! Connect-like provider and reaches the space under the RPPS it gave; a patient signs in with
//! the FranceConnect-like provider and ties the account to the insured person. msp's pages are
//! audited with axe-core.

mod common;

use common::browser::{Driver, assert_accessible, serve_on};
use common::fixtures::{beneficiary, nir, registry_entry, rpps, state_with};
use common::oidc::{self, professional};
use msp_store::testing;
use msp_web::Options;
use serde_json::json;
use std::net::TcpListener;

#[test]
fn a_psychologist_and_a_patient_sign_in_through_their_providers() {
    let db = testing::sqlite();
    let psy = rpps("1000000042");
    let patient_nir = nir("2850575056123");
    let mut conn = db.connect();
    registry_entry(&mut conn, &psy, "Dubois", "Claire");
    beneficiary(&mut conn, &patient_nir, "1985-05-12");
    drop(conn);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let redirect = format!(
        "http://{}/connexion/oidc/retour",
        listener.local_addr().unwrap()
    );
    let providers = oidc::start(
        json!({
            "psc": {"claire": professional(&psy, "93", "Claire", "Dubois")},
            "fc": {"camille": {"given_name": "Camille", "family_name": "Bernard",
                               "birthdate": "1985-05-12", "birthplace": "75056"}},
        }),
        &redirect,
    );
    let config = providers
        .config(&redirect)
        .into_iter()
        .filter(|p| p.name == "psc" || p.name == "fc")
        .map(|mut p| {
            if p.name == "psc" {
                p.label = "Pro Santé Connect".into();
            }
            p
        })
        .collect();
    let state = state_with(
        &db,
        4,
        Options {
            today: Some(common::TODAY),
            oidc: config,
            ..Default::default()
        },
    );
    let base = serve_on(state, listener);
    let d = Driver::start();

    d.goto(&format!("{base}/connexion"));
    d.wait_for("a[href='/connexion/oidc/psc']");
    assert_accessible(&d, "connexion avec fournisseurs d’identité");
    assert!(
        d.text("main")
            .contains("Se connecter avec Pro Santé Connect")
    );
    d.click_on("a[href='/connexion/oidc/psc']");
    // The provider's own page: choose the identity.
    d.wait_for("select#login");
    d.set_value("select#login", "claire");
    d.click_on("form button[type=submit]");
    d.wait_for_url("the space after Pro Santé Connect", |u| {
        u.ends_with("/espace")
    });
    assert_eq!(d.text("h1"), "Mon espace");
    assert!(
        d.text(".brand-sub").contains("Claire Dubois"),
        "{}",
        d.text("header")
    );
    assert_accessible(&d, "espace après Pro Santé Connect");
    d.click_on("form[action='/deconnexion'] button[type=submit]");
    d.wait_for_url("home after signing out", |u| !u.contains("/espace"));

    d.goto(&format!("{base}/connexion"));
    d.wait_for("a[href='/connexion/oidc/fc']");
    d.click_on("a[href='/connexion/oidc/fc']");
    d.wait_for("select#login");
    d.set_value("select#login", "camille");
    d.click_on("form button[type=submit]");
    d.wait_for_url("the link form", |u| u.ends_with("/espace/rattachement"));
    d.wait_for("#nir");
    assert_accessible(&d, "rattachement FranceConnect");
    let f = d.wait_for("#nir");
    d.type_into(&f, &patient_nir);
    d.set_value("#date_naissance", "1985-05-12");
    d.click_on("form[action='/espace/rattachement'] button[type=submit]");
    d.wait_for_url("the space once linked", |u| {
        u.ends_with("/espace?rattache=1")
    });
    assert!(
        d.text("main")
            .contains("Votre compte est rattaché à votre dossier d’assuré"),
        "{}",
        d.text("main")
    );
    assert_accessible(&d, "espace une fois rattaché");
    assert!(
        d.text(".brand-sub").contains("Camille Bernard"),
        "{}",
        d.text("header")
    );
    drop(providers);
}
