//! Sessions recorded by psychologists (issue 6) through the router, on SQLite and PostgreSQL:
//! the year's standing before recording, decisions in plain French with rank, amounts and
//! payers, refusals at the edge that store nothing, who may read a patient's sessions, the
//! psychologist's year with the remote share, the JSON API, and the audit log.

mod common;
use axum::http::StatusCode;
use common::TODAY;
use common::fixtures::{
    Account, account, beneficiary, conventioned_psychologist, count, link_patient, nir,
    prescriber_rpps, rpps, state_on,
};
use common::http::{Answer, get, post_body, post_form, post_json};
use jiff::civil::date;
use msp_domain::Role;
use msp_store::testing::{self, TestDb};
use msp_web::AppState;

/// Adult, AMC linked by Noémie.
const ADULT: &str = "206127511100564";
const ADULT_BIRTH: &str = "2006-12-05";

fn minor() -> String {
    nir("1150375111005")
}
fn full() -> String {
    nir("1800175111006")
}

struct Setup {
    db: TestDb,
    state: AppState,
    psy: (String, String),
    psy2: (String, String),
    cpam: (String, String),
    medecin: (String, String),
    medecin_id: i64,
    sage_femme: (String, String),
    patient: (String, String),
    patient2: (String, String),
    admin: (String, String),
    cpam69: (String, String),
}

fn setup(db: TestDb) -> Setup {
    let mut conn = db.connect();
    let psy = account(&mut conn, Role::Psychologue, "psy@example.org");
    let psy2 = account(&mut conn, Role::Psychologue, "psy2@example.org");
    let cpam = account(&mut conn, Role::AgentCpam, "cpam@example.org");
    let medecin = account(&mut conn, Role::Medecin, "medecin@example.org");
    let patient = account(&mut conn, Role::Patient, "patient@example.org");
    let sage_femme = account(&mut conn, Role::SageFemme, "sf@example.org");
    let patient2 = account(&mut conn, Role::Patient, "patient2@example.org");
    let admin = account(&mut conn, Role::Admin, "admin@example.org");
    let cpam69 = Account::new(Role::AgentCpam, "cpam69@example.org")
        .named("cpam69")
        .territory(Some("75"))
        .signed_in(&mut conn);
    for (id, r) in [(psy.0, rpps("1000000042")), (psy2.0, rpps("1000000043"))] {
        conventioned_psychologist(&mut conn, id, &r);
    }
    for (n, birth) in [
        (ADULT.to_owned(), ADULT_BIRTH),
        (minor(), "2015-03-10"),
        (full(), "1980-01-20"),
    ] {
        beneficiary(&mut conn, &n, birth);
    }
    link_patient(&mut conn, patient.0, ADULT);
    link_patient(&mut conn, patient2.0, &minor());
    // This patient has already used the year's 12 sessions elsewhere.
    conn.execute(
        "INSERT INTO patient_years (nir, year, accepted, first_eep) VALUES ($1, 2026, 12, $2)",
        &[full().as_str().into(), date(2026, 1, 10).into()],
    )
    .unwrap();
    drop(conn);
    let state = state_on(&db, TODAY);
    let pair = |(_, c, t): (i64, String, String)| (c, t);
    Setup {
        db,
        state,
        psy: pair(psy),
        psy2: pair(psy2),
        cpam: pair(cpam),
        medecin_id: medecin.0,
        medecin: pair(medecin),
        sage_femme: pair(sage_femme),
        patient: pair(patient),
        patient2: pair(patient2),
        admin: pair(admin),
        cpam69: pair(cpam69),
    }
}

/// Submits the session form; returns the answer.
fn record(
    s: &Setup,
    nir: &str,
    birth: &str,
    day: &str,
    act: &str,
    extra: &[(&str, &str)],
) -> Answer {
    let (c, t) = &s.psy;
    let mut form = vec![
        ("_csrf", t.as_str()),
        ("etape", "enregistrer"),
        ("nir", nir),
        ("naissance", birth),
        ("date", day),
        ("acte", act),
        ("contexte", "maladie"),
        ("consentement", "1"),
    ];
    form.extend_from_slice(extra);
    post_form(&s.state, "/espace/seances", Some(c), &form)
}

/// Records and follows the redirect to the decision page.
fn record_ok(s: &Setup, nir: &str, birth: &str, day: &str, act: &str) -> (String, String) {
    let a = record(s, nir, birth, day, act, &[]);
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(
        a.location.starts_with("/espace/seances/EN-"),
        "{}",
        a.location
    );
    let page = get(&s.state, &a.location, Some(&s.psy.0));
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    (a.location, page.body)
}

