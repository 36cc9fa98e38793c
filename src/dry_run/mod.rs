//! Local dry runs: turning a template file into the macro event
//! CloudFormation would send, and the macro's answer back into a deployable
//! template.
//!
//! The parameters come from the template's own `Transform` entry named
//! `DatadogServerless` (or another name), with `Ref`s to template parameters
//! resolved the way CloudFormation does before calling a macro; single keys
//! can be overridden. The output keeps every other transform (the SAM one
//! above all) and drops ours, so it can be deployed as it is.
//!
//! Around that: [`input`] reads templates and events, `output` writes
//! the result as an edit of the user's own file (`crate::edit`) or, when
//! it cannot, as a full rendering, with the diff of the file against it;
//! `labelled` renders a template knowing which resource each line is
//! for, and `diff` compares such texts; [`overrides`] reads
//! `--parameter-overrides`, and [`command`] is the CLI's commands (strict
//! mode, where the report goes, the diff) as functions the tests reach,
//! [`examples`] the examples their `--help` ends with.

pub mod command;
pub(crate) mod diff;
pub mod examples;
pub mod input;
mod labelled;
mod output;
pub mod overrides;

use serde_json::{Map, Value};

use crate::MacroRequest;
use crate::template::intrinsics::ref_target;

/// The default name of the transform, as users write it in `Transform`.
pub const DEFAULT_TRANSFORM_NAME: &str = "DatadogServerless";

/// What a dry run is told besides the template.
#[derive(Debug, Clone, Default)]
pub struct DryRunOptions {
    /// Name of our entry in `Transform`.
    pub transform_name: String,
    /// `--param NAME=VALUE`, overriding single keys of the entry's parameters.
    pub params: Vec<(String, String)>,
    /// `--parameter-overrides`: values of template parameters, in the order
    /// given (the last of a name wins).
    pub parameter_overrides: Vec<(String, String)>,
    /// The stack's region.
    pub region: String,
    /// The stack's account id.
    pub account_id: String,
    /// The stack's name.
    pub stack_name: String,
}

/// Why a dry run could not be prepared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DryRunError {
    /// Our transform entry is malformed.
    #[error("the `{name}` entry of Transform is malformed: {why}")]
    BadTransformEntry {
        /// The transform name.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// `--parameter-overrides` names a parameter the template does not declare.
    #[error(
        "--parameter-overrides gives `{name}`, which the template does not declare in Parameters{hint}"
    )]
    UndeclaredOverride {
        /// The name given.
        name: String,
        /// The closest declared name, or the names declared.
        hint: String,
    },
    /// `--parameter-overrides` gives a value the parameter's `AllowedValues`
    /// or `AllowedPattern` refuses.
    #[error("--parameter-overrides gives `{name}` a value the template refuses: {why}")]
    RefusedOverride {
        /// The parameter.
        name: String,
        /// The rule broken.
        why: String,
    },
    /// The template's record of an earlier bake cannot be read, or the
    /// new one has no place.
    #[error(transparent)]
    Record(#[from] crate::record::RecordError),
    /// A `Ref` in the transform's parameters cannot be resolved.
    #[error(
        "transform parameter `{param}` refers to template parameter `{target}`, which has no Default; give its value with --parameter-overrides {target}=VALUE"
    )]
    UnresolvedRef {
        /// The macro parameter.
        param: String,
        /// The template parameter it refers to.
        target: String,
    },
}

/// A prepared dry run: the event to send, and whether our entry was found.
#[derive(Debug, Clone)]
pub struct PreparedRun {
    /// The macro event, as CloudFormation would send it.
    pub request: MacroRequest,
    /// Whether the template lists our transform (otherwise defaults are used).
    pub entry_found: bool,
}

/// The value of a pseudo parameter or template parameter for the dry run.
fn parameter_value(name: &str, template: &Value, options: &DryRunOptions) -> Option<Value> {
    match name {
        "AWS::Region" => return Some(Value::String(options.region.clone())),
        "AWS::AccountId" => return Some(Value::String(options.account_id.clone())),
        "AWS::StackName" => return Some(Value::String(options.stack_name.clone())),
        "AWS::Partition" => {
            return Some(Value::String(
                crate::partition_of(&options.region).to_string(),
            ));
        }
        "AWS::URLSuffix" => return Some(Value::String("amazonaws.com".to_string())),
        _ => {}
    }
    if let Some((_, v)) = options
        .parameter_overrides
        .iter()
        .rev()
        .find(|(k, _)| k == name)
    {
        return Some(Value::String(v.clone()));
    }
    let default = template.get("Parameters")?.get(name)?.get("Default")?;
    Some(match default {
        Value::String(_) => default.clone(),
        Value::Array(items) => Value::String(
            items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| i.to_string())
                })
                .collect::<Vec<_>>()
                .join(","),
        ),
        other => Value::String(other.to_string()),
    })
}

