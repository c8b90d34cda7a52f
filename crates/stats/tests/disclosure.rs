//! An attacker reads everything the public JSON gives for a few consecutive month ends (France,
//! every région, every département), writes down the relations a reader knows (totals and
//! parts, cumulative figures and their months, acts, age × sex bands, sessions per patient,
//! weighted sums), solves them exactly over the masked cells (fraction-free integer
//! elimination) and enumerates 1..10 behind rounded shares. It must recover nothing.

use jiff::civil::{Date, date};
use msp_domain::Rules;
use msp_stats::demo::{DemoConfig, run};
use msp_stats::{Scope, export};
use msp_store::{Db, testing};
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Clear(i64),
    Primary,
    Complementary,
    /// Not printed anywhere (a monthly increment of a cumulative figure).
    Hidden,
}

#[derive(Default)]
struct Attack {
    names: Vec<String>,
    index: HashMap<String, usize>,
    seen: Vec<Seen>,
    /// `Σ coef × var = constant`.
    relations: Vec<(Vec<(usize, i128)>, i128)>,
    /// (share published, decimals, numerator, base).
    shares: Vec<(f64, i32, usize, usize)>,
    inconsistencies: Vec<String>,
}

impl Attack {
    fn read(&mut self, name: String, v: &Json) -> usize {
        let seen = match v {
            Json::Number(n) => Seen::Clear(n.as_i64().expect("integer count")),
            Json::String(s) if s == "<11" => Seen::Primary,
            Json::String(s) if s == "secret" => Seen::Complementary,
            other => panic!("{name}: unexpected {other}"),
        };
        self.var(name, seen)
    }

    fn var(&mut self, name: String, seen: Seen) -> usize {
        if let Some(&i) = self.index.get(&name) {
            if self.seen[i] != seen && seen != Seen::Hidden {
                self.inconsistencies
                    .push(format!("{name}: {:?} then {seen:?}", self.seen[i]));
            }
            return i;
        }
        self.names.push(name.clone());
        self.seen.push(seen);
        self.index.insert(name, self.seen.len() - 1);
        self.seen.len() - 1
    }

    fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    fn relation(&mut self, terms: Vec<(usize, i128)>, constant: i128) {
        self.relations.push((terms, constant));
    }

