//! Figures of SPEC §11 as of a date, for France, a région or a département.

use crate::geo::{areas, departement_of_commune};
use crate::refresh::{
    AGE_BANDS, AMC, AMO, AMO_TP, APS, C2S, COUNTERS, Counters, EEP, MAX_RANK, NEW, NEW_C2S, NEW_F0,
    NEW_M0, PATIENT, PSS, RANK1, SESSIONS, STATE, TARIFF,
};
use msp_domain::{Date, Rules};
use msp_store::{Db, StoreError, StoreResult, Value};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Which part of the territory figures describe. Patient figures follow the patient's
/// residence (beneficiaries file), psychologist figures the psychologist's practice (registry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "code", rename_all = "lowercase")]
pub enum Scope {
    France,
    Region(String),
    Departement(String),
}

impl Scope {
    /// `france`, `region:84`, `departement:69` (also `dep:69`, `reg:84`).
    pub fn parse(text: &str) -> Result<Scope, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("france") || t.is_empty() {
            return Ok(Scope::France);
        }
        let (kind, code) = t.split_once(':').ok_or_else(|| {
            format!(
                "Périmètre « {t} » illisible : attendu france, region:CODE ou departement:CODE."
            )
        })?;
        let code = code.trim().to_uppercase();
        match kind.trim().to_lowercase().as_str() {
            "region" | "reg" | "région" => {
                if areas().region_name(&code).is_none() {
                    return Err(format!(
                        "Région inconnue : « {code} » n’est le code d’aucune région (par exemple 84 pour Auvergne-Rhône-Alpes)."
                    ));
                }
                Ok(Scope::Region(code))
            }
            "departement" | "dep" | "département" => {
                let code = if code.len() == 1 {
                    format!("0{code}")
                } else {
                    code
                };
                if areas().departement_name(&code).is_none() {
                    return Err(format!(
                        "Département inconnu : « {code} » n’est le code d’aucun département (par exemple 69 pour le Rhône)."
                    ));
                }
                Ok(Scope::Departement(code))
            }
            other => Err(format!(
                "périmètre « {other} » inconnu : attendu france, region:CODE ou departement:CODE"
            )),
        }
    }

    /// Machine form, as [`Scope::parse`] reads it.
    pub fn code(&self) -> String {
        match self {
            Scope::France => "france".into(),
            Scope::Region(c) => format!("region:{c}"),
            Scope::Departement(c) => format!("departement:{c}"),
        }
    }

    /// French label: « France », « Auvergne-Rhône-Alpes », « Rhône (69) ».
    pub fn label(&self) -> String {
        match self {
            Scope::France => "France".into(),
            Scope::Region(c) => areas().region_name(c).unwrap_or(c).to_owned(),
            Scope::Departement(c) => {
                format!("{} ({c})", areas().departement_name(c).unwrap_or(c))
            }
        }
    }

    /// Whether a département belongs to the scope.
    pub fn includes(&self, departement: &str) -> bool {
        match self {
            Scope::France => true,
            Scope::Region(r) => areas().region_of(departement) == r,
            Scope::Departement(d) => departement == d,
        }
    }
}

/// Amounts paid, in cents, by payer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Spend {
    /// Sum of the tariffs of accepted sessions.
    pub total_cents: i64,
    /// Assurance maladie obligatoire (all of it)…
    pub amo_cents: i64,
    /// …of which paid directly to psychologists (tiers payant).
    pub amo_tiers_payant_cents: i64,
    pub c2s_cents: i64,
    pub amc_cents: i64,
    /// The State, for AME patients.
    pub state_cents: i64,
    /// Left with patients (no complementary cover).
    pub patient_cents: i64,
}

/// One area (région or département) in the breakdowns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Area {
    pub code: String,
    pub name: String,
    pub region: String,
    /// Registered psychologists practising liberal or mixed.
    pub registered_liberal: i64,
    /// Of them, conventioned on the date.
    pub conventioned_liberal: i64,
    /// All conventioned psychologists (any practice mode) on the date.
    pub conventioned: i64,
    pub share_conventioned: Option<f64>,
    pub patients: i64,
    pub sessions: i64,
}

/// One calendar month of the series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Month {
    pub year: i16,
    pub month: i8,
    /// Psychologists whose first convention started that month.
    pub conventions_started: i64,
    pub sessions: i64,
    /// Patients whose first accepted session was that month.
    pub new_patients: i64,
}

