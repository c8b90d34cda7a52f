//! « Ma fiche » (issue 12) on both engines: the psychologist edits her own card through the API
//! and the page (preview first), confirms availability in one click, bad input names its field
//! and saves nothing, nobody else (but a CPAM agent of the territory, audited) changes it; the
//! reminder goes through a real SMTP conversation with a listener of this test, and its link
//! confirms the availability once.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::fixtures::{self, Account, count};
use common::http::{self, get, post_form, send};
use msp_domain::Role;
use msp_web::Options;
use msp_web::services::reminders::{SmtpConfig, SmtpTls, remind_if_due, send_due_reminders};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};

fn put_json(
    state: &msp_web::AppState,
    uri: &str,
    cookie: Option<&str>,
    body: &Value,
) -> http::Answer {
    let mut b = Request::put(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, format!("msp_session={c}"));
    }
    send(state, b.body(Body::from(body.to_string())).unwrap())
}

fn card() -> Value {
    json!({
        "adresses": [
            { "ligne": "2 place Bellecour", "code_postal": "69002", "insee": "69382" },
            { "ligne": "3 rue Victor Hugo", "code_postal": "69100", "commune": "Villeurbanne" }
        ],
        "telephone": { "valeur": "04 78 00 00 00", "public": true },
        "email": { "valeur": "cachee@exemple.fr", "public": false },
        "langues": ["en", "lsf"],
        "public": "adultes_adolescents_enfants",
        "teleconsultation": true
    })
}

/// A tiny SMTP server: accepts one message and returns it (the DATA part).
fn smtp_listener() -> (u16, std::thread::JoinHandle<String>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        w.write_all(b"220 test ESMTP\r\n").unwrap();
        let mut data = String::new();
        let mut in_data = false;
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            if in_data {
                if line == ".\r\n" {
                    in_data = false;
                    w.write_all(b"250 OK\r\n").unwrap();
                } else {
                    data.push_str(&line);
                }
                continue;
            }
            let cmd = line.to_ascii_uppercase();
            if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                w.write_all(b"250-test\r\n250 8BITMIME\r\n").unwrap();
            } else if cmd.starts_with("DATA") {
                in_data = true;
                w.write_all(b"354 go\r\n").unwrap();
            } else if cmd.starts_with("QUIT") {
                w.write_all(b"221 bye\r\n").unwrap();
                break;
            } else {
                w.write_all(b"250 OK\r\n").unwrap();
            }
        }
        data
    });
    (port, h)
}

