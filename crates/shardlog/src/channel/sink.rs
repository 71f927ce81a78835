//! Where a channel's objects go: the [`ObjectSink`] a store delivers to, and the default one,
//! [`BucketDirectories`], which keeps each bucket as a directory.
//!
//! Exactly-once delivery asks one thing of a sink: an object written again under the same key
//! replaces the first whole, and a reader never sees half an object. A local directory gets this
//! from a temporary file and a rename; S3 and the stores that speak its API give it to every PUT.

use crate::error::{Error, Result};
use shardlog_storage::Storage;
use std::sync::Arc;

/// A destination of channel objects: buckets of keys, as S3 has them.
///
/// A store uses [`BucketDirectories`] under `channels/` in its data directory unless
/// [`StoreOptions::channel_sink`](crate::StoreOptions::channel_sink) names another, such as the
/// S3 client of the `shardlog-objects` crate.
///
/// ```
/// use shardlog::{ObjectSink, Result};
/// use std::sync::Mutex;
///
/// /// Keeps objects in memory, for a test.
/// #[derive(Debug, Default)]
/// struct Memory(Mutex<Vec<(String, String, Vec<u8>)>>);
///
/// impl ObjectSink for Memory {
///     fn name(&self) -> String {
///         "memory".into()
///     }
///
///     fn put_object(&self, bucket: &str, key: &str, body: &[u8]) -> Result<()> {
///         let mut objects = self.0.lock().unwrap();
///         objects.retain(|(b, k, _)| (b.as_str(), k.as_str()) != (bucket, key));
///         objects.push((bucket.into(), key.into(), body.to_vec()));
///         Ok(())
///     }
/// }
/// ```
pub trait ObjectSink: Send + Sync + std::fmt::Debug {
    /// Where the objects go, for example `s3 http://127.0.0.1:9000`. A channel keeps the name
    /// of the sink it was created with and delivers through no other: a store opened without
    /// its S3 sink holds the channel's records back (the channel is `FAILED` with the reason)
    /// rather than writing them somewhere else.
    fn name(&self) -> String;

    /// Stores `body` as the object `key` of `bucket` and returns once it is durable there. An
    /// object of the same key is replaced whole; readers see the old object or the new one,
    /// never a part. An unreachable destination is [`Error::Unavailable`]; the delivery pass
    /// reports it in the channel's status and tries again at the next pass.
    fn put_object(&self, bucket: &str, key: &str, body: &[u8]) -> Result<()>;
}

/// Buckets as directories: `arn:aws:s3:::lake` is `lake/` under the root, and an object key is a
/// path below it.
///
/// ```
/// use shardlog::{BucketDirectories, ObjectSink};
/// use shardlog_storage::FsStorage;
/// use std::sync::Arc;
///
/// let dir = tempfile::tempdir()?;
/// let sink = BucketDirectories::new(Arc::new(FsStorage::open(dir.path())?));
/// sink.put_object("lake", "a/b.json", b"{}\n")?;
/// assert_eq!(std::fs::read(dir.path().join("lake/a/b.json"))?, b"{}\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct BucketDirectories {
    root: Arc<dyn Storage>,
}

impl BucketDirectories {
    /// Buckets as the directories of `root`.
    pub fn new(root: Arc<dyn Storage>) -> Self {
        BucketDirectories { root }
    }
}

/// The name of [`BucketDirectories`], wherever their root is.
pub(crate) fn default_name() -> String {
    "bucket directories".into()
}

impl ObjectSink for BucketDirectories {
    fn name(&self) -> String {
        default_name()
    }

    /// The directories of the key's path, then the file through a temporary name, its sync, the
    /// rename over the key and the directory's sync.
    fn put_object(&self, bucket: &str, key: &str, body: &[u8]) -> Result<()> {
        let mut dir = self.root.subdir(bucket)?;
        let mut parts: Vec<&str> = key.split('/').filter(|p| !p.is_empty()).collect();
        let name = parts
            .pop()
            .ok_or_else(|| Error::Internal(format!("empty object key {key:?}")))?;
        for part in parts {
            dir = dir.subdir(part)?;
        }
        shardlog_storage::write_file_atomic(&*dir, name, body)?;
        Ok(())
    }
}
