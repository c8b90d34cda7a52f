//! Referral letters (SPEC §6): a doctor or a midwife issues a letter (a verification code, a
//! printable PDF), reads the letters they issued; a psychologist checks a letter's code against
//! a session date. Every read of a patient's data is audited here.

use crate::AppState;
use crate::error::{AppError, AppResult, FieldError};
use crate::extract::{Prescriber, Psychologist};
use crate::services::audit::{self, Via, patient_ref};
use jiff::Timestamp;
use msp_domain::referral::{self, context_label, letter_validity};
use msp_domain::{Date, Nir, dates};
use msp_store::StoreError;
use msp_store::pathway::{self, Letter};
use rand::Rng;

/// A letter as typed (form or JSON), before it is checked. A letter never states a number of
/// sessions, nor who issues it: there are no such fields (the issuer is the signed-in account,
/// with its verified RPPS).
#[derive(Debug, Clone, Default)]
pub struct NewLetter {
    pub patient_name: String,
    pub nir: String,
    /// Date of the letter; empty or `None`: today.
    pub date: Option<String>,
    /// A context code of [`referral::CONTEXTS`], or nothing.
    pub context: Option<String>,
}

/// Field names of the errors of [`issue_letter`] (those of the JSON API).
pub mod fields {
    pub const PATIENT_NAME: &str = "patient_nom";
    pub const NIR: &str = "nir";
    pub const DATE: &str = "date";
    pub const CONTEXT: &str = "contexte";
    pub const CODE: &str = "code";
    pub const SESSION_DATE: &str = "date_seance";
}

/// A new random verification code.
pub fn new_code() -> String {
    let mut rng = rand::rng();
    referral::code_from(|n| rng.random_range(0..n))
}

/// Every error of a form at once, under `code`: the problem's message is the only error's, or
/// all of them.
fn invalid(code: &'static str, errors: Vec<FieldError>) -> AppError {
    let message = match errors.as_slice() {
        [one] => one.detail.clone(),
        many => format!(
            "{} champs à corriger : {}",
            many.len(),
            many.iter()
                .map(|e| e.detail.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ),
    };
    AppError::invalid(code, message).fields(errors)
}

fn error(champ: &str, detail: impl Into<String>) -> FieldError {
    FieldError {
        champ: champ.to_owned(),
        detail: detail.into(),
    }
}

/// Checks a letter: the letter to store (without its code), or every field at fault.
fn checked_letter(by: &Prescriber, input: NewLetter, today: Date) -> AppResult<Letter> {
    let mut errors = Vec::new();
    let name = input.patient_name.trim().to_owned();
    if name.is_empty() {
        errors.push(error(
            fields::PATIENT_NAME,
            "Le nom du patient est obligatoire.",
        ));
    }
    let nir = Nir::parse(&input.nir)
        .map_err(|e| errors.push(error(fields::NIR, e.to_string())))
        .ok();
    // Left out (API): today. Sent empty (a form's field cleared): missing, not guessed.
    let date = match input.date.as_deref().map(str::trim) {
        None => Some(today),
        Some("") => {
            errors.push(error(
                fields::DATE,
                "Date du courrier manquante : indiquez le jour du courrier (JJ/MM/AAAA).",
            ));
            None
        }
        Some(d) => match dates::parse_typed(d) {
            None => {
                errors.push(error(
                    fields::DATE,
                    "Date du courrier invalide : attendue sous la forme JJ/MM/AAAA.",
                ));
                None
            }
            Some(d) if d > today => {
                errors.push(error(
                    fields::DATE,
                    "Le courrier ne peut pas être daté d’un jour futur.",
                ));
                None
            }
            Some(d) => Some(d),
        },
    };
    let context = match input.context.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) if context_label(c).is_some() => Some(c.to_owned()),
        Some(_) => {
            errors.push(error(
                fields::CONTEXT,
                format!(
                    "Contexte inconnu : {}.",
                    referral::CONTEXTS.map(|(c, _)| c).join(", ")
                ),
            ));
            None
        }
    };
    let (Some(nir), Some(date), true) = (nir, date, errors.is_empty()) else {
        return Err(invalid("adressage_invalide", errors));
    };
    Ok(Letter {
        code: String::new(),
        account_id: by.account.id,
        referrer_kind: by.kind,
        referrer_name: by.name.clone(),
        referrer_id: by.rpps.to_string(),
        patient_nir: nir,
        patient_name: name,
        letter_date: date,
        context,
        created_at: Timestamp::now(),
    })
}

/// Issues a letter by the signed-in doctor or midwife: checked whole (every field at fault
/// named), stored with a fresh verification code, its issue audited.
pub async fn issue_letter(
    state: &AppState,
    by: &Prescriber,
    input: NewLetter,
    via: Via,
) -> AppResult<Letter> {
    let key = state.patient_key().clone();
    let letter = checked_letter(by, input, state.today())?;
    let user = by.user.clone();
    state
        .db(move |db| {
            db.transaction(|tx| {
                for _ in 0..10 {
                    let l = Letter {
                        code: new_code(),
                        ..letter.clone()
                    };
                    if pathway::insert_letter(tx, &l)? {
                        audit::record(
                            tx,
                            &user,
                            "emission",
                            "patient",
                            &patient_ref(&key, &l.patient_nir),
                            &format!("courrier d’adressage {}{}", l.code, via.mark()),
                        )?;
                        return Ok(l);
                    }
                }
                Err(StoreError::Conflict(
                    "aucun code de vérification libre, réessayez".into(),
                ))
            })
        })
        .await
}

