//! Clinical inclusion criteria (SPEC §5): the psychologist's judgement, which the system
//! records but cannot check. Children and teenagers (3–17) come for distress that worries those
//! around them; adults for mild-to-moderate anxiety or depression, tobacco, alcohol or cannabis
//! misuse without dependence, or eating disorders without signs of severity.

/// Why the patient is cared for in the programme, as the psychologist assessed it at the EEP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InclusionCriterion {
    Anxiety,
    Depression,
    Tobacco,
    Alcohol,
    Cannabis,
    EatingDisorder,
    /// 3–17 years: distress that worries those around them (family, school, doctor).
    ChildDistress,
}

impl InclusionCriterion {
    pub const ALL: [InclusionCriterion; 7] = [
        InclusionCriterion::Anxiety,
        InclusionCriterion::Depression,
        InclusionCriterion::Tobacco,
        InclusionCriterion::Alcohol,
        InclusionCriterion::Cannabis,
        InclusionCriterion::EatingDisorder,
        InclusionCriterion::ChildDistress,
    ];

    pub fn code(self) -> &'static str {
        match self {
            InclusionCriterion::Anxiety => "anxiete",
            InclusionCriterion::Depression => "depression",
            InclusionCriterion::Tobacco => "tabac",
            InclusionCriterion::Alcohol => "alcool",
            InclusionCriterion::Cannabis => "cannabis",
            InclusionCriterion::EatingDisorder => "alimentaire",
            InclusionCriterion::ChildDistress => "souffrance_enfant",
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            InclusionCriterion::Anxiety => "Anxiété d’intensité légère à modérée",
            InclusionCriterion::Depression => "Dépression d’intensité légère à modérée",
            InclusionCriterion::Tobacco => "Usage de tabac sans dépendance",
            InclusionCriterion::Alcohol => "Usage d’alcool sans dépendance",
            InclusionCriterion::Cannabis => "Usage de cannabis sans dépendance",
            InclusionCriterion::EatingDisorder => {
                "Trouble du comportement alimentaire sans signe de gravité"
            }
            InclusionCriterion::ChildDistress => {
                "Enfant ou adolescent : souffrance psychique qui inquiète l’entourage"
            }
        }
    }

    pub fn parse(code: &str) -> Option<InclusionCriterion> {
        InclusionCriterion::ALL
            .into_iter()
            .find(|c| c.code() == code.trim())
    }

    /// Whether the criterion fits a patient of `age` on the session date: the children's
    /// criterion is for 3–17 years, the adults' ones from 18.
    pub fn fits_age(self, age: i32) -> bool {
        (self == InclusionCriterion::ChildDistress) == (age < 18)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_ages_fit() {
        for c in InclusionCriterion::ALL {
            assert_eq!(InclusionCriterion::parse(c.code()), Some(c));
        }
        assert_eq!(InclusionCriterion::parse("autre"), None);
        assert!(InclusionCriterion::ChildDistress.fits_age(17));
        assert!(!InclusionCriterion::ChildDistress.fits_age(18));
        assert!(InclusionCriterion::Anxiety.fits_age(18));
        assert!(!InclusionCriterion::Anxiety.fits_age(12));
    }
}
