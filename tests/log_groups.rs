//! The template's log groups other than functions' and state machines' sent
//! to the Forwarder (`subscribeToAccessLogs`, `subscribeToExecutionLogs`,
//! `subscribeLogGroups`), the Forwarder's permissions
//! (`createForwarderPermissions`) and the CloudWatch Logs opt-out
//! (`disableCloudWatchLogs`), on the fixtures of `fixtures/log_groups/`,
//! each run through the whole transform with its own Transform entry.
//!
//! Each fixture: a snapshot of the report and of what changed; resources the
//! report does not name are untouched; a second run changes nothing; every
//! filter added sends a log group of the template or one named as existing
//! (evaluated as the stack would). The full tier also lints every output
//! with cfn-lint: nothing new.

mod common;
mod stepfn_support;

use std::path::PathBuf;

use serde_json::{Value, json};
use stepfn_support::*;

const SET: &str = "log_groups";

/// The groups outside the template each fixture names (by an access-log
/// ARN, or through `existingLogGroups`), as the stack evaluates them.
fn existing(name: &str) -> Vec<String> {
    match name {
        "rest_api_logs" => vec!["shared-access-logs".into()],
        "websocket_and_http_apis" => vec!["API-Gateway-Execution-Logs_resolved-Chat/old".into()],
        _ => Vec::new(),
    }
}

fn check(name: &str) {
    let request = request(SET, name);
    let out = run(&request);
    insta::assert_snapshot!(name, render(&request.fragment, &out.fragment, &out.report));
    assert!(
        !out.report.has_errors(),
        "{name}: {:?}",
        out.report.diagnostics
    );
    assert_untouched(name, &request.fragment, &out.fragment, &out.report);
    assert_idempotent(name, &request, &out.fragment);
    assert_filters_have_groups(name, &request.fragment, &out.fragment, &existing(name));
}

fixtures!(
    rest_api_logs,
    websocket_and_http_apis,
    sam_apis,
    listed_log_groups_and_permissions,
    disable_cloudwatch_logs,
);

/// Without `forwarderArn` the log-group options do nothing (access logs, on
/// by default) or are refused (the others); without them, nothing but the
/// functions' own groups is subscribed.
#[test]
fn the_options_need_the_forwarder_and_are_off_by_default() {
    let request = request(SET, "rest_api_logs");
    let mut defaults = request.clone();
    defaults.params.shift_remove("subscribeToExecutionLogs");
    let out = run(&defaults);
    let added: Vec<&str> = out.fragment["Resources"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|id| {
            !request.fragment["Resources"]
                .as_object()
                .unwrap()
                .contains_key(*id)
        })
        .map(String::as_str)
        .collect();
    assert_eq!(
        added,
        [
            "AccessLogsSubscription",
            "NamedAccessLogsSubscription",
            "DevStageAccessLogsSubscription"
        ]
    );
    let mut off = defaults.clone();
    off.params
        .insert("subscribeToAccessLogs".into(), json!(false));
    assert_eq!(run(&off).fragment, request.fragment);
    let mut without = request.clone();
    without.params.shift_remove("forwarderArn");
    without
        .params
        .insert("subscribeLogGroups".into(), json!(["AccessLogs"]));
    let errors: Vec<String> = run(&without)
        .report
        .errors()
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(
        errors,
        [
            "`subscribeToExecutionLogs: true` sends log groups to the Datadog Forwarder, but `forwarderArn` is not set: set it, or remove `subscribeToExecutionLogs: true`.",
            "`subscribeLogGroups` sends log groups to the Datadog Forwarder, but `forwarderArn` is not set: set it, or remove `subscribeLogGroups`.",
        ]
    );
}

#[test]
#[ignore = "needs cfn-lint from .venv: run by scripts/test"]
fn outputs_lint_no_worse_than_inputs() {
    let scratch = tempfile::tempdir().unwrap();
    let mut inputs: Vec<PathBuf> = Vec::new();
    let mut outputs: Vec<PathBuf> = Vec::new();
    for name in fixture_names(SET) {
        let request = request(SET, &name);
        let out = run(&request);
        let input = scratch.path().join(format!("{name}.input.json"));
        let output = scratch.path().join(format!("{name}.output.json"));
        // The fixture as deployed without the macro, and with it (both keep
        // the SAM transform, which cfn-lint applies first).
        let mut template: Value = request.fragment.clone();
        let mut instrumented: Value = out.fragment.clone();
        for t in [&mut template, &mut instrumented] {
            if name.starts_with("sam_") || name.starts_with("disable_") {
                t["Transform"] = json!("AWS::Serverless-2016-10-31");
            }
        }
        common::write_json(&input, &template);
        common::write_json(&output, &instrumented);
        inputs.push(input);
        outputs.push(output);
    }
    let all: Vec<PathBuf> = inputs.iter().chain(&outputs).cloned().collect();
    let findings = common::lint(&all);
    let mut problems = Vec::new();
    for (input, output) in inputs.iter().zip(&outputs) {
        let before = findings.get(input).cloned().unwrap_or_default();
        for finding in findings.get(output).into_iter().flatten() {
            if !before.contains(finding) {
                problems.push(format!(
                    "{}: {} at {}",
                    output.display(),
                    finding.0,
                    finding.1
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "cfn-lint findings new in the output:\n{}",
        problems.join("\n")
    );
}
