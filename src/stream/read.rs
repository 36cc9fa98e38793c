//! Reading an event in one pass over its bytes: the event's fields and the
//! fragment's sections as values, except `Resources`, whose resources are
//! read as their entries left as written ([`Received`]), `Properties` one
//! level deeper.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::MacroRequest;

/// A key as written: borrowed from the event unless it holds escapes.
pub type Key<'a> = Cow<'a, str>;

/// Entries of a JSON object, each value as written.
pub type Entries<'a> = Vec<(Key<'a>, &'a RawValue)>;

/// The event: its fields, and the fragment's sections.
pub struct EventParts<'a> {
    fields: Map<String, Value>,
    /// `None` when missing; `Some(None)` when given twice.
    fragment: Option<Option<Vec<(String, Section<'a>)>>>,
}

/// One section of the fragment.
pub enum Section<'a> {
    /// `Resources`: each resource as received.
    Resources(Vec<(Key<'a>, Received<'a>)>),
    /// Any other section.
    Other(Value),
}

/// One resource as received: its entries, `Properties` as its own entries.
pub struct Received<'a>(pub Vec<(Key<'a>, Field<'a>)>);

/// One entry of a resource.
pub enum Field<'a> {
    /// Any entry but `Properties`, as written.
    Raw(&'a RawValue),
    /// `Properties`, as its entries.
    Properties(Entries<'a>),
}

/// The `fragment` of an event as written (read again for a failure's answer).
#[derive(serde::Deserialize)]
pub struct FragmentOnly<'a> {
    /// The fragment.
    #[serde(borrow)]
    pub fragment: &'a RawValue,
}

impl<'a> EventParts<'a> {
    /// The request, checked by [`MacroRequest::from_value`] like any event
    /// (with an empty stand-in fragment), and the fragment's sections.
    pub fn into_request(self) -> Option<(MacroRequest, Vec<(String, Section<'a>)>)> {
        let sections = self.fragment??;
        let mut fields = self.fields;
        fields.insert("fragment".into(), Value::Object(Map::new()));
        let request = MacroRequest::from_value(Value::Object(fields)).ok()?;
        Some((request, sections))
    }
}

impl<'a> Received<'a> {
    /// The `Type`, when it is one string.
    pub fn type_name(&self) -> Option<Key<'a>> {
        let mut types = self.0.iter().filter(|(key, _)| key == "Type");
        let (_, Field::Raw(raw)) = types.next()? else {
            return None;
        };
        if types.next().is_some() {
            return None;
        }
        // Borrowed from the event when written without escapes.
        let text: &'a str = raw.get();
        match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(plain) if !plain.contains('\\') => Some(Cow::Borrowed(plain)),
            _ => serde_json::from_str::<String>(text).ok().map(Cow::Owned),
        }
    }

    /// Whether a key appears twice (in the resource or its `Properties`).
    pub fn has_duplicate_keys(&self) -> bool {
        fn duplicates<T>(entries: &[(Key<'_>, T)]) -> bool {
            entries
                .iter()
                .enumerate()
                .any(|(n, (key, _))| entries[..n].iter().any(|(other, _)| other == key))
        }
        duplicates(&self.0)
            || self.0.iter().any(|(_, field)| match field {
                Field::Properties(entries) => duplicates(entries),
                Field::Raw(_) => false,
            })
    }

    /// The whole resource as a value.
    pub fn parse_whole(&self) -> Option<Value> {
        self.parse_partly(&|_| false)
    }

    /// The resource as a value, but for the properties `raw` accepts (left
    /// out: written as received).
    pub fn parse_partly(&self, raw: &dyn Fn(&str) -> bool) -> Option<Value> {
        let mut resource = Map::with_capacity(self.0.len());
        for (key, field) in &self.0 {
            let value = match field {
                Field::Raw(text) => parse(text)?,
                Field::Properties(entries) => Value::Object(parse_entries(entries, |k| !raw(k))?),
            };
            resource.insert(key.to_string(), value);
        }
        Some(Value::Object(resource))
    }

    /// Every entry but `Properties`, as values.
    pub fn parse_all_but_properties(&self) -> Option<Map<String, Value>> {
        let mut resource = Map::with_capacity(self.0.len());
        for (key, field) in &self.0 {
            if let Field::Raw(raw) = field {
                resource.insert(key.to_string(), parse(raw)?);
            }
        }
        Some(resource)
    }

    /// Writes the resource as received.
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(b"{")?;
        for (n, (key, field)) in self.0.iter().enumerate() {
            write_key(out, n, key)?;
            match field {
                Field::Raw(raw) => out.write_all(raw.get().as_bytes())?,
                Field::Properties(entries) => {
                    out.write_all(b"{")?;
                    for (n, (key, raw)) in entries.iter().enumerate() {
                        write_key(out, n, key)?;
                        out.write_all(raw.get().as_bytes())?;
                    }
                    out.write_all(b"}")?;
                }
            }
        }
        out.write_all(b"}")
    }
}

