//! The seed articles' clickstream scenario, end to end on a local data directory.
//!
//! Producers put click, view and purchase events keyed by user id; halfway through, the stream is
//! resharded (a split); a push subscriber watches one shard; then a consumer replays every shard from
//! TRIM_HORIZON, parents before children, and checks that each user's events come back in order.
//!
//! Run: `cargo run --release -p shardlog --example clickstream [DATA_DIR]` (default `./shardlog-data`).

use shardlog::{PutEntry, ShardId, StartingPosition, Store, StoreOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

const STREAM: &str = "clickstream";
const USERS: u64 = 1_000;
const EVENTS_PER_PRODUCER: u64 = 50_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "shardlog-data".into());
    let store = Store::open(&dir, StoreOptions::default())?;
    if store.list_streams().iter().any(|s| s == STREAM) {
        store.delete_stream(STREAM)?;
    }
    store.create_stream(STREAM, 4)?;

    let mut watcher = store.subscribe(STREAM, ShardId(0), StartingPosition::Latest)?;
    let watch = std::thread::spawn(move || {
        let mut seen = 0usize;
        let deadline = Instant::now() + Duration::from_secs(30);
        while !watcher.is_finished() && Instant::now() < deadline {
            match watcher.next_event(Duration::from_millis(200)) {
                Ok(event) => seen += event.records.len(),
                Err(_) => break,
            }
        }
        seen
    });

    let started = Instant::now();
    std::thread::scope(|s| -> Result<(), String> {
        let store = &store;
        let producers: Vec<_> = (0..2u64)
            .map(|p| s.spawn(move || produce(store, p)))
            .collect();
        // Reshard while the producers run: split shard 1 at its midpoint.
        std::thread::sleep(Duration::from_millis(50));
        let d = store.describe_stream(STREAM).map_err(|e| e.to_string())?;
        let s1 = &d.shards[1];
        let mid = s1.starting_hash_key + (s1.ending_hash_key - s1.starting_hash_key) / 2;
        store
            .split_shard(STREAM, s1.shard_id, mid)
            .map_err(|e| e.to_string())?;
        for p in producers {
            p.join().map_err(|_| "producer panicked".to_string())??;
        }
        Ok(())
    })?;
    let took = started.elapsed();
    let total = 2 * EVENTS_PER_PRODUCER;
    println!(
        "put {total} events durably from 2 producers in {:.0} ms ({:.0} events/s), with a split midway",
        took.as_secs_f64() * 1e3,
        total as f64 / took.as_secs_f64()
    );

    let started = Instant::now();
    let per_user = replay(&store)?;
    let events: usize = per_user.values().map(Vec::len).sum();
    println!(
        "replayed {events} events from every shard in {:.0} ms; {} users, each in order",
        started.elapsed().as_secs_f64() * 1e3,
        per_user.len()
    );
    assert_eq!(
        events as u64, total,
        "every acknowledged event is read back"
    );

    // Closing shard 0 by merging it lets the watcher see the end of its shard.
    let d = store.describe_stream(STREAM)?;
    let mut open: Vec<_> = d
        .shards
        .iter()
        .filter(|s| s.ending_sequence_number.is_none())
        .collect();
    open.sort_by_key(|s| s.starting_hash_key);
    store.merge_shards(STREAM, open[0].shard_id, open[1].shard_id)?;
    println!(
        "the push subscriber on shard 0 received {} events live",
        watch.join().unwrap_or(0)
    );
    for (id, s) in store.shard_statistics(STREAM)? {
        println!(
            "  {id}: in {} records, out {} records",
            s.incoming_records, s.outgoing_records
        );
    }
    store.close()?;
    Ok(())
}

/// Puts this producer's events in batches of 500; each user's events carry a per-user counter.
fn produce(store: &Store, producer: u64) -> Result<(), String> {
    let kinds = ["click", "view", "purchase"];
    let mut batch: Vec<(String, String)> = Vec::with_capacity(500);
    for i in 0..EVENTS_PER_PRODUCER {
        let user = format!("user-{}", (i * 7 + producer) % USERS);
        let event = format!(
            r#"{{"userId":"{user}","eventType":"{}","producer":{producer},"n":{i}}}"#,
            kinds[(i % 3) as usize]
        );
        batch.push((user, event));
        if batch.len() == 500 || i + 1 == EVENTS_PER_PRODUCER {
            let entries: Vec<_> = batch
                .iter()
                .map(|(k, d)| PutEntry::new(k, d.as_bytes()))
                .collect();
            let out = store
                .put_records(STREAM, &entries)
                .map_err(|e| e.to_string())?;
            if out.failed_record_count > 0 {
                return Err(format!("{} records failed", out.failed_record_count));
            }
            batch.clear();
        }
    }
    Ok(())
}

/// Reads every shard from TRIM_HORIZON, parents before children, and returns each user's events as
/// (producer, n) in the order read.
/// Each user's events as (producer, n), in the order read.
type PerUser = BTreeMap<String, Vec<(u64, u64)>>;

fn replay(store: &Store) -> Result<PerUser, Box<dyn std::error::Error>> {
    let d = store.describe_stream(STREAM)?;
    let mut done: BTreeSet<ShardId> = BTreeSet::new();
    let mut per_user: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    while done.len() < d.shards.len() {
        for shard in &d.shards {
            let parents: Vec<ShardId> = shard
                .parent_shard_id
                .into_iter()
                .chain(shard.adjacent_parent_shard_id)
                .collect();
            if done.contains(&shard.shard_id) || !parents.iter().all(|p| done.contains(p)) {
                continue;
            }
            let mut it = Some(store.get_shard_iterator(
                STREAM,
                shard.shard_id,
                StartingPosition::TrimHorizon,
            )?);
            while let Some(current) = it.take() {
                let got = store.get_records(&current, 10_000)?;
                for r in &got.records {
                    let v: serde_json::Value = serde_json::from_slice(&r.data)?;
                    let key = (
                        v["producer"].as_u64().unwrap_or(0),
                        v["n"].as_u64().unwrap_or(0),
                    );
                    per_user
                        .entry(r.partition_key.to_string())
                        .or_default()
                        .push(key);
                }
                if !got.records.is_empty() {
                    it = got.next_shard_iterator;
                }
            }
            done.insert(shard.shard_id);
        }
    }
    for events in per_user.values() {
        for p in 0..2 {
            let mine: Vec<u64> = events.iter().filter(|e| e.0 == p).map(|e| e.1).collect();
            assert!(
                mine.windows(2).all(|w| w[0] < w[1]),
                "a user's events replay in order"
            );
        }
    }
    Ok(per_user)
}
