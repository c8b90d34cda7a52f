//! The CPAM agent's side of the claims: rejected claims with their reasons, and batches judged
//! from the web (the same engine and file format as `msp adjudicate`), in the background, their
//! progress kept in memory by [`Jobs`] (held by the [`AppState`]): a restart forgets them, while
//! a batch itself is committed whole or not at all, its unreadable rows with it.

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{CpamAgent, CurrentUser};
use crate::services::audit::{self, Via};
use jiff::{SignedDuration, Timestamp};
use msp_domain::{Claim, Decision, Reason};
use msp_interchange::CsvReader;
use msp_store::StoreError;
use msp_store::batch_errors::{self, BatchError};
use msp_store::claims::BatchOutcome;
use msp_store::liquidation::{self, BatchSummary, Rejects};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Largest claims file accepted from the web (larger batches go through `msp adjudicate`).
pub const MAX_BATCH_BYTES: usize = 20 * 1024 * 1024;
/// Rejected claims listed at most.
pub const REJECTS_SHOWN: i64 = 200;
/// Batches listed.
pub const BATCHES_SHOWN: i64 = 20;
/// How long a finished job stays in memory; its batch and errors report stay in the database.
pub const JOB_KEPT: SignedDuration = SignedDuration::from_hours(1);
/// Rows of unreadable lines shown on a batch's report (all are in its errors report).
pub const UNREADABLE_SHOWN: usize = 50;

/// The steps of a batch judged from the web, in order, as its page names them.
pub const STEPS: [&str; 6] = [
    "Recherche des séances déjà jugées",
    "Chargement de l’historique des patients",
    "Jugement des séances",
    "Enregistrement des décisions",
    "Enregistrement des lignes illisibles et du journal d’audit",
    "Mise à jour des statistiques",
];

/// Why nothing of a batch was judged, when the cause is ours.
pub const INTERNAL_FAILURE: &str = "une erreur interne a interrompu le jugement ; rien n’a été enregistré. Renvoyez le fichier dans quelques instants.";

/// Batches are run and followed by agents with a national scope: a département agent would
/// judge claims of other départements.
pub fn require_national(agent: &CpamAgent) -> AppResult<()> {
    match &agent.territory {
        None => Ok(()),
        Some(t) => Err(AppError::forbidden(
            "portee_nationale",
            format!(
                "La liquidation des lots est réservée aux agents de portée nationale ; votre compte est limité au département {t}."
            ),
        )),
    }
}

// ------------------------------------------------------------------ rejected claims

/// The rejected claims an agent may read.
#[derive(Debug, Clone)]
pub struct RejectList {
    /// The agent's département, when their account is limited to one.
    pub territory: Option<String>,
    /// The reason filtered on.
    pub reason: Option<Reason>,
    pub rejects: Rejects,
}

impl RejectList {
    /// Rejected claims of every reason.
    pub fn total(&self) -> i64 {
        self.rejects.counts.iter().map(|(_, n)| n).sum()
    }
}

/// The rejected claims of the agent's territory, counted by reason, the [`REJECTS_SHOWN`] most
/// recent listed (of `motif` only, a reason code, when given); one audit line per patient
/// listed.
pub async fn rejects(
    state: &AppState,
    agent: &CpamAgent,
    motif: Option<&str>,
    via: Via,
) -> AppResult<RejectList> {
    let key = state.patient_key().clone();
    let reason = match motif.map(str::trim).filter(|m| !m.is_empty()) {
        None => None,
        Some(m) => Some(Reason::parse(&m.to_uppercase()).ok_or_else(|| {
            AppError::rejected(
                axum::http::StatusCode::BAD_REQUEST,
                "motif_inconnu",
                format!(
                    "Motif (motif) inconnu « {m} » : {}.",
                    Reason::ALL.map(Reason::code).join(", ")
                ),
            )
            .field("motif")
            .titled("Motif inconnu")
        })?),
    };
    let (territory, user) = (agent.territory.clone(), agent.user.clone());
    let rejects = state
        .db(move |db| {
            let found = liquidation::rejects(db, territory.as_deref(), reason, REJECTS_SHOWN)?;
            audit::patients_read(
                db,
                &key,
                &user,
                found.recent.iter().map(|r| &r.nir),
                &format!("liste des séances rejetées{}", via.mark()),
            )?;
            Ok(found)
        })
        .await?;
    Ok(RejectList {
        territory: agent.territory.clone(),
        reason,
        rejects,
    })
}

