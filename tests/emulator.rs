//! The deployed macro against a real Lambda Runtime API: `cargo lambda watch`
//! (the emulator of the `cargo-lambda` package) on a free loopback port, the
//! real binary started as Lambda starts it (no subcommand, the Runtime API in
//! its environment), and events sent with `cargo lambda invoke --data-file`
//! (or a raw HTTP POST for bytes cargo-lambda will not send).
//!
//! Every answer must be a macro response — success or failure with a
//! message — and equal to what the library answers in-process; the process
//! must keep serving after bad input; and no secret may reach its logs, even
//! at `RUST_LOG=trace`.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::process::{Guarded, run_with_deadline};
use common::{binary, child_path, read_json, repo_root, scratch, venv_tool, write_file};
use dd_serverless_macro::internals::PARAMS;
use dd_serverless_macro::{MacroEnvironment, answer};
use serde_json::{Value, json};

/// How long the emulator may take to listen.
const START_DEADLINE: Duration = Duration::from_secs(60);
/// How long one invocation may take (the first one waits for the function).
const INVOKE_DEADLINE: Duration = Duration::from_secs(60);
/// The function name the emulator gives a function it did not start.
const FUNCTION: &str = "_";

const API_KEY: &str = "emulator-api-key-SECRET-0123456789";
const DB_PASSWORD: &str = "emulator-db-password-SECRET";

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("can bind a loopback port")
        .port()
}

/// The emulator and the function it serves, both stopped on drop.
struct Emulator {
    port: u16,
    function: Guarded,
    emulator: Guarded,
    cargo_lambda: PathBuf,
}

impl Emulator {
    /// Starts `cargo lambda watch --only-lambda-apis`, waits until it
    /// listens, then starts the binary as Lambda would.
    fn start() -> Emulator {
        let cargo_lambda = venv_tool("cargo-lambda");
        let port = free_port();
        let mut command = Command::new(&cargo_lambda);
        command
            .args(["lambda", "watch", "--only-lambda-apis", "--ignore-changes"])
            .args(["--invoke-address", "127.0.0.1", "--invoke-port"])
            .arg(port.to_string())
            .env("PATH", child_path())
            .current_dir(repo_root());
        let mut emulator = Guarded::spawn("cargo lambda watch", command);
        let started = Instant::now();
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        loop {
            if let Some(status) = emulator.exited() {
                panic!(
                    "cargo lambda watch could not start ({status}); its output:\n{}",
                    emulator.output.text()
                );
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                break;
            }
            if started.elapsed() > START_DEADLINE {
                panic!(
                    "cargo lambda watch did not listen on {address} within {START_DEADLINE:?}; its output:\n{}",
                    emulator.output.text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }

        // The binary, exactly as Lambda starts it: no arguments, the Runtime
        // API in the environment, no site-wide defaults, and the most
        // verbose logs (secrets must stay out even then).
        let mut command = Command::new(binary());
        command
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{port}/.rt"),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", FUNCTION)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("RUST_LOG", "trace");
        for variable in PARAMS.iter().filter_map(|s| s.macro_env) {
            command.env_remove(variable);
        }
        let function = Guarded::spawn("the macro binary", command);
        Emulator {
            port,
            function,
            emulator,
            cargo_lambda,
        }
    }

    fn logs(&self) -> String {
        format!(
            "--- the macro binary:\n{}\n--- cargo lambda watch:\n{}",
            self.function.output.text(),
            self.emulator.output.text()
        )
    }

    fn assert_serving(&mut self) {
        if let Some(status) = self.function.exited() {
            panic!("the macro binary stopped ({status}):\n{}", self.logs());
        }
    }

    /// `cargo lambda invoke --data-file`: the response as JSON.
    fn invoke(&mut self, file: &Path) -> Value {
        let mut command = Command::new(&self.cargo_lambda);
        command
            .args([
                "lambda",
                "invoke",
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
            ])
            .arg(self.port.to_string())
            .arg("--data-file")
            .arg(file)
            .args(["--output-format", "json", FUNCTION])
            .env("PATH", child_path());
        let done = run_with_deadline("cargo lambda invoke", command, INVOKE_DEADLINE);
        assert!(
            done.status.success(),
            "cargo lambda invoke --data-file {} failed ({}): {}\n{}",
            file.display(),
            done.status,
            done.output,
            self.logs()
        );
        self.assert_serving();
        serde_json::from_str(&done.output).unwrap_or_else(|e| {
            panic!(
                "the answer is not JSON ({e}): {}\n{}",
                done.output,
                self.logs()
            )
        })
    }

    /// A raw HTTP POST to the emulator's invoke endpoint (for bytes that
    /// `cargo lambda invoke` refuses to read): the response body.
    fn post(&mut self, body: &[u8]) -> Vec<u8> {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).expect("connects");
        stream.set_read_timeout(Some(INVOKE_DEADLINE)).unwrap();
        let head = format!(
            "POST /2015-03-31/functions/{FUNCTION}/invocations HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.port,
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .unwrap_or_else(|e| panic!("no answer to the POST ({e}):\n{}", self.logs()));
        self.assert_serving();
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("an HTTP response");
        let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200"), "{head}\n{}", self.logs());
        let body = &response[split + 4..];
        if head.contains("transfer-encoding: chunked") {
            dechunk(body)
        } else {
            body.to_vec()
        }
    }
}

/// Decodes an HTTP/1.1 chunked body.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&body[..line_end])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .expect("hex chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[line_end + 2..line_end + 2 + size]);
        body = &body[line_end + 2 + size + 2..];
    }
}

