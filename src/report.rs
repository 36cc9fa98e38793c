//! What a transform did and what it noticed: diagnostics (errors and
//! warnings, each naming its resource) and, per resource, the changes made.
//!
//! Passes push into one [`Report`]; the macro turns its errors into a
//! `failure` and logs its warnings, the dry run prints all of it.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

use crate::config::{Param, Source};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The transform fails.
    Error,
    /// The transform succeeds, but the user should know.
    Warning,
}

impl Severity {
    /// Its name (`error`, `warning`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem or remark, naming the resource (or parameter) it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The logical id of the resource concerned, when there is one.
    pub resource: Option<String>,
    /// A full sentence saying what is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// One change made to a resource, or why it was left alone.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A layer was appended to `Layers`.
    LayerAdded {
        /// The layer ARN.
        arn: String,
        /// Where its version or ARN came from (`parameter pythonLayerVersion`, `default`...).
        source: Origin,
        /// The same, in one word.
        version_from: VersionFrom,
    },
    /// Another version of the same Datadog layer was replaced (a parameter
    /// gave the version or ARN).
    LayerReplaced {
        /// The ARN removed.
        old: String,
        /// The ARN put in its place.
        new: String,
        /// Where the new version or ARN came from.
        source: Origin,
    },
    /// The template already pins a version of this Datadog layer, and no
    /// parameter gave one: the bundled default does not replace it.
    LayerKept {
        /// The ARN kept.
        arn: String,
        /// The parameter that would replace it.
        param: Param,
    },
    /// The handler now points at the Datadog wrapper (or `customHandler`).
    HandlerRedirected {
        /// The user's handler, now in `DD_LAMBDA_HANDLER`.
        from: Value,
        /// The Datadog handler, or the custom one.
        to: Cow<'static, str>,
        /// The parameter that chose `to`, when one did (`customHandler`);
        /// `None` for Datadog's handler of the function's runtime.
        source: Option<Origin>,
    },
    /// An environment variable was added (or, for `DD_LOG_LEVEL`, replaced).
    EnvSet {
        /// The variable.
        name: Cow<'static, str>,
        /// Its value, or `None` when it holds a secret.
        value: Option<Value>,
        /// Which parameter or rule set it.
        source: Origin,
    },
    /// The user already set this variable; their value was kept.
    EnvKept {
        /// The variable.
        name: Cow<'static, str>,
    },
    /// A tag was added.
    TagAdded {
        /// Tag key.
        key: String,
        /// Tag value.
        value: Value,
    },
    /// A property was set (e.g. `TracingConfig`, `LoggingConfiguration`).
    PropertySet {
        /// The property path, dotted.
        property: String,
        /// The value written.
        value: Value,
    },
    /// An IAM statement was granted.
    IamStatement {
        /// The role's logical id.
        role: String,
        /// The actions allowed.
        actions: Vec<String>,
        /// The resources they apply to.
        resources: Vec<Value>,
    },
    /// An IAM statement denying actions was added for a role (in a policy
    /// of its own: `disableCloudWatchLogs`).
    IamDenied {
        /// The role's logical id.
        role: String,
        /// The actions denied.
        actions: Vec<String>,
        /// The resources they are denied on.
        resources: Vec<Value>,
        /// The parameter that asked for it.
        source: Origin,
    },
    /// A definition state was changed to carry the trace context.
    DefinitionEdited {
        /// The state's name.
        state: String,
        /// What was injected.
        detail: String,
    },
    /// The transform added this resource.
    ResourceAdded {
        /// Its logical id.
        logical_id: String,
        /// Its type.
        resource_type: String,
        /// The parameter that asked for it and what for, when one did
        /// beyond the pass's own (`subscribeToExecutionLogs ...: execution
        /// logs of stage ApiProdStage`); `None` for a function's or state
        /// machine's own log group, filter and role.
        source: Option<Origin>,
    },
    /// The resource was left alone, and why.
    Skipped {
        /// Why (excluded, unsupported runtime...).
        reason: String,
    },
}

/// Where a layer's version came from, in one word (the JSON report's
/// `versionFrom`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionFrom {
    /// A parameter gave the version, or the whole ARN.
    Parameter,
    /// No parameter did: the bundled default, the newest version Datadog
    /// publishes of the layer in the stack's region.
    BundledDefault,
    /// No parameter did, and Datadog stopped building the runtime's layer
    /// below the bundled default: its last version.
    RuntimeLast,
}

