//! The view of one function the passes work on: its runtime family,
//! architecture and package type resolved once, its effective configuration,
//! and its properties, taken out of the template while the passes edit them
//! (their values parsed as the passes ask for them). When a pass fails the
//! transform fails (all or nothing, SPEC §12) and its answer is the template
//! as received.

use std::rc::Rc;

use serde_json::{Map, Value};

use crate::StackContext;
use crate::config::{Config, closest};
use crate::report::{Change, Report, ResourceReport};
use crate::template::intrinsics::{is_intrinsic, ref_target};
use crate::template::model::{Entries, PROPERTIES, Template};

/// `AWS::Lambda::Function`.
pub const LAMBDA_FUNCTION: &str = "AWS::Lambda::Function";
/// `AWS::Serverless::Function` (SAM).
pub const SERVERLESS_FUNCTION: &str = "AWS::Serverless::Function";
/// Both function types: what the passes instrument.
pub const FUNCTION_TYPES: &[&str] = &[LAMBDA_FUNCTION, SERVERLESS_FUNCTION];

/// The language family of a runtime: decides the library layer and handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeFamily {
    /// python2.7, python3.6 – python3.14.
    Python,
    /// nodejs8.10, nodejs10.x – nodejs24.x (even majors).
    Node,
    /// java8, java8.al2, java11, java17, java21, java25.
    Java,
    /// dotnet6, dotnet8, dotnet10.
    Dotnet,
    /// ruby2.7, ruby3.2, ruby3.3, ruby3.4, ruby4.0.
    Ruby,
    /// provided.al2, provided.al2023: extension only.
    Custom,
    /// Anything else: environment and extension only.
    Unsupported,
}

impl RuntimeFamily {
    /// The family of a runtime identifier (SPEC §3 table).
    pub fn of(runtime: &str) -> RuntimeFamily {
        if runtime == "python2.7" {
            return RuntimeFamily::Python;
        }
        if let Some(minor) = runtime
            .strip_prefix("python3.")
            .and_then(|m| m.parse::<u32>().ok())
        {
            return if (6..=14).contains(&minor) {
                RuntimeFamily::Python
            } else {
                RuntimeFamily::Unsupported
            };
        }
        if let Some(major) = runtime
            .strip_prefix("nodejs")
            .and_then(|r| r.strip_suffix(".x"))
            .and_then(|m| m.parse::<u32>().ok())
        {
            return if (10..=24).contains(&major) && major % 2 == 0 {
                RuntimeFamily::Node
            } else {
                RuntimeFamily::Unsupported
            };
        }
        match runtime {
            "java8" | "java8.al2" | "java11" | "java17" | "java21" | "java25" => {
                RuntimeFamily::Java
            }
            "dotnet6" | "dotnet8" | "dotnet10" => RuntimeFamily::Dotnet,
            // Node.js 8 was `nodejs8.10`, not `nodejs8.x`.
            "nodejs8.10" => RuntimeFamily::Node,
            "ruby2.7" | "ruby3.2" | "ruby3.3" | "ruby3.4" | "ruby4.0" => RuntimeFamily::Ruby,
            "provided.al2" | "provided.al2023" => RuntimeFamily::Custom,
            _ => RuntimeFamily::Unsupported,
        }
    }

    /// The name users read in messages ("Python", "Node.js"...).
    pub fn display_name(self) -> &'static str {
        match self {
            RuntimeFamily::Python => "Python",
            RuntimeFamily::Node => "Node.js",
            RuntimeFamily::Java => "Java",
            RuntimeFamily::Dotnet => ".NET",
            RuntimeFamily::Ruby => "Ruby",
            RuntimeFamily::Custom => "custom",
            RuntimeFamily::Unsupported => "unsupported",
        }
    }
}

