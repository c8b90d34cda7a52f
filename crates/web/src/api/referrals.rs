//! JSON API of referral letters: issue, list, verify (same rules as `/espace/adressages`).

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

/// This area's endpoints, each documented by its `#[utoipa::path]`.
pub fn router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(issue_letter, my_letters))
        .routes(utoipa_axum::routes!(verify_letter))
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
