//! What the template's API Gateway stages log, and where: the facts the
//! `subscribeToAccessLogs` and `subscribeToExecutionLogs` subscriptions
//! need, read from the stages themselves (not guessed from log group
//! names, as the Serverless plugin does).
//!
//! | declared by | access logs | execution logs (level `INFO` or `ERROR`) |
//! | --- | --- | --- |
//! | `AWS::ApiGateway::Stage` | `AccessLogSetting` | `MethodSettings[].LoggingLevel` |
//! | `AWS::ApiGateway::Deployment` with `StageName` | `StageDescription.AccessLogSetting` | `StageDescription.LoggingLevel`, `.MethodSettings[].LoggingLevel` |
//! | `AWS::ApiGatewayV2::Stage` | `AccessLogSettings` | WebSocket APIs: `DefaultRouteSettings.LoggingLevel`, `RouteSettings.*.LoggingLevel`; HTTP APIs have none |
//! | `AWS::Serverless::Api` | `AccessLogSetting` (or `Globals.Api`) | `MethodSettings` (and `Globals.Api`'s) |
//! | `AWS::Serverless::HttpApi` | `AccessLogSettings` (or `Globals.HttpApi`) | none |
//! | `AWS::Serverless::WebSocketApi` | `AccessLogSettings` (or `Globals.WebSocketApi`) | `DefaultRouteSettings`, `RouteSettings` (or `Globals.WebSocketApi`'s) |
//!
//! SAM copies these settings to the stage it generates, so a template
//! instrumented before SAM's transform and one instrumented after it find
//! the same log groups, with the same names: a SAM API's logical id is that
//! of the API SAM generates.
//!
//! API Gateway names a stage's execution-log group
//! `API-Gateway-Execution-Logs_{api-id}/{stage}` (API Gateway developer
//! guide, "Set up CloudWatch logging for REST APIs"). For WebSocket APIs
//! AWS documents no other name: its troubleshooting guide treats REST and
//! WebSocket execution logs alike, and templates that declare the group of
//! a WebSocket stage use that form.

use serde_json::{Map, Value, json};

use super::name_expr::NameExpr;
use crate::StackContext;
use crate::config::{Config, exclusion_reason};
use crate::lambda::function::resolve_text;
use crate::template::intrinsics::{is_intrinsic, ref_target};
use crate::template::model::{Entries, PROPERTIES, Template};

/// A REST API's stage.
const REST_STAGE: &str = "AWS::ApiGateway::Stage";
/// A REST API's deployment, which may declare a stage.
const REST_DEPLOYMENT: &str = "AWS::ApiGateway::Deployment";
/// An HTTP or WebSocket API's stage.
const V2_STAGE: &str = "AWS::ApiGatewayV2::Stage";
/// An HTTP or WebSocket API.
const V2_API: &str = "AWS::ApiGatewayV2::Api";
/// SAM's REST API.
const SAM_API: &str = "AWS::Serverless::Api";
/// SAM's HTTP API.
const SAM_HTTP_API: &str = "AWS::Serverless::HttpApi";
/// SAM's WebSocket API.
const SAM_WEBSOCKET_API: &str = "AWS::Serverless::WebSocketApi";

/// Every type that declares a stage.
const STAGE_TYPES: &[&str] = &[
    REST_STAGE,
    REST_DEPLOYMENT,
    V2_STAGE,
    SAM_API,
    SAM_HTTP_API,
    SAM_WEBSOCKET_API,
];

/// The stage name SAM gives a WebSocket API without `StageName`.
const SAM_WEBSOCKET_STAGE: &str = "default";

/// A stage of the template, and where its logs go.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// The logical id of the resource that declares it.
    pub id: String,
    /// That resource's type.
    pub resource_type: String,
    /// Its `Condition`.
    pub condition: Option<Value>,
    /// The logical id of its API, when it names one of the template by
    /// `Ref` (a SAM API is its own).
    pub api: Option<String>,
    /// Where it writes access logs (`DestinationArn`), when it does.
    pub access_destination: Option<Value>,
    /// Whether it writes execution logs.
    pub execution: Execution,
}

