//! Declarative log subscriptions to the Datadog Forwarder (SPEC §7).
//!
//! The reference macro calls the CloudWatch Logs API from inside the
//! transform; here every subscription is an `AWS::Logs::SubscriptionFilter`
//! of the template, so the transform stays pure, previewable, and its
//! resources belong to the stack. For each instrumented function:
//!
//! 1. find the log group it writes to among the template's
//!    `AWS::Logs::LogGroup`s: the one named by `LoggingConfig.LogGroup`, or
//!    the one named `/aws/lambda/` + the function's name (however spelt);
//! 2. none declared: declare `<Fn>LogGroup`, or, when `existingLogGroups`
//!    says the group exists already, name it without declaring it;
//! 3. add `<Fn>LogGroupSubscription`, unless a filter of the template already
//!    sends that group to the same Forwarder.
//!
//! Every filter is added through one [`subscription::Subscriber`], which
//! adds its permission too with `createForwarderPermissions`
//! ([`permission`]). [`other_log_groups`] sends the template's other log
//! groups to the Forwarder: those of API Gateway stages ([`api_gateway`]
//! finds them) and those `subscribeLogGroups` lists.

pub mod api_gateway;
pub mod name_expr;
pub mod other_log_groups;
pub mod permission;
pub mod subscription;

use serde_json::{Value, json};

use super::function::FUNCTION_TYPES;
use crate::StackContext;
use crate::config::Config;
use crate::report::Report;
use crate::template::intrinsics::ref_target;
use crate::template::model::{Entries, PROPERTIES, Template};
use crate::template::resources::{new_resource, sam_function_globals};
use name_expr::NameExpr;
use subscription::{LOG_GROUP_TYPE, LogGroupTarget, LogIndex, Served, Subscriber, Subscription};

/// Subscribes the log group of each instrumented function (`function_ids`)
/// to `forwarderArn`, declaring the log group when the template has none.
/// Does nothing for a function whose configuration (global, or its own
/// `Metadata.Datadog.Parameters`) has no `forwarderArn`.
pub fn subscribe(
    template: &mut Template<'_>,
    function_ids: &[String],
    config: &Config,
    context: &StackContext<'_>,
    report: &mut Report,
) {
    let globals_log_group = sam_function_globals(template)
        .and_then(|f| f.get("LoggingConfig"))
        .and_then(|l| l.get("LogGroup"))
        .cloned();
    let mut subscriber = None;
    for id in function_ids {
        let Some(function) = template.resource(id) else {
            continue;
        };
        let Some(function_type) = function
            .str("Type")
            .filter(|t| FUNCTION_TYPES.contains(t))
            .map(str::to_string)
        else {
            continue;
        };
        let function_config = own_config(config, id, function);
        let Some(destination) = function_config.forwarder_arn.clone() else {
            continue;
        };
        let sam = function_type == "AWS::Serverless::Function";
        let globals = if sam {
            globals_log_group.as_ref()
        } else {
            None
        };
        let facts = FunctionFacts::read(id, function, globals);
        let existing_log_group = function_config.existing_log_groups.contains(id);
        let subscriber =
            subscriber.get_or_insert_with(|| Subscriber::of(template, config, context));
        let served = Served {
            id,
            resource_type: &function_type,
            condition: facts.condition.as_ref(),
            instrumented: true,
        };
        let target = match find_declared_log_group(subscriber.index(), &facts) {
            Some(group) => LogGroupTarget::Declared(group),
            None if existing_log_group => LogGroupTarget::Named(facts.log_group_name()),
            None => LogGroupTarget::Declared(subscriber.declare_group(
                template,
                &format!("{id}LogGroup"),
                facts.new_log_group(),
                served,
                None,
                report,
            )),
        };
        let subscription = Subscription {
            target,
            destination: &destination,
            filter_id: format!("{id}LogGroupSubscription"),
            served,
            source: None,
        };
        subscriber.subscribe(template, subscription, report);
    }
}

/// The configuration of one function: the global one, with its
/// `Metadata.Datadog.Parameters` over it. Problems with those were reported
/// by the function pass already, so they are not reported twice.
fn own_config<'c>(
    config: &'c Config,
    id: &str,
    function: &Entries<'_>,
) -> std::borrow::Cow<'c, Config> {
    config
        .for_resource(id, function.get("Metadata"), &mut Report::default())
        .unwrap_or(std::borrow::Cow::Borrowed(config))
}

/// What the pass needs to know about a function.
struct FunctionFacts {
    /// Its logical id.
    id: String,
    /// `FunctionName`, when given.
    function_name: Option<Value>,
    /// `LoggingConfig.LogGroup` (or, for SAM, from `Globals.Function`).
    custom_log_group: Option<Value>,
    /// Its `Condition`.
    condition: Option<Value>,
}

impl FunctionFacts {
    fn read(id: &str, function: &Entries<'_>, globals_log_group: Option<&Value>) -> FunctionFacts {
        let props = function.mapping(PROPERTIES);
        FunctionFacts {
            id: id.to_string(),
            function_name: props.and_then(|p| p.get("FunctionName")).cloned(),
            custom_log_group: props
                .and_then(|p| p.get("LoggingConfig"))
                .and_then(|l| l.get("LogGroup"))
                .or(globals_log_group)
                .cloned(),
            condition: function.get("Condition").cloned(),
        }
    }

