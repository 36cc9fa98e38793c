//! A state machine's definition as an editable JSON value, in any of the
//! forms a template may give it, written back in the same form (SPEC §8):
//!
//! - `Definition`: an object (CloudFormation and SAM);
//! - `DefinitionString`: a JSON string, `{"Fn::Sub": string}`,
//!   `{"Fn::Sub": [string, vars]}` or `{"Fn::Join": [separator, parts]}`.
//!
//! Text forms may hold holes that are not JSON: `${Var}` outside a JSON string
//! (an `Fn::Sub` variable or a `DefinitionSubstitutions` key used as a number
//! or object) and, in `Fn::Join`, intrinsic parts. Each hole is replaced by a
//! marker before parsing and put back after writing, so it survives untouched;
//! `${Var}` inside a JSON string is ordinary text and needs no marker.
//! The text is written back compactly, or indented as the original was.

use serde_json::{Map, Value};

use crate::template::intrinsics::{intrinsic_name, single};

/// Private-use characters delimiting markers: a hole inside a JSON string
/// (`IN_OPEN n IN_CLOSE`) and one standing for a whole JSON value
/// (`"OUT_OPEN n OUT_CLOSE"`).
const IN_OPEN: char = '\u{E000}';
const IN_CLOSE: char = '\u{E001}';
const OUT_OPEN: char = '\u{E002}';
const OUT_CLOSE: char = '\u{E003}';

const RESERVED: &str = "it contains private-use characters (U+E000 to U+E003) the macro reserves";

/// Where the definition sits and how it is written.
#[derive(Debug, Clone, PartialEq)]
enum Form {
    /// `Definition` (an object).
    Object,
    /// `DefinitionString` as plain text.
    String,
    /// `{"Fn::Sub": text}`.
    Sub,
    /// `{"Fn::Sub": [text, vars]}`: the vars are kept as they were.
    SubWithVars(Value),
    /// `{"Fn::Join": [separator, parts]}`.
    Join(String),
}

/// A hole of a text definition.
#[derive(Debug, Clone, PartialEq)]
enum Hole {
    /// Text written back verbatim (`${Var}` outside a string).
    Text(String),
    /// An intrinsic part of `Fn::Join`.
    Part(Value),
}

/// How the original text was laid out.
#[derive(Debug, Clone, PartialEq)]
enum Layout {
    /// One line.
    Compact,
    /// Indented with this unit, one key per line.
    Pretty(String),
}

/// A definition taken out of a state machine for editing.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// The definition, parsed (markers in place of holes).
    pub value: Value,
    /// The property it came from.
    key: &'static str,
    form: Form,
    holes: Vec<Hole>,
    layout: Layout,
    trailing_newline: bool,
}

/// What a state machine's definition is.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// An editable definition.
    Editable(Definition),
    /// The definition lives in S3 (`DefinitionS3Location`, `DefinitionUri`).
    InS3(&'static str),
    /// There is no definition.
    Missing,
    /// It cannot be parsed; says why.
    Unreadable(String),
}

/// Finds and parses the definition among a state machine's properties.
pub fn read(properties: &Map<String, Value>) -> Found {
    if let Some(definition) = properties.get("Definition") {
        return match definition {
            Value::Object(_) if intrinsic_name(definition).is_none() => {
                Found::Editable(Definition {
                    value: definition.clone(),
                    key: "Definition",
                    form: Form::Object,
                    holes: Vec::new(),
                    layout: Layout::Compact,
                    trailing_newline: false,
                })
            }
            _ => Found::Unreadable("`Definition` is not a JSON object".into()),
        };
    }
    if let Some(text) = properties.get("DefinitionString") {
        return match read_text(text) {
            Ok(definition) => Found::Editable(definition),
            Err(why) => Found::Unreadable(why),
        };
    }
    for key in ["DefinitionS3Location", "DefinitionUri"] {
        if properties.contains_key(key) {
            return Found::InS3(key);
        }
    }
    Found::Missing
}

