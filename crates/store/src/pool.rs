//! A pool of connections for the web server (r2d2 over our own connection type).

use crate::{Db, StoreError, migrate};

pub type Pool = r2d2::Pool<Manager>;
/// A connection taken from the [`Pool`].
pub type PooledDb = r2d2::PooledConnection<Manager>;

pub struct Manager {
    url: String,
    /// SQLite's page cache of each connection, in KiB (`PRAGMA cache_size = -N`).
    cache_kib: i64,
}

/// SQLite page cache shared by a pool's connections, in MiB (split evenly between them): a
/// single connection (the command line) keeps 64 MiB for batches; a server's 8 connections had
/// 64 MiB each, up to 512 MiB resident.
pub const POOL_CACHE_MIB: i64 = 128;

impl r2d2::ManageConnection for Manager {
    type Connection = Db;
    type Error = StoreError;

    fn connect(&self) -> Result<Db, StoreError> {
        let mut db = Db::connect(&self.url)?;
        if db.backend() == crate::Backend::Sqlite {
            db.batch(&format!("PRAGMA cache_size = -{}", self.cache_kib))?;
        }
        Ok(db)
    }

    fn is_valid(&self, conn: &mut Db) -> Result<(), StoreError> {
        conn.batch("SELECT 1")
    }

    fn has_broken(&self, conn: &mut Db) -> bool {
        conn.is_broken()
    }
}

/// Opens a pool on `url` after bringing the schema up to date, SQLite's page cache bounded to
/// [`POOL_CACHE_MIB`] in all.
pub fn open_pool(url: &str, size: u32) -> Result<Pool, StoreError> {
    open_pool_with_cache(url, size, POOL_CACHE_MIB)
}

/// [`open_pool`] with SQLite's page cache bounded to `cache_mib` MiB for the whole pool.
pub fn open_pool_with_cache(url: &str, size: u32, cache_mib: i64) -> Result<Pool, StoreError> {
    let mut first = Db::connect(url)?;
    migrate(&mut first)?;
    drop(first);
    let cache_kib = (cache_mib.max(1) * 1024 / i64::from(size.max(1))).max(256);
    Ok(r2d2::Pool::builder().max_size(size).build(Manager {
        url: url.to_owned(),
        cache_kib,
    })?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sqlite_cache_of_a_pool_is_split_between_its_connections() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("cache.db").display());
        let pool = super::open_pool(&url, 8).unwrap();
        let mut db = pool.get().unwrap();
        let kib = -db
            .query_one("PRAGMA cache_size", &[])
            .unwrap()
            .int(0)
            .unwrap();
        assert_eq!(kib, super::POOL_CACHE_MIB * 1024 / 8);
    }
}