    /// Reads one published payload.
    fn page(&mut self, j: &Json, unit: &str) {
        let d = j["date"].as_str().unwrap().to_owned();
        let cum = |m: &str| format!("cum:{unit}:{m}:{d}");
        for (key, m) in [
            ("patients_depuis_lancement", "patients"),
            ("patients_c2s", "c2s"),
            ("seances_acceptees", "sessions"),
        ] {
            self.read(cum(m), &j[key]);
        }
        for act in ["EEP", "APS", "PSS"] {
            self.read(cum(act), &j["seances_par_acte"][act]);
        }
        self.read(
            format!("stock:{unit}:conventioned:{d}"),
            &j["psychologues_conventionnes"],
        );
        self.read(
            format!("stock:{unit}:suspended:{d}"),
            &j["psychologues_suspendus"],
        );
        self.read(
            format!("stock:{unit}:liberal:{d}"),
            &j["psychologues_conventionnes_liberaux_ou_mixtes"],
        );
        self.read(
            format!("registered:{unit}"),
            &j["psychologues_liberaux_ou_mixtes"],
        );
        for (i, band) in j["age_sexe"].as_array().unwrap().iter().enumerate() {
            self.read(cum(&format!("f{i}")), &band["femmes"]);
            self.read(cum(&format!("m{i}")), &band["hommes"]);
        }
        for m in j["mois"].as_array().unwrap() {
            let ym = m["mois"].as_str().unwrap();
            for (key, metric) in [
                ("nouveaux_patients", "patients"),
                ("seances", "sessions"),
                ("conventions_debutees", "started"),
            ] {
                self.read(format!("inc:{unit}:{metric}:{ym}"), &m[key]);
            }
        }
        for y in j["annees"].as_array().unwrap() {
            let year = y["annee"].as_i64().unwrap();
            let p = self.read(format!("year:{unit}:{year}:patients"), &y["patients"]);
            let s = self.read(format!("year:{unit}:{year}:sessions"), &y["seances"]);
            for b in y["repartition"].as_array().unwrap() {
                let k = b["seances"].as_i64().unwrap();
                let c = self.read(format!("year:{unit}:{year}:bin{k}"), &b["patients"]);
                if b["seances"] == y["plafond"] {
                    self.share(&y["part_au_plafond"], 4, c, p);
                }
            }
            self.share(&y["seances_par_patient"], 2, s, p);
        }
        let p = self.get(&cum("patients")).unwrap();
        let c2s = self.get(&cum("c2s")).unwrap();
        let s = self.get(&cum("sessions")).unwrap();
        self.share(&j["part_patients_c2s"], 4, c2s, p);
        self.share(&j["seances_par_patient"], 2, s, p);
        let l = self.get(&format!("stock:{unit}:liberal:{d}")).unwrap();
        let r = self.get(&format!("registered:{unit}")).unwrap();
        self.share(&j["part_psychologues_conventionnes"], 4, l, r);
        // Women: a share over a sum of bands; 0 % or 100 % over a masked base is a disclosure.
        for key in [
            "part_patients_femmes",
            "part_patients_moins_de_25_ans",
            "part_patients_c2s",
        ] {
            if let Some(v) = j[key].as_f64()
                && (v == 0.0 || v == 1.0)
            {
                assert!(
                    matches!(self.seen[p], Seen::Clear(_)),
                    "{key} = {v} over a masked base ({unit}, {d})"
                );
            }
        }
        // The mean of first conventions over the three months before the date.
        if let Some(mean) = j["conventions_par_mois_3_derniers_mois"].as_f64() {
            let months: Vec<&str> = j["mois"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["mois"].as_str().unwrap())
                .collect();
            if months.len() >= 4 {
                let terms = months[months.len() - 4..months.len() - 1]
                    .iter()
                    .map(|ym| (self.get(&format!("inc:{unit}:started:{ym}")).unwrap(), 1))
                    .collect();
                #[allow(clippy::cast_possible_truncation)]
                self.relation(terms, (mean * 3.0).round() as i128);
            }
        }
        // Rows of régions and départements (a région row on a département's page repeats the
        // département's figures: skipped).
        let dep_page = j["perimetre"].as_str().unwrap().starts_with("departement");
        for (list, prefix) in [("regions", "R"), ("departements", "D")] {
            if dep_page && prefix == "R" {
                continue;
            }
            for a in j[list].as_array().unwrap() {
                let u = format!("{prefix}{}", a["code"].as_str().unwrap());
                self.read(format!("cum:{u}:patients:{d}"), &a["patients"]);
                self.read(format!("cum:{u}:sessions:{d}"), &a["seances"]);
                let l = self.read(
                    format!("stock:{u}:liberal:{d}"),
                    &a["psychologues_conventionnes_liberaux_ou_mixtes"],
                );
                self.read(
                    format!("stock:{u}:conventioned:{d}"),
                    &a["psychologues_conventionnes"],
                );
                let r = self.read(
                    format!("registered:{u}"),
                    &a["psychologues_liberaux_ou_mixtes"],
                );
                self.share(&a["part_conventionnes"], 4, l, r);
            }
        }
    }

    fn share(&mut self, v: &Json, decimals: i32, num: usize, den: usize) {
        if let Some(x) = v.as_f64() {
            self.shares.push((x, decimals, num, den));
        }
    }

