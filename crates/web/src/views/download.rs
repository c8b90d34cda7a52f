//! Files handed to the browser to save.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A CSV file to download, never kept in a cache (it names people).
pub fn csv_download(file_name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}
