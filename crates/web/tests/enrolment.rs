//! Accounts, sessions, CSRF, roles and the conventionnement workflow through the router, on
//! SQLite and PostgreSQL: a psychologist applies, an expert accepts, a CPAM agent signs, the card
//! appears; a suspension hides it and its end restores it; the audit log shows who read what;
//! every route × every role is allowed or refused as SPEC §2 says.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::TODAY;
use common::fixtures::{self, Account, registry_entry};
use common::http::{Answer, get, post_body, post_form, send};
use jiff::civil::{Date, date};
use msp_domain::Role;
use msp_store::testing::{self, TestDb};
use msp_web::AppState;

const PASSWORD: &str = "un mot de passe solide";
/// A valid RPPS (Luhn) registered as psychologist below.
fn rpps() -> String {
    fixtures::rpps("1000000042")
}

struct Setup {
    db: TestDb,
    state: AppState,
    /// (cookie, csrf) per role; `psy2` is a second psychologist.
    sessions: Vec<(Role, String, String)>,
    psy2: (String, String),
}

/// Synchronous database work from inside the (multi-threaded) test runtime.
fn sync<T>(f: impl FnOnce() -> T) -> T {
    f()
}

fn state_on(db: &TestDb, today: Date) -> AppState {
    sync(|| fixtures::state_on(db, today))
}

fn setup(db: TestDb) -> Setup {
    sync(|| setup_blocking(db))
}

fn setup_blocking(db: TestDb) -> Setup {
    let mut conn = db.connect();
    registry_entry(&mut conn, &rpps(), "LEFÈVRE", "Hélène");
    let mut sessions = Vec::new();
    let mk =
        |conn: &mut msp_store::Db, role: Role, email: &str, territory: Option<&str>, hash: &str| {
            let (_, cookie, csrf) = Account::new(role, email)
                .territory(territory)
                .password_hash(hash)
                .signed_in(conn);
            (cookie, csrf)
        };
    let hash = msp_web::pages::auth::hash_password_blocking(PASSWORD).unwrap();
    for role in Role::ALL {
        let territory = match role {
            Role::AnalysteArs => Some("84"),
            _ => None,
        };
        let (c, t) = mk(
            &mut conn,
            role,
            &format!("{}@example.org", role.code()),
            territory,
            &hash,
        );
        sessions.push((role, c, t));
    }
    let psy2 = mk(
        &mut conn,
        Role::Psychologue,
        "autre.psy@example.org",
        None,
        "x",
    );
    drop(conn);
    let state = fixtures::state_on(&db, TODAY);
    Setup {
        db,
        state,
        sessions,
        psy2,
    }
}

impl Setup {
    fn session(&self, role: Role) -> (&str, &str) {
        let (_, c, t) = self.sessions.iter().find(|(r, _, _)| *r == role).unwrap();
        (c, t)
    }
}

fn upload(state: &AppState, cookie: &str, csrf: &str, kind: &str, content: &[u8]) -> Answer {
    let boundary = "----msp-test-boundary";
    let mut body = Vec::new();
    for (name, value) in [("_csrf", csrf), ("type", kind)] {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"{kind}.pdf\"\r\nContent-Type: application/pdf\r\n\r\n")
            .as_bytes(),
    );
    body.extend(content);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    post_body(
        state,
        "/espace/candidature/pieces",
        Some(cookie),
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec()
}

fn card_listed(state: &AppState) -> bool {
    get(state, &format!("/psychologues/{}", rpps()), None).status == StatusCode::OK
}

/// The expert accepts application `id`.
fn accept(s: &Setup, id: i64) -> Answer {
    let (expert, expert_csrf) = s.session(Role::Expert);
    post_form(
        &s.state,
        &format!("/espace/candidatures/{id}/decision"),
        Some(expert),
        &[
            ("_csrf", expert_csrf),
            ("decision", "accepter"),
            ("motif", ""),
        ],
    )
}

