//! From figures to a publication: which date is published and which cells are masked.
//!
//! Every output (page, `/api/stats`, CSV, JSON, `msp stats`, `msp compare`) reads [`Stats`]
//! made by [`publish`], so they all mask the same cells:
//! - figures are published at a month end: the one on or before the date asked, so that the
//!   difference between two dates is always a sum of published monthly cells;
//! - one disclosure-control problem ([`crate::disclosure`]) is set for the whole territory
//!   (France, every région, every département) and every month end from the launch to the last
//!   month of data, so the same cell has the same status on every page and for every date;
//! - the psychologists on the date (a stock, not a sum of monthly cells) are protected on their
//!   own, across the territory, for that date; the registered ones (the same for every date)
//!   once for all dates.
//!
//! Relations protected: France = Σ régions = Σ départements, région = Σ its départements, for
//! every monthly cell and every cumulative figure; cumulative figure at a month end = the one of
//! the month before + the month's cell; sessions = EEP + APS + PSS; patients = Σ age × sex bands;
//! women and under-25s (the numerators of the published shares) = their bands; patients of a
//! year = Σ patients by number of sessions, sessions of a year = Σ k × patients with k sessions,
//! both also = the year's monthly cells; the mean of conventions over three months = their sum.
//! Each share or mean is published only when its numerator and its base are both in clear.

use crate::compute::{Scope, Stats, Stocks, compute_with_stocks, year_of};
use crate::disclosure::{Problem, Status, is_sensitive, protect};
use crate::geo::areas;
use crate::refresh::{
    AGE_BANDS, APS, COUNTERS, Counters, EEP, NEW, NEW_C2S, NEW_F0, NEW_M0, PSS, RANK1, SESSIONS,
};
use msp_domain::{Date, Rules};
use msp_store::{Db, StoreResult, Value};
use serde::Serialize;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

/// Masked cells of a publication, by key (cells not listed are in clear, except counts from 1
/// to 10, which are always masked).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Secrecy {
    pub masked: BTreeMap<String, Status>,
}

impl Secrecy {
    /// The status of a cell of this value.
    pub fn status(&self, key: &str, value: i64) -> Status {
        self.masked
            .get(key)
            .copied()
            .unwrap_or(if is_sensitive(value) {
                Status::Primary
            } else {
                Status::Shown
            })
    }

    /// Whether every term (key, value) is in clear: a share or a mean of them can be published.
    pub fn clear(&self, terms: &[(&str, i64)]) -> bool {
        terms.iter().all(|&(k, v)| !self.status(k, v).is_masked())
    }

    fn set(&mut self, key: String, status: Status) {
        if status.is_masked() {
            self.masked.insert(key, status);
        }
    }
}

fn kind(region_row: bool) -> &'static str {
    if region_row { "region" } else { "departement" }
}

/// A count as published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Value(i64),
    Masked(Status),
}

impl Cell {
    /// `<11` (primary) or `secret` (complementary), else the number.
    pub fn text(self) -> String {
        match self {
            Cell::Value(n) => n.to_string(),
            Cell::Masked(s) => mask_text(s).to_owned(),
        }
    }

    pub fn value(self) -> Option<i64> {
        match self {
            Cell::Value(n) => Some(n),
            Cell::Masked(_) => None,
        }
    }
}

/// How a masked cell is printed.
pub fn mask_text(s: Status) -> &'static str {
    match s {
        Status::Complementary => SECRET,
        _ => crate::export::MASK,
    }
}

/// Printed for a cell masked by complementary suppression.
pub const SECRET: &str = "secret";

impl Stats {
    /// A count as published.
    pub fn cell(&self, key: &str, n: i64) -> Cell {
        match self.secrecy.status(key, n) {
            Status::Shown => Cell::Value(n),
            s => Cell::Masked(s),
        }
    }

