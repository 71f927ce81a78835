//! An S3 destination for shardlog's channels: [`S3Sink`] writes each channel object with one PUT
//! to an S3 service (AWS S3, or any that speaks its API: MinIO, moto, LocalStack), through the
//! `object_store` crate.
//!
//! A PUT replaces an object whole and readers never see half of one, which is all a channel's
//! exactly-once delivery asks of its destination: a batch written again after a crash has the
//! same key and replaces what the first attempt wrote.
//!
//! ```no_run
//! use shardlog::{Store, StoreOptions};
//! use shardlog_objects::{S3Config, S3Sink};
//! use std::sync::Arc;
//!
//! // Credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
//! let sink = S3Sink::new(S3Config::from_env(Some("http://127.0.0.1:9000".into())))?;
//! let store = Store::open(
//!     "data",
//!     StoreOptions { channel_sink: Some(Arc::new(sink)), ..StoreOptions::default() },
//! )?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStoreExt as _, PutPayload, RetryConfig};
use shardlog::{Error, ObjectSink, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long one PUT may take, retries included, before the delivery pass gives up until the
/// next pass. Short enough that `Store::close` does not hang on a service that is down.
const PUT_BUDGET: Duration = Duration::from_secs(30);

/// Where and how to reach the S3 service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// The service's URL, e.g. `http://127.0.0.1:9000`; `None` for AWS S3 in `region`.
    pub endpoint: Option<String>,
    /// The region requests are signed for.
    pub region: String,
    /// The access key; with `secret_access_key`. `None` for unsigned requests.
    pub access_key_id: Option<String>,
    /// The secret of `access_key_id`.
    pub secret_access_key: Option<String>,
}

impl S3Config {
    /// `endpoint`, with the region (`AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1`) and
    /// the credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`) from the environment.
    pub fn from_env(endpoint: Option<String>) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        S3Config {
            endpoint,
            region: var("AWS_REGION")
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".into()),
            access_key_id: var("AWS_ACCESS_KEY_ID"),
            secret_access_key: var("AWS_SECRET_ACCESS_KEY"),
        }
    }
}

/// Channel objects to an S3 service: a bucket ARN's bucket is the S3 bucket, the object key
/// the S3 key. Requests use path-style addressing, which every S3-compatible service accepts.
#[derive(Debug)]
pub struct S3Sink {
    config: S3Config,
    /// One client per bucket (an `AmazonS3` serves one), made on first use.
    buckets: Mutex<HashMap<String, Arc<AmazonS3>>>,
    /// The PUTs run here; the caller (the store's delivery thread, or whoever closes the
    /// store, which may be inside another runtime) waits for each.
    runtime: Option<tokio::runtime::Runtime>,
}

impl S3Sink {
    /// A sink for the service `config` names. Nothing is sent until the first object.
    pub fn new(config: S3Config) -> Result<Self> {
        install_ring();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("shardlog-s3")
            .enable_all()
            .build()
            .map_err(|e| Error::Internal(format!("starting the S3 client's runtime: {e}")))?;
        Ok(S3Sink {
            config,
            buckets: Mutex::new(HashMap::new()),
            runtime: Some(runtime),
        })
    }

    fn runtime(&self) -> Result<&tokio::runtime::Runtime> {
        self.runtime
            .as_ref()
            .ok_or_else(|| Error::Internal("the S3 client's runtime stopped".into()))
    }

    fn client(&self, bucket: &str) -> Result<Arc<AmazonS3>> {
        let mut buckets = self
            .buckets
            .lock()
            .map_err(|_| Error::Internal("S3 client table poisoned".into()))?;
        if let Some(c) = buckets.get(bucket) {
            return Ok(Arc::clone(c));
        }
        let c = Arc::new(self.build(bucket)?);
        buckets.insert(bucket.to_string(), Arc::clone(&c));
        Ok(c)
    }

    fn build(&self, bucket: &str) -> Result<AmazonS3> {
        let cfg = &self.config;
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(&cfg.region)
            .with_virtual_hosted_style_request(false)
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: PUT_BUDGET,
                ..RetryConfig::default()
            })
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(PUT_BUDGET),
            );
        if let Some(e) = &cfg.endpoint {
            b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
        }
        match (&cfg.access_key_id, &cfg.secret_access_key) {
            (Some(id), Some(secret)) => {
                b = b.with_access_key_id(id).with_secret_access_key(secret);
            }
            _ => b = b.with_skip_signature(true),
        }
        b.build()
            .map_err(|e| Error::InvalidArgument(format!("S3 destination for bucket {bucket}: {e}")))
    }
}

impl ObjectSink for S3Sink {
    fn name(&self) -> String {
        match &self.config.endpoint {
            Some(e) => format!("S3 at {e}"),
            None => format!("AWS S3 in {}", self.config.region),
        }
    }

    fn put_object(&self, bucket: &str, key: &str, body: &[u8]) -> Result<()> {
        let client = self.client(bucket)?;
        let path = Path::parse(key)
            .map_err(|e| Error::Internal(format!("object key {key:?} is not an S3 key: {e}")))?;
        let payload = PutPayload::from(bytes::Bytes::copy_from_slice(body));
        // A blocking receive, not `block_on`, which refuses to run on another runtime's thread.
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.runtime()?.spawn(async move {
            let _ = tx.send(client.put(&path, payload).await);
        });
        let answer = rx
            .recv()
            .map_err(|_| Error::Internal("the S3 client's runtime stopped".into()))?;
        answer
            .map(|_| ())
            .map_err(|e| Error::Unavailable(format!("S3 PUT of s3://{bucket}/{key} failed: {e}")))
    }
}

/// reqwest's TLS needs a process-wide crypto provider: ring, as the server uses (rustls 0.23.48
/// deprecates it for lacking post-quantum key exchange; aws-lc-rs would need a C and CMake build,
/// see the server's `tls.rs`). Installing fails only if one is installed already, which is as
/// good.
#[allow(deprecated)]
fn install_ring() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The runtime is let go without waiting: a store may be dropped on another runtime's thread,
/// where a blocking shutdown would panic. No PUT is in flight then (each is waited for).
impl Drop for S3Sink {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
