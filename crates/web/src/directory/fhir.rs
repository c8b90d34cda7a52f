//! Read-only FHIR R4 directory at `/fhir`: `metadata`, and search and read of `Practitioner`,
//! `PractitionerRole` and `Location`, answering `Bundle` searchsets in `application/fhir+json`.
//! Only psychologists listed on the day appear. Unsupported or bad parameters get a 400
//! `OperationOutcome` in French.
//!
//! Resource ids: `Practitioner/{rpps}`, `PractitionerRole/role-{rpps}`,
//! `Location/loc-{rpps}-{1|2}`.

use crate::AppState;
use crate::directory::index::{Entry, MAX_PER_PAGE, name_matches};
use crate::directory::json::commune_name;
use crate::directory::last_updated::LastUpdated;
use crate::directory::params::{Params, parse_number};
use crate::error::Problem;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use msp_domain::{Date, Rpps};
use msp_geo::{communes, distance_km, normalize};
use serde_json::{Value, json};
use std::sync::Arc;

pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";
pub const RPPS_SYSTEM: &str = "https://rpps.esante.gouv.fr";
pub const IDNAT_PS_SYSTEM: &str = "urn:oid:1.2.250.1.71.4.2.1";
pub const PROFESSION_SYSTEM: &str =
    "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante";
const DISTANCE_EXTENSION: &str = "http://hl7.org/fhir/StructureDefinition/location-distance";
const DEFAULT_COUNT: usize = 20;

/// A problem as an `OperationOutcome`.
#[derive(Debug)]
pub struct FhirError(pub Problem);

impl From<Problem> for FhirError {
    fn from(p: Problem) -> Self {
        FhirError(p)
    }
}

impl IntoResponse for FhirError {
    fn into_response(self) -> Response {
        let p = self.0;
        let code = match p.status {
            StatusCode::NOT_FOUND => "not-found",
            StatusCode::INTERNAL_SERVER_ERROR => "exception",
            _ if p.code == "parametre_non_pris_en_charge" => "not-supported",
            _ => "invalid",
        };
        fhir_response(
            p.status,
            &json!({
                "resourceType": "OperationOutcome",
                "issue": [{
                    "severity": "error",
                    "code": code,
                    "details": { "text": p.message },
                    "diagnostics": format!("{} : {}", p.code, p.message),
                }]
            }),
        )
    }
}

fn fhir_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, FHIR_JSON)],
        serde_json::to_string(body).unwrap_or_default(),
    )
        .into_response()
}

fn unsupported(param: &str, supported: &[&str]) -> Problem {
    Problem::bad_request(
        "parametre_non_pris_en_charge",
        format!(
            "Paramètre de recherche non pris en charge : « {param} ». Paramètres pris en charge : {}.",
            supported.join(", ")
        ),
    )
}

/// The page asked for, and the `_lastUpdated` filters (all must hold).
struct Paging {
    count: usize,
    offset: usize,
    since: Vec<LastUpdated>,
}

impl Paging {
    fn keeps(&self, e: &Entry) -> bool {
        self.since.iter().all(|f| f.matches(e.listed.updated_at))
    }
}

/// Checks the parameters against `supported` (plus `_count`, `_offset`, `_format` and
/// `_lastUpdated`).
fn check_params(p: &Params, supported: &[&str]) -> Result<Paging, Problem> {
    let mut all: Vec<&str> = supported.to_vec();
    all.extend(["_count", "_offset", "_format", "_lastUpdated"]);
    for (k, v) in &p.0 {
        if !all.contains(&k.as_str()) {
            return Err(unsupported(k, &all));
        }
        if k == "_format"
            && !matches!(
                v.as_str(),
                "json" | "application/fhir+json" | "application/json"
            )
        {
            return Err(Problem::bad_request(
                "parametre_non_pris_en_charge",
                format!(
                    "Format « {v} » non pris en charge : seul JSON (application/fhir+json) l’est."
                ),
            ));
        }
    }
    let count = match p.non_empty("_count") {
        None => DEFAULT_COUNT,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= MAX_PER_PAGE)
            .ok_or_else(|| {
                Problem::bad_request(
                    "parametre_invalide",
                    format!("_count doit être un entier entre 0 et {MAX_PER_PAGE} (reçu « {v} »)."),
                )
            })?,
    };
    let offset = match p.non_empty("_offset") {
        None => 0,
        Some(v) => v.parse::<usize>().map_err(|_| {
            Problem::bad_request(
                "parametre_invalide",
                format!("_offset doit être un entier positif ou nul (reçu « {v} »)."),
            )
        })?,
    };
    let since =
        p.0.iter()
            .filter(|(k, _)| k == "_lastUpdated")
            .map(|(_, v)| LastUpdated::parse(v.trim()))
            .collect::<Result<_, _>>()?;
    Ok(Paging {
        count,
        offset,
        since,
    })
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}/fhir")
}

