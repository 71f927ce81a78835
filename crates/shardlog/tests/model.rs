//! Model-based test: random stream operations, puts, reads, reshards and reopens against an
//! in-memory model, on the simulated disk.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use shardlog::{
    hash_key, PutEntry, SequenceNumber, ShardId, StartingPosition, Store, StoreOptions,
    MAX_HASH_KEY,
};
use shardlog_segment::Durability;
use shardlog_storage::SimDisk;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone)]
enum Op {
    Create(u8, u8),
    Delete(u8),
    Put(u8, Vec<(u8, u8)>),
    Read(u8, u8),
    Split(u8, u8, u16),
    Merge(u8, u8),
    Scale(u8, u8),
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0u8..3, 1u8..5).prop_map(|(s, n)| Op::Create(s, n)),
        1 => (0u8..3).prop_map(Op::Delete),
        8 => (0u8..3, prop::collection::vec((any::<u8>(), any::<u8>()), 1..30)).prop_map(|(s, v)| Op::Put(s, v)),
        3 => (0u8..3, any::<u8>()).prop_map(|(s, i)| Op::Read(s, i)),
        2 => (0u8..3, any::<u8>(), 1u16..u16::MAX).prop_map(|(s, i, f)| Op::Split(s, i, f)),
        2 => (0u8..3, any::<u8>()).prop_map(|(s, i)| Op::Merge(s, i)),
        1 => (0u8..3, 1u8..9).prop_map(|(s, t)| Op::Scale(s, t)),
        1 => Just(Op::Reopen),
    ]
}

/// What the model knows of one shard.
#[derive(Debug, Clone, Default)]
struct MShard {
    range: (u128, u128),
    open: bool,
    records: Vec<(SequenceNumber, String, Vec<u8>)>,
}

type Model = BTreeMap<String, BTreeMap<u32, MShard>>;

fn name(i: u8) -> String {
    format!("stream-{i}")
}

fn open_sorted(m: &BTreeMap<u32, MShard>) -> Vec<(u32, (u128, u128))> {
    let mut v: Vec<_> = m
        .iter()
        .filter(|(_, s)| s.open)
        .map(|(i, s)| (*i, s.range))
        .collect();
    v.sort_by_key(|x| x.1 .0);
    v
}

/// Reloads the model's shard set (ranges, open state) from the store after a reshard, keeping records.
fn sync_shards(store: &Store, stream: &str, model: &mut Model) {
    let d = store.describe_stream(stream).unwrap();
    let shards = model.get_mut(stream).unwrap();
    for s in d.shards {
        let e = shards.entry(s.shard_id.0).or_default();
        e.range = (s.starting_hash_key, s.ending_hash_key);
        e.open = s.ending_sequence_number.is_none();
    }
}

fn read_shard(store: &Store, stream: &str, shard: u32) -> Vec<(SequenceNumber, String, Vec<u8>)> {
    let mut it = store
        .get_shard_iterator(stream, ShardId(shard), StartingPosition::TrimHorizon)
        .unwrap();
    let mut out = Vec::new();
    loop {
        let got = store.get_records(&it, 7).unwrap();
        let empty = got.records.is_empty();
        out.extend(got.records.into_iter().map(|r| {
            (
                r.sequence_number,
                r.partition_key.to_string(),
                r.data.to_vec(),
            )
        }));
        match got.next_shard_iterator {
            Some(next) if !empty => it = next,
            _ => return out,
        }
    }
}

