//! The audit log as services write it: who read or changed someone's personal data, what and
//! why. Patients are named by a pseudonym ([`patient_ref`]), never by their NIR.

use crate::extract::CurrentUser;
use jiff::Timestamp;
use msp_domain::Nir;
use msp_store::audit::{self, AuditEntry};
use msp_store::{Db, StoreError};

/// Where an action came from: the audit reason of an API call ends with « (API) ».
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Page,
    Api,
}

impl Via {
    /// What ends the audit reason.
    pub fn suffix(self) -> &'static str {
        match self {
            Via::Page => "",
            Via::Api => " (API)",
        }
    }
}

/// Appends a line to the audit log, inside the caller's store work.
pub fn record(
    db: &mut Db,
    user: &CurrentUser,
    action: &str,
    subject_kind: &str,
    subject_id: &str,
    reason: &str,
) -> Result<(), StoreError> {
    audit::record(
        db,
        &AuditEntry {
            at: Timestamp::now(),
            actor: user.actor(),
            action: action.into(),
            subject_kind: subject_kind.into(),
            subject_id: subject_id.into(),
            reason: reason.into(),
        },
    )
}

/// One `lecture` line per distinct patient of `nirs`.
pub fn patients_read<'a>(
    db: &mut Db,
    user: &CurrentUser,
    nirs: impl IntoIterator<Item = &'a Nir>,
    reason: &str,
) -> Result<(), StoreError> {
    let patients: std::collections::BTreeSet<String> = nirs.into_iter().map(patient_ref).collect();
    for p in patients {
        record(db, user, "lecture", "patient", &p, reason)?;
    }
    Ok(())
}

/// The pseudonym of a patient in the audit log and the API (`P-` and 12 hexadecimal digits of
/// the NIR's SHA-256).
pub fn patient_ref(nir: &Nir) -> String {
    format!(
        "P-{}",
        &crate::security::sha256_hex(nir.as_str())[..12].to_uppercase()
    )
}
