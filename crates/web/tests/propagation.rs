//! Two servers on one database: a directory change written by anyone — a suspension written
//! straight into the database as an import on the command line does, a card saved through the
//! other server — reaches both servers' search, card and FHIR within a second, with no restart
//! and long before the safety-net reload. Both engines (PostgreSQL through LISTEN/NOTIFY, SQLite
//! through the change counter); the delay measured is printed.

mod common;

use axum::http::StatusCode;
use common::TODAY;
use common::fixtures::state_with;
use common::http::get;
use msp_store::testing;
use msp_web::{AppState, Options};
use std::time::{Duration, Instant};

fn server(db: &testing::TestDb) -> AppState {
    let state = state_with(
        db,
        4,
        Options {
            today: Some(TODAY),
            db_url: Some(db.url.clone()),
            ..Default::default()
        },
    );
    state.watch_directory().unwrap();
    state
}

/// Waits until `done` holds on every server; the time it took.
fn within_a_second(
    servers: &[&AppState],
    what: &str,
    done: impl Fn(&AppState) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        if servers.iter().all(|s| done(s)) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{what}: not on every server after one second"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn directory_changes_reach_every_server_within_a_second() {
    for db in testing::all() {
        let mut conn = db.connect();
        msp_web::directory::demo::load_directory_demo(&mut conn, TODAY).unwrap();
        let (a, b) = (server(&db), server(&db));
        let listed = |s: &AppState, rpps: &str| {
            let rpps = msp_domain::Rpps::parse(rpps).unwrap();
            s.index()
                .get(rpps)
                .is_some_and(|e| e.listed.is_listed_on(TODAY))
        };
        let rpps = {
            let index = a.index();
            index
                .entries()
                .iter()
                .find(|e| e.listed.is_listed_on(TODAY))
                .unwrap()
                .listed
                .card
                .rpps
                .to_string()
        };
        assert!(listed(&a, &rpps) && listed(&b, &rpps));
        let card = format!("/psychologues/{rpps}");
        assert_eq!(get(&b, &card, None).status, StatusCode::OK);
        // An operator's import of a suspension, written by another process's connection.
        conn.execute(
            "INSERT INTO suspensions (rpps, from_date, to_date, reason) VALUES ($1, $2, NULL, 'contrôle')",
            &[rpps.as_str().into(), TODAY.into()],
        )
        .unwrap();
        let took = within_a_second(&[&a, &b], "suspension", |s| !listed(s, &rpps));
        eprintln!(
            "{}: suspension seen by both servers after {took:?}",
            db.label
        );
        assert_eq!(get(&b, &card, None).status, StatusCode::NOT_FOUND);
        let fhir = get(&b, &format!("/fhir/Practitioner/{rpps}"), None);
        assert_eq!(fhir.status, StatusCode::NOT_FOUND, "{}", fhir.body);
        // Lifted: back on both.
        conn.execute(
            "DELETE FROM suspensions WHERE rpps = $1",
            &[rpps.as_str().into()],
        )
        .unwrap();
        let took = within_a_second(&[&a, &b], "lifted suspension", |s| listed(s, &rpps));
        eprintln!("{}: lifted suspension seen after {took:?}", db.label);
        // A card saved through server A (its structure's name) shows on server B.
        let mut edited = a
            .index()
            .get(msp_domain::Rpps::parse(&rpps).unwrap())
            .unwrap()
            .listed
            .card
            .clone();
        edited.structure_name = Some("Maison de santé des Tilleuls".into());
        a.upsert_card(&edited).unwrap();
        let took = within_a_second(&[&b], "card edit", |s| {
            s.index()
                .get(msp_domain::Rpps::parse(&rpps).unwrap())
                .is_some_and(|e| {
                    e.listed.card.structure_name.as_deref() == Some("Maison de santé des Tilleuls")
                })
        });
        eprintln!(
            "{}: card edit seen by the other server after {took:?}",
            db.label
        );
        assert!(
            get(&b, &card, None)
                .body
                .contains("Maison de santé des Tilleuls")
        );
        drop((a, b));
    }
}
