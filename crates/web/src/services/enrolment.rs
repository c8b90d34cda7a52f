//! The conventionnement workflow (SPEC §10), one function per step: the psychologist's
//! application (fields, documents, filing), the committee's queue and decision, the CPAM's
//! signature, suspension and exclusion, the psychologist's convention and withdrawal, the
//! hourly expiry of applications left without decision. Every read of an applicant's file by
//! someone else, and every change by someone else, writes its audit line here.

use crate::AppState;
use crate::error::{AppError, AppResult, FieldError};
use crate::extract::{Applicant, CpamAgent, CurrentUser, Expert, own_rpps};
use axum::http::StatusCode;
use jiff::Timestamp;
use msp_domain::enrolment::{
    ApplicantFacts, CheckResult, DocumentKind, automatic_checks, is_complete,
    parse_experience_years, withdrawal_end,
};
use msp_domain::{Date, PsychologistRights, Role, Rpps};
use msp_store::directory::{self, Contact, DirectoryCard, PracticeAddress, Public};
use msp_store::enrolment::{
    self as store, AddressInput, Application, ApplicationEvent, ApplicationFields, ConventionEvent,
    DocumentMeta, Status,
};
use msp_store::{Db, StoreError};

use super::audit::record_as as audit;
use super::territory;

/// Largest document accepted.
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024 * 1024;
/// Documents one application holds at most.
pub const MAX_DOCUMENTS: usize = 10;
/// Total size of one application's documents at most.
pub const MAX_TOTAL_BYTES: usize = 20 * 1024 * 1024;
/// How often `serve` rejects the applications left without decision past their deadline.
pub const EXPIRY_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

fn field(champ: &str, detail: impl Into<String>) -> FieldError {
    FieldError {
        champ: champ.to_owned(),
        detail: detail.into(),
    }
}

/// The application form as typed (every field a string, kept to show the form again).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct ApplicationForm {
    pub rpps: String,
    pub adeli: String,
    pub nom: String,
    pub prenom: String,
    pub diplome: String,
    /// Years of full-time clinical experience, « 3 » or « 4,5 ».
    pub experience: String,
    pub adresse1: String,
    pub cp1: String,
    pub commune1: String,
    pub adresse2: String,
    pub cp2: String,
    pub commune2: String,
    pub telephone: String,
}

impl ApplicationForm {
    /// The form filled with what the application holds.
    pub fn of(a: &ApplicationFields) -> ApplicationForm {
        let years = if a.experience_months == 0 {
            String::new()
        } else if a.experience_months.is_multiple_of(12) {
            (a.experience_months / 12).to_string()
        } else {
            format!("{:.2}", f64::from(a.experience_months) / 12.0).replace('.', ",")
        };
        ApplicationForm {
            rpps: a.rpps.clone(),
            adeli: a.adeli.clone(),
            nom: a.last_name.clone(),
            prenom: a.first_name.clone(),
            diplome: a.diploma.clone(),
            experience: years,
            adresse1: a.address1.line.clone(),
            cp1: a.address1.postal_code.clone(),
            commune1: commune_label(&a.address1.insee),
            adresse2: a.address2.line.clone(),
            cp2: a.address2.postal_code.clone(),
            commune2: commune_label(&a.address2.insee),
            telephone: a.phone.clone(),
        }
    }

    /// Address `n` (1 or 2): street, postal code, commune.
    pub fn address(&self, n: u8) -> (&str, &str, &str) {
        if n == 1 {
            (&self.adresse1, &self.cp1, &self.commune1)
        } else {
            (&self.adresse2, &self.cp2, &self.commune2)
        }
    }
}

/// The name of a commune by INSEE code (empty when unknown).
pub fn commune_label(insee: &str) -> String {
    msp_geo::communes()
        .by_insee(insee)
        .map_or_else(String::new, |c| c.name.clone())
}

