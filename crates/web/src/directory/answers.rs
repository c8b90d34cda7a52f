//! Answers of the directory built from the index: a card, a search hit, a whole search (its
//! body assembled from the fragments each entry keeps ready).

use crate::directory::index::{Entry, Hit, SearchResult};
use crate::directory::json::*;
use msp_domain::Date;

pub fn card_json(e: &Entry, today: Date) -> CardJson {
    let c = &e.listed.card;
    CardJson {
        rpps: c.rpps.to_string(),
        nom: e.listed.last_name.clone(),
        prenom: e.listed.first_name.clone(),
        adresses: c.addresses.iter().map(address_json).collect(),
        telephone: c.phone.public_value().map(str::to_owned),
        email: c.email.public_value().map(str::to_owned),
        site_web: c.website.public_value().map(str::to_owned),
        structure: c.structure_name.clone(),
        langues: languages_json(&c.languages),
        public: public_json(c.public),
        teleconsultation: c.teleconsultation,
        disponibilite: availability_json(c, today),
        mise_a_jour_le: e.listed.updated_at.map(|t| paris_date(t).to_string()),
        url: format!("/psychologues/{}", c.rpps),
    }
}

/// The calendar date of an instant in Paris.
pub fn paris_date(t: jiff::Timestamp) -> Date {
    let tz = jiff::tz::TimeZone::get("Europe/Paris").unwrap_or(jiff::tz::TimeZone::UTC);
    t.to_zoned(tz).date()
}

/// A search hit as JSON, built field by field (the reference for [`SummaryFragments`]).
pub fn summary_json(h: &Hit, today: Date) -> SummaryJson {
    let c = &h.entry.listed.card;
    SummaryJson {
        rpps: c.rpps.to_string(),
        nom: h.entry.listed.last_name.clone(),
        prenom: h.entry.listed.first_name.clone(),
        distance_km: round1(h.distance_km),
        adresse_la_plus_proche: address_json(&c.addresses[h.address]),
        public: public_json(c.public),
        teleconsultation: c.teleconsultation,
        langues: languages_json(&c.languages),
        disponibilite: availability_json(c, today),
        structure: c.structure_name.clone(),
        url: format!("/psychologues/{}", c.rpps),
    }
}

/// The search answer as a value, built field by field (the reference for [`search_body`]).
pub fn search_response(place: &msp_geo::Place, r: &SearchResult, today: Date) -> SearchResponse {
    SearchResponse {
        resultats: r.hits.iter().map(|h| summary_json(h, today)).collect(),
        ..search_envelope(place, r)
    }
}

fn search_envelope(place: &msp_geo::Place, r: &SearchResult) -> SearchResponse {
    SearchResponse {
        lieu: place_json(place),
        rayon_km: r.radius_km,
        rayon_par_defaut: r.default_radius,
        total: r.total,
        page: r.page,
        par_page: r.per_page,
        pages: r.pages,
        resultats: Vec::new(),
    }
}

/// The search answer as JSON bytes: the envelope serialized, then each hit's pre-rendered
/// fragments with its distance. Byte for byte `serde_json::to_vec(&search_response(…))`.
pub fn search_body(place: &msp_geo::Place, r: &SearchResult, today: Date) -> Vec<u8> {
    let size: usize = r.hits.iter().map(|h| h.entry.json.len()).sum();
    let mut buf = Vec::with_capacity(size + 512);
    let _ = serde_json::to_writer(&mut buf, &search_envelope(place, r));
    // The envelope ends with `"resultats":[]}`, the last field.
    debug_assert!(buf.ends_with(b"[]}"));
    buf.truncate(buf.len().saturating_sub(2));
    for (k, h) in r.hits.iter().enumerate() {
        if k > 0 {
            buf.push(b',');
        }
        h.entry.json.write(
            &mut buf,
            &h.entry.listed.card,
            h.distance_km,
            h.address,
            today,
        );
    }
    buf.extend_from_slice(b"]}");
    buf
}
