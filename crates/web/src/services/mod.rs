//! The actions of the product, one function each, shared by the pages and the JSON API: no
//! HTTP types here. Each service checks its input, calls the store and writes its own audit
//! lines; handlers only read the request and render the outcome.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod availability_links;
pub mod cancellation;
pub mod cards;
pub mod claims;
pub mod controls;
pub mod enrolment;
pub mod identity;
pub mod oidc;
pub mod referrals;
pub mod reminders;
pub mod schedule;
pub mod sessions;
pub mod territory;
