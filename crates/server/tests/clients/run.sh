#!/usr/bin/env bash
# Runs boto3 and the AWS CLI (installed from PyPI into a virtual environment) against `shardlog serve`:
# once without authentication, once with SigV4 verification on, once over HTTPS with the certificate
# `serve --tls` makes (trusted through AWS_CA_BUNDLE). Then SIGTERM must stop the server
# cleanly (exit 0, store closed). The channel script reads the objects the server delivers to the
# data directory, and once more from an S3 service (moto's server, from PyPI) that the server writes
# them to (`serve --s3-endpoint`). Takes about two minutes after the first install.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
target="${CARGO_TARGET_DIR:-target}"
venv="${SHARDLOG_CLIENTS_VENV:-$target/clients-venv}"

# boto3 pinned to the release whose botocore has the queue and channel operations (the model the
# server's tables come from, crates/server/src/model.rs); zstandard reads the channels' ZSTD objects.
# An older venv is upgraded.
boto3_version=1.44.18
zstandard_version=0.25.0
moto_version=5.2.6
if ! "$venv/bin/python" -c "import boto3, awscli, zstandard, moto; assert boto3.__version__ == '$boto3_version'; assert zstandard.__version__ == '$zstandard_version'; assert moto.__version__ == '$moto_version'" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "boto3==$boto3_version" awscli "zstandard==$zstandard_version" "moto[server]==$moto_version"
fi
# The test profile (also target/debug) reuses what the workspace tests (`cargo nextest run --workspace`) just built.
cargo build --quiet --profile test -p shardlog-cli
bin="$target/debug/shardlog"

free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pid=""
moto=""
data=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  if [ -n "$moto" ]; then kill "$moto" 2>/dev/null || true; fi
  if [ -n "$data" ]; then rm -rf "$data"; fi
}
trap cleanup EXIT

# run_client SCRIPT ARGS...: runs one client script; over HTTPS it trusts the server's certificate.
run_client() {
  local script=$1
  shift
  if [ "${SCHEME:-http}" = https ]; then
    AWS_CA_BUNDLE="$data/tls/cert.pem" "$venv/bin/python" "crates/server/tests/clients/$script" "$@"
  else
    "$venv/bin/python" "crates/server/tests/clients/$script" "$@"
  fi
}

# wait_port PORT: until something listens on 127.0.0.1:PORT (at most 10 s).
wait_port() {
  for _ in $(seq 100); do
    if "$venv/bin/python" -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.1)" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1 after 10 s" >&2
  return 1
}

# serve_and_check ARGS...: starts a server, runs the client scripts with ARGS, stops it with SIGTERM.
serve_and_check() {
  local port
  port=$(free_port)
  data=$(mktemp -d)
  # Channels deliver within a second or two instead of their 300 s data freshness.
  "$bin" --data-dir "$data" serve --bind "127.0.0.1:$port" --channel-freshness-secs 1 $SERVE_FLAGS &
  pid=$!
  for _ in $(seq 100); do
    if "$venv/bin/python" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.1)" 2>/dev/null; then break; fi
    sleep 0.1
  done
  local scheme="${SCHEME:-http}"
  local endpoint="$scheme://127.0.0.1:$port"
  run_client kinesis_clients.py "$endpoint" "$@"
  run_client kinesis_queues.py "$endpoint" "$@"
  # The channel script reads the delivered objects in the data directory.
  run_client kinesis_channels.py "$endpoint" "$data" "$@"
  kill -TERM "$pid"
  wait "$pid"   # graceful shutdown exits 0
  pid=""
  # The lock is released: the store opens again at once.
  "$bin" --data-dir "$data" list >/dev/null
  rm -rf "$data"
  data=""
}

SERVE_FLAGS="" serve_and_check
SERVE_FLAGS="--access-key-id AKIDSHARDLOG --secret-access-key local-secret" \
  serve_and_check --signed AKIDSHARDLOG local-secret
SCHEME=https SERVE_FLAGS="--tls" serve_and_check

# Channels to S3: moto's S3 server stands in for it; the channel script makes the buckets and reads
# the objects back through boto3's S3 client.
s3_port=$(free_port)
"$venv/bin/moto_server" -H 127.0.0.1 -p "$s3_port" >/dev/null 2>&1 &
moto=$!
wait_port "$s3_port"
port=$(free_port)
data=$(mktemp -d)
AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
  "$bin" --data-dir "$data" --s3-endpoint "http://127.0.0.1:$s3_port" serve --bind "127.0.0.1:$port" --channel-freshness-secs 1 &
pid=$!
wait_port "$port"
run_client kinesis_channels.py "http://127.0.0.1:$port" "$data" --s3 "http://127.0.0.1:$s3_port"
kill -TERM "$pid"
wait "$pid"
pid=""
kill "$moto"
moto=""
rm -rf "$data"
data=""
