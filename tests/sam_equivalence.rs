//! Instrumenting a raw SAM template and then translating it with the real
//! SAM transform (aws-sam-translator) gives the same CloudFormation as
//! translating first and instrumenting the result:
//! `translate(instrument(T)) == instrument(translate(T))`, for every corpus
//! input that SAM translates and that has a function.
//!
//! The differences allowed, each a deliberate consequence of where SAM puts
//! things, are listed in [`EXCEPTIONS`]; IAM roles are compared by the set
//! of (effect, action, resource) their inline policies allow, not by shape.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use dd_serverless_macro::{MacroEnvironment, MacroRequest, handle_with_report, template};
use serde_json::{Map, Value, json};

/// The differences between the two orders that are accepted, and why.
const EXCEPTIONS: &[(&str, &str)] = &[
    (
        "tags on other resources",
        "SAM copies a function's Tags to the role it generates (and, with PropagateTags, to its \
         event sources and APIs), so instrumenting first also tags those with dd_sls_macro / \
         dd_sls_macro_by; instrumenting the translated template tags only the function.",
    ),
    (
        "version logical ids",
        "With AutoPublishAlias SAM names the AWS::Lambda::Version with a hash of the function's \
         properties, which include Datadog's changes only when instrumenting first: the ids differ \
         by their hash suffix, the resources are the same.",
    ),
    (
        "PropagateTags",
        "SAM marks a function `lambda:createdBy: SAM` only when it has no Tags or does not \
         propagate them; with PropagateTags, the macro's added tags change that mark, and the mark \
         decides `dd_sls_macro_by` after translation. With PropagateTags, lambda:createdBy and \
         dd_sls_macro_by are not compared.",
    ),
    (
        "explicit Tracing",
        "A SAM function whose Tracing the user set (Disabled, empty, an intrinsic) keeps it; SAM \
         translates such a value to no TracingConfig at all, so after translation the choice is \
         invisible and the macro turns X-Ray on.",
    ),
    (
        "AWSXrayWriteOnlyAccess",
        "SAM adds the AWSXrayWriteOnlyAccess managed policy to a role it generates for a function \
         with `Tracing: Active`; instrumenting the translated template grants the same X-Ray \
         actions with an inline statement instead.",
    ),
];

const XRAY_MANAGED_POLICY: &str = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess";

fn params() -> Map<String, Value> {
    json!({
        "addExtension": true,
        "enableXrayTracing": true,
        "apiKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:dd-api-key-AbCdEf",
        "service": "equivalence",
        "env": "test",
        "disableCloudWatchLogs": true
    })
    .as_object()
    .unwrap()
    .clone()
}

/// Instruments a template as the macro would, with the parameter values the
/// SAM translator is given (its tests' `param1`/`param2`). A function on a
/// runtime without the Lambda Extensions API cannot have the Extension: when
/// that is all that fails, those functions are excluded, as the error says
/// (SAM may drop such a function: one declared as `ServerlessRestApi` gives
/// way to its implicit API).
fn instrument(fragment: Value) -> Result<Value, String> {
    let run = |params: Map<String, Value>| {
        let request = MacroRequest {
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            fragment: fragment.clone(),
            transform_id: "123456789012::DatadogServerless".into(),
            params,
            request_id: "equivalence".into(),
            template_parameter_values: json!({"param1": "value1", "param2": "value2"})
                .as_object()
                .unwrap()
                .clone(),
        };
        handle_with_report(request, &MacroEnvironment::default())
    };
    let (mut response, report) = run(params());
    let without_api: Vec<Value> = report
        .errors()
        .filter(|d| d.message.contains("which has no Lambda Extensions API"))
        .filter_map(|d| d.resource.clone().map(Value::String))
        .collect();
    if !without_api.is_empty() && without_api.len() == report.errors().count() {
        let mut params = params();
        params.insert("exclude".into(), Value::Array(without_api));
        response = run(params).0;
    }
    if response.is_success() {
        Ok(response.fragment)
    } else {
        Err(response.error_message.unwrap_or_default())
    }
}

fn translate_all(files: &[PathBuf], out: &Path) {
    let mut args: Vec<&Path> = vec![Path::new("--jobs"), Path::new("2"), Path::new("-q"), out];
    args.extend(files.iter().map(PathBuf::as_path));
    common::run_py("sam_translate.py", &args);
}

fn read_translated(dir: &Path, name: &str) -> Option<Value> {
    let path = dir.join(format!("{name}.json"));
    path.exists().then(|| common::read_json(&path))
}

