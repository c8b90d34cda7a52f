//! The audit log as services write it: every read of someone else's personal data, every
//! entry, download and cancellation, with who did it and why. Patients are named by
//! [`patient_ref`] (keyed by the server's secret), never by their NIR.

use crate::extract::CurrentUser;
use jiff::Timestamp;
use msp_domain::Nir;
use msp_store::audit::{self, AuditEntry};
use msp_store::{Db, StoreError};
use std::collections::BTreeSet;

/// The server's key of the pseudonymous patient references: a secret generated at first start
/// and kept in the database (`server_secrets`), or given by configuration (`MSP_PATIENT_KEY`).
#[derive(Clone)]
pub struct PatientKey(std::sync::Arc<[u8]>);

impl PatientKey {
    pub fn new(secret: &str) -> PatientKey {
        PatientKey(secret.as_bytes().into())
    }
}

impl std::fmt::Debug for PatientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PatientKey(…)")
    }
}

/// How the audit log and the API name a patient: `P-` and 16 hex digits of the HMAC-SHA-256
/// of the NIR under the server's [`PatientKey`]. Whoever holds the key (the server, an auditor
/// given it) finds a NIR's lines; without it, the reference cannot be computed from a NIR, so
/// trying every NIR no longer reverses it. The one function that makes references.
pub fn patient_ref(key: &PatientKey, nir: &Nir) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key.0)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(nir.as_str().as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02X}")).collect();
    format!("P-{hex}")
}

/// Where an action came from, as the audit reasons say it: the API's lines end with
/// « (API) ».
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Page,
    Api,
}

impl Via {
    /// The end of an audit reason.
    pub fn mark(self) -> &'static str {
        match self {
            Via::Page => "",
            Via::Api => " (API)",
        }
    }
}

/// Appends one line to the audit log (inside the caller's store work, so that the line and
/// what it records are written together).
pub fn record(
    db: &mut Db,
    user: &CurrentUser,
    action: &str,
    subject_kind: &str,
    subject_id: &str,
    reason: &str,
) -> Result<(), StoreError> {
    record_as(db, &user.actor(), action, subject_kind, subject_id, reason)
}

/// [`record`] for an actor named as the log names people (« email (rôle) »), when the action
/// is not that of the signed-in person (a sign-in, an account changed by an admin's form).
pub fn record_as(
    db: &mut Db,
    actor: &str,
    action: &str,
    subject_kind: &str,
    subject_id: &str,
    reason: &str,
) -> Result<(), StoreError> {
    audit::record(
        db,
        &AuditEntry {
            at: Timestamp::now(),
            actor: actor.to_owned(),
            action: action.into(),
            subject_kind: subject_kind.into(),
            subject_id: subject_id.into(),
            reason: reason.into(),
        },
    )
}

/// One `lecture` line per patient among `nirs` (each named once).
pub fn patients_read<'a>(
    db: &mut Db,
    key: &PatientKey,
    user: &CurrentUser,
    nirs: impl IntoIterator<Item = &'a Nir>,
    reason: &str,
) -> Result<(), StoreError> {
    let patients: BTreeSet<String> = nirs.into_iter().map(|n| patient_ref(key, n)).collect();
    for p in patients {
        record(db, user, "lecture", "patient", &p, reason)?;
    }
    Ok(())
}
