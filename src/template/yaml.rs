//! YAML templates with short-form intrinsics (`!Ref`, `!GetAtt`, `!Sub`...)
//! to and from the long-form JSON values CloudFormation uses.
//!
//! Reading goes through `serde_yaml::Value`, whose tagged values carry the
//! short forms and whose mappings keep key order; the value is then turned
//! into a `serde_json::Value`. Writing does the reverse and puts the short
//! forms back.

use serde_json::{Map, Number, Value};
use serde_yaml::value::{Tag, TaggedValue};

use super::TemplateError;

/// The short-form tags CloudFormation accepts, each with its long-form key.
/// `Ref` and `Condition` keep their name; every other is `Fn::NAME`.
const SHORT_FORMS: &[&str] = &[
    "Ref",
    "Condition",
    "GetAtt",
    "Sub",
    "Join",
    "Select",
    "Split",
    "If",
    "Equals",
    "And",
    "Or",
    "Not",
    "FindInMap",
    "Base64",
    "Cidr",
    "GetAZs",
    "ImportValue",
    "Transform",
    "ToJsonString",
    "Length",
    "ForEach",
];

/// The long-form key of a short-form tag name (`Ref` → `Ref`, `Sub` → `Fn::Sub`).
fn long_key(short: &str) -> Option<String> {
    match short {
        "Ref" | "Condition" => Some(short.to_string()),
        s if SHORT_FORMS.contains(&s) => Some(format!("Fn::{s}")),
        _ => None,
    }
}

/// The short-form tag name of a long-form key, if it has one.
fn short_name(key: &str) -> Option<&str> {
    match key {
        "Ref" | "Condition" => Some(key),
        _ => key.strip_prefix("Fn::").filter(|s| SHORT_FORMS.contains(s)),
    }
}

/// Parses a YAML template into a long-form JSON value.
pub fn parse(text: &str) -> Result<Value, TemplateError> {
    let mut doc: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        TemplateError::Syntax {
            format: "YAML",
            line,
            column,
            message: describe_yaml_error(&e),
        }
    })?;
    doc.apply_merge().map_err(|e| TemplateError::Syntax {
        format: "YAML",
        line: 0,
        column: 0,
        message: e.to_string(),
    })?;
    to_json(doc, text)
}

fn describe_yaml_error(e: &serde_yaml::Error) -> String {
    let text = e.to_string();
    if text.contains("repetition limit") {
        "the document's aliases expand to too much data (a \"billion laughs\" document?); refused"
            .to_string()
    } else if text.contains("recursion limit") {
        "the document is nested too deeply (more than 128 levels)".to_string()
    } else {
        // serde_yaml appends " at line L column C"; the caller reports the position.
        match text.find(" at line ") {
            Some(i) => text[..i].to_string(),
            None => text,
        }
    }
}

/// The 1-based line of the first occurrence of `!tag` in the source, for
/// error messages (serde_yaml values carry no positions).
fn line_of_tag(source: &str, tag: &str) -> usize {
    let needle = format!("!{tag}");
    source
        .lines()
        .position(|line| {
            line.match_indices(&needle).any(|(i, _)| {
                let after = line[i + needle.len()..].chars().next();
                !matches!(after, Some(c) if c.is_alphanumeric() || c == ':' || c == '_')
            })
        })
        .map_or(0, |i| i + 1)
}

/// Converts a YAML value to JSON, expanding short-form tags.
fn to_json(value: serde_yaml::Value, source: &str) -> Result<Value, TemplateError> {
    Ok(match value {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(b),
        serde_yaml::Value::Number(n) => number_to_json(&n),
        serde_yaml::Value::String(s) => Value::String(s),
        serde_yaml::Value::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(|v| to_json(v, source))
                .collect::<Result<_, _>>()?,
        ),
        serde_yaml::Value::Mapping(mapping) => {
            let mut map = Map::with_capacity(mapping.len());
            for (k, v) in mapping {
                map.insert(key_to_string(k, source)?, to_json(v, source)?);
            }
            Value::Object(map)
        }
        serde_yaml::Value::Tagged(tagged) => {
            let TaggedValue { tag, value } = *tagged;
            let name = tag.to_string();
            let name = name.trim_start_matches('!');
            let Some(key) = long_key(name) else {
                return Err(TemplateError::UnknownTag {
                    tag: format!("!{name}"),
                    line: line_of_tag(source, name),
                });
            };
            let inner = to_json(value, source)?;
            let inner = match (name, inner) {
                // `!GetAtt A.B.C` is `["A", "B.C"]`.
                ("GetAtt", Value::String(s)) => match s.split_once('.') {
                    Some((resource, attribute)) => Value::Array(vec![
                        Value::String(resource.into()),
                        Value::String(attribute.into()),
                    ]),
                    None => Value::String(s),
                },
                // An empty `!GetAZs` means the current region.
                ("GetAZs", Value::Null) => Value::String(String::new()),
                (_, inner) => inner,
            };
            let mut map = Map::with_capacity(1);
            map.insert(key, inner);
            Value::Object(map)
        }
    })
}

fn number_to_json(n: &serde_yaml::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::Number(i.into())
    } else if let Some(u) = n.as_u64() {
        Value::Number(u.into())
    } else {
        let f = n.as_f64().unwrap_or(f64::NAN);
        // JSON has no infinities or NaN: keep their YAML spelling as text.
        Number::from_f64(f).map_or_else(|| Value::String(n.to_string()), Value::Number)
    }
}

