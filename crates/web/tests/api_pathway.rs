//! The JSON API of the patient pathway (issue 6) through the router, on SQLite and PostgreSQL:
//! a doctor issues a referral letter, a psychologist verifies it, checks where the patient
//! stands, records sessions (`POST /api/seances`) and lists them, the patient reads their
//! follow-up, a CPAM agent the rejected claims; who may call what (401, 403, 415); refusals in
//! French naming the field (422); who may read a session; and the audit log.

mod common;
use axum::http::StatusCode;
use common::TODAY;
use common::fixtures::{
    Account, beneficiary, conventioned_psychologist, count, link_patient, nir, prescriber_rpps,
    rpps, state_on,
};
use common::http::{get, post_body, post_json};
use jiff::civil::date;
use msp_domain::Role;
use msp_store::testing::{self, TestDb};
use msp_web::AppState;
use serde_json::{Value, json};

/// Adult, AMC linked by Noémie.
const ADULT: &str = "206127511100564";
const ADULT_BIRTH: &str = "2006-12-05";
const ADULT_MASKED: &str = "20612**********";

struct Setup {
    db: TestDb,
    state: AppState,
    psy: String,
    psy2: String,
    /// A psychologist whose application was never accepted (no RPPS).
    psy_without_rpps: String,
    cpam: String,
    /// An agent limited to département 75 (the psychologists are conventioned in 69).
    cpam75: String,
    medecin: String,
    /// The doctor's verified RPPS (set on the account, as an admin creates it).
    doctor_rpps: String,
    sage_femme: String,
    patient: String,
    patient2: String,
    /// A patient account tied to no beneficiary.
    patient_unlinked: String,
}

fn setup(db: TestDb) -> Setup {
    let mut conn = db.connect();
    let mut mk = |role: Role, email: &str, territory: Option<&str>| {
        let (id, cookie, _csrf) = Account::new(role, email)
            .territory(territory)
            .signed_in(&mut conn);
        (id, cookie)
    };
    let psy = mk(Role::Psychologue, "psy@example.org", None);
    let psy2 = mk(Role::Psychologue, "psy2@example.org", None);
    let psy3 = mk(Role::Psychologue, "psy3@example.org", None);
    let cpam = mk(Role::AgentCpam, "cpam@example.org", None);
    let cpam75 = mk(Role::AgentCpam, "cpam75@example.org", Some("75"));
    let medecin = mk(Role::Medecin, "medecin@example.org", None);
    let sage_femme = mk(Role::SageFemme, "sf@example.org", None);
    let patient = mk(Role::Patient, "patient@example.org", None);
    let patient2 = mk(Role::Patient, "patient2@example.org", None);
    let unlinked = mk(Role::Patient, "patient3@example.org", None);
    for (id, r) in [(psy.0, rpps("1000000042")), (psy2.0, rpps("1000000043"))] {
        conventioned_psychologist(&mut conn, id, &r);
    }
    let other = nir("1800175111006");
    for (n, birth) in [(ADULT, ADULT_BIRTH), (other.as_str(), "1980-01-20")] {
        beneficiary(&mut conn, n, birth);
    }
    link_patient(&mut conn, patient.0, ADULT);
    link_patient(&mut conn, patient2.0, &other);
    drop(conn);
    let state = state_on(&db, TODAY);
    Setup {
        db,
        state,
        psy: psy.1,
        psy2: psy2.1,
        psy_without_rpps: psy3.1,
        cpam: cpam.1,
        cpam75: cpam75.1,
        medecin: medecin.1,
        doctor_rpps: prescriber_rpps(medecin.0),
        sage_femme: sage_femme.1,
        patient: patient.1,
        patient2: patient2.1,
        patient_unlinked: unlinked.1,
    }
}

fn audit_lines(db: &TestDb) -> i64 {
    count(db, "SELECT COUNT(*) FROM audit_log")
}

/// Audit lines about the adult patient by an actor, with a reason containing `reason`.
fn audited(db: &TestDb, actor: &str, action: &str, reason: &str) -> i64 {
    let pref = common::fixtures::patient_ref(db, ADULT);
    db.connect()
        .query_one(
            "SELECT COUNT(*) FROM audit_log WHERE subject_kind = 'patient' AND subject_id = $1
             AND actor LIKE $2 AND action = $3 AND reason LIKE $4",
            &[
                pref.as_str().into(),
                format!("{actor}@%").into(),
                action.into(),
                format!("%{reason}%").into(),
            ],
        )
        .unwrap()
        .int(0)
        .unwrap()
}

fn letter(extra: &[(&str, Value)]) -> Value {
    let mut body = json!({
        "patient_nom": "Élodie Martin",
        "nir": "2 06 12 75 111 005 64",
        "date": "2026-11-02",
        "contexte": "ald",
    });
    for (k, v) in extra {
        body[*k] = v.clone();
    }
    body
}

