//! The Step Functions pass and the Forwarder subscriptions over the SAM
//! translator corpus (`../shared/corpus/sam-translator/output`: real
//! CloudFormation as a macro listed after the SAM transform receives it).
//!
//! For every output with a state machine, with `stepFunctionForwarderArn`
//! (and tags) set, and for the outputs with a function, with `forwarderArn`
//! set (through `lambda::forwarder::subscribe` with every function, until
//! the function pass hands over its ids):
//!
//! - the transform succeeds, except where a state machine that needs a
//!   log group has a role outside the template (SPEC §8: an error naming
//!   it, checked here);
//! - it is idempotent;
//! - only the state machines, their roles and the added resources change;
//! - every rewritten definition carries the context where SPEC §8 says;
//! - `cfn-lint` finds nothing on the output that it did not find on the
//!   input (compared by rule and path; cfn-lint runs once over all inputs
//!   and once over all outputs).
//!
//! cfn-lint comes from `$DD_MACRO_VENV/bin`, else `<repo>/.venv/bin`, else
//! PATH; the test fails with a clear message when it is missing.

mod stepfn_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use dd_serverless_macro::config::{Config, ConfigInputs};
use dd_serverless_macro::lambda::forwarder::subscribe;
use dd_serverless_macro::report::Report;
use dd_serverless_macro::step_functions::definition::{self, Found};
use dd_serverless_macro::template::intrinsics::get_att;
use dd_serverless_macro::template::resources::ids_of_types;
use dd_serverless_macro::{MacroEnvironment, MacroRequest};
use serde_json::{Map, Value, json};
use stepfn_support::*;

const FORWARDER: &str = "arn:aws:lambda:us-east-1:123456789012:function:DatadogForwarder";
const STATE_MACHINE: &str = "AWS::StepFunctions::StateMachine";

/// The corpus outputs: `../shared/corpus/sam-translator/output` beside the
/// repository, or under `$DD_MACRO_CORPUS`.
fn corpus_dir() -> PathBuf {
    let root = std::env::var_os("DD_MACRO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sam-translator")
        });
    let dir = root.join("output");
    assert!(
        dir.is_dir(),
        "the SAM corpus is missing at {} (set DD_MACRO_CORPUS to its folder)",
        dir.display()
    );
    dir
}

/// Corpus outputs holding a resource of this type, sorted.
fn corpus_with(resource_type: &str) -> Vec<(PathBuf, Value)> {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (p, v)
        })
        .filter(|(_, v)| !ids_of_types(v, &[resource_type]).is_empty())
        .collect()
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// The state machines that need a log group (no destination) and whose
/// role the macro cannot edit: the ones the transform must refuse.
fn machines_with_outside_roles(template: &Value) -> Vec<String> {
    let resources = template["Resources"].as_object().unwrap();
    let is_role =
        |id: &str| resources.get(id).and_then(|r| r["Type"].as_str()) == Some("AWS::IAM::Role");
    ids_of_types(template, &[STATE_MACHINE])
        .into_iter()
        .filter(|id| {
            let Some(props) = resources[id].get("Properties") else {
                return false;
            };
            let has_destination = props["LoggingConfiguration"]["Destinations"]
                .as_array()
                .is_some_and(|d| !d.is_empty());
            let role_ok = match props.get("RoleArn") {
                None => true,
                Some(role) => match get_att(role) {
                    Some((r, "Arn")) => is_role(r),
                    _ => role["Fn::Sub"]
                        .as_str()
                        .and_then(|s| s.strip_prefix("${")?.strip_suffix(".Arn}"))
                        .is_some_and(is_role),
                },
            };
            !has_destination && !role_ok
        })
        .collect()
}

/// The resources a state machine run may change: the state machines and
/// the roles they name.
fn may_change(template: &Value) -> BTreeSet<String> {
    let resources = template["Resources"].as_object().unwrap();
    let mut ids = BTreeSet::new();
    for id in ids_of_types(template, &[STATE_MACHINE]) {
        if let Some(role) = resources[&id]
            .get("Properties")
            .and_then(|p| p.get("RoleArn"))
        {
            if let Some((r, _)) = get_att(role) {
                ids.insert(r.to_string());
            }
            if let Some(s) = role["Fn::Sub"].as_str()
                && let Some(r) = s.strip_prefix("${").and_then(|s| s.strip_suffix(".Arn}"))
            {
                ids.insert(r.to_string());
            }
        }
        ids.insert(id);
    }
    ids
}

fn assert_only_expected_changes(
    name: &str,
    input: &Value,
    output: &Value,
    allowed: &BTreeSet<String>,
) {
    let before = input["Resources"].as_object().unwrap();
    let after = output["Resources"].as_object().unwrap();
    for (id, resource) in before {
        if !allowed.contains(id) {
            assert_eq!(
                serde_json::to_string(&after[id]).unwrap(),
                serde_json::to_string(resource).unwrap(),
                "{name}: {id} changed"
            );
        }
    }
}

// --- cfn-lint --------------------------------------------------------------

