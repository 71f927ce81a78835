//! Channels: delivery of a stream to a directory of objects, read back with independent readers
//! (flate2, zstd, serde_json), exactly once across restarts and power cuts at every disk step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog::{
    Compression, CreateChannel, CreateStream, Error, PutEntry, RecordFormat, Store, StoreOptions,
    StreamMode,
};
use shardlog_segment::Durability;
use shardlog_storage::{read_file, Fault, SimDisk, Storage};
use std::collections::BTreeMap;
use std::io::Read as _;
use std::sync::Arc;
use std::time::Duration;

/// A store whose channels deliver only when asked (or at close).
fn opts() -> StoreOptions {
    StoreOptions {
        retention_interval: None,
        channel_interval: None,
        ..StoreOptions::default()
    }
}

fn on_demand(store: &Store, name: &str, shards: u32) {
    store
        .create_stream_with(
            name,
            CreateStream {
                shard_count: shards,
                mode: StreamMode::OnDemand,
                ..CreateStream::default()
            },
        )
        .unwrap();
}

/// Every object under `dir`, by path, skipping nothing (a leftover temporary would show).
fn objects(dir: &Arc<dyn Storage>, path: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    for name in dir.list().unwrap() {
        let full = format!("{path}{name}");
        match read_file(&**dir, &name) {
            Ok(Some(bytes)) => {
                out.insert(full, bytes);
            }
            _ => objects(&dir.subdir(&name).unwrap(), &format!("{full}/"), out),
        }
    }
}

fn all_objects(root: &Arc<dyn Storage>) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if root.list().unwrap().iter().any(|n| n == "channels") {
        objects(&root.subdir("channels").unwrap(), "", &mut out);
    }
    out
}

fn decompress(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if name.ends_with(".gz") {
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
    } else if name.ends_with(".zst") {
        out = zstd::decode_all(bytes).unwrap();
    } else {
        out = bytes.to_vec();
    }
    out
}

/// The lines of every data object (not dead letters), object by object in name order.
fn delivered_lines(root: &Arc<dyn Storage>) -> Vec<String> {
    let mut lines = Vec::new();
    for (name, bytes) in all_objects(root) {
        assert!(
            !name.ends_with(".tmp"),
            "a temporary object was left: {name}"
        );
        if name.contains("kinesis-channel-errors/") {
            continue;
        }
        let text = String::from_utf8(decompress(&name, &bytes)).unwrap();
        lines.extend(text.lines().map(str::to_string));
    }
    lines
}

fn root_of(dir: &std::path::Path) -> Arc<dyn Storage> {
    Arc::new(shardlog_storage::FsStorage::open(dir).unwrap())
}

#[test]
fn every_format_and_compression_delivers_each_record_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), opts()).unwrap();
    let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let cases = [
        (RecordFormat::Json, Compression::None),
        (RecordFormat::Json, Compression::Gzip),
        (RecordFormat::Json, Compression::Zstd),
        (RecordFormat::String, Compression::Gzip),
        (RecordFormat::String, Compression::Zstd),
        (RecordFormat::ByteArray, Compression::None),
    ];
    for (i, (format, compression)) in cases.into_iter().enumerate() {
        let stream = format!("s{i}");
        on_demand(&store, &stream, 2);
        let mut req = CreateChannel::new(
            &format!("c{i}"),
            &stream,
            &format!("arn:aws:s3:::bucket-{i}"),
        );
        req.record_format = format;
        req.destination.compression = compression;
        store.create_channel(req).unwrap();
        for n in 0..50 {
            let key = format!("k{}", n % 7);
            let data = match format {
                RecordFormat::Json => format!("{{\"stream\":{i},\"n\":{n},\"key\":\"{key}\"}}"),
                _ => format!("s{i}-{key}-{n:03}\n"),
            };
            // STRING lines end at the record's end: drop the newline the record would repeat.
            let data = if format == RecordFormat::String {
                data.trim_end().to_string()
            } else {
                data
            };
            store
                .put_record(&stream, PutEntry::new(&key, data.as_bytes()))
                .unwrap();
            expected
                .entry(format!("bucket-{i}"))
                .or_default()
                .push(data);
        }
    }
    assert_eq!(
        store.deliver_channels().unwrap(),
        12,
        "one object per shard and channel"
    );
    assert_eq!(
        store.deliver_channels().unwrap(),
        0,
        "nothing is delivered twice"
    );
    let root = root_of(dir.path());
    for (i, (format, _)) in cases.into_iter().enumerate() {
        let bucket = format!("bucket-{i}");
        let mut got: Vec<String> = Vec::new();
        let mut by_key: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for (name, bytes) in all_objects(&root)
            .into_iter()
            .filter(|(n, _)| n.starts_with(&format!("{bucket}/")))
        {
            assert!(name.contains(&format!("/c{i}-")), "{name}");
            let text = String::from_utf8(decompress(&name, &bytes)).unwrap();
            let records: Vec<String> = match format {
                RecordFormat::Json => text
                    .lines()
                    .map(|l| {
                        let v: serde_json::Value = serde_json::from_str(l).unwrap();
                        by_key
                            .entry(v["key"].as_str().unwrap().into())
                            .or_default()
                            .push(v["n"].as_u64().unwrap() as u32);
                        l.to_string()
                    })
                    .collect(),
                RecordFormat::ByteArray => text.split_inclusive('\n').map(str::to_string).collect(),
                _ => text.lines().map(str::to_string).collect(),
            };
            got.extend(records);
        }
        let mut want = expected[&bucket].clone();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{bucket}: each record exactly once");
        for (key, ns) in by_key {
            assert!(
                ns.windows(2).all(|w| w[0] < w[1]),
                "{key} out of order: {ns:?}"
            );
        }
    }
}

