//! What a parameter declaration says ([`ParamSpec`], built with [`param`])
//! and the JSON types parameters take ([`Kind`]).

use std::borrow::Cow;

use serde_json::Value;

use crate::template::intrinsics::is_intrinsic;

/// The JSON type a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One of these words, in any case (written as listed). Known when the
    /// transform runs: an intrinsic is refused, not left for CloudFormation.
    OneOf(&'static [&'static str]),
    /// `true`/`false`, or the strings `"true"`/`"false"`.
    Bool,
    /// A non-negative integer, or a string of digits.
    Int,
    /// Text (numbers are accepted and written as text); an intrinsic is kept as is.
    Text,
    /// An ARN (`arn:...`), or an intrinsic that yields one.
    Arn,
    /// A list of logical ids, written as any [list](Kind::normalize) is.
    IdList,
    /// `true`, `false`, or a list of logical ids.
    BoolOrIdList,
}

impl Kind {
    /// What a value of this kind must be, for error messages.
    fn expected(self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Kind::OneOf(words) => return Cow::Owned(format!("one of {}", quoted(words, ", "))),
            Kind::Bool => "a boolean (true or false)",
            Kind::Int => "a whole number",
            Kind::Text => "a string",
            Kind::Arn => "an ARN (arn:...) or an intrinsic function",
            Kind::IdList => "a list of logical ids",
            Kind::BoolOrIdList => "true, false or a list of logical ids",
        })
    }

    /// Its name in the parameter table.
    pub fn table_name(self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Kind::OneOf(words) => return Cow::Owned(quoted(words, " / ")),
            Kind::Bool => "bool",
            Kind::Int => "int",
            Kind::Text => "string",
            Kind::Arn => "ARN",
            Kind::IdList => "list of ids",
            Kind::BoolOrIdList => "bool or list of ids",
        })
    }

    /// A value given for a parameter of this kind, in the one JSON form its
    /// field reads ([`super::values::FieldValue`]): a boolean, a number, a
    /// string or intrinsic, a list of strings; or why it cannot be one
    /// (`must be ..., not ...`).
    ///
    /// A list (of the list kinds) is read the same from every source: a
    /// list of strings; a string holding a JSON list of strings
    /// (`'["A","B"]'`, the one way to give a list in `--param`, a
    /// CloudFormation parameter or an environment variable); or one
    /// comma-separated string (`A,B`). A string that starts with `[` but is
    /// not such a list is refused, not split at its commas.
    pub fn normalize(self, value: &Value) -> Result<Value, String> {
        let wrong = || format!("must be {}, not {}.", self.expected(), describe(value));
        let boolean = |value: &Value| match value {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        };
        match self {
            Kind::OneOf(words) => value
                .as_str()
                .and_then(|given| words.iter().find(|w| w.eq_ignore_ascii_case(given)))
                .map(|word| Value::String(word.to_string()))
                .ok_or_else(wrong),
            Kind::Bool => boolean(value).map(Value::Bool).ok_or_else(wrong),
            Kind::Int => match value {
                Value::Number(n) => n.as_u64().map(Value::from).ok_or_else(wrong),
                Value::String(s) => s
                    .trim()
                    .parse::<u64>()
                    .map(Value::from)
                    .map_err(|_| wrong()),
                _ => Err(wrong()),
            },
            Kind::Text => match value {
                Value::String(_) => Ok(value.clone()),
                Value::Number(n) => Ok(Value::String(n.to_string())),
                Value::Bool(b) => Ok(Value::String(b.to_string())),
                v if is_intrinsic(v) => Ok(v.clone()),
                _ => Err(wrong()),
            },
            Kind::Arn => match value {
                Value::String(s) if s.starts_with("arn:") && s.split(':').count() >= 6 => {
                    Ok(value.clone())
                }
                v if is_intrinsic(v) => Ok(v.clone()),
                _ => Err(wrong()),
            },
            Kind::IdList => list(value, self),
            Kind::BoolOrIdList => match boolean(value) {
                Some(b) => Ok(Value::Bool(b)),
                None => list(value, self),
            },
        }
    }
}

/// Each word in backticks, joined by `separator`.
fn quoted(words: &[&str], separator: &str) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    quoted.join(separator)
}

/// A list of strings, as a JSON list, from any way of writing one (see
/// [`Kind::normalize`]); or why `value` is none, for a parameter of `kind`.
fn list(value: &Value, kind: Kind) -> Result<Value, String> {
    let expected = kind.expected();
    let items = match value {
        Value::Array(items) => items,
        Value::String(text) if text.trim_start().starts_with('[') => {
            let items = serde_json::from_str::<Vec<Value>>(text).map_err(|e| {
                format!(
                    "must be {expected}: {} starts like a JSON list but is not one ({e}).",
                    describe(value)
                )
            })?;
            return list(&Value::Array(items), kind);
        }
        Value::String(text) => {
            let items = text.split(',').map(str::trim).filter(|s| !s.is_empty());
            return Ok(items.map(|s| Value::String(s.to_string())).collect());
        }
        _ => return Err(format!("must be {expected}, not {}.", describe(value))),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item.as_str() {
            Some(text) => Ok(Value::String(text.trim().to_string())),
            None => Err(format!(
                "must be {expected}, but its item {} is {}.",
                i + 1,
                describe(item)
            )),
        })
        .collect()
}

