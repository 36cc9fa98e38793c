//! Shared by the Step Functions and Forwarder tests: running fixtures,
//! rendering what changed for snapshots, and checking the invariants every
//! transform must keep (untouched resources, idempotence), and an
//! independent reading of rewritten state machine definitions.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use dd_serverless_macro::dry_run::{self, DryRunOptions};
use dd_serverless_macro::internals::diagnostic_summary;
use dd_serverless_macro::internals::report_json;
use dd_serverless_macro::report::{Change, Report};
use dd_serverless_macro::template::{self, Format};
use dd_serverless_macro::{MacroEnvironment, MacroRequest, Transformed, transform};
use serde_json::{Map, Value, json};

/// The directory of a fixture set (`fixtures/stepfn`...).
pub fn fixture_dir(set: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(set)
}

/// The names (without extension) of every fixture of a set, sorted.
pub fn fixture_names(set: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir(set))
        .expect("fixture directory")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "json"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The macro event for a fixture, with the parameters of its
/// `DatadogServerless` Transform entry, as the dry run builds it.
pub fn request(set: &str, name: &str) -> MacroRequest {
    let dir = fixture_dir(set);
    let path = ["yaml", "json"]
        .iter()
        .map(|ext| dir.join(format!("{name}.{ext}")))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("no fixture {set}/{name}"));
    let text = std::fs::read_to_string(&path).unwrap();
    let (template, _) = template::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let options = DryRunOptions {
        transform_name: dry_run::DEFAULT_TRANSFORM_NAME.into(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        stack_name: "fixture".into(),
        ..Default::default()
    };
    dry_run::prepare(&template, &options)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .request
}

/// Runs the whole transform on a request.
pub fn run(request: &MacroRequest) -> Transformed {
    transform(request, &MacroEnvironment::default())
}

/// The same request with another fragment.
pub fn with_fragment(request: &MacroRequest, fragment: Value) -> MacroRequest {
    MacroRequest {
        fragment,
        ..request.clone()
    }
}

fn resources(template: &Value) -> &Map<String, Value> {
    template["Resources"].as_object().expect("Resources")
}

/// What a snapshot shows: the diagnostics, the report's changes, and the
/// resources that changed or were added (untouched ones are checked by
/// [`assert_untouched`], not shown).
pub fn render(input: &Value, output: &Value, report: &Report) -> String {
    let mut out = String::new();
    out.push_str("diagnostics:\n");
    for d in &report.diagnostics {
        out.push_str(&format!(
            "  - {} [{}] {}\n",
            d.severity.as_str(),
            d.resource.as_deref().unwrap_or("-"),
            d.message
        ));
    }
    out.push_str("changes:\n");
    for r in &report.resources {
        out.push_str(&format!("  {} ({}):\n", r.logical_id, r.resource_type));
        for c in &r.changes {
            out.push_str(&format!("    - {}\n", report_json::change_value(c)));
        }
    }
    if report.has_errors() {
        out.push_str("(the transform failed: no output)\n");
        return out;
    }
    let before = resources(input);
    let changed: Map<String, Value> = resources(output)
        .iter()
        .filter(|(id, r)| before.get(*id) != Some(r))
        .map(|(id, r)| (id.clone(), r.clone()))
        .collect();
    out.push_str("changed or added resources:\n");
    out.push_str(&template::to_string(
        &json!({"Resources": changed}),
        Format::Yaml,
    ));
    out
}

/// The processed template's `Metadata` is the input's, with only the
/// entry `DatadogServerless` set: the macro's version and every warning of
/// the report, one line each naming its resource, when there are warnings;
/// none otherwise.
pub fn assert_processed_metadata(name: &str, input: &Value, output: &Value, report: &Report) {
    let without_entry = |template: &Value| {
        let mut metadata = template.get("Metadata").cloned().unwrap_or(json!({}));
        let entry = metadata
            .as_object_mut()
            .and_then(|m| m.shift_remove("DatadogServerless"));
        (metadata, entry)
    };
    let (before, _) = without_entry(input);
    let (after, entry) = without_entry(output);
    assert_eq!(
        after, before,
        "{name}: Metadata changed beyond DatadogServerless"
    );
    // A `${...}` quoted from the template is written as Fn::Sub writes a
    // literal one, `${!...}`.
    let literal = |line: String| {
        line.replace("${!", "\0")
            .replace("${", "${!")
            .replace('\0', "${!")
    };
    let warnings: Vec<String> = report
        .warnings()
        .map(|w| literal(diagnostic_summary(w)))
        .collect();
    let expected = (!warnings.is_empty()).then(
        || json!({"Version": format!("v{}", dd_serverless_macro::VERSION), "Warnings": warnings}),
    );
    assert_eq!(entry, expected, "{name}: Metadata.DatadogServerless");
}

