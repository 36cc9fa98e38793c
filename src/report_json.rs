//! The change report as JSON, for CI pipelines: a stable, versioned schema
//! (documented in the README, "Report format (JSON)").
//!
//! The schema is the `Json*` structs of this file, each a
//! `#[derive(Serialize)]` written for the wire, rather than a serde form
//! of [`crate::report`]'s types (which carry no serde), so that the report
//! model can change without breaking pipelines: a change to this file is a
//! change to the contract, and a breaking one bumps [`SCHEMA_VERSION`].
//!
//! Secrets never appear: a secret-bearing variable ([`is_secret_variable`])
//! has no `value`, whatever the report entry holds, and every string is
//! passed through [`Secrets::mask_value`].

use serde::Serialize;
use serde_json::Value;

use crate::report::{Change, Diagnostic, Origin, Report, ResourceReport, VersionFrom};
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

/// The report as a JSON value of schema `SCHEMA_VERSION`, secrets masked.
pub fn to_value(report: &Report, secrets: &Secrets) -> Value {
    let wire = JsonReport {
        schema_version: SCHEMA_VERSION,
        macro_version: crate::VERSION,
        status: if report.fails() { "failure" } else { "success" },
        strict: report.is_strict(),
        resources: report.resources.iter().map(JsonResource::of).collect(),
        warnings: report.warnings().map(JsonDiagnostic::of).collect(),
        errors: report.errors().map(JsonDiagnostic::of).collect(),
        defaults_used: &report.defaults_used,
        notes: &report.notes,
    };
    let value = serde_json::to_value(wire).expect("the report's wire types serialise");
    secrets.mask_value(&value)
}

/// One change as the report writes it (`{"kind": "tagAdded", ...}`), its
/// strings not masked.
pub fn change_value(change: &Change) -> Value {
    serde_json::to_value(JsonChange::of(change)).expect("the report's wire types serialise")
}

/// The report as pretty-printed JSON text with a trailing newline.
pub fn render(report: &Report, secrets: &Secrets) -> String {
    let mut text = serde_json::to_string_pretty(&to_value(report, secrets)).unwrap_or_default();
    text.push('\n');
    text
}

/// The whole report.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport<'a> {
    /// [`SCHEMA_VERSION`].
    schema_version: u32,
    /// The macro's version.
    macro_version: &'static str,
    /// `success` or `failure` (errors, or warnings under `strict`).
    status: &'static str,
    /// Whether `strict` is set for the template (`--strict`, or the parameter).
    strict: bool,
    /// Per resource, in the order first touched.
    resources: Vec<JsonResource<'a>>,
    /// The warnings, in order.
    warnings: Vec<JsonDiagnostic<'a>>,
    /// The errors, in order.
    errors: Vec<JsonDiagnostic<'a>>,
    /// Bundled defaults used in place of parameters (`pythonLayerVersion=127`).
    defaults_used: &'a [String],
    /// Remarks that are neither warnings nor errors (a retired runtime's
    /// last layer version used).
    notes: &'a [String],
}

/// One resource and its changes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonResource<'a> {
    logical_id: &'a str,
    #[serde(rename = "type")]
    resource_type: &'a str,
    /// [`ResourceStatus::as_str`].
    status: &'static str,
    changes: Vec<JsonChange<'a>>,
}

impl<'a> JsonResource<'a> {
    fn of(r: &'a ResourceReport) -> JsonResource<'a> {
        JsonResource {
            logical_id: &r.logical_id,
            resource_type: &r.resource_type,
            status: ResourceStatus::of(r).as_str(),
            changes: r.changes.iter().map(JsonChange::of).collect(),
        }
    }
}

/// A warning or an error; `resource` is `null` when it concerns the template.
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    resource: Option<&'a str>,
    message: &'a str,
}

impl<'a> JsonDiagnostic<'a> {
    fn of(d: &'a Diagnostic) -> JsonDiagnostic<'a> {
        JsonDiagnostic {
            resource: d.resource.as_deref(),
            message: &d.message,
        }
    }
}

/// One change, as an object whose `kind` says which fields it has.
#[derive(Serialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
enum JsonChange<'a> {
    LayerAdded {
        arn: &'a str,
        /// Where its version or ARN came from.
        source: String,
        /// No parameter gave its version (`versionFrom` is not `parameter`).
        bundled_default: bool,
        /// [`version_from`].
        version_from: &'static str,
    },
    LayerReplaced {
        old_arn: &'a str,
        new_arn: &'a str,
        /// Where the new version or ARN came from.
        source: String,
    },
    LayerKept {
        arn: &'a str,
        /// The parameter that would replace it.
        parameter: &'static str,
    },
    HandlerRedirected {
        from: &'a Value,
        to: &'a str,
        /// The parameter that chose `to`; absent for Datadog's handler.
        #[serde(skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    EnvSet {
        name: &'a str,
        /// Absent when the variable holds a secret.
        #[serde(skip_serializing_if = "Option::is_none")]
        value: Option<&'a Value>,
        secret: bool,
        source: String,
    },
    EnvKept {
        name: &'a str,
    },
    TagAdded {
        key: &'a str,
        value: &'a Value,
    },
    PropertySet {
        property: &'a str,
        value: &'a Value,
    },
    IamStatement {
        role: &'a str,
        actions: &'a [String],
        resources: &'a [Value],
    },
    IamDenied {
        role: &'a str,
        actions: &'a [String],
        resources: &'a [Value],
        source: String,
    },
    DefinitionEdited {
        state: &'a str,
        detail: &'a str,
    },
    ResourceAdded {
        logical_id: &'a str,
        #[serde(rename = "type")]
        resource_type: &'a str,
        /// The parameter that asked for it; absent for a function's or
        /// state machine's own log group, filter and role.
        #[serde(skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    Skipped {
        reason: &'a str,
    },
}

