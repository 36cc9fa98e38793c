//! The CLI's commands as library functions, so that tests reach them:
//! `transform` (a dry run: the template or its diff on standard output,
//! diagnostics and the report where they were asked for, `--strict`),
//! `handle-event` and `convert`. Each writes to the streams it is given
//! and answers a [`Failure`] carrying the exit code.

use std::io::Write;
use std::path::{Path, PathBuf};

use anstream::ColorChoice;

use serde_json::Value;

use super::input::{Input, TemplateFile};
use super::output::Written;
use super::{DryRunOptions, bake, diff, prepare};
use crate::config::{Param, check_region};
use crate::report::Report;
use crate::secrets::Secrets;
use crate::template::{self, Format};
use crate::{MacroEnvironment, handle_with_report, report_json, report_text};

/// Why a command failed, as its exit code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// Bad usage or unreadable input: exit code 2.
    #[error("{0}")]
    Usage(String),
    /// The transform failed (an error, or a warning under `strict`), or serving stopped:
    /// exit code 1. The message is empty when the diagnostics said why.
    #[error("{0}")]
    Failed(String),
}

impl Failure {
    /// The process's exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Failed(_) => 1,
        }
    }
}

/// `--report`: the change report's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// For people: one block per resource.
    Text,
    /// For pipelines: the versioned JSON schema of the README.
    Json,
}

/// What `transform` is asked to do.
#[derive(Debug, Clone)]
pub struct TransformCommand {
    /// The template.
    pub input: Input,
    /// The stack and the transform's parameters.
    pub options: DryRunOptions,
    /// Where `options.region` came from (the run names a default one).
    pub region_source: RegionSource,
    /// The output format; the input's when `None`.
    pub format: Option<Format>,
    /// Where the template goes instead of standard output.
    pub output: Option<PathBuf>,
    /// A diff on standard output instead of the template (which then goes
    /// only to `output`, if given).
    pub diff: bool,
    /// Whether the diff keeps its colours (`Always`), or not (`Never`);
    /// the caller decides `Auto` for its standard output.
    pub color: ColorChoice,
    /// The report's form, if one is wanted.
    pub report: Option<ReportFormat>,
    /// Where the report goes instead of standard error.
    pub report_file: Option<PathBuf>,
    /// `--strict`: the macro's `strict` parameter is set, so that any
    /// warning fails the run, and nothing is written but the report.
    pub strict: bool,
}

/// What `--color` means for this process's standard output: `Always`
/// (keep the diff's colours) or `Never`, anstream deciding `auto` (a
/// terminal, NO_COLOR, TERM=dumb, CLICOLOR and CLICOLOR_FORCE).
pub fn stdout_color(when: clap::ColorChoice) -> ColorChoice {
    let choice = match when {
        clap::ColorChoice::Auto => ColorChoice::Auto,
        clap::ColorChoice::Always => ColorChoice::Always,
        clap::ColorChoice::Never => ColorChoice::Never,
    };
    anstream::AutoStream::new(std::io::stdout(), choice).current_choice()
}

/// The region a dry run builds layer ARNs for, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackRegion {
    /// The region.
    pub name: String,
    /// Where it came from.
    pub source: RegionSource,
}

/// Where a dry run's region came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionSource {
    /// `--region`.
    Flag,
    /// This environment variable (`AWS_REGION`, `AWS_DEFAULT_REGION`).
    Variable(&'static str),
    /// None of them: [`DEFAULT_REGION`], and the run says so.
    Default,
}

/// The region of a dry run when none is given.
pub const DEFAULT_REGION: &str = "us-east-1";

/// The variables read, in order, when `--region` is not given.
const REGION_VARIABLES: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];

/// The stack's region for a dry run: `--region`, else `AWS_REGION`, else
/// `AWS_DEFAULT_REGION`, else [`DEFAULT_REGION`]. One that is not an AWS
/// region is a usage error naming where it came from and the closest region.
pub fn region(given: Option<String>) -> Result<StackRegion, Failure> {
    region_from(given, |var| std::env::var(var).ok())
}