/// The body of a message as sent (quoted-printable or base64 undone).
fn decoded(data: &str) -> String {
    let (headers, body) = data.split_once("\r\n\r\n").unwrap();
    if headers
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: base64")
    {
        use std::io::Read;
        let clean: String = body.split_whitespace().collect();
        let bytes = base64_decode(&clean);
        let mut s = String::new();
        bytes.as_slice().read_to_string(&mut s).unwrap();
        s
    } else if headers.to_ascii_lowercase().contains("quoted-printable") {
        let joined = body.replace("=\r\n", "");
        let mut out = Vec::new();
        let b = joined.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'=' && i + 2 < b.len() {
                out.push(
                    u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap(),
                );
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    } else {
        body.to_owned()
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = table.iter().position(|t| *t == c).unwrap() as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn the_psychologist_keeps_her_card_fresh_on_every_engine() {
    for db in msp_store::testing::all() {
        let label = db.label;
        let (port, smtp) = smtp_listener();
        let (own, other, cookie, lyon_agent_cookie, paris_agent_cookie, admin_cookie);
        {
            let mut conn = db.connect();
            let (id, c, _) = fixtures::account(&mut conn, Role::Psychologue, "psy@exemple.fr");
            own = fixtures::rpps("1000000042");
            fixtures::conventioned_psychologist(&mut conn, id, &own);
            cookie = c;
            let (id2, _, _) = fixtures::account(&mut conn, Role::Psychologue, "autre@exemple.fr");
            other = fixtures::rpps("1000000043");
            fixtures::conventioned_psychologist(&mut conn, id2, &other);
            lyon_agent_cookie = Account::new(Role::AgentCpam, "cpam69@exemple.fr")
                .territory(Some("69"))
                .signed_in(&mut conn)
                .1;
            paris_agent_cookie = Account::new(Role::AgentCpam, "cpam75@exemple.fr")
                .territory(Some("75"))
                .signed_in(&mut conn)
                .1;
            admin_cookie = fixtures::account(&mut conn, Role::Admin, "admin@exemple.fr").1;
        }
        let today = common::TODAY;
        let state = fixtures::state_with(
            &db,
            4,
            Options {
                today: Some(today),
                smtp: Some(SmtpConfig {
                    host: "127.0.0.1".into(),
                    port,
                    tls: SmtpTls::None,
                    credentials: None,
                    from: "Mon soutien psy <ne-pas-repondre@msp.test>".into(),
                }),
                public_url: Some("http://annuaire.test".into()),
                ..Default::default()
            },
        );
        let uri = format!("/api/psychologues/{own}");

        // Signed out: 401; another psychologist's card: 403.
        assert_eq!(
            put_json(&state, &uri, None, &card()).status,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );
        let a = put_json(
            &state,
            &format!("/api/psychologues/{other}"),
            Some(&cookie),
            &card(),
        );
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{label}: {}", a.body);
        assert_eq!(a.json()["code"], "fiche_d_autrui");

        // Bad input: the field is named, nothing is saved.
        let cards_before = count(&db, "SELECT COUNT(*) FROM directory_cards");
        for (change, champ) in [
            (json!({"langues": ["klingon"]}), "langues[0]"),
            (json!({"public": "tous"}), "public"),
            (
                json!({"adresses": [card()["adresses"][0], card()["adresses"][0], card()["adresses"][0]]}),
                "adresses",
            ),
            (
                json!({"adresses": [{ "ligne": "1 Unter den Linden", "code_postal": "10117", "commune": "Berlin" }]}),
                "adresses[0].code_postal",
            ),
            (
                json!({"adresses": [{ "ligne": "1 rue X", "code_postal": "69003", "insee": "69382" }]}),
                "adresses[0].code_postal",
            ),
            (
                json!({"accepte_nouveaux_patients": true, "delai": "demain"}),
                "delai",
            ),
        ] {
            let mut body = card();
            for (k, v) in change.as_object().unwrap() {
                body[k] = v.clone();
            }
            let a = put_json(&state, &uri, Some(&cookie), &body);
            assert_eq!(
                a.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{label} {champ}: {}",
                a.body
            );
            let j = a.json();
            let fields: Vec<&str> = j["erreurs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["champ"].as_str().unwrap())
                .collect();
            assert!(
                fields.contains(&champ),
                "{label}: {champ} not in {fields:?}"
            );
        }
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM directory_cards"),
            cards_before,
            "{label}"
        );

        // Her own card: saved, listed, geocoded; the hidden e-mail stays hidden.
        let a = put_json(&state, &uri, Some(&cookie), &card());
        assert_eq!(a.status, StatusCode::OK, "{label}: {}", a.body);
        let j = a.json();
        assert_eq!(j["adresses"][1]["commune"], "Villeurbanne", "{label}");
        assert!(j["email"].is_null());
        assert_eq!(
            j["mise_a_jour_le"].as_str().unwrap().len(),
            10,
            "{label}: {j}"
        );
        let page = get(&state, &format!("/psychologues/{own}"), None);
        assert!(page.body.contains("Fiche mise à jour le"), "{label}");

        // An agent of another département cannot; one of the Rhône can, and it is audited.
        let a = put_json(&state, &uri, Some(&paris_agent_cookie), &card());
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{label}: {}", a.body);
        let mut by_agent = card();
        by_agent["structure"] = "Maison de santé des Pentes".into();
        let a = put_json(&state, &uri, Some(&lyon_agent_cookie), &by_agent);
        assert_eq!(a.status, StatusCode::OK, "{label}: {}", a.body);
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'fiche' AND actor LIKE 'cpam69%'"
            ),
            1,
            "{label}"
        );

        // Availability in one click through the API; a delay not in the list is refused.
        let avail = format!("{uri}/disponibilite");
        let a = http::post_json(
            &state,
            &avail,
            Some(&cookie),
            json!({"accepte_nouveaux_patients": true, "delai": "bientot"}),
        );
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert_eq!(a.json()["erreurs"][0]["champ"], "delai");
        let a = http::post_json(
            &state,
            &avail,
            Some(&cookie),
            json!({"accepte_nouveaux_patients": true, "delai": "semaine"}),
        );
        assert_eq!(a.status, StatusCode::OK, "{label}: {}", a.body);
        assert_eq!(a.json()["disponibilite"]["etat"], "oui");
        assert_eq!(a.json()["disponibilite"]["delai"]["code"], "semaine");
        let search = get(
            &state,
            "/api/psychologues?q=Lyon&rayon=10&disponible=1&par_page=100",
            None,
        )
        .json();
        assert!(
            search["resultats"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["rpps"] == own.as_str()),
            "{label}"
        );

        // FHIR: the confirmation moved meta.lastUpdated; `_lastUpdated` finds what changed since.
        let fhir = |q: &str| get(&state, &format!("/fhir/{q}"), None);
        let role = fhir(&format!("PractitionerRole/role-{own}")).json();
        assert!(
            role["availabilityExceptions"]
                .as_str()
                .unwrap()
                .starts_with("Accepte de nouveaux patients, premier rendez-vous sous une semaine"),
            "{label}: {role}"
        );
        let last = role["meta"]["lastUpdated"].as_str().unwrap().to_owned();
        let ids = |q: &str| -> Vec<String> {
            let b = fhir(q).json();
            b["entry"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let since = |prefix: &str| format!("_lastUpdated={prefix}{}", last.replace('+', "%2B"));
        assert!(
            ids(&format!("Practitioner?{}", since("ge"))).contains(&own.to_string()),
            "{label}"
        );
        assert!(
            !ids(&format!("Practitioner?{}", since("gt"))).contains(&own.to_string()),
            "{label}"
        );
        let locations = ids(&format!("Location?{}&{}", since("ge"), since("le")));
        for n in [1, 2] {
            assert!(locations.contains(&format!("loc-{own}-{n}")), "{label}");
        }
        assert!(
            !ids(&format!("PractitionerRole?{}", since("lt"))).contains(&format!("role-{own}")),
            "{label}"
        );
        let bad = fhir("Practitioner?_lastUpdated=hier");
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{label}");
        assert!(bad.body.contains("OperationOutcome") && bad.body.contains("_lastUpdated"));
        let capability = fhir("metadata").body;
        assert!(
            capability.contains("\"_lastUpdated\"")
                && capability.contains("availabilityExceptions"),
            "{label}"
        );

        // The page: preview saves nothing; the one-click form confirms.
        let page = get(&state, "/espace/fiche", Some(&cookie));
        assert_eq!(page.status, StatusCode::OK, "{label}");
        assert!(
            page.body.contains("Votre fiche est publique aujourd’hui"),
            "{label}"
        );
        let csrf = page
            .body
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let preview = post_form(
            &state,
            "/espace/fiche",
            Some(&cookie),
            &[
                ("_csrf", &csrf),
                ("adresse1", "8 rue Nouvelle"),
                ("cp1", "69002"),
                ("public", "adultes"),
                ("action", "apercu"),
            ],
        );
        assert_eq!(preview.status, StatusCode::OK, "{label}: {}", preview.body);
        assert!(
            preview.body.contains("Aperçu de votre fiche publique")
                && preview.body.contains("8 rue Nouvelle")
        );
        assert!(
            !get(&state, &format!("/psychologues/{own}"), None)
                .body
                .contains("8 rue Nouvelle"),
            "{label}"
        );
        let a = post_form(
            &state,
            "/espace/fiche/disponibilite",
            Some(&cookie),
            &[("_csrf", &csrf), ("accepte", "non"), ("delai", "")],
        );
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{label}: {}", a.body);
        assert_eq!(
            get(&state, &format!("/api/psychologues/{own}"), None).json()["disponibilite"]["etat"],
            "non"
        );

        // Day 21 without confirmation: one reminder through SMTP, with the links.
        let later = msp_web::AppState::new(
            msp_store::open_pool(&db.url, 2).unwrap(),
            Options {
                today: Some(today + jiff::Span::new().days(21)),
                ..state.options().clone()
            },
        )
        .unwrap();
        // Scheduled once per period across the servers: the first server to look sends them,
        // the other (the same database) finds the period taken.
        let run = remind_if_due(&later, jiff::Timestamp::now())
            .unwrap()
            .expect("due on the first server");
        assert!(
            run.sent.iter().any(|r| r.to_string() == own),
            "{label}: {run:?}"
        );
        assert!(
            remind_if_due(&state, jiff::Timestamp::now())
                .unwrap()
                .is_none(),
            "{label}: the second server sends nothing within the period"
        );
        let message = decoded(&smtp.join().unwrap());
        assert!(
            message.contains("acceptez-vous de nouveaux patients")
                || message.contains("Acceptez-vous de nouveaux patients"),
            "{message}"
        );
        // Once only.
        let again = send_due_reminders(&later, jiff::Timestamp::now()).unwrap();
        assert!(!again.sent.iter().any(|r| r.to_string() == own), "{label}");
        let link = message
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("http://annuaire.test/disponibilite/"))
            .unwrap()
            .trim_start_matches("http://annuaire.test")
            .to_owned();
        // A link of hers cannot change another's card.
        let token = link.rsplit('/').next().unwrap();
        let forged = format!("/disponibilite/{other}/{token}");
        let a = http::post_body(
            &later,
            &forged,
            None,
            "application/x-www-form-urlencoded",
            "",
        );
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{label}");
        // Followed without signing in: the card says « oui, sous une semaine » confirmed today.
        assert_eq!(get(&later, &link, None).status, StatusCode::OK, "{label}");
        let a = http::post_body(&later, &link, None, "application/x-www-form-urlencoded", "");
        assert_eq!(a.status, StatusCode::OK, "{label}: {}", a.body);
        assert!(a.body.contains("Disponibilité confirmée"));
        let j = get(&later, &format!("/api/psychologues/{own}"), None).json();
        assert_eq!(j["disponibilite"]["etat"], "oui", "{label}: {j}");
        assert_eq!(
            j["disponibilite"]["confirmee_le"],
            (today + jiff::Span::new().days(21)).to_string()
        );
        // Used: refused, the card unchanged.
        let a = http::post_body(&later, &link, None, "application/x-www-form-urlencoded", "");
        assert_eq!(a.status, StatusCode::CONFLICT, "{label}");
        // The admin sees it.
        let page = get(&later, "/espace/admin/rappels", Some(&admin_cookie));
        assert!(
            page.body.contains("psy@exemple.fr") && page.body.contains("envoyé"),
            "{label}"
        );
    }
}
