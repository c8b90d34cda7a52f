//! JSON API of the patient pathway (issue 6): the same actions and rules as the pages of
//! [`crate::adressages`], [`crate::seances`] and [`crate::liquidation`], for software of
//! doctors, psychologists, patients and CPAM agents.
//!
//! | Route | Who | Page with the same rules |
//! |---|---|---|
//! | `POST /api/adressages` | médecin, sage-femme: issues a referral letter | `POST /espace/adressages` |
//! | `POST /api/adressages/verification` | psychologue: a letter's code against a session date | `POST /espace/adressages/verifier` |
//! | `POST /api/situation` | psychologue: where a patient stands this calendar year | `POST /espace/seances` (`etape=verifier`) |
//! | `GET /api/seances?annee=AAAA` | psychologue: their sessions of a year, remote share | `GET /espace/mes-seances` |
//! | `GET /api/seances/{id}` | the patient, psychologists who saw the patient, CPAM agents | `GET /espace/seances/{id}` |
//! | `GET /api/moi/suivi` | patient: this year's sessions, sessions left, reimbursements | `GET /espace/mon-suivi` |
//! | `GET /api/cpam/rejets?motif=CODE` | agent de CPAM: rejected claims | `GET /espace/cpam/rejets` |
//!
//! Like `POST /api/seances`: the session cookie authenticates; bodies must be
//! `application/json` (415 otherwise), which a cross-site form cannot send; errors are
//! `{code, message}` in French (401 no session, 403 wrong role, 404 unknown, 422 invalid input).
//! A NIR travels only in request bodies, never in a URL; answers show it masked
//! (`20612**********`) with the pseudonymous `ref_patient` of the audit log. Every read of a
//! patient's data by someone other than the patient is written to the audit log.

// Handlers refuse with a ready JSON answer; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use crate::AppState;
use crate::adressages::{self, display_code, letter_validity, parse_code};
use crate::api::CodeLabel;
use crate::auth::{CurrentUser, MaybeUser, capitalize};
use crate::espace::audit_blocking;
use crate::seances::{
    self, AmountsJson, ApiProblem, ReasonJson, SessionInput, StandingJson, UNKNOWN_PATIENT,
    YearSummary, amo_payee_fr, api_problem, complementary_fr, date_fr, identity_matches,
    parse_date, patient_ref, standing_json,
};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use msp_domain::{AmcRoute, AmoPayee, Date, Payment, Reason, Role, Rpps, dates};
use msp_store::live::{YearStanding, next_act, year_standing};
use msp_store::pathway::{self, Letter, SessionLine};
use msp_store::{Db, StoreError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use utoipa::ToSchema;

/// An answer, or the JSON refusal that replaces it.
type ApiResult<T> = Result<T, Response>;

// ------------------------------------------------------------------ shared steps

fn internal(cause: &dyn std::fmt::Display) -> Response {
    tracing::error!(%cause, "internal error");
    api_problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "erreur_interne",
        "Une erreur interne est survenue. Réessayez dans quelques instants.",
    )
}

/// The signed-in account, if it has one of `roles`: 401 without a session, 403 otherwise.
/// `reserved_to` completes « Cette action est réservée … ».
pub(crate) fn signed_in(
    user: Option<CurrentUser>,
    roles: &[Role],
    reserved_to: &str,
) -> ApiResult<CurrentUser> {
    let Some(user) = user else {
        return Err(api_problem(
            StatusCode::UNAUTHORIZED,
            "non_authentifie",
            format!(
                "Pas de session ouverte : connectez-vous (/connexion). Cette action est réservée {reserved_to}."
            ),
        ));
    };
    if !roles.contains(&user.role()) {
        return Err(api_problem(
            StatusCode::FORBIDDEN,
            "acces_refuse",
            format!(
                "Cette action est réservée {reserved_to} ; votre compte est un compte « {} ».",
                user.role().label_fr()
            ),
        ));
    }
    Ok(user)
}

/// The body as `T`: 415 unless `application/json`, 422 (in French, naming the field) when it
/// is not an object of the `fields` listed or does not read as `T`; `hint` ends the message
/// about an unknown field.
fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
    fields: &[&str],
    hint: &str,
) -> ApiResult<T> {
    crate::seances::require_json(headers)?;
    let unreadable = |m: String| api_problem(StatusCode::UNPROCESSABLE_ENTITY, "json_invalide", m);
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| unreadable(format!("Corps JSON illisible : {e}.")))?;
    let Some(object) = value.as_object() else {
        return Err(unreadable(format!(
            "Le corps doit être un objet JSON avec les champs : {}.",
            fields.join(", ")
        )));
    };
    if let Some(k) = object.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(api_problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "champ_inconnu",
            format!(
                "Champ inconnu « {k} ». Champs acceptés : {}.{hint}",
                fields.join(", ")
            ),
        ));
    }
    serde_json::from_value(value).map_err(|e| {
        unreadable(format!(
            "Corps JSON invalide (champs : {}) : {e}.",
            fields.join(", ")
        ))
    })
}

