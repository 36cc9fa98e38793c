//! Runs one side of a benchmark once on an event file, for instruction
//! counts under `valgrind --tool=callgrind` (scripts/bench):
//! `run_once handle|floor|read EVENT.json`. `handle` is `answer_to_vec`, the
//! event's bytes to the answer's bytes, `floor` is serde_json reading and writing the same
//! bytes, `read` only reads the file (the baseline both include).

use std::hint::black_box;
use std::process::ExitCode;

use dd_serverless_macro::{MacroEnvironment, answer_to_vec};
use serde_json::Value;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, file] = args.as_slice() else {
        eprintln!("usage: run_once handle|floor|read EVENT.json");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("run_once: cannot read {file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match mode.as_str() {
        "handle" => {
            let (answer, _) = answer_to_vec(black_box(&bytes), &MacroEnvironment::default());
            black_box(answer);
        }
        "floor" => {
            let value: Value =
                serde_json::from_slice(black_box(&bytes)).expect("the event is JSON");
            black_box(serde_json::to_vec(&value).expect("a value serialises"));
        }
        "read" => {
            black_box(&bytes);
        }
        _ => {
            eprintln!("run_once: unknown mode {mode}");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
