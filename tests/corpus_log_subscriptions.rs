//! Step Functions instrumentation and Forwarder subscriptions over the SAM
//! translator corpus (`output/`: real CloudFormation as a macro listed after
//! the SAM transform receives it; `input/`: the SAM templates).
//!
//! - The 65 outputs with a state machine, with `stepFunctionForwarderArn`
//!   (and tags): the transform succeeds; a state machine that needs a log
//!   group and whose role is a plain ARN string, outside the template, gets
//!   one warning naming that role (SPEC §8, checked here); it is idempotent;
//!   only the state machines,
//!   their roles and the added resources change; every definition
//!   round-trips through the macro's reading, and every rewritten one
//!   carries the context where SPEC §8 says.
//! - The 419 outputs with a function, with `forwarderArn`: success (or the
//!   function pass's own all-or-nothing refusals), idempotence, only
//!   functions, roles and added log groups / filters change, and every
//!   instrumented function's log group is subscribed.
//! - Every output (543) with the Forwarder and every log-group option:
//!   `subscribeToAccessLogs`, `subscribeToExecutionLogs`, every log group
//!   in `subscribeLogGroups`, `createForwarderPermissions`, and
//!   `stepFunctionForwarderArn`: success, only what the report names
//!   changes, idempotence, and every filter added sends a log group the
//!   template declares or one an access-log ARN names (issue 17).
//! - cfn-lint finds nothing on the outputs of the state machine run and of
//!   the run with every option that it did not find on the inputs (by rule
//!   and path; one cfn-lint run over all inputs, one over all outputs).
//! - The SAM inputs with an `AWS::Serverless::StateMachine`, instrumented
//!   as SAM and then translated by aws-sam-translator, give the same state
//!   machines, log groups, filters and role permissions as the translated
//!   templates instrumented (SPEC §1 [beyond]).
//!
//! The last two need cfn-lint and aws-sam-translator from `.venv`: they are
//! `#[ignore]`d tests that `scripts/test` runs (CONTRIBUTING.md, "Tests").

mod common;
mod stepfn_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::stem;
use dd_serverless_macro::dry_run;
use dd_serverless_macro::internals::definition::{self, Found};
use dd_serverless_macro::internals::{get_att, ids_of_types};
use dd_serverless_macro::report::Change;
use dd_serverless_macro::template;
use dd_serverless_macro::{MacroRequest, Transformed};
use serde_json::{Map, Value, json};
use stepfn_support::{
    assert_context_injected, assert_filters_have_groups, assert_idempotent, assert_untouched, run,
};

const FORWARDER: &str = "arn:aws:lambda:us-east-1:123456789012:function:DatadogForwarder";
const STATE_MACHINE: &str = "AWS::StepFunctions::StateMachine";
const SAM_STATE_MACHINE: &str = "AWS::Serverless::StateMachine";
const FUNCTION: &str = "AWS::Lambda::Function";

/// Corpus outputs declaring a resource of this type, with their content.
fn outputs_with(resource_type: &str) -> Vec<(PathBuf, Value)> {
    common::corpus_files("output")
        .into_iter()
        .map(|p| {
            let v = common::read_json(&p);
            (p, v)
        })
        .filter(|(_, v)| common::has_type(v, &[resource_type]))
        .collect()
}

fn request(fragment: Value, params: Value) -> MacroRequest {
    MacroRequest {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        fragment,
        transform_id: "123456789012::DatadogServerless".into(),
        params: params.as_object().unwrap().clone(),
        request_id: "corpus".into(),
        template_parameter_values: Map::new(),
    }
}

fn state_machine_params() -> Value {
    json!({
        "stepFunctionForwarderArn": FORWARDER,
        "service": "corpus",
        "env": "test",
        "version": "1.0",
        "tags": "team:serverless,tier:2",
    })
}

/// The logical id of the role a role ARN names (`Fn::GetAtt [R, Arn]`,
/// dotted, or `Fn::Sub "${R.Arn}"`), if it names one.
fn role_id(role: &Value) -> Option<&str> {
    match get_att(role) {
        Some((r, "Arn")) => Some(r),
        _ => role["Fn::Sub"]
            .as_str()?
            .strip_prefix("${")?
            .strip_suffix(".Arn}"),
    }
}

