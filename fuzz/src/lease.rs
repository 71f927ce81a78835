//! `lease_protocol`: the lease protocol's JSON (`ShardlogLeases_20261206.*`, the lease table that
//! `shardlog serve` offers to workers in other processes) through the server-side dispatch,
//! `shardlog::consumer::LeaseService::handle`, which the HTTP layer calls with the target's
//! operation and the raw body.
//!
//! Input: up to [`MAX_REQUESTS`] requests against one fresh lease table on a simulated-disk store
//! (one stream `s` of two shards, holding a record): each is an operation byte (the five
//! operations and one unknown name), a little-endian u16 body length and the body.
//!
//! Checks: no panic; every answer is 200 or 400 with a JSON body, never an internal failure (500:
//! the disk never fails here, so a 500 means the service mishandled the input); a 400 names one of
//! the engine's client error types and says why; a lease a 200 answers with is the lease
//! `GetLease` returns next; afterwards the table still answers, and the real client
//! (`RemoteLeases`) reads back every lease the requests touched.

use crate::input::Input;
use serde_json::{json, Value};
use shardlog::consumer::{LeaseKey, LeaseService, LeaseStore, RemoteLeases};
use shardlog::{PutEntry, Store, StoreOptions};
use shardlog_storage::SimDisk;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Requests per input.
pub const MAX_REQUESTS: usize = 8;

/// The operations, by input byte (modulo); the last is not one.
pub const OPERATIONS: [&str; 6] = [
    "DescribeLeaseTable",
    "ListLeases",
    "GetLease",
    "CreateLeaseIfAbsent",
    "ChangeLeases",
    "Frobnicate",
];

/// The error types a bad request may get: the engine's client errors and the lease conflicts.
pub const CLIENT_ERRORS: [&str; 11] = [
    "ValidationException",
    "InvalidArgumentException",
    "ResourceNotFoundException",
    "ResourceInUseException",
    "LimitExceededException",
    "ProvisionedThroughputExceededException",
    "ExpiredIteratorException",
    "ShutdownException",
    "LeaseConflictException",
    "LeaseNotFoundException",
    "LeaseHeldException",
];

/// A store with one stream of two shards holding a record (so checkpoints can name it), and the
/// service over its lease table.
fn service() -> (Store, LeaseService) {
    let opts = StoreOptions {
        retention_interval: None,
        // Small segments: the default 64 MiB ones cost tens of milliseconds to allocate.
        segment_bytes: 64 << 10,
        ..StoreOptions::default()
    };
    let store = Store::open_with_storage(Arc::new(SimDisk::new(11)), opts)
        .unwrap_or_else(|e| panic!("a fresh simulated store must open: {e}"));
    store
        .create_stream("s", 2)
        .unwrap_or_else(|e| panic!("stream creation on a fresh store: {e}"));
    store
        .put_record("s", PutEntry::new("k", b"v"))
        .unwrap_or_else(|e| panic!("a put on a fresh store: {e}"));
    let table = store
        .lease_table(Default::default())
        .unwrap_or_else(|e| panic!("a lease table on a fresh store: {e}"));
    (store.clone(), LeaseService::new(store, table))
}

/// Runs the `lease_protocol` checks on one input.
pub fn check(data: &[u8]) {
    check_with(data, crate::strict());
}

/// Runs the `lease_protocol` checks on one input; `strict`: fail on known open bugs too.
pub fn check_with(data: &[u8], strict: bool) {
    let (_store, service) = service();
    let mut r = Input::new(data);
    let mut touched = Touched::default();
    for _ in 0..MAX_REQUESTS {
        if r.is_empty() {
            break;
        }
        let op = OPERATIONS[usize::from(r.byte()) % OPERATIONS.len()];
        let len = usize::from(r.u16());
        let body = r.bytes(len);
        touched.note_request(body);
        let (status, answer) = service.handle(op, body);
        let answer = check_answer(op, status, &answer, strict);
        for (lease, held) in answered_leases(answer.as_ref(), body) {
            check_stored(&service, op, lease, held);
        }
    }
    check_afterwards(&service, &touched);
}

/// Checks one answer; the parsed body of a 200, if any.
fn check_answer(op: &str, status: u16, body: &[u8], strict: bool) -> Option<Value> {
    let text = String::from_utf8_lossy(body);
    let value: Value = serde_json::from_slice(body).unwrap_or_else(|e| {
        panic!("{op}: answered {status} with a body that is not JSON ({e}): {text}")
    });
    match status {
        200 => Some(value),
        400 => {
            let kind = value["__type"].as_str().unwrap_or_default();
            assert!(
                CLIENT_ERRORS.contains(&kind),
                "{op}: a 400 of type {kind:?}: {text}"
            );
            let message = value["message"].as_str().unwrap_or_default();
            assert!(
                !message.is_empty(),
                "{op}: an error without a message: {text}"
            );
            None
        }
        500 if !strict && crate::known::open_bug(&value) => None,
        _ => panic!("{op}: answered {status} to a client's request: {text}"),
    }
}

