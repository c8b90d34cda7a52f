//! The summaries folded from a batch in memory, inside its transaction (`fold_judged`, what
//! `msp adjudicate` and the demo do), equal the summaries read back from the claims
//! (`refresh`), on both engines, including when an earlier batch was left unsummarised.

mod common;

use common::summaries;
use jiff::civil::date;
use msp_domain::Rules;
use msp_stats::demo::{Demo, DemoConfig};
use msp_stats::refresh::{fold_judged, refresh};
use msp_store::claims::{adjudicate_batch, adjudicate_batch_with};
use msp_store::{Db, reference, testing};

#[derive(Clone, Copy)]
enum Way {
    /// Commit every batch, then `refresh` reads them back.
    ReadBack,
    /// Every batch folded in memory inside its transaction.
    InMemory,
    /// One batch in three committed without summarising it (as the web's batch judging does, or
    /// a refresh that failed); the next in-memory fold must fold it first.
    Mixed,
}

fn run(db: &mut Db, demo: &Demo, rules: &Rules, way: Way) -> usize {
    db.transaction(|tx| {
        reference::upsert_registry(tx, &demo.registry)?;
        reference::upsert_conventions(tx, &demo.conventions)?;
        reference::upsert_suspensions(tx, &demo.suspensions)?;
        reference::upsert_beneficiaries(tx, &demo.beneficiaries)?;
        reference::upsert_exclusions(tx, &demo.exclusions)
    })
    .unwrap();
    let now = jiff::Timestamp::UNIX_EPOCH;
    let mut batches = 0;
    for (i, (label, mut batch)) in demo.batches().enumerate() {
        // Claims sent again: judged earlier, reported again, not counted twice.
        if let Some(c) = batch.first().cloned() {
            batch.push(c);
        }
        let in_memory = match way {
            Way::ReadBack => false,
            Way::InMemory => true,
            Way::Mixed => i % 3 != 1,
        };
        if in_memory {
            adjudicate_batch_with(
                db,
                rules,
                &label,
                now,
                &batch,
                &|_, _, _| {},
                &mut fold_judged,
            )
            .unwrap();
        } else {
            adjudicate_batch(db, rules, &label, now, &batch, &|_, _, _| {}).unwrap();
        }
        batches += 1;
    }
    refresh(db).unwrap();
    batches
}

#[test]
fn folding_in_memory_equals_reading_back_on_both_engines() {
    let rules = Rules::standard();
    let demo = Demo::generate(
        &DemoConfig {
            seed: 11,
            scale: 0.002,
            today: date(2026, 11, 23),
        },
        &rules,
    );
    let mut reference_rows: Option<Vec<String>> = None;
    for t in testing::all() {
        let mut ways = Vec::new();
        for way in [Way::ReadBack, Way::InMemory, Way::Mixed] {
            let holder = match t.label {
                "sqlite" => testing::sqlite(),
                _ => testing::postgres().expect("PostgreSQL answered for testing::all"),
            };
            let mut db = holder.connect();
            let batches = run(&mut db, &demo, &rules, way);
            assert!(batches > 10, "{}", t.label);
            let last: i64 = db
                .query_one("SELECT last_batch FROM stats_state WHERE id = 1", &[])
                .unwrap()
                .int(0)
                .unwrap();
            let max: i64 = db
                .query_one("SELECT MAX(batch_id) FROM batches", &[])
                .unwrap()
                .int(0)
                .unwrap();
            assert_eq!(last, max, "{}: every batch summarised", t.label);
            ways.push(summaries(&mut db));
        }
        assert!(ways[0].len() > 1_000, "{}: {} rows", t.label, ways[0].len());
        assert_eq!(ways[0], ways[1], "{}: in memory vs read back", t.label);
        assert_eq!(ways[0], ways[2], "{}: mixed vs read back", t.label);
        match &reference_rows {
            None => reference_rows = Some(ways.swap_remove(0)),
            Some(r) => assert_eq!(r, &ways[0], "SQLite vs PostgreSQL"),
        }
    }
}
