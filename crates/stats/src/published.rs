//! The published figures (`data/published_figures.csv`) beside the same figures computed from
//! the records, with the relative gap.

use crate::compute::{Scope, Stats};
use crate::geo::areas;
use crate::publication::publish;
use msp_domain::{Date, Rules, dates};
use msp_store::{Db, StoreResult};
use serde::Serialize;
use std::collections::BTreeMap;

/// The shipped file of published figures.
pub const PUBLISHED_CSV: &str = include_str!("../../../data/published_figures.csv");

/// Tolerance of the comparison.
pub const TOLERANCE: f64 = 0.05;

/// One published figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Published {
    pub as_of: Date,
    pub figure: String,
    pub value: f64,
    pub scope: String,
    pub source: String,
}

/// A published figure and the computed one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub published: Published,
    pub computed: Option<f64>,
    /// (computed − published) / published.
    pub gap: Option<f64>,
    /// Within the tolerance (or above a published lower bound).
    pub ok: bool,
    /// Why a figure cannot be computed, or how it is read.
    pub note: String,
}

fn split_csv_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in line.chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Reads the published figures (`as_of,figure,value,scope,source`).
pub fn parse(text: &str) -> Vec<Published> {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let f = split_csv_line(l);
            Some(Published {
                as_of: dates::parse_iso(f.first()?.trim())?,
                figure: f.get(1)?.trim().to_owned(),
                value: f.get(2)?.trim().parse().ok()?,
                scope: f.get(3)?.trim().to_owned(),
                source: f.get(4).cloned().unwrap_or_default(),
            })
        })
        .collect()
}

fn scope_of(name: &str) -> Option<Scope> {
    if name.eq_ignore_ascii_case("France") {
        return Some(Scope::France);
    }
    areas()
        .region_by_name(name)
        .map(|c| Scope::Region(c.to_owned()))
}

/// The computed value of a published figure, and how it is read.
fn value_of(figure: &str, s: &Stats) -> Result<(Option<f64>, &'static str), String> {
    // As published: a masked count or a share over a masked term is not shown here either.
    #[allow(clippy::cast_precision_loss)]
    let n = |key: &str, v: i64| s.cell(key, v).value().map(|v| v as f64);
    let p = ("patients", s.patients_since_launch);
    Ok(match figure {
        "patients_since_launch" => (
            n(p.0, p.1),
            "patients ayant au moins une séance acceptée depuis le lancement",
        ),
        "psychologists_conventioned" => (
            n("psychologists_conventioned", s.psychologists_conventioned),
            "psychologues dont la convention est en vigueur à la date",
        ),
        "sessions_since_launch" => (
            n("sessions", s.sessions),
            "séances acceptées depuis le lancement",
        ),
        "mean_sessions_per_patient" => (
            s.ratio(
                s.mean_sessions_per_patient_year,
                &[("sessions", s.sessions), ("patient_years", s.patient_years)],
            ),
            "séances par patient et par année civile, toutes années depuis le lancement",
        ),
        "share_patients_c2s" => (
            s.ratio(s.share_patients_c2s, &[("patients_c2s", s.patients_c2s), p]),
            "part des patients bénéficiaires de la C2S à leur première séance",
        ),
        "share_patients_women" => (
            s.ratio(s.share_patients_women, &[("patients_women", s.women()), p]),
            "part des femmes parmi les patients",
        ),
        "share_patients_under_25" => (
            s.ratio(
                s.share_patients_under_25,
                &[("patients_under_25", s.under_25()), p],
            ),
            "part des moins de 25 ans (âge à la première séance)",
        ),
        "share_psychologists_conventioned" => (
            s.ratio(
                s.share_psychologists_conventioned,
                &[
                    ("conventioned_liberal", s.conventioned_liberal),
                    ("registered_liberal", s.registered_liberal),
                ],
            ),
            "part des psychologues libéraux ou mixtes inscrits qui sont conventionnés",
        ),
        "psychologists_joining_per_month" => (
            s.ratio(
                s.conventions_started_per_month,
                &[("started_last3", s.started_last3())],
            ),
            "premières conventions par mois, moyenne des 3 mois complets précédant la date",
        ),
        other => return Err(format!("indicateur « {other} » non calculé")),
    })
}

