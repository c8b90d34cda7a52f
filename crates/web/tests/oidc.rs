//! Sign-in with OpenID Connect against real providers (`oidc-provider` from npm, started by
//! `common::oidc` on free ports): a psychologist, a doctor and a patient signing in, and every
//! refusal — a bad signature, a replayed `state`, a wrong `nonce`, an expired ID token, an
//! unknown RPPS, an RPPS of another profession, an RPPS already bound to another account — on
//! both databases.

mod common;

use axum::http::StatusCode;
use common::fixtures::{Account, beneficiary, count, nir, registry_entry, rpps, state_with};
use common::http::{Answer, get, post_form, post_json};
use common::oidc::{self, Providers, REDIRECT, professional};
use msp_domain::Role;
use msp_store::testing::{self, TestDb};
use msp_web::{AppState, Options};
use serde_json::json;

const PATIENT_NIR_13: &str = "2850575056123";
const PATIENT_BIRTH: &str = "1985-05-12";

fn psy_rpps() -> String {
    rpps("1000000042")
}
fn doctor_rpps() -> String {
    rpps("1000000050")
}
fn unknown_rpps() -> String {
    rpps("1000000099")
}
fn taken_rpps() -> String {
    rpps("1000000068")
}

fn providers() -> Providers {
    let pro = |r: &str, p: &str| professional(r, p, "Claire", "Dubois");
    oidc::start(
        json!({
            "psc": {
                "psy": pro(&psy_rpps(), "93"),
                // The provider spells the name its own way: letters carry the registry's.
                "medecin": professional(&doctor_rpps(), "10", "LUC", "BERNARD"),
                "inconnu": pro(&unknown_rpps(), "93"),
                // A psychologist's RPPS presented as a doctor's.
                "faux-medecin": pro(&psy_rpps(), "10"),
                "pris": pro(&taken_rpps(), "93"),
                "pharmacien": pro(&psy_rpps(), "21"),
            },
            "fc": {
                "patient": {"given_name": "Camille", "family_name": "Bernard",
                            "birthdate": PATIENT_BIRTH, "birthplace": "75056"},
            },
        }),
        REDIRECT,
    )
}

struct Setup {
    db: TestDb,
    state: AppState,
}

fn setup(db: TestDb, providers: &Providers) -> Setup {
    let mut conn = db.connect();
    registry_entry(&mut conn, &psy_rpps(), "Dubois", "Claire");
    conn.execute(
        "INSERT INTO registry (rpps, last_name, first_name, profession_code, practice_mode, commune_insee)
         VALUES ($1, 'Bernard', 'Luc', '10', 'L', '75056')",
        &[doctor_rpps().into()],
    )
    .unwrap();
    // Another account already holds `taken_rpps` (an accepted application).
    let other = Account::new(Role::Psychologue, "autre@example.org").create(&mut conn);
    common::fixtures::conventioned_psychologist(&mut conn, other, &taken_rpps());
    beneficiary(&mut conn, &nir(PATIENT_NIR_13), PATIENT_BIRTH);
    drop(conn);
    let state = state_with(
        &db,
        4,
        Options {
            today: Some(common::TODAY),
            oidc: providers.config(REDIRECT),
            ..Default::default()
        },
    );
    Setup { db, state }
}

/// The provider's authorization URL from msp's start link.
fn start(s: &Setup, provider: &str) -> String {
    let a = get(&s.state, &format!("/connexion/oidc/{provider}"), None);
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let url = a.location.clone();
    for part in [
        "code_challenge=",
        "code_challenge_method=S256",
        "state=",
        "nonce=",
    ] {
        assert!(url.contains(part), "{part} missing: {url}");
    }
    url
}

fn callback(s: &Setup, query: &str) -> Answer {
    get(&s.state, &format!("/connexion/oidc/retour?{query}"), None)
}

/// Signs `login` in through `provider`: msp's answer to the callback.
fn sign_in(s: &Setup, provider: &str, login: &str) -> Answer {
    let query = oidc::authorize(&start(s, provider), login, REDIRECT);
    callback(s, &query)
}

