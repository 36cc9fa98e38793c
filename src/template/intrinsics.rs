//! Small helpers to recognise intrinsic functions in long-form JSON.

use serde_json::{Map, Value};

/// Whether a value is an intrinsic function call: an object with exactly one
/// key that is `Ref`, `Condition` or starts with `Fn::`.
pub fn is_intrinsic(value: &Value) -> bool {
    intrinsic_name(value).is_some()
}

/// The key of a one-key intrinsic object (`Ref`, `Fn::If`...), if it is one.
pub fn intrinsic_name(value: &Value) -> Option<&str> {
    let map = value.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let key = map.keys().next()?;
    (key == "Ref" || key == "Condition" || key.starts_with("Fn::")).then_some(key.as_str())
}

/// The name in `{"Ref": NAME}`.
pub fn ref_target(value: &Value) -> Option<&str> {
    single(value, "Ref")?.as_str()
}

/// Whether the value is `{"Ref": "AWS::NoValue"}`.
pub fn is_no_value(value: &Value) -> bool {
    ref_target(value) == Some("AWS::NoValue")
}

/// The argument of a one-key intrinsic object with key `name`.
pub fn single<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    let map = value.as_object()?;
    if map.len() == 1 { map.get(name) } else { None }
}

/// Mutable access to the argument of a one-key intrinsic object.
pub fn single_mut<'a>(value: &'a mut Value, name: &str) -> Option<&'a mut Value> {
    let map = value.as_object_mut()?;
    if map.len() == 1 {
        map.get_mut(name)
    } else {
        None
    }
}

/// The resource and attribute of `Fn::GetAtt`, in list form
/// (`["Role", "Arn"]`) or dotted form (`"Role.Arn"`).
pub fn get_att(value: &Value) -> Option<(&str, &str)> {
    match single(value, "Fn::GetAtt")? {
        Value::Array(parts) if parts.len() == 2 => Some((parts[0].as_str()?, parts[1].as_str()?)),
        Value::String(dotted) => dotted.split_once('.'),
        _ => None,
    }
}

/// The condition and two branches of `Fn::If`, mutably.
pub fn fn_if_branches_mut(value: &mut Value) -> Option<(&mut Value, &mut Value)> {
    match single_mut(value, "Fn::If")? {
        Value::Array(parts) if parts.len() == 3 => {
            let (_, rest) = parts.split_at_mut(1);
            let (a, b) = rest.split_at_mut(1);
            Some((&mut a[0], &mut b[0]))
        }
        _ => None,
    }
}

/// The two branches of `Fn::If`.
pub fn fn_if_branches(value: &Value) -> Option<(&Value, &Value)> {
    match single(value, "Fn::If")? {
        Value::Array(parts) if parts.len() == 3 => Some((&parts[1], &parts[2])),
        _ => None,
    }
}

/// `{"Ref": name}`.
pub fn make_ref(name: &str) -> Value {
    let mut map = Map::new();
    map.insert("Ref".into(), Value::String(name.into()));
    Value::Object(map)
}

/// `{"Fn::GetAtt": [resource, attribute]}`.
pub fn make_get_att(resource: &str, attribute: &str) -> Value {
    let mut map = Map::new();
    map.insert(
        "Fn::GetAtt".into(),
        Value::Array(vec![
            Value::String(resource.into()),
            Value::String(attribute.into()),
        ]),
    );
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recognises_intrinsics() {
        assert!(is_intrinsic(&json!({"Ref": "X"})));
        assert!(is_intrinsic(&json!({"Fn::Sub": "x"})));
        assert!(!is_intrinsic(&json!({"Ref": "X", "Other": 1})));
        assert!(!is_intrinsic(&json!("x")));
        assert_eq!(ref_target(&json!({"Ref": "P"})), Some("P"));
        assert!(is_no_value(&json!({"Ref": "AWS::NoValue"})));
    }

    #[test]
    fn get_att_in_both_forms() {
        assert_eq!(
            get_att(&json!({"Fn::GetAtt": ["R", "Arn"]})),
            Some(("R", "Arn"))
        );
        assert_eq!(get_att(&json!({"Fn::GetAtt": "R.Arn"})), Some(("R", "Arn")));
        assert_eq!(get_att(&json!({"Fn::GetAtt": "R"})), None);
        assert_eq!(
            make_get_att("R", "Arn"),
            json!({"Fn::GetAtt": ["R", "Arn"]})
        );
    }

    #[test]
    fn fn_if_branches_are_reachable() {
        let mut v = json!({"Fn::If": ["C", [1], {"Ref": "AWS::NoValue"}]});
        let (a, b) = fn_if_branches_mut(&mut v).unwrap();
        a.as_array_mut().unwrap().push(json!(2));
        assert!(is_no_value(b));
        assert_eq!(v, json!({"Fn::If": ["C", [1, 2], {"Ref": "AWS::NoValue"}]}));
    }
}
