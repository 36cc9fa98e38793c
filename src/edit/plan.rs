//! The value diff between the template as read and the template the
//! transform produced, walked together with the text's [`Node`] tree: each
//! difference becomes the smallest edit of the text that expresses it.
//!
//! - mappings: removed keys are removed, changed values are walked into,
//!   new keys are appended after the mapping's last entry;
//! - lists: the common head and tail stay; in between, items are walked into
//!   pairwise, and what remains is inserted or removed;
//! - anything else (a scalar changed, a list that became a mapping...) is
//!   written anew in place.
//!
//! What cannot be edited this way (a change through an alias or a merge
//! key) is a [`Construct`] the caller reports.

use std::collections::HashSet;
use std::ops::Range;
use std::rc::Rc;

use serde_json::{Map, Value};

use super::Construct;
use super::syntax::{Parent, Splice, Splices, Syntax};
use super::tree::{Entry, Kind, Node};

/// A step of the path to a value, for labels and messages.
#[derive(Debug, Clone, Copy)]
enum Step<'v> {
    Key(&'v str),
    Index(usize),
}

/// Where planning stopped: what could not be edited, at which byte, on the
/// way to which value (`Resources.Fn.Properties.Layers`).
#[derive(Debug)]
pub(super) struct Stop {
    pub construct: Construct,
    pub at: usize,
    pub path: String,
}

/// The edits turning the text of `root` (which reads as `before`) into a
/// text that reads as `after`.
pub(super) fn plan(
    syntax: &dyn Syntax,
    root: &Node,
    before: &Value,
    after: &Value,
) -> Result<Vec<Splice>, Stop> {
    let mut walk = Walk {
        syntax,
        path: Vec::new(),
        out: Splices::default(),
    };
    walk.value(before, after, root, Parent::Root, None)
        .map_err(|(construct, at)| Stop {
            construct,
            at,
            path: walk.path_text(),
        })?;
    Ok(walk.out.list)
}

struct Walk<'s, 'v> {
    syntax: &'s dyn Syntax,
    path: Vec<Step<'v>>,
    out: Splices,
}

type Walked = Result<(), (Construct, usize)>;

