//! Operations: `/health`, `/ready` (503 when a migration is missing or the database does not
//! answer), `/metrics` in the Prometheus text format with requests counted by route template
//! (never the query string), and the request id echoed. Both engines.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::http::get;
use common::{block_on, demo_app_on};
use msp_store::testing;
use tower::ServiceExt;

#[test]
fn ready_metrics_and_request_ids() {
    for db in testing::all() {
        let app = demo_app_on(db);
        let s = &app.state;
        let label = app.db.label;
        assert_eq!(get(s, "/health", None).status, StatusCode::OK);
        let ready = get(s, "/ready", None);
        assert_eq!(ready.status, StatusCode::OK, "{label}: {}", ready.body);
        assert_eq!(ready.json()["etat"], "pret", "{label}");
        // Requests with personal data in the query: the route is counted, the query is not.
        for _ in 0..3 {
            let a = get(s, "/recherche?q=Lyon&nom=Secretnom", None);
            assert_eq!(a.status, StatusCode::OK);
        }
        get(s, "/api/psychologues/10000000001", None);
        get(s, "/nulle-part", None);
        let m = get(s, "/metrics", None);
        assert_eq!(m.status, StatusCode::OK);
        assert!(
            m.content_type.starts_with("text/plain; version=0.0.4"),
            "{}",
            m.content_type
        );
        let body = &m.body;
        assert!(
            body.contains(
                "msp_http_requests_total{method=\"GET\",route=\"/recherche\",status=\"200\"} 3"
            ),
            "{label}: {body}"
        );
        assert!(
            body.contains("route=\"/api/psychologues/{rpps}\""),
            "route template, not the RPPS: {body}"
        );
        assert!(
            body.contains("route=\"(aucune route)\",status=\"404\""),
            "{body}"
        );
        assert!(
            !body.contains("Secretnom") && !body.contains("10000000001"),
            "{body}"
        );
        assert!(
            body.contains(
                "msp_http_request_duration_seconds_bucket{route=\"/recherche\",le=\"+Inf\"} 3"
            ),
            "{body}"
        );
        assert!(body.contains("msp_db_pool_max_connections 4"), "{body}");
        assert!(
            body.contains("# TYPE msp_directory_reloads_total counter"),
            "{body}"
        );
        // A request id given by the proxy is echoed; otherwise one is made.
        let res = block_on(
            msp_web::app(s.clone()).oneshot(
                Request::get("/health")
                    .header("x-request-id", "proxy-42")
                    .body(Body::empty())
                    .unwrap(),
            ),
        )
        .unwrap();
        assert_eq!(res.headers()["x-request-id"], "proxy-42");
        let res = block_on(
            msp_web::app(s.clone()).oneshot(Request::get("/health").body(Body::empty()).unwrap()),
        )
        .unwrap();
        assert_eq!(res.headers()["x-request-id"].len(), 16);
        // A migration missing: not ready.
        // Not `TestDb::connect`, which would apply it again.
        msp_store::Db::connect(&app.db.url)
            .unwrap()
            .execute(
                "DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)",
                &[],
            )
            .unwrap();
        let ready = get(s, "/ready", None);
        assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "{label}");
        assert!(
            ready.json()["migrations"]
                .as_str()
                .unwrap()
                .contains("1 migration"),
            "{label}"
        );
    }
}
