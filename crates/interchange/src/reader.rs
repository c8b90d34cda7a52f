//! The generic CSV reader behind every input file: header check, column mapping, row decoding.

use crate::error::{FileError, ReadError, RowError};
use csv::ByteRecord;
use msp_domain::dates::{Date, Period, parse_iso};
use msp_domain::{Cents, Nir, Rpps};
use std::io::{self, Read};
use std::marker::PhantomData;

/// A record type read from one of the interchange files.
pub trait InputRecord: Sized {
    /// File name used in messages, e.g. `claims.csv`.
    const FILE: &'static str;
    /// Column names, canonical order; a file may list them in any order.
    const COLUMNS: &'static [&'static str];
    /// Decodes one row; `row` gives cells by canonical column index.
    fn from_row(row: &Row<'_>) -> Result<Self, RowError>;
}

/// Everything a file held: good rows with their line numbers, and bad rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    pub rows: Vec<(u64, T)>,
    pub errors: Vec<RowError>,
}

/// Streaming reader of one interchange file. Build it with [`CsvReader::new`] (which checks the
/// header), then iterate: each item is a good row with its editor line number, a bad row
/// ([`ReadError::Row`], keep going) or a fatal error ([`ReadError::Fatal`], the last item).
pub struct CsvReader<R: Read, T: InputRecord> {
    csv: csv::Reader<LineTracker<BomSkip<R>>>,
    record: ByteRecord,
    /// `map[canonical column] = position in the file`.
    map: Vec<usize>,
    width: usize,
    done: bool,
    _record: PhantomData<fn() -> T>,
}

impl<R: Read, T: InputRecord> CsvReader<R, T> {
    /// Reads and checks the header row. Unknown, missing or duplicated columns make the whole
    /// file unreadable.
    pub fn new(reader: R) -> Result<Self, FileError> {
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(LineTracker::new(BomSkip::new(reader)));
        let mut header = ByteRecord::new();
        let expected = || T::COLUMNS.to_vec();
        match csv.read_byte_record(&mut header) {
            Ok(true) => {}
            Ok(false) => {
                return Err(FileError::Empty {
                    file: T::FILE,
                    expected: expected(),
                });
            }
            Err(e) => {
                return Err(FileError::Io {
                    file: T::FILE,
                    line: 1,
                    message: e.to_string(),
                });
            }
        }
        let mut map = vec![usize::MAX; T::COLUMNS.len()];
        let (mut unknown, mut duplicated) = (Vec::new(), Vec::new());
        for (pos, cell) in header.iter().enumerate() {
            let name = std::str::from_utf8(cell)
                .map_err(|_| FileError::BadHeader {
                    file: T::FILE,
                    message: format!("la colonne n° {} n'est pas en UTF-8", pos + 1),
                })?
                .trim();
            match T::COLUMNS.iter().position(|c| c.eq_ignore_ascii_case(name)) {
                None => unknown.push(name.to_string()),
                Some(i) if map[i] != usize::MAX => {
                    if !duplicated.iter().any(|d: &String| d == T::COLUMNS[i]) {
                        duplicated.push(T::COLUMNS[i].to_string());
                    }
                }
                Some(i) => map[i] = pos,
            }
        }
        let missing: Vec<&'static str> = T::COLUMNS
            .iter()
            .zip(&map)
            .filter(|(_, pos)| **pos == usize::MAX)
            .map(|(c, _)| *c)
            .collect();
        if !unknown.is_empty() || !missing.is_empty() || !duplicated.is_empty() {
            return Err(FileError::Header {
                file: T::FILE,
                unknown,
                missing,
                duplicated,
                expected: expected(),
            });
        }
        Ok(Self {
            csv,
            record: ByteRecord::new(),
            width: header.len(),
            map,
            done: false,
            _record: PhantomData,
        })
    }

    /// Reads the whole file into memory.
    pub fn read_all(self) -> Result<Parsed<T>, FileError> {
        let mut parsed = Parsed {
            rows: Vec::new(),
            errors: Vec::new(),
        };
        for item in self {
            match item {
                Ok(row) => parsed.rows.push(row),
                Err(ReadError::Row(e)) => parsed.errors.push(e),
                Err(ReadError::Fatal(e)) => return Err(e),
            }
        }
        Ok(parsed)
    }
}

