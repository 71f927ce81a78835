//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in `shardlog-checkpoint`.
///
/// Damage found on disk is reported with the file and the byte offset of the structure that failed
/// its check.
///
/// ```
/// use shardlog_checkpoint::Error;
/// let err = Error::KeyTooLarge { len: 600, max: 512 };
/// assert!(err.to_string().contains("600 bytes"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A call through the [`Storage`](shardlog_storage::Storage) trait failed (I/O error, missing
    /// file, simulated power cut).
    #[error(transparent)]
    Storage(#[from] shardlog_storage::Error),
    /// Bytes on disk are damaged, stale, or do not belong where they were found.
    #[error(
        "corrupt checkpoint file {file} at byte {offset}: {reason}; restore it from a backup \
         (Db::backup_to) or inspect the bytes at that offset"
    )]
    Corrupt {
        /// The damaged file.
        file: PathBuf,
        /// Byte offset of the structure that failed its check.
        offset: u64,
        /// Which check failed.
        reason: String,
    },
    /// The file is not a checkpoint file, or was written by a format version this build does not know.
    #[error("{file} is not a shardlog checkpoint file of a supported version: {reason}")]
    Foreign {
        /// The file.
        file: PathBuf,
        /// What did not match.
        reason: String,
    },
    /// An earlier write or sync failed, so the state of the file in the page cache is unknown.
    #[error(
        "the checkpoint database is poisoned by an earlier I/O failure; drop it and open it again \
         (recovery returns the last committed state)"
    )]
    Poisoned,
    /// Another process (or another `Db` in this one) holds the file's exclusive lock.
    #[error("{path} is locked by another writer; close it there first")]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// A key is empty or longer than [`MAX_KEY_LEN`](crate::MAX_KEY_LEN).
    #[error("key of {len} bytes is outside 1..={max} bytes")]
    KeyTooLarge {
        /// Length of the key.
        len: usize,
        /// Largest allowed key.
        max: usize,
    },
    /// A value is longer than [`MAX_VALUE_LEN`](crate::MAX_VALUE_LEN).
    #[error("value of {len} bytes exceeds the largest storable value ({max} bytes)")]
    ValueTooLarge {
        /// Length of the value.
        len: usize,
        /// Largest allowed value.
        max: usize,
    },
    /// An option is out of its allowed range.
    #[error("invalid option: {0}")]
    InvalidOptions(String),
    /// An argument is malformed (a file name, a backup target).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// An internal invariant failed: a bug in `shardlog-checkpoint`. The transaction was not committed.
    #[error("internal error (a bug in shardlog-checkpoint, please report it): {0}")]
    Internal(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Builds an [`Error::Corrupt`].
    pub(crate) fn corrupt(
        file: impl Into<PathBuf>,
        offset: u64,
        reason: impl Into<String>,
    ) -> Self {
        Error::Corrupt {
            file: file.into(),
            offset,
            reason: reason.into(),
        }
    }
}