/// Applies, files, accepts; returns the application id.
fn apply_and_accept(s: &Setup) -> i64 {
    let (psy, psy_csrf) = s.session(Role::Psychologue);
    let a = post_form(
        &s.state,
        "/espace/candidature",
        Some(psy),
        &[
            ("_csrf", psy_csrf),
            ("nom", "Lefevre"),
            ("prenom", "HELENE"),
            ("rpps", &rpps()),
            ("diplome", "Master de psychologie clinique, Lyon 2, 2015"),
            ("experience", "4,5"),
            ("adresse1", "1 place Bellecour"),
            ("cp1", "69002"),
            ("commune1", ""),
            ("telephone", "04 78 00 00 00"),
        ],
    );
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    // Not complete yet: filing is refused and nothing changes.
    let a = post_form(
        &s.state,
        "/espace/candidature/depot",
        Some(psy),
        &[("_csrf", psy_csrf)],
    );
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("incomplet"));
    for kind in ["diplome", "experience"] {
        let a = upload(&s.state, psy, psy_csrf, kind, &pdf());
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    }
    let page = get(&s.state, "/espace/candidature", Some(psy));
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("✗ Non conforme"), "{}", page.body);
    assert!(page.body.contains("Présent au répertoire, profession 93."));
    let a = post_form(
        &s.state,
        "/espace/candidature/depot",
        Some(psy),
        &[("_csrf", psy_csrf)],
    );
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = get(&s.state, "/espace/candidature", Some(psy));
    assert!(
        page.body.contains("23/03/2027"),
        "deadline shown: {}",
        page.body
    );

    let (expert, expert_csrf) = s.session(Role::Expert);
    let q = get(&s.state, "/espace/commission", Some(expert));
    assert_eq!(q.status, StatusCode::OK);
    let id: i64 = {
        sync(|| {
            let mut db = s.db.connect();
            db.query_one("SELECT application_id FROM applications", &[])
                .unwrap()
                .int(0)
                .unwrap()
        })
    };
    assert!(q.body.contains(&format!("/espace/candidatures/{id}")));
    let v = get(
        &s.state,
        &format!("/espace/candidatures/{id}"),
        Some(expert),
    );
    assert_eq!(v.status, StatusCode::OK);
    assert!(v.body.contains("Décision de la commission"));
    // A refusal without reason is refused.
    let a = post_form(
        &s.state,
        &format!("/espace/candidatures/{id}/decision"),
        Some(expert),
        &[("_csrf", expert_csrf), ("decision", "refuser")],
    );
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The application again, the choice kept, the error on the motive.
    assert!(a.body.contains("Un refus doit être motivé"), "{}", a.body);
    assert!(a.body.contains("id=\"motif-erreur\""), "{}", a.body);
    assert!(a.body.contains("value=\"refuser\" checked"), "{}", a.body);
    let a = accept(s, id);
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    id
}

