//! The one pipeline ([`answer`]: an event's bytes in, the answer's bytes
//! out, what the deployed macro and `handle-event` run) on every corpus
//! template (the SAM inputs and their translated outputs) and every fixture,
//! with several parameter sets, and on odd events:
//!
//! - one input, one answer: the same event written another way (indented,
//!   or read by serde_json and written back: keys given twice collapsed,
//!   numbers spelt anew) gets the same answer; bytes serde_json cannot read
//!   as a value get a `not valid JSON` failure, whatever part breaks the rule;
//! - a dry run (its request answered with every change in its report) gives
//!   the same fragment or the same error as the event's answer, and the
//!   macro's log line reads the same from either report.

mod common;

use std::path::Path;
use std::time::Duration;

use dd_serverless_macro::internals::{EventIds, RequestSummary, record};
use dd_serverless_macro::{MacroEnvironment, MacroRequest, answer, handle_with_report, template};
use serde_json::{Value, json};

/// Parameter sets exercising every pass: plain; secrets, X-Ray and both
/// Forwarders (log subscriptions, state machines, role grants); a broken one.
fn parameter_sets() -> Vec<Value> {
    vec![
        json!({"apiKey": "0123456789abcdef0123456789abcdef", "service": "svc", "env": "test"}),
        json!({
            "apiKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:dd-AbCdEf",
            "enableXrayTracing": true,
            "forwarderArn": "arn:aws:lambda:us-east-1:123456789012:function:forwarder",
            "stepFunctionForwarderArn": "arn:aws:lambda:us-east-1:123456789012:function:sf-forwarder",
            "tags": "team:a,cost:b",
            "version": "1.2"
        }),
        json!({"site": "nowhere.example"}),
    ]
}

fn event(fragment: &Value, params: &Value) -> Value {
    json!({
        "region": "us-east-1",
        "accountId": "123456789012",
        "transformId": "123456789012::DatadogServerless",
        "requestId": "answers",
        "params": params,
        "templateParameterValues": {},
        "fragment": fragment,
    })
}

/// The answer to `bytes`, parsed, and whether it succeeded.
fn answered(bytes: &[u8]) -> (Value, dd_serverless_macro::Answered) {
    let (out, answered) = answer(bytes, &MacroEnvironment::default());
    let response: Value = serde_json::from_slice(&out).expect("the answer is JSON");
    assert_eq!(answered.success, response["status"] == "success");
    (response, answered)
}

/// The log line's content (its duration aside).
fn summary(success: bool, report: &dd_serverless_macro::Report) -> RequestSummary {
    RequestSummary::new(EventIds::default(), success, report, Duration::ZERO)
}

/// Checks one event (as a value) every way; returns whether it succeeded.
fn check(name: &str, event: &Value) -> bool {
    let compact = serde_json::to_vec(event).unwrap();
    let (response, production) = answered(&compact);
    let (indented, _) = answered(&serde_json::to_vec_pretty(event).unwrap());
    assert_eq!(indented, response, "{name}: written another way");
    let request = MacroRequest::from_value(event.clone()).expect("a macro event");
    let (dry_run, full_report) = handle_with_report(request, &MacroEnvironment::default());
    let dry_run = serde_json::to_value(dry_run).unwrap();
    if dry_run != response {
        let dump = common::scratch_file("answers", &format!("{name}.json"));
        common::write_json(&dump, &json!({"event": response, "dry_run": dry_run}));
        panic!(
            "{name}: the dry run's answer differs (both in {})",
            dump.display()
        );
    }
    assert_eq!(
        summary(production.success, &production.report),
        summary(production.success, &full_report),
        "{name}: the log line"
    );
    production.success
}

fn read_template(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    template::parse(&text).ok().map(|(template, _)| template)
}

#[test]
fn corpus_templates_get_one_answer_whichever_way_they_come() {
    let (mut events, mut successes) = (0, 0);
    for kind in ["input", "output"] {
        for path in common::corpus_files(kind) {
            let name = format!("{kind}-{}", common::stem(&path));
            let template = read_template(&path).unwrap_or_else(|| panic!("{name}"));
            for params in parameter_sets() {
                events += 1;
                successes += usize::from(check(&name, &event(&template, &params)));
            }
        }
    }
    // The comparison is not only between failures.
    assert!(
        successes > events / 2,
        "only {successes} of {events} events succeeded"
    );
}

#[test]
fn fixtures_get_one_answer_whichever_way_they_come() {
    let mut events = 0;
    for dir in ["lambda", "sam", "stepfn", "forwarder", "log_groups"] {
        let dir = common::repo_root().join("fixtures").join(dir);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let template = match path.extension().and_then(|e| e.to_str()) {
                Some("yaml" | "yml" | "json") if !name.ends_with(".options.json") => {
                    read_template(&path)
                }
                _ => None,
            };
            let Some(template) = template else {
                continue;
            };
            for params in parameter_sets() {
                events += 1;
                check(&name, &event(&template, &params));
            }
        }
    }
    assert!(events > 60, "only {events} fixture events");
}

