//! The stream-side calls a producer or a test harness makes.

use crate::KinesisClient;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};
use shardlog::{PutEntry, PutFailure, PutRecordsOutput, PutResult, Result};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutRecordsWire {
    failed_record_count: usize,
    records: Vec<PutResultWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutResultWire {
    sequence_number: Option<String>,
    shard_id: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
}

/// AWS's per-record error codes, as the engine's static names.
fn error_code(code: &str) -> &'static str {
    match code {
        "ProvisionedThroughputExceededException" => "ProvisionedThroughputExceededException",
        _ => "InternalFailure",
    }
}

fn put_result(r: PutResultWire) -> Result<std::result::Result<PutResult, PutFailure>> {
    Ok(match (r.sequence_number, r.shard_id, r.error_code) {
        (Some(seq), Some(shard), None) => Ok(PutResult {
            shard_id: crate::kinesis::parse("ShardId", &shard)?,
            sequence_number: crate::kinesis::parse("SequenceNumber", &seq)?,
        }),
        (_, _, code) => Err(PutFailure {
            error_code: error_code(code.as_deref().unwrap_or_default()),
            error_message: r.error_message.unwrap_or_default(),
        }),
    })
}

impl KinesisClient {
    /// Creates a stream with `shard_count` shards (Kinesis `CreateStream`).
    ///
    /// ```no_run
    /// let client = shardlog_client::KinesisClient::new("http://127.0.0.1:4567")?;
    /// client.create_stream("clicks", 4)?;
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn create_stream(&self, name: &str, shard_count: u32) -> Result<()> {
        let _: Value = self.kinesis(
            "CreateStream",
            &json!({ "StreamName": name, "ShardCount": shard_count }),
        )?;
        Ok(())
    }

    /// Puts up to 500 records in one request (Kinesis `PutRecords`); per-record failures are in
    /// the answer, as from [`shardlog::Store::put_records`].
    ///
    /// ```no_run
    /// use shardlog::PutEntry;
    /// let client = shardlog_client::KinesisClient::new("http://127.0.0.1:4567")?;
    /// let out = client.put_records("clicks", &[PutEntry::new("user-1", b"click")])?;
    /// assert_eq!(out.failed_record_count, 0);
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn put_records(&self, stream: &str, entries: &[PutEntry<'_>]) -> Result<PutRecordsOutput> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let records: Vec<Value> = entries
            .iter()
            .map(|e| {
                let mut r = json!({ "Data": b64.encode(e.data), "PartitionKey": e.partition_key });
                if let Some(h) = e.explicit_hash_key {
                    r["ExplicitHashKey"] = json!(h);
                }
                r
            })
            .collect();
        let out: PutRecordsWire = self.kinesis(
            "PutRecords",
            &json!({ "StreamName": stream, "Records": records }),
        )?;
        Ok(PutRecordsOutput {
            failed_record_count: out.failed_record_count,
            records: out
                .records
                .into_iter()
                .map(put_result)
                .collect::<Result<_>>()?,
        })
    }

    /// Scales the stream to `target` open shards (Kinesis `UpdateShardCount`, uniform scaling).
    ///
    /// ```no_run
    /// let client = shardlog_client::KinesisClient::new("http://127.0.0.1:4567")?;
    /// client.update_shard_count("clicks", 8)?;
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn update_shard_count(&self, stream: &str, target: u32) -> Result<()> {
        let request = json!({ "StreamName": stream, "TargetShardCount": target, "ScalingType": "UNIFORM_SCALING" });
        let _: Value = self.kinesis("UpdateShardCount", &request)?;
        Ok(())
    }
}
