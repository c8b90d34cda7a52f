//! The French communes reference, embedded in the binary (from `data/communes.csv` and
//! `data/arrondissements_municipaux.csv`), for offline geocoding and place search.
//!
//! - [`communes()`] gives the parsed reference, built once on first use.
//! - [`normalize`] folds case, accents and punctuation so that « saint-étienne », « ST ETIENNE »
//!   and « Saint Etienne » compare equal.
//! - [`Communes::resolve`] turns what a person typed (a name, « Lyon (69) », a postal code such as
//!   69003 or 75015, an INSEE code) into a [`Place`] with coordinates, or explains why it cannot.
//! - [`Communes::complete`] proposes communes for a prefix, most populated first.

use std::collections::HashMap;
use std::sync::OnceLock;

const COMMUNES_CSV: &str = include_str!("../../../data/communes.csv");
const ARRONDISSEMENTS_CSV: &str = include_str!("../../../data/arrondissements_municipaux.csv");
const DEPARTEMENTS_CSV: &str = include_str!("../../../data/departements.csv");

/// Mean Earth radius used for distances, in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A commune, or a municipal arrondissement of Paris, Lyon or Marseille.
#[derive(Debug, Clone, PartialEq)]
pub struct Commune {
    pub insee: String,
    pub name: String,
    pub postal_codes: Vec<String>,
    pub departement: String,
    pub region: String,
    pub latitude: f64,
    pub longitude: f64,
    pub population: u64,
    /// For an arrondissement municipal: the INSEE code of its commune (75056, 69123, 13055).
    pub parent: Option<String>,
}

impl Commune {
    /// « Lyon (69) », « Paris 15e arrondissement (75) »: unique enough to pick one commune.
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.departement)
    }

    pub fn is_arrondissement(&self) -> bool {
        self.parent.is_some()
    }
}

/// Where a search is centred.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// What to show: « Lyon (69) », « code postal 69003 », « 45,7600, 4,8490 ».
    pub label: String,
    pub kind: PlaceKind,
    /// INSEE code of the commune (or arrondissement) when the place is one.
    pub insee: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    /// Département of the place (of the nearest commune for coordinates).
    pub departement: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceKind {
    Commune,
    PostalCode,
    Coordinates,
}

/// Why a place could not be found; every variant carries what to propose to the person.
#[derive(Debug, Clone, PartialEq)]
pub enum PlaceError {
    /// Nothing was typed.
    Empty,
    /// No commune has this name, code or postal code; close names are proposed.
    Unknown {
        query: String,
        suggestions: Vec<Commune>,
    },
    /// Several communes share this name with comparable populations: the person chooses.
    Ambiguous {
        query: String,
        candidates: Vec<Commune>,
    },
    /// Latitude or longitude is not a number in range.
    BadCoordinates(String),
    /// Coordinates far from every commune of the reference.
    OutOfTerritory { latitude: f64, longitude: f64 },
}

impl std::fmt::Display for PlaceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlaceError::Empty => write!(
                f,
                "Indiquez une commune, un code postal ou des coordonnées."
            ),
            PlaceError::Unknown { query, .. } => write!(
                f,
                "Aucune commune ne correspond à « {query} ». Vérifiez l’orthographe ou indiquez un code postal."
            ),
            PlaceError::Ambiguous { query, candidates } => write!(
                f,
                "Plusieurs communes s’appellent « {query} » ({} communes) : précisez le département, par exemple « {} ».",
                candidates.len(),
                candidates.first().map(Commune::label).unwrap_or_default()
            ),
            PlaceError::BadCoordinates(detail) => write!(f, "Coordonnées invalides : {detail}."),
            PlaceError::OutOfTerritory {
                latitude,
                longitude,
            } => write!(
                f,
                "Les coordonnées {latitude}, {longitude} sont à plus de {OUT_OF_TERRITORY_KM} km de toute commune française couverte par le dispositif."
            ),
        }
    }
}

