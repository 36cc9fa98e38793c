//! Every input the fuzzers found a problem with (`fuzz/regressions/TARGET/`),
//! replayed through the fuzz targets' own checks (`fuzz/oracles.rs`).
//! Add a file there for each new finding; the test names the file that fails.

#[path = "../fuzz/oracles.rs"]
mod oracles;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in &entries {
        let data = std::fs::read(path).expect("a regression input is readable");
        let name = path.display().to_string();
        if let Err(panic) = std::panic::catch_unwind(|| check(&data)) {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{name}: {what}");
        }
    }
    entries.len()
}

#[test]
fn handle_event_regressions() {
    assert!(replay("handle_event", oracles::check_handle_event) >= 1);
}

#[test]
fn template_parse_regressions() {
    assert!(replay("template_parse", oracles::check_template_parse) >= 4);
}
