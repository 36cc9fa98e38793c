//! What the fuzz targets check on each input, shared with
//! `tests/fuzz_regressions.rs`, which replays the inputs of
//! `fuzz/regressions/` through the same checks in `cargo test`.

use dd_serverless_macro::template::{self, Format};
use dd_serverless_macro::{
    MAX_EVENT_BYTES, MacroEnvironment, MacroRequest, MacroResponse, answer, handle_with_report,
};
use serde_json::Value;

/// The production entry's answer to `data`, read back.
fn answered(data: &[u8], environment: &MacroEnvironment) -> MacroResponse {
    let (out, answered) = answer(data, environment);
    let response: MacroResponse = serde_json::from_slice(&out).expect("the answer is a response");
    assert_eq!(answered.success, response.is_success());
    response
}

/// Any bytes as a macro event, as `handle-event` and the deployed Lambda
/// receive them, answered by their entry (bytes in, bytes out; a panic would
/// be a failure naming an internal error, refused here; the fuzz build
/// aborts on one anyway):
///
/// - the answer is `success`, or `failure` with a message that is not an
///   internal error;
/// - one input, one answer: bytes serde_json reads as a value get the same
///   answer as that value written back, and as the same request answered
///   as a dry run (its report keeping every change); bytes it cannot read
///   are refused as not valid JSON;
/// - a successful output transformed again does not change.
pub fn check_handle_event(data: &[u8]) {
    let environment = MacroEnvironment::default();
    let response = answered(data, &environment);
    match serde_json::from_slice::<Value>(data) {
        Ok(value) if data.len() <= MAX_EVENT_BYTES => {
            let written = serde_json::to_vec(&value).expect("a value serialises");
            if written.len() <= MAX_EVENT_BYTES {
                let again = answered(&written, &environment);
                assert_eq!(
                    again, response,
                    "the same event written back is answered otherwise"
                );
            }
            if let Ok(request) = MacroRequest::from_value(value) {
                let (dry_run, _) = handle_with_report(request, &environment);
                assert_eq!(dry_run, response, "the dry run answers otherwise");
            }
        }
        Ok(_) => {}
        Err(_) => {
            let message = response.error_message.as_deref().unwrap_or_default();
            assert!(
                data.len() > MAX_EVENT_BYTES
                    || message.starts_with("the macro event is not valid JSON"),
                "not JSON, yet answered: {message}"
            );
        }
    }
    if !response.is_success() {
        assert_eq!(response.status, "failure");
        let message = response.error_message.expect("a failure has a message");
        assert!(!message.trim().is_empty());
        assert!(
            !message.contains("internal error"),
            "internal error: {message}"
        );
        return;
    }
    let mut event: Value = serde_json::from_slice(data).expect("a successful event is JSON");
    event["fragment"] = response.fragment.clone();
    let bytes = serde_json::to_vec(&event).expect("an event serialises");
    let again = answered(&bytes, &environment);
    assert!(
        again.is_success(),
        "second run failed: {:?}",
        again.error_message
    );
    assert_eq!(
        again.fragment, response.fragment,
        "second run changed the output"
    );
}

/// Any bytes as a template file (JSON or YAML with short-form intrinsics),
/// as `transform` and `convert` read them: no panic, and a template written
/// back as JSON and as YAML reads back as the same value. `Fn::GetAtt:
/// "A.B"` and `Fn::GetAtt: [A, B]` count as the same: YAML writes both
/// `!GetAtt A.B`, which reads back as the list (as cfn-flip does).
pub fn check_template_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((value, _)) = template::parse(text) else {
        return;
    };
    for format in [Format::Json, Format::Yaml] {
        let written = template::to_string(&value, format);
        // The format read back may differ: an empty template is `{}` in YAML too.
        let (again, _) = template::parse(&written)
            .unwrap_or_else(|e| panic!("{format:?} output does not read back: {e}\n{written}"));
        assert_eq!(
            normalised(&again),
            normalised(&value),
            "{format:?} round trip changed the value:\n{written}"
        );
    }
}

/// The value with every dotted `Fn::GetAtt` string as a list.
fn normalised(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(normalised).collect()),
        Value::Object(map) => {
            if map.len() == 1
                && let Some(Value::String(dotted)) = map.get("Fn::GetAtt")
                && let Some((resource, attribute)) = dotted.split_once('.')
            {
                return serde_json::json!({"Fn::GetAtt": [resource, attribute]});
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), normalised(v)))
                    .collect(),
            )
        }
        other => other.clone(),
    }
}
