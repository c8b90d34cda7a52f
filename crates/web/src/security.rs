//! Secrets and passwords: random tokens, Argon2id hashes, constant-time comparison. No HTTP
//! here: the command line uses it too (accounts, demonstration accounts).

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Shortest password accepted for a new account.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Length of a temporary password made by an admin's reset.
pub const TEMPORARY_PASSWORD_CHARS: usize = 20;
/// Letters and digits that cannot be mistaken for one another when read aloud or copied by
/// hand (no 0/o, 1/l/i; lower case only).
const UNAMBIGUOUS: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A random temporary password of [`TEMPORARY_PASSWORD_CHARS`] characters from an unambiguous
/// alphabet (about 99 bits).
pub fn temporary_password() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..TEMPORARY_PASSWORD_CHARS)
        .map(|_| char::from(UNAMBIGUOUS[rng.random_range(0..UNAMBIGUOUS.len())]))
        .collect()
}

/// A random token: 32 bytes, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Equal strings, in a time that does not depend on where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Argon2id hash of a password, as a PHC string (blocking: call it in `spawn_blocking`).
pub fn hash_password_blocking(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches `hash` (blocking).
pub fn verify_password_blocking(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash that no password matches cheaply: verifying against it for unknown emails makes
/// them cost as much as known ones.
pub fn dummy_hash() -> &'static str {
    static CELL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CELL.get_or_init(|| hash_password_blocking(&random_token()).unwrap_or_default())
}
