//! The CPAM agent's side of the claims: rejected claims with their reasons, and batch
//! adjudication from the web (the same engine and file format as `msp adjudicate`).
//!
//! | Route | Who |
//! |---|---|
//! | `GET /espace/cpam/rejets` | CPAM agents (a département agent: claims of psychologists of their département); `?motif=CODE` filters |
//! | `GET`, `POST /espace/cpam/lots` | CPAM agents without a département: recent batches; upload of a claims file (CSV of SPEC §8), judged in the background, answered `303` to its job page |
//! | `GET /espace/cpam/lots/travaux/{job}` | CPAM agents without a département: a batch's step and progress while it runs (updated in place every 2 s by a script), then its report, or why nothing was judged |
//! | `GET /espace/cpam/lots/{id}/decisions.csv` | CPAM agents without a département: the decisions of a batch's claims |
//! | `GET /espace/cpam/lots/{id}/erreurs.csv` | CPAM agents without a département: a batch's unreadable rows (`line,column,message`, as `msp adjudicate --errors`; no NIR) |
//!
//! Jobs ([`Jobs`], held by the [`AppState`]) live in memory: a restart forgets them, while the
//! batch itself is committed whole or not at all, its unreadable rows with it.

// Handlers refuse with a ready French page; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use crate::AppState;
use crate::pages::auth::{CurrentUser, blocking, capitalize};
use crate::pages::sessions::{date_fr, patient_ref};
use crate::pages::space::{audit_blocking, layout, refusal};
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use jiff::{SignedDuration, Timestamp};
use maud::html;
use msp_domain::{Claim, Decision, Nir, Reason, Role};
use msp_interchange::{CsvReader, DecisionWriter, ErrorReportWriter, RowError};
use msp_store::batch_errors::{self, BatchError};
use msp_store::claims::BatchOutcome;
use msp_store::{Db, StoreError, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Largest claims file accepted from the web (larger batches go through `msp adjudicate`).
pub const MAX_BATCH_BYTES: usize = 20 * 1024 * 1024;
/// Rejected claims shown at most on one page.
pub const REJECTS_SHOWN: i64 = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/espace/cpam/rejets", get(rejects))
        .route(
            "/espace/cpam/lots",
            get(batches_page)
                .post(upload_batch)
                .layer(DefaultBodyLimit::max(MAX_BATCH_BYTES + 64 * 1024)),
        )
        .route("/espace/cpam/lots/travaux/{job}", get(job_page))
        .route("/espace/cpam/lots/{id}/decisions.csv", get(batch_decisions))
        .route("/espace/cpam/lots/{id}/erreurs.csv", get(batch_errors_csv))
}

/// A rejected claim as the agent sees it.
#[derive(Debug, Clone)]
pub(crate) struct Reject {
    pub(crate) claim_id: String,
    pub(crate) rpps: String,
    pub(crate) nir: Nir,
    pub(crate) session_date: msp_domain::Date,
    pub(crate) received_date: msp_domain::Date,
    pub(crate) act: String,
    pub(crate) reason: Reason,
}

/// Rejections counted by reason, and the most recent ones.
pub(crate) type Rejects = (Vec<(Reason, i64)>, Vec<Reject>);

