//! Rendering the [`AppError`] a handler or an extractor returned, once, by where the request
//! went: a problem document under `/api`, a French page in the one layout elsewhere (the
//! signed-in person's menu kept), a redirection to the sign-in page for a missing session. Every
//! request gets an id, echoed in `X-Request-Id` and logged with internal causes.

use super::{AppError, Pending, SignedOut, problem_response};
use crate::extract::{CurrentUser, UserSlot};
use crate::views::{self, Notice};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use std::sync::Arc;

/// The page rendering of an error.
fn page_response(error: &AppError, user: Option<&CurrentUser>, request_id: &str) -> Response {
    if let AppError::Unauthenticated(why) = error {
        return match why {
            SignedOut::Missing => Redirect::to(crate::paths::SIGN_IN).into_response(),
            SignedOut::MustChangePassword => Redirect::to(crate::paths::PASSWORD).into_response(),
            SignedOut::Expired => {
                let mut res = Redirect::to(crate::paths::SIGN_IN_EXPIRED).into_response();
                res.headers_mut()
                    .append(header::SET_COOKIE, crate::extract::expired_session_cookie());
                res
            }
        };
    }
    let p = error.problem();
    let title = p.title.as_deref().unwrap_or(match p.status {
        StatusCode::NOT_FOUND => "Page introuvable",
        StatusCode::FORBIDDEN => "Accès refusé",
        StatusCode::CONFLICT => "Action impossible",
        s if s.is_server_error() => "Erreur",
        _ => "Demande invalide",
    });
    let back = if user.is_some() {
        (crate::paths::SPACE, "Retour à mon espace")
    } else {
        ("/", "Retour à l’accueil")
    };
    let body = html! {
        h1 { (title) }
        (views::notice(Notice::Error, html! {
            p { (p.message) }
            // A field's detail that only repeats the message is not printed twice.
            @let details: Vec<&str> = p.fields.iter().map(|f| f.detail.as_str()).filter(|d| *d != p.message).collect();
            @if !details.is_empty() {
                ul { @for d in details { li { (d) } } }
            }
            @if p.status.is_server_error() {
                p class="hint" { "Référence à communiquer au support : " code { (request_id) } }
            }
        }))
        p {
            a href=(back.0) { (back.1) }
            @if user.is_none() { " · " a href="/recherche" { "Rechercher un psychologue" } }
        }
    };
    (
        p.status,
        [(header::CACHE_CONTROL, "no-store")],
        views::layout(&views::Frame::new(user, title), body),
    )
        .into_response()
}

/// The request's identifier: the proxy's `X-Request-Id` when it is a short plain token, else
/// a new random one.
#[derive(Clone)]
pub struct RequestId(pub Arc<str>);

pub const REQUEST_ID: &str = "x-request-id";

fn request_id_of(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| crate::security::random_token()[..16].to_owned())
}

/// Middleware: gives every request an id (echoed in `X-Request-Id`) and renders the
/// [`AppError`] a handler or an extractor returned, as a problem for `/api` and as a page
/// elsewhere. Internal causes are logged here, with the request id.
pub async fn render_errors(mut req: Request, next: Next) -> Response {
    let id = request_id_of(&req);
    let api = {
        let path = req.uri().path();
        path == "/api" || path.starts_with("/api/")
    };
    let slot = UserSlot::default();
    req.extensions_mut().insert(slot.clone());
    req.extensions_mut().insert(RequestId(id.as_str().into()));
    let mut res = next.run(req).await;
    if let Some(Pending(error)) = res.extensions_mut().remove::<Pending>() {
        if let AppError::Internal(cause) = &*error {
            tracing::error!(request_id = %id, %cause, "internal error");
        }
        let headers = std::mem::take(res.headers_mut());
        res = if api {
            problem_response(&error, &id)
        } else {
            page_response(&error, slot.get().as_ref(), &id)
        };
        if let Some(seconds) = error.problem().retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.get()));
        }
        // Headers set by the handler next to the error (cookies, cache) are kept.
        for (name, value) in headers.iter() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                res.headers_mut().append(name.clone(), value.clone());
            }
        }
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    res
}
