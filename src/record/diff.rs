//! The record of a transform: the template before it compared with the
//! template after it, value by value, each difference an [`Op`].
//!
//! - a mapping in both: the entries of both are compared; an entry only
//!   after is [`Op::Added`] at its own place when it holds a mapping or a
//!   list, while the scalars added to one mapping are one [`Op::Into`]
//!   (`/Environment/Variables/-`); an entry only before is [`Op::Removed`];
//! - a list in both: the common head and tail stay, the items between are
//!   compared pairwise, and the items only after are one [`Op::Into`] (only
//!   before: [`Op::Removed`] each, at its index);
//! - anything else that differs is [`Op::Replaced`].
//!
//! The template's `Transform` section is not compared (the dry run takes
//! our entry out, and putting it back would instrument the stack again at
//! deployment), and each resource is compared on its own, keyed by its
//! logical id.

use serde_json::{Map, Value};

use super::fingerprint::{ANY_ITEM, fingerprint, is_leaf, is_secret, leaves, of_leaf, push_key};
use super::{Change, Op, RESOURCES, Record, TRANSFORM};

/// The record of what changed from `before` to `after` (two templates).
pub(super) fn diff(before: &Value, after: &Value) -> Record {
    let mut record = Record::default();
    let empty = Map::new();
    let (before, after) = (
        before.as_object().unwrap_or(&empty),
        after.as_object().unwrap_or(&empty),
    );
    let mut sections = Diff::default();
    sections.map(before, after, &mut String::new(), |key| {
        key == TRANSFORM || key == RESOURCES
    });
    let resources = |t: &Map<String, Value>| t.get(RESOURCES).and_then(Value::as_object).cloned();
    let (old, new) = (
        resources(before).unwrap_or_default(),
        resources(after).unwrap_or_default(),
    );
    for (id, resource) in &new {
        match old.get(id) {
            Some(was) => {
                let mut changes = Diff::default();
                changes.value(was, resource, &mut String::new(), false);
                if !changes.ops.is_empty() {
                    record
                        .resources
                        .push((id.clone(), Change::Changed(changes.ops)));
                }
            }
            None => {
                let print = fingerprint("", Some(resource));
                record.resources.push((id.clone(), Change::New(print)));
            }
        }
    }
    for (id, was) in old.iter().filter(|(id, _)| !new.contains_key(*id)) {
        let removed = vec![(String::new(), Op::Removed { was: was.clone() })];
        record
            .resources
            .push((id.clone(), Change::Changed(removed)));
    }
    record.template = sections.ops;
    record
}

/// The ops found so far, each at its JSON Pointer.
#[derive(Default)]
struct Diff {
    ops: Vec<(String, Op)>,
}

impl Diff {
    /// Compares `before` and `after`, which sit at `path` (`secret`: under a
    /// secret's name).
    fn value(&mut self, before: &Value, after: &Value, path: &mut String, secret: bool) {
        if before == after {
            return;
        }
        let containers = !is_leaf(before, secret) && !is_leaf(after, secret);
        match (before, after) {
            (Value::Object(b), Value::Object(a)) if containers => self.map(b, a, path, |_| false),
            (Value::Array(b), Value::Array(a)) if containers => self.list(b, a, path),
            _ if secret || holds_secret(before) => {
                // A secret's earlier value is never copied into the record:
                // uninstrument leaves this one as it is. (The transform never
                // replaces a secret the template holds.)
            }
            _ => {
                let now = of_leaf(path, after, false);
                let was = before.clone();
                self.ops.push((path.clone(), Op::Replaced { was, now }));
            }
        }
    }

    /// Compares two mappings at `path`, but the keys `skip` names.
    fn map(
        &mut self,
        before: &Map<String, Value>,
        after: &Map<String, Value>,
        path: &mut String,
        skip: impl Fn(&str) -> bool,
    ) {
        let len = path.len();
        for (key, was) in before.iter().filter(|(k, _)| !skip(k)) {
            push_key(path, key);
            match after.get(key) {
                Some(now) => self.value(was, now, path, is_secret(key)),
                None if is_secret(key) || holds_secret(was) => {}
                None => {
                    let was = was.clone();
                    self.ops.push((path.clone(), Op::Removed { was }));
                }
            }
            path.truncate(len);
        }
        let mut scalars = Vec::new();
        for (key, now) in after
            .iter()
            .filter(|(k, _)| !skip(k) && !before.contains_key(*k))
        {
            push_key(path, key);
            let secret = is_secret(key);
            if matches!(now, Value::Object(_) | Value::Array(_)) && !secret {
                let mut prints = Vec::new();
                leaves(now, &mut String::new(), false, &mut prints);
                self.ops.push((path.clone(), Op::Added(prints)));
            } else {
                scalars.push(of_leaf(&path[len..], now, secret));
            }
            path.truncate(len);
        }
        if !scalars.is_empty() {
            self.ops.push((path.clone(), Op::Into(scalars)));
        }
    }

    /// Compares two lists at `path`.
    fn list(&mut self, before: &[Value], after: &[Value], path: &mut String) {
        let head = before.iter().zip(after).take_while(|(b, a)| b == a).count();
        let tail = (before[head..].iter().rev())
            .zip(after[head..].iter().rev())
            .take_while(|(b, a)| b == a)
            .count();
        let (was, now) = (
            &before[head..before.len() - tail],
            &after[head..after.len() - tail],
        );
        let paired = was.len().min(now.len());
        let len = path.len();
        for i in 0..paired {
            path.push_str(&format!("/{}", head + i));
            self.value(&was[i], &now[i], path, false);
            path.truncate(len);
        }
        if now.len() > paired {
            let prints = now[paired..]
                .iter()
                .map(|item| of_leaf(ANY_ITEM, item, false))
                .collect();
            self.ops.push((path.clone(), Op::Into(prints)));
        }
        for (i, was) in was.iter().enumerate().skip(paired) {
            if holds_secret(was) {
                continue;
            }
            let at = format!("{path}/{}", head + i);
            self.ops.push((at, Op::Removed { was: was.clone() }));
        }
    }
}

/// Whether a value holds a secret under its name (an intrinsic, such as a
/// `Ref` to a parameter, is not one).
fn holds_secret(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(key, v)| {
            (is_secret(key) && !crate::template::intrinsics::is_intrinsic(v)) || holds_secret(v)
        }),
        Value::Array(items) => items.iter().any(holds_secret),
        _ => false,
    }
}
