//! SubscribeToShard: an engine subscription pumped into an AWS event stream over a chunked
//! HTTP/1.1 response or an HTTP/2 stream, its payloads in the request's protocol (JSON or CBOR).
//!
//! The first frame is the `initial-response` event; then a `SubscribeToShardEvent` whenever records
//! arrive, and at least every few seconds without them (so `ContinuationSequenceNumber` keeps
//! moving). The stream ends after the configured lifetime (Kinesis: 5 minutes), at the end of a
//! closed shard (the last event carries `ChildShards`), when the client goes away, or at shutdown.

use super::{resolve_consumer_arn, starting_position, Handler, Opening, Operation};
use crate::body::Body;
use crate::codec::Encoding;
use crate::error::ApiError;
use crate::eventstream;
use crate::shapes;
use crate::validate::{
    opt, req, Member, Shape, BOOL, CONSUMER_ARN, ITERATOR_TYPE, SEQUENCE_NUMBER, SHARD_ID,
    STREAM_ID, TIMESTAMP,
};
use crate::wire::EncodedSize;
use crate::Shared;
use bytes::Bytes;
use serde_json::json;
use shardlog::{Store, Subscription};
use shardlog_storage::MutexExt as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// SubscribeToShard: in the operation table like every other operation.
pub(crate) const SUBSCRIBE_TO_SHARD: Operation = Operation {
    name: "SubscribeToShard",
    input: INPUT,
    handler: Handler::Events(open_events),
};

/// How long one wait for records lasts (and so how quickly shutdown is noticed).
const POLL: Duration = Duration::from_millis(500);
/// Longest quiet spell before an event without records is sent.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// A consumer may not resubscribe to a shard sooner than this; later, the new subscription
/// replaces the old one, as in Kinesis.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(5);

/// A subscription's identity: the consumer's ARN as registered and the parsed shard, so that `1`,
/// `01` and `shardId-000000000001` are one shard.
type Key = (String, shardlog::ShardId);

/// The live subscription of each (consumer, shard): when it started and its ticket.
#[derive(Debug, Default)]
pub(crate) struct Active {
    next_ticket: u64,
    by_key: std::collections::HashMap<Key, (Instant, u64)>,
}

const STARTING_POSITION: Shape = Shape::Struct(&[
    req("Type", &ITERATOR_TYPE),
    opt("SequenceNumber", &SEQUENCE_NUMBER),
    opt("Timestamp", &TIMESTAMP),
]);

const INPUT: &[Member] = &[
    req("ConsumerARN", &CONSUMER_ARN),
    opt("StreamId", &STREAM_ID),
    req("ShardId", &SHARD_ID),
    req("StartingPosition", &STARTING_POSITION),
    opt("DryRun", &BOOL),
];

fn open_events<'a>(
    shared: &'a Arc<Shared>,
    members: &'static [Member],
    body: Bytes,
    encoding: Encoding,
) -> Opening<'a> {
    Box::pin(start(shared, members, body, encoding))
}

/// Opens the subscription of a request (errors are ordinary error responses) and returns the
/// streaming body. Event payloads are encoded as the request was (CBOR or JSON), as AWS answers
/// them.
async fn start(
    shared: &Arc<Shared>,
    members: &'static [Member],
    body: Bytes,
    encoding: Encoding,
) -> Result<Body, ApiError> {
    let input = encoding.decode_typed::<shapes::SubscribeToShardInput>(&body, members)?;
    drop(body);
    let store = shared.store.clone();
    let (sub, key, (stream, consumer)) = tokio::task::spawn_blocking(move || open(&store, &input))
        .await
        .map_err(|_| ApiError::internal("Internal Service Failure"))??;
    // Refused for rate: CloudWatch's SubscribeToShard.RateExceeded.
    let ticket = claim(shared, key.clone())
        .inspect_err(|_| shared.metrics.subscribe_rate_exceeded(&stream, &consumer))?;
    // Events wait here for the client: a few at most, so a slow one holds little memory.
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    let outlet = Outlet {
        tx,
        runtime: tokio::runtime::Handle::current(),
        stall: shared.opts.subscriber_stall_timeout,
        encoding,
    };
    // AWS sends the initial response first, before any record.
    let _ = outlet.tx.try_send(Bytes::from(
        outlet.event("initial-response", &InitialResponse {}),
    ));
    let pumping = shared.clone();
    let spawned = std::thread::Builder::new()
        .name("shardlog-subscribe".into())
        .spawn(move || pump(sub, outlet, pumping, key.clone(), ticket));
    if let Err(e) = spawned {
        // The closure (and its claim) is gone with the failed spawn: free the slot here.
        shared
            .subscriptions
            .locked()
            .by_key
            .retain(|_, (_, t)| *t != ticket);
        return Err(ApiError::internal(format!(
            "could not start the subscription: {e}"
        )));
    }
    Ok(crate::body::channel(rx))
}

/// The payload of the `initial-response` event: an empty structure (`{}`).
#[derive(serde::Serialize)]
struct InitialResponse {}

impl EncodedSize for InitialResponse {
    fn encoded_size(&self) -> usize {
        2
    }
}

/// Where a subscription's events go: the response body's channel, waited on at most `stall`.
struct Outlet {
    tx: tokio::sync::mpsc::Sender<Bytes>,
    runtime: tokio::runtime::Handle,
    stall: Duration,
    encoding: Encoding,
}

impl Outlet {
    /// An event message with `payload` encoded in the request's protocol.
    fn event<T: serde::Serialize + EncodedSize>(&self, event_type: &str, payload: &T) -> Vec<u8> {
        let ct = self.encoding.event_content_type();
        let encoded = self.encoding.encode_sized(payload);
        let frame = eventstream::event(event_type, ct, &encoded);
        // The frame holds a copy: a large payload's buffer goes back for the next answer.
        crate::answer_buffers::ANSWERS.give_back(encoded);
        frame
    }

