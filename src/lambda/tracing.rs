//! Tracing (SPEC §6): dd-trace, X-Ray or both ("hybrid").

use serde_json::json;

use super::function::{FunctionEdit, FunctionKind};
use super::{env, iam};
use crate::config::Param;
use crate::report::Change;
use crate::template::model::Template;

/// The actions X-Ray needs.
pub const XRAY_ACTIONS: &[&str] = &["xray:PutTraceSegments", "xray:PutTelemetryRecords"];

/// Sets `DD_MERGE_XRAY_TRACES` and, with X-Ray, active tracing and the
/// role's X-Ray permissions.
pub fn configure(edit: &mut FunctionEdit, template: &Template<'_>) {
    let xray = edit.config.enable_xray_tracing;
    let dd = edit.config.enable_dd_tracing;
    match edit.config.enable_merge_xray_traces {
        Some(merge) => env::set(
            edit,
            "DD_MERGE_XRAY_TRACES",
            env::text(merge),
            env::source_of(&edit.config, Param::enable_merge_xray_traces),
        ),
        None if dd => env::set(
            edit,
            "DD_MERGE_XRAY_TRACES",
            env::text(xray),
            if xray {
                "hybrid tracing (X-Ray and dd-trace)"
            } else {
                "no X-Ray traces to merge: enableXrayTracing is false"
            },
        ),
        None => {}
    }
    if !xray {
        return;
    }
    match edit.kind {
        FunctionKind::Lambda => {
            if !edit.props.contains_key("TracingConfig") {
                edit.props
                    .insert("TracingConfig", json!({"Mode": "Active"}));
                edit.change_with(|| Change::PropertySet {
                    property: "TracingConfig".into(),
                    value: json!({"Mode": "Active"}),
                });
            }
        }
        FunctionKind::Serverless => {
            if edit.inherited("Tracing").is_none() {
                edit.props.insert("Tracing", json!("Active"));
                edit.change_with(|| Change::PropertySet {
                    property: "Tracing".into(),
                    value: json!("Active"),
                });
            }
        }
    }
    iam::grant(edit, template, XRAY_ACTIONS, json!("*"), "X-Ray tracing");
}

/// With `grantSecretReadAccess`, lets the role read the API key from
/// `apiKeySecretArn` / `apiKeySsmArn`.
pub fn grant_secret_access(edit: &mut FunctionEdit, template: &Template<'_>) {
    let c = edit.config.clone();
    if !c.grant_secret_read_access {
        return;
    }
    if let Some(arn) = &c.api_key_secret_arn {
        iam::grant(
            edit,
            template,
            &["secretsmanager:GetSecretValue"],
            arn.clone(),
            "reading the API key secret",
        );
    }
    if let Some(arn) = &c.api_key_ssm_arn {
        iam::grant(
            edit,
            template,
            &["ssm:GetParameter"],
            arn.clone(),
            "reading the API key parameter",
        );
    }
}
