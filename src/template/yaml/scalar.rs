//! How one scalar is spelt in YAML so that every reader gets the same value
//! back: serde_yaml (YAML 1.2 rules, our own reader) and PyYAML (YAML 1.1
//! rules, used by cfn-flip, cfn-lint, the SAM CLI and `aws cloudformation
//! package`).
//!
//! The rule is conservative: a string is written unquoted only when it starts
//! with a letter, `_`, `/` or `$`, is not a word either YAML version reads as
//! a boolean, null or special float, and holds no character or sequence with
//! a meaning in YAML. Everything else is quoted (single quotes when possible,
//! double quotes with escapes otherwise) or, for multi-line text, written as a
//! `|` literal block.

use serde_json::Number;

/// Where a scalar is written: the rules for unquoted text differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Context {
    /// A value in block style (after `key:` or `- `).
    Block,
    /// An item of a flow sequence (`[a, b]`), where `,[]{}` end a scalar.
    Flow,
    /// A mapping key (never a literal block).
    Key,
}

/// How a string is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    /// Unquoted.
    Plain,
    /// `'...'`, quotes doubled.
    SingleQuoted,
    /// `"..."` with backslash escapes.
    DoubleQuoted,
    /// A `|` block, one source line per line.
    Literal,
}

/// Words that YAML 1.1 (`yes`, `on`, `y`...) or YAML 1.2 (`true`, `null`)
/// resolve to something other than a string when unquoted, or that a reader
/// might take for a special float. Compared without regard to case.
const RESERVED_WORDS: &[&str] = &[
    "y", "n", "yes", "no", "true", "false", "on", "off", "null", "inf", "infinity", "nan",
];

/// The style a string gets in a context.
pub(super) fn style(s: &str, context: Context) -> Style {
    if is_plain_safe(s, context) {
        Style::Plain
    } else if context == Context::Block && is_literal_safe(s) {
        Style::Literal
    } else if s.chars().all(|c| !needs_escape(c) && c != '\t') && !s.contains('\n') {
        Style::SingleQuoted
    } else {
        Style::DoubleQuoted
    }
}

/// A string in a one-line style (plain or quoted), for keys and flow items;
/// `None` when the style chosen is a literal block.
pub(super) fn inline(s: &str, context: Context) -> Option<String> {
    match style(s, context) {
        Style::Plain => Some(s.to_string()),
        Style::SingleQuoted => Some(single_quoted(s)),
        Style::DoubleQuoted => Some(double_quoted(s)),
        Style::Literal => None,
    }
}

/// True when `s` can be written unquoted and still be read as this string by
/// YAML 1.1 and 1.2 readers alike.
fn is_plain_safe(s: &str, context: Context) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    // Digits, signs and dots could start a number, a date or `.inf`; the
    // other ASCII punctuation characters are YAML indicators.
    let starts_safely = first.is_ascii_alphabetic()
        || matches!(first, '_' | '/' | '$')
        || (first.is_ascii_digit() && (is_dotted_version(s) || has_non_numeric_letter(s)));
    if !starts_safely {
        return false;
    }
    if RESERVED_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        return false;
    }
    if s.ends_with(':') || s.ends_with(char::is_whitespace) || s.contains(": ") || s.contains(" #")
    {
        return false;
    }
    let flow = context != Context::Block;
    s.chars().all(|c| {
        let allowed = c == ' ' || c.is_ascii_graphic() || (c >= '\u{a0}' && !needs_escape(c));
        allowed && !(flow && matches!(c, ',' | '[' | ']' | '{' | '}'))
    })
}

/// True for numbers with two dots or more (`1.4.0`, `10.0.0.1`): no YAML
/// version reads them as anything but text (a float has one dot).
fn is_dotted_version(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// True when `s` holds a letter that no number, date or time of YAML 1.1 or
/// 1.2 contains (those use only the hex digits and `o`, `t`, `x`, `z`): an
/// account-prefixed `123456789012.dkr.ecr...` or `1st` is surely text.
fn has_non_numeric_letter(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_ascii_alphabetic() && !"abcdefABCDEFoOtTxXzZ".contains(c))
}

/// True when `s` is multi-line text that a `|` block can hold exactly: no
/// carriage returns or other characters that need escapes, and at least one
/// line with visible text.
fn is_literal_safe(s: &str) -> bool {
    s.contains('\n')
        && s.chars()
            .all(|c| c == '\n' || c == '\t' || !needs_escape(c))
        && s.chars().any(|c| !c.is_whitespace())
}

