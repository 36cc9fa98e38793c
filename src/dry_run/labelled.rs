//! Text that knows what each of its lines was written for, and the writer
//! that makes it from a template: each section entry (`Resources.Orders`,
//! `Outputs.Url`) is written on its own, so the writer knows which lines
//! hold it, and a diff names what each hunk changes without reading the
//! text back. The user's own file, when a diff compares it with such a
//! rendering, goes in unlabelled with [`Labelled::push`].

use std::ops::Range;

use serde_json::{Map, Value};

use crate::template::{self, Format};

/// Text, and for ranges of its lines, what they were written for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labelled {
    text: String,
    /// The number of line ends in `text`.
    line_ends: usize,
    /// Line ranges (0-based, end exclusive), in order, with their labels.
    spans: Vec<(Range<usize>, String)>,
}

impl Labelled {
    /// Appends `text`, its lines labelled `label` when given. A line that
    /// `text` continues or leaves unfinished keeps or takes the label.
    pub fn push(&mut self, text: &str, label: Option<&str>) {
        let first = self.line_ends;
        self.text.push_str(text);
        self.line_ends += text.matches('\n').count();
        let last = self.line_ends + usize::from(!text.ends_with('\n'));
        if let Some(label) = label
            && last > first
        {
            self.spans.push((first..last, label.to_string()));
        }
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// What line `line` (0-based) was written for, if known.
    pub fn label(&self, line: usize) -> Option<&str> {
        let after = self.spans.partition_point(|(lines, _)| lines.end <= line);
        self.spans
            .get(after)
            .filter(|(lines, _)| lines.contains(&line))
            .map(|(_, label)| label.as_str())
    }
}

/// Writes a template as [`template::to_string`] does, each line labelled
/// with the section entry it belongs to (`Resources.Orders`), or only the
/// section for one that is not a mapping (`Transform`, `Description`).
pub fn write(template: &Value, format: Format) -> Labelled {
    let mut out = Labelled::default();
    let sections = match template {
        Value::Object(sections) if !sections.is_empty() => sections,
        other => {
            out.push(&template::to_string(other, format), None);
            return out;
        }
    };
    if format == Format::Json {
        out.push("{\n", None);
    }
    for (i, (section, value)) in sections.iter().enumerate() {
        if i > 0 && format == Format::Json {
            out.push(",\n", None);
        }
        let entries = value.as_object().filter(|entries| !entries.is_empty());
        let written = entries.and_then(|entries| write_entries(&mut out, section, entries, format));
        if written.is_none() {
            let whole = one_entry(section, value.clone());
            out.push(&inner(&whole, format, 1), Some(section));
        }
    }
    if format == Format::Json {
        out.push("\n}\n", None);
    }
    out
}

/// Writes a section whose value is a mapping entry by entry; `None` (and
/// nothing written) when the writer does not write it as one (YAML folds a
/// one-key mapping named like an intrinsic into a tag).
fn write_entries(
    out: &mut Labelled,
    section: &str,
    entries: &Map<String, Value>,
    format: Format,
) -> Option<()> {
    // Each entry alone in its section, at the place it has in the template.
    let pieces: Vec<(&String, String)> = entries
        .iter()
        .map(|(entry, value)| {
            let alone = one_entry(section, one_entry(entry, value.clone()));
            (entry, inner(&alone, format, 1))
        })
        .collect();
    let (header, _) = pieces[0].1.split_once('\n')?;
    let opens = match format {
        Format::Json => header.ends_with('{'),
        Format::Yaml => header.ends_with(':'),
    };
    if !opens || pieces.iter().any(|(_, piece)| !piece.starts_with(header)) {
        return None;
    }
    out.push(header, Some(section));
    out.push("\n", None);
    for (i, (entry, piece)) in pieces.iter().enumerate() {
        let body = &piece[header.len() + 1..];
        let label = format!("{section}.{entry}");
        match format {
            Format::Yaml => out.push(body, Some(&label)),
            Format::Json => {
                // The section's closing brace follows the last entry alone.
                let (body, close) = body.rsplit_once('\n')?;
                out.push(body, Some(&label));
                let end = if i + 1 == pieces.len() { "\n" } else { ",\n" };
                out.push(end, None);
                if i + 1 == pieces.len() {
                    out.push(close, Some(section));
                }
            }
        }
    }
    Some(())
}

/// `{key: value}`.
fn one_entry(key: &str, value: Value) -> Value {
    let mut map = Map::with_capacity(1);
    map.insert(key.to_string(), value);
    Value::Object(map)
}

/// A one-section document written in `format`, without what surrounds its
/// section in a whole template: in JSON the outer braces (and `depth - 1`
/// more lines each side), in YAML nothing.
fn inner(document: &Value, format: Format, depth: usize) -> String {
    let text = template::to_string(document, format);
    match format {
        Format::Yaml => text,
        Format::Json => {
            let lines: Vec<&str> = text.lines().collect();
            lines[depth..lines.len() - depth].join("\n")
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;

    /// A template with a section of each shape (the diff's tests use it too).
    pub(in crate::dry_run) fn sample() -> Value {
        json!({
            "Transform": ["AWS::Serverless-2016-10-31", {"Name": "DatadogServerless", "Parameters": {"a": 1}}],
            "Description": "line one: a\nline two: b",
            "Resources": {
                "First": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "a.b", "Runtime": "python3.12"}},
                "Second": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "c.d", "Runtime": "nodejs20.x"}}
            },
            "Outputs": {"Out": {"Value": {"Ref": "First"}}},
            "Conditions": {},
            "Metadata": {"Ref": "Folded"}
        })
    }

    #[test]
    fn writes_what_the_template_writer_writes() {
        for format in [Format::Yaml, Format::Json] {
            for template in [sample(), json!({}), json!([1]), json!({"A": 1})] {
                let labelled = write(&template, format);
                assert_eq!(
                    labelled.text(),
                    template::to_string(&template, format),
                    "{format:?}"
                );
            }
        }
    }

    #[test]
    fn lines_are_labelled_with_their_section_entry() {
        for format in [Format::Yaml, Format::Json] {
            let labelled = write(&sample(), format);
            let label_of = |needle: &str| {
                let line = labelled
                    .text()
                    .lines()
                    .position(|l| l.contains(needle))
                    .unwrap();
                labelled.label(line).map(str::to_string)
            };
            let expect = [
                ("python3.12", "Resources.First"),
                ("c.d", "Resources.Second"),
                ("Serverless-2016", "Transform"),
                ("Parameters", "Transform"),
                ("\"Ref\": \"First\"", "Outputs.Out"),
                ("line one", "Description"),
                ("Conditions", "Conditions"),
                // YAML writes a one-key mapping named like an intrinsic as a tag.
                (
                    "Folded",
                    if format == Format::Yaml {
                        "Metadata"
                    } else {
                        "Metadata.Ref"
                    },
                ),
            ];
            for (needle, label) in expect {
                let needle = match format {
                    // `!Ref First` in YAML.
                    Format::Yaml if needle.contains("Ref") => "!Ref First",
                    _ => needle,
                };
                assert_eq!(
                    label_of(needle).as_deref(),
                    Some(label),
                    "{format:?} {needle}"
                );
            }
        }
        let json = write(&sample(), Format::Json);
        assert_eq!(json.label(0), None, "the opening brace");
    }

    #[test]
    fn pushed_text_keeps_its_labels() {
        let mut text = Labelled::default();
        text.push("a\nb", Some("A"));
        text.push(",\n", None);
        text.push("c\n", Some("C"));
        text.push("d\n", None);
        assert_eq!(text.text(), "a\nb,\nc\nd\n");
        let labels: Vec<_> = (0..5).map(|line| text.label(line)).collect();
        assert_eq!(labels, [Some("A"), Some("A"), Some("C"), None, None]);
    }
}
