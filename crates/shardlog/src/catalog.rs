//! The stream catalog: every stream, its shards, hash-key ranges, lineage, retention and tags.
//!
//! Stored as one file, `catalog`, replaced atomically (temp file, fsync, rename, fsync of the
//! directory), so after any crash it is either the old or the new catalog, never a mix.
//!
//! ```text
//! | magic "SHLGCAT\0" | version u16 | 0 u16 | body_len u32 | crc32c(body) u32 | body (JSON) |
//! ```

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use shardlog_storage::{read_file, write_file_atomic, Storage};
use std::collections::BTreeMap;

pub(crate) const CATALOG_NAME: &str = "catalog";
const MAGIC: [u8; 8] = *b"SHLGCAT\0";
const VERSION: u16 = 1;
const HEADER_LEN: usize = 20;

/// Capacity mode of a stream.
///
/// ```
/// use shardlog::StreamMode;
/// assert_eq!(StreamMode::default(), StreamMode::Provisioned);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum StreamMode {
    /// A fixed number of shards, changed by resharding.
    #[default]
    Provisioned,
    /// Shards that stay hot are split automatically.
    OnDemand,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Catalog {
    /// Key for iterator tokens (hex).
    pub secret: String,
    pub next_incarnation: u32,
    pub streams: BTreeMap<String, StreamMeta>,
    /// Account-wide settings. Absent in catalogs written before issue 15, hence the default.
    #[serde(default)]
    pub account: crate::settings::AccountSettings,
    /// Channels created and not deleted (issue 21): their definitions are in the checkpoint file,
    /// which the store opens at start only when this is not zero. Absent in older catalogs.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub channels: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StreamMeta {
    pub name: String,
    pub incarnation: u32,
    pub created_ms: u64,
    pub mode: StreamMode,
    pub retention_hours: u32,
    pub tags: BTreeMap<String, String>,
    pub shards: Vec<ShardMeta>,
    pub next_shard_index: u32,
    /// Optional cap on the stream's bytes on disk; retention drops the oldest segments beyond it.
    #[serde(default)]
    pub size_cap_bytes: Option<u64>,
    /// Registered enhanced fan-out consumers, in registration order. Absent in catalogs written
    /// before consumers existed, hence the default.
    #[serde(default)]
    pub consumers: Vec<ConsumerMeta>,
    /// Settings kept for the Kinesis API (monitoring, encryption key, policy). Absent in catalogs
    /// written before issue 15, hence the default.
    #[serde(default)]
    pub settings: crate::settings::StreamSettings,
    /// Queues on the stream (issue 20); each counts as a registered consumer. Absent in catalogs
    /// written before queues existed, hence the default.
    #[serde(default)]
    pub queues: Vec<crate::queue::QueueMeta>,
}

