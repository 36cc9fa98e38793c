//! The transform's parameters: where they come from, their types, their
//! defaults, and the validation rules that involve only parameters (SPEC §2,
//! §11, §12).
//!
//! Four sources are merged key by key, highest priority first: the transform's
//! `params`, `Mappings.Datadog.Parameters` in the fragment, the macro Lambda's
//! own `DD_*` environment, and the defaults. A per-function
//! `Metadata.Datadog.Parameters` goes over all of them for that function.
//! Everything is read once, up front, into a typed [`Config`]; no pass reads
//! the environment.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::report::Report;
use crate::template::intrinsics::is_intrinsic;

/// The JSON type a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `true`/`false`, or the strings `"true"`/`"false"`.
    Bool,
    /// A non-negative integer, or a string of digits.
    Int,
    /// Text (numbers are accepted and written as text); an intrinsic is kept as is.
    Text,
    /// An ARN (`arn:...`), or an intrinsic that yields one.
    Arn,
    /// A list of logical ids (or one comma-separated string).
    IdList,
    /// `true`, `false`, or a list of logical ids.
    BoolOrIdList,
}

impl Kind {
    fn expected(self) -> &'static str {
        match self {
            Kind::Bool => "a boolean (true or false)",
            Kind::Int => "a whole number",
            Kind::Text => "a string",
            Kind::Arn => "an ARN (arn:...) or an intrinsic function",
            Kind::IdList => "a list of logical ids",
            Kind::BoolOrIdList => "true, false or a list of logical ids",
        }
    }
}

/// One parameter: its name, type, the macro environment variable it can come
/// from, its default and what it does.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// The parameter name, as users write it.
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
    /// The macro Lambda's environment variable that supplies a site-wide default.
    pub macro_env: Option<&'static str>,
    /// The default, as text, when there is one.
    pub default: Option<&'static str>,
    /// One line saying what it does (the README table).
    pub doc: &'static str,
}

const fn p(
    name: &'static str,
    kind: Kind,
    macro_env: Option<&'static str>,
    default: Option<&'static str>,
    doc: &'static str,
) -> ParamSpec {
    ParamSpec {
        name,
        kind,
        macro_env,
        default,
        doc,
    }
}

use Kind::*;

