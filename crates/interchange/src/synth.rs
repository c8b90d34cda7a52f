//! Deterministic synthetic data: the six input files of SPEC §8, at any size.
//!
//! Same [`SynthConfig`] (seed included) ⇒ byte-identical files. Identifiers are always valid
//! (RPPS with their Luhn key, NIR with their key, `2A`/`2B` included) and every row of every file
//! is readable: the deliberate mistakes are adjudication mistakes (unknown patients, wrong
//! amounts, duplicates, same-day sessions, late receipt, missing or stale referral letters, sessions
//! over the ceiling, repeated claim ids...), never malformed cells.
//!
//! The generator follows the standard calendar of `rules/regimes.toml`: programme start
//! 2022-04-05, tariffs 40/30/30 € and 8 sessions a year until 2024-06-14, then 50 € and 12
//! sessions; AMO tiers payant mandatory from 2026-10-01.

use msp_domain::dates::Date;
use msp_domain::ids::luhn_complete;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthConfig {
    pub seed: u64,
    /// Conventioned psychologists (the registry also lists non-conventioned ones and doctors).
    pub psychologists: usize,
    /// Beneficiaries.
    pub patients: usize,
    /// Rows of `claims.csv`, exactly.
    pub claims: usize,
    /// Sessions happen in `[start, end]` (apart from a few deliberately out-of-programme ones).
    pub start: Date,
    pub end: Date,
}

impl SynthConfig {
    /// A configuration over the programme's first years (2022-04-05 .. 2025-12-31).
    pub fn new(seed: u64, psychologists: usize, patients: usize, claims: usize) -> Self {
        Self {
            seed,
            psychologists,
            patients,
            claims,
            start: jiff::civil::date(2022, 4, 5),
            end: jiff::civil::date(2025, 12, 31),
        }
    }
}

/// The file names the generator writes in a directory.
pub const FILE_NAMES: [&str; 6] = [
    "registry.csv",
    "conventions.csv",
    "suspensions.csv",
    "beneficiaries.csv",
    "exclusions.csv",
    "claims.csv",
];

/// One writer per input file.
#[derive(Debug, Default)]
pub struct SynthFiles<W> {
    pub registry: W,
    pub conventions: W,
    pub suspensions: W,
    pub beneficiaries: W,
    pub exclusions: W,
    pub claims: W,
}

/// How many rows of each file were written, and how many claims were made wrong on purpose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SynthSummary {
    pub registry: usize,
    pub conventions: usize,
    pub suspensions: usize,
    pub beneficiaries: usize,
    pub exclusions: usize,
    pub claims: usize,
    /// Claims made wrong on purpose (each kind counted once per claim), by kind.
    pub deliberate: Deliberate,
}

/// Counts of deliberately wrong claims.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deliberate {
    pub unknown_patient: usize,
    pub wrong_amount: usize,
    pub duplicate_session: usize,
    pub same_day: usize,
    pub late: usize,
    pub received_before_session: usize,
    pub before_programme: usize,
    pub unconventioned_psychologist: usize,
    pub referral_problem: usize,
    pub over_ceiling_episodes: usize,
    pub repeated_claim_id: usize,
}

/// Writes the six files into `dir` (created if needed), named as in [`FILE_NAMES`].
pub fn generate_to_dir(config: &SynthConfig, dir: &Path) -> io::Result<SynthSummary> {
    std::fs::create_dir_all(dir)?;
    let open =
        |name: &str| File::create(dir.join(name)).map(|f| BufWriter::with_capacity(1 << 16, f));
    let mut files = SynthFiles {
        registry: open(FILE_NAMES[0])?,
        conventions: open(FILE_NAMES[1])?,
        suspensions: open(FILE_NAMES[2])?,
        beneficiaries: open(FILE_NAMES[3])?,
        exclusions: open(FILE_NAMES[4])?,
        claims: open(FILE_NAMES[5])?,
    };
    let summary = generate(config, &mut files)?;
    for w in [
        &mut files.registry,
        &mut files.conventions,
        &mut files.suspensions,
        &mut files.beneficiaries,
        &mut files.exclusions,
        &mut files.claims,
    ] {
        w.flush()?;
    }
    Ok(summary)
}

// ---------------------------------------------------------------------------------------------
// Days since 1970-01-01 (fast civil arithmetic, H. Hinnant's algorithms).

