//! A deterministic demo of the programme at any scale, up to the national one.
//!
//! Same seed, size and "today" ⇒ the same records and the same figures. The generator writes
//! interchange *records* (registry, conventions, suspensions, beneficiaries, exclusions, claims)
//! and [`run`] sends them through the real pipeline: `reference::upsert_*`, then
//! `claims::adjudicate_batch` once per month of receipt, as an insurer would, then
//! [`crate::refresh`]. Nothing is written to the summaries directly.
//!
//! The shape follows the published figures (`data/published_figures.csv`): the stock of
//! conventioned psychologists and the cumulative number of patients pass through anchor points
//! close to the published ones (see `docs/statistics.md`), psychologists of Auvergne-Rhône-Alpes
//! convention more often, patients are 70 % women, 11 % with C2S, 22 % under 25. Every
//! rejection reason of SPEC §7 occurs: a few claims per thousand are made wrong on purpose.

use msp_domain::fixtures::rpps;
use msp_domain::{
    Act, Beneficiary, Cents, Claim, ClaimContext, Convention, Date, Exclusion, InsuranceRegime,
    Nir, Period, PracticeMode, Referral, ReferrerKind, RegistryEntry, Rules, Sex, Suspension,
};
use msp_store::{Db, StoreResult, claims, reference};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{HashMap, HashSet};

/// Named sizes of the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// About 100 psychologists and 1,000 patients: tests.
    Small,
    /// 5 % of the national scale.
    Medium,
    /// The national scale: 50,000 liberal or mixed psychologists, about a million patients.
    National,
}

impl Size {
    pub fn parse(s: &str) -> Option<Size> {
        match s.trim().to_lowercase().as_str() {
            "small" | "petite" => Some(Size::Small),
            "medium" | "moyenne" => Some(Size::Medium),
            "national" | "nationale" => Some(Size::National),
            _ => None,
        }
    }

