//! Finding resources in a template and naming new ones.

use serde_json::{Map, Value};

/// The `Resources` section, if the template has one as an object.
pub fn resources(fragment: &Value) -> Option<&Map<String, Value>> {
    super::lookup::field(fragment, "Resources")?.as_object()
}

/// The `Resources` section, mutably.
pub fn resources_mut(fragment: &mut Value) -> Option<&mut Map<String, Value>> {
    super::lookup::field_mut(fragment, "Resources")?.as_object_mut()
}

/// The `Type` of a resource.
pub fn resource_type(resource: &Value) -> Option<&str> {
    super::lookup::field(resource, "Type")?.as_str()
}

/// Logical ids of the resources whose `Type` is one of `types`, in template order.
pub fn ids_of_types(fragment: &Value, types: &[&str]) -> Vec<String> {
    resources(fragment)
        .map(|r| {
            r.iter()
                .filter(|(_, res)| resource_type(res).is_some_and(|t| types.contains(&t)))
                .map(|(id, _)| id.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// A resource the transform adds: its `Type`, the `Condition` of the
/// resource it serves (so both exist together), and its `Properties`.
pub fn new_resource(resource_type: &str, condition: Option<&Value>, properties: Value) -> Value {
    let mut resource = Map::with_capacity(3);
    resource.insert("Type".into(), Value::String(resource_type.into()));
    if let Some(condition) = condition {
        resource.insert("Condition".into(), condition.clone());
    }
    resource.insert("Properties".into(), properties);
    Value::Object(resource)
}

/// Whether a resource with this logical id and type exists.
pub fn has_resource_of_type(fragment: &Value, id: &str, ty: &str) -> bool {
    resources(fragment)
        .and_then(|r| r.get(id))
        .and_then(resource_type)
        == Some(ty)
}

/// A logical id for a new resource: `base` itself when free, otherwise
/// `base2`, `base3`... Deterministic, readable, never colliding.
pub fn unique_logical_id(existing: &Map<String, Value>, base: &str) -> String {
    if !existing.contains_key(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}{n}"))
        .find(|candidate| !existing.contains_key(candidate))
        .unwrap_or_else(|| base.to_string())
}

/// `Globals.Function` of a SAM template, if any.
pub fn sam_function_globals(fragment: &Value) -> Option<&Map<String, Value>> {
    fragment.get("Globals")?.get("Function")?.as_object()
}

/// Whether the template was synthesised by the CDK (it has a `CDKMetadata` resource).
pub fn is_cdk(fragment: &Value) -> bool {
    resources(fragment).is_some_and(|r| {
        r.iter().any(|(id, res)| {
            id == "CDKMetadata" || resource_type(res) == Some("AWS::CDK::Metadata")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_resources_by_type_in_order() {
        let t = json!({"Resources": {"B": {"Type": "T"}, "A": {"Type": "U"}, "C": {"Type": "T"}}});
        assert_eq!(ids_of_types(&t, &["T"]), vec!["B", "C"]);
        assert!(has_resource_of_type(&t, "A", "U"));
    }

    #[test]
    fn unique_ids_get_suffixes() {
        let m = json!({"X": {}, "X2": {}}).as_object().unwrap().clone();
        assert_eq!(unique_logical_id(&m, "Y"), "Y");
        assert_eq!(unique_logical_id(&m, "X"), "X3");
    }
}
