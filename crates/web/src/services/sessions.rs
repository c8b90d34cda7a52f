//! Sessions of the patient pathway: where a patient stands before a session is recorded, the
//! recording (judged at once by the engine), a psychologist's sessions, one session under the
//! reading rules, its documents, the patient's follow-up. Each action writes its audit lines in
//! the same store work as what it reads or records.
//!
//! The patient is identified by NIR and birth date; an unknown NIR and a birth date that does
//! not match get the same answer, so that nothing reveals who is insured.

use crate::AppState;
use crate::error::{AppError, AppResult, FieldError};
use crate::extract::{CpamAgent, CurrentUser, Patient, Psychologist, SessionReader, own_rpps};
use crate::services::audit::{self, Via, patient_ref};
use crate::services::territory;
use jiff::Timestamp;
use msp_domain::session::{CheckedSession, Identity, InputError};
use msp_domain::{
    AmcRoute, AmoPayee, Cents, Claim, Date, Decision, Referral, Role, Rpps, SessionInput,
    YearSummary, dates,
};
use msp_store::live::{YearStanding, year_standing, year_standing_as_of};
use msp_store::pathway::{self, Cancellation, Consents, SessionLine};
use msp_store::{Db, StoreError, claims};
use std::collections::HashMap;

pub const UNKNOWN_PATIENT: &str = "Aucun assuré ne correspond à ce NIR et à cette date de naissance. Vérifiez-les sur la carte Vitale ou l’attestation de droits du patient.";

const READERS_ONLY: &str = "Seuls le patient, les psychologues qui l’ont reçu et les agents de CPAM peuvent consulter ses séances.";

/// A 422 listing every problem of an input, each with its field.
pub fn input_refusal(code: &'static str, errors: Vec<InputError>) -> AppError {
    let message = errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    AppError::invalid(code, message).fields(
        errors
            .into_iter()
            .map(|e| FieldError {
                champ: e.field.to_owned(),
                detail: e.message,
            })
            .collect(),
    )
}

fn unknown_patient() -> AppError {
    AppError::invalid("assure_inconnu", UNKNOWN_PATIENT).fields(vec![
        FieldError {
            champ: "nir".into(),
            detail: UNKNOWN_PATIENT.into(),
        },
        FieldError {
            champ: "date_naissance".into(),
            detail: UNKNOWN_PATIENT.into(),
        },
    ])
}

/// The beneficiary exists and was born on that date.
pub fn identity_matches(db: &mut Db, who: &Identity) -> Result<bool, StoreError> {
    Ok(claims::load_beneficiary(db, &who.nir)?.is_some_and(|b| b.birth_date == who.birth))
}

/// A patient's year on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub on: Date,
    pub year: YearStanding,
}

/// Where the patient of `input` (NIR, birth date, session date) stands this calendar year,
/// before a session is recorded; audited.
pub async fn situation(
    state: &AppState,
    who: &Psychologist,
    input: &SessionInput,
    via: Via,
) -> AppResult<Standing> {
    let key = state.patient_key().clone();
    let patient = input
        .identity(state.today())
        .map_err(|e| input_refusal("saisie_invalide", e))?;
    let (s, user) = (state.clone(), who.user.clone());
    let year = state
        .db(move |db| {
            if !identity_matches(db, &patient)? {
                return Ok(None);
            }
            let year = year_standing(db, s.rules(), &patient.nir, patient.session_date)?;
            audit::record(
                db,
                &user,
                "lecture",
                "patient",
                &patient_ref(&key, &patient.nir),
                &format!(
                    "séances de l’année avant la saisie d’une séance{}",
                    via.mark()
                ),
            )?;
            Ok(Some(Standing {
                on: patient.session_date,
                year,
            }))
        })
        .await?;
    year.ok_or_else(unknown_patient)
}

