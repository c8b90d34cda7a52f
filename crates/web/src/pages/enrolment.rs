//! The conventionnement workflow (SPEC §10) as pages: the psychologist's application with its
//! documents and automatic checks, the committee's queue and decision, the CPAM's signature,
//! suspension and exclusion, the psychologist's withdrawal. Every read of an applicant's file by
//! someone else, and every change, is written to the audit log.

// Handlers refuse with a ready French page; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use crate::AppState;
use crate::pages::auth::{CurrentUser, blocking, internal};
use crate::pages::space::{audit_blocking, layout, refusal};
use axum::Form;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use maud::{Markup, html};
use msp_domain::enrolment::{
    ApplicantFacts, CheckResult, DocumentKind, automatic_checks, decision_deadline, is_complete,
    parse_experience_years, withdrawal_end,
};
use msp_domain::{Date, Role, Rpps};
use msp_store::directory::{self, Contact, DirectoryCard, PracticeAddress, Public};
use msp_store::enrolment::{
    self as store, AddressInput, Application, ApplicationEvent, ApplicationFields, ConventionEvent,
    DocumentMeta, Status,
};
use msp_store::{Db, StoreError};
use std::collections::HashMap;

/// Largest document accepted.
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/espace/candidature",
            get(my_application).post(save_application),
        )
        .route(
            "/espace/candidature/pieces",
            post(upload_document).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 64 * 1024)),
        )
        .route("/espace/candidature/depot", post(file_application))
        .route("/espace/candidatures/{id}", get(view_application))
        .route(
            "/espace/candidatures/{id}/pieces/{doc}",
            get(download_document),
        )
        .route("/espace/candidatures/{id}/decision", post(decide))
        .route("/espace/commission", get(queue))
        .route("/espace/cpam", get(cpam_home))
        .route("/espace/cpam/{rpps}", get(cpam_psychologist))
        .route("/espace/cpam/{rpps}/signature", post(sign))
        .route("/espace/cpam/{rpps}/suspension", post(suspend))
        .route("/espace/cpam/{rpps}/exclusion", post(exclude))
        .route("/espace/convention", get(my_convention))
        .route("/espace/convention/retrait", post(withdraw))
}

type Fields = HashMap<String, String>;

fn val<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map_or("", |v| v.trim())
}

fn unprocessable(user: &CurrentUser, message: &str) -> Response {
    refusal(
        Some(user),
        StatusCode::UNPROCESSABLE_ENTITY,
        "Demande invalide",
        message,
    )
}

fn commune_label(insee: &str) -> String {
    msp_geo::communes()
        .by_insee(insee)
        .map_or_else(String::new, |c| c.name.clone())
}

/// Geocodes a postal code (and commune name when the code serves several communes).
pub fn geocode(postal_code: &str, commune: &str) -> Result<String, String> {
    let list = msp_geo::communes().by_postal_code(postal_code);
    match list.as_slice() {
        [] => Err(format!("Code postal « {postal_code} » inconnu.")),
        [one] => Ok(one.insee.clone()),
        many => {
            let wanted = msp_geo::normalize(commune);
            many.iter()
                .find(|c| !wanted.is_empty() && msp_geo::normalize(&c.name) == wanted)
                .map(|c| c.insee.clone())
                .ok_or_else(|| {
                    format!(
                        "Le code postal {postal_code} dessert plusieurs communes : précisez la commune ({}).",
                        many.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                    )
                })
        }
    }
}

fn address_from(f: &Fields, n: u8) -> Result<AddressInput, String> {
    let (line, pc, commune) = (
        val(f, &format!("adresse{n}")),
        val(f, &format!("cp{n}")),
        val(f, &format!("commune{n}")),
    );
    if line.is_empty() && pc.is_empty() {
        return Ok(AddressInput::default());
    }
    if line.is_empty() || pc.is_empty() {
        return Err(format!(
            "Adresse {n} : la rue et le code postal sont tous deux nécessaires."
        ));
    }
    Ok(AddressInput {
        line: line.to_owned(),
        postal_code: pc.to_owned(),
        insee: geocode(pc, commune).map_err(|e| format!("Adresse {n} : {e}"))?,
    })
}

/// Reads the application form; the French reason of the first problem otherwise.
pub fn fields_from(f: &Fields) -> Result<ApplicationFields, String> {
    let experience = val(f, "experience");
    let experience_months = if experience.is_empty() {
        0
    } else {
        parse_experience_years(experience).ok_or_else(|| {
            format!("Expérience « {experience} » illisible : indiquez un nombre d’années, par exemple 3 ou 4,5.")
        })?
    };
    let rpps = val(f, "rpps").replace(' ', "");
    if !rpps.is_empty() {
        Rpps::parse(&rpps).map_err(|e| format!("RPPS : {e}"))?;
    }
    let adeli = val(f, "adeli").replace(' ', "");
    if !adeli.is_empty() {
        msp_domain::Adeli::parse(&adeli).map_err(|e| format!("ADELI : {e}"))?;
    }
    let address1 = address_from(f, 1)?;
    let address2 = address_from(f, 2)?;
    if address1.is_empty() && !address2.is_empty() {
        return Err("Renseignez d’abord l’adresse principale.".into());
    }
    Ok(ApplicationFields {
        rpps,
        adeli,
        last_name: val(f, "nom").to_owned(),
        first_name: val(f, "prenom").to_owned(),
        diploma: val(f, "diplome").to_owned(),
        experience_months,
        address1,
        address2,
        phone: val(f, "telephone").to_owned(),
    })
}

