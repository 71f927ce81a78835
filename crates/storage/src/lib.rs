//! The ground floor of shardlog: everything the log and the checkpoint file ask of a disk.
//!
//! Every byte goes through [`Storage`] (a flat directory: create, open, remove, rename, sync the
//! directory, list, subdirectories, locks) and [`StorageFile`] (`pread`, `pwrite`, `fdatasync`,
//! zero-copy views of sealed ranges). [`FsStorage`] implements them over real files; `SimDisk`
//! (feature `sim`) over an in-memory disk that knows which bytes are durable, for power-cut and
//! I/O-error tests; `io_trace` (feature `io-trace`) records the real calls so a test can rebuild
//! what a power cut leaves of them. [`crashpoint`] names the places a kill-and-restart harness may
//! abort the process (feature `crash-points`). [`SplitMix64`] and the poison-free locks
//! ([`MutexExt`], [`RwLockExt`]) are the small shared tools of the floors above.
//!
//! ```
//! use shardlog_storage::{read_file, write_file_atomic, FsStorage, Storage};
//! let dir = tempfile::tempdir()?;
//! let storage = FsStorage::open(dir.path())?;
//! let _lock = storage.lock("LOCK")?;
//! assert!(storage.lock("LOCK").is_err()); // one holder at a time
//! write_file_atomic(&storage, "meta", b"v1")?;
//! assert_eq!(read_file(&storage, "meta")?.as_deref(), Some(&b"v1"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod crashpoint;
mod error;
mod fs;
mod rng;
#[cfg(feature = "sim")]
mod sim;
mod storage;
mod sync;

pub use error::{not_found_is_none, Error, Result};
/// Recording the calls of [`FsStorage`] and rebuilding what a power cut leaves of them (feature
/// `io-trace`, for crash tests on real files).
#[cfg(feature = "io-trace")]
pub use fs::trace as io_trace;
pub use fs::FsStorage;
pub use rng::SplitMix64;
#[cfg(feature = "sim")]
pub use sim::{Fault, SimDisk, Site};
pub use storage::{read_file, remove_if_exists, write_file_atomic, Lock, Storage, StorageFile};
pub use sync::{CondvarExt, MutexExt, RwLockExt};
