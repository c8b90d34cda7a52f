//! A directory search from query parameters: shared by the pages and the JSON API.

use crate::AppState;
use crate::directory::index::{Filters, PageOutOfRange, SearchRequest, SearchResult};
use crate::directory::params::{self, Params};
use crate::error::Problem;
use msp_geo::Place;

/// A search that ran.
pub struct Outcome {
    pub place: Place,
    pub filters: Filters,
    pub result: SearchResult,
}

/// Runs the search described by `p`; `Ok(None)` when no place was given.
pub fn run(state: &AppState, p: &Params) -> Result<Option<Outcome>, Problem> {
    // Check every parameter before answering, so a bad filter is reported even without a place.
    let place = params::place(p)?;
    let radius_km = params::radius(p)?;
    let filters = params::filters(p)?;
    let (page, per_page) = params::paging(p)?;
    let Some(place) = place else {
        return Ok(None);
    };
    let req = SearchRequest {
        place,
        radius_km,
        filters,
        page,
        per_page,
    };
    let today = state.today();
    let result = state
        .index()
        .search(&req, today)
        .map_err(|PageOutOfRange { page, pages }| {
            Problem::not_found(
                "page_inexistante",
                format!(
                    "La page {page} n’existe pas : cette recherche compte {pages} page{}.",
                    if pages > 1 { "s" } else { "" }
                ),
            )
        })?;
    Ok(Some(Outcome {
        place: req.place,
        filters: req.filters,
        result,
    }))
}

/// « 1,2 km », « 850 m », « 12 km »; « moins de 100 m » rather than « 0 m ».
pub fn format_distance(km: f64) -> String {
    if km < 0.1 {
        "moins de 100 m".to_owned()
    } else if km < 1.0 {
        format!("{} m", ((km * 1000.0 / 50.0).round() * 50.0).max(0.0))
    } else if km < 10.0 {
        format!("{:.1} km", km).replace('.', ",")
    } else {
        format!("{} km", km.round())
    }
}

/// « 15 km », « 0,5 km ».
pub fn format_km(km: f64) -> String {
    if km.fract() == 0.0 {
        format!("{km} km")
    } else {
        format!("{km} km").replace('.', ",")
    }
}

#[cfg(test)]
mod tests {
    use super::format_distance;

    #[test]
    fn distances_read_as_people_say_them() {
        assert_eq!(format_distance(0.0), "moins de 100 m");
        assert_eq!(format_distance(0.049), "moins de 100 m");
        assert_eq!(format_distance(0.46), "450 m");
        assert_eq!(format_distance(0.95), "950 m");
        assert_eq!(format_distance(1.24), "1,2 km");
        assert_eq!(format_distance(12.4), "12 km");
    }
}