/// A tool of the Python environment the test script prepares.
fn python_tool(name: &str) -> PathBuf {
    let candidates = std::env::var_os("DD_MACRO_VENV")
        .map(|v| PathBuf::from(v).join("bin"))
        .into_iter()
        .chain([Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin")]);
    for dir in candidates {
        let path = dir.join(name);
        if path.exists() {
            return path;
        }
    }
    PathBuf::from(name)
}

/// Findings per file, as (rule, path) pairs: independent of line numbers,
/// so that findings before and after a transform can be compared.
type Findings = BTreeMap<PathBuf, BTreeSet<(String, String)>>;

/// Runs cfn-lint once over all the files.
fn lint(files: &[PathBuf]) -> Findings {
    let helper = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/py/lint_many.py");
    let mut findings: Findings = files.iter().map(|f| (f.clone(), BTreeSet::new())).collect();
    if helper.exists() {
        let python = python_tool("python3");
        let output = Command::new(&python)
            .arg(&helper)
            .args(["--jobs", "2"])
            .args(files)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {} (set DD_MACRO_VENV): {e}", python.display()));
        assert!(
            output.status.success(),
            "lint_many.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let map: Map<String, Value> = serde_json::from_slice(&output.stdout).unwrap();
        for (file, items) in map {
            let entry = findings.entry(PathBuf::from(file)).or_default();
            for item in items.as_array().unwrap() {
                entry.insert((
                    item["rule"].as_str().unwrap().to_string(),
                    item["path"].to_string(),
                ));
            }
        }
        return findings;
    }
    let cfn_lint = python_tool("cfn-lint");
    let output = Command::new(&cfn_lint)
        .args(["--format", "json", "--regions", "us-east-1", "--"])
        .args(files)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cfn-lint is needed for this test and could not be run ({}: {e}); install it (scripts/test does) or set DD_MACRO_VENV",
                cfn_lint.display()
            )
        });
    let code = output.status.code().unwrap_or(-1);
    assert!(
        code >= 0 && code & !(2 | 4 | 8) == 0,
        "cfn-lint failed ({code}): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let items: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap_or_default();
    for item in items {
        let file = PathBuf::from(item["Filename"].as_str().unwrap());
        findings.entry(file).or_default().insert((
            item["Rule"]["Id"].as_str().unwrap().to_string(),
            item["Location"]["Path"].to_string(),
        ));
    }
    findings
}

/// One template checked by cfn-lint before and after.
struct LintPair {
    name: String,
    input: PathBuf,
    output: PathBuf,
}

fn assert_nothing_new(pairs: &[LintPair]) {
    let inputs: Vec<PathBuf> = pairs
        .iter()
        .map(|p| p.input.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let outputs: Vec<PathBuf> = pairs.iter().map(|p| p.output.clone()).collect();
    let before = lint(&inputs);
    let after = lint(&outputs);
    assert!(
        before.values().any(|f| !f.is_empty()),
        "cfn-lint found nothing at all on the corpus inputs, which have known findings: is it working?"
    );
    let mut problems = Vec::new();
    for pair in pairs {
        let old = before.get(&pair.input).cloned().unwrap_or_default();
        for finding in after.get(&pair.output).into_iter().flatten() {
            if !old.contains(finding) {
                problems.push(format!("{}: {} at {}", pair.name, finding.0, finding.1));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "cfn-lint findings new in the output:\n{}",
        problems.join("\n")
    );
}

fn write(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

// --- the passes -------------------------------------------------------------

fn state_machine_request(fragment: Value) -> MacroRequest {
    MacroRequest {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        fragment,
        transform_id: "123456789012::DatadogServerless".into(),
        params: json!({
            "stepFunctionForwarderArn": FORWARDER,
            "service": "corpus",
            "env": "test",
            "version": "1.0",
            "tags": "team:serverless,tier:2",
        })
        .as_object()
        .unwrap()
        .clone(),
        request_id: "corpus".into(),
        template_parameter_values: Map::new(),
    }
}

/// Runs the state machine pass over the corpus; returns the templates to lint.
fn check_state_machines(scratch: &Path) -> Vec<LintPair> {
    let corpus = corpus_with(STATE_MACHINE);
    assert_eq!(corpus.len(), 65, "corpus outputs with a state machine");
    let mut pairs = Vec::new();
    let (mut refused, mut checked_states) = (0, 0);
    for (path, input) in corpus {
        let name = stem(&path);
        assert_definitions_round_trip(&name, &input);
        let request = state_machine_request(input.clone());
        let out = run(&request);
        let outside = machines_with_outside_roles(&input);
        if !outside.is_empty() {
            refused += 1;
            let errors: Vec<_> = out.report.errors().collect();
            assert_eq!(errors.len(), outside.len(), "{name}: {errors:?}");
            for id in &outside {
                assert!(
                    errors.iter().any(|e| e.resource.as_deref() == Some(id)
                        && e.message.contains("RoleArn")
                        && e.message.contains("exclude")),
                    "{name}: no clear error for {id}: {errors:?}"
                );
            }
            continue;
        }
        assert!(
            !out.report.has_errors(),
            "{name}: {:?}",
            out.report.diagnostics
        );
        assert_untouched(&name, &input, &out.fragment, &out.report);
        assert_only_expected_changes(&name, &input, &out.fragment, &may_change(&input));
        assert_idempotent(&name, &request, &out.fragment);
        checked_states += assert_context_injected(&name, &out.fragment, &out.report);
        let output = scratch.join(format!("sfn-{name}.json"));
        write(&output, &out.fragment);
        pairs.push(LintPair {
            name,
            input: path,
            output,
        });
    }
    // 22 state machines have a role outside the template (an ARN string or
    // Fn::Sub, as SAM writes `Role: arn:...`) and no log destination.
    assert_eq!(refused, 22);
    // The states of accepted templates that call a Lambda function or a
    // state machine with Parameters (through DefinitionSubstitutions):
    // connector_sfn_to_function_without_policy, connector_sfn_to_sfn,
    // embedded_connectors_sfn_to.
    assert_eq!(checked_states, 3);
    pairs
}

/// Every definition, read for editing and written back unedited, is what
/// it was: the macro's reading loses nothing (formatting included), even
/// where it writes back only after an edit.
fn assert_definitions_round_trip(name: &str, template: &Value) {
    for id in ids_of_types(template, &[STATE_MACHINE]) {
        let Some(props) = template["Resources"][&id]["Properties"].as_object() else {
            continue;
        };
        if let Found::Editable(definition) = definition::read(props) {
            let mut copy = props.clone();
            definition.write_back(&mut copy);
            assert_eq!(&copy, props, "{name}: {id}'s definition did not round-trip");
        }
    }
}

/// `subscribe` with every function of the template.
fn forwarder_run(fragment: &Value) -> (Value, Report) {
    let params = json!({"forwarderArn": FORWARDER});
    let mut report = Report::default();
    let config = Config::build(
        ConfigInputs {
            params: params.as_object().unwrap(),
            fragment,
            environment: &MacroEnvironment::default(),
        },
        &mut report,
    );
    let ids = ids_of_types(
        fragment,
        &["AWS::Lambda::Function", "AWS::Serverless::Function"],
    );
    let mut out = fragment.clone();
    subscribe(&mut out, &ids, &config, &mut report);
    (out, report)
}

/// Whether a function template exercises more than the plain case: log
/// groups or filters of its own, `LoggingConfig`, names, conditions.
fn interesting_for_forwarder(template: &Value) -> bool {
    let resources = template["Resources"].as_object().unwrap();
    resources.values().any(|r| {
        let ty = r["Type"].as_str().unwrap_or_default();
        ty == "AWS::Logs::LogGroup"
            || ty == "AWS::Logs::SubscriptionFilter"
            || (ty == "AWS::Lambda::Function"
                && (r.get("Condition").is_some()
                    || r["Properties"].get("LoggingConfig").is_some()
                    || r["Properties"].get("FunctionName").is_some()))
    })
}

/// Runs the Forwarder pass over every corpus output with a function; returns
/// the templates to lint: all of them with `lint_all`, else the interesting
/// ones and every tenth other.
fn check_functions(scratch: &Path, lint_all: bool) -> Vec<LintPair> {
    let corpus = corpus_with("AWS::Lambda::Function");
    assert!(
        corpus.len() >= 400,
        "corpus outputs with a function: {}",
        corpus.len()
    );
    let mut pairs = Vec::new();
    for (i, (path, input)) in corpus.into_iter().enumerate() {
        let name = stem(&path);
        let (out, report) = forwarder_run(&input);
        assert!(!report.has_errors(), "{name}: {:?}", report.diagnostics);
        assert_untouched(&name, &input, &out, &report);
        assert_only_expected_changes(&name, &input, &out, &BTreeSet::new());
        let filters = ids_of_types(&out, &["AWS::Logs::SubscriptionFilter"]).len();
        assert!(filters >= 1, "{name}: no subscription filter");
        let (again, report) = forwarder_run(&out);
        assert_eq!(again, out, "{name}: second run changed the template");
        assert!(
            report.resources.is_empty(),
            "{name}: {:?}",
            report.resources
        );
        if lint_all || interesting_for_forwarder(&input) || i % 10 == 0 {
            let output = scratch.join(format!("fwd-{name}.json"));
            write(&output, &out);
            pairs.push(LintPair {
                name,
                input: path,
                output,
            });
        }
    }
    pairs
}

#[test]
fn corpus_state_machines_and_function_subscriptions() {
    let scratch = tempfile::tempdir().unwrap();
    let mut pairs = check_state_machines(scratch.path());
    pairs.extend(check_functions(scratch.path(), false));
    assert_nothing_new(&pairs);
}

#[test]
#[ignore = "slow: cfn-lint over every corpus output with a function (about 4 minutes on 2 cores)"]
fn corpus_function_subscriptions_all_linted() {
    let scratch = tempfile::tempdir().unwrap();
    let pairs = check_functions(scratch.path(), true);
    assert_nothing_new(&pairs);
}
