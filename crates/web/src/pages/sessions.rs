//! Sessions recorded by psychologists (patient pathway): the form, the decision taken at once
//! by the adjudication engine, one session, a psychologist's sessions of the year, the
//! patient's follow-up and the PDF documents. The actions are in [`crate::services::sessions`];
//! this module reads the requests and renders the outcomes.
//!
//! | Route | Who |
//! |---|---|
//! | `GET /espace/seances` | psychologue: the form |
//! | `POST /espace/seances` | psychologue: `etape=verifier` shows where the patient stands this year; `etape=enregistrer` records and redirects to the decision |
//! | `GET /espace/seances/{id}` | the patient, the psychologists who saw the patient, CPAM agents |
//! | `POST /espace/seances/{id}/annulation` | the psychologist who recorded it, CPAM agents (see [`crate::pages::cancellation`]) |
//! | `GET /espace/mon-suivi` | patient: this year's sessions, sessions left, reimbursements |
//! | `GET /espace/seances/{id}/feuille.pdf`, `.../decompte.pdf` | as the session: the care sheet (fields of form S 3130), the patient's statement |
//! | `GET /espace/mes-seances/releve.pdf?mois=AAAA-MM` | psychologue: monthly statement of what was paid to them |
//! | `GET /espace/mes-seances` | psychologue: this year's sessions, amounts, remote share |
//!
//! The JSON API of sessions is in [`crate::api::sessions`].

use crate::AppState;
use crate::documents::sessions as documents;
use crate::error::{AppError, AppResult};
use crate::extract::{CsrfForm, Patient, Psychologist, SessionReader};
use crate::paths;
use crate::services::audit::Via;
use crate::services::sessions::{self as service, FollowUp, PsychologistYear, SessionRead};
use crate::views::sessions::{
    StandingAt, decision_view, standing_view, tiers_payant_fr, year_picker,
};
use crate::views::{self, Field, Frame, Notice, field_error, form_errors, notice};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use msp_domain::french::{Gender, count, ordinal, plural};
use msp_domain::session::ReferralInput;
use msp_domain::{Act, AmoPayee, Date, Decision, InclusionCriterion, Reason, Role, Sex};
use msp_store::pathway::Consents;
use serde::Deserialize;

// Names other areas still import from here (they move with their conversion).
pub use crate::api::sessions::{AmountsJson, ReasonJson, StandingJson, standing_json};
pub use crate::documents::sessions::{care_sheet, monthly_statement, patient_statement};
pub use crate::services::audit::patient_ref;
pub use crate::services::sessions::{UNKNOWN_PATIENT, identity_matches};
pub use crate::views::date_fr;
pub use crate::views::sessions::euros;
pub use crate::views::sessions::{amo_payee_fr, complementary_fr};
pub use msp_domain::SessionInput;
pub use msp_domain::YearSummary;
pub use msp_domain::session::parse_date;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::SESSION_FORM, get(form_page).post(submit))
        .route("/espace/seances/{id}", get(session_page))
        .route(
            "/espace/seances/{id}/annulation",
            axum::routing::post(cancel_form),
        )
        .route(paths::MY_SESSIONS, get(my_sessions))
        .route(paths::FOLLOW_UP, get(follow_up))
        .route("/espace/seances/{id}/feuille.pdf", get(care_sheet_pdf))
        .route("/espace/seances/{id}/decompte.pdf", get(statement_pdf))
        .route(paths::MONTHLY_STATEMENT, get(monthly_pdf))
}

// ------------------------------------------------------------------ the form

/// The session form as sent (every field kept to show it again).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SessionForm {
    pub nir: String,
    pub naissance: String,
    pub date: String,
    pub acte: String,
    pub contexte: String,
    pub tiers_payant: Option<String>,
    pub consentement: Option<String>,
    pub consentement_parental: Option<String>,
    pub critere: String,
    pub compte_rendu_medecin: Option<String>,
    pub code_adressage: String,
    pub adressage_date: String,
    pub adressage_type: String,
    pub adressage_id: String,
    /// `verifier` (where the patient stands) or `enregistrer`.
    pub etape: String,
}

