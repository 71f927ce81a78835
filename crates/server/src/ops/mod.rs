//! The Kinesis operations: each one's input shape (for validation) and its handler.
//!
//! Handlers take the request as its typed input (`crate::shapes`, decoded straight from the body
//! and checked against the model), call the engine (on a blocking thread: engine calls fsync) and
//! return the typed output, or `()` for operations without output. One encoder per protocol
//! writes every answer ([`Encoding::encode`]).

mod channels;
#[cfg(test)]
mod conformance;
mod consumers;
#[cfg(test)]
mod model_check;
mod queues;
mod records;
mod settings;
mod shards;
mod streams;
mod subscribe;

use crate::body::Body;
use crate::codec::Encoding;
use crate::error::ApiError;
use crate::shapes;
use crate::validate::Member;
use crate::wire::{EncodedSize, Timestamp, Valid};
use crate::Shared;
use bytes::Bytes;
use shardlog::{Store, StreamDescription};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use consumers::resolve_consumer_arn;
pub(crate) use records::{children, record, starting_position};
pub(crate) use shards::parse_shard;
pub(crate) use subscribe::Active;

/// A handler: the store and the validated input in, the output out.
pub(crate) enum Handler {
    /// A typed handler behind [`typed!`]: decodes the body against the input members, runs,
    /// encodes.
    Typed(TypedHandler),
    /// A typed handler that long-polls (the queue receives, `WaitTimeSeconds`): each call tries
    /// once without waiting; [`Operation::run`] calls it again, sleeping on the runtime between
    /// tries, until it finds something or the wait is over.
    Polling(PollingHandler),
    /// A stream of events (SubscribeToShard): the handler opens it, errors before the first event
    /// are ordinary error answers.
    Events(for<'a> fn(&'a Arc<Shared>, &'static [Member], Bytes, Encoding) -> Opening<'a>),
}

