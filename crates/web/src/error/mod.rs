//! One error type for the web layer: [`AppError`]. Handlers and services return it with `?`;
//! it is rendered once, by [`render::render_errors`], according to where the request went:
//!
//! - `/api/…`: `application/problem+json` (RFC 9457) with a stable `code`, a French `detail`
//!   naming what to fix, the fields at fault and the request id;
//! - every other path: a French page in the one layout (the signed-in person's menu kept), and
//!   for a missing session a redirection to the sign-in page;
//! - `/fhir` answers its own `OperationOutcome` (see `directory::fhir`).
//!
//! Internal causes are logged with the request id, never sent.

pub mod render;

use crate::views;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use msp_store::StoreError;
use serde::Serialize;
use std::sync::Arc;

/// A place proposed instead of an unknown or ambiguous one.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    /// « Lyon (69) ».
    pub libelle: String,
    /// INSEE code to search with.
    pub insee: String,
}

/// One field at fault and what to fix in it, in French.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Name of the field as sent (`nir`, `adresses[1].code_postal`, …).
    pub champ: String,
    /// What is wrong and how to fix it.
    pub detail: String,
}

/// What went wrong, for people and programs: status, stable code, French message, the fields
/// at fault and places to propose.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub status: StatusCode,
    /// Stable machine code, e.g. `lieu_inconnu`, `rayon_invalide`.
    pub code: &'static str,
    /// French message for people.
    pub message: String,
    pub fields: Vec<FieldError>,
    pub suggestions: Vec<Suggestion>,
    /// The heading of the error page, when more precise than the status's (« Séance
    /// introuvable »).
    pub title: Option<String>,
    /// Seconds before trying again, sent as `Retry-After` (a 429); four bytes, so the
    /// problem stays as small as before.
    pub retry_after: Option<std::num::NonZeroU32>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
            suggestions: Vec::new(),
            title: None,
            retry_after: None,
        }
    }

    /// The heading of the error page.
    pub fn titled(mut self, title: impl Into<String>) -> Problem {
        self.title = Some(title.into());
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, code, message)
    }

    /// An unexpected failure: logged with its cause, shown without it.
    pub fn internal(cause: &dyn std::fmt::Display) -> Problem {
        tracing::error!(%cause, "internal error");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "erreur_interne",
            INTERNAL_MESSAGE,
        )
    }

    pub fn with_suggestions(mut self, suggestions: Vec<Suggestion>) -> Problem {
        self.suggestions = suggestions;
        self
    }
}

const INTERNAL_MESSAGE: &str = "Une erreur interne est survenue. Réessayez dans quelques instants.";

/// Why nobody counts as signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedOut {
    /// No session cookie.
    Missing,
    /// A session that ended or that the store no longer knows.
    Expired,
    /// Signed in, but an administrator reset the password: it must be changed first.
    MustChangePassword,
}

/// Every error of the web layer.
#[derive(Debug, Clone)]
pub enum AppError {
    /// No usable session: pages go to the sign-in page, the API answers 401.
    Unauthenticated(SignedOut),
    /// Signed in, but not allowed (role, territory, someone else's data): 403.
    Forbidden(Problem),
    /// 404.
    NotFound(Problem),
    /// The request cannot be accepted as sent (400, 413, 415, 422, 429): the message and the
    /// fields say what to fix.
    Rejected(Problem),
    /// The request is valid but the state does not allow it (already done, not the newest…): 409.
    Conflict(Problem),
    /// A failure of ours; the cause is logged with the request id, never shown.
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::Forbidden(Problem::new(StatusCode::FORBIDDEN, code, message))
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::NotFound(Problem::new(StatusCode::NOT_FOUND, code, message))
    }

    /// 422: the content of the request is wrong.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::Rejected(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            message,
        ))
    }

    /// A refusal with another 4xx status (400, 413, 415, 429).
    pub fn rejected(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> AppError {
        AppError::Rejected(Problem::new(status, code, message))
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::Conflict(Problem::new(StatusCode::CONFLICT, code, message))
    }

    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        AppError::Internal(cause.to_string())
    }

    /// The field at fault (added to the problem's list).
    pub fn field(self, champ: &str) -> AppError {
        self.map_problem(|mut p| {
            let detail = p.message.clone();
            p.fields.push(FieldError {
                champ: champ.to_owned(),
                detail,
            });
            p
        })
    }

    /// Tells when to try again (`Retry-After`, in seconds).
    pub fn retry_after(self, seconds: u64) -> AppError {
        let seconds = u32::try_from(seconds).unwrap_or(u32::MAX).max(1);
        self.map_problem(|mut p| {
            p.retry_after = std::num::NonZeroU32::new(seconds);
            p
        })
    }

    /// Every field at fault at once (forms and bodies are checked whole).
    pub fn fields(self, fields: Vec<FieldError>) -> AppError {
        self.map_problem(|mut p| {
            p.fields.extend(fields);
            p
        })
    }

    /// The heading of the error page (« Séance introuvable »).
    pub fn titled(self, title: &str) -> AppError {
        self.map_problem(|p| p.titled(title))
    }

    fn map_problem(self, f: impl FnOnce(Problem) -> Problem) -> AppError {
        match self {
            AppError::Forbidden(p) => AppError::Forbidden(f(p)),
            AppError::NotFound(p) => AppError::NotFound(f(p)),
            AppError::Rejected(p) => AppError::Rejected(f(p)),
            AppError::Conflict(p) => AppError::Conflict(f(p)),
            other => other,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Forbidden(p)
            | AppError::NotFound(p)
            | AppError::Rejected(p)
            | AppError::Conflict(p) => p.status,
        }
    }

    /// The problem as people and programs read it (the cause of an internal error left out).
    pub fn problem(&self) -> Problem {
        match self {
            AppError::Unauthenticated(why) => Problem::new(
                StatusCode::UNAUTHORIZED,
                "non_authentifie",
                match why {
                    SignedOut::MustChangePassword => {
                        "Mot de passe provisoire : changez-le d’abord dans l’espace (/espace/mot-de-passe), puis reconnectez-vous."
                    }
                    SignedOut::Expired => {
                        "Session expirée : connectez-vous de nouveau (/connexion ou POST /api/connexion)."
                    }
                    SignedOut::Missing => {
                        "Pas de session ouverte : connectez-vous (/connexion ou POST /api/connexion)."
                    }
                },
            ),
            AppError::Internal(_) => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "erreur_interne",
                INTERNAL_MESSAGE,
            ),
            AppError::Forbidden(p)
            | AppError::NotFound(p)
            | AppError::Rejected(p)
            | AppError::Conflict(p) => p.clone(),
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Internal(cause) => write!(f, "erreur interne : {cause}"),
            other => f.write_str(&other.problem().message),
        }
    }
}

