//! How the binary decides to serve: with `serve`, or with no subcommand when
//! Lambda starts it; anywhere else a missing subcommand is clap's usage error.

mod common;

use std::process::Output;

use common::{run_with_env, stderr};

/// Runs the binary with no environment but, when given, Lambda's
/// `AWS_LAMBDA_RUNTIME_API`.
fn run(args: &[&str], runtime_api: Option<&str>) -> Output {
    let env: Vec<(&str, &str)> = runtime_api
        .map(|api| ("AWS_LAMBDA_RUNTIME_API", api))
        .into_iter()
        .collect();
    run_with_env(args, &env, b"")
}

#[test]
fn without_a_subcommand_outside_lambda_it_is_a_usage_error() {
    let output = run(&[], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("Usage: dd-serverless-macro <COMMAND>"));
}

#[test]
fn serve_outside_lambda_says_what_is_missing() {
    let output = run(&["serve"], None);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("AWS_LAMBDA_RUNTIME_API"), "{message}");
    assert!(message.contains("cargo lambda watch"), "{message}");
}

#[test]
fn without_a_subcommand_under_lambda_it_serves() {
    // The Runtime API is set, the function's other variables are not: the
    // binary went for `serve`, which names what is missing.
    let output = run(&[], Some("127.0.0.1:9"));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("AWS_LAMBDA_FUNCTION_NAME"), "{message}");
    assert!(!message.contains("AWS_LAMBDA_RUNTIME_API,"), "{message}");
}
