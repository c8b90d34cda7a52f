//! Account lifecycle through the router, on SQLite and PostgreSQL: a signed-in person changes
//! their password (other sessions closed, the current one kept); an admin deactivates,
//! reactivates and resets accounts (temporary password shown once, then forced change); the
//! guards (own account, last admin, roles, CSRF) and the audit lines, which never hold a password.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::fixtures::{Account, state_with};
use common::http::{Answer, get, post_form, send};
use msp_domain::Role;
use msp_store::accounts;
use msp_store::testing::{self, TestDb};
use msp_web::{AppState, Options};

const PASSWORD: &str = "un mot de passe solide";
const NEW_PASSWORD: &str = "un autre mot de passe, plus long";
const DEACTIVATED: &str = "Ce compte est désactivé : contactez l’administrateur.";

struct Setup {
    db: TestDb,
    state: AppState,
    /// Account id, session cookie and CSRF token of each account made by [`setup`].
    admin: (i64, String, String),
    psy: (i64, String, String),
    cpam: (i64, String, String),
}

fn account(db: &mut msp_store::Db, email: &str, role: Role, hash: &str) -> (i64, String, String) {
    Account::new(role, email).password_hash(hash).signed_in(db)
}

fn setup(db: TestDb) -> Setup {
    let mut conn = db.connect();
    let hash = msp_web::pages::auth::hash_password_blocking(PASSWORD).unwrap();
    let admin = account(&mut conn, "admin@example.org", Role::Admin, &hash);
    let psy = account(&mut conn, "psy@example.org", Role::Psychologue, &hash);
    let cpam = account(&mut conn, "cpam@example.org", Role::AgentCpam, &hash);
    drop(conn);
    let state = state_with(&db, 4, Options::default());
    Setup {
        db,
        state,
        admin,
        psy,
        cpam,
    }
}

/// Signs in through the form; the answer and the new session cookie, if one was set.
fn login(state: &AppState, email: &str, password: &str) -> (Answer, Option<String>) {
    let page = get(state, "/connexion", None);
    let token = page
        .set_cookie
        .iter()
        .find_map(|c| c.split(';').next()?.strip_prefix("msp_csrf="))
        .unwrap()
        .to_owned();
    let body = serde_urlencoded::to_string([
        ("_csrf", token.as_str()),
        ("email", email),
        ("password", password),
    ])
    .unwrap();
    let a = send(
        state,
        Request::post("/connexion")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("msp_csrf={token}"))
            .body(Body::from(body))
            .unwrap(),
    );
    let session = a
        .set_cookie
        .iter()
        .find_map(|c| c.split(';').next()?.strip_prefix("msp_session="))
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    (a, session)
}

fn hash_of(s: &Setup, id: i64) -> String {
    accounts::password_hash(&mut s.db.connect(), id)
        .unwrap()
        .unwrap()
}

/// Every audit line about account `id`: (actor, action, reason).
fn audit_of(s: &Setup, id: i64) -> Vec<(String, String, String)> {
    s.db.connect()
        .query(
            "SELECT actor, action, reason FROM audit_log
             WHERE subject_kind = 'compte' AND subject_id = $1 ORDER BY id",
            &[id.to_string().into()],
        )
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.string(0).unwrap(),
                r.string(1).unwrap(),
                r.string(2).unwrap(),
            )
        })
        .collect()
}

/// No audit line, in any column, holds one of these secrets.
fn audit_holds_none_of(s: &Setup, secrets: &[&str]) {
    let rows =
        s.db.connect()
            .query(
                "SELECT actor, action, subject_kind, subject_id, reason FROM audit_log",
                &[],
            )
            .unwrap();
    for r in &rows {
        let line: String = (0..5).map(|i| r.string(i).unwrap() + " | ").collect();
        for secret in secrets {
            assert!(
                !line.contains(secret),
                "{}: password in « {line} »",
                s.db.label
            );
        }
    }
}

/// A signed-in session works (not sent back to the sign-in page).
fn works(s: &Setup, cookie: &str) -> bool {
    get(&s.state, "/espace", Some(cookie)).status == StatusCode::OK
}