/// The leases an answer carries, each with whether the table still holds it: its `Lease`, or the
/// `Lease` of each of its `Results` (a `Delete` answers the lease as it was, which the table then no
/// longer holds). Of several results for one lease only the last says what the table holds.
fn answered_leases<'a>(answer: Option<&'a Value>, request: &[u8]) -> Vec<(&'a Value, bool)> {
    let Some(answer) = answer else {
        return Vec::new();
    };
    let request: Value = serde_json::from_slice(request).unwrap_or(Value::Null);
    let deleted = |i: usize| request["Changes"][i]["Op"]["Type"] == "Delete";
    let results = answer["Results"].as_array().into_iter().flatten();
    let mut leases: Vec<(&Value, bool)> = std::iter::once((&answer["Lease"], true))
        .chain(results.enumerate().map(|(i, r)| (&r["Lease"], !deleted(i))))
        .filter(|(l, _)| !l.is_null())
        .collect();
    let mut seen = BTreeSet::new();
    leases.reverse();
    leases.retain(|(l, _)| seen.insert(l["Key"].to_string()));
    leases
}

/// A lease a request answered with is what the table now holds (`held`), or is gone.
fn check_stored(service: &LeaseService, op: &str, lease: &Value, held: bool) {
    let request = json!({ "Key": lease["Key"] });
    let (status, body) = service.handle("GetLease", request.to_string().as_bytes());
    let got: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    assert_eq!(status, 200, "GetLease after {op}: {got}");
    let expected = if held { lease } else { &Value::Null };
    assert_eq!(
        &got["Lease"], expected,
        "{op} answered a lease that GetLease does not return"
    );
}

/// Applications, streams and keys the requests named (as far as their bodies are JSON).
#[derive(Debug, Default)]
struct Touched {
    streams: BTreeSet<(String, String)>,
    keys: BTreeSet<(String, String, String)>,
}

