//! The edits of a YAML file: values written anew in place, entries and list
//! items added after the last one (or before a given item) on lines of
//! their own, in the file's style, and removed with their lines. Flow
//! collections (`[a, b]`, `{k: v}`) are edited within their brackets.

use std::collections::HashMap;
use std::ops::Range;

use serde_json::Value;

use super::Construct;
use super::syntax::{
    Parent, Splices, Syntax, insert_flow_items, remove_flow_entries, remove_flow_items,
};
use super::tree::{Kind, Lines, Node};
use super::yaml_write::YamlStyle;
use crate::template::yaml;

/// A YAML text and what is needed to edit it.
pub(super) struct YamlSyntax<'t> {
    text: &'t str,
    lines: &'t Lines,
    style: YamlStyle,
    /// The long-form key of each CloudFormation tag the file uses
    /// (`!Sub` → `Fn::Sub`).
    long_keys: HashMap<String, String>,
}

impl<'t> YamlSyntax<'t> {
    /// Reads the style and tags of the file whose tree is `root`.
    pub fn new(text: &'t str, lines: &'t Lines, root: &Node) -> YamlSyntax<'t> {
        let mut tags = Vec::new();
        collect_tags(root, &mut tags);
        let long_keys: HashMap<String, String> = tags
            .into_iter()
            .filter_map(|tag| Some((tag.to_string(), long_key(tag)?)))
            .collect();
        YamlSyntax {
            text,
            lines,
            style: YamlStyle::of(root, lines, &long_keys),
            long_keys,
        }
    }

    /// Fails unless only blanks precede `pos` on its line (a key or dash
    /// that does not follow a `- ` or `? ` there).
    fn first_on_line(&self, pos: usize) -> Result<(), Construct> {
        let before = &self.text[self.lines.line_start(pos)..pos];
        if before.bytes().all(|b| b == b' ') {
            Ok(())
        } else {
            Err(Construct::Layout(
                "an entry or item that shares its line with another (`- key: ..`)",
            ))
        }
    }

    /// Where the line holding `pos` ends, before its line break.
    fn end_of_line(&self, pos: usize) -> usize {
        let end = self.lines.line_end(pos);
        if end > 0 && self.text.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        }
    }

    /// Inserts whole `lines` (each ending in a newline) after the line
    /// holding `pos`.
    fn insert_after_line(&self, pos: usize, lines: &str, out: &mut Splices) {
        let end = self.lines.line_end(pos);
        if end < self.text.len() {
            out.push(end + 1..end + 1, lines);
        } else {
            // The last line has no line break: give it one, and none to ours.
            out.push(end..end, format!("\n{}", lines.trim_end_matches('\n')));
        }
    }

    /// The start of the comment lines right above the line starting at
    /// `line` (which a comment there is about), or `line` itself.
    fn above_comments(&self, mut line: usize) -> usize {
        while line > 0 {
            let previous = self.lines.line_start(line - 1);
            if !self.text[previous..line].trim_start().starts_with('#') {
                break;
            }
            line = previous;
        }
        line
    }

    /// Removes the entries or items `run` of a block collection whose
    /// members start at `starts` (keys, dashes), the last removed ending at
    /// `end`: with their lines, or, for a first member that follows a `- `
    /// on its line, up to the member after it, which takes its place there.
    fn remove_block(
        &self,
        starts: &[usize],
        end: usize,
        run: Range<usize>,
        out: &mut Splices,
    ) -> Result<(), Construct> {
        let from = starts[run.start];
        match (self.first_on_line(from), starts.get(run.end)) {
            (Ok(()), _) => self.remove_lines(from, end, out),
            (Err(_), Some(&next)) => out.push(from..next, ""),
            (Err(layout), None) => return Err(layout),
        }
        Ok(())
    }

    /// Removes the lines from the one holding `from` to the one holding `to`.
    fn remove_lines(&self, from: usize, to: usize, out: &mut Splices) {
        let end = (self.lines.line_end(to) + 1).min(self.text.len());
        out.push(self.lines.line_start(from)..end, "");
    }
}

/// The distinct tags of a tree.
fn collect_tags<'n>(node: &'n Node, tags: &mut Vec<&'n str>) {
    if let Some(tag) = &node.tag
        && !tags.contains(&tag.as_str())
    {
        tags.push(tag);
    }
    match &node.kind {
        Kind::Map(entries) => entries.iter().for_each(|e| collect_tags(&e.value, tags)),
        Kind::Seq(items) => items.iter().for_each(|i| collect_tags(i, tags)),
        Kind::Scalar | Kind::Alias(_) => {}
    }
}

/// The long-form key a tag stands for, as our reader reads it (`!GetAtt` →
/// `Fn::GetAtt`); `None` for tags that are not intrinsics (`!!str`).
fn long_key(tag: &str) -> Option<String> {
    let value = yaml::parse(&format!("k: {tag} x\n")).ok()?;
    let map = value.get("k")?.as_object()?;
    (map.len() == 1).then(|| map.keys().next().cloned())?
}

/// Where the `-` of a block list item is.
fn dash_of(item: &Node) -> usize {
    item.slot.map_or(item.start, |slot| slot - 1)
}

