//! Statistics of Mon soutien psy (SPEC §11), computed from the records, never typed in.
//!
//! - [`refresh`] keeps summary tables (`stats_days`, `stats_patients`, migration 0003) in step
//!   with adjudicated batches, so that any date is answered from a few thousand rows.
//! - [`compute`] / [`load`] give every figure as of a date for France, a région or a département
//!   ([`Scope`]): patients and sessions follow the patient's residence, psychologists their
//!   practice.
//! - [`publication`] publishes figures at month ends with primary and complementary
//!   suppression ([`disclosure`]) over the whole territory, so every output masks the same cells.
//! - [`export`] writes the public CSV and the JSON payload (`<11`, `secret`).
//! - [`dashboard`] renders the French statistics page (SVG charts and map drawn here).
//! - [`demo`] generates a deterministic national-scale demo through the real import and
//!   adjudication; [`published`] sets the published figures beside the computed ones.

pub mod compute;
pub mod dashboard;
pub mod demo;
pub mod disclosure;
pub mod export;
pub mod geo;
pub mod publication;
pub mod published;
pub mod refresh;

pub use compute::{Area, Demography, Month, Scope, Spend, Stats, Year, compute, load};
pub use refresh::{AGE_BAND_LABELS, Refreshed, age_band, refresh, reset};
