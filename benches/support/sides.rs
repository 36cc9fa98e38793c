//! The two sides every benchmark compares, defined once for `cargo bench`
//! (benches/handle.rs), `examples/pair_time.rs` and `examples/run_once.rs`:
//! `handle`, the event's bytes to the answer's bytes as the deployed macro
//! and `handle-event` produce them, and its floor, serde_json reading the
//! same bytes into a `Value` and writing it back.

use std::hint::black_box;

use dd_serverless_macro::{MacroEnvironment, answer};
use serde_json::Value;

/// The macro's answer to the event `bytes`.
pub fn handle(bytes: &[u8], environment: &MacroEnvironment) -> Vec<u8> {
    answer(black_box(bytes), environment).0
}

/// The floor: the event read into a `Value` and written back (the value
/// freed, as the macro frees its own).
pub fn floor(bytes: &[u8]) -> Vec<u8> {
    let value: Value = serde_json::from_slice(black_box(bytes)).expect("the event is JSON");
    serde_json::to_vec(&value).expect("a value serialises")
}
