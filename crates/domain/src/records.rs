//! Reference records as the interchange files carry them (SPEC §8), once parsed.

use crate::{Nir, Period, Rpps};

/// How a professional practises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PracticeMode {
    /// L: libéral.
    Liberal,
    /// S: salarié.
    Salaried,
    /// M: mixte (libéral and salarié).
    Mixed,
    /// B: bénévole (only in the Annuaire Santé extraction).
    Volunteer,
}

impl PracticeMode {
    pub fn code(self) -> &'static str {
        match self {
            PracticeMode::Liberal => "L",
            PracticeMode::Salaried => "S",
            PracticeMode::Mixed => "M",
            PracticeMode::Volunteer => "B",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code.trim() {
            "L" => Some(Self::Liberal),
            "S" => Some(Self::Salaried),
            "M" => Some(Self::Mixed),
            "B" => Some(Self::Volunteer),
            _ => None,
        }
    }

    /// Liberal or mixed practice: the population the conventioned share is measured against.
    pub fn is_liberal(self) -> bool {
        matches!(self, Self::Liberal | Self::Mixed)
    }
}

/// A row of the national professionals registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEntry {
    pub rpps: Rpps,
    pub last_name: String,
    pub first_name: String,
    pub profession_code: String,
    pub practice_mode: PracticeMode,
    pub commune_insee: Option<String>,
}

impl RegistryEntry {
    pub const PSYCHOLOGUE: &'static str = "93";

    pub fn is_psychologist(&self) -> bool {
        self.profession_code == Self::PSYCHOLOGUE
    }
}

/// A convention signed by a CPAM; keyed by (rpps, start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Convention {
    pub rpps: Rpps,
    pub cpam: String,
    pub period: Period,
}

/// A suspension of a convention; keyed by (rpps, from). It lifts itself at `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    pub rpps: Rpps,
    pub period: Period,
    pub reason: String,
}

/// An exclusion period of a patient; keyed by (nir, from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    pub nir: Nir,
    pub period: Period,
}
