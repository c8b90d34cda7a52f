//! The public directory: the in-memory index, search, query parameters, languages, the FHIR R4
//! resources and the demonstration directory.

pub mod answers;
pub mod demo;
pub mod fhir;
pub mod index;
pub mod json;
pub mod languages;
pub mod last_updated;
pub mod params;
pub mod search;
