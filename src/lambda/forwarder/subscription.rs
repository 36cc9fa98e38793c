//! Log groups and their `AWS::Logs::SubscriptionFilter`s: finding the log
//! group a name or an ARN designates, a filter that already sends a log
//! group to a destination, and adding a new filter. Every pass that sends
//! a log group to a Forwarder does it through one [`Subscriber`]: the
//! function pass (`forwarderArn`), the template's other log groups (API
//! Gateway stages, `subscribeLogGroups`) and the state machine pass
//! (`stepFunctionForwarderArn`).
//!
//! The template's log groups and filters are indexed once ([`LogIndex`]),
//! by name and by the group they send, so that looking one up for each of
//! 500 functions does not read every resource each time.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::name_expr::NameExpr;
use super::permission::{PERMISSION_TYPE, Permissions};
use crate::StackContext;
use crate::config::Config;
use crate::report::{Change, Origin, Report};
use crate::template::intrinsics::{ref_target, single};
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

    /// How many filters of the template send `target` anywhere.
    pub fn filter_count(&self, template: &Template<'_>, target: &LogGroupTarget) -> usize {
        let by_ref = match target {
            LogGroupTarget::Declared(id) => self.filters_by_ref.get(id),
            LogGroupTarget::Named(_) => None,
        };
        let by_name = target
            .name(template)
            .and_then(NameExpr::of)
            .and_then(|name| self.filters_by_name.get(&name));
        let mut all: Vec<usize> = by_ref
            .into_iter()
            .chain(by_name)
            .flatten()
            .copied()
            .collect();
        all.sort_unstable();
        all.dedup();
        all.len()
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

/// The most subscription filters CloudWatch Logs allows on one log group.
const MAX_FILTERS_PER_GROUP: usize = 2;

/// The resource a subscription serves (a function, a stage, a state
/// machine, a listed log group): what the report lists the new resources
/// under, and whose `Condition` they copy when the log group has none.
#[derive(Debug, Clone, Copy)]
pub struct Served<'s> {
    /// Its logical id.
    pub id: &'s str,
    /// Its type.
    pub resource_type: &'s str,
    /// Its `Condition`.
    pub condition: Option<&'s Value>,
    /// Whether it is instrumented itself (a function, a state machine), so
    /// that the report lists what was added for it under it too; a stage
    /// or a listed log group is not changed, and its new resources' source
    /// names it.
    pub instrumented: bool,
}

/// A log group to send to a destination.
#[derive(Debug, Clone)]
pub struct Subscription<'s> {
    /// The log group.
    pub target: LogGroupTarget,
    /// Where its events go (a Forwarder's ARN).
    pub destination: &'s Value,
    /// The logical id the new filter gets (made unique).
    pub filter_id: String,
    /// The resource it serves.
    pub served: Served<'s>,
    /// The parameter that asked for it, for the report; `None` for a
    /// function's or state machine's own log group.
    pub source: Option<Origin>,
}

/// Adds the subscription filters (and, with `createForwarderPermissions`,
/// their permissions) of one pass, keeping its [`LogIndex`] up to date.
pub struct Subscriber {
    index: LogIndex,
    permissions: Option<Permissions>,
}

impl Subscriber {
    /// A subscriber for `template`, whose log groups and filters it indexes.
    pub fn of(template: &Template<'_>, config: &Config, context: &StackContext<'_>) -> Subscriber {
        Subscriber {
            index: LogIndex::of(template),
            permissions: Permissions::of(template, config, context.region, context.account_id),
        }
    }

    /// The index of the template's log groups and filters.
    pub fn index(&self) -> &LogIndex {
        &self.index
    }

    /// Declares the log group `group` (made by the caller) as a new
    /// resource whose id starts with `id`, indexed, and reported under
    /// `served`; returns its id.
    pub fn declare_group(
        &mut self,
        template: &mut Template<'_>,
        id: &str,
        group: Value,
        served: Served<'_>,
        source: Option<Origin>,
        report: &mut Report,
    ) -> String {
        let id = template.unique_logical_id(id);
        let name = group.get(PROPERTIES).and_then(|p| p.get("LogGroupName"));
        self.index.add_group(&id, name);
        template.insert_resource(id.clone(), group);
        added(report, served, &id, LOG_GROUP_TYPE, source);
        id
    }