/// Store work on the blocking pool; the store's refusals become JSON problems.
async fn store<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut Db) -> Result<T, StoreError> + Send + 'static,
) -> ApiResult<T> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let mut db = state.pool().get().map_err(|e| internal(&e))?;
        f(&mut db).map_err(|e| match e {
            StoreError::Conflict(m) => api_problem(StatusCode::CONFLICT, "conflit", capitalize(&m)),
            StoreError::Invalid(m) => api_problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "demande_invalide",
                capitalize(&m),
            ),
            other => internal(&other),
        })
    })
    .await
    .map_err(|e| internal(&e))?
}

/// The signed-in psychologist's RPPS (accepted application), 403 without one.
async fn own_rpps(state: &AppState, user: &CurrentUser) -> ApiResult<Rpps> {
    match crate::conventionnement::own_rpps(state, user).await {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err(api_problem(
            StatusCode::FORBIDDEN,
            "sans_rpps",
            "Votre compte n’est rattaché à aucun RPPS : candidature au conventionnement non acceptée.",
        )),
        Err(r) => Err(internal(&r.status())),
    }
}

fn either(r: ApiResult<Response>) -> Response {
    r.unwrap_or_else(|e| e)
}

fn created<T: Serialize>(value: T) -> Response {
    (StatusCode::CREATED, axum::Json(value)).into_response()
}

fn ok<T: Serialize>(value: T) -> Response {
    (StatusCode::OK, axum::Json(value)).into_response()
}

// ------------------------------------------------------------------ referral letters

/// A referral letter as a doctor or midwife issues it. It never states a number of sessions:
/// the API refuses any field other than these.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LetterInput {
    /// RPPS of the doctor or midwife (11 digits; spaces allowed).
    pub identifiant_prescripteur: String,
    /// Name of the patient, as on the letter.
    pub patient_nom: String,
    /// The patient's NIR (15 characters; spaces allowed).
    pub nir: String,
    /// Date of the letter, `AAAA-MM-JJ` or `JJ/MM/AAAA`, not in the future; default today.
    #[serde(default)]
    pub date: Option<String>,
    /// Optional: `maladie`, `ald`, `maternite`, `atmp` or `tiers` (accident caused by a third
    /// party).
    #[serde(default)]
    pub contexte: Option<String>,
}

const LETTER_FIELDS: &[&str] = &[
    "identifiant_prescripteur",
    "patient_nom",
    "nir",
    "date",
    "contexte",
];

#[derive(Debug, Serialize, ToSchema)]
pub struct ReferrerJson {
    pub nom: String,
    /// `medecin` or `sage_femme`.
    pub type_prescripteur: &'static str,
    pub libelle: &'static str,
    /// RPPS.
    pub identifiant: String,
}

/// A referral letter issued in the system.
#[derive(Debug, Serialize, ToSchema)]
pub struct LetterJson {
    /// Verification code, as printed (`K7QM-4TXZ`).
    pub code: String,
    /// Date of the letter (ISO).
    pub date_courrier: String,
    /// Last session date within the letter's validity (6 months).
    pub valable_jusqu_au: String,
    /// When it was issued (RFC 3339).
    pub emis_le: String,
    pub patient_nom: String,
    /// The patient's NIR, masked (`20612**********`).
    pub nir_masque: String,
    pub prescripteur: ReferrerJson,
    pub contexte: Option<CodeLabel>,
    /// The printable letter (for its issuer only).
    pub pdf: Option<String>,
}

/// The last session date `d` for which a letter dated `letter` is not older than `months`
/// (the bound of [`letter_validity`]: `letter >= d - months`).
fn valid_until(letter: Date, months: i32) -> Date {
    let mut d = letter
        .checked_add(jiff::Span::new().months(months))
        .unwrap_or(letter);
    for _ in 0..4 {
        match d.tomorrow() {
            Ok(next) if dates::minus_months(next, months) <= letter => d = next,
            _ => break,
        }
    }
    d
}

fn letter_json(l: &Letter, months: i32, with_pdf: bool) -> LetterJson {
    LetterJson {
        code: display_code(&l.code),
        date_courrier: l.letter_date.to_string(),
        valable_jusqu_au: valid_until(l.letter_date, months).to_string(),
        emis_le: l.created_at.to_string(),
        patient_nom: l.patient_name.clone(),
        nir_masque: l.patient_nir.masked(),
        prescripteur: ReferrerJson {
            nom: l.referrer_name.clone(),
            type_prescripteur: l.referrer_kind.code(),
            libelle: adressages::kind_fr(l.referrer_kind),
            identifiant: l.referrer_id.clone(),
        },
        contexte: l.context.as_ref().map(|c| CodeLabel {
            code: c.clone(),
            libelle: adressages::context_fr(c).to_owned(),
        }),
        pdf: with_pdf.then(|| format!("/espace/adressages/{}/pdf", l.code)),
    }
}

