//! How fast the store writes claim rows: `cargo run --release -p msp-store --example insert_speed [ROWS] [URL]`.

use msp_store::{Db, Value, migrate};
use std::time::Instant;

fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500_000);
    let url = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "sqlite:///tmp/insert_speed.db".into());
    if let Some(path) = url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
    let mut db = Db::connect(&url).expect("connect");
    migrate(&mut db).expect("migrate");
    let day = jiff::civil::date(2024, 7, 1);
    let started = Instant::now();
    db.transaction(|tx| {
        let mut values = Vec::with_capacity(5000 * 26);
        for chunk_start in (0..rows).step_by(5000) {
            values.clear();
            for i in chunk_start..(chunk_start + 5000).min(rows) {
                values.extend([
                    Value::Text(format!("C{i:09}")),
                    Value::Int(1),
                    day.into(),
                    "10000000009".into(),
                    "206127511100564".into(),
                    day.into(),
                    Value::Int(2024),
                    Value::Int(7),
                    "APS".into(),
                    Value::Int(5000),
                    "maladie".into(),
                    Value::Int(0),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    "accepted".into(),
                    Value::Null,
                    Value::Int(3),
                    Value::Int(5000),
                    Value::Int(3000),
                    "assure".into(),
                    Value::Int(2000),
                    "amc".into(),
                    "noemie".into(),
                    Value::Int(0),
                    Value::Int(0),
                ]);
            }
            tx.insert_many(
                "INSERT INTO claims (claim_id, batch_id, received_date, rpps, nir, session_date, session_year, session_month, act, amount_cents, context, tiers_payant, referral_date, referrer_id, referrer_kind, status, reason, rank, tariff_cents, amo_cents, amo_payee, complementary_cents, complementary_payer, complementary_route, state_cents, patient_cents)",
                26,
                &values,
                "",
            )?;
        }
        Ok(())
    })
    .expect("insert");
    let s = started.elapsed().as_secs_f64();
    println!("{rows} rows in {s:.2} s = {:.0} rows/s", rows as f64 / s);
}
