//! `--parameter-overrides`: template parameters' values, read as
//! `sam deploy --parameter-overrides` reads them, and checked against the
//! template's `Parameters` as CloudFormation would check them.
//!
//! One argument holds one or more pairs separated by spaces, each
//! `Key=Value` or (the AWS CLI's form) `ParameterKey=Key,ParameterValue=Value`.
//! A value with spaces is quoted (`Name="a b"` or `Name='a b'`) or has them
//! escaped (`Name=a\ b`); in a value `\"`, `\'` and `\ ` stand for the
//! character, any other backslash is kept. This is the grammar of SAM CLI's
//! `CfnParameterOverridesType`, except that what it would silently skip
//! (text that is no pair) is an error here, and an empty value (`Key=`) is
//! accepted. Unlike SAM's, the option takes one argument per occurrence, so
//! the template file after it is never taken for a pair.

use serde_json::Value;

use super::DryRunError;
use crate::config::closest;

/// The pairs of one `--parameter-overrides` argument, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterOverrides(pub Vec<(String, String)>);

impl ParameterOverrides {
    /// Its pairs.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.0
    }
}

/// What an argument must look like, ending each parse error.
const EXPECTED: &str = "expected Key=Value pairs separated by spaces (quote a value with spaces: Key=\"a b\"), or ParameterKey=Key,ParameterValue=Value";

/// Reads one `--parameter-overrides` argument (a clap value parser).
pub fn parse(argument: &str) -> Result<ParameterOverrides, String> {
    let fail = |what: String| Err(format!("{what}; {EXPECTED}"));
    let mut pairs = Vec::new();
    let mut rest = argument.trim();
    while !rest.is_empty() {
        let aws_cli_form = rest.strip_prefix("ParameterKey=");
        let (key, after_key) = key(aws_cli_form.unwrap_or(rest));
        if key.is_empty() {
            return fail(format!(
                "`{}` does not start with a parameter name",
                word(rest)
            ));
        }
        let separator = match aws_cli_form {
            Some(_) => ",ParameterValue=",
            None => "=",
        };
        let Some(value_text) = after_key.strip_prefix(separator) else {
            return fail(format!(
                "`{}` has no `{separator}` after `{key}`",
                word(rest)
            ));
        };
        let Some((value, after_value)) = value(value_text) else {
            return fail(format!(
                "the value of `{key}` is not closed or holds a bare `\"`"
            ));
        };
        if !after_value.is_empty() && !after_value.starts_with(' ') {
            return fail(format!(
                "the value of `{key}` is followed by `{}`",
                word(after_value)
            ));
        }
        pairs.push((key.to_string(), value));
        rest = after_value.trim_start();
    }
    if pairs.is_empty() {
        return fail("no pair given".to_string());
    }
    Ok(ParameterOverrides(pairs))
}

/// The text up to the next space, for messages.
fn word(text: &str) -> &str {
    text.split(' ').next().unwrap_or(text)
}

/// A parameter name at the start of `text` (letters and digits, possibly in
/// quotes), and what follows it.
fn key(text: &str) -> (&str, &str) {
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote) {
            let (name, rest) = key(inner);
            if let Some(rest) = rest.strip_prefix(quote) {
                return (name, rest);
            }
        }
    }
    let end = text
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(text.len());
    text.split_at(end)
}

/// A value at the start of `text`: in double or single quotes (the quotes
/// removed), or up to the next space; and what follows it. `None` when a
/// quote is not closed, or an unquoted value holds a `"`.
fn value(text: &str) -> Option<(String, &str)> {
    let quote = text.chars().next().filter(|c| matches!(c, '"' | '\''));
    let body = match quote {
        Some(q) => &text[q.len_utf8()..],
        None => text,
    };
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, escaped @ (' ' | '"' | '\''))) => value.push(escaped),
                Some((_, other)) => {
                    value.push('\\');
                    value.push(other);
                }
                None => value.push('\\'),
            },
            c if Some(c) == quote => return Some((value, &body[i + c.len_utf8()..])),
            ' ' if quote.is_none() => return Some((value, &body[i..])),
            '"' if quote.is_none() => return None,
            c => value.push(c),
        }
    }
    // The end of the argument: an unquoted value ends there, a quoted one
    // was never closed.
    quote.is_none().then_some((value, ""))
}

