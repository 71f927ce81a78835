//! Multi-threaded producers and consumers, push subscriptions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog::{Error, PutEntry, ShardId, StartingPosition, Store, StoreOptions};
use std::collections::BTreeMap;
use std::time::Duration;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(
        dir.path(),
        StoreOptions {
            segment_bytes: 1 << 20,
            ..StoreOptions::default()
        },
    )
    .unwrap();
    (dir, store)
}

#[test]
fn producers_and_consumers_in_threads_with_a_reshard() {
    let (_d, store) = store();
    store.create_stream("s", 3).unwrap();
    const PRODUCERS: u64 = 4;
    const PER: u64 = 600;
    std::thread::scope(|scope| {
        for p in 0..PRODUCERS {
            let store = &store;
            scope.spawn(move || {
                for batch in 0..PER / 20 {
                    let keys: Vec<String> = (0..20)
                        .map(|i| format!("user-{}", (batch * 20 + i) % 50))
                        .collect();
                    let datas: Vec<String> =
                        (0..20).map(|i| format!("{p}:{}", batch * 20 + i)).collect();
                    let entries: Vec<_> = keys
                        .iter()
                        .zip(&datas)
                        .map(|(k, d)| PutEntry::new(k, d.as_bytes()))
                        .collect();
                    assert_eq!(
                        store
                            .put_records("s", &entries)
                            .unwrap()
                            .failed_record_count,
                        0
                    );
                }
            });
        }
        // A consumer thread follows shard 0 while the producers run; a reshard happens meanwhile.
        let store = &store;
        let follower = scope.spawn(move || {
            let mut it = store
                .get_shard_iterator("s", ShardId(0), StartingPosition::TrimHorizon)
                .unwrap();
            let mut seen = 0;
            let mut last = None;
            for _ in 0..2000 {
                let got = store.get_records(&it, 100).unwrap();
                for r in &got.records {
                    assert!(last.is_none_or(|l| r.sequence_number > l));
                    last = Some(r.sequence_number);
                }
                seen += got.records.len();
                match got.next_shard_iterator {
                    Some(next) => it = next,
                    None => return (seen, true),
                }
                if got.records.is_empty() {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            (seen, false)
        });
        std::thread::sleep(Duration::from_millis(20));
        store.split_shard("s", ShardId(0), 1u128 << 120).unwrap();
        let (seen, ended) = follower.join().unwrap();
        assert!(ended, "the follower reached the end of the split parent");
        let it = store
            .get_shard_iterator("s", ShardId(0), StartingPosition::TrimHorizon)
            .unwrap();
        assert_eq!(store.get_records(&it, 10_000).unwrap().records.len(), seen);
    });
    // Every record is there once, and each producer's records per user are in order.
    let d = store.describe_stream("s").unwrap();
    let mut per: BTreeMap<(String, u64), Vec<u64>> = BTreeMap::new();
    let mut total = 0;
    for shard in d
        .shards
        .iter()
        .filter(|s| s.parent_shard_id.is_none())
        .chain(d.shards.iter().filter(|s| s.parent_shard_id.is_some()))
    {
        let it = store
            .get_shard_iterator("s", shard.shard_id, StartingPosition::TrimHorizon)
            .unwrap();
        for r in store.get_records(&it, 10_000).unwrap().records {
            let text = String::from_utf8(r.data.to_vec()).unwrap();
            let (p, n) = text.split_once(':').unwrap();
            per.entry((r.partition_key.to_string(), p.parse().unwrap()))
                .or_default()
                .push(n.parse().unwrap());
            total += 1;
        }
    }
    assert_eq!(total, PRODUCERS * PER);
    for v in per.values() {
        assert!(
            v.windows(2).all(|w| w[0] < w[1]),
            "per-key order kept across the split: {v:?}"
        );
    }
}

#[test]
fn many_subscribers_get_every_record_as_it_commits() {
    let (_d, store) = store();
    store.create_stream("s", 1).unwrap();
    let subs: Vec<_> = (0..4)
        .map(|_| {
            store
                .subscribe("s", ShardId(0), StartingPosition::Latest)
                .unwrap()
        })
        .collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = subs
            .into_iter()
            .map(|mut sub| {
                scope.spawn(move || {
                    let mut got = Vec::new();
                    while got.len() < 300 {
                        let event = sub.next_event(Duration::from_secs(5)).unwrap();
                        assert!(event.continuation_sequence_number.is_some());
                        got.extend(event.records.into_iter().map(|r| r.data));
                    }
                    got
                })
            })
            .collect();
        for i in 0..300u32 {
            store
                .put_record("s", PutEntry::new("k", &i.to_le_bytes()))
                .unwrap();
        }
        let expect: Vec<Vec<u8>> = (0..300u32).map(|i| i.to_le_bytes().to_vec()).collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), expect);
        }
    });
}

#[test]
fn a_subscription_reports_children_at_the_end_of_a_closed_shard() {
    let (_d, store) = store();
    store.create_stream("s", 1).unwrap();
    store.put_record("s", PutEntry::new("k", b"one")).unwrap();
    let mut sub = store
        .subscribe("s", ShardId(0), StartingPosition::TrimHorizon)
        .unwrap();
    let first = sub.next_event(Duration::from_secs(1)).unwrap();
    assert_eq!(first.records.len(), 1);
    let (a, b) = store.split_shard("s", ShardId(0), 1 << 64).unwrap();
    let last = sub.next_event(Duration::from_secs(1)).unwrap();
    assert!(last.records.is_empty());
    assert!(last.continuation_sequence_number.is_none());
    assert_eq!(
        last.child_shards
            .iter()
            .map(|c| c.shard_id)
            .collect::<Vec<_>>(),
        vec![a, b]
    );
    assert!(sub.is_finished());
}

#[test]
fn an_idle_subscription_times_out_with_a_heartbeat() {
    let (_d, store) = store();
    store.create_stream("s", 1).unwrap();
    let mut sub = store
        .subscribe("s", ShardId(0), StartingPosition::Latest)
        .unwrap();
    let event = sub.next_event(Duration::from_millis(30)).unwrap();
    assert!(event.records.is_empty());
    assert_eq!(event.millis_behind_latest, 0);
    assert!(!sub.is_finished());
    assert!(matches!(
        store.subscribe("s", ShardId(4), StartingPosition::Latest),
        Err(Error::ResourceNotFound(_))
    ));
}
