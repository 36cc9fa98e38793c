//! Tags on functions (SPEC §9, §7): the macro's version, who deployed it,
//! and in forwarder mode `service`/`env`/`version`/`tags`. Never a duplicate
//! key, never a user's tag replaced; written in the resource's form (a list
//! of `{Key, Value}` for Lambda, a map for SAM).

use serde_json::{Map, Value, json};

use super::function::{FunctionEdit, FunctionKind};
use crate::report::Change;
use crate::template::intrinsics::is_intrinsic;

/// The tag carrying this macro's version.
pub const MACRO_TAG: &str = "dd_sls_macro";
/// The tag saying which tool deployed the function (CDK or SAM).
pub const MACRO_BY_TAG: &str = "dd_sls_macro_by";

/// The macro's version tag value, `v` and the crate version.
const MACRO_VERSION: &str = concat!("v", env!("CARGO_PKG_VERSION"));

/// The entry of a `{Key, Value}` list with this key.
fn list_entry<'v>(items: &'v [Value], key: &str) -> Option<&'v Value> {
    items
        .iter()
        .find(|t| t.get("Key").and_then(Value::as_str) == Some(key))
}

fn has_key(tags: Option<&Value>, key: &str) -> bool {
    match tags {
        Some(Value::Array(items)) => list_entry(items, key).is_some(),
        Some(Value::Object(map)) => map.contains_key(key),
        _ => false,
    }
}

fn tag_value<'v>(tags: Option<&'v Value>, key: &str) -> Option<&'v Value> {
    match tags? {
        Value::Array(items) => list_entry(items, key).and_then(|t| t.get("Value")),
        Value::Object(map) => map.get(key),
        _ => None,
    }
}

/// A `{Key, Value}` tag entry.
fn entry(key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert("Key".to_string(), Value::String(key.to_string()));
    map.insert("Value".to_string(), value);
    Value::Object(map)
}

/// Adds a tag unless the key exists (on the function or in SAM Globals).
pub fn add(edit: &mut FunctionEdit, key: &str, value: Value) {
    if has_key(edit.globals.get("Tags"), key) {
        return;
    }
    let tags = edit.props.get_mut("Tags");
    if has_key(tags.as_deref(), key) {
        return;
    }
    let intrinsic = tags.as_deref().is_some_and(is_intrinsic);
    let added = match (edit.kind, tags) {
        (FunctionKind::Lambda, None) => {
            let tags = Value::Array(vec![entry(key, value.clone())]);
            edit.props.insert("Tags", tags);
            true
        }
        (FunctionKind::Lambda, Some(Value::Array(items))) => {
            items.push(entry(key, value.clone()));
            true
        }
        (FunctionKind::Serverless, None) => {
            // With PropagateTags, SAM propagates the function's own Tags instead
            // of Globals' once it has some: start from the Globals' tags so the
            // function's event sources keep getting them.
            let mut map = match edit.globals.get("Tags") {
                Some(Value::Object(globals)) if propagates_tags(edit) => globals.clone(),
                _ => Map::new(),
            };
            map.insert(key.into(), value.clone());
            edit.props.insert("Tags", Value::Object(map));
            true
        }
        // Not into an intrinsic (`!If`), a mapping of one key.
        (FunctionKind::Serverless, Some(Value::Object(map))) if !intrinsic => {
            map.insert(key.into(), value.clone());
            true
        }
        _ => false,
    };
    if added {
        edit.change_with(|| Change::TagAdded {
            key: key.into(),
            value,
        });
    } else {
        let id = edit.id.clone();
        edit.warn(format!(
            "Resource {id} has Tags in a form that cannot be extended (an intrinsic?), so Datadog's tags were not added to it."
        ));
    }
}

/// Whether a SAM function propagates its tags (`PropagateTags`, here or in Globals).
fn propagates_tags(edit: &FunctionEdit) -> bool {
    edit.inherited("PropagateTags").is_some_and(|v| {
        v == &Value::Bool(true) || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
    })
}

/// Parses `k:v,k2:v2` into pairs (entries without `:` are skipped).
pub fn parse_tags(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .filter_map(|pair| {
            let (k, v) = pair.split_once(':')?;
            let k = k.trim();
            (!k.is_empty()).then(|| (k.to_string(), v.trim().to_string()))
        })
        .collect()
}

/// Adds the macro's tags, and the forwarder-mode tags.
pub fn add_tags(edit: &mut FunctionEdit, is_cdk: bool) {
    add(edit, MACRO_TAG, Value::String(MACRO_VERSION.to_string()));
    let created_by_sam = tag_value(edit.props.get("Tags"), "lambda:createdBy")
        .and_then(Value::as_str)
        == Some("SAM");
    if is_cdk {
        add(edit, MACRO_BY_TAG, json!("CDK"));
    } else if created_by_sam || edit.kind == FunctionKind::Serverless {
        add(edit, MACRO_BY_TAG, json!("SAM"));
    }
    let c = edit.config.clone();
    if c.forwarder_arn.is_none() || c.extension_enabled() {
        return;
    }
    for (key, value) in [
        ("service", &c.service),
        ("env", &c.env),
        ("version", &c.version),
    ] {
        if let Some(v) = value {
            add(edit, key, v.clone());
        }
    }
    if let Some(tags) = c.tags.as_ref().and_then(Value::as_str) {
        for (k, v) in parse_tags(tags) {
            add(edit, &k, Value::String(v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intrinsic_sam_tags_are_left_as_they_are_with_one_warning() {
        let tags = json!({"Fn::If": ["C", {"team": "a"}, {"team": "b"}]});
        let template = json!({"Resources": {"F": {"Type": "AWS::Serverless::Function",
            "Properties": {"Runtime": "python3.12", "Handler": "app.handler", "CodeUri": ".",
                "Tags": tags}}}});
        let outcome = crate::dry_run::in_us_east_1(&template);
        let output = outcome.output.as_ref().expect("a warning, not an error");
        assert_eq!(output["Resources"]["F"]["Properties"]["Tags"], tags);
        let warnings: Vec<String> = outcome
            .messages(crate::report::Severity::Warning)
            .into_iter()
            .filter(|w| w.contains("Tags"))
            .collect();
        assert_eq!(
            warnings,
            [
                "Resource F has Tags in a form that cannot be extended (an intrinsic?), so Datadog's tags were not added to it."
            ]
        );
    }

    #[test]
    fn parses_tag_lists() {
        assert_eq!(
            parse_tags("team:a, cost:b,bad,:x"),
            vec![("team".into(), "a".into()), ("cost".into(), "b".into())]
        );
    }
}
