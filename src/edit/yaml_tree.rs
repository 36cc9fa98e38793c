//! The [`Node`] tree of a YAML template, from `saphyr-parser`'s events and
//! their positions.
//!
//! The parser gives each scalar and flow collection its exact span; what it
//! does not give (where a block collection ends, where the `:` or `-` a
//! value follows sits, where a block scalar's `|` header is) is found here
//! from the text between events, which holds only blanks, comments and node
//! properties.

use std::collections::HashSet;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::Construct;
use super::tree::{Anchor, Entry, Kind, Lines, Node};

/// Builds the tree of `text` (one YAML document).
pub(super) fn build(text: &str, lines: &Lines) -> Result<Node, Construct> {
    let events = Parser::new_from_str(text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Construct::Unreadable(e.to_string()))?;
    let aliased = events
        .iter()
        .filter_map(|(event, _)| match event {
            Event::Alias(id) => Some(*id),
            _ => None,
        })
        .collect();
    let mut builder = Builder {
        text,
        lines,
        events: events.into_iter(),
        bytes: (!text.is_ascii()).then(|| char_offsets(text)),
        aliased,
    };
    builder.expect(|e| matches!(e, Event::StreamStart))?;
    builder.expect(|e| matches!(e, Event::DocumentStart(_)))?;
    let (event, span) = builder.next()?;
    let root = builder.node(event, span, None, false)?;
    builder.expect(|e| matches!(e, Event::DocumentEnd))?;
    builder.expect(|e| matches!(e, Event::StreamEnd))?;
    Ok(root)
}

/// The byte offset of every character (and of the end): saphyr's markers
/// count characters.
fn char_offsets(text: &str) -> Vec<usize> {
    text.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect()
}

struct Builder<'t> {
    text: &'t str,
    lines: &'t Lines,
    events: std::vec::IntoIter<(Event<'t>, Span)>,
    /// Character index to byte offset, for texts that are not ASCII.
    bytes: Option<Vec<usize>>,
    /// The anchor ids some alias refers to.
    aliased: HashSet<usize>,
}

impl<'t> Builder<'t> {
    fn next(&mut self) -> Result<(Event<'t>, Span), Construct> {
        self.events
            .next()
            .ok_or_else(|| Construct::Unreadable("the YAML events end early".into()))
    }

    fn expect(&mut self, is: impl Fn(&Event) -> bool) -> Result<(), Construct> {
        let (event, _) = self.next()?;
        if is(&event) {
            Ok(())
        } else {
            Err(Construct::Unreadable(
                "the file holds more than one YAML document".into(),
            ))
        }
    }

    fn peek_is_end(&self) -> bool {
        matches!(
            self.events.as_slice().first(),
            Some((Event::MappingEnd | Event::SequenceEnd, _))
        )
    }

    /// The byte offsets of a span.
    fn bytes_of(&self, span: &Span) -> (usize, usize) {
        let at = |index: usize| match &self.bytes {
            Some(bytes) => bytes[index.min(bytes.len() - 1)],
            None => index.min(self.text.len()),
        };
        (at(span.start.index()), at(span.end.index()))
    }

    /// The end of a flow collection from the span of its end event, which
    /// may run on over a comment after the bracket.
    fn closing_bracket_end(&self, span: &Span) -> usize {
        let (start, end) = self.bytes_of(span);
        match self.text.as_bytes().get(start) {
            Some(b']' | b'}') => start + 1,
            _ => end,
        }
    }

    /// The node starting with `event`; `slot` is the byte after the `:` or
    /// `-` it follows in block context.
    fn node(
        &mut self,
        event: Event<'t>,
        span: Span,
        slot: Option<usize>,
        flow: bool,
    ) -> Result<Node, Construct> {
        let (span_start, span_end) = self.bytes_of(&span);
        // The span of a block collection or a block scalar may start after
        // its properties or header; what follows the indicator does not.
        // An empty value's span sits at its `:`; it starts after.
        let start = match slot {
            Some(slot) => skip_blanks(self.text, slot).min(span_start).max(slot),
            None => span_start,
        };
        let text = self.text;
        let opens = |bracket: char| text[span_start..span_end].trim_end().ends_with(bracket);
        let (kind, anchor_id, tag, end, flow) = match event {
            Event::Scalar(_, style, anchor_id, tag) => {
                let end = match style {
                    ScalarStyle::Literal | ScalarStyle::Folded => {
                        block_scalar_end(text, self.lines, start, span_end)
                    }
                    _ => span_end,
                };
                (Kind::Scalar, anchor_id, tag, end, flow)
            }
            Event::Alias(_) => {
                let name = text[span_start..span_end].trim_start_matches('*');
                (Kind::Alias(name.to_string()), 0, None, span_end, flow)
            }
            Event::SequenceStart(anchor_id, tag) => {
                let flow = flow || opens('[');
                let (items, end) = self.items(start, flow)?;
                (Kind::Seq(items), anchor_id, tag, end.unwrap_or(start), flow)
            }
            Event::MappingStart(anchor_id, tag) => {
                let flow = flow || opens('{');
                let (entries, end) = self.entries(flow)?;
                (
                    Kind::Map(entries),
                    anchor_id,
                    tag,
                    end.unwrap_or(start),
                    flow,
                )
            }
            other => {
                return Err(Construct::Unreadable(format!(
                    "unexpected YAML event {other:?}"
                )));
            }
        };
        let end = end.max(start);
        let anchor = (anchor_id != 0).then(|| Anchor {
            name: anchor_name(&text[start..end]),
            aliased: self.aliased.contains(&anchor_id),
        });
        Ok(Node {
            start,
            end,
            slot,
            flow,
            tag: tag.map(|t| format!("{}{}", t.handle, t.suffix)),
            anchor,
            kind,
        })
    }

