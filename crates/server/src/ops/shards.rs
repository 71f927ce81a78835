//! Shards: listing with filters and paging, splitting, merging, uniform scaling.

use super::{ident, int_of, str_of, stream_of_value, ts_of, Handler, Operation};
use crate::error::ApiError;
use crate::validate::{
    limit, opt, req, Member, Shape, HASH_KEY, NEXT_TOKEN, POSITIVE_INT, SHARD_ID, TIMESTAMP,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use shardlog::{ShardDescription, ShardId, Store};
use std::time::{SystemTime, UNIX_EPOCH};

/// Most shards one ListShards page returns.
const LIST_PAGE: usize = 1000;
/// How long a ListShards NextToken stays valid, as in Kinesis.
pub(super) const TOKEN_TTL_MS: u64 = 300_000;

/// A shard as DescribeStream and ListShards show it.
pub(super) fn shard_json(s: &ShardDescription) -> Value {
    let mut v = json!({
        "ShardId": s.shard_id.to_string(),
        "HashKeyRange": {
            "StartingHashKey": s.starting_hash_key.to_string(),
            "EndingHashKey": s.ending_hash_key.to_string(),
        },
        "SequenceNumberRange": {
            "StartingSequenceNumber": s.starting_sequence_number.to_string(),
        },
    });
    if let Some(p) = s.parent_shard_id {
        v["ParentShardId"] = json!(p.to_string());
    }
    if let Some(p) = s.adjacent_parent_shard_id {
        v["AdjacentParentShardId"] = json!(p.to_string());
    }
    if let Some(end) = s.ending_sequence_number {
        v["SequenceNumberRange"]["EndingSequenceNumber"] = json!(end.to_string());
    }
    v
}

const SHARD_FILTER: Shape = Shape::Struct(&[
    req(
        "Type",
        &Shape::Enum(&[
            "AFTER_SHARD_ID",
            "AT_TRIM_HORIZON",
            "FROM_TRIM_HORIZON",
            "AT_LATEST",
            "AT_TIMESTAMP",
            "FROM_TIMESTAMP",
        ]),
    ),
    opt("ShardId", &SHARD_ID),
    opt("Timestamp", &TIMESTAMP),
]);

pub(super) const LIST_SHARDS: Operation = Operation {
    name: "ListShards",
    input: &[
        ident!(),
        opt("NextToken", &NEXT_TOKEN),
        opt("ExclusiveStartShardId", &SHARD_ID),
        opt("MaxResults", &limit(10_000)),
        opt("StreamCreationTimestamp", &TIMESTAMP),
        opt("ShardFilter", &SHARD_FILTER),
        ident!(arn),
        ident!(id),
    ],
    handler: Handler::Value(list_shards),
};

/// Which shards a listing returns, and where the previous page stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listing {
    stream: String,
    filter: Filter,
    /// Only shards with a larger index (ExclusiveStartShardId, or the last shard of the last page).
    after: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    FromTrimHorizon,
    AtTrimHorizon,
    AtLatest,
    AtTimestamp(u64),
    FromTimestamp(u64),
}

fn list_shards(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let has_stream = input.get("StreamName").is_some() || input.get("StreamARN").is_some();
    let listing = match (str_of(input, "NextToken"), has_stream) {
        (Some(_), true) => {
            return Err(ApiError::invalid(
                "NextToken and StreamName cannot be provided together.",
            ))
        }
        (None, false) => {
            return Err(ApiError::invalid(
                "Either NextToken or StreamName should be provided.",
            ))
        }
        (Some(token), false) => {
            for alone in [
                "ExclusiveStartShardId",
                "ShardFilter",
                "StreamCreationTimestamp",
            ] {
                if input.get(alone).is_some() {
                    return Err(ApiError::invalid(format!(
                        "NextToken and {alone} cannot be provided together."
                    )));
                }
            }
            decode_token(token)?
        }
        (None, true) => first_page(store, input)?,
    };
    let d = store.describe_stream(&listing.stream)?;
    let now = now_ms();
    let trim_horizon = now
        .saturating_sub(u64::from(d.retention_hours) * 3_600_000)
        .max(d.created_ms);
    let selected: Vec<&ShardDescription> = d
        .shards
        .iter()
        .filter(|s| listing.after.is_none_or(|a| s.shard_id.0 > a))
        .filter(|s| listing.filter.admits(s, &d.shards, trim_horizon))
        .collect();
    let page = usize::try_from(int_of(input, "MaxResults").unwrap_or(LIST_PAGE as i64))
        .unwrap_or(LIST_PAGE)
        .min(LIST_PAGE);
    let shards: Vec<Value> = selected.iter().take(page).map(|s| shard_json(s)).collect();
    let mut out = json!({ "Shards": shards });
    if selected.len() > page {
        let last = selected[page - 1].shard_id.0;
        let next = Listing {
            after: Some(last),
            ..listing
        };
        out["NextToken"] = Value::String(encode_token(&next, now));
    }
    Ok(out)
}

