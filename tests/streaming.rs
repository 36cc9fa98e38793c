//! The streaming answer to an event's bytes ([`answer_bytes`], what the
//! deployed macro and `handle-event` run) against the general path that
//! builds the whole template ([`handle_bytes`]): over every corpus template
//! (the SAM inputs and their translated outputs) and every fixture, with
//! several parameter sets, both answers are the same JSON.

mod common;

use std::path::Path;
use std::time::Duration;

use dd_serverless_macro::serve::summary::{EventIds, RequestSummary};
use dd_serverless_macro::stream::answer_streamed;
use dd_serverless_macro::{MacroEnvironment, answer_bytes, handle_bytes, template};
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

fn event(fragment: &Value, params: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "region": "us-east-1",
        "accountId": "123456789012",
        "transformId": "123456789012::DatadogServerless",
        "requestId": "streaming",
        "params": params,
        "templateParameterValues": {},
        "fragment": fragment,
    }))
    .unwrap()
}

/// Both answers to one event, parsed (the first by the streaming path
/// whenever it can answer), and whether the streaming path answered.
fn answers(bytes: &[u8]) -> (Value, Value, bool) {
    let environment = MacroEnvironment::default();
    let by_stream = answer_streamed(bytes, &environment, &mut Vec::new())
        .unwrap()
        .is_some();
    let mut out = Vec::new();
    let answered = answer_bytes(bytes, &environment, &mut out).unwrap();
    let streamed: Value = serde_json::from_slice(&out).expect("the streamed answer is JSON");
    assert_eq!(answered.success, streamed["status"] == "success");
    let (general, general_report) = handle_bytes(bytes, &environment);
    // The macro's log line reads the same from the summarised report.
    let summary = |report| {
        RequestSummary::new(
            EventIds::default(),
            answered.success,
            report,
            Duration::ZERO,
        )
    };
    assert_eq!(summary(&answered.report), summary(&general_report));
    (streamed, serde_json::to_value(general).unwrap(), by_stream)
}

/// How many events each path answered.
#[derive(Default)]
struct Tally {
    successes: usize,
    streamed: usize,
    events: usize,
}

fn check(name: &str, fragment: &Value, tally: &mut Tally) {
    for params in parameter_sets() {
        let (streamed, general, by_stream) = answers(&event(fragment, &params));
        if streamed != general {
            let dump = common::scratch_file("streaming", &format!("{name}.json"));
            common::write_json(&dump, &json!({"streamed": streamed, "general": general}));
            panic!(
                "{name} with {params}: the streamed answer differs from the general one (both in {})",
                dump.display()
            );
        }
        tally.events += 1;
        tally.successes += usize::from(streamed["status"] == "success");
        tally.streamed += usize::from(by_stream);
    }
}

fn read_template(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    template::parse(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .0
}

#[test]
fn corpus_answers_are_the_same_both_ways() {
    let mut tally = Tally::default();
    for kind in ["input", "output"] {
        for path in common::corpus_files(kind) {
            let name = format!("{kind}-{}", common::stem(&path));
            check(&name, &read_template(&path), &mut tally);
        }
    }
    let Tally {
        successes,
        streamed,
        events,
    } = tally;
    eprintln!("{events} events: {successes} succeeded, {streamed} streamed");
    // The comparison is not only between two failures, nor between the
    // general path and itself.
    assert!(
        successes > events / 2,
        "only {successes} of {events} events succeeded"
    );
    assert!(
        streamed > events * 9 / 10,
        "only {streamed} of {events} events were streamed"
    );
}

#[test]
fn fixture_answers_are_the_same_both_ways() {
    let mut tally = Tally::default();
    for dir in ["lambda", "sam", "stepfn", "forwarder"] {
        let dir = common::repo_root().join("fixtures").join(dir);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".options.json")
                || !matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml" | "json")
                )
            {
                continue;
            }
            let Ok((fragment, _)) = template::parse(&std::fs::read_to_string(&path).unwrap())
            else {
                continue;
            };
            check(&name, &fragment, &mut tally);
        }
    }
    assert!(tally.events > 60, "only {} fixture events", tally.events);
    assert!(tally.streamed * 10 > tally.events * 9);
}

#[test]
fn odd_events_are_answered_the_same_both_ways() {
    let events: &[&[u8]] = &[
        b"",
        b"not json",
        b"[]",
        br#"{"fragment": "text"}"#,
        br#"{"fragment": {"Resources": 1}}"#,
        br#"{"fragment": {"Resources": {"A": "x"}}}"#,
        br#"{"fragment": {"Resources": {"A": {"Type": "AWS::SQS::Queue"}}}, "fragment": {}}"#,
        br#"{"fragment": {"Resources": {"F": {"Type": "AWS::Lambda::Function", "Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "a.b"}}}}, "params": {"apiKey": "k"}}"#,
        br#"{"fragment": {"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": [1]}}}, "params": {"apiKey": "k"}}"#,
        br#"{"fragment": {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"N": 1e2, "S": "\u00e9"}}}}, "params": {"apiKey": "k"}}"#,
        br#"{"requestId": 5, "fragment": {"Resources": {}}}"#,
    ];
    for bytes in events {
        let (streamed, general, _) = answers(bytes);
        assert_eq!(streamed, general, "{}", String::from_utf8_lossy(bytes));
    }
    // Nesting near and past the limit: in a property kept as written, in a
    // function's property read as a value, in a resource's entry, in a section.
    let places = [
        r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"D": DEEP}}}}"#,
        r#"{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "a.b", "Tags": DEEP}}}}"#,
        r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Metadata": DEEP}}}"#,
        r#"{"Mappings": DEEP, "Resources": {}}"#,
    ];
    for place in places {
        for depth in [100, 119, 120, 121, 122, 126, 127, 128, 129, 300] {
            let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let fragment = place.replace("DEEP", &deep);
            let bytes = format!(r#"{{"params": {{"apiKey": "k"}}, "fragment": {fragment}}}"#);
            let (streamed, general, _) = answers(bytes.as_bytes());
            assert_eq!(streamed, general, "{depth} levels in {place}");
        }
    }
}
