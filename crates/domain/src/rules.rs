//! Dated rules (regimes), loaded from data so that a reform is a data change (SPEC §3).

use crate::{Act, Cents, Date, ReferrerKind};
use serde::Deserialize;

/// The rules shipped with the product (`rules/regimes.toml`).
pub const DEFAULT_RULES_TOML: &str = include_str!("../../../rules/regimes.toml");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("fichier de règles illisible : {0}")]
    Syntax(String),
    #[error("fichier de règles incohérent : {0}")]
    Inconsistent(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Tariffs {
    #[serde(rename = "EEP")]
    pub eep: i64,
    #[serde(rename = "APS")]
    pub aps: i64,
    #[serde(rename = "PSS")]
    pub pss: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReferrerRule {
    pub kind: ReferrerKind,
    pub from: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regime {
    pub code: String,
    pub from: Date,
    pub to: Option<Date>,
    pub referral_required: bool,
    pub sessions_per_year: u32,
    pub amo_tiers_payant_mandatory: bool,
    pub tariff_cents: Tariffs,
    pub referrers: Vec<ReferrerRule>,
}

impl Regime {
    pub fn tariff(&self, act: Act) -> Cents {
        Cents(match act {
            Act::Eep => self.tariff_cents.eep,
            Act::Aps => self.tariff_cents.aps,
            Act::Pss => self.tariff_cents.pss,
        })
    }

    pub fn referrer_allowed(&self, kind: ReferrerKind, on: Date) -> bool {
        self.referrers
            .iter()
            .any(|r| r.kind == kind && r.from <= on)
    }

    fn contains(&self, date: Date) -> bool {
        self.from <= date && self.to.is_none_or(|to| date <= to)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub programme_start: Date,
    pub amo_rate_percent: u32,
    pub amo_rate_alsace_moselle_percent: u32,
    pub amo_rate_full_cover_percent: u32,
    pub referral_validity_months: i32,
    pub first_session_must_be_eep: bool,
    pub one_eep_per_year: bool,
    pub remote_share_control_percent: u32,
    pub limitation_years: i32,
    pub minimum_age_years: i32,
    #[serde(rename = "regime")]
    pub regimes: Vec<Regime>,
}

impl Rules {
    /// Parses and checks a rules file: regimes in date order, no overlap, rates within 0..=100.
    pub fn from_toml(text: &str) -> Result<Self, RulesError> {
        let mut rules: Rules =
            toml::from_str(text).map_err(|e| RulesError::Syntax(e.to_string()))?;
        rules.regimes.sort_by_key(|r| r.from);
        for pair in rules.regimes.windows(2) {
            match pair[0].to {
                Some(to) if to < pair[1].from => {}
                _ => {
                    return Err(RulesError::Inconsistent(format!(
                        "le régime {} doit finir avant le début de {}",
                        pair[0].code, pair[1].code
                    )));
                }
            }
        }
        for r in &rules.regimes {
            if r.to.is_some_and(|to| to < r.from) {
                return Err(RulesError::Inconsistent(format!(
                    "le régime {} finit avant de commencer",
                    r.code
                )));
            }
            if [r.tariff_cents.eep, r.tariff_cents.aps, r.tariff_cents.pss]
                .iter()
                .any(|t| *t <= 0)
            {
                return Err(RulesError::Inconsistent(format!(
                    "le régime {} a un tarif nul ou négatif",
                    r.code
                )));
            }
        }
        for rate in [
            rules.amo_rate_percent,
            rules.amo_rate_alsace_moselle_percent,
            rules.amo_rate_full_cover_percent,
        ] {
            if rate > 100 {
                return Err(RulesError::Inconsistent(format!(
                    "taux AMO {rate} % supérieur à 100 %"
                )));
            }
        }
        if rules.regimes.is_empty() {
            return Err(RulesError::Inconsistent("aucun régime".into()));
        }
        Ok(rules)
    }

    /// The shipped rules.
    pub fn standard() -> Self {
        Self::from_toml(DEFAULT_RULES_TOML).expect("the shipped rules file is valid")
    }

    /// The regime in force on a session date, if any.
    pub fn regime_on(&self, date: Date) -> Option<&Regime> {
        if date < self.programme_start {
            return None;
        }
        self.regimes.iter().rev().find(|r| r.contains(date))
    }

    /// Last day a claim for `session` may reach the insurer (SPEC §3).
    pub fn limitation_deadline(&self, session: Date) -> Date {
        crate::dates::plus_years(
            crate::dates::next_quarter_start(session),
            self.limitation_years,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn shipped_rules_follow_the_spec_table() {
        let rules = Rules::standard();
        assert_eq!(rules.regime_on(date(2022, 4, 4)), None);
        let r = rules.regime_on(date(2022, 4, 5)).unwrap();
        assert_eq!(
            (r.code.as_str(), r.sessions_per_year, r.referral_required),
            ("2022-monpsy", 8, true)
        );
        assert_eq!(r.tariff(Act::Eep), Cents(4000));
        assert_eq!(r.tariff(Act::Aps), Cents(3000));
        assert!(!r.referrer_allowed(ReferrerKind::SageFemme, date(2023, 12, 24)));
        assert!(r.referrer_allowed(ReferrerKind::SageFemme, date(2023, 12, 25)));
        assert_eq!(
            rules.regime_on(date(2024, 6, 14)).unwrap().code,
            "2022-monpsy"
        );
        let r = rules.regime_on(date(2024, 6, 15)).unwrap();
        assert_eq!(
            (r.code.as_str(), r.sessions_per_year, r.referral_required),
            ("2024-reforme", 12, false)
        );
        assert_eq!(r.tariff(Act::Pss), Cents(5000));
        assert!(!r.amo_tiers_payant_mandatory);
        assert_eq!(
            rules.regime_on(date(2026, 9, 30)).unwrap().code,
            "2024-reforme"
        );
        let r = rules.regime_on(date(2026, 10, 1)).unwrap();
        assert!(r.amo_tiers_payant_mandatory);
        assert_eq!(rules.regime_on(date(2099, 1, 1)).unwrap().code, "2026-lfss");
    }

    #[test]
    fn limitation_follows_the_spec_example() {
        let rules = Rules::standard();
        assert_eq!(
            rules.limitation_deadline(date(2024, 2, 10)),
            date(2026, 4, 1)
        );
        assert_eq!(
            rules.limitation_deadline(date(2024, 12, 31)),
            date(2027, 1, 1)
        );
    }

    #[test]
    fn overlapping_regimes_are_refused() {
        let text = DEFAULT_RULES_TOML.replace("to = \"2024-06-14\"", "to = \"2024-06-15\"");
        assert!(matches!(
            Rules::from_toml(&text),
            Err(RulesError::Inconsistent(_))
        ));
        let text = DEFAULT_RULES_TOML.replace("amo_rate_percent = 60", "amo_rate_percent = 160");
        assert!(matches!(
            Rules::from_toml(&text),
            Err(RulesError::Inconsistent(_))
        ));
        assert!(matches!(
            Rules::from_toml("nonsense = ["),
            Err(RulesError::Syntax(_))
        ));
    }
}
