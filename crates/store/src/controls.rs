//! Controls the CPAM runs on psychologists (SPEC §3): remote sessions (PSS) should not exceed a
//! share of a psychologist's sessions in the programme per calendar year — a control flag on
//! the psychologist, never a claim rejection. The share is in the dated rules
//! (`remote_share_control_percent`, 20 %).

use crate::{Db, StoreResult, Value};
use jiff::civil::date;

/// One psychologist's accepted sessions in a calendar year, remote ones apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteShare {
    pub rpps: String,
    /// From the national registry; `None` when the RPPS is not in it.
    pub last_name: Option<String>,
    pub first_name: Option<String>,
    /// Accepted sessions of the year (cancelled ones are no longer accepted).
    pub sessions: i64,
    /// Of which by video (act PSS).
    pub remote: i64,
}

impl RemoteShare {
    /// The remote share in per cent, for display (the comparison itself is on integers).
    #[allow(clippy::cast_precision_loss)]
    pub fn percent(&self) -> f64 {
        if self.sessions == 0 {
            0.0
        } else {
            self.remote as f64 * 100.0 / self.sessions as f64
        }
    }
}

/// Psychologists whose remote sessions exceed `percent` % of their accepted sessions dated in
/// calendar `year`, largest share first (equal shares: more sessions first, then by RPPS). The
/// comparison is exact, on integers: `remote × 100 > sessions × percent`, so 20 % of 10 sessions
/// (2 remote) is not above 20 %, 3 is. With `cpam`, only the psychologists that CPAM has
/// conventioned (a département agent's list), in the same query.
pub fn remote_share_above(
    db: &mut Db,
    year: i16,
    percent: u32,
    cpam: Option<&str>,
) -> StoreResult<Vec<RemoteShare>> {
    let mut params = vec![
        Value::Date(date(year, 1, 1)),
        Value::Date(date(year, 12, 31)),
        Value::Int(i64::from(percent)),
    ];
    let territory = match cpam {
        None => "",
        Some(c) => {
            params.push(c.into());
            " AND EXISTS (SELECT 1 FROM conventions c WHERE c.rpps = s.rpps AND c.cpam = $4)"
        }
    };
    let rows = db.query(
        &format!(
            "SELECT s.rpps, r.last_name, r.first_name, s.sessions, s.remote FROM (
             SELECT rpps, COUNT(*) AS sessions,
                    SUM(CASE WHEN act = 'PSS' THEN 1 ELSE 0 END) AS remote
             FROM accepted_sessions
             WHERE session_date >= $1 AND session_date <= $2
             GROUP BY rpps
         ) s LEFT JOIN registry r ON r.rpps = s.rpps
         WHERE s.remote * 100 > s.sessions * $3{territory}"
        ),
        &params,
    )?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(RemoteShare {
                rpps: r.string(0)?,
                last_name: r.opt_string(1)?,
                first_name: r.opt_string(2)?,
                sessions: r.int(3)?,
                remote: r.int(4)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    // remote_a / sessions_a > remote_b / sessions_b, without floating point.
    out.sort_by(|a, b| {
        (b.remote * a.sessions)
            .cmp(&(a.remote * b.sessions))
            .then(b.sessions.cmp(&a.sessions))
            .then(a.rpps.cmp(&b.rpps))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn session(db: &mut Db, nir: &str, day: jiff::civil::Date, rpps: &str, act: &str) {
        db.execute(
            "INSERT INTO accepted_sessions (nir, session_date, rpps, act, claim_id) VALUES ($1, $2, $3, $4, $5)",
            &[
                nir.into(),
                day.into(),
                rpps.into(),
                act.into(),
                format!("{rpps}-{nir}-{day}").as_str().into(),
            ],
        )
        .unwrap();
    }

    #[test]
    fn remote_share_above_the_control_on_both_engines() {
        for t in testing::all() {
            let mut db = t.connect();
            db.execute(
                "INSERT INTO registry (rpps, last_name, first_name, profession_code, practice_mode, commune_insee)
                 VALUES ('10000000001', 'MARTIN', 'Camille', '93', 'L', NULL)",
                &[],
            )
            .unwrap();
            // 10 sessions in 2025 each; A: 3 remote (30 %), B: 2 remote (exactly 20 %, not
            // above), C: 5 remote of 5 (100 %, not in the registry), D: remote sessions in 2024
            // and 2026 only.
            let plan: [(&str, usize, usize); 4] = [
                ("10000000001", 10, 3),
                ("10000000002", 10, 2),
                ("10000000003", 5, 5),
                ("10000000004", 4, 0),
            ];
            for (rpps, total, remote) in plan {
                for i in 0..total {
                    let act = if i == 0 && remote < total {
                        "EEP"
                    } else if i < total - remote {
                        "APS"
                    } else {
                        "PSS"
                    };
                    let day = date(2025, 1, 6) + jiff::Span::new().days(i64::try_from(i).unwrap());
                    session(&mut db, &format!("{rpps}p{i}"), day, rpps, act);
                }
            }
            for (i, y) in [2024, 2026].into_iter().enumerate() {
                for k in 0..3 {
                    session(
                        &mut db,
                        &format!("d{i}{k}"),
                        date(y, 3, 1 + k),
                        "10000000004",
                        "PSS",
                    );
                }
            }
            // The year's bounds are inclusive.
            session(&mut db, "edge1", date(2025, 1, 1), "10000000002", "PSS");
            session(&mut db, "edge2", date(2025, 12, 31), "10000000002", "APS");

            let found = remote_share_above(&mut db, 2025, 20, None).unwrap();
            let summary: Vec<(&str, i64, i64)> = found
                .iter()
                .map(|r| (r.rpps.as_str(), r.sessions, r.remote))
                .collect();
            assert_eq!(
                summary,
                vec![
                    ("10000000003", 5, 5),
                    ("10000000001", 10, 3),
                    ("10000000002", 12, 3)
                ],
                "{}",
                t.label
            );
            assert_eq!(found[1].last_name.as_deref(), Some("MARTIN"));
            assert_eq!(found[0].last_name, None);
            assert!((found[1].percent() - 30.0).abs() < 1e-9);
            assert_eq!(
                remote_share_above(&mut db, 2024, 20, None).unwrap()[0].rpps,
                "10000000004"
            );
            assert!(
                remote_share_above(&mut db, 2023, 20, None)
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(
                remote_share_above(&mut db, 2025, 50, None).unwrap().len(),
                1
            );
            // A département's list: the psychologists its CPAM conventioned.
            db.execute(
                "INSERT INTO conventions (rpps, start_date, end_date, cpam) VALUES ('10000000001', $1, NULL, '69')",
                &[date(2024, 1, 1).into()],
            )
            .unwrap();
            let rhone: Vec<String> = remote_share_above(&mut db, 2025, 20, Some("69"))
                .unwrap()
                .into_iter()
                .map(|r| r.rpps)
                .collect();
            assert_eq!(rhone, ["10000000001"], "{}", t.label);
            assert!(
                remote_share_above(&mut db, 2025, 20, Some("75"))
                    .unwrap()
                    .is_empty()
            );
        }
    }
}
