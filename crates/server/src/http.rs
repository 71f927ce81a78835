//! The HTTP side: accepting connections, routing, body limits, encodings, graceful shutdown.

use crate::body::{full, Body};
use crate::codec::Encoding;
use crate::error::ApiError;
use crate::first_bytes::FirstBytes;
use crate::ops::Reply;
use crate::{ops, sigv4, tls, Shared};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The `X-Amz-Target` prefix of every Kinesis operation.
const TARGET_PREFIX: &str = "Kinesis_20131202.";

/// Accepts connections until `shutdown`, each served on its own task (after its TLS handshake
/// when [`ServerOptions::tls`](crate::ServerOptions::tls) is set); then waits for them as
/// [`Server::run`](crate::Server::run) says.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let tls = shared.opts.tls.as_ref().map(crate::TlsConfig::acceptor);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    // Out of file descriptors and the like: wait a little rather than spin.
                    Err(e) => {
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                // Over the cap: closed at once, before it holds a buffer or a task.
                let Ok(permit) = shared.connections.clone().try_acquire_owned() else {
                    tracing::debug!(%peer, "connection refused: the server has its maximum open");
                    shared.metrics.connection_refused();
                    drop(stream);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let header_timeout = shared.opts.header_read_timeout;
                let conn_shared = shared.clone();
                let svc = service_fn(move |req| {
                    let shared = conn_shared.clone();
                    async move { Ok::<_, Infallible>(handle(&shared, req).await) }
                });
                let watcher = graceful.watcher();
                let tls = tls.clone();
                let shared = shared.clone();
                // The handshake runs here, not in the accept loop: a slow client delays no other.
                tokio::spawn(async move {
                    let builder = connection_builder(header_timeout);
                    match tls {
                        None => {
                            let stream = FirstBytes::new(stream, header_timeout);
                            let conn = builder.serve_connection(TokioIo::new(stream), svc);
                            if let Err(e) = watcher.watch(conn).await {
                                tracing::debug!(%peer, error = %e, "connection ended with an error");
                            }
                        }
                        Some(acceptor) => {
                            match tls::handshake(&acceptor, stream, header_timeout).await {
                                Ok(stream) => {
                                    // The auto builder tells h2 by its preface, which is what
                                    // ALPN agreed on (or what a client without ALPN sends).
                                    let stream = FirstBytes::new(stream, header_timeout);
                                    let conn = builder.serve_connection(TokioIo::new(stream), svc);
                                    if let Err(e) = watcher.watch(conn).await {
                                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                                    }
                                }
                                Err(failure) => {
                                    tracing::debug!(%peer, reason = failure.label(), "TLS handshake failed");
                                    shared.metrics.tls_handshake_failed(failure);
                                }
                            }
                        }
                    }
                    // Held until here: a connection counts against the cap for its whole life.
                    drop(permit);
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    shared.stopping.store(true, Ordering::Release);
    let grace = shared.opts.shutdown_grace;
    drop(shared);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {}
    }
    Ok(())
}

async fn handle(shared: &Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    // A browser's request (it sends `Origin`): answered with CORS headers as AWS answers them, and
    // a preflight `OPTIONS` allowed whatever it asks.
    if !req.headers().contains_key(hyper::header::ORIGIN) {
        return answer_request(shared, req).await;
    }
    if req.method() == Method::OPTIONS {
        return preflight(&req);
    }
    let mut resp = answer_request(shared, req).await;
    let h = resp.headers_mut();
    h.insert(
        hyper::header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        hyper::header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(
            "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date",
        ),
    );
    resp
}

/// The answer to a CORS preflight: the method and headers it asks for, cached for two days.
fn preflight(req: &Request<Incoming>) -> Response<Body> {
    let mut resp = Response::new(full(Vec::new()));
    let h = resp.headers_mut();
    h.insert(
        hyper::header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    let asked = [
        (
            hyper::header::ACCESS_CONTROL_REQUEST_HEADERS,
            hyper::header::ACCESS_CONTROL_ALLOW_HEADERS,
        ),
        (
            hyper::header::ACCESS_CONTROL_REQUEST_METHOD,
            hyper::header::ACCESS_CONTROL_ALLOW_METHODS,
        ),
    ];
    for (request, allow) in asked {
        if let Some(v) = req.headers().get(&request) {
            h.insert(allow, v.clone());
        }
    }
    h.insert(
        hyper::header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("172800"),
    );
    if let Ok(id) = HeaderValue::from_str(&request_id()) {
        h.insert("x-amzn-RequestId", id);
    }
    resp
}

async fn answer_request(shared: &Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let started = Instant::now();
    // With credentials, the API port serves nothing unsigned: metrics go to `metrics_bind`.
    if req.method() == Method::GET
        && req.uri().path() == "/metrics"
        && shared.opts.credentials.is_none()
    {
        return metrics(shared);
    }
    if req.method() != Method::POST {
        let xml = "<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be authorized</Message>\n</AccessDeniedException>\n";
        return plain(
            StatusCode::FORBIDDEN,
            "application/xml",
            xml.as_bytes().to_vec(),
        );
    }
    let content_type = header(&req, CONTENT_TYPE.as_str()).unwrap_or_default();
    let target = header(&req, "x-amz-target").unwrap_or_default();
    if let Some(op) = lease_operation(target) {
        return leases(shared, req, op, started).await;
    }
    let op = target.strip_prefix(TARGET_PREFIX).and_then(ops::find);
    let op_name = op.map_or("Unknown", |o| o.name);
    // A content type that is neither JSON nor CBOR names no operation AWS serves.
    let Some(encoding) = Encoding::from_content_type(content_type) else {
        let e = ApiError::new("UnknownOperationException", "");
        return error(shared, op_name, started, Encoding::Json, &e);
    };
    // Held until the answer (or an event stream's first event) is ready.
    let Ok(_slot) = shared.in_flight.try_acquire() else {
        let e = ApiError {
            status: 503,
            ..ApiError::new(
                "ServiceUnavailableException",
                "Service is busy; retry the request.",
            )
        };
        return error(shared, op_name, started, encoding, &e);
    };
    let (parts, body) = req.into_parts();
    match answer(shared, op, encoding, &parts, body).await {
        Ok(reply) => {
            shared.metrics.observe(op_name, started.elapsed(), None);
            let (body, content_type) = match reply {
                Reply::Whole(bytes) => (full(bytes), encoding.content_type()),
                Reply::Events(body) => (body, "application/vnd.amazon.eventstream"),
            };
            let mut resp = Response::new(body);
            set_headers(&mut resp, content_type);
            resp
        }
        Err(e) => error(shared, op_name, started, encoding, &e),
    }
}

/// Bodies up to this size are read before the signature is looked at; a larger one only once the
/// `Authorization` header passed every check that needs no body.
const READ_BEFORE_AUTH_BYTES: u64 = 64 << 10;

/// The checks in AWS's order, then the operation: body read and parsed, target known, signature
/// valid (the request is signed for the store's clock), then the operation's own checks.
async fn answer(
    shared: &Arc<Shared>,
    op: Option<&'static ops::Operation>,
    encoding: Encoding,
    parts: &hyper::http::request::Parts,
    body: Incoming,
) -> Result<Reply, ApiError> {
    let now_ms = shared.store.now_ms();
    let headers = header_pairs(parts);
    if let Some(creds) = &shared.opts.credentials {
        if declared_length(parts).is_none_or(|n| n > READ_BEFORE_AUTH_BYTES) {
            sigv4::authorization(creds, &headers, now_ms).map_err(auth_error)?;
        }
    }
    let limit = shared.opts.max_body_bytes;
    let body = tokio::time::timeout(shared.opts.body_read_timeout, read_body(parts, body, limit))
        .await
        .map_err(|_| ApiError {
            status: 408,
            ..ApiError::new(
                "RequestTimeoutException",
                "The request body was not received within the timeout period.",
            )
        })??;
    // AWS answers an unparseable body first, then an unknown target, then the signature; member
    // types and constraints after all three (the operation decodes its typed input).
    if op.is_none() || shared.opts.credentials.is_some() {
        encoding.check_syntax(&body)?;
    }
    let op = op.ok_or_else(|| ApiError::new("UnknownOperationException", ""))?;
    if let Some(creds) = &shared.opts.credentials {
        check_signature(creds, parts, &headers, &body, now_ms)?;
    }
    let region = parts
        .headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(sigv4::scope_region);
    op.run(shared, body, encoding, region).await
}

/// Most HTTP/2 streams (requests and subscriptions) one connection may have open at once.
const MAX_STREAMS_PER_CONNECTION: u32 = 100;
/// HTTP/2 flow-control windows: a stream may have 1 MiB and a connection 4 MiB unread in flight,
/// so a client that stops reading holds at most that much of the server's memory per connection.
const STREAM_WINDOW_BYTES: u32 = 1 << 20;
const CONNECTION_WINDOW_BYTES: u32 = 4 << 20;

/// One connection's protocol: HTTP/1.1, or HTTP/2 when the client opens with its preface (h2c
/// with prior knowledge), on the same port. Headers must arrive within `header_timeout` (HTTP/1.1;
/// also its idle limit between requests); an HTTP/2 connection is pinged every 20 s and dropped if
/// a ping goes unanswered for 20 s.
fn connection_builder(header_timeout: Duration) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION)
        .initial_stream_window_size(STREAM_WINDOW_BYTES)
        .initial_connection_window_size(CONNECTION_WINDOW_BYTES)
        .keep_alive_interval(Duration::from_secs(20))
        .keep_alive_timeout(Duration::from_secs(20));
    builder
}

/// `/metrics` in the Prometheus text format.
fn metrics(shared: &Shared) -> Response<Body> {
    let text = shared.metrics.render();
    plain(
        StatusCode::OK,
        crate::metrics::CONTENT_TYPE,
        text.into_bytes(),
    )
}

/// Serves `GET /metrics` alone on its own listener ([`ServerOptions::metrics_bind`]), unsigned:
/// for a scraper on the same host when the API port requires signatures.
pub(crate) async fn serve_metrics(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    let header_timeout = shared.opts.header_read_timeout;
    // Connections hold a weak handle: once the server stops, they keep nothing of it alive.
    let weak = Arc::downgrade(&shared);
    drop(shared);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "accepting a metrics connection failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let weak = weak.clone();
        let svc = service_fn(move |req: Request<Incoming>| {
            let shared = weak.upgrade();
            async move {
                let found = req.method() == Method::GET && req.uri().path() == "/metrics";
                Ok::<_, Infallible>(match shared {
                    Some(shared) if found => metrics(&shared),
                    Some(_) => plain(StatusCode::NOT_FOUND, "text/plain", b"not found\n".to_vec()),
                    None => plain(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "text/plain",
                        b"stopping\n".to_vec(),
                    ),
                })
            }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), svc);
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}

/// The operation of a lease-protocol target, if `target` is one.
fn lease_operation(target: &str) -> Option<String> {
    let prefix = shardlog::consumer::LEASE_TARGET_PREFIX;
    let op = target.strip_prefix(prefix)?.strip_prefix('.')?;
    Some(op.to_string())
}

/// Serves one lease-protocol request (JSON only): same body limit and signature check as the
/// Kinesis operations, then the store's lease service on a blocking thread (it commits and syncs).
async fn leases(
    shared: &Arc<Shared>,
    req: Request<Incoming>,
    op: String,
    started: Instant,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = match read_body(&parts, body, shared.opts.max_body_bytes).await {
        Ok(b) => b,
        Err(e) => return error(shared, "Leases", started, Encoding::Json, &e),
    };
    if let Some(creds) = &shared.opts.credentials {
        let headers = header_pairs(&parts);
        let now_ms = shared.store.now_ms();
        if let Err(e) = check_signature(creds, &parts, &headers, &body, now_ms) {
            return error(shared, "Leases", started, Encoding::Json, &e);
        }
    }
    let service = shared.leases.clone();
    let answer = tokio::task::spawn_blocking(move || service.handle(&op, &body)).await;
    let (status, body) = answer.unwrap_or_else(|_| {
        let e = br#"{"__type":"InternalFailure","message":"Internal Service Failure"}"#;
        (500, e.to_vec())
    });
    shared.metrics.observe("Leases", started.elapsed(), None);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    plain(status, "application/x-amz-json-1.1", body)
}

/// Reads the body, refusing one over `limit` before buffering it: by its declared length when it
/// has one, and by counting as it arrives otherwise (chunked).
async fn read_body(
    parts: &hyper::http::request::Parts,
    body: Incoming,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let too_large = |n: Option<u64>| ApiError {
        status: 413,
        ..ApiError::serialization(match n {
            Some(n) => format!("Request body of {n} bytes exceeds the limit of {limit} bytes."),
            None => format!("Request body exceeds the limit of {limit} bytes."),
        })
    };
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared.filter(|n| *n > limit as u64) {
        return Err(too_large(Some(n)));
    }
    Limited::new(body, limit)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                too_large(None)
            } else {
                ApiError::serialization(format!("Could not read the request body: {e}"))
            }
        })
}

