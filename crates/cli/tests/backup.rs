//! `shardlog backup` and `shardlog restore` end to end: exit codes, refusals, and a backup process
//! killed with SIGKILL midway that nothing accepts afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog::{PutEntry, Store, StoreOptions};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn shardlog(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shardlog"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn build(dir: &Path, shards: u32) {
    let store = Store::open(dir, StoreOptions::default()).unwrap();
    store.create_stream("s", shards).unwrap();
    let data = vec![3u8; 500];
    let keys: Vec<String> = (0..500).map(|i| format!("k{i}")).collect();
    let entries: Vec<PutEntry> = keys.iter().map(|k| PutEntry::new(k, &data)).collect();
    store.put_records("s", &entries).unwrap();
    store.close().unwrap();
}

#[test]
fn backup_restore_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    build(&live, 3);
    let bak = dir.path().join("bak");
    let bak_s = bak.to_str().unwrap();
    let o = shardlog(&live, &["backup", bak_s]);
    assert_eq!(code(&o), 0, "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("3 shards"),
        "{o:?}"
    );
    // The target is now used: refused.
    let o = shardlog(&live, &["backup", bak_s]);
    assert_eq!(code(&o), 2);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not empty"),
        "{o:?}"
    );
    // Restore into the live store: refused, nothing written.
    let o = shardlog(&live, &["restore", bak_s]);
    assert_eq!(code(&o), 2);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not empty"),
        "{o:?}"
    );
    // Restore of something that is not a finished backup: refused.
    std::fs::create_dir_all(dir.path().join("half/streams")).unwrap();
    let o = shardlog(
        &dir.path().join("r0"),
        &["restore", dir.path().join("half").to_str().unwrap()],
    );
    assert_eq!(code(&o), 2);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not a finished backup"),
        "{o:?}"
    );
    // A real restore, then verify and read it.
    let restored = dir.path().join("restored");
    let o = shardlog(&restored, &["restore", bak_s]);
    assert_eq!(code(&o), 0, "{o:?}");
    assert_eq!(code(&shardlog(&restored, &["verify"])), 0);
    let store = Store::open(&restored, StoreOptions::default()).unwrap();
    let mut n = 0;
    for shard in store.describe_stream("s").unwrap().shards {
        let it = store
            .get_shard_iterator("s", shard.shard_id, shardlog::StartingPosition::TrimHorizon)
            .unwrap();
        n += store.get_records(&it, 10_000).unwrap().records.len();
    }
    assert_eq!(n, 500);
    // A store that another process (here: this one) holds open is refused with the alternative.
    let o = shardlog(
        &restored,
        &["backup", dir.path().join("bak2").to_str().unwrap()],
    );
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        err.contains("open by another process") && err.contains("Store::backup"),
        "{err}"
    );
    assert!(!dir.path().join("bak2/catalog").exists());
    drop(store);
}

/// `shardlog backup` SIGKILLed midway leaves a directory without a catalog: `restore` refuses it
/// (exit 2), `verify` reports it damaged (exit 1), and it does not open as a store.
#[test]
fn killed_backup_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    build(&live, 200);
    let mut killed_midway = 0;
    for attempt in 0..20 {
        let bak = dir.path().join(format!("bak{attempt}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_shardlog"))
            .arg("--data-dir")
            .arg(&live)
            .arg("backup")
            .arg(&bak)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill it as soon as it has started writing the backup.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !bak.join("streams").exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if bak.join("catalog").exists() {
            continue; // it finished first: not a test of an interrupted backup
        }
        killed_midway += 1;
        let restored = dir.path().join(format!("r{attempt}"));
        let o = shardlog(&restored, &["restore", bak.to_str().unwrap()]);
        assert_eq!(code(&o), 2, "{o:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("not a finished backup"));
        assert!(!restored.join("catalog").exists());
        if bak.join("streams").read_dir().unwrap().next().is_some() {
            assert_eq!(code(&shardlog(&bak, &["verify"])), 1);
            assert!(Store::open(&bak, StoreOptions::default()).is_err());
        }
        if killed_midway >= 3 {
            break;
        }
    }
    assert!(killed_midway > 0, "no backup was interrupted");
    // The live store is unharmed and backs up fine.
    let o = shardlog(
        &live,
        &["backup", dir.path().join("final").to_str().unwrap()],
    );
    assert_eq!(code(&o), 0, "{o:?}");
    assert_eq!(code(&shardlog(&dir.path().join("final"), &["verify"])), 0);
}