impl std::error::Error for PlaceError {}

/// Coordinates farther than this from every commune are refused.
pub const OUT_OF_TERRITORY_KM: f64 = 100.0;

/// The parsed reference, with its lookup indexes.
pub struct Communes {
    all: Vec<Commune>,
    by_insee: HashMap<String, usize>,
    by_postal: HashMap<String, Vec<usize>>,
    /// (normalized name, index), sorted, for prefix search.
    names: Vec<(String, usize)>,
    departements: HashMap<String, String>,
    /// Communes (not arrondissements) on the unit sphere, for the nearest one to a point.
    tree: rstar::RTree<rstar::primitives::GeomWithData<[f64; 3], usize>>,
}

/// The embedded reference, parsed on first use (about 30 ms) and shared afterwards.
pub fn communes() -> &'static Communes {
    static CELL: OnceLock<Communes> = OnceLock::new();
    CELL.get_or_init(|| Communes::parse(COMMUNES_CSV, ARRONDISSEMENTS_CSV, DEPARTEMENTS_CSV))
}

fn parse_f64(s: &str) -> f64 {
    s.trim().parse().unwrap_or(f64::NAN)
}

impl Communes {
    fn parse(communes_csv: &str, arrondissements_csv: &str, departements_csv: &str) -> Communes {
        let mut all = Vec::with_capacity(35_000);
        // insee_code,name,postal_codes,departement_code,region_code,latitude,longitude,population
        for line in communes_csv.lines().skip(1).filter(|l| !l.is_empty()) {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() < 8 {
                continue;
            }
            all.push(Commune {
                insee: f[0].to_owned(),
                name: f[1].to_owned(),
                postal_codes: split_codes(f[2]),
                departement: f[3].to_owned(),
                region: f[4].to_owned(),
                latitude: parse_f64(f[5]),
                longitude: parse_f64(f[6]),
                population: f[7].trim().parse().unwrap_or(0),
                parent: None,
            });
        }
        // insee_code,name,postal_codes,departement_code,region_code,commune_code,latitude,longitude,population
        for line in arrondissements_csv
            .lines()
            .skip(1)
            .filter(|l| !l.is_empty())
        {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() < 9 {
                continue;
            }
            all.push(Commune {
                insee: f[0].to_owned(),
                // « Lyon 3e arrondissement », as French writes it (the file capitalises it).
                name: f[1].replace(" Arrondissement", " arrondissement"),
                postal_codes: split_codes(f[2]),
                departement: f[3].to_owned(),
                region: f[4].to_owned(),
                parent: Some(f[5].to_owned()),
                latitude: parse_f64(f[6]),
                longitude: parse_f64(f[7]),
                population: f[8].trim().parse().unwrap_or(0),
            });
        }
        all.retain(|c| c.latitude.is_finite() && c.longitude.is_finite());
        let mut by_insee = HashMap::with_capacity(all.len());
        let mut by_postal: HashMap<String, Vec<usize>> = HashMap::new();
        let mut names = Vec::with_capacity(all.len());
        for (i, c) in all.iter().enumerate() {
            by_insee.insert(c.insee.clone(), i);
            for p in &c.postal_codes {
                by_postal.entry(p.clone()).or_default().push(i);
            }
            names.push((normalize(&c.name), i));
        }
        names.sort();
        let departements = departements_csv
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut f = l.split(',');
                Some((f.next()?.to_owned(), f.next()?.to_owned()))
            })
            .collect();
        let tree = rstar::RTree::bulk_load(
            all.iter()
                .enumerate()
                .filter(|(_, c)| !c.is_arrondissement())
                .map(|(i, c)| {
                    rstar::primitives::GeomWithData::new(unit_vector(c.latitude, c.longitude), i)
                })
                .collect(),
        );
        Communes {
            all,
            by_insee,
            by_postal,
            names,
            departements,
            tree,
        }
    }

    /// Every commune and arrondissement of the reference.
    pub fn all(&self) -> &[Commune] {
        &self.all
    }

    /// A commune or arrondissement by INSEE code.
    pub fn by_insee(&self, insee: &str) -> Option<&Commune> {
        self.by_insee.get(insee.trim()).map(|&i| &self.all[i])
    }

    /// Communes served by a postal code. Where arrondissements carry it (69003, 75015), only
    /// they are returned: they are more precise than the whole city.
    pub fn by_postal_code(&self, code: &str) -> Vec<&Commune> {
        let Some(ids) = self.by_postal.get(code.trim()) else {
            return Vec::new();
        };
        let arr: Vec<&Commune> = ids
            .iter()
            .map(|&i| &self.all[i])
            .filter(|c| c.is_arrondissement())
            .collect();
        if arr.is_empty() {
            ids.iter().map(|&i| &self.all[i]).collect()
        } else {
            arr
        }
    }

    /// Name of a département from its code (« 69 » → « Rhône »).
    pub fn departement_name(&self, code: &str) -> Option<&str> {
        self.departements.get(code).map(String::as_str)
    }

    /// All département codes of the reference.
    pub fn departement_codes(&self) -> impl Iterator<Item = &str> {
        self.departements.keys().map(String::as_str)
    }

    /// Communes whose normalized name equals `name`'s.
    pub fn by_name(&self, name: &str) -> Vec<&Commune> {
        let key = normalize(name);
        let start = self
            .names
            .partition_point(|(n, _)| n.as_str() < key.as_str());
        self.names[start..]
            .iter()
            .take_while(|(n, _)| *n == key)
            .map(|&(_, i)| &self.all[i])
            .collect()
    }

    /// Up to `limit` communes for what was typed so far: names starting with it first, then
    /// names with a word starting with it; each group most populated first.
    pub fn complete(&self, typed: &str, limit: usize) -> Vec<&Commune> {
        let key = normalize(strip_departement(typed).0);
        if key.is_empty() || limit == 0 {
            return Vec::new();
        }
        let dep = strip_departement(typed).1;
        let keep = |c: &Commune| dep.is_none_or(|d| c.departement == d);
        let start = self
            .names
            .partition_point(|(n, _)| n.as_str() < key.as_str());
        let mut found: Vec<usize> = self.names[start..]
            .iter()
            .take_while(|(n, _)| n.starts_with(&key))
            .map(|&(_, i)| i)
            .filter(|&i| keep(&self.all[i]))
            .collect();
        found.sort_by_key(|&i| (std::cmp::Reverse(self.all[i].population), i));
        found.truncate(limit);
        if found.len() < limit && key.len() >= 3 {
            let word = format!(" {key}");
            let mut more: Vec<usize> = self
                .names
                .iter()
                .filter(|(n, _)| !n.starts_with(&key) && n.contains(&word))
                .map(|&(_, i)| i)
                .filter(|&i| keep(&self.all[i]))
                .collect();
            more.sort_by_key(|&i| (std::cmp::Reverse(self.all[i].population), i));
            found.extend(more.into_iter().take(limit - found.len()));
        }
        found.into_iter().map(|i| &self.all[i]).collect()
    }

    /// The commune nearest to a point (R-tree) and its distance in km.
    pub fn nearest(&self, latitude: f64, longitude: f64) -> Option<(&Commune, f64)> {
        let p = self
            .tree
            .nearest_neighbor(&unit_vector(latitude, longitude))?;
        let c = &self.all[p.data];
        Some((c, distance_km(latitude, longitude, c.latitude, c.longitude)))
    }

    /// Coordinates of a point, checked for range and territory.
    pub fn place_at(&self, latitude: f64, longitude: f64) -> Result<Place, PlaceError> {
        if !latitude.is_finite() || !(-90.0..=90.0).contains(&latitude) {
            return Err(PlaceError::BadCoordinates(
                "la latitude doit être un nombre entre -90 et 90".into(),
            ));
        }
        if !longitude.is_finite() || !(-180.0..=180.0).contains(&longitude) {
            return Err(PlaceError::BadCoordinates(
                "la longitude doit être un nombre entre -180 et 180".into(),
            ));
        }
        match self.nearest(latitude, longitude) {
            Some((c, d)) if d <= OUT_OF_TERRITORY_KM => Ok(Place {
                label: format!("près de {}", c.label()),
                kind: PlaceKind::Coordinates,
                insee: None,
                latitude,
                longitude,
                departement: c.departement.clone(),
            }),
            _ => Err(PlaceError::OutOfTerritory {
                latitude,
                longitude,
            }),
        }
    }

    /// The place of a commune.
    pub fn place_of(&self, c: &Commune) -> Place {
        Place {
            label: c.label(),
            kind: PlaceKind::Commune,
            insee: Some(c.insee.clone()),
            latitude: c.latitude,
            longitude: c.longitude,
            departement: c.departement.clone(),
        }
    }

    /// A postal code's place: its commune, or the population-weighted centre of its communes.
    pub fn place_of_postal_code(&self, code: &str) -> Option<Place> {
        let found = self.by_postal_code(code);
        match found.as_slice() {
            [] => None,
            [one] => Some(Place {
                label: format!("{} – {}", code.trim(), one.name),
                ..self.place_of(one)
            }),
            many => {
                #[allow(clippy::cast_precision_loss)]
                let weight = |c: &Commune| (c.population.max(1)) as f64;
                let total: f64 = many.iter().map(|c| weight(c)).sum();
                let lat = many.iter().map(|c| c.latitude * weight(c)).sum::<f64>() / total;
                let lon = many.iter().map(|c| c.longitude * weight(c)).sum::<f64>() / total;
                let main = many.iter().max_by_key(|c| c.population).expect("non-empty");
                Some(Place {
                    label: format!("code postal {} ({} communes)", code.trim(), many.len()),
                    kind: PlaceKind::PostalCode,
                    insee: None,
                    latitude: lat,
                    longitude: lon,
                    departement: main.departement.clone(),
                })
            }
        }
    }

    /// Resolves what a person typed: « Lyon », « lyon (69) », « 69003 », « 69383 » (INSEE),
    /// « Saint-Étienne ». Postal codes win over INSEE codes when a 5-character code is both.
    pub fn resolve(&self, typed: &str) -> Result<Place, PlaceError> {
        let typed = typed.trim();
        if typed.is_empty() {
            return Err(PlaceError::Empty);
        }
        let compact: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.len() == 5 && compact.chars().all(|c| c.is_ascii_alphanumeric()) {
            let upper = compact.to_ascii_uppercase();
            if upper.chars().all(|c| c.is_ascii_digit())
                && let Some(p) = self.place_of_postal_code(&upper)
            {
                return Ok(p);
            }
            if let Some(c) = self.by_insee(&upper) {
                return Ok(self.place_of(c));
            }
            if upper.chars().all(|c| c.is_ascii_digit()) {
                return Err(PlaceError::Unknown {
                    query: typed.to_owned(),
                    suggestions: Vec::new(),
                });
            }
        }
        let (name, dep) = strip_departement(typed);
        let mut found = self.by_name(name);
        if let Some(dep) = dep {
            found.retain(|c| c.departement == dep);
        }
        found.sort_by_key(|c| std::cmp::Reverse(c.population));
        match found.as_slice() {
            [] => Err(PlaceError::Unknown {
                query: typed.to_owned(),
                suggestions: self.suggest(name),
            }),
            [one] => Ok(self.place_of(one)),
            [first, second, ..] if first.population >= 5 * second.population.max(1) => {
                Ok(self.place_of(first))
            }
            many => Err(PlaceError::Ambiguous {
                query: typed.to_owned(),
                candidates: many.iter().take(20).map(|c| (*c).clone()).collect(),
            }),
        }
    }

    /// Close names for a misspelt one: completion of shorter and shorter prefixes.
    fn suggest(&self, name: &str) -> Vec<Commune> {
        let key = normalize(name);
        let chars: Vec<char> = key.chars().collect();
        let mut out: Vec<Commune> = Vec::new();
        let mut n = chars.len();
        while n >= 3 && out.len() < 5 {
            let prefix: String = chars[..n].iter().collect();
            for c in self.complete(&prefix, 5) {
                if out.len() < 5 && !out.iter().any(|o| o.insee == c.insee) {
                    out.push(c.clone());
                }
            }
            n -= 1;
        }
        out
    }
}