#[test]
fn recording_sessions_on_both_databases() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        let (c, t) = s.psy.clone();

        let form = get(&s.state, "/espace/seances", Some(&c));
        assert_eq!(form.status, StatusCode::OK, "{label}");
        assert!(form.body.contains("Saisir une séance"));

        // Before recording: where the patient stands this year (NIR typed with spaces).
        let v = post_form(
            &s.state,
            "/espace/seances",
            Some(&c),
            &[
                ("_csrf", &t),
                ("etape", "verifier"),
                ("nir", "2 06 12 75 111 005 64"),
                ("naissance", "05/12/2006"),
                ("date", "2026-11-02"),
            ],
        );
        assert_eq!(v.status, StatusCode::OK, "{label} {}", v.body);
        assert!(v.body.contains("0\u{a0}séance remboursée"), "{}", v.body);
        assert!(v.body.contains("12\u{a0}restantes"));
        assert!(v.body.contains("doit être un entretien d’évaluation"));

        // Accepted EEP then APS, with rank, amounts and payers.
        let (eep_url, eep) = record_ok(&s, ADULT, ADULT_BIRTH, "2026-11-02", "EEP");
        assert!(eep.contains("Séance acceptée"), "{label} {eep}");
        assert!(eep.contains("1re séance remboursée"));
        assert!(eep.contains("50,00 €") && eep.contains("30,00 €") && eep.contains("20,00 €"));
        assert!(
            eep.contains("versée au psychologue (tiers payant)"),
            "2026-lfss: AMO tiers payant mandatory"
        );
        assert!(eep.contains("transmise automatiquement par Noémie"));
        assert!(eep.contains("11\u{a0}restantes"));
        let (_, aps) = record_ok(&s, ADULT, ADULT_BIRTH, "2026-11-09", "APS");
        assert!(
            aps.contains("Séance acceptée") && aps.contains("2e séance"),
            "{aps}"
        );

        // A second session the same day: MEME_JOUR, in plain French.
        let (_, same) = record_ok(&s, ADULT, ADULT_BIRTH, "2026-11-09", "PSS");
        assert!(
            same.contains("Séance refusée") && same.contains("Déjà une séance ce jour-là"),
            "{same}"
        );
        assert!(same.contains("une séance par jour au plus"));

        // Ceiling reached across psychologists: PLAFOND.
        let (_, ceiling) = record_ok(&s, &full(), "1980-01-20", "2026-11-10", "APS");
        assert!(
            ceiling.contains("Plafond annuel atteint") && ceiling.contains("nombre maximal"),
            "{ceiling}"
        );

        let claims_before = count(&s.db, "SELECT COUNT(*) FROM claims");
        assert_eq!(claims_before, 4);
        let records_before = count(&s.db, "SELECT COUNT(*) FROM session_records");
        assert_eq!(records_before, 4);

        // Refusals at the edge store nothing.
        let unknown = "Aucun assuré ne correspond à ce NIR et à cette date de naissance";
        let a = record(&s, ADULT, "2006-12-06", "2026-11-16", "APS", &[]);
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert!(a.body.contains(unknown), "{}", a.body);
        let a = record(
            &s,
            &nir("1990175111007"),
            "1999-01-01",
            "2026-11-16",
            "APS",
            &[],
        );
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(a.body.contains(unknown), "unknown NIR answers the same");
        let a = record(&s, "206127511100563", ADULT_BIRTH, "2026-11-16", "APS", &[]);
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(a.body.contains("NIR invalide"), "{}", a.body);
        let a = record(&s, ADULT, ADULT_BIRTH, "2026-11-24", "APS", &[]);
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(a.body.contains("dans le futur"), "{}", a.body);
        let a = record(&s, &minor(), "2015-03-10", "2026-11-16", "EEP", &[]);
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(a.body.contains("autorité parentale"), "{}", a.body);
        let a = post_form(
            &s.state,
            "/espace/seances",
            Some(&c),
            &[
                ("_csrf", &t),
                ("etape", "enregistrer"),
                ("nir", ADULT),
                ("naissance", ADULT_BIRTH),
                ("date", "2026-11-16"),
                ("acte", "APS"),
            ],
        );
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(a.body.contains("consentement du patient"));
        let v = post_form(
            &s.state,
            "/espace/seances",
            Some(&c),
            &[
                ("_csrf", &t),
                ("etape", "verifier"),
                ("nir", ADULT),
                ("naissance", "2006-12-06"),
            ],
        );
        assert_eq!(v.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(v.body.contains(unknown) && !v.body.contains("restante"));
        // Without the form's token: refused.
        let a = post_form(
            &s.state,
            "/espace/seances",
            Some(&c),
            &[("_csrf", "x"), ("etape", "enregistrer"), ("nir", ADULT)],
        );
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        assert_eq!(count(&s.db, "SELECT COUNT(*) FROM claims"), claims_before);
        assert_eq!(
            count(&s.db, "SELECT COUNT(*) FROM session_records"),
            records_before
        );

        // A minor with parental consent is recorded with it.
        let (_, child) = record_ok_with(&s, &minor(), "2015-03-10", "2026-11-16", "EEP");
        assert!(child.contains("Séance acceptée"), "{child}");
        assert_eq!(
            count(
                &s.db,
                "SELECT COUNT(*) FROM session_records WHERE parental_consent = 1"
            ),
            1
        );

        // Who may read a patient's session.
        assert_eq!(
            get(&s.state, &eep_url, Some(&s.cpam.0)).status,
            StatusCode::OK
        );
        assert_eq!(
            get(&s.state, &eep_url, Some(&s.patient.0)).status,
            StatusCode::OK
        );
        for (who, cookie) in [
            ("psy2", &s.psy2.0),
            ("medecin", &s.medecin.0),
            ("another patient", &s.patient2.0),
        ] {
            let a = get(&s.state, &eep_url, Some(cookie));
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{label} {who}");
            assert!(a.body.contains("Accès refusé"));
            // The sign-out form's random CSRF token (hex) is left out of the check.
            let mut shown = a.body.clone();
            while let Some(i) = shown.find("name=\"_csrf\" value=\"") {
                let start = i + "name=\"_csrf\" value=\"".len();
                let end = shown[start..].find('"').map_or(shown.len(), |e| start + e);
                shown.replace_range(i..end, "");
            }
            assert!(
                !shown.contains("206"),
                "nothing of the patient shown to {who}"
            );
        }
        assert_eq!(
            get(&s.state, "/espace/seances/EN-INCONNU", Some(&c)).status,
            StatusCode::NOT_FOUND
        );
        // The other psychologist's own list does not show the patient.
        let other = get(&s.state, "/espace/mes-seances", Some(&s.psy2.0));
        assert_eq!(other.status, StatusCode::OK);
        assert!(other.body.contains("Aucune séance"));

        // The JSON API: same engine, same checks.
        let body = |n: &str, day: &str, act: &str| {
            serde_json::json!({
                "nir": n, "date_naissance": ADULT_BIRTH, "date_seance": day, "acte": act,
                "consentement": true
            })
        };
        let a = post_json(
            &s.state,
            "/api/seances",
            None,
            body(ADULT, "2026-11-20", "PSS"),
        );
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        let a = post_json(
            &s.state,
            "/api/seances",
            Some(&s.cpam.0),
            body(ADULT, "2026-11-20", "PSS"),
        );
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        let a = post_json(
            &s.state,
            "/api/seances",
            Some(&c),
            body("206127511100563", "2026-11-20", "PSS"),
        );
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        let j: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        assert_eq!(j["code"], "seance_invalide");
        assert!(j["detail"].as_str().unwrap().contains("NIR invalide"));
        let a = post_json(
            &s.state,
            "/api/seances",
            Some(&c),
            body(ADULT, "2026-11-20", "PSS"),
        );
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        let j: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        assert_eq!(j["statut"], "acceptee");
        assert_eq!(j["rang"], 3);
        assert_eq!(j["montants"]["amo_centimes"], 3000);
        assert_eq!(j["montants"]["complementaire_voie"], "noemie");
        assert_eq!(j["avant"]["restantes"], 10);
        assert_eq!(j["apres"]["restantes"], 9);
        let a = post_json(
            &s.state,
            "/api/seances",
            Some(&c),
            body(ADULT, "2026-11-20", "APS"),
        );
        let j: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        assert_eq!(j["statut"], "refusee");
        assert_eq!(j["motif"]["code"], "MEME_JOUR");

        // The psychologist's year: sessions, decisions, remote share against 20 %.
        let mine = get(&s.state, "/espace/mes-seances", Some(&c));
        assert_eq!(mine.status, StatusCode::OK);
        assert!(mine.body.contains("Mes séances 2026"));
        assert!(
            mine.body
                .contains("4\u{a0}séances acceptées, 3\u{a0}refusées"),
            "{}",
            mine.body
        );
        assert!(mine.body.contains("25,0 %"), "1 PSS of 4: {}", mine.body);
        assert!(mine.body.contains("dépasse le repère de 20 %"));
        assert!(mine.body.contains("une séance par jour au plus"));

        // The patient's space: sessions of the year, sessions left, reimbursements.
        let me = get(&s.state, "/espace/mon-suivi", Some(&s.patient.0));
        assert_eq!(me.status, StatusCode::OK);
        assert!(me.body.contains("Mon suivi 2026"));
        assert!(
            me.body.contains("3\u{a0}séances remboursées") && me.body.contains("9\u{a0}restantes"),
            "{}",
            me.body
        );
        assert!(
            me.body.contains("Test PSY"),
            "psychologist named: {}",
            me.body
        );
        assert!(me.body.contains("transmise automatiquement par Noémie"));
        assert!(me.body.contains(
            "Non remboursée : Une autre séance vous avait déjà été remboursée ce jour-là"
        ));
        assert!(!me.body.contains(ADULT));
        let child = get(&s.state, "/espace/mon-suivi", Some(&s.patient2.0));
        assert!(
            child.body.contains("1\u{a0}séance remboursée") && !child.body.contains("Test PSY PSS")
        );
        let audited_before = count(&s.db, "SELECT COUNT(*) FROM audit_log");
        get(&s.state, &eep_url, Some(&s.patient.0));
        assert_eq!(
            count(&s.db, "SELECT COUNT(*) FROM audit_log"),
            audited_before,
            "the patient's own reads are not audited"
        );

        // Every read is in the audit log, which names patients without their NIR.
        let lines = count(
            &s.db,
            "SELECT COUNT(*) FROM audit_log WHERE subject_kind = 'patient'",
        );
        assert!(lines >= 10, "{label}: {lines}");
        for n in [ADULT.to_owned(), minor(), full()] {
            let leaked =
                s.db.connect()
                    .query(
                        "SELECT id FROM audit_log WHERE subject_id = $1 OR reason LIKE $2",
                        &[n.as_str().into(), format!("%{n}%").into()],
                    )
                    .unwrap();
            assert!(leaked.is_empty());
        }
        let pref = s.state.patient_ref(&msp_domain::Nir::parse(ADULT).unwrap());
        let reads =
            s.db.connect()
                .query(
                    "SELECT actor, action FROM audit_log WHERE subject_id = $1",
                    &[pref.as_str().into()],
                )
                .unwrap();
        assert!(
            reads
                .iter()
                .any(|r| r.text(0).unwrap().starts_with("cpam@"))
        );
        assert!(reads.iter().any(|r| r.text(1).unwrap() == "saisie"));
    }
}