/// A same-day refusal (`MEME_JOUR`, or `DOUBLON` of the same act) whose accepted session of
/// that day has been cancelled since: the
/// refusal no longer holds, the day is free again (refusals are not judged again by
/// themselves: a claim keeps its decision).
fn day_freed_since(
    lines: &[msp_store::pathway::SessionLine],
    l: &msp_store::pathway::SessionLine,
) -> bool {
    let same_day = |o: &&msp_store::pathway::SessionLine| o.session_date == l.session_date;
    matches!(
        l.decision,
        Decision::Rejected(Reason::MemeJour | Reason::Doublon)
    ) && lines.iter().filter(same_day).any(|o| o.cancelled)
        && !lines
            .iter()
            .filter(same_day)
            .any(|o| !o.cancelled && matches!(o.decision, Decision::Accepted(_)))
}

fn on(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("1" | "on"))
}

fn filled(v: &str) -> Option<String> {
    (!v.trim().is_empty()).then(|| v.to_owned())
}

impl SessionForm {
    fn input(&self) -> SessionInput {
        SessionInput {
            nir: self.nir.clone(),
            date_naissance: self.naissance.clone(),
            date_seance: self.date.clone(),
            acte: self.acte.clone(),
            contexte: self.contexte.clone(),
            tiers_payant: on(&self.tiers_payant),
            consentement: on(&self.consentement),
            consentement_parental: on(&self.consentement_parental),
            code_adressage: filled(&self.code_adressage),
            critere: filled(&self.critere),
            compte_rendu_medecin: on(&self.compte_rendu_medecin),
            adressage: filled(&self.adressage_date).map(|date| ReferralInput {
                date,
                type_prescripteur: self.adressage_type.clone(),
                identifiant_prescripteur: self.adressage_id.clone(),
            }),
        }
    }
}

/// The form's id of a field as the services name it.
fn form_id(champ: &str) -> &'static str {
    match champ {
        "nir" => "nir",
        "date_naissance" => "naissance",
        "date_seance" => "date",
        "acte" => "acte",
        "contexte" => "contexte",
        "consentement" => "consentement",
        "consentement_parental" => "consentement_parental",
        "critere" => "critere",
        "code_adressage" => "code_adressage",
        "adressage.date" => "adressage_date",
        "adressage.type_prescripteur" => "adressage_type",
        _ => "nir",
    }
}

