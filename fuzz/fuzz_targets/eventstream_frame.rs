#![no_main]
//! AWS event-stream frames encoded and decoded against a reference decoder; see `shardlog_fuzz::eventstream`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shardlog_fuzz::eventstream::check(data));
