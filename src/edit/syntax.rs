//! What an edit of a text is ([`Splice`]), and the edits each text format
//! makes ([`Syntax`]: YAML in [`super::yaml`], JSON in [`super::json`]),
//! with the ones flow collections and JSON share.

use std::ops::Range;
use std::rc::Rc;

use serde_json::Value;

use super::Construct;
use super::tree::Node;

/// One edit of the original text: `range` is replaced by `text`.
#[derive(Debug, Clone)]
pub(super) struct Splice {
    /// The bytes of the original text replaced (empty for an insertion).
    pub range: Range<usize>,
    /// The new text (empty for a removal).
    pub text: String,
    /// The section entry the edit belongs to (`Resources.Fn`, `Transform`).
    pub label: Rc<str>,
}

/// The edits collected so far, and the label of those to come.
#[derive(Debug, Default)]
pub(super) struct Splices {
    pub list: Vec<Splice>,
    /// The label of the splices pushed from now on.
    pub label: Option<Rc<str>>,
}

impl Splices {
    /// Replaces `range` of the original text by `text`.
    pub fn push(&mut self, range: Range<usize>, text: impl Into<String>) {
        let label = self.label.clone().unwrap_or_else(|| Rc::from(""));
        self.list.push(Splice {
            range,
            text: text.into(),
            label,
        });
    }
}

/// Where a value sits, for writing a new one in its place.
#[derive(Debug, Clone, Copy)]
pub(super) enum Parent {
    /// The document itself.
    Root,
    /// The value of a mapping entry whose key starts at this byte.
    Key(usize),
    /// An item of a list.
    Item,
}

/// The edits one text format can make. Each records its splices in `out`;
/// an `Err` names what it cannot edit.
pub(super) trait Syntax {
    /// The long-form key (`Ref`, `Fn::Sub`) a node's tag stands for, when it
    /// is a CloudFormation short form.
    fn intrinsic_key(&self, node: &Node) -> Option<&str>;
    /// Writes `value` in place of `node`.
    fn replace(
        &self,
        node: &Node,
        parent: Parent,
        value: &Value,
        out: &mut Splices,
    ) -> Result<(), Construct>;
    /// Appends entries to a mapping that has at least one.
    fn add_entries(
        &self,
        map: &Node,
        entries: &[(&String, &Value)],
        out: &mut Splices,
    ) -> Result<(), Construct>;
    /// Removes the entries `run` of a mapping (not all of them).
    fn remove_entries(
        &self,
        map: &Node,
        run: Range<usize>,
        out: &mut Splices,
    ) -> Result<(), Construct>;
    /// Inserts items before item `at` of a list (appends when `at` is its length).
    fn insert_items(
        &self,
        seq: &Node,
        at: usize,
        values: &[Value],
        out: &mut Splices,
    ) -> Result<(), Construct>;
    /// Removes the items `run` of a list (not all of them).
    fn remove_items(
        &self,
        seq: &Node,
        run: Range<usize>,
        out: &mut Splices,
    ) -> Result<(), Construct>;
}

/// The bytes to remove for the items `run` of a flow collection whose items
/// span `spans`: from the end of the item before (taking the comma after it),
/// or up to the start of the item after.
fn flow_removal(spans: &[(usize, usize)], run: Range<usize>) -> Range<usize> {
    if run.start > 0 {
        spans[run.start - 1].1..spans[run.end - 1].1
    } else {
        spans[0].0..spans[run.end].0
    }
}

/// Removes the entries `run` of a flow mapping or JSON object, with the
/// commas that went with them.
pub(super) fn remove_flow_entries(map: &Node, run: Range<usize>, out: &mut Splices) {
    let entries = map.entries().unwrap_or_default();
    let spans: Vec<(usize, usize)> = entries.iter().map(|e| (e.key_start, e.end())).collect();
    out.push(flow_removal(&spans, run), "");
}

/// Removes the items `run` of a flow list or JSON array, with their commas.
pub(super) fn remove_flow_items(seq: &Node, run: Range<usize>, out: &mut Splices) {
    let items = seq.items().unwrap_or_default();
    let spans: Vec<(usize, usize)> = items.iter().map(|i| (i.start, i.end)).collect();
    out.push(flow_removal(&spans, run), "");
}

/// Inserts new items, already written, before item `at` of a flow list or
/// JSON array that has items (after the last when `at` is their number),
/// `separator` (`, ` or `,\n  `) between each two.
pub(super) fn insert_flow_items(
    items: &[Node],
    at: usize,
    texts: &[String],
    separator: &str,
    out: &mut Splices,
) {
    let texts = texts.join(separator);
    match (items.get(at), items.last()) {
        (Some(next), _) => out.push(next.start..next.start, format!("{texts}{separator}")),
        (None, Some(last)) => out.push(last.end..last.end, format!("{separator}{texts}")),
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_removal_takes_one_comma() {
        let spans = [(1, 2), (4, 5), (7, 8)];
        assert_eq!(flow_removal(&spans, 1..2), 2..5);
        assert_eq!(flow_removal(&spans, 0..2), 1..7);
        assert_eq!(flow_removal(&spans, 2..3), 5..8);
    }
}
