//! Accounts and server-side sessions (failed sign-ins are counted by `throttle`); the account
//! lifecycle: password changes and resets, deactivation and reactivation.
//!
//! Passwords arrive here already hashed (Argon2id, by the web layer); session tokens arrive as
//! their SHA-256, so the table alone never lets anyone in.

use crate::{Backend, Db, Row, StoreError, StoreResult, Value};
use jiff::Timestamp;
use msp_domain::Role;

/// A person who signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub display_name: String,
    /// Région of an ARS analyst, département of a CPAM agent (`None`: all).
    pub territory: Option<String>,
    pub active: bool,
    /// Set by an admin's password reset: the holder must choose a new password before anything
    /// else.
    pub must_change_password: bool,
    /// The verified RPPS of a professional's account (Pro Santé Connect, or checked against the
    /// registry when the account was created); fixed once, never changed by a form.
    pub rpps: Option<String>,
    /// Whether the holder signs in with a password (accounts made by an OpenID sign-in have
    /// none: their hash is a marker that no password matches).
    pub has_password: bool,
}

/// What an admin (or `msp create-admin`) gives to create an account.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub display_name: &'a str,
    pub territory: Option<&'a str>,
    pub created_by: &'a str,
}

const COLUMNS: &str =
    "account_id, email, role, display_name, territory, active, must_change_password, rpps,
     CASE WHEN password_hash LIKE '!%' THEN 0 ELSE 1 END";

fn account(row: &Row) -> StoreResult<Account> {
    let code = row.text(2)?;
    Ok(Account {
        id: row.int(0)?,
        email: row.string(1)?,
        role: Role::parse(code)
            .ok_or_else(|| StoreError::Invalid(format!("rôle inconnu « {code} »")))?,
        display_name: row.string(3)?,
        territory: row.opt_string(4)?,
        active: row.bool(5)?,
        must_change_password: row.bool(6)?,
        rpps: row.opt_string(7)?,
        has_password: row.int(8)? == 1,
    })
}

/// Canonical form of an email address: trimmed, lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Creates an account; an email already used is a [`StoreError::Conflict`].
pub fn create_account(db: &mut Db, new: &NewAccount<'_>, now: Timestamp) -> StoreResult<i64> {
    let email = normalize_email(new.email);
    db.transaction(|tx| {
        if tx
            .query_opt(
                "SELECT 1 FROM accounts WHERE email = $1",
                &[email.as_str().into()],
            )?
            .is_some()
        {
            return Err(StoreError::Conflict(format!(
                "un compte existe déjà pour l’adresse {email}"
            )));
        }
        tx.query_one(
            "INSERT INTO accounts (email, password_hash, role, display_name, territory, active, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7) RETURNING account_id",
            &[
                email.as_str().into(),
                new.password_hash.into(),
                new.role.code().into(),
                new.display_name.trim().into(),
                new.territory.map(str::trim).filter(|t| !t.is_empty()).into(),
                now.into(),
                new.created_by.into(),
            ],
        )?
        .int(0)
    })
}

/// An account and its password hash, by email, active or not: the caller tells a deactivated
/// account apart only once the password is right, so that a stranger cannot learn it.
pub fn find_for_login(db: &mut Db, email: &str) -> StoreResult<Option<(Account, String)>> {
    let Some(row) = db.query_opt(
        &format!("SELECT {COLUMNS}, password_hash FROM accounts WHERE email = $1"),
        &[normalize_email(email).into()],
    )?
    else {
        return Ok(None);
    };
    Ok(Some((account(&row)?, row.string(9)?)))
}

/// The password hash of an account.
pub fn password_hash(db: &mut Db, account_id: i64) -> StoreResult<Option<String>> {
    db.query_opt(
        "SELECT password_hash FROM accounts WHERE account_id = $1",
        &[Value::Int(account_id)],
    )?
    .map(|r| r.string(0))
    .transpose()
}

/// Stores a new password hash and whether its holder must change it at the next sign-in (an
/// admin's reset) or not (the holder chose it). Sessions are left to [`close_sessions`].
pub fn set_password(
    db: &mut Db,
    account_id: i64,
    password_hash: &str,
    must_change: bool,
) -> StoreResult<()> {
    let n = db.execute(
        "UPDATE accounts SET password_hash = $1, must_change_password = $2 WHERE account_id = $3",
        &[
            password_hash.into(),
            Value::Int(i64::from(must_change)),
            Value::Int(account_id),
        ],
    )?;
    if n == 0 {
        return Err(StoreError::Invalid(format!("compte {account_id} inconnu")));
    }
    Ok(())
}

