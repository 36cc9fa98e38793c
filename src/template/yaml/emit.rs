//! Writes JSON-shaped values as block-style YAML with CloudFormation's
//! short-form tags (`!Ref X`, `!GetAtt A.B`, `!If [C, a, b]`).
//!
//! Our own emitter rather than serde_yaml's: every scalar's spelling is
//! chosen by [`super::scalar`] so that YAML 1.1 readers (PyYAML: cfn-flip,
//! cfn-lint, SAM CLI) read the same value back as YAML 1.2 readers, and a
//! short form is only used when both read it back as the long form it
//! replaces.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

use super::scalar::{self, Context, Style};
use super::short_name;

/// A flow sequence (`[a, b]`) is used for a tag's list when it fits on a line
/// of about this many characters; longer lists are written in block style.
const FLOW_WIDTH: usize = 100;

/// Keys longer than this are written as explicit `? key` entries: YAML
/// readers refuse implicit keys of 1024 characters or more.
const MAX_IMPLICIT_KEY: usize = 1000;

/// A value as it will be written: intrinsics folded into tags.
enum Node<'a> {
    Null,
    Bool(bool),
    Number(&'a Number),
    Str(Cow<'a, str>),
    Map(&'a Map<String, Value>),
    Seq(&'a [Value]),
    Tagged(&'a str, Box<Node<'a>>),
}

/// The node for a value: a one-key intrinsic object becomes a tag when its
/// short form reads back as the same value.
fn node(value: &Value) -> Node<'_> {
    match value {
        Value::Null => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Number(n) => Node::Number(n),
        Value::String(s) => Node::Str(Cow::Borrowed(s)),
        Value::Array(items) => Node::Seq(items),
        Value::Object(map) => short_form(map).unwrap_or(Node::Map(map)),
    }
}

/// The tagged form of `{"Fn::X": inner}`, when reading `!X inner` back gives
/// the same object with serde_yaml and with cfn-flip.
fn short_form(map: &Map<String, Value>) -> Option<Node<'_>> {
    if map.len() != 1 {
        return None;
    }
    let (key, inner) = map.iter().next()?;
    let name = short_name(key)?;
    let inner = match (name, inner) {
        // `!GetAtt A.B` reads as ["A", "B"] (a string form would change).
        ("GetAtt", Value::Array(parts)) => {
            let parts_text = parts
                .iter()
                .map(Value::as_str)
                .collect::<Option<Vec<_>>>()?;
            match parts_text.as_slice() {
                [resource, attribute] if !resource.contains('.') => {
                    Node::Str(Cow::Owned(format!("{resource}.{attribute}")))
                }
                // cfn-flip reads a tagged list's items as raw text: strings only.
                _ => Node::Seq(parts),
            }
        }
        ("GetAtt", _) => return None,
        (_, Value::String(s)) => Node::Str(Cow::Borrowed(s)),
        // `Ref` and `Condition` name something: anything else is no intrinsic.
        ("Ref" | "Condition", _) => return None,
        (_, Value::Array(items)) => Node::Seq(items),
        // A node has one tag: `Fn::Base64: !Sub ...` stays half long-form.
        (_, Value::Object(inner)) => match short_form(inner) {
            Some(_) => return None,
            None => Node::Map(inner),
        },
        // PyYAML reads a tagged scalar as text: `!Select 1` would be "1".
        _ => return None,
    };
    Some(Node::Tagged(name, Box::new(inner)))
}

/// Writes a value as a YAML document (no `---`), ending in a newline.
pub(super) fn document(value: &Value) -> String {
    let mut writer = Writer { out: String::new() };
    // A template is a mapping even when it has one key that names an
    // intrinsic (`Condition: x`): `!Condition x` would not read back as one.
    let root = match value {
        Value::Object(map) => Node::Map(map),
        other => node(other),
    };
    match root {
        Node::Map(map) if !map.is_empty() => writer.map_entries(map, 0, false),
        Node::Seq(items) if !items.is_empty() => writer.seq_items(items, 0, false),
        other => {
            // Written as after `key:`, then without the separating space.
            writer.value(&other, 0, 0);
            writer.out.remove(0);
        }
    }
    writer.out
}

struct Writer {
    out: String,
}

impl Writer {
    fn indent(&mut self, indent: usize) {
        self.out.extend(std::iter::repeat_n(' ', indent));
    }

    /// The entries of a non-empty mapping whose keys sit at column `indent`;
    /// with `inline_first` the first key follows a `- ` already written.
    fn map_entries(&mut self, map: &Map<String, Value>, indent: usize, inline_first: bool) {
        for (i, (key, value)) in map.iter().enumerate() {
            if i > 0 || !inline_first {
                self.indent(indent);
            }
            let key_text = scalar::inline(key, Context::Key).unwrap_or_default();
            if key_text.len() > MAX_IMPLICIT_KEY {
                self.out.push_str("? ");
                self.out.push_str(&key_text);
                self.out.push('\n');
                self.indent(indent);
            } else {
                self.out.push_str(&key_text);
            }
            self.out.push(':');
            self.value(&node(value), indent, indent);
        }
    }

    /// The items of a non-empty sequence whose dashes sit at column `indent`.
    fn seq_items(&mut self, items: &[Value], indent: usize, inline_first: bool) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 || !inline_first {
                self.indent(indent);
            }
            match node(item) {
                Node::Map(map) if !map.is_empty() => {
                    self.out.push_str("- ");
                    self.map_entries(map, indent + 2, true);
                }
                Node::Seq(inner) if !inner.is_empty() => {
                    self.out.push_str("- ");
                    self.seq_items(inner, indent + 2, true);
                }
                other => {
                    self.out.push('-');
                    self.value(&other, indent, indent + 2);
                }
            }
        }
    }

    /// A value written right after `key:` or `-` (the parent at column
    /// `indent`): a space and a scalar, or a newline and an indented block.
    /// A block list's dashes go at `seq_indent`: under a key they line up
    /// with it (as PyYAML and serde_yaml write them), after a dash they
    /// must be indented.
    fn value(&mut self, node: &Node, indent: usize, seq_indent: usize) {
        match node {
            Node::Map(map) if map.is_empty() => self.out.push_str(" {}\n"),
            Node::Seq([]) => self.out.push_str(" []\n"),
            Node::Map(map) => {
                self.out.push('\n');
                self.map_entries(map, indent + 2, false);
            }
            Node::Seq(items) => {
                self.out.push('\n');
                self.seq_items(items, seq_indent, false);
            }
            Node::Tagged(tag, inner) => {
                self.out.push_str(" !");
                self.out.push_str(tag);
                match inner.as_ref() {
                    Node::Seq(items) if !items.is_empty() => match flow(inner) {
                        Some(text) if indent + tag.len() + text.len() <= FLOW_WIDTH => {
                            self.out.push(' ');
                            self.out.push_str(&text);
                            self.out.push('\n');
                        }
                        _ => {
                            self.out.push('\n');
                            self.seq_items(items, seq_indent, false);
                        }
                    },
                    inner => self.value(inner, indent, seq_indent),
                }
            }
            Node::Str(s) => {
                self.out.push(' ');
                if scalar::style(s, Context::Block) == Style::Literal {
                    let (header, lines) = scalar::literal(s);
                    self.out.push_str(&header);
                    self.out.push('\n');
                    for line in lines {
                        if !line.is_empty() {
                            self.indent(indent + 2);
                            self.out.push_str(line);
                        }
                        self.out.push('\n');
                    }
                } else {
                    self.out
                        .push_str(&scalar::inline(s, Context::Block).unwrap_or_default());
                    self.out.push('\n');
                }
            }
            scalar_node => {
                self.out.push(' ');
                self.out.push_str(&flow(scalar_node).unwrap_or_default());
                self.out.push('\n');
            }
        }
    }
}

