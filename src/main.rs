//! The `dd-serverless-macro` command: local dry runs of the DatadogServerless
//! transform on template files, raw macro events, and format conversion; and
//! the deployed macro itself (`serve`, or no subcommand when Lambda starts it).
//!
//! Exit codes: 0 success; 1 the transform failed (each error on its own line
//! on stderr), `transform --strict` met a warning, or serving stopped; 2 bad
//! usage or unreadable input.
//!
//! Argument types and dispatch only: each command is one function of
//! [`dd_serverless_macro::dry_run::command`].

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use dd_serverless_macro::dry_run::command::{
    self, Failure, ReportFormat, TransformCommand, UninstrumentCommand,
};
use dd_serverless_macro::dry_run::overrides::{self, ParameterOverrides};
use dd_serverless_macro::dry_run::{self, DryRunOptions, examples, input::Input};
use dd_serverless_macro::{MacroEnvironment, parameters_markdown, template::Format};

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
    /// In the input's format, it is the input file with only the
    /// transform's changes made: its comments and layout stay. It ends with
    /// a record of what the transform added (Metadata.DatadogServerless.Added),
    /// from which `uninstrument` takes exactly that out again.
    ///
    /// --diff shows what changes, --report says why, --strict fails on any
    /// warning. Warnings and errors go to standard error, one line each.
    /// Exit codes: 0 success; 1 the transform failed, or warned under
    /// --strict (nothing is written then); 2 bad usage or unreadable input.
    #[command(after_help = examples::section(examples::TRANSFORM))]
    Transform(TransformArgs),
    /// Remove what `transform` added to a template it baked, as the record
    /// it wrote there says, and print the result.
    ///
    /// `transform` records in its output (Metadata.DatadogServerless.Added)
    /// each value it added or replaced: layers, the handler (restored from
    /// before), DD_* variables and AWS_LAMBDA_EXEC_WRAPPER, tags, tracing,
    /// IAM statements and policies, state-machine logging and definition
    /// changes, the log groups, subscription filters, roles and
    /// permissions it declared, and the record itself. Exactly those are
    /// taken out.
    ///
    /// It never touches: a value the template had before the transform
    /// (even one equal to what Datadog would set), anything without a
    /// record (a template the transform never baked, or one instrumented
    /// by another tool: nothing changes, and a note says so), a value
    /// changed after the bake (kept, with a warning), nor a resource the
    /// transform added that the rest of the template now refers to (kept,
    /// with a warning). It does not put the DatadogServerless entry back in
    /// Transform. In the input's format the output is the input file with
    /// only those removals made: its comments and layout stay.
    ///
    /// Exit codes: 0 success (also when there is nothing to remove); 1
    /// --strict and something was left in place (nothing is written then);
    /// 2 bad usage, unreadable input or an unreadable record.
    #[command(after_help = examples::section(examples::UNINSTRUMENT))]
    Uninstrument(UninstrumentArgs),
    /// Answer a raw macro event (JSON, as CloudFormation sends it) and print
    /// the response exactly as the deployed Lambda returns it.
    #[command(after_help = examples::section(examples::HANDLE_EVENT))]
    HandleEvent {
        /// The event file; `-` (or nothing, when standard input is not a terminal) reads standard input.
        file: Option<String>,
    },
    /// Print the table of every parameter the transform accepts (Markdown):
    /// name, type, default, the macro environment variable that sets a
    /// site-wide default, and what it does.
    #[command(after_help = examples::section(examples::PARAMETERS))]
    Parameters,
    /// Convert a template between JSON and YAML (short-form intrinsics in YAML).
    #[command(after_help = examples::section(examples::CONVERT))]
    Convert {
        /// The template file; `-` (or nothing, when standard input is not a terminal) reads standard input.
        file: Option<String>,
        /// The output format.
        #[arg(long, value_enum)]
        format: Format,
        /// Write the output to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Answer macro events from the Lambda Runtime API: what the deployed
    /// macro runs (the default when Lambda starts the binary).
    #[command(after_help = examples::section(examples::SERVE))]
    Serve,
}