/// Computes every published figure from the records (summaries must be up to date).
pub fn compare(
    db: &mut Db,
    rules: &Rules,
    published: &[Published],
) -> StoreResult<Vec<Comparison>> {
    let mut cache: BTreeMap<(Date, String), Stats> = BTreeMap::new();
    let mut out = Vec::with_capacity(published.len());
    for p in published {
        let Some(scope) = scope_of(&p.scope) else {
            out.push(Comparison {
                published: p.clone(),
                computed: None,
                gap: None,
                ok: false,
                note: format!("périmètre « {} » inconnu", p.scope),
            });
            continue;
        };
        let key = (p.as_of, scope.code());
        if !cache.contains_key(&key) {
            // As published: at the month end on or before the date, masked cells left out.
            let s = publish(db, rules, p.as_of, &scope)?;
            cache.insert(key.clone(), s);
        }
        let s = &cache[&key];
        let lower_bound = p.source.to_lowercase().contains("more than");
        let (computed, mut note) = match value_of(&p.figure, s) {
            Ok((None, how)) => (None, format!("{how} ; masqué (secret statistique)")),
            Ok((v, how)) => (v, how.to_owned()),
            Err(e) => (None, e),
        };
        if s.as_of != p.as_of {
            note.push_str(&format!(" ; chiffres arrêtés au {}", s.as_of));
        }
        let gap = computed
            .filter(|_| p.value != 0.0)
            .map(|c| (c - p.value) / p.value);
        let ok = match (computed, gap) {
            (Some(c), _) if lower_bound => c >= p.value,
            (_, Some(g)) => g.abs() <= TOLERANCE,
            _ => false,
        };
        if lower_bound {
            note.push_str(" ; chiffre publié comme minimum (« plus de »)");
        }
        if let Some(why) = known_inconsistency(p) {
            note.push_str(" ; ");
            note.push_str(why);
        }
        out.push(Comparison {
            published: p.clone(),
            computed,
            gap,
            ok,
            note,
        });
    }
    Ok(out)
}

/// Published figures that contradict other published figures: the explanation shown beside them.
fn known_inconsistency(p: &Published) -> Option<&'static str> {
    match (p.figure.as_str(), p.as_of.to_string().as_str()) {
        ("psychologists_joining_per_month", _) => Some(
            "incompatible avec les effectifs publiés (5 500 au 1er avril comme au 30 juin 2025) : \
             500 entrées par mois sur ce trimestre supposeraient autant de départs",
        ),
        ("patients_since_launch", "2025-06-30") => Some(
            "la source reprend vraisemblablement le chiffre de février 2025 (586 858) : la série \
             de démonstration passe entre les deux",
        ),
        _ => None,
    }
}

/// The comparison as a French text table.
pub fn render_text(rows: &[Comparison]) -> String {
    let mut s = format!(
        "{:<10}  {:<34} {:<22} {:>12} {:>12} {:>8}  {}\n",
        "date", "indicateur", "périmètre", "publié", "calculé", "écart", "commentaire"
    );
    let fmt = |v: f64| {
        if v.abs() < 1.0 {
            format!("{v:.3}")
        } else if v.fract() == 0.0 || v.abs() >= 100.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    };
    let mut ok = 0;
    for r in rows {
        if r.ok {
            ok += 1;
        }
        let p = &r.published;
        s.push_str(&format!(
            "{:<10}  {:<34} {:<22} {:>12} {:>12} {:>8}  {}{}\n",
            p.as_of,
            p.figure,
            p.scope,
            fmt(p.value),
            r.computed.map_or("—".into(), fmt),
            r.gap.map_or("—".into(), |g| format!("{:+.1} %", g * 100.0)),
            if r.ok { "✓ " } else { "✗ " },
            r.note
        ));
    }
    s.push_str(&format!(
        "\n{ok} chiffres sur {} à moins de {:.0} % (ou au-dessus d’un minimum publié).\n",
        rows.len(),
        TOLERANCE * 100.0
    ));
    s
}