impl<R: Read, T: InputRecord> Iterator for CsvReader<R, T> {
    type Item = Result<(u64, T), ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.csv.read_byte_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                self.done = true;
                let line = e
                    .position()
                    .map_or(self.csv.position().line(), |p| p.line());
                return Some(Err(ReadError::Fatal(FileError::Io {
                    file: T::FILE,
                    line,
                    message: e.to_string(),
                })));
            }
        }
        let start = self.record.position().map_or(0, |p| p.byte());
        let line = self.csv.get_mut().line_of_record_at(start);
        if self.record.len() != self.width {
            return Some(Err(ReadError::Row(RowError::new(
                line,
                "",
                format!(
                    "la ligne compte {} colonne(s) au lieu de {}",
                    self.record.len(),
                    self.width
                ),
            ))));
        }
        let row = Row {
            record: &self.record,
            map: &self.map,
            columns: T::COLUMNS,
            line,
        };
        Some(match T::from_row(&row) {
            Ok(value) => Ok((line, value)),
            Err(e) => Err(ReadError::Row(e)),
        })
    }
}

/// One row being decoded, seen by canonical column index.
pub struct Row<'a> {
    record: &'a ByteRecord,
    map: &'a [usize],
    columns: &'static [&'static str],
    line: u64,
}

/// Shortens a value echoed in a message.
pub(crate) fn shown(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

const DATE_HINT: &str = "format AAAA-MM-JJ attendu";

impl<'a> Row<'a> {
    /// Editor line number of the row.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// An error about column `col`.
    pub fn error(&self, col: usize, message: impl Into<String>) -> RowError {
        RowError::new(self.line, self.columns[col], message)
    }

    /// The trimmed text of a cell (possibly empty).
    pub fn text(&self, col: usize) -> Result<&'a str, RowError> {
        let raw = &self.record[self.map[col]];
        std::str::from_utf8(raw)
            .map(str::trim)
            .map_err(|_| self.error(col, "texte illisible : le fichier doit être en UTF-8"))
    }

    /// The cell's text, `None` when empty.
    pub fn optional(&self, col: usize) -> Result<Option<&'a str>, RowError> {
        self.text(col).map(|t| (!t.is_empty()).then_some(t))
    }

    /// The cell's text; an empty cell is an error.
    pub fn required(&self, col: usize) -> Result<&'a str, RowError> {
        self.optional(col)?
            .ok_or_else(|| self.error(col, "valeur obligatoire : la cellule est vide"))
    }

    pub fn nir(&self, col: usize) -> Result<Nir, RowError> {
        Nir::parse(self.required(col)?).map_err(|e| self.error(col, e.to_string()))
    }

    pub fn rpps(&self, col: usize) -> Result<Rpps, RowError> {
        Rpps::parse(self.required(col)?).map_err(|e| self.error(col, e.to_string()))
    }

    fn parse_date(&self, col: usize, text: &str) -> Result<Date, RowError> {
        parse_iso(text).ok_or_else(|| {
            let b = text.as_bytes();
            let layout = b.len() == 10
                && b.iter().enumerate().all(|(i, c)| {
                    if i == 4 || i == 7 {
                        *c == b'-'
                    } else {
                        c.is_ascii_digit()
                    }
                });
            let what = if layout { "impossible" } else { "illisible" };
            self.error(
                col,
                format!("date « {} » {what} : {DATE_HINT}", shown(text)),
            )
        })
    }

    pub fn date(&self, col: usize) -> Result<Date, RowError> {
        let text = self.required(col)?;
        self.parse_date(col, text)
    }

    pub fn optional_date(&self, col: usize) -> Result<Option<Date>, RowError> {
        match self.optional(col)? {
            None => Ok(None),
            Some(t) => self.parse_date(col, t).map(Some),
        }
    }

    /// Euros with at most two decimals.
    pub fn amount(&self, col: usize) -> Result<Cents, RowError> {
        let text = self.required(col)?;
        Cents::parse_euros(text).map_err(|e| self.error(col, e.to_string()))
    }

    /// Integer cents (output files).
    pub fn cents(&self, col: usize) -> Result<Cents, RowError> {
        let text = self.required(col)?;
        text.parse::<i64>().map(Cents).map_err(|_| {
            self.error(
                col,
                format!(
                    "montant « {} » illisible : un nombre entier de centimes est attendu",
                    shown(text)
                ),
            )
        })
    }

    /// `0`/`1`; an empty cell is `false`.
    pub fn boolean(&self, col: usize) -> Result<bool, RowError> {
        match self.text(col)? {
            "" | "0" => Ok(false),
            "1" => Ok(true),
            other => Err(self.error(
                col,
                format!("valeur « {} » invalide : 0 ou 1 attendu", shown(other)),
            )),
        }
    }

    /// A coded value, decoded by `parse`; `expected` lists the allowed codes in the message.
    pub fn code<V>(
        &self,
        col: usize,
        what: &str,
        expected: &str,
        parse: impl Fn(&str) -> Option<V>,
    ) -> Result<Option<V>, RowError> {
        match self.optional(col)? {
            None => Ok(None),
            Some(t) => parse(t).map(Some).ok_or_else(|| {
                self.error(
                    col,
                    format!("{what} « {} » inconnu : {expected} attendu", shown(t)),
                )
            }),
        }
    }

    /// An inclusive period from two columns. A `to` without a `from` is an error, as is a `to`
    /// before the `from`. With `required`, an empty `from` is an error too.
    pub fn period(
        &self,
        from_col: usize,
        to_col: usize,
        required: bool,
    ) -> Result<Option<Period>, RowError> {
        let from = if required {
            Some(self.date(from_col)?)
        } else {
            self.optional_date(from_col)?
        };
        let to = self.optional_date(to_col)?;
        match (from, to) {
            (None, None) => Ok(None),
            (None, Some(to)) => Err(self.error(
                to_col,
                format!(
                    "date de fin {to} sans date de début : {} est vide",
                    self.columns[from_col]
                ),
            )),
            (Some(from), Some(to)) if to < from => Err(self.error(
                to_col,
                format!(
                    "date de fin {to} antérieure à la date de début {from} ({})",
                    self.columns[from_col]
                ),
            )),
            (Some(from), to) => Ok(Some(Period::new(from, to))),
        }
    }
}