/// A node in flow style (one line), or `None` when it has a non-empty
/// mapping or multi-line text.
fn flow(node: &Node) -> Option<String> {
    Some(match node {
        Node::Null => "null".to_string(),
        Node::Bool(b) => b.to_string(),
        Node::Number(n) => scalar::number(n),
        Node::Str(s) if s.contains('\n') => return None,
        Node::Str(s) => scalar::inline(s, Context::Flow)?,
        Node::Map(map) if map.is_empty() => "{}".to_string(),
        Node::Map(_) => return None,
        Node::Seq(items) => {
            let parts = items
                .iter()
                .map(|item| flow(&self::node(item)))
                .collect::<Option<Vec<_>>>()?;
            format!("[{}]", parts.join(", "))
        }
        Node::Tagged(tag, inner) => format!("!{tag} {}", flow(inner)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_style_with_short_forms() {
        let v = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                "F": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "Role": {"Fn::GetAtt": ["R", "Arn"]},
                        "Layers": [{"Ref": "L"}, "arn:aws:lambda:x"],
                        "Env": {"Fn::If": ["C", {"Ref": "AWS::NoValue"}, {}]},
                        "Code": {"ZipFile": "def h(e, c):\n    return 1\n"},
                        "Name": {"Fn::Base64": {"Fn::Sub": "x"}},
                        "Empty": [],
                        "Flag": true,
                        "Count": 3,
                        "Items": [{"a": 1, "b": [1, 2]}, [3, 4]]
                    }
                }
            }
        });
        let expected = "\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  F:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt R.Arn
      Layers:
      - !Ref L
      - arn:aws:lambda:x
      Env: !If [C, !Ref AWS::NoValue, {}]
      Code:
        ZipFile: |
          def h(e, c):
              return 1
      Name:
        Fn::Base64: !Sub x
      Empty: []
      Flag: true
      Count: 3
      Items:
      - a: 1
        b:
        - 1
        - 2
      - - 3
        - 4
