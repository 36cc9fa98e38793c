//! Times `handle` and its floor on one event in alternation, for a ratio a
//! change of load on a shared machine does not skew (scripts/bench): each
//! round runs both, in turn first, and the ratio is the median of the
//! rounds' ratios. `pair_time EVENT.json [ROUNDS]` prints
//! `handle_ms floor_ms ratio` (medians).

#[path = "../benches/support/sides.rs"]
mod sides;

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use dd_serverless_macro::MacroEnvironment;

fn handle(bytes: &[u8], environment: &MacroEnvironment) -> Duration {
    let started = Instant::now();
    black_box(sides::handle(bytes, environment));
    started.elapsed()
}

fn floor(bytes: &[u8]) -> Duration {
    let started = Instant::now();
    black_box(sides::floor(bytes));
    started.elapsed()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (file, rounds) = match args.as_slice() {
        [file] => (file, 200),
        [file, rounds] => match rounds.parse() {
            Ok(rounds) if rounds > 0 => (file, rounds),
            _ => {
                eprintln!("pair_time: ROUNDS must be a positive number, not {rounds}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("usage: pair_time EVENT.json [ROUNDS]");
            return ExitCode::from(2);
        }
    };
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("pair_time: cannot read {file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let environment = MacroEnvironment::default();
    for _ in 0..rounds / 10 + 1 {
        handle(&bytes, &environment);
        floor(&bytes);
    }
    let (mut handles, mut floors, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (h, f) = if round % 2 == 0 {
            let h = handle(&bytes, &environment);
            (h, floor(&bytes))
        } else {
            let f = floor(&bytes);
            (handle(&bytes, &environment), f)
        };
        handles.push(h.as_secs_f64() * 1e3);
        floors.push(f.as_secs_f64() * 1e3);
        ratios.push(h.as_secs_f64() / f.as_secs_f64());
    }
    println!(
        "{:.3} {:.3} {:.3}",
        median(handles),
        median(floors),
        median(ratios)
    );
    ExitCode::SUCCESS
}
