//! The Kinesis calls a worker makes, as JSON 1.1 requests and answers.

use crate::{KinesisClient, KINESIS_TARGET_PREFIX};
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use shardlog::consumer::RecordSource;
use shardlog::{
    ChildShard, Error, GetRecordsOutput, Record, Result, SequenceNumber, ShardDescription, ShardId,
    StartingPosition,
};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HashKeyRange {
    starting_hash_key: String,
    ending_hash_key: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SequenceNumberRange {
    starting_sequence_number: String,
    ending_sequence_number: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ShardWire {
    shard_id: String,
    parent_shard_id: Option<String>,
    adjacent_parent_shard_id: Option<String>,
    hash_key_range: HashKeyRange,
    sequence_number_range: SequenceNumberRange,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListShardsOutput {
    shards: Vec<ShardWire>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetShardIteratorOutput {
    shard_iterator: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RecordWire {
    sequence_number: String,
    approximate_arrival_timestamp: f64,
    data: String,
    /// Absent for a record written without one (a stream that places records itself).
    #[serde(default)]
    partition_key: String,
    #[serde(default)]
    encryption_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ChildShardWire {
    shard_id: String,
    parent_shards: Vec<String>,
    hash_key_range: HashKeyRange,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetRecordsWire {
    records: Vec<RecordWire>,
    next_shard_iterator: Option<String>,
    #[serde(default)]
    millis_behind_latest: u64,
    #[serde(default)]
    child_shards: Vec<ChildShardWire>,
}

#[derive(Serialize, Deserialize)]
struct ErrorWire {
    #[serde(rename = "__type", default)]
    kind: String,
    #[serde(default, alias = "Message")]
    message: String,
}

fn unreadable(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::Unavailable(format!("unreadable {what} in the answer: {detail}"))
}

pub(crate) fn parse<T: std::str::FromStr>(what: &str, s: &str) -> Result<T> {
    s.parse().map_err(|_| unreadable(what, s))
}

/// Maps an AWS error answer to the engine's variant of the same name.
fn error(status: u16, body: &[u8]) -> Error {
    let Ok(w) = serde_json::from_slice::<ErrorWire>(body) else {
        return Error::Unavailable(format!("HTTP {status} with an unreadable body"));
    };
    // Some services prefix the type with a namespace (`com.amazonaws.kinesis#...`).
    let kind = w.kind.rsplit('#').next().unwrap_or_default();
    match kind {
        "ResourceNotFoundException" => Error::ResourceNotFound(w.message),
        "ResourceInUseException" => Error::ResourceInUse(w.message),
        "InvalidArgumentException" => Error::InvalidArgument(w.message),
        "ValidationException" => Error::Validation(w.message),
        "LimitExceededException" => Error::LimitExceeded(w.message),
        "ProvisionedThroughputExceededException" => Error::ProvisionedThroughputExceeded(w.message),
        "ExpiredIteratorException" => Error::ExpiredIterator(w.message),
        _ => Error::Unavailable(format!("HTTP {status} {kind}: {}", w.message)),
    }
}

fn range(r: &HashKeyRange) -> Result<(u128, u128)> {
    Ok((
        parse("StartingHashKey", &r.starting_hash_key)?,
        parse("EndingHashKey", &r.ending_hash_key)?,
    ))
}

impl KinesisClient {
    pub(crate) fn kinesis<T: DeserializeOwned>(
        &self,
        operation: &str,
        request: &Value,
    ) -> Result<T> {
        let body =
            serde_json::to_vec(request).map_err(|e| Error::InvalidArgument(e.to_string()))?;
        let target = format!("{KINESIS_TARGET_PREFIX}.{operation}");
        let (status, body) = self.post(&target, &body)?;
        if status != 200 {
            return Err(error(status, &body));
        }
        // Operations with no output (CreateStream, UpdateShardCount...) answer an empty body.
        let body = if body.is_empty() {
            &b"{}"[..]
        } else {
            &body[..]
        };
        serde_json::from_slice(body).map_err(|e| unreadable(operation, e))
    }
}

fn shard(s: ShardWire) -> Result<ShardDescription> {
    let (start, end) = range(&s.hash_key_range)?;
    let id = |v: &str| parse::<ShardId>("ShardId", v);
    let ending = s.sequence_number_range.ending_sequence_number.as_deref();
    Ok(ShardDescription {
        shard_id: id(&s.shard_id)?,
        parent_shard_id: s.parent_shard_id.as_deref().map(id).transpose()?,
        adjacent_parent_shard_id: s.adjacent_parent_shard_id.as_deref().map(id).transpose()?,
        starting_hash_key: start,
        ending_hash_key: end,
        starting_sequence_number: parse(
            "StartingSequenceNumber",
            &s.sequence_number_range.starting_sequence_number,
        )?,
        ending_sequence_number: ending
            .map(|e| parse("EndingSequenceNumber", e))
            .transpose()?,
        // ListShards does not say when shards were created or closed. "Closed at an unknown time"
        // is recorded as the far future, so an AT_TIMESTAMP start begins at the oldest
        // generation and reads forward from the time: slower than exact, never missing a record.
        created_ms: 0,
        closed_ms: ending.map(|_| u64::MAX),
    })
}

fn record(r: RecordWire) -> Result<Record> {
    let data = base64::engine::general_purpose::STANDARD
        .decode(r.data.as_bytes())
        .map_err(|e| unreadable("Data", e))?;
    let millis = (r.approximate_arrival_timestamp * 1000.0).round();
    Ok(Record {
        sequence_number: parse::<SequenceNumber>("SequenceNumber", &r.sequence_number)?,
        partition_key: r.partition_key.into(),
        data: data.into(),
        approximate_arrival_timestamp_ms: if millis.is_finite() && millis > 0.0 {
            millis as u64
        } else {
            0
        },
    })
}

fn child(c: ChildShardWire) -> Result<ChildShard> {
    let parents = c
        .parent_shards
        .iter()
        .map(|p| parse("ParentShards", p))
        .collect::<Result<_>>()?;
    Ok(ChildShard {
        shard_id: parse("ShardId", &c.shard_id)?,
        parent_shards: parents,
        hash_key_range: range(&c.hash_key_range)?,
    })
}

impl RecordSource for KinesisClient {
    fn list_shards(&self, stream: &str) -> Result<Vec<ShardDescription>> {
        let mut shards = Vec::new();
        let mut request = json!({ "StreamName": stream });
        loop {
            let page: ListShardsOutput = self.kinesis("ListShards", &request)?;
            for s in page.shards {
                shards.push(shard(s)?);
            }
            match page.next_token {
                // With a token, the stream name must be left out.
                Some(token) => request = json!({ "NextToken": token }),
                None => return Ok(shards),
            }
        }
    }

    fn get_shard_iterator(
        &self,
        stream: &str,
        shard: ShardId,
        position: StartingPosition,
    ) -> Result<String> {
        let mut request = json!({ "StreamName": stream, "ShardId": shard.to_string() });
        let (kind, extra) = match position {
            StartingPosition::TrimHorizon => ("TRIM_HORIZON", None),
            StartingPosition::Latest => ("LATEST", None),
            StartingPosition::AtSequenceNumber(s) => (
                "AT_SEQUENCE_NUMBER",
                Some(("StartingSequenceNumber", json!(s.to_string()))),
            ),
            StartingPosition::AfterSequenceNumber(s) => (
                "AFTER_SEQUENCE_NUMBER",
                Some(("StartingSequenceNumber", json!(s.to_string()))),
            ),
            StartingPosition::AtTimestamp(ms) => (
                "AT_TIMESTAMP",
                Some(("Timestamp", json!(ms as f64 / 1000.0))),
            ),
        };
        request["ShardIteratorType"] = json!(kind);
        if let Some((name, value)) = extra {
            request[name] = value;
        }
        let out: GetShardIteratorOutput = self.kinesis("GetShardIterator", &request)?;
        Ok(out.shard_iterator)
    }

    fn get_records(&self, iterator: &str, limit: usize) -> Result<GetRecordsOutput> {
        let request = json!({ "ShardIterator": iterator, "Limit": limit.min(10_000) });
        let out: GetRecordsWire = self.kinesis("GetRecords", &request)?;
        let kms_encrypted = out
            .records
            .iter()
            .any(|r| r.encryption_type.as_deref() == Some("KMS"));
        Ok(GetRecordsOutput {
            records: out.records.into_iter().map(record).collect::<Result<_>>()?,
            next_shard_iterator: out.next_shard_iterator,
            millis_behind_latest: out.millis_behind_latest,
            kms_encrypted,
            child_shards: out
                .child_shards
                .into_iter()
                .map(child)
                .collect::<Result<_>>()?,
        })
    }

    /// The server makes a checkpointed record durable itself when the checkpoint arrives through
    /// the lease protocol, so there is nothing to do here.
    fn make_durable(&self, _: &str, _: ShardId, _: SequenceNumber) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_error_types_map_to_engine_variants() {
        let e = error(
            400,
            br#"{"__type":"com.amazonaws.kinesis#ExpiredIteratorException","message":"old"}"#,
        );
        assert!(matches!(e, Error::ExpiredIterator(m) if m == "old"));
        let e = error(
            400,
            br#"{"__type":"ResourceNotFoundException","Message":"gone"}"#,
        );
        assert!(matches!(e, Error::ResourceNotFound(m) if m == "gone"));
        assert!(matches!(error(500, b"<html>"), Error::Unavailable(_)));
        assert!(matches!(
            error(503, br#"{"__type":"ServiceUnavailable","message":"x"}"#),
            Error::Unavailable(_)
        ));
    }

    #[test]
    fn records_decode_base64_and_fractional_timestamps() -> Result<()> {
        let r = record(RecordWire {
            sequence_number: "79228162514264337593543950336".into(),
            approximate_arrival_timestamp: 1_700_000_000.123,
            data: "aGVsbG8=".into(),
            partition_key: "k".into(),
            encryption_type: None,
        })?;
        assert_eq!(
            (&r.data[..], r.approximate_arrival_timestamp_ms),
            (&b"hello"[..], 1_700_000_000_123)
        );
        let bad = record(RecordWire {
            sequence_number: "1".into(),
            approximate_arrival_timestamp: 0.0,
            data: "***".into(),
            partition_key: "k".into(),
            encryption_type: None,
        });
        assert!(matches!(bad, Err(Error::Unavailable(_))));
        Ok(())
    }
}
