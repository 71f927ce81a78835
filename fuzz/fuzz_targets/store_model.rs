#![no_main]
//! Runs random store operations with crashes against a model; see `shardlog_fuzz::store`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shardlog_fuzz::store::check(data));