/// Issue a referral letter (courrier d’adressage).
#[utoipa::path(
    post,
    path = "/api/adressages",
    tag = "parcours",
    request_body = LetterInput,
    security(("session" = [])),
    responses(
        (status = 201, description = "Courrier émis : code de vérification, dates, patient, prescripteur", body = LetterJson),
        (status = 401, description = "Pas de session ouverte", body = ApiProblem),
        (status = 403, description = "Compte qui n’est ni médecin ni sage-femme", body = ApiProblem),
        (status = 415, description = "Corps qui n’est pas du JSON", body = ApiProblem),
        (status = 422, description = "Champ invalide (RPPS, nom, NIR, date, contexte) ou champ inconnu — un courrier ne fixe jamais de nombre de séances : rien n’est enregistré", body = ApiProblem),
    )
)]
pub async fn issue_letter(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    either(issue_letter_in(state, user, headers, body).await)
}

async fn issue_letter_in(
    state: AppState,
    user: Option<CurrentUser>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let user = signed_in(
        user,
        &[Role::Medecin, Role::SageFemme],
        "aux médecins et aux sages-femmes",
    )?;
    let kind = adressages::kind_of(user.role()).ok_or_else(|| internal(&"rôle"))?;
    let input: LetterInput = json_body(
        &headers,
        &body,
        LETTER_FIELDS,
        " Un courrier d’adressage ne fixe jamais de nombre de séances.",
    )?;
    let today = state.today();
    // The page's checks, on the page's field names.
    let form: HashMap<String, String> = [
        ("prescripteur_id", input.identifiant_prescripteur),
        ("patient_nom", input.patient_nom),
        ("nir", input.nir),
        (
            "date",
            input
                .date
                .filter(|d| !d.trim().is_empty())
                .unwrap_or_else(|| today.to_string()),
        ),
        ("contexte", input.contexte.unwrap_or_default()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let letter = adressages::letter_from_form(&form, kind, &user, today)
        .map_err(|m| api_problem(StatusCode::UNPROCESSABLE_ENTITY, "adressage_invalide", m))?;
    let u = user.clone();
    let stored = store(&state, move |db| {
        db.transaction(|tx| {
            for _ in 0..10 {
                let l = Letter {
                    code: adressages::new_code(),
                    ..letter.clone()
                };
                if pathway::insert_letter(tx, &l)? {
                    audit_blocking(
                        tx,
                        &u,
                        "emission",
                        "patient",
                        &patient_ref(&l.patient_nir),
                        &format!("courrier d’adressage {} (API)", l.code),
                    )?;
                    return Ok(l);
                }
            }
            Err(StoreError::Conflict(
                "aucun code de vérification libre, réessayez".into(),
            ))
        })
    })
    .await?;
    Ok(created(letter_json(
        &stored,
        state.rules().referral_validity_months,
        true,
    )))
}

/// The letters the signed-in doctor or midwife issued, newest first (SPEC §2).
#[utoipa::path(
    get,
    path = "/api/adressages",
    tag = "parcours",
    security(("session" = [])),
    responses(
        (status = 200, description = "Courriers émis par ce compte, du plus récent au plus ancien", body = [LetterJson]),
        (status = 401, description = "Pas de session ouverte", body = ApiProblem),
        (status = 403, description = "Compte qui n’est ni médecin ni sage-femme", body = ApiProblem),
    )
)]
pub async fn my_letters(State(state): State<AppState>, MaybeUser(user): MaybeUser) -> Response {
    either(my_letters_in(state, user).await)
}

async fn my_letters_in(state: AppState, user: Option<CurrentUser>) -> ApiResult<Response> {
    let user = signed_in(
        user,
        &[Role::Medecin, Role::SageFemme],
        "aux médecins et aux sages-femmes",
    )?;
    let (id, u) = (user.account.id, user.clone());
    // As the page: one audit line per patient shown.
    let letters = store(&state, move |db| {
        adressages::letters_read(db, &u, id, "courriers d’adressage émis (API)")
    })
    .await?;
    let months = state.rules().referral_validity_months;
    Ok(ok(letters
        .iter()
        .map(|l| letter_json(l, months, true))
        .collect::<Vec<_>>()))
}

/// A letter's code and the date of the session it should cover.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerificationInput {
    /// Verification code (`K7QM-4TXZ`; case, spaces and dashes ignored).
    pub code: String,
    /// Date of the session, `AAAA-MM-JJ` or `JJ/MM/AAAA`; default today.
    #[serde(default)]
    pub date_seance: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationJson {
    /// The letter is valid for a session on `date_seance`.
    pub valable: bool,
    /// Why, in French (the rule that failed, or how long it is valid).
    pub explication: String,
    pub date_seance: String,
    pub courrier: LetterJson,
}

