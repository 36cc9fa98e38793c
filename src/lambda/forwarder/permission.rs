//! `createForwarderPermissions`: an `AWS::Lambda::Permission` letting
//! CloudWatch Logs invoke the Forwarder for each log group the transform
//! subscribes (what CDK's `LambdaDestination` adds).
//!
//! The Forwarder's own stack already allows CloudWatch Logs of its account
//! to invoke it, which is why the option is off by default; it is for a
//! Forwarder installed without that permission. A permission is added
//! beside each new filter only (the filter `DependsOn` it, so that
//! CloudFormation creates it first), never twice for the same log group,
//! and not for a Forwarder in another account, whose policy this stack
//! cannot change.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use super::subscription::{LogGroupTarget, log_group_arn};
use crate::config::{Config, Param};
use crate::lambda::env::source_of;
use crate::report::{Origin, Report};
use crate::template::intrinsics::make_get_att;
use crate::template::model::{PROPERTIES, Template};
use crate::template::resources::new_resource;

/// The CloudFormation type of a Lambda permission.
pub const PERMISSION_TYPE: &str = "AWS::Lambda::Permission";

/// Permissions on one Forwarder past which its resource policy nears
/// Lambda's 20 KB limit (a statement of this shape takes about 350 bytes).
const MANY_PERMISSIONS: usize = 50;

/// What the pass knows to add permissions: the template's own permissions
/// for CloudWatch Logs, the stack's account, and how many it added per
/// Forwarder.
#[derive(Debug)]
pub struct Permissions {
    /// CloudWatch Logs' service principal in the stack's partition.
    principal: &'static str,
    /// The stack's account id.
    account_id: String,
    /// `(FunctionName, SourceArn)` of the template's permissions for
    /// CloudWatch Logs, as JSON text.
    existing: HashSet<(String, String)>,
    /// Permissions added, per Forwarder (as JSON text).
    added: HashMap<String, usize>,
    /// Forwarders in another account already warned about.
    warned: HashSet<String>,
    /// Where `createForwarderPermissions` came from, for the report.
    source: Origin,
}

impl Permissions {
    /// What is needed to add permissions to `template`, when
    /// `createForwarderPermissions` is on.
    pub fn of(
        template: &Template<'_>,
        config: &Config,
        region: &str,
        account_id: &str,
    ) -> Option<Permissions> {
        if !config.create_forwarder_permissions {
            return None;
        }
        let principal = if crate::partition_of(region) == "aws-cn" {
            "logs.amazonaws.com.cn"
        } else {
            "logs.amazonaws.com"
        };
        let existing = template
            .resources_of_types(&[PERMISSION_TYPE])
            .filter_map(|(_, resource)| {
                let props = resource.mapping(PROPERTIES)?;
                let principal = props.get("Principal")?.as_str()?;
                principal.starts_with("logs.").then_some(())?;
                Some((
                    props.get("FunctionName")?.to_string(),
                    props.get("SourceArn")?.to_string(),
                ))
            })
            .collect();
        Some(Permissions {
            principal,
            account_id: account_id.to_string(),
            existing,
            added: HashMap::new(),
            warned: HashSet::new(),
            source: source_of(config, Param::create_forwarder_permissions),
        })
    }

    /// Where `createForwarderPermissions` came from, for the report.
    pub fn source(&self) -> &Origin {
        &self.source
    }

    /// The permission letting CloudWatch Logs send `group` (named `name`
    /// when it is not declared) to `destination`, to declare beside the
    /// filter `filter_id`; `None` when the template has it already, or the
    /// Forwarder is in another account (a warning about `served`, once per
    /// Forwarder).
    pub fn permission(
        &mut self,
        group: &LogGroupTarget,
        destination: &Value,
        condition: Option<&Value>,
        served: &str,
        report: &mut Report,
    ) -> Option<Value> {
        if let Some(account) = literal_account(destination)
            && account != self.account_id
        {
            if self.warned.insert(destination.to_string()) {
                report.warn(
                    Some(served),
                    format!(
                        "`createForwarderPermissions`: the Forwarder {} is in account {account}, not this stack's ({}), so this stack cannot add permissions to it; allow CloudWatch Logs (logs.amazonaws.com) of account {} to invoke it in the Forwarder's account.",
                        destination.as_str().unwrap_or_default(),
                        self.account_id,
                        self.account_id
                    ),
                );
            }
            return None;
        }
        let source_arn = source_arn(group);
        let key = (destination.to_string(), source_arn.to_string());
        if !self.existing.insert(key) {
            return None;
        }
        let count = self.added.entry(destination.to_string()).or_default();
        *count += 1;
        if *count == MANY_PERMISSIONS + 1 {
            report.warn(
                None,
                format!(
                    "`createForwarderPermissions` adds more than {MANY_PERMISSIONS} permissions to the Forwarder {}: its resource policy may pass Lambda's 20 KB limit. The Forwarder's own stack already lets CloudWatch Logs of its account invoke it: consider `createForwarderPermissions: false`.",
                    crate::report_text::show(destination)
                ),
            );
        }
        Some(new_resource(
            PERMISSION_TYPE,
            condition,
            json!({
                "Action": "lambda:InvokeFunction",
                "FunctionName": destination,
                "Principal": self.principal,
                "SourceArn": source_arn,
                "SourceAccount": {"Ref": "AWS::AccountId"},
            }),
        ))
    }
}

