//! A claim: one session line of a feuille de soins.

use crate::{Cents, Date, Nir, Rpps};
use std::fmt;

/// Act codes of the programme.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Act {
    /// Entretien d'évaluation: first session, in person.
    #[serde(rename = "EEP")]
    Eep,
    /// Follow-up session in person.
    #[serde(rename = "APS")]
    Aps,
    /// Follow-up session by video.
    #[serde(rename = "PSS")]
    Pss,
}

impl Act {
    pub const ALL: [Act; 3] = [Act::Eep, Act::Aps, Act::Pss];

    pub fn code(self) -> &'static str {
        match self {
            Act::Eep => "EEP",
            Act::Aps => "APS",
            Act::Pss => "PSS",
        }
    }

    pub fn parse(code: &str) -> Option<Act> {
        match code.trim() {
            "EEP" => Some(Act::Eep),
            "APS" => Some(Act::Aps),
            "PSS" => Some(Act::Pss),
            _ => None,
        }
    }

    pub fn is_remote(self) -> bool {
        self == Act::Pss
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Act::Eep => "entretien d’évaluation",
            Act::Aps => "séance de suivi au cabinet",
            Act::Pss => "séance de suivi en visio",
        }
    }
}

impl fmt::Display for Act {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Medical context stated on the claim; ald, maternite and atmp are paid 100 % by the AMO.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ClaimContext {
    #[default]
    Maladie,
    Ald,
    Maternite,
    Atmp,
}

impl ClaimContext {
    pub fn code(self) -> &'static str {
        match self {
            ClaimContext::Maladie => "maladie",
            ClaimContext::Ald => "ald",
            ClaimContext::Maternite => "maternite",
            ClaimContext::Atmp => "atmp",
        }
    }

    pub fn parse(code: &str) -> Option<ClaimContext> {
        match code.trim() {
            "maladie" => Some(ClaimContext::Maladie),
            "ald" => Some(ClaimContext::Ald),
            "maternite" => Some(ClaimContext::Maternite),
            "atmp" => Some(ClaimContext::Atmp),
            _ => None,
        }
    }

    /// Contexts whose care is paid 100 % by the AMO, with tiers payant.
    pub fn is_full_cover(self) -> bool {
        !matches!(self, ClaimContext::Maladie)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferrerKind {
    Medecin,
    SageFemme,
}

impl ReferrerKind {
    pub fn code(self) -> &'static str {
        match self {
            ReferrerKind::Medecin => "medecin",
            ReferrerKind::SageFemme => "sage_femme",
        }
    }

    pub fn parse(code: &str) -> Option<ReferrerKind> {
        match code.trim() {
            "medecin" => Some(ReferrerKind::Medecin),
            "sage_femme" => Some(ReferrerKind::SageFemme),
            _ => None,
        }
    }
}

/// The referral letter a claim refers to. `kind` may be missing on a badly filled sheet: such a
/// letter is then not from an allowed referrer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    pub date: Date,
    pub referrer_id: Option<String>,
    pub kind: Option<ReferrerKind>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub claim_id: String,
    pub received_date: Date,
    pub rpps: Rpps,
    pub nir: Nir,
    pub session_date: Date,
    pub act: Act,
    pub amount: Cents,
    pub context: ClaimContext,
    /// The psychologist applied tiers payant on the AMO part.
    pub tiers_payant: bool,
    pub referral: Option<Referral>,
}
