//! Both ways README.md builds the macro, `scripts/build-macro` (cargo lambda)
//! and `sam build`, produce the bootstrap that `template.yml` deploys: an
//! aarch64 Linux executable needing no glibc newer than `provided.al2023` has
//! (2.34; the Lambda runtime library needs 2.29).
//!
//! They need cargo-lambda, zig and the SAM CLI (in `.venv`) and the
//! `aarch64-unknown-linux-gnu` Rust target: `scripts/test` provides them, or
//! fails, and runs these tests; plain `cargo test` leaves them out
//! (`#[ignore]`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use common::process::{Finished, run_with_deadline};
use common::{child_path, repo_root, scratch, venv_tool};

/// The newest glibc of `provided.al2023`.
const AL2023_GLIBC: (u32, u32) = (2, 34);
/// ELF machine number of aarch64.
const EM_AARCH64: u16 = 183;

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .map(|d| {
            if d.is_absolute() {
                d
            } else {
                repo_root().join(d)
            }
        })
        .unwrap_or_else(|| repo_root().join("target"))
}

/// The highest `GLIBC_x.y` symbol version named in the binary.
fn newest_glibc(binary: &[u8]) -> Option<(u32, u32)> {
    let needle = b"GLIBC_";
    let mut newest = None;
    for start in binary
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i + needle.len())
    {
        let version: String = binary[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .map(|b| *b as char)
            .collect();
        let mut parts = version.split('.').map(|p| p.parse::<u32>());
        if let (Some(Ok(major)), Some(Ok(minor))) = (parts.next(), parts.next()) {
            newest = newest.max(Some((major, minor)));
        }
    }
    newest
}

/// Checks that `bootstrap` is what `provided.al2023` runs on arm64: a 64-bit
/// aarch64 ELF executable needing no newer glibc than the runtime has.
fn assert_deployable(bootstrap: &Path) {
    let binary = std::fs::read(bootstrap)
        .unwrap_or_else(|e| panic!("no bootstrap at {}: {e}", bootstrap.display()));
    assert_eq!(&binary[..4], b"\x7fELF", "an ELF executable");
    assert_eq!(binary[4], 2, "64-bit");
    assert_eq!(
        u16::from_le_bytes([binary[18], binary[19]]),
        EM_AARCH64,
        "built for aarch64"
    );
    let glibc = newest_glibc(&binary).expect("linked against glibc");
    assert!(
        glibc <= AL2023_GLIBC,
        "the bootstrap needs glibc {}.{}, newer than provided.al2023's {}.{}",
        glibc.0,
        glibc.1,
        AL2023_GLIBC.0,
        AL2023_GLIBC.1
    );
}

/// Held for the whole of each build test: `scripts/build-macro` and
/// `sam build` both have cargo lambda write
/// `target/lambda/dd-serverless-macro/bootstrap`, so side by side one test
/// could read the file while the other's build is rewriting it.
static ONE_BUILD_AT_A_TIME: Mutex<()> = Mutex::new(());

fn alone() -> MutexGuard<'static, ()> {
    ONE_BUILD_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs a build in the repository's root, with the tools of `.venv` on its
/// `PATH`; fails the test unless it succeeds within half an hour.
fn build(name: &str, mut command: Command) -> Finished {
    command.env("PATH", child_path()).current_dir(repo_root());
    let done = run_with_deadline(name, command, Duration::from_secs(1800));
    assert!(
        done.status.success(),
        "{name} failed ({}):\n{}",
        done.status,
        done.output
    );
    eprintln!("{name}: {:.1?}", done.elapsed);
    done
}

#[test]
#[ignore = "needs cargo-lambda and zig from .venv and the arm64 target: run by scripts/test (about 4 minutes)"]
fn build_macro_script_builds_the_arm64_bootstrap() {
    let _alone = alone();
    let done = build(
        "scripts/build-macro",
        Command::new(repo_root().join("scripts/build-macro")),
    );
    let bootstrap = target_dir().join("lambda/dd-serverless-macro/bootstrap");
    assert!(
        done.output.lines().any(|line| Path::new(line) == bootstrap),
        "scripts/build-macro prints where the bootstrap is ({}):\n{}",
        bootstrap.display(),
        done.output
    );
    assert_deployable(&bootstrap);
}

/// `sam build`, as README.md's "Deploy" says, with no terminal to answer a
/// prompt: samconfig.toml must hold every answer.
#[test]
#[ignore = "needs the SAM CLI, cargo-lambda and zig from .venv and the arm64 target: run by scripts/test"]
fn sam_build_builds_the_arm64_bootstrap() {
    let _alone = alone();
    let build_dir = scratch("sam-build");
    let mut command = Command::new(venv_tool("sam"));
    command
        .arg("build")
        .arg("--build-dir")
        .arg(&build_dir)
        .env("SAM_CLI_TELEMETRY", "0");
    build("sam build", command);
    assert_deployable(&build_dir.join("MacroFunction/bootstrap"));
}

#[test]
fn glibc_versions_are_read_from_symbol_names() {
    assert_eq!(
        newest_glibc(b"\0GLIBC_2.17\0GLIBC_2.29\0GLIBC_2.3\0GLIBC_PRIVATE\0"),
        Some((2, 29))
    );
    assert_eq!(newest_glibc(b"no versions here"), None);
}
