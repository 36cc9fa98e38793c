//! The `dd-serverless-macro` binary, run for real: `transform --diff`,
//! `--report text|json`, `--report-file`, `--strict`, secret masking, exit
//! codes, the CDK / Serverless Framework examples of the README, and
//! `uninstrument`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{repo_root, run_with_env, scratch_file, venv_tool};

const SAM_APP: &str = "examples/sam-app/template.yaml";
const WARNINGS: &str = "fixtures/cli/warnings.yaml";
const CDK: &str = "examples/cdk/ShopStack.template.json";
const SERVERLESS: &str =
    "examples/serverless-framework/.serverless/cloudformation-template-update-stack.json";

/// The parameters the README passes for the Serverless Framework example.
const SERVERLESS_PARAMS: [&str; 4] = [
    "--param",
    "apiKeySecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:datadog-api-key-AbCdEf",
    "--param",
    "extensionLayerVersion=99",
];

/// The API key written in plain text in fixtures/cli/warnings.yaml.
const FIXTURE_API_KEY: &str = "3f1c2a9b8e7d6c5b4a39281706f5e4d3";

/// What a run of the binary gave.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary in the repository root with a clean environment (no
/// `DD_*` or `AWS_*` variables from the developer's shell), plus `env`.
fn run_with(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let output = run_with_env(args, env, stdin.unwrap_or_default().as_bytes());
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn run(args: &[&str]) -> Run {
    run_with(args, &[], None)
}

/// `transform TEMPLATE --region us-east-1 EXTRA...`, the dry run most tests
/// make.
fn transform(template: &str, extra: &[&str]) -> Run {
    let mut args = vec!["transform", template, "--region", "us-east-1"];
    args.extend(extra);
    run(&args)
}

impl Run {
    /// Asserts the exit code; returns the run.
    #[track_caller]
    fn exited(self, code: i32) -> Run {
        assert_eq!(self.code, code, "{self:?}");
        self
    }
}

/// Asserts that `text` starts with `prefix`, showing `text` if not.
#[track_caller]
fn assert_starts_with(text: &str, prefix: &str) {
    assert!(text.starts_with(prefix), "{text}");
}

/// A fresh path under Cargo's scratch directory for integration tests.
fn scratch(name: &str) -> PathBuf {
    scratch_file("cli-tests", name)
}

/// The JSON report with this build's version replaced, for snapshots.
fn redact_version(json: &str) -> String {
    json.replace(
        &format!("\"macroVersion\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"macroVersion\": \"[version]\"",
    )
}

fn parse_json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

// ---------------------------------------------------------------- snapshots

#[test]
fn sam_app_diff() {
    let r = transform(SAM_APP, &["--diff"]).exited(0);
    assert_eq!(r.stderr, "");
    assert!(!r.stdout.contains('\x1b'), "piped output is not coloured");
    insta::assert_snapshot!("sam_app_diff", r.stdout);
}

#[test]
fn sam_app_report_text() {
    let r = transform(SAM_APP, &["--report", "text"]).exited(0);
    assert!(
        r.stdout.starts_with("AWSTemplateFormatVersion"),
        "the template still goes to stdout"
    );
    insta::assert_snapshot!("sam_app_report_text", r.stderr);
}

#[test]
fn sam_app_report_json() {
    let r = transform(SAM_APP, &["--report", "json"]).exited(0);
    let report = parse_json(&r.stderr);
    assert_eq!(report["schemaVersion"], 1);
    assert_eq!(report["status"], "success");
    insta::assert_snapshot!("sam_app_report_json", redact_version(&r.stderr));
}

#[test]
fn warnings_diff() {
    let r = transform(WARNINGS, &["--diff"]).exited(0);
    insta::assert_snapshot!("warnings_diff", r.stdout);
    insta::assert_snapshot!("warnings_stderr", r.stderr);
}

#[test]
fn warnings_report_text() {
    let r = transform(WARNINGS, &["--report", "text"]).exited(0);
    insta::assert_snapshot!("warnings_report_text", r.stderr);
}

#[test]
fn warnings_report_json() {
    let r = transform(WARNINGS, &["--report", "json"]).exited(0);
    let report = parse_json(&r.stderr);
    assert!(!report["warnings"].as_array().unwrap().is_empty());
    insta::assert_snapshot!("warnings_report_json", redact_version(&r.stderr));
}

// ------------------------------------------------------------ warnings, strict

#[test]
fn warnings_are_one_line_each_and_name_their_resource() {
    let r = transform(WARNINGS, &[]).exited(0);
    let report = parse_json(&transform(WARNINGS, &["--report", "json"]).stderr);
    let warnings = report["warnings"].as_array().unwrap();
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), warnings.len(), "{}", r.stderr);
    for (line, warning) in lines.iter().zip(warnings) {
        assert!(line.starts_with("warning: "), "{line}");
        if let Some(id) = warning["resource"].as_str() {
            assert!(line.contains(id), "`{line}` does not name {id}");
        }
    }
}