fn fields_to_form(a: &ApplicationFields) -> Fields {
    let mut f = Fields::new();
    let years = if a.experience_months == 0 {
        String::new()
    } else if a.experience_months.is_multiple_of(12) {
        (a.experience_months / 12).to_string()
    } else {
        format!("{:.2}", f64::from(a.experience_months) / 12.0).replace('.', ",")
    };
    for (k, v) in [
        ("rpps", a.rpps.clone()),
        ("adeli", a.adeli.clone()),
        ("nom", a.last_name.clone()),
        ("prenom", a.first_name.clone()),
        ("diplome", a.diploma.clone()),
        ("experience", years),
        ("adresse1", a.address1.line.clone()),
        ("cp1", a.address1.postal_code.clone()),
        ("commune1", commune_label(&a.address1.insee)),
        ("adresse2", a.address2.line.clone()),
        ("cp2", a.address2.postal_code.clone()),
        ("commune2", commune_label(&a.address2.insee)),
        ("telephone", a.phone.clone()),
    ] {
        f.insert(k.to_owned(), v);
    }
    f
}

/// Everything shown about an application.
struct Dossier {
    app: Application,
    docs: Vec<DocumentMeta>,
    checks: Vec<CheckResult>,
    events: Vec<ApplicationEvent>,
}

fn load_dossier(db: &mut Db, app: Application) -> Result<Dossier, StoreError> {
    let docs = store::documents(db, app.id)?;
    let kinds: Vec<DocumentKind> = docs.iter().map(|d| d.kind).collect();
    let registry = match Rpps::parse(&app.fields.rpps) {
        Ok(r) => store::registry_entry(db, r)?,
        Err(_) => None,
    };
    let f = &app.fields;
    let checks = automatic_checks(
        &ApplicantFacts {
            rpps: &f.rpps,
            adeli: &f.adeli,
            last_name: &f.last_name,
            first_name: &f.first_name,
            experience_months: f.experience_months,
            diploma: &f.diploma,
            documents: &kinds,
        },
        registry.as_ref(),
    );
    let events = store::application_events(db, app.id)?;
    Ok(Dossier {
        app,
        docs,
        checks,
        events,
    })
}

fn date_fr(d: Date) -> String {
    d.strftime("%d/%m/%Y").to_string()
}

fn checks_view(checks: &[CheckResult]) -> Markup {
    html! {
        h2 { "Vérifications automatiques" }
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
            li { "Expérience clinique à temps plein : " (f.experience_months / 12) " an(s) " (f.experience_months % 12) " mois" }
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
        ul {
            @for doc in &d.docs {
                li {
                    a href=(format!("/espace/candidatures/{}/pieces/{}", a.id, doc.id)) { (doc.filename) }
                    " — " (doc.kind.label_fr()) " (" (doc.size_bytes / 1024) " Kio)"
                }
            }
        }
        (checks_view(&d.checks))
        h2 { "Historique" }
        ol {
            @for e in &d.events {
                li { (e.at.strftime("%Y-%m-%d %H:%M")) " UTC — " (e.event) " — " (e.actor) @if !e.detail.is_empty() { " — " (e.detail) } }
            }
        }
    }
}

fn application_form(user: &CurrentUser, values: &Fields, error: Option<&str>) -> Markup {
    let v = |k: &str| values.get(k).cloned().unwrap_or_default();
    html! {
        @if let Some(e) = error { div class="alert" role="alert" { p { (e) } } }
        form method="post" action="/espace/candidature" class="search" {
            input type="hidden" name="_csrf" value=(user.csrf);
            fieldset {
                legend { "Identité" }
                div class="field" { label for="nom" { "Nom d’exercice" } input id="nom" name="nom" type="text" value=(v("nom")) autocomplete="family-name"; }
                div class="field" { label for="prenom" { "Prénom d’exercice" } input id="prenom" name="prenom" type="text" value=(v("prenom")) autocomplete="given-name"; }
                div class="field" { label for="rpps" { "Numéro RPPS (11 chiffres)" } input id="rpps" name="rpps" type="text" inputmode="numeric" value=(v("rpps")); }
                div class="field" { label for="adeli" { "Numéro ADELI (facultatif, 9 caractères)" } input id="adeli" name="adeli" type="text" value=(v("adeli")); }
                div class="field" { label for="telephone" { "Téléphone" } input id="telephone" name="telephone" type="tel" value=(v("telephone")) autocomplete="tel"; }
            }
            fieldset {
                legend { "Formation et expérience" }
                div class="field" { label for="diplome" { "Diplôme (intitulé, établissement, année)" } input id="diplome" name="diplome" type="text" value=(v("diplome")); }
                div class="field" { label for="experience" { "Années d’expérience clinique à temps plein" } input id="experience" name="experience" type="text" inputmode="decimal" value=(v("experience")); }
            }
            @for n in [1u8, 2] {
                fieldset {
                    legend { @if n == 1 { "Adresse d’exercice principale" } @else { "Seconde adresse d’exercice (facultative)" } }
                    div class="field" { label for=(format!("adresse{n}")) { "Numéro et rue" } input id=(format!("adresse{n}")) name=(format!("adresse{n}")) type="text" value=(v(&format!("adresse{n}"))); }
                    div class="field" { label for=(format!("cp{n}")) { "Code postal" } input id=(format!("cp{n}")) name=(format!("cp{n}")) type="text" inputmode="numeric" value=(v(&format!("cp{n}"))); }
                    div class="field" { label for=(format!("commune{n}")) { "Commune" } input id=(format!("commune{n}")) name=(format!("commune{n}")) type="text" value=(v(&format!("commune{n}"))); }
                }
            }
            div class="actions" { button type="submit" class="button" { "Enregistrer" } }
        }
    }
}