    /// An exception message ending the stream, its text encoded in the request's protocol.
    fn exception(&self, kind: &str, text: &str) -> Vec<u8> {
        let payload = self.encoding.encode(&json!({ "message": text }));
        eventstream::exception(kind, self.encoding.event_content_type(), &payload)
    }

    /// Hands one frame to the client; false once the client left or stopped reading for `stall`.
    fn send(&self, frame: Vec<u8>) -> bool {
        let send =
            async { tokio::time::timeout(self.stall, self.tx.send(Bytes::from(frame))).await };
        matches!(self.runtime.block_on(send), Ok(Ok(())))
    }
}

/// Opens the subscription; also returns the stream's and the consumer's names.
fn open(
    store: &Store,
    input: &shapes::SubscribeToShardInput,
) -> Result<(Subscription, Key, (String, String)), ApiError> {
    let (stream, consumer) = resolve_consumer_arn(store, &input.consumer_arn)?;
    let shard = super::parse_shard(store, &input.shard_id, &stream)?;
    let pos = &input.starting_position;
    let position = starting_position(
        &pos.r#type,
        pos.sequence_number.as_deref(),
        pos.timestamp.map(|t| t.0),
        (store.account_id(), &stream, shard),
    )?;
    let sub = store.subscribe(&stream, shard, position)?;
    Ok((sub, (consumer.arn, shard), (stream, consumer.name)))
}

/// Delivers events until the lifetime ends, the shard ends, the client leaves or the server stops.
fn pump(mut sub: Subscription, out: Outlet, shared: Arc<Shared>, key: Key, ticket: u64) {
    let started = Instant::now();
    let lifetime = shared.opts.subscription_lifetime;
    let mut last_sent: Option<Instant> = None;
    while started.elapsed() < lifetime && !shared.stopping.load(Ordering::Acquire) {
        if !holds(&shared, &key, ticket) {
            let text = format!("Another subscription to {} replaced this one.", key.1);
            let frame = out.exception("ResourceInUseException", &text);
            out.send(frame);
            break;
        }
        let frame = match sub.next_event(POLL) {
            Ok(ev) => {
                let quiet = last_sent.is_some_and(|t| t.elapsed() < HEARTBEAT);
                if ev.records.is_empty()
                    && ev.child_shards.is_empty()
                    && quiet
                    && !sub.is_finished()
                {
                    continue;
                }
                out.event("SubscribeToShardEvent", &event(ev))
            }
            // Retention overtook the subscriber; the engine moved it to the oldest record.
            Err(shardlog::Error::FellBehind { .. }) => continue,
            Err(e) => {
                let e = ApiError::from(e);
                let kind = if e.kind == "InternalFailure" {
                    "InternalFailureException"
                } else {
                    e.kind
                };
                out.send(out.exception(kind, &e.message));
                break;
            }
        };
        if !out.send(frame) {
            break; // the client went away, or stopped reading
        }
        last_sent = Some(Instant::now());
        if sub.is_finished() {
            break;
        }
    }
    release(&shared, &key, ticket);
    // Release the store before the body ends, so a finished shutdown holds no handle on it.
    drop(sub);
    drop(shared);
    drop(out);
}

/// Registers a new subscription of `key`, refusing one within [`RESUBSCRIBE_AFTER`] of the last.
fn claim(shared: &Shared, key: Key) -> Result<u64, ApiError> {
    let mut active = shared.subscriptions.locked();
    let max = shared.opts.max_subscriptions;
    if !active.by_key.contains_key(&key) && active.by_key.len() >= max {
        return Err(ApiError::new(
            "LimitExceededException",
            format!("This server serves at most {max} subscriptions at once; retry later."),
        ));
    }
    if let Some((since, _)) = active.by_key.get(&key) {
        if since.elapsed() < RESUBSCRIBE_AFTER {
            return Err(ApiError::new(
                "ResourceInUseException",
                format!(
                    "Another active subscription exists for consumer {} on shard {}; resubscribe after 5 seconds.",
                    key.0, key.1
                ),
            ));
        }
    }
    active.next_ticket += 1;
    let ticket = active.next_ticket;
    active.by_key.insert(key, (Instant::now(), ticket));
    Ok(ticket)
}

fn holds(shared: &Shared, key: &Key, ticket: u64) -> bool {
    let active = shared.subscriptions.locked();
    active.by_key.get(key).is_some_and(|(_, t)| *t == ticket)
}

fn release(shared: &Shared, key: &Key, ticket: u64) {
    let mut active = shared.subscriptions.locked();
    if active.by_key.get(key).is_some_and(|(_, t)| *t == ticket) {
        active.by_key.remove(key);
    }
}

/// An event as the model shapes it. Records move into it (a subscription's records are read once);
/// `ContinuationSequenceNumber` is null in the last event of a closed shard, as Kinesis sends it.
fn event(ev: shardlog::SubscriptionEvent) -> shapes::SubscribeToShardEvent {
    shapes::SubscribeToShardEvent {
        records: ev
            .records
            .into_iter()
            .map(|r| super::record(r, false))
            .collect(),
        continuation_sequence_number: ev.continuation_sequence_number.map(|c| c.to_string()),
        millis_behind_latest: i64::try_from(ev.millis_behind_latest).unwrap_or(i64::MAX),
        child_shards: (!ev.child_shards.is_empty()).then(|| super::children(&ev.child_shards)),
    }
}