/// A session recorded and judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub claim_id: String,
    pub decision: Decision,
    /// The session date.
    pub on: Date,
    /// The patient's year before and after this session.
    pub before: YearStanding,
    pub after: YearStanding,
}

/// A new claim id for a session recorded on line: `EN-` and 20 hex digits.
fn new_claim_id() -> String {
    format!(
        "EN-{}",
        &crate::security::random_token()[..20].to_uppercase()
    )
}

/// Checks a session, judges it and records it with the attestations, audited, in one
/// transaction. Refused input, an unknown patient or letter: nothing is written.
pub async fn record_session(
    state: &AppState,
    who: &Psychologist,
    input: &SessionInput,
) -> AppResult<Recorded> {
    let checked = input
        .check(state.today())
        .map_err(|e| input_refusal("seance_invalide", e))?;
    let (s, user, rpps) = (state.clone(), who.user.clone(), who.rpps);
    state
        .db(move |db| record_in(db, &s, &user, rpps, &checked))
        .await?
}

fn letter_refusal(message: &str) -> AppError {
    AppError::invalid("adressage_invalide", message).field("code_adressage")
}

/// The work of [`record_session`] on one connection.
fn record_in(
    db: &mut Db,
    state: &AppState,
    user: &CurrentUser,
    rpps: Rpps,
    s: &CheckedSession,
) -> Result<AppResult<Recorded>, StoreError> {
    let key = state.patient_key().clone();
    if !identity_matches(db, &s.who)? {
        return Ok(Err(unknown_patient()));
    }
    let mut referral = s.referral.clone();
    if let Some(code) = &s.letter_code {
        match pathway::letter_by_code(db, code)? {
            None => {
                return Ok(Err(letter_refusal(
                    "Aucun courrier d’adressage ne porte ce code.",
                )));
            }
            Some(l) if l.patient_nir != s.who.nir => {
                return Ok(Err(letter_refusal(
                    "Ce courrier d’adressage a été émis pour un autre patient.",
                )));
            }
            Some(l) => {
                referral = Some(Referral {
                    date: l.letter_date,
                    referrer_id: Some(l.referrer_id),
                    kind: Some(l.referrer_kind),
                });
            }
        }
    }
    let rules = state.rules();
    let amount = rules
        .regime_on(s.who.session_date)
        .map_or(Cents(0), |r| r.tariff(s.act));
    let claim = Claim {
        claim_id: new_claim_id(),
        received_date: state.today(),
        rpps,
        nir: s.who.nir,
        session_date: s.who.session_date,
        act: s.act,
        amount,
        context: s.context,
        tiers_payant: s.tiers_payant,
        referral,
    };
    let a = s.attestations;
    let consents = Consents {
        patient: a.patient,
        parental: a.parental,
        report_to_gp: a.report_to_gp,
        inclusion: a.inclusion,
    };
    db.transaction(|tx| {
        // Lock first, so that "before" is the year the engine judges against.
        claims::lock_ledger(tx)?;
        let before = year_standing(tx, rules, &s.who.nir, s.who.session_date)?;
        let decision = pathway::record_session(
            tx,
            rules,
            Timestamp::now(),
            &claim,
            user.account.id,
            consents,
        )?;
        let after = year_standing(tx, rules, &s.who.nir, s.who.session_date)?;
        audit::record(
            tx,
            user,
            "saisie",
            "patient",
            &patient_ref(&key, &s.who.nir),
            &format!(
                "séance {} du {} : {}",
                claim.claim_id,
                s.who.session_date,
                match decision {
                    Decision::Accepted(_) => "acceptée".to_owned(),
                    Decision::Rejected(r) => format!("refusée ({})", r.code()),
                }
            ),
        )?;
        Ok(Ok(Recorded {
            claim_id: claim.claim_id.clone(),
            decision,
            on: s.who.session_date,
            before,
            after,
        }))
    })
}