type Day = i32;

fn days_from_civil(y: i32, m: i32, d: i32) -> Day {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: Day) -> (i32, i32, i32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn day_of(date: Date) -> Day {
    days_from_civil(
        i32::from(date.year()),
        i32::from(date.month()),
        i32::from(date.day()),
    )
}

fn year_of(day: Day) -> i32 {
    civil_from_days(day).0
}

/// 0 = Sunday.
fn weekday(day: Day) -> i32 {
    (day + 4).rem_euclid(7)
}

/// First day of the next quarter, plus two years (SPEC §3).
fn limitation_deadline(session: Day) -> Day {
    let (y, m, _) = civil_from_days(session);
    let q = (m - 1) / 3;
    let (ny, nm) = if q == 3 { (y + 1, 1) } else { (y, q * 3 + 4) };
    days_from_civil(ny + 2, nm, 1)
}

const PROGRAMME_START: (i32, i32, i32) = (2022, 4, 5);
const REFORM: (i32, i32, i32) = (2024, 6, 15);
const LFSS: (i32, i32, i32) = (2026, 10, 1);
const SAGE_FEMME_FROM: (i32, i32, i32) = (2023, 12, 25);

fn d(c: (i32, i32, i32)) -> Day {
    days_from_civil(c.0, c.1, c.2)
}

// ---------------------------------------------------------------------------------------------
// Output helpers: rows are built in a byte buffer, no per-row allocation.

struct Out<'w, W: Write> {
    w: &'w mut W,
    buf: Vec<u8>,
}

