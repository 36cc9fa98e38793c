//! Trace merging: the states that invoke a Lambda function or start another
//! state machine pass Step Functions' context object downstream, so that
//! Datadog can link the traces (SPEC §8 step 4).
//!
//! Every state is visited, nested ones too (`Parallel` branches, `Map`
//! `Iterator` / `ItemProcessor`). A state is recognised by its `Resource`
//! in any partition (`arn:aws:`, `arn:aws-us-gov:`, `arn:aws-cn:`... and
//! `arn:${AWS::Partition}:` in `Fn::Sub` definitions). What was injected
//! once is recognised as done, so a second run changes nothing.

use serde_json::{Map, Value, json};

use crate::template::intrinsics::single;

/// The context for a Lambda function when it has no payload of its own.
pub const CONTEXT_ONLY: &str = "$$['Execution', 'State', 'StateMachine']";
/// The context merged into the state's input.
pub const MERGED_WITH_INPUT: &str = "States.JsonMerge($$, $, false)";
/// The key a nested state machine's input gets the context under.
const CONTEXT_KEY: &str = "CONTEXT";
/// Keys of the context object inside a Lambda payload, with their paths.
const PAYLOAD_CONTEXT: [(&str, &str); 3] = [
    ("Execution.$", "$$.Execution"),
    ("State.$", "$$.State"),
    ("StateMachine.$", "$$.StateMachine"),
];

/// What a `Task` state calls, as far as trace merging is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callee {
    /// `arn:PARTITION:states:::lambda:invoke` (and `.waitForTaskToken`).
    LambdaInvoke,
    /// `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME`.
    LambdaArn,
    /// `arn:PARTITION:states:::states:startExecution` (and `.sync`, ...).
    StartExecution,
}

impl Callee {
    /// What is downstream, for messages.
    pub fn downstream(self) -> &'static str {
        match self {
            Callee::LambdaInvoke | Callee::LambdaArn => "Lambda function",
            Callee::StartExecution => "state machine",
        }
    }
}

/// Splits an ARN at `:`, keeping `${...}` (which may hold `::`) whole.
fn arn_fields(arn: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut depth = 0usize;
    let bytes = arn.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 => {
                fields.push(&arn[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    fields.push(&arn[start..]);
    fields
}

/// What a state's `Resource` calls, if it is one the context is injected for.
pub fn classify(resource: &str) -> Option<Callee> {
    let fields = arn_fields(resource);
    let [arn, partition, service, region, account, rest @ ..] = fields.as_slice() else {
        return None;
    };
    let partition_ok = partition.starts_with("aws") || *partition == "${AWS::Partition}";
    if *arn != "arn" || !partition_ok {
        return None;
    }
    let rest = rest.join(":");
    match *service {
        "states" if region.is_empty() && account.is_empty() => {
            if rest == "lambda:invoke" || rest.starts_with("lambda:invoke.") {
                Some(Callee::LambdaInvoke)
            } else if rest == "states:startExecution" || rest.starts_with("states:startExecution.")
            {
                Some(Callee::StartExecution)
            } else {
                None
            }
        }
        "lambda" if rest.starts_with("function:") => Some(Callee::LambdaArn),
        _ => None,
    }
}

/// The result of looking at one state.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The context was injected; says what was written.
    Injected(String),
    /// The context is there already.
    AlreadyDone,
    /// Left alone; says why.
    LeftAlone(String),
}

/// One state that calls a Lambda function or a state machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Visited {
    /// The state's name, with the names of the states it is nested in
    /// (`Fan out/Branches[0]/Invoke`).
    pub path: String,
    /// What it calls.
    pub callee: Callee,
    /// What was done.
    pub outcome: Outcome,
}

/// Recognises what a state's `Resource` calls, also when it is written
/// through the template: `${Name}` replaced by `DefinitionSubstitutions`,
/// `Fn::Sub`, or the `Arn` of a function of the template.
#[derive(Debug, Clone, Default)]
pub struct Resolver<'a> {
    /// The state machine's `DefinitionSubstitutions`.
    pub substitutions: Option<&'a Map<String, Value>>,
    /// Logical ids of the template's Lambda functions.
    pub functions: Vec<String>,
    /// Markers of intrinsic parts inside the definition's strings, with
    /// their `Fn::Sub` spelling.
    pub part_spellings: Vec<(String, String)>,
}

