//! A session as a psychologist types it (form or JSON), checked before the engine judges it,
//! and the totals of a psychologist's year.
//!
//! The checks are the programme's conditions that the engine does not see: the patient's
//! consent, the written consent of both holders of parental authority for a minor, the
//! inclusion criterion fitting the patient's age (SPEC §5). Every problem of an input is
//! reported at once, each with the field it is about (named as the JSON API names it) and a
//! French message saying what to fix.

use crate::dates::{self, Date};
use crate::{
    Act, AmcRoute, AmoPayee, Cents, ClaimContext, Decision, InclusionCriterion, Nir, Referral,
    ReferrerKind,
};

/// The referral letter a session refers to, as typed; `type_prescripteur` is `medecin` or
/// `sage_femme`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferralInput {
    pub date: String,
    pub type_prescripteur: String,
    pub identifiant_prescripteur: String,
}

/// A session as typed, not yet checked. Dates are `AAAA-MM-JJ` or `JJ/MM/AAAA`; `acte` is EEP,
/// APS or PSS; `contexte` maladie (default), ald, maternite or atmp.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionInput {
    pub nir: String,
    pub date_naissance: String,
    /// Empty: today when checking rights ([`SessionInput::identity`]); required to record
    /// a session ([`SessionInput::check`]): a date left empty is not guessed.
    pub date_seance: String,
    pub acte: String,
    pub contexte: String,
    pub tiers_payant: bool,
    pub consentement: bool,
    pub consentement_parental: bool,
    pub adressage: Option<ReferralInput>,
    /// Verification code of a letter issued in the system; takes the place of `adressage`.
    pub code_adressage: Option<String>,
    /// Inclusion criterion code (`anxiete`, …, `souffrance_enfant`).
    pub critere: Option<String>,
    pub compte_rendu_medecin: bool,
}

/// One problem of an input: the field (as the JSON API names it) and what to fix, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub field: &'static str,
    pub message: String,
}

impl InputError {
    fn new(field: &'static str, message: impl Into<String>) -> InputError {
        InputError {
            field,
            message: message.into(),
        }
    }
}

/// Who the patient is and on which date, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub nir: Nir,
    pub birth: Date,
    pub session_date: Date,
}

/// What the psychologist attests with the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attestations {
    /// The patient's consent to care in the programme (always true once checked).
    pub patient: bool,
    /// A minor: consent of both holders of parental authority.
    pub parental: bool,
    /// The patient agrees to a short report to their médecin traitant.
    pub report_to_gp: bool,
    pub inclusion: Option<InclusionCriterion>,
}

/// A session ready for the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedSession {
    pub who: Identity,
    pub act: Act,
    pub context: ClaimContext,
    pub tiers_payant: bool,
    pub attestations: Attestations,
    /// A letter typed by hand (`None` when a code was given).
    pub referral: Option<Referral>,
    /// Canonical code of a letter issued in the system, to be looked up.
    pub letter_code: Option<String>,
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

/// Letters of a referral letter's verification code: no 0, 1, I, L, O.
pub const LETTER_CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Length of a verification code (printed `ABCD-EFGH`).
pub const LETTER_CODE_LEN: usize = 8;

/// The canonical verification code from what was typed (case, spaces and dashes ignored).
pub fn parse_letter_code(typed: &str) -> Result<String, String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect();
    if code.len() == LETTER_CODE_LEN && code.bytes().all(|b| LETTER_CODE_ALPHABET.contains(&b)) {
        Ok(code)
    } else {
        Err(format!(
            "Code de vérification invalide : {LETTER_CODE_LEN} caractères, chiffres de 2 à 9 et lettres sauf I, L et O (ex. K7QM-4TXZ)."
        ))
    }
}

