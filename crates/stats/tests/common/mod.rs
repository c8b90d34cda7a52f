//! Helpers shared by the statistics tests.

use msp_stats::refresh::COUNTERS;
use msp_store::Db;

/// Every summary row with a non-zero counter (keyed by day or month, département and région),
/// and every counted patient, as text, in key order.
pub fn summaries(db: &mut Db) -> Vec<String> {
    let counters = COUNTERS.join(", ");
    let mut out = Vec::new();
    for (table, key) in [
        (
            "stats_days",
            "CAST(day AS TEXT), departement || '/' || region",
        ),
        (
            "stats_months",
            "CAST(y AS TEXT), CAST(m AS TEXT) || '-' || departement || '/' || region",
        ),
    ] {
        for r in db
            .query(
                &format!("SELECT {key}, {counters} FROM {table} ORDER BY 1, 2"),
                &[],
            )
            .unwrap()
        {
            let values: Vec<i64> = (0..COUNTERS.len()).map(|i| r.int(2 + i).unwrap()).collect();
            if values.iter().any(|v| *v != 0) {
                out.push(format!(
                    "{table} {} {} {values:?}",
                    r.text(0).unwrap(),
                    r.text(1).unwrap()
                ));
            }
        }
    }
    for r in db
        .query(
            "SELECT nir, CAST(first_day AS TEXT), departement, sex, age_band, c2s FROM stats_patients ORDER BY nir",
            &[],
        )
        .unwrap()
    {
        out.push(format!(
            "patient {} {} {} {} {} {}",
            r.text(0).unwrap(),
            r.text(1).unwrap(),
            r.text(2).unwrap(),
            r.text(3).unwrap(),
            r.int(4).unwrap(),
            r.int(5).unwrap()
        ));
    }
    out
}
