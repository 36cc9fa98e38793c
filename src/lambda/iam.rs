//! IAM statements granted to a function's role: X-Ray (SPEC §6) and reading
//! the API key secret (SPEC §11). Added once per role, never twice.

use std::borrow::Cow;

use serde_json::{Map, Value, json};

use super::function::{FunctionEdit, FunctionKind};
use crate::report::{Change, Report};
use crate::template::intrinsics::{get_att, is_intrinsic};
use crate::template::lookup::{self, field};
use crate::template::resources::{has_resource_of_type, resources_mut};

/// An `Allow` statement to grant to a role in the template.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// The role's logical id.
    pub role: String,
    /// Actions allowed.
    pub actions: Vec<Cow<'static, str>>,
    /// Resources they apply to.
    pub resource: Value,
}

impl Grant {
    fn statement(&self) -> Value {
        json!({"Effect": "Allow", "Action": self.actions, "Resource": self.resource})
    }
}

/// Where a function's permissions live.
enum RoleLocation {
    /// An `AWS::IAM::Role` of the template, by logical id.
    Template(String),
    /// A SAM function without `Role`: SAM generates the role from `Policies`.
    SamPolicies,
    /// Outside the template (an ARN, a parameter, an import).
    Outside,
}

fn locate_role(edit: &FunctionEdit, fragment: &Value) -> RoleLocation {
    match lookup::get(&edit.props, "Role") {
        None if edit.kind == FunctionKind::Serverless => RoleLocation::SamPolicies,
        Some(role) => match get_att(role) {
            Some((id, "Arn")) if has_resource_of_type(fragment, id, "AWS::IAM::Role") => {
                RoleLocation::Template(id.to_string())
            }
            _ => RoleLocation::Outside,
        },
        None => RoleLocation::Outside,
    }
}

