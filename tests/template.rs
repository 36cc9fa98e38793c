//! `template.yml`, the template that deploys the macro: cfn-lint finds
//! nothing, it offers every site-wide default of the parameter table and
//! passes each only when set, the function is built and run as documented,
//! its role only writes its own logs, the README's deploy commands match, it
//! can be published to the Serverless Application Repository, and
//! `samconfig.toml` lets `sam build` run without asking.

mod common;

use std::process::Command;
use std::time::Duration;

use common::process::run_with_deadline;
use common::{read_repo_file, repo_root, venv_tool};
use dd_serverless_macro::internals::{Kind, PARAMS};
use dd_serverless_macro::template;
use serde_json::{Value, json};

const BINARY: &str = "dd-serverless-macro";

fn template_text() -> String {
    read_repo_file("template.yml")
}

fn template() -> Value {
    template::parse(&template_text())
        .expect("template.yml parses")
        .0
}

fn readme() -> String {
    read_repo_file("README.md")
}

/// `DD_API_KEY_SECRET_ARN` -> `DdApiKeySecretArn`.
fn parameter_name(variable: &str) -> String {
    variable
        .split('_')
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
#[ignore = "needs cfn-lint from .venv: run by scripts/test"]
fn cfn_lint_reports_nothing() {
    let mut command = Command::new(venv_tool("cfn-lint"));
    command.arg("template.yml").current_dir(repo_root());
    let done = run_with_deadline("cfn-lint", command, Duration::from_secs(300));
    assert!(
        done.status.success() && done.output.trim().is_empty(),
        "cfn-lint template.yml ({}):\n{}",
        done.status,
        done.output
    );
}

#[test]
fn every_site_wide_default_is_a_parameter_passed_only_when_set() {
    let t = template();
    let variables = &t["Resources"]["MacroFunction"]["Properties"]["Environment"]["Variables"];
    let mut expected_variables = vec!["RUST_LOG".to_string()];
    for spec in PARAMS {
        let Some(variable) = spec.macro_env else {
            continue;
        };
        expected_variables.push(variable.to_string());
        let name = parameter_name(variable);
        let parameter = &t["Parameters"][&name];
        assert_eq!(
            parameter["Type"], "String",
            "parameter {name} for {variable}"
        );
        assert_eq!(parameter["Default"], "", "{name} is empty unless set");
        if spec.kind == Kind::Bool {
            assert_eq!(
                parameter["AllowedValues"],
                json!(["", "true", "false"]),
                "{name}"
            );
        }
        let secret = matches!(variable, "DD_API_KEY" | "DD_KMS_API_KEY");
        assert_eq!(parameter["NoEcho"] == json!(true), secret, "{name} NoEcho");
        let condition = format!("Has{name}");
        assert_eq!(
            t["Conditions"][&condition],
            json!({"Fn::Not": [{"Fn::Equals": [{"Ref": name}, ""]}]}),
            "{condition}"
        );
        assert_eq!(
            variables[variable],
            json!({"Fn::If": [condition, {"Ref": name}, {"Ref": "AWS::NoValue"}]}),
            "{variable} is passed only when {name} is set"
        );
    }
    let actual: Vec<&String> = variables.as_object().unwrap().keys().collect();
    assert_eq!(actual, expected_variables.iter().collect::<Vec<_>>());
}

#[test]
fn the_function_is_built_by_cargo_lambda_and_runs_on_al2023_arm64() {
    let t = template();
    assert_eq!(t["Transform"], "AWS::Serverless-2016-10-31");
    let function = &t["Resources"]["MacroFunction"];
    assert_eq!(function["Type"], "AWS::Serverless::Function");
    assert_eq!(function["Metadata"]["BuildMethod"], "rust-cargolambda");
    assert_eq!(function["Metadata"]["BuildProperties"]["Binary"], BINARY);
    let p = &function["Properties"];
    assert_eq!(p["Runtime"], "provided.al2023");
    assert_eq!(p["Architectures"], json!(["arm64"]));
    assert_eq!(p["Handler"], "bootstrap");
    assert_eq!(p["CodeUri"], ".", "SAM builds from the crate's root");
    assert_eq!(p["Role"], json!({"Fn::GetAtt": ["MacroRole", "Arn"]}));
    assert_eq!(
        p["LoggingConfig"]["LogGroup"],
        json!({"Ref": "MacroLogGroup"})
    );
    assert_eq!(
        p["Environment"]["Variables"]["RUST_LOG"],
        json!({"Ref": "MacroLogLevel"})
    );
    assert!(
        !t["Parameters"]["MacroLogLevel"]["AllowedValues"]
            .as_array()
            .unwrap()
            .contains(&json!("trace")),
        "the macro's log level stops at debug"
    );

    let log_group = &t["Resources"]["MacroLogGroup"];
    assert_eq!(log_group["Type"], "AWS::Logs::LogGroup");
    assert_eq!(
        log_group["Properties"]["RetentionInDays"],
        json!({"Ref": "LogRetentionInDays"})
    );

    let macro_resource = &t["Resources"]["Macro"];
    assert_eq!(macro_resource["Type"], "AWS::CloudFormation::Macro");
    assert_eq!(
        macro_resource["Properties"]["Name"],
        json!({"Ref": "MacroName"})
    );
    assert_eq!(
        macro_resource["Properties"]["FunctionName"],
        json!({"Fn::GetAtt": ["MacroFunction", "Arn"]})
    );
    assert_eq!(t["Parameters"]["MacroName"]["Default"], "DatadogServerless");
}

#[test]
fn the_role_only_writes_the_macros_own_logs() {
    let t = template();
    let roles: Vec<&String> = t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::IAM::Role")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(roles, ["MacroRole"]);
    let role = &t["Resources"]["MacroRole"]["Properties"];
    assert!(role.get("ManagedPolicyArns").is_none(), "no managed policy");
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
        json!({"Service": "lambda.amazonaws.com"})
    );
    let policies = role["Policies"].as_array().unwrap();
    assert_eq!(policies.len(), 1);
    assert_eq!(
        policies[0]["PolicyDocument"]["Statement"],
        json!([{
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": ["MacroLogGroup", "Arn"]}
        }])
    );
    assert!(
        readme().contains("Its role may only write the macro's own\nlog group"),
        "the README says so"
    );
}

