//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in `shardlog-segment`.
///
/// Corruption is always reported with the file and byte offset where it was found, so an operator can
/// look at the bytes; nothing is repaired silently unless the caller chose a tolerant
/// [`RecoveryMode`](crate::RecoveryMode).
///
/// ```
/// use shardlog_segment::Error;
/// let err = Error::Poisoned;
/// assert!(err.to_string().contains("reopen"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A call to the disk failed (an operating-system error, a lock held elsewhere).
    #[error(transparent)]
    Storage(#[from] shardlog_storage::Error),
    /// Bytes on disk are damaged or do not belong where they were found.
    #[error("corrupt data in {file} at byte {offset}: {reason}")]
    Corrupt {
        /// The damaged file.
        file: PathBuf,
        /// Byte offset of the first damaged structure inside `file`.
        offset: u64,
        /// What check failed.
        reason: String,
    },
    /// A file is not a shardlog file of a version this build understands.
    #[error("{file} is not a shardlog {expected} file of a supported version: {reason}")]
    Foreign {
        /// The file.
        file: PathBuf,
        /// The kind of file that was expected there.
        expected: &'static str,
        /// What did not match.
        reason: String,
    },
    /// An earlier sync or write failed; the log accepts no more writes.
    ///
    /// The page cache state is unknown after a failed fsync, so the log never retries. Reopen it: recovery
    /// keeps every record that reached the disk.
    #[error(
        "the log is poisoned by an earlier I/O failure and accepts no writes; reopen it to recover"
    )]
    Poisoned,
    /// A record cannot fit in one segment.
    #[error("record of {size_bytes} bytes exceeds the largest record a segment can hold ({max_bytes} bytes)")]
    RecordTooLarge {
        /// Encoded size of the record.
        size_bytes: u64,
        /// Largest encodable record for the configured segment size.
        max_bytes: u64,
    },
    /// An option is out of its allowed range.
    #[error("invalid option: {0}")]
    InvalidOptions(String),
    /// The log has used up its sequence numbers (2^62).
    #[error("the log has used up its sequence numbers")]
    SequenceExhausted,
    /// The log was closed.
    #[error("the log is closed")]
    Closed,
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The operating system's error behind a failed storage call, if that is what this is.
    ///
    /// ```
    /// use shardlog_segment::Error;
    /// let e = Error::from(shardlog_storage::Error::io("open", "x", std::io::ErrorKind::NotFound.into()));
    /// assert_eq!(e.os_error().map(|e| e.kind()), Some(std::io::ErrorKind::NotFound));
    /// ```
    pub fn os_error(&self) -> Option<&std::io::Error> {
        match self {
            Error::Storage(e) => e.os_error(),
            _ => None,
        }
    }

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

    /// Builds an [`Error::Foreign`].
    pub(crate) fn foreign(
        file: impl Into<PathBuf>,
        expected: &'static str,
        reason: impl Into<String>,
    ) -> Self {
        Error::Foreign {
            file: file.into(),
            expected,
            reason: reason.into(),
        }
    }
}
