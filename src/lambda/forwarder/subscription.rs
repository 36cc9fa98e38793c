//! Log groups and their `AWS::Logs::SubscriptionFilter`s: finding the log
//! group a name designates, a filter that already sends a log group to a
//! destination, and writing a new filter. Shared by the function pass
//! (`forwarderArn`) and the state machine pass (`stepFunctionForwarderArn`).
//!
//! The template's log groups and filters are indexed once ([`LogIndex`]),
//! by name and by the group they send, so that looking one up for each of
//! 500 functions does not read every resource each time.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::name_expr::NameExpr;
use crate::template::intrinsics::ref_target;
use crate::template::model::{PROPERTIES, Template};

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
    fn name<'t>(&'t self, template: &'t Template<'_>) -> Option<&'t Value> {
        match self {
            LogGroupTarget::Declared(id) => property(template, id, "LogGroupName"),
            LogGroupTarget::Named(name) => Some(name),
        }
    }
}

/// A property of resource `id`.
fn property<'t>(template: &'t Template<'_>, id: &str, key: &str) -> Option<&'t Value> {
    template.resource(id)?.mapping(PROPERTIES)?.get(key)
}

/// A subscription filter of the template, as [`LogIndex`] knows it.
struct Filter {
    id: String,
    destination: Value,
}

/// The template's log groups and subscription filters, by what they are
/// looked up by. Kept up to date with [`LogIndex::add_group`] and
/// [`LogIndex::add_filter`] as passes declare more.
#[derive(Default)]
pub struct LogIndex {
    /// The ids of the log groups.
    groups: HashSet<String>,
    /// The first log group (in template order: its place, and its id) of
    /// each name.
    groups_by_name: HashMap<NameExpr, (usize, String)>,
    /// The filters, in template order.
    filters: Vec<Filter>,
    /// The filters naming a log group by `Ref`, by the group's id.
    filters_by_ref: HashMap<String, Vec<usize>>,
    /// The filters naming a log group by name, by that name.
    filters_by_name: HashMap<NameExpr, Vec<usize>>,
}

impl LogIndex {
    /// Indexes the log groups and filters of `template`.
    pub fn of(template: &Template<'_>) -> LogIndex {
        let mut index = LogIndex::default();
        let types = [LOG_GROUP_TYPE, SUBSCRIPTION_FILTER_TYPE];
        for (id, resource) in template.resources_of_types(&types) {
            let props = resource.mapping(PROPERTIES);
            if resource.str("Type") == Some(LOG_GROUP_TYPE) {
                index.add_group(id, props.and_then(|p| p.get("LogGroupName")));
            } else if let Some(props) = props
                && let (Some(destination), Some(group)) =
                    (props.get("DestinationArn"), props.get("LogGroupName"))
            {
                index.add_filter(id, destination, group);
            }
        }
        index
    }

    /// Adds a log group named `name`.
    pub fn add_group(&mut self, id: &str, name: Option<&Value>) {
        self.groups.insert(id.to_string());
        if let Some(name) = name.and_then(NameExpr::of) {
            let place = self.groups.len();
            self.groups_by_name
                .entry(name)
                .or_insert_with(|| (place, id.to_string()));
        }
    }

    /// Adds a filter sending the group `group` (a name, or a `Ref`) to
    /// `destination`.
    pub fn add_filter(&mut self, id: &str, destination: &Value, group: &Value) {
        let at = self.filters.len();
        self.filters.push(Filter {
            id: id.to_string(),
            destination: destination.clone(),
        });
        if let Some(target) = ref_target(group) {
            self.filters_by_ref
                .entry(target.to_string())
                .or_default()
                .push(at);
        }
        if let Some(name) = NameExpr::of(group) {
            self.filters_by_name.entry(name).or_default().push(at);
        }
    }

    /// Whether `id` is a log group of the template.
    pub fn is_group(&self, id: &str) -> bool {
        self.groups.contains(id)
    }

    /// The first log group (in template order) with one of these names.
    pub fn group_named(&self, names: &[NameExpr]) -> Option<&str> {
        names
            .iter()
            .filter_map(|name| self.groups_by_name.get(name))
            .min_by_key(|(place, _)| *place)
            .map(|(_, id)| id.as_str())
    }