#[test]
fn apply_accept_sign_list_suspend_restore_on_both_databases() {
    for db in sync(testing::all) {
        let s = setup(db);
        let id = apply_and_accept(&s);
        assert!(!card_listed(&s.state));

        let (cpam, cpam_csrf) = s.session(Role::AgentCpam);
        let home = get(&s.state, "/espace/cpam", Some(cpam));
        assert!(home.body.contains(&rpps()));
        assert!(home.body.contains("<td>à signer</td>"), "{}", home.body);
        let a = post_form(
            &s.state,
            &format!("/espace/cpam/{}/signature", rpps()),
            Some(cpam),
            &[("_csrf", cpam_csrf), ("debut", "2026-11-23")],
        );
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        assert!(
            card_listed(&s.state),
            "card listed after signature ({})",
            s.db.label
        );
        let search = get(&s.state, "/api/psychologues?q=69002&rayon=5", None);
        assert!(search.body.contains(&rpps()), "{}", search.body);
        // The list tells a signed convention from one to sign (issue 13).
        let home = get(&s.state, "/espace/cpam", Some(cpam)).body;
        assert!(
            home.contains("<td>en vigueur depuis le 23/11/2026</td>")
                && !home.contains("<td>à signer</td>"),
            "{home}"
        );
        // Signing twice is refused, nothing written.
        let a = post_form(
            &s.state,
            &format!("/espace/cpam/{}/signature", rpps()),
            Some(cpam),
            &[("_csrf", cpam_csrf), ("debut", "2026-11-23")],
        );
        assert_eq!(a.status, StatusCode::CONFLICT);

        // A suspension form with mistakes: the page again, every field's error at once,
        // nothing written.
        let a = post_form(
            &s.state,
            &format!("/espace/cpam/{}/suspension", rpps()),
            Some(cpam),
            &[
                ("_csrf", cpam_csrf),
                ("du", "2026-11-23"),
                ("au", "31/02/2026"),
                ("motif", " "),
            ],
        );
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        for (id, message) in [
            (
                "au-s",
                "Date de fin : date invalide, attendue sous la forme JJ/MM/AAAA.",
            ),
            ("motif-s", "Le motif est obligatoire."),
        ] {
            assert!(
                a.body.contains(&format!("id=\"{id}-erreur\"")),
                "{id}: {}",
                a.body
            );
            assert!(a.body.contains(message), "{message}");
        }
        assert!(a.body.contains("value=\"2026-11-23\""), "typed kept");
        assert!(card_listed(&s.state), "nothing suspended");
        // Suspension over today: hidden; after its end: listed again.
        let a = post_form(
            &s.state,
            &format!("/espace/cpam/{}/suspension", rpps()),
            Some(cpam),
            &[
                ("_csrf", cpam_csrf),
                ("du", "2026-11-23"),
                ("au", "2026-12-15"),
                ("motif", "contrôle en cours"),
            ],
        );
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        assert!(!card_listed(&s.state), "suspended card hidden");
        let later = state_on(&s.db, date(2026, 12, 16));
        assert!(card_listed(&later), "the suspension lifted itself");

        // History kept.
        let page = get(&s.state, &format!("/espace/cpam/{}", rpps()), Some(cpam));
        assert!(
            page.body.contains("signature") && page.body.contains("suspension"),
            "{}",
            page.body
        );

        // Both pages say so without a gendered « conventionné » (issue 13).
        let page = get(&later, &format!("/espace/cpam/{}", rpps()), Some(cpam)).body;
        assert!(
            page.contains(
                "Aujourd’hui : </strong>convention en vigueur, fiche visible dans l’annuaire."
            ),
            "{page}"
        );
        let (psy, psy_csrf) = s.session(Role::Psychologue);
        let page = get(&later, "/espace/convention", Some(psy)).body;
        assert!(
            page.contains(
                "Votre convention est en vigueur : votre fiche est visible dans l’annuaire."
            ),
            "{page}"
        );

        // Withdrawal with 2 months' notice by the psychologist.
        let a = post_form(
            &s.state,
            "/espace/convention/retrait",
            Some(psy),
            &[("_csrf", psy_csrf)],
        );
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        assert!(card_listed(&state_on(&s.db, date(2027, 1, 23))));
        assert!(!card_listed(&state_on(&s.db, date(2027, 1, 24))));

        // Exclusion.
        let a = post_form(
            &s.state,
            &format!("/espace/cpam/{}/exclusion", rpps()),
            Some(cpam),
            &[
                ("_csrf", cpam_csrf),
                ("du", "2026-12-20"),
                ("motif", "fraude"),
            ],
        );
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        assert!(!card_listed(&later) || date(2026, 12, 16) < date(2026, 12, 20));
        assert!(!card_listed(&state_on(&s.db, date(2026, 12, 20))));

        // Audit log: the expert's and the agent's reads, readable by the admin only.
        let (admin, _) = s.session(Role::Admin);
        let log = get(&s.state, "/espace/admin/journal", Some(admin));
        assert_eq!(log.status, StatusCode::OK);
        assert!(
            log.body
                .contains("expert@example.org — Expert (commission de sélection)"),
            "{}",
            log.body
        );
        assert!(log.body.contains(&format!("candidature {id}")));
        assert!(log.body.contains("agent_cpam@example.org — Agent de CPAM"));
        let rows = sync(|| {
            s.db.connect()
                .query_one("SELECT COUNT(*) FROM convention_events", &[])
                .unwrap()
                .int(0)
                .unwrap()
        });
        assert_eq!(
            rows, 4,
            "signature, suspension, retrait, exclusion ({})",
            s.db.label
        );

        // Conventioned without a card: neither page says the card is in the directory.
        sync(|| {
            s.db.connect()
                .execute(
                    "DELETE FROM directory_cards WHERE rpps = $1",
                    &[rpps().as_str().into()],
                )
                .unwrap()
        });
        let page = get(&later, &format!("/espace/cpam/{}", rpps()), Some(cpam)).body;
        assert!(
            page.contains("convention en vigueur, mais pas encore visible dans l’annuaire")
                && !page.contains("fiche visible dans l’annuaire"),
            "{page}"
        );
        let page = get(&later, "/espace/convention", Some(psy)).body;
        assert!(
            page.contains("vous n’apparaissez pas encore dans l’annuaire")
                && !page.contains("votre fiche est visible"),
            "{page}"
        );
    }
}

