//! Interchange files of Mon soutien psy (SPEC §8): readers of the six input files, writers of the
//! decisions file and of the errors report, and a deterministic synthetic data generator.
//!
//! Pure: no database, no clock. Readers are generic over [`std::io::Read`], writers over
//! [`std::io::Write`]. Every message meant for people is in French.
//!
//! ```no_run
//! use msp_interchange::{ClaimReader, ReadError};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let file = std::fs::File::open("claims.csv")?;
//! for item in ClaimReader::new(std::io::BufReader::new(file))? {
//!     match item {
//!         Ok((line, claim)) => { let _ = (line, claim); }
//!         Err(ReadError::Row(bad)) => eprintln!("{bad}"),
//!         Err(ReadError::Fatal(fatal)) => return Err(fatal.into()),
//!     }
//! }
//! # Ok(()) }
//! ```

pub mod cells;
pub mod controls;
pub mod decisions;
pub mod error;
pub mod reader;
pub mod records;
pub mod rpps_extract;
pub mod synth;

pub use decisions::{
    DECISION_COLUMNS, DecisionReader, DecisionRecord, DecisionWriter, ERROR_COLUMNS,
    ErrorReportWriter,
};
pub use error::{FileError, ReadError, RowError};
pub use reader::{BomSkip, CsvReader, InputRecord, Parsed, Row};
pub use records::{
    BeneficiaryReader, ClaimReader, ConventionReader, ExclusionReader, RegistryReader,
    SuspensionReader,
};
