//! End-to-end browser test: a person types a town, picks a suggestion, searches, applies a
//! filter and opens a card, in headless Chromium driven over WebDriver (chromedriver); every
//! page is audited with axe-core (vendored in `tests/vendor/axe.min.js`) and any *serious* or
//! *critical* violation fails the test.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`scripts/e2e.sh` installs them). When they
//! are missing the test FAILS, it never skips. Paths can be overridden with `MSP_CHROMIUM` and
//! `MSP_CHROMEDRIVER`.

mod common;

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const AXE: &str = include_str!("vendor/axe.min.js");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A minimal HTTP/1.1 client for the WebDriver wire protocol (JSON over loopback).
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(|e| e.to_string())?;
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    // Read the head, then exactly the body: chromedriver keeps connections open.
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let split = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before the HTTP head".into());
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let mut body = raw[split + 4..].to_vec();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    match length {
        Some(len) => {
            while body.len() < len {
                let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
                if n == 0 {
                    return Err("connection closed inside the body".into());
                }
                body.extend_from_slice(&buf[..n]);
            }
            body.truncate(len);
        }
        None if head.contains("transfer-encoding: chunked") => {
            while !body.ends_with(b"0\r\n\r\n") {
                let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&buf[..n]);
            }
            body = dechunk(&body);
        }
        None => {
            stream.read_to_end(&mut body).map_err(|e| e.to_string())?;
        }
    }
    let text = String::from_utf8(body).map_err(|e| e.to_string())?;
    let value: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if status >= 400 {
        return Err(format!("{method} {path} -> {status}: {}", value["value"]));
    }
    Ok(value["value"].clone())
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
    out
}

struct Driver {
    process: Child,
    port: u16,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = http(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn existing(env: &str, candidates: &[&str]) -> String {
    if let Ok(p) = std::env::var(env) {
        return p;
    }
    candidates
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| (*p).to_owned())
        .unwrap_or_else(|| {
            panic!(
                "browser test cannot run: none of {candidates:?} exists (set {env}). \
                 Install Chromium and its driver with `bash scripts/e2e.sh` (apt-get install chromium chromium-driver)."
            )
        })
}

impl Driver {
    fn start() -> Driver {
        let chromium = existing(
            "MSP_CHROMIUM",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        );
        let chromedriver = existing("MSP_CHROMEDRIVER", &["/usr/bin/chromedriver"]);
        let port = free_port();
        let process = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {chromedriver}: {e}"));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match http(port, "GET", "/status", None) {
                Ok(v) if v["ready"] == true => break,
                _ if Instant::now() > deadline => panic!("chromedriver did not become ready"),
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        "--disable-dev-shm-usage", "--window-size=1280,900",
                        "--lang=fr-FR",
                        format!("--user-data-dir={}", profile.path().display()),
                    ]
                }
            }}
        });
        let session = http(port, "POST", "/session", Some(&caps))
            .unwrap_or_else(|e| panic!("cannot open a Chromium session: {e}"));
        let session = session["sessionId"].as_str().unwrap().to_owned();
        let d = Driver {
            process,
            port,
            session,
            _profile: profile,
        };
        d.cmd(
            "POST",
            "/timeouts",
            json!({ "script": 60_000, "pageLoad": 30_000, "implicit": 0 }),
        );
        d
    }

    fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        let body = if method == "GET" { None } else { Some(&body) };
        http(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )
        .unwrap_or_else(|e| panic!("WebDriver: {e}"))
    }

    fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url }));
    }

    fn url(&self) -> String {
        self.cmd("GET", "/url", Value::Null)
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn exec(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": args }),
        )
    }

    fn find(&self, css: &str) -> Option<String> {
        let r = http(
            self.port,
            "POST",
            &format!("/session/{}/element", self.session),
            Some(&json!({ "using": "css selector", "value": css })),
        )
        .ok()?;
        r.as_object()?
            .values()
            .next()
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    }

    fn wait_for(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(e) = self.find(css) {
                return e;
            }
            assert!(
                Instant::now() < deadline,
                "element {css} not found on {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_until(&self, what: &str, ok: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !ok() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn click(&self, element: &str) {
        self.cmd("POST", &format!("/element/{element}/click"), json!({}));
    }

    fn type_into(&self, element: &str, text: &str) {
        self.cmd(
            "POST",
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        );
    }

    fn text(&self, css: &str) -> String {
        self.exec(
            "var e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            json!([css]),
        )
        .as_str()
        .unwrap_or("")
        .to_owned()
    }

    /// Runs axe-core on the current page; returns the serious and critical violations.
    fn audit(&self) -> Vec<Value> {
        let loaded = self.exec(&format!("{AXE}\n;return typeof window.axe;"), json!([]));
        assert_eq!(loaded, "object", "axe-core did not load");
        let result = self.cmd(
            "POST",
            "/execute/async",
            json!({
                "script": "var done = arguments[arguments.length - 1];
                    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] })
                      .then(function (r) { done(JSON.stringify(r.violations.map(function (v) {
                          return { id: v.id, impact: v.impact, help: v.help,
                                   nodes: v.nodes.slice(0, 5).map(function (n) { return n.target.join(' '); }) };
                      }))); })
                      .catch(function (e) { done('ERREUR ' + e); });",
                "args": []
            }),
        );
        let text = result.as_str().unwrap_or("");
        assert!(!text.starts_with("ERREUR"), "axe failed: {text}");
        let all: Vec<Value> = serde_json::from_str(text).unwrap();
        for v in &all {
            eprintln!(
                "axe {}: {} {} {}",
                self.url(),
                v["impact"],
                v["id"],
                v["help"]
            );
        }
        all.into_iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect()
    }
}

