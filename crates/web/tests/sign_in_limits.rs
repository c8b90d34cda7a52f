//! Brute force without lock-out and keyed patient references (issue 11), on SQLite and
//! PostgreSQL: failed sign-ins are held back per (account, client address) and per address
//! with growing delays, so an attacker from one address never locks the holder out from
//! another; the proxy's header tells the address only when the server is told to trust it.
//! Patient references are an HMAC under the server's secret.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::TODAY;
use common::fixtures::{Account, state_with};
use common::http::{Answer, send};
use msp_domain::Role;
use msp_store::testing::{self, TestDb};
use msp_web::{AppState, Options};
use serde_json::json;

const PASSWORD: &str = "correct-horse-battery-staple";
const HOLDER: &str = "agent@example.org";

fn state(db: &TestDb, trust_proxy: bool) -> AppState {
    state_with(
        db,
        4,
        Options {
            today: Some(TODAY),
            trust_proxy,
            ..Default::default()
        },
    )
}

fn holder(db: &TestDb) {
    let hash = msp_web::pages::auth::hash_password_blocking(PASSWORD).unwrap();
    Account::new(Role::AgentCpam, HOLDER)
        .password_hash(&hash)
        .create(&mut db.connect());
}

/// `POST /api/connexion` as sent through the proxy for `from`.
fn sign_in(state: &AppState, email: &str, password: &str, from: &str) -> Answer {
    let req = Request::post("/api/connexion")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-forwarded-for", format!("203.0.113.250, {from}"))
        .body(Body::from(
            json!({"email": email, "mot_de_passe": password}).to_string(),
        ))
        .unwrap();
    send(state, req)
}

/// The sign-in page's form, through the proxy for `from` (RFC 7239 `Forwarded`).
fn sign_in_page(state: &AppState, email: &str, password: &str, from: &str) -> Answer {
    let form =
        serde_urlencoded::to_string([("_csrf", "jeton"), ("email", email), ("password", password)])
            .unwrap();
    let req = Request::post("/connexion")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, "msp_csrf=jeton")
        .header("forwarded", format!("for=\"{from}\";proto=https"))
        .body(Body::from(form))
        .unwrap();
    send(state, req)
}

fn retry_after(a: &Answer) -> i64 {
    a.retry_after
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After missing: {} {}", a.status, a.body))
}

/// Lets every delay pass (as the clock would).
fn wait_out(db: &TestDb) {
    db.connect()
        .execute("UPDATE sign_in_throttle SET blocked_until = 0", &[])
        .unwrap();
}

#[test]
fn an_attacker_from_one_address_never_locks_the_holder_out_from_another_on_both_databases() {
    for db in testing::all() {
        let label = db.label;
        holder(&db);
        let state = state(&db, true);
        let attacker = "198.51.100.7";
        for n in 1..=msp_web::pages::auth::MAX_FAILURES {
            let a = sign_in(&state, HOLDER, "devine", attacker);
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{label}: failure {n}");
        }
        // The attacker is held back, with a French message and when to come back…
        let held = sign_in(&state, HOLDER, PASSWORD, attacker);
        assert!(
            held.problem(StatusCode::TOO_MANY_REQUESTS, "trop_de_tentatives")
                .contains("Réessayez dans "),
            "{label}: {}",
            held.body
        );
        assert!((20..=30).contains(&retry_after(&held)), "{label}");
        // … the holder, from another address, signs in at once, on the API and the page.
        let ok = sign_in(&state, HOLDER, PASSWORD, "192.0.2.10");
        assert_eq!(ok.status, StatusCode::OK, "{label}: {}", ok.body);
        let page = sign_in_page(&state, HOLDER, PASSWORD, "[2001:db8::1]:4711");
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{label}: {}", page.body);
        // The page answers the attacker the same way.
        let page = sign_in_page(&state, HOLDER, "devine", attacker);
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{label}");
        assert!(page.body.contains("Trop de tentatives"), "{}", page.body);
        assert!(page.retry_after.parse::<i64>().unwrap() > 0);
        // The table names neither the e-mail nor the addresses.
        let rows = db
            .connect()
            .query("SELECT bucket FROM sign_in_throttle", &[])
            .unwrap();
        for r in rows {
            let b = r.string(0).unwrap();
            assert!(!b.contains('@') && !b.contains("198.51"), "{b}");
        }
    }
}

