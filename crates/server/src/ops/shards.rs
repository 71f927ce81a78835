//! Shards: listing with filters and paging, splitting, merging, uniform scaling.

use super::{ident, stream_of, typed, Operation};
use crate::error::ApiError;
use crate::shapes;
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
pub(super) fn shard(s: &ShardDescription) -> shapes::Shard {
    shapes::Shard {
        shard_id: s.shard_id.to_string(),
        parent_shard_id: s.parent_shard_id.map(|p| p.to_string()),
        adjacent_parent_shard_id: s.adjacent_parent_shard_id.map(|p| p.to_string()),
        hash_key_range: shapes::HashKeyRange {
            starting_hash_key: s.starting_hash_key.to_string(),
            ending_hash_key: s.ending_hash_key.to_string(),
        },
        sequence_number_range: shapes::SequenceNumberRange {
            starting_sequence_number: s.starting_sequence_number.to_string(),
            ending_sequence_number: s.ending_sequence_number.map(|e| e.to_string()),
        },
    }
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
    handler: typed!(list_shards),
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

fn list_shards(
    store: &Store,
    i: shapes::ListShardsInput,
) -> Result<shapes::ListShardsOutput, ApiError> {
    let has_stream = i.stream_name.is_some() || i.stream_arn.is_some();
    let listing = match (i.next_token.as_deref(), has_stream) {
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
            for (alone, given) in [
                (
                    "ExclusiveStartShardId",
                    i.exclusive_start_shard_id.is_some(),
                ),
                ("ShardFilter", i.shard_filter.is_some()),
                (
                    "StreamCreationTimestamp",
                    i.stream_creation_timestamp.is_some(),
                ),
            ] {
                if given {
                    return Err(ApiError::invalid(format!(
                        "NextToken and {alone} cannot be provided together."
                    )));
                }
            }
            decode_token(token)?
        }
        (None, true) => first_page(store, &i)?,
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
    let page = usize::try_from(i.max_results.unwrap_or(LIST_PAGE as i64))
        .unwrap_or(LIST_PAGE)
        .min(LIST_PAGE);
    let shards = selected.iter().take(page).map(|s| shard(s)).collect();
    let next_token = (selected.len() > page).then(|| {
        let last = selected[page - 1].shard_id.0;
        let next = Listing {
            after: Some(last),
            ..listing
        };
        encode_token(&next, now)
    });
    Ok(shapes::ListShardsOutput {
        shards: Some(shards),
        next_token,
    })
}

fn first_page(store: &Store, i: &shapes::ListShardsInput) -> Result<Listing, ApiError> {
    let stream = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    let mut after = match &i.exclusive_start_shard_id {
        Some(id) => Some(parse_shard(store, id, &stream)?.0),
        None => None,
    };
    let filter = match &i.shard_filter {
        None => Filter::FromTrimHorizon,
        Some(f) => {
            let kind = f.r#type.as_str();
            let ts = f.timestamp.map(|t| t.0);
            let need_ts = |ts: Option<u64>| {
                ts.ok_or_else(|| {
                    ApiError::invalid(format!(
                        "Timestamp must be specified for ShardFilter of type {kind}."
                    ))
                })
            };
            match kind {
                "AFTER_SHARD_ID" => {
                    let id = f.shard_id.as_deref().ok_or_else(|| {
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
    let stream = v
        .get("s")
        .and_then(Value::as_str)
        .ok_or_else(invalid)?
        .to_string();
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
    handler: typed!(split_shard),
};

fn split_shard(store: &Store, i: shapes::SplitShardInput) -> Result<(), ApiError> {
    let stream = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    let shard = parse_shard(store, &i.shard_to_split, &stream)?;
    let key_text = &i.new_starting_hash_key;
    let key = key_text.parse::<u128>().map_err(|_| {
        ApiError::invalid(format!(
            "NewStartingHashKey {key_text} used in SplitShard() on shard {shard} in stream {stream} under account {} is not a valid hash key.", store.account_id()
        ))
    })?;
    store.split_shard(&stream, shard, key)?;
    Ok(())
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
    handler: typed!(merge_shards),
};

fn merge_shards(store: &Store, i: shapes::MergeShardsInput) -> Result<(), ApiError> {
    let stream = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    let a = parse_shard(store, &i.shard_to_merge, &stream)?;
    let b = parse_shard(store, &i.adjacent_shard_to_merge, &stream)?;
    store.merge_shards(&stream, a, b)?;
    Ok(())
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
    handler: typed!(update_shard_count),
};

fn update_shard_count(
    store: &Store,
    i: shapes::UpdateShardCountInput,
) -> Result<shapes::UpdateShardCountOutput, ApiError> {
    let stream = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    let target = u32::try_from(i.target_shard_count).unwrap_or(u32::MAX);
    let current = store.update_shard_count(&stream, target)?;
    Ok(shapes::UpdateShardCountOutput {
        stream_arn: Some(store.stream_arn(&stream)),
        stream_name: Some(stream),
        current_shard_count: Some(current.into()),
        target_shard_count: Some(target.into()),
    })
}
