//! `disableCloudWatchLogs` (datadog-ci's `lambda cloudwatch disable`): with
//! the Datadog Extension shipping a function's logs, stop paying for them in
//! CloudWatch Logs by denying the function's role the right to write its
//! log group.
//!
//! Each role gets one `AWS::IAM::RolePolicy` of its own, named
//! `DenyCloudWatchLogs` (datadog-ci's name), denying
//! `logs:CreateLogGroup`, `logs:CreateLogStream` and `logs:PutLogEvents` on
//! the log group of each function using it that asks for it. Not a
//! statement in the role's `Policies`: the role would then name the
//! function, which names the role, a dependency cycle (cfn-lint E3004); a
//! separate policy depends on both. A SAM function without `Role` gets the
//! policy on the role SAM generates for it, `<Function>Role`, so the same
//! policy results before and after SAM's transform.

use serde_json::{Value, json};

use super::env;
use super::function::FunctionEdit;
use super::iam::{RoleLocation, locate_role};
use super::layers::has_extension_layer;
use crate::config::Param;
use crate::lambda::forwarder::subscription::log_group_arn;
use crate::report::{Change, Origin, Report};
use crate::template::model::{PROPERTIES, Template};
use crate::template::resources::new_resource;

/// The name of the inline policy (datadog-ci's).
pub const POLICY_NAME: &str = "DenyCloudWatchLogs";

/// The type of the policy resource.
const ROLE_POLICY_TYPE: &str = "AWS::IAM::RolePolicy";

/// What a function must not do in CloudWatch Logs.
pub const DENIED_ACTIONS: [&str; 3] = [
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
];

/// What one function asks its role to be denied.
#[derive(Debug, Clone)]
pub struct Denial {
    /// The role's logical id.
    role: String,
    /// Whether the role is in the template (else SAM generates it).
    declared_role: bool,
    /// The function's logical id and type.
    function: String,
    function_type: &'static str,
    /// The function's `Condition`.
    condition: Option<Value>,
    /// Its log group's ARN, and that of its streams.
    resources: [Value; 2],
    /// Where `disableCloudWatchLogs` came from.
    source: Origin,
}

/// In the function pass: what the function asks to be denied, when
/// `disableCloudWatchLogs` is on for it. Its logs must then go through the
/// Extension (an error otherwise: they would be lost); a role outside the
/// template is a warning saying what to deny by hand.
pub fn denial(edit: &mut FunctionEdit, template: &Template<'_>) -> Option<Denial> {
    if !edit.config.disable_cloud_watch_logs {
        return None;
    }
    let id = edit.id.clone();
    if !edit.config.extension_enabled() && !has_extension_layer(edit) {
        edit.error(format!(
            "Resource {id}: `disableCloudWatchLogs` stops {id} writing to CloudWatch Logs, but {id} does not get the Datadog Extension to ship its logs instead: they would be lost. Set `addExtension: true` (or `extensionLayerVersion`), or `disableCloudWatchLogs: false` for it (in its Metadata.Datadog.Parameters)."
        ));
        return None;
    }
    if let Some((value, place)) = env::current(edit, "DD_SERVERLESS_LOGS_ENABLED")
        && env::as_env_value(value)
            .as_str()
            .is_some_and(|v| v.eq_ignore_ascii_case("false"))
    {
        edit.error(format!(
            "Resource {id}: `disableCloudWatchLogs` stops {id} writing to CloudWatch Logs, but its DD_SERVERLESS_LOGS_ENABLED is false ({place}), so the Extension does not ship its logs either: they would be lost. Remove that variable, or set `disableCloudWatchLogs: false` for {id}."
        ));
        return None;
    }
    if edit.is_image {
        edit.warn(format!(
            "Resource {id} is a container image: `disableCloudWatchLogs` stops it writing to CloudWatch Logs, so the image must contain the Datadog Extension (in /opt/extensions), or its logs are lost."
        ));
    }
    let group = edit
        .inherited("LoggingConfig")
        .and_then(|l| l.get("LogGroup"))
        .cloned()
        .unwrap_or_else(|| json!({"Fn::Sub": format!("/aws/lambda/${{{id}}}")}));
    let resources = [log_group_arn(&group, ""), log_group_arn(&group, ":*")];
    let (role, declared_role) = match locate_role(edit, template) {
        RoleLocation::Template(role) => (role, true),
        RoleLocation::SamPolicies => (format!("{id}Role"), false),
        RoleLocation::Outside => {
            let on: Vec<String> = resources.iter().map(crate::report_text::show).collect();
            edit.warn(format!(
                "Resource {id}'s role is not defined in this template, so `disableCloudWatchLogs` could not deny it CloudWatch Logs: add to that role an inline policy {POLICY_NAME} denying {} on {} by hand (or run `datadog-ci lambda cloudwatch disable`).",
                DENIED_ACTIONS.join(", "),
                on.join(" and ")
            ));
            return None;
        }
    };
    Some(Denial {
        role,
        declared_role,
        function: id,
        function_type: edit.resource_type(),
        condition: template
            .resource(&edit.id)
            .and_then(|f| f.get("Condition"))
            .cloned(),
        resources,
        source: env::source_of(&edit.config, Param::disable_cloud_watch_logs),
    })
}

