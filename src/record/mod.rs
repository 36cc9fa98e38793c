//! What a baked template records of the transform, and `uninstrument`,
//! which takes exactly that out again.
//!
//! A dry run (`transform`, the CLI's bake) compares the template before the
//! transform with the template after it (`diff`) and writes what changed
//! into the output, at `Metadata.DatadogServerless.Added`: nothing per
//! pass, so every pass, today's and tomorrow's, is recorded the same way.
//! The deployed macro writes no record: CloudFormation keeps the template
//! as written, and removing the transform from it undoes everything.
//!
//! The record is keyed by logical id; inside, by [JSON Pointer] below the
//! resource. A key starting with `/` is a place outside `Resources`, from
//! the template's root. Values the transform wrote are kept as
//! fingerprints (`fingerprint`: eight hexadecimal digits), never as
//! themselves, so the record stays small and holds no secret:
//!
//! ```yaml
//! Metadata:
//!   DatadogServerless:
//!     Added:
//!       OrdersFunction:                   # a resource the transform changed
//!         /Properties/Handler:            # a value it replaced: the value before,
//!           Was: app.handler              #   and the fingerprint of the one written
//!           Now: '924aa3af'
//!         /Properties/Layers: '3c504882 c01a6f2d'   # a value it added: its leaves
//!         /Properties/Tags: '1742383d ecc35a1c'
//!         /Properties/-: b550615d         # scalars added into a mapping the template
//!                                         #   had (`Tracing: Active`), or items into its list
//!       OrdersFunctionLogGroup: 5cbcd4cf  # a resource it added
//! ```
//!
//! `{Was: ...}` alone is a value the transform removed (none does today).
//!
//! [`uninstrument`] reads only the record, never guesses (`undo`): it
//! puts back each value replaced, and takes out each value added whose
//! fingerprint is still the one recorded; a value changed after the bake is
//! left in place with a warning, and a value the template had before the
//! transform is never removed. Without a record nothing changes.
//!
//! Baking a baked template again records against the template as it was
//! before the first bake (the earlier record undone in memory), so the
//! earliest value before always wins, and a bake that changes nothing more
//! writes the same record.
//!
//! [JSON Pointer]: https://www.rfc-editor.org/rfc/rfc6901

mod diff;
mod fingerprint;
mod undo;

use serde_json::{Map, Value};

use fingerprint::{from_text, to_text};

/// The template section the record is in.
const METADATA: &str = "Metadata";
/// The project's own entry of `Metadata`.
const OWNER: &str = "DatadogServerless";
/// The record's key in [`OWNER`].
const KEY: &str = "Added";
/// The section of resources, recorded by logical id.
const RESOURCES: &str = "Resources";
/// The section the record leaves out.
const TRANSFORM: &str = "Transform";
/// Where the record is, for messages.
pub const PLACE: &str = "Metadata.DatadogServerless.Added";

/// One difference between before and after, at a JSON Pointer.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    /// The value at the pointer was added: the fingerprints of its leaves.
    Added(Vec<u32>),
    /// Entries (scalars) or items added into the mapping or list the
    /// template had at the pointer: their fingerprints. Written `POINTER/-`.
    Into(Vec<u32>),
    /// The value at the pointer was `was`; the transform wrote one whose
    /// fingerprint is `now`.
    Replaced {
        /// The value before.
        was: Value,
        /// The fingerprint of the value written.
        now: u32,
    },
    /// The value at the pointer was `was`, and the transform removed it.
    Removed {
        /// The value before.
        was: Value,
    },
}

impl Op {
    /// Among ops at one depth, the order of undoing: a replaced item, then
    /// what was added, then what was removed.
    fn rank(&self) -> u8 {
        match self {
            Op::Replaced { .. } => 0,
            Op::Added(_) | Op::Into(_) => 1,
            Op::Removed { .. } => 2,
        }
    }
}

/// What the transform did to one resource.
#[derive(Debug, Clone, PartialEq)]
enum Change {
    /// It added the resource: the fingerprint of the resource as written.
    New(u32),
    /// It changed it: the ops, pointers below the resource.
    Changed(Vec<(String, Op)>),
}

/// A record: per resource, and outside `Resources`.
#[derive(Debug, Clone, Default, PartialEq)]
struct Record {
    resources: Vec<(String, Change)>,
    /// Ops outside `Resources`, pointers from the template's root.
    template: Vec<(String, Op)>,
}

/// Why a record cannot be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The record is not one this version writes.
    #[error(
        "{PLACE}{at} is not a record of what the transform added ({why}); it was written by another version or edited by hand: restore it from the baked file"
    )]
    Unreadable {
        /// Where in the record (` at OrdersFunction./Properties/Handler`).
        at: String,
        /// What is wrong.
        why: String,
    },
    /// The template's `Metadata` or its `DatadogServerless` entry is not a
    /// mapping, so the record has no place.
    #[error(
        "the template's {0} is not a mapping, so the record of what the transform added cannot be written there: make it one"
    )]
    NoPlace(&'static str),
}

