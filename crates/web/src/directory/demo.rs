//! A deterministic, fictitious directory for demonstrations, tests and load benchmarks.
//!
//! [`load_directory_demo`] writes about 300 psychologists: registry rows, conventions and cards,
//! in Lyon and each of its arrondissements, Paris, Marseille, other cities and rural communes.
//! Some conventions ended, some are suspended, one is excluded and some start later, so that
//! the directory can be seen hiding them. Names, addresses and numbers are invented.

use msp_domain::ids::luhn_complete;
use msp_domain::{Date, Rpps};
use msp_geo::{Commune, communes};
use msp_store::directory::{Contact, DirectoryCard, PracticeAddress, Public, upsert_card};
use msp_store::{Db, StoreResult, Value};

/// Number of psychologists of the demo directory.
pub const DEMO_SIZE: usize = 300;
const DEMO_SEED: u64 = 20_220_405;

/// What the generator decided for one psychologist's convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoStatus {
    Active,
    Ended,
    Suspended,
    Excluded,
    NotYetStarted,
}

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const FIRST_NAMES: &[&str] = &[
    "Camille",
    "Claire",
    "Sophie",
    "Julie",
    "Marie",
    "Élodie",
    "Anne",
    "Léa",
    "Chloé",
    "Inès",
    "Sarah",
    "Manon",
    "Hélène",
    "Nathalie",
    "Isabelle",
    "Aurélie",
    "Céline",
    "Laure",
    "Emma",
    "Amandine",
    "Thomas",
    "Nicolas",
    "Julien",
    "Antoine",
    "Mathieu",
    "Pierre",
    "Karim",
    "Yanis",
    "Hugo",
    "Louis",
    "Olivier",
    "Sébastien",
    "François",
    "Mehdi",
    "Noémie",
    "Agathe",
    "Zoé",
    "Margaux",
    "Bérénice",
    "Jérôme",
];

const LAST_NAMES: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "Sanchez",
    "Benali",
    "Nguyen",
    "Haddad",
    "Boyer",
    "Le Gall",
    "Ménard",
    "Béranger",
    "Œillet",
];

const STREETS: &[&str] = &[
    "rue de la République",
    "avenue Jean Jaurès",
    "rue Victor Hugo",
    "boulevard Gambetta",
    "place de la Mairie",
    "rue des Écoles",
    "rue Pasteur",
    "avenue de la Gare",
    "rue du Marché",
    "chemin des Vignes",
    "rue Émile Zola",
    "allée des Tilleuls",
];

const LANG_CODES: &[&str] = &[
    "en", "es", "de", "it", "ar", "pt", "ru", "zh", "tr", "lsf", "uk",
];

/// Communes of the fixed part of the demo: Lyon's nine arrondissements, Paris, Marseille, a few
/// cities and rural communes (INSEE code, psychologists).
const FIXED_PLACES: &[(&str, usize)] = &[
    ("69381", 4),
    ("69382", 4),
    ("69383", 6),
    ("69384", 3),
    ("69385", 3),
    ("69386", 5),
    ("69387", 5),
    ("69388", 4),
    ("69389", 3),
    ("69266", 5), // Villeurbanne
    ("69029", 2), // Bron
    ("75104", 3),
    ("75111", 5),
    ("75115", 6),
    ("75118", 4),
    ("75120", 3),
    ("75106", 2),
    ("13201", 2),
    ("13206", 3),
    ("13208", 3),
    ("13213", 2),
    ("31555", 6), // Toulouse
    ("33063", 5), // Bordeaux
    ("59350", 4), // Lille
    ("44109", 4), // Nantes
    ("67482", 4), // Strasbourg
    ("06088", 3), // Nice
    ("34172", 4), // Montpellier
    ("35238", 3), // Rennes
    ("38185", 3), // Grenoble
    ("42218", 2), // Saint-Étienne
    ("93066", 2), // Saint-Denis (93)
    ("97411", 2), // Saint-Denis (La Réunion)
    ("2A004", 1), // Ajaccio
    ("48095", 2), // Mende
    ("15014", 1), // Aurillac
    ("23096", 1), // Guéret
    ("04070", 1), // Forcalquier
    ("12145", 1), // Millau
    ("46042", 1), // Cahors
    ("52121", 1), // Chaumont
];

