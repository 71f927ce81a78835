#![no_main]
//! Raw HTTP/1.1 requests to a real server over TCP; see `shardlog_fuzz::http`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shardlog_fuzz::http::check(data));
