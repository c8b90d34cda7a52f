//! The public statistics page, in French: key figures, monthly charts, sessions per patient and
//! a map of France by département. Charts and map are SVG drawn here, server-side, each with a
//! text alternative and the numbers in a table beside it. Counts from 1 to 10 are masked.
//!
//! No inline style: colours are SVG presentation attributes and the rest is in
//! [`DASHBOARD_CSS`], so the page works under a `style-src 'self'` policy when the CSS is
//! served as a file (or inlined for a standalone file with [`Styles::Inline`]).

use crate::compute::{Area, Stats};
use crate::publication::{Cell, mask_text};
use crate::refresh::AGE_BAND_LABELS;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use msp_domain::french;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// The outlines of the départements, DROM moved as insets (shipped in `data/`).
const GEOJSON: &str = include_str!("../../../data/departements_dashboard.geojson");

/// Styles of the page.
pub const DASHBOARD_CSS: &str = include_str!("dashboard.css");

/// How the page gets its styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Styles<'a> {
    /// `<link rel="stylesheet">` to these addresses (the web server).
    Links(&'a [&'a str]),
    /// A `<style>` element (a standalone file).
    Inline,
}

/// `1234567` → `1 234 567` (narrow no-break spaces).
pub fn fr_int(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// One of the key figures; a share, mean or amount left out says why beside it.
fn key_figure(value: &str, label: &str, why: Option<&str>) -> Markup {
    html! {
        li {
            span class="value" { (value) } span class="label" { (label) }
            @if let Some(why) = why.filter(|_| value == UNPUBLISHED) {
                span class="label" { "(" (why) ")" }
            }
        }
    }
}

/// Why a share or mean of `terms` is not published: a masked term, or a base of zero.
fn why_not(stats: &Stats, terms: &[(&str, i64)]) -> &'static str {
    if stats.secrecy.clear(terms) {
        "sans objet : aucun cas sur ce périmètre"
    } else {
        MASKED_TERM
    }
}

const MASKED_TERM: &str = "non publié : l’un de ses deux termes est masqué";

/// A share, mean or amount that is not published (a masked term, or a base of zero).
const UNPUBLISHED: &str = "—";

/// A count as shown to the public: `<11`, « secret » or the number with separators.
fn shown(c: Cell) -> String {
    match c {
        Cell::Value(n) => fr_int(n),
        Cell::Masked(s) => mask_text(s).to_owned(),
    }
}

fn fr_dec(v: f64, decimals: usize) -> String {
    format!("{v:.decimals$}").replace('.', ",")
}

fn pct(v: Option<f64>) -> String {
    v.map_or(UNPUBLISHED.into(), |v| {
        format!("{}\u{a0}%", fr_dec(v * 100.0, 1))
    })
}

fn euros(cents: i64) -> String {
    format!("{}\u{a0}€", fr_int((cents + 50) / 100))
}

fn date_fr(d: msp_domain::Date) -> String {
    format!(
        "{} {} {}",
        french::day_of_month(d.day()),
        french::month_name(d.month()),
        d.year()
    )
}

fn month_label(y: i16, m: i8) -> String {
    format!("{} {y}", french::month_name(m))
}

