//! The control socket: a Unix socket in the data directory through which the process that owns the
//! store takes operator commands another process cannot run while the store is locked: an online
//! backup (`shardlog backup` uses it when a `shardlog serve` holds the store) and the channels'
//! progress (`shardlog channel status`).
//!
//! It speaks HTTP/1.1 (hyper on both ends, so `curl --unix-socket` works too):
//!
//! ```text
//! POST /backup            {"destination": "/absolute/new/dir"}
//! 200 application/x-ndjson
//! {"bytes": 1048576}      progress, at most four lines a second
//! {"report": {...}}       the last line on success: shardlog::backup::BackupReport
//! {"error": "..."}        or the last line on failure (the backup is then unfinished)
//!
//! GET /channels
//! 200 application/json    [shardlog::ChannelProgress, ...], one per channel
//! ```
//!
//! A request that cannot start (bad body, relative path, a backup already running) is answered
//! 4xx with one `{"error": ...}` line. Only the socket's owner can connect: it is made with mode
//! 0600, so whoever can use it could read the data directory anyway.

use crate::body::{full, Body};
use crate::Shared;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use shardlog::backup::BackupReport;
use shardlog::ChannelProgress;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The largest request body the control socket reads.
const MAX_BODY: usize = 64 << 10;
/// How often a running backup reports its progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// The body of `POST /backup`.
#[derive(Debug, Serialize, Deserialize)]
struct BackupRequest {
    destination: PathBuf,
}

/// One line of the answer to `POST /backup`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Line {
    Bytes(u64),
    Report(BackupReport),
    Error(String),
}

impl Line {
    fn encode(&self) -> Bytes {
        let mut v =
            serde_json::to_vec(self).unwrap_or_else(|_| b"{\"error\":\"encoding\"}".to_vec());
        v.push(b'\n');
        Bytes::from(v)
    }
}

/// Binds the control socket at `path`, replacing a socket left there by a process that died
/// (the caller holds the store's lock, so no live server owns it). Anything else at `path` is
/// left alone and binding fails.
pub(crate) fn bind(path: &Path) -> std::io::Result<tokio::net::UnixListener> {
    use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => std::fs::remove_file(path)?,
        Ok(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = tokio::net::UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Serves control requests one connection at a time (operator commands are rare, and one backup
/// at a time is all the disk should carry) until the task is aborted.
pub(crate) async fn serve(listener: tokio::net::UnixListener, shared: Arc<Shared>) {
    let busy = Arc::new(AtomicBool::new(false));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "accepting a control connection failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let (shared, busy) = (shared.clone(), busy.clone());
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let (shared, busy) = (shared.clone(), busy.clone());
                async move { Ok::<_, std::convert::Infallible>(answer(req, shared, busy).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc);
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "control connection ended");
            }
        });
    }
}

async fn answer(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    busy: Arc<AtomicBool>,
) -> Response<Body> {
    match (req.uri().path(), req.method()) {
        ("/backup", &Method::POST) => backup(req, shared, busy).await,
        ("/channels", &Method::GET) => channels(shared).await,
        ("/backup", _) => refuse(StatusCode::METHOD_NOT_ALLOWED, "use POST /backup"),
        ("/channels", _) => refuse(StatusCode::METHOD_NOT_ALLOWED, "use GET /channels"),
        _ => refuse(
            StatusCode::NOT_FOUND,
            "unknown command: the control socket has POST /backup and GET /channels",
        ),
    }
}

/// Every channel's progress, read on a blocking thread (it reads the checkpoint file).
async fn channels(shared: Arc<Shared>) -> Response<Body> {
    let store = shared.store.clone();
    let all = tokio::task::spawn_blocking(move || {
        store
            .list_channels(None)?
            .iter()
            .map(|c| store.channel_progress(&c.channel_arn))
            .collect::<shardlog::Result<Vec<_>>>()
    })
    .await;
    match all {
        Ok(Ok(all)) => {
            let body = serde_json::to_vec(&all).unwrap_or_default();
            let mut resp = Response::new(full(body));
            resp.headers_mut().insert(
                CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("application/json"),
            );
            resp
        }
        Ok(Err(e)) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

async fn backup(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    busy: Arc<AtomicBool>,
) -> Response<Body> {
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                &format!("reading the request: {e}"),
            )
        }
    };
    let dest = match serde_json::from_slice::<BackupRequest>(&body) {
        Ok(r) if r.destination.is_absolute() => r.destination,
        Ok(r) => {
            let msg = format!(
                "the destination must be an absolute path: {}",
                r.destination.display()
            );
            return refuse(StatusCode::BAD_REQUEST, &msg);
        }
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                &format!("expected {{\"destination\": PATH}}: {e}"),
            )
        }
    };
    if busy.swap(true, Ordering::AcqRel) {
        return refuse(StatusCode::CONFLICT, "a backup is already running");
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    tokio::spawn(run_backup(shared, dest, tx, busy));
    let mut resp = Response::new(crate::body::channel(rx));
    resp.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/x-ndjson"),
    );
    resp
}