#[test]
fn records_before_the_channel_are_not_delivered_and_bad_ones_go_to_dead_letters() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), opts()).unwrap();
    on_demand(&store, "s", 1);
    store
        .put_record("s", PutEntry::new("k", b"{\"before\":true}"))
        .unwrap();
    let c = store
        .create_channel(CreateChannel::new("c", "s", "arn:aws:s3:::lake"))
        .unwrap();
    store
        .put_record("s", PutEntry::new("k", b"{\"after\":1}"))
        .unwrap();
    store
        .put_record("s", PutEntry::new("k", b"not json"))
        .unwrap();
    store
        .put_record("s", PutEntry::new("k", b"{\"after\":2}"))
        .unwrap();
    assert_eq!(
        store.deliver_channels().unwrap(),
        2,
        "the data object and the dead letters"
    );
    let root = root_of(dir.path());
    assert_eq!(delivered_lines(&root), ["{\"after\":1}", "{\"after\":2}"]);
    let objects = all_objects(&root);
    let (name, dead) = objects
        .iter()
        .find(|(n, _)| n.starts_with("lake/kinesis-channel-errors/c/"))
        .expect("a dead-letter object");
    assert!(name.contains(&c.channel_id), "{name}");
    let v: serde_json::Value = serde_json::from_slice(dead).unwrap();
    assert_eq!(v["errorCode"], "InvalidJson");
    assert_eq!(v["rawData"], "bm90IGpzb24=");
    assert!(v["errorMessage"].as_str().unwrap().contains("not JSON"));
    assert!(matches!(
        store.delete_stream("s"),
        Err(Error::ResourceInUse(_))
    ));
}

#[test]
fn close_delivers_what_is_buffered_and_a_reopened_store_resumes_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let mut want = Vec::new();
    for round in 0..3 {
        let store = Store::open(dir.path(), opts()).unwrap();
        if round == 0 {
            on_demand(&store, "s", 3);
            let mut req = CreateChannel::new("c", "s", "arn:aws:s3:::lake");
            req.destination.compression = Compression::Zstd;
            store.create_channel(req).unwrap();
        }
        for n in 0..20 {
            let d = format!("{{\"round\":{round},\"n\":{n}}}");
            store
                .put_record("s", PutEntry::new(&format!("k{n}"), d.as_bytes()))
                .unwrap();
            want.push(d);
        }
        if round == 1 {
            store.deliver_channels().unwrap();
        }
        store.close().unwrap();
    }
    let mut got = delivered_lines(&root_of(dir.path()));
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn a_forced_delivery_takes_a_backlog_larger_than_one_object_whole() {
    let dir = tempfile::tempdir().unwrap();
    let opts = StoreOptions {
        durability: Durability::None,
        ..opts()
    };
    let store = Store::open(dir.path(), opts).unwrap();
    on_demand(&store, "s", 1);
    let mut req = CreateChannel::new("c", "s", "arn:aws:s3:::lake");
    req.record_format = RecordFormat::ByteArray;
    store.create_channel(req).unwrap();
    // 88 MiB: more than one object (64 MiB) and the 10 MiB reads that fill a buffer past it.
    let data = vec![b'x'; 512 << 10];
    for _ in 0..176 {
        store.put_record("s", PutEntry::new("k", &data)).unwrap();
    }
    assert_eq!(store.deliver_channels().unwrap(), 2, "64 MiB, then 24 MiB");
    assert_eq!(store.deliver_channels().unwrap(), 0);
    let sizes: Vec<usize> = all_objects(&root_of(dir.path()))
        .values()
        .map(Vec::len)
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 176 * data.len());
    assert!(sizes.contains(&shardlog::MAX_OBJECT_BYTES), "{sizes:?}");
}