/// The entries of the `Transform` section as a list.
fn transform_entries(template: &Value) -> Vec<Value> {
    match template.get("Transform") {
        Some(Value::Array(items)) => items.clone(),
        Some(other @ (Value::String(_) | Value::Object(_))) => vec![other.clone()],
        _ => Vec::new(),
    }
}

fn entry_name(entry: &Value) -> Option<&str> {
    match entry {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("Name").and_then(Value::as_str),
        _ => None,
    }
}

/// Whether the template's `Transform` section lists `name`.
pub fn lists_transform(template: &Value, name: &str) -> bool {
    transform_entries(template)
        .iter()
        .any(|e| entry_name(e) == Some(name))
}

/// Builds the macro event for a template.
pub fn prepare(template: &Value, options: &DryRunOptions) -> Result<PreparedRun, DryRunError> {
    overrides::check(template, &options.parameter_overrides)?;
    let name = &options.transform_name;
    let entry = transform_entries(template)
        .into_iter()
        .find(|e| entry_name(e) == Some(name.as_str()));
    let entry_found = entry.is_some();
    let mut params = Map::new();
    if let Some(Value::Object(entry)) = &entry {
        match entry.get("Parameters") {
            None | Some(Value::Null) => {}
            Some(Value::Object(given)) => {
                for (key, value) in given {
                    let value = match ref_target(value) {
                        Some(target) => {
                            parameter_value(target, template, options).ok_or_else(|| {
                                DryRunError::UnresolvedRef {
                                    param: key.clone(),
                                    target: target.to_string(),
                                }
                            })?
                        }
                        None => value.clone(),
                    };
                    params.insert(key.clone(), value);
                }
            }
            Some(_) => {
                return Err(DryRunError::BadTransformEntry {
                    name: name.clone(),
                    why: "its Parameters must be a mapping".to_string(),
                });
            }
        }
    }
    for (key, value) in &options.params {
        params.insert(key.clone(), Value::String(value.clone()));
    }
    let mut template_parameter_values = Map::new();
    if let Some(Value::Object(declared)) = template.get("Parameters") {
        for key in declared.keys() {
            if let Some(v) = parameter_value(key, template, options) {
                template_parameter_values.insert(key.clone(), v);
            }
        }
    }
    let mut fragment = template.clone();
    if let Value::Object(map) = &mut fragment {
        map.shift_remove("Transform");
    }
    Ok(PreparedRun {
        request: MacroRequest {
            region: options.region.clone(),
            account_id: options.account_id.clone(),
            fragment,
            transform_id: format!("{}::{name}", options.account_id),
            params,
            request_id: "dry-run".to_string(),
            template_parameter_values,
        },
        entry_found,
    })
}

/// The deployable template: the transformed fragment with the original
/// `Transform` section put back in its place, minus our own entry.
pub fn finish(original: &Value, transformed: Value, transform_name: &str) -> Value {
    let (Value::Object(original_map), Value::Object(mut new_map)) = (original, transformed.clone())
    else {
        return transformed;
    };
    let remaining: Vec<Value> = transform_entries(original)
        .into_iter()
        .filter(|e| entry_name(e) != Some(transform_name))
        .collect();
    let new_transform = match (original_map.get("Transform"), remaining.len()) {
        (None, _) | (_, 0) => None,
        (Some(Value::Array(_)), _) => Some(Value::Array(remaining)),
        (Some(_), _) => remaining.into_iter().next(),
    };
    let mut out = Map::with_capacity(new_map.len() + 1);
    for key in original_map.keys() {
        if key == "Transform" {
            if let Some(t) = &new_transform {
                out.insert(key.clone(), t.clone());
            }
        } else if let Some(v) = new_map.shift_remove(key) {
            out.insert(key.clone(), v);
        }
    }
    // Sections the transform added come last.
    out.extend(new_map);
    Value::Object(out)
}

