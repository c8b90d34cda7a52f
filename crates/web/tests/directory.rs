//! The directory through the router: pages, JSON API, OpenAPI, FHIR, errors, writes.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{TODAY, TOKEN, demo_app, get, send};
use msp_store::directory;
use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;

/// One demo app shared by the read-only tests of this binary.
fn shared() -> &'static common::TestApp {
    static APP: OnceLock<common::TestApp> = OnceLock::new();
    APP.get_or_init(demo_app)
}

/// RPPS of demo psychologists who must never appear (ended, suspended, excluded, future).
fn hidden(app: &common::TestApp) -> Vec<String> {
    let mut db = app.db.connect();
    directory::load_cards(&mut db)
        .unwrap()
        .into_iter()
        .filter(|c| !c.is_listed_on(TODAY))
        .map(|c| c.card.rpps.to_string())
        .collect()
}

fn listed_rpps(app: &common::TestApp) -> Vec<String> {
    let mut db = app.db.connect();
    directory::listable_cards(&mut db, TODAY)
        .unwrap()
        .into_iter()
        .map(|c| c.card.rpps.to_string())
        .collect()
}

// ---------------------------------------------------------------- pages

#[tokio::test]
async fn home_page_explains_the_programme() {
    let a = get(&shared().state, "/").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.content_type.starts_with("text/html"));
    for needle in [
        "<html lang=\"fr\">",
        "href=\"#contenu\"",
        "id=\"contenu\"",
        "3 ans",
        "légère à modérée",
        "12 séances par an",
        "50 €",
        "60 %",
        "40 %",
        "Complémentaire santé solidaire",
        "Aide médicale de l’État",
        "<label for=\"q\">",
        "role=\"search\"",
        "/static/style.css",
        "3114",
    ] {
        assert!(a.body.contains(needle), "home lacks {needle}");
    }
    assert!(
        !a.body.contains("http://") && !a.body.contains("https://"),
        "no external asset"
    );
}

#[tokio::test]
async fn search_page_lists_psychologists_in_lyon() {
    let a = get(&shared().state, "/recherche?q=lyon").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("Psychologues près de Lyon (69)"));
    assert!(a.body.contains("psychologues à moins de"));
    assert!(a.body.contains("href=\"/psychologues/"));
    assert!(a.body.contains("class=\"results\""));
    // Articles and elision with place names (issue 13).
    let a = get(&shared().state, "/recherche?q=Le+Mans").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(
        a.body.contains("Psychologues près du Mans (72)") && a.body.contains(" du Mans (72)</h2>"),
        "{}",
        a.body
    );
    let a = get(&shared().state, "/recherche?q=Ajaccio").await;
    assert!(a.body.contains(" d’Ajaccio (2A)</h2>"), "{}", a.body);
    // Postal code of an arrondissement.
    let a = get(&shared().state, "/recherche?q=69003&rayon=2&enfants=1").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("Lyon 3e arrondissement"));
    assert!(a.body.contains("checked"));
}

#[tokio::test]
async fn search_page_without_place_shows_the_form() {
    let a = get(&shared().state, "/recherche").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("<form"));
    assert!(!a.body.contains("class=\"results\""));
}

/// Issue 13 item 11: an empty search says what is missing; a card found by a search leads back
/// to it; the order inside a distance band is explained; no « 0 m ».
#[tokio::test]
async fn the_search_tells_what_it_does_and_the_card_leads_back() {
    let s = &shared().state;
    let quiet = get(s, "/recherche").await;
    assert!(
        !quiet.body.contains("Indiquez une commune"),
        "not before a search"
    );
    let empty = get(s, "/recherche?q=&rayon=").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(
        empty.body.contains(
            "Indiquez une commune, un code postal ou un code INSEE pour lancer la recherche."
        ),
        "{}",
        empty.body
    );

    let a = get(s, "/recherche?q=lyon&enfants=1").await;
    assert!(
        a.body
            .contains("dans une même tranche, l’ordre change chaque jour")
    );
    assert!(!a.body.contains(">0 m<") && !a.body.contains("\"distance\">0 m"));
    let link = a
        .body
        .split("href=\"/psychologues/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a result")
        .replace("&amp;", "&");
    assert!(link.contains("?recherche=q%3Dlyon%26enfants%3D1"), "{link}");
    let card = get(s, &format!("/psychologues/{link}")).await;
    assert_eq!(card.status, StatusCode::OK, "{}", card.body);
    assert!(
        card.body
            .contains("<a href=\"/recherche?q=lyon&amp;enfants=1\">Résultats de la recherche</a>"),
        "{}",
        card.body
    );
    // Reached directly, the breadcrumb offers a new search.
    let rpps = link.split('?').next().unwrap();
    let direct = get(s, &format!("/psychologues/{rpps}")).await;
    assert!(direct.body.contains("<a href=\"/recherche\">Recherche</a>"));
}