#[test]
fn strict_fails_on_a_warning_and_writes_nothing() {
    let out = scratch("strict.yaml");
    let out_arg = out.to_str().unwrap();
    let r = transform(WARNINGS, &["--strict", "--diff", "-o", out_arg]).exited(1);
    assert_eq!(r.stdout, "", "no diff under --strict with warnings");
    assert!(!out.exists(), "no template under --strict with warnings");
    let last = r.stderr.lines().last().unwrap();
    assert!(
        last.starts_with("error: ")
            && last.ends_with(" warnings and strict is set (--strict, or the `strict` parameter): the template was not written"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.lines().any(|l| l.starts_with("warning: ")));

    // The JSON report says why, and is still written.
    let report_file = scratch("strict-report.json");
    transform(
        WARNINGS,
        &[
            "--strict",
            "--report",
            "json",
            "--report-file",
            report_file.to_str().unwrap(),
        ],
    )
    .exited(1);
    let report = parse_json(&std::fs::read_to_string(&report_file).unwrap());
    assert_eq!(report["status"], "failure");
    assert_eq!(report["strict"], true);
}

#[test]
fn strict_is_the_macro_parameter_the_flag_sets() {
    // The parameter given any way fails the dry run as --strict does, as
    // the deployed macro would fail (tests/warnings.rs).
    let by_flag = transform(WARNINGS, &["--strict"]).exited(1);
    let by_param = transform(WARNINGS, &["--param", "strict=true"]).exited(1);
    assert_eq!(by_param.stderr, by_flag.stderr);
    let text = std::fs::read_to_string(repo_root().join(WARNINGS)).unwrap();
    let in_entry = text.replace(
        "      lambdaFips: true\n",
        "      lambdaFips: true\n      strict: true\n",
    );
    assert_ne!(in_entry, text);
    let path = scratch("strict-in-entry.yaml");
    std::fs::write(&path, in_entry).unwrap();
    let r = transform(path.to_str().unwrap(), &[]).exited(1);
    assert_eq!(r.stderr, by_flag.stderr);
    // Without strict, the output lists the warnings in its Metadata.
    let r = transform(WARNINGS, &[]).exited(0);
    let listed = r.stdout.split("\nMetadata:\n  DatadogServerless:\n").nth(1);
    let listed = listed.unwrap_or_else(|| panic!("{}", r.stdout));
    let warnings = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .count();
    assert_eq!(
        listed.lines().filter(|l| l.starts_with("      - ")).count(),
        warnings
    );
}

#[test]
fn strict_succeeds_without_warnings() {
    let out = scratch("strict-ok.yaml");
    let r = transform(SAM_APP, &["--strict", "-o", out.to_str().unwrap()]).exited(0);
    assert_eq!(r.stderr, "");
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("Resources:")
    );
}

// ------------------------------------------------------------------ secrets

/// Every way of running the dry run that shows something: the diff and both
/// report forms, on stderr and in a file.
fn outputs_of(
    tag: &str,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&str>,
) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    for report in ["text", "json"] {
        let file = scratch(&format!("secret-{tag}.{report}"));
        let to_file = ["--report-file", file.to_str().unwrap()];
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--diff", "--color", "always", "--report", report]);
        // Once with the report on stderr, then once more into the file.
        for extra in [&[][..], &to_file[..]] {
            all.extend(extra);
            let r = run_with(&all, env, stdin);
            assert_eq!(r.code, 0, "{all:?}: {r:?}");
            seen.push((format!("{all:?} stdout"), r.stdout));
            seen.push((format!("{all:?} stderr"), r.stderr));
        }
        seen.push((
            format!("{all:?} report file"),
            std::fs::read_to_string(&file).unwrap(),
        ));
    }
    seen
}

fn assert_never_shown(secret: &str, seen: &[(String, String)]) {
    for (what, text) in seen {
        assert!(
            !text.contains(secret),
            "the secret appears in {what}:\n{text}"
        );
    }
}

#[test]
fn api_key_in_the_transform_entry_is_masked_in_the_diff_and_reports() {
    let seen = outputs_of(
        "entry",
        &["transform", WARNINGS, "--region", "us-east-1"],
        &[],
        None,
    );
    assert_never_shown(FIXTURE_API_KEY, &seen);
    let diff = &seen[0].1;
    assert!(diff.contains("apiKey: ****"), "{diff}");
}

#[test]
fn api_key_given_as_a_param_is_masked_in_the_diff_and_reports() {
    let secret = "9a8b7c6d5e4f30211203f4e5d6c7b8a9";
    let param = format!("apiKey={secret}");
    let seen = outputs_of(
        "param",
        &[
            "transform",
            WARNINGS,
            "--region",
            "us-east-1",
            "--param",
            &param,
        ],
        &[],
        None,
    );
    assert_never_shown(secret, &seen);
    assert_never_shown(FIXTURE_API_KEY, &seen);
}

#[test]
fn api_keys_from_mappings_and_the_macro_environment_are_masked() {
    let kms = "AQICAHhSecretCiphertextBlob+/=";
    let template = format!(
        r#"{{
  "Mappings": {{"Datadog": {{"Parameters": {{"apiKMSKey": "{kms}", "extensionLayerVersion": "99"}}}}}},
  "Resources": {{
    "Fn": {{"Type": "AWS::Lambda::Function", "Properties": {{"Handler": "app.handler", "Runtime": "python3.12",
      "Role": "arn:aws:iam::123456789012:role/r", "Code": {{"ZipFile": "def handler(e, c): pass"}}}}}}
  }}
}}"#
    );
    let seen = outputs_of(
        "mappings",
        &["transform", "-", "--region", "us-east-1"],
        &[],
        Some(&template),
    );
    assert_never_shown(kms, &seen);

    let env_key = "0f0e0d0c0b0a09080706050403020100";
    let template = r#"{"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "app.handler", "Runtime": "python3.12", "Role": "arn:aws:iam::123456789012:role/r", "Code": {"ZipFile": "x"}}}}}"#;
    let seen = outputs_of(
        "environment",
        &[
            "transform",
            "-",
            "--region",
            "us-east-1",
            "--param",
            "extensionLayerVersion=99",
        ],
        &[("DD_API_KEY", env_key)],
        Some(template),
    );
    assert_never_shown(env_key, &seen);
}

