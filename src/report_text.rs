//! The change report as text for people: per resource, what was added or
//! changed and why, then what concerns the whole template.
//!
//! ```text
//! OrdersFunction (AWS::Serverless::Function): changed
//!   + layer     arn:aws:lambda:...:layer:Datadog-Python312-ARM:127 [bundled default pythonLayerVersion=127]
//!   ~ handler   app.handler → datadog_lambda.handler.handler
//!   + env       DD_SITE = datadoghq.com [site (transform parameter)]
//!   = env       DD_SERVICE kept (already set)
//!   ! warning   ...
//! ```
//!
//! Marks: `+` added, `~` changed, `=` left as the user had it, `-` skipped,
//! `!` warning, `x` error; `[...]` says where a value came from. Secret-bearing variables never show a value, and
//! the whole text is passed through [`Secrets::mask`].

use std::fmt::Write;

use serde_json::Value;

use crate::report::{Change, Diagnostic, Origin, Report, Severity};
use crate::report_json::ResourceStatus;
use crate::secrets::{Secrets, is_secret_variable};

/// The report as text, ending with a newline, secrets masked.
pub fn render(report: &Report, secrets: &Secrets) -> String {
    let mut out = String::new();
    out.push_str(&summary(report));
    out.push('\n');
    for r in &report.resources {
        let status = ResourceStatus::of(r);
        let _ = writeln!(
            out,
            "\n{} ({}): {}",
            r.logical_id,
            r.resource_type,
            status.as_str()
        );
        for c in &r.changes {
            out.push_str(&change_line(c));
        }
        for d in diagnostics_of(report, Some(&r.logical_id)) {
            out.push_str(&diagnostic_line(d));
        }
    }
    // Diagnostics about resources without changes, each under its resource.
    let mut others: Vec<&str> = Vec::new();
    for d in &report.diagnostics {
        if let Some(id) = d.resource.as_deref()
            && !report.resources.iter().any(|r| r.logical_id == id)
            && !others.contains(&id)
        {
            others.push(id);
        }
    }
    for id in others {
        let _ = writeln!(out, "\n{id}: unchanged");
        for d in diagnostics_of(report, Some(id)) {
            out.push_str(&diagnostic_line(d));
        }
    }
    let general: Vec<&Diagnostic> = diagnostics_of(report, None).collect();
    if !general.is_empty() {
        out.push_str("\nTemplate:\n");
        for d in general {
            out.push_str(&diagnostic_line(d));
        }
    }
    if !report.defaults_used.is_empty() {
        let _ = writeln!(out, "\nDefaults used: {}", report.defaults_used.join(", "));
    }
    if !report.notes.is_empty() {
        out.push_str("\nNotes:\n");
        for note in &report.notes {
            let _ = writeln!(out, "  {note}");
        }
    }
    secrets.mask(&out).into_owned()
}

