//! Environment variables (SPEC §2, §11): written as strings, never over a
//! value the user set (on the function or, for SAM, in
//! `Globals.Function.Environment.Variables`), except `DD_LOG_LEVEL`.

use serde_json::{Map, Value};

use super::function::{FunctionEdit, RuntimeFamily};
use crate::config::Config;
use crate::report::Change;

use crate::secrets::SECRET_VARIABLES;

/// The user's variables map of a properties object, if readable.
fn variables(props: &Map<String, Value>) -> Option<&Map<String, Value>> {
    props.get("Environment")?.get("Variables")?.as_object()
}

/// Whether the user set this variable (on the function or in SAM Globals).
pub fn user_has(edit: &FunctionEdit, name: &str) -> bool {
    variables(&edit.props).is_some_and(|v| v.contains_key(name))
        || variables(&edit.globals).is_some_and(|v| v.contains_key(name))
}

/// The user's value of a variable, if set.
pub fn user_value<'e>(edit: &'e FunctionEdit, name: &str) -> Option<&'e Value> {
    variables(&edit.props)
        .and_then(|v| v.get(name))
        .or_else(|| variables(&edit.globals).and_then(|v| v.get(name)))
}

/// The function's own variables map, created when absent; `None` (and an
/// error recorded) when `Environment` or `Variables` is an intrinsic.
fn variables_mut(edit: &mut FunctionEdit) -> Option<&mut Map<String, Value>> {
    // Looked up before created: `entry` would allocate both keys each call.
    let readable = match edit.props.get_mut("Environment") {
        None => {
            let mut env = Map::new();
            env.insert("Variables".into(), Value::Object(Map::new()));
            edit.props.insert("Environment".into(), Value::Object(env));
            true
        }
        Some(Value::Object(env)) => match env.get("Variables") {
            None => {
                env.insert("Variables".into(), Value::Object(Map::new()));
                true
            }
            Some(Value::Object(_)) => true,
            Some(_) => false,
        },
        Some(_) => false,
    };
    if !readable {
        let id = edit.id.clone();
        edit.error(format!(
            "Resource {id} has Environment or Environment.Variables written as an intrinsic function, so Datadog's variables cannot be added; it was left unchanged. \
             Write Environment.Variables as a mapping, or add {id} to the `exclude` parameter."
        ));
        return None;
    }
    edit.props
        .get_mut("Environment")?
        .get_mut("Variables")?
        .as_object_mut()
}

/// A parameter value as an environment value: strings stay, booleans and
/// numbers become text, intrinsics are kept for CloudFormation to resolve.
pub fn as_env_value(value: &Value) -> Value {
    match value {
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Number(n) => Value::String(n.to_string()),
        other => other.clone(),
    }
}

/// [`as_env_value`] of an owned value, without copying it.
fn into_env_value(value: Value) -> Value {
    match value {
        Value::Bool(_) | Value::Number(_) => as_env_value(&value),
        other => other,
    }
}

/// Sets a variable unless the user set it; records what happened.
pub fn set(edit: &mut FunctionEdit, name: &str, value: Value, source: impl Into<String>) {
    if user_has(edit, name) {
        edit.change(Change::EnvKept {
            name: name.to_string(),
        });
        return;
    }
    let value = into_env_value(value);
    let Some(vars) = variables_mut(edit) else {
        return;
    };
    vars.insert(name.to_string(), value.clone());
    let shown = (!SECRET_VARIABLES.contains(&name)).then_some(value);
    edit.change(Change::EnvSet {
        name: name.to_string(),
        value: shown,
        source: source.into(),
    });
}

/// Sets a variable even over the user's value (only `DD_LOG_LEVEL`).
fn force(edit: &mut FunctionEdit, name: &str, value: Value, source: String) {
    let value = as_env_value(&value);
    if variables(&edit.props).and_then(|v| v.get(name)) == Some(&value) {
        return;
    }
    let Some(vars) = variables_mut(edit) else {
        return;
    };
    vars.insert(name.to_string(), value.clone());
    edit.change(Change::EnvSet {
        name: name.to_string(),
        value: Some(value),
        source,
    });
}

/// `NAME (where it came from)`, for the report.
pub fn source_of(config: &Config, name: &str) -> String {
    match config.source(name) {
        Some(source) => format!("{name} ({source})"),
        None => name.to_string(),
    }
}

fn text(b: bool) -> Value {
    Value::String(b.to_string())
}

