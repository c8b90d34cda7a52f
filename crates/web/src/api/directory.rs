//! The JSON API under `/api`, documented by the OpenAPI document at `/api/openapi.json`.
//!
//! Routes are declared once in [`routes`]; a test checks that they and the OpenAPI paths are
//! the same set.

use crate::AppState;
use crate::directory::index::{Entry, Hit, SearchResult};
use crate::directory::params::{Params, SEARCH_PARAMS};
use crate::directory::search;
use crate::error::{AppError, Problem, ProblemJson};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use msp_domain::{Date, Rpps};
use msp_geo::{PlaceKind, communes};
use msp_store::directory::{Contact, DirectoryCard, ListedCard, PracticeAddress, Public};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub ligne: String,
    pub code_postal: String,
    /// INSEE code of the commune (or arrondissement); coordinates come from it.
    pub insee: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub valeur: String,
    /// Show it on the public card.
    pub public: bool,
}

/// A card as the psychologist writes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardInput {
    /// One or two practice addresses, the main one first.
    pub adresses: Vec<AddressInput>,
    pub telephone: Option<ContactInput>,
    pub email: Option<ContactInput>,
    pub site_web: Option<ContactInput>,
    pub structure: Option<String>,
    /// Language codes (see `/api/langues`).
    #[serde(default)]
    pub langues: Vec<String>,
    /// `adultes`, `adultes_adolescents`, `adultes_adolescents_enfants` or `enfants`.
    pub public: String,
    pub teleconsultation: bool,
    /// Takes new patients; saving confirms the availability as of today.
    pub accepte_nouveaux_patients: Option<bool>,
}

/// Parameters of a directory search. Give one place: `q`, `insee`, `code_postal`, or `lat`
/// and `lon`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SearchParamsDoc {
    /// Commune name (accents and case ignored, « Lyon (69) » to pick a département), postal
    /// code (69003, 75015) or INSEE code.
    q: Option<String>,
    /// INSEE code of a commune or arrondissement.
    insee: Option<String>,
    /// Postal code.
    code_postal: Option<String>,
    /// Latitude (WGS84) for « autour de moi ».
    lat: Option<f64>,
    /// Longitude (WGS84).
    lon: Option<f64>,
    /// Radius in km, 0.5 to 200; default: the département's (see `/api/rayons`).
    rayon: Option<f64>,
    /// `1`: sees children.
    enfants: Option<String>,
    /// `1`: offers teleconsultation.
    teleconsultation: Option<String>,
    /// Language code (see `/api/langues`) or French name.
    langue: Option<String>,
    /// `1`: confirmed within 30 days as taking new patients.
    disponible: Option<String>,
    /// Words of the psychologist's name (prefixes, accents and case ignored).
    nom: Option<String>,
    /// Page, from 1.
    page: Option<usize>,
    /// Results per page, 1 to 100 (default 20).
    par_page: Option<usize>,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CompletionParamsDoc {
    /// The beginning of a commune name.
    q: String,
    /// Number of proposals, 1 to 20 (default 8).
    limite: Option<usize>,
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
        .map(|d| format!(" (confirmé le {})", search::format_date_fr(d)))
        .unwrap_or_default();
    match state {
        Some(true) => format!("Accepte de nouveaux patients{when}"),
        Some(false) => format!("N’accepte pas de nouveaux patients pour le moment{when}"),
        None if card.availability_confirmed_on.is_some() => {
            format!("Disponibilité inconnue : non confirmée depuis plus de 30 jours{when}")
        }
        None => "Disponibilité non renseignée".to_owned(),
    }
}

fn public_json(p: Public) -> CodeLabel {
    CodeLabel {
        code: p.code().to_owned(),
        libelle: p.label_fr().to_owned(),
    }
}

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
        url: format!("/psychologues/{}", c.rpps),
    }
}

