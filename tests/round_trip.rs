//! Issue 17's round trip: `uninstrument(transform(T)) == T`, as values, for
//! every corpus template (the SAM inputs and their translated outputs),
//! every template fixture and every example, under four parameter sets:
//! library layers only; the Extension with a secret ARN, X-Ray and
//! CloudWatch Logs denied; both Forwarders (log groups, subscriptions,
//! API Gateway execution logs, permissions, state machines); a plain-text API
//! key (a secret the record must never hold). `T` here is the template
//! less our `Transform` entry, which the bake takes out and uninstrument
//! does not put back (it would instrument the stack again at deployment).
//!
//! For each template whose dry run succeeds:
//! - uninstrument gives `T` back with no warning;
//! - a second bake of the baked template with the same parameters gives
//!   the same template, record included, and uninstrument still gives `T`
//!   (the record keeps the earliest value before);
//! - the record holds no secret;
//! - uninstrument on `T` itself (never baked) changes nothing.
//!
//! In this process, on values: the text of the user's file through the
//! CLI is `tests/cli.rs`'s and the edit engine's (`tests/edit_in_place.rs`).

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use dd_serverless_macro::MacroEnvironment;
use dd_serverless_macro::dry_run::{self, DEFAULT_TRANSFORM_NAME};
use dd_serverless_macro::internals::record;
use dd_serverless_macro::template;
use serde_json::Value;

/// A plain-text API key: it must appear nowhere in a record.
const API_KEY: &str = "0123456789abcdef0123456789abcdef";

/// The parameter sets every template is baked with.
const PARAMETER_SETS: &[(&str, &[(&str, &str)])] = &[
    (
        "library layers",
        &[("addLayers", "true"), ("addExtension", "false")],
    ),
    (
        "extension, secret, x-ray",
        &[
            ("addExtension", "true"),
            (
                "apiKeySecretArn",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:dd-api-key-AbCdEf",
            ),
            ("enableXrayTracing", "true"),
            ("disableCloudWatchLogs", "true"),
        ],
    ),
    (
        "forwarders",
        &[
            ("addExtension", "false"),
            (
                "forwarderArn",
                "arn:aws:lambda:us-east-1:123456789012:function:forwarder",
            ),
            (
                "stepFunctionForwarderArn",
                "arn:aws:lambda:us-east-1:123456789012:function:sf-forwarder",
            ),
            ("subscribeToExecutionLogs", "true"),
            ("createForwarderPermissions", "true"),
            ("service", "shop"),
            ("tags", "team:a,cost:b"),
        ],
    ),
    (
        "plain api key",
        &[("apiKey", API_KEY), ("env", "test"), ("version", "1.2")],
    ),
];

/// The template as the bake leaves what it did not change: without our
/// `Transform` entry.
fn without_our_entry(template: &Value) -> Value {
    let mut fragment = template.clone();
    if let Some(map) = fragment.as_object_mut() {
        map.remove("Transform");
    }
    dry_run::finish(template, fragment, DEFAULT_TRANSFORM_NAME)
}

/// Every template, read once for all the tests: the corpus's inputs and
/// outputs, the fixtures, the examples.
fn templates() -> &'static [(PathBuf, Value)] {
    static TEMPLATES: OnceLock<Vec<(PathBuf, Value)>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let mut files: Vec<PathBuf> = ["input", "output"]
            .into_iter()
            .flat_map(common::corpus_files)
            .collect();
        for dir in ["cli", "forwarder", "lambda", "sam", "stepfn"] {
            files.extend(common::fixture_files(dir));
        }
        for example in [
            "examples/sam-app/template.yaml",
            "examples/cdk/ShopStack.template.json",
            "examples/serverless-framework/.serverless/cloudformation-template-update-stack.json",
        ] {
            files.push(common::repo_root().join(example));
        }
        files
            .into_iter()
            .map(|path| {
                let text = std::fs::read_to_string(&path).unwrap();
                let (template, _) =
                    template::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                (path, template)
            })
            .collect()
    })
}

/// Checks one template under one parameter set; whether its dry run succeeded.
fn round_trip(path: &Path, template: &Value, set: &str, params: &[(&str, &str)]) -> bool {
    let name = format!("{} ({set})", path.display());
    let env = MacroEnvironment::default();
    let options = common::dry_run_options(params, "round-trip");
    let Ok(outcome) = dry_run::run(template, &options, &env) else {
        return false; // a Ref the parameters cannot resolve
    };
    let Some(baked) = outcome.output else {
        return false;
    };
    let expected = without_our_entry(template);
    let undone = record::uninstrument(&baked).unwrap_or_else(|e| panic!("{name}: {e}"));
    if baked != expected {
        assert!(
            undone.recorded,
            "{name}: the bake changed it but wrote no record"
        );
    }
    assert_eq!(undone.warnings, Vec::<String>::new(), "{name}");
    if undone.template != expected {
        let dump = common::scratch_file("round_trip", &format!("{}.json", common::stem(path)));
        common::write_json(
            &dump,
            &serde_json::json!({"expected": expected, "baked": baked, "undone": undone.template}),
        );
        panic!(
            "{name}: uninstrument did not give the template back (all three in {})",
            dump.display()
        );
    }
    let record = baked
        .pointer("/Metadata/DatadogServerless/Added")
        .map(Value::to_string)
        .unwrap_or_default();
    assert!(
        !record.contains(API_KEY),
        "{name}: the record holds the API key"
    );
    // Baked again, with the same parameters: a fixture's own are in its
    // Transform entry, which the bake took out.
    let mut again = baked.clone();
    if let Some(transform) = template.get("Transform") {
        again["Transform"] = transform.clone();
    }
    let again = dry_run::run(&again, &options, &env)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .output
        .unwrap_or_else(|| panic!("{name}: the second bake failed"));
    assert_eq!(again, baked, "{name}: the second bake changed the template");
    let undone = record::uninstrument(&again).unwrap();
    assert_eq!(undone.template, expected, "{name}: after two bakes");
    true
}

/// Checks every template under the parameter set `index`; the sets are
/// separate tests, which run side by side.
fn round_trips(index: usize) {
    let (set, params) = PARAMETER_SETS[index];
    let mut baked = 0;
    for (path, template) in templates() {
        baked += usize::from(round_trip(path, template, set, params));
    }
    assert!(
        templates().len() > 1100,
        "only {} templates",
        templates().len()
    );
    assert!(baked > 700, "{set}: only {baked} bakes succeeded");
}

#[test]
fn library_layers_round_trip() {
    round_trips(0);
}

#[test]
fn extension_secret_and_xray_round_trip() {
    round_trips(1);
}

#[test]
fn forwarders_round_trip() {
    round_trips(2);
}

#[test]
fn a_plain_api_key_round_trips_and_stays_out_of_the_record() {
    round_trips(3);
}

/// Uninstrument on a template no bake touched changes nothing.
#[test]
fn never_baked_templates_do_not_change() {
    for (path, template) in templates() {
        let untouched = record::uninstrument(template).unwrap();
        assert!(!untouched.recorded, "{}", path.display());
        assert_eq!(&untouched.template, template, "{}", path.display());
        assert!(untouched.warnings.is_empty(), "{}", path.display());
    }
}
