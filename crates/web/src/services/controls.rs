//! Controls of agents CPAM (SPEC §3): the psychologists whose remote sessions (PSS) exceed the
//! dated rules' share of their accepted sessions in a calendar year — a point to check with the
//! psychologist, never a refusal. The same list as `msp controle-visio --annee`, restricted to
//! the agent's territory (psychologists conventioned by that CPAM).

use crate::AppState;
use crate::error::AppResult;
use crate::extract::CpamAgent;
use crate::services::audit;
use msp_store::controls::{RemoteShare, remote_share_above};

/// The control list of one year, as an agent sees it.
#[derive(Debug, Clone)]
pub struct RemoteShareControl {
    pub year: i16,
    /// The rules' share, percent: above it a psychologist is listed.
    pub percent: u32,
    pub territory: Option<String>,
    pub above: Vec<RemoteShare>,
}

/// The list of `year` for `agent` (audited: it names psychologists and their activity).
pub async fn remote_share(
    state: &AppState,
    agent: &CpamAgent,
    year: i16,
) -> AppResult<RemoteShareControl> {
    let percent = state.rules().remote_share_control_percent;
    let (territory, user) = (agent.territory.clone(), agent.user.clone());
    let above = state
        .db(move |db| {
            let kept = remote_share_above(db, year, percent, territory.as_deref())?;
            audit::record(
                db,
                &user,
                "lecture",
                "controle",
                &format!("visio-{year}"),
                &format!(
                    "{} au-dessus de {percent} %",
                    msp_domain::french::count(kept.len(), "psychologue", "psychologues")
                ),
            )?;
            Ok(kept)
        })
        .await?;
    Ok(RemoteShareControl {
        year,
        percent,
        territory: agent.territory.clone(),
        above,
    })
}