    /// A group named as a group of the template names is that group.
    pub fn resolve(&self, target: LogGroupTarget) -> LogGroupTarget {
        match target {
            LogGroupTarget::Named(name) => match NameExpr::of(&name)
                .and_then(|n| self.index.group_named(&[n]).map(str::to_string))
            {
                Some(id) => LogGroupTarget::Declared(id),
                None => LogGroupTarget::Named(name),
            },
            declared => declared,
        }
    }

    /// Sends a log group to a destination: adds the filter, unless one
    /// does already, or the group has as many as CloudWatch Logs allows (a
    /// warning). Returns the new filter's id.
    pub fn subscribe(
        &mut self,
        template: &mut Template<'_>,
        subscription: Subscription<'_>,
        report: &mut Report,
    ) -> Option<String> {
        let Subscription {
            target,
            destination,
            filter_id,
            served,
            source,
        } = subscription;
        let target = self.resolve(target);
        if self
            .index
            .existing_filter(template, &target, destination)
            .is_some()
        {
            return None;
        }
        if self.index.filter_count(template, &target) >= MAX_FILTERS_PER_GROUP {
            let group = match &target {
                LogGroupTarget::Declared(id) if id == served.id => format!("Log group {id}"),
                LogGroupTarget::Declared(id) => format!("The log group {id} of {}", served.id),
                LogGroupTarget::Named(name) => format!(
                    "The log group {} of {}",
                    crate::report_text::show(name),
                    served.id
                ),
            };
            report.warn(
                Some(served.id),
                format!(
                    "{group} already has {MAX_FILTERS_PER_GROUP} subscription filters, the most CloudWatch Logs allows, so it was not sent to the Datadog Forwarder: remove one of them, or subscribe it by hand."
                ),
            );
            return None;
        }
        let condition = match &target {
            LogGroupTarget::Declared(group) => template
                .resource(group)
                .and_then(|g| g.get("Condition"))
                .or(served.condition),
            LogGroupTarget::Named(_) => served.condition,
        }
        .cloned();
        let mut filter = new_filter(template, &target, destination, condition.as_ref());
        let filter_id = template.unique_logical_id(&filter_id);
        let permission = self.permissions.as_mut().and_then(|permissions| {
            permissions.permission(&target, destination, condition.as_ref(), served.id, report)
        });
        if let Some(permission) = permission {
            let permission_id = template.unique_logical_id(&format!("{filter_id}Permission"));
            template.insert_resource(permission_id.clone(), permission);
            depends_on(&mut filter, &permission_id);
            let source = self.permissions.as_ref().map(|p| p.source().clone());
            added(report, served, &permission_id, PERMISSION_TYPE, source);
        }
        declare_filter(template, &mut self.index, &filter_id, filter);
        added(report, served, &filter_id, SUBSCRIPTION_FILTER_TYPE, source);
        Some(filter_id)
    }
}

/// Reports `id`, of type `resource_type`, added: under itself and, when it
/// is instrumented, under the resource it serves.
fn added(
    report: &mut Report,
    served: Served<'_>,
    id: &str,
    resource_type: &str,
    source: Option<Origin>,
) {
    let change = Change::ResourceAdded {
        logical_id: id.to_string(),
        resource_type: resource_type.to_string(),
        source,
    };
    if served.instrumented {
        report.change(id, resource_type, change.clone());
        report.change(served.id, served.resource_type, change);
    } else {
        report.change(id, resource_type, change);
    }
}

