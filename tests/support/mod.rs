//! Helpers shared by the integration tests: where the corpus and the Python
//! tools are, scratch directories, and running the real binary.

#![allow(dead_code)] // each test crate uses a different part

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The crate's root directory.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The SAM translator corpus: `$DD_MACRO_CORPUS`, else the first
/// `shared/corpus/sam-translator` found beside the repository or one of its
/// parents (the checkout lives next to `shared/`).
pub fn corpus() -> PathBuf {
    if let Some(dir) = std::env::var_os("DD_MACRO_CORPUS") {
        return PathBuf::from(dir);
    }
    let repo = repo();
    repo.ancestors()
        .map(|a| a.join("shared/corpus/sam-translator"))
        .find(|d| d.join("input").is_dir())
        .unwrap_or_else(|| {
            panic!(
                "the SAM translator corpus was not found in shared/corpus/sam-translator beside {} or its parents; set DD_MACRO_CORPUS to its directory",
                repo.display()
            )
        })
}

/// The corpus files in `input` or `output`, sorted by name.
pub fn corpus_files(kind: &str) -> Vec<PathBuf> {
    let dir = corpus().join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        543,
        "{} should hold the 543 corpus files",
        dir.display()
    );
    files
}

/// A file's name without its extension.
pub fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// The Python of the test tools' virtual environment: `$DD_MACRO_VENV/bin`,
/// else `<repo>/.venv/bin`. Fails when neither exists: `scripts/test`
/// creates it.
pub fn venv_python() -> PathBuf {
    let candidates: Vec<PathBuf> = std::env::var_os("DD_MACRO_VENV")
        .map(|v| PathBuf::from(v).join("bin/python"))
        .into_iter()
        .chain([repo().join(".venv/bin/python")])
        .collect();
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "no Python virtual environment with cfn-flip: looked for {}. Run the tests with `scripts/test`, which creates it (or set DD_MACRO_VENV to one)",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" and ")
            )
        })
}

/// A fresh, empty scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `cfn-flip` (through `scripts/py/flip_to_json.py`, one process for
/// all files) and returns, per input file stem, the long-form JSON it gave
/// or its error message.
pub fn cfn_flip_to_json(
    files: &[PathBuf],
    out_dir: &Path,
) -> std::collections::HashMap<String, Result<serde_json::Value, String>> {
    let script = repo().join("scripts/py/flip_to_json.py");
    assert!(
        script.exists(),
        "{} is missing (the cfn-flip helper that `scripts/test` runs)",
        script.display()
    );
    let output = Command::new(venv_python())
        .arg(&script)
        .arg("--quiet")
        .arg(out_dir)
        .args(files)
        .output()
        .expect("running flip_to_json.py");
    assert!(
        output.status.success(),
        "flip_to_json.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    files
        .iter()
        .map(|file| {
            let name = stem(file);
            let json = out_dir.join(format!("{name}.json"));
            let result = match std::fs::read_to_string(&json) {
                Ok(text) => serde_json::from_str(&text).map_err(|e| format!("bad JSON: {e}")),
                Err(_) => Err(
                    std::fs::read_to_string(out_dir.join(format!("{name}.error")))
                        .unwrap_or_else(|_| "no output".into()),
                ),
            };
            (name, result)
        })
        .collect()
}

/// The path of the binary under test.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_dd-serverless-macro")
}

/// Runs the binary with `args` and an empty environment (so no DD_* or
/// AWS_* variable of the machine leaks in), feeding `stdin`.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    run_command(Command::new(binary()).args(args), stdin)
}

/// Runs the binary with its address space limited to `kib` KiB (`ulimit -v`),
/// so that a runaway allocation fails instead of exhausting the machine.
pub fn run_limited(kib: usize, args: &[&str], stdin: &[u8]) -> Output {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(binary())
        .args(args);
    run_command(&mut command, stdin)
}

fn run_command(command: &mut Command, stdin: &[u8]) -> Output {
    let mut child = command
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the binary");
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    // Written from a thread: a large input must not block on a full pipe.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().expect("waiting for the binary");
    writer.join().unwrap();
    output
}

/// Text of a process's standard error.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Text of a process's standard output.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