fn event(request_id: &str, fragment: Value, params: Value) -> Value {
    json!({
        "region": "us-east-1",
        "accountId": "123456789012",
        "transformId": "123456789012::DatadogServerless",
        "requestId": request_id,
        "fragment": fragment,
        "params": params,
        "templateParameterValues": {}
    })
}

/// The corpus template, with a secret in a function's environment.
fn corpus_fragment() -> Value {
    let mut fragment =
        read_json(&repo_root().join("fixtures/emulator/connector_sqs_to_function.json"));
    fragment["Resources"]["TriggerFunction"]["Properties"]["Environment"] =
        json!({"Variables": {"DB_PASSWORD": DB_PASSWORD}});
    fragment
}

/// 500 Python and Node.js functions sharing one role.
fn five_hundred_functions() -> Value {
    let mut resources = serde_json::Map::new();
    resources.insert(
        "Role".into(),
        json!({"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}}),
    );
    for i in 0..500 {
        let (runtime, handler) = if i % 2 == 0 {
            ("python3.12", "app.handler")
        } else {
            ("nodejs20.x", "index.handler")
        };
        resources.insert(
            format!("Function{i:03}"),
            json!({"Type": "AWS::Lambda::Function", "Properties": {
                "Runtime": runtime, "Handler": handler,
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": {"S3Bucket": "bucket", "S3Key": format!("f{i}.zip")},
                "Environment": {"Variables": {"INDEX": i.to_string()}}
            }}),
        );
    }
    json!({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources})
}

fn resource_ids(fragment: &Value) -> Vec<String> {
    fragment["Resources"]
        .as_object()
        .map(|r| r.keys().cloned().collect())
        .unwrap_or_default()
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// What the library answers for the same event, as JSON.
fn in_process(event: &Value) -> Value {
    let (out, _) = answer(
        &serde_json::to_vec(event).unwrap(),
        &MacroEnvironment::default(),
    );
    serde_json::from_slice(&out).unwrap()
}

fn assert_failure(response: &Value, request_id: &str, mentions: &str) {
    assert_eq!(response["status"], "failure", "{response}");
    assert_eq!(response["requestId"], request_id, "{response}");
    let message = response["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains(mentions), "`{mentions}` in: {message}");
}

#[test]
#[ignore = "needs cargo-lambda from .venv: run by scripts/test"]
fn the_deployed_macro_answers_every_event_under_the_lambda_emulator() {
    let started = Instant::now();
    let scratch = scratch("emulator-events");
    let event_file = |name: &str, bytes: &[u8]| write_file(&scratch, name, bytes);
    let mut lambda = Emulator::start();
    let mut requests = 0;

    // A corpus template with functions: instrumented, as the library does it.
    let corpus = event(
        "corpus",
        corpus_fragment(),
        json!({"service": "shop", "env": "prod"}),
    );
    let response = lambda.invoke(&event_file("corpus.json", corpus.to_string().as_bytes()));
    requests += 1;
    assert_eq!(response["status"], "success", "{response}");
    assert_eq!(response["requestId"], "corpus");
    assert_eq!(
        sorted(resource_ids(&response["fragment"])),
        sorted(resource_ids(&corpus["fragment"]))
    );
    assert_ne!(
        response["fragment"], corpus["fragment"],
        "the functions were instrumented"
    );
    assert_eq!(
        response,
        in_process(&corpus),
        "the deployed binary answers as the library"
    );

    // A template that fails validation, with a plain-text API key.
    let invalid = event(
        "invalid",
        corpus_fragment(),
        json!({"site": "nope", "apiKey": API_KEY}),
    );
    let response = lambda.invoke(&event_file("invalid.json", invalid.to_string().as_bytes()));
    requests += 1;
    assert_failure(&response, "invalid", "site");
    assert_eq!(response, in_process(&invalid));

    // JSON that is not a macro event: no fragment, params of the wrong type.
    let not_an_event = json!({"requestId": "not-an-event", "params": "wrong"});
    let response = lambda.invoke(&event_file(
        "not-event.json",
        not_an_event.to_string().as_bytes(),
    ));
    requests += 1;
    assert_failure(&response, "not-an-event", "fragment");
    let wrong_params =
        json!({"requestId": "wrong-params", "fragment": {"Resources": {}}, "params": [API_KEY]});
    let response = lambda.invoke(&event_file(
        "wrong-params.json",
        wrong_params.to_string().as_bytes(),
    ));
    requests += 1;
    assert_failure(&response, "wrong-params", "params");

    // Bytes that are not JSON: text through cargo lambda invoke, and bytes
    // that are not even UTF-8 (which cargo lambda will not send) by a POST.
    let response = lambda.invoke(&event_file("text.txt", b"this is not JSON"));
    requests += 1;
    assert_failure(&response, "", "not valid JSON");
    let body = lambda.post(b"{\"requestId\": \"\xff\xfe\", \x00");
    requests += 1;
    let response: Value = serde_json::from_slice(&body).expect("the answer is JSON");
    assert_failure(&response, "", "not valid JSON");

    // The process kept serving: the next event succeeds.
    let after = event("after-bad-bytes", json!({"Resources": {}}), json!({}));
    let response = lambda.invoke(&event_file("after.json", after.to_string().as_bytes()));
    requests += 1;
    assert_eq!(response["status"], "success", "{response}");
    assert_eq!(response["requestId"], "after-bad-bytes");

    // 500 functions.
    let big = event("five-hundred", five_hundred_functions(), json!({}));
    let response = lambda.invoke(&event_file("big.json", big.to_string().as_bytes()));
    requests += 1;
    assert_eq!(
        response["status"], "success",
        "{}",
        response["errorMessage"]
    );
    assert_eq!(response["requestId"], "five-hundred");
    assert_eq!(
        sorted(resource_ids(&response["fragment"])),
        sorted(resource_ids(&big["fragment"]))
    );
    assert_eq!(response, in_process(&big));
    // cargo lambda invoke prints the answer with its keys sorted; the raw
    // answer is byte for byte the library's, key order included.
    let body = lambda.post(big.to_string().as_bytes());
    requests += 1;
    let (expected, _) = answer(
        &serde_json::to_vec(&big).unwrap(),
        &MacroEnvironment::default(),
    );
    assert!(
        body == expected,
        "the raw answer differs from the library's"
    );

    // The logs: one summary line per request, and no secret anywhere even at
    // RUST_LOG=trace.
    lambda.assert_serving();
    std::thread::sleep(Duration::from_millis(100));
    let function_output = lambda.function.output.text();
    let summaries = function_output
        .lines()
        .filter(|l| l.contains("\"macro request answered\""))
        .count();
    assert_eq!(
        summaries,
        requests,
        "one line per request:\n{}",
        lambda.logs()
    );
    let corpus_line: Value = function_output
        .lines()
        .find(|l| l.contains("\"request_id\":\"corpus\""))
        .and_then(|l| serde_json::from_str(l).ok())
        .expect("the corpus request's line is JSON");
    assert_eq!(corpus_line["status"], "success");
    assert_eq!(corpus_line["functions"], 2, "{corpus_line}");
    assert!(
        corpus_line["span"]["requestId"].is_string(),
        "the AWS request id: {corpus_line}"
    );
    for secret in [API_KEY, DB_PASSWORD] {
        assert!(
            !lambda.logs().contains(secret),
            "a secret reached the logs:\n{}",
            lambda.logs()
        );
    }
    eprintln!(
        "emulator test: {requests} events answered in {:.1?} (emulator start included)",
        started.elapsed()
    );
}