// ------------------------------------------------------------------ batches

/// The most recent batches.
pub async fn recent_batches(state: &AppState, agent: &CpamAgent) -> AppResult<Vec<BatchSummary>> {
    require_national(agent)?;
    state
        .db(|db| liquidation::recent_batches(db, BATCHES_SHOWN))
        .await
}

/// A batch judged from the web, as its page shows it.
#[derive(Debug, Clone)]
pub struct JobState {
    /// The agent who sent the file.
    pub account_id: i64,
    pub file_name: String,
    /// The current step, from 1 to `STEPS.len()`, and its French label.
    pub step: usize,
    pub stage: String,
    /// Progress of the current step.
    pub done: u64,
    pub total: u64,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// `None` while running; then what the batch did, or why nothing was judged (French).
    pub result: Option<Result<JobOutcome, String>>,
}

impl JobState {
    /// A job at its first step, `claims` claims to judge.
    pub fn new(account_id: i64, file_name: &str, claims: u64, started_at: Timestamp) -> Self {
        JobState {
            account_id,
            file_name: file_name.to_owned(),
            step: 1,
            stage: STEPS[0].to_owned(),
            done: 0,
            total: claims,
            started_at,
            finished_at: None,
            result: None,
        }
    }

    /// Progress of the current step, in whole percent.
    pub fn percent(&self) -> u64 {
        (self.done.min(self.total) * 100)
            .checked_div(self.total)
            .unwrap_or(0)
    }
}

/// What a web batch did.
#[derive(Debug, Clone, Default)]
pub struct JobOutcome {
    pub batch_id: i64,
    /// Readable rows, judged.
    pub claims: usize,
    pub accepted: usize,
    pub by_reason: BTreeMap<Reason, usize>,
    /// Claims whose id an earlier batch judged (their decision is repeated).
    pub already_judged: usize,
    /// Unreadable rows (none judged), and the first [`UNREADABLE_SHOWN`] of them, with messages
    /// as stored (no NIR).
    pub unreadable: usize,
    pub first_unreadable: Vec<BatchError>,
}

impl JobOutcome {
    fn new(outcome: &BatchOutcome, errors: &[BatchError]) -> Self {
        let mut report = JobOutcome {
            batch_id: outcome.batch_id,
            claims: outcome.decisions.len(),
            already_judged: outcome.already_judged,
            unreadable: errors.len(),
            first_unreadable: errors
                .iter()
                .take(UNREADABLE_SHOWN)
                .map(|e| BatchError {
                    message: batch_errors::safe_message(&e.field, &e.message),
                    ..e.clone()
                })
                .collect(),
            ..JobOutcome::default()
        };
        for d in &outcome.decisions {
            match d {
                Decision::Accepted(_) => report.accepted += 1,
                Decision::Rejected(r) => *report.by_reason.entry(*r).or_insert(0) += 1,
            }
        }
        report
    }

    /// Rejected claims.
    pub fn rejected(&self) -> usize {
        self.by_reason.values().sum()
    }
}

/// The batches judged from the web, by job number, in memory: a restart forgets them (the
/// batches themselves are committed whole or not at all).
#[derive(Default)]
pub struct Jobs {
    table: Mutex<JobTable>,
}

#[derive(Default)]
struct JobTable {
    last: u64,
    jobs: HashMap<u64, JobState>,
}

impl Jobs {
    fn lock(&self) -> MutexGuard<'_, JobTable> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a job and returns its number; first forgets the jobs finished more than
    /// [`JOB_KEPT`] ago.
    pub fn add(&self, job: JobState) -> u64 {
        let now = Timestamp::now();
        let mut table = self.lock();
        table.jobs.retain(|_, j| {
            j.finished_at
                .is_none_or(|f| now.duration_since(f) < JOB_KEPT)
        });
        table.last += 1;
        let id = table.last;
        table.jobs.insert(id, job);
        id
    }

    /// A copy of the job's state.
    pub fn get(&self, id: u64) -> Option<JobState> {
        self.lock().jobs.get(&id).cloned()
    }