fn sent_to_sign_in(s: &Setup, cookie: &str) -> bool {
    let a = get(&s.state, "/espace", Some(cookie));
    a.status == StatusCode::SEE_OTHER && a.location.starts_with("/connexion")
}

#[test]
fn changing_ones_password_checks_everything_and_closes_the_other_sessions() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        let (psy_id, cookie, csrf) = s.psy.clone();
        let (other, _) =
            msp_web::pages::auth::open_session_blocking(&mut s.db.connect(), psy_id).unwrap();
        let before = hash_of(&s, psy_id);

        // Linked from the home page; the form names its three fields.
        let home = get(&s.state, "/espace", Some(&cookie));
        assert!(
            home.body.contains("href=\"/espace/mot-de-passe\""),
            "{label}"
        );
        let page = get(&s.state, "/espace/mot-de-passe", Some(&cookie));
        assert_eq!(page.status, StatusCode::OK, "{label}");
        for field in [
            "Mot de passe actuel",
            "Nouveau mot de passe",
            "Confirmation",
        ] {
            assert!(page.body.contains(field), "{label}: {field}");
        }
        assert!(page.cache_control.contains("no-store"));

        // CSRF required.
        let form = |current: &'static str, new: &'static str, confirmation: &'static str| {
            vec![
                ("actuel", current),
                ("nouveau", new),
                ("confirmation", confirmation),
            ]
        };
        let mut forged = form(PASSWORD, NEW_PASSWORD, NEW_PASSWORD);
        forged.push(("_csrf", "faux"));
        let a = post_form(&s.state, "/espace/mot-de-passe", Some(&cookie), &forged);
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{label}");
        assert!(a.body.contains("jeton de sécurité"));

        // Each refusal: 422, a French message naming the field, nothing changed.
        let refusals = [
            (
                form("pas le bon mot de passe", NEW_PASSWORD, NEW_PASSWORD),
                "Mot de passe actuel : incorrect.",
            ),
            (
                form(PASSWORD, "trop court", "trop court"),
                "Nouveau mot de passe : 12 caractères au moins.",
            ),
            (
                form(PASSWORD, PASSWORD, PASSWORD),
                "Nouveau mot de passe : il doit être différent du mot de passe actuel.",
            ),
            (
                form(PASSWORD, NEW_PASSWORD, "un autre mot de passe, plus long !"),
                "Confirmation : elle ne correspond pas au nouveau mot de passe.",
            ),
        ];
        for (mut fields, message) in refusals {
            fields.push(("_csrf", &csrf));
            let a = post_form(&s.state, "/espace/mot-de-passe", Some(&cookie), &fields);
            assert_eq!(
                a.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{label}: {message}"
            );
            assert!(a.body.contains(message), "{label}: {message} in {}", a.body);
            assert!(a.body.contains("aria-invalid=\"true\""));
            assert_eq!(hash_of(&s, psy_id), before, "{label}: nothing changed");
            assert!(works(&s, &other), "{label}: other session untouched");
        }
        // The wrong current password counted as a failed sign-in.
        let failures =
            s.db.connect()
                .query_one("SELECT MAX(failures) FROM sign_in_throttle", &[])
                .unwrap()
                .int(0)
                .unwrap();
        assert_eq!(failures, 1, "{label}");
        assert!(
            audit_of(&s, psy_id).is_empty(),
            "{label}: no audit line yet"
        );

        // Success.
        let mut fields = form(PASSWORD, NEW_PASSWORD, NEW_PASSWORD);
        fields.push(("_csrf", &csrf));
        let a = post_form(&s.state, "/espace/mot-de-passe", Some(&cookie), &fields);
        assert_eq!(a.status, StatusCode::OK, "{label}: {}", a.body);
        assert!(
            a.body.contains("Votre mot de passe a été changé."),
            "{}",
            a.body
        );
        assert_ne!(hash_of(&s, psy_id), before);
        assert!(works(&s, &cookie), "{label}: the current session stays");
        assert!(
            sent_to_sign_in(&s, &other),
            "{label}: the other one is closed"
        );
        let (old, session) = login(&s.state, "psy@example.org", PASSWORD);
        assert_eq!(old.status, StatusCode::UNAUTHORIZED, "{label}");
        assert!(session.is_none());
        let (new, session) = login(&s.state, "psy@example.org", NEW_PASSWORD);
        assert_eq!(
            (new.status, new.location.as_str()),
            (StatusCode::SEE_OTHER, "/espace"),
            "{label}"
        );
        assert!(works(&s, &session.unwrap()));

        // Audited as a change of the account, by its holder, without any password.
        let lines = audit_of(&s, psy_id);
        assert_eq!(lines.len(), 1, "{label}: {lines:?}");
        assert_eq!(
            (lines[0].0.as_str(), lines[0].1.as_str()),
            ("psy@example.org (psychologue)", "modification")
        );
        assert!(
            lines[0].2.contains("autres sessions fermées : 1"),
            "{lines:?}"
        );
        audit_holds_none_of(&s, &[PASSWORD, NEW_PASSWORD, "pas le bon mot de passe"]);
    }
}

