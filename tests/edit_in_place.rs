//! Dry runs that edit the user's file (`dd_serverless_macro::edit`), through
//! the CLI's `transform` command with `--diff -o FILE`, on every YAML input
//! of the SAM translator corpus (`fixtures/sam-translator/input`), every
//! example and every template fixture, with two parameter sets (the
//! extension with X-Ray and Step Functions logging; the Forwarder, which adds
//! log groups, subscription filters, their permissions and tags). For each input whose dry run
//! succeeds:
//! - the template written reads as the same value as today's full rendering;
//! - every input line outside the sections and resources the transform
//!   changed is in it, unchanged;
//! - the real `patch -p0` applied to the input with the diff gives it, byte
//!   for byte (the diff names the input as the command was given it);
//! - editing it again with a value diff of nothing changes nothing.
//!
//! The inputs that fall back to the full rendering (a note on standard
//! error says so) are counted and must be the few whose change goes through
//! a YAML alias or merge key; their diff must apply too.
//!
//! The fast tier calls the command in this process
//! (`dry_run::command::transform`, which `main` calls with the parsed
//! arguments); the full tier runs the binary itself on every input too.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dd_serverless_macro::dry_run::command::{self, RegionSource, TransformCommand};
use dd_serverless_macro::dry_run::input::Input;
use dd_serverless_macro::dry_run::{self, DryRunOptions};
use dd_serverless_macro::internals::edit::{self, Construct};
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
            ("subscribeToExecutionLogs", "true"),
            ("createForwarderPermissions", "true"),
        ],
    ),
];

fn options(params: &[(&str, &str)]) -> DryRunOptions {
    common::dry_run_options(params, "edit-test")
}

