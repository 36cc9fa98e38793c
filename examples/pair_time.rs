//! Times `handle` and its floor on one event in alternation, for a ratio a
//! change of load on a shared machine does not skew (scripts/bench). Each
//! round runs one side a few times in a row, then the other (in turn
//! first): in a row, each side runs on the heap its own runs left, as it
//! would alone (one run right after the other side's is slowed or sped up by
//! the heap that side left). A round's ratio is that of its two medians; the
//! result is the median of the rounds'. `pair_time EVENT.json [ROUNDS]`
//! prints `handle_ms floor_ms ratio` (medians).

#[path = "../benches/support/sides.rs"]
mod sides;

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use dd_serverless_macro::MacroEnvironment;

/// Runs of one side in a row, in each round.
const IN_A_ROW: usize = 5;

/// The median time of `IN_A_ROW` runs of `side`, in milliseconds.
fn time(mut side: impl FnMut()) -> f64 {
    let runs = (0..IN_A_ROW)
        .map(|_| {
            let started = Instant::now();
            side();
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    median(runs)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (file, rounds) = match args.as_slice() {
        [file] => (file, 60),
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
    let mut handle = || {
        black_box(sides::handle(&bytes, &environment));
    };
    let mut floor = || {
        black_box(sides::floor(&bytes));
    };
    time(&mut handle);
    time(&mut floor);
    let (mut handles, mut floors, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (h, f) = if round % 2 == 0 {
            let h = time(&mut handle);
            (h, time(&mut floor))
        } else {
            let f = time(&mut floor);
            (time(&mut handle), f)
        };
        handles.push(h);
        floors.push(f);
        ratios.push(h / f);
    }
    println!(
        "{:.3} {:.3} {:.3}",
        median(handles),
        median(floors),
        median(ratios)
    );
    ExitCode::SUCCESS
}
