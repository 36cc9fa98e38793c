//! Dry runs that keep the user's file: the transform's output written as
//! edits of the template's own text, so that comments, blank lines,
//! indentation, quoting, flow or block style and key order of everything
//! the transform did not change stay byte for byte.
//!
//! [`edit`] takes the text, the template as our reader read it (`before`)
//! and the template the dry run produced (`after`). Their value diff
//! (`plan`) is walked together with a tree of where each value sits in
//! the text (YAML: `yaml_tree`, from `saphyr-parser`'s events; JSON:
//! `json_tree`) and becomes a few splices of the text: changed values
//! written anew in place, new keys appended after a mapping's last entry in
//! the file's indentation, new list items after the last one, removed
//! entries and items taken out with their lines. New YAML is written in the
//! file's style with our emitter's spelling of every scalar and short form
//! (`!Ref`, `!GetAtt`, `!Sub`). Then the proof: the edited text is read
//! again and must equal `after`, or the caller gets a [`Fallback`] naming
//! what could not be edited (an alias or merge key the change goes through,
//! a layout the editor does not write into) and writes the full rendering
//! instead. Never a wrong edit. [`unified_diff`] is the diff of the file
//! against the edit, which `patch -p0` applies, each hunk naming the
//! resource it changes.
//!
//! Why not the `yamlpatch` crate (zizmor's comment-preserving patch
//! operations on `yamlpath` routes), which the issue suggested: measured on
//! version 1.24.1 (the last one on serde_yaml 0.9; 1.32 needs rustc 1.97),
//! it re-parses the whole document with tree-sitter after every operation,
//! so 500 functions × 3 operations took 60 s (50: 0.45 s); `Add` of a
//! nested mapping wrote `Variables:` with its entries at the same
//! indentation, turning them into siblings (a wrong edit); a replace inside
//! a flow mapping `{A: 1, B: 2}` wrote `{ A: 3 }`; new scalars are spelt by
//! YAML 1.2 rules (`DD_FLAG: yes`, which cfn-lint and the SAM CLI read as a
//! boolean); tagged values (`!Sub`) in new lists are refused. It also brings
//! tree-sitter's C build and a second YAML library. So the edits are ours,
//! on a well-kept YAML 1.2 parser for positions (`saphyr-parser`, the
//! yaml-rust2 successor, which reads every corpus template), and every edit
//! is proved by reading it back.

mod diff;
mod json;
mod json_tree;
mod plan;
mod syntax;
mod tree;
mod yaml;
mod yaml_tree;
mod yaml_write;

use std::fmt;
use std::ops::Range;

use serde_json::Value;

use crate::template::{self, Format};
use syntax::Splice;
use tree::Lines;

pub use diff::unified_diff;

/// The user's text with the transform's changes applied, and where they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    text: String,
    regions: Vec<Region>,
}

/// One changed region of an edited text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// The section entry the change belongs to: `Resources.OrdersFunction`,
    /// or only the section (`Transform`) when it is not a mapping.
    pub label: String,
    /// The bytes of the original text it replaces (empty for an insertion).
    pub old: Range<usize>,
    /// The bytes of the edited text it wrote (empty for a removal).
    pub new: Range<usize>,
}

impl Edited {
    /// The edited text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The edited text, owned.
    pub fn into_text(self) -> String {
        self.text
    }

    /// The changed regions, in the order of the text.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }
}

/// Why a template could not be edited in place: the caller writes the full
/// rendering instead, after one note naming this.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct Fallback {
    /// What could not be edited.
    pub construct: Construct,
    /// The value whose change needed it (`Resources.Fn.Properties.Layers`);
    /// empty for the whole file.
    pub path: String,
    /// The 1-based line of the construct in the original text (0: unknown).
    pub line: usize,
}

impl Fallback {
    fn describe(&self) -> String {
        let mut text = String::from("the file cannot be edited in place");
        if !self.path.is_empty() {
            text.push_str(&format!(" at `{}`", self.path));
        }
        if self.line > 0 {
            text.push_str(&format!(" (line {})", self.line));
        }
        format!("{text}: {}", self.construct)
    }
}

/// The constructs an edit cannot go through.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Construct {
    /// A YAML alias (`*name`) the change would have to go through.
    Alias(String),
    /// A YAML anchor (`&name`) on a value that changes, which an alias
    /// repeats elsewhere (the repetition would change too).
    Anchor(String),
    /// A YAML merge key (`<<`) the changed key comes from.
    MergeKey,
    /// A layout the editor does not write into.
    Layout(&'static str),
    /// A key or item that the text holds differently from the value read.
    Unmatched(String),
    /// The text's positions could not be read.
    Unreadable(String),
    /// The edited text does not read back as the transform's output.
    Unverified(String),
}

