//! Issue 13: the professional space tells the truth. Each test failed before its fix: a
//! cancelled session, the tiers payant of the 2026 regime, running totals at the session's own
//! date, documents only for what they certify, the doctor's confirmation, personal answers not
//! cached, HSTS, bounded applications and clean file names.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::TODAY;
use common::fixtures::{
    account, beneficiary, conventioned_psychologist, link_patient, nir, rpps, state_on,
};
use common::http::{Answer, get, post_body, post_form};
use jiff::civil::date;
use msp_domain::Role;
use msp_store::testing::{self, TestDb};
use msp_web::AppState;
use tower::ServiceExt;

const ADULT: &str = "206127511100564";
const ADULT_BIRTH: &str = "2006-12-05";

fn full() -> String {
    nir("1800175111006")
}

struct Setup {
    _db: TestDb,
    state: AppState,
    psy: (String, String),
    patient: (String, String),
    medecin: (String, String),
    cpam: (String, String),
}

fn setup(db: TestDb) -> Setup {
    let mut conn = db.connect();
    let psy = account(&mut conn, Role::Psychologue, "psy@example.org");
    let patient = account(&mut conn, Role::Patient, "patient@example.org");
    let medecin = account(&mut conn, Role::Medecin, "medecin@example.org");
    let cpam = account(&mut conn, Role::AgentCpam, "cpam@example.org");
    conventioned_psychologist(&mut conn, psy.0, &rpps("1000000042"));
    beneficiary(&mut conn, ADULT, ADULT_BIRTH);
    beneficiary(&mut conn, &full(), "1980-01-20");
    link_patient(&mut conn, patient.0, ADULT);
    conn.execute(
        "INSERT INTO patient_years (nir, year, accepted, first_eep) VALUES ($1, 2026, 12, $2)",
        &[full().as_str().into(), date(2026, 1, 10).into()],
    )
    .unwrap();
    drop(conn);
    let state = state_on(&db, TODAY);
    let pair = |(_, c, t): (i64, String, String)| (c, t);
    Setup {
        _db: db,
        state,
        psy: pair(psy),
        patient: pair(patient),
        medecin: pair(medecin),
        cpam: pair(cpam),
    }
}

fn record(s: &Setup, nir: &str, birth: &str, day: &str, act: &str, etape: &str) -> Answer {
    let (c, t) = &s.psy;
    post_form(
        &s.state,
        "/espace/seances",
        Some(c),
        &[
            ("_csrf", t.as_str()),
            ("etape", etape),
            ("nir", nir),
            ("naissance", birth),
            ("date", day),
            ("acte", act),
            ("contexte", "maladie"),
            ("consentement", "1"),
        ],
    )
}

/// Records a session; returns its page's URL.
fn recorded(s: &Setup, nir: &str, birth: &str, day: &str, act: &str) -> String {
    let a = record(s, nir, birth, day, act, "enregistrer");
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    a.location
}

/// Item 4: the page of a session counts the sessions of the year up to its own date.
#[test]
fn a_session_page_counts_the_year_at_its_own_date() {
    let s = setup(testing::sqlite());
    recorded(&s, ADULT, ADULT_BIRTH, "2026-11-02", "EEP");
    let second = recorded(&s, ADULT, ADULT_BIRTH, "2026-11-09", "APS");
    recorded(&s, ADULT, ADULT_BIRTH, "2026-11-16", "APS");
    let page = get(&s.state, &second, Some(&s.psy.0)).body;
    assert!(
        page.contains("2\u{a0}séances remboursées")
            && page.contains("10\u{a0}restantes")
            && page.contains("à la date du 09/11/2026"),
        "{page}"
    );
}

/// Item 4: with no session left, nothing says the next one is a follow-up, and « Vérifier
/// les droits » warns that it would be refused.
#[test]
fn no_session_left_warns_and_announces_no_follow_up() {
    let s = setup(testing::sqlite());
    let v = record(&s, &full(), "1980-01-20", "2026-11-20", "APS", "verifier");
    assert_eq!(v.status, StatusCode::OK, "{}", v.body);
    assert!(v.body.contains("0\u{a0}restante"), "{}", v.body);
    assert!(
        !v.body
            .contains("la prochaine séance est une séance de suivi"),
        "{}",
        v.body
    );
    assert!(v.body.contains("notice-warning") && v.body.contains("serait refusée"));
}

