//! Runs one side of a benchmark once on an event file, for instruction
//! counts under `valgrind --tool=callgrind` (scripts/bench):
//! `run_once handle|floor|read EVENT.json`. `handle` is `answer`, the
//! event's bytes to the answer's bytes, `floor` is serde_json reading and writing the same
//! bytes, `read` only reads the file (the baseline both include).

#[path = "../benches/support/sides.rs"]
mod sides;

use std::hint::black_box;
use std::process::ExitCode;

use dd_serverless_macro::MacroEnvironment;

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
            black_box(sides::handle(&bytes, &MacroEnvironment::default()));
        }
        "floor" => {
            black_box(sides::floor(&bytes));
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