fn key_to_string(key: serde_yaml::Value, source: &str) -> Result<String, TemplateError> {
    Ok(match key {
        serde_yaml::Value::String(s) => s,
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Bool(b) => b.to_string(),
        serde_yaml::Value::Null => "null".to_string(),
        other => {
            let json = to_json(other, source)?;
            return Err(TemplateError::Shape(format!(
                "a mapping key must be a plain scalar, not {}",
                crate::macro_event::json_type_name(&json)
            )));
        }
    })
}

/// Writes a long-form JSON value as YAML, with short-form intrinsics.
pub fn to_string(value: &Value) -> String {
    let yaml = from_json(value);
    // Serialising a serde_yaml::Value built from JSON cannot fail.
    serde_yaml::to_string(&yaml).unwrap_or_default()
}

/// Converts a JSON value to YAML, folding intrinsics into short forms.
fn from_json(value: &Value) -> serde_yaml::Value {
    match value {
        Value::Null => serde_yaml::Value::Null,
        Value::Bool(b) => serde_yaml::Value::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                serde_yaml::Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                serde_yaml::Value::Number(u.into())
            } else {
                serde_yaml::Value::Number(n.as_f64().unwrap_or_default().into())
            }
        }
        Value::String(s) => serde_yaml::Value::String(s.clone()),
        Value::Array(items) => serde_yaml::Value::Sequence(items.iter().map(from_json).collect()),
        Value::Object(map) => {
            if let Some(tagged) = short_form(map) {
                return tagged;
            }
            let mut mapping = serde_yaml::Mapping::with_capacity(map.len());
            for (k, v) in map {
                mapping.insert(serde_yaml::Value::String(k.clone()), from_json(v));
            }
            serde_yaml::Value::Mapping(mapping)
        }
    }
}

/// The short form of a one-key intrinsic object, when it is one.
fn short_form(map: &Map<String, Value>) -> Option<serde_yaml::Value> {
    if map.len() != 1 {
        return None;
    }
    let (key, inner) = map.iter().next()?;
    let name = short_name(key)?;
    let inner = match (name, inner) {
        // `Ref` and `Condition` take a name; an object there is not an intrinsic.
        ("Ref" | "Condition", Value::String(_)) => from_json(inner),
        ("Ref" | "Condition", _) => return None,
        // `["A", "B"]` is written `A.B` when both are plain names.
        ("GetAtt", Value::Array(parts))
            if parts.len() == 2
                && parts
                    .iter()
                    .all(|p| p.as_str().is_some_and(|s| !s.is_empty())) =>
        {
            let resource = parts[0].as_str().unwrap_or_default();
            if resource.contains('.') {
                from_json(inner)
            } else {
                serde_yaml::Value::String(format!(
                    "{resource}.{}",
                    parts[1].as_str().unwrap_or_default()
                ))
            }
        }
        _ => from_json(inner),
    };
    Some(serde_yaml::Value::Tagged(Box::new(TaggedValue {
        tag: Tag::new(name),
        value: inner,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expands_short_forms() {
        let v = parse(
            "A: !Ref X\nB: !GetAtt R.Arn\nC: !GetAtt R.Outputs.Name\nD: !GetAtt [R, Arn]\n\
             E: !Sub 'x-${AWS::Region}'\nF: !If [C, !Ref Y, !Ref AWS::NoValue]\nG: !Condition Cond\nH: !GetAZs ''\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({
                "A": {"Ref": "X"},
                "B": {"Fn::GetAtt": ["R", "Arn"]},
                "C": {"Fn::GetAtt": ["R", "Outputs.Name"]},
                "D": {"Fn::GetAtt": ["R", "Arn"]},
                "E": {"Fn::Sub": "x-${AWS::Region}"},
                "F": {"Fn::If": ["C", {"Ref": "Y"}, {"Ref": "AWS::NoValue"}]},
                "G": {"Condition": "Cond"},
                "H": {"Fn::GetAZs": ""},
            })
        );
    }

    #[test]
    fn every_short_form_is_known() {
        for name in SHORT_FORMS {
            let v = parse(&format!("K: !{name} [a]\n")).unwrap();
            let key = long_key(name).unwrap();
            assert!(v["K"].get(&key).is_some(), "{name}");
        }
    }

    #[test]
    fn unknown_tag_names_tag_and_line() {
        let err = parse("A: 1\nB: !Reff X\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown YAML tag `!Reff` at line 2; CloudFormation knows !Ref, !GetAtt, !Sub, ... (see the intrinsic function reference)"
        );
    }

    #[test]
    fn round_trips_with_short_forms() {
        let text = "Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      Role: !GetAtt R.Arn\n      Code:\n        ZipFile: |\n          def handler(e, c):\n              return 1\n      Description: '0123'\n      Version: '1.10'\n      Enabled: true\n      Date: 2010-09-09\n";
        let v = parse(text).unwrap();
        let out = to_string(&v);
        assert!(out.contains("!GetAtt R.Arn"), "{out}");
        assert_eq!(parse(&out).unwrap(), v);
        assert_eq!(v["Resources"]["F"]["Properties"]["Description"], "0123");
        assert_eq!(v["Resources"]["F"]["Properties"]["Version"], "1.10");
        assert_eq!(v["Resources"]["F"]["Properties"]["Date"], "2010-09-09");
    }

    #[test]
    fn non_string_keys_become_strings() {
        assert_eq!(
            parse("200: ok\ntrue: x\n").unwrap(),
            json!({"200": "ok", "true": "x"})
        );
    }
}