/// `meta.lastUpdated`: when the card was last written (RFC 3339, UTC).
fn meta(l: &msp_store::directory::ListedCard) -> Value {
    match l.updated_at {
        Some(t) => json!({ "lastUpdated": t.to_string() }),
        None => json!({}),
    }
}

fn profession() -> Value {
    json!({ "coding": [{ "system": PROFESSION_SYSTEM, "code": "93", "display": "Psychologue" }] })
}

pub fn practitioner(e: &Entry) -> Value {
    let l = &e.listed;
    let rpps = l.card.rpps;
    let mut communication = vec![json!({
        "coding": [{ "system": "urn:ietf:bcp:47", "code": "fr", "display": "français" }]
    })];
    communication.extend(l.card.languages.iter().map(|code| {
        json!({ "coding": [{ "system": "urn:ietf:bcp:47", "code": code,
            "display": crate::directory::languages::name_fr(code).unwrap_or(code) }] })
    }));
    json!({
        "resourceType": "Practitioner",
        "meta": meta(l),
        "id": rpps.to_string(),
        "identifier": [
            { "use": "official", "system": RPPS_SYSTEM, "value": rpps.to_string() },
            {
                "use": "official",
                "type": { "coding": [{ "system": "http://interopsante.org/fhir/CodeSystem/fr-v2-0203", "code": "IDNPS" }] },
                "system": IDNAT_PS_SYSTEM,
                "value": rpps.idnat_ps(),
            }
        ],
        "active": true,
        "name": [{
            "use": "usual",
            "text": format!("{} {}", l.first_name, l.last_name),
            "family": l.last_name,
            "given": [l.first_name],
        }],
        "qualification": [{ "code": profession() }],
        "communication": communication,
    })
}

fn location_id(rpps: Rpps, n: usize) -> String {
    format!("loc-{rpps}-{}", n + 1)
}

pub fn location(e: &Entry, n: usize) -> Value {
    let l = &e.listed;
    let a = &l.card.addresses[n];
    let city = commune_name(&a.commune_insee);
    let c = communes().by_insee(&a.commune_insee);
    json!({
        "resourceType": "Location",
        "meta": meta(l),
        "id": location_id(l.card.rpps, n),
        "status": "active",
        "name": format!("Cabinet de {} {}{}", l.first_name, l.last_name,
            l.card.structure_name.as_ref().map(|s| format!(" – {s}")).unwrap_or_default()),
        "mode": "instance",
        "address": {
            "use": "work",
            "type": "physical",
            "line": [a.line],
            "city": city,
            "postalCode": a.postal_code,
            "district": c.map(|c| c.departement.clone()),
            "country": "FR",
            "extension": [{
                "url": "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code",
                "valueCoding": { "system": "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM", "code": a.commune_insee }
            }]
        },
        "position": { "latitude": a.latitude, "longitude": a.longitude },
    })
}

