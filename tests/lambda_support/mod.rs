//! Helpers shared by the tests of the deployed macro: finding the Python
//! tools of the virtual environment, running commands with a deadline, and
//! child processes that are killed when the test ends, however it ends.

#![allow(dead_code)] // each test file uses a different part

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The crate's root directory.
pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `bin` directory of the Python virtual environment: `$DD_MACRO_VENV`,
/// else `<repo>/.venv`; `None` when neither exists.
fn venv_bin() -> Option<PathBuf> {
    std::env::var_os("DD_MACRO_VENV")
        .filter(|v| !v.is_empty())
        .map(|v| PathBuf::from(v).join("bin"))
        .into_iter()
        .chain([manifest_dir().join(".venv").join("bin")])
        .find(|dir| dir.is_dir())
}

/// A tool of the virtual environment (`cfn-lint`, `cargo-lambda`...):
/// `$DD_MACRO_VENV/bin`, then `<repo>/.venv/bin`, then `PATH`. Panics with
/// what to do when it is nowhere.
pub fn venv_tool(name: &str) -> PathBuf {
    let mut candidates: Vec<PathBuf> = venv_bin().into_iter().map(|d| d.join(name)).collect();
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|d| d.join(name)));
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{name}` was not found in $DD_MACRO_VENV/bin, {}/.venv/bin or PATH: run scripts/test (it installs the Python tools into .venv), or set DD_MACRO_VENV to a virtual environment holding it",
                manifest_dir().display()
            )
        })
}

/// `PATH` for child processes: the virtual environment's `bin` (zig for
/// cargo-lambda), the directory of the `cargo` running the tests (cargo-lambda
/// calls `cargo`), then the inherited `PATH`.
pub fn child_path() -> std::ffi::OsString {
    let mut dirs: Vec<PathBuf> = venv_bin().into_iter().collect();
    if let Some(cargo) = std::env::var_os("CARGO").map(PathBuf::from) {
        if let Some(dir) = cargo.parent() {
            dirs.push(dir.to_path_buf());
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).expect("PATH entries are valid")
}

/// A growing text buffer filled by a thread reading a child's output.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything read so far, as (lossy) text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    fn drain(&self, mut from: impl Read + Send + 'static) -> JoinHandle<()> {
        let sink = self.0.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = from.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        })
    }
}

/// A child process killed (and reaped) on drop; its standard output and
/// error are captured together.
pub struct Guarded {
    /// What it is, for messages.
    pub name: String,
    child: Child,
    /// Its output so far.
    pub output: Captured,
}

impl Guarded {
    /// Spawns `command` with both outputs captured.
    pub fn spawn(name: &str, mut command: Command) -> Guarded {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({command:?}): {e}"));
        let output = Captured::default();
        output.drain(child.stdout.take().unwrap());
        output.drain(child.stderr.take().unwrap());
        Guarded {
            name: name.to_string(),
            child,
            output,
        }
    }

    /// The exit status if it has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("can query the child")
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a command printed, once it ended.
pub struct Finished {
    /// Its exit status.
    pub status: ExitStatus,
    /// Standard output and error together.
    pub output: String,
    /// How long it ran.
    pub elapsed: Duration,
}

/// Runs `command` to its end, killing it (and panicking) after `deadline`.
pub fn run_with_deadline(name: &str, command: Command, deadline: Duration) -> Finished {
    let started = Instant::now();
    let mut child = Guarded::spawn(name, command);
    loop {
        if let Some(status) = child.exited() {
            // Give the drain threads a moment to read the last bytes.
            std::thread::sleep(Duration::from_millis(20));
            return Finished {
                status,
                output: child.output.text(),
                elapsed: started.elapsed(),
            };
        }
        if started.elapsed() > deadline {
            panic!(
                "{name} did not finish within {deadline:?}; its output so far:\n{}",
                child.output.text()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