/// Sessions per patient over one calendar year (up to the date in the year of the date).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Year {
    pub year: i16,
    /// Patients with at least one accepted session that year.
    pub patients: i64,
    pub sessions: i64,
    pub mean_sessions: Option<f64>,
    /// The regime's ceiling at the end of the year (or on the date).
    pub ceiling: u32,
    /// `distribution[k - 1]`: patients with exactly k sessions that year.
    pub distribution: Vec<i64>,
    /// Patients who reached the ceiling.
    pub at_ceiling: i64,
    pub share_at_ceiling: Option<f64>,
}

/// Patients by sex and age band (age at the first accepted session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Demography {
    /// `women[band]`, `men[band]`, bands as in [`crate::AGE_BAND_LABELS`].
    pub women: Vec<i64>,
    pub men: Vec<i64>,
}

/// Every figure of SPEC §11, as of a date, for a scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub as_of: Date,
    pub scope: Scope,
    pub scope_label: String,
    /// Patients with at least one accepted session since launch.
    pub patients_since_launch: i64,
    /// Of them, with C2S at their first accepted session.
    pub patients_c2s: i64,
    pub share_patients_c2s: Option<f64>,
    pub share_patients_women: Option<f64>,
    pub share_patients_under_25: Option<f64>,
    /// Accepted sessions since launch.
    pub sessions: i64,
    pub sessions_eep: i64,
    pub sessions_aps: i64,
    pub sessions_pss: i64,
    /// Sessions per patient and calendar year, over every year since launch.
    pub mean_sessions_per_patient_year: Option<f64>,
    /// Sessions since launch divided by patients since launch.
    pub mean_sessions_per_patient: Option<f64>,
    /// (patient, year) pairs since launch: the base of `mean_sessions_per_patient_year`.
    pub patient_years: i64,
    /// Psychologists with a convention in force on the date (suspended ones included).
    pub psychologists_conventioned: i64,
    /// Of them, suspended on the date.
    pub psychologists_suspended: i64,
    pub registered_liberal: i64,
    pub conventioned_liberal: i64,
    /// Share of registered liberal or mixed psychologists who are conventioned.
    pub share_psychologists_conventioned: Option<f64>,
    /// Mean of conventions started per month over the three complete months before the date.
    pub conventions_started_per_month: Option<f64>,
    pub spend: Spend,
    pub regions: Vec<Area>,
    pub departements: Vec<Area>,
    pub months: Vec<Month>,
    pub years: Vec<Year>,
    pub demography: Demography,
    /// The date asked for (figures are published at the month end on or before it, see
    /// [`crate::publication`]); equal to `as_of` for raw figures.
    pub requested: Date,
    /// Which cells are masked and why; empty for raw figures (then only counts from 1 to 10
    /// are masked on output).
    pub secrecy: crate::publication::Secrecy,
}

