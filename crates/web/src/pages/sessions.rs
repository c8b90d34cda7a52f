//! Sessions recorded by psychologists (issue 6, patient pathway): the form, the decision taken
//! at once by the adjudication engine, the psychologist's sessions of the year, and the JSON
//! `POST /api/seances`.
//!
//! | Route | Who |
//! |---|---|
//! | `GET /espace/seances` | psychologue: the form |
//! | `POST /espace/seances` | psychologue: `etape=verifier` shows where the patient stands this year; `etape=enregistrer` records and redirects to the decision |
//! | `GET /espace/seances/{id}` | the patient, the psychologists who saw the patient, CPAM agents |
//! | `POST /espace/seances/{id}/annulation` | the psychologist who recorded it, CPAM agents (see [`crate::pages::cancellation`]) |
//! | `GET /espace/mon-suivi` | patient: this year's sessions, sessions left, reimbursements |
//! | `GET /espace/seances/{id}/feuille.pdf`, `.../decompte.pdf` | as the session: the care sheet (fields of form S 3130), the patient's statement |
//! | `GET /espace/mes-seances/releve.pdf?mois=AAAA-MM` | psychologue: monthly statement of what was paid to them |
//! | `GET /espace/mes-seances` | psychologue: this year's sessions, amounts, remote share |
//! | `POST /api/seances` | psychologue (session cookie), JSON in and out |
//!
//! The patient is identified by NIR and birth date; an unknown NIR and a birth date that does
//! not match get the same answer, so that the form reveals nothing about who is insured. Every
//! read of a patient's data is written to the audit log, the patient named by [`patient_ref`]
//! (never the NIR).

// Handlers refuse with a ready French page; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use crate::AppState;
use crate::pages::auth::{CurrentUser, MaybeUser, blocking};
use crate::pages::space::{audit_blocking, layout, refusal};
use axum::Form;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use jiff::Timestamp;
use maud::{Markup, html};
use msp_domain::{
    Act, AmcRoute, AmoPayee, Cents, Claim, ClaimContext, ComplementaryPayer, Date, Decision,
    InclusionCriterion, Nir, Referral, ReferrerKind, Role, Rpps, dates,
};
use msp_store::live::{YearStanding, year_standing};
use msp_store::pathway::{self, Consents, SessionLine};
use msp_store::{Db, StoreError, claims};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/espace/seances", get(form_page).post(submit))
        .route("/espace/seances/{id}", get(session_page))
        .route(
            "/espace/seances/{id}/annulation",
            axum::routing::post(crate::pages::cancellation::cancel_form),
        )
        .route("/espace/mes-seances", get(my_sessions))
        .route("/espace/mon-suivi", get(patient_space))
        .route("/espace/seances/{id}/feuille.pdf", get(care_sheet_pdf))
        .route("/espace/seances/{id}/decompte.pdf", get(statement_pdf))
        .route("/espace/mes-seances/releve.pdf", get(monthly_pdf))
}

/// How the audit log names a patient: `P-` and 12 hex digits of the SHA-256 of the NIR. An
/// auditor who knows a NIR finds its lines; the log itself holds none.
pub fn patient_ref(nir: &Nir) -> String {
    format!(
        "P-{}",
        &crate::pages::auth::sha256_hex(nir.as_str())[..12].to_uppercase()
    )
}

/// `12,50 €`.
pub fn euros(c: Cents) -> String {
    let sign = if c.0 < 0 { "-" } else { "" };
    format!("{sign}{},{:02} €", c.0.abs() / 100, c.0.abs() % 100)
}

pub fn date_fr(d: Date) -> String {
    d.strftime("%d/%m/%Y").to_string()
}

