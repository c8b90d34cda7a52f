//! The in-memory directory: every card with its rights, an R-tree over practice addresses, and
//! the default search radius of each département.
//!
//! Built from the store at start-up ([`DirectoryIndex::build`]) and kept in step by
//! [`DirectoryIndex::upsert`] when a card is written through the application. Whether a card is
//! listed is checked at query time against the day's date, so the index stays right across
//! midnight without a rebuild; the server also rebuilds it periodically to pick up conventions
//! imported by other processes (see `lib.rs`).
//!
//! Geometry: addresses are points on the unit sphere (x, y, z); a radius of r km is a chord of
//! `2·sin(r / 2R)`, so the R-tree answers "within r km" exactly (then refined with haversine).
//!
//! Default radius per département: for the most populated communes of each département (up
//! to [`RADIUS_SAMPLE_COMMUNES`]), the distance to the [`RADIUS_TARGET`]-th nearest psychologist
//! listed at build time; the population-weighted median of these distances, rounded up to a
//! step of [`RADIUS_STEPS_KM`]. Dense cities get 5 km, rural départements 30 to 100 km.

use msp_domain::{Date, Rpps};
use msp_geo::{Place, chord_for_km, communes, distance_km, normalize, unit_vector};
use msp_store::directory::ListedCard;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

/// Smallest and largest radius a person may ask for, in km.
pub const MIN_RADIUS_KM: f64 = 0.5;
pub const MAX_RADIUS_KM: f64 = 200.0;
/// Default radius when the index is empty or a département has no figure.
pub const FALLBACK_RADIUS_KM: f64 = 30.0;
/// Steps the default radius is rounded up to.
pub const RADIUS_STEPS_KM: [f64; 11] = [
    2.0, 3.0, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 75.0, 100.0,
];
/// A default radius aims at this many psychologists around a typical resident.
pub const RADIUS_TARGET: usize = 10;
/// Communes sampled per département (the most populated) to compute its default radius.
pub const RADIUS_SAMPLE_COMMUNES: usize = 40;
/// Upper bounds of the distance buckets (km) inside which the order rotates daily.
pub const DISTANCE_BUCKETS_KM: [f64; 12] = [
    1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 50.0, 75.0, 100.0, 150.0, 200.0,
];
pub const DEFAULT_PER_PAGE: usize = 20;
pub const MAX_PER_PAGE: usize = 100;

type Point = GeomWithData<[f64; 3], u32>;

/// A card as the index holds it.
#[derive(Debug)]
pub struct Entry {
    pub listed: ListedCard,
    /// Normalized « prénom nom » for name search.
    pub name_key: String,
    /// The card's JSON search result, pre-rendered (rebuilt with the entry on every write).
    pub json: crate::directory::json::SummaryFragments,
}

impl Entry {
    /// An entry for a card (computes its name key and JSON fragments).
    pub fn from_listed(listed: ListedCard) -> Entry {
        let name_key = normalize(&format!("{} {}", listed.first_name, listed.last_name));
        let json = crate::directory::json::SummaryFragments::render(&listed);
        Entry {
            listed,
            name_key,
            json,
        }
    }

    pub fn rpps(&self) -> Rpps {
        self.listed.card.rpps
    }

    /// The nearest practice address to a point: (index, km).
    pub fn nearest_address(&self, latitude: f64, longitude: f64) -> (usize, f64) {
        self.listed
            .card
            .addresses
            .iter()
            .enumerate()
            .map(|(i, a)| (i, distance_km(latitude, longitude, a.latitude, a.longitude)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, f64::INFINITY))
    }
}

/// What to keep among the psychologists around a place.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    /// Sees children.
    pub children: bool,
    /// Offers teleconsultation.
    pub teleconsultation: bool,
    /// Speaks this language (ISO 639 code).
    pub language: Option<String>,
    /// Confirmed within 30 days as taking new patients.
    pub accepting: bool,
    /// Normalized words that must all start a word of « prénom nom ».
    pub name: Option<String>,
}