/// A registered consumer: its name and when it was registered (which makes its ARN unique).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ConsumerMeta {
    pub name: String,
    pub created_ms: u64,
    /// Tags and policy. Absent in catalogs written before issue 15, hence the default.
    #[serde(default)]
    pub settings: crate::settings::ConsumerSettings,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ShardMeta {
    pub index: u32,
    pub start_hash: u128,
    pub end_hash: u128,
    pub parent: Option<u32>,
    pub adjacent_parent: Option<u32>,
    pub created_ms: u64,
    /// Set when a reshard closed the shard: when, and the counter past its last record.
    pub closed: Option<Closed>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Closed {
    pub at_ms: u64,
    pub end_counter: u64,
}

impl StreamMeta {
    pub fn dir_name(&self) -> String {
        format!("{}.{}", self.name, self.incarnation)
    }

    pub fn shard(&self, index: u32) -> Option<&ShardMeta> {
        self.shards.iter().find(|s| s.index == index)
    }

    pub fn open_shards(&self) -> impl Iterator<Item = &ShardMeta> {
        self.shards.iter().filter(|s| s.closed.is_none())
    }

    pub fn children_of(&self, index: u32) -> impl Iterator<Item = &ShardMeta> {
        self.shards
            .iter()
            .filter(move |s| s.parent == Some(index) || s.adjacent_parent == Some(index))
    }
}

pub(crate) fn shard_dir_name(index: u32) -> String {
    format!("shard-{index:010}")
}

impl Catalog {
    pub fn new(secret: [u8; 32]) -> Self {
        Catalog {
            secret: secret.iter().map(|b| format!("{b:02x}")).collect(),
            next_incarnation: 1,
            streams: BTreeMap::new(),
            account: Default::default(),
            channels: 0,
        }
    }

    pub fn secret_bytes(&self) -> Vec<u8> {
        (0..self.secret.len() / 2)
            .filter_map(|i| u8::from_str_radix(self.secret.get(2 * i..2 * i + 2)?, 16).ok())
            .collect()
    }

    pub fn encode(&self) -> Vec<u8> {
        let body = serde_json::to_vec(self).unwrap_or_default();
        let mut out = Vec::with_capacity(HEADER_LEN + body.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&crc32c::crc32c(&body).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    pub fn decode(bytes: &[u8]) -> std::result::Result<Self, String> {
        let head = bytes
            .get(..HEADER_LEN)
            .ok_or("file shorter than its header")?;
        if head[..8] != MAGIC {
            return Err("bad magic: not a shardlog catalog".into());
        }
        let version = u16::from_le_bytes([head[8], head[9]]);
        if version != VERSION {
            return Err(format!(
                "format version {version}, this build reads {VERSION}"
            ));
        }
        if head[10] != 0 || head[11] != 0 {
            return Err("reserved header bytes are not zero".into());
        }
        let len = u32::from_le_bytes([head[12], head[13], head[14], head[15]]) as usize;
        let crc = u32::from_le_bytes([head[16], head[17], head[18], head[19]]);
        let body = bytes
            .get(HEADER_LEN..)
            .filter(|b| b.len() == len)
            .ok_or("length mismatch")?;
        if crc32c::crc32c(body) != crc {
            return Err("checksum mismatch".into());
        }
        serde_json::from_slice(body).map_err(|e| format!("bad body: {e}"))
    }

    /// Loads the catalog, or `None` for a new store.
    pub fn load(storage: &dyn Storage) -> Result<Option<Self>> {
        let Some(bytes) = read_file(storage, CATALOG_NAME)? else {
            return Ok(None);
        };
        Catalog::decode(&bytes)
            .map(Some)
            .map_err(|reason| Error::CorruptCatalog {
                file: storage.path(CATALOG_NAME),
                reason,
            })
    }

    /// Replaces the catalog atomically and durably.
    pub fn store(&self, storage: &dyn Storage) -> Result<()> {
        write_file_atomic(storage, CATALOG_NAME, &self.encode())?;
        Ok(())
    }
}

/// The catalog, locked for a change: control-plane operations read it through `Deref` and change it
/// only through [`CatalogTxn::commit`].
pub(crate) struct CatalogTxn<'a> {
    pub catalog: std::sync::MutexGuard<'a, Catalog>,
    pub root: &'a dyn Storage,
    pub life: &'a crate::lifecycle::Lifecycle,
}

impl std::ops::Deref for CatalogTxn<'_> {
    type Target = Catalog;

    fn deref(&self) -> &Catalog {
        &self.catalog
    }
}

impl CatalogTxn<'_> {
    /// Makes `next` the catalog, durably. A failure stops the store: the atomic replace may or may
    /// not have happened, so memory and disk can disagree (an incarnation or shard number handed out
    /// twice, a reshard on disk that writers do not see) until the store is reopened.
    pub fn commit(&mut self, next: Catalog) -> Result<()> {
        self.life.check()?;
        if let Err(e) = next.store(self.root) {
            self.life.stop(format!(
                "writing {} failed ({e})",
                self.root.path(CATALOG_NAME).display()
            ));
            return Err(e);
        }
        *self.catalog = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let mut c = Catalog::new([7; 32]);
        c.streams.insert(
            "s".into(),
            StreamMeta {
                name: "s".into(),
                incarnation: 1,
                created_ms: 5,
                mode: StreamMode::Provisioned,
                retention_hours: 24,
                tags: BTreeMap::new(),
                shards: vec![ShardMeta {
                    index: 0,
                    start_hash: 0,
                    end_hash: u128::MAX,
                    parent: None,
                    adjacent_parent: None,
                    created_ms: 5,
                    closed: None,
                }],
                next_shard_index: 1,
                size_cap_bytes: None,
                queues: Vec::new(),
                consumers: vec![ConsumerMeta {
                    name: "c".into(),
                    created_ms: 6,
                    settings: crate::settings::ConsumerSettings {
                        tags: [("team".to_string(), "data".to_string())].into(),
                        policy: None,
                    },
                }],
                settings: crate::settings::StreamSettings {
                    shard_level_metrics: vec!["IncomingBytes".into()],
                    kms_key_id: Some("alias/k".into()),
                    policy: Some("{}".into()),
                    warm_throughput_mibps: Some(5),
                    record_distribution: Some("AUTO".into()),
                    max_record_size_kib: Some(2048),
                },
            },
        );
        let b = c.encode();
        assert_eq!(Catalog::decode(&b).unwrap(), c);
        assert_eq!(c.secret_bytes(), vec![7; 32]);
        for i in 0..b.len() {
            let mut bad = b.clone();
            bad[i] ^= 0x10;
            assert!(Catalog::decode(&bad).is_err(), "byte {i}");
        }
    }
}