/// [`region`], reading variables with `variable`.
fn region_from(
    given: Option<String>,
    variable: impl Fn(&str) -> Option<String>,
) -> Result<StackRegion, Failure> {
    let from_variables = || {
        REGION_VARIABLES.into_iter().find_map(|var| {
            let value = variable(var).filter(|v| !v.is_empty())?;
            Some((value, RegionSource::Variable(var)))
        })
    };
    let (name, source) = match given
        .map(|g| (g, RegionSource::Flag))
        .or_else(from_variables)
    {
        Some(found) => found,
        None => (DEFAULT_REGION.to_string(), RegionSource::Default),
    };
    if let Err(refused) = check_region(&name) {
        let what = match source {
            RegionSource::Variable(var) => var,
            _ => "--region",
        };
        return Err(Failure::Usage(format!("{what} {refused}")));
    }
    Ok(StackRegion { name, source })
}

/// Runs `transform`: standard output gets the template or its diff,
/// standard error the diagnostics (one line each) and the report when no
/// file is given for it. A JSON report on standard error is all that is
/// written there, so that it parses.
pub fn transform(
    command: &TransformCommand,
    environment: &MacroEnvironment,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), Failure> {
    let input = command.input.read_template()?;
    let original = &input.value;
    let options = &command.options;
    let report_format = command
        .report
        .or(command.report_file.is_some().then_some(ReportFormat::Text));
    let report_on_stderr = report_format.filter(|_| command.report_file.is_none());
    let json_on_stderr = report_on_stderr == Some(ReportFormat::Json);
    let mut prepared = prepare(original, options).map_err(|e| Failure::Usage(e.to_string()))?;
    if command.strict {
        // The macro's own parameter, so that the dry run fails where the
        // deployment would.
        (prepared.request.params).insert(Param::strict.name().into(), Value::Bool(true));
    }
    if !prepared.entry_found && options.params.is_empty() && !json_on_stderr {
        let _ = writeln!(
            stderr,
            "note: the template lists no `{}` transform; running with default parameters (add --param NAME=VALUE to set some)",
            options.transform_name
        );
    }
    if command.region_source == RegionSource::Default && !json_on_stderr {
        let _ = writeln!(
            stderr,
            "note: no region given (--region, AWS_REGION or AWS_DEFAULT_REGION): using {}",
            options.region
        );
    }
    let secrets = Secrets::collect(&prepared.request, environment, &[original]);
    let (response, mut report) = handle_with_report(prepared.request, environment);
    // What is written is made before the report, which notes how.
    let outputs = match refusal(&response, &report, json_on_stderr) {
        Some(failure) => Err(failure),
        None => bake(original, response.fragment, &options.transform_name)
            .map(|output| Outputs::new(&command.delivery(), &input, &output, &secrets))
            .map_err(|e| Failure::Usage(format!("{}: {e}", command.input.name()))),
    };
    for note in outputs.iter().flat_map(|outputs| &outputs.notes) {
        report.note(note.clone());
    }
    if !json_on_stderr {
        // A text report on standard error says which defaults were used.
        let note_defaults = report_on_stderr.is_none();
        print_diagnostics(&report, &secrets, note_defaults, stderr);
    }
    if let Some(format) = report_format {
        let text = match format {
            ReportFormat::Text => report_text::render(&report, &secrets),
            ReportFormat::Json => report_json::render(&report, &secrets),
        };
        match &command.report_file {
            Some(path) => write_file(path, &text, "the report to ")?,
            None => write_stream(stderr, &text),
        }
    }
    outputs?.deliver(&command.delivery(), stdout)
}

/// Why nothing is written, if so: the transform failed, its errors said
/// why; or only warnings under `strict` failed it (the message says so,
/// unless a JSON report on standard error must be all that is there).
fn refusal(
    response: &crate::MacroResponse,
    report: &Report,
    json_on_stderr: bool,
) -> Option<Failure> {
    if response.is_success() {
        return None;
    }
    if report.has_errors() || json_on_stderr {
        return Some(Failure::Failed(String::new()));
    }
    Some(strict_refusal(
        report.strict_warnings().count(),
        "--strict, or the `strict` parameter",
    ))
}

/// The failure of strict mode with `warnings` warnings; `set_by` says what
/// set it.
fn strict_refusal(warnings: usize, set_by: &str) -> Failure {
    let what = match warnings {
        1 => "1 warning".to_string(),
        n => format!("{n} warnings"),
    };
    Failure::Failed(format!(
        "{what} and strict is set ({set_by}): the template was not written"
    ))
}

