//! What decides whether a psychologist may bill the programme on a date.

use crate::{Date, Period};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PsychologistRights {
    pub conventions: Vec<Period>,
    pub suspensions: Vec<Period>,
    /// Excluded by the CPAM from this date on (no later convention counts).
    pub excluded_from: Option<Date>,
}

impl PsychologistRights {
    /// An active convention on `on`: signed, not ended, not suspended, not excluded.
    pub fn is_conventioned(&self, on: Date) -> bool {
        self.conventions.iter().any(|p| p.contains(on))
            && !self.suspensions.iter().any(|p| p.contains(on))
            && self.excluded_from.is_none_or(|from| on < from)
    }
}