    /// The items of a sequence starting at byte `start`, and its end (the
    /// `]` of a flow sequence, the end of the last item of a block one).
    fn items(&mut self, start: usize, flow: bool) -> Result<(Vec<Node>, Option<usize>), Construct> {
        let mut items: Vec<Node> = Vec::new();
        while !self.peek_is_end() {
            let (event, span) = self.next()?;
            let item = if flow {
                self.node(event, span, None, true)?
            } else {
                let from = items.last().map_or(start, |last| last.end);
                let dash = skip_properties(self.text, from);
                if !is_indicator(self.text, dash, b'-') {
                    return Err(Construct::Layout("a block sequence item without its `-`"));
                }
                self.node(event, span, Some(dash + 1), false)?
            };
            items.push(item);
        }
        let (_, span) = self.next()?;
        let end = if flow {
            Some(self.closing_bracket_end(&span))
        } else {
            items.last().map(|i| i.end)
        };
        Ok((items, end))
    }

    /// The entries of a mapping, and its end.
    fn entries(&mut self, flow: bool) -> Result<(Vec<Entry>, Option<usize>), Construct> {
        let mut entries: Vec<Entry> = Vec::new();
        while !self.peek_is_end() {
            let (event, span) = self.next()?;
            let (key_start, key_end) = self.bytes_of(&span);
            let key = match event {
                Event::Scalar(value, style, _, None) => resolve_key(&value, style),
                _ => {
                    return Err(Construct::Layout(
                        "a mapping key that is not a plain scalar",
                    ));
                }
            };
            let (event, span) = self.next()?;
            let value = if flow {
                self.node(event, span, None, true)?
            } else {
                let colon = skip_blanks(self.text, key_end);
                if !is_indicator(self.text, colon, b':') {
                    return Err(Construct::Layout("a mapping key without its `:`"));
                }
                self.node(event, span, Some(colon + 1), false)?
            };
            entries.push(Entry {
                key,
                key_start,
                key_end,
                value,
            });
        }
        let (_, span) = self.next()?;
        let end = if flow {
            Some(self.closing_bracket_end(&span))
        } else {
            entries.last().map(Entry::end)
        };
        Ok((entries, end))
    }
}

/// Whether `text[at]` is the indicator `c` (`-`, `:`), followed by a blank
/// or the end of the text.
fn is_indicator(text: &str, at: usize, c: u8) -> bool {
    let bytes = text.as_bytes();
    bytes.get(at) == Some(&c) && bytes.get(at + 1).is_none_or(|b| b.is_ascii_whitespace())
}

/// The first byte at or after `pos` that is not a blank, a line break or
/// part of a comment.
pub(super) fn skip_blanks(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    while let Some(&b) = bytes.get(pos) {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
            b'#' if pos == 0 || bytes[pos - 1].is_ascii_whitespace() => {
                while bytes.get(pos).is_some_and(|&b| b != b'\n') {
                    pos += 1;
                }
            }
            _ => break,
        }
    }
    pos
}

/// [`skip_blanks`], also skipping node properties (`!tag`, `&anchor`).
fn skip_properties(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    loop {
        pos = skip_blanks(text, pos);
        match bytes.get(pos) {
            Some(b'!' | b'&') => {
                while bytes.get(pos).is_some_and(|b| !b.is_ascii_whitespace()) {
                    pos += 1;
                }
            }
            _ => return pos,
        }
    }
}

/// The name of the anchor among the properties a node's text starts with.
fn anchor_name(node_text: &str) -> String {
    node_text
        .split_ascii_whitespace()
        .take_while(|word| word.starts_with(['!', '&']))
        .find_map(|word| word.strip_prefix('&'))
        .unwrap_or_default()
        .to_string()
}