fn session_form_view(
    who: &Psychologist,
    f: &SessionForm,
    today: Date,
    rules: &msp_domain::Rules,
    errors: &[Field<'_>],
) -> Markup {
    // Today on a new form; as typed (even empty) when the form comes back with its errors.
    let date = if f.date.is_empty() && errors.is_empty() {
        today.to_string()
    } else {
        f.date.clone()
    };
    // The regime of the date in the form (today's when none was typed): where the tiers payant
    // is mandatory, the form says so and offers no box.
    let session_day = parse_date(&date).unwrap_or(today);
    let mandatory_tiers_payant = rules
        .regime_on(session_day)
        .filter(|r| r.amo_tiers_payant_mandatory)
        .map(|r| r.from);
    let wrong = |id: &str| errors.iter().any(|(f, _)| *f == id);
    let invalid = |id: &str| wrong(id).then_some("true");
    let described = |id: &str| wrong(id).then(|| format!("{id}-erreur"));
    html! {
        form method="post" action=(paths::SESSION_FORM) class="search" novalidate {
            input type="hidden" name="_csrf" value=(who.csrf);
            fieldset {
                legend { "Patient" }
                div class="field" {
                    label for="nir" { "NIR (numéro de sécurité sociale, 15 caractères)" }
                    (field_error(errors, "nir"))
                    input id="nir" name="nir" type="text" inputmode="numeric" autocomplete="off" required value=(f.nir) aria-invalid=[invalid("nir")] aria-describedby=[described("nir")];
                }
                div class="field" {
                    label for="naissance" { "Date de naissance" }
                    (field_error(errors, "naissance"))
                    input id="naissance" name="naissance" type="date" required value=(f.naissance) aria-invalid=[invalid("naissance")] aria-describedby=[described("naissance")];
                }
                div class="field" {
                    label for="date" { "Date de la séance" }
                    (field_error(errors, "date"))
                    input id="date" name="date" type="date" required max=(today.to_string()) value=(date) aria-invalid=[invalid("date")] aria-describedby=[described("date")];
                }
            }
            fieldset {
                legend { "Séance" }
                div class="field" {
                    label for="acte" { "Acte" }
                    (field_error(errors, "acte"))
                    select id="acte" name="acte" aria-invalid=[invalid("acte")] aria-describedby=[described("acte")] {
                        @for a in Act::ALL {
                            option value=(a.code()) selected[f.acte == a.code()] { (a.code()) " – " (a.label_fr()) }
                        }
                    }
                }
                div class="field" {
                    label for="contexte" { "Contexte" }
                    (field_error(errors, "contexte"))
                    select id="contexte" name="contexte" aria-invalid=[invalid("contexte")] aria-describedby=[described("contexte")] {
                        @for (code, label) in [("maladie", "Maladie"), ("ald", "Affection de longue durée (non psychiatrique)"), ("maternite", "Maternité (à partir du 6e mois)"), ("atmp", "Accident du travail / maladie professionnelle")] {
                            option value=(code) selected[f.contexte == code] { (label) }
                        }
                    }
                }
                @if let Some(from) = mandatory_tiers_payant {
                    p class="field" id="tiers-payant-obligatoire" {
                        "Tiers payant : obligatoire sur la part de l’assurance maladie pour une séance datée à partir du "
                        (crate::views::date_long_fr(from)) " ; elle vous est versée directement. "
                        "Pour une séance plus ancienne, saisissez sa date puis « Vérifier les droits de l’année » : le choix vous sera proposé."
                    }
                } @else {
                    div class="field check" {
                        input id="tiers_payant" name="tiers_payant" type="checkbox" value="1" checked[on(&f.tiers_payant)];
                        label for="tiers_payant" { "J’applique le tiers payant sur la part de l’assurance maladie" }
                    }
                }
                div class="field" {
                    (field_error(errors, "consentement"))
                    input id="consentement" name="consentement" type="checkbox" value="1" checked[on(&f.consentement)] aria-invalid=[invalid("consentement")] aria-describedby=[described("consentement")];
                    label for="consentement" { "Le patient consent à sa prise en charge dans le dispositif" }
                }
                div class="field" {
                    (field_error(errors, "consentement_parental"))
                    input id="consentement_parental" name="consentement_parental" type="checkbox" value="1" checked[on(&f.consentement_parental)] aria-invalid=[invalid("consentement_parental")] aria-describedby=[described("consentement_parental")];
                    label for="consentement_parental" { "Patient mineur : j’ai le consentement écrit des deux titulaires de l’autorité parentale" }
                }
                div class="field" {
                    label for="critere" { "Critère d’inclusion (votre évaluation, à l’entretien d’évaluation)" }
                    (field_error(errors, "critere"))
                    select id="critere" name="critere" aria-invalid=[invalid("critere")] aria-describedby=[described("critere")] {
                        option value="" { "— non renseigné —" }
                        @for c in InclusionCriterion::ALL {
                            option value=(c.code()) selected[f.critere == c.code()] { (c.label_fr()) }
                        }
                    }
                }
                div class="field" {
                    input id="compte_rendu_medecin" name="compte_rendu_medecin" type="checkbox" value="1" checked[on(&f.compte_rendu_medecin)];
                    label for="compte_rendu_medecin" { "Le patient accepte qu’un court compte rendu soit adressé à son médecin traitant" }
                }
            }
            fieldset {
                legend { "Courrier d’adressage (obligatoire pour un entretien d’évaluation avant le 15 juin 2024)" }
                div class="field" {
                    label for="code_adressage" { "Code de vérification d’un courrier émis en ligne" }
                    p id="code-aide" class="hint" { "Il remplace les champs ci-dessous." }
                    (field_error(errors, "code_adressage"))
                    input id="code_adressage" name="code_adressage" type="text" autocomplete="off"
                        aria-describedby=(described("code_adressage").map_or("code-aide".to_owned(), |e| format!("code-aide {e}")))
                        aria-invalid=[invalid("code_adressage")] value=(f.code_adressage);
                }
                div class="field" {
                    label for="adressage_date" { "Date du courrier" }
                    (field_error(errors, "adressage_date"))
                    input id="adressage_date" name="adressage_date" type="date" value=(f.adressage_date) aria-invalid=[invalid("adressage_date")] aria-describedby=[described("adressage_date")];
                }
                div class="field" {
                    label for="adressage_type" { "Prescripteur" }
                    (field_error(errors, "adressage_type"))
                    select id="adressage_type" name="adressage_type" aria-invalid=[invalid("adressage_type")] aria-describedby=[described("adressage_type")] {
                        option value="medecin" selected[f.adressage_type == "medecin"] { "Médecin" }
                        option value="sage_femme" selected[f.adressage_type == "sage_femme"] { "Sage-femme" }
                    }
                }
                div class="field" {
                    label for="adressage_id" { "Identifiant du prescripteur (RPPS)" }
                    input id="adressage_id" name="adressage_id" type="text" value=(f.adressage_id);
                }
            }
            div class="actions" {
                button type="submit" name="etape" value="verifier" class="button-secondary" { "Vérifier les droits de l’année" }
                button type="submit" name="etape" value="enregistrer" class="button" { "Enregistrer la séance" }
            }
        }
    }
}

/// The form page: `before` above the form (where the patient stands, or every error).
fn form_page_view(
    who: &Psychologist,
    f: &SessionForm,
    (today, rules): (Date, &msp_domain::Rules),
    before: Markup,
    errors: &[Field<'_>],
) -> Markup {
    let body = html! {
        h1 { "Saisir une séance" }
        p { "La séance est jugée aussitôt, selon les règles en vigueur à sa date : vous voyez la décision, les montants et qui les paie." }
        (before)
        (session_form_view(who, f, today, rules, errors))
    };
    views::layout(&Frame::new(Some(&who.user), "Saisir une séance"), body)
}

/// The form again with every error of a refused input (422); other errors go on.
fn refused_form(
    who: &Psychologist,
    f: &SessionForm,
    today: (Date, &msp_domain::Rules),
    e: AppError,
) -> AppResult<Response> {
    let AppError::Rejected(p) = e else {
        return Err(e);
    };
    let mut errors: Vec<Field<'_>> = p
        .fields
        .iter()
        .map(|e| (form_id(&e.champ), e.detail.clone()))
        .collect();
    if errors.is_empty() {
        errors.push(("nir", p.message.clone()));
    }
    // One line per message in the summary (an unknown patient is about two fields).
    let mut summary: Vec<Field<'_>> = Vec::new();
    for (id, m) in &errors {
        if !summary.iter().any(|(_, s)| s == m) {
            summary.push((id, m.clone()));
        }
    }
    let intro = if f.etape == "verifier" {
        "Impossible d’afficher les droits de l’année :"
    } else {
        "La séance n’est pas enregistrée :"
    };
    Ok((
        p.status,
        form_page_view(who, f, today, form_errors(intro, &summary), &errors),
    )
        .into_response())
}

/// What a link may fill in the session form: a verified letter and its session's date.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Prefill {
    courrier: String,
    date: String,
}

/// `GET /espace/seances` (`?courrier=CODE&date=AAAA-MM-JJ` from a verified letter: an
/// evaluation session with that letter).
async fn form_page(
    State(state): State<AppState>,
    who: Psychologist,
    Query(prefill): Query<Prefill>,
) -> Markup {
    let form = if prefill.courrier.is_empty() {
        SessionForm::default()
    } else {
        SessionForm {
            code_adressage: prefill.courrier,
            date: prefill.date,
            acte: "EEP".to_owned(),
            ..SessionForm::default()
        }
    };
    form_page_view(&who, &form, (state.today(), state.rules()), html! {}, &[])
}

/// `POST /espace/seances`.
async fn submit(
    State(state): State<AppState>,
    who: Psychologist,
    CsrfForm(form): CsrfForm<SessionForm>,
) -> AppResult<Response> {
    let today = (state.today(), state.rules());
    let input = form.input();
    if form.etape == "verifier" {
        return match service::situation(&state, &who, &input, Via::Page).await {
            Ok(s) => Ok(form_page_view(
                &who,
                &form,
                today,
                standing_view(&s.year, StandingAt::Before(s.on)),
                &[],
            )
            .into_response()),
            Err(e) => refused_form(&who, &form, today, e),
        };
    }
    match service::record_session(&state, &who, &input).await {
        Ok(r) => Ok(Redirect::to(&paths::session(&r.claim_id)).into_response()),
        Err(e) => refused_form(&who, &form, today, e),
    }
}

// ------------------------------------------------------------------ one session

/// `POST /espace/seances/{id}/annulation`: back to the session; when refused for what was sent
/// (motive, not the latest session), the session page again with its form open, the motive as
/// typed and the reason.
pub async fn cancel_form(
    State(state): State<AppState>,
    reader: SessionReader,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<crate::pages::cancellation::CancelForm>,
) -> AppResult<Response> {
    let refused = match crate::services::cancellation::cancel_session(
        &state,
        &reader,
        &id,
        &form.motif,
    )
    .await
    {
        Ok(_) => return Ok(Redirect::to(&paths::session(&id)).into_response()),
        Err(e) => e,
    };
    let problem = refused.problem();
    if !matches!(
        problem.status,
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST | StatusCode::CONFLICT
    ) {
        return Err(match refused {
            AppError::Forbidden(_) => refused,
            other => other.titled("Annulation refusée"),
        });
    }
    let read = service::session(&state, &reader, &id, Via::Page).await?;
    let sent = crate::pages::cancellation::CancelSent {
        // A motive that could hold a NIR is not written back into the page.
        motive: if msp_domain::ids::could_hold_nir(&form.motif) {
            String::new()
        } else {
            form.motif
        },
        error: problem.message,
    };
    Ok((
        problem.status,
        session_view(&reader, &read, state.rules(), Some(&sent)),
    )
        .into_response())
}

/// `GET /espace/seances/{id}`: one session and its decision.
async fn session_page(
    State(state): State<AppState>,
    reader: SessionReader,
    Path(id): Path<String>,
) -> AppResult<Markup> {
    let read = service::session(&state, &reader, &id, Via::Page).await?;
    Ok(session_view(&reader, &read, state.rules(), None))
}

/// The page of one session; `cancel`: a cancellation just refused, shown in its open form.
pub(crate) fn session_view(
    reader: &SessionReader,
    read: &SessionRead,
    rules: &msp_domain::Rules,
    cancel: Option<&crate::pages::cancellation::CancelSent>,
) -> Markup {
    let line = &read.line;
    let patient = reader.role() == Role::Patient;
    let body = html! {
        h1 { "Séance du " (date_fr(line.session_date)) }
        dl {
            dt { "Numéro" } dd { code { (line.claim_id) } }
            dt { @if patient { (Sex::agree(line.nir.sex(), "Assuré", "Assurée", "Assuré(e)")) } @else { (Sex::agree(line.nir.sex(), "Patient", "Patiente", "Patient")) } } dd { (line.nir.masked()) }
            dt { @if patient { "Séance" } @else { "Acte" } }
            dd { @if !patient { (line.act.code()) " – " } (line.act.label_fr()) }
            dt { "Contexte" } dd { (crate::views::sessions::context_label(line.context)) }
            dt { "Tiers payant (AMO)" } dd { (tiers_payant_fr(line, rules)) }
            dt { "Reçue le" } dd { (date_fr(line.received_date)) }
        }
        @if line.cancelled {
            (crate::pages::cancellation::section(reader, read, None))
        } @else {
            (decision_view(line, patient))
        }
        @if let Some(a) = &read.attestations {
            (attestations_view(a, read, rules))
        }
        @if !line.cancelled {
            (crate::pages::cancellation::section(reader, read, cancel))
        }
        h2 { @if patient { "Où j’en suis" } @else { "Où en est le patient" } }
        (standing_view(&read.standing, StandingAt::AsOf(line.session_date)))
        @if !line.cancelled {
            p {
                @if line.decision.is_accepted() {
                    a href=(paths::care_sheet(&line.claim_id)) { "Feuille de soins (PDF)" } " · "
                }
                a href=(paths::statement(&line.claim_id)) {
                    @if patient { "Mon décompte (PDF)" } @else { "Décompte du patient (PDF)" }
                }
            }
        }
        @if reader.role() == Role::Psychologue {
            p { a class="button" href=(paths::SESSION_FORM) { "Saisir une autre séance" } " " a href=(paths::MY_SESSIONS) { "Mes séances" } }
        }
        @if patient {
            p { a href=(format!("{}?annee={}", paths::FOLLOW_UP, line.session_date.year())) { "Retour à mon suivi " (line.session_date.year()) } }
        }
    };
    views::layout(&Frame::new(Some(&reader.0), "Séance"), body)
}

/// What the psychologist attested, and the report to the médecin traitant when it is due
/// (direct access, with the patient's agreement: after the EEP and after the last session).
fn attestations_view(a: &Consents, read: &SessionRead, rules: &msp_domain::Rules) -> Markup {
    let line = &read.line;
    let direct_access = rules
        .regime_on(line.session_date)
        .is_some_and(|r| !r.referral_required);
    let report_due = a.report_to_gp
        && direct_access
        && line.paid().is_some()
        && (line.act == Act::Eep || read.standing.remaining == 0);
    html! {
        dl {
            dt { "Critère d’inclusion" }
            dd { (a.inclusion.map_or("non renseigné", InclusionCriterion::label_fr)) }
            dt { "Compte rendu au médecin traitant" }
            dd { @if a.report_to_gp { "accepté par le patient" } @else { "non" } }
        }
        @if report_due {
            (notice(Notice::Info, html! {
                p { "Accès direct : avec l’accord du patient, adressez un court compte rendu écrit à son médecin traitant "
                    @if line.act == Act::Eep { "après cet entretien d’évaluation." } @else { "après cette dernière séance de l’année." } }
            }))
        }
    }
}

// ------------------------------------------------------------------ a psychologist's year

/// `GET /espace/mes-seances`: the psychologist's sessions this calendar year.
async fn my_sessions(
    State(state): State<AppState>,
    who: Psychologist,
    Query(q): Query<YearQuery>,
) -> AppResult<Markup> {
    let asked = service::year_asked(&state, q.annee.as_deref())?;
    let year = service::psychologist_sessions(&state, &who, asked, Via::Page).await?;
    Ok(my_sessions_view(
        &who,
        &year,
        state.today(),
        state.rules().programme_start.year(),
    ))
}

/// `?annee=AAAA`: another year than this one.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct YearQuery {
    annee: Option<String>,
}