fn assert_accessible(d: &Driver, page: &str) {
    let bad = d.audit();
    assert!(
        bad.is_empty(),
        "{page}: serious or critical accessibility violations: {}",
        serde_json::to_string_pretty(&bad).unwrap()
    );
}

/// Serves the demo directory on a random loopback port, in a thread of its own.
fn start_server() -> (String, common::TestApp) {
    let app = common::demo_app();
    let state = app.state.clone();
    let std_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    std_listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
            msp_web::serve_listener(state, listener).await.unwrap();
        });
    });
    (format!("http://{addr}"), app)
}

#[test]
fn a_person_finds_a_psychologist_in_lyon() {
    let (base, _app) = start_server();
    let d = Driver::start();

    // Home page.
    d.goto(&format!("{base}/"));
    assert!(d.text("h1").contains("Trouver un psychologue"));
    assert_accessible(&d, "accueil");

    // Types a town and picks a suggestion from the list (JavaScript combobox).
    let input = d.wait_for("#q");
    d.type_into(&input, "lyo");
    let option = d.wait_for("#q-suggestions [role=option]");
    assert_eq!(
        d.exec(
            "return document.getElementById('q').getAttribute('aria-expanded');",
            json!([])
        ),
        "true"
    );
    let label = d.text("#q-suggestions [role=option]");
    assert!(label.starts_with("Lyon (69)"), "first suggestion: {label}");
    d.click(&option);
    assert_eq!(
        d.exec("return document.getElementById('q').value;", json!([])),
        "Lyon (69)"
    );
    // Keyboard too: arrow down then Enter chooses without a mouse.
    d.exec(
        "var q = document.getElementById('q'); q.value = ''; q.focus();",
        json!([]),
    );
    d.type_into(&input, "villeurb");
    d.wait_until("the suggestions for « villeurb »", || {
        d.text("#q-suggestions [role=option]")
            .starts_with("Villeurbanne")
    });
    d.type_into(&input, "\u{E015}"); // ArrowDown
    d.type_into(&input, "\u{E007}"); // Enter
    assert_eq!(
        d.exec("return document.getElementById('q').value;", json!([])),
        "Villeurbanne (69)"
    );
    d.exec(
        "document.getElementById('q').value = 'Lyon (69)';",
        json!([]),
    );

    // Searches.
    let submit = d.wait_for("form.search button[type=submit]");
    d.click(&submit);
    d.wait_for(".results");
    assert!(d.url().contains("/recherche?"), "{}", d.url());
    assert!(d.text("h1").contains("Lyon"));
    assert!(d.text("#resultats-titre").contains("psychologue"));
    assert_accessible(&d, "résultats");

    // Applies a filter: children.
    let children = d.wait_for("#enfants");
    d.click(&children);
    let submit = d.wait_for("form.search button[type=submit]");
    d.click(&submit);
    d.wait_for(".results");
    assert!(d.url().contains("enfants=1"), "{}", d.url());
    let publics = d.exec(
        "return Array.from(document.querySelectorAll('.result .tags li:first-child')).map(function (e) { return e.textContent; });",
        json!([]),
    );
    let publics: Vec<&str> = publics
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(!publics.is_empty());
    assert!(
        publics
            .iter()
            .all(|p| *p == "Adultes, adolescents et enfants" || *p == "Enfants"),
        "{publics:?}"
    );

    // Opens a card.
    let first = d.wait_for(".results h3 a");
    let name = d.text(".results h3 a");
    d.click(&first);
    d.wait_for("#nom-psy");
    assert!(d.url().contains("/psychologues/"), "{}", d.url());
    assert_eq!(d.text("#nom-psy").trim(), name.trim());
    assert!(d.text("main").contains("Public reçu"));
    assert_accessible(&d, "fiche");

    // Other pages: empty search form, an unknown town, a page that does not exist.
    d.goto(&format!("{base}/recherche"));
    d.wait_for("#q");
    assert_accessible(&d, "recherche vide");
    d.goto(&format!("{base}/recherche?q=Lyonn"));
    d.wait_for("[role=alert]");
    assert!(d.text("[role=alert]").contains("Lyonn"));
    assert_accessible(&d, "commune inconnue");
    d.goto(&format!("{base}/nulle-part"));
    d.wait_for("h1");
    assert_accessible(&d, "page introuvable");

    // Small screen (320 CSS px, WCAG 1.4.10 reflow): no horizontal scrolling, still accessible.
    d.cmd(
        "POST",
        "/window/rect",
        json!({ "width": 360, "height": 800 }),
    );
    for page in ["/", "/recherche?q=69003&enfants=1"] {
        d.goto(&format!("{base}{page}"));
        d.wait_for("h1");
        let (scroll, inner) = (
            d.exec("return document.documentElement.scrollWidth;", json!([])),
            d.exec("return window.innerWidth;", json!([])),
        );
        assert!(
            scroll.as_f64().unwrap() <= inner.as_f64().unwrap(),
            "{page}: horizontal scrolling on a small screen ({scroll} > {inner})"
        );
        assert_accessible(&d, &format!("{page} (petit écran)"));
    }
    d.cmd(
        "POST",
        "/window/rect",
        json!({ "width": 1280, "height": 900 }),
    );

    // The skip link is the first focusable element and leads to the content.
    d.goto(&format!("{base}/"));
    let first_focus = d.exec(
        "return document.querySelector('a, button, input, select, textarea').className;",
        json!([]),
    );
    assert_eq!(first_focus, "skip");

    // The audit itself catches violations: an unlabelled field and an image without text.
    d.exec(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=\"text\"><img src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\">');",
        json!([]),
    );
    let found: Vec<String> = d
        .audit()
        .iter()
        .map(|v| v["id"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(
        found.iter().any(|id| id == "label") && found.iter().any(|id| id == "image-alt"),
        "axe should report the planted violations: {found:?}"
    );
}