async fn my_application(State(state): State<AppState>, user: CurrentUser) -> Response {
    if let Err(r) = user.require(&[Role::Psychologue]) {
        return r;
    }
    let account = user.account.id;
    let dossier = match blocking(&state, move |db| {
        store::current_application(db, account)?
            .map(|a| load_dossier(db, a))
            .transpose()
    })
    .await
    {
        Ok(d) => d,
        Err(r) => return r,
    };
    application_page(&state, &user, StatusCode::OK, dossier.as_ref(), None, None)
}

fn application_page(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    dossier: Option<&Dossier>,
    form_values: Option<&Fields>,
    error: Option<&str>,
) -> Response {
    let editable = dossier.is_none_or(|d| matches!(d.app.status, Status::Draft | Status::Rejected));
    let values = form_values
        .cloned()
        .or_else(|| dossier.map(|d| fields_to_form(&d.app.fields)))
        .unwrap_or_default();
    let body = html! {
        h1 { "Ma candidature au conventionnement" }
        p { "Conditions : être inscrit au répertoire national comme psychologue, justifier de 3 ans d’expérience clinique à temps plein et d’un master de psychologie (ou équivalent). La commission rend sa décision dans les 4 mois suivant le dépôt du dossier complet ; sans réponse dans ce délai, la candidature est réputée refusée." }
        @if let Some(d) = dossier {
            @if d.app.status == Status::Rejected {
                div class="alert" role="status" { p { "Votre précédente candidature a été refusée. Vous pouvez en déposer une nouvelle en enregistrant le formulaire." } }
            }
            (dossier_view(d, state.today()))
        }
        @if editable {
            h2 { "Renseignements" }
            (application_form(user, &values, error))
            @if let Some(d) = dossier.filter(|d| d.app.status == Status::Draft) {
                h2 { "Ajouter une pièce (PDF, 5 Mo au plus)" }
                form method="post" action="/espace/candidature/pieces" enctype="multipart/form-data" class="search" {
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
                    form method="post" action="/espace/candidature/depot" {
                        input type="hidden" name="_csrf" value=(user.csrf);
                        button type="submit" class="button" { "Déposer ma candidature" }
                    }
                } @else {
                    p { "Le dossier pourra être déposé quand l’identifiant, le diplôme et les pièces obligatoires seront renseignés." }
                }
            }
        }
    };
    (status, layout(Some(user), "Ma candidature", body)).into_response()
}

async fn save_application(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<Fields>,
) -> Response {
    if let Err(r) = user
        .require(&[Role::Psychologue])
        .and_then(|()| user.check_form(&form))
    {
        return r;
    }
    let fields = match fields_from(&form) {
        Ok(f) => f,
        Err(m) => {
            let account = user.account.id;
            let dossier = blocking(&state, move |db| {
                store::current_application(db, account)?
                    .map(|a| load_dossier(db, a))
                    .transpose()
            })
            .await
            .ok()
            .flatten();
            return application_page(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                dossier.as_ref(),
                Some(&form),
                Some(&m),
            );
        }
    };
    let (account, actor) = (user.account.id, user.actor());
    match blocking(&state, move |db| {
        db.transaction(|tx| {
            let app = store::draft_for(tx, account, &actor, Timestamp::now())?;
            store::save_fields(tx, app.id, &fields, &actor, Timestamp::now())
        })
    })
    .await
    {
        Ok(()) => Redirect::to("/espace/candidature").into_response(),
        Err(r) => r,
    }
}

/// Whether bytes are a PDF file (magic number).
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-")
}

