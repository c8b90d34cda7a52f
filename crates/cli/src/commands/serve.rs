//! `msp serve`: the web server (public directory, JSON API, FHIR, statistics).

use crate::cli::Outcome;

pub fn run(
    db_url: &str,
    addr: std::net::SocketAddr,
    demo_if_empty: bool,
) -> anyhow::Result<Outcome> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime
        .block_on(msp_web::serve(db_url, addr, demo_if_empty))
        .map_err(|e| anyhow::anyhow!("serveur : {e}"))?;
    Ok(Outcome::Complete)
}