fn run(ops: Vec<Op>, seed: u64) -> Result<(), TestCaseError> {
    let disk = SimDisk::new(seed);
    let opts = StoreOptions {
        segment_bytes: 16 * 1024,
        durability: Durability::Sync,
        ..StoreOptions::default()
    };
    let mut store = Store::open_with_storage(Arc::new(disk.clone()), opts.clone()).unwrap();
    let mut model: Model = BTreeMap::new();
    for (i, n) in [(0u8, 1u32), (1, 3)] {
        store.create_stream(&name(i), n).unwrap();
        model.insert(name(i), BTreeMap::new());
        sync_shards(&store, &name(i), &mut model);
    }
    for op in ops {
        match op {
            Op::Create(s, n) => {
                let r = store.create_stream(&name(s), u32::from(n));
                prop_assert_eq!(r.is_ok(), !model.contains_key(&name(s)));
                if r.is_ok() {
                    model.insert(name(s), BTreeMap::new());
                    sync_shards(&store, &name(s), &mut model);
                }
            }
            Op::Delete(s) => {
                let r = store.delete_stream(&name(s));
                prop_assert_eq!(r.is_ok(), model.remove(&name(s)).is_some());
            }
            Op::Put(s, items) => {
                let keys: Vec<String> = items.iter().map(|(k, _)| format!("user-{k}")).collect();
                let datas: Vec<Vec<u8>> = items
                    .iter()
                    .map(|(k, d)| vec![*d; usize::from(*k % 50)])
                    .collect();
                let entries: Vec<_> = keys
                    .iter()
                    .zip(&datas)
                    .map(|(k, d)| PutEntry::new(k, d))
                    .collect();
                let r = store.put_records(&name(s), &entries);
                let Some(shards) = model.get_mut(&name(s)) else {
                    prop_assert!(r.is_err());
                    continue;
                };
                let out = r.unwrap();
                prop_assert_eq!(out.failed_record_count, 0);
                for ((k, d), res) in keys.iter().zip(&datas).zip(out.records) {
                    let res = res.unwrap();
                    let h = hash_key(k);
                    let (idx, _) = open_sorted(shards)
                        .into_iter()
                        .find(|(_, r)| r.0 <= h && h <= r.1)
                        .unwrap();
                    prop_assert_eq!(
                        res.shard_id,
                        ShardId(idx),
                        "routed by MD5 to the open shard holding it"
                    );
                    let shard = shards.get_mut(&idx).unwrap();
                    if let Some(last) = shard.records.last() {
                        prop_assert!(res.sequence_number > last.0);
                    }
                    shard
                        .records
                        .push((res.sequence_number, k.clone(), d.clone()));
                }
            }
            Op::Read(s, i) => {
                let Some(shards) = model.get(&name(s)) else {
                    continue;
                };
                let idx = *shards.keys().nth(usize::from(i) % shards.len()).unwrap();
                let got = read_shard(&store, &name(s), idx);
                prop_assert_eq!(&got, &shards[&idx].records);
            }
            Op::Split(s, i, f) => {
                let Some(shards) = model.get(&name(s)) else {
                    continue;
                };
                let open = open_sorted(shards);
                let (idx, (lo, hi)) = open[usize::from(i) % open.len()];
                let key = lo + (hi - lo) / u128::from(u16::MAX) * u128::from(f);
                let r = store.split_shard(&name(s), ShardId(idx), key);
                prop_assert_eq!(r.is_ok(), key > lo + 1 && key < hi, "{:?}", r);
                sync_shards(&store, &name(s), &mut model);
            }
            Op::Merge(s, i) => {
                let Some(shards) = model.get(&name(s)) else {
                    continue;
                };
                let open = open_sorted(shards);
                if open.len() < 2 {
                    continue;
                }
                let j = usize::from(i) % (open.len() - 1);
                store
                    .merge_shards(&name(s), ShardId(open[j].0), ShardId(open[j + 1].0))
                    .unwrap();
                sync_shards(&store, &name(s), &mut model);
            }
            Op::Scale(s, t) => {
                let Some(shards) = model.get(&name(s)) else {
                    continue;
                };
                let n = open_sorted(shards).len() as u32;
                let t = u32::from(t);
                let r = store.update_shard_count(&name(s), t);
                prop_assert_eq!(r.is_ok(), t <= 2 * n && 2 * t >= n);
                sync_shards(&store, &name(s), &mut model);
                let open = open_sorted(model.get(&name(s)).unwrap());
                prop_assert_eq!(open.first().map(|o| o.1 .0), Some(0));
                prop_assert_eq!(open.last().map(|o| o.1 .1), Some(MAX_HASH_KEY));
            }
            Op::Reopen => {
                store.close().unwrap();
                store = Store::open_with_storage(Arc::new(disk.clone()), opts.clone()).unwrap();
            }
        }
    }
    // Everything reads back after a final reopen.
    store.close().unwrap();
    let store = Store::open_with_storage(Arc::new(disk), opts).unwrap();
    prop_assert_eq!(
        store.list_streams(),
        model.keys().cloned().collect::<Vec<_>>()
    );
    for (stream, shards) in &model {
        for (idx, shard) in shards {
            prop_assert_eq!(&read_shard(&store, stream, *idx), &shard.records);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 250, .. ProptestConfig::default() })]

    #[test]
    fn store_matches_model(ops in prop::collection::vec(op(), 1..60), seed in any::<u64>()) {
        run(ops, seed)?;
    }
}
