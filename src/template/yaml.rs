//! YAML templates with short-form intrinsics (`!Ref`, `!GetAtt`, `!Sub`...)
//! to and from the long-form JSON values CloudFormation uses.
//!
//! Reading goes through `serde_yaml::Value`, whose tagged values carry the
//! short forms and whose mappings keep key order; the value is then turned
//! into a `serde_json::Value`. Documents that may use aliases are first
//! measured as expanded (see [`expansion`]). Writing uses our own emitter
//! ([`emit`]), which quotes every scalar that a YAML 1.1 reader such as
//! PyYAML (cfn-flip, cfn-lint, SAM CLI) could read differently.
//!
//! Like cfn-flip, a tagged scalar reads as text (`!Ref 123` is `"123"`).
//! Unlike cfn-flip, `<<` merge keys are applied, as `aws cloudformation
//! package` and the SAM CLI do (CloudFormation itself refuses aliases); so a
//! JSON key `<<` would not survive a trip through YAML.

mod emit;
pub mod expansion;
mod nesting;
mod scalar;

use serde_json::{Map, Number, Value};
use serde_yaml::value::TaggedValue;

use super::{MAX_DEPTH, TemplateError};

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
        _ => key
            .strip_prefix("Fn::")
            .filter(|s| SHORT_FORMS.contains(s) && !matches!(*s, "Ref" | "Condition")),
    }
}

/// Parses a YAML template into a long-form JSON value.
pub fn parse(text: &str) -> Result<Value, TemplateError> {
    if let Some((line, column)) = nesting::flow_too_deep(text, MAX_DEPTH) {
        return Err(TemplateError::Syntax {
            format: "YAML",
            line,
            column,
            message: too_deep_message(),
        });
    }
    if expansion::may_have_aliases(text) {
        expansion::check(text).map_err(|e| syntax_error(&e))?;
    }
    let mut doc: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| syntax_error(&e))?;
    if let serde_yaml::Value::Tagged(tagged) = &doc {
        // `!Ref X` alone would read as the object {"Ref": "X"}.
        return Err(TemplateError::Shape(format!(
            "a template must be a mapping of sections (Resources, Parameters...), not an intrinsic function (`{}`)",
            tagged.tag
        )));
    }
    doc.apply_merge().map_err(|e| TemplateError::Syntax {
        format: "YAML",
        line: 0,
        column: 0,
        message: e.to_string(),
    })?;
    to_json(doc, text)
}

/// A serde_yaml error as a positioned [`TemplateError`].
fn syntax_error(e: &serde_yaml::Error) -> TemplateError {
    let (line, column) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((0, 0));
    TemplateError::Syntax {
        format: "YAML",
        line,
        column,
        message: describe_yaml_error(e),
    }
}

fn describe_yaml_error(e: &serde_yaml::Error) -> String {
    let text = e.to_string();
    if text.contains("repetition limit") || text.contains(expansion::TOO_LARGE) {
        format!(
            "the document's aliases expand it to more than {} MiB or {} values (a \"billion laughs\" document?); refused",
            expansion::MAX_EXPANDED_BYTES / (1024 * 1024),
            expansion::MAX_EXPANDED_VALUES
        )
    } else if text.contains("recursion limit") {
        too_deep_message()
    } else {
        // serde_yaml appends " at line L column C"; the caller reports the position.
        match text.find(" at line ") {
            Some(i) => text[..i].to_string(),
            None => text,
        }
    }
}

fn too_deep_message() -> String {
    format!("the document is nested too deeply (more than {MAX_DEPTH} levels)")
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
            let inner = match to_json(value, source)? {
                // cfn-flip (PyYAML) reads a tagged scalar as its text; so does
                // CloudFormation. `!GetAZs` with nothing after it is "".
                Value::Null => Value::String(String::new()),
                Value::Bool(b) => Value::String(b.to_string()),
                Value::Number(n) => Value::String(n.to_string()),
                other => other,
            };
            let inner = match (name, inner) {
                // `!GetAtt A.B.C` is `["A", "B.C"]`.
                ("GetAtt", Value::String(s)) => match s.split_once('.') {
                    Some((resource, attribute)) => Value::Array(vec![
                        Value::String(resource.into()),
                        Value::String(attribute.into()),
                    ]),
                    None => Value::String(s),
                },
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

/// Writes a long-form JSON value as YAML, with short-form intrinsics where
/// they read back as the same value, and every scalar spelt so that YAML 1.1
/// and 1.2 readers agree on it.
pub fn to_string(value: &Value) -> String {
    emit::document(value)
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
    fn tagged_scalars_read_as_text() {
        assert_eq!(
            parse("A: !Ref 123\nB: !Sub true\nC: !GetAZs\nD: !Base64 1.5\n").unwrap(),
            json!({
                "A": {"Ref": "123"},
                "B": {"Fn::Sub": "true"},
                "C": {"Fn::GetAZs": ""},
                "D": {"Fn::Base64": "1.5"},
            })
        );
    }

    #[test]
    fn long_forms_without_short_form_stay_long() {
        let v = json!({"A": {"Fn::Ref": "X"}, "B": {"Fn::Condition": "C"}});
        let out = to_string(&v);
        assert_eq!(out, "A:\n  Fn::Ref: X\nB:\n  Fn::Condition: C\n");
        assert_eq!(parse(&out).unwrap(), v);
    }

    #[test]
    fn a_tagged_root_is_not_a_template() {
        let e = parse("!Ref Bucket\n").unwrap_err().to_string();
        assert!(e.ends_with("not an intrinsic function (`!Ref`)"), "{e}");
    }

    #[test]
    fn merge_keys_are_applied() {
        let v = parse("D: &d {Runtime: python3.12, Timeout: 3}\nF:\n  <<: *d\n  Timeout: 10\n")
            .unwrap();
        assert_eq!(v["F"], json!({"Timeout": 10, "Runtime": "python3.12"}));
    }

    #[test]
    fn non_string_keys_become_strings() {
        assert_eq!(
            parse("200: ok\ntrue: x\n").unwrap(),
            json!({"200": "ok", "true": "x"})
        );
    }
}