/// Every parameter the transform knows. One table: validation, defaults, the
/// README and the "did you mean" suggestions all read it.
pub const PARAMS: &[ParamSpec] = &[
    p(
        "addLayers",
        Bool,
        None,
        Some("true"),
        "Add the runtime's Datadog library layer.",
    ),
    p(
        "addExtension",
        Bool,
        None,
        Some("false"),
        "Add the Datadog Extension layer.",
    ),
    p(
        "pythonLayerVersion",
        Int,
        None,
        None,
        "Version of the Datadog Python library layer (bundled default when absent).",
    ),
    p(
        "nodeLayerVersion",
        Int,
        None,
        None,
        "Version of the Datadog Node.js library layer (bundled default when absent).",
    ),
    p(
        "dotnetLayerVersion",
        Int,
        None,
        None,
        "Version of the Datadog .NET library layer (bundled default when absent).",
    ),
    p(
        "javaLayerVersion",
        Int,
        None,
        None,
        "Version of the Datadog Java library layer (bundled default when absent).",
    ),
    p(
        "rubyLayerVersion",
        Int,
        None,
        None,
        "Version of the Datadog Ruby library layer (bundled default when absent).",
    ),
    p(
        "extensionLayerVersion",
        Int,
        None,
        None,
        "Version of the Datadog Extension layer; setting it turns the extension on.",
    ),
    p(
        "pythonLayerArn",
        Arn,
        None,
        None,
        "Full ARN of the Python library layer, instead of a version.",
    ),
    p(
        "nodeLayerArn",
        Arn,
        None,
        None,
        "Full ARN of the Node.js library layer, instead of a version.",
    ),
    p(
        "dotnetLayerArn",
        Arn,
        None,
        None,
        "Full ARN of the .NET library layer, instead of a version.",
    ),
    p(
        "javaLayerArn",
        Arn,
        None,
        None,
        "Full ARN of the Java library layer, instead of a version.",
    ),
    p(
        "rubyLayerArn",
        Arn,
        None,
        None,
        "Full ARN of the Ruby library layer, instead of a version.",
    ),
    p(
        "extensionLayerArn",
        Arn,
        None,
        None,
        "Full ARN of the Extension layer, instead of a version; turns the extension on.",
    ),
    p(
        "useLayersFromAccount",
        Text,
        None,
        None,
        "Build Datadog layer ARNs with this account id instead of Datadog's (private copies).",
    ),
    p(
        "apiKey",
        Text,
        Some("DD_API_KEY"),
        None,
        "`DD_API_KEY` (plain text: prefer apiKeySecretArn).",
    ),
    p(
        "apiKeySecretArn",
        Arn,
        Some("DD_API_KEY_SECRET_ARN"),
        None,
        "`DD_API_KEY_SECRET_ARN`: a Secrets Manager secret holding the API key.",
    ),
    p(
        "apiKeySsmArn",
        Arn,
        Some("DD_API_KEY_SSM_ARN"),
        None,
        "`DD_API_KEY_SSM_ARN`: an SSM parameter holding the API key.",
    ),
    p(
        "apiKMSKey",
        Text,
        Some("DD_KMS_API_KEY"),
        None,
        "`DD_KMS_API_KEY`: the API key encrypted with KMS.",
    ),
    p(
        "site",
        Text,
        Some("DD_SITE"),
        Some("datadoghq.com"),
        "`DD_SITE`: the Datadog site to send data to.",
    ),
    p(
        "logLevel",
        Text,
        Some("DD_LOG_LEVEL"),
        None,
        "`DD_LOG_LEVEL` (the one variable that replaces a user's value).",
    ),
    p(
        "flushMetricsToLogs",
        Bool,
        Some("DD_FLUSH_TO_LOG"),
        Some("true"),
        "`DD_FLUSH_TO_LOG` (always false with the extension).",
    ),
    p(
        "enableEnhancedMetrics",
        Bool,
        Some("DD_ENHANCED_METRICS"),
        Some("true"),
        "`DD_ENHANCED_METRICS`.",
    ),
    p(
        "enableXrayTracing",
        Bool,
        None,
        Some("false"),
        "X-Ray active tracing and its IAM permissions.",
    ),
    p(
        "enableDDTracing",
        Bool,
        Some("DD_TRACE_ENABLED"),
        Some("true"),
        "`DD_TRACE_ENABLED`: Datadog APM tracing.",
    ),
    p(
        "enableDDLogs",
        Bool,
        Some("DD_SERVERLESS_LOGS_ENABLED"),
        Some("true"),
        "`DD_SERVERLESS_LOGS_ENABLED`.",
    ),
    p(
        "captureLambdaPayload",
        Bool,
        Some("DD_CAPTURE_LAMBDA_PAYLOAD"),
        Some("false"),
        "`DD_CAPTURE_LAMBDA_PAYLOAD`.",
    ),
    p(
        "service",
        Text,
        Some("DD_SERVICE"),
        None,
        "`DD_SERVICE`; `service` tag in forwarder mode and on state machines.",
    ),
    p("env", Text, Some("DD_ENV"), None, "`DD_ENV`; `env` tag."),
    p(
        "version",
        Text,
        Some("DD_VERSION"),
        None,
        "`DD_VERSION` (with the extension); `version` tag.",
    ),
    p(
        "tags",
        Text,
        Some("DD_TAGS"),
        None,
        "`DD_TAGS` (`k:v,k:v`); resource tags in forwarder mode.",
    ),
    p(
        "gitData",
        Text,
        None,
        None,
        "`sha,url`: appends git.commit.sha and git.repository_url to `DD_TAGS`.",
    ),
    p(
        "exclude",
        IdList,
        None,
        None,
        "Logical ids of functions to leave untouched.",
    ),
    p(
        "forwarderArn",
        Arn,
        None,
        None,
        "Subscribe each function's log group to this Datadog Forwarder.",
    ),
    p(
        "existingLogGroups",
        BoolOrIdList,
        None,
        Some("false"),
        "With forwarderArn: subscribe to log groups that exist outside the template (true, or a list of function ids).",
    ),
    p(
        "stackName",
        Text,
        None,
        None,
        "The stack's name (accepted for compatibility; no longer needed).",
    ),
    p(
        "enableColdStartTracing",
        Bool,
        Some("DD_COLD_START_TRACING"),
        None,
        "`DD_COLD_START_TRACING`.",
    ),
    p(
        "minColdStartTraceDuration",
        Text,
        Some("DD_MIN_COLD_START_DURATION"),
        None,
        "`DD_MIN_COLD_START_DURATION` (alias: coldStartTraceMinDuration).",
    ),
    p(
        "coldStartTraceSkipLibs",
        Text,
        Some("DD_COLD_START_TRACE_SKIP_LIB"),
        None,
        "`DD_COLD_START_TRACE_SKIP_LIB`.",
    ),
    p(
        "enableProfiling",
        Bool,
        Some("DD_PROFILING_ENABLED"),
        None,
        "`DD_PROFILING_ENABLED`.",
    ),
    p(
        "encodeAuthorizerContext",
        Bool,
        Some("DD_ENCODE_AUTHORIZER_CONTEXT"),
        None,
        "`DD_ENCODE_AUTHORIZER_CONTEXT`.",
    ),
    p(
        "decodeAuthorizerContext",
        Bool,
        Some("DD_DECODE_AUTHORIZER_CONTEXT"),
        None,
        "`DD_DECODE_AUTHORIZER_CONTEXT`.",
    ),
    p(
        "apmFlushDeadline",
        Text,
        Some("DD_APM_FLUSH_DEADLINE_MILLISECONDS"),
        None,
        "`DD_APM_FLUSH_DEADLINE_MILLISECONDS`.",
    ),
    p(
        "llmObsEnabled",
        Bool,
        None,
        None,
        "`DD_LLMOBS_ENABLED` (needs llmObsMlApp).",
    ),
    p("llmObsMlApp", Text, None, None, "`DD_LLMOBS_ML_APP`."),
    p(
        "llmObsAgentlessEnabled",
        Bool,
        None,
        None,
        "`DD_LLMOBS_AGENTLESS_ENABLED`.",
    ),
    p(
        "lambdaFips",
        Bool,
        Some("DD_LAMBDA_FIPS_MODE"),
        None,
        "`DD_LAMBDA_FIPS_MODE`; uses the FIPS Extension layer.",
    ),
    p(
        "stepFunctionForwarderArn",
        Arn,
        None,
        None,
        "Instrument state machines and subscribe their logs to this Forwarder.",
    ),
    p(
        "injectLogContext",
        Bool,
        None,
        Some("true"),
        "`DD_LOGS_INJECTION` (false with the extension).",
    ),
    p(
        "captureCloudServicePayload",
        Bool,
        None,
        Some("false"),
        "`DD_TRACE_CLOUD_REQUEST_PAYLOAD_TAGGING` / `..._RESPONSE_...` = all.",
    ),
    p(
        "enableMergeXrayTraces",
        Bool,
        None,
        None,
        "`DD_MERGE_XRAY_TRACES`, whatever the tracing mode.",
    ),
    p(
        "redirectHandlers",
        Bool,
        None,
        Some("true"),
        "false: leave handlers alone.",
    ),
    p(
        "imageRuntime",
        Text,
        None,
        None,
        "`python` or `node`: the language of a container-image function.",
    ),
    p(
        "grantSecretReadAccess",
        Bool,
        None,
        Some("true"),
        "Allow the function's role to read apiKeySecretArn / apiKeySsmArn.",
    ),
];

