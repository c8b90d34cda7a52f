//! The statistics page and payload through the router.

mod common;

use axum::http::StatusCode;
use common::{demo_app, get};

#[tokio::test]
async fn statistics_page_and_api() {
    let app = demo_app();
    let page = get(&app.state, "/statistiques").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type.starts_with("text/html"));
    assert!(
        page.body
            .contains("Statistiques du dispositif Mon soutien psy")
    );
    assert!(page.body.contains("23 novembre 2026"));
    assert!(page.body.contains("/statistiques/style.css"));
    assert_eq!(page.body.matches("<path ").count(), 101);

    let css = get(&app.state, "/statistiques/style.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.content_type.starts_with("text/css"));

    let scoped = get(
        &app.state,
        "/statistiques?date=2025-06-30&perimetre=region:84",
    )
    .await;
    assert_eq!(scoped.status, StatusCode::OK);
    assert!(scoped.body.contains("Auvergne-Rhône-Alpes"));
    assert!(scoped.body.contains("30 juin 2025"));
    // Another area or date is chosen from the page, not typed into the address.
    assert!(
        scoped
            .body
            .contains(r#"<select id="perimetre" name="perimetre">"#)
            && scoped
                .body
                .contains(r#"<option value="region:84" selected>Auvergne-Rhône-Alpes</option>"#)
            && scoped
                .body
                .contains(r#"<option value="departement:2A">2A – Corse-du-Sud</option>"#)
            && scoped
                .body
                .contains(r#"name="date" type="date" value="2025-06-30""#),
        "{}",
        scoped.body
    );

    let json = get(&app.state, "/api/stats?date=2025-06-30").await;
    assert_eq!(json.status, StatusCode::OK);
    let v = json.json();
    assert_eq!(v["date"], "2025-06-30");
    assert_eq!(v["perimetre"], "france");
    assert!(v["departements"].as_array().unwrap().len() > 100);

    let csv = get(&app.state, "/api/stats?format=csv&perimetre=departement:69").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(
        csv.body
            .starts_with("indicateur,perimetre,periode,modalite,valeur\n")
    );
    for line in csv.body.lines().skip(1) {
        if let Ok(n) = line.rsplit(',').next().unwrap().parse::<i64>() {
            assert!(n == 0 || n > 10, "unmasked count: {line}");
        }
    }

    let bad = get(&app.state, "/api/stats?date=2025-13-01").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("date_invalide"));
    let bad = get(&app.state, "/statistiques?perimetre=ville:Lyon").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}