/// The deepest nesting this path reads: serde_json counts the levels it
/// reads itself and stops at [`crate::template::MAX_DEPTH`], but not those
/// inside an entry read as written, which [`checked`] counts. An event past
/// it (with a margin) goes to the general path, which refuses it past the
/// limit with its message.
pub const DEPTH_LIMIT: usize = crate::template::MAX_DEPTH - 8;

/// An entry read as written inside `enclosing` levels (the event's object
/// is the first), or an error when it nests past [`DEPTH_LIMIT`].
fn checked<E: serde::de::Error>(raw: &RawValue, enclosing: usize) -> Result<&RawValue, E> {
    let room = DEPTH_LIMIT.saturating_sub(enclosing);
    let text = raw.get().as_bytes();
    // Each level takes two bytes at least: a short entry cannot be too deep.
    if text.len() >= 2 * room && nests_deeper_than(text, room) {
        return Err(E::custom("nested too deeply"));
    }
    Ok(raw)
}

/// Whether JSON text nests lists and mappings deeper than `limit` (brackets
/// inside strings do not count). Malformed text is left to the reader.
fn nests_deeper_than(bytes: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        i += 1;
        match byte {
            b'"' => i = string_end(bytes, i),
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Where the string whose text starts at `i` ends (past its closing quote):
/// eight bytes at a time, to the first quote or backslash among them.
fn string_end(bytes: &[u8], mut i: usize) -> usize {
    const QUOTES: u64 = u64::from_le_bytes([b'"'; 8]);
    const BACKSLASHES: u64 = u64::from_le_bytes([b'\\'; 8]);
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // The lowest flagged byte is exact (higher ones may be false alarms).
    let zero_bytes = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    loop {
        if let Some(chunk) = bytes.get(i..i + 8) {
            let v = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            let found = zero_bytes(v ^ QUOTES) | zero_bytes(v ^ BACKSLASHES);
            if found == 0 {
                i += 8;
                continue;
            }
            i += (found.trailing_zeros() / 8) as usize;
        }
        match bytes.get(i) {
            None => return bytes.len(),
            Some(b'"') => return i + 1,
            Some(b'\\') => i += 2,
            Some(_) => i += 1,
        }
    }
}

/// A value written as received, read.
fn parse(raw: &RawValue) -> Option<Value> {
    serde_json::from_str(raw.get()).ok()
}

/// The entries whose key `wanted` accepts, read.
pub fn parse_entries(
    entries: &Entries<'_>,
    wanted: impl Fn(&str) -> bool,
) -> Option<Map<String, Value>> {
    let wanted_entries = || entries.iter().filter(|(key, _)| wanted(key));
    // Room for what passes add (layers, tracing, an environment) without
    // growing: a mapping of more than nine entries is a large allocation,
    // which costs the allocator far more than a small one.
    let mut map = Map::with_capacity(wanted_entries().count() + 3);
    for (key, raw) in wanted_entries() {
        map.insert(key.to_string(), parse(raw)?);
    }
    Some(map)
}

/// Writes `"key":` after a comma unless it is the object's first (`n == 0`).
pub fn write_key(out: &mut impl Write, n: usize, key: &str) -> io::Result<()> {
    if n > 0 {
        out.write_all(b",")?;
    }
    super::write::write_str(out, key)?;
    out.write_all(b":")
}

/// A map visitor: `expecting` says what it reads, `entry` reads one value
/// for its key into the result.
macro_rules! map_visitor {
    ($target:ident, $expecting:literal, $key_type:ty, |$map:ident, $key:ident, $out:ident| $entry:block) => {
        impl<'de> Deserialize<'de> for $target<'de> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Reader;
                impl<'de> Visitor<'de> for Reader {
                    type Value = $target<'de>;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_map<A: MapAccess<'de>>(
                        self,
                        mut $map: A,
                    ) -> Result<Self::Value, A::Error> {
                        let mut $out = $target::default();
                        while let Some($key) = $map.next_key::<$key_type>()? {
                            $entry
                        }
                        Ok($out)
                    }
                }
                deserializer.deserialize_map(Reader)
            }
        }
    };
}

