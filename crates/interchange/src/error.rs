//! Errors of the interchange files: fatal (the whole file is unreadable) and per row.

use std::fmt;

/// The whole file is unreadable: nothing in it may be used (SPEC §8). The message is French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The file is empty: not even a header row.
    #[error("{file} : fichier vide, une ligne d’en-tête est attendue ({expected})", expected = .expected.join(","))]
    Empty {
        file: &'static str,
        expected: Vec<&'static str>,
    },
    /// The header row does not name exactly the expected columns.
    #[error("{}", header_message(.file, .unknown, .missing, .duplicated, .expected))]
    Header {
        file: &'static str,
        unknown: Vec<String>,
        missing: Vec<&'static str>,
        duplicated: Vec<String>,
        expected: Vec<&'static str>,
    },
    /// The header row itself cannot be decoded.
    #[error("{file} : ligne d’en-tête illisible : {message}")]
    BadHeader { file: &'static str, message: String },
    /// Reading failed (disk, network, ...).
    #[error("{file} : lecture impossible (ligne {line}) : {message}")]
    Io {
        file: &'static str,
        line: u64,
        message: String,
    },
}

impl FileError {
    /// The usual name of the file the error is about (`claims.csv`).
    pub fn file(&self) -> &'static str {
        match self {
            FileError::Empty { file, .. }
            | FileError::Header { file, .. }
            | FileError::BadHeader { file, .. }
            | FileError::Io { file, .. } => file,
        }
    }

    /// The message without its leading « claims.csv : », for a caller that names the real path
    /// (`msp adjudicate /tmp/x.png` must say « /tmp/x.png : … »).
    pub fn detail(&self) -> String {
        let full = self.to_string();
        full.strip_prefix(self.file())
            .and_then(|rest| rest.strip_prefix(" : "))
            .map_or_else(|| full.clone(), str::to_owned)
    }
}

fn header_message(
    file: &str,
    unknown: &[String],
    missing: &[&str],
    duplicated: &[String],
    expected: &[&str],
) -> String {
    let mut parts = Vec::new();
    let list = |names: Vec<String>| names.join(", ");
    if !unknown.is_empty() {
        parts.push(format!(
            "colonne(s) inconnue(s) : {}",
            list(unknown.iter().map(|c| format!("« {c} »")).collect())
        ));
    }
    if !missing.is_empty() {
        parts.push(format!(
            "colonne(s) manquante(s) : {}",
            list(missing.iter().map(|c| format!("« {c} »")).collect())
        ));
    }
    if !duplicated.is_empty() {
        parts.push(format!(
            "colonne(s) en double : {}",
            list(duplicated.iter().map(|c| format!("« {c} »")).collect())
        ));
    }
    format!(
        "{file} : en-tête invalide, aucune ligne n’est lue : {} (colonnes attendues, dans un ordre quelconque : {})",
        parts.join(" ; "),
        expected.join(",")
    )
}

/// One unreadable row: its editor line number (the header is line 1), the column at fault (empty
/// when the row as a whole is wrong) and a French message. Other rows are still read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub message: String,
}

impl RowError {
    pub fn new(line: u64, column: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            line,
            column: column.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            write!(f, "ligne {} : {}", self.line, self.message)
        } else {
            write!(
                f,
                "ligne {}, colonne {} : {}",
                self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for RowError {}

/// What a streaming reader yields besides good rows: a bad row (keep reading) or a fatal error
/// (stop: the file as a whole must not be used).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Row(RowError),
    #[error("{0}")]
    Fatal(FileError),
}

impl From<RowError> for ReadError {
    fn from(e: RowError) -> Self {
        ReadError::Row(e)
    }
}

impl From<FileError> for ReadError {
    fn from(e: FileError) -> Self {
        ReadError::Fatal(e)
    }
}
