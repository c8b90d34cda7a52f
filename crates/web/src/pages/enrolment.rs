//! The conventionnement workflow (SPEC §10) as pages: the psychologist's application with its
//! documents and automatic checks, the committee's queue and decision, the CPAM's signature,
//! suspension and exclusion, the psychologist's convention and withdrawal. The steps, their
//! checks and their audit lines are in [`crate::services::enrolment`].

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Applicant, CpamAgent, CsrfForm, CurrentUser, Expert};
use crate::pages::auth::{as_fields, described_by, form_refusal, invalid};
use crate::paths;
use crate::services::enrolment::{
    self as service, ApplicationForm, Convention, DecisionForm, Dossier, PsychologistFile,
    SanctionForm, SignatureForm, Upload, WithdrawalForm, commune_label, document_too_big,
};
use crate::views::{Field, Frame, Notice, date_fr, field_error, form_errors, layout, notice};
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use msp_domain::enrolment::{
    CheckResult, DocumentKind, decision_deadline, is_complete, withdrawal_end,
};
use msp_domain::{Date, Role, Rpps};
use msp_store::enrolment::{Application, ConventionEvent, Status};
use std::collections::HashMap;

pub use crate::services::enrolment::{
    EXPIRY_EVERY, MAX_DOCUMENT_BYTES, card_from_application, expire_if_due, expire_now, expiry_job,
    geocode, is_pdf,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            paths::APPLICATION,
            get(my_application).post(save_application),
        )
        .route(
            paths::APPLICATION_DOCUMENTS,
            post(upload_document).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 64 * 1024)),
        )
        .route(paths::APPLICATION_FILING, post(file_application))
        .route("/espace/candidatures/{id}", get(view_application))
        .route(
            "/espace/candidatures/{id}/pieces/{doc}",
            get(download_document),
        )
        .route("/espace/candidatures/{id}/decision", post(decide))
        .route(paths::COMMITTEE, get(queue))
        .route(paths::CONVENTIONS, get(cpam_home))
        .route("/espace/cpam/{rpps}", get(cpam_psychologist))
        .route("/espace/cpam/{rpps}/signature", post(sign))
        .route("/espace/cpam/{rpps}/suspension", post(suspend))
        .route("/espace/cpam/{rpps}/exclusion", post(exclude))
        .route(paths::MY_CONVENTION, get(my_convention))
        .route(paths::WITHDRAWAL, post(withdraw))
}

fn frame<'a>(user: &'a CurrentUser, title: &'a str) -> Frame<'a> {
    Frame::new(Some(user), title)
}

// ---- Views. ----

fn checks_view(checks: &[CheckResult], status: Status) -> Markup {
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.check.label_fr())
        .collect();
    html! {
        h2 { "Vérifications automatiques" }
        // The checks are run again on the file as it is today: a decision taken on another
        // file, or by the commission despite a check, must not read as contradicted.
        @if status == Status::Accepted && !failed.is_empty() {
            (notice(Notice::Warning, html! { p {
                "Candidature acceptée par la commission, mais le dossier tel qu’il est aujourd’hui ne passe pas "
                (msp_domain::french::plural(failed.len() as u64, "cette vérification", "ces vérifications")) " : "
                (failed.join(" ; ")) "."
            } }))
        } @else if status == Status::Rejected && failed.is_empty() {
            (notice(Notice::Info, html! { p { "Candidature refusée ; le dossier tel qu’il est aujourd’hui passe toutes les vérifications automatiques." } }))
        }
        ul class="facts" {
            @for c in checks {
                li {
                    strong { @if c.passed { "✓ Conforme" } @else { "✗ Non conforme" } }
                    " — " (c.check.label_fr()) " : " (c.detail)
                }
            }
        }
    }
}

