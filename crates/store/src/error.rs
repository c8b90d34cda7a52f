use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(
        "adresse de base de données non reconnue « {0} » : sqlite://CHEMIN ou postgres://… attendu"
    )]
    BadUrl(String),
    /// The database cannot be reached or opened: one French sentence naming the server
    /// (host:port, never the password) or the file.
    #[error("{0}")]
    Unreachable(String),
    #[error("SQLite : {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL : {0}")]
    Postgres(#[from] postgres::Error),
    #[error("pool de connexions : {0}")]
    Pool(#[from] r2d2::Error),
    #[error("valeur inattendue en colonne {column} : {detail}")]
    Decode { column: usize, detail: String },
    #[error("{0}")]
    Invalid(String),
    #[error("conflit : {0}")]
    Conflict(String),
}

impl StoreError {
    /// True when the error is a unique-key or primary-key violation.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            StoreError::Postgres(e) => {
                e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION)
            }
            _ => false,
        }
    }

    /// True when the database asks the caller to retry (lock contention, serialization).
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                )
            }
            StoreError::Postgres(e) => matches!(
                e.code(),
                Some(c) if *c == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == postgres::error::SqlState::T_R_DEADLOCK_DETECTED
            ),
            _ => false,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
