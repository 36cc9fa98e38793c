//! Where parameters come from, merged key by key with their provenance.
//!
//! Four sources, highest priority first: the transform's `params`,
//! `Mappings.Datadog.Parameters` in the fragment, the macro Lambda's own
//! `DD_*` environment, and the defaults. A resource's
//! `Metadata.Datadog.Parameters` goes over all of them for that resource.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::params::{API_KEY_PARAMS, Config, PARAMS, Param};
use super::spec::Kind;
use super::{ConfigInputs, prefix};
use crate::report::Report;
use crate::template::intrinsics::{intrinsic_name, is_intrinsic};

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
    /// Whether the value was given for this template (its transform entry,
    /// its Mappings, a resource's Metadata), rather than a default or the
    /// macro's site-wide environment.
    pub fn is_explicit(&self) -> bool {
        matches!(
            self,
            Source::Params | Source::Mappings | Source::Metadata(_)
        )
    }

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

/// The parameters' values as given, before typing: per parameter, the
/// value of the highest-priority source that gave one, and that source.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Merged {
    values: BTreeMap<Param, (Value, Source)>,
}

impl Merged {
    /// The defaults, then the macro's environment over them.
    fn lowest(environment: &MacroEnvironment) -> Merged {
        let mut merged = Merged::default();
        for &param in Param::ALL {
            if let Some(default) = param.spec().default_value() {
                merged.values.insert(param, (default, Source::Default));
            }
        }
        for &param in Param::ALL {
            if let Some(var) = param.spec().macro_env
                && let Some(text) = environment.get(var)
            {
                let value = match param.spec().kind {
                    // "the text `true` means true"
                    Kind::Bool => Value::Bool(text.eq_ignore_ascii_case("true")),
                    _ => Value::String(text.to_string()),
                };
                merged
                    .values
                    .insert(param, (value, Source::MacroEnvironment(var)));
            }
        }
        merged
    }

