//! Acceptance of template reading and writing (issue 2) on the SAM translator
//! corpus, checked against the real `cfn-flip` (PyYAML, YAML 1.1 rules):
//!
//! - every input reads as the same long-form JSON as cfn-flip reads it
//!   (except the few listed in [`CFN_FLIP_EXCEPTIONS`], each with its reason);
//! - every input written back as YAML by us reads again, with our reader and
//!   with cfn-flip, as the same value (so tools built on PyYAML — cfn-lint,
//!   SAM CLI, `aws cloudformation package` — see what we meant); the checks
//!   with cfn-flip need `.venv`, so they are `#[ignore]`d tests that
//!   `scripts/test` runs;
//! - every output round-trips through JSON with its key order;
//! - `handle-event` answers every output with success;
//! - `convert` and `-` (standard input) work end to end.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use common::*;
use dd_serverless_macro::template::{self, Format};
use dd_serverless_macro::{MacroEnvironment, MacroRequest, handle_with_report};
use serde_json::{Value, json};

/// Corpus inputs whose cfn-flip reading legitimately differs from ours, with
/// the reason. Each must still differ (the test fails if one stops), so the
/// list stays honest.
const CFN_FLIP_EXCEPTIONS: &[(&str, &str)] = &[];

/// Corpus input name -> our reading of it, in name order.
type Readings = Vec<(String, Result<Value, String>)>;

/// Our reading of every corpus input, shared by the tests of this file.
fn ours() -> &'static Readings {
    static OURS: OnceLock<Readings> = OnceLock::new();
    OURS.get_or_init(|| {
        corpus_files("input")
            .iter()
            .map(|path| {
                let text = std::fs::read_to_string(path).unwrap();
                let parsed = template::parse(&text)
                    .map(|(v, _)| v)
                    .map_err(|e| e.to_string());
                (stem(path), parsed)
            })
            .collect()
    })
}

/// What the cfn-flip run produced, shared by the tests of this file.
struct Flipped {
    /// cfn-flip's reading of each corpus input, by name.
    inputs: HashMap<String, Result<Value, String>>,
    /// cfn-flip's reading of our YAML for each input (and for the tricky
    /// document), by name.
    our_yaml: HashMap<String, Result<Value, String>>,
}

/// Name of the hand-made document of awkward values in the cfn-flip batch.
const TRICKY: &str = "tricky-values";

/// Writes our reading of every corpus input back as YAML, and runs cfn-flip
/// once over the inputs and our YAML files together.
fn flipped() -> &'static Flipped {
    static FLIPPED: OnceLock<Flipped> = OnceLock::new();
    FLIPPED.get_or_init(|| {
        let dir = scratch("template_io-flip");
        let yaml_dir = dir.join("ours");
        std::fs::create_dir_all(&yaml_dir).unwrap();
        let inputs = corpus_files("input");
        let mut our_files = Vec::new();
        for (name, parsed) in ours() {
            if let Ok(value) = parsed {
                let file = yaml_dir.join(format!("{name}.ours.yaml"));
                std::fs::write(&file, template::to_string(value, Format::Yaml)).unwrap();
                our_files.push(file);
            }
        }
        let tricky = yaml_dir.join(format!("{TRICKY}.ours.yaml"));
        std::fs::write(&tricky, template::to_string(&tricky_values(), Format::Yaml)).unwrap();
        our_files.push(tricky);

        let mut all: Vec<PathBuf> = inputs.clone();
        all.extend(our_files);
        let mut results = cfn_flip_to_json(&all, &dir.join("json"));
        let our_yaml = results
            .keys()
            .filter_map(|k| k.strip_suffix(".ours").map(|n| (k.clone(), n.to_string())))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|(k, n)| (n, results.remove(&k).unwrap()))
            .collect();
        Flipped {
            inputs: results,
            our_yaml,
        }
    })
}

