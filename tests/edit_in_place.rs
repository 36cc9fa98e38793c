//! Dry runs that edit the user's file (`dd_serverless_macro::edit`), on every
//! YAML input of the SAM translator corpus (`fixtures/sam-translator/input`),
//! every example and every template fixture, with two parameter sets (the
//! extension with X-Ray and Step Functions logging; the Forwarder, which adds
//! log groups, subscription filters and tags). For each input whose dry run
//! succeeds:
//! - the edited text reads as the same value as today's full rendering;
//! - every input line outside the sections and resources the transform
//!   changed is in the output, unchanged;
//! - the real `patch` applied to the input with the diff gives the output;
//! - editing the output again with a value diff of nothing changes nothing.
//!
//! The inputs that fall back to the full rendering are counted and must be
//! the few whose change goes through a YAML alias or merge key.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use dd_serverless_macro::dry_run::{self, DryRunOptions};
use dd_serverless_macro::edit::{self, Construct};
use dd_serverless_macro::template::{self, Format};
use dd_serverless_macro::{MacroEnvironment, handle_with_report};
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

/// The parameter sets every input is run with.
const PARAMETER_SETS: &[(&str, &[(&str, &str)])] = &[
    (
        "extension",
        &[
            ("addLayers", "true"),
            ("addExtension", "true"),
            ("enableXrayTracing", "true"),
            (
                "apiKeySecretArn",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:dd-api-key-AbCdEf",
            ),
            ("service", "corpus"),
            ("env", "test"),
            (
                "stepFunctionForwarderArn",
                "arn:aws:lambda:us-east-1:123456789012:function:forwarder",
            ),
        ],
    ),
    (
        "forwarder",
        &[
            ("addExtension", "false"),
            (
                "forwarderArn",
                "arn:aws:lambda:us-east-1:123456789012:function:forwarder",
            ),
            ("service", "corpus"),
            ("env", "test"),
            ("version", "1.2.3"),
            ("tags", "team:serverless,cost-center:42"),
        ],
    ),
];

fn options(params: &[(&str, &str)]) -> DryRunOptions {
    DryRunOptions {
        transform_name: dry_run::DEFAULT_TRANSFORM_NAME.into(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        stack_name: "edit-test".into(),
        ..Default::default()
    }
}

/// Today's full dry run: the template the CLI renders, or `None` when the
/// transform refuses the input.
fn dry_run(before: &Value, params: &[(&str, &str)]) -> Option<Value> {
    let options = options(params);
    let prepared = dry_run::prepare(before, &options).ok()?;
    let (response, _) = handle_with_report(prepared.request, &MacroEnvironment::default());
    response
        .is_success()
        .then(|| dry_run::finish(before, response.fragment, &options.transform_name))
}

/// The inputs: the corpus's YAML inputs, the examples and the fixtures.
fn inputs() -> Vec<PathBuf> {
    let corpus = common::repo_root().join("fixtures/sam-translator/input");
    assert!(
        corpus.is_dir(),
        "the SAM translator corpus is missing at {}",
        corpus.display()
    );
    let mut files = Vec::new();
    collect(&corpus, &mut files);
    let corpus_count = files.len();
    assert!(corpus_count > 500, "{corpus_count} corpus inputs");
    for dir in ["examples", "fixtures"] {
        collect(&common::repo_root().join(dir), &mut files);
    }
    files.sort();
    files.dedup();
    files
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if !path.ends_with("sam-translator") {
                collect(&path, files);
            }
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) && !path.to_string_lossy().ends_with(".options.json")
        {
            files.push(path);
        }
    }
}

/// For each line of a template text, its section and (in `Resources`) its
/// resource, read from indentation alone: an account of the text that does
/// not use the editor's.
fn line_owners(text: &str, format: Format) -> Vec<(Option<String>, Option<String>)> {
    let key_of = |body: &str| -> Option<String> {
        match format {
            Format::Json => {
                let rest = body.strip_prefix('"')?;
                let end = rest.find('"')?;
                rest[end + 1..]
                    .trim_start()
                    .starts_with(':')
                    .then(|| rest[..end].to_string())
            }
            Format::Yaml => {
                if body.starts_with(['#', '-', '{', '[', '}', ']']) {
                    return None;
                }
                let end = body
                    .find(": ")
                    .or_else(|| body.ends_with(':').then(|| body.len() - 1))?;
                Some(body[..end].trim_matches(['"', '\'']).to_string())
            }
        }
    };
    let mut owners = Vec::new();
    let (mut section_indent, mut entry_indent) = (None, None);
    let (mut section, mut entry): (Option<String>, Option<String>) = (None, None);
    for line in text.lines() {
        let body = line.trim_start();
        let indent = line.len() - body.len();
        if let Some(key) = key_of(body) {
            match (section_indent, entry_indent) {
                (None, _) => {
                    section_indent = Some(indent);
                    section = Some(key);
                }
                (Some(s), _) if indent == s => {
                    section = Some(key);
                    entry = None;
                    entry_indent = None;
                }
                (Some(s), None) if indent > s => {
                    entry_indent = Some(indent);
                    entry = Some(key);
                }
                (Some(_), Some(e)) if indent == e => entry = Some(key),
                _ => {}
            }
        }
        owners.push((section.clone(), entry.clone()));
    }
    owners
}

