//! Reminder e-mails (issue 12): at day 21 without a confirmation of availability, one reminder
//! in French with the one-click links, sent through a real SMTP server ([`SmtpConfig`]); without
//! SMTP configured the reminder is only recorded, and the admin sees it
//! (`/espace/admin/rappels`).

use crate::AppState;
use crate::services::availability_links::{LINK_VALID_DAYS, answer_label, link_path, make_links};
use jiff::{Timestamp, ToSpan};
use msp_domain::{Date, Rpps};
use msp_store::availability::{self, Reminder};
use std::collections::HashMap;

/// A reminder goes out this many days after the last confirmation (or after the card was
/// written, when never confirmed): 9 days before the availability turns « inconnue ».
pub const REMIND_AFTER_DAYS: i64 = 21;

/// How often the server looks for reminders to send.
pub const REMINDERS_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (a relay on the same machine or network only).
    None,
    /// STARTTLS on the submission port (587).
    StartTls,
    /// TLS from the start (465).
    Tls,
}

impl SmtpTls {
    pub fn parse(s: &str) -> Option<SmtpTls> {
        match s.trim() {
            "aucun" | "none" => Some(SmtpTls::None),
            "starttls" => Some(SmtpTls::StartTls),
            "tls" => Some(SmtpTls::Tls),
            _ => None,
        }
    }
}

/// Where reminders are sent from.
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// User name and password, when the server asks for them.
    pub credentials: Option<(String, String)>,
    /// « Mon soutien psy <ne-pas-repondre@…> ».
    pub from: String,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.credentials.as_ref().map(|c| &c.0))
            .field("from", &self.from)
            .finish()
    }
}

/// Sends one plain-text message (blocking).
pub fn send_mail(cfg: &SmtpConfig, to: &str, subject: &str, body: &str) -> Result<(), String> {
    use lettre::message::header::ContentType;
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::{Message, SmtpTransport, Transport};
    let message = Message::builder()
        .from(
            cfg.from
                .parse()
                .map_err(|e| format!("expéditeur « {} » : {e}", cfg.from))?,
        )
        .to(to
            .parse()
            .map_err(|e| format!("destinataire « {to} » : {e}"))?)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_owned())
        .map_err(|e| e.to_string())?;
    let builder = match cfg.tls {
        SmtpTls::None => SmtpTransport::builder_dangerous(&cfg.host),
        SmtpTls::StartTls => SmtpTransport::starttls_relay(&cfg.host).map_err(|e| e.to_string())?,
        SmtpTls::Tls => SmtpTransport::relay(&cfg.host).map_err(|e| e.to_string())?,
    };
    let mut builder = builder
        .port(cfg.port)
        .timeout(Some(std::time::Duration::from_secs(20)));
    if let Some((user, password)) = &cfg.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    builder
        .build()
        .send(&message)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemindersRun {
    /// Handed to the SMTP server.
    pub sent: Vec<Rpps>,
    /// Recorded only (no SMTP configured).
    pub recorded: Vec<Rpps>,
    /// The SMTP server refused or could not be reached (tried again at the next run).
    pub failed: Vec<(Rpps, String)>,
}

/// The subject and body of a reminder; `links` are the full URLs in [`crate::services::availability_links::ANSWERS`]
/// order, or `None` for the copy kept in the store.
fn message(
    name: &str,
    label: &str,
    links: Option<&[(String, String)]>,
    expires: Date,
    space: &str,
) -> (String, String) {
    let subject = "Mon soutien psy : acceptez-vous de nouveaux patients ?".to_owned();
    let mut body = format!(
        "Bonjour {name},\n\n\
         Votre fiche de l’annuaire Mon soutien psy indique : « {label} ».\n\
         Une disponibilité non confirmée depuis 30 jours s’affiche « disponibilité inconnue ».\n\n\
         Acceptez-vous de nouveaux patients ? Un clic suffit, sans vous connecter :\n\n"
    );
    match links {
        Some(links) => {
            for (answer, url) in links {
                body.push_str(&format!("- {answer} :\n  {url}\n"));
            }
        }
        None => body.push_str("- [liens personnels à usage unique, non conservés]\n"),
    }
    body.push_str(&format!(
        "\nCes liens ne servent qu’une fois et expirent le {}. Vous pouvez aussi répondre depuis votre espace : {space}\n\n\
         L’équipe Mon soutien psy\n",
        crate::views::date_long_fr(expires)
    ));
    (subject, body)
}

