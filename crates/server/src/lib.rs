//! A Kinesis-compatible HTTP server on top of the shardlog engine: boto3, the AWS CLI and the AWS
//! SDKs talk to it unchanged (point their endpoint at it).
//!
//! It speaks the Kinesis wire protocol over HTTP/1.1 and HTTP/2, in plain text or over TLS
//! ([`ServerOptions::tls`]; ALPN offers `h2` and `http/1.1`): `POST /` with
//! `X-Amz-Target: Kinesis_20131202.<Operation>` and an AWS JSON 1.1 or CBOR 1.1 body; errors are
//! `{"__type", "message"}` with AWS's type names. Every request is validated against the Kinesis
//! model before the engine sees it; engine calls run on blocking threads (they fsync), so an
//! acknowledged write is durable as the store's durability mode says. `GET /metrics` serves
//! Prometheus text. SubscribeToShard streams AWS event-stream frames over a chunked response.
//!
//! ```no_run
//! use shardlog::{Store, StoreOptions};
//! use shardlog_server::{Server, ServerOptions};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = Store::open("shardlog-data", StoreOptions::default())?;
//! let server = Server::bind("127.0.0.1:4567", store.clone(), ServerOptions::default()).await?;
//! server.run(async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! store.close()?; // in-flight requests have finished: sync and release the lock
//! # Ok(()) }
//! ```

mod answer_buffers;
mod body;
mod codec;
#[cfg(unix)]
mod control;
mod error;
pub mod eventstream;
mod first_bytes;
mod http;
mod metrics;
mod model;
mod ops;
mod shapes;
mod sigv4;
mod tls;
mod validate;
mod wire;

#[cfg(unix)]
pub use control::{backup_through, channels_through};
pub use error::ApiError;
pub use sigv4::Credentials;
pub use tls::{SelfSigned, TlsConfig, TlsError};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// Options of a [`Server`].
///
/// ```
/// use shardlog_server::ServerOptions;
/// let o = ServerOptions::default();
/// assert_eq!(o.max_body_bytes, 16 << 20);
/// assert!(o.credentials.is_none());
/// assert!(o.tls.is_none()); // plain HTTP unless a certificate is given
/// ```
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Largest request body accepted; larger ones are refused (HTTP 413) before they are read.
    /// Default 16 MiB: a PutRecords of 5 MiB of data is about 7 MiB of base64 JSON.
    pub max_body_bytes: usize,
    /// When set, requests must carry a valid SigV4 signature made with these credentials.
    pub credentials: Option<Credentials>,
    /// How long one SubscribeToShard stream lasts before the server ends it (Kinesis: 5 minutes).
    pub subscription_lifetime: Duration,
    /// How long shutdown waits for in-flight requests before it gives up on them.
    pub shutdown_grace: Duration,
    /// The store's consumer lease table, served to workers in other processes
    /// (`ShardlogLeases_20261206.*`, see `docs/format.md`); its lease duration is every worker's
    /// failover time.
    pub leases: shardlog::consumer::LeaseOptions,
    /// How long a client may take to send a request's headers, counted from when the connection
    /// is ready for the next request: also the longest a kept-alive connection stays idle.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body; then it is answered 408.
    pub body_read_timeout: Duration,
    /// Most connections open at once; one more is closed as soon as it is accepted.
    pub max_connections: usize,
    /// Most requests being answered at once (event streams count until their first event); one
    /// more is answered 503, which the SDKs retry.
    pub max_in_flight: usize,
    /// A second listener serving only `GET /metrics`, unsigned (keep it on loopback). The API port
    /// serves `/metrics` itself only when no [`credentials`](ServerOptions::credentials) are set.
    pub metrics_bind: Option<SocketAddr>,
    /// Most SubscribeToShard streams open at once (each has a thread); one more is refused with
    /// `LimitExceededException`.
    pub max_subscriptions: usize,
    /// How long a subscriber may leave an event unread before its subscription is ended; its
    /// memory is then freed (at most a few events are buffered per subscription).
    pub subscriber_stall_timeout: Duration,
    /// When set, the API port speaks TLS only (ALPN `h2` and `http/1.1`); each handshake must
    /// finish within [`header_read_timeout`](ServerOptions::header_read_timeout). The metrics
    /// listener stays plain HTTP.
    pub tls: Option<TlsConfig>,
    /// Where to listen for operator commands from other processes (Unix only): today
    /// `shardlog backup` of the store this server holds. Keep it in the store's data directory
    /// (`shardlog serve` uses `DATA_DIR/control.sock`): the store's lock then makes a socket
    /// found there at start a leftover, which is replaced. Made with mode 0600.
    pub control_socket: Option<PathBuf>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            max_body_bytes: 16 << 20,
            credentials: None,
            subscription_lifetime: Duration::from_secs(300),
            shutdown_grace: Duration::from_secs(30),
            leases: shardlog::consumer::LeaseOptions::default(),
            header_read_timeout: Duration::from_secs(20),
            body_read_timeout: Duration::from_secs(60),
            max_connections: 1000,
            max_in_flight: 256,
            metrics_bind: None,
            max_subscriptions: 256,
            subscriber_stall_timeout: Duration::from_secs(30),
            tls: None,
            control_socket: None,
        }
    }
}