/// Every runtime identifier Lambda knows, current and deprecated (the
/// `Runtime` enum of the Lambda API, botocore 1.43.127): a `Runtime` not
/// listed is a typo, warned of with the closest listed one.
pub const LAMBDA_RUNTIMES: &[&str] = &[
    "nodejs",
    "nodejs4.3",
    "nodejs4.3-edge",
    "nodejs6.10",
    "nodejs8.10",
    "nodejs10.x",
    "nodejs12.x",
    "nodejs14.x",
    "nodejs16.x",
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "nodejs26.x",
    "java8",
    "java8.al2",
    "java8.al2023",
    "java11",
    "java11.al2023",
    "java17",
    "java17.al2023",
    "java21",
    "java25",
    "python2.7",
    "python3.6",
    "python3.7",
    "python3.8",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "python3.15",
    "dotnetcore1.0",
    "dotnetcore2.0",
    "dotnetcore2.1",
    "dotnetcore3.1",
    "dotnet6",
    "dotnet8",
    "dotnet10",
    "go1.x",
    "ruby2.5",
    "ruby2.7",
    "ruby3.2",
    "ruby3.3",
    "ruby3.4",
    "ruby4.0",
    "provided",
    "provided.al2",
    "provided.al2023",
];

/// The instruction set of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// The default.
    X86_64,
    /// Graviton: selects the `-ARM` layers.
    Arm64,
}

/// Which resource type the function is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionKind {
    /// `AWS::Lambda::Function`: tags as a list, `TracingConfig`.
    Lambda,
    /// `AWS::Serverless::Function`: tags as a map, `Tracing`, `Globals`.
    Serverless,
}

impl FunctionKind {
    /// The resource type string.
    pub fn resource_type(self) -> &'static str {
        match self {
            FunctionKind::Lambda => LAMBDA_FUNCTION,
            FunctionKind::Serverless => SERVERLESS_FUNCTION,
        }
    }
}

/// The `Type` of a resource.
pub fn resource_type<'r>(resource: &'r Entries<'_>) -> Option<&'r str> {
    resource.str("Type")
}

/// One function being instrumented: what was resolved about it, its
/// effective configuration, and its `Properties`, taken out of the template
/// while the passes edit them (see [`view`] and [`FunctionEdit::restore`]).
#[derive(Debug, Clone)]
pub struct FunctionEdit<'a> {
    /// Logical id.
    pub id: String,
    /// Resource type written.
    pub kind: FunctionKind,
    /// The runtime identifier, when the function has one.
    pub runtime: Option<String>,
    /// Its family.
    pub family: RuntimeFamily,
    /// Its architecture.
    pub arch: Architecture,
    /// `PackageType: Image`.
    pub is_image: bool,
    /// Parameters after the function's own `Metadata.Datadog.Parameters`
    /// (shared: most functions use the global configuration).
    pub config: Rc<Config>,
    /// The function's `Properties`, edited by the passes.
    pub props: Entries<'a>,
    /// For SAM: `Globals.Function`, whose values count as the user's
    /// (shared by every function of the template).
    pub globals: Rc<Map<String, Value>>,
    /// What this function's passes did and found (errors make it all or nothing).
    pub report: Report,
    /// IAM statements to grant to roles once the function succeeded.
    pub grants: Vec<crate::lambda::iam::Grant>,
    /// Whether the function had a `Properties` mapping (taken into `props`).
    had_properties: bool,
}

impl<'a> FunctionEdit<'a> {
    /// Puts the (edited) properties back into the function they were taken
    /// from, and returns what its passes did. A function without
    /// `Properties` gets them only when a pass added one.
    pub fn restore(self, template: &mut Template<'a>) -> Report {
        if let Some(resource) = template.resource_mut(&self.id)
            && (self.had_properties || !self.props.is_empty())
        {
            resource.put_mapping(PROPERTIES, self.props);
        }
        self.report
    }
}