fn dossier_view(d: &Dossier, today: Date) -> Markup {
    let a = &d.app;
    let f = &a.fields;
    html! {
        p { strong { "Statut : " } (a.status.label_fr()) }
        @if let Some(c) = a.complete_on {
            p {
                "Dossier complet le " (date_fr(c)) ". Décision attendue au plus tard le "
                strong { (date_fr(decision_deadline(c))) } "."
                @if a.status == Status::Filed && today > decision_deadline(c) {
                    " Délai dépassé : le silence vaut rejet."
                }
            }
        }
        @if let Some(reason) = &a.decision_reason {
            p { strong { "Motif de la décision : " } (reason) }
        }
        h2 { "Identité" }
        ul class="facts" {
            li { "Nom : " (f.last_name) } li { "Prénom : " (f.first_name) }
            li { "RPPS : " (f.rpps) } li { "ADELI : " (if f.adeli.is_empty() { "—" } else { &f.adeli }) }
            li { "Diplôme : " (f.diploma) }
            li { "Expérience clinique à temps plein : " (msp_domain::enrolment::experience_fr(f.experience_months)) }
            li { "Téléphone : " (f.phone) }
        }
        h2 { "Adresses d’exercice" }
        ul class="addresses" {
            @for ad in [&f.address1, &f.address2] {
                @if !ad.is_empty() {
                    li { (ad.line) ", " (ad.postal_code) " " (commune_label(&ad.insee)) " (INSEE " (ad.insee) ")" }
                }
            }
        }
        h2 { "Pièces justificatives" }
        @if d.docs.is_empty() { p { "Aucune pièce jointe." } }
        @else { ul {
            @for doc in &d.docs {
                li {
                    a href=(format!("{}/pieces/{}", paths::application(a.id), doc.id)) { (crate::services::enrolment::clean_filename(&doc.filename)) }
                    " — " (doc.kind.label_fr()) " (" (doc.size_bytes / 1024) " Kio)"
                }
            }
        } }
        (checks_view(&d.checks, a.status))
        h2 { "Historique" }
        ol {
            @for e in &d.events {
                li { (crate::views::paris_date_time(e.at)) " — " (e.event) " — " (e.actor) @if !e.detail.is_empty() { " — " (e.detail) } }
            }
        }
    }
}

