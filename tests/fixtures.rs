//! Snapshot tests over `fixtures/`: each fixture is one template whose own
//! `Transform` entry (`DatadogServerless`) carries its parameter set, run
//! through the same dry run as `dd-serverless-macro transform`. An optional
//! sidecar `NAME.options.json` sets `region` and `parameterOverrides`.
//! The snapshot holds the instrumented template (or the errors) and the
//! warnings.

mod common;

use std::path::{Path, PathBuf};

use dd_serverless_macro::MacroEnvironment;
use dd_serverless_macro::dry_run::{self, DryRunOptions};
use dd_serverless_macro::template;

fn fixture_files(dir: &str) -> Vec<PathBuf> {
    let root = common::repo_root().join("fixtures").join(dir);
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

fn options_for(path: &Path) -> DryRunOptions {
    let mut options = DryRunOptions {
        transform_name: dry_run::DEFAULT_TRANSFORM_NAME.to_string(),
        region: "us-east-1".to_string(),
        account_id: "123456789012".to_string(),
        stack_name: "fixture-stack".to_string(),
        ..Default::default()
    };
    let sidecar = path.with_file_name(format!(
        "{}.options.json",
        path.file_stem().unwrap().to_string_lossy()
    ));
    if let Ok(text) = std::fs::read_to_string(&sidecar) {
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        if let Some(r) = v.get("region").and_then(|r| r.as_str()) {
            options.region = r.to_string();
        }
        if let Some(o) = v.get("parameterOverrides").and_then(|o| o.as_object()) {
            options.parameter_overrides = o
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
        }
    }
    options
}

/// Runs one fixture and renders what a reviewer needs to read.
pub fn render_fixture(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let (tpl, format) =
        template::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let outcome = dry_run::run(&tpl, &options_for(path), &MacroEnvironment::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = String::new();
    for d in &outcome.report.diagnostics {
        let level = match d.severity {
            dd_serverless_macro::report::Severity::Error => "error",
            dd_serverless_macro::report::Severity::Warning => "warning",
        };
        out.push_str(&format!("# {level}: {}\n", d.message));
    }
    if !outcome.report.defaults_used.is_empty() {
        out.push_str(&format!(
            "# note: bundled default layer versions used: {}\n",
            outcome.report.defaults_used.join(", ")
        ));
    }
    match &outcome.output {
        Some(output) => out.push_str(&template::to_string(output, format)),
        None => out.push_str("# (transform failed; template unchanged)\n"),
    }
    out
}

fn snapshot_dir(dir: &str) {
    let files = fixture_files(dir);
    assert!(!files.is_empty(), "no fixtures in fixtures/{dir}");
    for path in files {
        let name = format!("{dir}__{}", path.file_stem().unwrap().to_string_lossy());
        let rendered = render_fixture(&path);
        insta::with_settings!({
            snapshot_path => common::repo_root().join("fixtures/snapshots"),
            prepend_module_to_snapshot => false,
            input_file => &path,
        }, {
            insta::assert_snapshot!(name, rendered);
        });
    }
}

#[test]
fn lambda_fixtures() {
    snapshot_dir("lambda");
}

#[test]
fn sam_and_per_function_fixtures() {
    snapshot_dir("sam");
}
