//! Reading a macro event in one pass over its text: the event's fields as
//! values, and its fragment as a [`Template`] whose values are kept as
//! written ([`RawValue`]s borrowed from the text), each checked on the way
//! by [`check`](super::check) for what serde_json's skim of it leaves out.
//!
//! So an event is read, and accepted or refused, exactly as serde_json
//! reads it into a `Value` (the first of two equal keys in its place with
//! the last one's value), whichever values the passes parse later. The
//! mappings read entry by entry are the fragment, `Resources`, each
//! resource and each resource's `Properties`; where one of them is not a
//! mapping, it is read as a value.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

use super::check::check;
use super::model::{Entries, Items, Key, Opened, PROPERTIES, Template};

/// A macro event as read: its fields, and its fragment.
#[derive(Debug, Default)]
pub struct Event<'a> {
    /// Every field but `fragment`, as values.
    pub fields: Map<String, Value>,
    /// The fragment: `None` when missing.
    pub fragment: Option<Fragment<'a>>,
}

/// An event's `fragment`.
#[derive(Debug)]
pub enum Fragment<'a> {
    /// A mapping: the template.
    Template(Template<'a>),
    /// Anything else, read as a value.
    Other(Value),
}

/// What was read where a mapping was expected.
#[derive(Debug)]
pub enum MapOr<T> {
    /// A mapping.
    Map(T),
    /// Anything else, as a value.
    Other(Value),
}

/// Reads an event's text (an event that is not a mapping: `Other`).
pub fn event(text: &str) -> Result<MapOr<Event<'_>>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let event = MapOrSeed(EventReader).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(event)
}

/// Reads a template's text (as a fragment is read in an event).
#[cfg(test)]
pub fn fragment(text: &str) -> Result<Template<'_>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let sections = LevelReader {
        level: Level::Sections,
        depth: 0,
    };
    let template = match MapOrSeed(sections).deserialize(&mut deserializer)? {
        MapOr::Map(sections) => Template::from_sections(sections),
        MapOr::Other(_) => return Err(serde_json::Error::custom("a template must be a mapping")),
    };
    deserializer.end()?;
    Ok(template)
}

/// A value of a template kept as written, opened one level: its entries or
/// items kept as written in turn (borrowed from the same text). `None`
/// when it is neither a mapping nor a list. The value was checked when the
/// template was read.
pub(super) fn open<'a>(raw: &'a RawValue) -> Option<Opened<'a>> {
    struct Opener;
    impl<'de> Visitor<'de> for Opener {
        type Value = Option<Result<Entries<'de>, Vec<&'de RawValue>>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any value")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let entries = entries(&mut map, |map, entries, key| {
                entries.put_received_value(key, Cow::Borrowed(map.next_value()?));
                Ok(())
            })?;
            Ok(Some(Ok(entries)))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element()? {
                items.push(item);
            }
            Ok(Some(Err(items)))
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    let text: &'a str = raw.get();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    match deserializer.deserialize_any(Opener).ok()?? {
        Ok(entries) => Some(Opened::Mapping(entries.opened_from(raw))),
        Err(items) => Some(Opened::List(Items::read(items, raw))),
    }
}

/// Reads the entries of one mapping.
trait ReadMap<'de> {
    /// What the mapping becomes.
    type Out;
    /// What the mapping is, for serde's messages.
    fn what(&self) -> &'static str;
    fn read<A: MapAccess<'de>>(self, map: A) -> Result<Self::Out, A::Error>;
}

/// Reads a mapping with `R`, or anything else as a value.
struct MapOrSeed<R>(R);

impl<'de, R: ReadMap<'de>> DeserializeSeed<'de> for MapOrSeed<R> {
    type Value = MapOr<R::Out>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, R: ReadMap<'de>> Visitor<'de> for MapOrSeed<R> {
    type Value = MapOr<R::Out>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.what())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.read(map).map(MapOr::Map)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        Ok(MapOr::Other(Value::Array(items)))
    }

    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(MapOr::Other(Value::Bool(b)))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(MapOr::Other(Value::Number(n.into())))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(MapOr::Other(Value::Number(n.into())))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Self::Value, E> {
        Ok(MapOr::Other(
            Number::from_f64(n).map_or(Value::Null, Value::Number),
        ))
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(MapOr::Other(Value::String(s.to_string())))
    }

    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(MapOr::Other(Value::String(s)))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(MapOr::Other(Value::Null))
    }
}