fn record_ok_with(s: &Setup, nir: &str, birth: &str, day: &str, act: &str) -> (String, String) {
    let a = record(s, nir, birth, day, act, &[("consentement_parental", "1")]);
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = get(&s.state, &a.location, Some(&s.psy.0));
    (a.location, page.body)
}

#[test]
fn date_parsing_accepts_both_forms() {
    use msp_web::pages::sessions::parse_date;
    assert_eq!(parse_date("2026-11-23"), Some(TODAY));
    assert_eq!(parse_date(" 23/11/2026 "), Some(TODAY));
    assert_eq!(parse_date("31/02/2026"), None);
    assert_eq!(parse_date("23/11/26"), None);
    assert_eq!(
        msp_web::pages::sessions::euros(msp_domain::Cents(2050)),
        "20,50 €"
    );
}

#[test]
fn referral_letters_on_both_databases() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        let (mc, mt) = s.medecin.clone();
        let doctor = prescriber_rpps(s.medecin_id);
        let issue = |extra: &[(&str, &str)]| {
            let mut form = vec![
                ("_csrf", mt.as_str()),
                ("patient_nom", "Élodie Martin"),
                ("nir", ADULT),
                ("date", "2026-11-02"),
                ("contexte", "ald"),
            ];
            for (k, v) in extra {
                form.retain(|(key, _)| key != k);
                form.push((k, v));
            }
            post_form(&s.state, "/espace/adressages", Some(&mc), &form)
        };
        // Bad input: a clear message, nothing stored.
        let a = issue(&[("nir", "206127511100563")]);
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert!(a.body.contains("NIR invalide"));
        let a = issue(&[("date", "2026-11-24")]);
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(a.body.contains("jour futur"));
        // A typed identifier is ignored: the letter names the signed-in doctor's RPPS.
        let a = issue(&[
            ("prescripteur_id", "12345678901"),
            ("nir", "206127511100563"),
        ]);
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!a.body.contains("12345678901"), "{label}");
        // Every error of the form at once, each under its field, what was typed kept.
        let a = issue(&[
            ("nir", "206127511100563"),
            ("date", "2026-11-24"),
            ("contexte", "vacances"),
        ]);
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            a.body.contains("NIR invalide")
                && a.body.contains("jour futur")
                && a.body.contains("Contexte inconnu"),
            "{}",
            a.body
        );
        assert!(a.body.contains("notice-error") && a.body.contains(r##"href="#nir""##));
        for id in ["nir", "date", "contexte"] {
            assert!(
                a.body
                    .contains(&format!(r#"aria-describedby="{id}-erreur""#))
                    && a.body.contains(&format!(r#"id="{id}-erreur""#)),
                "{id}: {}",
                a.body
            );
        }
        assert!(
            a.body.contains(r#"value="206127511100563""#),
            "typed NIR kept"
        );
        assert!(!a.body.contains(r#"aria-describedby="patient_nom-erreur""#));
        assert_eq!(count(&s.db, "SELECT COUNT(*) FROM referral_letters"), 0);

        let a = issue(&[]);
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let list = get(&s.state, "/espace/adressages", Some(&mc));
        assert_eq!(list.status, StatusCode::OK);
        assert!(
            list.body.contains("Élodie Martin") && list.body.contains("Affection de longue durée")
        );
        assert!(!list.body.contains(ADULT), "no full NIR on the page");
        let at = list.body.find("/espace/adressages/").unwrap();
        let code = list.body[at + 19..at + 27].to_owned();
        let pdf_url = format!("/espace/adressages/{code}/pdf");
        assert!(list.body.contains(&pdf_url), "{code}");
        let shown = format!("{}-{}", &code[..4], &code[4..]);
        assert!(list.body.contains(&shown));

        let pdf = get(&s.state, &pdf_url, Some(&mc));
        assert_eq!(pdf.status, StatusCode::OK);
        assert!(pdf.body.starts_with("%PDF-"));
        assert!(pdf.body.contains(&shown));
        let bytes = get(&s.state, &pdf_url, Some(&mc)).bytes;
        let letter = pdf_text(s.db.label, "courrier d’adressage", &bytes);
        assert!(
            letter.contains(&shown) && letter.contains("Élodie Martin"),
            "{letter}"
        );
        assert!(
            letter.contains("il ne fixe pas de nombre de séances")
                && !letter
                    .chars()
                    .any(|c| c.is_ascii_digit() && letter.contains(&format!("{c} séances"))),
            "a letter never fixes a number of sessions: {letter}"
        );
        assert_eq!(
            get(&s.state, &pdf_url, Some(&s.sage_femme.0)).status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&s.state, &pdf_url, Some(&s.psy.0)).status,
            StatusCode::FORBIDDEN
        );
        assert!(
            get(&s.state, "/espace/adressages", Some(&s.sage_femme.0))
                .body
                .contains("Aucun courrier émis")
        );

        // The psychologist checks the code against a session date.
        let (pc, pt) = s.psy.clone();
        let verify = |code: &str, day: &str| {
            post_form(
                &s.state,
                "/espace/adressages/verifier",
                Some(&pc),
                &[("_csrf", pt.as_str()), ("code", code), ("date", day)],
            )
        };
        let a = verify(&shown.to_lowercase(), "2026-11-23");
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert!(
            a.body.contains("<strong>Courrier valable</strong> ")
                && !a.body.contains("Courrier valable. Courrier")
                && a.body.contains("Élodie Martin"),
            "{}",
            a.body
        );
        assert!(a.body.contains("notice notice-success"), "{}", a.body);
        let a = verify(&code, "2026-11-01");
        assert!(a.body.contains("Courrier non valable.") && a.body.contains("après la séance"));
        assert!(a.body.contains("notice notice-error") && !a.body.contains("notice-success"));
        let a = verify(&code, "2027-05-03");
        assert!(a.body.contains("Courrier non valable.") && a.body.contains("plus de 6 mois"));
        let a = verify("K7QM-4TXZ", "2026-11-23");
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(a.body.contains("Aucun courrier"));
        let a = verify("K7QM-4TX0", "2026-11-23");
        assert!(a.body.contains("Code de vérification invalide"));
        assert!(
            count(
                &s.db,
                "SELECT COUNT(*) FROM audit_log WHERE reason LIKE 'vérification%'"
            ) >= 3
        );

        // Recording a session with the letter's code: the claim carries the letter.
        let a = record(
            &s,
            &minor(),
            "2015-03-10",
            "2026-11-16",
            "EEP",
            &[("consentement_parental", "1"), ("code_adressage", &shown)],
        );
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(a.body.contains("émis pour un autre patient"), "{}", a.body);
        let a = record(
            &s,
            ADULT,
            ADULT_BIRTH,
            "2026-11-16",
            "EEP",
            &[("code_adressage", "K7QM-4TXZ")],
        );
        assert!(
            a.body
                .contains("Aucun courrier d’adressage ne porte ce code")
        );
        assert_eq!(count(&s.db, "SELECT COUNT(*) FROM claims"), 0);
        let a = record(
            &s,
            ADULT,
            ADULT_BIRTH,
            "2026-11-16",
            "EEP",
            &[("code_adressage", &code.to_lowercase())],
        );
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let row =
            s.db.connect()
                .query_one(
                    "SELECT referral_date, referrer_kind, referrer_id, status FROM claims",
                    &[],
                )
                .unwrap();
        assert_eq!(row.date(0).unwrap(), date(2026, 11, 2));
        assert_eq!(row.text(1).unwrap(), "medecin");
        assert_eq!(row.text(2).unwrap(), doctor);
        assert_eq!(row.text(3).unwrap(), "accepted");
    }
}

#[test]
fn admin_ties_a_patient_account_to_a_nir() {
    for db in testing::all() {
        let s = setup(db);
        let (c, t) = s.admin.clone();
        let form = |email: &str, nir: &str| {
            post_form(
                &s.state,
                "/espace/admin/comptes",
                Some(&c),
                &[
                    ("_csrf", t.as_str()),
                    ("email", email),
                    ("nom", "Élodie Martin"),
                    ("role", "patient"),
                    ("territoire", ""),
                    ("password", "un mot de passe solide"),
                    ("nir", nir),
                ],
            )
        };
        let a = form("elodie@example.org", "");
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", s.db.label);
        assert!(a.body.contains("Un compte patient a besoin du NIR"));
        let a = form("elodie@example.org", &full());
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert_eq!(count(&s.db, "SELECT COUNT(*) FROM patient_accounts"), 3);
        // One account per beneficiary: nothing stored half-way.
        let a = form("autre@example.org", &full());
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        assert_eq!(
            count(
                &s.db,
                "SELECT COUNT(*) FROM accounts WHERE email = 'autre@example.org'"
            ),
            0
        );
    }
}

/// Sends a claims file. Once accepted (303), the batch is judged in the background: follows
/// the job's page (it refreshes while running) until the report, for a few seconds at most, and
/// returns that page with the job's address as `location`.
fn upload(state: &AppState, cookie: &str, csrf: &str, content: &str) -> Answer {
    let boundary = "----msp-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"claims.csv\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    let sent = post_body(
        state,
        "/espace/cpam/lots",
        Some(cookie),
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    );
    if sent.status != StatusCode::SEE_OTHER {
        return sent;
    }
    assert!(
        sent.location.starts_with("/espace/cpam/lots/travaux/"),
        "{}",
        sent.location
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let page = get(state, &sent.location, Some(cookie));
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        // While the batch runs, the page has the progress region `#suivi`.
        if !page.body.contains("id=\"suivi\"") {
            return Answer {
                location: sent.location,
                ..page
            };
        }
        assert!(
            page.body.contains("<progress") && page.body.contains("role=\"status\""),
            "{}",
            page.body
        );
        assert!(
            std::time::Instant::now() < deadline,
            "batch still running after 10 s: {}",
            page.body
        );
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
}

#[test]
fn cpam_rejected_claims_and_web_batches_on_both_databases() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        record_ok(&s, ADULT, ADULT_BIRTH, "2026-11-02", "EEP");
        record_ok(&s, ADULT, ADULT_BIRTH, "2026-11-02", "APS");
        record_ok(&s, &full(), "1980-01-20", "2026-11-10", "APS");

        let (c, t) = s.cpam.clone();
        let page = get(&s.state, "/espace/cpam/rejets", Some(&c));
        assert_eq!(page.status, StatusCode::OK, "{label}");
        assert!(
            page.body.contains("2\u{a0}séances rejetées")
                && page.body.contains("Toutes (2\u{a0}séances)"),
            "{}",
            page.body
        );
        assert!(page.body.contains("MEME_JOUR") && page.body.contains("PLAFOND"));
        assert!(!page.body.contains(ADULT), "NIRs masked");
        let only = get(&s.state, "/espace/cpam/rejets?motif=PLAFOND", Some(&c));
        assert!(
            only.body.contains("Motif PLAFOND : 1\u{a0}séance<"),
            "{}",
            only.body
        );
        assert_eq!(
            get(&s.state, "/espace/cpam/rejets?motif=INCONNU", Some(&c)).status,
            StatusCode::BAD_REQUEST
        );
        // An agent of another département sees none of these, and runs no batch.
        let other = get(&s.state, "/espace/cpam/rejets", Some(&s.cpam69.0));
        assert!(
            other.body.contains("0\u{a0}séance rejetée"),
            "{}",
            other.body
        );
        assert_eq!(
            get(&s.state, "/espace/cpam/lots", Some(&s.cpam69.0)).status,
            StatusCode::FORBIDDEN
        );

        // A batch from the web: judged whole, unreadable rows reported, decisions downloadable.
        let psy = rpps("1000000042");
        let csv = format!(
            "claim_id,received_date,rpps,nir,session_date,act,amount,context,tiers_payant,referral_date,referrer_id,referrer_kind\n\
             W1,2026-11-20,{psy},{ADULT},2026-11-16,APS,50.00,maladie,1,,,\n\
             W2,2026-11-20,{psy},{full},2026-11-16,APS,50.00,maladie,0,,,\n\
             W3,2026-11-20,{psy},123,2026-11-16,APS,50.00,maladie,0,,,\n",
            full = full()
        );
        let a = upload(&s.state, &c, "mauvais", &csv);
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        let claims_before = count(&s.db, "SELECT COUNT(*) FROM claims");
        let a = upload(&s.state, &c, &t, &csv);
        assert_eq!(a.status, StatusCode::OK, "{label} {}", a.body);
        let job = a.location.clone();
        assert!(
            a.body
                .contains("2\u{a0}lignes lues : 1\u{a0}acceptée, 1\u{a0}rejetée"),
            "{}",
            a.body
        );
        assert!(a.body.contains("1\u{a0}ligne illisible"));
        assert_eq!(
            count(&s.db, "SELECT COUNT(*) FROM claims"),
            claims_before + 2
        );
        let batch = count(&s.db, "SELECT MAX(batch_id) FROM batches");
        let d = get(
            &s.state,
            &format!("/espace/cpam/lots/{batch}/decisions.csv"),
            Some(&c),
        );
        assert_eq!(d.status, StatusCode::OK);
        assert!(d.body.starts_with("claim_id,"), "{}", d.body);
        assert!(
            d.body.contains("W1,accepted") && d.body.contains("W2,rejected,PLAFOND"),
            "{}",
            d.body
        );
        // The errors report, kept with the batch: line 4, column nir, no NIR.
        let errors_uri = format!("/espace/cpam/lots/{batch}/erreurs.csv");
        assert!(a.body.contains(&errors_uri), "{}", a.body);
        let e = get(&s.state, &errors_uri, Some(&c));
        assert_eq!(e.status, StatusCode::OK, "{label} {}", e.body);
        assert!(e.body.starts_with("line,column,message\n"), "{}", e.body);
        assert_eq!(e.body.lines().count(), 2, "{}", e.body);
        assert!(
            e.body.contains("4,nir,") && e.body.contains("NIR invalide"),
            "{}",
            e.body
        );
        assert!(!e.body.contains(ADULT) && !e.body.contains(&full()));
        // Agents of a département neither follow batches nor read their reports; unknown
        // jobs and batches are not found.
        assert_eq!(
            get(&s.state, &job, Some(&s.cpam69.0)).status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            get(&s.state, &errors_uri, Some(&s.cpam69.0)).status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            get(&s.state, "/espace/cpam/lots/travaux/999999", Some(&c)).status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&s.state, "/espace/cpam/lots/999999/erreurs.csv", Some(&c)).status,
            StatusCode::NOT_FOUND
        );
        // The same file again: nothing new, earlier decisions repeated.
        let a = upload(&s.state, &c, &t, &csv);
        assert!(a.body.contains("dont 2\u{a0}déjà jugées"), "{}", a.body);
        assert_eq!(
            count(&s.db, "SELECT COUNT(*) FROM claims"),
            claims_before + 2
        );
        // A file without the expected header: nothing judged.
        let a = upload(&s.state, &c, &t, "a,b\n1,2\n");
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(a.body.contains("rien n’a été jugé"), "{}", a.body);
        let page = get(&s.state, "/espace/cpam/lots", Some(&c));
        assert!(page.body.contains("claims.csv"));
        assert!(page.body.contains(&errors_uri), "{}", page.body);
        // A NIR typed in the date column: one unreadable row, reported without the NIR.
        let csv = format!(
            "claim_id,received_date,rpps,nir,session_date,act,amount,context,tiers_payant,referral_date,referrer_id,referrer_kind\n\
             W1,2026-11-20,{psy},{ADULT},2026-11-16,APS,50.00,maladie,1,,,\n\
             W4,2026-11-20,{psy},{ADULT},{ADULT},APS,50.00,maladie,1,,,\n"
        );
        let a = upload(&s.state, &c, &t, &csv);
        assert_eq!(a.status, StatusCode::OK, "{label} {}", a.body);
        assert!(
            a.body.contains("1\u{a0}ligne illisible") && a.body.contains("dont 1\u{a0}déjà jugée"),
            "{}",
            a.body
        );
        assert!(!a.body.contains(ADULT), "{}", a.body);
        let batch = count(&s.db, "SELECT MAX(batch_id) FROM batches");
        let e = get(
            &s.state,
            &format!("/espace/cpam/lots/{batch}/erreurs.csv"),
            Some(&c),
        );
        assert_eq!(e.status, StatusCode::OK);
        assert!(e.body.contains("3,session_date,"), "{}", e.body);
        assert!(!e.body.contains(&ADULT[..13]), "{}", e.body);
        assert!(
            count(
                &s.db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'liquidation'"
            ) >= 2
        );
    }
}

#[test]
fn documents_on_both_databases() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        let (url, _) = record_ok(&s, ADULT, ADULT_BIRTH, "2026-11-02", "EEP");
        let (rejected, _) = record_ok(&s, ADULT, ADULT_BIRTH, "2026-11-02", "PSS");
        let id = url.rsplit('/').next().unwrap().to_owned();

        let sheet = get(&s.state, &format!("{url}/feuille.pdf"), Some(&s.psy.0));
        assert_eq!(sheet.status, StatusCode::OK, "{label}");
        assert!(sheet.body.starts_with("%PDF-"));
        assert!(
            sheet.body.contains(&id) && sheet.body.contains(ADULT),
            "the care sheet carries the NIR"
        );
        assert!(sheet.body.contains("05/12/2006") && sheet.body.contains("50,00"));
        assert_eq!(
            get(&s.state, &format!("{url}/feuille.pdf"), Some(&s.cpam.0)).status,
            StatusCode::OK
        );

        let statement = get(&s.state, &format!("{url}/decompte.pdf"), Some(&s.patient.0));
        assert_eq!(statement.status, StatusCode::OK);
        assert!(statement.body.starts_with("%PDF-"));
        assert!(statement.body.contains("30,00") && statement.body.contains("20,00"));
        assert!(
            !statement.body.contains(ADULT),
            "masked NIR on the statement"
        );
        let statement = get(
            &s.state,
            &format!("{rejected}/decompte.pdf"),
            Some(&s.patient.0),
        );
        assert!(statement.body.contains("ce jour-l"), "the reason in words");
        for cookie in [&s.psy2.0, &s.patient2.0, &s.medecin.0] {
            assert_eq!(
                get(&s.state, &format!("{url}/decompte.pdf"), Some(cookie)).status,
                StatusCode::FORBIDDEN
            );
            assert_eq!(
                get(&s.state, &format!("{url}/feuille.pdf"), Some(cookie)).status,
                StatusCode::FORBIDDEN
            );
        }

        let monthly = get(
            &s.state,
            "/espace/mes-seances/releve.pdf?mois=2026-11",
            Some(&s.psy.0),
        );
        assert_eq!(monthly.status, StatusCode::OK);
        assert!(monthly.body.starts_with("%PDF-"));
        assert!(
            monthly.body.contains("Total vers") && monthly.body.contains("30,00"),
            "AMO in tiers payant"
        );
        assert!(monthly.body.contains("refus") && monthly.body.contains("ce jour-l"));
        let other = get(
            &s.state,
            "/espace/mes-seances/releve.pdf?mois=2026-10",
            Some(&s.psy.0),
        );
        // « 0 séance acceptée » (the PDF is in WinAnsi: only ASCII runs are read here).
        assert!(other.body.contains("ance accept") && !other.body.contains("MEME_JOUR"));
        assert_eq!(
            get(
                &s.state,
                "/espace/mes-seances/releve.pdf?mois=novembre",
                Some(&s.psy.0)
            )
            .status,
            StatusCode::BAD_REQUEST
        );
        assert!(
            count(
                &s.db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'telechargement'"
            ) >= 2
        );
    }
}

#[test]
fn cancelling_a_session_on_both_databases() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        let (c, t) = s.psy.clone();
        let (eep_url, _) = record_ok(&s, ADULT, ADULT_BIRTH, "2026-11-02", "EEP");
        let (aps_url, aps) = record_ok(&s, ADULT, ADULT_BIRTH, "2026-11-09", "APS");
        assert!(aps.contains("Annuler cette séance"), "{label} {aps}");
        let cancel = |url: &str, cookie: &str, csrf: &str, motive: &str| {
            post_form(
                &s.state,
                &format!("{url}/annulation"),
                Some(cookie),
                &[("_csrf", csrf), ("motif", motive)],
            )
        };

        // Refusals change nothing.
        let other = cancel(&aps_url, &s.psy2.0, &s.psy2.1, "erreur de patient");
        assert_eq!(
            other.status,
            StatusCode::FORBIDDEN,
            "{label} {}",
            other.body
        );
        let not_latest = cancel(&eep_url, &c, &t, "erreur de patient");
        assert_eq!(not_latest.status, StatusCode::CONFLICT, "{label}");
        assert!(not_latest.body.contains("rang 2"), "{}", not_latest.body);
        assert_eq!(
            cancel(&aps_url, &c, "faux", "erreur de patient").status,
            StatusCode::FORBIDDEN
        );
        let short = cancel(&aps_url, &c, &t, "x");
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.body.contains("Motif d’annulation"), "{}", short.body);
        // Back on the session's page, its form open, the motive as typed (issue 13).
        assert!(
            short.body.contains("<details open")
                && short.body.contains("Annulation refusée : ")
                && short.body.contains(
                    r#"name="motif" type="text" required minlength="5" maxlength="200" value="x""#
                )
                && short.body.contains("Séance du 09/11/2026"),
            "{}",
            short.body
        );
        let with_nir = cancel(&aps_url, &c, &t, &format!("patient {ADULT}"));
        assert_eq!(with_nir.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(with_nir.body.contains("numéro de sécurité sociale"));
        assert!(!with_nir.body.contains(ADULT), "the NIR is not echoed");
        assert_eq!(
            count(
                &s.db,
                "SELECT COUNT(*) FROM claims WHERE status = 'cancelled'"
            ),
            0
        );

        // The same session recorded twice is refused (DOUBLON).
        let refused = record(&s, ADULT, ADULT_BIRTH, "2026-11-09", "APS", &[]);
        assert_eq!(refused.status, StatusCode::SEE_OTHER, "{label}");
        let follow = get(&s.state, "/espace/mon-suivi", Some(&s.patient.0));
        assert!(!follow.body.contains("a depuis été annulée"), "{label}");

        // The recording psychologist cancels the latest session.
        let done = cancel(&aps_url, &c, &t, "patient confondu");
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{label} {}", done.body);
        assert_eq!(done.location, aps_url);
        let page = get(&s.state, &aps_url, Some(&c));
        assert!(page.body.contains("Séance annulée") && page.body.contains("patient confondu"));
        assert!(page.body.contains("11\u{a0}restantes"), "{}", page.body);
        assert!(!page.body.contains("Feuille de soins (PDF)"));
        let sheet = get(&s.state, &format!("{aps_url}/feuille.pdf"), Some(&c));
        assert_eq!(sheet.status, StatusCode::CONFLICT);
        assert_eq!(
            count(
                &s.db,
                "SELECT COUNT(*) FROM claims WHERE status = 'cancelled'"
            ),
            1
        );
        assert_eq!(
            count(
                &s.db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'annulation'"
            ),
            1
        );
        let mine = get(&s.state, "/espace/mes-seances", Some(&c));
        assert!(
            mine.body.contains("1\u{a0}annulée")
                && mine.body.contains("Annulée (saisie par erreur)")
        );
        let follow = get(&s.state, "/espace/mon-suivi", Some(&s.patient.0));
        assert!(follow.body.contains("11\u{a0}restantes"), "{}", follow.body);
        assert!(follow.body.contains("ni comptée ni remboursée"));
        // The same-day refusal no longer holds, and both pages say so.
        assert!(
            follow
                .body
                .contains("La séance remboursée ce jour-là a depuis été annulée"),
            "{label}: {}",
            follow.body
        );
        assert!(
            get(&s.state, "/espace/mes-seances", Some(&c))
                .body
                .contains("La séance acceptée ce jour-là a depuis été annulée"),
            "{label}"
        );

        // The day is free again; a CPAM agent cancels through the API.
        let (again_url, again) = record_ok(&s, ADULT, ADULT_BIRTH, "2026-11-09", "APS");
        assert!(again.contains("2e séance"), "{again}");
        let api = format!(
            "/api/seances/{}/annulation",
            again_url.trim_start_matches("/espace/seances/")
        );
        let body = r#"{"motif": "séance non tenue"}"#;
        assert_eq!(
            post_body(&s.state, &api, None, "application/json", body).status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            post_body(&s.state, &api, Some(&s.patient.0), "application/json", body).status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            post_body(&s.state, &api, Some(&s.cpam.0), "text/plain", body).status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        let ok = post_body(&s.state, &api, Some(&s.cpam.0), "application/json", body);
        assert_eq!(ok.status, StatusCode::OK, "{label} {}", ok.body);
        let json: serde_json::Value = serde_json::from_str(&ok.body).unwrap();
        assert_eq!(
            (json["statut"].as_str(), json["utilisees"].as_u64()),
            (Some("annulee"), Some(1))
        );
        let twice = post_body(&s.state, &api, Some(&s.cpam.0), "application/json", body);
        assert_eq!(twice.status, StatusCode::CONFLICT);
        assert!(twice.body.contains("deja_annulee"));
        let unknown = post_body(
            &s.state,
            "/api/seances/EN-inconnue/annulation",
            Some(&s.cpam.0),
            "application/json",
            body,
        );
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    }
}

/// Opens a PDF with an independent reader (lopdf): cross-reference table, page tree, fonts;
/// returns the text of every page, as a PDF viewer would show it.
fn pdf_text(label: &str, what: &str, bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes)
        .unwrap_or_else(|e| panic!("{label}: {what} does not open as a PDF: {e}"));
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    assert!(!pages.is_empty(), "{label}: {what} has no page");
    let text = doc
        .extract_text(&pages)
        .unwrap_or_else(|e| panic!("{label}: text of {what}: {e}"));
    // Lines may be split anywhere by the reader; compare on single spaces.
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn documents_open_in_a_pdf_reader_with_the_right_fields() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        let (url, _) = record_ok(&s, ADULT, ADULT_BIRTH, "2026-11-02", "EEP");
        let id = url.rsplit('/').next().unwrap().to_owned();

        let sheet = get(&s.state, &format!("{url}/feuille.pdf"), Some(&s.psy.0));
        assert_eq!(sheet.status, StatusCode::OK, "{label}");
        let sheet = pdf_text(label, "feuille de soins", &sheet.bytes);
        for field in [
            "Feuille de soins – Mon soutien psy",
            "S 3130",
            &format!("Numéro d’immatriculation (NIR) : {ADULT}"),
            "Date de naissance : 05/12/2006",
            &format!("RPPS {}", rpps("1000000042")),
            "Date : 02/11/2026",
            "Code : EEP",
            "50,00 €",
            "Tiers payant AMO : oui (l’assuré n’a pas payé la part obligatoire, versée au psychologue)",
            // 2 November 2026: direct access, no letter required.
            "Accès : direct, sans courrier d’adressage obligatoire à la date de la séance",
            &id,
            "Signature du psychologue",
        ] {
            assert!(
                sheet.contains(field),
                "{label}: care sheet lacks « {field} »: {sheet}"
            );
        }

        let statement = get(&s.state, &format!("{url}/decompte.pdf"), Some(&s.patient.0)).bytes;
        let statement = pdf_text(label, "décompte", &statement);
        assert!(
            statement.contains("30,00 €") && statement.contains("20,00 €"),
            "{label}: {statement}"
        );
        assert!(
            !statement.contains("))"),
            "{label}: no nested brackets: {statement}"
        );
        assert!(
            !statement.contains(ADULT),
            "{label}: the statement masks the NIR"
        );

        let monthly = get(
            &s.state,
            "/espace/mes-seances/releve.pdf?mois=2026-11",
            Some(&s.psy.0),
        )
        .bytes;
        // Kept for a reviewer to render (`pdftoppm`) and look at.
        let captures =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/captures");
        std::fs::create_dir_all(&captures).unwrap();
        std::fs::write(
            captures.join(format!("releve-mensuel-{label}.pdf")),
            &monthly,
        )
        .unwrap();
        let monthly = pdf_text(label, "relevé mensuel", &monthly);
        assert!(
            monthly.contains("02/11/2026") && monthly.contains("EEP"),
            "{label}: {monthly}"
        );
        assert!(
            monthly.contains("Total versé au psychologue : 30,00 €"),
            "{label}: {monthly}"
        );
    }
}

