//! The directory's JSON API: search, cards (read and write), communes, languages, radii.

use crate::AppState;
use crate::directory::answers::{card_json, search_body};
use crate::directory::index::Entry;
use crate::directory::json::*;
use crate::directory::params::{Params, SEARCH_PARAMS};
use crate::directory::search;
use crate::error::{AppError, Problem, ProblemJson};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use msp_domain::{Date, Rpps};
use msp_geo::communes;
use msp_store::directory::{Contact, DirectoryCard, PracticeAddress, Public};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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
