//! Child processes for the tests of the deployed macro: commands run with a
//! deadline, and children that are killed when the test ends, however it
//! ends.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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