/// Other spellings accepted for a parameter (documented by Datadog).
const ALIASES: &[(&str, &str)] = &[("coldStartTraceMinDuration", "minColdStartTraceDuration")];

/// The sites Datadog runs.
pub const SITES: &[&str] = &[
    "datadoghq.com",
    "datadoghq.eu",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "uk1.datadoghq.com",
    "ddog-gov.com",
    "us2.ddog-gov.com",
];

/// The four ways of giving the API key; at most one may be set.
pub const API_KEY_PARAMS: &[&str] = &["apiKey", "apiKMSKey", "apiKeySecretArn", "apiKeySsmArn"];

/// The spec of a parameter by name.
pub fn spec(name: &str) -> Option<&'static ParamSpec> {
    PARAMS.iter().find(|s| s.name == name)
}

/// The canonical name of a parameter name or alias.
pub fn canonical_name(name: &str) -> Option<&'static str> {
    spec(name).map(|s| s.name).or_else(|| {
        ALIASES
            .iter()
            .find(|(alias, _)| *alias == name)
            .map(|(_, n)| *n)
    })
}

/// The known parameter closest to an unknown name, when close enough.
pub fn closest_name(unknown: &str) -> Option<&'static str> {
    let lower = unknown.to_ascii_lowercase();
    PARAMS
        .iter()
        .map(|s| s.name)
        .chain(ALIASES.iter().map(|(a, _)| *a))
        .map(|n| {
            (
                strsim::damerau_levenshtein(&lower, &n.to_ascii_lowercase()),
                n,
            )
        })
        .filter(|(d, n)| *d <= 3.max(n.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| canonical_name(n).unwrap_or(n))
}

/// Where a parameter's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The transform's `params`.
    Params,
    /// `Mappings.Datadog.Parameters`.
    Mappings,
    /// The macro Lambda's environment variable of that name.
    MacroEnvironment(&'static str),
    /// The resource's `Metadata.Datadog.Parameters`.
    Metadata(String),
    /// The parameter's default.
    Default,
}

impl Source {
    /// Priority: a higher number wins over a lower one.
    fn rank(&self) -> u8 {
        match self {
            Source::Default => 0,
            Source::MacroEnvironment(_) => 1,
            Source::Mappings => 2,
            Source::Params => 3,
            Source::Metadata(_) => 4,
        }
    }
}

/// The four API-key parameters are one setting: a key given by a
/// higher-priority source (say `apiKMSKey` in the transform's parameters)
/// replaces whatever key lower ones gave (say the macro's site-wide
/// `DD_API_KEY`), instead of conflicting with it. Two keys from the same
/// source still conflict.
fn keep_one_api_key_source(raw: &mut BTreeMap<&'static str, (Value, Source)>) {
    let best = API_KEY_PARAMS
        .iter()
        .filter_map(|k| raw.get(k))
        .filter(|(v, _)| v.as_str() != Some(""))
        .map(|(_, s)| s.rank())
        .max();
    if let Some(best) = best {
        raw.retain(|k, (_, s)| !API_KEY_PARAMS.contains(k) || s.rank() == best);
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Params => f.write_str("transform parameter"),
            Source::Mappings => f.write_str("Mappings.Datadog.Parameters"),
            Source::MacroEnvironment(var) => write!(f, "macro environment {var}"),
            Source::Metadata(id) => write!(f, "{id} Metadata.Datadog.Parameters"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// The macro Lambda's own environment (only the variables of the table are used).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MacroEnvironment {
    vars: BTreeMap<String, String>,
}

impl MacroEnvironment {
    /// The `DD_*` variables of this process that supply parameters.
    pub fn from_process() -> Self {
        Self::from_pairs(std::env::vars())
    }

    /// An environment from name/value pairs (tests, dry runs).
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .filter(|(k, _)| PARAMS.iter().any(|s| s.macro_env == Some(k.as_str())))
            .collect();
        MacroEnvironment { vars }
    }

    /// The value of a variable, if set and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// `existingLogGroups`: which functions' log groups exist outside the template.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ExistingLogGroups {
    /// Declare a log group for every function without one.
    #[default]
    None,
    /// Every function's log group exists already.
    All,
    /// These functions' log groups exist already.
    Only(Vec<String>),
}

impl ExistingLogGroups {
    /// Whether this function's log group exists outside the template.
    pub fn contains(&self, logical_id: &str) -> bool {
        match self {
            ExistingLogGroups::None => false,
            ExistingLogGroups::All => true,
            ExistingLogGroups::Only(ids) => ids.iter().any(|id| id == logical_id),
        }
    }
}

/// The language of a container-image function (`imageRuntime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageRuntime {
    /// Python: handler `datadog_lambda.handler.handler`.
    Python,
    /// Node.js: the bundled handler.
    Node,
}

