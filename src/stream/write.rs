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

/// The first byte from `i` on that JSON must escape: a quote, a backslash
/// or a control character (below 0x20).
fn next_escape(bytes: &[u8], mut i: usize) -> Option<usize> {
    const QUOTES: u64 = u64::from_le_bytes([b'"'; 8]);
    const BACKSLASHES: u64 = u64::from_le_bytes([b'\\'; 8]);
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const SPACES: u64 = u64::from_le_bytes([0x20; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // Flags bytes below `n` (0 < n <= 0x80); the lowest flagged byte is
    // exact, higher ones may be false alarms, which the byte loop settles.
    let below = |v: u64, n: u64| v.wrapping_sub(n) & !v & HIGHS;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let v = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let found = below(v ^ QUOTES, ONES) | below(v ^ BACKSLASHES, ONES) | below(v, SPACES);
        if found != 0 {
            i += (found.trailing_zeros() / 8) as usize;
            break;
        }
        i += 8;
    }
    bytes[i..]
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
        .map(|at| i + at)
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
