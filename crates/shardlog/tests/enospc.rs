//! A full disk: a 16 MiB ext4 file system on a loop device, filled through the store.
//!
//! Needs root (to mount); skipped with a printed reason otherwise, or when `mkfs.ext4` or a loop
//! mount is not available. Asserts: filling the disk gives a clear error naming ENOSPC (no SIGBUS,
//! which would kill this test process: segments are preallocated before they are mapped); deleting
//! a stream frees the space; writes resume; every acknowledged record is still there, also after
//! reopening the store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog::{PutEntry, StartingPosition, Store, StoreOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The loop mount, unmounted when dropped.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Mounts a fresh 16 MiB ext4 file system under `dir`, or says why it cannot.
fn small_fs(dir: &Path) -> Result<Mount, String> {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| e.to_string())?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Err("not running as root".into());
    }
    let image = dir.join("fs.img");
    let mnt = dir.join("mnt");
    std::fs::File::create(&image)
        .and_then(|f| f.set_len(16 << 20))
        .map_err(|e| e.to_string())?;
    std::fs::create_dir(&mnt).map_err(|e| e.to_string())?;
    run(Command::new("mkfs.ext4")
        .args(["-q", "-F", "-m", "0"])
        .arg(&image))?;
    run(Command::new("mount")
        .args(["-o", "loop"])
        .arg(&image)
        .arg(&mnt))?;
    Ok(Mount(mnt))
}

fn opts() -> StoreOptions {
    StoreOptions {
        segment_bytes: 1 << 20,
        retention_interval: None,
        ..StoreOptions::default()
    }
}

fn read_stream(store: &Store, stream: &str) -> Vec<Vec<u8>> {
    let d = store.describe_stream(stream).unwrap();
    let mut out = Vec::new();
    for shard in d.shards {
        let it = store
            .get_shard_iterator(stream, shard.shard_id, StartingPosition::TrimHorizon)
            .unwrap();
        out.extend(
            store
                .get_records(&it, 10_000)
                .unwrap()
                .records
                .into_iter()
                .map(|r| r.data.to_vec()),
        );
    }
    out
}

/// Puts one record; `Ok(false)` if the call or the record failed with an error (returned).
fn put(store: &Store, stream: &str, data: &[u8]) -> Result<(), String> {
    let out = store
        .put_records(stream, &[PutEntry::new("k", data)])
        .map_err(|e| e.to_string())?;
    match &out.records[0] {
        Ok(_) => Ok(()),
        Err(f) => Err(format!("{}: {}", f.error_code, f.error_message)),
    }
}

#[test]
fn a_full_disk_gives_a_clear_error_and_writes_resume_after_space_is_freed() {
    let tmp = tempfile::tempdir().unwrap();
    let mount = match small_fs(tmp.path()) {
        Ok(m) => m,
        Err(why) => {
            println!("skipped: no small loop-mounted file system ({why})");
            return;
        }
    };
    let dir = mount.0.join("store");
    let mut store = Store::open(&dir, opts()).unwrap();
    store.create_stream("big", 1).unwrap();
    store.create_stream("keep", 1).unwrap();
    let blob = vec![0xAB; 200 * 1024];
    let mut kept = Vec::new();
    let mut error = None;
    for i in 0u32..200 {
        if let Err(e) = put(&store, "big", &blob) {
            error = Some(e);
            break;
        }
        let small = format!("kept record {i}").into_bytes();
        if put(&store, "keep", &small).is_ok() {
            kept.push(small);
        }
    }
    let error = error.expect("16 MiB filled up");
    println!("full disk: {error}");
    assert!(
        error.contains("No space left on device") || error.contains("poisoned"),
        "unclear error: {error}"
    );

    store.delete_stream("big").unwrap();
    let mut resumed_without_reopen = true;
    if put(&store, "keep", b"after freeing").is_err() {
        // A shard that hit ENOSPC in an append whose outcome was unknown is poisoned: reopening
        // recovers it.
        resumed_without_reopen = false;
        drop(store);
        store = Store::open(&dir, opts()).unwrap();
        put(&store, "keep", b"after freeing").unwrap();
    }
    kept.push(b"after freeing".to_vec());
    for i in 0..20 {
        let data = vec![i as u8; 100 * 1024];
        put(&store, "keep", &data).unwrap();
        kept.push(data);
    }
    assert_eq!(read_stream(&store, "keep"), kept);
    drop(store);
    let store = Store::open(&dir, opts()).unwrap();
    assert_eq!(read_stream(&store, "keep"), kept, "after reopening");
    println!(
        "writes resumed after deleting the stream that filled the disk ({}); {} acknowledged records kept",
        if resumed_without_reopen {
            "without reopening"
        } else {
            "after reopening the poisoned shard"
        },
        kept.len()
    );
}