fn rpps_for(seed: u64, i: usize) -> Rpps {
    let body = 100_000_000 + (seed % 1000) * 1_000_000 + i as u64;
    let partial = format!("1{:09}", body % 1_000_000_000);
    let key = luhn_complete(&partial);
    Rpps::parse(&format!("{partial}{key}")).expect("generated RPPS is valid")
}

struct Sampler {
    communes: Vec<&'static Commune>,
    cumulative: Vec<u64>,
    rural: Vec<&'static Commune>,
    /// The 200 most populated communes of each département, for second addresses.
    by_dep: std::collections::HashMap<&'static str, Vec<&'static Commune>>,
}

impl Sampler {
    /// Population-weighted over communes, with Paris, Lyon and Marseille replaced by their
    /// arrondissements.
    fn new() -> Sampler {
        let geo = communes();
        let communes: Vec<&'static Commune> = geo
            .all()
            .iter()
            .filter(|c| {
                c.is_arrondissement() || !matches!(c.insee.as_str(), "75056" | "69123" | "13055")
            })
            .filter(|c| {
                c.departement.len() <= 3 && !matches!(c.departement.as_str(), "975" | "977" | "978")
            })
            .collect();
        let mut acc = 0;
        let cumulative = communes
            .iter()
            .map(|c| {
                acc += c.population.max(1);
                acc
            })
            .collect();
        let rural = communes
            .iter()
            .copied()
            .filter(|c| (300..2_000).contains(&c.population))
            .collect();
        let mut by_dep: std::collections::HashMap<&'static str, Vec<&'static Commune>> =
            std::collections::HashMap::new();
        for c in &communes {
            by_dep.entry(c.departement.as_str()).or_default().push(c);
        }
        for list in by_dep.values_mut() {
            list.sort_by_key(|c| (std::cmp::Reverse(c.population), c.insee.as_str()));
            list.truncate(200);
        }
        Sampler {
            communes,
            cumulative,
            rural,
            by_dep,
        }
    }

    fn weighted(&self, rng: &mut Rng) -> &'static Commune {
        let total = *self.cumulative.last().unwrap_or(&1);
        let x = rng.next() % total;
        let i = self.cumulative.partition_point(|&c| c <= x);
        self.communes[i.min(self.communes.len() - 1)]
    }

    fn rural(&self, rng: &mut Rng) -> &'static Commune {
        self.rural[rng.below(self.rural.len())]
    }
}

fn address(rng: &mut Rng, c: &Commune) -> PracticeAddress {
    PracticeAddress {
        line: format!("{} {}", 1 + rng.below(120), rng.pick(STREETS)),
        postal_code: c.postal_codes.first().cloned().unwrap_or_default(),
        commune_insee: c.insee.clone(),
        latitude: c.latitude,
        longitude: c.longitude,
    }
}

fn days_before(today: Date, days: i64) -> Date {
    today
        .checked_sub(jiff::Span::new().days(days))
        .unwrap_or(today)
}

fn days_after(today: Date, days: i64) -> Date {
    today
        .checked_add(jiff::Span::new().days(days))
        .unwrap_or(today)
}

/// One generated psychologist.
struct Generated {
    last_name: String,
    first_name: String,
    status: DemoStatus,
    card: DirectoryCard,
}