/// Where a change's value came from, as the report shows it. Kept in parts
/// and written out only when the report is shown, so recording a change
/// costs no formatting; it compares and prints as its text.
#[derive(Clone)]
pub enum Origin {
    /// A fixed sentence (`the function's handler`...).
    Text(Cow<'static, str>),
    /// A parameter and where its value came from: `site (transform
    /// parameter)`, or only `site` when it has no recorded source.
    Parameter(Param, Option<Source>),
    /// A layer parameter: `parameter pythonLayerVersion (transform
    /// parameter)`, `(unset)` when it has no recorded source.
    LayerParameter(Param, Option<Source>),
    /// A bundled layer version: `bundled default pythonLayerVersion=127`.
    BundledDefault(Param, u64),
    /// A retired runtime's last layer version, in place of the bundled
    /// default (its parameter and version, the runtime): `python3.7's last
    /// version (the bundled default pythonLayerVersion=127 does not exist for it)`.
    RuntimeLast(Param, u64, &'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Text(text) => f.write_str(text),
            Origin::Parameter(name, None) => f.write_str(name.name()),
            Origin::Parameter(name, Some(source)) => write!(f, "{name} ({source})"),
            Origin::LayerParameter(name, None) => write!(f, "parameter {name} (unset)"),
            Origin::LayerParameter(name, Some(source)) => write!(f, "parameter {name} ({source})"),
            Origin::BundledDefault(name, version) => write!(f, "bundled default {name}={version}"),
            Origin::RuntimeLast(name, version, runtime) => write!(
                f,
                "{runtime}'s last version (the bundled default {name}={version} does not exist for it)"
            ),
        }
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

impl PartialEq for Origin {
    fn eq(&self, other: &Origin) -> bool {
        self.to_string() == other.to_string()
    }
}

impl From<&'static str> for Origin {
    fn from(text: &'static str) -> Origin {
        Origin::Text(Cow::Borrowed(text))
    }
}

impl From<String> for Origin {
    fn from(text: String) -> Origin {
        Origin::Text(Cow::Owned(text))
    }
}

/// How much of the changes a report keeps (diagnostics are always kept).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Detail {
    /// Every change, with its values: what dry runs show.
    #[default]
    Full,
    /// Per resource, its first change and its first skip: what the macro's
    /// log summary reads (instrumented, or skipped only), without the cost
    /// of keeping thousands of changes for a large template.
    Summary,
}

/// The changes made to one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceReport {
    /// Its logical id.
    pub logical_id: String,
    /// Its `Type`.
    pub resource_type: String,
    /// The changes, in the order they were made.
    pub changes: Vec<Change>,
}

impl ResourceReport {
    /// Adds a change, when the report keeps it (see `keeps`).
    pub fn push(&mut self, change: Change, detail: Detail) {
        if self.keeps(matches!(change, Change::Skipped { .. }), detail) {
            self.changes.push(change);
        }
    }

    /// Whether a change (`skip`: a skip) would be kept: always with full
    /// detail; in a summary, only the resource's first of its kind (a skip,
    /// or anything else).
    fn keeps(&self, skip: bool, detail: Detail) -> bool {
        detail == Detail::Full
            || !self
                .changes
                .iter()
                .any(|c| matches!(c, Change::Skipped { .. }) == skip)
    }
}

/// Everything a transform did and noticed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Per resource, in the order first touched.
    pub resources: Vec<ResourceReport>,
    /// Errors and warnings, in the order found.
    pub diagnostics: Vec<Diagnostic>,
    /// Bundled defaults used in place of parameters (`pythonLayerVersion=127`).
    pub defaults_used: Vec<String>,
    /// Remarks on the whole run that are neither warnings nor errors
    /// (`python3.7: Datadog's last Python 3.7 layer is 85`), each once.
    pub notes: Vec<String>,
    /// How much of the changes it keeps.
    pub detail: Detail,
    /// Which warnings fail the transform (the `strict` parameter).
    strict: Strictness,
    /// Where each resource is in `resources`.
    positions: Positions,
}

/// Where the `strict` parameter is true: for the template (its warnings
/// about no resource, and about every resource without its own setting),
/// and per resource that sets it in its `Metadata.Datadog.Parameters`.
#[derive(Debug, Clone, Default, PartialEq)]
struct Strictness {
    template: bool,
    resources: Vec<(String, bool)>,
}

impl Strictness {
    /// Whether a warning about `resource` fails the transform.
    fn applies_to(&self, resource: Option<&str>) -> bool {
        resource
            .and_then(|id| self.resources.iter().find(|(r, _)| r == id))
            .map_or(self.template, |(_, strict)| *strict)
    }
}