/// All parameters, typed and validated. Text parameters are JSON values:
/// a string, or an intrinsic that CloudFormation resolves at deploy time.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct Config {
    pub add_layers: bool,
    pub add_extension: bool,
    pub python_layer_version: Option<u64>,
    pub node_layer_version: Option<u64>,
    pub dotnet_layer_version: Option<u64>,
    pub java_layer_version: Option<u64>,
    pub ruby_layer_version: Option<u64>,
    pub extension_layer_version: Option<u64>,
    pub python_layer_arn: Option<Value>,
    pub node_layer_arn: Option<Value>,
    pub dotnet_layer_arn: Option<Value>,
    pub java_layer_arn: Option<Value>,
    pub ruby_layer_arn: Option<Value>,
    pub extension_layer_arn: Option<Value>,
    pub use_layers_from_account: Option<String>,
    pub api_key: Option<Value>,
    pub api_key_secret_arn: Option<Value>,
    pub api_key_ssm_arn: Option<Value>,
    pub api_kms_key: Option<Value>,
    pub site: String,
    pub log_level: Option<Value>,
    pub flush_metrics_to_logs: bool,
    pub enable_enhanced_metrics: bool,
    pub enable_xray_tracing: bool,
    pub enable_dd_tracing: bool,
    pub enable_dd_logs: bool,
    pub capture_lambda_payload: bool,
    pub service: Option<Value>,
    pub env: Option<Value>,
    pub version: Option<Value>,
    pub tags: Option<Value>,
    pub git_data: Option<Value>,
    pub exclude: Vec<String>,
    pub forwarder_arn: Option<Value>,
    pub existing_log_groups: ExistingLogGroups,
    pub stack_name: Option<Value>,
    pub enable_cold_start_tracing: Option<bool>,
    pub min_cold_start_trace_duration: Option<Value>,
    pub cold_start_trace_skip_libs: Option<Value>,
    pub enable_profiling: Option<bool>,
    pub encode_authorizer_context: Option<bool>,
    pub decode_authorizer_context: Option<bool>,
    pub apm_flush_deadline: Option<Value>,
    pub llm_obs_enabled: Option<bool>,
    pub llm_obs_ml_app: Option<Value>,
    pub llm_obs_agentless_enabled: Option<bool>,
    pub lambda_fips: Option<bool>,
    pub step_function_forwarder_arn: Option<Value>,
    pub inject_log_context: bool,
    pub capture_cloud_service_payload: bool,
    pub enable_merge_xray_traces: Option<bool>,
    pub redirect_handlers: bool,
    pub image_runtime: Option<ImageRuntime>,
    pub grant_secret_read_access: bool,
    /// Where each parameter that has a value came from.
    pub sources: BTreeMap<&'static str, Source>,
    /// The merged raw values (before typing), so per-resource overrides can
    /// be merged over them and validated again.
    raw: BTreeMap<&'static str, (Value, Source)>,
    /// What the passes work out from these parameters, once.
    derived: Derived,
}

/// Work the passes derive from a configuration alone, done at first use and
/// shared by every function with that configuration (most share one). A
/// copy starts empty (its fields may be changed before it is used), and it
/// takes no part in comparisons.
#[derive(Default)]
pub struct Derived {
    /// The environment variables every function gets (`lambda::env`).
    pub env: OnceLock<crate::lambda::env::Plan>,
    /// The layers chosen so far (`lambda::layers`).
    pub layers: crate::lambda::layers::LayerMemo,
}

impl Clone for Derived {
    fn clone(&self) -> Derived {
        Derived::default()
    }
}

impl PartialEq for Derived {
    fn eq(&self, _: &Derived) -> bool {
        true
    }
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Derived")
    }
}

/// A normalised parameter value.
#[derive(Debug, Clone, PartialEq)]
enum Typed {
    Bool(bool),
    Int(u64),
    Text(Value),
    Ids(Vec<String>),
    BoolOrIds(ExistingLogGroups),
}