/// Whether a stage writes execution logs.
#[derive(Debug, Clone, PartialEq)]
pub enum Execution {
    /// It does not (not turned on, or an HTTP API, which has none).
    Off,
    /// It does, to the log group of this name, whose logical id in the
    /// template would be the second value.
    On {
        /// The group's name, as the template can write it.
        name: Value,
        /// The logical id a group declared for it gets.
        group_id: String,
    },
    /// It cannot be told at transform time, and why.
    Unknown(String),
}

/// Which logs [`stages`] looks for.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    /// Access logs.
    pub access: bool,
    /// Execution logs.
    pub execution: bool,
}

/// The stages of the template that write logs wanted, in template order;
/// those excluded (`exclude`, `Metadata.Datadog.Exclude`, on the stage or
/// its API) are left out.
pub fn stages(
    template: &Template<'_>,
    config: &Config,
    context: &StackContext<'_>,
    wanted: Wanted,
) -> Vec<Stage> {
    let globals = |key: &str| {
        template
            .section("Globals")
            .and_then(|g| g.get(key))
            .and_then(Value::as_object)
    };
    let reader = Reader {
        template,
        context,
        wanted,
    };
    let mut found = Vec::new();
    for (id, resource) in template.resources_of_types(STAGE_TYPES) {
        let excluded = |id: &str| {
            let metadata = template.resource(id).and_then(|r| r.get("Metadata"));
            exclusion_reason(id, metadata, config).is_some()
        };
        if excluded(id) {
            continue;
        }
        let resource_type = resource.str("Type").unwrap_or_default();
        let empty = Entries::default();
        let props = resource.mapping(PROPERTIES).unwrap_or(&empty);
        let stage = match resource_type {
            REST_STAGE => reader.rest_stage(props),
            REST_DEPLOYMENT => reader.rest_deployment(props),
            V2_STAGE => reader.v2_stage(props),
            SAM_API => reader.sam_api(resource_type, id, props, globals("Api")),
            SAM_HTTP_API => reader.sam_api(resource_type, id, props, globals("HttpApi")),
            _ => reader.sam_api(resource_type, id, props, globals("WebSocketApi")),
        };
        let Some(read) = stage else {
            continue;
        };
        let api = ref_target(&read.api_id).map(str::to_string);
        if api.as_deref().is_some_and(excluded) {
            continue;
        }
        let execution = match read.execution {
            Level::On => reader.execution_group(id, api.as_deref(), &read.api_id, &read.stage_name),
            Level::Off => Execution::Off,
            Level::Unknown(why) => Execution::Unknown(why),
        };
        if read.access.is_none() && execution == Execution::Off {
            continue;
        }
        found.push(Stage {
            id: id.to_string(),
            resource_type: resource_type.to_string(),
            condition: resource.get("Condition").cloned(),
            api,
            access_destination: read.access,
            execution,
        });
    }
    found
}

/// What one resource says of its stage.
struct Read {
    /// The API's id, as the template writes it (a SAM API: `Ref` to
    /// itself).
    api_id: Value,
    /// The stage's name, as the template writes it.
    stage_name: Value,
    /// The access-log destination.
    access: Option<Value>,
    /// Whether it writes execution logs.
    execution: Level,
}

/// A logging level, as far as it can be told.
#[derive(Debug, Clone, PartialEq)]
enum Level {
    /// `INFO` or `ERROR`.
    On,
    /// `OFF`, or none.
    Off,
    /// An intrinsic that does not resolve now, and why.
    Unknown(String),
}

impl Level {
    /// The level of one `LoggingLevel` value.
    fn of(value: &Value, reader: &Reader<'_, '_>) -> Level {
        match resolve_text(value, reader.template, reader.context) {
            Some(level)
                if level.eq_ignore_ascii_case("INFO") || level.eq_ignore_ascii_case("ERROR") =>
            {
                Level::On
            }
            Some(_) => Level::Off,
            None => Level::Unknown(format!(
                "its LoggingLevel {} cannot be read at transform time",
                crate::report_text::show(value)
            )),
        }
    }