/// Splits `NAME=VALUE` (for clap value parsers).
pub fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{text}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn options() -> DryRunOptions {
        DryRunOptions {
            transform_name: DEFAULT_TRANSFORM_NAME.into(),
            region: "eu-west-1".into(),
            account_id: "123456789012".into(),
            stack_name: "demo".into(),
            ..Default::default()
        }
    }

    #[test]
    fn reads_params_from_transform_entry_and_resolves_refs() {
        let t = json!({
            "Transform": ["AWS::Serverless-2016-10-31", {"Name": "DatadogServerless", "Parameters": {
                "service": {"Ref": "Svc"}, "env": {"Ref": "Env"}, "stackName": {"Ref": "AWS::StackName"}, "site": "datadoghq.eu"}}],
            "Parameters": {"Svc": {"Type": "String", "Default": "shop"}, "Env": {"Type": "String"}},
            "Resources": {}
        });
        let mut o = options();
        o.parameter_overrides = vec![("Env".into(), "prod".into())];
        o.params = vec![("site".into(), "datadoghq.com".into())];
        let run = prepare(&t, &o).unwrap();
        assert!(run.entry_found);
        assert_eq!(
            Value::Object(run.request.params.clone()),
            json!({"service": "shop", "env": "prod", "stackName": "demo", "site": "datadoghq.com"})
        );
        assert!(run.request.fragment.get("Transform").is_none());
        assert_eq!(run.request.template_parameter_values["Env"], "prod");
    }

    #[test]
    fn unresolved_ref_is_an_error_naming_the_fix() {
        let t = json!({"Transform": {"Name": "DatadogServerless", "Parameters": {"env": {"Ref": "Env"}}},
            "Parameters": {"Env": {"Type": "String"}}, "Resources": {}});
        let e = prepare(&t, &options()).unwrap_err().to_string();
        assert!(e.contains("--parameter-overrides Env=VALUE"), "{e}");
    }

    #[test]
    fn finish_drops_our_entry_and_keeps_order() {
        let original = json!({"A": 1, "Transform": ["AWS::Serverless-2016-10-31", {"Name": "DatadogServerless"}], "Resources": {}});
        let out = finish(
            &original,
            json!({"A": 1, "Resources": {"X": {}}}),
            DEFAULT_TRANSFORM_NAME,
        );
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"A":1,"Transform":["AWS::Serverless-2016-10-31"],"Resources":{"X":{}}}"#
        );
        let original = json!({"Transform": "DatadogServerless", "Resources": {}});
        assert_eq!(
            finish(&original, json!({"Resources": {}}), DEFAULT_TRANSFORM_NAME),
            json!({"Resources": {}})
        );
    }
}

/// The result of a whole dry run.
#[derive(Debug, Clone)]
pub struct DryRunOutcome {
    /// The deployable template, when the transform succeeded.
    pub output: Option<Value>,
    /// What was done and found (errors when `output` is `None`).
    pub report: crate::Report,
    /// Whether the template lists our transform.
    pub entry_found: bool,
}

/// The baked template: [`finish`], with the record of what the transform
/// added ([`crate::record`]), which `uninstrument` reads.
pub fn bake(
    original: &Value,
    transformed: Value,
    transform_name: &str,
) -> Result<Value, DryRunError> {
    let output = finish(original, transformed, transform_name);
    Ok(crate::record::record(original, output)?)
}

/// Runs the whole dry run on a parsed template: prepare the event,
/// transform, put the `Transform` section back and record what was added
/// ([`bake`]).
pub fn run(
    template: &Value,
    options: &DryRunOptions,
    environment: &crate::MacroEnvironment,
) -> Result<DryRunOutcome, DryRunError> {
    let prepared = prepare(template, options)?;
    let (response, report) = crate::handle_with_report(prepared.request, environment);
    let output = match response.is_success() {
        true => Some(bake(template, response.fragment, &options.transform_name)?),
        false => None,
    };
    Ok(DryRunOutcome {
        output,
        report,
        entry_found: prepared.entry_found,
    })
}

/// A dry run of `template` as the passes' unit tests want it: in
/// us-east-1, the macro environment empty, no option.
#[cfg(test)]
pub(crate) fn in_us_east_1(template: &Value) -> DryRunOutcome {
    let options = DryRunOptions {
        transform_name: DEFAULT_TRANSFORM_NAME.into(),
        region: "us-east-1".into(),
        ..Default::default()
    };
    run(template, &options, &crate::MacroEnvironment::default()).expect("a dry run")
}

#[cfg(test)]
impl DryRunOutcome {
    /// The messages of its diagnostics of `severity`, in order.
    pub(crate) fn messages(&self, severity: crate::report::Severity) -> Vec<String> {
        let of = self
            .report
            .diagnostics
            .iter()
            .filter(|d| d.severity == severity);
        of.map(|d| d.message.clone()).collect()
    }
}