    /// Moves a running job to `step` (from 1 to `STEPS.len()`), with that step's progress.
    pub fn progress(&self, id: u64, step: usize, done: u64, total: u64) {
        let step = step.clamp(1, STEPS.len());
        if let Some(j) = self.lock().jobs.get_mut(&id)
            && j.result.is_none()
        {
            j.step = step;
            j.stage = STEPS[step - 1].to_owned();
            j.done = done;
            j.total = total;
        }
    }

    /// Records the end of a job: what the batch did, or why nothing was judged.
    pub fn finish(&self, id: u64, result: Result<JobOutcome, String>) {
        if let Some(j) = self.lock().jobs.get_mut(&id) {
            j.finished_at = Some(Timestamp::now());
            j.result = Some(result);
        }
    }
}

/// Reads a claims file sent by a national agent and judges it in the background; the job's
/// number, to follow it. An empty or unreadable file is refused (field `fichier`) and nothing
/// is judged.
pub async fn run_batch<B>(
    state: &AppState,
    agent: &CpamAgent,
    file_name: &str,
    file: B,
) -> AppResult<u64>
where
    B: AsRef<[u8]> + Send + 'static,
{
    require_national(agent)?;
    if file.as_ref().is_empty() {
        return Err(AppError::invalid(
            "fichier_absent",
            "Choisissez le fichier des séances à juger.",
        )
        .field("fichier"));
    }
    // Reading 20 MB takes a while: off the async workers.
    let parsed = tokio::task::spawn_blocking(move || {
        CsvReader::<_, Claim>::new(file.as_ref()).and_then(|r| r.read_all())
    })
    .await?
    .map_err(|e| {
        AppError::invalid(
            "fichier_illisible",
            format!("Fichier illisible, rien n’a été jugé : {e}"),
        )
        .field("fichier")
    })?;
    let claims: Vec<Claim> = parsed.rows.into_iter().map(|(_, c)| c).collect();
    let errors: Vec<BatchError> = parsed
        .errors
        .into_iter()
        .map(|e| BatchError {
            line: e.line,
            field: e.column,
            message: e.message,
        })
        .collect();
    let job = state.jobs().add(JobState::new(
        agent.account.id,
        file_name,
        claims.len() as u64,
        Timestamp::now(),
    ));
    let source = format!("web : {} ({})", file_name, agent.account.email);
    let (s, user) = (state.clone(), agent.user.clone());
    // Not awaited: the agent follows the job's page. The task only waits for the blocking work
    // to record a panic as a failure (the transaction is then rolled back).
    tokio::spawn(async move {
        let worker = s.clone();
        let run = tokio::task::spawn_blocking(move || {
            judge_batch(&worker, job, &user, &source, &claims, &errors)
        })
        .await;
        let result = run.unwrap_or_else(|e| {
            tracing::error!(job, error = %e, "web batch panicked");
            Err(INTERNAL_FAILURE.to_owned())
        });
        s.jobs().finish(job, result);
    });
    Ok(job)
}

/// Judges a batch and stores its unreadable rows and the audit line in one transaction, then
/// refreshes the statistics (blocking). The error is the French message the job's page shows.
fn judge_batch(
    state: &AppState,
    job: u64,
    user: &CurrentUser,
    source: &str,
    claims: &[Claim],
    errors: &[BatchError],
) -> Result<JobOutcome, String> {
    let jobs = state.jobs();
    let total = claims.len() as u64;
    let failure = |e: StoreError| match e {
        StoreError::Conflict(m) | StoreError::Invalid(m) => {
            format!("{} Rien n’a été jugé.", crate::views::sentence(&m))
        }
        other => {
            tracing::error!(job, error = %other, "web batch failed");
            INTERNAL_FAILURE.to_owned()
        }
    };
    let mut db = state.pool().get().map_err(|e| {
        tracing::error!(job, error = %e, "web batch: no connection");
        INTERNAL_FAILURE.to_owned()
    })?;
    let outcome = db
        .transaction(|tx| {
            // The statistics summaries are folded from the batch in memory, in its transaction.
            let outcome = msp_store::claims::adjudicate_batch_with(
                tx,
                state.rules(),
                source,
                Timestamp::now(),
                claims,
                // The engine reports the end of a step; the page names the next one.
                &|stage, done, n| match stage {
                    "décisions antérieures" => jobs.progress(job, 2, 0, total),
                    "historique chargé" => jobs.progress(job, 3, 0, total),
                    "jugement" => jobs.progress(job, 4, 0, total),
                    _ => jobs.progress(job, 4, done, n),
                },
                &mut msp_stats::refresh::fold_judged,
            )?;
            jobs.progress(job, 5, total, total);
            batch_errors::record(tx, outcome.batch_id, errors)?;
            audit::record(
                tx,
                user,
                "liquidation",
                "lot",
                &outcome.batch_id.to_string(),
                &format!(
                    "{} séance(s) jugée(s) depuis le web, {} ligne(s) illisible(s)",
                    claims.len(),
                    errors.len()
                ),
            )?;
            Ok(outcome)
        })
        .map_err(failure)?;
    jobs.progress(job, 6, total, total);
    state.metrics().claims_judged(claims.len() as u64);
    Ok(JobOutcome::new(&outcome, errors))
}