/// The README's "Deploy" section, from its heading to the next one.
fn deploy_section() -> String {
    let text = readme();
    let start = text
        .find("\n## Deploy\n")
        .expect("README has a Deploy section");
    let rest = &text[start + 1..];
    let end = rest[3..].find("\n## ").map(|i| i + 4).unwrap_or(rest.len());
    rest[..end].to_string()
}

/// The shell commands of the section's `sh` blocks, continuation lines joined.
fn deploy_commands() -> Vec<String> {
    let section = deploy_section();
    let mut commands = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in section.lines() {
        if line.starts_with("```") {
            in_block = line == "```sh";
            continue;
        }
        if !in_block {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => pending.push_str(head),
            None => {
                pending.push_str(line);
                commands.push(pending.split_whitespace().collect::<Vec<_>>().join(" "));
                pending.clear();
            }
        }
    }
    commands
}

fn option<'a>(command: &'a str, name: &str) -> &'a str {
    let words: Vec<&str> = command.split(' ').collect();
    let i = words
        .iter()
        .position(|w| *w == name)
        .unwrap_or_else(|| panic!("`{command}` has no {name}"));
    words[i + 1]
}

#[test]
fn the_readme_deploy_commands_match_the_template() {
    let commands = deploy_commands();
    let find = |prefix: &str| {
        commands
            .iter()
            .find(|c| c.starts_with(prefix))
            .unwrap_or_else(|| panic!("the Deploy section has no `{prefix}...`: {commands:#?}"))
            .clone()
    };
    assert_eq!(find("sam build"), "sam build");
    assert_eq!(find("sam deploy"), "sam deploy --guided");
    assert_eq!(find("scripts/build-macro"), "scripts/build-macro");

    // The sed line turns `CodeUri: .` into the directory scripts/build-macro
    // (cargo lambda) builds into, relative to where it writes the template.
    let sed = find("sed ");
    let (script_and_input, output) = sed.split_once(" > ").expect("sed writes a file");
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(script_and_input)
        .current_dir(repo_root());
    let done = run_with_deadline("sed", command, Duration::from_secs(30));
    assert!(done.status.success(), "{sed}: {}", done.output);
    let rewritten = template::parse(&done.output)
        .expect("the rewritten template parses")
        .0;
    let code_uri = rewritten["Resources"]["MacroFunction"]["Properties"]["CodeUri"]
        .as_str()
        .expect("CodeUri is a path");
    let output_dir = std::path::Path::new(output).parent().unwrap();
    assert_eq!(
        output_dir.join(code_uri),
        std::path::Path::new("target/lambda").join(BINARY),
        "CodeUri points at cargo lambda's output directory"
    );
    let mut expected = template();
    expected["Resources"]["MacroFunction"]["Properties"]["CodeUri"] = json!(code_uri);
    assert_eq!(rewritten, expected, "sed changes CodeUri and nothing else");

    let package = find("aws cloudformation package");
    assert_eq!(option(&package, "--template-file"), output);
    let deploy = find("aws cloudformation deploy");
    assert_eq!(
        option(&deploy, "--template-file"),
        option(&package, "--output-template-file")
    );
    assert_eq!(option(&deploy, "--capabilities"), "CAPABILITY_IAM");
    let t = template();
    let overrides = deploy
        .split(" --parameter-overrides ")
        .nth(1)
        .expect("overrides");
    for pair in overrides.split(' ') {
        let (key, _) = pair.split_once('=').expect("KEY=VALUE");
        assert!(
            t["Parameters"].get(key).is_some(),
            "--parameter-overrides {key} is not a parameter of template.yml"
        );
    }
}

