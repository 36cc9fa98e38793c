//! Environment variables (SPEC §2, §11): written as strings, never over a
//! value the user set (on the function or, for SAM, in
//! `Globals.Function.Environment.Variables`), except `DD_LOG_LEVEL`.

use std::borrow::Cow;
use std::rc::Rc;

use serde_json::map::Entry;
use serde_json::{Map, Value};

use super::function::{FunctionEdit, RuntimeFamily, record};
use crate::config::Config;
use crate::report::{Change, Origin, Report};

use crate::secrets::SECRET_VARIABLES;
use crate::template::lookup;

/// The user's variables map of a properties object, if readable.
fn variables(props: &Map<String, Value>) -> Option<&Map<String, Value>> {
    lookup::field(lookup::get(props, "Environment")?, "Variables")?.as_object()
}

/// Where the function's own variables are, found once per pass.
enum Own<'e> {
    /// No `Environment`: it is created (on these properties) with the first
    /// variable written.
    NoEnvironment(&'e mut Map<String, Value>),
    /// An `Environment` without `Variables`: added with the first variable.
    NoVariables(&'e mut Map<String, Value>),
    /// The variables map.
    Variables(&'e mut Map<String, Value>),
    /// `Environment` or `Variables` is an intrinsic: nothing can be written.
    Unreadable,
}

impl<'e> Own<'e> {
    /// Finds the variables of a properties object (no change made).
    fn find(props: &'e mut Map<String, Value>) -> Own<'e> {
        if !lookup::has(props, "Environment") {
            return Own::NoEnvironment(props);
        }
        let Some(Value::Object(env)) = lookup::get_mut(props, "Environment") else {
            return Own::Unreadable;
        };
        match lookup::get(env, "Variables") {
            None => Own::NoVariables(env),
            Some(Value::Object(_)) => match lookup::get_mut(env, "Variables") {
                Some(Value::Object(vars)) => Own::Variables(vars),
                _ => Own::Unreadable,
            },
            Some(_) => Own::Unreadable,
        }
    }
}

/// Writes a function's variables: its own map and SAM Globals' looked up
/// once, whatever the number of variables written.
struct Writer<'e> {
    id: &'e str,
    resource_type: &'static str,
    own: Own<'e>,
    globals: Option<&'e Map<String, Value>>,
    report: &'e mut Report,
}

impl<'e> Writer<'e> {
    fn new(edit: &'e mut FunctionEdit) -> Writer<'e> {
        let resource_type = edit.resource_type();
        Writer {
            id: &edit.id,
            resource_type,
            own: Own::find(&mut edit.props),
            globals: variables(&edit.globals),
            report: &mut edit.report,
        }
    }

    fn change(&mut self, change: Change) {
        record(self.report, self.id, self.resource_type, change);
    }

    /// The function's own variables map, created when absent; `None` (and
    /// an error recorded) when `Environment` or `Variables` is an intrinsic.
    fn variables_mut(&mut self) -> Option<&mut Map<String, Value>> {
        // The mapping at `key`, created when absent (`Own::find` has ruled
        // out a value there that is not one).
        fn mapping<'m>(
            map: &'m mut Map<String, Value>,
            key: &str,
        ) -> Option<&'m mut Map<String, Value>> {
            lookup::or_insert_with(map, key, || Value::Object(Map::new())).as_object_mut()
        }
        self.own = match std::mem::replace(&mut self.own, Own::Unreadable) {
            Own::NoEnvironment(props) => mapping(props, "Environment")
                .and_then(|env| mapping(env, "Variables"))
                .map_or(Own::Unreadable, Own::Variables),
            Own::NoVariables(env) => {
                mapping(env, "Variables").map_or(Own::Unreadable, Own::Variables)
            }
            other => other,
        };
        if let Own::Variables(vars) = &mut self.own {
            return Some(vars);
        }
        let id = self.id;
        self.report.error(
            Some(id),
            format!(
                "Resource {id} has Environment or Environment.Variables written as an intrinsic function, so Datadog's variables cannot be added; it was left unchanged. \
                 Write Environment.Variables as a mapping, or add {id} to the `exclude` parameter."
            ),
        );
        None
    }

    /// Sets a variable unless the user set it; records what happened.
    fn set(&mut self, name: &'static str, value: Value, source: Origin) {
        if !self.set_new(name, value, source) {
            self.kept(name);
        }
    }

    /// Sets a variable and records it, unless the user set it: then
    /// returns `false` and records nothing.
    fn set_new(&mut self, name: &'static str, value: Value, source: Origin) -> bool {
        let globals = self.globals;
        let recorded = self.report.wants_change(self.id);
        // Shown in the report (a copy) only when the report keeps it.
        let wanted = recorded && !SECRET_VARIABLES.contains(&name);
        let in_globals = || globals.is_some_and(|g| g.contains_key(name));
        let shown = match &mut self.own {
            // The usual case: one lookup finds the variable absent and adds it.
            Own::Variables(vars) => match vars.entry(name) {
                Entry::Vacant(slot) if !in_globals() => {
                    let value = slot.insert(into_env_value(value));
                    wanted.then(|| value.clone())
                }
                _ => return false,
            },
            _ => {
                if in_globals() {
                    return false;
                }
                let value = into_env_value(value);
                let Some(vars) = self.variables_mut() else {
                    return true;
                };
                let shown = wanted.then(|| value.clone());
                vars.insert(name.to_string(), value);
                shown
            }
        };
        if recorded {
            self.change(Change::EnvSet {
                name: Cow::Borrowed(name),
                value: shown,
                source,
            });
        }
        true
    }

    /// Records that the user's value of a variable was kept.
    fn kept(&mut self, name: &'static str) {
        if self.report.wants_change(self.id) {
            self.change(Change::EnvKept {
                name: Cow::Borrowed(name),
            });
        }
    }

    /// Sets a variable even over the user's value (only `DD_LOG_LEVEL`).
    fn force(&mut self, name: &'static str, value: Value, source: Origin) {
        let value = as_env_value(&value);
        if let Own::Variables(vars) = &self.own
            && vars.get(name) == Some(&value)
        {
            return;
        }
        let Some(vars) = self.variables_mut() else {
            return;
        };
        vars.insert(name.to_string(), value.clone());
        self.change(Change::EnvSet {
            name: Cow::Borrowed(name),
            value: Some(value),
            source,
        });
    }
}

/// A parameter value as an environment value: strings stay, booleans and
/// numbers become text, intrinsics are kept for CloudFormation to resolve.
pub fn as_env_value(value: &Value) -> Value {
    match value {
        Value::Bool(b) => text(*b),
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
pub fn set(edit: &mut FunctionEdit, name: &'static str, value: Value, source: impl Into<Origin>) {
    Writer::new(edit).set(name, value, source.into());
}

/// Sets a variable unless the user set it (on the function or in SAM
/// Globals); then returns `false` and records nothing.
pub fn set_new(
    edit: &mut FunctionEdit,
    name: &'static str,
    value: Value,
    source: impl Into<Origin>,
) -> bool {
    Writer::new(edit).set_new(name, value, source.into())
}

/// `NAME (where it came from)`, for the report.
pub fn source_of(config: &Config, name: &'static str) -> Origin {
    Origin::Parameter(name, config.source(name).cloned())
}

/// A boolean as an environment value: `"true"` or `"false"`.
pub fn text(b: bool) -> Value {
    Value::String(if b { "true" } else { "false" }.to_string())
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
fn set_unless_extension(
    plan: &mut Plan,
    config: &Config,
    name: &'static str,
    param: &'static str,
    value: bool,
    why: &'static str,
) {
    let (value, source) = if config.extension_enabled() {
        (false, Origin::from(why))
    } else {
        (value, source_of(config, param))
    };
    plan.set(name, text(value), source);
}

/// Writes every Datadog variable the parameters call for.
pub fn set_variables(edit: &mut FunctionEdit) {
    let c = Rc::clone(&edit.config);
    if edit.family == RuntimeFamily::Node
        && c.api_key_secret_arn.is_some()
        && !c.extension_enabled()
        && !c.flush_metrics_to_logs
    {
        let id = edit.id.clone();
        edit.error(format!(
            "Resource {id} is a Node.js function sending metrics synchronously (no extension and `flushMetricsToLogs: false`), which cannot read the API key from `apiKeySecretArn`. \
             Add the extension, set `flushMetricsToLogs: true`, or give the key with `apiKMSKey`."
        ));
        return;
    }
    let plan = c.derived().env.get_or_init(|| Plan::of(&c));
    let mut w = Writer::new(edit);
    for step in &plan.steps {
        match step {
            Step::Set(name, value, source) => w.set(name, value.clone(), source.clone()),
            Step::Force(name, value, source) => w.force(name, value.clone(), source.clone()),
        }
    }
}

/// One variable of a [`Plan`].
#[derive(Debug, Clone)]
enum Step {
    /// Set unless the user set it.
    Set(&'static str, Value, Origin),
    /// Set even over the user's value.
    Force(&'static str, Value, Origin),
}

/// The variables [`set_variables`] writes, in order, with their values and
/// sources: they depend on the configuration alone, so they are worked out
/// once per configuration (kept in [`Config::derived`]).
#[derive(Debug, Clone, Default)]
pub struct Plan {
    steps: Vec<Step>,
}

impl Plan {
    fn set(&mut self, name: &'static str, value: Value, source: Origin) {
        self.steps.push(Step::Set(name, value, source));
    }

    /// The variables the parameters call for.
    fn of(c: &Config) -> Plan {
        let mut plan = Plan::default();
        plan.fill(c);
        plan
    }

    fn fill(&mut self, c: &Config) {
        let ext = c.extension_enabled();
        let optional: [(&'static str, &'static str, &Option<Value>); 4] = [
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
                self.set(var, v.clone(), source_of(c, param));
            }
        }
        self.set(
            "DD_SITE",
            Value::String(c.site.clone()),
            source_of(c, "site"),
        );
        if let Some(level) = &c.log_level {
            self.steps.push(Step::Force(
                "DD_LOG_LEVEL",
                level.clone(),
                source_of(c, "logLevel"),
            ));
        }
        set_unless_extension(
            self,
            c,
            "DD_FLUSH_TO_LOG",
            "flushMetricsToLogs",
            c.flush_metrics_to_logs,
            "forced false: the extension sends metrics",
        );
        let always: [(&'static str, &'static str, bool); 4] = [
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
            self.set(var, text(value), source_of(c, param));
        }
        let mut texts: Vec<(&'static str, &'static str, Option<Value>)> = vec![
            ("DD_SERVICE", "service", c.service.clone()),
            ("DD_ENV", "env", c.env.clone()),
            (
                "DD_VERSION",
                "version",
                if ext { c.version.clone() } else { None },
            ),
            ("DD_TAGS", "tags", dd_tags(c)),
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
        let flags: [(&'static str, &'static str, Option<bool>); 7] = [
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
                    Origin::from(format!(
                        "{} + {}",
                        source_of(c, "tags"),
                        source_of(c, "gitData")
                    ))
                } else {
                    source_of(c, param)
                };
                self.set(var, v, source);
            }
        }
        set_unless_extension(
            self,
            c,
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
                self.set(
                    var,
                    Value::String("all".into()),
                    source_of(c, "captureCloudServicePayload"),
                );
            }
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
