//! `dd-serverless-macro`: the `DatadogServerless` CloudFormation macro, which
//! instruments Lambda functions and Step Functions state machines with
//! Datadog, and the library behind its CLI dry runs.
//!
//! Every front end (the Lambda handler, `handle-event`, `transform`) calls
//! [`handle`] or [`transform`]; nothing else decides what a template becomes.
//! Data flows one way: the request and the macro's environment become a
//! [`config::Config`], passes edit the fragment and record what they did in a
//! [`report::Report`], and the report's errors decide success or failure.

pub mod config;
pub mod dry_run;
pub mod edit;
pub mod lambda;
pub mod macro_event;
pub mod report;
pub mod report_json;
pub mod report_text;
pub mod secrets;
pub mod serve;
pub mod step_functions;
pub mod stream;
pub mod template;

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::Value;

pub use config::MacroEnvironment;
pub use macro_event::{MacroRequest, MacroResponse};
pub use report::Report;
pub use stream::{Answered, answer_bytes, answer_to_vec};

/// The version of this macro, written in the `dd_sls_macro` tag.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The largest macro event accepted, in bytes (Lambda's payload limit).
pub const MAX_EVENT_BYTES: usize = 6 * 1024 * 1024;

/// What a transform produced: the rewritten fragment and what was done.
/// When `report` holds errors, `fragment` must not be used.
#[derive(Debug, Clone)]
pub struct Transformed {
    /// The rewritten template fragment.
    pub fragment: Value,
    /// Changes, warnings and errors.
    pub report: Report,
}

/// Facts about the stack that passes need besides the parameters.
#[derive(Debug, Clone)]
pub struct StackContext<'a> {
    /// The stack's region.
    pub region: &'a str,
    /// The stack's account id.
    pub account_id: &'a str,
    /// The template's parameter values, for resolving `Ref`s.
    pub template_parameter_values: &'a serde_json::Map<String, Value>,
}

/// The AWS partition of a region (`aws`, `aws-us-gov`, `aws-cn`).
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("cn-") {
        "aws-cn"
    } else {
        "aws"
    }
}

/// Runs the transform on a request. Never panics on bad input; a bug in a
/// pass is caught by [`handle`], not here.
pub fn transform(request: &MacroRequest, environment: &MacroEnvironment) -> Transformed {
    let mut fragment = request.fragment.clone();
    let report = transform_in_place(&mut fragment, request, environment);
    Transformed { fragment, report }
}

/// The transform itself, on a fragment owned by the caller (a copy of the
/// request's or the request's own, taken out of it): `request.fragment` is
/// not read. When the report holds errors, `fragment` must not be used.
fn transform_in_place(
    fragment: &mut Value,
    request: &MacroRequest,
    environment: &MacroEnvironment,
) -> Report {
    transform_with(
        fragment,
        request,
        environment,
        &mut lambda::InPlace,
        report::Detail::Full,
    )
}

/// [`transform_in_place`], reading and leaving functions through `bodies`,
/// its report keeping `detail` of the changes.
fn transform_with(
    fragment: &mut Value,
    request: &MacroRequest,
    environment: &MacroEnvironment,
    bodies: &mut dyn lambda::FunctionBodies,
    detail: report::Detail,
) -> Report {
    let mut report = Report::with_detail(detail);
    let config = config::Config::build(
        config::ConfigInputs {
            params: &request.params,
            fragment,
            environment,
        },
        &mut report,
    );
    if template::resources::resources(fragment).is_none() {
        report.error(
            None,
            "the template has no Resources section (or it is not a mapping)",
        );
    }
    if report.has_errors() {
        return report;
    }
    let context = StackContext {
        region: &request.region,
        account_id: &request.account_id,
        template_parameter_values: &request.template_parameter_values,
    };
    lambda::instrument_with(fragment, bodies, &config, &context, &mut report);
    step_functions::instrument(fragment, &config, &context, &mut report);
    report
}

/// Runs the transform and answers as the macro: `success` with the new
/// fragment, or `failure` listing every error (one per line). A panic in any
/// pass becomes a failure naming it as an internal error.
pub fn handle(request: MacroRequest, environment: &MacroEnvironment) -> MacroResponse {
    handle_with_report(request, environment).0
}

/// [`handle`], also returning the report (for logs and dry runs).
pub fn handle_with_report(
    request: MacroRequest,
    environment: &MacroEnvironment,
) -> (MacroResponse, Report) {
    let outcome = catch_unwind(AssertUnwindSafe(|| transform(&request, environment)));
    let MacroRequest {
        request_id,
        fragment,
        ..
    } = request;
    answer(request_id, outcome, move || fragment)
}

/// Turns the outcome of a transform into the macro's answer; `original`
/// gives the fragment as received, for a failure.
fn answer(
    request_id: String,
    outcome: std::thread::Result<Transformed>,
    original: impl FnOnce() -> Value,
) -> (MacroResponse, Report) {
    match outcome {
        Ok(Transformed { fragment, report }) => {
            if report.has_errors() {
                (
                    MacroResponse::failure(request_id, original(), errors_of(&report)),
                    report,
                )
            } else {
                (MacroResponse::success(request_id, fragment), report)
            }
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            let mut report = Report::default();
            let message = format!(
                "internal error in the DatadogServerless macro ({what}); the template was not changed. Please report this with the template that caused it."
            );
            report.error(None, message.clone());
            (
                MacroResponse::failure(request_id, original(), message),
                report,
            )
        }
    }
}