/// `2026-11-23` (what `<input type=date>` sends) or `23/11/2026`.
pub fn parse_date(text: &str) -> Option<Date> {
    let t = text.trim();
    if let Some(d) = dates::parse_iso(t) {
        return Some(d);
    }
    let mut parts = t.split('/');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

pub(crate) const UNKNOWN_PATIENT: &str = "Aucun assuré ne correspond à ce NIR et à cette date de naissance. Vérifiez-les sur la carte Vitale ou l’attestation de droits du patient.";

/// A session as typed in the form or sent to the API, not yet checked. Dates are `AAAA-MM-JJ`
/// or `JJ/MM/AAAA`; `acte` is EEP, APS or PSS; `contexte` maladie (default), ald, maternite or
/// atmp.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct SessionInput {
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
    pub adressage: Option<ReferralInput>,
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
pub struct ReferralInput {
    pub date: String,
    #[serde(default)]
    pub type_prescripteur: String,
    #[serde(default)]
    pub identifiant_prescripteur: String,
}

/// Who the patient is and when, checked at the edge.
#[derive(Debug, Clone)]
pub struct Identity {
    pub nir: Nir,
    pub birth: Date,
    pub session_date: Date,
}

/// A session ready for the engine.
#[derive(Debug, Clone)]
pub struct CheckedSession {
    pub who: Identity,
    pub act: Act,
    pub context: ClaimContext,
    pub tiers_payant: bool,
    pub consents: Consents,
    pub referral: Option<Referral>,
    /// Code of a letter issued in the system, to be looked up.
    pub letter_code: Option<String>,
}

impl SessionInput {
    fn from_form(f: &HashMap<String, String>) -> SessionInput {
        let v = |k: &str| f.get(k).cloned().unwrap_or_default();
        let on = |k: &str| f.get(k).is_some_and(|x| x == "1" || x == "on");
        let referral_date = v("adressage_date");
        SessionInput {
            nir: v("nir"),
            date_naissance: v("naissance"),
            date_seance: v("date"),
            acte: v("acte"),
            contexte: v("contexte"),
            tiers_payant: on("tiers_payant"),
            consentement: on("consentement"),
            consentement_parental: on("consentement_parental"),
            code_adressage: Some(v("code_adressage")).filter(|c| !c.trim().is_empty()),
            critere: Some(v("critere")).filter(|c| !c.trim().is_empty()),
            compte_rendu_medecin: on("compte_rendu_medecin"),
            adressage: (!referral_date.trim().is_empty()).then(|| ReferralInput {
                date: referral_date,
                type_prescripteur: v("adressage_type"),
                identifiant_prescripteur: v("adressage_id"),
            }),
        }
    }

    /// NIR, birth date and session date (today when empty); the French reason otherwise.
    pub fn identity(&self, today: Date) -> Result<Identity, String> {
        let nir = Nir::parse(&self.nir).map_err(|e| capitalize_first(&e.to_string()))?;
        let birth = parse_date(&self.date_naissance).ok_or(
            "Date de naissance invalide : attendue sous la forme JJ/MM/AAAA (ex. 14/07/1990).",
        )?;
        let session_date = if self.date_seance.trim().is_empty() {
            today
        } else {
            parse_date(&self.date_seance).ok_or(
                "Date de la séance invalide : attendue sous la forme JJ/MM/AAAA (ex. 23/11/2026).",
            )?
        };
        if session_date > today {
            return Err(format!(
                "La date de la séance ({}) est dans le futur : une séance s’enregistre le jour même ou après.",
                date_fr(session_date)
            ));
        }
        if birth > session_date {
            return Err("La date de naissance est postérieure à la date de la séance.".into());
        }
        Ok(Identity {
            nir,
            birth,
            session_date,
        })
    }

    /// Everything the engine needs; the French reason of the first problem otherwise.
    pub fn check(&self, today: Date) -> Result<CheckedSession, String> {
        let who = self.identity(today)?;
        let act = Act::parse(&self.acte.to_uppercase()).ok_or(
            "Acte invalide : EEP (entretien d’évaluation), APS (suivi au cabinet) ou PSS (suivi en visio).",
        )?;
        let context = if self.contexte.trim().is_empty() {
            ClaimContext::Maladie
        } else {
            ClaimContext::parse(&self.contexte)
                .ok_or("Contexte invalide : maladie, ald, maternite ou atmp.")?
        };
        if !self.consentement {
            return Err("Le consentement du patient à sa prise en charge dans le dispositif doit être recueilli et coché.".into());
        }
        let minor = dates::age_on(who.birth, who.session_date) < 18;
        if minor && !self.consentement_parental {
            return Err("Le patient est mineur : le consentement écrit des deux titulaires de l’autorité parentale doit être recueilli avant l’entretien d’évaluation, et coché.".into());
        }
        let inclusion = match self.critere.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(code) => {
                let c = InclusionCriterion::parse(code).ok_or(
                    "Critère d’inclusion invalide : anxiete, depression, tabac, alcool, cannabis, alimentaire ou souffrance_enfant.",
                )?;
                if !c.fits_age(dates::age_on(who.birth, who.session_date)) {
                    return Err(if minor {
                        format!(
                            "Critère d’inclusion « {} » : pour un patient de moins de 18 ans, choisissez « souffrance psychique qui inquiète l’entourage ».",
                            c.label_fr()
                        )
                    } else {
                        "Critère d’inclusion : « souffrance psychique qui inquiète l’entourage » est réservé aux patients de 3 à 17 ans.".into()
                    });
                }
                Some(c)
            }
        };
        let letter_code = self
            .code_adressage
            .as_deref()
            .filter(|c| !c.trim().is_empty())
            .map(crate::pages::referrals::parse_code)
            .transpose()?;
        let referral = match &self.adressage {
            _ if letter_code.is_some() => None,
            None => None,
            Some(r) => {
                let date = parse_date(&r.date).ok_or(
                    "Date du courrier d’adressage invalide : attendue sous la forme JJ/MM/AAAA.",
                )?;
                let kind = ReferrerKind::parse(&r.type_prescripteur).ok_or(
                    "Prescripteur du courrier d’adressage invalide : medecin ou sage_femme.",
                )?;
                let id = r.identifiant_prescripteur.trim();
                Some(Referral {
                    date,
                    referrer_id: (!id.is_empty()).then(|| id.to_owned()),
                    kind: Some(kind),
                })
            }
        };
        Ok(CheckedSession {
            who,
            act,
            context,
            tiers_payant: self.tiers_payant,
            consents: Consents {
                patient: true,
                parental: minor && self.consentement_parental,
                report_to_gp: self.compte_rendu_medecin,
                inclusion,
            },
            referral,
            letter_code,
        })
    }
}

fn capitalize_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// The beneficiary exists and was born on that date (blocking).
pub(crate) fn identity_matches(db: &mut Db, who: &Identity) -> Result<bool, StoreError> {
    Ok(claims::load_beneficiary(db, &who.nir)?.is_some_and(|b| b.birth_date == who.birth))
}

/// A new claim id for a session recorded on line: `EN-` and 20 hex digits.
fn new_claim_id() -> String {
    format!(
        "EN-{}",
        &crate::pages::auth::random_token()[..20].to_uppercase()
    )
}

/// What recording did.
pub enum Recorded {
    UnknownPatient,
    /// Refused before judging (referral letter unknown or for another patient).
    Refused(String),
    Done {
        claim_id: String,
        decision: Decision,
        before: YearStanding,
        after: YearStanding,
    },
}

