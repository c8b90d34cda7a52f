//! What CPAM agents read about the liquidation of claims: rejected claims (counted by reason,
//! the most recent listed), the batches judged, and the decisions of one batch.

use crate::{Db, StoreError, StoreResult, Value};
use jiff::Timestamp;
use msp_domain::{Date, Decision, Nir, Reason};
use std::collections::BTreeMap;

/// A rejected claim as an agent sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub claim_id: String,
    pub rpps: String,
    pub nir: Nir,
    pub session_date: Date,
    pub received_date: Date,
    pub act: String,
    pub reason: Reason,
}

/// Rejected claims counted by reason (every reason, in reason order), and the most recent
/// ones (of `reason` only, when given).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rejects {
    pub counts: Vec<(Reason, i64)>,
    pub recent: Vec<Reject>,
}

/// The rejected claims of the CPAM of `territory` (all when `None`): of its patients or of the
/// psychologists it conventioned, at most `limit` listed, most recently received first.
pub fn rejects(
    db: &mut Db,
    territory: Option<&str>,
    reason: Option<Reason>,
    limit: i64,
) -> StoreResult<Rejects> {
    let mut where_ = String::from("c.status = 'rejected'");
    let mut params: Vec<Value> = Vec::new();
    if let Some(t) = territory {
        // The patient's CPAM (the département opens the commune's INSEE code: 2 characters,
        // 3 overseas) or the psychologist's.
        params.push(t.into());
        let n = params.len();
        where_.push_str(&format!(
            " AND (c.rpps IN (SELECT rpps FROM conventions WHERE cpam = ${n})
               OR c.nir IN (SELECT nir FROM beneficiaries
                            WHERE SUBSTR(commune_insee, 1, LENGTH(${n})) = ${n}))"
        ));
    }
    let counts = db
        .query(
            &format!(
                "SELECT c.reason, CAST(COUNT(*) AS BIGINT) FROM claims c WHERE {where_} GROUP BY c.reason"
            ),
            &params,
        )?
        .iter()
        .filter_map(|r| Some((Reason::parse(r.text(0).ok()?)?, r.int(1).ok()?)))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .collect();
    if let Some(r) = reason {
        params.push(r.code().into());
        where_.push_str(&format!(" AND c.reason = ${}", params.len()));
    }
    params.push(Value::Int(limit));
    let rows = db.query(
        &format!(
            "SELECT c.claim_id, c.rpps, c.nir, c.session_date, c.received_date, c.act, c.reason
             FROM claims c WHERE {where_}
             ORDER BY c.received_date DESC, c.session_date DESC, c.claim_id LIMIT ${}",
            params.len()
        ),
        &params,
    )?;
    let recent = rows
        .iter()
        .map(|r| {
            Ok(Reject {
                claim_id: r.string(0)?,
                rpps: r.string(1)?,
                nir: Nir::parse(r.text(2)?).map_err(|e| StoreError::Invalid(e.to_string()))?,
                session_date: r.date(3)?,
                received_date: r.date(4)?,
                act: r.string(5)?,
                reason: Reason::parse(r.text(6)?)
                    .ok_or_else(|| StoreError::Invalid("motif".into()))?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Rejects { counts, recent })
}

/// A batch as the list of batches shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchSummary {
    pub id: i64,
    pub source: String,
    pub started_at: Timestamp,
    pub claims: i64,
    pub accepted: i64,
    pub rejected: i64,
    /// Rows of the file that could not be read (see [`crate::batch_errors`]).
    pub unreadable: i64,
}

/// The source of the one-claim batches of sessions recorded on line (see [`crate::live`]).
pub const ONLINE_SOURCE: &str = "saisie en ligne";

/// Sessions recorded on line, counted: each is a batch of one claim, listed apart from the files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OnlineSummary {
    pub claims: i64,
    pub accepted: i64,
    pub rejected: i64,
    /// Accepted, then cancelled by their psychologist.
    pub cancelled: i64,
    pub last_at: Option<Timestamp>,
}

