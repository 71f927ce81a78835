//! The two traits every byte of the store goes through, and the small-file helpers built on them.
//!
//! Two implementations exist: [`FsStorage`](crate::FsStorage) (real files in one directory,
//! preallocated with `fallocate`, written with `pwrite`, read through a shared read-only memory
//! map) and `SimDisk` (feature `sim`: an in-memory disk that remembers which bytes are durable, so
//! tests can cut the power at any operation and inject I/O errors). Keeping the traits this small is
//! what lets every crash test run against the same code paths that production uses.

use crate::crashpoint::{self, CrashPoint};
use crate::error::{not_found_is_none, Result};
use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::Arc;

/// A flat directory of files.
///
/// Every method is one durable-or-not step that a crash test can interrupt; none of them syncs the
/// directory implicitly, callers decide when [`Storage::sync_dir`] runs. The I/O methods are
/// `#[track_caller]`, so `SimDisk` can tell which line of the engine issued each operation (its
/// I/O-error tests count the call sites they reached, see `Site`).
///
/// ```
/// use shardlog_storage::{SimDisk, Storage};
/// let disk = SimDisk::new(1);
/// let file = disk.create("a.seg", 4096).unwrap();
/// file.write_at(0, b"hello").unwrap();
/// file.sync().unwrap();
/// disk.sync_dir().unwrap();
/// assert_eq!(disk.list().unwrap(), vec!["a.seg".to_string()]);
/// ```
pub trait Storage: Send + Sync + Debug {
    /// Creates a new file of `len` zero bytes, with its space allocated on disk (no sparse holes), and
    /// fails if the name exists. Neither the file nor its directory entry is durable until
    /// [`StorageFile::sync`] and [`Storage::sync_dir`].
    #[track_caller]
    fn create(&self, name: &str, len: u64) -> Result<Arc<dyn StorageFile>>;
    /// Creates a new file of `len` zero bytes whose space is allocated only where it is written
    /// (holes elsewhere), for copies that fill a small part of a large file, such as a backup of
    /// a nearly empty segment. Otherwise as [`Storage::create`], which it is unless a storage
    /// can do better.
    #[track_caller]
    fn create_sparse(&self, name: &str, len: u64) -> Result<Arc<dyn StorageFile>> {
        self.create(name, len)
    }
    /// Opens an existing file for reading and writing.
    #[track_caller]
    fn open(&self, name: &str) -> Result<Arc<dyn StorageFile>>;
    /// Removes a file; durable after [`Storage::sync_dir`]. Open handles stay readable.
    #[track_caller]
    fn remove(&self, name: &str) -> Result<()>;
    /// Atomically replaces `to` with `from`; durable after [`Storage::sync_dir`].
    #[track_caller]
    fn rename(&self, from: &str, to: &str) -> Result<()>;
    /// Makes creations, removals and renames durable.
    #[track_caller]
    fn sync_dir(&self) -> Result<()>;
    /// Names of all files, sorted.
    #[track_caller]
    fn list(&self) -> Result<Vec<String>>;
    /// The path used to name `name` in errors.
    fn path(&self, name: &str) -> PathBuf;
    /// The subdirectory `name` as a storage of its own, created (and its creation made durable) if
    /// it does not exist.
    #[track_caller]
    fn subdir(&self, name: &str) -> Result<Arc<dyn Storage>>;
    /// Removes the subdirectory `name` with everything in it; durable after [`Storage::sync_dir`].
    #[track_caller]
    fn remove_dir(&self, name: &str) -> Result<()>;
    /// Takes the exclusive lock named `name` in this directory for as long as the returned [`Lock`]
    /// lives, or fails with [`Error::Locked`](crate::Error::Locked) if another holder has it. The
    /// lock is advisory and not durable: a crash releases it.
    #[track_caller]
    fn lock(&self, name: &str) -> Result<Lock>;
}

/// A lock taken with [`Storage::lock`]; released when dropped.
pub struct Lock {
    _held: Box<dyn Send + Sync>,
}

impl Lock {
    /// A lock that is held as long as `held` lives (for [`Storage`] implementations).
    pub fn new(held: impl Send + Sync + 'static) -> Self {
        Lock {
            _held: Box::new(held),
        }
    }
}

impl Debug for Lock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lock")
    }
}