/// Checks the identity, then judges and records the session, audited (blocking).
fn record_blocking(
    db: &mut Db,
    state: &AppState,
    user: &CurrentUser,
    rpps: Rpps,
    s: &CheckedSession,
) -> Result<Recorded, StoreError> {
    if !identity_matches(db, &s.who)? {
        return Ok(Recorded::UnknownPatient);
    }
    let mut referral = s.referral.clone();
    if let Some(code) = &s.letter_code {
        match pathway::letter_by_code(db, code)? {
            None => {
                return Ok(Recorded::Refused(
                    "Aucun courrier d’adressage ne porte ce code.".into(),
                ));
            }
            Some(l) if l.patient_nir != s.who.nir => {
                return Ok(Recorded::Refused(
                    "Ce courrier d’adressage a été émis pour un autre patient.".into(),
                ));
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
    let today = state.today();
    let amount = rules
        .regime_on(s.who.session_date)
        .map_or(Cents(0), |r| r.tariff(s.act));
    let claim = Claim {
        claim_id: new_claim_id(),
        received_date: today,
        rpps,
        nir: s.who.nir,
        session_date: s.who.session_date,
        act: s.act,
        amount,
        context: s.context,
        tiers_payant: s.tiers_payant,
        referral,
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
            s.consents,
        )?;
        let after = year_standing(tx, rules, &s.who.nir, s.who.session_date)?;
        audit_blocking(
            tx,
            user,
            "saisie",
            "patient",
            &patient_ref(&s.who.nir),
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
        Ok(Recorded::Done {
            claim_id: claim.claim_id.clone(),
            decision,
            before,
            after,
        })
    })
}

/// The psychologist's RPPS (from the accepted application), or a French refusal.
async fn psychologist_rpps(state: &AppState, user: &CurrentUser) -> Result<Rpps, Response> {
    user.require(&[Role::Psychologue])?;
    crate::pages::enrolment::own_rpps(state, user)
        .await?
        .ok_or_else(|| {
            refusal(
                Some(user),
                StatusCode::UNPROCESSABLE_ENTITY,
                "Séances",
                "Votre compte n’est rattaché à aucun RPPS : les séances se saisissent une fois votre candidature au conventionnement acceptée.",
            )
        })
}

// ------------------------------------------------------------------ views

fn standing_view(s: &YearStanding, on: Date) -> Markup {
    html! {
        div class="alert" role="status" {
            p {
                "En " (on.year()) ", tous psychologues confondus : "
                strong { (s.used) " séance(s) remboursée(s)" } ", "
                strong { (s.remaining) " restante(s)" } " à la date du " (date_fr(on)) "."
            }
            p {
                @if s.eep_due { "La prochaine séance de l’année doit être un entretien d’évaluation (EEP)." }
                @else { "L’entretien d’évaluation de l’année a déjà été fait : la prochaine séance est un suivi (APS au cabinet, PSS en visio)." }
            }
        }
    }
}

pub(crate) fn amo_payee_fr(p: AmoPayee) -> &'static str {
    match p {
        AmoPayee::Psychologue => "versée au psychologue (tiers payant)",
        AmoPayee::Assure => "remboursée au patient",
        AmoPayee::None => "—",
    }
}

pub(crate) fn complementary_fr(p: ComplementaryPayer, route: AmcRoute) -> String {
    let who = match p {
        ComplementaryPayer::C2s => "complémentaire santé solidaire (C2S)",
        ComplementaryPayer::Amc => "complémentaire du patient (mutuelle)",
        ComplementaryPayer::None => return "aucune".into(),
    };
    let how = match route {
        AmcRoute::TiersPayant => "versée au psychologue (tiers payant)",
        AmcRoute::Noemie => "transmise automatiquement par Noémie",
        AmcRoute::Decompte => "le patient envoie son décompte à sa complémentaire",
        AmcRoute::None => "—",
    };
    format!("{who} ; {how}")
}

/// The decision in plain French: reason, or rank, amounts and who pays what.
pub fn decision_view(d: &Decision) -> Markup {
    match d {
        Decision::Rejected(r) => html! {
            div class="alert" role="alert" {
                p { strong { "Séance refusée" } " (motif " code { (r.code()) } ")" }
                p { (r.explanation_fr()) }
            }
        },
        Decision::Accepted(p) => html! {
            div class="alert" role="status" {
                p { strong { "Séance acceptée" } " : " (p.rank) "ᵉ séance remboursée de l’année pour ce patient." }
            }
            table {
                caption { "Montants" }
                thead { tr { th scope="col" { "Part" } th scope="col" { "Montant" } th scope="col" { "Payée par / à" } } }
                tbody {
                    tr { td { "Tarif de la séance" } td { (euros(p.tariff)) } td { "sans dépassement" } }
                    tr { td { "Assurance maladie (AMO)" } td { (euros(p.amo)) } td { (amo_payee_fr(p.amo_payee)) } }
                    tr { td { "Ticket modérateur (complémentaire)" } td { (euros(p.complementary)) } td { (complementary_fr(p.complementary_payer, p.complementary_route)) } }
                    @if p.state.0 > 0 {
                        tr { td { "État (AME)" } td { (euros(p.state)) } td { "versée au psychologue (tiers payant)" } }
                    }
                    tr { td { "Reste à la charge du patient" } td { (euros(p.patient)) } td { "—" } }
                }
            }
        },
    }
}

fn field(f: &HashMap<String, String>, k: &str) -> String {
    f.get(k).cloned().unwrap_or_default()
}

fn session_form(user: &CurrentUser, f: &HashMap<String, String>, today: Date) -> Markup {
    let checked = |k: &str| f.get(k).is_some_and(|v| v == "1" || v == "on");
    let date = f
        .get("date")
        .filter(|d| !d.is_empty())
        .cloned()
        .unwrap_or_else(|| today.to_string());
    let act = field(f, "acte");
    let context = field(f, "contexte");
    html! {
        form method="post" action="/espace/seances" class="search" {
            input type="hidden" name="_csrf" value=(user.csrf);
            fieldset {
                legend { "Patient" }
                div class="field" {
                    label for="nir" { "NIR (numéro de sécurité sociale, 15 caractères)" }
                    input id="nir" name="nir" type="text" inputmode="numeric" autocomplete="off" required value=(field(f, "nir"));
                }
                div class="field" {
                    label for="naissance" { "Date de naissance" }
                    input id="naissance" name="naissance" type="date" required value=(field(f, "naissance"));
                }
                div class="field" {
                    label for="date" { "Date de la séance" }
                    input id="date" name="date" type="date" required max=(today.to_string()) value=(date);
                }
            }
            fieldset {
                legend { "Séance" }
                div class="field" {
                    label for="acte" { "Acte" }
                    select id="acte" name="acte" {
                        @for a in Act::ALL {
                            option value=(a.code()) selected[act == a.code()] { (a.code()) " – " (a.label_fr()) }
                        }
                    }
                }
                div class="field" {
                    label for="contexte" { "Contexte" }
                    select id="contexte" name="contexte" {
                        @for (code, label) in [("maladie", "Maladie"), ("ald", "Affection de longue durée (non psychiatrique)"), ("maternite", "Maternité (à partir du 6ᵉ mois)"), ("atmp", "Accident du travail / maladie professionnelle")] {
                            option value=(code) selected[context == code] { (label) }
                        }
                    }
                }
                div class="field" {
                    input id="tiers_payant" name="tiers_payant" type="checkbox" value="1" checked[checked("tiers_payant")];
                    label for="tiers_payant" { "J’applique le tiers payant sur la part de l’assurance maladie" }
                }
                div class="field" {
                    input id="consentement" name="consentement" type="checkbox" value="1" checked[checked("consentement")];
                    label for="consentement" { "Le patient consent à sa prise en charge dans le dispositif" }
                }
                div class="field" {
                    input id="consentement_parental" name="consentement_parental" type="checkbox" value="1" checked[checked("consentement_parental")];
                    label for="consentement_parental" { "Patient mineur : j’ai le consentement écrit des deux titulaires de l’autorité parentale" }
                }
                div class="field" {
                    label for="critere" { "Critère d’inclusion (votre évaluation, à l’entretien d’évaluation)" }
                    select id="critere" name="critere" {
                        option value="" { "— non renseigné —" }
                        @for c in InclusionCriterion::ALL {
                            option value=(c.code()) selected[field(f, "critere") == c.code()] { (c.label_fr()) }
                        }
                    }
                }
                div class="field" {
                    input id="compte_rendu_medecin" name="compte_rendu_medecin" type="checkbox" value="1" checked[checked("compte_rendu_medecin")];
                    label for="compte_rendu_medecin" { "Le patient accepte qu’un court compte rendu soit adressé à son médecin traitant" }
                }
            }
            fieldset {
                legend { "Courrier d’adressage (obligatoire pour un entretien d’évaluation avant le 15 juin 2024)" }
                div class="field" {
                    label for="code_adressage" { "Code de vérification d’un courrier émis en ligne" }
                    p id="code-aide" class="hint" { "Il remplace les champs ci-dessous." }
                    input id="code_adressage" name="code_adressage" type="text" autocomplete="off" aria-describedby="code-aide" value=(field(f, "code_adressage"));
                }
                div class="field" {
                    label for="adressage_date" { "Date du courrier" }
                    input id="adressage_date" name="adressage_date" type="date" value=(field(f, "adressage_date"));
                }
                div class="field" {
                    label for="adressage_type" { "Prescripteur" }
                    select id="adressage_type" name="adressage_type" {
                        option value="medecin" selected[field(f, "adressage_type") == "medecin"] { "Médecin" }
                        option value="sage_femme" selected[field(f, "adressage_type") == "sage_femme"] { "Sage-femme" }
                    }
                }
                div class="field" {
                    label for="adressage_id" { "Identifiant du prescripteur (RPPS)" }
                    input id="adressage_id" name="adressage_id" type="text" value=(field(f, "adressage_id"));
                }
            }
            div class="actions" {
                button type="submit" name="etape" value="verifier" class="button-secondary" { "Vérifier les droits de l’année" }
                button type="submit" name="etape" value="enregistrer" class="button" { "Enregistrer la séance" }
            }
        }
    }
}

fn form_response(
    user: &CurrentUser,
    status: StatusCode,
    f: &HashMap<String, String>,
    today: Date,
    before: Markup,
) -> Response {
    let body = html! {
        h1 { "Saisir une séance" }
        p { "La séance est jugée aussitôt, selon les règles en vigueur à sa date : vous voyez la décision, les montants et qui les paie." }
        (before)
        (session_form(user, f, today))
    };
    (status, layout(Some(user), "Saisir une séance", body)).into_response()
}

fn error_box(message: &str) -> Markup {
    html! { div class="alert" role="alert" { p { (message) } } }
}

// ------------------------------------------------------------------ handlers

/// `GET /espace/seances`.
async fn form_page(State(state): State<AppState>, user: CurrentUser) -> Response {
    if let Err(r) = psychologist_rpps(&state, &user).await {
        return r;
    }
    form_response(
        &user,
        StatusCode::OK,
        &HashMap::new(),
        state.today(),
        html! {},
    )
}

/// `POST /espace/seances`.
async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let rpps = match psychologist_rpps(&state, &user).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    if let Err(r) = user.check_form(&form) {
        return r;
    }
    let today = state.today();
    let input = SessionInput::from_form(&form);
    let bad = |m: &str| {
        form_response(
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            today,
            error_box(m),
        )
    };
    if form.get("etape").map(String::as_str) == Some("verifier") {
        let who = match input.identity(today) {
            Ok(w) => w,
            Err(m) => return bad(&m),
        };
        let (s, u) = (state.clone(), user.clone());
        let standing = blocking(&state, move |db| {
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
                "séances de l’année avant la saisie d’une séance",
            )?;
            Ok(Some((standing, who.session_date)))
        })
        .await;
        return match standing {
            Err(r) => r,
            Ok(None) => bad(UNKNOWN_PATIENT),
            Ok(Some((s, on))) => {
                form_response(&user, StatusCode::OK, &form, today, standing_view(&s, on))
            }
        };
    }
    let checked = match input.check(today) {
        Ok(c) => c,
        Err(m) => return bad(&m),
    };
    let (s, u) = (state.clone(), user.clone());
    match blocking(&state, move |db| {
        record_blocking(db, &s, &u, rpps, &checked)
    })
    .await
    {
        Err(r) => r,
        Ok(Recorded::UnknownPatient) => bad(UNKNOWN_PATIENT),
        Ok(Recorded::Refused(m)) => bad(&m),
        Ok(Recorded::Done { claim_id, .. }) => {
            Redirect::to(&format!("/espace/seances/{claim_id}")).into_response()
        }
    }
}

