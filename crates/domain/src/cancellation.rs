//! Cancelling a session recorded by mistake (issue 6).
//!
//! Only an accepted session counts, so only an accepted session needs cancelling. Ranks are
//! handed out in the order sessions are accepted and are printed on care sheets already sent:
//! to keep the year's ranks 1..n without holes, only the patient's most recent accepted
//! session of the year (rank n) may be cancelled; earlier mistakes are undone newest first.

use crate::Date;
use crate::ledger::{PatientHistory, YearCounter};

/// Shortest motive accepted: a few words, not a single letter.
pub const MIN_MOTIVE_CHARS: usize = 5;

/// Why a cancellation is refused; [`CancelRefusal::message`] is shown to the user, in French.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelRefusal {
    /// The claim was rejected: it counts for nothing.
    Rejected,
    AlreadyCancelled,
    /// Sessions were accepted after this one in the same year.
    NotLatest {
        rank: u32,
        latest: u32,
    },
    /// The motive is empty or too short to explain anything.
    MissingMotive,
}

impl CancelRefusal {
    /// Stable code for programs.
    pub fn code(self) -> &'static str {
        match self {
            CancelRefusal::Rejected => "seance_refusee",
            CancelRefusal::AlreadyCancelled => "deja_annulee",
            CancelRefusal::NotLatest { .. } => "seance_non_derniere",
            CancelRefusal::MissingMotive => "motif_absent",
        }
    }

    pub fn message(self) -> String {
        match self {
            CancelRefusal::Rejected => {
                "Cette séance a été refusée : elle ne compte pas, il n’y a rien à annuler.".into()
            }
            CancelRefusal::AlreadyCancelled => "Cette séance est déjà annulée.".into(),
            CancelRefusal::NotLatest { rank, latest } => format!(
                "Cette séance est de rang {rank}, et {latest} séances du patient ont été acceptées \
                 cette année : seule la plus récente (rang {latest}) peut être annulée. Annulez \
                 d’abord les suivantes, ou contactez la CPAM."
            ),
            CancelRefusal::MissingMotive => format!(
                "Motif d’annulation : indiquez en quelques mots pourquoi la séance est annulée \
                 ({MIN_MOTIVE_CHARS} caractères au moins)."
            ),
        }
    }
}

/// The state of the claim to cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimState {
    /// Accepted with this rank in its calendar year.
    Accepted {
        rank: u32,
    },
    Rejected,
    Cancelled,
}

/// Checks a cancellation and, when allowed, removes the session dated `date` from the patient's
/// history; returns the year's counter to store (one session fewer, first EEP recomputed).
pub fn cancel(
    history: &mut PatientHistory,
    state: ClaimState,
    date: Date,
    motive: &str,
) -> Result<YearCounter, CancelRefusal> {
    let rank = match state {
        ClaimState::Rejected => return Err(CancelRefusal::Rejected),
        ClaimState::Cancelled => return Err(CancelRefusal::AlreadyCancelled),
        ClaimState::Accepted { rank } => rank,
    };
    if motive.trim().chars().count() < MIN_MOTIVE_CHARS {
        return Err(CancelRefusal::MissingMotive);
    }
    let latest = history.year(date.year()).accepted;
    if rank != latest {
        return Err(CancelRefusal::NotLatest { rank, latest });
    }
    Ok(history.remove(date).unwrap_or(YearCounter {
        year: date.year(),
        accepted: 0,
        first_eep: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::AcceptedSession;
    use crate::{Act, Rpps};
    use jiff::civil::date;

    fn history(acts: &[(Date, Act)]) -> PatientHistory {
        let rpps: Rpps = crate::fixtures::rpps(1);
        let mut h = PatientHistory::default();
        for &(d, act) in acts {
            h.record(AcceptedSession { date: d, rpps, act });
        }
        h
    }

    #[test]
    fn the_latest_session_is_cancelled_and_the_counter_goes_down() {
        let mut h = history(&[
            (date(2026, 1, 5), Act::Eep),
            (date(2026, 1, 12), Act::Aps),
            (date(2026, 1, 19), Act::Aps),
        ]);
        let y = cancel(
            &mut h,
            ClaimState::Accepted { rank: 3 },
            date(2026, 1, 19),
            "erreur de patient",
        )
        .unwrap();
        assert_eq!(y.accepted, 2);
        assert_eq!(y.first_eep, Some(date(2026, 1, 5)));
        assert_eq!(h.sessions.len(), 2);
        assert_eq!(h.year(2026).accepted, 2);
    }

    #[test]
    fn cancelling_the_eep_clears_the_first_eep() {
        let mut h = history(&[(date(2025, 12, 1), Act::Eep), (date(2026, 2, 2), Act::Eep)]);
        let y = cancel(
            &mut h,
            ClaimState::Accepted { rank: 1 },
            date(2026, 2, 2),
            "saisie en double",
        )
        .unwrap();
        assert_eq!((y.year, y.accepted, y.first_eep), (2026, 0, None));
        // The other year is untouched.
        assert_eq!(h.year(2025).first_eep, Some(date(2025, 12, 1)));
    }

    #[test]
    fn only_the_latest_accepted_rejected_or_cancelled_claims_are_refused() {
        let mut h = history(&[(date(2026, 1, 5), Act::Eep), (date(2026, 1, 12), Act::Aps)]);
        let before = h.clone();
        let d = date(2026, 1, 5);
        assert_eq!(
            cancel(
                &mut h,
                ClaimState::Accepted { rank: 1 },
                d,
                "erreur de date"
            ),
            Err(CancelRefusal::NotLatest { rank: 1, latest: 2 })
        );
        assert_eq!(
            cancel(&mut h, ClaimState::Rejected, d, "erreur"),
            Err(CancelRefusal::Rejected)
        );
        assert_eq!(
            cancel(&mut h, ClaimState::Cancelled, d, "erreur"),
            Err(CancelRefusal::AlreadyCancelled)
        );
        assert_eq!(
            cancel(
                &mut h,
                ClaimState::Accepted { rank: 2 },
                date(2026, 1, 12),
                "  ab "
            ),
            Err(CancelRefusal::MissingMotive)
        );
        assert_eq!(h, before, "a refusal changes nothing");
        assert!(
            CancelRefusal::NotLatest { rank: 1, latest: 2 }
                .message()
                .contains("rang 2")
        );
    }
}