pub(crate) fn rejects_blocking(
    db: &mut Db,
    territory: Option<&str>,
    reason: Option<Reason>,
) -> Result<Rejects, StoreError> {
    let mut where_ = String::from("c.status = 'rejected'");
    let mut params: Vec<Value> = Vec::new();
    if let Some(t) = territory {
        params.push(t.into());
        where_.push_str(&format!(
            " AND c.rpps IN (SELECT rpps FROM conventions WHERE cpam = ${})",
            params.len()
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
        .filter_map(|r| {
            Some((
                Reason::parse(r.text(0).ok()?)?,
                r.int(1).ok()?,
            ))
        })
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .collect();
    if let Some(r) = reason {
        params.push(r.code().into());
        where_.push_str(&format!(" AND c.reason = ${}", params.len()));
    }
    params.push(Value::Int(REJECTS_SHOWN));
    let rows = db.query(
        &format!(
            "SELECT c.claim_id, c.rpps, c.nir, c.session_date, c.received_date, c.act, c.reason
             FROM claims c WHERE {where_}
             ORDER BY c.received_date DESC, c.session_date DESC, c.claim_id LIMIT ${}",
            params.len()
        ),
        &params,
    )?;
    let list = rows
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
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok((counts, list))
}

/// `GET /espace/cpam/rejets`.
async fn rejects(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = user.require(&[Role::AgentCpam]) {
        return r;
    }
    let reason = match q.get("motif").map(String::as_str).filter(|m| !m.is_empty()) {
        None => None,
        Some(m) => match Reason::parse(m) {
            Some(r) => Some(r),
            None => {
                return refusal(
                    Some(&user),
                    StatusCode::BAD_REQUEST,
                    "Motif inconnu",
                    &format!("« {m} » n’est pas un motif de rejet."),
                );
            }
        },
    };
    let (territory, u) = (user.account.territory.clone(), user.clone());
    let found = blocking(&state, move |db| {
        let found = rejects_blocking(db, territory.as_deref(), reason)?;
        let patients: std::collections::BTreeSet<String> =
            found.1.iter().map(|r| patient_ref(&r.nir)).collect();
        for p in patients {
            audit_blocking(
                db,
                &u,
                "lecture",
                "patient",
                &p,
                "liste des séances rejetées",
            )?;
        }
        Ok(found)
    })
    .await;
    let (counts, list) = match found {
        Ok(f) => f,
        Err(r) => return r,
    };
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let body = html! {
        h1 { "Séances rejetées" }
        @if let Some(t) = &user.account.territory {
            p { "Psychologues conventionnés par la CPAM du département " (t) "." }
        }
        table {
            caption { (total) " séance(s) rejetée(s), par motif" }
            thead { tr { th scope="col" { "Motif" } th scope="col" { "Explication" } th scope="col" { "Nombre" } } }
            tbody {
                @for (r, n) in &counts {
                    tr {
                        td { a href=(format!("/espace/cpam/rejets?motif={}", r.code())) { code { (r.code()) } } }
                        td { (r.explanation_fr()) }
                        td { (n) }
                    }
                }
            }
        }
        h2 {
            @if let Some(r) = reason { "Motif " (r.code()) } @else { "Les plus récentes" }
            " (" (list.len()) " au plus " (REJECTS_SHOWN) ")"
        }
        @if reason.is_some() { p { a href="/espace/cpam/rejets" { "Tous les motifs" } } }
        table {
            thead { tr {
                th scope="col" { "Reçue le" } th scope="col" { "Séance" } th scope="col" { "Psychologue (RPPS)" }
                th scope="col" { "Patient" } th scope="col" { "Acte" } th scope="col" { "Motif" }
            } }
            tbody {
                @for r in &list {
                    tr {
                        td { (date_fr(r.received_date)) }
                        td { a href=(format!("/espace/seances/{}", r.claim_id)) { (date_fr(r.session_date)) } }
                        td { (r.rpps) }
                        td { (r.nir.masked()) }
                        td { (r.act) }
                        td { code { (r.reason.code()) } " " (r.reason.explanation_fr()) }
                    }
                }
            }
        }
    };
    layout(Some(&user), "Séances rejetées", body).into_response()
}

/// Batches are run by agents with a national scope: a département agent would judge claims of
/// other départements.
fn require_national_agent(user: &CurrentUser) -> Result<(), Response> {
    user.require(&[Role::AgentCpam])?;
    match &user.account.territory {
        None => Ok(()),
        Some(t) => Err(refusal(
            Some(user),
            StatusCode::FORBIDDEN,
            "Accès refusé",
            &format!(
                "La liquidation des lots est réservée aux agents de portée nationale ; votre compte est limité au département {t}."
            ),
        )),
    }
}

fn unknown_batch(user: &CurrentUser) -> Response {
    refusal(
        Some(user),
        StatusCode::NOT_FOUND,
        "Lot introuvable",
        "Aucun lot ne porte ce numéro.",
    )
}

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

#[derive(Debug, Clone)]
struct BatchRow {
    id: i64,
    source: String,
    started_at: Timestamp,
    claims: i64,
    accepted: i64,
    rejected: i64,
    unreadable: i64,
}

fn recent_batches(db: &mut Db) -> Result<Vec<BatchRow>, StoreError> {
    db.query(
        "SELECT b.batch_id, b.source, b.started_at, b.claims, b.accepted, b.rejected,
                (SELECT CAST(COUNT(*) AS BIGINT) FROM batch_errors e WHERE e.batch_id = b.batch_id)
         FROM batches b ORDER BY b.batch_id DESC LIMIT 20",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(BatchRow {
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

async fn batches_page(State(state): State<AppState>, user: CurrentUser) -> Response {
    if let Err(r) = require_national_agent(&user) {
        return r;
    }
    batches_view(&state, &user, StatusCode::OK, None, None).await
}

async fn batches_view(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    error: Option<&str>,
    report: Option<&JobOutcome>,
) -> Response {
    let batches = match blocking(state, recent_batches).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let body = html! {
        h1 { "Liquidation des feuilles de soins" }
        @if let Some(e) = error { div class="alert" role="alert" { p { (e) } } }
        @if let Some(r) = report {
            div class="alert" role="status" {
                p {
                    strong { "Lot " (r.batch_id) " jugé. " }
                    (r.claims) " ligne(s) lue(s) : " (r.accepted) " acceptée(s), "
                    (r.by_reason.values().sum::<usize>()) " rejetée(s)"
                    @if r.already_judged > 0 { ", dont " (r.already_judged) " déjà jugée(s) par un lot précédent (décision reprise)" }
                    @if r.unreadable > 0 { " ; " (r.unreadable) " ligne(s) illisible(s), non traitée(s)" }
                    "."
                }
                p { a href=(format!("/espace/cpam/lots/{}/decisions.csv", r.batch_id)) { "Télécharger les décisions du lot (CSV)" } }
                @if r.unreadable > 0 {
                    p { a href=(format!("/espace/cpam/lots/{}/erreurs.csv", r.batch_id)) { "Télécharger le rapport des lignes illisibles (CSV)" } }
                }
            }
            @if !r.by_reason.is_empty() {
                table {
                    caption { "Rejets par motif" }
                    thead { tr { th scope="col" { "Motif" } th scope="col" { "Nombre" } } }
                    tbody { @for (reason, n) in &r.by_reason { tr { td { code { (reason.code()) } " " (reason.explanation_fr()) } td { (n) } } } }
                }
            }
            @if !r.first_unreadable.is_empty() {
                table {
                    caption { "Lignes illisibles (" (UNREADABLE_SHOWN) " premières)" }
                    thead { tr { th scope="col" { "Ligne" } th scope="col" { "Colonne" } th scope="col" { "Problème" } } }
                    tbody { @for e in &r.first_unreadable { tr { td { (e.line) } td { (e.field) } td { (e.message) } } } }
                }
            }
        }
        h2 { "Juger un lot" }
        p { "Fichier CSV des séances (format des échanges, colonnes claim_id, received_date, rpps, nir, session_date, act, amount, …). Le lot est jugé en entier ou pas du tout ; une séance déjà jugée garde sa décision. Une page suit l’avancement du jugement." }
        form method="post" action="/espace/cpam/lots" enctype="multipart/form-data" class="search" {
            input type="hidden" name="_csrf" value=(user.csrf);
            div class="field" {
                label for="fichier" { "Fichier des séances (CSV, " (MAX_BATCH_BYTES / 1024 / 1024) " Mo au plus)" }
                input id="fichier" name="fichier" type="file" accept=".csv,text/csv" required;
            }
            div class="actions" { button type="submit" class="button" { "Juger le lot" } }
        }
        h2 { "Derniers lots" }
        table {
            thead { tr { th scope="col" { "Lot" } th scope="col" { "Origine" } th scope="col" { "Jugé le (UTC)" } th scope="col" { "Séances" } th scope="col" { "Acceptées" } th scope="col" { "Rejetées" } th scope="col" { "Lignes illisibles" } } }
            tbody {
                @for b in &batches {
                    tr {
                        td { a href=(format!("/espace/cpam/lots/{}/decisions.csv", b.id)) { (b.id) } }
                        td { (b.source) }
                        td { (b.started_at.strftime("%Y-%m-%d %H:%M")) }
                        td { (b.claims) } td { (b.accepted) } td { (b.rejected) }
                        td {
                            @if b.unreadable > 0 {
                                a href=(format!("/espace/cpam/lots/{}/erreurs.csv", b.id)) { (b.unreadable) }
                            } @else { "0" }
                        }
                    }
                }
            }
        }
    };
    (status, layout(Some(user), "Liquidation", body)).into_response()
}

/// `POST /espace/cpam/lots`: reads an uploaded claims file, then judges it in the background
/// and sends the agent to the job's page.
async fn upload_batch(
    State(state): State<AppState>,
    user: CurrentUser,
    req: axum::extract::Request,
) -> Response {
    // The role is checked before the body is read as a form.
    if let Err(r) = require_national_agent(&user) {
        return r;
    }
    let mut multipart = match Multipart::from_request(req, &state).await {
        Ok(m) => m,
        Err(_) => {
            return refusal(
                Some(&user),
                StatusCode::UNPROCESSABLE_ENTITY,
                "Fichier refusé",
                "Le formulaire doit être envoyé avec son fichier (multipart/form-data).",
            );
        }
    };
    let (mut csrf, mut file) = (None, None);
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                let filename = field.file_name().map(str::to_owned);
                match field.bytes().await {
                    Ok(bytes) => match name.as_str() {
                        "_csrf" => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
                        "fichier" => file = Some((filename.unwrap_or_default(), bytes)),
                        _ => {}
                    },
                    Err(_) => {
                        return refusal(
                            Some(&user),
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "Fichier refusé",
                            &format!(
                                "Envoi interrompu, illisible ou de plus de {} Mo : recommencez, ou passez par « msp adjudicate ».",
                                MAX_BATCH_BYTES / 1024 / 1024
                            ),
                        );
                    }
                }
            }
            Ok(None) => break,
            Err(_) => {
                return refusal(
                    Some(&user),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Fichier refusé",
                    "Formulaire d’envoi illisible ou fichier trop gros : recommencez.",
                );
            }
        }
    }
    if let Err(e) = user.check_csrf(csrf.as_deref()) {
        return e.into_response();
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return batches_view(
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Choisissez le fichier des séances à juger."),
            None,
        )
        .await;
    };
    // Reading 20 MB takes a while: off the async workers.
    let read = tokio::task::spawn_blocking(move || {
        CsvReader::<_, Claim>::new(&bytes[..]).and_then(|r| r.read_all())
    })
    .await;
    let parsed = match read {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            return batches_view(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&format!("Fichier illisible, rien n’a été jugé : {e}")),
                None,
            )
            .await;
        }
        Err(e) => return crate::pages::auth::internal(&e),
    };
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
        user.account.id,
        &name,
        claims.len() as u64,
        Timestamp::now(),
    ));
    let source = format!("web : {} ({})", name, user.account.email);
    let (s, u) = (state.clone(), user.clone());
    // Not awaited: the agent follows the job's page. The task only waits for the blocking work
    // to record a panic as a failure (the transaction is then rolled back).
    tokio::spawn(async move {
        let worker = s.clone();
        let run = tokio::task::spawn_blocking(move || {
            run_batch(&worker, job, &u, &source, &claims, &errors)
        })
        .await;
        let result = run.unwrap_or_else(|e| {
            tracing::error!(job, error = %e, "web batch panicked");
            Err(INTERNAL_FAILURE.to_owned())
        });
        s.jobs().finish(job, result);
    });
    Redirect::to(&format!("/espace/cpam/lots/travaux/{job}")).into_response()
}

