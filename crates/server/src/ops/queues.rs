//! Queues (`shardlog::Store::create_queue` and its kin): CreateQueue, DescribeQueue, ListQueues,
//! UpdateQueue, DeleteQueue, ReceiveQueueRecords, AcknowledgeQueueRecords,
//! UpdateQueueRecordsVisibility and the four dead-letter calls.
//!
//! The two receives long-poll (`WaitTimeSeconds`, 1–20 s) without holding a thread: each try runs
//! on a blocking thread and does not wait, and between tries the request sleeps on the runtime
//! ([`super::Handler::Polling`]). Queues are created and deleted before the call returns, so they
//! are `ACTIVE` from the first answer on (AWS passes through `CREATING`).

use super::{polling, stream_from_arn, typed, LongPoll, Operation};
use crate::error::ApiError;
use crate::shapes;
use crate::validate::{
    limit, opt, req, Member, Shape, NEXT_TOKEN, QUEUE_ARN, STREAM_ARN, TAG_MAP, TIMESTAMP,
};
use crate::wire::{Blob, Timestamp};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use shardlog::{
    CreateQueue, DeadLetterConfiguration, DeadLetterTarget, QueueAttributes, QueueBatchOutput,
    QueueDescription, QueueRecord, QueueStartingPosition, ReceiveQueueRecords, Store,
};
use std::time::Duration;

const QUEUE_NAME: Shape = crate::validate::STREAM_NAME;
const VISIBILITY: Shape = Shape::Int {
    min: Some(0),
    max: Some(43_200),
};
const ATTRIBUTES: Shape = Shape::Struct(&[
    opt("VisibilityTimeoutSeconds", &VISIBILITY),
    opt(
        "DeadLetterConfiguration",
        &Shape::Struct(&[
            req("TargetType", &Shape::Enum(&["BUILT_IN", "NONE"])),
            opt("MaxReceiveCount", &limit(1_000)),
        ]),
    ),
]);
const RECEIPT_HANDLE: Shape = Shape::Str {
    min: 1,
    max: 1024,
    pattern: None,
};
/// The receipt handles of a batch request's entries.
macro_rules! handles {
    ($input:expr) => {
        $input
            .entries
            .iter()
            .map(|e| e.receipt_handle.as_str())
            .collect::<Vec<&str>>()
    };
}

/// The receipt handles and visibility timeouts of a batch request's entries.
macro_rules! timeouts {
    ($input:expr) => {
        $input
            .entries
            .iter()
            .map(|e| {
                Ok((
                    e.receipt_handle.as_str(),
                    seconds(e.visibility_timeout_seconds)?,
                ))
            })
            .collect::<Result<Vec<_>, ApiError>>()?
    };
}

/// A batch call's answer in the operation's own generated types: its output, the entry of a
/// handle that took effect and the entry of one that failed.
macro_rules! batch_answer {
    ($out:expr, $output:ident, $ok:ident, $err:ident) => {
        shapes::$output {
            successful: ok_entries(&$out, |receipt_handle| shapes::$ok { receipt_handle }),
            failed: failed_entries($out, |receipt_handle, error_code, error_message| {
                shapes::$err {
                    receipt_handle,
                    error_code,
                    error_message,
                }
            }),
        }
    };
}

pub(super) const CREATE: Operation = Operation {
    name: "CreateQueue",
    input: &[
        req("QueueName", &QUEUE_NAME),
        req(
            "StreamConfigurationList",
            &Shape::List {
                min: 1,
                max: 10_000,
                member: &Shape::Struct(&[
                    req("StreamARN", &STREAM_ARN),
                    opt(
                        "StartingPosition",
                        &Shape::Struct(&[
                            req(
                                "Type",
                                &Shape::Enum(&["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"]),
                            ),
                            opt("Timestamp", &TIMESTAMP),
                        ]),
                    ),
                ]),
            },
        ),
        opt("QueueAttributes", &ATTRIBUTES),
        opt("Tags", &TAG_MAP),
    ],
    handler: typed!(create),
};

