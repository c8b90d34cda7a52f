//! Money as integer cents.

use std::fmt;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Cents(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("montant vide")]
    Empty,
    #[error("montant « {0} » illisible : écrire des euros avec un point, par exemple 50.00")]
    Malformed(String),
    #[error("montant « {0} » : deux décimales au plus (centimes)")]
    TooManyDecimals(String),
    #[error("montant « {0} » négatif")]
    Negative(String),
    #[error("montant « {0} » trop grand")]
    TooLarge(String),
}

impl Cents {
    pub const ZERO: Cents = Cents(0);

    /// Parses euros written `50`, `50.5` or `50.00` (a comma is accepted for the decimal point).
    pub fn parse_euros(input: &str) -> Result<Self, MoneyError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        if s.starts_with('-') {
            return Err(MoneyError::Negative(s.into()));
        }
        let (units, decimals) = match s.split_once(['.', ',']) {
            Some((u, d)) => (u, d),
            None => (s, ""),
        };
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if units.is_empty()
            || !digits(units)
            || !digits(decimals)
            || (s.contains(['.', ',']) && decimals.is_empty())
        {
            return Err(MoneyError::Malformed(s.into()));
        }
        if decimals.len() > 2 {
            return Err(MoneyError::TooManyDecimals(s.into()));
        }
        if units.len() > 12 {
            return Err(MoneyError::TooLarge(s.into()));
        }
        let whole: i64 = units.parse().map_err(|_| MoneyError::Malformed(s.into()))?;
        let frac: i64 = match decimals.len() {
            0 => 0,
            1 => decimals.parse::<i64>().unwrap_or(0) * 10,
            _ => decimals.parse().unwrap_or(0),
        };
        Ok(Cents(whole * 100 + frac))
    }

    /// `self × percent / 100`, rounded half up (amounts are never negative here).
    pub fn percent_half_up(self, percent: u32) -> Cents {
        Cents((self.0 * i64::from(percent) + 50) / 100)
    }
}

impl fmt::Display for Cents {
    /// Euros with two decimals, as the interchange files want: `50.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", self.0.abs() / 100, self.0.abs() % 100)
    }
}

impl std::ops::Sub for Cents {
    type Output = Cents;
    fn sub(self, rhs: Cents) -> Cents {
        Cents(self.0 - rhs.0)
    }
}

impl std::ops::Add for Cents {
    type Output = Cents;
    fn add(self, rhs: Cents) -> Cents {
        Cents(self.0 + rhs.0)
    }
}

impl std::iter::Sum for Cents {
    fn sum<I: Iterator<Item = Cents>>(iter: I) -> Cents {
        Cents(iter.map(|c| c.0).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_euros() {
        assert_eq!(Cents::parse_euros("50.00"), Ok(Cents(5000)));
        assert_eq!(Cents::parse_euros("50"), Ok(Cents(5000)));
        assert_eq!(Cents::parse_euros("30.5"), Ok(Cents(3050)));
        assert_eq!(Cents::parse_euros("0,99"), Ok(Cents(99)));
        assert!(matches!(
            Cents::parse_euros("50.001"),
            Err(MoneyError::TooManyDecimals(_))
        ));
        assert!(matches!(
            Cents::parse_euros("-5"),
            Err(MoneyError::Negative(_))
        ));
        assert!(matches!(
            Cents::parse_euros("5e3"),
            Err(MoneyError::Malformed(_))
        ));
        assert!(matches!(
            Cents::parse_euros("50."),
            Err(MoneyError::Malformed(_))
        ));
        assert!(matches!(
            Cents::parse_euros(".5"),
            Err(MoneyError::Malformed(_))
        ));
        assert!(matches!(Cents::parse_euros(""), Err(MoneyError::Empty)));
    }

    #[test]
    fn rounds_half_up() {
        assert_eq!(Cents(5000).percent_half_up(60), Cents(3000));
        assert_eq!(Cents(3333).percent_half_up(60), Cents(2000)); // 1999.8
        assert_eq!(Cents(25).percent_half_up(90), Cents(23)); // 22.5 -> 23
        assert_eq!(Cents(5).percent_half_up(10), Cents(1)); // 0.5 -> 1
    }

    proptest! {
        #[test]
        fn display_then_parse_is_identity(c in 0i64..10_000_000_000) {
            prop_assert_eq!(Cents::parse_euros(&Cents(c).to_string()), Ok(Cents(c)));
        }
    }
}
