//! The dry run's `--diff`: a unified diff between two renderings of a
//! template, whose hunk headers name the section entry they change
//! (`@@ -10,6 +10,12 @@ Resources.OrdersFunction`), optionally coloured.
//!
//! Both sides must be rendered by [`crate::template::to_string`] in the same
//! format, so that only real changes show (not the input file's comments or
//! quoting). The line diff itself is the `similar` crate's.

use similar::{Algorithm, ChangeTag, TextDiff};

use crate::template::Format;

/// Lines of unchanged context around each change.
pub const CONTEXT_LINES: usize = 3;

/// ANSI escape sequences used when colouring.
mod ansi {
    pub const BOLD: &str = "\x1b[1m";
    pub const CYAN: &str = "\x1b[36m";
    pub const RED: &str = "\x1b[31m";
    pub const GREEN: &str = "\x1b[32m";
    pub const RESET: &str = "\x1b[0m";
}

/// How to write a diff.
#[derive(Debug, Clone)]
pub struct DiffOptions<'a> {
    /// The name of the old side (`--- NAME`).
    pub old_label: &'a str,
    /// The name of the new side (`+++ NAME`).
    pub new_label: &'a str,
    /// The format both texts are in (to find the section entries).
    pub format: Format,
    /// Whether to colour it with ANSI escapes.
    pub color: bool,
}