fn session(act: &str, day: &str) -> Value {
    json!({
        "nir": ADULT, "date_naissance": ADULT_BIRTH, "date_seance": day, "acte": act,
        "consentement": true
    })
}

/// Records a session through `POST /api/seances`; its id and decision.
fn record(s: &Setup, cookie: &str, body: Value) -> (String, Value) {
    let a = post_json(&s.state, "/api/seances", Some(cookie), body);
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let j = a.json();
    (j["id"].as_str().unwrap().to_owned(), j)
}

#[test]
fn pathway_through_the_api_on_both_databases() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;

        // A doctor issues a letter: code, dates, patient, referrer; never a number of sessions.
        let a = post_json(&s.state, "/api/adressages", Some(&s.medecin), letter(&[]));
        assert_eq!(a.status, StatusCode::CREATED, "{label} {}", a.body);
        assert!(a.content_type.starts_with("application/json"));
        let l = a.json();
        let code = l["code"].as_str().unwrap().to_owned();
        assert_eq!(code.len(), 9, "{code}");
        assert_eq!(&code[4..5], "-");
        assert_eq!(l["date_courrier"], "2026-11-02");
        assert_eq!(l["valable_jusqu_au"], "2027-05-02");
        assert_eq!(l["patient_nom"], "Élodie Martin");
        assert_eq!(l["nir_masque"], ADULT_MASKED);
        assert_eq!(l["prescripteur"]["type_prescripteur"], "medecin");
        assert_eq!(l["prescripteur"]["identifiant"], s.doctor_rpps);
        // The registry's name for that RPPS (the account is only named by its e-mail).
        assert_eq!(l["prescripteur"]["nom"], "Test medecin@example.org");
        assert_eq!(l["contexte"]["code"], "ald");
        assert_eq!(l["contexte"]["libelle"], "Affection de longue durée");
        let canonical = code.replace('-', "");
        assert_eq!(
            l["pdf"],
            format!("/espace/adressages/{canonical}/pdf"),
            "{label}"
        );
        assert!(!a.body.contains(ADULT), "no full NIR in the answer");
        assert!(!a.body.contains("nombre"), "no number of sessions");
        let stored =
            s.db.connect()
                .query_one(
                    "SELECT patient_nir, referrer_kind, letter_date FROM referral_letters WHERE code = $1",
                    &[canonical.as_str().into()],
                )
                .unwrap();
        assert_eq!(stored.text(0).unwrap(), ADULT);
        assert_eq!(stored.text(1).unwrap(), "medecin");
        assert_eq!(stored.date(2).unwrap(), date(2026, 11, 2));
        assert_eq!(audited(&s.db, "medecin", "emission", &canonical), 1);
        let pdf = get(&s.state, l["pdf"].as_str().unwrap(), Some(&s.medecin));
        assert_eq!(pdf.status, StatusCode::OK);
        assert_eq!(pdf.content_type, "application/pdf");

        // A midwife's letter for a session before 2023-12-25: not accepted then.
        let a = post_json(
            &s.state,
            "/api/adressages",
            Some(&s.sage_femme),
            letter(&[("date", json!("01/12/2023")), ("contexte", Value::Null)]),
        );
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        let sf = a.json();
        assert_eq!(sf["prescripteur"]["type_prescripteur"], "sage_femme");
        assert_eq!(sf["contexte"], Value::Null);

        // Each sees the letters they issued, and only those.
        let mine = get(&s.state, "/api/adressages", Some(&s.medecin));
        assert_eq!(mine.status, StatusCode::OK, "{label} {}", mine.body);
        let mine = mine.json();
        let codes: Vec<&str> = mine
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, [code.as_str()], "{label}");
        assert!(!mine.to_string().contains(ADULT), "no full NIR in the list");
        let theirs = get(&s.state, "/api/adressages", Some(&s.sage_femme)).json();
        assert_eq!(theirs.as_array().unwrap().len(), 1);
        assert_eq!(theirs[0]["code"], sf["code"]);
        assert_eq!(
            get(&s.state, "/api/adressages", Some(&s.psy)).status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            get(&s.state, "/api/adressages", None).status,
            StatusCode::UNAUTHORIZED
        );

        // The psychologist verifies codes against session dates.
        let verify = |code: &str, day: &str| {
            post_json(
                &s.state,
                "/api/adressages/verification",
                Some(&s.psy),
                json!({ "code": code, "date_seance": day }),
            )
        };
        let a = verify(&code.to_lowercase(), "2026-11-02");
        assert_eq!(a.status, StatusCode::OK, "{label} {}", a.body);
        let v = a.json();
        assert_eq!(v["valable"], true, "{v}");
        assert!(
            v["explication"]
                .as_str()
                .unwrap()
                .contains("n’est plus obligatoire"),
            "{v}"
        );
        assert_eq!(v["date_seance"], "2026-11-02");
        assert_eq!(v["courrier"]["code"], code.as_str());
        assert_eq!(v["courrier"]["patient_nom"], "Élodie Martin");
        assert_eq!(v["courrier"]["pdf"], Value::Null, "the PDF is the issuer's");
        let v = verify(&code, "03/05/2027").json();
        assert_eq!(v["valable"], false);
        assert!(
            v["explication"]
                .as_str()
                .unwrap()
                .contains("plus de 6 mois"),
            "{v}"
        );
        let v = verify(&code, "2026-11-01").json();
        assert_eq!(v["valable"], false);
        assert!(
            v["explication"]
                .as_str()
                .unwrap()
                .contains("après la séance")
        );
        let sf_code = sf["code"].as_str().unwrap();
        let v = verify(sf_code, "2023-12-24").json();
        assert_eq!(v["valable"], false);
        assert!(
            v["explication"].as_str().unwrap().contains("sage-femme"),
            "{v}"
        );
        assert_eq!(verify(sf_code, "2023-12-25").json()["valable"], true);

        // Where the patient stands before the first session of the year.
        let situation = |body: Value| post_json(&s.state, "/api/situation", Some(&s.psy), body);
        let a = situation(json!({
            "nir": "2 06 12 75 111 005 64", "date_naissance": "05/12/2006", "date": "2026-11-02"
        }));
        assert_eq!(a.status, StatusCode::OK, "{label} {}", a.body);
        let j = a.json();
        assert_eq!(j["date"], "2026-11-02");
        assert_eq!(j["situation"]["annee"], 2026);
        assert_eq!(j["situation"]["utilisees"], 0);
        assert_eq!(j["situation"]["restantes"], 12);
        assert_eq!(j["situation"]["eep_due"], true);
        assert_eq!(j["acte_suivant"], "EEP");
        assert!(
            j["explication"]
                .as_str()
                .unwrap()
                .contains("12\u{a0}restantes")
        );

        // EEP with the letter's code, then follow-ups (POST /api/seances).
        let mut eep = session("EEP", "2026-11-02");
        eep["code_adressage"] = json!(code);
        let (eep_id, j) = record(&s, &s.psy, eep);
        assert_eq!(j["statut"], "acceptee", "{j}");
        assert_eq!(j["rang"], 1);
        let referral =
            s.db.connect()
                .query_one(
                    "SELECT referrer_id, referral_date FROM claims WHERE claim_id = $1",
                    &[eep_id.as_str().into()],
                )
                .unwrap();
        assert_eq!(referral.text(0).unwrap(), s.doctor_rpps);
        assert_eq!(referral.date(1).unwrap(), date(2026, 11, 2));
        let (_, j) = record(&s, &s.psy, session("APS", "2026-11-09"));
        assert_eq!(j["rang"], 2);
        let (pss_id, j) = record(&s, &s.psy, session("PSS", "2026-11-16"));
        assert_eq!(j["rang"], 3);
        let (refused_id, j) = record(&s, &s.psy, session("APS", "2026-11-16"));
        assert_eq!(j["statut"], "refusee");
        assert_eq!(j["motif"]["code"], "MEME_JOUR");

        // The standing now (date: today by default).
        let j = situation(json!({ "nir": ADULT, "date_naissance": ADULT_BIRTH })).json();
        assert_eq!(j["date"], "2026-11-23");
        assert_eq!(j["situation"]["utilisees"], 3);
        assert_eq!(j["situation"]["restantes"], 9);
        assert_eq!(j["situation"]["eep_due"], false);
        assert_eq!(j["acte_suivant"], "APS");

        // The psychologist's year: decisions, amounts, payers, remote share against 20 %.
        let a = get(&s.state, "/api/seances?annee=2026", Some(&s.psy));
        assert_eq!(a.status, StatusCode::OK, "{label} {}", a.body);
        assert!(!a.body.contains(ADULT), "no full NIR in the list");
        let y = a.json();
        assert_eq!(y["annee"], 2026);
        assert_eq!(y["acceptees"], 3);
        assert_eq!(y["refusees"], 1);
        assert_eq!(y["en_visio"], 1);
        assert_eq!(y["part_visio_pourcent"], 33.3);
        assert_eq!(y["repere_visio_pourcent"], 20);
        assert_eq!(y["repere_depasse"], true);
        // 2026-lfss: the AMO part (60 % of 50 €) is paid to the psychologist.
        assert_eq!(y["amo_versee_au_psychologue_centimes"], 9000);
        assert_eq!(y["complementaire_versee_au_psychologue_centimes"], 0);
        let lines = y["seances"].as_array().unwrap();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0]["id"], eep_id.as_str());
        assert_eq!(lines[0]["acte"], "EEP");
        assert_eq!(lines[0]["statut"], "acceptee");
        assert_eq!(lines[0]["rang"], 1);
        assert_eq!(lines[0]["nir_masque"], ADULT_MASKED);
        assert_eq!(lines[0]["montants"]["tarif_centimes"], 5000);
        assert_eq!(lines[0]["montants"]["amo_centimes"], 3000);
        assert_eq!(lines[0]["montants"]["amo_versee_a"], "psychologue");
        assert_eq!(lines[0]["montants"]["complementaire_centimes"], 2000);
        assert_eq!(lines[0]["montants"]["complementaire_payeur"], "amc");
        assert_eq!(lines[0]["montants"]["complementaire_voie"], "noemie");
        assert_eq!(lines[0]["url"], format!("/api/seances/{eep_id}"));
        let refused = lines
            .iter()
            .find(|l| l["id"] == refused_id.as_str())
            .unwrap();
        assert_eq!(refused["statut"], "refusee");
        assert_eq!(refused["motif"]["code"], "MEME_JOUR");
        assert_eq!(refused["montants"], Value::Null);
        assert!(
            refused["motif"]["explication"]
                .as_str()
                .unwrap()
                .contains("une séance par jour au plus")
        );
        assert_eq!(
            lines
                .iter()
                .map(|l| l["ref_patient"].as_str().unwrap())
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            1,
            "one patient, one reference"
        );
        let default_year = get(&s.state, "/api/seances", Some(&s.psy)).json();
        assert_eq!(default_year["annee"], 2026);
        assert_eq!(default_year["seances"].as_array().unwrap().len(), 4);
        let past = get(&s.state, "/api/seances?annee=2025", Some(&s.psy)).json();
        assert_eq!(past["acceptees"], 0);
        assert_eq!(past["part_visio_pourcent"], 0.0);
        assert!(past["seances"].as_array().unwrap().is_empty());
        let bad = get(&s.state, "/api/seances?annee=deux", Some(&s.psy));
        let named = bad.json()["erreurs"][0]["champ"].clone();
        let m = bad.problem(StatusCode::BAD_REQUEST, "annee_invalide");
        assert!(m.contains("Année") && m.contains("2022"), "{m}");
        assert_eq!(named, "annee", "the field is named in « erreurs »");
        let m = get(&s.state, "/api/seances?annee=2027", Some(&s.psy))
            .problem(StatusCode::BAD_REQUEST, "annee_invalide");
        assert!(m.contains("2027"), "{m}");

        // The patient's follow-up: sessions, sessions left, who pays what and how.
        let a = get(&s.state, "/api/moi/suivi", Some(&s.patient));
        assert_eq!(a.status, StatusCode::OK, "{label} {}", a.body);
        let me = a.json();
        assert_eq!(me["annee"], 2026);
        assert_eq!(me["situation"]["utilisees"], 3);
        assert_eq!(me["situation"]["restantes"], 9);
        assert_eq!(me["rembourse_par_l_assurance_maladie_centimes"], 0);
        assert_eq!(me["a_demander_a_la_complementaire_centimes"], 0);
        let mine = me["seances"].as_array().unwrap();
        assert_eq!(mine.len(), 4);
        assert_eq!(mine[0]["psychologue"], "Test PSY");
        assert_eq!(mine[0]["montants"]["complementaire_voie"], "noemie");
        assert_eq!(
            mine[0]["amo_libelle"],
            "versée au psychologue (tiers payant)"
        );
        assert!(
            mine[0]["complementaire_libelle"]
                .as_str()
                .unwrap()
                .contains("transmise automatiquement par Noémie")
        );
        assert!(mine.iter().any(|l| l["motif"]["code"] == "MEME_JOUR"));
        let other = get(&s.state, "/api/moi/suivi", Some(&s.patient2)).json();
        assert_eq!(other["situation"]["utilisees"], 0);
        assert!(other["seances"].as_array().unwrap().is_empty());

        // One session, for the patient and a CPAM agent.
        let a = get(
            &s.state,
            &format!("/api/seances/{pss_id}"),
            Some(&s.patient),
        );
        assert_eq!(a.status, StatusCode::OK, "{label} {}", a.body);
        let d = a.json();
        assert_eq!(d["seance"]["id"], pss_id.as_str());
        assert_eq!(d["seance"]["acte"], "PSS");
        assert_eq!(d["seance"]["rang"], 3);
        assert_eq!(d["seance"]["psychologue"], "Test PSY");
        assert_eq!(d["situation"]["utilisees"], 3);
        assert_eq!(
            d["feuille_de_soins"],
            format!("/espace/seances/{pss_id}/feuille.pdf")
        );
        let d = get(
            &s.state,
            &format!("/api/seances/{refused_id}"),
            Some(&s.cpam),
        )
        .json();
        assert_eq!(d["seance"]["statut"], "refusee");
        assert_eq!(d["seance"]["motif"]["code"], "MEME_JOUR");

        // The CPAM's rejected claims, with the reason in French.
        let a = get(&s.state, "/api/cpam/rejets", Some(&s.cpam));
        assert_eq!(a.status, StatusCode::OK, "{label} {}", a.body);
        assert!(!a.body.contains(ADULT));
        let r = a.json();
        assert_eq!(r["total"], 1);
        assert_eq!(r["departement"], Value::Null);
        assert_eq!(r["limite"], 200);
        assert_eq!(r["par_motif"][0]["code"], "MEME_JOUR");
        assert_eq!(r["par_motif"][0]["nombre"], 1);
        let rejected = r["rejets"].as_array().unwrap();
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0]["id"], refused_id.as_str());
        assert_eq!(rejected[0]["date_seance"], "2026-11-16");
        assert_eq!(rejected[0]["acte"], "APS");
        assert_eq!(rejected[0]["nir_masque"], ADULT_MASKED);
        assert_eq!(rejected[0]["rpps"], rpps("1000000042"));
        assert!(
            rejected[0]["motif"]["explication"]
                .as_str()
                .unwrap()
                .contains("une séance par jour au plus")
        );
        let r = get(&s.state, "/api/cpam/rejets?motif=meme_jour", Some(&s.cpam)).json();
        assert_eq!(r["motif"], "MEME_JOUR");
        assert_eq!(r["rejets"].as_array().unwrap().len(), 1);
        let r = get(&s.state, "/api/cpam/rejets?motif=PLAFOND", Some(&s.cpam)).json();
        assert_eq!(r["total"], 1, "counts are of every reason");
        assert!(r["rejets"].as_array().unwrap().is_empty());
        let m = get(&s.state, "/api/cpam/rejets?motif=INCONNU", Some(&s.cpam))
            .problem(StatusCode::BAD_REQUEST, "motif_inconnu");
        assert!(m.contains("motif") && m.contains("PLAFOND"), "{m}");
        let r = get(&s.state, "/api/cpam/rejets", Some(&s.cpam75)).json();
        assert_eq!(r["departement"], "75");
        assert_eq!(r["total"], 0, "psychologists of another département");

        // A session cancelled as recorded by mistake counts for nothing and pays nothing.
        let cancelled = msp_store::pathway::cancel_session(
            &mut s.db.connect(),
            &pss_id,
            msp_store::pathway::Canceller {
                account_id: 0,
                actor: "cpam@example.org (agent_cpam)",
                is_cpam_agent: true,
            },
            "saisie en double",
            jiff::Timestamp::now(),
            &mut |_, _| Ok(()),
        )
        .unwrap();
        assert!(cancelled.is_ok(), "{label}: {cancelled:?}");
        let y = get(&s.state, "/api/seances", Some(&s.psy)).json();
        assert_eq!(y["acceptees"], 2, "{y}");
        assert_eq!(y["annulees"], 1);
        assert_eq!(y["en_visio"], 0);
        assert_eq!(y["part_visio_pourcent"], 0.0);
        assert_eq!(y["repere_depasse"], false);
        assert_eq!(y["amo_versee_au_psychologue_centimes"], 6000);
        let line = y["seances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == pss_id.as_str())
            .unwrap()
            .clone();
        assert_eq!(line["statut"], "annulee");
        assert_eq!(line["montants"], Value::Null);
        assert_eq!(line["rang"], Value::Null);
        let me = get(&s.state, "/api/moi/suivi", Some(&s.patient)).json();
        assert_eq!(me["situation"]["utilisees"], 2);
        assert_eq!(me["situation"]["restantes"], 10);
    }
}