/// The note of a diff that masking changed.
const MASKED_DIFF: &str = "the diff shows `****` in place of the API key: it is for reading only, as `patch` and `git apply` will not apply it (the template written holds the key); apiKeySecretArn (AWS Secrets Manager) keeps the key out of templates and diffs";

/// What a successful `transform` writes: the template, the diff as shown,
/// and notes on how they were made.
struct Outputs {
    /// The template's text.
    template: String,
    /// The diff, masked and styled, when asked for.
    diff: Option<String>,
    /// Why the template is the full rendering, why the diff does not apply.
    notes: Vec<String>,
}

/// Where and how a command writes its template: the flags `transform` and
/// `uninstrument` share.
struct Delivery<'c> {
    input: &'c Input,
    /// The note of a diff that masking changed.
    masked: &'static str,
    format: Option<Format>,
    output: Option<&'c Path>,
    diff: bool,
    color: ColorChoice,
}

impl TransformCommand {
    fn delivery(&self) -> Delivery<'_> {
        Delivery {
            input: &self.input,
            masked: MASKED_DIFF,
            format: self.format,
            output: self.output.as_deref(),
            diff: self.diff,
            color: self.color,
        }
    }
}

impl Outputs {
    fn new(command: &Delivery, input: &TemplateFile, output: &Value, secrets: &Secrets) -> Outputs {
        let written = Written::new(input, output, command.format.unwrap_or(input.format));
        let name = command.input.name();
        let mut notes = Vec::new();
        if let Some(fallback) = written.fallback() {
            notes.push(format!(
                "{name}: {fallback}; the output is the whole template as this tool writes it, without the file's comments and layout"
            ));
        }
        let diff = command.diff.then(|| {
            let plain = written.diff(&name);
            let shown = secrets.mask(&plain);
            if shown != plain {
                notes.push(command.masked.to_string());
            }
            match command.color {
                ColorChoice::Always | ColorChoice::AlwaysAnsi => diff::style(&shown),
                // No terminal is known here: `Auto` is decided by the caller.
                ColorChoice::Auto | ColorChoice::Never => shown.into_owned(),
            }
        });
        Outputs {
            template: written.text().to_string(),
            diff,
            notes,
        }
    }
}

impl Outputs {
    /// Writes the template to its file or standard output, and the diff
    /// when asked for.
    fn deliver(&self, command: &Delivery, stdout: &mut dyn Write) -> Result<(), Failure> {
        match (command.output, command.diff) {
            (Some(path), _) => write_file(path, &self.template, "")?,
            (None, false) => write_stream(stdout, &self.template),
            (None, true) => {}
        }
        if let Some(diff) = &self.diff {
            write_stream(stdout, diff);
        }
        Ok(())
    }
}

/// What `uninstrument` is asked to do.
#[derive(Debug, Clone)]
pub struct UninstrumentCommand {
    /// The baked template.
    pub input: Input,
    /// The output format; the input's when `None`.
    pub format: Option<Format>,
    /// Where the template goes instead of standard output.
    pub output: Option<PathBuf>,
    /// A diff on standard output instead of the template.
    pub diff: bool,
    /// Whether the diff keeps its colours (see [`TransformCommand::color`]).
    pub color: ColorChoice,
    /// Any warning (something left in place) fails the run, and nothing is
    /// written.
    pub strict: bool,
}

/// Runs `uninstrument`: the template with what its record says the
/// transform added taken out ([`crate::record`]), written like
/// `transform` writes (the user's file edited, `-o`, `--diff`, `--format`);
/// what was left in place, one warning each on standard error.
pub fn uninstrument(
    command: &UninstrumentCommand,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), Failure> {
    let input = command.input.read_template()?;
    let name = command.input.name();
    let undone = crate::record::uninstrument(&input.value)
        .map_err(|e| Failure::Usage(format!("{name}: {e}")))?;
    if !undone.recorded {
        let _ = writeln!(
            stderr,
            "note: {name} holds no record of what `dd-serverless-macro transform` added ({}), so nothing was removed",
            crate::record::PLACE
        );
    }
    if super::lists_transform(&input.value, super::DEFAULT_TRANSFORM_NAME) {
        let _ = writeln!(
            stderr,
            "note: {name} still lists the {} transform, which instruments it again at deployment: remove that entry from Transform",
            super::DEFAULT_TRANSFORM_NAME
        );
    }
    for warning in &undone.warnings {
        let _ = writeln!(stderr, "warning: {warning}");
    }
    if command.strict && !undone.warnings.is_empty() {
        return Err(strict_refusal(undone.warnings.len(), "--strict"));
    }
    let mut secrets = Secrets::default();
    secrets.add_from_template(&input.value);
    let delivery = Delivery {
        input: &command.input,
        masked: "the diff shows `****` in place of the API key it removes: it is for reading only, as `patch` and `git apply` will not apply it",
        format: command.format,
        output: command.output.as_deref(),
        diff: command.diff,
        color: command.color,
    };
    let outputs = Outputs::new(&delivery, &input, &undone.template, &secrets);
    for note in &outputs.notes {
        let _ = writeln!(stderr, "note: {note}");
    }
    outputs.deliver(&delivery, stdout)
}

