#![no_main]
//! Kinesis request bodies through the server's decode/validate/run path; see `shardlog_fuzz::request`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shardlog_fuzz::request::check(data));
