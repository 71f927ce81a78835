//! Prints what each `segment_recovery` input does (triage aid):
//!
//! ```sh
//! SHARDLOG_FUZZ_INPUTS="fuzz/corpus/segment_recovery/seed-*" \
//!   cargo test --manifest-path fuzz/Cargo.toml --test describe -- --ignored --nocapture
//! ```
//! Without the variable it describes every file in `corpus/segment_recovery`.

#[test]
#[ignore = "prints; run on demand"]
fn describe_inputs() {
    let files: Vec<std::path::PathBuf> = match std::env::var("SHARDLOG_FUZZ_INPUTS") {
        Ok(list) => list.split_whitespace().map(Into::into).collect(),
        Err(_) => shardlog_fuzz::files_in(
            &shardlog_fuzz::fuzz_dir()
                .join("corpus")
                .join("segment_recovery"),
        ),
    };
    for path in files {
        let data = std::fs::read(&path).unwrap();
        let line = std::panic::catch_unwind(|| shardlog_fuzz::recovery::describe(&data))
            .unwrap_or_else(|_| "PANIC".into());
        println!("{}: {line}", path.display());
    }
}

/// Prints what each `store_model` input does, one line per operation:
///
/// ```sh
/// SHARDLOG_FUZZ_INPUTS="fuzz/corpus/store_model/seed-*" \
///   cargo test --manifest-path fuzz/Cargo.toml --test describe store -- --ignored --nocapture
/// ```
#[test]
#[ignore = "prints; run on demand"]
fn describe_store_inputs() {
    let files: Vec<std::path::PathBuf> = match std::env::var("SHARDLOG_FUZZ_INPUTS") {
        Ok(list) => list.split_whitespace().map(Into::into).collect(),
        Err(_) => {
            shardlog_fuzz::files_in(&shardlog_fuzz::fuzz_dir().join("corpus").join("store_model"))
        }
    };
    for path in files {
        let data = std::fs::read(&path).unwrap();
        let text = std::panic::catch_unwind(|| shardlog_fuzz::store::describe(&data))
            .unwrap_or_else(|_| "PANIC".into());
        println!("{}:\n{text}", path.display());
    }
}
