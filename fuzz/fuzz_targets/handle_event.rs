//! `cargo +nightly fuzz run handle_event`: any bytes as a macro event; the
//! checks are `check_handle_event` in `fuzz/oracles.rs`.

#![no_main]

#[path = "../oracles.rs"]
mod oracles;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| oracles::check_handle_event(data));
