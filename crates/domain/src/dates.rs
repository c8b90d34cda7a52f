//! Calendar dates and inclusive periods.

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

/// A date as people type it: ISO `2026-11-23` (what `<input type=date>` sends) or
/// `23/11/2026`.
pub fn parse_typed(text: &str) -> Option<Date> {
    let t = text.trim();
    if let Some(d) = parse_iso(t) {
        return Some(d);
    }
    let mut parts = t.split('/');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

/// `date` minus `months` calendar months, clamped to the end of a shorter month
/// (2023-08-31 − 6 months = 2023-02-28).
pub fn minus_months(date: Date, months: i32) -> Date {
    // Plain arithmetic: this runs for every claim, and span arithmetic is far slower.
    let index = i32::from(date.year()) * 12 + i32::from(date.month()) - 1 - months;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    clamped(year, month, i32::from(date.day()))
}

/// `date` minus `years` calendar years, 29 February falling back to 28 February.
pub fn minus_years(date: Date, years: i32) -> Date {
    clamped(
        i32::from(date.year()) - years,
        i32::from(date.month()),
        i32::from(date.day()),
    )
}

/// `date` plus `years` calendar years, 29 February falling back to 28 February.
pub fn plus_years(date: Date, years: i32) -> Date {
    clamped(
        i32::from(date.year()) + years,
        i32::from(date.month()),
        i32::from(date.day()),
    )
}

/// The date `year-month-day`, the day clamped to the end of the month; out-of-range years
/// saturate to `Date::MIN`/`Date::MAX`.
fn clamped(year: i32, month: i32, day: i32) -> Date {
    let Ok(y) = i16::try_from(year) else {
        return if year < 0 { Date::MIN } else { Date::MAX };
    };
    let m = i8::try_from(month).unwrap_or(1);
    let first = Date::new(y, m, 1).unwrap_or(if year < 0 { Date::MIN } else { Date::MAX });
    let d = i8::try_from(day).unwrap_or(1).min(first.days_in_month());
    Date::new(y, m, d).unwrap_or(first)
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
    fn parses_typed_dates() {
        assert_eq!(parse_typed(" 2026-11-23 "), Some(date(2026, 11, 23)));
        assert_eq!(parse_typed("23/11/2026"), Some(date(2026, 11, 23)));
        assert_eq!(parse_typed("3/1/2026"), Some(date(2026, 1, 3)));
        assert_eq!(parse_typed("31/02/2026"), None);
        assert_eq!(parse_typed("23/11/26"), None);
        assert_eq!(parse_typed("23/11/2026/1"), None);
        assert_eq!(parse_typed("5 décembre 2006"), None);
    }

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
        assert_eq!(minus_months(date(2024, 3, 31), 1), date(2024, 2, 29));
        assert_eq!(minus_months(date(2023, 1, 15), 13), date(2021, 12, 15));
        assert_eq!(minus_years(date(2024, 2, 29), 2), date(2022, 2, 28));
        assert_eq!(plus_years(date(2024, 4, 1), 2), date(2026, 4, 1));
    }

    proptest::proptest! {
        #[test]
        fn calendar_arithmetic_agrees_with_jiff(days in 0i32..40_000, months in 0i32..40, years in 0i32..5) {
            use jiff::ToSpan;
            let d = date(1950, 1, 1).checked_add(days.days()).unwrap();
            proptest::prop_assert_eq!(minus_months(d, months), d.checked_sub(months.months()).unwrap());
            proptest::prop_assert_eq!(minus_years(d, years), d.checked_sub(years.years()).unwrap());
            proptest::prop_assert_eq!(plus_years(d, years), d.checked_add(years.years()).unwrap());
        }
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
