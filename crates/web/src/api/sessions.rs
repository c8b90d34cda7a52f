//! JSON API of sessions: a patient's year before recording, a psychologist's sessions, one
//! session, the patient's follow-up.

#![allow(unused_imports)]
// Handlers refuse with a ready JSON answer (temporary, until converted to AppError).
#![allow(clippy::result_large_err)]

use crate::AppState;
use crate::directory::json::CodeLabel;
use crate::pages::auth::{CurrentUser, MaybeUser, capitalize};
use crate::pages::referrals::{self as adressages, display_code, letter_validity, parse_code};
use crate::pages::sessions::{
    self as seances, AmountsJson, ApiProblem, ReasonJson, SessionInput, StandingJson,
    UNKNOWN_PATIENT, YearSummary, amo_payee_fr, api_problem, complementary_fr, date_fr,
    identity_matches, parse_date, patient_ref, standing_json,
};
use crate::pages::space::audit_blocking;
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
pub(crate) type ApiResult<T> = Result<T, Response>;

use crate::api::support::*;

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

pub(crate) fn amounts_json(p: &Payment) -> AmountsJson {
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

pub(crate) fn reason_json(r: Reason) -> ReasonJson {
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

/// This area's endpoints, each documented by its `#[utoipa::path]`.
pub fn router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(
            crate::pages::sessions::api_record,
            my_sessions
        ))
        .routes(utoipa_axum::routes!(session))
        .routes(utoipa_axum::routes!(crate::pages::cancellation::cancel_api))
        .routes(utoipa_axum::routes!(situation))
        .routes(utoipa_axum::routes!(follow_up))
}
