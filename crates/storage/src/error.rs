//! The crate's one error type.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in a [`Storage`](crate::Storage) call.
///
/// ```
/// use shardlog_storage::Error;
/// let e = Error::io("open", "/data/x", std::io::ErrorKind::NotFound.into());
/// assert!(e.is_not_found());
/// assert_eq!(e.to_string(), "open failed on /data/x: entity not found");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system I/O call failed.
    #[error("{op} failed on {path}: {source}")]
    Io {
        /// The call that failed (`"fdatasync"`, `"open"`, ...).
        op: &'static str,
        /// The file or directory it was applied to.
        path: PathBuf,
        /// The error the operating system returned.
        #[source]
        source: io::Error,
    },
    /// Another process (or another open in this one) holds the lock.
    #[error("{path} is locked by another process (or another open in this one)")]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Builds an [`Error::Io`].
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// The operating system's error, if this is one.
    pub fn os_error(&self) -> Option<&io::Error> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Locked { .. } => None,
        }
    }

    /// True if the file or directory does not exist: for callers to whom that is the usual answer.
    pub fn is_not_found(&self) -> bool {
        self.os_error()
            .is_some_and(|e| e.kind() == io::ErrorKind::NotFound)
    }
}

/// `Ok(None)` for "not found", the value otherwise: the one place that decides an absent file is
/// no error.
///
/// ```
/// use shardlog_storage::{not_found_is_none, Error};
/// let absent: shardlog_storage::Result<u8> =
///     Err(Error::io("open", "x", std::io::ErrorKind::NotFound.into()));
/// assert_eq!(not_found_is_none(absent).unwrap(), None);
/// assert_eq!(not_found_is_none(Ok(1)).unwrap(), Some(1));
/// ```
pub fn not_found_is_none<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}
