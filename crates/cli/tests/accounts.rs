//! `msp create-admin`, `msp expire-applications` and `msp import rpps-extract`, on both engines.

use msp_store::testing;
use std::io::Write;
use std::process::{Command, Stdio};

fn msp(db: &str, args: &[&str], env: &[(&str, &str)], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_msp"))
        .arg("--db")
        .arg(db)
        .args(args)
        .envs(env.iter().copied())
        .env_remove("MSP_ADMIN_PASSWORD")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run msp");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const HEADER: &str = "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|Libellé civilité d'exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|Code profession|Libellé profession|Code catégorie professionnelle|Libellé catégorie professionnelle|Code type savoir-faire|Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|Numéro FINESS établissement juridique|Identifiant technique de la structure|Raison sociale site|Enseigne commerciale site|Complément destinataire (coord. structure)|Complément point géographique (coord. structure)|Numéro Voie (coord. structure)|Indice répétition voie (coord. structure)|Code type de voie (coord. structure)|Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|Mention distribution (coord. structure)|Bureau cedex (coord. structure)|Code postal (coord. structure)|Code commune (coord. structure)|Libellé commune (coord. structure)|Code pays (coord. structure)|Libellé pays (coord. structure)|Téléphone (coord. structure)|Téléphone 2 (coord. structure)|Télécopie (coord. structure)|Adresse e-mail (coord. structure)|Code Département (structure)|Libellé Département (structure)|Ancien identifiant de la structure|Autorité d'enregistrement|Code secteur d'activité|Libellé secteur d'activité|Code section tableau pharmaciens|Libellé section tableau pharmaciens|";

fn row(id: &str, last: &str, prof: &str, mode: &str, commune: &str) -> String {
    let n = HEADER.split('|').count() - 1;
    let mut cells = vec![String::new(); n];
    cells[0] = "8".into();
    cells[1] = id.into();
    cells[7] = last.into();
    cells[8] = "Camille".into();
    cells[9] = prof.into();
    cells[17] = mode.into();
    cells[36] = commune.into();
    format!("{}|", cells.join("|"))
}

fn rpps(seed: u32) -> String {
    let partial = format!("{:010}", 1_000_000_000 + seed);
    format!("{partial}{}", msp_domain::ids::luhn_complete(&partial))
}

#[test]
fn create_admin_expire_and_rpps_extract_on_both_engines() {
    for t in testing::all() {
        let db = t.url.as_str();
        // create-admin: from the environment, then from stdin; a short password is refused.
        let o = msp(
            db,
            &["create-admin", "--email", "Admin@Example.org"],
            &[("MSP_ADMIN_PASSWORD", "un mot de passe solide")],
            "",
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let o = msp(
            db,
            &["create-admin", "--email", "admin2@example.org"],
            &[],
            "court\n",
        );
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("12 caractères"), "{}", stderr(&o));
        let o = msp(
            db,
            &["create-admin", "--email", "admin2@example.org"],
            &[],
            "un autre mot de passe\n",
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let o = msp(
            db,
            &["create-admin", "--email", "admin@example.org"],
            &[("MSP_ADMIN_PASSWORD", "un mot de passe solide")],
            "",
        );
        assert_eq!(o.status.code(), Some(1), "duplicate refused");
        let mut conn = t.connect();
        assert_eq!(msp_store::accounts::count_admins(&mut conn).unwrap(), 2);

        // rpps-extract: good rows kept, bad rows reported (exit 2); a bad header: exit 1.
        let dir = tempfile::tempdir().unwrap();
        let file = dir
            .path()
            .join("PS_LibreAcces_Personne_activite_202611.txt");
        let text = [
            HEADER.to_owned(),
            row(&rpps(1), "MARTIN", "93", "L", "69123"),
            row(&rpps(1), "MARTIN", "93", "S", "75056"),
            row(&rpps(2), "DURAND", "10", "L", "75056"),
            row("123", "FAUX", "93", "L", ""),
        ]
        .join("\n");
        std::fs::write(&file, text).unwrap();
        let f = file.display().to_string();
        let o = msp(db, &["import", "rpps-extract", &f], &[], "");
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("ligne 5"), "{}", stderr(&o));
        let row = conn
            .query_one(
                "SELECT practice_mode, commune_insee, profession_code FROM registry",
                &[],
            )
            .unwrap();
        assert_eq!(
            (
                row.text(0).unwrap(),
                row.text(1).unwrap(),
                row.text(2).unwrap()
            ),
            ("M", "69123", "93"),
            "{}",
            t.label
        );
        std::fs::write(&file, "Identifiant PP|Nom d'exercice|\n").unwrap();
        let o = msp(db, &["import", "rpps-extract", &f], &[], "");
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("Code mode exercice"), "{}", stderr(&o));

        // expire-applications: a file complete on 2026-01-15 is due by 2026-05-15.
        conn.execute(
            "INSERT INTO applications (account_id, status, complete_on, created_at, updated_at)
             VALUES (1, 'deposee', $1, $2, $2)",
            &[
                jiff::civil::date(2026, 1, 15).into(),
                jiff::Timestamp::now().into(),
            ],
        )
        .unwrap();
        let o = msp(
            db,
            &["expire-applications", "--as-of", "2026-05-15"],
            &[],
            "",
        );
        assert!(
            o.status.success() && stderr(&o).contains("Aucune"),
            "{}",
            stderr(&o)
        );
        let o = msp(
            db,
            &["expire-applications", "--as-of", "2026-05-16"],
            &[],
            "",
        );
        assert!(
            stderr(&o).contains("1 candidature(s) refusée(s)"),
            "{}",
            stderr(&o)
        );
        let row = conn
            .query_one("SELECT status, decision_reason FROM applications", &[])
            .unwrap();
        assert_eq!(row.text(0).unwrap(), "refusee");
        assert!(row.text(1).unwrap().contains("le silence vaut rejet"));
    }
}

/// `msp rotate-patient-key` (issue 11): a new secret, the old one kept under a dated name, the
/// references the server makes change.
#[test]
fn rotate_patient_key_on_both_engines() {
    let key = |t: &testing::TestDb| {
        t.connect()
            .query_opt(
                "SELECT value FROM server_secrets WHERE name = 'patient_ref_key'",
                &[],
            )
            .unwrap()
            .map(|r| r.string(0).unwrap())
    };
    for t in testing::all() {
        let db = t.url.as_str();
        // First start of a server: the secret is made.
        let pool = msp_store::open_pool(db, 1).unwrap();
        let nir = msp_domain::Nir::parse("206127511100564").unwrap();
        let before = msp_web::AppState::new(pool, Default::default())
            .unwrap()
            .patient_ref(&nir);
        let first = key(&t).expect("secret made at first start");
        let o = msp(db, &["rotate-patient-key"], &[], "");
        assert!(o.status.success(), "{}: {}", t.label, stderr(&o));
        assert!(stderr(&o).contains("Redémarrez"), "{}", stderr(&o));
        let second = key(&t).unwrap();
        assert_ne!(first, second, "{}", t.label);
        let kept = t
            .connect()
            .query_one(
                "SELECT value FROM server_secrets WHERE name LIKE 'patient_ref_key:ancienne:%'",
                &[],
            )
            .unwrap()
            .string(0)
            .unwrap();
        assert_eq!(kept, first, "the old secret is kept");
        let pool = msp_store::open_pool(db, 1).unwrap();
        let after = msp_web::AppState::new(pool, Default::default())
            .unwrap()
            .patient_ref(&nir);
        assert_ne!(before, after, "{}", t.label);
    }
}