// --------------------------------------------------------------- diff details

#[test]
fn diff_with_output_writes_template_to_file_and_diff_to_stdout() {
    let out = scratch("with-output.yaml");
    let out_arg = out.to_str().unwrap();
    let r = transform(SAM_APP, &["--diff", "-o", out_arg]).exited(0);
    // Both headers name the input, which the diff patches into the output.
    assert!(
        r.stdout
            .starts_with(&format!("--- {SAM_APP}\n+++ {SAM_APP}\n")),
        "{}",
        r.stdout
    );
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.starts_with("AWSTemplateFormatVersion"), "{written}");
    // The same template as on standard output without --diff.
    assert_eq!(written, transform(SAM_APP, &[]).exited(0).stdout);
}

#[test]
fn diff_is_in_the_input_format_and_coloured_only_when_asked() {
    // A JSON input gives a JSON diff of renderings with --format yaml for
    // the output: the output is not an edit of the file.
    let r = run(&["transform", CDK, "--diff", "--format", "yaml"]).exited(0);
    assert!(
        r.stdout
            .contains("\n-  \"Transform\": \"DatadogServerless\",\n"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains('\x1b'));

    // In its own format, the diff is of the file, in its one-space indentation.
    let r = run(&["transform", CDK, "--diff", "--color", "always"]);
    assert!(
        r.stdout
            .contains("\x1b[31m- \"Transform\": \"DatadogServerless\",\x1b[0m\n"),
        "{:?}",
        r.stdout
    );
    assert!(r.stdout.contains("\x1b[36m@@ "), "{:?}", r.stdout);

    // NO_COLOR and a pipe both mean plain, even when asked for `auto`.
    let r = run_with(
        &["transform", CDK, "--diff", "--color", "auto"],
        &[("NO_COLOR", "1")],
        None,
    );
    assert!(!r.stdout.contains('\x1b'));
}

#[test]
fn nothing_to_change_gives_an_empty_diff() {
    let template = "{\"Resources\": {\"Q\": {\"Type\": \"AWS::SQS::Queue\"}}}\n";
    let r = run_with(&["transform", "-", "--diff"], &[], Some(template)).exited(0);
    assert_eq!(r.stdout, "");
}

#[test]
fn report_file_keeps_stderr_for_diagnostic_lines() {
    let file = scratch("report.txt");
    let r = transform(WARNINGS, &["--report-file", file.to_str().unwrap()]).exited(0);
    assert!(
        r.stderr.lines().all(|l| l.starts_with("warning: ")),
        "{}",
        r.stderr
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("DatadogServerless dry run succeeds"),
        "{text}"
    );
}

// ---------------------------------------------------------------- exit codes

#[test]
fn unreadable_file_is_exit_2() {
    let r = run(&["transform", "fixtures/cli/no-such-template.yaml"]).exited(2);
    assert_starts_with(
        &r.stderr,
        "error: cannot read fixtures/cli/no-such-template.yaml: ",
    );
    assert_eq!(r.stdout, "");
}

#[test]
fn bad_yaml_is_exit_2() {
    let r = run_with(
        &["transform", "-", "--diff"],
        &[],
        Some("Resources: [unclosed\n  x: y\n"),
    )
    .exited(2);
    assert_starts_with(&r.stderr, "error: standard input: invalid YAML at line ");
    assert_eq!(r.stdout, "");
}

#[test]
fn unknown_flag_is_exit_2() {
    let r = run(&["transform", SAM_APP, "--bogus"]).exited(2);
    assert!(
        r.stderr.contains("unexpected argument '--bogus'"),
        "{}",
        r.stderr
    );
    let r = run(&["transform", SAM_APP, "--report", "xml"]).exited(2);
    assert!(
        r.stderr
            .contains("invalid value 'xml' for '--report <FORMAT>'"),
        "{}",
        r.stderr
    );
}

#[test]
fn validation_failure_is_exit_1_with_the_report_still_written() {
    let r = transform(SAM_APP, &["--param", "site=nope", "--diff"]).exited(1);
    assert_eq!(r.stdout, "");
    assert_starts_with(
        &r.stderr,
        "error: parameter `site` is \"nope\", which is not a Datadog site; use one of: ",
    );
    let r = transform(SAM_APP, &["--param", "site=nope", "--report", "json"]).exited(1);
    let report = parse_json(&r.stderr);
    assert_eq!(report["status"], "failure");
    assert_eq!(report["errors"].as_array().unwrap().len(), 1);
}

// ------------------------------------------------- no silent misconfiguration

/// A SAM template with a `Stage` parameter that allows `dev` and `prod`,
/// given to the transform's `env`, and a `DD_SITE` in Globals; written to
/// a scratch file, whose path is returned.
fn staged_template(name: &str) -> String {
    let path = scratch(name);
    std::fs::write(
        &path,
        "Transform:\n  - AWS::Serverless-2016-10-31\n  - Name: DatadogServerless\n    Parameters:\n      env: !Ref Stage\n\
         Parameters:\n  Stage:\n    Type: String\n    Default: dev\n    AllowedValues: [dev, prod]\n\
         Globals:\n  Function:\n    Environment:\n      Variables:\n        DD_SITE: datadoghq.com\n\
         Resources:\n  AddBookFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      CodeUri: .\n\
         \x20 ListBooksFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      CodeUri: .\n",
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

/// The logical ids the JSON report lists as skipped.
fn skipped(report: &serde_json::Value) -> Vec<String> {
    report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "skipped")
        .map(|r| r["logicalId"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn exclude_reads_a_json_list_given_as_a_string_and_warns_of_ids_that_name_nothing() {
    let template = staged_template("exclude.yaml");
    let as_json = r#"exclude=["AddBookFunction", "ListBooksFunction"]"#;
    let r = transform(&template, &["--param", as_json, "--report", "json"]).exited(0);
    assert_eq!(
        skipped(&parse_json(&r.stderr)),
        ["AddBookFunction", "ListBooksFunction"]
    );

    let r = transform(
        &template,
        &["--param", "exclude=AddBookFuncton", "--strict"],
    )
    .exited(1);
    assert!(
        r.stderr.contains("warning: parameter `exclude` lists `AddBookFuncton`, which is not a resource of the template, so it leaves nothing alone; did you mean `AddBookFunction`?\n"),
        "{}",
        r.stderr
    );

    let r = transform(&template, &["--param", r#"exclude=["AddBookFunction""#]).exited(1);
    assert_starts_with(
        &r.stderr,
        "error: parameter `exclude` must be a list of logical ids: the string \"[\"AddBookFunction\"\" starts like a JSON list but is not one",
    );
}

#[test]
fn parameter_overrides_are_read_as_sam_deploy_reads_them() {
    let template = staged_template("overrides.yaml");
    let env_of = |overrides: &str| {
        let r = run(&[
            "transform",
            "--parameter-overrides",
            overrides,
            &template,
            "--region",
            "us-east-1",
        ])
        .exited(0);
        let line = r
            .stdout
            .lines()
            .find(|l| l.contains("DD_ENV:"))
            .unwrap_or_default();
        line.trim().to_string()
    };
    // The FILE after the option is not taken for a pair.
    assert_eq!(env_of("Stage=prod"), "DD_ENV: prod");
    assert_eq!(
        env_of("ParameterKey=Stage,ParameterValue=prod"),
        "DD_ENV: prod"
    );
    assert_eq!(env_of(" Stage=dev  Stage='prod' "), "DD_ENV: prod");

    let refused = |overrides: &str, message: &str| {
        let r = transform(&template, &["--parameter-overrides", overrides]).exited(2);
        assert!(r.stderr.contains(message), "{overrides}: {}", r.stderr);
        assert_eq!(r.stdout, "");
    };
    refused(
        "Stage=prod Foo=bar",
        "error: --parameter-overrides gives `Foo`, which the template does not declare in Parameters (it declares Stage)\n",
    );
    refused(
        "Stag=prod",
        "error: --parameter-overrides gives `Stag`, which the template does not declare in Parameters; did you mean `Stage`?\n",
    );
    refused(
        "Stage=qa",
        "error: --parameter-overrides gives `Stage` a value the template refuses: \"qa\" is not one of its AllowedValues: dev, prod\n",
    );
    refused("Stage=\"prod", "the value of `Stage` is not closed");
}

#[test]
fn the_region_must_be_a_region_and_a_default_one_is_named() {
    let template = staged_template("region.yaml");
    let r = run(&["transform", &template, "--region", "foo bar"]).exited(2);
    assert_eq!(
        r.stderr,
        "error: --region `foo bar` is not an AWS region (a region looks like us-east-1 or eu-west-3)\n"
    );
    let r = run(&["transform", &template, "--region", "EU-WEST-1"]).exited(2);
    assert_eq!(
        r.stderr,
        "error: --region `EU-WEST-1` is not an AWS region; did you mean eu-west-1?\n"
    );
    let r = run_with(
        &["transform", &template],
        &[("AWS_REGION", "eu west 1")],
        None,
    )
    .exited(2);
    assert_starts_with(
        &r.stderr,
        "error: AWS_REGION `eu west 1` is not an AWS region",
    );

    // Of the form but unknown: a warning, which --strict refuses.
    let r = run(&["transform", &template, "--region", "eu-wst-1", "--strict"]).exited(1);
    assert_starts_with(
        &r.stderr,
        "warning: region `eu-wst-1` is not an AWS region this macro knows (did you mean eu-west-1?)",
    );

    let r = run(&["transform", &template, "-o", "/dev/null"]).exited(0);
    assert_starts_with(
        &r.stderr,
        "note: no region given (--region, AWS_REGION or AWS_DEFAULT_REGION): using us-east-1\n",
    );
    let r = run_with(
        &["transform", &template, "-o", "/dev/null"],
        &[("AWS_DEFAULT_REGION", "eu-west-1")],
        None,
    )
    .exited(0);
    assert!(!r.stderr.contains("no region given"), "{}", r.stderr);
    // A JSON report on stderr stays the only thing there.
    let r = run(&["transform", &template, "--report", "json"]).exited(0);
    parse_json(&r.stderr);
}

#[test]
fn a_given_parameter_that_loses_to_the_template_is_a_warning_strict_refuses() {
    let template = staged_template("loses.yaml");
    let r = transform(&template, &["--param", "site=datadoghq.eu", "--strict"]).exited(1);
    assert_eq!(
        r.stderr
            .lines()
            .filter(|l| l.starts_with("warning: "))
            .collect::<Vec<_>>(),
        // One cause (the Globals value), one warning for both functions.
        [
            "warning: The functions that inherit DD_SITE \"datadoghq.com\" from SAM Globals.Function.Environment.Variables keep it over \"datadoghq.eu\" from parameter `site` (transform parameter). Remove one of the two so that they cannot disagree.",
        ]
    );
    // The same value given, or none: nothing to say.
    transform(
        &template,
        &[
            "--param",
            "site=datadoghq.com",
            "--strict",
            "-o",
            "/dev/null",
        ],
    )
    .exited(0);
    transform(&template, &["--strict", "-o", "/dev/null"]).exited(0);
}

// ------------------------------------------------------------ conventions

#[test]
fn every_subcommand_help_ends_with_examples() {
    for command in [
        "transform",
        "uninstrument",
        "handle-event",
        "parameters",
        "convert",
        "serve",
    ] {
        for flag in ["-h", "--help"] {
            let r = run(&[command, flag]).exited(0);
            let (_, examples) = r.stdout.rsplit_once("\nExamples:\n").unwrap_or_else(|| {
                panic!("{command} {flag} has no Examples section:\n{}", r.stdout)
            });
            assert!(
                examples.contains(&format!("dd-serverless-macro {command}")),
                "{command} {flag}: {examples}"
            );
        }
    }
}

/// With no FILE and a terminal on standard input, the commands that read
/// one stop at once (nobody types a template) rather than wait there.
/// util-linux's `script` gives the binary a terminal.
#[cfg(target_os = "linux")]
#[test]
fn without_a_file_a_terminal_is_not_read() {
    let binary = env!("CARGO_BIN_EXE_dd-serverless-macro");
    for (command, what) in [
        ("transform", "template"),
        ("convert --format json", "template"),
        ("handle-event", "event"),
    ] {
        let output = Command::new("script")
            // A run that waits on the terminal would end by timeout: exit=124.
            .args([
                "-qec",
                &format!("timeout 10 {binary} {command}; echo exit=$?"),
                "/dev/null",
            ])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("util-linux's script runs");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.contains(&format!(
                "error: no {what} file given; name one, or give `-`"
            )) && text.contains("exit=2"),
            "{command}: {text}"
        );
    }
}

/// A template using the bundled layer version (no pythonLayerVersion).
const BUNDLED_DEFAULTS: &str = "{\"Resources\": {\"Fn\": {\"Type\": \"AWS::Lambda::Function\", \"Properties\": {\"Handler\": \"app.handler\", \"Runtime\": \"python3.12\", \"Role\": \"arn:aws:iam::123456789012:role/r\", \"Code\": {\"ZipFile\": \"x\"}}}}}";

#[test]
fn without_a_file_piped_input_is_read() {
    let r = run_with(&["transform", "--diff"], &[], Some(BUNDLED_DEFAULTS)).exited(0);
    assert!(r.stdout.contains("Resources.Fn"), "{}", r.stdout);
    let r = run_with(
        &["convert", "--format", "yaml"],
        &[],
        Some(BUNDLED_DEFAULTS),
    )
    .exited(0);
    assert_starts_with(&r.stdout, "Resources:\n");
}

#[test]
fn the_bundled_layer_versions_are_named_once_per_run() {
    for extra in [&[][..], &["--report", "text"][..]] {
        let mut args = vec!["transform", "-", "-o", "/dev/null"];
        args.extend(extra);
        let r = run_with(&args, &[], Some(BUNDLED_DEFAULTS)).exited(0);
        let summaries = r.stderr.lines().filter(|l| {
            l.starts_with("note: bundled default layer versions used: pythonLayerVersion=127")
                || l.starts_with("Defaults used: pythonLayerVersion=127")
        });
        assert_eq!(summaries.count(), 1, "{args:?}:\n{}", r.stderr);
    }
}

// --------------------------------------------------------- README examples

/// cfn-lint finds no error in these templates (warnings are allowed: CDK and
/// the Serverless Framework write DependsOn that cfn-lint finds redundant,
/// and the Datadog mapping is read by the macro, not by a FindInMap).
fn assert_lints_without_errors(paths: &[&Path]) {
    let output = Command::new(venv_tool("cfn-lint"))
        .args(["--format", "parseable"])
        .args(paths)
        .output()
        .expect("cfn-lint runs");
    let findings = String::from_utf8_lossy(&output.stdout);
    let code = output.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 4,
        "cfn-lint exit code {code}:\n{findings}"
    );
}

#[test]
#[ignore = "needs cfn-lint from .venv: run by scripts/test"]
fn examples_and_their_instrumented_forms_pass_cfn_lint() {
    let cdk_out = scratch("ShopStack.instrumented.json");
    run(&[
        "transform",
        CDK,
        "--region",
        "eu-west-1",
        "--strict",
        "-o",
        cdk_out.to_str().unwrap(),
    ])
    .exited(0);
    let sls_out = scratch("cloudformation-template-update-stack.json");
    let mut sls_args = vec!["--strict"];
    sls_args.extend(SERVERLESS_PARAMS);
    sls_args.extend(["--param", "service=shop-api", "--param", "env=dev"]);
    sls_args.extend(["-o", sls_out.to_str().unwrap()]);
    transform(SERVERLESS, &sls_args).exited(0);
    let sam_out = scratch("sam-app.instrumented.yaml");
    run(&[
        "transform",
        SAM_APP,
        "--strict",
        "-o",
        sam_out.to_str().unwrap(),
    ])
    .exited(0);
    let warnings_out = scratch("warnings.instrumented.yaml");
    run(&["transform", WARNINGS, "-o", warnings_out.to_str().unwrap()]).exited(0);
    let repo = repo_root();
    assert_lints_without_errors(&[
        &repo.join(CDK),
        &repo.join(SERVERLESS),
        &repo.join(SAM_APP),
        &repo.join(WARNINGS),
        &cdk_out,
        &sls_out,
        &sam_out,
        &warnings_out,
    ]);
}

#[test]
fn baking_in_place_then_running_again_changes_nothing() {
    // The Serverless Framework flow of the README: instrument the packaged
    // template in place, then `serverless deploy --package`.
    let baked = scratch("baked-in-place.json");
    std::fs::copy(repo_root().join(SERVERLESS), &baked).unwrap();
    let path = baked.to_str().unwrap();
    let mut args = vec!["transform", path, "--strict", "-o", path];
    args.extend(SERVERLESS_PARAMS);
    run(&args).exited(0);
    let text = std::fs::read_to_string(&baked).unwrap();
    assert!(text.contains("Datadog-Extension:99"), "{text}");

    let mut again = vec!["transform", path, "--diff"];
    again.extend(SERVERLESS_PARAMS);
    let r = run(&again).exited(0);
    assert_eq!(r.stdout, "", "a second run must change nothing");
}

#[test]
fn baking_twice_keeps_the_layer_version_the_template_pinned() {
    // Issue 16, item 6: the baked template no longer lists the transform,
    // so a second run has no `pythonLayerVersion`; its bundled default must
    // not replace the pinned :106.
    let template = scratch("pinned-106.yaml");
    std::fs::write(
        &template,
        "Transform:\n  - AWS::Serverless-2016-10-31\n  - Name: DatadogServerless\n    Parameters:\n      pythonLayerVersion: 106\n\
         Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: .}\n",
    )
    .unwrap();
    let baked = scratch("pinned-106-baked.yaml");
    let (template, baked) = (template.to_str().unwrap(), baked.to_str().unwrap());
    transform(template, &["-o", baked]).exited(0);
    let pinned = "arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Python312:106";
    assert!(std::fs::read_to_string(baked).unwrap().contains(pinned));

    let again = transform(baked, &["--diff", "--report", "text"]).exited(0);
    assert_eq!(again.stdout, "", "a second run must change nothing");
    assert!(
        again.stderr.contains(&format!(
            "= layer     {pinned} kept (the template pins it; set pythonLayerVersion to replace it)"
        )),
        "{}",
        again.stderr
    );
    assert!(
        !again.stderr.contains("bundled default"),
        "{}",
        again.stderr
    );
}

// ------------------------------------------------------------ the user's file

/// A fresh scratch directory holding `files` (name, text).
fn directory_with(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = common::scratch(&format!("cli-{name}"));
    for (file, text) in files {
        common::write_file(&dir, file, text);
    }
    dir
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    let output = common::run_in(dir, args);
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: common::stdout(&output),
        stderr: common::stderr(&output),
    }
}

/// `transform template.yaml --diff -o instrumented.yaml` in a fresh
/// directory where `template.yaml` holds `text`: the directory, the run
/// (exit 0) and the template written.
fn diff_and_output(name: &str, text: &str) -> (PathBuf, Run, String) {
    let dir = directory_with(name, &[("template.yaml", text)]);
    let args = ["transform", "template.yaml", "--region", "us-east-1"];
    let r = run_in(
        &dir,
        &[&args[..], &["--diff", "-o", "instrumented.yaml"]].concat(),
    );
    let instrumented = std::fs::read_to_string(dir.join("instrumented.yaml")).unwrap();
    (dir, r.exited(0), instrumented)
}

#[test]
fn the_diff_applies_with_patch_and_git_apply_and_gives_the_output() {
    let original = common::read_repo_file(SAM_APP);
    let (dir, r, instrumented) = diff_and_output("applies", &original);
    assert_starts_with(&r.stdout, "--- template.yaml\n+++ template.yaml\n@@ ");
    // The comment above the handler stays above it.
    assert!(
        instrumented.contains(
            "      # The function in src/orders/app.py.\n      Handler: datadog_lambda.handler.handler\n"
        ),
        "{instrumented}"
    );
    common::patch_p0(&dir, &r.stdout);
    let patched = std::fs::read_to_string(dir.join("template.yaml")).unwrap();
    assert_eq!(patched, instrumented, "patch -p0");

    common::write_file(&dir, "template.yaml", &original);
    let applied = common::apply_diff(&dir, "git", &["apply", "-p0"], &r.stdout);
    assert!(applied.status.success(), "{applied:?}");
    let patched = std::fs::read_to_string(dir.join("template.yaml")).unwrap();
    assert_eq!(patched, instrumented, "git apply -p0");
}

#[test]
fn a_diff_with_a_secret_masked_is_said_to_be_for_reading_only() {
    let original = common::read_repo_file(WARNINGS);
    let (dir, r, instrumented) = diff_and_output("masked", &original);
    assert!(r.stdout.contains("\n-      apiKey: ****\n"), "{}", r.stdout);
    assert!(!r.stdout.contains(FIXTURE_API_KEY), "{}", r.stdout);
    let notes: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("note: "))
        .collect();
    assert_eq!(
        notes,
        [
            "note: the diff shows `****` in place of the API key: it is for reading only, as `patch` and `git apply` will not apply it (the template written holds the key); apiKeySecretArn (AWS Secrets Manager) keeps the key out of templates and diffs"
        ],
        "{}",
        r.stderr
    );
    // What the note says: the template holds the key, and the diff does
    // not apply.
    assert!(instrumented.contains(FIXTURE_API_KEY), "{instrumented}");
    let args = ["-p0", "--dry-run", "--force"];
    let refused = common::apply_diff(&dir, "patch", &args, &r.stdout);
    assert!(!refused.status.success(), "{refused:?}");

    // Without a secret in it, the same diff says nothing more.
    let r = transform(SAM_APP, &["--diff"]).exited(0);
    assert_eq!(r.stderr, "");
}

/// Two functions sharing their properties through an anchor and an alias:
/// an edit of one would change the other.
const SHARED_PROPERTIES: &str = "\
# Two functions sharing their properties.
Transform:
  Name: DatadogServerless
  Parameters: {addExtension: false, pythonLayerVersion: 127}
Resources:
  A:
    Type: AWS::Lambda::Function
    Properties: &props
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/r
      Code: {ZipFile: x}
  B:
    Type: AWS::Lambda::Function
    Properties: *props
";

#[test]
fn a_file_that_cannot_be_edited_in_place_is_written_whole_with_one_note() {
    let dir = directory_with("fallback", &[("template.yaml", SHARED_PROPERTIES)]);
    let transform_args = ["transform", "template.yaml", "--region", "us-east-1"];
    let r = run_in(&dir, &transform_args).exited(0);
    assert_eq!(
        r.stderr,
        "note: template.yaml: the file cannot be edited in place at `Resources.A.Properties` (line 8): the change is inside the YAML anchor `&props`, which an alias repeats; the output is the whole template as this tool writes it, without the file's comments and layout\n"
    );
    // The full rendering: what `convert` writes of the same template.
    let converted = dir.join("converted.yaml");
    common::write_file(&dir, "instrumented.yaml", &r.stdout);
    let args = ["convert", "instrumented.yaml", "--format", "yaml", "-o"];
    run_in(&dir, &[&args[..], &[converted.to_str().unwrap()]].concat()).exited(0);
    assert_eq!(r.stdout, std::fs::read_to_string(&converted).unwrap());
    assert!(!r.stdout.contains("# Two functions"), "{}", r.stdout);

    // Its diff is of the file against that rendering, and applies.
    let mut with_diff = transform_args.to_vec();
    with_diff.push("--diff");
    let diff = run_in(&dir, &with_diff).exited(0).stdout;
    assert!(
        diff.contains("\n-# Two functions sharing their properties.\n"),
        "{diff}"
    );
    common::patch_p0(&dir, &diff);
    let patched = std::fs::read_to_string(dir.join("template.yaml")).unwrap();
    assert_eq!(patched, r.stdout);

    // A JSON report on standard error holds the note, and nothing else is there.
    common::write_file(&dir, "template.yaml", SHARED_PROPERTIES);
    let mut with_report = transform_args.to_vec();
    with_report.extend(["--report", "json"]);
    let r = run_in(&dir, &with_report).exited(0);
    let notes = parse_json(&r.stderr)["notes"].clone();
    assert!(
        notes[0]
            .as_str()
            .is_some_and(|note| note.contains("cannot be edited in place")),
        "{notes}"
    );
}

#[test]
fn baking_a_commented_template_in_place_twice_leaves_what_the_first_run_wrote() {
    let original = common::read_repo_file(SAM_APP);
    let dir = directory_with("in-place", &[("t.yaml", &original)]);
    let bake = [
        "transform",
        "t.yaml",
        "--region",
        "us-east-1",
        "-o",
        "t.yaml",
    ];
    run_in(&dir, &bake).exited(0);
    let once = std::fs::read_to_string(dir.join("t.yaml")).unwrap();
    assert_ne!(once, original);
    // Every comment of the file is still there.
    for comment in original.lines().filter(|l| l.contains('#')) {
        let kept = comment.contains("Name: DatadogServerless")
            || comment.contains("apiKeySecretArn")
            || once.lines().any(|l| l == comment);
        assert!(kept, "lost {comment:?}:\n{once}");
    }
    let r = run_in(&dir, &bake).exited(0);
    assert!(
        r.stderr
            .starts_with("note: the template lists no `DatadogServerless` transform"),
        "{}",
        r.stderr
    );
    let twice = std::fs::read_to_string(dir.join("t.yaml")).unwrap();
    assert_eq!(twice, once, "the second run changed the file");
}

// ------------------------------------------------------------ uninstrument

/// The sam-app example as the bake leaves what it does not change: its
/// `DatadogServerless` entry (lines 4 to 13) taken out of Transform.
fn sam_app_without_our_entry() -> String {
    let original = common::read_repo_file(SAM_APP);
    let lines: Vec<&str> = original.split_inclusive('\n').collect();
    assert!(
        lines[3].starts_with("  - Name: DatadogServerless"),
        "{}",
        lines[3]
    );
    assert!(lines[13].starts_with("Description:"), "{}", lines[13]);
    [&lines[..3], &lines[13..]].concat().concat()
}

#[test]
fn uninstrument_in_place_gives_back_the_file_byte_for_byte() {
    let dir = directory_with(
        "uninstrument",
        &[("template.yaml", &common::read_repo_file(SAM_APP))],
    );
    let bake = [
        "transform",
        "template.yaml",
        "--region",
        "us-east-1",
        "-o",
        "template.yaml",
    ];
    run_in(&dir, &bake).exited(0);
    let baked = std::fs::read_to_string(dir.join("template.yaml")).unwrap();
    assert!(
        baked.contains("\nMetadata:\n  DatadogServerless:\n    Added:\n      OrdersFunction:\n"),
        "{baked}"
    );

    // The diff: what goes, as a patch of the baked file.
    let r = run_in(&dir, &["uninstrument", "template.yaml", "--diff"]).exited(0);
    assert_eq!(r.stderr, "");
    insta::assert_snapshot!("sam_app_uninstrument_diff", r.stdout);
    common::patch_p0(&dir, &r.stdout);
    assert_eq!(
        std::fs::read_to_string(dir.join("template.yaml")).unwrap(),
        sam_app_without_our_entry()
    );

    // In place, from the baked file again: the same text.
    std::fs::write(dir.join("template.yaml"), &baked).unwrap();
    run_in(
        &dir,
        &["uninstrument", "template.yaml", "-o", "template.yaml"],
    )
    .exited(0);
    assert_eq!(
        std::fs::read_to_string(dir.join("template.yaml")).unwrap(),
        sam_app_without_our_entry()
    );
    // And once more: nothing recorded is left, nothing changes.
    let r = run_in(&dir, &["uninstrument", "template.yaml", "--diff"]).exited(0);
    assert_eq!(r.stdout, "");
    assert_starts_with(
        &r.stderr,
        "note: template.yaml holds no record of what `dd-serverless-macro transform` added (Metadata.DatadogServerless.Added), so nothing was removed\n",
    );
}

#[test]
fn uninstrument_without_a_record_writes_the_file_as_it_is_and_says_why() {
    let r = run(&["uninstrument", SAM_APP]).exited(0);
    assert_eq!(r.stdout, common::read_repo_file(SAM_APP));
    assert_eq!(
        r.stderr,
        format!(
            "note: {SAM_APP} holds no record of what `dd-serverless-macro transform` added (Metadata.DatadogServerless.Added), so nothing was removed\n\
             note: {SAM_APP} still lists the DatadogServerless transform, which instruments it again at deployment: remove that entry from Transform\n"
        )
    );
}

/// A fresh directory holding the repository file `template` as
/// `template.yaml`, and its bake as `baked.yaml`.
fn baked_in(name: &str, template: &str) -> PathBuf {
    let dir = directory_with(
        name,
        &[("template.yaml", &common::read_repo_file(template))],
    );
    let bake = ["transform", "template.yaml", "--region", "us-east-1"];
    run_in(&dir, &[&bake[..], &["-o", "baked.yaml"]].concat()).exited(0);
    dir
}

#[test]
fn uninstrument_keeps_what_changed_after_the_bake_and_strict_refuses() {
    let dir = baked_in("uninstrument-changed", SAM_APP);
    let baked = std::fs::read_to_string(dir.join("baked.yaml")).unwrap();
    let edited = baked.replacen("DD_SITE: datadoghq.com", "DD_SITE: datadoghq.eu", 1);
    assert_ne!(edited, baked);
    std::fs::write(dir.join("baked.yaml"), &edited).unwrap();
    let warning = "warning: Resources.OrdersFunction.Properties.Environment: 1 value the transform wrote there changed after the bake, so what it holds was kept (Variables.DD_SITE)\n";

    let r = run_in(&dir, &["uninstrument", "baked.yaml", "--strict"]).exited(1);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        format!(
            "{warning}error: 1 warning and strict is set (--strict): the template was not written\n"
        )
    );

    let r = run_in(&dir, &["uninstrument", "baked.yaml"]).exited(0);
    assert_eq!(r.stderr, warning);
    assert!(
        r.stdout
            .contains("      Environment:\n        Variables:\n          DD_SITE: datadoghq.eu\n"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("DD_TRACE_ENABLED") && !r.stdout.contains("\nMetadata:"),
        "{}",
        r.stdout
    );
}

#[test]
fn uninstrument_masks_a_removed_api_key_and_converts_formats() {
    let dir = baked_in("uninstrument-key", WARNINGS);
    assert!(
        std::fs::read_to_string(dir.join("baked.yaml"))
            .unwrap()
            .contains(FIXTURE_API_KEY)
    );
    let r = run_in(&dir, &["uninstrument", "baked.yaml", "--diff"]).exited(0);
    assert!(
        !r.stdout.contains(FIXTURE_API_KEY) && r.stdout.contains("DD_API_KEY: '****'"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains("the diff shows `****` in place of the API key"),
        "{}",
        r.stderr
    );
    let r = run_in(&dir, &["uninstrument", "baked.yaml", "--format", "json"]).exited(0);
    let undone = parse_json(&r.stdout);
    assert!(undone.get("Metadata").is_none() && !r.stdout.contains(FIXTURE_API_KEY));
}

#[test]
fn uninstrument_refuses_an_unreadable_record_and_says_what_it_never_touches() {
    let dir = directory_with(
        "uninstrument-unreadable",
        &[(
            "t.yaml",
            "Resources: {}\nMetadata:\n  DatadogServerless:\n    Added:\n      Fn: [1]\n",
        )],
    );
    let r = run_in(&dir, &["uninstrument", "t.yaml"]).exited(2);
    assert_eq!(r.stdout, "");
    assert_starts_with(
        &r.stderr,
        "error: t.yaml: Metadata.DatadogServerless.Added at `Fn` is not a record of what the transform added (neither a fingerprint nor ops)",
    );
    let help = run(&["uninstrument", "--help"]).exited(0).stdout;
    for said in [
        "It never touches: a value the template had before",
        "value changed after the bake",
        "Metadata.DatadogServerless.Added",
    ] {
        assert!(help.contains(said), "{said}: {help}");
    }
}
