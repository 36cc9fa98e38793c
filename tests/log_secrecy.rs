//! The deployed macro's logs never hold a secret: requests carrying an API
//! key in `params` and secrets in functions' environments (succeeding,
//! failing on a quoted bad value, malformed) are answered with every log
//! event captured at TRACE, and no secret appears in any line.

use std::io::Write;
use std::sync::{Arc, Mutex};

use dd_serverless_macro::MacroEnvironment;
use dd_serverless_macro::internals::logging;
use dd_serverless_macro::serve::answer_bytes;
use serde_json::{Value, json};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

const API_KEY: &str = "0123456789abcdef0123456789SECRET";
const KMS_KEY: &str = "AQICAHKMSSECRETKMSSECRET";
const DB_PASSWORD: &str = "hunter2-db-SECRET-value";
const GLOBAL_TOKEN: &str = "globals-token-SECRET";
const SITE_DEFAULT_KEY: &str = "site-wide-SECRET-api-key";
const SECRETS: [&str; 5] = [
    API_KEY,
    KMS_KEY,
    DB_PASSWORD,
    GLOBAL_TOKEN,
    SITE_DEFAULT_KEY,
];

/// A writer appending to a shared buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn fragment() -> Value {
    json!({
        "Globals": {"Function": {"Environment": {"Variables": {"TOKEN": GLOBAL_TOKEN}}}},
        "Resources": {
            "Api": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "app.handler",
                    "Code": {"ZipFile": "def handler(e, c): pass"},
                    "Role": "arn:aws:iam::123456789012:role/r",
                    "Environment": {"Variables": {"DB_PASSWORD": DB_PASSWORD}}
                }
            },
            "Worker": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Runtime": "nodejs20.x",
                    "Handler": "index.handler",
                    "CodeUri": ".",
                    "Environment": {"Variables": {"DB_PASSWORD": DB_PASSWORD, "DD_API_KEY": API_KEY}}
                }
            }
        }
    })
}

fn event(request_id: &str, params: Value) -> Value {
    json!({
        "region": "us-east-1",
        "accountId": "123456789012",
        "transformId": "123456789012::DatadogServerless",
        "requestId": request_id,
        "fragment": fragment(),
        "params": params,
        "templateParameterValues": {"DbPassword": DB_PASSWORD}
    })
}

#[test]
fn no_secret_reaches_any_log_line() {
    let requests = [
        event("ok", json!({"apiKey": API_KEY})),
        event("kms", json!({"apiKMSKey": KMS_KEY, "env": "prod"})),
        // Errors whose messages quote the bad values.
        event("bad-site", json!({"apiKey": API_KEY, "site": API_KEY})),
        event("two-keys", json!({"apiKey": API_KEY, "apiKMSKey": KMS_KEY})),
        event("unknown", json!({"apiKye": API_KEY})),
        event(
            "wrong-type",
            json!({"apiKey": API_KEY, "enableDDTracing": DB_PASSWORD}),
        ),
        // Malformed events.
        json!({"requestId": "no-fragment", "params": {"apiKey": API_KEY}}),
        json!({"requestId": "params-list", "fragment": fragment(), "params": [API_KEY]}),
        json!([API_KEY, DB_PASSWORD]),
    ];
    let environment = MacroEnvironment::from_pairs([("DD_API_KEY", SITE_DEFAULT_KEY)]);
    let buffer = Buffer::default();
    let subscriber = logging::subscriber(EnvFilter::new("trace"), buffer.clone());
    let statuses: Vec<String> = tracing::subscriber::with_default(subscriber, || {
        logging::log_start(&environment);
        requests
            .iter()
            .map(|raw| {
                let answer = answer_bytes(&serde_json::to_vec(raw).unwrap(), &environment);
                let response: Value = serde_json::from_slice(&answer).unwrap();
                response["status"].as_str().unwrap().to_string()
            })
            .collect()
    });

    // The requests did what they are meant to (or the test proves nothing).
    assert_eq!(statuses[2..].iter().filter(|s| *s == "failure").count(), 7);

    let output = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    // Warnings have a line each (SPEC §12: they reach the macro's log).
    let (warning_lines, lines): (Vec<&str>, Vec<&str>) = output
        .lines()
        .partition(|l| l.contains("\"transform warning\""));
    assert_eq!(
        lines.len(),
        1 + requests.len(),
        "one start line and one line per request:\n{output}"
    );
    assert!(
        warning_lines
            .iter()
            .any(|l| l.contains("\"request_id\":\"ok\"") && l.contains("plain text")),
        "the plain-text apiKey warning of request `ok` is logged:\n{output}"
    );
    for line in &warning_lines {
        for secret in SECRETS {
            assert!(
                !line.contains(secret),
                "a secret ({secret}) reached the log: {line}"
            );
        }
    }
    for line in &lines {
        let parsed: Value = serde_json::from_str(line).expect("every line is JSON");
        assert!(parsed.get("level").is_some(), "{line}");
        for secret in SECRETS {
            assert!(
                !line.contains(secret),
                "a secret ({secret}) reached the log: {line}"
            );
        }
    }
    // The lines say what happened, by id.
    let ok: Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(ok["request_id"], "ok");
    assert_eq!(ok["transform_id"], "123456789012::DatadogServerless");
    assert_eq!(ok["status"], statuses[0].as_str());
    let bad_site: Value = serde_json::from_str(lines[3]).unwrap();
    assert_eq!(bad_site["status"], "failure");
    assert_eq!(bad_site["level"], "WARN");
    assert!(bad_site["errors"].as_u64().unwrap() >= 1);
    assert!(
        lines[0].contains("DD_API_KEY"),
        "the start line names the default set"
    );
}