/// Values that YAML readers are known to disagree on when written carelessly.
fn tricky_values() -> Value {
    let mut strings = vec![
        // YAML 1.1 booleans and nulls, in several cases.
        "y",
        "Y",
        "n",
        "N",
        "yes",
        "Yes",
        "YES",
        "no",
        "No",
        "NO",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "FALSE",
        "null",
        "Null",
        "NULL",
        "~",
        "",
        // Numbers, dates and special floats as text.
        "0",
        "-0",
        "0123",
        "0o17",
        "0x1F",
        "0b11",
        "1_000",
        ".5",
        "+1",
        "-1",
        "1.",
        "1e5",
        "1.0e+5",
        "1.10",
        "1.4.0",
        "10.0.0.1",
        "1.2.3.4.5",
        "1.2.3e4",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/renderer:1.0",
        "1st",
        "2nd place",
        "9to5",
        "0xGG",
        "1e5x",
        "2001-12-14T21:59:43Z",
        "12h",
        "1:20",
        "190:20:30",
        "123456789012",
        "2010-09-09",
        "2012-10-17",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5",
        ".inf",
        "-.Inf",
        ".NaN",
        "inf",
        "NaN",
        "Infinity",
        "=",
        "<<",
        // Indicators.
        "-",
        "- a",
        "--- a",
        "---",
        "...",
        "?",
        "? a",
        ":",
        "a:",
        "a: b",
        "a:b",
        "a #b",
        "#a",
        "a#b",
        "&a",
        "*a",
        "!a",
        "!Ref X",
        "|",
        ">",
        "'",
        "\"",
        "'a'",
        "\"a\"",
        "%a",
        "@a",
        "`a",
        "[a]",
        "{a}",
        "a, b",
        ",",
        "a,b",
        "${AWS::Region}",
        "arn:aws:s3:::bucket/*",
        // White space.
        " a",
        "a ",
        " ",
        "\t",
        "\ta",
        "a\t",
        "a  b",
        // Line breaks.
        "a\nb",
        "a\nb\n",
        "a\n\n",
        "a\n\n\n",
        "\na",
        "\n\na",
        " a\nb",
        "a\n b",
        "a  \nb",
        "a\t\nb",
        "\ta\nb",
        "  \nabc",
        "a\n  ",
        "\n",
        "\n\n",
        "a\r\nb",
        "a\rb",
        "def handler(event, context):\n    return {'statusCode': 200}\n",
        "#!/bin/bash\nset -e\n\n  indented\n# comment\n",
        // Unicode and control characters.
        "é",
        "日本語",
        "a\u{a0}",
        "\u{a0}",
        "😀",
        "\u{85}",
        "a\u{2028}b",
        "\u{2029}",
        "\u{feff}x",
        "\u{7f}",
        "\u{1b}",
        "\u{0}",
        "\u{1}x",
    ];
    let long = "abc ".repeat(2000);
    strings.push(&long);
    let long_key = "k".repeat(1500);

    let mut as_values = serde_json::Map::new();
    let mut as_keys = serde_json::Map::new();
    for (i, s) in strings.iter().enumerate() {
        as_values.insert(format!("S{i}"), json!(s));
        // A `<<` key is a YAML merge to our reader (and to SAM CLI's): not a
        // key JSON templates use.
        if *s != "<<" {
            as_keys.insert((*s).to_string(), json!(i));
        }
    }
    as_keys.insert(long_key.clone(), json!("long key"));
    as_keys.insert(format!("{long_key}2"), json!(["long", "key", ["list"]]));
    as_keys.insert(format!("{long_key}3"), json!({"long": {"key": "map"}}));
    as_keys.insert(format!("{long_key}4"), json!("multi\nline\n"));
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Strings": as_values,
        "StringList": strings,
        "Keys": as_keys,
        "Numbers": [0, 1, -1, 42, 1.5, -2.25, 0.1, 1.0, 1e20, 1.5e-7, 1e300,
                    u64::MAX, i64::MIN, 123456789012_u64],
        "Scalars": [true, false, null],
        "Empty": {"Map": {}, "List": [], "Nested": [[], {}, [[]]]},
        "Nested": [[1, [2, [3]]], {"a": [{"b": {}}]}, [{"c": 1, "d": [1]}]],
        "Intrinsics": tricky_intrinsics(),
    })
}