#[test]
fn wrong_current_passwords_hold_back_the_account_like_failed_sign_ins() {
    for db in testing::all() {
        let s = setup(db);
        let (psy_id, cookie, csrf) = s.psy.clone();
        let before = hash_of(&s, psy_id);
        for _ in 0..msp_web::pages::auth::MAX_FAILURES {
            let a = post_form(
                &s.state,
                "/espace/mot-de-passe",
                Some(&cookie),
                &[
                    ("_csrf", &csrf),
                    ("actuel", "devine"),
                    ("nouveau", NEW_PASSWORD),
                    ("confirmation", NEW_PASSWORD),
                ],
            );
            assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        }
        // Now even the right password is refused, here and at sign-in.
        let a = post_form(
            &s.state,
            "/espace/mot-de-passe",
            Some(&cookie),
            &[
                ("_csrf", &csrf),
                ("actuel", PASSWORD),
                ("nouveau", NEW_PASSWORD),
                ("confirmation", NEW_PASSWORD),
            ],
        );
        assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", s.db.label);
        assert!(a.body.contains("trop de tentatives"));
        assert_eq!(hash_of(&s, psy_id), before);
        let (a, _) = login(&s.state, "psy@example.org", PASSWORD);
        assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", s.db.label);
    }
}

