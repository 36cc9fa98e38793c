//! Writing new YAML values into a user's file, in the file's own style: its
//! indentation step, whether its block lists are indented under their key,
//! and short-form (`!Ref`) or long-form (`Ref:`) intrinsics.
//!
//! The structure (mappings and lists) is written here; every scalar and
//! short-form intrinsic is spelt by our emitter ([`crate::template::yaml`]),
//! so that YAML 1.1 readers (cfn-lint, the SAM CLI) read back what YAML 1.2
//! readers do. The emitter's text is shifted as a whole to its column, which
//! keeps any block it wrote valid.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::tree::{Kind, Lines, Node};
use crate::template::intrinsics::intrinsic_name;
use crate::template::yaml;

/// How a file writes its YAML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct YamlStyle {
    /// Columns a nested mapping is indented by.
    pub step: usize,
    /// Columns a block list's dashes are indented by under their key (0:
    /// `key:\n- a`, 2: `key:\n  - a`).
    pub list_offset: usize,
    /// Whether intrinsics are written as tags (`!Ref X`) rather than as
    /// mappings (`Ref: X`).
    pub short_forms: bool,
}

impl YamlStyle {
    /// The style of the file whose tree is `root`; `long_keys` gives the
    /// long-form key of each CloudFormation tag the file uses.
    pub fn of(root: &Node, lines: &Lines, long_keys: &HashMap<String, String>) -> YamlStyle {
        let mut census = Census::default();
        census.visit(root, lines, long_keys);
        let step = mode(&census.steps).unwrap_or(2);
        YamlStyle {
            step,
            list_offset: mode(&census.list_offsets).unwrap_or(step),
            short_forms: census.tags > 0 || census.long_forms == 0,
        }
    }

    /// The lines of a new entry whose key sits at column `col`, each ending
    /// with a newline.
    pub fn entry(&self, key: &str, value: &Value, col: usize, out: &mut String) {
        indent(out, col);
        self.entry_body(key, value, col, out);
        out.push('\n');
    }

    /// The lines of a new list item whose dash sits at column `dash`, each
    /// ending with a newline.
    pub fn item(&self, value: &Value, dash: usize, out: &mut String) {
        indent(out, dash);
        out.push('-');
        self.after_dash(value, dash, out);
        out.push('\n');
    }

    /// `key:` and its value, the key at column `col` (already indented).
    fn entry_body(&self, key: &str, value: &Value, col: usize, out: &mut String) {
        let key_text = spelt_key(key);
        if key_text.contains('\n') {
            // A key too long for an implicit key: the emitter's `? key` form.
            let text = emitted(&single(key, value));
            shift_into(out, text.trim_end_matches('\n'), col);
            return;
        }
        out.push_str(&key_text);
        out.push(':');
        self.after_key(value, col, out);
    }

