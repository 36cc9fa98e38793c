//! The change report as JSON, for CI pipelines: a stable, versioned schema
//! (documented in the README, "Report format (JSON)").
//!
//! The schema is written out here, field by field, rather than derived from
//! [`crate::report`]'s types, so that the report model can change without
//! breaking pipelines: a change to this file is a change to the contract,
//! and a breaking one bumps [`SCHEMA_VERSION`].
//!
//! Secrets never appear: a secret-bearing variable ([`is_secret_variable`])
//! has no `value`, whatever the report entry holds, and every string is
//! passed through [`Secrets::mask_value`].

use serde_json::{Value, json};

use crate::report::{Change, Diagnostic, Report, ResourceReport};
use crate::secrets::{Secrets, is_secret_variable};

/// The version of the JSON schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// What became of a resource named in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceStatus {
    /// Something was added or changed (a function instrumented, a role granted...).
    Changed,
    /// Partly instrumented: some of it was left alone on purpose (a
    /// container image gets its environment but no handler change...).
    Partial,
    /// Left alone on purpose (excluded, unsupported runtime...).
    Skipped,
}

impl ResourceStatus {
    /// The status of a resource from its changes.
    pub fn of(resource: &ResourceReport) -> ResourceStatus {
        let skipped = |c: &Change| matches!(c, Change::Skipped { .. });
        if !resource.changes.iter().any(skipped) {
            ResourceStatus::Changed
        } else if resource.changes.iter().all(skipped) {
            ResourceStatus::Skipped
        } else {
            ResourceStatus::Partial
        }
    }

    /// Its name in the report (`changed`, `partial`, `skipped`).
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceStatus::Changed => "changed",
            ResourceStatus::Partial => "partial",
            ResourceStatus::Skipped => "skipped",
        }
    }
}

/// Whether a run with this report fails: any error, or any warning under `--strict`.
pub fn fails(report: &Report, strict: bool) -> bool {
    report.has_errors() || (strict && report.warnings().next().is_some())
}

/// The report as a JSON value of schema [`SCHEMA_VERSION`], secrets masked.
pub fn to_value(report: &Report, secrets: &Secrets, strict: bool) -> Value {
    let value = json!({
        "schemaVersion": SCHEMA_VERSION,
        "macroVersion": crate::VERSION,
        "status": if fails(report, strict) { "failure" } else { "success" },
        "strict": strict,
        "resources": report.resources.iter().map(resource).collect::<Vec<_>>(),
        "warnings": report.warnings().map(diagnostic).collect::<Vec<_>>(),
        "errors": report.errors().map(diagnostic).collect::<Vec<_>>(),
        "defaultsUsed": report.defaults_used,
    });
    secrets.mask_value(&value)
}

/// The report as pretty-printed JSON text with a trailing newline.
pub fn render(report: &Report, secrets: &Secrets, strict: bool) -> String {
    let mut text =
        serde_json::to_string_pretty(&to_value(report, secrets, strict)).unwrap_or_default();
    text.push('\n');
    text
}

fn resource(r: &ResourceReport) -> Value {
    json!({
        "logicalId": r.logical_id,
        "type": r.resource_type,
        "status": ResourceStatus::of(r).as_str(),
        "changes": r.changes.iter().map(change).collect::<Vec<_>>(),
    })
}

fn diagnostic(d: &Diagnostic) -> Value {
    json!({"resource": d.resource, "message": d.message})
}

