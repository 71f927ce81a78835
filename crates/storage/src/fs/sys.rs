//! The system calls of [`FsStorage`](super::FsStorage) that change what a power cut leaves behind,
//! one function per call.
//!
//! This is the only place `fs.rs` creates, opens, allocates, writes, syncs, unlinks, renames, makes
//! or removes anything. Without the `io-trace` feature each function is the plain call (inlined,
//! nothing added). With it, each also reports the call to [`super::trace`] when a recorder watches
//! the path, which is what lets `tests/real_files_crash.rs` rebuild the state a power cut would
//! leave. A sync is reported just before it runs (it covers what was reported before it), every
//! other call just after it succeeded.
//!
//! Keep these functions trivial: the crash tests trust that each one reports exactly the call it
//! makes, so they can only see a missing call in `fs.rs`, not in here.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt as _;
use std::path::Path;

#[cfg(feature = "io-trace")]
use super::trace::{self, Op};

/// `open(O_RDWR | O_CREAT | O_EXCL, 0600)`: a store's files are its owner's alone (the catalog
/// holds the key that makes shard iterators tamper-evident).
#[inline(always)]
pub(super) fn create_new(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    #[cfg(feature = "io-trace")]
    trace::record_file(path, &file, |ino| Op::Create { ino });
    Ok(file)
}

/// `open(O_RDWR)` of an existing file.
#[inline(always)]
pub(super) fn open_rw(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new().read(true).write(true).open(path)?;
    #[cfg(feature = "io-trace")]
    trace::record_file(path, &file, |ino| Op::Open { ino });
    Ok(file)
}

/// `fallocate(fd, 0, 0, len)`: allocates `len` bytes (and extends the file to them).
///
/// The `fallocate` system call reports its own error (a full disk is ENOSPC); `posix_fallocate`,
/// which `fs2` wraps, returns the error number instead of setting `errno`, so its wrapper reports
/// whatever `errno` held before. The glibc emulation (writing zeros) remains the fallback for file
/// systems without `fallocate`.
#[inline(always)]
pub(super) fn fallocate(file: &File, path: &Path, len: u64) -> io::Result<()> {
    use fs2::FileExt as _;
    match rustix::fs::fallocate(file, rustix::fs::FallocateFlags::empty(), 0, len) {
        Ok(()) => {}
        Err(e) if e == rustix::io::Errno::OPNOTSUPP => file.allocate(len)?,
        Err(e) => return Err(e.into()),
    }
    #[cfg(feature = "io-trace")]
    trace::record_file(path, file, |ino| Op::SetLen { ino, len });
    let _ = path;
    Ok(())
}

/// `ftruncate(fd, len)`: extends the file to `len` bytes without allocating them (a hole).
#[inline(always)]
pub(super) fn set_len(file: &File, path: &Path, len: u64) -> io::Result<()> {
    file.set_len(len)?;
    #[cfg(feature = "io-trace")]
    trace::record_file(path, file, |ino| Op::SetLen { ino, len });
    let _ = path;
    Ok(())
}

/// `pwrite` of all of `data` at `offset`.
#[inline(always)]
pub(super) fn pwrite(file: &File, path: &Path, data: &[u8], offset: u64) -> io::Result<()> {
    file.write_all_at(data, offset)?;
    #[cfg(feature = "io-trace")]
    trace::record_file(path, file, |ino| Op::Write {
        ino,
        offset,
        data: data.to_vec(),
    });
    let _ = path;
    Ok(())
}

/// `fdatasync`.
#[inline(always)]
pub(super) fn fdatasync(file: &File, path: &Path) -> io::Result<()> {
    #[cfg(feature = "io-trace")]
    trace::record_file(path, file, |ino| Op::Sync { ino });
    let _ = path;
    file.sync_data()
}

/// `fsync` of a directory.
#[inline(always)]
pub(super) fn fsync_dir(dir: &File, path: &Path) -> io::Result<()> {
    #[cfg(feature = "io-trace")]
    trace::record(path, || Op::SyncDir);
    let _ = path;
    dir.sync_all()
}

/// `unlink`.
#[inline(always)]
pub(super) fn unlink(path: &Path) -> io::Result<()> {
    fs::remove_file(path)?;
    #[cfg(feature = "io-trace")]
    trace::record(path, || Op::Unlink);
    Ok(())
}

/// `rename(from, to)`.
#[inline(always)]
pub(super) fn rename(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)?;
    #[cfg(feature = "io-trace")]
    trace::record(from, || Op::Rename {
        to: to.to_path_buf(),
    });
    Ok(())
}

/// `mkdir`.
#[inline(always)]
pub(super) fn mkdir(path: &Path) -> io::Result<()> {
    fs::create_dir(path)?;
    #[cfg(feature = "io-trace")]
    trace::record(path, || Op::Mkdir);
    Ok(())
}

/// `mkdir -p`: one `mkdir` per missing component.
#[inline(always)]
pub(super) fn create_dir_all(path: &Path) -> io::Result<()> {
    #[cfg(feature = "io-trace")]
    let missing: Vec<_> = if trace::active() {
        path.ancestors().take_while(|p| !p.exists()).collect()
    } else {
        Vec::new()
    };
    fs::create_dir_all(path)?;
    #[cfg(feature = "io-trace")]
    for dir in missing.into_iter().rev() {
        trace::record(dir, || Op::Mkdir);
    }
    Ok(())
}

/// `rm -r`: the directory and everything in it.
#[inline(always)]
pub(super) fn remove_dir_all(path: &Path) -> io::Result<()> {
    fs::remove_dir_all(path)?;
    #[cfg(feature = "io-trace")]
    trace::record(path, || Op::RemoveDirAll);
    Ok(())
}
