//! FHIR `_lastUpdated` search (`gt`, `ge`, `lt`, `le`, `eq`), so that a consumer synchronises
//! only what changed since its last pass, as with the Annuaire Santé API. A value is a date
//! (`2026-11-23`, the whole day) or a date-time (`2026-11-23T10:15:00Z`, that second); without
//! an offset it is read in Paris time, the time the pages show. Cards never written since the
//! directory was loaded have no `meta.lastUpdated` and match no `_lastUpdated` filter.

use crate::error::Problem;
use crate::views::paris;
use jiff::civil::{Date, DateTime};
use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

/// One `_lastUpdated` value: a comparison with the instants `[start, end)` the value covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastUpdated {
    prefix: Prefix,
    start: Timestamp,
    end: Timestamp,
}

fn invalid(value: &str) -> Problem {
    Problem::bad_request(
        "parametre_invalide",
        format!(
            "_lastUpdated attend un préfixe facultatif (gt, ge, lt, le ou eq) suivi d’une date \
             (AAAA-MM-JJ) ou d’une date et heure (AAAA-MM-JJThh:mm:ssZ) ; reçu « {value} »."
        ),
    )
}

impl LastUpdated {
    pub fn parse(value: &str) -> Result<LastUpdated, Problem> {
        let (prefix, rest) = match value.get(..2) {
            Some("gt") => (Prefix::Gt, &value[2..]),
            Some("ge") => (Prefix::Ge, &value[2..]),
            Some("lt") => (Prefix::Lt, &value[2..]),
            Some("le") => (Prefix::Le, &value[2..]),
            Some("eq") => (Prefix::Eq, &value[2..]),
            _ => (Prefix::Eq, value),
        };
        let (start, end) = if rest.len() == 10 {
            let day: Date = rest.parse().map_err(|_| invalid(value))?;
            let start = day.to_zoned(paris()).map_err(|_| invalid(value))?;
            let end = day
                .tomorrow()
                .and_then(|d| d.to_zoned(paris()))
                .map_err(|_| invalid(value))?;
            (start.timestamp(), end.timestamp())
        } else {
            let start = match rest.parse::<Timestamp>() {
                Ok(t) => t,
                Err(_) => rest
                    .parse::<DateTime>()
                    .and_then(|t| t.to_zoned(paris()))
                    .map_err(|_| invalid(value))?
                    .timestamp(),
            };
            // The second it falls in (a consumer passes back a `meta.lastUpdated` it read).
            let start = Timestamp::from_second(start.as_second()).map_err(|_| invalid(value))?;
            (start, start + SignedDuration::from_secs(1))
        };
        Ok(LastUpdated { prefix, start, end })
    }

    pub fn matches(&self, updated: Option<Timestamp>) -> bool {
        let Some(t) = updated else { return false };
        match self.prefix {
            Prefix::Gt => t >= self.end,
            Prefix::Ge => t >= self.start,
            Prefix::Lt => t < self.start,
            Prefix::Le => t < self.end,
            Prefix::Eq => self.start <= t && t < self.end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Option<Timestamp> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn prefixes_compare_with_the_instants_a_value_covers() {
        let t = at("2026-11-23T10:15:30Z");
        let yes = |v: &str| LastUpdated::parse(v).unwrap().matches(t);
        assert!(yes("gt2026-11-23T10:15:29Z"));
        assert!(!yes("gt2026-11-23T10:15:30Z"));
        assert!(yes("ge2026-11-23T10:15:30Z"));
        assert!(!yes("ge2026-11-23T10:15:31Z"));
        assert!(yes("lt2026-11-23T10:15:31Z"));
        assert!(!yes("lt2026-11-23T10:15:30Z"));
        assert!(yes("le2026-11-23T10:15:30Z"));
        assert!(yes("2026-11-23T10:15:30Z"));
        assert!(yes("ge2026-11-23T10:15:30.900Z"));
        assert!(!yes("gt2026-11-23T10:15:30.900Z"));
        assert!(yes("eq2026-11-23"));
        // A date is the whole day in Paris (UTC+1 in November): 23:30 UTC is already the 24th.
        assert!(!yes("gt2026-11-23"));
        assert!(yes("ge2026-11-23"));
        assert!(!yes("ge2026-11-24"));
        assert!(
            LastUpdated::parse("eq2026-11-24")
                .unwrap()
                .matches(at("2026-11-23T23:30:00Z"))
        );
        // Without an offset a date-time is Paris time.
        assert!(yes("eq2026-11-23T11:15:30"));
        // A card never written matches nothing.
        assert!(!LastUpdated::parse("ge2000-01-01").unwrap().matches(None));
    }

    #[test]
    fn bad_values_name_the_parameter_and_the_format() {
        for v in [
            "",
            "gt",
            "hier",
            "ne2026-11-23",
            "ge2026-13-01",
            "ge23/11/2026",
        ] {
            let e = LastUpdated::parse(v).unwrap_err();
            assert_eq!(e.code, "parametre_invalide", "{v}");
            assert!(e.message.contains("_lastUpdated"), "{v}: {}", e.message);
        }
    }
}