/// A new string in the quotes the old one used (`'..'` or `".."`), when
/// the old value is a quoted scalar without a tag and the new one is
/// printable ASCII on one line, which both quote styles hold as it is.
fn same_quotes(old: &str, node: &Node, value: &Value) -> Option<String> {
    let Value::String(s) = value else {
        return None;
    };
    if node.tag.is_some() || node.anchor.is_some() || !matches!(node.kind, Kind::Scalar) {
        return None;
    }
    if !s.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return None;
    }
    match old.as_bytes().first() {
        Some(b'\'') => Some(format!("'{}'", s.replace('\'', "''"))),
        // JSON escapes only `"` and `\` in printable ASCII; YAML reads them alike.
        Some(b'"') => serde_json::to_string(s).ok(),
        _ => None,
    }
}

impl Syntax for YamlSyntax<'_> {
    fn intrinsic_key(&self, node: &Node) -> Option<&str> {
        self.long_keys.get(node.tag.as_deref()?).map(String::as_str)
    }

    fn replace(
        &self,
        node: &Node,
        parent: Parent,
        value: &Value,
        out: &mut Splices,
    ) -> Result<(), Construct> {
        if let Some(text) = same_quotes(&self.text[node.start..node.end], node, value) {
            out.push(node.start..node.end, text);
            return Ok(());
        }
        let Some(slot) = node.slot else {
            if node.flow {
                out.push(node.start..node.end, self.style.flow(value));
                return Ok(());
            }
            return Err(Construct::Layout("the document's root"));
        };
        let mut text = String::new();
        match parent {
            Parent::Item => self
                .style
                .after_dash(value, self.lines.column(slot - 1), &mut text),
            Parent::Key(key) => self
                .style
                .after_key(value, self.lines.column(key), &mut text),
            Parent::Root => return Err(Construct::Layout("the document's root")),
        }
        // A comment after the old value stays on its line, before a new block.
        let end_of_line = self.end_of_line(node.end);
        let comment_after = !self.text[node.end..end_of_line].trim().is_empty();
        let same_line = self.lines.line_of(node.start) == self.lines.line_of(slot);
        match text.split_once('\n') {
            Some((first, rest)) if comment_after => {
                out.push(slot..node.end, first);
                out.push(end_of_line..end_of_line, format!("\n{rest}"));
            }
            // A value on one line keeps the spacing after its indicator.
            None if same_line && node.start > slot => {
                out.push(node.start..node.end, text.trim_start());
            }
            _ => out.push(slot..node.end, text),
        }
        Ok(())
    }

    fn add_entries(
        &self,
        map: &Node,
        entries: &[(&String, &Value)],
        out: &mut Splices,
    ) -> Result<(), Construct> {
        let existing = map.entries().unwrap_or_default();
        let (Some(first), Some(last)) = (existing.first(), existing.last()) else {
            return Err(Construct::Layout("an empty mapping"));
        };
        if map.flow {
            let mut text = String::new();
            for (key, value) in entries {
                text.push_str(", ");
                text.push_str(&self.style.flow(&Value::String((*key).clone())));
                text.push_str(": ");
                text.push_str(&self.style.flow(value));
            }
            out.push(last.end()..last.end(), text);
            return Ok(());
        }
        let col = self.lines.column(first.key_start);
        let mut text = String::new();
        for (key, value) in entries {
            self.style.entry(key, value, col, &mut text);
        }
        self.insert_after_line(last.end(), &text, out);
        Ok(())
    }

    fn remove_entries(
        &self,
        map: &Node,
        run: Range<usize>,
        out: &mut Splices,
    ) -> Result<(), Construct> {
        if map.flow {
            remove_flow_entries(map, run, out);
            return Ok(());
        }
        let entries = map.entries().unwrap_or_default();
        let starts: Vec<usize> = entries.iter().map(|e| e.key_start).collect();
        self.remove_block(&starts, entries[run.end - 1].end(), run, out)
    }

    fn insert_items(
        &self,
        seq: &Node,
        at: usize,
        values: &[Value],
        out: &mut Splices,
    ) -> Result<(), Construct> {
        let items = seq.items().unwrap_or_default();
        let Some(last) = items.last() else {
            return Err(Construct::Layout("an empty list"));
        };
        if seq.flow {
            let texts: Vec<String> = values.iter().map(|v| self.style.flow(v)).collect();
            insert_flow_items(items, at, &texts, ", ", out);
            return Ok(());
        }
        let dash_col = self.lines.column(dash_of(&items[0]));
        let mut text = String::new();
        for value in values {
            self.style.item(value, dash_col, &mut text);
        }
        match items.get(at) {
            Some(next) => {
                let dash = dash_of(next);
                self.first_on_line(dash)?;
                let line = self.above_comments(self.lines.line_start(dash));
                out.push(line..line, text);
            }
            None => self.insert_after_line(last.end, &text, out),
        }
        Ok(())
    }

    fn remove_items(
        &self,
        seq: &Node,
        run: Range<usize>,
        out: &mut Splices,
    ) -> Result<(), Construct> {
        if seq.flow {
            remove_flow_items(seq, run, out);
            return Ok(());
        }
        let items = seq.items().unwrap_or_default();
        let dashes: Vec<usize> = items.iter().map(dash_of).collect();
        self.remove_block(&dashes, items[run.end - 1].end, run, out)
    }
}