/// The monthly statements of `year` that can exist (up to this month), newest first.
fn statement_links(year: i16, today: Date) -> Markup {
    let last = if year == today.year() {
        today.month()
    } else {
        12
    };
    html! {
        ul class="statements" {
            @for m in (1..=last).rev() {
                li { a href=(format!("{}?mois={year}-{m:02}", paths::MONTHLY_STATEMENT)) {
                    "Relevé " (msp_domain::french::of_month(m)) " " (year) " (PDF)"
                } }
            }
        }
    }
}

fn my_sessions_view(who: &Psychologist, y: &PsychologistYear, today: Date, first: i16) -> Markup {
    let s = &y.summary;
    let threshold = y.remote_threshold;
    let body = html! {
        h1 { "Mes séances " (y.year) }
        p {
            (count(u64::from(s.accepted), "séance acceptée", "séances acceptées")) ", "
            (count(u64::from(s.rejected), "refusée", "refusées"))
            @if s.cancelled > 0 { ", " (count(u64::from(s.cancelled), "annulée", "annulées")) }
            ". "
            "Assurance Maladie versée à vous (tiers payant) : " (euros(s.amo_to_psychologist)) " ; "
            "complémentaires en tiers payant : " (euros(s.complementary_to_psychologist)) " ; "
            "État (AME) : " (euros(s.state)) "."
        }
        (year_picker(paths::MY_SESSIONS, first, today.year(), y.year))
        details {
            summary { "Relevés mensuels de " (y.year) " (PDF)" }
            (statement_links(y.year, today))
        }
        h2 { "Séances en visio" }
        p {
            (count(u64::from(s.remote), "séance PSS", "séances PSS")) " sur "
            (s.accepted) " " (plural(u64::from(s.accepted), "acceptée", "acceptées")) ", soit "
            strong { (format!("{:.1}", s.remote_share_percent()).replace('.', ",")) " %" }
            " (repère : " (threshold) " % au plus)."
        }
        @if y.over_threshold() {
            (notice(Notice::Warning, html! { p { "Votre part de séances en visio dépasse le repère de " (threshold) " % : c’est un point de contrôle pour la CPAM, jamais un motif de refus d’une séance." } }))
        }
        @if y.lines.is_empty() {
            p { "Aucune séance enregistrée en " (y.year) "." }
        } @else {
            table {
                caption { "Séances de " (y.year) }
                thead { tr {
                    th scope="col" { "Date" } th scope="col" { "Patient" } th scope="col" { "Acte" }
                    th scope="col" { "Décision" } th scope="col" { "AMO" } th scope="col" { "Complémentaire" }
                    th scope="col" { "Reste patient" }
                } }
                tbody {
                    @for l in &y.lines {
                        tr {
                            td { a href=(paths::session(&l.claim_id)) { (date_fr(l.session_date)) } }
                            td { (l.nir.masked()) }
                            td { (l.act.code()) }
                            @match &l.decision {
                                Decision::Accepted(_) if l.cancelled => {
                                    td colspan="4" { "Annulée (saisie par erreur)" }
                                }
                                Decision::Accepted(p) => {
                                    td { "Acceptée (" (ordinal(u64::from(p.rank), Gender::Feminine)) " de l’année)" }
                                    td { (euros(p.amo)) " " (amo_payee_fr(p.amo_payee, l.nir.sex())) }
                                    td { (euros(p.complementary)) }
                                    td { (euros(p.patient)) }
                                }
                                Decision::Rejected(r) => {
                                    td colspan="4" {
                                        "Refusée : " (r.explanation_fr())
                                        @if day_freed_since(&y.lines, l) { " La séance acceptée ce jour-là a depuis été annulée : ce refus ne tient plus, vous pouvez saisir cette séance à nouveau." }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    views::layout(&Frame::new(Some(&who.user), "Mes séances"), body)
}

// ------------------------------------------------------------------ the patient's year

/// `GET /espace/mon-suivi`: the patient's sessions this calendar year (every psychologist),
/// the sessions left, and who paid or reimburses what.
async fn follow_up(
    State(state): State<AppState>,
    patient: Patient,
    Query(q): Query<YearQuery>,
) -> AppResult<Markup> {
    let year = service::year_asked(&state, q.annee.as_deref())?;
    let found = service::follow_up(&state, &patient, year).await?;
    Ok(follow_up_view(
        &patient,
        found.as_ref(),
        state.today(),
        state.rules().programme_start.year(),
    ))
}

fn follow_up_view(patient: &Patient, found: Option<&FollowUp>, today: Date, first: i16) -> Markup {
    let frame = Frame::new(Some(&patient.0), "Mon suivi");
    let Some(f) = found else {
        return views::layout(
            &frame,
            html! {
                h1 { "Mon suivi" }
                (notice(Notice::Info, html! { p { "Votre compte n’est rattaché à aucun assuré : contactez votre caisse d’assurance maladie." } }))
            },
        );
    };
    let body = html! {
        h1 { "Mon suivi " (f.year) }
        (year_picker(paths::FOLLOW_UP, first, today.year(), f.year))
        (standing_view(&f.standing, if f.year < today.year() {
            StandingAt::Closed(Date::new(f.year, 12, 31).unwrap_or(today))
        } else {
            StandingAt::AsOf(today)
        }))
        p {
            "Remboursé sur votre compte par l’Assurance Maladie : " strong { (euros(f.reimbursed_by_amo)) } "."
            @if f.to_claim_from_complementary.0 > 0 {
                " À demander à votre complémentaire avec vos décomptes : " strong { (euros(f.to_claim_from_complementary)) } "."
            }
        }
        @if f.lines.is_empty() {
            p { "Aucune séance en " (f.year) "." }
        } @else {
            table {
                caption { "Mes séances de " (f.year) }
                thead { tr {
                    th scope="col" { "Date" } th scope="col" { "Psychologue" } th scope="col" { "Séance" }
                    th scope="col" { "Décision" } th scope="col" { "Assurance Maladie" }
                    th scope="col" { "Complémentaire" } th scope="col" { "Reste à ma charge" }
                } }
                tbody {
                    @for l in &f.lines {
                        tr {
                            td { a href=(paths::session(&l.claim_id)) { (date_fr(l.session_date)) } }
                            td { (f.names.get(&l.rpps).cloned().unwrap_or_default()) }
                            td { (l.act.label_fr()) }
                            @match &l.decision {
                                Decision::Accepted(_) if l.cancelled => {
                                    td colspan="4" { "Annulée par votre psychologue ou la CPAM : ni comptée ni remboursée" }
                                }
                                Decision::Accepted(p) => {
                                    td { "Remboursée (" (ordinal(u64::from(p.rank), Gender::Feminine)) " de l’année)" }
                                    td { (euros(p.amo)) ", " @if p.amo_payee == AmoPayee::Assure { "remboursée sur votre compte" } @else { (amo_payee_fr(p.amo_payee, l.nir.sex())) } }
                                    td { (euros(p.complementary)) ", " (complementary_fr(p.complementary_payer, p.complementary_route)) }
                                    td { (euros(p.patient)) }
                                }
                                Decision::Rejected(r) => {
                                    td colspan="4" {
                                        "Non remboursée : " (r.explanation_for_patient_fr())
                                        @if day_freed_since(&f.lines, l) { " La séance remboursée ce jour-là a depuis été annulée : ce refus ne tient plus, votre psychologue peut saisir cette séance à nouveau." }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    views::layout(&frame, body)
}

// ------------------------------------------------------------------ documents

fn pdf_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

async fn care_sheet_pdf(
    State(state): State<AppState>,
    reader: SessionReader,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let d = service::session_document(&state, &reader, &id, service::CARE_SHEET).await?;
    Ok(pdf_response(
        &format!("feuille-de-soins-{}.pdf", d.line.claim_id),
        documents::care_sheet(
            &d.line,
            &d.psychologist,
            d.birth,
            state
                .rules()
                .regime_on(d.line.session_date)
                .is_some_and(|r| r.referral_required),
        ),
    ))
}

async fn statement_pdf(
    State(state): State<AppState>,
    reader: SessionReader,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let d = service::session_document(&state, &reader, &id, "décompte").await?;
    Ok(pdf_response(
        &format!("decompte-{}.pdf", d.line.claim_id),
        documents::patient_statement(&d.line, &d.psychologist),
    ))
}

#[derive(Debug, Deserialize)]
struct MonthQuery {
    mois: Option<String>,
}

/// `GET /espace/mes-seances/releve.pdf?mois=AAAA-MM` (default: this month).
async fn monthly_pdf(
    State(state): State<AppState>,
    who: Psychologist,
    Query(q): Query<MonthQuery>,
) -> AppResult<Response> {
    let m = service::psychologist_month(&state, &who, q.mois.as_deref()).await?;
    Ok(pdf_response(
        &format!("releve-{}.pdf", m.month.strftime("%Y-%m")),
        documents::monthly_statement(&m.lines, &m.psychologist, who.rpps, m.month),
    ))
}