fn create(
    store: &Store,
    i: shapes::CreateQueueInput,
) -> Result<shapes::CreateQueueOutput, ApiError> {
    let [config] = i.stream_configuration_list.as_slice() else {
        return Err(ApiError::invalid(
            "StreamConfigurationList must name exactly one stream: a queue reads one stream.",
        ));
    };
    let start = match &config.starting_position {
        None => QueueStartingPosition::default(),
        Some(p) => match (p.r#type.as_str(), p.timestamp) {
            ("TRIM_HORIZON", None) => QueueStartingPosition::TrimHorizon,
            ("LATEST", None) => QueueStartingPosition::Latest,
            ("AT_TIMESTAMP", Some(Timestamp(ms))) => QueueStartingPosition::AtTimestamp(ms),
            ("AT_TIMESTAMP", None) => {
                return Err(ApiError::invalid(
                    "StartingPosition of type AT_TIMESTAMP needs a Timestamp.",
                ))
            }
            (kind, _) => {
                return Err(ApiError::invalid(format!(
                    "StartingPosition of type {kind} takes no Timestamp."
                )))
            }
        },
    };
    let mut req = CreateQueue::new(&i.queue_name, stream_from_arn(&config.stream_arn))
        .starting_at(start)
        .with_attributes(attributes(i.queue_attributes.as_ref())?);
    req.tags = i.tags.unwrap_or_default();
    Ok(shapes::CreateQueueOutput {
        queue_description: description(store.create_queue(req)?),
    })
}

pub(super) const DESCRIBE: Operation = Operation {
    name: "DescribeQueue",
    input: &[req("QueueARN", &QUEUE_ARN)],
    handler: typed!(describe),
};

fn describe(
    store: &Store,
    i: shapes::DescribeQueueInput,
) -> Result<shapes::DescribeQueueOutput, ApiError> {
    Ok(shapes::DescribeQueueOutput {
        queue_description: description(store.describe_queue(&i.queue_arn)?),
    })
}

pub(super) const LIST: Operation = Operation {
    name: "ListQueues",
    input: &[
        opt("MaxResults", &limit(10_000)),
        opt("NextToken", &NEXT_TOKEN),
        opt(
            "StreamFilter",
            &Shape::List {
                min: 1,
                max: 10_000,
                member: &Shape::Struct(&[
                    req("StreamARN", &STREAM_ARN),
                    opt("StreamCreationTimestamp", &TIMESTAMP),
                ]),
            },
        ),
    ],
    handler: typed!(list),
};

/// Most queues one ListQueues page holds, whatever MaxResults asks (as ListStreamConsumers).
const PAGE: usize = 100;

fn list(store: &Store, i: shapes::ListQueuesInput) -> Result<shapes::ListQueuesOutput, ApiError> {
    let mut all = match &i.stream_filter {
        None => store.list_queues(None)?,
        Some(filters) => {
            let mut out = Vec::new();
            for f in filters {
                out.extend(store.list_queues(Some(stream_from_arn(&f.stream_arn)))?);
            }
            out
        }
    };
    all.sort_by(|a, b| a.queue_name.cmp(&b.queue_name));
    all.dedup_by(|a, b| a.queue_arn == b.queue_arn);
    let skip = match &i.next_token {
        Some(t) => decode_token(t)?,
        None => 0,
    };
    let page = usize::try_from(i.max_results.unwrap_or(100))
        .unwrap_or(PAGE)
        .min(PAGE);
    let queue_summaries = all
        .iter()
        .skip(skip)
        .take(page)
        .map(|q| shapes::QueueSummary {
            queue_name: q.queue_name.clone(),
            queue_arn: q.queue_arn.clone(),
            queue_status: q.queue_status.as_str().into(),
            queue_creation_timestamp: Timestamp(q.queue_creation_timestamp_ms),
            streams: vec![shapes::QueueStreamIdentifier {
                stream_arn: q.stream_arn.clone(),
                stream_creation_timestamp: Timestamp(q.stream_creation_timestamp_ms),
            }],
        })
        .collect();
    let next_token = (skip.saturating_add(page) < all.len()).then(|| encode_token(skip + page));
    Ok(shapes::ListQueuesOutput {
        queue_summaries,
        next_token,
    })
}

/// The NextToken of a queue listing: how many queues came before and when it was issued, as
/// base64url JSON (it expires as AWS's do; it carries no secret).
pub(super) fn encode_token(skip: usize) -> String {
    let body = json!({"q": skip, "i": super::shards::now_ms()});
    URL_SAFE_NO_PAD.encode(body.to_string())
}