/// How `PractitionerRole` tells availability (documented in the CapabilityStatement).
const AVAILABILITY_DOC: &str = "L’exercice Mon soutien psy : contacts publics, public reçu, lieux. \
    La disponibilité est dans availabilityExceptions, en français, comme sur la fiche publique : \
    « Accepte de nouveaux patients[, premier rendez-vous sous une semaine|sous un mois|dans plus d’un mois] \
    (confirmé le 23 novembre 2026) », « N’accepte pas de nouveaux patients pour le moment (confirmé le …) », \
    « Disponibilité inconnue : non confirmée depuis plus de 30 jours (confirmé le …) » ou \
    « Disponibilité non renseignée », suivie de « Téléconsultation : oui|non ». \
    meta.lastUpdated change à chaque confirmation.";

pub fn practitioner_role(e: &Entry, today: Date) -> Value {
    let l = &e.listed;
    let c = &l.card;
    let rpps = c.rpps;
    let mut telecom = Vec::new();
    if let Some(v) = c.phone.public_value() {
        telecom.push(json!({ "system": "phone", "value": v, "use": "work" }));
    }
    if let Some(v) = c.email.public_value() {
        telecom.push(json!({ "system": "email", "value": v, "use": "work" }));
    }
    if let Some(v) = c.website.public_value() {
        telecom.push(json!({ "system": "url", "value": v, "use": "work" }));
    }
    let mut role = json!({
        "resourceType": "PractitionerRole",
        "meta": meta(&e.listed),
        "id": format!("role-{rpps}"),
        "active": true,
        "practitioner": { "reference": format!("Practitioner/{rpps}"), "display": format!("{} {}", l.first_name, l.last_name) },
        "code": [profession()],
        "specialty": [{ "text": format!("Public : {}", c.public.label_fr()) }],
        "location": (0..c.addresses.len()).map(|n| json!({ "reference": format!("Location/{}", location_id(rpps, n)) })).collect::<Vec<_>>(),
        "telecom": telecom,
        "availabilityExceptions": format!("{}. Téléconsultation : {}.",
            crate::directory::json::availability_label(c, today),
            if c.teleconsultation { "oui" } else { "non" }),
    });
    if let Some(s) = &c.structure_name {
        role["organization"] = json!({ "display": s });
    }
    role
}

fn bundle(
    base: &str,
    resource: &str,
    query: &str,
    total: usize,
    count: usize,
    offset: usize,
    entries: Vec<(String, Value, Option<f64>)>,
) -> Value {
    let self_url = if query.is_empty() {
        format!("{base}/{resource}")
    } else {
        format!("{base}/{resource}?{query}")
    };
    let page_url = |off: usize| {
        let kept: Vec<(String, String)> = Params::parse(Some(query))
            .unwrap_or_default()
            .0
            .into_iter()
            .filter(|(k, _)| k != "_offset")
            .chain([("_offset".to_owned(), off.to_string())])
            .collect();
        format!(
            "{base}/{resource}?{}",
            serde_urlencoded::to_string(kept).unwrap_or_default()
        )
    };
    let mut links = vec![json!({ "relation": "self", "url": self_url })];
    if count > 0 && offset + count < total {
        links.push(json!({ "relation": "next", "url": page_url(offset + count) }));
    }
    if offset > 0 {
        links.push(
            json!({ "relation": "previous", "url": page_url(offset.saturating_sub(count.max(1))) }),
        );
    }
    json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": entries.into_iter().map(|(id, r, distance)| {
            let mut search = json!({ "mode": "match" });
            if let Some(d) = distance {
                search["extension"] = json!([{
                    "url": DISTANCE_EXTENSION,
                    "valueDistance": { "value": (d * 1000.0).round() / 1000.0, "unit": "km",
                        "system": "http://unitsofmeasure.org", "code": "km" }
                }]);
            }
            json!({ "fullUrl": format!("{base}/{resource}/{id}"), "resource": r, "search": search })
        }).collect::<Vec<_>>(),
    })
}

/// `identifier` = `system|value` or `value`: the RPPS it designates, if any.
fn identifier_rpps(value: &str) -> Option<Rpps> {
    let (system, id) = match value.split_once('|') {
        Some((s, v)) => (Some(s), v),
        None => (None, value),
    };
    match system {
        None | Some("") => Rpps::parse(id)
            .ok()
            .or_else(|| id.strip_prefix('8').and_then(|r| Rpps::parse(r).ok())),
        Some(RPPS_SYSTEM) => Rpps::parse(id).ok(),
        Some(IDNAT_PS_SYSTEM) => id.strip_prefix('8').and_then(|r| Rpps::parse(r).ok()),
        Some(_) => None,
    }
}