/// What every connection shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub store: shardlog::Store,
    pub opts: ServerOptions,
    pub metrics: metrics::Metrics,
    /// Set at shutdown: subscriptions end, so their connections can finish.
    pub stopping: AtomicBool,
    /// Answers the lease protocol.
    pub leases: shardlog::consumer::LeaseService,
    /// Live SubscribeToShard streams, one per consumer and shard.
    pub subscriptions: std::sync::Mutex<ops::Active>,
    /// Permits for open connections ([`ServerOptions::max_connections`]).
    pub connections: Arc<tokio::sync::Semaphore>,
    /// Permits for requests being answered ([`ServerOptions::max_in_flight`]).
    pub in_flight: tokio::sync::Semaphore,
}

/// A bound Kinesis-compatible server.
///
/// ```no_run
/// # async fn run(store: shardlog::Store) -> std::io::Result<()> {
/// let server = shardlog_server::Server::bind("127.0.0.1:0", store, Default::default()).await?;
/// println!("listening on {}", server.local_addr()?);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Server {
    listener: tokio::net::TcpListener,
    metrics_listener: Option<tokio::net::TcpListener>,
    #[cfg(unix)]
    control_listener: Option<tokio::net::UnixListener>,
    shared: Arc<Shared>,
}

impl Server {
    /// Binds `addr` (use a loopback address unless the server should be reachable from elsewhere).
    pub async fn bind(
        addr: impl tokio::net::ToSocketAddrs,
        store: shardlog::Store,
        opts: ServerOptions,
    ) -> std::io::Result<Server> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let metrics_listener = match opts.metrics_bind {
            Some(at) => Some(tokio::net::TcpListener::bind(at).await?),
            None => None,
        };
        #[cfg(unix)]
        let control_listener = match &opts.control_socket {
            Some(path) => Some(control::bind(path)?),
            None => None,
        };
        let table = store
            .lease_table(opts.leases.clone())
            .map_err(std::io::Error::other)?;
        let leases = shardlog::consumer::LeaseService::new(store.clone(), table);
        let metrics = metrics::Metrics::new(store.clone());
        let shared = Arc::new(Shared {
            leases,
            store,
            connections: Arc::new(tokio::sync::Semaphore::new(opts.max_connections)),
            in_flight: tokio::sync::Semaphore::new(opts.max_in_flight),
            opts,
            metrics,
            stopping: AtomicBool::new(false),
            subscriptions: Default::default(),
        });
        Ok(Server {
            listener,
            metrics_listener,
            #[cfg(unix)]
            control_listener,
            shared,
        })
    }

    /// The bound address (useful after binding port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The bound address of the metrics listener, if [`ServerOptions::metrics_bind`] asked for one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref()?.local_addr().ok()
    }

    /// Serves until `shutdown` completes, then stops accepting, ends subscriptions and waits (up to
    /// [`ServerOptions::shutdown_grace`]) for in-flight requests to finish. When this returns the
    /// server holds no handle on the store any more.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) -> std::io::Result<()> {
        let opts = &self.shared.opts;
        let scheme = if opts.tls.is_some() { "https" } else { "http" };
        let addr = self.listener.local_addr()?;
        tracing::info!(
            url = %format_args!("{scheme}://{addr}"),
            tls = opts.tls.is_some(),
            http2 = true,
            sigv4 = opts.credentials.is_some(),
            metrics = %self.metrics_addr().map_or_else(
                || if opts.credentials.is_some() { "off".to_string() } else { format!("{scheme}://{addr}/metrics") },
                |m| format!("http://{m}/metrics"),
            ),
            max_connections = opts.max_connections,
            "listening"
        );
        let metrics = self
            .metrics_listener
            .map(|l| tokio::spawn(http::serve_metrics(l, self.shared.clone())));
        #[cfg(unix)]
        let control = self
            .control_listener
            .map(|l| tokio::spawn(control::serve(l, self.shared.clone())));
        #[cfg(not(unix))]
        let control: Option<tokio::task::JoinHandle<()>> = None;
        let control_path = self.shared.opts.control_socket.clone();
        let served = http::serve(self.listener, self.shared, shutdown).await;
        for task in [metrics, control].into_iter().flatten() {
            task.abort();
            // An aborted task answers `Err(cancelled)`; its `Shared` handle is gone either way.
            let _ = task.await;
        }
        if let Some(path) = control_path.filter(|_| cfg!(unix)) {
            let _ = std::fs::remove_file(path);
        }
        tracing::info!("stopped");
        served
    }
}

