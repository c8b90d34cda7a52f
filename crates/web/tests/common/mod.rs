//! Test helpers: a demo directory on a fresh database, the router, requests; [`browser`] for the
//! real-browser tests. Each test binary uses only some of them, hence no dead-code warnings.
#![allow(dead_code)]

pub mod browser;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use jiff::civil::{Date, date};
use msp_store::testing::{self, TestDb};
use msp_web::{AppState, Options, app};
use tower::ServiceExt;

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
    msp_web::demo::load_directory_demo(&mut conn, TODAY).expect("demo loads");
    drop(conn);
    let pool = msp_store::open_pool(&db.url, 4).expect("pool");
    let state = AppState::new(
        pool,
        Options {
            today: Some(TODAY),
            edit_token: Some(TOKEN.into()),
            ..Default::default()
        },
    )
    .expect("state");
    TestApp { state, db }
}

pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub async fn send(state: &AppState, req: Request<Body>) -> Answer {
    let res = app(state.clone()).oneshot(req).await.expect("infallible");
    let status = res.status();
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        content_type,
        body: String::from_utf8(bytes.to_vec()).expect("UTF-8 body"),
    }
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