/// Every section other than `Resources` is unchanged; every resource the
/// report does not name is byte for byte the same; the input's resources
/// keep their order, new ones come after.
pub fn assert_untouched(name: &str, input: &Value, output: &Value, report: &Report) {
    let (Value::Object(i), Value::Object(o)) = (input, output) else {
        panic!("{name}: templates are objects")
    };
    for (key, value) in i {
        if key != "Resources" && key != "Metadata" {
            assert_eq!(o.get(key), Some(value), "{name}: section {key} changed");
        }
    }
    let mut sections: Vec<&String> = i.keys().collect();
    let metadata = "Metadata".to_string();
    if !i.contains_key("Metadata") && o.contains_key("Metadata") {
        sections.push(&metadata);
    }
    assert_eq!(
        sections,
        o.keys().collect::<Vec<_>>(),
        "{name}: sections added, removed or reordered"
    );
    assert_processed_metadata(name, input, output, report);
    let named = |id: &str| report.resources.iter().any(|r| r.logical_id == id);
    let before = resources(input);
    let after = resources(output);
    for (id, resource) in before {
        let now = after
            .get(id)
            .unwrap_or_else(|| panic!("{name}: {id} removed"));
        if !named(id) {
            assert_eq!(
                serde_json::to_string(now).unwrap(),
                serde_json::to_string(resource).unwrap(),
                "{name}: {id} changed but the report does not say so"
            );
        }
    }
    let order: Vec<&String> = after.keys().take(before.len()).collect();
    assert_eq!(
        order,
        before.keys().collect::<Vec<_>>(),
        "{name}: resource order changed"
    );
    for id in after.keys().skip(before.len()) {
        assert!(named(id), "{name}: {id} added but not reported");
    }
}

/// Runs the transform on its own output: nothing may change.
pub fn assert_idempotent(name: &str, request: &MacroRequest, output: &Value) {
    let again = run(&with_fragment(request, output.clone()));
    assert!(
        !again.report.has_errors(),
        "{name}: second run failed: {:?}",
        again.report.diagnostics
    );
    assert_eq!(
        &again.fragment, output,
        "{name}: second run changed the template"
    );
    let changes: Vec<_> = again
        .report
        .resources
        .iter()
        .flat_map(|r| r.changes.iter().map(move |c| (&r.logical_id, c)))
        .filter(|(_, c)| !matches!(c, Change::Skipped { .. } | Change::EnvKept { .. }))
        .collect();
    assert!(
        changes.is_empty(),
        "{name}: second run reported changes: {changes:?}"
    );
}

/// The name the stack would give each log group `template` declares: its
/// `LogGroupName` evaluated, or (none given) what a `Ref` to it reads as.
fn log_group_names(template: &Value) -> Vec<(String, String)> {
    resources(template)
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Logs::LogGroup")
        .map(|(id, r)| {
            let name = match r["Properties"].get("LogGroupName") {
                Some(name) => resolve_text(name, template).unwrap_or_default(),
                None => resolve_text(&json!({"Ref": id}), template).unwrap_or_default(),
            };
            (id.clone(), name)
        })
        .collect()
}