#[test]
fn admin_deactivates_reactivates_and_resets_an_account() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        let (admin_id, admin, admin_csrf) = s.admin.clone();
        let (psy_id, psy, _) = s.psy.clone();
        let act = |what: &str| {
            post_form(
                &s.state,
                &format!("/espace/admin/comptes/{psy_id}/{what}"),
                Some(&admin),
                &[("_csrf", &admin_csrf)],
            )
        };

        // The list offers the actions, not on the admin's own account.
        let page = get(&s.state, "/espace/admin/comptes", Some(&admin));
        assert!(
            page.body
                .contains(&format!("/espace/admin/comptes/{psy_id}/desactivation"))
        );
        assert!(
            page.body
                .contains(&format!("/espace/admin/comptes/{psy_id}/reinitialisation"))
        );
        assert!(page.body.contains("Réinitialiser le mot de passe"));
        assert!(
            !page
                .body
                .contains(&format!("/espace/admin/comptes/{admin_id}/"))
        );

        // Deactivation: the existing cookie stops working at once, sign-in is refused with the
        // reason (only to whoever gives the right password).
        let (_, second) = login(&s.state, "psy@example.org", PASSWORD);
        let second = second.unwrap();
        let a = act("desactivation");
        assert_eq!(a.status, StatusCode::OK, "{label}: {}", a.body);
        assert!(
            a.body
                .contains("Compte de psy@example.org désactivé. Sessions fermées : 2.")
        );
        assert!(sent_to_sign_in(&s, &psy), "{label}");
        assert!(sent_to_sign_in(&s, &second), "{label}");
        let (a, session) = login(&s.state, "psy@example.org", PASSWORD);
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{label}");
        assert!(a.body.contains(DEACTIVATED), "{}", a.body);
        assert!(session.is_none());
        let (a, _) = login(&s.state, "psy@example.org", "pas le bon");
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert!(
            !a.body.contains("désactivé"),
            "{label}: not told to strangers"
        );
        let page = get(&s.state, "/espace/admin/comptes", Some(&admin));
        assert!(
            page.body
                .contains(&format!("/espace/admin/comptes/{psy_id}/reactivation"))
        );

        // Reactivation: sign-in works again (old cookies stay closed).
        let a = act("reactivation");
        assert_eq!(a.status, StatusCode::OK, "{label}");
        assert!(a.body.contains("Compte de psy@example.org réactivé."));
        assert!(sent_to_sign_in(&s, &psy));
        let (a, session) = login(&s.state, "psy@example.org", PASSWORD);
        assert_eq!(
            (a.status, a.location.as_str()),
            (StatusCode::SEE_OTHER, "/espace")
        );
        let session = session.unwrap();
        assert!(works(&s, &session));

        // Reset: a temporary password shown once, the sessions closed, a forced change.
        let a = act("reinitialisation");
        assert_eq!(a.status, StatusCode::OK, "{label}: {}", a.body);
        assert!(a.cache_control.contains("no-store"));
        let start = a.body.find("id=\"mot-de-passe-provisoire\"").unwrap();
        let start = start + a.body[start..].find('>').unwrap() + 1;
        let end = start + a.body[start..].find('<').unwrap();
        let temporary = a.body[start..end].to_owned();
        assert!(temporary.chars().count() >= 16, "{temporary}");
        assert!(
            temporary
                .chars()
                .all(|c| c.is_ascii_alphanumeric() && !"0oO1lIi".contains(c)),
            "{temporary}"
        );
        assert!(sent_to_sign_in(&s, &session), "{label}: sessions closed");
        let stored = hash_of(&s, psy_id);
        assert!(stored.starts_with("$argon2id$") && !stored.contains(&temporary));
        let page = get(&s.state, "/espace/admin/comptes", Some(&admin));
        assert!(!page.body.contains(&temporary), "{label}: shown once");
        assert!(page.body.contains("mot de passe provisoire"));
        let (a, _) = login(&s.state, "psy@example.org", PASSWORD);
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "old password gone");

        let (a, session) = login(&s.state, "psy@example.org", &temporary);
        assert_eq!(
            (a.status, a.location.as_str()),
            (StatusCode::SEE_OTHER, "/espace/mot-de-passe"),
            "{label}"
        );
        let temp_session = session.unwrap();
        for path in [
            "/espace",
            "/espace/seances",
            "/espace/candidature",
            "/espace/admin/comptes",
        ] {
            let a = get(&s.state, path, Some(&temp_session));
            assert_eq!(
                (a.status, a.location.as_str()),
                (StatusCode::SEE_OTHER, "/espace/mot-de-passe"),
                "{label}: {path}"
            );
        }
        // The JSON API treats the session as signed out (401, not the psychologist's 403).
        let a = get(&s.state, "/api/adressages", Some(&temp_session));
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{label}: {}", a.body);
        let page = get(&s.state, "/espace/mot-de-passe", Some(&temp_session));
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("réinitialisé par un administrateur"));
        let csrf = {
            let i = page.body.find("name=\"_csrf\" value=\"").unwrap() + 20;
            page.body[i..i + 64].to_owned()
        };
        let a = post_form(
            &s.state,
            "/espace/mot-de-passe",
            Some(&temp_session),
            &[
                ("_csrf", &csrf),
                ("actuel", &temporary),
                ("nouveau", NEW_PASSWORD),
                ("confirmation", NEW_PASSWORD),
            ],
        );
        assert_eq!(a.status, StatusCode::OK, "{label}: {}", a.body);
        assert!(works(&s, &temp_session), "{label}: free to go");
        assert_eq!(
            get(&s.state, "/espace/seances", Some(&temp_session)).location,
            ""
        );
        let (a, _) = login(&s.state, "psy@example.org", NEW_PASSWORD);
        assert_eq!(
            (a.status, a.location.as_str()),
            (StatusCode::SEE_OTHER, "/espace")
        );

        // Audited: who, which account, what; never a password.
        let lines = audit_of(&s, psy_id);
        let actions: Vec<(&str, &str)> = lines
            .iter()
            .map(|(who, what, _)| (who.as_str(), what.as_str()))
            .collect();
        assert_eq!(
            actions,
            [
                ("admin@example.org (admin)", "desactivation"),
                ("admin@example.org (admin)", "reactivation"),
                ("admin@example.org (admin)", "reinitialisation"),
                ("psy@example.org (psychologue)", "modification"),
            ],
            "{label}"
        );
        assert!(lines[0].2.contains("psy@example.org"));
        audit_holds_none_of(&s, &[PASSWORD, NEW_PASSWORD, &temporary]);
        let journal = get(&s.state, "/espace/admin/journal", Some(&admin));
        assert!(
            journal.body.contains("<td>réinitialisation</td>"),
            "{label}"
        );
        assert!(
            journal
                .body
                .contains(r#"<option value="reinitialisation">réinitialisation</option>"#),
            "{label}: the filter keeps the stored code, shows the French word"
        );
        // Narrowed by action and by actor: only those lines.
        let only = get(
            &s.state,
            "/espace/admin/journal?quoi=reinitialisation&qui=",
            Some(&admin),
        );
        assert!(
            only.body.contains("pour ce filtre"),
            "{label}: {}",
            only.body
        );
        assert!(!only.body.contains("<td>modification</td>"), "{label}");
        let nobody = get(
            &s.state,
            "/espace/admin/journal?qui=personne%25",
            Some(&admin),
        );
        assert!(
            nobody.body.contains("Aucune entrée pour ce filtre."),
            "{label}: {}",
            nobody.body
        );
    }
}