/// Item 2: a cancelled session reads as cancelled, with what was taken back, and never as
/// accepted.
#[test]
fn a_cancelled_session_shows_what_was_taken_back() {
    let s = setup(testing::sqlite());
    recorded(&s, ADULT, ADULT_BIRTH, "2026-11-02", "EEP");
    let aps = recorded(&s, ADULT, ADULT_BIRTH, "2026-11-09", "APS");
    let done = post_form(
        &s.state,
        &format!("{aps}/annulation"),
        Some(&s.psy.0),
        &[("_csrf", s.psy.1.as_str()), ("motif", "patient confondu")],
    );
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    for cookie in [&s.psy.0, &s.patient.0] {
        let page = get(&s.state, &aps, Some(cookie)).body;
        assert!(page.contains("Séance annulée"), "{page}");
        assert!(!page.contains("Séance acceptée"), "{page}");
        assert!(
            page.contains("L’annulation reprend") && page.contains("30,00 € non versés"),
            "{page}"
        );
    }
    // The month's statement counts it as cancelled, beside the accepted one.
    let pdf = get(
        &s.state,
        "/espace/mes-seances/releve.pdf?mois=2026-11",
        Some(&s.psy.0),
    );
    assert_eq!(pdf.status, StatusCode::OK);
    let text = lopdf::Document::load_mem(&pdf.bytes)
        .unwrap()
        .extract_text(&[1])
        .unwrap()
        .replace('\u{a0}', " ");
    assert!(
        text.contains("1 séance acceptée, 0 refusée, 1 annulée"),
        "{text}"
    );
    // The patient's way back from a session's page.
    let page = get(&s.state, &aps, Some(&s.patient.0)).body;
    assert!(
        page.contains(r#"<a href="/espace/mon-suivi?annee=2026">Retour à mon suivi 2026</a>"#),
        "{page}"
    );
    // The agents' count of sessions recorded on line says that one was cancelled since.
    let lots = get(&s.state, "/espace/cpam/lots", Some(&s.cpam.0)).body;
    assert!(
        lots.contains(
            " : 2 dont 2\u{a0}acceptées (1\u{a0}annulée depuis par son psychologue) et 0\u{a0}rejetée"
        ),
        "{lots}"
    );
}

/// Item 3: under the 2026 regime the tiers payant on the AMO part is mandatory: the page says
/// it was applied (as the care sheet does), and the form offers no box but says so; for an
/// older session date, the box is offered.
#[test]
fn tiers_payant_of_the_2026_regime_is_said_once_and_right() {
    let s = setup(testing::sqlite());
    let url = recorded(&s, ADULT, ADULT_BIRTH, "2026-11-02", "EEP");
    let page = get(&s.state, &url, Some(&s.psy.0)).body;
    assert!(
        page.contains(
            "<dt>Tiers payant (AMO)</dt><dd>oui (obligatoire depuis le 1er\u{a0}octobre 2026)</dd>"
        ),
        "{page}"
    );
    let form = get(&s.state, "/espace/seances", Some(&s.psy.0)).body;
    assert!(!form.contains(r#"id="tiers_payant""#), "{form}");
    assert!(form.contains("Tiers payant : obligatoire"), "{form}");
    let older = record(&s, ADULT, ADULT_BIRTH, "2026-09-15", "EEP", "verifier");
    assert!(
        older.body.contains(r#"id="tiers_payant""#),
        "{}",
        older.body
    );
}

/// Item 5: a refused session has no care sheet (it would claim a payment); its statement says
/// why nothing is paid, in words rather than a code.
#[test]
fn a_refused_session_has_no_care_sheet() {
    let s = setup(testing::sqlite());
    let url = recorded(&s, &full(), "1980-01-20", "2026-11-20", "APS");
    let page = get(&s.state, &url, Some(&s.psy.0)).body;
    assert!(page.contains("Séance refusée") && page.contains("Plafond annuel atteint"));
    assert!(!page.contains("PLAFOND"), "no raw code: {page}");
    assert!(!page.contains("Feuille de soins (PDF)"), "{page}");
    let sheet = get(&s.state, &format!("{url}/feuille.pdf"), Some(&s.psy.0));
    assert_eq!(sheet.status, StatusCode::CONFLICT, "{}", sheet.body);
    assert!(sheet.body.contains("pas de feuille de soins"));
    let statement = get(&s.state, &format!("{url}/decompte.pdf"), Some(&s.psy.0));
    assert_eq!(statement.status, StatusCode::OK);
}

fn pdf_text(bytes: &[u8]) -> String {
    lopdf::Document::load_mem(bytes)
        .unwrap()
        .extract_text(&[1])
        .unwrap()
        .replace('\u{a0}', " ")
}

/// Documents agree with the sex the NIR gives (« assurée », « cette patiente »), never
/// « assuré(e) » for a known one.
#[test]
fn documents_agree_with_the_patient() {
    let s = setup(testing::sqlite());
    let url = recorded(&s, ADULT, ADULT_BIRTH, "2026-11-02", "EEP");
    let sheet = pdf_text(&get(&s.state, &format!("{url}/feuille.pdf"), Some(&s.psy.0)).bytes);
    assert!(
        sheet.contains("Signature de l’assurée") && !sheet.contains("(e)"),
        "{sheet}"
    );
    let statement = pdf_text(&get(&s.state, &format!("{url}/decompte.pdf"), Some(&s.psy.0)).bytes);
    assert!(
        statement.contains("Assurée : NIR") && !statement.contains("(e)"),
        "{statement}"
    );
    let (mc, mt) = &s.medecin;
    let a = post_form(
        &s.state,
        "/espace/adressages",
        Some(mc),
        &[
            ("_csrf", mt.as_str()),
            ("prescripteur_id", rpps("2000000042").as_str()),
            ("patient_nom", "Élodie Martin"),
            ("nir", ADULT),
            ("date", "2026-11-02"),
            ("contexte", ""),
        ],
    );
    let code = a.location.split("emis=").nth(1).unwrap().to_owned();
    let letter = pdf_text(
        &get(
            &s.state,
            &format!("/espace/adressages/{code}/pdf"),
            Some(mc),
        )
        .bytes,
    );
    assert!(
        letter.contains("Patiente : Élodie Martin")
            && letter.contains("J’adresse cette patiente")
            && !letter.contains("ce patient "),
        "{letter}"
    );
}

/// Item 13: the doctor is told the letter was issued, with its code and the PDF; the PDF has a
/// line to sign.
#[test]
fn the_doctor_is_told_the_letter_was_issued() {
    let s = setup(testing::sqlite());
    let (mc, mt) = &s.medecin;
    let doctor = rpps("2000000042");
    let a = post_form(
        &s.state,
        "/espace/adressages",
        Some(mc),
        &[
            ("_csrf", mt.as_str()),
            ("prescripteur_id", doctor.as_str()),
            ("patient_nom", "Élodie Martin"),
            ("nir", ADULT),
            ("date", "2026-11-02"),
            ("contexte", ""),
        ],
    );
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(a.location.contains("?emis="), "{}", a.location);
    let page = get(&s.state, &a.location, Some(mc)).body;
    assert!(
        page.contains("notice-success")
            && page.contains("Courrier émis.")
            && page.contains("Élodie Martin"),
        "{page}"
    );
    let plain = get(&s.state, "/espace/adressages", Some(mc)).body;
    assert!(
        !plain.contains("Courrier émis."),
        "only right after issuing"
    );
    // The psychologist who finds it valid is led to the session, letter and date filled in.
    let code = a.location.split("emis=").nth(1).unwrap().to_owned();
    let (pc, pt) = &s.psy;
    let checked = post_form(
        &s.state,
        "/espace/adressages/verifier",
        Some(pc),
        &[
            ("_csrf", pt.as_str()),
            ("code", code.as_str()),
            ("date", "2026-11-05"),
        ],
    );
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    let link = format!("/espace/seances?courrier={code}&amp;date=2026-11-05");
    assert!(
        checked.body.contains("Courrier valable") && checked.body.contains(&link),
        "{}",
        checked.body
    );
    let form = get(
        &s.state,
        &format!("/espace/seances?courrier={code}&date=2026-11-05"),
        Some(pc),
    )
    .body;
    assert!(
        form.contains(&format!(r#"value="{code}""#))
            && form.contains(r#"value="2026-11-05""#)
            && form.contains(r#"<option value="EEP" selected>"#),
        "{form}"
    );
}

/// Item 18: answers with personal data are never stored by a browser or a proxy.
#[test]
fn personal_answers_are_not_cached() {
    let s = setup(testing::sqlite());
    let url = recorded(&s, ADULT, ADULT_BIRTH, "2026-11-02", "EEP");
    for (path, cookie) in [
        (url.as_str(), &s.psy.0),
        ("/espace/mon-suivi", &s.patient.0),
        ("/espace/mes-seances", &s.psy.0),
        ("/espace/cpam/rejets", &s.cpam.0),
        ("/api/seances", &s.psy.0),
        ("/api/moi/suivi", &s.patient.0),
        ("/", &s.patient.0),
    ] {
        let a = get(&s.state, path, Some(cookie));
        assert_eq!(a.cache_control, "no-store", "{path}: {}", a.status);
    }
    assert_ne!(
        get(&s.state, "/static/style.css", None).cache_control,
        "no-store"
    );
}

/// Item 18: HSTS when the request came over HTTPS, none over plain HTTP.
#[test]
fn hsts_over_https_only() {
    let s = setup(testing::sqlite());
    let hsts = |https: bool| {
        let mut req = Request::get("/");
        if https {
            req = req.header("x-forwarded-proto", "https");
        }
        let res = block_on(msp_web::app(s.state.clone()).oneshot(req.body(Body::empty()).unwrap()))
            .unwrap();
        res.headers()
            .get(header::STRICT_TRANSPORT_SECURITY)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(hsts(false), None);
    assert!(hsts(true).is_some_and(|v| v.starts_with("max-age=31536000")));
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn upload(s: &Setup, cookie: &str, csrf: &str, filename: &str, content: &[u8]) -> Answer {
    let boundary = "----msp-test-boundary";
    let mut body = Vec::new();
    for (name, value) in [("_csrf", csrf), ("type", "diplome")] {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"{filename}\"\r\nContent-Type: application/pdf\r\n\r\n")
            .as_bytes(),
    );
    body.extend(content);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    post_body(
        &s.state,
        "/espace/candidature/pieces",
        Some(cookie),
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
}

/// Item 18: an application holds at most 10 documents (a French 413 naming the limit), and the
/// file names shown carry no bidirectional override.
#[test]
fn applications_hold_a_bounded_number_of_clean_documents() {
    let db = testing::sqlite();
    let mut conn = db.connect();
    let (_, c, t) = account(&mut conn, Role::Psychologue, "candidate@example.org");
    drop(conn);
    let s = setup(db);
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
    let first = upload(&s, &c, &t, "facture\u{202e}fdp.exe", pdf);
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let page = get(&s.state, "/espace/candidature", Some(&c)).body;
    assert!(
        page.contains("facturefdp.exe") && !page.contains('\u{202e}'),
        "{page}"
    );
    for _ in 1..10 {
        assert_eq!(
            upload(&s, &c, &t, "d.pdf", pdf).status,
            StatusCode::SEE_OTHER
        );
    }
    let over = upload(&s, &c, &t, "d.pdf", pdf);
    assert_eq!(over.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", over.body);
    assert!(over.body.contains("au plus 10 pièces"), "{}", over.body);
}

/// Item 6: past years are reachable (`?annee=`) for patients and psychologists, and every
/// monthly statement of the year is linked.
#[test]
fn past_years_and_months_are_reachable() {
    let s = setup(testing::sqlite());
    recorded(&s, ADULT, ADULT_BIRTH, "2025-03-04", "EEP");
    recorded(&s, ADULT, ADULT_BIRTH, "2026-11-02", "EEP");
    let patient = get(&s.state, "/espace/mon-suivi?annee=2025", Some(&s.patient.0)).body;
    assert!(
        patient.contains("Mon suivi 2025") && patient.contains("04/03/2025"),
        "{patient}"
    );
    assert!(!patient.contains("02/11/2026"), "{patient}");
    // A finished year announces no next session.
    assert!(
        patient.contains("sur l’année civile, terminée.")
            && !patient.contains("la prochaine séance")
            && !patient.contains("séances de ce jour comprises"),
        "{patient}"
    );
    assert!(
        patient.contains(r#"<option value="2025" selected>"#),
        "{patient}"
    );
    let psy = get(&s.state, "/espace/mes-seances?annee=2025", Some(&s.psy.0)).body;
    assert!(
        psy.contains("Mes séances 2025") && psy.contains("04/03/2025"),
        "{psy}"
    );
    assert!(psy.contains("releve.pdf?mois=2025-03") && psy.contains("releve.pdf?mois=2025-12"));
    assert!(
        psy.contains("Relevé d’octobre 2025 (PDF)")
            && psy.contains("Relevé de mars 2025 (PDF)")
            && !psy.contains("Relevé de avril"),
        "{psy}"
    );
    let now = get(&s.state, "/espace/mes-seances", Some(&s.psy.0)).body;
    assert!(now.contains("releve.pdf?mois=2026-11") && !now.contains("mois=2026-12"));
    let bad = get(&s.state, "/espace/mon-suivi?annee=1999", Some(&s.patient.0));
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Année"), "{}", bad.body);
}

/// Item 7: the patient's pages speak to the patient, without the psychologist's words or the
/// act codes.
#[test]
fn the_patient_is_spoken_to() {
    let s = setup(testing::sqlite());
    let url = recorded(&s, ADULT, ADULT_BIRTH, "2026-11-02", "EEP");
    for page in [
        get(&s.state, &url, Some(&s.patient.0)).body,
        get(&s.state, "/espace/mon-suivi", Some(&s.patient.0)).body,
    ] {
        for word in ["ce patient", "du patient", "APS", "PSS", "(EEP)"] {
            assert!(!page.contains(word), "« {word} »: {page}");
        }
    }
    assert!(
        get(&s.state, &url, Some(&s.patient.0))
            .body
            .contains("Où j’en suis")
    );
}

/// A required date left empty is missing, never silently today: the session form and the
/// letter form say so, with the other errors, and record nothing.
#[test]
fn an_empty_date_is_missing_not_today() {
    let s = setup(testing::sqlite());
    let a = record(&s, ADULT, ADULT_BIRTH, "", "XYZ", "enregistrer");
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(
        a.body.contains("Date de la séance manquante") && a.body.contains("Acte invalide"),
        "{}",
        a.body
    );
    let input = &a.body[a.body.find(r#"<input id="date""#).unwrap()..];
    let input = &input[..input.find('>').unwrap()];
    assert!(
        input.contains(r#"value="""#),
        "the empty date stays empty: {input}"
    );
    // An empty birth date is missing too, not « invalide ».
    let a = record(&s, ADULT, "", "2026-11-02", "EEP", "enregistrer");
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(
        a.body.contains("Date de naissance manquante") && !a.body.contains("naissance invalide"),
        "{}",
        a.body
    );
    // Checking rights without a date is for today.
    let check = record(&s, ADULT, ADULT_BIRTH, "", "", "verifier");
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    let (mc, mt) = &s.medecin;
    let letter = post_form(
        &s.state,
        "/espace/adressages",
        Some(mc),
        &[
            ("_csrf", mt.as_str()),
            ("prescripteur_id", rpps("2000000042").as_str()),
            ("patient_nom", "Élodie Martin"),
            ("nir", ADULT),
            ("date", ""),
            ("contexte", ""),
        ],
    );
    assert_eq!(
        letter.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        letter.body
    );
    assert!(
        letter.body.contains("Date du courrier manquante"),
        "{}",
        letter.body
    );
}

/// A monthly statement with sessions paid by the patient (no tiers payant) says why the
/// psychologist was paid « 0,00 € », and names the insurer as it names itself.
#[test]
fn a_statement_explains_a_session_paid_by_the_patient() {
    let s = setup(testing::sqlite());
    recorded(&s, ADULT, ADULT_BIRTH, "2025-03-04", "EEP");
    let pdf = get(
        &s.state,
        "/espace/mes-seances/releve.pdf?mois=2025-03",
        Some(&s.psy.0),
    );
    assert_eq!(pdf.status, StatusCode::OK);
    let text = lopdf::Document::load_mem(&pdf.bytes)
        .unwrap()
        .extract_text(&[1])
        .unwrap()
        .replace('\u{a0}', " ");
    assert!(text.contains("0,00 €"), "{text}");
    assert!(
        text.contains("séance sans tiers payant") && text.contains("réglée par le patient"),
        "{text}"
    );
    assert!(
        text.contains("Assurance Maladie") && !text.contains("Assurance maladie"),
        "{text}"
    );
}

/// The CPAM's page of a psychologist names them and lists every period the rules use,
/// suspensions imported from the CPAM's files included (they had no line before).
#[test]
fn the_cpam_sees_imported_suspensions_and_the_name() {
    let s = setup(testing::sqlite());
    let psy = rpps("1000000042");
    {
        let mut conn = s._db.connect();
        conn.execute(
            "INSERT INTO suspensions (rpps, from_date, to_date, reason) VALUES ($1, $2, $3, 'contrôle')",
            &[
                psy.as_str().into(),
                date(2025, 3, 1).into(),
                date(2025, 3, 31).into(),
            ],
        )
        .unwrap();
    }
    let page = get(&s.state, &format!("/espace/cpam/{psy}"), Some(&s.cpam.0)).body;
    assert!(
        page.contains(&format!("<h1>Test PSY (RPPS {psy})</h1>")),
        "{page}"
    );
    assert!(
        page.contains("Convention du 01/01/2024, sans date de fin")
            && page.contains("Suspension du 01/03/2025 au 31/03/2025"),
        "{page}"
    );
}

/// An accepted application whose file fails checks today says so above the checks, instead of
/// « Acceptée » beside « ✗ Non conforme » with nothing to reconcile them; the experience reads
/// in words.
#[test]
fn an_accepted_application_that_fails_a_check_says_so() {
    let s = setup(testing::sqlite());
    let id: i64 = {
        let mut conn = s._db.connect();
        conn.execute("UPDATE applications SET experience_months = 60", &[])
            .unwrap();
        conn.query_one("SELECT application_id FROM applications", &[])
            .unwrap()
            .int(0)
            .unwrap()
    };
    let page = get(
        &s.state,
        &format!("/espace/candidatures/{id}"),
        Some(&s.cpam.0),
    )
    .body;
    assert!(page.contains("Statut : </strong>Acceptée"), "{page}");
    assert!(
        page.contains("Candidature acceptée par la commission, mais le dossier tel qu’il est aujourd’hui ne passe pas ces vérifications")
            && page.contains("Diplôme déclaré"),
        "{page}"
    );
    assert!(
        page.contains("expérience déclarée : 5\u{a0}ans.")
            && page.contains("Expérience clinique à temps plein : 5\u{a0}ans<")
            && !page.contains("an(s)"),
        "{page}"
    );
}

/// « Aucune candidature en attente » is not followed by an empty table.
#[test]
fn an_empty_queue_has_no_empty_table() {
    let s = setup(testing::sqlite());
    let expert = account(&mut s._db.connect(), Role::Expert, "expert@example.org").1;
    let page = get(&s.state, "/espace/commission", Some(&expert)).body;
    assert!(page.contains("Aucune candidature en attente."), "{page}");
    assert!(!page.contains("<table"), "{page}");
}
