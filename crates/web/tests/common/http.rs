//! Requests through the router and their answers. The synchronous helpers ([`send`], [`get`],
//! [`post_form`], [`post_json`], [`post_body`]) drive one request on the shared runtime
//! ([`block_on`]), so that the synchronous database client of the tests is never used inside it;
//! [`respond`] is the same for async code (the directory tests, concurrent requests).
//!
//! A session is given as its cookie: `None` sends the request signed out.

use super::block_on;
use axum::body::Body;
use axum::http::{HeaderName, Request, StatusCode, header};
use msp_web::{AppState, app};
use serde_json::Value;
use tower::ServiceExt;

/// What the router answered: the status, the headers the tests read, the body.
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub location: String,
    pub cache_control: String,
    /// `Retry-After` (a 429), empty when absent.
    pub retry_after: String,
    /// Every `Set-Cookie` header, in order.
    pub set_cookie: Vec<String>,
    /// The body as text, invalid UTF-8 replaced (PDF documents are not UTF-8).
    pub body: String,
    /// The body as sent.
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// The JSON body without its `request_id` (which differs from one request to the next),
    /// to compare two answers.
    pub fn json_without_request_id(&self) -> Value {
        let mut j = self.json();
        if let Some(o) = j.as_object_mut() {
            o.remove("request_id");
        }
        j
    }

    /// The French `detail` of a refusal (`application/problem+json`), after checking its status
    /// and code.
    pub fn problem(&self, status: StatusCode, code: &str) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        assert!(
            self.content_type.starts_with("application/problem+json"),
            "not a problem document: {} {}",
            self.content_type,
            self.body
        );
        let j = self.json();
        assert_eq!(j["code"], code, "{}", self.body);
        assert_eq!(j["status"], status.as_u16(), "{}", self.body);
        j["detail"].as_str().unwrap().to_owned()
    }
}

/// One request on a fresh router, read whole.
pub async fn respond(state: &AppState, req: Request<Body>) -> Answer {
    let res = app(state.clone()).oneshot(req).await.expect("infallible");
    let (parts, body) = res.into_parts();
    let header = |name: HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (content_type, location, cache_control, retry_after) = (
        header(header::CONTENT_TYPE),
        header(header::LOCATION),
        header(header::CACHE_CONTROL),
        header(header::RETRY_AFTER),
    );
    let set_cookie = parts
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status: parts.status,
        content_type,
        location,
        cache_control,
        retry_after,
        set_cookie,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
    }
}

pub fn send(state: &AppState, req: Request<Body>) -> Answer {
    block_on(respond(state, req))
}

/// Adds the session cookie, if any.
fn signed(req: axum::http::request::Builder, cookie: Option<&str>) -> axum::http::request::Builder {
    match cookie {
        Some(c) => req.header(header::COOKIE, format!("msp_session={c}")),
        None => req,
    }
}

pub fn get(state: &AppState, uri: &str, cookie: Option<&str>) -> Answer {
    send(
        state,
        signed(Request::get(uri), cookie)
            .body(Body::empty())
            .unwrap(),
    )
}

/// A POST of `body` as `content_type`.
pub fn post_body(
    state: &AppState,
    uri: &str,
    cookie: Option<&str>,
    content_type: &str,
    body: impl Into<Body>,
) -> Answer {
    let req = signed(Request::post(uri), cookie).header(header::CONTENT_TYPE, content_type);
    send(state, req.body(body.into()).unwrap())
}

/// A form POST (`application/x-www-form-urlencoded`); the form carries its own `_csrf`.
pub fn post_form(
    state: &AppState,
    uri: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> Answer {
    let body = serde_urlencoded::to_string(form).unwrap();
    post_body(
        state,
        uri,
        cookie,
        "application/x-www-form-urlencoded",
        body,
    )
}

/// A JSON POST (`application/json`).
pub fn post_json(state: &AppState, uri: &str, cookie: Option<&str>, body: Value) -> Answer {
    post_body(state, uri, cookie, "application/json", body.to_string())
}