#[test]
fn who_may_call_what_on_both_databases() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        // (method, path, body, a wrong role)
        let endpoints: [(&str, &str, Value, &str); 7] = [
            ("POST", "/api/adressages", letter(&[]), &s.psy),
            (
                "POST",
                "/api/adressages/verification",
                json!({ "code": "K7QM-4TXZ", "date_seance": "2026-11-02" }),
                &s.medecin,
            ),
            (
                "POST",
                "/api/situation",
                json!({ "nir": ADULT, "date_naissance": ADULT_BIRTH }),
                &s.patient,
            ),
            ("GET", "/api/seances?annee=2026", Value::Null, &s.cpam),
            ("GET", "/api/seances/EN-INCONNU", Value::Null, &s.medecin),
            ("GET", "/api/moi/suivi", Value::Null, &s.psy),
            ("GET", "/api/cpam/rejets", Value::Null, &s.psy),
        ];
        for (method, path, body, wrong) in &endpoints {
            let call = |cookie: Option<&str>| {
                if *method == "GET" {
                    get(&s.state, path, cookie)
                } else {
                    post_json(&s.state, path, cookie, body.clone())
                }
            };
            let m = call(None).problem(StatusCode::UNAUTHORIZED, "non_authentifie");
            assert!(m.contains("connectez-vous"), "{label} {path}: {m}");
            let m = call(Some(*wrong)).problem(StatusCode::FORBIDDEN, "acces_refuse");
            assert!(m.contains("réservée"), "{label} {path}: {m}");
        }
        // Bodies that are not JSON (a cross-site form cannot send JSON): 415, nothing stored.
        for (path, cookie) in [
            ("/api/adressages", &s.medecin),
            ("/api/adressages/verification", &s.psy),
            ("/api/situation", &s.psy),
        ] {
            for content_type in ["application/x-www-form-urlencoded", "text/plain"] {
                let a = post_body(
                    &s.state,
                    path,
                    Some(cookie),
                    content_type,
                    letter(&[]).to_string(),
                );
                let m = a.problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "type_invalide");
                assert!(m.contains("JSON"), "{label} {path}: {m}");
            }
        }
        assert_eq!(count(&s.db, "SELECT COUNT(*) FROM referral_letters"), 0);
        assert_eq!(audit_lines(&s.db), 0, "{label}: nothing read");

        // A psychologist without an accepted application has no RPPS.
        let no_rpps = Some(s.psy_without_rpps.as_str());
        post_json(
            &s.state,
            "/api/situation",
            no_rpps,
            json!({ "nir": ADULT, "date_naissance": ADULT_BIRTH }),
        )
        .problem(StatusCode::FORBIDDEN, "sans_rpps");
        get(&s.state, "/api/seances", no_rpps).problem(StatusCode::FORBIDDEN, "sans_rpps");
        // A patient account tied to no beneficiary; an unknown session.
        let m = get(&s.state, "/api/moi/suivi", Some(&s.patient_unlinked))
            .problem(StatusCode::NOT_FOUND, "assure_non_rattache");
        assert!(m.contains("aucun assuré"), "{m}");
        get(&s.state, "/api/seances/EN-INCONNU", Some(&s.cpam))
            .problem(StatusCode::NOT_FOUND, "seance_inconnue");
        assert_eq!(audit_lines(&s.db), 0, "{label}");
    }
}