/// The `AWS::ServerlessRepo::Application` metadata: what `sam publish` needs,
/// within the limits the Serverless Application Repository sets, and the
/// version and licence of Cargo.toml.
#[test]
fn serverless_repo_metadata_matches_the_crate() {
    let t = template();
    let app = &t["Metadata"]["AWS::ServerlessRepo::Application"];
    let text = |key: &str| {
        app[key]
            .as_str()
            .unwrap_or_else(|| panic!("AWS::ServerlessRepo::Application has no {key}"))
    };
    assert_eq!(text("SemanticVersion"), env!("CARGO_PKG_VERSION"));
    assert_eq!(text("SpdxLicenseId"), env!("CARGO_PKG_LICENSE"));
    for key in ["LicenseUrl", "ReadmeUrl"] {
        assert!(
            repo_root().join(text(key)).is_file(),
            "{key} names a file of the repository"
        );
    }
    let name = text("Name");
    assert!(
        (1..=140).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
        "Name: {name}"
    );
    // Lower-case letters and digits, single hyphens between them.
    let author = text("Author");
    assert!(
        (1..=127).contains(&author.len())
            && author
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !author.starts_with('-')
            && !author.ends_with('-')
            && !author.contains("--"),
        "Author: {author}"
    );
    assert!((1..=256).contains(&text("Description").len()));
    let labels = app["Labels"].as_array().expect("Labels");
    assert!(labels.len() <= 10);
    for label in labels {
        let label = label.as_str().unwrap();
        assert!(
            (1..=127).contains(&label.len())
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-_:/@".contains(c)),
            "label {label}"
        );
    }
    for key in ["HomePageUrl", "SourceCodeUrl"] {
        assert!(text(key).starts_with("https://"), "{key}");
    }
}

/// `BuildMethod: rust-cargolambda` is a beta feature of SAM CLI releases
/// older than December 2025: without the opt-in in samconfig.toml, their
/// `sam build` stops to ask, and fails where nobody can answer.
#[test]
fn samconfig_opts_in_to_the_cargo_lambda_build() {
    let config = read_repo_file("samconfig.toml");
    assert!(
        config.contains("[default.build.parameters]\nbeta_features = true\n"),
        "{config}"
    );
}