";
        assert_eq!(document(&v), expected);
    }

    #[test]
    fn a_template_is_never_a_short_form() {
        // Found by the template_parse fuzz target.
        let value = json!({"Condition": "eN- LadogN"});
        let text = document(&value);
        assert_eq!(text, "Condition: eN- LadogN\n");
        assert_eq!(crate::template::parse(&text).unwrap().0, value);
    }

    #[test]
    fn short_forms_only_when_they_read_back_the_same() {
        let v = json!({
            "a": {"Fn::GetAtt": "R.Arn"},
            "b": {"Fn::GetAtt": ["R.x", "Arn"]},
            "c": {"Ref": {"x": 1}},
            "d": {"Fn::Select": 1},
            "e": {"Fn::GetAZs": ""},
            "f": {"Fn::GetAtt": ["R", {"Ref": "A"}]},
        });
        let expected = "\
a:
  Fn::GetAtt: R.Arn
b: !GetAtt [R.x, Arn]
c:
  Ref:
    x: 1
d:
  Fn::Select: 1
e: !GetAZs ''
f:
  Fn::GetAtt:
  - R
  - !Ref A
";
        assert_eq!(document(&v), expected);
    }

    #[test]
    fn tagged_blocks_and_long_lists() {
        let long: Vec<Value> = (0..40).map(|i| json!(format!("item{i}"))).collect();
        let v = json!({"j": {"Fn::Join": ["", long]}, "s": {"Fn::Sub": ["${A}", {"A": "x"}]}});
        let out = document(&v);
        assert!(
            out.starts_with("j: !Join\n- ''\n- - item0\n  - item1\n"),
            "{out}"
        );
        assert!(out.ends_with("s: !Sub\n- ${A}\n- A: x\n"), "{out}");
        // After a dash, a tag's block list must be indented.
        let v = json!([{"Fn::If": ["C", {"a": 1}, "b"]}]);
        assert_eq!(document(&v), "- !If\n  - C\n  - a: 1\n  - b\n");
    }

    #[test]
    fn roots_and_long_keys() {
        assert_eq!(document(&json!({})), "{}\n");
        assert_eq!(document(&json!([1, "a"])), "- 1\n- a\n");
        assert_eq!(document(&json!("yes")), "'yes'\n");
        // A mapping, never a short form: `!Ref X` is not a template.
        assert_eq!(document(&json!({"Ref": "X"})), "Ref: X\n");
        let key = "k".repeat(1200);
        assert_eq!(
            document(&json!({ key.clone(): 1 })),
            format!("? {key}\n: 1\n")
        );
    }
}