impl<'a> JsonChange<'a> {
    fn of(c: &'a Change) -> JsonChange<'a> {
        match c {
            Change::LayerAdded {
                arn,
                source,
                version_from,
            } => JsonChange::LayerAdded {
                arn,
                source: source.to_string(),
                bundled_default: *version_from != VersionFrom::Parameter,
                version_from: version_from_name(*version_from),
            },
            Change::LayerReplaced { old, new, source } => JsonChange::LayerReplaced {
                old_arn: old,
                new_arn: new,
                source: source.to_string(),
            },
            Change::LayerKept { arn, param } => JsonChange::LayerKept {
                arn,
                parameter: param.name(),
            },
            Change::HandlerRedirected { from, to, source } => JsonChange::HandlerRedirected {
                from,
                to,
                source: source.as_ref().map(Origin::to_string),
            },
            Change::EnvSet {
                name,
                value,
                source,
            } => {
                let secret = is_secret_variable(name) || value.is_none();
                JsonChange::EnvSet {
                    name,
                    value: value.as_ref().filter(|_| !secret),
                    secret,
                    source: source.to_string(),
                }
            }
            Change::EnvKept { name } => JsonChange::EnvKept { name },
            Change::TagAdded { key, value } => JsonChange::TagAdded { key, value },
            Change::PropertySet { property, value } => JsonChange::PropertySet { property, value },
            Change::IamStatement {
                role,
                actions,
                resources,
            } => JsonChange::IamStatement {
                role,
                actions,
                resources,
            },
            Change::IamDenied {
                role,
                actions,
                resources,
                source,
            } => JsonChange::IamDenied {
                role,
                actions,
                resources,
                source: source.to_string(),
            },
            Change::DefinitionEdited { state, detail } => {
                JsonChange::DefinitionEdited { state, detail }
            }
            Change::ResourceAdded {
                logical_id,
                resource_type,
                source,
            } => JsonChange::ResourceAdded {
                logical_id,
                resource_type,
                source: source.as_ref().map(Origin::to_string),
            },
            Change::Skipped { reason } => JsonChange::Skipped { reason },
        }
    }
}

/// A layer's `versionFrom`: `parameter`, `bundledDefault` or `runtimeLast`.
fn version_from_name(from: VersionFrom) -> &'static str {
    match from {
        VersionFrom::Parameter => "parameter",
        VersionFrom::BundledDefault => "bundledDefault",
        VersionFrom::RuntimeLast => "runtimeLast",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const F: &str = "F";
    const T: &str = "AWS::Lambda::Function";

    fn every_kind() -> Report {
        let mut r = Report::default();
        let changes = [
            Change::LayerAdded {
                arn: "arn:layer:1".into(),
                source: "default".into(),
                version_from: VersionFrom::BundledDefault,
            },
            Change::LayerReplaced {
                old: "arn:layer:0".into(),
                new: "arn:layer:1".into(),
                source: "parameter pythonLayerVersion (transform parameter)".into(),
            },
            Change::LayerKept {
                arn: "arn:layer:0".into(),
                param: crate::config::Param::python_layer_version,
            },
            Change::HandlerRedirected {
                from: json!("app.handler"),
                to: "datadog.handler".into(),
                source: None,
            },
            Change::HandlerRedirected {
                from: json!("app.handler"),
                to: "wrapper.handler".into(),
                source: Some("customHandler (transform parameter)".into()),
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
                source: None,
            },
            Change::IamDenied {
                role: "Role".into(),
                actions: vec!["logs:PutLogEvents".into()],
                resources: vec![
                    json!({"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/${F}:*"}),
                ],
                source: "disableCloudWatchLogs (transform parameter)".into(),
            },
            Change::ResourceAdded {
                logical_id: "RoleDenyCloudWatchLogs".into(),
                resource_type: "AWS::IAM::RolePolicy".into(),
                source: Some("disableCloudWatchLogs (transform parameter)".into()),
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
        r.note("python3.7: Datadog's last Python 3.7 layer is 85".into());
        r
    }

    #[test]
    fn every_change_kind_has_its_documented_shape() {
        let mut v = to_value(&every_kind(), &Secrets::default());
        assert_eq!(v["macroVersion"], crate::VERSION);
        v["macroVersion"] = json!("[version]");
        insta::assert_json_snapshot!(v);
    }

    #[test]
    fn strict_turns_warnings_into_failure_and_secrets_are_masked() {
        let mut secrets = Secrets::default();
        secrets.add("careful");
        let mut strict = every_kind();
        strict.set_strict(true);
        let v = to_value(&strict, &secrets);
        assert_eq!(v["status"], "failure");
        assert_eq!(v["strict"], true);
        assert_eq!(v["warnings"][0]["message"], "****");
        assert!(!render(&strict, &secrets).contains("leaked"));
        assert_eq!(to_value(&every_kind(), &secrets)["status"], "success");
        let mut empty = Report::default();
        empty.set_strict(true);
        assert_eq!(to_value(&empty, &secrets)["status"], "success");
    }
}
