#!/usr/bin/env bash
# Runs one fuzz target for a while.
#
#   fuzz/run.sh TARGET SECONDS [extra libFuzzer flags...]
#
# TARGET: frame_decode | segment_recovery | index_decode | checkpoint_open | store_model | request_parse |
# http_request | sigv4_parse | eventstream_frame | lease_protocol. Installs cargo-fuzz if it is missing, then fuzzes with
# AddressSanitizer on the stable toolchain (RUSTC_BOOTSTRAP=1 unlocks the -Z flags cargo-fuzz
# passes); if that build fails, falls back to `--sanitizer none`. Set FUZZ_SANITIZER=none to skip
# the ASan attempt, FUZZ_JOBS=N to run N fuzzing processes (libFuzzer -fork=N, crashes do not stop
# the run), SHARDLOG_FUZZ_STRICT=1 to fail on the known open bugs as well.
# New corpus entries land in fuzz/corpus/TARGET, crashes in fuzz/artifacts/TARGET.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 TARGET SECONDS [libFuzzer flags...]" >&2
    exit 2
fi
target=$1
seconds=$2
shift 2

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "run.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -malloc_limit_mb=1024)
if [ -n "${FUZZ_JOBS:-}" ] && [ "${FUZZ_JOBS}" -gt 1 ]; then
    flags+=(-fork="$FUZZ_JOBS" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi
mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"

sanitizer=${FUZZ_SANITIZER:-address}
if [ "$sanitizer" = address ]; then
    if RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer address "$target"; then
        exec env RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer address "$target" -- "${flags[@]}" "$@"
    fi
    echo "run.sh: the ASan build failed; fuzzing without a sanitizer" >&2
fi
exec cargo fuzz run --sanitizer none "$target" -- "${flags[@]}" "$@"
