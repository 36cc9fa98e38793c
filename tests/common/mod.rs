//! Helpers shared by the integration tests: the corpus, the project's Python
//! tools (cfn-lint, cfn-flip, aws-sam-translator) and running the macro.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/corpus/sam-translator` beside the repository (or `$DD_MACRO_CORPUS`).
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("DD_MACRO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/corpus/sam-translator"));
    assert!(
        dir.join("output").is_dir(),
        "the SAM corpus is missing at {} (set DD_MACRO_CORPUS to its folder)",
        dir.display()
    );
    dir
}

/// The corpus files of a subfolder (`input` or `output`), sorted.
pub fn corpus_files(sub: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir().join(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("json" | "yaml" | "yml")
            )
        })
        .collect();
    files.sort();
    files
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The project's virtual environment (created by `scripts/test`).
pub fn venv() -> PathBuf {
    if let Some(v) = std::env::var_os("DD_MACRO_VENV") {
        return PathBuf::from(v);
    }
    let local = repo_root().join(".venv");
    assert!(
        local.join("bin/python").exists(),
        "the Python tools are missing: run `scripts/test` (it creates .venv with cfn-lint, cfn-flip, aws-sam-translator and cargo-lambda)"
    );
    local
}

/// Runs one of `scripts/py/*.py` with the venv's Python; returns stdout.
pub fn run_py(script: &str, args: &[&Path]) -> String {
    let python = venv().join("bin/python");
    let out = Command::new(&python)
        .arg(repo_root().join("scripts/py").join(script))
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
    let mut args: Vec<&Path> = vec![Path::new("--jobs"), Path::new("2")];
    args.extend(files.iter().map(PathBuf::as_path));
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