impl FunctionEdit<'_> {
    /// The resource type string.
    pub fn resource_type(&self) -> &'static str {
        self.kind.resource_type()
    }

    /// A property of the function, or (SAM) inherited from `Globals.Function`.
    pub fn inherited(&self, key: &str) -> Option<&Value> {
        self.props.get(key).or_else(|| self.globals.get(key))
    }

    /// Records a change to this function.
    pub fn change(&mut self, change: Change) {
        let ty = self.resource_type();
        record(&mut self.report, &self.id, ty, change);
    }

    /// Records the change `change` builds, unless the report would not keep
    /// it (a summary that has this function's first change already).
    pub fn change_with(&mut self, change: impl FnOnce() -> Change) {
        if self.report.wants_change(&self.id) {
            self.change(change());
        }
    }

    /// Records an error about this function: it will be left untouched.
    pub fn error(&mut self, message: impl Into<String>) {
        let id = self.id.clone();
        self.report.error(Some(&id), message);
    }

    /// Records a warning about this function.
    pub fn warn(&mut self, message: impl Into<String>) {
        let id = self.id.clone();
        self.report.warn(Some(&id), message);
    }
}

/// Records a change in a function's own report (which holds only that function).
pub(crate) fn record(report: &mut Report, id: &str, resource_type: &'static str, change: Change) {
    let detail = report.detail;
    match report.resources.last_mut() {
        Some(last) if last.logical_id == id => last.push(change, detail),
        Some(_) => report.change(id, resource_type, change),
        None => report.resources.push(ResourceReport {
            logical_id: id.to_string(),
            resource_type: resource_type.to_string(),
            changes: vec![change],
        }),
    }
}

/// Resolves a property that may be `{"Ref": Parameter}` to a literal string:
/// from `templateParameterValues`, then the parameter's `Default`.
pub fn resolve_text(
    value: &Value,
    template: &Template<'_>,
    context: &StackContext<'_>,
) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        other => {
            let target = ref_target(other)?;
            let resolved = context
                .template_parameter_values
                .get(target)
                .or_else(|| template.section("Parameters")?.get(target)?.get("Default"))?;
            match resolved {
                Value::String(s) => Some(s.clone()),
                // A CommaDelimitedList value arrives as a list.
                Value::Array(items) if items.len() == 1 => items[0].as_str().map(str::to_string),
                _ => None,
            }
        }
    }
}

/// What stops a function from being viewed, as a message naming the fix.
fn unresolvable(id: &str, what: &str, value: &Value) -> String {
    let form = if is_intrinsic(value) {
        "an intrinsic function that cannot be resolved at transform time"
    } else {
        "not a string"
    };
    format!(
        "Resource {id} has a {what} that is {form}, so it cannot be instrumented; it was left unchanged. \
         Write its {what} as a literal or a Ref to a template parameter with a value, or add {id} to the `exclude` parameter."
    )
}

/// A function's `Properties`, taken out of it for its passes.
#[derive(Debug)]
pub enum Properties<'a> {
    /// A mapping.
    Mapping(Entries<'a>),
    /// None.
    Missing,
    /// Something else (an intrinsic?), left in place.
    NotAMapping,
}

/// Takes a function's `Properties` out of it (no copy: an empty mapping
/// stands in until [`FunctionEdit::restore`] puts them back).
pub fn take_properties<'a>(resource: &mut Entries<'a>) -> Properties<'a> {
    match resource.take_mapping(PROPERTIES) {
        Some(props) => Properties::Mapping(props),
        None if resource.contains_key(PROPERTIES) => Properties::NotAMapping,
        None => Properties::Missing,
    }
}

