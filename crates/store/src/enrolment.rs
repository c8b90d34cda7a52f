//! The conventionnement workflow (SPEC §10) in the store: applications and their documents,
//! the expert's decision, expiry of files left without decision, and the CPAM's actions on a
//! convention (signature, suspension, exclusion, withdrawal).
//!
//! Every step is written with a dated history row (`application_events`, `convention_events`)
//! in the same transaction as the change it records; nothing is overwritten without one.

use crate::{Db, Row, StoreError, StoreResult, Value};
use jiff::Timestamp;
use msp_domain::enrolment::{DocumentKind, is_overdue};
use msp_domain::{Date, PracticeMode, RegistryEntry, Rpps};

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Being written by the psychologist.
    Draft,
    /// Filed complete, waiting for the committee.
    Filed,
    Accepted,
    Rejected,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "brouillon",
            Status::Filed => "deposee",
            Status::Accepted => "acceptee",
            Status::Rejected => "refusee",
        }
    }

    pub fn parse(code: &str) -> Option<Status> {
        [
            Status::Draft,
            Status::Filed,
            Status::Accepted,
            Status::Rejected,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Status::Draft => "Brouillon",
            Status::Filed => "Déposée, en attente de la commission",
            Status::Accepted => "Acceptée",
            Status::Rejected => "Refusée",
        }
    }
}

/// A practice address as typed, with the INSEE code of its commune once geocoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressInput {
    pub line: String,
    pub postal_code: String,
    pub insee: String,
}

impl AddressInput {
    pub fn is_empty(&self) -> bool {
        self.line.trim().is_empty() && self.postal_code.trim().is_empty()
    }
}

/// What the psychologist writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationFields {
    pub rpps: String,
    pub adeli: String,
    pub last_name: String,
    pub first_name: String,
    pub diploma: String,
    pub experience_months: u32,
    pub address1: AddressInput,
    pub address2: AddressInput,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: i64,
    pub account_id: i64,
    pub status: Status,
    pub fields: ApplicationFields,
    pub complete_on: Option<Date>,
    pub decided_on: Option<Date>,
    pub decided_by: Option<String>,
    pub decision_reason: Option<String>,
}

const COLUMNS: &str = "application_id, account_id, status, rpps, adeli, last_name, first_name,
    diploma, experience_months, address1_line, address1_postal_code, address1_insee,
    address2_line, address2_postal_code, address2_insee, phone, complete_on, decided_on,
    decided_by, decision_reason";

fn application(row: &Row) -> StoreResult<Application> {
    let code = row.text(2)?;
    Ok(Application {
        id: row.int(0)?,
        account_id: row.int(1)?,
        status: Status::parse(code)
            .ok_or_else(|| StoreError::Invalid(format!("statut inconnu « {code} »")))?,
        fields: ApplicationFields {
            rpps: row.string(3)?,
            adeli: row.string(4)?,
            last_name: row.string(5)?,
            first_name: row.string(6)?,
            diploma: row.string(7)?,
            experience_months: u32::try_from(row.int(8)?).unwrap_or(0),
            address1: AddressInput {
                line: row.string(9)?,
                postal_code: row.string(10)?,
                insee: row.string(11)?,
            },
            address2: AddressInput {
                line: row.string(12)?,
                postal_code: row.string(13)?,
                insee: row.string(14)?,
            },
            phone: row.string(15)?,
        },
        complete_on: row.opt_date(16)?,
        decided_on: row.opt_date(17)?,
        decided_by: row.opt_string(18)?,
        decision_reason: row.opt_string(19)?,
    })
}

fn event(
    db: &mut Db,
    id: i64,
    now: Timestamp,
    actor: &str,
    what: &str,
    detail: &str,
) -> StoreResult<()> {
    db.execute(
        "INSERT INTO application_events (application_id, at, actor, event, detail) VALUES ($1, $2, $3, $4, $5)",
        &[Value::Int(id), now.into(), actor.into(), what.into(), detail.into()],
    )?;
    Ok(())
}

pub fn get_application(db: &mut Db, id: i64) -> StoreResult<Option<Application>> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM applications WHERE application_id = $1"),
        &[Value::Int(id)],
    )?
    .map(|r| application(&r))
    .transpose()
}