/// After the function pass: one `DenyCloudWatchLogs` policy per role, in
/// the order the roles were first met; a policy of an earlier run gets the
/// log groups it lacks. A role whose own `Policies` has a policy of that
/// name already is an error (both would be the same inline policy).
pub fn apply(template: &mut Template<'_>, denials: Vec<Denial>, report: &mut Report) {
    let mut roles: Vec<&str> = Vec::new();
    for denial in &denials {
        if !roles.contains(&denial.role.as_str()) {
            roles.push(&denial.role);
        }
    }
    for role in roles {
        let mine: Vec<&Denial> = denials.iter().filter(|d| d.role == role).collect();
        deny(template, role, &mine, report);
    }
}

/// The `DenyCloudWatchLogs` policy of one role, for the functions of `mine`.
fn deny(template: &mut Template<'_>, role: &str, mine: &[&Denial], report: &mut Report) {
    let declared = mine[0].declared_role;
    if declared && has_inline_policy(template, role) {
        for d in mine {
            report.error(
                Some(&d.function),
                format!(
                    "Resource {}: `disableCloudWatchLogs` adds the inline policy {POLICY_NAME} to role {role}, whose Policies have one of that name already: rename yours, or set `disableCloudWatchLogs: false` for {}.",
                    d.function, d.function
                ),
            );
        }
        return;
    }
    // The policy exists when its role does: the role's condition, or for a
    // role SAM generates, its function's (shared by all the role's users
    // when they agree); a function of another condition is denied only
    // when it exists.
    let condition = if declared {
        template
            .resource(role)
            .and_then(|r| r.get("Condition"))
            .cloned()
    } else {
        mine[0].condition.clone()
    };
    let shared = mine.iter().all(|d| d.condition == mine[0].condition);
    let condition = condition.or_else(|| shared.then(|| mine[0].condition.clone()).flatten());
    let existing = existing_policy(template, role);
    let mut added_resources = Vec::new();
    for d in mine {
        let resources: Vec<Value> = d
            .resources
            .iter()
            .map(|arn| match &d.condition {
                Some(c) if Some(c) != condition.as_ref() => {
                    json!({"Fn::If": [c, arn, {"Ref": "AWS::NoValue"}]})
                }
                _ => arn.clone(),
            })
            .collect();
        let new: Vec<Value> = resources
            .into_iter()
            .filter(|r| !added_resources.contains(r))
            .filter(|r| existing.as_ref().is_none_or(|(_, had)| !had.contains(r)))
            .collect();
        if new.is_empty() {
            continue;
        }
        report.change(
            &d.function,
            d.function_type,
            Change::IamDenied {
                role: role.to_string(),
                actions: DENIED_ACTIONS.iter().map(|a| a.to_string()).collect(),
                resources: new.clone(),
                source: d.source.clone(),
            },
        );
        added_resources.extend(new);
    }
    if added_resources.is_empty() {
        return;
    }
    match existing {
        Some((id, _)) => extend(template, &id, added_resources),
        None => {
            let id = template.unique_logical_id(&format!("{role}{POLICY_NAME}"));
            let policy = new_resource(
                ROLE_POLICY_TYPE,
                condition.as_ref(),
                json!({
                    "RoleName": {"Ref": role},
                    "PolicyName": POLICY_NAME,
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Effect": "Deny",
                            "Action": DENIED_ACTIONS,
                            "Resource": added_resources,
                        }],
                    },
                }),
            );
            template.insert_resource(id.clone(), policy);
            report.change(
                &id,
                ROLE_POLICY_TYPE,
                Change::ResourceAdded {
                    logical_id: id.clone(),
                    resource_type: ROLE_POLICY_TYPE.to_string(),
                    source: Some(mine[0].source.clone()),
                },
            );
        }
    }
}

/// Whether a role of the template has an inline policy named
/// [`POLICY_NAME`] in its `Policies`.
fn has_inline_policy(template: &Template<'_>, role: &str) -> bool {
    template
        .resource(role)
        .and_then(|r| r.mapping(PROPERTIES))
        .and_then(|p| p.get("Policies"))
        .and_then(Value::as_array)
        .is_some_and(|policies| {
            policies
                .iter()
                .any(|p| p.get("PolicyName").and_then(Value::as_str) == Some(POLICY_NAME))
        })
}