#[test]
fn invalid_input_is_refused_in_french_on_both_databases() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;

        // Letters: the field that failed is named; nothing is stored.
        let issue = |body: Value| post_json(&s.state, "/api/adressages", Some(&s.medecin), body);
        for (extra, expected) in [
            (("nir", json!("206127511100563")), "NIR invalide"),
            (("patient_nom", json!("  ")), "nom du patient"),
            (("date", json!("2026-11-24")), "futur"),
            (("date", json!("2026-13-01")), "Date du courrier invalide"),
            (("contexte", json!("vacances")), "Contexte inconnu"),
        ] {
            let m = issue(letter(std::slice::from_ref(&extra)))
                .problem(StatusCode::UNPROCESSABLE_ENTITY, "adressage_invalide");
            assert!(m.contains(expected), "{label} {extra:?}: {m}");
        }
        // Every field at fault at once, each named in `erreurs`.
        let a = issue(letter(&[
            ("nir", json!("206127511100563")),
            ("date", json!("2026-13-01")),
            ("patient_nom", json!("")),
        ]));
        let m = a.problem(StatusCode::UNPROCESSABLE_ENTITY, "adressage_invalide");
        assert!(
            m.contains("NIR invalide") && m.contains("Date du courrier invalide"),
            "{m}"
        );
        let champs: Vec<Value> = a.json()["erreurs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["champ"].clone())
            .collect();
        assert_eq!(champs, [json!("patient_nom"), json!("nir"), json!("date")]);
        let m = issue(letter(&[("nombre_seances", json!(8))]))
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "champ_inconnu");
        assert!(
            m.contains("nombre_seances") && m.contains("jamais de nombre de séances"),
            "{m}"
        );
        let mut missing = letter(&[]);
        missing.as_object_mut().unwrap().remove("nir");
        // The problem+json code of a missing field, which `erreurs` names.
        let a = issue(missing);
        let m = a.problem(StatusCode::UNPROCESSABLE_ENTITY, "champ_manquant");
        assert!(m.contains("nir"), "{m}");
        assert_eq!(a.json()["erreurs"][0]["champ"], "nir");
        let m = post_body(
            &s.state,
            "/api/adressages",
            Some(&s.medecin),
            "application/json",
            "{\"nir\": ",
        )
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "json_invalide");
        assert!(m.contains("Corps JSON illisible"), "{m}");
        issue(json!(["liste"])).problem(StatusCode::UNPROCESSABLE_ENTITY, "json_invalide");
        assert_eq!(count(&s.db, "SELECT COUNT(*) FROM referral_letters"), 0);

        // Verification: a malformed code, an unknown one, a bad date.
        let verify =
            |body: Value| post_json(&s.state, "/api/adressages/verification", Some(&s.psy), body);
        let m = verify(json!({ "code": "K7QM-4TX0", "date_seance": "2026-11-02" }))
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "code_invalide");
        assert!(m.contains("Code de vérification invalide"), "{m}");
        let m = verify(json!({ "code": "K7QM-4TXZ", "date_seance": "2026-11-02" }))
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "courrier_inconnu");
        assert!(m.contains("Aucun courrier") && m.contains("code"), "{m}");
        let m = verify(json!({ "code": "K7QM-4TXZ", "date_seance": "31/02/2026" }))
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "date_seance_invalide");
        assert!(m.contains("date_seance"), "{m}");

        // Situation: invalid NIR, unknown patient or wrong birth date (same answer), dates.
        let situation = |n: &str, birth: &str, day: Option<&str>| {
            let mut body = json!({ "nir": n, "date_naissance": birth });
            if let Some(d) = day {
                body["date"] = json!(d);
            }
            post_json(&s.state, "/api/situation", Some(&s.psy), body)
        };
        let m = situation("206127511100563", ADULT_BIRTH, None)
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "saisie_invalide");
        assert!(m.starts_with("NIR invalide"), "{label}: {m}");
        let wrong_birth = situation(ADULT, "2006-12-06", None);
        let m = wrong_birth.problem(StatusCode::UNPROCESSABLE_ENTITY, "assure_inconnu");
        assert!(m.contains("NIR") && m.contains("date de naissance"), "{m}");
        assert!(!wrong_birth.body.contains("restantes"));
        let unknown = situation(&nir("1990175111007"), "1999-01-01", None);
        assert_eq!(
            unknown.json_without_request_id(),
            wrong_birth.json_without_request_id(),
            "an unknown NIR answers the same"
        );
        let m = situation(ADULT, "5 décembre 2006", None)
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "saisie_invalide");
        assert!(m.contains("Date de naissance invalide"), "{m}");
        let m = situation(ADULT, ADULT_BIRTH, Some("2026-11-24"))
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "saisie_invalide");
        assert!(m.contains("dans le futur"), "{m}");
        let m = post_json(
            &s.state,
            "/api/situation",
            Some(&s.psy),
            json!({ "nir": ADULT, "date_naissance": ADULT_BIRTH, "acte": "EEP" }),
        )
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "champ_inconnu");
        assert!(m.contains("« acte »"), "{m}");
        assert_eq!(audit_lines(&s.db), 0, "{label}: refusals read nothing");
    }
}

