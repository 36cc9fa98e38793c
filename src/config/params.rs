//! The parameter table: every parameter the transform accepts, each
//! declared once (see `config/declare.rs` for what follows from an entry,
//! and CONTRIBUTING.md, "Adding a parameter").
//!
//! An entry is its one-line doc (the README's table shows it), its
//! [`Config`] field and type, and its [`ParamSpec`]: the name users write,
//! its [`super::Kind`], and as needed its default, the `DD_*` variable it is
//! (`.variable`), or only reads a site-wide default from (`.macro_env`) or
//! only sets on functions (`.sets`), aliases, a check of its literal values
//! and whether it is a secret. Table order is the README's order.

use std::collections::BTreeMap;

use serde_json::Value;

use super::declare::parameters;
use super::sources::{Merged, Source};
use super::spec::Kind::*;
use super::spec::{ParamSpec, param};
use super::validate;
use super::values::{AppSecMode, ExistingLogGroups, FieldValue, ImageRuntime};

parameters! {
    /// Add the runtime's Datadog library layer.
    add_layers: bool = param("addLayers", Bool).default("true");
    /// Add the Datadog Extension layer.
    add_extension: bool = param("addExtension", Bool).default("false");
    /// Version of the Datadog Python library layer (absent: the newest Datadog publishes for the runtime and region).
    python_layer_version: Option<u64> = param("pythonLayerVersion", Int).bundled();
    /// Version of the Datadog Node.js library layer (absent: the newest Datadog publishes for the runtime and region).
    node_layer_version: Option<u64> = param("nodeLayerVersion", Int).bundled();
    /// Version of the Datadog .NET library layer (absent: the newest Datadog publishes for the runtime and region).
    dotnet_layer_version: Option<u64> = param("dotnetLayerVersion", Int).bundled();
    /// Version of the Datadog Java library layer (absent: the newest Datadog publishes for the runtime and region).
    java_layer_version: Option<u64> = param("javaLayerVersion", Int).bundled();
    /// Version of the Datadog Ruby library layer (absent: the newest Datadog publishes for the runtime and region).
    ruby_layer_version: Option<u64> = param("rubyLayerVersion", Int).bundled();
    /// Version of the Datadog Extension layer (absent: the newest published in the region); setting it turns the extension on.
    extension_layer_version: Option<u64> = param("extensionLayerVersion", Int).bundled();
    /// Full ARN of the Python library layer, instead of a version.
    python_layer_arn: Option<Value> = param("pythonLayerArn", Arn);
    /// Full ARN of the Node.js library layer, instead of a version.
    node_layer_arn: Option<Value> = param("nodeLayerArn", Arn);
    /// Full ARN of the .NET library layer, instead of a version.
    dotnet_layer_arn: Option<Value> = param("dotnetLayerArn", Arn);
    /// Full ARN of the Java library layer, instead of a version.
    java_layer_arn: Option<Value> = param("javaLayerArn", Arn);
    /// Full ARN of the Ruby library layer, instead of a version.
    ruby_layer_arn: Option<Value> = param("rubyLayerArn", Arn);
    /// Full ARN of the Extension layer, instead of a version; turns the extension on.
    extension_layer_arn: Option<Value> = param("extensionLayerArn", Arn);
    /// Build Datadog layer ARNs with this account id instead of Datadog's (private copies).
    use_layers_from_account: Option<String> = param("useLayersFromAccount", Text)
        .check(validate::account_id);
    /// `DD_API_KEY` (plain text: prefer apiKeySecretArn).
    api_key: Option<Value> = param("apiKey", Text).variable("DD_API_KEY").secret();
    /// `DD_API_KEY_SECRET_ARN`: a Secrets Manager secret holding the API key.
    api_key_secret_arn: Option<Value> = param("apiKeySecretArn", Arn)
        .variable("DD_API_KEY_SECRET_ARN");
    /// `DD_API_KEY_SSM_ARN`: an SSM parameter holding the API key.
    api_key_ssm_arn: Option<Value> = param("apiKeySsmArn", Arn).variable("DD_API_KEY_SSM_ARN");
    /// `DD_KMS_API_KEY`: the API key encrypted with KMS.
    api_kms_key: Option<Value> = param("apiKMSKey", Text).variable("DD_KMS_API_KEY").secret();
    /// `DD_SITE`: the Datadog site to send data to.
    site: String = param("site", Text)
        .default("datadoghq.com")
        .variable("DD_SITE")
        .check(validate::site);
    /// `DD_LOG_LEVEL` (the one variable that replaces a user's value).
    log_level: Option<Value> = param("logLevel", Text).macro_env("DD_LOG_LEVEL");
    /// `DD_FLUSH_TO_LOG` (always false with the extension).
    flush_metrics_to_logs: bool = param("flushMetricsToLogs", Bool)
        .default("true")
        .macro_env("DD_FLUSH_TO_LOG");
    /// `DD_ENHANCED_METRICS`.
    enable_enhanced_metrics: bool = param("enableEnhancedMetrics", Bool)
        .default("true")
        .variable("DD_ENHANCED_METRICS");
    /// X-Ray active tracing and its IAM permissions.
    enable_xray_tracing: bool = param("enableXrayTracing", Bool).default("false");
    /// `DD_TRACE_ENABLED`: Datadog APM tracing.
    enable_dd_tracing: bool = param("enableDDTracing", Bool)
        .default("true")
        .variable("DD_TRACE_ENABLED");
    /// App and API Protection, in the Python library (`tracer`), in the Extension (`extension`), or where the function allows (`on`); needs enableDDTracing.
    app_sec_mode: AppSecMode = param("appSecMode", OneOf(AppSecMode::NAMES))
        .default("off")
        .aliases(&["datadogAppSecMode"]);
    /// `DD_SERVERLESS_LOGS_ENABLED`.
    enable_dd_logs: bool = param("enableDDLogs", Bool)
        .default("true")
        .variable("DD_SERVERLESS_LOGS_ENABLED");
    /// `DD_CAPTURE_LAMBDA_PAYLOAD`.
    capture_lambda_payload: bool = param("captureLambdaPayload", Bool)
        .default("false")
        .variable("DD_CAPTURE_LAMBDA_PAYLOAD");
    /// `DD_SERVICE`; `service` tag in forwarder mode and on state machines.
    service: Option<Value> = param("service", Text).variable("DD_SERVICE");
    /// `DD_ENV`; `env` tag.
    env: Option<Value> = param("env", Text).variable("DD_ENV");
    /// `DD_VERSION` (with the extension); `version` tag.
    version: Option<Value> = param("version", Text).macro_env("DD_VERSION");
    /// `DD_TAGS` (`k:v,k:v`); resource tags in forwarder mode.
    tags: Option<Value> = param("tags", Text).macro_env("DD_TAGS");
    /// `sha,url`: appends git.commit.sha and git.repository_url to `DD_TAGS`.
    git_data: Option<String> = param("gitData", Text);
    /// Logical ids of functions to leave untouched.
    exclude: Vec<String> = param("exclude", IdList);
    /// Subscribe each function's log group to this Datadog Forwarder.
    forwarder_arn: Option<Value> = param("forwarderArn", Arn);
    /// With forwarderArn: subscribe to log groups that exist outside the template instead of declaring them (true, or a list of function, API Gateway stage or API ids).
    existing_log_groups: ExistingLogGroups = param("existingLogGroups", BoolOrIdList)
        .default("false");
    /// With forwarderArn: subscribe the log groups the template's API Gateway stages write access logs to (whole template).
    subscribe_to_access_logs: bool = param("subscribeToAccessLogs", Bool)
        .default("true")
        .template_wide();
    /// With forwarderArn: subscribe the execution-log group of each REST and WebSocket stage that logs executions, declaring it if needed (whole template).
    subscribe_to_execution_logs: bool = param("subscribeToExecutionLogs", Bool)
        .default("false")
        .template_wide();
    /// With forwarderArn: logical ids of other AWS::Logs::LogGroup resources of the template to subscribe (whole template).
    subscribe_log_groups: Vec<String> = param("subscribeLogGroups", IdList).template_wide();
    /// One AWS::Lambda::Permission per log group subscribed, letting CloudWatch Logs invoke the Forwarder (whole template).
    create_forwarder_permissions: bool = param("createForwarderPermissions", Bool)
        .default("false")
        .template_wide();
    /// With the Extension: deny the function's role writing to the function's CloudWatch log group (an AWS::IAM::RolePolicy DenyCloudWatchLogs).
    disable_cloud_watch_logs: bool = param("disableCloudWatchLogs", Bool).default("false");
    /// The stack's name (accepted for compatibility; no longer needed).
    stack_name: Option<Value> = param("stackName", Text);
    /// `DD_COLD_START_TRACING`.
    enable_cold_start_tracing: Option<bool> = param("enableColdStartTracing", Bool)
        .variable("DD_COLD_START_TRACING");
    /// `DD_MIN_COLD_START_DURATION` (alias: coldStartTraceMinDuration).
    min_cold_start_trace_duration: Option<Value> = param("minColdStartTraceDuration", Text)
        .aliases(&["coldStartTraceMinDuration"])
        .variable("DD_MIN_COLD_START_DURATION");
    /// `DD_COLD_START_TRACE_SKIP_LIB`.
    cold_start_trace_skip_libs: Option<Value> = param("coldStartTraceSkipLibs", Text)
        .variable("DD_COLD_START_TRACE_SKIP_LIB");
    /// `DD_PROFILING_ENABLED`.
    enable_profiling: Option<bool> = param("enableProfiling", Bool)
        .variable("DD_PROFILING_ENABLED");
    /// `DD_ENCODE_AUTHORIZER_CONTEXT`.
    encode_authorizer_context: Option<bool> = param("encodeAuthorizerContext", Bool)
        .variable("DD_ENCODE_AUTHORIZER_CONTEXT");
    /// `DD_DECODE_AUTHORIZER_CONTEXT`.
    decode_authorizer_context: Option<bool> = param("decodeAuthorizerContext", Bool)
        .variable("DD_DECODE_AUTHORIZER_CONTEXT");
    /// `DD_APM_FLUSH_DEADLINE_MILLISECONDS`.
    apm_flush_deadline: Option<Value> = param("apmFlushDeadline", Text)
        .variable("DD_APM_FLUSH_DEADLINE_MILLISECONDS");
    /// `DD_LLMOBS_ENABLED` (needs llmObsMlApp).
    llm_obs_enabled: Option<bool> = param("llmObsEnabled", Bool).sets("DD_LLMOBS_ENABLED");
    /// `DD_LLMOBS_ML_APP`.
    llm_obs_ml_app: Option<Value> = param("llmObsMlApp", Text)
        .sets("DD_LLMOBS_ML_APP")
        .check(validate::ml_app);
    /// `DD_LLMOBS_AGENTLESS_ENABLED`.
    llm_obs_agentless_enabled: Option<bool> = param("llmObsAgentlessEnabled", Bool)
        .sets("DD_LLMOBS_AGENTLESS_ENABLED");
    /// `DD_LAMBDA_FIPS_MODE`; uses the FIPS Extension layer.
    lambda_fips: Option<bool> = param("lambdaFips", Bool).variable("DD_LAMBDA_FIPS_MODE");
    /// Instrument state machines and subscribe their logs to this Forwarder.
    step_function_forwarder_arn: Option<Value> = param("stepFunctionForwarderArn", Arn);
    /// `DD_LOGS_INJECTION` (false with the extension).
    inject_log_context: bool = param("injectLogContext", Bool).default("true");
    /// `DD_TRACE_CLOUD_REQUEST_PAYLOAD_TAGGING` / `..._RESPONSE_...` = all.
    capture_cloud_service_payload: bool = param("captureCloudServicePayload", Bool)
        .default("false");
    /// `DD_MERGE_XRAY_TRACES`, whatever the tracing mode.
    enable_merge_xray_traces: Option<bool> = param("enableMergeXrayTraces", Bool);
    /// false: leave handlers alone.
    redirect_handlers: bool = param("redirectHandlers", Bool).default("true");
    /// The handler every function gets instead of Datadog's, whatever its runtime (the original still goes to `DD_LAMBDA_HANDLER`).
    custom_handler: Option<Value> = param("customHandler", Text).check(validate::handler);
    /// `python` or `node`: the language of a container-image function.
    image_runtime: Option<ImageRuntime> = param("imageRuntime", Text)
        .check(validate::image_runtime);
    /// Allow the function's role to read apiKeySecretArn / apiKeySsmArn.
    grant_secret_read_access: bool = param("grantSecretReadAccess", Bool).default("true");
    /// Any warning fails the transform, listed in its message (false: they are listed in the processed template's Metadata.DatadogServerless.Warnings).
    strict: bool = param("strict", Bool).default("false").macro_env("DD_STRICT");
}