#[test]
fn delays_grow_with_every_further_failure_on_both_databases() {
    for db in testing::all() {
        let label = db.label;
        holder(&db);
        let state = state(&db, true);
        let from = "198.51.100.8";
        for _ in 0..msp_web::pages::auth::MAX_FAILURES {
            sign_in(&state, HOLDER, "devine", from);
        }
        let mut delays = Vec::new();
        for _ in 0..4 {
            delays.push(retry_after(&sign_in(&state, HOLDER, "devine", from)));
            wait_out(&db);
            // Heard again once the delay is over: another failure, a longer delay.
            let a = sign_in(&state, HOLDER, "devine", from);
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{label}");
        }
        // The seconds the slow password checks of a debug build took are counted.
        for (got, want) in delays.iter().zip([30, 60, 120, 240]) {
            assert!((want - 10..=want).contains(got), "{label}: {delays:?}");
        }
        // The right password, once heard, forgets this account's failures from there.
        wait_out(&db);
        assert_eq!(
            sign_in(&state, HOLDER, PASSWORD, from).status,
            StatusCode::OK
        );
        for _ in 1..msp_web::pages::auth::MAX_FAILURES {
            sign_in(&state, HOLDER, "devine", from);
        }
        assert_eq!(
            sign_in(&state, HOLDER, PASSWORD, from).status,
            StatusCode::OK,
            "{label}: counted from zero again"
        );
    }
}

#[test]
fn one_address_trying_many_accounts_is_held_back_alone_on_both_databases() {
    for db in testing::all() {
        let label = db.label;
        holder(&db);
        let state = state(&db, true);
        let from = "198.51.100.9";
        for n in 0..20 {
            let a = sign_in(&state, &format!("inconnu{n}@example.org"), "devine", from);
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{label}: {n}");
        }
        let held = sign_in(&state, "encore@example.org", "devine", from);
        assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS, "{label}");
        assert!((20..=30).contains(&retry_after(&held)), "{label}");
        assert_eq!(
            sign_in(&state, HOLDER, PASSWORD, "192.0.2.11").status,
            StatusCode::OK,
            "{label}"
        );
    }
}

#[test]
fn the_proxy_header_is_ignored_unless_trusted_on_both_databases() {
    for db in testing::all() {
        let label = db.label;
        holder(&db);
        // Not trusted: every request comes from the same peer, whatever the header says, so a
        // client cannot pick a new address for each guess.
        let state = state(&db, false);
        for n in 0..msp_web::pages::auth::MAX_FAILURES {
            sign_in(&state, HOLDER, "devine", &format!("198.51.100.{n}"));
        }
        let a = sign_in(&state, HOLDER, PASSWORD, "192.0.2.12");
        assert_eq!(
            a.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{label}: {}",
            a.body
        );
        // Trusted: the header's address is the client's (another account, same database).
        let other = "agent2@example.org";
        let hash = msp_web::pages::auth::hash_password_blocking(PASSWORD).unwrap();
        Account::new(Role::AgentCpam, other)
            .password_hash(&hash)
            .create(&mut db.connect());
        let state = self::state(&db, true);
        for n in 0..msp_web::pages::auth::MAX_FAILURES {
            sign_in(&state, other, "devine", "198.51.100.1");
            let _ = n;
        }
        assert_eq!(
            sign_in(&state, other, PASSWORD, "198.51.100.1").status,
            StatusCode::TOO_MANY_REQUESTS
        );
        let a = sign_in(&state, other, PASSWORD, "192.0.2.12");
        assert_eq!(a.status, StatusCode::OK, "{label}: {}", a.body);
    }
}

#[test]
fn patient_references_are_keyed_by_the_server_secret_on_both_databases() {
    use msp_web::services::audit::{PatientKey, patient_ref};
    let nir = msp_domain::Nir::parse("206127511100564").unwrap();
    let mut seen = Vec::new();
    for db in testing::all() {
        let label = db.label;
        let first = state(&db, false).patient_ref(&nir);
        assert!(first.starts_with("P-") && first.len() == 18, "{first}");
        // The secret generated at first start is kept: a restart names patients the same.
        assert_eq!(state(&db, false).patient_ref(&nir), first, "{label}");
        // Not the unkeyed digest of the first round, which anyone could recompute from the NIR.
        let unkeyed = format!(
            "P-{}",
            &msp_web::security::sha256_hex(nir.as_str())[..16].to_uppercase()
        );
        assert_ne!(first, unkeyed);
        assert_ne!(first[..14], unkeyed[..14]);
        // A secret given by configuration wins; another secret, another reference.
        let configured = state_with(
            &db,
            1,
            Options {
                patient_key: Some("clé de configuration".into()),
                ..Default::default()
            },
        );
        assert_eq!(
            configured.patient_ref(&nir),
            patient_ref(&PatientKey::new("clé de configuration"), &nir)
        );
        assert_ne!(configured.patient_ref(&nir), first);
        seen.push(first);
    }
    // Each database made its own secret.
    if let [a, b] = &seen[..] {
        assert_ne!(a, b);
    }
}
