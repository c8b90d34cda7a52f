//! Printable documents (PDF): care sheets, statements, referral letters.

pub mod pdf;
pub mod sessions;
