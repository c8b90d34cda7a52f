//! The CPAM agent's pages about claims: rejected claims with their reasons, and batch
//! adjudication from the web. The actions are [`crate::services::claims`]'; this module reads
//! the requests and renders.
//!
//! | Route | Who |
//! |---|---|
//! | `GET /espace/cpam/rejets` | CPAM agents (a département agent: claims of psychologists of their département); `?motif=CODE` filters |
//! | `GET`, `POST /espace/cpam/lots` | CPAM agents without a département: recent batches; upload of a claims file (CSV of SPEC §8), judged in the background, answered `303` to its job page |
//! | `GET /espace/cpam/lots/travaux/{job}` | CPAM agents without a département: a batch's step and progress while it runs (updated in place every 2 s by a script), then its report, or why nothing was judged |
//! | `GET /espace/cpam/lots/{id}/decisions.csv` | CPAM agents without a département: the decisions of a batch's claims |
//! | `GET /espace/cpam/lots/{id}/erreurs.csv` | CPAM agents without a département: a batch's unreadable rows (`line,column,message`, as `msp adjudicate --errors`; no NIR) |

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{CpamAgent, CurrentUser};
use crate::paths;
use crate::services::audit::Via;
use crate::services::claims::{
    self, JobOutcome, JobState, MAX_BATCH_BYTES, REJECTS_SHOWN, RejectList, STEPS, UNREADABLE_SHOWN,
};
use crate::views::{self, Frame, Notice, date_fr, notice};
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use msp_domain::french::count;
use msp_interchange::{DecisionWriter, ErrorReportWriter, RowError};
use msp_store::batch_jobs::Status;
use msp_store::liquidation::{BatchSummary, OnlineSummary};
use std::ops::Deref;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::REJECTS, get(rejects))
        .route(
            paths::BATCHES,
            get(batches_page)
                .post(upload_batch)
                .layer(DefaultBodyLimit::max(MAX_BATCH_BYTES + 64 * 1024)),
        )
        .route(paths::BATCH_JOB_ROUTE, get(job_page))
        .route(
            paths::BATCH_JOB_RESTART_ROUTE,
            axum::routing::post(restart_job),
        )
        .route(paths::BATCH_DECISIONS_ROUTE, get(batch_decisions))
        .route(paths::BATCH_ERRORS_ROUTE, get(batch_errors_csv))
}

/// A CPAM agent of national scope, checked before a batch's body is read.
struct NationalAgent(CpamAgent);

impl FromRequestParts<AppState> for NationalAgent {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let agent = CpamAgent::from_request_parts(parts, state).await?;
        claims::require_national(&agent)?;
        Ok(NationalAgent(agent))
    }
}

impl Deref for NationalAgent {
    type Target = CpamAgent;
    fn deref(&self) -> &CpamAgent {
        &self.0
    }
}

