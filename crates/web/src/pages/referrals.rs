//! Referral letters (courriers d'adressage, SPEC §6): doctors and midwives issue them, each gets
//! a short verification code and a printable PDF; psychologists check a code against a session
//! date. A letter never states a number of sessions (the form has no such field). The actions
//! are [`crate::services::referrals`]'; this module reads the forms and renders.
//!
//! | Route | Who |
//! |---|---|
//! | `GET /espace/adressages` | médecin, sage-femme: the form and the letters they issued |
//! | `POST /espace/adressages` | médecin, sage-femme: issues a letter |
//! | `GET /espace/adressages/{code}/pdf` | the letter's issuer |
//! | `GET`, `POST /espace/adressages/verifier` | psychologue: code + session date → valid or not, why |

use crate::AppState;
use crate::error::{AppError, AppResult, FieldError};
use crate::extract::{CsrfForm, CurrentUser, Prescriber, Psychologist};
use crate::paths;
use crate::services::audit::Via;
use crate::services::referrals::{self, LetterCheck, NewLetter, Verification, fields};
use crate::views::{self, Field, Frame, Notice, date_fr, field_error, form_errors, notice};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use msp_domain::Sex;
use msp_domain::referral::{CONTEXTS, context_label};
use msp_store::pathway::Letter;
use serde::Deserialize;

// Names the sessions area still imports from here (pages/sessions.rs, api/sessions.rs); they
// go once it reads them from `msp_domain::referral`.
pub use msp_domain::referral::{CODE_ALPHABET, display_code, letter_validity};

/// The canonical code from what was typed, the refusal in French (see
/// [`msp_domain::referral::parse_code`]).
pub fn parse_code(typed: &str) -> Result<String, String> {
    msp_domain::referral::parse_code(typed).map_err(|e| e.to_string())
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::LETTERS, get(letters_page).post(issue))
        .route(paths::LETTER_CHECK, get(verify_page).post(verify))
        .route(paths::LETTER_PDF_ROUTE, get(letter_pdf))
}

/// The letter form as sent (`_csrf` aside).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct LetterForm {
    patient_nom: String,
    nir: String,
    date: String,
    contexte: String,
}

impl From<LetterForm> for NewLetter {
    fn from(f: LetterForm) -> NewLetter {
        NewLetter {
            patient_name: f.patient_nom,
            nir: f.nir,
            date: Some(f.date),
            context: Some(f.contexte),
        }
    }
}

/// The verification form as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct VerifyForm {
    code: String,
    date: String,
}

/// The errors of a refused form, on the form's field ids (`rename` maps the service's field
/// names to them); any other refusal goes on as it is.
fn form_refusal<'a>(e: AppError, rename: &[(&str, &'a str)]) -> AppResult<Vec<Field<'a>>> {
    match e {
        AppError::Rejected(p) if !p.fields.is_empty() => Ok(p
            .fields
            .into_iter()
            .map(|FieldError { champ, detail }| {
                let id = rename
                    .iter()
                    .find(|(from, _)| *from == champ)
                    .map_or("", |(_, to)| *to);
                (id, detail)
            })
            .collect()),
        other => Err(other),
    }
}

const LETTER_FIELDS: [(&str, &str); 4] = [
    (fields::PATIENT_NAME, "patient_nom"),
    (fields::NIR, "nir"),
    (fields::DATE, "date"),
    (fields::CONTEXT, "contexte"),
];

const CHECK_FIELDS: [(&str, &str); 2] = [(fields::CODE, "code"), (fields::SESSION_DATE, "date")];

/// `?emis=CODE`: the letter just issued, confirmed above the form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct IssuedQuery {
    emis: String,
}