/// Prints each warning and error on its own line, naming its resource, and
/// (with `note_defaults`) the bundled layer versions used and the report's notes.
fn print_diagnostics(
    report: &Report,
    secrets: &Secrets,
    note_defaults: bool,
    stderr: &mut dyn Write,
) {
    let labelled = report
        .warnings()
        .map(|d| ("warning", d))
        .chain(report.errors().map(|d| ("error", d)));
    for (label, d) in labelled {
        let line = report_text::diagnostic_summary(d);
        let _ = writeln!(stderr, "{label}: {}", secrets.mask(&line));
    }
    if note_defaults && !report.defaults_used.is_empty() {
        let _ = writeln!(
            stderr,
            "note: bundled default layer versions used: {} (set the parameters to pin others)",
            report.defaults_used.join(", ")
        );
    }
    if note_defaults {
        for note in &report.notes {
            let _ = writeln!(stderr, "note: {note}");
        }
    }
}

/// Runs `handle-event`: the answer to a raw macro event, exactly as the
/// deployed Lambda returns it, written as it is produced.
pub fn handle_event(
    input: &Input,
    environment: &MacroEnvironment,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let event = input.read(crate::MAX_EVENT_BYTES)?;
    let mut out = std::io::BufWriter::new(stdout);
    let written = match &event {
        Ok(text) => crate::answer_to(text.as_bytes(), environment, &mut out),
        Err(size) => crate::answer::oversized(*size, &mut out),
    }
    .and_then(|_| out.write_all(b"\n"))
    .and_then(|_| out.flush());
    match written {
        // A closed pipe (`| head`) is not an error worth reporting.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::Usage(format!("cannot write the answer: {e}")))
        }
        _ => Ok(()),
    }
}

/// Runs `convert`: the template in another format.
pub fn convert(
    input: &Input,
    format: Format,
    output: Option<&Path>,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let text = template::to_string(&input.read_template()?.value, format);
    match output {
        Some(path) => write_file(path, &text, ""),
        None => {
            write_stream(stdout, &text);
            Ok(())
        }
    }
}

/// Writes a file; `what` names it in the error (`the report to `).
fn write_file(path: &Path, text: &str, what: &str) -> Result<(), Failure> {
    std::fs::write(path, text)
        .map_err(|e| Failure::Usage(format!("cannot write {what}{}: {e}", path.display())))
}

/// Writes to a standard stream: a closed pipe (`| head`) is not an error
/// worth reporting.
fn write_stream(stream: &mut dyn Write, text: &str) {
    let _ = stream
        .write_all(text.as_bytes())
        .and_then(|_| stream.flush());
}

#[cfg(test)]
mod tests {
    use anstream::adapter::strip_str;

    use super::*;

