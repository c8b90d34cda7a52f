//! JSON API of sessions: recording a session, a patient's year before recording, a
//! psychologist's sessions, one session, the patient's follow-up, cancelling a session. The
//! same services as the pages ([`crate::services::sessions`],
//! [`crate::services::cancellation`]); errors are problem documents.

use crate::AppState;
use crate::error::{AppError, AppResult, ProblemJson};
use crate::extract::{ApiJson, CurrentUser, Patient, Psychologist, SessionReader};
use crate::paths;
use crate::services::audit::{PatientKey, Via, patient_ref};
use crate::services::cancellation;
use crate::services::sessions::{self as service, Recorded};
use crate::views::date_fr;
use crate::views::sessions::{amo_payee_fr, complementary_fr, next_session_fr};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use msp_domain::session::ReferralInput;
use msp_domain::{Date, Payment, Reason, SessionInput};
use msp_store::live::{YearStanding, next_act};
use msp_store::pathway::SessionLine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The body, with this API's code for a body that is not JSON (`type_invalide`, as documented
/// since the first version).
fn body<T>(read: Result<ApiJson<T>, AppError>) -> AppResult<T> {
    read.map(|ApiJson(v)| v).map_err(|e| match e {
        AppError::Rejected(mut p) if p.status == StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            p.code = "type_invalide";
            AppError::Rejected(p)
        }
        other => other,
    })
}

impl From<SessionBody> for SessionInput {
    fn from(b: SessionBody) -> SessionInput {
        SessionInput {
            nir: b.nir,
            date_naissance: b.date_naissance,
            date_seance: b.date_seance,
            acte: b.acte,
            contexte: b.contexte,
            tiers_payant: b.tiers_payant,
            consentement: b.consentement,
            consentement_parental: b.consentement_parental,
            adressage: b.adressage.map(|r| ReferralInput {
                date: r.date,
                type_prescripteur: r.type_prescripteur,
                identifiant_prescripteur: r.identifiant_prescripteur,
            }),
            code_adressage: b.code_adressage,
            critere: b.critere,
            compte_rendu_medecin: b.compte_rendu_medecin,
        }
    }
}

/// The one JSON form of a recorded session.
impl From<Recorded> for RecordedJson {
    fn from(r: Recorded) -> RecordedJson {
        let p = r.decision.payment();
        RecordedJson {
            id: r.claim_id,
            statut: if r.decision.is_accepted() {
                "acceptee"
            } else {
                "refusee"
            },
            motif: r.decision.reason().map(reason_json),
            rang: p.map(|p| p.rank),
            montants: p.map(amounts_json),
            avant: standing_json(&r.before, r.on),
            apres: standing_json(&r.after, r.on),
        }
    }
}

