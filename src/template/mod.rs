//! Reading and writing CloudFormation templates (JSON or YAML), and the
//! helpers every pass uses to look at intrinsics and resources.

mod check;
pub(crate) mod intrinsics;
pub(crate) mod model;
pub(crate) mod read;
pub(crate) mod resources;
pub(crate) mod yaml;

use serde_json::Value;

/// The largest template accepted, in bytes. CloudFormation accepts 1 MB from
/// S3; the macro event limit is 6 MB. Anything larger is refused before
/// parsing so that it cannot exhaust memory.
pub const MAX_TEMPLATE_BYTES: usize = 5 * 1024 * 1024;

/// The deepest nesting accepted (levels of objects and lists).
///
/// serde_json and serde_yaml both stop at 128 levels; real templates stay far
/// below. Checked again on values built by other means.
pub const MAX_DEPTH: usize = 128;

/// A template's text format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// JSON, written with two-space indentation.
    Json,
    /// YAML, written with short-form intrinsics (`!Ref`, `!GetAtt`...).
    Yaml,
}

/// Why a template could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// Not valid JSON or YAML.
    #[error("{}", syntax_message(format, *line, *column, message))]
    Syntax {
        /// `JSON` or `YAML`.
        format: &'static str,
        /// 1-based line, 0 when unknown.
        line: usize,
        /// 1-based column, 0 when unknown.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// A YAML tag that is not a CloudFormation intrinsic.
    #[error(
        "unknown YAML tag `{tag}` at line {line}; CloudFormation knows !Ref, !GetAtt, !Sub, ... (see the intrinsic function reference)"
    )]
    UnknownTag {
        /// The tag as written, with its `!`.
        tag: String,
        /// 1-based line of its first use.
        line: usize,
    },
    /// The file is empty or only comments.
    #[error("the template is empty")]
    Empty,
    /// Parsed, but not a template (a list, a string...).
    #[error("{0}")]
    Shape(String),
    /// Over [`MAX_TEMPLATE_BYTES`].
    #[error(
        "the template is {0} bytes; the largest accepted is {MAX_TEMPLATE_BYTES} bytes (CloudFormation's own limit is 1 MB)"
    )]
    TooLarge(usize),
}

fn syntax_message(format: &str, line: usize, column: usize, message: &str) -> String {
    if line == 0 {
        format!("invalid {format}: {message}")
    } else {
        format!("invalid {format} at line {line}, column {column}: {message}")
    }
}

/// Guesses the format from the content: a document whose first significant
/// character is `{` is JSON, anything else YAML.
pub fn detect_format(text: &str) -> Format {
    let first = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next();
    if first == Some('{') {
        Format::Json
    } else {
        Format::Yaml
    }
}

/// Parses a template from text, detecting its format, and checks that it is
/// an object (a template), not a list or a scalar.
pub fn parse(text: &str) -> Result<(Value, Format), TemplateError> {
    if text.len() > MAX_TEMPLATE_BYTES {
        return Err(TemplateError::TooLarge(text.len()));
    }
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(TemplateError::Empty);
    }
    let format = detect_format(text);
    let value = match format {
        Format::Json => parse_json(text)?,
        Format::Yaml => yaml::parse(text)?,
    };
    match &value {
        Value::Object(_) => Ok((value, format)),
        Value::Null => Err(TemplateError::Empty),
        other => Err(TemplateError::Shape(format!(
            "a template must be a mapping of sections (Resources, Parameters...), not {}",
            crate::macro_event::json_type_name(other)
        ))),
    }
}

/// Parses JSON text into a value, with a positioned error message.
pub fn parse_json(text: &str) -> Result<Value, TemplateError> {
    if text.trim().is_empty() {
        return Err(TemplateError::Empty);
    }
    serde_json::from_str(text).map_err(|e| json_error(&e))
}

/// Turns a serde_json error into a positioned [`TemplateError`].
pub fn json_error(e: &serde_json::Error) -> TemplateError {
    let text = e.to_string();
    let message = if text.contains("recursion limit") {
        format!("the document is nested too deeply (more than {MAX_DEPTH} levels)")
    } else {
        match text.find(" at line ") {
            Some(i) => text[..i].to_string(),
            None => text,
        }
    };
    TemplateError::Syntax {
        format: "JSON",
        line: e.line(),
        column: e.column(),
        message,
    }
}

/// Writes a template in a format: JSON pretty-printed (two spaces, trailing
/// newline), YAML with short-form intrinsics.
pub fn to_string(value: &Value, format: Format) -> String {
    match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Yaml => yaml::to_string(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn detects_format_from_content() {
        assert_eq!(detect_format("  {\"a\": 1}"), Format::Json);
        assert_eq!(detect_format("a: 1"), Format::Yaml);
        assert_eq!(detect_format("# comment\n{a: 1}"), Format::Yaml);
    }

    #[test]
    fn keeps_key_order() {
        let (v, _) = parse("{\"z\": 1, \"a\": 2, \"m\": 3}").unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"z":1,"a":2,"m":3}"#);
        let (v, _) = parse("z: 1\na: 2\nm: 3\n").unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"z":1,"a":2,"m":3}"#);
    }

    #[test]
    fn refuses_non_templates() {
        assert_eq!(parse("").unwrap_err(), TemplateError::Empty);
        assert_eq!(parse("# nothing\n").unwrap_err(), TemplateError::Empty);
        assert!(
            parse("- a\n- b\n")
                .unwrap_err()
                .to_string()
                .contains("not a list")
        );
        assert!(
            parse("just text")
                .unwrap_err()
                .to_string()
                .contains("not a string")
        );
        assert!(
            parse("[1, 2]")
                .unwrap_err()
                .to_string()
                .contains("not a list")
        );
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse("{\"a\": 1,\n \"b\": }").unwrap_err().to_string();
        assert!(e.starts_with("invalid JSON at line 2, column"), "{e}");
        let e = parse("a: [1, 2\nb: c\n").unwrap_err().to_string();
        assert!(e.starts_with("invalid YAML at line"), "{e}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let e = parse(&format!("{{\"a\": {deep}}}"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("nested too deeply"), "{e}");
        let deep_yaml = format!("a: {}{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = parse(&deep_yaml).unwrap_err().to_string();
        assert!(e.contains("nested too deeply"), "{e}");
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut doc = String::from(
            "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            doc.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 9].join(",")));
        }
        let started = std::time::Instant::now();
        let e = parse(&doc).unwrap_err().to_string();
        assert!(e.contains("billion laughs"), "{e}");
        // Not a timing assertion of speed, only a guard against an hour-long hang.
        assert!(started.elapsed().as_secs() < 60);
    }

    #[test]
    fn json_output_is_pretty_with_newline() {
        assert_eq!(
            to_string(&json!({"a": [1]}), Format::Json),
            "{\n  \"a\": [\n    1\n  ]\n}\n"
        );
    }
}
