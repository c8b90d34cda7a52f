//! The remote-session control list of agents CPAM (issue 13 item 14, SPEC §3): psychologists
//! above the rules' share of video sessions in a year, within the agent's territory, on both
//! engines; other roles are refused, a bad year is named.

mod common;

use axum::http::StatusCode;
use common::fixtures::{self, Account, count};
use common::http::get;
use jiff::civil::date;
use msp_domain::Role;
use msp_web::Options;

/// `total` accepted sessions of `rpps` in March 2026, the last `remote` of them by video.
fn sessions(conn: &mut msp_store::Db, rpps: &str, total: usize, remote: usize) {
    for i in 0..total {
        let act = match i {
            0 => "EEP",
            i if i >= total - remote => "PSS",
            _ => "APS",
        };
        conn.execute(
            "INSERT INTO accepted_sessions (nir, session_date, rpps, act, claim_id) VALUES ($1, $2, $3, $4, $5)",
            &[
                format!("p{rpps}{i}").as_str().into(),
                (date(2026, 3, 2) + jiff::Span::new().days(i64::try_from(i).unwrap())).into(),
                rpps.into(),
                act.into(),
                format!("{rpps}-{i}").as_str().into(),
            ],
        )
        .unwrap();
    }
}

#[test]
fn agents_see_the_psychologists_above_the_remote_share_of_their_territory() {
    for db in msp_store::testing::all() {
        let label = db.label;
        let (lyon, paris) = (fixtures::rpps("1000000042"), fixtures::rpps("1000000043"));
        let (national, rhone, psy, admin);
        {
            let mut conn = db.connect();
            let a = Account::new(Role::Psychologue, "lyon@exemple.fr").create(&mut conn);
            fixtures::conventioned_psychologist_named(&mut conn, a, &lyon, "Dubois", "Claire");
            let b = Account::new(Role::Psychologue, "paris@exemple.fr").create(&mut conn);
            fixtures::conventioned_psychologist_named(&mut conn, b, &paris, "Martin", "Léa");
            conn.execute(
                "UPDATE conventions SET cpam = '75' WHERE rpps = $1",
                &[paris.as_str().into()],
            )
            .unwrap();
            // Lyon: 3 of 10 by video (30 %); Paris: 5 of 10 (50 %); a third at exactly 20 %.
            sessions(&mut conn, &lyon, 10, 3);
            sessions(&mut conn, &paris, 10, 5);
            sessions(&mut conn, &fixtures::rpps("1000000044"), 10, 2);
            national = Account::new(Role::AgentCpam, "cpam@exemple.fr")
                .signed_in(&mut conn)
                .1;
            rhone = Account::new(Role::AgentCpam, "cpam69@exemple.fr")
                .territory(Some("69"))
                .signed_in(&mut conn)
                .1;
            psy = fixtures::account(&mut conn, Role::Psychologue, "autre@exemple.fr").1;
            admin = fixtures::account(&mut conn, Role::Admin, "admin@exemple.fr").1;
        }
        let state = fixtures::state_with(
            &db,
            2,
            Options {
                today: Some(common::TODAY),
                ..Default::default()
            },
        );
        let audits = || {
            count(
                &db,
                "SELECT COUNT(*) FROM audit_log WHERE subject_kind = 'controle'",
            )
        };

        let page = get(&state, "/espace/cpam/controles?annee=2026", Some(&national));
        assert_eq!(page.status, StatusCode::OK, "{label}");
        let (at_paris, at_lyon) = (
            page.body.find(paris.as_str()).expect("Paris listed"),
            page.body.find(lyon.as_str()).expect("Lyon listed"),
        );
        assert!(at_paris < at_lyon, "{label}: largest share first");
        assert!(page.body.contains("50,0 %") && page.body.contains("30,0 %"));
        assert!(
            !page.body.contains("10000000440"),
            "{label}: 20 % is not above 20 %"
        );
        assert!(
            page.body.contains("2\u{a0}psychologues au-dessus de 20 %"),
            "{label}"
        );
        assert_eq!(audits(), 1, "{label}: the read is audited");

        // The Rhône's agent sees the psychologist conventioned by the CPAM of the Rhône only.
        let page = get(&state, "/espace/cpam/controles?annee=2026", Some(&rhone));
        assert!(
            page.body.contains(lyon.as_str()) && !page.body.contains(paris.as_str()),
            "{label}"
        );
        assert!(
            page.body.contains("1\u{a0}psychologue au-dessus"),
            "{label}"
        );
        // The same list as a file, linked from the page, in the command line's format.
        assert!(
            page.body
                .contains(r#"href="/espace/cpam/controles.csv?annee=2026""#),
            "{label}"
        );
        let file = get(
            &state,
            "/espace/cpam/controles.csv?annee=2026",
            Some(&rhone),
        );
        assert_eq!(file.status, StatusCode::OK, "{label}");
        assert_eq!(
            file.body,
            format!(
                "rpps,last_name,first_name,sessions,remote_sessions,remote_share_percent\n{lyon},Dubois,Claire,10,3,30.00\n"
            ),
            "{label}"
        );
        assert_eq!(
            get(&state, "/espace/cpam/controles.csv?annee=2026", Some(&psy)).status,
            StatusCode::FORBIDDEN,
            "{label}"
        );
        // Another year: none, said so.
        let page = get(&state, "/espace/cpam/controles?annee=2025", Some(&national));
        assert!(
            page.body
                .contains("Aucun psychologue au-dessus de 20 % de séances en visio en 2025")
        );

        let bad = get(
            &state,
            "/espace/cpam/controles?annee=deux-mille",
            Some(&national),
        );
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{label}");
        assert!(
            bad.body.contains(
                "Année invalide : choisissez une année de 2022 à 2026 (reçu « deux-mille »)."
            ),
            "{label} {}",
            bad.body
        );
        assert_eq!(
            bad.body.matches("Année invalide").count(),
            1,
            "said once: {}",
            bad.body
        );
        assert_eq!(
            get(&state, "/espace/cpam/controles", Some(&psy)).status,
            StatusCode::FORBIDDEN,
            "{label}"
        );
        // The journal reads these lines in French (stored codes unchanged).
        let journal = get(&state, "/espace/admin/journal", Some(&admin)).body;
        assert!(
            journal.contains("<td>contrôle visio-2025</td>")
                && journal.contains("cpam@exemple.fr — Agent de CPAM"),
            "{label} {journal}"
        );
    }
}
