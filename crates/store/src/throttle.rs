//! Counters of failed sign-ins by bucket (an account with a client address, or an address
//! alone), shared by every server through the database, with growing delays: after `free`
//! failures each new one blocks the bucket for `base` seconds, doubled at every further
//! failure up to `max`. A bucket with no failure for `forget_after` seconds starts again from
//! zero. Nothing is ever locked for good, and a bucket only holds back its own attempts.

use crate::{Db, StoreResult, Value};

/// The limits of one kind of bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Failures heard before any delay.
    pub free: i64,
    /// First delay, in seconds.
    pub base: i64,
    /// Longest delay, in seconds.
    pub max: i64,
    /// Seconds without failure after which the bucket is forgotten.
    pub forget_after: i64,
}

impl Limit {
    /// The delay after the `failures`-th failure (0 while within `free`).
    pub fn delay(&self, failures: i64) -> i64 {
        if failures < self.free {
            return 0;
        }
        let doublings = u32::try_from(failures - self.free)
            .unwrap_or(u32::MAX)
            .min(40);
        self.base
            .saturating_mul(1_i64.checked_shl(doublings).unwrap_or(i64::MAX))
            .min(self.max)
    }
}

/// Seconds before this bucket is heard again (0: now).
pub fn wait(db: &mut Db, bucket: &str, now: i64) -> StoreResult<i64> {
    Ok(db
        .query_opt(
            "SELECT blocked_until FROM sign_in_throttle WHERE bucket = $1",
            &[bucket.into()],
        )?
        .map(|r| r.int(0))
        .transpose()?
        .map_or(0, |until| (until - now).max(0)))
}

/// Counts a failure in this bucket at `now` (Unix seconds); returns the delay it sets (0 when
/// still within the free failures). The increment is one statement, so servers counting at
/// once lose no failure.
pub fn record_failure(db: &mut Db, bucket: &str, now: i64, limit: Limit) -> StoreResult<i64> {
    db.transaction(|tx| {
        tx.execute(
            "INSERT INTO sign_in_throttle (bucket, failures, last_failure, blocked_until)
             VALUES ($1, 1, $2, 0)
             ON CONFLICT (bucket) DO UPDATE SET
                 failures = CASE WHEN sign_in_throttle.last_failure < $3 THEN 1
                                 ELSE sign_in_throttle.failures + 1 END,
                 last_failure = $2",
            &[
                bucket.into(),
                Value::Int(now),
                Value::Int(now - limit.forget_after),
            ],
        )?;
        let failures = tx
            .query_one(
                "SELECT failures FROM sign_in_throttle WHERE bucket = $1",
                &[bucket.into()],
            )?
            .int(0)?;
        let delay = limit.delay(failures);
        tx.execute(
            "UPDATE sign_in_throttle SET blocked_until = $2 WHERE bucket = $1",
            &[bucket.into(), Value::Int(now + delay)],
        )?;
        Ok(delay)
    })
}

/// Forgets a bucket (a successful sign-in of that account from that address), and every
/// bucket without failure since `forget_before`.
pub fn forget(db: &mut Db, bucket: &str, forget_before: i64) -> StoreResult<()> {
    db.execute(
        "DELETE FROM sign_in_throttle WHERE bucket = $1 OR last_failure < $2",
        &[bucket.into(), Value::Int(forget_before)],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    const LIMIT: Limit = Limit {
        free: 3,
        base: 30,
        max: 600,
        forget_after: 86_400,
    };

    #[test]
    fn delays_grow_then_stop_growing() {
        let delays: Vec<i64> = (1..=10).map(|n| LIMIT.delay(n)).collect();
        assert_eq!(delays, [0, 0, 30, 60, 120, 240, 480, 600, 600, 600]);
        assert_eq!(LIMIT.delay(i64::MAX), 600);
    }

    #[test]
    fn growing_delays_shared_and_forgotten_on_every_backend() {
        for t in testing::all() {
            let mut db = t.connect();
            let now = 1_800_000_000;
            assert_eq!(wait(&mut db, "a", now).unwrap(), 0, "{}", t.label);
            let got: Vec<i64> = (0..5)
                .map(|_| record_failure(&mut db, "a", now, LIMIT).unwrap())
                .collect();
            assert_eq!(got, [0, 0, 30, 60, 120], "{}", t.label);
            assert_eq!(wait(&mut db, "a", now + 20).unwrap(), 100);
            assert_eq!(wait(&mut db, "a", now + 120).unwrap(), 0);
            // Another bucket is not held back.
            assert_eq!(wait(&mut db, "b", now).unwrap(), 0);
            // A day without failure: counted from zero again.
            assert_eq!(
                record_failure(&mut db, "a", now + 86_401, LIMIT).unwrap(),
                0,
                "{}",
                t.label
            );
            record_failure(&mut db, "b", now, LIMIT).unwrap();
            forget(&mut db, "a", now - 1).unwrap();
            assert_eq!(record_failure(&mut db, "a", now, LIMIT).unwrap(), 0);
            assert_eq!(
                record_failure(&mut db, "b", now, LIMIT).unwrap(),
                0,
                "b kept its count"
            );
            assert_eq!(record_failure(&mut db, "b", now, LIMIT).unwrap(), 30);
        }
    }
}
