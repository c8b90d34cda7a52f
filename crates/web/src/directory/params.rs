//! Query-string parsing shared by the pages and the JSON API: every value is checked and every
//! refusal explained in French.

use crate::directory::index::{
    DEFAULT_PER_PAGE, Filters, MAX_PER_PAGE, MAX_RADIUS_KM, MIN_RADIUS_KM,
};
use crate::error::Problem;
use msp_geo::{Place, PlaceError, communes};

/// The decoded `key=value` pairs of a query string, in order.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Result<Params, Problem> {
        match raw {
            None | Some("") => Ok(Params::default()),
            Some(q) => serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .map(Params)
                .map_err(|_| {
                    Problem::bad_request("requete_illisible", "Paramètres de recherche illisibles.")
                }),
        }
    }

    /// The first value of `key`, trimmed; `None` when absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim())
    }

    /// The first value of `key` when present and not empty.
    pub fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    /// Refuses parameters not in `known`.
    pub fn only(&self, known: &[&str]) -> Result<(), Problem> {
        if let Some((k, _)) = self.0.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            return Err(Problem::bad_request(
                "parametre_inconnu",
                format!(
                    "Paramètre inconnu « {k} ». Paramètres acceptés : {}.",
                    known.join(", ")
                ),
            ));
        }
        Ok(())
    }
}

/// Parameters of a directory search (pages and API alike).
pub const SEARCH_PARAMS: &[&str] = &[
    "q",
    "insee",
    "code_postal",
    "lat",
    "lon",
    "rayon",
    "enfants",
    "teleconsultation",
    "langue",
    "disponible",
    "nom",
    "page",
    "par_page",
];

/// A number as people type it: « 4,85 » or « 4.85 ».
pub fn parse_number(field: &str, value: &str) -> Result<f64, Problem> {
    value
        .trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            Problem::bad_request(
                "nombre_invalide",
                format!("« {value} » n’est pas un nombre valide pour {field}."),
            )
        })
}

/// `1`/`0` (and oui/non, true/false, on from HTML checkboxes); empty means no.
pub fn parse_flag(field: &str, value: Option<&str>) -> Result<bool, Problem> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None | Some("" | "0" | "non" | "false") => Ok(false),
        Some("1" | "oui" | "true" | "on") => Ok(true),
        Some(other) => Err(Problem::bad_request(
            "filtre_invalide",
            format!(
                "Valeur inconnue « {other} » pour le filtre {field} : 1 (oui) ou 0 (non) attendu."
            ),
        )),
    }
}

fn parse_count(field: &str, value: &str, max: usize) -> Result<usize, Problem> {
    value
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|v| (1..=max).contains(v))
        .ok_or_else(|| {
            Problem::bad_request(
                "nombre_invalide",
                format!("{field} doit être un nombre entier entre 1 et {max} (reçu « {value} »)."),
            )
        })
}

/// Where to search, from `q`, `insee`, `code_postal` or `lat`+`lon` (first given wins);
/// `Ok(None)` when nothing was given.
pub fn place(p: &Params) -> Result<Option<Place>, Problem> {
    let geo = communes();
    if let Some(q) = p.non_empty("q") {
        match geo.resolve(q) {
            Ok(place) => return Ok(Some(place)),
            Err(PlaceError::Empty) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(insee) = p.non_empty("insee") {
        let c = geo.by_insee(&insee.to_ascii_uppercase()).ok_or_else(|| {
            Problem::not_found(
                "lieu_inconnu",
                format!("Aucune commune n’a le code INSEE « {insee} »."),
            )
        })?;
        return Ok(Some(geo.place_of(c)));
    }
    if let Some(cp) = p.non_empty("code_postal") {
        return geo.place_of_postal_code(cp).map(Some).ok_or_else(|| {
            Problem::not_found(
                "lieu_inconnu",
                format!("Aucune commune n’a le code postal « {cp} »."),
            )
        });
    }
    let (lat, lon) = (p.non_empty("lat"), p.non_empty("lon"));
    if lat.is_none() && lon.is_none() {
        return Ok(None);
    }
    let (Some(lat), Some(lon)) = (lat, lon) else {
        return Err(Problem::bad_request(
            "coordonnees_invalides",
            "Coordonnées incomplètes : indiquez la latitude (lat) et la longitude (lon).",
        ));
    };
    let lat = parse_number("la latitude", lat).map_err(|e| Problem {
        code: "coordonnees_invalides",
        ..e
    })?;
    let lon = parse_number("la longitude", lon).map_err(|e| Problem {
        code: "coordonnees_invalides",
        ..e
    })?;
    geo.place_at(lat, lon).map(Some).map_err(Problem::from)
}

/// Radius in km, or `None` for the département's default.
pub fn radius(p: &Params) -> Result<Option<f64>, Problem> {
    let Some(v) = p.non_empty("rayon") else {
        return Ok(None);
    };
    let r = parse_number("le rayon", v).map_err(|e| Problem {
        code: "rayon_invalide",
        ..e
    })?;
    if !(MIN_RADIUS_KM..=MAX_RADIUS_KM).contains(&r) {
        return Err(Problem::bad_request(
            "rayon_invalide",
            format!("Le rayon doit être compris entre 0,5 et {MAX_RADIUS_KM} km (reçu « {v} »)."),
        ));
    }
    Ok(Some(r))
}

pub fn filters(p: &Params) -> Result<Filters, Problem> {
    let language = match p.non_empty("langue") {
        None => None,
        Some(l) => Some(
            crate::directory::languages::parse(l)
                .ok_or_else(|| {
                    Problem::bad_request(
                        "filtre_invalide",
                        format!(
                            "Langue inconnue « {l} ». Codes acceptés : {}.",
                            crate::directory::languages::codes_list()
                        ),
                    )
                })?
                .to_owned(),
        ),
    };
    Ok(Filters {
        children: parse_flag("enfants", p.get("enfants"))?,
        teleconsultation: parse_flag("teleconsultation", p.get("teleconsultation"))?,
        accepting: parse_flag("disponible", p.get("disponible"))?,
        language,
        name: p
            .non_empty("nom")
            .map(msp_geo::normalize)
            .filter(|n| !n.is_empty()),
    })
}

/// (page, per page).
pub fn paging(p: &Params) -> Result<(usize, usize), Problem> {
    let page = match p.non_empty("page") {
        None => 1,
        Some(v) => parse_count("La page", v, 1_000_000)?,
    };
    let per_page = match p.non_empty("par_page") {
        None => DEFAULT_PER_PAGE,
        Some(v) => parse_count("Le nombre de résultats par page", v, MAX_PER_PAGE)?,
    };
    Ok((page, per_page))
}