/// Every subscription filter `output` has and `input` had not sends a log
/// group `output` declares, or one of `existing` (groups outside the
/// template, by name), as the stack evaluates its name; every permission
/// added is for one of those groups. Returns how many filters were added.
/// Names are evaluated here, without the macro's own code.
pub fn assert_filters_have_groups(
    name: &str,
    input: &Value,
    output: &Value,
    existing: &[String],
) -> usize {
    let before = resources(input);
    let groups = log_group_names(output);
    let known =
        |group: &str| groups.iter().any(|(_, n)| n == group) || existing.iter().any(|e| e == group);
    let mut filters = 0;
    for (id, r) in resources(output)
        .iter()
        .filter(|(id, _)| !before.contains_key(*id))
    {
        match r["Type"].as_str() {
            Some("AWS::Logs::SubscriptionFilter") => {
                filters += 1;
                let group = resolve_text(&r["Properties"]["LogGroupName"], output)
                    .unwrap_or_else(|| panic!("{name}: {id} has an unreadable LogGroupName"));
                assert!(
                    known(&group),
                    "{name}: filter {id} sends {group}, which is neither a log group of the template nor one named as existing ({existing:?})"
                );
            }
            Some("AWS::Lambda::Permission") => {
                let arn = &r["Properties"]["SourceArn"];
                let declared = match &arn["Fn::GetAtt"] {
                    Value::Array(parts) => parts[0].as_str(),
                    _ => None,
                };
                match declared {
                    Some(group) => assert!(
                        groups.iter().any(|(g, _)| g == group),
                        "{name}: permission {id} is for {group}, not a log group of the template"
                    ),
                    None => {
                        let text = resolve_text(arn, output).unwrap_or_default();
                        let group = text
                            .split_once(":log-group:")
                            .and_then(|(_, g)| g.strip_suffix(":*"))
                            .unwrap_or_else(|| {
                                panic!("{name}: permission {id}'s SourceArn {text}")
                            });
                        assert!(known(group), "{name}: permission {id} is for {group}");
                    }
                }
            }
            _ => {}
        }
    }
    filters
}

// ---------------------------------------------------------------------------
// Reading definitions as CloudFormation and Step Functions would, without the
// macro's own code: substitute, join, parse.

/// What a `${Name}` stands for, as text.
fn substitute(name: &str, vars: Option<&Map<String, Value>>, template: &Value) -> String {
    if let Some(value) = vars.and_then(|v| v.get(name)) {
        return match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => resolve_text(other, template).unwrap_or_else(|| format!("resolved-{name}")),
        };
    }
    match name {
        "AWS::Partition" => "aws".into(),
        "AWS::Region" => "us-east-1".into(),
        "AWS::AccountId" => "123456789012".into(),
        _ => match name.split_once('.') {
            Some((id, "Arn")) => arn_of(id, template),
            _ => format!("resolved-{name}"),
        },
    }
}

fn arn_of(id: &str, template: &Value) -> String {
    match template["Resources"][id]["Type"].as_str() {
        Some("AWS::Lambda::Function" | "AWS::Serverless::Function") => {
            format!("arn:aws:lambda:us-east-1:123456789012:function:{id}")
        }
        _ => format!("arn:aws:resolved:{id}"),
    }
}

fn sub_text(text: &str, vars: Option<&Map<String, Value>>, template: &Value) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closed ${") + start;
        let name = &rest[start + 2..end];
        match name.strip_prefix('!') {
            Some(literal) => out.push_str(&format!("${{{literal}}}")),
            None => out.push_str(&substitute(name, vars, template)),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The text an expression evaluates to in the fixtures' stack.
fn resolve_text(value: &Value, template: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) if o.len() == 1 => {
            let (k, v) = o.iter().next().unwrap();
            match k.as_str() {
                "Ref" => {
                    let name = v.as_str()?;
                    Some(
                        template["Parameters"][name]["Default"]
                            .as_str()
                            .map(str::to_string)
                            .or_else(|| {
                                template["Parameters"][name]["Default"]
                                    .as_number()
                                    .map(|n| n.to_string())
                            })
                            .unwrap_or_else(|| substitute(name, None, template)),
                    )
                }
                "Fn::GetAtt" => {
                    let id = match v {
                        Value::Array(parts) => parts[0].as_str()?,
                        Value::String(dotted) => dotted.split('.').next()?,
                        _ => return None,
                    };
                    Some(arn_of(id, template))
                }
                "Fn::Sub" => match v {
                    Value::String(s) => Some(sub_text(s, None, template)),
                    Value::Array(parts) => {
                        Some(sub_text(parts[0].as_str()?, parts[1].as_object(), template))
                    }
                    _ => None,
                },
                "Fn::Join" => {
                    let parts = v.as_array()?;
                    let separator = parts[0].as_str()?;
                    let items: Option<Vec<String>> = parts[1]
                        .as_array()?
                        .iter()
                        .map(|p| resolve_text(p, template))
                        .collect();
                    Some(items?.join(separator))
                }
                _ => Some("resolved".into()),
            }
        }
        _ => None,
    }
}