#[tokio::test]
async fn search_page_explains_bad_input() {
    let s = &shared().state;
    let a = get(s, "/recherche?q=Lyonn").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.body.contains("Aucune commune ne correspond à « Lyonn »"));
    assert!(a.body.contains("Vouliez-vous dire"));
    assert!(a.body.contains("role=\"alert\""));
    let a = get(s, "/recherche?q=Saint-Denis").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("Saint-Denis (93)") && a.body.contains("Saint-Denis (974)"));
    let a = get(s, "/recherche?q=lyon&rayon=-3").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("Le rayon doit être compris"));
    let a = get(s, "/recherche?q=lyon&page=999").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.body.contains("La page 999 n’existe pas"));
    let a = get(s, "/recherche?q=lyon&enfants=peut-etre").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("Valeur inconnue « peut-etre »"));
}

#[tokio::test]
async fn card_page_shows_a_listed_psychologist_only() {
    let app = shared();
    let rpps = &listed_rpps(app)[0];
    let a = get(&app.state, &format!("/psychologues/{rpps}")).await;
    assert_eq!(a.status, StatusCode::OK);
    for needle in [
        "Adresse",
        "Public reçu",
        "Téléconsultation",
        "50 € la séance",
        "aria-label=\"Fil d’Ariane\"",
    ] {
        assert!(a.body.contains(needle), "card lacks {needle}");
    }
    for h in hidden(app) {
        let a = get(&app.state, &format!("/psychologues/{h}")).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{h} must be hidden");
        assert!(a.body.contains("n’est pas (ou plus) dans l’annuaire"));
    }
    let a = get(&app.state, "/psychologues/123").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("RPPS"));
}

#[tokio::test]
async fn assets_are_served_from_the_binary_and_unknown_pages_are_404() {
    let s = &shared().state;
    let a = get(s, "/static/style.css").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.content_type.starts_with("text/css"));
    assert!(a.body.contains(":focus-visible"));
    let a = get(s, "/static/recherche.js").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("combobox"));
    let a = get(s, "/nulle-part").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.body.contains("Cette page n’existe pas"));
    assert_eq!(get(s, "/health").await.body, "ok");
}

// ---------------------------------------------------------------- JSON API