fn read_text(value: &Value) -> Result<Definition, String> {
    let reserved = |s: &str| s.contains([IN_OPEN, IN_CLOSE, OUT_OPEN, OUT_CLOSE]);
    let (form, text, holes) = match value {
        Value::String(s) => (Form::String, s.clone(), Vec::new()),
        _ => {
            if let Some(sub) = single(value, "Fn::Sub") {
                match sub {
                    Value::String(s) => (Form::Sub, s.clone(), Vec::new()),
                    Value::Array(parts) if parts.len() == 2 && parts[0].is_string() => (
                        Form::SubWithVars(parts[1].clone()),
                        parts[0].as_str().unwrap_or_default().to_string(),
                        Vec::new(),
                    ),
                    _ => {
                        return Err(
                            "its `Fn::Sub` is neither a string nor [string, variables]".into()
                        );
                    }
                }
            } else if let Some(join) = single(value, "Fn::Join") {
                let Some([Value::String(separator), Value::Array(parts)]) =
                    join.as_array().map(Vec::as_slice)
                else {
                    return Err("its `Fn::Join` is not [separator, [parts]]".into());
                };
                let mut text = String::new();
                let mut holes = Vec::new();
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        text.push_str(separator);
                    }
                    match part {
                        Value::String(s) if reserved(s) => return Err(RESERVED.into()),
                        Value::String(s) => text.push_str(s),
                        other => {
                            text.push_str(&format!("{IN_OPEN}{}{IN_CLOSE}", holes.len()));
                            holes.push(Hole::Part(other.clone()));
                        }
                    }
                }
                (Form::Join(separator.clone()), text, holes)
            } else {
                return Err(
                    "`DefinitionString` is neither a string, `Fn::Sub` nor `Fn::Join`".into(),
                );
            }
        }
    };
    if holes.is_empty() && reserved(&text) {
        return Err(RESERVED.into());
    }
    let (json_text, holes) = mark_holes(&text, holes)?;
    let value: Value =
        serde_json::from_str(&json_text).map_err(|e| format!("it is not valid JSON ({e})"))?;
    if !value.get("States").is_some_and(Value::is_object) {
        return Err("it has no `States` object".into());
    }
    Ok(Definition {
        value,
        key: "DefinitionString",
        form,
        holes,
        layout: layout_of(&text),
        trailing_newline: text.ends_with('\n'),
    })
}

/// Replaces every hole outside a JSON string (`${...}`, or a `Fn::Join`
/// part marker) by a JSON string holding an outside marker.
fn mark_holes(text: &str, mut holes: Vec<Hole>) -> Result<(String, Vec<Hole>), String> {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '$' if text[i..].starts_with("${") => {
                let end = text[i..]
                    .find('}')
                    .ok_or_else(|| "it has an unclosed `${`".to_string())?;
                let raw = &text[i..i + end + 1];
                out.push_str(&format!("\"{OUT_OPEN}{}{OUT_CLOSE}\"", holes.len()));
                holes.push(Hole::Text(raw.to_string()));
                // Skip the rest of the `${...}`.
                while chars.peek().is_some_and(|(j, _)| *j <= i + end) {
                    chars.next();
                }
            }
            IN_OPEN => {
                let mut number = String::new();
                for (_, d) in chars.by_ref() {
                    if d == IN_CLOSE {
                        break;
                    }
                    number.push(d);
                }
                out.push_str(&format!("\"{OUT_OPEN}{number}{OUT_CLOSE}\""));
            }
            _ => out.push(c),
        }
    }
    Ok((out, holes))
}

/// The layout of a definition text: indented when it spans several lines.
fn layout_of(text: &str) -> Layout {
    if !text.trim_end().contains('\n') {
        return Layout::Compact;
    }
    let indent = text
        .lines()
        .skip(1)
        .map(|line| &line[..line.len() - line.trim_start().len()])
        .find(|ws| !ws.is_empty())
        .unwrap_or("  ");
    Layout::Pretty(indent.to_string())
}

/// A piece of text written back.
enum Piece {
    Text(String),
    Value(Value),
}