/// Sends (or, without SMTP, records) the reminders due at `now`: one per listed psychologist
/// with an account whose availability was last confirmed 21 days ago or more (or never, 21
/// days after the card was written), once per confirmation (blocking). Kept a plain function so
/// that a fleet can run it on one server only.
pub fn send_due_reminders(
    state: &AppState,
    now: Timestamp,
) -> Result<RemindersRun, msp_store::StoreError> {
    let today = state.today();
    let mut db = state.pool().get()?;
    let recipients: HashMap<Rpps, String> =
        availability::recipients(&mut db)?.into_iter().collect();
    let due: Vec<(Rpps, String, String, String)> = {
        let index = state.index();
        recipients
            .iter()
            .filter_map(|(rpps, email)| {
                let e = index.get(*rpps).filter(|e| e.listed.is_listed_on(today))?;
                let c = &e.listed.card;
                let (reference, basis) = match c.availability_confirmed_on {
                    Some(d) => (d, d.to_string()),
                    None => (
                        crate::directory::answers::paris_date(e.listed.updated_at?),
                        "jamais".to_owned(),
                    ),
                };
                let due_on = reference.checked_add(REMIND_AFTER_DAYS.days()).ok()?;
                (due_on <= today).then(|| {
                    (
                        *rpps,
                        email.clone(),
                        basis,
                        format!(
                            "{} {}\u{1f}{}",
                            e.listed.first_name,
                            e.listed.last_name,
                            crate::directory::json::availability_label(c, today)
                        ),
                    )
                })
            })
            .collect()
    };
    let base = state
        .options()
        .public_url
        .clone()
        .unwrap_or_else(|| "http://localhost:8080".to_owned());
    let base = base.trim_end_matches('/');
    let space = format!("{base}{}", crate::paths::MY_CARD);
    let expires = today.checked_add(LINK_VALID_DAYS.days()).unwrap_or(today);
    let mut run = RemindersRun::default();
    for (rpps, email, basis, text) in due {
        if availability::reminded(&mut db, rpps, &basis)? {
            continue;
        }
        let (name, label) = text.split_once('\u{1f}').unwrap_or((&text, ""));
        let smtp = state.options().smtp.clone();
        let delivered = if let Some(cfg) = &smtp {
            let tokens = db.transaction(|tx| make_links(tx, rpps, now))?;
            let links: Vec<(String, String)> = tokens
                .iter()
                .map(|(a, d, t)| {
                    (
                        answer_label(*a, *d),
                        format!("{base}{}", link_path(rpps, t)),
                    )
                })
                .collect();
            let (subject, body) = message(name, label, Some(&links), expires, &space);
            if let Err(e) = send_mail(cfg, &email, &subject, &body) {
                tracing::warn!(%rpps, error = %e, "availability reminder not sent");
                run.failed.push((rpps, e));
                continue;
            }
            true
        } else {
            false
        };
        let (subject, body) = message(name, label, None, expires, &space);
        availability::record_reminder(
            &mut db,
            &Reminder {
                rpps,
                basis,
                recipient: email,
                sent_at: now,
                delivered,
                subject,
                body,
            },
        )?;
        if delivered {
            run.sent.push(rpps);
        } else {
            run.recorded.push(rpps);
        }
    }
    Ok(run)
}

/// The task name of the reminders in `scheduled_runs`.
pub const REMINDERS_TASK: &str = "rappels de disponibilité";

/// Sends the due reminders if no server of the fleet did within [`REMINDERS_EVERY`]
/// (blocking); `None` when not due. The period is claimed first and the mail sent outside that
/// claim's transaction, so a slow SMTP server never holds the database; a run cut short is
/// finished by the next period ([`send_due_reminders`] never sends one reminder twice).
pub fn remind_if_due(
    state: &AppState,
    now: Timestamp,
) -> Result<Option<RemindersRun>, msp_store::StoreError> {
    match crate::services::schedule::run_once(state, REMINDERS_TASK, REMINDERS_EVERY, |_| Ok(()))? {
        Some(()) => send_due_reminders(state, now).map(Some),
        None => Ok(None),
    }
}

/// The scheduled reminders: looked for every [`crate::services::schedule::TICK`], sent once per
/// [`REMINDERS_EVERY`] across the fleet.
pub async fn reminder_job(state: AppState) {
    let mut tick = tokio::time::interval(crate::services::schedule::TICK);
    loop {
        tick.tick().await;
        let s = state.clone();
        match tokio::task::spawn_blocking(move || remind_if_due(&s, Timestamp::now())).await {
            Ok(Ok(Some(run))) => {
                if !(run.sent.is_empty() && run.recorded.is_empty() && run.failed.is_empty()) {
                    tracing::info!(
                        sent = run.sent.len(),
                        recorded = run.recorded.len(),
                        failed = run.failed.len(),
                        "availability reminders"
                    );
                }
            }
            Ok(Ok(None)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "availability reminders failed"),
            Err(e) => tracing::warn!(error = %e, "availability reminders panicked"),
        }
    }
}

/// The latest reminders, for the admin.
pub async fn latest(state: &AppState) -> crate::error::AppResult<Vec<Reminder>> {
    state.db(|db| availability::reminders(db, 200)).await
}