    pub fn scale(self) -> f64 {
        match self {
            Size::Small => 0.002,
            Size::Medium => 0.05,
            Size::National => 1.0,
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    pub seed: u64,
    /// 1.0 = national scale.
    pub scale: f64,
    /// Claims received after this day are not generated; sessions after it do not exist.
    pub today: Date,
}

/// National anchors of the stock of conventions in force (date, count), from the published
/// figures (smoothed where they contradict each other).
const CONVENTION_ANCHORS: [((i16, i8, i8), f64); 13] = [
    ((2022, 4, 5), 700.0),
    ((2022, 6, 30), 1_300.0),
    ((2022, 12, 31), 1_950.0),
    ((2023, 3, 31), 2_200.0),
    ((2023, 12, 31), 2_500.0),
    ((2024, 6, 14), 2_620.0),
    ((2024, 7, 31), 2_750.0),
    ((2024, 9, 15), 3_400.0),
    ((2025, 2, 28), 5_200.0),
    ((2025, 4, 1), 5_450.0),
    ((2025, 6, 30), 5_700.0),
    ((2025, 9, 30), 6_300.0),
    ((2026, 11, 30), 7_900.0),
];

/// National anchors of the cumulative number of patients (first accepted session).
const PATIENT_ANCHORS: [((i16, i8, i8), f64); 10] = [
    ((2022, 4, 5), 0.0),
    ((2022, 12, 31), 50_000.0),
    ((2023, 3, 31), 90_000.0),
    ((2023, 12, 31), 243_000.0),
    ((2024, 6, 14), 335_000.0),
    ((2025, 2, 28), 566_000.0),
    ((2025, 6, 30), 614_000.0),
    ((2025, 9, 30), 690_000.0),
    ((2025, 12, 31), 770_000.0),
    ((2026, 11, 30), 1_050_000.0),
];

/// Liberal or mixed psychologists in the registry at national scale, and salaried ones.
const LIBERAL_PSYCHOLOGISTS: f64 = 50_000.0;
const SALARIED_PSYCHOLOGISTS: f64 = 15_000.0;

/// Monthly hazard of a convention ending (the psychologist leaves the programme).
const LEAVE_HAZARD: f64 = 0.004;
/// Monthly hazard of a suspension.
const SUSPEND_HAZARD: f64 = 0.002;
/// Probability of continuing after each session of an episode.
const CONTINUE: f64 = 0.8645;
/// Probability that a patient comes back for another episode later.
const RETURN: f64 = 0.10;

const LAST_NAMES: [&str; 24] = [
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine",
];
const FIRST_NAMES: [&str; 20] = [
    "Camille", "Léa", "Manon", "Chloé", "Sarah", "Julie", "Claire", "Anne", "Marie", "Sophie",
    "Émilie", "Pauline", "Lucie", "Nicolas", "Julien", "Thomas", "Pierre", "Antoine", "Mathieu",
    "Hélène",
];

/// Share of patients by age band at the first session (3–11, 12–17, 18–24, 25–34, 35–44,
/// 45–54, 55–64, 65+).
const AGE_BANDS: [(i32, i32, f64); 8] = [
    (3, 11, 0.06),
    (12, 17, 0.08),
    (18, 24, 0.08),
    (25, 34, 0.22),
    (35, 44, 0.21),
    (45, 54, 0.17),
    (55, 64, 0.11),
    (65, 85, 0.07),
];

/// Days are numbered from 2020-01-01 inside the generator.
struct Calendar {
    dates: Vec<Date>,
    base: Date,
}

impl Calendar {
    fn new() -> Calendar {
        let base = jiff::civil::date(2020, 1, 1);
        let mut dates = Vec::with_capacity(4_100);
        let mut d = base;
        while d.year() < 2031 {
            dates.push(d);
            d = d.tomorrow().expect("calendar");
        }
        Calendar { dates, base }
    }

    fn date(&self, day: i32) -> Date {
        let i = usize::try_from(day).unwrap_or(0).min(self.dates.len() - 1);
        self.dates[i]
    }

    fn day(&self, date: Date) -> i32 {
        date.since(self.base).map_or(0, |s| s.get_days())
    }
}

fn ymd(c: (i16, i8, i8)) -> Date {
    jiff::civil::date(c.0, c.1, c.2)
}

/// Piecewise-linear interpolation of anchors at `day`.
fn interpolate(cal: &Calendar, anchors: &[((i16, i8, i8), f64)], day: i32) -> f64 {
    let pts: Vec<(i32, f64)> = anchors
        .iter()
        .map(|(d, v)| (cal.day(ymd(*d)), *v))
        .collect();
    if day <= pts[0].0 {
        return pts[0].1;
    }
    for w in pts.windows(2) {
        let ((d0, v0), (d1, v1)) = (w[0], w[1]);
        if day <= d1 {
            return v0 + (v1 - v0) * f64::from(day - d0) / f64::from(d1 - d0);
        }
    }
    // Beyond the last anchor: continue the last slope.
    let ((d0, v0), (d1, v1)) = (pts[pts.len() - 2], pts[pts.len() - 1]);
    v1 + (v1 - v0) * f64::from(day - d1) / f64::from(d1 - d0)
}

/// One claim, compactly (millions of them are held at once).
#[derive(Debug, Clone, Copy)]
struct Raw {
    received: i32,
    session: i32,
    psy: u32,
    /// Index into the patients (or a decoy NIR when `unknown`).
    patient: u32,
    act: Act,
    amount: u32,
    context: ClaimContext,
    tiers_payant: bool,
    /// Days between the referral letter and the session, and who wrote it.
    referral: Option<(u16, ReferrerKind)>,
    unknown: bool,
}

struct Psychologist {
    rpps: msp_domain::Rpps,
    departement: String,
    region: String,
    liberal: bool,
    /// Convention [start, end] in days; `None` when never conventioned.
    convention: Option<(i32, Option<i32>)>,
    suspensions: Vec<(i32, i32)>,
    delay: i32,
    tiers_payant: bool,
}

impl Psychologist {
    fn active(&self, day: i32) -> bool {
        self.convention
            .is_some_and(|(s, e)| s <= day && e.is_none_or(|e| day <= e))
            && !self.suspensions.iter().any(|(f, t)| *f <= day && day <= *t)
    }
}

/// The generated records.
pub struct Demo {
    pub registry: Vec<RegistryEntry>,
    pub conventions: Vec<Convention>,
    pub suspensions: Vec<Suspension>,
    pub beneficiaries: Vec<Beneficiary>,
    pub exclusions: Vec<Exclusion>,
    cal: Calendar,
    psychologists: Vec<msp_domain::Rpps>,
    patients: Vec<Nir>,
    unknown: Vec<Nir>,
    /// Sorted by receipt.
    claims: Vec<Raw>,
    seed: u64,
}

/// Weighted choice over cumulative weights.
fn pick_weighted(rng: &mut ChaCha8Rng, cumulative: &[f64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    let x = rng.random::<f64>() * total;
    cumulative
        .partition_point(|c| *c <= x)
        .min(cumulative.len() - 1)
}

fn nir_of(
    sex: Sex,
    birth: Date,
    departement: &str,
    serial: u64,
    seen: &mut HashSet<[u8; 13]>,
) -> Nir {
    let dep = if departement.starts_with("97") || departement.is_empty() {
        "97".to_owned()
    } else {
        departement.to_owned()
    };
    let mut serial = serial;
    loop {
        let body = format!(
            "{}{:02}{:02}{dep}{:06}",
            if sex == Sex::Male { 1 } else { 2 },
            birth.year() % 100,
            birth.month(),
            serial % 1_000_000
        );
        let mut key13 = [0u8; 13];
        key13.copy_from_slice(body.as_bytes());
        if seen.insert(key13) {
            let numeric: u64 = body
                .replace("2A", "19")
                .replace("2B", "18")
                .parse()
                .unwrap_or(0);
            let key = 97 - numeric % 97;
            return Nir::parse(&format!("{body}{key:02}")).expect("valid by construction");
        }
        serial += 1_000_003;
    }
}

struct Regimes {
    /// Per day: (ceiling, referral required, EEP tariff, follow-up tariff).
    by_day: Vec<(u32, bool, u32, u32)>,
    midwife_from: i32,
}

impl Regimes {
    fn new(rules: &Rules, cal: &Calendar) -> Regimes {
        let by_day = cal
            .dates
            .iter()
            .map(|d| {
                rules.regime_on(*d).map_or((0, false, 0, 0), |r| {
                    (
                        r.sessions_per_year,
                        r.referral_required,
                        u32::try_from(r.tariff(Act::Eep).0).unwrap_or(0),
                        u32::try_from(r.tariff(Act::Aps).0).unwrap_or(0),
                    )
                })
            })
            .collect();
        let midwife_from = rules
            .regimes
            .iter()
            .flat_map(|r| &r.referrers)
            .filter(|r| r.kind == ReferrerKind::SageFemme)
            .map(|r| cal.day(r.from))
            .min()
            .unwrap_or(i32::MAX);
        Regimes {
            by_day,
            midwife_from,
        }
    }

    fn get(&self, day: i32) -> (u32, bool, u32, u32) {
        self.by_day[usize::try_from(day).unwrap_or(0).min(self.by_day.len() - 1)]
    }

    fn tariff(&self, day: i32, act: Act) -> u32 {
        let r = self.get(day);
        if act == Act::Eep { r.2 } else { r.3 }
    }
}

impl Demo {
    /// Generates every record. Deterministic for a configuration.
    pub fn generate(config: &DemoConfig, rules: &Rules) -> Demo {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let cal = Calendar::new();
        let regimes = Regimes::new(rules, &cal);
        let today = cal.day(config.today);
        let launch = cal.day(rules.programme_start);
        let scale = config.scale;
        let areas = crate::geo::areas();

        // Communes, weighted by population (psychologists a little more urban).
        let communes: Vec<&msp_geo::Commune> = msp_geo::communes()
            .all()
            .iter()
            .filter(|c| {
                c.parent.is_none() && c.population > 0 && areas.region_name(&c.region).is_some()
            })
            .collect();
        let mut cum_people = Vec::with_capacity(communes.len());
        let mut cum_psy = Vec::with_capacity(communes.len());
        let (mut a, mut b) = (0.0, 0.0);
        for c in &communes {
            #[allow(clippy::cast_precision_loss)]
            let p = c.population as f64;
            a += p;
            b += p.powf(1.12);
            cum_people.push(a);
            cum_psy.push(b);
        }

        // Registry.
        let n_liberal = (LIBERAL_PSYCHOLOGISTS * scale).round().max(20.0) as usize;
        let n_salaried = (SALARIED_PSYCHOLOGISTS * scale).round() as usize;
        let mut psys: Vec<Psychologist> = Vec::with_capacity(n_liberal + n_salaried);
        let mut registry = Vec::with_capacity(n_liberal + n_salaried);
        for i in 0..n_liberal + n_salaried {
            let c = communes[pick_weighted(&mut rng, &cum_psy)];
            let liberal = i < n_liberal;
            let mode = if !liberal {
                PracticeMode::Salaried
            } else if rng.random_bool(0.3) {
                PracticeMode::Mixed
            } else {
                PracticeMode::Liberal
            };
            let id = rpps(u32::try_from(i + 1).unwrap_or(u32::MAX));
            registry.push(RegistryEntry {
                rpps: id,
                last_name: LAST_NAMES[rng.random_range(0..LAST_NAMES.len())].to_owned(),
                first_name: FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())].to_owned(),
                profession_code: RegistryEntry::PSYCHOLOGUE.to_owned(),
                practice_mode: mode,
                commune_insee: Some(c.insee.clone()),
            });
            psys.push(Psychologist {
                rpps: id,
                departement: c.departement.clone(),
                region: c.region.clone(),
                liberal,
                convention: None,
                suspensions: Vec::new(),
                delay: rng.random_range(1..=25),
                tiers_payant: rng.random_bool(0.3),
            });
        }

        // Conventions, month by month, towards the anchored stock.
        let region_weight = |r: &str| match r {
            "84" => 1.25,
            "01" | "02" | "03" | "04" | "06" => 0.8,
            _ => 1.0,
        };
        let mut pools: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in psys.iter().enumerate().filter(|(_, p)| p.liberal) {
            pools.entry(p.region.clone()).or_default().push(i);
        }
        let mut region_codes: Vec<String> = pools.keys().cloned().collect();
        region_codes.sort();
        for code in &region_codes {
            pools.get_mut(code).expect("pool").shuffle(&mut rng);
        }
        let mut active: Vec<usize> = Vec::new();
        let mut month_start = launch;
        while month_start <= today {
            let d = cal.date(month_start);
            let next = d
                .last_of_month()
                .tomorrow()
                .map_or(today + 1, |n| cal.day(n));
            let month_end = (next - 1).min(today);
            // Departures and suspensions.
            let mut kept = Vec::with_capacity(active.len());
            for &i in &active {
                let started = psys[i].convention.map_or(0, |c| c.0);
                if month_start - started > 180 && rng.random_bool(LEAVE_HAZARD) {
                    let end = rng.random_range(month_start..=month_end);
                    psys[i].convention = Some((started, Some(end)));
                } else {
                    kept.push(i);
                    if rng.random_bool(SUSPEND_HAZARD) {
                        let from = rng.random_range(month_start..=month_end);
                        let to = from + rng.random_range(30..=120);
                        psys[i].suspensions.push((from, to));
                    }
                }
            }
            active = kept;
            let target = (interpolate(&cal, &CONVENTION_ANCHORS, month_end) * scale).round();
            let wanted = (target as usize).saturating_sub(active.len());
            for _ in 0..wanted {
                let weights: Vec<f64> = region_codes
                    .iter()
                    .map(|r| region_weight(r) * pools[r].len() as f64)
                    .collect();
                let mut cumulative = Vec::with_capacity(weights.len());
                let mut acc = 0.0;
                for w in weights {
                    acc += w;
                    cumulative.push(acc);
                }
                if acc <= 0.0 {
                    break;
                }
                let r = &region_codes[pick_weighted(&mut rng, &cumulative)];
                let Some(i) = pools.get_mut(r).and_then(Vec::pop) else {
                    continue;
                };
                let start = if month_start == launch {
                    launch
                } else {
                    rng.random_range(month_start..=month_end)
                };
                psys[i].convention = Some((start, None));
                active.push(i);
            }
            month_start = next;
        }
        let mut conventions = Vec::new();
        let mut suspensions = Vec::new();
        for p in &psys {
            if let Some((s, e)) = p.convention {
                conventions.push(Convention {
                    rpps: p.rpps,
                    cpam: format!("{}1", p.departement),
                    period: Period::new(cal.date(s), e.map(|e| cal.date(e))),
                });
            }
            for (f, t) in &p.suspensions {
                suspensions.push(Suspension {
                    rpps: p.rpps,
                    period: Period::new(cal.date(*f), Some(cal.date(*t))),
                    reason: "contrôle de facturation".into(),
                });
            }
        }
        // Who is conventioned, by département and région, for patients to choose from.
        let mut by_dep: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_region: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut everyone: Vec<usize> = Vec::new();
        for (i, p) in psys
            .iter()
            .enumerate()
            .filter(|(_, p)| p.convention.is_some())
        {
            by_dep.entry(&p.departement).or_default().push(i);
            by_region.entry(&p.region).or_default().push(i);
            everyone.push(i);
        }
        let never: Vec<usize> = psys
            .iter()
            .enumerate()
            .filter(|(_, p)| p.liberal && p.convention.is_none())
            .map(|(i, _)| i)
            .collect();
        let choose = |rng: &mut ChaCha8Rng, dep: &str, region: &str, day: i32| -> Option<usize> {
            for list in [by_dep.get(dep), by_region.get(region), Some(&everyone)]
                .into_iter()
                .flatten()
            {
                for _ in 0..12 {
                    let i = list[rng.random_range(0..list.len())];
                    if psys[i].active(day) {
                        return Some(i);
                    }
                }
                let ok: Vec<usize> = list
                    .iter()
                    .copied()
                    .filter(|&i| psys[i].active(day))
                    .collect();
                if !ok.is_empty() {
                    return Some(ok[rng.random_range(0..ok.len())]);
                }
            }
            None
        };

        // Patients, month by month, towards the anchored cumulative count.
        let mut beneficiaries: Vec<Beneficiary> = Vec::new();
        let mut patients: Vec<Nir> = Vec::new();
        let mut raws: Vec<Raw> = Vec::new();
        let mut seen_nirs: HashSet<[u8; 13]> = HashSet::new();
        let cum_bands: Vec<f64> = AGE_BANDS
            .iter()
            .scan(0.0, |acc, b| {
                *acc += b.2;
                Some(*acc)
            })
            .collect();
        let mut created = 0.0f64;
        let mut month_start = launch;
        while month_start <= today {
            let d = cal.date(month_start);
            let next = d
                .last_of_month()
                .tomorrow()
                .map_or(today + 1, |n| cal.day(n));
            let month_end = (next - 1).min(today);
            let target = interpolate(&cal, &PATIENT_ANCHORS, month_end) * scale;
            let count = (target - created).round().max(0.0);
            created += count;
            for _ in 0..count as usize {
                let first = rng.random_range(month_start..=month_end);
                let c = communes[pick_weighted(&mut rng, &cum_people)];
                let Some(psy) = choose(&mut rng, &c.departement, &c.region, first) else {
                    continue;
                };
                let sex = if rng.random_bool(0.70) {
                    Sex::Female
                } else {
                    Sex::Male
                };
                let band = AGE_BANDS[pick_weighted(&mut rng, &cum_bands)];
                let age = rng.random_range(band.0..=band.1);
                let birth_day = first - age * 365 - rng.random_range(10..350) - age / 4;
                let birth = cal
                    .base
                    .checked_add(jiff::Span::new().days(i64::from(birth_day)))
                    .unwrap_or(cal.base);
                let serial = patients.len() as u64;
                let nir = nir_of(sex, birth, &c.departement, serial, &mut seen_nirs);
                let kind = rng.random::<f64>();
                let (ame, c2s, amc) = if kind < 0.01 {
                    (true, false, false)
                } else if kind < 0.12 {
                    (false, true, false)
                } else {
                    (false, false, rng.random_bool(0.88))
                };
                let since = jiff::civil::date(2019, 1, 1);
                let alsace = matches!(c.departement.as_str(), "57" | "67" | "68");
                beneficiaries.push(Beneficiary {
                    nir,
                    birth_date: birth,
                    sex,
                    regime: if alsace {
                        InsuranceRegime::AlsaceMoselle
                    } else {
                        InsuranceRegime::General
                    },
                    rights: (!ame).then(|| Period::new(since.min(birth), None)),
                    ame: ame.then(|| Period::new(since, None)),
                    c2s: c2s.then(|| Period::new(since, None)),
                    amc_id: amc.then(|| format!("AMC{:03}", rng.random_range(1..=120))),
                    noemie: amc && rng.random_bool(0.85),
                    commune_insee: Some(c.insee.clone()),
                    exclusions: Vec::new(),
                });
                let context = match rng.random::<f64>() {
                    x if x < 0.04 => ClaimContext::Ald,
                    x if x < 0.05 && sex == Sex::Female && (18..=44).contains(&age) => {
                        ClaimContext::Maternite
                    }
                    x if x < 0.055 => ClaimContext::Atmp,
                    _ => ClaimContext::Maladie,
                };
                let index = u32::try_from(patients.len()).unwrap_or(u32::MAX);
                patients.push(nir);
                let mut patient = PatientSim {
                    index,
                    context,
                    years: HashMap::new(),
                    last_received: 0,
                };
                let mut start = first;
                let mut psy = psy;
                loop {
                    let end = patient.episode(
                        &mut rng, &regimes, &psys, &mut raws, start, psy, today, &never,
                    );
                    if !rng.random_bool(RETURN) {
                        break;
                    }
                    start = end + rng.random_range(120..480);
                    if start > today {
                        break;
                    }
                    match choose(&mut rng, &c.departement, &c.region, start) {
                        Some(p) => psy = p,
                        None => break,
                    }
                }
            }
            month_start = next;
        }

        // Decoys: people the claims name but who are not (or no longer) eligible.
        let mut unknown = Vec::new();
        let mut exclusions = Vec::new();
        let decoys = ((patients.len() as f64) * 0.0006).ceil() as usize;
        for k in 0..decoys.max(2) {
            let day = rng.random_range(launch + 30..today.max(launch + 31));
            let Some(psy) = choose(&mut rng, "", "", day) else {
                continue;
            };
            let sex = if k % 2 == 0 { Sex::Female } else { Sex::Male };
            let amount = regimes.tariff(day, Act::Eep);
            let referral = Some((10u16, ReferrerKind::Medecin));
            let base = Raw {
                received: day + psys[psy].delay,
                session: day,
                psy: u32::try_from(psy).unwrap_or(0),
                patient: 0,
                act: Act::Eep,
                amount,
                context: ClaimContext::Maladie,
                tiers_payant: false,
                referral,
                unknown: false,
            };
            if base.received > today {
                continue;
            }
            // Unknown to the insurer (DROITS_FERMES).
            let stranger = nir_of(
                sex,
                jiff::civil::date(1980, 5, 1),
                "99",
                k as u64,
                &mut seen_nirs,
            );
            raws.push(Raw {
                patient: u32::try_from(unknown.len()).unwrap_or(0),
                unknown: true,
                ..base
            });
            unknown.push(stranger);
            // A toddler (AGE) and an excluded adult (EXCLU).
            for toddler in [true, false] {
                let birth = if toddler {
                    cal.date(day - 2 * 365)
                } else {
                    jiff::civil::date(1975, 6, 15)
                };
                let nir = nir_of(sex, birth, "75", 900_000 + k as u64, &mut seen_nirs);
                beneficiaries.push(Beneficiary {
                    nir,
                    birth_date: birth,
                    sex,
                    regime: InsuranceRegime::General,
                    rights: Some(Period::new(birth.min(jiff::civil::date(2019, 1, 1)), None)),
                    ame: None,
                    c2s: None,
                    amc_id: None,
                    noemie: false,
                    commune_insee: Some("75056".into()),
                    exclusions: Vec::new(),
                });
                if !toddler {
                    exclusions.push(Exclusion {
                        nir,
                        period: Period::new(cal.date(day - 200), Some(cal.date(day - 20))),
                    });
                }
                raws.push(Raw {
                    patient: u32::try_from(patients.len()).unwrap_or(0),
                    ..base
                });
                patients.push(nir);
            }
        }
        // Sessions before the programme (HORS_DISPOSITIF), in the first batch.
        for k in 0..((scale * 200.0).ceil() as usize).max(1) {
            if patients.is_empty() || everyone.is_empty() {
                break;
            }
            let psy = everyone[k % everyone.len()];
            raws.push(Raw {
                received: launch + 3,
                session: launch - 1 - rng.random_range(0..20),
                psy: u32::try_from(psy).unwrap_or(0),
                patient: rng.random_range(0..u32::try_from(patients.len()).unwrap_or(1)),
                act: Act::Eep,
                amount: 4000,
                context: ClaimContext::Maladie,
                tiers_payant: false,
                referral: Some((5, ReferrerKind::Medecin)),
                unknown: false,
            });
        }

        raws.retain(|r| r.received <= today);
        raws.sort_by_key(|r| (r.received, r.psy, r.session, r.patient));
        Demo {
            registry,
            conventions,
            suspensions,
            beneficiaries,
            exclusions,
            cal,
            psychologists: psys.iter().map(|p| p.rpps).collect(),
            patients,
            unknown,
            claims: raws,
            seed: config.seed,
        }
    }

    /// Number of claims generated.
    pub fn claim_count(&self) -> usize {
        self.claims.len()
    }

    /// The claims, one batch per month of receipt: `(label, claims)`.
    pub fn batches(&self) -> impl Iterator<Item = (String, Vec<Claim>)> + '_ {
        let mut start = 0;
        std::iter::from_fn(move || {
            if start >= self.claims.len() {
                return None;
            }
            let first = self.cal.date(self.claims[start].received);
            let key = (first.year(), first.month());
            let mut end = start;
            while end < self.claims.len() {
                let d = self.cal.date(self.claims[end].received);
                if (d.year(), d.month()) != key {
                    break;
                }
                end += 1;
            }
            let claims = (start..end).map(|i| self.claim(i)).collect();
            start = end;
            Some((batch_label(key.0, key.1), claims))
        })
    }