/// Normalises a raw value to a kind, or says why it cannot be.
fn type_value(kind: Kind, value: &Value) -> Result<Typed, String> {
    let wrong = || format!("must be {}, not {}", kind.expected(), describe(value));
    match kind {
        Bool => match value {
            Value::Bool(b) => Ok(Typed::Bool(*b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Typed::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Typed::Bool(false)),
            _ => Err(wrong()),
        },
        Int => match value {
            Value::Number(n) => n.as_u64().map(Typed::Int).ok_or_else(wrong),
            Value::String(s) => s.trim().parse::<u64>().map(Typed::Int).map_err(|_| wrong()),
            _ => Err(wrong()),
        },
        Text => match value {
            Value::String(_) => Ok(Typed::Text(value.clone())),
            Value::Number(n) => Ok(Typed::Text(Value::String(n.to_string()))),
            Value::Bool(b) => Ok(Typed::Text(Value::String(b.to_string()))),
            v if is_intrinsic(v) => Ok(Typed::Text(v.clone())),
            _ => Err(wrong()),
        },
        Arn => match value {
            Value::String(s) if s.starts_with("arn:") && s.split(':').count() >= 6 => {
                Ok(Typed::Text(value.clone()))
            }
            v if is_intrinsic(v) => Ok(Typed::Text(v.clone())),
            _ => Err(wrong()),
        },
        IdList => ids(value).map(Typed::Ids).ok_or_else(wrong),
        BoolOrIdList => match value {
            Value::Bool(true) => Ok(Typed::BoolOrIds(ExistingLogGroups::All)),
            Value::Bool(false) => Ok(Typed::BoolOrIds(ExistingLogGroups::None)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => {
                Ok(Typed::BoolOrIds(ExistingLogGroups::All))
            }
            Value::String(s) if s.eq_ignore_ascii_case("false") => {
                Ok(Typed::BoolOrIds(ExistingLogGroups::None))
            }
            _ => ids(value)
                .map(|ids| Typed::BoolOrIds(ExistingLogGroups::Only(ids)))
                .ok_or_else(wrong),
        },
    }
}

/// A list of ids from a list of strings or one comma-separated string.
fn ids(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(|s| s.trim().to_string()))
            .collect(),
        Value::String(s) => Some(
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        _ => None,
    }
}

/// A short description of a value for error messages, never its content
/// when long (values may be secrets).
fn describe(value: &Value) -> String {
    match value {
        Value::String(s) if s.len() <= 40 => format!("the string \"{s}\""),
        Value::Number(n) => format!("the number {n}"),
        Value::Bool(b) => format!("{b}"),
        other => crate::macro_event::json_type_name(other).to_string(),
    }
}

/// The inputs a [`Config`] is built from.
#[derive(Debug, Clone, Copy)]
pub struct ConfigInputs<'a> {
    /// The transform's `params`.
    pub params: &'a Map<String, Value>,
    /// The fragment (for `Mappings.Datadog.Parameters`).
    pub fragment: &'a Value,
    /// The macro Lambda's environment.
    pub environment: &'a MacroEnvironment,
}

impl Config {
    /// Builds the global configuration. Every problem is recorded in
    /// `report` (all of them, not only the first); the returned config then
    /// holds defaults in place of the bad values.
    pub fn build(inputs: ConfigInputs<'_>, report: &mut Report) -> Config {
        let mut raw: BTreeMap<&'static str, (Value, Source)> = BTreeMap::new();
        // Lowest priority first; each layer overwrites key by key.
        for spec in PARAMS {
            if let Some(default) = spec.default {
                raw.insert(spec.name, (default_value(spec, default), Source::Default));
            }
        }
        for spec in PARAMS {
            if let Some(var) = spec.macro_env
                && let Some(text) = inputs.environment.get(var)
            {
                let value = match spec.kind {
                    // "the text `true` means true"
                    Bool => Value::Bool(text.eq_ignore_ascii_case("true")),
                    _ => Value::String(text.to_string()),
                };
                raw.insert(spec.name, (value, Source::MacroEnvironment(var)));
            }
        }
        if let Some(mappings) = inputs
            .fragment
            .get("Mappings")
            .and_then(|m| m.get("Datadog"))
            .and_then(|d| d.get("Parameters"))
        {
            match mappings.as_object() {
                Some(map) => merge_layer(&mut raw, map, Source::Mappings, None, report),
                None => report.error(
                    None,
                    "Mappings.Datadog.Parameters must be a mapping of parameter names to values",
                ),
            }
        }
        merge_layer(&mut raw, inputs.params, Source::Params, None, report);
        Self::from_raw(raw, None, report)
    }

    /// The configuration for one resource whose `Metadata.Datadog.Parameters`
    /// overrides some parameters; problems name the resource.
    pub fn with_overrides(
        &self,
        resource: &str,
        overrides: &Map<String, Value>,
        report: &mut Report,
    ) -> Config {
        let mut raw = self.raw.clone();
        merge_layer(
            &mut raw,
            overrides,
            Source::Metadata(resource.to_string()),
            Some(resource),
            report,
        );
        Self::from_raw(raw, Some(resource), report)
    }

    fn from_raw(
        mut raw: BTreeMap<&'static str, (Value, Source)>,
        resource: Option<&str>,
        report: &mut Report,
    ) -> Config {
        keep_one_api_key_source(&mut raw);
        let mut typed: BTreeMap<&'static str, Typed> = BTreeMap::new();
        let mut sources = BTreeMap::new();
        for (name, (value, source)) in &raw {
            let spec = spec(name).expect("raw holds only known names");
            // An empty string means "not set" (CloudFormation parameters often default to "").
            if value.as_str().is_some_and(|s| s.is_empty()) && spec.kind != Text {
                continue;
            }
            match type_value(spec.kind, value) {
                Ok(t) => {
                    typed.insert(spec.name, t);
                    sources.insert(spec.name, source.clone());
                }
                Err(why) => report.error(
                    resource,
                    format!("{}parameter `{name}` {why}.", prefix(resource)),
                ),
            }
        }
        let config = Config::from_typed(&typed, sources, raw);
        config.validate(resource, report);
        config
    }

