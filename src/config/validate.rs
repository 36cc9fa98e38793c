//! Validation that involves only parameters (SPEC §2): the checks one
//! parameter's literal values must pass (declared in the table with
//! `.check`), and the rules between parameters.

use std::collections::BTreeSet;

use super::params::{API_KEY_PARAMS, Config, Param};
use super::prefix;
use super::values::AppSecMode;
use crate::report::Report;
use crate::template::intrinsics::{intrinsic_name, is_intrinsic};

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

/// `site`: one of Datadog's [`SITES`].
pub(super) fn site(site: &str) -> Result<(), String> {
    if SITES.iter().any(|s| s.eq_ignore_ascii_case(site)) {
        return Ok(());
    }
    Err(format!(
        "is \"{site}\", which is not a Datadog site; use one of: {}.",
        SITES.join(", ")
    ))
}

/// `useLayersFromAccount`: an AWS account id.
pub(super) fn account_id(account: &str) -> Result<(), String> {
    if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    Err("must be a 12-digit AWS account id.".to_string())
}

/// `llmObsMlApp`: what Datadog accepts as an ML application's name.
pub(super) fn ml_app(app: &str) -> Result<(), String> {
    let valid = (1..=193).contains(&app.chars().count())
        && app
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.' | '/'));
    if valid {
        return Ok(());
    }
    Err("must be 1 to 193 characters among letters, digits and _ - : . /".to_string())
}

/// `imageRuntime`: a language whose handler the macro knows (empty: not set).
pub(super) fn image_runtime(runtime: &str) -> Result<(), String> {
    if runtime.is_empty() || super::ImageRuntime::from_name(runtime).is_some() {
        return Ok(());
    }
    Err(format!("must be `python` or `node`, not \"{runtime}\"."))
}

/// `customHandler`: what Lambda accepts as a `Handler` (1 to 128
/// characters, no whitespace).
pub(super) fn handler(handler: &str) -> Result<(), String> {
    if (1..=128).contains(&handler.chars().count()) && !handler.contains(char::is_whitespace) {
        return Ok(());
    }
    Err("must be a Lambda handler: 1 to 128 characters, no whitespace.".to_string())
}

/// Per layer, its version parameter and its ARN parameter: at most one of
/// the two may be given.
const LAYER_VERSION_OR_ARN: [(Param, Param); 6] = [
    (Param::python_layer_version, Param::python_layer_arn),
    (Param::node_layer_version, Param::node_layer_arn),
    (Param::dotnet_layer_version, Param::dotnet_layer_arn),
    (Param::java_layer_version, Param::java_layer_arn),
    (Param::ruby_layer_version, Param::ruby_layer_arn),
    (Param::extension_layer_version, Param::extension_layer_arn),
];