/// A psychologist's sessions of a year and their totals.
#[derive(Debug, Clone)]
pub struct PsychologistYear {
    pub year: i16,
    /// By session date.
    pub lines: Vec<SessionLine>,
    pub summary: YearSummary,
    /// The guideline on the remote share (a control point, never a rejection), percent.
    pub remote_threshold: u32,
}

impl PsychologistYear {
    pub fn over_threshold(&self) -> bool {
        self.summary.remote_share_percent() > f64::from(self.remote_threshold)
    }
}

/// The totals of session lines.
pub fn summary_of(lines: &[SessionLine]) -> YearSummary {
    YearSummary::of(lines.iter().map(|l| (&l.decision, l.act, l.cancelled)))
}

/// The year asked for (`AAAA`, from the programme's first year to this one; empty: this year).
pub fn year_asked(state: &AppState, text: Option<&str>) -> AppResult<i16> {
    let today = state.today();
    let first = state.rules().programme_start.year();
    match text.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(today.year()),
        Some(y) => y
            .parse::<i16>()
            .ok()
            .filter(|y| (first..=today.year()).contains(y))
            .ok_or_else(|| {
                AppError::rejected(
                    axum::http::StatusCode::BAD_REQUEST,
                    "annee_invalide",
                    format!(
                        "Année invalide : choisissez une année de {first} à {} (reçu « {y} »).",
                        today.year()
                    ),
                )
                .field("annee")
            }),
    }
}

/// The psychologist's sessions of `year`; every patient on the list is audited as read.
pub async fn psychologist_sessions(
    state: &AppState,
    who: &Psychologist,
    year: i16,
    via: Via,
) -> AppResult<PsychologistYear> {
    let key = state.patient_key().clone();
    let (user, rpps) = (who.user.clone(), who.rpps);
    let lines = state
        .db(move |db| {
            let lines = pathway::sessions_of_psychologist(db, rpps, year)?;
            audit::patients_read(
                db,
                &key,
                &user,
                lines.iter().map(|l| &l.nir),
                &format!("liste des séances {year} du psychologue{}", via.mark()),
            )?;
            Ok(lines)
        })
        .await?;
    Ok(PsychologistYear {
        year,
        summary: summary_of(&lines),
        lines,
        remote_threshold: state.rules().remote_share_control_percent,
    })
}

/// The sessions of one month, for the monthly statement.
#[derive(Debug, Clone)]
pub struct Month {
    /// First day of the month.
    pub month: Date,
    pub lines: Vec<SessionLine>,
    pub psychologist: String,
}

/// The psychologist's sessions of a month (`AAAA-MM`, default this month), audited.
pub async fn psychologist_month(
    state: &AppState,
    who: &Psychologist,
    month: Option<&str>,
) -> AppResult<Month> {
    let key = state.patient_key().clone();
    let month = match month.map(str::trim).filter(|m| !m.is_empty()) {
        None => state.today().first_of_month(),
        Some(m) => dates::parse_iso(&format!("{m}-01")).ok_or_else(|| {
            AppError::rejected(
                axum::http::StatusCode::BAD_REQUEST,
                "mois_invalide",
                "Mois attendu sous la forme AAAA-MM (ex. 2026-11).",
            )
            .field("mois")
            .titled("Mois invalide")
        })?,
    };
    let (user, rpps) = (who.user.clone(), who.rpps);
    state
        .db(move |db| {
            let lines: Vec<SessionLine> =
                pathway::sessions_of_psychologist(db, rpps, month.year())?
                    .into_iter()
                    .filter(|l| l.session_date.month() == month.month())
                    .collect();
            audit::patients_read(
                db,
                &key,
                &user,
                lines.iter().map(|l| &l.nir),
                "relevé mensuel du psychologue",
            )?;
            Ok(Month {
                month,
                psychologist: pathway::psychologist_name(db, rpps)?.unwrap_or_default(),
                lines,
            })
        })
        .await
}