/// The names of the request/response operations, in a fixed order (for fuzzing and tooling).
#[doc(hidden)]
pub fn operation_names() -> Vec<&'static str> {
    ops::names()
}

/// Answers one request body the way the HTTP layer does after the headers: pick the encoding from
/// `content_type`, decode, validate against the model, run against `store`, encode. The lease
/// protocol is not included. Exposed for the fuzzer, which drives it with arbitrary bytes.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let store = shardlog::Store::open(dir.path(), Default::default())?;
/// let out = shardlog_server::answer(&store, "ListStreams", "application/x-amz-json-1.1", b"{}");
/// assert!(String::from_utf8(out?)?.contains("StreamNames"));
/// let bad = shardlog_server::answer(&store, "CreateStream", "application/x-amz-json-1.1", b"{]");
/// assert_eq!(bad.unwrap_err().kind, "SerializationException");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[doc(hidden)]
pub fn answer(
    store: &shardlog::Store,
    operation: &str,
    content_type: &str,
    body: &[u8],
) -> Result<Vec<u8>, ApiError> {
    let encoding =
        codec::Encoding::from_content_type(content_type).unwrap_or(codec::Encoding::Json);
    let op = ops::find(operation)
        .filter(|op| !op.streams())
        .ok_or_else(|| ApiError::new("UnknownOperationException", ""))?;
    op.call(store, body, encoding)
}

/// Internals the fuzz targets in `fuzz/` drive directly; not part of the API and not stable.
#[doc(hidden)]
pub mod fuzzing {
    use crate::{sigv4, ApiError, Credentials};

    /// Verifies a request's SigV4 signature as the HTTP layer does (`sigv4::verify`) at `now_ms`,
    /// from its parts: `headers` are (name, value) pairs in arrival order, repeated names included.
    pub fn verify_sigv4(
        now_ms: u64,
        creds: &Credentials,
        method: &str,
        path: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(), ApiError> {
        let signed = sigv4::Signed {
            method,
            path,
            query,
            headers: headers.to_vec(),
            body,
        };
        sigv4::verify(creds, &signed, now_ms)
    }

    /// Epoch milliseconds of an `X-Amz-Date` (`20261206T120000Z`), as verification reads it.
    pub fn amz_date_ms(amz_date: &str) -> Option<u64> {
        sigv4::amz_date_ms(amz_date)
    }
}
