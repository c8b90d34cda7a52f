//! Helpers of the tests that run the real `msp serve`: free ports, a plain HTTP/1.1 client,
//! starting a server until it is ready, stopping it. Each test binary uses only some of them.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain HTTP/1.1 exchange: status, headers (lower-case names), body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub fn request(
    port: u16,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    json: Option<&str>,
) -> Option<Reply> {
    send(
        port,
        method,
        path,
        cookie,
        json.map(|j| ("application/json", j.as_bytes())),
    )
}

/// A request with a body of any type (a form, a multipart upload).
pub fn send(
    port: u16,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<(&str, &[u8])>,
) -> Option<Reply> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some(c) = cookie {
        head.push_str(&format!("Cookie: msp_session={c}\r\n"));
    }
    let (kind, body) = body.unwrap_or(("", b""));
    if !kind.is_empty() {
        head.push_str(&format!(
            "Content-Type: {kind}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Some(Reply {
        status,
        headers,
        body,
    })
}

pub fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// `msp serve` on `db` at `port` (`args` before `--addr`, e.g. `--no-demo`), its standard
/// error as asked, once `/ready` answers 200.
pub fn start_server(db: &str, port: u16, args: &[&str], stderr: Stdio) -> Child {
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_msp"))
        .args(["--db", db, "serve"])
        .args(args)
        .args(["--addr", &addr])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let started = Instant::now();
    while request(port, "GET", "/ready", None, None).is_none_or(|r| r.status != 200) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("server :{port} exited before it was ready ({status})");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server :{port} not ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

/// `GET path`, `None` when nothing answers.
pub fn get(port: u16, path: &str) -> Option<Reply> {
    request(port, "GET", path, None, None)
}

/// SIGTERM, then waits for the exit.
pub fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