/// Checks each override against the template's `Parameters`: the name is
/// declared, and the value is one of its `AllowedValues` and matches its
/// `AllowedPattern` (each item of a list type). A `NoEcho` parameter's value
/// is not repeated in the error.
pub fn check(template: &Value, overrides: &[(String, String)]) -> Result<(), DryRunError> {
    let declared = template.get("Parameters").and_then(Value::as_object);
    for (name, value) in overrides {
        let Some(parameter) = declared.and_then(|d| d.get(name)) else {
            let names: Vec<&str> = declared
                .into_iter()
                .flat_map(|d| d.keys().map(String::as_str))
                .collect();
            let hint = match closest(name, names.iter().copied()) {
                Some(meant) => format!("; did you mean `{meant}`?"),
                None if names.is_empty() => " (it declares none)".to_string(),
                None => format!(" (it declares {})", names.join(", ")),
            };
            return Err(DryRunError::UndeclaredOverride {
                name: name.clone(),
                hint,
            });
        };
        if let Some(why) = refusal(parameter, value) {
            return Err(DryRunError::RefusedOverride {
                name: name.clone(),
                why,
            });
        }
    }
    Ok(())
}

/// Why a template parameter would refuse `value`, if it would.
fn refusal(parameter: &Value, value: &str) -> Option<String> {
    let secret = parameter
        .get("NoEcho")
        .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
    let shown = |item: &str| match secret {
        true => "the value given (NoEcho)".to_string(),
        false => format!("\"{item}\""),
    };
    let is_list = parameter
        .get("Type")
        .and_then(Value::as_str)
        .is_some_and(|t| t == "CommaDelimitedList" || t.starts_with("List<"));
    let items: Vec<&str> = match is_list {
        true => value.split(',').map(str::trim).collect(),
        false => vec![value],
    };
    let allowed: Option<Vec<String>> = parameter
        .get("AllowedValues")
        .and_then(Value::as_array)
        .map(|values| values.iter().map(text).collect());
    let pattern = parameter.get("AllowedPattern").and_then(Value::as_str);
    // CloudFormation's patterns are Java's; one this crate cannot read is
    // left for CloudFormation to check.
    let matcher = pattern.and_then(|p| regex::Regex::new(&format!("^(?:{p})$")).ok());
    for item in items {
        if let Some(allowed) = &allowed
            && !allowed.iter().any(|a| a == item)
        {
            return Some(format!(
                "{} is not one of its AllowedValues: {}",
                shown(item),
                allowed.join(", ")
            ));
        }
        if let (Some(pattern), Some(matcher)) = (pattern, &matcher)
            && !matcher.is_match(item)
        {
            let constraint = parameter
                .get("ConstraintDescription")
                .and_then(Value::as_str)
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            return Some(format!(
                "{} does not match its AllowedPattern `{pattern}`{constraint}",
                shown(item)
            ));
        }
    }
    None
}

