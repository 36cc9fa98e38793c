//! The template's log groups other than its functions' and state machines',
//! sent to `forwarderArn`: those API Gateway stages write access logs to
//! (`subscribeToAccessLogs`, on by default), the execution-log groups of
//! REST and WebSocket stages (`subscribeToExecutionLogs`), and those listed
//! in `subscribeLogGroups`.
//!
//! An access-log destination is a log group of the template (by `Fn::GetAtt`
//! or by name), or one outside it named by its ARN, which exists already
//! (API Gateway refuses a destination that does not): it is subscribed by
//! name. An execution-log group is created by API Gateway when the stage
//! first logs, so the macro declares it (before that happens) unless the
//! template declares it or `existingLogGroups` names the stage or its API.

use serde_json::{Value, json};

use super::api_gateway::{self, Execution, Stage, Wanted};
use super::name_expr::NameExpr;
use super::subscription::{
    LOG_GROUP_TYPE, LogGroupTarget, Served, Subscriber, Subscription, log_group_of_arn,
};
use crate::StackContext;
use crate::config::{Config, Param, exclusion_reason};
use crate::lambda::env::source_of;
use crate::report::{Origin, Report};
use crate::report_text::show;
use crate::template::model::Template;
use crate::template::resources::new_resource;

/// Said once when the macro declares an execution-log group.
const EXISTING_EXECUTION_GROUPS: &str = "API Gateway creates a stage's execution-log group when the stage first logs: for a stage that has logged already, the group exists and CloudFormation cannot create it again; list that stage (or its API) in `existingLogGroups` to subscribe the group without declaring it.";

/// Subscribes the template's API Gateway access- and execution-log groups
/// and those of `subscribeLogGroups` to `forwarderArn`, as the
/// (template-wide) parameters ask.
pub fn subscribe(
    template: &mut Template<'_>,
    config: &Config,
    context: &StackContext<'_>,
    report: &mut Report,
) {
    let Some(destination) = config.forwarder_arn.as_ref() else {
        return;
    };
    let wanted = Wanted {
        access: config.subscribe_to_access_logs,
        execution: config.subscribe_to_execution_logs,
    };
    let stages = if wanted.access || wanted.execution {
        warn_of_implicit_apis(template, wanted, report);
        api_gateway::stages(template, config, context, wanted)
    } else {
        Vec::new()
    };
    if stages.is_empty() && config.subscribe_log_groups.is_empty() {
        return;
    }
    let mut pass = Pass {
        subscriber: Subscriber::of(template, config, context),
        destination,
        config,
        noted: false,
    };
    for stage in &stages {
        if let Some(arn) = &stage.access_destination {
            pass.access_logs(template, stage, arn, report);
        }
        pass.execution_logs(template, stage, report);
    }
    let source = pass.source(Param::subscribe_log_groups, None);
    for id in &config.subscribe_log_groups {
        let Some(group) = template.resource(id) else {
            continue;
        };
        if exclusion_reason(id, group.get("Metadata"), config).is_some() {
            continue;
        }
        let condition = group.get("Condition").cloned();
        let served = Served {
            id,
            resource_type: LOG_GROUP_TYPE,
            condition: condition.as_ref(),
            instrumented: false,
        };
        let subscription = Subscription {
            target: LogGroupTarget::Declared(id.clone()),
            destination,
            filter_id: format!("{id}Subscription"),
            served,
            source: Some(source.clone()),
        };
        pass.subscriber.subscribe(template, subscription, report);
    }
}

/// What the pass carries from stage to stage.
struct Pass<'p> {
    subscriber: Subscriber,
    destination: &'p Value,
    config: &'p Config,
    /// Whether [`EXISTING_EXECUTION_GROUPS`] was said.
    noted: bool,
}

