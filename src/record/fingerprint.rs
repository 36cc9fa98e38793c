//! Fingerprints: what the record keeps of a value the transform wrote,
//! instead of the value, so that it stays small and never holds a secret.
//!
//! A fingerprint is the CRC-32 of where a value sits (its path below the
//! recorded place, `/Variables/DD_SITE`, `*` standing for any list item)
//! and of the value written as canonical JSON (keys sorted), so it changes
//! when the value is changed or moved, and not when a file is reformatted,
//! its keys reordered or converted between JSON and YAML. A value under a
//! secret's name (`DD_API_KEY`...) is fingerprinted by its path alone: the
//! record says that it was added, never what it holds.
//!
//! A value added in one piece is recorded as its *leaves*, so that what a
//! user adds inside it later is told apart and kept: a mapping's entries
//! one by one (recursively), a list's items each as a whole, anything else
//! (a scalar, an intrinsic function, an empty mapping or list, a secret)
//! as itself.

use std::fmt::Write as _;

use serde_json::Value;

use crate::secrets::{is_secret_param, is_secret_variable};
use crate::template::intrinsics::is_intrinsic;

/// The path step standing for any item of a list: items are found again
/// by what they hold, wherever they moved.
pub(super) const ANY_ITEM: &str = "/*";

/// Whether a key names a secret, whose value is never fingerprinted.
pub(super) fn is_secret(key: &str) -> bool {
    is_secret_variable(key) || is_secret_param(key)
}

/// The fingerprint of `value` at `path` (`None`: a secret, by its path).
pub(super) fn fingerprint(path: &str, value: Option<&Value>) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(path.as_bytes());
    hasher.update(&[0]);
    if let Some(value) = value {
        let mut text = String::new();
        canonical(value, &mut text);
        hasher.update(text.as_bytes());
    }
    hasher.finalize()
}

/// The fingerprint of a leaf at `path`, by its value or, under a secret's
/// name, by its path alone.
pub(super) fn of_leaf(path: &str, value: &Value, secret: bool) -> u32 {
    fingerprint(path, (!secret).then_some(value))
}

/// Whether `value` is recorded as one piece rather than entry by entry.
pub(super) fn is_leaf(value: &Value, secret: bool) -> bool {
    secret
        || is_intrinsic(value)
        || match value {
            Value::Object(map) => map.is_empty(),
            Value::Array(items) => items.is_empty(),
            _ => true,
        }
}

/// Pushes the fingerprint of each leaf of `value`, which sits at `path`.
pub(super) fn leaves(value: &Value, path: &mut String, secret: bool, out: &mut Vec<u32>) {
    if is_leaf(value, secret) {
        out.push(of_leaf(path, value, secret));
        return;
    }
    let len = path.len();
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                push_key(path, key);
                leaves(child, path, is_secret(key), out);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            path.push_str(ANY_ITEM);
            out.extend(items.iter().map(|item| of_leaf(path, item, false)));
            path.truncate(len);
        }
        _ => unreachable!("scalars are leaves"),
    }
}

/// Appends `/key` to a JSON Pointer, escaped (RFC 6901: `~` as `~0`, `/`
/// as `~1`).
pub(super) fn push_key(path: &mut String, key: &str) {
    path.push('/');
    if key.contains(['~', '/']) {
        path.push_str(&key.replace('~', "~0").replace('/', "~1"));
    } else {
        path.push_str(key);
    }
}

/// Fingerprints as the record writes them: eight hexadecimal digits each,
/// separated by spaces.
pub(super) fn to_text(fingerprints: &[u32]) -> String {
    let mut text = String::with_capacity(fingerprints.len() * 9);
    for (i, fingerprint) in fingerprints.iter().enumerate() {
        if i > 0 {
            text.push(' ');
        }
        let _ = write!(text, "{fingerprint:08x}");
    }
    text
}

/// Reads [`to_text`]'s form back; `None` when it is not that.
pub(super) fn from_text(text: &str) -> Option<Vec<u32>> {
    text.split(' ')
        .map(|word| {
            let hex = word.len() == 8 && word.bytes().all(|b| b.is_ascii_hexdigit());
            hex.then(|| u32::from_str_radix(word, 16).ok()).flatten()
        })
        .collect()
}

/// `value` as canonical JSON: no spaces, each mapping's keys sorted.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical(&map[key.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fingerprints_follow_the_value_and_its_place_not_the_key_order() {
        let a = json!({"Mode": "Active", "Extra": [1, 2]});
        let b = json!({"Extra": [1, 2], "Mode": "Active"});
        assert_eq!(fingerprint("/T", Some(&a)), fingerprint("/T", Some(&b)));
        assert_ne!(fingerprint("/T", Some(&a)), fingerprint("/U", Some(&a)));
        assert_ne!(
            fingerprint("/T", Some(&json!("1"))),
            fingerprint("/T", Some(&json!(1)))
        );
        // A fixed function (CRC-32, as zlib computes it): records written by
        // one version are read by the next.
        assert_eq!(to_text(&[fingerprint("", Some(&json!("a")))]), "b30b5690");
    }

    #[test]
    fn leaves_are_entries_items_and_secrets_by_their_path() {
        let value = json!({"Variables": {"DD_SITE": "datadoghq.com", "DD_API_KEY": "k"}, "L": ["x"], "R": {"Ref": "A"}, "E": {}});
        let mut out = Vec::new();
        leaves(&value, &mut String::new(), false, &mut out);
        assert_eq!(
            out,
            [
                fingerprint("/Variables/DD_SITE", Some(&json!("datadoghq.com"))),
                fingerprint("/Variables/DD_API_KEY", None),
                fingerprint("/L/*", Some(&json!("x"))),
                fingerprint("/R", Some(&json!({"Ref": "A"}))),
                fingerprint("/E", Some(&json!({}))),
            ]
        );
    }

    #[test]
    fn keys_are_escaped_and_text_reads_back() {
        let mut path = String::new();
        push_key(&mut path, "a/b~c");
        assert_eq!(path, "/a~1b~0c");
        let prints = [0, 0xdead_beef, 7];
        assert_eq!(to_text(&prints), "00000000 deadbeef 00000007");
        assert_eq!(from_text(&to_text(&prints)), Some(prints.to_vec()));
        assert_eq!(from_text("deadbeef  00000000"), None);
        assert_eq!(from_text("xyz"), None);
    }
}