/// One session with what its page shows.
#[derive(Debug, Clone)]
pub struct SessionRead {
    pub line: SessionLine,
    /// The patient's year of the session date.
    pub standing: YearStanding,
    pub cancellation: Option<Cancellation>,
    /// Account that recorded it on line.
    pub recorder: Option<i64>,
    /// What the psychologist attested.
    pub attestations: Option<Consents>,
    pub psychologist: Option<String>,
}

impl SessionRead {
    /// Whether `user` may cancel it: the psychologist who recorded it, or a CPAM agent, while
    /// it is accepted and not yet cancelled.
    pub fn cancellable_by(&self, user: &CurrentUser) -> bool {
        self.cancellation.is_none()
            && self.line.decision.is_accepted()
            && (user.role() == Role::AgentCpam
                || (user.role() == Role::Psychologue && self.recorder == Some(user.account.id)))
    }
}

/// The session `id`, for a reader allowed to see it: the patient, a psychologist who saw the
/// patient, a CPAM agent of the patient's or the psychologist's CPAM (or a national one).
pub(crate) async fn readable(
    state: &AppState,
    reader: &CurrentUser,
    id: &str,
) -> AppResult<SessionLine> {
    let key = id.to_owned();
    let line = state
        .db(move |db| pathway::get_session(db, &key))
        .await?
        .ok_or_else(|| {
            AppError::not_found("seance_inconnue", "Aucune séance ne porte ce numéro.")
                .titled("Séance introuvable")
        })?;
    let nir = line.nir;
    let seen = match reader.role() {
        Role::AgentCpam => {
            let agent = CpamAgent::of(reader).ok_or_else(|| AppError::internal("agent"))?;
            let rpps = line.rpps;
            return state
                .db(move |db| territory::check_session(db, &agent, &nir, rpps))
                .await?
                .map(|()| line);
        }
        Role::Patient => {
            let id = reader.account.id;
            state.db(move |db| pathway::patient_nir(db, id)).await? == Some(nir)
        }
        _ => match own_rpps(state, reader).await? {
            Some(r) if r == line.rpps => true,
            Some(r) => state.db(move |db| pathway::has_seen(db, r, &nir)).await?,
            None => false,
        },
    };
    if seen {
        Ok(line)
    } else {
        Err(AppError::forbidden("acces_refuse", READERS_ONLY))
    }
}

/// One session under the reading rules; read by someone other than the patient, audited.
pub async fn session(
    state: &AppState,
    reader: &SessionReader,
    id: &str,
    via: Via,
) -> AppResult<SessionRead> {
    let key = state.patient_key().clone();
    let line = readable(state, reader, id).await?;
    let (s, user) = (state.clone(), reader.0.clone());
    state
        .db(move |db| {
            if user.role() != Role::Patient {
                audit::record(
                    db,
                    &user,
                    "lecture",
                    "patient",
                    &patient_ref(&key, &line.nir),
                    &format!("séance {}{}", line.claim_id, via.mark()),
                )?;
            }
            Ok(SessionRead {
                standing: year_standing_as_of(db, s.rules(), &line.nir, line.session_date)?,
                cancellation: pathway::cancellation(db, &line.claim_id)?,
                recorder: pathway::recorded_by(db, &line.claim_id)?,
                attestations: pathway::attestations(db, &line.claim_id)?,
                psychologist: pathway::psychologist_name(db, line.rpps)?,
                line,
            })
        })
        .await
}

/// The `what` of [`session_document`] for a care sheet.
pub const CARE_SHEET: &str = "feuille de soins";

/// A session and what its documents print.
#[derive(Debug, Clone)]
pub struct SessionDocument {
    pub line: SessionLine,
    pub psychologist: String,
    pub birth: Option<Date>,
}