/// A short description of a value for error messages, never its content
/// when long (values may be secrets).
fn describe(value: &Value) -> String {
    match value {
        Value::String(s) if s.len() <= 40 => format!("the string \"{s}\""),
        Value::Number(n) => format!("the number {n}"),
        Value::Bool(b) => format!("{b}"),
        other => crate::macro_event::json_type_name(other).to_string(),
    }
}

/// A rule a literal value of one parameter must follow beyond its kind: it
/// returns, when broken, the rest of the sentence `parameter `name` ...`.
pub type Check = fn(&str) -> Result<(), String>;

/// One parameter's declaration: everything but its [`super::Config`] field's
/// name and type. Built with [`param`] and the methods below, in
/// `config/params.rs`.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// The parameter name, as users write it.
    pub name: &'static str,
    /// Other names accepted for it (documented by Datadog).
    pub aliases: &'static [&'static str],
    /// Its type.
    pub kind: Kind,
    /// The default, as text, when there is one.
    pub default: Option<&'static str>,
    /// Whether, with no default, the macro uses the layer version bundled
    /// with it: the newest Datadog publishes (`lambda::layers::bundled_default`,
    /// the number the table shows).
    pub bundled_default: bool,
    /// The macro Lambda's environment variable that supplies a site-wide default.
    pub macro_env: Option<&'static str>,
    /// The `DD_*` variable each function gets as a plain copy of the value
    /// (`lambda::env`); variables written by a rule are not declared here.
    pub sets: Option<&'static str>,
    /// Whether its value is a secret, never shown by dry runs (`crate::secrets`).
    pub secret: bool,
    /// A rule on its literal values, beyond its kind.
    pub check: Option<Check>,
    /// Whether its value must be known when the transform runs (its field
    /// cannot hold an intrinsic function: `site`, `useLayersFromAccount`,
    /// `imageRuntime`, `gitData`); set from the field's type.
    pub literal: bool,
    /// Whether it applies to the whole template only (what it acts on is
    /// not a function or a state machine): a resource's
    /// `Metadata.Datadog.Parameters` may not give it.
    pub template_wide: bool,
    /// One line saying what it does (the README table): the declaration's doc comment.
    pub doc: &'static str,
}

/// The declaration of parameter `name` of type `kind`, with nothing else
/// set: no default, no variable, no alias.
pub const fn param(name: &'static str, kind: Kind) -> ParamSpec {
    ParamSpec {
        name,
        aliases: &[],
        kind,
        default: None,
        bundled_default: false,
        macro_env: None,
        sets: None,
        secret: false,
        check: None,
        literal: false,
        template_wide: false,
        doc: "",
    }
}

impl ParamSpec {
    /// Its default, as text (`"true"`, `"datadoghq.com"`).
    pub const fn default(self, default: &'static str) -> ParamSpec {
        ParamSpec {
            default: Some(default),
            ..self
        }
    }

    /// Without a value, the layer version bundled with the macro is used.
    pub const fn bundled(self) -> ParamSpec {
        ParamSpec {
            bundled_default: true,
            ..self
        }
    }

    /// A site-wide default may be set in the macro Lambda's environment
    /// variable `variable`.
    pub const fn macro_env(self, variable: &'static str) -> ParamSpec {
        ParamSpec {
            macro_env: Some(variable),
            ..self
        }
    }

    /// Each function gets `variable` set to the value (unless the user set it).
    pub const fn sets(self, variable: &'static str) -> ParamSpec {
        ParamSpec {
            sets: Some(variable),
            ..self
        }
    }

    /// The parameter is the `DD_*` variable `variable`: a site-wide default
    /// is read from it ([`ParamSpec::macro_env`]), and each function gets it
    /// ([`ParamSpec::sets`]).
    pub const fn variable(self, variable: &'static str) -> ParamSpec {
        self.macro_env(variable).sets(variable)
    }

