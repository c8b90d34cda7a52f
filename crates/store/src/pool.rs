//! A pool of connections for the web server (r2d2 over our own connection type).

use crate::{Db, StoreError, migrate};

pub type Pool = r2d2::Pool<Manager>;
/// A connection taken from the [`Pool`].
pub type PooledDb = r2d2::PooledConnection<Manager>;

pub struct Manager {
    url: String,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Db;
    type Error = StoreError;

    fn connect(&self) -> Result<Db, StoreError> {
        Db::connect(&self.url)
    }

    fn is_valid(&self, conn: &mut Db) -> Result<(), StoreError> {
        conn.batch("SELECT 1")
    }

    fn has_broken(&self, conn: &mut Db) -> bool {
        conn.is_broken()
    }
}

/// Opens a pool on `url` after bringing the schema up to date.
pub fn open_pool(url: &str, size: u32) -> Result<Pool, StoreError> {
    let mut first = Db::connect(url)?;
    migrate(&mut first)?;
    drop(first);
    Ok(r2d2::Pool::builder().max_size(size).build(Manager {
        url: url.to_owned(),
    })?)
}
