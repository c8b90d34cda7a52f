//! How a server learns that the directory changed in the database, whoever wrote it: the
//! counter `directory_changes.version`, bumped by triggers (migration 0012), and on PostgreSQL
//! the notification `msp_annuaire` sent by the same triggers at commit.

use crate::{Db, StoreResult};
use std::time::Duration;

/// The notification channel of directory changes (PostgreSQL).
pub const CHANNEL: &str = "msp_annuaire";

/// The directory's change counter.
pub fn version(db: &mut Db) -> StoreResult<i64> {
    db.query_one("SELECT version FROM directory_changes WHERE id = 1", &[])?
        .int(0)
}

/// A connection of its own that listens to [`CHANNEL`] (PostgreSQL only).
pub struct Listener {
    client: postgres::Client,
}

impl Listener {
    /// `None` for a URL that is not PostgreSQL's (SQLite has no notifications: poll
    /// [`version`]).
    pub fn connect(url: &str) -> StoreResult<Option<Listener>> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Ok(None);
        }
        let mut client = postgres::Client::connect(url, postgres::NoTls)?;
        client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
        Ok(Some(Listener { client }))
    }

    /// Waits up to `timeout` for a notification, then takes every other one already there;
    /// true when at least one came.
    pub fn wait(&mut self, timeout: Duration) -> StoreResult<bool> {
        use postgres::fallible_iterator::FallibleIterator;
        let mut notes = self.client.notifications();
        if notes.timeout_iter(timeout).next()?.is_none() {
            return Ok(false);
        }
        while notes.iter().next()?.is_some() {}
        Ok(true)
    }

    /// Whether the connection was lost (then reconnect).
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}