/// The latest application of an account.
pub fn current_application(db: &mut Db, account_id: i64) -> StoreResult<Option<Application>> {
    db.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM applications WHERE account_id = $1 ORDER BY application_id DESC LIMIT 1"
        ),
        &[Value::Int(account_id)],
    )?
    .map(|r| application(&r))
    .transpose()
}

/// The account's draft, created when there is none (or when the last one was refused).
pub fn draft_for(
    db: &mut Db,
    account_id: i64,
    actor: &str,
    now: Timestamp,
) -> StoreResult<Application> {
    db.transaction(|tx| {
        if let Some(app) = current_application(tx, account_id)?
            && app.status != Status::Rejected
        {
            return Ok(app);
        }
        let id = tx
            .query_one(
                "INSERT INTO applications (account_id, status, created_at, updated_at)
                 VALUES ($1, 'brouillon', $2, $2) RETURNING application_id",
                &[Value::Int(account_id), now.into()],
            )?
            .int(0)?;
        event(tx, id, now, actor, "creation", "")?;
        get_application(tx, id)?.ok_or_else(|| StoreError::Invalid("candidature perdue".into()))
    })
}

fn require_draft(db: &mut Db, id: i64) -> StoreResult<Application> {
    let app = get_application(db, id)?
        .ok_or_else(|| StoreError::Invalid(format!("candidature {id} introuvable")))?;
    if app.status != Status::Draft {
        return Err(StoreError::Conflict(
            "la candidature a été déposée : elle ne peut plus être modifiée".into(),
        ));
    }
    Ok(app)
}

/// Saves what the psychologist wrote (drafts only).
pub fn save_fields(
    db: &mut Db,
    id: i64,
    f: &ApplicationFields,
    actor: &str,
    now: Timestamp,
) -> StoreResult<()> {
    db.transaction(|tx| {
        require_draft(tx, id)?;
        tx.execute(
            "UPDATE applications SET rpps = $2, adeli = $3, last_name = $4, first_name = $5,
                diploma = $6, experience_months = $7, address1_line = $8, address1_postal_code = $9,
                address1_insee = $10, address2_line = $11, address2_postal_code = $12,
                address2_insee = $13, phone = $14, updated_at = $15
             WHERE application_id = $1",
            &[
                Value::Int(id),
                f.rpps.as_str().into(),
                f.adeli.as_str().into(),
                f.last_name.as_str().into(),
                f.first_name.as_str().into(),
                f.diploma.as_str().into(),
                Value::Int(i64::from(f.experience_months)),
                f.address1.line.as_str().into(),
                f.address1.postal_code.as_str().into(),
                f.address1.insee.as_str().into(),
                f.address2.line.as_str().into(),
                f.address2.postal_code.as_str().into(),
                f.address2.insee.as_str().into(),
                f.phone.as_str().into(),
                now.into(),
            ],
        )?;
        event(tx, id, now, actor, "modification", "")
    })
}

/// A document's description (the content is read only on download).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentMeta {
    pub id: i64,
    pub kind: DocumentKind,
    pub filename: String,
    pub size_bytes: i64,
    pub uploaded_at: Timestamp,
}

fn document_meta(row: &Row) -> StoreResult<DocumentMeta> {
    let code = row.text(1)?;
    Ok(DocumentMeta {
        id: row.int(0)?,
        kind: DocumentKind::parse(code)
            .ok_or_else(|| StoreError::Invalid(format!("type de pièce inconnu « {code} »")))?,
        filename: row.string(2)?,
        size_bytes: row.int(3)?,
        uploaded_at: row.timestamp(4)?,
    })
}

/// Attaches a document to a draft (the caller checked type and size).
pub fn add_document(
    db: &mut Db,
    application_id: i64,
    kind: DocumentKind,
    filename: &str,
    content: &[u8],
    actor: &str,
    now: Timestamp,
) -> StoreResult<i64> {
    db.transaction(|tx| {
        require_draft(tx, application_id)?;
        let id = tx
            .query_one(
                "INSERT INTO application_documents (application_id, kind, filename, size_bytes, content, uploaded_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING document_id",
                &[
                    Value::Int(application_id),
                    kind.code().into(),
                    filename.into(),
                    Value::Int(i64::try_from(content.len()).unwrap_or(i64::MAX)),
                    Value::Bytes(content.to_vec()),
                    now.into(),
                ],
            )?
            .int(0)?;
        event(tx, application_id, now, actor, "piece_jointe", &format!("{} : {filename}", kind.code()))?;
        Ok(id)
    })
}

