//! The transform's parameters: where they come from, their types, their
//! defaults, and the validation rules that involve only parameters (SPEC §2,
//! §11, §12).
//!
//! Each parameter is declared once, in the table of `params.rs` (how to add
//! one: CONTRIBUTING.md); its [`Config`] field and [`Param`] key, its merge
//! with provenance (`sources.rs`), its checks (`validate.rs`), the `DD_*`
//! variable it is copied to (`lambda::env`) and its row in the README
//! (`docs.rs`) all follow from that declaration. Everything is read once, up
//! front, into a typed [`Config`]; no pass reads the environment.

mod declare;
mod docs;
mod params;
mod region;
mod resource;
mod sources;
mod spec;
mod suggest;
mod validate;
mod values;

use serde_json::{Map, Value};

use crate::template::model::Template;

pub use docs::parameters_markdown;
pub use params::{API_KEY_PARAMS, Config, PARAMS, Param};
pub use region::{check_region, unlisted_region};
pub use resource::exclusion_reason;
pub use sources::{MacroEnvironment, Source};
pub use spec::{Kind, ParamSpec};
pub use suggest::closest;
pub use values::{AppSecMode, ImageRuntime};

/// The inputs a [`Config`] is built from.
#[derive(Debug, Clone, Copy)]
pub struct ConfigInputs<'a> {
    /// The transform's `params`.
    pub params: &'a Map<String, Value>,
    /// The template (for `Mappings.Datadog.Parameters`, and the resources
    /// `exclude` may name).
    pub template: &'a Template<'a>,
    /// The macro Lambda's environment.
    pub environment: &'a MacroEnvironment,
}

/// What a message about a resource's own parameters starts with.
fn prefix(resource: Option<&str>) -> String {
    resource
        .map(|r| format!("Resource {r} (Metadata.Datadog.Parameters): "))
        .unwrap_or_default()
}

impl Config {
    /// Whether a parameter was given (by params, Mappings, environment or
    /// metadata), as opposed to coming from its default or being absent.
    pub fn is_given(&self, param: Param) -> bool {
        matches!(self.source(param), Some(s) if *s != Source::Default)
    }

    /// Whether a parameter's value is a resource's own (its
    /// `Metadata.Datadog.Parameters`), not the template's.
    pub fn is_own(&self, param: Param) -> bool {
        matches!(self.source(param), Some(Source::Metadata(_)))
    }

    /// Whether the Datadog Extension is added: `addExtension`, or an
    /// extension layer version or ARN given.
    pub fn extension_enabled(&self) -> bool {
        self.add_extension
            || self.extension_layer_version.is_some()
            || self.extension_layer_arn.is_some()
    }

