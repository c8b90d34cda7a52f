//! `msp serve` as a real process (issue 13): the demo directory goes only into an unused
//! database, and a server that cannot listen writes nothing.

use msp_store::testing::{self, TestDb};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn msp(db: &TestDb) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_msp"));
    c.arg("--db").arg(&db.url);
    c
}

fn count(db: &TestDb, table: &str) -> i64 {
    msp_store::reference::count(&mut db.connect(), table).unwrap()
}

fn import_samples(db: &TestDb) {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples");
    for kind in ["registry", "conventions", "beneficiaries"] {
        let out = msp(db)
            .args(["import", kind])
            .arg(samples.join(format!("{kind}.csv")))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Starts `msp serve` on a free port, waits until it listens, returns what it printed, stops it.
fn serve_until_listening(db: &TestDb) -> String {
    let mut child = msp(db)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(line) => {
                seen.push_str(&line);
                seen.push('\n');
                if line.contains("Annuaire disponible sur http://") {
                    break;
                }
            }
            Err(_) => {
                let _ = child.kill();
                panic!("{}: the server never listened:\n{seen}", db.label);
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    seen
}

#[test]
fn the_demo_goes_only_into_an_unused_database() {
    for db in testing::all() {
        import_samples(&db);
        let before = count(&db, "registry");
        assert!(before > 0);
        let printed = serve_until_listening(&db);
        assert_eq!(
            count(&db, "registry"),
            before,
            "{}: demo psychologists written into imported data\n{printed}",
            db.label
        );
        assert!(!printed.contains("démonstration"), "{printed}");

        let empty = if db.label == "sqlite" {
            testing::sqlite()
        } else {
            testing::postgres().unwrap()
        };
        let printed = serve_until_listening(&empty);
        assert!(
            count(&empty, "registry") >= 300,
            "{}: an unused database gets the demo\n{printed}",
            empty.label
        );
        assert!(
            printed.contains("300\u{a0}psychologues fictifs"),
            "{printed}"
        );
    }
}

#[test]
fn a_busy_port_writes_nothing_and_says_so_in_french() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    for db in testing::all() {
        let out = msp(&db).args(["serve", "--addr", &addr]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {stderr}", db.label);
        assert!(
            stderr.contains(&format!("l’adresse {addr} est déjà utilisée")),
            "{}: {stderr}",
            db.label
        );
        assert!(!stderr.contains("Address"), "{stderr}");
        for table in ["registry", "conventions", "claims"] {
            assert_eq!(count(&db, table), 0, "{}: {table} written", db.label);
        }
    }
}