/// The event: its fields as values, its fragment as a template.
struct EventReader;

impl<'de> ReadMap<'de> for EventReader {
    type Out = Event<'de>;

    fn what(&self) -> &'static str {
        "a macro event"
    }

    fn read<A: MapAccess<'de>>(self, mut map: A) -> Result<Event<'de>, A::Error> {
        let mut event = Event::default();
        while let Some(KeyAsWritten(key)) = map.next_key()? {
            if key == "fragment" {
                let sections = LevelReader {
                    level: Level::Sections,
                    depth: 1,
                };
                event.fragment = Some(match map.next_value_seed(MapOrSeed(sections))? {
                    MapOr::Map(sections) => Fragment::Template(Template::from_sections(sections)),
                    MapOr::Other(value) => Fragment::Other(value),
                });
            } else {
                let value = map.next_value()?;
                event.fields.insert(key.into_owned(), value);
            }
        }
        Ok(event)
    }
}

/// Reads a value kept as written, inside `enclosing` lists and mappings.
fn kept<'de, A: MapAccess<'de>>(map: &mut A, enclosing: usize) -> Result<&'de RawValue, A::Error> {
    let raw: &'de RawValue = map.next_value()?;
    check(raw.get(), enclosing).map_err(A::Error::custom)?;
    Ok(raw)
}

/// Reads the entries of a mapping: each value with `value`, which stores it.
fn entries<'de, A: MapAccess<'de>>(
    map: &mut A,
    mut value: impl FnMut(&mut A, &mut Entries<'de>, Key<'de>) -> Result<(), A::Error>,
) -> Result<Entries<'de>, A::Error> {
    let mut entries = Entries::default();
    while let Some(KeyAsWritten(key)) = map.next_key()? {
        value(map, &mut entries, key)?;
    }
    Ok(entries)
}

/// Stores a mapping read entry by entry, or what stood in its place.
fn put_mapping<'de>(entries: &mut Entries<'de>, key: Key<'de>, read: MapOr<Entries<'de>>) {
    match read {
        MapOr::Map(mapping) => entries.put_received_mapping(key, mapping),
        MapOr::Other(value) => entries.put_received_parsed(key, value),
    }
}

/// The levels of a template read entry by entry.
#[derive(Debug, Clone, Copy)]
enum Level {
    /// The template's sections.
    Sections,
    /// `Resources`.
    Resources,
    /// A resource.
    Resource,
    /// A resource's `Properties`.
    Properties,
}

impl Level {
    /// The level of the value at `key` of a mapping of this level, when it
    /// is read entry by entry too.
    fn below(self, key: &str) -> Option<Level> {
        match (self, key) {
            (Level::Sections, "Resources") => Some(Level::Resources),
            (Level::Resources, _) => Some(Level::Resource),
            (Level::Resource, PROPERTIES) => Some(Level::Properties),
            _ => None,
        }
    }
}

/// A mapping of one of the [`Level`]s, inside `depth` lists and mappings
/// (the sections of an event's fragment: 1).
struct LevelReader {
    level: Level,
    depth: usize,
}

impl<'de> ReadMap<'de> for LevelReader {
    type Out = Entries<'de>;

    fn what(&self) -> &'static str {
        match self.level {
            Level::Sections => "a template",
            Level::Resources => "a mapping of resources",
            Level::Resource => "a resource",
            Level::Properties => "properties",
        }
    }

    fn read<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
        let depth = self.depth + 1;
        entries(&mut map, |map, entries, key| {
            match self.level.below(&key) {
                Some(level) => {
                    let below = map.next_value_seed(MapOrSeed(LevelReader { level, depth }))?;
                    put_mapping(entries, key, below);
                }
                None => entries.put_received_value(key, Cow::Borrowed(kept(map, depth)?)),
            }
            Ok(())
        })
    }
}

