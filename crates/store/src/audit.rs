//! The audit log (SPEC §2): who read or changed someone's personal data, when, what and why.
//!
//! Append-only: this module offers no update nor delete, and the application none either.
//! Subjects are named by application number or RPPS, never by NIR.

use crate::{Db, StoreResult, Value};
use jiff::Timestamp;

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: Timestamp,
    /// « email (rôle) » of the person who acted.
    pub actor: String,
    /// What was done: `lecture`, `modification`, `telechargement`, `decision`, ...
    pub action: String,
    /// Whose data: `candidature`, `psychologue`, ...
    pub subject_kind: String,
    pub subject_id: String,
    pub reason: String,
}

/// Appends a line. Refuses anything that looks like a NIR in the free-text fields.
pub fn record(db: &mut Db, entry: &AuditEntry) -> StoreResult<()> {
    for text in [&entry.subject_id, &entry.reason, &entry.action] {
        if looks_like_nir(text) {
            return Err(crate::StoreError::Invalid(
                "un NIR ne doit jamais figurer dans le journal d’audit".into(),
            ));
        }
    }
    db.execute(
        "INSERT INTO audit_log (at, actor, action, subject_kind, subject_id, reason)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            entry.at.into(),
            entry.actor.as_str().into(),
            entry.action.as_str().into(),
            entry.subject_kind.as_str().into(),
            entry.subject_id.as_str().into(),
            entry.reason.as_str().into(),
        ],
    )?;
    Ok(())
}

fn entry(r: &crate::Row) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        at: r.timestamp(0)?,
        actor: r.string(1)?,
        action: r.string(2)?,
        subject_kind: r.string(3)?,
        subject_id: r.string(4)?,
        reason: r.string(5)?,
    })
}

/// The most recent lines first, at most `limit`, optionally about one subject.
pub fn recent(
    db: &mut Db,
    limit: i64,
    subject: Option<(&str, &str)>,
) -> StoreResult<Vec<AuditEntry>> {
    let rows = match subject {
        Some((kind, id)) => db.query(
            "SELECT at, actor, action, subject_kind, subject_id, reason FROM audit_log
             WHERE subject_kind = $1 AND subject_id = $2 ORDER BY id DESC LIMIT $3",
            &[kind.into(), id.into(), Value::Int(limit)],
        )?,
        None => db.query(
            "SELECT at, actor, action, subject_kind, subject_id, reason FROM audit_log
             ORDER BY id DESC LIMIT $1",
            &[Value::Int(limit)],
        )?,
    };
    rows.iter().map(entry).collect()
}

/// What the admin looks for in the journal: an actor (part of « email (rôle) »), an action.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: String,
    pub action: String,
}

/// The most recent lines matching `filter`, at most `limit`: the journal holds one line per
/// patient read, so a page of agents' reads must be narrowed to be useful.
pub fn search(db: &mut Db, limit: i64, filter: &AuditFilter) -> StoreResult<Vec<AuditEntry>> {
    // LIKE on both engines, the person's text taken literally.
    let literal: String = filter
        .actor
        .trim()
        .chars()
        .flat_map(|c| match c {
            '\\' | '%' | '_' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let rows = db.query(
        "SELECT at, actor, action, subject_kind, subject_id, reason FROM audit_log
         WHERE ($1 = '' OR actor LIKE '%' || $1 || '%' ESCAPE '\\') AND ($2 = '' OR action = $2)
         ORDER BY id DESC LIMIT $3",
        &[
            literal.as_str().into(),
            filter.action.trim().into(),
            Value::Int(limit),
        ],
    )?;
    rows.iter().map(entry).collect()
}

/// The actions the journal holds, for the admin's filter.
pub fn actions(db: &mut Db) -> StoreResult<Vec<String>> {
    db.query("SELECT DISTINCT action FROM audit_log ORDER BY action", &[])?
        .iter()
        .map(|r| r.string(0))
        .collect()
}

/// 13 digits (or 2A/2B) followed by a 2-digit key, anywhere in the text, spaces ignored.
fn looks_like_nir(text: &str) -> bool {
    let compact: Vec<char> = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    compact.windows(15).any(|w| {
        let s: String = w.iter().collect();
        msp_domain::Nir::parse(&s).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn the_admin_narrows_the_journal_by_actor_and_action_on_both_engines() {
        for t in testing::all() {
            let mut db = t.connect();
            for (actor, action) in [
                ("cpam69@example.org (agent_cpam)", "lecture"),
                ("cpam69@example.org (agent_cpam)", "lecture"),
                ("b_c@example.org (admin)", "desactivation"),
                ("psy@example.org (psychologue)", "annulation"),
            ] {
                record(
                    &mut db,
                    &AuditEntry {
                        at: "2026-11-23T10:00:00Z".parse().unwrap(),
                        actor: actor.into(),
                        action: action.into(),
                        subject_kind: "patient".into(),
                        subject_id: "P-1".into(),
                        reason: "test".into(),
                    },
                )
                .unwrap();
            }
            let mut n = |actor: &str, action: &str| {
                search(
                    &mut db,
                    100,
                    &AuditFilter {
                        actor: actor.into(),
                        action: action.into(),
                    },
                )
                .unwrap()
                .len()
            };
            assert_eq!(n("", ""), 4, "{}", t.label);
            assert_eq!(n("cpam69", ""), 2, "{}", t.label);
            assert_eq!(n("", "annulation"), 1, "{}", t.label);
            assert_eq!(n("cpam69", "annulation"), 0, "{}", t.label);
            // Typed characters are taken literally, never as LIKE patterns.
            assert_eq!(
                n("_", ""),
                3,
                "{}: the two agent_cpam lines and b_c",
                t.label
            );
            assert_eq!(n("%", ""), 0, "{}", t.label);
            assert_eq!(
                actions(&mut db).unwrap(),
                ["annulation", "desactivation", "lecture"],
                "{}",
                t.label
            );
        }
    }

    #[test]
    fn appends_and_reads_back_without_nir() {
        for t in testing::all() {
            let mut db = t.connect();
            let mut e = AuditEntry {
                at: "2026-11-23T10:00:00Z".parse().unwrap(),
                actor: "expert@example.org (expert)".into(),
                action: "lecture".into(),
                subject_kind: "candidature".into(),
                subject_id: "1".into(),
                reason: "instruction".into(),
            };
            record(&mut db, &e).unwrap();
            e.subject_id = "2".into();
            record(&mut db, &e).unwrap();
            let all = recent(&mut db, 10, None).unwrap();
            assert_eq!(all.len(), 2, "{}", t.label);
            assert_eq!(all[0].subject_id, "2");
            assert_eq!(
                recent(&mut db, 10, Some(("candidature", "1")))
                    .unwrap()
                    .len(),
                1
            );
            e.reason = "patient 2 06 12 75 111 005 64".into();
            assert!(record(&mut db, &e).is_err());
        }
    }
}
