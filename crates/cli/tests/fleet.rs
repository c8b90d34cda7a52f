//! A fleet: two real `msp serve` on one PostgreSQL database behind a real nginx (Debian's
//! package, installed by scripts/ensure-nginx.sh), round robin. Through the proxy: a sign-in
//! on one server is honoured by the other; 20 concurrent recordings of a patient's 12th session
//! spread over both servers give exactly one acceptance; a rolling restart (SIGTERM one server,
//! start it again) loses no request, the proxy retrying the other server.

mod common;

use common::{Reply, free_port, request, start_server, stop};
use msp_domain::Role;
use msp_store::accounts::{self, NewAccount};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn start_nginx(dir: &Path, port: u16, upstreams: [u16; 2]) -> Child {
    for d in ["body", "proxy", "fastcgi", "uwsgi", "scgi"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    let d = dir.display();
    let conf = format!(
        "worker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 512; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
           upstream msp {{ server 127.0.0.1:{a} max_fails=1 fail_timeout=1s; server 127.0.0.1:{b} max_fails=1 fail_timeout=1s; }}\n\
           server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      proxy_pass http://msp;\n\
               proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n\
               proxy_set_header X-Forwarded-For $remote_addr;\n\
               proxy_next_upstream error timeout http_502 http_503 non_idempotent;\n\
               add_header X-Upstream $upstream_addr always;\n    }}\n  }}\n}}\n",
        a = upstreams[0],
        b = upstreams[1],
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    let nginx = if Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else {
        "nginx"
    };
    let child = Command::new(nginx)
        .args(["-p", &d.to_string(), "-c", path.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("nginx cannot start ({e}): run scripts/ensure-nginx.sh"));
    let started = Instant::now();
    while request(port, "GET", "/health", None, None).is_none_or(|r| r.status != 200) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "nginx not answering"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

const NIR: &str = "290017511100144";
const BIRTH: &str = "1990-01-01";

fn session_json(date: &str, act: &str) -> String {
    format!(
        r#"{{"nir":"{NIR}","date_naissance":"{BIRTH}","date_seance":"{date}","acte":"{act}","consentement":true}}"#
    )
}

#[test]
fn two_servers_behind_nginx_act_as_one() {
    let Some(db) = msp_store::testing::postgres() else {
        return;
    };
    let mut conn = db.connect();
    // A conventioned psychologist with a password account, and an insured patient.
    let rpps = "10000001015";
    let password = "mot-de-passe-de-flotte";
    let hash = msp_web::security::hash_password_blocking(password).unwrap();
    let account = accounts::create_account(
        &mut conn,
        &NewAccount {
            email: "psy@flotte.test",
            password_hash: &hash,
            role: Role::Psychologue,
            display_name: "Psy Flotte",
            territory: None,
            created_by: "test",
        },
        jiff::Timestamp::now(),
    )
    .unwrap();
    for (sql, params) in [
        (
            "INSERT INTO registry (rpps, last_name, first_name, profession_code, practice_mode, commune_insee) VALUES ($1, 'FLOTTE', 'Psy', '93', 'L', '69382')",
            vec![rpps.into()],
        ),
        (
            "INSERT INTO applications (account_id, status, rpps, created_at, updated_at) VALUES ($1, 'acceptee', $2, $3, $3)",
            vec![account.into(), rpps.into(), jiff::Timestamp::now().into()],
        ),
        (
            "INSERT INTO conventions (rpps, start_date, end_date, cpam) VALUES ($1, $2, NULL, '69')",
            vec![rpps.into(), jiff::civil::date(2024, 1, 1).into()],
        ),
        (
            "INSERT INTO beneficiaries (nir, birth_date, sex, regime, rights_from, amc_id, noemie) VALUES ($1, $2, 'F', 'general', $3, 'MUT1', 1)",
            vec![
                NIR.into(),
                jiff::civil::date(1990, 1, 1).into(),
                jiff::civil::date(2020, 1, 1).into(),
            ],
        ),
    ] {
        conn.execute(sql, &params).unwrap();
    }
    drop(conn);
    let dir = tempfile::tempdir().unwrap();
    let (p1, p2, px) = (free_port(), free_port(), free_port());
    let mut servers = [
        start_server(&db.url, p1, &["--no-demo"], Stdio::null()),
        start_server(&db.url, p2, &["--no-demo"], Stdio::null()),
    ];
    let mut nginx = start_nginx(dir.path(), px, [p1, p2]);

    // Sign in through the proxy; the session works whichever server answers.
    let signed = request(
        px,
        "POST",
        "/api/connexion",
        None,
        Some(&format!(
            r#"{{"email":"psy@flotte.test","mot_de_passe":"{password}"}}"#
        )),
    )
    .unwrap();
    assert_eq!(signed.status, 200, "{}", signed.body);
    let cookie = signed
        .headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .find_map(|(_, v)| v.strip_prefix("msp_session="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    let mut answered_by = BTreeSet::new();
    for _ in 0..6 {
        let r = request(px, "GET", "/api/seances", Some(&cookie), None).unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        answered_by.insert(r.header("x-upstream").unwrap_or("").to_owned());
    }
    assert_eq!(
        answered_by.len(),
        2,
        "both servers answered: {answered_by:?}"
    );

    // Eleven sessions, then twenty concurrent attempts at the twelfth over both servers.
    let year = jiff::Zoned::now().year();
    for i in 0..11 {
        let date = format!("{year}-01-{:02}", i + 2);
        let r = request(
            px,
            "POST",
            "/api/seances",
            Some(&cookie),
            Some(&session_json(&date, if i == 0 { "EEP" } else { "APS" })),
        )
        .unwrap();
        assert_eq!(r.status, 201, "{}", r.body);
        assert!(
            r.body.contains("\"statut\":\"acceptee\""),
            "{date}: {}",
            r.body
        );
    }
    let answers: Vec<Reply> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let cookie = cookie.clone();
                scope.spawn(move || {
                    let date = format!("{year}-02-{:02}", i + 1);
                    request(
                        px,
                        "POST",
                        "/api/seances",
                        Some(&cookie),
                        Some(&session_json(&date, "APS")),
                    )
                    .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let upstreams: BTreeSet<&str> = answers
        .iter()
        .filter_map(|r| r.header("x-upstream"))
        .collect();
    assert_eq!(
        upstreams.len(),
        2,
        "the twenty went to both servers: {upstreams:?}"
    );
    let accepted = answers
        .iter()
        .filter(|r| r.body.contains("\"statut\":\"acceptee\""))
        .count();
    assert_eq!(accepted, 1, "exactly one 12th session");
    for r in &answers {
        assert_eq!(r.status, 201, "{}", r.body);
        assert!(
            r.body.contains("\"statut\":\"acceptee\"") || r.body.contains("PLAFOND"),
            "{}",
            r.body
        );
    }

    // Rolling restart: stop server 1, requests keep succeeding through the proxy, start it again.
    let load = std::thread::spawn(move || {
        let mut statuses = Vec::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(6) {
            statuses.push(request(px, "GET", "/api/rayons", None, None).map(|r| r.status));
            std::thread::sleep(Duration::from_millis(20));
        }
        statuses
    });
    std::thread::sleep(Duration::from_millis(500));
    stop(&mut servers[0]);
    std::thread::sleep(Duration::from_millis(1500));
    servers[0] = start_server(&db.url, p1, &["--no-demo"], Stdio::null());
    let statuses = load.join().unwrap();
    assert!(statuses.len() > 50, "{} requests", statuses.len());
    let lost = statuses.iter().filter(|s| **s != Some(200)).count();
    assert_eq!(
        lost, 0,
        "requests lost during the rolling restart: {statuses:?}"
    );
    eprintln!(
        "rolling restart: {} requests through the proxy, none lost",
        statuses.len()
    );

    let _ = Command::new("kill")
        .args(["-QUIT", &nginx.id().to_string()])
        .status();
    let _ = nginx.wait();
    for s in &mut servers {
        stop(s);
    }
}