#[derive(Debug, clap::Args)]
struct TransformArgs {
    /// The template file (JSON or YAML, detected from its content); `-` (or
    /// nothing, when standard input is not a terminal) reads standard input.
    file: Option<String>,
    /// Set one macro parameter, overriding the template's Transform entry (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = dry_run::parse_key_value)]
    params: Vec<(String, String)>,
    /// The stack's region, for layer ARNs [default: $AWS_REGION, then
    /// $AWS_DEFAULT_REGION, then us-east-1, which the run names].
    ///
    /// It must be an AWS region (us-east-1, us-gov-west-1...); a region this
    /// tool does not know (a typo of the right form) is a warning.
    #[arg(long)]
    region: Option<String>,
    /// The stack's account id (AWS::AccountId).
    #[arg(long, default_value = "123456789012")]
    account_id: String,
    /// The stack's name (AWS::StackName).
    #[arg(long, default_value = "dry-run-stack")]
    stack_name: String,
    /// Template parameters' values, as `sam deploy --parameter-overrides`
    /// takes them (repeatable).
    ///
    /// `Key=Value` pairs separated by spaces (quote a value with spaces:
    /// `Key="a b"`), or `ParameterKey=Key,ParameterValue=Value`; one argument
    /// each time, so a FILE after it stays the FILE. A name the template does
    /// not declare, or a value its AllowedValues / AllowedPattern refuse, is
    /// an error.
    #[arg(long, value_name = "PAIRS", value_parser = overrides::parse)]
    parameter_overrides: Vec<ParameterOverrides>,
    /// The name of our entry in the template's Transform section.
    #[arg(long, default_value = dry_run::DEFAULT_TRANSFORM_NAME)]
    transform_name: String,
    /// Output format [default: the input's format].
    ///
    /// In the input's format, the output is the input file with only the
    /// transform's changes made; in the other, the whole template rewritten.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the instrumented template to this file instead of standard
    /// output (it may be the input file itself).
    ///
    /// In the input's format it is the input file edited: comments, blank
    /// lines, quoting, indentation and key order of everything the transform
    /// does not change are kept byte for byte, and running it again on its
    /// own output leaves the file as it is. Where an edit cannot be made (a
    /// change through a YAML alias, anchor or merge key), the whole template
    /// is written as this tool renders it, with a note on standard error
    /// saying why. Nothing is written when the run fails.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Print a unified diff of the input file against the template instead
    /// of the template; with -o, write the template to that file and the
    /// diff to standard output.
    ///
    /// `patch -p0 < DIFF` (or `git apply -p0 DIFF`) applied to the input file
    /// gives the template exactly: both headers name the input file. Hunk
    /// headers name the resources they change (`@@ -10,6 +10,12 @@
    /// Resources.OrdersFunction`). The value of `apiKey` / `apiKMSKey` reads
    /// `****`; such a diff is for reading only, and a note says so. With
    /// --format converting to the other format, the diff compares both
    /// templates as rendered in the input's format, to read only. No output
    /// when nothing changes.
    #[arg(long)]
    diff: bool,
    /// When to colour the diff: `auto` colours it when standard output is a
    /// terminal and NO_COLOR is not set.
    #[arg(long, value_enum, default_value_t = clap::ColorChoice::Auto, value_name = "WHEN")]
    color: clap::ColorChoice,
    /// Write a change report (per resource: layers, handler, variables, tags,
    /// IAM, new resources, skipped functions, warnings, defaults used) to
    /// standard error, or to --report-file. The JSON form is versioned
    /// (`schemaVersion`) and documented in the README; when it goes to
    /// standard error it is all that is written there.
    #[arg(long, value_enum, value_name = "FORMAT")]
    report: Option<ReportFormat>,
    /// Write the report to this file instead of standard error (implies --report text
    /// unless --report is given).
    #[arg(long, value_name = "PATH")]
    report_file: Option<PathBuf>,
    /// Set the macro's `strict` parameter, as a deployment may: every
    /// warning is an error, exit 1, and neither the template nor the diff
    /// is written (the report still is). For CI.
    #[arg(long)]
    strict: bool,
}