/// Check a referral letter's code against a session date.
#[utoipa::path(
    post,
    path = "/api/adressages/verification",
    tag = "parcours",
    request_body = VerificationInput,
    security(("session" = [])),
    responses(
        (status = 200, description = "Courrier trouvé : valable ou non pour cette date, et pourquoi", body = VerificationJson),
        (status = 401, description = "Pas de session ouverte", body = ApiProblem),
        (status = 403, description = "Compte qui n’est pas celui d’un psychologue", body = ApiProblem),
        (status = 415, description = "Corps qui n’est pas du JSON", body = ApiProblem),
        (status = 422, description = "Code mal formé ou inconnu, date de séance invalide", body = ApiProblem),
    )
)]
pub async fn verify_letter(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    either(verify_letter_in(state, user, headers, body).await)
}

async fn verify_letter_in(
    state: AppState,
    user: Option<CurrentUser>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let user = signed_in(user, &[Role::Psychologue], "aux psychologues")?;
    let input: VerificationInput = json_body(&headers, &body, &["code", "date_seance"], "")?;
    let invalid = |code, m: String| api_problem(StatusCode::UNPROCESSABLE_ENTITY, code, m);
    let code = parse_code(&input.code).map_err(|m| invalid("code_invalide", m))?;
    let session = match input.date_seance.as_deref().map(str::trim) {
        None | Some("") => state.today(),
        Some(d) => parse_date(d).ok_or_else(|| {
            invalid(
                "date_seance_invalide",
                "Date de la séance (date_seance) invalide : attendue sous la forme AAAA-MM-JJ ou JJ/MM/AAAA.".into(),
            )
        })?,
    };
    let u = user.clone();
    let letter = store(&state, move |db| {
        adressages::letter_checked(db, &u, &code, " (API)")
    })
    .await?
    .ok_or_else(|| {
        invalid(
            "courrier_inconnu",
            "Aucun courrier d’adressage ne porte ce code de vérification (code).".into(),
        )
    })?;
    let rules = state.rules();
    let verdict = letter_validity(rules, letter.letter_date, letter.referrer_kind, session);
    let (valable, explication) = match verdict {
        Ok(m) => (true, m),
        Err(m) => (false, m),
    };
    Ok(ok(VerificationJson {
        valable,
        explication,
        date_seance: session.to_string(),
        courrier: letter_json(&letter, rules.referral_validity_months, false),
    }))
}

// ------------------------------------------------------------------ a patient's year

/// Who the patient is, and on which date to count.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SituationInput {
    /// The patient's NIR (15 characters; spaces allowed).
    pub nir: String,
    /// `AAAA-MM-JJ` or `JJ/MM/AAAA`.
    pub date_naissance: String,
    /// Date of the session to come, not in the future; default today.
    #[serde(default)]
    pub date: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SituationJson {
    pub date: String,
    /// Sessions reimbursed and left in the calendar year of `date`, all psychologists.
    pub situation: StandingJson,
    /// `EEP` when the evaluation interview of the year is still due, else `APS`.
    pub acte_suivant: &'static str,
    /// The same in a French sentence.
    pub explication: String,
}

fn standing_sentence(s: &YearStanding, on: Date) -> String {
    format!(
        "En {}, tous psychologues confondus : {} séance(s) remboursée(s), {} restante(s) à la date du {}. {}",
        on.year(),
        s.used,
        s.remaining,
        date_fr(on),
        if s.eep_due {
            "La prochaine séance de l’année doit être un entretien d’évaluation (EEP)."
        } else {
            "L’entretien d’évaluation de l’année a déjà été fait : la prochaine séance est un suivi (APS au cabinet, PSS en visio)."
        }
    )
}

/// Where a patient stands this calendar year, before recording a session.
#[utoipa::path(
    post,
    path = "/api/situation",
    tag = "parcours",
    request_body = SituationInput,
    security(("session" = [])),
    responses(
        (status = 200, description = "Séances remboursées et restantes de l’année, EEP à faire ou non", body = SituationJson),
        (status = 401, description = "Pas de session ouverte", body = ApiProblem),
        (status = 403, description = "Compte qui n’est pas celui d’un psychologue conventionné", body = ApiProblem),
        (status = 415, description = "Corps qui n’est pas du JSON", body = ApiProblem),
        (status = 422, description = "NIR ou dates invalides, ou aucun assuré pour ce NIR et cette date de naissance (même réponse dans les deux cas)", body = ApiProblem),
    )
)]
pub async fn situation(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    either(situation_in(state, user, headers, body).await)
}