pub(super) fn decode_token(token: &str) -> Result<usize, ApiError> {
    let invalid = || ApiError::invalid(format!("Invalid NextToken: {token}"));
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let num = |k: &str| v.get(k).and_then(Value::as_u64).ok_or_else(invalid);
    super::shards::check_token_age(num("i")?)?;
    usize::try_from(num("q")?).map_err(|_| invalid())
}

pub(super) const UPDATE: Operation = Operation {
    name: "UpdateQueue",
    input: &[
        req("QueueARN", &QUEUE_ARN),
        req("QueueAttributes", &ATTRIBUTES),
    ],
    handler: typed!(update),
};

fn update(
    store: &Store,
    i: shapes::UpdateQueueInput,
) -> Result<shapes::UpdateQueueOutput, ApiError> {
    let attrs = attributes(Some(&i.queue_attributes))?;
    Ok(shapes::UpdateQueueOutput {
        queue_description: description(store.update_queue(&i.queue_arn, attrs)?),
    })
}

pub(super) const DELETE: Operation = Operation {
    name: "DeleteQueue",
    input: &[req("QueueARN", &QUEUE_ARN)],
    handler: typed!(delete),
};

fn delete(store: &Store, i: shapes::DeleteQueueInput) -> Result<(), ApiError> {
    store.delete_queue(&i.queue_arn)?;
    Ok(())
}

const RECEIVE_INPUT: &[Member] = &[
    req("QueueARN", &QUEUE_ARN),
    opt("Limit", &limit(10)),
    opt(
        "WaitTimeSeconds",
        &Shape::Int {
            min: Some(1),
            max: Some(20),
        },
    ),
    opt("VisibilityTimeoutSeconds", &VISIBILITY),
];

pub(super) const RECEIVE: Operation = Operation {
    name: "ReceiveQueueRecords",
    input: RECEIVE_INPUT,
    handler: polling!(receive),
};

fn receive(
    store: &Store,
    i: shapes::ReceiveQueueRecordsInput,
) -> Result<shapes::ReceiveQueueRecordsOutput, ApiError> {
    let req = try_receive(i.limit, i.visibility_timeout_seconds)?;
    let got = store.receive_queue_records_with(&i.queue_arn, req)?;
    Ok(shapes::ReceiveQueueRecordsOutput {
        queue_records: got.into_iter().map(queue_record).collect(),
    })
}

pub(super) const RECEIVE_DEAD: Operation = Operation {
    name: "ReceiveDeadLetterQueueRecords",
    input: RECEIVE_INPUT,
    handler: polling!(receive_dead),
};

fn receive_dead(
    store: &Store,
    i: shapes::ReceiveDeadLetterQueueRecordsInput,
) -> Result<shapes::ReceiveDeadLetterQueueRecordsOutput, ApiError> {
    let req = try_receive(i.limit, i.visibility_timeout_seconds)?;
    let got = store.receive_dead_letter_queue_records_with(&i.queue_arn, req)?;
    Ok(shapes::ReceiveDeadLetterQueueRecordsOutput {
        queue_records: got.into_iter().map(queue_record).collect(),
    })
}

/// One try of a receive: it does not wait (the server waits between tries).
fn try_receive(
    limit: Option<i64>,
    visibility: Option<i64>,
) -> Result<ReceiveQueueRecords, ApiError> {
    Ok(ReceiveQueueRecords {
        limit: limit
            .map_or(Ok(shardlog::MAX_QUEUE_BATCH), usize::try_from)
            .map_err(|_| ApiError::invalid("Limit is out of range."))?,
        wait: Duration::ZERO,
        visibility_timeout_seconds: visibility.map(seconds).transpose()?,
    })
}

fn wait_of(seconds: Option<i64>) -> Duration {
    Duration::from_secs(seconds.and_then(|s| u64::try_from(s).ok()).unwrap_or(0))
}

impl LongPoll for shapes::ReceiveQueueRecordsInput {
    fn wait(&self) -> Duration {
        wait_of(self.wait_time_seconds)
    }
}

impl LongPoll for shapes::ReceiveDeadLetterQueueRecordsInput {
    fn wait(&self) -> Duration {
        wait_of(self.wait_time_seconds)
    }
}

impl super::Found for shapes::ReceiveQueueRecordsOutput {
    fn found(&self) -> bool {
        !self.queue_records.is_empty()
    }
}

impl super::Found for shapes::ReceiveDeadLetterQueueRecordsOutput {
    fn found(&self) -> bool {
        !self.queue_records.is_empty()
    }
}