/// Closes every session of an account but `keep` (the SHA-256 of the current session's token);
/// returns how many were closed.
pub fn close_sessions(db: &mut Db, account_id: i64, keep: Option<&str>) -> StoreResult<u64> {
    match keep {
        Some(keep) => db.execute(
            "DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2",
            &[Value::Int(account_id), keep.into()],
        ),
        None => db.execute(
            "DELETE FROM sessions WHERE account_id = $1",
            &[Value::Int(account_id)],
        ),
    }
}

/// Why an account cannot be deactivated.
fn deactivation_refused(account: &Account, by: i64, other_admins: i64) -> Option<String> {
    if account.role == Role::Admin && account.active && other_admins == 0 {
        return Some(
            "impossible de désactiver le dernier administrateur actif : plus personne ne pourrait gérer les comptes".into(),
        );
    }
    (account.id == by).then(|| "vous ne pouvez pas désactiver votre propre compte".into())
}

/// Deactivates (closing all its sessions at once) or reactivates an account, on behalf of the
/// admin account `by`. Refused, as [`StoreError::Conflict`], for the admin's own account and
/// for the last active admin; an unknown account is [`StoreError::Invalid`]. Returns the account
/// as it was and the number of sessions closed.
pub fn set_active(
    db: &mut Db,
    account_id: i64,
    active: bool,
    by: i64,
) -> StoreResult<(Account, u64)> {
    db.transaction(|tx| {
        // Two admins deactivating each other at once must not both see the other one active:
        // SQLite's BEGIN IMMEDIATE already serialises writers, PostgreSQL takes a lock.
        if tx.backend() == Backend::Postgres {
            tx.query("SELECT CAST(pg_advisory_xact_lock(7002) AS TEXT)", &[])?;
        }
        let Some(before) = get_account(tx, account_id)? else {
            return Err(StoreError::Invalid(format!("compte {account_id} inconnu")));
        };
        if !active {
            let other_admins = tx
                .query_one(
                    "SELECT COUNT(*) FROM accounts WHERE role = 'admin' AND active = 1 AND account_id <> $1",
                    &[Value::Int(account_id)],
                )?
                .int(0)?;
            if let Some(reason) = deactivation_refused(&before, by, other_admins) {
                return Err(StoreError::Conflict(reason));
            }
        }
        tx.execute(
            "UPDATE accounts SET active = $1 WHERE account_id = $2",
            &[Value::Int(i64::from(active)), Value::Int(account_id)],
        )?;
        let closed = if active {
            0
        } else {
            close_sessions(tx, account_id, None)?
        };
        Ok((before, closed))
    })
}

/// Fixes the verified RPPS of an account that has none. An RPPS held by another account (its
/// own or an accepted application's) is a [`StoreError::Conflict`]; an account whose RPPS is
/// already another one is a [`StoreError::Invalid`] (an RPPS never changes).
pub fn set_verified_rpps(db: &mut Db, account_id: i64, rpps: &str) -> StoreResult<()> {
    db.transaction(|tx| {
        let held = tx.query_opt(
            "SELECT 1 FROM accounts WHERE rpps = $1 AND account_id <> $2
             UNION ALL
             SELECT 1 FROM applications WHERE rpps = $1 AND status = 'acceptee' AND account_id <> $2",
            &[rpps.into(), Value::Int(account_id)],
        )?;
        if held.is_some() {
            return Err(StoreError::Conflict(
                "ce RPPS est déjà rattaché à un autre compte".into(),
            ));
        }
        let current = tx
            .query_opt(
                "SELECT rpps FROM accounts WHERE account_id = $1",
                &[Value::Int(account_id)],
            )?
            .map(|r| r.opt_string(0))
            .transpose()?
            .flatten();
        match current {
            Some(c) if c == rpps => Ok(()),
            Some(_) => Err(StoreError::Invalid(
                "le RPPS d’un compte ne change pas".into(),
            )),
            None => {
                tx.execute(
                    "UPDATE accounts SET rpps = $1 WHERE account_id = $2",
                    &[rpps.into(), Value::Int(account_id)],
                )?;
                Ok(())
            }
        }
    })
}

