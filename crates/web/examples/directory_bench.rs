//! Load-benchmark helper for the directory (used by `scripts/bench-directory.sh`).
//!
//! ```text
//! directory_bench generate <DB_URL> <N>   # N fictitious psychologists, 88 % listed today
//! directory_bench serve <DB_URL> <ADDR>   # serve the directory (no demo loading)
//! directory_bench demo <DB_URL> <ADDR>    # like `msp serve`: demo directory if empty
//! directory_bench probe <DB_URL> [QUERY…] # time kinds of queries in-process (PROBE_N times)
//! ```

use msp_web::{AppState, Options};

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("generate") if args.len() == 4 => {
            let n: usize = args[3].parse()?;
            let pool = msp_store::open_pool(&args[2], 1)?;
            let mut db = pool.get()?;
            let started = std::time::Instant::now();
            let written = msp_web::directory::demo::generate_directory(
                &mut db,
                msp_web::system_today(),
                n,
                7,
            )?;
            let listed =
                msp_store::directory::listable_cards(&mut db, msp_web::system_today())?.len();
            eprintln!(
                "{written} fiches générées ({listed} listées aujourd’hui) en {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Some("serve") if args.len() == 4 => {
            let addr: std::net::SocketAddr = args[3].parse()?;
            let started = std::time::Instant::now();
            // Built before the runtime: the store's clients block.
            let options = Options {
                no_search_cache: std::env::var("MSP_SEARCH_CACHE").as_deref() == Ok("0"),
                ..Options::default()
            };
            let state = AppState::new(msp_store::open_pool(&args[2], 8)?, options)?;
            eprintln!(
                "index construit en {:.2} s ({} fiches)",
                started.elapsed().as_secs_f64(),
                state.index().len()
            );
            tokio::runtime::Runtime::new()?.block_on(msp_web::serve_state(state, addr))
        }
        Some("demo") if args.len() == 4 => {
            // What `msp serve` does: demo directory when the database has no card.
            let addr: std::net::SocketAddr = args[3].parse()?;
            tokio::runtime::Runtime::new()?.block_on(msp_web::serve(&args[2], addr, true))
        }
        Some("probe") if args.len() >= 3 => {
            // In-process timing of each kind of query (no HTTP), to find the slow ones.
            let options = Options {
                no_search_cache: true,
                ..Options::default()
            };
            let state = AppState::new(msp_store::open_pool(&args[2], 2)?, options)?;
            let rt = tokio::runtime::Runtime::new()?;
            let app = msp_web::app(state);
            let given: Vec<&str> = args[3..].iter().map(String::as_str).collect();
            let n: u32 = std::env::var("PROBE_N")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(300);
            let default = [
                "q=Paris",
                "q=Paris&rayon=20",
                "q=Paris&rayon=50&disponible=1",
                "q=Lyon",
                "q=Mende",
                "q=69003",
                "lat=48.8566&lon=2.3522",
                "q=Paris&nom=mar",
                "q=Paris&par_page=50",
                "q=Lyon&enfants=1&teleconsultation=1",
                "q=01400",
            ];
            // Round-robin over the queries, as a load does (caches are not warmed by repeats).
            let queries = if given.is_empty() {
                &default[..]
            } else {
                &given[..]
            };
            let mut spent = vec![std::time::Duration::ZERO; queries.len()];
            let mut bytes = vec![0; queries.len()];
            for _ in 0..n {
                for (k, q) in queries.iter().enumerate() {
                    use tower::ServiceExt;
                    let req = axum::http::Request::get(format!("/api/psychologues?{q}"))
                        .body(axum::body::Body::empty())?;
                    let started = std::time::Instant::now();
                    let res = rt.block_on(app.clone().oneshot(req))?;
                    bytes[k] = rt
                        .block_on(axum::body::to_bytes(res.into_body(), usize::MAX))?
                        .len();
                    spent[k] += started.elapsed();
                }
            }
            for (k, q) in queries.iter().enumerate() {
                let us = spent[k].as_secs_f64() * 1e6 / f64::from(n);
                println!("{us:>9.1} µs  {:>6} B  {q}", bytes[k]);
            }
            let total: f64 = spent.iter().map(std::time::Duration::as_secs_f64).sum();
            println!(
                "{:>9.1} µs  mean over {} queries",
                total * 1e6 / f64::from(n) / queries.len() as f64,
                queries.len()
            );
            Ok(())
        }
        _ => {
            eprintln!("usage: directory_bench generate <DB_URL> <N> | serve <DB_URL> <ADDR>");
            std::process::exit(2);
        }
    }
}
