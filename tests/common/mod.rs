//! Helpers shared by the integration tests: where the repository, the SAM
//! translator corpus and the Python tools (cfn-lint, cfn-flip, aws-sam-translator,
//! cargo-lambda) are, scratch files, and running the real binary and the
//! project's Python scripts. Child processes with a deadline, killed when the
//! test ends, are in [`process`].

#![allow(dead_code)] // each test crate uses a different part

pub mod process;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Map, Value};

// ------------------------------------------------------------- repository

/// The crate's root directory.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The text of a file of the repository (`README.md`, `template.yml`...).
pub fn read_repo_file(relative: &str) -> String {
    let path = repo_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

// ----------------------------------------------------------------- corpus

/// The SAM translator corpus, `fixtures/sam-translator` (543 templates from
/// aws/serverless-application-model and the SAM transform's output for each;
/// its SOURCE.md says where they come from).
pub fn corpus_dir() -> PathBuf {
    let dir = repo_root().join("fixtures/sam-translator");
    assert!(
        dir.join("input").is_dir() && dir.join("output").is_dir(),
        "the SAM translator corpus is missing from {}: it is part of the repository (restore it with `git checkout -- fixtures/sam-translator`)",
        dir.display()
    );
    dir
}

/// The 543 corpus templates in `input` or `output`, sorted by name.
pub fn corpus_files(kind: &str) -> Vec<PathBuf> {
    let dir = corpus_dir().join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| {
            p.is_file()
                && matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("json" | "yaml" | "yml")
                )
        })
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

/// The template fixtures of `fixtures/DIR` (YAML and JSON, but the
/// `NAME.options.json` sidecars), sorted.
pub fn fixture_files(dir: &str) -> Vec<PathBuf> {
    let root = repo_root().join("fixtures").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "json")
            )
        })
        .filter(|p| !p.to_string_lossy().ends_with(".options.json"))
        .collect();
    files.sort();
    files
}

/// The options of a dry run in us-east-1 with `params` given as `--param`.
pub fn dry_run_options(
    params: &[(&str, &str)],
    stack_name: &str,
) -> dd_serverless_macro::dry_run::DryRunOptions {
    dd_serverless_macro::dry_run::DryRunOptions {
        transform_name: dd_serverless_macro::dry_run::DEFAULT_TRANSFORM_NAME.into(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        stack_name: stack_name.into(),
        ..Default::default()
    }
}

/// A file's name without its extension.
pub fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Writes a value as pretty JSON.
pub fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

/// Whether a template has a resource of one of these types.
pub fn has_type(template: &Value, types: &[&str]) -> bool {
    template["Resources"].as_object().is_some_and(|r| {
        r.values()
            .any(|res| res["Type"].as_str().is_some_and(|t| types.contains(&t)))
    })
}

// ---------------------------------------------------------------- scratch

/// A fresh, empty scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A path where no file is yet, `name` in the scratch directory `group`
/// shared by the tests of a crate (which must use distinct names).
pub fn scratch_file(group: &str, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(group);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

/// Writes `bytes` as the file `name` of `dir`; returns its path.
pub fn write_file(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

// ------------------------------------------------------------ Python tools

/// The `bin` directories where the virtual environment of the test tools may
/// be, in order: `$DD_MACRO_VENV/bin`, then `<repo>/.venv/bin` (`scripts/test`
/// creates the latter).
fn venv_bin_candidates() -> Vec<PathBuf> {
    std::env::var_os("DD_MACRO_VENV")
        .filter(|v| !v.is_empty())
        .map(|v| PathBuf::from(v).join("bin"))
        .into_iter()
        .chain([repo_root().join(".venv/bin")])
        .collect()
}

/// The `bin` directory of the virtual environment; `None` when there is none.
fn venv_bin() -> Option<PathBuf> {
    venv_bin_candidates().into_iter().find(|dir| dir.is_dir())
}

/// The Python of the test tools' virtual environment: `$DD_MACRO_VENV/bin`,
/// else `<repo>/.venv/bin`. Fails when neither exists: `scripts/test`
/// creates it.
pub fn venv_python() -> PathBuf {
    let candidates: Vec<PathBuf> = venv_bin_candidates()
        .into_iter()
        .map(|bin| bin.join("python"))
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
                repo_root().display()
            )
        })
}