async fn situation_in(
    state: AppState,
    user: Option<CurrentUser>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let user = signed_in(user, &[Role::Psychologue], "aux psychologues")?;
    let input: SituationInput = json_body(&headers, &body, &["nir", "date_naissance", "date"], "")?;
    own_rpps(&state, &user).await?;
    let who = SessionInput {
        nir: input.nir,
        date_naissance: input.date_naissance,
        date_seance: input.date.unwrap_or_default(),
        ..SessionInput::default()
    }
    .identity(state.today())
    .map_err(|m| api_problem(StatusCode::UNPROCESSABLE_ENTITY, "saisie_invalide", m))?;
    let (s, u) = (state.clone(), user.clone());
    let on = who.session_date;
    let standing = store(&state, move |db| {
        if !identity_matches(db, &who)? {
            return Ok(None);
        }
        let standing = year_standing(db, s.rules(), &who.nir, who.session_date)?;
        audit_blocking(
            db,
            &u,
            "lecture",
            "patient",
            &patient_ref(&who.nir),
            "séances de l’année avant la saisie d’une séance (API)",
        )?;
        Ok(Some(standing))
    })
    .await?
    .ok_or_else(|| {
        api_problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "assure_inconnu",
            UNKNOWN_PATIENT,
        )
    })?;
    Ok(ok(SituationJson {
        date: on.to_string(),
        situation: standing_json(&standing, on),
        acte_suivant: next_act(&standing).code(),
        explication: standing_sentence(&standing, on),
    }))
}

// ------------------------------------------------------------------ sessions

/// A recorded session and its decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionLineJson {
    pub id: String,
    pub date_seance: String,
    pub date_reception: String,
    /// The psychologist's RPPS.
    pub rpps: String,
    /// The psychologist's name (« Prénom NOM »), when known.
    pub psychologue: Option<String>,
    /// The patient's NIR, masked (`20612**********`).
    pub nir_masque: String,
    /// Pseudonymous reference of the patient (as in the audit log): the same for all the
    /// sessions of a patient.
    pub ref_patient: String,
    /// `EEP`, `APS` or `PSS`.
    pub acte: &'static str,
    pub acte_libelle: &'static str,
    /// `maladie`, `ald`, `maternite` or `atmp`.
    pub contexte: &'static str,
    /// The psychologist applied the tiers payant on the AMO part.
    pub tiers_payant: bool,
    pub montant_facture_centimes: i64,
    /// `acceptee`, `refusee`, or `annulee` (accepted, then cancelled as recorded by mistake:
    /// counts for nothing, pays nothing).
    pub statut: &'static str,
    pub motif: Option<ReasonJson>,
    /// n-th reimbursed session of the patient's year (not for a cancelled session).
    pub rang: Option<u32>,
    /// What the session pays, and to whom (not for a refused or cancelled session).
    pub montants: Option<AmountsJson>,
    /// Who gets the AMO part, in French.
    pub amo_libelle: Option<&'static str>,
    /// Who pays the ticket modérateur and how, in French.
    pub complementaire_libelle: Option<String>,
    /// This session in the API.
    pub url: String,
}

fn amounts_json(p: &Payment) -> AmountsJson {
    AmountsJson {
        tarif_centimes: p.tariff.0,
        amo_centimes: p.amo.0,
        amo_versee_a: p.amo_payee.code(),
        complementaire_centimes: p.complementary.0,
        complementaire_payeur: p.complementary_payer.code(),
        complementaire_voie: p.complementary_route.code(),
        etat_centimes: p.state.0,
        patient_centimes: p.patient.0,
    }
}

fn reason_json(r: Reason) -> ReasonJson {
    ReasonJson {
        code: r.code(),
        explication: r.explanation_fr(),
    }
}

fn line_json(l: &SessionLine, psychologist: Option<String>) -> SessionLineJson {
    let p = l.paid();
    SessionLineJson {
        id: l.claim_id.clone(),
        date_seance: l.session_date.to_string(),
        date_reception: l.received_date.to_string(),
        rpps: l.rpps.to_string(),
        psychologue: psychologist,
        nir_masque: l.nir.masked(),
        ref_patient: patient_ref(&l.nir),
        acte: l.act.code(),
        acte_libelle: l.act.label_fr(),
        contexte: l.context.code(),
        tiers_payant: l.tiers_payant,
        montant_facture_centimes: l.amount.0,
        statut: if l.cancelled {
            "annulee"
        } else if l.decision.is_accepted() {
            "acceptee"
        } else {
            "refusee"
        },
        motif: l.decision.reason().map(reason_json),
        rang: p.map(|p| p.rank),
        montants: p.map(amounts_json),
        amo_libelle: p.map(|p| amo_payee_fr(p.amo_payee)),
        complementaire_libelle: p
            .map(|p| complementary_fr(p.complementary_payer, p.complementary_route)),
        url: format!("/api/seances/{}", l.claim_id),
    }
}

/// A psychologist's year.
#[derive(Debug, Serialize, ToSchema)]
pub struct MySessionsJson {
    pub annee: i16,
    /// Accepted and not cancelled.
    pub acceptees: u32,
    pub refusees: u32,
    /// Accepted, then cancelled (recorded by mistake).
    pub annulees: u32,
    /// Accepted sessions by video (PSS).
    pub en_visio: u32,
    /// Share of accepted sessions by video, percent, one decimal.
    pub part_visio_pourcent: f64,
    /// The guideline: at most this share by video (a control point, never a rejection).
    pub repere_visio_pourcent: u32,
    pub repere_depasse: bool,
    /// Paid to the psychologist (tiers payant) by the AMO.
    pub amo_versee_au_psychologue_centimes: i64,
    /// Paid to the psychologist (tiers payant) by complementaries (C2S).
    pub complementaire_versee_au_psychologue_centimes: i64,
    /// Paid to the psychologist by the State (AME).
    pub etat_centimes: i64,
    /// By session date.
    pub seances: Vec<SessionLineJson>,
}