/// Where a block scalar whose header starts at `start` ends: after its last
/// line of text, or with `|+` / `>+` after its last kept blank line. Its
/// lines are those indented deeper than its first line of text's
/// indentation allows to stop; `limit` is where the parser says it ends.
fn block_scalar_end(text: &str, lines: &Lines, start: usize, limit: usize) -> usize {
    let header_end = lines.line_end(start);
    let header = &text[start..header_end];
    let indicators = header
        .find(['|', '>'])
        .map(|i| &header[i + 1..])
        .map(|rest| rest.split(|c: char| c.is_whitespace()).next().unwrap_or(""))
        .unwrap_or("");
    let keep = indicators.contains('+');
    let mut content_indent = None;
    let mut last_text_end = header_end;
    let mut pos = header_end + 1;
    while pos < limit.min(text.len()) {
        let line_end = lines.line_end(pos);
        let line = &text[pos..line_end];
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        if !body.trim().is_empty() {
            let wanted = *content_indent.get_or_insert(indent);
            if indent < wanted {
                break;
            }
            last_text_end = pos + line.trim_end().len();
        }
        pos = line_end + 1;
    }
    if keep {
        // The kept blank lines belong to the value: end at the newline of the last.
        let stop = pos.min(text.len());
        if stop > 0 && text.as_bytes()[stop - 1] == b'\n' && stop - 1 > last_text_end {
            return stop - 1;
        }
    }
    last_text_end.max(start + header.trim_end().len())
}

/// A mapping key as our reader reads it: a plain scalar that YAML resolves
/// to a number, boolean or null becomes that value's text (`200`, `true`).
fn resolve_key(value: &str, style: ScalarStyle) -> String {
    let plain_text = value.starts_with(|c: char| c.is_ascii_alphabetic() || "_$/".contains(c))
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "null"
        );
    if style != ScalarStyle::Plain || plain_text {
        return value.to_string();
    }
    match serde_yaml::from_str::<serde_yaml::Value>(value) {
        Ok(serde_yaml::Value::Number(n)) => n.to_string(),
        Ok(serde_yaml::Value::Bool(b)) => b.to_string(),
        Ok(serde_yaml::Value::Null) => "null".to_string(),
        _ => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Node {
        build(text, &Lines::new(text)).unwrap()
    }

    fn span<'t>(text: &'t str, node: &Node) -> &'t str {
        &text[node.start..node.end]
    }

    #[test]
    fn spans_of_block_values_and_their_indicators() {
        let text = "\
# head
A: &x !Ref B   # trailing
C:
  - one
  - !Sub |
    text

  - [1, {k: v}]
D:
  E: \"quoted\"
F: |+
  kept

G: *x
";
        let root = tree(text);
        let entries = root.entries().unwrap();
        let a = &entries[0].value;
        assert_eq!(span(text, a), "&x !Ref B");
        assert_eq!(a.tag.as_deref(), Some("!Ref"));
        assert_eq!(a.aliased_anchor(), Some("x"));
        assert_eq!(&text[a.slot.unwrap() - 1..a.slot.unwrap()], ":");
        let items = entries[1].value.items().unwrap();
        assert_eq!(
            span(text, &entries[1].value),
            "- one\n  - !Sub |\n    text\n\n  - [1, {k: v}]"
        );
        assert_eq!(span(text, &items[1]), "!Sub |\n    text");
        assert_eq!(
            &text[items[1].slot.unwrap() - 1..items[1].slot.unwrap()],
            "-"
        );
        assert!(items[2].flow);
        assert_eq!(span(text, &items[2].items().unwrap()[1]), "{k: v}");
        assert_eq!(span(text, &entries[2].value), "E: \"quoted\"");
        assert_eq!(span(text, &entries[3].value), "|+\n  kept\n");
        assert!(matches!(&entries[4].value.kind, Kind::Alias(name) if name == "x"));
    }

    #[test]
    fn keys_read_as_our_reader_reads_them() {
        let root = tree("200: a\n'200x': b\ntrue: c\n0x10: d\nAWS::Region: e\n");
        let keys: Vec<&str> = root
            .entries()
            .unwrap()
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(keys, ["200", "200x", "true", "16", "AWS::Region"]);
    }

    #[test]
    fn non_ascii_text_gives_byte_offsets() {
        let text = "A: é\nB: [ü, x]\n";
        let root = tree(text);
        let entries = root.entries().unwrap();
        assert_eq!(span(text, &entries[0].value), "é");
        assert_eq!(span(text, &entries[1].value.items().unwrap()[1]), "x");
    }

    #[test]
    fn empty_values_sit_at_their_indicator() {
        let text = "A:\nB: 1\n";
        let root = tree(text);
        let a = &root.entries().unwrap()[0].value;
        assert_eq!((a.start, a.end, a.slot), (2, 2, Some(2)));
    }

    #[test]
    fn two_documents_are_refused() {
        let text = "a: 1\n---\nb: 2\n";
        assert!(build(text, &Lines::new(text)).is_err());
    }
}