/// The (effect, action, resource) triples a role's inline policies allow.
fn allowed(role: &Value) -> BTreeSet<(String, String, String)> {
    let mut set = BTreeSet::new();
    let policies = role["Properties"]["Policies"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for policy in policies {
        let statements = match &policy["PolicyDocument"]["Statement"] {
            Value::Array(s) => s.clone(),
            other => vec![other.clone()],
        };
        for s in statements {
            let list = |v: &Value| match v {
                Value::Array(items) => items.clone(),
                Value::Null => vec![],
                other => vec![other.clone()],
            };
            for action in list(&s["Action"]) {
                for resource in list(&s["Resource"]) {
                    set.insert((
                        s["Effect"].to_string(),
                        action.to_string(),
                        resource.to_string(),
                    ));
                }
            }
        }
    }
    set
}

fn strip_role(role: &Value) -> Value {
    let mut role = role.clone();
    if let Some(props) = role.get_mut("Properties").and_then(Value::as_object_mut) {
        props.remove("Policies");
        if let Some(Value::Array(arns)) = props.get_mut("ManagedPolicyArns") {
            arns.retain(|a| a != XRAY_MANAGED_POLICY);
            if arns.is_empty() {
                props.remove("ManagedPolicyArns");
            }
        }
        if let Some(Value::Array(tags)) = props.get_mut("Tags") {
            tags.retain(|t| {
                !t["Key"]
                    .as_str()
                    .is_some_and(|k| k.starts_with("dd_sls_macro"))
            });
            if tags.is_empty() {
                props.remove("Tags");
            }
        }
    }
    role
}

/// Renames `<Fn>Version<10 hex digits>` resources to `<Fn>Version#` (and
/// every reference to them), and removes dd_sls_macro tags from resources
/// other than functions.
fn normalize(template: &Value, raw: &Value) -> Value {
    let mut text = serde_json::to_string(template).unwrap();
    let ids: Vec<String> = template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Lambda::Version")
        .map(|(id, _)| id.clone())
        .filter(|id| {
            id.len() > 10
                && id[id.len() - 10..].bytes().all(|b| b.is_ascii_hexdigit())
                && id[..id.len() - 10].ends_with("Version")
        })
        .collect();
    for id in ids {
        text = text.replace(
            &format!("\"{id}\""),
            &format!("\"{}#\"", &id[..id.len() - 10]),
        );
    }
    let mut t: Value = serde_json::from_str(&text).unwrap();
    let propagates = raw["Resources"]
        .as_object()
        .is_some_and(|r| r.values().any(|f| f["Properties"]["PropagateTags"] == true))
        || raw["Globals"]["Function"]["PropagateTags"] == true;
    for resource in t["Resources"].as_object_mut().unwrap().values_mut() {
        let function = resource["Type"] == "AWS::Lambda::Function";
        let is_dd = |k: Option<&str>| {
            k.is_some_and(|k| {
                (!function && k.starts_with("dd_sls_macro"))
                    || (propagates && (k == "lambda:createdBy" || k == "dd_sls_macro_by"))
            })
        };
        let Some(props) = resource
            .get_mut("Properties")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        match props.get_mut("Tags") {
            Some(Value::Array(tags)) => tags.retain(|t| !is_dd(t["Key"].as_str())),
            Some(Value::Object(tags)) => tags.retain(|k, _| !is_dd(Some(k))),
            _ => {}
        }
        if props
            .get("Tags")
            .is_some_and(|t| t == &json!([]) || t == &json!({}))
        {
            props.remove("Tags");
        }
        if let Some(Value::Array(tags)) = props.get_mut("Body").and_then(|b| b.get_mut("tags")) {
            tags.retain(|t| !is_dd(t["name"].as_str()));
        }
    }
    t
}

/// Whether the user set `Tracing` on a SAM function (or in Globals).
fn user_set_tracing(raw: &Value, id: &str) -> bool {
    raw["Resources"][id]["Properties"].get("Tracing").is_some()
        || raw["Globals"]["Function"].get("Tracing").is_some()
}

/// Where two templates differ, as readable paths (empty when equal modulo the exceptions).
fn differences(a: &Value, b: &Value, raw: &Value) -> Vec<String> {
    let (a, b) = (&normalize(a, raw), &normalize(b, raw));
    let mut out = Vec::new();
    let (ra, rb) = (
        a["Resources"].as_object().unwrap(),
        b["Resources"].as_object().unwrap(),
    );
    let ids: BTreeSet<&String> = ra.keys().chain(rb.keys()).collect();
    for id in ids {
        match (ra.get(id), rb.get(id)) {
            (Some(x), Some(y))
                if x["Type"] == "AWS::IAM::Role" && y["Type"] == "AWS::IAM::Role" =>
            {
                if strip_role(x) != strip_role(y) {
                    out.push(format!("Resources.{id} (role, outside its policies)"));
                }
                if allowed(x) != allowed(y) {
                    out.push(format!(
                        "Resources.{id} allows {:?} vs {:?}",
                        allowed(x)
                            .symmetric_difference(&allowed(y))
                            .collect::<Vec<_>>(),
                        ()
                    ));
                }
            }
            (Some(x), Some(y)) => {
                if x != y {
                    let keys: BTreeSet<&String> = x["Properties"]
                        .as_object()
                        .into_iter()
                        .flat_map(|m| m.keys())
                        .chain(
                            y["Properties"]
                                .as_object()
                                .into_iter()
                                .flat_map(|m| m.keys()),
                        )
                        .filter(|k| x["Properties"].get(*k) != y["Properties"].get(*k))
                        .filter(|k| {
                            !(k.as_str() == "TracingConfig"
                                && x["Properties"].get("TracingConfig").is_none()
                                && user_set_tracing(raw, id))
                        })
                        .collect();
                    let outside = |r: &Value| {
                        let mut r = r.clone();
                        r.as_object_mut().map(|m| m.remove("Properties"));
                        r
                    };
                    if outside(x) != outside(y) {
                        out.push(format!("Resources.{id} differs outside its Properties"));
                    }
                    if !keys.is_empty() || x["Properties"].is_null() != y["Properties"].is_null() {
                        out.push(format!("Resources.{id} differs in {keys:?}"));
                    }
                }
            }
            (Some(_), None) => out.push(format!(
                "Resources.{id} only after instrument-then-translate"
            )),
            (None, Some(_)) => out.push(format!(
                "Resources.{id} only after translate-then-instrument"
            )),
            (None, None) => {}
        }
    }
    for key in a
        .as_object()
        .unwrap()
        .keys()
        .chain(b.as_object().unwrap().keys())
    {
        if key != "Resources" && a.get(key) != b.get(key) {
            out.push(format!("section {key}"));
        }
    }
    out
}

#[test]
#[ignore = "needs aws-sam-translator from .venv: run by scripts/test (about a minute)"]
fn instrument_then_translate_equals_translate_then_instrument() {
    assert!(!EXCEPTIONS.is_empty());
    let tmp = tempfile::tempdir().unwrap();
    let (raw_dir, instrumented_dir) = (tmp.path().join("raw"), tmp.path().join("instrumented"));
    let (translated_raw, translated_instrumented) =
        (tmp.path().join("t-raw"), tmp.path().join("t-instr"));
    for d in [&raw_dir, &instrumented_dir] {
        std::fs::create_dir_all(d).unwrap();
    }
    // instrument(T) for every input; remember which failed and why.
    let mut raw_files = Vec::new();
    let mut instrumented_files = Vec::new();
    let mut first_failures: BTreeMap<String, String> = BTreeMap::new();
    for path in common::corpus_files("input") {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let (t, _) = template::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if !common::has_type(&t, &["AWS::Serverless::Function", "AWS::Lambda::Function"]) {
            continue;
        }
        let raw = raw_dir.join(format!("{name}.json"));
        common::write_json(&raw, &t);
        raw_files.push(raw);
        match instrument(t) {
            Ok(i) => {
                let file = instrumented_dir.join(format!("{name}.json"));
                common::write_json(&file, &i);
                instrumented_files.push(file);
            }
            Err(e) => {
                first_failures.insert(name, e);
            }
        }
    }
    translate_all(&raw_files, &translated_raw);
    translate_all(&instrumented_files, &translated_instrumented);
    let (mut compared, mut with_exception, mut mismatches) = (0, 0, Vec::new());
    for raw in &raw_files {
        let name = raw.file_stem().unwrap().to_string_lossy().to_string();
        let Some(translated) = read_translated(&translated_raw, &name) else {
            continue; // SAM itself refuses this template
        };
        if !common::has_type(&translated, &["AWS::Lambda::Function"]) {
            continue;
        }
        compared += 1;
        let second = instrument(translated);
        match (first_failures.get(&name), second) {
            (Some(_), Err(_)) => continue, // both orders refuse the function
            (Some(e), Ok(_)) => {
                mismatches.push(format!("{name}: instrumenting the SAM template failed ({e}) but the translated one succeeded"));
                continue;
            }
            (None, Err(e)) => {
                mismatches.push(format!(
                    "{name}: instrumenting the translated template failed: {e}"
                ));
                continue;
            }
            (None, Ok(c)) => {
                let Some(a) = read_translated(&translated_instrumented, &name) else {
                    let error = std::fs::read_to_string(
                        translated_instrumented.join(format!("{name}.error")),
                    )
                    .unwrap_or_default();
                    mismatches.push(format!(
                        "{name}: SAM refuses the instrumented template: {error}"
                    ));
                    continue;
                };
                if let Some(dump) = std::env::var_os("DD_MACRO_EQUIVALENCE_DUMP") {
                    // Debugging aid: keep both results of every template to compare by hand.
                    let dump = PathBuf::from(dump);
                    std::fs::create_dir_all(&dump).unwrap();
                    common::write_json(
                        &dump.join(format!("{name}.instrument-then-translate.json")),
                        &a,
                    );
                    common::write_json(
                        &dump.join(format!("{name}.translate-then-instrument.json")),
                        &c,
                    );
                }
                if a != c {
                    let diffs = differences(&a, &c, &common::read_json(raw));
                    if diffs.is_empty() {
                        with_exception += 1;
                    } else {
                        mismatches.push(format!("{name}: {}", diffs.join("; ")));
                    }
                }
            }
        }
    }
    eprintln!(
        "SAM equivalence: {compared} templates compared, {with_exception} equal only through the listed exceptions, {} mismatches",
        mismatches.len()
    );
    assert!(compared > 300, "only {compared} templates compared");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
