//! The lease protocol: a store's lease table served to workers in other processes.
//!
//! The KCL keeps leases in DynamoDB; a shardlog worker in another process keeps them in the
//! store's own table, through the process that owns the store. [`LeaseService`] answers requests
//! (one JSON document per [`LeaseStore`] operation; changes are [`LeaseChange`]s as they are), [`RemoteLeases`] sends them; a
//! [`LeaseTransport`] carries the bytes (HTTP in `shardlog-client` and `shardlog serve`, or a
//! direct call in tests). The format is in `docs/format.md` ("Lease protocol").
//!
//! The service, not the worker, makes a checkpointed record durable before the checkpoint is
//! written: a remote worker cannot sync the store's files.

use super::lease::{
    Checkpoint, HashKeyRange, Lease, LeaseChange, LeaseKey, LeaseOp, LeaseTable, NewLease,
};
use super::leases::LeaseStore;
use crate::error::{Error, Result};
use crate::names::ShardId;
use crate::store::Store;
use serde::{Deserialize, Serialize};

/// The prefix of the operation names (`X-Amz-Target` over HTTP), versioned like AWS targets.
pub const LEASE_TARGET_PREFIX: &str = "ShardlogLeases_20261206";

/// Carries one lease request to a [`LeaseService`] and brings back its answer.
///
/// ```
/// use shardlog::consumer::{LeaseService, LeaseTransport};
/// use shardlog::{Store, StoreOptions};
/// let dir = tempfile::tempdir()?;
/// let store = Store::open(dir.path(), StoreOptions::default())?;
/// let service = LeaseService::new(store.clone(), store.lease_table(Default::default())?);
/// // A service is its own transport: calls go straight to it.
/// let (status, body) = service.call("DescribeLeaseTable", b"{}".to_vec())?;
/// assert_eq!(status, 200);
/// assert!(String::from_utf8(body)?.contains("LeaseDurationMs"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait LeaseTransport: Send + Sync + 'static {
    /// Sends `body` as `operation` and returns the status code and body of the answer.
    fn call(&self, operation: &str, body: Vec<u8>) -> Result<(u16, Vec<u8>)>;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LeaseWire {
    key: LeaseKey,
    owner: Option<String>,
    counter: u64,
    checkpoint: Checkpoint,
    pending_checkpoint: Option<Checkpoint>,
    owner_switches_since_checkpoint: u64,
    parent_shard_ids: Vec<String>,
    child_shard_ids: Vec<String>,
    /// Decimal, as the Kinesis API writes hash keys.
    starting_hash_key: String,
    ending_hash_key: String,
    last_renewal_ms: u64,
    checkpoints_recorded: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<LeaseKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    application: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stream: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checkpoint: Option<Checkpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parent_shard_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    starting_hash_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ending_hash_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    changes: Option<Vec<LeaseChange>>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Response {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease: Option<LeaseWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    leases: Option<Vec<LeaseWire>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    results: Option<Vec<Response>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease_duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<ErrorWire>,
}

/// An error answer, shaped like AWS's (`__type` and `message`) plus the fields a caller needs.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ErrorWire {
    #[serde(rename = "__type")]
    kind: String,
    message: String,
    #[serde(rename = "Expected", default, skip_serializing_if = "Option::is_none")]
    expected: Option<u64>,
    #[serde(rename = "Found", default, skip_serializing_if = "Option::is_none")]
    found: Option<u64>,
    #[serde(rename = "Owner", default, skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(rename = "UntilMs", default, skip_serializing_if = "Option::is_none")]
    until_ms: Option<u64>,
    #[serde(rename = "Key", default, skip_serializing_if = "Option::is_none")]
    key: Option<String>,
}

fn bad(what: &str) -> Error {
    Error::Validation(format!("lease request: {what}"))
}

fn hash_key(s: &str) -> Result<u128> {
    s.parse().map_err(|_| {
        bad(&format!(
            "hash key {s:?} is not a decimal number below 2^128"
        ))
    })
}

impl From<&Lease> for LeaseWire {
    fn from(l: &Lease) -> Self {
        LeaseWire {
            key: l.key.clone(),
            owner: l.owner.clone(),
            counter: l.counter,
            checkpoint: l.checkpoint.clone(),
            pending_checkpoint: l.pending_checkpoint.clone(),
            owner_switches_since_checkpoint: l.owner_switches_since_checkpoint,
            parent_shard_ids: l.parent_shard_ids.clone(),
            child_shard_ids: l.child_shard_ids.clone(),
            starting_hash_key: l.hash_key_range.start.to_string(),
            ending_hash_key: l.hash_key_range.end.to_string(),
            last_renewal_ms: l.last_renewal_ms,
            checkpoints_recorded: l.checkpoints_recorded,
        }
    }
}

