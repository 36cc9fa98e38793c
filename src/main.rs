//! The `dd-serverless-macro` command: local dry runs of the DatadogServerless
//! transform on template files, raw macro events, and format conversion; and
//! the deployed macro itself (`serve`, or no subcommand when Lambda starts it).
//!
//! Exit codes: 0 success; 1 the transform failed (each error on its own line
//! on stderr) or serving stopped; 2 bad usage or unreadable input.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use dd_serverless_macro::dry_run::{self, DryRunOptions};
use dd_serverless_macro::report::Report;
use dd_serverless_macro::template::{self, Format};
use dd_serverless_macro::{MacroEnvironment, handle_bytes, handle_with_report};

/// Instrument AWS Lambda functions and Step Functions in CloudFormation / SAM
/// templates with Datadog: the DatadogServerless macro, runnable locally.
#[derive(Debug, Parser)]
#[command(name = "dd-serverless-macro", version, about, long_about = None)]
struct Cli {
    // Required, except when Lambda starts the binary (then: `serve`).
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Dry run: instrument a template file and print the result.
    ///
    /// Parameters are read from the template's own `Transform` entry named
    /// DatadogServerless (see --transform-name), with `Ref`s to template
    /// parameters resolved from --parameter-overrides or their Default;
    /// --param overrides single keys. The output no longer lists our transform
    /// (the SAM transform and others are kept), so it can be deployed as is.
    Transform(TransformArgs),
    /// Answer a raw macro event (JSON, as CloudFormation sends it) and print
    /// the response exactly as the deployed Lambda returns it.
    HandleEvent {
        /// The event file; `-` reads standard input.
        #[arg(default_value = "-")]
        file: String,
    },
    /// Convert a template between JSON and YAML (short-form intrinsics in YAML).
    Convert {
        /// The template file; `-` reads standard input.
        #[arg(default_value = "-")]
        file: String,
        /// The output format.
        #[arg(long, value_enum)]
        format: Format,
        /// Write the output to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Answer macro events from the Lambda Runtime API: what the deployed
    /// macro runs (the default when Lambda starts the binary).
    Serve,
}

#[derive(Debug, clap::Args)]
struct TransformArgs {
    /// The template file (JSON or YAML, detected from its content); `-` reads standard input.
    #[arg(default_value = "-")]
    file: String,
    /// Set one macro parameter, overriding the template's Transform entry (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = dry_run::parse_key_value)]
    params: Vec<(String, String)>,
    /// The stack's region [default: $AWS_REGION, then $AWS_DEFAULT_REGION, then us-east-1].
    #[arg(long)]
    region: Option<String>,
    /// The stack's account id (AWS::AccountId).
    #[arg(long, default_value = "123456789012")]
    account_id: String,
    /// The stack's name (AWS::StackName).
    #[arg(long, default_value = "dry-run-stack")]
    stack_name: String,
    /// A template parameter's value, as with `sam deploy --parameter-overrides` (repeatable).
    #[arg(long, value_name = "KEY=VALUE", value_parser = dry_run::parse_key_value, num_args = 1..)]
    parameter_overrides: Vec<(String, String)>,
    /// The name of our entry in the template's Transform section.
    #[arg(long, default_value = dry_run::DEFAULT_TRANSFORM_NAME)]
    transform_name: String,
    /// Output format [default: the input's format].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the instrumented template to this file instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// A failure of the command itself, with its exit code.
struct Failure {
    code: u8,
    message: String,
}

fn usage(message: String) -> Failure {
    Failure { code: 2, message }
}

fn read_input(file: &str) -> Result<String, Failure> {
    let mut bytes = Vec::new();
    let result = if file == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    let name = if file == "-" { "standard input" } else { file };
    result.map_err(|e| usage(format!("cannot read {name}: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        usage(format!(
            "{name} is not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

fn read_template(file: &str) -> Result<(serde_json::Value, Format), Failure> {
    let text = read_input(file)?;
    let name = if file == "-" { "standard input" } else { file };
    template::parse(&text).map_err(|e| usage(format!("{name}: {e}")))
}

fn write_output(output: Option<&PathBuf>, text: &str) -> Result<(), Failure> {
    match output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| usage(format!("cannot write {}: {e}", path.display()))),
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
            Ok(())
        }
    }
}

fn print_diagnostics(report: &Report) {
    for w in report.warnings() {
        eprintln!("warning: {}", w.message);
    }
    for e in report.errors() {
        eprintln!("error: {}", e.message);
    }
}

fn run_transform(args: TransformArgs) -> Result<(), Failure> {
    let (original, input_format) = read_template(&args.file)?;
    let region = args
        .region
        .or_else(|| std::env::var("AWS_REGION").ok().filter(|s| !s.is_empty()))
        .or_else(|| {
            std::env::var("AWS_DEFAULT_REGION")
                .ok()
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| "us-east-1".to_string());
    let options = DryRunOptions {
        transform_name: args.transform_name.clone(),
        params: args.params,
        parameter_overrides: args.parameter_overrides,
        region,
        account_id: args.account_id,
        stack_name: args.stack_name,
    };
    let prepared = dry_run::prepare(&original, &options).map_err(|e| usage(e.to_string()))?;
    if !prepared.entry_found && options.params.is_empty() {
        eprintln!(
            "note: the template lists no `{}` transform; running with default parameters (add --param NAME=VALUE to set some)",
            options.transform_name
        );
    }
    let (response, report) =
        handle_with_report(prepared.request, &MacroEnvironment::from_process());
    print_diagnostics(&report);
    if !response.is_success() {
        return Err(Failure {
            code: 1,
            message: String::new(),
        });
    }
    let output = dry_run::finish(&original, response.fragment, &options.transform_name);
    let format = args.format.unwrap_or(input_format);
    write_output(args.output.as_ref(), &template::to_string(&output, format))
}

fn run_handle_event(file: &str) -> Result<(), Failure> {
    let text = read_input(file)?;
    let (response, _) = handle_bytes(text.as_bytes(), &MacroEnvironment::from_process());
    let mut json = serde_json::to_string(&response).map_err(|e| usage(e.to_string()))?;
    json.push('\n');
    write_output(None, &json)
}

fn run_convert(file: &str, format: Format, output: Option<&PathBuf>) -> Result<(), Failure> {
    let (value, _) = read_template(file)?;
    write_output(output, &template::to_string(&value, format))
}

fn run_serve() -> Result<(), Failure> {
    dd_serverless_macro::serve::run().map_err(|e| Failure {
        code: 1,
        message: e.to_string(),
    })
}

/// Parses the command line; the subcommand may be left out only when Lambda
/// started the binary, otherwise clap's usual error (exit 2).
fn parse_cli() -> Cli {
    let under_lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some_and(|v| !v.is_empty());
    let matches = Cli::command()
        .subcommand_required(!under_lambda)
        .arg_required_else_help(!under_lambda)
        .get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

fn main() -> ExitCode {
    let cli = parse_cli();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Transform(args) => run_transform(args),
        Command::HandleEvent { file } => run_handle_event(&file),
        Command::Convert {
            file,
            format,
            output,
        } => run_convert(&file, format, output.as_ref()),
        Command::Serve => run_serve(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { code, message }) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            ExitCode::from(code)
        }
    }
}
