//! The engine's one error type, shaped after the Kinesis error types so the server can map each
//! variant to its `__type` without guessing.

use std::path::PathBuf;

/// Everything the engine reports.
///
/// The variants mirror Kinesis' error types; [`Error::kind`] gives the exact AWS type name.
///
/// ```
/// use shardlog::Error;
/// let e = Error::ResourceNotFound("Stream s under account 000000000000 not found.".into());
/// assert_eq!(e.kind(), "ResourceNotFoundException");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The stream, shard or consumer does not exist.
    #[error("{0}")]
    ResourceNotFound(String),
    /// The resource exists or is busy (for example a stream that is being resharded).
    #[error("{0}")]
    ResourceInUse(String),
    /// An argument is semantically wrong (Kinesis `InvalidArgumentException`).
    #[error("{0}")]
    InvalidArgument(String),
    /// A request member breaks a model constraint (Kinesis `ValidationException`).
    #[error("{0}")]
    Validation(String),
    /// A quota would be exceeded.
    #[error("{0}")]
    LimitExceeded(String),
    /// The shard's configured read or write rate is exceeded; retry later.
    #[error("{0}")]
    ProvisionedThroughputExceeded(String),
    /// The shard iterator is older than its five-minute lifetime.
    #[error("{0}")]
    ExpiredIterator(String),
    /// Another process holds the store.
    #[error("the store at {0} is in use by another process (lock held on {0}/LOCK)")]
    Locked(PathBuf),
    /// A subscriber fell so far behind that the records it needs were removed by retention.
    #[error("subscriber fell behind: it needs sequence number {wanted} but the shard now starts at {start}")]
    FellBehind {
        /// The position the subscriber was at.
        wanted: String,
        /// The oldest position still stored.
        start: String,
    },
    /// The catalog file is damaged or foreign.
    #[error("corrupt catalog {file}: {reason}")]
    CorruptCatalog {
        /// The file.
        file: PathBuf,
        /// What check failed.
        reason: String,
    },
    /// The storage layer failed (I/O, corruption, a poisoned shard).
    #[error(transparent)]
    Storage(#[from] shardlog_segment::Error),
    /// A consumer no longer holds the lease it acted under (another worker took it, or it was
    /// not renewed within the failover time). Nothing was written.
    #[error("lease {0} is no longer held by this worker")]
    LeaseLost(String),
    /// A remote store or lease service could not be reached or gave an answer this engine
    /// cannot map to another variant.
    #[error("remote service unavailable: {0}")]
    Unavailable(String),
    /// The lease and checkpoint file failed.
    #[error(transparent)]
    Checkpoint(#[from] shardlog_checkpoint::Error),
    /// A server-side fault met while carrying out a valid request, known by its message (for
    /// example the reason a `put_records` entry failed).
    #[error("{0}")]
    Internal(String),
    /// A catalog write failed, so memory and disk may disagree: the store accepts no more changes
    /// (reads of what it holds keep working). Reopening it recovers from what is on disk.
    #[error("the store stopped accepting changes: {0}; reopen it to recover")]
    Stopped(String),
    /// The store was closed.
    #[error("the store is closed")]
    Closed,
    /// A conditional lease update found a different counter: someone else changed the lease since
    /// it was read. Nothing was written.
    #[error(
        "lease conflict: expected counter {expected}, found {found}; re-read the lease and decide again"
    )]
    LeaseConflict {
        /// The counter the caller expected.
        expected: u64,
        /// The counter stored now.
        found: u64,
    },
    /// The lease does not exist.
    #[error("no lease for {key}")]
    LeaseNotFound {
        /// The lease key, as `application/stream/shard`.
        key: String,
    },
    /// `take` refused a lease whose durable record says another worker holds it and whose
    /// persisted expiry (plus the safety margin) has not passed.
    #[error("lease is held by {owner} until {until_ms} ms (wall clock); evict it or wait")]
    LeaseHeld {
        /// The current owner.
        owner: String,
        /// Wall-clock milliseconds from which the lease may be taken.
        until_ms: u64,
    },
    /// A stored lease record does not decode (written by a newer version, or damaged in a way the
    /// page checksums cannot see).
    #[error("lease record {key} is unreadable: {reason}")]
    BadLease {
        /// The lease key, as `application/stream/shard`.
        key: String,
        /// What did not decode.
        reason: String,
    },
}

/// A disk call made by the engine itself (the catalog, stream directories) fails like one made by
/// a shard's log.
impl From<shardlog_storage::Error> for Error {
    fn from(e: shardlog_storage::Error) -> Self {
        Error::Storage(shardlog_segment::Error::from(e))
    }
}

impl Error {
    /// The Kinesis error type name (`__type`) for this error.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::ResourceNotFound(_) => "ResourceNotFoundException",
            Error::ResourceInUse(_) | Error::Locked(_) => "ResourceInUseException",
            Error::InvalidArgument(_) => "InvalidArgumentException",
            Error::Validation(_) => "ValidationException",
            Error::Checkpoint(e) if caller_input(e) => "ValidationException",
            Error::LimitExceeded(_) => "LimitExceededException",
            Error::ProvisionedThroughputExceeded(_) => "ProvisionedThroughputExceededException",
            Error::ExpiredIterator(_) => "ExpiredIteratorException",
            Error::FellBehind { .. } => "ResourceInUseException",
            Error::LeaseLost(_) => "ShutdownException",
            Error::LeaseConflict { .. } => "LeaseConflictException",
            Error::LeaseNotFound { .. } => "LeaseNotFoundException",
            Error::LeaseHeld { .. } => "LeaseHeldException",
            Error::Unavailable(_) => "ServiceUnavailable",
            Error::CorruptCatalog { .. }
            | Error::Storage(_)
            | Error::Checkpoint(_)
            | Error::Internal(_)
            | Error::Stopped(_)
            | Error::BadLease { .. }
            | Error::Closed => "InternalFailure",
        }
    }

    /// True for a fault on the server's side (Kinesis answers those with HTTP 500), false for a
    /// mistake or a condition of the caller's request.
    ///
    /// ```
    /// use shardlog::Error;
    /// assert!(Error::Closed.is_server_fault());
    /// assert!(!Error::InvalidArgument("bad".into()).is_server_fault());
    /// ```
    pub fn is_server_fault(&self) -> bool {
        match self {
            Error::Checkpoint(e) => !caller_input(e),
            Error::CorruptCatalog { .. }
            | Error::Storage(_)
            | Error::Internal(_)
            | Error::Stopped(_)
            | Error::BadLease { .. }
            | Error::Closed => true,
            _ => false,
        }
    }
}

/// Checkpoint-file errors that only the caller's input can cause: a lease key or lease over the
/// table's limits (the engine's own keys and values always fit).
fn caller_input(e: &shardlog_checkpoint::Error) -> bool {
    use shardlog_checkpoint::Error as C;
    matches!(
        e,
        C::InvalidArgument(_) | C::KeyTooLarge { .. } | C::ValueTooLarge { .. }
    )
}

/// `Result` with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