/// A session for its care sheet or statement (`what`), under the reading rules; a cancelled
/// session has neither. Downloaded by someone other than the patient, audited.
pub async fn session_document(
    state: &AppState,
    reader: &SessionReader,
    id: &str,
    what: &'static str,
) -> AppResult<SessionDocument> {
    let key = state.patient_key().clone();
    let line = readable(state, reader, id).await?;
    if line.cancelled {
        return Err(AppError::conflict(
            "seance_annulee",
            "Cette séance a été annulée : elle n’a ni feuille de soins ni décompte.",
        )
        .titled("Séance annulée"));
    }
    // A care sheet claims a reimbursement: only an accepted session has one (a refused
    // session keeps its statement, which says why nothing is paid).
    if what == CARE_SHEET
        && let Decision::Rejected(r) = line.decision
    {
        return Err(AppError::conflict(
            "seance_refusee",
            format!(
                "Cette séance a été refusée : elle n’a pas de feuille de soins (son décompte dit pourquoi rien n’est payé). Motif : {}",
                r.explanation_fr()
            ),
        )
        .titled("Séance refusée"));
    }
    let user = reader.0.clone();
    state
        .db(move |db| {
            if user.role() != Role::Patient {
                audit::record(
                    db,
                    &user,
                    "telechargement",
                    "patient",
                    &patient_ref(&key, &line.nir),
                    &format!("{what} de la séance {}", line.claim_id),
                )?;
            }
            Ok(SessionDocument {
                psychologist: pathway::psychologist_name(db, line.rpps)?.unwrap_or_default(),
                birth: claims::load_beneficiary(db, &line.nir)?.map(|b| b.birth_date),
                line,
            })
        })
        .await
}

/// The patient's year: every psychologist's sessions, what is left, who reimburses what.
#[derive(Debug, Clone)]
pub struct FollowUp {
    pub year: i16,
    pub standing: YearStanding,
    /// By date.
    pub lines: Vec<SessionLine>,
    /// Psychologists' names (« RPPS … » when unknown).
    pub names: HashMap<Rpps, String>,
    /// Reimbursed to the patient's bank account by the AMO.
    pub reimbursed_by_amo: Cents,
    /// To claim from the complementary with the statements.
    pub to_claim_from_complementary: Cents,
}

/// The signed-in patient's follow-up in `year` (see [`year_asked`]); `None` when the account is tied to no
/// beneficiary. The patient's own data: not audited.
pub async fn follow_up(
    state: &AppState,
    patient: &Patient,
    year: i16,
) -> AppResult<Option<FollowUp>> {
    let today = state.today();
    // A past year is seen as it ended (31 December), this one as of today.
    let on = if year < today.year() {
        Date::new(year, 12, 31).unwrap_or(today)
    } else {
        today
    };
    let (id, s) = (patient.account.id, state.clone());
    state
        .db(move |db| {
            let Some(nir) = pathway::patient_nir(db, id)? else {
                return Ok(None);
            };
            let lines = pathway::sessions_of_patient(db, &nir, year)?;
            let mut names = HashMap::new();
            for l in &lines {
                if let std::collections::hash_map::Entry::Vacant(e) = names.entry(l.rpps) {
                    e.insert(
                        pathway::psychologist_name(db, l.rpps)?
                            .unwrap_or_else(|| format!("RPPS {}", l.rpps)),
                    );
                }
            }
            let paid = || lines.iter().filter_map(SessionLine::paid);
            let reimbursed_by_amo = Cents(
                paid()
                    .filter(|p| p.amo_payee == AmoPayee::Assure)
                    .map(|p| p.amo.0)
                    .sum(),
            );
            let to_claim_from_complementary = Cents(
                paid()
                    .filter(|p| p.complementary_route == AmcRoute::Decompte)
                    .map(|p| p.complementary.0)
                    .sum(),
            );
            Ok(Some(FollowUp {
                year,
                standing: year_standing_as_of(db, s.rules(), &nir, on)?,
                lines,
                names,
                reimbursed_by_amo,
                to_claim_from_complementary,
            }))
        })
        .await
}