async fn letters_page(
    State(state): State<AppState>,
    who: Prescriber,
    Query(q): Query<IssuedQuery>,
) -> AppResult<Response> {
    let letters = referrals::prescriber_letters(&state, &who, Via::Page).await?;
    let form = LetterForm {
        date: state.today().to_string(),
        ..LetterForm::default()
    };
    // Only one of the prescriber's own letters is confirmed (the list is theirs).
    let issued = letters
        .iter()
        .find(|l| !q.emis.is_empty() && l.code == q.emis);
    let body = letters_view(&who, &letters, &form, &[], state.today());
    Ok(match issued {
        Some(l) => views::layout(
            &Frame::new(Some(&who.user), "Courriers d’adressage"),
            html! { (issued_view(l)) (body) },
        )
        .into_response(),
        None => views::layout(&Frame::new(Some(&who.user), "Courriers d’adressage"), body)
            .into_response(),
    })
}

/// The confirmation of a letter just issued: its code, its patient and the PDF to print.
fn issued_view(l: &Letter) -> Markup {
    notice(
        Notice::Success,
        html! {
            p { strong { "Courrier émis." } " Courrier d’adressage du " (date_fr(l.letter_date)) " pour " (l.patient_name) ", code de vérification " code { (display_code(&l.code)) } "." }
            p { a href=(paths::letter_pdf(&l.code)) { "Imprimez le courrier (PDF)" } " et remettez-le au patient : le psychologue le vérifiera avec ce code." }
        },
    )
}

async fn issue(
    State(state): State<AppState>,
    who: Prescriber,
    CsrfForm(form): CsrfForm<LetterForm>,
) -> AppResult<Response> {
    match referrals::issue_letter(&state, &who, form.clone().into(), Via::Page).await {
        Ok(l) => Ok(Redirect::to(&format!("{}?emis={}", paths::LETTERS, l.code)).into_response()),
        Err(e) => {
            let errors = form_refusal(e, &LETTER_FIELDS)?;
            let letters = referrals::prescriber_letters(&state, &who, Via::Page).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                views::layout(
                    &Frame::new(Some(&who.user), "Courriers d’adressage"),
                    letters_view(&who, &letters, &form, &errors, state.today()),
                ),
            )
                .into_response())
        }
    }
}

/// One labelled input showing its error.
fn input(
    id: &str,
    label: &str,
    kind: &str,
    value: &str,
    errors: &[Field<'_>],
    extra: Markup,
) -> Markup {
    let wrong = errors.iter().any(|(f, _)| *f == id);
    html! {
        div class="field" {
            label for=(id) { (label) }
            (extra)
            input id=(id) name=(id) type=(kind) required value=(value)
                aria-invalid=[wrong.then_some("true")]
                aria-describedby=[wrong.then(|| format!("{id}-erreur"))];
            (field_error(errors, id))
        }
    }
}

/// The letters page's content (without its frame: [`letters_page`] may put a confirmation
/// above it).
fn letters_view(
    who: &Prescriber,
    letters: &[Letter],
    f: &LetterForm,
    errors: &[Field<'_>],
    today: msp_domain::Date,
) -> Markup {
    let user = &who.user;
    let context_wrong = errors.iter().any(|(id, _)| *id == "contexte");
    let body = html! {
        h1 { "Courriers d’adressage" }
        p { "Le courrier oriente le patient vers un psychologue conventionné. Il ne fixe jamais de nombre de séances. Chaque courrier reçoit un code de vérification que le psychologue saisit dans son espace." }
        (form_errors("Le courrier n’a pas été émis : corrigez les champs signalés.", errors))
        h2 { "Émettre un courrier" }
        form method="post" action=(paths::LETTERS) class="search" novalidate {
            input type="hidden" name="_csrf" value=(user.csrf);
            p { "Émis au nom de " strong { (who.name) } ", RPPS " (who.rpps) "." }
            (input("patient_nom", "Nom et prénom du patient", "text", &f.patient_nom, errors, html! {}))
            (input("nir", "NIR du patient", "text", &f.nir, errors, html! {}))
            div class="field" {
                label for="date" { "Date du courrier" }
                input id="date" name="date" type="date" required max=(today.to_string()) value=(f.date)
                    aria-invalid=[errors.iter().any(|(id, _)| *id == "date").then_some("true")]
                    aria-describedby=[errors.iter().any(|(id, _)| *id == "date").then_some("date-erreur")];
                (field_error(errors, "date"))
            }
            div class="field" {
                label for="contexte" { "Contexte (facultatif)" }
                select id="contexte" name="contexte"
                    aria-invalid=[context_wrong.then_some("true")]
                    aria-describedby=[context_wrong.then_some("contexte-erreur")] {
                    option value="" { "—" }
                    @for (code, label) in CONTEXTS {
                        option value=(code) selected[f.contexte == code] { (label) }
                    }
                }
                (field_error(errors, "contexte"))
            }
            div class="actions" { button type="submit" class="button" { "Émettre le courrier" } }
        }
        h2 { "Courriers émis" }
        @if letters.is_empty() {
            p { "Aucun courrier émis pour l’instant." }
        } @else {
            table {
                thead { tr {
                    th scope="col" { "Code" } th scope="col" { "Date" } th scope="col" { "Patient" }
                    th scope="col" { "Contexte" } th scope="col" { "Courrier" }
                } }
                tbody {
                    @for l in letters {
                        tr {
                            td { code { (display_code(&l.code)) } }
                            td { (date_fr(l.letter_date)) }
                            td { (l.patient_name) " (" (l.patient_nir.masked()) ")" }
                            td { (l.context.as_deref().and_then(context_label).unwrap_or("—")) }
                            td { a href=(paths::letter_pdf(&l.code)) { "PDF à imprimer" } }
                        }
                    }
                }
            }
        }
    };
    body
}

async fn letter_pdf(
    State(state): State<AppState>,
    who: Prescriber,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let letter = referrals::letter_to_print(&state, &who, &code).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"adressage-{}.pdf\"", letter.code),
            ),
        ],
        letter_document(&letter),
    )
        .into_response())
}