/// Today's full dry run: the template the CLI renders, or `None` when the
/// transform refuses the input.
fn dry_run(before: &Value, params: &[(&str, &str)]) -> Option<Value> {
    let options = options(params);
    let prepared = dry_run::prepare(before, &options).ok()?;
    let (response, _) = handle_with_report(prepared.request, &MacroEnvironment::default());
    response
        .is_success()
        .then(|| dry_run::bake(before, response.fragment, &options.transform_name).unwrap())
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

/// What a dry run through the CLI wrote: the template (`-o`), the diff
/// (standard output) and standard error; `None` when it failed (exit 1).
struct Written {
    template: String,
    diff: String,
    stderr: String,
}

/// Runs `transform INPUT --diff -o OUTPUT --param...` (`input` relative to
/// the repository root, which is the directory tests run in).
type Runner = fn(&Path, &[(&str, &str)], &Path) -> Option<Written>;

/// The command, called in this process as `main` calls it.
fn in_process(input: &Path, params: &[(&str, &str)], output: &Path) -> Option<Written> {
    let command = TransformCommand {
        input: Input::File(input.to_path_buf()),
        options: options(params),
        region_source: RegionSource::Flag,
        format: None,
        output: Some(output.to_path_buf()),
        diff: true,
        color: anstream::ColorChoice::Never,
        report: None,
        report_file: None,
        strict: false,
    };
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let environment = MacroEnvironment::default();
    let result = command::transform(&command, &environment, &mut stdout, &mut stderr);
    let stderr = String::from_utf8(stderr).unwrap();
    match result {
        Ok(()) => Some(Written {
            template: std::fs::read_to_string(output).unwrap(),
            diff: String::from_utf8(stdout).unwrap(),
            stderr,
        }),
        Err(failure) if failure.exit_code() == 1 => None,
        Err(failure) => panic!("{}: {failure}\n{stderr}", input.display()),
    }
}

/// The binary, with the same arguments.
fn binary(input: &Path, params: &[(&str, &str)], output: &Path) -> Option<Written> {
    let options = options(params);
    let mut args = vec![
        "transform".to_string(),
        input.to_string_lossy().into_owned(),
        "--diff".into(),
        "-o".into(),
        output.to_string_lossy().into_owned(),
        "--region".into(),
        options.region,
        "--account-id".into(),
        options.account_id,
        "--stack-name".into(),
        options.stack_name,
    ];
    for (key, value) in params {
        args.extend(["--param".to_string(), format!("{key}={value}")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = common::run(&args, b"");
    match run.status.code() {
        Some(0) => Some(Written {
            template: std::fs::read_to_string(output).unwrap(),
            diff: common::stdout(&run),
            stderr: common::stderr(&run),
        }),
        Some(1) => None,
        _ => panic!("{}: {run:?}", input.display()),
    }
}

#[derive(Default)]
struct Tally {
    edited: usize,
    unchanged: usize,
    refused: usize,
    fallbacks: Vec<String>,
    /// Fallbacks for another reason than an alias, an anchor or a merge key.
    unexpected: Vec<String>,
}

/// The note of a run that wrote the full rendering.
const FALLBACK_NOTE: &str = "the file cannot be edited in place";

/// Runs every input with every parameter set through `run` (the inputs
/// shared among threads) and checks what it wrote.
fn check_every_input(scratch: &str, run: Runner) {
    let dir = common::scratch(scratch);
    let inputs = inputs();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut tally = Tally::default();
    std::thread::scope(|scope| {
        let workers: Vec<_> = inputs
            .chunks(inputs.len().div_ceil(threads))
            .map(|paths| {
                let dir = &dir;
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    for path in paths {
                        check_input(path, dir, run, &mut tally);
                    }
                    tally
                })
            })
            .collect();
        for worker in workers {
            let part = worker.join().expect("a worker failed: its panic is above");
            tally.edited += part.edited;
            tally.unchanged += part.unchanged;
            tally.refused += part.refused;
            tally.fallbacks.extend(part.fallbacks);
            tally.unexpected.extend(part.unexpected);
        }
    });
    assert!(
        tally.unexpected.is_empty(),
        "{} fallbacks for another reason than an alias, an anchor or a merge key:\n{}",
        tally.unexpected.len(),
        tally.unexpected.join("\n")
    );
    eprintln!(
        "edited {}, unchanged {}, refused by the transform {}, fell back {}",
        tally.edited,
        tally.unchanged,
        tally.refused,
        tally.fallbacks.len()
    );
    for case in &tally.fallbacks {
        eprintln!("  {case}");
    }
    // A floor, so that a change refusing most inputs cannot pass quietly: 836
    // edited once the Extension became an error on runtimes without the
    // Extensions API (python2.7, nodejs8.10...), which refuses 130 runs.
    assert!(tally.edited > 800, "{} edited", tally.edited);
    assert!(tally.fallbacks.len() <= 10, "{:?}", tally.fallbacks);
}

/// Runs one input with every parameter set through `run`, its files in
/// `dir`, and checks what it wrote.
fn check_input(path: &Path, dir: &Path, run: Runner, tally: &mut Tally) {
    let text = std::fs::read_to_string(path).unwrap();
    let Ok((before, format)) = template::parse(&text) else {
        return;
    };
    if !before.get("Resources").is_some_and(Value::is_object) {
        return;
    }
    let relative = path.strip_prefix(common::repo_root()).unwrap();
    let name = relative.to_string_lossy().replace('/', "__");
    for (set, params) in PARAMETER_SETS {
        let output = dir.join(format!("{set}__{name}"));
        let after = dry_run(&before, params);
        let Some(written) = run(relative, params, &output) else {
            assert_eq!(after, None, "{name} ({set}): only the CLI failed");
            tally.refused += 1;
            continue;
        };
        let after = after.unwrap_or_else(|| panic!("{name} ({set}): only the CLI succeeded"));
        // (a) the same value as today's rendering.
        let (reread, _) = template::parse(&written.template).unwrap();
        assert_eq!(reread, after, "{name} ({set})");
        // (c) the diff applies with `patch`, to a copy of the input at
        // the place its header names.
        let copy = dir.join(set).join(relative);
        std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
        std::fs::write(&copy, &text).unwrap();
        if !written.diff.is_empty() {
            common::patch_p0(&dir.join(set), &written.diff);
        }
        assert_eq!(
            std::fs::read_to_string(&copy).unwrap(),
            written.template,
            "{name} ({set}): the diff does not give the output\n{}",
            written.diff
        );
        if written.stderr.contains(FALLBACK_NOTE) {
            let note = written.stderr.lines().find(|l| l.contains(FALLBACK_NOTE));
            let note = note.unwrap().to_string();
            let expected = ["YAML alias", "YAML anchor", "merge key"];
            if !expected.iter().any(|construct| note.contains(construct)) {
                tally.unexpected.push(format!("{name} ({set}): {note}"));
            }
            assert_eq!(
                written.template,
                template::to_string(&after, format),
                "{name} ({set})"
            );
            tally.fallbacks.push(format!("{name} ({set}): {note}"));
            continue;
        }
        if before == after {
            assert_eq!(written.template, text, "{name} ({set})");
            tally.unchanged += 1;
            continue;
        }
        tally.edited += 1;
        assert!(
            written
                .diff
                .lines()
                .filter(|l| l.starts_with("@@"))
                .all(|l| !l.ends_with("@@")),
            "{name} ({set}): a hunk names nothing\n{}",
            written.diff
        );
        // (b) what the transform did not change is kept, line for line.
        let (sections, resources) = changed(&before, &after);
        let owners = line_owners(&text, format);
        let diff = TextDiff::from_lines(text.as_str(), written.template.as_str());
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
        // Idempotent: the output, read again, is left byte for byte.
        let again = edit::edit(&written.template, format, &reread, &after).unwrap();
        assert_eq!(again.text(), written.template, "{name} ({set})");
    }
}

#[test]
fn every_input_is_edited_in_place_and_the_diff_applies() {
    check_every_input("edit_in_place", in_process);
}

#[test]
#[ignore = "runs the binary 1,182 times (about 10 s): the full tier runs it; the test above calls the same command in-process"]
fn every_input_is_edited_in_place_by_the_binary() {
    check_every_input("edit_in_place_binary", binary);
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
            // The bake's record (a new Metadata section) comes last, close
            // enough to share the hunk.
            "@@ -13,11 +10,56 @@ Resources.OrdersFunction, Metadata"
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