    /// The relations between what was read.
    fn relate(&mut self, units: &Units, dates: &[Date]) {
        let names: Vec<String> = self.names.clone();
        // Totals and parts across the territory.
        for name in &names {
            let parts: Vec<&str> = name.split(':').collect();
            if parts.len() < 2 {
                continue;
            }
            let Some(children) = units.children.get(parts[1]) else {
                continue;
            };
            let child_vars: Option<Vec<usize>> = children
                .iter()
                .map(|c| {
                    let mut p = parts.clone();
                    p[1] = c;
                    self.get(&p.join(":"))
                })
                .collect();
            if let Some(cv) = child_vars {
                let mut terms = vec![(self.index[name], 1)];
                terms.extend(cv.iter().map(|&c| (c, -1)));
                self.relation(terms, 0);
            }
        }
        for unit in units.all() {
            for d in dates {
                let cum = |m: &str| format!("cum:{unit}:{m}:{d}");
                let Some(s) = self.get(&cum("sessions")) else {
                    continue;
                };
                // Sessions = EEP + APS + PSS; patients = Σ bands.
                let mut t = vec![(s, 1)];
                for a in ["EEP", "APS", "PSS"] {
                    t.push((self.get(&cum(a)).unwrap(), -1));
                }
                self.relation(t, 0);
                let p = self.get(&cum("patients")).unwrap();
                let mut t = vec![(p, 1)];
                for b in 0..8 {
                    t.push((self.get(&cum(&format!("f{b}"))).unwrap(), -1));
                    t.push((self.get(&cum(&format!("m{b}"))).unwrap(), -1));
                }
                self.relation(t, 0);
                // Cumulative figures = Σ of their months.
                for (m, inc) in [("patients", "patients"), ("sessions", "sessions")] {
                    let mut t = vec![(self.get(&cum(m)).unwrap(), 1)];
                    let mut ym = date(2022, 4, 1);
                    while ym <= *d {
                        let name = format!("inc:{unit}:{inc}:{}", &ym.to_string()[..7]);
                        t.push((self.get(&name).unwrap(), -1));
                        ym = ym.checked_add(jiff::Span::new().months(1)).unwrap();
                    }
                    self.relation(t, 0);
                }
            }
            // Hidden monthly increments between consecutive month ends.
            for w in dates.windows(2) {
                for m in ["c2s", "EEP", "APS", "PSS"]
                    .into_iter()
                    .map(str::to_owned)
                    .chain((0..8).flat_map(|b| [format!("f{b}"), format!("m{b}")]))
                {
                    let (Some(a), Some(b)) = (
                        self.get(&format!("cum:{unit}:{m}:{}", w[0])),
                        self.get(&format!("cum:{unit}:{m}:{}", w[1])),
                    ) else {
                        continue;
                    };
                    let h = self.var(format!("hidden:{unit}:{m}:{}", w[1]), Seen::Hidden);
                    self.relation(vec![(b, 1), (a, -1), (h, -1)], 0);
                }
            }
            // Years: patients = Σ bins, sessions = Σ k × bins and Σ of the year's months.
            for y in 2022..2027 {
                let (Some(p), Some(s)) = (
                    self.get(&format!("year:{unit}:{y}:patients")),
                    self.get(&format!("year:{unit}:{y}:sessions")),
                ) else {
                    continue;
                };
                let bins: Vec<usize> = (1..=12)
                    .filter_map(|k| self.get(&format!("year:{unit}:{y}:bin{k}")))
                    .collect();
                let mut t = vec![(p, 1)];
                t.extend(bins.iter().map(|&b| (b, -1)));
                self.relation(t, 0);
                let mut t = vec![(s, 1)];
                t.extend(bins.iter().zip(1..).map(|(&b, k)| (b, -k)));
                self.relation(t, 0);
                let months: Option<Vec<usize>> = (1..=12)
                    .filter(|&m| y > 2022 || m >= 4)
                    .map(|m| self.get(&format!("inc:{unit}:sessions:{y:04}-{m:02}")))
                    .collect();
                if let Some(months) = months {
                    let mut t = vec![(s, 1)];
                    t.extend(months.iter().map(|&c| (c, -1)));
                    self.relation(t, 0);
                }
            }
        }
    }