    fn claim(&self, i: usize) -> Claim {
        let r = &self.claims[i];
        let session = self.cal.date(r.session);
        Claim {
            claim_id: format!("D{}-{i:08}", self.seed),
            received_date: self.cal.date(r.received),
            rpps: self.psychologists[r.psy as usize],
            nir: if r.unknown {
                self.unknown[r.patient as usize]
            } else {
                self.patients[r.patient as usize]
            },
            session_date: session,
            act: r.act,
            amount: Cents(i64::from(r.amount)),
            context: r.context,
            tiers_payant: r.tiers_payant,
            referral: r.referral.map(|(before, kind)| Referral {
                date: self.cal.date(r.session - i32::from(before)),
                referrer_id: Some(match kind {
                    ReferrerKind::Medecin => "10003456782".to_owned(),
                    ReferrerKind::SageFemme => "10007654325".to_owned(),
                }),
                kind: Some(kind),
            }),
        }
    }
}

struct PatientSim {
    index: u32,
    context: ClaimContext,
    /// year → accepted sessions so far.
    years: HashMap<i16, u32>,
    last_received: i32,
}

impl PatientSim {
    /// Generates one episode of care from `start` with psychologist `psy`; returns its last day.
    #[allow(clippy::too_many_arguments)]
    fn episode(
        &mut self,
        rng: &mut ChaCha8Rng,
        regimes: &Regimes,
        psys: &[Psychologist],
        out: &mut Vec<Raw>,
        start: i32,
        psy: usize,
        today: i32,
        never: &[usize],
    ) -> i32 {
        let cal_year = |day: i32| -> i16 {
            // 2020-01-01 is day 0; good enough through 2030 with leap years counted.
            let mut y = 2020i16;
            let mut d = day;
            loop {
                let len = if y % 4 == 0 { 366 } else { 365 };
                if d < len {
                    return y;
                }
                d -= len;
                y += 1;
            }
        };
        let year_start = |y: i16| -> i32 {
            (2020..y)
                .map(|yy| if yy % 4 == 0 { 366 } else { 365 })
                .sum()
        };
        let mut day = start;
        // A new psychologist may only be paid after the previous one's claims arrived.
        let p = &psys[psy];
        if day + p.delay <= self.last_received {
            day = self.last_received - p.delay + 1;
        }
        let mut last = day;
        loop {
            if day > today || !p.active(day) {
                break;
            }
            let (ceiling, referral_required, _, _) = regimes.get(day);
            if ceiling == 0 {
                break;
            }
            let year = cal_year(day);
            let used = self.years.get(&year).copied().unwrap_or(0);
            let received = day + p.delay;
            let base = Raw {
                received,
                session: day,
                psy: u32::try_from(psy).unwrap_or(0),
                patient: self.index,
                act: Act::Aps,
                amount: 0,
                context: self.context,
                tiers_payant: p.tiers_payant,
                referral: None,
                unknown: false,
            };
            if used >= ceiling {
                // The psychologist bills one more anyway now and then: PLAFOND.
                if rng.random_bool(0.3) {
                    out.push(Raw {
                        amount: regimes.tariff(day, Act::Aps),
                        ..base
                    });
                }
                break;
            }
            let act = if used == 0 {
                Act::Eep
            } else if rng.random_bool(0.12) {
                Act::Pss
            } else {
                Act::Aps
            };
            let referral = if act == Act::Eep && (referral_required || rng.random_bool(0.25)) {
                let before = rng.random_range(1..=60u16);
                let kind =
                    if day - i32::from(before) >= regimes.midwife_from && rng.random_bool(0.05) {
                        ReferrerKind::SageFemme
                    } else {
                        ReferrerKind::Medecin
                    };
                Some((before, kind))
            } else {
                None
            };
            let claim = Raw {
                act,
                amount: regimes.tariff(day, act),
                referral,
                ..base
            };
            out.push(claim);
            self.years.insert(year, used + 1);
            self.last_received = self.last_received.max(received);
            last = day;

            // Mistakes, a few per thousand claims, each meant to be rejected for one reason.
            let x = rng.random::<f64>();
            let eep_tariff = regimes.tariff(day + 1, Act::Eep);
            if x < 0.002 {
                // DOUBLON: the same session sent again.
                out.push(Raw {
                    received: received + 3,
                    ..claim
                });
            } else if x < 0.0025 {
                // DATE_INVALIDE: a session dated after the day the claim was received.
                out.push(Raw {
                    session: received + 2,
                    received,
                    act: Act::Aps,
                    referral: None,
                    ..claim
                });
            } else if x < 0.0035 {
                // TARIF: the old tariff, or a rounded amount.
                out.push(Raw {
                    session: day + 1,
                    received: received + 1,
                    act: Act::Aps,
                    amount: regimes.tariff(day + 1, Act::Aps) - 1000,
                    referral: None,
                    ..claim
                });
            } else if x < 0.0045 && act == Act::Eep && referral_required {
                // ADRESSAGE: an evaluation without its letter.
                out.push(Raw {
                    session: day + 1,
                    received: received + 1,
                    amount: eep_tariff,
                    referral: None,
                    ..claim
                });
            } else if x < 0.0055 {
                // MEME_JOUR: a second session the same day.
                out.push(Raw {
                    received: received + 1,
                    act: if act == Act::Aps { Act::Pss } else { Act::Aps },
                    amount: regimes.tariff(day, Act::Aps),
                    referral: None,
                    ..claim
                });
            } else if x < 0.007 && act != Act::Eep {
                // EEP_DEJA_FACTUREE: a second evaluation in the year.
                out.push(Raw {
                    session: day + 1,
                    received: received + 1,
                    act: Act::Eep,
                    amount: eep_tariff,
                    referral: Some((5, ReferrerKind::Medecin)),
                    ..claim
                });
            } else if x < 0.008 && act == Act::Eep && day - 3 >= year_start(year) {
                // EEP_MANQUANTE: a follow-up billed before the evaluation of the year.
                out.push(Raw {
                    session: day - 3,
                    act: Act::Aps,
                    amount: regimes.tariff(day - 3, Act::Aps),
                    referral: None,
                    ..claim
                });
            } else if x < 0.0085 {
                // FORCLOS: a session sent more than two years late.
                let late = next_quarter_plus_two_years(day + 1) + 10;
                out.push(Raw {
                    session: day + 1,
                    received: late,
                    act: Act::Aps,
                    amount: regimes.tariff(day + 1, Act::Aps),
                    referral: None,
                    ..claim
                });
            } else if x < 0.0095 && !never.is_empty() {
                // PSY_NON_CONVENTIONNE: billed by a psychologist without a convention.
                let other = never[rng.random_range(0..never.len())];
                out.push(Raw {
                    session: day + 2,
                    received: day + 2 + psys[other].delay,
                    psy: u32::try_from(other).unwrap_or(0),
                    act: Act::Aps,
                    amount: regimes.tariff(day + 2, Act::Aps),
                    referral: None,
                    ..claim
                });
            }

            if !rng.random_bool(CONTINUE) {
                break;
            }
            day += rng.random_range(7..=16);
        }
        last
    }
}