fn date_fr(d: Date) -> String {
    d.strftime("%d/%m/%Y").to_string()
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

impl SessionInput {
    /// NIR, birth date and session date (today when empty); every problem otherwise.
    pub fn identity(&self, today: Date) -> Result<Identity, Vec<InputError>> {
        let mut errors = Vec::new();
        let nir = Nir::parse(&self.nir)
            .map_err(|e| errors.push(InputError::new("nir", capitalized(&e.to_string()))))
            .ok();
        let birth = parse_date(&self.date_naissance);
        if birth.is_none() {
            errors.push(InputError::new(
                "date_naissance",
                if self.date_naissance.trim().is_empty() {
                    "Date de naissance manquante : indiquez-la sous la forme JJ/MM/AAAA (ex. 14/07/1990)."
                } else {
                    "Date de naissance invalide : attendue sous la forme JJ/MM/AAAA (ex. 14/07/1990)."
                },
            ));
        }
        let session_date = if self.date_seance.trim().is_empty() {
            Some(today)
        } else {
            parse_date(&self.date_seance)
        };
        match session_date {
            None => errors.push(InputError::new(
                "date_seance",
                "Date de la séance invalide : attendue sous la forme JJ/MM/AAAA (ex. 23/11/2026).",
            )),
            Some(d) if d > today => errors.push(InputError::new(
                "date_seance",
                format!(
                    "La date de la séance ({}) est dans le futur : une séance s’enregistre le jour même ou après.",
                    date_fr(d)
                ),
            )),
            Some(d) if birth.is_some_and(|b| b > d) => errors.push(InputError::new(
                "date_naissance",
                "La date de naissance est postérieure à la date de la séance.",
            )),
            Some(_) => {}
        }
        match (nir, birth, session_date) {
            (Some(nir), Some(birth), Some(session_date)) if errors.is_empty() => Ok(Identity {
                nir,
                birth,
                session_date,
            }),
            _ => Err(errors),
        }
    }

    /// Everything the engine needs; every problem of the input otherwise, in the order of the
    /// form.
    pub fn check(&self, today: Date) -> Result<CheckedSession, Vec<InputError>> {
        let (mut who, mut errors) = match self.identity(today) {
            Ok(who) => (Some(who), Vec::new()),
            Err(errors) => (None, errors),
        };
        if self.date_seance.trim().is_empty() {
            who = None;
            let at = errors
                .iter()
                .position(|e| e.field != "nir" && e.field != "date_naissance")
                .unwrap_or(errors.len());
            errors.insert(
                at,
                InputError::new(
                    "date_seance",
                    "Date de la séance manquante : indiquez le jour de la séance (JJ/MM/AAAA).",
                ),
            );
        }
        let act = Act::parse(&self.acte.trim().to_uppercase());
        if act.is_none() {
            errors.push(InputError::new(
                "acte",
                "Acte invalide : EEP (entretien d’évaluation), APS (suivi au cabinet) ou PSS (suivi en visio).",
            ));
        }
        let context = if self.contexte.trim().is_empty() {
            Some(ClaimContext::Maladie)
        } else {
            ClaimContext::parse(self.contexte.trim())
        };
        if context.is_none() {
            errors.push(InputError::new(
                "contexte",
                "Contexte invalide : maladie, ald, maternite ou atmp.",
            ));
        }
        if !self.consentement {
            errors.push(InputError::new(
                "consentement",
                "Le consentement du patient à sa prise en charge dans le dispositif doit être recueilli et coché.",
            ));
        }
        // The age-bound checks need the dates; without them, the date errors say enough.
        let age = who.as_ref().map(|w| dates::age_on(w.birth, w.session_date));
        let minor = age.is_some_and(|a| a < 18);
        if minor && !self.consentement_parental {
            errors.push(InputError::new(
                "consentement_parental",
                "Le patient est mineur : le consentement écrit des deux titulaires de l’autorité parentale doit être recueilli avant l’entretien d’évaluation, et coché.",
            ));
        }
        let inclusion = match self.critere.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(code) => match InclusionCriterion::parse(code) {
                None => {
                    errors.push(InputError::new(
                        "critere",
                        "Critère d’inclusion invalide : anxiete, depression, tabac, alcool, cannabis, alimentaire ou souffrance_enfant.",
                    ));
                    None
                }
                Some(c) => {
                    if let Some(age) = age.filter(|a| !c.fits_age(*a)) {
                        errors.push(InputError::new(
                            "critere",
                            if age < 18 {
                                format!(
                                    "Critère d’inclusion « {} » : pour un patient de moins de 18 ans, choisissez « souffrance psychique qui inquiète l’entourage ».",
                                    c.label_fr()
                                )
                            } else {
                                "Critère d’inclusion : « souffrance psychique qui inquiète l’entourage » est réservé aux patients de 3 à 17 ans.".into()
                            },
                        ));
                    }
                    Some(c)
                }
            },
        };
        let letter_code = match self.code_adressage.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(typed) => parse_letter_code(typed)
                .map_err(|m| errors.push(InputError::new("code_adressage", m)))
                .ok(),
        };
        let referral = match &self.adressage {
            _ if self
                .code_adressage
                .as_deref()
                .is_some_and(|c| !c.trim().is_empty()) =>
            {
                None
            }
            None => None,
            Some(r) => {
                let date = parse_date(&r.date);
                if date.is_none() {
                    errors.push(InputError::new(
                        "adressage.date",
                        "Date du courrier d’adressage invalide : attendue sous la forme JJ/MM/AAAA.",
                    ));
                }
                let kind = ReferrerKind::parse(r.type_prescripteur.trim());
                if kind.is_none() {
                    errors.push(InputError::new(
                        "adressage.type_prescripteur",
                        "Prescripteur du courrier d’adressage invalide : medecin ou sage_femme.",
                    ));
                }
                let id = r.identifiant_prescripteur.trim();
                date.map(|date| Referral {
                    date,
                    referrer_id: (!id.is_empty()).then(|| id.to_owned()),
                    kind,
                })
            }
        };
        match (who, act, context) {
            (Some(who), Some(act), Some(context)) if errors.is_empty() => Ok(CheckedSession {
                who,
                act,
                context,
                tiers_payant: self.tiers_payant,
                attestations: Attestations {
                    patient: true,
                    parental: minor && self.consentement_parental,
                    report_to_gp: self.compte_rendu_medecin,
                    inclusion,
                },
                referral,
                letter_code,
            }),
            _ => Err(errors),
        }
    }
}