    /// On when any is on, else unknown when any is, else off.
    fn any(levels: impl IntoIterator<Item = Level>) -> Level {
        let mut result = Level::Off;
        for level in levels {
            match level {
                Level::On => return Level::On,
                Level::Unknown(why) => result = Level::Unknown(why),
                Level::Off => {}
            }
        }
        result
    }
}

/// Reads stages: the template (to tell WebSocket from HTTP APIs, and
/// resolve parameters) and what is wanted.
struct Reader<'r, 't> {
    template: &'r Template<'t>,
    context: &'r StackContext<'r>,
    wanted: Wanted,
}

impl Reader<'_, '_> {
    /// `AccessLogSetting(s).DestinationArn` of `settings`, when wanted.
    fn access(&self, settings: Option<&Value>) -> Option<Value> {
        if !self.wanted.access {
            return None;
        }
        settings?.get("DestinationArn").cloned()
    }

    /// The level of `MethodSettings` (a list of settings, each with its
    /// `LoggingLevel`), when wanted.
    fn method_settings<'v>(&self, lists: impl IntoIterator<Item = Option<&'v Value>>) -> Level {
        if !self.wanted.execution {
            return Level::Off;
        }
        Level::any(lists.into_iter().flatten().map(|list| match list {
            Value::Array(items) => {
                Level::any(items.iter().map(|item| match item.get("LoggingLevel") {
                    Some(level) => Level::of(level, self),
                    None if item.is_object() && !is_intrinsic(item) => Level::Off,
                    None => Level::Unknown("its MethodSettings hold an intrinsic function".into()),
                }))
            }
            _ => Level::Unknown("its MethodSettings are an intrinsic function".into()),
        }))
    }

    /// The level of WebSocket route settings (`DefaultRouteSettings`, and
    /// `RouteSettings`, a mapping of routes to settings), when wanted.
    fn route_settings<'v>(
        &self,
        defaults: impl IntoIterator<Item = Option<&'v Value>>,
        routes: impl IntoIterator<Item = Option<&'v Value>>,
    ) -> Level {
        if !self.wanted.execution {
            return Level::Off;
        }
        let level_of = |settings: &Value| match settings.get("LoggingLevel") {
            Some(level) => Level::of(level, self),
            None if is_intrinsic(settings) => {
                Level::Unknown("its route settings hold an intrinsic function".into())
            }
            None => Level::Off,
        };
        let defaults = defaults.into_iter().flatten().map(level_of);
        let routes = routes
            .into_iter()
            .flatten()
            .flat_map(|routes| match routes {
                Value::Object(routes) => routes.values().map(level_of).collect::<Vec<_>>(),
                _ => vec![Level::Unknown(
                    "its RouteSettings are an intrinsic function".into(),
                )],
            });
        Level::any(defaults.chain(routes))
    }

    fn rest_stage(&self, props: &Entries<'_>) -> Option<Read> {
        Some(Read {
            api_id: props.get("RestApiId")?.clone(),
            stage_name: props.get("StageName")?.clone(),
            access: self.access(props.get("AccessLogSetting")),
            execution: self.method_settings([props.get("MethodSettings")]),
        })
    }

    fn rest_deployment(&self, props: &Entries<'_>) -> Option<Read> {
        let description = props.get("StageDescription")?;
        let level = match description.get("LoggingLevel") {
            Some(level) if self.wanted.execution => Level::of(level, self),
            _ => Level::Off,
        };
        Some(Read {
            api_id: props.get("RestApiId")?.clone(),
            stage_name: props.get("StageName")?.clone(),
            access: self.access(description.get("AccessLogSetting")),
            execution: Level::any([
                level,
                self.method_settings([description.get("MethodSettings")]),
            ]),
        })
    }

    fn v2_stage(&self, props: &Entries<'_>) -> Option<Read> {
        let api = props.get("ApiId").and_then(ref_target);
        let execution = match self.is_websocket(api) {
            Some(false) => Level::Off,
            websocket => match self.route_settings(
                [props.get("DefaultRouteSettings")],
                [props.get("RouteSettings")],
            ) {
                Level::On if websocket.is_none() => Level::Unknown(
                    "its ApiId does not name an AWS::ApiGatewayV2::Api of this template, so whether it is a WebSocket API (with execution logs) or an HTTP API (without) cannot be told".into(),
                ),
                level => level,
            },
        };
        Some(Read {
            api_id: props.get("ApiId")?.clone(),
            stage_name: props.get("StageName")?.clone(),
            access: self.access(props.get("AccessLogSettings")),
            execution,
        })
    }

    /// A SAM API (`resource_type`), whose settings `Globals` complete: the
    /// API SAM generates keeps its logical id; an HTTP API writes access
    /// logs only, a REST or WebSocket one execution logs too.
    fn sam_api(
        &self,
        resource_type: &str,
        id: &str,
        props: &Entries<'_>,
        globals: Option<&Map<String, Value>>,
    ) -> Option<Read> {
        let setting = |key: &str| props.get(key).or_else(|| globals?.get(key));
        let both = |key: &str| [props.get(key), globals.and_then(|g| g.get(key))];
        let (stage_name, access, execution) = match resource_type {
            SAM_API => (
                props.get("StageName")?.clone(),
                setting("AccessLogSetting"),
                self.method_settings(both("MethodSettings")),
            ),
            SAM_HTTP_API => (Value::Null, setting("AccessLogSettings"), Level::Off),
            _ => (
                props
                    .get("StageName")
                    .cloned()
                    .unwrap_or_else(|| json!(SAM_WEBSOCKET_STAGE)),
                setting("AccessLogSettings"),
                self.route_settings(both("DefaultRouteSettings"), both("RouteSettings")),
            ),
        };
        Some(Read {
            api_id: json!({"Ref": id}),
            stage_name,
            access: self.access(access),
            execution,
        })
    }

    /// Whether the API `api` is a WebSocket API (`ProtocolType:
    /// WEBSOCKET`), an HTTP one (`HTTP`, or imported from an OpenAPI
    /// `Body`, which only HTTP APIs can be); `None` when it cannot be told.
    fn is_websocket(&self, api: Option<&str>) -> Option<bool> {
        let api = self.template.resource(api?)?;
        if api.str("Type") != Some(V2_API) {
            return None;
        }
        let props = api.mapping(PROPERTIES)?;
        match props.get("ProtocolType") {
            Some(protocol) => {
                let protocol = resolve_text(protocol, self.template, self.context)?;
                Some(protocol.eq_ignore_ascii_case("WEBSOCKET"))
            }
            None if props.contains_key("Body") || props.contains_key("BodyS3Location") => {
                Some(false)
            }
            None => None,
        }
    }

    /// The execution-log group of a stage (declared by `id`, of API
    /// `api`): its name, and the logical id a group declared for it gets.
    fn execution_group(
        &self,
        id: &str,
        api: Option<&str>,
        api_id: &Value,
        stage_name: &Value,
    ) -> Execution {
        let joined =
            json!({"Fn::Join": ["", ["API-Gateway-Execution-Logs_", api_id, "/", stage_name]]});
        let name = NameExpr::of(&joined)
            .map(|n| n.to_value())
            .unwrap_or(joined);
        let stage_part = match stage_name {
            Value::String(name) => name.chars().filter(char::is_ascii_alphanumeric).collect(),
            other => ref_target(other).unwrap_or_default().to_string(),
        };
        Execution::On {
            name,
            group_id: format!("{}{stage_part}ExecutionLogGroup", api.unwrap_or(id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigInputs, MacroEnvironment};
    use crate::report::Report;

    const BOTH: Wanted = Wanted {
        access: true,
        execution: true,
    };

    fn found(template: Value, wanted: Wanted) -> Vec<Stage> {
        let template = Template::from_value(template);
        let mut report = Report::default();
        let params = json!({"exclude": ["Excluded"]});
        let config = Config::build(
            ConfigInputs {
                params: params.as_object().unwrap(),
                template: &template,
                environment: &MacroEnvironment::default(),
            },
            &mut report,
        );
        let values = json!({"Level": "ERROR"});
        let context = StackContext {
            region: "us-east-1",
            account_id: "123456789012",
            template_parameter_values: values.as_object().unwrap(),
        };
        stages(&template, &config, &context, wanted)
    }

    fn execution(name: Value, group_id: &str) -> Execution {
        Execution::On {
            name,
            group_id: group_id.into(),
        }
    }

    #[test]
    fn rest_stages_and_deployments() {
        let t = json!({"Resources": {
            "Api": {"Type": "AWS::ApiGateway::RestApi"},
            "Prod": {"Type": REST_STAGE, "Condition": "IsProd", "Properties": {
                "RestApiId": {"Ref": "Api"}, "StageName": "prod-1",
                "AccessLogSetting": {"DestinationArn": {"Fn::GetAtt": ["G", "Arn"]}},
                "MethodSettings": [{"LoggingLevel": "Info", "HttpMethod": "*", "ResourcePath": "/*"}]}},
            "Quiet": {"Type": REST_STAGE, "Properties": {"RestApiId": {"Ref": "Api"}, "StageName": "q",
                "MethodSettings": [{"LoggingLevel": "OFF"}]}},
            "Deployment": {"Type": REST_DEPLOYMENT, "Properties": {"RestApiId": "abc123",
                "StageName": {"Ref": "StageParam"}, "StageDescription": {"LoggingLevel": {"Ref": "Level"}}}},
            "SamDeployment": {"Type": REST_DEPLOYMENT, "Properties": {"RestApiId": {"Ref": "Api"}, "StageName": "Stage"}},
        }});
        let stages = found(t, BOTH);
        assert_eq!(stages.len(), 2, "{stages:#?}");
        assert_eq!(stages[0].id, "Prod");
        assert_eq!(stages[0].condition, Some(json!("IsProd")));
        assert_eq!(stages[0].api.as_deref(), Some("Api"));
        assert_eq!(
            stages[0].access_destination,
            Some(json!({"Fn::GetAtt": ["G", "Arn"]}))
        );
        assert_eq!(
            stages[0].execution,
            execution(
                json!({"Fn::Sub": "API-Gateway-Execution-Logs_${Api}/prod-1"}),
                "Apiprod1ExecutionLogGroup"
            )
        );
        assert_eq!(
            stages[1].execution,
            execution(
                json!({"Fn::Sub": "API-Gateway-Execution-Logs_abc123/${StageParam}"}),
                "DeploymentStageParamExecutionLogGroup"
            )
        );
        let access_only = found(
            json!({"Resources": {"S": {"Type": REST_STAGE, "Properties": {"RestApiId": "a", "StageName": "s",
                "MethodSettings": [{"LoggingLevel": "INFO"}]}}}}),
            Wanted {
                access: true,
                execution: false,
            },
        );
        assert!(access_only.is_empty());
    }

    #[test]
    fn http_apis_have_no_execution_logs_and_websocket_ones_do() {
        let t = json!({"Resources": {
            "Ws": {"Type": V2_API, "Properties": {"ProtocolType": "WEBSOCKET"}},
            "Http": {"Type": V2_API, "Properties": {"Body": {}}},
            "WsStage": {"Type": V2_STAGE, "Properties": {"ApiId": {"Ref": "Ws"}, "StageName": "live",
                "RouteSettings": {"$connect": {"LoggingLevel": "ERROR"}}}},
            "HttpStage": {"Type": V2_STAGE, "Properties": {"ApiId": {"Ref": "Http"}, "StageName": "$default",
                "RouteSettings": {"$default": {"LoggingLevel": "INFO"}}}},
            "Unknown": {"Type": V2_STAGE, "Properties": {"ApiId": {"Fn::ImportValue": "api"}, "StageName": "s",
                "DefaultRouteSettings": {"LoggingLevel": "INFO"}}},
        }});
        let stages = found(t, BOTH);
        assert_eq!(stages.len(), 2, "{stages:#?}");
        assert_eq!(
            stages[0].execution,
            execution(
                json!({"Fn::Sub": "API-Gateway-Execution-Logs_${Ws}/live"}),
                "WsliveExecutionLogGroup"
            )
        );
        assert!(
            matches!(&stages[1].execution, Execution::Unknown(why) if why.contains("WebSocket"))
        );
    }

    #[test]
    fn sam_apis_read_their_globals() {
        let t = json!({
        "Globals": {"Api": {"MethodSettings": [{"LoggingLevel": "INFO"}]},
                    "HttpApi": {"AccessLogSettings": {"DestinationArn": "arn:aws:logs:us-east-1:123456789012:log-group:h"}},
                    "WebSocketApi": {"DefaultRouteSettings": {"LoggingLevel": "ERROR"}}},
        "Resources": {
            "Rest": {"Type": SAM_API, "Properties": {"StageName": "Prod"}},
            "Http": {"Type": SAM_HTTP_API},
            "Ws": {"Type": SAM_WEBSOCKET_API, "Properties": {}},
            "Excluded": {"Type": SAM_API, "Properties": {"StageName": "Prod"}},
            "ExcludedApiStage": {"Type": REST_STAGE, "Properties": {"RestApiId": {"Ref": "Excluded"}, "StageName": "x",
                "MethodSettings": [{"LoggingLevel": "INFO"}]}},
            "Marked": {"Type": SAM_API, "Metadata": {"Datadog": {"Exclude": true}}, "Properties": {"StageName": "Prod"}},
        }});
        let stages = found(t, BOTH);
        let ids: Vec<&str> = stages.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["Rest", "Http", "Ws"]);
        assert_eq!(
            stages[0].execution,
            execution(
                json!({"Fn::Sub": "API-Gateway-Execution-Logs_${Rest}/Prod"}),
                "RestProdExecutionLogGroup"
            )
        );
        assert_eq!(stages[1].execution, Execution::Off);
        assert_eq!(
            stages[1].access_destination,
            Some(json!("arn:aws:logs:us-east-1:123456789012:log-group:h"))
        );
        assert_eq!(
            stages[2].execution,
            execution(
                json!({"Fn::Sub": "API-Gateway-Execution-Logs_${Ws}/default"}),
                "WsdefaultExecutionLogGroup"
            )
        );
    }

    #[test]
    fn levels_that_cannot_be_read_say_so() {
        let t = json!({"Resources": {
            "A": {"Type": REST_STAGE, "Properties": {"RestApiId": "a", "StageName": "s",
                "MethodSettings": [{"LoggingLevel": {"Ref": "Unset"}}]}},
            "B": {"Type": REST_STAGE, "Properties": {"RestApiId": "a", "StageName": "t",
                "MethodSettings": {"Fn::If": ["C", [], []]}}},
            "C": {"Type": REST_STAGE, "Properties": {"RestApiId": "a", "StageName": "u",
                "MethodSettings": [{"LoggingLevel": {"Ref": "Unset"}}, {"LoggingLevel": "ERROR"}]}},
        }});
        let stages = found(t, BOTH);
        assert!(
            matches!(&stages[0].execution, Execution::Unknown(why) if why.contains("{\"Ref\":\"Unset\"}"))
        );
        assert!(
            matches!(&stages[1].execution, Execution::Unknown(why) if why.contains("intrinsic"))
        );
        assert_eq!(
            stages[2].execution,
            execution(
                json!("API-Gateway-Execution-Logs_a/u"),
                "CuExecutionLogGroup"
            )
        );
    }
}