/// The printable letter.
pub fn letter_document(l: &Letter) -> Vec<u8> {
    let mut p = crate::documents::pdf::Page::new();
    p.text(18.0, true, "Courrier d’adressage – Mon soutien psy")
        .skip(8.0)
        .text(
            12.0,
            true,
            format!("Code de vérification : {}", display_code(&l.code)),
        )
        .text(
            11.0,
            false,
            format!("Date du courrier : {}", date_fr(l.letter_date)),
        )
        .skip(8.0)
        .text(
            11.0,
            false,
            format!(
                "Prescripteur : {} ({}), RPPS {}",
                l.referrer_name,
                l.referrer_kind.label_fr(),
                l.referrer_id
            ),
        )
        .text(
            11.0,
            false,
            format!(
                "{} : {} (NIR {})",
                Sex::agree(l.patient_nir.sex(), "Patient", "Patiente", "Patient(e)"),
                l.patient_name,
                l.patient_nir.masked()
            ),
        );
    if let Some(c) = l.context.as_deref() {
        p.text(
            11.0,
            false,
            format!("Contexte : {}", context_label(c).unwrap_or(c)),
        );
    }
    p.skip(8.0)
        .text(
            11.0,
            false,
            format!(
                "J’adresse {} à un psychologue conventionné du dispositif Mon soutien psy.",
                Sex::agree(
                    l.patient_nir.sex(),
                    "ce patient",
                    "cette patiente",
                    "la personne nommée ci-dessus"
                )
            ),
        )
        .text(
            11.0,
            false,
            "Ce courrier est valable 6 mois pour l’entretien d’évaluation ; il ne fixe pas de nombre de séances.",
        )
        .text(
            11.0,
            false,
            "Le psychologue vérifie ce courrier avec son code dans son espace professionnel.",
        )
        .skip(36.0)
        .text(
            11.0,
            false,
            format!(
                "Fait le {}. Signature du prescripteur ({}) : ______________________________",
                date_fr(l.letter_date),
                l.referrer_name
            ),
        );
    p.render()
}

async fn verify_page(State(state): State<AppState>, who: Psychologist) -> AppResult<Response> {
    let form = VerifyForm {
        date: state.today().to_string(),
        ..VerifyForm::default()
    };
    Ok(verify_view(&who, &form, &[], None).into_response())
}