/// Geocodes a postal code (and commune name when the code serves several communes).
pub fn geocode(postal_code: &str, commune: &str) -> Result<String, String> {
    let list = msp_geo::communes().by_postal_code(postal_code);
    let wanted = msp_geo::normalize(commune);
    // A typed commune must be the code's: « Paris » for an arrondissement of Paris too.
    let named = |c: &msp_geo::Commune| {
        wanted.is_empty()
            || msp_geo::normalize(&c.name) == wanted
            || c.parent
                .as_deref()
                .and_then(|p| msp_geo::communes().by_insee(p))
                .is_some_and(|p| msp_geo::normalize(&p.name) == wanted)
    };
    match list.as_slice() {
        [] => Err(format!(
            "le code postal « {postal_code} » n’est celui d’aucune commune française."
        )),
        [one] if named(one) => Ok(one.insee.clone()),
        [one] => Err(format!(
            "le code postal {postal_code} est celui de {}, pas de « {} » : corrigez l’un ou l’autre.",
            one.name,
            commune.trim()
        )),
        many => {
            many.iter()
                .find(|c| !wanted.is_empty() && msp_geo::normalize(&c.name) == wanted)
                .map(|c| c.insee.clone())
                .ok_or_else(|| {
                    format!(
                        "le code postal {postal_code} dessert plusieurs communes : précisez la commune ({}).",
                        many.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                    )
                })
        }
    }
}

fn address_from(form: &ApplicationForm, n: u8) -> Result<AddressInput, FieldError> {
    let (line, pc, commune) = form.address(n);
    let (line, pc, commune) = (line.trim(), pc.trim(), commune.trim());
    if line.is_empty() && pc.is_empty() {
        return Ok(AddressInput::default());
    }
    if line.is_empty() || pc.is_empty() {
        let at = if line.is_empty() { "adresse" } else { "cp" };
        return Err(field(
            &format!("{at}{n}"),
            format!("Adresse {n} : la rue et le code postal sont tous deux nécessaires."),
        ));
    }
    let insee = geocode(pc, commune).map_err(|e| {
        let at = if e.contains("plusieurs communes") {
            "commune"
        } else {
            "cp"
        };
        field(&format!("{at}{n}"), format!("Adresse {n} : {e}"))
    })?;
    Ok(AddressInput {
        line: line.to_owned(),
        postal_code: pc.to_owned(),
        insee,
    })
}

