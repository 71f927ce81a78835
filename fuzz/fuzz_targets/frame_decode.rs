#![no_main]
//! Decodes arbitrary bytes as a frame; see `shardlog_fuzz::frame`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shardlog_fuzz::frame::check(data));
