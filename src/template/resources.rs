//! Resources the transform adds, and facts about a template the passes
//! share (SAM `Globals`, CDK). Finding resources is the model's
//! ([`super::model::Template`]); [`ids_of_types`] and [`resource_type`]
//! read a template given as a value (an answer's, in tests).

use serde_json::{Map, Value};

use super::model::Template;

/// The `Type` of a resource given as a value.
pub fn resource_type(resource: &Value) -> Option<&str> {
    resource.get("Type")?.as_str()
}

/// Logical ids of the resources of a template given as a value whose
/// `Type` is one of `types`, in template order.
pub fn ids_of_types(template: &Value, types: &[&str]) -> Vec<String> {
    template
        .get("Resources")
        .and_then(Value::as_object)
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
    let mut resource = Map::new();
    resource.insert("Type".into(), Value::String(resource_type.into()));
    if let Some(condition) = condition {
        resource.insert("Condition".into(), condition.clone());
    }
    resource.insert("Properties".into(), properties);
    Value::Object(resource)
}

/// `Globals.Function` of a SAM template, if any.
pub fn sam_function_globals<'t>(template: &'t Template<'_>) -> Option<&'t Map<String, Value>> {
    template.section("Globals")?.get("Function")?.as_object()
}

/// Whether the template was synthesised by the CDK (it has a `CDKMetadata` resource).
pub fn is_cdk(template: &Template<'_>) -> bool {
    template
        .resources()
        .is_some_and(|r| r.contains_key("CDKMetadata"))
        || template
            .each_resource()
            .any(|(_, r)| r.str("Type") == Some("AWS::CDK::Metadata"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_resources_by_type_in_order() {
        let t = json!({"Resources": {"B": {"Type": "T"}, "A": {"Type": "U"}, "C": {"Type": "T"}}});
        assert_eq!(ids_of_types(&t, &["T"]), vec!["B", "C"]);
        let template = Template::from_value(t);
        assert_eq!(template.ids_of_types(&["T"]), vec!["B", "C"]);
        assert!(!is_cdk(&template));
        let cdk = Template::from_value(json!({"Resources": {"M": {"Type": "AWS::CDK::Metadata"}}}));
        assert!(is_cdk(&cdk));
    }

    #[test]
    fn unique_ids_get_suffixes() {
        let t = Template::from_value(json!({"Resources": {"X": {}, "X2": 1}}));
        assert_eq!(t.unique_logical_id("Y"), "Y");
        assert_eq!(t.unique_logical_id("X"), "X3");
    }
}