async fn upload_document(
    State(state): State<AppState>,
    user: CurrentUser,
    mut multipart: Multipart,
) -> Response {
    if let Err(r) = user.require(&[Role::Psychologue]) {
        return r;
    }
    let too_big = || {
        refusal(
            Some(&user),
            StatusCode::PAYLOAD_TOO_LARGE,
            "Fichier refusé",
            &format!(
                "Le fichier dépasse {} Mo : réduisez-le avant de le joindre.",
                MAX_DOCUMENT_BYTES / 1024 / 1024
            ),
        )
    };
    let (mut csrf, mut kind, mut file) = (None, None, None);
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                let filename = field.file_name().map(str::to_owned);
                match field.bytes().await {
                    Ok(bytes) => match name.as_str() {
                        "_csrf" => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
                        "type" => kind = DocumentKind::parse(&String::from_utf8_lossy(&bytes)),
                        "fichier" => file = Some((filename.unwrap_or_default(), bytes)),
                        _ => {}
                    },
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_big(),
                    Err(_) => {
                        return unprocessable(
                            &user,
                            "Envoi du fichier interrompu ou illisible : recommencez.",
                        );
                    }
                }
            }
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_big(),
            Err(_) => return unprocessable(&user, "Formulaire d’envoi illisible : recommencez."),
        }
    }
    if let Err(e) = user.check_csrf(csrf.as_deref()) {
        return e.into_response();
    }
    let Some(kind) = kind else {
        return unprocessable(&user, "Choisissez le type de pièce.");
    };
    let Some((filename, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return unprocessable(&user, "Aucun fichier reçu : choisissez un fichier PDF.");
    };
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return too_big();
    }
    if !is_pdf(&bytes) {
        return refusal(
            Some(&user),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Fichier refusé",
            "Seuls les fichiers PDF sont acceptés : ce fichier n’en est pas un.",
        );
    }
    let filename: String = filename
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"'))
        .take(120)
        .collect();
    let filename = if filename.trim().is_empty() {
        "piece.pdf".to_owned()
    } else {
        filename
    };
    let (account, actor) = (user.account.id, user.actor());
    match blocking(&state, move |db| {
        db.transaction(|tx| {
            let app = store::draft_for(tx, account, &actor, Timestamp::now())?;
            store::add_document(
                tx,
                app.id,
                kind,
                &filename,
                &bytes,
                &actor,
                Timestamp::now(),
            )
        })
    })
    .await
    {
        Ok(_) => Redirect::to("/espace/candidature").into_response(),
        Err(r) => r,
    }
}

async fn file_application(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<Fields>,
) -> Response {
    if let Err(r) = user
        .require(&[Role::Psychologue])
        .and_then(|()| user.check_form(&form))
    {
        return r;
    }
    let (account, actor, today) = (user.account.id, user.actor(), state.today());
    let result = blocking(&state, move |db| {
        db.transaction(|tx| {
            let Some(app) = store::current_application(tx, account)?.filter(|a| a.status == Status::Draft) else {
                return Err(StoreError::Conflict("aucune candidature en cours de rédaction".into()));
            };
            let d = load_dossier(tx, app)?;
            if !is_complete(&d.checks) {
                return Err(StoreError::Invalid(
                    "le dossier est incomplet : identifiant, diplôme et pièces obligatoires sont nécessaires".into(),
                ));
            }
            store::file_application(tx, d.app.id, today, &actor, Timestamp::now())
        })
    })
    .await;
    match result {
        Ok(()) => Redirect::to("/espace/candidature").into_response(),
        Err(r) => r,
    }
}

/// Loads an application the user may read, auditing reads by anyone but its owner.
async fn readable_dossier(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    why: &'static str,
) -> Result<Dossier, Response> {
    user.require(&[Role::Psychologue, Role::Expert, Role::AgentCpam])?;
    let u = user.clone();
    let found = blocking(state, move |db| {
        let Some(app) = store::get_application(db, id)? else {
            return Ok(Err(StatusCode::NOT_FOUND));
        };
        if u.role() == Role::Psychologue && app.account_id != u.account.id {
            return Ok(Err(StatusCode::FORBIDDEN));
        }
        if u.role() == Role::Expert && app.status == Status::Draft {
            return Ok(Err(StatusCode::FORBIDDEN));
        }
        if u.role() != Role::Psychologue {
            audit_blocking(db, &u, "lecture", "candidature", &id.to_string(), why)?;
        }
        load_dossier(db, app).map(Ok)
    })
    .await?;
    found.map_err(|status| match status {
        StatusCode::NOT_FOUND => refusal(
            Some(user),
            status,
            "Candidature introuvable",
            "Aucune candidature ne porte ce numéro.",
        ),
        _ => refusal(
            Some(user),
            StatusCode::FORBIDDEN,
            "Accès refusé",
            "Cette candidature n’est pas la vôtre : vous ne pouvez pas la consulter.",
        ),
    })
}

fn parse_id(user: &CurrentUser, raw: &str) -> Result<i64, Response> {
    raw.parse::<i64>().map_err(|_| {
        refusal(
            Some(user),
            StatusCode::NOT_FOUND,
            "Candidature introuvable",
            "Numéro de candidature invalide.",
        )
    })
}

