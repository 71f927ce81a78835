//! Check functions shared by the fuzz targets (`fuzz_targets/`) and the corpus replay test
//! (`tests/replay.rs`).
//!
//! Each `check` function takes the raw fuzzer input and panics when the crate under test
//! (`shardlog-segment`, `shardlog-checkpoint`, the `shardlog` engine or `shardlog-server`) misbehaves: a panic inside
//! it, or a broken invariant asserted here. Plain `cargo test` runs the same
//! functions over every checked-in input, so a regression shows up without libFuzzer or nightly.

pub mod checkpoint;
pub mod eventstream;
pub mod format;
pub mod frame;
pub mod http;
pub mod index;
pub mod input;
pub mod known;
pub mod lease;
pub mod recovery;
pub mod request;
pub mod sigv4;
pub mod store;

use std::path::{Path, PathBuf};

/// A check function: the input, and whether known open bugs fail it too (see [`strict`]).
pub type Check = fn(&[u8], bool);

/// The fuzz targets and their check functions, by target name.
pub const TARGETS: &[(&str, Check)] = &[
    ("frame_decode", frame::check_with),
    ("segment_recovery", recovery::check_with),
    ("index_decode", index::check_with),
    ("checkpoint_open", checkpoint::check_with),
    ("store_model", store::check_with),
    ("request_parse", request::check_with),
    ("http_request", http::check_with),
    ("sigv4_parse", sigv4::check_with),
    ("eventstream_frame", eventstream::check_with),
    ("lease_protocol", lease::check_with),
];

/// The check function of a target.
pub fn target(name: &str) -> Option<Check> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Whether the fuzz targets fail on known open bugs too: `SHARDLOG_FUZZ_STRICT=1`.
///
/// Bugs that fuzzing found and that are not fixed yet are listed in `fuzz/README.md`; by default the
/// checks step around each of them (skip the input, or the one assertion it breaks), so that a long
/// run finds new bugs instead of the same one again. Strict mode turns that off: use it to check a fix.
pub fn strict() -> bool {
    static STRICT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *STRICT.get_or_init(|| std::env::var("SHARDLOG_FUZZ_STRICT").is_ok_and(|v| v == "1"))
}

/// Root of the fuzz crate (where `corpus/` and `regressions/` live).
pub fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Regular files directly inside `dir`, sorted by name (none if `dir` does not exist).
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}
