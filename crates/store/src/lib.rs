//! Persistence for msp.
//!
//! One set of SQL runs on both backends: SQLite (bundled, one file, the default) and
//! PostgreSQL (production). Portable SQL rules used throughout:
//! - placeholders `$1`, `$2`, ... (rewritten to `?1`, `?2` for SQLite);
//! - integers are `BIGINT`, money is integer cents, booleans are `BIGINT` 0/1;
//! - dates are `DATE` (ISO text in SQLite, real dates in PostgreSQL), instants `TIMESTAMPTZ`
//!   (RFC 3339 text in SQLite); compare them only with bound `Value::Date`/`Value::Timestamp`;
//! - aggregates that PostgreSQL widens to NUMERIC are cast back: `CAST(SUM(x) AS BIGINT)`;
//! - upserts use `INSERT ... ON CONFLICT (...) DO UPDATE SET x = excluded.x`, which both accept.

pub mod accounts;
pub mod audit;
pub mod availability;
pub mod batch_errors;
pub mod batch_jobs;
pub mod changes;
pub mod claims;
pub mod controls;
mod db;
pub mod directory;
pub mod enrolment;
mod error;
pub mod liquidation;
pub mod live;
mod migrate;
pub mod oidc;
pub mod pathway;
mod pool;
pub mod reference;
pub mod schedule;
pub mod secrets;
pub mod testing;
pub mod throttle;

pub use db::{Backend, Db, Param, Row, Value};
pub use error::{StoreError, StoreResult};
pub use migrate::{MIGRATIONS, migrate, pending as pending_migrations};
pub use pool::{POOL_CACHE_MIB, Pool, PooledDb, open_pool, open_pool_with_cache};

/// The database used when none is given: an SQLite file in the working directory.
pub const DEFAULT_DB_URL: &str = "sqlite://msp.db";
