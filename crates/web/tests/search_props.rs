//! The R-tree search returns exactly what a brute-force scan returns, in the same order.

use jiff::civil::{Date, date};
use msp_domain::{Period, PsychologistRights, Rpps};
use msp_geo::{Place, PlaceKind, distance_km, normalize};
use msp_store::directory::{Contact, DirectoryCard, ListedCard, PracticeAddress, Public};
use msp_web::directory::index::{DirectoryIndex, Filters, SearchRequest, order_key};
use proptest::prelude::*;

const TODAY: Date = date(2026, 11, 23);
const LANGS: [&str; 3] = ["en", "es", "ar"];

fn rpps(i: u64) -> Rpps {
    let partial = format!("{:010}", 2_000_000_000 + i);
    let key = msp_domain::ids::luhn_complete(&partial);
    Rpps::parse(&format!("{partial}{key}")).unwrap()
}

#[derive(Debug, Clone)]
struct Spec {
    points: Vec<(f64, f64)>,
    public: usize,
    tele: bool,
    lang: Option<usize>,
    accepting: Option<bool>,
    confirmed_days_ago: i64,
    rights: u8,
    name: usize,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec((45.0f64..46.5, 4.0f64..5.8), 1..=2),
        0usize..4,
        any::<bool>(),
        prop::option::of(0usize..3),
        prop::option::of(any::<bool>()),
        0i64..60,
        0u8..5,
        0usize..4,
    )
        .prop_map(
            |(points, public, tele, lang, accepting, confirmed_days_ago, rights, name)| Spec {
                points,
                public,
                tele,
                lang,
                accepting,
                confirmed_days_ago,
                rights,
                name,
            },
        )
}

const NAMES: [(&str, &str); 4] = [
    ("Élise", "Lefèvre"),
    ("Marc", "Martin"),
    ("Zoé", "Dupont"),
    ("Léo", "Lefort"),
];

fn card(i: usize, s: &Spec) -> ListedCard {
    let day = |n: i64| TODAY.checked_sub(jiff::Span::new().days(n)).unwrap();
    let rights = match s.rights {
        0 => PsychologistRights::default(),
        1 => PsychologistRights {
            conventions: vec![Period::new(day(400), Some(day(1)))],
            ..Default::default()
        },
        2 => PsychologistRights {
            conventions: vec![Period::new(day(400), None)],
            suspensions: vec![Period::new(day(3), Some(TODAY))],
            ..Default::default()
        },
        _ => PsychologistRights {
            conventions: vec![Period::new(day(400), None)],
            ..Default::default()
        },
    };
    ListedCard {
        card: DirectoryCard {
            rpps: rpps(i as u64),
            addresses: s
                .points
                .iter()
                .map(|&(lat, lon)| PracticeAddress {
                    line: "1 rue".into(),
                    postal_code: "69001".into(),
                    commune_insee: "69381".into(),
                    latitude: lat,
                    longitude: lon,
                })
                .collect(),
            phone: Contact::default(),
            email: Contact::default(),
            website: Contact::default(),
            structure_name: None,
            languages: s
                .lang
                .map(|l| vec![LANGS[l].to_owned()])
                .unwrap_or_default(),
            public: Public::ALL[s.public],
            teleconsultation: s.tele,
            accepting_new_patients: s.accepting,
            availability_confirmed_on: Some(day(s.confirmed_days_ago)),
            first_appointment_delay: None,
        },
        last_name: NAMES[s.name].1.into(),
        first_name: NAMES[s.name].0.into(),
        rights,
        updated_at: None,
    }
}