    /// Cells whose value the relations pin, with that value.
    fn solve(&self) -> Vec<(usize, i128)> {
        let unknown = |i: usize| !matches!(self.seen[i], Seen::Clear(_));
        let mut basis = Basis::default();
        for (terms, constant) in &self.relations {
            let mut c = *constant;
            let mut row: BTreeMap<usize, i128> = BTreeMap::new();
            for &(v, k) in terms {
                match self.seen[v] {
                    Seen::Clear(x) => c -= k * i128::from(x),
                    _ => *row.entry(v).or_default() += k,
                }
            }
            row.retain(|_, k| *k != 0);
            if !row.is_empty() {
                basis.insert(row.into_iter().collect(), c);
            }
        }
        (0..self.seen.len())
            .filter(|&i| unknown(i))
            .filter_map(|i| basis.value_of(i).map(|v| (i, v)))
            .collect()
    }
}

/// Fraction-free echelon basis over the integers: rows `Σ a × x = c`, keyed by leading column.
#[derive(Default)]
struct Basis {
    rows: HashMap<usize, (Vec<(usize, i128)>, i128)>,
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 { a.abs() } else { gcd(b, a % b) }
}

/// `a × v − b × w` on sparse rows (with constants), divided by the gcd.
fn combine(
    v: &(Vec<(usize, i128)>, i128),
    a: i128,
    w: &(Vec<(usize, i128)>, i128),
    b: i128,
) -> (Vec<(usize, i128)>, i128) {
    let mut out: BTreeMap<usize, i128> = BTreeMap::new();
    for &(c, k) in &v.0 {
        *out.entry(c).or_default() += a.checked_mul(k).expect("overflow");
    }
    for &(c, k) in &w.0 {
        *out.entry(c).or_default() -= b.checked_mul(k).expect("overflow");
    }
    out.retain(|_, k| *k != 0);
    let mut constant = a.checked_mul(v.1).unwrap() - b.checked_mul(w.1).unwrap();
    let g = out.values().fold(constant, |g, &k| gcd(g, k));
    let mut row: Vec<(usize, i128)> = out.into_iter().collect();
    if g > 1 {
        row.iter_mut().for_each(|e| e.1 /= g);
        constant /= g;
    }
    (row, constant)
}

impl Basis {
    fn reduce(&self, mut v: (Vec<(usize, i128)>, i128)) -> (Vec<(usize, i128)>, i128) {
        while let Some(&(c, k)) = v.0.first() {
            let Some(p) = self.rows.get(&c) else { break };
            let a = p.0[0].1;
            let g = gcd(a, k);
            v = combine(&v, a / g, p, k / g);
        }
        v
    }

    fn insert(&mut self, row: Vec<(usize, i128)>, c: i128) {
        let v = self.reduce((row, c));
        if let Some(&(lead, _)) = v.0.first() {
            self.rows.insert(lead, v);
        }
    }

    /// The value of `x` if the rows determine it. Tracks `s·x − Σ μ r` as a row with the
    /// variable `usize::MAX` standing for `x` itself.
    fn value_of(&self, x: usize) -> Option<i128> {
        // Reduce e_x; if it vanishes, x is a combination of the rows.
        let mut v = (vec![(x, 1i128), (usize::MAX, -1)], 0i128);
        loop {
            let (c, k) = *v.0.first()?;
            if c == usize::MAX {
                // Only the tracker left (it sorts last): k·X = const.
                return Some(v.1 / k);
            }
            let p = self.rows.get(&c)?;
            let a = p.0[0].1;
            let g = gcd(a, k);
            v = combine(&v, a / g, p, k / g);
        }
    }
}

/// France, its régions and départements, as the France page lists them.
struct Units {
    children: HashMap<String, Vec<String>>,
}