/// A text input with its label, its error and what was typed.
fn text_input(
    errors: &[Field<'_>],
    id: &str,
    label: &str,
    kind: &str,
    value: &str,
    inputmode: Option<&str>,
    autocomplete: Option<&str>,
) -> Markup {
    html! {
        div class="field" {
            label for=(id) { (label) }
            (field_error(errors, id))
            input id=(id) name=(id) type=(kind) value=(value)
                inputmode=[inputmode] autocomplete=[autocomplete]
                aria-invalid=[invalid(errors, id)]
                aria-describedby=[described_by(errors, id, None)];
        }
    }
}

fn application_form(user: &CurrentUser, v: &ApplicationForm, errors: &[Field<'_>]) -> Markup {
    html! {
        (form_errors("La candidature n’a pas été enregistrée :", errors))
        form method="post" action=(paths::APPLICATION) class="search" {
            input type="hidden" name="_csrf" value=(user.csrf);
            fieldset {
                legend { "Identité" }
                (text_input(errors, "nom", "Nom d’exercice", "text", &v.nom, None, Some("family-name")))
                (text_input(errors, "prenom", "Prénom d’exercice", "text", &v.prenom, None, Some("given-name")))
                @if let Some(verified) = &user.account.rpps {
                    // The service applies under this RPPS whatever the form says.
                    div class="field" id="rpps-verifie" {
                        p { "Numéro RPPS : " strong { (verified) } }
                        p class="hint" { "C’est le numéro vérifié de votre compte (Pro Santé Connect ou répertoire national) : la candidature est faite sous ce numéro, il ne se modifie pas ici." }
                    }
                } @else {
                    (text_input(errors, "rpps", "Numéro RPPS (11 chiffres)", "text", &v.rpps, Some("numeric"), None))
                }
                (text_input(errors, "adeli", "Numéro ADELI (facultatif, 9 caractères)", "text", &v.adeli, None, None))
                (text_input(errors, "telephone", "Téléphone", "tel", &v.telephone, None, Some("tel")))
            }
            fieldset {
                legend { "Formation et expérience" }
                (text_input(errors, "diplome", "Diplôme (intitulé, établissement, année)", "text", &v.diplome, None, None))
                (text_input(errors, "experience", "Années d’expérience clinique à temps plein", "text", &v.experience, Some("decimal"), None))
            }
            @for n in [1u8, 2] {
                @let (line, pc, commune) = v.address(n);
                fieldset {
                    legend { @if n == 1 { "Adresse d’exercice principale" } @else { "Seconde adresse d’exercice (facultative)" } }
                    (text_input(errors, &format!("adresse{n}"), "Numéro et rue", "text", line, None, None))
                    (text_input(errors, &format!("cp{n}"), "Code postal", "text", pc, Some("numeric"), None))
                    (text_input(errors, &format!("commune{n}"), "Commune", "text", commune, None, None))
                }
            }
            div class="actions" { button type="submit" class="button" { "Enregistrer" } }
        }
    }
}

fn documents_form(user: &CurrentUser, d: &Dossier) -> Markup {
    html! {
        h2 { "Ajouter une pièce (PDF, 5 Mo au plus)" }
        form method="post" action=(paths::APPLICATION_DOCUMENTS) enctype="multipart/form-data" class="search" {
            input type="hidden" name="_csrf" value=(user.csrf);
            div class="field" {
                label for="type" { "Type de pièce" }
                select id="type" name="type" { @for k in DocumentKind::ALL { option value=(k.code()) { (k.label_fr()) } } }
            }
            div class="field" { label for="fichier" { "Fichier PDF" } input id="fichier" name="fichier" type="file" accept="application/pdf"; }
            div class="actions" { button type="submit" class="button" { "Joindre" } }
        }
        h2 { "Déposer le dossier" }
        @if is_complete(&d.checks) {
            form method="post" action=(paths::APPLICATION_FILING) {
                input type="hidden" name="_csrf" value=(user.csrf);
                button type="submit" class="button" { "Déposer ma candidature" }
            }
        } @else {
            p { "Le dossier pourra être déposé quand l’identifiant, le diplôme et les pièces obligatoires seront renseignés." }
        }
    }
}

/// The psychologist's application: the dossier, and the form while it may change (`typed`:
/// what was just sent, with its `errors`).
fn application_view(
    user: &CurrentUser,
    today: Date,
    dossier: Option<&Dossier>,
    typed: Option<&ApplicationForm>,
    errors: &[Field<'_>],
) -> Markup {
    let editable = dossier.is_none_or(Dossier::editable);
    let values = typed
        .cloned()
        .or_else(|| dossier.map(|d| ApplicationForm::of(&d.app.fields)))
        .unwrap_or_default();
    let body = html! {
        h1 { "Ma candidature au conventionnement" }
        p { "Conditions : être inscrit au répertoire national comme psychologue, justifier de 3 ans d’expérience clinique à temps plein et d’un master de psychologie (ou équivalent). La commission rend sa décision dans les 4 mois suivant le dépôt du dossier complet ; sans réponse dans ce délai, la candidature est réputée refusée." }
        @if let Some(d) = dossier {
            @if d.app.status == Status::Rejected {
                (notice(Notice::Info, html! { p { "Votre précédente candidature a été refusée. Vous pouvez en déposer une nouvelle en enregistrant le formulaire." } }))
            }
            (dossier_view(d, today))
        }
        @if editable {
            h2 { "Renseignements" }
            (application_form(user, &values, errors))
            @if let Some(d) = dossier.filter(|d| d.app.status == Status::Draft) {
                (documents_form(user, d))
            }
        }
    };
    layout(&frame(user, "Ma candidature"), body)
}

/// A form sent back with its errors: what was typed and every field's error.
struct Sent<'a, T> {
    typed: &'a T,
    errors: &'a [Field<'a>],
}

fn decision_form(user: &CurrentUser, id: i64, sent: Option<&Sent<'_, DecisionForm>>) -> Markup {
    let errors = sent.map_or(&[][..], |s| s.errors);
    let (decision, motif) = sent.map_or(("", ""), |s| {
        (s.typed.decision.as_str(), s.typed.motif.as_str())
    });
    html! {
        h2 id="decision" { "Décision de la commission" }
        (form_errors("La décision n’a pas été enregistrée :", errors))
        form method="post" action=(format!("{}/decision", paths::application(id))) class="search" {
            input type="hidden" name="_csrf" value=(user.csrf);
            fieldset aria-describedby=[described_by(errors, "decision", None)] {
                legend { "Décision" }
                (field_error(errors, "decision"))
                div class="check" { input type="radio" id="accepter" name="decision" value="accepter" checked[decision == "accepter"]; label for="accepter" { "Accepter" } }
                div class="check" { input type="radio" id="refuser" name="decision" value="refuser" checked[decision == "refuser"]; label for="refuser" { "Refuser" } }
            }
            div class="field" {
                label for="motif" { "Motif (obligatoire en cas de refus)" }
                (field_error(errors, "motif"))
                textarea id="motif" name="motif" rows="4" aria-invalid=[invalid(errors, "motif")]
                    aria-describedby=[described_by(errors, "motif", None)] { (motif) }
            }
            div class="actions" { button type="submit" class="button" { "Enregistrer la décision" } }
        }
    }
}

/// An application as an expert, a CPAM agent or its owner reads it.
fn read_view(
    user: &CurrentUser,
    d: &Dossier,
    today: Date,
    sent: Option<&Sent<'_, DecisionForm>>,
) -> Markup {
    let body = html! {
        h1 { "Candidature n° " (d.app.id) " — " (d.app.fields.first_name) " " (d.app.fields.last_name) }
        (dossier_view(d, today))
        @if user.role() == Role::Expert && d.app.status == Status::Filed {
            (decision_form(user, d.app.id, sent))
        }
        @if user.role() == Role::AgentCpam && d.app.status == Status::Accepted {
            p { a class="button" href=(paths::convention(&d.app.fields.rpps)) { "Convention de ce psychologue" } }
        }
    };
    layout(&frame(user, "Candidature"), body)
}

fn queue_view(user: &CurrentUser, list: &[Application], today: Date) -> Markup {
    let body = html! {
        h1 { "Candidatures à examiner" }
        p { "Les plus anciennes d’abord. Sans décision dans les 4 mois suivant le dossier complet, une candidature est refusée automatiquement." }
        @if list.is_empty() { (notice(Notice::Info, html! { p { "Aucune candidature en attente." } })) }
        @else { table {
            thead { tr { th scope="col" { "N°" } th scope="col" { "Candidat" } th scope="col" { "Dossier complet le" } th scope="col" { "Échéance" } } }
            tbody {
                @for a in list {
                    @let deadline = a.complete_on.map(decision_deadline);
                    tr {
                        td { a href=(paths::application(a.id)) { (a.id) } }
                        td { (a.fields.first_name) " " (a.fields.last_name) }
                        td { (a.complete_on.map(date_fr).unwrap_or_default()) }
                        td {
                            (deadline.map(date_fr).unwrap_or_default())
                            @if let Some(d) = deadline { " (" ((d - today).get_days()) " j)" }
                        }
                    }
                }
            }
        } }
    };
    layout(&frame(user, "Candidatures à examiner"), body)
}

fn cpam_home_view(
    user: &CurrentUser,
    list: &[(Application, msp_domain::PsychologistRights)],
    today: Date,
) -> Markup {
    let body = html! {
        h1 { "Conventions" }
        p { "Candidatures acceptées par la commission : signez la convention de celles qui n’en ont pas, ou gérez celle d’un psychologue conventionné." }
        table {
            thead { tr { th scope="col" { "RPPS" } th scope="col" { "Psychologue" } th scope="col" { "Commune principale" } th scope="col" { "Acceptée le" } th scope="col" { "Convention" } } }
            tbody {
                @for (a, rights) in list {
                    @let commune = commune_label(&a.fields.address1.insee);
                    @let name = format!("{} {}", a.fields.first_name, a.fields.last_name);
                    tr {
                        td { a href=(paths::convention(&a.fields.rpps)) { (a.fields.rpps) } }
                        td { @if name.trim().is_empty() { "—" } @else { (name) } }
                        td { @if commune.is_empty() { "—" } @else { (commune) } }
                        td { (a.decided_on.map_or_else(|| "—".to_owned(), date_fr)) }
                        td { (convention_state(rights, today)) }
                    }
                }
            }
        }
    };
    layout(&frame(user, "Conventions"), body)
}

/// « en vigueur depuis le … », « à signer », « suspendue », « terminée le … ».
fn convention_state(rights: &msp_domain::PsychologistRights, today: Date) -> String {
    let current = rights
        .conventions
        .iter()
        .filter(|c| c.from <= today)
        .max_by_key(|c| c.from);
    match current {
        _ if rights.excluded_from.is_some_and(|d| d <= today) => "exclu du dispositif".to_owned(),
        Some(c) if c.contains(today) && !rights.is_conventioned(today) => "suspendue".to_owned(),
        Some(c) if c.contains(today) => format!("en vigueur depuis le {}", date_fr(c.from)),
        Some(c) => format!(
            "terminée le {}",
            c.to.map_or_else(|| "—".to_owned(), date_fr)
        ),
        None if rights.conventions.iter().any(|c| c.from > today) => "signée, à venir".to_owned(),
        None => "à signer".to_owned(),
    }
}

/// The periods the rules use (conventions, suspensions, exclusion: signed in msp or imported
/// from the CPAM's files alike), then the acts recorded in msp, with who and when.
fn history_view(history: &[ConventionEvent], rights: &msp_domain::PsychologistRights) -> Markup {
    let period = |p: &msp_domain::Period| match p.to {
        Some(to) => format!("du {} au {}", date_fr(p.from), date_fr(to)),
        None => format!("du {}, sans date de fin", date_fr(p.from)),
    };
    html! {
        h2 { "Périodes de la convention" }
        @if rights.conventions.is_empty() {
            p { "Aucune convention pour l’instant." }
        } @else {
            ul {
                @for c in &rights.conventions { li { "Convention " (period(c)) } }
                @for s in &rights.suspensions { li { "Suspension " (period(s)) } }
                @if let Some(from) = rights.excluded_from { li { "Exclusion du dispositif à compter du " (date_fr(from)) } }
            }
        }
        h2 { "Actes enregistrés dans Mon soutien psy" }
        @if history.is_empty() {
            p { "Aucun acte enregistré dans Mon soutien psy"
                @if !rights.conventions.is_empty() { " : les périodes ci-dessus viennent des fichiers de la CPAM" }
                "." }
        }
        ol {
            @for e in history {
                li {
                    (e.action) " à compter du " (date_fr(e.effective_on))
                    @if let Some(u) = e.until_on { " jusqu’au " (date_fr(u)) }
                    @if !e.reason.is_empty() { " — " (e.reason) }
                    " (" (e.actor) ", " (crate::views::paris_date_time(e.at)) ")"
                }
            }
        }
    }
}

/// A CPAM form sent back with its errors (the field ids of the suspension and exclusion forms
/// end in `-s` and `-e`).
enum CpamSent<'a> {
    Signature(Sent<'a, SignatureForm>),
    Suspension(Sent<'a, SanctionForm>),
    Exclusion(Sent<'a, SanctionForm>),
}

/// A date or text field of a CPAM form.
fn act_field(
    errors: &[Field<'_>],
    id: &str,
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
) -> Markup {
    html! {
        div class="field" {
            label for=(id) { (label) }
            (field_error(errors, id))
            input id=(id) name=(name) type=(kind) value=(value) required
                aria-invalid=[invalid(errors, id)]
                aria-describedby=[described_by(errors, id, None)];
        }
    }
}

fn cpam_psychologist_view(
    user: &CurrentUser,
    p: &PsychologistFile,
    today: Date,
    sent: Option<&CpamSent<'_>>,
) -> Markup {
    let rpps = p.rpps;
    let listed = p.rights.is_conventioned(today);
    let base = paths::convention(rpps);
    let today_iso = today.to_string();
    let empty = SanctionForm::default();
    let (sign_errors, debut) = match sent {
        Some(CpamSent::Signature(s)) => (s.errors, s.typed.debut.as_str()),
        _ => (&[][..], today_iso.as_str()),
    };
    let (suspension_errors, suspension) = match sent {
        Some(CpamSent::Suspension(s)) => (s.errors, s.typed),
        _ => (&[][..], &empty),
    };
    let (exclusion_errors, exclusion) = match sent {
        Some(CpamSent::Exclusion(s)) => (s.errors, s.typed),
        _ => (&[][..], &empty),
    };
    let body = html! {
        h1 { @match &p.registry_name { Some(name) => { (name) " (RPPS " (rpps) ")" }, None => { "Psychologue " (rpps) } } }
        @if let Some(a) = &p.app {
            @let commune = commune_label(&a.fields.address1.insee);
            p { (a.fields.first_name) " " (a.fields.last_name)
                @if !commune.is_empty() && commune != "—" { " — " (commune) }
                " — " a href=(paths::application(a.id)) { "candidature n° " (a.id) } }
        }
        (notice(if listed && p.has_card { Notice::Success } else { Notice::Info }, html! {
            p { strong { "Aujourd’hui : " }
                @if listed && p.has_card { "convention en vigueur, fiche visible dans l’annuaire." }
                @else if listed { "convention en vigueur, mais pas encore visible dans l’annuaire : le psychologue n’a pas rempli sa fiche (adresse du cabinet)." }
                @else { "pas de convention en vigueur, non visible dans l’annuaire." } }
        }))
        (history_view(&p.history, &p.rights))
        @if p.can_sign(today) {
            h2 { "Signer la convention" }
            (form_errors("La convention n’a pas été signée :", sign_errors))
            form method="post" action=(format!("{base}/signature")) class="search" {
                input type="hidden" name="_csrf" value=(user.csrf);
                (act_field(sign_errors, "debut", "debut", "Date de début", "date", debut))
                div class="actions" { button type="submit" class="button" { "Signer" } }
            }
        }
        @if p.open_convention(today) {
            h2 { "Suspendre" }
            (form_errors("La suspension n’a pas été enregistrée :", suspension_errors))
            form method="post" action=(format!("{base}/suspension")) class="search" {
                input type="hidden" name="_csrf" value=(user.csrf);
                (act_field(suspension_errors, "du-s", "du", "Du", "date", &suspension.du))
                (act_field(suspension_errors, "au-s", "au", "Au (la suspension se lève d’elle-même le lendemain)", "date", &suspension.au))
                (act_field(suspension_errors, "motif-s", "motif", "Motif", "text", &suspension.motif))
                div class="actions" { button type="submit" class="button" { "Suspendre" } }
            }
            h2 { "Exclure du dispositif" }
            (form_errors("L’exclusion n’a pas été enregistrée :", exclusion_errors))
            form method="post" action=(format!("{base}/exclusion")) class="search" {
                input type="hidden" name="_csrf" value=(user.csrf);
                (act_field(exclusion_errors, "du-e", "du", "À compter du", "date", &exclusion.du))
                (act_field(exclusion_errors, "motif-e", "motif", "Motif", "text", &exclusion.motif))
                div class="actions" { button type="submit" class="button" { "Exclure" } }
            }
        }
    };
    layout(&frame(user, "Convention"), body)
}

fn convention_view(user: &CurrentUser, convention: Option<&Convention>, today: Date) -> Markup {
    let body = html! {
        h1 { "Ma convention" }
        @if let Some(c) = convention {
            @if c.rights.is_conventioned(today) && !c.has_card {
                (notice(Notice::Warning, html! { p { "Votre convention est en vigueur, mais vous n’apparaissez pas encore dans l’annuaire : remplissez "
                    a href=(paths::MY_CARD) { "votre fiche" } " (adresse du cabinet, contact)." } }))
            } @else if c.rights.is_conventioned(today) {
                (notice(Notice::Success, html! { p { "Votre convention est en vigueur : votre fiche est visible dans l’annuaire." } }))
            } @else {
                (notice(Notice::Info, html! { p { "Votre fiche n’est pas visible dans l’annuaire aujourd’hui." } }))
            }
            (history_view(&c.history, &c.rights))
            @if c.open() {
                h2 { "Quitter le dispositif" }
                (notice(Notice::Warning, html! {
                    p { "Votre convention prendra fin 2 mois après votre demande, le " (date_fr(withdrawal_end(today))) "." }
                }))
                form method="post" action=(paths::WITHDRAWAL) class="search" {
                    input type="hidden" name="_csrf" value=(user.csrf);
                    div class="field" { label for="motif" { "Motif (facultatif)" } input id="motif" name="motif" type="text"; }
                    div class="actions" { button type="submit" class="button" { "Résilier ma convention" } }
                }
            }
        } @else {
            p { "Vous n’avez pas encore de candidature acceptée." }
        }
    };
    layout(&frame(user, "Ma convention"), body)
}

// ---- Handlers. ----

/// `GET /espace/candidature`.
async fn my_application(State(state): State<AppState>, applicant: Applicant) -> AppResult<Markup> {
    let dossier = service::my_application(&state, &applicant).await?;
    Ok(application_view(
        &applicant,
        state.today(),
        dossier.as_ref(),
        None,
        &[],
    ))
}

/// `POST /espace/candidature`: saved, or the form again (422) with every field's error.
async fn save_application(
    State(state): State<AppState>,
    applicant: Applicant,
    CsrfForm(form): CsrfForm<ApplicationForm>,
) -> AppResult<Response> {
    let Err(e) = service::save_application(&state, &applicant, &form).await else {
        return Ok(Redirect::to(paths::APPLICATION).into_response());
    };
    let errors = form_refusal(&e).ok_or_else(|| e.clone())?;
    let dossier = service::my_application(&state, &applicant).await?;
    let page = application_view(
        &applicant,
        state.today(),
        dossier.as_ref(),
        Some(&form),
        &as_fields(&errors),
    );
    Ok((e.status(), page).into_response())
}

/// Reads the upload form: the token, the kind and the file; 413 past the limit.
async fn read_upload(multipart: &mut Multipart) -> AppResult<(Option<String>, Upload)> {
    let unreadable = |m: &str| AppError::invalid("envoi_illisible", m.to_owned());
    let (mut csrf, mut upload) = (None, Upload::default());
    loop {
        let next = multipart.next_field().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                document_too_big()
            } else {
                unreadable("Formulaire d’envoi illisible : recommencez.")
            }
        })?;
        let Some(field) = next else { break };
        let name = field.name().unwrap_or("").to_owned();
        let filename = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                document_too_big()
            } else {
                unreadable("Envoi du fichier interrompu ou illisible : recommencez.")
            }
        })?;
        match name.as_str() {
            "_csrf" => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "type" => upload.kind = DocumentKind::parse(&String::from_utf8_lossy(&bytes)),
            "fichier" => {
                upload.filename = filename.unwrap_or_default();
                upload.bytes = bytes.to_vec();
            }
            _ => {}
        }
    }
    Ok((csrf, upload))
}