/// `POST /api/seances`: records a session for the signed-in psychologist (session cookie; the
/// body must be `application/json`, which a cross-site form cannot send).
#[utoipa::path(
    post,
    path = "/api/seances",
    tag = "seances",
    request_body = SessionBody,
    security(("session" = [])),
    responses(
        (status = 201, description = "Séance enregistrée et jugée aussitôt (acceptée ou refusée, avec le motif en français) ; séances de l’année avant et après", body = RecordedJson),
        (status = 401, description = "Pas de session ouverte", body = ProblemJson),
        (status = 403, description = "Compte qui n’est pas celui d’un psychologue conventionné", body = ProblemJson),
        (status = 415, description = "Corps qui n’est pas du JSON", body = ProblemJson),
        (status = 422, description = "Saisie invalide (NIR, dates, acte, consentements ; chaque champ en cause dans `erreurs`), courrier d’adressage inconnu ou d’un autre patient, ou assuré inconnu pour ce NIR et cette date de naissance : rien n’est enregistré", body = ProblemJson),
    )
)]
pub async fn api_record(
    State(state): State<AppState>,
    who: Psychologist,
    read: Result<ApiJson<SessionBody>, AppError>,
) -> AppResult<(StatusCode, Json<RecordedJson>)> {
    let input = SessionInput::from(body(read)?);
    let recorded = service::record_session(&state, &who, &input).await?;
    Ok((StatusCode::CREATED, Json(recorded.into())))
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
        (status = 401, description = "Pas de session ouverte", body = ProblemJson),
        (status = 403, description = "Compte qui n’est pas celui d’un psychologue conventionné", body = ProblemJson),
        (status = 415, description = "Corps qui n’est pas du JSON", body = ProblemJson),
        (status = 422, description = "NIR ou dates invalides, ou aucun assuré pour ce NIR et cette date de naissance (même réponse dans les deux cas)", body = ProblemJson),
    )
)]
pub async fn situation(
    State(state): State<AppState>,
    who: Psychologist,
    read: Result<ApiJson<SituationInput>, AppError>,
) -> AppResult<Json<SituationJson>> {
    let input = body(read)?;
    let input = SessionInput {
        nir: input.nir,
        date_naissance: input.date_naissance,
        date_seance: input.date.unwrap_or_default(),
        ..SessionInput::default()
    };
    let s = service::situation(&state, &who, &input, Via::Api).await?;
    Ok(Json(SituationJson {
        date: s.on.to_string(),
        situation: standing_json(&s.year, s.on),
        acte_suivant: next_act(&s.year).code(),
        explication: standing_sentence(&s.year, s.on),
    }))
}

fn standing_sentence(s: &YearStanding, on: Date) -> String {
    format!(
        "En {}, tous psychologues confondus : {}, {} à la date du {}. {}",
        on.year(),
        msp_domain::french::count(
            u64::from(s.used),
            "séance remboursée",
            "séances remboursées"
        ),
        msp_domain::french::count(u64::from(s.remaining), "restante", "restantes"),
        date_fr(on),
        next_session_fr(s)
    )
}

/// `?annee=AAAA`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearParams {
    /// Calendar year (`AAAA`), from the programme's first year; default the current year.
    annee: Option<String>,
}

/// The signed-in psychologist's sessions of a calendar year.
#[utoipa::path(
    get,
    path = "/api/seances",
    tag = "parcours",
    params(YearParams),
    security(("session" = [])),
    responses(
        (status = 200, description = "Séances de l’année avec décisions, montants et payeurs ; part des séances en visio face au repère de 20 %", body = MySessionsJson),
        (status = 400, description = "Année invalide", body = ProblemJson),
        (status = 401, description = "Pas de session ouverte", body = ProblemJson),
        (status = 403, description = "Compte qui n’est pas celui d’un psychologue conventionné", body = ProblemJson),
    )
)]
pub async fn my_sessions(
    State(state): State<AppState>,
    who: Psychologist,
    Query(q): Query<YearParams>,
) -> AppResult<Json<MySessionsJson>> {
    let year = service::year_asked(&state, q.annee.as_deref())?;
    let y = service::psychologist_sessions(&state, &who, year, Via::Api).await?;
    let s = y.summary;
    let share = s.remote_share_percent();
    Ok(Json(MySessionsJson {
        annee: y.year,
        acceptees: s.accepted,
        refusees: s.rejected,
        annulees: s.cancelled,
        en_visio: s.remote,
        part_visio_pourcent: (share * 10.0).round() / 10.0,
        repere_visio_pourcent: y.remote_threshold,
        repere_depasse: y.over_threshold(),
        amo_versee_au_psychologue_centimes: s.amo_to_psychologist.0,
        complementaire_versee_au_psychologue_centimes: s.complementary_to_psychologist.0,
        etat_centimes: s.state.0,
        seances: y
            .lines
            .iter()
            .map(|l| line_json(state.patient_key(), l, None))
            .collect(),
    }))
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
        (status = 401, description = "Pas de session ouverte", body = ProblemJson),
        (status = 403, description = "Ni le patient, ni un psychologue qui l’a reçu, ni un agent de CPAM", body = ProblemJson),
        (status = 404, description = "Aucune séance ne porte ce numéro", body = ProblemJson),
    )
)]
pub async fn session(
    State(state): State<AppState>,
    reader: SessionReader,
    Path(id): Path<String>,
) -> AppResult<Json<SessionDetailJson>> {
    let r = service::session(&state, &reader, &id, Via::Api).await?;
    Ok(Json(SessionDetailJson {
        situation: standing_json(&r.standing, r.line.session_date),
        feuille_de_soins: paths::care_sheet(&r.line.claim_id),
        decompte: paths::statement(&r.line.claim_id),
        seance: line_json(state.patient_key(), &r.line, r.psychologist),
    }))
}