impl Units {
    fn of(france: &Json) -> Units {
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        for r in france["regions"].as_array().unwrap() {
            children
                .entry("FR".into())
                .or_default()
                .push(format!("R{}", r["code"].as_str().unwrap()));
        }
        for d in france["departements"].as_array().unwrap() {
            children
                .entry(format!("R{}", d["region"].as_str().unwrap()))
                .or_default()
                .push(format!("D{}", d["code"].as_str().unwrap()));
        }
        Units { children }
    }

    fn all(&self) -> Vec<String> {
        let mut v: Vec<String> = vec!["FR".into()];
        for c in self.children.values() {
            v.extend(c.iter().cloned());
        }
        v
    }
}

struct Outcome {
    masked: usize,
    recovered: Vec<String>,
    inconsistencies: Vec<String>,
}

/// Everything published for these month ends, every scope; the attack.
fn attack(db: &mut Db, dates: &[Date]) -> Outcome {
    let rules = Rules::standard();
    let started = Instant::now();
    let mut a = Attack::default();
    let mut units = None;
    for &d in dates {
        let france = export::to_json(
            &msp_stats::load(db, &rules, d, &Scope::France).unwrap(),
            true,
        );
        let u = units.get_or_insert_with(|| Units::of(&france));
        a.page(&france, "FR");
        let mut scopes: Vec<(String, String)> = Vec::new();
        for (parent, kids) in &u.children {
            if parent != "FR" {
                scopes.push((format!("region:{}", &parent[1..]), parent.clone()));
            }
            for k in kids.iter().filter(|k| k.starts_with('D')) {
                scopes.push((format!("departement:{}", &k[1..]), k.clone()));
            }
        }
        scopes.sort();
        for (code, unit) in scopes {
            let scope = Scope::parse(&code).unwrap();
            let j = export::to_json(&msp_stats::load(db, &rules, d, &scope).unwrap(), true);
            a.page(&j, &unit);
        }
    }
    let units = units.unwrap();
    a.relate(&units, dates);
    let read = started.elapsed();
    let solved = a.solve();
    let mut recovered = Vec::new();
    for (i, v) in solved {
        match a.seen[i] {
            Seen::Primary | Seen::Complementary => {
                recovered.push(format!("{} = {v} ({:?})", a.names[i], a.seen[i]))
            }
            Seen::Hidden if (1..=10).contains(&v) => {
                recovered.push(format!("{} = {v} (increment)", a.names[i]))
            }
            _ => {}
        }
    }
    // Rounded shares with a masked term: enumerate 1..10.
    for &(x, decimals, num, den) in &a.shares {
        let scale = 10f64.powi(decimals);
        let fits = |n: i64, d: i64| d > 0 && ((n as f64 / d as f64) * scale).round() / scale == x;
        let candidates: Vec<(i64, i64)> = match (a.seen[num], a.seen[den]) {
            (Seen::Clear(_), Seen::Clear(_)) => continue,
            (Seen::Clear(n), _) => (1..=10).filter(|&d| fits(n, d)).map(|d| (n, d)).collect(),
            (_, Seen::Clear(d)) => (1..=10).filter(|&n| fits(n, d)).map(|n| (n, d)).collect(),
            _ => (1..=10)
                .flat_map(|n| (1..=10).map(move |d| (n, d)))
                .filter(|&(n, d)| fits(n, d))
                .collect(),
        };
        if candidates.len() == 1 {
            recovered.push(format!(
                "{} / {} = {x} → {:?}",
                a.names[num], a.names[den], candidates[0]
            ));
        }
    }
    let masked = a
        .seen
        .iter()
        .filter(|s| matches!(s, Seen::Primary | Seen::Complementary))
        .count();
    eprintln!(
        "attack on {} dates: {} cells read ({masked} masked), {} relations, read in {:.1} s, solved in {:.1} s, {} recovered",
        dates.len(),
        a.seen.len(),
        a.relations.len(),
        read.as_secs_f64(),
        started.elapsed().as_secs_f64() - read.as_secs_f64(),
        recovered.len()
    );
    Outcome {
        masked,
        recovered,
        inconsistencies: a.inconsistencies,
    }
}

