//! `msp serve`: the web server.

use crate::cli::Outcome;

pub fn run(
    db_url: &str,
    addr: std::net::SocketAddr,
    demo_if_empty: bool,
) -> anyhow::Result<Outcome> {
    let _ = (db_url, addr, demo_if_empty);
    anyhow::bail!("le serveur web n'est pas encore disponible")
}
