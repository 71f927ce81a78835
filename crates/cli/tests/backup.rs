//! `shardlog backup` and `shardlog restore` end to end: exit codes, refusals, and a backup process
//! killed with SIGKILL midway that nothing accepts afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{put_over_http, start_server};
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

/// Every record of stream `s` in the store at `dir`.
fn count_records(dir: &Path) -> usize {
    let store = Store::open(dir, StoreOptions::default()).unwrap();
    let mut n = 0;
    for shard in store.describe_stream("s").unwrap().shards {
        let mut it = store
            .get_shard_iterator("s", shard.shard_id, shardlog::StartingPosition::TrimHorizon)
            .unwrap();
        loop {
            let got = store.get_records(&it, 10_000).unwrap();
            n += got.records.len();
            match got.next_shard_iterator {
                Some(next) if !got.records.is_empty() => it = next,
                _ => break,
            }
        }
    }
    store.close().unwrap();
    n
}

/// Issue 19.4: `shardlog backup` of a store that a running `shardlog serve` holds goes through the
/// server's control socket while producers write; the restored copy verifies clean and holds every
/// record acknowledged before the backup started. A socket left by a SIGKILLed server is replaced
/// by the next one, and a graceful stop removes it. `verify` of the live store, beside the server
/// and its producer, finds no damage.
#[test]
fn backup_of_a_store_held_by_serve_goes_through_its_control_socket() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    assert_eq!(
        code(&shardlog(&live, &["create-stream", "s", "--shards", "3"])),
        0
    );
    let (server, addr) = start_server(&live);
    let socket = live.join("control.sock");
    assert!(socket.exists(), "serve made no control socket");
    for _ in 0..5 {
        assert!(put_over_http(&addr, "s", 200));
    }
    let acked = AtomicUsize::new(1000);
    let stop = AtomicBool::new(false);
    // A relative destination is the CLI's working directory's, not the server's.
    let o = std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                if put_over_http(&addr, "s", 100) {
                    acked.fetch_add(100, Ordering::Relaxed);
                }
            }
        });
        let o = Command::new(env!("CARGO_BIN_EXE_shardlog"))
            .current_dir(dir.path())
            .args(["--data-dir", "live", "backup", "bak"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        // verify reads the live store beside the server (no lock), while the producer writes.
        let verified = shardlog(&live, &["verify"]);
        stop.store(true, Ordering::Relaxed);
        (o, verified)
    });
    let (o, verified) = o;
    assert_eq!(
        code(&verified),
        0,
        "verify of the served store: {verified:?}"
    );
    assert_eq!(code(&o), 0, "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("3 shards"),
        "{o:?}"
    );
    assert!(dir.path().join("bak/catalog").exists());
    // A second backup into the same place is refused by the server, with its reason.
    let o = shardlog(&live, &["backup", dir.path().join("bak").to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not empty"),
        "{o:?}"
    );

    let mut server = server;
    server.kill().unwrap(); // SIGKILL: the socket file stays behind
    server.wait().unwrap();
    assert!(socket.exists());
    let restored = dir.path().join("restored");
    assert_eq!(
        code(&shardlog(
            &restored,
            &["restore", dir.path().join("bak").to_str().unwrap()]
        )),
        0
    );
    assert_eq!(code(&shardlog(&restored, &["verify"])), 0);
    let n = count_records(&restored);
    let total = acked.load(Ordering::Relaxed);
    assert!(
        (1000..=total + 100).contains(&n),
        "{n} records restored of {total} acknowledged"
    );

    // The next server replaces the leftover socket and serves a backup through it.
    let (mut server, _) = start_server(&live);
    let o = shardlog(
        &live,
        &["backup", dir.path().join("bak2").to_str().unwrap()],
    );
    assert_eq!(code(&o), 0, "{o:?}");
    let term = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    assert!(server.wait().unwrap().success());
    assert!(!socket.exists(), "a graceful stop leaves no socket behind");
    assert_eq!(
        count_records(&dir.path().join("bak2")),
        count_records(&live)
    );
}
