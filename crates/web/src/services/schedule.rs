//! Scheduled work of the server, run once across the fleet ([`msp_store::schedule`]): each
//! server ticks every [`TICK`], the first to find a task due runs it, in the task's
//! transaction. The expiry of applications uses it; so can the reminder e-mails.

use crate::AppState;
use msp_store::{Db, StoreError};
use std::time::Duration;

/// How often each server looks for due work.
pub const TICK: Duration = Duration::from_secs(60);

/// Runs `work` once per `every` across the fleet, from this server when it is the first to find
/// it due (blocking); `Ok(None)` when not due.
pub fn run_once<T>(
    state: &AppState,
    task: &str,
    every: Duration,
    work: impl FnOnce(&mut Db) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut db = state.pool().get()?;
    let every = jiff::SignedDuration::try_from(every).unwrap_or(jiff::SignedDuration::MAX);
    msp_store::schedule::run_due(
        &mut db,
        task,
        every,
        state.jobs().server_id(),
        jiff::Timestamp::now(),
        work,
    )
}

/// Spawns the loop that runs `work` once per `every` across the fleet (at start-up when due),
/// logging what it did with `done`.
pub fn spawn_every<T: Send + 'static>(
    state: &AppState,
    task: &'static str,
    every: Duration,
    work: fn(&AppState, &mut Db) -> Result<T, StoreError>,
    done: fn(&T),
) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(TICK.min(every));
        loop {
            tick.tick().await;
            let s = state.clone();
            let ran =
                tokio::task::spawn_blocking(move || run_once(&s, task, every, |db| work(&s, db)))
                    .await;
            match ran {
                Ok(Ok(Some(out))) => done(&out),
                Ok(Ok(None)) => {}
                Ok(Err(e)) => tracing::warn!(task, error = %e, "scheduled task failed"),
                Err(e) => tracing::warn!(task, error = %e, "scheduled task panicked"),
            }
        }
    });
}