#[test]
fn inclusion_criterion_and_report_to_the_gp_on_both_databases() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        // Refused at the edge, nothing stored.
        for (who, birth, criterion, expected) in [
            (
                ADULT.to_owned(),
                ADULT_BIRTH,
                "souffrance_enfant",
                "réservé aux patients de 3 à 17 ans",
            ),
            (minor(), "2015-03-10", "anxiete", "moins de 18 ans"),
            (
                ADULT.to_owned(),
                ADULT_BIRTH,
                "insomnie",
                "Critère d’inclusion invalide",
            ),
        ] {
            let a = record(
                &s,
                &who,
                birth,
                "2026-11-02",
                "EEP",
                &[("critere", criterion), ("consentement_parental", "1")],
            );
            assert_eq!(
                a.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{label} {criterion}"
            );
            assert!(a.body.contains(expected), "{label} {criterion}: {}", a.body);
        }
        assert_eq!(count(&s.db, "SELECT COUNT(*) FROM claims"), 0, "{label}");

        let a = record(
            &s,
            ADULT,
            ADULT_BIRTH,
            "2026-11-02",
            "EEP",
            &[("critere", "anxiete"), ("compte_rendu_medecin", "1")],
        );
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{label} {}", a.body);
        let page = get(&s.state, &a.location, Some(&s.psy.0));
        assert!(
            page.body.contains("Anxiété d’intensité légère à modérée"),
            "{}",
            page.body
        );
        assert!(page.body.contains("accepté par le patient"));
        assert!(
            page.body.contains(
                "adressez un court compte rendu écrit à son médecin traitant après cet entretien"
            ),
            "{}",
            page.body
        );
        assert_eq!(
            count(
                &s.db,
                "SELECT COUNT(*) FROM session_records WHERE inclusion = 'anxiete' AND report_to_gp = 1"
            ),
            1
        );
        // A follow-up without agreement: no reminder.
        let (_, aps) = record_ok(&s, ADULT, ADULT_BIRTH, "2026-11-09", "APS");
        assert!(aps.contains("non renseigné") && !aps.contains("adressez un court compte rendu"));
        // The JSON API records the criterion too.
        let j = post_json(
            &s.state,
            "/api/seances",
            Some(&s.psy.0),
            serde_json::json!({
                "nir": minor(), "date_naissance": "2015-03-10", "date_seance": "2026-11-03",
                "acte": "EEP", "consentement": true, "consentement_parental": true,
                "critere": "souffrance_enfant"
            }),
        );
        assert_eq!(j.status, StatusCode::CREATED, "{label} {}", j.body);
        assert_eq!(
            count(
                &s.db,
                "SELECT COUNT(*) FROM session_records WHERE inclusion = 'souffrance_enfant'"
            ),
            1
        );
    }
}

