//! The CPAM agent's side of the claims: rejected claims with their reasons, and batch
//! adjudication from the web (the same engine and file format as `msp adjudicate`).
//!
//! | Route | Who |
//! |---|---|
//! | `GET /espace/cpam/rejets` | CPAM agents (a département agent: claims of psychologists of their département); `?motif=CODE` filters |
//! | `GET`, `POST /espace/cpam/lots` | CPAM agents without a département: recent batches, upload of a claims file (CSV of SPEC §8) |
//! | `GET /espace/cpam/lots/{id}/decisions.csv` | CPAM agents without a département: the decisions of a batch's claims |

// Handlers refuse with a ready French page; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use crate::AppState;
use crate::auth::{CurrentUser, blocking};
use crate::espace::{audit_blocking, layout, refusal};
use crate::seances::{date_fr, patient_ref};
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use maud::html;
use msp_domain::{Claim, Decision, Nir, Reason, Role};
use msp_interchange::{CsvReader, DecisionWriter, RowError};
use msp_store::{Db, StoreError, Value};
use std::collections::{BTreeMap, HashMap};

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
        .route("/espace/cpam/lots/{id}/decisions.csv", get(batch_decisions))
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

#[derive(Debug, Clone)]
struct BatchRow {
    id: i64,
    source: String,
    started_at: Timestamp,
    claims: i64,
    accepted: i64,
    rejected: i64,
}

fn recent_batches(db: &mut Db) -> Result<Vec<BatchRow>, StoreError> {
    db.query(
        "SELECT batch_id, source, started_at, claims, accepted, rejected FROM batches
         ORDER BY batch_id DESC LIMIT 20",
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
        })
    })
    .collect()
}

/// What a web batch did.
struct BatchReport {
    batch_id: i64,
    claims: usize,
    already_judged: usize,
    accepted: usize,
    by_reason: BTreeMap<Reason, usize>,
    unreadable: Vec<RowError>,
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
    report: Option<&BatchReport>,
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
                    @if !r.unreadable.is_empty() { " ; " (r.unreadable.len()) " ligne(s) illisible(s), non traitée(s)" }
                    "."
                }
                p { a href=(format!("/espace/cpam/lots/{}/decisions.csv", r.batch_id)) { "Télécharger les décisions du lot (CSV)" } }
            }
            @if !r.by_reason.is_empty() {
                table {
                    caption { "Rejets par motif" }
                    thead { tr { th scope="col" { "Motif" } th scope="col" { "Nombre" } } }
                    tbody { @for (reason, n) in &r.by_reason { tr { td { code { (reason.code()) } " " (reason.explanation_fr()) } td { (n) } } } }
                }
            }
            @if !r.unreadable.is_empty() {
                table {
                    caption { "Lignes illisibles (50 premières)" }
                    thead { tr { th scope="col" { "Ligne" } th scope="col" { "Colonne" } th scope="col" { "Problème" } } }
                    tbody { @for e in r.unreadable.iter().take(50) { tr { td { (e.line) } td { (e.column) } td { (e.message) } } } }
                }
            }
        }
        h2 { "Juger un lot" }
        p { "Fichier CSV des séances (format des échanges, colonnes claim_id, received_date, rpps, nir, session_date, act, amount, …). Le lot est jugé en entier ou pas du tout ; une séance déjà jugée garde sa décision." }
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
            thead { tr { th scope="col" { "Lot" } th scope="col" { "Origine" } th scope="col" { "Jugé le (UTC)" } th scope="col" { "Séances" } th scope="col" { "Acceptées" } th scope="col" { "Rejetées" } } }
            tbody {
                @for b in &batches {
                    tr {
                        td { a href=(format!("/espace/cpam/lots/{}/decisions.csv", b.id)) { (b.id) } }
                        td { (b.source) }
                        td { (b.started_at.strftime("%Y-%m-%d %H:%M")) }
                        td { (b.claims) } td { (b.accepted) } td { (b.rejected) }
                    }
                }
            }
        }
    };
    (status, layout(Some(user), "Liquidation", body)).into_response()
}

/// `POST /espace/cpam/lots`: judges an uploaded claims file.
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
    if let Err(r) = user.check_csrf(csrf.as_deref()) {
        return r;
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
    let parsed = match CsvReader::<_, Claim>::new(&bytes[..]).and_then(|r| r.read_all()) {
        Ok(p) => p,
        Err(e) => {
            return batches_view(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&format!("Fichier illisible, rien n’a été jugé : {e}")),
                None,
            )
            .await;
        }
    };
    let claims: Vec<Claim> = parsed.rows.into_iter().map(|(_, c)| c).collect();
    let (s, u) = (state.clone(), user.clone());
    let source = format!("web : {} ({})", name, user.account.email);
    let judged = blocking(&state, move |db| {
        let outcome = msp_store::claims::adjudicate_batch(
            db,
            s.rules(),
            &source,
            Timestamp::now(),
            &claims,
            &|_, _, _| {},
        )?;
        audit_blocking(
            db,
            &u,
            "liquidation",
            "lot",
            &outcome.batch_id.to_string(),
            &format!("{} séance(s) jugée(s) depuis le web", claims.len()),
        )?;
        if let Err(e) = msp_stats::refresh(db) {
            tracing::warn!(error = %e, "statistics not refreshed after a web batch");
        }
        Ok((outcome, claims.len()))
    })
    .await;
    let (outcome, n) = match judged {
        Ok(o) => o,
        Err(r) => return r,
    };
    let mut by_reason = BTreeMap::new();
    let mut accepted = 0;
    for d in &outcome.decisions {
        match d {
            Decision::Accepted(_) => accepted += 1,
            Decision::Rejected(r) => *by_reason.entry(*r).or_insert(0) += 1,
        }
    }
    let report = BatchReport {
        batch_id: outcome.batch_id,
        claims: n,
        already_judged: outcome.already_judged,
        accepted,
        by_reason,
        unreadable: parsed.errors,
    };
    batches_view(&state, &user, StatusCode::CREATED, None, Some(&report)).await
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
        return refusal(
            Some(&user),
            StatusCode::NOT_FOUND,
            "Lot introuvable",
            "Aucun lot ne porte ce numéro.",
        );
    };
    let rows = blocking(&state, move |db| {
        let exists = db
            .query_opt("SELECT batch_id FROM batches WHERE batch_id = $1", &[Value::Int(id)])?
            .is_some();
        if !exists {
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
        Ok(None) => {
            return refusal(
                Some(&user),
                StatusCode::NOT_FOUND,
                "Lot introuvable",
                "Aucun lot ne porte ce numéro.",
            );
        }
        Err(r) => return r,
    };
    let written = (|| -> std::io::Result<Vec<u8>> {
        let mut w = DecisionWriter::new(Vec::new())?;
        for (claim_id, d) in &rows {
            w.write(claim_id, d)?;
        }
        w.finish()
    })();
    let out = match written {
        Ok(o) => o,
        Err(e) => return crate::auth::internal(&e),
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"decisions-lot-{id}.csv\""),
            ),
        ],
        out,
    )
        .into_response()
}