#[test]
fn sign_in_sessions_csrf_and_bad_input() {
    for db in sync(testing::all) {
        let s = setup(db);
        // Sign-in: form with its CSRF cookie; wrong password; rate limit; success.
        let page = get(&s.state, "/connexion", None);
        assert_eq!(page.status, StatusCode::OK);
        let token = page.set_cookie[0]
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("msp_csrf=")
            .to_owned();
        assert!(
            page.set_cookie[0].contains("HttpOnly") && page.set_cookie[0].contains("SameSite=Lax")
        );
        let login = |password: &'static str, csrf: String| -> Answer {
            let state = s.state.clone();
            let token = token.clone();
            {
                let body = serde_urlencoded::to_string([
                    ("_csrf", csrf.as_str()),
                    ("email", "Admin@example.org"),
                    ("password", password),
                ])
                .unwrap();
                send(
                    &state,
                    Request::post("/connexion")
                        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .header(header::COOKIE, format!("msp_csrf={token}"))
                        .header("x-forwarded-proto", "https")
                        .body(Body::from(body))
                        .unwrap(),
                )
            }
        };
        assert_eq!(
            login(PASSWORD, "forged".into()).status,
            StatusCode::FORBIDDEN
        );
        let bad = login("mauvais", token.clone());
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
        assert!(bad.body.contains("mot de passe incorrect"));
        let ok = login(PASSWORD, token.clone());
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let cookie = ok
            .set_cookie
            .iter()
            .find(|c| c.starts_with("msp_session="))
            .unwrap();
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax")
                && cookie.contains("Secure")
        );
        let session = cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("msp_session=")
            .to_owned();
        let home = get(&s.state, "/espace", Some(&session));
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.body.contains("Journal d’audit"), "admin menu");
        for _ in 0..5 {
            login("mauvais", token.clone());
        }
        let locked = login(PASSWORD, token.clone());
        assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(locked.body.contains("Trop de tentatives"));

        // Sign-out needs the CSRF token, then the session is gone.
        let (admin, admin_csrf) = s.session(Role::Admin);
        assert_eq!(
            post_form(
                &s.state,
                "/deconnexion",
                Some(&session),
                &[("_csrf", "faux")]
            )
            .status,
            StatusCode::FORBIDDEN
        );
        let csrf = {
            let page = get(&s.state, "/espace", Some(&session));
            let i = page.body.find("name=\"_csrf\" value=\"").unwrap() + 20;
            page.body[i..i + 64].to_owned()
        };
        assert_eq!(
            post_form(
                &s.state,
                "/deconnexion",
                Some(&session),
                &[("_csrf", &csrf)]
            )
            .status,
            StatusCode::SEE_OTHER
        );
        let gone = get(&s.state, "/espace", Some(&session));
        assert_eq!(
            (gone.status, gone.location.as_str()),
            (StatusCode::SEE_OTHER, "/connexion?expiree=1")
        );

        // Expired session.
        sync(|| {
            s.db.connect()
                .execute(
                    "UPDATE sessions SET expires_at = $1",
                    &[jiff::Timestamp::UNIX_EPOCH.into()],
                )
                .unwrap()
        });
        let expired = get(&s.state, "/espace", Some(admin));
        assert_eq!(expired.location, "/connexion?expiree=1");
        let page = get(&s.state, "/connexion?expiree=1", None);
        assert!(page.body.contains("Votre session a expiré"));
        let _ = admin_csrf;
    }
}