/// Intrinsics in long form, some with a short form, some without one that
/// reads back the same.
fn tricky_intrinsics() -> Value {
    let mut intrinsics: Value = serde_json::from_str(
        r##"{
        "Ref": {"Ref": "Param"},
        "RefPseudo": {"Ref": "AWS::NoValue"},
        "RefQuoted": {"Ref": "yes"},
        "RefObject": {"Ref": {"x": 1}},
        "GetAtt": {"Fn::GetAtt": ["Res", "Arn"]},
        "GetAttNested": {"Fn::GetAtt": ["Res", "Outputs.Name"]},
        "GetAttDotted": {"Fn::GetAtt": ["Res.x", "Arn"]},
        "GetAttString": {"Fn::GetAtt": "Res.Arn"},
        "GetAttRef": {"Fn::GetAtt": ["Res", {"Ref": "Attr"}]},
        "GetAttOne": {"Fn::GetAtt": ["Res"]},
        "GetAttNumber": {"Fn::GetAtt": ["Res", 1]},
        "Sub": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"},
        "SubMultiLine": {"Fn::Sub": "#!/bin/bash\necho ${AWS::Region}\n"},
        "SubList": {"Fn::Sub": ["${A}-${B}", {"A": {"Ref": "X"}, "B": "yes"}]},
        "If": {"Fn::If": ["Cond", {"Ref": "AWS::NoValue"}, {"Fn::GetAtt": ["R", "Arn"]}]},
        "IfMap": {"Fn::If": ["Cond", {"a": 1}, [1, 2]]},
        "Join": {"Fn::Join": ["", ["a", {"Ref": "B"}, ["c", "d, e"], "no"]]},
        "Base64Sub": {"Fn::Base64": {"Fn::Sub": "x\ny\n"}},
        "Select": {"Fn::Select": ["0", {"Fn::GetAZs": ""}]},
        "SelectNumber": {"Fn::Select": 1},
        "GetAZsRef": {"Fn::GetAZs": {"Ref": "AWS::Region"}},
        "GetAZsNull": {"Fn::GetAZs": null},
        "Equals": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "And": {"Fn::And": [{"Condition": "A"}, {"Fn::Not": [{"Condition": "B"}]}]},
        "FindInMap": {"Fn::FindInMap": ["Map", {"Ref": "AWS::Region"}, "Key"]},
        "Transform": {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}},
        "TransformEmpty": {"Fn::Transform": {}},
        "ImportValue": {"Fn::ImportValue": {"Fn::Sub": "${Stack}-Arn"}},
        "Cidr": {"Fn::Cidr": ["10.0.0.0/16", 6, 5]},
        "Length": {"Fn::Length": [1, 2]},
        "ToJsonString": {"Fn::ToJsonString": {"a": [1, "b"]}},
        "ForEach": {"Fn::ForEach::Topics": ["T", ["a", "b"], {"${T}": {"Type": "AWS::SNS::Topic"}}]},
        "TwoKeys": {"Ref": "X", "Other": 1},
        "Unknown": {"Fn::Unknown": "x"},
        "Condition": {"Condition": "IsProd"},
        "InList": [{"Ref": "A"}, {"Fn::If": ["C", "a", "b"]}, {"Fn::Sub": "x\ny"}]
        }"##,
    )
    .unwrap();
    let long: Vec<String> = (0..30).map(|i| format!("element-{i}")).collect();
    intrinsics["JoinLong"] = json!({"Fn::Join": [",", long]});
    intrinsics
}

