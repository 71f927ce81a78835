#![no_main]
//! Lease-protocol requests through the server-side dispatch; see `shardlog_fuzz::lease`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shardlog_fuzz::lease::check(data));