    /// A `transform` of `template` (given as standard input is not
    /// possible here: a file under the scratch directory).
    fn run(
        template: &str,
        configure: impl FnOnce(&mut TransformCommand),
    ) -> (Result<(), Failure>, String, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("template.yaml");
        std::fs::write(&path, template).unwrap();
        let mut command = TransformCommand {
            input: Input::File(path),
            options: DryRunOptions {
                transform_name: super::super::DEFAULT_TRANSFORM_NAME.into(),
                region: "us-east-1".into(),
                account_id: "123456789012".into(),
                stack_name: "s".into(),
                ..Default::default()
            },
            region_source: RegionSource::Flag,
            format: None,
            output: None,
            diff: false,
            color: ColorChoice::Never,
            report: None,
            report_file: None,
            strict: false,
        };
        configure(&mut command);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let result = transform(&command, &MacroEnvironment::default(), &mut out, &mut err);
        (
            result,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    const DEFAULTS_USED: &str = "Transform: DatadogServerless\nResources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n";

    #[test]
    fn the_bundled_versions_are_named_once() {
        let summaries = |err: &str| {
            err.lines()
                .filter(|l| {
                    l.starts_with("note: bundled default") || l.starts_with("Defaults used:")
                })
                .count()
        };
        let (result, _, err) = run(DEFAULTS_USED, |_| {});
        assert_eq!(result, Ok(()));
        assert_eq!(summaries(&err), 1, "{err}");
        let (_, _, err) = run(DEFAULTS_USED, |c| c.report = Some(ReportFormat::Text));
        assert_eq!(summaries(&err), 1, "{err}");
        assert!(
            err.contains("\nDefaults used: pythonLayerVersion=127\n"),
            "{err}"
        );
    }

    #[test]
    fn strict_with_a_warning_writes_nothing() {
        let template = DEFAULTS_USED.replace(
            "Transform: DatadogServerless\n",
            "Transform: {Name: DatadogServerless, Parameters: {apiKey: 0f0e0d0c0b0a0908}}\n",
        );
        let (result, out, err) = run(&template, |c| c.strict = true);
        assert_eq!(
            result,
            Err(Failure::Failed(
                "1 warning and strict is set (--strict, or the `strict` parameter): the template was not written".into()
            ))
        );
        assert_eq!(out, "");
        assert!(
            err.starts_with("warning: the API key is given in plain text"),
            "{err}"
        );
    }

    #[test]
    fn the_region_comes_from_the_flag_then_the_variables_and_must_be_one() {
        let unset = |_: &str| None;
        let default_only = |var: &str| (var == "AWS_DEFAULT_REGION").then(|| "ap-south-1".into());
        let region = |name: &str, source| {
            Ok(StackRegion {
                name: name.into(),
                source,
            })
        };
        assert_eq!(
            region_from(Some("eu-west-1".into()), default_only),
            region("eu-west-1", RegionSource::Flag)
        );
        assert_eq!(
            region_from(None, default_only),
            region("ap-south-1", RegionSource::Variable("AWS_DEFAULT_REGION"))
        );
        assert_eq!(
            region_from(None, unset),
            region("us-east-1", RegionSource::Default)
        );
        assert_eq!(
            region_from(Some("foo bar".into()), unset),
            Err(Failure::Usage(
                "--region `foo bar` is not an AWS region (a region looks like us-east-1 or eu-west-3)"
                    .into()
            ))
        );
        let upper = |var: &str| (var == "AWS_REGION").then(|| "EU-WEST-1".into());
        assert_eq!(
            region_from(None, upper),
            Err(Failure::Usage(
                "AWS_REGION `EU-WEST-1` is not an AWS region; did you mean eu-west-1?".into()
            ))
        );
    }

    #[test]
    fn a_default_region_is_named_and_an_unlisted_one_is_a_warning() {
        let (result, _, err) = run(DEFAULTS_USED, |c| c.region_source = RegionSource::Default);
        assert_eq!(result, Ok(()));
        assert!(
            err.starts_with("note: no region given (--region, AWS_REGION or AWS_DEFAULT_REGION): using us-east-1\n"),
            "{err}"
        );
        let (result, out, err) = run(DEFAULTS_USED, |c| {
            c.options.region = "eu-wst-1".into();
            c.strict = true;
        });
        assert!(matches!(result, Err(Failure::Failed(_))), "{result:?}");
        assert_eq!(out, "");
        assert!(
            err.starts_with("warning: region `eu-wst-1` is not an AWS region this macro knows (did you mean eu-west-1?)"),
            "{err}"
        );
    }

    #[test]
    fn a_diff_is_coloured_only_when_asked() {
        // Past the `---`/`+++` lines, which name a temporary file.
        let hunks = |diff: &str| diff.lines().skip(2).collect::<Vec<_>>().join("\n");
        let (_, plain, _) = run(DEFAULTS_USED, |c| c.diff = true);
        assert!(plain.contains("@@ ") && !plain.contains('\x1b'), "{plain}");
        let (_, coloured, _) = run(DEFAULTS_USED, |c| {
            c.diff = true;
            c.color = ColorChoice::Always;
        });
        assert!(coloured.contains("\x1b[32m+"), "{coloured:?}");
        assert_eq!(hunks(&strip_str(&coloured).to_string()), hunks(&plain));
    }
}
