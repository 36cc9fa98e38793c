//! The settings of one resource: its own `Metadata.Datadog.Parameters`
//! over the global ones, and whether it is excluded (and whether `exclude`
//! names resources the template has).

use std::borrow::Cow;

use serde_json::Value;

use super::params::{Config, Param};
use super::suggest::closest;
use crate::report::Report;
use crate::template::model::Template;

/// Why a resource is left alone by the settings, if it is: listed in
/// `exclude`, or marked `Metadata: {Datadog: {Exclude: true}}` (`metadata`:
/// its `Metadata`).
pub fn exclusion_reason(
    id: &str,
    metadata: Option<&Value>,
    config: &Config,
) -> Option<&'static str> {
    if config.exclude.iter().any(|e| e == id) {
        return Some("excluded by the `exclude` parameter");
    }
    let exclude = metadata?.get("Datadog")?.get("Exclude")?;
    let excluded = exclude.as_bool() == Some(true)
        || exclude
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("true"));
    excluded.then_some("excluded by Metadata.Datadog.Exclude")
}

impl Config {
    /// Warns about each id of `exclude` that is not a resource of the
    /// template (a typo, a wrong case): it leaves nothing alone, and the
    /// resource meant is instrumented. The warning names the closest id.
    pub(super) fn warn_of_unknown_exclusions(&self, template: &Template<'_>, report: &mut Report) {
        let Some(resources) = template.resources() else {
            return;
        };
        for id in self.exclude.iter().filter(|id| !resources.contains_key(id)) {
            let hint = match closest(id, resources.keys()) {
                Some(meant) => format!("; did you mean `{meant}`?"),
                None => "; remove it or correct it.".to_string(),
            };
            report.warn(
                None,
                format!("parameter `exclude` lists `{id}`, which is not a resource of the template, so it leaves nothing alone{hint}"),
            );
        }
    }

    /// Each id of `subscribeLogGroups` must be an `AWS::Logs::LogGroup` of
    /// the template: another one is an error naming what it is (and, for
    /// an id that is no resource, the closest id of a log group).
    pub(super) fn check_subscribed_log_groups(&self, template: &Template<'_>, report: &mut Report) {
        const LOG_GROUP: &str = "AWS::Logs::LogGroup";
        for id in &self.subscribe_log_groups {
            let what = match template.resource_type(id) {
                Some(LOG_GROUP) => continue,
                Some(other) => format!("it is an {other}"),
                None if template.contains(id) => "it is not a resource mapping".to_string(),
                None => {
                    let groups = template.resources_of_types(&[LOG_GROUP]).map(|(g, _)| g);
                    match closest(id, groups) {
                        Some(meant) => {
                            format!("there is no such resource; did you mean `{meant}`?")
                        }
                        None => "there is no such resource".to_string(),
                    }
                }
            };
            report.error(
                None,
                format!("parameter `subscribeLogGroups` lists `{id}`, which is not an {LOG_GROUP} of this template ({what}): list log groups the template declares (a log group outside it is subscribed by hand)."),
            );
        }
    }

    /// The configuration for one resource (`metadata`: its `Metadata`):
    /// this one, or with the resource's `Metadata.Datadog.Parameters` merged
    /// over it. `None` when those are invalid; the problems, naming the
    /// resource, are then in `report`. A resource's own `strict` is noted
    /// in `report`: it decides whether warnings about it fail the transform.
    pub fn for_resource<'c>(
        &'c self,
        id: &str,
        metadata: Option<&Value>,
        report: &mut Report,
    ) -> Option<Cow<'c, Config>> {
        let overrides = metadata
            .and_then(|m| m.get("Datadog"))
            .and_then(|d| d.get("Parameters"));
        match overrides {
            None => Some(Cow::Borrowed(self)),
            Some(Value::Object(o)) => {
                let errors_before = report.errors().count();
                let config = self.with_overrides(id, o, report);
                if config.is_own(Param::strict) {
                    report.set_strict_for(id, config.strict);
                }
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