impl TryFrom<LeaseWire> for Lease {
    type Error = Error;
    fn try_from(l: LeaseWire) -> Result<Self> {
        Ok(Lease {
            key: l.key,
            owner: l.owner,
            counter: l.counter,
            checkpoint: l.checkpoint,
            pending_checkpoint: l.pending_checkpoint,
            owner_switches_since_checkpoint: l.owner_switches_since_checkpoint,
            parent_shard_ids: l.parent_shard_ids,
            child_shard_ids: l.child_shard_ids,
            hash_key_range: HashKeyRange {
                start: hash_key(&l.starting_hash_key)?,
                end: hash_key(&l.ending_hash_key)?,
            },
            last_renewal_ms: l.last_renewal_ms,
            checkpoints_recorded: l.checkpoints_recorded,
        })
    }
}

fn error_wire(e: &Error) -> ErrorWire {
    let mut w = ErrorWire {
        kind: e.kind().to_string(),
        message: e.to_string(),
        ..ErrorWire::default()
    };
    match e {
        Error::LeaseConflict { expected, found } => {
            w.kind = "LeaseConflictException".into();
            (w.expected, w.found) = (Some(*expected), Some(*found));
        }
        Error::LeaseNotFound { key } => {
            w.kind = "LeaseNotFoundException".into();
            w.key = Some(key.clone());
        }
        Error::LeaseHeld { owner, until_ms } => {
            w.kind = "LeaseHeldException".into();
            (w.owner, w.until_ms) = (Some(owner.clone()), Some(*until_ms));
        }
        _ => {}
    }
    w
}

fn from_error_wire(w: ErrorWire) -> Error {
    match w.kind.as_str() {
        "LeaseConflictException" => Error::LeaseConflict {
            expected: w.expected.unwrap_or_default(),
            found: w.found.unwrap_or_default(),
        },
        "LeaseNotFoundException" => Error::LeaseNotFound {
            key: w.key.unwrap_or_default(),
        },
        "LeaseHeldException" => Error::LeaseHeld {
            owner: w.owner.unwrap_or_default(),
            until_ms: w.until_ms.unwrap_or_default(),
        },
        "ResourceNotFoundException" => Error::ResourceNotFound(w.message),
        "ValidationException" => Error::Validation(w.message),
        "InvalidArgumentException" => Error::InvalidArgument(w.message),
        other => Error::Unavailable(format!("{other}: {}", w.message)),
    }
}

/// Serves a store's lease table to [`RemoteLeases`] clients.
///
/// ```
/// use shardlog::consumer::{LeaseKey, LeaseService, LeaseStore, NewLease, RemoteLeases};
/// use shardlog::{Store, StoreOptions};
/// let dir = tempfile::tempdir()?;
/// let store = Store::open(dir.path(), StoreOptions::default())?;
/// let service = LeaseService::new(store.clone(), store.lease_table(Default::default())?);
/// let remote = RemoteLeases::connect(service)?;
/// let key = LeaseKey::new("app", "s", "shardId-000000000000");
/// let lease = remote.create_if_absent(&key, NewLease::default())?;
/// assert_eq!(lease.counter, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct LeaseService {
    store: Store,
    table: LeaseTable,
}

impl LeaseService {
    /// Serves `table`; checkpoints are made durable in `store` first.
    pub fn new(store: Store, table: LeaseTable) -> Self {
        LeaseService { store, table }
    }

    /// Answers one request: a status code and a JSON body.
    pub fn handle(&self, operation: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let answer = serde_json::from_slice::<Request>(body)
            .map_err(|e| bad(&format!("body is not a lease request: {e}")))
            .and_then(|req| self.dispatch(operation, req));
        match answer {
            Ok(resp) => (200, serde_json::to_vec(&resp).unwrap_or_default()),
            Err(e) => {
                let wire = error_wire(&e);
                // Our own failures are 500s; anything the caller can fix is a 400, as in AWS.
                let status = if wire.kind == "InternalFailure" {
                    500
                } else {
                    400
                };
                (status, serde_json::to_vec(&wire).unwrap_or_default())
            }
        }
    }

