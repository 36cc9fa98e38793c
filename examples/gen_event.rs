//! Writes the benchmark events (see `benches/support/event_gen.rs`) as
//! compact JSON files: `cargo run --release --example gen_event -- DIR`
//! writes `DIR/NAME.json` for each event (`functions-500.json`...). With a
//! name instead of a directory (`-- functions-500`), writes that one event
//! to standard output.

#[path = "../benches/support/event_gen.rs"]
mod event_gen;

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(target) = std::env::args().nth(1) else {
        eprintln!(
            "usage: gen_event DIR | gen_event NAME   (names: {})",
            event_gen::EVENTS.join(", ")
        );
        return ExitCode::from(2);
    };
    if let Some(bytes) = event_gen::event_bytes(&target) {
        let mut out = std::io::stdout().lock();
        return match out.write_all(&bytes).and_then(|_| out.flush()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("gen_event: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let dir = std::path::Path::new(&target);
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("gen_event: cannot create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    for name in event_gen::EVENTS {
        let bytes = event_gen::event_bytes(name).expect("every listed event exists");
        let path = dir.join(format!("{name}.json"));
        if let Err(e) = std::fs::write(&path, &bytes) {
            eprintln!("gen_event: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("{}\t{} bytes", path.display(), bytes.len());
    }
    ExitCode::SUCCESS
}