fn listed(state: &AppState, today: Date) -> Vec<Arc<Entry>> {
    state.index().listed(today)
}

async fn metadata(headers: HeaderMap, State(state): State<AppState>) -> Response {
    let base = base_url(&headers);
    let search = |params: &[(&str, &str, &str)]| {
        params
            .iter()
            .map(|(n, t, d)| json!({ "name": n, "type": t, "documentation": d }))
            .collect::<Vec<_>>()
    };
    let common = [
        ("_id", "token", "Identifiant de la ressource"),
        (
            "_count",
            "number",
            "Nombre de résultats par page (0 à 100, 20 par défaut)",
        ),
        ("_offset", "number", "Rang du premier résultat (pagination)"),
        (
            "_lastUpdated",
            "date",
            "Date de dernière mise à jour de la fiche (meta.lastUpdated), préfixes gt, ge, lt, le, eq ; \
             une date seule couvre le jour entier, heure de Paris sans fuseau ; répétable (toutes les conditions s’appliquent). \
             Les fiches retirées de l’annuaire n’apparaissent plus : une synchronisation complète périodique les détecte",
        ),
    ];
    let with_common = |extra: &[(&'static str, &'static str, &'static str)]| {
        let mut all: Vec<(&str, &str, &str)> = extra.to_vec();
        all.extend(common);
        search(&all)
    };
    let resource = |t: &str, documentation: &str, params: Vec<Value>| {
        json!({
            "type": t,
            "documentation": documentation,
            "interaction": [{ "code": "read" }, { "code": "search-type" }],
            "searchParam": params,
        })
    };
    let body = json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": state.today().to_string(),
        "publisher": "Mon soutien psy",
        "kind": "instance",
        "software": { "name": "msp", "version": env!("CARGO_PKG_VERSION") },
        "implementation": { "description": "Annuaire FHIR des psychologues conventionnés Mon soutien psy (lecture seule)", "url": base },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "Seuls les psychologues conventionnés ce jour (ni suspendus ni exclus) apparaissent.",
            "resource": [
                resource("Practitioner", "Le psychologue : RPPS, IdNat_PS, nom, langues parlées.", with_common(&[
                    ("identifier", "token", "https://rpps.esante.gouv.fr|RPPS ou urn:oid:1.2.250.1.71.4.2.1|8RPPS"),
                    ("name", "string", "Début d’un mot du nom ou du prénom (sans accents ni casse)"),
                ])),
                resource("PractitionerRole", AVAILABILITY_DOC, with_common(&[
                    ("practitioner", "reference", "Practitioner/RPPS"),
                ])),
                resource("Location", "Un lieu d’exercice (deux au plus par psychologue), géolocalisé.", with_common(&[
                    ("near", "special", "latitude|longitude|distance|km (distance par défaut : rayon du département)"),
                    ("address-postalcode", "string", "Code postal"),
                    ("address-city", "string", "Commune (sans accents ni casse)"),
                ])),
            ],
        }],
    });
    fhir_response(StatusCode::OK, &body)
}

fn page_of<T>(items: Vec<T>, count: usize, offset: usize) -> (usize, Vec<T>) {
    let total = items.len();
    (total, items.into_iter().skip(offset).take(count).collect())
}

