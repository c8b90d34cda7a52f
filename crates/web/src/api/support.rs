//! Shims kept while the last area is converted to `AppError` (temporary).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiProblem {
    pub code: &'static str,
    pub message: String,
}

/// 415 unless the body is declared `application/json`: a cross-site form cannot send that
/// content type, which is what protects the cookie-authenticated JSON API from CSRF.
pub(crate) fn require_json(headers: &axum::http::HeaderMap) -> Result<(), Response> {
    let json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        Ok(())
    } else {
        Err(api_problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "type_invalide",
            "Le corps de la requête doit être du JSON (Content-Type: application/json).",
        ))
    }
}

pub(crate) fn api_problem(
    status: StatusCode,
    code: &'static str,
    message: impl Into<String>,
) -> Response {
    // Rendered as application/problem+json by the error middleware (temporary shim).
    crate::error::AppError::from(crate::error::Problem::new(status, code, message)).into_response()
}
