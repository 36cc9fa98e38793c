//! The deployed macro: answering CloudFormation's macro events on the Lambda
//! Runtime API (`dd-serverless-macro serve`, or the bare binary under Lambda).
//!
//! The handler, [`answer_bytes`], is a plain function: it takes the event's
//! bytes, calls [`crate::answer`] (which checks the event's shape itself
//! and turns a panic into a failure) and always answers with a response — a
//! wrong shape, a missing `fragment` or a panic in a pass is a `failure`
//! with a message, never a Lambda error, which CloudFormation would only
//! show as "Failed to execute transform". Bytes that are not JSON at all are
//! turned into a failure too, before the runtime library would refuse them
//! (see `unreadable`).
//!
//! Start-up does nothing but read configuration: the `DD_*` site-wide defaults
//! ([`MacroEnvironment::from_process`], once) and `RUST_LOG`.

#[cfg(feature = "lambda")]
pub(crate) mod logging;
pub(crate) mod summary;
mod unreadable;

use std::time::Instant;

#[cfg(feature = "lambda")]
use lambda_runtime::{LambdaEvent, Runtime, layers::TracingLayer, service_fn};
#[cfg(feature = "lambda")]
use serde_json::value::RawValue;

use crate::MacroEnvironment;
use summary::{EventIds, RequestSummary};

/// The environment variables the Lambda Runtime API client needs; Lambda
/// (and `cargo lambda watch`) always set them.
pub const LAMBDA_VARIABLES: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// Why serving could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Not started by Lambda (or an emulator).
    #[error(
        "`serve` answers events from the Lambda Runtime API, but {} not set; it runs inside AWS Lambda or under `cargo lambda watch`. For a local dry run use `dd-serverless-macro transform` or `handle-event`",
        missing_list(.0)
    )]
    NotUnderLambda(Vec<&'static str>),
    /// The async runtime could not be created.
    #[error("cannot start the async runtime: {0}")]
    Start(#[from] std::io::Error),
    /// The Lambda Runtime API client stopped with an error.
    #[error("the Lambda runtime stopped: {0}")]
    Runtime(String),
    /// Built without the Lambda runtime.
    #[error(
        "this build of dd-serverless-macro cannot serve: it was built without the `lambda` feature (the Lambda runtime); build it with its default features to deploy it"
    )]
    NotBuilt,
}

fn missing_list(names: &[&str]) -> String {
    let verb = if names.len() == 1 { "is" } else { "are" };
    format!("{} {verb}", names.join(", "))
}

/// The Lambda variables of [`LAMBDA_VARIABLES`] that are missing or empty.
pub fn missing_lambda_variables() -> Vec<&'static str> {
    LAMBDA_VARIABLES
        .into_iter()
        .filter(|name| std::env::var_os(name).is_none_or(|v| v.is_empty()))
        .collect()
}

/// Answers one macro event given as its bytes (the body the Runtime API
/// delivered): runs the transform ([`crate::answer`]), logs one summary
/// line (ids, counts and decisions, never property values), each warning
/// with the request's secrets masked, and returns the response's bytes.
/// Never panics and never fails.
pub fn answer_bytes(bytes: &[u8], environment: &MacroEnvironment) -> Vec<u8> {
    let started = Instant::now();
    let (out, answered) = match unreadable::problem_in(bytes) {
        Some(problem) => {
            let mut out = Vec::new();
            let refused = crate::answer::refused(EventIds::default(), problem, &mut out);
            (out, refused.expect("writing to memory cannot fail"))
        }
        None => crate::answer(bytes, environment),
    };
    if answered.report.warnings().next().is_some() {
        summary::log_warnings(&answered.ids, &answered.report, &answered.secrets);
    }
    RequestSummary::new(
        answered.ids,
        answered.success,
        &answered.report,
        started.elapsed(),
    )
    .log();
    out
}