impl Default for EventParts<'_> {
    fn default() -> Self {
        EventParts {
            fields: Map::new(),
            fragment: None,
        }
    }
}

map_visitor!(EventParts, "a macro event", String, |map, key, event| {
    if key == "fragment" {
        let sections = map.next_value::<FragmentSections<'de>>()?.0;
        event.fragment = Some(match event.fragment {
            None => Some(sections),
            Some(_) => None,
        });
    } else {
        let value = map.next_value()?;
        event.fields.insert(key, value);
    }
});

/// The fragment read as its sections.
#[derive(Default)]
struct FragmentSections<'a>(Vec<(String, Section<'a>)>);

map_visitor!(
    FragmentSections,
    "a template",
    String,
    |map, key, sections| {
        let section = if key == "Resources" {
            Section::Resources(map.next_value::<ResourceSection<'de>>()?.0)
        } else {
            Section::Other(map.next_value()?)
        };
        sections.0.push((key, section));
    }
);

/// `Resources`, each resource as received.
#[derive(Default)]
struct ResourceSection<'a>(Vec<(Key<'a>, Received<'a>)>);

map_visitor!(
    ResourceSection,
    "a mapping of resources",
    KeyAsWritten<'de>,
    |map, id, resources| {
        let id = id.0;
        let resource = map.next_value()?;
        resources.0.push((id, resource));
    }
);

impl Default for Received<'_> {
    fn default() -> Self {
        Received(Vec::with_capacity(4))
    }
}

map_visitor!(
    Received,
    "a resource (a mapping)",
    KeyAsWritten<'de>,
    |map, key, resource| {
        let key = key.0;
        let field = if key == "Properties" {
            Field::Properties(map.next_value::<PropertyEntries<'de>>()?.0)
        } else {
            // The event, its fragment, `Resources` and the resource enclose it.
            Field::Raw(checked(map.next_value()?, 4)?)
        };
        resource.0.push((key, field));
    }
);

/// `Properties`, as its entries.
#[derive(Default)]
struct PropertyEntries<'a>(Entries<'a>);

map_visitor!(
    PropertyEntries,
    "properties (a mapping)",
    KeyAsWritten<'de>,
    |map, key, entries| {
        let key = key.0;
        // The event, its fragment, `Resources`, the resource and its
        // `Properties` enclose it.
        let value = checked(map.next_value()?, 5)?;
        entries.0.push((key, value));
    }
);

/// Reads a [`Key`].
struct KeyAsWritten<'a>(Key<'a>);

impl<'de> Deserialize<'de> for KeyAsWritten<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Reader;
        impl<'de> Visitor<'de> for Reader {
            type Value = KeyAsWritten<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Self::Value, E> {
                Ok(KeyAsWritten(Cow::Borrowed(key)))
            }
            fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
                Ok(KeyAsWritten(Cow::Owned(key.to_string())))
            }
            fn visit_string<E>(self, key: String) -> Result<Self::Value, E> {
                Ok(KeyAsWritten(Cow::Owned(key)))
            }
        }
        deserializer.deserialize_str(Reader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_written_as_json() {
        let mut out = Vec::new();
        write_key(&mut out, 0, "Plain").unwrap();
        write_key(&mut out, 1, "quote\"back\\slash\ttab").unwrap();
        write_key(&mut out, 2, "é").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#""Plain":,"quote\"back\\slash\ttab":,"é":"#
        );
    }

    #[test]
    fn nesting_is_counted_outside_strings() {
        assert!(!nests_deeper_than(br#"{"a": [[1]], "b": {"c": []}}"#, 3));
        assert!(nests_deeper_than(br#"{"a": [[[1]]]}"#, 3));
        assert!(!nests_deeper_than(
            br#"{"a": "[[[[{{{{", "b": "\"[[[["}"#,
            1
        ));
        assert!(nests_deeper_than(br#"{"a": "x\\", "b": [[1]]}"#, 2));
        assert!(!nests_deeper_than(br#"{"unterminated": "[[[["#, 1));
    }
}