impl Definition {
    /// The property the definition was read from.
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// For each intrinsic part of an `Fn::Join` definition that sits inside
    /// a JSON string, its marker and the `Fn::Sub` spelling of the part
    /// (`{"Ref": "AWS::Partition"}` is `${AWS::Partition}`), so that a
    /// `Resource` built from parts can be recognised.
    pub fn part_spellings(&self) -> Vec<(String, String)> {
        self.holes
            .iter()
            .enumerate()
            .filter_map(|(i, hole)| {
                let Hole::Part(value) = hole else {
                    return None;
                };
                let spelling = if let Some(target) = crate::template::intrinsics::ref_target(value)
                {
                    format!("${{{target}}}")
                } else if let Some((resource, attribute)) =
                    crate::template::intrinsics::get_att(value)
                {
                    format!("${{{resource}.{attribute}}}")
                } else if let Some(Value::String(text)) = single(value, "Fn::Sub") {
                    text.clone()
                } else {
                    return None;
                };
                Some((format!("{IN_OPEN}{i}{IN_CLOSE}"), spelling))
            })
            .collect()
    }

    /// Writes the (edited) definition back into the properties, in the form
    /// it was read from.
    pub fn write_back(self, properties: &mut Map<String, Value>) {
        let key = self.key;
        let new = match &self.form {
            Form::Object => self.value.clone(),
            _ => self.text_value(),
        };
        properties.insert(key.to_string(), new);
    }

    fn text_value(&self) -> Value {
        let mut text = match &self.layout {
            Layout::Compact => serde_json::to_string(&self.value).unwrap_or_default(),
            Layout::Pretty(indent) => {
                let mut out = Vec::new();
                let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
                let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
                serde::Serialize::serialize(&self.value, &mut serializer)
                    .expect("a JSON value always serialises");
                String::from_utf8(out).expect("serde_json writes UTF-8")
            }
        };
        if self.trailing_newline {
            text.push('\n');
        }
        let pieces = self.restore(&text);
        let plain = |pieces: Vec<Piece>| -> String {
            pieces
                .into_iter()
                .map(|p| match p {
                    Piece::Text(t) => t,
                    Piece::Value(_) => String::new(),
                })
                .collect()
        };
        match &self.form {
            Form::Object => self.value.clone(),
            Form::String => Value::String(plain(pieces)),
            Form::Sub => serde_json::json!({"Fn::Sub": plain(pieces)}),
            Form::SubWithVars(vars) => serde_json::json!({"Fn::Sub": [plain(pieces), vars]}),
            Form::Join(separator) => {
                let has_parts = pieces.iter().any(|p| matches!(p, Piece::Value(_)));
                if has_parts || separator.is_empty() {
                    // Intrinsic parts can only be placed with an empty separator.
                    let parts: Vec<Value> = pieces
                        .into_iter()
                        .map(|p| match p {
                            Piece::Text(t) => Value::String(t),
                            Piece::Value(v) => v,
                        })
                        .filter(|v| v.as_str() != Some(""))
                        .collect();
                    serde_json::json!({"Fn::Join": ["", parts]})
                } else {
                    let text = plain(pieces);
                    let parts: Vec<Value> = text
                        .split(separator.as_str())
                        .map(|s| Value::String(s.to_string()))
                        .collect();
                    serde_json::json!({"Fn::Join": [separator, parts]})
                }
            }
        }
    }

