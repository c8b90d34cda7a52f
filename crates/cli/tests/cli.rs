//! End-to-end tests of the `msp` binary on SQLite and PostgreSQL.

use msp_store::testing::{self, TestDb};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn msp(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_msp"))
        .arg("--db")
        .arg(&db.url)
        .args(args)
        .output()
        .expect("run msp")
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples")
}

fn sample(name: &str) -> String {
    samples().join(name).display().to_string()
}

fn import_samples(db: &TestDb) {
    for (kind, file) in [
        ("registry", "registry.csv"),
        ("conventions", "conventions.csv"),
        ("suspensions", "suspensions.csv"),
        ("beneficiaries", "beneficiaries.csv"),
        ("exclusions", "exclusions.csv"),
    ] {
        let out = msp(db, &["import", kind, &sample(file)]);
        assert!(
            out.status.success(),
            "{} import {kind}: {}",
            db.label,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn count(db: &TestDb, table: &str) -> i64 {
    msp_store::reference::count(&mut db.connect(), table).unwrap()
}

#[test]
fn sample_batch_gives_the_same_decisions_on_both_engines() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for db in testing::all() {
        import_samples(&db);
        let before = count(&db, "beneficiaries");
        import_samples(&db);
        assert_eq!(
            count(&db, "beneficiaries"),
            before,
            "{}: importing twice changes nothing",
            db.label
        );
        let out_path = dir.path().join(format!("decisions-{}.csv", db.label));
        let out = msp(
            &db,
            &[
                "adjudicate",
                &sample("claims.csv"),
                "--out",
                out_path.to_str().unwrap(),
            ],
        );
        assert!(
            out.status.success(),
            "{}: {}",
            db.label,
            String::from_utf8_lossy(&out.stderr)
        );
        let summary = String::from_utf8_lossy(&out.stderr);
        assert!(summary.contains("acceptées"), "summary: {summary}");
        let text = std::fs::read_to_string(&out_path).unwrap();
        assert!(text.starts_with("claim_id,status,reason,rank,tariff_cents,amo_cents,amo_payee,"));
        // A second run repeats every decision unchanged and stores nothing new.
        let claims_before = count(&db, "claims");
        let again_path = dir.path().join(format!("again-{}.csv", db.label));
        let again = msp(
            &db,
            &[
                "adjudicate",
                &sample("claims.csv"),
                "--out",
                again_path.to_str().unwrap(),
            ],
        );
        assert!(again.status.success());
        assert_eq!(
            std::fs::read_to_string(&again_path).unwrap(),
            text,
            "{}",
            db.label
        );
        assert_eq!(count(&db, "claims"), claims_before);
        outputs.push(text);
    }
    assert!(
        outputs.windows(2).all(|w| w[0] == w[1]),
        "SQLite and PostgreSQL disagree"
    );
    let expected = std::fs::read_to_string(samples().join("expected_decisions.csv")).unwrap();
    assert_eq!(
        outputs[0], expected,
        "decisions differ from the hand-checked samples/expected_decisions.csv"
    );
}

#[test]
fn unreadable_rows_are_reported_and_the_others_judged() {
    let dir = tempfile::tempdir().unwrap();
    let claims = dir.path().join("claims.csv");
    std::fs::write(
        &claims,
        "claim_id,received_date,rpps,nir,session_date,act,amount,context,tiers_payant,referral_date,referrer_id,referrer_kind\n\
         ok1,2024-07-02,10000000009,206127511100564,2024-07-01,EEP,50.00,maladie,0,,,\n\
         bad1,2024-07-02,10000000009,206127511100565,2024-07-01,EEP,50.00,maladie,0,,,\n\
         bad2,2024-07-02,10000000009,206127511100564,2024-07-01,XYZ,50.00,maladie,0,,,\n\
         bad3,2024-07-02,10000000009,206127511100564,2024-02-30,EEP,50.00,maladie,0,,,\n\
         bad4,2024-07-02,10000000009,206127511100564,2024-07-01,EEP,50.001,maladie,0,,,\n",
    )
    .unwrap();
    for db in testing::all() {
        let errors = dir.path().join(format!("errors-{}.csv", db.label));
        let out_path = dir.path().join(format!("out-{}.csv", db.label));
        let out = msp(
            &db,
            &[
                "adjudicate",
                claims.to_str().unwrap(),
                "--out",
                out_path.to_str().unwrap(),
                "--errors",
                errors.to_str().unwrap(),
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}: {}",
            db.label,
            String::from_utf8_lossy(&out.stderr)
        );
        let report = std::fs::read_to_string(&errors).unwrap();
        let lines: Vec<&str> = report.lines().collect();
        assert_eq!(lines[0], "line,column,message");
        assert_eq!(lines.len(), 5, "{report}");
        assert!(
            lines[1].starts_with("3,nir,") && lines[1].contains("clé"),
            "{report}"
        );
        assert!(lines[2].starts_with("4,act,"), "{report}");
        assert!(lines[3].starts_with("5,session_date,"), "{report}");
        assert!(lines[4].starts_with("6,amount,"), "{report}");
        let decisions = std::fs::read_to_string(&out_path).unwrap();
        assert_eq!(decisions.lines().count(), 2, "{decisions}");
        assert!(
            decisions
                .lines()
                .nth(1)
                .unwrap()
                .starts_with("ok1,rejected,"),
            "unknown patient: {decisions}"
        );
    }
}

#[test]
fn an_unreadable_file_judges_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let claims = dir.path().join("claims.csv");
    std::fs::write(&claims, "claim_id,received_date,rpps,nir,session_date,act,amount,colour\nx,2024-07-02,1,2,2024-07-01,EEP,50.00,red\n").unwrap();
    for db in testing::all() {
        let out = msp(&db, &["adjudicate", claims.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", db.label);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("colour") && stderr.contains("context"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty());
        assert_eq!(count(&db, "claims"), 0);
        let missing = msp(
            &db,
            &["import", "beneficiaries", "/nonexistent/beneficiaries.csv"],
        );
        assert_eq!(missing.status.code(), Some(1));
    }
}

/// Kills the real process at several points of a large batch, then finishes the work, and
/// compares with an uninterrupted run: nothing lost, nothing paid twice.
#[test]
fn killing_a_batch_midway_loses_nothing_and_pays_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input");
    let synth = Command::new(env!("CARGO_BIN_EXE_msp"))
        .args([
            "synth",
            "--seed",
            "7",
            "--psychologists",
            "300",
            "--patients",
            "6000",
            "--claims",
            "60000",
            "--out",
        ])
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        synth.status.success(),
        "{}",
        String::from_utf8_lossy(&synth.stderr)
    );
    let claims = input.join("claims.csv");
    let import_all = |db: &TestDb| {
        for kind in [
            "registry",
            "conventions",
            "suspensions",
            "beneficiaries",
            "exclusions",
        ] {
            let out = msp(
                db,
                &[
                    "import",
                    kind,
                    input.join(format!("{kind}.csv")).to_str().unwrap(),
                ],
            );
            assert!(
                out.status.code() == Some(0),
                "{kind}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    for (reference, victim) in testing::all().into_iter().zip(testing::all()) {
        import_all(&reference);
        import_all(&victim);
        let expected_path = dir.path().join(format!("expected-{}.csv", reference.label));
        let started = Instant::now();
        let out = msp(
            &reference,
            &[
                "adjudicate",
                claims.to_str().unwrap(),
                "--out",
                expected_path.to_str().unwrap(),
            ],
        );
        let full = started.elapsed();
        assert!(
            matches!(out.status.code(), Some(0 | 2)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        let mut killed = 0;
        for fraction in [0.5, 0.8, 0.95] {
            let mut child = Command::new(env!("CARGO_BIN_EXE_msp"))
                .arg("--db")
                .arg(&victim.url)
                .args(["adjudicate", claims.to_str().unwrap(), "--out"])
                .arg(dir.path().join("victim.csv"))
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(full.mul_f64(fraction));
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap(); // SIGKILL: no clean-up runs
                killed += 1;
            }
            child.wait().unwrap();
            // Either the whole batch is there or none of it.
            let stored = count(&victim, "claims");
            assert!(
                stored == 0 || stored == count(&reference, "claims"),
                "{}: half a batch ({stored} claims)",
                victim.label
            );
            if stored != 0 {
                break;
            }
        }
        assert!(
            killed > 0,
            "{}: the batch always finished before the kill; make it larger",
            victim.label
        );
        let after_path = dir.path().join(format!("after-{}.csv", victim.label));
        let out = msp(
            &victim,
            &[
                "adjudicate",
                claims.to_str().unwrap(),
                "--out",
                after_path.to_str().unwrap(),
            ],
        );
        assert!(matches!(out.status.code(), Some(0 | 2)));
        assert_eq!(
            std::fs::read_to_string(&after_path).unwrap(),
            std::fs::read_to_string(&expected_path).unwrap(),
            "{}: decisions after kills differ from an uninterrupted run",
            victim.label
        );
        for table in ["claims", "accepted_sessions", "patient_years"] {
            assert_eq!(
                count(&victim, table),
                count(&reference, table),
                "{}: {table}",
                victim.label
            );
        }
        // The summaries are folded inside the batch's transaction: killed with it, redone once.
        let totals = |db: &TestDb| {
            let mut c = msp_store::Db::connect(&db.url).unwrap();
            let r = c
                .query_one(
                    "SELECT CAST(SUM(sessions) AS BIGINT), CAST(SUM(new_patients) AS BIGINT), CAST(SUM(amo_cents) AS BIGINT),
                     (SELECT COUNT(*) FROM stats_patients) FROM stats_days",
                    &[],
                )
                .unwrap();
            let v: Vec<i64> = (0..4).map(|i| r.int(i).unwrap()).collect();
            v
        };
        assert_eq!(
            totals(&victim),
            totals(&reference),
            "{}: summaries",
            victim.label
        );
        assert_eq!(
            totals(&victim)[0],
            count(&victim, "accepted_sessions"),
            "{}: every accepted session summarised once",
            victim.label
        );
        assert!(full < Duration::from_secs(600));
    }
}
