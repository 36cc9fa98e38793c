//! The `dd-serverless-macro` command: local dry runs of the DatadogServerless
//! transform on template files, raw macro events, and format conversion; and
//! the deployed macro itself (`serve`, or no subcommand when Lambda starts it).
//!
//! Exit codes: 0 success; 1 the transform failed (each error on its own line
//! on stderr), `transform --strict` met a warning, or serving stopped; 2 bad
//! usage or unreadable input.

use std::ffi::OsStr;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use dd_serverless_macro::diff::{self, DiffOptions};
use dd_serverless_macro::dry_run::{self, DryRunOptions};
use dd_serverless_macro::report::Report;
use dd_serverless_macro::secrets::Secrets;
use dd_serverless_macro::template::{self, Format};
use dd_serverless_macro::{MacroEnvironment, answer_bytes, handle_with_report};
use dd_serverless_macro::{report_json, report_text};

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
    ///
    /// --diff shows what changes, --report says why, --strict fails on any
    /// warning. Warnings and errors go to standard error, one line each.
    /// Exit codes: 0 success; 1 the transform failed, or warned under
    /// --strict (nothing is written then); 2 bad usage or unreadable input.
    Transform(TransformArgs),
    /// Answer a raw macro event (JSON, as CloudFormation sends it) and print
    /// the response exactly as the deployed Lambda returns it.
    HandleEvent {
        /// The event file; `-` reads standard input.
        #[arg(default_value = "-")]
        file: String,
    },
    /// Print the table of every parameter the transform accepts (Markdown):
    /// name, type, default, the macro environment variable that sets a
    /// site-wide default, and what it does.
    Parameters,
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
    /// Print a unified diff of what the transform changes instead of the
    /// template; with -o, write the template to that file and the diff to
    /// standard output.
    ///
    /// Both sides are the template as this tool renders it, in the input's
    /// format (YAML short forms kept), so that only real changes show, not
    /// the input file's comments, quoting or layout. Hunk headers name the
    /// resource they change (`@@ -10,6 +10,12 @@ Resources.OrdersFunction`).
    /// The value of `apiKey` / `apiKMSKey` is shown as `****` on both sides.
    /// No output when nothing changes.
    #[arg(long)]
    diff: bool,
    /// When to colour the diff: `auto` colours it when standard output is a
    /// terminal and NO_COLOR is not set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
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
    /// Treat every warning as an error: exit 1 and write neither the
    /// template nor the diff (the report is still written). For CI.
    #[arg(long)]
    strict: bool,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ColorChoice {
    /// Colour when standard output is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Whether to colour what goes to standard output.
    fn enabled(self) -> bool {
        self.decide(
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("TERM").as_deref(),
        )
    }

    /// The decision, from the facts: a terminal, `NO_COLOR` (any non-empty
    /// value disables colour, see no-color.org), `TERM=dumb`.
    fn decide(self, terminal: bool, no_color: Option<&OsStr>, term: Option<&OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && no_color.is_none_or(OsStr::is_empty) && term != Some(OsStr::new("dumb"))
            }
        }
    }
}

/// `--report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ReportFormat {
    /// For people: one block per resource.
    Text,
    /// For pipelines: the versioned JSON schema of the README.
    Json,
}

/// A failure of the command itself, with its exit code.
struct Failure {
    code: u8,
    message: String,
}

fn usage(message: String) -> Failure {
    Failure { code: 2, message }
}