/// Whether `user` may read this session (and the patient's data on it).
pub(crate) async fn may_read(
    state: &AppState,
    user: &CurrentUser,
    line: &SessionLine,
) -> Result<(), Response> {
    user.require(&[Role::Psychologue, Role::AgentCpam, Role::Patient])?;
    if user.role() == Role::AgentCpam {
        return Ok(());
    }
    let nir = line.nir;
    let seen = if user.role() == Role::Patient {
        let id = user.account.id;
        blocking(state, move |db| pathway::patient_nir(db, id)).await? == Some(nir)
    } else {
        match crate::pages::enrolment::own_rpps(state, user).await? {
            Some(r) if r == line.rpps => true,
            Some(r) => blocking(state, move |db| pathway::has_seen(db, r, &nir)).await?,
            None => false,
        }
    };
    if seen {
        Ok(())
    } else {
        Err(refusal(
            Some(user),
            StatusCode::FORBIDDEN,
            "Accès refusé",
            "Seuls le patient, les psychologues qui l’ont reçu et les agents de CPAM peuvent consulter ses séances.",
        ))
    }
}

/// `GET /espace/seances/{id}`: one session and its decision.
async fn session_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = user.require(&[Role::Psychologue, Role::AgentCpam, Role::Patient]) {
        return r;
    }
    let key = id.clone();
    let line = match blocking(&state, move |db| pathway::get_session(db, &key)).await {
        Ok(Some(l)) => l,
        Ok(None) => {
            return refusal(
                Some(&user),
                StatusCode::NOT_FOUND,
                "Séance introuvable",
                "Aucune séance ne porte ce numéro.",
            );
        }
        Err(r) => return r,
    };
    if let Err(r) = may_read(&state, &user, &line).await {
        return r;
    }
    let (s, u, l) = (state.clone(), user.clone(), line.clone());
    let (standing, cancellation, recorder, attested) = match blocking(&state, move |db| {
        if u.role() != Role::Patient {
            audit_blocking(
                db,
                &u,
                "lecture",
                "patient",
                &patient_ref(&l.nir),
                &format!("séance {}", l.claim_id),
            )?;
        }
        Ok((
            year_standing(db, s.rules(), &l.nir, l.session_date)?,
            pathway::cancellation(db, &l.claim_id)?,
            pathway::recorded_by(db, &l.claim_id)?,
            pathway::attestations(db, &l.claim_id)?,
        ))
    })
    .await
    {
        Ok(s) => s,
        Err(r) => return r,
    };
    let body = html! {
        h1 { "Séance du " (date_fr(line.session_date)) }
        dl {
            dt { "Numéro" } dd { code { (line.claim_id) } }
            dt { "Patient" } dd { (line.nir.masked()) }
            dt { "Acte" } dd { (line.act.code()) " – " (line.act.label_fr()) }
            dt { "Contexte" } dd { (line.context.code()) }
            dt { "Tiers payant (AMO)" } dd { @if line.tiers_payant { "oui" } @else { "non" } }
            dt { "Reçue le" } dd { (date_fr(line.received_date)) }
        }
        (decision_view(&line.decision))
        @if let Some(a) = &attested {
            (attestations_view(a, &line, &standing, state.rules()))
        }
        (crate::pages::cancellation::section(&user, &line, cancellation.as_ref(), recorder))
        h2 { "Où en est le patient" }
        (standing_view(&standing, line.session_date))
        @if !line.cancelled {
            p {
                a href=(format!("/espace/seances/{}/feuille.pdf", line.claim_id)) { "Feuille de soins (PDF)" } " · "
                a href=(format!("/espace/seances/{}/decompte.pdf", line.claim_id)) { "Décompte du patient (PDF)" }
            }
        }
        @if user.role() == Role::Psychologue {
            p { a class="button" href="/espace/seances" { "Saisir une autre séance" } " " a href="/espace/mes-seances" { "Mes séances" } }
        }
    };
    layout(Some(&user), "Séance", body).into_response()
}