async fn view_application(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(&user, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let why = match user.role() {
        Role::Expert => "instruction de la candidature (commission)",
        _ => "conventionnement (CPAM)",
    };
    let d = match readable_dossier(&state, &user, id, why).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let body = html! {
        h1 { "Candidature n° " (d.app.id) " — " (d.app.fields.first_name) " " (d.app.fields.last_name) }
        (dossier_view(&d, state.today()))
        @if user.role() == Role::Expert && d.app.status == Status::Filed {
            h2 { "Décision de la commission" }
            form method="post" action=(format!("/espace/candidatures/{}/decision", d.app.id)) class="search" {
                input type="hidden" name="_csrf" value=(user.csrf);
                fieldset {
                    legend { "Décision" }
                    div class="check" { input type="radio" id="accepter" name="decision" value="accepter"; label for="accepter" { "Accepter" } }
                    div class="check" { input type="radio" id="refuser" name="decision" value="refuser"; label for="refuser" { "Refuser" } }
                }
                div class="field" { label for="motif" { "Motif (obligatoire en cas de refus)" } textarea id="motif" name="motif" rows="4" {} }
                div class="actions" { button type="submit" class="button" { "Enregistrer la décision" } }
            }
        }
        @if user.role() == Role::AgentCpam && d.app.status == Status::Accepted {
            p { a class="button" href=(format!("/espace/cpam/{}", d.app.fields.rpps)) { "Convention de ce psychologue" } }
        }
    };
    layout(Some(&user), "Candidature", body).into_response()
}

async fn download_document(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, doc)): Path<(String, String)>,
) -> Response {
    let (id, doc) = match (parse_id(&user, &id), doc.parse::<i64>()) {
        (Ok(id), Ok(doc)) => (id, doc),
        _ => {
            return refusal(
                Some(&user),
                StatusCode::NOT_FOUND,
                "Pièce introuvable",
                "Numéro de pièce invalide.",
            );
        }
    };
    if let Err(r) = readable_dossier(&state, &user, id, "lecture d’une pièce justificative").await
    {
        return r;
    }
    match blocking(&state, move |db| store::document(db, id, doc)).await {
        Ok(Some((meta, content))) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}\"",
                        meta.filename
                            .replace(|c: char| !c.is_ascii_graphic() && c != ' ', "_")
                    ),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_owned()),
            ],
            content,
        )
            .into_response(),
        Ok(None) => refusal(
            Some(&user),
            StatusCode::NOT_FOUND,
            "Pièce introuvable",
            "Cette pièce n’appartient pas à cette candidature.",
        ),
        Err(r) => r,
    }
}

async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    if let Err(r) = user
        .require(&[Role::Expert])
        .and_then(|()| user.check_form(&form))
    {
        return r;
    }
    let id = match parse_id(&user, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let accept = match val(&form, "decision") {
        "accepter" => true,
        "refuser" => false,
        _ => return unprocessable(&user, "Choisissez « Accepter » ou « Refuser »."),
    };
    let reason = val(&form, "motif").to_owned();
    if !accept && reason.is_empty() {
        return unprocessable(&user, "Un refus doit être motivé : indiquez le motif.");
    }
    let (u, today) = (user.clone(), state.today());
    match blocking(&state, move |db| {
        db.transaction(|tx| {
            store::decide(tx, id, accept, &reason, &u.actor(), today, Timestamp::now())?;
            audit_blocking(
                tx,
                &u,
                "decision",
                "candidature",
                &id.to_string(),
                if accept { "acceptation" } else { "refus" },
            )
        })
    })
    .await
    {
        Ok(()) => Redirect::to(&format!("/espace/candidatures/{id}")).into_response(),
        Err(r) => r,
    }
}

async fn queue(State(state): State<AppState>, user: CurrentUser) -> Response {
    if let Err(r) = user.require(&[Role::Expert]) {
        return r;
    }
    let list = match blocking(&state, |db| store::with_status(db, Status::Filed)).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let today = state.today();
    let body = html! {
        h1 { "Candidatures à examiner" }
        p { "Les plus anciennes d’abord. Sans décision dans les 4 mois suivant le dossier complet, une candidature est refusée automatiquement." }
        @if list.is_empty() { p { "Aucune candidature en attente." } }
        table {
            thead { tr { th scope="col" { "N°" } th scope="col" { "Candidat" } th scope="col" { "Dossier complet le" } th scope="col" { "Échéance" } } }
            tbody {
                @for a in &list {
                    @let deadline = a.complete_on.map(decision_deadline);
                    tr {
                        td { a href=(format!("/espace/candidatures/{}", a.id)) { (a.id) } }
                        td { (a.fields.first_name) " " (a.fields.last_name) }
                        td { (a.complete_on.map(date_fr).unwrap_or_default()) }
                        td {
                            (deadline.map(date_fr).unwrap_or_default())
                            @if let Some(d) = deadline { " (" ((d - today).get_days()) " j)" }
                        }
                    }
                }
            }
        }
    };
    layout(Some(&user), "Candidatures à examiner", body).into_response()
}

fn require_agent_for(user: &CurrentUser, app: Option<&Application>) -> Result<(), Response> {
    let (Some(territory), Some(app)) = (&user.account.territory, app) else {
        return Ok(());
    };
    let dep = msp_geo::communes()
        .by_insee(&app.fields.address1.insee)
        .map(|c| c.departement.clone());
    if dep.as_deref() == Some(territory.as_str()) {
        Ok(())
    } else {
        Err(refusal(
            Some(user),
            StatusCode::FORBIDDEN,
            "Accès refusé",
            "Ce psychologue exerce hors du département de votre CPAM.",
        ))
    }
}

