//! Issue 13: the command line speaks French, names the files given, keeps NIRs out of its
//! reports, checks its output paths before committing, and never exits 2 on a usage error.
//! Every test runs the real binary.

use msp_store::testing::{self, TestDb};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_msp"))
        .args(args)
        .env_remove("MSP_DB")
        .output()
        .expect("run msp")
}

fn msp(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_msp"))
        .arg("--db")
        .arg(&db.url)
        .args(args)
        .output()
        .expect("run msp")
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples")
}

fn count(db: &TestDb, table: &str) -> i64 {
    msp_store::reference::count(&mut db.connect(), table).unwrap()
}

const ENGLISH: [&str; 12] = [
    "Usage",
    "Print help",
    "Print version",
    "[default",
    "[possible values",
    "[env",
    "[alias",
    "Options:",
    "Arguments:",
    "Commands:",
    "error:",
    "failed to parse",
];

const SUBCOMMANDS: [&str; 13] = [
    "import",
    "adjudicate",
    "serve",
    "demo",
    "demo-comptes",
    "stats",
    "compare",
    "synth",
    "create-admin",
    "expire-applications",
    "bench",
    "controle-visio",
    "rotate-patient-key",
];

#[test]
fn every_help_is_in_french() {
    let root = run(&["--aide"]);
    assert_eq!(root.status.code(), Some(0));
    for sub in SUBCOMMANDS {
        assert!(
            out(&root).contains(&format!("  {sub} ")),
            "{sub}: {}",
            out(&root)
        );
    }
    let mut helps = vec![("msp".to_owned(), out(&root))];
    for sub in SUBCOMMANDS {
        for flag in ["--aide", "-h", "--help"] {
            let o = run(&[sub, flag]);
            assert_eq!(o.status.code(), Some(0), "{sub} {flag}: {}", err(&o));
            helps.push((format!("{sub} {flag}"), out(&o)));
        }
    }
    for (what, help) in &helps {
        assert!(help.contains("Utilisation : msp"), "{what}: {help}");
        assert!(help.contains("Options :"), "{what}: {help}");
        for english in ENGLISH {
            assert!(!help.contains(english), "{what}: « {english} » in\n{help}");
        }
    }
    let help = |sub: &str| out(&run(&[sub, "--aide"]));
    assert!(
        help("serve").contains("Adresse IP et port"),
        "{}",
        help("serve")
    );
    assert!(help("serve").contains("par défaut : 127.0.0.1:8080"));
    assert!(help("demo").contains("Graine"), "{}", help("demo"));
    assert!(help("synth").contains("Graine"), "{}", help("synth"));
    assert!(help("create-admin").contains("Adresse électronique"));
    let stats = help("stats");
    assert!(!stats.contains("quand les comptes existeront"), "{stats}");
    assert!(stats.contains("valeurs : json, csv, html"), "{stats}");
    // Every option and argument line carries a description.
    for (what, help) in &helps {
        let lines: Vec<&str> = help.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            let is_item = (t.starts_with('-') || t.starts_with('<')) && line.starts_with("  ");
            if !is_item {
                continue;
            }
            let described = t.split("  ").filter(|p| !p.trim().is_empty()).count() > 1
                || lines
                    .get(i + 1)
                    .is_some_and(|n| n.starts_with("          "));
            assert!(described, "{what}: no description for « {t} »\n{help}");
        }
    }
}

#[test]
fn usage_errors_are_french_and_exit_1() {
    for (args, expected) in [
        (
            vec!["stats", "--as-of", "2024-13-01"],
            "valeur « 2024-13-01 » invalide pour --as-of",
        ),
        (
            vec!["stats", "--format", "xml"],
            "valeurs possibles json, csv, html",
        ),
        (
            vec!["serve", "--addr", "localhost"],
            "adresse IP et port attendus",
        ),
        (
            vec!["synth", "--seed", "abc", "--out", "x"],
            "nombre entier positif attendu",
        ),
        (vec!["imprt"], "commande « imprt » inconnue"),
        (vec!["serve", "--adr", "x"], "option « --adr » inconnue"),
        (vec!["import", "registry"], "argument obligatoire manquant"),
        (
            vec!["import", "patients", "x.csv"],
            "valeur « patients » invalide",
        ),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", err(&o));
        let e = err(&o);
        assert!(e.starts_with("erreur : "), "{args:?}: {e}");
        assert!(e.contains(expected), "{args:?}: {e}");
        assert!(e.contains("--aide"), "{args:?}: {e}");
        for english in ENGLISH {
            assert!(!e.contains(english), "{args:?}: « {english} » in {e}");
        }
    }
    // No command at all: the help, on stderr, and nothing done.
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("Utilisation : msp"), "{}", err(&o));
}

