//! Output files: decisions (SPEC §8) and the errors report; plus a decisions reader.

use crate::error::RowError;
use crate::reader::{CsvReader, InputRecord, Row};
use msp_domain::{AmcRoute, AmoPayee, ComplementaryPayer, Decision, Payment, Reason};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Columns of the decisions file, in the order they are written.
pub const DECISION_COLUMNS: [&str; 12] = [
    "claim_id",
    "status",
    "reason",
    "rank",
    "tariff_cents",
    "amo_cents",
    "amo_payee",
    "complementary_cents",
    "complementary_payer",
    "complementary_route",
    "state_cents",
    "patient_cents",
];

/// Columns of the errors report.
pub const ERROR_COLUMNS: [&str; 3] = ["line", "column", "message"];

/// Writes `decisions.csv`: one row per decision, amounts in integer cents. A rejected row has its
/// reason and nothing else; an accepted row has everything but a reason.
pub struct DecisionWriter<W: Write> {
    csv: csv::Writer<W>,
    numbers: String,
}

impl<W: Write> DecisionWriter<W> {
    /// Writes the header row.
    pub fn new(writer: W) -> io::Result<Self> {
        let mut csv = csv::WriterBuilder::new()
            .buffer_capacity(1 << 16)
            .from_writer(writer);
        csv.write_record(DECISION_COLUMNS)?;
        Ok(Self {
            csv,
            numbers: String::with_capacity(64),
        })
    }

    /// One row. The claim id, which came from the claims file, is written through
    /// [`crate::cells::neutralise`] (a spreadsheet must not run it).
    pub fn write(&mut self, claim_id: &str, decision: &Decision) -> io::Result<()> {
        let claim_id = &*crate::cells::neutralise(claim_id);
        match decision {
            Decision::Rejected(reason) => {
                self.csv.write_record([
                    claim_id,
                    "rejected",
                    reason.code(),
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ])?;
            }
            Decision::Accepted(p) => {
                let n = &mut self.numbers;
                n.clear();
                let mut ends = [0usize; 6];
                for (i, v) in [
                    i64::from(p.rank),
                    p.tariff.0,
                    p.amo.0,
                    p.complementary.0,
                    p.state.0,
                    p.patient.0,
                ]
                .into_iter()
                .enumerate()
                {
                    let _ = write!(n, "{v}");
                    ends[i] = n.len();
                }
                let part = |i: usize| &n[if i == 0 { 0 } else { ends[i - 1] }..ends[i]];
                self.csv.write_record([
                    claim_id,
                    "accepted",
                    "",
                    part(0),
                    part(1),
                    part(2),
                    p.amo_payee.code(),
                    part(3),
                    p.complementary_payer.code(),
                    p.complementary_route.code(),
                    part(4),
                    part(5),
                ])?;
            }
        }
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        self.csv
            .into_inner()
            .map_err(|e| io::Error::other(e.error().to_string()))
    }
}

/// Writes the errors report: `line,column,message`.
pub struct ErrorReportWriter<W: Write> {
    csv: csv::Writer<W>,
}

impl<W: Write> ErrorReportWriter<W> {
    /// Writes the header row.
    pub fn new(writer: W) -> io::Result<Self> {
        let mut csv = csv::Writer::from_writer(writer);
        csv.write_record(ERROR_COLUMNS)?;
        Ok(Self { csv })
    }

    /// One row; column and message go through [`crate::cells::neutralise`].
    pub fn write(&mut self, error: &RowError) -> io::Result<()> {
        self.csv.write_record([
            error.line.to_string().as_str(),
            &crate::cells::neutralise(&error.column),
            &crate::cells::neutralise(&error.message),
        ])?;
        Ok(())
    }

    pub fn finish(self) -> io::Result<W> {
        self.csv
            .into_inner()
            .map_err(|e| io::Error::other(e.error().to_string()))
    }
}

/// One row of a decisions file, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRecord {
    pub claim_id: String,
    pub decision: Decision,
}

/// Reader of a decisions file (to compare runs).
pub type DecisionReader<R> = CsvReader<R, DecisionRecord>;

impl InputRecord for DecisionRecord {
    const FILE: &'static str = "decisions.csv";
    const COLUMNS: &'static [&'static str] = &DECISION_COLUMNS;

    fn from_row(row: &Row<'_>) -> Result<Self, RowError> {
        // Written through `cells::neutralise`: read back the original id.
        let claim_id = crate::cells::restore(row.required(0)?).to_string();
        let status = row.required(1)?;
        let decision = match status {
            "rejected" => {
                let reason = row
                    .code(2, "motif", "un code de rejet de la SPEC §7", Reason::parse)?
                    .ok_or_else(|| row.error(2, "motif obligatoire pour un rejet"))?;
                for col in 3..DECISION_COLUMNS.len() {
                    if !row.text(col)?.is_empty() {
                        return Err(row.error(col, "doit être vide pour un rejet"));
                    }
                }
                Decision::Rejected(reason)
            }
            "accepted" => {
                if !row.text(2)?.is_empty() {
                    return Err(row.error(2, "doit être vide pour une acceptation"));
                }
                let rank_text = row.required(3)?;
                let rank = rank_text.parse::<u32>().map_err(|_| {
                    row.error(
                        3,
                        format!(
                            "rang « {} » illisible : entier attendu",
                            crate::reader::shown(rank_text)
                        ),
                    )
                })?;
                let missing = |c: usize| row.error(c, "valeur obligatoire : la cellule est vide");
                Decision::Accepted(Payment {
                    rank,
                    tariff: row.cents(4)?,
                    amo: row.cents(5)?,
                    amo_payee: row
                        .code(6, "destinataire AMO", "psychologue, assure ou none", |c| {
                            AmoPayee::parse(c)
                        })?
                        .ok_or_else(|| missing(6))?,
                    complementary: row.cents(7)?,
                    complementary_payer: row
                        .code(8, "payeur complémentaire", "c2s, amc ou none", |c| {
                            ComplementaryPayer::parse(c)
                        })?
                        .ok_or_else(|| missing(8))?,
                    complementary_route: row
                        .code(
                            9,
                            "circuit complémentaire",
                            "tiers_payant, noemie, decompte ou none",
                            AmcRoute::parse,
                        )?
                        .ok_or_else(|| missing(9))?,
                    state: row.cents(10)?,
                    patient: row.cents(11)?,
                })
            }
            other => {
                return Err(row.error(
                    1,
                    format!(
                        "statut « {} » inconnu : accepted ou rejected attendu",
                        crate::reader::shown(other)
                    ),
                ));
            }
        };
        Ok(DecisionRecord { claim_id, decision })
    }
}
