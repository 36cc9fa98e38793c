//! Writing values as compact JSON, byte for byte what `serde_json::to_writer`
//! writes, but scanning strings eight bytes at a time for what needs an
//! escape (serde_json looks at every byte in turn): most of what the
//! streaming answer writes is strings, keys and values, without escapes.

use std::io::{self, Write};

use serde_json::Value;

/// Writes `value` as compact JSON.
pub fn write_value(out: &mut impl Write, value: &Value) -> io::Result<()> {
    match value {
        Value::Null => out.write_all(b"null"),
        Value::Bool(true) => out.write_all(b"true"),
        Value::Bool(false) => out.write_all(b"false"),
        // Numbers are few (sizes, timeouts): serde_json's own digits.
        Value::Number(number) => serde_json::to_writer(out, number).map_err(io::Error::from),
        Value::String(text) => write_str(out, text),
        Value::Array(items) => {
            out.write_all(b"[")?;
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.write_all(b",")?;
                }
                write_value(out, item)?;
            }
            out.write_all(b"]")
        }
        Value::Object(map) => {
            out.write_all(b"{")?;
            for (n, (key, item)) in map.iter().enumerate() {
                if n > 0 {
                    out.write_all(b",")?;
                }
                write_str(out, key)?;
                out.write_all(b":")?;
                write_value(out, item)?;
            }
            out.write_all(b"}")
        }
    }
}

/// Writes `text` as a JSON string, escaped as serde_json escapes it.
pub fn write_str(out: &mut impl Write, text: &str) -> io::Result<()> {
    let bytes = text.as_bytes();
    out.write_all(b"\"")?;
    let mut start = 0;
    let mut i = 0;
    while let Some(at) = next_escape(bytes, i) {
        out.write_all(&bytes[start..at])?;
        write_escape(out, bytes[at])?;
        start = at + 1;
        i = at + 1;
    }
    out.write_all(&bytes[start..])?;
    out.write_all(b"\"")
}

/// The first byte from `start` on that JSON must escape: a quote, a
/// backslash or a control character (below 0x20). Eight bytes at a time,
/// the last eight read again overlapping those found clean; a short string
/// in two overlapping halves.
fn next_escape(bytes: &[u8], start: usize) -> Option<usize> {
    let rest = &bytes[start..];
    let n = rest.len();
    let found = if n >= 8 {
        let word = |at: usize| u64::from_le_bytes(rest[at..at + 8].try_into().expect("eight"));
        let mut at = 0;
        loop {
            if let Some(k) = first_escape(word(at)) {
                break Some(at + k);
            }
            at += 8;
            if at >= n {
                break None;
            }
            // The bytes before `at` are clean: no flag can fall on them.
            at = at.min(n - 8);
        }
    } else if n >= 4 {
        let half = |at: usize| {
            u64::from(u32::from_le_bytes(
                rest[at..at + 4].try_into().expect("four"),
            ))
        };
        first_escape(half(0) | half(n - 4) << 32).map(|k| if k < 4 { k } else { n + k - 8 })
    } else {
        rest.iter()
            .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
    };
    found.map(|k| start + k)
}

/// The first of eight bytes (read little-endian) that JSON must escape.
fn first_escape(v: u64) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const QUOTES: u64 = u64::from_le_bytes([b'"'; 8]);
    const BACKSLASHES: u64 = u64::from_le_bytes([b'\\'; 8]);
    const SPACES: u64 = u64::from_le_bytes([0x20; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // Flags the bytes below `n` (0 < n <= 0x80). The lowest flag is exact;
    // a higher one may be a false alarm (a borrow), never the first.
    let below = |v: u64, n: u64| v.wrapping_sub(n) & !v & HIGHS;
    let found = below(v ^ QUOTES, ONES) | below(v ^ BACKSLASHES, ONES) | below(v, SPACES);
    (found != 0).then(|| (found.trailing_zeros() / 8) as usize)
}

/// Writes the escape of one byte [`next_escape`] found.
fn write_escape(out: &mut impl Write, byte: u8) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match byte {
        b'"' => out.write_all(b"\\\""),
        b'\\' => out.write_all(b"\\\\"),
        b'\x08' => out.write_all(b"\\b"),
        b'\x0c' => out.write_all(b"\\f"),
        b'\n' => out.write_all(b"\\n"),
        b'\r' => out.write_all(b"\\r"),
        b'\t' => out.write_all(b"\\t"),
        _ => out.write_all(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(byte >> 4)],
            HEX[usize::from(byte & 0xf)],
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn written(value: &Value) -> String {
        let mut out = Vec::new();
        write_value(&mut out, value).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_byte_is_escaped_as_serde_json_escapes_it() {
        for byte in 0u8..0x80 {
            let text = format!("ab{}cdefghij{}k", char::from(byte), char::from(byte));
            let value = Value::String(text);
            assert_eq!(
                written(&value),
                serde_json::to_string(&value).unwrap(),
                "{byte:#x}"
            );
        }
    }

    #[test]
    fn escapes_are_found_at_every_place_in_strings_of_every_length() {
        for len in 0..24 {
            for at in 0..len {
                for (escape, other) in [('"', ' '), ('\n', '!'), ('\\', '\u{1}')] {
                    let mut text: Vec<char> =
                        "abcdefghijklmnopqrstuvwx".chars().take(len).collect();
                    text[at] = escape;
                    // Another byte to escape (or not) two places on, when there is room.
                    if at + 2 < len {
                        text[at + 2] = other;
                    }
                    let value = Value::String(text.into_iter().collect());
                    assert_eq!(written(&value), serde_json::to_string(&value).unwrap());
                }
            }
        }
    }

    #[test]
    fn values_are_written_as_serde_json_writes_them() {
        let value = json!({
            "plain": "a string long enough to take several chunks of eight",
            "é\"key": ["ü\u{1}", "\\", "", "x\u{7f}\u{2028}", "tab\tend\n"],
            "numbers": [0, -1, 1.5, 18446744073709551615u64, 1e300, -0.0],
            "nested": {"a": null, "b": true, "c": false, "d": {}, "e": []},
        });
        assert_eq!(written(&value), serde_json::to_string(&value).unwrap());
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_written_as_serde_json_writes_it(text in "\\PC*|[\\x00-\\x7f]{0,40}") {
            let value = Value::String(text);
            proptest::prop_assert_eq!(written(&value), serde_json::to_string(&value).unwrap());
        }
    }
}