#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct YearParamsDoc {
    /// Calendar year (`AAAA`), from the programme's first year; default the current year.
    annee: Option<i16>,
}

/// The signed-in psychologist's sessions of a calendar year.
#[utoipa::path(
    get,
    path = "/api/seances",
    tag = "parcours",
    params(YearParamsDoc),
    security(("session" = [])),
    responses(
        (status = 200, description = "Séances de l’année avec décisions, montants et payeurs ; part des séances en visio face au repère de 20 %", body = MySessionsJson),
        (status = 400, description = "Année invalide", body = ApiProblem),
        (status = 401, description = "Pas de session ouverte", body = ApiProblem),
        (status = 403, description = "Compte qui n’est pas celui d’un psychologue conventionné", body = ApiProblem),
    )
)]
pub async fn my_sessions(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    either(my_sessions_in(state, user, q).await)
}

async fn my_sessions_in(
    state: AppState,
    user: Option<CurrentUser>,
    q: HashMap<String, String>,
) -> ApiResult<Response> {
    let user = signed_in(user, &[Role::Psychologue], "aux psychologues")?;
    let today = state.today();
    let first = state.rules().programme_start.year();
    let year = match q.get("annee").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => today.year(),
        Some(y) => y
            .parse::<i16>()
            .ok()
            .filter(|y| (first..=today.year()).contains(y))
            .ok_or_else(|| {
                api_problem(
                    StatusCode::BAD_REQUEST,
                    "annee_invalide",
                    format!(
                        "Année (annee) invalide : une année de {first} à {} (reçu « {y} »).",
                        today.year()
                    ),
                )
            })?,
    };
    let rpps = own_rpps(&state, &user).await?;
    let u = user.clone();
    let lines = store(&state, move |db| {
        let lines = pathway::sessions_of_psychologist(db, rpps, year)?;
        let patients: BTreeSet<String> = lines.iter().map(|l| patient_ref(&l.nir)).collect();
        for p in patients {
            audit_blocking(
                db,
                &u,
                "lecture",
                "patient",
                &p,
                &format!("liste des séances {year} du psychologue (API)"),
            )?;
        }
        Ok(lines)
    })
    .await?;
    // Cancelled sessions count for nothing and pay nothing.
    let kept: Vec<SessionLine> = lines.iter().filter(|l| !l.cancelled).cloned().collect();
    let s = YearSummary::of(&kept);
    let cancelled = lines.len() - kept.len();
    let threshold = state.rules().remote_share_control_percent;
    let share = s.remote_share_percent();
    Ok(ok(MySessionsJson {
        annee: year,
        acceptees: s.accepted,
        refusees: s.rejected,
        annulees: u32::try_from(cancelled).unwrap_or(u32::MAX),
        en_visio: s.remote,
        part_visio_pourcent: (share * 10.0).round() / 10.0,
        repere_visio_pourcent: threshold,
        repere_depasse: share > f64::from(threshold),
        amo_versee_au_psychologue_centimes: s.amo_to_psychologist.0,
        complementaire_versee_au_psychologue_centimes: s.complementary_to_psychologist.0,
        etat_centimes: s.state.0,
        seances: lines.iter().map(|l| line_json(l, None)).collect(),
    }))
}

/// One session, with where the patient stands in that year.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDetailJson {
    pub seance: SessionLineJson,
    /// The patient's year (of the session date), all psychologists.
    pub situation: StandingJson,
    /// The care sheet (fields of form S 3130), PDF.
    pub feuille_de_soins: String,
    /// The patient's statement, PDF.
    pub decompte: String,
}

/// One session and its decision.
#[utoipa::path(
    get,
    path = "/api/seances/{id}",
    tag = "parcours",
    params(("id" = String, Path, description = "Numéro de la séance (ex. EN-…)")),
    security(("session" = [])),
    responses(
        (status = 200, description = "La séance, sa décision et la situation du patient dans l’année", body = SessionDetailJson),
        (status = 401, description = "Pas de session ouverte", body = ApiProblem),
        (status = 403, description = "Ni le patient, ni un psychologue qui l’a reçu, ni un agent de CPAM", body = ApiProblem),
        (status = 404, description = "Aucune séance ne porte ce numéro", body = ApiProblem),
    )
)]
pub async fn session(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
) -> Response {
    either(session_in(state, user, id).await)
}

