//! Queues on a stream (issue 20): the control plane with its validation, receive and acknowledge,
//! visibility, dead letters, receipt handles, concurrency, restarts, retention and resharding.
//! Time is a manual clock, so visibility timeouts pass without sleeping.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog::{
    CreateQueue, CreateStream, DeadLetterConfiguration, Error, PutEntry, QueueAttributes,
    QueueStartingPosition, ShardId, Store, StoreOptions, StreamMode,
};
use shardlog_segment::{Clock, Durability};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const T0: u64 = 1_700_000_000_000;
const HOUR: u64 = 3_600_000;

fn opts(clock: &Clock) -> StoreOptions {
    StoreOptions {
        segment_bytes: 16 * 1024,
        durability: Durability::None,
        clock: clock.clone(),
        retention_interval: None,
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

fn queue(store: &Store, name: &str, stream: &str, dlq: DeadLetterConfiguration) -> String {
    let attrs = QueueAttributes {
        dead_letter_configuration: Some(dlq),
        ..QueueAttributes::default()
    };
    store
        .create_queue(
            CreateQueue::new(name, stream)
                .starting_at(QueueStartingPosition::TrimHorizon)
                .with_attributes(attrs),
        )
        .unwrap()
        .queue_arn
}

/// Puts `n` records under distinct keys; their data are `r<i>`.
fn put(store: &Store, stream: &str, from: usize, n: usize) {
    for i in from..from + n {
        store
            .put_record(
                stream,
                PutEntry::new(&format!("k{i}"), format!("r{i}").as_bytes()),
            )
            .unwrap();
    }
}

fn data(r: &shardlog::QueueRecord) -> String {
    String::from_utf8(r.record.data.to_vec()).unwrap()
}

fn setup() -> (tempfile::TempDir, Clock, Store) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(T0);
    let store = Store::open(dir.path(), opts(&clock)).unwrap();
    (dir, clock, store)
}

#[test]
fn control_plane_validates_and_a_queue_counts_as_a_consumer() {
    let (_dir, _clock, store) = setup();
    on_demand(&store, "s", 2);
    store.create_stream("prov", 1).unwrap();

    let refused = store.create_queue(CreateQueue::new("q", "prov"));
    assert!(
        matches!(&refused, Err(Error::InvalidArgument(m)) if m.contains("on-demand")),
        "{refused:?}"
    );
    for bad in ["", "a b", "ü", &"x".repeat(129)] {
        let r = store.create_queue(CreateQueue::new(bad, "s"));
        assert!(matches!(r, Err(Error::Validation(_))), "{bad:?}: {r:?}");
    }
    let attrs = |v: Option<u32>, d: Option<DeadLetterConfiguration>| QueueAttributes {
        visibility_timeout_seconds: v,
        dead_letter_configuration: d,
    };
    let bad_attrs = [
        (attrs(Some(43_201), None), "validation"),
        (
            attrs(None, Some(DeadLetterConfiguration::built_in(0))),
            "validation",
        ),
        (
            attrs(None, Some(DeadLetterConfiguration::built_in(1001))),
            "validation",
        ),
        (
            attrs(
                None,
                Some(DeadLetterConfiguration {
                    target_type: shardlog::DeadLetterTarget::BuiltIn,
                    max_receive_count: None,
                }),
            ),
            "argument",
        ),
        (
            attrs(
                None,
                Some(DeadLetterConfiguration {
                    target_type: shardlog::DeadLetterTarget::None,
                    max_receive_count: Some(3),
                }),
            ),
            "argument",
        ),
    ];
    for (a, kind) in bad_attrs {
        let r = store.create_queue(CreateQueue::new("q", "s").with_attributes(a));
        let ok = match kind {
            "validation" => matches!(r, Err(Error::Validation(_))),
            _ => matches!(r, Err(Error::InvalidArgument(_))),
        };
        assert!(ok, "{a:?}: {r:?}");
    }
    assert!(matches!(
        store.create_queue(CreateQueue::new("q", "nope")),
        Err(Error::ResourceNotFound(_))
    ));

    // Defaults: LATEST, 30 s, BUILT_IN with 6; the stream may be named by its ARN.
    let q = store
        .create_queue(CreateQueue::new("q", &store.stream_arn("s")))
        .unwrap();
    assert_eq!(q.starting_position, QueueStartingPosition::Latest);
    assert_eq!(q.visibility_timeout_seconds, 30);
    assert_eq!(
        q.dead_letter_configuration,
        DeadLetterConfiguration::built_in(6)
    );
    assert_eq!(q.queue_status.as_str(), "ACTIVE");
    assert!(
        !q.queue_arn.contains("/q"),
        "the id is not derived from the name"
    );
    assert_eq!(store.describe_queue(&q.queue_arn).unwrap(), q);
    let id = q.queue_arn.rsplit('/').next().unwrap();
    assert_eq!(store.describe_queue(id).unwrap(), q);
    assert!(matches!(
        store.create_queue(CreateQueue::new("q", "s")),
        Err(Error::ResourceInUse(_))
    ));

    let u = store
        .update_queue(&q.queue_arn, attrs(Some(90), None))
        .unwrap();
    assert_eq!(
        (u.visibility_timeout_seconds, u.dead_letter_configuration),
        (90, DeadLetterConfiguration::built_in(6))
    );
    let u = store
        .update_queue(
            &q.queue_arn,
            attrs(None, Some(DeadLetterConfiguration::none())),
        )
        .unwrap();
    assert_eq!(
        (u.visibility_timeout_seconds, u.dead_letter_configuration),
        (90, DeadLetterConfiguration::none())
    );
    assert!(matches!(
        store.update_queue(&q.queue_arn, attrs(Some(50_000), None)),
        Err(Error::Validation(_))
    ));

    // Queues and registered consumers share the limit of 20.
    for i in 0..9 {
        store.register_consumer("s", &format!("c{i}")).unwrap();
    }
    for i in 0..10 {
        store
            .create_queue(CreateQueue::new(&format!("q{i:02}"), "s"))
            .unwrap();
    }
    assert!(matches!(
        store.create_queue(CreateQueue::new("one-more", "s")),
        Err(Error::LimitExceeded(_))
    ));
    assert!(matches!(
        store.register_consumer("s", "one-more"),
        Err(Error::LimitExceeded(_))
    ));
    let listed: Vec<String> = store
        .list_queues(Some("s"))
        .unwrap()
        .into_iter()
        .map(|q| q.queue_name)
        .collect();
    assert_eq!(listed.len(), 11);
    assert_eq!(listed[0], "q");
    assert!(store.list_queues(Some("prov")).unwrap().is_empty());
    assert_eq!(store.list_queues(None).unwrap().len(), 11);

    store.delete_queue(&q.queue_arn).unwrap();
    assert!(matches!(
        store.describe_queue(&q.queue_arn),
        Err(Error::ResourceNotFound(_))
    ));
    assert!(matches!(
        store.delete_queue(&q.queue_arn),
        Err(Error::ResourceNotFound(_))
    ));
    store.register_consumer("s", "one-more").unwrap();

    // Receive-side validation.
    let arn = store.list_queues(None).unwrap()[0].queue_arn.clone();
    for limit in [0, 11] {
        assert!(matches!(
            store.receive_queue_records(&arn, limit, Duration::ZERO),
            Err(Error::Validation(_))
        ));
    }
    assert!(matches!(
        store.receive_queue_records(&arn, 1, Duration::from_secs(21)),
        Err(Error::Validation(_))
    ));
    assert!(matches!(
        store.try_receive_queue_records(&arn, 1, Some(43_201)),
        Err(Error::Validation(_))
    ));
    let none: [&str; 0] = [];
    assert!(matches!(
        store.acknowledge_queue_records(&arn, &none),
        Err(Error::Validation(_))
    ));
    assert!(matches!(
        store.acknowledge_queue_records(&arn, &["h"; 11]),
        Err(Error::Validation(_))
    ));
}

#[test]
fn receive_spreads_over_shards_and_acknowledged_records_never_return() {
    let (_dir, _clock, store) = setup();
    on_demand(&store, "s", 4);
    let q = queue(&store, "q", "s", DeadLetterConfiguration::built_in(6));
    put(&store, "s", 0, 40);
    let first = store.receive_queue_records(&q, 8, Duration::ZERO).unwrap();
    let shards: BTreeSet<u32> = first
        .iter()
        .map(|r| r.record.sequence_number.shard_index())
        .collect();
    assert_eq!(first.len(), 8);
    assert!(
        shards.len() >= 4,
        "a receive takes from every shard: {shards:?}"
    );
    let mut seen: BTreeSet<String> = first.iter().map(data).collect();
    let mut handles: Vec<String> = first.iter().map(|r| r.receipt_handle.clone()).collect();
    loop {
        let got = store.receive_queue_records(&q, 10, Duration::ZERO).unwrap();
        if got.is_empty() {
            break;
        }
        for r in &got {
            assert_eq!(
                (r.receive_count, r.record_id.clone()),
                (1, r.record.sequence_number.to_string())
            );
            assert!(seen.insert(data(r)), "delivered twice while in flight");
            handles.push(r.receipt_handle.clone());
        }
    }
    assert_eq!(seen.len(), 40);
    for chunk in handles.chunks(10) {
        let out = store.acknowledge_queue_records(&q, chunk).unwrap();
        assert_eq!((out.successful.len(), out.failed.len()), (chunk.len(), 0));
    }
    // Acknowledged: refused again, never delivered again, even after every timeout.
    let again = store.acknowledge_queue_records(&q, &handles[..3]).unwrap();
    assert_eq!(again.failed.len(), 3);
    assert_eq!(again.failed[0].error_code, "InvalidArgumentException");
    store.now_ms();
    assert!(store
        .receive_queue_records(&q, 10, Duration::ZERO)
        .unwrap()
        .is_empty());
    // New records arrive; a waiting receive sees them.
    let s2 = store.clone();
    let t = std::thread::spawn(move || {
        s2.receive_queue_records(&q, 10, Duration::from_secs(5))
            .unwrap()
    });
    std::thread::sleep(Duration::from_millis(50));
    put(&store, "s", 40, 1);
    let got = t.join().unwrap();
    assert_eq!(got.iter().map(data).collect::<Vec<_>>(), ["r40"]);
}

#[test]
fn expired_visibility_redelivers_and_the_old_handle_is_refused() {
    let (_dir, clock, store) = setup();
    on_demand(&store, "s", 1);
    let q = queue(&store, "q", "s", DeadLetterConfiguration::none());
    put(&store, "s", 0, 3);
    let first = store.receive_queue_records(&q, 10, Duration::ZERO).unwrap();
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|r| r.first_receive_timestamp_ms == T0));
    clock.set(T0 + 29_999);
    assert!(store
        .receive_queue_records(&q, 10, Duration::ZERO)
        .unwrap()
        .is_empty());
    // Extend one, release another at once.
    let ext = store
        .update_queue_records_visibility(
            &q,
            &[
                (first[0].receipt_handle.as_str(), 100),
                (first[1].receipt_handle.as_str(), 0),
            ],
        )
        .unwrap();
    assert_eq!(ext.successful.len(), 2);
    let now = store.receive_queue_records(&q, 10, Duration::ZERO).unwrap();
    assert_eq!(now.iter().map(data).collect::<Vec<_>>(), ["r1"]);
    clock.set(T0 + 30_000);
    let later = store.receive_queue_records(&q, 10, Duration::ZERO).unwrap();
    assert_eq!(later.iter().map(data).collect::<Vec<_>>(), ["r2"]);
    assert_eq!(
        (later[0].receive_count, later[0].first_receive_timestamp_ms),
        (2, T0)
    );
    // The first delivery's handle no longer names the current delivery.
    let stale = store
        .acknowledge_queue_records(&q, &[&first[2].receipt_handle])
        .unwrap();
    assert!(
        stale.failed[0].error_message.contains("current delivery"),
        "{stale:?}"
    );
    let ok = store
        .acknowledge_queue_records(&q, &[&later[0].receipt_handle])
        .unwrap();
    assert_eq!(ok.successful.len(), 1);
    clock.set(T0 + 129_999 + 1);
    let extended = store.receive_queue_records(&q, 10, Duration::ZERO).unwrap();
    let got: BTreeSet<String> = extended.iter().map(data).collect();
    assert_eq!(got, BTreeSet::from(["r0".to_string(), "r1".to_string()]));
    // A receive's own visibility timeout.
    let req = shardlog::ReceiveQueueRecords {
        visibility_timeout_seconds: Some(0),
        ..Default::default()
    };
    clock.set(T0 + 10 * 60_000);
    let a = store.receive_queue_records_with(&q, req).unwrap();
    let b = store.receive_queue_records_with(&q, req).unwrap();
    assert_eq!((a.len(), b.len()), (2, 2));
}