impl<'v> Walk<'_, 'v> {
    fn path_text(&self) -> String {
        let mut text = String::new();
        for step in &self.path {
            match step {
                Step::Key(key) => {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str(key);
                }
                Step::Index(i) => text.push_str(&format!("[{i}]")),
            }
        }
        text
    }

    /// The label of edits at the current path: its section, and the entry of
    /// that section when the section is a mapping (`Resources.Fn`).
    fn label_here(&mut self, key: Option<&str>) {
        let mut keys = self.path.iter().map_while(|s| match s {
            Step::Key(k) => Some(*k),
            Step::Index(_) => None,
        });
        let section = keys.next().or(key).unwrap_or_default();
        let entry = match self.path.len() {
            0 => None,
            1 => key,
            _ => match self.path[1] {
                Step::Key(k) => Some(k),
                Step::Index(_) => None,
            },
        };
        let label = match entry {
            Some(entry) => format!("{section}.{entry}"),
            None => section.to_string(),
        };
        if self.out.label.as_deref() != Some(label.as_str()) {
            self.out.label = Some(Rc::from(label));
        }
    }

    /// Runs one edit of the syntax, its splices labelled for the current
    /// path (and `key`, an entry added or removed there); `at` is the byte
    /// named when it fails.
    fn edit(
        &mut self,
        at: usize,
        key: Option<&str>,
        edit: impl FnOnce(&dyn Syntax, &mut Splices) -> Result<(), Construct>,
    ) -> Walked {
        self.label_here(key);
        edit(self.syntax, &mut self.out).map_err(|c| (c, at))
    }

    fn replace(&mut self, node: &Node, parent: Parent, value: &Value) -> Walked {
        self.edit(node.start, None, |syntax, out| {
            syntax.replace(node, parent, value, out)
        })
    }

    /// Walks `node`, which reads as `before`, to read as `after`. Inside a
    /// short-form node (`!Sub [..]`), `outer` is the whole intrinsic the
    /// node must become when it is written anew.
    fn value(
        &mut self,
        before: &'v Value,
        after: &'v Value,
        node: &Node,
        parent: Parent,
        outer: Option<&'v Value>,
    ) -> Walked {
        if before == after {
            return Ok(());
        }
        if let Kind::Alias(name) = &node.kind {
            return Err((Construct::Alias(name.clone()), node.start));
        }
        if let Some(name) = node.aliased_anchor() {
            return Err((Construct::Anchor(name.to_string()), node.start));
        }
        let whole = outer.unwrap_or(after);
        let short_form = match outer {
            Some(_) => None,
            None => self.syntax.intrinsic_key(node),
        };
        match (before, after, &node.kind, short_form) {
            // `!Sub [..]` reads as {"Fn::Sub": [..]}: walk into its list or mapping.
            (Value::Object(b), Value::Object(a), kind, Some(key)) => {
                match (one(b, key), one(a, key), kind) {
                    (Some(bv @ Value::Object(_)), Some(av @ Value::Object(_)), Kind::Map(_))
                    | (Some(bv @ Value::Array(_)), Some(av @ Value::Array(_)), Kind::Seq(_)) => {
                        if let Some(key) = b.keys().next() {
                            self.path.push(Step::Key(key));
                        }
                        self.value(bv, av, node, parent, Some(after))?;
                        self.path.pop();
                        Ok(())
                    }
                    _ => self.replace(node, parent, after),
                }
            }
            (Value::Object(b), Value::Object(a), Kind::Map(entries), None) => {
                self.map(b, a, node, entries, parent, whole)
            }
            (Value::Array(b), Value::Array(a), Kind::Seq(items), None) => {
                self.seq(b, a, node, items, parent, whole)
            }
            _ => self.replace(node, parent, whole),
        }
    }

    fn map(
        &mut self,
        b: &'v Map<String, Value>,
        a: &'v Map<String, Value>,
        node: &Node,
        entries: &[Entry],
        parent: Parent,
        whole: &Value,
    ) -> Walked {
        let explicit = entries.iter().filter(|e| b.contains_key(&e.key)).count();
        let merge = entries.iter().find(|e| e.key == "<<");
        if explicit < b.len() || explicit + usize::from(merge.is_some()) < entries.len() {
            // Keys the tree does not hold come from a merge key; a change to one
            // cannot be written where it is.
            let written: HashSet<&str> = entries.iter().map(|e| e.key.as_str()).collect();
            for (key, value) in b {
                if !written.contains(key.as_str()) && a.get(key) != Some(value) {
                    self.path.push(Step::Key(key));
                    return Err(match merge {
                        Some(merge) => (Construct::MergeKey, merge.key_start),
                        None => (Construct::Unmatched(key.clone()), node.start),
                    });
                }
            }
            if let Some(entry) = entries
                .iter()
                .find(|e| e.key != "<<" && !b.contains_key(&e.key))
            {
                return Err((Construct::Unmatched(entry.key.clone()), entry.key_start));
            }
        }
        let removed: Vec<usize> = (0..entries.len())
            .filter(|&i| b.contains_key(&entries[i].key) && !a.contains_key(&entries[i].key))
            .collect();
        if !removed.is_empty() && removed.len() == explicit && merge.is_none() {
            // Every entry goes: the mapping is written anew.
            return self.replace(node, parent, whole);
        }
        for entry in entries {
            let (Some((key, before_value)), Some(after_value)) =
                (b.get_key_value(&entry.key), a.get(&entry.key))
            else {
                continue;
            };
            self.path.push(Step::Key(key));
            self.value(
                before_value,
                after_value,
                &entry.value,
                Parent::Key(entry.key_start),
                None,
            )?;
            self.path.pop();
        }
        for run in runs(&removed) {
            let first = &entries[run.start];
            self.edit(first.key_start, Some(&first.key), |syntax, out| {
                syntax.remove_entries(node, run, out)
            })?;
        }
        let added: Vec<(&String, &Value)> = a.iter().filter(|(k, _)| !b.contains_key(*k)).collect();
        if !added.is_empty() {
            if entries.is_empty() {
                return self.replace(node, parent, whole);
            }
            // A new section or resource is labelled by its own key.
            let deep = self.path.len() > 1;
            for chunk in added.chunk_by(|x, y| deep || x.0 == y.0) {
                self.edit(node.end, Some(chunk[0].0), |syntax, out| {
                    syntax.add_entries(node, chunk, out)
                })?;
            }
        }
        Ok(())
    }

    fn seq(
        &mut self,
        b: &'v [Value],
        a: &'v [Value],
        node: &Node,
        items: &[Node],
        parent: Parent,
        whole: &Value,
    ) -> Walked {
        if items.len() != b.len() {
            return Err((Construct::Unmatched("a list item".into()), node.start));
        }
        if a.is_empty() || items.is_empty() {
            return self.replace(node, parent, whole);
        }
        let head = b.iter().zip(a).take_while(|(x, y)| x == y).count();
        let tail = b[head..]
            .iter()
            .rev()
            .zip(a[head..].iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        let (b_mid, a_mid) = (&b[head..b.len() - tail], &a[head..a.len() - tail]);
        let paired = b_mid.len().min(a_mid.len());
        for i in 0..paired {
            self.path.push(Step::Index(head + i));
            self.value(&b_mid[i], &a_mid[i], &items[head + i], Parent::Item, None)?;
            self.path.pop();
        }
        let at = head + paired;
        if a_mid.len() > paired {
            let position = items.get(at).map_or(node.end, |i| i.start);
            self.edit(position, None, |syntax, out| {
                syntax.insert_items(node, at, &a_mid[paired..], out)
            })?;
        }
        if b_mid.len() > paired {
            let run = at..head + b_mid.len();
            self.edit(items[at].start, None, |syntax, out| {
                syntax.remove_items(node, run, out)
            })?;
        }
        Ok(())
    }
}

/// The value of a one-key mapping whose key is `key`.
fn one<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    if map.len() == 1 { map.get(key) } else { None }
}

/// Consecutive indices grouped into ranges.
fn runs(indices: &[usize]) -> Vec<Range<usize>> {
    let mut runs: Vec<Range<usize>> = Vec::new();
    for &i in indices {
        match runs.last_mut() {
            Some(run) if run.end == i => run.end = i + 1,
            _ => runs.push(i..i + 1),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_group_consecutive_indices() {
        assert_eq!(runs(&[0, 1, 3, 5, 6]), vec![0..2, 3..4, 5..7]);
        assert!(runs(&[]).is_empty());
    }
}