impl From<Problem> for AppError {
    fn from(p: Problem) -> AppError {
        match p.status {
            StatusCode::FORBIDDEN => AppError::Forbidden(p),
            StatusCode::NOT_FOUND => AppError::NotFound(p),
            StatusCode::CONFLICT => AppError::Conflict(p),
            s if s.is_server_error() => AppError::Internal(p.message),
            _ => AppError::Rejected(p),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::Conflict(m) => AppError::conflict("conflit", views::sentence(&m)),
            StoreError::Invalid(m) => AppError::invalid("demande_invalide", views::sentence(&m)),
            other => AppError::internal(other),
        }
    }
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> AppError {
        AppError::internal(e)
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> AppError {
        AppError::internal(e)
    }
}

impl From<msp_geo::PlaceError> for Problem {
    fn from(e: msp_geo::PlaceError) -> Problem {
        use msp_geo::PlaceError as E;
        let message = e.to_string();
        let to_suggestions = |list: &[msp_geo::Commune]| {
            list.iter()
                .map(|c| Suggestion {
                    libelle: c.label(),
                    insee: c.insee.clone(),
                })
                .collect()
        };
        match &e {
            E::Empty => Problem::bad_request("lieu_absent", message),
            E::Unknown { suggestions, .. } => Problem::not_found("lieu_inconnu", message)
                .with_suggestions(to_suggestions(suggestions)),
            E::Ambiguous { candidates, .. } => Problem::bad_request("lieu_ambigu", message)
                .with_suggestions(to_suggestions(candidates)),
            E::BadCoordinates(_) => Problem::bad_request("coordonnees_invalides", message),
            E::OutOfTerritory { .. } => Problem::bad_request("hors_territoire", message),
        }
    }
}

impl From<msp_geo::PlaceError> for AppError {
    fn from(e: msp_geo::PlaceError) -> AppError {
        Problem::from(e).into()
    }
}

/// The error waiting in a response for [`render::render_errors`].
#[derive(Clone)]
pub(crate) struct Pending(pub(crate) Arc<AppError>);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut res = self.status().into_response();
        res.extensions_mut().insert(Pending(Arc::new(self)));
        res
    }
}

// Lets `?` turn an error into the response of a handler that still answers `Response`.
impl From<AppError> for Response {
    fn from(e: AppError) -> Response {
        e.into_response()
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        AppError::from(self).into_response()
    }
}

/// The JSON body of every `/api` error (`application/problem+json`, RFC 9457).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemJson {
    /// `urn:msp:probleme:` followed by the code.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short French title of the kind of problem (« Demande invalide », « Accès refusé »…).
    pub title: String,
    pub status: u16,
    /// What is wrong and what to do, in French.
    pub detail: String,
    /// Stable machine code: `non_authentifie`, `acces_refuse`, `json_invalide`, `champ_inconnu`,
    /// `lieu_inconnu`, `seance_invalide`…
    pub code: String,
    /// The fields at fault, each with what to fix.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub erreurs: Vec<FieldError>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<Suggestion>,
    /// The request's identifier (also in `X-Request-Id`), to quote to the support.
    pub request_id: String,
}

pub const PROBLEM_JSON: &str = "application/problem+json";

fn title_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "Connexion nécessaire",
        StatusCode::FORBIDDEN => "Accès refusé",
        StatusCode::NOT_FOUND => "Introuvable",
        StatusCode::CONFLICT => "Action impossible",
        StatusCode::TOO_MANY_REQUESTS => "Trop de tentatives",
        StatusCode::PAYLOAD_TOO_LARGE => "Envoi trop volumineux",
        s if s.is_server_error() => "Erreur interne",
        _ => "Demande invalide",
    }
}

/// The `/api` rendering of an error.
pub fn problem_response(error: &AppError, request_id: &str) -> Response {
    let p = error.problem();
    let body = ProblemJson {
        type_: format!("urn:msp:probleme:{}", p.code),
        title: title_of(p.status).to_owned(),
        status: p.status.as_u16(),
        detail: p.message,
        code: p.code.to_owned(),
        erreurs: p.fields,
        suggestions: p.suggestions,
        request_id: request_id.to_owned(),
    };
    (
        p.status,
        [
            (header::CONTENT_TYPE, PROBLEM_JSON),
            (header::CACHE_CONTROL, "no-store"),
        ],
        serde_json::to_string(&body).unwrap_or_default(),
    )
        .into_response()
}