/// A value of `AllowedValues` as the text it allows (YAML may write `1` or `true`).
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(argument: &str) -> Vec<(String, String)> {
        parse(argument)
            .unwrap_or_else(|e| panic!("{argument}: {e}"))
            .into_pairs()
    }

    fn pair(key: &str, value: &str) -> (String, String) {
        (key.to_string(), value.to_string())
    }

    #[test]
    fn pairs_are_read_as_sam_deploy_reads_them() {
        let table: &[(&str, &[(&str, &str)])] = &[
            ("Stage=prod", &[("Stage", "prod")]),
            ("Stage=prod Foo=bar", &[("Stage", "prod"), ("Foo", "bar")]),
            (
                "  Stage=prod   Foo=bar  ",
                &[("Stage", "prod"), ("Foo", "bar")],
            ),
            (
                "ParameterKey=Stage,ParameterValue=prod ParameterKey=Foo,ParameterValue=a,b",
                &[("Stage", "prod"), ("Foo", "a,b")],
            ),
            (
                "ParameterKey=Stage,ParameterValue=prod Foo=bar",
                &[("Stage", "prod"), ("Foo", "bar")],
            ),
            (
                r#"Name="a b" Other='c "d"'"#,
                &[("Name", "a b"), ("Other", "c \"d\"")],
            ),
            (r#"Name="say \"hi\"""#, &[("Name", "say \"hi\"")]),
            (
                r"Name=a\ b Path=C:\dir",
                &[("Name", "a b"), ("Path", r"C:\dir")],
            ),
            ("Url=https://x.io/?a=b", &[("Url", "https://x.io/?a=b")]),
            ("Name=it's", &[("Name", "it's")]),
            ("Empty= Next=1", &[("Empty", ""), ("Next", "1")]),
            ("\"Quoted\"=1", &[("Quoted", "1")]),
        ];
        for (argument, expected) in table {
            let expected: Vec<_> = expected.iter().map(|(k, v)| pair(k, v)).collect();
            assert_eq!(pairs(argument), expected, "{argument}");
        }
    }

    #[test]
    fn text_that_is_no_pair_is_refused() {
        let table = [
            ("", "no pair given"),
            (
                "template.yaml",
                "`template.yaml` has no `=` after `template`",
            ),
            ("Stage=prod junk", "`junk` has no `=` after `junk`"),
            ("=prod", "`=prod` does not start with a parameter name"),
            (
                "Name=\"open",
                "the value of `Name` is not closed or holds a bare `\"`",
            ),
            (
                "Name=a\"b",
                "the value of `Name` is not closed or holds a bare `\"`",
            ),
            ("Name=\"a\"b", "the value of `Name` is followed by `b`"),
            (
                "ParameterKey=Stage,Value=prod",
                "`ParameterKey=Stage,Value=prod` has no `,ParameterValue=` after `Stage`",
            ),
        ];
        for (argument, why) in table {
            let error = parse(argument).unwrap_err();
            assert_eq!(error, format!("{why}; {EXPECTED}"), "{argument}");
        }
    }

    fn template() -> Value {
        json!({"Parameters": {
            "Stage": {"Type": "String", "AllowedValues": ["dev", "prod"]},
            "Bucket": {"Type": "String", "AllowedPattern": "[a-z-]+", "ConstraintDescription": "lower case"},
            "Zones": {"Type": "CommaDelimitedList", "AllowedValues": ["a", "b"]},
            "Size": {"Type": "Number", "AllowedValues": [1, 2]},
            "Token": {"Type": "String", "NoEcho": true, "AllowedPattern": "[0-9]+"}
        }})
    }

    fn checked(overrides: &[(&str, &str)]) -> Result<(), String> {
        let overrides: Vec<_> = overrides.iter().map(|(k, v)| pair(k, v)).collect();
        check(&template(), &overrides).map_err(|e| e.to_string())
    }

    #[test]
    fn values_the_template_allows_pass() {
        let overrides = [
            ("Stage", "prod"),
            ("Bucket", "my-bucket"),
            ("Zones", "a, b"),
            ("Size", "2"),
            ("Token", "123"),
        ];
        assert_eq!(checked(&overrides), Ok(()));
    }

    #[test]
    fn names_and_values_the_template_refuses_are_errors_naming_the_parameter() {
        let table = [
            (
                ("Stag", "prod"),
                "--parameter-overrides gives `Stag`, which the template does not declare in Parameters; did you mean `Stage`?",
            ),
            (
                ("Nothing", "1"),
                "--parameter-overrides gives `Nothing`, which the template does not declare in Parameters (it declares Stage, Bucket, Zones, Size, Token)",
            ),
            (
                ("Stage", "qa"),
                "--parameter-overrides gives `Stage` a value the template refuses: \"qa\" is not one of its AllowedValues: dev, prod",
            ),
            (
                ("Bucket", "My_Bucket"),
                "--parameter-overrides gives `Bucket` a value the template refuses: \"My_Bucket\" does not match its AllowedPattern `[a-z-]+` (lower case)",
            ),
            (
                ("Zones", "a,c"),
                "--parameter-overrides gives `Zones` a value the template refuses: \"c\" is not one of its AllowedValues: a, b",
            ),
            (
                ("Token", "s3cr3t"),
                "--parameter-overrides gives `Token` a value the template refuses: the value given (NoEcho) does not match its AllowedPattern `[0-9]+`",
            ),
        ];
        for (override_, expected) in table {
            assert_eq!(
                checked(&[override_]),
                Err(expected.to_string()),
                "{override_:?}"
            );
        }
        let none = check(&json!({}), &[pair("A", "1")]).unwrap_err();
        assert!(none.to_string().ends_with("(it declares none)"), "{none}");
    }
}