async fn search_practitioners(
    headers: HeaderMap,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    let query = raw.unwrap_or_default();
    let p = Params::parse(Some(&query))?;
    let paging = check_params(&p, &["identifier", "name", "_id"])?;
    let today = state.today();
    let mut found = listed(&state, today);
    found.retain(|e| paging.keeps(e));
    if let Some(id) = p.get("identifier") {
        let wanted = identifier_rpps(id);
        found.retain(|e| Some(e.rpps()) == wanted);
    }
    if let Some(id) = p.get("_id") {
        found.retain(|e| e.rpps().to_string() == id);
    }
    if let Some(name) = p.get("name") {
        let key = normalize(name);
        found.retain(|e| name_matches(&e.name_key, &key));
    }
    let Paging { count, offset, .. } = paging;
    let (total, page) = page_of(found, count, offset);
    let entries = page
        .iter()
        .map(|e| (e.rpps().to_string(), practitioner(e), None))
        .collect();
    let base = base_url(&headers);
    Ok(fhir_response(
        StatusCode::OK,
        &bundle(&base, "Practitioner", &query, total, count, offset, entries),
    ))
}

async fn search_roles(
    headers: HeaderMap,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    let query = raw.unwrap_or_default();
    let p = Params::parse(Some(&query))?;
    let paging = check_params(&p, &["practitioner", "_id"])?;
    let today = state.today();
    let mut found = listed(&state, today);
    found.retain(|e| paging.keeps(e));
    if let Some(r) = p.get("practitioner") {
        let id = r.strip_prefix("Practitioner/").unwrap_or(r);
        found.retain(|e| e.rpps().to_string() == id);
    }
    if let Some(id) = p.get("_id") {
        found.retain(|e| format!("role-{}", e.rpps()) == id);
    }
    let Paging { count, offset, .. } = paging;
    let (total, page) = page_of(found, count, offset);
    let entries = page
        .iter()
        .map(|e| {
            (
                format!("role-{}", e.rpps()),
                practitioner_role(e, today),
                None,
            )
        })
        .collect();
    let base = base_url(&headers);
    Ok(fhir_response(
        StatusCode::OK,
        &bundle(
            &base,
            "PractitionerRole",
            &query,
            total,
            count,
            offset,
            entries,
        ),
    ))
}

/// `near=lat|lon|distance|unit`: (lat, lon, km or None).
fn parse_near(v: &str) -> Result<(f64, f64, Option<f64>), Problem> {
    let parts: Vec<&str> = v.split('|').collect();
    let bad = |m: String| Problem::bad_request("parametre_invalide", m);
    if parts.len() < 2 || parts.len() > 4 {
        return Err(bad(format!(
            "near attend latitude|longitude|distance|km (reçu « {v} »)."
        )));
    }
    let lat = parse_number("la latitude de near", parts[0])?;
    let lon = parse_number("la longitude de near", parts[1])?;
    let unit = parts.get(3).copied().unwrap_or("km");
    if unit != "km" {
        return Err(Problem::bad_request(
            "parametre_non_pris_en_charge",
            format!("Unité de distance « {unit} » non prise en charge : utilisez km."),
        ));
    }
    let distance = match parts.get(2).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => {
            let km = parse_number("la distance de near", d)?;
            if !(crate::directory::index::MIN_RADIUS_KM..=crate::directory::index::MAX_RADIUS_KM)
                .contains(&km)
            {
                return Err(bad(format!(
                    "La distance de near doit être comprise entre 0,5 et {} km (reçu « {d} »).",
                    crate::directory::index::MAX_RADIUS_KM
                )));
            }
            Some(km)
        }
    };
    Ok((lat, lon, distance))
}