impl Touched {
    fn note_request(&mut self, body: &[u8]) {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        let s = |v: &Value, k: &str| v[k].as_str().map(str::to_string);
        if let (Some(a), Some(st)) = (s(&v, "Application"), s(&v, "Stream")) {
            self.streams.insert((a, st));
        }
        let keys = std::iter::once(&v["Key"]).chain(
            v["Changes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|l| &l["Key"]),
        );
        for key in keys {
            if let (Some(a), Some(st), Some(sh)) =
                (s(key, "Application"), s(key, "Stream"), s(key, "ShardId"))
            {
                self.streams.insert((a.clone(), st.clone()));
                self.keys.insert((a, st, sh));
            }
        }
    }
}

/// The table still answers, and the real client reads every lease the requests could have made.
fn check_afterwards(service: &LeaseService, touched: &Touched) {
    let (status, body) = service.handle("DescribeLeaseTable", b"{}");
    assert_eq!(
        status,
        200,
        "DescribeLeaseTable afterwards: {}",
        String::from_utf8_lossy(&body)
    );
    let remote = RemoteLeases::connect(service.clone())
        .unwrap_or_else(|e| panic!("the client cannot connect afterwards: {e}"));
    // A name outside the table's limits could not have made a lease: refusing it is right.
    let answered =
        |r: &shardlog::Result<()>| matches!(r, Ok(()) | Err(shardlog::Error::Validation(_)));
    for (app, stream) in &touched.streams {
        let listed = remote.list(app, stream).map(drop);
        if !answered(&listed) {
            panic!("the client cannot list the leases of {app:?}/{stream:?}: {listed:?}");
        }
    }
    for (app, stream, shard) in &touched.keys {
        let read = remote.get(&LeaseKey::new(app, stream, shard)).map(drop);
        if !answered(&read) {
            panic!("the client cannot read lease {app:?}/{stream:?}/{shard:?}: {read:?}");
        }
    }
}

/// Appends one request in the input format.
fn request(out: &mut Vec<u8>, op: &str, body: &Value) {
    let index = OPERATIONS.iter().position(|o| *o == op).unwrap_or(0);
    let body = body.to_string();
    out.push(index as u8);
    out.extend_from_slice(&(body.len() as u16).to_le_bytes());
    out.extend_from_slice(body.as_bytes());
}

/// Seeds: each operation on its own, a worker's life (create, take, renew, checkpoint a record,
/// end the shard, name children, evict), conflicts, and malformed bodies.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let key = json!({"Application": "app", "Stream": "s", "ShardId": "shardId-000000000000"});
    let create = json!({"Key": key, "Checkpoint": {"Value": "TRIM_HORIZON"}, "ParentShardIds": [], "StartingHashKey": "0", "EndingHashKey": "340282366920938463463374607431768211455"});
    let change = |counter: u64, op: Value| json!({"Changes": [{"Key": key, "ExpectedCounter": counter, "Op": op}]});
    let take = change(0, json!({"Type": "Take", "Owner": "w1", "NowMs": 1000}));
    let renew = json!({"Changes": [
        {"Key": key, "ExpectedCounter": 1, "Op": {"Type": "Renew", "NowMs": 2000}},
        {"Key": key, "ExpectedCounter": 9, "Op": {"Type": "Renew", "NowMs": 2000}},
    ]});
    let mut out = Vec::new();
    let mut one = |name: &str, op: &str, body: Value| {
        let mut v = Vec::new();
        request(&mut v, op, &body);
        out.push((name.to_string(), v));
    };
    one("describe", "DescribeLeaseTable", json!({}));
    one(
        "list",
        "ListLeases",
        json!({"Application": "app", "Stream": "s"}),
    );
    one("get", "GetLease", json!({"Key": key}));
    one("create", "CreateLeaseIfAbsent", create.clone());
    one(
        "create-at-timestamp",
        "CreateLeaseIfAbsent",
        json!({"Key": key, "Checkpoint": {"Value": "AT_TIMESTAMP", "TimestampMs": 5}}),
    );
    one("unknown-op", "Frobnicate", json!({}));
    // Near the lease table's limits: names of 160 bytes, a lease value close to 1,024 bytes.
    let long = "n".repeat(160);
    one(
        "longest-names",
        "CreateLeaseIfAbsent",
        json!({"Key": {"Application": long, "Stream": long, "ShardId": long}, "Checkpoint": {"Value": "LATEST"}}),
    );
    let parents: Vec<String> = (0..30).map(|i| format!("shardId-{i:012}")).collect();
    one(
        "many-parents",
        "CreateLeaseIfAbsent",
        json!({"Key": key, "Checkpoint": {"Value": "LATEST"}, "ParentShardIds": parents}),
    );
    one("take-missing", "ChangeLeases", take.clone());
    let mut life = Vec::new();
    request(&mut life, "CreateLeaseIfAbsent", &create);
    request(&mut life, "ChangeLeases", &take);
    request(&mut life, "ChangeLeases", &renew);
    request(
        &mut life,
        "ChangeLeases",
        &change(
            2,
            json!({"Type": "Checkpoint", "Checkpoint": {"Value": "1", "SubSequenceNumber": 0}}),
        ),
    );
    request(
        &mut life,
        "ChangeLeases",
        &change(
            3,
            json!({"Type": "Checkpoint", "Checkpoint": {"Value": "SHARD_END"}}),
        ),
    );
    request(
        &mut life,
        "ChangeLeases",
        &change(
            4,
            json!({"Type": "SetChildShards", "ChildShardIds": ["shardId-000000000002"]}),
        ),
    );
    request(
        &mut life,
        "ChangeLeases",
        &change(5, json!({"Type": "Evict"})),
    );
    request(
        &mut life,
        "ListLeases",
        &json!({"Application": "app", "Stream": "s"}),
    );
    out.push(("worker-life".into(), life));
    let mut held = Vec::new();
    request(&mut held, "CreateLeaseIfAbsent", &create);
    request(&mut held, "ChangeLeases", &take);
    request(
        &mut held,
        "ChangeLeases",
        &change(1, json!({"Type": "Take", "Owner": "w2", "NowMs": 1001})),
    );
    request(
        &mut held,
        "ChangeLeases",
        &change(1, json!({"Type": "Steal", "Owner": "w2", "NowMs": 1001})),
    );
    // Several changes of one lease in one commit, one of them refused, then a delete.
    request(
        &mut held,
        "ChangeLeases",
        &json!({"Changes": [
            {"Key": key, "ExpectedCounter": 2, "Op": {"Type": "PrepareCheckpoint", "Checkpoint": {"Value": "LATEST"}}},
            {"Key": key, "ExpectedCounter": 2, "Op": {"Type": "Evict"}},
            {"Key": key, "ExpectedCounter": 3, "Op": {"Type": "Delete"}},
        ]}),
    );
    out.push(("held-and-stolen".into(), held));
    for (name, body) in [
        ("not-json", &b"{\"Key\":"[..]),
        ("wrong-types", br#"{"Key":{"Application":1},"ExpectedCounter":-1}"#),
        ("bad-checkpoint", br#"{"Changes":[{"Key":{"Application":"a","Stream":"s","ShardId":"x"},"ExpectedCounter":0,"Op":{"Type":"Checkpoint","Checkpoint":{"Value":"12x"}}}]}"#),
        ("unknown-op-type", br#"{"Changes":[{"Key":{"Application":"a","Stream":"s","ShardId":"x"},"ExpectedCounter":0,"Op":{"Type":"Frobnicate"}}]}"#),
    ] {
        let mut v = vec![4u8];
        v.extend_from_slice(&(body.len() as u16).to_le_bytes());
        v.extend_from_slice(body);
        out.push((name.into(), v));
    }
    out
}