#[test]
fn files_and_servers_are_named_in_french() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let missing = dir.path().join("absent.csv");
    let o = run(&["--db", &db, "import", "registry", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains(&format!(
            "{} : fichier ou répertoire introuvable",
            missing.display()
        )),
        "{}",
        err(&o)
    );
    assert!(!err(&o).contains("os error"), "{}", err(&o));

    let png = dir.path().join("photo.png");
    std::fs::write(
        &png,
        [
            0x89, b'P', b'N', b'G', 13, 10, 26, 10, 0, 0, 0, 13, 0xff, 0xfe, 10,
        ],
    )
    .unwrap();
    let o = run(&["--db", &db, "adjudicate", png.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains(&format!("{} : ligne d’en-tête illisible", png.display())),
        "{}",
        err(&o)
    );
    assert!(!err(&o).contains("claims.csv"), "{}", err(&o));

    let o = run(&["--db", "sqlite:///nonexistent/dir/x.db", "stats"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("base SQLite /nonexistent/dir/x.db"),
        "{}",
        err(&o)
    );

    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://msp:motdepasse-secret@127.0.0.1:{port}/msp");
    let o = run(&["--db", &url, "stats"]);
    assert_eq!(o.status.code(), Some(1));
    let e = err(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains(&format!("PostgreSQL 127.0.0.1:{port}")), "{e}");
    assert!(e.contains("connexion refusée"), "{e}");
    assert!(!e.contains("motdepasse-secret"), "{e}");
    assert!(!e.contains("error connecting"), "{e}");
}

#[test]
fn synth_summarises_in_french() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&[
        "synth",
        "--seed",
        "3",
        "--psychologists",
        "20",
        "--patients",
        "200",
        "--claims",
        "1000",
        "--out",
    ]
    .into_iter()
    .chain([dir.path().to_str().unwrap()])
    .collect::<Vec<_>>());
    assert!(o.status.success(), "{}", err(&o));
    let e = err(&o);
    assert!(!e.contains("SynthSummary") && !e.contains('{'), "{e}");
    assert!(e.contains("1\u{202f}000\u{a0}demandes"), "{e}");
    assert!(e.contains("20\u{a0}conventions"), "{e}");
    assert!(!e.contains("0.0"), "decimal comma: {e}");
}

