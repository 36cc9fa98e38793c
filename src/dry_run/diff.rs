//! The dry run's `--diff`: a unified diff between two [`Labelled`] texts,
//! whose hunk headers name what the changed lines were written for
//! (`@@ -10,6 +10,12 @@ Resources.OrdersFunction`), and [`style`], which
//! colours any unified diff with ANSI styles for a terminal (`anstream`
//! strips them where they are not wanted).
//!
//! The line diff itself is the `similar` crate's.

use anstyle::{AnsiColor, Style};
use similar::udiff::UnifiedDiffHunk;
use similar::{Algorithm, ChangeTag, TextDiff};

use super::labelled::Labelled;

/// Lines of unchanged context around each change.
pub const CONTEXT_LINES: usize = 3;

/// The `---`/`+++` lines.
const FILE_HEADER: Style = Style::new().bold();
/// The `@@` ranges.
const HUNK_HEADER: Style = AnsiColor::Cyan.on_default();
/// A line only the old text has.
const DELETED: Style = AnsiColor::Red.on_default();
/// A line only the new text has.
const INSERTED: Style = AnsiColor::Green.on_default();

/// The unified diff from `old` to `new` (named `old_name` and `new_name`
/// in its header), plain text; an empty string when they are equal.
pub fn unified(old: &Labelled, new: &Labelled, old_name: &str, new_name: &str) -> String {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Histogram)
        .diff_lines(old.text(), new.text());
    with_names(&diff, old_name, new_name, |hunk| {
        let mut labels: Vec<&str> = Vec::new();
        for change in hunk.iter_changes() {
            let label = match change.tag() {
                ChangeTag::Equal => None,
                ChangeTag::Delete => change.old_index().and_then(|i| old.label(i)),
                ChangeTag::Insert => change.new_index().and_then(|i| new.label(i)),
            };
            if let Some(label) = label
                && !labels.contains(&label)
            {
                labels.push(label);
            }
        }
        labels.join(", ")
    })
}

/// `diff` as a unified diff with `--- old_name` and `+++ new_name` headers
/// and [`CONTEXT_LINES`] of context, each hunk header followed by what
/// `names` says the hunk changes (nothing when it says nothing); an empty
/// string when there is no change. The one writer of both diffs: of two
/// renderings ([`unified`]) and of a user's file against its edit.
pub(crate) fn with_names(
    diff: &TextDiff<'_, '_, str>,
    old_name: &str,
    new_name: &str,
    mut names: impl FnMut(&UnifiedDiffHunk<'_, '_, '_, str>) -> String,
) -> String {
    let mut out = String::new();
    for hunk in diff
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .iter_hunks()
    {
        if out.is_empty() {
            out.push_str(&format!("--- {old_name}\n+++ {new_name}\n"));
        }
        let names = names(&hunk);
        let text = hunk.to_string();
        let (header, body) = text.split_once('\n').unwrap_or((&text, ""));
        out.push_str(header);
        if !names.is_empty() {
            out.push(' ');
            out.push_str(&names);
        }
        out.push('\n');
        out.push_str(body);
    }
    out
}

/// A plain unified diff with its file headers bold, the `@@` ranges of its
/// hunk headers cyan (the names after them as they are), deleted lines red
/// and inserted ones green.
pub fn style(plain: &str) -> String {
    let mut out = String::new();
    // File headers are the lines before the first hunk: past it, a line
    // starting `---` is a deleted line starting `--`.
    let mut in_hunks = false;
    for line in plain.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        in_hunks |= body.starts_with("@@");
        let styled = if !in_hunks {
            format!("{FILE_HEADER}{body}{FILE_HEADER:#}")
        } else if let Some(ranges_end) = body
            .strip_prefix("@@")
            .and_then(|rest| rest.find("@@"))
            .map(|at| at + 4)
        {
            let (ranges, names) = body.split_at(ranges_end);
            format!("{HUNK_HEADER}{ranges}{HUNK_HEADER:#}{names}")
        } else if body.starts_with('-') {
            format!("{DELETED}{body}{DELETED:#}")
        } else if body.starts_with('+') {
            format!("{INSERTED}{body}{INSERTED:#}")
        } else {
            body.to_string()
        };
        out.push_str(&styled);
        out.push_str(end);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::dry_run::labelled::tests::sample;
    use crate::dry_run::labelled::write;
    use crate::template::Format;

    #[test]
    fn hunks_name_the_resource_they_change() {
        let old = sample();
        let mut new = old.clone();
        new["Resources"]["Second"]["Properties"]["Handler"] = json!("wrapper.handler");
        new["Resources"]["Second"]["Properties"]["Layers"] = json!(["arn:layer"]);
        new["Transform"] = json!(["AWS::Serverless-2016-10-31"]);
        let diff = unified(
            &write(&old, Format::Yaml),
            &write(&new, Format::Yaml),
            "a.yaml",
            "b.yaml",
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
        assert!(!diff.contains('\x1b'), "{diff:?}");
    }

    #[test]
    fn a_missing_last_newline_is_said() {
        let text = |t: &str| {
            let mut labelled = Labelled::default();
            labelled.push(t, None);
            labelled
        };
        let diff = unified(&text("a: 1\nb: 2"), &text("a: 1\nb: 3"), "t", "t");
        assert!(
            diff.ends_with(
                "-b: 2\n\\ No newline at end of file\n+b: 3\n\\ No newline at end of file\n"
            ),
            "{diff}"
        );
    }

    #[test]
    fn equal_texts_give_no_diff_and_styles_follow_the_line_kinds() {
        let text = write(&sample(), Format::Json);
        assert_eq!(unified(&text, &text, "a", "b"), "");
        let json = |value: Value| write(&value, Format::Json);
        let diff = style(&unified(
            &json(json!({"a": 1, "b": "-- c"})),
            &json(json!({"a": 2, "b": "-- c"})),
            "a",
            "b",
        ));
        assert!(
            diff.starts_with("\x1b[1m--- a\x1b[0m\n\x1b[1m+++ b\x1b[0m\n"),
            "{diff:?}"
        );
        assert!(diff.contains("\x1b[31m-  \"a\": 1,\x1b[0m\n"), "{diff:?}");
        assert!(diff.contains("\x1b[32m+  \"a\": 2,\x1b[0m\n"), "{diff:?}");
        assert!(
            diff.contains("\x1b[36m@@ -1,4 +1,4 @@\x1b[0m a\n"),
            "{diff:?}"
        );
        assert_eq!(
            anstream::adapter::strip_str(&diff).to_string(),
            unified(
                &json(json!({"a": 1, "b": "-- c"})),
                &json(json!({"a": 2, "b": "-- c"})),
                "a",
                "b",
            )
        );
        // A deleted line that starts `--` is not a file header.
        let yaml = style("--- t\n+++ t\n@@ -1 +1 @@\n--- x\n++- y\n");
        assert!(
            yaml.ends_with("\x1b[31m--- x\x1b[0m\n\x1b[32m++- y\x1b[0m\n"),
            "{yaml:?}"
        );
    }
}