/// The account holding a verified RPPS, if any.
pub fn account_by_rpps(db: &mut Db, rpps: &str) -> StoreResult<Option<Account>> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM accounts WHERE rpps = $1"),
        &[rpps.into()],
    )?
    .map(|r| account(&r))
    .transpose()
}

pub fn get_account(db: &mut Db, id: i64) -> StoreResult<Option<Account>> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM accounts WHERE account_id = $1"),
        &[Value::Int(id)],
    )?
    .map(|r| account(&r))
    .transpose()
}

/// Every account, by email.
pub fn list_accounts(db: &mut Db) -> StoreResult<Vec<Account>> {
    db.query(
        &format!("SELECT {COLUMNS} FROM accounts ORDER BY email"),
        &[],
    )?
    .iter()
    .map(account)
    .collect()
}

pub fn count_admins(db: &mut Db) -> StoreResult<i64> {
    db.query_one(
        "SELECT COUNT(*) FROM accounts WHERE role = 'admin' AND active = 1",
        &[],
    )?
    .int(0)
}

/// Opens a session for an account.
pub fn create_session(
    db: &mut Db,
    token_hash: &str,
    account_id: i64,
    csrf_token: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> StoreResult<()> {
    db.transaction(|tx| {
        // Expired sessions are swept here rather than by a job.
        tx.execute("DELETE FROM sessions WHERE expires_at < $1", &[now.into()])?;
        tx.execute(
            "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                token_hash.into(),
                Value::Int(account_id),
                csrf_token.into(),
                now.into(),
                expires_at.into(),
            ],
        )?;
        Ok(())
    })
}

/// A session that is found and not expired.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: Account,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

/// What a session token is worth at `now`.
#[derive(Debug, Clone)]
pub enum SessionLookup {
    Valid(Session),
    /// Known but past its expiry, or its account was deactivated.
    Expired,
    Unknown,
}

pub fn find_session(db: &mut Db, token_hash: &str, now: Timestamp) -> StoreResult<SessionLookup> {
    let Some(row) = db.query_opt(
        "SELECT a.account_id, a.email, a.role, a.display_name, a.territory, a.active,
                a.must_change_password, a.rpps,
                CASE WHEN a.password_hash LIKE '!%' THEN 0 ELSE 1 END, s.csrf_token, s.expires_at
         FROM sessions s JOIN accounts a ON a.account_id = s.account_id
         WHERE s.token_hash = $1",
        &[token_hash.into()],
    )?
    else {
        return Ok(SessionLookup::Unknown);
    };
    let account = account(&row)?;
    let expires_at = row.timestamp(10)?;
    if expires_at <= now || !account.active {
        return Ok(SessionLookup::Expired);
    }
    Ok(SessionLookup::Valid(Session {
        account,
        csrf_token: row.string(9)?,
        expires_at,
    }))
}