/// The creation form shows every error at once, keeps what was typed (never the password) and
/// refuses a known address; a valid form creates the account.
#[test]
fn admin_creates_accounts_with_every_error_shown_at_once() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        let (_, admin, admin_csrf) = s.admin.clone();
        let create = |fields: &[(&str, &str)]| {
            let mut form = vec![("_csrf", admin_csrf.as_str())];
            form.extend_from_slice(fields);
            post_form(&s.state, "/espace/admin/comptes", Some(&admin), &form)
        };
        let a = create(&[
            ("email", "pas une adresse"),
            ("nom", "Analyste"),
            ("role", "analyste_ars"),
            ("territoire", "99"),
            ("password", "court"),
        ]);
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        for message in [
            "Adresse électronique invalide.",
            "Région « 99 » inconnue",
            "Le mot de passe doit compter au moins 12 caractères.",
        ] {
            assert!(a.body.contains(message), "{label}: {message} in {}", a.body);
        }
        assert_eq!(
            a.body.matches("aria-invalid=\"true\"").count(),
            3,
            "{label}"
        );
        assert!(a.body.contains("value=\"pas une adresse\""), "typed kept");
        assert!(
            !a.body.contains("value=\"court\""),
            "password not sent back"
        );
        assert!(a.body.contains("<option value=\"analyste_ars\" selected"));

        let a = create(&[
            ("email", "ars@example.org"),
            ("nom", "Analyste"),
            ("role", "analyste_ars"),
            ("territoire", "84"),
            ("password", "un mot de passe assez long"),
        ]);
        assert_eq!(a.status, StatusCode::CREATED, "{label}: {}", a.body);
        assert!(a.body.contains("Compte créé pour ars@example.org."));
        assert!(a.body.contains("notice-success"));
        let again = create(&[
            ("email", "ARS@example.org"),
            ("nom", "Autre"),
            ("role", "analyste_ars"),
            ("territoire", "84"),
            ("password", "un mot de passe assez long"),
        ]);
        assert_eq!(
            again.status,
            StatusCode::CONFLICT,
            "{label}: {}",
            again.body
        );
        assert!(again.body.contains("Un compte existe déjà pour l’adresse"));
    }
}