#[test]
fn the_form_shows_every_error_at_once_and_the_api_names_each_field_on_both_databases() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        let (c, t) = s.psy.clone();
        // A bad NIR, a session in the future, an unknown act and no consent: four errors, each
        // under its field, the form kept as typed.
        let a = post_form(
            &s.state,
            "/espace/seances",
            Some(&c),
            &[
                ("_csrf", t.as_str()),
                ("etape", "enregistrer"),
                ("nir", "206127511100563"),
                ("naissance", ADULT_BIRTH),
                ("date", "2026-11-24"),
                ("acte", "XYZ"),
            ],
        );
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        for expected in [
            "NIR invalide",
            "dans le futur",
            "Acte invalide",
            "consentement du patient",
            "id=\"nir-erreur\"",
            "id=\"date-erreur\"",
            "aria-describedby=\"consentement-erreur\"",
            "value=\"206127511100563\"",
        ] {
            assert!(a.body.contains(expected), "{label} {expected}: {}", a.body);
        }
        assert!(a.body.contains("notice-error") && !a.body.contains("class=\"alert\""));
        assert_eq!(count(&s.db, "SELECT COUNT(*) FROM claims"), 0);

        // The API: the same checks, every field in `erreurs`; unknown fields refused.
        let j = post_json(
            &s.state,
            "/api/seances",
            Some(&c),
            serde_json::json!({
                "nir": "206127511100563", "date_naissance": ADULT_BIRTH,
                "date_seance": "2026-11-24", "acte": "XYZ"
            }),
        );
        j.problem(StatusCode::UNPROCESSABLE_ENTITY, "seance_invalide");
        let fields: Vec<String> = j.json()["erreurs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["champ"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            fields,
            ["nir", "date_seance", "acte", "consentement"],
            "{label}"
        );
        let m = post_json(
            &s.state,
            "/api/seances",
            Some(&c),
            serde_json::json!({
                "nir": ADULT, "date_naissance": ADULT_BIRTH, "acte": "APS",
                "consentement": true, "nombre_seances": 3
            }),
        )
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "champ_inconnu");
        assert!(m.contains("« nombre_seances »"), "{m}");
        assert_eq!(count(&s.db, "SELECT COUNT(*) FROM claims"), 0);

        // Once the year's sessions are used up, the form warns that the next would be refused.
        for (i, act) in std::iter::once("EEP")
            .chain(std::iter::repeat_n("APS", 11))
            .enumerate()
        {
            // Eleven months of TODAY's year, then a second session in November.
            let day = if i < 11 {
                format!("2026-{:02}-10", i + 1)
            } else {
                "2026-11-20".to_owned()
            };
            let a = record(&s, ADULT, ADULT_BIRTH, &day, act, &[]);
            assert_eq!(a.status, StatusCode::SEE_OTHER, "{label} {day}: {}", a.body);
        }
        let v = post_form(
            &s.state,
            "/espace/seances",
            Some(&c),
            &[
                ("_csrf", t.as_str()),
                ("etape", "verifier"),
                ("nir", ADULT),
                ("naissance", ADULT_BIRTH),
                ("date", "2026-11-21"),
            ],
        );
        assert_eq!(v.status, StatusCode::OK, "{label}");
        assert!(
            v.body.contains("notice-info") && v.body.contains("0\u{a0}restante"),
            "{}",
            v.body
        );
        assert!(
            v.body.contains("notice-warning") && v.body.contains("serait refusée"),
            "{label}: {}",
            v.body
        );
    }
}