impl Pass<'_> {
    /// `param` and where it came from, then what it is for.
    fn source(&self, param: Param, what: Option<String>) -> Origin {
        let given = source_of(self.config, param);
        match what {
            Some(what) => format!("{given}: {what}").into(),
            None => given,
        }
    }

    /// Subscribes the group `stage` writes access logs to (`arn`).
    fn access_logs(
        &mut self,
        template: &mut Template<'_>,
        stage: &Stage,
        arn: &Value,
        report: &mut Report,
    ) {
        let target = match log_group_of_arn(template, arn) {
            Some(target) => self.subscriber.resolve(target),
            None if is_other_service(arn) => return,
            None => {
                report.warn(
                    Some(&stage.id),
                    format!(
                        "Stage {}: its access-log destination {} is neither Fn::GetAtt [LOG_GROUP, Arn] of a log group of this template nor a log group ARN, so it was not subscribed to the Datadog Forwarder; list the log group in `subscribeLogGroups`, or subscribe it by hand.",
                        stage.id,
                        show(arn)
                    ),
                );
                return;
            }
        };
        if let LogGroupTarget::Declared(group) = &target
            && excluded(template, group, self.config)
        {
            return;
        }
        let source = self.source(
            Param::subscribe_to_access_logs,
            Some(format!("access logs of {}", stage.id)),
        );
        self.send(template, stage, target, "AccessLogs", source, report);
    }

    /// Subscribes `target` for `stage`: the filter `<Group>Subscription`,
    /// or for a group outside the template `<Stage><what>Subscription`.
    fn send(
        &mut self,
        template: &mut Template<'_>,
        stage: &Stage,
        target: LogGroupTarget,
        what: &str,
        source: Origin,
        report: &mut Report,
    ) {
        let filter_id = match &target {
            LogGroupTarget::Declared(group) => format!("{group}Subscription"),
            LogGroupTarget::Named(_) => format!("{}{what}Subscription", stage.id),
        };
        let subscription = Subscription {
            target,
            destination: self.destination,
            filter_id,
            served: served(stage),
            source: Some(source),
        };
        self.subscriber.subscribe(template, subscription, report);
    }

    /// Subscribes the group `stage` writes execution logs to, declaring it
    /// when needed.
    fn execution_logs(&mut self, template: &mut Template<'_>, stage: &Stage, report: &mut Report) {
        let (name, group_id) = match &stage.execution {
            Execution::Off => return,
            Execution::Unknown(why) => {
                report.warn(
                    Some(&stage.id),
                    format!(
                        "Stage {}: whether it writes execution logs cannot be told ({why}), so no execution-log group was subscribed to the Datadog Forwarder for it; subscribe it by hand, or with `subscribeLogGroups`.",
                        stage.id
                    ),
                );
                return;
            }
            Execution::On { name, group_id } => (name, group_id),
        };
        let source = self.source(
            Param::subscribe_to_execution_logs,
            Some(format!("execution logs of {}", stage.id)),
        );
        let existing = &self.config.existing_log_groups;
        let exists = existing.contains(&stage.id)
            || stage
                .api
                .as_deref()
                .is_some_and(|api| existing.contains(api));
        let target =
            match NameExpr::of(name).and_then(|n| self.subscriber.index().group_named(&[n])) {
                Some(group) if excluded(template, group, self.config) => return,
                Some(group) => LogGroupTarget::Declared(group.to_string()),
                None if exists => LogGroupTarget::Named(name.clone()),
                None => {
                    let group = new_resource(
                        LOG_GROUP_TYPE,
                        stage.condition.as_ref(),
                        json!({ "LogGroupName": name }),
                    );
                    let id = self.subscriber.declare_group(
                        template,
                        group_id,
                        group,
                        served(stage),
                        Some(source.clone()),
                        report,
                    );
                    if !self.noted {
                        report.note(EXISTING_EXECUTION_GROUPS.to_string());
                        self.noted = true;
                    }
                    LogGroupTarget::Declared(id)
                }
            };
        self.send(template, stage, target, "ExecutionLogs", source, report);
    }
}

/// SAM's implicit APIs (`ServerlessRestApi`, `ServerlessHttpApi`, made
/// from functions' `Api` and `HttpApi` events) exist only once SAM has
/// translated the template: a warning when `Globals` gives them logs the
/// macro would subscribe, but it runs before SAM's transform.
fn warn_of_implicit_apis(template: &Template<'_>, wanted: Wanted, report: &mut Report) {
    let globals = |key: &str| template.section("Globals").and_then(|g| g.get(key));
    let rest = globals("Api").is_some_and(|api| {
        (wanted.access && api.get("AccessLogSetting").is_some())
            || (wanted.execution && api.get("MethodSettings").is_some())
    });
    let http = wanted.access
        && globals("HttpApi").is_some_and(|api| api.get("AccessLogSettings").is_some());
    if !rest && !http {
        return;
    }
    let implicit = |event: &Value| match event.get("Type").and_then(Value::as_str) {
        Some("Api") => rest && event.pointer("/Properties/RestApiId").is_none(),
        Some("HttpApi") => http && event.pointer("/Properties/ApiId").is_none(),
        _ => false,
    };
    let uses_implicit = template
        .resources_of_types(&[crate::lambda::function::SERVERLESS_FUNCTION])
        .filter_map(|(_, f)| f.mapping(crate::template::model::PROPERTIES)?.get("Events"))
        .filter_map(Value::as_object)
        .any(|events| events.values().any(implicit));
    if uses_implicit {
        report.warn(
            None,
            "Globals give SAM's implicit API (ServerlessRestApi or ServerlessHttpApi, made from the functions' Api and HttpApi events) logs to subscribe, but that API exists only after SAM's transform, which runs after this one: list DatadogServerless after AWS::Serverless-2016-10-31 in Transform for its log groups to be subscribed.",
        );
    }
}