fn generate_one(
    rng: &mut Rng,
    sampler: &Sampler,
    rpps: Rpps,
    main: &Commune,
    today: Date,
    i: usize,
) -> Generated {
    let status = match i % 50 {
        7 | 31 => DemoStatus::Ended,
        13 | 44 => DemoStatus::Suspended,
        23 => DemoStatus::Excluded,
        37 => DemoStatus::NotYetStarted,
        _ => DemoStatus::Active,
    };
    let mut addresses = vec![address(rng, main)];
    if rng.chance(15) {
        // A second practice nearby: a commune of the same département.
        let near = sampler
            .by_dep
            .get(main.departement.as_str())
            .map(|list| {
                list.iter()
                    .copied()
                    .filter(|c| c.insee != main.insee)
                    .filter(|c| {
                        msp_geo::distance_km(c.latitude, c.longitude, main.latitude, main.longitude)
                            < 25.0
                    })
                    .nth(rng.below(20))
            })
            .unwrap_or(None);
        if let Some(c) = near {
            addresses.push(address(rng, c));
        }
    }
    let first_name = (*rng.pick(FIRST_NAMES)).to_owned();
    let last_name = (*rng.pick(LAST_NAMES)).to_owned();
    let slug = msp_geo::normalize(&format!("{first_name}.{last_name}")).replace(' ', "-");
    let public = match rng.below(10) {
        0..=3 => Public::Adults,
        4..=5 => Public::AdultsAndTeens,
        6..=8 => Public::AdultsTeensAndChildren,
        _ => Public::Children,
    };
    let mut languages = Vec::new();
    if rng.chance(40) {
        languages.push((*rng.pick(LANG_CODES)).to_owned());
        if rng.chance(30) {
            let l = (*rng.pick(LANG_CODES)).to_owned();
            if !languages.contains(&l) {
                languages.push(l);
            }
        }
    }
    let (accepting, confirmed) = match rng.below(20) {
        0..=8 => (Some(true), Some(days_before(today, rng.below(29) as i64))),
        9..=12 => (Some(false), Some(days_before(today, rng.below(29) as i64))),
        13..=16 => (
            Some(true),
            Some(days_before(today, 31 + rng.below(120) as i64)),
        ),
        _ => (None, None),
    };
    let phone = format!(
        "0{} {:02} {:02} {:02} {:02}",
        1 + rng.below(5),
        rng.below(100),
        rng.below(100),
        rng.below(100),
        rng.below(100)
    );
    let card = DirectoryCard {
        rpps,
        addresses,
        phone: Contact {
            value: Some(phone),
            public: rng.chance(75),
        },
        email: Contact {
            value: Some(format!("{slug}@exemple.fr")),
            public: rng.chance(50),
        },
        website: if rng.chance(20) {
            Contact::shown(&format!("https://{slug}.exemple.fr"))
        } else {
            Contact::default()
        },
        structure_name: if rng.chance(12) {
            Some(format!(
                "Maison de santé pluriprofessionnelle de {}",
                main.name
            ))
        } else if rng.chance(5) {
            Some(format!("Centre de santé {}", main.name))
        } else {
            None
        },
        languages,
        public,
        teleconsultation: rng.chance(50),
        accepting_new_patients: accepting,
        availability_confirmed_on: confirmed,
        first_appointment_delay: None,
    };
    Generated {
        last_name,
        first_name,
        status,
        card,
    }
}