/// Where each resource's report is in [`Report::resources`], so that
/// recording a change costs the same however many resources the report
/// holds (the Forwarder pass records changes to resources far back, and
/// to new ones, for each of hundreds of functions: 15% fewer instructions
/// on sam-500 than a search from the end, 169 M to 144 M). Reports are only
/// appended to, or emptied, from outside: what was appended since is
/// indexed when next looked up, and the whole rebuilt when they shrank.
/// Two reports are equal whatever their positions hold.
#[derive(Debug, Clone, Default)]
struct Positions {
    of: foldhash::HashMap<String, usize>,
    indexed: usize,
}

impl PartialEq for Positions {
    fn eq(&self, _: &Positions) -> bool {
        true
    }
}

impl Positions {
    /// The position of `logical_id` in `resources` (the last one, when two
    /// have it).
    fn find(&mut self, resources: &[ResourceReport], logical_id: &str) -> Option<usize> {
        if self.indexed > resources.len() {
            *self = Positions::default();
        }
        for (at, r) in resources.iter().enumerate().skip(self.indexed) {
            self.of.insert(r.logical_id.clone(), at);
        }
        self.indexed = resources.len();
        let at = *self.of.get(logical_id)?;
        if resources[at].logical_id == logical_id {
            return Some(at);
        }
        // Changed in place from outside: look it up the slow way.
        *self = Positions::default();
        resources.iter().rposition(|r| r.logical_id == logical_id)
    }
}

impl Report {
    /// An empty report keeping `detail` of the changes.
    pub fn with_detail(detail: Detail) -> Report {
        Report {
            detail,
            ..Report::default()
        }
    }

    /// Records an error about a resource (or about the parameters when `None`).
    pub fn error(&mut self, resource: Option<&str>, message: impl Into<String>) {
        self.push(Severity::Error, resource, message.into());
    }

    /// Records a warning about a resource (or about the parameters when `None`).
    pub fn warn(&mut self, resource: Option<&str>, message: impl Into<String>) {
        self.push(Severity::Warning, resource, message.into());
    }

    fn push(&mut self, severity: Severity, resource: Option<&str>, message: String) {
        let diagnostic = Diagnostic {
            severity,
            resource: resource.map(str::to_string),
            message,
        };
        if !self.diagnostics.contains(&diagnostic) {
            self.diagnostics.push(diagnostic);
        }
    }

    /// Records a change to a resource.
    pub fn change(&mut self, logical_id: &str, resource_type: &str, change: Change) {
        let detail = self.detail;
        match self.resource_mut(logical_id) {
            Some(r) => r.push(change, detail),
            None => self.resources.push(ResourceReport {
                logical_id: logical_id.to_string(),
                resource_type: resource_type.to_string(),
                changes: vec![change],
            }),
        }
    }

    /// Whether a change (other than a skip) to resource `id` would be kept:
    /// always with full detail; in a summary, only the resource's first.
    /// Passes ask before building a change that costs copies.
    pub fn wants_change(&self, logical_id: &str) -> bool {
        self.detail == Detail::Full
            || self
                .resources
                .iter()
                .rev()
                .find(|r| r.logical_id == logical_id)
                .is_none_or(|r| r.keeps(false, self.detail))
    }

    /// The report of a resource already touched.
    fn resource_mut(&mut self, logical_id: &str) -> Option<&mut ResourceReport> {
        let at = self.positions.find(&self.resources, logical_id)?;
        self.resources.get_mut(at)
    }

    /// Records that a bundled default was used.
    pub fn default_used(&mut self, what: String) {
        if !self.defaults_used.contains(&what) {
            self.defaults_used.push(what);
        }
    }

    /// Records a remark on the run (kept once).
    pub fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// The errors, in order.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    /// The warnings, in order.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }

    /// Whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// Sets whether warnings fail the transform: the template's `strict`.
    pub fn set_strict(&mut self, strict: bool) {
        self.strict.template = strict;
    }

    /// Sets whether warnings about resource `id` fail the transform: its
    /// own `strict`, over the template's.
    pub fn set_strict_for(&mut self, id: &str, strict: bool) {
        if !self.strict.resources.iter().any(|(r, _)| r == id) {
            self.strict.resources.push((id.to_string(), strict));
        }
    }

    /// Whether `strict` is set for the template.
    pub fn is_strict(&self) -> bool {
        self.strict.template
    }