/// A typed handler with its types erased: the store, the input members (for AWS's refusal texts),
/// the body and its encoding in; the encoded answer out.
pub(crate) type TypedHandler =
    fn(&Store, &'static [Member], &[u8], Encoding) -> Result<Vec<u8>, ApiError>;

/// A [`Handler::Polling`] with its types erased: as [`TypedHandler`], and the answer says
/// whether the try found anything and how long the request may wait.
pub(crate) type PollingHandler =
    fn(&Store, &'static [Member], &[u8], Encoding) -> Result<Polled, ApiError>;

/// One try of a long poll.
pub(crate) struct Polled {
    /// The encoded answer of this try.
    answer: Vec<u8>,
    /// The try found something: answer it now.
    found: bool,
    /// The request's whole wait (`WaitTimeSeconds`).
    wait: Duration,
}

/// A request that may wait (`WaitTimeSeconds`).
pub(crate) trait LongPoll {
    fn wait(&self) -> Duration;
}

/// An answer that may be empty (a long poll tries again on an empty one).
pub(crate) trait Found {
    fn found(&self) -> bool;
}

/// First pause between the tries of a long poll; it doubles up to [`MAX_POLL_PAUSE`].
const FIRST_POLL_PAUSE: Duration = Duration::from_millis(2);
/// Longest pause between the tries of a long poll: how late a waiting receive may see a record.
const MAX_POLL_PAUSE: Duration = Duration::from_millis(20);

/// A [`Handler::Polling`] of a handler function `fn(&Store, Input) -> Result<Output, ApiError>`
/// whose input is [`LongPoll`] and output [`Found`].
macro_rules! polling {
    ($handler:path) => {
        crate::ops::Handler::Polling(|store, members, body, encoding| {
            crate::ops::run_polling(store, members, body, encoding, $handler)
        })
    };
}
pub(crate) use polling;

/// Decodes a request into `I`, runs `handler` once and encodes its answer, saying whether it
/// found anything.
pub(crate) fn run_polling<I, O>(
    store: &Store,
    members: &'static [Member],
    body: &[u8],
    encoding: Encoding,
    handler: fn(&Store, I) -> Result<O, ApiError>,
) -> Result<Polled, ApiError>
where
    I: serde::de::DeserializeOwned + Valid + LongPoll,
    O: serde::Serialize + EncodedSize + Found,
{
    let input = encoding.decode_typed::<I>(body, members)?;
    let wait = input.wait();
    let output = handler(store, input)?;
    Ok(Polled {
        found: output.found(),
        answer: encoding.encode_sized(&output),
        wait,
    })
}

/// A [`Handler::Typed`] of a handler function `fn(&Store, Input) -> Result<Output, ApiError>`.
macro_rules! typed {
    ($handler:path) => {
        crate::ops::Handler::Typed(|store, members, body, encoding| {
            crate::ops::run_typed(store, members, body, encoding, $handler)
        })
    };
}
pub(crate) use typed;

/// Decodes a request into `I`, runs `handler` and encodes its answer.
pub(crate) fn run_typed<I, O>(
    store: &Store,
    members: &'static [Member],
    body: &[u8],
    encoding: Encoding,
    handler: fn(&Store, I) -> Result<O, ApiError>,
) -> Result<Vec<u8>, ApiError>
where
    I: serde::de::DeserializeOwned + Valid,
    O: serde::Serialize + EncodedSize,
{
    let input = encoding.decode_typed::<I>(body, members)?;
    Ok(encoding.encode_sized(&handler(store, input)?))
}

/// A stream of events being opened.
pub(crate) type Opening<'a> = Pin<Box<dyn Future<Output = Result<Body, ApiError>> + Send + 'a>>;

/// An operation's answer.
pub(crate) enum Reply {
    /// One encoded response.
    Whole(Vec<u8>),
    /// An event stream (`application/vnd.amazon.eventstream`).
    Events(Body),
}

/// An operation: its name (the part of `X-Amz-Target` after the dot), input shape and handler.
pub(crate) struct Operation {
    pub name: &'static str,
    pub input: &'static [Member],
    handler: Handler,
}

/// Every operation, request/response and streaming alike.
const OPERATIONS: &[Operation] = &[
    streams::CREATE_STREAM,
    streams::DELETE_STREAM,
    streams::DESCRIBE_STREAM,
    streams::DESCRIBE_STREAM_SUMMARY,
    streams::LIST_STREAMS,
    streams::INCREASE_RETENTION,
    streams::DECREASE_RETENTION,
    streams::ADD_TAGS,
    streams::REMOVE_TAGS,
    streams::LIST_TAGS,
    streams::UPDATE_STREAM_MODE,
    shards::LIST_SHARDS,
    shards::SPLIT_SHARD,
    shards::MERGE_SHARDS,
    shards::UPDATE_SHARD_COUNT,
    records::PUT_RECORD,
    records::PUT_RECORDS,
    records::GET_SHARD_ITERATOR,
    records::GET_RECORDS,
    consumers::REGISTER,
    consumers::DESCRIBE,
    consumers::LIST,
    consumers::DEREGISTER,
    subscribe::SUBSCRIBE_TO_SHARD,
    queues::CREATE,
    queues::DESCRIBE,
    queues::LIST,
    queues::UPDATE,
    queues::DELETE,
    queues::RECEIVE,
    queues::ACKNOWLEDGE,
    queues::VISIBILITY_OP,
    queues::RECEIVE_DEAD,
    queues::ACKNOWLEDGE_DEAD,
    queues::VISIBILITY_DEAD,
    queues::RESTORE_DEAD,
    channels::CREATE,
    channels::DESCRIBE,
    channels::LIST,
    channels::UPDATE,
    channels::DELETE,
    settings::DESCRIBE_LIMITS,
    settings::ENABLE_ENHANCED_MONITORING,
    settings::DISABLE_ENHANCED_MONITORING,
    settings::START_STREAM_ENCRYPTION,
    settings::STOP_STREAM_ENCRYPTION,
    settings::TAG_RESOURCE,
    settings::UNTAG_RESOURCE,
    settings::LIST_TAGS_FOR_RESOURCE,
    settings::PUT_RESOURCE_POLICY,
    settings::GET_RESOURCE_POLICY,
    settings::DELETE_RESOURCE_POLICY,
    settings::DESCRIBE_ACCOUNT_SETTINGS,
    settings::UPDATE_ACCOUNT_SETTINGS,
    settings::UPDATE_STREAM_WARM_THROUGHPUT,
    settings::UPDATE_STREAM_RECORD_DISTRIBUTION_STRATEGY,
    settings::UPDATE_MAX_RECORD_SIZE,
];

/// The names of the request/response operations, in table order.
pub(crate) fn names() -> Vec<&'static str> {
    OPERATIONS
        .iter()
        .filter(|op| !op.streams())
        .map(|op| op.name)
        .collect()
}

/// Finds an operation by name.
pub(crate) fn find(name: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.name == name)
}

impl Operation {
    /// True for an operation that answers with an event stream.
    pub fn streams(&self) -> bool {
        matches!(self.handler, Handler::Events(_))
    }

    /// Decodes and validates the body, runs a request/response handler and encodes its output (an
    /// operation without output answers an empty body). A streaming operation is refused: it
    /// needs [`Operation::run`].
    pub fn call(
        &self,
        store: &Store,
        body: &[u8],
        encoding: Encoding,
    ) -> Result<Vec<u8>, ApiError> {
        match self.handler {
            Handler::Typed(handler) => handler(store, self.input, body, encoding),
            Handler::Polling(handler) => Ok(handler(store, self.input, body, encoding)?.answer),
            Handler::Events(..) => Err(ApiError::new("UnknownOperationException", "")),
        }
    }

