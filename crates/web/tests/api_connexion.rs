//! Signing in and out through the JSON API (practice software without the web pages), on
//! SQLite and PostgreSQL: the session cookie it sets works on the other endpoints, the same
//! refusals as the sign-in page, and JSON only.

mod common;

use axum::http::StatusCode;
use common::TODAY;
use common::fixtures::{Account, state_on};
use common::http::{get, post_body, post_json};
use msp_domain::Role;
use msp_store::testing;
use serde_json::json;

const PASSWORD: &str = "correct-horse-battery-staple";

/// The session token of the `msp_session` cookie an answer sets.
fn session_of(set_cookie: &[String]) -> Option<String> {
    set_cookie.iter().find_map(|c| {
        let v = c.strip_prefix("msp_session=")?;
        let v = v.split(';').next()?;
        (!v.is_empty()).then(|| v.to_owned())
    })
}

#[test]
fn practice_software_signs_in_uses_the_api_and_signs_out() {
    for db in testing::all() {
        let label = db.label;
        let hash = msp_web::pages::auth::hash_password_blocking(PASSWORD).unwrap();
        {
            let mut conn = db.connect();
            Account::new(Role::Psychologue, "psy@example.org")
                .named("Claire Dubois")
                .password_hash(&hash)
                .create(&mut conn);
            Account::new(Role::Medecin, "off@example.org")
                .password_hash(&hash)
                .create(&mut conn);
            conn.execute(
                "UPDATE accounts SET active = 0 WHERE email = 'off@example.org'",
                &[],
            )
            .unwrap();
        }
        let state = state_on(&db, TODAY);
        let sign_in = |email: &str, password: &str| {
            post_json(
                &state,
                "/api/connexion",
                None,
                json!({"email": email, "mot_de_passe": password}),
            )
        };

        // Signed in: the cookie opens the other endpoints; the answer names the account.
        let ok = sign_in(" PSY@example.org ", PASSWORD);
        assert_eq!(ok.status, StatusCode::OK, "{label} {}", ok.body);
        let j = ok.json();
        assert_eq!(
            (j["role"].as_str(), j["nom"].as_str()),
            (Some("psychologue"), Some("Claire Dubois"))
        );
        let cookie = session_of(&ok.set_cookie).expect("session cookie");
        assert!(
            ok.set_cookie.iter().any(|c| c.contains("HttpOnly")),
            "{:?}",
            ok.set_cookie
        );
        let mine = get(&state, "/api/seances", Some(&cookie));
        assert_ne!(
            mine.status,
            StatusCode::UNAUTHORIZED,
            "{label} {}",
            mine.body
        );

        // Refusals, as on the sign-in page.
        let wrong = sign_in("psy@example.org", "not the password");
        assert!(
            !wrong
                .problem(StatusCode::UNAUTHORIZED, "identifiants_invalides")
                .is_empty()
        );
        let unknown = sign_in("nobody@example.org", PASSWORD);
        assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            wrong.json_without_request_id(),
            unknown.json_without_request_id(),
            "an unknown email tells nothing"
        );
        assert!(session_of(&wrong.set_cookie).is_none());
        let off = sign_in("off@example.org", PASSWORD);
        assert!(
            off.problem(StatusCode::FORBIDDEN, "compte_desactive")
                .contains("désactivé")
        );
        let text = post_body(
            &state,
            "/api/connexion",
            None,
            "text/plain",
            format!("email=psy@example.org&mot_de_passe={PASSWORD}").into_bytes(),
        );
        assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{label}");
        let bad = post_json(
            &state,
            "/api/connexion",
            None,
            json!({"email": "psy@example.org"}),
        );
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Unknown fields are refused, naming the field.
        let extra = post_json(
            &state,
            "/api/connexion",
            None,
            json!({"email": "psy@example.org", "mot_de_passe": PASSWORD, "role": "admin"}),
        );
        assert!(
            extra
                .problem(StatusCode::UNPROCESSABLE_ENTITY, "champ_inconnu")
                .contains("role"),
            "{}",
            extra.body
        );
        // The lockout: after repeated failures even the right password waits.
        for _ in 0..msp_web::pages::auth::MAX_FAILURES {
            sign_in("psy@example.org", "still wrong");
        }
        let locked = sign_in("psy@example.org", PASSWORD);
        assert!(
            !locked
                .problem(StatusCode::TOO_MANY_REQUESTS, "trop_de_tentatives")
                .is_empty()
        );

        // Signing out ends the session.
        assert_eq!(
            post_json(&state, "/api/deconnexion", None, json!({})).status,
            StatusCode::UNAUTHORIZED
        );
        let out = post_json(&state, "/api/deconnexion", Some(&cookie), json!({}));
        assert_eq!(out.status, StatusCode::NO_CONTENT, "{label} {}", out.body);
        assert_eq!(
            get(&state, "/api/seances", Some(&cookie)).status,
            StatusCode::UNAUTHORIZED
        );
    }
}