/// A state machine's definition as Step Functions receives it: the template's
/// intrinsics evaluated, then `DefinitionSubstitutions` applied.
pub fn deployed_definition(properties: &Value, template: &Value) -> Option<Value> {
    if let Some(d) = properties.get("Definition") {
        return Some(d.clone());
    }
    let text = resolve_text(properties.get("DefinitionString")?, template)?;
    let substitutions = properties
        .get("DefinitionSubstitutions")
        .and_then(Value::as_object);
    let text = if substitutions.is_some() {
        sub_text(&text, substitutions, template)
    } else {
        text
    };
    serde_json::from_str(&text).ok()
}

/// The context is where SPEC §8 says in every state that calls a Lambda
/// function or a state machine, unless a warning says the state was left
/// alone. Returns how many states were checked.
pub fn assert_context_injected(name: &str, output: &Value, report: &Report) -> usize {
    let mut checked = 0;
    for (id, resource) in resources(output) {
        let ty = resource["Type"].as_str().unwrap_or_default();
        if ty != "AWS::StepFunctions::StateMachine" && ty != "AWS::Serverless::StateMachine" {
            continue;
        }
        let props = &resource["Properties"];
        let Some(definition) = deployed_definition(props, output) else {
            continue;
        };
        let subs = props
            .get("DefinitionSubstitutions")
            .and_then(Value::as_object);
        let warned = |state: &str| {
            report.warnings().any(|w| {
                w.resource.as_deref() == Some(id.as_str())
                    && w.message.contains(&format!("{state}\" was left alone"))
            })
        };
        let mut states = Vec::new();
        collect_states(&definition, &mut states);
        for (state_name, state) in states {
            let resource_text = match &state["Resource"] {
                Value::String(s) => sub_text(s, subs, output),
                other => match resolve_text(other, output) {
                    Some(t) => t,
                    None => continue,
                },
            };
            let lambda = resource_text.contains(":states:::lambda:invoke")
                || (resource_text.starts_with("arn:aws") && resource_text.contains(":lambda:"));
            let nested = resource_text.contains(":states:::states:startExecution");
            if !lambda && !nested {
                continue;
            }
            if warned(&state_name) {
                continue;
            }
            checked += 1;
            let p = &state["Parameters"];
            let ok = if lambda {
                let whole = p["Payload.$"].as_str();
                whole == Some("$$['Execution', 'State', 'StateMachine']")
                    || whole == Some("States.JsonMerge($$, $, false)")
                    || (p["Payload"]["Execution.$"] == "$$.Execution"
                        && p["Payload"]["State.$"] == "$$.State"
                        && p["Payload"]["StateMachine.$"] == "$$.StateMachine")
            } else {
                let context = p["Input"]["CONTEXT.$"].as_str();
                context == Some("$$['Execution', 'State', 'StateMachine']")
                    || context == Some("States.JsonMerge($$, $, false)")
            };
            assert!(
                ok,
                "{name}: {id} state {state_name} ({resource_text}) lacks the trace context: {p}"
            );
        }
    }
    checked
}

/// Every state of a definition, nested ones too, with its name.
fn collect_states(machine: &Value, out: &mut Vec<(String, Value)>) {
    let Some(states) = machine["States"].as_object() else {
        return;
    };
    for (name, state) in states {
        out.push((name.clone(), state.clone()));
        if let Some(branches) = state["Branches"].as_array() {
            for b in branches {
                collect_states(b, out);
            }
        }
        for key in ["ItemProcessor", "Iterator"] {
            if state.get(key).is_some() {
                collect_states(&state[key], out);
            }
        }
    }
}

/// One test per fixture of the test file's `SET`, each calling its `check`,
/// and a test that every fixture of the set is listed.
#[macro_export]
macro_rules! fixtures {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() { check(stringify!($name)); })*

        #[test]
        fn every_fixture_has_a_test() {
            let mut listed = vec![$(stringify!($name).to_string()),*];
            listed.sort();
            assert_eq!(fixture_names(SET), listed);
        }
    };
}
