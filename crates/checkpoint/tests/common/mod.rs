//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use shardlog_checkpoint::{Db, Options, ReadTxn, WriteTxn};
use shardlog_storage::SimDisk;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A model of the database contents.
pub type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// The project's one seedable generator, under the name the tests use.
#[allow(unused_imports)]
pub use shardlog_storage::SplitMix64 as Rng;

/// Key number `i`: lengths vary from 5 to a few hundred bytes so branches split too.
pub fn key(i: u64) -> Vec<u8> {
    let mut k = format!("k{i:04}-").into_bytes();
    let extra = (i % 7) as usize * (i % 5) as usize * 12;
    k.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, extra));
    k
}

/// A value of `len` bytes that depends on `tag`.
pub fn value(tag: u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (tag.wrapping_mul(131).wrapping_add(i as u64 * 7) % 251) as u8)
        .collect()
}

/// Options that make files grow often and the redo log fill often (3 pages: one to a few commits).
pub fn small_opts() -> Options {
    Options {
        initial_pages: 2,
        cache_pages: 64,
        log_pages: 3,
        ..Options::default()
    }
}

/// [`small_opts`] without a redo log: every commit is a tree commit.
pub fn tree_opts() -> Options {
    Options {
        log_pages: 0,
        ..small_opts()
    }
}

pub fn open(disk: &SimDisk) -> shardlog_checkpoint::Result<Db> {
    Db::open_with(Arc::new(disk.clone()), "checkpoints.db", small_opts())
}

/// Opens with [`tree_opts`].
pub fn open_tree(disk: &SimDisk) -> shardlog_checkpoint::Result<Db> {
    Db::open_with(Arc::new(disk.clone()), "checkpoints.db", tree_opts())
}

/// Everything a snapshot holds.
pub fn read_all(snap: &ReadTxn) -> shardlog_checkpoint::Result<Model> {
    snap.iter().collect()
}

/// Everything a write transaction sees.
pub fn read_all_tx(tx: &WriteTxn<'_>) -> shardlog_checkpoint::Result<Model> {
    tx.range::<&[u8]>(..).collect()
}