/// What the psychologist attested, and the report to the médecin traitant when it is due
/// (direct access, with the patient's agreement: after the EEP and after the last session).
fn attestations_view(
    a: &Consents,
    line: &SessionLine,
    standing: &YearStanding,
    rules: &msp_domain::Rules,
) -> Markup {
    let direct_access = rules
        .regime_on(line.session_date)
        .is_some_and(|r| !r.referral_required);
    let report_due = a.report_to_gp
        && direct_access
        && line.paid().is_some()
        && (line.act == Act::Eep || standing.remaining == 0);
    html! {
        dl {
            dt { "Critère d’inclusion" }
            dd { (a.inclusion.map_or("non renseigné", InclusionCriterion::label_fr)) }
            dt { "Compte rendu au médecin traitant" }
            dd { @if a.report_to_gp { "accepté par le patient" } @else { "non" } }
        }
        @if report_due {
            div class="alert" role="status" {
                p { "Accès direct : avec l’accord du patient, adressez un court compte rendu écrit à son médecin traitant "
                    @if line.act == Act::Eep { "après cet entretien d’évaluation." } @else { "après cette dernière séance de l’année." } }
            }
        }
    }
}

/// `GET /espace/mes-seances`: the psychologist's sessions this calendar year.
async fn my_sessions(State(state): State<AppState>, user: CurrentUser) -> Response {
    let rpps = match psychologist_rpps(&state, &user).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let today = state.today();
    let year = today.year();
    let u = user.clone();
    let lines = match blocking(&state, move |db| {
        let lines = pathway::sessions_of_psychologist(db, rpps, year)?;
        let patients: std::collections::BTreeSet<String> =
            lines.iter().map(|l| patient_ref(&l.nir)).collect();
        for p in patients {
            audit_blocking(
                db,
                &u,
                "lecture",
                "patient",
                &p,
                &format!("liste des séances {year} du psychologue"),
            )?;
        }
        Ok(lines)
    })
    .await
    {
        Ok(l) => l,
        Err(r) => return r,
    };
    let summary = YearSummary::of(&lines);
    let threshold = state.rules().remote_share_control_percent;
    let body = html! {
        h1 { "Mes séances " (year) }
        p {
            (summary.accepted) " séance(s) acceptée(s), " (summary.rejected) " refusée(s)"
            @if summary.cancelled > 0 { ", " (summary.cancelled) " annulée(s)" }
            ". "
            "Assurance maladie versée à vous (tiers payant) : " (euros(summary.amo_to_psychologist)) " ; "
            "complémentaires en tiers payant : " (euros(summary.complementary_to_psychologist)) " ; "
            "État (AME) : " (euros(summary.state)) "."
        }
        p { a href=(format!("/espace/mes-seances/releve.pdf?mois={}", today.strftime("%Y-%m"))) { "Relevé mensuel du mois en cours (PDF)" } }
        h2 { "Séances en visio" }
        p {
            (summary.remote) " séance(s) PSS sur " (summary.accepted) " acceptée(s), soit "
            strong { (format!("{:.1}", summary.remote_share_percent()).replace('.', ",")) " %" }
            " (repère : " (threshold) " % au plus)."
        }
        @if summary.remote_share_percent() > f64::from(threshold) {
            div class="alert" role="status" { p { "Votre part de séances en visio dépasse le repère de " (threshold) " % : c’est un point de contrôle pour la CPAM, jamais un motif de refus d’une séance." } }
        }
        @if lines.is_empty() {
            p { "Aucune séance enregistrée cette année." }
        } @else {
            table {
                caption { "Séances de " (year) }
                thead { tr {
                    th scope="col" { "Date" } th scope="col" { "Patient" } th scope="col" { "Acte" }
                    th scope="col" { "Décision" } th scope="col" { "AMO" } th scope="col" { "Complémentaire" }
                    th scope="col" { "Reste patient" }
                } }
                tbody {
                    @for l in &lines {
                        tr {
                            td { a href=(format!("/espace/seances/{}", l.claim_id)) { (date_fr(l.session_date)) } }
                            td { (l.nir.masked()) }
                            td { (l.act.code()) }
                            @match &l.decision {
                                Decision::Accepted(_) if l.cancelled => {
                                    td colspan="4" { "Annulée (saisie par erreur)" }
                                }
                                Decision::Accepted(p) => {
                                    td { "Acceptée (" (p.rank) "ᵉ de l’année)" }
                                    td { (euros(p.amo)) " " (amo_payee_fr(p.amo_payee)) }
                                    td { (euros(p.complementary)) }
                                    td { (euros(p.patient)) }
                                }
                                Decision::Rejected(r) => {
                                    td colspan="4" { "Refusée : " (r.explanation_fr()) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(Some(&user), "Mes séances", body).into_response()
}

/// `GET /espace/mon-suivi`: the patient's sessions this calendar year (every psychologist),
/// the sessions left, and who paid or reimburses what.
async fn patient_space(State(state): State<AppState>, user: CurrentUser) -> Response {
    if let Err(r) = user.require(&[Role::Patient]) {
        return r;
    }
    let today = state.today();
    let (id, s) = (user.account.id, state.clone());
    let found = match blocking(&state, move |db| {
        let Some(nir) = pathway::patient_nir(db, id)? else {
            return Ok(None);
        };
        let lines = pathway::sessions_of_patient(db, &nir, today.year())?;
        let mut names = HashMap::new();
        for l in &lines {
            if let std::collections::hash_map::Entry::Vacant(e) = names.entry(l.rpps) {
                e.insert(
                    pathway::psychologist_name(db, l.rpps)?
                        .unwrap_or_else(|| format!("RPPS {}", l.rpps)),
                );
            }
        }
        let standing = year_standing(db, s.rules(), &nir, today)?;
        Ok(Some((lines, names, standing)))
    })
    .await
    {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some((lines, names, standing)) = found else {
        return layout(
            Some(&user),
            "Mon suivi",
            html! { h1 { "Mon suivi" } p { "Votre compte n’est rattaché à aucun assuré : contactez votre caisse d’assurance maladie." } },
        )
        .into_response();
    };
    let to_me: i64 = lines
        .iter()
        .filter_map(SessionLine::paid)
        .filter(|p| p.amo_payee == AmoPayee::Assure)
        .map(|p| p.amo.0)
        .sum();
    let decompte: i64 = lines
        .iter()
        .filter_map(SessionLine::paid)
        .filter(|p| p.complementary_route == AmcRoute::Decompte)
        .map(|p| p.complementary.0)
        .sum();
    let body = html! {
        h1 { "Mon suivi " (today.year()) }
        (standing_view(&standing, today))
        p {
            "Remboursé sur votre compte par l’Assurance maladie : " strong { (euros(Cents(to_me))) } "."
            @if decompte > 0 {
                " À demander à votre complémentaire avec vos décomptes : " strong { (euros(Cents(decompte))) } "."
            }
        }
        @if lines.is_empty() {
            p { "Aucune séance cette année." }
        } @else {
            table {
                caption { "Mes séances de " (today.year()) }
                thead { tr {
                    th scope="col" { "Date" } th scope="col" { "Psychologue" } th scope="col" { "Séance" }
                    th scope="col" { "Décision" } th scope="col" { "Assurance maladie" }
                    th scope="col" { "Complémentaire" } th scope="col" { "Reste à ma charge" }
                } }
                tbody {
                    @for l in &lines {
                        tr {
                            td { a href=(format!("/espace/seances/{}", l.claim_id)) { (date_fr(l.session_date)) } }
                            td { (names.get(&l.rpps).cloned().unwrap_or_default()) }
                            td { (l.act.label_fr()) }
                            @match &l.decision {
                                Decision::Accepted(_) if l.cancelled => {
                                    td colspan="4" { "Annulée par votre psychologue ou la CPAM : ni comptée ni remboursée" }
                                }
                                Decision::Accepted(p) => {
                                    td { "Remboursée (" (p.rank) "ᵉ de l’année)" }
                                    td { (euros(p.amo)) ", " (amo_payee_fr(p.amo_payee)) }
                                    td { (euros(p.complementary)) ", " (complementary_fr(p.complementary_payer, p.complementary_route)) }
                                    td { (euros(p.patient)) }
                                }
                                Decision::Rejected(r) => {
                                    td colspan="4" { "Non remboursée : " (r.explanation_fr()) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(Some(&user), "Mon suivi", body).into_response()
}

/// A session, its psychologist's name and the patient's birth date, for the documents; after
/// the same checks as the session page, audited when the reader is not the patient.
async fn session_for_document(
    state: &AppState,
    user: &CurrentUser,
    id: String,
    what: &'static str,
) -> Result<(SessionLine, String, Option<Date>), Response> {
    user.require(&[Role::Psychologue, Role::AgentCpam, Role::Patient])?;
    let line = blocking(state, move |db| pathway::get_session(db, &id))
        .await?
        .ok_or_else(|| {
            refusal(
                Some(user),
                StatusCode::NOT_FOUND,
                "Séance introuvable",
                "Aucune séance ne porte ce numéro.",
            )
        })?;
    may_read(state, user, &line).await?;
    if line.cancelled {
        return Err(refusal(
            Some(user),
            StatusCode::CONFLICT,
            "Séance annulée",
            "Cette séance a été annulée : elle n’a ni feuille de soins ni décompte.",
        ));
    }
    let (u, l) = (user.clone(), line.clone());
    let (name, birth) = blocking(state, move |db| {
        if u.role() != Role::Patient {
            audit_blocking(
                db,
                &u,
                "telechargement",
                "patient",
                &patient_ref(&l.nir),
                &format!("{what} de la séance {}", l.claim_id),
            )?;
        }
        Ok((
            pathway::psychologist_name(db, l.rpps)?.unwrap_or_default(),
            claims::load_beneficiary(db, &l.nir)?.map(|b| b.birth_date),
        ))
    })
    .await?;
    Ok((line, name, birth))
}

fn pdf_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_owned(),
            ),
            (axum::http::header::CACHE_CONTROL, "no-store".to_owned()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn context_label(c: ClaimContext) -> &'static str {
    match c {
        ClaimContext::Maladie => "Maladie",
        ClaimContext::Ald => "Affection de longue durée (ALD)",
        ClaimContext::Maternite => "Maternité",
        ClaimContext::Atmp => "Accident du travail / maladie professionnelle",
    }
}

/// The care sheet of one session, with the fields of form S 3130.
pub fn care_sheet(l: &SessionLine, psychologist: &str, birth: Option<Date>) -> Vec<u8> {
    let mut p = crate::documents::pdf::Page::new();
    p.text(16.0, true, "Feuille de soins – Mon soutien psy")
        .text(
            10.0,
            false,
            "Champs du formulaire S 3130 (psychologue conventionné)",
        )
        .skip(6.0)
        .text(12.0, true, "Personne recevant les soins et assuré(e)")
        .text(
            11.0,
            false,
            format!("Numéro d’immatriculation (NIR) : {}", l.nir.as_str()),
        )
        .text(
            11.0,
            false,
            format!(
                "Date de naissance : {}",
                birth.map(date_fr).unwrap_or_else(|| "—".into())
            ),
        )
        .skip(6.0)
        .text(12.0, true, "Psychologue")
        .text(
            11.0,
            false,
            format!("Identification : {psychologist}, RPPS {}", l.rpps),
        )
        .skip(6.0)
        .text(12.0, true, "Conditions de prise en charge")
        .text(11.0, false, context_label(l.context));
    p.text(
        11.0,
        false,
        "Accès : dispositif Mon soutien psy (accès direct ou courrier d’adressage selon la date)",
    )
    .skip(6.0)
    .text(12.0, true, "Acte")
    .text(
        11.0,
        false,
        format!(
            "Date : {}   Code : {}   Montant des honoraires : {}",
            date_fr(l.session_date),
            l.act.code(),
            euros(l.amount)
        ),
    )
    .text(11.0, false, format!("Libellé : {}", l.act.label_fr()))
    .skip(6.0)
    .text(12.0, true, "Paiement")
    .text(
        11.0,
        false,
        format!(
            "L’assuré n’a pas payé la part obligatoire (tiers payant AMO) : {}",
            // As paid: the rules may impose the tiers payant whatever was asked.
            if l.paid()
                .map_or(l.tiers_payant, |p| p.amo_payee == AmoPayee::Psychologue)
            {
                "oui"
            } else {
                "non"
            }
        ),
    )
    .text(11.0, false, format!("Montant total : {}", euros(l.amount)))
    .text(
        11.0,
        false,
        format!(
            "Reçue le {} sous le numéro {}",
            date_fr(l.received_date),
            l.claim_id
        ),
    )
    .skip(24.0)
    .text(
        11.0,
        false,
        "Signature du psychologue :                    Signature de l’assuré(e) :",
    );
    p.render()
}

/// The patient's statement (décompte) of one session.
pub fn patient_statement(l: &SessionLine, psychologist: &str) -> Vec<u8> {
    let mut p = crate::documents::pdf::Page::new();
    p.text(16.0, true, "Décompte de remboursement – Mon soutien psy")
        .text(11.0, false, format!("Assuré(e) : NIR {}", l.nir.masked()))
        .text(
            11.0,
            false,
            format!(
                "Séance du {} avec {psychologist} (RPPS {}) : {} ({})",
                date_fr(l.session_date),
                l.rpps,
                l.act.label_fr(),
                l.act.code()
            ),
        )
        .skip(6.0);
    match &l.decision {
        Decision::Rejected(r) => {
            p.text(
                12.0,
                true,
                format!("Séance non remboursée (motif {})", r.code()),
            )
            .text(10.0, false, r.explanation_fr());
        }
        Decision::Accepted(pay) => {
            p.text(
                12.0,
                true,
                format!("Séance remboursée : {}ᵉ séance de l’année", pay.rank),
            )
            .text(11.0, false, format!("Tarif : {}", euros(pay.tariff)))
            .text(
                11.0,
                false,
                format!(
                    "Assurance maladie : {} ({})",
                    euros(pay.amo),
                    amo_payee_fr(pay.amo_payee)
                ),
            )
            .text(
                11.0,
                false,
                format!(
                    "Complémentaire : {} ({})",
                    euros(pay.complementary),
                    complementary_fr(pay.complementary_payer, pay.complementary_route)
                ),
            );
            if pay.state.0 > 0 {
                p.text(11.0, false, format!("État (AME) : {}", euros(pay.state)));
            }
            p.text(
                11.0,
                false,
                format!("Reste à votre charge : {}", euros(pay.patient)),
            );
            if pay.complementary_route == AmcRoute::Decompte {
                p.skip(6.0).text(
                    11.0,
                    true,
                    "Envoyez ce décompte à votre complémentaire pour le remboursement du ticket modérateur.",
                );
            }
        }
    }
    p.render()
}

async fn care_sheet_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Response {
    match session_for_document(&state, &user, id, "feuille de soins").await {
        Ok((l, name, birth)) => pdf_response(
            &format!("feuille-de-soins-{}.pdf", l.claim_id),
            care_sheet(&l, &name, birth),
        ),
        Err(r) => r,
    }
}

async fn statement_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Response {
    match session_for_document(&state, &user, id, "décompte").await {
        Ok((l, name, _)) => pdf_response(
            &format!("decompte-{}.pdf", l.claim_id),
            patient_statement(&l, &name),
        ),
        Err(r) => r,
    }
}

/// `GET /espace/mes-seances/releve.pdf?mois=AAAA-MM` (default: this month).
async fn monthly_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let rpps = match psychologist_rpps(&state, &user).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let today = state.today();
    let month = match q.get("mois").map(String::as_str).filter(|m| !m.is_empty()) {
        None => today.first_of_month(),
        Some(m) => match dates::parse_iso(&format!("{m}-01")) {
            Some(d) => d,
            None => {
                return refusal(
                    Some(&user),
                    StatusCode::BAD_REQUEST,
                    "Mois invalide",
                    "Mois attendu sous la forme AAAA-MM (ex. 2026-11).",
                );
            }
        },
    };
    let u = user.clone();
    let data = blocking(&state, move |db| {
        let lines: Vec<SessionLine> = pathway::sessions_of_psychologist(db, rpps, month.year())?
            .into_iter()
            .filter(|l| l.session_date.month() == month.month())
            .collect();
        let patients: std::collections::BTreeSet<String> =
            lines.iter().map(|l| patient_ref(&l.nir)).collect();
        for p in patients {
            audit_blocking(
                db,
                &u,
                "lecture",
                "patient",
                &p,
                "relevé mensuel du psychologue",
            )?;
        }
        Ok((
            lines,
            pathway::psychologist_name(db, rpps)?.unwrap_or_default(),
        ))
    })
    .await;
    let (lines, name) = match data {
        Ok(d) => d,
        Err(r) => return r,
    };
    pdf_response(
        &format!("releve-{}.pdf", month.strftime("%Y-%m")),
        monthly_statement(&lines, &name, rpps, month),
    )
}

/// What was paid to the psychologist for the sessions of a month.
pub fn monthly_statement(lines: &[SessionLine], name: &str, rpps: Rpps, month: Date) -> Vec<u8> {
    let s = YearSummary::of(lines);
    let mut p = crate::documents::pdf::Page::new();
    p.text(16.0, true, "Relevé mensuel – Mon soutien psy")
        .text(11.0, false, format!("{name}, RPPS {rpps}"))
        .text(
            11.0,
            false,
            format!("Séances du mois : {}", month.strftime("%m/%Y")),
        )
        .skip(6.0)
        .at(56.0, 10.0, true, "Date")
        .at(120.0, 10.0, true, "Patient")
        .at(230.0, 10.0, true, "Acte")
        .at(280.0, 10.0, true, "Décision")
        .at(400.0, 10.0, true, "Versé au psychologue")
        .skip(16.0);
    for l in lines {
        let (decision, paid) = match &l.decision {
            Decision::Accepted(_) if l.cancelled => ("annulée".to_owned(), "—".to_owned()),
            Decision::Accepted(pay) => {
                let mut paid = pay.state.0;
                if pay.amo_payee == AmoPayee::Psychologue {
                    paid += pay.amo.0;
                }
                if pay.complementary_route == AmcRoute::TiersPayant {
                    paid += pay.complementary.0;
                }
                (format!("acceptée ({}ᵉ)", pay.rank), euros(Cents(paid)))
            }
            Decision::Rejected(r) => (format!("rejetée {}", r.code()), "—".into()),
        };
        p.at(56.0, 10.0, false, date_fr(l.session_date))
            .at(120.0, 10.0, false, l.nir.masked())
            .at(230.0, 10.0, false, l.act.code())
            .at(280.0, 10.0, false, decision)
            .at(400.0, 10.0, false, paid)
            .skip(16.0);
    }
    let total = s.amo_to_psychologist.0 + s.complementary_to_psychologist.0 + s.state.0;
    p.skip(8.0)
        .text(
            11.0,
            false,
            format!("{} séance(s) acceptée(s), {} rejetée(s)", s.accepted, s.rejected),
        )
        .text(
            11.0,
            false,
            format!(
                "Assurance maladie (tiers payant) : {} ; complémentaires (tiers payant) : {} ; État (AME) : {}",
                euros(s.amo_to_psychologist),
                euros(s.complementary_to_psychologist),
                euros(s.state)
            ),
        )
        .text(12.0, true, format!("Total versé au psychologue : {}", euros(Cents(total))));
    p.render()
}

/// Totals of a psychologist's year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct YearSummary {
    pub accepted: u32,
    /// Accepted, then cancelled: neither counted nor paid.
    pub cancelled: u32,
    pub rejected: u32,
    pub remote: u32,
    pub amo_to_psychologist: Cents,
    pub complementary_to_psychologist: Cents,
    pub state: Cents,
}

impl YearSummary {
    pub fn of(lines: &[SessionLine]) -> YearSummary {
        let mut s = YearSummary::default();
        for l in lines {
            match &l.decision {
                Decision::Rejected(_) => s.rejected += 1,
                Decision::Accepted(_) if l.cancelled => s.cancelled += 1,
                Decision::Accepted(p) => {
                    s.accepted += 1;
                    if l.act.is_remote() {
                        s.remote += 1;
                    }
                    if p.amo_payee == AmoPayee::Psychologue {
                        s.amo_to_psychologist = Cents(s.amo_to_psychologist.0 + p.amo.0);
                    }
                    if p.complementary_route == AmcRoute::TiersPayant {
                        s.complementary_to_psychologist =
                            Cents(s.complementary_to_psychologist.0 + p.complementary.0);
                    }
                    s.state = Cents(s.state.0 + p.state.0);
                }
            }
        }
        s
    }

    /// Share of accepted sessions held by video, in percent (0 without sessions).
    pub fn remote_share_percent(&self) -> f64 {
        if self.accepted == 0 {
            0.0
        } else {
            f64::from(self.remote) * 100.0 / f64::from(self.accepted)
        }
    }
}

// ------------------------------------------------------------------ JSON

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiProblem {
    pub code: &'static str,
    pub message: String,
}

/// 415 unless the body is declared `application/json`: a cross-site form cannot send that
/// content type, which is what protects the cookie-authenticated JSON API from CSRF.
pub(crate) fn require_json(headers: &axum::http::HeaderMap) -> Result<(), Response> {
    let json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        Ok(())
    } else {
        Err(api_problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "type_invalide",
            "Le corps de la requête doit être du JSON (Content-Type: application/json).",
        ))
    }
}

pub(crate) fn api_problem(
    status: StatusCode,
    code: &'static str,
    message: impl Into<String>,
) -> Response {
    // Rendered as application/problem+json by the error middleware (temporary shim).
    crate::error::AppError::from(crate::error::Problem::new(status, code, message)).into_response()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StandingJson {
    pub annee: i16,
    pub utilisees: u32,
    pub restantes: u32,
    pub eep_due: bool,
}

pub(crate) fn standing_json(s: &YearStanding, on: Date) -> StandingJson {
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

/// `POST /api/seances`: records a session for the signed-in psychologist (session cookie; the
/// body must be `application/json`, which a cross-site form cannot send). Answers 201 with the
/// decision, 401/403/422 with `{code, message}` in French.
#[utoipa::path(
    post,
    path = "/api/seances",
    tag = "seances",
    request_body = SessionInput,
    security(("session" = [])),
    responses(
        (status = 201, description = "Séance enregistrée et jugée aussitôt (acceptée ou refusée, avec le motif en français) ; séances de l’année avant et après", body = RecordedJson),
        (status = 401, description = "Pas de session ouverte", body = ApiProblem),
        (status = 403, description = "Compte qui n’est pas celui d’un psychologue conventionné", body = ApiProblem),
        (status = 415, description = "Corps qui n’est pas du JSON", body = ApiProblem),
        (status = 422, description = "Saisie invalide (NIR, dates, acte, consentements) ou assuré inconnu pour ce NIR et cette date de naissance : rien n’est enregistré", body = ApiProblem),
    )
)]
pub async fn api_record(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let Some(user) = user else {
        return api_problem(
            StatusCode::UNAUTHORIZED,
            "non_authentifie",
            "Connectez-vous avec un compte de psychologue.",
        );
    };
    if user.role() != Role::Psychologue {
        return api_problem(
            StatusCode::FORBIDDEN,
            "acces_refuse",
            "Seuls les psychologues enregistrent des séances.",
        );
    }
    if let Err(r) = require_json(&headers) {
        return r;
    }
    let rpps = match crate::pages::enrolment::own_rpps(&state, &user).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return api_problem(
                StatusCode::FORBIDDEN,
                "sans_rpps",
                "Votre compte n’est rattaché à aucun RPPS : candidature au conventionnement non acceptée.",
            );
        }
        Err(_) => {
            return api_problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "erreur_interne",
                "Une erreur interne est survenue.",
            );
        }
    };
    let input: SessionInput = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(e) => {
            return api_problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "json_invalide",
                format!("Corps JSON illisible : {e}."),
            );
        }
    };
    let checked = match input.check(state.today()) {
        Ok(c) => c,
        Err(m) => return api_problem(StatusCode::UNPROCESSABLE_ENTITY, "seance_invalide", m),
    };
    let on = checked.who.session_date;
    let (s, u) = (state.clone(), user.clone());
    match blocking(&state, move |db| {
        record_blocking(db, &s, &u, rpps, &checked)
    })
    .await
    {
        Err(_) => api_problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "erreur_interne",
            "Une erreur interne est survenue. Réessayez dans quelques instants.",
        ),
        Ok(Recorded::UnknownPatient) => api_problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "assure_inconnu",
            UNKNOWN_PATIENT,
        ),
        Ok(Recorded::Refused(m)) => {
            api_problem(StatusCode::UNPROCESSABLE_ENTITY, "adressage_invalide", m)
        }
        Ok(Recorded::Done {
            claim_id,
            decision,
            before,
            after,
        }) => {
            let p = decision.payment();
            let out = RecordedJson {
                id: claim_id,
                statut: if decision.is_accepted() {
                    "acceptee"
                } else {
                    "refusee"
                },
                motif: decision.reason().map(|r| ReasonJson {
                    code: r.code(),
                    explication: r.explanation_fr(),
                }),
                rang: p.map(|p| p.rank),
                montants: p.map(|p| AmountsJson {
                    tarif_centimes: p.tariff.0,
                    amo_centimes: p.amo.0,
                    amo_versee_a: p.amo_payee.code(),
                    complementaire_centimes: p.complementary.0,
                    complementaire_payeur: p.complementary_payer.code(),
                    complementaire_voie: p.complementary_route.code(),
                    etat_centimes: p.state.0,
                    patient_centimes: p.patient.0,
                }),
                avant: standing_json(&before, on),
                apres: standing_json(&after, on),
            };
            (StatusCode::CREATED, axum::Json(out)).into_response()
        }
    }
}
