//! The one log line written per macro request.
//!
//! It holds ids, counts and decisions only — never a property value, a
//! parameter value or a diagnostic's message (messages may quote values, and
//! CloudFormation shows the errors to the user anyway): the request and
//! transform ids, the status, how many functions and state machines were
//! instrumented, which resources were skipped, how many warnings and errors
//! there were and on which resources, and how long it took.

use std::time::Duration;

use crate::report::{Change, Report, ResourceReport, Severity};
use crate::secrets::Secrets;

/// Resource types counted as functions.
pub use crate::lambda::function::FUNCTION_TYPES;

/// Resource types counted as state machines.
pub const STATE_MACHINE_TYPES: &[&str] = &[
    "AWS::StepFunctions::StateMachine",
    "AWS::Serverless::StateMachine",
];

pub use crate::macro_event::EventIds;

/// What one request did, as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestSummary {
    /// The event's ids.
    pub ids: EventIds,
    /// `success` or `failure`.
    pub status: String,
    /// Functions instrumented in the returned fragment (0 on failure).
    pub functions: usize,
    /// State machines instrumented in the returned fragment (0 on failure).
    pub state_machines: usize,
    /// Resources left alone on purpose (only `Skipped` recorded).
    pub skipped: Vec<String>,
    /// Number of warnings.
    pub warnings: usize,
    /// Logical ids the warnings are about (parameter-level ones have none).
    pub warning_resources: Vec<String>,
    /// Number of errors.
    pub errors: usize,
    /// Logical ids the errors are about.
    pub error_resources: Vec<String>,
    /// Time spent answering.
    pub duration: Duration,
}

fn is_skip_only(resource: &ResourceReport) -> bool {
    !resource.changes.is_empty()
        && resource
            .changes
            .iter()
            .all(|c| matches!(c, Change::Skipped { .. }))
}

fn is_instrumented(resource: &ResourceReport) -> bool {
    resource
        .changes
        .iter()
        .any(|c| !matches!(c, Change::Skipped { .. }))
}

fn resources_of(report: &Report, severity: Severity) -> (usize, Vec<String>) {
    let mut count = 0;
    let mut ids: Vec<String> = Vec::new();
    for d in report.diagnostics.iter().filter(|d| d.severity == severity) {
        count += 1;
        if let Some(id) = &d.resource
            && !ids.contains(id)
        {
            ids.push(id.clone());
        }
    }
    (count, ids)
}

/// Logs each warning on its own line (SPEC §12: warnings reach the macro's
/// log): the request id, the resource, and the message with every secret of
/// the request masked.
pub fn log_warnings(ids: &EventIds, report: &Report, secrets: &Secrets) {
    for warning in report.warnings() {
        tracing::warn!(
            request_id = %ids.request_id,
            resource = %warning.resource.as_deref().unwrap_or(""),
            message = %secrets.mask(&warning.message),
            "transform warning"
        );
    }
}

impl RequestSummary {
    /// Summarises a request from its outcome and report.
    pub fn new(ids: EventIds, success: bool, report: &Report, duration: Duration) -> Self {
        let count = |types: &[&str]| {
            if !success {
                return 0;
            }
            report
                .resources
                .iter()
                .filter(|r| types.contains(&r.resource_type.as_str()) && is_instrumented(r))
                .count()
        };
        let (warnings, warning_resources) = resources_of(report, Severity::Warning);
        let (errors, error_resources) = resources_of(report, Severity::Error);
        RequestSummary {
            ids,
            status: if success {
                crate::macro_event::STATUS_SUCCESS
            } else {
                crate::macro_event::STATUS_FAILURE
            }
            .to_string(),
            functions: count(FUNCTION_TYPES),
            state_machines: count(STATE_MACHINE_TYPES),
            skipped: report
                .resources
                .iter()
                .filter(|r| is_skip_only(r))
                .map(|r| r.logical_id.clone())
                .collect(),
            warnings,
            warning_resources,
            errors,
            error_resources,
            duration,
        }
    }

    /// Writes the summary as one `tracing` event: INFO on success, WARN on
    /// failure.
    pub fn log(&self) {
        macro_rules! emit {
            ($level:expr) => {
                tracing::event!(
                    $level,
                    request_id = %self.ids.request_id,
                    transform_id = %self.ids.transform_id,
                    region = %self.ids.region,
                    account_id = %self.ids.account_id,
                    status = %self.status,
                    functions = self.functions,
                    state_machines = self.state_machines,
                    skipped = %self.skipped.join(","),
                    warnings = self.warnings,
                    warning_resources = %self.warning_resources.join(","),
                    errors = self.errors,
                    error_resources = %self.error_resources.join(","),
                    duration_ms = (self.duration.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
                    "macro request answered"
                )
            };
        }
        if self.status == crate::macro_event::STATUS_SUCCESS {
            emit!(tracing::Level::INFO);
        } else {
            emit!(tracing::Level::WARN);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(id: &str, resource_type: &str, changes: Vec<Change>) -> ResourceReport {
        ResourceReport {
            logical_id: id.into(),
            resource_type: resource_type.into(),
            changes,
        }
    }

    fn env_set() -> Change {
        Change::EnvKept {
            name: "DD_SITE".into(),
        }
    }

    fn skipped() -> Change {
        Change::Skipped {
            reason: "excluded".into(),
        }
    }

    fn report() -> Report {
        let mut report = Report::default();
        report.resources = vec![
            resource("A", "AWS::Lambda::Function", vec![env_set()]),
            resource("B", "AWS::Serverless::Function", vec![skipped(), env_set()]),
            resource("C", "AWS::Lambda::Function", vec![skipped()]),
            resource("D", "AWS::StepFunctions::StateMachine", vec![env_set()]),
            resource("E", "AWS::Serverless::StateMachine", vec![]),
            resource("G", "AWS::Logs::SubscriptionFilter", vec![env_set()]),
        ];
        report.warn(Some("A"), "w1");
        report.warn(Some("A"), "w2");
        report.warn(None, "w3");
        report
    }

    #[test]
    fn counts_instrumented_functions_and_state_machines_by_type() {
        let s = RequestSummary::new(
            EventIds::read(br#"{"requestId": "r", "transformId": "1::DatadogServerless"}"#),
            true,
            &report(),
            Duration::from_micros(1500),
        );
        assert_eq!(s.ids.request_id, "r");
        assert_eq!(s.ids.transform_id, "1::DatadogServerless");
        assert_eq!((s.functions, s.state_machines), (2, 1));
        assert_eq!(s.skipped, ["C"]);
        assert_eq!(s.warnings, 3);
        assert_eq!(s.warning_resources, ["A"]);
        assert_eq!((s.errors, s.error_resources.len()), (0, 0));
    }

    #[test]
    fn a_failure_instruments_nothing_and_names_the_resources_at_fault() {
        let mut report = report();
        report.error(Some("A"), "e1");
        report.error(Some("B"), "e2");
        let s = RequestSummary::new(EventIds::default(), false, &report, Duration::ZERO);
        assert_eq!(s.status, "failure");
        assert_eq!((s.functions, s.state_machines), (0, 0));
        assert_eq!(
            (s.errors, s.error_resources.clone()),
            (2, vec!["A".into(), "B".into()])
        );
    }
}
