//! The JSON search answer assembled from pre-rendered card fragments is byte for byte the
//! serialization of the answer built field by field, for random cards, places and days.

use jiff::civil::{Date, date};
use msp_domain::{Period, PsychologistRights, Rpps};
use msp_geo::{Place, PlaceKind};
use msp_store::directory::{Contact, DirectoryCard, ListedCard, PracticeAddress, Public};
use msp_web::directory::answers::{search_body, search_response, summary_json};
use msp_web::directory::index::{DirectoryIndex, Filters, Hit, SearchRequest};
use proptest::prelude::*;
use std::sync::Arc;

const TODAY: Date = date(2026, 11, 23);

fn rpps(i: u64) -> Rpps {
    let partial = format!("{:010}", 2_000_000_000 + i);
    let key = msp_domain::ids::luhn_complete(&partial);
    Rpps::parse(&format!("{partial}{key}")).unwrap()
}

fn day(n: i64) -> Date {
    TODAY.checked_sub(jiff::Span::new().days(n)).unwrap()
}

/// Text with what JSON must escape: quotes, backslashes, control characters, non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a", "É", "ï", "’", "\"", "\\", "\n", "\t", "\u{1}", "\u{7f}", " ", "-", "日", "😀",
            "</", "&",
        ]),
        0..12,
    )
    .prop_map(|v| v.concat())
}

fn contact() -> impl Strategy<Value = Contact> {
    (prop::option::of(text()), any::<bool>()).prop_map(|(value, public)| Contact { value, public })
}

fn address() -> impl Strategy<Value = PracticeAddress> {
    (
        text(),
        prop::sample::select(vec!["69001", "75015", "2A004", "00000"]),
        prop::sample::select(vec!["69381", "75115", "2A004", "99999", "48095"]),
        45.0f64..46.5,
        4.0f64..5.8,
    )
        .prop_map(|(line, cp, insee, lat, lon)| PracticeAddress {
            line,
            postal_code: cp.to_owned(),
            commune_insee: insee.to_owned(),
            latitude: lat,
            longitude: lon,
        })
}

#[allow(clippy::type_complexity)]
fn card() -> impl Strategy<Value = (ListedCard, u8)> {
    (
        (
            prop::collection::vec(address(), 1..=2),
            contact(),
            contact(),
            contact(),
            prop::option::of(text()),
            prop::collection::vec(
                prop::sample::select(vec!["en", "es", "ar", "zz", "de"]),
                0..3,
            ),
        ),
        (
            0usize..4,
            any::<bool>(),
            prop::option::of(any::<bool>()),
            prop::option::of(-3i64..70),
            text(),
            text(),
            0u8..3,
        ),
    )
        .prop_map(
            |(
                (addresses, phone, email, website, structure_name, languages),
                (public, tele, accepting, confirmed, last, first, rights),
            )| {
                (
                    ListedCard {
                        card: DirectoryCard {
                            rpps: rpps(0),
                            addresses,
                            phone,
                            email,
                            website,
                            structure_name,
                            languages: languages.into_iter().map(str::to_owned).collect(),
                            public: Public::ALL[public],
                            teleconsultation: tele,
                            accepting_new_patients: accepting,
                            availability_confirmed_on: confirmed.map(day),
                            first_appointment_delay: None,
                        },
                        last_name: last,
                        first_name: first,
                        rights: PsychologistRights::default(),
                        updated_at: None,
                    },
                    rights,
                )
            },
        )
}

fn rights(kind: u8) -> PsychologistRights {
    match kind {
        0 => PsychologistRights::default(),
        _ => PsychologistRights {
            conventions: vec![Period::new(day(400), None)],
            ..Default::default()
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn fragment_answer_equals_field_by_field_serialization(
        specs in prop::collection::vec(card(), 0..60),
        center in (45.0f64..46.5, 4.0f64..5.8),
        radius in 0.5f64..200.0,
        per_page in 1usize..30,
        label in text(),
        kind in 0usize..3,
        insee in prop::option::of(text()),
        later in 0i64..45,
    ) {
        let cards: Vec<ListedCard> = specs
            .into_iter()
            .enumerate()
            .map(|(i, (mut c, r))| {
                c.card.rpps = rpps(i as u64);
                c.rights = rights(r);
                c
            })
            .collect();
        let index = DirectoryIndex::build(cards, TODAY);
        let place = Place {
            label,
            kind: [PlaceKind::Commune, PlaceKind::PostalCode, PlaceKind::Coordinates][kind],
            insee,
            latitude: center.0,
            longitude: center.1,
            departement: "69".into(),
        };
        // Availability turns unknown as days pass: render the same index on later days.
        for today in [TODAY, TODAY.checked_add(jiff::Span::new().days(later)).unwrap()] {
            let req = SearchRequest {
                place: place.clone(),
                radius_km: Some(radius),
                filters: Filters::default(),
                page: 1,
                per_page,
            };
            let r = index.search(&req, today).unwrap();
            let expected = serde_json::to_vec(&search_response(&place, &r, today)).unwrap();
            let got = search_body(&place, &r, today);
            prop_assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(expected).unwrap());
            // Every card, at each of its addresses, at odd distances.
            for e in index.entries() {
                for address in 0..e.listed.card.addresses.len() {
                    for km in [0.0, 0.04999, 0.05, 1.25, 12.345, 199.99] {
                        let h = Hit { entry: Arc::clone(e), distance_km: km, address };
                        let mut got = Vec::new();
                        e.json.write(&mut got, &e.listed.card, km, address, today);
                        let expected = serde_json::to_vec(&summary_json(&h, today)).unwrap();
                        prop_assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(expected).unwrap());
                    }
                }
            }
        }
    }
}
