//! What the processed template says about the transform: the entry
//! `DatadogServerless` of its top-level `Metadata`, where
//! `aws cloudformation get-template --template-stage Processed` and the
//! console's processed-template view show it to the people deploying the
//! stack, who never read the macro's own log.
//!
//! The entry is one object owned by the project, each of its keys written
//! by one part: `Warnings` (the warnings of transforms that succeeded) and
//! `Version` (the macro that last wrote the entry) here; its other keys,
//! and the rest of `Metadata`, are kept. A template without warnings gets
//! nothing. A template that has the entry already (a baked template run
//! again) keeps the warnings listed there, which were true of it when they
//! were written and which a run without the first run's parameters cannot
//! find again, and gets those it did not have: running the transform on
//! its own output does not change the entry.

use serde_json::{Map, Value, json};

use crate::report::Report;
use crate::report_text::diagnostic_summary;
use crate::secrets::Secrets;

/// The key of the project's entry in the top-level `Metadata`.
pub const ENTRY: &str = "DatadogServerless";
/// The key of the macro's version, `v` and the crate's version.
pub const VERSION: &str = "Version";
/// The key of the warnings, one line each naming its resource and the fix.
pub const WARNINGS: &str = "Warnings";

/// The `Metadata` section of a template whose transform succeeded with
/// `report`, given its `metadata` section as received: `None` when it does
/// not change. The warnings are written as the log shows them, every secret
/// of the request masked (`secrets`), after those the entry lists already.
pub fn metadata_after(
    metadata: Option<&Value>,
    report: &Report,
    secrets: &Secrets,
) -> Option<Value> {
    let mut section = match metadata {
        None => Map::new(),
        Some(Value::Object(section)) => section.clone(),
        // Not a mapping: CloudFormation refuses it anyway.
        Some(_) => return None,
    };
    let mut entry = match section.get(ENTRY) {
        Some(Value::Object(entry)) => entry.clone(),
        _ => Map::new(),
    };
    let mut warnings = match entry.get(WARNINGS) {
        Some(Value::Array(listed)) => listed.clone(),
        _ => Vec::new(),
    };
    let listed = warnings.len();
    for warning in report.warnings() {
        let line = secrets.mask(&diagnostic_summary(warning)).into_owned();
        let line = Value::String(literal_substitutions(&line));
        if !warnings.contains(&line) {
            warnings.push(line);
        }
    }
    if warnings.len() == listed {
        return None;
    }
    entry.shift_remove(VERSION);
    entry.insert(WARNINGS.to_string(), Value::Array(warnings));
    let mut written = Map::with_capacity(entry.len() + 1);
    written.insert(VERSION.to_string(), json!(format!("v{}", crate::VERSION)));
    written.extend(entry);
    section.insert(ENTRY.to_string(), Value::Object(written));
    Some(Value::Object(section))
}

/// `text` with each `${...}` written `${!...}`, as Fn::Sub writes a literal
/// one: a warning may quote an `Fn::Sub` string of the template, and outside
/// Fn::Sub a `${...}` reads as a substitution left unresolved (cfn-lint's
/// E1029).
fn literal_substitutions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at + 2]);
        rest = &rest[at + 2..];
        if !rest.starts_with('!') {
            out.push('!');
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version() -> Value {
        json!(format!("v{}", crate::VERSION))
    }

    fn warning(report: &mut Report, id: &str, message: &str) {
        report.warn(Some(id), message.to_string());
    }

    #[test]
    fn warnings_are_written_with_the_version_and_nothing_else_changes() {
        let mut report = Report::default();
        let none = Secrets::default();
        assert_eq!(
            metadata_after(None, &report, &none),
            None,
            "no warning: nothing"
        );
        warning(&mut report, "F", "careful");
        assert_eq!(
            metadata_after(None, &report, &none),
            Some(json!({ENTRY: {VERSION: version(), WARNINGS: ["F: careful"]}}))
        );
        let theirs = json!({"AWS::CloudFormation::Interface": {"ParameterGroups": []}});
        let ours = metadata_after(Some(&theirs), &report, &none).unwrap();
        assert_eq!(
            ours,
            json!({"AWS::CloudFormation::Interface": {"ParameterGroups": []},
                ENTRY: {VERSION: version(), WARNINGS: ["F: careful"]}})
        );
        // A second run with the same warnings, or none: no change.
        assert_eq!(metadata_after(Some(&ours), &report, &none), None);
        assert_eq!(metadata_after(Some(&ours), &Report::default(), &none), None);
        assert_eq!(metadata_after(Some(&json!(["no"])), &report, &none), None);
    }

    #[test]
    fn new_warnings_come_after_those_listed_and_the_other_keys_stay() {
        let listed =
            json!({ENTRY: {VERSION: "v0.0.1", "Added": {"F": ["Layers"]}, WARNINGS: ["F: old"]}});
        let mut report = Report::default();
        warning(&mut report, "F", "old");
        warning(&mut report, "G", "new");
        assert_eq!(
            metadata_after(Some(&listed), &report, &Secrets::default()),
            Some(
                json!({ENTRY: {VERSION: version(), "Added": {"F": ["Layers"]},
                WARNINGS: ["F: old", "G: new"]}})
            )
        );
    }

    #[test]
    fn substitutions_quoted_from_the_template_are_written_as_literals() {
        assert_eq!(
            literal_substitutions(
                "{\"Fn::Sub\":\"arn:${AWS::Partition}:iam::${!Kept}:role/${Name}\"}"
            ),
            "{\"Fn::Sub\":\"arn:${!AWS::Partition}:iam::${!Kept}:role/${!Name}\"}"
        );
        assert_eq!(
            literal_substitutions("no $ or {} here $"),
            "no $ or {} here $"
        );
    }

    #[test]
    fn secrets_are_masked() {
        let mut report = Report::default();
        warning(&mut report, "F", "the key 0123456789abcdef leaked");
        let mut secrets = Secrets::default();
        secrets.add("0123456789abcdef");
        assert_eq!(
            metadata_after(None, &report, &secrets),
            Some(json!({ENTRY: {VERSION: version(), WARNINGS: ["F: the key **** leaked"]}}))
        );
    }
}
