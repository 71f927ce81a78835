#![no_main]
//! Decodes arbitrary bytes as a `.idx` side file or `log.meta`; see `shardlog_fuzz::index`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shardlog_fuzz::index::check(data));