pub fn documents(db: &mut Db, application_id: i64) -> StoreResult<Vec<DocumentMeta>> {
    db.query(
        "SELECT document_id, kind, filename, size_bytes, uploaded_at FROM application_documents
         WHERE application_id = $1 ORDER BY document_id",
        &[Value::Int(application_id)],
    )?
    .iter()
    .map(document_meta)
    .collect()
}

/// A document of this application (never of another one) with its content.
pub fn document(
    db: &mut Db,
    application_id: i64,
    document_id: i64,
) -> StoreResult<Option<(DocumentMeta, Vec<u8>)>> {
    let Some(row) = db.query_opt(
        "SELECT document_id, kind, filename, size_bytes, uploaded_at, content FROM application_documents
         WHERE application_id = $1 AND document_id = $2",
        &[Value::Int(application_id), Value::Int(document_id)],
    )?
    else {
        return Ok(None);
    };
    let content = row.opt_bytes(5)?.unwrap_or_default().to_vec();
    Ok(Some((document_meta(&row)?, content)))
}

/// The registry row of an RPPS, if any.
/// Whether another account than `account` holds `rpps` (an accepted application): one RPPS
/// belongs to one account, which the database enforces too (migration 0013).
pub fn rpps_held_by_other(db: &mut Db, rpps: &str, account: i64) -> StoreResult<bool> {
    Ok(db
        .query_opt(
            "SELECT account_id FROM applications WHERE rpps = $1 AND status = 'acceptee' AND account_id <> $2
             UNION ALL
             SELECT account_id FROM accounts WHERE rpps = $1 AND account_id <> $2",
            &[rpps.into(), account.into()],
        )?
        .is_some())
}

pub fn registry_entry(db: &mut Db, rpps: Rpps) -> StoreResult<Option<RegistryEntry>> {
    let Some(row) = db.query_opt(
        "SELECT last_name, first_name, profession_code, practice_mode, commune_insee FROM registry WHERE rpps = $1",
        &[rpps.to_string().into()],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(RegistryEntry {
        rpps,
        last_name: row.string(0)?,
        first_name: row.string(1)?,
        profession_code: row.string(2)?,
        practice_mode: PracticeMode::parse(row.text(3)?).unwrap_or(PracticeMode::Liberal),
        commune_insee: row.opt_string(4)?,
    }))
}

/// Files a complete draft on `today`: the 4-month deadline starts.
pub fn file_application(
    db: &mut Db,
    id: i64,
    today: Date,
    actor: &str,
    now: Timestamp,
) -> StoreResult<()> {
    db.transaction(|tx| {
        require_draft(tx, id)?;
        tx.execute(
            "UPDATE applications SET status = 'deposee', complete_on = $2, updated_at = $3 WHERE application_id = $1",
            &[Value::Int(id), today.into(), now.into()],
        )?;
        event(tx, id, now, actor, "depot", "")
    })
}

/// Applications with this status, oldest complete file first.
pub fn with_status(db: &mut Db, status: Status) -> StoreResult<Vec<Application>> {
    db.query(
        &format!(
            "SELECT {COLUMNS} FROM applications WHERE status = $1 ORDER BY complete_on, application_id"
        ),
        &[status.code().into()],
    )?
    .iter()
    .map(application)
    .collect()
}

/// The committee's decision on a filed application.
pub fn decide(
    db: &mut Db,
    id: i64,
    accept: bool,
    reason: &str,
    actor: &str,
    today: Date,
    now: Timestamp,
) -> StoreResult<()> {
    db.transaction(|tx| {
        let app = get_application(tx, id)?
            .ok_or_else(|| StoreError::Invalid(format!("candidature {id} introuvable")))?;
        if app.status != Status::Filed {
            return Err(StoreError::Conflict(format!(
                "la candidature n’est pas en attente de décision ({})",
                app.status.label_fr()
            )));
        }
        let status = if accept { Status::Accepted } else { Status::Rejected };
        tx.execute(
            "UPDATE applications SET status = $2, decided_on = $3, decided_by = $4, decision_reason = $5, updated_at = $6
             WHERE application_id = $1",
            &[Value::Int(id), status.code().into(), today.into(), actor.into(), reason.into(), now.into()],
        )?;
        event(tx, id, now, actor, if accept { "acceptation" } else { "refus" }, reason)
    })
}

