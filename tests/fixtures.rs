//! Snapshot tests over `fixtures/`: each fixture is one template whose own
//! `Transform` entry (`DatadogServerless`) carries its parameter set, run
//! through the same dry run as `dd-serverless-macro transform`. An optional
//! sidecar `NAME.options.json` sets `region` and `parameterOverrides`.
//! The snapshot holds the instrumented template (or the errors) and the
//! warnings; not the record of what the bake added, which
//! `tests/round_trip.rs` checks.

mod common;

use std::path::{Path, PathBuf};

use dd_serverless_macro::MacroEnvironment;
use dd_serverless_macro::dry_run::{self, DryRunOptions};
use dd_serverless_macro::template;

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
    for note in &outcome.report.notes {
        out.push_str(&format!("# note: {note}\n"));
    }
    match &outcome.output {
        Some(output) => {
            // The record of the bake is left out: `tests/round_trip.rs`
            // checks it on every fixture.
            let mut output = output.clone();
            dd_serverless_macro::internals::record::strip(&mut output);
            out.push_str(&template::to_string(&output, format))
        }
        None => out.push_str("# (transform failed; template unchanged)\n"),
    }
    out
}

fn snapshot_dir(dir: &str) {
    let files = common::fixture_files(dir);
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

/// Parameters whose effect the output cannot show, so a second run needs
/// them again: which functions were left alone (`exclude`) or without a
/// library layer (`addLayers: false`), a layer given by an ARN (its name
/// need not be Datadog's, so the layer cannot be recognised later), and a
/// handler given by `customHandler` (it cannot be told from the user's
/// own). A function's own `Metadata.Datadog` stays in the output and needs
/// nothing.
const NOT_SHOWN_BY_THE_OUTPUT: &[&str] = &[
    "exclude",
    "addLayers",
    "customHandler",
    "pythonLayerArn",
    "nodeLayerArn",
    "javaLayerArn",
    "dotnetLayerArn",
    "rubyLayerArn",
    "extensionLayerArn",
];

/// Every template of `fixtures/` (but the emulator's events) and the
/// examples, with the options of their first run.
fn bakeable_templates() -> Vec<(PathBuf, DryRunOptions)> {
    let mut templates: Vec<(PathBuf, DryRunOptions)> =
        ["cli", "forwarder", "lambda", "log_groups", "sam", "stepfn"]
            .into_iter()
            .flat_map(common::fixture_files)
            .map(|path| {
                let options = options_for(&path);
                (path, options)
            })
            .collect();
    let examples = [
        ("examples/sam-app/template.yaml", vec![]),
        ("examples/cdk/ShopStack.template.json", vec![]),
        (
            "examples/serverless-framework/.serverless/cloudformation-template-update-stack.json",
            // The README's parameters for it.
            vec![
                (
                    "apiKeySecretArn",
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:datadog-api-key-AbCdEf",
                ),
                ("extensionLayerVersion", "99"),
            ],
        ),
    ];
    for (path, params) in examples {
        let path = common::repo_root().join(path);
        let mut options = options_for(&path);
        options.params = params
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        templates.push((path, options));
    }
    templates
}

/// Issue 16, item 6: `transform` on its own output, with no parameters
/// (the output no longer lists the transform, so its entry's parameters are
/// gone) but those of [`NOT_SHOWN_BY_THE_OUTPUT`], changes nothing: a layer
/// version the first run wrote is not replaced by a bundled default, and
/// the warnings in `Metadata.DatadogServerless` are not written twice
/// (issue 20).
#[test]
fn baking_twice_changes_nothing() {
    let env = MacroEnvironment::default();
    let mut baked_twice = 0;
    for (path, options) in bakeable_templates() {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let (tpl, _) = template::parse(&text).unwrap();
        let first = dry_run::run(&tpl, &options, &env).unwrap_or_else(|e| panic!("{name}: {e}"));
        let Some(baked) = first.output else {
            continue; // a fixture of errors
        };
        assert!(
            !dry_run::prepare(&baked, &options).unwrap().entry_found,
            "{name}: the output still lists the transform"
        );
        // The first run's parameters that the output cannot show.
        let given = dry_run::prepare(&tpl, &options).unwrap().request.params;
        let carried: serde_json::Map<String, serde_json::Value> = given
            .into_iter()
            .filter(|(key, _)| NOT_SHOWN_BY_THE_OUTPUT.contains(&key.as_str()))
            .collect();
        let mut again_input = baked.clone();
        if !carried.is_empty() {
            let entry = serde_json::json!({"Name": options.transform_name, "Parameters": carried});
            again_input["Transform"] = match baked.get("Transform") {
                Some(serde_json::Value::Array(entries)) => {
                    serde_json::Value::Array(entries.iter().cloned().chain([entry]).collect())
                }
                Some(other) => serde_json::json!([other, entry]),
                None => serde_json::json!([entry]),
            };
        }
        let second_options = DryRunOptions {
            params: Vec::new(),
            ..options.clone()
        };
        let second = dry_run::run(&again_input, &second_options, &env).unwrap();
        let again = second.output.unwrap_or_else(|| {
            panic!(
                "{name}: the second run failed: {:?}",
                second.report.diagnostics
            )
        });
        let without_transform = |v: &serde_json::Value| {
            let mut v = v.clone();
            v.as_object_mut().unwrap().remove("Transform");
            v
        };
        assert_eq!(
            without_transform(&again),
            without_transform(&baked),
            "{name}: the second run changed the template"
        );
        if carried.is_empty() {
            assert_eq!(again, baked, "{name}");
        }
        baked_twice += 1;
    }
    assert!(
        baked_twice >= 30,
        "only {baked_twice} templates baked twice"
    );
}