/// A vertical bar chart with its text alternative. `bars`: (label, value, masked label).
fn bar_chart(
    id: &str,
    title: &str,
    desc: &str,
    bars: &[(String, Cell)],
    tick_every: usize,
) -> Markup {
    let (w, h, left, bottom, top) = (720.0, 260.0, 56.0, 36.0, 12.0);
    // A masked bar is drawn empty: its height would give the count away.
    let max = bars
        .iter()
        .filter_map(|b| b.1.value())
        .max()
        .unwrap_or(0)
        .max(1);
    let step = nice_step(max as f64 / 4.0);
    let top_value = (max as f64 / step).ceil() * step;
    let plot_w = w - left - 8.0;
    let plot_h = h - bottom - top;
    let bw = plot_w / bars.len().max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-t {id}-d" class="chart" preserveAspectRatio="xMidYMid meet"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        esc(title),
        esc(desc)
    );
    let mut v = 0.0;
    while v <= top_value + 0.5 {
        let y = top + plot_h - v / top_value * plot_h;
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#d0d0d0" stroke-width="1"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#333">{}</text>"##,
            w - 8.0,
            left - 6.0,
            y + 4.0,
            fr_int(v as i64)
        );
        v += step;
    }
    // Labels centred under their bar, never closer than their own width (≈ 6.2 px a
    // character at 11 px): « octobre 2022 » and « avril 2023 » must not run together.
    let widest = bars.iter().map(|b| b.0.chars().count()).max().unwrap_or(0) as f64 * 6.2 + 10.0;
    let every = if tick_every == 0 {
        0
    } else {
        tick_every.max((widest / bw).ceil() as usize)
    };
    for (i, (label, value)) in bars.iter().enumerate() {
        let bh = (value.value().unwrap_or(0) as f64 / top_value * plot_h).max(0.0);
        let x = left + i as f64 * bw;
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{bh:.1}" fill="#1f5fa8"><title>{} : {}</title></rect>"##,
            x + bw * 0.12,
            top + plot_h - bh,
            (bw * 0.76).max(1.0),
            esc(label),
            shown(*value)
        );
        if let Cell::Masked(_) = value {
            // A masked figure is marked, not drawn as an empty bar that reads as zero.
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#555">{}<title>{} : {} (secret statistique)</title></text>"##,
                x + bw / 2.0,
                top + plot_h - 4.0,
                if bw >= 34.0 { "secret" } else { "s" },
                esc(label),
                shown(*value)
            );
        }
        if every > 0 && i % every == 0 {
            let centre = x + bw / 2.0;
            let half = label.chars().count() as f64 * 3.1;
            let (at, anchor) = if centre + half > w - 4.0 {
                (w - 4.0, "end")
            } else if centre - half < left - 4.0 {
                (left - 4.0, "start")
            } else {
                (centre, "middle")
            };
            let _ = write!(
                svg,
                r##"<text x="{at:.1}" y="{}" font-size="11" text-anchor="{anchor}" fill="#333">{}</text>"##,
                h - bottom + 16.0,
                esc(label)
            );
        }
    }
    svg.push_str("</svg>");
    html! { (PreEscaped(svg)) }
}