/// The four ways of giving the API key; at most one may be set (in this
/// order in messages).
pub const API_KEY_PARAMS: [Param; 4] = [
    Param::api_key,
    Param::api_kms_key,
    Param::api_key_secret_arn,
    Param::api_key_ssm_arn,
];

impl Param {
    /// Its declaration.
    pub fn spec(self) -> &'static ParamSpec {
        &PARAMS[self as usize]
    }

    /// The name users write.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The parameter a name or alias stands for.
    pub fn from_name(name: &str) -> Option<Param> {
        Param::ALL
            .iter()
            .copied()
            .find(|p| p.name() == name || p.spec().aliases.contains(&name))
    }

    /// Whether it is a switch without a default: its variable, if it has
    /// one, is set only when it is given.
    pub fn is_optional_switch(self) -> bool {
        self.spec().kind == Bool && self.spec().default.is_none()
    }
}

/// A parameter shows as its name (`addLayers`).
impl std::fmt::Display for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique_and_find_their_parameter() {
        let mut names: Vec<&str> = PARAMS
            .iter()
            .flat_map(|s| std::iter::once(s.name).chain(s.aliases.iter().copied()))
            .collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "a name or alias is declared twice");
        for &p in Param::ALL {
            assert_eq!(Param::from_name(p.name()), Some(p));
            assert!(std::ptr::eq(p.spec(), &PARAMS[p as usize]));
        }
        assert_eq!(
            Param::from_name("coldStartTraceMinDuration"),
            Some(Param::min_cold_start_trace_duration)
        );
        assert_eq!(Param::ALL.len(), PARAMS.len());
    }

    #[test]
    fn every_declaration_is_complete() {
        for spec in PARAMS {
            assert!(
                spec.doc.ends_with('.') && !spec.doc.contains('\n'),
                "{}: one line ending with a period",
                spec.name
            );
            assert!(
                !(spec.bundled_default && spec.default.is_some()),
                "{}: a bundled default or a default, not both",
                spec.name
            );
            for variable in spec.macro_env.iter().chain(&spec.sets) {
                assert!(variable.starts_with("DD_"), "{}: {variable}", spec.name);
            }
        }
    }
}