/// Runs the backup on a blocking thread and streams its progress and outcome into `tx`. The
/// backup finishes even if the client goes away: a finished backup is worth more than a
/// half-written directory.
async fn run_backup(
    shared: Arc<Shared>,
    dest: PathBuf,
    tx: tokio::sync::mpsc::Sender<Bytes>,
    busy: Arc<AtomicBool>,
) {
    tracing::info!(destination = %dest.display(), "backup started");
    let bytes = Arc::new(AtomicU64::new(0));
    let (store, counter) = (shared.store.clone(), bytes.clone());
    let target = dest.clone();
    let mut job = tokio::task::spawn_blocking(move || {
        store.backup(&target, &|n| {
            counter.fetch_add(n, Ordering::Relaxed);
        })
    });
    let mut ticks = tokio::time::interval(PROGRESS_EVERY);
    let mut reported = 0;
    let outcome = loop {
        tokio::select! {
            done = &mut job => break done,
            _ = ticks.tick() => {
                let now = bytes.load(Ordering::Relaxed);
                if now != reported {
                    reported = now;
                    let _ = tx.send(Line::Bytes(now).encode()).await;
                }
            }
        }
    };
    busy.store(false, Ordering::Release);
    let last = match outcome {
        Ok(Ok(report)) => {
            tracing::info!(destination = %dest.display(), bytes = report.bytes, "backup finished");
            Line::Report(report)
        }
        Ok(Err(e)) => {
            tracing::warn!(destination = %dest.display(), error = %e, "backup failed");
            Line::Error(e.to_string())
        }
        Err(e) => Line::Error(format!("the backup task failed: {e}")),
    };
    let _ = tx.send(last.encode()).await;
}

fn refuse(status: StatusCode, message: &str) -> Response<Body> {
    let mut resp = Response::new(full(Line::Error(message.to_string()).encode().to_vec()));
    *resp.status_mut() = status;
    resp
}

/// Asks the process serving the control socket at `socket` to back its store up into `dest` (an
/// absolute path, on that process's machine), calling `progress` with the bytes written so far.
/// Blocks until the backup is done. An error of kind `NotFound` or `ConnectionRefused` means
/// nothing listens at `socket`; other errors carry the server's reason.
///
/// ```no_run
/// let socket = std::path::Path::new("/var/lib/shardlog/control.sock");
/// let report = shardlog_server::backup_through(socket, "/backups/today".as_ref(), &|_| {})?;
/// println!("{} shards", report.shards);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn backup_through(
    socket: &Path,
    dest: &Path,
    progress: &dyn Fn(u64),
) -> std::io::Result<BackupReport> {
    let body = serde_json::to_vec(&BackupRequest {
        destination: dest.to_path_buf(),
    })
    .map_err(std::io::Error::other)?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(request_backup(socket, body, progress))
}

/// An HTTP/1.1 connection to the control socket at `socket`: the sender, and the task that
/// drives the connection (abort it when done).
async fn connect(
    socket: &Path,
) -> std::io::Result<(
    hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    tokio::task::JoinHandle<hyper::Result<()>>,
)> {
    let stream = tokio::net::UnixStream::connect(socket).await?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    Ok((sender, tokio::spawn(conn)))
}

async fn request_backup(
    socket: &Path,
    body: Vec<u8>,
    progress: &dyn Fn(u64),
) -> std::io::Result<BackupReport> {
    let (mut sender, conn) = connect(socket).await?;
    let req = Request::post("/backup")
        .header(hyper::header::HOST, "localhost")
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(std::io::Error::other)?;
    let mut resp = sender
        .send_request(req)
        .await
        .map_err(std::io::Error::other)?;
    let mut pending = Vec::new();
    let mut last = None;
    while let Some(frame) = resp.body_mut().frame().await {
        let frame = frame.map_err(std::io::Error::other)?;
        let Some(data) = frame.data_ref() else {
            continue;
        };
        pending.extend_from_slice(data);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            match serde_json::from_slice::<Line>(&line).map_err(std::io::Error::other)? {
                Line::Bytes(n) => progress(n),
                other => last = Some(other),
            }
        }
    }
    conn.abort();
    match last {
        Some(Line::Report(report)) => Ok(report),
        Some(Line::Error(reason)) => Err(std::io::Error::other(reason)),
        _ => Err(std::io::Error::other(format!(
            "the server ended the answer without an outcome (HTTP {})",
            resp.status()
        ))),
    }
}

/// Asks the process serving the control socket at `socket` for every channel's progress. An
/// error of kind `NotFound` or `ConnectionRefused` means nothing listens at `socket`.
///
/// ```no_run
/// let socket = std::path::Path::new("/var/lib/shardlog/control.sock");
/// for c in shardlog_server::channels_through(socket)? {
///     println!("{}: {} behind", c.channel_name, c.behind);
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn channels_through(socket: &Path) -> std::io::Result<Vec<ChannelProgress>> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(request_channels(socket))
}

async fn request_channels(socket: &Path) -> std::io::Result<Vec<ChannelProgress>> {
    let (mut sender, conn) = connect(socket).await?;
    let req = Request::get("/channels")
        .header(hyper::header::HOST, "localhost")
        .body(Full::new(Bytes::new()))
        .map_err(std::io::Error::other)?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(std::io::Error::other)?;
    let status = resp.status();
    let body = Limited::new(resp.into_body(), 64 << 20)
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    conn.abort();
    if !status.is_success() {
        let reason = match serde_json::from_slice::<Line>(&body) {
            Ok(Line::Error(reason)) => reason,
            _ => format!("HTTP {status}"),
        };
        return Err(std::io::Error::other(reason));
    }
    serde_json::from_slice(&body).map_err(std::io::Error::other)
}