fn split_codes(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// « Lyon (69) » → (« Lyon », Some(« 69 »)); anything else unchanged.
pub fn strip_departement(typed: &str) -> (&str, Option<&str>) {
    let t = typed.trim();
    if let Some(body) = t.strip_suffix(')')
        && let Some((name, dep)) = body.rsplit_once('(')
    {
        let dep = dep.trim();
        if (2..=3).contains(&dep.len()) && dep.chars().all(|c| c.is_ascii_alphanumeric()) {
            return (name.trim(), Some(dep));
        }
    }
    (t, None)
}

/// Folds a name for comparison: lower case, no accents, punctuation as spaces, single spaces,
/// « st »/« ste » read as « saint »/« sainte ».
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        let folded: &str = match ch {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
                "a"
            }
            'ç' | 'Ç' => "c",
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
            'ñ' | 'Ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => "o",
            'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
            'ý' | 'ÿ' | 'Ý' | 'Ÿ' => "y",
            'œ' | 'Œ' => "oe",
            'æ' | 'Æ' => "ae",
            c if c.is_alphanumeric() => {
                for l in c.to_lowercase() {
                    out.push(l);
                }
                continue;
            }
            _ => " ",
        };
        out.push_str(folded);
    }
    let mut words: Vec<&str> = out.split_whitespace().collect();
    for w in &mut words {
        *w = match *w {
            "st" => "saint",
            "ste" => "sainte",
            other => other,
        };
    }
    words.join(" ")
}

