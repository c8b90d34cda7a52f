//! Scheduled work run once across the servers of a fleet (migration `0017_batch_jobs.sql`,
//! table `scheduled_runs`): every server ticks, one runs the task per period.

use crate::{Db, StoreResult, Value};
use jiff::{SignedDuration, Timestamp};

/// Runs `work` (in one transaction with the claim) when `task` last ran at least `every` before
/// `now`, on any server; `None` when it is not due (another server ran it within the period, or
/// is running it: on PostgreSQL this waits for that run's transaction, then finds it fresh).
/// A run that fails is rolled back with its claim: the task stays due.
pub fn run_due<T>(
    db: &mut Db,
    task: &str,
    every: SignedDuration,
    owner: &str,
    now: Timestamp,
    work: impl FnOnce(&mut Db) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let (now_s, every_s) = (now.as_second(), every.as_secs());
    db.transaction(|tx| {
        tx.execute(
            "INSERT INTO scheduled_runs (task, last_run_s, owner) VALUES ($1, $2, NULL)
             ON CONFLICT (task) DO NOTHING",
            &[task.into(), Value::Int(i64::MIN / 2)],
        )?;
        let claimed = tx.execute(
            "UPDATE scheduled_runs SET last_run_s = $2, owner = $3
             WHERE task = $1 AND last_run_s <= $4",
            &[
                task.into(),
                Value::Int(now_s),
                owner.into(),
                Value::Int(now_s - every_s),
            ],
        )?;
        if claimed == 0 {
            return Ok(None);
        }
        work(tx).map(Some)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn a_task_runs_once_per_period_across_servers() {
        for t in testing::all() {
            let label = t.label;
            let (mut a, mut b) = (t.connect(), t.connect());
            let hour = SignedDuration::from_hours(1);
            let t0 = Timestamp::now();
            assert_eq!(
                run_due(&mut a, "expiry", hour, "a", t0, |_| Ok(1)).unwrap(),
                Some(1)
            );
            assert_eq!(
                run_due(&mut b, "expiry", hour, "b", t0, |_| Ok(2)).unwrap(),
                None,
                "{label}"
            );
            let later = t0 + SignedDuration::from_mins(61);
            // A failed run leaves the task due.
            assert!(
                run_due(&mut b, "expiry", hour, "b", later, |_| {
                    Err::<(), _>(crate::StoreError::Invalid("échec".into()))
                })
                .is_err()
            );
            assert_eq!(
                run_due(&mut a, "expiry", hour, "a", later, |_| Ok(3)).unwrap(),
                Some(3)
            );
            assert_eq!(
                run_due(&mut b, "expiry", hour, "b", later, |_| Ok(4)).unwrap(),
                None
            );
            // Another task is independent.
            assert_eq!(
                run_due(&mut b, "rappels", hour, "b", later, |_| Ok(5)).unwrap(),
                Some(5)
            );
            // Two servers ticking at the same moment: one run.
            let much_later = later + SignedDuration::from_hours(2);
            let url = t.url.clone();
            let runs: Vec<Option<i32>> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..4)
                    .map(|i| {
                        let url = url.clone();
                        s.spawn(move || {
                            let mut db = Db::connect(&url).unwrap();
                            run_due(
                                &mut db,
                                "expiry",
                                hour,
                                &format!("s{i}"),
                                much_later,
                                |_| {
                                    std::thread::sleep(std::time::Duration::from_millis(50));
                                    Ok(i)
                                },
                            )
                            .unwrap()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            assert_eq!(runs.iter().flatten().count(), 1, "{label} {runs:?}");
        }
    }
}