impl Resolver<'_> {
    /// What a `Resource` value calls, if the context is injected for it.
    pub fn callee(&self, resource: &Value) -> Option<Callee> {
        self.callee_within(resource, true)
    }

    /// `substitute`: whether `${Name}` may still be looked up in the
    /// substitutions (once only: a substitution naming itself cannot loop).
    fn callee_within(&self, resource: &Value, substitute: bool) -> Option<Callee> {
        if let Some((id, "Arn")) = crate::template::intrinsics::get_att(resource) {
            return self.function_arn(id);
        }
        let mut text = resource_text(Some(resource))?.to_string();
        for (marker, spelling) in &self.part_spellings {
            text = text.replace(marker.as_str(), spelling);
        }
        let text = text.as_str();
        if let Some(callee) = classify(text) {
            return Some(callee);
        }
        let name = text.strip_prefix("${")?.strip_suffix('}')?;
        match self
            .substitutions
            .filter(|_| substitute)
            .and_then(|s| s.get(name))
        {
            Some(value) => self.callee_within(value, false),
            None => match name.split_once('.') {
                Some((id, "Arn")) => self.function_arn(id),
                _ => None,
            },
        }
    }

    fn function_arn(&self, id: &str) -> Option<Callee> {
        self.functions
            .iter()
            .any(|f| f == id)
            .then_some(Callee::LambdaArn)
    }
}

/// Injects the context into every state of the definition that needs it.
pub fn inject(definition: &mut Value, resolver: &Resolver<'_>) -> Vec<Visited> {
    let mut visited = Vec::new();
    walk(definition, "", false, resolver, &mut visited);
    visited
}

/// Visits the states of a definition, a `Parallel` branch or a `Map` processor.
fn walk(
    machine: &mut Value,
    prefix: &str,
    inherited_jsonata: bool,
    resolver: &Resolver<'_>,
    out: &mut Vec<Visited>,
) {
    let jsonata = query_language(machine).unwrap_or(inherited_jsonata);
    let Some(states) = machine.get_mut("States").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, state) in states.iter_mut() {
        let path = format!("{prefix}{name}");
        let state_jsonata = query_language(state).unwrap_or(jsonata);
        let Some(state) = state.as_object_mut() else {
            continue;
        };
        match state.get("Type").and_then(Value::as_str) {
            Some("Parallel") => {
                if let Some(Value::Array(branches)) = state.get_mut("Branches") {
                    for (i, branch) in branches.iter_mut().enumerate() {
                        walk(
                            branch,
                            &format!("{path}/Branches[{i}]/"),
                            state_jsonata,
                            resolver,
                            out,
                        );
                    }
                }
            }
            Some("Map") => {
                for key in ["ItemProcessor", "Iterator"] {
                    if let Some(processor) = state.get_mut(key) {
                        walk(
                            processor,
                            &format!("{path}/{key}/"),
                            state_jsonata,
                            resolver,
                            out,
                        );
                    }
                }
            }
            _ => {
                let Some(callee) = state.get("Resource").and_then(|r| resolver.callee(r)) else {
                    continue;
                };
                let outcome = if state_jsonata {
                    Outcome::LeftAlone(
                        "it uses JSONata, for which the macro does not inject the context".into(),
                    )
                } else {
                    match callee {
                        Callee::LambdaInvoke | Callee::LambdaArn => lambda_payload(state),
                        Callee::StartExecution => execution_input(state),
                    }
                };
                out.push(Visited {
                    path,
                    callee,
                    outcome,
                });
            }
        }
    }
}

/// `Some(true)` for `QueryLanguage: JSONata`, `Some(false)` for `JSONPath`.
fn query_language(value: &Value) -> Option<bool> {
    match value.get("QueryLanguage")?.as_str()? {
        "JSONata" => Some(true),
        "JSONPath" => Some(false),
        _ => None,
    }
}

/// The text of a `Resource`: a string, or the string of an `Fn::Sub` (SAM
/// definitions may hold intrinsics).
fn resource_text(resource: Option<&Value>) -> Option<&str> {
    let resource = resource?;
    resource
        .as_str()
        .or_else(|| match single(resource, "Fn::Sub")? {
            Value::String(s) => Some(s.as_str()),
            Value::Array(parts) => parts.first()?.as_str(),
            _ => None,
        })
}