#[test]
fn reads_of_someone_elses_data_are_guarded_and_audited_on_both_databases() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        let code =
            post_json(&s.state, "/api/adressages", Some(&s.medecin), letter(&[])).json()["code"]
                .as_str()
                .unwrap()
                .to_owned();
        assert_eq!(audited(&s.db, "medecin", "emission", "(API)"), 1, "{label}");

        // Each read by a psychologist is one line, naming the patient without the NIR.
        let before = audit_lines(&s.db);
        let a = post_json(
            &s.state,
            "/api/adressages/verification",
            Some(&s.psy),
            json!({ "code": code, "date_seance": "2026-11-02" }),
        );
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(
            audited(&s.db, "psy", "lecture", "vérification du courrier"),
            1
        );
        let a = post_json(
            &s.state,
            "/api/situation",
            Some(&s.psy),
            json!({ "nir": ADULT, "date_naissance": ADULT_BIRTH, "date": "2026-11-02" }),
        );
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(audited(&s.db, "psy", "lecture", "avant la saisie"), 1);
        assert_eq!(audit_lines(&s.db), before + 2);

        let (eep_id, _) = record(&s, &s.psy, session("EEP", "2026-11-02"));
        let (refused_id, _) = record(&s, &s.psy, session("APS", "2026-11-02"));
        let url = format!("/api/seances/{eep_id}");

        let before = audit_lines(&s.db);
        assert_eq!(
            get(&s.state, "/api/seances", Some(&s.psy)).status,
            StatusCode::OK
        );
        assert_eq!(
            audited(&s.db, "psy", "lecture", "liste des séances 2026"),
            1
        );
        assert_eq!(get(&s.state, &url, Some(&s.psy)).status, StatusCode::OK);
        assert_eq!(
            audited(&s.db, "psy", "lecture", &format!("séance {eep_id} (API)")),
            1
        );
        assert_eq!(get(&s.state, &url, Some(&s.cpam)).status, StatusCode::OK);
        assert_eq!(audited(&s.db, "cpam", "lecture", &eep_id), 1);
        assert_eq!(
            get(&s.state, "/api/cpam/rejets", Some(&s.cpam)).json()["rejets"][0]["id"],
            refused_id.as_str()
        );
        assert_eq!(
            audited(&s.db, "cpam", "lecture", "séances rejetées (API)"),
            1
        );
        assert_eq!(audit_lines(&s.db), before + 4, "{label}");

        // The patient's own reads are not audited.
        let before = audit_lines(&s.db);
        assert_eq!(get(&s.state, &url, Some(&s.patient)).status, StatusCode::OK);
        assert_eq!(
            get(&s.state, "/api/moi/suivi", Some(&s.patient)).status,
            StatusCode::OK
        );
        assert_eq!(audit_lines(&s.db), before, "{label}");

        // A psychologist who never saw the patient, another patient: 403, nothing shown, nothing
        // read.
        for (who, cookie) in [("psy2", &s.psy2), ("patient2", &s.patient2)] {
            let a = get(&s.state, &url, Some(cookie));
            let m = a.problem(StatusCode::FORBIDDEN, "acces_refuse");
            assert!(m.contains("psychologues qui l’ont reçu"), "{who}: {m}");
            assert!(!a.body.contains("20612"), "{who}: {}", a.body);
        }
        assert_eq!(
            audit_lines(&s.db),
            before,
            "{label}: refused reads are not reads"
        );
        let theirs = get(&s.state, "/api/seances", Some(&s.psy2)).json();
        assert!(theirs["seances"].as_array().unwrap().is_empty());
        // Once they have seen the patient, they may.
        record(&s, &s.psy2, session("APS", "2026-11-09"));
        assert_eq!(get(&s.state, &url, Some(&s.psy2)).status, StatusCode::OK);
        assert_eq!(audited(&s.db, "psy2", "lecture", &eep_id), 1);

        // The log never holds a NIR.
        let leaked =
            s.db.connect()
                .query(
                    "SELECT id FROM audit_log WHERE subject_id LIKE $1 OR reason LIKE $1",
                    &[format!("%{ADULT}%").into()],
                )
                .unwrap();
        assert!(leaked.is_empty(), "{label}");
    }
}