/// Skips a UTF-8 byte order mark at the very start of a stream.
pub struct BomSkip<R> {
    inner: R,
    /// Bytes read while looking for the BOM, still to hand out.
    pending: [u8; 3],
    start: usize,
    end: usize,
    checked: bool,
}

impl<R: Read> BomSkip<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            pending: [0; 3],
            start: 0,
            end: 0,
            checked: false,
        }
    }
}

impl<R: Read> Read for BomSkip<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.checked {
            self.checked = true;
            let mut n = 0;
            while n < 3 {
                match self.inner.read(&mut self.pending[n..]) {
                    Ok(0) => break,
                    Ok(k) => n += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            self.end = n;
            if n == 3 && self.pending == [0xEF, 0xBB, 0xBF] {
                self.start = 3;
            }
        }
        if self.start < self.end {
            let k = (self.end - self.start).min(buf.len());
            buf[..k].copy_from_slice(&self.pending[self.start..self.start + k]);
            self.start += k;
            return Ok(k);
        }
        self.inner.read(buf)
    }
}

/// Finds editor line numbers of records. The csv crate reports a record's position where it
/// resumed reading, which is before the previous line's `\n` with CRLF endings, and before any
/// skipped blank lines. This adapter notes where every `\r` and `\n` is, so the real first byte
/// of a record, and the number of line feeds before it, are known.
pub struct LineTracker<R> {
    inner: R,
    /// Offsets of the `\r` and `\n` bytes not yet passed: `offset << 1 | is_line_feed`.
    breaks: std::collections::VecDeque<u64>,
    offset: u64,
    line_feeds: u64,
}

impl<R: Read> LineTracker<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            breaks: std::collections::VecDeque::new(),
            offset: 0,
            line_feeds: 0,
        }
    }

    /// Editor line (from 1) of the record whose reading started at byte `start`.
    pub fn line_of_record_at(&mut self, start: u64) -> u64 {
        let mut pos = start;
        while let Some(&entry) = self.breaks.front() {
            let at = entry >> 1;
            if at > pos {
                break;
            }
            if at == pos {
                pos += 1;
            }
            self.line_feeds += entry & 1;
            self.breaks.pop_front();
        }
        self.line_feeds + 1
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                self.breaks
                    .push_back(((self.offset + i as u64) << 1) | u64::from(b == b'\n'));
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}
