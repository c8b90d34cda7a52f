//! The real server stops cleanly on SIGTERM and SIGINT: it says so, finishes what it was doing
//! and exits 0; it answers `/ready` before.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
fn serve_stops_cleanly_on_sigterm_and_sigint() {
    for signal in ["TERM", "INT"] {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_msp"))
            .args([
                "--db",
                &format!("sqlite://{}", dir.path().join("msp.db").display()),
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let ready = loop {
            if let Some(answer) = http_get(port, "/ready") {
                break answer;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
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
            http_get(port, "/health").is_none(),
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_msp"))
        .args(["--db", &db, "serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while http_get(port, "/ready").is_none_or(|a| !a.starts_with("HTTP/1.1 200")) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let search = http_get(port, "/api/psychologues?q=Lyon&par_page=1").unwrap();
    let body = &search[search.find("\r\n\r\n").unwrap() + 4..];
    let body = &body[body.find('{').unwrap()..body.rfind('}').unwrap() + 1];
    let j: serde_json::Value = serde_json::from_str(body).unwrap();
    let rpps = j["resultats"][0]["rpps"].as_str().unwrap().to_owned();
    let card = format!("/psychologues/{rpps}");
    assert!(http_get(port, &card).unwrap().starts_with("HTTP/1.1 200"));
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
        if http_get(port, &card).is_some_and(|a| a.starts_with("HTTP/1.1 404")) {
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
    let fhir = http_get(port, &format!("/fhir/Practitioner/{rpps}")).unwrap();
    assert!(fhir.starts_with("HTTP/1.1 404"), "{fhir}");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