    fn from_typed(
        typed: &BTreeMap<&'static str, Typed>,
        sources: BTreeMap<&'static str, Source>,
        raw: BTreeMap<&'static str, (Value, Source)>,
    ) -> Config {
        let b = |n: &str| match typed.get(n) {
            Some(Typed::Bool(b)) => Some(*b),
            _ => None,
        };
        let int = |n: &str| match typed.get(n) {
            Some(Typed::Int(i)) => Some(*i),
            _ => None,
        };
        let text = |n: &str| match typed.get(n) {
            Some(Typed::Text(v)) => Some(v.clone()),
            _ => None,
        };
        let literal = |n: &str| text(n).and_then(|v| v.as_str().map(str::to_string));
        let default_bool =
            |n: &str| b(n).unwrap_or_else(|| spec(n).and_then(|s| s.default) == Some("true"));
        let image_runtime = match literal("imageRuntime")
            .map(|s| s.to_ascii_lowercase())
            .as_deref()
        {
            Some("python") => Some(ImageRuntime::Python),
            Some("node" | "nodejs") => Some(ImageRuntime::Node),
            _ => None,
        };
        Config {
            add_layers: default_bool("addLayers"),
            add_extension: default_bool("addExtension"),
            python_layer_version: int("pythonLayerVersion"),
            node_layer_version: int("nodeLayerVersion"),
            dotnet_layer_version: int("dotnetLayerVersion"),
            java_layer_version: int("javaLayerVersion"),
            ruby_layer_version: int("rubyLayerVersion"),
            extension_layer_version: int("extensionLayerVersion"),
            python_layer_arn: text("pythonLayerArn"),
            node_layer_arn: text("nodeLayerArn"),
            dotnet_layer_arn: text("dotnetLayerArn"),
            java_layer_arn: text("javaLayerArn"),
            ruby_layer_arn: text("rubyLayerArn"),
            extension_layer_arn: text("extensionLayerArn"),
            use_layers_from_account: literal("useLayersFromAccount"),
            api_key: text("apiKey"),
            api_key_secret_arn: text("apiKeySecretArn"),
            api_key_ssm_arn: text("apiKeySsmArn"),
            api_kms_key: text("apiKMSKey"),
            site: literal("site").unwrap_or_else(|| "datadoghq.com".to_string()),
            log_level: text("logLevel"),
            flush_metrics_to_logs: default_bool("flushMetricsToLogs"),
            enable_enhanced_metrics: default_bool("enableEnhancedMetrics"),
            enable_xray_tracing: default_bool("enableXrayTracing"),
            enable_dd_tracing: default_bool("enableDDTracing"),
            enable_dd_logs: default_bool("enableDDLogs"),
            capture_lambda_payload: default_bool("captureLambdaPayload"),
            service: text("service"),
            env: text("env"),
            version: text("version"),
            tags: text("tags"),
            git_data: text("gitData"),
            exclude: match typed.get("exclude") {
                Some(Typed::Ids(ids)) => ids.clone(),
                _ => Vec::new(),
            },
            forwarder_arn: text("forwarderArn"),
            existing_log_groups: match typed.get("existingLogGroups") {
                Some(Typed::BoolOrIds(e)) => e.clone(),
                _ => ExistingLogGroups::None,
            },
            stack_name: text("stackName"),
            enable_cold_start_tracing: b("enableColdStartTracing"),
            min_cold_start_trace_duration: text("minColdStartTraceDuration"),
            cold_start_trace_skip_libs: text("coldStartTraceSkipLibs"),
            enable_profiling: b("enableProfiling"),
            encode_authorizer_context: b("encodeAuthorizerContext"),
            decode_authorizer_context: b("decodeAuthorizerContext"),
            apm_flush_deadline: text("apmFlushDeadline"),
            llm_obs_enabled: b("llmObsEnabled"),
            llm_obs_ml_app: text("llmObsMlApp"),
            llm_obs_agentless_enabled: b("llmObsAgentlessEnabled"),
            lambda_fips: b("lambdaFips"),
            step_function_forwarder_arn: text("stepFunctionForwarderArn"),
            inject_log_context: default_bool("injectLogContext"),
            capture_cloud_service_payload: default_bool("captureCloudServicePayload"),
            enable_merge_xray_traces: b("enableMergeXrayTraces"),
            redirect_handlers: default_bool("redirectHandlers"),
            image_runtime,
            grant_secret_read_access: default_bool("grantSecretReadAccess"),
            sources,
            raw,
            derived: Derived::default(),
        }
    }

