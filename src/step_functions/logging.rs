//! Logging of a state machine to CloudWatch Logs and the log group's
//! subscription to the Forwarder (SPEC §8 steps 1 and 2).

use serde_json::{Map, Value, json};

use super::{Machine, role};
use crate::lambda::forwarder::subscription::{
    LOG_GROUP_TYPE, LogGroupTarget, Subscriber, Subscription, log_group_of_arn,
};
use crate::report::{Change, Report};
use crate::template::intrinsics::{is_intrinsic, make_get_att};
use crate::template::model::Template;
use crate::template::resources::new_resource;

/// Days the logs of a log group the macro declares are kept.
pub const RETENTION_IN_DAYS: u64 = 7;

/// Sets the logging level to `ALL` with execution data, declares a log group
/// when there is no destination (allowing the role to deliver to it), and
/// returns the log group the state machine logs to, when it can be found.
pub fn set_up(
    template: &mut Template<'_>,
    subscriber: &mut Subscriber,
    machine: &Machine,
    properties: &mut Map<String, Value>,
    env: Option<&Value>,
    report: &mut Report,
) -> Option<LogGroupTarget> {
    let key = machine.flavor.logging_key();
    let logging = properties.entry(key).or_insert_with(|| json!({}));
    let usable = !is_intrinsic(logging);
    let Some(logging) = logging.as_object_mut().filter(|_| usable) else {
        report.warn(
            Some(&machine.id),
            format!(
                "State machine {}: its {key} is not a mapping (an intrinsic function?), so its logging was left alone and its logs are not sent to the Datadog Forwarder.",
                machine.id
            ),
        );
        return None;
    };
    let mut set = Vec::new();
    if logging.get("Level") != Some(&json!("ALL")) {
        logging.insert("Level".into(), json!("ALL"));
        set.push(("Level", json!("ALL")));
    }
    let include = logging.get("IncludeExecutionData");
    if include != Some(&json!(true)) && include != Some(&json!("true")) {
        logging.insert("IncludeExecutionData".into(), json!(true));
        set.push(("IncludeExecutionData", json!(true)));
    }
    let has_destination = match logging.get("Destinations") {
        None => false,
        Some(Value::Array(list)) => !list.is_empty(),
        Some(_) => true,
    };
    let target = if has_destination {
        let found = logging
            .get("Destinations")
            .and_then(|d| d.get(0))
            .and_then(|d| d.get("CloudWatchLogsLogGroup"))
            .and_then(|g| g.get("LogGroupArn"))
            .and_then(|arn| log_group_of_arn(template, arn));
        if found.is_none() {
            report.warn(
                Some(&machine.id),
                format!(
                    "State machine {}: the log group of its {key}.Destinations is neither Fn::GetAtt [LOG_GROUP, Arn] of a log group of this template nor a log group ARN, so it was not subscribed to the Datadog Forwarder; subscribe it by hand.",
                    machine.id
                ),
            );
        }
        found
    } else {
        None
    };
    for (property, value) in set {
        report.change(
            &machine.id,
            &machine.resource_type,
            Change::PropertySet {
                property: format!("{key}.{property}"),
                value,
            },
        );
    }
    if has_destination {
        // The log group an earlier run declared: its role needs the same
        // permission (a second run gives the same answer, warnings too).
        if let Some(LogGroupTarget::Declared(group)) = &target
            && is_declared_by_the_macro(template, group, machine, env)
        {
            role::grant_log_delivery(template, machine, properties, report);
        }
        return target;
    }
    if !role::grant_log_delivery(template, machine, properties, report) {
        return None;
    }
    let group_name = log_group_name(&machine.id, env);
    let group = new_resource(
        LOG_GROUP_TYPE,
        machine.condition.as_ref(),
        json!({
            "LogGroupName": group_name,
            "RetentionInDays": RETENTION_IN_DAYS,
        }),
    );
    let group_id = subscriber.declare_group(
        template,
        &format!("{}LogGroup", machine.id),
        group,
        machine.served(),
        None,
        report,
    );
    let destinations =
        json!([{"CloudWatchLogsLogGroup": {"LogGroupArn": make_get_att(&group_id, "Arn")}}]);
    if let Some(logging) = properties.get_mut(key).and_then(Value::as_object_mut) {
        logging.insert("Destinations".into(), destinations.clone());
    }
    report.change(
        &machine.id,
        &machine.resource_type,
        Change::PropertySet {
            property: format!("{key}.Destinations"),
            value: destinations,
        },
    );
    Some(LogGroupTarget::Declared(group_id))
}

/// Whether log group `group` is the one the macro declares for `machine`
/// (a template the macro already ran on): named as [`log_group_name`] names it.
fn is_declared_by_the_macro(
    template: &Template<'_>,
    group: &str,
    machine: &Machine,
    env: Option<&Value>,
) -> bool {
    template
        .resource(group)
        .and_then(|g| g.mapping(crate::template::model::PROPERTIES))
        .and_then(|p| p.get("LogGroupName"))
        .is_some_and(|name| *name == log_group_name(&machine.id, env))
}

/// `/aws/vendedlogs/states/<StateMachine>-Logs`, plus `-<env>` when `env` is set.
fn log_group_name(id: &str, env: Option<&Value>) -> Value {
    let base = format!("/aws/vendedlogs/states/{id}-Logs");
    match env {
        None => json!(base),
        Some(Value::String(env)) => json!(format!("{base}-{env}")),
        Some(intrinsic) => json!({"Fn::Join": ["", [format!("{base}-"), intrinsic]]}),
    }
}

/// Adds `<StateMachine>LogGroupDatadogSubscriptionFilter`, unless a filter
/// already sends the group to the same destination.
pub fn subscribe(
    template: &mut Template<'_>,
    subscriber: &mut Subscriber,
    machine: &Machine,
    target: LogGroupTarget,
    destination: &Value,
    report: &mut Report,
) {
    let subscription = Subscription {
        target,
        destination,
        filter_id: format!("{}LogGroupDatadogSubscriptionFilter", machine.id),
        served: machine.served(),
        source: None,
    };
    subscriber.subscribe(template, subscription, report);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_group_names() {
        assert_eq!(
            log_group_name("M", None),
            json!("/aws/vendedlogs/states/M-Logs")
        );
        assert_eq!(
            log_group_name("M", Some(&json!("prod"))),
            json!("/aws/vendedlogs/states/M-Logs-prod")
        );
        assert_eq!(
            log_group_name("M", Some(&json!({"Ref": "Stage"}))),
            json!({"Fn::Join": ["", ["/aws/vendedlogs/states/M-Logs-", {"Ref": "Stage"}]]})
        );
    }
}