    /// Whether any API key parameter is set.
    pub fn has_api_key(&self) -> bool {
        API_KEY_PARAMS.iter().any(|p| self.source(*p).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::values::ExistingLogGroups;
    use super::*;
    use crate::report::Report;
    use serde_json::json;

    fn build(params: Value, fragment: Value, env: &[(&str, &str)]) -> (Config, Report) {
        let mut report = Report::default();
        let environment = MacroEnvironment::from_pairs(env.iter().copied());
        let config = Config::build(
            ConfigInputs {
                params: params.as_object().unwrap(),
                template: &Template::from_value(fragment),
                environment: &environment,
            },
            &mut report,
        );
        (config, report)
    }

    fn errors(report: &Report) -> Vec<String> {
        report.errors().map(|d| d.message.clone()).collect()
    }

    /// A value of each kind that every check accepts.
    fn sample(param: Param) -> Value {
        match (param, param.spec().kind) {
            (Param::site, _) => json!("datadoghq.eu"),
            (Param::use_layers_from_account, _) => json!("123456789012"),
            (Param::image_runtime, _) => json!("python"),
            (_, Kind::OneOf(words)) => json!(words[words.len() - 1]),
            (_, Kind::Bool) => json!(true),
            (_, Kind::Int) => json!(7),
            (_, Kind::Text) => json!("text"),
            (_, Kind::Arn) => json!("arn:aws:sns:us-east-1:123456789012:topic"),
            (_, Kind::IdList | Kind::BoolOrIdList) => json!(["Fn"]),
        }
    }

    #[test]
    fn every_parameter_given_reaches_its_field_with_its_source() {
        for &param in Param::ALL {
            let name = param.name();
            let mut given = Map::new();
            given.insert(name.to_string(), sample(param));
            let (c, _) = build(Value::Object(given), json!({}), &[]);
            assert!(c.value(param).is_some(), "{name} did not reach its field");
            assert_eq!(c.source(param), Some(&Source::Params), "{name}");
            let text = match sample(param) {
                Value::String(text) => text,
                other => other.to_string(),
            };
            let env_default = param
                .spec()
                .macro_env
                .map(|var| build(json!({}), json!({}), &[(var, &text)]).0);
            if let Some(c) = env_default {
                assert!(c.is_given(param), "{name} from the macro environment");
            }
        }
    }

    #[test]
    fn defaults_apply() {
        let (c, r) = build(json!({}), json!({}), &[]);
        assert!(errors(&r).is_empty());
        assert!(c.add_layers && !c.add_extension && c.flush_metrics_to_logs && c.enable_dd_tracing);
        assert_eq!(c.site, "datadoghq.com");
        assert_eq!(c.source(Param::site), Some(&Source::Default));
        assert!(!c.is_given(Param::site));
    }

    #[test]
    fn merges_key_by_key_in_priority_order() {
        let fragment = json!({"Mappings": {"Datadog": {"Parameters": {"site": "datadoghq.eu", "env": "prod", "service": "m"}}}});
        let (c, r) = build(
            json!({"service": "p"}),
            fragment,
            &[
                ("DD_ENV", "staging"),
                ("DD_VERSION", "1.2"),
                ("HOME", "/root"),
            ],
        );
        assert!(errors(&r).is_empty(), "{:?}", errors(&r));
        assert_eq!(c.service, Some(json!("p")));
        assert_eq!(c.env, Some(json!("prod")));
        assert_eq!(c.site, "datadoghq.eu");
        assert_eq!(c.version, Some(json!("1.2")));
        assert_eq!(
            c.source(Param::version),
            Some(&Source::MacroEnvironment("DD_VERSION"))
        );
        assert_eq!(c.source(Param::env), Some(&Source::Mappings));
    }

    #[test]
    fn strings_and_native_values_are_both_accepted() {
        let (c, r) = build(
            json!({"addLayers": "false", "pythonLayerVersion": "120", "nodeLayerVersion": 99, "minColdStartTraceDuration": 3}),
            json!({}),
            &[],
        );
        assert!(errors(&r).is_empty());
        assert!(!c.add_layers);
        assert_eq!(c.python_layer_version, Some(120));
        assert_eq!(c.node_layer_version, Some(99));
        assert_eq!(c.min_cold_start_trace_duration, Some(json!("3")));
    }

    #[test]
    fn macro_environment_booleans_are_the_text_true() {
        let (c, _) = build(
            json!({}),
            json!({}),
            &[("DD_FLUSH_TO_LOG", "yes"), ("DD_TRACE_ENABLED", "TRUE")],
        );
        assert!(!c.flush_metrics_to_logs);
        assert!(c.enable_dd_tracing);
    }

    #[test]
    fn a_template_api_key_replaces_the_site_wide_one() {
        let (c, r) = build(
            json!({"apiKMSKey": "AQICAH"}),
            json!({}),
            &[("DD_API_KEY", "site-wide")],
        );
        assert!(errors(&r).is_empty(), "{:?}", errors(&r));
        assert_eq!(c.api_kms_key, Some(json!("AQICAH")));
        assert_eq!(c.api_key, None);
        let (_, r) = build(
            json!({"apiKMSKey": "AQICAH", "apiKey": "k"}),
            json!({}),
            &[],
        );
        assert_eq!(
            errors(&r).len(),
            1,
            "two keys from one source still conflict"
        );
    }

    #[test]
    fn alias_is_accepted() {
        let (c, r) = build(json!({"coldStartTraceMinDuration": "5"}), json!({}), &[]);
        assert!(errors(&r).is_empty());
        assert_eq!(c.min_cold_start_trace_duration, Some(json!("5")));
    }

    #[test]
    fn validation_messages() {
        let cases: &[(Value, &str)] = &[
            (
                json!({"pythonLayerVerison": 1}),
                "unknown parameter `pythonLayerVerison`; did you mean `pythonLayerVersion`?",
            ),
            (
                json!({"apiKey": "k", "apiKeySecretArn": "arn:aws:secretsmanager:us-east-1:1:secret:x"}),
                "`apiKey` and `apiKeySecretArn` should not be set at the same time",
            ),
            (
                json!({"apiKey": "k", "apiKMSKey": "x", "apiKeySsmArn": "arn:aws:ssm:us-east-1:1:parameter/x"}),
                "`apiKey`, `apiKMSKey` and `apiKeySsmArn` should not be set at the same time",
            ),
            (
                json!({"site": "datadog.com"}),
                "parameter `site` is \"datadog.com\", which is not a Datadog site",
            ),
            (
                json!({"extensionLayerVersion": 10, "forwarderArn": "arn:aws:lambda:us-east-1:1:function:f", "apiKey": "k"}),
                "`extensionLayerVersion` and `forwarderArn` cannot be set at the same time",
            ),
            (
                json!({"extensionLayerVersion": 10}),
                "the Datadog Extension needs an API key",
            ),
            (
                json!({"addExtension": true, "apiKey": "k", "useLayersFromAccount": "123456789012"}),
                "`addExtension` is true but no `extensionLayerVersion` was given",
            ),
            (
                json!({"llmObsEnabled": true}),
                "`llmObsEnabled` is true but `llmObsMlApp` is not set",
            ),
            (
                json!({"llmObsMlApp": "bad app!"}),
                "parameter `llmObsMlApp` must be 1 to 193 characters",
            ),
            (
                json!({"addLayers": "maybe"}),
                "parameter `addLayers` must be a boolean (true or false), not the string \"maybe\"",
            ),
            (
                json!({"pythonLayerVersion": "v1"}),
                "parameter `pythonLayerVersion` must be a whole number",
            ),
            (
                json!({"forwarderArn": "my-forwarder"}),
                "parameter `forwarderArn` must be an ARN",
            ),
            (
                json!({"exclude": 3}),
                "parameter `exclude` must be a list of logical ids",
            ),
            (
                json!({"exclude": "[\"A\", B]"}),
                "parameter `exclude` must be a list of logical ids: the string \"[\"A\", B]\" starts like a JSON list but is not one",
            ),
            (
                json!({"pythonLayerVersion": 1, "pythonLayerArn": "arn:aws:lambda:us-east-1:1:layer:x:1"}),
                "both `pythonLayerVersion` and `pythonLayerArn` are set",
            ),
            (
                json!({"useLayersFromAccount": "12"}),
                "parameter `useLayersFromAccount` must be a 12-digit AWS account id",
            ),
            (
                json!({"imageRuntime": "go"}),
                "parameter `imageRuntime` must be `python` or `node`",
            ),
        ];
        for (params, expected) in cases {
            let (_, r) = build(params.clone(), json!({}), &[]);
            let errs = errors(&r);
            assert!(
                errs.iter().any(|e| e.contains(expected)),
                "{params}: expected {expected:?} in {errs:?}"
            );
        }
    }

    #[test]
    fn an_intrinsic_where_a_literal_is_needed_is_an_error_naming_the_parameter() {
        let literal: Vec<&str> = PARAMS
            .iter()
            .filter(|s| s.literal)
            .map(|s| s.name)
            .collect();
        assert_eq!(
            literal,
            ["useLayersFromAccount", "site", "gitData", "imageRuntime"]
        );
        for name in literal {
            for intrinsic in [json!({"Ref": "P"}), json!({"Fn::Sub": "${P}"})] {
                let function = intrinsic
                    .as_object()
                    .unwrap()
                    .keys()
                    .next()
                    .unwrap()
                    .clone();
                let given = json!({ name: intrinsic });
                let expected = format!(
                    "parameter `{name}` must be a literal value, known when the transform runs, not the intrinsic function {function}"
                );
                let (_, r) = build(given.clone(), json!({}), &[]);
                let errs = errors(&r);
                assert!(
                    errs.len() == 1 && errs[0].starts_with(&expected),
                    "{given}: {errs:?}"
                );
                let mappings = json!({"Mappings": {"Datadog": {"Parameters": given}}});
                let (_, r) = build(json!({}), mappings, &[]);
                assert_eq!(errors(&r), errs, "{name} in Mappings");
                let (c, mut r) = build(json!({}), json!({}), &[]);
                c.with_overrides("Fn", given.as_object().unwrap(), &mut r);
                let own = format!("Resource Fn (Metadata.Datadog.Parameters): {}", errs[0]);
                assert_eq!(errors(&r), [own], "{name} in Metadata");
            }
        }
    }

    #[test]
    fn intrinsic_tags_warn_once_where_they_would_become_resource_tags() {
        let tags = json!({"Fn::Sub": "team:${Team}"});
        let (_, r) = build(json!({"tags": tags}), json!({}), &[]);
        assert_eq!(r.warnings().count(), 0, "only DD_TAGS: nothing lost");
        for forwarder in ["forwarderArn", "stepFunctionForwarderArn"] {
            let params = json!({"tags": tags, forwarder: "arn:aws:lambda:us-east-1:1:function:f"});
            let (_, r) = build(params, json!({}), &[]);
            let warnings: Vec<&str> = r.warnings().map(|w| w.message.as_str()).collect();
            assert_eq!(warnings.len(), 1, "{warnings:?}");
            assert!(
                warnings[0].starts_with("the `tags` parameter is the intrinsic function Fn::Sub"),
                "{warnings:?}"
            );
        }
    }

    #[test]
    fn one_bad_value_gives_one_message() {
        let cases = [
            // Not an ARN: not also "the Extension needs an API key".
            json!({"apiKeySecretArn": "some-resource:from:aws:secrets-manager:arn", "extensionLayerVersion": 10}),
            json!({"apiKeySsmArn": 3, "addExtension": true}),
            // Not a version: not also "no extensionLayerVersion was given".
            json!({"addExtension": true, "useLayersFromAccount": "123456789012", "apiKeySecretArn": "arn:aws:secretsmanager:us-east-1:1:secret:k", "extensionLayerVersion": "abc"}),
            json!({"addExtension": true, "useLayersFromAccount": "123456789012", "apiKeySecretArn": "arn:aws:secretsmanager:us-east-1:1:secret:k", "extensionLayerArn": "layer"}),
            // Not text: not also "llmObsMlApp is not set".
            json!({"llmObsEnabled": true, "llmObsMlApp": ["app"]}),
            // Not a site: not also "FIPS endpoints exist only for ddog-gov.com".
            json!({"lambdaFips": true, "site": "nope"}),
        ];
        for params in cases {
            let (_, r) = build(params.clone(), json!({}), &[]);
            let all: Vec<&str> = r.diagnostics.iter().map(|d| d.message.as_str()).collect();
            assert_eq!(all.len(), 1, "{params}: {all:?}");
            assert!(r.has_errors(), "{params}");
        }
    }

    #[test]
    fn a_resource_s_own_parameters_repeat_no_message_of_the_template() {
        let (c, mut r) = build(json!({"lambdaFips": true, "apiKey": "k"}), json!({}), &[]);
        let template_wide: Vec<String> = r.warnings().map(|w| w.message.clone()).collect();
        assert_eq!(template_wide.len(), 2, "{template_wide:?}");
        for id in ["A", "B"] {
            c.with_overrides(id, json!({"service": id}).as_object().unwrap(), &mut r);
        }
        let after: Vec<String> = r.warnings().map(|w| w.message.clone()).collect();
        assert_eq!(after, template_wide, "said once, for the template");
        // A function whose own parameters change what a rule says gets it.
        c.with_overrides(
            "C",
            json!({"site": "datadoghq.eu"}).as_object().unwrap(),
            &mut r,
        );
        let own: Vec<&str> = r.warnings().skip(2).map(|w| w.message.as_str()).collect();
        assert_eq!(
            own,
            [
                "Resource C (Metadata.Datadog.Parameters): `lambdaFips` is true but the site is datadoghq.eu; FIPS endpoints exist only for ddog-gov.com."
            ]
        );
    }

    #[test]
    fn all_problems_are_reported_together() {
        let (_, r) = build(
            json!({"site": "x", "addLayers": 3, "nope": 1}),
            json!({}),
            &[],
        );
        assert_eq!(errors(&r).len(), 3);
    }

    #[test]
    fn fips_with_commercial_site_is_a_warning() {
        let (_, r) = build(json!({"lambdaFips": true}), json!({}), &[]);
        assert!(errors(&r).is_empty());
        assert!(r.warnings().any(|w| w.message.contains("lambdaFips")));
    }

    #[test]
    fn overrides_name_the_resource() {
        let (c, mut r) = build(json!({"service": "a"}), json!({}), &[]);
        let o = c.with_overrides(
            "Fn",
            json!({"service": "b", "sevice": 1}).as_object().unwrap(),
            &mut r,
        );
        assert_eq!(o.service, Some(json!("b")));
        assert_eq!(
            o.source(Param::service),
            Some(&Source::Metadata("Fn".into()))
        );
        let errs = errors(&r);
        assert!(errs[0].starts_with("Resource Fn (Metadata.Datadog.Parameters): unknown parameter `sevice`; did you mean `service`?"), "{errs:?}");
    }

    #[test]
    fn a_copy_is_equal_and_an_override_is_not() {
        let (c, mut r) = build(json!({"service": "a"}), json!({}), &[]);
        assert_eq!(c.clone(), c);
        let o = c.with_overrides("Fn", json!({"service": "b"}).as_object().unwrap(), &mut r);
        assert_ne!(o, c);
    }

    #[test]
    fn a_list_given_as_a_json_string_is_that_list_from_every_source() {
        let list = json!(r#"["A", "B"]"#);
        let (c, r) = build(json!({"exclude": list}), json!({}), &[]);
        assert_eq!(c.exclude, ["A", "B"], "{r:?}");
        let mappings = json!({"Mappings": {"Datadog": {"Parameters": {"exclude": list}}}});
        let (c, _) = build(json!({}), mappings, &[]);
        assert_eq!(c.exclude, ["A", "B"]);
        let (c, mut r) = build(json!({}), json!({}), &[]);
        let own = json!({"existingLogGroups": list});
        let o = c.with_overrides("Fn", own.as_object().unwrap(), &mut r);
        assert_eq!(
            o.existing_log_groups,
            ExistingLogGroups::Only(vec!["A".into(), "B".into()])
        );
        assert!(errors(&r).is_empty(), "{:?}", errors(&r));
    }

    #[test]
    fn an_excluded_id_that_is_no_resource_is_a_warning_naming_the_closest() {
        let fragment = json!({"Resources": {
            "AddBookFunction": {"Type": "AWS::Serverless::Function"},
            "Table": {"Type": "AWS::DynamoDB::Table"}}});
        let (_, r) = build(
            json!({"exclude": ["AddBookFuncton", "table", "Table", "Nothing"]}),
            fragment,
            &[],
        );
        let warnings: Vec<&str> = r.warnings().map(|w| w.message.as_str()).collect();
        assert_eq!(
            warnings,
            [
                "parameter `exclude` lists `AddBookFuncton`, which is not a resource of the template, so it leaves nothing alone; did you mean `AddBookFunction`?",
                "parameter `exclude` lists `table`, which is not a resource of the template, so it leaves nothing alone; did you mean `Table`?",
                "parameter `exclude` lists `Nothing`, which is not a resource of the template, so it leaves nothing alone; remove it or correct it.",
            ]
        );
        assert!(errors(&r).is_empty());
    }

    #[test]
    fn log_group_parameters() {
        let fwd = "arn:aws:lambda:us-east-1:123456789012:function:fwd";
        let fragment = json!({"Resources": {
            "AuditLogs": {"Type": "AWS::Logs::LogGroup"},
            "Topic": {"Type": "AWS::SNS::Topic"}}});
        let (c, r) = build(
            json!({"forwarderArn": fwd, "subscribeLogGroups": "AuditLogs"}),
            fragment.clone(),
            &[],
        );
        assert!(errors(&r).is_empty(), "{:?}", errors(&r));
        assert_eq!(c.subscribe_log_groups, ["AuditLogs"]);
        assert!(c.subscribe_to_access_logs && !c.subscribe_to_execution_logs);
        assert!(!c.create_forwarder_permissions && !c.disable_cloud_watch_logs);
        let (_, r) = build(
            json!({"forwarderArn": fwd, "subscribeLogGroups": ["Topic", "AuditLog", "Nothing"]}),
            fragment,
            &[],
        );
        assert_eq!(
            errors(&r),
            [
                "parameter `subscribeLogGroups` lists `Topic`, which is not an AWS::Logs::LogGroup of this template (it is an AWS::SNS::Topic): list log groups the template declares (a log group outside it is subscribed by hand).",
                "parameter `subscribeLogGroups` lists `AuditLog`, which is not an AWS::Logs::LogGroup of this template (there is no such resource; did you mean `AuditLogs`?): list log groups the template declares (a log group outside it is subscribed by hand).",
                "parameter `subscribeLogGroups` lists `Nothing`, which is not an AWS::Logs::LogGroup of this template (there is no such resource): list log groups the template declares (a log group outside it is subscribed by hand).",
            ]
        );
        let (_, r) = build(json!({"createForwarderPermissions": true}), json!({}), &[]);
        assert!(errors(&r).is_empty());
        let warnings: Vec<&str> = r.warnings().map(|w| w.message.as_str()).collect();
        assert_eq!(
            warnings,
            [
                "`createForwarderPermissions` is true, but neither `forwarderArn` nor `stepFunctionForwarderArn` is set, so no log group is subscribed and it does nothing."
            ]
        );
        let (_, r) = build(
            json!({"createForwarderPermissions": true, "stepFunctionForwarderArn": fwd}),
            json!({}),
            &[],
        );
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    }

    #[test]
    fn template_wide_parameters_are_refused_in_a_resources_metadata() {
        let (c, mut r) = build(json!({}), json!({}), &[]);
        let own = json!({"subscribeToExecutionLogs": true, "disableCloudWatchLogs": true});
        let o = c.with_overrides("Fn", own.as_object().unwrap(), &mut r);
        assert_eq!(
            errors(&r),
            [
                "Resource Fn (Metadata.Datadog.Parameters): `subscribeToExecutionLogs` applies to the whole template, not to one resource: give it in the transform's parameters (or Mappings.Datadog.Parameters)."
            ]
        );
        assert!(o.disable_cloud_watch_logs, "a function's own setting");
        let template_wide: Vec<&str> = PARAMS
            .iter()
            .filter(|s| s.template_wide)
            .map(|s| s.name)
            .collect();
        assert_eq!(
            template_wide,
            [
                "subscribeToAccessLogs",
                "subscribeToExecutionLogs",
                "subscribeLogGroups",
                "createForwarderPermissions"
            ]
        );
    }

    #[test]
    fn disabling_cloudwatch_logs_needs_the_extensions_logs() {
        let (_, r) = build(
            json!({"disableCloudWatchLogs": true, "enableDDLogs": false}),
            json!({}),
            &[],
        );
        assert_eq!(errors(&r).len(), 1);
        // Said for the template, and for a resource only when its own
        // parameters set either.
        let (c, mut r) = build(
            json!({"disableCloudWatchLogs": true, "enableDDLogs": false}),
            json!({}),
            &[],
        );
        let before = errors(&r).len();
        c.with_overrides("Fn", json!({"service": "s"}).as_object().unwrap(), &mut r);
        assert_eq!(errors(&r).len(), before);
        let (c, mut r) = build(json!({"enableDDLogs": false}), json!({}), &[]);
        let own = json!({"disableCloudWatchLogs": true});
        c.with_overrides("Fn", own.as_object().unwrap(), &mut r);
        assert!(errors(&r)[0].starts_with(
            "Resource Fn (Metadata.Datadog.Parameters): `disableCloudWatchLogs: true` stops"
        ));
    }

    #[test]
    fn existing_log_groups_forms() {
        let (c, _) = build(json!({"existingLogGroups": true}), json!({}), &[]);
        assert!(c.existing_log_groups.contains("X"));
        let (c, _) = build(json!({"existingLogGroups": ["A"]}), json!({}), &[]);
        assert!(c.existing_log_groups.contains("A") && !c.existing_log_groups.contains("B"));
    }
}