/// `POST /espace/candidature/pieces` (multipart: `_csrf`, `type`, `fichier`).
async fn upload_document(
    State(state): State<AppState>,
    applicant: Applicant,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Redirect> {
    let mut multipart = multipart.map_err(|_| {
        AppError::rejected(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "envoi_illisible",
            "Envoyez la pièce avec le formulaire de la page (multipart/form-data).",
        )
    })?;
    let (csrf, upload) = read_upload(&mut multipart).await?;
    applicant.check_csrf(csrf.as_deref())?;
    service::add_document(&state, &applicant, upload).await?;
    Ok(Redirect::to(paths::APPLICATION))
}

/// `POST /espace/candidature/depot`.
async fn file_application(
    State(state): State<AppState>,
    applicant: Applicant,
    CsrfForm(_): CsrfForm<HashMap<String, String>>,
) -> AppResult<Redirect> {
    service::file_application(&state, &applicant).await?;
    Ok(Redirect::to(paths::APPLICATION))
}

/// `GET /espace/candidatures/{id}`: its owner, an expert, a CPAM agent (audited).
async fn view_application(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Markup> {
    let d = service::read_application(&state, &user, &id).await?;
    Ok(read_view(&user, &d, state.today(), None))
}

/// `GET /espace/candidatures/{id}/pieces/{doc}`: the PDF, never cached.
async fn download_document(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, doc)): Path<(String, String)>,
) -> AppResult<Response> {
    let d = service::read_document(&state, &user, &id, &doc).await?;
    let filename = d
        .meta
        .filename
        .replace(|c: char| !c.is_ascii_graphic() && c != ' ', "_");
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        d.content,
    )
        .into_response())
}

