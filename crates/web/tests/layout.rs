//! Every page — public, professional space, statistics, sign-in, errors — is drawn in the one
//! layout: one skip link, one header with the reader's menu, one main landmark, one footer, the
//! site's stylesheet, French. Error pages of the space keep the signed-in person's menu.

mod common;

use axum::http::StatusCode;
use common::fixtures::{self, Account};
use common::{demo_app_on, http::get};
use msp_domain::Role;
use msp_store::testing;

fn assert_one_layout(body: &str, what: &str) {
    for (marker, n) in [
        ("<!DOCTYPE html>", 1),
        ("<html lang=\"fr\">", 1),
        ("<a class=\"skip\" href=\"#contenu\">", 1),
        ("<header class=\"site-header\">", 1),
        ("<nav aria-label=\"Menu principal\">", 1),
        ("<main id=\"contenu\"", 1),
        ("<footer class=\"site-footer\">", 1),
        ("href=\"/static/style.css\"", 1),
        ("3114", 1),
    ] {
        assert_eq!(
            body.matches(marker).count(),
            n,
            "{what}: « {marker} » expected {n} time(s)"
        );
    }
    assert!(
        !body.contains("class=\"alert\""),
        "{what}: old alert box instead of a notice"
    );
}

#[test]
fn every_page_uses_the_one_layout() {
    for db in testing::all() {
        let app = demo_app_on(db);
        let s = &app.state;
        let label = app.db.label;
        let listed = {
            let index = s.index();
            index
                .entries()
                .iter()
                .find(|e| e.listed.is_listed_on(common::TODAY))
                .map(|e| e.listed.card.rpps.to_string())
                .expect("a listed card")
        };
        for path in [
            "/".to_owned(),
            "/recherche".into(),
            "/recherche?q=Lyon".into(),
            "/recherche?q=Lyonnnnnn".into(),
            format!("/psychologues/{listed}"),
            "/psychologues/10000000001".into(),
            "/statistiques".into(),
            "/connexion".into(),
            "/nulle-part".into(),
        ] {
            let a = get(s, &path, None);
            assert!(!a.status.is_server_error(), "{label} {path}");
            assert!(a.content_type.starts_with("text/html"), "{label} {path}");
            assert_one_layout(&a.body, &format!("{label} {path} (public)"));
            // Patients sign in too: the way in is not called « professionnel ».
            assert!(
                a.body.contains(r#"<a href="/connexion">Se connecter</a>"#)
                    && !a.body.contains("Espace professionnel"),
                "{label} {path}"
            );
        }
        let mut conn = app.db.connect();
        let mut signed = Vec::new();
        for (role, email, territory) in [
            (Role::Psychologue, "psy@gabarit.test", None),
            (Role::Medecin, "medecin@gabarit.test", None),
            (Role::Patient, "patient@gabarit.test", None),
            (Role::AgentCpam, "cpam@gabarit.test", None),
            (Role::Expert, "expert@gabarit.test", None),
            (Role::AnalysteArs, "ars@gabarit.test", Some("84")),
            (Role::Admin, "admin@gabarit.test", None),
        ] {
            let (id, cookie, _) = Account::new(role, email)
                .named("Camille Gabarit")
                .territory(territory)
                .signed_in(&mut conn);
            if role == Role::Psychologue {
                fixtures::conventioned_psychologist(&mut conn, id, &fixtures::rpps("1000008888"));
            }
            signed.push((role, cookie));
        }
        drop(conn);
        let pages: &[(Role, &str, StatusCode)] = &[
            (Role::Psychologue, "/espace", StatusCode::OK),
            (Role::Psychologue, "/espace/seances", StatusCode::OK),
            (Role::Psychologue, "/espace/mes-seances", StatusCode::OK),
            (
                Role::Psychologue,
                "/espace/adressages/verifier",
                StatusCode::OK,
            ),
            (Role::Psychologue, "/espace/candidature", StatusCode::OK),
            (Role::Psychologue, "/espace/convention", StatusCode::OK),
            (Role::Psychologue, "/espace/mot-de-passe", StatusCode::OK),
            (
                Role::Psychologue,
                "/espace/seances/EN-INCONNU",
                StatusCode::NOT_FOUND,
            ),
            (Role::Psychologue, "/statistiques", StatusCode::OK),
            (Role::Medecin, "/espace/adressages", StatusCode::OK),
            (Role::Patient, "/espace/mon-suivi", StatusCode::OK),
            (Role::Patient, "/espace/cpam", StatusCode::FORBIDDEN),
            (Role::AgentCpam, "/espace/cpam", StatusCode::OK),
            (Role::AgentCpam, "/espace/cpam/rejets", StatusCode::OK),
            (Role::AgentCpam, "/espace/cpam/lots", StatusCode::OK),
            (Role::Expert, "/espace/commission", StatusCode::OK),
            (
                Role::AnalysteArs,
                "/statistiques?perimetre=region:84",
                StatusCode::OK,
            ),
            (Role::Admin, "/espace/admin/comptes", StatusCode::OK),
            (Role::Admin, "/espace/admin/journal", StatusCode::OK),
        ];
        // The analyst's région by its name, not its code (issue 13).
        let ars = &signed
            .iter()
            .find(|(r, _)| *r == Role::AnalysteArs)
            .unwrap()
            .1;
        let home = get(s, "/espace", Some(ars)).body;
        assert!(
            home.contains("Statistiques de ma région (Auvergne-Rhône-Alpes)"),
            "{label}: {home}"
        );
        for (role, path, status) in pages {
            let cookie = &signed.iter().find(|(r, _)| r == role).unwrap().1;
            let a = get(s, path, Some(cookie));
            assert_eq!(a.status, *status, "{label} {role:?} {path}: {}", a.body);
            if a.content_type.starts_with("text/html") {
                let what = format!("{label} {path} as {role:?}");
                assert_one_layout(&a.body, &what);
                assert!(
                    a.body.contains("Camille Gabarit"),
                    "{what}: the reader's name"
                );
                assert!(
                    a.body.contains("Se déconnecter"),
                    "{what}: the reader's menu"
                );
            } else {
                panic!("{label} {role:?} {path}: not a page ({})", a.content_type);
            }
        }
    }
}