/// Characters that must be written as escapes in double quotes: control
/// characters, the line separators YAML 1.1 knows besides `\n` (NEL, LS, PS),
/// the byte-order mark and the non-characters U+FFFE / U+FFFF. (Tab and
/// newline need escapes too in quoted text, but are allowed in literal
/// blocks; callers check them separately.)
fn needs_escape(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

/// `'text'`, with `'` doubled.
pub(super) fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `"text"` with backslash escapes for `"`, `\` and every character
/// [`needs_escape`] names.
pub(super) fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if (c as u32) < 0x100 && needs_escape(c) => {
                out.push_str(&format!("\\x{:02X}", c as u32));
            }
            c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The header and body lines of a literal block for `s` (which must pass
/// [`style`] as [`Style::Literal`]): `|`, `|-` or `|+` by how many newlines
/// end the text, with an indentation indicator `2` when the first line starts
/// with white space or is empty (a reader could not guess the indentation).
pub(super) fn literal(s: &str) -> (String, Vec<&str>) {
    let trailing = s.len() - s.trim_end_matches('\n').len();
    let chomping = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let indicator = if s.starts_with([' ', '\t', '\n']) {
        "2"
    } else {
        ""
    };
    let body = &s[..s.len() - trailing];
    let mut lines: Vec<&str> = body.split('\n').collect();
    // `|+` keeps the empty lines after the last one with text.
    lines.extend(std::iter::repeat_n("", trailing.saturating_sub(1)));
    (format!("|{indicator}{chomping}"), lines)
}

/// A JSON number as YAML text both YAML versions read as the same number:
/// integers as they are; floats always with a `.` in the mantissa and a signed
/// exponent (`1.0e+20`), as YAML 1.1 requires.
pub(super) fn number(n: &Number) -> String {
    let text = n.to_string();
    if n.is_f64() {
        let (mantissa, exponent) = match text.split_once(['e', 'E']) {
            Some((m, e)) => (m, Some(e)),
            None => (text.as_str(), None),
        };
        let mut out = mantissa.to_string();
        if !out.contains('.') {
            out.push_str(".0");
        }
        if let Some(e) = exponent {
            out.push('e');
            if !e.starts_with(['+', '-']) {
                out.push('+');
            }
            out.push_str(e);
        }
        out
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_only_when_unambiguous() {
        for s in [
            "Ref",
            "AWS::Region",
            "arn:aws:s3:::b/*",
            "a#b",
            "${AWS::Region}",
            "/aws/x",
        ] {
            assert_eq!(style(s, Context::Block), Style::Plain, "{s}");
        }
        for s in [
            "",
            "yes",
            "No",
            "ON",
            "y",
            "N",
            "True",
            "null",
            "NaN",
            "Infinity",
            "~",
            "0123",
            "1_000",
            ".5",
            "2010-09-09",
            "-",
            "- a",
            "a: b",
            "a:",
            "a #b",
            " a",
            "a ",
            "<<",
            "=",
            "!Ref",
            "*a",
            "&a",
            "'",
            "\"",
            "%",
            "@",
            "`",
            "é",
            "1.10",
            "+1",
            "a\u{a0}",
        ] {
            assert_ne!(style(s, Context::Block), Style::Plain, "{s:?}");
        }
        for s in [
            "1.4.0",
            "10.0.0.1",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1.0",
            "1st",
        ] {
            assert_eq!(style(s, Context::Flow), Style::Plain, "{s}");
        }
        for s in [
            "1.4",
            "1..4",
            "1.4.",
            ".1.4",
            "1.4.0-beta",
            "1.4e5.0",
            "0x1F",
            "0o17",
            "0b11",
            "1e5",
            "2001-12-14t21:59:43.10Z",
            "2001-12-14 21:59:43.10 -5",
            "1:20",
            "9to5",
            "1st: x",
        ] {
            assert_ne!(style(s, Context::Block), Style::Plain, "{s}");
        }
        assert_eq!(style("a,b", Context::Block), Style::Plain);
        assert_ne!(style("a,b", Context::Flow), Style::Plain);
        assert_ne!(style("${X}", Context::Key), Style::Plain);
    }

    #[test]
    fn quoting_and_escapes() {
        assert_eq!(inline("it's", Context::Block).unwrap(), "it's");
        assert_eq!(inline("'it's'", Context::Block).unwrap(), "'''it''s'''");
        assert_eq!(inline("a\tb", Context::Block).unwrap(), "\"a\\tb\"");
        assert_eq!(inline("a\nb", Context::Key).unwrap(), "\"a\\nb\"");
        assert_eq!(
            double_quoted("\"\\\0\u{1}\u{85}\u{2028}\u{feff}é"),
            "\"\\\"\\\\\\0\\x01\\N\\L\\uFEFFé\""
        );
    }

    #[test]
    fn literal_blocks() {
        assert_eq!(style("a\r\nb", Context::Block), Style::DoubleQuoted);
        assert_eq!(style("\n\n", Context::Block), Style::DoubleQuoted);
        assert_eq!(literal("a\nb"), ("|-".to_string(), vec!["a", "b"]));
        assert_eq!(literal("a\nb\n"), ("|".to_string(), vec!["a", "b"]));
        assert_eq!(literal("a\n\n\n"), ("|+".to_string(), vec!["a", "", ""]));
        assert_eq!(literal(" a\nb"), ("|2-".to_string(), vec![" a", "b"]));
    }

    #[test]
    fn numbers_read_as_numbers_in_yaml_1_1() {
        let n = |v: serde_json::Value| number(v.as_number().unwrap());
        assert_eq!(n(serde_json::json!(12)), "12");
        assert_eq!(n(serde_json::json!(-3)), "-3");
        assert_eq!(n(serde_json::json!(1.5)), "1.5");
        assert_eq!(n(serde_json::json!(1.0)), "1.0");
        assert_eq!(n(serde_json::json!(1e20)), "1.0e+20");
        assert_eq!(n(serde_json::json!(1.5e-7)), "1.5e-7");
    }
}
