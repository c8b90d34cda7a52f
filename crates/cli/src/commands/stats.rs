//! `msp stats`, `msp demo --size …` and `msp compare`: statistics of SPEC §11, the
//! national-scale demo and the published figures beside the computed ones.

use crate::cli::Outcome;
use msp_domain::{Date, Rules};
use msp_stats::demo::{DemoConfig, Size};
use msp_stats::{Scope, export, published};
use msp_store::{Db, migrate};
use std::io::Write;
use std::time::Instant;

/// Today's date in Paris: the default "as of" (the CLI is the edge where the clock is read).
pub fn today() -> Date {
    jiff::Zoned::now()
        .in_tz("Europe/Paris")
        .map_or_else(|_| jiff::Zoned::now().date(), |z| z.date())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
    /// The statistics page as a standalone HTML file.
    Html,
}

pub fn run(
    db_url: &str,
    rules: &Rules,
    as_of: Option<Date>,
    format: Format,
    scope: &str,
    unmasked: bool,
) -> anyhow::Result<Outcome> {
    let scope = Scope::parse(scope).map_err(anyhow::Error::msg)?;
    let mut db = Db::connect(db_url)?;
    migrate(&mut db)?;
    let as_of = as_of.unwrap_or_else(today);
    let started = Instant::now();
    let stats = msp_stats::load(&mut db, rules, as_of, &scope)?;
    let text = match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&export::to_json(&stats, !unmasked))?;
            s.push('\n');
            s
        }
        Format::Csv => export::to_csv(&stats),
        Format::Html => {
            msp_stats::dashboard::dashboard_html(&stats, msp_stats::dashboard::Styles::Inline)
        }
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    eprintln!(
        "statistiques au {as_of} ({}) calculées en {:.0} ms",
        stats.scope_label,
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(Outcome::Complete)
}

pub fn demo(
    db_url: &str,
    rules: &Rules,
    size: Size,
    seed: u64,
    as_of: Option<Date>,
) -> anyhow::Result<Outcome> {
    let today = as_of.unwrap_or_else(today);
    let mut db = Db::connect(db_url)?;
    let config = DemoConfig {
        seed,
        scale: size.scale(),
        today,
    };
    eprintln!(
        "Démonstration {size:?} (graine {seed}, jusqu’au {today}) dans {} :",
        redact(db_url)
    );
    let started = Instant::now();
    let summary = msp_stats::demo::run(&mut db, rules, &config, &|line| eprintln!("  {line}"))?;
    let solving = Instant::now();
    let m = msp_stats::publication::prepare(&mut db, rules)?;
    eprintln!(
        "  secret statistique : {:.1} s, {} cellules dont {} sous le seuil et {} secrètes par complément",
        solving.elapsed().as_secs_f64(),
        m.cells,
        m.primary,
        m.complementary
    );
    eprintln!(
        "Terminé en {:.1} s : {} lots, {} demandes, {} acceptées, {} rejetées.",
        started.elapsed().as_secs_f64(),
        summary.batches,
        summary.claims,
        summary.accepted,
        summary.claims - summary.accepted
    );
    Ok(Outcome::Complete)
}

pub fn compare(db_url: &str, rules: &Rules, format: Format) -> anyhow::Result<Outcome> {
    let mut db = Db::connect(db_url)?;
    migrate(&mut db)?;
    msp_stats::refresh(&mut db)?;
    let figures = published::parse(published::PUBLISHED_CSV);
    let rows = published::compare(&mut db, rules, &figures)?;
    let text = match format {
        Format::Json | Format::Html => serde_json::to_string_pretty(&rows)? + "\n",
        Format::Csv => {
            let mut s = String::from("as_of,figure,scope,published,computed,gap,ok,note\n");
            for r in &rows {
                s.push_str(&format!(
                    "{},{},\"{}\",{},{},{},{},\"{}\"\n",
                    r.published.as_of,
                    r.published.figure,
                    r.published.scope,
                    r.published.value,
                    r.computed.map_or(String::new(), |v| format!("{v:.4}")),
                    r.gap.map_or(String::new(), |g| format!("{g:.4}")),
                    u8::from(r.ok),
                    r.note.replace('"', "\"\"")
                ));
            }
            s
        }
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(Outcome::Complete)
}

/// The comparison as a readable table (default output of `msp compare`).
pub fn compare_text(db_url: &str, rules: &Rules) -> anyhow::Result<Outcome> {
    let mut db = Db::connect(db_url)?;
    migrate(&mut db)?;
    msp_stats::refresh(&mut db)?;
    let figures = published::parse(published::PUBLISHED_CSV);
    let rows = published::compare(&mut db, rules, &figures)?;
    print!("{}", published::render_text(&rows));
    Ok(Outcome::Complete)
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_owned(),
    }
}
