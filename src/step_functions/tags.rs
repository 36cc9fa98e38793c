//! Tags on state machines (SPEC §8 step 3): `service`, `env`, `version`,
//! the parsed `tags` parameter, the macro's version and `DD_TRACE_ENABLED`.
//! A key the state machine has already keeps its value, so no key is ever
//! written twice (CloudFormation rejects duplicates) and a second run adds
//! nothing.

use serde_json::{Map, Value, json};

use super::Machine;
use crate::config::Config;
use crate::report::{Change, Report};

/// The tag carrying the macro's version.
pub const MACRO_VERSION_TAG: &str = "dd_sls_macro";

/// Splits a `tags` parameter (`k:v,k:v`) into pairs. Whitespace around keys
/// and values is dropped; an item without a key or a value is skipped. The
/// value is everything after the first `:`, so it may hold colons (URLs).
pub fn parse_tag_list(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .filter_map(|item| {
            let (key, value) = item.split_once(':')?;
            let (key, value) = (key.trim(), value.trim());
            (!key.is_empty() && !value.is_empty()).then(|| (key.to_string(), value.to_string()))
        })
        .collect()
}

/// The tags a state machine should have, in the order they are added.
fn wanted_tags(config: &Config) -> Vec<(String, Value)> {
    let mut tags = Vec::new();
    for (key, value) in [
        ("service", &config.service),
        ("env", &config.env),
        ("version", &config.version),
    ] {
        if let Some(value) = value {
            tags.push((key.to_string(), value.clone()));
        }
    }
    // An intrinsic `tags` cannot be split: the configuration warned of it once.
    if let Some(Value::String(text)) = &config.tags {
        tags.extend(
            parse_tag_list(text)
                .into_iter()
                .map(|(k, v)| (k, Value::String(v))),
        );
    }
    tags.push((
        MACRO_VERSION_TAG.to_string(),
        json!(format!("v{}", crate::VERSION)),
    ));
    tags.push(("DD_TRACE_ENABLED".to_string(), json!("true")));
    tags
}

/// Adds the tags the state machine lacks, as a `[{Key, Value}]` list
/// (CloudFormation) or a map (SAM).
pub fn add(
    properties: &mut Map<String, Value>,
    machine: &Machine,
    config: &Config,
    report: &mut Report,
) {
    let wanted = wanted_tags(config);
    let sam = machine.flavor.is_sam();
    let tags = properties
        .entry("Tags")
        .or_insert_with(|| if sam { json!({}) } else { json!([]) });
    let mut added = Vec::new();
    match tags {
        Value::Array(list) if !sam => {
            for (key, value) in wanted {
                let present = list
                    .iter()
                    .any(|t| t.get("Key").and_then(Value::as_str) == Some(key.as_str()));
                if !present {
                    list.push(json!({"Key": key, "Value": value}));
                    added.push((key, value));
                }
            }
        }
        Value::Object(map) if sam && !is_intrinsic_map(map) => {
            for (key, value) in wanted {
                if !map.contains_key(&key) {
                    map.insert(key.clone(), value.clone());
                    added.push((key, value));
                }
            }
        }
        _ => {
            report.warn(
                Some(&machine.id),
                format!(
                    "State machine {}: its Tags is not a {}, so the Datadog tags were not added.",
                    machine.id,
                    if sam { "mapping" } else { "list" }
                ),
            );
        }
    }
    for (key, value) in added {
        report.change(
            &machine.id,
            &machine.resource_type,
            Change::TagAdded { key, value },
        );
    }
}

/// Whether a mapping is an intrinsic function call (`Fn::If`...) rather
/// than a set of tags.
fn is_intrinsic_map(map: &Map<String, Value>) -> bool {
    map.len() == 1
        && map
            .keys()
            .all(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::{ConfigInputs, MacroEnvironment};
    use crate::step_functions::Flavor;

    fn machine(flavor: Flavor) -> Machine {
        Machine {
            id: "M".into(),
            resource_type: "T".into(),
            flavor,
            condition: None,
        }
    }

    fn config() -> Config {
        let params = json!({"service": "s", "env": "e", "tags": "team:x"});
        Config::build(
            ConfigInputs {
                params: params.as_object().unwrap(),
                template: &crate::template::model::Template::default(),
                environment: &MacroEnvironment::default(),
            },
            &mut Report::default(),
        )
    }

    #[test]
    fn tags_in_both_forms_never_replace_a_key() {
        let mut report = Report::default();
        let mut list = json!({"Tags": [{"Key": "service", "Value": "mine"}]});
        add(
            list.as_object_mut().unwrap(),
            &machine(Flavor::CloudFormation),
            &config(),
            &mut report,
        );
        let keys: Vec<&str> = list["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["Key"].as_str().unwrap())
            .collect();
        assert_eq!(
            keys,
            ["service", "env", "team", "dd_sls_macro", "DD_TRACE_ENABLED"]
        );
        assert_eq!(list["Tags"][0]["Value"], json!("mine"));
        let mut map = json!({});
        add(
            map.as_object_mut().unwrap(),
            &machine(Flavor::Sam),
            &config(),
            &mut report,
        );
        assert_eq!(map["Tags"]["team"], json!("x"));
        let before = map.clone();
        add(
            map.as_object_mut().unwrap(),
            &machine(Flavor::Sam),
            &config(),
            &mut report,
        );
        assert_eq!(map, before);
        let mut intrinsic = json!({"Tags": {"Fn::If": ["C", [], []]}});
        let mut warned = Report::default();
        add(
            intrinsic.as_object_mut().unwrap(),
            &machine(Flavor::CloudFormation),
            &config(),
            &mut warned,
        );
        assert_eq!(warned.warnings().count(), 1);
    }

    #[test]
    fn tag_lists_are_parsed() {
        assert_eq!(
            parse_tag_list(" team:shop , url:https://x.y ,bad, :v,k:"),
            vec![
                ("team".to_string(), "shop".to_string()),
                ("url".to_string(), "https://x.y".to_string())
            ]
        );
    }
}
