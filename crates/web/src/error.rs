//! Errors shown to people and programs: one [`Problem`] (status, stable code, French message,
//! places to propose), rendered as an HTML page, a JSON body or a FHIR `OperationOutcome`
//! depending on where it happened. Internal causes are logged, never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A place proposed instead of an unknown or ambiguous one.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    /// « Lyon (69) ».
    pub libelle: String,
    /// INSEE code to search with.
    pub insee: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub status: StatusCode,
    /// Stable machine code, e.g. `lieu_inconnu`, `rayon_invalide`.
    pub code: &'static str,
    /// French message for people.
    pub message: String,
    pub suggestions: Vec<Suggestion>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            status,
            code,
            message: message.into(),
            suggestions: Vec::new(),
        }
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
            "Une erreur interne est survenue. Réessayez dans quelques instants.",
        )
    }

    pub fn with_suggestions(mut self, suggestions: Vec<Suggestion>) -> Problem {
        self.suggestions = suggestions;
        self
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

/// JSON body of an API error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiErrorBody {
    pub erreur: ApiErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiErrorDetail {
    /// Stable code: `lieu_inconnu`, `lieu_ambigu`, `rayon_invalide`, `page_inexistante`, ...
    pub code: String,
    /// Message in French, for people.
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<Suggestion>,
}

/// A problem answered as JSON (`/api`).
#[derive(Debug)]
pub struct ApiError(pub Problem);

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        ApiError(p)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let p = self.0;
        (
            p.status,
            axum::Json(ApiErrorBody {
                erreur: ApiErrorDetail {
                    code: p.code.to_owned(),
                    message: p.message,
                    suggestions: p.suggestions,
                },
            }),
        )
            .into_response()
    }
}
