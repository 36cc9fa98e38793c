//! The state machine's role: allowing it to deliver logs to the log group
//! the macro declares (SPEC §8 step 1).
//!
//! The role is found from `RoleArn` (SAM: `Role`) written as
//! `Fn::GetAtt [Role, Arn]` (list or dotted) or `Fn::Sub "${Role.Arn}"`, and
//! gets a policy `<StateMachine>LogPolicy`. Without a role, one is created
//! (CloudFormation) or, for SAM, the statement goes into `Policies` and SAM
//! puts it in the role it generates. A role outside the template, whatever
//! its form (a plain ARN string, a parameter, an import, an `Fn::Sub` ARN),
//! is a warning naming it and the actions to allow on it by hand (SPEC §8).

use serde_json::{Map, Value, json};

use super::Machine;
use crate::lambda::forwarder::name_expr::NameExpr;
use crate::report::{Change, Report};
use crate::template::intrinsics::{fn_if_branches, is_intrinsic, make_get_att};
use crate::template::model::{PROPERTIES, Template};
use crate::template::resources::new_resource;

/// What Step Functions needs to deliver logs to CloudWatch Logs (AWS's
/// documented policy for state machine logging).
pub const LOG_DELIVERY_ACTIONS: &[&str] = &[
    "logs:CreateLogDelivery",
    "logs:CreateLogStream",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutLogEvents",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
];

const ROLE_TYPE: &str = "AWS::IAM::Role";

fn statement() -> Value {
    json!({"Effect": "Allow", "Action": LOG_DELIVERY_ACTIONS, "Resource": "*"})
}

fn policy_document() -> Value {
    json!({"Version": "2012-10-17", "Statement": [statement()]})
}

fn iam_change(role: &str) -> Change {
    Change::IamStatement {
        role: role.to_string(),
        actions: LOG_DELIVERY_ACTIONS.iter().map(|a| a.to_string()).collect(),
        resources: vec![json!("*")],
    }
}

/// Gives the state machine's role the log-delivery actions. Returns false
/// (with an error recorded) when it cannot.
pub fn grant_log_delivery(
    template: &mut Template<'_>,
    machine: &Machine,
    properties: &mut Map<String, Value>,
    report: &mut Report,
) -> bool {
    let role_key = machine.flavor.role_key();
    let Some(role) = properties.get(role_key) else {
        return if machine.flavor.is_sam() {
            add_to_sam_policies(machine, properties, report)
        } else {
            create_role(template, machine, properties, report);
            true
        };
    };
    let roles = match template_roles(template, role) {
        Ok(roles) => roles,
        Err(what) => {
            report.warn(
                Some(&machine.id),
                format!(
                    "State machine {id}: its {role_key} is {what}, so the macro could not allow it to deliver logs to the log group it adds: allow that role {actions} on * by hand, or declare the role in this template.",
                    id = machine.id,
                    actions = LOG_DELIVERY_ACTIONS.join(", "),
                ),
            );
            return true;
        }
    };
    for role_id in roles {
        match add_role_policy(template, &role_id, machine) {
            Ok(true) => report.change(&role_id, ROLE_TYPE, iam_change(&role_id)),
            Ok(false) => {}
            Err(why) => {
                report.error(
                    Some(&machine.id),
                    format!(
                        "State machine {}: the macro cannot add the policy {}LogPolicy to its role {role_id}: {why}. Write the role's Policies as a list.",
                        machine.id, machine.id
                    ),
                );
                return false;
            }
        }
    }
    true
}

/// The logical ids of the template's roles a role ARN refers to, or a
/// description of what it is instead.
fn template_roles(template: &Template<'_>, role: &Value) -> Result<Vec<String>, String> {
    if let Some((a, b)) = fn_if_branches(role) {
        let mut roles = template_roles(template, a)?;
        roles.extend(template_roles(template, b)?);
        roles.dedup();
        return Ok(roles);
    }
    if let Some(text) = role.as_str() {
        return Err(if text.starts_with("arn:") {
            format!("the ARN \"{text}\", a role outside this template")
        } else {
            format!("the string \"{text}\", not the ARN of a role")
        });
    }
    match NameExpr::of(role).as_ref().and_then(NameExpr::as_get_att) {
        Some((id, "Arn")) if template.resource_type(id) == Some(ROLE_TYPE) => {
            Ok(vec![id.to_string()])
        }
        Some((id, _)) => Err(format!(
            "not the Arn of an AWS::IAM::Role of this template (it refers to {id})"
        )),
        None => Err(match crate::template::intrinsics::intrinsic_name(role) {
            Some("Ref") => format!(
                "{{\"Ref\": \"{}\"}}, a role outside this template",
                crate::template::intrinsics::ref_target(role).unwrap_or_default()
            ),
            Some("Fn::Sub")
                if crate::template::intrinsics::single(role, "Fn::Sub")
                    .and_then(Value::as_str)
                    .is_some_and(|text| text.starts_with("arn:")) =>
            {
                format!("the ARN {role}, a role outside this template")
            }
            Some(name) => format!("an {name} expression, not the Arn of a role of this template"),
            None => "not an ARN".into(),
        }),
    }
}