/// Serves macro events until the Runtime API goes away: checks that the
/// process runs under Lambda, reads the configuration once, installs the JSON
/// log subscriber and runs the Lambda runtime on a single thread.
#[cfg(feature = "lambda")]
pub fn run() -> Result<(), ServeError> {
    let missing = missing_lambda_variables();
    if !missing.is_empty() {
        return Err(ServeError::NotUnderLambda(missing));
    }
    let environment = MacroEnvironment::from_process();
    logging::install();
    logging::log_start(&environment);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(&environment))
}

/// Built without the `lambda` feature: serving is not possible.
#[cfg(not(feature = "lambda"))]
pub fn run() -> Result<(), ServeError> {
    Err(ServeError::NotBuilt)
}

#[cfg(feature = "lambda")]
async fn serve(environment: &MacroEnvironment) -> Result<(), ServeError> {
    let handler = service_fn(|event: LambdaEvent<Box<RawValue>>| {
        let answer = answer_bytes(event.payload.get().as_bytes(), environment);
        let answer = String::from_utf8(answer)
            .map_err(|e| e.to_string())
            .and_then(|text| RawValue::from_string(text).map_err(|e| e.to_string()));
        std::future::ready(answer)
    });
    Runtime::new(handler)
        .layer(TracingLayer::new())
        .layer(unreadable::UnreadableLayer)
        .run()
        .await
        .map_err(|e| ServeError::Runtime(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MacroResponse;
    use serde_json::{Value, json};

    fn env() -> MacroEnvironment {
        MacroEnvironment::default()
    }

    /// [`answer_bytes`] on an event given as a JSON value.
    fn answer(raw: Value, environment: &MacroEnvironment) -> MacroResponse {
        let bytes = serde_json::to_vec(&raw).expect("a JSON value serialises");
        let answer = answer_bytes(&bytes, environment);
        serde_json::from_slice(&answer).expect("the macro answers with a response")
    }

    #[test]
    fn a_plain_event_succeeds_and_echoes_the_request_id() {
        let fragment = json!({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}});
        let response = answer(
            json!({"requestId": "r-1", "region": "us-east-1", "fragment": fragment.clone(), "params": {}}),
            &env(),
        );
        assert_eq!(response.status, "success", "{response:?}");
        assert_eq!(response.request_id, "r-1");
        assert_eq!(response.fragment, fragment);
    }

    #[test]
    fn wrong_shapes_are_failures_with_the_request_id() {
        let response = answer(
            json!({"requestId": "r-2", "fragment": {"Resources": {}}, "params": [1]}),
            &env(),
        );
        assert_eq!(response.status, "failure");
        assert_eq!(response.request_id, "r-2");
        assert!(
            response.error_message.unwrap().contains("`params`"),
            "the message names the field"
        );
        let response = answer(json!({"requestId": "r-3"}), &env());
        assert_eq!(response.status, "failure");
        assert_eq!(response.request_id, "r-3");
        assert!(response.error_message.unwrap().contains("`fragment`"));
        let response = answer(json!("just a string"), &env());
        assert_eq!(response.status, "failure");
        assert_eq!(response.request_id, "");
    }

    #[test]
    fn invalid_parameters_are_a_failure_with_a_message() {
        let response = answer(
            json!({"requestId": "r-4", "fragment": {"Resources": {}}, "params": {"site": "nope"}}),
            &env(),
        );
        assert_eq!(response.status, "failure");
        assert!(response.error_message.unwrap().contains("site"));
    }

    #[test]
    fn unreadable_bytes_become_a_failure_not_a_lambda_error() {
        let marker = unreadable::marker_for(b"{not json").expect("not JSON");
        let raw: Value = serde_json::from_slice(&marker).unwrap();
        let response = answer(raw, &env());
        assert_eq!(response.status, "failure");
        assert!(
            response
                .error_message
                .unwrap()
                .contains("the macro event is not valid JSON")
        );
    }

    #[test]
    fn serve_outside_lambda_names_what_is_missing() {
        let message = ServeError::NotUnderLambda(vec!["AWS_LAMBDA_RUNTIME_API"]).to_string();
        assert!(
            message.contains("AWS_LAMBDA_RUNTIME_API is not set"),
            "{message}"
        );
        assert!(message.contains("cargo lambda watch"));
    }
}
