//! Cancelling a session recorded by mistake: the form on the session page (its handler,
//! `POST /espace/seances/{id}/annulation`, is in [`crate::pages::sessions`], beside the page it
//! shows again when refused).
//! The action is [`crate::services::cancellation::cancel_session`]; the JSON twin is in
//! [`crate::api::sessions`].

use crate::extract::CurrentUser;
use crate::paths;
use crate::services::sessions::SessionRead;
use crate::views::sessions::euros;
use crate::views::{Notice, notice, paris_date_time};
use maud::{Markup, html};
use msp_domain::Role;
use msp_domain::french::{Gender, ordinal};
use serde::Deserialize;

/// The cancellation form as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CancelForm {
    pub motif: String,
}

/// A cancellation sent and refused: the motive as typed and why, shown in the open form.
#[derive(Debug, Clone)]
pub struct CancelSent {
    pub motive: String,
    pub error: String,
}

/// On the session page: the cancellation if there was one, else the form to cancel it for
/// those who may.
pub fn section(user: &CurrentUser, read: &SessionRead, sent: Option<&CancelSent>) -> Markup {
    if let Some(c) = &read.cancellation {
        let patient = user.role() == Role::Patient;
        return notice(
            Notice::Warning,
            html! {
                p { strong { "Séance annulée" } " le " (paris_date_time(c.at)) " par " (c.by) " : " (c.motive) }
                @if let Some(p) = read.line.decision.payment() {
                    p { "Elle avait été acceptée comme " (ordinal(u64::from(p.rank), Gender::Feminine)) " séance de l’année. L’annulation reprend :" }
                    ul {
                        li { "la séance : elle ne compte plus dans les séances de l’année " @if patient { "et vous la retrouvez dans vos séances restantes" } @else { "du patient" } " ;" }
                        li { "l’assurance maladie : " (euros(p.amo)) " non versés ;" }
                        li { "la complémentaire : " (euros(p.complementary)) " non versés ;" }
                        @if p.state.0 > 0 { li { "l’État (AME) : " (euros(p.state)) " non versés ;" } }
                        li { @if patient { "votre reste à charge : " } @else { "le reste à charge du patient : " } (euros(p.patient)) "." }
                    }
                    p { "Aucune somme n’est due au titre de cette séance." }
                }
            },
        );
    }
    if !read.cancellable_by(user) {
        return html! {};
    }
    html! {
        details open[sent.is_some()] {
            summary { "Annuler cette séance (saisie par erreur)" }
            @if let Some(s) = sent {
                (notice(Notice::Error, html! { p { strong { "Annulation refusée : " } (s.error) } }))
            }
            form method="post" action=(paths::cancellation(&read.line.claim_id)) {
                input type="hidden" name="_csrf" value=(user.csrf);
                p { "Seule la séance la plus récente du patient dans l’année peut être annulée. L’annulation est journalisée." }
                label for="motif" { "Motif de l’annulation" }
                input id="motif" name="motif" type="text" required minlength="5" maxlength="200"
                    value=(sent.map_or("", |s| s.motive.as_str()))
                    aria-invalid=[sent.map(|_| "true")];
                button type="submit" { "Annuler la séance" }
            }
        }
    }
}