/// Grants `actions` on `resource` to the function's role: deferred to
/// [`apply`] for a template role, added to SAM `Policies` directly, or a
/// warning for a role outside the template.
pub fn grant(
    edit: &mut FunctionEdit,
    fragment: &Value,
    actions: &[&'static str],
    resource: Value,
    purpose: &str,
) {
    let actions: Vec<Cow<'static, str>> = actions.iter().map(|a| Cow::Borrowed(*a)).collect();
    match locate_role(edit, fragment) {
        RoleLocation::Template(role) => edit.grants.push(Grant {
            role,
            actions,
            resource,
        }),
        RoleLocation::SamPolicies => {
            let grant = Grant {
                role: edit.id.clone(),
                actions,
                resource,
            };
            add_to_sam_policies(edit, &grant);
        }
        RoleLocation::Outside => {
            let id = edit.id.clone();
            edit.warn(format!(
                "Resource {id}'s role is not defined in this template, so {purpose} could not be granted: allow {} on {} in that role by hand.",
                actions.join(" and "),
                resource.as_str().unwrap_or("the resource")
            ));
        }
    }
}

/// Whether a statement (or list of them) already allows the actions on the resource.
fn allows(statements: &Value, grant: &Grant) -> bool {
    let list = match statements {
        Value::Array(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    };
    list.iter().any(|s| {
        field(s, "Effect").and_then(Value::as_str) == Some("Allow") && {
            let resource = field(s, "Resource");
            let action = field(s, "Action");
            grant
                .actions
                .iter()
                .all(|a| contains(action, |v| v.as_str() == Some(a)))
                && (contains(resource, |v| v == &grant.resource)
                    || contains(resource, |v| v.as_str() == Some("*")))
        }
    })
}

/// Whether a field (one value or a list of them) holds a value that matches.
fn contains(field: Option<&Value>, matches: impl Fn(&Value) -> bool) -> bool {
    match field {
        Some(Value::Array(items)) => items.iter().any(matches),
        Some(other) => matches(other),
        None => false,
    }
}

/// SAM: append an inline policy document to the function's `Policies`.
fn add_to_sam_policies(edit: &mut FunctionEdit, grant: &Grant) {
    let already = match lookup::get(&edit.props, "Policies") {
        Some(Value::Array(items)) => items
            .iter()
            .any(|p| field(p, "Statement").is_some_and(|s| allows(s, grant))),
        Some(p) => field(p, "Statement").is_some_and(|s| allows(s, grant)),
        None => false,
    };
    if already {
        return;
    }
    let document = json!({"Version": "2012-10-17", "Statement": [grant.statement()]});
    match lookup::get_mut(&mut edit.props, "Policies") {
        None => {
            edit.props
                .insert("Policies".into(), Value::Array(vec![document]));
        }
        Some(Value::Array(items)) => items.push(document),
        Some(v) if is_intrinsic(v) => {
            let id = edit.id.clone();
            edit.warn(format!(
                "Resource {id} has Policies written as an intrinsic function, so {} could not be granted: add it by hand.",
                grant.actions.join(" and ")
            ));
            return;
        }
        Some(single) => {
            let first = single.take();
            *single = Value::Array(vec![first, document]);
        }
    }
    let role = format!("{} (Policies)", edit.id);
    edit.change_with(|| Change::IamStatement {
        role,
        actions: grant.actions.iter().map(|a| a.to_string()).collect(),
        resources: vec![grant.resource.clone()],
    });
}

/// Adds the deferred grants of a function that was instrumented to the
/// template's roles: appended to the role's first inline policy, or a new
/// policy when it has none; nothing when already allowed.
pub fn apply(fragment: &mut Value, grants: &[Grant], report: &mut Report) {
    let Some(resources) = resources_mut(fragment) else {
        return;
    };
    for grant in grants {
        let Some(props) = resources
            .get_mut(&grant.role)
            .and_then(|r| r.as_object_mut())
            .map(|r| lookup::or_insert_with(r, "Properties", || Value::Object(Map::new())))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let policies = lookup::or_insert_with(props, "Policies", || Value::Array(Vec::new()));
        let Value::Array(policies) = policies else {
            report.warn(
                Some(&grant.role),
                format!(
                    "Role {} has Policies written as an intrinsic function, so {} could not be granted: add it by hand.",
                    grant.role,
                    grant.actions.join(" and ")
                ),
            );
            continue;
        };
        let granted = policies.iter().any(|p| {
            field(p, "PolicyDocument")
                .and_then(|d| field(d, "Statement"))
                .is_some_and(|s| allows(s, grant))
        });
        if granted {
            continue;
        }
        let first_statements = policies
            .first_mut()
            .filter(|p| !is_intrinsic(p))
            .and_then(|p| p.get_mut("PolicyDocument"))
            .filter(|d| !is_intrinsic(d))
            .and_then(|d| d.get_mut("Statement"));
        match first_statements {
            Some(Value::Array(statements)) => statements.push(grant.statement()),
            Some(single @ Value::Object(_)) if !is_intrinsic(single) => {
                let first = single.take();
                *single = Value::Array(vec![first, grant.statement()]);
            }
            _ => policies.push(json!({
                "PolicyName": {"Fn::Join": ["-", [grant.role, "Policy"]]},
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [grant.statement()]},
            })),
        }
        report.change(
            &grant.role,
            "AWS::IAM::Role",
            Change::IamStatement {
                role: grant.role.clone(),
                actions: grant.actions.iter().map(|a| a.to_string()).collect(),
                resources: vec![grant.resource.clone()],
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_once_to_first_policy_or_new_policy() {
        let mut t = json!({"Resources": {
            "R": {"Type": "AWS::IAM::Role", "Properties": {}},
            "S": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}}]}},
        }});
        let grants = vec![
            Grant {
                role: "R".into(),
                actions: vec!["xray:PutTraceSegments".into()],
                resource: json!("*"),
            },
            Grant {
                role: "S".into(),
                actions: vec!["xray:PutTraceSegments".into()],
                resource: json!("*"),
            },
        ];
        let mut report = Report::default();
        apply(&mut t, &grants, &mut report);
        apply(&mut t, &grants, &mut report);
        assert_eq!(
            t["Resources"]["R"]["Properties"]["Policies"][0]["PolicyName"],
            json!({"Fn::Join": ["-", ["R", "Policy"]]})
        );
        assert_eq!(
            t["Resources"]["R"]["Properties"]["Policies"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let s = &t["Resources"]["S"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
        assert_eq!(s.as_array().unwrap().len(), 2);
        assert_eq!(report.resources.len(), 2);
    }
}