impl Record {
    fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.template.is_empty()
    }

    /// The record as the template holds it.
    fn to_value(&self) -> Value {
        let mut out = Map::new();
        for (id, change) in &self.resources {
            let value = match change {
                Change::New(print) => Value::String(to_text(&[*print])),
                Change::Changed(ops) => Value::Object(ops_to_map(ops)),
            };
            out.insert(id.clone(), value);
        }
        out.extend(ops_to_map(&self.template));
        Value::Object(out)
    }

    /// Reads a record the template holds.
    fn from_value(value: &Value) -> Result<Record, RecordError> {
        let unreadable = |at: &str, why: &str| RecordError::Unreadable {
            at: if at.is_empty() {
                String::new()
            } else {
                format!(" at `{at}`")
            },
            why: why.to_string(),
        };
        let map = value
            .as_object()
            .ok_or_else(|| unreadable("", "it is not a mapping"))?;
        let mut record = Record::default();
        for (key, value) in map {
            if key.starts_with('/') {
                record.template.push(op_of(key, value).ok_or_else(|| {
                    unreadable(key, "not an op: fingerprints, or a mapping with `Was`")
                })?);
                continue;
            }
            let change = match value {
                Value::String(text) => match from_text(text).as_deref() {
                    Some([print]) => Change::New(*print),
                    _ => return Err(unreadable(key, "not one fingerprint")),
                },
                Value::Object(ops) => Change::Changed(
                    ops.iter()
                        .map(|(at, op)| {
                            op_of(at, op).ok_or_else(|| {
                                unreadable(
                                    &format!("{key}.{at}"),
                                    "not an op: fingerprints, or a mapping with `Was`",
                                )
                            })
                        })
                        .collect::<Result<_, _>>()?,
                ),
                _ => return Err(unreadable(key, "neither a fingerprint nor ops")),
            };
            record.resources.push((key.clone(), change));
        }
        Ok(record)
    }
}

/// The ops as the template holds them.
fn ops_to_map(ops: &[(String, Op)]) -> Map<String, Value> {
    let mut out = Map::new();
    for (at, op) in ops {
        let (key, value) = match op {
            Op::Added(prints) => (at.clone(), Value::String(to_text(prints))),
            Op::Into(prints) => (format!("{at}/-"), Value::String(to_text(prints))),
            Op::Replaced { was, now } => {
                let mut op = Map::new();
                op.insert("Was".into(), was.clone());
                op.insert("Now".into(), Value::String(to_text(&[*now])));
                (at.clone(), Value::Object(op))
            }
            Op::Removed { was } => {
                let op = Map::from_iter([("Was".to_string(), was.clone())]);
                (at.clone(), Value::Object(op))
            }
        };
        out.insert(key, value);
    }
    out
}

/// Reads one op written by [`ops_to_map`].
fn op_of(key: &str, value: &Value) -> Option<(String, Op)> {
    match value {
        Value::String(text) => {
            let prints = from_text(text)?;
            Some(match key.strip_suffix("/-") {
                Some(at) => (at.to_string(), Op::Into(prints)),
                None => (key.to_string(), Op::Added(prints)),
            })
        }
        Value::Object(op) => {
            let was = op.get("Was")?.clone();
            let op = match (op.get("Now"), op.len()) {
                (Some(Value::String(now)), 2) => match from_text(now).as_deref() {
                    Some([now]) => Op::Replaced { was, now: *now },
                    _ => return None,
                },
                (None, 1) => Op::Removed { was },
                _ => return None,
            };
            Some((key.to_string(), op))
        }
        _ => None,
    }
}

/// The record a template holds, if any.
fn held(template: &Value) -> Option<&Value> {
    template.get(METADATA)?.get(OWNER)?.get(KEY)
}

/// Takes the record out of `template`, and the `DatadogServerless` entry
/// and `Metadata` section when they held nothing else.
pub fn strip(template: &mut Value) {
    let Some(metadata) = template.get_mut(METADATA).and_then(Value::as_object_mut) else {
        return;
    };
    let Some(owner) = metadata.get_mut(OWNER).and_then(Value::as_object_mut) else {
        return;
    };
    if owner.shift_remove(KEY).is_none() || !owner.is_empty() {
        return;
    }
    metadata.shift_remove(OWNER);
    if metadata.is_empty()
        && let Some(root) = template.as_object_mut()
    {
        root.shift_remove(METADATA);
    }
}

/// The output of a transform of `input`, with the record of what the
/// transform added (against `input` as it was before any bake, when it
/// holds a record already). Without any change, no record.
pub fn record(input: &Value, output: Value) -> Result<Value, RecordError> {
    let origin = uninstrument(input)?.template;
    let mut plain = output.clone();
    strip(&mut plain);
    let record = diff::diff(&origin, &plain);
    if record.is_empty() {
        return Ok(plain);
    }
    let mut output = output;
    let root = output.as_object_mut().ok_or(RecordError::NoPlace("root"))?;
    let metadata = (root.entry(METADATA))
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or(RecordError::NoPlace("Metadata section"))?;
    let owner = (metadata.entry(OWNER))
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or(RecordError::NoPlace("Metadata.DatadogServerless entry"))?;
    owner.insert(KEY.to_string(), record.to_value());
    Ok(output)
}

/// A template with what its record says the transform added taken out.
#[derive(Debug, Clone, PartialEq)]
pub struct Undone {
    /// The template.
    pub template: Value,
    /// What was left in place, and why (changed after the bake...).
    pub warnings: Vec<String>,
    /// Whether the template held a record (without one, nothing changed).
    pub recorded: bool,
}

/// Takes out of `template` what its record says the transform added, and
/// the record; a template without one is returned as it is.
pub fn uninstrument(template: &Value) -> Result<Undone, RecordError> {
    let Some(held) = held(template) else {
        return Ok(Undone {
            template: template.clone(),
            warnings: Vec::new(),
            recorded: false,
        });
    };
    let record = Record::from_value(held)?;
    let mut template = template.clone();
    strip(&mut template);
    let mut warnings = Vec::new();
    undo::undo(&record, &mut template, &mut warnings);
    Ok(Undone {
        template,
        warnings,
        recorded: true,
    })
}

#[cfg(test)]
mod tests;
