//! The rules serde_json applies when it reads a value, checked on a value
//! kept as written.
//!
//! The event is read once: serde_json checks its syntax as it goes, but a
//! value it keeps as written (a [`RawValue`](serde_json::value::RawValue),
//! which the template holds until a pass asks for it) is only skimmed. Three
//! rules of serde_json's reading into a `Value` are not applied to it, and
//! are checked here, so that a template is refused or accepted whatever the
//! passes happen to read:
//!
//! - nesting: serde_json reads at most [`MAX_NESTING`] levels of lists and
//!   mappings, the event's own mapping included;
//! - numbers: one that does not fit an `f64` (`1e400`) is out of range;
//! - strings: a `\u` escape of a UTF-16 surrogate must be a pair (a leading
//!   surrogate then a trailing one).
//!
//! The text is valid JSON already (serde_json skimmed it), so the scan only
//! has to tell strings from the rest: `memchr` finds each string's end.
//! serde_json reading each such value again into nothing would apply the
//! same rules, for 5% more instructions on functions-500 and 7% on sam-500
//! (7% and 8% when it reads the whole event once more): enough to take both
//! over the target of 1.3 times the floor (docs/performance.md).

use memchr::memchr2;

/// The most levels of lists and mappings serde_json reads in one document:
/// its recursion limit refuses the 128th.
pub const MAX_NESTING: usize = 127;

/// What a value kept as written breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// More levels than [`MAX_NESTING`] allows where it stands.
    TooDeep,
    /// A number out of an `f64`'s range.
    NumberOutOfRange,
    /// A `\u` escape of half a surrogate pair.
    LoneSurrogate,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Problem::TooDeep => "recursion limit exceeded",
            Problem::NumberOutOfRange => "number out of range",
            Problem::LoneSurrogate => "lone leading surrogate in hex escape",
        })
    }
}

/// Checks `text`, one JSON value as serde_json skimmed it, inside
/// `enclosing` lists and mappings of its document.
pub fn check(text: &str, enclosing: usize) -> Result<(), Problem> {
    let bytes = text.as_bytes();
    let room = MAX_NESTING.saturating_sub(enclosing);
    let mut depth = 0;
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'"' => i = string_end(bytes, i + 1)?,
            b'[' | b'{' => {
                depth += 1;
                if depth > room {
                    return Err(Problem::TooDeep);
                }
                i += 1;
            }
            b']' | b'}' => {
                depth -= 1;
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let end = bytes[i..]
                    .iter()
                    .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .map_or(bytes.len(), |n| i + n);
                check_number(&text[i..end])?;
                i = end;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Where the string whose text starts at `i` ends (past its closing quote),
/// checking its `\u` escapes on the way.
fn string_end(bytes: &[u8], mut i: usize) -> Result<usize, Problem> {
    loop {
        let Some(n) = memchr2(b'"', b'\\', &bytes[i..]) else {
            return Ok(bytes.len());
        };
        i += n;
        if bytes[i] == b'"' {
            return Ok(i + 1);
        }
        // An escape: `\u` and four hex digits, or a backslash and one byte.
        if bytes.get(i + 1) != Some(&b'u') {
            i += 2;
            continue;
        }
        let unit = hex_unit(bytes, i + 2);
        i += 6;
        match unit {
            0xDC00..=0xDFFF => return Err(Problem::LoneSurrogate),
            0xD800..=0xDBFF => {
                if bytes.get(i..i + 2) != Some(b"\\u")
                    || !(0xDC00..=0xDFFF).contains(&hex_unit(bytes, i + 2))
                {
                    return Err(Problem::LoneSurrogate);
                }
                i += 6;
            }
            _ => {}
        }
    }
}

/// The four hex digits at `at` (valid: serde_json checked them).
fn hex_unit(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .and_then(|digits| std::str::from_utf8(digits).ok())
        .and_then(|digits| u32::from_str_radix(digits, 16).ok())
        .unwrap_or(0)
}

/// A number is out of range when it reads as an infinite `f64`.
fn check_number(number: &str) -> Result<(), Problem> {
    if number.parse::<f64>().is_ok_and(f64::is_infinite) {
        return Err(Problem::NumberOutOfRange);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// serde_json's verdict on `text` read inside `enclosing` lists.
    fn serde_json_reads(text: &str, enclosing: usize) -> bool {
        let document = format!("{}{text}{}", "[".repeat(enclosing), "]".repeat(enclosing));
        serde_json::from_str::<Value>(&document).is_ok()
    }

    #[test]
    fn agrees_with_serde_json() {
        let cases = [
            "1",
            "-0.5e-3",
            "1e308",
            "1.7976931348623157e308",
            "1.7976931348623159e308",
            "1e309",
            "-1e400",
            "1e-400",
            "0e99999",
            "1E+400",
            r#"{"a": [1e400]}"#,
            r#""1e400""#,
            r#""\ud83d\ude00""#,
            r#""\ud83d""#,
            r#""\ude00""#,
            r#""\ud83dx""#,
            r#""\ud83d\n""#,
            r#""\ud83d\ud83d""#,
            r#""\\ud83d""#,
            r#""\\\ud83d\ude00""#,
            r#"{"\udfff": 1}"#,
            r#"{"k": "\u00e9\u0041", "l": "[[[[{{{{"}"#,
            r#"["\"[", {"a": "\\"}, [[]]]"#,
            "true",
            "null",
        ];
        for text in cases {
            assert_eq!(check(text, 0).is_ok(), serde_json_reads(text, 0), "{text}");
        }
        let long = format!("1{}", "0".repeat(400));
        assert!(!serde_json_reads(&long, 0));
        assert_eq!(check(&long, 0), Err(Problem::NumberOutOfRange));
        let long_ok = format!("1{}", "0".repeat(300));
        assert!(check(&long_ok, 0).is_ok() && serde_json_reads(&long_ok, 0));
    }

    #[test]
    fn nesting_is_counted_from_the_document() {
        for enclosing in [0, 1, 5] {
            for depth in [1, 100, 121, 122, 123, 126, 127, 128, 200] {
                let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
                assert_eq!(
                    check(&text, enclosing).is_ok(),
                    serde_json_reads(&text, enclosing),
                    "{depth} levels inside {enclosing}"
                );
            }
        }
        let text = format!(r#"{{"a": "{}", "b": [[1]]}}"#, "[".repeat(300));
        assert_eq!(check(&text, MAX_NESTING - 3), Ok(()));
        assert_eq!(check(&text, MAX_NESTING - 2), Err(Problem::TooDeep));
    }

    proptest::proptest! {
        #[test]
        fn any_json_value_is_judged_as_serde_json_judges_it(
            text in r#"[\[\]{}",:0-9eE.+\-\\u dDaAbBcCfF8n ]{0,40}"#
        ) {
            // Only text serde_json skims as one value is ever checked.
            let skimmed = serde_json::from_str::<&serde_json::value::RawValue>(&text).is_ok();
            if skimmed {
                proptest::prop_assert_eq!(check(&text, 120).is_ok(), serde_json_reads(&text, 120), "{}", text);
            }
        }
    }
}
