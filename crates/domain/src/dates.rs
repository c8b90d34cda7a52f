//! Calendar dates and inclusive periods.

use jiff::ToSpan;
pub use jiff::civil::Date;

/// An inclusive period `[from, to]`; `to = None` means still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Period {
    pub from: Date,
    pub to: Option<Date>,
}

impl Period {
    pub fn new(from: Date, to: Option<Date>) -> Self {
        Self { from, to }
    }

    /// Whether `date` lies inside the period, both bounds included.
    pub fn contains(&self, date: Date) -> bool {
        self.from <= date && self.to.is_none_or(|to| date <= to)
    }

    /// Whether the period shares at least one day with `[start, end]`.
    pub fn meets(&self, start: Date, end: Date) -> bool {
        self.from <= end && self.to.is_none_or(|to| to >= start)
    }
}

/// Parses an ISO `YYYY-MM-DD` date strictly (no time, no other layout).
pub fn parse_iso(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i32> {
        b[r].iter().try_fold(0i32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + i32::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// `date` minus `months` calendar months, clamped to the end of a shorter month
/// (2023-08-31 − 6 months = 2023-02-28).
pub fn minus_months(date: Date, months: i32) -> Date {
    date.checked_sub(months.months()).unwrap_or(Date::MIN)
}

/// `date` minus `years` calendar years, 29 February falling back to 28 February.
pub fn minus_years(date: Date, years: i32) -> Date {
    date.checked_sub(years.years()).unwrap_or(Date::MIN)
}

/// Age in whole years on `on`: a birthday is reached on its day; someone born on 29 February
/// reaches it on 1 March in common years.
pub fn age_on(birth: Date, on: Date) -> i32 {
    let mut age = i32::from(on.year()) - i32::from(birth.year());
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// First day of the calendar quarter following the quarter of `date`.
pub fn next_quarter_start(date: Date) -> Date {
    let quarter = (date.month() - 1) / 3; // 0..=3
    if quarter == 3 {
        Date::new(date.year() + 1, 1, 1).unwrap_or(Date::MAX)
    } else {
        Date::new(date.year(), (quarter + 1) * 3 + 1, 1).unwrap_or(Date::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn parses_only_iso_dates() {
        assert_eq!(parse_iso("2024-02-29"), Some(date(2024, 2, 29)));
        assert_eq!(parse_iso("2023-02-29"), None);
        assert_eq!(parse_iso("2024-2-29"), None);
        assert_eq!(parse_iso("29/02/2024"), None);
        assert_eq!(parse_iso("2024-13-01"), None);
        assert_eq!(parse_iso(""), None);
    }

    #[test]
    fn periods_are_inclusive() {
        let p = Period::new(date(2023, 1, 1), Some(date(2023, 6, 30)));
        assert!(p.contains(date(2023, 1, 1)));
        assert!(p.contains(date(2023, 6, 30)));
        assert!(!p.contains(date(2023, 7, 1)));
        assert!(!p.contains(date(2022, 12, 31)));
        let open = Period::new(date(2023, 1, 1), None);
        assert!(open.contains(date(2099, 1, 1)));
        assert!(p.meets(date(2023, 6, 30), date(2025, 6, 30)));
        assert!(!p.meets(date(2023, 7, 1), date(2025, 7, 1)));
    }

    #[test]
    fn month_arithmetic_matches_the_spec_example() {
        assert_eq!(minus_months(date(2023, 3, 29), 6), date(2022, 9, 29));
        assert_eq!(minus_months(date(2023, 8, 31), 6), date(2023, 2, 28));
    }

    #[test]
    fn ages_turn_on_the_birthday() {
        assert_eq!(age_on(date(2020, 5, 10), date(2023, 5, 9)), 2);
        assert_eq!(age_on(date(2020, 5, 10), date(2023, 5, 10)), 3);
        assert_eq!(age_on(date(2020, 2, 29), date(2023, 2, 28)), 2);
        assert_eq!(age_on(date(2020, 2, 29), date(2023, 3, 1)), 3);
    }

    #[test]
    fn quarters() {
        assert_eq!(next_quarter_start(date(2024, 2, 10)), date(2024, 4, 1));
        assert_eq!(next_quarter_start(date(2024, 3, 31)), date(2024, 4, 1));
        assert_eq!(next_quarter_start(date(2024, 4, 1)), date(2024, 7, 1));
        assert_eq!(next_quarter_start(date(2024, 12, 31)), date(2025, 1, 1));
    }
}
