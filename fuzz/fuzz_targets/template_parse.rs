//! `cargo +nightly fuzz run template_parse`: any bytes as a template file;
//! the checks are `check_template_parse` in `fuzz/oracles.rs`.

#![no_main]

#[path = "../oracles.rs"]
mod oracles;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| oracles::check_template_parse(data));