fn place_json(p: &msp_geo::Place) -> PlaceJson {
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

fn round1(x: f64) -> f64 {
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

/// Search the directory around a place.
#[utoipa::path(
    get,
    path = "/api/psychologues",
    tag = "annuaire",
    params(SearchParamsDoc),
    responses(
        (status = 200, description = "Psychologues listés dans le rayon, ordre équitable (tranche de distance puis rotation quotidienne)", body = SearchResponse),
        (status = 400, description = "Paramètre invalide (rayon, filtre, coordonnées, lieu ambigu, paramètre inconnu)", body = ProblemJson),
        (status = 404, description = "Lieu inconnu, ou page au-delà de la dernière", body = ProblemJson),
    )
)]
pub async fn search_api(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let today = state.today();
    let key = raw.as_deref().unwrap_or("");
    if let Some(body) = state.cached_response(key, today) {
        return Ok(json_bytes(body));
    }
    let generation = state.generation();
    let body = Bytes::from(search_answer(&state, raw.as_deref(), today)?);
    state.cache_response(key, today, generation, body.clone());
    Ok(json_bytes(body))
}

fn json_bytes(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn search_answer(state: &AppState, raw: Option<&str>, today: Date) -> Result<Vec<u8>, Problem> {
    let p = Params::parse(raw)?;
    p.only(SEARCH_PARAMS)?;
    let outcome = search::run(state, &p)?.ok_or_else(|| {
        Problem::bad_request(
            "lieu_absent",
            "Indiquez un lieu : q (commune, code postal ou code INSEE), insee, code_postal, ou lat et lon.",
        )
    })?;
    Ok(search_body(&outcome.place, &outcome.result, today))
}

pub fn parse_rpps(text: &str) -> Result<Rpps, Problem> {
    Rpps::parse(text).map_err(|e| {
        Problem::bad_request(
            "rpps_invalide",
            format!("Numéro RPPS « {text} » invalide : {e}."),
        )
    })
}

fn unlisted(rpps: Rpps) -> Problem {
    Problem::not_found(
        "psychologue_inconnu",
        format!("Aucun psychologue conventionné de l’annuaire n’a le numéro RPPS {rpps}."),
    )
}

/// A listed psychologist's public card.
#[utoipa::path(
    get,
    path = "/api/psychologues/{rpps}",
    tag = "annuaire",
    params(("rpps" = String, Path, description = "Numéro RPPS (11 chiffres)")),
    responses(
        (status = 200, description = "Fiche publique", body = CardJson),
        (status = 400, description = "RPPS mal formé", body = ProblemJson),
        (status = 404, description = "Psychologue absent de l’annuaire (inconnu, non conventionné, suspendu ou exclu)", body = ProblemJson),
    )
)]
pub async fn card_api(
    State(state): State<AppState>,
    Path(rpps): Path<String>,
) -> Result<Json<CardJson>, AppError> {
    let rpps = parse_rpps(&rpps)?;
    let today = state.today();
    let index = state.index();
    let e = index
        .get(rpps)
        .filter(|e| e.listed.is_listed_on(today))
        .ok_or_else(|| unlisted(rpps))?;
    Ok(Json(card_json(e, today)))
}

fn contact(
    input: Option<ContactInput>,
    field: &str,
    check: impl Fn(&str) -> bool,
) -> Result<Contact, Problem> {
    match input {
        None => Ok(Contact::default()),
        Some(c) => {
            let v = c.valeur.trim();
            if v.is_empty() || v.len() > 200 || !check(v) {
                return Err(Problem::bad_request(
                    "fiche_invalide",
                    format!("Valeur invalide pour {field} : « {v} »."),
                ));
            }
            Ok(Contact {
                value: Some(v.to_owned()),
                public: c.public,
            })
        }
    }
}