async fn verify(
    State(state): State<AppState>,
    who: Psychologist,
    CsrfForm(form): CsrfForm<VerifyForm>,
) -> AppResult<Response> {
    let check = LetterCheck {
        code: form.code.clone(),
        session_date: Some(form.date.clone()),
    };
    match referrals::verify_letter(&state, &who, check, Via::Page).await {
        Ok(v) => Ok(verify_view(&who, &form, &[], Some(&v)).into_response()),
        Err(e) => {
            let errors = form_refusal(e, &CHECK_FIELDS)?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                verify_view(&who, &form, &errors, None),
            )
                .into_response())
        }
    }
}

/// The verdict on a letter and what it says.
fn verification_view(v: &Verification) -> Markup {
    let l = &v.letter;
    html! {
        @match &v.verdict {
            // The message starts with « Courrier valable »: said once, in bold.
            Ok(m) => (notice(Notice::Success, html! { p { strong { "Courrier valable" } " " (m.strip_prefix("Courrier valable ").unwrap_or(m)) } })),
            Err(m) => (notice(Notice::Error, html! { p { strong { "Courrier non valable. " } (m) } })),
        }
        // The next step: the session, with this letter and this date already filled in.
        @if v.verdict.is_ok() {
            p { a class="button" href=(paths::session_form_with_letter(&l.code, v.session)) { "Saisir l’entretien d’évaluation avec ce courrier" } }
        }
        dl {
            dt { "Code" } dd { code { (display_code(&l.code)) } }
            dt { "Prescripteur" } dd { (l.referrer_name) " (" (l.referrer_kind.label_fr()) ", RPPS " (l.referrer_id) ")" }
            dt { "Date du courrier" } dd { (date_fr(l.letter_date)) }
            dt { "Patient" } dd { (l.patient_name) " (" (l.patient_nir.masked()) ")" }
            @if let Some(c) = l.context.as_deref() { dt { "Contexte" } dd { (context_label(c).unwrap_or(c)) } }
        }
    }
}

fn verify_view(
    user: &CurrentUser,
    f: &VerifyForm,
    errors: &[Field<'_>],
    result: Option<&Verification>,
) -> Markup {
    let body = html! {
        h1 { "Vérifier un courrier d’adressage" }
        (form_errors("Le courrier n’a pas pu être vérifié :", errors))
        @if let Some(v) = result { (verification_view(v)) }
        form method="post" action=(paths::LETTER_CHECK) class="search" novalidate {
            input type="hidden" name="_csrf" value=(user.csrf);
            (input("code", "Code de vérification", "text", &f.code, errors, html! {}))
            (input("date", "Date de la séance", "date", &f.date, errors, html! {}))
            div class="actions" { button type="submit" class="button" { "Vérifier" } }
        }
    };
    views::layout(&Frame::new(Some(user), "Vérifier un courrier"), body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use jiff::civil::date;
    use msp_domain::{Nir, ReferrerKind};

    #[test]
    fn the_letter_pdf_carries_its_code() {
        let l = Letter {
            code: "K7QM4TXZ".into(),
            account_id: 1,
            referrer_kind: ReferrerKind::SageFemme,
            referrer_name: "Dr Hélène Lefèvre".into(),
            referrer_id: "10000000422".into(),
            patient_nir: Nir::parse("206127511100564").unwrap(),
            patient_name: "Élodie Martin".into(),
            letter_date: date(2026, 11, 2),
            context: Some("maternite".into()),
            created_at: Timestamp::now(),
        };
        let pdf = letter_document(&l);
        assert!(pdf.starts_with(b"%PDF-"));
        let find = |n: &[u8]| pdf.windows(n.len()).any(|w| w == n);
        assert!(find(b"K7QM-4TXZ"));
        assert!(find(b"Lef\xe8vre"));
        assert!(!find(b"206127511100564"), "no full NIR on the letter");
        assert!(!find(b"nombre de s\xe9ances :"));
        assert!(find(b"Signature du prescripteur"), "a line to sign");
    }
}
