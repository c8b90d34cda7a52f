//! A fleet: two real `msp serve` on one PostgreSQL database behind a real nginx (Debian's
//! package, installed by scripts/ensure-nginx.sh), round robin. Through the proxy: a sign-in
//! on one server is honoured by the other; 20 concurrent recordings of a patient's 12th session
//! spread over both servers give exactly one acceptance; a rolling restart (SIGTERM one server,
//! start it again) loses no request, the proxy retrying the other server; a batch uploaded
//! through the proxy shows its progress on both servers, and when its server is killed (-9)
//! mid-batch the job is marked interrupted, nothing of it is in the database, and its rerun from
//! the other server gives the decisions of an uninterrupted `msp adjudicate`.

mod common;

use common::{Reply, free_port, request, send, start_server, stop};
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
         http {{\n  access_log off;\n  client_max_body_size 25m;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
           upstream msp {{ server 127.0.0.1:{a} max_fails=1 fail_timeout=1s; server 127.0.0.1:{b} max_fails=1 fail_timeout=1s; }}\n\
           server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      proxy_pass http://msp;\n\
               proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n\
               proxy_set_header X-Forwarded-For $remote_addr;\n\
               proxy_next_upstream error timeout http_502 http_503;\n\
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

/// Signs in through `port` (JSON); the session cookie.
fn sign_in(port: u16, email: &str, password: &str) -> String {
    let signed = request(
        port,
        "POST",
        "/api/connexion",
        None,
        Some(&format!(
            r#"{{"email":"{email}","mot_de_passe":"{password}"}}"#
        )),
    )
    .unwrap();
    assert_eq!(signed.status, 200, "{}", signed.body);
    signed
        .headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .find_map(|(_, v)| v.strip_prefix("msp_session="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned()
}

fn stop_nginx(nginx: &mut Child) {
    let _ = Command::new("kill")
        .args(["-QUIT", &nginx.id().to_string()])
        .status();
    let _ = nginx.wait();
}

fn password_account(
    db: &msp_store::testing::TestDb,
    email: &str,
    password: &str,
    role: Role,
) -> i64 {
    let hash = msp_web::security::hash_password_blocking(password).unwrap();
    accounts::create_account(
        &mut db.connect(),
        &NewAccount {
            email,
            password_hash: &hash,
            role,
            display_name: "Compte de flotte",
            territory: None,
            created_by: "test",
        },
        jiff::Timestamp::now(),
    )
    .unwrap()
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
    let account = password_account(&db, "psy@flotte.test", password, Role::Psychologue);
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
    let cookie = sign_in(px, "psy@flotte.test", password);
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

    stop_nginx(&mut nginx);
    for s in &mut servers {
        stop(s);
    }
}

/// `msp --db URL ARGS…`, which must succeed (0, or 2: some rows unreadable).
fn msp(db: &str, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_msp"))
        .args(["--db", db])
        .args(args)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "msp {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn count(db: &msp_store::testing::TestDb, sql: &str) -> i64 {
    db.connect().query_one(sql, &[]).unwrap().int(0).unwrap()
}

/// The value of the page's hidden `_csrf` field.
fn csrf(page: &str) -> String {
    let at = page
        .find(r#"name="_csrf" value=""#)
        .expect("a form with its token")
        + 20;
    page[at..at + page[at..].find('"').unwrap()].to_owned()
}

#[test]
fn a_batch_through_the_proxy_survives_the_death_of_its_server() {
    let (Some(db), Some(reference)) = (
        msp_store::testing::postgres(),
        msp_store::testing::postgres(),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input");
    msp(
        &db.url,
        &[
            "synth",
            "--seed",
            "11",
            "--psychologists",
            "300",
            "--patients",
            "6000",
            "--claims",
            "60000",
            "--out",
            input.to_str().unwrap(),
        ],
    );
    for target in [&db, &reference] {
        for kind in [
            "registry",
            "conventions",
            "suspensions",
            "beneficiaries",
            "exclusions",
        ] {
            let file = input.join(format!("{kind}.csv"));
            msp(&target.url, &["import", kind, file.to_str().unwrap()]);
        }
    }
    let claims = input.join("claims.csv");
    let expected = dir.path().join("expected.csv");
    msp(
        &reference.url,
        &[
            "adjudicate",
            claims.to_str().unwrap(),
            "--out",
            expected.to_str().unwrap(),
        ],
    );
    let password = "mot-de-passe-de-flotte";
    password_account(&db, "agent@flotte.test", password, Role::AgentCpam);

    let (p1, p2, px) = (free_port(), free_port(), free_port());
    let mut servers = [
        start_server(&db.url, p1, &["--no-demo"], Stdio::null()),
        start_server(&db.url, p2, &["--no-demo"], Stdio::null()),
    ];
    let nginx_dir = dir.path().join("nginx");
    let mut nginx = start_nginx(&nginx_dir, px, [p1, p2]);
    let cookie = sign_in(px, "agent@flotte.test", password);
    let lots = request(px, "GET", "/espace/cpam/lots", Some(&cookie), None).unwrap();
    assert_eq!(lots.status, 200, "{}", lots.body);
    let token = csrf(&lots.body);

    // Upload through the proxy.
    let boundary = "----msp-flotte";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"claims.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend(std::fs::read(&claims).unwrap());
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let kind = format!("multipart/form-data; boundary={boundary}");
    let sent = send(
        px,
        "POST",
        "/espace/cpam/lots",
        Some(&cookie),
        Some((&kind, &body)),
    )
    .unwrap();
    assert_eq!(sent.status, 303, "{}", sent.body);
    let job_page = sent.header("location").unwrap().to_owned();
    let job: i64 = job_page.rsplit('/').next().unwrap().parse().unwrap();

    // Its progress, whichever server answers, while it is being judged.
    let mut followed_on = BTreeSet::new();
    let started = Instant::now();
    while followed_on.len() < 2 {
        let page = request(px, "GET", &job_page, Some(&cookie), None).unwrap();
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("id=\"suivi\"") && page.body.contains("<progress"),
            "the batch finished before it could be followed and killed; make it larger: {}",
            page.body
        );
        followed_on.insert(page.header("x-upstream").unwrap_or("").to_owned());
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{followed_on:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Killed while it judges (its heartbeat has told the others it reached step 3 or later).
    let owner = loop {
        let row = db
            .connect()
            .query_one(
                "SELECT owner, step, status FROM batch_jobs WHERE job_id = $1",
                &[job.into()],
            )
            .unwrap();
        let (owner, step, status) = (
            row.string(0).unwrap(),
            row.int(1).unwrap(),
            row.string(2).unwrap(),
        );
        assert_eq!(
            status, "running",
            "the batch ended before the kill; make it larger"
        );
        if step >= 3 {
            break owner;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "step {step}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let victim = servers
        .iter()
        .position(|s| owner.contains(&format!("-{}-", s.id())))
        .unwrap_or_else(|| panic!("job owner {owner}"));
    servers[victim].kill().unwrap(); // SIGKILL: the batch transaction dies with it
    servers[victim].wait().unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM claims"), 0, "half a batch");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM batches"), 0);

    // The surviving server marks it interrupted once the lease has run out; it is run again there.
    let page = loop {
        let page = request(px, "GET", &job_page, Some(&cookie), None).unwrap();
        assert_eq!(page.status, 200, "{}", page.body);
        if page.body.contains("a été interrompu") {
            break page;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "{}", page.body);
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(page.body.contains("Relancer"), "{}", page.body);
    let form = format!("_csrf={}", csrf(&page.body));
    let restart = format!("{job_page}/relancer");
    let post_restart = || {
        send(
            px,
            "POST",
            &restart,
            Some(&cookie),
            Some(("application/x-www-form-urlencoded", form.as_bytes())),
        )
        .unwrap()
    };
    let r = post_restart();
    assert_eq!(r.status, 303, "{}", r.body);
    let again = post_restart();
    assert_eq!(again.status, 409, "never run twice: {}", again.body);
    let report = loop {
        let page = request(px, "GET", &job_page, Some(&cookie), None).unwrap();
        assert_eq!(page.status, 200, "{}", page.body);
        if !page.body.contains("id=\"suivi\"") {
            break page.body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "still running"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    let link = report
        .find("/decisions.csv")
        .unwrap_or_else(|| panic!("{report}"));
    let from = report[..link].rfind('"').unwrap() + 1;
    let decisions_path = report[from..link + 14].to_owned();
    let decisions = request(px, "GET", &decisions_path, Some(&cookie), None).unwrap();
    assert_eq!(decisions.status, 200, "{}", decisions.body);
    let sorted = |text: &str| {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines.sort();
        lines
    };
    assert!(decisions.body.lines().count() > 60_000, "every decision");
    eprintln!(
        "batch through the proxy: killed at step 3 or later on one server, marked interrupted, \
         run again on the other, {} decisions as an uninterrupted run's, in {:.1} s",
        decisions.body.lines().count() - 1,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        sorted(&decisions.body),
        sorted(&std::fs::read_to_string(&expected).unwrap()),
        "the rerun's decisions differ from an uninterrupted run"
    );
    // The killed server back: both give the same decisions file.
    servers[victim] = start_server(&db.url, [p1, p2][victim], &["--no-demo"], Stdio::null());
    let mut served_by = BTreeSet::new();
    let started = Instant::now();
    while served_by.len() < 2 {
        let again = request(px, "GET", &decisions_path, Some(&cookie), None).unwrap();
        assert_eq!(again.body, decisions.body);
        served_by.insert(again.header("x-upstream").unwrap_or("").to_owned());
        assert!(started.elapsed() < Duration::from_secs(20), "{served_by:?}");
    }
    for table in ["claims", "accepted_sessions", "batches"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        assert_eq!(count(&db, &sql), count(&reference, &sql), "{table}");
    }
    stop_nginx(&mut nginx);
    for s in &mut servers {
        stop(s);
    }
}
