//! Départements and régions: names, and the département of a commune (from `data/`).

use std::collections::HashMap;
use std::sync::OnceLock;

const DEPARTEMENTS_CSV: &str = include_str!("../../../data/departements.csv");
const REGIONS_CSV: &str = include_str!("../../../data/regions.csv");

/// The administrative areas the statistics are broken down by.
pub struct Areas {
    /// (code, name, région code), in file order.
    pub departements: Vec<(String, String, String)>,
    /// (code, name), in file order.
    pub regions: Vec<(String, String)>,
    dep_index: HashMap<String, usize>,
    reg_index: HashMap<String, usize>,
}

/// A name as pages print it: the typographic apostrophe (« Provence-Alpes-Côte d’Azur »); the
/// reference files keep INSEE's straight one.
fn typographic(name: &str) -> String {
    name.replace('\'', "\u{2019}")
}

pub fn areas() -> &'static Areas {
    static CELL: OnceLock<Areas> = OnceLock::new();
    CELL.get_or_init(|| {
        let departements: Vec<(String, String, String)> = DEPARTEMENTS_CSV
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut f = l.split(',');
                Some((
                    f.next()?.trim().to_owned(),
                    typographic(f.next()?.trim()),
                    f.next()?.trim().to_owned(),
                ))
            })
            .collect();
        let regions: Vec<(String, String)> = REGIONS_CSV
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut f = l.split(',');
                Some((f.next()?.trim().to_owned(), typographic(f.next()?.trim())))
            })
            .collect();
        let dep_index = departements
            .iter()
            .enumerate()
            .map(|(i, d)| (d.0.clone(), i))
            .collect();
        let reg_index = regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.0.clone(), i))
            .collect();
        Areas {
            departements,
            regions,
            dep_index,
            reg_index,
        }
    })
}

impl Areas {
    pub fn departement_name(&self, code: &str) -> Option<&str> {
        self.dep_index
            .get(code)
            .map(|&i| self.departements[i].1.as_str())
    }

    /// The région of a département ("" when unknown).
    pub fn region_of(&self, departement: &str) -> &str {
        self.dep_index
            .get(departement)
            .map_or("", |&i| self.departements[i].2.as_str())
    }

    pub fn region_name(&self, code: &str) -> Option<&str> {
        self.reg_index
            .get(code)
            .map(|&i| self.regions[i].1.as_str())
    }

    /// The région whose name is `name` (accents as in `data/regions.csv`, any case, either
    /// apostrophe).
    pub fn region_by_name(&self, name: &str) -> Option<&str> {
        let name = typographic(name);
        self.regions
            .iter()
            .find(|r| r.1.eq_ignore_ascii_case(&name))
            .map(|r| r.0.as_str())
    }
}

/// The département of a commune (INSEE code), from the embedded communes reference; "" when the
/// commune is absent or unknown.
pub fn departement_of_commune(insee: Option<&str>) -> String {
    let Some(insee) = insee.map(str::trim).filter(|s| !s.is_empty()) else {
        return String::new();
    };
    if let Some(c) = msp_geo::communes().by_insee(insee) {
        return c.departement.clone();
    }
    // Fall back on the code itself: 2 characters (3 for the DROM, 97x).
    let dep = if insee.starts_with("97") {
        insee.get(..3)
    } else {
        insee.get(..2)
    };
    dep.filter(|d| areas().departement_name(d).is_some())
        .unwrap_or("")
        .to_owned()
}