#[test]
fn the_pathway_endpoints_are_documented_without_nir_in_urls() {
    let doc = serde_json::to_value(msp_web::api::openapi()).unwrap();
    let expected = [
        ("/api/adressages", "post"),
        ("/api/adressages/verification", "post"),
        ("/api/situation", "post"),
        ("/api/seances", "get"),
        ("/api/seances/{id}", "get"),
        ("/api/moi/suivi", "get"),
        ("/api/cpam/rejets", "get"),
    ];
    for (path, method) in expected {
        let op = &doc["paths"][path][method];
        assert_eq!(op["tags"][0], "parcours", "{method} {path}");
        assert!(op["responses"]["401"].is_object(), "{method} {path}");
        assert!(op["responses"]["403"].is_object(), "{method} {path}");
        if method == "post" {
            assert!(op["responses"]["415"].is_object(), "{method} {path}");
            assert!(op["responses"]["422"].is_object(), "{method} {path}");
        }
    }
    for path in doc["paths"].as_object().unwrap().keys() {
        assert!(!path.contains("nir"), "no NIR in a URL: {path}");
    }
    for schema in [
        "LetterJson",
        "SituationJson",
        "MySessionsJson",
        "FollowUpJson",
        "RejectsJson",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    let letter = &doc["components"]["schemas"]["LetterInput"]["properties"];
    assert!(letter["nir"].is_object() && letter.get("nombre_seances").is_none());
}

/// Issue 11: a doctor cannot sign a letter for someone else. The letter names the signed-in
/// account's verified RPPS; a typed `identifiant_prescripteur` (here a psychologist's RPPS) is
/// refused as an unknown field, nothing stored; a letter from an account since deactivated
/// still verifies as issued by it, dated.
#[test]
fn letters_name_their_signed_in_issuer_on_both_databases() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        let letters = || count(&s.db, "SELECT COUNT(*) FROM referral_letters");
        let someone_else = rpps("1000000042");
        let a = post_json(
            &s.state,
            "/api/adressages",
            Some(&s.medecin),
            letter(&[("identifiant_prescripteur", json!(someone_else))]),
        );
        let m = a.problem(StatusCode::UNPROCESSABLE_ENTITY, "champ_inconnu");
        assert!(m.contains("identifiant_prescripteur"), "{label}: {m}");
        assert_eq!(letters(), 0, "{label}");

        let a = post_json(&s.state, "/api/adressages", Some(&s.medecin), letter(&[]));
        assert_eq!(a.status, StatusCode::CREATED, "{label} {}", a.body);
        let l = a.json();
        assert_eq!(l["prescripteur"]["identifiant"], s.doctor_rpps, "{label}");
        assert_ne!(l["prescripteur"]["identifiant"], someone_else);
        let code = l["code"].as_str().unwrap().to_owned();

        // The doctor's account is deactivated: the letter still verifies, naming them.
        s.db.connect()
            .execute(
                "UPDATE accounts SET active = 0 WHERE email = 'medecin@example.org'",
                &[],
            )
            .unwrap();
        let a = post_json(
            &s.state,
            "/api/adressages/verification",
            Some(&s.psy),
            json!({ "code": code, "date_seance": "2026-11-09" }),
        );
        assert_eq!(a.status, StatusCode::OK, "{label} {}", a.body);
        let v = a.json();
        assert_eq!(v["valable"], true, "{v}");
        assert_eq!(v["courrier"]["prescripteur"]["identifiant"], s.doctor_rpps);
        assert_eq!(v["courrier"]["date_courrier"], "2026-11-02");
        assert!(v["courrier"]["emis_le"].as_str().is_some(), "{v}");
    }
}
