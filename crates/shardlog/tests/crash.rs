//! Catalog crash safety: the power is cut at every operation of a control-plane workload on the
//! simulated disk; the store must open every time, in one of the states the workload passed through,
//! with every acknowledged record present.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog::{PutEntry, ShardId, StartingPosition, Store, StoreOptions};
use shardlog_storage::{Fault, SimDisk};
use std::sync::Arc;

type Snapshot = Vec<(String, Vec<(u32, u128, u128, bool)>)>;
type Acked = Vec<(String, ShardId, shardlog::SequenceNumber, Vec<u8>)>;
type Step = Box<dyn Fn(&Store) -> bool>;

fn snapshot(store: &Store) -> Snapshot {
    store
        .list_streams()
        .into_iter()
        .map(|name| {
            let d = store.describe_stream(&name).unwrap();
            let shards = d
                .shards
                .iter()
                .map(|s| {
                    (
                        s.shard_id.0,
                        s.starting_hash_key,
                        s.ending_hash_key,
                        s.ending_sequence_number.is_none(),
                    )
                })
                .collect();
            (name, shards)
        })
        .collect()
}

fn opts() -> StoreOptions {
    StoreOptions {
        segment_bytes: 16 * 1024,
        ..StoreOptions::default()
    }
}

/// Runs the workload until the first error; returns the snapshots after each completed step and the
/// acknowledged records (stream, shard, sequence number, data).
fn workload(disk: &SimDisk) -> (Vec<Snapshot>, Acked) {
    let mut snaps = vec![Vec::new()];
    let mut acked = Vec::new();
    let Ok(store) = Store::open_with_storage(Arc::new(disk.clone()), opts()) else {
        return (snaps, acked);
    };
    snaps[0] = snapshot(&store);
    let mut put = |store: &Store, stream: &str, n: u8| -> bool {
        let data: Vec<Vec<u8>> = (0..n).map(|i| vec![i; 200]).collect();
        let keys: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
        let entries: Vec<_> = keys
            .iter()
            .zip(&data)
            .map(|(k, d)| PutEntry::new(k, d))
            .collect();
        match store.put_records(stream, &entries) {
            Ok(out) => {
                for (r, d) in out.records.iter().zip(&data) {
                    if let Ok(r) = r {
                        acked.push((stream.to_string(), r.shard_id, r.sequence_number, d.clone()));
                    }
                }
                out.failed_record_count == 0
            }
            Err(_) => false,
        }
    };
    let steps: Vec<Step> = vec![
        Box::new(|s| s.create_stream("a", 2).is_ok()),
        Box::new(|s| s.create_stream("b", 1).is_ok()),
        Box::new(|s| s.split_shard("a", ShardId(0), 1 << 100).is_ok()),
        Box::new(|s| s.delete_stream("b").is_ok()),
        Box::new(|s| s.merge_shards("a", ShardId(2), ShardId(3)).is_ok()),
        Box::new(|s| s.update_shard_count("a", 3).is_ok()),
    ];
    for step in steps {
        if !put(&store, "a", 20) && !store.list_streams().is_empty() {
            return (snaps, acked);
        }
        if !step(&store) {
            return (snaps, acked);
        }
        snaps.push(snapshot(&store));
    }
    (snaps, acked)
}

#[test]
fn the_catalog_survives_a_power_cut_at_every_operation() {
    let (total, full) = {
        let disk = SimDisk::new(0);
        let (snaps, _) = workload(&disk);
        assert_eq!(
            snaps.len(),
            7,
            "the workload runs to the end without faults"
        );
        (disk.ops(), snaps)
    };
    let mut cuts = 0;
    for (at_op, pattern) in (0..total).flat_map(|op| (0..8u64).map(move |p| (op, p))) {
        let disk = SimDisk::new(at_op);
        disk.set_fault(Fault::PowerCut { at_op });
        let (snaps, acked) = workload(&disk);
        disk.cut_power();
        let crashed = disk.crash(at_op.wrapping_mul(31) ^ pattern);
        cuts += 1;
        let store = Store::open_with_storage(Arc::new(crashed), opts())
            .unwrap_or_else(|e| panic!("op {at_op}: store did not open after the cut: {e}"));
        let now = snapshot(&store);
        // The step in progress may or may not have committed; nothing else is allowed.
        let done = snaps.len() - 1;
        // Every step commits atomically except uniform scaling (the last), which is a series of
        // splits and merges: any of its intermediate states must still tile the hash space.
        let scaling = done + 1 == full.len() - 1;
        let ok = now == full[done] || full.get(done + 1) == Some(&now) || (scaling && tiles(&now));
        assert!(
            ok,
            "op {at_op}: state after recovery {now:?} is neither step {done} nor the next"
        );
        for (stream, shard, seq, data) in &acked {
            if !store.list_streams().contains(stream) {
                continue;
            }
            let it = store
                .get_shard_iterator(stream, *shard, StartingPosition::AtSequenceNumber(*seq))
                .unwrap();
            let got = store.get_records(&it, 1).unwrap();
            assert_eq!(
                got.records
                    .first()
                    .map(|r| (&r.sequence_number, r.data.to_vec())),
                Some((seq, data.clone())),
                "op {at_op}: acked record lost"
            );
        }
    }
    println!("{cuts} power cuts ({total} operations x 8 damage patterns) over the control-plane workload");
}

/// True if every stream's open shards cover the hash space exactly once.
fn tiles(state: &Snapshot) -> bool {
    state.iter().all(|(_, shards)| {
        let mut open: Vec<_> = shards.iter().filter(|s| s.3).collect();
        open.sort_by_key(|s| s.1);
        open.first().is_some_and(|s| s.1 == 0)
            && open.last().is_some_and(|s| s.2 == u128::MAX)
            && open.windows(2).all(|w| w[0].2 + 1 == w[1].1)
    })
}
