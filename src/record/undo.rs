//! Undoing a record: each [`Op`] inverted where the template still holds
//! what the transform wrote, and left alone, with a warning, where it does
//! not (changed after the bake). A value the template had before the
//! transform is never removed: only what a fingerprint proves to be the
//! transform's own goes.
//!
//! Inside a resource, deeper places are undone first, and at one place a
//! replaced item before the items added after it, which come out before
//! removed items are put back: so that every list index recorded is the
//! one the list has when its turn comes. Resources the transform added go
//! last, and stay (with a warning) while what remains still refers to them.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::fingerprint::{ANY_ITEM, is_leaf, is_secret, of_leaf, push_key};
use super::{Change, Op, RESOURCES, Record};
use crate::template::intrinsics::single;

/// Undoes `record` on `template`; says in `warnings` what it left alone.
pub(super) fn undo(record: &Record, template: &mut Value, warnings: &mut Vec<String>) {
    let mut added = Vec::new();
    for (id, change) in &record.resources {
        let place = format!("{RESOURCES}.{id}");
        let resources = template.get_mut(RESOURCES).and_then(Value::as_object_mut);
        match (change, resources) {
            (Change::New(print), Some(resources)) => match resources.get(id) {
                Some(now) if of_leaf("", now, false) == *print => added.push(id.as_str()),
                Some(_) => warnings.push(format!(
                    "{place} was added by the transform and changed after the bake, so it was kept"
                )),
                None => {}
            },
            (Change::Changed(ops), Some(resources)) => match resources.get_mut(id) {
                Some(resource) => undo_ops(ops, resource, &place, warnings),
                None => match ops.as_slice() {
                    // A resource the transform removed (none does today).
                    [(at, Op::Removed { was })] if at.is_empty() => {
                        resources.insert(id.clone(), was.clone());
                    }
                    _ => warnings.push(format!(
                        "{place} is named in the record but is not in the template (renamed or removed after the bake): nothing was undone there"
                    )),
                },
            },
            (_, None) => {}
        }
    }
    undo_ops(&record.template, template, "", warnings);
    remove_unreferenced(template, added, warnings);
}

/// Undoes `ops` inside `root`, whose place is named `place` in messages.
fn undo_ops(ops: &[(String, Op)], root: &mut Value, place: &str, warnings: &mut Vec<String>) {
    let mut order: Vec<&(String, Op)> = ops.iter().collect();
    order.sort_by_key(|(at, op)| (std::cmp::Reverse(at.matches('/').count()), op.rank()));
    for (at, op) in order {
        let name = || readable(place, at);
        match op {
            Op::Replaced { was, now } => replace(root, at, was, *now, &name, warnings),
            Op::Added(prints) => {
                let mut pool = prints.clone();
                let Some(value) = root.pointer_mut(at) else {
                    continue;
                };
                if take(value, &mut String::new(), false, &mut pool) {
                    remove(root, at);
                } else if !pool.is_empty() {
                    let mut kept = Vec::new();
                    leaf_paths(value, &mut String::new(), false, &mut kept);
                    warnings.push(format!(
                        "{}: {} the transform wrote there changed after the bake, so what it holds was kept ({})",
                        name(),
                        values(pool.len()),
                        kept.join(", ")
                    ));
                }
            }
            Op::Into(prints) => {
                let mut pool = prints.clone();
                if let Some(container) = root.pointer_mut(at) {
                    take_entries(container, &mut pool);
                }
                if !pool.is_empty() {
                    warnings.push(format!(
                        "{}: {} the transform added there changed or went after the bake, so whatever is left of them was kept",
                        name(),
                        values(pool.len())
                    ));
                }
            }
            Op::Removed { was } => {
                if root.pointer(at).is_some() {
                    warnings.push(format!(
                        "{}: the transform removed it, and it is back: kept as it is",
                        name()
                    ));
                } else {
                    insert(root, at, was.clone());
                }
            }
        }
    }
}