    /// Merges one source of parameters over these, reporting unknown names.
    fn merge(
        &mut self,
        layer: &Map<String, Value>,
        source: Source,
        resource: Option<&str>,
        report: &mut Report,
    ) {
        for (name, value) in layer {
            match Param::from_name(name) {
                Some(param) if resource.is_some() && param.spec().template_wide => {
                    report.error(
                        resource,
                        format!(
                            "{}`{name}` applies to the whole template, not to one resource: give it in the transform's parameters (or Mappings.Datadog.Parameters).",
                            prefix(resource)
                        ),
                    );
                }
                Some(param) => {
                    self.values.insert(param, (value.clone(), source.clone()));
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

    /// The four API-key parameters are one setting: a key given by a
    /// higher-priority source (say `apiKMSKey` in the transform's
    /// parameters) replaces whatever key lower ones gave (say the macro's
    /// site-wide `DD_API_KEY`), instead of conflicting with it. Two keys from
    /// the same source still conflict.
    fn keep_one_api_key_source(&mut self) {
        let best = API_KEY_PARAMS
            .iter()
            .filter_map(|p| self.values.get(p))
            .filter(|(v, _)| v.as_str() != Some(""))
            .map(|(_, s)| s.rank())
            .max();
        if let Some(best) = best {
            self.values
                .retain(|p, (_, s)| !API_KEY_PARAMS.contains(p) || s.rank() == best);
        }
    }

    /// The values in the order their problems are reported (by name).
    fn by_name(&self) -> Vec<(Param, &Value, &Source)> {
        let mut values: Vec<_> = self.values.iter().map(|(p, (v, s))| (*p, v, s)).collect();
        values.sort_by_key(|(p, _, _)| p.name());
        values
    }
}

/// Why an intrinsic function is no value for a parameter whose value the
/// transform needs (the rest of the sentence `parameter `name` ...`).
fn not_literal(value: &Value) -> String {
    format!(
        "must be a literal value, known when the transform runs, not the intrinsic function {}: CloudFormation resolves intrinsics only after the macro has run. Write the value itself.",
        intrinsic_name(value).unwrap_or_default()
    )
}

/// The known parameter closest to an unknown name, when close enough.
pub fn closest_name(unknown: &str) -> Option<&'static str> {
    let names = PARAMS
        .iter()
        .flat_map(|s| std::iter::once(s.name).chain(s.aliases.iter().copied()));
    super::suggest::closest(unknown, names)
        .and_then(Param::from_name)
        .map(Param::name)
}

impl Config {
    /// Builds the global configuration. Every problem is recorded in
    /// `report` (all of them, not only the first); the returned config then
    /// holds defaults in place of the bad values.
    pub fn build(inputs: ConfigInputs<'_>, report: &mut Report) -> Config {
        let mut merged = Merged::lowest(inputs.environment);
        if let Some(mappings) = inputs
            .template
            .section("Mappings")
            .and_then(|m| m.get("Datadog"))
            .and_then(|d| d.get("Parameters"))
        {
            match mappings.as_object() {
                Some(map) => merged.merge(map, Source::Mappings, None, report),
                None => report.error(
                    None,
                    "Mappings.Datadog.Parameters must be a mapping of parameter names to values",
                ),
            }
        }
        merged.merge(inputs.params, Source::Params, None, report);
        let config = Config::from_merged(merged, None, report);
        config.warn_of_unknown_exclusions(inputs.template, report);
        config.check_subscribed_log_groups(inputs.template, report);
        config
    }

    /// The configuration for one resource whose `Metadata.Datadog.Parameters`
    /// overrides some parameters; problems name the resource.
    pub fn with_overrides(
        &self,
        resource: &str,
        overrides: &Map<String, Value>,
        report: &mut Report,
    ) -> Config {
        let mut merged = self.merged.clone();
        merged.merge(
            overrides,
            Source::Metadata(resource.to_string()),
            Some(resource),
            report,
        );
        // One message per cause: what the global parameters alone give
        // (already said for the template) is not said again for the resource.
        let mut own = Report::default();
        let config = Config::from_merged(merged, Some(resource), &mut own);
        let mut global = Report::default();
        Config::from_merged(self.merged.clone(), Some(resource), &mut global);
        own.diagnostics.retain(|d| !global.diagnostics.contains(d));
        report.merge(own);
        config
    }

    /// Types the merged values, checks them, and validates the whole (the
    /// rules between parameters leave out those given a value they refused:
    /// one message per cause).
    fn from_merged(mut merged: Merged, resource: Option<&str>, report: &mut Report) -> Config {
        merged.keep_one_api_key_source();
        let mut values = BTreeMap::new();
        let mut sources = BTreeMap::new();
        let mut refused = BTreeSet::new();
        for (param, value, source) in merged.by_name() {
            let spec = param.spec();
            // An empty string means "not set" (CloudFormation parameters often default to "").
            if value.as_str() == Some("") && spec.kind != Kind::Text {
                continue;
            }
            let problem = match spec.kind.normalize(value) {
                Ok(value) if spec.literal && is_intrinsic(&value) => Some(not_literal(&value)),
                Ok(value) => {
                    let broken = spec.check.zip(value.as_str()).map(|(check, s)| check(s));
                    values.insert(param, value);
                    sources.insert(param, source.clone());
                    broken.and_then(Result::err)
                }
                Err(why) => Some(why),
            };
            if let Some(why) = problem {
                refused.insert(param);
                report.error(
                    resource,
                    format!("{}parameter `{}` {why}", prefix(resource), spec.name),
                );
            }
        }
        let config = Config::from_values(&values, sources, merged);
        config.validate(resource, &refused, report);
        config
    }

    /// Where a parameter's value came from, if it has one.
    pub fn source(&self, param: Param) -> Option<&Source> {
        self.sources.get(&param)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_canonical_names() {
        assert_eq!(
            closest_name("pythonLayerVerison"),
            Some("pythonLayerVersion")
        );
        assert_eq!(
            closest_name("coldStartTraceMinDuraton"),
            Some("minColdStartTraceDuration")
        );
        assert_eq!(closest_name("sevice"), Some("service"));
        assert_eq!(closest_name("completelyUnrelated"), None);
    }

    #[test]
    fn the_environment_keeps_only_the_table_variables() {
        let env = MacroEnvironment::from_pairs([
            ("DD_SITE", "datadoghq.eu"),
            ("HOME", "/root"),
            ("DD_ENV", ""),
        ]);
        assert_eq!(env.get("DD_SITE"), Some("datadoghq.eu"));
        assert_eq!(env.get("HOME"), None);
        assert_eq!(env.get("DD_ENV"), None, "empty is unset");
    }
}