/// The sections, and the resources, whose values differ.
fn changed(before: &Value, after: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let keys = |v: &Value| -> BTreeSet<String> {
        v.as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let differ = |a: &Value, b: &Value| -> BTreeSet<String> {
        keys(a)
            .union(&keys(b))
            .filter(|k| a.get(k.as_str()) != b.get(k.as_str()))
            .cloned()
            .collect()
    };
    let sections = differ(before, after);
    let resources = differ(&before["Resources"], &after["Resources"]);
    (sections, resources)
}

/// Applies `diff` to a copy of `input` with the real `patch -p0`.
fn patched(dir: &Path, name: &str, input: &str, diff: &str) -> String {
    let file = common::write_file(dir, name, input);
    let mut child = Command::new("patch")
        .args(["-p0", "--quiet", "--no-backup-if-mismatch", "--force"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the `patch` program runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(diff.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "patch failed on {name}: {}{}\n{diff}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read_to_string(file).unwrap()
}

#[derive(Default)]
struct Tally {
    edited: usize,
    unchanged: usize,
    refused: usize,
    fallbacks: BTreeMap<String, Vec<String>>,
}

#[test]
fn every_input_is_edited_in_place_and_the_diff_applies() {
    let dir = common::scratch("edit_in_place");
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for path in inputs() {
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok((before, format)) = template::parse(&text) else {
            continue;
        };
        if !before.get("Resources").is_some_and(Value::is_object) {
            continue;
        }
        let name = path
            .strip_prefix(common::repo_root())
            .unwrap()
            .to_string_lossy()
            .replace('/', "__");
        for (set, params) in PARAMETER_SETS {
            let Some(after) = dry_run(&before, params) else {
                tally.refused += 1;
                continue;
            };
            let edited = match edit::edit(&text, format, &before, &after) {
                Ok(edited) => edited,
                Err(fallback) => {
                    if !matches!(
                        fallback.construct,
                        Construct::Alias(_) | Construct::Anchor(_) | Construct::MergeKey
                    ) {
                        failures.push(format!("{name} ({set}): {fallback}"));
                        continue;
                    }
                    tally
                        .fallbacks
                        .entry(fallback.construct.to_string())
                        .or_default()
                        .push(format!("{name} ({set}): {fallback}"));
                    continue;
                }
            };
            if before == after {
                assert_eq!(edited.text(), text, "{name} ({set})");
                tally.unchanged += 1;
                continue;
            }
            tally.edited += 1;
            // (a) the same value as today's rendering.
            let (reread, _) = template::parse(edited.text()).unwrap();
            assert_eq!(reread, after, "{name} ({set})");
            // (b) what the transform did not change is kept, line for line.
            let (sections, resources) = changed(&before, &after);
            let owners = line_owners(&text, format);
            let diff = TextDiff::from_lines(text.as_str(), edited.text());
            for change in diff.iter_all_changes() {
                if change.tag() != ChangeTag::Delete {
                    continue;
                }
                let line = change.old_index().unwrap();
                let (section, entry) = &owners[line];
                let allowed = match (section.as_deref(), entry) {
                    (Some("Resources"), Some(resource)) => resources.contains(resource),
                    (Some(section), _) => sections.contains(section),
                    (None, _) => false,
                };
                assert!(
                    allowed,
                    "{name} ({set}): line {} changed outside what the transform changed: {:?}",
                    line + 1,
                    change.value()
                );
            }
            // (c) the diff applies with `patch`.
            let file_name = format!("{set}__{name}");
            let unified = edit::unified_diff(&text, &edited, &file_name, &file_name);
            assert!(
                unified
                    .lines()
                    .filter(|l| l.starts_with("@@"))
                    .all(|l| !l.ends_with("@@")),
                "{name} ({set}): a hunk names nothing\n{unified}"
            );
            assert_eq!(
                patched(&dir, &file_name, &text, &unified),
                edited.text(),
                "{name} ({set})"
            );
            // Idempotent: the output, read again, is left byte for byte.
            let again = edit::edit(edited.text(), format, &reread, &after).unwrap();
            assert_eq!(again.text(), edited.text(), "{name} ({set})");
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let fallbacks: usize = tally.fallbacks.values().map(Vec::len).sum();
    eprintln!(
        "edited {}, unchanged {}, refused by the transform {}, fell back {fallbacks}",
        tally.edited, tally.unchanged, tally.refused
    );
    for (why, cases) in &tally.fallbacks {
        eprintln!("{} × {why}", cases.len());
        for case in cases {
            eprintln!("  {case}");
        }
    }
    // A floor, so that a change refusing most inputs cannot pass quietly: 836
    // edited once the Extension became an error on runtimes without the
    // Extensions API (python2.7, nodejs8.10...), which refuses 130 runs.
    assert!(tally.edited > 800, "{} edited", tally.edited);
    assert!(fallbacks <= 10, "{fallbacks} fallbacks");
}

/// A commented SAM template, as people write them.
const COMMENTED: &str = "\
AWSTemplateFormatVersion: '2010-09-09'
Transform:
  - AWS::Serverless-2016-10-31
  # Datadog: layers, handler redirect and tracing
  - Name: DatadogServerless
    Parameters:
      service: orders

Resources:
  # Reads orders from the table.
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      # the entry point: keep it in sync with src/app.py
      Handler: app.handler
      Runtime: python3.12   # 3.13 once the layer is out
      Environment:
        Variables:
          TABLE: !Ref Orders

  Orders:
    Type: AWS::Serverless::SimpleTable
";

#[test]
fn comments_above_the_handler_and_around_the_function_survive() {
    let (before, format) = template::parse(COMMENTED).unwrap();
    let after = dry_run(&before, PARAMETER_SETS[0].1).unwrap();
    let edited = edit::edit(COMMENTED, format, &before, &after).unwrap();
    let text = edited.text();
    assert!(
        text.contains(
            "      # the entry point: keep it in sync with src/app.py\n      Handler: datadog_lambda.handler.handler\n      Runtime: python3.12   # 3.13 once the layer is out\n"
        ),
        "{text}"
    );
    for line in COMMENTED
        .lines()
        .filter(|l| l.trim_start().starts_with('#'))
    {
        assert!(text.lines().any(|l| l == line), "lost {line:?}:\n{text}");
    }
    assert!(
        text.contains("          TABLE: !Ref Orders\n          DD_LAMBDA_HANDLER: app.handler\n"),
        "{text}"
    );
    let diff = edit::unified_diff(COMMENTED, &edited, "template.yaml", "template.yaml");
    let headers: Vec<&str> = diff.lines().filter(|l| l.starts_with("@@")).collect();
    assert_eq!(
        headers,
        [
            "@@ -2,9 +2,6 @@ Transform",
            "@@ -13,11 +10,44 @@ Resources.OrdersFunction"
        ],
        "{diff}"
    );
}

#[test]
fn shared_properties_fall_back_naming_the_anchor_or_merge_key() {
    let anchored = "\
Resources:
  A:
    Type: AWS::Lambda::Function
    Properties: &function
      Runtime: python3.12
      Handler: app.handler
  B:
    Type: AWS::Lambda::Function
    Properties: *function
";
    let merged = "\
Defaults:
  Function: &defaults
    Runtime: python3.12
    Handler: app.handler
Resources:
  A:
    Type: AWS::Lambda::Function
    Properties:
      <<: *defaults
      MemorySize: 512
";
    for (text, construct, message) in [
        (
            anchored,
            Construct::Anchor("function".into()),
            "the file cannot be edited in place at `Resources.A.Properties` (line 4): the change is inside the YAML anchor `&function`, which an alias repeats",
        ),
        (
            merged,
            Construct::MergeKey,
            "the file cannot be edited in place at `Resources.A.Properties.Handler` (line 9): the changed key comes from a `<<` merge key",
        ),
    ] {
        let (before, format) = template::parse(text).unwrap();
        let after = dry_run(&before, PARAMETER_SETS[0].1).unwrap();
        let fallback = edit::edit(text, format, &before, &after).unwrap_err();
        assert_eq!(fallback.construct, construct);
        assert_eq!(fallback.to_string(), message);
    }
}