/// One open file of a [`Storage`].
///
/// Readers and the writer share a file: the writer appends with [`StorageFile::write_at`] beyond the
/// published end, readers look below it. [`StorageFile::seal_below`] records that boundary so that
/// [`StorageFile::view`] can hand out borrowed slices of the mapping without racing the writer.
pub trait StorageFile: Send + Sync + Debug {
    /// Current length in bytes.
    fn len(&self) -> u64;
    /// True for a zero-length file.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Reads exactly `buf.len()` bytes at `offset` with `pread`; an error if the range passes the end.
    #[track_caller]
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()>;
    /// Writes `data` at `offset` (inside the allocated length); durable after [`StorageFile::sync`].
    /// Fails if the range overlaps the sealed range.
    #[track_caller]
    fn write_at(&self, offset: u64, data: &[u8]) -> Result<()>;
    /// `fdatasync`: makes every earlier write to this file durable.
    #[track_caller]
    fn sync(&self) -> Result<()>;
    /// Declares `[start, end)` immutable from now on (`start` is fixed by the first call, `end` only grows).
    fn seal_below(&self, start: u64, end: u64);
    /// A zero-copy view of `[offset, offset + len)`, if the file is memory-mapped and the range lies
    /// inside the sealed range; `None` otherwise (then use [`StorageFile::read_at`]).
    fn view(&self, offset: u64, len: usize) -> Option<&[u8]>;
    /// Hints that `[offset, offset + len)` of the sealed range will be read through
    /// [`StorageFile::view`] soon: a memory-mapped file has the kernel start reading exactly that
    /// range; others ignore the hint.
    fn read_ahead(&self, _offset: u64, _len: usize) {}
    /// Hints that `[offset, offset + len)` of the sealed range is read through
    /// [`StorageFile::view`] next: a memory-mapped file maps it now, in one call instead of a page
    /// fault per few pages; others ignore the hint.
    fn populate(&self, _offset: u64, _len: usize) {}
    /// The path used in errors.
    fn path(&self) -> PathBuf;
    /// An offset at or after `from` from which on the file is known to read as zeros (never-written
    /// preallocated space), or the file length if that is not known. Lets recovery skip the unused
    /// rest of a segment instead of reading it.
    fn zero_from(&self, from: u64) -> Result<u64> {
        Ok(self.len().max(from))
    }
}

/// Writes a small file atomically: temp file, write, fsync, rename, fsync of the directory.
///
/// ```
/// use shardlog_storage::{read_file, write_file_atomic, SimDisk};
/// let disk = SimDisk::new(1);
/// write_file_atomic(&disk, "meta", b"v1").unwrap();
/// assert_eq!(read_file(&disk, "meta").unwrap().unwrap(), b"v1");
/// ```
pub fn write_file_atomic(storage: &dyn Storage, name: &str, bytes: &[u8]) -> Result<()> {
    let tmp = format!("{name}.tmp");
    // A temp file left by a crash is replaced.
    remove_if_exists(storage, &tmp)?;
    let file = storage.create(&tmp, bytes.len() as u64)?;
    file.write_at(0, bytes)?;
    file.sync()?;
    drop(file);
    crashpoint::hit(CrashPoint::AtomicWriteBeforeRename);
    storage.rename(&tmp, name)?;
    crashpoint::hit(CrashPoint::AtomicWriteBeforeDirFsync);
    storage.sync_dir()
}

/// Removes `name` if it exists; true if it did. Durable after [`Storage::sync_dir`].
///
/// ```
/// use shardlog_storage::{remove_if_exists, SimDisk, Storage};
/// let disk = SimDisk::new(1);
/// disk.create("x", 0).unwrap();
/// assert!(remove_if_exists(&disk, "x").unwrap());
/// assert!(!remove_if_exists(&disk, "x").unwrap());
/// ```
#[track_caller]
pub fn remove_if_exists(storage: &dyn Storage, name: &str) -> Result<bool> {
    Ok(not_found_is_none(storage.remove(name))?.is_some())
}

/// Reads a whole small file (up to 256 MiB), or `None` if it does not exist.
pub fn read_file(storage: &dyn Storage, name: &str) -> Result<Option<Vec<u8>>> {
    let Some(file) = not_found_is_none(storage.open(name))? else {
        return Ok(None);
    };
    let len = usize::try_from(file.len())
        .unwrap_or(usize::MAX)
        .min(1 << 28);
    let mut buf = vec![0u8; len];
    file.read_at(0, &mut buf)?;
    Ok(Some(buf))
}