/// A key, borrowed from the text unless it holds escapes.
struct KeyAsWritten<'a>(Key<'a>);

impl<'de> serde::Deserialize<'de> for KeyAsWritten<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
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
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(text: &str) -> Result<MapOr<Event<'_>>, String> {
        event(text).map_err(|e| e.to_string())
    }

    #[test]
    fn an_event_reads_as_serde_json_reads_it() {
        let text = r#"{"requestId": "r", "fragment": {"Description": "d",
            "Resources": {"A": {"Type": "T", "Properties": {"N": 1e2, "S": "\u00e9"}}, "B": 1, "A": {"Type": "U"}},
            "Outputs": {}}, "params": {"a": [1]}, "requestId": "again"}"#;
        let Ok(MapOr::Map(event)) = read(text) else {
            panic!("an event")
        };
        assert_eq!(
            event.fields,
            *json!({"requestId": "again", "params": {"a": [1]}})
                .as_object()
                .unwrap()
        );
        let Some(Fragment::Template(template)) = event.fragment else {
            panic!("a template")
        };
        let whole: Value = serde_json::from_str(text).unwrap();
        assert_eq!(template.to_value(), whole["fragment"]);
        assert_eq!(serde_json::to_value(&template).unwrap(), whole["fragment"]);
        assert_eq!(template.resource_type("A"), Some("U"));
    }

    #[test]
    fn what_is_not_a_mapping_reads_as_a_value() {
        let Ok(MapOr::Other(value)) = read("[1, {\"a\": null}]") else {
            panic!("not an event")
        };
        assert_eq!(value, json!([1, {"a": null}]));
        for (text, fragment) in [
            (r#"{"fragment": "t"}"#, json!("t")),
            (r#"{"fragment": null}"#, Value::Null),
        ] {
            let Ok(MapOr::Map(Event {
                fragment: Some(Fragment::Other(value)),
                ..
            })) = read(text)
            else {
                panic!("{text}")
            };
            assert_eq!(value, fragment);
        }
        let text = r#"{"fragment": {"Resources": {"A": [1e2], "B": {"Properties": "p"}}}}"#;
        let Ok(MapOr::Map(Event {
            fragment: Some(Fragment::Template(template)),
            ..
        })) = read(text)
        else {
            panic!("a template")
        };
        assert!(template.resource("A").is_none() && template.contains("A"));
        assert!(
            template
                .resource("B")
                .unwrap()
                .mapping(PROPERTIES)
                .is_none()
        );
        let whole: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            serde_json::to_value(template.received()).unwrap(),
            whole["fragment"]
        );
    }

    #[test]
    fn values_kept_as_written_are_refused_as_serde_json_refuses_them() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let places = [
            r#"{"fragment": {"Mappings": X}}"#,
            r#"{"fragment": {"Resources": {"Q": {"Metadata": X}}}}"#,
            r#"{"fragment": {"Resources": {"Q": {"Properties": {"P": X}}}}}"#,
            r#"{"fragment": {"Resources": {"Q": {"Properties": X}}}}"#,
            r#"{"fragment": {"Resources": X}}"#,
            r#"{"fragment": X}"#,
            r#"{"params": X, "fragment": {}}"#,
        ];
        for place in places {
            for x in [
                "1e400".to_string(),
                r#"{"a": [-1e999]}"#.to_string(),
                r#""\udc00""#.to_string(),
                r#"["\ud800 "]"#.to_string(),
                deep(120),
                deep(121),
                deep(122),
                deep(123),
                deep(124),
                deep(125),
                deep(126),
                deep(127),
            ] {
                let text = place.replace('X', &x);
                let serde_json = serde_json::from_str::<Value>(&text).is_ok();
                assert_eq!(read(&text).is_ok(), serde_json, "{text}");
            }
        }
    }
}