/// The failure message of a report: every error, one per line.
fn errors_of(report: &Report) -> String {
    report
        .errors()
        .map(|d| d.message.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Answers a raw JSON event, checking its shape first: an event of the wrong
/// shape is a `failure` response (with its `requestId` when readable).
pub fn handle_value(raw: Value, environment: &MacroEnvironment) -> (MacroResponse, Report) {
    let request_id = MacroRequest::request_id_of(&raw);
    match MacroRequest::from_value(raw) {
        Ok(request) => handle_with_report(request, environment),
        Err(e) => shape_failure(request_id, e),
    }
}

/// The answer to an event of the wrong shape.
fn shape_failure(request_id: String, e: macro_event::EventShapeError) -> (MacroResponse, Report) {
    let mut report = Report::default();
    report.error(None, e.to_string());
    (
        MacroResponse::failure(request_id, Value::Null, e.to_string()),
        report,
    )
}

/// Answers an event given as bytes (the `handle-event` command): too large or
/// not JSON is a `failure` response too.
pub fn handle_bytes(bytes: &[u8], environment: &MacroEnvironment) -> (MacroResponse, Report) {
    let fail = |message: String| {
        let mut report = Report::default();
        report.error(None, message.clone());
        (MacroResponse::failure("", Value::Null, message), report)
    };
    if bytes.len() > MAX_EVENT_BYTES {
        return oversized_event(bytes.len() as u64);
    }
    let raw = match serde_json::from_slice::<Value>(bytes) {
        Ok(raw) => raw,
        Err(e) => {
            return fail(format!(
                "the macro event is not valid JSON: {}",
                template::json_error(&e)
            ));
        }
    };
    let request_id = MacroRequest::request_id_of(&raw);
    let mut request = match MacroRequest::from_value(raw) {
        Ok(request) => request,
        Err(e) => return shape_failure(request_id, e),
    };
    // The transform works on the request's own fragment, not a copy (the
    // copy costs as much as parsing): a failure, which must answer with the
    // fragment as received, reads it again from the bytes.
    let mut fragment = std::mem::take(&mut request.fragment);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let report = transform_in_place(&mut fragment, &request, environment);
        Transformed { fragment, report }
    }));
    answer(request.request_id, outcome, || fragment_of(bytes))
}

/// The answer to an event of `len` bytes, over [`MAX_EVENT_BYTES`]: a
/// failure saying so. Front ends that stop reading at the limit give the
/// size they counted.
pub fn oversized_event(len: u64) -> (MacroResponse, Report) {
    let message = format!(
        "the macro event is {len} bytes; the largest accepted is {MAX_EVENT_BYTES} bytes (Lambda's payload limit)"
    );
    let mut report = Report::default();
    report.error(None, message.clone());
    (MacroResponse::failure("", Value::Null, message), report)
}

/// The `fragment` of an event that was read once already.
fn fragment_of(bytes: &[u8]) -> Value {
    serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|mut raw| raw.get_mut("fragment").map(Value::take))
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn failure_path_lists_every_error_and_keeps_fragment() {
        let req = MacroRequest {
            fragment: json!({"Resources": {}}),
            params: json!({"site": "nope", "bogus": 1})
                .as_object()
                .unwrap()
                .clone(),
            request_id: "r1".into(),
            ..Default::default()
        };
        let resp = handle(req, &MacroEnvironment::default());
        assert_eq!(resp.status, "failure");
        assert_eq!(resp.request_id, "r1");
        assert_eq!(resp.fragment, json!({"Resources": {}}));
        assert_eq!(resp.error_message.unwrap().lines().count(), 2);
    }

    #[test]
    fn malformed_events_are_failures_with_request_id() {
        let (resp, _) = handle_value(
            json!({"requestId": "abc", "params": {}}),
            &MacroEnvironment::default(),
        );
        assert_eq!(resp.status, "failure");
        assert_eq!(resp.request_id, "abc");
        let (resp, _) = handle_bytes(b"not json", &MacroEnvironment::default());
        assert!(resp.error_message.unwrap().contains("not valid JSON"));
    }

    #[test]
    fn handle_bytes_failure_answers_the_fragment_as_received() {
        // One function instrumented, one refused: the answer carries neither edit.
        let event = json!({"requestId": "r2", "params": {"apiKey": "k"}, "fragment": {"Resources": {
            "Good": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "a.b"}},
            "Bad": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": {"Fn::FindInMap": ["M", "a", "b"]}, "Handler": "a.b"}}
        }}});
        let bytes = serde_json::to_vec(&event).unwrap();
        let (resp, report) = handle_bytes(&bytes, &MacroEnvironment::default());
        assert_eq!(resp.status, "failure");
        assert_eq!(resp.request_id, "r2");
        assert!(resp.error_message.unwrap().contains("Resource Bad"));
        assert_eq!(resp.fragment, event["fragment"]);
        assert!(report.has_errors());
        let (from_value, _) = handle_value(event.clone(), &MacroEnvironment::default());
        assert_eq!(from_value.fragment, event["fragment"]);
    }

    #[test]
    fn partitions() {
        assert_eq!(partition_of("us-east-1"), "aws");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
    }
}
