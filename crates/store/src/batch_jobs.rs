//! Batches sent from the web, in the database so that every server of a fleet sees them
//! (migration `0017_batch_jobs.sql`): a job is `queued`, `running` on one server (claimed with
//! a fencing token, `attempt`), then `done` (in its batch's transaction), `failed` (nothing
//! judged) or `interrupted` (its server stopped beating; its batch was rolled back with it).

use crate::{Db, StoreError, StoreResult, Value};
use jiff::Timestamp;

/// A job's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Queued,
    Running,
    Done,
    Failed,
    Interrupted,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Queued,
            Status::Running,
            Status::Done,
            Status::Failed,
            Status::Interrupted,
        ]
        .into_iter()
        .find(|st| st.code() == s)
    }
}

/// A job as its page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: i64,
    pub account_id: i64,
    pub file_name: String,
    pub status: Status,
    pub attempt: i64,
    /// The server running it (or that ran it last).
    pub owner: Option<String>,
    pub step: i64,
    pub done: i64,
    pub total: i64,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub heartbeat_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub batch_id: Option<i64>,
    /// What the batch did (done), as its page's report (JSON written by the web crate).
    pub report: Option<String>,
    /// Why nothing was judged (failed), in French.
    pub error: Option<String>,
}

/// Records a job received, `queued`; its number.
pub fn create(
    db: &mut Db,
    account_id: i64,
    file_name: &str,
    file: &[u8],
    total: i64,
    now: Timestamp,
) -> StoreResult<i64> {
    db.query_one(
        "INSERT INTO batch_jobs (account_id, file_name, file, status, total, created_at)
         VALUES ($1, $2, $3, 'queued', $4, $5) RETURNING job_id",
        &[
            Value::Int(account_id),
            file_name.into(),
            Value::Bytes(file.to_vec()),
            Value::Int(total),
            now.into(),
        ],
    )?
    .int(0)
}

/// Claims a queued job for `owner`: its fencing token (the attempt number), or `None` when the
/// job is not queued (another server took it, or it is over). One statement: two servers
/// claiming at once cannot both win.
pub fn claim(db: &mut Db, id: i64, owner: &str, now: Timestamp) -> StoreResult<Option<i64>> {
    db.query_opt(
        "UPDATE batch_jobs SET status = 'running', owner = $2, attempt = attempt + 1,
                    started_at = $3, heartbeat_at = $3, step = 1, done = 0, error = NULL
             WHERE job_id = $1 AND status = 'queued' RETURNING attempt",
        &[Value::Int(id), owner.into(), now.into()],
    )?
    .map(|r| r.int(0))
    .transpose()
}

/// Claims the oldest queued job, if any (`FOR UPDATE SKIP LOCKED` on PostgreSQL: servers
/// polling at once take different jobs); its number and fencing token.
pub fn claim_next(db: &mut Db, owner: &str, now: Timestamp) -> StoreResult<Option<(i64, i64)>> {
    let lock = match db.backend() {
        crate::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        crate::Backend::Sqlite => "",
    };
    db.transaction(|tx| {
        let Some(row) = tx.query_opt(
            &format!(
                "SELECT job_id FROM batch_jobs WHERE status = 'queued' ORDER BY job_id LIMIT 1{lock}"
            ),
            &[],
        )?
        else {
            return Ok(None);
        };
        let id = row.int(0)?;
        Ok(claim(tx, id, owner, now)?.map(|attempt| (id, attempt)))
    })
}

/// Progress of a running job, and its heartbeat; nothing when the attempt is no longer the
/// job's current one.
pub fn progress(
    db: &mut Db,
    id: i64,
    attempt: i64,
    (step, done, total): (i64, i64, i64),
    now: Timestamp,
) -> StoreResult<()> {
    db.execute(
        "UPDATE batch_jobs SET step = $3, done = $4, total = $5, heartbeat_at = $6
         WHERE job_id = $1 AND attempt = $2 AND status = 'running'",
        &[
            Value::Int(id),
            Value::Int(attempt),
            Value::Int(step),
            Value::Int(done),
            Value::Int(total),
            now.into(),
        ],
    )?;
    Ok(())
}

/// Marks the job done with its batch, inside the batch's transaction: refused (the caller rolls
/// the batch back) when this attempt is no longer the job's current one, so a job's batch is
/// committed at most once.
pub fn finish_in_batch(
    tx: &mut Db,
    id: i64,
    attempt: i64,
    batch_id: i64,
    report: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let n = tx.execute(
        "UPDATE batch_jobs SET status = 'done', batch_id = $3, report = $4, finished_at = $5,
                heartbeat_at = $5, file = NULL
         WHERE job_id = $1 AND attempt = $2 AND status = 'running'",
        &[
            Value::Int(id),
            Value::Int(attempt),
            Value::Int(batch_id),
            report.into(),
            now.into(),
        ],
    )?;
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "le traitement {id} a été repris ailleurs ou interrompu : ce jugement est annulé"
        )))
    }
}

/// Marks the job failed (nothing judged), with the French reason; the file is kept.
pub fn fail(db: &mut Db, id: i64, attempt: i64, error: &str, now: Timestamp) -> StoreResult<()> {
    db.execute(
        "UPDATE batch_jobs SET status = 'failed', error = $3, finished_at = $4
         WHERE job_id = $1 AND attempt = $2 AND status = 'running'",
        &[
            Value::Int(id),
            Value::Int(attempt),
            error.into(),
            now.into(),
        ],
    )?;
    Ok(())
}