const HANDLE_ENTRY: Shape = Shape::Struct(&[req("ReceiptHandle", &RECEIPT_HANDLE)]);
const VISIBILITY_ENTRY: Shape = Shape::Struct(&[
    req("ReceiptHandle", &RECEIPT_HANDLE),
    req("VisibilityTimeoutSeconds", &VISIBILITY),
]);
/// The entries of a batch call: 1–10.
const HANDLES_INPUT: &[Member] = &[
    req("QueueARN", &QUEUE_ARN),
    req(
        "Entries",
        &Shape::List {
            min: 1,
            max: 10,
            member: &HANDLE_ENTRY,
        },
    ),
];
const VISIBILITY_INPUT: &[Member] = &[
    req("QueueARN", &QUEUE_ARN),
    req(
        "Entries",
        &Shape::List {
            min: 1,
            max: 10,
            member: &VISIBILITY_ENTRY,
        },
    ),
];

pub(super) const ACKNOWLEDGE: Operation = Operation {
    name: "AcknowledgeQueueRecords",
    input: HANDLES_INPUT,
    handler: typed!(acknowledge),
};

fn acknowledge(
    store: &Store,
    i: shapes::AcknowledgeQueueRecordsInput,
) -> Result<shapes::AcknowledgeQueueRecordsOutput, ApiError> {
    let out = store.acknowledge_queue_records(&i.queue_arn, &handles!(i))?;
    Ok(batch_answer!(
        out,
        AcknowledgeQueueRecordsOutput,
        AcknowledgeQueueRecordsResultEntry,
        AcknowledgeQueueRecordsErrorEntry
    ))
}

pub(super) const VISIBILITY_OP: Operation = Operation {
    name: "UpdateQueueRecordsVisibility",
    input: VISIBILITY_INPUT,
    handler: typed!(visibility),
};

fn visibility(
    store: &Store,
    i: shapes::UpdateQueueRecordsVisibilityInput,
) -> Result<shapes::UpdateQueueRecordsVisibilityOutput, ApiError> {
    let out = store.update_queue_records_visibility(&i.queue_arn, &timeouts!(i))?;
    Ok(batch_answer!(
        out,
        UpdateQueueRecordsVisibilityOutput,
        UpdateQueueRecordsVisibilityResultEntry,
        UpdateQueueRecordsVisibilityErrorEntry
    ))
}

pub(super) const ACKNOWLEDGE_DEAD: Operation = Operation {
    name: "AcknowledgeDeadLetterQueueRecords",
    input: HANDLES_INPUT,
    handler: typed!(acknowledge_dead),
};

fn acknowledge_dead(
    store: &Store,
    i: shapes::AcknowledgeDeadLetterQueueRecordsInput,
) -> Result<shapes::AcknowledgeDeadLetterQueueRecordsOutput, ApiError> {
    let out = store.acknowledge_dead_letter_queue_records(&i.queue_arn, &handles!(i))?;
    Ok(batch_answer!(
        out,
        AcknowledgeDeadLetterQueueRecordsOutput,
        AcknowledgeDeadLetterQueueRecordsResultEntry,
        AcknowledgeDeadLetterQueueRecordsErrorEntry
    ))
}

pub(super) const VISIBILITY_DEAD: Operation = Operation {
    name: "UpdateDeadLetterQueueRecordsVisibility",
    input: VISIBILITY_INPUT,
    handler: typed!(visibility_dead),
};

fn visibility_dead(
    store: &Store,
    i: shapes::UpdateDeadLetterQueueRecordsVisibilityInput,
) -> Result<shapes::UpdateDeadLetterQueueRecordsVisibilityOutput, ApiError> {
    let out = store.update_dead_letter_queue_records_visibility(&i.queue_arn, &timeouts!(i))?;
    Ok(batch_answer!(
        out,
        UpdateDeadLetterQueueRecordsVisibilityOutput,
        UpdateDeadLetterQueueRecordsVisibilityResultEntry,
        UpdateDeadLetterQueueRecordsVisibilityErrorEntry
    ))
}

pub(super) const RESTORE_DEAD: Operation = Operation {
    name: "RestoreDeadLetterQueueRecords",
    input: HANDLES_INPUT,
    handler: typed!(restore_dead),
};

