//! The lease protocol: a store's lease table served to workers in other processes.
//!
//! The KCL keeps leases in DynamoDB; a shardlog worker in another process keeps them in the
//! store's own table, through the process that owns the store. [`LeaseService`] answers requests
//! (one JSON document per [`LeaseStore`] operation), [`RemoteLeases`] sends them; a
//! [`LeaseTransport`] carries the bytes (HTTP in `shardlog-client` and `shardlog serve`, or a
//! direct call in tests). The format is in `docs/format.md` ("Lease protocol").
//!
//! The service, not the worker, makes a checkpointed record durable before the checkpoint is
//! written: a remote worker cannot sync the store's files.

use super::lease::{Checkpoint, HashKeyRange, Lease, LeaseKey, LeaseTable, NewLease};
use super::leases::LeaseStore;
use crate::error::{Error, Result};
use crate::names::ShardId;
use crate::store::Store;
use serde::{Deserialize, Serialize};

/// The prefix of the operation names (`X-Amz-Target` over HTTP), versioned like AWS targets.
pub const LEASE_TARGET_PREFIX: &str = "ShardlogLeases_20261121";

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
struct KeyWire {
    application: String,
    stream: String,
    shard_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CheckpointWire {
    /// A decimal sequence number, or `TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP`, `SHARD_END`.
    value: String,
    #[serde(default)]
    sub_sequence_number: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timestamp_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LeaseWire {
    key: KeyWire,
    owner: Option<String>,
    counter: u64,
    checkpoint: CheckpointWire,
    pending_checkpoint: Option<CheckpointWire>,
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
    key: Option<KeyWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    application: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stream: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expected_counter: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    now_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    steal: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checkpoint: Option<CheckpointWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parent_shard_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    child_shard_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    starting_hash_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ending_hash_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    leases: Option<Vec<RenewWire>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RenewWire {
    key: KeyWire,
    expected_counter: u64,
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

impl From<&LeaseKey> for KeyWire {
    fn from(k: &LeaseKey) -> Self {
        KeyWire {
            application: k.application.clone(),
            stream: k.stream.clone(),
            shard_id: k.shard_id.clone(),
        }
    }
}

impl From<KeyWire> for LeaseKey {
    fn from(k: KeyWire) -> Self {
        LeaseKey::new(&k.application, &k.stream, &k.shard_id)
    }
}

impl From<&Checkpoint> for CheckpointWire {
    fn from(c: &Checkpoint) -> Self {
        let (value, sub, ts) = match c {
            Checkpoint::SequenceNumber {
                sequence_number,
                sub_sequence_number,
            } => (sequence_number.clone(), *sub_sequence_number, None),
            Checkpoint::TrimHorizon => ("TRIM_HORIZON".into(), 0, None),
            Checkpoint::Latest => ("LATEST".into(), 0, None),
            Checkpoint::AtTimestamp(t) => ("AT_TIMESTAMP".into(), 0, Some(*t)),
            Checkpoint::ShardEnd => ("SHARD_END".into(), 0, None),
        };
        CheckpointWire {
            value,
            sub_sequence_number: sub,
            timestamp_ms: ts,
        }
    }
}

impl TryFrom<CheckpointWire> for Checkpoint {
    type Error = Error;
    fn try_from(c: CheckpointWire) -> Result<Self> {
        Ok(match c.value.as_str() {
            "TRIM_HORIZON" => Checkpoint::TrimHorizon,
            "LATEST" => Checkpoint::Latest,
            "SHARD_END" => Checkpoint::ShardEnd,
            "AT_TIMESTAMP" => Checkpoint::AtTimestamp(
                c.timestamp_ms
                    .ok_or_else(|| bad("AT_TIMESTAMP needs TimestampMs"))?,
            ),
            digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                Checkpoint::sequence(digits, c.sub_sequence_number)
            }
            other => {
                return Err(bad(&format!(
                    "checkpoint {other:?} is neither a sequence number nor a sentinel"
                )))
            }
        })
    }
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
            key: (&l.key).into(),
            owner: l.owner.clone(),
            counter: l.counter,
            checkpoint: (&l.checkpoint).into(),
            pending_checkpoint: l.pending_checkpoint.as_ref().map(Into::into),
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
            key: l.key.into(),
            owner: l.owner,
            counter: l.counter,
            checkpoint: l.checkpoint.try_into()?,
            pending_checkpoint: l.pending_checkpoint.map(TryInto::try_into).transpose()?,
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
        let key = || {
            req.key
                .clone()
                .map(LeaseKey::from)
                .ok_or_else(|| bad("Key is required"))
        };
        let expected = || {
            req.expected_counter
                .ok_or_else(|| bad("ExpectedCounter is required"))
        };
        let one = |l: Lease| Response {
            lease: Some((&l).into()),
            ..Response::default()
        };
        Ok(match operation {
            "DescribeLeaseTable" => Response {
                lease_duration_ms: Some(t.lease_duration_ms()),
                ..Response::default()
            },
            "ListLeases" => {
                let app = req
                    .application
                    .as_deref()
                    .ok_or_else(|| bad("Application is required"))?;
                let stream = req
                    .stream
                    .as_deref()
                    .ok_or_else(|| bad("Stream is required"))?;
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
                let new = NewLease {
                    checkpoint: req
                        .checkpoint
                        .clone()
                        .ok_or_else(|| bad("Checkpoint is required"))?
                        .try_into()?,
                    parent_shard_ids: req.parent_shard_ids.clone().unwrap_or_default(),
                    hash_key_range: HashKeyRange {
                        start: hash_key(req.starting_hash_key.as_deref().unwrap_or("0"))?,
                        end: hash_key(
                            req.ending_hash_key
                                .as_deref()
                                .unwrap_or(&u128::MAX.to_string()),
                        )?,
                    },
                };
                one(LeaseStore::create_if_absent(t, &key()?, new)?)
            }
            "TakeLease" => {
                let owner = req
                    .owner
                    .as_deref()
                    .ok_or_else(|| bad("Owner is required"))?;
                let now = req.now_ms.ok_or_else(|| bad("NowMs is required"))?;
                one(LeaseStore::take(
                    t,
                    &key()?,
                    expected()?,
                    owner,
                    now,
                    req.steal,
                )?)
            }
            "RenewLeases" => {
                let now = req.now_ms.ok_or_else(|| bad("NowMs is required"))?;
                let leases: Vec<(LeaseKey, u64)> = req
                    .leases
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| (r.key.into(), r.expected_counter))
                    .collect();
                let results = LeaseStore::renew(t, &leases, now)?
                    .into_iter()
                    .map(|r| match r {
                        Ok(l) => one(l),
                        Err(e) => Response {
                            error: Some(error_wire(&e)),
                            ..Response::default()
                        },
                    })
                    .collect();
                Response {
                    results: Some(results),
                    ..Response::default()
                }
            }
            "Checkpoint" => {
                let key = key()?;
                let value: Checkpoint = req
                    .checkpoint
                    .clone()
                    .ok_or_else(|| bad("Checkpoint is required"))?
                    .try_into()?;
                self.make_durable(&key, &value)?;
                one(LeaseStore::checkpoint(t, &key, expected()?, value)?)
            }
            "SetChildShards" => {
                let children = req.child_shard_ids.clone().unwrap_or_default();
                one(LeaseStore::set_children(t, &key()?, expected()?, children)?)
            }
            "EvictLease" => one(LeaseStore::evict(t, &key()?, expected()?)?),
            other => {
                return Err(Error::InvalidArgument(format!(
                    "unknown lease operation {other}"
                )))
            }
        })
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

    fn lease(&self, operation: &str, req: &Request) -> Result<Lease> {
        let resp = self.send(operation, req)?;
        resp.lease
            .ok_or_else(|| Error::Unavailable(format!("{operation} answered without a lease")))?
            .try_into()
    }

    fn fenced(key: &LeaseKey, expected: u64) -> Request {
        Request {
            key: Some(key.into()),
            expected_counter: Some(expected),
            ..Request::default()
        }
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
            key: Some(key.into()),
            ..Request::default()
        };
        self.send("GetLease", &req)?
            .lease
            .map(TryInto::try_into)
            .transpose()
    }

    fn create_if_absent(&self, key: &LeaseKey, new: NewLease) -> Result<Lease> {
        let req = Request {
            key: Some(key.into()),
            checkpoint: Some((&new.checkpoint).into()),
            parent_shard_ids: Some(new.parent_shard_ids),
            starting_hash_key: Some(new.hash_key_range.start.to_string()),
            ending_hash_key: Some(new.hash_key_range.end.to_string()),
            ..Request::default()
        };
        self.lease("CreateLeaseIfAbsent", &req)
    }

    fn take(
        &self,
        key: &LeaseKey,
        expected: u64,
        owner: &str,
        now_ms: u64,
        steal: bool,
    ) -> Result<Lease> {
        let req = Request {
            owner: Some(owner.into()),
            now_ms: Some(now_ms),
            steal,
            ..Self::fenced(key, expected)
        };
        self.lease("TakeLease", &req)
    }

    fn renew(&self, leases: &[(LeaseKey, u64)], now_ms: u64) -> Result<Vec<Result<Lease>>> {
        let req = Request {
            now_ms: Some(now_ms),
            leases: Some(
                leases
                    .iter()
                    .map(|(k, c)| RenewWire {
                        key: k.into(),
                        expected_counter: *c,
                    })
                    .collect(),
            ),
            ..Request::default()
        };
        let results = self.send("RenewLeases", &req)?.results.unwrap_or_default();
        if results.len() != leases.len() {
            return Err(Error::Unavailable(
                "RenewLeases answered the wrong number of results".into(),
            ));
        }
        Ok(results
            .into_iter()
            .map(|r| match (r.lease, r.error) {
                (_, Some(e)) => Err(from_error_wire(e)),
                (Some(l), None) => l.try_into(),
                (None, None) => Err(Error::Unavailable(
                    "RenewLeases answered an empty result".into(),
                )),
            })
            .collect())
    }

    fn checkpoint(&self, key: &LeaseKey, expected: u64, checkpoint: Checkpoint) -> Result<Lease> {
        let req = Request {
            checkpoint: Some((&checkpoint).into()),
            ..Self::fenced(key, expected)
        };
        self.lease("Checkpoint", &req)
    }

    fn set_children(&self, key: &LeaseKey, expected: u64, children: Vec<String>) -> Result<Lease> {
        let req = Request {
            child_shard_ids: Some(children),
            ..Self::fenced(key, expected)
        };
        self.lease("SetChildShards", &req)
    }

    fn evict(&self, key: &LeaseKey, expected: u64) -> Result<Lease> {
        self.lease("EvictLease", &Self::fenced(key, expected))
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
        let l = r.take(&key, l.counter, "w1", 1_000, false)?;
        assert_eq!(l.owner.as_deref(), Some("w1"));
        let renewed = r.renew(&[(key.clone(), l.counter), (key.clone(), 99)], 2_000)?;
        let l = renewed[0]
            .as_ref()
            .map_err(|e| Error::Unavailable(e.to_string()))?
            .clone();
        assert!(matches!(
            renewed[1],
            Err(Error::LeaseConflict { expected: 99, .. })
        ));
        let err = r.take(&key, l.counter, "w2", 2_001, false);
        assert!(
            matches!(err, Err(Error::LeaseHeld { ref owner, .. }) if owner == "w1"),
            "{err:?}"
        );
        let l = r.checkpoint(&key, l.counter, Checkpoint::ShardEnd)?;
        let l = r.set_children(&key, l.counter, vec!["shardId-000000000002".into()])?;
        let l = r.evict(&key, l.counter)?;
        assert_eq!(r.get(&key)?, Some(l.clone()));
        assert_eq!(r.list("app", "s")?, std::slice::from_ref(&l));
        assert_eq!(
            (l.owner, l.checkpoint, l.child_shard_ids.len()),
            (None, Checkpoint::ShardEnd, 1)
        );
        let missing = r.evict(&LeaseKey::new("app", "s", "nope"), 0);
        assert!(matches!(missing, Err(Error::LeaseNotFound { .. })));
        Ok(())
    }

    #[test]
    fn malformed_requests_get_clear_errors() {
        let (_dir, r) = remote();
        let service = &r.transport;
        for (op, body) in [
            ("TakeLease", &b"{}"[..]),
            ("ListLeases", b"not json"),
            ("Frobnicate", b"{}"),
            ("Checkpoint", br#"{"Key":{"Application":"a","Stream":"s","ShardId":"x"},"ExpectedCounter":0,"Checkpoint":{"Value":"12x"}}"#),
        ] {
            let (status, body) = service.handle(op, body);
            let text = String::from_utf8_lossy(&body);
            assert_eq!(status, 400, "{op}: {text}");
            assert!(text.contains("__type"), "{op}: {text}");
        }
    }
}