fn session_cookie(a: &Answer) -> String {
    a.set_cookie
        .iter()
        .find_map(|c| c.strip_prefix("msp_session="))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no session: {} {}", a.status, a.body))
        .to_owned()
}

fn refused(a: &Answer, status: StatusCode, text: &str) {
    assert_eq!(a.status, status, "{}", a.body);
    assert!(a.body.contains(text), "« {text} » missing: {}", a.body);
    assert!(
        !a.set_cookie
            .iter()
            .any(|c| c.starts_with("msp_session=") && !c.starts_with("msp_session=;"))
    );
}

#[test]
fn professionals_and_patients_sign_in_and_every_bad_token_is_refused_on_both_databases() {
    let providers = providers();
    for db in testing::all() {
        let s = setup(db, &providers);
        let label = s.db.label;
        let accounts = || count(&s.db, "SELECT COUNT(*) FROM accounts");
        let before = accounts();

        // A psychologist: the account is created with the RPPS of the provider, fixed.
        let a = sign_in(&s, "psc", "psy");
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{label} {}", a.body);
        assert_eq!(a.location, "/espace");
        let cookie = session_cookie(&a);
        let row =
            s.db.connect()
                .query_one(
                    "SELECT role, rpps, display_name FROM accounts WHERE rpps = $1",
                    &[psy_rpps().into()],
                )
                .unwrap();
        assert_eq!(row.text(0).unwrap(), "psychologue", "{label}");
        assert_eq!(row.text(2).unwrap(), "Claire Dubois");
        let home = get(&s.state, "/espace", Some(&cookie));
        assert_eq!(home.status, StatusCode::OK, "{label}");
        assert!(home.body.contains("Claire Dubois"), "{}", home.body);
        // No password to change on an account made by the provider.
        assert!(!home.body.contains("Changer mon mot de passe"), "{label}");
        let password = get(&s.state, "/espace/mot-de-passe", Some(&cookie));
        assert!(
            password
                .body
                .contains("Votre compte n’a pas de mot de passe")
                && !password.body.contains("name=\"actuel\""),
            "{label}: {}",
            password.body
        );
        // Her application is made under that RPPS: the form has no field to type another.
        let application = get(&s.state, "/espace/candidature", Some(&cookie));
        assert_eq!(application.status, StatusCode::OK, "{label}");
        assert!(
            application
                .body
                .contains(&format!("Numéro RPPS : <strong>{}</strong>", psy_rpps()))
                && !application.body.contains("name=\"rpps\""),
            "{label}: {}",
            application.body
        );
        // Without a convention her psychologist's pages say why they are closed; with one on
        // record (imported from the CPAM's files), they open under her verified RPPS.
        let card = get(&s.state, "/espace/fiche", Some(&cookie));
        assert_eq!(card.status, StatusCode::FORBIDDEN, "{label}");
        assert!(
            card.body
                .contains("Aucune convention n’est enregistrée pour votre RPPS"),
            "{label}: {}",
            card.body
        );
        s.db.connect()
            .execute(
                "INSERT INTO conventions (rpps, start_date, end_date, cpam) VALUES ($1, $2, NULL, '69')",
                &[psy_rpps().into(), jiff::civil::date(2022, 4, 5).into()],
            )
            .unwrap();
        let card = get(&s.state, "/espace/fiche", Some(&cookie));
        assert_eq!(card.status, StatusCode::OK, "{label}: {}", card.body);
        // The second sign-in finds the same account.
        let again = sign_in(&s, "psc", "psy");
        assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
        assert_eq!(accounts(), before + 1, "{label}");

        // A doctor: letters name the RPPS from Pro Santé Connect.
        let a = sign_in(&s, "psc", "medecin");
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{label} {}", a.body);
        let doctor = session_cookie(&a);
        let page = get(&s.state, "/espace/adressages", Some(&doctor));
        assert!(
            page.body.contains(&format!(
                "Émis au nom de <strong>Luc Bernard</strong>, RPPS {}.",
                doctor_rpps()
            )),
            "{}",
            page.body
        );
        let letter = post_json(
            &s.state,
            "/api/adressages",
            Some(&doctor),
            json!({"patient_nom": "Camille Bernard", "nir": nir(PATIENT_NIR_13)}),
        );
        assert_eq!(
            letter.status,
            StatusCode::CREATED,
            "{label}: {}",
            letter.body
        );
        assert_eq!(
            letter.json()["prescripteur"]["nom"],
            "Luc Bernard",
            "{label}: the registry's name, not the provider's spelling"
        );

        // Refusals: nothing created, no session.
        let n = accounts();
        refused(
            &sign_in(&s, "psc", "inconnu"),
            StatusCode::FORBIDDEN,
            "n’est pas dans la copie du répertoire national (RPPS)",
        );
        refused(
            &sign_in(&s, "psc", "faux-medecin"),
            StatusCode::FORBIDDEN,
            "pour une autre profession, psychologue (code 93) :",
        );
        refused(
            &sign_in(&s, "psc", "pris"),
            StatusCode::CONFLICT,
            "déjà rattaché à un autre compte",
        );
        refused(
            &sign_in(&s, "psc", "pharmacien"),
            StatusCode::FORBIDDEN,
            "indique la profession pharmacien (code 21)",
        );
        // Tokens: signed with a key the issuer's JWKS does not publish, issued for another
        // nonce, expired.
        for provider in ["mauvaise-cle", "autre-nonce", "expire"] {
            refused(
                &sign_in(&s, provider, "psy"),
                StatusCode::FORBIDDEN,
                "jeton d’identité invalide",
            );
        }
        // A replayed state (the same answer of the provider twice): the second is refused.
        let query = oidc::authorize(&start(&s, "psc"), "psy", REDIRECT);
        assert_eq!(
            callback(&s, &query).status,
            StatusCode::SEE_OTHER,
            "{label}"
        );
        refused(&callback(&s, &query), StatusCode::FORBIDDEN, "déjà servi");
        // An unknown state.
        refused(
            &callback(&s, "code=abc&state=inconnu"),
            StatusCode::FORBIDDEN,
            "déjà servi",
        );
        assert_eq!(accounts(), n, "{label}");

        // A patient: FranceConnect, then the account tied to the insured person once.
        let a = sign_in(&s, "fc", "patient");
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{label} {}", a.body);
        assert_eq!(a.location, "/espace/rattachement");
        let patient = session_cookie(&a);
        let form = get(&s.state, "/espace/rattachement", Some(&patient));
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let csrf = form
            .body
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_owned();
        let link = |n: &str, birth: &str| {
            post_form(
                &s.state,
                "/espace/rattachement",
                Some(&patient),
                &[
                    ("_csrf", csrf.as_str()),
                    ("nir", n),
                    ("date_naissance", birth),
                ],
            )
        };
        let wrong = link(&nir(PATIENT_NIR_13), "1985-05-13");
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            wrong
                .body
                .contains("n’est pas celle que FranceConnect a transmise")
        );
        let unknown = link(&nir("1800175111006"), PATIENT_BIRTH);
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            unknown.body.contains("Aucun assuré ne correspond"),
            "{}",
            unknown.body
        );
        let ok = link(&nir(PATIENT_NIR_13), PATIENT_BIRTH);
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{label} {}", ok.body);
        assert_eq!(
            count(&s.db, "SELECT COUNT(*) FROM patient_accounts"),
            1,
            "{label}"
        );
        // Once: a second link is refused.
        let twice = link(&nir(PATIENT_NIR_13), PATIENT_BIRTH);
        assert!(twice.body.contains("déjà rattaché"), "{}", twice.body);
        let a = sign_in(&s, "fc", "patient");
        assert_eq!(a.location, "/espace", "{label}");
    }
}