/// First day of the quarter after `day`'s quarter, plus two years (in generator days).
fn next_quarter_plus_two_years(day: i32) -> i32 {
    let cal = Calendar::new();
    let date = cal.date(day);
    let deadline = msp_domain::dates::next_quarter_start(date)
        .checked_add(jiff::Span::new().years(2))
        .unwrap_or(date);
    cal.day(deadline)
}

/// What a demo run did.
#[derive(Debug, Clone, Default)]
pub struct DemoSummary {
    pub psychologists: usize,
    pub conventions: usize,
    pub beneficiaries: usize,
    pub batches: usize,
    pub claims: usize,
    pub accepted: usize,
}

/// Generates the demo and sends it through import and adjudication, then refreshes the
/// statistics. `progress` receives one French line per step.
pub fn run(
    db: &mut Db,
    rules: &Rules,
    config: &DemoConfig,
    progress: &dyn Fn(&str),
) -> StoreResult<DemoSummary> {
    msp_store::migrate(db)?;
    let started = std::time::Instant::now();
    let demo = Demo::generate(config, rules);
    progress(&format!(
        "données générées en {:.1} s : {} psychologues inscrits, {} conventions, {} bénéficiaires, {} demandes",
        started.elapsed().as_secs_f64(),
        demo.registry.len(),
        demo.conventions.len(),
        demo.beneficiaries.len(),
        demo.claim_count()
    ));
    db.transaction(|tx| {
        reference::upsert_registry(tx, &demo.registry)?;
        reference::upsert_conventions(tx, &demo.conventions)?;
        reference::upsert_suspensions(tx, &demo.suspensions)?;
        reference::upsert_beneficiaries(tx, &demo.beneficiaries)?;
        reference::upsert_exclusions(tx, &demo.exclusions)
    })?;
    progress(&format!(
        "référentiels importés ({:.1} s)",
        started.elapsed().as_secs_f64()
    ));
    let mut summary = DemoSummary {
        psychologists: demo.registry.len(),
        conventions: demo.conventions.len(),
        beneficiaries: demo.beneficiaries.len(),
        ..DemoSummary::default()
    };
    for (label, batch) in demo.batches() {
        let last = batch.last().map_or(config.today, |c| c.received_date);
        let now = last
            .at(18, 0, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map_or(jiff::Timestamp::UNIX_EPOCH, |z| z.timestamp());
        let outcome = claims::adjudicate_batch_with(
            db,
            rules,
            &label,
            now,
            &batch,
            &|_, _, _| {},
            &mut crate::refresh::fold_judged,
        )?;
        let accepted = outcome.decisions.iter().filter(|d| d.is_accepted()).count();
        summary.batches += 1;
        summary.claims += batch.len();
        summary.accepted += accepted;
        progress(&format!(
            "{label} : {} demandes, {accepted} acceptées ({:.1} s)",
            batch.len(),
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(summary)
}

/// The label of the demo's batch of a month, as « Derniers lots » shows it.
fn batch_label(year: i16, month: i8) -> String {
    format!(
        "démo : demandes reçues en {} {year}",
        msp_domain::french::month_name(month)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn batch_labels_say_the_month_in_french() {
        assert_eq!(
            super::batch_label(2025, 3),
            "démo : demandes reçues en mars 2025"
        );
    }
}
