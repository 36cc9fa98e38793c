//! What a dry run writes: the template, and the diff that shows it.
//!
//! In the input's format, the template is the user's own text with only
//! the transform's changes applied ([`crate::edit`]): comments, blank lines,
//! layout and quoting of the rest stay byte for byte. When the text cannot
//! be edited in place (a [`Fallback`]: an alias or merge key the change
//! goes through...), or when another format is asked for, it is the full
//! rendering of the transformed template.
//!
//! The diff is of the user's file against what is written, so that
//! `patch -p0` or `git apply` applied to the file gives the output exactly:
//! the edit's own diff, or, after a fallback, the file against the full
//! rendering. Across formats no diff can apply: both sides are rendered in
//! the input's format, to show what changes. Nothing here is masked; a
//! caller showing a diff to people masks it.

use serde_json::Value;

use super::diff;
use super::input::TemplateFile;
use super::labelled::{self, Labelled};
use crate::edit::{self, Edited, Fallback};
use crate::template::{self, Format};

/// The template a dry run writes, and how it was made.
#[derive(Debug, Clone)]
pub struct Written<'a> {
    /// The file the dry run read.
    input: &'a TemplateFile,
    /// The transformed template.
    output: &'a Value,
    how: How,
}

#[derive(Debug, Clone)]
enum How {
    /// The user's text, edited.
    Edited(Edited),
    /// The full rendering in the input's format, because the edit fell back.
    Rendered(Labelled, Fallback),
    /// The full rendering in the other format.
    Converted(String),
}

impl<'a> Written<'a> {
    /// Writes `output` (the dry run of `input`) in `format`: `input`'s own
    /// text edited when `format` is its format and the edit succeeds, the
    /// full rendering otherwise.
    pub fn new(input: &'a TemplateFile, output: &'a Value, format: Format) -> Written<'a> {
        let how = if format != input.format {
            How::Converted(template::to_string(output, format))
        } else {
            match edit::edit(&input.text, input.format, &input.value, output) {
                Ok(edited) => How::Edited(edited),
                Err(fallback) => How::Rendered(labelled::write(output, format), fallback),
            }
        };
        Written { input, output, how }
    }

    /// The template's text.
    pub fn text(&self) -> &str {
        match &self.how {
            How::Edited(edited) => edited.text(),
            How::Rendered(rendered, _) => rendered.text(),
            How::Converted(text) => text,
        }
    }

    /// Why the input's text could not be edited in place, when it could
    /// not (the text is then the full rendering).
    pub fn fallback(&self) -> Option<&Fallback> {
        match &self.how {
            How::Rendered(_, fallback) => Some(fallback),
            How::Edited(_) | How::Converted(_) => None,
        }
    }

    /// The unified diff of the input file against [`Written::text`], both
    /// headers naming the file `name` (as `patch` and `git apply` want
    /// them), plain and unmasked; empty when nothing changes. Across
    /// formats it compares renderings in the input's format instead, and
    /// does not apply.
    pub fn diff(&self, name: &str) -> String {
        match &self.how {
            How::Edited(edited) => edit::unified_diff(&self.input.text, edited, name, name),
            How::Rendered(rendered, _) => {
                let mut file = Labelled::default();
                file.push(&self.input.text, None);
                diff::unified(&file, rendered, name, name)
            }
            How::Converted(_) => {
                let format = self.input.format;
                let before = labelled::write(&self.input.value, format);
                let after = labelled::write(self.output, format);
                diff::unified(&before, &after, name, name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dry_run::in_us_east_1;

    /// The file holding `text`, and its dry run's output.
    fn read_and_run(text: &str) -> (TemplateFile, Value) {
        let (value, format) = template::parse(text).unwrap();
        let output = in_us_east_1(&value).output.unwrap();
        let input = TemplateFile {
            text: text.to_string(),
            value,
            format,
        };
        (input, output)
    }

    const COMMENTED: &str = "\
# An order service.
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12   # keep in step with the layer
      Handler: app.handler
";

    /// A function whose properties an alias repeats: no edit goes through it.
    const ALIASED: &str = "\
# Two functions sharing their properties.
Resources:
  A:
    Type: AWS::Lambda::Function
    Properties: &props
      Runtime: python3.12
      Handler: app.handler
  B:
    Type: AWS::Lambda::Function
    Properties: *props
";

    #[test]
    fn the_input_format_edits_the_users_text() {
        let (input, output) = read_and_run(COMMENTED);
        let written = Written::new(&input, &output, Format::Yaml);
        assert!(written.fallback().is_none());
        assert!(
            written.text().starts_with(
                "# An order service.\nResources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12   # keep in step with the layer\n      Handler: datadog_lambda.handler.handler\n"
            ),
            "{}",
            written.text()
        );
        let diff = written.diff("t.yaml");
        assert!(
            diff.starts_with("--- t.yaml\n+++ t.yaml\n@@ -4,4 +4,"),
            "{diff}"
        );
        // The record of the bake follows the function, in the same hunk.
        assert!(diff.contains("@@ Resources.Fn, Metadata\n"), "{diff}");
    }

    #[test]
    fn a_fallback_writes_the_full_rendering_and_diffs_the_file_against_it() {
        let (input, output) = read_and_run(ALIASED);
        let written = Written::new(&input, &output, Format::Yaml);
        let fallback = written.fallback().expect("the alias stops the edit");
        assert!(fallback.to_string().contains("`&props`"), "{fallback}");
        assert_eq!(written.text(), template::to_string(&output, Format::Yaml));
        let diff = written.diff("t.yaml");
        assert!(diff.starts_with("--- t.yaml\n+++ t.yaml\n"), "{diff}");
        // The file's own lines go: its comment and its anchor.
        assert!(
            diff.contains("\n-# Two functions sharing their properties.\n"),
            "{diff}"
        );
        assert!(diff.contains("\n-    Properties: *props\n"), "{diff}");
    }

    #[test]
    fn another_format_is_the_full_rendering_diffed_in_the_inputs_format() {
        let (input, output) = read_and_run(COMMENTED);
        let written = Written::new(&input, &output, Format::Json);
        assert!(written.fallback().is_none());
        assert_eq!(written.text(), template::to_string(&output, Format::Json));
        let diff = written.diff("t.yaml");
        assert!(
            diff.contains("\n-      Handler: app.handler\n"),
            "YAML, and not the file's own lines: {diff}"
        );
        assert!(!diff.contains("# An order service"), "{diff}");
    }
}
