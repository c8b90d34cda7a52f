//! The directory's representations in JSON (search answers, cards, places, availability), with
//! the fragments of search answers kept ready in the index, shared by the API, the pages and the
//! FHIR resources.

use crate::error::Problem;
use msp_domain::{Date, Rpps};
use msp_geo::{PlaceKind, communes};
use msp_store::directory::{DirectoryCard, ListedCard, PracticeAddress, Public};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceJson {
    /// « Lyon (69) », « code postal 01400 (6 communes) », « près de Lyon (69) ».
    pub libelle: String,
    /// `commune`, `code_postal` or `coordonnees`.
    pub type_lieu: String,
    pub insee: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    pub departement: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddressJson {
    pub ligne: String,
    pub code_postal: String,
    /// Commune (or arrondissement) name.
    pub commune: String,
    pub insee: String,
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CodeLabel {
    pub code: String,
    pub libelle: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityJson {
    /// `oui`, `non` or `inconnue` (never said, or not confirmed for 30 days).
    pub etat: String,
    /// Last confirmation, ISO date.
    pub confirmee_le: Option<String>,
    /// Indicative delay for a first appointment (`semaine`, `mois`, `plus_mois`), only while
    /// `etat` is `oui`.
    pub delai: Option<CodeLabel>,
    pub libelle: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryJson {
    pub rpps: String,
    pub nom: String,
    pub prenom: String,
    /// Distance from the place searched to the nearest practice address, km (one decimal).
    pub distance_km: f64,
    pub adresse_la_plus_proche: AddressJson,
    pub public: CodeLabel,
    pub teleconsultation: bool,
    pub langues: Vec<CodeLabel>,
    pub disponibilite: AvailabilityJson,
    pub structure: Option<String>,
    /// The card page.
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    pub lieu: PlaceJson,
    pub rayon_km: f64,
    /// The radius is the département's default (computed from psychologist density).
    pub rayon_par_defaut: bool,
    pub total: usize,
    pub page: usize,
    pub par_page: usize,
    pub pages: usize,
    pub resultats: Vec<SummaryJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CardJson {
    pub rpps: String,
    pub nom: String,
    pub prenom: String,
    pub adresses: Vec<AddressJson>,
    /// Shown only when the psychologist chose to.
    pub telephone: Option<String>,
    pub email: Option<String>,
    pub site_web: Option<String>,
    /// Centre de santé or maison de santé.
    pub structure: Option<String>,
    /// Languages spoken besides French.
    pub langues: Vec<CodeLabel>,
    pub public: CodeLabel,
    pub teleconsultation: bool,
    pub disponibilite: AvailabilityJson,
    /// Last change of the card, ISO date (Paris).
    pub mise_a_jour_le: Option<String>,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommuneJson {
    pub insee: String,
    pub nom: String,
    /// « Lyon (69) »: a value `q` accepts without ambiguity.
    pub libelle: String,
    pub departement: String,
    pub codes_postaux: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RadiusJson {
    pub departement: String,
    pub nom: Option<String>,
    pub rayon_km: f64,
}

pub fn address_json(a: &PracticeAddress) -> AddressJson {
    AddressJson {
        ligne: a.line.clone(),
        code_postal: a.postal_code.clone(),
        commune: commune_name(&a.commune_insee),
        insee: a.commune_insee.clone(),
        latitude: a.latitude,
        longitude: a.longitude,
    }
}

/// Name of a commune or arrondissement by INSEE code (the code itself if unknown).
pub fn commune_name(insee: &str) -> String {
    communes()
        .by_insee(insee)
        .map_or_else(|| insee.to_owned(), |c| c.name.clone())
}

pub fn languages_json(codes: &[String]) -> Vec<CodeLabel> {
    codes
        .iter()
        .map(|c| CodeLabel {
            code: c.clone(),
            libelle: crate::directory::languages::name_fr(c)
                .unwrap_or(c)
                .to_owned(),
        })
        .collect()
}

pub fn availability_json(card: &DirectoryCard, today: Date) -> AvailabilityJson {
    availability_json_in(card, card.availability_on(today))
}

/// [`availability_json`] for the availability `state` the public sees (see
/// `DirectoryCard::availability_on`).
fn availability_json_in(card: &DirectoryCard, state: Option<bool>) -> AvailabilityJson {
    AvailabilityJson {
        etat: match state {
            Some(true) => "oui",
            Some(false) => "non",
            None => "inconnue",
        }
        .to_owned(),
        confirmee_le: card.availability_confirmed_on.map(|d| d.to_string()),
        delai: card
            .first_appointment_delay
            .filter(|_| state == Some(true))
            .map(|d| CodeLabel {
                code: d.code().to_owned(),
                libelle: d.label_fr().to_owned(),
            }),
        libelle: availability_label_in(card, state),
    }
}

/// « Accepte de nouveaux patients (confirmé le 3 novembre 2026) », ...
pub fn availability_label(card: &DirectoryCard, today: Date) -> String {
    availability_label_in(card, card.availability_on(today))
}

fn availability_label_in(card: &DirectoryCard, state: Option<bool>) -> String {
    let when = card
        .availability_confirmed_on
        .map(|d| format!(" (confirmé le {})", crate::views::date_long_fr(d)))
        .unwrap_or_default();
    match state {
        Some(true) => match card.first_appointment_delay {
            Some(d) => format!(
                "Accepte de nouveaux patients, premier rendez-vous {}{when}",
                d.in_sentence_fr()
            ),
            None => format!("Accepte de nouveaux patients{when}"),
        },
        Some(false) => format!("N’accepte pas de nouveaux patients pour le moment{when}"),
        None if card.availability_confirmed_on.is_some() => {
            format!("Disponibilité inconnue : non confirmée depuis plus de 30 jours{when}")
        }
        None => "Disponibilité non renseignée".to_owned(),
    }
}

pub fn public_json(p: Public) -> CodeLabel {
    CodeLabel {
        code: p.code().to_owned(),
        libelle: p.label_fr().to_owned(),
    }
}

pub fn place_json(p: &msp_geo::Place) -> PlaceJson {
    PlaceJson {
        libelle: p.label.clone(),
        type_lieu: match p.kind {
            PlaceKind::Commune => "commune",
            PlaceKind::PostalCode => "code_postal",
            PlaceKind::Coordinates => "coordonnees",
        }
        .to_owned(),
        insee: p.insee.clone(),
        latitude: p.latitude,
        longitude: p.longitude,
        departement: p.departement.clone(),
    }
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A card's search result as JSON ([`SummaryJson`]), pre-rendered once when the card enters the
/// index so that an answer is assembled by copying bytes: everything but the distance, which
/// depends on the place searched, and with the availability rendered for its two possible
/// states (as confirmed, or unknown once the confirmation is too old).
///
/// One buffer: `{"rpps":…,"nom":…,"prenom":…,"distance_km":` | `,"adresse_la_plus_proche":…`
/// for each address | `,"public":…,"langues":…,"disponibilite":` | availability as confirmed |
/// availability unknown | `,"structure":…,"url":…}`.
#[derive(Debug, Clone)]
pub struct SummaryFragments {
    text: Box<str>,
    /// Ends of the parts above (the second address is empty for a card with one).
    ends: [u32; 7],
}

impl SummaryFragments {
    const HEAD: usize = 0;
    const ADDRESS: usize = 1;
    const MIDDLE: usize = 3;
    const FRESH: usize = 4;
    const STALE: usize = 5;
    const TAIL: usize = 6;

    /// Renders a card's fragments (what [`summary_json`] would serialize, minus the distance).
    pub fn render(listed: &ListedCard) -> SummaryFragments {
        fn put<T: Serialize + ?Sized>(buf: &mut Vec<u8>, v: &T) {
            // Writing plain data into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *buf, v);
        }
        let c = &listed.card;
        let mut buf: Vec<u8> = Vec::with_capacity(640);
        let mut ends = [0u32; 7];
        let mut cut = |buf: &Vec<u8>, k: usize| {
            ends[k] = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        };
        buf.extend_from_slice(b"{\"rpps\":");
        put(&mut buf, &c.rpps.to_string());
        buf.extend_from_slice(b",\"nom\":");
        put(&mut buf, &listed.last_name);
        buf.extend_from_slice(b",\"prenom\":");
        put(&mut buf, &listed.first_name);
        buf.extend_from_slice(b",\"distance_km\":");
        cut(&buf, Self::HEAD);
        for k in 0..2 {
            if let Some(a) = c.addresses.get(k) {
                buf.extend_from_slice(b",\"adresse_la_plus_proche\":");
                put(&mut buf, &address_json(a));
            }
            cut(&buf, Self::ADDRESS + k);
        }
        buf.extend_from_slice(b",\"public\":");
        put(&mut buf, &public_json(c.public));
        buf.extend_from_slice(b",\"teleconsultation\":");
        put(&mut buf, &c.teleconsultation);
        buf.extend_from_slice(b",\"langues\":");
        put(&mut buf, &languages_json(&c.languages));
        buf.extend_from_slice(b",\"disponibilite\":");
        cut(&buf, Self::MIDDLE);
        put(&mut buf, &availability_json_in(c, c.accepting_new_patients));
        cut(&buf, Self::FRESH);
        put(&mut buf, &availability_json_in(c, None));
        cut(&buf, Self::STALE);
        buf.extend_from_slice(b",\"structure\":");
        put(&mut buf, &c.structure_name);
        buf.extend_from_slice(b",\"url\":");
        put(&mut buf, &format!("/psychologues/{}", c.rpps));
        buf.push(b'}');
        cut(&buf, Self::TAIL);
        SummaryFragments {
            text: String::from_utf8(buf).unwrap_or_default().into_boxed_str(),
            ends,
        }
    }

    fn part(&self, k: usize) -> &[u8] {
        let start = if k == 0 { 0 } else { self.ends[k - 1] as usize };
        &self.text.as_bytes()[start..self.ends[k] as usize]
    }

    /// Appends the card's [`SummaryJson`] for a hit at `distance_km` whose nearest address is
    /// `address`, on `today`.
    pub fn write(
        &self,
        buf: &mut Vec<u8>,
        card: &DirectoryCard,
        distance_km: f64,
        address: usize,
        today: Date,
    ) {
        buf.extend_from_slice(self.part(Self::HEAD));
        let _ = serde_json::to_writer(&mut *buf, &round1(distance_km));
        buf.extend_from_slice(self.part(Self::ADDRESS + address.min(1)));
        buf.extend_from_slice(self.part(Self::MIDDLE));
        // `availability_on` is either the state as confirmed or unknown (stale or never said).
        let fresh = card.availability_on(today) == card.accepting_new_patients;
        buf.extend_from_slice(self.part(if fresh { Self::FRESH } else { Self::STALE }));
        buf.extend_from_slice(self.part(Self::TAIL));
    }

    /// Bytes held (for sizing answers).
    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

pub fn parse_rpps(text: &str) -> Result<Rpps, Problem> {
    Rpps::parse(text).map_err(|e| {
        Problem::bad_request(
            "rpps_invalide",
            format!("Numéro RPPS « {text} » invalide : {e}."),
        )
    })
}

pub fn unlisted(rpps: Rpps) -> Problem {
    Problem::not_found(
        "psychologue_inconnu",
        format!("Aucun psychologue conventionné de l’annuaire n’a le numéro RPPS {rpps}."),
    )
}