/// The `DenyCloudWatchLogs` policy of `role` an earlier run added: its id
/// and the resources it denies.
fn existing_policy(template: &Template<'_>, role: &str) -> Option<(String, Vec<Value>)> {
    template
        .resources_of_types(&[ROLE_POLICY_TYPE])
        .find_map(|(id, resource)| {
            let props = resource.mapping(PROPERTIES)?;
            let ours = props.get("PolicyName")?.as_str() == Some(POLICY_NAME)
                && props.get("RoleName") == Some(&json!({"Ref": role}));
            if !ours {
                return None;
            }
            let resources = props
                .get("PolicyDocument")?
                .pointer("/Statement/0/Resource")?
                .as_array()?
                .clone();
            Some((id.to_string(), resources))
        })
}

/// Adds `resources` to the statement of the policy `id`.
fn extend(template: &mut Template<'_>, id: &str, resources: Vec<Value>) {
    let list = template
        .resource_mut(id)
        .and_then(|r| r.mapping_mut(PROPERTIES))
        .and_then(|p| p.get_mut("PolicyDocument"))
        .and_then(|d| d.pointer_mut("/Statement/0/Resource"))
        .and_then(Value::as_array_mut);
    if let Some(list) = list {
        list.extend(resources);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::dry_run::{DryRunOutcome, in_us_east_1};
    use crate::report::Change;

    const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dd-AbCdEf";

    /// A dry run of `template` with `params`; its output (`Null` when the
    /// transform failed).
    fn run(mut template: Value, params: Value) -> Run {
        template["Transform"] = json!([{"Name": "DatadogServerless", "Parameters": params}]);
        Run::of(in_us_east_1(&template))
    }

    /// A dry run's output and report.
    struct Run {
        template: Value,
        report: crate::report::Report,
    }

    impl Run {
        fn of(outcome: DryRunOutcome) -> Run {
            Run {
                template: outcome.output.unwrap_or_default(),
                report: outcome.report,
            }
        }
    }

    fn params() -> Value {
        json!({"addExtension": true, "apiKeySecretArn": SECRET, "disableCloudWatchLogs": true,
               "grantSecretReadAccess": false})
    }

    fn function(role: Value) -> Value {
        json!({"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "app.handler", "Code": {"ZipFile": "x"}, "Role": role}})
    }

    fn role() -> Value {
        json!({"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}})
    }

    fn arns(name: &str) -> Value {
        let arn = format!(
            "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{name}"
        );
        json!([{"Fn::Sub": arn}, {"Fn::Sub": format!("{arn}:*")}])
    }

    #[test]
    fn one_policy_per_role_for_every_function_using_it() {
        let t = json!({"Resources": {
            "A": function(json!({"Fn::GetAtt": ["R", "Arn"]})),
            "B": function(json!({"Fn::GetAtt": "R.Arn"})),
            "R": role(),
        }});
        let out = run(t, params());
        assert!(
            out.report.diagnostics.is_empty(),
            "{:?}",
            out.report.diagnostics
        );
        let policy = &out.template["Resources"]["RDenyCloudWatchLogs"];
        let mut resources = arns("/aws/lambda/${A}").as_array().unwrap().clone();
        resources.extend(arns("/aws/lambda/${B}").as_array().unwrap().clone());
        assert_eq!(
            policy,
            &json!({"Type": "AWS::IAM::RolePolicy", "Properties": {
                "RoleName": {"Ref": "R"}, "PolicyName": "DenyCloudWatchLogs",
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
                    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": resources}]}}})
        );
        assert_eq!(
            out.template["Resources"]["R"],
            role(),
            "the role itself is untouched"
        );
        let denied = out
            .report
            .resources
            .iter()
            .find(|r| r.logical_id == "A")
            .unwrap();
        assert!(denied.changes.iter().any(|c| matches!(c,
            Change::IamDenied { role, source, .. }
                if role == "R" && source.to_string() == "disableCloudWatchLogs (transform parameter)")));
        let again = Run::of(in_us_east_1(&out.template));
        assert_eq!(again.template, out.template, "a second run changes nothing");
    }

    #[test]
    fn sam_functions_deny_the_role_sam_generates_and_custom_groups_are_used() {
        let t = json!({
        "Globals": {"Function": {"LoggingConfig": {"LogGroup": "/shared/logs"}}},
        "Resources": {
            "S": {"Type": "AWS::Serverless::Function", "Properties": {
                "Runtime": "nodejs20.x", "Handler": "index.handler", "CodeUri": "s3://b/k"}},
        }});
        let out = run(t, params());
        assert!(
            out.report.diagnostics.is_empty(),
            "{:?}",
            out.report.diagnostics
        );
        let policy = &out.template["Resources"]["SRoleDenyCloudWatchLogs"]["Properties"];
        assert_eq!(policy["RoleName"], json!({"Ref": "SRole"}));
        assert_eq!(
            policy["PolicyDocument"]["Statement"][0]["Resource"],
            arns("/shared/logs")
        );
    }

    #[test]
    fn a_function_of_another_condition_is_denied_only_when_it_exists() {
        let t = json!({"Resources": {
            "A": function(json!({"Fn::GetAtt": ["R", "Arn"]})),
            "B": {"Condition": "IsProd", "Type": "AWS::Lambda::Function", "Properties": {
                "Runtime": "python3.12", "Handler": "app.handler", "Code": {"ZipFile": "x"},
                "Role": {"Fn::GetAtt": ["R", "Arn"]}}},
            "R": role(),
        }});
        let out = run(t, params());
        let resources = &out.template["Resources"]["RDenyCloudWatchLogs"]["Properties"]["PolicyDocument"]
            ["Statement"][0]["Resource"];
        assert_eq!(resources[0], arns("/aws/lambda/${A}")[0]);
        assert_eq!(
            resources[2],
            json!({"Fn::If": ["IsProd", arns("/aws/lambda/${B}")[0], {"Ref": "AWS::NoValue"}]})
        );
        let t = json!({"Resources": {
            "B": {"Condition": "IsProd", "Type": "AWS::Serverless::Function", "Properties": {
                "Runtime": "python3.12", "Handler": "app.handler", "CodeUri": "s3://b/k"}},
        }});
        let out = run(t, params());
        let policy = &out.template["Resources"]["BRoleDenyCloudWatchLogs"];
        assert_eq!(
            policy["Condition"], "IsProd",
            "SAM's role has its function's condition"
        );
        assert_eq!(
            policy["Properties"]["PolicyDocument"]["Statement"][0]["Resource"],
            arns("/aws/lambda/${B}")
        );
    }

    #[test]
    fn errors_and_warnings() {
        let messages = |template: Value, params: Value| -> Vec<String> {
            run(template, params)
                .report
                .diagnostics
                .iter()
                .map(|d| format!("{}: {}", d.severity.as_str(), d.message))
                .collect()
        };
        let one =
            |role: Value| json!({"Resources": {"F": function(role), "R": role_with_policy()}});
        let no_extension = messages(
            one(json!({"Fn::GetAtt": ["R", "Arn"]})),
            json!({"disableCloudWatchLogs": true}),
        );
        assert_eq!(no_extension.len(), 1, "{no_extension:?}");
        assert!(no_extension[0].starts_with("error: Resource F: `disableCloudWatchLogs` stops F writing to CloudWatch Logs, but F does not get the Datadog Extension"));
        let outside = messages(one(json!("arn:aws:iam::123456789012:role/r")), params());
        assert_eq!(outside.len(), 1, "{outside:?}");
        assert!(outside[0].starts_with("warning: Resource F's role is not defined in this template, so `disableCloudWatchLogs` could not deny it CloudWatch Logs"));
        let clash = messages(one(json!({"Fn::GetAtt": ["R", "Arn"]})), params());
        assert_eq!(
            clash,
            [
                "error: Resource F: `disableCloudWatchLogs` adds the inline policy DenyCloudWatchLogs to role R, whose Policies have one of that name already: rename yours, or set `disableCloudWatchLogs: false` for F."
            ]
        );
        let mut kept = one(json!("arn:aws:iam::123456789012:role/r"));
        kept["Resources"]["F"]["Properties"]["Environment"] =
            json!({"Variables": {"DD_SERVERLESS_LOGS_ENABLED": false}});
        let kept = messages(kept, params());
        assert!(
            kept[0].contains("its DD_SERVERLESS_LOGS_ENABLED is false"),
            "{kept:?}"
        );
        let logs_off = messages(
            json!({"Resources": {}}),
            json!({"disableCloudWatchLogs": true, "enableDDLogs": false}),
        );
        assert!(logs_off[0].starts_with("error: `disableCloudWatchLogs: true` stops functions writing to CloudWatch Logs, and `enableDDLogs: false`"), "{logs_off:?}");
        let excluded_one = json!({"Resources": {
            "F": {"Type": "AWS::Lambda::Function", "Metadata": {"Datadog": {"Parameters": {"disableCloudWatchLogs": false}}},
                  "Properties": {"Runtime": "python3.12", "Handler": "app.handler", "Code": {"ZipFile": "x"}}}}});
        assert!(messages(excluded_one, json!({"disableCloudWatchLogs": true})).is_empty());
    }

    fn role_with_policy() -> Value {
        json!({"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {},
            "Policies": [{"PolicyName": "DenyCloudWatchLogs", "PolicyDocument": {}}]}})
    }
}