#[test]
fn refusals_leave_nothing_written() {
    for db in sync(testing::all) {
        let s = setup(db);
        let id = apply_and_accept(&s);
        let (psy2, psy2_csrf) = (&s.psy2.0, &s.psy2.1);
        // Another psychologist changes the id in the URL.
        let a = get(&s.state, &format!("/espace/candidatures/{id}"), Some(psy2));
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        assert!(a.body.contains("n’est pas la vôtre"));
        let a = get(
            &s.state,
            &format!("/espace/candidatures/{id}/pieces/1"),
            Some(psy2),
        );
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        // Oversized and non-PDF uploads.
        let big = {
            let mut b = pdf();
            b.resize(5 * 1024 * 1024 + 1, b'x');
            b
        };
        let a = upload(&s.state, psy2, psy2_csrf, "diplome", &big);
        assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.body);
        assert!(a.body.contains("5 Mo"));
        let a = upload(&s.state, psy2, psy2_csrf, "diplome", b"GIF89a not a pdf");
        assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(a.body.contains("PDF"));
        // Forged CSRF token on an upload and on a form.
        let a = upload(&s.state, psy2, "forged", "diplome", &pdf());
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        let a = post_form(
            &s.state,
            "/espace/candidature",
            Some(psy2),
            &[("_csrf", "forged"), ("nom", "X")],
        );
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        assert!(a.body.contains("jeton de sécurité"));
        // Bad form input.
        let a = post_form(
            &s.state,
            "/espace/candidature",
            Some(psy2),
            &[("_csrf", psy2_csrf), ("rpps", "12345678901")],
        );
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        let a = post_form(
            &s.state,
            "/espace/candidature",
            Some(psy2),
            &[
                ("_csrf", psy2_csrf),
                ("adresse1", "1 rue X"),
                ("cp1", "00000"),
            ],
        );
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            a.body
                .contains("le code postal « 00000 » n’est celui d’aucune commune française")
        );
        // A commune that is not the postal code's: refused on the postal code, nothing saved.
        let a = post_form(
            &s.state,
            "/espace/candidature",
            Some(psy2),
            &[
                ("_csrf", psy2_csrf),
                ("adresse1", "1 rue X"),
                ("cp1", "75001"),
                ("commune1", "Lyon"),
            ],
        );
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            a.body.contains("le code postal 75001 est celui de")
                && a.body.contains("pas de « Lyon »"),
            "{}",
            a.body
        );
        // Every error of the form at once, each on its field, what was typed kept.
        let a = post_form(
            &s.state,
            "/espace/candidature",
            Some(psy2),
            &[
                ("_csrf", psy2_csrf),
                ("rpps", "12345678901"),
                ("experience", "trois ans"),
                ("adresse1", "1 rue X"),
                ("cp1", "00000"),
            ],
        );
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        for message in [
            "RPPS :",
            "Expérience « trois ans » illisible",
            "le code postal « 00000 » n’est celui d’aucune commune française",
        ] {
            assert!(a.body.contains(message), "{message}: {}", a.body);
        }
        assert_eq!(
            a.body.matches("aria-invalid=\"true\"").count(),
            3,
            "{}",
            a.body
        );
        for id in ["rpps-erreur", "experience-erreur", "cp1-erreur"] {
            assert!(
                a.body.contains(&format!("aria-describedby=\"{id}\"")),
                "{id}"
            );
        }
        assert!(a.body.contains("value=\"1 rue X\""), "typed values kept");
        assert!(a.body.contains("notice-error"), "{}", a.body);
        // An analyst reaching another région.
        let (ars, _) = s.session(Role::AnalysteArs);
        assert_eq!(
            get(&s.state, "/espace/ars/11", Some(ars)).status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            get(&s.state, "/espace/ars/84", Some(ars)).status,
            StatusCode::SEE_OTHER
        );
        // Nothing of psy2 was written.
        let (apps, docs) = sync(|| {
            let mut conn = s.db.connect();
            (
                conn.query_one("SELECT COUNT(*) FROM applications", &[])
                    .unwrap()
                    .int(0)
                    .unwrap(),
                conn.query_one("SELECT COUNT(*) FROM application_documents", &[])
                    .unwrap()
                    .int(0)
                    .unwrap(),
            )
        });
        assert_eq!((apps, docs), (1, 2), "{}", s.db.label);
    }
}

