//! JSON API of referral letters: issue, list, verify — the same services as
//! `/espace/adressages` ([`crate::services::referrals`]), rendered as JSON.

use crate::AppState;
use crate::directory::json::CodeLabel;
use crate::error::{AppError, AppResult, ProblemJson};
use crate::extract::{ApiJson, Prescriber, Psychologist};
use crate::paths;
use crate::services::audit::Via;
use crate::services::referrals::{self, LetterCheck, NewLetter};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use msp_domain::referral::{context_label, display_code, valid_until};
use msp_store::pathway::Letter;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A referral letter as a doctor or midwife issues it. It never states a number of sessions,
/// nor who issues it: the letter names the signed-in account, with the RPPS verified for it
/// (Pro Santé Connect, or the registry check at its creation). The API refuses any field other
/// than these: a typed `identifiant_prescripteur` is a 422 `champ_inconnu`, nothing issued.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LetterInput {
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

impl From<LetterInput> for NewLetter {
    fn from(i: LetterInput) -> NewLetter {
        NewLetter {
            patient_name: i.patient_nom,
            nir: i.nir,
            date: i.date,
            context: i.contexte,
        }
    }
}

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
            libelle: l.referrer_kind.label_fr(),
            identifiant: l.referrer_id.clone(),
        },
        contexte: l.context.as_ref().map(|c| CodeLabel {
            code: c.clone(),
            libelle: context_label(c).unwrap_or(c).to_owned(),
        }),
        pdf: with_pdf.then(|| paths::letter_pdf(&l.code)),
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
        (status = 401, description = "Pas de session ouverte", body = ProblemJson),
        (status = 403, description = "Compte qui n’est ni médecin ni sage-femme", body = ProblemJson),
        (status = 415, description = "Corps qui n’est pas du JSON", body = ProblemJson),
        (status = 422, description = "Champ invalide (RPPS, nom, NIR, date, contexte : tous nommés dans `erreurs`) ou champ inconnu — un courrier ne fixe jamais de nombre de séances : rien n’est enregistré", body = ProblemJson),
    )
)]
pub async fn issue_letter(
    State(state): State<AppState>,
    who: Prescriber,
    body: Result<ApiJson<LetterInput>, AppError>,
) -> AppResult<(StatusCode, Json<LetterJson>)> {
    let ApiJson(input) = body.map_err(|e| match e {
        AppError::Rejected(mut p) if p.code == "champ_inconnu" => {
            p.message
                .push_str(" Un courrier d’adressage ne fixe jamais de nombre de séances.");
            AppError::Rejected(p)
        }
        other => other,
    })?;
    let letter = referrals::issue_letter(&state, &who, input.into(), Via::Api).await?;
    Ok((
        StatusCode::CREATED,
        Json(letter_json(
            &letter,
            state.rules().referral_validity_months,
            true,
        )),
    ))
}

/// The letters the signed-in doctor or midwife issued, newest first (SPEC §2).
#[utoipa::path(
    get,
    path = "/api/adressages",
    tag = "parcours",
    security(("session" = [])),
    responses(
        (status = 200, description = "Courriers émis par ce compte, du plus récent au plus ancien", body = [LetterJson]),
        (status = 401, description = "Pas de session ouverte", body = ProblemJson),
        (status = 403, description = "Compte qui n’est ni médecin ni sage-femme", body = ProblemJson),
    )
)]
pub async fn my_letters(
    State(state): State<AppState>,
    who: Prescriber,
) -> AppResult<Json<Vec<LetterJson>>> {
    let letters = referrals::prescriber_letters(&state, &who, Via::Api).await?;
    let months = state.rules().referral_validity_months;
    Ok(Json(
        letters
            .iter()
            .map(|l| letter_json(l, months, true))
            .collect(),
    ))
}

/// A letter's code and the date of the session it should cover.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
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
        (status = 401, description = "Pas de session ouverte", body = ProblemJson),
        (status = 403, description = "Compte qui n’est pas celui d’un psychologue conventionné", body = ProblemJson),
        (status = 415, description = "Corps qui n’est pas du JSON", body = ProblemJson),
        (status = 422, description = "Code mal formé ou inconnu, date de séance invalide", body = ProblemJson),
    )
)]
pub async fn verify_letter(
    State(state): State<AppState>,
    who: Psychologist,
    ApiJson(input): ApiJson<VerificationInput>,
) -> AppResult<Json<VerificationJson>> {
    let check = LetterCheck {
        code: input.code,
        session_date: input.date_seance,
    };
    let v = referrals::verify_letter(&state, &who, check, Via::Api).await?;
    let (valable, explication) = match v.verdict {
        Ok(m) => (true, m),
        Err(m) => (false, m),
    };
    Ok(Json(VerificationJson {
        valable,
        explication,
        date_seance: v.session.to_string(),
        courrier: letter_json(&v.letter, state.rules().referral_validity_months, false),
    }))
}

/// This area's endpoints, each documented by its `#[utoipa::path]`.
pub fn router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(issue_letter, my_letters))
        .routes(utoipa_axum::routes!(verify_letter))
}