    /// A share or mean, published only when its terms are all in clear.
    pub fn ratio(&self, value: Option<f64>, terms: &[(&str, i64)]) -> Option<f64> {
        value.filter(|_| self.secrecy.clear(terms))
    }

    /// Women among patients since launch (numerator of the published share).
    pub fn women(&self) -> i64 {
        self.demography.women.iter().sum()
    }

    /// Patients under 25 at their first session (numerator of the published share).
    pub fn under_25(&self) -> i64 {
        (0..3)
            .map(|b| self.demography.women[b] + self.demography.men[b])
            .sum()
    }

    /// Sum of first conventions over the three months of the published mean.
    pub fn started_last3(&self) -> i64 {
        #[allow(clippy::cast_possible_truncation)]
        self.conventions_started_per_month
            .map_or(0, |m| (m * 3.0).round() as i64)
    }

    /// Amounts are published when the sessions they pay for are (an amount divided by the
    /// price of a session would give a masked count).
    pub fn spend_shown(&self) -> bool {
        self.secrecy.clear(&[("sessions", self.sessions)])
    }
}

/// The month end on or before `date`.
pub fn publication_date(date: Date) -> Date {
    if date == date.last_of_month() {
        date
    } else {
        date.first_of_month().yesterday().unwrap_or(date)
    }
}

/// The figures of `scope` as published for `as_of` (summaries must be up to date).
pub fn publish(db: &mut Db, rules: &Rules, as_of: Date, scope: &Scope) -> StoreResult<Stats> {
    let date = publication_date(as_of);
    let (mut stats, stocks) = compute_with_stocks(db, rules, date, scope)?;
    stats.requested = as_of;
    // Years are published once complete: a year to date would change at every month end.
    stats
        .years
        .retain(|y| Date::new(y.year, 12, 31).is_ok_and(|end| end <= date));
    let series = Series::load(db, rules, &stocks)?;
    let solved = series.solved(db, rules)?;
    let mut secrecy = Secrecy::default();
    series.mark(&solved, date, scope, &stats, &mut secrecy);
    mark_stocks(&stocks, scope, &stats, &mut secrecy);
    stats.secrecy = secrecy;
    Ok(stats)
}

/// Solves disclosure control for the summaries as they are and stores the statuses, so that
/// the next page or `msp stats` reads them at once (run after a batch; summaries must be up to
/// date). Publishing does the same when nothing was prepared.
pub fn prepare(db: &mut Db, rules: &Rules) -> StoreResult<Masked> {
    let (_, stocks) = compute_with_stocks(db, rules, rules.programme_start, &Scope::France)?;
    let solved = Series::load(db, rules, &stocks)?.solved(db, rules)?;
    let count = |s: Status| solved.status.iter().filter(|&&x| x == s).count();
    Ok(Masked {
        cells: solved.status.len(),
        primary: count(Status::Primary),
        complementary: count(Status::Complementary),
    })
}

/// How many cells of the problem are masked, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Masked {
    pub cells: usize,
    pub primary: usize,
    pub complementary: usize,
}

/// France, the régions and the départements, parents before children.
struct Units {
    /// `france`, région codes, département codes.
    codes: Vec<String>,
    children: Vec<Vec<usize>>,
    index: HashMap<String, usize>,
}

impl Units {
    fn new() -> Units {
        let a = areas();
        let mut codes = vec!["france".to_owned()];
        let mut children = vec![Vec::new()];
        let mut index = HashMap::new();
        let mut region_unit = HashMap::new();
        for r in &a.regions {
            let u = codes.len();
            codes.push(r.0.clone());
            children.push(Vec::new());
            children[0].push(u);
            region_unit.insert(r.0.clone(), u);
            index.insert(format!("R{}", r.0), u);
        }
        for d in &a.departements {
            let Some(&r) = region_unit.get(&d.2) else {
                continue;
            };
            let u = codes.len();
            codes.push(d.0.clone());
            children.push(Vec::new());
            children[r].push(u);
            index.insert(format!("D{}", d.0), u);
        }
        Units {
            codes,
            children,
            index,
        }
    }