/// Marks `interrupted` the running jobs whose heartbeat is older than `stale_before` (their
/// server died: the batch transaction died with it), except those of `alive_owner` (this
/// server, which knows its own jobs); how many.
pub fn mark_interrupted(
    db: &mut Db,
    stale_before: Timestamp,
    alive_owner: &str,
    now: Timestamp,
) -> StoreResult<u64> {
    // Compared here, not in SQL: SQLite keeps timestamps as text of varying precision.
    let stale: Vec<(i64, i64)> = db
        .query(
            "SELECT job_id, attempt, heartbeat_at FROM batch_jobs
             WHERE status = 'running' AND (owner IS NULL OR owner <> $1)",
            &[alive_owner.into()],
        )?
        .iter()
        .filter_map(|r| {
            let beat = r.opt_timestamp(2).ok().flatten();
            beat.is_none_or(|b| b < stale_before)
                .then(|| Some((r.int(0).ok()?, r.int(1).ok()?)))
                .flatten()
        })
        .collect();
    let mut marked = 0;
    for (id, attempt) in stale {
        marked += db.execute(
            "UPDATE batch_jobs SET status = 'interrupted', finished_at = $3
             WHERE job_id = $1 AND attempt = $2 AND status = 'running'",
            &[Value::Int(id), Value::Int(attempt), now.into()],
        )?;
    }
    Ok(marked)
}

/// Puts an interrupted or failed job back in the queue, to be run again from its kept file;
/// `false` when it is not in one of these states (already restarted, running, done).
pub fn requeue(db: &mut Db, id: i64) -> StoreResult<bool> {
    Ok(db.execute(
        "UPDATE batch_jobs SET status = 'queued', finished_at = NULL, error = NULL
         WHERE job_id = $1 AND status IN ('interrupted', 'failed') AND file IS NOT NULL",
        &[Value::Int(id)],
    )? == 1)
}

/// The file of a job, to judge it.
pub fn file(db: &mut Db, id: i64) -> StoreResult<Option<Vec<u8>>> {
    Ok(db
        .query_opt(
            "SELECT file FROM batch_jobs WHERE job_id = $1",
            &[Value::Int(id)],
        )?
        .and_then(|r| r.opt_bytes(0).ok().flatten().map(<[u8]>::to_vec)))
}

/// A job by number.
pub fn get(db: &mut Db, id: i64) -> StoreResult<Option<Job>> {
    let Some(r) = db.query_opt(
        "SELECT job_id, account_id, file_name, status, attempt, owner, step, done, total,
                created_at, started_at, heartbeat_at, finished_at, batch_id, report, error
         FROM batch_jobs WHERE job_id = $1",
        &[Value::Int(id)],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(Job {
        id: r.int(0)?,
        account_id: r.int(1)?,
        file_name: r.string(2)?,
        status: Status::parse(r.text(3)?)
            .ok_or_else(|| StoreError::Invalid("état de traitement inconnu".into()))?,
        attempt: r.int(4)?,
        owner: r.opt_string(5)?,
        step: r.int(6)?,
        done: r.int(7)?,
        total: r.int(8)?,
        created_at: r.timestamp(9)?,
        started_at: r.opt_timestamp(10)?,
        heartbeat_at: r.opt_timestamp(11)?,
        finished_at: r.opt_timestamp(12)?,
        batch_id: r.opt_int(13)?,
        report: r.opt_string(14)?,
        error: r.opt_string(15)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use jiff::SignedDuration;

    #[test]
    fn a_job_is_claimed_once_fenced_and_marked_when_its_server_dies() {
        for t in testing::all() {
            let label = t.label;
            let mut db = t.connect();
            let t0 = Timestamp::now();
            let id = create(&mut db, 1, "lot.csv", b"claim_id\n", 1, t0).unwrap();
            assert_eq!(get(&mut db, id).unwrap().unwrap().status, Status::Queued);
            let a1 = claim(&mut db, id, "a", t0).unwrap().expect(label);
            assert_eq!(
                claim(&mut db, id, "b", t0).unwrap(),
                None,
                "{label}: claimed once"
            );
            assert_eq!(claim_next(&mut db, "b", t0).unwrap(), None, "{label}");
            // Server a stops beating: b marks the job, a's own view is spared.
            let later = t0 + SignedDuration::from_secs(60);
            assert_eq!(mark_interrupted(&mut db, later, "a", later).unwrap(), 0);
            assert_eq!(mark_interrupted(&mut db, later, "b", later).unwrap(), 1);
            assert_eq!(
                get(&mut db, id).unwrap().unwrap().status,
                Status::Interrupted
            );
            assert!(requeue(&mut db, id).unwrap());
            assert!(!requeue(&mut db, id).unwrap(), "{label}: requeued once");
            let (again, a2) = claim_next(&mut db, "b", later).unwrap().expect(label);
            assert_eq!((again, a2), (id, a1 + 1));
            // The late first attempt cannot commit; the current one can, once.
            let err = db
                .transaction(|tx| finish_in_batch(tx, id, a1, 7, "{}", later))
                .unwrap_err();
            assert!(matches!(err, StoreError::Conflict(_)), "{label} {err}");
            progress(&mut db, id, a2, (4, 1, 1), later).unwrap();
            db.transaction(|tx| finish_in_batch(tx, id, a2, 7, "{}", later))
                .unwrap();
            let job = get(&mut db, id).unwrap().unwrap();
            assert_eq!(
                (job.status, job.batch_id, job.step),
                (Status::Done, Some(7), 4)
            );
            assert_eq!(file(&mut db, id).unwrap(), None, "{label}: file dropped");
            assert!(
                db.transaction(|tx| finish_in_batch(tx, id, a2, 8, "{}", later))
                    .is_err()
            );
        }
    }
}