/// The account of a Lambda function ARN written as a literal.
fn literal_account(arn: &Value) -> Option<&str> {
    let parts: Vec<&str> = arn.as_str()?.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", _, account, ..] if !account.is_empty() => Some(account),
        _ => None,
    }
}

/// The ARN of a log group as CloudWatch Logs gives it when invoking a
/// subscription's destination (ending `:*`, as a group's `Arn` attribute
/// does).
fn source_arn(group: &LogGroupTarget) -> Value {
    match group {
        LogGroupTarget::Declared(id) => make_get_att(id, "Arn"),
        LogGroupTarget::Named(name) => log_group_arn(name, ":*"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigInputs, MacroEnvironment};

    const FWD: &str = "arn:aws:lambda:us-east-1:123456789012:function:fwd";

    fn permissions(template: &Template<'_>, region: &str) -> Permissions {
        let mut report = Report::default();
        let params = json!({"forwarderArn": FWD, "createForwarderPermissions": true});
        let config = Config::build(
            ConfigInputs {
                params: params.as_object().unwrap(),
                template,
                environment: &MacroEnvironment::default(),
            },
            &mut report,
        );
        Permissions::of(template, &config, region, "123456789012").unwrap()
    }

    #[test]
    fn a_permission_per_group_never_twice() {
        let t = Template::from_value(json!({"Resources": {}}));
        let mut p = permissions(&t, "us-east-1");
        let mut report = Report::default();
        let g = LogGroupTarget::Declared("G".into());
        let made = p
            .permission(&g, &json!(FWD), Some(&json!("C")), "F", &mut report)
            .unwrap();
        assert_eq!(
            made,
            json!({"Type": PERMISSION_TYPE, "Condition": "C", "Properties": {
                "Action": "lambda:InvokeFunction", "FunctionName": FWD,
                "Principal": "logs.amazonaws.com", "SourceArn": {"Fn::GetAtt": ["G", "Arn"]},
                "SourceAccount": {"Ref": "AWS::AccountId"}}})
        );
        assert_eq!(p.permission(&g, &json!(FWD), None, "F", &mut report), None);
        let named = LogGroupTarget::Named(json!({"Fn::Join": ["", ["/x/", {"Ref": "S"}]]}));
        let made = p
            .permission(&named, &json!(FWD), None, "F", &mut report)
            .unwrap();
        assert_eq!(
            made["Properties"]["SourceArn"],
            json!({"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/x/${S}:*"})
        );
        assert!(report.diagnostics.is_empty());
    }

    #[test]
    fn the_templates_own_permission_counts_and_china_has_its_principal() {
        let t = Template::from_value(
            json!({"Resources": {"P": {"Type": PERMISSION_TYPE, "Properties": {
            "Action": "lambda:InvokeFunction", "FunctionName": FWD, "Principal": "logs.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": ["G", "Arn"]}}}}}),
        );
        let mut p = permissions(&t, "cn-north-1");
        let mut report = Report::default();
        let g = LogGroupTarget::Declared("G".into());
        assert_eq!(p.permission(&g, &json!(FWD), None, "F", &mut report), None);
        let h = LogGroupTarget::Declared("H".into());
        let made = p
            .permission(&h, &json!(FWD), None, "F", &mut report)
            .unwrap();
        assert_eq!(made["Properties"]["Principal"], "logs.amazonaws.com.cn");
    }

    #[test]
    fn a_forwarder_of_another_account_is_a_warning_once() {
        let t = Template::from_value(json!({"Resources": {}}));
        let mut p = permissions(&t, "us-east-1");
        let mut report = Report::default();
        let other = json!("arn:aws:lambda:us-east-1:999999999999:function:fwd");
        for id in ["G", "H"] {
            let g = LogGroupTarget::Declared(id.into());
            assert_eq!(p.permission(&g, &other, None, "F", &mut report), None);
        }
        let warnings: Vec<_> = report.warnings().collect();
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0]
                .message
                .contains("is in account 999999999999, not this stack's (123456789012)")
        );
        assert_eq!(
            p.permission(
                &LogGroupTarget::Declared("G".into()),
                &json!({"Ref": "Fwd"}),
                None,
                "F",
                &mut report
            )
            .map(|v| v["Properties"]["FunctionName"].clone()),
            Some(json!({"Ref": "Fwd"})),
            "an intrinsic is this stack's business"
        );
    }

    #[test]
    fn many_permissions_on_one_forwarder_are_a_warning() {
        let t = Template::from_value(json!({"Resources": {}}));
        let mut p = permissions(&t, "us-east-1");
        let mut report = Report::default();
        for i in 0..=MANY_PERMISSIONS {
            let g = LogGroupTarget::Declared(format!("G{i}"));
            assert!(
                p.permission(&g, &json!(FWD), None, "F", &mut report)
                    .is_some()
            );
        }
        assert_eq!(report.warnings().count(), 1);
        assert!(report.diagnostics[0].message.contains("20 KB"));
    }
}
