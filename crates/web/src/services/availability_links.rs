//! The one-click links of the reminder e-mails: each confirms one answer (« oui, sous une
//! semaine », « non »…) for one psychologist, without signing in. A link is a random 256-bit
//! token (only its SHA-256 is stored) bound to its RPPS, valid [`LINK_VALID_DAYS`] days, and the
//! links of one reminder are used up together by the first one followed.

use super::audit::record_as;
use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::security::{random_token, sha256_hex};
use jiff::{Timestamp, ToSpan};
use msp_domain::Rpps;
use msp_store::availability::{self, LinkUse, NewLink};
use msp_store::directory::Delay;

/// How long the links of a reminder stay valid.
pub const LINK_VALID_DAYS: i64 = 14;

/// The answers a reminder offers, in its order.
pub const ANSWERS: [(bool, Option<Delay>); 5] = [
    (true, Some(Delay::Week)),
    (true, Some(Delay::Month)),
    (true, Some(Delay::MoreThanMonth)),
    (true, None),
    (false, None),
];

/// « Oui, premier rendez-vous sous une semaine », « Non ».
pub fn answer_label(accepting: bool, delay: Option<Delay>) -> String {
    match (accepting, delay) {
        (true, Some(d)) => format!("Oui, premier rendez-vous {}", d.in_sentence_fr()),
        (true, None) => "Oui (sans indiquer de délai)".to_owned(),
        (false, _) => "Non, je n’accepte pas de nouveaux patients pour le moment".to_owned(),
    }
}

/// The path of a link: `/disponibilite/{rpps}/{token}`.
pub fn link_path(rpps: Rpps, token: &str) -> String {
    format!("/disponibilite/{rpps}/{token}")
}

/// Makes the links of one reminder (store work of the caller's transaction): the answer and
/// the token of each, in [`ANSWERS`] order.
pub fn make_links(
    db: &mut msp_store::Db,
    rpps: Rpps,
    now: Timestamp,
) -> Result<Vec<(bool, Option<Delay>, String)>, msp_store::StoreError> {
    let batch = random_token();
    let tokens: Vec<(bool, Option<Delay>, String)> = ANSWERS
        .iter()
        .map(|&(a, d)| (a, d, random_token()))
        .collect();
    let links: Vec<NewLink> = tokens
        .iter()
        .map(|(a, d, t)| NewLink {
            token_hash: sha256_hex(t),
            accepting: *a,
            delay: *d,
        })
        .collect();
    let expires = now
        .checked_add((LINK_VALID_DAYS * 24).hours())
        .unwrap_or(now);
    availability::create_links(db, &sha256_hex(&batch), rpps, &links, now, expires)?;
    Ok(tokens)
}

fn refusal(found: LinkUse) -> AppError {
    match found {
        LinkUse::Used { .. } => AppError::internal("link refusal for a usable link"),
        LinkUse::Unknown | LinkUse::OtherPsychologist => AppError::not_found(
            "lien_inconnu",
            "Ce lien de confirmation est inconnu ou ne correspond pas à cette fiche. Connectez-vous à votre espace pour confirmer votre disponibilité.",
        )
        .field("lien")
        .titled("Lien inconnu"),
        LinkUse::Expired => AppError::rejected(
            axum::http::StatusCode::GONE,
            "lien_expire",
            format!(
                "Ce lien de confirmation a expiré ({LINK_VALID_DAYS} jours après l’envoi du rappel). Connectez-vous à votre espace pour confirmer votre disponibilité."
            ),
        )
        .field("lien")
        .titled("Lien expiré"),
        LinkUse::AlreadyUsed => AppError::conflict(
            "lien_deja_utilise",
            "Ce rappel a déjà servi : chaque rappel ne s’utilise qu’une fois. Votre disponibilité a été enregistrée ; pour la changer, connectez-vous à votre espace.",
        )
        .field("lien")
        .titled("Lien déjà utilisé"),
    }
}

/// What a link would confirm, without using it.
pub async fn peek(state: &AppState, rpps: Rpps, token: &str) -> AppResult<(bool, Option<Delay>)> {
    let hash = sha256_hex(token);
    let found = state
        .db(move |db| availability::peek_link(db, &hash, rpps, Timestamp::now()))
        .await?;
    match found {
        LinkUse::Used { accepting, delay } => Ok((accepting, delay)),
        other => Err(refusal(other)),
    }
}

/// Uses a link: confirms its answer as of today (audited) and updates the index.
pub async fn follow(state: &AppState, rpps: Rpps, token: &str) -> AppResult<(bool, Option<Delay>)> {
    let hash = sha256_hex(token);
    let today = state.today();
    let found = state
        .db(move |db| {
            db.transaction(|tx| {
                let found = availability::use_link(tx, &hash, rpps, today, Timestamp::now())?;
                if matches!(found, LinkUse::Used { .. }) {
                    record_as(
                        tx,
                        "lien de rappel (courriel)",
                        "disponibilite",
                        "psychologue",
                        &rpps.to_string(),
                        "confirmation de disponibilité par le lien du rappel",
                    )?;
                }
                Ok(found)
            })
        })
        .await?;
    let LinkUse::Used { accepting, delay } = found else {
        return Err(refusal(found));
    };
    let s = state.clone();
    tokio::task::spawn_blocking(move || s.refresh_card(rpps)).await??;
    Ok((accepting, delay))
}