    /// Other names accepted for the parameter.
    pub const fn aliases(self, aliases: &'static [&'static str]) -> ParamSpec {
        ParamSpec { aliases, ..self }
    }

    /// Its value is a secret.
    pub const fn secret(self) -> ParamSpec {
        ParamSpec {
            secret: true,
            ..self
        }
    }

    /// Literal values must also pass `check`.
    pub const fn check(self, check: Check) -> ParamSpec {
        ParamSpec {
            check: Some(check),
            ..self
        }
    }

    /// Whether its value must be literal (the declaration macro passes
    /// what the field's type says).
    pub const fn literal(self, literal: bool) -> ParamSpec {
        ParamSpec { literal, ..self }
    }

    /// It applies to the whole template, not to one resource.
    pub const fn template_wide(self) -> ParamSpec {
        ParamSpec {
            template_wide: true,
            ..self
        }
    }

    /// Its one-line doc (the declaration macro passes the doc comment).
    pub const fn doc(self, doc: &'static str) -> ParamSpec {
        ParamSpec {
            doc: doc.trim_ascii(),
            ..self
        }
    }

    /// The default as the JSON value its kind reads.
    pub fn default_value(&self) -> Option<Value> {
        let default = self.default?;
        Some(match self.kind {
            Kind::Bool | Kind::BoolOrIdList => Value::Bool(default == "true"),
            _ => Value::String(default.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_normalized_to_their_kind() {
        let table: &[(Kind, Value, Result<Value, &str>)] = &[
            (Kind::Bool, json!("TRUE"), Ok(json!(true))),
            (Kind::Bool, json!(false), Ok(json!(false))),
            (
                Kind::Bool,
                json!("maybe"),
                Err("must be a boolean (true or false), not the string \"maybe\"."),
            ),
            (Kind::Int, json!(" 120 "), Ok(json!(120))),
            (
                Kind::Int,
                json!(-1),
                Err("must be a whole number, not the number -1."),
            ),
            (Kind::OneOf(&["off", "on"]), json!("On"), Ok(json!("on"))),
            (
                Kind::OneOf(&["off", "on"]),
                json!({"Ref": "P"}),
                Err("must be one of `off`, `on`, not an object."),
            ),
            (Kind::Text, json!(3), Ok(json!("3"))),
            (Kind::Text, json!({"Ref": "P"}), Ok(json!({"Ref": "P"}))),
            (Kind::Text, json!([1]), Err("must be a string, not a list.")),
            (
                Kind::Arn,
                json!("arn:aws:sns:us-east-1:1:t"),
                Ok(json!("arn:aws:sns:us-east-1:1:t")),
            ),
            (
                Kind::Arn,
                json!("my-forwarder"),
                Err(
                    "must be an ARN (arn:...) or an intrinsic function, not the string \"my-forwarder\".",
                ),
            ),
            (Kind::IdList, json!("A, B,"), Ok(json!(["A", "B"]))),
            (Kind::IdList, json!([" A "]), Ok(json!(["A"]))),
            (
                Kind::IdList,
                json!(r#" ["A", "B"] "#),
                Ok(json!(["A", "B"])),
            ),
            (Kind::IdList, json!("[]"), Ok(json!([]))),
            (
                Kind::IdList,
                json!(r#"["A","#),
                Err(
                    "must be a list of logical ids: the string \"[\"A\",\" starts like a JSON list but is not one (EOF while parsing a value at line 1 column 5).",
                ),
            ),
            (
                Kind::IdList,
                json!("[1]"),
                Err("must be a list of logical ids, but its item 1 is the number 1."),
            ),
            (
                Kind::IdList,
                json!({"A": 1}),
                Err("must be a list of logical ids, not an object."),
            ),
            (Kind::BoolOrIdList, json!(r#"["F"]"#), Ok(json!(["F"]))),
            (Kind::BoolOrIdList, json!("true"), Ok(json!(true))),
            (Kind::BoolOrIdList, json!(["F"]), Ok(json!(["F"]))),
            (
                Kind::BoolOrIdList,
                json!(1),
                Err("must be true, false or a list of logical ids, not the number 1."),
            ),
        ];
        for (kind, given, expected) in table {
            assert_eq!(
                kind.normalize(given),
                expected.clone().map_err(str::to_string),
                "{kind:?} {given}"
            );
        }
    }

    #[test]
    fn long_strings_are_not_quoted_in_messages() {
        let secret = "x".repeat(41);
        let why = Kind::Bool.normalize(&json!(secret)).unwrap_err();
        assert!(!why.contains(&secret), "{why}");
    }

    #[test]
    fn builders_fill_the_declaration() {
        const SPEC: ParamSpec = param("p", Kind::Bool)
            .default("true")
            .variable("DD_P")
            .aliases(&["q"])
            .doc(" Does p. ");
        assert_eq!(SPEC.macro_env, Some("DD_P"));
        assert_eq!(SPEC.sets, Some("DD_P"));
        assert_eq!(SPEC.doc, "Does p.");
        assert_eq!(SPEC.default_value(), Some(json!(true)));
        assert!(!SPEC.secret && SPEC.check.is_none());
    }
}