    /// The logical id of a subscription filter of the template that already
    /// sends `target` to `destination`, if there is one. The filter may name
    /// the group by `Ref` or by any spelling of the same name.
    pub fn existing_filter(
        &self,
        template: &Template<'_>,
        target: &LogGroupTarget,
        destination: &Value,
    ) -> Option<&str> {
        let by_ref = match target {
            LogGroupTarget::Declared(id) => self.filters_by_ref.get(id),
            LogGroupTarget::Named(_) => None,
        };
        let by_name = target
            .name(template)
            .and_then(NameExpr::of)
            .and_then(|name| self.filters_by_name.get(&name));
        by_ref
            .into_iter()
            .chain(by_name)
            .flatten()
            .copied()
            .filter(|&at| self.filters[at].destination == *destination)
            .min()
            .map(|at| self.filters[at].id.as_str())
    }
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
    template: &Template<'_>,
    target: &LogGroupTarget,
    destination: &Value,
    condition: Option<&Value>,
) -> Value {
    let mut resource = Map::new();
    resource.insert("Type".into(), json!(SUBSCRIPTION_FILTER_TYPE));
    if let Some(condition) = condition {
        resource.insert("Condition".into(), condition.clone());
    }
    let log_group_name = match (target, target.name(template)) {
        (LogGroupTarget::Declared(id), Some(name)) => {
            resource.insert("DependsOn".into(), json!(id));
            name.clone()
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

/// Declares `filter` (made by [`new_filter`]) as `id`, and indexes it.
pub fn declare_filter(template: &mut Template<'_>, index: &mut LogIndex, id: &str, filter: Value) {
    if let Some(props) = filter.get(PROPERTIES)
        && let (Some(destination), Some(group)) =
            (props.get("DestinationArn"), props.get("LogGroupName"))
    {
        index.add_filter(id, destination, group);
    }
    template.insert_resource(id.to_string(), filter);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_filters_by_ref_or_by_name() {
        let t = Template::from_value(json!({"Resources": {
            "G": {"Type": LOG_GROUP_TYPE, "Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/${F}"}}},
            "ByRef": {"Type": SUBSCRIPTION_FILTER_TYPE, "Properties": {"DestinationArn": "arn:a", "FilterPattern": "", "LogGroupName": {"Ref": "G"}}},
            "ByName": {"Type": SUBSCRIPTION_FILTER_TYPE, "Properties": {"DestinationArn": "arn:b", "FilterPattern": "", "LogGroupName": {"Fn::Join": ["", ["/aws/lambda/", {"Ref": "F"}]]}}},
        }}));
        let index = LogIndex::of(&t);
        let g = LogGroupTarget::Declared("G".into());
        assert_eq!(
            index.existing_filter(&t, &g, &json!("arn:a")),
            Some("ByRef")
        );
        assert_eq!(
            index.existing_filter(&t, &g, &json!("arn:b")),
            Some("ByName")
        );
        assert_eq!(index.existing_filter(&t, &g, &json!("arn:c")), None);
        let named = LogGroupTarget::Named(json!({"Fn::Sub": "/aws/lambda/${F}"}));
        assert_eq!(
            index.existing_filter(&t, &named, &json!("arn:b")),
            Some("ByName")
        );
        let name = NameExpr::of(&json!("/aws/lambda/${F}")).unwrap();
        assert_eq!(index.group_named(&[name]), None, "a literal is not a Sub");
        let name = NameExpr::of(&json!({"Fn::Sub": "/aws/lambda/${F}"})).unwrap();
        assert_eq!(index.group_named(&[name]), Some("G"));
        assert!(index.is_group("G") && !index.is_group("ByRef"));
    }

    #[test]
    fn new_filters_name_the_group_and_depend_on_it() {
        let t = Template::from_value(json!({"Resources": {
            "Named": {"Type": LOG_GROUP_TYPE, "Properties": {"LogGroupName": "/x"}},
            "Unnamed": {"Type": LOG_GROUP_TYPE},
        }}));
        let f = new_filter(
            &t,
            &LogGroupTarget::Declared("Named".into()),
            &json!("arn:d"),
            None,
        );
        assert_eq!(f["DependsOn"], json!("Named"));
        assert_eq!(f["Properties"]["LogGroupName"], json!("/x"));
        let f = new_filter(
            &t,
            &LogGroupTarget::Declared("Unnamed".into()),
            &json!("arn:d"),
            Some(&json!("IsProd")),
        );
        assert_eq!(f.get("DependsOn"), None);
        assert_eq!(f["Condition"], json!("IsProd"));
        assert_eq!(f["Properties"]["LogGroupName"], json!({"Ref": "Unnamed"}));
    }
}
