//! What people see: one layout for every page ([`layout`]), components ([`notice`] by kind,
//! definition lists, form fields that show their error) and French formatting of amounts and
//! dates. Handlers build pages from these and never write a page frame of their own.

mod components;
mod download;
mod format;
mod layout;
pub mod sessions;

pub use components::{Field, Notice, field_error, form_errors, notice};
pub use download::csv_download;
pub use format::{
    date_fr, date_long_fr, euros, paris, paris_date_time, paris_date_time_seconds, plural, sentence,
};
pub use layout::{Frame, layout, menu, menu_of};
