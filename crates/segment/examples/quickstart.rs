//! The clickstream scenario on one shard: producers append click, view and purchase events keyed by
//! user id, a consumer replays one user's events in order, and the log survives a restart.
//!
//! Run: `cargo run --release -p shardlog-segment --example quickstart [DATA_DIR]`
//! (default data directory: `./shardlog-data`).

use shardlog_segment::{LogOptions, Position, ShardLog};
use shardlog_storage::FsStorage;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "shardlog-data".into());
    let storage = Arc::new(FsStorage::open(
        std::path::Path::new(&dir).join("quickstart-shard-0"),
    )?);
    let log = ShardLog::open(storage.clone(), LogOptions::default())?;
    let resumed_at = log.next_seq();

    let kinds = ["click", "view", "purchase"];
    let started = Instant::now();
    let mut batch = Vec::with_capacity(500);
    for i in 0..100_000u64 {
        let user = format!("user-{}", i % 1000);
        let event = format!(
            r#"{{"userId":"{user}","eventType":"{}","n":{i}}}"#,
            kinds[(i % 3) as usize]
        );
        batch.push((user, event));
        if batch.len() == 500 {
            log.append_batch(&batch)?;
            batch.clear();
        }
    }
    let took = started.elapsed();
    println!(
        "appended 100000 events durably (batches of 500) in {:.1} ms: {:.0} records/s",
        took.as_secs_f64() * 1e3,
        100_000.0 / took.as_secs_f64()
    );
    log.close()?;

    // Restart: every acknowledged event is still there, and numbering continues.
    let log = ShardLog::open(storage, LogOptions::default())?;
    let mut user_42 = Vec::new();
    let started = Instant::now();
    let next = log.scan(resumed_at, |r| {
        if r.key == b"user-42" {
            user_42.push((r.seq, String::from_utf8_lossy(r.data).into_owned()));
        }
        ControlFlow::Continue(())
    })?;
    println!(
        "replayed {} events in {:.1} ms; user-42 has {} events, first: {:?}",
        next - resumed_at,
        started.elapsed().as_secs_f64() * 1e3,
        user_42.len(),
        user_42.first()
    );
    assert!(
        user_42.windows(2).all(|w| w[0].0 < w[1].0),
        "a user's events replay in order"
    );
    println!(
        "log holds sequence numbers {}..{} in {} segment(s) under {dir}",
        log.seek(Position::Oldest)?,
        log.seek(Position::Latest)?,
        log.segment_count()
    );
    log.close()?;
    Ok(())
}