/// Checks a card as written and geocodes its addresses from the communes reference.
pub fn card_from_input(
    rpps: Rpps,
    input: CardInput,
    today: Date,
) -> Result<DirectoryCard, Problem> {
    let bad = |m: String| Problem::bad_request("fiche_invalide", m);
    if input.adresses.is_empty() || input.adresses.len() > 2 {
        return Err(bad("Indiquez une ou deux adresses d’exercice.".into()));
    }
    let geo = communes();
    let mut addresses = Vec::new();
    for (i, a) in input.adresses.into_iter().enumerate() {
        let n = i + 1;
        let c = geo.by_insee(a.insee.trim()).ok_or_else(|| {
            bad(format!(
                "Adresse {n} : aucune commune n’a le code INSEE « {} ».",
                a.insee
            ))
        })?;
        let parent = c.parent.as_deref().and_then(|p| geo.by_insee(p));
        let cp = a.code_postal.trim();
        if !c
            .postal_codes
            .iter()
            .chain(parent.iter().flat_map(|p| p.postal_codes.iter()))
            .any(|p| p == cp)
        {
            return Err(bad(format!(
                "Adresse {n} : le code postal « {cp} » n’est pas celui de {} ({}).",
                c.name,
                c.postal_codes.join(", ")
            )));
        }
        let line = a.ligne.trim();
        if line.is_empty() || line.len() > 200 {
            return Err(bad(format!(
                "Adresse {n} : la ligne d’adresse est vide ou trop longue."
            )));
        }
        addresses.push(PracticeAddress {
            line: line.to_owned(),
            postal_code: cp.to_owned(),
            commune_insee: c.insee.clone(),
            latitude: c.latitude,
            longitude: c.longitude,
        });
    }
    let public = Public::parse(&input.public).ok_or_else(|| {
        bad(format!(
            "Public inconnu « {} » : adultes, adultes_adolescents, adultes_adolescents_enfants ou enfants.",
            input.public
        ))
    })?;
    let mut languages = Vec::new();
    for l in &input.langues {
        let code = crate::directory::languages::parse(l).ok_or_else(|| {
            bad(format!(
                "Langue inconnue « {l} ». Codes acceptés : {}.",
                crate::directory::languages::codes_list()
            ))
        })?;
        if !languages.iter().any(|c| c == code) {
            languages.push(code.to_owned());
        }
    }
    let structure = input
        .structure
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if structure.as_ref().is_some_and(|s| s.len() > 200) {
        return Err(bad("Le nom de la structure est trop long.".into()));
    }
    Ok(DirectoryCard {
        rpps,
        addresses,
        phone: contact(input.telephone, "le téléphone", |v| {
            v.chars()
                .all(|c| c.is_ascii_digit() || " +.()-".contains(c))
                && v.chars().filter(char::is_ascii_digit).count() >= 8
        })?,
        email: contact(input.email, "l’adresse électronique", |v| {
            v.split_once('@')
                .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'))
        })?,
        website: contact(input.site_web, "le site web", |v| {
            v.starts_with("https://") || v.starts_with("http://")
        })?,
        structure_name: structure,
        languages,
        public,
        teleconsultation: input.teleconsultation,
        accepting_new_patients: input.accepte_nouveaux_patients,
        availability_confirmed_on: input.accepte_nouveaux_patients.map(|_| today),
    })
}