#[test]
fn the_background_thread_delivers_after_the_freshness_interval() {
    let dir = tempfile::tempdir().unwrap();
    let o = StoreOptions {
        channel_interval: Some(Duration::from_millis(10)),
        channel_freshness: Some(Duration::from_millis(300)),
        ..opts()
    };
    let store = Store::open(dir.path(), o).unwrap();
    on_demand(&store, "s", 1);
    store
        .create_channel(CreateChannel::new("c", "s", "arn:aws:s3:::lake"))
        .unwrap();
    store
        .put_record("s", PutEntry::new("k", b"{\"n\":1}"))
        .unwrap();
    let root = root_of(dir.path());
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        delivered_lines(&root).is_empty(),
        "delivered before the freshness interval"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while delivered_lines(&root).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(delivered_lines(&root), ["{\"n\":1}"]);
    store.close().unwrap();
}

#[test]
fn children_deliver_after_their_parent_across_a_split() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), opts()).unwrap();
    on_demand(&store, "s", 1);
    store
        .create_channel(CreateChannel::new("c", "s", "arn:aws:s3:::lake"))
        .unwrap();
    let mut want = Vec::new();
    let mut put = |store: &Store, n: u32| {
        let d = format!("{{\"n\":{n}}}");
        store
            .put_record("s", PutEntry::new("same-key", d.as_bytes()))
            .unwrap();
        want.push(d);
    };
    for n in 0..5 {
        put(&store, n);
    }
    let parent = store.describe_stream("s").unwrap().shards[0].shard_id;
    // On-demand streams reshard on their own; a provisioned one splits when told.
    store
        .set_stream_mode("s", StreamMode::Provisioned, None)
        .unwrap();
    store.split_shard("s", parent, 1u128 << 127).unwrap();
    for n in 5..10 {
        put(&store, n);
    }
    store.deliver_channels().unwrap();
    // One key: its records are in order across the parent's object and the child's.
    let objects = all_objects(&root_of(dir.path()));
    let mut by_shard: Vec<(String, Vec<String>)> = objects
        .iter()
        .map(|(n, b)| {
            (
                n.clone(),
                String::from_utf8(b.clone())
                    .unwrap()
                    .lines()
                    .map(str::to_string)
                    .collect(),
            )
        })
        .collect();
    // The parent (shard 0) first.
    by_shard.sort_by_key(|(n, _)| !n.contains("shardId-000000000000"));
    let got: Vec<String> = by_shard.into_iter().flat_map(|(_, l)| l).collect();
    assert_eq!(got, want);
}

/// Records put, then a delivery with the power cut at disk operation `cut`; after the crash the
/// store reopens, delivers the rest and closes. The objects on the recovered disk hold every
/// record exactly once.
fn cut_trial(cut: u64, seed: u64) -> bool {
    let mut disk = SimDisk::new(seed);
    let o = || StoreOptions {
        durability: Durability::Sync,
        segment_bytes: 16 * 1024,
        ..opts()
    };
    let mut want = Vec::new();
    {
        let store = Store::open_with_storage(Arc::new(disk.clone()), o()).unwrap();
        on_demand(&store, "s", 2);
        let mut req = CreateChannel::new("c", "s", "arn:aws:s3:::lake");
        req.destination.compression = Compression::Gzip;
        store.create_channel(req).unwrap();
        for n in 0..30 {
            let d = format!("{{\"n\":{n}}}");
            store
                .put_record("s", PutEntry::new(&format!("k{n}"), d.as_bytes()))
                .unwrap();
            want.push(d);
        }
        // A first batch delivered whole: the cut falls in the second.
        store.deliver_channels().unwrap();
        for n in 30..45 {
            let d = format!("{{\"n\":{n}}}");
            store
                .put_record("s", PutEntry::new(&format!("k{n}"), d.as_bytes()))
                .unwrap();
            want.push(d);
        }
        disk.set_fault(Fault::PowerCut {
            at_op: disk.ops() + cut,
        });
        let _ = store.deliver_channels();
        if !disk.is_power_off() {
            let _ = store.close();
        }
    }
    let cut_hit = disk.is_power_off();
    disk.cut_power();
    disk = disk.crash(seed ^ cut);
    let store = Store::open_with_storage(Arc::new(disk.clone()), o()).unwrap();
    store
        .put_record("s", PutEntry::new("late", b"{\"n\":99}"))
        .unwrap();
    want.push("{\"n\":99}".into());
    store.deliver_channels().unwrap();
    // The totals move in the cursor's commit: each record counted once, whatever was cut.
    let arn = store.list_channels(None).unwrap()[0].channel_arn.clone();
    let p = store.channel_progress(&arn).unwrap();
    assert_eq!(
        (p.records_delivered, p.behind),
        (want.len() as u64, 0),
        "cut at op {cut}: totals"
    );
    store.close().unwrap();
    let root: Arc<dyn Storage> = Arc::new(disk.clone());
    let mut got = delivered_lines(&root);
    got.sort();
    want.sort();
    assert_eq!(
        got, want,
        "cut at op {cut} (seed {seed}): every record exactly once"
    );
    cut_hit
}