    fn dispatch(&self, operation: &str, req: Request) -> Result<Response> {
        let t = &self.table;
        let key = || req.key.clone().ok_or_else(|| bad("Key is required"));
        Ok(match operation {
            "DescribeLeaseTable" => Response {
                lease_duration_ms: Some(t.lease_duration_ms()),
                ..Response::default()
            },
            "ListLeases" => {
                let app = req.application.as_deref();
                let app = app.ok_or_else(|| bad("Application is required"))?;
                let stream = req.stream.as_deref();
                let stream = stream.ok_or_else(|| bad("Stream is required"))?;
                let leases = LeaseStore::list(t, app, stream)?;
                Response {
                    leases: Some(leases.iter().map(Into::into).collect()),
                    ..Response::default()
                }
            }
            "GetLease" => Response {
                lease: LeaseStore::get(t, &key()?)?.as_ref().map(Into::into),
                ..Response::default()
            },
            "CreateLeaseIfAbsent" => {
                let checkpoint = req.checkpoint.clone();
                let max = u128::MAX.to_string();
                let new = NewLease {
                    checkpoint: checkpoint.ok_or_else(|| bad("Checkpoint is required"))?,
                    parent_shard_ids: req.parent_shard_ids.clone().unwrap_or_default(),
                    hash_key_range: HashKeyRange {
                        start: hash_key(req.starting_hash_key.as_deref().unwrap_or("0"))?,
                        end: hash_key(req.ending_hash_key.as_deref().unwrap_or(&max))?,
                    },
                };
                Response {
                    lease: Some((&LeaseStore::create_if_absent(t, &key()?, new)?).into()),
                    ..Response::default()
                }
            }
            "ChangeLeases" => {
                let changes = req.changes.ok_or_else(|| bad("Changes is required"))?;
                Response {
                    results: Some(self.change_all(changes)?.iter().map(result_wire).collect()),
                    ..Response::default()
                }
            }
            other => {
                return Err(Error::InvalidArgument(format!(
                    "unknown lease operation {other}"
                )))
            }
        })
    }

    /// Applies the changes in one commit, after making each checkpointed record durable; a
    /// checkpoint whose record cannot be made durable is refused alone.
    fn change_all(&self, changes: Vec<LeaseChange>) -> Result<Vec<Result<Lease>>> {
        let mut refused = Vec::with_capacity(changes.len());
        let mut ready = Vec::with_capacity(changes.len());
        for change in changes {
            match &change.op {
                LeaseOp::Checkpoint { checkpoint } => {
                    match self.make_durable(&change.key, checkpoint) {
                        Ok(()) => {
                            refused.push(None);
                            ready.push(change);
                        }
                        Err(e) => refused.push(Some(e)),
                    }
                }
                _ => {
                    refused.push(None);
                    ready.push(change);
                }
            }
        }
        let mut applied = LeaseStore::change_all(&self.table, ready)?.into_iter();
        let results: Vec<Result<Lease>> = refused
            .into_iter()
            .map(|r| match r {
                Some(e) => Err(e),
                None => applied.next().unwrap_or_else(|| {
                    Err(Error::Unavailable("the lease table lost a change".into()))
                }),
            })
            .collect();
        assert!(applied.next().is_none(), "one result per applied change");
        Ok(results)
    }

    /// A checkpoint names only durable records of its shard: check that the record exists, and
    /// sync the shard before writing it.
    fn make_durable(&self, key: &LeaseKey, value: &Checkpoint) -> Result<()> {
        let Checkpoint::SequenceNumber {
            sequence_number, ..
        } = value
        else {
            return Ok(());
        };
        let seq = sequence_number
            .parse()
            .map_err(|_| bad("checkpoint is not a sequence number"))?;
        let shard: ShardId = key.shard_id.parse()?;
        self.store.check_record(&key.stream, shard, seq)?;
        super::RecordSource::make_durable(&self.store, &key.stream, shard, seq)
    }
}

fn result_wire(result: &Result<Lease>) -> Response {
    match result {
        Ok(l) => Response {
            lease: Some(l.into()),
            ..Response::default()
        },
        Err(e) => Response {
            error: Some(error_wire(e)),
            ..Response::default()
        },
    }
}

impl LeaseTransport for LeaseService {
    fn call(&self, operation: &str, body: Vec<u8>) -> Result<(u16, Vec<u8>)> {
        Ok(self.handle(operation, &body))
    }
}

/// A [`LeaseStore`] in another process, reached through a [`LeaseTransport`].
///
/// See [`LeaseService`] for an example.
#[derive(Debug)]
pub struct RemoteLeases<T> {
    transport: T,
    lease_duration_ms: u64,
}

