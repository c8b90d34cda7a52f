//! Test helpers: a demo directory on a fresh database, the router, requests ([`http`]), the data
//! of the pathway tests ([`fixtures`]); [`browser`] for the real-browser tests. Each test binary
//! uses only some of them, hence no dead-code warnings.
#![allow(dead_code)]

pub mod browser;
pub mod fixtures;
pub mod http;
pub mod oidc;

pub use http::Answer;

use axum::body::Body;
use axum::http::Request;
use jiff::civil::{Date, date};
use msp_store::testing::{self, TestDb};
use msp_web::{AppState, Options};

pub const TODAY: Date = date(2026, 11, 23);
pub const TOKEN: &str = "jeton-de-test";

pub struct TestApp {
    pub state: AppState,
    pub db: TestDb,
}

/// A demo directory on a fresh SQLite database, "today" fixed.
pub fn demo_app() -> TestApp {
    demo_app_on(testing::sqlite())
}

pub fn demo_app_on(db: TestDb) -> TestApp {
    let mut conn = db.connect();
    msp_web::directory::demo::load_directory_demo(&mut conn, TODAY).expect("demo loads");
    drop(conn);
    let state = fixtures::state_with(
        &db,
        4,
        Options {
            today: Some(TODAY),
            edit_token: Some(TOKEN.into()),
            ..Default::default()
        },
    );
    TestApp { state, db }
}

/// One request on a fresh router (async tests); the body must be UTF-8.
pub async fn send(state: &AppState, req: Request<Body>) -> Answer {
    let answer = http::respond(state, req).await;
    if let Err(e) = std::str::from_utf8(&answer.bytes) {
        panic!("UTF-8 body: {e}");
    }
    answer
}

pub async fn get(state: &AppState, uri: &str) -> Answer {
    send(state, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// Drives one request on a shared runtime; the tests themselves are synchronous, so that the
/// synchronous PostgreSQL client is never used nor dropped inside the runtime.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
    .block_on(f)
}

/// Ends the whole test process, naming `what` and what `state` says, if the guard is still alive
/// after `limit`: a browser or provider that stops answering fails CI at once, with what it was
/// doing, instead of holding it for hours.
pub struct Watchdog(#[allow(dead_code)] std::sync::mpsc::Sender<()>);

pub fn watchdog(
    what: &str,
    limit: std::time::Duration,
    state: impl Fn() -> String + Send + 'static,
) -> Watchdog {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let what = what.to_owned();
    std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
            eprintln!(
                "{what}: still running after {} s, the test process stops. {}",
                limit.as_secs(),
                state()
            );
            std::process::exit(3);
        }
    });
    Watchdog(tx)
}
