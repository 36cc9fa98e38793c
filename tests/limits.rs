//! The limits: an event over 6 MB, a template over 5 MB and nesting deeper
//! than 200 levels are refused with a message that says so, before any work
//! is done on them (the oversized inputs here are not even JSON: a message
//! about their size, not their syntax, shows they were never parsed).

use std::io::Write;
use std::process::{Command, Stdio};

use dd_serverless_macro::template::{self, MAX_TEMPLATE_BYTES};
use dd_serverless_macro::{MAX_EVENT_BYTES, MacroEnvironment, MacroResponse, answer};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_dd-serverless-macro");

fn failure_message(bytes: &[u8]) -> String {
    let (out, answered) = answer(bytes, &MacroEnvironment::default());
    assert!(!answered.success && answered.report.has_errors());
    let response: MacroResponse = serde_json::from_slice(&out).expect("an answer");
    assert_eq!(response.status, "failure");
    response.error_message.expect("a failure has a message")
}

/// An event whose fragment nests `depth` lists inside one resource.
fn deep_event(depth: usize) -> Vec<u8> {
    format!(
        r#"{{"requestId":"r","params":{{}},"fragment":{{"Resources":{{"F":{{"Type":"AWS::Lambda::Function","Properties":{{"Runtime":"python3.12","Deep":{}{}}}}}}}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
    .into_bytes()
}

#[test]
fn an_event_over_6_mb_is_refused_by_its_size() {
    let message = failure_message(&vec![b'['; MAX_EVENT_BYTES + 1]);
    assert_eq!(
        message,
        format!(
            "the macro event is {} bytes; the largest accepted is {MAX_EVENT_BYTES} bytes (Lambda's payload limit)",
            MAX_EVENT_BYTES + 1
        )
    );
}

#[test]
fn a_template_over_5_mb_is_refused_by_its_size() {
    for first in ["{", "a: [", "# yaml\n"] {
        let mut text = first.to_string();
        text.push_str(&"[".repeat(MAX_TEMPLATE_BYTES + 1 - first.len()));
        let e = template::parse(&text).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "the template is {} bytes; the largest accepted is {MAX_TEMPLATE_BYTES} bytes (CloudFormation's own limit is 1 MB)",
                MAX_TEMPLATE_BYTES + 1
            )
        );
    }
}

#[test]
fn deep_nesting_in_an_event_is_refused() {
    // 199 lists inside the 5 objects around them: accepted by the reader.
    let (out, _) = answer(&deep_event(120), &MacroEnvironment::default());
    let response: Value = serde_json::from_slice(&out).expect("an answer");
    assert!(
        !response["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("nested too deeply")
    );
    for depth in [201, 10_000, 1_000_000] {
        let message = failure_message(&deep_event(depth));
        assert!(
            message.starts_with("the macro event is not valid JSON: invalid JSON at line 1")
                && message.contains("the document is nested too deeply (more than 128 levels)"),
            "{depth}: {message}"
        );
    }
}

#[test]
fn deep_nesting_in_a_template_is_refused() {
    for depth in [201, 100_000] {
        let json = format!("{{\"a\": {}{}}}", "[".repeat(depth), "]".repeat(depth));
        let flow_yaml = format!("a: {}{}", "{b: ".repeat(depth), "}".repeat(depth));
        // Indented mappings: 2,000 levels already take 2 MB.
        let block_yaml: String = (0..depth.min(2_000))
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        for text in [json, flow_yaml, block_yaml] {
            let e = template::parse(&text).unwrap_err().to_string();
            assert!(
                e.contains("nested too deeply"),
                "{depth} levels, {}: {e}",
                &text[..20]
            );
        }
    }
}

/// Runs the binary with `input` on standard input.
fn run(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        // The binary stops keeping input at the limit but reads it all.
        stdin.write_all(&input).expect("the binary reads its input");
    });
    let output = child.wait_with_output().expect("the binary ends");
    writer.join().expect("the writer ends");
    output
}

#[test]
fn handle_event_refuses_a_huge_event_by_its_size() {
    let size = 64 * 1024 * 1024;
    let output = run(&["handle-event", "-"], &vec![b' '; size]);
    let response: Value = serde_json::from_slice(&output.stdout).expect("a JSON answer");
    assert_eq!(response["status"], "failure");
    assert_eq!(
        response["errorMessage"],
        format!(
            "the macro event is {size} bytes; the largest accepted is {MAX_EVENT_BYTES} bytes (Lambda's payload limit)"
        )
    );
}

#[test]
fn transform_refuses_a_huge_template_by_its_size() {
    let size = MAX_TEMPLATE_BYTES + 10;
    let output = run(&["transform", "-"], &vec![b'x'; size]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "standard input: the template is {size} bytes; the largest accepted is {MAX_TEMPLATE_BYTES} bytes"
        )),
        "{stderr}"
    );
}