    /// The name of the group the function writes to, as the template can
    /// write it: `LoggingConfig.LogGroup`, or `/aws/lambda/${Fn}` (a `Ref` to
    /// a function is its name, generated or not).
    fn log_group_name(&self) -> Value {
        self.custom_log_group
            .clone()
            .unwrap_or_else(|| json!({"Fn::Sub": format!("/aws/lambda/${{{}}}", self.id)}))
    }

    /// Every spelling of the default log group's name this function may have.
    fn default_names(&self) -> Vec<NameExpr> {
        let mut names = vec![NameExpr::prefixed(
            "/aws/lambda/",
            NameExpr::reference(&self.id),
        )];
        if let Some(name) = self.function_name.as_ref().and_then(NameExpr::of) {
            names.push(NameExpr::prefixed("/aws/lambda/", name));
        }
        names
    }

    /// The log group to declare for the function.
    fn new_log_group(&self) -> Value {
        new_resource(
            LOG_GROUP_TYPE,
            self.condition.as_ref(),
            json!({"LogGroupName": self.log_group_name()}),
        )
    }
}

/// The logical id of the template's log group the function writes to.
fn find_declared_log_group(index: &LogIndex, facts: &FunctionFacts) -> Option<String> {
    if let Some(custom) = &facts.custom_log_group {
        if let Some(target) = ref_target(custom)
            && index.is_group(target)
        {
            return Some(target.to_string());
        }
        let wanted = NameExpr::of(custom)?;
        return index.group_named(&[wanted]).map(str::to_string);
    }
    index
        .group_named(&facts.default_names())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigInputs, MacroEnvironment};
    use subscription::SUBSCRIPTION_FILTER_TYPE;

    fn config(params: Value) -> Config {
        let mut report = Report::default();
        let c = Config::build(
            ConfigInputs {
                params: params.as_object().unwrap(),
                template: &Template::default(),
                environment: &MacroEnvironment::default(),
            },
            &mut report,
        );
        assert!(!report.has_errors(), "{report:?}");
        c
    }

    const FWD: &str = "arn:aws:lambda:us-east-1:123456789012:function:fwd";

    fn run(template: Value, params: Value) -> (Value, Report) {
        let mut t = Template::from_value(template);
        let ids = t.ids_of_types(FUNCTION_TYPES);
        let mut report = Report::default();
        let context = StackContext {
            region: "us-east-1",
            account_id: "123456789012",
            template_parameter_values: &serde_json::Map::new(),
        };
        subscribe(&mut t, &ids, &config(params), &context, &mut report);
        (t.to_value(), report)
    }

    #[test]
    fn declares_a_group_when_none_is_declared_and_is_idempotent() {
        let t = json!({"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {}}}});
        let (out, report) = run(t, json!({"forwarderArn": FWD}));
        let r = &out["Resources"];
        assert_eq!(
            r["FnLogGroup"]["Properties"]["LogGroupName"],
            json!({"Fn::Sub": "/aws/lambda/${Fn}"})
        );
        assert_eq!(
            r["FnLogGroupSubscription"]["DependsOn"],
            json!("FnLogGroup")
        );
        assert_eq!(report.resources.len(), 3);
        let (again, report) = run(out.clone(), json!({"forwarderArn": FWD}));
        assert_eq!(again, out);
        assert!(report.resources.is_empty());
    }

    #[test]
    fn nothing_without_a_forwarder() {
        let t = json!({"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {}}}});
        let (out, _) = run(t.clone(), json!({}));
        assert_eq!(out, t);
    }

    #[test]
    fn per_function_metadata_overrides_apply() {
        let t = json!({"Resources": {
            "A": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "B": {"Type": "AWS::Lambda::Function", "Properties": {},
                  "Metadata": {"Datadog": {"Parameters": {"existingLogGroups": true}}}},
        }});
        let (out, _) = run(t, json!({"forwarderArn": FWD}));
        let r = out["Resources"].as_object().unwrap();
        assert!(r.contains_key("ALogGroup"));
        assert!(!r.contains_key("BLogGroup"));
        assert_eq!(
            r["BLogGroupSubscription"]["Properties"]["LogGroupName"],
            json!({"Fn::Sub": "/aws/lambda/${B}"})
        );
    }

    #[test]
    fn new_ids_never_collide() {
        let t = json!({"Resources": {
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "FnLogGroup": {"Type": "AWS::SNS::Topic"},
        }});
        let (out, _) = run(t, json!({"forwarderArn": FWD}));
        let r = &out["Resources"];
        assert_eq!(r["FnLogGroup"], json!({"Type": "AWS::SNS::Topic"}));
        assert_eq!(r["FnLogGroup2"]["Type"], json!(LOG_GROUP_TYPE));
        assert_eq!(
            r["FnLogGroupSubscription"]["DependsOn"],
            json!("FnLogGroup2")
        );
    }

    #[test]
    fn shared_custom_log_group_gets_one_filter() {
        let t = json!({"Resources": {
            "A": {"Type": "AWS::Lambda::Function", "Properties": {"LoggingConfig": {"LogGroup": "/shared"}}},
            "B": {"Type": "AWS::Lambda::Function", "Properties": {"LoggingConfig": {"LogGroup": "/shared"}}},
        }});
        let (out, _) = run(t, json!({"forwarderArn": FWD}));
        let r = out["Resources"].as_object().unwrap();
        let filters = r
            .values()
            .filter(|v| v["Type"] == SUBSCRIPTION_FILTER_TYPE)
            .count();
        assert_eq!(filters, 1);
        assert_eq!(
            r["ALogGroup"]["Properties"]["LogGroupName"],
            json!("/shared")
        );
    }
}