    /// The warnings that fail the transform, because `strict` is set for
    /// the template or for the resource they are about, in order.
    pub fn strict_warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.warnings()
            .filter(|w| self.strict.applies_to(w.resource.as_deref()))
    }

    /// Whether the transform fails: an error, or a warning under `strict`.
    pub fn fails(&self) -> bool {
        self.has_errors() || self.strict_warnings().next().is_some()
    }

    /// [`Report::merge`] of a report whose resources have no changes here
    /// yet (a function's own report, merged once): appended without
    /// searching this report for them.
    pub fn merge_new(&mut self, mut other: Report) {
        debug_assert!(
            other.resources.iter().all(|r| self
                .resources
                .iter()
                .all(|mine| mine.logical_id != r.logical_id)),
            "merge_new of a resource already reported"
        );
        let resources = std::mem::take(&mut other.resources);
        self.resources
            .extend(resources.into_iter().filter(|r| !r.changes.is_empty()));
        // What is left, its diagnostics and defaults, merges as usual.
        self.merge(other);
    }

    /// Appends another report's contents (used when a pass works on a copy).
    pub fn merge(&mut self, other: Report) {
        for r in other.resources {
            if r.changes.is_empty() {
                continue;
            }
            let detail = self.detail;
            match self.resource_mut(&r.logical_id) {
                Some(existing) => r.changes.into_iter().for_each(|c| existing.push(c, detail)),
                None => self.resources.push(r),
            }
        }
        for d in other.diagnostics {
            self.push(d.severity, d.resource.as_deref(), d.message);
        }
        for d in other.defaults_used {
            self.default_used(d);
        }
        for note in other.notes {
            self.note(note);
        }
        for (id, strict) in other.strict.resources {
            self.set_strict_for(&id, strict);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_keeps_each_resource_first_change_and_first_skip() {
        let mut r = Report::with_detail(Detail::Summary);
        let kept = |name: &str| Change::EnvKept {
            name: name.to_string().into(),
        };
        let skipped = || Change::Skipped {
            reason: "excluded".into(),
        };
        assert!(r.wants_change("F"));
        r.change("F", "AWS::Lambda::Function", kept("A"));
        assert!(!r.wants_change("F"), "F has its first change");
        assert!(Report::default().wants_change("F"), "full detail wants all");
        r.change("F", "AWS::Lambda::Function", skipped());
        r.change("F", "AWS::Lambda::Function", kept("B"));
        r.change("G", "AWS::Lambda::Function", skipped());
        r.change("G", "AWS::Lambda::Function", skipped());
        assert!(r.wants_change("G"), "a skip is not a change");
        let mut other = Report::default();
        other.change("F", "AWS::Lambda::Function", kept("C"));
        other.change("H", "AWS::Lambda::Function", kept("D"));
        r.merge(other);
        r.warn(Some("F"), "w");
        let changes = |id: &str| {
            r.resources
                .iter()
                .find(|res| res.logical_id == id)
                .map(|res| res.changes.clone())
                .unwrap()
        };
        assert_eq!(changes("F"), [kept("A"), skipped()]);
        assert_eq!(changes("G"), [skipped()]);
        assert_eq!(changes("H"), [kept("D")]);
        assert_eq!(r.warnings().count(), 1);
    }

    #[test]
    fn strict_fails_on_the_warnings_it_applies_to() {
        let mut r = Report::default();
        r.warn(None, "template-wide");
        r.warn(Some("F"), "about F");
        r.warn(Some("G"), "about G");
        assert!(!r.fails());
        r.set_strict_for("F", true);
        let strict: Vec<&str> = r.strict_warnings().map(|w| w.message.as_str()).collect();
        assert_eq!(strict, ["about F"]);
        r.set_strict(true);
        r.set_strict_for("G", false);
        let strict: Vec<&str> = r.strict_warnings().map(|w| w.message.as_str()).collect();
        assert_eq!(strict, ["template-wide", "about F"]);
        assert!(r.fails() && r.is_strict() && !r.has_errors());
    }

    #[test]
    fn groups_changes_by_resource_and_dedups_diagnostics() {
        let mut r = Report::default();
        r.change(
            "F",
            "AWS::Lambda::Function",
            Change::EnvKept { name: "A".into() },
        );
        r.change(
            "F",
            "AWS::Lambda::Function",
            Change::EnvKept { name: "B".into() },
        );
        r.warn(Some("F"), "w");
        r.warn(Some("F"), "w");
        r.error(None, "e");
        assert_eq!(r.resources.len(), 1);
        assert_eq!(r.resources[0].changes.len(), 2);
        assert_eq!(r.warnings().count(), 1);
        assert!(r.has_errors());
    }
}
