//! The real server stops cleanly on SIGTERM and SIGINT: it says so, finishes what it was doing
//! and exits 0; it answers `/ready` before.

mod common;

use common::{free_port, get, start_server};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn serve_stops_cleanly_on_sigterm_and_sigint() {
    for signal in ["TERM", "INT"] {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let db = format!("sqlite://{}", dir.path().join("msp.db").display());
        // Returns once `/ready` answered 200.
        let mut child = start_server(&db, port, &[], Stdio::piped());
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let waited = Instant::now();
        let exit = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(
                waited.elapsed() < Duration::from_secs(30),
                "SIG{signal}: still running"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut err = String::new();
        BufReader::new(child.stderr.take().unwrap())
            .lines()
            .map_while(Result::ok)
            .for_each(|l| {
                err.push_str(&l);
                err.push('\n');
            });
        assert!(exit.success(), "SIG{signal}: {exit:?}\n{err}");
        assert!(err.contains("Arrêt demandé"), "SIG{signal}: {err}");
        assert!(
            get(port, "/health").is_none(),
            "SIG{signal}: still answering"
        );
    }
}

/// An operator imports a suspension on the command line while the server runs: the card, the
/// search hit and the FHIR resource disappear within a second, without a restart.
#[test]
fn a_suspension_imported_while_serving_disappears_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("msp.db").display());
    let port = free_port();
    let mut child = start_server(&db, port, &[], Stdio::null());
    let search = get(port, "/api/psychologues?q=Lyon&par_page=1").unwrap();
    let j: serde_json::Value = serde_json::from_str(&search.body).unwrap();
    let rpps = j["resultats"][0]["rpps"].as_str().unwrap().to_owned();
    let card = format!("/psychologues/{rpps}");
    assert_eq!(get(port, &card).unwrap().status, 200);
    let file = dir.path().join("suspensions.csv");
    std::fs::write(
        &file,
        format!("rpps,from,to,reason\n{rpps},2020-01-01,,contrôle\n"),
    )
    .unwrap();
    let import = Command::new(env!("CARGO_BIN_EXE_msp"))
        .args(["--db", &db, "import", "suspensions", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let imported = Instant::now();
    loop {
        if get(port, &card).is_some_and(|a| a.status == 404) {
            break;
        }
        assert!(
            imported.elapsed() < Duration::from_secs(1),
            "the suspended card still shows after one second"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!(
        "suspension imported on the command line gone from the server after {:?}",
        imported.elapsed()
    );
    let fhir = get(port, &format!("/fhir/Practitioner/{rpps}")).unwrap();
    assert_eq!(fhir.status, 404, "{}", fhir.body);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