impl Config {
    /// The rules between parameters. A parameter in `refused` was given a
    /// value its check refused (an error said so): it counts as given, and
    /// a rule that needs its value is not applied, so that one bad value
    /// gives one message (an `apiKeySecretArn` that is not an ARN is not
    /// also "no API key").
    pub(super) fn validate(
        &self,
        resource: Option<&str>,
        refused: &BTreeSet<Param>,
        report: &mut Report,
    ) {
        let pre = prefix(resource);
        let is_refused = |p: Param| refused.contains(&p);
        let set_keys: Vec<Param> = API_KEY_PARAMS
            .into_iter()
            .filter(|p| self.source(*p).is_some() || is_refused(*p))
            .collect();
        if set_keys.len() > 1 {
            let listed: Vec<String> = set_keys.iter().map(|p| format!("`{}`", p.name())).collect();
            report.error(
                resource,
                format!(
                    "{pre}{} should not be set at the same time; give the API key one way only.",
                    join_and(&listed)
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
            && !is_refused(Param::extension_layer_version)
            && !is_refused(Param::extension_layer_arn)
        {
            report.error(
                resource,
                format!(
                    "{pre}`addExtension` is true but no `extensionLayerVersion` was given; with `useLayersFromAccount` there is no bundled default, so set `extensionLayerVersion` or `extensionLayerArn`."
                ),
            );
        }
        if self.llm_obs_enabled == Some(true)
            && self.llm_obs_ml_app.is_none()
            && !is_refused(Param::llm_obs_ml_app)
        {
            report.error(
                resource,
                format!("{pre}`llmObsEnabled` is true but `llmObsMlApp` is not set; set it to your ML application's name."),
            );
        }
        for (by_version, by_arn) in LAYER_VERSION_OR_ARN {
            if self.is_given(by_version) && self.is_given(by_arn) {
                report.error(
                    resource,
                    format!("{pre}both `{by_version}` and `{by_arn}` are set for the same layer; keep only one."),
                );
            }
        }
        if self.lambda_fips == Some(true)
            && !self.site.eq_ignore_ascii_case("ddog-gov.com")
            && !is_refused(Param::site)
        {
            report.warn(
                resource,
                format!(
                    "{pre}`lambdaFips` is true but the site is {}; FIPS endpoints exist only for ddog-gov.com.",
                    self.site
                ),
            );
        }
        if let Some(tags) = self.tags.as_ref().filter(|t| is_intrinsic(t))
            && (self.forwarder_arn.is_some() || self.step_function_forwarder_arn.is_some())
        {
            report.warn(
                resource,
                format!(
                    "{pre}the `tags` parameter is the intrinsic function {}, which the macro cannot split into the resource tags it adds for the Datadog Forwarder (on functions with `forwarderArn`, on state machines): only DD_TAGS gets it. Give `tags` as literal text (`key:value,key:value`) to have those tags.",
                    intrinsic_name(tags).unwrap_or_default()
                ),
            );
        }
        self.validate_app_sec(resource, report);
        self.validate_custom_handler(resource, report);
        self.validate_log_forwarding(resource, report);
        if self.source(Param::api_key).is_some() {
            report.warn(
                resource,
                format!("{pre}the API key is given in plain text (`apiKey`); it will be visible in the function's configuration: prefer `apiKeySecretArn`."),
            );
        }
    }
}

impl Config {
    /// `appSecMode` needs Datadog tracing (whichever mode: App and API
    /// Protection reports through traces). What each function needs beyond
    /// that is checked by `lambda::appsec`, which knows its runtime.
    fn validate_app_sec(&self, resource: Option<&str>, report: &mut Report) {
        let mode = self.app_sec_mode;
        if mode == AppSecMode::Off {
            return;
        }
        let pre = prefix(resource);
        if !self.enable_dd_tracing {
            report.error(
                resource,
                format!(
                    "{pre}`appSecMode: {}` needs Datadog tracing, which `enableDDTracing: false` turns off: set `enableDDTracing: true`, or `appSecMode: off`.",
                    mode.name()
                ),
            );
        }
        if self.site.eq_ignore_ascii_case("us2.ddog-gov.com") {
            report.warn(
                resource,
                format!(
                    "{pre}`appSecMode` is {} but the site is {}, where Datadog does not offer App and API Protection.",
                    mode.name(),
                    self.site
                ),
            );
        }
    }

    /// `customHandler` replaces the handler that `redirectHandlers: false`
    /// leaves alone: both at once is a mistake, unless the `false` is a
    /// function's own setting (that function keeps its handler).
    fn validate_custom_handler(&self, resource: Option<&str>, report: &mut Report) {
        if self.custom_handler.is_none() || self.redirect_handlers {
            return;
        }
        let own = |p: Param| self.is_own(p);
        if own(Param::redirect_handlers) && !own(Param::custom_handler) {
            return;
        }
        report.error(
            resource,
            format!(
                "{}`customHandler` has no effect with `redirectHandlers: false`, which leaves handlers alone: remove one of the two.",
                prefix(resource)
            ),
        );
    }
}

impl Config {
    /// What the log-group parameters need: the options that subscribe more
    /// log groups send them to `forwarderArn`; `disableCloudWatchLogs`
    /// needs the Extension to ship the logs instead, which
    /// `enableDDLogs: false` stops (whether each function gets the
    /// Extension is checked by `lambda::cloudwatch_logs`).
    fn validate_log_forwarding(&self, resource: Option<&str>, report: &mut Report) {
        if resource.is_none() && self.forwarder_arn.is_none() {
            let without = |what: &str| {
                format!(
                    "{what} sends log groups to the Datadog Forwarder, but `forwarderArn` is not set: set it, or remove {what}."
                )
            };
            if self.subscribe_to_execution_logs {
                report.error(None, without("`subscribeToExecutionLogs: true`"));
            }
            if !self.subscribe_log_groups.is_empty() {
                report.error(None, without("`subscribeLogGroups`"));
            }
            if self.create_forwarder_permissions && self.step_function_forwarder_arn.is_none() {
                report.warn(
                    None,
                    "`createForwarderPermissions` is true, but neither `forwarderArn` nor `stepFunctionForwarderArn` is set, so no log group is subscribed and it does nothing.",
                );
            }
        }
        // Said once for the template, and again only for a resource whose
        // own parameters set either.
        let own = |p: Param| self.is_own(p);
        let said = resource.is_some()
            && !own(Param::disable_cloud_watch_logs)
            && !own(Param::enable_dd_logs);
        if self.disable_cloud_watch_logs && !self.enable_dd_logs && !said {
            report.error(
                resource,
                format!(
                    "{}`disableCloudWatchLogs: true` stops functions writing to CloudWatch Logs, and `enableDDLogs: false` stops the Extension shipping their logs: they would be lost. Set `enableDDLogs: true`, or remove `disableCloudWatchLogs`.",
                    prefix(resource)
                ),
            );
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_of_literal_values() {
        assert!(site("DatadogHQ.eu").is_ok());
        assert_eq!(
            site("datadog.com").unwrap_err(),
            format!(
                "is \"datadog.com\", which is not a Datadog site; use one of: {}.",
                SITES.join(", ")
            )
        );
        assert!(account_id("123456789012").is_ok());
        assert!(account_id("12345678901a").is_err());
        assert!(ml_app("shop-assistant:v1/a.b_c").is_ok());
        assert!(ml_app("bad app!").is_err() && ml_app("").is_err());
        assert!(ml_app(&"a".repeat(194)).is_err());
        assert!(image_runtime("Python").is_ok() && image_runtime("").is_ok());
        assert!(handler("index.handler").is_ok() && handler("com.example::handle").is_ok());
        assert!(handler("").is_err() && handler("a b").is_err());
        assert!(handler(&"h".repeat(128)).is_ok() && handler(&"h".repeat(129)).is_err());
        assert_eq!(
            image_runtime("go").unwrap_err(),
            "must be `python` or `node`, not \"go\"."
        );
    }

    #[test]
    fn lists_read_as_sentences() {
        let items = |n: usize| (1..=n).map(|i| i.to_string()).collect::<Vec<_>>();
        assert_eq!(join_and(&items(1)), "1");
        assert_eq!(join_and(&items(2)), "1 and 2");
        assert_eq!(join_and(&items(3)), "1, 2 and 3");
    }
}