/// Reads a file (`-`: standard input) as UTF-8 text, keeping at most
/// `limit` bytes in memory: past that the rest is only counted, and the
/// answer is `Err(its size)`, so that a huge input is refused without being
/// held.
fn read_input(file: &str, limit: usize) -> Result<Result<String, u64>, Failure> {
    let name = if file == "-" { "standard input" } else { file };
    let result = if file == "-" {
        read_bounded(std::io::stdin().lock(), limit, None)
    } else {
        std::fs::File::open(file).and_then(|f| {
            let size = f.metadata().ok().map(|m| m.len());
            read_bounded(f, limit, size)
        })
    };
    let bytes = match result.map_err(|e| usage(format!("cannot read {name}: {e}")))? {
        Ok(bytes) => bytes,
        Err(size) => return Ok(Err(size)),
    };
    String::from_utf8(bytes).map(Ok).map_err(|e| {
        usage(format!(
            "{name} is not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Up to `limit` bytes of `reader`, or `Err(its whole size)` when longer.
fn read_bounded(
    mut reader: impl Read,
    limit: usize,
    size_hint: Option<u64>,
) -> std::io::Result<Result<Vec<u8>, u64>> {
    // A file's size, when known, saves growing the buffer to twice the text.
    let capacity = size_hint.map_or(0, |n| n.min(limit as u64 + 1) as usize);
    let mut bytes = Vec::with_capacity(capacity);
    reader
        .by_ref()
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() <= limit {
        return Ok(Ok(bytes));
    }
    let rest = std::io::copy(&mut reader, &mut std::io::sink())?;
    Ok(Err(bytes.len() as u64 + rest))
}

fn read_template(file: &str) -> Result<(serde_json::Value, Format), Failure> {
    let name = if file == "-" { "standard input" } else { file };
    let text = read_input(file, template::MAX_TEMPLATE_BYTES)?.map_err(|size| {
        usage(format!(
            "{name}: {}",
            template::TemplateError::TooLarge(usize::try_from(size).unwrap_or(usize::MAX))
        ))
    })?;
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

/// Prints each warning and error on its own line, naming its resource.
fn print_diagnostics(report: &Report, secrets: &Secrets) {
    for (label, list) in [
        ("warning", report.warnings().collect::<Vec<_>>()),
        ("error", report.errors().collect()),
    ] {
        for d in list {
            let line = report_text::diagnostic_summary(d);
            eprintln!("{label}: {}", secrets.mask(&line));
        }
    }
    if !report.defaults_used.is_empty() {
        eprintln!(
            "note: bundled default layer versions used: {} (set the parameters to pin others)",
            report.defaults_used.join(", ")
        );
    }
}

/// Writes the report where it was asked for.
fn write_report(
    format: ReportFormat,
    file: Option<&PathBuf>,
    report: &Report,
    secrets: &Secrets,
    strict: bool,
) -> Result<(), Failure> {
    let text = match format {
        ReportFormat::Text => report_text::render(report, secrets, strict),
        ReportFormat::Json => report_json::render(report, secrets, strict),
    };
    match file {
        Some(path) => std::fs::write(path, text).map_err(|e| {
            usage(format!(
                "cannot write the report to {}: {e}",
                path.display()
            ))
        }),
        None => {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes()).and_then(|_| err.flush());
            Ok(())
        }
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
    let report_format = args
        .report
        .or(args.report_file.is_some().then_some(ReportFormat::Text));
    // A JSON report on standard error is all that goes there, so it parses.
    let json_on_stderr = report_format == Some(ReportFormat::Json) && args.report_file.is_none();
    let prepared = dry_run::prepare(&original, &options).map_err(|e| usage(e.to_string()))?;
    if !prepared.entry_found && options.params.is_empty() && !json_on_stderr {
        eprintln!(
            "note: the template lists no `{}` transform; running with default parameters (add --param NAME=VALUE to set some)",
            options.transform_name
        );
    }
    let environment = MacroEnvironment::from_process();
    let secrets = Secrets::collect(&prepared.request, &environment, &[&original]);
    let (response, report) = handle_with_report(prepared.request, &environment);
    if !json_on_stderr {
        print_diagnostics(&report, &secrets);
    }
    if let Some(format) = report_format {
        write_report(
            format,
            args.report_file.as_ref(),
            &report,
            &secrets,
            args.strict,
        )?;
    }
    if !response.is_success() {
        return Err(Failure {
            code: 1,
            message: String::new(),
        });
    }
    let warnings = report.warnings().count();
    if args.strict && warnings > 0 {
        let what = if warnings == 1 {
            "1 warning".to_string()
        } else {
            format!("{warnings} warnings")
        };
        return Err(Failure {
            code: 1,
            message: if json_on_stderr {
                String::new()
            } else {
                format!("{what} and --strict is set: the template was not written")
            },
        });
    }
    let output = dry_run::finish(&original, response.fragment, &options.transform_name);
    let format = args.format.unwrap_or(input_format);
    if !args.diff {
        return write_output(args.output.as_ref(), &template::to_string(&output, format));
    }
    if let Some(path) = &args.output {
        write_output(Some(path), &template::to_string(&output, format))?;
    }
    let old_text = template::to_string(&original, input_format);
    let new_text = template::to_string(&output, input_format);
    let input_name = if args.file == "-" {
        "standard input".to_string()
    } else {
        args.file.clone()
    };
    let new_label = match &args.output {
        Some(path) => path.display().to_string(),
        None => format!("{input_name} (instrumented)"),
    };
    let text = diff::unified(
        &secrets.mask(&old_text),
        &secrets.mask(&new_text),
        &DiffOptions {
            old_label: &input_name,
            new_label: &new_label,
            format: input_format,
            color: args.color.enabled(),
        },
    );
    write_output(None, &text)
}

fn run_handle_event(file: &str) -> Result<(), Failure> {
    let text_of_event = read_input(file, dd_serverless_macro::MAX_EVENT_BYTES)?;
    // Written as it is produced: the answer of a large event is megabytes.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let written = match &text_of_event {
        Ok(text) => {
            answer_bytes(text.as_bytes(), &MacroEnvironment::from_process(), &mut out).map(drop)
        }
        Err(size) => {
            let (response, _) = dd_serverless_macro::oversized_event(*size);
            serde_json::to_writer(&mut out, &response).map_err(std::io::Error::from)
        }
    }
    .and_then(|_| out.write_all(b"\n"))
    .and_then(|_| out.flush());
    match written {
        // A closed pipe (`| head`) is not an error worth reporting.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(usage(format!("cannot write the answer: {e}")))
        }
        _ => Ok(()),
    }
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
        Command::Parameters => {
            write_output(None, &dd_serverless_macro::config::parameters_markdown())
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        let auto = ColorChoice::Auto;
        let some = |s: &'static str| Some(OsStr::new(s));
        assert!(auto.decide(true, None, some("xterm-256color")));
        assert!(
            auto.decide(true, some(""), None),
            "an empty NO_COLOR does not count"
        );
        assert!(!auto.decide(true, some("1"), None));
        assert!(!auto.decide(true, None, some("dumb")));
        assert!(!auto.decide(false, None, None), "piped");
        assert!(ColorChoice::Always.decide(false, some("1"), None));
        assert!(!ColorChoice::Never.decide(true, None, None));
    }
}