#[test]
fn power_cuts_at_every_step_of_a_delivery_lose_and_repeat_nothing() {
    for cut in 0..400 {
        if !cut_trial(cut, 0xC0FFEE + cut) {
            // The delivery and the close finished before the cut: every earlier step was cut.
            assert!(cut > 20, "the cuts landed in the delivery: {cut}");
            eprintln!("{cut} power cuts during channel delivery, each recovered exactly once");
            return;
        }
    }
    panic!("a delivery took more than 400 disk operations");
}

/// Objects in memory, by (bucket, key); `down` makes every put fail as an unreachable service.
#[derive(Debug, Default)]
struct MemorySink {
    objects: std::sync::Mutex<BTreeMap<(String, String), Vec<u8>>>,
    down: std::sync::atomic::AtomicBool,
}

impl shardlog::ObjectSink for MemorySink {
    fn name(&self) -> String {
        "memory".into()
    }

    fn put_object(&self, bucket: &str, key: &str, body: &[u8]) -> shardlog::Result<()> {
        if self.down.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::Unavailable("memory sink is down".into()));
        }
        let mut objects = self.objects.lock().unwrap();
        objects.insert((bucket.into(), key.into()), body.to_vec());
        Ok(())
    }
}

impl MemorySink {
    /// The records of every object, one per line.
    fn lines(&self) -> Vec<String> {
        let objects = self.objects.lock().unwrap();
        let mut lines = Vec::new();
        for ((_, key), body) in objects.iter() {
            let text = String::from_utf8(decompress(key, body)).unwrap();
            lines.extend(text.lines().map(str::to_string));
        }
        lines
    }
}

/// A channel made through a sink delivers only through a sink of that name: opened without it,
/// the store holds the records back (the channel is FAILED with the reason, no directory object
/// appears), and opened with it again the records arrive, each once. A sink that fails is
/// retried at the next pass, with nothing skipped.
#[test]
fn a_channel_delivers_only_through_the_sink_it_was_made_with() {
    use shardlog::ChannelStatus;
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(MemorySink::default());
    let with_sink = || StoreOptions {
        channel_sink: Some(sink.clone()),
        ..opts()
    };
    let store = Store::open(dir.path(), with_sink()).unwrap();
    on_demand(&store, "s", 2);
    let mut req = CreateChannel::new("c", "s", "arn:aws:s3:::lake");
    req.destination.compression = Compression::Gzip;
    let c = store.create_channel(req).unwrap();
    let put = |store: &Store, from: usize, to: usize| {
        for n in from..to {
            let data = format!("{{\"n\":{n}}}");
            store
                .put_record("s", PutEntry::new(&format!("k{n}"), data.as_bytes()))
                .unwrap();
        }
    };
    put(&store, 0, 10);
    assert!(store.deliver_channels().unwrap() >= 1);
    assert_eq!(sink.lines().len(), 10);

    // Down: the pass fails, the channel says why, and nothing is lost or skipped.
    sink.down.store(true, std::sync::atomic::Ordering::Relaxed);
    put(&store, 10, 20);
    assert!(matches!(
        store.deliver_channels(),
        Err(Error::Unavailable(_))
    ));
    let d = store.describe_channel(&c.channel_arn).unwrap();
    assert_eq!(d.status, ChannelStatus::Failed);
    assert!(d.status_reason.unwrap().contains("down"));
    sink.down.store(false, std::sync::atomic::Ordering::Relaxed);
    store.close().unwrap();
    assert_eq!(sink.lines().len(), 20, "close delivered what was held");

    // Opened without the sink: held back, not written to the data directory.
    let store = Store::open(dir.path(), opts()).unwrap();
    put(&store, 20, 30);
    assert_eq!(store.deliver_channels().unwrap(), 0);
    let d = store.describe_channel(&c.channel_arn).unwrap();
    assert_eq!(d.status, ChannelStatus::Failed);
    let reason = d.status_reason.unwrap();
    assert!(reason.contains("delivers to memory"), "{reason}");
    store.close().unwrap();
    assert!(all_objects(&root_of(dir.path())).is_empty());
    assert_eq!(sink.lines().len(), 20);

    // With the sink again: the held records arrive, each once.
    let store = Store::open(dir.path(), with_sink()).unwrap();
    store.deliver_channels().unwrap();
    assert_eq!(
        store.describe_channel(&c.channel_arn).unwrap().status,
        ChannelStatus::Active
    );
    store.close().unwrap();
    let mut got: Vec<u64> = sink
        .lines()
        .iter()
        .map(|l| {
            l.trim_start_matches("{\"n\":")
                .trim_end_matches('}')
                .parse()
                .unwrap()
        })
        .collect();
    got.sort_unstable();
    assert_eq!(got, (0..30).collect::<Vec<u64>>());
}