/// Every route × every role (and the anonymous public): allowed or refused as SPEC §2 says.
#[test]
fn route_role_matrix_on_both_databases() {
    use Role::*;
    for db in sync(testing::all) {
        let s = setup(db);
        let id = apply_and_accept(&s);
        let r = rpps();
        let routes: Vec<(&str, String, Vec<Role>)> = vec![
            ("GET", "/espace".into(), Role::ALL.to_vec()),
            ("GET", "/espace/candidature".into(), vec![Psychologue]),
            ("POST", "/espace/candidature".into(), vec![Psychologue]),
            (
                "POST",
                "/espace/candidature/depot".into(),
                vec![Psychologue],
            ),
            (
                "GET",
                format!("/espace/candidatures/{id}"),
                vec![Psychologue, Expert, AgentCpam],
            ),
            (
                "GET",
                format!("/espace/candidatures/{id}/pieces/1"),
                vec![Psychologue, Expert, AgentCpam],
            ),
            (
                "POST",
                format!("/espace/candidatures/{id}/decision"),
                vec![Expert],
            ),
            ("GET", "/espace/commission".into(), vec![Expert]),
            ("GET", "/espace/cpam".into(), vec![AgentCpam]),
            ("GET", format!("/espace/cpam/{r}"), vec![AgentCpam]),
            (
                "POST",
                format!("/espace/cpam/{r}/signature"),
                vec![AgentCpam],
            ),
            (
                "POST",
                format!("/espace/cpam/{r}/suspension"),
                vec![AgentCpam],
            ),
            (
                "POST",
                format!("/espace/cpam/{r}/exclusion"),
                vec![AgentCpam],
            ),
            ("GET", "/espace/convention".into(), vec![Psychologue]),
            (
                "POST",
                "/espace/convention/retrait".into(),
                vec![Psychologue],
            ),
            ("GET", "/espace/admin/comptes".into(), vec![Admin]),
            ("POST", "/espace/admin/comptes".into(), vec![Admin]),
            ("GET", "/espace/admin/journal".into(), vec![Admin]),
            (
                "POST",
                "/espace/admin/comptes/999/desactivation".into(),
                vec![Admin],
            ),
            (
                "POST",
                "/espace/admin/comptes/999/reactivation".into(),
                vec![Admin],
            ),
            (
                "POST",
                "/espace/admin/comptes/999/reinitialisation".into(),
                vec![Admin],
            ),
            ("GET", "/espace/mot-de-passe".into(), Role::ALL.to_vec()),
            ("POST", "/espace/mot-de-passe".into(), Role::ALL.to_vec()),
            ("GET", "/espace/ars/84".into(), vec![AnalysteArs]),
            ("GET", "/espace/seances".into(), vec![Psychologue]),
            ("POST", "/espace/seances".into(), vec![Psychologue]),
            (
                "GET",
                "/espace/seances/EN-INCONNU".into(),
                vec![Psychologue, AgentCpam, Patient],
            ),
            ("GET", "/espace/mes-seances".into(), vec![Psychologue]),
            ("GET", "/espace/mon-suivi".into(), vec![Patient]),
            (
                "GET",
                "/espace/seances/EN-INCONNU/feuille.pdf".into(),
                vec![Psychologue, AgentCpam, Patient],
            ),
            (
                "GET",
                "/espace/seances/EN-INCONNU/decompte.pdf".into(),
                vec![Psychologue, AgentCpam, Patient],
            ),
            (
                "GET",
                "/espace/mes-seances/releve.pdf".into(),
                vec![Psychologue],
            ),
            ("GET", "/espace/cpam/rejets".into(), vec![AgentCpam]),
            ("GET", "/espace/cpam/controles".into(), vec![AgentCpam]),
            ("GET", "/espace/cpam/lots".into(), vec![AgentCpam]),
            ("POST", "/espace/cpam/lots".into(), vec![AgentCpam]),
            (
                "GET",
                "/espace/cpam/lots/999/decisions.csv".into(),
                vec![AgentCpam],
            ),
            (
                "GET",
                "/espace/cpam/lots/999/erreurs.csv".into(),
                vec![AgentCpam],
            ),
            (
                "GET",
                "/espace/cpam/lots/travaux/999".into(),
                vec![AgentCpam],
            ),
            (
                "POST",
                "/espace/seances/EN-INCONNU/annulation".into(),
                vec![Psychologue, AgentCpam],
            ),
            ("GET", "/espace/adressages".into(), vec![Medecin, SageFemme]),
            (
                "POST",
                "/espace/adressages".into(),
                vec![Medecin, SageFemme],
            ),
            (
                "GET",
                "/espace/adressages/K7QM4TXZ/pdf".into(),
                vec![Medecin, SageFemme],
            ),
            (
                "GET",
                "/espace/adressages/verifier".into(),
                vec![Psychologue],
            ),
            (
                "POST",
                "/espace/adressages/verifier".into(),
                vec![Psychologue],
            ),
        ];
        for (method, path, allowed) in &routes {
            // The public is sent to the sign-in page.
            let a = if *method == "GET" {
                get(&s.state, path, None)
            } else {
                post_form(&s.state, path, None, &[])
            };
            assert_eq!(
                (a.status, a.location.as_str()),
                (StatusCode::SEE_OTHER, "/connexion"),
                "public {method} {path}"
            );
            for role in Role::ALL {
                let (cookie, csrf) = s.session(role);
                let a = if *method == "GET" {
                    get(&s.state, path, Some(cookie))
                } else {
                    post_form(&s.state, path, Some(cookie), &[("_csrf", csrf)])
                };
                let refused =
                    a.status == StatusCode::FORBIDDEN || a.location.starts_with("/connexion");
                assert_eq!(
                    !refused,
                    allowed.contains(&role),
                    "{} {method} {path} as {role:?}: {} {}",
                    s.db.label,
                    a.status,
                    a.body.chars().take(300).collect::<String>()
                );
                if refused {
                    assert!(
                        a.body.contains("Accès refusé"),
                        "French refusal for {role:?} on {path}"
                    );
                }
            }
        }
        // Public pages stay public.
        for path in ["/", "/recherche", "/statistiques", "/connexion"] {
            assert_eq!(get(&s.state, path, None).status, StatusCode::OK, "{path}");
        }
        territories(&s, id);
    }
}