/// One change, as an object whose `kind` says which fields it has.
fn change(c: &Change) -> Value {
    match c {
        Change::LayerAdded {
            arn,
            source,
            bundled_default,
        } => {
            json!({"kind": "layerAdded", "arn": arn, "source": source, "bundledDefault": bundled_default})
        }
        Change::LayerReplaced { old, new } => {
            json!({"kind": "layerReplaced", "oldArn": old, "newArn": new})
        }
        Change::HandlerRedirected { from, to } => {
            json!({"kind": "handlerRedirected", "from": from, "to": to})
        }
        Change::EnvSet {
            name,
            value,
            source,
        } => {
            let secret = is_secret_variable(name) || value.is_none();
            let mut v = json!({"kind": "envSet", "name": name});
            if !secret && let Some(value) = value {
                v["value"] = value.clone();
            }
            v["secret"] = json!(secret);
            v["source"] = json!(source);
            v
        }
        Change::EnvKept { name } => json!({"kind": "envKept", "name": name}),
        Change::TagAdded { key, value } => {
            json!({"kind": "tagAdded", "key": key, "value": value})
        }
        Change::PropertySet { property, value } => {
            json!({"kind": "propertySet", "property": property, "value": value})
        }
        Change::IamStatement {
            role,
            actions,
            resources,
        } => {
            json!({"kind": "iamStatement", "role": role, "actions": actions, "resources": resources})
        }
        Change::DefinitionEdited { state, detail } => {
            json!({"kind": "definitionEdited", "state": state, "detail": detail})
        }
        Change::ResourceAdded {
            logical_id,
            resource_type,
        } => json!({"kind": "resourceAdded", "logicalId": logical_id, "type": resource_type}),
        Change::Skipped { reason } => json!({"kind": "skipped", "reason": reason}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &str = "F";
    const T: &str = "AWS::Lambda::Function";

    fn every_kind() -> Report {
        let mut r = Report::default();
        let changes = [
            Change::LayerAdded {
                arn: "arn:layer:1".into(),
                source: "default".into(),
                bundled_default: true,
            },
            Change::LayerReplaced {
                old: "arn:layer:0".into(),
                new: "arn:layer:1".into(),
            },
            Change::HandlerRedirected {
                from: json!("app.handler"),
                to: "datadog.handler".into(),
            },
            Change::EnvSet {
                name: "DD_SITE".into(),
                value: Some(json!("datadoghq.eu")),
                source: "parameter site".into(),
            },
            // A pass that forgot to drop the value: the renderer still hides it.
            Change::EnvSet {
                name: "DD_API_KEY".into(),
                value: Some(json!("leaked")),
                source: "parameter apiKey".into(),
            },
            Change::EnvKept {
                name: "DD_ENV".into(),
            },
            Change::TagAdded {
                key: "dd_sls_macro".into(),
                value: json!("v0.1.0"),
            },
            Change::PropertySet {
                property: "TracingConfig.Mode".into(),
                value: json!("Active"),
            },
            Change::IamStatement {
                role: "Role".into(),
                actions: vec!["secretsmanager:GetSecretValue".into()],
                resources: vec![json!("arn:secret")],
            },
            Change::DefinitionEdited {
                state: "Call".into(),
                detail: "trace context".into(),
            },
            Change::ResourceAdded {
                logical_id: "FLogGroup".into(),
                resource_type: "AWS::Logs::LogGroup".into(),
            },
        ];
        for c in changes {
            r.change(F, T, c);
        }
        r.change(
            "G",
            T,
            Change::Skipped {
                reason: "excluded".into(),
            },
        );
        r.change(
            "H",
            T,
            Change::Skipped {
                reason: "container image: environment only".into(),
            },
        );
        r.change(
            "H",
            T,
            Change::EnvKept {
                name: "DD_ENV".into(),
            },
        );
        r.warn(Some(F), "careful");
        r.warn(None, "template-wide");
        r.default_used("pythonLayerVersion=127".into());
        r
    }

    #[test]
    fn every_change_kind_has_its_documented_shape() {
        let mut v = to_value(&every_kind(), &Secrets::default(), false);
        assert_eq!(v["macroVersion"], crate::VERSION);
        v["macroVersion"] = json!("[version]");
        insta::assert_json_snapshot!(v);
    }

    #[test]
    fn strict_turns_warnings_into_failure_and_secrets_are_masked() {
        let mut secrets = Secrets::default();
        secrets.add("careful");
        let v = to_value(&every_kind(), &secrets, true);
        assert_eq!(v["status"], "failure");
        assert_eq!(v["warnings"][0]["message"], "****");
        assert!(!render(&every_kind(), &secrets, true).contains("leaked"));
        assert_eq!(
            to_value(&Report::default(), &secrets, true)["status"],
            "success"
        );
    }
}