/// Sessions recorded on line, counted.
pub fn online_summary(db: &mut Db) -> StoreResult<OnlineSummary> {
    let r = db.query_one(
        "SELECT CAST(COALESCE(SUM(claims), 0) AS BIGINT), CAST(COALESCE(SUM(accepted), 0) AS BIGINT),
                CAST(COALESCE(SUM(rejected), 0) AS BIGINT), MAX(started_at),
                (SELECT CAST(COUNT(*) AS BIGINT) FROM claims c JOIN batches o ON o.batch_id = c.batch_id
                 WHERE o.source = $1 AND c.status = 'cancelled')
         FROM batches WHERE source = $1",
        &[ONLINE_SOURCE.into()],
    )?;
    Ok(OnlineSummary {
        claims: r.int(0)?,
        accepted: r.int(1)?,
        rejected: r.int(2)?,
        cancelled: r.int(4)?,
        last_at: r.opt_timestamp(3)?,
    })
}

/// The `limit` most recent batches of files (not the sessions recorded on line), newest first.
pub fn recent_batches(db: &mut Db, limit: i64) -> StoreResult<Vec<BatchSummary>> {
    db.query(
        "SELECT b.batch_id, b.source, b.started_at, b.claims, b.accepted, b.rejected,
                (SELECT CAST(COUNT(*) AS BIGINT) FROM batch_errors e WHERE e.batch_id = b.batch_id)
         FROM batches b WHERE b.source <> $2 ORDER BY b.batch_id DESC LIMIT $1",
        &[Value::Int(limit), ONLINE_SOURCE.into()],
    )?
    .iter()
    .map(|r| {
        Ok(BatchSummary {
            id: r.int(0)?,
            source: r.string(1)?,
            started_at: r.timestamp(2)?,
            claims: r.int(3)?,
            accepted: r.int(4)?,
            rejected: r.int(5)?,
            unreadable: r.int(6)?,
        })
    })
    .collect()
}

pub fn batch_exists(db: &mut Db, id: i64) -> StoreResult<bool> {
    Ok(db
        .query_opt(
            "SELECT batch_id FROM batches WHERE batch_id = $1",
            &[Value::Int(id)],
        )?
        .is_some())
}

/// The decisions batch `id` gave, one per readable row of its file (an id judged by an earlier
/// batch with its earlier decision, SPEC §8), by claim id; `None` when no batch has this number.
pub fn batch_decisions(db: &mut Db, id: i64) -> StoreResult<Option<Vec<(String, Decision)>>> {
    if !batch_exists(db, id)? {
        return Ok(None);
    }
    let rows = db.query(
        "SELECT claim_id, status, reason, rank, tariff_cents, amo_cents, amo_payee, complementary_cents,
                complementary_payer, complementary_route, state_cents, patient_cents
         FROM claims WHERE batch_id = $1
         UNION ALL
         SELECT claim_id, status, reason, rank, tariff_cents, amo_cents, amo_payee, complementary_cents,
                complementary_payer, complementary_route, state_cents, patient_cents
         FROM batch_repeats WHERE batch_id = $1
         ORDER BY 1",
        &[Value::Int(id)],
    )?;
    rows.iter()
        .map(|r| Ok((r.string(0)?, crate::claims::decision_from_row(r, 1)?)))
        .collect::<StoreResult<Vec<_>>>()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn empty_store_has_no_rejects_nor_batches() {
        for t in testing::all() {
            let mut db = t.connect();
            assert_eq!(
                rejects(&mut db, None, None, 10).unwrap(),
                Rejects::default()
            );
            assert_eq!(
                rejects(&mut db, Some("69"), Some(Reason::Plafond), 10).unwrap(),
                Rejects::default()
            );
            assert!(recent_batches(&mut db, 20).unwrap().is_empty());
            assert!(!batch_exists(&mut db, 1).unwrap());
            assert_eq!(batch_decisions(&mut db, 1).unwrap(), None, "{}", t.label);
        }
    }
}