#[test]
fn guards_own_account_last_admin_roles_and_csrf() {
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        let (admin_id, admin, admin_csrf) = s.admin.clone();
        let (psy_id, psy, psy_csrf) = s.psy.clone();
        let (_, cpam, cpam_csrf) = s.cpam.clone();
        let active = |id: i64| {
            accounts::get_account(&mut s.db.connect(), id)
                .unwrap()
                .unwrap()
                .active
        };

        // The only admin cannot deactivate themselves: the last active admin.
        let own = format!("/espace/admin/comptes/{admin_id}/desactivation");
        let a = post_form(&s.state, &own, Some(&admin), &[("_csrf", &admin_csrf)]);
        assert_eq!(a.status, StatusCode::CONFLICT, "{label}");
        assert!(
            a.body
                .contains("Impossible de désactiver le dernier administrateur actif"),
            "{}",
            a.body
        );
        assert!(active(admin_id) && works(&s, &admin));
        // With a second admin: still not oneself; the other may; then it is the last one.
        let hash = msp_web::pages::auth::hash_password_blocking(PASSWORD).unwrap();
        let (admin2_id, admin2, admin2_csrf) = account(
            &mut s.db.connect(),
            "admin2@example.org",
            Role::Admin,
            &hash,
        );
        let a = post_form(&s.state, &own, Some(&admin), &[("_csrf", &admin_csrf)]);
        assert_eq!(a.status, StatusCode::CONFLICT);
        assert!(
            a.body
                .contains("Vous ne pouvez pas désactiver votre propre compte")
        );
        let a = post_form(&s.state, &own, Some(&admin2), &[("_csrf", &admin2_csrf)]);
        assert_eq!(a.status, StatusCode::OK, "{label}: {}", a.body);
        assert!(!active(admin_id) && sent_to_sign_in(&s, &admin));
        let a = post_form(
            &s.state,
            &format!("/espace/admin/comptes/{admin2_id}/desactivation"),
            Some(&admin2),
            &[("_csrf", &admin2_csrf)],
        );
        assert_eq!(a.status, StatusCode::CONFLICT);
        assert!(a.body.contains("dernier administrateur actif"));
        assert!(active(admin2_id));
        // Nor one's own password through the reset.
        let a = post_form(
            &s.state,
            &format!("/espace/admin/comptes/{admin2_id}/reinitialisation"),
            Some(&admin2),
            &[("_csrf", &admin2_csrf)],
        );
        assert_eq!(a.status, StatusCode::CONFLICT);
        assert!(a.body.contains("Changer mon mot de passe"));

        let before = hash_of(&s, psy_id);
        for what in ["desactivation", "reactivation", "reinitialisation"] {
            let path = format!("/espace/admin/comptes/{psy_id}/{what}");
            // Non-admins: 403, even with their own valid token.
            for (cookie, csrf) in [(&psy, &psy_csrf), (&cpam, &cpam_csrf)] {
                let a = post_form(&s.state, &path, Some(cookie), &[("_csrf", csrf)]);
                assert_eq!(a.status, StatusCode::FORBIDDEN, "{label}: {path}");
                assert!(a.body.contains("Accès refusé"));
            }
            // CSRF token required.
            for form in [vec![], vec![("_csrf", "faux")]] {
                let a = post_form(&s.state, &path, Some(&admin2), &form);
                assert_eq!(a.status, StatusCode::FORBIDDEN, "{label}: {path}");
                assert!(a.body.contains("jeton de sécurité"));
            }
        }
        assert!(
            active(psy_id) && works(&s, &psy),
            "{label}: nothing changed"
        );
        assert_eq!(hash_of(&s, psy_id), before);
        assert!(audit_of(&s, psy_id).is_empty());
        // Unknown accounts.
        for id in ["999", "abc"] {
            let a = post_form(
                &s.state,
                &format!("/espace/admin/comptes/{id}/desactivation"),
                Some(&admin2),
                &[("_csrf", &admin2_csrf)],
            );
            assert_eq!(a.status, StatusCode::NOT_FOUND, "{label}: {id}");
            assert!(a.body.contains("Ce compte n’existe pas."));
        }
        // The refused attempts left no audit line; the one deactivation did.
        let lines = audit_of(&s, admin_id);
        assert_eq!(lines.len(), 1, "{label}: {lines:?}");
        assert_eq!(lines[0].0, "admin2@example.org (admin)");
        assert!(audit_of(&s, admin2_id).is_empty());
    }
}
