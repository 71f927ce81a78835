#![no_main]
//! Opens a log whose segment files come from the input; see `shardlog_fuzz::recovery`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shardlog_fuzz::recovery::check(data));