fn brute_force(
    cards: &[ListedCard],
    lat: f64,
    lon: f64,
    radius: f64,
    f: &Filters,
) -> Vec<(Rpps, f64)> {
    let mut out: Vec<(Rpps, f64)> = cards
        .iter()
        .filter(|c| c.rights.is_conventioned(TODAY))
        .filter(|c| !f.children || c.card.public.includes_children())
        .filter(|c| !f.teleconsultation || c.card.teleconsultation)
        .filter(|c| {
            f.language
                .as_ref()
                .is_none_or(|l| c.card.languages.contains(l))
        })
        .filter(|c| !f.accepting || c.card.availability_on(TODAY) == Some(true))
        .filter(|c| {
            f.name.as_ref().is_none_or(|n| {
                let key = normalize(&format!("{} {}", c.first_name, c.last_name));
                n.split(' ')
                    .all(|w| key.split(' ').any(|k| k.starts_with(w)))
            })
        })
        .filter_map(|c| {
            let d = c
                .card
                .addresses
                .iter()
                .map(|a| distance_km(lat, lon, a.latitude, a.longitude))
                .fold(f64::INFINITY, f64::min);
            (d <= radius).then_some((c.card.rpps, d))
        })
        .collect();
    out.sort_by_key(|(r, d)| order_key(*d, *r, TODAY));
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn search_matches_brute_force(
        specs in prop::collection::vec(spec(), 0..150),
        center in (45.0f64..46.5, 4.0f64..5.8),
        radius in 0.5f64..80.0,
        children in any::<bool>(),
        tele in any::<bool>(),
        accepting in any::<bool>(),
        lang in prop::option::of(0usize..3),
        name in prop::option::of(prop::sample::select(vec!["le", "lef", "zo", "marc martin", "x"])),
        per_page in 1usize..15,
    ) {
        let cards: Vec<ListedCard> = specs.iter().enumerate().map(|(i, s)| card(i, s)).collect();
        let index = DirectoryIndex::build(cards.clone(), TODAY);
        let filters = Filters {
            children,
            teleconsultation: tele,
            language: lang.map(|l| LANGS[l].to_owned()),
            accepting,
            name: name.map(normalize),
        };
        let expected = brute_force(&cards, center.0, center.1, radius, &filters);
        let place = Place {
            label: "test".into(),
            kind: PlaceKind::Coordinates,
            insee: None,
            latitude: center.0,
            longitude: center.1,
            departement: "69".into(),
        };
        let pages = expected.len().div_ceil(per_page).max(1);
        let mut got = Vec::new();
        for page in 1..=pages {
            let req = SearchRequest { place: place.clone(), radius_km: Some(radius), filters: filters.clone(), page, per_page };
            let r = index.search(&req, TODAY).unwrap();
            prop_assert_eq!(r.total, expected.len());
            prop_assert_eq!(r.pages, pages);
            got.extend(r.hits.iter().map(|h| (h.entry.rpps(), h.distance_km)));
        }
        let req = SearchRequest { place, radius_km: Some(radius), filters, page: pages + 1, per_page };
        prop_assert!(index.search(&req, TODAY).is_err());
        prop_assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(&expected) {
            prop_assert_eq!(g.0, e.0);
            prop_assert!((g.1 - e.1).abs() < 1e-9);
        }
    }

    #[test]
    fn upserts_keep_the_index_equal_to_a_fresh_build(
        specs in prop::collection::vec(spec(), 1..60),
        moves in prop::collection::vec((0usize..60, spec()), 0..30),
        center in (45.0f64..46.5, 4.0f64..5.8),
        radius in 1.0f64..60.0,
    ) {
        let mut cards: std::collections::BTreeMap<usize, ListedCard> =
            specs.iter().enumerate().map(|(i, s)| (i, card(i, s))).collect();
        let mut index = DirectoryIndex::build(cards.values().cloned().collect(), TODAY);
        for (i, s) in moves {
            let c = card(i, &s);
            cards.insert(i, c.clone());
            index.upsert(c);
        }
        let fresh = DirectoryIndex::build(cards.into_values().collect(), TODAY);
        let place = Place { label: "t".into(), kind: PlaceKind::Coordinates, insee: None, latitude: center.0, longitude: center.1, departement: "69".into() };
        let req = SearchRequest { place, radius_km: Some(radius), filters: Filters::default(), page: 1, per_page: 10_000 };
        let a: Vec<Rpps> = index.search(&req, TODAY).unwrap().hits.iter().map(|h| h.entry.rpps()).collect();
        let b: Vec<Rpps> = fresh.search(&req, TODAY).unwrap().hits.iter().map(|h| h.entry.rpps()).collect();
        prop_assert_eq!(a, b);
    }
}

#[test]
fn order_rotates_from_one_day_to_the_next() {
    let people: Vec<Rpps> = (0..50).map(rpps).collect();
    let order = |d: Date| {
        let mut v = people.clone();
        v.sort_by_key(|r| order_key(0.3, *r, d));
        v
    };
    let a = order(TODAY);
    assert_eq!(a, order(TODAY), "stable within a day");
    let b = order(TODAY.tomorrow().unwrap());
    assert_ne!(a, b, "rotates the next day");
    // Nearer buckets always come first.
    assert!(order_key(0.5, people[0], TODAY) < order_key(1.5, people[1], TODAY));
}