fn month_ends(from: Date, n: usize) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = from.first_of_month();
    for _ in 0..n {
        out.push(d.last_of_month());
        d = d.checked_add(jiff::Span::new().months(1)).unwrap();
    }
    out
}

/// Several generated demos (seeds and sizes), consecutive month ends around a year end.
///
/// With `MSP_ATTACK_DB` set (a database URL, e.g. the national demo), the attacker reads that
/// database instead, for the month ends `MSP_ATTACK_FROM` (default 2024-11-01) and the two after:
/// that is the benchmark of `scripts/bench-stats.sh`, too slow for CI.
#[test]
fn the_attacker_recovers_nothing_from_generated_demos() {
    if let Ok(url) = std::env::var("MSP_ATTACK_DB") {
        let mut db = Db::connect(&url).unwrap();
        let from = std::env::var("MSP_ATTACK_FROM")
            .ok()
            .and_then(|d| d.parse::<Date>().ok())
            .unwrap_or(date(2024, 11, 1));
        let out = attack(&mut db, &month_ends(from, 3));
        eprintln!(
            "{url}: {} masked cells read, {} recovered, {} inconsistencies",
            out.masked,
            out.recovered.len(),
            out.inconsistencies.len()
        );
        assert!(out.inconsistencies.is_empty(), "{:?}", &out.inconsistencies);
        assert!(out.recovered.is_empty(), "{:?}", &out.recovered);
        return;
    }
    let rules = Rules::standard();
    for (seed, scale) in [(11, 0.002), (12, 0.001), (13, 0.0005)] {
        let t = testing::sqlite();
        let mut db = t.connect();
        let cfg = DemoConfig {
            seed,
            scale,
            today: date(2025, 3, 20),
        };
        run(&mut db, &rules, &cfg, &|_| {}).unwrap();
        let out = attack(&mut db, &month_ends(date(2024, 11, 1), 3));
        assert!(out.masked > 100, "seed {seed}: few masked cells");
        assert!(
            out.inconsistencies.is_empty(),
            "seed {seed}: a cell differs between pages: {:?}",
            &out.inconsistencies[..out.inconsistencies.len().min(10)]
        );
        assert!(
            out.recovered.is_empty(),
            "seed {seed}: {} masked counts recovered, e.g. {:?}",
            out.recovered.len(),
            &out.recovered[..out.recovered.len().min(10)]
        );
    }
}

/// The same attacker against figures with primary suppression only finds a great deal: the
/// attack is real.
#[test]
fn the_attacker_breaks_primary_suppression_alone() {
    let rules = Rules::standard();
    let t = testing::sqlite();
    let mut db = t.connect();
    let cfg = DemoConfig {
        seed: 11,
        scale: 0.002,
        today: date(2025, 3, 20),
    };
    run(&mut db, &rules, &cfg, &|_| {}).unwrap();
    // Raw figures (compute) keep only the primary masks on output.
    let d = date(2024, 12, 31);
    let mut a = Attack::default();
    let france = export::to_json(
        &msp_stats::compute(&mut db, &rules, d, &Scope::France).unwrap(),
        true,
    );
    let units = Units::of(&france);
    a.page(&france, "FR");
    for (parent, kids) in &units.children {
        if parent != "FR" {
            let s = Scope::Region(parent[1..].to_owned());
            let j = export::to_json(&msp_stats::compute(&mut db, &rules, d, &s).unwrap(), true);
            a.page(&j, parent);
        }
        for k in kids.iter().filter(|k| k.starts_with('D')) {
            let s = Scope::Departement(k[1..].to_owned());
            let j = export::to_json(&msp_stats::compute(&mut db, &rules, d, &s).unwrap(), true);
            a.page(&j, k);
        }
    }
    a.relate(&units, &[d]);
    let solved = a.solve();
    let recovered = solved
        .iter()
        .filter(|(i, _)| matches!(a.seen[*i], Seen::Primary))
        .count();
    assert!(recovered > 50, "only {recovered} recovered");
    // And what it recovers is right.
    let raw = export::to_json(
        &msp_stats::compute(&mut db, &rules, d, &Scope::France).unwrap(),
        false,
    );
    for r in raw["departements"].as_array().unwrap() {
        let name = format!("cum:D{}:patients:{d}", r["code"].as_str().unwrap());
        if let Some(&(_, v)) = solved.iter().find(|(i, _)| a.names[*i] == name) {
            assert_eq!(i128::from(r["patients"].as_i64().unwrap()), v, "{name}");
        }
    }
}

