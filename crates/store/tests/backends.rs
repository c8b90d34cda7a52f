//! The same SQL behaves the same on SQLite and PostgreSQL.

use jiff::civil::date;
use msp_store::{Value, testing};

#[test]
fn values_round_trip_on_every_backend() {
    for t in testing::all() {
        let mut db = t.connect();
        db.batch("CREATE TABLE t (i BIGINT, f DOUBLE PRECISION, s TEXT, d DATE, ts TIMESTAMPTZ, b BYTEA, n TEXT)")
            .or_else(|_| db.batch("CREATE TABLE t (i BIGINT, f DOUBLE PRECISION, s TEXT, d DATE, ts TIMESTAMPTZ, b BLOB, n TEXT)"))
            .unwrap();
        let ts: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        db.execute(
            "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                Value::Int(42),
                Value::Float(4.5),
                "é".into(),
                date(2024, 2, 29).into(),
                ts.into(),
                Value::Bytes(vec![1, 2]),
                Value::Null,
            ],
        )
        .unwrap();
        let row = db
            .query_one(
                "SELECT i, f, s, d, ts, b, n FROM t WHERE d >= $1",
                &[date(2024, 1, 1).into()],
            )
            .unwrap();
        assert_eq!(row.int(0).unwrap(), 42, "{}", t.label);
        assert_eq!(row.float(1).unwrap(), 4.5);
        assert_eq!(row.text(2).unwrap(), "é");
        assert_eq!(row.date(3).unwrap(), date(2024, 2, 29));
        assert_eq!(row.timestamp(4).unwrap(), ts);
        assert_eq!(row.opt_bytes(5).unwrap(), Some(&[1u8, 2][..]));
        assert!(row.is_null(6));
        let sum = db
            .query_one("SELECT CAST(SUM(i) AS BIGINT), COUNT(*) FROM t", &[])
            .unwrap();
        assert_eq!(
            (sum.int(0).unwrap(), sum.int(1).unwrap()),
            (42, 1),
            "{}",
            t.label
        );
    }
}

#[test]
fn transactions_commit_or_roll_back_whole() {
    for t in testing::all() {
        let mut db = t.connect();
        db.batch("CREATE TABLE k (id BIGINT NOT NULL PRIMARY KEY)")
            .unwrap();
        let failed = db.transaction(|tx| {
            tx.execute("INSERT INTO k VALUES ($1)", &[Value::Int(1)])?;
            tx.execute("INSERT INTO k VALUES ($1)", &[Value::Int(1)])
        });
        assert!(failed.unwrap_err().is_unique_violation(), "{}", t.label);
        assert_eq!(
            db.query_one("SELECT COUNT(*) FROM k", &[])
                .unwrap()
                .int(0)
                .unwrap(),
            0
        );
        let values: Vec<Value> = (0..1000).map(Value::Int).collect();
        db.transaction(|tx| {
            tx.insert_many(
                "INSERT INTO k (id)",
                1,
                &values,
                "ON CONFLICT (id) DO NOTHING",
            )
        })
        .unwrap();
        db.insert_many(
            "INSERT INTO k (id)",
            1,
            &values[..10],
            "ON CONFLICT (id) DO NOTHING",
        )
        .unwrap();
        assert_eq!(
            db.query_one("SELECT COUNT(*) FROM k", &[])
                .unwrap()
                .int(0)
                .unwrap(),
            1000,
            "{}",
            t.label
        );
        assert!(!db.is_broken());
    }
}

#[test]
fn migrations_apply_once() {
    for t in testing::all() {
        let mut db = t.connect();
        msp_store::migrate(&mut db).unwrap();
        let n = db
            .query_one("SELECT COUNT(*) FROM schema_migrations", &[])
            .unwrap()
            .int(0)
            .unwrap();
        assert_eq!(n as usize, msp_store::MIGRATIONS.len(), "{}", t.label);
    }
}