/// Great-circle distance in kilometres (haversine).
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

/// A point on the unit sphere (x, y, z): Euclidean distances between such points are chords,
/// monotonic with great-circle distances, so an R-tree over them answers radius queries exactly.
pub fn unit_vector(latitude: f64, longitude: f64) -> [f64; 3] {
    let (p, l) = (latitude.to_radians(), longitude.to_radians());
    [p.cos() * l.cos(), p.cos() * l.sin(), p.sin()]
}

/// The chord on the unit sphere subtending a great-circle distance of `km`.
pub fn chord_for_km(km: f64) -> f64 {
    let angle = (km / EARTH_RADIUS_KM).min(std::f64::consts::PI);
    2.0 * (angle / 2.0).sin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_the_reference() {
        let c = communes();
        assert!(c.all().len() > 34_000);
        assert_eq!(c.by_insee("69123").unwrap().name, "Lyon");
        assert_eq!(
            c.by_insee("69383").unwrap().parent.as_deref(),
            Some("69123")
        );
        assert_eq!(c.departement_name("69"), Some("Rhône"));
    }

    #[test]
    fn normalizes_accents_case_and_punctuation() {
        assert_eq!(normalize("Saint-Étienne"), "saint etienne");
        assert_eq!(normalize("ST ETIENNE"), "saint etienne");
        assert_eq!(normalize("L'Haÿ-les-Roses"), "l hay les roses");
        assert_eq!(normalize("  Œuilly "), "oeuilly");
    }

    #[test]
    fn resolves_names_codes_and_postal_codes() {
        let c = communes();
        let lyon = c.resolve("lyon").unwrap();
        assert_eq!(lyon.insee.as_deref(), Some("69123"));
        let p = c.resolve("69003").unwrap();
        assert_eq!(p.insee.as_deref(), Some("69383"));
        let p = c.resolve("75015").unwrap();
        assert_eq!(p.insee.as_deref(), Some("75115"));
        let p = c.resolve("75116").unwrap();
        assert_eq!(p.insee.as_deref(), Some("75116"));
        let p = c.resolve("13008").unwrap();
        assert_eq!(p.insee.as_deref(), Some("13208"));
        let p = c.resolve("69383").unwrap();
        assert_eq!(p.insee.as_deref(), Some("69383"));
        assert_eq!(
            c.resolve("saint etienne (42)").unwrap().insee.as_deref(),
            Some("42218")
        );
        assert_eq!(c.resolve("2A004").unwrap().departement, "2A");
    }

    #[test]
    fn explains_unknown_and_ambiguous_places() {
        let c = communes();
        match c.resolve("Lyonn") {
            Err(PlaceError::Unknown { suggestions, .. }) => {
                assert!(
                    suggestions.iter().any(|c| c.insee == "69123"),
                    "{suggestions:?}"
                );
            }
            other => panic!("{other:?}"),
        }
        match c.resolve("Saint-Denis") {
            Err(PlaceError::Ambiguous { candidates, .. }) => {
                assert!(candidates.iter().any(|c| c.departement == "93"));
                assert!(candidates.iter().any(|c| c.departement == "974"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            c.resolve("Saint-Denis (93)").unwrap().insee.as_deref(),
            Some("93066")
        );
        assert!(matches!(
            c.resolve("99999"),
            Err(PlaceError::Unknown { .. })
        ));
        assert!(matches!(c.resolve("  "), Err(PlaceError::Empty)));
    }

    #[test]
    fn completes_most_populated_first() {
        let c = communes();
        let found = c.complete("lyo", 5);
        assert_eq!(found[0].insee, "69123");
        let found = c.complete("mars", 3);
        assert_eq!(found[0].insee, "13055");
        assert!(c.complete("", 5).is_empty());
        let found = c.complete("etienne", 3);
        assert_eq!(found[0].insee, "42218");
    }

    #[test]
    fn coordinates_are_checked() {
        let c = communes();
        assert_eq!(c.place_at(45.76, 4.84).unwrap().departement, "69");
        assert!(matches!(
            c.place_at(91.0, 0.0),
            Err(PlaceError::BadCoordinates(_))
        ));
        assert!(matches!(
            c.place_at(f64::NAN, 0.0),
            Err(PlaceError::BadCoordinates(_))
        ));
        assert!(matches!(
            c.place_at(0.0, -30.0),
            Err(PlaceError::OutOfTerritory { .. })
        ));
    }

    #[test]
    fn nearest_commune_matches_a_linear_scan() {
        let c = communes();
        for (lat, lon) in [
            (45.76, 4.84),
            (48.85, 2.35),
            (44.5, 3.5),
            (-20.9, 55.45),
            (42.0, 9.0),
        ] {
            let linear = c
                .all()
                .iter()
                .filter(|x| !x.is_arrondissement())
                .min_by(|a, b| {
                    distance_km(lat, lon, a.latitude, a.longitude).total_cmp(&distance_km(
                        lat,
                        lon,
                        b.latitude,
                        b.longitude,
                    ))
                })
                .unwrap();
            let (found, d) = c.nearest(lat, lon).unwrap();
            assert!((d - distance_km(lat, lon, linear.latitude, linear.longitude)).abs() < 1e-9);
            assert_eq!(found.departement, linear.departement);
        }
    }

    #[test]
    fn distances() {
        // Paris – Lyon ≈ 392 km.
        let d = distance_km(48.85341, 2.34880, 45.76769, 4.83537);
        assert!((d - 392.0).abs() < 3.0, "{d}");
        let a = unit_vector(48.85341, 2.34880);
        let b = unit_vector(45.76769, 4.83537);
        let chord = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
        assert!((chord - chord_for_km(d)).abs() < 1e-9);
    }
}
