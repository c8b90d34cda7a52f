//! The remote-session control list (SPEC §3) as CSV: written by `msp controle-visio` and by the
//! CPAM agents' page (`controles.csv`), one format for both.

use crate::cells::neutralise;
use std::io::Write;

/// Columns of the file, in order.
pub const COLUMNS: [&str; 6] = [
    "rpps",
    "last_name",
    "first_name",
    "sessions",
    "remote_sessions",
    "remote_share_percent",
];

/// One psychologist above the share.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlRow<'a> {
    pub rpps: &'a str,
    pub last_name: &'a str,
    pub first_name: &'a str,
    pub sessions: i64,
    pub remote: i64,
    pub percent: f64,
}

/// Writes the header and `rows`; names are neutralised (they come from the registry file).
pub fn write<'a, W: Write>(
    w: W,
    rows: impl IntoIterator<Item = ControlRow<'a>>,
) -> std::io::Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record(COLUMNS)?;
    for r in rows {
        // Two decimals, like the amounts of the interchange files.
        csv.write_record([
            r.rpps,
            &neutralise(r.last_name),
            &neutralise(r.first_name),
            &r.sessions.to_string(),
            &r.remote.to_string(),
            &format!("{:.2}", r.percent),
        ])?;
    }
    csv.flush()
}

#[cfg(test)]
mod tests {
    #[test]
    fn rows_are_written_under_the_header() {
        let mut out = Vec::new();
        super::write(
            &mut out,
            [super::ControlRow {
                rpps: "10000000421",
                last_name: "=MARTIN",
                first_name: "Anne",
                sessions: 10,
                remote: 3,
                percent: 30.0,
            }],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "rpps,last_name,first_name,sessions,remote_sessions,remote_share_percent\n10000000421,'=MARTIN,Anne,10,3,30.00\n"
        );
    }
}