const INTERNAL_FAILURE: &str = "une erreur interne a interrompu le jugement ; rien n’a été enregistré. Renvoyez le fichier dans quelques instants.";

/// Judges a batch and stores its unreadable rows and the audit line in one transaction, then
/// refreshes the statistics (blocking). The error is the French message the job's page shows.
fn run_batch(
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
            format!("{} Rien n’a été jugé.", capitalize(&m))
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
            let outcome = msp_store::claims::adjudicate_batch(
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
            )?;
            jobs.progress(job, 5, total, total);
            batch_errors::record(tx, outcome.batch_id, errors)?;
            audit_blocking(
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
    if let Err(e) = msp_stats::refresh(&mut db) {
        tracing::warn!(error = %e, "statistics not refreshed after a web batch");
    }
    Ok(JobOutcome::new(&outcome, errors))
}

/// `GET /espace/cpam/lots/travaux/{job}`: the progress of a batch being judged (updated in place
/// every 2 seconds by `static/suivi-lot.js`); then its report, or why nothing was judged.
async fn job_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require_national_agent(&user) {
        return r;
    }
    let found = id
        .parse::<u64>()
        .ok()
        .and_then(|id| Some((id, state.jobs().get(id)?)));
    let Some((id, job)) = found else {
        return refusal(
            Some(&user),
            StatusCode::NOT_FOUND,
            "Traitement introuvable",
            "Aucun lot en cours ou récent ne porte ce numéro : le suivi d’un lot est oublié une heure après la fin du jugement et au redémarrage du serveur. Les lots jugés restent dans la liste des derniers lots.",
        );
    };
    let mut res = match &job.result {
        None => running_view(&user, id, &job),
        Some(Ok(outcome)) => batches_view(&state, &user, StatusCode::OK, None, Some(outcome)).await,
        Some(Err(message)) => {
            let text = format!("Le lot « {} » n’a pas été jugé : {message}", job.file_name);
            batches_view(&state, &user, StatusCode::OK, Some(&text), None).await
        }
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn running_view(user: &CurrentUser, id: u64, job: &JobState) -> Response {
    let percent = job.percent();
    let body = html! {
        h1 { "Lot en cours de jugement" }
        p {
            "Fichier « " (job.file_name) " », envoyé le "
            (job.started_at.strftime("%Y-%m-%d à %H:%M:%S")) " (UTC)."
        }
        div id="suivi" class="alert" role="status" {
            p { strong { "Étape " (job.step) " sur " (STEPS.len()) " : " (job.stage) "." } }
            p {
                label for="avancement" { "Avancement de l’étape : " }
                progress id="avancement" max=(job.total.max(1)) value=(job.done.min(job.total)) { (percent) " %" }
                " " (job.done) " / " (job.total) " (" (percent) " %)"
            }
        }
        p {
            "L’avancement se met à jour sur cette page toutes les 2 secondes. Le lot est jugé en entier ou pas du tout ; "
            "vous pouvez quitter cette page sans l’interrompre : il apparaîtra ensuite dans les "
            a href="/espace/cpam/lots" { "derniers lots" } "."
        }
        p { a href=(format!("/espace/cpam/lots/travaux/{id}")) { "Actualiser maintenant" } }
        // Updates the status region in place: no timed reload (WCAG 2.2.1).
        script src="/static/suivi-lot.js" defer {}
    };
    layout(Some(user), "Lot en cours de jugement", body).into_response()
}

/// A CSV file to download.
fn csv_download(file_name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /espace/cpam/lots/{id}/decisions.csv`: the decisions of the claims this batch judged
/// (ids judged by an earlier batch belong to that batch), by claim id.
async fn batch_decisions(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require_national_agent(&user) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return unknown_batch(&user);
    };
    let rows = blocking(&state, move |db| {
        if !batch_exists(db, id)? {
            return Ok(None);
        }
        let rows = db.query(
            "SELECT claim_id, status, reason, rank, tariff_cents, amo_cents, amo_payee, complementary_cents,
                    complementary_payer, complementary_route, state_cents, patient_cents
             FROM claims WHERE batch_id = $1 ORDER BY claim_id",
            &[Value::Int(id)],
        )?;
        rows.iter()
            .map(|r| Ok((r.string(0)?, msp_store::claims::decision_from_row(r, 1)?)))
            .collect::<Result<Vec<_>, StoreError>>()
            .map(Some)
    })
    .await;
    let rows = match rows {
        Ok(Some(r)) => r,
        Ok(None) => return unknown_batch(&user),
        Err(r) => return r,
    };
    let written = (|| -> std::io::Result<Vec<u8>> {
        let mut w = DecisionWriter::new(Vec::new())?;
        for (claim_id, d) in &rows {
            w.write(claim_id, d)?;
        }
        w.finish()
    })();
    match written {
        Ok(out) => csv_download(&format!("decisions-lot-{id}.csv"), out),
        Err(e) => crate::pages::auth::internal(&e),
    }
}

fn batch_exists(db: &mut Db, id: i64) -> Result<bool, StoreError> {
    Ok(db
        .query_opt(
            "SELECT batch_id FROM batches WHERE batch_id = $1",
            &[Value::Int(id)],
        )?
        .is_some())
}

/// `GET /espace/cpam/lots/{id}/erreurs.csv`: the batch's unreadable rows, as the errors report
/// of `msp adjudicate --errors` (`line,column,message`; no NIR in the messages).
async fn batch_errors_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require_national_agent(&user) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return unknown_batch(&user);
    };
    let rows = blocking(&state, move |db| {
        if !batch_exists(db, id)? {
            return Ok(None);
        }
        batch_errors::list(db, id).map(Some)
    })
    .await;
    let rows = match rows {
        Ok(Some(r)) => r,
        Ok(None) => return unknown_batch(&user),
        Err(r) => return r,
    };
    let written = (|| -> std::io::Result<Vec<u8>> {
        let mut w = ErrorReportWriter::new(Vec::new())?;
        for e in rows {
            w.write(&RowError::new(e.line, e.field, e.message))?;
        }
        w.finish()
    })();
    match written {
        Ok(out) => csv_download(&format!("erreurs-lot-{id}.csv"), out),
        Err(e) => crate::pages::auth::internal(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use msp_store::accounts::{self, NewAccount};
    use tower::ServiceExt;

    /// A CPAM agent (of a département or not) and their session cookie.
    fn agent(db: &mut Db, email: &str, territory: Option<&str>) -> (i64, String) {
        let id = accounts::create_account(
            db,
            &NewAccount {
                email,
                password_hash: "x",
                role: Role::AgentCpam,
                display_name: email,
                territory,
                created_by: "test",
            },
            Timestamp::now(),
        )
        .unwrap();
        (
            id,
            crate::pages::auth::open_session_blocking(db, id).unwrap().0,
        )
    }

    fn get(state: &AppState, uri: &str, cookie: &str) -> (StatusCode, String) {
        // The store's PostgreSQL client blocks: no test runtime around the test itself.
        static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
        let rt = RT.get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap()
        });
        rt.block_on(async {
            let res = crate::app(state.clone())
                .oneshot(
                    Request::get(uri)
                        .header(header::COOKIE, format!("msp_session={cookie}"))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            let status = res.status();
            let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        })
    }

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

    /// The running state is set through the registry, so the page is seen mid-run every time.
    #[test]
    fn the_job_page_shows_progress_then_the_report() {
        for t in msp_store::testing::all() {
            let label = t.label;
            let mut conn = t.connect();
            let (id, national) = agent(&mut conn, "national@example.org", None);
            let (_, local) = agent(&mut conn, "local@example.org", Some("69"));
            drop(conn);
            let state = AppState::new(
                msp_store::open_pool(&t.url, 2).unwrap(),
                crate::Options::default(),
            )
            .unwrap();
            let job = state.jobs().add(JobState::new(
                id,
                "seances-novembre.csv",
                1000,
                Timestamp::now(),
            ));
            state.jobs().progress(job, 4, 250, 1000);
            let uri = format!("/espace/cpam/lots/travaux/{job}");
            let (status, page) = get(&state, &uri, &national);
            assert_eq!(status, StatusCode::OK, "{label} {page}");
            assert!(!page.contains("http-equiv"), "no timed reload (WCAG 2.2.1)");
            assert!(
                page.contains(r#"<script src="/static/suivi-lot.js" defer>"#),
                "{page}"
            );
            assert!(page.contains(r#"id="suivi""#), "{page}");
            assert!(page.contains(r#"role="status""#), "{page}");
            assert!(
                page.contains(r#"<progress id="avancement" max="1000" value="250">"#),
                "{page}"
            );
            assert!(page.contains("250 / 1000 (25 %)"), "{page}");
            assert!(
                page.contains("Étape 4 sur 6 : Enregistrement des décisions"),
                "{page}"
            );
            assert!(page.contains("seances-novembre.csv"));
            // Only national agents; unknown jobs.
            assert_eq!(get(&state, &uri, &local).0, StatusCode::FORBIDDEN);
            for unknown in [
                "/espace/cpam/lots/travaux/999",
                "/espace/cpam/lots/travaux/x",
            ] {
                let (status, page) = get(&state, unknown, &national);
                assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
                assert!(page.contains("Traitement introuvable"));
            }

            // Finished: the report, no refresh, both downloads.
            let mut by_reason = BTreeMap::new();
            by_reason.insert(Reason::Plafond, 3);
            state.jobs().finish(
                job,
                Ok(JobOutcome {
                    batch_id: 7,
                    claims: 10,
                    accepted: 7,
                    by_reason,
                    already_judged: 0,
                    unreadable: 1,
                    first_unreadable: vec![BatchError {
                        line: 5,
                        field: "session_date".into(),
                        message: "date « 2026-13-01 » impossible".into(),
                    }],
                }),
            );
            let (status, page) = get(&state, &uri, &national);
            assert_eq!(status, StatusCode::OK, "{page}");
            assert!(!page.contains("http-equiv"), "{page}");
            assert!(
                page.contains("10 ligne(s) lue(s) : 7 acceptée(s), 3 rejetée(s)"),
                "{page}"
            );
            assert!(page.contains("1 ligne(s) illisible(s)"), "{page}");
            assert!(page.contains(Reason::Plafond.explanation_fr()), "{page}");
            assert!(page.contains("/espace/cpam/lots/7/decisions.csv"));
            assert!(page.contains("/espace/cpam/lots/7/erreurs.csv"));
            assert!(page.contains("date « 2026-13-01 » impossible"));

            // Failed: the French reason, nothing else to download.
            let failed = state
                .jobs()
                .add(JobState::new(id, "casse.csv", 3, Timestamp::now()));
            state
                .jobs()
                .finish(failed, Err(INTERNAL_FAILURE.to_owned()));
            let (status, page) = get(
                &state,
                &format!("/espace/cpam/lots/travaux/{failed}"),
                &national,
            );
            assert_eq!(status, StatusCode::OK);
            assert!(
                page.contains("Le lot « casse.csv » n’a pas été jugé : une erreur interne"),
                "{page}"
            );
            assert!(!page.contains("erreurs.csv") && !page.contains("http-equiv"));
        }
    }
}