/// Totals of a psychologist's sessions (a year, a month).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct YearSummary {
    /// Accepted and not cancelled.
    pub accepted: u32,
    /// Accepted, then cancelled: neither counted nor paid.
    pub cancelled: u32,
    pub rejected: u32,
    /// Accepted (not cancelled) by video.
    pub remote: u32,
    /// AMO paid to the psychologist (tiers payant).
    pub amo_to_psychologist: Cents,
    /// Complementaries paid to the psychologist (tiers payant).
    pub complementary_to_psychologist: Cents,
    /// The State (AME), always paid to the psychologist.
    pub state: Cents,
}

impl YearSummary {
    /// The totals of sessions given as (decision, act, cancelled).
    pub fn of<'a>(sessions: impl IntoIterator<Item = (&'a Decision, Act, bool)>) -> YearSummary {
        let mut s = YearSummary::default();
        for (decision, act, cancelled) in sessions {
            s.add(decision, act, cancelled);
        }
        s
    }

    /// Counts one more session.
    pub fn add(&mut self, decision: &Decision, act: Act, cancelled: bool) {
        match decision {
            Decision::Rejected(_) => self.rejected += 1,
            Decision::Accepted(_) if cancelled => self.cancelled += 1,
            Decision::Accepted(p) => {
                self.accepted += 1;
                if act.is_remote() {
                    self.remote += 1;
                }
                if p.amo_payee == AmoPayee::Psychologue {
                    self.amo_to_psychologist = Cents(self.amo_to_psychologist.0 + p.amo.0);
                }
                if p.complementary_route == AmcRoute::TiersPayant {
                    self.complementary_to_psychologist =
                        Cents(self.complementary_to_psychologist.0 + p.complementary.0);
                }
                self.state = Cents(self.state.0 + p.state.0);
            }
        }
    }

    /// What was paid to the psychologist in all.
    pub fn paid_to_psychologist(&self) -> Cents {
        Cents(self.amo_to_psychologist.0 + self.complementary_to_psychologist.0 + self.state.0)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ComplementaryPayer, Payment, Reason};

    const TODAY: (i16, i8, i8) = (2026, 11, 23);

    fn today() -> Date {
        Date::new(TODAY.0, TODAY.1, TODAY.2).unwrap()
    }

    fn adult() -> SessionInput {
        SessionInput {
            nir: crate::fixtures::nir(1).as_str().to_owned(),
            date_naissance: "14/07/1990".into(),
            date_seance: "2026-11-20".into(),
            acte: "eep".into(),
            consentement: true,
            ..SessionInput::default()
        }
    }

    fn fields(e: &[InputError]) -> Vec<&'static str> {
        e.iter().map(|e| e.field).collect()
    }

    #[test]
    fn dates_read_in_both_forms() {
        assert_eq!(parse_date("2026-11-23"), Some(today()));
        assert_eq!(parse_date(" 23/11/2026 "), Some(today()));
        assert_eq!(parse_date("31/02/2026"), None);
        assert_eq!(parse_date("23/11/26"), None);
        assert_eq!(parse_letter_code("k7qm 4txz").as_deref(), Ok("K7QM4TXZ"));
        assert!(parse_letter_code("K7QM-4TX0").is_err());
    }

    #[test]
    fn an_adult_session_is_checked_with_its_attestations() {
        let c = adult().check(today()).unwrap();
        assert_eq!(c.act, Act::Eep);
        assert_eq!(c.context, ClaimContext::Maladie);
        assert_eq!(c.who.session_date, Date::new(2026, 11, 20).unwrap());
        assert_eq!(
            c.attestations,
            Attestations {
                patient: true,
                ..Attestations::default()
            }
        );
        // An empty session date is today when checking rights, and missing when recording.
        let empty = SessionInput {
            date_seance: " ".into(),
            ..adult()
        };
        assert_eq!(empty.identity(today()).unwrap().session_date, today());
        let e = empty.check(today()).unwrap_err();
        assert_eq!(fields(&e), vec!["date_seance"]);
        assert!(e[0].message.contains("manquante"), "{}", e[0].message);
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_field() {
        let e = SessionInput {
            nir: "206127511100563".into(),
            date_seance: "2026-11-24".into(),
            acte: "XYZ".into(),
            contexte: "vacances".into(),
            consentement: false,
            ..adult()
        }
        .check(today())
        .unwrap_err();
        assert_eq!(
            fields(&e),
            ["nir", "date_seance", "acte", "contexte", "consentement"]
        );
        assert!(e[0].message.starts_with("NIR invalide"), "{e:?}");
        assert!(e[1].message.contains("dans le futur"));
        let e = SessionInput {
            date_naissance: "2026-11-21".into(),
            ..adult()
        }
        .identity(today())
        .unwrap_err();
        assert_eq!(fields(&e), ["date_naissance"]);
        assert!(e[0].message.contains("postérieure"));
    }

    #[test]
    fn a_minor_needs_parental_consent_and_the_childrens_criterion() {
        let child = SessionInput {
            date_naissance: "2015-03-01".into(),
            critere: Some("anxiete".into()),
            ..adult()
        };
        let e = child.check(today()).unwrap_err();
        assert_eq!(fields(&e), ["consentement_parental", "critere"]);
        assert!(e[0].message.contains("autorité parentale"));
        assert!(e[1].message.contains("moins de 18 ans"));
        let ok = SessionInput {
            consentement_parental: true,
            critere: Some("souffrance_enfant".into()),
            ..child.clone()
        }
        .check(today())
        .unwrap();
        assert!(ok.attestations.parental);
        assert_eq!(
            ok.attestations.inclusion,
            Some(InclusionCriterion::ChildDistress)
        );
        // 18 on the session date is an adult: no parental consent, no children's criterion.
        let e = SessionInput {
            date_naissance: "2008-11-20".into(),
            critere: Some("souffrance_enfant".into()),
            ..adult()
        }
        .check(today())
        .unwrap_err();
        assert_eq!(fields(&e), ["critere"]);
        assert!(e[0].message.contains("réservé aux patients de 3 à 17 ans"));
        // An adult's parental box is not recorded as a parental consent.
        let c = SessionInput {
            consentement_parental: true,
            ..adult()
        }
        .check(today())
        .unwrap();
        assert!(!c.attestations.parental);
    }

    #[test]
    fn a_letter_is_typed_or_referred_to_by_code() {
        let typed = SessionInput {
            adressage: Some(ReferralInput {
                date: "02/11/2026".into(),
                type_prescripteur: "medecin".into(),
                identifiant_prescripteur: " 10000000011 ".into(),
            }),
            ..adult()
        };
        let r = typed.check(today()).unwrap().referral.unwrap();
        assert_eq!(r.kind, Some(ReferrerKind::Medecin));
        assert_eq!(r.referrer_id.as_deref(), Some("10000000011"));
        let coded = SessionInput {
            code_adressage: Some("k7qm-4txz".into()),
            ..typed.clone()
        }
        .check(today())
        .unwrap();
        assert_eq!(coded.referral, None);
        assert_eq!(coded.letter_code.as_deref(), Some("K7QM4TXZ"));
        let e = SessionInput {
            adressage: Some(ReferralInput {
                date: "hier".into(),
                type_prescripteur: "infirmier".into(),
                ..ReferralInput::default()
            }),
            ..adult()
        }
        .check(today())
        .unwrap_err();
        assert_eq!(
            fields(&e),
            ["adressage.date", "adressage.type_prescripteur"]
        );
    }

    fn paid(amo_payee: AmoPayee, route: AmcRoute, state: i64) -> Decision {
        Decision::Accepted(Payment {
            rank: 1,
            tariff: Cents(5000),
            amo: Cents(3000),
            amo_payee,
            complementary: Cents(2000),
            complementary_payer: ComplementaryPayer::Amc,
            complementary_route: route,
            state: Cents(state),
            patient: Cents(0),
        })
    }

    #[test]
    fn year_totals_count_what_is_paid_to_the_psychologist() {
        let tp = paid(AmoPayee::Psychologue, AmcRoute::TiersPayant, 0);
        let noemie = paid(AmoPayee::Assure, AmcRoute::Noemie, 0);
        let ame = paid(AmoPayee::Psychologue, AmcRoute::None, 700);
        let refused = Decision::Rejected(Reason::Doublon);
        let s = YearSummary::of([
            (&tp, Act::Eep, false),
            (&noemie, Act::Pss, false),
            (&ame, Act::Aps, false),
            (&tp, Act::Pss, true),
            (&refused, Act::Aps, false),
        ]);
        assert_eq!(
            (s.accepted, s.cancelled, s.rejected, s.remote),
            (3, 1, 1, 1)
        );
        assert_eq!(s.amo_to_psychologist, Cents(6000));
        assert_eq!(s.complementary_to_psychologist, Cents(2000));
        assert_eq!(s.state, Cents(700));
        assert_eq!(s.paid_to_psychologist(), Cents(8700));
        assert!((s.remote_share_percent() - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(YearSummary::default().remote_share_percent(), 0.0);
    }
}
