//! Environment variables (SPEC §2, §11): written as strings, never over a
//! value the user set (on the function or, for SAM, in
//! `Globals.Function.Environment.Variables`), except `DD_LOG_LEVEL`.

use std::borrow::Cow;
use std::rc::Rc;

use serde_json::{Map, Value};

use super::function::{FunctionEdit, RuntimeFamily, record};
use crate::config::{Config, Kind, Param, Source};
use crate::report::{Change, Origin, Report};

use crate::secrets::is_secret_variable;
use crate::template::model::Entries;

/// The variables map of SAM `Globals.Function`, if readable.
fn variables(globals: &Map<String, Value>) -> Option<&Map<String, Value>> {
    globals.get("Environment")?.get("Variables")?.as_object()
}

/// Where the function's own variables are, found once per pass. Both
/// mappings are opened one level ([`Entries::mapping_mut`]): the user's
/// variables stay as written, only Datadog's are added.
enum Own<'e, 'p> {
    /// No `Environment`: it is created (on these properties) with the first
    /// variable written.
    NoEnvironment(&'e mut Entries<'p>),
    /// An `Environment` without `Variables`: added with the first variable.
    NoVariables(&'e mut Entries<'p>),
    /// The variables map.
    Variables(&'e mut Entries<'p>),
    /// `Environment` or `Variables` is an intrinsic: nothing can be written.
    Unreadable,
}

impl<'e, 'p> Own<'e, 'p> {
    /// Finds the variables of a properties object (no change made).
    fn find(props: &'e mut Entries<'p>) -> Own<'e, 'p> {
        if !props.contains_key("Environment") {
            return Own::NoEnvironment(props);
        }
        // An intrinsic (`!If`) is a mapping too, of one key: adding to it
        // would make it invalid.
        let Some(env) = props
            .mapping_mut("Environment")
            .filter(|env| !env.is_intrinsic())
        else {
            return Own::Unreadable;
        };
        if !env.contains_key("Variables") {
            return Own::NoVariables(env);
        }
        env.mapping_mut("Variables")
            .filter(|vars| !vars.is_intrinsic())
            .map_or(Own::Unreadable, Own::Variables)
    }
}

/// Writes a function's variables: its own map and SAM Globals' looked up
/// once, whatever the number of variables written.
struct Writer<'e, 'p> {
    id: &'e str,
    resource_type: &'static str,
    own: Own<'e, 'p>,
    globals: Option<&'e Map<String, Value>>,
    report: &'e mut Report,
}