async fn search_locations(
    headers: HeaderMap,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    let query = raw.unwrap_or_default();
    let p = Params::parse(Some(&query))?;
    let paging = check_params(&p, &["near", "address-postalcode", "address-city", "_id"])?;
    let today = state.today();
    // (entry, address index, distance)
    let mut found: Vec<(Arc<Entry>, usize, Option<f64>)> = Vec::new();
    if let Some(near) = p.get("near") {
        let (lat, lon, km) = parse_near(near)?;
        let place = communes().place_at(lat, lon).map_err(Problem::from)?;
        // Search by psychologist with a large page, then expand to each address within reach.
        let req = crate::directory::index::SearchRequest {
            place,
            radius_km: km,
            filters: Default::default(),
            page: 1,
            per_page: usize::MAX / 2,
        };
        let result = state
            .index()
            .search(&req, today)
            .map_err(|_| Problem::internal(&"page"))?;
        for h in result.hits {
            for (n, a) in h.entry.listed.card.addresses.iter().enumerate() {
                let d = distance_km(lat, lon, a.latitude, a.longitude);
                if d <= result.radius_km {
                    found.push((Arc::clone(&h.entry), n, Some(d)));
                }
            }
        }
        found.sort_by(|a, b| {
            a.2.unwrap_or(0.0)
                .total_cmp(&b.2.unwrap_or(0.0))
                .then(a.0.rpps().cmp(&b.0.rpps()))
                .then(a.1.cmp(&b.1))
        });
    } else {
        for e in listed(&state, today) {
            for n in 0..e.listed.card.addresses.len() {
                found.push((Arc::clone(&e), n, None));
            }
        }
    }
    if let Some(cp) = p.get("address-postalcode") {
        found.retain(|(e, n, _)| e.listed.card.addresses[*n].postal_code.starts_with(cp));
    }
    if let Some(city) = p.get("address-city") {
        let key = normalize(city);
        found.retain(|(e, n, _)| {
            normalize(&commune_name(&e.listed.card.addresses[*n].commune_insee)).starts_with(&key)
        });
    }
    if let Some(id) = p.get("_id") {
        found.retain(|(e, n, _)| location_id(e.rpps(), *n) == id);
    }
    found.retain(|(e, _, _)| paging.keeps(e));
    let Paging { count, offset, .. } = paging;
    let (total, page) = page_of(found, count, offset);
    let entries = page
        .iter()
        .map(|(e, n, d)| (location_id(e.rpps(), *n), location(e, *n), *d))
        .collect();
    let base = base_url(&headers);
    Ok(fhir_response(
        StatusCode::OK,
        &bundle(&base, "Location", &query, total, count, offset, entries),
    ))
}

fn not_found(kind: &str, id: &str) -> FhirError {
    Problem::not_found(
        "ressource_inconnue",
        format!("{kind}/{id} n’existe pas ou n’est pas dans l’annuaire ce jour."),
    )
    .into()
}

fn listed_entry(state: &AppState, rpps: &str) -> Option<Arc<Entry>> {
    let rpps = Rpps::parse(rpps).ok()?;
    let today = state.today();
    state
        .index()
        .get(rpps)
        .filter(|e| e.listed.is_listed_on(today))
        .cloned()
}

async fn read_practitioner(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, FhirError> {
    let e = listed_entry(&state, &id).ok_or_else(|| not_found("Practitioner", &id))?;
    Ok(fhir_response(StatusCode::OK, &practitioner(&e)))
}

async fn read_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, FhirError> {
    let e = id
        .strip_prefix("role-")
        .and_then(|r| listed_entry(&state, r))
        .ok_or_else(|| not_found("PractitionerRole", &id))?;
    Ok(fhir_response(
        StatusCode::OK,
        &practitioner_role(&e, state.today()),
    ))
}

async fn read_location(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, FhirError> {
    let found = id.strip_prefix("loc-").and_then(|rest| {
        let (rpps, n) = rest.rsplit_once('-')?;
        let n: usize = n.parse().ok()?;
        let e = listed_entry(&state, rpps)?;
        (1..=e.listed.card.addresses.len())
            .contains(&n)
            .then_some((e, n - 1))
    });
    let (e, n) = found.ok_or_else(|| not_found("Location", &id))?;
    Ok(fhir_response(StatusCode::OK, &location(&e, n)))
}

async fn fhir_fallback() -> FhirError {
    Problem::not_found(
        "ressource_non_prise_en_charge",
        "Type de ressource ou opération non pris en charge. Voir /fhir/metadata.",
    )
    .into()
}

/// Routes under `/fhir`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/metadata", get(metadata))
        .route("/Practitioner", get(search_practitioners))
        .route("/Practitioner/{id}", get(read_practitioner))
        .route("/PractitionerRole", get(search_roles))
        .route("/PractitionerRole/{id}", get(read_role))
        .route("/Location", get(search_locations))
        .route("/Location/{id}", get(read_location))
        .fallback(fhir_fallback)
}
