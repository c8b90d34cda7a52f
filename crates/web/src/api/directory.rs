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
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{MaybeUser, json_value, require_json};
use crate::services::audit::Via;
use crate::services::cards::{self, Editor};
pub use crate::services::cards::{AddressInput, AvailabilityInput, CardInput, ContactInput};

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

/// Who changes a card through the API: the operators' bearer token when one is configured and
/// given, otherwise the signed-in psychologist (own card) or CPAM agent (territory).
async fn api_editor(
    state: &AppState,
    user: Option<&crate::extract::CurrentUser>,
    headers: &HeaderMap,
    rpps: Rpps,
) -> Result<Editor, AppError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(given) = given {
        return match state.options().edit_token.as_deref() {
            Some(t) if crate::security::constant_time_eq(t, given) => Ok(Editor::Token),
            _ => Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                "jeton_invalide",
                "Jeton d’accès invalide (en-tête Authorization: Bearer …) : connectez-vous plutôt avec votre compte.",
            )
            .into()),
        };
    }
    let user = user.ok_or(AppError::Unauthenticated(crate::error::SignedOut::Missing))?;
    cards::editor(state, user, rpps).await
}

/// Create or replace a psychologist's card: the psychologist (own card, signed in), a CPAM
/// agent of its territory (audited), or the operators' bearer token.
#[utoipa::path(
    put,
    path = "/api/psychologues/{rpps}",
    tag = "fiches",
    params(("rpps" = String, Path, description = "Numéro RPPS (11 chiffres)")),
    request_body = CardInput,
    security(("session" = []), ("jeton" = [])),
    responses(
        (status = 200, description = "Fiche enregistrée ; elle apparaît dans l’annuaire si le psychologue est conventionné ce jour", body = CardJson),
        (status = 401, description = "Non connecté, ou jeton faux", body = ProblemJson),
        (status = 403, description = "Fiche d’un autre psychologue, hors du territoire de l’agent, ou rôle sans droit", body = ProblemJson),
        (status = 415, description = "Corps autre que JSON", body = ProblemJson),
        (status = 422, description = "Fiche invalide (chaque champ en faute nommé) ou RPPS absent du répertoire des psychologues", body = ProblemJson),
    )
)]
pub async fn put_card_api(
    State(state): State<AppState>,
    Path(rpps): Path<String>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CardJson>, AppError> {
    let rpps = parse_rpps(&rpps)?;
    let editor = api_editor(&state, user.as_ref(), &headers, rpps).await?;
    require_json(&headers)?;
    let input: CardInput = json_value(&body)?;
    let stored = cards::save_card(&state, &editor, rpps, &input, Via::Api).await?;
    let entry = Entry::from_listed(stored);
    Ok(Json(card_json(&entry, state.today())))
}

/// Confirm the availability in one click: takes new patients or not, with an indicative delay
/// for a first appointment; confirmed as of today (shown for 30 days).
#[utoipa::path(
    post,
    path = "/api/psychologues/{rpps}/disponibilite",
    tag = "fiches",
    params(("rpps" = String, Path, description = "Numéro RPPS (11 chiffres)")),
    request_body = AvailabilityInput,
    security(("session" = []), ("jeton" = [])),
    responses(
        (status = 200, description = "Disponibilité confirmée ce jour ; la fiche telle que le public la voit", body = CardJson),
        (status = 401, description = "Non connecté, ou jeton faux", body = ProblemJson),
        (status = 403, description = "Fiche d’un autre psychologue, ou hors du territoire de l’agent", body = ProblemJson),
        (status = 404, description = "Pas encore de fiche", body = ProblemJson),
        (status = 415, description = "Corps autre que JSON", body = ProblemJson),
        (status = 422, description = "Délai inconnu, ou délai sans « oui »", body = ProblemJson),
    )
)]
pub async fn availability_api(
    State(state): State<AppState>,
    Path(rpps): Path<String>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CardJson>, AppError> {
    let rpps = parse_rpps(&rpps)?;
    let editor = api_editor(&state, user.as_ref(), &headers, rpps).await?;
    require_json(&headers)?;
    let input: AvailabilityInput = json_value(&body)?;
    cards::confirm_availability(&state, &editor, rpps, &input, Via::Api).await?;
    let stored = cards::stored_card(&state, rpps)
        .await?
        .ok_or_else(|| AppError::internal("card vanished after its availability"))?;
    Ok(Json(card_json(&Entry::from_listed(stored), state.today())))
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
        .routes(routes!(availability_api))
        .routes(routes!(communes_api))
        .routes(routes!(languages_api))
        .routes(routes!(radii_api))
}
