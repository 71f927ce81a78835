#!/usr/bin/env bash
# Runs the official AWS SDK for Rust (aws-sdk-kinesis, from crates.io) against `shardlog serve`: every
# check prints `ok   NAME` or `FAIL NAME: ERROR`, the last line `sdk: N passed, M failed`. Then SIGTERM
# must stop the server cleanly (exit 0, store closed). Twice: over http://, and over https:// with the
# certificate `serve --tls` made (the SDK offers ALPN h2 first, so its calls and subscriptions go over
# HTTP/2). The server delivers channels after a second (--channel-freshness-secs 1); the SDK program
# reads their objects in the data directory (SHARDLOG_SDK_DATA). The SDK program is a project of its
# own (not a workspace member) built in its own target dir: about 2 minutes the first time, seconds
# after that.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
target="${CARGO_TARGET_DIR:-target}"
sdk_target="${SHARDLOG_SDK_TARGET:-target/sdk}"

# The test profile (also target/debug) reuses what the workspace tests (`cargo nextest run --workspace`) just built.
cargo build --quiet --profile test -p shardlog-cli
bin="$target/debug/shardlog"
cargo build --quiet --locked --manifest-path crates/server/tests/sdk/Cargo.toml --target-dir "$sdk_target"
sdk="$sdk_target/debug/shardlog-sdk-conformance"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pid=""
data=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  if [ -n "$data" ]; then rm -rf "$data"; fi
}
trap cleanup EXIT

# check SCHEME [SERVE FLAGS...]: a fresh server, the SDK checks against it, then SIGTERM must stop it
# cleanly. Over https the SDK trusts only the certificate `serve --tls` made.
check() {
  local scheme=$1
  shift
  port=$(free_port)
  data=$(mktemp -d)
  "$bin" --data-dir "$data" serve --bind "127.0.0.1:$port" --channel-freshness-secs 1 "$@" &
  pid=$!
  up=""
  for _ in $(seq 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.1)" 2>/dev/null; then up=1; break; fi
    sleep 0.1
  done
  if [ -z "$up" ]; then echo "shardlog serve did not listen on 127.0.0.1:$port within 10 s" >&2; exit 1; fi

  local status=0
  SHARDLOG_SDK_CA="$data/tls/cert.pem" SHARDLOG_SDK_DATA="$data" "$sdk" "$scheme://127.0.0.1:$port" || status=$?

  kill -TERM "$pid"
  server=0
  wait "$pid" || server=$?
  pid=""
  if [ "$server" -ne 0 ]; then echo "shardlog serve exited $server after SIGTERM; a graceful shutdown exits 0" >&2; exit 1; fi
  # The lock is released: the store opens again at once.
  "$bin" --data-dir "$data" list >/dev/null
  rm -rf "$data"
  data=""
  if [ "$status" -ne 0 ]; then exit "$status"; fi
}

check http
check https --tls
