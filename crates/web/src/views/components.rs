//! Components of the pages.

use maud::{Markup, html};

/// The kinds of notice, each with its own look and the ARIA role screen readers need: an error
/// or a warning interrupts (`alert`), a success or an information is announced politely
/// (`status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The action was done (« Séance acceptée », « Courrier valable »).
    Success,
    /// Something to know (« 9 séances restantes », a batch in progress).
    Info,
    /// Done or possible, with a consequence to heed (« la prochaine séance serait refusée »).
    Warning,
    /// Refused or impossible (« Séance refusée », a form with errors).
    Error,
}

impl Notice {
    pub fn class(self) -> &'static str {
        match self {
            Notice::Success => "notice notice-success",
            Notice::Info => "notice notice-info",
            Notice::Warning => "notice notice-warning",
            Notice::Error => "notice notice-error",
        }
    }

    pub fn role(self) -> &'static str {
        match self {
            Notice::Success | Notice::Info => "status",
            Notice::Warning | Notice::Error => "alert",
        }
    }

    /// What a screen reader says before the text (the colour alone tells nothing).
    pub fn label(self) -> &'static str {
        match self {
            Notice::Success => "Succès",
            Notice::Info => "Information",
            Notice::Warning => "Attention",
            Notice::Error => "Erreur",
        }
    }
}

/// A notice of a kind around `content`.
pub fn notice(kind: Notice, content: Markup) -> Markup {
    html! {
        div class=(kind.class()) role=(kind.role()) {
            span class="visually-hidden" { (kind.label()) " : " }
            (content)
        }
    }
}

/// A form field's error, as one `(field id, French message)`.
pub type Field<'a> = (&'a str, String);

/// Every error of a form at once, each linked to its field.
pub fn form_errors(intro: &str, errors: &[Field<'_>]) -> Markup {
    html! {
        @if !errors.is_empty() {
            (notice(Notice::Error, html! {
                p { (intro) }
                ul { @for (id, message) in errors { li { a href=(format!("#{id}")) { (message) } } } }
            }))
        }
    }
}

/// The message of `id`'s error, shown under its label, with the id `aria-describedby` names.
pub fn field_error(errors: &[Field<'_>], id: &str) -> Markup {
    html! {
        @if let Some((_, m)) = errors.iter().find(|(f, _)| *f == id) {
            p id=(format!("{id}-erreur")) class="field-error" { (m) }
        }
    }
}