/// Reads the application form: the fields, or every field at fault with what to fix.
pub fn fields_from(form: &ApplicationForm) -> Result<ApplicationFields, Vec<FieldError>> {
    let mut errors = Vec::new();
    let experience = form.experience.trim();
    let experience_months = if experience.is_empty() {
        0
    } else {
        parse_experience_years(experience).unwrap_or_else(|| {
            errors.push(field(
                "experience",
                format!("Expérience « {experience} » illisible : indiquez un nombre d’années, par exemple 3 ou 4,5."),
            ));
            0
        })
    };
    let rpps = form.rpps.trim().replace(' ', "");
    if !rpps.is_empty()
        && let Err(e) = Rpps::parse(&rpps)
    {
        errors.push(field("rpps", format!("RPPS : {e}")));
    }
    let adeli = form.adeli.trim().replace(' ', "");
    if !adeli.is_empty()
        && let Err(e) = msp_domain::Adeli::parse(&adeli)
    {
        errors.push(field("adeli", format!("ADELI : {e}")));
    }
    let mut address = |n: u8| {
        address_from(form, n).unwrap_or_else(|e| {
            errors.push(e);
            AddressInput::default()
        })
    };
    let (address1, address2) = (address(1), address(2));
    if form.adresse1.trim().is_empty() && form.cp1.trim().is_empty() && !address2.is_empty() {
        errors.push(field(
            "adresse1",
            "Renseignez d’abord l’adresse principale.",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ApplicationFields {
        rpps,
        adeli,
        last_name: form.nom.trim().to_owned(),
        first_name: form.prenom.trim().to_owned(),
        diploma: form.diplome.trim().to_owned(),
        experience_months,
        address1,
        address2,
        phone: form.telephone.trim().to_owned(),
    })
}

/// Everything shown about an application.
#[derive(Debug, Clone)]
pub struct Dossier {
    pub app: Application,
    pub docs: Vec<DocumentMeta>,
    pub checks: Vec<CheckResult>,
    pub events: Vec<ApplicationEvent>,
}

impl Dossier {
    /// Whether its owner may still change it.
    pub fn editable(&self) -> bool {
        matches!(self.app.status, Status::Draft | Status::Rejected)
    }
}

fn load_dossier(db: &mut Db, app: Application) -> Result<Dossier, StoreError> {
    let docs = store::documents(db, app.id)?;
    let kinds: Vec<DocumentKind> = docs.iter().map(|d| d.kind).collect();
    let registry = match Rpps::parse(&app.fields.rpps) {
        Ok(r) => store::registry_entry(db, r)?,
        Err(_) => None,
    };
    let f = &app.fields;
    let held =
        !f.rpps.trim().is_empty() && store::rpps_held_by_other(db, f.rpps.trim(), app.account_id)?;
    let checks = automatic_checks(
        &ApplicantFacts {
            rpps: &f.rpps,
            adeli: &f.adeli,
            last_name: &f.last_name,
            first_name: &f.first_name,
            experience_months: f.experience_months,
            diploma: &f.diploma,
            documents: &kinds,
            rpps_held_elsewhere: held,
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

/// The psychologist's current application, if any (their own: not audited).
pub async fn my_application(state: &AppState, applicant: &Applicant) -> AppResult<Option<Dossier>> {
    let account = applicant.account.id;
    state
        .db(move |db| {
            store::current_application(db, account)?
                .map(|a| load_dossier(db, a))
                .transpose()
        })
        .await
}

/// Saves the application form (opening a draft when needed). Refusal: 422
/// `candidature_invalide` with every field at fault.
pub async fn save_application(
    state: &AppState,
    applicant: &Applicant,
    form: &ApplicationForm,
) -> AppResult<()> {
    // An account whose RPPS was verified (Pro Santé Connect) applies under that RPPS only.
    let mut form = form.clone();
    if let Some(verified) = &applicant.account.rpps {
        form.rpps = verified.clone();
    }
    let fields = fields_from(&form).map_err(|errors| {
        AppError::invalid(
            "candidature_invalide",
            "La candidature n’a pas été enregistrée.",
        )
        .fields(errors)
    })?;
    let (account, actor) = (applicant.account.id, applicant.actor());
    state
        .db(move |db| {
            db.transaction(|tx| {
                let app = store::draft_for(tx, account, &actor, Timestamp::now())?;
                store::save_fields(tx, app.id, &fields, &actor, Timestamp::now())
            })
        })
        .await
}

/// Whether bytes are a PDF file (magic number).
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-")
}

/// The 413 of a document over [`MAX_DOCUMENT_BYTES`].
pub fn document_too_big() -> AppError {
    AppError::rejected(
        StatusCode::PAYLOAD_TOO_LARGE,
        "fichier_trop_gros",
        format!(
            "Le fichier dépasse {} Mo : réduisez-le avant de le joindre.",
            MAX_DOCUMENT_BYTES / 1024 / 1024
        ),
    )
    .field("fichier")
    .titled("Fichier refusé")
}

/// The 413 of an application that already holds [`MAX_DOCUMENTS`] documents.
fn too_many_documents() -> AppError {
    AppError::rejected(
        StatusCode::PAYLOAD_TOO_LARGE,
        "trop_de_pieces",
        format!(
            "Une candidature compte au plus {MAX_DOCUMENTS} pièces : celle-ci les a déjà, aucune autre ne peut être jointe."
        ),
    )
    .field("fichier")
    .titled("Fichier refusé")
}

/// The 413 of a document that would take the application over [`MAX_TOTAL_BYTES`].
fn documents_too_big() -> AppError {
    AppError::rejected(
        StatusCode::PAYLOAD_TOO_LARGE,
        "pieces_trop_grosses",
        format!(
            "Les pièces d’une candidature pèsent au plus {} Mo en tout : avec ce fichier, la limite serait dépassée : réduisez-le avant de le joindre.",
            MAX_TOTAL_BYTES / 1024 / 1024
        ),
    )
    .field("fichier")
    .titled("Fichier refusé")
}

/// A document as sent.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    /// The kind chosen (`None`: none or an unknown one).
    pub kind: Option<DocumentKind>,
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// Characters that change how the text around them is shown without being seen: bidirectional
/// embeddings, overrides, isolates and marks (« facture\u{202e}fdp.exe » reads « facture
/// exe.pdf »), zero-width characters and the byte order mark.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// A file name safe in a header, on a disk and on a page: no control nor invisible formatting
/// characters (bidirectional overrides), slashes nor quotes, 120 characters at most.
pub fn clean_filename(raw: &str) -> String {
    let name: String = raw
        .chars()
        .filter(|c| !c.is_control() && !invisible(*c) && !matches!(c, '/' | '\\' | '"'))
        .take(120)
        .collect();
    if name.trim().is_empty() {
        "piece.pdf".to_owned()
    } else {
        name
    }
}

/// Attaches a PDF to the psychologist's draft (opened when needed). Refusals: 422 (kind or file
/// missing), 413 (too big), 415 (not a PDF).
pub async fn add_document(
    state: &AppState,
    applicant: &Applicant,
    upload: Upload,
) -> AppResult<()> {
    let mut errors = Vec::new();
    if upload.kind.is_none() {
        errors.push(field("type", "Choisissez le type de pièce."));
    }
    if upload.bytes.is_empty() {
        errors.push(field(
            "fichier",
            "Aucun fichier reçu : choisissez un fichier PDF.",
        ));
    }
    if let (Some(kind), false) = (upload.kind, upload.bytes.is_empty()) {
        if upload.bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(document_too_big());
        }
        if !is_pdf(&upload.bytes) {
            return Err(AppError::rejected(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "fichier_non_pdf",
                "Seuls les fichiers PDF sont acceptés : ce fichier n’en est pas un.",
            )
            .field("fichier")
            .titled("Fichier refusé"));
        }
        let filename = clean_filename(&upload.filename);
        let (account, actor) = (applicant.account.id, applicant.actor());
        let bytes = upload.bytes;
        return state
            .db(move |db| {
                db.transaction(|tx| {
                    let app = store::draft_for(tx, account, &actor, Timestamp::now())?;
                    let held = store::documents(tx, app.id)?;
                    if held.len() >= MAX_DOCUMENTS {
                        return Ok(Err(too_many_documents()));
                    }
                    let total: i64 = held.iter().map(|d| d.size_bytes).sum();
                    if usize::try_from(total).unwrap_or(usize::MAX) + bytes.len() > MAX_TOTAL_BYTES
                    {
                        return Ok(Err(documents_too_big()));
                    }
                    store::add_document(
                        tx,
                        app.id,
                        kind,
                        &filename,
                        &bytes,
                        &actor,
                        Timestamp::now(),
                    )
                    .map(|_| Ok(()))
                })
            })
            .await?;
    }
    let first = errors[0].detail.clone();
    Err(AppError::invalid("piece_invalide", first).fields(errors))
}

/// Files the psychologist's draft with the committee: 409 without a draft, 422 when incomplete.
pub async fn file_application(state: &AppState, applicant: &Applicant) -> AppResult<()> {
    let (account, actor, today) = (applicant.account.id, applicant.actor(), state.today());
    state
        .db(move |db| {
            db.transaction(|tx| {
                let Some(app) = store::current_application(tx, account)?
                    .filter(|a| a.status == Status::Draft)
                else {
                    return Err(StoreError::Conflict(
                        "aucune candidature en cours de rédaction".into(),
                    ));
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
        .await
}

fn application_id(raw: &str) -> AppResult<i64> {
    raw.parse::<i64>().map_err(|_| {
        AppError::not_found("candidature_introuvable", "Numéro de candidature invalide.")
            .titled("Candidature introuvable")
    })
}

/// Why a reader opens an application, as the audit log says it.
fn purpose(role: Role) -> &'static str {
    match role {
        Role::Expert => "instruction de la candidature (commission)",
        _ => "conventionnement (CPAM)",
    }
}

/// An application its owner, an expert (once filed) or a CPAM agent may read; reads by anyone
/// but its owner are audited with `why`.
async fn readable(
    state: &AppState,
    reader: &CurrentUser,
    id: i64,
    why: &'static str,
) -> AppResult<Dossier> {
    reader.require_role(
        &[Role::Psychologue, Role::Expert, Role::AgentCpam],
        "au psychologue candidat, aux experts de la commission et aux agents de CPAM",
    )?;
    let (role, account, actor) = (reader.role(), reader.account.id, reader.actor());
    let agent_territory = CpamAgent::of(reader).and_then(|a| a.territory);
    state
        .db(move |db| {
            let Some(app) = store::get_application(db, id)? else {
                return Ok(Err(AppError::not_found(
                    "candidature_introuvable",
                    "Aucune candidature ne porte ce numéro.",
                )
                .titled("Candidature introuvable")));
            };
            let forbidden = (role == Role::Psychologue && app.account_id != account)
                || (role == Role::Expert && app.status == Status::Draft);
            if forbidden {
                return Ok(Err(AppError::forbidden(
                    "candidature_d_autrui",
                    "Cette candidature n’est pas la vôtre : vous ne pouvez pas la consulter.",
                )));
            }
            if let Some(t) = &agent_territory
                && !territory::covers_application(Some(t), &app)
            {
                return Ok(Err(territory::out_of_territory(t, "Cette candidature")));
            }
            if role != Role::Psychologue {
                audit(db, &actor, "lecture", "candidature", &id.to_string(), why)?;
            }
            load_dossier(db, app).map(Ok)
        })
        .await?
}

/// An application by its number (from the URL), for its owner, an expert or a CPAM agent.
pub async fn read_application(
    state: &AppState,
    reader: &CurrentUser,
    id: &str,
) -> AppResult<Dossier> {
    let id = application_id(id)?;
    readable(state, reader, id, purpose(reader.role())).await
}

/// A document of an application and its content.
#[derive(Debug, Clone)]
pub struct Document {
    pub meta: DocumentMeta,
    pub content: Vec<u8>,
}

/// A document of an application the reader may read (audited as such).
pub async fn read_document(
    state: &AppState,
    reader: &CurrentUser,
    id: &str,
    doc: &str,
) -> AppResult<Document> {
    let unknown = |m: &str| {
        AppError::not_found("piece_introuvable", m.to_owned()).titled("Pièce introuvable")
    };
    let (Ok(id), Ok(doc)) = (id.parse::<i64>(), doc.parse::<i64>()) else {
        return Err(unknown("Numéro de pièce invalide."));
    };
    readable(state, reader, id, "lecture d’une pièce justificative").await?;
    let (meta, content) = state
        .db(move |db| store::document(db, id, doc))
        .await?
        .ok_or_else(|| unknown("Cette pièce n’appartient pas à cette candidature."))?;
    Ok(Document { meta, content })
}

/// The committee's decision as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    /// `accepter` or `refuser`.
    pub decision: String,
    pub motif: String,
}

/// Records the committee's decision on a filed application (audited); returns its number.
/// Refusals: 422 `decision_invalide` (no choice, a refusal without reason).
pub async fn decide(
    state: &AppState,
    expert: &Expert,
    id: &str,
    form: &DecisionForm,
) -> AppResult<i64> {
    let id = application_id(id)?;
    let reason = form.motif.trim().to_owned();
    let accept = match form.decision.trim() {
        "accepter" => true,
        "refuser" if !reason.is_empty() => false,
        "refuser" => {
            return Err(AppError::invalid(
                "decision_invalide",
                "Un refus doit être motivé : indiquez le motif.",
            )
            .field("motif"));
        }
        _ => {
            return Err(AppError::invalid(
                "decision_invalide",
                "Choisissez « Accepter » ou « Refuser ».",
            )
            .field("decision"));
        }
    };
    let (actor, today) = (expert.actor(), state.today());
    state
        .db(move |db| {
            db.transaction(|tx| {
                if accept
                    && let Some(app) = store::get_application(tx, id)?
                    && store::rpps_held_by_other(tx, app.fields.rpps.trim(), app.account_id)?
                {
                    return Err(StoreError::Conflict(
                        "ce RPPS est déjà rattaché à un autre compte : la candidature ne peut pas être acceptée".into(),
                    ));
                }
                store::decide(tx, id, accept, &reason, &actor, today, Timestamp::now())?;
                audit(
                    tx,
                    &actor,
                    "decision",
                    "candidature",
                    &id.to_string(),
                    if accept { "acceptation" } else { "refus" },
                )
            })
        })
        .await?;
    Ok(id)
}

/// The filed applications, oldest first, for the committee.
pub async fn committee_queue(state: &AppState, _expert: &Expert) -> AppResult<Vec<Application>> {
    state.db(|db| store::with_status(db, Status::Filed)).await
}

/// The accepted applications of the agent's territory, to sign or manage.
pub async fn accepted_applications(
    state: &AppState,
    agent: &CpamAgent,
) -> AppResult<Vec<(Application, PsychologistRights)>> {
    let mine = agent.territory.clone();
    state
        .db(move |db| {
            store::with_status(db, Status::Accepted)?
                .into_iter()
                .filter(|a| territory::covers_application(mine.as_deref(), a))
                .map(|a| {
                    let rights = match Rpps::parse(&a.fields.rpps) {
                        Ok(r) => directory::rights_of(db, r)?,
                        Err(_) => PsychologistRights::default(),
                    };
                    Ok((a, rights))
                })
                .collect()
        })
        .await
}

/// A psychologist as the CPAM manages them.
#[derive(Debug, Clone)]
pub struct PsychologistFile {
    pub rpps: Rpps,
    pub app: Option<Application>,
    pub rights: PsychologistRights,
    pub history: Vec<ConventionEvent>,
    /// Whether the psychologist has written their directory card.
    pub has_card: bool,
    /// « Prénom Nom » from the national registry, when the RPPS is in it.
    pub registry_name: Option<String>,
}

impl PsychologistFile {
    /// Whether a convention runs today or later.
    pub fn open_convention(&self, today: Date) -> bool {
        self.rights
            .conventions
            .iter()
            .any(|c| c.to.is_none_or(|t| t >= today))
    }

    /// Whether a convention can be signed.
    pub fn can_sign(&self, today: Date) -> bool {
        !self.open_convention(today) && self.app.is_some() && self.rights.excluded_from.is_none()
    }
}

fn rpps_of(raw: &str) -> AppResult<Rpps> {
    Rpps::parse(raw).map_err(|e| {
        AppError::not_found("psychologue_introuvable", e.to_string())
            .titled("Psychologue introuvable")
    })
}

/// Loads a psychologist the agent may manage, auditing the read of the accepted application.
async fn managed(
    state: &AppState,
    agent: &CpamAgent,
    rpps: Rpps,
    why: &'static str,
) -> AppResult<PsychologistFile> {
    let (actor, mine) = (agent.actor(), agent.territory.clone());
    state
        .db(move |db| {
            let app = store::accepted_application_of(db, rpps)?;
            let history = store::convention_history(db, rpps)?;
            // Conventions imported from the CPAM's files have no history in msp.
            if app.is_none() && history.is_empty() && !store::has_convention(db, rpps)? {
                return Ok(Err(AppError::not_found(
                    "psychologue_introuvable",
                    "Aucune candidature acceptée ni convention pour ce RPPS.",
                )
                .titled("Psychologue introuvable")));
            }
            if let Some(t) = &mine
                && !territory::covers_psychologist(db, Some(t), rpps, app.as_ref())?
            {
                return Ok(Err(territory::out_of_territory(t, "Ce psychologue")));
            }
            if app.is_some() {
                audit(db, &actor, "lecture", "psychologue", &rpps.to_string(), why)?;
            }
            Ok(Ok(PsychologistFile {
                rpps,
                app,
                rights: directory::rights_of(db, rpps)?,
                history,
                has_card: directory::has_card(db, rpps)?,
                registry_name: store::registry_entry(db, rpps)?
                    .map(|r| format!("{} {}", r.first_name, r.last_name)),
            }))
        })
        .await?
}

/// A psychologist's convention as the agent manages it (audited).
pub async fn psychologist_file(
    state: &AppState,
    agent: &CpamAgent,
    rpps: &str,
) -> AppResult<PsychologistFile> {
    managed(
        state,
        agent,
        rpps_of(rpps)?,
        "gestion de la convention (CPAM)",
    )
    .await
}

fn date_of(
    form_value: &str,
    champ: &str,
    label: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Date> {
    let d = msp_domain::session::parse_date(form_value);
    if d.is_none() {
        errors.push(field(
            champ,
            if form_value.trim().is_empty() {
                format!("{label} : date manquante, indiquez-la sous la forme JJ/MM/AAAA.")
            } else {
                format!("{label} : date invalide, attendue sous la forme JJ/MM/AAAA.")
            },
        ));
    }
    d
}

fn refused(errors: Vec<FieldError>) -> AppError {
    let first = errors.first().map(|e| e.detail.clone()).unwrap_or_default();
    AppError::invalid("acte_invalide", first).fields(errors)
}

/// Refreshes the directory index after a change to a psychologist's rights or card.
async fn refresh(state: &AppState, rpps: Rpps) -> AppResult<()> {
    let s = state.clone();
    Ok(tokio::task::spawn_blocking(move || s.refresh_card(rpps)).await??)
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
        first_appointment_delay: None,
    })
}

/// The signature form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SignatureForm {
    /// First day, `AAAA-MM-JJ`.
    pub debut: String,
}

/// Signs the convention of an accepted applicant from `debut` (the directory card made from the
/// application when there is none); audited. Refusals: 422 (date), 409 (no accepted
/// application, a convention already running, an RPPS outside the national registry).
pub async fn sign_convention(
    state: &AppState,
    agent: &CpamAgent,
    rpps: &str,
    form: &SignatureForm,
) -> AppResult<Rpps> {
    let rpps = rpps_of(rpps)?;
    let mut errors = Vec::new();
    let start = date_of(&form.debut, "debut", "Date de début", &mut errors);
    let Some(start) = start else {
        return Err(refused(errors));
    };
    let file = managed(state, agent, rpps, "signature de la convention (CPAM)").await?;
    let Some(app) = file.app else {
        return Err(AppError::conflict(
            "sans_candidature",
            "Aucune candidature acceptée pour ce psychologue.",
        ));
    };
    let actor = agent.actor();
    state
        .db(move |db| {
            db.transaction(|tx| {
                if !directory::is_registered_psychologist(tx, rpps)? {
                    return Err(StoreError::Conflict(format!(
                        "le RPPS {rpps} n’est pas celui d’un psychologue du répertoire national"
                    )));
                }
                let cpam = msp_geo::communes()
                    .by_insee(&app.fields.address1.insee)
                    .map_or_else(String::new, |c| c.departement.clone());
                store::sign_convention(tx, rpps, start, &cpam, &actor, Timestamp::now())?;
                if directory::load_card(tx, rpps)?.is_none() {
                    directory::upsert_card(
                        tx,
                        &card_from_application(rpps, &app)?,
                        Timestamp::now(),
                    )?;
                }
                audit(
                    tx,
                    &actor,
                    "signature",
                    "psychologue",
                    &rpps.to_string(),
                    "signature de la convention",
                )
            })
        })
        .await?;
    refresh(state, rpps).await?;
    Ok(rpps)
}

/// The suspension and exclusion forms (`au` only for a suspension).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SanctionForm {
    pub du: String,
    pub au: String,
    pub motif: String,
}

/// Suspends (`suspension`: from `du` to `au`, lifted by itself the next day) or excludes (from
/// `du`) a psychologist; audited with the reason. Refusal: 422 `acte_invalide` with every field
/// at fault.
async fn sanction(
    state: &AppState,
    agent: &CpamAgent,
    rpps: &str,
    form: &SanctionForm,
    suspension: bool,
) -> AppResult<Rpps> {
    let rpps = rpps_of(rpps)?;
    let mut errors = Vec::new();
    let from = date_of(&form.du, "du", "Date de début", &mut errors);
    let to = if suspension {
        date_of(&form.au, "au", "Date de fin", &mut errors)
    } else {
        None
    };
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.push(field("au", "La fin de la suspension précède son début."));
    }
    let reason = form.motif.trim().to_owned();
    if reason.is_empty() {
        errors.push(field("motif", "Le motif est obligatoire."));
    }
    let Some(from) = from.filter(|_| errors.is_empty()) else {
        return Err(refused(errors));
    };
    let why = if suspension {
        "suspension (CPAM)"
    } else {
        "exclusion (CPAM)"
    };
    managed(state, agent, rpps, why).await?;
    let actor = agent.actor();
    state
        .db(move |db| {
            db.transaction(|tx| {
                let now = Timestamp::now();
                match to {
                    Some(to) => store::suspend(tx, rpps, from, to, &reason, &actor, now)?,
                    None => store::exclude(tx, rpps, from, &reason, &actor, now)?,
                }
                let action = if to.is_some() {
                    "suspension"
                } else {
                    "exclusion"
                };
                audit(
                    tx,
                    &actor,
                    action,
                    "psychologue",
                    &rpps.to_string(),
                    &reason,
                )
            })
        })
        .await?;
    refresh(state, rpps).await?;
    Ok(rpps)
}

/// Suspends a psychologist's convention from `du` to `au`.
pub async fn suspend(
    state: &AppState,
    agent: &CpamAgent,
    rpps: &str,
    form: &SanctionForm,
) -> AppResult<Rpps> {
    sanction(state, agent, rpps, form, true).await
}

/// Excludes a psychologist from the programme from `du`.
pub async fn exclude(
    state: &AppState,
    agent: &CpamAgent,
    rpps: &str,
    form: &SanctionForm,
) -> AppResult<Rpps> {
    sanction(state, agent, rpps, form, false).await
}

/// The psychologist's own convention.
#[derive(Debug, Clone)]
pub struct Convention {
    pub rpps: Rpps,
    pub rights: PsychologistRights,
    pub history: Vec<ConventionEvent>,
    /// Whether the psychologist has written their directory card.
    pub has_card: bool,
}

impl Convention {
    /// Whether a convention runs without an end yet (so it can be withdrawn from).
    pub fn open(&self) -> bool {
        self.rights.conventions.iter().any(|c| c.to.is_none())
    }
}

/// The psychologist's convention, `None` before an accepted application.
pub async fn my_convention(
    state: &AppState,
    applicant: &Applicant,
) -> AppResult<Option<Convention>> {
    let Some(rpps) = own_rpps(state, applicant).await? else {
        return Ok(None);
    };
    let (rights, history, has_card) = state
        .db(move |db| {
            Ok((
                directory::rights_of(db, rpps)?,
                store::convention_history(db, rpps)?,
                directory::has_card(db, rpps)?,
            ))
        })
        .await?;
    Ok(Some(Convention {
        rpps,
        rights,
        history,
        has_card,
    }))
}

/// The withdrawal form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct WithdrawalForm {
    /// Optional.
    pub motif: String,
}

/// The psychologist leaves the programme: the convention ends 2 months after today. 409
/// without a convention.
pub async fn withdraw(
    state: &AppState,
    applicant: &Applicant,
    form: &WithdrawalForm,
) -> AppResult<Rpps> {
    let rpps = own_rpps(state, applicant)
        .await?
        .ok_or_else(|| AppError::conflict("sans_convention", "Vous n’avez pas de convention."))?;
    let today = state.today();
    let (reason, actor) = (form.motif.trim().to_owned(), applicant.actor());
    state
        .db(move |db| {
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
        .await?;
    refresh(state, rpps).await?;
    Ok(rpps)
}

/// Rejects overdue applications now (blocking); returns their ids.
pub fn expire_now(state: &AppState) -> Result<Vec<i64>, StoreError> {
    let mut db = state.pool().get()?;
    store::expire_overdue(&mut db, state.today(), Timestamp::now())
}

/// The task name of the expiry in `scheduled_runs`.
pub const EXPIRY_TASK: &str = "expiration des candidatures";

/// Runs the expiry if no server of the fleet ran it within [`EXPIRY_EVERY`] (blocking); the
/// applications rejected, `None` when not due.
pub fn expire_if_due(state: &AppState) -> Result<Option<Vec<i64>>, StoreError> {
    crate::services::schedule::run_once(state, EXPIRY_TASK, EXPIRY_EVERY, |db| {
        store::expire_overdue(db, state.today(), Timestamp::now())
    })
}

/// The scheduled expiry: once every [`EXPIRY_EVERY`] across the fleet, from whichever server
/// finds it due first (at start-up when due).
pub fn expiry_job(state: &AppState) {
    crate::services::schedule::spawn_every(
        state,
        EXPIRY_TASK,
        EXPIRY_EVERY,
        |s, db| store::expire_overdue(db, s.today(), Timestamp::now()),
        |ids: &Vec<i64>| {
            if !ids.is_empty() {
                tracing::info!(
                    count = ids.len(),
                    ?ids,
                    "applications rejected: no decision within 4 months"
                );
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn champs(form: &ApplicationForm) -> Vec<String> {
        fields_from(form)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.champ)
            .collect()
    }

    #[test]
    fn every_error_of_the_application_form_at_once() {
        let form = ApplicationForm {
            rpps: "12345678901".into(),
            adeli: "x".into(),
            experience: "trois".into(),
            adresse1: "1 rue X".into(),
            cp1: "00000".into(),
            cp2: "69002".into(),
            ..ApplicationForm::default()
        };
        assert_eq!(
            champs(&form),
            ["experience", "rpps", "adeli", "cp1", "adresse2"]
        );
        let errors = fields_from(&form).unwrap_err();
        assert_eq!(
            errors[3].detail,
            "Adresse 1 : le code postal « 00000 » n’est celui d’aucune commune française."
        );
    }

    #[test]
    fn the_second_address_needs_the_first() {
        let form = ApplicationForm {
            adresse2: "2 place Bellecour".into(),
            cp2: "69002".into(),
            ..ApplicationForm::default()
        };
        assert_eq!(champs(&form), ["adresse1"]);
    }

    #[test]
    fn a_form_read_back_gives_the_same_fields() {
        let form = ApplicationForm {
            nom: " Martin ".into(),
            prenom: "Léa".into(),
            experience: "4,5".into(),
            adresse1: "2 place Bellecour".into(),
            cp1: "69002".into(),
            telephone: "04 00 00 00 00".into(),
            ..ApplicationForm::default()
        };
        let fields = fields_from(&form).unwrap();
        assert_eq!(fields.last_name, "Martin");
        assert_eq!(fields.experience_months, 54);
        assert_eq!(fields.address1.insee, "69382");
        let again = ApplicationForm::of(&fields);
        assert_eq!(fields_from(&again).unwrap(), fields);
        assert_eq!(again.experience, "4,50");
    }

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(clean_filename("a/b\\c\"d.pdf"), "abcd.pdf");
        assert_eq!(clean_filename("  "), "piece.pdf");
        assert_eq!(clean_filename("facture\u{202e}fdp.exe"), "facturefdp.exe");
        assert_eq!(clean_filename("a\u{2066}b\u{200f}c\u{feff}.pdf"), "abc.pdf");
        assert_eq!(clean_filename(&"x".repeat(200)).len(), 120);
        assert!(is_pdf(b"%PDF-1.7") && !is_pdf(b"GIF89a"));
    }
}
