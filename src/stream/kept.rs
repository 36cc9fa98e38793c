//! The resources kept out of the template the passes see: each with what
//! stands in for it there, and what the answer writes for it.

use std::collections::HashMap;
use std::io::{self, Write};
use std::ops::Range;

use serde_json::{Map, Value};

use super::read::{Entries, Field, Key, Received, parse_entries, write_key};
use super::write::write_value;
use crate::lambda::function::FUNCTION_TYPES;
use crate::lambda::{FunctionBodies, InPlace};
use crate::template::lookup;

/// Resource types some pass reads beyond `Type` (besides functions, which
/// are read one at a time): read whole. The template the passes see holds
/// only the `Type` of every other resource.
pub const WHOLE_TYPES: &[&str] = &[
    "AWS::Logs::LogGroup",
    "AWS::Logs::SubscriptionFilter",
    crate::step_functions::STATE_MACHINE_TYPE,
    crate::step_functions::SAM_STATE_MACHINE_TYPE,
];

/// Function properties no pass reads or writes: a function's passes run
/// without them, and the answer writes them as received.
pub const INERT_PROPERTIES: &[&str] = &[
    "AutoPublishAlias",
    "Code",
    "CodeSigningConfigArn",
    "CodeUri",
    "DeadLetterConfig",
    "DeadLetterQueue",
    "DeploymentPreference",
    "Description",
    "EphemeralStorage",
    "EventInvokeConfig",
    "Events",
    "FileSystemConfigs",
    "FunctionUrlConfig",
    "ImageUri",
    "InlineCode",
    "KmsKeyArn",
    "MemorySize",
    "ProvisionedConcurrencyConfig",
    "RecursiveLoop",
    "ReservedConcurrentExecutions",
    "RuntimeManagementConfig",
    "SnapStart",
    "Timeout",
    "VpcConfig",
];

/// Resource types of which passes read (and write) only some properties,
/// listed: the rest of their properties is written as received. Roles get
/// statements in `Policies`. (Log groups, small, are cheaper read whole.)
pub const PARTIAL_TYPES: &[(&str, &[&str])] = &[("AWS::IAM::Role", &["Policies"])];

/// The properties passes read of a resource of type `t`, when it is one of
/// [`PARTIAL_TYPES`].
fn partial_reads(t: &str) -> Option<&'static [&'static str]> {
    PARTIAL_TYPES
        .iter()
        .find(|(partial, _)| *partial == t)
        .map(|(_, read)| *read)
}

/// The properties of a function later passes read once it is written out
/// (the Forwarder subscription: its log group's name).
const DIGEST_PROPERTIES: &[&str] = &["FunctionName", "LoggingConfig"];

fn is_inert(key: &str) -> bool {
    INERT_PROPERTIES.contains(&key)
}

/// The resources kept aside, by logical id.
#[derive(Default)]
pub struct KeptAside<'a> {
    resources: HashMap<Key<'a>, Kept<'a>>,
    /// The functions written out so far, one after the other.
    written: Vec<u8>,
    /// A pass wrote a property this path keeps as received.
    broken: bool,
}

/// One resource kept aside.
struct Kept<'a> {
    /// What the template holds in its place: anything else there at the end
    /// means a pass changed it, and the general path answers.
    stands_in: StandsIn<'a>,
    /// What the answer holds for it.
    body: Body<'a>,
}

/// What stands in for a kept resource in the template the passes see.
enum StandsIn<'a> {
    /// `{"Type": ...}`: a resource no pass reads beyond its type.
    Type(Key<'a>),
    /// A function before its turn: its entries but `Properties` (not
    /// copied: checked against the received entries at the end).
    Entries,
    /// A function written out: its digest.
    Digest(Value),
    /// A resource of [`PARTIAL_TYPES`], in the template with only the
    /// properties passes read, which they may change: any of the others they
    /// wrote would be lost.
    Partial,
}

impl StandsIn<'_> {
    /// Whether `slot` is (still) what stood in for `body`.
    fn holds(&self, slot: &Value, body: &Body<'_>) -> bool {
        match (self, body) {
            (StandsIn::Type(type_name), _) => slot.as_object().is_some_and(|map| {
                map.len() == 1
                    && lookup::get(map, "Type").and_then(Value::as_str) == Some(type_name.as_ref())
            }),
            (StandsIn::Entries, Body::AsReceived(received)) => received
                .parse_all_but_properties()
                .is_some_and(|entries| slot.as_object() == Some(&entries)),
            (StandsIn::Digest(digest), Body::Written(_)) => slot == digest,
            (StandsIn::Partial, Body::Partial(received, read)) => {
                keeps_raw_ones(slot, received, &|key| !read.contains(&key))
            }
            _ => false,
        }
    }
}

