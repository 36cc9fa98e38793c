//! The Lambda instrumentation over every corpus output that has an
//! `AWS::Lambda::Function` (419 files declare one), with layers, the extension, X-Ray,
//! App and API Protection (`appSecMode: on`) and the CloudWatch Logs opt-out
//! (`disableCloudWatchLogs`) turned on and an `apiKeySecretArn`:
//! - the transform succeeds, or fails only with all-or-nothing messages;
//! - running it again on its output changes nothing;
//! - resources other than instrumented functions and their roles are
//!   unchanged, and no user key, layer, variable or tag is lost;
//! - cfn-lint reports nothing new on the output (a test of the full tier,
//!   `scripts/test`, as it needs cfn-lint from `.venv`);
//! - every layer ARN added is one Datadog's published table lists (issue 19).
//!
//! A function on a runtime without the Lambda Extensions API (python2.7,
//! nodejs8.10...) cannot have the Extension: the template fails saying so,
//! and is run again with those functions excluded, the remedy the error gives.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dd_serverless_macro::internals::{datadog_account, layer_arn, partition_of, published};
use dd_serverless_macro::{MacroEnvironment, MacroRequest, handle_with_report};
use serde_json::{Map, Value, json};

const SECRET_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dd-api-key-AbCdEf";

fn params() -> Map<String, Value> {
    json!({
        "addLayers": true,
        "addExtension": true,
        "enableXrayTracing": true,
        "apiKeySecretArn": SECRET_ARN,
        "service": "corpus",
        "env": "test",
        "appSecMode": "on",
        "disableCloudWatchLogs": true
    })
    .as_object()
    .unwrap()
    .clone()
}

fn request(fragment: Value) -> MacroRequest {
    request_with(fragment, params())
}

fn request_with(fragment: Value, params: Map<String, Value>) -> MacroRequest {
    MacroRequest {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        fragment,
        transform_id: "123456789012::DatadogServerless".into(),
        params,
        request_id: "corpus".into(),
        template_parameter_values: Map::new(),
    }
}

/// Messages the spec calls for when a function cannot be fully instrumented.
const ALLOWED_FAILURES: &[&str] = &[
    "that is an intrinsic function that cannot be resolved at transform time",
    "has Layers written as an intrinsic function other than a list or Fn::If",
    "but Lambda allows 5 per function",
    "Datadog publishes no arm64 Python layer",
    "has no Runtime (and is not a container image)",
    EXTENSIONS_API,
];

/// The error for the Extension on a runtime without the Extensions API.
const EXTENSIONS_API: &str = "which has no Lambda Extensions API";

/// Every ARN of Datadog's published table (the vendored files; they are
/// compared in tests/published_layers.rs).
fn published_arns() -> BTreeSet<String> {
    published::layers()
        .iter()
        .flat_map(|layer| {
            layer.regions().map(move |(region, version)| {
                let partition = partition_of(region);
                let account = datadog_account(partition).unwrap();
                layer_arn(partition, region, account, layer.name(), version)
            })
        })
        .collect()
}

/// The layer ARNs (strings) of every function of a template, `Fn::If`
/// branches included.
fn layer_arns(template: &Value) -> BTreeSet<String> {
    fn strings(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::String(s) if s.starts_with("arn:") => {
                out.insert(s.clone());
            }
            Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
            Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for resource in template["Resources"]
        .as_object()
        .into_iter()
        .flat_map(|r| r.values())
    {
        if resource["Type"] == "AWS::Lambda::Function" {
            strings(&resource["Properties"]["Layers"], &mut out);
        }
    }
    out
}

/// Checks that `new` keeps everything of `old` (objects: every key, lists:
/// every item, scalars: equal), except the keys in `except`.
fn keeps(old: &Value, new: &Value, except: &[&str]) -> bool {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => o.iter().all(|(k, v)| {
            except.contains(&k.as_str()) || n.get(k).is_some_and(|nv| keeps(v, nv, &[]))
        }),
        (Value::Array(o), Value::Array(n)) => {
            o.iter().all(|item| n.iter().any(|ni| keeps(item, ni, &[])))
        }
        // A single statement that became a list of statements.
        (Value::Object(_), Value::Array(n)) => n.contains(old),
        _ => old == new,
    }
}

