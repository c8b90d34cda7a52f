//! Real-browser testing, shared by the end-to-end tests (`e2e.rs`, `e2e_pathway.rs`): a small
//! WebDriver client driving headless Debian Chromium through chromedriver, the axe-core audit
//! (vendored in `tests/vendor/axe.min.js`), and the real server on a loopback port.
//!
//! A missing browser FAILS the test, it never skips: [`existing`] panics with how to install
//! Chromium (`bash scripts/e2e.sh`, which CI's `scripts/test.sh` runs too). Paths can be
//! overridden with `MSP_CHROMIUM` and `MSP_CHROMEDRIVER`.

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const AXE: &str = include_str!("../vendor/axe.min.js");

pub fn free_port() -> u16 {
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

pub struct Driver {
    process: Child,
    port: u16,
    session: String,
    _profile: tempfile::TempDir,
    /// The last WebDriver command, for the watchdog's message.
    last: std::sync::Arc<std::sync::Mutex<String>>,
    _watchdog: super::Watchdog,
}

/// No browser test takes this long, even on a loaded machine (the longest takes ≈ 20 s).
const BROWSER_TEST_LIMIT: Duration = Duration::from_secs(300);

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

pub fn existing(env: &str, candidates: &[&str]) -> String {
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
    pub fn start() -> Driver {
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
        let last = std::sync::Arc::new(std::sync::Mutex::new(String::from("session opened")));
        let seen = std::sync::Arc::clone(&last);
        let d = Driver {
            process,
            port,
            session,
            _profile: profile,
            last,
            _watchdog: super::watchdog("browser test", BROWSER_TEST_LIMIT, move || {
                format!(
                    "Last WebDriver command: {}",
                    seen.lock().map(|s| s.clone()).unwrap_or_default()
                )
            }),
        };
        d.cmd(
            "POST",
            "/timeouts",
            json!({ "script": 60_000, "pageLoad": 30_000, "implicit": 0 }),
        );
        d
    }

    pub fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        if let Ok(mut last) = self.last.lock() {
            let mut shown = body.to_string();
            shown.truncate(300);
            *last = format!("{method} {path} {shown}");
        }
        let body = if method == "GET" { None } else { Some(&body) };
        http(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )
        .unwrap_or_else(|e| panic!("WebDriver: {e}"))
    }

    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url }));
    }

    pub fn url(&self) -> String {
        self.cmd("GET", "/url", Value::Null)
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn exec(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": args }),
        )
    }

    pub fn find(&self, css: &str) -> Option<String> {
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

    pub fn wait_for(&self, css: &str) -> String {
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

    pub fn wait_until(&self, what: &str, ok: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !ok() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn click(&self, element: &str) {
        self.cmd("POST", &format!("/element/{element}/click"), json!({}));
    }

    pub fn type_into(&self, element: &str, text: &str) {
        self.cmd(
            "POST",
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        );
    }

    pub fn text(&self, css: &str) -> String {
        self.exec(
            "var e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            json!([css]),
        )
        .as_str()
        .unwrap_or("")
        .to_owned()
    }

    /// Clicks the first element matching `css`, waiting for it to appear.
    pub fn click_on(&self, css: &str) {
        let e = self.wait_for(css);
        self.click(&e);
    }

    /// Waits until the current URL satisfies `ok` (after a click that navigates); returns it.
    pub fn wait_for_url(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        self.wait_until(&format!("{what} (at {})", self.url()), || ok(&self.url()));
        self.url()
    }

    /// Sets a field's value by script, firing `input` and `change`: for date inputs, whose
    /// typed form depends on the browser's locale.
    pub fn set_value(&self, css: &str, value: &str) {
        let done = self.exec(
            "var e = document.querySelector(arguments[0]); if (!e) { return false; }
             e.value = arguments[1];
             e.dispatchEvent(new Event('input', { bubbles: true }));
             e.dispatchEvent(new Event('change', { bubbles: true }));
             return e.value === arguments[1];",
            json!([css, value]),
        );
        assert_eq!(done, true, "cannot set {css} to {value} on {}", self.url());
    }

    /// Fetches `path` from the current page (same origin, with the browser's session cookie):
    /// the HTTP status, the Content-Type and the first `n` bytes of the body, one char a byte.
    pub fn fetch_start(&self, path: &str, n: usize) -> (u16, String, String) {
        let result = self.cmd(
            "POST",
            "/execute/async",
            json!({
                "script": "var url = arguments[0], n = arguments[1], done = arguments[arguments.length - 1];
                    fetch(url, { credentials: 'same-origin' })
                      .then(function (r) {
                          return r.arrayBuffer().then(function (b) {
                              var bytes = Array.from(new Uint8Array(b).slice(0, n));
                              done({ status: r.status, type: r.headers.get('content-type') || '',
                                     start: String.fromCharCode.apply(null, bytes) });
                          });
                      })
                      .catch(function (e) { done({ status: 0, type: '', start: 'ERREUR ' + e }); });",
                "args": [path, n]
            }),
        );
        (
            result["status"].as_u64().unwrap_or(0) as u16,
            result["type"].as_str().unwrap_or("").to_owned(),
            result["start"].as_str().unwrap_or("").to_owned(),
        )
    }

    /// Runs axe-core on the current page; returns the serious and critical violations.
    pub fn audit(&self) -> Vec<Value> {
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

/// Signs in through the real sign-in page, typing the e-mail and the password; checks the space
/// greets `name`.
pub fn sign_in(d: &Driver, base: &str, email: &str, password: &str, name: &str) {
    d.goto(&format!("{base}/connexion"));
    let e = d.wait_for("#email");
    d.type_into(&e, email);
    let p = d.wait_for("#password");
    d.type_into(&p, password);
    d.click_on("form[action='/connexion'] button[type=submit]");
    d.wait_for_url("the space after signing in", |u| u.ends_with("/espace"));
    assert_eq!(d.text("h1"), "Mon espace");
    assert!(d.text(".brand-sub").contains(name), "{}", d.text("header"));
}

impl Driver {
    /// Saves a full-page PNG of the current page as `name.png` under `target/captures` (or
    /// `MSP_CAPTURES`): what a reviewer looks at after a run.
    pub fn capture(&self, name: &str) {
        use base64::Engine;
        let dir = std::env::var("MSP_CAPTURES")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/captures")
            });
        std::fs::create_dir_all(&dir).unwrap();
        let height = self.exec("return document.documentElement.scrollHeight;", json!([]));
        let height = height.as_u64().unwrap_or(900).clamp(900, 6000);
        self.cmd(
            "POST",
            "/window/rect",
            json!({ "width": 1280, "height": height }),
        );
        let png = self.cmd("GET", "/screenshot", Value::Null);
        self.cmd(
            "POST",
            "/window/rect",
            json!({ "width": 1280, "height": 900 }),
        );
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }
}

pub fn assert_accessible(d: &Driver, page: &str) {
    let bad = d.audit();
    assert!(
        bad.is_empty(),
        "{page}: serious or critical accessibility violations: {}",
        serde_json::to_string_pretty(&bad).unwrap()
    );
}

/// Serves `state` (the real router, `msp_web::serve_listener`) on a random loopback port, in a
/// thread of its own; returns the base URL (`http://127.0.0.1:PORT`).
pub fn serve(state: msp_web::AppState) -> String {
    serve_on(state, TcpListener::bind("127.0.0.1:0").unwrap())
}

/// [`serve`] on a listener already bound (when its address must be known beforehand, as an
/// OpenID provider's redirect URI).
pub fn serve_on(state: msp_web::AppState, std_listener: TcpListener) -> String {
    let addr = std_listener.local_addr().unwrap();
    std_listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
            msp_web::serve_listener(state, listener).await.unwrap();
        });
    });
    format!("http://{addr}")
}