    /// Rules that involve only parameters (SPEC §2 validation).
    fn validate(&self, resource: Option<&str>, report: &mut Report) {
        let pre = prefix(resource);
        let set_keys: Vec<&str> = API_KEY_PARAMS
            .iter()
            .copied()
            .filter(|k| self.sources.contains_key(k))
            .collect();
        if set_keys.len() > 1 {
            let listed: Vec<String> = set_keys.iter().map(|k| format!("`{k}`")).collect();
            report.error(
                resource,
                format!(
                    "{pre}{} should not be set at the same time; give the API key one way only.",
                    join_and(&listed)
                ),
            );
        }
        if !SITES.iter().any(|s| s.eq_ignore_ascii_case(&self.site)) {
            report.error(
                resource,
                format!(
                    "{pre}parameter `site` is \"{}\", which is not a Datadog site; use one of: {}.",
                    self.site,
                    SITES.join(", ")
                ),
            );
        }
        if self.extension_enabled() && self.forwarder_arn.is_some() {
            report.error(
                resource,
                format!(
                    "{pre}`extensionLayerVersion` and `forwarderArn` cannot be set at the same time: the Extension sends logs itself; remove one of them."
                ),
            );
        }
        if self.extension_enabled() && set_keys.is_empty() {
            report.error(
                resource,
                format!(
                    "{pre}the Datadog Extension needs an API key: set one of `apiKey`, `apiKeySecretArn`, `apiKeySsmArn` or `apiKMSKey`."
                ),
            );
        }
        if self.add_extension
            && self.extension_layer_version.is_none()
            && self.extension_layer_arn.is_none()
            && self.use_layers_from_account.is_some()
        {
            report.error(
                resource,
                format!(
                    "{pre}`addExtension` is true but no `extensionLayerVersion` was given; with `useLayersFromAccount` there is no bundled default, so set `extensionLayerVersion` or `extensionLayerArn`."
                ),
            );
        }
        if self.llm_obs_enabled == Some(true) && self.llm_obs_ml_app.is_none() {
            report.error(
                resource,
                format!("{pre}`llmObsEnabled` is true but `llmObsMlApp` is not set; set it to your ML application's name."),
            );
        }
        if let Some(app) = self.llm_obs_ml_app.as_ref().and_then(Value::as_str)
            && !valid_ml_app(app)
        {
            report.error(
                resource,
                format!(
                    "{pre}parameter `llmObsMlApp` must be 1 to 193 characters among letters, digits and _ - : . /"
                ),
            );
        }
        if let Some(account) = &self.use_layers_from_account
            && !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        {
            report.error(
                resource,
                format!("{pre}parameter `useLayersFromAccount` must be a 12-digit AWS account id."),
            );
        }
        if let Some(rt) = self.raw.get("imageRuntime").and_then(|(v, _)| v.as_str())
            && self.image_runtime.is_none()
            && !rt.is_empty()
        {
            report.error(
                resource,
                format!("{pre}parameter `imageRuntime` must be `python` or `node`, not \"{rt}\"."),
            );
        }
        for (version, arn) in [
            ("pythonLayerVersion", "pythonLayerArn"),
            ("nodeLayerVersion", "nodeLayerArn"),
            ("dotnetLayerVersion", "dotnetLayerArn"),
            ("javaLayerVersion", "javaLayerArn"),
            ("rubyLayerVersion", "rubyLayerArn"),
            ("extensionLayerVersion", "extensionLayerArn"),
        ] {
            if self.is_given(version) && self.is_given(arn) {
                report.error(
                    resource,
                    format!("{pre}both `{version}` and `{arn}` are set for the same layer; keep only one."),
                );
            }
        }
        if self.lambda_fips == Some(true) && !self.site.eq_ignore_ascii_case("ddog-gov.com") {
            report.warn(
                resource,
                format!(
                    "{pre}`lambdaFips` is true but the site is {}; FIPS endpoints exist only for ddog-gov.com.",
                    self.site
                ),
            );
        }
        if resource.is_none() && self.sources.contains_key("apiKey") {
            report.warn(
                None,
                "the API key is given in plain text (`apiKey`); it will be visible in the function's configuration: prefer `apiKeySecretArn`.",
            );
        }
    }

    /// Whether a parameter was given (by params, Mappings, environment or
    /// metadata), as opposed to coming from its default or being absent.
    pub fn is_given(&self, name: &str) -> bool {
        matches!(self.sources.get(name), Some(s) if *s != Source::Default)
    }

    /// Where a parameter's value came from, if it has one.
    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.get(name)
    }

    /// What the passes derived from this configuration so far. The
    /// configuration must not be changed after they used it.
    pub fn derived(&self) -> &Derived {
        &self.derived
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
        API_KEY_PARAMS.iter().any(|k| self.sources.contains_key(k))
    }
}

/// Merges one source of parameters over `raw`, reporting unknown names.
fn merge_layer(
    raw: &mut BTreeMap<&'static str, (Value, Source)>,
    layer: &Map<String, Value>,
    source: Source,
    resource: Option<&str>,
    report: &mut Report,
) {
    for (name, value) in layer {
        match canonical_name(name) {
            Some(canonical) => {
                raw.insert(canonical, (value.clone(), source.clone()));
            }
            None => {
                let hint = closest_name(name)
                    .map(|n| format!("; did you mean `{n}`?"))
                    .unwrap_or_else(|| "; see the parameter table in the README.".to_string());
                report.error(
                    resource,
                    format!("{}unknown parameter `{name}`{hint}", prefix(resource)),
                );
            }
        }
    }
}