/// `POST /espace/candidatures/{id}/decision`.
async fn decide(
    State(state): State<AppState>,
    expert: Expert,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> AppResult<Response> {
    let e = match service::decide(&state, &expert, &id, &form).await {
        Ok(id) => return Ok(Redirect::to(&paths::application(id)).into_response()),
        Err(e) => e,
    };
    let errors = form_refusal(&e).ok_or_else(|| e.clone())?;
    let d = service::read_application(&state, &expert, &id).await?;
    let errors = as_fields(&errors);
    let sent = Sent {
        typed: &form,
        errors: &errors,
    };
    let page = read_view(&expert, &d, state.today(), Some(&sent));
    Ok((e.status(), page).into_response())
}

/// `GET /espace/commission`.
async fn queue(State(state): State<AppState>, expert: Expert) -> AppResult<Markup> {
    let list = service::committee_queue(&state, &expert).await?;
    Ok(queue_view(&expert, &list, state.today()))
}

/// `GET /espace/cpam`.
async fn cpam_home(State(state): State<AppState>, agent: CpamAgent) -> AppResult<Markup> {
    let list = service::accepted_applications(&state, &agent).await?;
    Ok(cpam_home_view(&agent, &list, state.today()))
}

/// `GET /espace/cpam/{rpps}` (audited).
async fn cpam_psychologist(
    State(state): State<AppState>,
    agent: CpamAgent,
    Path(rpps): Path<String>,
) -> AppResult<Markup> {
    let p = service::psychologist_file(&state, &agent, &rpps).await?;
    Ok(cpam_psychologist_view(&agent, &p, state.today(), None))
}

/// Which CPAM act a form asked for.
#[derive(Clone, Copy)]
enum Act {
    Signature,
    Suspension,
    Exclusion,
}

/// After a CPAM act: back to the psychologist's page, or that page again with the form's
/// errors (422); other refusals are error pages.
async fn after_act(
    state: &AppState,
    agent: &CpamAgent,
    raw_rpps: &str,
    done: AppResult<Rpps>,
    act: Act,
    signature: Option<&SignatureForm>,
    sanction: Option<&SanctionForm>,
) -> AppResult<Response> {
    let e = match done {
        Ok(rpps) => return Ok(Redirect::to(&paths::convention(rpps)).into_response()),
        Err(e) => e,
    };
    let suffix = match act {
        Act::Signature => "",
        Act::Suspension => "-s",
        Act::Exclusion => "-e",
    };
    let errors: Vec<(String, String)> = form_refusal(&e)
        .ok_or_else(|| e.clone())?
        .into_iter()
        .map(|(id, m)| (format!("{id}{suffix}"), m))
        .collect();
    let errors = as_fields(&errors);
    let p = service::psychologist_file(state, agent, raw_rpps).await?;
    let today = state.today();
    let shown = match act {
        Act::Signature => p.can_sign(today),
        Act::Suspension | Act::Exclusion => p.open_convention(today),
    };
    if !shown {
        // The form is not on the page any more: the error page lists the fields.
        return Err(e);
    }
    let empty_signature = SignatureForm::default();
    let empty_sanction = SanctionForm::default();
    let sent = match act {
        Act::Signature => CpamSent::Signature(Sent {
            typed: signature.unwrap_or(&empty_signature),
            errors: &errors,
        }),
        Act::Suspension => CpamSent::Suspension(Sent {
            typed: sanction.unwrap_or(&empty_sanction),
            errors: &errors,
        }),
        Act::Exclusion => CpamSent::Exclusion(Sent {
            typed: sanction.unwrap_or(&empty_sanction),
            errors: &errors,
        }),
    };
    let page = cpam_psychologist_view(agent, &p, today, Some(&sent));
    Ok((e.status(), page).into_response())
}

/// `POST /espace/cpam/{rpps}/signature`.
async fn sign(
    State(state): State<AppState>,
    agent: CpamAgent,
    Path(rpps): Path<String>,
    CsrfForm(form): CsrfForm<SignatureForm>,
) -> AppResult<Response> {
    let done = service::sign_convention(&state, &agent, &rpps, &form).await;
    after_act(
        &state,
        &agent,
        &rpps,
        done,
        Act::Signature,
        Some(&form),
        None,
    )
    .await
}

/// `POST /espace/cpam/{rpps}/suspension`.
async fn suspend(
    State(state): State<AppState>,
    agent: CpamAgent,
    Path(rpps): Path<String>,
    CsrfForm(form): CsrfForm<SanctionForm>,
) -> AppResult<Response> {
    let done = service::suspend(&state, &agent, &rpps, &form).await;
    after_act(
        &state,
        &agent,
        &rpps,
        done,
        Act::Suspension,
        None,
        Some(&form),
    )
    .await
}

/// `POST /espace/cpam/{rpps}/exclusion`.
async fn exclude(
    State(state): State<AppState>,
    agent: CpamAgent,
    Path(rpps): Path<String>,
    CsrfForm(form): CsrfForm<SanctionForm>,
) -> AppResult<Response> {
    let done = service::exclude(&state, &agent, &rpps, &form).await;
    after_act(
        &state,
        &agent,
        &rpps,
        done,
        Act::Exclusion,
        None,
        Some(&form),
    )
    .await
}

/// `GET /espace/convention`.
async fn my_convention(State(state): State<AppState>, applicant: Applicant) -> AppResult<Markup> {
    let convention = service::my_convention(&state, &applicant).await?;
    Ok(convention_view(
        &applicant,
        convention.as_ref(),
        state.today(),
    ))
}

/// `POST /espace/convention/retrait`.
async fn withdraw(
    State(state): State<AppState>,
    applicant: Applicant,
    CsrfForm(form): CsrfForm<WithdrawalForm>,
) -> AppResult<Redirect> {
    service::withdraw(&state, &applicant, &form).await?;
    Ok(Redirect::to(paths::MY_CONVENTION))
}