/// The signed-in patient's sessions this year, sessions left, reimbursements.
#[utoipa::path(
    get,
    path = "/api/moi/suivi",
    tag = "parcours",
    security(("session" = [])),
    responses(
        (status = 200, description = "Séances de l’année, séances restantes, remboursements avec payeur et voie", body = FollowUpJson),
        (status = 401, description = "Pas de session ouverte", body = ProblemJson),
        (status = 403, description = "Compte qui n’est pas un compte patient", body = ProblemJson),
        (status = 404, description = "Compte patient rattaché à aucun assuré", body = ProblemJson),
    )
)]
pub async fn follow_up(
    State(state): State<AppState>,
    patient: Patient,
) -> AppResult<Json<FollowUpJson>> {
    let f = service::follow_up(&state, &patient, state.today().year()).await?.ok_or_else(|| {
        AppError::not_found(
            "assure_non_rattache",
            "Votre compte n’est rattaché à aucun assuré : contactez votre caisse d’assurance maladie.",
        )
    })?;
    Ok(Json(FollowUpJson {
        annee: f.year,
        situation: standing_json(&f.standing, state.today()),
        rembourse_par_l_assurance_maladie_centimes: f.reimbursed_by_amo.0,
        a_demander_a_la_complementaire_centimes: f.to_claim_from_complementary.0,
        seances: f
            .lines
            .iter()
            .map(|l| line_json(state.patient_key(), l, f.names.get(&l.rpps).cloned()))
            .collect(),
    }))
}

/// `POST /api/seances/{id}/annulation`: cancels a session recorded by mistake (JSON body,
/// session cookie).
#[utoipa::path(
    post,
    path = "/api/seances/{id}/annulation",
    tag = "seances",
    params(("id" = String, Path, description = "Numéro de la séance")),
    request_body = CancelInput,
    security(("session" = [])),
    responses(
        (status = 200, description = "Séance annulée : elle ne compte plus dans l’année du patient ni dans les paiements", body = CancelledJson),
        (status = 401, description = "Pas de session ouverte", body = ProblemJson),
        (status = 403, description = "Ni le psychologue qui a saisi la séance, ni un agent de CPAM", body = ProblemJson),
        (status = 404, description = "Aucune séance saisie en ligne ne porte ce numéro", body = ProblemJson),
        (status = 409, description = "Séance refusée, déjà annulée, ou suivie d’autres séances acceptées la même année", body = ProblemJson),
        (status = 415, description = "Corps qui n’est pas du JSON", body = ProblemJson),
        (status = 422, description = "Motif absent, trop court ou contenant un NIR", body = ProblemJson),
    )
)]
pub async fn cancel_api(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    read: Result<ApiJson<CancelInput>, AppError>,
) -> AppResult<Json<CancelledJson>> {
    let input = body(read)?;
    let c = cancellation::cancel_session(&state, &user, &id, &input.motif).await?;
    Ok(Json(CancelledJson {
        id: c.claim_id,
        statut: "annulee",
        annee: c.year,
        utilisees: c.used,
    }))
}

/// This area's endpoints, each documented by its `#[utoipa::path]`.
pub fn router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(api_record, my_sessions))
        .routes(utoipa_axum::routes!(session))
        .routes(utoipa_axum::routes!(cancel_api))
        .routes(utoipa_axum::routes!(situation))
        .routes(utoipa_axum::routes!(follow_up))
}

