//! Replays every checked-in fuzz input through the same check functions the fuzz targets use:
//! `corpus/<target>/*` (the fuzzing corpus) and `regressions/<target>/*` (inputs that once crashed).
//!
//! Runs on stable with plain `cargo test --manifest-path fuzz/Cargo.toml`; no libFuzzer involved.
//!
//! The corpus runs like the fuzz targets do (stepping around known open bugs unless
//! `SHARDLOG_FUZZ_STRICT=1`); regressions always run strictly. A regression that reproduces a bug not
//! fixed yet is listed in `known-failures.txt` (`<target>/<file>` per line): it is run and reported
//! but does not fail the test. A listed input that passes is reported so the line can be removed.

use shardlog_fuzz::{files_in, fuzz_dir, TARGETS};
use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

fn known_failures() -> BTreeSet<String> {
    let text = std::fs::read_to_string(fuzz_dir().join("known-failures.txt")).unwrap_or_default();
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn replay_corpus_and_regressions() {
    let known = known_failures();
    let strict = shardlog_fuzz::strict();
    // Capture panic messages instead of printing a backtrace per failing input.
    let last_panic = Arc::new(Mutex::new(String::new()));
    let sink = last_panic.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let at = info.location().map(|l| l.to_string()).unwrap_or_default();
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        *sink.lock().unwrap() = format!("{msg} (at {at})");
    }));
    let mut failures = Vec::new();
    let mut ran = 0usize;
    for (target, check) in TARGETS {
        let mut per_target = 0usize;
        for dir in ["corpus", "regressions"] {
            for path in files_in(&fuzz_dir().join(dir).join(target)) {
                let data = std::fs::read(&path).unwrap();
                let file = path.file_name().unwrap().to_string_lossy().to_string();
                let id = format!("{target}/{file}");
                let strict_here = strict || dir == "regressions";
                let result = catch_unwind(AssertUnwindSafe(|| check(&data, strict_here)));
                per_target += 1;
                match (result, known.contains(&id)) {
                    (Ok(()), false) => {}
                    (Ok(()), true) => {
                        eprintln!("{id}: passes now; remove it from known-failures.txt")
                    }
                    (Err(_), true) => {
                        eprintln!("{id}: known failure: {}", last_panic.lock().unwrap())
                    }
                    (Err(_), _) => {
                        failures.push(format!("{dir}/{id}: {}", last_panic.lock().unwrap()))
                    }
                }
            }
        }
        assert!(per_target > 0, "no inputs for target {target}");
        ran += per_target;
    }
    std::panic::set_hook(previous);
    eprintln!("replayed {ran} inputs");
    assert!(
        failures.is_empty(),
        "{} inputs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