fn write(db: &mut Db, people: &[Generated], today: Date) -> StoreResult<()> {
    let now = jiff::Timestamp::now();
    db.transaction(|tx| {
        let mut registry = Vec::new();
        let mut conventions = Vec::new();
        let mut suspensions = Vec::new();
        let mut exclusions = Vec::new();
        for g in people {
            let rpps: Value = g.card.rpps.to_string().into();
            registry.extend([
                rpps.clone(),
                g.last_name.as_str().into(),
                g.first_name.as_str().into(),
                "93".into(),
                "L".into(),
                g.card.addresses[0].commune_insee.as_str().into(),
            ]);
            let start = Date::constant(2024, 6, 15);
            let (from, to) = match g.status {
                DemoStatus::Ended => (start, Some(days_before(today, 10))),
                DemoStatus::NotYetStarted => (days_after(today, 20), None),
                _ => (start, None),
            };
            conventions.extend([rpps.clone(), from.into(), to.into(), "CPAM".into()]);
            if g.status == DemoStatus::Suspended {
                suspensions.extend([
                    rpps.clone(),
                    days_before(today, 5).into(),
                    days_after(today, 60).into(),
                    "Suspension de démonstration".into(),
                ]);
            }
            if g.status == DemoStatus::Excluded {
                exclusions.extend([
                    rpps.clone(),
                    days_before(today, 30).into(),
                    "Exclusion de démonstration".into(),
                ]);
            }
        }
        tx.insert_many(
            "INSERT INTO registry (rpps, last_name, first_name, profession_code, practice_mode, commune_insee)",
            6,
            &registry,
            "ON CONFLICT (rpps) DO NOTHING",
        )?;
        tx.insert_many(
            "INSERT INTO conventions (rpps, start_date, end_date, cpam)",
            4,
            &conventions,
            "ON CONFLICT (rpps, start_date) DO NOTHING",
        )?;
        tx.insert_many(
            "INSERT INTO suspensions (rpps, from_date, to_date, reason)",
            4,
            &suspensions,
            "ON CONFLICT (rpps, from_date) DO NOTHING",
        )?;
        tx.insert_many(
            "INSERT INTO psychologist_exclusions (rpps, from_date, reason)",
            3,
            &exclusions,
            "ON CONFLICT (rpps) DO NOTHING",
        )?;
        for g in people {
            upsert_card(tx, &g.card, now)?;
        }
        Ok(())
    })
}

/// Loads the demo directory (about 300 psychologists, see the module documentation); returns
/// the number of cards written. Idempotent on its own rows.
pub fn load_directory_demo(db: &mut Db, today: Date) -> StoreResult<usize> {
    let geo = communes();
    let mut rng = Rng(DEMO_SEED);
    let sampler = Sampler::new();
    let mut people = Vec::with_capacity(DEMO_SIZE);
    let mut i = 0;
    for (insee, n) in FIXED_PLACES {
        let Some(c) = geo.by_insee(insee) else {
            continue;
        };
        for _ in 0..*n {
            people.push(generate_one(
                &mut rng,
                &sampler,
                rpps_for(DEMO_SEED, i),
                c,
                today,
                i,
            ));
            i += 1;
        }
    }
    while people.len() < DEMO_SIZE {
        let c = if people.len() % 4 == 0 {
            sampler.rural(&mut rng)
        } else {
            sampler.weighted(&mut rng)
        };
        people.push(generate_one(
            &mut rng,
            &sampler,
            rpps_for(DEMO_SEED, i),
            c,
            today,
            i,
        ));
        i += 1;
    }
    write(db, &people, today)?;
    Ok(people.len())
}

/// Generates `n` psychologists spread by population (for load tests); every `status_every`-th is
/// not listed (ended, suspended, excluded or future). Returns the number written.
#[doc(hidden)]
pub fn generate_directory(db: &mut Db, today: Date, n: usize, seed: u64) -> StoreResult<usize> {
    let mut rng = Rng(seed);
    let sampler = Sampler::new();
    let mut written = 0;
    let mut batch = Vec::with_capacity(5_000);
    for i in 0..n {
        let c = if i % 10 == 0 {
            sampler.rural(&mut rng)
        } else {
            sampler.weighted(&mut rng)
        };
        batch.push(generate_one(
            &mut rng,
            &sampler,
            rpps_for(seed.wrapping_add(1), i),
            c,
            today,
            i,
        ));
        if batch.len() == 5_000 {
            write(db, &batch, today)?;
            written += batch.len();
            batch.clear();
        }
    }
    write(db, &batch, today)?;
    written += batch.len();
    Ok(written)
}