async fn session_in(state: AppState, user: Option<CurrentUser>, id: String) -> ApiResult<Response> {
    let user = signed_in(
        user,
        &[Role::Psychologue, Role::AgentCpam, Role::Patient],
        "au patient, aux psychologues qui l’ont reçu et aux agents de CPAM",
    )?;
    let line = store(&state, move |db| pathway::get_session(db, &id))
        .await?
        .ok_or_else(|| {
            api_problem(
                StatusCode::NOT_FOUND,
                "seance_inconnue",
                "Aucune séance ne porte ce numéro.",
            )
        })?;
    seances::may_read(&state, &user, &line)
        .await
        .map_err(|r| {
            if r.status() == StatusCode::FORBIDDEN {
                api_problem(
                    StatusCode::FORBIDDEN,
                    "acces_refuse",
                    "Seuls le patient, les psychologues qui l’ont reçu et les agents de CPAM peuvent consulter ses séances.",
                )
            } else {
                internal(&r.status())
            }
        })?;
    let (s, u, l) = (state.clone(), user.clone(), line.clone());
    let (standing, name) = store(&state, move |db| {
        if u.role() != Role::Patient {
            audit_blocking(
                db,
                &u,
                "lecture",
                "patient",
                &patient_ref(&l.nir),
                &format!("séance {} (API)", l.claim_id),
            )?;
        }
        Ok((
            year_standing(db, s.rules(), &l.nir, l.session_date)?,
            pathway::psychologist_name(db, l.rpps)?,
        ))
    })
    .await?;
    Ok(ok(SessionDetailJson {
        situation: standing_json(&standing, line.session_date),
        feuille_de_soins: format!("/espace/seances/{}/feuille.pdf", line.claim_id),
        decompte: format!("/espace/seances/{}/decompte.pdf", line.claim_id),
        seance: line_json(&line, name),
    }))
}

/// A patient's year.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpJson {
    pub annee: i16,
    /// Sessions reimbursed and left this year, all psychologists.
    pub situation: StandingJson,
    /// Reimbursed to the patient's bank account by the AMO.
    pub rembourse_par_l_assurance_maladie_centimes: i64,
    /// To claim from the complementary with the statements (no Noémie link).
    pub a_demander_a_la_complementaire_centimes: i64,
    /// This year's sessions, every psychologist, by date.
    pub seances: Vec<SessionLineJson>,
}

/// The signed-in patient's sessions this year, sessions left, reimbursements.
#[utoipa::path(
    get,
    path = "/api/moi/suivi",
    tag = "parcours",
    security(("session" = [])),
    responses(
        (status = 200, description = "Séances de l’année, séances restantes, remboursements avec payeur et voie", body = FollowUpJson),
        (status = 401, description = "Pas de session ouverte", body = ApiProblem),
        (status = 403, description = "Compte qui n’est pas un compte patient", body = ApiProblem),
        (status = 404, description = "Compte patient rattaché à aucun assuré", body = ApiProblem),
    )
)]
pub async fn follow_up(State(state): State<AppState>, MaybeUser(user): MaybeUser) -> Response {
    either(follow_up_in(state, user).await)
}

async fn follow_up_in(state: AppState, user: Option<CurrentUser>) -> ApiResult<Response> {
    let user = signed_in(user, &[Role::Patient], "aux patients")?;
    let today = state.today();
    let (id, s) = (user.account.id, state.clone());
    let (lines, names, standing) = store(&state, move |db| {
        let Some(nir) = pathway::patient_nir(db, id)? else {
            return Ok(None);
        };
        let lines = pathway::sessions_of_patient(db, &nir, today.year())?;
        let mut names = HashMap::new();
        for l in &lines {
            if let std::collections::hash_map::Entry::Vacant(e) = names.entry(l.rpps) {
                e.insert(pathway::psychologist_name(db, l.rpps)?);
            }
        }
        let standing = year_standing(db, s.rules(), &nir, today)?;
        Ok(Some((lines, names, standing)))
    })
    .await?
    .ok_or_else(|| {
        api_problem(
            StatusCode::NOT_FOUND,
            "assure_non_rattache",
            "Votre compte n’est rattaché à aucun assuré : contactez votre caisse d’assurance maladie.",
        )
    })?;
    let payments = || lines.iter().filter_map(SessionLine::paid);
    let to_me = payments()
        .filter(|p| p.amo_payee == AmoPayee::Assure)
        .map(|p| p.amo.0)
        .sum();
    let to_claim = payments()
        .filter(|p| p.complementary_route == AmcRoute::Decompte)
        .map(|p| p.complementary.0)
        .sum();
    Ok(ok(FollowUpJson {
        annee: today.year(),
        situation: standing_json(&standing, today),
        rembourse_par_l_assurance_maladie_centimes: to_me,
        a_demander_a_la_complementaire_centimes: to_claim,
        seances: lines
            .iter()
            .map(|l| {
                let name = names
                    .get(&l.rpps)
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| format!("RPPS {}", l.rpps));
                line_json(l, Some(name))
            })
            .collect(),
    }))
}

