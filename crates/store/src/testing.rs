//! Fresh databases for tests, on both engines.
//!
//! PostgreSQL is the server named by `MSP_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test gets its own database, dropped
//! afterwards. When no server answers the tests fail loudly, unless `MSP_SKIP_POSTGRES=1` is set
//! (never in CI), in which case a warning is printed and only SQLite runs.

use crate::{Db, migrate};
use std::sync::atomic::{AtomicU32, Ordering};

pub const DEFAULT_TEST_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that removes itself when dropped.
pub struct TestDb {
    pub url: String,
    pub label: &'static str,
    cleanup: Cleanup,
}

enum Cleanup {
    File(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// A new connection to this database, schema applied.
    pub fn connect(&self) -> Db {
        let mut db = Db::connect(&self.url).unwrap_or_else(|e| panic!("{}: {e}", self.label));
        migrate(&mut db).unwrap_or_else(|e| panic!("{}: migration: {e}", self.label));
        db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup
            && let Ok(mut admin) = Db::connect(admin_url)
        {
            let _ = admin.batch(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    TestDb {
        url,
        label: "sqlite",
        cleanup: Cleanup::File(dir),
    }
}

/// A fresh PostgreSQL database, or `None` (with a loud warning) when explicitly skipped.
pub fn postgres() -> Option<TestDb> {
    let admin_url =
        std::env::var("MSP_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_TEST_POSTGRES.into());
    let mut admin = match Db::connect(&admin_url) {
        Ok(db) => db,
        Err(e) if std::env::var("MSP_SKIP_POSTGRES").as_deref() == Ok("1") => {
            eprintln!("WARNING: PostgreSQL tests SKIPPED (MSP_SKIP_POSTGRES=1): {e}");
            return None;
        }
        Err(e) => panic!(
            "PostgreSQL is required for the tests and does not answer at {admin_url}: {e}\n\
             Start it (scripts/test.sh does) or set MSP_TEST_POSTGRES; MSP_SKIP_POSTGRES=1 skips it loudly."
        ),
    };
    let name = format!("msp_test_{}", unique_suffix());
    admin
        .batch(&format!("CREATE DATABASE {name}"))
        .expect("create test database");
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("database URL with a path");
    Some(TestDb {
        url: format!("{base}/{name}"),
        label: "postgres",
        cleanup: Cleanup::Postgres { admin_url, name },
    })
}

/// One fresh database per engine: SQLite always, PostgreSQL unless explicitly skipped.
pub fn all() -> Vec<TestDb> {
    let mut dbs = vec![sqlite()];
    dbs.extend(postgres());
    dbs
}
