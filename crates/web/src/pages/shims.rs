//! Temporary shims that keep the areas not yet converted to the web foundation compiling
//! (re-exported from `pages::auth`); the lead removes this module once every area uses
//! `AppError`, the extractors and `state.db`. They answer `Response` errors, hence the allowance.
#![allow(clippy::result_large_err)]

use crate::AppState;
use crate::error::AppError;
use crate::extract::{CurrentUser, csrf_refused};
use axum::response::{IntoResponse, Response};
use msp_domain::Role;
use msp_store::{Db, StoreError};
use std::collections::HashMap;

/// An unexpected failure, as a response (logged by the error middleware).
pub fn internal(cause: &dyn std::fmt::Display) -> Response {
    AppError::internal(cause).into_response()
}

/// Runs store work on the blocking pool; store refusals become French pages.
pub async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut Db) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Response> {
    state.db(f).await.map_err(IntoResponse::into_response)
}

impl CurrentUser {
    /// Refuses (403) unless the account has one of these roles.
    pub fn require(&self, roles: &[Role]) -> Result<(), Response> {
        if roles.contains(&self.account.role) {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "acces_refuse",
                format!(
                    "Cette page n’est pas accessible avec un compte « {} ».",
                    self.account.role.label_fr()
                ),
            )
            .into_response())
        }
    }

    /// [`CurrentUser::check_csrf`] on a parsed form.
    pub fn check_form(&self, form: &HashMap<String, String>) -> Result<(), Response> {
        self.check_csrf(form.get("_csrf").map(String::as_str))
            .map_err(IntoResponse::into_response)
    }
}

pub fn capitalize(s: &str) -> String {
    crate::views::sentence(s)
}

pub fn csrf_refusal(_user: Option<&CurrentUser>) -> Response {
    csrf_refused().into_response()
}
