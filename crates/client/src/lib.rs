//! A blocking client for `shardlog serve`, so consumer workers can run in other processes.
//!
//! [`KinesisClient`] speaks the Kinesis JSON 1.1 protocol for the calls a worker makes
//! (`ListShards`, `GetShardIterator`, `GetRecords`) and the store's lease protocol
//! (`ShardlogLeases_20261206.*`, see `docs/format.md`). It implements both
//! [`RecordSource`] and [`LeaseTransport`], so a worker in any process shares an application's
//! shards with workers in the server's process or in other processes:
//!
//! ```no_run
//! use shardlog::consumer::{Checkpointer, ProcessRecordsInput, RecordProcessor};
//! use shardlog::consumer::{RemoteLeases, Worker, WorkerConfig};
//! use shardlog_client::KinesisClient;
//!
//! struct Print;
//! impl RecordProcessor for Print {
//!     fn process_records(&mut self, input: ProcessRecordsInput<'_>, cp: &mut Checkpointer) {
//!         for r in input.records {
//!             println!("{} {}", r.partition_key, String::from_utf8_lossy(&r.data));
//!         }
//!         let _ = cp.checkpoint();
//!     }
//!     fn shard_ended(&mut self, cp: &mut Checkpointer) {
//!         let _ = cp.checkpoint();
//!     }
//! }
//!
//! let client = KinesisClient::new("http://127.0.0.1:4567")?;
//! let leases = RemoteLeases::connect(client.clone())?;
//! let worker = Worker::start(client, leases, WorkerConfig::new("app", "clicks", "host-b"), || Print)?;
//! # worker.shutdown()?;
//! # Ok::<(), shardlog::Error>(())
//! ```
//!
//! Requests are unsigned: this client is for a local `shardlog serve` (SigV4 off, its default).

mod kinesis;
mod producer;

use shardlog::consumer::{LeaseTransport, LEASE_TARGET_PREFIX};
use shardlog::{Error, Result};
use std::time::Duration;

/// The Kinesis operations' `X-Amz-Target` prefix.
const KINESIS_TARGET_PREFIX: &str = "Kinesis_20131202";

/// Largest response body read: a full `GetRecords` answer (10 MiB of data, base64) plus framing.
const MAX_RESPONSE_BYTES: u64 = 32 << 20;

/// A connection pool to one `shardlog serve` endpoint. Cheap to clone.
///
/// ```
/// let client = shardlog_client::KinesisClient::new("http://127.0.0.1:4567")?;
/// assert_eq!(client.endpoint(), "http://127.0.0.1:4567");
/// # Ok::<(), shardlog::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct KinesisClient {
    endpoint: String,
    agent: ureq::Agent,
}

impl KinesisClient {
    /// A client for `endpoint` (`http://host:port`). Nothing is sent until the first call.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the endpoint is not an `http://` URL.
    pub fn new(endpoint: &str) -> Result<Self> {
        let endpoint = endpoint.trim_end_matches('/').to_string();
        if !endpoint.starts_with("http://") {
            return Err(Error::InvalidArgument(format!(
                "endpoint {endpoint} must start with http:// (this client does not speak TLS)"
            )));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build();
        Ok(KinesisClient {
            endpoint,
            agent: config.into(),
        })
    }

    /// The endpoint this client talks to.
    ///
    /// ```
    /// let c = shardlog_client::KinesisClient::new("http://localhost:4567/")?;
    /// assert_eq!(c.endpoint(), "http://localhost:4567");
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// POSTs one JSON request with `X-Amz-Target: <target>`; returns the status and body.
    fn post(&self, target: &str, body: &[u8]) -> Result<(u16, Vec<u8>)> {
        let unavailable =
            |e: ureq::Error| Error::Unavailable(format!("{target} to {}: {e}", self.endpoint));
        let mut resp = self
            .agent
            .post(format!("{}/", self.endpoint))
            .header("X-Amz-Target", target)
            .content_type("application/x-amz-json-1.1")
            .send(body)
            .map_err(unavailable)?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(unavailable)?;
        Ok((status, body))
    }
}

impl LeaseTransport for KinesisClient {
    fn call(&self, operation: &str, body: Vec<u8>) -> Result<(u16, Vec<u8>)> {
        self.post(&format!("{LEASE_TARGET_PREFIX}.{operation}"), &body)
    }
}