fn nice_step(raw: f64) -> f64 {
    if raw <= 1.0 {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Projected outlines: (code, name, SVG path).
type Outlines = (Vec<(String, String, String)>, f64, f64);

fn outlines() -> &'static Outlines {
    static CELL: OnceLock<Outlines> = OnceLock::new();
    CELL.get_or_init(|| {
        let json: serde_json::Value = serde_json::from_str(GEOJSON).unwrap_or_default();
        let features = json["features"].as_array().cloned().unwrap_or_default();
        let rings_of = |geometry: &serde_json::Value| -> Vec<Vec<(f64, f64)>> {
            let coords = &geometry["coordinates"];
            let polygons: Vec<&serde_json::Value> = match geometry["type"].as_str() {
                Some("Polygon") => vec![coords],
                Some("MultiPolygon") => coords
                    .as_array()
                    .map(|a| a.iter().collect())
                    .unwrap_or_default(),
                _ => vec![],
            };
            polygons
                .into_iter()
                .flat_map(|p| p.as_array().cloned().unwrap_or_default())
                .map(|ring| {
                    ring.as_array()
                        .map(|pts| {
                            pts.iter()
                                .filter_map(|pt| Some((pt[0].as_f64()?, pt[1].as_f64()?)))
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect()
        };
        let (mut min_x, mut max_x, mut min_y, mut max_y) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        let k = (46.5f64).to_radians().cos();
        for f in &features {
            for ring in rings_of(&f["geometry"]) {
                for (lon, lat) in ring {
                    min_x = min_x.min(lon * k);
                    max_x = max_x.max(lon * k);
                    min_y = min_y.min(lat);
                    max_y = max_y.max(lat);
                }
            }
        }
        let width = 560.0;
        let scale = width / (max_x - min_x);
        let height = (max_y - min_y) * scale;
        let mut out = Vec::new();
        for f in &features {
            let props = &f["properties"];
            let code = props["code"].as_str().unwrap_or("").to_owned();
            let name = props["nom"].as_str().unwrap_or("").to_owned();
            let mut d = String::new();
            for ring in rings_of(&f["geometry"]) {
                let mut last: Option<(f64, f64)> = None;
                let mut n = 0;
                for (lon, lat) in &ring {
                    let x = (lon * k - min_x) * scale;
                    let y = (max_y - lat) * scale;
                    if let Some((lx, ly)) = last
                        && (x - lx).abs() < 0.7
                        && (y - ly).abs() < 0.7
                    {
                        continue;
                    }
                    let _ = write!(d, "{}{x:.1} {y:.1}", if n == 0 { "M" } else { "L" });
                    last = Some((x, y));
                    n += 1;
                }
                if n > 0 {
                    d.push('Z');
                }
            }
            out.push((code, name, d));
        }
        (out, width, height)
    })
}

/// Colour classes of the share of conventioned psychologists.
const CLASSES: [(f64, &str, &str); 5] = [
    (0.06, "#c6dbef", "moins de 6 %"),
    (0.09, "#9ecae1", "de 6 à 9 %"),
    (0.12, "#6baed6", "de 9 à 12 %"),
    (0.15, "#3182bd", "de 12 à 15 %"),
    (f64::MAX, "#08519c", "15 % ou plus"),
];
/// White (outlined), far from the lightest class: « aucun psychologue » must not read as « peu ».
const NO_DATA: &str = "#ffffff";
/// A share not published (its terms are masked): grey, unlike any class.
const MASKED: &str = "#bdbdbd";

fn colour(share: Option<f64>) -> &'static str {
    share.map_or(NO_DATA, |s| {
        CLASSES.iter().find(|c| s < c.0).map_or(NO_DATA, |c| c.1)
    })
}

fn map(stats: &Stats) -> Markup {
    let (shapes, w, h) = outlines();
    let by_code: std::collections::HashMap<&str, &Area> = stats
        .departements
        .iter()
        .map(|a| (a.code.as_str(), a))
        .collect();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg viewBox="0 0 {w:.0} {h:.0}" role="img" aria-labelledby="carte-t carte-d" class="map"><title id="carte-t">Part des psychologues libéraux ou mixtes conventionnés, par département</title><desc id="carte-d">Carte de France par département, les départements d’outre-mer en médaillons à gauche. Plus la couleur est foncée, plus la part est élevée. Les valeurs exactes sont dans le tableau qui suit la carte.</desc>"#
    );
    for (code, name, d) in shapes {
        let area = by_code.get(code.as_str());
        if !stats.scope.includes(code) {
            let _ = write!(
                svg,
                r##"<path d="{d}" fill="#fafafa" stroke="#c8c8c8" stroke-width="0.4"/>"##
            );
            continue;
        }
        let share = area.and_then(|a| {
            let k = |f: &str| format!("departement:{}:{f}", a.code);
            stats.ratio(
                a.share_conventioned,
                &[
                    (&k("conventioned_liberal"), a.conventioned_liberal),
                    (&k("registered_liberal"), a.registered_liberal),
                ],
            )
        });
        // No share: nobody registered there, or a share whose terms are masked (a different
        // colour: « secret » is not « aucun psychologue »).
        let nobody = area.is_none_or(|a| a.registered_liberal == 0);
        let (fill, said) = match share {
            Some(_) => (colour(share), pct(share)),
            None if nobody => (NO_DATA, "aucun psychologue inscrit".to_owned()),
            None => (MASKED, "secret statistique".to_owned()),
        };
        let _ = write!(
            svg,
            r##"<path d="{d}" fill="{fill}" stroke="#8a8a8a" stroke-width="0.5"><title>{} ({code}) : {said}</title></path>"##,
            esc(name),
        );
    }
    svg.push_str("</svg>");
    html! {
        (PreEscaped(svg))
        ul class="legend" aria-label="Légende de la carte" {
            @for c in CLASSES {
                li { svg width="14" height="14" aria-hidden="true" { rect width="14" height="14" fill=(c.1) stroke="#999" {} } " " (c.2) }
            }
            li { svg width="14" height="14" aria-hidden="true" { rect width="14" height="14" fill=(NO_DATA) stroke="#999" {} } " aucun psychologue inscrit" }
            li { svg width="14" height="14" aria-hidden="true" { rect width="14" height="14" fill=(MASKED) stroke="#999" {} } " secret statistique (effectifs trop petits pour être publiés)" }
        }
    }
}

fn area_table(stats: &Stats, kind: &str, caption: &str, areas: &[Area]) -> Markup {
    let cell = |a: &Area, f: &str, n: i64| shown(stats.cell(&format!("{kind}:{}:{f}", a.code), n));
    let share = |a: &Area| {
        let k = |f: &str| format!("{kind}:{}:{f}", a.code);
        pct(stats.ratio(
            a.share_conventioned,
            &[
                (&k("conventioned_liberal"), a.conventioned_liberal),
                (&k("registered_liberal"), a.registered_liberal),
            ],
        ))
    };
    html! {
        table {
            caption { (caption) }
            thead { tr {
                th scope="col" { "Code" } th scope="col" { "Nom" }
                th scope="col" class="num" { "Psychologues libéraux ou mixtes" }
                th scope="col" class="num" { "dont conventionnés" }
                th scope="col" class="num" { "Part" }
                th scope="col" class="num" { "Patients" }
                th scope="col" class="num" { "Séances" }
            } }
            tbody {
                @for a in areas {
                    tr {
                        td { (a.code) } th scope="row" { (a.name) }
                        td class="num" { (cell(a, "registered_liberal", a.registered_liberal)) }
                        td class="num" { (cell(a, "conventioned_liberal", a.conventioned_liberal)) }
                        td class="num" { (share(a)) }
                        td class="num" { (cell(a, "patients", a.patients)) }
                        td class="num" { (cell(a, "sessions", a.sessions)) }
                    }
                }
            }
        }
    }
}

/// The body of the page (inside `<main>`).
#[allow(clippy::too_many_lines)]
pub fn dashboard_body(stats: &Stats) -> Markup {
    dashboard_body_with(stats, html! {})
}

/// The dashboard with `chooser` (a form to pick another date or area) under its lead.
pub fn dashboard_body_with(stats: &Stats, chooser: Markup) -> Markup {
    let c = |key: &str, n: i64| shown(stats.cell(key, n));
    let ym = |m: &crate::Month| format!("month:{:04}-{:02}", m.year, m.month);
    let month_cell = |m: &crate::Month, f: &str, n: i64| stats.cell(&format!("{}:{f}", ym(m)), n);
    let months: Vec<(String, Cell)> = stats
        .months
        .iter()
        .map(|m| {
            (
                month_label(m.year, m.month),
                month_cell(m, "conventions_started", m.conventions_started),
            )
        })
        .collect();
    let sessions: Vec<(String, Cell)> = stats
        .months
        .iter()
        .map(|m| {
            (
                month_label(m.year, m.month),
                month_cell(m, "sessions", m.sessions),
            )
        })
        .collect();
    // Sessions per patient: the last complete year (only complete years are published).
    let year = stats.years.last();
    let bin =
        |y: &crate::Year, k: usize, n: i64| stats.cell(&format!("year:{}:bin:{k}", y.year), n);
    let distribution: Vec<(String, Cell)> = year
        .map(|y| {
            y.distribution
                .iter()
                .enumerate()
                .map(|(i, n)| ((i + 1).to_string(), bin(y, i + 1, *n)))
                .collect()
        })
        .unwrap_or_default();
    // The busiest month among those in clear.
    let peak = stats
        .months
        .iter()
        .filter(|m| month_cell(m, "sessions", m.sessions).value().is_some())
        .max_by_key(|m| m.sessions);
    let total_started: i64 = stats.months.iter().map(|m| m.conventions_started).sum();
    let year_mean = |y: &crate::Year| {
        stats.ratio(
            y.mean_sessions,
            &[
                (&format!("year:{}:sessions", y.year), y.sessions),
                (&format!("year:{}:patients", y.year), y.patients),
            ],
        )
    };
    let year_top = |y: &crate::Year| {
        stats.ratio(
            y.share_at_ceiling,
            &[
                (&format!("year:{}:bin:{}", y.year, y.ceiling), y.at_ceiling),
                (&format!("year:{}:patients", y.year), y.patients),
            ],
        )
    };
    let p = ("patients", stats.patients_since_launch);
    let money = |cents: i64| {
        if stats.spend_shown() {
            euros(cents)
        } else {
            crate::publication::SECRET.to_owned()
        }
    };
    let asked = (stats.requested != stats.as_of).then(|| {
        format!(
            " (dernière fin de mois au {} : les chiffres sont arrêtés en fin de mois)",
            date_fr(stats.requested)
        )
    });
    html! {
        h1 { "Statistiques du dispositif Mon soutien psy" }
        p class="lead" {
            "Au " strong { (date_fr(stats.as_of)) } (asked.unwrap_or_default()) " — périmètre : " strong { (stats.scope_label) } ". "
            "Chiffres calculés à partir des demandes de remboursement jugées et des conventions enregistrées. "
            "Les effectifs de 1 à 10 sont masqués (« <11 ») ; d’autres effectifs sont masqués (« secret ») pour qu’aucun « <11 » ne puisse être recalculé à partir des totaux, et une part ou une moyenne n’est donnée que si ses deux termes le sont (sinon : « — »)."
        }
        (chooser)
        section aria-labelledby="chiffres-cles" {
            h2 id="chiffres-cles" { "Chiffres clés" }
            ul class="key-figures" {
                (key_figure(&c(p.0, p.1), "patients accompagnés depuis le lancement (5 avril 2022)", None))
                (key_figure(&c("sessions", stats.sessions), "séances remboursées", None))
                (key_figure(&c("psychologists_conventioned", stats.psychologists_conventioned), "psychologues conventionnés", None))
                @let terms = [("conventioned_liberal", stats.conventioned_liberal), ("registered_liberal", stats.registered_liberal)];
                (key_figure(&pct(stats.ratio(stats.share_psychologists_conventioned, &terms)), "des psychologues libéraux ou mixtes sont conventionnés", Some(why_not(stats, &terms))))
                @let terms = [("sessions", stats.sessions), ("patient_years", stats.patient_years)];
                (key_figure(&stats.ratio(stats.mean_sessions_per_patient_year, &terms).map_or(UNPUBLISHED.into(), |v| fr_dec(v, 1)), "séances par patient et par an en moyenne", Some(why_not(stats, &terms))))
                @let terms = [("patients_c2s", stats.patients_c2s), p];
                (key_figure(&pct(stats.ratio(stats.share_patients_c2s, &terms)), "des patients bénéficient de la complémentaire santé solidaire", Some(why_not(stats, &terms))))
                @let terms = [("patients_women", stats.women()), p];
                (key_figure(&pct(stats.ratio(stats.share_patients_women, &terms)), "des patients sont des femmes", Some(why_not(stats, &terms))))
                (key_figure(&money(stats.spend.amo_cents), "remboursés par l’Assurance Maladie", Some("non publié : les séances de ce périmètre sont masquées")))
            }
        }
        section aria-labelledby="conventions" {
            h2 id="conventions" { "Psychologues conventionnés chaque mois" }
            div class="chart-and-table" {
                figure {
                    (bar_chart(
                        "graph-conventions",
                        "Nouveaux psychologues conventionnés par mois",
                        &format!("Diagramme en barres, un mois par barre, d’avril 2022 à {}. {} premières conventions au total ; {} psychologues conventionnés au {}.",
                            stats.months.last().map_or(String::new(), |m| month_label(m.year, m.month)),
                            c("started_total", total_started), c("psychologists_conventioned", stats.psychologists_conventioned), date_fr(stats.as_of)),
                        &months, 6))
                    figcaption { "Premières conventions signées, par mois de début." }
                }
                details {
                    summary { "Tableau des données" }
                    table {
                        caption { "Premières conventions par mois" }
                        thead { tr { th scope="col" { "Mois" } th scope="col" class="num" { "Conventions" } } }
                        tbody { @for m in &stats.months { tr { th scope="row" { (month_label(m.year, m.month)) } td class="num" { (shown(month_cell(m, "conventions_started", m.conventions_started))) } } } }
                    }
                }
            }
        }
        section aria-labelledby="seances" {
            h2 id="seances" { "Séances remboursées chaque mois" }
            div class="chart-and-table" {
                figure {
                    (bar_chart(
                        "graph-seances",
                        "Séances acceptées par mois",
                        &format!("Diagramme en barres, un mois par barre. {} séances au total{}.",
                            c("sessions", stats.sessions),
                            peak.map_or(String::new(), |p| format!(" ; le mois le plus chargé est {} avec {} séances", month_label(p.year, p.month), fr_int(p.sessions)))),
                        &sessions, 6))
                    figcaption { "Séances acceptées, par mois de séance." }
                }
                details {
                    summary { "Tableau des données" }
                    table {
                        caption { "Séances et nouveaux patients par mois" }
                        thead { tr { th scope="col" { "Mois" } th scope="col" class="num" { "Séances" } th scope="col" class="num" { "Nouveaux patients" } } }
                        tbody { @for m in &stats.months { tr { th scope="row" { (month_label(m.year, m.month)) } td class="num" { (shown(month_cell(m, "sessions", m.sessions))) } td class="num" { (shown(month_cell(m, "new_patients", m.new_patients))) } } } }
                    }
                }
            }
        }
        section aria-labelledby="par-patient" {
            h2 id="par-patient" { "Séances par patient" }
            @if let Some(y) = year {
                div class="chart-and-table stacked" {
                    figure {
                        (bar_chart(
                            "graph-par-patient",
                            &format!("Patients selon le nombre de séances en {}", y.year),
                            &format!("Diagramme en barres : nombre de patients ayant eu 1 à {} séances en {}. Moyenne : {} séances ; {} des patients ont atteint le plafond de {} séances.",
                                y.ceiling, y.year, year_mean(y).map_or(UNPUBLISHED.into(), |v| fr_dec(v, 1)), pct(year_top(y)), y.ceiling),
                            &distribution, 1))
                        figcaption { "Répartition des patients de l’année " (y.year) " selon leur nombre de séances remboursées dans l’année (abscisse : nombre de séances ; ordonnée : patients)." }
                    }
                    table {
                        caption { "Séances par patient et par année" }
                        thead { tr {
                            th scope="col" { "Année" } th scope="col" class="num" { "Patients" }
                            th scope="col" class="num" { "Séances" } th scope="col" class="num" { "Moyenne" }
                            th scope="col" class="num" { "Plafond" } th scope="col" class="num" { "Au plafond" }
                        } }
                        tbody { @for y in &stats.years { tr {
                            th scope="row" { (y.year) } td class="num" { (c(&format!("year:{}:patients", y.year), y.patients)) }
                            td class="num" { (c(&format!("year:{}:sessions", y.year), y.sessions)) }
                            td class="num" { (year_mean(y).map_or(UNPUBLISHED.into(), |v| fr_dec(v, 2))) }
                            td class="num" { (y.ceiling) } td class="num" { (pct(year_top(y))) }
                        } } }
                    }
                }
            } @else {
                p { "Aucune année complète à cette date : la répartition d’une année est publiée une fois l’année close." }
            }
        }
        section aria-labelledby="carte" {
            h2 id="carte" { "Part des psychologues conventionnés par département" }
            div class="chart-and-table" {
                figure class="map-figure" {
                    (map(stats))
                    figcaption { "Psychologues conventionnés parmi les psychologues inscrits au répertoire en exercice libéral ou mixte, au " (date_fr(stats.as_of)) "." }
                }
                // A table of one row would repeat the page's own figures.
                @if stats.departements.len() > 1 {
                    details {
                        summary { "Tableau par département" }
                        (area_table(stats, "departement", "Psychologues et patients par département", &stats.departements))
                    }
                }
            }
            @if stats.regions.len() > 1 {
                (area_table(stats, "region", "Psychologues et patients par région", &stats.regions))
            }
        }
        section aria-labelledby="depenses" {
            h2 id="depenses" { "Dépenses par financeur" }
            table {
                caption { "Montants des séances remboursées depuis le lancement" }
                thead { tr { th scope="col" { "Financeur" } th scope="col" class="num" { "Montant" } } }
                tbody {
                    tr { th scope="row" { "Assurance Maladie obligatoire" } td class="num" { (money(stats.spend.amo_cents)) } }
                    tr { th scope="row" { "dont versés directement aux psychologues (tiers payant)" } td class="num" { (money(stats.spend.amo_tiers_payant_cents)) } }
                    tr { th scope="row" { "Complémentaire santé solidaire" } td class="num" { (money(stats.spend.c2s_cents)) } }
                    tr { th scope="row" { "Complémentaires (mutuelles)" } td class="num" { (money(stats.spend.amc_cents)) } }
                    tr { th scope="row" { "État (aide médicale de l’État)" } td class="num" { (money(stats.spend.state_cents)) } }
                    tr { th scope="row" { "Reste à la charge des patients" } td class="num" { (money(stats.spend.patient_cents)) } }
                    tr { th scope="row" { "Total" } td class="num" { (money(stats.spend.total_cents)) } }
                }
            }
        }
        section aria-labelledby="age-sexe" {
            h2 id="age-sexe" { "Patients par âge et par sexe" }
            table {
                caption { "Patients accompagnés depuis le lancement, selon l’âge à la première séance" }
                thead { tr { th scope="col" { "Âge" } th scope="col" class="num" { "Femmes" } th scope="col" class="num" { "Hommes" } } }
                tbody {
                    @for (i, label) in AGE_BAND_LABELS.iter().enumerate() {
                        tr { th scope="row" { (label) } td class="num" { (c(&format!("women:{i}"), stats.demography.women[i])) } td class="num" { (c(&format!("men:{i}"), stats.demography.men[i])) } }
                    }
                }
            }
            @let terms = [("patients_under_25", stats.under_25()), p];
            @match stats.ratio(stats.share_patients_under_25, &terms) {
                Some(share) => p { "Moins de 25 ans : " (pct(Some(share))) " des patients." },
                None => p { "Moins de 25 ans : " (UNPUBLISHED) " (" (why_not(stats, &terms)) ")." },
            }
        }
        p class="note" {
            "Données ouvertes : "
            a href={ "/api/stats?date=" (stats.as_of) "&perimetre=" (stats.scope.code()) } { "JSON" }
            " · "
            a href={ "/api/stats?date=" (stats.as_of) "&perimetre=" (stats.scope.code()) "&format=csv" } { "CSV" }
            ". Patients et séances sont comptés au département de résidence du patient, psychologues au lieu d’exercice."
        }
    }
}

/// The whole page as an HTML document.
pub fn dashboard_html(stats: &Stats, styles: Styles<'_>) -> String {
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Statistiques – Mon soutien psy" }
                @match styles {
                    Styles::Links(links) => { @for l in links { link rel="stylesheet" href=(l); } }
                    Styles::Inline => { style { (PreEscaped(DASHBOARD_CSS)) } }
                }
            }
            body class="stats-page" {
                a class="skip" href="#contenu" { "Aller au contenu" }
                header class="stats-header" {
                    a href="/" { "Mon soutien psy" } " · " a href="/recherche" { "Trouver un psychologue" } " · " span aria-current="page" { "Statistiques" }
                }
                main id="contenu" tabindex="-1" class="stats" { (dashboard_body(stats)) }
            }
        }
    }
    .into_string()
}