/// Create or replace a psychologist's card (needs the edit token).
#[utoipa::path(
    put,
    path = "/api/psychologues/{rpps}",
    tag = "fiches",
    params(("rpps" = String, Path, description = "Numéro RPPS (11 chiffres)")),
    request_body = CardInput,
    security(("jeton" = [])),
    responses(
        (status = 200, description = "Fiche enregistrée ; elle apparaît dans l’annuaire si le psychologue est conventionné ce jour", body = CardJson),
        (status = 400, description = "Fiche invalide", body = ProblemJson),
        (status = 401, description = "Jeton absent ou faux", body = ProblemJson),
        (status = 403, description = "Modification des fiches désactivée sur ce serveur", body = ProblemJson),
        (status = 422, description = "RPPS absent du répertoire des psychologues", body = ProblemJson),
    )
)]
pub async fn put_card_api(
    State(state): State<AppState>,
    Path(rpps): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CardJson>, AppError> {
    let Some(token) = state.options().edit_token.clone() else {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "modification_desactivee",
            "La modification des fiches n’est pas ouverte sur ce serveur (elle le sera avec les comptes des psychologues).",
        )
        .into());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given != Some(token.as_str()) {
        return Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "jeton_invalide",
            "Jeton d’accès absent ou invalide (en-tête Authorization: Bearer …).",
        )
        .into());
    }
    let rpps = parse_rpps(&rpps)?;
    let input: CardInput = serde_json::from_slice(&body).map_err(|e| {
        Problem::bad_request("fiche_invalide", format!("Corps JSON illisible : {e}."))
    })?;
    let today = state.today();
    let card = card_from_input(rpps, input, today)?;
    let s = state.clone();
    let stored = tokio::task::spawn_blocking(move || s.upsert_card(&card))
        .await
        .map_err(|e| Problem::internal(&e))??;
    let entry = Entry::from_listed(stored);
    Ok(Json(card_json(&entry, today)))
}

/// Communes for a beginning of name (completion), most populated first.
#[utoipa::path(
    get,
    path = "/api/communes",
    tag = "lieux",
    params(CompletionParamsDoc),
    responses(
        (status = 200, description = "Communes proposées", body = [CommuneJson]),
        (status = 400, description = "Paramètre invalide", body = ProblemJson),
    )
)]
pub async fn communes_api(RawQuery(raw): RawQuery) -> Result<Json<Vec<CommuneJson>>, AppError> {
    let p = Params::parse(raw.as_deref())?;
    p.only(&["q", "limite"])?;
    let limit = match p.non_empty("limite") {
        None => 8,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=20).contains(n))
            .ok_or_else(|| {
                Problem::bad_request(
                    "nombre_invalide",
                    format!("limite doit être un entier entre 1 et 20 (reçu « {v} »)."),
                )
            })?,
    };
    let q = p.get("q").unwrap_or("");
    Ok(Json(
        communes()
            .complete(q, limit)
            .into_iter()
            .map(|c| CommuneJson {
                insee: c.insee.clone(),
                nom: c.name.clone(),
                libelle: c.label(),
                departement: c.departement.clone(),
                codes_postaux: c.postal_codes.clone(),
            })
            .collect(),
    ))
}

/// Languages that can be filtered on.
#[utoipa::path(
    get,
    path = "/api/langues",
    tag = "lieux",
    responses((status = 200, description = "Codes et noms des langues", body = [CodeLabel]))
)]
pub async fn languages_api() -> Json<Vec<CodeLabel>> {
    Json(
        crate::directory::languages::LANGUAGES
            .iter()
            .map(|(c, n)| CodeLabel {
                code: (*c).to_owned(),
                libelle: (*n).to_owned(),
            })
            .collect(),
    )
}

/// Default search radius of each département (computed at start-up from psychologist density).
#[utoipa::path(
    get,
    path = "/api/rayons",
    tag = "lieux",
    responses((status = 200, description = "Rayon par défaut de chaque département", body = [RadiusJson]))
)]
pub async fn radii_api(State(state): State<AppState>) -> Json<Vec<RadiusJson>> {
    let mut out: Vec<RadiusJson> = state
        .index()
        .default_radii()
        .iter()
        .map(|(d, r)| RadiusJson {
            departement: d.clone(),
            nom: communes().departement_name(d).map(str::to_owned),
            rayon_km: *r,
        })
        .collect();
    out.sort_by(|a, b| a.departement.cmp(&b.departement));
    Json(out)
}

/// The directory's endpoints, each documented by its `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_api))
        .routes(routes!(card_api, put_card_api))
        .routes(routes!(communes_api))
        .routes(routes!(languages_api))
        .routes(routes!(radii_api))
}
