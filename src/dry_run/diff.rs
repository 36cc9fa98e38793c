//! The dry run's `--diff`: a unified diff between two [`Labelled`] texts,
//! whose hunk headers name what the changed lines were written for
//! (`@@ -10,6 +10,12 @@ Resources.OrdersFunction`), styled with ANSI
//! colours that the stream it is written to keeps or strips (`anstream`).
//!
//! The line diff itself is the `similar` crate's.

use anstyle::{AnsiColor, Style};
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
/// in its header), styled; an empty string when they are equal.
pub fn unified(old: &Labelled, new: &Labelled, old_name: &str, new_name: &str) -> String {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Histogram)
        .diff_lines(old.text(), new.text());
    let mut out = String::new();
    for hunk in diff
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .iter_hunks()
    {
        if out.is_empty() {
            out.push_str(&format!("{FILE_HEADER}--- {old_name}{FILE_HEADER:#}\n"));
            out.push_str(&format!("{FILE_HEADER}+++ {new_name}{FILE_HEADER:#}\n"));
        }
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
        out.push_str(&format!("{HUNK_HEADER}{}{HUNK_HEADER:#}", hunk.header()));
        if !labels.is_empty() {
            out.push(' ');
            out.push_str(&labels.join(", "));
        }
        out.push('\n');
        for change in hunk.iter_changes() {
            let value = change.value();
            let value = value.strip_suffix('\n').unwrap_or(value);
            match change.tag() {
                ChangeTag::Equal => out.push_str(&format!(" {value}")),
                ChangeTag::Delete => out.push_str(&format!("{DELETED}-{value}{DELETED:#}")),
                ChangeTag::Insert => out.push_str(&format!("{INSERTED}+{value}{INSERTED:#}")),
            }
            out.push('\n');
            if change.missing_newline() {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::dry_run::labelled::tests::sample;
    use crate::dry_run::labelled::write;
    use crate::secrets::Secrets;
    use crate::template::Format;

    fn labelled(template: &Value, format: Format) -> Labelled {
        write(template, format, &Secrets::default())
    }

    fn plain(styled: &str) -> String {
        anstream::adapter::strip_str(styled).to_string()
    }

    #[test]
    fn hunks_name_the_resource_they_change() {
        let old = sample();
        let mut new = old.clone();
        new["Resources"]["Second"]["Properties"]["Handler"] = json!("wrapper.handler");
        new["Resources"]["Second"]["Properties"]["Layers"] = json!(["arn:layer"]);
        new["Transform"] = json!(["AWS::Serverless-2016-10-31"]);
        let diff = plain(&unified(
            &labelled(&old, Format::Yaml),
            &labelled(&new, Format::Yaml),
            "a.yaml",
            "b.yaml",
        ));
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
    }

    #[test]
    fn equal_texts_give_no_diff_and_changes_are_coloured() {
        let text = labelled(&sample(), Format::Json);
        assert_eq!(unified(&text, &text, "a", "b"), "");
        let diff = unified(
            &labelled(&json!({"a": 1}), Format::Json),
            &labelled(&json!({"a": 2}), Format::Json),
            "a",
            "b",
        );
        assert!(diff.starts_with("\x1b[1m--- a\x1b[0m\n"), "{diff:?}");
        assert!(diff.contains("\x1b[31m-  \"a\": 1\x1b[0m\n"), "{diff:?}");
        assert!(diff.contains("\x1b[32m+  \"a\": 2\x1b[0m\n"), "{diff:?}");
        assert!(
            diff.contains("\x1b[36m@@ -1,3 +1,3 @@\x1b[0m a\n"),
            "{diff:?}"
        );
    }
}