impl Filters {
    pub fn keep(&self, e: &Entry, today: Date) -> bool {
        self.keep_since(e, today, accepting_since(today))
    }

    /// [`Filters::keep`] with the oldest confirmation date still valid computed once.
    pub fn keep_since(&self, e: &Entry, today: Date, accepting_since: Date) -> bool {
        let card = &e.listed.card;
        (!self.children || card.public.includes_children())
            && (!self.teleconsultation || card.teleconsultation)
            && self
                .language
                .as_ref()
                .is_none_or(|l| card.languages.iter().any(|c| c == l))
            && (!self.accepting
                || (card.accepting_new_patients == Some(true)
                    && card
                        .availability_confirmed_on
                        .is_some_and(|d| accepting_since <= d && d <= today)))
            && self
                .name
                .as_ref()
                .is_none_or(|n| name_matches(&e.name_key, n))
    }
}

/// Every word of `query` starts a word of `name_key` (both normalized).
pub fn name_matches(name_key: &str, query: &str) -> bool {
    query
        .split(' ')
        .filter(|w| !w.is_empty())
        .all(|w| name_key.split(' ').any(|n| n.starts_with(w)))
}

/// A search around a place.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub place: Place,
    /// `None`: the département's default.
    pub radius_km: Option<f64>,
    pub filters: Filters,
    /// From 1.
    pub page: usize,
    pub per_page: usize,
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub entry: Arc<Entry>,
    pub distance_km: f64,
    /// Index of the nearest practice address.
    pub address: usize,
}

#[derive(Debug, Clone)]
pub struct SearchResult {
    pub hits: Vec<Hit>,
    pub total: usize,
    pub radius_km: f64,
    pub default_radius: bool,
    pub page: usize,
    pub per_page: usize,
    pub pages: usize,
}

/// The page asked for lies past the last one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageOutOfRange {
    pub page: usize,
    pub pages: usize,
}

/// A distinct point where one or more practices are (addresses are geocoded to commune
/// centres, so many share one). The R-tree holds each distinct point once: rstar misbehaves with
/// many identical points, and fewer points make queries faster.
struct Location {
    latitude: f64,
    longitude: f64,
    point: [f64; 3],
    /// Entries with an address here, with what the search loop reads (kept inline so that a
    /// location's candidates are read sequentially).
    entries: Vec<Slot>,
}

fn location_key(latitude: f64, longitude: f64) -> (u64, u64) {
    (latitude.to_bits(), longitude.to_bits())
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    entry: u32,
    /// Location of the card's other address (this one for a card with one address).
    other: u32,
    meta: Meta,
}

/// What the search loop reads for every candidate, packed contiguously (one cache line for
/// several entries) so that a wide search does not chase pointers through every card.
#[derive(Debug, Clone, Copy)]
struct Meta {
    rpps: u64,
    /// Bit `k` set: speaks `languages::LANGUAGES[k]`.
    languages: u64,
    /// Day number of the last availability confirmation (`i32::MIN`: never).
    confirmed: i32,
    /// Initials of the words of the name key (see [`initials`]): a name query is checked
    /// against the card only when each of its words' initials is there.
    initials: u32,
    flags: u8,
    /// Which of the card's addresses is at this location.
    address: u8,
}

const SEES_CHILDREN: u8 = 1;
const TELECONSULTATION: u8 = 2;
const ACCEPTING: u8 = 4;
const TWO_ADDRESSES: u8 = 8;

impl Meta {
    fn of(e: &Entry) -> Meta {
        let c = &e.listed.card;
        let mut flags = 0;
        if c.public.includes_children() {
            flags |= SEES_CHILDREN;
        }
        if c.teleconsultation {
            flags |= TELECONSULTATION;
        }
        if c.accepting_new_patients == Some(true) {
            flags |= ACCEPTING;
        }
        if c.addresses.len() > 1 {
            flags |= TWO_ADDRESSES;
        }
        Meta {
            rpps: c.rpps.value(),
            languages: c
                .languages
                .iter()
                .filter_map(|l| language_bit(l))
                .fold(0, |acc, b| acc | b),
            confirmed: c.availability_confirmed_on.map_or(i32::MIN, day_number_i32),
            initials: initials(&e.name_key),
            flags,
            address: 0,
        }
    }
}