// ------------------------------------------------------------------ CPAM

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectCountJson {
    pub code: &'static str,
    pub explication: &'static str,
    pub nombre: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectJson {
    pub id: String,
    pub date_reception: String,
    pub date_seance: String,
    /// The psychologist's RPPS.
    pub rpps: String,
    /// The patient's NIR, masked.
    pub nir_masque: String,
    pub ref_patient: String,
    pub acte: String,
    pub motif: ReasonJson,
    /// The session in the API.
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectsJson {
    /// The agent's département, when their account is limited to one.
    pub departement: Option<String>,
    /// Rejected claims, all reasons.
    pub total: i64,
    pub par_motif: Vec<RejectCountJson>,
    /// The reason filtered on, if any.
    pub motif: Option<String>,
    /// At most this many claims are listed, most recent first.
    pub limite: i64,
    pub rejets: Vec<RejectJson>,
}

#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct RejectParamsDoc {
    /// A reason code (`PLAFOND`, `EEP_MANQUANTE`, …): only the claims rejected for it.
    motif: Option<String>,
}

/// Rejected claims with their reason (agents de CPAM; a département agent sees the claims of
/// the psychologists of their département).
#[utoipa::path(
    get,
    path = "/api/cpam/rejets",
    tag = "parcours",
    params(RejectParamsDoc),
    security(("session" = [])),
    responses(
        (status = 200, description = "Séances rejetées, comptées par motif, avec l’explication en français", body = RejectsJson),
        (status = 400, description = "Motif inconnu", body = ApiProblem),
        (status = 401, description = "Pas de session ouverte", body = ApiProblem),
        (status = 403, description = "Compte qui n’est pas celui d’un agent de CPAM", body = ApiProblem),
    )
)]
pub async fn rejects(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    either(rejects_in(state, user, q).await)
}

async fn rejects_in(
    state: AppState,
    user: Option<CurrentUser>,
    q: HashMap<String, String>,
) -> ApiResult<Response> {
    let user = signed_in(user, &[Role::AgentCpam], "aux agents de CPAM")?;
    let reason = match q.get("motif").map(|m| m.trim()).filter(|m| !m.is_empty()) {
        None => None,
        Some(m) => Some(Reason::parse(&m.to_uppercase()).ok_or_else(|| {
            api_problem(
                StatusCode::BAD_REQUEST,
                "motif_inconnu",
                format!(
                    "Motif (motif) inconnu « {m} » : {}.",
                    Reason::ALL.map(Reason::code).join(", ")
                ),
            )
        })?),
    };
    let (territory, u) = (user.account.territory.clone(), user.clone());
    let (counts, list) = store(&state, move |db| {
        let found = crate::liquidation::rejects_blocking(db, territory.as_deref(), reason)?;
        let patients: BTreeSet<String> = found.1.iter().map(|r| patient_ref(&r.nir)).collect();
        for p in patients {
            audit_blocking(
                db,
                &u,
                "lecture",
                "patient",
                &p,
                "liste des séances rejetées (API)",
            )?;
        }
        Ok(found)
    })
    .await?;
    Ok(ok(RejectsJson {
        departement: user.account.territory.clone(),
        total: counts.iter().map(|(_, n)| n).sum(),
        par_motif: counts
            .iter()
            .map(|(r, n)| RejectCountJson {
                code: r.code(),
                explication: r.explanation_fr(),
                nombre: *n,
            })
            .collect(),
        motif: reason.map(|r| r.code().to_owned()),
        limite: crate::liquidation::REJECTS_SHOWN,
        rejets: list
            .iter()
            .map(|r| RejectJson {
                id: r.claim_id.clone(),
                date_reception: r.received_date.to_string(),
                date_seance: r.session_date.to_string(),
                rpps: r.rpps.clone(),
                nir_masque: r.nir.masked(),
                ref_patient: patient_ref(&r.nir),
                acte: r.act.clone(),
                motif: reason_json(r.reason),
                url: format!("/api/seances/{}", r.claim_id),
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn validity_end_matches_the_rule() {
        let rules = msp_domain::Rules::standard();
        let doc = msp_domain::ReferrerKind::Medecin;
        for letter in [
            date(2022, 9, 29),
            date(2023, 8, 31),
            date(2024, 2, 29),
            date(2026, 11, 2),
            date(2023, 12, 31),
        ] {
            let end = valid_until(letter, 6);
            assert!(
                letter_validity(&rules, letter, doc, end).is_ok(),
                "{letter} valid on {end}"
            );
            let after = end.tomorrow().unwrap();
            assert!(
                letter_validity(&rules, letter, doc, after).is_err(),
                "{letter} no longer valid on {after}"
            );
        }
        assert_eq!(valid_until(date(2022, 9, 29), 6), date(2023, 3, 29));
        assert_eq!(valid_until(date(2023, 8, 31), 6), date(2024, 2, 29));
    }
}