    /// The unit whose figures a scope shows.
    fn of_scope(&self, scope: &Scope) -> usize {
        match scope {
            Scope::France => 0,
            Scope::Region(r) => self.index.get(&format!("R{r}")).copied().unwrap_or(0),
            Scope::Departement(d) => self.index.get(&format!("D{d}")).copied().unwrap_or(0),
        }
    }

    /// The unit whose figures an area row of a scope's page shows (a région row on a
    /// département's page holds that département's figures).
    fn of_row(&self, scope: &Scope, region_row: bool, code: &str) -> Option<usize> {
        match scope {
            Scope::Departement(_) if region_row => Some(self.of_scope(scope)),
            _ if region_row => self.index.get(&format!("R{code}")).copied(),
            _ => self.index.get(&format!("D{code}")).copied(),
        }
    }

    /// Parents with their children (France → régions, région → départements).
    fn families(&self) -> impl Iterator<Item = (usize, &[usize])> {
        self.children
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.is_empty())
            .map(|(u, c)| (u, c.as_slice()))
    }
}

/// The problem solved, with where each figure's cells are.
struct Solved {
    metrics: Vec<Metric>,
    cum: Vec<Vec<Vec<usize>>>,
    inc: Vec<Vec<Vec<usize>>>,
    women: Vec<Vec<usize>>,
    under25: Vec<Vec<usize>>,
    last3: Vec<Vec<usize>>,
    year_cells: BTreeMap<i16, Vec<(usize, usize, Vec<usize>)>>,
    status: Vec<Status>,
}

/// Monthly figures followed over time (increment = the month, cumulative = since launch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    /// Published every month (the monthly tables) and cumulated (the key figures).
    Monthly(usize),
    /// Only the cumulative figure is published; the increments stay hidden.
    Cumulative(usize),
    /// First conventions (not a summary counter).
    Started,
}

const MONTHLY: [usize; 2] = [NEW, SESSIONS];
const CUMULATIVE: [usize; 5] = [EEP, APS, PSS, NEW_C2S, RANK1];

/// The monthly counters of every unit, from the launch to the last month of data.
struct Series {
    units: Units,
    months: Vec<(i16, i8)>,
    /// `by[unit][t]`.
    by: Vec<Vec<Counters>>,
    started: Vec<Vec<i64>>,
}