#[test]
#[ignore = "needs cfn-flip from .venv: run by scripts/test"]
fn corpus_inputs_read_like_cfn_flip() {
    let flipped = flipped();
    let mut problems = Vec::new();
    for (name, ours) in ours() {
        let theirs = &flipped.inputs[name];
        let exception = CFN_FLIP_EXCEPTIONS.iter().find(|(n, _)| n == name);
        match (ours, theirs, exception) {
            (Ok(a), Ok(b), None) if a == b => {}
            (Ok(a), Ok(b), Some(_)) if a != b => {}
            (Ok(_), Ok(_), Some((_, reason))) => problems.push(format!(
                "{name}: listed as an exception ({reason}) but now reads the same: remove it"
            )),
            (Ok(a), Ok(b), None) => problems.push(format!(
                "{name}: differs from cfn-flip at {}",
                first_difference(a, b, "")
            )),
            (Err(e), _, _) => problems.push(format!("{name}: our reader failed: {e}")),
            (_, Err(e), _) => problems.push(format!("{name}: cfn-flip failed: {e}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The values of [`our_yaml_reads_back_the_same`] and
/// [`cfn_flip_reads_our_yaml_the_same`]: our reading of each corpus input
/// that we read, and the tricky document.
fn our_yaml_cases(tricky: &Value) -> Vec<(&str, &Value)> {
    let cases: Vec<_> = ours()
        .iter()
        .filter_map(|(name, v)| v.as_ref().ok().map(|v| (name.as_str(), v)))
        .chain([(TRICKY, tricky)])
        .collect();
    assert_eq!(cases.len(), 544);
    cases
}

#[test]
fn our_yaml_reads_back_the_same() {
    let tricky = tricky_values();
    let mut problems = Vec::new();
    for (name, value) in our_yaml_cases(&tricky) {
        let yaml = template::to_string(value, Format::Yaml);
        match template::parse(&yaml) {
            Ok((back, Format::Yaml)) => {
                if &back != value {
                    problems.push(format!(
                        "{name}: our reader reads our YAML differently at {}",
                        first_difference(value, &back, "")
                    ));
                } else if key_order(&back) != key_order(value) {
                    problems.push(format!("{name}: our YAML changes the key order"));
                } else if template::to_string(&back, Format::Yaml) != yaml {
                    problems.push(format!("{name}: writing our YAML again changes it"));
                }
            }
            Ok((_, format)) => problems.push(format!("{name}: our YAML detected as {format:?}")),
            Err(e) => problems.push(format!("{name}: our reader refuses our YAML: {e}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
#[ignore = "needs cfn-flip from .venv: run by scripts/test"]
fn cfn_flip_reads_our_yaml_the_same() {
    let flipped = flipped();
    let tricky = tricky_values();
    let mut problems = Vec::new();
    for (name, value) in our_yaml_cases(&tricky) {
        match &flipped.our_yaml[name] {
            Ok(theirs) if theirs == value => {}
            Ok(theirs) => problems.push(format!(
                "{name}: cfn-flip reads our YAML differently at {}",
                first_difference(value, theirs, "")
            )),
            Err(e) => problems.push(format!("{name}: cfn-flip refuses our YAML: {e}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn corpus_outputs_round_trip_json_with_key_order() {
    let mut problems = Vec::new();
    for path in corpus_files("output") {
        let name = stem(&path);
        let text = std::fs::read_to_string(&path).unwrap();
        let (value, format) = match template::parse(&text) {
            Ok(parsed) => parsed,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        assert_eq!(format, Format::Json, "{name}");
        // The key order is the file's: the compact text of the value is the
        // file without its layout.
        if compact(&text) != serde_json::to_string(&value).unwrap() {
            problems.push(format!(
                "{name}: the value does not serialise as the file did"
            ));
        }
        let written = template::to_string(&value, Format::Json);
        match template::parse(&written) {
            Ok((back, _)) if back == value && key_order(&back) == key_order(&value) => {}
            Ok(_) => problems.push(format!("{name}: JSON round trip changed the value")),
            Err(e) => problems.push(format!("{name}: our JSON does not read back: {e}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Corpus outputs with a function the macro must refuse to instrument, the
/// function to `exclude` so that the rest succeeds, and what the refusal
/// says. Each is checked both ways: refused as is, success with the
/// exclusion.
const REFUSED_FUNCTIONS: &[(&str, &str, &str)] = &[
    (
        "function_with_many_layers",
        "ManyLayersFunc",
        // Five layers already: Datadog's would be a sixth, over Lambda's limit.
        "Lambda allows 5 per function",
    ),
    (
        "function_with_global_layers",
        "ManyLayersFunc",
        // The same, with layers from Globals.
        "Lambda allows 5 per function",
    ),
    (
        "intrinsic_functions",
        "MyFunction",
        // `Runtime: {"Fn::If": ...}` cannot be resolved at transform time.
        "Runtime that is an intrinsic function that cannot be resolved",
    ),
    (
        "connector_dependson_replace",
        "SomeFunction",
        // No Runtime and no image: no layer can be chosen (the corpus's
        // connector tests leave out what they do not test).
        "has no Runtime",
    ),
    ("connector_esm_dependson", "MyFunction", "has no Runtime"),
    ("connector_hardcoded_props", "MyFunction", "has no Runtime"),
];

/// Macro parameters for the `handle-event` runs: no layer versions (each
/// runtime gets the newest Datadog publishes for it, a retired one its last:
/// one version for a whole family would not exist for them all); `exclude`
/// lists functions to leave alone.
fn event_params(exclude: &[&str]) -> Value {
    json!({ "exclude": exclude })
}

/// The macro event for a corpus output, excluding the functions that
/// [`REFUSED_FUNCTIONS`] lists for it.
fn event(name: &str, fragment: Value) -> Value {
    let exclude: Vec<&str> = REFUSED_FUNCTIONS
        .iter()
        .filter(|(n, _, _)| *n == name)
        .map(|(_, function, _)| *function)
        .collect();
    event_with_params(name, fragment, event_params(&exclude))
}

fn event_with_params(name: &str, fragment: Value, params: Value) -> Value {
    json!({
        "region": "us-east-1",
        "accountId": "123456789012",
        "fragment": fragment,
        "transformId": "123456789012::DatadogServerless",
        "params": params,
        "requestId": format!("request-{name}"),
        "templateParameterValues": {},
    })
}

/// Every corpus output through the library's `handle`; every 27th (21 of
/// them) also through the real binary's `handle-event`.
#[test]
fn handle_event_answers_every_corpus_output_with_success() {
    let dir = scratch("template_io-events");
    let environment = MacroEnvironment::default();
    let mut problems = Vec::new();
    let mut through_binary = 0;
    for (i, path) in corpus_files("output").iter().enumerate() {
        let name = stem(path);
        let event = event(&name, read_json(path));
        let request: MacroRequest = serde_json::from_value(event.clone()).unwrap();
        let (response, _) = handle_with_report(request, &environment);
        if response.status != "success" || response.request_id != format!("request-{name}") {
            problems.push(format!(
                "{name}: library answered {} ({}) for request {}",
                response.status,
                response.error_message.unwrap_or_default(),
                response.request_id
            ));
        }
        if i % 27 == 0 {
            through_binary += 1;
            let file = write_file(
                &dir,
                &format!("{name}.event.json"),
                serde_json::to_string(&event).unwrap(),
            );
            let output = run(&["handle-event", file.to_str().unwrap()], b"");
            check_binary_response(&output, &name, &mut problems);
        }
    }
    assert_eq!(through_binary, 21);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Without their exclusion, the templates of [`REFUSED_FUNCTIONS`] are
/// refused with a failure naming the function, `requestId` echoed.
#[test]
fn handle_event_refuses_what_cannot_be_instrumented() {
    for (name, function, message) in REFUSED_FUNCTIONS {
        let fragment = read_json(&corpus_dir().join(format!("output/{name}.json")));
        let event = event_with_params(name, fragment, event_params(&[]));
        let request: MacroRequest = serde_json::from_value(event).unwrap();
        let (response, _) = handle_with_report(request, &MacroEnvironment::default());
        assert_eq!(response.status, "failure", "{name}");
        assert_eq!(response.request_id, format!("request-{name}"));
        let error = response.error_message.unwrap_or_default();
        assert!(
            error.contains(function) && error.contains(message),
            "{name}: {error}"
        );
    }
}

fn check_binary_response(output: &std::process::Output, name: &str, problems: &mut Vec<String>) {
    if !output.status.success() {
        problems.push(format!(
            "{name}: handle-event exited {:?}: {}",
            output.status,
            stderr(output)
        ));
        return;
    }
    match serde_json::from_slice::<Value>(&output.stdout) {
        Ok(response) => {
            if response["status"] != "success" || response["requestId"] != format!("request-{name}")
            {
                problems.push(format!(
                    "{name}: handle-event answered {} for {}: {}",
                    response["status"], response["requestId"], response["errorMessage"]
                ));
            }
            if !response["fragment"].is_object() {
                problems.push(format!("{name}: handle-event answered no fragment"));
            }
        }
        Err(e) => problems.push(format!("{name}: handle-event printed no JSON: {e}")),
    }
}

#[test]
fn handle_event_reads_standard_input() {
    let fragment = read_json(&corpus_dir().join("output/api_cache.json"));
    let event = serde_json::to_vec(&event("stdin", fragment)).unwrap();
    let mut problems = Vec::new();
    check_binary_response(&run(&["handle-event", "-"], &event), "stdin", &mut problems);
    // The file argument defaults to `-`.
    check_binary_response(&run(&["handle-event"], &event), "stdin", &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn transform_reads_standard_input() {
    let template = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub '${AWS::StackName}-data'\n";
    let output = run(&["transform", "-"], template.as_bytes());
    assert!(output.status.success(), "{}", stderr(&output));
    let (value, format) = template::parse(&stdout(&output)).unwrap();
    assert_eq!(format, Format::Yaml, "output in the input's format");
    assert_eq!(
        value["Resources"]["Bucket"]["Properties"]["BucketName"],
        json!({"Fn::Sub": "${AWS::StackName}-data"})
    );
}

/// `convert` JSON -> YAML -> JSON through the binary (files and standard
/// input) gives back the same value, key order included.
#[test]
fn convert_json_yaml_json_keeps_the_value() {
    let dir = scratch("template_io-convert");
    let names = [
        "api_cache",
        "function_with_deployment_preference",
        "state_machine_with_definition_substitutions",
        "globals_for_function",
        "all_policy_templates",
    ];
    for name in names {
        let source = corpus_dir().join(format!("output/{name}.json"));
        let original = std::fs::read_to_string(&source).unwrap();
        let (value, _) = template::parse(&original).unwrap();

        let yaml_file = dir.join(format!("{name}.yaml"));
        let out = run(
            &[
                "convert",
                source.to_str().unwrap(),
                "--format",
                "yaml",
                "-o",
                yaml_file.to_str().unwrap(),
            ],
            b"",
        );
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let yaml = std::fs::read_to_string(&yaml_file).unwrap();
        assert_eq!(
            template::parse(&yaml).unwrap(),
            (value.clone(), Format::Yaml),
            "{name}"
        );

        let out = run(
            &["convert", yaml_file.to_str().unwrap(), "--format", "json"],
            b"",
        );
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let back: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(back, value, "{name}");
        assert_eq!(key_order(&back), key_order(&value), "{name}");

        // The same through standard input, YAML text in, JSON out.
        let out = run(&["convert", "-", "--format", "json"], yaml.as_bytes());
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert_eq!(
            serde_json::from_slice::<Value>(&out.stdout).unwrap(),
            value,
            "{name}"
        );
    }
    // And a corpus input (YAML with short forms) to JSON: our reading, which
    // corpus_inputs_read_like_cfn_flip checks is cfn-flip's.
    let source = corpus_dir().join("input/api_cache.yaml");
    let out = run(
        &["convert", source.to_str().unwrap(), "--format", "json"],
        b"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (_, api_cache) = ours().iter().find(|(n, _)| n == "api_cache").unwrap();
    assert_eq!(api_cache.as_ref().unwrap(), &value);
}

/// The compact text of a value: for two equal values, equal texts mean the
/// same key order everywhere.
fn key_order(value: &Value) -> String {
    serde_json::to_string(value).unwrap()
}

/// JSON text without the white space between tokens, each string spelt as
/// serde_json spells it (`\u2018` becomes `‘`): the text of the file's
/// structure, keys in the file's order.
fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((start, c)) = chars.next() {
        if c == '"' {
            let mut escaped = false;
            let end = chars
                .by_ref()
                .find(|&(_, c)| {
                    let closes = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    closes
                })
                .map_or(text.len(), |(i, _)| i + 1);
            let token: String = serde_json::from_str(&text[start..end]).unwrap();
            out.push_str(&serde_json::to_string(&token).unwrap());
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

/// Where two values first differ, as a JSON pointer with both sides.
fn first_difference(a: &Value, b: &Value, at: &str) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) if v != w => return first_difference(v, w, &format!("{at}/{k}")),
                    None => return format!("{at}/{k}: only on the left"),
                    _ => {}
                }
            }
            match y.keys().find(|k| !x.contains_key(*k)) {
                Some(k) => format!("{at}/{k}: only on the right"),
                None => format!("{at}: same entries"),
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find(|(_, (v, w))| v != w)
            .map(|(i, (v, w))| first_difference(v, w, &format!("{at}/{i}")))
            .unwrap_or_else(|| format!("{at}: same items")),
        _ => format!("{at}: {a} vs {b}"),
    }
}
