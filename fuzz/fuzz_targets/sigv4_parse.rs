#![no_main]
//! SigV4 Authorization parsing and verification against a reference signer; see `shardlog_fuzz::sigv4`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shardlog_fuzz::sigv4::check(data));