fn restore_dead(
    store: &Store,
    i: shapes::RestoreDeadLetterQueueRecordsInput,
) -> Result<shapes::RestoreDeadLetterQueueRecordsOutput, ApiError> {
    let out = store.restore_dead_letter_queue_records(&i.queue_arn, &handles!(i))?;
    Ok(batch_answer!(
        out,
        RestoreDeadLetterQueueRecordsOutput,
        RestoreDeadLetterQueueRecordsResultEntry,
        RestoreDeadLetterQueueRecordsErrorEntry
    ))
}

/// The handles of a batch that took effect, as the operation's result entries.
fn ok_entries<T>(out: &QueueBatchOutput, entry: impl Fn(String) -> T) -> Vec<T> {
    out.successful.iter().cloned().map(entry).collect()
}

/// The handles of a batch that failed, as the operation's error entries.
fn failed_entries<T>(
    out: QueueBatchOutput,
    entry: impl Fn(String, String, Option<String>) -> T,
) -> Vec<T> {
    out.failed
        .into_iter()
        .map(|f| entry(f.receipt_handle, f.error_code.into(), Some(f.error_message)))
        .collect()
}

/// A (validated, 0–43,200) number of seconds.
fn seconds(v: i64) -> Result<u32, ApiError> {
    u32::try_from(v).map_err(|_| ApiError::invalid(format!("{v} seconds is out of range.")))
}

/// The engine's attributes of the model's `QueueAttributes`.
fn attributes(a: Option<&shapes::QueueAttributes>) -> Result<QueueAttributes, ApiError> {
    let Some(a) = a else {
        return Ok(QueueAttributes::default());
    };
    let dead_letter_configuration = match &a.dead_letter_configuration {
        None => None,
        Some(d) => Some(DeadLetterConfiguration {
            target_type: match d.target_type.as_str() {
                "NONE" => DeadLetterTarget::None,
                _ => DeadLetterTarget::BuiltIn,
            },
            max_receive_count: d.max_receive_count.map(seconds).transpose()?,
        }),
    };
    Ok(QueueAttributes {
        visibility_timeout_seconds: a.visibility_timeout_seconds.map(seconds).transpose()?,
        dead_letter_configuration,
    })
}

/// A queue as CreateQueue, DescribeQueue and UpdateQueue answer it.
fn description(d: QueueDescription) -> shapes::QueueDescription {
    let (kind, timestamp) = match d.starting_position {
        QueueStartingPosition::TrimHorizon => ("TRIM_HORIZON", None),
        QueueStartingPosition::Latest => ("LATEST", None),
        QueueStartingPosition::AtTimestamp(ms) => ("AT_TIMESTAMP", Some(Timestamp(ms))),
    };
    let dead = d.dead_letter_configuration;
    shapes::QueueDescription {
        queue_name: d.queue_name,
        queue_arn: d.queue_arn,
        queue_status: d.queue_status.as_str().into(),
        queue_creation_timestamp: Timestamp(d.queue_creation_timestamp_ms),
        stream_configuration_list: vec![shapes::QueueStreamConfiguration {
            stream_arn: d.stream_arn,
            starting_position: Some(shapes::QueueStartingPosition {
                r#type: kind.into(),
                timestamp,
            }),
        }],
        queue_attributes: Some(shapes::QueueAttributes {
            visibility_timeout_seconds: Some(d.visibility_timeout_seconds.into()),
            dead_letter_configuration: Some(shapes::DeadLetterConfiguration {
                target_type: match dead.target_type {
                    DeadLetterTarget::BuiltIn => "BUILT_IN",
                    DeadLetterTarget::None => "NONE",
                }
                .into(),
                max_receive_count: dead.max_receive_count.map(i64::from),
            }),
        }),
    }
}

/// A received record as the two receives answer it. A record written without a key (an `AUTO`
/// stream) has none, as in GetRecords.
fn queue_record(r: QueueRecord) -> shapes::QueueRecord {
    shapes::QueueRecord {
        receipt_handle: r.receipt_handle,
        record_id: r.record_id,
        partition_key: (!r.record.partition_key.is_empty())
            .then(|| r.record.partition_key.to_string()),
        data: Blob(r.record.data),
        approximate_arrival_timestamp: Timestamp(r.record.approximate_arrival_timestamp_ms),
        first_receive_timestamp: Timestamp(r.first_receive_timestamp_ms),
        receive_count: r.receive_count.into(),
    }
}
