//! Reading input files and writing outputs whole or not at all.

use anyhow::Context;
use msp_interchange::{CsvReader, InputRecord, Parsed, RowError};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

/// Reads a whole interchange file; a fatal error (unreadable header, missing file) is an `Err`.
pub fn read_all<T: InputRecord>(path: &Path) -> anyhow::Result<Parsed<T>> {
    let file =
        File::open(path).with_context(|| format!("impossible d'ouvrir {}", path.display()))?;
    let reader = CsvReader::<_, T>::new(BufReader::with_capacity(1 << 20, file))?;
    Ok(reader.read_all()?)
}

/// Writes to `path` through a temporary file renamed at the end, so a reader never sees a
/// half-written file; `None` writes to stdout.
pub fn write_output(
    path: Option<&Path>,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    match path {
        None => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            fill(&mut out)?;
            out.flush()?;
        }
        Some(p) => {
            let tmp = p.with_extension("partial");
            {
                let mut out = BufWriter::with_capacity(
                    1 << 20,
                    File::create(&tmp)
                        .with_context(|| format!("impossible d'écrire {}", tmp.display()))?,
                );
                fill(&mut out)?;
                out.flush()?;
                out.get_ref().sync_all()?;
            }
            std::fs::rename(&tmp, p)
                .with_context(|| format!("impossible d'écrire {}", p.display()))?;
        }
    }
    Ok(())
}

/// Reports unreadable rows: to a file (`line,column,message`) or, without one, on stderr.
pub fn report_errors(errors: &[RowError], path: Option<&Path>) -> anyhow::Result<()> {
    match path {
        Some(p) => write_output(Some(p), |w| {
            let mut report = msp_interchange::ErrorReportWriter::new(w)?;
            for e in errors {
                report.write(e)?;
            }
            report.finish().map(|_| ())
        }),
        None => {
            for e in errors.iter().take(50) {
                eprintln!("{e}");
            }
            if errors.len() > 50 {
                eprintln!(
                    "… et {} autres lignes illisibles (utiliser --errors FICHIER)",
                    errors.len() - 50
                );
            }
            Ok(())
        }
    }
}
