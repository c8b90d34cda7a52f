//! The CPAM agent's side of the claims: rejected claims with their reasons, and batches judged
//! from the web (the same engine and file format as `msp adjudicate`), in the background, kept in
//! the database by [`Jobs`] so that every server of a fleet shows them; a batch is committed whole
//! or not at all, its unreadable rows and its job's end with it.

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{CpamAgent, CurrentUser};
use crate::services::audit::{self, Via};
use jiff::{SignedDuration, Timestamp};
use msp_domain::{Claim, Decision, Reason};
use msp_interchange::CsvReader;
use msp_store::Db;
use msp_store::StoreError;
use msp_store::batch_errors::{self, BatchError};
use msp_store::batch_jobs::{self, Job, Status};
use msp_store::claims::BatchOutcome;
use msp_store::liquidation::OnlineSummary;
use msp_store::liquidation::{self, BatchSummary, Rejects};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Largest claims file accepted from the web (larger batches go through `msp adjudicate`).
pub const MAX_BATCH_BYTES: usize = 20 * 1024 * 1024;
/// Rejected claims listed at most.
pub const REJECTS_SHOWN: i64 = 200;
/// Batches listed.
pub const BATCHES_SHOWN: i64 = 20;
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
    pub status: Status,
    /// The current step, from 1 to `STEPS.len()`, and its French label.
    pub step: usize,
    pub stage: String,
    /// Progress of the current step.
    pub done: u64,
    pub total: u64,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// `None` while queued, running or interrupted; then what the batch did, or why nothing was
    /// judged (French).
    pub result: Option<Result<JobOutcome, String>>,
}