/// A kept resource as the answer writes it.
enum Body<'a> {
    /// As received.
    AsReceived(Received<'a>),
    /// A function whose passes are running.
    Taken(Received<'a>),
    /// A function after its passes: a range of [`KeptAside::written`].
    Written(Range<usize>),
    /// A resource of [`PARTIAL_TYPES`]: the template holds the properties
    /// passes read (listed), the rest is written as received.
    Partial(Received<'a>, &'static [&'static str]),
}

impl<'a> KeptAside<'a> {
    /// Room for the functions of an event of `size` bytes, written out with
    /// what the passes add (reserved, not touched: no copy as it fills).
    pub fn with_room(size: usize) -> Self {
        KeptAside {
            written: Vec::with_capacity(size.saturating_mul(2)),
            ..KeptAside::default()
        }
    }

    /// The `Resources` section the passes see, keeping aside all it can;
    /// `None` when two resources have the same logical id.
    pub fn read_resources(
        &mut self,
        resources: Vec<(Key<'a>, Received<'a>)>,
    ) -> Option<Map<String, Value>> {
        let mut section = Map::with_capacity(resources.len());
        self.resources.reserve(resources.len());
        for (id, received) in resources {
            let kept_type = received
                .type_name()
                .filter(|t| !WHOLE_TYPES.contains(&t.as_ref()) && !received.has_duplicate_keys());
            let (resource, kept) = match kept_type {
                None => (received.parse_whole()?, None),
                Some(t) => {
                    let (resource, kept) = kept_aside(t, received)?;
                    (resource, Some(kept))
                }
            };
            if section.insert(id.to_string(), resource).is_some() {
                return None;
            }
            if let Some(kept) = kept {
                self.resources.insert(id, kept);
            }
        }
        Some(section)
    }

    /// Whether something went wrong that this path cannot vouch for (a
    /// function's properties unreadable, a pass writing a property kept as
    /// received): the general path must answer.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Whether every kept resource's stand-in is still what it was.
    pub fn untouched(&self, skeleton: &Value) -> bool {
        !self.broken
            && self.resources.iter().all(|(id, kept)| {
                skeleton["Resources"]
                    .get(id.as_ref())
                    .is_some_and(|slot| kept.stands_in.holds(slot, &kept.body))
            })
    }

    /// Writes the fragment: the skeleton, with each kept resource's body in
    /// place of its stand-in.
    pub fn write_fragment(&self, skeleton: &Value, out: &mut impl Write) -> io::Result<()> {
        let Some(sections) = skeleton.as_object() else {
            return write_value(out, skeleton);
        };
        out.write_all(b"{")?;
        for (n, (key, value)) in sections.iter().enumerate() {
            write_key(out, n, key)?;
            match value.as_object() {
                Some(resources) if key == "Resources" => self.write_resources(resources, out)?,
                _ => write_value(out, value)?,
            }
        }
        out.write_all(b"}")
    }

    fn write_resources(
        &self,
        resources: &Map<String, Value>,
        out: &mut impl Write,
    ) -> io::Result<()> {
        out.write_all(b"{")?;
        for (n, (id, resource)) in resources.iter().enumerate() {
            write_key(out, n, id)?;
            match self.resources.get(id.as_str()).map(|kept| &kept.body) {
                Some(Body::AsReceived(received)) => received.write(out)?,
                Some(Body::Written(range)) => out.write_all(&self.written[range.clone()])?,
                Some(Body::Partial(received, read)) => {
                    write_merged(out, resource, received, &|key| !read.contains(&key))?;
                }
                Some(Body::Taken(_)) | None => write_value(out, resource)?,
            }
        }
        out.write_all(b"}")
    }
}

/// A resource of type `t` kept aside, and what stands in for it.
fn kept_aside<'a>(t: Key<'a>, received: Received<'a>) -> Option<(Value, Kept<'a>)> {
    if let Some(read) = partial_reads(&t) {
        let partial = received.parse_partly(&|key| !read.contains(&key))?;
        let kept = Kept {
            stands_in: StandsIn::Partial,
            body: Body::Partial(received, read),
        };
        return Some((partial, kept));
    }
    if FUNCTION_TYPES.contains(&t.as_ref()) {
        let stands_in = Value::Object(received.parse_all_but_properties()?);
        let kept = Kept {
            stands_in: StandsIn::Entries,
            body: Body::AsReceived(received),
        };
        return Some((stands_in, kept));
    }
    let mut stands_in = Map::with_capacity(1);
    stands_in.insert("Type".into(), Value::String(t.to_string()));
    let kept = Kept {
        stands_in: StandsIn::Type(t),
        body: Body::AsReceived(received),
    };
    Some((Value::Object(stands_in), kept))
}

impl FunctionBodies for KeptAside<'_> {
    /// The function whole, but for its inert properties.
    fn take(&mut self, id: &str, fragment: &mut Value) -> Value {
        let slot = InPlace.take(id, fragment);
        let Some(kept) = self.resources.get_mut(id) else {
            return slot;
        };
        let received = match std::mem::replace(&mut kept.body, Body::Written(0..0)) {
            Body::AsReceived(received) if matches!(kept.stands_in, StandsIn::Entries) => received,
            other => {
                kept.body = other;
                self.broken = true;
                return slot;
            }
        };
        let Value::Object(mut stands_in) = slot else {
            self.broken = true;
            kept.body = Body::Taken(received);
            return Value::Null;
        };
        let mut whole = Map::with_capacity(received.0.len());
        for (key, field) in &received.0 {
            let (key, value) = match field {
                // The stand-in's own key and value, moved.
                Field::Raw(_) => stands_in
                    .remove_entry(key.as_ref())
                    .unwrap_or_else(|| (key.to_string(), Value::Null)),
                Field::Properties(entries) => {
                    let props = parse_entries(entries, |key| !is_inert(key));
                    let props = props.unwrap_or_else(|| {
                        self.broken = true;
                        Map::new()
                    });
                    (key.to_string(), Value::Object(props))
                }
            };
            whole.insert(key, value);
        }
        kept.body = Body::Taken(received);
        Value::Object(whole)
    }

    /// Writes the function out, its inert properties as received, and
    /// leaves its digest in the template.
    fn put(&mut self, id: &str, resource: Value, fragment: &mut Value) {
        let Some(kept) = self.resources.get_mut(id) else {
            return InPlace.put(id, resource, fragment);
        };
        let Body::Taken(received) = std::mem::replace(&mut kept.body, Body::Written(0..0)) else {
            self.broken = true;
            return;
        };
        let start = self.written.len();
        self.broken |= !keeps_raw_ones(&resource, &received, &is_inert);
        write_merged(&mut self.written, &resource, &received, &is_inert)
            .expect("writing to memory cannot fail");
        kept.body = Body::Written(start..self.written.len());
        let digest = digest(resource);
        kept.stands_in = StandsIn::Digest(digest.clone());
        InPlace.put(id, digest, fragment);
    }
}

/// The received `Properties` of a resource.
fn received_properties<'r, 'a>(received: &'r Received<'a>) -> Option<&'r Entries<'a>> {
    received.0.iter().find_map(|(key, field)| match field {
        Field::Properties(entries) if key == "Properties" => Some(entries),
        _ => None,
    })
}

/// Whether writing `resource` merged with `received` loses nothing: the
/// passes wrote none of the properties kept as received (`raw`).
fn keeps_raw_ones(resource: &Value, received: &Received<'_>, raw: &dyn Fn(&str) -> bool) -> bool {
    let Some(entries) = received_properties(received) else {
        return true;
    };
    match lookup::field(resource, "Properties") {
        Some(Value::Object(props)) => !props
            .keys()
            .any(|key| raw(key) && entries.iter().any(|(old, _)| old.as_ref() == key.as_str())),
        _ => false,
    }
}

/// Writes a resource after the passes: its `Properties` in the order
/// received (those `raw` accepts as received), then those the passes added.
/// [`keeps_raw_ones`] tells whether that loses nothing.
fn write_merged(
    out: &mut impl Write,
    resource: &Value,
    received: &Received<'_>,
    raw: &dyn Fn(&str) -> bool,
) -> io::Result<()> {
    let Some(resource) = resource.as_object() else {
        return write_value(out, resource);
    };
    let received_props = received_properties(received);
    out.write_all(b"{")?;
    for (n, (key, value)) in resource.iter().enumerate() {
        write_key(out, n, key)?;
        match (key.as_str(), value, received_props) {
            ("Properties", Value::Object(props), Some(entries)) => {
                write_properties(out, props, entries, raw)?;
            }
            _ => write_value(out, value)?,
        }
    }
    out.write_all(b"}")
}

fn write_properties(
    out: &mut impl Write,
    props: &Map<String, Value>,
    received: &Entries<'_>,
    raw: &dyn Fn(&str) -> bool,
) -> io::Result<()> {
    out.write_all(b"{")?;
    let mut n = 0;
    for (key, text) in received {
        let value = if raw(key) {
            None
        } else {
            match lookup::get(props, key) {
                Some(value) => Some(value),
                // Removed by a pass.
                None => continue,
            }
        };
        write_key(out, n, key)?;
        n += 1;
        match value {
            Some(value) => write_value(out, value)?,
            None => out.write_all(text.get().as_bytes())?,
        }
    }
    for (key, value) in props {
        if received.iter().any(|(old, _)| old.as_ref() == key.as_str()) {
            continue;
        }
        write_key(out, n, key)?;
        n += 1;
        write_value(out, value)?;
    }
    out.write_all(b"}")
}

/// What stands in for a function once written out: all but its
/// `Properties`, of which only [`DIGEST_PROPERTIES`].
fn digest(mut resource: Value) -> Value {
    if let Some(Value::Object(props)) = lookup::field_mut(&mut resource, "Properties") {
        // A new map: the function's own keeps its room for every property.
        *props = std::mem::take(props)
            .into_iter()
            .filter(|(name, _)| DIGEST_PROPERTIES.contains(&name.as_str()))
            .collect();
    }
    resource
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inert_properties_are_those_listed() {
        assert!(INERT_PROPERTIES.iter().all(|key| is_inert(key)));
        assert!(!is_inert("Environment") && !is_inert("Zzz") && !is_inert(""));
    }
}
