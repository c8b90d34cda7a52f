//! The audit log is append-only at the database level (migration 0011): UPDATE, DELETE (and, on
//! PostgreSQL, TRUNCATE) are refused by triggers on both engines, whoever sends them; INSERT
//! works.

use msp_store::audit::{self, AuditEntry};
use msp_store::testing;

fn count(db: &mut msp_store::Db) -> i64 {
    db.query_one("SELECT COUNT(*) FROM audit_log", &[])
        .unwrap()
        .int(0)
        .unwrap()
}

/// The database's own message (PostgreSQL's `Display` says only « db error »).
fn message(err: &msp_store::StoreError) -> String {
    match err {
        msp_store::StoreError::Postgres(e) => e
            .as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_owned()),
        other => other.to_string(),
    }
}

#[test]
fn audit_log_refuses_update_and_delete_on_both_engines() {
    for t in testing::all() {
        let mut db = t.connect();
        let entry = AuditEntry {
            at: "2026-11-23T10:00:00Z".parse().unwrap(),
            actor: "admin@example.org (admin)".into(),
            action: "desactivation".into(),
            subject_kind: "compte".into(),
            subject_id: "2".into(),
            reason: "test".into(),
        };
        audit::record(&mut db, &entry).unwrap();
        // A raw INSERT is accepted too.
        db.execute(
            "INSERT INTO audit_log (at, actor, action, subject_kind, subject_id, reason)
             VALUES ($1, 'x', 'lecture', 'compte', '3', 'brut')",
            &[entry.at.into()],
        )
        .unwrap();
        assert_eq!(count(&mut db), 2, "{}", t.label);

        let refused = [
            "UPDATE audit_log SET reason = 'effacé'",
            "UPDATE audit_log SET actor = 'quelqu’un d’autre' WHERE subject_id = '2'",
            "DELETE FROM audit_log WHERE subject_id = '2'",
            "DELETE FROM audit_log",
        ];
        for sql in refused {
            let err = db
                .execute(sql, &[])
                .expect_err(&format!("{}: « {sql} » must be refused", t.label));
            assert!(
                message(&err).contains("journal d’audit en ajout seul"),
                "{}: {sql}: {err}",
                t.label
            );
        }
        // Inside a transaction the refusal rolls the whole transaction back.
        let r = db.transaction(|tx| {
            audit::record(tx, &entry)?;
            tx.execute("DELETE FROM audit_log", &[])
        });
        assert!(r.is_err(), "{}", t.label);
        if db.backend() == msp_store::Backend::Postgres {
            let err = db.batch("TRUNCATE audit_log").unwrap_err();
            assert!(message(&err).contains("ajout seul"), "{err}");
        }
        assert_eq!(count(&mut db), 2, "{}: nothing changed", t.label);
        let reasons: Vec<String> = audit::recent(&mut db, 10, None)
            .unwrap()
            .into_iter()
            .map(|e| e.reason)
            .collect();
        assert_eq!(reasons, ["brut", "test"], "{}", t.label);
        // Still appendable afterwards.
        audit::record(&mut db, &entry).unwrap();
        assert_eq!(count(&mut db), 3, "{}", t.label);
    }
}
