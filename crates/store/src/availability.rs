//! Availability kept fresh (issue 12): the psychologist's one-click confirmation, the
//! single-use links of the reminder e-mails, and the reminders themselves.

use crate::directory::Delay;
use crate::{Db, StoreResult, Value};
use jiff::Timestamp;
use msp_domain::{Date, Rpps};

/// Sets a card's availability as confirmed on `today`; `false` when the psychologist has no card.
pub fn confirm(
    db: &mut Db,
    rpps: Rpps,
    accepting: bool,
    delay: Option<Delay>,
    today: Date,
    now: Timestamp,
) -> StoreResult<bool> {
    let delay = delay.filter(|_| accepting).map(|d| d.code().to_owned());
    let n = db.execute(
        "UPDATE directory_cards SET accepting_new_patients = $1, first_appointment_delay = $2,
             availability_confirmed_on = $3, updated_at = $4 WHERE rpps = $5",
        &[
            accepting.into(),
            delay.into(),
            today.into(),
            now.into(),
            rpps.to_string().into(),
        ],
    )?;
    Ok(n > 0)
}

/// One link of a reminder: the SHA-256 of its token and the answer it gives.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub token_hash: String,
    pub accepting: bool,
    pub delay: Option<Delay>,
}

/// Records the links of one reminder (`batch`), valid until `expires_at`.
pub fn create_links(
    db: &mut Db,
    batch: &str,
    rpps: Rpps,
    links: &[NewLink],
    now: Timestamp,
    expires_at: Timestamp,
) -> StoreResult<()> {
    for l in links {
        db.execute(
            "INSERT INTO availability_links (token_hash, batch, rpps, accepting, delay, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                l.token_hash.as_str().into(),
                batch.into(),
                rpps.to_string().into(),
                l.accepting.into(),
                l.delay.map(|d| d.code().to_owned()).into(),
                now.into(),
                expires_at.into(),
            ],
        )?;
    }
    Ok(())
}

/// What a link was found to be when used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkUse {
    /// Used now: the answer it gives.
    Used {
        accepting: bool,
        delay: Option<Delay>,
    },
    /// No such token.
    Unknown,
    /// A token of another psychologist than the one named in the address.
    OtherPsychologist,
    Expired,
    /// This link or another of the same reminder was used already.
    AlreadyUsed,
}

/// Looks a link up without using it.
pub fn peek_link(
    db: &mut Db,
    token_hash: &str,
    rpps: Rpps,
    now: Timestamp,
) -> StoreResult<LinkUse> {
    let Some(row) = db.query_opt(
        "SELECT rpps, accepting, delay, expires_at, used_at, batch FROM availability_links
         WHERE token_hash = $1",
        &[token_hash.into()],
    )?
    else {
        return Ok(LinkUse::Unknown);
    };
    if row.text(0)? != rpps.to_string() {
        return Ok(LinkUse::OtherPsychologist);
    }
    let batch = row.string(5)?;
    let used = db
        .query_opt(
            "SELECT 1 FROM availability_links WHERE batch = $1 AND used_at IS NOT NULL",
            &[batch.into()],
        )?
        .is_some();
    if used {
        return Ok(LinkUse::AlreadyUsed);
    }
    if row.timestamp(3)? <= now {
        return Ok(LinkUse::Expired);
    }
    Ok(LinkUse::Used {
        accepting: row.bool(1)?,
        delay: row.opt_text(2)?.and_then(Delay::parse),
    })
}

/// Uses a link (inside the caller's transaction): marks every link of its reminder used and
/// confirms the availability it gives. Nothing changes unless the answer is [`LinkUse::Used`].
pub fn use_link(
    db: &mut Db,
    token_hash: &str,
    rpps: Rpps,
    today: Date,
    now: Timestamp,
) -> StoreResult<LinkUse> {
    let found = peek_link(db, token_hash, rpps, now)?;
    let LinkUse::Used { accepting, delay } = found else {
        return Ok(found);
    };
    // Under a race, only one use marks the batch.
    let marked = db.execute(
        "UPDATE availability_links SET used_at = $1
         WHERE batch = (SELECT batch FROM availability_links WHERE token_hash = $2)
           AND NOT EXISTS (SELECT 1 FROM availability_links u
                           WHERE u.batch = availability_links.batch AND u.used_at IS NOT NULL)",
        &[now.into(), token_hash.into()],
    )?;
    if marked == 0 {
        return Ok(LinkUse::AlreadyUsed);
    }
    confirm(db, rpps, accepting, delay, today, now)?;
    Ok(found)
}

/// The e-mail address of the account whose accepted application carries each RPPS (active
/// accounts only): whom reminders go to.
pub fn recipients(db: &mut Db) -> StoreResult<Vec<(Rpps, String)>> {
    let rows = db.query(
        "SELECT a.rpps, c.email FROM applications a JOIN accounts c ON c.account_id = a.account_id
         WHERE a.status = 'acceptee' AND a.rpps <> '' AND c.active = 1 ORDER BY a.rpps",
        &[],
    )?;
    let mut out = Vec::new();
    for r in rows {
        if let Ok(rpps) = Rpps::parse(r.text(0)?) {
            out.push((rpps, r.string(1)?));
        }
    }
    Ok(out)
}

/// A reminder as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub rpps: Rpps,
    /// The confirmation date it is about, `AAAA-MM-JJ`, or `jamais`.
    pub basis: String,
    pub recipient: String,
    pub sent_at: Timestamp,
    /// Handed to the SMTP server (`false`: no SMTP configured, only recorded).
    pub delivered: bool,
    pub subject: String,
    /// Without its personal links.
    pub body: String,
}

/// Whether a reminder about this confirmation was recorded already.
pub fn reminded(db: &mut Db, rpps: Rpps, basis: &str) -> StoreResult<bool> {
    Ok(db
        .query_opt(
            "SELECT 1 FROM availability_reminders WHERE rpps = $1 AND basis = $2",
            &[rpps.to_string().into(), basis.into()],
        )?
        .is_some())
}

/// Records a reminder (once per psychologist and confirmation).
pub fn record_reminder(db: &mut Db, r: &Reminder) -> StoreResult<()> {
    db.execute(
        "INSERT INTO availability_reminders (rpps, basis, recipient, sent_at, delivered, subject, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            r.rpps.to_string().into(),
            r.basis.as_str().into(),
            r.recipient.as_str().into(),
            r.sent_at.into(),
            r.delivered.into(),
            r.subject.as_str().into(),
            r.body.as_str().into(),
        ],
    )?;
    Ok(())
}

/// The latest reminders, newest first.
pub fn reminders(db: &mut Db, limit: i64) -> StoreResult<Vec<Reminder>> {
    let rows = db.query(
        "SELECT rpps, basis, recipient, sent_at, delivered, subject, body
         FROM availability_reminders ORDER BY sent_at DESC, rpps LIMIT $1",
        &[Value::Int(limit)],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Reminder {
                rpps: Rpps::parse(r.text(0)?)
                    .map_err(|e| crate::StoreError::Invalid(e.to_string()))?,
                basis: r.string(1)?,
                recipient: r.string(2)?,
                sent_at: r.timestamp(3)?,
                delivered: r.bool(4)?,
                subject: r.string(5)?,
                body: r.string(6)?,
            })
        })
        .collect()
}