impl<T: LeaseTransport> RemoteLeases<T> {
    /// Connects: asks the service for its failover time.
    pub fn connect(transport: T) -> Result<Self> {
        let mut remote = RemoteLeases {
            transport,
            lease_duration_ms: 0,
        };
        let resp = remote.send("DescribeLeaseTable", &Request::default())?;
        remote.lease_duration_ms = resp.lease_duration_ms.ok_or_else(|| {
            Error::Unavailable("DescribeLeaseTable answered without LeaseDurationMs".into())
        })?;
        Ok(remote)
    }

    fn send(&self, operation: &str, req: &Request) -> Result<Response> {
        let body = serde_json::to_vec(req).map_err(|e| bad(&e.to_string()))?;
        let (status, body) = self.transport.call(operation, body)?;
        if status != 200 {
            let w: ErrorWire = serde_json::from_slice(&body).map_err(|_| {
                Error::Unavailable(format!(
                    "lease service answered {status} with an unreadable body"
                ))
            })?;
            return Err(from_error_wire(w));
        }
        serde_json::from_slice(&body).map_err(|e| {
            Error::Unavailable(format!("lease service answered an unreadable body: {e}"))
        })
    }
}

impl<T: LeaseTransport> LeaseStore for RemoteLeases<T> {
    fn lease_duration_ms(&self) -> u64 {
        self.lease_duration_ms
    }

    fn list(&self, application: &str, stream: &str) -> Result<Vec<Lease>> {
        let req = Request {
            application: Some(application.into()),
            stream: Some(stream.into()),
            ..Request::default()
        };
        let leases = self.send("ListLeases", &req)?.leases.unwrap_or_default();
        leases.into_iter().map(TryInto::try_into).collect()
    }

    fn get(&self, key: &LeaseKey) -> Result<Option<Lease>> {
        let req = Request {
            key: Some(key.clone()),
            ..Request::default()
        };
        self.send("GetLease", &req)?
            .lease
            .map(TryInto::try_into)
            .transpose()
    }

    fn create_if_absent(&self, key: &LeaseKey, new: NewLease) -> Result<Lease> {
        let req = Request {
            key: Some(key.clone()),
            checkpoint: Some(new.checkpoint),
            parent_shard_ids: Some(new.parent_shard_ids),
            starting_hash_key: Some(new.hash_key_range.start.to_string()),
            ending_hash_key: Some(new.hash_key_range.end.to_string()),
            ..Request::default()
        };
        let resp = self.send("CreateLeaseIfAbsent", &req)?;
        let lease = resp.lease.ok_or_else(|| {
            Error::Unavailable("CreateLeaseIfAbsent answered without a lease".into())
        })?;
        lease.try_into()
    }