#[derive(Debug, clap::Args)]
struct UninstrumentArgs {
    /// The baked template file (JSON or YAML, detected from its content);
    /// `-` (or nothing, when standard input is not a terminal) reads
    /// standard input.
    file: Option<String>,
    /// Output format [default: the input's format].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the template to this file instead of standard output (it may
    /// be the input file itself); as with `transform`, the input file
    /// edited.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Print a unified diff of the input file against the template instead
    /// of the template (with -o, the template goes to that file); `patch
    /// -p0` applies it. An API key removed reads `****`, and the diff is then
    /// for reading only.
    #[arg(long)]
    diff: bool,
    /// When to colour the diff.
    #[arg(long, value_enum, default_value_t = clap::ColorChoice::Auto, value_name = "WHEN")]
    color: clap::ColorChoice,
    /// Treat every warning (a value left in place) as an error: exit 1 and
    /// write nothing.
    #[arg(long)]
    strict: bool,
}

fn uninstrument(args: UninstrumentArgs) -> Result<(), Failure> {
    let command = UninstrumentCommand {
        input: Input::from_arg_here(args.file.as_deref(), "template")?,
        format: args.format,
        output: args.output,
        diff: args.diff,
        color: command::stdout_color(args.color),
        strict: args.strict,
    };
    let (mut stdout, mut stderr) = (std::io::stdout().lock(), std::io::stderr().lock());
    command::uninstrument(&command, &mut stdout, &mut stderr)
}

fn transform(args: TransformArgs) -> Result<(), Failure> {
    let region = command::region(args.region)?;
    let command = TransformCommand {
        input: Input::from_arg_here(args.file.as_deref(), "template")?,
        options: DryRunOptions {
            transform_name: args.transform_name,
            params: args.params,
            parameter_overrides: (args.parameter_overrides.into_iter())
                .flat_map(ParameterOverrides::into_pairs)
                .collect(),
            region: region.name,
            account_id: args.account_id,
            stack_name: args.stack_name,
        },
        region_source: region.source,
        format: args.format,
        output: args.output,
        diff: args.diff,
        color: command::stdout_color(args.color),
        report: args.report,
        report_file: args.report_file,
        strict: args.strict,
    };
    let (mut stdout, mut stderr) = (std::io::stdout().lock(), std::io::stderr().lock());
    let environment = MacroEnvironment::from_process();
    command::transform(&command, &environment, &mut stdout, &mut stderr)
}

fn handle_event(file: Option<String>) -> Result<(), Failure> {
    let input = Input::from_arg_here(file.as_deref(), "event")?;
    let environment = MacroEnvironment::from_process();
    command::handle_event(&input, &environment, &mut std::io::stdout().lock())
}

fn convert(file: Option<String>, format: Format, output: Option<PathBuf>) -> Result<(), Failure> {
    let input = Input::from_arg_here(file.as_deref(), "template")?;
    command::convert(
        &input,
        format,
        output.as_deref(),
        &mut std::io::stdout().lock(),
    )
}

fn parameters() -> Result<(), Failure> {
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = std::io::stdout().write_all(parameters_markdown().as_bytes());
    Ok(())
}

fn serve() -> Result<(), Failure> {
    dd_serverless_macro::serve::run().map_err(|e| Failure::Failed(e.to_string()))
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
    let result = match parse_cli().command.unwrap_or(Command::Serve) {
        Command::Transform(args) => transform(args),
        Command::Uninstrument(args) => uninstrument(args),
        Command::HandleEvent { file } => handle_event(file),
        Command::Parameters => parameters(),
        Command::Convert {
            file,
            format,
            output,
        } => convert(file, format, output),
        Command::Serve => serve(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let message = failure.to_string();
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            ExitCode::from(failure.exit_code())
        }
    }
}