impl<'w, W: Write> Out<'w, W> {
    fn new(w: &'w mut W, header: &str) -> Self {
        let mut buf = Vec::with_capacity(1 << 16);
        buf.extend_from_slice(header.as_bytes());
        buf.push(b'\n');
        Self { w, buf }
    }
    fn s(&mut self, s: &str) -> &mut Self {
        self.buf.extend_from_slice(s.as_bytes());
        self
    }
    fn b(&mut self, s: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(s);
        self
    }
    fn c(&mut self) -> &mut Self {
        self.buf.push(b',');
        self
    }
    fn num(&mut self, mut n: u64, width: usize) -> &mut Self {
        let mut tmp = [b'0'; 20];
        let mut i = 20;
        loop {
            i -= 1;
            tmp[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let start = i.min(20 - width.min(20));
        self.buf.extend_from_slice(&tmp[start..]);
        self
    }
    fn date(&mut self, day: Day) -> &mut Self {
        let (y, m, dd) = civil_from_days(day);
        self.num(y as u64, 4);
        self.buf.push(b'-');
        self.num(m as u64, 2);
        self.buf.push(b'-');
        self.num(dd as u64, 2)
    }
    fn opt_date(&mut self, day: Option<Day>) -> &mut Self {
        if let Some(day) = day {
            self.date(day);
        }
        self
    }
    fn euros(&mut self, cents: u32) -> &mut Self {
        self.num(u64::from(cents / 100), 1);
        self.buf.push(b'.');
        self.num(u64::from(cents % 100), 2)
    }
    fn end(&mut self) -> io::Result<()> {
        self.buf.push(b'\n');
        if self.buf.len() >= (1 << 16) - 512 {
            self.w.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
    fn finish(mut self) -> io::Result<()> {
        self.w.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Reference data.

const LAST_NAMES: &[&str] = &[
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "N'Diaye",
    "Le Gall",
    "Dupont-Moreau",
    "Schmitt",
    "Meyer",
    "Klein",
    "Nguyen",
    "Benali",
    "Da Silva",
    "Ferrand",
];
const FEMALE_NAMES: &[&str] = &[
    "Marie",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Sophie",
    "Camille",
    "Julie",
    "Émilie",
    "Céline",
    "Claire",
    "Anne-Sophie",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Sarah",
    "Aurélie",
    "Hélène",
    "Élodie",
    "Laure",
    "Mathilde",
    "Pauline",
    "Zoé",
];
const MALE_NAMES: &[&str] = &[
    "Jean",
    "Pierre",
    "Nicolas",
    "Julien",
    "Thomas",
    "Alexandre",
    "François",
    "Laurent",
    "Stéphane",
    "Olivier",
    "Jérôme",
    "Mathieu",
    "Hugo",
    "Lucas",
    "Antoine",
    "Karim",
    "Yann",
    "Jean-Marc",
    "Rémi",
    "Benoît",
];
/// Real INSEE commune codes (checked against `data/communes.csv` by the tests).
const COMMUNES: &[&str] = &[
    "75056", "13055", "69123", "31555", "06088", "44109", "34172", "33063", "59350", "35238",
    "51454", "38185", "21231", "63113", "87085", "29019", "76540", "80021", "45234", "37261",
    "86194", "64445", "97411", "97105", "54395", "25056", "14118", "49007", "72181", "17300",
    "66136", "2A004", "2B033",
];
/// Communes of the Alsace-Moselle local regime (57, 67, 68).
const ALSACE_MOSELLE: &[&str] = &["57463", "57672", "67482", "67180", "68224", "68066"];
/// Complementary insurers (organism numbers).
const AMC_IDS: &[&str] = &[
    "775685365",
    "775606361",
    "784442899",
    "775671993",
    "779558501",
    "302976568",
    "784621419",
    "775659923",
    "538518473",
    "442366738",
    "777927120",
    "781452511",
];
const SUSPENSION_REASONS: &[&str] = &[
    "contrôle d’activité en cours",
    "suspension à la demande du psychologue",
    "manquement aux engagements conventionnels",
];

fn pick<'a>(rng: &mut ChaCha8Rng, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

/// An 11-digit RPPS from a 10-digit body, with its Luhn key.
fn rpps_from(body: u64) -> u64 {
    let partial = format!("{:010}", body % 10_000_000_000);
    let key = u64::from(luhn_complete(&partial) as u8 - b'0');
    (body % 10_000_000_000) * 10 + key
}

/// Distinct RPPS numbers: `prefix` then a permuted sequence (a step coprime with 10^9).
fn rpps_sequence(prefix: u64, count: usize, offset: u64) -> Vec<u64> {
    (0..count as u64)
        .map(|i| rpps_from(prefix * 1_000_000_000 + (i * 7919 + offset) % 1_000_000_000))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Entities.

struct Psy {
    rpps: u64,
    conventions: Vec<(Day, Option<Day>)>,
    suspension: Option<(Day, Day)>,
    tiers_payant: bool,
}

impl Psy {
    fn active(&self, day: Day) -> bool {
        self.conventions
            .iter()
            .any(|(s, e)| *s <= day && e.is_none_or(|e| day <= e))
            && !self.suspension.is_some_and(|(s, e)| s <= day && day <= e)
    }
}

type Span = (Day, Option<Day>);

struct Patient {
    nir: [u8; 15],
    birth: Day,
    female: bool,
    alsace: bool,
    rights: Option<Span>,
    ame: Option<Span>,
    c2s: Option<Span>,
    amc: Option<(usize, bool)>,
    commune: &'static str,
    exclusion: Option<Span>,
    /// Written as `1`/`2` rather than `M`/`F`.
    numeric_sex: bool,
    busy_until: Day,
    last_year: i32,
    /// Sessions billed in `last_year`.
    year_count: usize,
    psy: u32,
}

fn covers(span: Option<Span>, day: Day) -> bool {
    span.is_some_and(|(s, e)| s <= day && e.is_none_or(|e| day <= e))
}

#[derive(Clone, Copy)]
struct Letter {
    date: Day,
    doctor: u32,
    sage_femme: bool,
}

#[derive(Clone, Copy)]
struct GenClaim {
    received: Day,
    session: Day,
    seq: u32,
    /// Index into the NIR table (patients, then unknown ones).
    patient: u32,
    /// Index into the psychologists (conventioned, then registered only).
    psy: u32,
    amount: u32,
    act: u8,
    context: u8,
    tiers_payant: bool,
    letter: Option<Letter>,
}

const EEP: u8 = 0;
const APS: u8 = 1;
const PSS: u8 = 2;
const ACT_CODES: [&str; 3] = ["EEP", "APS", "PSS"];
const CONTEXTS: [&str; 4] = ["maladie", "ald", "maternite", "atmp"];

fn tariff(day: Day, act: u8) -> u32 {
    if day >= d(REFORM) {
        5000
    } else if act == EEP {
        4000
    } else {
        3000
    }
}

fn nir_for(rng: &mut ChaCha8Rng, p: &Patient, seen: &mut HashSet<[u8; 13]>) -> [u8; 15] {
    let (y, m, _) = civil_from_days(p.birth);
    loop {
        let mut s = [b'0'; 15];
        let temporary = p.ame.is_some() && rng.random_bool(0.5);
        s[0] = match (p.female, temporary) {
            (false, false) => b'1',
            (true, false) => b'2',
            (false, true) => b'7',
            (true, true) => b'8',
        };
        let yy = (y % 100) as u64;
        let mm = if rng.random_bool(0.005) {
            rng.random_range(20..=42u64)
        } else {
            m as u64
        };
        s[1] = b'0' + (yy / 10) as u8;
        s[2] = b'0' + (yy % 10) as u8;
        s[3] = b'0' + (mm / 10) as u8;
        s[4] = b'0' + (mm % 10) as u8;
        let dept: &[u8] = if rng.random_bool(0.08) {
            b"99"
        } else if rng.random_bool(0.8) {
            &p.commune.as_bytes()[..2]
        } else {
            &pick(rng, COMMUNES).as_bytes()[..2]
        };
        s[5] = dept[0];
        s[6] = dept[1];
        let rest = rng.random_range(1..1_000_000u64);
        for i in 0..6 {
            s[12 - i] = b'0' + ((rest / 10u64.pow(i as u32)) % 10) as u8;
        }
        let mut body = [0u8; 13];
        body.copy_from_slice(&s[..13]);
        if !seen.insert(body) {
            continue;
        }
        let numeric = match &s[5..7] {
            b"2A" => b"19",
            b"2B" => b"18",
            other => other,
        };
        let mut n: u64 = 0;
        for (i, c) in s[..13].iter().enumerate() {
            let c = if i == 5 || i == 6 { numeric[i - 5] } else { *c };
            n = n * 10 + u64::from(c - b'0');
        }
        let key = 97 - n % 97;
        s[13] = b'0' + (key / 10) as u8;
        s[14] = b'0' + (key % 10) as u8;
        return s;
    }
}

/// Generates the six files into `out`.
pub fn generate<W: Write>(
    config: &SynthConfig,
    out: &mut SynthFiles<W>,
) -> io::Result<SynthSummary> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut summary = SynthSummary::default();
    let start = day_of(config.start);
    let end = day_of(config.end).max(start);
    let span = end - start + 1;
    let prog = d(PROGRAMME_START);

    // Psychologists: conventioned ones, then registered non-conventioned ones, then doctors.
    let n_psy = config.psychologists.max(1);
    let n_extra = n_psy / 2 + 1;
    let n_doctors = (n_psy / 4).max(3);
    let offset = rng.random_range(0..1_000_000_000u64);
    let psy_rpps = rpps_sequence(1, n_psy + n_extra, offset);
    let doctor_rpps = rpps_sequence(2, n_doctors, offset);
    let conv_floor = start.min(prog);
    let mut psys: Vec<Psy> = psy_rpps[..n_psy]
        .iter()
        .map(|&rpps| {
            let first = if rng.random_bool(0.8) {
                conv_floor - rng.random_range(0..400)
            } else {
                start + rng.random_range(0..span.max(2) * 3 / 4 + 1)
            };
            let mut conventions = vec![(first, None)];
            if rng.random_bool(0.08) {
                let stop = first + rng.random_range(120..900);
                if stop < end {
                    conventions[0].1 = Some(stop);
                    if rng.random_bool(0.25) {
                        conventions.push((stop + rng.random_range(30..300), None));
                    }
                }
            }
            let suspension = rng.random_bool(0.03).then(|| {
                let from = start + rng.random_range(0..span);
                (from, from + rng.random_range(30..180))
            });
            Psy {
                rpps,
                conventions,
                suspension,
                tiers_payant: rng.random_bool(0.3),
            }
        })
        .collect();
    psys.extend(psy_rpps[n_psy..].iter().map(|&rpps| Psy {
        rpps,
        conventions: Vec::new(),
        suspension: None,
        tiers_payant: false,
    }));

    // Registry.
    {
        let mut o = Out::new(
            &mut out.registry,
            "rpps,last_name,first_name,profession_code,practice_mode,commune_insee",
        );
        let all = psy_rpps
            .iter()
            .map(|r| (*r, "93"))
            .chain(doctor_rpps.iter().map(|r| (*r, "10")));
        for (rpps, profession) in all {
            let female = rng.random_bool(if profession == "93" { 0.85 } else { 0.5 });
            let mode = match rng.random_range(0..10) {
                0..7 => "L",
                7 => "S",
                _ => "M",
            };
            let first = pick(&mut rng, if female { FEMALE_NAMES } else { MALE_NAMES });
            let last = pick(&mut rng, LAST_NAMES);
            o.num(rpps, 11)
                .c()
                .s(last)
                .c()
                .s(first)
                .c()
                .s(profession)
                .c()
                .s(mode)
                .c();
            if !rng.random_bool(0.02) {
                o.s(pick(&mut rng, COMMUNES));
            }
            o.end()?;
            summary.registry += 1;
        }
        o.finish()?;
    }

    // Conventions and suspensions.
    {
        let mut o = Out::new(&mut out.conventions, "rpps,cpam,start_date,end_date");
        for p in &psys {
            let cpam = 100 + (p.rpps % 900);
            for (s, e) in &p.conventions {
                o.num(p.rpps, 11)
                    .c()
                    .num(cpam, 3)
                    .c()
                    .date(*s)
                    .c()
                    .opt_date(*e)
                    .end()?;
                summary.conventions += 1;
            }
        }
        o.finish()?;
        let mut o = Out::new(&mut out.suspensions, "rpps,from,to,reason");
        for p in &psys {
            if let Some((s, e)) = p.suspension {
                let reason = pick(&mut rng, SUSPENSION_REASONS);
                o.num(p.rpps, 11)
                    .c()
                    .date(s)
                    .c()
                    .date(e)
                    .c()
                    .s(reason)
                    .end()?;
                summary.suspensions += 1;
            }
        }
        o.finish()?;
    }

    // Patients.
    let n_pat = config.patients.max(1);
    let mut seen = HashSet::with_capacity(n_pat + n_pat / 50 + 8);
    let mut patients: Vec<Patient> = Vec::with_capacity(n_pat);
    let general: Vec<&'static str> = COMMUNES.to_vec();
    for _ in 0..n_pat {
        let female = rng.random_bool(0.7);
        let age_days = match rng.random_range(0..1000) {
            0..3 => rng.random_range(365..3 * 365),
            3..123 => rng.random_range(3 * 365..18 * 365),
            123..970 => rng.random_range(18 * 365..70 * 365),
            _ => rng.random_range(70 * 365..90 * 365),
        };
        let birth = start - age_days;
        let alsace = rng.random_bool(0.02);
        let commune = if alsace {
            pick(&mut rng, ALSACE_MOSELLE)
        } else {
            pick(&mut rng, &general)
        };
        let ame = rng.random_bool(0.01);
        let rights = if ame {
            None
        } else {
            let from = if birth > d((2000, 1, 1)) {
                birth
            } else {
                d((2000, 1, 1)) + rng.random_range(0..8000)
            }
            .min(start);
            let to = rng
                .random_bool(0.02)
                .then(|| start + rng.random_range(0..span));
            Some((from, to))
        };
        let ame = ame.then(|| {
            let from = start - rng.random_range(0..700);
            let to = rng
                .random_bool(0.4)
                .then(|| start + rng.random_range(0..span));
            (from, to)
        });
        let c2s = (ame.is_none() && rng.random_bool(0.11)).then(|| {
            let from = start + rng.random_range(-700..span);
            (from, rng.random_bool(0.7).then_some(from + 364))
        });
        let amc = (ame.is_none() && c2s.is_none() && rng.random_bool(0.7))
            .then(|| (rng.random_range(0..AMC_IDS.len()), rng.random_bool(0.8)));
        let exclusion = rng.random_bool(0.015).then(|| {
            let from = start + rng.random_range(-3 * 365..span);
            (
                from,
                (!rng.random_bool(0.2)).then(|| from + rng.random_range(60..720)),
            )
        });
        let mut p = Patient {
            nir: [0; 15],
            birth,
            female,
            alsace,
            rights,
            ame,
            c2s,
            amc,
            commune,
            exclusion,
            numeric_sex: rng.random_bool(0.05),
            busy_until: Day::MIN,
            last_year: 0,
            year_count: 0,
            psy: rng.random_range(0..n_psy as u32),
        };
        p.nir = nir_for(&mut rng, &p, &mut seen);
        patients.push(p);
    }
    // NIRs of people the insurer does not know (valid, unique).
    let n_ghosts = (n_pat / 100).max(1);
    let ghosts: Vec<[u8; 15]> = (0..n_ghosts)
        .map(|_| {
            let p = Patient {
                nir: [0; 15],
                birth: start - rng.random_range(18 * 365..60 * 365),
                female: rng.random_bool(0.7),
                alsace: false,
                rights: None,
                ame: None,
                c2s: None,
                amc: None,
                commune: pick(&mut rng, COMMUNES),
                exclusion: None,
                numeric_sex: false,
                busy_until: 0,
                last_year: 0,
                year_count: 0,
                psy: 0,
            };
            nir_for(&mut rng, &p, &mut seen)
        })
        .collect();

    {
        let mut o = Out::new(
            &mut out.beneficiaries,
            "nir,birth_date,sex,regime,rights_from,rights_to,ame_from,ame_to,c2s_from,c2s_to,amc_id,noemie,commune_insee",
        );
        for p in &patients {
            let sex = match (p.female, p.numeric_sex) {
                (true, false) => "F",
                (false, false) => "M",
                (true, true) => "2",
                (false, true) => "1",
            };
            o.b(&p.nir).c().date(p.birth).c().s(sex).c();
            o.s(if p.alsace {
                "alsace_moselle"
            } else {
                "general"
            })
            .c();
            for period in [p.rights, p.ame, p.c2s] {
                match period {
                    Some((s, e)) => o.date(s).c().opt_date(e).c(),
                    None => o.c().c(),
                };
            }
            match p.amc {
                Some((i, noemie)) => o.s(AMC_IDS[i]).c().s(if noemie { "1" } else { "0" }).c(),
                None => o.c().s("0").c(),
            };
            o.s(p.commune).end()?;
            summary.beneficiaries += 1;
        }
        o.finish()?;
        let mut o = Out::new(&mut out.exclusions, "nir,from,to");
        for p in &patients {
            if let Some((s, e)) = p.exclusion {
                o.b(&p.nir).c().date(s).c().opt_date(e).end()?;
                summary.exclusions += 1;
            }
        }
        o.finish()?;
    }

    // Claims: per-patient episodes, then sorted by received date.
    let n_claims = config.claims;
    let n_repeat = n_claims / 2000;
    let n_base = n_claims - n_repeat;
    let mut claims: Vec<GenClaim> = Vec::with_capacity(n_base);
    let reform = d(REFORM);
    let lfss = d(LFSS);
    let sage_femme_from = d(SAGE_FEMME_FROM);
    let dl = &mut summary.deliberate;
    let mut seq = 0u32;
    let mut push = |claims: &mut Vec<GenClaim>, mut c: GenClaim| {
        c.seq = seq;
        seq += 1;
        claims.push(c);
    };
    let mut saturated = 0;
    while claims.len() < n_base {
        let pi = rng.random_range(0..n_pat);
        let (mut day, episode_psy) = {
            let p = &patients[pi];
            let first = if p.busy_until == Day::MIN {
                start + rng.random_range(0..span)
            } else {
                p.busy_until + rng.random_range(20..400)
            };
            let first = if first > end {
                start + rng.random_range(0..span)
            } else {
                first
            };
            let mut psy = p.psy;
            for _ in 0..6 {
                if psys[psy as usize].active(first) {
                    break;
                }
                psy = rng.random_range(0..n_psy as u32);
            }
            (first, psy)
        };
        if weekday(day) == 0 {
            day += 1;
        }
        patients[pi].psy = episode_psy;
        let ceiling: usize = if day >= reform { 12 } else { 8 };
        let used = if patients[pi].last_year == year_of(day) {
            patients[pi].year_count
        } else {
            0
        };
        let over = rng.random_bool(0.03);
        let sessions = if over {
            dl.over_ceiling_episodes += 1;
            ceiling.saturating_sub(used) + rng.random_range(1..=3)
        } else {
            let wanted = match rng.random_range(0..100) {
                0..25 => rng.random_range(1..=3),
                25..75 => rng.random_range(4..=ceiling - 2),
                _ => rng.random_range(ceiling - 1..=ceiling),
            };
            wanted.min(ceiling.saturating_sub(used))
        };
        if sessions == 0 {
            // The patient used up this year's sessions: try another patient (or, when every
            // patient is saturated, let the ceiling be exceeded).
            saturated += 1;
            if saturated < 64 {
                continue;
            }
        }
        saturated = 0;
        let sessions = sessions.max(1);
        let (female, adult) = {
            let p = &patients[pi];
            (p.female, day - p.birth >= 18 * 365)
        };
        let context = match rng.random_range(0..1000) {
            0..940 => 0,
            940..970 => 1,
            970..985 if female && adult => 2,
            985.. if adult => 3,
            _ => 0,
        };
        let social = {
            let p = &patients[pi];
            covers(p.c2s, day) || covers(p.ame, day)
        };
        // The referral letter of the episode.
        let mut letter = None;
        if day < reform || rng.random_bool(0.3) {
            let doctor = rng.random_range(0..n_doctors as u32);
            let mut l = Letter {
                date: day - rng.random_range(0..90),
                doctor,
                sage_femme: female && day >= sage_femme_from + 90 && rng.random_bool(0.1),
            };
            if day < reform {
                match rng.random_range(0..1000) {
                    0..8 => {
                        dl.referral_problem += 1;
                        l.date = Day::MIN;
                    }
                    8..11 => {
                        dl.referral_problem += 1;
                        l.date = day - rng.random_range(200..400);
                    }
                    11..13 => {
                        dl.referral_problem += 1;
                        l.date = day + rng.random_range(1..30);
                    }
                    13..14 if day < sage_femme_from => {
                        dl.referral_problem += 1;
                        l.sage_femme = true;
                    }
                    _ => {}
                }
            }
            letter = (l.date != Day::MIN).then_some(l);
        }
        let second_this_year = used > 0;
        let mut prev_year = year_of(day);
        let mut count = used;
        let mut last = day;
        for k in 0..sessions {
            if claims.len() >= n_base || day > end {
                break;
            }
            let year = year_of(day);
            let act = if k == 0 {
                if second_this_year && rng.random_bool(0.85) {
                    APS
                } else {
                    EEP
                }
            } else if year != prev_year && rng.random_bool(0.95) {
                EEP
            } else if rng.random_bool(0.15) {
                PSS
            } else {
                APS
            };
            if year != prev_year {
                count = 0;
            }
            count += 1;
            prev_year = year;
            let mut c = GenClaim {
                received: day + received_delay(&mut rng),
                session: day,
                seq: 0,
                patient: pi as u32,
                psy: episode_psy,
                amount: tariff(day, act),
                act,
                context,
                tiers_payant: psys[episode_psy as usize].tiers_payant
                    || social
                    || context != 0
                    || day >= lfss,
                letter,
            };
            match rng.random_range(0..10_000) {
                0..30 => {
                    dl.unknown_patient += 1;
                    c.patient = (n_pat + rng.random_range(0..n_ghosts)) as u32;
                }
                30..70 => {
                    dl.wrong_amount += 1;
                    c.amount = match rng.random_range(0..3) {
                        0 => c.amount + 1000,
                        1 => 4500,
                        _ => {
                            if day >= reform {
                                3000
                            } else {
                                5000
                            }
                        }
                    };
                }
                70..90 => {
                    dl.late += 1;
                    c.received = limitation_deadline(day) + rng.random_range(1..300);
                }
                90..100 => {
                    dl.received_before_session += 1;
                    c.received = day - rng.random_range(1..20);
                }
                100..120 => {
                    dl.unconventioned_psychologist += 1;
                    c.psy = (n_psy + rng.random_range(0..n_extra)) as u32;
                }
                120..130 => {
                    dl.before_programme += 1;
                    c.session = prog - rng.random_range(1..90);
                    c.received = c.session + rng.random_range(1..30);
                    c.amount = 4000;
                    c.act = EEP;
                    c.letter = letter.map(|l| Letter {
                        date: c.session - 20,
                        sage_femme: false,
                        ..l
                    });
                }
                _ => {}
            }
            push(&mut claims, c);
            if claims.len() < n_base && rng.random_bool(0.003) {
                // The same session billed again on another sheet.
                dl.duplicate_session += 1;
                let mut again = c;
                again.received = c.received + rng.random_range(5..60);
                push(&mut claims, again);
            }
            if claims.len() < n_base && rng.random_bool(0.002) {
                // Another session the same day, with another psychologist.
                dl.same_day += 1;
                let mut other = c;
                other.psy = rng.random_range(0..n_psy as u32);
                other.act = APS;
                other.amount = tariff(day, APS);
                other.received = day + received_delay(&mut rng);
                push(&mut claims, other);
            }
            last = day;
            let gap = if rng.random_bool(0.8) { 7 } else { 14 } + rng.random_range(-1..=2);
            day += gap;
            if weekday(day) == 0 {
                day += 1;
            }
        }
        let p = &mut patients[pi];
        p.busy_until = last;
        p.last_year = year_of(last);
        p.year_count = count;
    }
    claims.sort_unstable_by_key(|c| (c.received, c.seq));

    // Repeated claim ids: a few rows sent twice, identical, a little later in the file.
    let mut repeats: Vec<(usize, usize)> = (0..n_repeat)
        .map(|_| {
            let at = rng.random_range(0..n_base.max(1));
            let back = rng.random_range(0..=at.min(200));
            (at, at - back)
        })
        .collect();
    repeats.sort_unstable();
    dl.repeated_claim_id = n_repeat;

    let mut o = Out::new(
        &mut out.claims,
        "claim_id,received_date,rpps,nir,session_date,act,amount,context,tiers_payant,referral_date,referrer_id,referrer_kind",
    );
    let id_base = 1_000_000_000 + rng.random_range(0..1_000_000_000u64);
    let mut next_repeat = 0;
    let write_claim = |o: &mut Out<'_, W>, i: usize, c: &GenClaim| -> io::Result<()> {
        o.s("FS").num(id_base + i as u64, 10).c();
        o.date(c.received)
            .c()
            .num(psys[c.psy as usize].rpps, 11)
            .c();
        let nir = if (c.patient as usize) < n_pat {
            &patients[c.patient as usize].nir
        } else {
            &ghosts[c.patient as usize - n_pat]
        };
        o.b(nir)
            .c()
            .date(c.session)
            .c()
            .s(ACT_CODES[c.act as usize])
            .c();
        o.euros(c.amount).c().s(CONTEXTS[c.context as usize]).c();
        o.s(if c.tiers_payant { "1" } else { "0" }).c();
        match c.letter {
            Some(l) => {
                o.date(l.date)
                    .c()
                    .num(doctor_rpps[l.doctor as usize], 11)
                    .c();
                o.s(if l.sage_femme {
                    "sage_femme"
                } else {
                    "medecin"
                });
            }
            None => {
                o.c().c();
            }
        }
        o.end()
    };
    for (i, c) in claims.iter().enumerate() {
        write_claim(&mut o, i, c)?;
        while next_repeat < repeats.len() && repeats[next_repeat].0 == i {
            let j = repeats[next_repeat].1;
            write_claim(&mut o, j, &claims[j])?;
            next_repeat += 1;
        }
    }
    o.finish()?;
    summary.claims = claims.len() + n_repeat;
    Ok(summary)
}

/// Days between a session and the claim's receipt.
fn received_delay(rng: &mut ChaCha8Rng) -> Day {
    match rng.random_range(0..100) {
        0..50 => rng.random_range(0..8),
        50..90 => rng.random_range(8..31),
        _ => rng.random_range(31..121),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_trip() {
        for z in -1000..30_000 {
            let (y, m, dd) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, dd), z);
            let date = jiff::civil::date(y as i16, m as i8, dd as i8);
            assert_eq!(day_of(date), z);
        }
        assert_eq!(weekday(d((2024, 6, 16))), 0);
        assert_eq!(limitation_deadline(d((2024, 2, 10))), d((2026, 4, 1)));
        assert_eq!(limitation_deadline(d((2024, 12, 31))), d((2027, 1, 1)));
    }

    #[test]
    fn rpps_are_valid() {
        for r in rpps_sequence(1, 100, 12345) {
            assert!(msp_domain::Rpps::parse(&format!("{r:011}")).is_ok());
        }
    }
}