fn import_samples(db: &TestDb) {
    for kind in [
        "registry",
        "conventions",
        "suspensions",
        "beneficiaries",
        "exclusions",
    ] {
        let o = msp(
            db,
            &[
                "import",
                kind,
                samples().join(format!("{kind}.csv")).to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", err(&o));
        assert!(err(&o).contains("importée"), "{}", err(&o));
    }
}

#[test]
fn adjudicate_checks_its_output_paths_before_committing() {
    let claims = samples().join("claims.csv");
    for db in testing::all() {
        import_samples(&db);
        for flag in ["--out", "--errors"] {
            let o = msp(
                &db,
                &[
                    "adjudicate",
                    claims.to_str().unwrap(),
                    flag,
                    "/nonexistent/x.csv",
                ],
            );
            assert_eq!(o.status.code(), Some(1), "{}: {}", db.label, err(&o));
            assert!(
                err(&o).contains("erreur : /nonexistent/x.csv : "),
                "{}",
                err(&o)
            );
            assert_eq!(
                count(&db, "claims"),
                0,
                "{}: {flag} committed the batch",
                db.label
            );
        }
        let o = msp(
            &db,
            &[
                "import",
                "registry",
                samples().join("registry.csv").to_str().unwrap(),
                "--errors",
                "/nonexistent/e.csv",
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    }
}

/// A NIR typed into the wrong columns, plain or with separators: neither the errors report nor
/// stderr shows it; a claim id a spreadsheet would run is neutralised, and a re-run repeats it.
#[test]
fn nirs_are_masked_and_formulas_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let claims = dir.path().join("claims.csv");
    std::fs::write(
        &claims,
        "claim_id,received_date,rpps,nir,session_date,act,amount,context,tiers_payant,referral_date,referrer_id,referrer_kind\n\
         \"=HYPERLINK(\"\"http://x.example\"\",\"\"y\"\")\",2024-07-02,10000000009,206127511100564,2024-07-01,EEP,50.00,maladie,0,,,\n\
         c2,2024-07-02,10000000009,206127511100564,2024-07-01,185057500100117,50.00,maladie,0,,,\n\
         c3,2024-07-02,10000000009,206127511100564,2024-07-01,EEP,50.00,1-85-05-75-001-001-17,0,,,\n\
         c4,2024-07-02,10000000009,206127511100564,2024-07-01,EEP,50.00,maladie,1.85.05.75.001.001.17,,,\n",
    )
    .unwrap();
    for db in testing::all() {
        let errors = dir.path().join(format!("errors-{}.csv", db.label));
        let decisions = dir.path().join(format!("decisions-{}.csv", db.label));
        let args = [
            "adjudicate",
            claims.to_str().unwrap(),
            "--out",
            decisions.to_str().unwrap(),
            "--errors",
            errors.to_str().unwrap(),
        ];
        let o = msp(&db, &args);
        assert_eq!(o.status.code(), Some(2), "{}: {}", db.label, err(&o));
        let report = std::fs::read_to_string(&errors).unwrap();
        assert_eq!(report.lines().count(), 4, "{report}");
        let without_stderr_report = msp(&db, &["adjudicate", claims.to_str().unwrap()]);
        for text in [report.clone(), err(&o), err(&without_stderr_report)] {
            let figures: String = text.chars().filter(char::is_ascii_digit).collect();
            assert!(!figures.contains("18505750010011"), "{}: {text}", db.label);
            assert!(
                !text.contains("85-05-75") && !text.contains("85.05.75"),
                "{text}"
            );
        }
        assert!(report.contains("masquée"), "{report}");
        let written = std::fs::read_to_string(&decisions).unwrap();
        let row = written.lines().nth(1).unwrap();
        assert!(row.starts_with("\"'=HYPERLINK("), "{written}");
        // A second run finds the claim judged before and repeats its decision.
        let again = dir.path().join(format!("again-{}.csv", db.label));
        let o = msp(
            &db,
            &[
                "adjudicate",
                claims.to_str().unwrap(),
                "--out",
                again.to_str().unwrap(),
            ],
        );
        assert_eq!(o.status.code(), Some(2));
        assert!(
            err(&o).contains(
                "1\u{a0}demande lue (1\u{a0}déjà jugée auparavant), 3\u{a0}lignes illisibles"
            ),
            "{}",
            err(&o)
        );
        assert_eq!(std::fs::read_to_string(&again).unwrap(), written);
        assert_eq!(count(&db, "claims"), 1, "{}", db.label);
    }
}

/// `msp controle-visio --annee 2025` lists the psychologist above 20 % of PSS sessions that
/// year, with the counts, on both engines; 2024 lists nobody.
#[test]
fn controle_visio_lists_psychologists_above_the_remote_share() {
    let dir = tempfile::tempdir().unwrap();
    let claims = dir.path().join("claims.csv");
    let mut text = String::from(
        "claim_id,received_date,rpps,nir,session_date,act,amount,context,tiers_payant,referral_date,referrer_id,referrer_kind\n",
    );
    for (i, (rpps, nir, acts)) in [
        (
            "10000001015",
            "285057505612338",
            ["EEP", "PSS", "PSS", "APS", "PSS"],
        ),
        (
            "10000001023",
            "178086912304567",
            ["EEP", "APS", "APS", "APS", "PSS"],
        ),
    ]
    .into_iter()
    .enumerate()
    {
        for (week, act) in acts.into_iter().enumerate() {
            let day = jiff::civil::date(2025, 1, 6) + jiff::Span::new().weeks(week as i64);
            text.push_str(&format!(
                "v{i}{week},2025-03-01,{rpps},{nir},{day},{act},50.00,maladie,0,,,\n"
            ));
        }
    }
    std::fs::write(&claims, text).unwrap();
    for db in testing::all() {
        import_samples(&db);
        let o = msp(&db, &["adjudicate", claims.to_str().unwrap()]);
        assert!(o.status.success(), "{}", err(&o));
        let o = msp(&db, &["controle-visio", "--annee", "2025"]);
        assert!(o.status.success(), "{}: {}", db.label, err(&o));
        assert_eq!(
            out(&o),
            "rpps,last_name,first_name,sessions,remote_sessions,remote_share_percent\n\
             10000001015,Lefèvre,Claire,5,3,60.00\n",
            "{}",
            db.label
        );
        assert!(
            err(&o).contains("1\u{a0}psychologue au-delà de 20\u{a0}%"),
            "{}",
            err(&o)
        );
        let file = dir.path().join(format!("visio-{}.csv", db.label));
        let o = msp(
            &db,
            &[
                "controle-visio",
                "--annee",
                "2024",
                "--out",
                file.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", err(&o));
        assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 1);
        let o = msp(&db, &["controle-visio", "--annee", "25"]);
        assert_eq!(o.status.code(), Some(1));
        assert!(err(&o).contains("année sur 4 chiffres"), "{}", err(&o));
    }
}
