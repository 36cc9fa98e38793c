//! Where each value of a template sits in its text: a tree of byte spans,
//! built by [`super::yaml_tree`] or [`super::json_tree`], that the edits are
//! planned against.

/// One value of the document and where it is written.
#[derive(Debug)]
pub(super) struct Node {
    /// Byte offset of its first character, tag and anchor included (for a
    /// YAML block scalar: its `|` or `>` header).
    pub start: usize,
    /// Byte offset just after its last character: a block collection ends
    /// with its last child, a block scalar with its last line of text (or its
    /// last kept blank line under `|+`); trailing comments are not part of it.
    pub end: usize,
    /// In YAML block context: the byte just after the `:` or `-` this value
    /// follows. `None` for the root and inside flow collections (and JSON).
    pub slot: Option<usize>,
    /// Whether the node is written in flow style (`{..}`, `[..]`, or any
    /// value inside one; every JSON value).
    pub flow: bool,
    /// The YAML tag as written (`!Ref`, `!!str`), if any.
    pub tag: Option<String>,
    /// The YAML anchor (`&name`) the node carries, if any, and whether an
    /// alias repeats it.
    pub anchor: Option<Anchor>,
    /// What it is.
    pub kind: Kind,
}

/// A YAML anchor on a node.
#[derive(Debug)]
pub(super) struct Anchor {
    /// Its name, without `&`.
    pub name: String,
    /// Whether some alias (`*name`) repeats the node elsewhere.
    pub aliased: bool,
}

/// The kinds of node.
#[derive(Debug)]
pub(super) enum Kind {
    /// A scalar (a YAML block scalar knows its header).
    Scalar,
    /// A mapping, its entries in written order.
    Map(Vec<Entry>),
    /// A sequence, its items in written order.
    Seq(Vec<Node>),
    /// A YAML alias (`*name`): a repetition of an anchored node.
    Alias(String),
}

/// One entry of a mapping.
#[derive(Debug)]
pub(super) struct Entry {
    /// The key as our reader reads it (a YAML `200:` is `"200"`).
    pub key: String,
    /// Byte offset of the key's first character.
    pub key_start: usize,
    /// Byte offset just after the key.
    pub key_end: usize,
    /// The value.
    pub value: Node,
}

impl Entry {
    /// The end of the entry: of its value, or of its key when the value is
    /// empty (`key:`).
    pub fn end(&self) -> usize {
        self.value.end.max(self.key_end)
    }
}

impl Node {
    /// The entries of a mapping node.
    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.kind {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items of a sequence node.
    pub fn items(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The anchor of the node when an alias repeats it.
    pub fn aliased_anchor(&self) -> Option<&str> {
        self.anchor
            .as_ref()
            .filter(|a| a.aliased)
            .map(|a| a.name.as_str())
    }
}

/// Line arithmetic on a text: the start of every line, found once.
#[derive(Debug)]
pub(super) struct Lines {
    starts: Vec<usize>,
    len: usize,
}

impl Lines {
    /// Indexes the lines of `text`.
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines {
            starts,
            len: text.len(),
        }
    }

    /// The 0-based line holding byte `pos`.
    pub fn line_of(&self, pos: usize) -> usize {
        self.starts.partition_point(|&s| s <= pos) - 1
    }

    /// The byte where the line holding `pos` starts.
    pub fn line_start(&self, pos: usize) -> usize {
        self.starts[self.line_of(pos)]
    }

    /// The byte of the newline ending the line holding `pos` (or the end of
    /// the text on a last line without one).
    pub fn line_end(&self, pos: usize) -> usize {
        match self.starts.get(self.line_of(pos) + 1) {
            Some(&next) => next - 1,
            None => self.len,
        }
    }

    /// The column of `pos`: bytes from the start of its line.
    pub fn column(&self, pos: usize) -> usize {
        pos - self.line_start(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_arithmetic() {
        let text = "ab\ncd\n\nef";
        let lines = Lines::new(text);
        assert_eq!(lines.line_of(0), 0);
        assert_eq!(lines.line_of(2), 0);
        assert_eq!(lines.line_of(3), 1);
        assert_eq!(lines.line_of(6), 2);
        assert_eq!(lines.line_of(9), 3);
        assert_eq!(lines.line_start(4), 3);
        assert_eq!(lines.line_end(4), 5);
        assert_eq!(lines.line_end(8), 9);
        assert_eq!(lines.column(4), 1);
    }
}