    /// What follows `key:` for a value whose key sits at column `col`: a
    /// space and a scalar, or lines of a block (no final newline).
    pub fn after_key(&self, value: &Value, col: usize, out: &mut String) {
        match value {
            Value::Object(map) if self.writes_as_mapping(value) => {
                for (key, item) in map {
                    out.push('\n');
                    self.entry_line(key, item, col + self.step, out);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for item in items {
                    out.push('\n');
                    indent(out, col + self.list_offset);
                    out.push('-');
                    self.after_dash(item, col + self.list_offset, out);
                }
            }
            _ => {
                let text = emitted(&single("k", value));
                let text = text.strip_prefix("k:").unwrap_or(&text);
                shift_into(out, text.trim_end_matches('\n'), col);
            }
        }
    }

    /// What follows the `-` of a list item whose dash sits at column `dash`
    /// (no final newline).
    pub fn after_dash(&self, value: &Value, dash: usize, out: &mut String) {
        match value {
            Value::Object(map) if self.writes_as_mapping(value) => {
                for (i, (key, item)) in map.iter().enumerate() {
                    if i == 0 {
                        out.push(' ');
                        self.entry_body(key, item, dash + 2, out);
                    } else {
                        out.push('\n');
                        self.entry_line(key, item, dash + 2, out);
                    }
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    if i == 0 {
                        out.push(' ');
                    } else {
                        out.push('\n');
                        indent(out, dash + 2);
                    }
                    out.push('-');
                    self.after_dash(item, dash + 2, out);
                }
            }
            _ => {
                let text = emitted(&Value::Array(vec![value.clone()]));
                let text = text.strip_prefix('-').unwrap_or(&text);
                shift_into(out, text.trim_end_matches('\n'), dash);
            }
        }
    }

    fn entry_line(&self, key: &str, value: &Value, col: usize, out: &mut String) {
        indent(out, col);
        self.entry_body(key, value, col, out);
    }

    /// The short form of an intrinsic in flow context: the emitter's when it
    /// is one line and flow-safe, else its tag before the argument in flow
    /// style; `None` when neither reads back as the same value in a list.
    fn flow_short_form(&self, value: &Value) -> Option<String> {
        let text = emitted(&single("k", value));
        let text = text.strip_prefix("k: ")?.strip_suffix('\n')?;
        let tag = text.split(' ').next().filter(|t| t.starts_with('!'))?;
        let argument = value.as_object()?.values().next()?;
        let candidates = [text.to_string(), format!("{tag} {}", self.flow(argument))];
        candidates.into_iter().find(|candidate| {
            !candidate.contains('\n')
                && yaml::parse(&format!("k: [{candidate}]\n"))
                    .is_ok_and(|probe| probe.get("k").and_then(|k| k.get(0)) == Some(value))
        })
    }

    /// Whether a value is written here as a block mapping (not by the
    /// emitter, which writes short-form intrinsics and empty mappings).
    fn writes_as_mapping(&self, value: &Value) -> bool {
        let emitter_writes = self.short_forms && intrinsic_name(value).is_some();
        matches!(value, Value::Object(map) if !map.is_empty()) && !emitter_writes
    }

    /// A value in flow style (`[a, !Ref B]`, `{k: v}`), on one line.
    pub fn flow(&self, value: &Value) -> String {
        match value {
            Value::String(s) => flow_string(s),
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(|i| self.flow(i)).collect();
                format!("[{}]", items.join(", "))
            }
            Value::Object(map) if map.is_empty() => "{}".to_string(),
            Value::Object(map) => {
                if self.short_forms
                    && intrinsic_name(value).is_some()
                    && let Some(text) = self.flow_short_form(value)
                {
                    return text;
                }
                let entries: Vec<String> = map
                    .iter()
                    .map(|(k, v)| format!("{}: {}", flow_string(k), self.flow(v)))
                    .collect();
                format!("{{{}}}", entries.join(", "))
            }
            scalar => {
                let text = emitted(&single("k", scalar));
                text.trim_start_matches("k:").trim().to_string()
            }
        }
    }
}

/// The emitter's document for a value.
fn emitted(value: &Value) -> String {
    yaml::to_string(value)
}

/// `{key: value}`.
fn single(key: &str, value: &Value) -> Value {
    let mut map = Map::with_capacity(1);
    map.insert(key.to_string(), value.clone());
    Value::Object(map)
}

/// A key as the emitter spells it (plain or quoted; `? key` when too long).
fn spelt_key(key: &str) -> String {
    let text = emitted(&single(key, &Value::Null));
    text.strip_suffix(": null\n").unwrap_or(&text).to_string()
}

/// A string spelt for flow context, where `,[]{}` end a plain scalar: the
/// emitter's key spelling follows the same rules.
fn flow_string(s: &str) -> String {
    let spelt = spelt_key(s);
    match spelt.strip_prefix("? ") {
        Some(long) => long.lines().next().unwrap_or_default().to_string(),
        None => spelt,
    }
}

/// Appends `text`, every line after the first indented by `col` more.
fn shift_into(out: &mut String, text: &str, col: usize) {
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                indent(out, col);
            }
        }
        out.push_str(line);
    }
}

fn indent(out: &mut String, col: usize) {
    out.extend(std::iter::repeat_n(' ', col));
}

/// The most frequent value (the smallest among equals), if any.
fn mode(counts: &HashMap<usize, usize>) -> Option<usize> {
    counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(value, _)| *value)
}

/// What the file's existing blocks say about its style.
#[derive(Default)]
struct Census {
    /// Indentation of nested block mappings under their key, by frequency.
    steps: HashMap<usize, usize>,
    /// Indentation of block lists' dashes under their key, by frequency.
    list_offsets: HashMap<usize, usize>,
    /// Nodes written with a CloudFormation short-form tag.
    tags: usize,
    /// Intrinsics written as one-key mappings (`Ref:`, `Fn::...:`).
    long_forms: usize,
}