/// "1 value" / "3 values".
fn values(n: usize) -> String {
    match n {
        1 => "1 value".to_string(),
        n => format!("{n} values"),
    }
}

/// Puts `was` back at `at` when the value there is the one the transform
/// wrote (found by its fingerprint in the same list when it moved).
fn replace(
    root: &mut Value,
    at: &str,
    was: &Value,
    now: u32,
    name: &dyn Fn() -> String,
    warnings: &mut Vec<String>,
) {
    let ours = |value: &Value| of_leaf(at, value, false) == now;
    if let Some(value) = root.pointer_mut(at).filter(|v| ours(v)) {
        *value = was.clone();
        return;
    }
    let (parent, _) = split(at);
    if let Some(Value::Array(items)) = root.pointer_mut(parent)
        && let Some(item) = items.iter_mut().find(|item| ours(item))
    {
        *item = was.clone();
        return;
    }
    if root.pointer(at).is_some() {
        warnings.push(format!(
            "{}: changed after the bake, so it was kept (before the transform it was {})",
            name(),
            brief(was)
        ));
    }
}

/// Takes out of `value` (at `path` below the recorded place) every leaf
/// whose fingerprint is in `pool`; whether `value` itself goes: it was
/// the transform's, or it held only the transform's and is now empty.
fn take(value: &mut Value, path: &mut String, secret: bool, pool: &mut Vec<u32>) -> bool {
    if is_leaf(value, secret) {
        return take_print(pool, of_leaf(path, value, secret));
    }
    let len = path.len();
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let mut removed = false;
            for key in keys {
                push_key(path, &key);
                if take(&mut map[key.as_str()], path, is_secret(&key), pool) {
                    map.shift_remove(&key);
                    removed = true;
                }
                path.truncate(len);
            }
            removed && map.is_empty()
        }
        Value::Array(items) => {
            path.push_str(ANY_ITEM);
            let before = items.len();
            take_items(items, path, pool);
            path.truncate(len);
            items.len() < before && items.is_empty()
        }
        _ => false,
    }
}

/// Takes out of an existing mapping or list the entries or items added
/// into it whose fingerprints are in `pool` (its own entries, not deeper).
fn take_entries(container: &mut Value, pool: &mut Vec<u32>) {
    match container {
        Value::Object(map) => {
            let mut path = String::new();
            map.retain(|key, value| {
                path.clear();
                push_key(&mut path, key);
                !take_print(pool, of_leaf(&path, value, is_secret(key)))
            });
        }
        Value::Array(items) => take_items(items, ANY_ITEM, pool),
        _ => {}
    }
}

/// Takes out the items whose fingerprints are in `pool`, the last first
/// (the transform appends).
fn take_items(items: &mut Vec<Value>, path: &str, pool: &mut Vec<u32>) {
    for i in (0..items.len()).rev() {
        if take_print(pool, of_leaf(path, &items[i], false)) {
            items.remove(i);
        }
    }
}

/// Takes one `print` out of `pool`, if there.
fn take_print(pool: &mut Vec<u32>, print: u32) -> bool {
    match pool.iter().position(|p| *p == print) {
        Some(i) => {
            pool.swap_remove(i);
            true
        }
        None => false,
    }
}

/// The places of the leaves of `value`, for messages (`Variables.MY_VAR`).
fn leaf_paths(value: &Value, path: &mut String, secret: bool, out: &mut Vec<String>) {
    match value {
        Value::Object(map) if !is_leaf(value, secret) => {
            for (key, child) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                leaf_paths(child, path, is_secret(key), out);
                path.truncate(len);
            }
        }
        _ => out.push(path.clone()),
    }
}

/// The parent's pointer and the last step of a pointer.
fn split(at: &str) -> (&str, String) {
    let (parent, last) = at.rsplit_once('/').unwrap_or(("", at));
    (parent, last.replace("~1", "/").replace("~0", "~"))
}