    /// Splits written text at the markers, putting each hole back.
    fn restore(&self, text: &str) -> Vec<Piece> {
        let mut pieces = Vec::new();
        let mut current = String::new();
        let mut rest = text;
        loop {
            let next_in = rest.find(IN_OPEN);
            let next_out = rest.find(&format!("\"{OUT_OPEN}")[..]);
            let (start, open_len, close) = match (next_in, next_out) {
                (None, None) => break,
                (Some(i), Some(o)) if i < o => (i, IN_OPEN.len_utf8(), IN_CLOSE.to_string()),
                (Some(i), None) => (i, IN_OPEN.len_utf8(), IN_CLOSE.to_string()),
                (_, Some(o)) => (o, 1 + OUT_OPEN.len_utf8(), format!("{OUT_CLOSE}\"")),
            };
            current.push_str(&rest[..start]);
            let after = &rest[start + open_len..];
            let end = after.find(&close).unwrap_or(after.len());
            let hole = after[..end]
                .parse::<usize>()
                .ok()
                .and_then(|n| self.holes.get(n));
            match hole {
                Some(Hole::Text(t)) => current.push_str(t),
                Some(Hole::Part(v)) => {
                    pieces.push(Piece::Text(std::mem::take(&mut current)));
                    pieces.push(Piece::Value(v.clone()));
                }
                None => {}
            }
            rest = &after[(end + close.len()).min(after.len())..];
        }
        current.push_str(rest);
        pieces.push(Piece::Text(current));
        pieces
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn round_trip(properties: Value) -> Value {
        let mut p = props(properties);
        let Found::Editable(d) = read(&p) else {
            panic!("not editable")
        };
        d.write_back(&mut p);
        Value::Object(p)
    }

    #[test]
    fn text_forms_round_trip_unchanged() {
        for properties in [
            json!({"DefinitionString": "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":true}}}"}),
            json!({"DefinitionString": {"Fn::Sub": "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"${Fn.Arn}\",\"TimeoutSeconds\":${Timeout},\"End\":true}}}"}}),
            json!({"DefinitionString": {"Fn::Sub": ["{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Result\":${X},\"End\":true}}}", {"X": {"Ref": "P"}}]}}),
            json!({"DefinitionString": {"Fn::Join": ["\n", ["{", "    \"StartAt\": \"A\",", "    \"States\": {", "        \"A\": {", "            \"End\": true,", "            \"Type\": \"Pass\"", "        }", "    }", "}"]]}}),
            json!({"DefinitionString": {"Fn::Join": ["", ["{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:", {"Ref": "AWS::Partition"}, ":states:::lambda:invoke\",\"TimeoutSeconds\":", {"Ref": "T"}, ",\"End\":true}}}"]]}}),
            json!({"Definition": {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}}),
        ] {
            assert_eq!(round_trip(properties.clone()), properties);
        }
    }

    #[test]
    fn holes_become_markers_while_editing() {
        let p = props(
            json!({"DefinitionString": {"Fn::Sub": "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Result\":${X},\"End\":true}}}"}}),
        );
        let Found::Editable(d) = read(&p) else {
            panic!()
        };
        assert_eq!(d.value["States"]["A"]["Result"], json!("\u{E002}0\u{E003}"));
    }

    #[test]
    fn unreadable_and_external_definitions() {
        assert!(matches!(
            read(&props(json!({"DefinitionString": "{not json"}))),
            Found::Unreadable(_)
        ));
        assert!(matches!(
            read(&props(json!({"DefinitionString": "{\"a\": 1}"}))),
            Found::Unreadable(_)
        ));
        assert!(matches!(
            read(&props(
                json!({"DefinitionString": {"Fn::Sub": "{\"States\": ${x"}})
            )),
            Found::Unreadable(_)
        ));
        assert!(matches!(
            read(&props(
                json!({"DefinitionString": {"Fn::GetAtt": ["A", "B"]}})
            )),
            Found::Unreadable(_)
        ));
        assert_eq!(
            read(&props(json!({"DefinitionUri": "s3://b/k"}))),
            Found::InS3("DefinitionUri")
        );
        assert_eq!(read(&props(json!({}))), Found::Missing);
    }

    #[test]
    fn edited_join_keeps_lines_and_indentation() {
        let mut p = props(
            json!({"DefinitionString": {"Fn::Join": ["\n", ["{", "    \"States\": {}", "}"]]}}),
        );
        let Found::Editable(mut d) = read(&p) else {
            panic!()
        };
        d.value["States"]["A"] = json!({"Type": "Pass"});
        d.write_back(&mut p);
        assert_eq!(
            p["DefinitionString"],
            json!({"Fn::Join": ["\n", ["{", "    \"States\": {", "        \"A\": {", "            \"Type\": \"Pass\"", "        }", "    }", "}"]]})
        );
    }
}