/// `git.commit.sha:SHA,git.repository_url:URL` from `gitData` (`sha,url`),
/// the URL stripped of its scheme and credentials.
pub fn git_tags(git_data: &str) -> Option<String> {
    let (sha, url) = git_data.split_once(',')?;
    let (sha, url) = (sha.trim(), url.trim());
    if sha.is_empty() || url.is_empty() {
        return None;
    }
    Some(format!(
        "git.commit.sha:{sha},git.repository_url:{}",
        clean_repository_url(url)
    ))
}

/// `https://user:token@github.com/org/repo` and `git@github.com:org/repo`
/// both become `github.com/org/repo`.
pub fn clean_repository_url(url: &str) -> String {
    let (without_scheme, had_scheme) = match url.find("://") {
        Some(i) => (&url[i + 3..], true),
        None => (url, false),
    };
    let host_and_path = match without_scheme
        .split('/')
        .next()
        .and_then(|authority| authority.rfind('@'))
    {
        Some(at) => &without_scheme[at + 1..],
        None => without_scheme,
    };
    if had_scheme {
        return host_and_path.to_string();
    }
    // scp-like `host:org/repo`
    match host_and_path.split_once(':') {
        Some((host, path)) if !host.contains('/') => format!("{host}/{path}"),
        _ => host_and_path.to_string(),
    }
}

/// The `DD_TAGS` value: `tags`, then the git tags of `gitData`.
fn dd_tags(config: &Config) -> Option<Value> {
    let git = config
        .git_data
        .as_ref()
        .and_then(Value::as_str)
        .and_then(git_tags);
    match (&config.tags, git) {
        (None, None) => None,
        (Some(tags), None) => Some(tags.clone()),
        (None, Some(git)) => Some(Value::String(git)),
        (Some(Value::String(tags)), Some(git)) if tags.is_empty() => Some(Value::String(git)),
        (Some(Value::String(tags)), Some(git)) => Some(Value::String(format!("{tags},{git}"))),
        (Some(intrinsic), Some(git)) => {
            Some(serde_json::json!({"Fn::Join": [",", [intrinsic, git]]}))
        }
    }
}

/// Sets a boolean variable from its parameter, or `false` (saying why) when
/// the extension does that job itself.
fn set_unless_extension(edit: &mut FunctionEdit, name: &str, param: &str, value: bool, why: &str) {
    let (value, source) = if edit.config.extension_enabled() {
        (false, why.to_string())
    } else {
        (value, source_of(&edit.config, param))
    };
    set(edit, name, text(value), source);
}