async fn cpam_home(State(state): State<AppState>, user: CurrentUser) -> Response {
    if let Err(r) = user.require(&[Role::AgentCpam]) {
        return r;
    }
    let list = match blocking(&state, |db| store::with_status(db, Status::Accepted)).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let body = html! {
        h1 { "Conventions" }
        p { "Candidatures acceptées par la commission : signez la convention, ou gérez celle d’un psychologue conventionné." }
        table {
            thead { tr { th scope="col" { "RPPS" } th scope="col" { "Psychologue" } th scope="col" { "Commune principale" } th scope="col" { "Acceptée le" } } }
            tbody {
                @for a in list.iter().filter(|a| require_agent_for(&user, Some(a)).is_ok()) {
                    tr {
                        td { a href=(format!("/espace/cpam/{}", a.fields.rpps)) { (a.fields.rpps) } }
                        td { (a.fields.first_name) " " (a.fields.last_name) }
                        td { (commune_label(&a.fields.address1.insee)) }
                        td { (a.decided_on.map(date_fr).unwrap_or_default()) }
                    }
                }
            }
        }
    };
    layout(Some(&user), "Conventions", body).into_response()
}

fn parse_rpps(user: &CurrentUser, raw: &str) -> Result<Rpps, Response> {
    Rpps::parse(raw).map_err(|e| {
        refusal(
            Some(user),
            StatusCode::NOT_FOUND,
            "Psychologue introuvable",
            &e.to_string(),
        )
    })
}

struct Psychologist {
    app: Option<Application>,
    rights: msp_domain::PsychologistRights,
    history: Vec<ConventionEvent>,
}

async fn load_psychologist(
    state: &AppState,
    user: &CurrentUser,
    rpps: Rpps,
    why: &'static str,
) -> Result<Psychologist, Response> {
    let u = user.clone();
    let p = blocking(state, move |db| {
        let app = store::accepted_application_of(db, rpps)?;
        if app.is_some() {
            audit_blocking(db, &u, "lecture", "psychologue", &rpps.to_string(), why)?;
        }
        Ok(Psychologist {
            app,
            rights: directory::rights_of(db, rpps)?,
            history: store::convention_history(db, rpps)?,
        })
    })
    .await?;
    if p.app.is_none() && p.history.is_empty() {
        return Err(refusal(
            Some(user),
            StatusCode::NOT_FOUND,
            "Psychologue introuvable",
            "Aucune candidature acceptée ni convention pour ce RPPS.",
        ));
    }
    require_agent_for(user, p.app.as_ref())?;
    Ok(p)
}

fn history_view(history: &[ConventionEvent]) -> Markup {
    html! {
        h2 { "Historique de la convention" }
        @if history.is_empty() { p { "Aucun acte pour l’instant." } }
        ol {
            @for e in history {
                li {
                    (e.action) " à compter du " (date_fr(e.effective_on))
                    @if let Some(u) = e.until_on { " jusqu’au " (date_fr(u)) }
                    @if !e.reason.is_empty() { " — " (e.reason) }
                    " (" (e.actor) ", " (e.at.strftime("%Y-%m-%d %H:%M")) " UTC)"
                }
            }
        }
    }
}

async fn cpam_psychologist(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(rpps): Path<String>,
) -> Response {
    if let Err(r) = user.require(&[Role::AgentCpam]) {
        return r;
    }
    let rpps = match parse_rpps(&user, &rpps) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let p = match load_psychologist(&state, &user, rpps, "gestion de la convention (CPAM)").await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let today = state.today();
    let listed = p.rights.is_conventioned(today);
    let open = p
        .rights
        .conventions
        .iter()
        .any(|c| c.to.is_none_or(|t| t >= today));
    let body = html! {
        h1 { "Psychologue " (rpps) }
        @if let Some(a) = &p.app {
            p { (a.fields.first_name) " " (a.fields.last_name) " — " (commune_label(&a.fields.address1.insee))
                " — " a href=(format!("/espace/candidatures/{}", a.id)) { "candidature n° " (a.id) } }
        }
        p { strong { "Aujourd’hui : " } @if listed { "conventionné, visible dans l’annuaire." } @else { "non visible dans l’annuaire." } }
        (history_view(&p.history))
        @if !open && p.app.is_some() && p.rights.excluded_from.is_none() {
            h2 { "Signer la convention" }
            form method="post" action=(format!("/espace/cpam/{rpps}/signature")) class="search" {
                input type="hidden" name="_csrf" value=(user.csrf);
                div class="field" { label for="debut" { "Date de début" } input id="debut" name="debut" type="date" value=(today.to_string()) required; }
                div class="actions" { button type="submit" class="button" { "Signer" } }
            }
        }
        @if open {
            h2 { "Suspendre" }
            form method="post" action=(format!("/espace/cpam/{rpps}/suspension")) class="search" {
                input type="hidden" name="_csrf" value=(user.csrf);
                div class="field" { label for="du" { "Du" } input id="du" name="du" type="date" required; }
                div class="field" { label for="au" { "Au (la suspension se lève d’elle-même le lendemain)" } input id="au" name="au" type="date" required; }
                div class="field" { label for="motif-s" { "Motif" } input id="motif-s" name="motif" type="text" required; }
                div class="actions" { button type="submit" class="button" { "Suspendre" } }
            }
            h2 { "Exclure du dispositif" }
            form method="post" action=(format!("/espace/cpam/{rpps}/exclusion")) class="search" {
                input type="hidden" name="_csrf" value=(user.csrf);
                div class="field" { label for="date-e" { "À compter du" } input id="date-e" name="du" type="date" required; }
                div class="field" { label for="motif-e" { "Motif" } input id="motif-e" name="motif" type="text" required; }
                div class="actions" { button type="submit" class="button" { "Exclure" } }
            }
        }
    };
    layout(Some(&user), "Convention", body).into_response()
}

