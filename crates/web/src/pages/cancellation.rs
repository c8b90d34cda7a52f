//! Cancelling a session recorded by mistake: the form on the session page and its handler
//! (`POST /espace/seances/{id}/annulation`, the psychologist who recorded it or a CPAM agent).
//! The action is [`crate::services::cancellation::cancel_session`]; the JSON twin is in
//! [`crate::api::sessions`].

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{CsrfForm, CurrentUser};
use crate::paths;
use crate::services::cancellation;
use crate::services::sessions::SessionRead;
use crate::views::{Notice, notice};
use axum::extract::{Path, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

/// The cancellation form as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CancelForm {
    pub motif: String,
}

/// `POST /espace/seances/{id}/annulation`.
pub async fn cancel_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<CancelForm>,
) -> AppResult<Redirect> {
    cancellation::cancel_session(&state, &user, &id, &form.motif)
        .await
        .map_err(|e| match e {
            AppError::Forbidden(_) => e,
            other => other.titled("Annulation refusée"),
        })?;
    Ok(Redirect::to(&paths::session(&id)))
}

/// On the session page: the cancellation if there was one, else the form to cancel it for
/// those who may.
pub fn section(user: &CurrentUser, read: &SessionRead) -> Markup {
    if let Some(c) = &read.cancellation {
        return notice(
            Notice::Info,
            html! {
                p { strong { "Séance annulée" } " le " (c.at.strftime("%d/%m/%Y")) " par " (c.by) " : " (c.motive) }
                p { "Elle ne compte plus dans les séances de l’année du patient et n’est pas remboursée." }
            },
        );
    }
    if !read.cancellable_by(user) {
        return html! {};
    }
    html! {
        details {
            summary { "Annuler cette séance (saisie par erreur)" }
            form method="post" action=(paths::cancellation(&read.line.claim_id)) {
                input type="hidden" name="_csrf" value=(user.csrf);
                p { "Seule la séance la plus récente du patient dans l’année peut être annulée. L’annulation est journalisée." }
                label for="motif" { "Motif de l’annulation" }
                input id="motif" name="motif" type="text" required minlength="5" maxlength="200";
                button type="submit" { "Annuler la séance" }
            }
        }
    }
}