/// One bit per initial letter of the words of a normalized text (a–z, then one bit for digits
/// and one for anything else).
fn initials(text: &str) -> u32 {
    text.split(' ')
        .filter_map(|w| w.bytes().next())
        .fold(0, |acc, b| {
            acc | match b {
                b'a'..=b'z' => 1 << (b - b'a'),
                b'0'..=b'9' => 1 << 26,
                _ => 1 << 27,
            }
        })
}

fn language_bit(code: &str) -> Option<u64> {
    crate::directory::languages::LANGUAGES
        .iter()
        .position(|(c, _)| *c == code)
        .map(|k| 1u64 << k)
}

fn day_number_i32(d: Date) -> i32 {
    d.since(Date::constant(2000, 1, 1))
        .map(|s| s.get_days())
        .unwrap_or(i32::MIN)
}

pub struct DirectoryIndex {
    entries: Vec<Arc<Entry>>,
    /// Which entries are listed, for the day it was computed on (recomputed when the day
    /// changes, reset by writes).
    listed_cache: std::sync::Mutex<Option<(Date, Arc<Vec<u64>>)>>,
    by_rpps: HashMap<Rpps, u32>,
    locations: Vec<Location>,
    by_location: HashMap<(u64, u64), u32>,
    /// Points of the locations that have entries; data = location index.
    tree: RTree<Point>,
    default_radius: HashMap<String, f64>,
}

impl DirectoryIndex {
    /// Builds the index from every card (listed or not); default radii count the cards listed
    /// on `today`.
    pub fn build(cards: Vec<ListedCard>, today: Date) -> DirectoryIndex {
        let mut index = DirectoryIndex::build_without_radii(cards);
        index.default_radius = index.compute_default_radii(today);
        index
    }

    /// [`DirectoryIndex::build`] keeping the default radii of `previous`: they follow the
    /// density of psychologists, which one change hardly moves, and computing them is most of
    /// the cost of a build. The periodic full reload recomputes them.
    pub fn build_keeping_radii(
        cards: Vec<ListedCard>,
        previous: &DirectoryIndex,
    ) -> DirectoryIndex {
        let mut index = DirectoryIndex::build_without_radii(cards);
        index.default_radius = previous.default_radius.clone();
        index
    }