fn date_field(user: &CurrentUser, form: &Fields, key: &str, label: &str) -> Result<Date, Response> {
    msp_domain::dates::parse_iso(val(form, key)).ok_or_else(|| {
        unprocessable(
            user,
            &format!("{label} : date invalide, attendu AAAA-MM-JJ."),
        )
    })
}

/// Refreshes the directory index after a change to a psychologist's rights or card.
async fn refresh(state: &AppState, rpps: Rpps) -> Result<(), Response> {
    let s = state.clone();
    tokio::task::spawn_blocking(move || s.refresh_card(rpps))
        .await
        .map_err(|e| internal(&e))?
        .map_err(|e| internal(&e))
}

/// The directory card made from an accepted application (the psychologist edits it later).
pub fn card_from_application(rpps: Rpps, app: &Application) -> Result<DirectoryCard, StoreError> {
    let mut addresses = Vec::new();
    for a in [&app.fields.address1, &app.fields.address2] {
        if a.is_empty() {
            continue;
        }
        let c = msp_geo::communes()
            .by_insee(&a.insee)
            .ok_or_else(|| StoreError::Invalid(format!("commune {} inconnue", a.insee)))?;
        addresses.push(PracticeAddress {
            line: a.line.clone(),
            postal_code: a.postal_code.clone(),
            commune_insee: a.insee.clone(),
            latitude: c.latitude,
            longitude: c.longitude,
        });
    }
    Ok(DirectoryCard {
        rpps,
        addresses,
        phone: Contact {
            value: (!app.fields.phone.is_empty()).then(|| app.fields.phone.clone()),
            public: false,
        },
        email: Contact::default(),
        website: Contact::default(),
        structure_name: None,
        languages: Vec::new(),
        public: Public::Adults,
        teleconsultation: false,
        accepting_new_patients: None,
        availability_confirmed_on: None,
    })
}

