//! The audit log as services write it: every read of someone else's personal data, every
//! entry, download and cancellation, with who did it and why. Patients are named by
//! [`patient_ref`], never by their NIR.

use crate::extract::CurrentUser;
use jiff::Timestamp;
use msp_domain::Nir;
use msp_store::audit::{self, AuditEntry};
use msp_store::{Db, StoreError};
use std::collections::BTreeSet;

/// How the audit log names a patient: `P-` and 12 hex digits of the SHA-256 of the NIR. An
/// auditor who knows a NIR finds its lines; the log itself holds none.
pub fn patient_ref(nir: &Nir) -> String {
    format!(
        "P-{}",
        &crate::security::sha256_hex(nir.as_str())[..12].to_uppercase()
    )
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
    user: &CurrentUser,
    nirs: impl IntoIterator<Item = &'a Nir>,
    reason: &str,
) -> Result<(), StoreError> {
    let patients: BTreeSet<String> = nirs.into_iter().map(patient_ref).collect();
    for p in patients {
        record(db, user, "lecture", "patient", &p, reason)?;
    }
    Ok(())
}