/// Builds the view of function `id` from its `properties`, recording in
/// its report why it cannot be instrumented, if it cannot (the message
/// names the function and the fix).
pub fn view<'a>(
    id: &str,
    properties: Properties<'a>,
    kind: FunctionKind,
    globals: Rc<Map<String, Value>>,
    config: Rc<Config>,
    template: &Template<'_>,
    context: &StackContext<'_>,
) -> FunctionEdit<'a> {
    let not_a_mapping = matches!(properties, Properties::NotAMapping);
    let (props, had_properties) = match properties {
        Properties::Mapping(props) => (props, true),
        _ => (Entries::default(), false),
    };
    let mut edit = FunctionEdit {
        id: id.to_string(),
        kind,
        runtime: None,
        family: RuntimeFamily::Unsupported,
        arch: Architecture::X86_64,
        is_image: false,
        config,
        props,
        globals,
        report: Report::default(),
        grants: Vec::new(),
        had_properties,
    };
    if not_a_mapping {
        edit.error(format!(
            "Resource {id} has Properties that are not a mapping (an intrinsic?), so it cannot be instrumented; add it to the `exclude` parameter."
        ));
        return edit;
    }
    edit.is_image = match edit.inherited("PackageType").cloned() {
        None => false,
        Some(v) => match resolve_text(&v, template, context) {
            Some(t) => t.eq_ignore_ascii_case("Image"),
            None => {
                let message = unresolvable(id, "PackageType", &v);
                edit.error(message);
                return edit;
            }
        },
    };
    match edit.inherited("Runtime").cloned() {
        Some(v) => match resolve_text(&v, template, context) {
            Some(runtime) => {
                edit.family = RuntimeFamily::of(&runtime);
                edit.runtime = Some(runtime);
            }
            None => {
                let message = unresolvable(id, "Runtime", &v);
                edit.error(message);
                return edit;
            }
        },
        None if !edit.is_image => {
            edit.error(format!(
                "Resource {id} has no Runtime (and is not a container image), so its Datadog layer cannot be chosen; it was left unchanged. Set its Runtime, or add {id} to the `exclude` parameter."
            ));
            return edit;
        }
        None => {}
    }
    note_runtime(&mut edit);
    if let Some(archs) = edit.inherited("Architectures").cloned() {
        let first = match &archs {
            Value::Array(items) => items.first().cloned(),
            other => Some(other.clone()),
        };
        if let Some(first) = first {
            match resolve_text(&first, template, context) {
                Some(a) if a == "arm64" => edit.arch = Architecture::Arm64,
                Some(a) if a == "x86_64" => {}
                Some(a) => {
                    edit.error(format!(
                        "Resource {id} has the architecture \"{a}\"; Lambda knows x86_64 and arm64. Fix Architectures, or add {id} to the `exclude` parameter."
                    ));
                }
                None => {
                    let message = unresolvable(id, "Architectures", &first);
                    edit.error(message);
                }
            }
        }
    }
    edit
}