/// A request's headers as (name, value) pairs, in arrival order; values that are not text are
/// left out (they cannot have been signed).
fn header_pairs(parts: &hyper::http::request::Parts) -> Vec<(&str, &str)> {
    parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect()
}

fn declared_length(parts: &hyper::http::request::Parts) -> Option<u64> {
    parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// A SigV4 refusal as AWS answers it: 403 for a missing token, 400 otherwise.
fn auth_error(e: ApiError) -> ApiError {
    let status = if e.kind == "MissingAuthenticationTokenException" {
        403
    } else {
        400
    };
    ApiError { status, ..e }
}

fn check_signature(
    creds: &sigv4::Credentials,
    parts: &hyper::http::request::Parts,
    headers: &[(&str, &str)],
    body: &[u8],
    now_ms: u64,
) -> Result<(), ApiError> {
    let signed = sigv4::Signed {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or_default(),
        headers: headers.to_vec(),
        body,
    };
    sigv4::verify(creds, &signed, now_ms).map_err(auth_error)
}

fn error(
    shared: &Shared,
    op: &'static str,
    started: Instant,
    encoding: Encoding,
    e: &ApiError,
) -> Response<Body> {
    shared.metrics.observe(op, started.elapsed(), Some(e.kind));
    if e.status >= 500 {
        // The client gets AWS's bare InternalFailure; the operator gets the cause.
        tracing::error!(
            operation = op,
            kind = e.kind,
            message = %e.message,
            "request failed on the server's side"
        );
    }
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = Response::new(full(encoding.error(e)));
    *resp.status_mut() = status;
    set_headers(&mut resp, encoding.content_type());
    if let Ok(v) = HeaderValue::from_str(e.kind) {
        resp.headers_mut().insert("x-amzn-ErrorType", v);
    }
    resp
}

fn plain(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<Body> {
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status;
    set_headers(&mut resp, content_type);
    resp
}

fn set_headers(resp: &mut Response<Body>, content_type: &'static str) {
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(id) = HeaderValue::from_str(&request_id()) {
        h.insert("x-amzn-RequestId", id);
    }
}

fn header<'a>(req: &'a Request<Incoming>, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// A request id shaped like a UUID: a process-wide counter mixed with the start time.
fn request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static EPOCH: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let epoch = *EPOCH.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let x = u128::from(epoch) << 64 | u128::from(n);
    let h = format!("{x:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}