fn first_page(store: &Store, input: &Value) -> Result<Listing, ApiError> {
    let stream = stream_of_value(input)?;
    let mut after = match str_of(input, "ExclusiveStartShardId") {
        Some(id) => Some(parse_shard(store, id, &stream)?.0),
        None => None,
    };
    let filter = match input.get("ShardFilter") {
        None | Some(Value::Null) => Filter::FromTrimHorizon,
        Some(f) => {
            let kind = str_of(f, "Type").unwrap_or_default();
            let ts = ts_of(f, "Timestamp")?;
            let need_ts = |ts: Option<u64>| {
                ts.ok_or_else(|| {
                    ApiError::invalid(format!(
                        "Timestamp must be specified for ShardFilter of type {kind}."
                    ))
                })
            };
            match kind {
                "AFTER_SHARD_ID" => {
                    let id = str_of(f, "ShardId").ok_or_else(|| {
                        ApiError::invalid(
                            "ShardId must be specified for ShardFilter of type AFTER_SHARD_ID.",
                        )
                    })?;
                    let id = parse_shard(store, id, &stream)?.0;
                    after = Some(after.map_or(id, |a| a.max(id)));
                    Filter::FromTrimHorizon
                }
                "AT_TRIM_HORIZON" => Filter::AtTrimHorizon,
                "AT_LATEST" => Filter::AtLatest,
                "AT_TIMESTAMP" => Filter::AtTimestamp(need_ts(ts)?),
                "FROM_TIMESTAMP" => Filter::FromTimestamp(need_ts(ts)?),
                _ => Filter::FromTrimHorizon,
            }
        }
    };
    Ok(Listing {
        stream,
        filter,
        after,
    })
}

impl Filter {
    /// Whether shard `s` belongs in the listing. Shards open at an instant are those created at or
    /// before it and closed after it: a split at that very instant lists the children, not the
    /// parent, so the result always tiles the hash-key space exactly.
    fn admits(self, s: &ShardDescription, all: &[ShardDescription], trim_horizon: u64) -> bool {
        let open_at = |t: u64| s.created_ms <= t && s.closed_ms.is_none_or(|c| c > t);
        let parent_expired = s
            .parent_shard_id
            .is_some_and(|p| !all.iter().any(|o| o.shard_id == p));
        match self {
            Filter::FromTrimHorizon => true,
            Filter::AtLatest => s.closed_ms.is_none(),
            Filter::AtTrimHorizon => {
                open_at(trim_horizon)
                    || (parent_expired && s.closed_ms.is_none_or(|c| c > trim_horizon))
            }
            Filter::AtTimestamp(ts) => open_at(ts.max(trim_horizon)),
            Filter::FromTimestamp(ts) => s.closed_ms.is_none_or(|c| c > ts.max(trim_horizon)),
        }
    }

    fn code(self) -> (u8, u64) {
        match self {
            Filter::FromTrimHorizon => (0, 0),
            Filter::AtTrimHorizon => (1, 0),
            Filter::AtLatest => (2, 0),
            Filter::AtTimestamp(t) => (3, t),
            Filter::FromTimestamp(t) => (4, t),
        }
    }

    fn from_code(kind: u64, ts: u64) -> Option<Filter> {
        Some(match kind {
            0 => Filter::FromTrimHorizon,
            1 => Filter::AtTrimHorizon,
            2 => Filter::AtLatest,
            3 => Filter::AtTimestamp(ts),
            4 => Filter::FromTimestamp(ts),
            _ => return None,
        })
    }
}

/// The NextToken: the listing to continue and when the token was issued, as base64url JSON. It
/// carries no secret: a client that edits it only changes what it lists of its own streams.
fn encode_token(l: &Listing, now: u64) -> String {
    let (kind, ts) = l.filter.code();
    let body = json!({"s": l.stream, "a": l.after, "f": kind, "t": ts, "i": now});
    URL_SAFE_NO_PAD.encode(body.to_string())
}