/// Adds `id` to a new resource's `DependsOn` (one id stays a string).
fn depends_on(resource: &mut Value, id: &str) {
    let Some(resource) = resource.as_object_mut() else {
        return;
    };
    let ids = match resource.remove("DependsOn") {
        None => json!(id),
        Some(Value::String(first)) => json!([first, id]),
        Some(Value::Array(mut list)) => {
            list.push(json!(id));
            Value::Array(list)
        }
        Some(other) => other,
    };
    resource.insert("DependsOn".into(), ids);
}

/// The log group a destination ARN designates: `Fn::GetAtt [G, Arn]` (or
/// `${G.Arn}`) of a log group of the template, or a log-group ARN (literal
/// or `Fn::Sub`) naming it; `None` for anything else.
pub fn log_group_of_arn(template: &Template<'_>, arn: &Value) -> Option<LogGroupTarget> {
    let name = NameExpr::of(arn);
    if let Some((id, attribute)) = name.as_ref().and_then(NameExpr::as_get_att) {
        let group = attribute == "Arn" && template.resource_type(id) == Some(LOG_GROUP_TYPE);
        return group.then(|| LogGroupTarget::Declared(id.to_string()));
    }
    let name_in = |text: &str| -> Option<String> {
        let (_, rest) = text.split_once(":log-group:")?;
        let name = rest.strip_suffix(":*").unwrap_or(rest);
        (!name.is_empty() && !name.contains(':')).then(|| name.to_string())
    };
    match arn {
        Value::String(text) => name_in(text).map(|n| LogGroupTarget::Named(json!(n))),
        _ => match single(arn, "Fn::Sub")? {
            Value::String(text) => {
                let name = name_in(text)?;
                Some(LogGroupTarget::Named(if name.contains("${") {
                    json!({"Fn::Sub": name})
                } else {
                    json!(name)
                }))
            }
            _ => None,
        },
    }
}

/// The ARN of the log group named `name` in the stack's account and
/// region, followed by `suffix` (`:*` for its streams): one `Fn::Sub`,
/// or a `Fn::Join` when the name is an intrinsic `Fn::Sub` cannot hold.
pub fn log_group_arn(name: &Value, suffix: &str) -> Value {
    const PREFIX: &str = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:";
    match NameExpr::of(name) {
        Some(name) => json!({"Fn::Sub": format!("{PREFIX}{}{suffix}", name.to_sub_text())}),
        None => json!({"Fn::Join": ["", [{"Fn::Sub": PREFIX}, name, suffix]]}),
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

    #[test]
    fn destinations_by_arn() {
        let r = Template::from_value(
            json!({"Resources": {"G": {"Type": LOG_GROUP_TYPE}, "T": {"Type": "AWS::SNS::Topic"}}}),
        );
        let r = &r;
        assert_eq!(
            log_group_of_arn(r, &json!({"Fn::GetAtt": "G.Arn"})),
            Some(LogGroupTarget::Declared("G".into()))
        );
        assert_eq!(
            log_group_of_arn(r, &json!({"Fn::GetAtt": ["T", "Arn"]})),
            None
        );
        assert_eq!(
            log_group_of_arn(r, &json!("arn:aws:logs:us-east-1:1:log-group:/x/y:*")),
            Some(LogGroupTarget::Named(json!("/x/y")))
        );
        assert_eq!(
            log_group_of_arn(
                r,
                &json!({"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/s/${Stage}:*"})
            ),
            Some(LogGroupTarget::Named(json!({"Fn::Sub": "/s/${Stage}"})))
        );
        assert_eq!(log_group_of_arn(r, &json!({"Ref": "P"})), None);
        assert_eq!(
            log_group_of_arn(r, &json!({"Fn::Sub": "${G.Arn}"})),
            Some(LogGroupTarget::Declared("G".into()))
        );
        assert_eq!(
            log_group_of_arn(r, &json!({"Fn::GetAtt": ["G", "Name"]})),
            None
        );
        assert_eq!(
            log_group_of_arn(
                r,
                &json!("arn:aws:firehose:us-east-1:1:deliverystream/amazon-apigateway-x")
            ),
            None
        );
    }
}
