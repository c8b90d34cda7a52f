//! The ceiling holds under concurrent HTTP requests (issue 6), on SQLite and PostgreSQL: many
//! psychologists record the same patient's sessions through `POST /api/seances` at the same
//! instant, on a multi-threaded runtime; exactly one gets the last session of the year, the
//! others are refused `PLAFOND` (or `MEME_JOUR` on the same day), and none fails.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::TODAY;
use common::fixtures::{account, beneficiary, conventioned_psychologist, rpps, state_with};
use common::http::respond;
use jiff::civil::{Date, date};
use msp_domain::Role;
use msp_store::testing::{self, TestDb};
use msp_web::{AppState, Options};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Adult, rights open since 2020.
const PATIENT: &str = "206127511100564";
const BIRTH: &str = "2006-12-05";
/// Conventioned psychologists recording at once.
const PSYCHOLOGISTS: usize = 4;
/// Concurrent requests for the twelfth session.
const REQUESTS: usize = 16;

struct Setup {
    db: TestDb,
    state: AppState,
    /// Session cookies of the conventioned psychologists.
    psychologists: Vec<String>,
}

/// `PSYCHOLOGISTS` conventioned psychologists with an open session, one known patient.
fn setup(db: TestDb) -> Setup {
    let mut conn = db.connect();
    let mut psychologists = Vec::new();
    for p in 0..PSYCHOLOGISTS {
        let (id, cookie, _csrf) =
            account(&mut conn, Role::Psychologue, &format!("psy{p}@example.org"));
        conventioned_psychologist(&mut conn, id, &rpps(&format!("100000004{p}")));
        psychologists.push(cookie);
    }
    beneficiary(&mut conn, PATIENT, BIRTH);
    drop(conn);
    // As `msp serve`: a pool of 8 connections, more than the runtime's worker threads.
    let state = state_with(
        &db,
        8,
        Options {
            today: Some(TODAY),
            ..Default::default()
        },
    );
    Setup {
        db,
        state,
        psychologists,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

/// One `POST /api/seances` on a clone of the router: status and JSON answer.
async fn record(
    state: &AppState,
    cookie: &str,
    day: Date,
    act: &str,
) -> (StatusCode, serde_json::Value) {
    let body = serde_json::json!({
        "nir": PATIENT, "date_naissance": BIRTH, "date_seance": day.to_string(), "acte": act,
        "consentement": true
    });
    let req = Request::post("/api/seances")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, format!("msp_session={cookie}"))
        .body(Body::from(body.to_string()))
        .unwrap();
    let a = respond(state, req).await;
    (a.status, a.json())
}

/// Fires every `(psychologist, day, act)` request at once (released together by a barrier) and
/// returns the answers in the same order, with the time from release to the last answer.
fn fire_together(
    rt: &tokio::runtime::Runtime,
    s: &Setup,
    requests: &[(usize, Date, &'static str)],
) -> (Vec<(StatusCode, serde_json::Value)>, Duration) {
    rt.block_on(async {
        let barrier = Arc::new(tokio::sync::Barrier::new(requests.len() + 1));
        let handles: Vec<_> = requests
            .iter()
            .map(|&(p, day, act)| {
                let (state, cookie) = (s.state.clone(), s.psychologists[p].clone());
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    barrier.wait().await;
                    record(&state, &cookie, day, act).await
                })
            })
            .collect();
        barrier.wait().await;
        let start = Instant::now();
        let mut answers = Vec::with_capacity(handles.len());
        for h in handles {
            answers.push(h.await.expect("request task panicked"));
        }
        (answers, start.elapsed())
    })
}

fn count(db: &TestDb, sql: &str, params: &[msp_store::Value]) -> i64 {
    db.connect().query_one(sql, params).unwrap().int(0).unwrap()
}

fn accepted_claims(db: &TestDb, year: i64) -> i64 {
    count(
        db,
        "SELECT COUNT(*) FROM claims WHERE nir = $1 AND session_year = $2 AND status = 'accepted'",
        &[PATIENT.into(), year.into()],
    )
}

fn year_counter(db: &TestDb, year: i64) -> i64 {
    count(
        db,
        "SELECT accepted FROM patient_years WHERE nir = $1 AND year = $2",
        &[PATIENT.into(), year.into()],
    )
}

#[test]
fn concurrent_psychologists_get_one_twelfth_session() {
    let rt = runtime();
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        let started = Instant::now();

        // Eleven accepted sessions this year, one a week from January, with two psychologists.
        for i in 0..11i64 {
            let day = date(2026, 1, 5) + jiff::Span::new().weeks(i);
            let act = if i == 0 { "EEP" } else { "APS" };
            let (status, j) =
                rt.block_on(record(&s.state, &s.psychologists[i as usize % 2], day, act));
            assert_eq!(status, StatusCode::CREATED, "{label}: {j}");
            assert_eq!(j["statut"], "acceptee", "{label}: {j}");
            assert_eq!(j["rang"], i + 1, "{label}: {j}");
        }
        assert_eq!(accepted_claims(&s.db, 2026), 11, "{label}");
        assert_eq!(year_counter(&s.db, 2026), 11, "{label}");
        let setup_time = started.elapsed();

        // Sixteen requests for the twelfth, from four psychologists, each on its own day.
        let requests: Vec<(usize, Date, &'static str)> = (0..REQUESTS)
            .map(|k| {
                let day = date(2026, 6, 1) + jiff::Span::new().days(k as i64);
                (k % PSYCHOLOGISTS, day, "APS")
            })
            .collect();
        let (answers, elapsed) = fire_together(&rt, &s, &requests);

        let failed: Vec<_> = answers
            .iter()
            .filter(|(status, _)| *status != StatusCode::CREATED)
            .collect();
        assert!(
            failed.is_empty(),
            "{label}: {} of {REQUESTS} requests failed: {failed:?}",
            failed.len()
        );
        let accepted: Vec<_> = answers
            .iter()
            .filter(|(_, j)| j["statut"] == "acceptee")
            .collect();
        assert_eq!(accepted.len(), 1, "{label}: {answers:?}");
        let (_, winner) = accepted[0];
        assert_eq!(winner["rang"], 12, "{label}: {winner}");
        assert_eq!(winner["apres"]["restantes"], 0, "{label}: {winner}");
        assert_eq!(winner["avant"]["utilisees"], 11, "{label}: {winner}");
        for (_, j) in answers.iter().filter(|(_, j)| j["statut"] != "acceptee") {
            assert_eq!(j["statut"], "refusee", "{label}: {j}");
            assert_eq!(j["motif"]["code"], "PLAFOND", "{label}: {j}");
            assert!(j["rang"].is_null(), "{label}: {j}");
            assert_eq!(j["apres"]["restantes"], 0, "{label}: {j}");
            // Judged after the winner (the ledger is locked before "before" is read).
            assert_eq!(j["avant"]["utilisees"], 12, "{label}: {j}");
        }
        let psychologists_answered: std::collections::BTreeSet<usize> =
            requests.iter().map(|&(p, _, _)| p).collect();
        assert!(psychologists_answered.len() >= 2);

        assert_eq!(accepted_claims(&s.db, 2026), 12, "{label}");
        assert_eq!(year_counter(&s.db, 2026), 12, "{label}");
        assert_eq!(
            count(
                &s.db,
                "SELECT COUNT(*) FROM claims WHERE nir = $1 AND session_year = 2026 AND status = 'rejected' AND reason = 'PLAFOND'",
                &[PATIENT.into()],
            ),
            REQUESTS as i64 - 1,
            "{label}: every refusal recorded"
        );
        assert_eq!(
            count(
                &s.db,
                "SELECT COUNT(*) FROM accepted_sessions WHERE nir = $1",
                &[PATIENT.into()]
            ),
            12,
            "{label}"
        );
        eprintln!(
            "{label}: 11 sequential sessions in {setup_time:.0?}; {REQUESTS} concurrent requests \
             from {PSYCHOLOGISTS} psychologists answered in {elapsed:.0?} (1 accepted, {} PLAFOND)",
            REQUESTS - 1
        );
    }
}

#[test]
fn same_day_from_two_psychologists_gives_one_session_and_one_meme_jour() {
    let rt = runtime();
    for db in testing::all() {
        let s = setup(db);
        let label = s.db.label;
        // Two rounds: the year's EEP, then an APS; each time every psychologist records the
        // patient's session on the same day at once.
        for (round, (day, act)) in [(date(2025, 3, 3), "EEP"), (date(2025, 3, 10), "APS")]
            .into_iter()
            .enumerate()
        {
            let requests: Vec<(usize, Date, &'static str)> =
                (0..PSYCHOLOGISTS).map(|p| (p, day, act)).collect();
            let (answers, elapsed) = fire_together(&rt, &s, &requests);
            assert!(
                answers.iter().all(|(st, _)| *st == StatusCode::CREATED),
                "{label}: {answers:?}"
            );
            let accepted: Vec<_> = answers
                .iter()
                .filter(|(_, j)| j["statut"] == "acceptee")
                .collect();
            assert_eq!(accepted.len(), 1, "{label}: {answers:?}");
            assert_eq!(accepted[0].1["rang"], round + 1, "{label}: {answers:?}");
            for (_, j) in answers.iter().filter(|(_, j)| j["statut"] != "acceptee") {
                assert_eq!(j["statut"], "refusee", "{label}: {j}");
                assert_eq!(j["motif"]["code"], "MEME_JOUR", "{label}: {j}");
            }
            eprintln!(
                "{label}: {PSYCHOLOGISTS} concurrent requests on {day} answered in {elapsed:.0?} \
                 (1 accepted, {} MEME_JOUR)",
                PSYCHOLOGISTS - 1
            );
        }
        assert_eq!(accepted_claims(&s.db, 2025), 2, "{label}");
        assert_eq!(year_counter(&s.db, 2025), 2, "{label}");
        assert_eq!(
            count(
                &s.db,
                "SELECT COUNT(*) FROM claims WHERE nir = $1 AND status = 'rejected' AND reason = 'MEME_JOUR'",
                &[PATIENT.into()],
            ),
            2 * (PSYCHOLOGISTS as i64 - 1),
            "{label}"
        );
    }
}
