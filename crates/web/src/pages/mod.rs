//! French pages, rendered on the server, one module per area of the product.

pub mod accounts;
pub mod auth;
pub mod cancellation;
pub mod card;
pub mod claims;
pub mod controls;
pub mod directory;
pub mod enrolment;
pub mod oidc;
pub mod referrals;
pub mod sessions;
pub mod space;
pub mod stats;