    fn build_without_radii(cards: Vec<ListedCard>) -> DirectoryIndex {
        let entries: Vec<Arc<Entry>> = cards
            .into_iter()
            .map(|c| Arc::new(Entry::from_listed(c)))
            .collect();
        let mut index = DirectoryIndex {
            entries: Vec::new(),
            by_rpps: HashMap::with_capacity(entries.len()),
            locations: Vec::new(),
            by_location: HashMap::new(),
            tree: RTree::new(),
            default_radius: HashMap::new(),
            listed_cache: std::sync::Mutex::new(None),
        };
        for (i, e) in entries.iter().enumerate() {
            let i = u32::try_from(i).expect("fewer than 4 billion cards");
            index.by_rpps.insert(e.rpps(), i);
            index.attach(i, e);
        }
        index.entries = entries;
        index.rebuild_tree();
        index
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of cards listed on `today`.
    pub fn listed_count(&self, today: Date) -> usize {
        self.entries
            .iter()
            .filter(|e| e.listed.is_listed_on(today))
            .count()
    }

    pub fn get(&self, rpps: Rpps) -> Option<&Arc<Entry>> {
        self.by_rpps.get(&rpps).map(|&i| &self.entries[i as usize])
    }

    /// Every entry, in RPPS order of loading.
    pub fn entries(&self) -> &[Arc<Entry>] {
        &self.entries
    }

    /// Adds entry `i` to the locations of its addresses (without touching the tree).
    fn attach(&mut self, i: u32, e: &Entry) {
        let addresses = &e.listed.card.addresses;
        let mut at = [0u32; 2];
        for (k, a) in addresses.iter().take(2).enumerate() {
            at[k] = self.location_of(a.latitude, a.longitude);
        }
        let n = addresses.len().min(2);
        for k in 0..n {
            let l = at[k];
            let loc = &mut self.locations[l as usize];
            if !loc.entries.iter().any(|s| s.entry == i) {
                let mut meta = Meta::of(e);
                meta.address = u8::try_from(k).unwrap_or(0);
                loc.entries.push(Slot {
                    entry: i,
                    other: if n > 1 { at[1 - k] } else { l },
                    meta,
                });
            }
        }
    }

    /// The location at these coordinates, created if new (without touching the tree).
    fn location_of(&mut self, latitude: f64, longitude: f64) -> u32 {
        let key = location_key(latitude, longitude);
        if let Some(&l) = self.by_location.get(&key) {
            return l;
        }
        let l = u32::try_from(self.locations.len()).expect("few locations");
        self.locations.push(Location {
            latitude,
            longitude,
            point: unit_vector(latitude, longitude),
            entries: Vec::new(),
        });
        self.by_location.insert(key, l);
        l
    }

    /// Inserts or replaces a card, moving it between locations and keeping the R-tree in step.
    ///
    /// The tree is only ever bulk-loaded: a location left without entries stays in it (its list
    /// is empty, so it matches nobody), and a new location rebuilds it (a few milliseconds for
    /// every commune of France). Incremental `insert` after `remove` trips an internal assertion
    /// of rstar 0.12 (found by the property test), and card edits are rare.
    pub fn upsert(&mut self, listed: ListedCard) {
        let entry = Arc::new(Entry::from_listed(listed));
        let rpps = entry.rpps();
        let i = match self.by_rpps.get(&rpps) {
            Some(&i) => {
                let old = Arc::clone(&self.entries[i as usize]);
                for a in &old.listed.card.addresses {
                    let key = location_key(a.latitude, a.longitude);
                    if let Some(&l) = self.by_location.get(&key) {
                        self.locations[l as usize].entries.retain(|s| s.entry != i);
                    }
                }
                self.entries[i as usize] = Arc::clone(&entry);
                i
            }
            None => {
                let i = u32::try_from(self.entries.len()).expect("fewer than 4 billion cards");
                self.by_rpps.insert(rpps, i);
                self.entries.push(Arc::clone(&entry));
                i
            }
        };
        *self
            .listed_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        let before = self.locations.len();
        self.attach(i, &entry);
        if self.locations.len() != before {
            self.rebuild_tree();
        }
    }

    fn rebuild_tree(&mut self) {
        let points = self
            .locations
            .iter()
            .enumerate()
            .map(|(l, loc)| Point::new(loc.point, u32::try_from(l).expect("few locations")))
            .collect();
        self.tree = RTree::bulk_load(points);
    }

    /// Which entries are listed on `today`, one bit per entry (computed once per day; 6 KB for
    /// 50,000 cards, so it stays in the processor's cache during a search).
    fn listed_on(&self, today: Date) -> Arc<Vec<u64>> {
        let mut cache = self
            .listed_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((day, listed)) = cache.as_ref()
            && *day == today
        {
            return Arc::clone(listed);
        }
        let mut bits = vec![0u64; self.entries.len().div_ceil(64)];
        for (i, e) in self.entries.iter().enumerate() {
            if e.listed.is_listed_on(today) {
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        let listed = Arc::new(bits);
        *cache = Some((today, Arc::clone(&listed)));
        listed
    }

    /// Default radius of a département, in km.
    pub fn default_radius_km(&self, departement: &str) -> f64 {
        self.default_radius
            .get(departement)
            .copied()
            .unwrap_or(FALLBACK_RADIUS_KM)
    }

    /// All default radii, by département code.
    pub fn default_radii(&self) -> &HashMap<String, f64> {
        &self.default_radius
    }

    fn compute_default_radii(&self, today: Date) -> HashMap<String, f64> {
        let mut out = HashMap::new();
        for (dep, list) in radius_samples() {
            let mut samples: Vec<(f64, u64)> = list
                .iter()
                .map(|c| {
                    (
                        self.distance_to_kth(c.latitude, c.longitude, today),
                        c.population,
                    )
                })
                .collect();
            samples.sort_by(|a, b| a.0.total_cmp(&b.0));
            let total: u64 = samples.iter().map(|s| s.1.max(1)).sum();
            let mut acc = 0;
            let mut median = FALLBACK_RADIUS_KM;
            for (d, p) in &samples {
                acc += p.max(&1);
                if acc * 2 >= total {
                    median = *d;
                    break;
                }
            }
            let radius = RADIUS_STEPS_KM
                .iter()
                .copied()
                .find(|s| *s >= median)
                .unwrap_or(RADIUS_STEPS_KM[RADIUS_STEPS_KM.len() - 1]);
            out.insert((*dep).to_owned(), radius);
        }
        out
    }

    /// Distance from a point to the `RADIUS_TARGET`-th nearest distinct psychologist listed on
    /// `today`, capped just above the largest radius step.
    fn distance_to_kth(&self, latitude: f64, longitude: f64, today: Date) -> f64 {
        let cap = RADIUS_STEPS_KM[RADIUS_STEPS_KM.len() - 1] + 1.0;
        let center = unit_vector(latitude, longitude);
        let cap_chord = chord_for_km(cap);
        let mut seen: Vec<u32> = Vec::with_capacity(RADIUS_TARGET * 2);
        for (p, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&center) {
            if d2.sqrt() > cap_chord {
                break;
            }
            let loc = &self.locations[p.data as usize];
            for &Slot { entry: i, .. } in &loc.entries {
                if seen.contains(&i) || !self.entries[i as usize].listed.is_listed_on(today) {
                    continue;
                }
                seen.push(i);
                if seen.len() >= RADIUS_TARGET {
                    return distance_km(latitude, longitude, loc.latitude, loc.longitude);
                }
            }
        }
        cap
    }

    /// Listed psychologists within the radius who pass the filters, in the fair order: distance
    /// bucket first, then a daily rotating hash of the RPPS.
    pub fn search(&self, req: &SearchRequest, today: Date) -> Result<SearchResult, PageOutOfRange> {
        let radius_km = req
            .radius_km
            .unwrap_or_else(|| self.default_radius_km(&req.place.departement));
        let (lat, lon) = (req.place.latitude, req.place.longitude);
        let center = unit_vector(lat, lon);
        let chord = chord_for_km(radius_km) * (1.0 + 1e-9) + 1e-12;
        let radius_c2 = chord_for_km(radius_km).powi(2);
        let name_initials = req.filters.name.as_deref().map_or(0, initials);
        let bucket_c2 = DISTANCE_BUCKETS_KM.map(|b| chord_for_km(b).powi(2));
        let day = day_number(today);
        let listed = self.listed_on(today);
        let f = &req.filters;
        let today_n = day_number_i32(today);
        let since_n = day_number_i32(accepting_since(today));
        let mut need = 0u8;
        if f.children {
            need |= SEES_CHILDREN;
        }
        if f.teleconsultation {
            need |= TELECONSULTATION;
        }
        if f.accepting {
            need |= ACCEPTING;
        }
        // A language outside the list matches nobody.
        let language = f.language.as_deref().map(|l| language_bit(l).unwrap_or(0));
        let per_page = req.per_page.max(1);
        // Only the results up to the page asked for are kept, in a max-heap of the `end` first
        // in the fair order: a wide search counts thousands of candidates but keeps a page.
        let end = req.page.saturating_mul(per_page);
        let mut best: BinaryHeap<Candidate> = BinaryHeap::with_capacity(end.min(1024) + 1);
        let mut total = 0usize;
        // An entry with two addresses is taken only at the location of its nearest one, so
        // nobody is counted twice.
        for p in self.tree.locate_within_distance(center, chord * chord) {
            let loc = &self.locations[p.data as usize];
            // Radius and bucket from the chord (no trigonometry) unless it lies within rounding
            // of a limit; the haversine distance is computed for the locations that need it.
            let here = chord2(center, loc.point);
            let mut exact: Option<f64> = None;
            let (inside, b) = if near(here, radius_c2) || bucket_c2.iter().any(|&y| near(here, y)) {
                let d = distance_km(lat, lon, loc.latitude, loc.longitude);
                exact = Some(d);
                (d <= radius_km, bucket(d))
            } else {
                (
                    here < radius_c2,
                    bucket_c2.iter().take_while(|&&y| y < here).count(),
                )
            };
            if !inside {
                continue;
            }
            let b = u8::try_from(b).unwrap_or(u8::MAX);
            let mut d_loc =
                || *exact.get_or_insert_with(|| distance_km(lat, lon, loc.latitude, loc.longitude));
            for slot in &loc.entries {
                let (i, m) = (slot.entry, &slot.meta);
                // What the slot holds first, the day's bitmap last.
                if m.flags & need != need
                    || language.is_some_and(|bit| m.languages & bit == 0)
                    || (f.accepting && !(since_n <= m.confirmed && m.confirmed <= today_n))
                    || listed[i as usize / 64] & (1 << (i % 64)) == 0
                {
                    continue;
                }
                if m.flags & TWO_ADDRESSES != 0
                    && slot.other != p.data
                    && !self.nearer_here(slot, here, &mut d_loc, center, (lat, lon))
                {
                    continue;
                }
                if let Some(name) = &f.name
                    && (m.initials & name_initials != name_initials
                        || !name_matches(&self.entries[i as usize].name_key, name))
                {
                    continue;
                }
                total += 1;
                if end == 0 {
                    continue;
                }
                if best.len() >= end && best.peek().is_some_and(|top| b > top.bucket) {
                    continue;
                }
                let c = Candidate {
                    rpps: m.rpps,
                    bucket: b,
                    address: m.address,
                    entry: i,
                    rotation: rotation_key(m.rpps, day),
                    km: d_loc(),
                };
                if best.len() < end {
                    best.push(c);
                } else if let Some(mut top) = best.peek_mut()
                    && c < *top
                {
                    *top = c;
                }
            }
        }
        let found = best.into_sorted_vec();
        let pages = total.div_ceil(per_page).max(1);
        if req.page == 0 || req.page > pages {
            return Err(PageOutOfRange {
                page: req.page,
                pages,
            });
        }
        let hits = found
            .iter()
            .skip((req.page - 1) * per_page)
            .take(per_page)
            .map(|c| Hit {
                entry: Arc::clone(&self.entries[c.entry as usize]),
                distance_km: c.km,
                address: usize::from(c.address),
            })
            .collect();
        Ok(SearchResult {
            hits,
            total,
            radius_km,
            default_radius: req.radius_km.is_none(),
            page: req.page,
            per_page,
            pages,
        })
    }

    /// Whether the address of `slot` at this location (squared chord `here` and distance
    /// `d_here` from the centre) is the card's nearest: the other one is farther, or as far and
    /// second. Decided on chords when they clearly differ, else exactly as before (haversine,
    /// first address on a tie), so the choice is the one `Entry::nearest_address` makes.
    fn nearer_here(
        &self,
        slot: &Slot,
        here: f64,
        d_here: &mut impl FnMut() -> f64,
        center: [f64; 3],
        (lat, lon): (f64, f64),
    ) -> bool {
        let other = &self.locations[slot.other as usize];
        let there = chord2(center, other.point);
        if (here - there).abs() > 1e-6 * here.max(there) + 1e-20 {
            return here < there;
        }
        let d_there = distance_km(lat, lon, other.latitude, other.longitude);
        if slot.meta.address == 0 {
            d_here() <= d_there
        } else {
            d_here() < d_there
        }
    }

    /// Listed psychologists whose name matches (normalized word prefixes), by name.
    pub fn by_name(&self, query: &str, today: Date) -> Vec<Arc<Entry>> {
        let q = normalize(query);
        let mut out: Vec<Arc<Entry>> = self
            .entries
            .iter()
            .filter(|e| e.listed.is_listed_on(today) && name_matches(&e.name_key, &q))
            .cloned()
            .collect();
        out.sort_by(|a, b| {
            (normalize(&a.listed.last_name), a.rpps())
                .cmp(&(normalize(&b.listed.last_name), b.rpps()))
        });
        out
    }

    /// Listed entries, in RPPS order.
    pub fn listed(&self, today: Date) -> Vec<Arc<Entry>> {
        let mut out: Vec<Arc<Entry>> = self
            .entries
            .iter()
            .filter(|e| e.listed.is_listed_on(today))
            .cloned()
            .collect();
        out.sort_by_key(|e| e.rpps());
        out
    }
}

/// The most populated communes of each département, sampled for its default radius.
fn radius_samples() -> &'static [(&'static str, Vec<&'static msp_geo::Commune>)] {
    static CELL: std::sync::OnceLock<Vec<(&'static str, Vec<&'static msp_geo::Commune>)>> =
        std::sync::OnceLock::new();
    CELL.get_or_init(|| {
        let mut by_dep: HashMap<&'static str, Vec<&'static msp_geo::Commune>> = HashMap::new();
        for c in communes().all().iter().filter(|c| !c.is_arrondissement()) {
            by_dep.entry(c.departement.as_str()).or_default().push(c);
        }
        let mut out: Vec<_> = by_dep
            .into_iter()
            .map(|(dep, mut list)| {
                list.sort_by_key(|c| (std::cmp::Reverse(c.population), c.insee.as_str()));
                list.truncate(RADIUS_SAMPLE_COMMUNES);
                (dep, list)
            })
            .collect();
        out.sort_by_key(|(d, _)| *d);
        out
    })
}

/// Squared Euclidean distance between two points of the unit sphere (monotonic with the
/// great-circle distance).
fn chord2(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (x, y, z) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    x * x + y * y + z * z
}

/// Two squared chords too close to be ordered safely without the haversine distance (their
/// rounding errors are below 1e-12 relative).
fn near(x: f64, y: f64) -> bool {
    (x - y).abs() <= 1e-9 * y + 1e-24
}

/// A psychologist found by a search, before ordering.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    rpps: u64,
    bucket: u8,
    address: u8,
    entry: u32,
    rotation: u64,
    km: f64,
}

impl Candidate {
    /// The fair order: distance bucket, daily rotation, RPPS (unique per entry).
    fn key(&self) -> (u8, u64, u64) {
        (self.bucket, self.rotation, self.rpps)
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// The oldest availability confirmation still shown on `today` (30 days, see the store).
pub fn accepting_since(today: Date) -> Date {
    today
        .checked_sub(jiff::Span::new().days(msp_store::directory::AVAILABILITY_VALID_DAYS))
        .unwrap_or(Date::MIN)
}

/// Index of the distance bucket.
pub fn bucket(km: f64) -> usize {
    DISTANCE_BUCKETS_KM
        .iter()
        .position(|&b| km < b)
        .unwrap_or(DISTANCE_BUCKETS_KM.len())
}

fn day_number(d: Date) -> u64 {
    let days = d
        .since(Date::constant(2000, 1, 1))
        .map(|s| s.get_days())
        .unwrap_or(0);
    u64::try_from(i64::from(days)).unwrap_or(0)
}

/// A hash of (RPPS, day): stable within a day, reshuffled the next, the same on every server.
pub fn rotation_key(rpps: u64, day: u64) -> u64 {
    // splitmix64 finaliser over a mix of both.
    let mut z = rpps ^ day.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The fair order key of a psychologist at `km` on `today` (exposed for tests).
pub fn order_key(km: f64, rpps: Rpps, today: Date) -> (usize, u64, u64) {
    (
        bucket(km),
        rotation_key(rpps.value(), day_number(today)),
        rpps.value(),
    )
}