#[allow(clippy::cast_precision_loss)]
pub(crate) fn ratio(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Brings the summaries up to date, then computes the figures as published: at the month end
/// on or before `as_of`, with primary and complementary suppression ([`crate::publication`]).
pub fn load(db: &mut Db, rules: &Rules, as_of: Date, scope: &Scope) -> StoreResult<Stats> {
    crate::refresh(db)?;
    crate::publication::publish(db, rules, as_of, scope)
}

/// Psychologist figures of every département on a date, and first conventions by month (all
/// dates): what disclosure control needs beyond one scope.
#[derive(Debug, Default)]
pub(crate) struct Stocks {
    pub registered: HashMap<String, i64>,
    /// (all modes, liberal or mixed) conventioned on the date.
    pub conventioned: HashMap<String, (i64, i64)>,
    pub suspended: HashMap<String, i64>,
    /// (département, year, month) of each psychologist's first convention.
    pub first_conventions: Vec<(String, i16, i8)>,
}

struct Psy {
    departement: String,
    liberal: bool,
    conventions: Vec<(Date, Option<Date>)>,
    suspensions: Vec<(Date, Option<Date>)>,
    excluded_from: Option<Date>,
}

fn within(p: &(Date, Option<Date>), d: Date) -> bool {
    p.0 <= d && p.1.is_none_or(|to| d <= to)
}

/// Computes the figures from the summary tables and the reference records (no refresh, no
/// complementary suppression: for internal use and tests).
pub fn compute(db: &mut Db, rules: &Rules, as_of: Date, scope: &Scope) -> StoreResult<Stats> {
    compute_with_stocks(db, rules, as_of, scope).map(|(s, _)| s)
}

pub(crate) fn compute_with_stocks(
    db: &mut Db,
    rules: &Rules,
    as_of: Date,
    scope: &Scope,
) -> StoreResult<(Stats, Stocks)> {
    let areas = areas();
    // Sessions and patients: one scan of the daily summaries, grouped by month and département.
    let sums = COUNTERS
        .iter()
        .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
        .collect::<Vec<_>>()
        .join(", ");
    // Whole months before the date's month from `stats_months`, the days of that month from
    // `stats_days`: a few thousand rows either way.
    let first_of_month = as_of.first_of_month();
    let mut rows = db.query(
        &format!(
            "SELECT y, m, departement, {sums} FROM stats_months
             WHERE y * 100 + m < $1 GROUP BY y, m, departement"
        ),
        &[Value::Int(
            i64::from(as_of.year()) * 100 + i64::from(as_of.month()),
        )],
    )?;
    rows.extend(db.query(
        &format!(
            "SELECT y, m, departement, {sums} FROM stats_days
             WHERE day >= $1 AND day <= $2 GROUP BY y, m, departement"
        ),
        &[Value::Date(first_of_month), Value::Date(as_of)],
    )?);
    let mut total: Counters = [0; 41];
    let mut by_month: BTreeMap<(i16, i8), Counters> = BTreeMap::new();
    let mut by_dep: HashMap<String, Counters> = HashMap::new();
    for r in &rows {
        let dep = r.string(2)?;
        let mut k: Counters = [0; 41];
        for (i, v) in k.iter_mut().enumerate() {
            *v = r.opt_int(3 + i)?.unwrap_or(0);
        }
        let add = |into: &mut Counters| into.iter_mut().zip(k).for_each(|(a, b)| *a += b);
        add(by_dep.entry(dep.clone()).or_insert([0; 41]));
        if !scope.includes(&dep) {
            continue;
        }
        let ym = (
            i16::try_from(r.int(0)?).map_err(|_| bad("année"))?,
            i8::try_from(r.int(1)?).map_err(|_| bad("mois"))?,
        );
        add(by_month.entry(ym).or_insert([0; 41]));
        add(&mut total);
    }

    // Psychologists: registry counts by commune, conventions, suspensions, exclusions.
    let mut registered_by_dep: HashMap<String, i64> = HashMap::new();
    let mut dep_cache: HashMap<String, String> = HashMap::new();
    let mut dep_of = |commune: Option<String>| -> String {
        let key = commune.unwrap_or_default();
        dep_cache
            .entry(key.clone())
            .or_insert_with(|| departement_of_commune(Some(&key)))
            .clone()
    };
    for r in db.query(
        "SELECT commune_insee, COUNT(*) FROM registry
         WHERE profession_code = '93' AND practice_mode IN ('L', 'M') GROUP BY commune_insee",
        &[],
    )? {
        *registered_by_dep
            .entry(dep_of(r.opt_string(0)?))
            .or_default() += r.int(1)?;
    }
    let mut psys: HashMap<String, Psy> = HashMap::new();
    for r in db.query(
        "SELECT c.rpps, c.start_date, c.end_date, r.commune_insee, r.practice_mode
         FROM conventions c LEFT JOIN registry r ON r.rpps = c.rpps",
        &[],
    )? {
        let rpps = r.string(0)?;
        let period = (r.date(1)?, r.opt_date(2)?);
        let liberal = matches!(r.opt_text(4)?, Some("L" | "M"));
        let departement = dep_of(r.opt_string(3)?);
        psys.entry(rpps)
            .or_insert_with(|| Psy {
                departement,
                liberal,
                conventions: Vec::new(),
                suspensions: Vec::new(),
                excluded_from: None,
            })
            .conventions
            .push(period);
    }
    for r in db.query("SELECT rpps, from_date, to_date FROM suspensions", &[])? {
        if let Some(p) = psys.get_mut(r.text(0)?) {
            p.suspensions.push((r.date(1)?, r.opt_date(2)?));
        }
    }
    for r in db.query("SELECT rpps, from_date FROM psychologist_exclusions", &[])? {
        if let Some(p) = psys.get_mut(r.text(0)?) {
            p.excluded_from = Some(r.date(1)?);
        }
    }
    let mut conventioned_by_dep: HashMap<String, (i64, i64)> = HashMap::new();
    let (mut conventioned, mut suspended) = (0i64, 0i64);
    let mut started: BTreeMap<(i16, i8), i64> = BTreeMap::new();
    let mut suspended_by_dep: HashMap<String, i64> = HashMap::new();
    let mut first_conventions = Vec::new();
    for p in psys.values() {
        if let Some(first) = p.conventions.iter().map(|c| c.0).min() {
            first_conventions.push((p.departement.clone(), first.year(), first.month()));
        }
        if let Some(first) = p.conventions.iter().map(|c| c.0).min()
            && first <= as_of
            && scope.includes(&p.departement)
        {
            *started.entry((first.year(), first.month())).or_default() += 1;
        }
        let active = p.conventions.iter().any(|c| within(c, as_of))
            && p.excluded_from.is_none_or(|x| as_of < x);
        if !active {
            continue;
        }
        let e = conventioned_by_dep
            .entry(p.departement.clone())
            .or_default();
        e.0 += 1;
        if p.liberal {
            e.1 += 1;
        }
        if p.suspensions.iter().any(|s| within(s, as_of)) {
            *suspended_by_dep.entry(p.departement.clone()).or_default() += 1;
        }
        if scope.includes(&p.departement) {
            conventioned += 1;
            if p.suspensions.iter().any(|s| within(s, as_of)) {
                suspended += 1;
            }
        }
    }

    // Areas.
    let area = |code: &str, name: &str, region: &str, deps: &mut dyn Iterator<Item = &str>| {
        let mut a = Area {
            code: code.to_owned(),
            name: name.to_owned(),
            region: region.to_owned(),
            registered_liberal: 0,
            conventioned_liberal: 0,
            conventioned: 0,
            share_conventioned: None,
            patients: 0,
            sessions: 0,
        };
        for d in deps {
            a.registered_liberal += registered_by_dep.get(d).copied().unwrap_or(0);
            let (all, lib) = conventioned_by_dep.get(d).copied().unwrap_or((0, 0));
            a.conventioned += all;
            a.conventioned_liberal += lib;
            if let Some(k) = by_dep.get(d) {
                a.patients += k[NEW];
                a.sessions += k[SESSIONS];
            }
        }
        a.share_conventioned = ratio(a.conventioned_liberal, a.registered_liberal);
        a
    };
    let departements: Vec<Area> = areas
        .departements
        .iter()
        .filter(|d| scope.includes(&d.0) && areas.region_name(&d.2).is_some())
        .map(|d| area(&d.0, &d.1, &d.2, &mut std::iter::once(d.0.as_str())))
        .collect();
    let regions: Vec<Area> = areas
        .regions
        .iter()
        .filter(|r| match scope {
            Scope::France => true,
            Scope::Region(c) => &r.0 == c,
            Scope::Departement(d) => areas.region_of(d) == r.0,
        })
        .map(|r| {
            let mut deps = areas
                .departements
                .iter()
                .filter(|d| d.2 == r.0 && scope.includes(&d.0))
                .map(|d| d.0.as_str());
            area(&r.0, &r.1, &r.0, &mut deps)
        })
        .collect();
    let registered_liberal: i64 = registered_by_dep
        .iter()
        .filter(|(d, _)| scope.includes(d))
        .map(|(_, n)| n)
        .sum();
    let conventioned_liberal: i64 = conventioned_by_dep
        .iter()
        .filter(|(d, _)| scope.includes(d))
        .map(|(_, n)| n.1)
        .sum();

    // Monthly series from the launch month to the month of the date.
    let mut months = Vec::new();
    let start = rules.programme_start;
    let (mut y, mut m) = (start.year(), start.month());
    while (y, m) <= (as_of.year(), as_of.month()) {
        let k = by_month.get(&(y, m));
        months.push(Month {
            year: y,
            month: m,
            conventions_started: started.get(&(y, m)).copied().unwrap_or(0),
            sessions: k.map_or(0, |k| k[SESSIONS]),
            new_patients: k.map_or(0, |k| k[NEW]),
        });
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    let complete: Vec<&Month> = months
        .iter()
        .filter(|mo| (mo.year, mo.month) < (as_of.year(), as_of.month()))
        .collect();
    let conventions_started_per_month = if complete.len() >= 3 {
        let last3: i64 = complete[complete.len() - 3..]
            .iter()
            .map(|m| m.conventions_started)
            .sum();
        ratio(last3, 3)
    } else {
        None
    };

    // Years: patients and distribution from the ranks.
    let mut by_year: BTreeMap<i16, Counters> = BTreeMap::new();
    for ((y, _), k) in &by_month {
        let e = by_year.entry(*y).or_insert([0; 41]);
        e.iter_mut().zip(k).for_each(|(a, b)| *a += b);
    }
    let years: Vec<Year> = by_year
        .iter()
        .map(|(y, k)| year_of(rules, as_of, *y, k))
        .collect();
    let patient_years: i64 = years.iter().map(|y| y.patients).sum();

    let demography = Demography {
        women: (0..AGE_BANDS).map(|b| total[NEW_F0 + b]).collect(),
        men: (0..AGE_BANDS).map(|b| total[NEW_M0 + b]).collect(),
    };
    let women: i64 = demography.women.iter().sum();
    let under_25: i64 = (0..3)
        .map(|b| demography.women[b] + demography.men[b])
        .sum();
    let patients = total[NEW];

    let stocks = Stocks {
        registered: registered_by_dep,
        conventioned: conventioned_by_dep,
        suspended: suspended_by_dep,
        first_conventions,
    };
    let stats = Stats {
        as_of,
        requested: as_of,
        secrecy: crate::publication::Secrecy::default(),
        scope_label: scope.label(),
        scope: scope.clone(),
        patients_since_launch: patients,
        patients_c2s: total[NEW_C2S],
        share_patients_c2s: ratio(total[NEW_C2S], patients),
        share_patients_women: ratio(women, patients),
        share_patients_under_25: ratio(under_25, patients),
        sessions: total[SESSIONS],
        sessions_eep: total[EEP],
        sessions_aps: total[APS],
        sessions_pss: total[PSS],
        mean_sessions_per_patient_year: ratio(total[SESSIONS], patient_years),
        mean_sessions_per_patient: ratio(total[SESSIONS], patients),
        patient_years,
        psychologists_conventioned: conventioned,
        psychologists_suspended: suspended,
        registered_liberal,
        conventioned_liberal,
        share_psychologists_conventioned: ratio(conventioned_liberal, registered_liberal),
        conventions_started_per_month,
        spend: Spend {
            total_cents: total[TARIFF],
            amo_cents: total[AMO],
            amo_tiers_payant_cents: total[AMO_TP],
            c2s_cents: total[C2S],
            amc_cents: total[AMC],
            state_cents: total[STATE],
            patient_cents: total[PATIENT],
        },
        regions,
        departements,
        months,
        years,
        demography,
    };
    Ok((stats, stocks))
}

/// Sessions per patient over year `y`, from the counters of its months up to `as_of`.
pub(crate) fn year_of(rules: &Rules, as_of: Date, y: i16, k: &Counters) -> Year {
    let end = Date::new(y, 12, 31).map_or(as_of, |e| e.min(as_of));
    let ceiling = rules
        .regime_on(end)
        .map_or(MAX_RANK as u32, |r| r.sessions_per_year)
        .min(MAX_RANK as u32);
    let ranks: Vec<i64> = (0..MAX_RANK).map(|i| k[RANK1 + i]).collect();
    let c = ceiling as usize;
    let distribution: Vec<i64> = (0..c)
        .map(|i| {
            if i + 1 < c {
                ranks[i] - ranks[i + 1]
            } else {
                ranks[i..].iter().copied().max().unwrap_or(0)
            }
        })
        .collect();
    let patients = ranks[0];
    let at_ceiling = distribution.last().copied().unwrap_or(0);
    Year {
        year: y,
        patients,
        sessions: k[SESSIONS],
        mean_sessions: ratio(k[SESSIONS], patients),
        ceiling,
        distribution,
        at_ceiling,
        share_at_ceiling: ratio(at_ceiling, patients),
    }
}

fn bad(what: &str) -> StoreError {
    StoreError::Invalid(format!("statistiques : {what} illisible"))
}
