//! French formatting shared by pages and documents.

use msp_domain::{Cents, Date};

/// `12,50 €` (a non-breaking space before the sign).
pub fn euros(c: Cents) -> String {
    let sign = if c.0 < 0 { "-" } else { "" };
    format!("{sign}{},{:02}\u{a0}€", c.0.abs() / 100, c.0.abs() % 100)
}

/// The programme's time zone: times shown to users are French times (the tz database is
/// bundled in the binary, jiff's `tzdb-bundle-always`, so it works without /usr/share/zoneinfo).
pub fn paris() -> jiff::tz::TimeZone {
    static PARIS: std::sync::OnceLock<jiff::tz::TimeZone> = std::sync::OnceLock::new();
    PARIS
        .get_or_init(|| {
            jiff::tz::db()
                .get("Europe/Paris")
                .unwrap_or(jiff::tz::TimeZone::UTC)
        })
        .clone()
}

/// « 02/12/2026 à 14:05 », in Paris time.
pub fn paris_date_time(t: jiff::Timestamp) -> String {
    t.to_zoned(paris()).strftime("%d/%m/%Y à %H:%M").to_string()
}

/// « 02/12/2026 à 14:05:09 », in Paris time.
pub fn paris_date_time_seconds(t: jiff::Timestamp) -> String {
    t.to_zoned(paris())
        .strftime("%d/%m/%Y à %H:%M:%S")
        .to_string()
}

/// `23/11/2026`.
pub fn date_fr(d: Date) -> String {
    d.strftime("%d/%m/%Y").to_string()
}

/// « 23 novembre 2026 », « 1er mars 2026 » (the first day of a month is an ordinal in French).
pub fn date_long_fr(d: Date) -> String {
    use msp_domain::french::{day_of_month, month_name};
    format!(
        "{}\u{a0}{} {}",
        day_of_month(d.day()),
        month_name(d.month()),
        d.year()
    )
}

/// « 1 séance », « 2 séances »: `n` and the singular or plural form given.
pub fn plural(n: impl Into<i64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n}\u{a0}{}", if n.abs() <= 1 { one } else { many })
}

/// A message as a sentence: capital first letter, final full stop.
pub fn sentence(s: &str) -> String {
    let mut c = s.trim().chars();
    match c.next() {
        Some(f) => {
            let mut out: String = f.to_uppercase().collect();
            out.push_str(c.as_str());
            if !out.ends_with(['.', '!', '?', '…']) {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_dates_and_sentences() {
        assert_eq!(euros(Cents(3000)), "30,00\u{a0}€");
        assert_eq!(euros(Cents(-5)), "-0,05\u{a0}€");
        assert_eq!(date_fr(Date::new(2026, 11, 3).unwrap()), "03/11/2026");
        assert_eq!(
            date_long_fr(Date::new(2026, 11, 23).unwrap()),
            "23\u{a0}novembre 2026"
        );
        assert_eq!(
            date_long_fr(Date::new(2026, 3, 1).unwrap()),
            "1er\u{a0}mars 2026"
        );
        assert_eq!(plural(1, "séance", "séances"), "1\u{a0}séance");
        assert_eq!(plural(0, "séance", "séances"), "0\u{a0}séance");
        assert_eq!(plural(12, "séance", "séances"), "12\u{a0}séances");
        assert_eq!(sentence("déjà annulée"), "Déjà annulée.");
        assert_eq!(sentence("Fini."), "Fini.");
    }
}

#[cfg(test)]
mod paris_tests {
    use super::*;

    #[test]
    fn times_are_shown_in_paris_time_winter_and_summer() {
        let winter: jiff::Timestamp = "2026-12-02T01:30:00Z".parse().unwrap();
        assert_eq!(paris_date_time(winter), "02/12/2026 à 02:30");
        let summer: jiff::Timestamp = "2026-07-14T22:15:09Z".parse().unwrap();
        assert_eq!(paris_date_time_seconds(summer), "15/07/2026 à 00:15:09");
    }
}