/// Escapes text for HTML/SVG content and attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::Status;

    /// The x of each label drawn under the bars, and its text.
    fn labels(svg: &str) -> Vec<(f64, String)> {
        svg.split("<text x=\"")
            .skip(1)
            .filter(|t| t.contains("y=\"240\""))
            .map(|t| {
                let x: f64 = t.split('"').next().unwrap().parse().unwrap();
                let text = t.split('>').nth(1).unwrap().split('<').next().unwrap();
                (x, text.to_owned())
            })
            .collect()
    }

    #[test]
    fn month_labels_never_run_together_and_masked_bars_are_marked() {
        let months: Vec<(String, Cell)> = (0..56)
            .map(|i| {
                let (y, m) = (2022 + (i + 3) / 12, (i + 3) % 12 + 1);
                let cell = if i == 5 {
                    Cell::Masked(Status::Primary)
                } else {
                    Cell::Value(100 + i64::from(i))
                };
                (month_label(y, m as i8), cell)
            })
            .collect();
        let svg = bar_chart("g", "t", "d", &months, 6).into_string();
        let drawn = labels(&svg);
        assert!(drawn.len() >= 4, "{drawn:?}");
        for pair in drawn.windows(2) {
            // ≈ 6.2 px a character at 11 px, and a gap.
            let room = pair[0].1.chars().count().max(pair[1].1.chars().count()) as f64 * 6.2 + 4.0;
            assert!(
                pair[1].0 - pair[0].0 >= room,
                "« {} » and « {} » overlap: {pair:?}",
                pair[0].1,
                pair[1].1
            );
        }
        // The last label stays inside the drawing.
        assert!(drawn.last().unwrap().0 <= 716.0);
        assert!(
            svg.contains("(secret statistique)"),
            "a masked bar is marked"
        );
    }
}