/// Reason written on a file left without decision past its deadline.
pub const SILENCE_REASON: &str =
    "Absence de décision dans les 4 mois suivant le dossier complet : le silence vaut rejet.";

/// Rejects every filed application whose deadline has passed on `today`. Returns their ids.
pub fn expire_overdue(db: &mut Db, today: Date, now: Timestamp) -> StoreResult<Vec<i64>> {
    db.transaction(|tx| {
        let mut expired = Vec::new();
        for app in with_status(tx, Status::Filed)? {
            if app.complete_on.is_some_and(|d| is_overdue(d, today)) {
                decide(
                    tx,
                    app.id,
                    false,
                    SILENCE_REASON,
                    "système (échéance)",
                    today,
                    now,
                )?;
                expired.push(app.id);
            }
        }
        Ok(expired)
    })
}

/// One dated step of an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationEvent {
    pub at: Timestamp,
    pub actor: String,
    pub event: String,
    pub detail: String,
}

pub fn application_events(db: &mut Db, id: i64) -> StoreResult<Vec<ApplicationEvent>> {
    db.query(
        "SELECT at, actor, event, detail FROM application_events WHERE application_id = $1 ORDER BY id",
        &[Value::Int(id)],
    )?
    .iter()
    .map(|r| {
        Ok(ApplicationEvent {
            at: r.timestamp(0)?,
            actor: r.string(1)?,
            event: r.string(2)?,
            detail: r.string(3)?,
        })
    })
    .collect()
}

/// The accepted application of an RPPS, if any (the latest).
pub fn accepted_application_of(db: &mut Db, rpps: Rpps) -> StoreResult<Option<Application>> {
    db.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM applications WHERE rpps = $1 AND status = 'acceptee' ORDER BY application_id DESC LIMIT 1"
        ),
        &[rpps.to_string().into()],
    )?
    .map(|r| application(&r))
    .transpose()
}

/// A change to a psychologist's convention, as kept in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConventionEvent {
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub effective_on: Date,
    pub until_on: Option<Date>,
    pub reason: String,
}

fn convention_event(db: &mut Db, rpps: Rpps, e: &ConventionEvent) -> StoreResult<()> {
    db.execute(
        "INSERT INTO convention_events (rpps, at, actor, action, effective_on, until_on, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            rpps.to_string().into(),
            e.at.into(),
            e.actor.as_str().into(),
            e.action.as_str().into(),
            e.effective_on.into(),
            e.until_on.into(),
            e.reason.as_str().into(),
        ],
    )?;
    Ok(())
}

pub fn convention_history(db: &mut Db, rpps: Rpps) -> StoreResult<Vec<ConventionEvent>> {
    db.query(
        "SELECT at, actor, action, effective_on, until_on, reason FROM convention_events WHERE rpps = $1 ORDER BY id",
        &[rpps.to_string().into()],
    )?
    .iter()
    .map(|r| {
        Ok(ConventionEvent {
            at: r.timestamp(0)?,
            actor: r.string(1)?,
            action: r.string(2)?,
            effective_on: r.date(3)?,
            until_on: r.opt_date(4)?,
            reason: r.string(5)?,
        })
    })
    .collect()
}

/// Signs a convention from `start` (the psychologist must not have an open one).
pub fn sign_convention(
    db: &mut Db,
    rpps: Rpps,
    start: Date,
    cpam: &str,
    actor: &str,
    now: Timestamp,
) -> StoreResult<()> {
    db.transaction(|tx| {
        let open = tx.query_opt(
            "SELECT start_date FROM conventions WHERE rpps = $1 AND (end_date IS NULL OR end_date >= $2)",
            &[rpps.to_string().into(), start.into()],
        )?;
        if open.is_some() {
            return Err(StoreError::Conflict(format!(
                "le psychologue {rpps} a déjà une convention en cours à cette date"
            )));
        }
        if tx
            .query_opt(
                "SELECT 1 FROM psychologist_exclusions WHERE rpps = $1",
                &[rpps.to_string().into()],
            )?
            .is_some()
        {
            return Err(StoreError::Conflict(format!(
                "le psychologue {rpps} a été exclu du dispositif"
            )));
        }
        tx.execute(
            "INSERT INTO conventions (rpps, start_date, end_date, cpam) VALUES ($1, $2, NULL, $3)",
            &[rpps.to_string().into(), start.into(), cpam.into()],
        )?;
        convention_event(
            tx,
            rpps,
            &ConventionEvent {
                at: now,
                actor: actor.into(),
                action: "signature".into(),
                effective_on: start,
                until_on: None,
                reason: format!("CPAM {cpam}"),
            },
        )
    })
}