#[test]
fn max_receive_count_makes_dead_letters_that_can_be_received_acknowledged_and_restored() {
    let (_dir, clock, store) = setup();
    on_demand(&store, "s", 1);
    let q = queue(&store, "q", "s", DeadLetterConfiguration::built_in(2));
    put(&store, "s", 0, 3);
    let mut t = T0;
    for round in 1..=2 {
        let got = store.receive_queue_records(&q, 10, Duration::ZERO).unwrap();
        assert_eq!(got.len(), 3);
        assert!(got.iter().all(|r| r.receive_count == round));
        t += 30_000;
        clock.set(t);
    }
    assert!(store
        .receive_queue_records(&q, 10, Duration::ZERO)
        .unwrap()
        .is_empty());
    let dead = store
        .receive_dead_letter_queue_records(&q, 10, Duration::ZERO)
        .unwrap();
    assert_eq!(dead.len(), 3);
    assert!(dead.iter().all(|r| r.receive_count == 3));
    assert!(store
        .receive_dead_letter_queue_records(&q, 10, Duration::ZERO)
        .unwrap()
        .is_empty());
    // Main-path calls refuse dead-letter handles and the other way round.
    let wrong = store
        .acknowledge_queue_records(&q, &[&dead[0].receipt_handle])
        .unwrap();
    assert_eq!(wrong.failed.len(), 1);
    let by_data: BTreeMap<String, String> = dead
        .iter()
        .map(|r| (data(r), r.receipt_handle.clone()))
        .collect();
    let out = store
        .acknowledge_dead_letter_queue_records(&q, &[&by_data["r0"]])
        .unwrap();
    assert_eq!(out.successful.len(), 1);
    let out = store
        .update_dead_letter_queue_records_visibility(&q, &[(by_data["r1"].as_str(), 0)])
        .unwrap();
    assert_eq!(out.successful.len(), 1);
    let r1 = store
        .receive_dead_letter_queue_records(&q, 10, Duration::ZERO)
        .unwrap();
    assert_eq!(r1.iter().map(data).collect::<Vec<_>>(), ["r1"]);
    // The handle from before the dead-letter receive is stale now.
    let stale = store
        .restore_dead_letter_queue_records(&q, &[&by_data["r1"]])
        .unwrap();
    assert_eq!(stale.failed.len(), 1);
    let out = store
        .restore_dead_letter_queue_records(&q, &[&r1[0].receipt_handle, &by_data["r2"]])
        .unwrap();
    assert_eq!(out.successful.len(), 2);
    let back = store.receive_queue_records(&q, 10, Duration::ZERO).unwrap();
    let got: BTreeSet<String> = back.iter().map(data).collect();
    assert_eq!(got, BTreeSet::from(["r1".to_string(), "r2".to_string()]));
    assert!(back.iter().all(|r| r.receive_count == 1));
    let handles: Vec<&str> = back.iter().map(|r| r.receipt_handle.as_str()).collect();
    assert_eq!(
        store
            .acknowledge_queue_records(&q, &handles)
            .unwrap()
            .successful
            .len(),
        2
    );
    clock.set(t + HOUR);
    assert!(store
        .receive_queue_records(&q, 10, Duration::ZERO)
        .unwrap()
        .is_empty());
    assert!(store
        .receive_dead_letter_queue_records(&q, 10, Duration::ZERO)
        .unwrap()
        .is_empty());
}