impl<'e, 'p> Writer<'e, 'p> {
    fn new(edit: &'e mut FunctionEdit<'p>) -> Writer<'e, 'p> {
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
    fn variables_mut(&mut self) -> Option<&mut Entries<'p>> {
        self.own = match std::mem::replace(&mut self.own, Own::Unreadable) {
            Own::NoEnvironment(props) => props
                .mapping_or_insert("Environment")
                .and_then(|env| env.mapping_or_insert("Variables"))
                .map_or(Own::Unreadable, Own::Variables),
            Own::NoVariables(env) => env
                .mapping_or_insert("Variables")
                .map_or(Own::Unreadable, Own::Variables),
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

    /// Sets a variable unless the user set it; records what happened, and
    /// warns when a parameter given for this template loses to the user's
    /// different value.
    fn set(&mut self, name: &'static str, value: Value, source: Origin) {
        if let Some((value, source)) = self.try_set(name, value, source) {
            self.kept(name);
            self.warn_if_given_value_loses(name, &value, &source);
        }
    }

    /// Sets a variable and records it, unless the user set it: then
    /// returns `false` and records nothing.
    fn set_new(&mut self, name: &'static str, value: Value, source: Origin) -> bool {
        self.try_set(name, value, source).is_none()
    }

    /// [`Writer::set_new`], giving the value and its source back when the
    /// user set the variable.
    fn try_set(
        &mut self,
        name: &'static str,
        value: Value,
        source: Origin,
    ) -> Option<(Value, Origin)> {
        let globals = self.globals;
        let recorded = self.report.wants_change(self.id);
        // Shown in the report (a copy) only when the report keeps it.
        let wanted = recorded && !is_secret_variable(name);
        let in_globals = || globals.is_some_and(|g| g.contains_key(name));
        let shown = match &mut self.own {
            // The usual case: one lookup finds the variable absent and adds it.
            Own::Variables(vars) => {
                if vars.contains_key(name) || in_globals() {
                    return Some((value, source));
                }
                let value = into_env_value(value);
                let shown = wanted.then(|| value.clone());
                vars.insert_absent(name, value);
                shown
            }
            _ => {
                if in_globals() {
                    return Some((value, source));
                }
                let value = into_env_value(value);
                // `Environment` is an intrinsic: the error is recorded, and
                // there is no user's value to give back.
                let vars = self.variables_mut()?;
                let shown = wanted.then(|| value.clone());
                vars.insert(name, value);
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
        None
    }

    /// Warns when `value`, from a parameter given for this template (not a
    /// default, not the macro's site-wide environment), differs from the
    /// user's value of variable `name`, which is kept. Values that are
    /// intrinsics are not compared; a secret's are never shown.
    fn warn_if_given_value_loses(&mut self, name: &'static str, value: &Value, source: &Origin) {
        let Origin::Parameter(param, Some(given)) = source else {
            return;
        };
        if !given.is_explicit() {
            return;
        }
        let own = match &self.own {
            Own::Variables(vars) => vars.get(name),
            _ => None,
        };
        let (theirs, place) = match own {
            Some(theirs) => (theirs, OWN_VARIABLES),
            None => match self.globals.and_then(|g| g.get(name)) {
                Some(theirs) => (theirs, GLOBAL_VARIABLES),
                None => return,
            },
        };
        let (Some(theirs), Some(ours)) = (literal(theirs), literal(value)) else {
            return;
        };
        let same = match param.spec().kind {
            Kind::Bool => theirs.eq_ignore_ascii_case(&ours),
            _ => theirs == ours,
        };
        if same {
            return;
        }
        let id = self.id;
        let (theirs, ours) = if is_secret_variable(name) {
            (String::new(), "a different value".to_string())
        } else {
            (format!(" \"{theirs}\""), format!("\"{ours}\""))
        };
        let unshown = if is_secret_variable(name) {
            "; the values are not shown (a secret)"
        } else {
            ""
        };
        let over = format!("over {ours} from parameter `{param}` ({given}){unshown}");
        let fix = "Remove one of the two so that they cannot disagree";
        match (own, given) {
            // One cause for the whole template, said once: SAM Globals
            // against a parameter given for the template.
            (None, Source::Params | Source::Mappings) => self.report.warn(
                None,
                format!(
                    "The functions that inherit {name}{theirs} from {place} keep it {over}. {fix}."
                ),
            ),
            (Some(_), Source::Params | Source::Mappings) => self.report.warn(
                Some(id),
                format!(
                    "Resource {id} keeps its {name}{theirs} ({place}) {over}. {fix} (a value for this function alone goes in its Metadata.Datadog.Parameters)."
                ),
            ),
            _ => self.report.warn(
                Some(id),
                format!("Resource {id} keeps its {name}{theirs} ({place}) {over}. {fix}."),
            ),
        }
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
        vars.insert(name, value.clone());
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

/// Where a function's variables are written, for messages.
pub const OWN_VARIABLES: &str = "its Environment.Variables";
/// Where a SAM function inherits variables from, for messages.
pub const GLOBAL_VARIABLES: &str = "SAM Globals.Function.Environment.Variables";

/// The value the function has for variable `name`, and where: its own
/// ([`OWN_VARIABLES`]), else the one it inherits ([`GLOBAL_VARIABLES`]).
pub fn current<'e>(edit: &'e FunctionEdit, name: &str) -> Option<(&'e Value, &'static str)> {
    let own = edit.props.get_in(&["Environment", "Variables", name]);
    match own {
        Some(value) => Some((value, OWN_VARIABLES)),
        None => Some((variables(&edit.globals)?.get(name)?, GLOBAL_VARIABLES)),
    }
}

/// `NAME (where it came from)`, for the report.
pub fn source_of(config: &Config, param: Param) -> Origin {
    Origin::Parameter(param, config.source(param).cloned())
}

/// A variable's value as text, when it is known now (not an intrinsic).
fn literal(value: &Value) -> Option<String> {
    match as_env_value(value) {
        Value::String(text) => Some(text),
        _ => None,
    }
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
    let git = config.git_data.as_deref().and_then(git_tags);
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

/// Writes every Datadog variable the parameters call for; `plan` holds
/// them once worked out for the function's configuration.
pub fn set_variables(edit: &mut FunctionEdit, plan: &mut Option<Plan>) {
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
    let plan = plan.get_or_insert_with(|| Plan::of(&c));
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
/// once per configuration (kept in [`super::memo::Memo`]).
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

    /// In table order, each parameter's plain copy (declared with `.sets`
    /// in `config/params.rs`) or the rule below that writes its variable;
    /// then the copies of the switches without a default (set only when
    /// given); then the two variables of the last rules.
    fn fill(&mut self, c: &Config) {
        for &param in Param::ALL {
            match param {
                Param::log_level => {
                    if let Some(level) = &c.log_level {
                        let source = source_of(c, param);
                        self.steps
                            .push(Step::Force("DD_LOG_LEVEL", level.clone(), source));
                    }
                }
                Param::flush_metrics_to_logs => self.unless_extension(
                    c,
                    "DD_FLUSH_TO_LOG",
                    param,
                    "forced false: the extension sends metrics",
                ),
                Param::version => {
                    if let Some(version) = c.version.as_ref().filter(|_| c.extension_enabled()) {
                        self.set("DD_VERSION", version.clone(), source_of(c, param));
                    }
                }
                Param::tags => {
                    if let Some(tags) = dd_tags(c) {
                        let source = match c.git_data {
                            Some(_) => Origin::from(format!(
                                "{} + {}",
                                source_of(c, param),
                                source_of(c, Param::git_data)
                            )),
                            None => source_of(c, param),
                        };
                        self.set("DD_TAGS", tags, source);
                    }
                }
                _ if !param.is_optional_switch() => self.copy(c, param),
                _ => {}
            }
        }
        for &param in Param::ALL {
            if param.is_optional_switch() {
                self.copy(c, param);
            }
        }
        self.unless_extension(
            c,
            "DD_LOGS_INJECTION",
            Param::inject_log_context,
            "forced false: the extension injects the log context",
        );
        if c.capture_cloud_service_payload {
            for var in [
                "DD_TRACE_CLOUD_REQUEST_PAYLOAD_TAGGING",
                "DD_TRACE_CLOUD_RESPONSE_PAYLOAD_TAGGING",
            ] {
                let source = source_of(c, Param::capture_cloud_service_payload);
                self.set(var, Value::String("all".into()), source);
            }
        }
    }

    /// The variable `param` declares it is copied to, when it has a value.
    fn copy(&mut self, c: &Config, param: Param) {
        if let Some(name) = param.spec().sets
            && let Some(value) = c.value(param)
        {
            self.set(name, as_env_value(&value), source_of(c, param));
        }
    }

    /// Sets a boolean variable from its parameter, or `false` (saying why)
    /// when the extension does that job itself.
    fn unless_extension(
        &mut self,
        c: &Config,
        name: &'static str,
        param: Param,
        why: &'static str,
    ) {
        let (value, source) = if c.extension_enabled() {
            (false, Origin::from(why))
        } else {
            let value = c.value(param).and_then(|v| v.as_bool()).unwrap_or_default();
            (value, source_of(c, param))
        };
        self.set(name, text(value), source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MacroEnvironment;
    use crate::dry_run::{DryRunOptions, in_us_east_1, run};
    use crate::report::Severity;
    use serde_json::json;

    /// The warnings of a dry run of `template`, in us-east-1, with the
    /// macro environment `environment`.
    fn warnings(template: Value, environment: &[(&str, &str)]) -> Vec<String> {
        let options = DryRunOptions {
            transform_name: "DatadogServerless".into(),
            region: "us-east-1".into(),
            ..Default::default()
        };
        let environment = MacroEnvironment::from_pairs(environment.iter().copied());
        let outcome = run(&template, &options, &environment).unwrap();
        assert!(outcome.output.is_some(), "{:?}", outcome.report.diagnostics);
        outcome
            .report
            .warnings()
            .map(|w| w.message.clone())
            .collect()
    }

    #[test]
    fn an_intrinsic_environment_or_variables_is_an_error_and_left_unchanged() {
        for environment in [
            json!({"Fn::If": ["C", {"Variables": {"A": "a"}}, {"Variables": {"A": "b"}}]}),
            json!({"Variables": {"Fn::If": ["C", {"A": "a"}, {"A": "b"}]}}),
        ] {
            let template = json!({"Resources": {"F": {"Type": "AWS::Lambda::Function",
                "Properties": {"Runtime": "python3.12", "Handler": "app.handler",
                    "Role": "arn:aws:iam::123456789012:role/r", "Code": {"ZipFile": "x"},
                    "Environment": environment}}}});
            let outcome = in_us_east_1(&template);
            assert!(outcome.output.is_none(), "{environment}");
            let errors = outcome.messages(Severity::Error);
            assert!(
                errors.iter().any(|e| e.contains(
                    "Resource F has Environment or Environment.Variables written as an intrinsic function"
                )),
                "{environment}: {errors:?}"
            );
        }
    }

    /// A SAM template: `params` in its transform entry, `globals` as
    /// `Globals.Function.Environment.Variables`, one Python function `Fn`
    /// with `own` variables and, when given, its own Datadog parameters.
    fn sam(params: Value, globals: Value, own: Value, metadata: Option<Value>) -> Value {
        let mut function = json!({"Type": "AWS::Serverless::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "app.handler", "CodeUri": ".",
            "Environment": {"Variables": own}}});
        if let Some(parameters) = metadata {
            function["Metadata"] = json!({"Datadog": {"Parameters": parameters}});
        }
        json!({
            "Transform": ["AWS::Serverless-2016-10-31", {"Name": "DatadogServerless", "Parameters": params}],
            "Globals": {"Function": {"Environment": {"Variables": globals}}},
            "Resources": {"Fn": function}
        })
    }

    #[test]
    fn a_given_parameter_that_loses_to_the_template_is_a_warning_naming_both() {
        let template = sam(
            json!({"site": "datadoghq.eu", "env": "prod"}),
            json!({"DD_SITE": "datadoghq.com"}),
            json!({"DD_ENV": "staging"}),
            None,
        );
        assert_eq!(
            warnings(template, &[]),
            [
                "The functions that inherit DD_SITE \"datadoghq.com\" from SAM Globals.Function.Environment.Variables keep it over \"datadoghq.eu\" from parameter `site` (transform parameter). Remove one of the two so that they cannot disagree.",
                "Resource Fn keeps its DD_ENV \"staging\" (its Environment.Variables) over \"prod\" from parameter `env` (transform parameter). Remove one of the two so that they cannot disagree (a value for this function alone goes in its Metadata.Datadog.Parameters).",
            ]
        );
    }

    #[test]
    fn globals_that_win_over_a_template_parameter_are_one_warning_for_every_function() {
        let mut template = sam(
            json!({"site": "datadoghq.eu"}),
            json!({"DD_SITE": "datadoghq.com"}),
            json!({}),
            None,
        );
        let function = template["Resources"]["Fn"].clone();
        template["Resources"]["Other"] = function.clone();
        template["Resources"]["Third"] = function;
        assert_eq!(
            warnings(template, &[]),
            [
                "The functions that inherit DD_SITE \"datadoghq.com\" from SAM Globals.Function.Environment.Variables keep it over \"datadoghq.eu\" from parameter `site` (transform parameter). Remove one of the two so that they cannot disagree."
            ]
        );
    }

    #[test]
    fn mappings_and_metadata_are_named_as_where_the_value_came_from() {
        let mut template = sam(
            json!({}),
            json!({}),
            json!({"DD_SERVICE": "a", "DD_ENV": "b"}),
            Some(json!({"env": "c"})),
        );
        template["Mappings"] = json!({"Datadog": {"Parameters": {"service": "d"}}});
        let warnings = warnings(template, &[]);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0]
                .contains("over \"d\" from parameter `service` (Mappings.Datadog.Parameters)"),
            "{warnings:?}"
        );
        assert!(
            warnings[1]
                .contains("over \"c\" from parameter `env` (Fn Metadata.Datadog.Parameters)"),
            "{warnings:?}"
        );
    }

    #[test]
    fn no_warning_for_equal_values_defaults_the_macro_environment_or_intrinsics() {
        let template = sam(
            json!({"enableDDTracing": true, "service": "shop", "env": "prod"}),
            json!({"DD_TRACE_ENABLED": "True", "DD_SITE": "datadoghq.eu", "DD_VERSION": "2"}),
            json!({"DD_SERVICE": "shop", "DD_ENV": {"Ref": "AWS::StackName"}, "DD_TAGS": "a:b"}),
            None,
        );
        // DD_SITE differs from the default, DD_TAGS from the macro's
        // environment: neither was given for this template.
        assert_eq!(
            warnings(template, &[("DD_TAGS", "team:x")]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_secret_that_loses_is_named_without_either_value() {
        let template = sam(
            json!({"apiKey": "0f0e0d0c0b0a09080706050403020100", "extensionLayerVersion": 99}),
            json!({}),
            json!({"DD_API_KEY": "f0e0d0c0b0a090807060504030201000"}),
            None,
        );
        let warnings: Vec<String> = warnings(template, &[])
            .into_iter()
            .filter(|w| w.contains("DD_API_KEY"))
            .collect();
        assert_eq!(
            warnings,
            [
                "Resource Fn keeps its DD_API_KEY (its Environment.Variables) over a different value from parameter `apiKey` (transform parameter); the values are not shown (a secret). Remove one of the two so that they cannot disagree (a value for this function alone goes in its Metadata.Datadog.Parameters)."
            ]
        );
    }

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