fn decode_token(token: &str) -> Result<Listing, ApiError> {
    let invalid = || ApiError::invalid(format!("Invalid NextToken: {token}"));
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let stream = str_of(&v, "s").ok_or_else(invalid)?.to_string();
    let after = v
        .get("a")
        .and_then(Value::as_u64)
        .and_then(|a| u32::try_from(a).ok());
    let num = |k: &str| v.get(k).and_then(Value::as_u64).ok_or_else(invalid);
    let filter = Filter::from_code(num("f")?, num("t")?).ok_or_else(invalid)?;
    let issued = num("i")?;
    check_token_age(issued)?;
    Ok(Listing {
        stream,
        filter,
        after,
    })
}

/// Refuses a NextToken issued more than [`TOKEN_TTL_MS`] ago, as AWS's expire.
pub(super) fn check_token_age(issued_ms: u64) -> Result<(), ApiError> {
    if now_ms().saturating_sub(issued_ms) > TOKEN_TTL_MS {
        return Err(ApiError::new(
            "ExpiredNextTokenException",
            format!("The timestampInMillis parameter is older than {TOKEN_TTL_MS} milliseconds: NextToken has expired."),
        ));
    }
    Ok(())
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Parses a shard id, answering an unparsable one as Kinesis does.
pub(crate) fn parse_shard(store: &Store, id: &str, stream: &str) -> Result<ShardId, ApiError> {
    id.parse::<ShardId>().map_err(|_| {
        ApiError::not_found(format!(
            "Could not find shard {id} in stream {stream} under account {}.",
            store.account_id()
        ))
    })
}

const SPLIT_INPUT: &[Member] = &[
    ident!(),
    req("ShardToSplit", &SHARD_ID),
    req("NewStartingHashKey", &HASH_KEY),
    ident!(arn),
    ident!(id),
];

pub(super) const SPLIT_SHARD: Operation = Operation {
    name: "SplitShard",
    input: SPLIT_INPUT,
    handler: Handler::Value(split_shard),
};

fn split_shard(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let stream = stream_of_value(input)?;
    let shard = parse_shard(
        store,
        str_of(input, "ShardToSplit").unwrap_or_default(),
        &stream,
    )?;
    let key_text = str_of(input, "NewStartingHashKey").unwrap_or_default();
    let key = key_text.parse::<u128>().map_err(|_| {
        ApiError::invalid(format!(
            "NewStartingHashKey {key_text} used in SplitShard() on shard {shard} in stream {stream} under account {} is not a valid hash key.", store.account_id()
        ))
    })?;
    store.split_shard(&stream, shard, key)?;
    Ok(Value::Null)
}

pub(super) const MERGE_SHARDS: Operation = Operation {
    name: "MergeShards",
    input: &[
        ident!(),
        req("ShardToMerge", &SHARD_ID),
        req("AdjacentShardToMerge", &SHARD_ID),
        ident!(arn),
        ident!(id),
    ],
    handler: Handler::Value(merge_shards),
};

fn merge_shards(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let stream = stream_of_value(input)?;
    let a = parse_shard(
        store,
        str_of(input, "ShardToMerge").unwrap_or_default(),
        &stream,
    )?;
    let b = parse_shard(
        store,
        str_of(input, "AdjacentShardToMerge").unwrap_or_default(),
        &stream,
    )?;
    store.merge_shards(&stream, a, b)?;
    Ok(Value::Null)
}

pub(super) const UPDATE_SHARD_COUNT: Operation = Operation {
    name: "UpdateShardCount",
    input: &[
        ident!(),
        req("TargetShardCount", &POSITIVE_INT),
        req("ScalingType", &Shape::Enum(&["UNIFORM_SCALING"])),
        ident!(arn),
        ident!(id),
    ],
    handler: Handler::Value(update_shard_count),
};

fn update_shard_count(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let stream = stream_of_value(input)?;
    let target = int_of(input, "TargetShardCount").unwrap_or(0);
    let target = u32::try_from(target).unwrap_or(u32::MAX);
    let current = store.update_shard_count(&stream, target)?;
    Ok(json!({
        "StreamName": stream,
        "StreamARN": store.stream_arn(&stream),
        "CurrentShardCount": current,
        "TargetShardCount": target,
    }))
}