/// The agents' routes × their territory (issue 11): the application (main practice in the
/// Rhône, 69) and a session of a patient living in Marseille (13) with a psychologist
/// conventioned by the CPAM of the Rhône. A national agent and the agent of the CPAM concerned
/// are let in; an agent of another département gets 403 `hors_territoire` on every route,
/// pages and JSON API, and reads nothing.
fn territories(s: &Setup, application: i64) {
    let label = s.db.label;
    let r = rpps();
    let psy_rpps = fixtures::rpps("1000000043");
    let patient = fixtures::nir("1800113055006");
    let (psy, agents) = sync(|| {
        let mut conn = s.db.connect();
        let psy = Account::new(Role::Psychologue, "psy.seances@example.org").signed_in(&mut conn);
        fixtures::conventioned_psychologist(&mut conn, psy.0, &psy_rpps);
        fixtures::beneficiary(&mut conn, &patient, "1980-01-15");
        conn.execute(
            "UPDATE beneficiaries SET commune_insee = '13055' WHERE nir = $1",
            &[patient.as_str().into()],
        )
        .unwrap();
        let agents: Vec<(Option<&str>, (String, String))> =
            [None, Some("69"), Some("13"), Some("33")]
                .into_iter()
                .map(|t| {
                    let email = format!("agent.{}@example.org", t.unwrap_or("national"));
                    let (_, c, x) = Account::new(Role::AgentCpam, &email)
                        .territory(t)
                        .signed_in(&mut conn);
                    (t, (c, x))
                })
                .collect();
        (psy, agents)
    });
    let form = [
        ("_csrf", psy.2.as_str()),
        ("etape", "enregistrer"),
        ("nir", &patient),
        ("naissance", "1980-01-15"),
        ("date", "2026-11-20"),
        ("acte", "EEP"),
        ("contexte", "maladie"),
        ("consentement", "1"),
    ];
    let a = post_form(&s.state, "/espace/seances", Some(&psy.1), &form);
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{label}: {}", a.body);
    let session = a.location.trim_start_matches("/espace/seances/").to_owned();
    // The same session again: rejected (DOUBLON), for the list of rejected claims.
    let again = post_form(&s.state, "/espace/seances", Some(&psy.1), &form);
    assert_eq!(
        again.status,
        StatusCode::SEE_OTHER,
        "{label}: {}",
        again.body
    );
    // (method, path, territories let in); `None` is the national agent, always let in.
    let routes: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "GET",
            format!("/espace/candidatures/{application}"),
            vec!["69"],
        ),
        (
            "GET",
            format!("/espace/candidatures/{application}/pieces/1"),
            vec!["69"],
        ),
        ("GET", format!("/espace/cpam/{r}"), vec!["69"]),
        ("GET", format!("/espace/cpam/{psy_rpps}"), vec!["69"]),
        (
            "GET",
            format!("/espace/seances/{session}"),
            vec!["69", "13"],
        ),
        (
            "GET",
            format!("/espace/seances/{session}/feuille.pdf"),
            vec!["69", "13"],
        ),
        (
            "GET",
            format!("/espace/seances/{session}/decompte.pdf"),
            vec!["69", "13"],
        ),
        ("GET", format!("/api/seances/{session}"), vec!["69", "13"]),
        // Batches span départements: national agents only.
        ("GET", "/espace/cpam/lots".into(), vec![]),
    ];
    for (method, path, allowed) in &routes {
        for (t, (cookie, _)) in &agents {
            let a = get(&s.state, path, Some(cookie));
            let let_in = t.is_none_or(|t| allowed.contains(&t));
            assert_eq!(
                a.status != StatusCode::FORBIDDEN,
                let_in,
                "{label} {method} {path} as agent {t:?}: {} {}",
                a.status,
                a.body.chars().take(300).collect::<String>()
            );
            if !let_in {
                assert!(
                    !a.body.contains(&patient) && !a.body.contains("LEFÈVRE"),
                    "{path}"
                );
            } else {
                assert!(
                    a.status.is_success(),
                    "{label} {path} as {t:?}: {}",
                    a.status
                );
            }
        }
    }
    // Rejected claims: the agent of the Gironde sees none of these; the patient's CPAM does.
    let rejects = |t: &str| {
        let (c, _) = &agents.iter().find(|(x, _)| *x == Some(t)).unwrap().1;
        get(&s.state, "/api/cpam/rejets", Some(c)).json()
    };
    let total = |v: &serde_json::Value| v["total"].as_i64();
    assert_eq!(total(&rejects("33")), Some(0), "{label}");
    assert_eq!(
        total(&rejects("13")),
        Some(1),
        "{label}: the patient's CPAM"
    );
    assert_eq!(
        total(&rejects("69")),
        Some(1),
        "{label}: the psychologist's CPAM"
    );
    // Acting: cancelling the session is refused to the agent of the Gironde, nothing changed.
    let (c33, x33) = &agents[3].1;
    let a = post_form(
        &s.state,
        &format!("/espace/seances/{session}/annulation"),
        Some(c33),
        &[("_csrf", x33.as_str()), ("motif", "saisie en double")],
    );
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{label}: {}", a.body);
    assert_eq!(
        fixtures::count(
            &s.db,
            "SELECT COUNT(*) FROM claims WHERE status = 'cancelled'"
        ),
        0
    );
    // Managing the psychologist: the agent of the Gironde cannot suspend them.
    let a = post_form(
        &s.state,
        &format!("/espace/cpam/{psy_rpps}/suspension"),
        Some(c33),
        &[
            ("_csrf", x33.as_str()),
            ("du", "2026-12-01"),
            ("au", "2026-12-31"),
            ("motif", "contrôle"),
        ],
    );
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{label}: {}", a.body);
    assert_eq!(
        fixtures::count(&s.db, "SELECT COUNT(*) FROM suspensions"),
        0
    );
}