/// The letters the signed-in doctor or midwife issued, newest first; one audit line per
/// patient shown.
pub async fn prescriber_letters(
    state: &AppState,
    by: &Prescriber,
    via: Via,
) -> AppResult<Vec<Letter>> {
    let key = state.patient_key().clone();
    let user = by.user.clone();
    state
        .db(move |db| {
            let letters = pathway::letters_of(db, user.account.id)?;
            audit::patients_read(
                db,
                &key,
                &user,
                letters.iter().map(|l| &l.patient_nir),
                &format!("courriers d’adressage émis{}", via.mark()),
            )?;
            Ok(letters)
        })
        .await
}

/// One letter the signed-in doctor or midwife issued, to print (the download audited); 404
/// for a code they did not issue.
pub async fn letter_to_print(state: &AppState, by: &Prescriber, code: &str) -> AppResult<Letter> {
    let key = state.patient_key().clone();
    let not_found = || {
        AppError::not_found(
            "courrier_introuvable",
            "Aucun courrier que vous avez émis ne porte ce code.",
        )
        .titled("Courrier introuvable")
    };
    let code = referral::parse_code(code).map_err(|_| not_found())?;
    let user = by.user.clone();
    state
        .db(move |db| {
            let letter =
                pathway::letter_by_code(db, &code)?.filter(|l| l.account_id == user.account.id);
            if let Some(l) = &letter {
                audit::record(
                    db,
                    &user,
                    "telechargement",
                    "patient",
                    &patient_ref(&key, &l.patient_nir),
                    &format!("courrier d’adressage {}", l.code),
                )?;
            }
            Ok(letter)
        })
        .await?
        .ok_or_else(not_found)
}

/// A letter's code and the date of the session it should cover, as typed.
#[derive(Debug, Clone, Default)]
pub struct LetterCheck {
    pub code: String,
    /// Empty or `None`: today.
    pub session_date: Option<String>,
}

/// What a psychologist learns of a letter.
#[derive(Debug, Clone)]
pub struct Verification {
    pub letter: Letter,
    pub session: Date,
    /// Valid for the session, or not; why, in French, either way.
    pub verdict: Result<String, String>,
}

/// Checks a letter's code against a session date, for a psychologist; the read of the
/// patient's data is audited when the letter exists.
pub async fn verify_letter(
    state: &AppState,
    by: &Psychologist,
    input: LetterCheck,
    via: Via,
) -> AppResult<Verification> {
    let key = state.patient_key().clone();
    let mut errors = Vec::new();
    let mut code_of_problem = None;
    let code = referral::parse_code(&input.code)
        .map_err(|e| {
            code_of_problem.get_or_insert("code_invalide");
            errors.push(error(fields::CODE, e.to_string()));
        })
        .ok();
    let session = match input
        .session_date
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => Some(state.today()),
        Some(d) => dates::parse_typed(d).or_else(|| {
            code_of_problem.get_or_insert("date_seance_invalide");
            errors.push(error(
                fields::SESSION_DATE,
                "Date de la séance invalide : attendue sous la forme JJ/MM/AAAA (ou AAAA-MM-JJ).",
            ));
            None
        }),
    };
    let (Some(code), Some(session)) = (code, session) else {
        let problem = code_of_problem.unwrap_or("verification_invalide");
        // The API's message names the fields as sent.
        let message = errors
            .iter()
            .map(|e| match e.champ.as_str() {
                fields::SESSION_DATE => {
                    e.detail
                        .replacen("Date de la séance", "Date de la séance (date_seance)", 1)
                }
                _ => e.detail.clone(),
            })
            .collect::<Vec<_>>()
            .join(" ");
        return Err(AppError::invalid(problem, message).fields(errors));
    };
    let user = by.user.clone();
    let letter = state
        .db(move |db| {
            let letter = pathway::letter_by_code(db, &code)?;
            if let Some(l) = &letter {
                audit::record(
                    db,
                    &user,
                    "lecture",
                    "patient",
                    &patient_ref(&key, &l.patient_nir),
                    &format!(
                        "vérification du courrier d’adressage {}{}",
                        l.code,
                        via.mark()
                    ),
                )?;
            }
            Ok(letter)
        })
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "courrier_inconnu",
                "Aucun courrier d’adressage ne porte ce code de vérification (code).",
            )
            .fields(vec![error(
                fields::CODE,
                "Aucun courrier d’adressage ne porte ce code.",
            )])
        })?;
    let verdict = letter_validity(
        state.rules(),
        letter.letter_date,
        letter.referrer_kind,
        session,
    );
    Ok(Verification {
        letter,
        session,
        verdict,
    })
}