/// The unified diff from `old` to `new`, or an empty string when they are equal.
pub fn unified(old: &str, new: &str, options: &DiffOptions<'_>) -> String {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Histogram)
        .diff_lines(old, new);
    let old_paths = line_paths(old, options.format);
    let new_paths = line_paths(new, options.format);
    let paint = |style: &str, text: &str| -> String {
        if options.color {
            format!("{style}{text}{}", ansi::RESET)
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    for hunk in diff
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .iter_hunks()
    {
        if out.is_empty() {
            out.push_str(&paint(ansi::BOLD, &format!("--- {}", options.old_label)));
            out.push('\n');
            out.push_str(&paint(ansi::BOLD, &format!("+++ {}", options.new_label)));
            out.push('\n');
        }
        let mut labels: Vec<&str> = Vec::new();
        for change in hunk.iter_changes() {
            let path = match change.tag() {
                ChangeTag::Equal => None,
                ChangeTag::Delete => change.old_index().and_then(|i| old_paths.get(i)),
                ChangeTag::Insert => change.new_index().and_then(|i| new_paths.get(i)),
            };
            if let Some(Some(path)) = path
                && !labels.contains(&path.as_str())
            {
                labels.push(path);
            }
        }
        out.push_str(&paint(ansi::CYAN, &hunk.header().to_string()));
        if !labels.is_empty() {
            out.push(' ');
            out.push_str(&labels.join(", "));
        }
        out.push('\n');
        for change in hunk.iter_changes() {
            let (sign, style) = match change.tag() {
                ChangeTag::Equal => (' ', None),
                ChangeTag::Delete => ('-', Some(ansi::RED)),
                ChangeTag::Insert => ('+', Some(ansi::GREEN)),
            };
            let value = change.value();
            let line = format!("{sign}{}", value.strip_suffix('\n').unwrap_or(value));
            match style {
                Some(style) => out.push_str(&paint(style, &line)),
                None => out.push_str(&line),
            }
            out.push('\n');
            if change.missing_newline() {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
    out
}

/// For each line of a rendered template, the section entry it belongs to:
/// `Resources.OrdersFunction`, `Outputs.ApiUrl`, or only the section
/// (`Transform`, `Description`) for sections that are not mappings.
pub fn line_paths(text: &str, format: Format) -> Vec<Option<String>> {
    // Indentation of section keys and of their entries in our renderings.
    let (section_indent, entry_indent) = match format {
        Format::Json => (2, 4),
        Format::Yaml => (0, 2),
    };
    let mut section: Option<(String, bool)> = None;
    let mut entry: Option<String> = None;
    let mut paths = Vec::new();
    for line in text.lines() {
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        if indent == section_indent
            && body.starts_with('-')
            && let Some((_, is_mapping)) = &mut section
        {
            // A YAML section whose value is a list: its items' keys are not entries.
            *is_mapping = false;
        } else if indent == section_indent
            && let Some((key, rest)) = key_of(body, format)
        {
            let is_mapping = match format {
                Format::Json => rest.trim() == "{",
                Format::Yaml => rest.trim().is_empty(),
            };
            section = Some((key, is_mapping));
            entry = None;
        } else if indent == entry_indent
            && let Some((_, true)) = &section
            && let Some((key, _)) = key_of(body, format)
        {
            entry = Some(key);
        }
        paths.push(section.as_ref().map(|(s, _)| match &entry {
            Some(e) => format!("{s}.{e}"),
            None => s.clone(),
        }));
    }
    paths
}

/// The key a line starts with, and what follows its colon; `None` when the
/// line is not `key: ...` (a list item, a closing brace, a scalar...).
fn key_of(body: &str, format: Format) -> Option<(String, &str)> {
    let (key, rest) = match body.chars().next()? {
        '"' => {
            let end = closing_double_quote(body)?;
            let key: String = serde_json::from_str(&body[..=end]).ok()?;
            (key, &body[end + 1..])
        }
        '\'' if format == Format::Yaml => {
            let end = closing_single_quote(body)?;
            (body[1..end].replace("''", "'"), &body[end + 1..])
        }
        '-' | '#' | '{' | '}' | '[' | ']' | '?' | '|' | '>' => return None,
        _ if format == Format::Json => return None,
        _ => {
            let end = body
                .find(": ")
                .or_else(|| body.ends_with(':').then(|| body.len() - 1))?;
            (body[..end].to_string(), &body[end..])
        }
    };
    let rest = rest.strip_prefix(':')?;
    (rest.is_empty() || rest.starts_with(' ')).then_some((key, rest))
}

/// The byte index of the `"` closing the JSON string starting `text`.
fn closing_double_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i),
            _ => {}
        }
    }
    None
}

/// The byte index of the `'` closing the YAML single-quoted string starting `text`.
fn closing_single_quote(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template;
    use serde_json::json;

    fn options(format: Format) -> DiffOptions<'static> {
        DiffOptions {
            old_label: "a.yaml",
            new_label: "b.yaml",
            format,
            color: false,
        }
    }

    fn sample() -> serde_json::Value {
        json!({
            "Transform": ["AWS::Serverless-2016-10-31", {"Name": "DatadogServerless", "Parameters": {"a": 1}}],
            "Description": "line one: a\nline two: b",
            "Resources": {
                "First": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "a.b", "Runtime": "python3.12"}},
                "Second": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "c.d", "Runtime": "nodejs20.x"}}
            },
            "Outputs": {"Out": {"Value": {"Ref": "First"}}}
        })
    }

    #[test]
    fn paths_follow_sections_and_entries_in_both_formats() {
        for format in [Format::Yaml, Format::Json] {
            let text = template::to_string(&sample(), format);
            let paths = line_paths(&text, format);
            let find = |needle: &str| {
                let i = text.lines().position(|l| l.contains(needle)).unwrap();
                paths[i].clone()
            };
            assert_eq!(
                find("python3.12").as_deref(),
                Some("Resources.First"),
                "{format:?}"
            );
            assert_eq!(
                find("c.d").as_deref(),
                Some("Resources.Second"),
                "{format:?}"
            );
            assert_eq!(
                find("Serverless-2016").as_deref(),
                Some("Transform"),
                "{format:?}"
            );
            assert_eq!(
                find("Parameters").as_deref(),
                Some("Transform"),
                "{format:?}"
            );
            assert_eq!(find("Ref").as_deref(), Some("Outputs.Out"), "{format:?}");
            assert_eq!(
                find("line one").as_deref(),
                Some("Description"),
                "{format:?}"
            );
        }
    }

    #[test]
    fn quoted_keys_are_read() {
        assert_eq!(key_of("'it''s': 1", Format::Yaml).unwrap().0, "it's");
        assert_eq!(key_of("\"a\\\"b\": {", Format::Json).unwrap().0, "a\"b");
        assert_eq!(key_of("plain:", Format::Yaml).unwrap().0, "plain");
        assert!(key_of("- item", Format::Yaml).is_none());
        assert!(key_of("\"just a string\",", Format::Json).is_none());
        assert!(key_of("https://example.com", Format::Yaml).is_none());
    }

    #[test]
    fn hunks_name_the_resource_they_change() {
        let old = sample();
        let mut new = old.clone();
        new["Resources"]["Second"]["Properties"]["Handler"] = json!("wrapper.handler");
        new["Resources"]["Second"]["Properties"]["Layers"] = json!(["arn:layer"]);
        new["Transform"] = json!(["AWS::Serverless-2016-10-31"]);
        let diff = unified(
            &template::to_string(&old, Format::Yaml),
            &template::to_string(&new, Format::Yaml),
            &options(Format::Yaml),
        );
        let headers: Vec<&str> = diff.lines().filter(|l| l.starts_with("@@")).collect();
        assert_eq!(
            headers,
            [
                "@@ -1,8 +1,5 @@ Transform",
                "@@ -15,8 +12,10 @@ Resources.Second"
            ],
            "{diff}"
        );
        assert!(diff.starts_with("--- a.yaml\n+++ b.yaml\n"));
        assert!(diff.contains("\n-- Name: DatadogServerless\n"), "{diff}");
        assert!(
            diff.contains("\n+      Handler: wrapper.handler\n"),
            "{diff}"
        );
        assert!(!diff.contains('\x1b'));
    }

    #[test]
    fn equal_texts_give_no_diff_and_colour_is_ansi() {
        let text = template::to_string(&sample(), Format::Json);
        assert_eq!(unified(&text, &text, &options(Format::Json)), "");
        let mut colored = options(Format::Json);
        colored.color = true;
        let diff = unified("{\n  \"a\": 1\n}\n", "{\n  \"a\": 2\n}\n", &colored);
        assert!(diff.contains("\x1b[31m-  \"a\": 1\x1b[0m\n"), "{diff:?}");
        assert!(diff.contains("\x1b[32m+  \"a\": 2\x1b[0m\n"), "{diff:?}");
        assert!(
            diff.contains("\x1b[36m@@ -1,3 +1,3 @@\x1b[0m a\n"),
            "{diff:?}"
        );
    }
}