    /// Runs the operation for the server: request/response handlers on a blocking thread (engine
    /// calls fsync), streaming ones on the runtime. ARNs in the answer name `region` (the one the
    /// request was signed for) when it is a region name, else the store's.
    pub async fn run(
        &'static self,
        shared: &Arc<Shared>,
        body: Bytes,
        encoding: Encoding,
        region: Option<&str>,
    ) -> Result<Reply, ApiError> {
        if let Handler::Events(open) = self.handler {
            return Ok(Reply::Events(
                open(shared, self.input, body, encoding).await?,
            ));
        }
        let store = region
            .and_then(|r| shared.store.in_region(r).ok())
            .unwrap_or_else(|| shared.store.clone());
        if let Handler::Polling(try_once) = self.handler {
            return self.poll(shared, store, body, encoding, try_once).await;
        }
        tokio::task::spawn_blocking(move || self.call(&store, &body, encoding))
            .await
            .unwrap_or_else(|_| Err(ApiError::internal("Internal Service Failure")))
            .map(Reply::Whole)
    }
}

impl Operation {
    /// A long poll: tries on a blocking thread that does not wait, and sleeps on the runtime
    /// between them (holding no thread), until a try finds something, the request's wait is over
    /// or the server is stopping. The request holds its in-flight permit while it waits.
    async fn poll(
        &'static self,
        shared: &Arc<Shared>,
        store: Store,
        body: Bytes,
        encoding: Encoding,
        try_once: PollingHandler,
    ) -> Result<Reply, ApiError> {
        let started = tokio::time::Instant::now();
        let mut pause = FIRST_POLL_PAUSE;
        loop {
            let (store, body) = (store.clone(), body.clone());
            let polled =
                tokio::task::spawn_blocking(move || try_once(&store, self.input, &body, encoding))
                    .await
                    .unwrap_or_else(|_| Err(ApiError::internal("Internal Service Failure")))?;
            let left = polled.wait.saturating_sub(started.elapsed());
            if polled.found || left.is_zero() || shared.stopping.load(Ordering::Relaxed) {
                return Ok(Reply::Whole(polled.answer));
            }
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(MAX_POLL_PAUSE);
        }
    }
}

/// The stream a request names by `StreamName`, `StreamARN` or both (which must agree).
pub(crate) fn stream_of(name: Option<&str>, arn: Option<&str>) -> Result<String, ApiError> {
    match (name, arn.map(stream_from_arn)) {
        (Some(n), Some(a)) if n != a => Err(ApiError::invalid(format!(
            "StreamARN {} and StreamName {n} do not name the same stream.",
            arn.unwrap_or_default()
        ))),
        (Some(n), _) => Ok(n.to_string()),
        (None, Some(a)) => Ok(a.to_string()),
        (None, None) => Err(ApiError::invalid(
            "Either StreamName or StreamARN should be provided.",
        )),
    }
}

/// The stream name of a (validated) stream ARN: what follows `:stream/`.
pub(crate) fn stream_from_arn(arn: &str) -> &str {
    arn.rsplit_once(":stream/").map_or(arn, |(_, name)| name)
}

/// A count as the model's integers carry it.
pub(crate) fn int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A tag as the model lists it.
pub(crate) fn tag((key, value): (String, String)) -> shapes::Tag {
    shapes::Tag {
        key,
        value: Some(value),
    }
}

/// A capacity mode as the model names it.
pub(crate) fn mode_details(mode: shardlog::StreamMode) -> shapes::StreamModeDetails {
    let mode = match mode {
        shardlog::StreamMode::OnDemand => "ON_DEMAND",
        _ => "PROVISIONED",
    };
    shapes::StreamModeDetails {
        stream_mode: mode.into(),
    }
}

/// The members DescribeStream and DescribeStreamSummary share, in a summary whose other members
/// are left at their defaults for DescribeStreamSummary to fill (DescribeStream moves the shared
/// ones into its own structure).
pub(crate) fn stream_header(d: &StreamDescription) -> shapes::StreamDescriptionSummary {
    let key_id = d.settings.kms_key_id.clone();
    shapes::StreamDescriptionSummary {
        stream_name: d.name.clone(),
        stream_arn: d.arn.clone(),
        stream_status: d.status.into(),
        stream_mode_details: Some(mode_details(d.mode)),
        retention_period_hours: d.retention_hours.into(),
        stream_creation_timestamp: Timestamp(d.created_ms),
        enhanced_monitoring: vec![shapes::EnhancedMetrics {
            shard_level_metrics: Some(d.settings.shard_level_metrics.clone()),
        }],
        encryption_type: Some(if key_id.is_some() { "KMS" } else { "NONE" }.into()),
        key_id,
        ..Default::default()
    }
}

/// The input members every stream-scoped operation accepts.
macro_rules! ident {
    () => {
        crate::validate::opt("StreamName", &crate::validate::STREAM_NAME)
    };
    (arn) => {
        crate::validate::opt("StreamARN", &crate::validate::STREAM_ARN)
    };
    (id) => {
        crate::validate::opt("StreamId", &crate::validate::STREAM_ID)
    };
}
pub(crate) use ident;
