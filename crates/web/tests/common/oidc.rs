//! The real OpenID providers of the tests: `scripts/oidc/provider.mjs` (the npm package
//! `oidc-provider`, installed by `scripts/ensure-oidc-provider.sh`) started on free ports of
//! 127.0.0.1 with Pro Santé Connect-like and FranceConnect-like users, and the configuration
//! msp gets for each of its issuers; a small HTTP/1.1 client walks the provider's redirections.

use msp_web::services::oidc::{Audience, ProviderConfig};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// The redirect URI registered with the providers (the tests call it through the router).
pub const REDIRECT: &str = "http://127.0.0.1:9/connexion/oidc/retour";

/// The providers' process (stopped when dropped) and their issuers by name.
pub struct Providers {
    child: Child,
    /// Kept open: the providers must never write to a closed pipe.
    _stdout: BufReader<std::process::ChildStdout>,
    _dir: tempfile::TempDir,
    pub issuers: BTreeMap<String, String>,
}

impl Drop for Providers {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/oidc/provider.mjs")
}

/// A Pro Santé Connect-like user: IdNat_PS `8` + `rpps`, one practice of `profession`.
pub fn professional(rpps: &str, profession: &str, given: &str, family: &str) -> Value {
    json!({
        "SubjectNameID": format!("8{rpps}"),
        "SubjectRefPro": {"exercices": [{"codeProfession": profession}]},
        "given_name": given, "family_name": family,
    })
}

/// Starts the providers with these users (`{"psc": {login: claims}, "fc": {…}}`) and waits
/// for them to listen; `redirect` is the redirect URI registered for msp.
pub fn start(users: Value, redirect: &str) -> Providers {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("providers.json");
    let config = json!({
        "redirect_uris": [redirect],
        "clients": {
            "psc": {"client_id": "msp-psc", "client_secret": "secret-de-test-psc-0123456789"},
            "fc": {"client_id": "msp-fc", "client_secret": "secret-de-test-fc-0123456789"},
        },
        "users": users,
    });
    std::fs::write(&conf, config.to_string()).unwrap();
    let mut child = Command::new("node")
        .arg(script())
        .arg(&conf)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("providers.log")).unwrap(),
        ))
        .spawn()
        .expect("node (scripts/ensure-oidc-provider.sh installs the providers)");
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let log = dir.path().join("providers.log");
    let started = super::watchdog(
        "the OpenID providers' start",
        std::time::Duration::from_secs(60),
        move || {
            format!(
                "Their log: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        },
    );
    stdout.read_line(&mut line).unwrap();
    drop(started);
    let issuers: BTreeMap<String, String> = serde_json::from_str(&line).unwrap_or_else(|e| {
        panic!("the providers did not start ({e}): {line:?}; run scripts/ensure-oidc-provider.sh")
    });
    Providers {
        child,
        _stdout: stdout,
        _dir: dir,
        issuers,
    }
}

impl Providers {
    /// msp's configuration of every issuer: `fc` for patients, the others for professionals.
    pub fn config(&self, redirect: &str) -> Vec<ProviderConfig> {
        self.issuers
            .iter()
            .map(|(name, issuer)| {
                let patients = name == "fc";
                let client = if patients { "fc" } else { "psc" };
                ProviderConfig {
                    name: name.clone(),
                    label: if patients {
                        "FranceConnect".into()
                    } else {
                        format!("Pro Santé Connect ({name})")
                    },
                    audience: if patients {
                        Audience::Patients
                    } else {
                        Audience::Professionals
                    },
                    issuer: issuer.clone(),
                    client_id: format!("msp-{client}"),
                    client_secret: format!("secret-de-test-{client}-0123456789"),
                    scopes: if patients {
                        ["given_name", "family_name", "birthdate", "birthplace"]
                            .map(String::from)
                            .to_vec()
                    } else {
                        vec!["scope_all".into()]
                    },
                    redirect_url: redirect.into(),
                }
            })
            .collect()
    }
}

/// One plain HTTP/1.1 answer.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `GET url` (http://127.0.0.1 only) with `cookies`.
pub fn http_get(url: &str, cookies: &BTreeMap<String, String>) -> Reply {
    let rest = url.strip_prefix("http://").expect("plain HTTP on loopback");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut s = TcpStream::connect(host).unwrap_or_else(|e| panic!("{url}: {e}"));
    let cookie = cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nCookie: {cookie}\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// Follows the provider's redirections from `authorize` (signing `login` in through
/// `login_hint`) until it sends the browser to `redirect`: the query it sends there.
pub fn authorize(authorize: &str, login: &str, redirect: &str) -> String {
    let mut url = format!("{authorize}&login_hint={login}");
    let mut cookies = BTreeMap::new();
    for _ in 0..12 {
        let r = http_get(&url, &cookies);
        for (k, v) in &r.headers {
            if k.eq_ignore_ascii_case("set-cookie")
                && let Some((name, value)) = v.split(';').next().and_then(|c| c.split_once('='))
            {
                cookies.insert(name.trim().to_owned(), value.to_owned());
            }
        }
        let location = r
            .header("location")
            .unwrap_or_else(|| panic!("no redirection from {url}: {} {}", r.status, r.body))
            .to_owned();
        if let Some(query) = location.strip_prefix(&format!("{redirect}?")) {
            return query.to_owned();
        }
        url = if location.starts_with("http") {
            location
        } else {
            let origin = &url[..url[7..].find('/').map_or(url.len(), |i| i + 7)];
            format!("{origin}{location}")
        };
    }
    panic!("too many redirections from {authorize}");
}