/// Adds `<StateMachine>LogPolicy` to a role's inline policies, unless a
/// policy of that name is there already; whether it added it.
fn add_role_policy(
    template: &mut Template<'_>,
    role_id: &str,
    machine: &Machine,
) -> Result<bool, String> {
    let policy_name = format!("{}LogPolicy", machine.id);
    let role = template
        .resource_mut(role_id)
        .ok_or("it is not a mapping")?;
    let properties = role
        .mapping_or_insert(PROPERTIES)
        .ok_or("its Properties is not a mapping")?;
    let policies = properties
        .or_insert_with("Policies", || json!([]))
        .as_array_mut()
        .ok_or("its Policies is not a list")?;
    if policies
        .iter()
        .any(|p| p.get("PolicyName").and_then(Value::as_str) == Some(&policy_name))
    {
        return Ok(false);
    }
    policies.push(json!({"PolicyName": policy_name, "PolicyDocument": policy_document()}));
    Ok(true)
}

/// Creates `<StateMachine>Role`, assumable by Step Functions, with the log
/// policy, and points the state machine at it.
fn create_role(
    template: &mut Template<'_>,
    machine: &Machine,
    properties: &mut Map<String, Value>,
    report: &mut Report,
) {
    let role_id = template.unique_logical_id(&format!("{}Role", machine.id));
    let role = new_resource(
        ROLE_TYPE,
        machine.condition.as_ref(),
        json!({
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Service": "states.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }],
            },
            "Policies": [{"PolicyName": format!("{}LogPolicy", machine.id), "PolicyDocument": policy_document()}],
        }),
    );
    template.insert_resource(role_id.clone(), role);
    let arn = make_get_att(&role_id, "Arn");
    properties.insert(machine.flavor.role_key().into(), arn.clone());
    let added = Change::ResourceAdded {
        logical_id: role_id.clone(),
        resource_type: ROLE_TYPE.into(),
        source: None,
    };
    report.change(&role_id, ROLE_TYPE, added.clone());
    report.change(&role_id, ROLE_TYPE, iam_change(&role_id));
    report.change(&machine.id, &machine.resource_type, added);
    report.change(
        &machine.id,
        &machine.resource_type,
        Change::PropertySet {
            property: machine.flavor.role_key().into(),
            value: arn,
        },
    );
}

/// SAM without `Role`: the statement goes into `Policies`, which SAM puts in
/// the role it generates.
fn add_to_sam_policies(
    machine: &Machine,
    properties: &mut Map<String, Value>,
    report: &mut Report,
) -> bool {
    let document = policy_document();
    let policies = properties.entry("Policies").or_insert_with(|| json!([]));
    match policies {
        Value::Array(list) => {
            if list.contains(&document) {
                return true;
            }
            list.push(document);
        }
        other if is_intrinsic(other) => {
            report.error(
                Some(&machine.id),
                format!(
                    "State machine {}: its Policies is an intrinsic function, so the macro cannot add the log-delivery permissions its logging needs; write Policies as a list.",
                    machine.id
                ),
            );
            return false;
        }
        other => {
            let single = other.take();
            *other = json!([single, document]);
        }
    }
    report.change(
        &machine.id,
        &machine.resource_type,
        iam_change(&format!("{}Role (generated by SAM)", machine.id)),
    );
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resources() -> Template<'static> {
        Template::from_value(json!({"Resources": {
            "A": {"Type": ROLE_TYPE},
            "B": {"Type": ROLE_TYPE},
            "T": {"Type": "AWS::SNS::Topic"},
        }}))
    }

    #[test]
    fn roles_of_the_template_in_every_spelling() {
        let r = resources();
        for role in [
            json!({"Fn::GetAtt": ["A", "Arn"]}),
            json!({"Fn::GetAtt": "A.Arn"}),
            json!({"Fn::Sub": "${A.Arn}"}),
        ] {
            assert_eq!(
                template_roles(&r, &role),
                Ok(vec!["A".to_string()]),
                "{role}"
            );
        }
        assert_eq!(
            template_roles(
                &r,
                &json!({"Fn::If": ["C", {"Fn::GetAtt": "A.Arn"}, {"Fn::GetAtt": "B.Arn"}]})
            ),
            Ok(vec!["A".to_string(), "B".to_string()])
        );
    }

    #[test]
    fn roles_outside_the_template_are_described() {
        let r = resources();
        for (role, says) in [
            (
                json!("arn:aws:iam::1:role/x"),
                "the ARN \"arn:aws:iam::1:role/x\", a role outside this template",
            ),
            (json!({"Ref": "RoleParam"}), "a role outside this template"),
            (
                json!({"Fn::Sub": "arn:${AWS::Partition}:iam::1:role/x"}),
                "a role outside this template",
            ),
            (json!({"Fn::ImportValue": "role"}), "Fn::ImportValue"),
            (json!({"Fn::GetAtt": ["T", "Arn"]}), "refers to T"),
            (
                json!({"Fn::GetAtt": ["Missing", "Arn"]}),
                "refers to Missing",
            ),
        ] {
            let why = template_roles(&r, &role).unwrap_err();
            assert!(why.contains(says), "{role}: {why}");
        }
    }
}