/// Bytes that serde_json reads as a value get the answer of that value
/// written back; bytes it cannot read get its refusal, which names where.
fn one_answer(bytes: &[u8]) {
    let (response, _) = answered(bytes);
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => {
            let (again, _) = answered(&serde_json::to_vec(&value).unwrap());
            assert_eq!(response, again, "{}", String::from_utf8_lossy(bytes));
        }
        Err(e) => {
            let message = response["errorMessage"].as_str().unwrap_or_default();
            assert!(
                message.starts_with("the macro event is not valid JSON: invalid JSON at line")
                    && message.contains(&template::json_error(&e).to_string()),
                "{}: {message}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}

#[test]
fn odd_events_get_one_answer() {
    let events: &[&[u8]] = &[
        b"",
        b"not json",
        b"[]",
        br#"{"fragment": "text"}"#,
        br#"{"fragment": null}"#,
        br#"{"fragment": {"Resources": 1}}"#,
        br#"{"fragment": {"Resources": {"A": "x"}}}"#,
        br#"{"fragment": {"Resources": {"A": {"Type": "AWS::SQS::Queue"}}}, "fragment": {}}"#,
        br#"{"fragment": {"Resources": {"F": {"Type": "AWS::Lambda::Function", "Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "a.b"}}}}, "params": {"apiKey": "k"}}"#,
        br#"{"fragment": {"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": [1]}}}, "params": {"apiKey": "k"}}"#,
        br#"{"fragment": {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"N": 1e2, "S": "\u00e9", "D": {"a": 1, "a": 2}}}}}, "params": {"apiKey": "k"}}"#,
        br#"{"requestId": 5, "fragment": {"Resources": {}}}"#,
        // Rules serde_json applies that a value kept as written must keep
        // too: in a resource no pass reads, in a function, in a section.
        br#"{"fragment": {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"N": 1e400}}}}, "params": {"apiKey": "k"}}"#,
        br#"{"fragment": {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"S": "\ud800"}}}}, "params": {"apiKey": "k"}}"#,
        br#"{"fragment": {"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "a.b", "Timeout": -1e400}}}}, "params": {"apiKey": "k"}}"#,
        br#"{"fragment": {"Mappings": {"M": {"a": "\udc00"}}, "Resources": {}}}"#,
        b"{\"fragment\": {\"Resources\": {\"Q\": {\"Type\": \"AWS::SQS::Queue\", \"Properties\": {\"S\": \"\xff\"}}}}}",
    ];
    for bytes in events {
        one_answer(bytes);
    }
    // Nesting near and past the limit: in a property no pass reads, in a
    // function's property, in a resource's entry, in a section.
    let places = [
        r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"D": DEEP}}}}"#,
        r#"{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "a.b", "Tags": DEEP}}}}"#,
        r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Metadata": DEEP}}}"#,
        r#"{"Mappings": DEEP, "Resources": {}}"#,
    ];
    for place in places {
        for depth in [100, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 300] {
            let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let fragment = place.replace("DEEP", &deep);
            let bytes = format!(r#"{{"params": {{"apiKey": "k"}}, "fragment": {fragment}}}"#);
            one_answer(bytes.as_bytes());
        }
    }
}

/// A dry run on a JSON template and `handle-event` on the same template as
/// an event (its text, as written, the event's fragment; the other fields
/// those the dry run's request has) give the same template or the same
/// errors; the dry run's record of what it added (`record::strip`), which
/// the deployed macro does not write, aside.
#[test]
fn a_dry_run_and_handle_event_agree_on_json_templates() {
    use dd_serverless_macro::dry_run::{self, DEFAULT_TRANSFORM_NAME, DryRunOptions};
    let environment = MacroEnvironment::default();
    let param_sets: [&[(&str, &str)]; 2] = [
        &[
            ("apiKey", "0123456789abcdef0123456789abcdef"),
            ("service", "svc"),
        ],
        &[
            (
                "apiKeySecretArn",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:dd-AbCdEf",
            ),
            ("enableXrayTracing", "true"),
            (
                "forwarderArn",
                "arn:aws:lambda:us-east-1:123456789012:function:forwarder",
            ),
            (
                "stepFunctionForwarderArn",
                "arn:aws:lambda:us-east-1:123456789012:function:sf",
            ),
        ],
    ];
    let mut compared = 0;
    for path in common::corpus_files("output") {
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok((template, template::Format::Json)) = template::parse(&text) else {
            continue;
        };
        if template.get("Transform").is_some() {
            continue;
        }
        for params in param_sets {
            let options = DryRunOptions {
                transform_name: DEFAULT_TRANSFORM_NAME.to_string(),
                params: params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                region: "us-east-1".to_string(),
                account_id: "123456789012".to_string(),
                ..DryRunOptions::default()
            };
            let outcome = dry_run::run(&template, &options, &environment).unwrap();
            let request = dry_run::prepare(&template, &options).unwrap().request;
            let mut head = serde_json::to_value(&request).unwrap();
            head.as_object_mut().unwrap().remove("fragment");
            let head = serde_json::to_string(&head).unwrap();
            let event = format!("{},\"fragment\":{text}}}", &head[..head.len() - 1]);
            let (response, _) = answered(event.as_bytes());
            let name = common::stem(&path);
            match outcome.output {
                Some(mut output) => {
                    // The dry run also records what it added, for
                    // `uninstrument`; the deployed macro does not.
                    record::strip(&mut output);
                    let fragment = response["fragment"].clone();
                    let finished = dry_run::finish(&template, fragment, DEFAULT_TRANSFORM_NAME);
                    assert_eq!(finished, output, "{name}");
                }
                None => {
                    let errors: Vec<&str> = outcome
                        .report
                        .errors()
                        .map(|d| d.message.as_str())
                        .collect();
                    assert_eq!(response["errorMessage"], errors.join("\n"), "{name}");
                }
            }
            compared += 1;
        }
    }
    assert!(compared > 100, "only {compared} JSON templates compared");
}