impl Series {
    fn load(db: &mut Db, rules: &Rules, stocks: &Stocks) -> StoreResult<Series> {
        let units = Units::new();
        let sums = COUNTERS
            .iter()
            .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = db.query(
            &format!(
                "SELECT y, m, departement, {sums} FROM stats_months GROUP BY y, m, departement"
            ),
            &[],
        )?;
        let start = rules.programme_start;
        let mut last = (start.year(), start.month());
        let mut parsed = Vec::with_capacity(rows.len());
        for r in &rows {
            let ym = (
                i16::try_from(r.int(0)?).unwrap_or(0),
                i8::try_from(r.int(1)?).unwrap_or(0),
            );
            last = last.max(ym);
            let mut k: Counters = [0; 41];
            for (i, v) in k.iter_mut().enumerate() {
                *v = r.opt_int(3 + i)?.unwrap_or(0);
            }
            parsed.push((ym, r.string(2)?, k));
        }
        for (_, y, m) in &stocks.first_conventions {
            last = last.max((*y, *m));
        }
        let mut months = Vec::new();
        let (mut y, mut m) = (start.year(), start.month());
        while (y, m) <= last {
            months.push((y, m));
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
        let t_of: HashMap<(i16, i8), usize> =
            months.iter().enumerate().map(|(i, &ym)| (ym, i)).collect();
        let n = units.codes.len();
        let mut by = vec![vec![[0i64; 41]; months.len()]; n];
        let mut started = vec![vec![0i64; months.len()]; n];
        let lineage = |dep: &str| -> Vec<usize> {
            let mut out = vec![0];
            if let Some(&d) = units.index.get(&format!("D{dep}")) {
                out.push(d);
                if let Some(&r) = units.index.get(&format!("R{}", areas().region_of(dep))) {
                    out.push(r);
                }
            }
            out
        };
        for (ym, dep, k) in &parsed {
            let Some(&t) = t_of.get(ym) else { continue };
            for u in lineage(dep) {
                by[u][t].iter_mut().zip(k).for_each(|(a, b)| *a += b);
            }
        }
        for (dep, y, m) in &stocks.first_conventions {
            let Some(&t) = t_of.get(&(*y, *m)) else {
                continue;
            };
            for u in lineage(dep) {
                started[u][t] += 1;
            }
        }
        Ok(Series {
            units,
            months,
            by,
            started,
        })
    }

    fn inc(&self, metric: Metric, u: usize, t: usize) -> i64 {
        match metric {
            Metric::Monthly(c) | Metric::Cumulative(c) => self.by[u][t][c],
            Metric::Started => self.started[u][t],
        }
    }

    /// Sets the problem (the statuses are left empty: see [`Series::solved`]).
    #[allow(clippy::too_many_lines)]
    fn build(&self, rules: &Rules) -> (Problem, Solved) {
        let n_units = self.units.codes.len();
        let n_t = self.months.len();
        let mut p = Problem::default();
        let metrics: Vec<Metric> = MONTHLY
            .iter()
            .map(|&c| Metric::Monthly(c))
            .chain(std::iter::once(Metric::Started))
            .chain(CUMULATIVE.iter().map(|&c| Metric::Cumulative(c)))
            .chain((0..AGE_BANDS).map(|b| Metric::Cumulative(NEW_F0 + b)))
            .chain((0..AGE_BANDS).map(|b| Metric::Cumulative(NEW_M0 + b)))
            .collect();
        // cum[metric][unit][t], inc[metric][unit][t] (monthly metrics only).
        let mut cum = vec![vec![vec![0usize; n_t]; n_units]; metrics.len()];
        let mut inc = vec![vec![vec![usize::MAX; n_t]; n_units]; metrics.len()];
        for (mi, &metric) in metrics.iter().enumerate() {
            let published_monthly = !matches!(metric, Metric::Cumulative(_));
            for u in 0..n_units {
                let mut running = 0;
                for t in 0..n_t {
                    p.stage = u32::try_from(t).unwrap_or(0);
                    let v = self.inc(metric, u, t);
                    running += v;
                    let c = p.cell(running);
                    cum[mi][u][t] = c;
                    if published_monthly {
                        let i = p.cell(v);
                        inc[mi][u][t] = i;
                        if t == 0 {
                            p.sum(c, &[i]);
                        } else {
                            p.sum(c, &[cum[mi][u][t - 1], i]);
                        }
                    } else if t > 0 {
                        p.hidden(vec![(c, 1), (cum[mi][u][t - 1], -1)]);
                    }
                }
            }
            for t in 0..n_t {
                for (parent, children) in self.units.families() {
                    let grid = if published_monthly {
                        vec![&inc[mi], &cum[mi]]
                    } else {
                        vec![&cum[mi]]
                    };
                    for g in grid {
                        let parts: Vec<usize> = children.iter().map(|&ch| g[ch][t]).collect();
                        holds_then_sum(&mut p, g[parent][t], &parts);
                    }
                }
            }
        }
        let idx = |c: usize| metrics.iter().position(|m| *m == Metric::Cumulative(c));
        let ses = 1;
        let new = 0;
        let started = 2;
        let band = |female: bool, b: usize| idx(if female { NEW_F0 } else { NEW_M0 } + b);
        // Women, under-25s (numerators of published shares) and the mean over three months.
        let mut women = vec![vec![0usize; n_t]; n_units];
        let mut under25 = vec![vec![0usize; n_t]; n_units];
        let mut last3 = vec![vec![usize::MAX; n_t]; n_units];
        for u in 0..n_units {
            for t in 0..n_t {
                p.stage = u32::try_from(t).unwrap_or(0);
                let pick = |p: &Problem, cells: Vec<usize>| -> (i64, Vec<usize>) {
                    (cells.iter().map(|&c| p.values[c]).sum(), cells)
                };
                let w: Vec<usize> = (0..AGE_BANDS)
                    .filter_map(|b| band(true, b))
                    .map(|m| cum[m][u][t])
                    .collect();
                let (wv, w) = pick(&p, w);
                women[u][t] = p.cell(wv);
                p.sum(women[u][t], &w);
                let y: Vec<usize> = (0..3)
                    .flat_map(|b| [band(true, b), band(false, b)])
                    .flatten()
                    .map(|m| cum[m][u][t])
                    .collect();
                let (yv, y) = pick(&p, y);
                under25[u][t] = p.cell(yv);
                p.sum(under25[u][t], &y);
                let all: Vec<usize> = (0..AGE_BANDS)
                    .flat_map(|b| [band(true, b), band(false, b)])
                    .flatten()
                    .map(|m| cum[m][u][t])
                    .collect();
                holds_then_sum(&mut p, cum[new][u][t], &all);
                let acts: Vec<usize> = [EEP, APS, PSS]
                    .iter()
                    .filter_map(|&c| idx(c))
                    .map(|m| cum[m][u][t])
                    .collect();
                holds_then_sum(&mut p, cum[ses][u][t], &acts);
                if t >= 3 {
                    let parts: Vec<usize> = (t - 3..t).map(|i| inc[started][u][i]).collect();
                    let (v, parts) = pick(&p, parts);
                    // Known at the end of the month before: its stage is that month's.
                    p.stage = u32::try_from(t - 1).unwrap_or(0);
                    last3[u][t] = p.cell(v);
                    p.sum(last3[u][t], &parts);
                }
            }
        }
        // Complete years: patients and sessions of the year, and patients by number of sessions.
        let r1 = idx(RANK1).unwrap_or(0);
        let mut years: BTreeMap<i16, (usize, usize)> = BTreeMap::new();
        for (t, &(y, _)) in self.months.iter().enumerate() {
            let e = years.entry(y).or_insert((t, t));
            e.1 = t;
        }
        // year → (patients, sessions, bins) per unit.
        let mut year_cells: BTreeMap<i16, Vec<(usize, usize, Vec<usize>)>> = BTreeMap::new();
        for (&y, &(a, b)) in &years {
            if self.months[b].1 != 12 {
                continue;
            }
            let Ok(end) = Date::new(y, 12, 31) else {
                continue;
            };
            let mut cells = Vec::with_capacity(n_units);
            p.stage = u32::try_from(b).unwrap_or(0);
            #[allow(clippy::needless_range_loop)]
            for u in 0..n_units {
                let mut k: Counters = [0; 41];
                for t in a..=b {
                    k.iter_mut().zip(&self.by[u][t]).for_each(|(x, v)| *x += v);
                }
                let year = year_of(rules, end, y, &k);
                let py = p.cell(year.patients);
                let sy = p.cell(year.sessions);
                let bins: Vec<usize> = year.distribution.iter().map(|&v| p.cell(v)).collect();
                holds_then_sum(&mut p, py, &bins);
                let weighted: Vec<(usize, i64)> = std::iter::once((sy, 1))
                    .chain(
                        bins.iter()
                            .enumerate()
                            .map(|(i, &c)| (c, -i64::try_from(i + 1).unwrap_or(0))),
                    )
                    .collect();
                holds_then_relation(&mut p, weighted);
                let across = |m: usize| -> Vec<(usize, i64)> {
                    let mut f = vec![(cum[m][u][b], -1)];
                    if a > 0 {
                        f.push((cum[m][u][a - 1], 1));
                    }
                    f
                };
                let mut f = vec![(py, 1)];
                f.extend(across(r1));
                holds_then_relation(&mut p, f);
                let mut f = vec![(sy, 1)];
                f.extend(across(ses));
                holds_then_relation(&mut p, f);
                cells.push((py, sy, bins));
            }
            for (parent, children) in self.units.families() {
                let c = &cells;
                holds_then_sum(
                    &mut p,
                    c[parent].0,
                    &children.iter().map(|&ch| c[ch].0).collect::<Vec<_>>(),
                );
                holds_then_sum(
                    &mut p,
                    c[parent].1,
                    &children.iter().map(|&ch| c[ch].1).collect::<Vec<_>>(),
                );
                for k in 0..c[parent].2.len() {
                    holds_then_sum(
                        &mut p,
                        c[parent].2[k],
                        &children.iter().map(|&ch| c[ch].2[k]).collect::<Vec<_>>(),
                    );
                }
            }
            year_cells.insert(y, cells);
        }

        let solved = Solved {
            metrics,
            cum,
            inc,
            women,
            under25,
            last3,
            year_cells,
            status: Vec::new(),
        };
        (p, solved)
    }

    /// The version of these figures: a hash of the monthly counters and of the method.
    fn version(&self, rules: &Rules) -> String {
        let mut h = DefaultHasher::new();
        self.months.hash(&mut h);
        self.by.hash(&mut h);
        self.started.hash(&mut h);
        rules.programme_start.hash(&mut h);
        format!("{METHOD}-{:016x}", h.finish())
    }

    /// The solved problem for these figures, computed once per state of the data: kept in
    /// memory (the last four states) and in `stats_secrecy` (the latest), so that a page, a
    /// new process or another server reads the statuses instead of solving again. Every
    /// answer goes through here: no figure is published before its statuses exist.
    fn solved(&self, db: &mut Db, rules: &Rules) -> StoreResult<Arc<Solved>> {
        static CACHE: Mutex<Vec<(String, Arc<Solved>)>> = Mutex::new(Vec::new());
        let key = self.version(rules);
        if let Ok(cache) = CACHE.lock()
            && let Some((_, s)) = cache.iter().find(|(k, _)| *k == key)
        {
            return Ok(Arc::clone(s));
        }
        let (p, mut solved) = self.build(rules);
        solved.status = match stored(db, &key, p.values.len())? {
            Some(status) => status,
            None => {
                let status = protect(&p);
                store(db, &key, &status)?;
                status
            }
        };
        let solved = Arc::new(solved);
        if let Ok(mut cache) = CACHE.lock() {
            cache.retain(|(k, _)| *k != key);
            cache.insert(0, (key, Arc::clone(&solved)));
            cache.truncate(4);
        }
        Ok(solved)
    }

    /// Writes the statuses of `stats`' cells.
    fn mark(&self, solved: &Solved, date: Date, scope: &Scope, stats: &Stats, out: &mut Secrecy) {
        let Solved {
            metrics,
            cum,
            inc,
            women,
            under25,
            last3,
            year_cells,
            status,
        } = solved;
        let idx = |c: usize| metrics.iter().position(|m| *m == Metric::Cumulative(c));
        let band = |female: bool, b: usize| idx(if female { NEW_F0 } else { NEW_M0 } + b);
        let (new, ses, started) = (0, 1, 2);
        let r1 = idx(RANK1).unwrap_or(0);
        // The publication's cells.
        let Some(t_d) = self
            .months
            .iter()
            .rposition(|&ym| ym <= (date.year(), date.month()))
        else {
            return;
        };
        let u = self.units.of_scope(scope);
        let st = |c: usize| {
            if c == usize::MAX {
                Status::Shown
            } else {
                status[c]
            }
        };
        let keyed_cum = |key: &str, m: Option<usize>, out: &mut Secrecy| {
            if let Some(m) = m {
                out.set(key.to_owned(), st(cum[m][u][t_d]));
            }
        };
        keyed_cum("patients", Some(new), out);
        keyed_cum("sessions", Some(ses), out);
        keyed_cum("started_total", Some(started), out);
        keyed_cum("sessions_eep", idx(EEP), out);
        keyed_cum("sessions_aps", idx(APS), out);
        keyed_cum("sessions_pss", idx(PSS), out);
        keyed_cum("patients_c2s", idx(NEW_C2S), out);
        keyed_cum("patient_years", Some(r1), out);
        out.set("patients_women".into(), st(women[u][t_d]));
        out.set("patients_under_25".into(), st(under25[u][t_d]));
        out.set("started_last3".into(), st(last3[u][t_d]));
        for b in 0..AGE_BANDS {
            keyed_cum(&format!("women:{b}"), band(true, b), out);
            keyed_cum(&format!("men:{b}"), band(false, b), out);
        }
        for (t, &(y, m)) in self.months.iter().enumerate().take(t_d + 1) {
            let ym = format!("{y:04}-{m:02}");
            out.set(format!("month:{ym}:new_patients"), st(inc[new][u][t]));
            out.set(format!("month:{ym}:sessions"), st(inc[ses][u][t]));
            out.set(
                format!("month:{ym}:conventions_started"),
                st(inc[started][u][t]),
            );
        }
        for (region_row, list) in [(true, &stats.regions), (false, &stats.departements)] {
            for a in list {
                if let Some(v) = self.units.of_row(scope, region_row, &a.code) {
                    out.set(
                        format!("{}:{}:patients", kind(region_row), a.code),
                        st(cum[new][v][t_d]),
                    );
                    out.set(
                        format!("{}:{}:sessions", kind(region_row), a.code),
                        st(cum[ses][v][t_d]),
                    );
                }
            }
        }
        for y in &stats.years {
            if let Some(cells) = year_cells.get(&y.year) {
                let (py, sy, bins) = &cells[u];
                out.set(format!("year:{}:patients", y.year), st(*py));
                out.set(format!("year:{}:sessions", y.year), st(*sy));
                for (k, &c) in bins.iter().enumerate() {
                    out.set(format!("year:{}:bin:{}", y.year, k + 1), st(c));
                }
            }
        }
    }
}

/// Changes whenever the problem or the method changes, so that statuses stored by an older
/// build are not read back.
const METHOD: &str = "sdc2";

/// The statuses stored for this version, if they fit the problem.
fn stored(db: &mut Db, version: &str, cells: usize) -> StoreResult<Option<Vec<Status>>> {
    let row = db.query_opt(
        "SELECT statuses FROM stats_secrecy WHERE version = $1",
        &[Value::Text(version.to_owned())],
    )?;
    let Some(row) = row else { return Ok(None) };
    let bytes = row.opt_bytes(0)?.unwrap_or_default();
    if bytes.len() != cells {
        return Ok(None);
    }
    Ok(bytes
        .iter()
        .map(|b| match b {
            0 => Some(Status::Shown),
            1 => Some(Status::Primary),
            2 => Some(Status::Complementary),
            _ => None,
        })
        .collect())
}

/// Keeps these statuses as the latest version.
fn store(db: &mut Db, version: &str, status: &[Status]) -> StoreResult<()> {
    let bytes: Vec<u8> = status
        .iter()
        .map(|s| match s {
            Status::Shown => 0,
            Status::Primary => 1,
            Status::Complementary => 2,
        })
        .collect();
    let cells = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    db.transaction(|tx| {
        tx.execute(
            "DELETE FROM stats_secrecy WHERE version <> $1",
            &[Value::Text(version.to_owned())],
        )?;
        tx.execute(
            "INSERT INTO stats_secrecy (version, cells, statuses) VALUES ($1, $2, $3)
             ON CONFLICT (version) DO NOTHING",
            &[
                Value::Text(version.to_owned()),
                Value::Int(cells),
                Value::Bytes(bytes),
            ],
        )?;
        Ok(())
    })
}

/// Adds `total = Σ parts` when the figures satisfy it (a relation that does not hold, such as
/// France beside régions when some records have no known département, cannot be used by a
/// reader either).
fn holds_then_sum(p: &mut Problem, total: usize, parts: &[usize]) {
    let mut f = vec![(total, 1)];
    f.extend(parts.iter().map(|&c| (c, -1)));
    holds_then_relation(p, f);
}

fn holds_then_relation(p: &mut Problem, f: Vec<(usize, i64)>) {
    if f.iter().map(|&(c, k)| k * p.values[c]).sum::<i64>() == 0 {
        p.relation(f);
    }
}

/// Psychologists: registered ones (the same on every date) on their own, then the ones
/// conventioned and suspended on the date.
fn mark_stocks(stocks: &Stocks, scope: &Scope, stats: &Stats, out: &mut Secrecy) {
    let units = Units::new();
    let n = units.codes.len();
    let by_unit = |f: &dyn Fn(&str) -> i64| -> Vec<i64> {
        let mut v = vec![0i64; n];
        for (u, code) in units.codes.iter().enumerate() {
            if u > 0 && units.children[u].is_empty() {
                let x = f(code);
                v[u] += x;
                for (parent, children) in units.families() {
                    if children.contains(&u) {
                        v[parent] += x;
                    }
                }
            }
        }
        v
    };
    // France also counts psychologists of no known département.
    let with_france = |mut v: Vec<i64>, france: i64| {
        v[0] = france;
        v
    };
    let registered = with_france(
        by_unit(&|d| stocks.registered.get(d).copied().unwrap_or(0)),
        stocks.registered.values().sum(),
    );
    let all = with_france(
        by_unit(&|d| stocks.conventioned.get(d).map_or(0, |c| c.0)),
        stocks.conventioned.values().map(|c| c.0).sum(),
    );
    let liberal = with_france(
        by_unit(&|d| stocks.conventioned.get(d).map_or(0, |c| c.1)),
        stocks.conventioned.values().map(|c| c.1).sum(),
    );
    let suspended = with_france(
        by_unit(&|d| stocks.suspended.get(d).copied().unwrap_or(0)),
        stocks.suspended.values().sum(),
    );
    let solve = |tables: &[&Vec<i64>]| -> Vec<Vec<Status>> {
        let mut p = Problem::default();
        let cells: Vec<Vec<usize>> = tables
            .iter()
            .map(|v| (0..n).map(|u| p.cell(v[u])).collect())
            .collect();
        for c in &cells {
            for (parent, children) in units.families() {
                let parts: Vec<usize> = children.iter().map(|&ch| c[ch]).collect();
                holds_then_sum(&mut p, c[parent], &parts);
            }
        }
        let s = protect(&p);
        cells
            .iter()
            .map(|c| c.iter().map(|&i| s[i]).collect())
            .collect()
    };
    let reg = solve(&[&registered]);
    let now = solve(&[&all, &liberal, &suspended]);
    let u = units.of_scope(scope);
    out.set("registered_liberal".into(), reg[0][u]);
    out.set("psychologists_conventioned".into(), now[0][u]);
    out.set("conventioned_liberal".into(), now[1][u]);
    out.set("psychologists_suspended".into(), now[2][u]);
    for (region_row, list) in [(true, &stats.regions), (false, &stats.departements)] {
        for a in list {
            if let Some(v) = units.of_row(scope, region_row, &a.code) {
                out.set(
                    format!("{}:{}:registered_liberal", kind(region_row), a.code),
                    reg[0][v],
                );
                out.set(
                    format!("{}:{}:conventioned", kind(region_row), a.code),
                    now[0][v],
                );
                out.set(
                    format!("{}:{}:conventioned_liberal", kind(region_row), a.code),
                    now[1][v],
                );
            }
        }
    }
}