/// The stage as the resource its subscription serves.
fn served(stage: &Stage) -> Served<'_> {
    Served {
        id: &stage.id,
        resource_type: &stage.resource_type,
        condition: stage.condition.as_ref(),
        instrumented: false,
    }
}

/// Whether a log group of the template is left alone (`exclude`,
/// `Metadata.Datadog.Exclude`).
fn excluded(template: &Template<'_>, group: &str, config: &Config) -> bool {
    let metadata = template.resource(group).and_then(|g| g.get("Metadata"));
    exclusion_reason(group, metadata, config).is_some()
}

/// Whether an access-log destination is a literal ARN of a service other
/// than CloudWatch Logs (a REST stage may send its access logs to Kinesis
/// Data Firehose): not a log group, and nothing to warn about.
fn is_other_service(arn: &Value) -> bool {
    arn.as_str()
        .and_then(|arn| arn.split(':').nth(2))
        .is_some_and(|service| service != "logs")
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::dry_run::in_us_east_1;
    use crate::report::Severity;

    const FWD: &str = "arn:aws:lambda:us-east-1:123456789012:function:fwd";

    /// The warnings and the ids of the resources added by a run on `resources`.
    fn run(params: Value, resources: Value) -> (Vec<String>, Vec<String>) {
        let mut params = params;
        params["forwarderArn"] = json!(FWD);
        let template = json!({
            "Transform": [{"Name": "DatadogServerless", "Parameters": params}],
            "Resources": resources,
        });
        let outcome = in_us_east_1(&template);
        let output = outcome.output.clone().expect("the transform succeeds");
        let added = output["Resources"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|id| template["Resources"].get(id.as_str()).is_none())
            .cloned()
            .collect();
        (outcome.messages(Severity::Warning), added)
    }

    fn stage(destination: Value) -> Value {
        json!({"Type": "AWS::ApiGateway::Stage", "Properties": {"RestApiId": "abc", "StageName": "s",
            "AccessLogSetting": {"DestinationArn": destination, "Format": "$context.requestId"}}})
    }

    #[test]
    fn destinations_that_are_no_log_group_of_this_stack() {
        let (warnings, added) = run(
            json!({}),
            json!({
                "Param": stage(json!({"Ref": "LogGroupArn"})),
                "Firehose": stage(json!("arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-s")),
                "Outside": stage(json!("arn:aws:logs:us-east-1:123456789012:log-group:api-logs:*")),
            }),
        );
        assert_eq!(added, ["OutsideAccessLogsSubscription"]);
        assert_eq!(
            warnings,
            [
                "Stage Param: its access-log destination {\"Ref\":\"LogGroupArn\"} is neither Fn::GetAtt [LOG_GROUP, Arn] of a log group of this template nor a log group ARN, so it was not subscribed to the Datadog Forwarder; list the log group in `subscribeLogGroups`, or subscribe it by hand."
            ]
        );
    }

    #[test]
    fn excluded_log_groups_and_unknown_levels() {
        let (warnings, added) = run(
            json!({"subscribeToExecutionLogs": true, "exclude": ["Quiet"]}),
            json!({
                "Quiet": {"Type": "AWS::Logs::LogGroup"},
                "ToQuiet": stage(json!({"Fn::GetAtt": ["Quiet", "Arn"]})),
                "Unknown": {"Type": "AWS::ApiGateway::Stage", "Properties": {"RestApiId": "abc", "StageName": "u",
                    "MethodSettings": [{"LoggingLevel": {"Ref": "Level"}}]}},
            }),
        );
        assert!(added.is_empty(), "{added:?}");
        assert_eq!(
            warnings,
            [
                "Stage Unknown: whether it writes execution logs cannot be told (its LoggingLevel {\"Ref\":\"Level\"} cannot be read at transform time), so no execution-log group was subscribed to the Datadog Forwarder for it; subscribe it by hand, or with `subscribeLogGroups`."
            ]
        );
    }

    #[test]
    fn a_stage_or_api_in_existing_log_groups_names_its_group() {
        let resources = json!({
            "Api": {"Type": "AWS::ApiGateway::RestApi"},
            "Prod": {"Type": "AWS::ApiGateway::Stage", "Properties": {"RestApiId": {"Ref": "Api"}, "StageName": "prod",
                "MethodSettings": [{"LoggingLevel": "ERROR"}]}},
        });
        for existing in ["Prod", "Api"] {
            let (_, added) = run(
                json!({"subscribeToExecutionLogs": true, "existingLogGroups": [existing]}),
                resources.clone(),
            );
            assert_eq!(added, ["ProdExecutionLogsSubscription"], "{existing}");
        }
        let (_, added) = run(json!({"subscribeToExecutionLogs": true}), resources);
        assert_eq!(
            added,
            [
                "ApiprodExecutionLogGroup",
                "ApiprodExecutionLogGroupSubscription"
            ]
        );
    }
}
