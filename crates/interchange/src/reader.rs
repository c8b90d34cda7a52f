//! The generic CSV reader behind every input file: header check, column mapping, row decoding.

use crate::error::{FileError, ReadError, RowError};
use csv::{ByteRecord, StringRecord};
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
    /// Reused buffer (an `Option` so it can be moved into a `StringRecord` and back).
    record: Option<ByteRecord>,
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
                    message: format!("la colonne n° {} n’est pas en UTF-8", pos + 1),
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
            record: Some(ByteRecord::new()),
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
        let mut bytes = self.record.take().unwrap_or_default();
        let read = self.csv.read_byte_record(&mut bytes);
        let item = match read {
            Ok(true) => Some(self.decode(bytes)),
            Ok(false) => {
                self.record = Some(bytes);
                None
            }
            Err(e) => {
                self.record = Some(bytes);
                let line = e
                    .position()
                    .map_or(self.csv.position().line(), |p| p.line());
                Some(Err(ReadError::Fatal(FileError::Io {
                    file: T::FILE,
                    line,
                    message: e.to_string(),
                })))
            }
        };
        if !matches!(item, Some(Ok(_)) | Some(Err(ReadError::Row(_)))) {
            self.done = true;
        }
        item
    }
}

impl<R: Read, T: InputRecord> CsvReader<R, T> {
    /// Decodes one record; gives the buffer back for the next one.
    fn decode(&mut self, bytes: ByteRecord) -> Result<(u64, T), ReadError> {
        let start = bytes.position().map_or(0, |p| p.byte());
        let line = self.csv.get_mut().line_of_record_at(start);
        if bytes.len() != self.width {
            let error = RowError::new(
                line,
                "",
                format!(
                    "la ligne compte {} colonne(s) au lieu de {}",
                    bytes.len(),
                    self.width
                ),
            );
            self.record = Some(bytes);
            return Err(ReadError::Row(error));
        }
        // One UTF-8 validation for the whole record; cells are then plain `&str`.
        let result = match StringRecord::from_byte_record(bytes) {
            Ok(text) => {
                let row = Row {
                    cells: Cells::Text(&text),
                    map: &self.map,
                    columns: T::COLUMNS,
                    line,
                };
                let result = T::from_row(&row);
                self.record = Some(text.into_byte_record());
                result
            }
            Err(e) => {
                let bytes = e.into_byte_record();
                let row = Row {
                    cells: Cells::Bytes(&bytes),
                    map: &self.map,
                    columns: T::COLUMNS,
                    line,
                };
                let result = T::from_row(&row);
                self.record = Some(bytes);
                result
            }
        };
        result.map(|value| (line, value)).map_err(ReadError::Row)
    }
}

enum Cells<'a> {
    Text(&'a StringRecord),
    Bytes(&'a ByteRecord),
}

/// One row being decoded, seen by canonical column index.
pub struct Row<'a> {
    cells: Cells<'a>,
    map: &'a [usize],
    columns: &'static [&'static str],
    line: u64,
}

/// What a message shows instead of an echoed value that could hold a NIR.
pub const MASKED: &str = "valeur masquée : elle pourrait contenir un NIR";

/// A cell's value as a message may echo it: shortened, and masked when it could hold a NIR
/// (SPEC §2: no NIR in logs or reports, even typed into the wrong column).
pub fn shown(text: &str) -> String {
    const MAX: usize = 40;
    if msp_domain::ids::could_hold_nir(text) {
        return MASKED.to_string();
    }
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
        let at = self.map[col];
        match self.cells {
            Cells::Text(record) => Ok(record.get(at).unwrap_or("").trim()),
            Cells::Bytes(record) => std::str::from_utf8(record.get(at).unwrap_or(b""))
                .map(str::trim)
                .map_err(|_| self.error(col, "texte illisible : le fichier doit être en UTF-8")),
        }
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
/// skipped blank lines. This adapter keeps the bytes not yet accounted for, so the real first
/// byte of a record, and the number of line feeds before it, are known.
pub struct LineTracker<R> {
    inner: R,
    /// Bytes read from `inner` from offset `kept_from` on, in chunks.
    chunks: std::collections::VecDeque<Vec<u8>>,
    spare: Vec<Vec<u8>>,
    /// Bytes of the front chunk already accounted for.
    front_pos: usize,
    kept_from: u64,
    /// Line feeds before `kept_from`.
    line_feeds: u64,
}

impl<R: Read> LineTracker<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            chunks: std::collections::VecDeque::new(),
            spare: Vec::new(),
            front_pos: 0,
            kept_from: 0,
            line_feeds: 0,
        }
    }

    /// Editor line (from 1) of the record whose reading started at byte `start`.
    pub fn line_of_record_at(&mut self, start: u64) -> u64 {
        // Count the line feeds before `start` (previous records), then skip the line breaks csv
        // consumed before the record's first byte, counting them too.
        let mut pending = start.saturating_sub(self.kept_from);
        let mut in_breaks = false;
        while let Some(chunk) = self.chunks.front() {
            let rest = &chunk[self.front_pos..];
            let mut cut = pending.min(rest.len() as u64) as usize;
            if pending < rest.len() as u64 {
                in_breaks = true;
                while cut < rest.len() && matches!(rest[cut], b'\r' | b'\n') {
                    cut += 1;
                }
            }
            self.line_feeds += rest[..cut].iter().filter(|&&b| b == b'\n').count() as u64;
            self.kept_from += cut as u64;
            pending = pending.saturating_sub(cut as u64);
            if cut < rest.len() {
                self.front_pos += cut;
                break;
            }
            self.front_pos = 0;
            if let Some(mut done) = self.chunks.pop_front() {
                done.clear();
                self.spare.push(done);
            }
            if in_breaks {
                // The breaks may go on in the next chunk.
                pending = 0;
            }
        }
        self.line_feeds + 1
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            let mut chunk = self.spare.pop().unwrap_or_default();
            chunk.extend_from_slice(&buf[..n]);
            self.chunks.push_back(chunk);
        }
        Ok(n)
    }
}