fn check_function_kept_user_values(file: &str, id: &str, old: &Value, new: &Value) {
    let (op, np) = (&old["Properties"], &new["Properties"]);
    assert!(
        keeps(op, np, &["Handler", "Environment", "Layers", "Tags"]),
        "{file}: {id} lost a property"
    );
    let (ov, nv) = (
        &op["Environment"]["Variables"],
        &np["Environment"]["Variables"],
    );
    if let Some(vars) = ov.as_object() {
        for (k, v) in vars {
            if k != "DD_LOG_LEVEL" {
                assert_eq!(Some(v), nv.get(k), "{file}: {id} variable {k} changed");
            }
        }
    }
    if let Some(handler) = op.get("Handler")
        && np.get("Handler") != Some(handler)
    {
        assert_eq!(
            nv.get("DD_LAMBDA_HANDLER"),
            Some(handler),
            "{file}: {id} handler not kept in DD_LAMBDA_HANDLER"
        );
    }
    for key in ["Layers", "Tags"] {
        if let Some(o) = op.get(key) {
            let n = &np[key];
            let kept = match (o, n) {
                (Value::Array(_), Value::Array(_)) => keeps(o, n, &[]),
                // Fn::If layers: every branch keeps its layers
                _ => o.to_string().len() <= n.to_string().len(),
            };
            assert!(kept, "{file}: {id} lost {key}");
        }
    }
}

/// A corpus output and its instrumented form, written for cfn-lint.
struct Linted {
    input: PathBuf,
    output: PathBuf,
}