/// A session as typed in the form or sent to the API, not yet checked. Dates are `AAAA-MM-JJ`
/// or `JJ/MM/AAAA`; `acte` is EEP, APS or PSS; `contexte` maladie (default), ald, maternite or
/// atmp.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionBody {
    pub nir: String,
    pub date_naissance: String,
    #[serde(default)]
    pub date_seance: String,
    #[serde(default)]
    pub acte: String,
    #[serde(default)]
    pub contexte: String,
    #[serde(default)]
    pub tiers_payant: bool,
    #[serde(default)]
    pub consentement: bool,
    #[serde(default)]
    pub consentement_parental: bool,
    #[serde(default)]
    pub adressage: Option<ReferralBody>,
    /// Verification code of a referral letter issued in the system (`ABCD-EFGH`); takes the
    /// place of `adressage`.
    #[serde(default)]
    pub code_adressage: Option<String>,
    /// Clinical inclusion criterion assessed (usually at the EEP): `anxiete`, `depression`,
    /// `tabac`, `alcool`, `cannabis`, `alimentaire` (adults) or `souffrance_enfant` (3–17 years).
    #[serde(default)]
    pub critere: Option<String>,
    /// The patient agrees that a short report be sent to their médecin traitant.
    #[serde(default)]
    pub compte_rendu_medecin: bool,
}

/// The referral letter a session refers to (required for the EEP in the 2022 regime);
/// `type_prescripteur` is medecin or sage_femme.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralBody {
    pub date: String,
    #[serde(default)]
    pub type_prescripteur: String,
    #[serde(default)]
    pub identifiant_prescripteur: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StandingJson {
    pub annee: i16,
    pub utilisees: u32,
    pub restantes: u32,
    pub eep_due: bool,
}

pub fn standing_json(s: &YearStanding, on: Date) -> StandingJson {
    StandingJson {
        annee: on.year(),
        utilisees: s.used,
        restantes: s.remaining,
        eep_due: s.eep_due,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReasonJson {
    pub code: &'static str,
    pub explication: &'static str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AmountsJson {
    pub tarif_centimes: i64,
    pub amo_centimes: i64,
    pub amo_versee_a: &'static str,
    pub complementaire_centimes: i64,
    pub complementaire_payeur: &'static str,
    pub complementaire_voie: &'static str,
    pub etat_centimes: i64,
    pub patient_centimes: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecordedJson {
    pub id: String,
    pub statut: &'static str,
    pub motif: Option<ReasonJson>,
    pub rang: Option<u32>,
    pub montants: Option<AmountsJson>,
    pub avant: StandingJson,
    pub apres: StandingJson,
}

/// Who the patient is, and on which date to count.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
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

pub(crate) fn line_json(
    key: &PatientKey,
    l: &SessionLine,
    psychologist: Option<String>,
) -> SessionLineJson {
    let p = l.paid();
    SessionLineJson {
        id: l.claim_id.clone(),
        date_seance: l.session_date.to_string(),
        date_reception: l.received_date.to_string(),
        rpps: l.rpps.to_string(),
        psychologue: psychologist,
        nir_masque: l.nir.masked(),
        ref_patient: patient_ref(key, &l.nir),
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
        amo_libelle: p.map(|p| amo_payee_fr(p.amo_payee, l.nir.sex())),
        complementaire_libelle: p
            .map(|p| complementary_fr(p.complementary_payer, p.complementary_route)),
        url: paths::api_session(&l.claim_id),
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

/// Body of `POST /api/seances/{id}/annulation`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    /// Why the session is cancelled (5 characters at least, no NIR).
    pub motif: String,
}

/// Answer of a cancellation: the patient's year as it now stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CancelledJson {
    pub id: String,
    /// Always `annulee`.
    pub statut: &'static str,
    pub annee: i16,
    /// Sessions accepted this year after the cancellation.
    pub utilisees: u32,
}