/// Issue 13 item 8 and issue 16: a file sent again (with a claim id twice) gives the same
/// figures on the report, in « Derniers lots » and in its decisions file, which holds every row
/// (earlier decisions repeated, as `msp adjudicate`); sessions recorded on line are counted
/// apart; times are Paris time; another server on the same database shows the job and its
/// decisions; a job whose server died is marked interrupted, judged nowhere, and runs again
/// identically.
#[test]
fn web_batches_agree_everywhere_and_survive_their_server_on_both_databases() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        record_ok(&s, ADULT, ADULT_BIRTH, "2026-11-02", "EEP");
        let (c, t) = s.cpam.clone();
        let psy = rpps("1000000042");
        let csv = format!(
            "claim_id,received_date,rpps,nir,session_date,act,amount,context,tiers_payant,referral_date,referrer_id,referrer_kind\n\
             W1,2026-11-20,{psy},{ADULT},2026-11-16,APS,50.00,maladie,1,,,\n\
             W2,2026-11-20,{psy},{full},2026-11-16,APS,50.00,maladie,0,,,\n\
             W2,2026-11-20,{psy},{full},2026-11-16,APS,50.00,maladie,0,,,\n",
            full = full()
        );
        let first = upload(&s.state, &c, &t, &csv);
        assert_eq!(first.status, StatusCode::OK, "{label} {}", first.body);
        let first_batch = count(&s.db, "SELECT MAX(batch_id) FROM batches");
        let again = upload(&s.state, &c, &t, &csv);
        assert!(
            again.body.contains(
                "3\u{a0}lignes lues : 1\u{a0}acceptée, 2\u{a0}rejetées, dont 3\u{a0}déjà jugées"
            ),
            "{label} {}",
            again.body
        );
        // A file sent again is a warning (nothing new was judged), not a success.
        assert!(
            again.body.contains("notice-warning")
                && again.body.contains("Ce fichier avait déjà été jugé.")
                && !again.body.contains("notice-success"),
            "{label} {}",
            again.body
        );
        assert!(
            !first.body.contains("avait déjà été jugé"),
            "{label} {}",
            first.body
        );
        let batch = count(&s.db, "SELECT MAX(batch_id) FROM batches");
        assert!(batch > first_batch);
        let decisions = |b: i64| {
            let d = get(
                &s.state,
                &format!("/espace/cpam/lots/{b}/decisions.csv"),
                Some(&c),
            );
            assert_eq!(d.status, StatusCode::OK, "{label}");
            d.body
        };
        let (d1, d2) = (decisions(first_batch), decisions(batch));
        assert_eq!(d2.lines().count(), 4, "{label}: header and every row\n{d2}");
        assert_eq!(d1, d2, "{label}: the earlier decisions, unchanged");
        // « Derniers lots »: the same counts as the report, no row per session recorded on
        // line, times in Paris.
        let page = get(&s.state, "/espace/cpam/lots", Some(&c)).body;
        let row = format!(r#"<a href="/espace/cpam/lots/{batch}/decisions.csv">{batch}</a>"#);
        let at = page.find(&row).unwrap_or_else(|| panic!("{label} {page}"));
        let tr = &page[at..at + page[at..].find("</tr>").unwrap()];
        assert!(
            tr.contains("<td>3</td><td>1</td><td>2</td>"),
            "{label} {tr}"
        );
        assert!(!page.contains("saisie en ligne</td>"), "{label} {page}");
        assert!(
            page.contains("Séances saisies en ligne par les psychologues")
                && page.contains(" : 1 dont 1\u{a0}acceptée"),
            "{label} {page}"
        );
        assert!(
            page.contains("heure de Paris") && !page.contains("UTC"),
            "{page}"
        );

        // Another server on the same database follows the job and downloads its decisions.
        let other = state_on(&s.db, TODAY);
        let seen = get(&other, &again.location, Some(&c));
        assert_eq!(seen.status, StatusCode::OK, "{label} {}", seen.body);
        assert!(
            seen.body.contains("dont 3\u{a0}déjà jugées"),
            "{}",
            seen.body
        );
        let d = get(
            &other,
            &format!("/espace/cpam/lots/{batch}/decisions.csv"),
            Some(&c),
        );
        assert_eq!(d.body, d2);

        // A job claimed by a server that died mid-batch (its transaction rolled back with it).
        let fresh = format!(
            "claim_id,received_date,rpps,nir,session_date,act,amount,context,tiers_payant,referral_date,referrer_id,referrer_kind\n\
             W9,2026-11-21,{psy},{ADULT},2026-11-18,APS,50.00,maladie,1,,,\n"
        );
        let claims_before = count(&s.db, "SELECT COUNT(*) FROM claims");
        let batches_before = count(&s.db, "SELECT COUNT(*) FROM batches");
        let long_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(120);
        let job = {
            let mut conn = s.db.connect();
            let id = msp_store::batch_jobs::create(
                &mut conn,
                1,
                "mort.csv",
                fresh.as_bytes(),
                1,
                long_ago,
            )
            .unwrap();
            msp_store::batch_jobs::claim(&mut conn, id, "serveur-arrete", long_ago)
                .unwrap()
                .unwrap();
            id
        };
        let uri = format!("/espace/cpam/lots/travaux/{job}");
        let page = get(&other, &uri, Some(&c));
        assert_eq!(page.status, StatusCode::OK, "{label} {}", page.body);
        assert!(
            page.body.contains("a été interrompu") && page.body.contains("Relancer"),
            "{label} {}",
            page.body
        );
        assert!(!page.body.contains("id=\"suivi\""), "{}", page.body);
        assert_eq!(count(&s.db, "SELECT COUNT(*) FROM claims"), claims_before);
        assert_eq!(count(&s.db, "SELECT COUNT(*) FROM batches"), batches_before);
        // Restarted once, on this server; judged once.
        let restart = format!("{uri}/relancer");
        assert_eq!(
            post_form(&s.state, &restart, Some(&c), &[("_csrf", "mauvais")]).status,
            StatusCode::FORBIDDEN
        );
        let r = post_form(&s.state, &restart, Some(&c), &[("_csrf", &t)]);
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{label} {}", r.body);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let report = loop {
            let p = get(&other, &uri, Some(&c)).body;
            if p.contains("ligne lue") || p.contains("lignes lues") {
                break p;
            }
            assert!(std::time::Instant::now() < deadline, "{label} {p}");
            std::thread::sleep(std::time::Duration::from_millis(25));
        };
        assert!(
            report.contains("1\u{a0}ligne lue : 1\u{a0}acceptée"),
            "{report}"
        );
        let again = post_form(&other, &restart, Some(&c), &[("_csrf", &t)]);
        assert_eq!(again.status, StatusCode::CONFLICT, "{label} {}", again.body);
        assert_eq!(
            count(&s.db, "SELECT COUNT(*) FROM claims"),
            claims_before + 1
        );
        assert_eq!(
            count(&s.db, "SELECT COUNT(*) FROM batches"),
            batches_before + 1
        );
    }
}