/// Removes the value at `at`.
fn remove(root: &mut Value, at: &str) {
    let (parent, last) = split(at);
    match root.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.shift_remove(&last);
        }
        Some(Value::Array(items)) => {
            if let Ok(i) = last.parse::<usize>()
                && i < items.len()
            {
                items.remove(i);
            }
        }
        _ => {}
    }
}

/// Puts `value` at `at`: a mapping's entry, or a list's item at that index.
fn insert(root: &mut Value, at: &str, value: Value) {
    let (parent, last) = split(at);
    match root.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(last, value);
        }
        Some(Value::Array(items)) => {
            let i = last
                .parse::<usize>()
                .unwrap_or(items.len())
                .min(items.len());
            items.insert(i, value);
        }
        _ => {}
    }
}

/// A place for people: `Resources.Fn.Properties.Layers[0]`.
fn readable(place: &str, at: &str) -> String {
    let mut text = place.to_string();
    for step in at.split('/').skip(1) {
        let step = step.replace("~1", "/").replace("~0", "~");
        if step == "-" {
            continue;
        }
        if step.parse::<usize>().is_ok() {
            text.push_str(&format!("[{step}]"));
        } else {
            if !text.is_empty() {
                text.push('.');
            }
            text.push_str(&step);
        }
    }
    text
}

/// A value in a message, cut short.
fn brief(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match text.char_indices().nth(60) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text,
    }
}

/// Removes the resources the transform added (`added`), but those that what
/// remains of the template still refers to.
fn remove_unreferenced(template: &mut Value, added: Vec<&str>, warnings: &mut Vec<String>) {
    let mut going: BTreeSet<&str> = added.into_iter().collect();
    loop {
        let mut found = BTreeSet::new();
        let empty = Map::new();
        let root = template.as_object().unwrap_or(&empty);
        for (key, section) in root {
            match section.as_object() {
                Some(resources) if key == RESOURCES => resources
                    .iter()
                    .filter(|(id, _)| !going.contains(id.as_str()))
                    .for_each(|(_, resource)| references(resource, &going, &mut found)),
                _ => references(section, &going, &mut found),
            }
        }
        if found.is_empty() {
            break;
        }
        for id in found {
            going.remove(id.as_str());
            warnings.push(format!(
                "{RESOURCES}.{id} was added by the transform, but what the template keeps refers to it (Ref, Fn::GetAtt, Fn::Sub or DependsOn), so it was kept"
            ));
        }
    }
    if let Some(resources) = template.get_mut(RESOURCES).and_then(Value::as_object_mut) {
        resources.retain(|id, _| !going.contains(id.as_str()));
    }
}

/// Adds to `found` each of `ids` that `value` refers to.
fn references(value: &Value, ids: &BTreeSet<&str>, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            let mut names: Vec<&str> = Vec::new();
            if let Some(Value::String(target)) = single(value, "Ref") {
                names.push(target);
            }
            match single(value, "Fn::GetAtt") {
                Some(Value::Array(args)) => names.extend(args.first().and_then(Value::as_str)),
                Some(Value::String(dotted)) => names.extend(dotted.split('.').next()),
                _ => {}
            }
            let sub = match single(value, "Fn::Sub") {
                Some(Value::Array(args)) => args.first(),
                other => other,
            };
            if let Some(Value::String(text)) = sub {
                let inside = text.split("${").skip(1).filter_map(|s| s.split('}').next());
                names.extend(inside.filter_map(|name| name.split('.').next()));
            }
            match map.get("DependsOn") {
                Some(Value::String(id)) => names.push(id),
                Some(Value::Array(list)) => names.extend(list.iter().filter_map(Value::as_str)),
                _ => {}
            }
            let hits = names.into_iter().filter(|name| ids.contains(name));
            found.extend(hits.map(str::to_string));
            map.values().for_each(|v| references(v, ids, found));
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, ids, found)),
        _ => {}
    }
}