/// Takeover of an RPPS (issue 11): a second account applies with the RPPS another account
/// already holds. The automatic checks say so to the applicant and to the expert, the expert
/// cannot accept it, the database refuses a second accepted application for that RPPS, and the
/// second account records nothing under it.
#[test]
fn an_rpps_bound_to_an_account_cannot_be_taken_over_on_both_databases() {
    for db in testing::all() {
        let label = db.label;
        let s = setup(db);
        apply_and_accept(&s);
        let (psy2, csrf2) = (&s.psy2.0, &s.psy2.1);
        let a = post_form(
            &s.state,
            "/espace/candidature",
            Some(psy2),
            &[
                ("_csrf", csrf2),
                ("nom", "Lefevre"),
                ("prenom", "HELENE"),
                ("rpps", &rpps()),
                ("diplome", "Master de psychologie clinique, Lyon 2, 2015"),
                ("experience", "4,5"),
                ("adresse1", "3 rue de la République"),
                ("cp1", "69002"),
                ("commune1", ""),
                ("telephone", "04 78 00 00 01"),
            ],
        );
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{label}: {}", a.body);
        for kind in ["diplome", "experience"] {
            let a = upload(&s.state, psy2, csrf2, kind, &pdf());
            assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        }
        let own = get(&s.state, "/espace/candidature", Some(psy2));
        assert!(
            own.body
                .contains("Ce RPPS est déjà rattaché à un autre compte"),
            "{label}: the applicant is told: {}",
            own.body
        );
        let a = post_form(
            &s.state,
            "/espace/candidature/depot",
            Some(psy2),
            &[("_csrf", csrf2)],
        );
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let id: i64 =
            s.db.connect()
                .query_one(
                    "SELECT application_id FROM applications WHERE status = 'deposee'",
                    &[],
                )
                .unwrap()
                .int(0)
                .unwrap();
        let (expert, _) = s.session(Role::Expert);
        let v = get(
            &s.state,
            &format!("/espace/candidatures/{id}"),
            Some(expert),
        );
        assert!(
            v.body
                .contains("Ce RPPS est déjà rattaché à un autre compte"),
            "{label}: the expert is told"
        );
        let a = accept(&s, id);
        assert_eq!(a.status, StatusCode::CONFLICT, "{label}: {}", a.body);
        assert!(
            a.body.contains("déjà rattaché à un autre compte"),
            "{}",
            a.body
        );
        let accepted = fixtures::count(
            &s.db,
            &format!(
                "SELECT COUNT(*) FROM applications WHERE status = 'acceptee' AND rpps = '{}'",
                rpps()
            ),
        );
        assert_eq!(accepted, 1, "{label}");
        // Even written by hand, a second accepted application for that RPPS is refused.
        let forced = s.db.connect().execute(
            "UPDATE applications SET status = 'acceptee' WHERE application_id = $1",
            &[id.into()],
        );
        assert!(
            forced.is_err(),
            "{label}: the database lets a second account hold the RPPS"
        );
        // The second account records no session under that RPPS.
        let a = get(&s.state, "/espace/seances", Some(psy2));
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{label}: {}", a.body);
    }
}

/// Issue 16: the hourly expiry runs once across the fleet: of two servers on one database,
/// the first to find it due runs it, the other skips it until the period is over.
#[test]
fn the_expiry_runs_once_across_two_servers() {
    for db in testing::all() {
        let label = db.label;
        let (a, b) = (
            fixtures::state_on(&db, TODAY),
            fixtures::state_on(&db, TODAY),
        );
        assert!(
            msp_web::pages::enrolment::expire_if_due(&a)
                .unwrap()
                .is_some(),
            "{label}"
        );
        assert!(
            msp_web::pages::enrolment::expire_if_due(&b)
                .unwrap()
                .is_none(),
            "{label}: already run by the other server"
        );
        assert!(
            msp_web::pages::enrolment::expire_if_due(&a)
                .unwrap()
                .is_none()
        );
        let owner = db
            .connect()
            .query_one(
                "SELECT owner FROM scheduled_runs WHERE task = 'expiration des candidatures'",
                &[],
            )
            .unwrap()
            .string(0)
            .unwrap();
        assert_eq!(owner, a.jobs().server_id(), "{label}");
    }
}
