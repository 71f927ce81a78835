#![no_main]
//! Opens, reads, verifies and writes a checkpoint file built from the input; see `shardlog_fuzz::checkpoint`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shardlog_fuzz::checkpoint::check(data));
