//! The edits of a JSON file. New values are written the way the file
//! writes its own: across lines with its indentation unit (two spaces, four,
//! a tab) where the collection they go into spans lines, on one line with
//! its spacing (`"a": 1, "b"` or `"a":1,"b"`) where it does not.

use std::io;
use std::ops::Range;

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{Formatter, PrettyFormatter, Serializer};

use super::Construct;
use super::syntax::{
    Parent, Splices, Syntax, insert_flow_items, remove_flow_entries, remove_flow_items,
};
use super::tree::{Lines, Node};

/// A JSON text and its style.
pub(super) struct JsonSyntax<'t> {
    text: &'t str,
    lines: &'t Lines,
    /// One level of indentation (`"  "`, `"    "`, `"\t"`).
    unit: String,
    /// Whether the document spans lines (new collections do too).
    pretty: bool,
    /// What follows a key's `"`: `": "` or `":"`.
    colon: &'static str,
    /// What follows a `,` between values on one line: `", "` or `","`.
    comma: &'static str,
}

impl<'t> JsonSyntax<'t> {
    /// Reads the style of the JSON text whose tree is `root`.
    pub fn new(text: &'t str, lines: &'t Lines, root: &Node) -> JsonSyntax<'t> {
        let first = root.entries().and_then(|e| e.first());
        let pretty = lines.line_of(root.start) != lines.line_of(root.end);
        let unit = match first {
            Some(entry) if pretty => {
                let indent = indentation(text, lines, entry.key_start);
                let outer = indentation(text, lines, root.start);
                indent.strip_prefix(outer).unwrap_or(indent).to_string()
            }
            _ => String::new(),
        };
        let spaced = first.is_none_or(|e| text[e.key_end..e.value.start].contains(' '));
        JsonSyntax {
            text,
            lines,
            unit: if unit.is_empty() { "  ".into() } else { unit },
            pretty,
            colon: if spaced { ": " } else { ":" },
            comma: if spaced { ", " } else { "," },
        }
    }

    /// Whether a node spans lines.
    fn spans_lines(&self, node: &Node) -> bool {
        self.lines.line_of(node.start) != self.lines.line_of(node.end)
    }

    /// A value as JSON text: across lines (continued at `indent`) or on one.
    fn render(&self, value: &Value, across_lines: bool, indent: &str) -> String {
        let mut bytes = Vec::new();
        let written = if across_lines {
            let formatter = PrettyFormatter::with_indent(self.unit.as_bytes());
            value.serialize(&mut Serializer::with_formatter(&mut bytes, formatter))
        } else {
            let formatter = OneLine {
                colon: self.colon,
                comma: self.comma,
            };
            value.serialize(&mut Serializer::with_formatter(&mut bytes, formatter))
        };
        // Serializing a `Value` into memory cannot fail.
        debug_assert!(written.is_ok());
        let text = String::from_utf8(bytes).unwrap_or_default();
        // JSON strings hold no raw line breaks: every one is the layout's.
        text.replace('\n', &format!("\n{indent}"))
    }
}

/// The blanks a line starts with, for the line holding `pos`.
fn indentation<'t>(text: &'t str, lines: &Lines, pos: usize) -> &'t str {
    let line = &text[lines.line_start(pos)..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

impl Syntax for JsonSyntax<'_> {
    fn intrinsic_key(&self, _node: &Node) -> Option<&str> {
        None
    }

    fn replace(
        &self,
        node: &Node,
        _parent: Parent,
        value: &Value,
        out: &mut Splices,
    ) -> Result<(), Construct> {
        let across = self.pretty
            && match value {
                Value::Object(m) => !m.is_empty(),
                Value::Array(a) => !a.is_empty(),
                _ => false,
            };
        let indent = indentation(self.text, self.lines, node.start);
        out.push(node.start..node.end, self.render(value, across, indent));
        Ok(())
    }

    fn add_entries(
        &self,
        map: &Node,
        entries: &[(&String, &Value)],
        out: &mut Splices,
    ) -> Result<(), Construct> {
        let Some(last) = map.entries().and_then(|e| e.last()) else {
            return Err(Construct::Layout("an empty object"));
        };
        let across = self.spans_lines(map);
        let indent = indentation(self.text, self.lines, last.key_start);
        let mut text = String::new();
        for (key, value) in entries {
            if across {
                text.push_str(",\n");
                text.push_str(indent);
            } else {
                text.push_str(self.comma);
            }
            text.push_str(&self.render(&Value::String((*key).clone()), false, ""));
            text.push_str(if across { ": " } else { self.colon });
            text.push_str(&self.render(value, across, indent));
        }
        out.push(last.end()..last.end(), text);
        Ok(())
    }

    fn remove_entries(
        &self,
        map: &Node,
        run: Range<usize>,
        out: &mut Splices,
    ) -> Result<(), Construct> {
        remove_flow_entries(map, run, out);
        Ok(())
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
            return Err(Construct::Layout("an empty array"));
        };
        let across = self.spans_lines(seq);
        let next = items.get(at);
        let indent = indentation(self.text, self.lines, next.unwrap_or(last).start);
        let separator = if across {
            format!(",\n{indent}")
        } else {
            self.comma.to_string()
        };
        let texts: Vec<String> = values
            .iter()
            .map(|v| self.render(v, across, indent))
            .collect();
        insert_flow_items(items, at, &texts, &separator, out);
        Ok(())
    }

    fn remove_items(
        &self,
        seq: &Node,
        run: Range<usize>,
        out: &mut Splices,
    ) -> Result<(), Construct> {
        remove_flow_items(seq, run, out);
        Ok(())
    }
}

/// serde_json's compact layout with the file's spacing after `:` and `,`.
struct OneLine {
    colon: &'static str,
    comma: &'static str,
}

impl OneLine {
    /// The separator before every value of a collection but its first.
    fn separate<W: ?Sized + io::Write>(&self, w: &mut W, first: bool) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(self.comma.as_bytes())
        }
    }
}

impl Formatter for OneLine {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.separate(w, first)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.separate(w, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(self.colon.as_bytes())
    }
}