/// A JSONPath expression, with spaces ignored, compared to one we write.
fn same_expression(value: Option<&Value>, expected: &str) -> bool {
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    value
        .and_then(Value::as_str)
        .is_some_and(|v| squeeze(v) == squeeze(expected))
}

/// The `Parameters` object of a state, or why there is none to edit.
fn parameters(state: &mut Map<String, Value>) -> Result<&mut Map<String, Value>, Outcome> {
    match state.get_mut("Parameters") {
        Some(Value::Object(p)) => Ok(p),
        Some(_) => Err(Outcome::LeftAlone(
            "its `Parameters` is not an object".into(),
        )),
        None => Err(Outcome::LeftAlone(
            "it has no `Parameters`, so its input is passed as is".into(),
        )),
    }
}

/// SPEC §8: the Lambda payload rules.
///
/// | `Parameters` has | becomes |
/// | --- | --- |
/// | no `Payload` nor `Payload.$` | `"Payload.$": "$$['Execution', 'State', 'StateMachine']"` |
/// | `"Payload.$": "$"` | `"Payload.$": "States.JsonMerge($$, $, false)"` |
/// | an object `Payload` without `Execution`/`State`/`StateMachine` | those three added as `.$` paths |
/// | what the rules above write | unchanged (done) |
/// | anything else | unchanged, with a warning |
fn lambda_payload(state: &mut Map<String, Value>) -> Outcome {
    let parameters = match parameters(state) {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    if let Some(payload) = parameters.get_mut("Payload") {
        let Some(payload) = payload.as_object_mut() else {
            return Outcome::LeftAlone("its `Payload` is not an object".into());
        };
        if PAYLOAD_CONTEXT
            .iter()
            .all(|(k, _)| payload.contains_key(*k))
        {
            return Outcome::AlreadyDone;
        }
        let own = ["Execution", "State", "StateMachine"]
            .iter()
            .any(|k| payload.contains_key(*k) || payload.contains_key(&format!("{k}.$")));
        if own {
            return Outcome::LeftAlone(
                "its `Payload` has `Execution`, `State` or `StateMachine` keys of its own".into(),
            );
        }
        for (key, path) in PAYLOAD_CONTEXT {
            payload.insert(key.into(), json!(path));
        }
        return Outcome::Injected(
            "Parameters.Payload: added Execution.$, State.$ and StateMachine.$".into(),
        );
    }
    if let Some(current) = parameters.get("Payload.$") {
        if same_expression(Some(current), "$") {
            parameters.insert("Payload.$".into(), json!(MERGED_WITH_INPUT));
            return Outcome::Injected(format!(
                "Parameters.Payload.$: \"$\" -> \"{MERGED_WITH_INPUT}\""
            ));
        }
        if same_expression(Some(current), MERGED_WITH_INPUT)
            || same_expression(Some(current), CONTEXT_ONLY)
        {
            return Outcome::AlreadyDone;
        }
        return Outcome::LeftAlone("it has a custom `Payload.$`".into());
    }
    parameters.insert("Payload.$".into(), json!(CONTEXT_ONLY));
    Outcome::Injected(format!("Parameters.Payload.$ = \"{CONTEXT_ONLY}\""))
}

/// SPEC §8: the nested state machine input rules.
///
/// | `Parameters` has | becomes |
/// | --- | --- |
/// | no `Input` nor `Input.$` | `"Input": {"CONTEXT.$": "States.JsonMerge($$, $, false)"}` |
/// | an object `Input` without `CONTEXT`/`CONTEXT.$` | `"CONTEXT.$": "$$['Execution', 'State', 'StateMachine']"` added |
/// | what the rules above write | unchanged (done) |
/// | anything else | unchanged, with a warning |
fn execution_input(state: &mut Map<String, Value>) -> Outcome {
    let parameters = match parameters(state) {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    let context_path = format!("{CONTEXT_KEY}.$");
    if !parameters.contains_key("Input") && parameters.contains_key("Input.$") {
        return Outcome::LeftAlone("its input is given by `Input.$`".into());
    }
    match parameters.get_mut("Input") {
        None => {
            parameters.insert("Input".into(), json!({ context_path: MERGED_WITH_INPUT }));
            Outcome::Injected(format!(
                "Parameters.Input = {{\"{CONTEXT_KEY}.$\": \"{MERGED_WITH_INPUT}\"}}"
            ))
        }
        Some(Value::Object(input)) => {
            let current = input.get(&context_path);
            if same_expression(current, MERGED_WITH_INPUT) || same_expression(current, CONTEXT_ONLY)
            {
                Outcome::AlreadyDone
            } else if current.is_some() || input.contains_key(CONTEXT_KEY) {
                Outcome::LeftAlone(format!("its `Input` has a `{CONTEXT_KEY}` key of its own"))
            } else {
                input.insert(context_path, json!(CONTEXT_ONLY));
                Outcome::Injected(format!(
                    "Parameters.Input.{CONTEXT_KEY}.$ = \"{CONTEXT_ONLY}\""
                ))
            }
        }
        Some(_) => Outcome::LeftAlone("its `Input` is not an object".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_in_every_partition() {
        for (resource, want) in [
            ("arn:aws:states:::lambda:invoke", Some(Callee::LambdaInvoke)),
            (
                "arn:aws-us-gov:states:::lambda:invoke",
                Some(Callee::LambdaInvoke),
            ),
            (
                "arn:aws-cn:states:::lambda:invoke.waitForTaskToken",
                Some(Callee::LambdaInvoke),
            ),
            (
                "arn:${AWS::Partition}:states:::lambda:invoke",
                Some(Callee::LambdaInvoke),
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:f",
                Some(Callee::LambdaArn),
            ),
            (
                "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:live",
                Some(Callee::LambdaArn),
            ),
            (
                "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:f",
                Some(Callee::LambdaArn),
            ),
            (
                "arn:aws:states:::states:startExecution",
                Some(Callee::StartExecution),
            ),
            (
                "arn:aws:states:::states:startExecution.sync:2",
                Some(Callee::StartExecution),
            ),
            ("arn:aws:states:::sqs:sendMessage", None),
            ("arn:aws:states:::lambda:invokeSomething", None),
            ("arn:aws:lambda:us-east-1:123456789012:layer:l:1", None),
            ("${MyFunctionArn}", None),
            ("arn:other:states:::lambda:invoke", None),
        ] {
            assert_eq!(classify(resource), want, "{resource}");
        }
    }

    fn task(resource: &str, parameters: Option<Value>) -> Value {
        let mut state = json!({"Type": "Task", "Resource": resource, "End": true});
        if let Some(p) = parameters {
            state["Parameters"] = p;
        }
        json!({"StartAt": "S", "States": {"S": state}})
    }

    fn run(definition: &mut Value) -> Outcome {
        let mut v = inject(definition, &Resolver::default());
        assert_eq!(v.len(), 1);
        v.remove(0).outcome
    }

    const INVOKE: &str = "arn:aws:states:::lambda:invoke";
    const START: &str = "arn:aws:states:::states:startExecution";

    #[test]
    fn lambda_payload_rules_and_idempotence() {
        for (params, want) in [
            (
                json!({"FunctionName": "f"}),
                json!({"FunctionName": "f", "Payload.$": CONTEXT_ONLY}),
            ),
            (
                json!({"Payload.$": "$"}),
                json!({"Payload.$": MERGED_WITH_INPUT}),
            ),
            (
                json!({"Payload": {"a": 1}}),
                json!({"Payload": {"a": 1, "Execution.$": "$$.Execution", "State.$": "$$.State", "StateMachine.$": "$$.StateMachine"}}),
            ),
        ] {
            let mut d = task(INVOKE, Some(params));
            assert!(matches!(run(&mut d), Outcome::Injected(_)));
            assert_eq!(d["States"]["S"]["Parameters"], want);
            let before = d.clone();
            assert_eq!(run(&mut d), Outcome::AlreadyDone);
            assert_eq!(d, before);
        }
    }

    #[test]
    fn lambda_payloads_left_alone() {
        for params in [
            Some(json!({"Payload.$": "$.detail"})),
            Some(json!({"Payload": "text"})),
            Some(json!({"Payload": {"Execution": "mine"}})),
            Some(json!({"Payload": {"State.$": "$$.State"}})),
            Some(json!("not an object")),
            None,
        ] {
            let mut d = task(INVOKE, params);
            let before = d.clone();
            assert!(matches!(run(&mut d), Outcome::LeftAlone(_)));
            assert_eq!(d, before);
        }
    }

    #[test]
    fn execution_input_rules_and_idempotence() {
        for (params, want) in [
            (
                json!({"StateMachineArn": "a"}),
                json!({"StateMachineArn": "a", "Input": {"CONTEXT.$": MERGED_WITH_INPUT}}),
            ),
            (
                json!({"Input": {"x": 1}}),
                json!({"Input": {"x": 1, "CONTEXT.$": CONTEXT_ONLY}}),
            ),
        ] {
            let mut d = task(START, Some(params));
            assert!(matches!(run(&mut d), Outcome::Injected(_)));
            assert_eq!(d["States"]["S"]["Parameters"], want);
            assert_eq!(run(&mut d), Outcome::AlreadyDone);
        }
        for params in [
            json!({"Input.$": "$"}),
            json!({"Input": "text"}),
            json!({"Input": {"CONTEXT": 1}}),
            json!({"Input": {"CONTEXT.$": "$.other"}}),
        ] {
            let mut d = task(START, Some(params));
            assert!(matches!(run(&mut d), Outcome::LeftAlone(_)));
        }
    }

    #[test]
    fn nested_states_are_visited() {
        let mut d = json!({"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "a"}, "End": true}}},
                {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": {"StartAt": "B", "States": {
                    "B": {"Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "b"}, "End": true}}}, "End": true}}}
            ], "Next": "L"},
            "L": {"Type": "Map", "Iterator": {"StartAt": "C", "States": {"C": {"Type": "Task", "Resource": START, "Parameters": {}, "End": true}}}, "End": true}
        }});
        let paths: Vec<String> = inject(&mut d, &Resolver::default())
            .into_iter()
            .map(|v| v.path)
            .collect();
        assert_eq!(
            paths,
            [
                "P/Branches[0]/A",
                "P/Branches[1]/M/ItemProcessor/B",
                "L/Iterator/C"
            ]
        );
        assert_eq!(
            d["States"]["P"]["Branches"][1]["States"]["M"]["ItemProcessor"]["States"]["B"]["Parameters"]
                ["Payload.$"],
            json!(CONTEXT_ONLY)
        );
    }

    #[test]
    fn resources_written_through_the_template() {
        let subs = json!({
            "s1": {"Fn::Sub": "arn:${AWS::Partition}:states:::states:startExecution.sync:2"},
            "s2": {"Fn::GetAtt": ["Fn", "Arn"]},
            "s3": {"Fn::GetAtt": ["Queue", "Arn"]},
            "looping": "${looping}",
        });
        let resolver = Resolver {
            substitutions: subs.as_object(),
            functions: vec!["Fn".into()],
            part_spellings: vec![("<0>".into(), "${AWS::Partition}".into())],
        };
        for (resource, want) in [
            (json!("${s1}"), Some(Callee::StartExecution)),
            (json!("${s2}"), Some(Callee::LambdaArn)),
            (json!("${s3}"), None),
            (json!("${Fn.Arn}"), Some(Callee::LambdaArn)),
            (json!({"Fn::GetAtt": "Fn.Arn"}), Some(Callee::LambdaArn)),
            (
                json!({"Fn::Sub": "arn:${AWS::Partition}:states:::lambda:invoke"}),
                Some(Callee::LambdaInvoke),
            ),
            (json!("${unknown}"), None),
            (json!("${looping}"), None),
            (
                json!("arn:<0>:states:::lambda:invoke"),
                Some(Callee::LambdaInvoke),
            ),
        ] {
            assert_eq!(resolver.callee(&resource), want, "{resource}");
        }
    }

    #[test]
    fn jsonata_states_are_left_alone() {
        let mut d = task(INVOKE, Some(json!({"FunctionName": "f"})));
        d["QueryLanguage"] = json!("JSONata");
        assert!(matches!(run(&mut d), Outcome::LeftAlone(_)));
        d["States"]["S"]["QueryLanguage"] = json!("JSONPath");
        assert!(matches!(run(&mut d), Outcome::Injected(_)));
    }
}