impl JobState {
    /// A job at its first step, `claims` claims to judge.
    pub fn new(account_id: i64, file_name: &str, claims: u64, started_at: Timestamp) -> Self {
        JobState {
            account_id,
            file_name: file_name.to_owned(),
            status: Status::Running,
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

    fn from_job(job: Job, local: Option<Local>) -> Self {
        let (step, done, total) = match local {
            Some(l) => (l.step, l.done, l.total),
            None => (job.step as usize, job.done as u64, job.total as u64),
        };
        let step = step.clamp(1, STEPS.len());
        let result = match job.status {
            Status::Done => Some(
                job.report
                    .as_deref()
                    .and_then(|r| serde_json::from_str::<StoredReport>(r).ok())
                    .map(JobOutcome::from)
                    .ok_or_else(|| INTERNAL_FAILURE.to_owned()),
            ),
            Status::Failed => Some(Err(job
                .error
                .unwrap_or_else(|| INTERNAL_FAILURE.to_owned()))),
            _ => None,
        };
        JobState {
            account_id: job.account_id,
            file_name: job.file_name,
            status: job.status,
            step,
            stage: STEPS[step - 1].to_owned(),
            done,
            total,
            started_at: job.started_at.unwrap_or(job.created_at),
            finished_at: job.finished_at,
            result,
        }
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

/// A [`JobOutcome`] as kept in `batch_jobs.report` (JSON; reasons by code; no NIR).
#[derive(Serialize, Deserialize)]
struct StoredReport {
    batch_id: i64,
    claims: usize,
    accepted: usize,
    by_reason: BTreeMap<String, usize>,
    already_judged: usize,
    unreadable: usize,
    first_unreadable: Vec<(u64, String, String)>,
}

impl From<&JobOutcome> for StoredReport {
    fn from(r: &JobOutcome) -> Self {
        StoredReport {
            batch_id: r.batch_id,
            claims: r.claims,
            accepted: r.accepted,
            by_reason: r
                .by_reason
                .iter()
                .map(|(k, v)| (k.code().to_owned(), *v))
                .collect(),
            already_judged: r.already_judged,
            unreadable: r.unreadable,
            first_unreadable: r
                .first_unreadable
                .iter()
                .map(|e| (e.line, e.field.clone(), e.message.clone()))
                .collect(),
        }
    }
}

impl From<StoredReport> for JobOutcome {
    fn from(r: StoredReport) -> Self {
        JobOutcome {
            batch_id: r.batch_id,
            claims: r.claims,
            accepted: r.accepted,
            by_reason: r
                .by_reason
                .into_iter()
                .filter_map(|(k, v)| Some((Reason::parse(&k)?, v)))
                .collect(),
            already_judged: r.already_judged,
            unreadable: r.unreadable,
            first_unreadable: r
                .first_unreadable
                .into_iter()
                .map(|(line, field, message)| BatchError {
                    line,
                    field,
                    message,
                })
                .collect(),
        }
    }
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

    fn to_json(&self) -> String {
        serde_json::to_string(&StoredReport::from(self)).unwrap_or_default()
    }
}

/// A running job's progress as this server knows it (its batch transaction is open: on SQLite
/// no other connection may write until it commits).
#[derive(Debug, Clone, Copy)]
struct Local {
    attempt: i64,
    step: usize,
    done: u64,
    total: u64,
}

/// The batches judged from the web, kept in the database (`msp_store::batch_jobs`) so that any
/// server shows them; the progress of the jobs this server runs is also kept here, in memory,
/// and written to the database every [`HEARTBEAT`] on PostgreSQL (the heartbeat other servers
/// read: a job silent for [`LEASE`] is marked interrupted).
pub struct Jobs {
    pool: msp_store::Pool,
    /// This server, among the fleet's.
    owner: String,
    local: Mutex<HashMap<i64, Local>>,
}

/// How often a server writes its running jobs' progress (PostgreSQL).
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// A running job whose server has not written for this long is marked interrupted.
pub const LEASE: SignedDuration = SignedDuration::from_secs(10);

impl Jobs {
    pub fn new(pool: msp_store::Pool) -> Self {
        let owner = format!(
            "{}-{}-{}",
            std::env::var("HOSTNAME").unwrap_or_default(),
            std::process::id(),
            Timestamp::now().as_nanosecond()
        );
        Jobs {
            pool,
            owner,
            local: Mutex::new(HashMap::new()),
        }
    }

    /// This server's name among the fleet's (process id and start time).
    pub fn server_id(&self) -> &str {
        &self.owner
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Local>> {
        self.local.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn conn(&self) -> Result<msp_store::PooledDb, StoreError> {
        Ok(self.pool.get()?)
    }

    /// Records a job and claims it for this server (blocking); its number. Nothing is judged:
    /// see [`run_batch`]. Also for tests, which then move it with [`Jobs::progress`] and
    /// [`Jobs::finish`].
    pub fn add(&self, job: JobState) -> i64 {
        self.add_file(&job, b"").expect("job recorded").0
    }

    fn add_file(&self, job: &JobState, file: &[u8]) -> Result<(i64, i64), StoreError> {
        let mut db = self.conn()?;
        let id = batch_jobs::create(
            &mut db,
            job.account_id,
            &job.file_name,
            file,
            job.total as i64,
            job.started_at,
        )?;
        let attempt = self
            .claim(&mut db, id)?
            .ok_or_else(|| StoreError::Conflict(format!("traitement {id} déjà pris")))?;
        Ok((id, attempt))
    }

    /// Claims a queued job for this server; its attempt number.
    fn claim(&self, db: &mut Db, id: i64) -> Result<Option<i64>, StoreError> {
        let attempt = batch_jobs::claim(db, id, &self.owner, Timestamp::now())?;
        if let Some(a) = attempt {
            let total = batch_jobs::get(db, id)?.map_or(0, |j| j.total as u64);
            self.lock().insert(
                id,
                Local {
                    attempt: a,
                    step: 1,
                    done: 0,
                    total,
                },
            );
        }
        Ok(attempt)
    }

    /// Moves a running job of this server to `step` (from 1 to `STEPS.len()`), with that
    /// step's progress.
    pub fn progress(&self, id: i64, step: usize, done: u64, total: u64) {
        if let Some(l) = self.lock().get_mut(&id) {
            l.step = step.clamp(1, STEPS.len());
            l.done = done;
            l.total = total;
        }
    }

    /// Records the end of a job run outside a batch (tests; failures): what the batch did, or
    /// why nothing was judged.
    pub fn finish(&self, id: i64, result: Result<JobOutcome, String>) {
        let Some(local) = self.lock().remove(&id) else {
            return;
        };
        let now = Timestamp::now();
        let written = self.conn().and_then(|mut db| match &result {
            Ok(r) => db.transaction(|tx| {
                batch_jobs::finish_in_batch(tx, id, local.attempt, r.batch_id, &r.to_json(), now)
            }),
            Err(m) => batch_jobs::fail(&mut db, id, local.attempt, m, now),
        });
        if let Err(e) = written {
            tracing::error!(job = id, error = %e, "web batch: end not recorded");
        }
    }

    /// Writes the progress of this server's running jobs, their heartbeat (PostgreSQL).
    fn beat(&self) {
        let running: Vec<(i64, Local)> = self.lock().iter().map(|(k, v)| (*k, *v)).collect();
        if running.is_empty() {
            return;
        }
        let now = Timestamp::now();
        let written = self.conn().and_then(|mut db| {
            if db.backend() == msp_store::Backend::Sqlite {
                return Ok(());
            }
            for (id, l) in running {
                batch_jobs::progress(
                    &mut db,
                    id,
                    l.attempt,
                    (l.step as i64, l.done as i64, l.total as i64),
                    now,
                )?;
            }
            Ok(())
        });
        if let Err(e) = written {
            tracing::warn!(error = %e, "web batches: heartbeat not written");
        }
    }

    /// A job as its page shows it (blocking): a running job of a server silent for [`LEASE`]
    /// is first marked interrupted.
    pub fn view(&self, db: &mut Db, id: i64) -> Result<Option<JobState>, StoreError> {
        let Some(mut job) = batch_jobs::get(db, id)? else {
            return Ok(None);
        };
        let local = self.lock().get(&id).copied();
        if job.status == Status::Running
            && local.is_none()
            && job.owner.as_deref() != Some(self.owner.as_str())
            && job
                .heartbeat_at
                .is_none_or(|b| Timestamp::now().duration_since(b) > LEASE)
        {
            let now = Timestamp::now();
            batch_jobs::mark_interrupted(db, now - LEASE, &self.owner, now)?;
            job = batch_jobs::get(db, id)?.unwrap_or(job);
        } else if job.status == Status::Running && local.is_none() {
            // Ours, but no longer running here (the process lost it): interrupted.
            if job.owner.as_deref() == Some(self.owner.as_str()) {
                job.status = Status::Interrupted;
            }
        }
        let local = local.filter(|_| job.status == Status::Running);
        Ok(Some(JobState::from_job(job, local)))
    }

    /// A copy of the job's state (blocking).
    pub fn get(&self, id: i64) -> Option<JobState> {
        self.conn()
            .ok()
            .and_then(|mut db| self.view(&mut db, id).ok().flatten())
    }
}

/// Writes the heartbeat of this server's running batches every [`HEARTBEAT`] (PostgreSQL: on
/// SQLite, the only server knows its jobs and the batch's transaction holds the writer's lock).
/// (Spawned from the runtime: the backend is known only on the blocking pool, where the
/// synchronous PostgreSQL client may connect.)
pub fn spawn_heartbeat(state: &AppState) {
    let s = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            let beat = s.clone();
            let _ = tokio::task::spawn_blocking(move || beat.jobs().beat()).await;
        }
    });
}

/// Reads a claims file (blocking): the readable claims and the unreadable rows.
fn parse_claims(file: &[u8]) -> Result<(Vec<Claim>, Vec<BatchError>), String> {
    let parsed = CsvReader::<_, Claim>::new(file)
        .and_then(|r| r.read_all())
        .map_err(|e| format!("Fichier illisible, rien n’a été jugé : {e}"))?;
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
    Ok((claims, errors))
}

/// Reads a claims file sent by a national agent, records the job in the database (with its
/// file, so that it can be run again if this server dies) and judges it in the background; the
/// job's number, to follow it from any server. An empty or unreadable file is refused (field
/// `fichier`) and nothing is judged.
pub async fn run_batch<B>(
    state: &AppState,
    agent: &CpamAgent,
    file_name: &str,
    file: B,
) -> AppResult<i64>
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
    let (s, account, name) = (state.clone(), agent.account.id, file_name.to_owned());
    // Reading 20 MB takes a while: off the async workers.
    let (job, attempt, claims, errors) = tokio::task::spawn_blocking(move || {
        let (claims, errors) = parse_claims(file.as_ref())
            .map_err(|m| AppError::invalid("fichier_illisible", m).field("fichier"))?;
        let job = JobState::new(account, &name, claims.len() as u64, Timestamp::now());
        let (id, attempt) = s.jobs().add_file(&job, file.as_ref())?;
        Ok::<_, AppError>((id, attempt, claims, errors))
    })
    .await??;
    spawn_judge(state, agent, file_name, job, attempt, claims, errors);
    Ok(job)
}

/// Runs again a job whose server died (its batch was rolled back with it), from its kept file,
/// on this server; refused when the job is not interrupted (running elsewhere, done, already
/// restarted).
pub async fn restart_batch(state: &AppState, agent: &CpamAgent, job: &str) -> AppResult<i64> {
    require_national(agent)?;
    let id = job.parse::<i64>().map_err(|_| unknown_job())?;
    let s = state.clone();
    let started = state
        .db(move |db| {
            let Some(view) = s.jobs().view(db, id)? else {
                return Ok(None);
            };
            if view.status != Status::Interrupted || !batch_jobs::requeue(db, id)? {
                return Ok(Some(Err(view.file_name)));
            }
            let attempt = s.jobs().claim(db, id)?;
            let file = batch_jobs::file(db, id)?.unwrap_or_default();
            Ok(Some(Ok((view.file_name, attempt, file))))
        })
        .await?
        .ok_or_else(unknown_job)?;
    let (file_name, attempt, file) = started.map_err(|name| {
        AppError::rejected(
            axum::http::StatusCode::CONFLICT,
            "traitement_non_interrompu",
            format!(
                "Le lot « {name} » n’est pas interrompu : il est en cours, terminé ou déjà relancé."
            ),
        )
        .titled("Lot non relancé")
    })?;
    let Some(attempt) = attempt else {
        return Err(AppError::rejected(
            axum::http::StatusCode::CONFLICT,
            "traitement_non_interrompu",
            "Ce lot vient d’être relancé par un autre serveur.".to_owned(),
        ));
    };
    let parsed = tokio::task::spawn_blocking(move || parse_claims(&file)).await?;
    match parsed {
        Ok((claims, errors)) => spawn_judge(state, agent, &file_name, id, attempt, claims, errors),
        Err(m) => state.jobs().finish(id, Err(m)),
    }
    Ok(id)
}

/// Judges a recorded job in the background (not awaited: the agent follows the job's page).
/// The task only waits for the blocking work to record a panic as a failure (the transaction is
/// then rolled back).
fn spawn_judge(
    state: &AppState,
    agent: &CpamAgent,
    file_name: &str,
    job: i64,
    attempt: i64,
    claims: Vec<Claim>,
    errors: Vec<BatchError>,
) {
    let source = format!("web : {} ({})", file_name, agent.account.email);
    let (s, user) = (state.clone(), agent.user.clone());
    tokio::spawn(async move {
        let worker = s.clone();
        let run = tokio::task::spawn_blocking(move || {
            judge_batch(&worker, job, attempt, &user, &source, &claims, &errors)
        })
        .await;
        let result = run.unwrap_or_else(|e| {
            tracing::error!(job, error = %e, "web batch panicked");
            Err(INTERNAL_FAILURE.to_owned())
        });
        match result {
            // Recorded in the batch's transaction.
            Ok(()) => {
                s.jobs().lock().remove(&job);
            }
            Err(m) => s.jobs().finish(job, Err(m)),
        }
    });
}

/// Judges a batch and stores its unreadable rows, the audit line and the job's end in one
/// transaction, then counts the claims (blocking). The error is the French message the job's
/// page shows.
fn judge_batch(
    state: &AppState,
    job: i64,
    attempt: i64,
    user: &CurrentUser,
    source: &str,
    claims: &[Claim],
    errors: &[BatchError],
) -> Result<(), String> {
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
    db.transaction(|tx| {
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
                "{} depuis le web, {}",
                msp_domain::french::count(claims.len(), "séance jugée", "séances jugées"),
                msp_domain::french::count(errors.len(), "ligne illisible", "lignes illisibles")
            ),
        )?;
        jobs.progress(job, 6, total, total);
        // Done in the batch's transaction, fenced by the attempt: committed at most once.
        let report = JobOutcome::new(&outcome, errors);
        batch_jobs::finish_in_batch(
            tx,
            job,
            attempt,
            outcome.batch_id,
            &report.to_json(),
            Timestamp::now(),
        )
    })
    .map_err(failure)?;
    state.metrics().claims_judged(claims.len() as u64);
    Ok(())
}

fn unknown_job() -> AppError {
    AppError::not_found(
        "traitement_inconnu",
        "Aucun lot envoyé depuis le web ne porte ce numéro de traitement. Les lots jugés sont dans la liste des derniers lots.",
    )
    .titled("Traitement introuvable")
}

/// A batch sent from the web, by its job number as in its address, whichever server runs it.
pub async fn batch_job(
    state: &AppState,
    agent: &CpamAgent,
    job: &str,
) -> AppResult<(i64, JobState)> {
    require_national(agent)?;
    let id = job.parse::<i64>().map_err(|_| unknown_job())?;
    let s = state.clone();
    let found = state.db(move |db| s.jobs().view(db, id)).await?;
    found.map(|j| (id, j)).ok_or_else(unknown_job)
}

/// Sessions recorded on line, counted apart from the batches of files.
pub async fn online_summary(state: &AppState, agent: &CpamAgent) -> AppResult<OnlineSummary> {
    require_national(agent)?;
    state.db(liquidation::online_summary).await
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