/// With a state delay a channel is CREATING (delivers nothing, and records put meanwhile are
/// never delivered), UPDATING after an update (a second update is ResourceInUse) and DELETING
/// after its deletion, each for the delay; then ACTIVE, or gone.
#[test]
fn channels_pass_through_creating_updating_and_deleting_with_a_state_delay() {
    use shardlog::{ChannelStatus, Clock, UpdateChannel};
    const T0: u64 = 1_700_000_000_000;
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(T0);
    let store = Store::open(
        dir.path(),
        StoreOptions {
            state_delay: Duration::from_secs(1),
            clock: clock.clone(),
            ..opts()
        },
    )
    .unwrap();
    on_demand(&store, "s", 1);
    clock.set(T0 + 1_000); // the stream is ACTIVE
    let c = store
        .create_channel(CreateChannel::new("c", "s", "arn:aws:s3:::lake"))
        .unwrap();
    assert_eq!(c.status, ChannelStatus::Creating);
    let status = |arn: &str| store.describe_channel(arn).map(|d| d.status);
    let put = |n: u32| {
        store
            .put_record("s", PutEntry::new("k", format!("{{\"n\":{n}}}").as_bytes()))
            .unwrap()
    };
    put(0); // while CREATING: never delivered
    assert_eq!(store.deliver_channels().unwrap(), 0);
    let change = UpdateChannel {
        data_freshness_seconds: Some(600),
        ..UpdateChannel::default()
    };
    assert!(matches!(
        store.update_channel(&c.channel_arn, change.clone()),
        Err(Error::ResourceInUse(_))
    ));

    clock.set(T0 + 2_000);
    assert_eq!(status(&c.channel_arn).unwrap(), ChannelStatus::Active);
    put(1);
    assert_eq!(store.deliver_channels().unwrap(), 1);
    let root = root_of(dir.path());
    assert_eq!(delivered_lines(&root), ["{\"n\":1}"]);

    let u = store
        .update_channel(&c.channel_arn, change.clone())
        .unwrap();
    assert_eq!(u.status, ChannelStatus::Updating);
    assert!(matches!(
        store.update_channel(&c.channel_arn, change.clone()),
        Err(Error::ResourceInUse(_))
    ));
    clock.set(T0 + 3_000);
    assert_eq!(status(&c.channel_arn).unwrap(), ChannelStatus::Active);

    store.delete_channel(&c.channel_arn).unwrap();
    assert_eq!(status(&c.channel_arn).unwrap(), ChannelStatus::Deleting);
    let listed: Vec<_> = store
        .list_channels(Some("s"))
        .unwrap()
        .into_iter()
        .map(|d| d.status)
        .collect();
    assert_eq!(listed, [ChannelStatus::Deleting]);
    clock.set(T0 + 4_000);
    assert!(matches!(
        status(&c.channel_arn),
        Err(Error::ResourceNotFound(_))
    ));
    assert!(store.list_channels(None).unwrap().is_empty());
    store.close().unwrap();
}
