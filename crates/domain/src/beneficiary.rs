//! Beneficiaries (patients) as the insurer's file describes them.

use crate::{Date, Nir, Period, dates};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum InsuranceRegime {
    #[default]
    General,
    AlsaceMoselle,
}

impl InsuranceRegime {
    pub fn code(self) -> &'static str {
        match self {
            InsuranceRegime::General => "general",
            InsuranceRegime::AlsaceMoselle => "alsace_moselle",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code.trim() {
            "general" => Some(Self::General),
            "alsace_moselle" => Some(Self::AlsaceMoselle),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Sex {
    #[serde(rename = "M")]
    Male,
    #[serde(rename = "F")]
    Female,
}

impl Sex {
    /// Accepts `M`/`F` and the NIR digits `1`/`2`.
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim() {
            "M" | "m" | "1" | "H" | "h" => Some(Sex::Male),
            "F" | "f" | "2" => Some(Sex::Female),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "M",
            Sex::Female => "F",
        }
    }

    /// The words agreed with a person of sex `sex` (« assuré », « assurée »), or `unknown`
    /// when it is not known (« assuré(e) »).
    pub fn agree<'a>(
        sex: Option<Sex>,
        masculine: &'a str,
        feminine: &'a str,
        unknown: &'a str,
    ) -> &'a str {
        match sex {
            Some(Sex::Male) => masculine,
            Some(Sex::Female) => feminine,
            None => unknown,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beneficiary {
    pub nir: Nir,
    pub birth_date: Date,
    pub sex: Sex,
    pub regime: InsuranceRegime,
    /// AMO affiliation.
    pub rights: Option<Period>,
    pub ame: Option<Period>,
    pub c2s: Option<Period>,
    /// The complementary insurer, if any.
    pub amc_id: Option<String>,
    /// The AMC is linked to the AMO by Noémie.
    pub noemie: bool,
    pub commune_insee: Option<String>,
    /// Exclusion periods (psychiatric ALD, invalidity or long sick leave for a psychiatric reason).
    pub exclusions: Vec<Period>,
}

impl Beneficiary {
    pub fn has_ame(&self, on: Date) -> bool {
        self.ame.is_some_and(|p| p.contains(on))
    }

    pub fn has_c2s(&self, on: Date) -> bool {
        self.c2s.is_some_and(|p| p.contains(on))
    }

    /// Open AMO rights or AME on that date.
    pub fn is_covered(&self, on: Date) -> bool {
        self.has_ame(on) || self.rights.is_some_and(|p| p.contains(on))
    }

    pub fn age_on(&self, on: Date) -> i32 {
        dates::age_on(self.birth_date, on)
    }

    /// Excluded when an exclusion period meets `[on − 2 years, on]` (SPEC §5).
    pub fn is_excluded(&self, on: Date) -> bool {
        let start = dates::minus_years(on, 2);
        self.exclusions.iter().any(|p| p.meets(start, on))
    }
}
