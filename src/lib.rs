//! `dd-serverless-macro`: the `DatadogServerless` CloudFormation macro, which
//! instruments Lambda functions and Step Functions state machines with
//! Datadog, and the library behind its CLI dry runs.
//!
//! Every front end (the Lambda handler, `handle-event`, `transform`) answers
//! through [`answer`]: an event's bytes in, the answer's bytes out, the
//! template read once and each of its values parsed when a pass first asks
//! for it. A dry run answers the event its template makes
//! ([`handle_with_report`]). Data flows one way: the request and the
//! macro's environment become a [`config::Config`], passes edit the
//! template and record what they did in a [`report::Report`], and the
//! report's errors decide success or failure.

pub mod answer;
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
pub mod template;

use std::io::{self, Write};

use serde_json::Value;

pub use answer::{Answered, answer};
pub use config::MacroEnvironment;
pub use macro_event::{MacroRequest, MacroResponse};
pub use report::Report;

/// The version of this macro, written in the `dd_sls_macro` tag.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The largest macro event accepted, in bytes (Lambda's payload limit).
pub const MAX_EVENT_BYTES: usize = 6 * 1024 * 1024;

/// What a transform produced: the answer's fragment (the rewritten
/// template, or on failure the template as received) and what was done.
#[derive(Debug, Clone)]
pub struct Transformed {
    /// The answer's fragment.
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

/// [`answer`], writing the answer's bytes to `out` as they are made
/// ([`answer::answer_to`]).
pub fn answer_bytes(
    bytes: &[u8],
    environment: &MacroEnvironment,
    out: &mut impl Write,
) -> io::Result<Answered> {
    answer::answer_to(bytes, environment, report::Detail::Summary, out)
}

/// [`answer`] (the name the benchmarks know).
pub fn answer_to_vec(bytes: &[u8], environment: &MacroEnvironment) -> (Vec<u8>, Answered) {
    answer(bytes, environment)
}

/// Answers an event given as bytes, the answer read back as a response
/// (its report keeping every change, as dry runs show them).
pub fn handle_bytes(bytes: &[u8], environment: &MacroEnvironment) -> (MacroResponse, Report) {
    let (out, answered) = answer::answer_keeping(bytes, environment, report::Detail::Full);
    let response = serde_json::from_slice(&out).expect("an answer is a response");
    (response, answered.report)
}

/// Answers the event of a request (a dry run: the event its template makes).
pub fn handle_with_report(
    request: MacroRequest,
    environment: &MacroEnvironment,
) -> (MacroResponse, Report) {
    let bytes = serde_json::to_vec(&request).expect("a request serialises");
    handle_bytes(&bytes, environment)
}

/// [`handle_with_report`], without the report.
pub fn handle(request: MacroRequest, environment: &MacroEnvironment) -> MacroResponse {
    handle_with_report(request, environment).0
}

/// [`handle_with_report`] on a request given by reference.
pub fn transform(request: &MacroRequest, environment: &MacroEnvironment) -> Transformed {
    let (response, report) = handle_with_report(request.clone(), environment);
    Transformed {
        fragment: response.fragment,
        report,
    }
}

/// Answers a raw JSON event (its shape checked like any event's).
pub fn handle_value(raw: Value, environment: &MacroEnvironment) -> (MacroResponse, Report) {
    let bytes = serde_json::to_vec(&raw).expect("a value serialises");
    handle_bytes(&bytes, environment)
}

/// The answer to an event of `len` bytes, over [`MAX_EVENT_BYTES`]: a
/// failure saying so. Front ends that stop reading at the limit give the
/// size they counted.
pub fn oversized_event(len: u64) -> (MacroResponse, Report) {
    let message = answer::oversized_message(len);
    let mut report = Report::default();
    report.error(None, message.clone());
    (MacroResponse::failure("", Value::Null, message), report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions() {
        assert_eq!(partition_of("us-east-1"), "aws");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
    }
}
