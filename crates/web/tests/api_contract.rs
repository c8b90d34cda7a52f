//! The JSON API's contract, read from the served OpenAPI document: every documented operation
//! is called anonymously and with the session of each role, with a valid-looking body, a
//! malformed body and a wrong content type; every error answer must be the one problem format
//! (`application/problem+json`: `type`, `title`, `status` equal to the HTTP status, a stable
//! `code`, a French `detail`, the `request_id` echoed in `X-Request-Id`), and none may be a
//! server error. Both engines.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::fixtures::{self, Account};
use common::{TODAY, demo_app_on, http::Answer};
use msp_domain::Role;
use msp_store::testing;
use serde_json::Value;

fn check_error(a: &Answer, what: &str) {
    assert!(
        !a.status.is_server_error(),
        "{what}: server error {}",
        a.body
    );
    if a.status.is_success() || a.status.is_redirection() {
        return;
    }
    assert!(
        a.content_type.starts_with("application/problem+json"),
        "{what}: {} answered as « {} »: {}",
        a.status,
        a.content_type,
        a.body
    );
    let j: Value = serde_json::from_str(&a.body)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", a.body));
    assert_eq!(j["status"], a.status.as_u16(), "{what}: {j}");
    let code = j["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no code: {j}"));
    assert!(
        !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "{what}: code « {code} »"
    );
    assert_eq!(j["type"], format!("urn:msp:probleme:{code}"), "{what}");
    assert!(j["title"].as_str().is_some_and(|t| !t.is_empty()), "{what}");
    let detail = j["detail"].as_str().unwrap_or_default();
    assert!(detail.chars().count() > 10, "{what}: detail « {detail} »");
    assert!(
        !detail.contains("expected") && !detail.contains("invalid type"),
        "{what}: serde's English in « {detail} »"
    );
    assert!(
        j["request_id"].as_str().is_some_and(|r| !r.is_empty()),
        "{what}"
    );
}

fn call(
    state: &msp_web::AppState,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, format!("msp_session={c}"));
    }
    if let Some(ct) = content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    common::http::send(state, req.body(Body::from(body.to_owned())).unwrap())
}

#[test]
fn every_operation_answers_errors_in_the_one_problem_format() {
    for db in testing::all() {
        let app = demo_app_on(db);
        let mut conn = app.db.connect();
        let psy_rpps = fixtures::rpps("1000009999");
        let mut cookies: Vec<(String, Option<String>)> = vec![("anonyme".into(), None)];
        for (role, email) in [
            (Role::Psychologue, "psy@contrat.test"),
            (Role::Medecin, "medecin@contrat.test"),
            (Role::Patient, "patient@contrat.test"),
            (Role::AgentCpam, "cpam@contrat.test"),
            (Role::Admin, "admin@contrat.test"),
        ] {
            let (id, cookie, _) = Account::new(role, email).signed_in(&mut conn);
            if role == Role::Psychologue {
                fixtures::conventioned_psychologist(&mut conn, id, &psy_rpps);
            }
            cookies.push((format!("{role:?}"), Some(cookie)));
        }
        drop(conn);
        let doc = common::http::get(&app.state, "/api/openapi.json", None).json();
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            let uri = path
                .replace("{rpps}", &psy_rpps)
                .replace("{id}", "EN-INCONNU");
            for method in item.as_object().unwrap().keys() {
                let m = method.to_uppercase();
                if !["GET", "POST", "PUT", "DELETE", "PATCH"].contains(&m.as_str()) {
                    continue;
                }
                operations += 1;
                let with_body = m != "GET" && m != "DELETE";
                for (who, cookie) in &cookies {
                    let c = cookie.as_deref();
                    let what = |v: &str| format!("{} {m} {path} as {who}, {v}", app.db.label);
                    let a = call(&app.state, &m, &uri, c, Some("application/json"), "{}");
                    check_error(&a, &what("empty object"));
                    if with_body {
                        let a = call(
                            &app.state,
                            &m,
                            &uri,
                            c,
                            Some("application/json"),
                            "{\"nir\": ",
                        );
                        check_error(&a, &what("malformed JSON"));
                        assert!(
                            a.status.is_client_error(),
                            "{}: {}",
                            what("malformed"),
                            a.body
                        );
                        let a = call(&app.state, &m, &uri, c, Some("text/plain"), "nir=1");
                        check_error(&a, &what("text/plain"));
                        assert!(
                            a.status.is_client_error(),
                            "{}: {}",
                            what("text/plain"),
                            a.body
                        );
                        let a = call(&app.state, &m, &uri, c, None, "");
                        check_error(&a, &what("no body"));
                        let a = call(
                            &app.state,
                            &m,
                            &uri,
                            c,
                            Some("application/json"),
                            "{\"champ_que_personne_ne_connait\": 1}",
                        );
                        check_error(&a, &what("unknown field"));
                    }
                }
            }
        }
        assert!(operations >= 19, "{operations} operations documented");
        // Unknown addresses under /api are problems too, not pages.
        let a = call(&app.state, "GET", "/api/nulle-part", None, None, "");
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        check_error(&a, "unknown route");
        assert_eq!(a.json()["code"], "route_inconnue");
        let _ = TODAY;
    }
}

#[test]
fn the_request_id_is_echoed_and_quoted_in_problems() {
    let app = demo_app_on(testing::sqlite());
    let req = Request::get("/api/psychologues?q=Nulle-Part-Sur-Terre")
        .header("x-request-id", "essai-123")
        .body(Body::empty())
        .unwrap();
    let a = common::http::send(&app.state, req);
    assert!(a.status.is_client_error(), "{}", a.body);
    assert_eq!(a.json()["request_id"], "essai-123");
    // An id that is not a plain token is replaced, never echoed.
    let req = Request::get("/api/psychologues?q=Nulle-Part-Sur-Terre")
        .header("x-request-id", "<script>")
        .body(Body::empty())
        .unwrap();
    let a = common::http::send(&app.state, req);
    let id = a.json()["request_id"].as_str().unwrap().to_owned();
    assert_ne!(id, "<script>");
    assert_eq!(id.len(), 16);
}