#[tokio::test]
async fn api_search_by_postal_code_insee_name_and_coordinates() {
    let s = &shared().state;
    let a = get(s, "/api/psychologues?q=69003").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let j = a.json();
    assert_eq!(j["lieu"]["insee"], "69383");
    assert_eq!(j["rayon_par_defaut"], true);
    assert!(j["total"].as_u64().unwrap() > 10);
    let d: Vec<f64> = j["resultats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["distance_km"].as_f64().unwrap())
        .collect();
    let buckets: Vec<usize> = d
        .iter()
        .map(|&x| msp_web::directory::index::bucket(x - 0.05))
        .collect();
    assert!(
        buckets.windows(2).all(|w| w[0] <= w[1]),
        "ordered by distance bucket: {d:?}"
    );

    let j = get(s, "/api/psychologues?code_postal=75015&rayon=3")
        .await
        .json();
    assert_eq!(j["lieu"]["insee"], "75115");
    assert_eq!(j["rayon_km"], 3.0);
    assert!(
        j["resultats"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["distance_km"].as_f64().unwrap() <= 3.0)
    );
    let j = get(s, "/api/psychologues?insee=13055").await.json();
    assert_eq!(j["lieu"]["libelle"], "Marseille (13)");
    let j = get(s, "/api/psychologues?lat=45,76&lon=4.84&rayon=5")
        .await
        .json();
    assert_eq!(j["lieu"]["type_lieu"], "coordonnees");
    assert_eq!(j["lieu"]["departement"], "69");
    let j = get(s, "/api/psychologues?q=SAINT-ETIENNE").await.json();
    assert_eq!(j["lieu"]["insee"], "42218");
}

#[tokio::test]
async fn api_filters_keep_only_matching_cards() {
    let s = &shared().state;
    let base = "/api/psychologues?q=Lyon&rayon=200&par_page=100";
    let all = get(s, base).await.json();
    let n_all = all["total"].as_u64().unwrap();
    for (filter, check) in [
        (
            "enfants=1",
            Box::new(|r: &serde_json::Value| {
                matches!(
                    r["public"]["code"].as_str(),
                    Some("adultes_adolescents_enfants" | "enfants")
                )
            }) as Box<dyn Fn(&serde_json::Value) -> bool>,
        ),
        (
            "teleconsultation=1",
            Box::new(|r: &serde_json::Value| r["teleconsultation"] == true),
        ),
        (
            "langue=en",
            Box::new(|r: &serde_json::Value| {
                r["langues"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|l| l["code"] == "en")
            }),
        ),
        (
            "langue=Anglais",
            Box::new(|r: &serde_json::Value| {
                r["langues"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|l| l["code"] == "en")
            }),
        ),
        (
            "disponible=1",
            Box::new(|r: &serde_json::Value| r["disponibilite"]["etat"] == "oui"),
        ),
    ] {
        let j = get(s, &format!("{base}&{filter}")).await.json();
        let results = j["resultats"].as_array().unwrap();
        assert!(!results.is_empty(), "{filter} finds someone");
        assert!(j["total"].as_u64().unwrap() < n_all, "{filter} filters");
        assert!(results.iter().all(&check), "{filter}");
    }
}

#[tokio::test]
async fn api_pagination_covers_every_result_once() {
    let s = &shared().state;
    let first = get(s, "/api/psychologues?q=Paris&rayon=30&par_page=7")
        .await
        .json();
    let pages = first["pages"].as_u64().unwrap();
    let total = first["total"].as_u64().unwrap();
    assert!(pages >= 2);
    let mut seen = HashSet::new();
    for page in 1..=pages {
        let j = get(
            s,
            &format!("/api/psychologues?q=Paris&rayon=30&par_page=7&page={page}"),
        )
        .await
        .json();
        for r in j["resultats"].as_array().unwrap() {
            assert!(seen.insert(r["rpps"].as_str().unwrap().to_owned()));
        }
    }
    assert_eq!(seen.len() as u64, total);
    let a = get(
        s,
        &format!(
            "/api/psychologues?q=Paris&rayon=30&par_page=7&page={}",
            pages + 1
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.json()["code"], "page_inexistante");
}

#[tokio::test]
async fn api_never_shows_ended_suspended_or_excluded_psychologists() {
    let app = shared();
    let hidden: HashSet<String> = hidden(app).into_iter().collect();
    assert!(hidden.len() >= 10, "the demo hides some: {}", hidden.len());
    let mut seen = HashSet::new();
    for place in [
        "Lyon",
        "Paris",
        "Marseille",
        "Toulouse",
        "Mende",
        "Bordeaux",
        "Lille",
        "Rennes",
    ] {
        let j = get(
            &app.state,
            &format!("/api/psychologues?q={place}&rayon=200&par_page=100"),
        )
        .await
        .json();
        for page in 1..=j["pages"].as_u64().unwrap() {
            let j = get(
                &app.state,
                &format!("/api/psychologues?q={place}&rayon=200&par_page=100&page={page}"),
            )
            .await
            .json();
            for r in j["resultats"].as_array().unwrap() {
                let rpps = r["rpps"].as_str().unwrap().to_owned();
                assert!(!hidden.contains(&rpps), "{rpps} is hidden");
                seen.insert(rpps);
            }
        }
    }
    assert!(seen.len() > 150);
    for h in &hidden {
        let a = get(&app.state, &format!("/api/psychologues/{h}")).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        let j = get(
            &app.state,
            &format!("/fhir/Practitioner?identifier=https://rpps.esante.gouv.fr|{h}"),
        )
        .await
        .json();
        assert_eq!(j["total"], 0);
    }
}

#[tokio::test]
async fn api_card_hides_unchosen_contacts() {
    let app = shared();
    let mut db = app.db.connect();
    let cards = directory::listable_cards(&mut db, TODAY).unwrap();
    let hidden_phone = cards
        .iter()
        .find(|c| !c.card.phone.public)
        .expect("someone hides the phone");
    let j = get(
        &app.state,
        &format!("/api/psychologues/{}", hidden_phone.card.rpps),
    )
    .await
    .json();
    assert!(j["telephone"].is_null());
    assert_eq!(j["nom"], hidden_phone.last_name.as_str());
    let shown = cards.iter().find(|c| c.card.phone.public).unwrap();
    let j = get(
        &app.state,
        &format!("/api/psychologues/{}", shown.card.rpps),
    )
    .await
    .json();
    assert_eq!(
        j["telephone"],
        shown.card.phone.value.clone().unwrap().as_str()
    );
    assert!(!j["adresses"].as_array().unwrap().is_empty());
    assert!(j["adresses"][0]["commune"].is_string());
}

#[tokio::test]
async fn api_errors_are_french_json_with_the_right_status() {
    let s = &shared().state;
    for (uri, status, code) in [
        ("/api/psychologues?q=Xyzzyville", 404, "lieu_inconnu"),
        ("/api/psychologues?q=99999", 404, "lieu_inconnu"),
        ("/api/psychologues?insee=00000", 404, "lieu_inconnu"),
        ("/api/psychologues?code_postal=00001", 404, "lieu_inconnu"),
        ("/api/psychologues?q=Saint-Denis", 400, "lieu_ambigu"),
        (
            "/api/psychologues?lat=abc&lon=4",
            400,
            "coordonnees_invalides",
        ),
        ("/api/psychologues?lat=45", 400, "coordonnees_invalides"),
        (
            "/api/psychologues?lat=95&lon=4",
            400,
            "coordonnees_invalides",
        ),
        ("/api/psychologues?lat=0&lon=-30", 400, "hors_territoire"),
        ("/api/psychologues?q=Lyon&rayon=-1", 400, "rayon_invalide"),
        ("/api/psychologues?q=Lyon&rayon=0", 400, "rayon_invalide"),
        (
            "/api/psychologues?q=Lyon&rayon=100000",
            400,
            "rayon_invalide",
        ),
        ("/api/psychologues?q=Lyon&rayon=NaN", 400, "rayon_invalide"),
        ("/api/psychologues?q=Lyon&rayon=inf", 400, "rayon_invalide"),
        ("/api/psychologues?q=Lyon&enfants=2", 400, "filtre_invalide"),
        (
            "/api/psychologues?q=Lyon&langue=klingon",
            400,
            "filtre_invalide",
        ),
        ("/api/psychologues?q=Lyon&page=0", 400, "nombre_invalide"),
        ("/api/psychologues?q=Lyon&page=-2", 400, "nombre_invalide"),
        (
            "/api/psychologues?q=Lyon&par_page=1000",
            400,
            "nombre_invalide",
        ),
        (
            "/api/psychologues?q=Lyon&page=100000",
            404,
            "page_inexistante",
        ),
        ("/api/psychologues?q=Lyon&tri=nom", 400, "parametre_inconnu"),
        ("/api/psychologues", 400, "lieu_absent"),
        ("/api/psychologues/12345", 400, "rpps_invalide"),
        ("/api/psychologues/10000000000", 400, "rpps_invalide"),
        ("/api/communes?q=ly&limite=0", 400, "nombre_invalide"),
        ("/api/inexistant", 404, "route_inconnue"),
    ] {
        let a = get(s, uri).await;
        assert_eq!(a.status.as_u16(), status, "{uri}: {}", a.body);
        assert!(
            a.content_type.starts_with("application/problem+json"),
            "{uri}"
        );
        let j = a.json();
        assert_eq!(j["code"], code, "{uri}");
        assert!(!j["detail"].as_str().unwrap().is_empty());
    }
    let j = get(s, "/api/psychologues?q=Lyonn").await.json();
    assert!(
        j["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["insee"] == "69123")
    );
}

#[tokio::test]
async fn completion_proposes_communes_most_populated_first() {
    let s = &shared().state;
    let j = get(s, "/api/communes?q=lyo").await.json();
    assert_eq!(j[0]["insee"], "69123");
    assert_eq!(j[0]["libelle"], "Lyon (69)");
    let j = get(s, "/api/communes?q=%C3%A9vry&limite=3").await.json();
    assert!(j.as_array().unwrap().len() <= 3);
    assert!(j[0]["nom"].as_str().unwrap().starts_with("Évry"));
    let j = get(s, "/api/communes?q=").await.json();
    assert_eq!(j.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn default_radius_is_wider_where_psychologists_are_sparse() {
    let s = &shared().state;
    let j = get(s, "/api/rayons").await.json();
    let radius = |dep: &str| {
        j.as_array()
            .unwrap()
            .iter()
            .find(|r| r["departement"] == dep)
            .unwrap()["rayon_km"]
            .as_f64()
            .unwrap()
    };
    assert!(
        radius("75") <= radius("48"),
        "Paris {} vs Lozère {}",
        radius("75"),
        radius("48")
    );
    assert!(radius("69") < radius("23"));
}

// ---------------------------------------------------------------- OpenAPI

#[tokio::test]
async fn openapi_paths_and_router_agree() {
    let s = &shared().state;
    let a = get(s, "/api/openapi.json").await;
    assert_eq!(a.status, StatusCode::OK);
    let doc = a.json();
    assert_eq!(doc, serde_json::to_value(msp_web::api::openapi()).unwrap());
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                documented.insert((path.clone(), method.clone()));
            }
        }
    }
    // Each documented operation is answered by its own handler, not the fallback.
    for (path, method) in &documented {
        let uri = path.replace("{rpps}", "10000000001") + "?q=Lyon";
        let req = Request::builder()
            .method(method.to_uppercase().as_str())
            .uri(if path.contains("openapi") || path.contains("{") {
                path.replace("{rpps}", "10000000001")
            } else {
                uri
            })
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let a = send(s, req).await;
        assert_ne!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(
            !a.body.contains("route_inconnue"),
            "{method} {path} fell through: {}",
            a.body
        );
    }
}

// ---------------------------------------------------------------- writes

#[tokio::test]
async fn card_upsert_through_the_app_updates_the_index() {
    let app = demo_app();
    let s = &app.state;
    let rpps = listed_rpps(&app)[0].clone();
    let card = serde_json::json!({
        "adresses": [{ "ligne": "2 place de la Cathédrale", "code_postal": "48000", "insee": "48095" }],
        "telephone": { "valeur": "04 66 00 00 00", "public": true },
        "email": { "valeur": "psy@exemple.fr", "public": false },
        "langues": ["lsf"],
        "public": "enfants",
        "teleconsultation": true,
        "accepte_nouveaux_patients": true
    });
    let put = |token: Option<&str>, body: String| {
        let mut b = Request::put(format!("/api/psychologues/{rpps}"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        b.body(Body::from(body)).unwrap()
    };
    let a = send(s, put(None, card.to_string())).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = send(s, put(Some("faux"), card.to_string())).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = send(s, put(Some(TOKEN), "{pas du json".into())).await;
    assert!(a.status.is_client_error(), "{}", a.body);
    let mut wrong_cp = card.clone();
    wrong_cp["adresses"][0]["code_postal"] = "69003".into();
    let a = send(s, put(Some(TOKEN), wrong_cp.to_string())).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["erreurs"][0]["champ"], "adresses[0].code_postal");
    assert!(a.json()["detail"].as_str().unwrap().contains("69003"));

    // Asked before the write: the cached answer must not survive it.
    let mende = "/api/psychologues?q=Mende&rayon=1&enfants=1&langue=lsf&par_page=100";
    let before = get(s, mende).await.json();
    assert!(
        !before["resultats"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rpps"] == rpps.as_str())
    );
    let a = send(s, put(Some(TOKEN), card.to_string())).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let j = a.json();
    assert_eq!(j["adresses"][0]["commune"], "Mende");
    assert!(j["email"].is_null());
    assert_eq!(j["disponibilite"]["etat"], "oui");
    // The index moved the psychologist to Mende at once.
    let j = get(
        s,
        "/api/psychologues?q=Mende&rayon=1&enfants=1&langue=lsf&par_page=100",
    )
    .await
    .json();
    assert!(
        j["resultats"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rpps"] == rpps.as_str()),
        "{j}"
    );
    // And it is in the store for the next start.
    let mut db = app.db.connect();
    let stored = directory::load_card(&mut db, msp_domain::Rpps::parse(&rpps).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(stored.card.addresses[0].commune_insee, "48095");
    // Unknown to the registry.
    let a = send(
        s,
        Request::put("/api/psychologues/10000000009")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(card.to_string()))
            .unwrap(),
    )
    .await;
    assert!(matches!(a.status.as_u16(), 400 | 422), "{}", a.body);
}

#[tokio::test]
async fn edits_are_refused_without_a_configured_token() {
    let app = shared();
    let state = msp_web::AppState::new(
        msp_store::open_pool(&app.db.url, 2).unwrap(),
        msp_web::Options {
            today: Some(TODAY),
            edit_token: None,
            ..Default::default()
        },
    )
    .unwrap();
    let a = send(
        &state,
        Request::put("/api/psychologues/10000001015")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    // Neither a session nor a token: sign in first.
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

// ---------------------------------------------------------------- FHIR

#[tokio::test]
async fn fhir_metadata_is_a_capability_statement() {
    let a = get(&shared().state, "/fhir/metadata").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.content_type.starts_with("application/fhir+json"));
    let j = a.json();
    assert_eq!(j["resourceType"], "CapabilityStatement");
    assert_eq!(j["fhirVersion"], "4.0.1");
    let types: Vec<&str> = j["rest"][0]["resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["Practitioner", "PractitionerRole", "Location"]);
}

#[tokio::test]
async fn fhir_practitioner_by_identifier_and_name() {
    let app = shared();
    let s = &app.state;
    let mut db = app.db.connect();
    let one = directory::listable_cards(&mut db, TODAY).unwrap().remove(0);
    let rpps = one.card.rpps.to_string();
    for query in [
        format!("identifier=https://rpps.esante.gouv.fr%7C{rpps}"),
        format!("identifier=urn:oid:1.2.250.1.71.4.2.1%7C8{rpps}"),
        format!("identifier={rpps}"),
    ] {
        let a = get(s, &format!("/fhir/Practitioner?{query}")).await;
        assert_eq!(a.status, StatusCode::OK);
        assert!(a.content_type.starts_with("application/fhir+json"));
        let j = a.json();
        assert_eq!(j["resourceType"], "Bundle");
        assert_eq!(j["type"], "searchset");
        assert_eq!(j["total"], 1, "{query}");
        let p = &j["entry"][0]["resource"];
        assert_eq!(p["resourceType"], "Practitioner");
        assert_eq!(p["id"], rpps.as_str());
        assert_eq!(p["identifier"][0]["system"], "https://rpps.esante.gouv.fr");
        assert_eq!(p["identifier"][0]["value"], rpps.as_str());
        assert_eq!(p["identifier"][1]["system"], "urn:oid:1.2.250.1.71.4.2.1");
        assert_eq!(p["identifier"][1]["value"], format!("8{rpps}"));
        assert_eq!(p["qualification"][0]["code"]["coding"][0]["code"], "93");
        assert_eq!(
            p["qualification"][0]["code"]["coding"][0]["system"],
            "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
        );
        assert_eq!(p["name"][0]["family"], one.last_name.as_str());
        assert!(
            j["entry"][0]["fullUrl"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/fhir/Practitioner/{rpps}"))
        );
    }
    let j = get(s, "/fhir/Practitioner?identifier=http://autre%7C123")
        .await
        .json();
    assert_eq!(j["total"], 0);
    // Name: accent- and case-insensitive prefix.
    let family = msp_geo::normalize(&one.last_name).to_uppercase();
    let j = get(
        s,
        &format!("/fhir/Practitioner?name={}&_count=100", &family[..3]),
    )
    .await
    .json();
    assert!(
        j["entry"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["resource"]["id"] == rpps.as_str())
    );
    // Read.
    let j = get(s, &format!("/fhir/Practitioner/{rpps}")).await.json();
    assert_eq!(j["id"], rpps.as_str());
    // Paging.
    let j = get(s, "/fhir/Practitioner?_count=10").await.json();
    assert_eq!(j["entry"].as_array().unwrap().len(), 10);
    assert!(
        j["link"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["relation"] == "next")
    );
}

#[tokio::test]
async fn fhir_roles_and_locations_near_a_point() {
    let s = &shared().state;
    let j = get(
        s,
        "/fhir/Location?near=45.7603%7C4.8490%7C3%7Ckm&_count=100",
    )
    .await
    .json();
    assert_eq!(j["resourceType"], "Bundle");
    let entries = j["entry"].as_array().unwrap();
    assert!(!entries.is_empty());
    let mut last = 0.0;
    for e in entries {
        let r = &e["resource"];
        assert_eq!(r["resourceType"], "Location");
        let lat = r["position"]["latitude"].as_f64().unwrap();
        let lon = r["position"]["longitude"].as_f64().unwrap();
        let d = msp_geo::distance_km(45.7603, 4.8490, lat, lon);
        assert!(d <= 3.0 + 1e-6);
        let reported = e["search"]["extension"][0]["valueDistance"]["value"]
            .as_f64()
            .unwrap();
        assert!((reported - d).abs() < 0.01);
        assert!(reported + 1e-9 >= last, "sorted by distance");
        last = reported;
        assert_eq!(r["address"]["country"], "FR");
    }
    let loc_id = entries[0]["resource"]["id"].as_str().unwrap().to_owned();
    let rpps = loc_id
        .trim_start_matches("loc-")
        .rsplit_once('-')
        .unwrap()
        .0
        .to_owned();
    let j = get(
        s,
        &format!("/fhir/PractitionerRole?practitioner=Practitioner/{rpps}"),
    )
    .await
    .json();
    assert_eq!(j["total"], 1);
    let role = &j["entry"][0]["resource"];
    assert_eq!(role["resourceType"], "PractitionerRole");
    assert_eq!(
        role["practitioner"]["reference"],
        format!("Practitioner/{rpps}")
    );
    assert_eq!(role["code"][0]["coding"][0]["code"], "93");
    assert!(
        role["location"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["reference"] == format!("Location/{loc_id}"))
    );
    assert_eq!(
        get(s, &format!("/fhir/Location/{loc_id}")).await.json()["id"],
        loc_id.as_str()
    );
    assert_eq!(
        get(s, &format!("/fhir/PractitionerRole/role-{rpps}"))
            .await
            .json()["resourceType"],
        "PractitionerRole"
    );
    let j = get(s, "/fhir/Location?address-postalcode=69003&_count=100")
        .await
        .json();
    assert!(
        j["entry"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["resource"]["address"]["postalCode"] == "69003")
    );
}

#[tokio::test]
async fn fhir_refuses_unsupported_and_bad_parameters_with_operation_outcome() {
    let s = &shared().state;
    for (uri, status) in [
        ("/fhir/Practitioner?family=Martin", 400),
        (
            "/fhir/Practitioner?_include=PractitionerRole:practitioner",
            400,
        ),
        ("/fhir/Practitioner?_format=xml", 400),
        ("/fhir/Practitioner?_count=abc", 400),
        ("/fhir/Practitioner?_count=1000", 400),
        ("/fhir/Practitioner?_offset=-1", 400),
        ("/fhir/Location?near=abc", 400),
        ("/fhir/Location?near=45.7%7C4.8%7C-5%7Ckm", 400),
        ("/fhir/Location?near=45.7%7C4.8%7C5%7Cmi", 400),
        ("/fhir/Location?near=95%7C4.8%7C5%7Ckm", 400),
        ("/fhir/PractitionerRole?specialty=x", 400),
        ("/fhir/Practitioner/12345", 404),
        ("/fhir/Location/loc-12345-1", 404),
        ("/fhir/Patient", 404),
    ] {
        let a = get(s, uri).await;
        assert_eq!(a.status.as_u16(), status, "{uri}: {}", a.body);
        assert!(a.content_type.starts_with("application/fhir+json"), "{uri}");
        let j = a.json();
        assert_eq!(j["resourceType"], "OperationOutcome", "{uri}");
        assert_eq!(j["issue"][0]["severity"], "error");
        assert!(
            !j["issue"][0]["details"]["text"]
                .as_str()
                .unwrap()
                .is_empty()
        );
    }
}

// ---------------------------------------------------------------- both engines

/// Synchronous: the PostgreSQL client blocks, so databases are made and dropped outside the
/// runtime, which only drives the requests.
#[test]
fn demo_and_search_agree_on_sqlite_and_postgresql() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut answers = Vec::new();
    for db in msp_store::testing::all() {
        let label = db.label;
        let app = common::demo_app_on(db);
        let listed = listed_rpps(&app);
        let hidden = hidden(&app);
        assert_eq!(
            listed.len() + hidden.len(),
            msp_web::directory::demo::DEMO_SIZE,
            "{label}"
        );
        assert_eq!(
            app.state.index().listed_count(TODAY),
            listed.len(),
            "{label}"
        );
        // Loading the demo again changes nothing.
        let mut conn = app.db.connect();
        msp_web::directory::demo::load_directory_demo(&mut conn, TODAY).unwrap();
        assert_eq!(
            directory::count_cards(&mut conn).unwrap() as usize,
            msp_web::directory::demo::DEMO_SIZE
        );
        drop(conn);
        let j = rt
            .block_on(get(
                &app.state,
                "/api/psychologues?q=Lyon&rayon=20&par_page=100",
            ))
            .json();
        answers.push((label, listed, j));
        drop(app);
    }
    if answers.len() == 2 {
        assert_eq!(answers[0].1, answers[1].1, "same listed psychologists");
        assert_eq!(answers[0].2, answers[1].2, "same search answer");
    }
}

// ---------------------------------------------------------------- robustness

mod robustness {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            "[a-zA-Zéèà0-9 ()',.|%+-]{0,12}",
            "-?[0-9]{1,6}([.,][0-9]{0,4})?",
            Just("NaN".to_owned()),
            Just("1e308".to_owned()),
            Just("%FF%FE".to_owned()),
            Just("Lyon".to_owned()),
            Just("69003".to_owned()),
            Just("45.7|4.8|5|km".to_owned()),
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "q",
            "insee",
            "code_postal",
            "lat",
            "lon",
            "rayon",
            "enfants",
            "teleconsultation",
            "langue",
            "disponible",
            "nom",
            "page",
            "par_page",
            "limite",
            "near",
            "name",
            "identifier",
            "_count",
            "_offset",
            "practitioner",
            "address-city",
            "inconnu",
        ])
        .prop_map(str::to_owned)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 150, .. ProptestConfig::default() })]

        /// Whatever the query string, every endpoint answers without a server error.
        #[test]
        fn no_query_string_makes_a_server_error(
            pairs in prop::collection::vec((key(), value()), 0..6),
            path in prop::sample::select(vec![
                "/api/psychologues", "/recherche", "/api/communes", "/fhir/Practitioner",
                "/fhir/Location", "/fhir/PractitionerRole",
            ]),
        ) {
            let query: String = pairs
                .iter()
                .map(|(k, v)| format!("{k}={}", v.replace(' ', "+").replace('#', "%23").replace('&', "%26")))
                .collect::<Vec<_>>()
                .join("&");
            let uri = format!("{path}?{query}");
            let Ok(req) = Request::get(uri.as_str()).body(Body::empty()) else {
                return Ok(());
            };
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let a = rt.block_on(send(&shared().state, req));
            prop_assert!(a.status.as_u16() < 500, "{uri} -> {}: {}", a.status, a.body);
        }
    }
}