/// The state machines that need a log group (no destination) and whose
/// role, a plain ARN string, the macro cannot edit: each gets a warning.
fn machines_with_plain_arn_roles(template: &Value) -> Vec<String> {
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
            let plain_outside = props
                .get("RoleArn")
                .is_some_and(|role| role.is_string() && !role_id(role).is_some_and(is_role));
            !has_destination && plain_outside
        })
        .collect()
}

/// Resources of `input` outside `allowed` are byte for byte the same.
fn assert_only(name: &str, input: &Value, output: &Value, allowed: &BTreeSet<String>) {
    let after = output["Resources"].as_object().unwrap();
    for (id, resource) in input["Resources"].as_object().unwrap() {
        if !allowed.contains(id) {
            assert_eq!(
                serde_json::to_string(&after[id]).unwrap(),
                serde_json::to_string(resource).unwrap(),
                "{name}: {id} changed"
            );
        }
    }
}

/// Resources of one of the given types, and the roles they name in `key`.
fn with_roles(template: &Value, types: &[&str], key: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for id in ids_of_types(template, types) {
        if let Some(r) = role_id(&template["Resources"][&id]["Properties"][key]) {
            ids.insert(r.to_string());
        }
        ids.insert(id);
    }
    ids
}

/// Every definition, read for editing and written back unedited, is what
/// it was (formatting included).
fn assert_definitions_round_trip(name: &str, template: &Value) {
    for id in ids_of_types(template, &[STATE_MACHINE, SAM_STATE_MACHINE]) {
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

/// One template to lint before and after.
struct LintPair {
    name: String,
    input: PathBuf,
    output: PathBuf,
}

impl LintPair {
    /// Writes the instrumented `output` of the corpus file `input` into
    /// `scratch`, as `PREFIX-NAME.json`, for cfn-lint.
    fn written(scratch: &Path, prefix: &str, name: String, input: PathBuf, output: &Value) -> Self {
        let path = scratch.join(format!("{prefix}-{name}.json"));
        common::write_json(&path, output);
        LintPair {
            name,
            input,
            output: path,
        }
    }
}

fn assert_nothing_new(pairs: &[LintPair]) {
    let inputs: Vec<PathBuf> = pairs
        .iter()
        .map(|p| p.input.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let outputs: Vec<PathBuf> = pairs.iter().map(|p| p.output.clone()).collect();
    let before = common::lint(&inputs);
    let after = common::lint(&outputs);
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

// --- state machines ----------------------------------------------------------

fn check_state_machines(scratch: &Path) -> Vec<LintPair> {
    let corpus = outputs_with(STATE_MACHINE);
    assert_eq!(corpus.len(), 65, "corpus outputs with a state machine");
    let mut pairs = Vec::new();
    let (mut plain_arn_roles, mut checked_states) = (0, 0);
    for (path, input) in corpus {
        let name = stem(&path);
        assert_definitions_round_trip(&name, &input);
        // The functions are the function pass's business (its own corpus
        // test): excluded here, so that what changes is this pass's doing.
        let mut params = state_machine_params();
        params["exclude"] = json!(ids_of_types(&input, &[FUNCTION]));
        let request = request(input.clone(), params);
        let out = run(&request);
        assert!(
            !out.report.has_errors(),
            "{name}: {:?}",
            out.report.diagnostics
        );
        let outside = machines_with_plain_arn_roles(&input);
        for id in &outside {
            let role = input["Resources"][id]["Properties"]["RoleArn"]
                .as_str()
                .unwrap();
            let warnings: Vec<_> = out
                .report
                .warnings()
                .filter(|w| w.resource.as_deref() == Some(id) && w.message.contains(role))
                .collect();
            assert!(
                warnings.len() == 1 && warnings[0].message.contains("logs:CreateLogDelivery"),
                "{name}: {id} should have one warning naming {role}: {warnings:?}"
            );
        }
        plain_arn_roles += outside.len();
        assert_untouched(&name, &input, &out.fragment, &out.report);
        let machines = with_roles(&input, &[STATE_MACHINE], "RoleArn");
        assert_only(&name, &input, &out.fragment, &machines);
        assert_idempotent(&name, &request, &out.fragment);
        checked_states += assert_context_injected(&name, &out.fragment, &out.report);
        pairs.push(LintPair::written(scratch, "sfn", name, path, &out.fragment));
    }
    // 14 state machines have a role given as a plain ARN string (as SAM
    // writes `Role: arn:...`) and no log destination: instrumented, with a
    // warning (SPEC §8). 8 more have an Fn::Sub ARN outside the template:
    // a warning too.
    assert_eq!(plain_arn_roles, 14);
    // The states that call a Lambda function or a state machine with
    // Parameters (through DefinitionSubstitutions):
    // connector_sfn_to_function_without_policy, connector_sfn_to_sfn,
    // embedded_connectors_sfn_to, and two in
    // state_machine_with_sam_policy_templates (whose role is a plain ARN).
    assert_eq!(checked_states, 5);
    pairs
}

// --- functions ---------------------------------------------------------------

/// The functions the transform instrumented (changed, not skipped).
fn instrumented(out: &Transformed) -> Vec<String> {
    out.report
        .resources
        .iter()
        .filter(|r| r.resource_type == FUNCTION)
        .filter(|r| {
            !r.changes
                .iter()
                .any(|c| matches!(c, Change::Skipped { .. }))
        })
        .map(|r| r.logical_id.clone())
        .collect()
}

fn check_functions(scratch: &Path) -> Vec<LintPair> {
    let corpus = outputs_with(FUNCTION);
    assert_eq!(corpus.len(), 419, "corpus outputs declaring a function");
    let mut pairs = Vec::new();
    let (mut succeeded, mut subscribed) = (0, 0);
    for (path, input) in corpus {
        let name = stem(&path);
        let request = request(input.clone(), json!({"forwarderArn": FORWARDER}));
        let out = run(&request);
        if out.report.has_errors() {
            // The function pass's all-or-nothing refusals (its own corpus
            // test checks them); nothing of this pass may be among them.
            for e in out.report.errors() {
                assert!(
                    !e.message.contains("log group") && !e.message.contains("forwarder"),
                    "{name}: {}",
                    e.message
                );
            }
            continue;
        }
        succeeded += 1;
        assert_untouched(&name, &input, &out.fragment, &out.report);
        let mut allowed = with_roles(&input, &[FUNCTION], "Role");
        allowed.extend(ids_of_types(&input, &["AWS::IAM::Role"]));
        assert_only(&name, &input, &out.fragment, &allowed);
        let before = input["Resources"].as_object().unwrap();
        for (id, r) in out.fragment["Resources"].as_object().unwrap() {
            if !before.contains_key(id) {
                let ty = r["Type"].as_str().unwrap();
                assert!(
                    ty == "AWS::Logs::LogGroup" || ty == "AWS::Logs::SubscriptionFilter",
                    "{name}: added {id} of type {ty}"
                );
            }
        }
        for id in instrumented(&out) {
            let has_filter = out.report.resources.iter().any(|r| {
                r.logical_id == id
                    && r.changes.iter().any(|c| matches!(c, Change::ResourceAdded { resource_type, .. } if resource_type == "AWS::Logs::SubscriptionFilter"))
            });
            // Without a filter of its own, a function writes to a group
            // that has one already (shared LoggingConfig.LogGroup, or a
            // filter of the template).
            let shared = input["Resources"][&id]["Properties"]
                .get("LoggingConfig")
                .is_some()
                || common::has_type(&input, &["AWS::Logs::SubscriptionFilter"]);
            assert!(has_filter || shared, "{name}: {id} was not subscribed");
            subscribed += 1;
        }
        assert_idempotent(&name, &request, &out.fragment);
        pairs.push(LintPair::written(scratch, "fwd", name, path, &out.fragment));
    }
    assert!(
        succeeded >= 400,
        "only {succeeded} corpus outputs instrumented"
    );
    assert!(
        subscribed >= succeeded,
        "{subscribed} functions in {succeeded} templates"
    );
    pairs
}

// --- API Gateway and other log groups, permissions ------------------------------

/// The names of the log groups outside the template that the stages of
/// `template` write access logs to (literal log-group ARNs): what the
/// transform may subscribe by name.
fn access_log_groups_outside(template: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for resource in template["Resources"].as_object().unwrap().values() {
        let props = &resource["Properties"];
        for settings in [&props["AccessLogSetting"], &props["AccessLogSettings"]] {
            let Some(arn) = settings["DestinationArn"].as_str() else {
                continue;
            };
            if let Some((_, name)) = arn.split_once(":log-group:") {
                names.push(name.strip_suffix(":*").unwrap_or(name).to_string());
            }
        }
    }
    names
}

/// Every corpus output with `forwarderArn`, the API Gateway log groups
/// (`subscribeToAccessLogs`, `subscribeToExecutionLogs`), every log group of
/// the template listed in `subscribeLogGroups`, `createForwarderPermissions`
/// and `stepFunctionForwarderArn` (state machines the transform refuses, as
/// `check_state_machines` checks, excluded): success (or the function
/// pass's own refusals), only what the report names changes, idempotence,
/// and every filter added sends a log group the template declares or one an
/// access-log ARN names. The outputs that changed are written for cfn-lint.
fn check_log_groups(scratch: &Path) -> Vec<LintPair> {
    let mut pairs = Vec::new();
    let (mut changed, mut filters, mut execution_groups, mut permissions) = (0, 0, 0, 0);
    for path in common::corpus_files("output") {
        let input = common::read_json(&path);
        let name = stem(&path);
        let groups = ids_of_types(&input, &["AWS::Logs::LogGroup"]);
        let params = json!({
            "forwarderArn": FORWARDER,
            "stepFunctionForwarderArn": FORWARDER,
            "subscribeToAccessLogs": true,
            "subscribeToExecutionLogs": true,
            "subscribeLogGroups": groups,
            "createForwarderPermissions": true,
            "exclude": machines_with_plain_arn_roles(&input),
        });
        let request = request(input.clone(), params);
        let out = run(&request);
        if out.report.has_errors() {
            for e in out.report.errors() {
                assert!(
                    !e.message.contains("log group") && !e.message.contains("orwarder"),
                    "{name}: {}",
                    e.message
                );
            }
            continue;
        }
        if out.fragment == input {
            continue;
        }
        changed += 1;
        assert_untouched(&name, &input, &out.fragment, &out.report);
        assert_idempotent(&name, &request, &out.fragment);
        let existing = access_log_groups_outside(&input);
        filters += assert_filters_have_groups(&name, &input, &out.fragment, &existing);
        let before = input["Resources"].as_object().unwrap();
        for (id, r) in out.fragment["Resources"].as_object().unwrap() {
            if before.contains_key(id) {
                continue;
            }
            execution_groups += usize::from(id.ends_with("ExecutionLogGroup"));
            permissions += usize::from(r["Type"] == "AWS::Lambda::Permission");
        }
        pairs.push(LintPair::written(
            scratch,
            "groups",
            name,
            path,
            &out.fragment,
        ));
    }
    // 446 templates changed, 705 filters added. The execution-log groups:
    // 12 REST stages with a MethodSettings LoggingLevel, and the one
    // WebSocket stage with a route's (HTTP API stages with one get none).
    assert!(changed > 400, "{changed} templates changed");
    assert_eq!(execution_groups, 13, "execution-log groups");
    assert_eq!(permissions, filters, "a permission per filter");
    pairs
}

#[test]
fn corpus_state_machines_and_function_subscriptions() {
    let scratch = tempfile::tempdir().unwrap();
    check_state_machines(scratch.path());
    check_functions(scratch.path());
    check_log_groups(scratch.path());
}

/// cfn-lint on the outputs of the state machine run and of the run with
/// every log-group option, and on their inputs, in one cfn-lint run. The
/// `forwarderArn`-only outputs of `check_functions` are checked but not
/// linted: each is a part of the same template's output with every option
/// (the same function log groups and filters, beside the permissions and
/// API Gateway groups), which is linted. Linting both would add about a
/// minute and a half (446 more outputs) for nothing new.
#[test]
#[ignore = "needs cfn-lint from .venv: run by scripts/test (about 4 minutes)"]
fn corpus_state_machines_and_function_subscriptions_lint_no_worse() {
    let scratch = tempfile::tempdir().unwrap();
    let mut pairs = check_state_machines(scratch.path());
    check_functions(scratch.path());
    pairs.extend(check_log_groups(scratch.path()));
    assert_nothing_new(&pairs);
}

// --- SAM state machines -------------------------------------------------------

/// A definition as Step Functions reads it (the `Fn::Join` lines joined).
fn definition_json(props: &Value) -> Value {
    if let Some(d) = props.get("Definition") {
        return d.clone();
    }
    let text = &props["DefinitionString"];
    let joined = text["Fn::Join"][1].as_array().map(|parts| {
        parts
            .iter()
            .map(|p| {
                p.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| p.to_string())
            })
            .collect::<Vec<_>>()
            .join(text["Fn::Join"][0].as_str().unwrap_or_default())
    });
    match joined.or_else(|| text.as_str().map(str::to_string)) {
        Some(t) => serde_json::from_str(&t).unwrap_or(Value::String(t)),
        None => text.clone(),
    }
}

/// The IAM actions a role's inline policies allow.
fn role_actions(template: &Value, role: &str) -> BTreeSet<String> {
    let mut actions = BTreeSet::new();
    for policy in template["Resources"][role]["Properties"]["Policies"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let statements = &policy["PolicyDocument"]["Statement"];
        let statements = match statements {
            Value::Array(list) => list.clone(),
            other => vec![other.clone()],
        };
        for s in statements {
            match &s["Action"] {
                Value::String(a) => {
                    actions.insert(a.clone());
                }
                Value::Array(list) => {
                    actions.extend(list.iter().filter_map(|a| a.as_str().map(str::to_string)))
                }
                _ => {}
            }
        }
    }
    actions
}

/// What the instrumentation of one state machine amounts to, after SAM.
fn state_machine_facts(template: &Value, id: &str) -> Value {
    let props = &template["Resources"][id]["Properties"];
    let tags: Map<String, Value> = props["Tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (t["Key"].as_str().unwrap().to_string(), t["Value"].clone()))
        .collect();
    let role = role_id(&props["RoleArn"]).map(|r| role_actions(template, r));
    json!({
        "logging": props["LoggingConfiguration"],
        "tags": tags,
        "definition": definition_json(props),
        "role_actions": role,
    })
}

fn log_resources(template: &Value) -> Map<String, Value> {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| {
            matches!(
                r["Type"].as_str(),
                Some("AWS::Logs::LogGroup" | "AWS::Logs::SubscriptionFilter")
            )
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[test]
#[ignore = "needs aws-sam-translator from .venv: run by scripts/test"]
fn sam_state_machines_match_translated_ones() {
    let inputs: Vec<(PathBuf, Value)> = common::corpus_files("input")
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let (v, _) = template::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, v)
        })
        .filter(|(_, v)| common::has_type(v, &[SAM_STATE_MACHINE]))
        .collect();
    assert_eq!(inputs.len(), 64, "corpus inputs with a SAM state machine");
    let scratch = tempfile::tempdir().unwrap();
    let (originals, instrumented) = (scratch.path().join("sam"), scratch.path().join("sam-dd"));
    std::fs::create_dir_all(&originals).unwrap();
    std::fs::create_dir_all(&instrumented).unwrap();
    let mut names = Vec::new();
    for (path, template) in &inputs {
        let name = stem(path);
        assert_definitions_round_trip(&name, template);
        let mut fragment = template.clone();
        fragment.as_object_mut().unwrap().shift_remove("Transform");
        let req = request(fragment, state_machine_params());
        let out = run(&req);
        assert!(
            !out.report.has_errors(),
            "{name}: {:?}",
            out.report.diagnostics
        );
        assert_idempotent(&name, &req, &out.fragment);
        let sam = dry_run::finish(template, out.fragment, dry_run::DEFAULT_TRANSFORM_NAME);
        common::write_json(&originals.join(format!("{name}.json")), template);
        common::write_json(&instrumented.join(format!("{name}.json")), &sam);
        names.push(name);
    }
    // Every one, those whose role is a plain ARN outside the template too.
    assert_eq!(names.len(), 64);
    let translate = |dir: &Path| -> PathBuf {
        let out = dir.with_extension("translated");
        let files: Vec<PathBuf> = names
            .iter()
            .map(|n| dir.join(format!("{n}.json")))
            .collect();
        let mut args: Vec<&Path> = vec![out.as_path()];
        args.extend(files.iter().map(PathBuf::as_path));
        common::run_py("sam_translate.py", &args);
        out
    };
    let (plain, with_dd) = (translate(&originals), translate(&instrumented));
    for name in &names {
        let translated = common::read_json(&plain.join(format!("{name}.json")));
        let sam_level = common::read_json(&with_dd.join(format!("{name}.json")));
        let cfn_level = run(&request(translated.clone(), state_machine_params()));
        assert!(
            !cfn_level.report.has_errors(),
            "{name}: {:?}",
            cfn_level.report.diagnostics
        );
        for id in ids_of_types(&translated, &[STATE_MACHINE]) {
            assert_eq!(
                state_machine_facts(&sam_level, &id),
                state_machine_facts(&cfn_level.fragment, &id),
                "{name}: {id} instrumented as SAM differs from {id} instrumented after SAM"
            );
        }
        assert_eq!(
            log_resources(&sam_level),
            log_resources(&cfn_level.fragment),
            "{name}: log groups or filters differ"
        );
    }
}
