//! OpenID Connect sign-in: the authorization requests under way (each consumed once by its
//! callback) and the provider identities bound to accounts.

use crate::{Db, StoreResult, Value};
use jiff::Timestamp;

/// What the callback needs of the request it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRequest {
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Keeps an authorization request until `expires_at` (expired ones are swept here).
pub fn save_request(
    db: &mut Db,
    state_hash: &str,
    request: &PendingRequest,
    now: Timestamp,
    expires_at: Timestamp,
) -> StoreResult<()> {
    db.transaction(|tx| {
        tx.execute(
            "DELETE FROM oidc_requests WHERE expires_at < $1",
            &[now.into()],
        )?;
        tx.execute(
            "INSERT INTO oidc_requests (state_hash, provider, nonce, pkce_verifier, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                state_hash.into(),
                request.provider.as_str().into(),
                request.nonce.as_str().into(),
                request.pkce_verifier.as_str().into(),
                expires_at.into(),
            ],
        )?;
        Ok(())
    })
}

/// Takes the request of a `state` (by its SHA-256) out of the table: `None` when unknown,
/// already used or expired.
pub fn take_request(
    db: &mut Db,
    state_hash: &str,
    now: Timestamp,
) -> StoreResult<Option<PendingRequest>> {
    db.transaction(|tx| {
        let row = tx.query_opt(
            "SELECT provider, nonce, pkce_verifier, expires_at FROM oidc_requests WHERE state_hash = $1",
            &[state_hash.into()],
        )?;
        let Some(row) = row else { return Ok(None) };
        // Only the transaction that deletes it may use it (two callbacks racing).
        if tx.execute(
            "DELETE FROM oidc_requests WHERE state_hash = $1",
            &[state_hash.into()],
        )? != 1
            || row.timestamp(3)? <= now
        {
            return Ok(None);
        }
        Ok(Some(PendingRequest {
            provider: row.string(0)?,
            nonce: row.string(1)?,
            pkce_verifier: row.string(2)?,
        }))
    })
}

/// The account bound to a provider's subject.
pub fn account_of(db: &mut Db, provider: &str, subject: &str) -> StoreResult<Option<i64>> {
    db.query_opt(
        "SELECT account_id FROM oidc_identities WHERE provider = $1 AND subject = $2",
        &[provider.into(), subject.into()],
    )?
    .map(|r| r.int(0))
    .transpose()
}

/// Binds a provider's subject to an account.
pub fn bind(
    db: &mut Db,
    provider: &str,
    subject: &str,
    account_id: i64,
    now: Timestamp,
) -> StoreResult<()> {
    db.execute(
        "INSERT INTO oidc_identities (provider, subject, account_id, created_at) VALUES ($1, $2, $3, $4)",
        &[provider.into(), subject.into(), Value::Int(account_id), now.into()],
    )?;
    Ok(())
}

/// Keeps the birth date a provider gave for a subject.
pub fn set_birthdate(
    db: &mut Db,
    provider: &str,
    subject: &str,
    birthdate: &str,
) -> StoreResult<()> {
    db.execute(
        "UPDATE oidc_identities SET birthdate = $1 WHERE provider = $2 AND subject = $3",
        &[birthdate.into(), provider.into(), subject.into()],
    )?;
    Ok(())
}

/// The birth date a provider gave for an account, if it signed in through one that gives it.
pub fn birthdate_of(db: &mut Db, account_id: i64) -> StoreResult<Option<String>> {
    db.query_opt(
        "SELECT birthdate FROM oidc_identities WHERE account_id = $1 AND birthdate <> ''",
        &[Value::Int(account_id)],
    )?
    .map(|r| r.string(0))
    .transpose()
}