/// Writes every Datadog variable the parameters call for.
pub fn set_variables(edit: &mut FunctionEdit) {
    let c = edit.config.clone();
    let ext = c.extension_enabled();
    if edit.family == RuntimeFamily::Node
        && c.api_key_secret_arn.is_some()
        && !ext
        && !c.flush_metrics_to_logs
    {
        let id = edit.id.clone();
        edit.error(format!(
            "Resource {id} is a Node.js function sending metrics synchronously (no extension and `flushMetricsToLogs: false`), which cannot read the API key from `apiKeySecretArn`. \
             Add the extension, set `flushMetricsToLogs: true`, or give the key with `apiKMSKey`."
        ));
        return;
    }
    let optional: [(&str, &str, &Option<Value>); 4] = [
        ("DD_API_KEY", "apiKey", &c.api_key),
        (
            "DD_API_KEY_SECRET_ARN",
            "apiKeySecretArn",
            &c.api_key_secret_arn,
        ),
        ("DD_API_KEY_SSM_ARN", "apiKeySsmArn", &c.api_key_ssm_arn),
        ("DD_KMS_API_KEY", "apiKMSKey", &c.api_kms_key),
    ];
    for (var, param, value) in optional {
        if let Some(v) = value {
            set(edit, var, v.clone(), source_of(&c, param));
        }
    }
    set(
        edit,
        "DD_SITE",
        Value::String(c.site.clone()),
        source_of(&c, "site"),
    );
    if let Some(level) = &c.log_level {
        force(
            edit,
            "DD_LOG_LEVEL",
            level.clone(),
            source_of(&c, "logLevel"),
        );
    }
    set_unless_extension(
        edit,
        "DD_FLUSH_TO_LOG",
        "flushMetricsToLogs",
        c.flush_metrics_to_logs,
        "forced false: the extension sends metrics",
    );
    let always: [(&str, &str, bool); 4] = [
        (
            "DD_ENHANCED_METRICS",
            "enableEnhancedMetrics",
            c.enable_enhanced_metrics,
        ),
        ("DD_TRACE_ENABLED", "enableDDTracing", c.enable_dd_tracing),
        (
            "DD_SERVERLESS_LOGS_ENABLED",
            "enableDDLogs",
            c.enable_dd_logs,
        ),
        (
            "DD_CAPTURE_LAMBDA_PAYLOAD",
            "captureLambdaPayload",
            c.capture_lambda_payload,
        ),
    ];
    for (var, param, value) in always {
        set(edit, var, text(value), source_of(&c, param));
    }
    let mut texts: Vec<(&str, &str, Option<Value>)> = vec![
        ("DD_SERVICE", "service", c.service.clone()),
        ("DD_ENV", "env", c.env.clone()),
        (
            "DD_VERSION",
            "version",
            if ext { c.version.clone() } else { None },
        ),
        ("DD_TAGS", "tags", dd_tags(&c)),
        (
            "DD_MIN_COLD_START_DURATION",
            "minColdStartTraceDuration",
            c.min_cold_start_trace_duration.clone(),
        ),
        (
            "DD_COLD_START_TRACE_SKIP_LIB",
            "coldStartTraceSkipLibs",
            c.cold_start_trace_skip_libs.clone(),
        ),
        (
            "DD_APM_FLUSH_DEADLINE_MILLISECONDS",
            "apmFlushDeadline",
            c.apm_flush_deadline.clone(),
        ),
        ("DD_LLMOBS_ML_APP", "llmObsMlApp", c.llm_obs_ml_app.clone()),
    ];
    let flags: [(&str, &str, Option<bool>); 7] = [
        (
            "DD_COLD_START_TRACING",
            "enableColdStartTracing",
            c.enable_cold_start_tracing,
        ),
        (
            "DD_PROFILING_ENABLED",
            "enableProfiling",
            c.enable_profiling,
        ),
        (
            "DD_ENCODE_AUTHORIZER_CONTEXT",
            "encodeAuthorizerContext",
            c.encode_authorizer_context,
        ),
        (
            "DD_DECODE_AUTHORIZER_CONTEXT",
            "decodeAuthorizerContext",
            c.decode_authorizer_context,
        ),
        ("DD_LLMOBS_ENABLED", "llmObsEnabled", c.llm_obs_enabled),
        (
            "DD_LLMOBS_AGENTLESS_ENABLED",
            "llmObsAgentlessEnabled",
            c.llm_obs_agentless_enabled,
        ),
        ("DD_LAMBDA_FIPS_MODE", "lambdaFips", c.lambda_fips),
    ];
    texts.extend(
        flags
            .into_iter()
            .map(|(var, param, v)| (var, param, v.map(text))),
    );
    for (var, param, value) in texts {
        if let Some(v) = value {
            let source = if var == "DD_TAGS" && c.git_data.is_some() {
                format!("{} + {}", source_of(&c, "tags"), source_of(&c, "gitData"))
            } else {
                source_of(&c, param)
            };
            set(edit, var, v, source);
        }
    }
    set_unless_extension(
        edit,
        "DD_LOGS_INJECTION",
        "injectLogContext",
        c.inject_log_context,
        "forced false: the extension injects the log context",
    );
    if c.capture_cloud_service_payload {
        for var in [
            "DD_TRACE_CLOUD_REQUEST_PAYLOAD_TAGGING",
            "DD_TRACE_CLOUD_RESPONSE_PAYLOAD_TAGGING",
        ] {
            set(
                edit,
                var,
                Value::String("all".into()),
                source_of(&c, "captureCloudServicePayload"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_urls_lose_scheme_and_credentials() {
        let table = [
            (
                "https://github.com/DataDog/repo.git",
                "github.com/DataDog/repo.git",
            ),
            (
                "https://user:token@github.com/DataDog/repo",
                "github.com/DataDog/repo",
            ),
            (
                "git@github.com:DataDog/repo.git",
                "github.com/DataDog/repo.git",
            ),
            ("ssh://git@gitlab.com/a/b", "gitlab.com/a/b"),
            ("github.com/a/b", "github.com/a/b"),
        ];
        for (url, expected) in table {
            assert_eq!(clean_repository_url(url), expected, "{url}");
        }
        assert_eq!(
            git_tags("abc123, git@github.com:o/r.git").unwrap(),
            "git.commit.sha:abc123,git.repository_url:github.com/o/r.git"
        );
        assert_eq!(git_tags("abc123"), None);
    }
}