#[test]
fn tampered_and_foreign_handles_are_refused() {
    let (_dir, _clock, store) = setup();
    on_demand(&store, "s", 1);
    let q1 = queue(&store, "q1", "s", DeadLetterConfiguration::built_in(6));
    let q2 = queue(&store, "q2", "s", DeadLetterConfiguration::built_in(6));
    put(&store, "s", 0, 1);
    let got = store
        .receive_queue_records(&q1, 10, Duration::ZERO)
        .unwrap();
    let h = got[0].receipt_handle.clone();
    let mut tampered = h.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [tampered.as_str(), "", "!!!", &h[..h.len() - 1]] {
        let out = store.acknowledge_queue_records(&q1, &[bad]).unwrap();
        assert_eq!(
            out.failed[0].error_code, "InvalidArgumentException",
            "{bad:?}"
        );
    }
    let foreign = store.acknowledge_queue_records(&q2, &[&h]).unwrap();
    assert!(foreign.failed[0].error_message.contains("does not belong"));
    // A handle of a deleted and re-created queue of the same name is refused too.
    store.delete_queue(&q1).unwrap();
    let q1b = queue(&store, "q1", "s", DeadLetterConfiguration::built_in(6));
    assert_eq!(
        store
            .acknowledge_queue_records(&q1b, &[&h])
            .unwrap()
            .failed
            .len(),
        1
    );
    assert!(matches!(
        store.acknowledge_queue_records(&q1, &[&h]),
        Err(Error::ResourceNotFound(_))
    ));
    // The new queue starts over.
    assert_eq!(
        store
            .receive_queue_records(&q1b, 10, Duration::ZERO)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn consumers_on_threads_share_a_queue_and_commits() {
    let (_dir, _clock, store) = setup();
    on_demand(&store, "s", 4);
    let q = queue(&store, "q", "s", DeadLetterConfiguration::none());
    const N: usize = 400;
    put(&store, "s", 0, N);
    let acked: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let calls = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let before = store.queue_state_commits();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (store, q, acked, calls) = (store.clone(), q.clone(), acked.clone(), calls.clone());
            std::thread::spawn(move || loop {
                let got = store
                    .receive_queue_records(&q, 10, Duration::from_millis(100))
                    .unwrap();
                calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if got.is_empty() {
                    return;
                }
                for r in &got {
                    assert!(
                        !acked.lock().unwrap().contains(&data(r)),
                        "an acknowledged record came back"
                    );
                }
                // One record at a time: many small acknowledgements to share commits.
                for r in &got {
                    let out = store
                        .acknowledge_queue_records(&q, &[&r.receipt_handle])
                        .unwrap();
                    calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    assert_eq!(out.successful.len(), 1);
                    assert!(acked.lock().unwrap().insert(data(r)));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(acked.lock().unwrap().len(), N);
    let commits = store.queue_state_commits() - before;
    let calls = calls.load(std::sync::atomic::Ordering::Relaxed);
    assert!(commits <= calls, "{commits} commits for {calls} calls");
    eprintln!("{commits} commits for {calls} calls");
}

#[test]
fn delivery_state_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(T0);
    let store = Store::open(dir.path(), opts(&clock)).unwrap();
    on_demand(&store, "s", 2);
    let q = queue(&store, "q", "s", DeadLetterConfiguration::built_in(2));
    put(&store, "s", 0, 6);
    let got = store.receive_queue_records(&q, 10, Duration::ZERO).unwrap();
    assert_eq!(got.len(), 6);
    let by_data: BTreeMap<String, String> = got
        .iter()
        .map(|r| (data(r), r.receipt_handle.clone()))
        .collect();
    store
        .acknowledge_queue_records(&q, &[&by_data["r0"], &by_data["r1"]])
        .unwrap();
    store.close().unwrap();
    drop(store);

    let store = Store::open(dir.path(), opts(&clock)).unwrap();
    assert_eq!(
        store.describe_queue(&q).unwrap().dead_letter_configuration,
        DeadLetterConfiguration::built_in(2)
    );
    assert!(
        store
            .receive_queue_records(&q, 10, Duration::ZERO)
            .unwrap()
            .is_empty(),
        "still in flight"
    );
    // Handles survive the restart.
    assert_eq!(
        store
            .acknowledge_queue_records(&q, &[&by_data["r2"]])
            .unwrap()
            .successful
            .len(),
        1
    );
    clock.set(T0 + 30_000);
    let again = store.receive_queue_records(&q, 10, Duration::ZERO).unwrap();
    let got: BTreeSet<String> = again.iter().map(data).collect();
    assert_eq!(got, BTreeSet::from(["r3", "r4", "r5"].map(String::from)));
    assert!(again.iter().all(|r| r.receive_count == 2));
    store.close().unwrap();
    drop(store);

    let store = Store::open(dir.path(), opts(&clock)).unwrap();
    clock.set(T0 + 60_000);
    assert!(store
        .receive_queue_records(&q, 10, Duration::ZERO)
        .unwrap()
        .is_empty());
    let dead = store
        .receive_dead_letter_queue_records(&q, 10, Duration::ZERO)
        .unwrap();
    assert_eq!(dead.len(), 3, "dead-lettering survives restarts");
    put(&store, "s", 6, 2);
    let new: BTreeSet<String> = store
        .receive_queue_records(&q, 10, Duration::ZERO)
        .unwrap()
        .iter()
        .map(data)
        .collect();
    assert_eq!(new, BTreeSet::from(["r6", "r7"].map(String::from)));
}

#[test]
fn records_dropped_by_retention_leave_the_queue() {
    let (_dir, clock, store) = setup();
    on_demand(&store, "s", 1);
    let q = queue(&store, "q", "s", DeadLetterConfiguration::none());
    let big = vec![7u8; 4000];
    for i in 0..20 {
        store
            .put_record("s", PutEntry::new(&format!("k{i}"), &big))
            .unwrap();
    }
    let got = store.receive_queue_records(&q, 5, Duration::ZERO).unwrap();
    assert_eq!(got.len(), 5);
    clock.set(T0 + 25 * HOUR);
    store
        .put_record("s", PutEntry::new("fresh", b"fresh"))
        .unwrap();
    store.enforce_retention().unwrap();
    let it = store
        .get_shard_iterator("s", ShardId(0), shardlog::StartingPosition::TrimHorizon)
        .unwrap();
    let kept: BTreeSet<_> = store
        .get_records(&it, 10_000)
        .unwrap()
        .records
        .iter()
        .map(|r| r.sequence_number)
        .collect();
    assert!(kept.len() < 21, "retention dropped a segment");
    // What the queue delivers now is exactly what the stream kept (the visibility of the five
    // received records expired long ago); the dropped records left it, in flight or not.
    let mut delivered = BTreeSet::new();
    loop {
        let r = store.receive_queue_records(&q, 10, Duration::ZERO).unwrap();
        if r.is_empty() {
            break;
        }
        delivered.extend(r.iter().map(|r| r.record.sequence_number));
    }
    assert_eq!(delivered, kept);
    let dropped = got
        .iter()
        .find(|r| !kept.contains(&r.record.sequence_number))
        .expect("a received record was dropped");
    let out = store
        .acknowledge_queue_records(&q, &[&dropped.receipt_handle])
        .unwrap();
    assert_eq!(out.failed.len(), 1, "the record left the queue");
}

#[test]
fn children_wait_until_their_parents_are_acknowledged() {
    let (_dir, _clock, store) = setup();
    // Split while provisioned (on-demand streams reshard themselves), then switch.
    store.create_stream("s", 1).unwrap();
    put(&store, "s", 0, 3);
    store.split_shard("s", ShardId(0), u128::MAX / 2).unwrap();
    store
        .set_stream_mode("s", StreamMode::OnDemand, None)
        .unwrap();
    let q = queue(&store, "q", "s", DeadLetterConfiguration::none());
    put(&store, "s", 3, 3);
    let parent = store.receive_queue_records(&q, 10, Duration::ZERO).unwrap();
    assert_eq!(
        parent.iter().map(data).collect::<Vec<_>>(),
        ["r0", "r1", "r2"]
    );
    assert!(parent
        .iter()
        .all(|r| r.record.sequence_number.shard_index() == 0));
    assert!(
        store
            .receive_queue_records(&q, 10, Duration::ZERO)
            .unwrap()
            .is_empty(),
        "the parent has records in flight"
    );
    let handles: Vec<&str> = parent.iter().map(|r| r.receipt_handle.as_str()).collect();
    store.acknowledge_queue_records(&q, &handles).unwrap();
    let children = store.receive_queue_records(&q, 10, Duration::ZERO).unwrap();
    let got: BTreeSet<String> = children.iter().map(data).collect();
    assert_eq!(got, BTreeSet::from(["r3", "r4", "r5"].map(String::from)));
    assert!(children
        .iter()
        .all(|r| r.record.sequence_number.shard_index() != 0));
}

/// Keys of queue delivery state (namespace `queue`, every tag but the schema's) in the store's
/// checkpoint file, read while the store is closed.
fn queue_state_keys(dir: &std::path::Path) -> usize {
    let root: Arc<dyn shardlog_storage::Storage> =
        Arc::new(shardlog_storage::FsStorage::open(dir).unwrap());
    let db = shardlog_checkpoint::Db::open_read_only(root, "leases.db").unwrap();
    let snap = db.read().unwrap();
    let keys = snap
        .range(b"queue\0".to_vec()..b"queue\x01".to_vec())
        .map(|e| e.unwrap().0)
        .filter(|k| !k.starts_with(b"queue\0M"))
        .count();
    keys
}

/// Deleting a stream deletes its queues' delivery state, and state that a crash left behind
/// after its queue left the catalog (here: the checkpoint file of before the deletion put back)
/// is swept at the next open's first queue call.
#[test]
fn deleted_queues_and_streams_leave_no_delivery_state() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(T0);
    let store = Store::open(dir.path(), opts(&clock)).unwrap();
    on_demand(&store, "s", 2);
    on_demand(&store, "t", 1);
    let q = queue(&store, "q", "s", DeadLetterConfiguration::built_in(2));
    let keep = queue(&store, "keep", "t", DeadLetterConfiguration::built_in(2));
    put(&store, "s", 0, 6);
    put(&store, "t", 0, 2);
    assert_eq!(
        store
            .receive_queue_records(&q, 10, Duration::ZERO)
            .unwrap()
            .len(),
        6
    );
    assert_eq!(
        store
            .receive_queue_records(&keep, 1, Duration::ZERO)
            .unwrap()
            .len(),
        1
    );
    store.close().unwrap();
    drop(store);
    // 2 cursors and 6 in flight of `q`; 1 cursor and 1 in flight of `keep`.
    assert_eq!(queue_state_keys(dir.path()), 10);
    let before = std::fs::read(dir.path().join("leases.db")).unwrap();

    let store = Store::open(dir.path(), opts(&clock)).unwrap();
    store.delete_stream("s").unwrap();
    store.close().unwrap();
    drop(store);
    assert_eq!(
        queue_state_keys(dir.path()),
        2,
        "the deleted stream's queue state is gone"
    );

    // A crash between the catalog commit and the state commit: the old state is back.
    std::fs::write(dir.path().join("leases.db"), &before).unwrap();
    assert_eq!(queue_state_keys(dir.path()), 10);
    let store = Store::open(dir.path(), opts(&clock)).unwrap();
    assert_eq!(
        store
            .receive_queue_records(&keep, 10, Duration::ZERO)
            .unwrap()
            .len(),
        1
    );
    store.close().unwrap();
    drop(store);
    // `keep` now has both records in flight; nothing of `q` is left.
    assert_eq!(queue_state_keys(dir.path()), 3);
}

/// At `max_in_flight_per_queue` records in flight a receive takes nothing new from the stream, yet
/// still redelivers records whose visibility expired; acknowledgements make room again.
#[test]
fn the_in_flight_limit_holds_back_new_records_only() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(T0);
    let store = Store::open(
        dir.path(),
        StoreOptions {
            max_in_flight_per_queue: 5,
            ..opts(&clock)
        },
    )
    .unwrap();
    on_demand(&store, "s", 2);
    let q = queue(&store, "q", "s", DeadLetterConfiguration::built_in(10));
    put(&store, "s", 0, 8);
    let first = store.receive_queue_records(&q, 10, Duration::ZERO).unwrap();
    assert_eq!(first.len(), 5);
    assert!(store
        .receive_queue_records(&q, 10, Duration::ZERO)
        .unwrap()
        .is_empty());
    let handles: Vec<&str> = first[..2]
        .iter()
        .map(|r| r.receipt_handle.as_str())
        .collect();
    store.acknowledge_queue_records(&q, &handles).unwrap();
    let second = store.receive_queue_records(&q, 10, Duration::ZERO).unwrap();
    assert_eq!(second.len(), 2, "two acknowledgements, two new records");
    // Every in-flight record expires: they come back although the queue is at its limit.
    clock.set(T0 + 31_000);
    let again = store.receive_queue_records(&q, 10, Duration::ZERO).unwrap();
    assert_eq!(again.len(), 5);
    assert!(again.iter().all(|r| r.receive_count == 2));
    let seen: BTreeSet<String> = first.iter().chain(&second).map(data).collect();
    assert!(again.iter().all(|r| seen.contains(&data(r))));
}

/// With a state delay a queue is `CREATING` (and delivers nothing), then `ACTIVE`; `UPDATING`
/// after an update (another update is refused, receives go on); `DELETING` after its deletion or
/// its stream's, as AWS reports them; then gone.
#[test]
fn queues_pass_through_creating_updating_and_deleting_with_a_state_delay() {
    use shardlog::QueueStatus;
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(T0);
    let store = Store::open(
        dir.path(),
        StoreOptions {
            state_delay: Duration::from_secs(1),
            ..opts(&clock)
        },
    )
    .unwrap();
    on_demand(&store, "s", 1);
    clock.set(T0 + 1_000);
    let q = queue(&store, "q", "s", DeadLetterConfiguration::built_in(3));
    let status = |arn: &str| store.describe_queue(arn).map(|d| d.queue_status);
    assert_eq!(status(&q).unwrap(), QueueStatus::Creating);
    assert_eq!(
        store.list_queues(None).unwrap()[0].queue_status,
        QueueStatus::Creating
    );
    put(&store, "s", 0, 3);
    assert!(store
        .receive_queue_records(&q, 10, Duration::ZERO)
        .unwrap()
        .is_empty());
    clock.set(T0 + 2_000);
    assert_eq!(status(&q).unwrap(), QueueStatus::Active);
    assert_eq!(
        store
            .receive_queue_records(&q, 1, Duration::ZERO)
            .unwrap()
            .len(),
        1
    );

    let attrs = QueueAttributes {
        visibility_timeout_seconds: Some(60),
        ..QueueAttributes::default()
    };
    assert_eq!(
        store.update_queue(&q, attrs).unwrap().queue_status,
        QueueStatus::Updating
    );
    let refused = store.update_queue(&q, attrs).unwrap_err();
    assert!(
        matches!(&refused, Error::ResourceInUse(m) if m.contains("not ACTIVE, instead in state UPDATING")),
        "{refused:?}"
    );
    assert_eq!(
        store
            .receive_queue_records(&q, 1, Duration::ZERO)
            .unwrap()
            .len(),
        1
    );
    clock.set(T0 + 3_000);
    assert_eq!(status(&q).unwrap(), QueueStatus::Active);
    store.update_queue(&q, attrs).unwrap();

    store.delete_queue(&q).unwrap();
    assert_eq!(status(&q).unwrap(), QueueStatus::Deleting);
    assert_eq!(
        store.list_queues(Some("s")).unwrap()[0].queue_status,
        QueueStatus::Deleting
    );
    assert!(matches!(
        store.receive_queue_records(&q, 1, Duration::ZERO),
        Err(Error::ResourceNotFound(_))
    ));
    let again = store.create_queue(shardlog::CreateQueue::new("q", "s"));
    assert!(matches!(again, Err(Error::ResourceInUse(_))), "{again:?}");
    clock.set(T0 + 4_000);
    assert!(matches!(status(&q), Err(Error::ResourceNotFound(_))));
    assert!(store.list_queues(None).unwrap().is_empty());

    // A stream's deletion takes its queues through DELETING too.
    let r = queue(&store, "r", "s", DeadLetterConfiguration::built_in(3));
    store.delete_stream("s").unwrap();
    assert_eq!(status(&r).unwrap(), QueueStatus::Deleting);
    clock.set(T0 + 5_000);
    assert!(matches!(status(&r), Err(Error::ResourceNotFound(_))));
}