/// A batch being judged or judged recently, by its job number as in its address.
pub fn batch_job(state: &AppState, agent: &CpamAgent, job: &str) -> AppResult<(u64, JobState)> {
    require_national(agent)?;
    job.parse::<u64>()
        .ok()
        .and_then(|id| Some((id, state.jobs().get(id)?)))
        .ok_or_else(|| {
            AppError::not_found(
                "traitement_inconnu",
                "Aucun lot en cours ou récent ne porte ce numéro : le suivi d’un lot est oublié une heure après la fin du jugement et au redémarrage du serveur. Les lots jugés restent dans la liste des derniers lots.",
            )
            .titled("Traitement introuvable")
        })
}

fn unknown_batch() -> AppError {
    AppError::not_found("lot_inconnu", "Aucun lot ne porte ce numéro.").titled("Lot introuvable")
}

/// The decisions of the claims a batch judged, by claim id (ids judged by an earlier batch
/// belong to that batch).
pub async fn batch_decisions(
    state: &AppState,
    agent: &CpamAgent,
    batch: &str,
) -> AppResult<(i64, Vec<(String, Decision)>)> {
    require_national(agent)?;
    let id = batch.parse::<i64>().map_err(|_| unknown_batch())?;
    let rows = state
        .db(move |db| liquidation::batch_decisions(db, id))
        .await?
        .ok_or_else(unknown_batch)?;
    Ok((id, rows))
}

/// A batch's unreadable rows, messages as stored (no NIR).
pub async fn batch_errors(
    state: &AppState,
    agent: &CpamAgent,
    batch: &str,
) -> AppResult<(i64, Vec<BatchError>)> {
    require_national(agent)?;
    let id = batch.parse::<i64>().map_err(|_| unknown_batch())?;
    let rows = state
        .db(move |db| {
            if !liquidation::batch_exists(db, id)? {
                return Ok(None);
            }
            batch_errors::list(db, id).map(Some)
        })
        .await?
        .ok_or_else(unknown_batch)?;
    Ok((id, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_jobs_are_forgotten_after_an_hour() {
        let jobs = Jobs::default();
        let long_ago = Timestamp::now() - SignedDuration::from_hours(2);
        let old = jobs.add(JobState::new(1, "ancien.csv", 10, long_ago));
        // Still running after two hours: kept.
        let slow = jobs.add(JobState::new(1, "lent.csv", 10, long_ago));
        let recent = jobs.add(JobState::new(1, "récent.csv", 10, Timestamp::now()));
        jobs.finish(recent, Ok(JobOutcome::default()));
        jobs.finish(old, Err("échec".into()));
        jobs.lock().jobs.get_mut(&old).unwrap().finished_at = Some(long_ago);
        assert!(
            jobs.get(old).is_some(),
            "forgotten only when a job is added"
        );
        let next = jobs.add(JobState::new(2, "suivant.csv", 10, Timestamp::now()));
        assert!(jobs.get(old).is_none());
        assert!(jobs.get(slow).is_some() && jobs.get(recent).is_some());
        assert!(old < slow && slow < recent && recent < next);
        // A finished job no longer moves.
        jobs.progress(recent, 3, 5, 10);
        assert_eq!(jobs.get(recent).unwrap().step, 1);
        jobs.progress(slow, 4, 5, 10);
        let s = jobs.get(slow).unwrap();
        assert_eq!((s.step, s.stage.as_str(), s.percent()), (4, STEPS[3], 50));
    }
}
