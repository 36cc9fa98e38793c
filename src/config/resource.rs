//! The settings of one resource: its own `Metadata.Datadog.Parameters`
//! over the global ones, and whether it is excluded.

use std::borrow::Cow;

use serde_json::Value;

use super::params::Config;
use crate::report::Report;

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
    ) -> Option<Cow<'c, Config>> {
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
