//! One kind of durable consumer state in the checkpoint file: its key prefix and schema version.

use super::keys::push_part;
use crate::error::{Error, Result};
use shardlog_checkpoint::Db;
use std::sync::Arc;

/// The tag of a namespace's schema key.
const SCHEMA_TAG: u8 = b'M';

/// A kind's share of the checkpoint file: every key it writes starts with `kind ‖ 00 ‖ tag`.
#[derive(Debug, Clone)]
pub(crate) struct Namespace {
    db: Arc<Db>,
    kind: &'static str,
}

impl Namespace {
    /// Opens `kind`'s namespace in `db`: writes `schema` on first use and refuses a namespace
    /// written with another schema (an older or newer build's layout).
    pub(crate) fn open(db: Arc<Db>, kind: &'static str, schema: u8) -> Result<Namespace> {
        assert!(
            !kind.is_empty() && !kind.as_bytes().contains(&0),
            "a kind is a non-empty name without 00"
        );
        let ns = Namespace { db, kind };
        let meta = ns.tagged(SCHEMA_TAG);
        let stored = ns.db.read()?.get(&meta)?;
        match stored.as_deref() {
            Some([v]) if *v == schema => {}
            None => {
                let mut tx = ns.db.write()?;
                if tx.get(&meta)?.is_none() {
                    tx.insert(&meta, &[schema])?;
                }
                tx.commit()?;
            }
            Some(other) => {
                return Err(Error::Checkpoint(shardlog_checkpoint::Error::Foreign {
                    file: ns.db.path(),
                    reason: format!("{kind} state schema {other:?} (this build knows [{schema}])"),
                }))
            }
        }
        Ok(ns)
    }

    /// The file.
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// `kind ‖ 00 ‖ tag`: the start of every key of one record type of this kind.
    pub(crate) fn prefix(&self, tag: u8) -> Vec<u8> {
        assert_ne!(tag, SCHEMA_TAG, "the schema tag is the namespace's own");
        self.tagged(tag)
    }

    fn tagged(&self, tag: u8) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.kind.len() + 2);
        out.extend_from_slice(self.kind.as_bytes());
        out.extend_from_slice(&[0, tag]);
        out
    }

    /// `prefix(tag) ‖ parts`, each part a tuple text part.
    pub(crate) fn key(&self, tag: u8, parts: &[&str]) -> Vec<u8> {
        let mut out = self.prefix(tag);
        for part in parts {
            push_part(&mut out, part);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shardlog_storage::SimDisk;

    #[test]
    fn a_namespace_keeps_its_schema_and_refuses_another() -> Result<()> {
        let db = Arc::new(Db::open(Arc::new(SimDisk::new(3)), "state.db")?);
        let leases = Namespace::open(Arc::clone(&db), "lease", 2)?;
        assert_eq!(leases.key(b'L', &["a"]), b"lease\0La\0\x01");
        assert_eq!(db.read()?.get(b"lease\0M")?, Some(vec![2]));
        Namespace::open(Arc::clone(&db), "lease", 2)?;
        let queues = Namespace::open(Arc::clone(&db), "queue", 1)?;
        assert!(queues.key(b'L', &[]) > leases.key(b'L', &["\u{ff}"]));
        let newer = Namespace::open(db, "lease", 3);
        assert!(
            matches!(&newer, Err(Error::Checkpoint(shardlog_checkpoint::Error::Foreign { reason, .. })) if reason.contains("lease state schema [2]")),
            "{newer:?}"
        );
        Ok(())
    }
}