impl Census {
    fn visit(&mut self, node: &Node, lines: &Lines, long_keys: &HashMap<String, String>) {
        if node.tag.as_ref().is_some_and(|t| long_keys.contains_key(t)) {
            self.tags += 1;
        }
        match &node.kind {
            Kind::Map(entries) => {
                if let [only] = entries.as_slice()
                    && (only.key == "Ref" || only.key.starts_with("Fn::"))
                {
                    self.long_forms += 1;
                }
                for entry in entries {
                    let key_col = lines.column(entry.key_start);
                    let child = &entry.value;
                    if !node.flow && !child.flow {
                        match &child.kind {
                            Kind::Map(inner) if !inner.is_empty() => {
                                let col = lines.column(inner[0].key_start);
                                if col > key_col {
                                    *self.steps.entry(col - key_col).or_default() += 1;
                                }
                            }
                            Kind::Seq(items) => {
                                if let Some(slot) = items.first().and_then(|i| i.slot) {
                                    let dash = lines.column(slot - 1);
                                    if dash >= key_col {
                                        *self.list_offsets.entry(dash - key_col).or_default() += 1;
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                    self.visit(child, lines, long_keys);
                }
            }
            Kind::Seq(items) => {
                for item in items {
                    self.visit(item, lines, long_keys);
                }
            }
            Kind::Scalar | Kind::Alias(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn style(step: usize, list_offset: usize, short_forms: bool) -> YamlStyle {
        YamlStyle {
            step,
            list_offset,
            short_forms,
        }
    }

    #[test]
    fn entries_follow_the_file_style() {
        let value = json!({
            "Variables": {"DD_ENV": "yes", "DD_VERSION": "0123"},
            "Layers": [{"Fn::Sub": "arn:${AWS::Region}"}, "arn:x"],
            "Role": {"Fn::GetAtt": ["R", "Arn"]},
            "Code": "line 1\nline 2\n",
        });
        let mut out = String::new();
        style(4, 4, true).entry("Environment", &value, 8, &mut out);
        assert_eq!(
            out,
            "        Environment:
            Variables:
                DD_ENV: 'yes'
                DD_VERSION: '0123'
            Layers:
                - !Sub arn:${AWS::Region}
                - arn:x
            Role: !GetAtt R.Arn
            Code: |
              line 1
              line 2
"
        );
        let mut out = String::new();
        style(2, 0, false).entry("Role", &value["Role"], 2, &mut out);
        assert_eq!(out, "  Role:\n    Fn::GetAtt:\n    - R\n    - Arn\n");
    }

    #[test]
    fn items_hold_mappings_after_their_dash() {
        let mut out = String::new();
        let value = json!({"Key": "dd_sls_macro", "Value": "v1.0.0"});
        style(2, 2, true).item(&value, 6, &mut out);
        assert_eq!(out, "      - Key: dd_sls_macro\n        Value: v1.0.0\n");
        let mut out = String::new();
        style(2, 2, true).item(&json!({"Fn::If": ["C", {"a": 1}, "b"]}), 2, &mut out);
        assert_eq!(out, "  - !If\n    - C\n    - a: 1\n    - b\n");
    }

    #[test]
    fn flow_values_read_back_in_flow_context() {
        let s = style(2, 2, true);
        assert_eq!(s.flow(&json!("a,b")), "'a,b'");
        assert_eq!(
            s.flow(&json!(["x", {"Ref": "L"}, 3, true])),
            "[x, !Ref L, 3, true]"
        );
        assert_eq!(s.flow(&json!({"Fn::Sub": "a,${B}"})), "!Sub 'a,${B}'");
        assert_eq!(s.flow(&json!({"k": "yes", "m": {}})), "{k: 'yes', m: {}}");
        assert_eq!(style(2, 2, false).flow(&json!({"Ref": "L"})), "{Ref: L}");
    }

    #[test]
    fn the_style_is_read_from_the_file() {
        let text = "A:\n    B:\n        C: !Ref X\n    L:\n    - a\n";
        let lines = Lines::new(text);
        let root = super::super::yaml_tree::build(text, &lines).unwrap();
        let long_keys = HashMap::from([("!Ref".to_string(), "Ref".to_string())]);
        assert_eq!(YamlStyle::of(&root, &lines, &long_keys), style(4, 0, true));
        let text = "A:\n  B:\n    Ref: X\n";
        let lines = Lines::new(text);
        let root = super::super::yaml_tree::build(text, &lines).unwrap();
        assert_eq!(YamlStyle::of(&root, &lines, &long_keys), style(2, 2, false));
    }
}
