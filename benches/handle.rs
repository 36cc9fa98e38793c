//! `cargo bench`: the macro on generated events (each of
//! `benches/support/event_gen.rs`: three shapes of 50 and 500 functions, 1
//! function, 20 state machines), each beside its floor, `serde_json`
//! parsing the same bytes into a `Value` and writing it back.
//!
//! Both sides go from bytes to bytes: `handle` is [`answer`], the
//! event's bytes to the response's bytes, as the deployed macro runs it
//! (`handle-event` writes the same bytes to stdout as they come). `scripts/bench`
//! reads the medians from `target/criterion/EVENT/{handle,floor}/new/`.

#[path = "support/event_gen.rs"]
mod event_gen;
#[path = "support/sides.rs"]
mod sides;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dd_serverless_macro::{MacroEnvironment, answer};

fn handle_vs_floor(c: &mut Criterion) {
    let environment = MacroEnvironment::default();
    for name in event_gen::EVENTS {
        let bytes = event_gen::event_bytes(name).expect("every listed event exists");
        let (answer, answered) = answer(&bytes, &environment);
        assert!(
            answered.success,
            "{name}: the generated event must transform: {}",
            String::from_utf8_lossy(&answer)
        );
        let mut group = c.benchmark_group(*name);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("handle", |b| b.iter(|| sides::handle(&bytes, &environment)));
        group.bench_function("floor", |b| b.iter(|| sides::floor(&bytes)));
        group.finish();
    }
}

criterion_group!(benches, handle_vs_floor);
criterion_main!(benches);