    fn change_all(&self, changes: Vec<LeaseChange>) -> Result<Vec<Result<Lease>>> {
        let count = changes.len();
        let req = Request {
            changes: Some(changes),
            ..Request::default()
        };
        let results = self.send("ChangeLeases", &req)?.results.unwrap_or_default();
        if results.len() != count {
            return Err(Error::Unavailable(
                "ChangeLeases answered the wrong number of results".into(),
            ));
        }
        Ok(results
            .into_iter()
            .map(|r| match (r.lease, r.error) {
                (_, Some(e)) => Err(from_error_wire(e)),
                (Some(l), None) => l.try_into(),
                (None, None) => Err(Error::Unavailable(
                    "ChangeLeases answered an empty result".into(),
                )),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreOptions;

    fn remote() -> (tempfile::TempDir, RemoteLeases<LeaseService>) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store =
            Store::open(dir.path(), StoreOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let table = store
            .lease_table(Default::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let remote = RemoteLeases::connect(LeaseService::new(store, table))
            .unwrap_or_else(|e| panic!("{e}"));
        (dir, remote)
    }

    #[test]
    fn every_operation_round_trips_and_conflicts_keep_their_fields() -> Result<()> {
        let (_dir, r) = remote();
        let key = LeaseKey::new("app", "s", "shardId-000000000001");
        let new = NewLease {
            checkpoint: Checkpoint::AtTimestamp(42),
            parent_shard_ids: vec!["shardId-000000000000".into()],
            hash_key_range: HashKeyRange {
                start: 7,
                end: u128::MAX - 1,
            },
        };
        let l = r.create_if_absent(&key, new.clone())?;
        assert_eq!(
            (
                l.checkpoint.clone(),
                l.hash_key_range,
                l.parent_shard_ids.clone()
            ),
            (new.checkpoint, new.hash_key_range, new.parent_shard_ids)
        );
        let l = r.change(&key, l.counter, LeaseOp::take("w1", 1_000))?;
        assert_eq!(l.owner.as_deref(), Some("w1"));
        let renewed = r.change_all(vec![
            LeaseChange::new(key.clone(), l.counter, LeaseOp::renew(2_000)),
            LeaseChange::new(key.clone(), 99, LeaseOp::renew(2_000)),
        ])?;
        let l = renewed[0]
            .as_ref()
            .map_err(|e| Error::Unavailable(e.to_string()))?
            .clone();
        assert!(matches!(
            renewed[1],
            Err(Error::LeaseConflict { expected: 99, .. })
        ));
        let err = r.change(&key, l.counter, LeaseOp::take("w2", 2_001));
        assert!(
            matches!(err, Err(Error::LeaseHeld { ref owner, .. }) if owner == "w1"),
            "{err:?}"
        );
        let l = r.change(&key, l.counter, LeaseOp::checkpoint(Checkpoint::ShardEnd))?;
        let children = vec!["shardId-000000000002".into()];
        let l = r.change(&key, l.counter, LeaseOp::set_child_shards(children))?;
        let l = r.change(&key, l.counter, LeaseOp::Evict)?;
        assert_eq!(r.get(&key)?, Some(l.clone()));
        assert_eq!(r.list("app", "s")?, std::slice::from_ref(&l));
        assert_eq!(
            (l.owner, l.checkpoint, l.child_shard_ids.len()),
            (None, Checkpoint::ShardEnd, 1)
        );
        let missing = r.change(&LeaseKey::new("app", "s", "nope"), 0, LeaseOp::Evict);
        assert!(matches!(missing, Err(Error::LeaseNotFound { .. })));
        Ok(())
    }

    /// Every verb of the vocabulary, sent through the protocol, does what the local table does
    /// with it (the service's store has no records, so the checkpoint is a sentinel).
    #[test]
    fn every_lease_op_means_the_same_remotely_and_locally() -> Result<()> {
        let (_dir, remote) = remote();
        let local_dir = tempfile::tempdir().map_err(|e| Error::Unavailable(e.to_string()))?;
        let local = Store::open(local_dir.path(), StoreOptions::default())?
            .lease_table(Default::default())?;
        let ops = [
            LeaseOp::take("w1", 1_000),
            LeaseOp::renew(2_000),
            LeaseOp::prepare_checkpoint(Checkpoint::sequence("12", 3)),
            LeaseOp::checkpoint(Checkpoint::AtTimestamp(77)),
            LeaseOp::steal("w2", 2_001),
            LeaseOp::set_child_shards(vec!["shardId-000000000004".into()]),
            LeaseOp::Evict,
            LeaseOp::Delete,
        ];
        let key = LeaseKey::new("app", "s", "shardId-000000000001");
        remote.create_if_absent(&key, NewLease::default())?;
        local.create_if_absent(&key, NewLease::default())?;
        for (counter, op) in (0..).zip(ops) {
            let json = serde_json::to_string(&op).map_err(|e| bad(&e.to_string()))?;
            let back: LeaseOp = serde_json::from_str(&json).map_err(|e| bad(&e.to_string()))?;
            assert_eq!(back, op, "{json}");
            let there = remote.change(&key, counter, op.clone())?;
            let here = LeaseStore::change(&local, &key, counter, op)?;
            assert_eq!(there, here, "{json}");
        }
        assert_eq!(remote.get(&key)?, None);
        Ok(())
    }

    #[test]
    fn malformed_requests_get_clear_errors() {
        let (_dir, r) = remote();
        let service = &r.transport;
        for (op, body) in [
            ("ChangeLeases", &b"{}"[..]),
            ("ListLeases", b"not json"),
            ("Frobnicate", b"{}"),
            ("ChangeLeases", br#"{"Changes":[{"Key":{"Application":"a","Stream":"s","ShardId":"x"},"ExpectedCounter":0,"Op":{"Type":"Checkpoint","Checkpoint":{"Value":"12x"}}}]}"#),
            ("ChangeLeases", br#"{"Changes":[{"Key":{"Application":"a","Stream":"s","ShardId":"x"},"ExpectedCounter":0,"Op":{"Type":"Frobnicate"}}]}"#),
        ] {
            let (status, body) = service.handle(op, body);
            let text = String::from_utf8_lossy(&body);
            assert_eq!(status, 400, "{op}: {text}");
            assert!(text.contains("__type"), "{op}: {text}");
        }
    }
}
