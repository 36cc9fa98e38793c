//! `AWS::Logs::SubscriptionFilter` resources: finding one that already sends
//! a log group to a destination, and writing a new one. Shared by the
//! function pass (`forwarderArn`) and the state machine pass
//! (`stepFunctionForwarderArn`).

use serde_json::{Map, Value, json};

use super::name_expr::NameExpr;
use crate::template::intrinsics::ref_target;
use crate::template::resources::resource_type;

/// The CloudFormation type of a log group.
pub const LOG_GROUP_TYPE: &str = "AWS::Logs::LogGroup";
/// The CloudFormation type of a subscription filter.
pub const SUBSCRIPTION_FILTER_TYPE: &str = "AWS::Logs::SubscriptionFilter";

/// The log group a subscription filter is for.
#[derive(Debug, Clone, PartialEq)]
pub enum LogGroupTarget {
    /// An `AWS::Logs::LogGroup` of the template, by logical id.
    Declared(String),
    /// A log group outside the template (it exists already), by name.
    Named(Value),
}

impl LogGroupTarget {
    /// The name of the log group as the template writes it, when known.
    fn name(&self, resources: &Map<String, Value>) -> Option<Value> {
        match self {
            LogGroupTarget::Declared(id) => resources
                .get(id)?
                .get("Properties")?
                .get("LogGroupName")
                .cloned(),
            LogGroupTarget::Named(name) => Some(name.clone()),
        }
    }
}

/// The logical id of a subscription filter of the template that already
/// sends `target` to `destination`, if there is one. The filter may name the
/// group by `Ref` or by any spelling of the same name.
pub fn existing_filter(
    resources: &Map<String, Value>,
    target: &LogGroupTarget,
    destination: &Value,
) -> Option<String> {
    let wanted_name = target.name(resources).as_ref().and_then(NameExpr::of);
    resources
        .iter()
        .filter(|(_, r)| resource_type(r) == Some(SUBSCRIPTION_FILTER_TYPE))
        .find(|(_, filter)| {
            let Some(props) = filter.get("Properties") else {
                return false;
            };
            if props.get("DestinationArn") != Some(destination) {
                return false;
            }
            let Some(group) = props.get("LogGroupName") else {
                return false;
            };
            if let LogGroupTarget::Declared(id) = target
                && ref_target(group) == Some(id.as_str())
            {
                return true;
            }
            wanted_name.is_some() && NameExpr::of(group) == wanted_name
        })
        .map(|(id, _)| id.clone())
}

/// A new subscription filter sending `target` to `destination` with an
/// empty filter pattern (every event).
///
/// A declared group with a `LogGroupName` is named as the group names itself,
/// with `DependsOn` the group (so the group exists first); a declared group
/// without a name is named by `Ref`, which implies the dependency (cfn-lint
/// flags a `DependsOn` that repeats a `Ref`). `condition` is the
/// `Condition` of the resource the filter is for, copied so that the filter
/// exists exactly when that resource does.
pub fn new_filter(
    resources: &Map<String, Value>,
    target: &LogGroupTarget,
    destination: &Value,
    condition: Option<&Value>,
) -> Value {
    let mut resource = Map::new();
    resource.insert("Type".into(), json!(SUBSCRIPTION_FILTER_TYPE));
    if let Some(condition) = condition {
        resource.insert("Condition".into(), condition.clone());
    }
    let log_group_name = match (target, target.name(resources)) {
        (LogGroupTarget::Declared(id), Some(name)) => {
            resource.insert("DependsOn".into(), json!(id));
            name
        }
        (LogGroupTarget::Declared(id), None) => crate::template::intrinsics::make_ref(id),
        (LogGroupTarget::Named(name), _) => name.clone(),
    };
    resource.insert(
        "Properties".into(),
        json!({
            "DestinationArn": destination,
            "FilterPattern": "",
            "LogGroupName": log_group_name,
        }),
    );
    Value::Object(resource)
}

/// The `Condition` of a resource, if it has one.
pub fn condition_of(resource: &Value) -> Option<&Value> {
    resource.get("Condition")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resources(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn finds_filters_by_ref_or_by_name() {
        let r = resources(json!({
            "G": {"Type": LOG_GROUP_TYPE, "Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/${F}"}}},
            "ByRef": {"Type": SUBSCRIPTION_FILTER_TYPE, "Properties": {"DestinationArn": "arn:a", "FilterPattern": "", "LogGroupName": {"Ref": "G"}}},
            "ByName": {"Type": SUBSCRIPTION_FILTER_TYPE, "Properties": {"DestinationArn": "arn:b", "FilterPattern": "", "LogGroupName": {"Fn::Join": ["", ["/aws/lambda/", {"Ref": "F"}]]}}},
        }));
        let g = LogGroupTarget::Declared("G".into());
        assert_eq!(
            existing_filter(&r, &g, &json!("arn:a")).as_deref(),
            Some("ByRef")
        );
        assert_eq!(
            existing_filter(&r, &g, &json!("arn:b")).as_deref(),
            Some("ByName")
        );
        assert_eq!(existing_filter(&r, &g, &json!("arn:c")), None);
        let named = LogGroupTarget::Named(json!({"Fn::Sub": "/aws/lambda/${F}"}));
        assert_eq!(
            existing_filter(&r, &named, &json!("arn:b")).as_deref(),
            Some("ByName")
        );
    }

    #[test]
    fn new_filters_name_the_group_and_depend_on_it() {
        let r = resources(json!({
            "Named": {"Type": LOG_GROUP_TYPE, "Properties": {"LogGroupName": "/x"}},
            "Unnamed": {"Type": LOG_GROUP_TYPE},
        }));
        let f = new_filter(
            &r,
            &LogGroupTarget::Declared("Named".into()),
            &json!("arn:d"),
            None,
        );
        assert_eq!(f["DependsOn"], json!("Named"));
        assert_eq!(f["Properties"]["LogGroupName"], json!("/x"));
        let f = new_filter(
            &r,
            &LogGroupTarget::Declared("Unnamed".into()),
            &json!("arn:d"),
            Some(&json!("IsProd")),
        );
        assert_eq!(f.get("DependsOn"), None);
        assert_eq!(f["Condition"], json!("IsProd"));
        assert_eq!(f["Properties"]["LogGroupName"], json!({"Ref": "Unnamed"}));
    }
}