fn default_value(spec: &ParamSpec, default: &str) -> Value {
    match spec.kind {
        Bool | BoolOrIdList => Value::Bool(default == "true"),
        _ => Value::String(default.to_string()),
    }
}

fn prefix(resource: Option<&str>) -> String {
    resource
        .map(|r| format!("Resource {r} (Metadata.Datadog.Parameters): "))
        .unwrap_or_default()
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn valid_ml_app(app: &str) -> bool {
    (1..=193).contains(&app.chars().count())
        && app
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.' | '/'))
}

/// Why a resource is left alone by the settings, if it is: listed in
/// `exclude`, or marked `Metadata: {Datadog: {Exclude: true}}`.
pub fn exclusion_reason(id: &str, resource: &Value, config: &Config) -> Option<&'static str> {
    if config.exclude.iter().any(|e| e == id) {
        return Some("excluded by the `exclude` parameter");
    }
    let exclude = resource.get("Metadata")?.get("Datadog")?.get("Exclude")?;
    let excluded = exclude.as_bool() == Some(true)
        || exclude
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("true"));
    excluded.then_some("excluded by Metadata.Datadog.Exclude")
}

impl Config {
    /// The configuration for one resource: this one, or with the resource's
    /// `Metadata.Datadog.Parameters` merged over it. `None` when those are
    /// invalid; the problems, naming the resource, are then in `report`.
    pub fn for_resource<'c>(
        &'c self,
        id: &str,
        resource: &Value,
        report: &mut Report,
    ) -> Option<std::borrow::Cow<'c, Config>> {
        use std::borrow::Cow;
        let overrides = resource
            .get("Metadata")
            .and_then(|m| m.get("Datadog"))
            .and_then(|d| d.get("Parameters"));
        match overrides {
            None => Some(Cow::Borrowed(self)),
            Some(Value::Object(o)) => {
                let errors_before = report.errors().count();
                let config = self.with_overrides(id, o, report);
                (report.errors().count() == errors_before).then_some(Cow::Owned(config))
            }
            Some(_) => {
                report.error(
                    Some(id),
                    format!("Resource {id}: Metadata.Datadog.Parameters must be a mapping of parameter names to values."),
                );
                None
            }
        }
    }
}

/// The parameter table as Markdown (the README's "Parameters" section and
/// the `parameters` command print it), generated from [`PARAMS`].
pub fn parameters_markdown() -> String {
    let mut out = String::from(
        "| parameter | type | default | macro environment | what it does |\n| --- | --- | --- | --- | --- |\n",
    );
    for spec in PARAMS {
        let kind = match spec.kind {
            Bool => "bool",
            Int => "int",
            Text => "string",
            Arn => "ARN",
            IdList => "list of ids",
            BoolOrIdList => "bool or list of ids",
        };
        let default = match (spec.default, spec.name) {
            (Some(d), _) => format!("`{d}`"),
            (None, n) if n.ends_with("LayerVersion") => "bundled".to_string(),
            (None, _) => "—".to_string(),
        };
        let env = spec
            .macro_env
            .map(|e| format!("`{e}`"))
            .unwrap_or_else(|| "—".to_string());
        out.push_str(&format!(
            "| `{}` | {kind} | {default} | {env} | {} |\n",
            spec.name, spec.doc
        ));
    }
    for (alias, name) in ALIASES {
        out.push_str(&format!("| `{alias}` | | | | alias of `{name}` |\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build(params: Value, fragment: Value, env: &[(&str, &str)]) -> (Config, Report) {
        let mut report = Report::default();
        let environment = MacroEnvironment::from_pairs(env.iter().copied());
        let config = Config::build(
            ConfigInputs {
                params: params.as_object().unwrap(),
                fragment: &fragment,
                environment: &environment,
            },
            &mut report,
        );
        (config, report)
    }

    fn errors(report: &Report) -> Vec<String> {
        report.errors().map(|d| d.message.clone()).collect()
    }

    #[test]
    fn defaults_apply() {
        let (c, r) = build(json!({}), json!({}), &[]);
        assert!(errors(&r).is_empty());
        assert!(c.add_layers && !c.add_extension && c.flush_metrics_to_logs && c.enable_dd_tracing);
        assert_eq!(c.site, "datadoghq.com");
        assert_eq!(c.source("site"), Some(&Source::Default));
        assert!(!c.is_given("site"));
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
            c.source("version"),
            Some(&Source::MacroEnvironment("DD_VERSION"))
        );
        assert_eq!(c.source("env"), Some(&Source::Mappings));
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
        assert_eq!(o.source("service"), Some(&Source::Metadata("Fn".into())));
        let errs = errors(&r);
        assert!(errs[0].starts_with("Resource Fn (Metadata.Datadog.Parameters): unknown parameter `sevice`; did you mean `service`?"), "{errs:?}");
    }

    #[test]
    fn existing_log_groups_forms() {
        let (c, _) = build(json!({"existingLogGroups": true}), json!({}), &[]);
        assert!(c.existing_log_groups.contains("X"));
        let (c, _) = build(json!({"existingLogGroups": ["A"]}), json!({}), &[]);
        assert!(c.existing_log_groups.contains("A") && !c.existing_log_groups.contains("B"));
    }

    #[test]
    fn table_names_are_unique() {
        let mut names: Vec<_> = PARAMS.iter().map(|s| s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), PARAMS.len());
    }
}