/// `PATH` for child processes: the virtual environment's `bin` (zig for
/// cargo-lambda), the directory of the `cargo` running the tests (cargo-lambda
/// calls `cargo`), then the inherited `PATH`.
pub fn child_path() -> OsString {
    let mut dirs: Vec<PathBuf> = venv_bin().into_iter().collect();
    if let Some(cargo) = std::env::var_os("CARGO").map(PathBuf::from)
        && let Some(dir) = cargo.parent()
    {
        dirs.push(dir.to_path_buf());
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).expect("PATH entries are valid")
}

/// Runs one of `scripts/py/*.py` with the venv's Python; returns stdout.
pub fn run_py<I, S>(script: &str, args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let path = repo_root().join("scripts/py").join(script);
    assert!(
        path.exists(),
        "{} is missing (a helper that `scripts/test` runs)",
        path.display()
    );
    let python = venv_python();
    let out = Command::new(&python)
        .arg(&path)
        .args(args)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// cfn-lint findings per file, as sets of (rule, path), in one cfn-lint run.
pub fn lint(files: &[PathBuf]) -> BTreeMap<PathBuf, BTreeSet<(String, String)>> {
    let mut args: Vec<&OsStr> = vec![OsStr::new("--jobs"), OsStr::new("2")];
    args.extend(files.iter().map(|f| f.as_os_str()));
    let out: Map<String, Value> = serde_json::from_str(&run_py("lint_many.py", &args)).unwrap();
    out.into_iter()
        .map(|(file, findings)| {
            let set = findings
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["rule"].as_str().unwrap().to_string(),
                        f["path"].to_string(),
                    )
                })
                .collect();
            (PathBuf::from(file), set)
        })
        .collect()
}

/// Runs `cfn-flip` (through `scripts/py/flip_to_json.py`, one process for
/// all files) and returns, per input file stem, the long-form JSON it gave
/// or its error message.
pub fn cfn_flip_to_json(
    files: &[PathBuf],
    out_dir: &Path,
) -> HashMap<String, Result<Value, String>> {
    let mut args: Vec<&OsStr> = vec![OsStr::new("--quiet"), out_dir.as_os_str()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    run_py("flip_to_json.py", &args);
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

// ------------------------------------------------------------- the binary

/// The path of the binary under test.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_dd-serverless-macro")
}

/// Runs the binary in the repository root with `args` and an empty
/// environment (so no DD_* or AWS_* variable of the machine leaks in),
/// feeding `stdin`.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    run_with_env(args, &[], stdin)
}

/// [`run`] with these environment variables (and no other).
pub fn run_with_env(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    run_command(Command::new(binary()).args(args), env, stdin)
}

/// [`run`] in the directory `dir`, for arguments naming files relative to it.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    run_command_in(dir, Command::new(binary()).args(args), &[], b"")
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
    run_command(&mut command, &[], stdin)
}

/// Runs `command` in the repository root with only the environment `env`,
/// feeding `stdin`.
fn run_command(command: &mut Command, env: &[(&str, &str)], stdin: &[u8]) -> Output {
    run_command_in(repo_root(), command, env, stdin)
}

/// [`run_command`] in `dir`.
fn run_command_in(dir: &Path, command: &mut Command, env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut child = command
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(dir)
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

/// Runs `program` (`patch`, `git`) with `args` in `dir`, the unified diff
/// `diff` on its standard input. Git looks for no repository above `dir`
/// (the scratch directories are inside this one), so that `git apply`
/// patches files as `patch` does.
pub fn apply_diff(dir: &Path, program: &str, args: &[&str], diff: &str) -> Output {
    let ceiling = dir.parent().unwrap_or(dir);
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("GIT_CEILING_DIRECTORIES", ceiling)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("`{program}` does not run: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(diff.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Applies `diff` in `dir` with the real `patch -p0`; panics with what it
/// said when it refuses.
pub fn patch_p0(dir: &Path, diff: &str) {
    let args = ["-p0", "--quiet", "--no-backup-if-mismatch", "--force"];
    let output = apply_diff(dir, "patch", &args, diff);
    assert!(
        output.status.success(),
        "patch failed in {}: {}{}\n{diff}",
        dir.display(),
        stdout(&output),
        stderr(&output)
    );
}

/// Text of a process's standard error.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Text of a process's standard output.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