async fn sign(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(rpps): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    if let Err(r) = user
        .require(&[Role::AgentCpam])
        .and_then(|()| user.check_form(&form))
    {
        return r;
    }
    let rpps = match parse_rpps(&user, &rpps) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let start = match date_field(&user, &form, "debut", "Date de début") {
        Ok(d) => d,
        Err(r) => return r,
    };
    let p = match load_psychologist(&state, &user, rpps, "signature de la convention (CPAM)").await
    {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(app) = p.app else {
        return refusal(
            Some(&user),
            StatusCode::CONFLICT,
            "Action impossible",
            "Aucune candidature acceptée pour ce psychologue.",
        );
    };
    let u = user.clone();
    let result = blocking(&state, move |db| {
        db.transaction(|tx| {
            if !directory::is_registered_psychologist(tx, rpps)? {
                return Err(StoreError::Conflict(format!(
                    "le RPPS {rpps} n’est pas celui d’un psychologue du répertoire national"
                )));
            }
            let cpam = msp_geo::communes()
                .by_insee(&app.fields.address1.insee)
                .map_or_else(String::new, |c| c.departement.clone());
            store::sign_convention(tx, rpps, start, &cpam, &u.actor(), Timestamp::now())?;
            if directory::load_card(tx, rpps)?.is_none() {
                directory::upsert_card(tx, &card_from_application(rpps, &app)?, Timestamp::now())?;
            }
            audit_blocking(
                tx,
                &u,
                "signature",
                "psychologue",
                &rpps.to_string(),
                "signature de la convention",
            )
        })
    })
    .await;
    if let Err(r) = result {
        return r;
    }
    if let Err(r) = refresh(&state, rpps).await {
        return r;
    }
    Redirect::to(&format!("/espace/cpam/{rpps}")).into_response()
}

async fn suspend(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(rpps): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    cpam_action(state, user, rpps, form, true).await
}

async fn exclude(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(rpps): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    cpam_action(state, user, rpps, form, false).await
}

async fn cpam_action(
    state: AppState,
    user: CurrentUser,
    rpps: String,
    form: Fields,
    suspension: bool,
) -> Response {
    if let Err(r) = user
        .require(&[Role::AgentCpam])
        .and_then(|()| user.check_form(&form))
    {
        return r;
    }
    let rpps = match parse_rpps(&user, &rpps) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let from = match date_field(&user, &form, "du", "Date de début") {
        Ok(d) => d,
        Err(r) => return r,
    };
    let to = if suspension {
        match date_field(&user, &form, "au", "Date de fin") {
            Ok(d) if d >= from => Some(d),
            Ok(_) => return unprocessable(&user, "La fin de la suspension précède son début."),
            Err(r) => return r,
        }
    } else {
        None
    };
    let reason = val(&form, "motif").to_owned();
    if reason.is_empty() {
        return unprocessable(&user, "Le motif est obligatoire.");
    }
    if let Err(r) = load_psychologist(
        &state,
        &user,
        rpps,
        if suspension {
            "suspension (CPAM)"
        } else {
            "exclusion (CPAM)"
        },
    )
    .await
    {
        return r;
    }
    let u = user.clone();
    let result = blocking(&state, move |db| {
        db.transaction(|tx| {
            let now = Timestamp::now();
            match to {
                Some(to) => store::suspend(tx, rpps, from, to, &reason, &u.actor(), now)?,
                None => store::exclude(tx, rpps, from, &reason, &u.actor(), now)?,
            }
            audit_blocking(
                tx,
                &u,
                if to.is_some() {
                    "suspension"
                } else {
                    "exclusion"
                },
                "psychologue",
                &rpps.to_string(),
                &reason,
            )
        })
    })
    .await;
    if let Err(r) = result {
        return r;
    }
    if let Err(r) = refresh(&state, rpps).await {
        return r;
    }
    Redirect::to(&format!("/espace/cpam/{rpps}")).into_response()
}

pub(crate) async fn own_rpps(
    state: &AppState,
    user: &CurrentUser,
) -> Result<Option<Rpps>, Response> {
    let account = user.account.id;
    let app = blocking(state, move |db| store::current_application(db, account)).await?;
    Ok(app
        .filter(|a| a.status == Status::Accepted)
        .and_then(|a| Rpps::parse(&a.fields.rpps).ok()))
}

async fn my_convention(State(state): State<AppState>, user: CurrentUser) -> Response {
    if let Err(r) = user.require(&[Role::Psychologue]) {
        return r;
    }
    let rpps = match own_rpps(&state, &user).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let Some(rpps) = rpps else {
        return layout(Some(&user), "Ma convention", html! { h1 { "Ma convention" } p { "Vous n’avez pas encore de candidature acceptée." } }).into_response();
    };
    let (rights, history) = match blocking(&state, move |db| {
        Ok((
            directory::rights_of(db, rpps)?,
            store::convention_history(db, rpps)?,
        ))
    })
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let today = state.today();
    let open = rights.conventions.iter().any(|c| c.to.is_none());
    let body = html! {
        h1 { "Ma convention" }
        p { @if rights.is_conventioned(today) { "Vous êtes conventionné : votre fiche est visible dans l’annuaire." } @else { "Votre fiche n’est pas visible dans l’annuaire aujourd’hui." } }
        (history_view(&history))
        @if open {
            h2 { "Quitter le dispositif" }
            p { "Votre convention prendra fin 2 mois après votre demande, le " (date_fr(withdrawal_end(today))) "." }
            form method="post" action="/espace/convention/retrait" class="search" {
                input type="hidden" name="_csrf" value=(user.csrf);
                div class="field" { label for="motif" { "Motif (facultatif)" } input id="motif" name="motif" type="text"; }
                div class="actions" { button type="submit" class="button" { "Résilier ma convention" } }
            }
        }
    };
    layout(Some(&user), "Ma convention", body).into_response()
}

async fn withdraw(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<Fields>,
) -> Response {
    if let Err(r) = user
        .require(&[Role::Psychologue])
        .and_then(|()| user.check_form(&form))
    {
        return r;
    }
    let rpps = match own_rpps(&state, &user).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return refusal(
                Some(&user),
                StatusCode::CONFLICT,
                "Action impossible",
                "Vous n’avez pas de convention.",
            );
        }
        Err(r) => return r,
    };
    let today = state.today();
    let reason = val(&form, "motif").to_owned();
    let actor = user.actor();
    if let Err(r) = blocking(&state, move |db| {
        store::withdraw(
            db,
            rpps,
            today,
            withdrawal_end(today),
            &reason,
            &actor,
            Timestamp::now(),
        )
    })
    .await
    {
        return r;
    }
    if let Err(r) = refresh(&state, rpps).await {
        return r;
    }
    Redirect::to("/espace/convention").into_response()
}

/// How often `serve` rejects the applications left without decision past their deadline.
pub const EXPIRY_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Rejects overdue applications now (blocking); returns their ids.
pub fn expire_now(state: &AppState) -> Result<Vec<i64>, StoreError> {
    let mut db = state.pool().get()?;
    store::expire_overdue(&mut db, state.today(), Timestamp::now())
}

/// The scheduled expiry: at start-up, then every [`EXPIRY_EVERY`].
pub async fn expiry_job(state: AppState) {
    let mut tick = tokio::time::interval(EXPIRY_EVERY);
    loop {
        tick.tick().await;
        let s = state.clone();
        match tokio::task::spawn_blocking(move || expire_now(&s)).await {
            Ok(Ok(ids)) if !ids.is_empty() => {
                tracing::info!(
                    count = ids.len(),
                    ?ids,
                    "applications rejected: no decision within 4 months"
                );
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "application expiry failed"),
            Err(e) => tracing::warn!(error = %e, "application expiry panicked"),
        }
    }
}