/// Walks the published payload beside the raw one: a number in clear is the raw number, `<11`
/// stands for 1 to 10, `secret` for anything else, and no count from 1 to 10 is in clear.
fn same_or_masked(path: &str, published: &Json, raw: &Json, masked: &mut usize) {
    match (published, raw) {
        (Json::Object(p), Json::Object(r)) => {
            for (k, v) in p {
                if ["secret", "masquage", "date_demandee"].contains(&k.as_str()) {
                    continue;
                }
                let rv = &r[k];
                if k == "annees" {
                    // Only complete years are published.
                    for y in v.as_array().unwrap() {
                        let ry = rv
                            .as_array()
                            .unwrap()
                            .iter()
                            .find(|x| x["annee"] == y["annee"])
                            .unwrap();
                        same_or_masked(&format!("{path}.annees.{}", y["annee"]), y, ry, masked);
                    }
                    continue;
                }
                same_or_masked(&format!("{path}.{k}"), v, rv, masked);
            }
        }
        (Json::Array(p), Json::Array(r)) => {
            assert_eq!(p.len(), r.len(), "{path}");
            for (i, (a, b)) in p.iter().zip(r).enumerate() {
                same_or_masked(&format!("{path}[{i}]"), a, b, masked);
            }
        }
        (Json::String(s), Json::Number(n)) if s == "<11" => {
            assert!(
                (1..=10).contains(&n.as_i64().unwrap()),
                "{path}: <11 for {n}"
            );
            *masked += 1;
        }
        (Json::String(s), Json::Number(n)) if s == "secret" => {
            assert!(!(1..=10).contains(&n.as_i64().unwrap()), "{path}");
            *masked += 1;
        }
        // A share, a mean or an amount left out.
        (Json::Null, _) => {}
        (Json::Number(a), Json::Number(b)) => {
            assert_eq!(a, b, "{path}");
            if let Some(n) = a.as_i64()
                && !path.contains("depenses")
                && !path.ends_with("plafond")
                && !path.ends_with(".annee")
                && !(path.contains("repartition") && path.ends_with(".seances"))
            {
                assert!(!(1..=10).contains(&n), "{path}: {n} in clear");
            }
        }
        (a, b) => assert_eq!(a, b, "{path}"),
    }
}

#[test]
fn primary_masks_still_hold_and_nothing_else_changes() {
    let rules = Rules::standard();
    let t = testing::sqlite();
    let mut db = t.connect();
    let cfg = DemoConfig {
        seed: 5,
        scale: 0.0005,
        today: date(2025, 3, 20),
    };
    run(&mut db, &rules, &cfg, &|_| {}).unwrap();
    let mut masked = 0;
    for (d, scope) in [
        (date(2025, 1, 31), Scope::France),
        (date(2024, 12, 31), Scope::Region("84".into())),
        (date(2025, 2, 28), Scope::Departement("69".into())),
    ] {
        let published =
            export::to_json(&msp_stats::load(&mut db, &rules, d, &scope).unwrap(), true);
        let raw = export::to_json(
            &msp_stats::compute(&mut db, &rules, d, &scope).unwrap(),
            false,
        );
        same_or_masked(&scope.code(), &published, &raw, &mut masked);
    }
    assert!(masked > 50, "{masked}");
}
