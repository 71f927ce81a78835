//! The B-tree against a `BTreeMap` model: random inserts, removes, gets, range scans, commits,
//! rollbacks, snapshots held across commits, and reopens (proptest). After every transaction the
//! file passes `Db::verify` (checksums, key order, exact page accounting).
#![allow(clippy::unwrap_used)]

mod common;

use common::{key, open, read_all, read_all_tx, value, Model};
use proptest::prelude::*;
use shardlog_storage::SimDisk;
use std::ops::Bound;

#[derive(Debug, Clone)]
enum Op {
    Insert(u64, usize),
    Remove(u64),
    Get(u64),
    Range(u64, u64, bool),
}

#[derive(Debug, Clone, Copy)]
enum End {
    Commit,
    Abort,
    CommitAndReopen,
    CommitKeepSnapshot,
    DropSnapshots,
}

fn op(keys: u64) -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..keys, prop_oneof![0usize..64, 0usize..=1024]).prop_map(|(k, l)| Op::Insert(k, l)),
        3 => (0..keys).prop_map(Op::Remove),
        1 => (0..keys).prop_map(Op::Get),
        1 => (0..keys, 0..keys, any::<bool>()).prop_map(|(a, b, inc)| Op::Range(a, b, inc)),
    ]
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![
        5 => Just(End::Commit),
        1 => Just(End::Abort),
        1 => Just(End::CommitAndReopen),
        2 => Just(End::CommitKeepSnapshot),
        1 => Just(End::DropSnapshots),
    ]
}

fn range_of(model: &Model, a: &[u8], b: &[u8], inclusive: bool) -> Model {
    let end = if inclusive {
        Bound::Included(b.to_vec())
    } else {
        Bound::Excluded(b.to_vec())
    };
    if a > b || (a == b && !inclusive) {
        return Model::new();
    }
    model
        .range((Bound::Included(a.to_vec()), end))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn run(groups: Vec<(Vec<Op>, End)>) {
    let disk = SimDisk::new(5);
    let mut db = open(&disk).unwrap();
    let mut committed = Model::new();
    let mut snapshots = Vec::new();
    for (n, (ops, end)) in groups.into_iter().enumerate() {
        let mut working = committed.clone();
        let mut tx = db.write().unwrap();
        for op in ops {
            match op {
                Op::Insert(k, len) => {
                    let (k, v) = (key(k), value(n as u64, len));
                    assert_eq!(tx.insert(&k, &v).unwrap(), working.insert(k, v));
                }
                Op::Remove(k) => {
                    let k = key(k);
                    assert_eq!(tx.remove(&k).unwrap(), working.remove(&k));
                }
                Op::Get(k) => {
                    let k = key(k);
                    assert_eq!(tx.get(&k).unwrap().as_ref(), working.get(&k));
                }
                Op::Range(a, b, inclusive) => {
                    let (a, b) = (key(a), key(b));
                    let got: Model = if inclusive {
                        tx.range(a.as_slice()..=b.as_slice())
                            .collect::<Result<_, _>>()
                            .unwrap()
                    } else {
                        tx.range(a.as_slice()..b.as_slice())
                            .collect::<Result<_, _>>()
                            .unwrap()
                    };
                    assert_eq!(got, range_of(&working, &a, &b, inclusive));
                }
            }
            assert_eq!(tx.len(), working.len() as u64);
        }
        assert_eq!(read_all_tx(&tx).unwrap(), working);
        match end {
            End::Abort => drop(tx),
            _ => {
                tx.commit().unwrap();
                committed = working;
            }
        }
        match end {
            End::CommitAndReopen => {
                snapshots.clear();
                drop(db);
                db = open(&disk).unwrap();
            }
            End::CommitKeepSnapshot => snapshots.push((db.read().unwrap(), committed.clone())),
            End::DropSnapshots => snapshots.clear(),
            _ => {}
        }
        // Snapshots keep seeing their commit while later commits reuse freed pages.
        for (snap, model) in &snapshots {
            assert_eq!(&read_all(snap).unwrap(), model);
        }
        let report = db.verify().unwrap();
        assert_eq!(report.entries, committed.len() as u64);
        assert_eq!(read_all(&db.read().unwrap()).unwrap(), committed);
    }
    drop(snapshots);
    drop(db);
    let db = open(&disk).unwrap();
    assert_eq!(read_all(&db.read().unwrap()).unwrap(), committed);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn btree_matches_model(groups in prop::collection::vec((prop::collection::vec(op(300), 0..60), end()), 1..25)) {
        run(groups);
    }

    #[test]
    fn btree_matches_model_few_keys(groups in prop::collection::vec((prop::collection::vec(op(12), 0..20), end()), 1..40)) {
        run(groups);
    }
}

/// Fill with large values and delete everything: the tree collapses back to empty, all pages end up
/// free, and they are reused instead of growing the file.
#[test]
fn fill_then_empty_reuses_pages() {
    let disk = SimDisk::new(1);
    let db = open(&disk).unwrap();
    for round in 0..3u64 {
        let mut tx = db.write().unwrap();
        for i in 0..400 {
            tx.insert(&key(i), &value(round, 1000)).unwrap();
        }
        tx.commit().unwrap();
        let high = db.info().page_count;
        let mut tx = db.write().unwrap();
        for i in 0..400 {
            assert!(tx.remove(&key(i)).unwrap().is_some());
        }
        tx.commit().unwrap();
        assert_eq!(db.info().height, 0);
        assert!(db.read().unwrap().is_empty());
        let report = db.verify().unwrap();
        assert_eq!(report.tree_pages, 0);
        if round > 0 {
            assert!(db.info().page_count <= high + 2, "pages were not reused");
        }
    }
}