/// The first line: counts, and whether the run succeeds.
fn summary(report: &Report) -> String {
    let count = |status| {
        report
            .resources
            .iter()
            .filter(|r| ResourceStatus::of(r) == status)
            .count()
    };
    let warnings = report.warnings().count();
    let errors = report.errors().count();
    let outcome = if !report.fails() {
        "succeeds"
    } else if report.has_errors() {
        "fails"
    } else {
        "fails (strict: warnings are errors)"
    };
    let partly = match count(ResourceStatus::Partial) {
        0 => String::new(),
        1 => " (1 of them only in part: see the \"- skipped\" line under it)".to_string(),
        n => format!(" ({n} of them only in part: see the \"- skipped\" lines under them)"),
    };
    format!(
        "DatadogServerless dry run {outcome}: {} changed{partly}, {} skipped; {}, {}.",
        plural(
            count(ResourceStatus::Changed) + count(ResourceStatus::Partial),
            "resource"
        ),
        count(ResourceStatus::Skipped),
        plural(warnings, "warning"),
        plural(errors, "error"),
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn diagnostics_of<'a>(
    report: &'a Report,
    resource: Option<&'a str>,
) -> impl Iterator<Item = &'a Diagnostic> + 'a {
    report
        .diagnostics
        .iter()
        .filter(move |d| d.resource.as_deref() == resource)
}

fn line(mark: char, label: &str, text: &str) -> String {
    format!("  {mark} {label:<9} {text}\n")
}

fn diagnostic_line(d: &Diagnostic) -> String {
    let (mark, label) = match d.severity {
        Severity::Warning => ('!', "warning"),
        Severity::Error => ('x', "error"),
    };
    line(mark, label, &one_line(&d.message))
}

/// A diagnostic as one line naming its resource (`OrdersFunction: ...`),
/// unless the message already names it; without `warning:`/`error:`.
pub fn diagnostic_summary(d: &Diagnostic) -> String {
    let message = one_line(&d.message);
    match d.resource.as_deref() {
        Some(id) if !names(&message, id) => format!("{id}: {message}"),
        _ => message,
    }
}

/// Whether `text` contains `id` as a whole word (not inside a longer name).
fn names(text: &str, id: &str) -> bool {
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    text.match_indices(id).any(|(i, _)| {
        !is_word(text[..i].chars().next_back()) && !is_word(text[i + id.len()..].chars().next())
    })
}

/// A message on one line (continuation lines joined with `; `).
pub fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A value as shown to people: strings as they are, anything else (numbers,
/// intrinsics) as compact JSON.
pub fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// ` [source]`, or nothing without one.
fn bracketed(source: &Option<Origin>) -> String {
    source
        .as_ref()
        .map(|s| format!(" [{s}]"))
        .unwrap_or_default()
}

/// `role R allows|denies ACTIONS on RESOURCES [source]`.
fn iam_line(
    role: &str,
    verb: &str,
    actions: &[String],
    resources: &[Value],
    source: &Option<Origin>,
) -> String {
    let on: Vec<String> = resources.iter().map(show).collect();
    let statement = format!(
        "role {role} {verb} {} on {}{}",
        actions.join(", "),
        on.join(", "),
        bracketed(source)
    );
    line('+', "IAM", &statement)
}

fn change_line(c: &Change) -> String {
    match c {
        Change::LayerAdded { arn, source, .. } => line('+', "layer", &format!("{arn} [{source}]")),
        Change::LayerReplaced { old, new, source } => {
            line('~', "layer", &format!("{old} → {new} [{source}]"))
        }
        Change::LayerKept { arn, param } => line(
            '=',
            "layer",
            &format!("{arn} kept (the template pins it; set {param} to replace it)"),
        ),
        Change::HandlerRedirected { from, to, source } => line(
            '~',
            "handler",
            &format!("{} → {to}{}", show(from), bracketed(source)),
        ),
        Change::EnvSet {
            name,
            value,
            source,
        } => {
            let shown = match value {
                Some(v) if !is_secret_variable(name) => show(v),
                _ => "(secret, not shown)".to_string(),
            };
            line('+', "env", &format!("{name} = {shown} [{source}]"))
        }
        Change::EnvKept { name } => line('=', "env", &format!("{name} kept (already set)")),
        Change::TagAdded { key, value } => line('+', "tag", &format!("{key} = {}", show(value))),
        Change::PropertySet { property, value } => {
            line('~', "property", &format!("{property} = {}", show(value)))
        }
        Change::IamStatement {
            role,
            actions,
            resources,
        } => iam_line(role, "allows", actions, resources, &None),
        Change::DefinitionEdited { state, detail } => {
            line('~', "state", &format!("{state}: {detail}"))
        }
        Change::IamDenied {
            role,
            actions,
            resources,
            source,
        } => iam_line(role, "denies", actions, resources, &Some(source.clone())),
        Change::ResourceAdded {
            logical_id,
            resource_type,
            source,
        } => line(
            '+',
            "resource",
            &format!("{logical_id} ({resource_type}){}", bracketed(source)),
        ),
        Change::Skipped { reason } => line('-', "skipped", reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_variables_never_show_a_value() {
        let mut r = Report::default();
        for (name, value) in [
            ("DD_API_KEY", Some(json!("leak1"))),
            ("DD_KMS_API_KEY", None),
        ] {
            r.change(
                "F",
                "AWS::Lambda::Function",
                Change::EnvSet {
                    name: name.into(),
                    value,
                    source: "parameter".into(),
                },
            );
        }
        let text = render(&r, &Secrets::default());
        assert!(!text.contains("leak1"), "{text}");
        assert_eq!(text.matches("(secret, not shown)").count(), 2, "{text}");
    }

    #[test]
    fn summaries_name_the_resource_once() {
        let d = |resource: Option<&str>, message: &str| Diagnostic {
            severity: Severity::Warning,
            resource: resource.map(str::to_string),
            message: message.into(),
        };
        assert_eq!(
            diagnostic_summary(&d(Some("F"), "bad\nthing")),
            "F: bad; thing"
        );
        assert_eq!(
            diagnostic_summary(&d(Some("F"), "Resource F (Metadata): bad")),
            "Resource F (Metadata): bad"
        );
        assert_eq!(
            diagnostic_summary(&d(Some("Fn"), "FnRole is outside")),
            "Fn: FnRole is outside"
        );
        assert_eq!(diagnostic_summary(&d(None, "global")), "global");
    }

    #[test]
    fn a_resource_changed_only_in_part_is_explained() {
        let mut r = Report::default();
        let image = Change::Skipped {
            reason: "container image: environment only".into(),
        };
        for id in ["F", "G"] {
            r.change(
                id,
                "AWS::Lambda::Function",
                Change::EnvKept {
                    name: "DD_ENV".into(),
                },
            );
            r.change(id, "AWS::Lambda::Function", image.clone());
        }
        let text = render(&r, &Secrets::default());
        assert!(
            text.starts_with("DatadogServerless dry run succeeds: 2 resources changed (2 of them only in part: see the \"- skipped\" lines under them), 0 skipped;"),
            "{text}"
        );
        assert!(text.contains("  - skipped   container image: environment only\n"));
    }

    #[test]
    fn a_handler_a_parameter_chose_names_it() {
        let redirected = |source: Option<Origin>| Change::HandlerRedirected {
            from: json!("app.handler"),
            to: "wrapper.handler".into(),
            source,
        };
        assert_eq!(
            change_line(&redirected(Some(
                "customHandler (transform parameter)".into()
            ))),
            "  ~ handler   app.handler → wrapper.handler [customHandler (transform parameter)]\n"
        );
        assert_eq!(
            change_line(&redirected(None)),
            "  ~ handler   app.handler → wrapper.handler\n"
        );
    }

    #[test]
    fn added_resources_and_denials_name_their_parameter() {
        let added = Change::ResourceAdded {
            logical_id: "ApiprodExecutionLogGroup".into(),
            resource_type: "AWS::Logs::LogGroup".into(),
            source: Some(
                "subscribeToExecutionLogs (transform parameter): execution logs of ProdStage"
                    .into(),
            ),
        };
        assert_eq!(
            change_line(&added),
            "  + resource  ApiprodExecutionLogGroup (AWS::Logs::LogGroup) [subscribeToExecutionLogs (transform parameter): execution logs of ProdStage]\n"
        );
        let denied = Change::IamDenied {
            role: "Role".into(),
            actions: vec!["logs:PutLogEvents".into()],
            resources: vec![json!({"Fn::Sub": "arn:x:${F}"})],
            source: "disableCloudWatchLogs (default)".into(),
        };
        assert_eq!(
            change_line(&denied),
            "  + IAM       role Role denies logs:PutLogEvents on {\"Fn::Sub\":\"arn:x:${F}\"} [disableCloudWatchLogs (default)]\n"
        );
    }

    #[test]
    fn layout() {
        let mut r = Report::default();
        r.change(
            "F",
            "AWS::Lambda::Function",
            Change::HandlerRedirected {
                from: json!({"Ref": "H"}),
                to: "wrapper.handler".into(),
                source: None,
            },
        );
        r.change(
            "G",
            "AWS::Lambda::Function",
            Change::Skipped {
                reason: "excluded".into(),
            },
        );
        r.warn(Some("F"), "first\n  second");
        r.warn(Some("Machine"), "left alone");
        r.error(None, "bad site");
        r.default_used("nodeLayerVersion=142".into());
        assert_eq!(
            render(&r, &Secrets::default()),
            "DatadogServerless dry run fails: 1 resource changed, 1 skipped; 2 warnings, 1 error.

F (AWS::Lambda::Function): changed
  ~ handler   {\"Ref\":\"H\"} → wrapper.handler
  ! warning   first; second

G (AWS::Lambda::Function): skipped
  - skipped   excluded

Machine: unchanged
  ! warning   left alone

Template:
  x error     bad site

Defaults used: nodeLayerVersion=142
"
        );
    }
}