/// Instruments every corpus output with a function, checks the rules above
/// but cfn-lint's, and writes each one that succeeded, before and after, into
/// `dir`.
fn instrument_corpus(dir: &Path) -> Vec<Linted> {
    let files: Vec<_> = common::corpus_files("output")
        .into_iter()
        .filter(|p| common::has_type(&common::read_json(p), &["AWS::Lambda::Function"]))
        .collect();
    // SOURCE.md counts 421 files mentioning the type; two of them mention it
    // only inside connector metadata, so 419 declare a function.
    assert_eq!(
        files.len(),
        419,
        "the corpus should hold 419 outputs declaring a function"
    );
    let env = MacroEnvironment::default();
    let mut written = Vec::new();
    let (mut succeeded, mut failed) = (0, 0);
    let (mut extensions_api_excluded, mut added_arns) = (0, 0);
    // Functions whose App and API Protection runs in the Python library, in the Extension.
    let (mut appsec_in_library, mut appsec_in_extension) = (0, 0);
    // Roles denied CloudWatch Logs (a DenyCloudWatchLogs policy each).
    let mut deny_policies = 0;
    let published = published_arns();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let original = common::read_json(path);
        let mut params = params();
        let (mut response, mut report) = handle_with_report(request(original.clone()), &env);
        if !response.is_success() {
            let message = response.error_message.clone().unwrap_or_default();
            for line in message.lines() {
                assert!(
                    ALLOWED_FAILURES.iter().any(|a| line.contains(a)),
                    "{name}: unexpected failure: {line}"
                );
            }
            assert_eq!(
                response.fragment, original,
                "{name}: a failure must return the fragment unchanged"
            );
            // The Extensions API alone: exclude those functions, as the error says.
            let without_api: Vec<Value> = report
                .errors()
                .filter(|d| d.message.contains(EXTENSIONS_API))
                .filter_map(|d| d.resource.clone().map(Value::String))
                .collect();
            if without_api.len() < report.errors().count() {
                failed += 1;
                continue;
            }
            extensions_api_excluded += without_api.len();
            params.insert("exclude".into(), Value::Array(without_api));
            (response, report) =
                handle_with_report(request_with(original.clone(), params.clone()), &env);
            assert!(
                response.is_success(),
                "{name}: {:?}",
                response.error_message
            );
        }
        succeeded += 1;
        let output = response.fragment;
        for resource in output["Resources"].as_object().unwrap().values() {
            deny_policies += usize::from(
                resource["Properties"]["PolicyName"] == "DenyCloudWatchLogs"
                    && resource["Type"] == "AWS::IAM::RolePolicy",
            );
            let vars = &resource["Properties"]["Environment"]["Variables"];
            appsec_in_library += usize::from(vars.get("DD_APPSEC_ENABLED").is_some());
            appsec_in_extension += usize::from(vars.get("DD_SERVERLESS_APPSEC_ENABLED").is_some());
        }
        // Issue 19: no layer ARN the table does not list.
        let before = layer_arns(&original);
        for arn in layer_arns(&output).difference(&before) {
            assert!(
                published.contains(arn),
                "{name}: {arn} is not a published layer"
            );
            added_arns += 1;
        }
        // Idempotence.
        let (again, _) = handle_with_report(request_with(output.clone(), params), &env);
        assert!(
            again.is_success(),
            "{name}: second run failed: {:?}",
            again.error_message
        );
        assert_eq!(
            again.fragment, output,
            "{name}: the second run changed the template"
        );
        // Untouched resources stay byte-identical; touched ones keep the user's values.
        let touched: BTreeSet<&str> = report
            .resources
            .iter()
            .map(|r| r.logical_id.as_str())
            .collect();
        let old_resources = original["Resources"].as_object().unwrap();
        let new_resources = output["Resources"].as_object().unwrap();
        for (id, old) in old_resources {
            let new = &new_resources[id];
            if !touched.contains(id.as_str()) {
                assert_eq!(
                    serde_json::to_string(old).unwrap(),
                    serde_json::to_string(new).unwrap(),
                    "{name}: untouched resource {id} changed"
                );
            } else if old["Type"] == "AWS::Lambda::Function" {
                check_function_kept_user_values(&name, id, old, new);
            } else {
                assert_eq!(
                    old["Type"], "AWS::IAM::Role",
                    "{name}: {id} is neither a function nor a role"
                );
                assert!(keeps(old, new, &[]), "{name}: role {id} lost something");
            }
        }
        // Top-level sections other than Resources are untouched.
        for (key, value) in original.as_object().unwrap() {
            if key != "Resources" {
                assert_eq!(
                    Some(value),
                    output.get(key),
                    "{name}: section {key} changed"
                );
            }
        }
        let input_file = dir.join(format!("in-{name}"));
        let output_file = dir.join(format!("out-{name}"));
        common::write_json(&input_file, &original);
        common::write_json(&output_file, &output);
        written.push(Linted {
            input: input_file,
            output: output_file,
        });
    }
    assert!(
        succeeded >= 400,
        "only {succeeded} of {} succeeded ({failed} failed)",
        files.len()
    );
    // 81 in the library (Python), 416 in the Extension.
    assert!(
        appsec_in_library > 50 && appsec_in_extension > 300,
        "App and API Protection: {appsec_in_library} functions in the library, {appsec_in_extension} in the Extension"
    );
    assert!(
        deny_policies > 300,
        "{deny_policies} roles denied CloudWatch Logs"
    );
    // 139 functions excluded, 696 ARNs added (5.134.1's table).
    assert!(
        extensions_api_excluded > 100 && added_arns > 500,
        "{extensions_api_excluded} functions excluded for the Extensions API, {added_arns} layer ARNs added"
    );
    written
}

#[test]
fn corpus_outputs_with_functions() {
    let tmp = tempfile::tempdir().unwrap();
    instrument_corpus(tmp.path());
}

#[test]
#[ignore = "needs cfn-lint from .venv: run by scripts/test (about 2 minutes)"]
fn corpus_outputs_with_functions_lint_no_worse() {
    let tmp = tempfile::tempdir().unwrap();
    let written = instrument_corpus(tmp.path());
    let all: Vec<_> = written
        .iter()
        .flat_map(|w| [w.input.clone(), w.output.clone()])
        .collect();
    let findings = common::lint(&all);
    let mut new_findings = Vec::new();
    for Linted { input, output } in &written {
        let before = &findings[input];
        for finding in &findings[output] {
            if !before.contains(finding) {
                new_findings.push(format!(
                    "{}: {} at {}",
                    output.display(),
                    finding.0,
                    finding.1
                ));
            }
        }
    }
    assert!(
        new_findings.is_empty(),
        "cfn-lint found new problems:\n{}",
        new_findings.join("\n")
    );
}