/// What a runtime without a Datadog library means for the function, in
/// its report (no library layer, no Datadog handler; the environment, the
/// Extension when it is on and `customHandler` still apply); and when Lambda does not know
/// the runtime at all (`pyhton3.12`), a warning naming the closest it knows.
fn note_runtime(edit: &mut FunctionEdit) {
    let Some(runtime) = edit.runtime.clone() else {
        return;
    };
    if !matches!(
        edit.family,
        RuntimeFamily::Custom | RuntimeFamily::Unsupported
    ) {
        return;
    }
    if !LAMBDA_RUNTIMES.contains(&runtime.as_str()) {
        let hint = match closest(&runtime, LAMBDA_RUNTIMES.iter().copied()) {
            Some(meant) => format!("did you mean {meant}?"),
            None => "see the runtimes Lambda lists.".to_string(),
        };
        edit.warn(format!(
            "Resource {} has the Runtime \"{runtime}\", which is not a Lambda runtime; {hint} Until it is corrected, the function gets no Datadog library layer and its handler is not redirected.",
            edit.id
        ));
    }
    let custom = edit.config.redirect_handlers && edit.config.custom_handler.is_some();
    let handler = if custom {
        ""
    } else {
        ", handler not redirected"
    };
    edit.change(Change::Skipped {
        reason: format!("{runtime} has no Datadog library: no library layer{handler}"),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn runtime_families() {
        use RuntimeFamily::*;
        let table = [
            ("python2.7", Python),
            ("python3.6", Python),
            ("python3.14", Python),
            ("python3.15", Unsupported),
            ("nodejs8.10", Node),
            ("nodejs10.x", Node),
            ("nodejs24.x", Node),
            ("nodejs19.x", Unsupported),
            ("nodejs26.x", Unsupported),
            ("java8", Java),
            ("java8.al2", Java),
            ("java25", Java),
            ("dotnet6", Dotnet),
            ("dotnet10", Dotnet),
            ("ruby2.7", Ruby),
            ("ruby4.0", Ruby),
            ("provided.al2", Custom),
            ("provided.al2023", Custom),
            ("provided", Unsupported),
            ("go1.x", Unsupported),
        ];
        for (runtime, family) in table {
            assert_eq!(RuntimeFamily::of(runtime), family, "{runtime}");
            assert!(
                family == Unsupported || LAMBDA_RUNTIMES.contains(&runtime),
                "{runtime} has a Datadog library but is not in LAMBDA_RUNTIMES"
            );
        }
    }

    #[test]
    fn a_runtime_lambda_does_not_know_is_a_warning_naming_the_closest() {
        let template = |runtime: &str| {
            json!({"Resources": {"F": {"Type": "AWS::Lambda::Function",
                "Properties": {"Runtime": runtime, "Handler": "app.handler"}}}})
        };
        let cases = [
            ("pyhton3.12", Some("did you mean python3.12?")),
            ("Python3.12", Some("did you mean python3.12?")),
            ("nodejs22", Some("did you mean nodejs22.x?")),
            ("cobol", Some("see the runtimes Lambda lists.")),
            ("go1.x", None),
            ("provided.al2023", None),
            ("python3.15", None),
        ];
        for (runtime, hint) in cases {
            let out = crate::dry_run::in_us_east_1(&template(runtime));
            let warnings = out.messages(crate::report::Severity::Warning);
            match hint {
                Some(hint) => assert_eq!(
                    warnings,
                    [format!(
                        "Resource F has the Runtime \"{runtime}\", which is not a Lambda runtime; {hint} Until it is corrected, the function gets no Datadog library layer and its handler is not redirected."
                    )]
                ),
                None => assert!(warnings.is_empty(), "{runtime}: {warnings:?}"),
            }
            // Known or not, the report says what a runtime without a
            // library gets; the function keeps its handler and has no layer.
            let skipped = Change::Skipped {
                reason: format!(
                    "{runtime} has no Datadog library: no library layer, handler not redirected"
                ),
            };
            assert!(
                out.report.resources[0].changes.contains(&skipped),
                "{runtime}: {:?}",
                out.report.resources
            );
            let props = &out.output.as_ref().unwrap()["Resources"]["F"]["Properties"];
            assert_eq!(props["Handler"], "app.handler");
            assert!(props.get("Layers").is_none());
        }
    }

    #[test]
    fn resolves_runtime_through_parameters() {
        let template = Template::from_value(json!({
            "Parameters": {"Rt": {"Type": "String", "Default": "python3.9"}, "Arch": {"Type": "String"}},
            "Resources": {
                "F": {"Properties": {"Runtime": {"Ref": "Rt"}, "Architectures": [{"Ref": "Arch"}]}},
                "G": {"Properties": {"Runtime": {"Fn::FindInMap": ["M", "a", "b"]}}}
            }
        }));
        let values = json!({"Arch": "arm64"});
        let ctx = StackContext {
            region: "us-east-1",
            account_id: "1",
            template_parameter_values: values.as_object().unwrap(),
        };
        let mut report = Report::default();
        let config = Config::build(
            crate::config::ConfigInputs {
                params: &Map::new(),
                template: &Template::default(),
                environment: &Default::default(),
            },
            &mut report,
        );
        let config = Rc::new(config);
        let view_of = |id: &str| {
            let mut resource = template.resource(id).unwrap().clone();
            view(
                id,
                take_properties(&mut resource),
                FunctionKind::Lambda,
                Rc::default(),
                config.clone(),
                &template,
                &ctx,
            )
        };
        let v = view_of("F");
        assert_eq!(v.family, RuntimeFamily::Python);
        assert_eq!(v.arch, Architecture::Arm64);
        assert!(!v.report.has_errors());
        let v = view_of("G");
        let e = v.report.errors().next().unwrap().message.clone();
        assert!(
            e.starts_with("Resource G has a Runtime that is an intrinsic function"),
            "{e}"
        );
        assert!(e.contains("`exclude`"));
    }
}