fn require_convention(db: &mut Db, rpps: Rpps) -> StoreResult<()> {
    if db
        .query_opt(
            "SELECT 1 FROM conventions WHERE rpps = $1",
            &[rpps.to_string().into()],
        )?
        .is_none()
    {
        return Err(StoreError::Conflict(format!(
            "le psychologue {rpps} n’a pas de convention"
        )));
    }
    Ok(())
}

/// Suspends from `from` to `to` (inclusive); the suspension lifts itself after `to`.
pub fn suspend(
    db: &mut Db,
    rpps: Rpps,
    from: Date,
    to: Date,
    reason: &str,
    actor: &str,
    now: Timestamp,
) -> StoreResult<()> {
    if to < from {
        return Err(StoreError::Invalid(
            "la fin de la suspension précède son début".into(),
        ));
    }
    db.transaction(|tx| {
        require_convention(tx, rpps)?;
        tx.execute(
            "INSERT INTO suspensions (rpps, from_date, to_date, reason) VALUES ($1, $2, $3, $4)
             ON CONFLICT (rpps, from_date) DO UPDATE SET to_date = excluded.to_date, reason = excluded.reason",
            &[rpps.to_string().into(), from.into(), to.into(), reason.into()],
        )?;
        convention_event(
            tx,
            rpps,
            &ConventionEvent {
                at: now,
                actor: actor.into(),
                action: "suspension".into(),
                effective_on: from,
                until_on: Some(to),
                reason: reason.into(),
            },
        )
    })
}

/// Excludes from `from` on.
pub fn exclude(
    db: &mut Db,
    rpps: Rpps,
    from: Date,
    reason: &str,
    actor: &str,
    now: Timestamp,
) -> StoreResult<()> {
    db.transaction(|tx| {
        require_convention(tx, rpps)?;
        tx.execute(
            "INSERT INTO psychologist_exclusions (rpps, from_date, reason) VALUES ($1, $2, $3)
             ON CONFLICT (rpps) DO UPDATE SET from_date = excluded.from_date, reason = excluded.reason",
            &[rpps.to_string().into(), from.into(), reason.into()],
        )?;
        convention_event(
            tx,
            rpps,
            &ConventionEvent {
                at: now,
                actor: actor.into(),
                action: "exclusion".into(),
                effective_on: from,
                until_on: None,
                reason: reason.into(),
            },
        )
    })
}

/// The psychologist leaves: open conventions end `end` (notice date + 2 months, computed by the
/// caller with `withdrawal_end`). Returns how many conventions were ended.
pub fn withdraw(
    db: &mut Db,
    rpps: Rpps,
    notice_on: Date,
    end: Date,
    reason: &str,
    actor: &str,
    now: Timestamp,
) -> StoreResult<u64> {
    db.transaction(|tx| {
        let n = tx.execute(
            "UPDATE conventions SET end_date = $2 WHERE rpps = $1 AND (end_date IS NULL OR end_date > $2)",
            &[rpps.to_string().into(), end.into()],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(
                "aucune convention en cours à résilier".into(),
            ));
        }
        convention_event(
            tx,
            rpps,
            &ConventionEvent {
                at: now,
                actor: actor.into(),
                action: "retrait".into(),
                effective_on: notice_on,
                until_on: Some(end),
                reason: reason.into(),
            },
        )?;
        Ok(n)
    })
}

/// Whether any convention (running, past or to come; signed in msp or imported) is on record
/// for `rpps`.
pub fn has_convention(db: &mut Db, rpps: Rpps) -> StoreResult<bool> {
    Ok(db
        .query_opt(
            "SELECT 1 FROM conventions WHERE rpps = $1",
            &[rpps.to_string().into()],
        )?
        .is_some())
}

/// Whether the CPAM `cpam` (a département code) holds or held a convention with this
/// psychologist.
pub fn conventioned_by(db: &mut Db, rpps: Rpps, cpam: &str) -> StoreResult<bool> {
    Ok(db
        .query_opt(
            "SELECT 1 FROM conventions WHERE rpps = $1 AND cpam = $2",
            &[rpps.to_string().into(), cpam.into()],
        )?
        .is_some())
}