impl fmt::Display for Construct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Construct::Alias(name) => write!(f, "the change goes through the YAML alias `*{name}`"),
            Construct::Anchor(name) => write!(
                f,
                "the change is inside the YAML anchor `&{name}`, which an alias repeats"
            ),
            Construct::MergeKey => write!(f, "the changed key comes from a `<<` merge key"),
            Construct::Layout(what) => write!(f, "the change would have to go into {what}"),
            Construct::Unmatched(what) => {
                write!(f, "`{what}` is written in a way the editor does not match")
            }
            Construct::Unreadable(why) => write!(f, "its layout could not be read ({why})"),
            Construct::Unverified(why) => write!(
                f,
                "the edited text does not read back as the transform's output ({why})"
            ),
        }
    }
}

/// Edits `original` (a template in `format`, which our reader reads as
/// `before`) so that it reads as `after`, keeping everything else of the
/// text as it is. When `before` equals `after` the text is returned
/// unchanged, byte for byte.
pub fn edit(
    original: &str,
    format: Format,
    before: &Value,
    after: &Value,
) -> Result<Edited, Fallback> {
    if before == after {
        return Ok(Edited {
            text: original.to_string(),
            regions: Vec::new(),
        });
    }
    let bom = original.len() - original.trim_start_matches('\u{feff}').len();
    let body = &original[bom..];
    let lines = Lines::new(body);
    let whole_file = |construct| Fallback {
        construct,
        path: String::new(),
        line: 0,
    };
    let planned = match format {
        Format::Yaml => {
            let root = yaml_tree::build(body, &lines).map_err(whole_file)?;
            let syntax = yaml::YamlSyntax::new(body, &lines, &root);
            plan::plan(&syntax, &root, before, after)
        }
        Format::Json => {
            let root = json_tree::build(body).map_err(whole_file)?;
            let syntax = json::JsonSyntax::new(body, &lines, &root);
            plan::plan(&syntax, &root, before, after)
        }
    };
    let splices = planned.map_err(|stop| Fallback {
        construct: stop.construct,
        path: stop.path,
        line: lines.line_of(stop.at) + 1,
    })?;
    let newline = if body.contains("\r\n") { "\r\n" } else { "\n" };
    let edited = apply(original, bom, splices, newline).map_err(whole_file)?;
    prove(&edited.text[bom..], format, after)?;
    Ok(edited)
}

/// Applies the splices (offsets in the text after `offset`) in one pass.
fn apply(
    original: &str,
    offset: usize,
    mut splices: Vec<Splice>,
    newline: &str,
) -> Result<Edited, Construct> {
    // Stable: insertions at one place keep the order they were planned in.
    splices.sort_by_key(|s| (s.range.start, s.range.end));
    let mut text = String::new();
    let mut regions = Vec::with_capacity(splices.len());
    text.push_str(&original[..offset]);
    let mut cursor = 0;
    let body = &original[offset..];
    for splice in splices {
        if splice.range.start < cursor {
            return Err(Construct::Layout("two changes to the same text"));
        }
        text.push_str(&body[cursor..splice.range.start]);
        let new_start = text.len();
        if newline == "\n" {
            text.push_str(&splice.text);
        } else {
            text.push_str(&splice.text.replace('\n', newline));
        }
        regions.push(Region {
            label: splice.label.to_string(),
            old: offset + splice.range.start..offset + splice.range.end,
            new: new_start..text.len(),
        });
        cursor = splice.range.end;
    }
    text.push_str(&body[cursor..]);
    Ok(Edited { text, regions })
}

/// The proof: the edited text reads as `after`.
fn prove(text: &str, format: Format, after: &Value) -> Result<(), Fallback> {
    let reread = match format {
        Format::Yaml => template::yaml::parse(text),
        Format::Json => template::parse_json(text),
    };
    let why = match reread {
        Ok(value) if value == *after => return Ok(()),
        Ok(value) => format!("it differs at `{}`", first_difference(&value, after)),
        Err(e) => e.to_string(),
    };
    Err(Fallback {
        construct: Construct::Unverified(why),
        path: String::new(),
        line: 0,
    })
}

/// The path of the first place where two values differ (empty: at the top).
fn first_difference(a: &Value, b: &Value) -> String {
    let (step, x, y) = match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let lonely = x.keys().filter(|k| !y.contains_key(*k));
            if let Some(key) = lonely
                .chain(y.keys().filter(|k| !x.contains_key(*k)))
                .next()
            {
                return key.clone();
            }
            match x.iter().find(|(k, v)| y.get(*k) != Some(*v)) {
                Some((key, v)) => (key.clone(), v, &y[key.as_str()]),
                None => return String::new(),
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            match x.iter().zip(y).position(|(p, q)| p != q) {
                Some(i) => (format!("[{i}]"), &x[i], &y[i]),
                None => return String::new(),
            }
        }
        _ => return String::new(),
    };
    match first_difference(x, y) {
        rest if rest.is_empty() => step,
        rest if rest.starts_with('[') => format!("{step}{rest}"),
        rest => format!("{step}.{rest}"),
    }
}

#[cfg(test)]
mod tests;
