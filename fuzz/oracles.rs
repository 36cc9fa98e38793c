//! What the fuzz targets check on each input, shared with
//! `tests/fuzz_regressions.rs`, which replays the inputs of
//! `fuzz/regressions/` through the same checks in `cargo test`.

use dd_serverless_macro::template::{self, Format};
use dd_serverless_macro::{MacroEnvironment, answer_to_vec, handle_bytes};
use serde_json::Value;

/// Any bytes as a macro event, as `handle-event` and the deployed Lambda
/// receive them: the answer is `success` or `failure` with a message that is
/// not an internal error, the streaming answer (what they run) is the
/// general one, and a successful output transformed again does not change. (The fuzz build aborts on panic, so `handle`'s
/// `catch_unwind` does not hide one from the fuzzer; in `cargo test` a
/// caught panic shows as the internal error.)
pub fn check_handle_event(data: &[u8]) {
    let environment = MacroEnvironment::default();
    let (response, _) = handle_bytes(data, &environment);
    let (streamed, _) = answer_to_vec(data, &environment);
    let streamed: Value = serde_json::from_slice(&streamed).expect("the answer is JSON");
    // Numbers serde_json cannot hold (1e400) are refused by the general
    // path's reading, and kept as written by the streaming one.
    let unreadable = response
        .error_message
        .as_deref()
        .is_some_and(|m| m.contains("is not valid JSON"));
    if !unreadable {
        let general = serde_json::to_value(&response).expect("a response is JSON");
        assert_eq!(streamed, general, "the streaming answer differs");
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
    let (again, _) = handle_bytes(&bytes, &environment);
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