pub fn delete_session(db: &mut Db, token_hash: &str) -> StoreResult<()> {
    db.execute(
        "DELETE FROM sessions WHERE token_hash = $1",
        &[token_hash.into()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn accounts_and_sessions_on_every_backend() {
        for t in testing::all() {
            let mut db = t.connect();
            let now: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
            let new = NewAccount {
                email: " Admin@Example.org ",
                password_hash: "$argon2id$fake",
                role: Role::Admin,
                display_name: "Admin",
                territory: None,
                created_by: "test",
            };
            let id = create_account(&mut db, &new, now).unwrap();
            assert!(matches!(
                create_account(&mut db, &new, now),
                Err(StoreError::Conflict(_))
            ));
            let (a, hash) = find_for_login(&mut db, "admin@example.org")
                .unwrap()
                .unwrap();
            assert_eq!(
                (a.id, a.role, hash.as_str()),
                (id, Role::Admin, "$argon2id$fake")
            );
            assert_eq!(count_admins(&mut db).unwrap(), 1, "{}", t.label);

            let later = now
                .checked_add(jiff::SignedDuration::from_hours(1))
                .unwrap();
            create_session(&mut db, "h", id, "csrf", now, later).unwrap();
            assert!(matches!(
                find_session(&mut db, "h", now).unwrap(),
                SessionLookup::Valid(s) if s.csrf_token == "csrf"
            ));
            assert!(matches!(
                find_session(&mut db, "h", later).unwrap(),
                SessionLookup::Expired
            ));
            assert!(matches!(
                find_session(&mut db, "x", now).unwrap(),
                SessionLookup::Unknown
            ));
            delete_session(&mut db, "h").unwrap();
            assert!(matches!(
                find_session(&mut db, "h", now).unwrap(),
                SessionLookup::Unknown
            ));
        }
    }

    #[test]
    fn password_changes_sessions_and_deactivation_on_every_backend() {
        for t in testing::all() {
            let mut db = t.connect();
            let now: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
            let later = now
                .checked_add(jiff::SignedDuration::from_hours(1))
                .unwrap();
            let mut mk = |email: &str, role: Role| {
                create_account(
                    &mut db,
                    &NewAccount {
                        email,
                        password_hash: "old",
                        role,
                        display_name: email,
                        territory: None,
                        created_by: "test",
                    },
                    now,
                )
                .unwrap()
            };
            let admin = mk("admin@example.org", Role::Admin);
            let psy = mk("psy@example.org", Role::Psychologue);
            for (h, id) in [("a1", admin), ("p1", psy), ("p2", psy), ("p3", psy)] {
                create_session(&mut db, h, id, "csrf", now, later).unwrap();
            }

            // A password change keeps the current session and closes the others.
            set_password(&mut db, psy, "reset", true).unwrap();
            let a = get_account(&mut db, psy).unwrap().unwrap();
            assert!(a.must_change_password, "{}", t.label);
            assert_eq!(
                password_hash(&mut db, psy).unwrap().as_deref(),
                Some("reset")
            );
            assert_eq!(close_sessions(&mut db, psy, Some("p1")).unwrap(), 2);
            assert!(matches!(
                find_session(&mut db, "p1", now).unwrap(),
                SessionLookup::Valid(s) if s.account.must_change_password
            ));
            assert!(matches!(
                find_session(&mut db, "p2", now).unwrap(),
                SessionLookup::Unknown
            ));
            set_password(&mut db, psy, "new", false).unwrap();
            assert!(
                !get_account(&mut db, psy)
                    .unwrap()
                    .unwrap()
                    .must_change_password
            );
            assert!(set_password(&mut db, 999, "x", false).is_err());

            // Deactivation closes every session; sign-in still finds the account, inactive.
            let (before, closed) = set_active(&mut db, psy, false, admin).unwrap();
            assert!(before.active && closed == 1, "{}", t.label);
            let (found, _) = find_for_login(&mut db, "psy@example.org").unwrap().unwrap();
            assert!(!found.active);
            create_session(&mut db, "p4", psy, "csrf", now, later).unwrap();
            assert!(matches!(
                find_session(&mut db, "p4", now).unwrap(),
                SessionLookup::Expired
            ));
            set_active(&mut db, psy, true, admin).unwrap();
            assert!(matches!(
                find_session(&mut db, "p4", now).unwrap(),
                SessionLookup::Valid(_)
            ));

            // Not oneself, not the last active admin; a second admin may deactivate the first.
            for by in [admin, psy] {
                assert!(matches!(
                    set_active(&mut db, admin, false, by),
                    Err(StoreError::Conflict(m)) if m.contains("dernier administrateur")
                ));
            }
            let admin2 = create_account(
                &mut db,
                &NewAccount {
                    email: "admin2@example.org",
                    password_hash: "x",
                    role: Role::Admin,
                    display_name: "Admin 2",
                    territory: None,
                    created_by: "test",
                },
                now,
            )
            .unwrap();
            assert!(matches!(
                set_active(&mut db, admin, false, admin),
                Err(StoreError::Conflict(m)) if m.contains("propre compte")
            ));
            set_active(&mut db, admin, false, admin2).unwrap();
            assert_eq!(count_admins(&mut db).unwrap(), 1);
            assert!(matches!(
                set_active(&mut db, admin2, false, psy),
                Err(StoreError::Conflict(_))
            ));
            assert!(matches!(
                set_active(&mut db, 999, false, admin2),
                Err(StoreError::Invalid(_))
            ));
        }
    }
}
