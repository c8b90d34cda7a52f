//! Reading input files and writing outputs whole or not at all.

use msp_interchange::{CsvReader, InputRecord, Parsed, RowError};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

/// An I/O error in French, for a sentence that already names the file.
pub fn io_message(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "fichier ou répertoire introuvable".into(),
        ErrorKind::PermissionDenied => "accès refusé".into(),
        ErrorKind::AlreadyExists => "existe déjà".into(),
        ErrorKind::IsADirectory => "c’est un répertoire, pas un fichier".into(),
        ErrorKind::NotADirectory => "un élément du chemin n’est pas un répertoire".into(),
        ErrorKind::ReadOnlyFilesystem => "système de fichiers en lecture seule".into(),
        ErrorKind::StorageFull => "disque plein".into(),
        ErrorKind::InvalidData => "contenu illisible (le fichier doit être en UTF-8)".into(),
        ErrorKind::UnexpectedEof => "fin de fichier inattendue".into(),
        ErrorKind::Interrupted => "lecture interrompue".into(),
        _ => match e.raw_os_error() {
            Some(code) => format!("erreur du système (code {code})"),
            None => "erreur d’entrée-sortie".into(),
        },
    }
}

/// « CHEMIN : raison », for an I/O error on `path`.
pub fn io_error(path: &Path, e: &std::io::Error) -> anyhow::Error {
    anyhow::anyhow!("{} : {}", path.display(), io_message(e))
}

/// Reads a whole interchange file; a fatal error (unreadable header, missing file) is an `Err`
/// naming the path given (not the file's usual name).
pub fn read_all<T: InputRecord>(path: &Path) -> anyhow::Result<Parsed<T>> {
    let file = File::open(path).map_err(|e| io_error(path, &e))?;
    let named =
        |e: msp_interchange::FileError| anyhow::anyhow!("{} : {}", path.display(), e.detail());
    let reader = CsvReader::<_, T>::new(BufReader::with_capacity(1 << 20, file)).map_err(named)?;
    reader.read_all().map_err(named)
}

/// Fails unless `path` can be written (its directory exists and takes a new file), without
/// leaving anything behind: checked before a batch commits, so that a bad `--out` or `--errors`
/// never leaves a committed batch without its files.
pub fn check_writable(path: &Path) -> anyhow::Result<()> {
    let probe = path.with_extension("partial");
    File::create(&probe).map_err(|e| io_error(path, &e))?;
    let _ = std::fs::remove_file(&probe);
    if path.is_dir() {
        anyhow::bail!("{} : c’est un répertoire, pas un fichier", path.display());
    }
    Ok(())
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
                    File::create(&tmp).map_err(|e| io_error(p, &e))?,
                );
                fill(&mut out)?;
                out.flush()?;
                out.get_ref().sync_all()?;
            }
            std::fs::rename(&tmp, p).map_err(|e| io_error(p, &e))?;
        }
    }
    Ok(())
}

/// Reports unreadable rows: to a file (`line,column,message`) or, without one, on stderr.
/// Messages go through [`msp_store::batch_errors::safe_message`], as on the web: no NIR, nor part
/// of one, even typed into the wrong column (SPEC §2).
pub fn report_errors(errors: &[RowError], path: Option<&Path>) -> anyhow::Result<()> {
    let errors: Vec<RowError> = errors
        .iter()
        .map(|e| {
            RowError::new(
                e.line,
                e.column.clone(),
                msp_store::batch_errors::safe_message(&e.column, &e.message),
            )
        })
        .collect();
    match path {
        Some(p) => write_output(Some(p), |w| {
            let mut report = msp_interchange::ErrorReportWriter::new(w)?;
            for e in &errors {
                report.write(e)?;
            }
            report.finish().map(|_| ())
        }),
        None => {
            for e in errors.iter().take(50) {
                eprintln!("{e}");
            }
            if errors.len() > 50 {
                let more = (errors.len() - 50) as u64;
                eprintln!(
                    "… et {} (utiliser --errors FICHIER)",
                    msp_domain::french::count(
                        more,
                        "autre ligne illisible",
                        "autres lignes illisibles"
                    )
                );
            }
            Ok(())
        }
    }
}