/// `GET /espace/cpam/rejets`.
async fn rejects(
    State(state): State<AppState>,
    agent: CpamAgent,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> AppResult<Response> {
    let list = claims::rejects(
        &state,
        &agent,
        q.get("motif").map(String::as_str),
        Via::Page,
    )
    .await?;
    Ok(rejects_view(&agent, &list).into_response())
}

fn rejects_view(user: &CurrentUser, list: &RejectList) -> Markup {
    let (counts, recent) = (&list.rejects.counts, &list.rejects.recent);
    let body = html! {
        h1 { "Séances rejetées" }
        @if let Some(t) = &list.territory {
            p { "Psychologues conventionnés par la CPAM du département " (t) "." }
        }
        table {
            caption { (count(list.total(), "séance rejetée", "séances rejetées")) ", par motif" }
            thead { tr { th scope="col" { "Motif" } th scope="col" { "Explication" } th scope="col" { "Nombre" } } }
            tbody {
                @for (r, n) in counts {
                    tr {
                        td { a href=(paths::rejects_of(r.code())) { code { (r.code()) } } }
                        td { (r.explanation_fr()) }
                        td { (n) }
                    }
                }
            }
        }
        h2 {
            // The list is cut at REJECTS_SHOWN: say so only when it is.
            @let cut = i64::try_from(recent.len()).unwrap_or(i64::MAX) >= REJECTS_SHOWN;
            @match (list.reason, cut) {
                (Some(r), true) => { "Motif " (r.code()) " : les " (REJECTS_SHOWN) " plus récentes" }
                (Some(r), false) => { "Motif " (r.code()) " : " (count(recent.len(), "séance", "séances")) }
                (None, true) => { "Les " (REJECTS_SHOWN) " plus récentes" }
                (None, false) => { "Toutes (" (count(recent.len(), "séance", "séances")) ")" }
            }
        }
        @if list.reason.is_some() { p { a href=(paths::REJECTS) { "Tous les motifs" } } }
        table {
            thead { tr {
                th scope="col" { "Reçue le" } th scope="col" { "Séance" } th scope="col" { "Psychologue (RPPS)" }
                th scope="col" { "Patient" } th scope="col" { "Acte" } th scope="col" { "Motif" }
            } }
            tbody {
                @for r in recent {
                    tr {
                        td { (date_fr(r.received_date)) }
                        td { a href=(paths::session(&r.claim_id)) { (date_fr(r.session_date)) } }
                        td { (r.rpps) }
                        td { (r.nir.masked()) }
                        td { (r.act) }
                        td { code { (r.reason.code()) } " – " (r.reason.explanation_fr()) }
                    }
                }
            }
        }
    };
    views::layout(&Frame::new(Some(user), "Séances rejetées"), body)
}

/// What the list of batches shows: the recent files, and the sessions recorded on line.
struct Recent {
    batches: Vec<BatchSummary>,
    online: OnlineSummary,
}

async fn recent(state: &AppState, agent: &CpamAgent) -> AppResult<Recent> {
    Ok(Recent {
        batches: claims::recent_batches(state, agent).await?,
        online: claims::online_summary(state, agent).await?,
    })
}

async fn batches_page(State(state): State<AppState>, agent: NationalAgent) -> AppResult<Response> {
    let recent = recent(&state, &agent).await?;
    Ok(batches_view(&agent, &recent, None, None).into_response())
}

/// What the batches page says above its form.
enum BatchNotice<'a> {
    /// The batch was refused or failed: why.
    Refused(&'a str),
    /// The batch's server stopped while judging it: nothing was recorded; it can be run again.
    Interrupted(i64, &'a str),
    /// The report of a batch judged.
    Report(&'a JobOutcome),
}

fn report_view(r: &JobOutcome) -> Markup {
    // A file sent again judges nothing new: said as a warning, not as a success.
    let all_seen = r.claims > 0 && r.already_judged == r.claims;
    html! {
        @if r.already_judged > 0 {
            (notice(Notice::Warning, html! {
                p {
                    strong { @if all_seen { "Ce fichier avait déjà été jugé." } @else { "Une partie de ce fichier avait déjà été jugée." } }
                    " " (count(r.already_judged, "séance portait", "séances portaient")) " l’identifiant d’une séance jugée par un lot précédent : "
                    "la décision de l’époque est reprise telle quelle, rien n’est payé deux fois. Vérifiez que le fichier n’a pas été envoyé deux fois."
                }
            }))
        }
        (notice(if all_seen { Notice::Info } else { Notice::Success }, html! {
            p {
                strong { "Lot " (r.batch_id) " jugé. " }
                (count(r.claims, "ligne lue", "lignes lues")) " : " (count(r.accepted, "acceptée", "acceptées")) ", "
                (count(r.rejected(), "rejetée", "rejetées"))
                @if r.already_judged > 0 { ", dont " (count(r.already_judged, "déjà jugée", "déjà jugées")) " par un lot précédent (décision reprise)" }
                @if r.unreadable > 0 { " ; " (count(r.unreadable, "ligne illisible, non traitée", "lignes illisibles, non traitées")) }
                "."
            }
            p {
                a href=(paths::batch_decisions(r.batch_id)) { "Télécharger les décisions du lot (CSV)" }
                " — au format des échanges (SPEC §8) : colonnes et valeurs en anglais, comme le fichier de "
                code { "msp adjudicate" } "."
            }
            @if r.unreadable > 0 {
                p { a href=(paths::batch_errors(r.batch_id)) { "Télécharger le rapport des lignes illisibles (CSV)" } }
            }
        }))
        @if !r.by_reason.is_empty() {
            table {
                caption { "Rejets par motif" }
                thead { tr { th scope="col" { "Motif" } th scope="col" { "Nombre" } } }
                tbody { @for (reason, n) in &r.by_reason { tr { td { code { (reason.code()) } " – " (reason.explanation_fr()) } td { (n) } } } }
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
}

fn batches_view(
    user: &CurrentUser,
    recent: &Recent,
    said: Option<BatchNotice<'_>>,
    file_error: Option<&str>,
) -> Markup {
    let (batches, online) = (&recent.batches, &recent.online);
    let body = html! {
        h1 { "Liquidation des feuilles de soins" }
        @match said {
            Some(BatchNotice::Refused(m)) => (notice(Notice::Error, html! { p { (m) } })),
            Some(BatchNotice::Interrupted(job, name)) => (notice(Notice::Warning, html! {
                p {
                    strong { "Le jugement du lot « " (name) " » a été interrompu" }
                    " : le serveur qui le jugeait s’est arrêté. Rien n’a été enregistré ; le fichier est conservé."
                }
                form method="post" action=(paths::batch_job_restart(job)) {
                    input type="hidden" name="_csrf" value=(user.csrf);
                    button type="submit" class="button" { "Relancer le jugement du lot" }
                }
            })),
            Some(BatchNotice::Report(r)) => (report_view(r)),
            None => {}
        }
        @if let Some(m) = file_error {
            (views::form_errors("Rien n’a été jugé :", &[("fichier", m.to_owned())]))
        }
        h2 { "Juger un lot" }
        p { "Fichier CSV des séances (format des échanges, colonnes claim_id, received_date, rpps, nir, session_date, act, amount, …). Le lot est jugé en entier ou pas du tout ; une séance déjà jugée garde sa décision. Une page suit l’avancement du jugement." }
        form method="post" action=(paths::BATCHES) enctype="multipart/form-data" class="search" {
            input type="hidden" name="_csrf" value=(user.csrf);
            div class="field" {
                label for="fichier" { "Fichier des séances (CSV, " (MAX_BATCH_BYTES / 1024 / 1024) " Mo au plus)" }
                input id="fichier" name="fichier" type="file" accept=".csv,text/csv" required
                    aria-invalid=[file_error.is_some().then_some("true")]
                    aria-describedby=[file_error.is_some().then_some("fichier-erreur")];
                @if let Some(m) = file_error { p id="fichier-erreur" class="field-error" { (m) } }
            }
            div class="actions" { button type="submit" class="button" { "Juger le lot" } }
        }
        h2 { "Derniers lots" }
        @if online.claims > 0 {
            p {
                "Séances saisies en ligne par les psychologues (jugées une à une, non listées ici) : "
                (online.claims) " dont " (count(online.accepted, "acceptée", "acceptées"))
                @if online.cancelled > 0 { " (" (count(online.cancelled, "annulée depuis par son psychologue", "annulées depuis par leur psychologue")) ")" }
                " et " (count(online.rejected, "rejetée", "rejetées"))
                @if let Some(t) = online.last_at { ", la dernière le " (views::paris_date_time(t)) }
                "."
            }
        }
        table {
            thead { tr { th scope="col" { "Lot" } th scope="col" { "Origine" } th scope="col" { "Jugé le (heure de Paris)" } th scope="col" { "Séances" } th scope="col" { "Acceptées" } th scope="col" { "Rejetées" } th scope="col" { "Lignes illisibles" } } }
            tbody {
                @for b in batches {
                    tr {
                        td { a href=(paths::batch_decisions(b.id)) { (b.id) } }
                        td { (b.source) }
                        td { (crate::views::paris_date_time(b.started_at)) }
                        td { (b.claims) } td { (b.accepted) } td { (b.rejected) }
                        td {
                            @if b.unreadable > 0 {
                                a href=(paths::batch_errors(b.id)) { (b.unreadable) }
                            } @else { "0" }
                        }
                    }
                }
            }
        }
    };
    views::layout(&Frame::new(Some(user), "Liquidation"), body)
}

/// The message of a refused upload.
fn upload_refused(detail: String) -> AppError {
    AppError::invalid("fichier_refuse", detail)
        .field("fichier")
        .titled("Fichier refusé")
}

/// `POST /espace/cpam/lots`: reads an uploaded claims file, has it judged in the background
/// and sends the agent to the job's page.
async fn upload_batch(
    State(state): State<AppState>,
    agent: NationalAgent,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let mut multipart = multipart.map_err(|_| {
        upload_refused(
            "Le formulaire doit être envoyé avec son fichier (multipart/form-data).".into(),
        )
    })?;
    let (mut csrf, mut file) = (None, None);
    while let Some(field) = multipart.next_field().await.map_err(|_| {
        upload_refused("Formulaire d’envoi illisible ou fichier trop gros : recommencez.".into())
    })? {
        let name = field.name().unwrap_or("").to_owned();
        let filename = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|_| {
            upload_refused(format!(
                "Envoi interrompu, illisible ou de plus de {} Mo : recommencez, ou passez par « msp adjudicate ».",
                MAX_BATCH_BYTES / 1024 / 1024
            ))
        })?;
        match name.as_str() {
            "_csrf" => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "fichier" => file = Some((filename.unwrap_or_default(), bytes)),
            _ => {}
        }
    }
    agent.check_csrf(csrf.as_deref())?;
    let (name, bytes) = file.unwrap_or_default();
    match claims::run_batch(&state, &agent, &name, bytes).await {
        Ok(job) => Ok(Redirect::to(&paths::batch_job(job)).into_response()),
        Err(AppError::Rejected(p)) => {
            let recent = recent(&state, &agent).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                batches_view(&agent, &recent, None, Some(&p.message)),
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

/// `GET /espace/cpam/lots/travaux/{job}`: the progress of a batch being judged (updated in place
/// every 2 seconds by `static/suivi-lot.js`); then its report, or why nothing was judged.
async fn job_page(
    State(state): State<AppState>,
    agent: NationalAgent,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (id, job) = claims::batch_job(&state, &agent, &id).await?;
    let page = match &job.result {
        None if job.status == Status::Interrupted => {
            let recent = recent(&state, &agent).await?;
            let said = BatchNotice::Interrupted(id, &job.file_name);
            batches_view(&agent, &recent, Some(said), None)
        }
        None => running_view(&agent, id, &job),
        Some(Ok(outcome)) => {
            let recent = recent(&state, &agent).await?;
            batches_view(&agent, &recent, Some(BatchNotice::Report(outcome)), None)
        }
        Some(Err(message)) => {
            let recent = recent(&state, &agent).await?;
            let text = format!("Le lot « {} » n’a pas été jugé : {message}", job.file_name);
            batches_view(&agent, &recent, Some(BatchNotice::Refused(&text)), None)
        }
    };
    let mut res = page.into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// `POST /espace/cpam/lots/travaux/{job}/relancer`: runs again, on this server, a job whose
/// server died, from its kept file.
async fn restart_job(
    State(state): State<AppState>,
    agent: NationalAgent,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
) -> AppResult<Response> {
    agent.check_csrf(form.get("_csrf").map(String::as_str))?;
    let job = claims::restart_batch(&state, &agent, &id).await?;
    Ok(Redirect::to(&paths::batch_job(job)).into_response())
}

fn running_view(user: &CurrentUser, id: i64, job: &JobState) -> Markup {
    let percent = job.percent();
    let kind = Notice::Info;
    let body = html! {
        h1 { "Lot en cours de jugement" }
        p {
            "Fichier « " (job.file_name) " », envoyé le "
            (crate::views::paris_date_time_seconds(job.started_at)) "."
        }
        // An information notice, with the id the script swaps in place.
        div id="suivi" class=(kind.class()) role=(kind.role()) {
            span class="visually-hidden" { (kind.label()) " : " }
            @if job.status == Status::Queued {
                p { strong { "En attente d’un serveur." } }
            } @else {
                p { strong { "Étape " (job.step) " sur " (STEPS.len()) " : " (job.stage) "." } }
            }
            p {
                label for="avancement" { "Avancement de l’étape : " }
                progress id="avancement" max=(job.total.max(1)) value=(job.done.min(job.total)) { (percent) " %" }
                " " (job.done) " / " (job.total) " (" (percent) " %)"
            }
        }
        p id="suivi-aide" {
            "L’avancement se met à jour sur cette page toutes les 2 secondes. Le lot est jugé en entier ou pas du tout ; "
            "vous pouvez quitter cette page sans l’interrompre : il apparaîtra ensuite dans les "
            a href=(paths::BATCHES) { "derniers lots" } "."
        }
        p id="suivi-actualiser" { a href=(paths::batch_job(id)) { "Actualiser maintenant" } }
        // Updates the status region in place: no timed reload (WCAG 2.2.1).
        script src="/static/suivi-lot.js" defer {}
    };
    views::layout(&Frame::new(Some(user), "Lot en cours de jugement"), body)
}

/// `GET /espace/cpam/lots/{id}/decisions.csv`: the decisions of the claims this batch judged,
/// by claim id.
async fn batch_decisions(
    State(state): State<AppState>,
    agent: NationalAgent,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (id, rows) = claims::batch_decisions(&state, &agent, &id).await?;
    let out = (|| -> std::io::Result<Vec<u8>> {
        let mut w = DecisionWriter::new(Vec::new())?;
        for (claim_id, d) in &rows {
            w.write(claim_id, d)?;
        }
        w.finish()
    })()
    .map_err(AppError::internal)?;
    Ok(views::csv_download(&format!("decisions-lot-{id}.csv"), out))
}

/// `GET /espace/cpam/lots/{id}/erreurs.csv`: the batch's unreadable rows, as the errors report
/// of `msp adjudicate --errors` (`line,column,message`; no NIR in the messages).
async fn batch_errors_csv(
    State(state): State<AppState>,
    agent: NationalAgent,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (id, rows) = claims::batch_errors(&state, &agent, &id).await?;
    let out = (|| -> std::io::Result<Vec<u8>> {
        let mut w = ErrorReportWriter::new(Vec::new())?;
        for e in rows {
            w.write(&RowError::new(e.line, e.field, e.message))?;
        }
        w.finish()
    })()
    .map_err(AppError::internal)?;
    Ok(views::csv_download(&format!("erreurs-lot-{id}.csv"), out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::claims::INTERNAL_FAILURE;
    use axum::body::Body;
    use axum::http::Request;
    use jiff::Timestamp;
    use msp_domain::{Reason, Role};
    use msp_store::Db;
    use msp_store::accounts::{self, NewAccount};
    use msp_store::batch_errors::BatchError;
    use std::collections::BTreeMap;
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
                page.contains("10\u{a0}lignes lues : 7\u{a0}acceptées, 3\u{a0}rejetées"),
                "{page}"
            );
            assert!(page.contains("1\u{a0}ligne illisible"), "{page}");
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
