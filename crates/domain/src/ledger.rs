//! What has been accepted so far, per patient: the state later claims are judged against.
//!
//! Kept as per-patient, per-year counters plus the list of accepted session days, so that
//! judging a claim never rescans history.

use crate::{Act, Date, Nir, Rpps};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AcceptedSession {
    pub date: Date,
    pub rpps: Rpps,
    pub act: Act,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct YearCounter {
    pub year: i16,
    /// Accepted sessions in that calendar year.
    pub accepted: u32,
    /// Earliest accepted EEP of that year.
    pub first_eep: Option<Date>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatientHistory {
    pub sessions: Vec<AcceptedSession>,
    pub years: Vec<YearCounter>,
}

impl PatientHistory {
    pub fn year(&self, year: i16) -> YearCounter {
        self.years
            .iter()
            .find(|y| y.year == year)
            .copied()
            .unwrap_or(YearCounter {
                year,
                accepted: 0,
                first_eep: None,
            })
    }

    pub fn accepted_on(&self, date: Date) -> impl Iterator<Item = &AcceptedSession> {
        self.sessions.iter().filter(move |s| s.date == date)
    }

    /// Records an accepted session; returns its rank in the year.
    pub fn record(&mut self, session: AcceptedSession) -> u32 {
        self.sessions.push(session);
        let year = session.date.year();
        let idx = match self.years.iter().position(|y| y.year == year) {
            Some(i) => i,
            None => {
                self.years.push(YearCounter {
                    year,
                    accepted: 0,
                    first_eep: None,
                });
                self.years.len() - 1
            }
        };
        let counter = &mut self.years[idx];
        counter.accepted += 1;
        if session.act == Act::Eep && counter.first_eep.is_none_or(|d| session.date < d) {
            counter.first_eep = Some(session.date);
        }
        counter.accepted
    }

    /// Removes the accepted session dated `date` (a cancellation); returns its year's counter
    /// as it now stands, `None` when there was no such session.
    pub fn remove(&mut self, date: Date) -> Option<YearCounter> {
        let i = self.sessions.iter().position(|s| s.date == date)?;
        self.sessions.swap_remove(i);
        let year = date.year();
        let first_eep = self
            .sessions
            .iter()
            .filter(|s| s.act == Act::Eep && s.date.year() == year)
            .map(|s| s.date)
            .min();
        let counter = self.years.iter_mut().find(|y| y.year == year)?;
        counter.accepted = counter.accepted.saturating_sub(1);
        counter.first_eep = first_eep;
        Some(*counter)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub patients: crate::FastMap<Nir, PatientHistory>,
}

impl Ledger {
    pub fn history(&self, nir: &Nir) -> Option<&PatientHistory> {
        self.patients.get(nir)
    }

    pub fn record(&mut self, nir: Nir, session: AcceptedSession) -> u32 {
        self.patients.entry(nir).or_default().record(session)
    }

    /// Remaining paid sessions for the patient in `year` under a ceiling.
    pub fn remaining(&self, nir: &Nir, year: i16, ceiling: u32) -> u32 {
        let used = self.history(nir).map_or(0, |h| h.year(year).accepted);
        ceiling.saturating_sub(used)
    }
}
