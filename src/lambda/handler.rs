//! Handler redirection (SPEC §5): the Datadog library wraps the user's
//! handler, which moves to `DD_LAMBDA_HANDLER`. Idempotent: a handler that is
//! already Datadog's is left with its `DD_LAMBDA_HANDLER`.
//!
//! `customHandler` (issue 17, the Serverless plugin's option) names a
//! wrapper of the user's own instead: every function with a handler gets
//! it, whatever its runtime, and a handler equal to it counts as redirected.

use std::borrow::Cow;

use serde_json::Value;

use super::env;
use super::function::{FunctionEdit, RuntimeFamily};
use crate::config::{ImageRuntime, Param};
use crate::report::{Change, Origin};
use crate::report_text::show;

/// The Python wrapper.
pub const PYTHON_HANDLER: &str = "datadog_lambda.handler.handler";
/// The Node.js wrapper from the layer.
pub const NODE_LAYER_HANDLER: &str = "/opt/nodejs/node_modules/datadog-lambda-js/handler.handler";
/// The Node.js wrapper bundled by the user (`addLayers: false`, images).
pub const NODE_BUNDLED_HANDLER: &str = "node_modules/datadog-lambda-js/dist/handler.handler";
/// The exec wrapper of the extension, for Java and .NET.
pub const EXEC_WRAPPER: &str = "/opt/datadog_wrapper";

/// Whether a handler is one of Datadog's wrappers.
pub fn is_datadog_handler(handler: &str) -> bool {
    [PYTHON_HANDLER, NODE_LAYER_HANDLER, NODE_BUNDLED_HANDLER].contains(&handler)
}

/// The handler a function is redirected to, and the parameter that chose
/// it (none for Datadog's own).
struct Target {
    handler: Value,
    /// The handler as the report shows it.
    shown: Cow<'static, str>,
    source: Option<Origin>,
}

impl Target {
    /// Datadog's wrapper `handler`.
    fn datadog(handler: &'static str) -> Target {
        Target {
            handler: Value::String(handler.into()),
            shown: Cow::Borrowed(handler),
            source: None,
        }
    }

    /// `customHandler`, when the function's configuration sets it.
    fn custom(edit: &FunctionEdit) -> Option<Target> {
        let handler = edit.config.custom_handler.clone()?;
        let source = env::source_of(&edit.config, Param::custom_handler);
        Some(Target {
            shown: Cow::Owned(show(&handler)),
            handler,
            source: Some(source),
        })
    }

    /// What it is called in messages.
    fn described(&self) -> String {
        match self.source {
            Some(_) => format!("`customHandler` ({})", self.shown),
            None => "the Datadog handler".to_string(),
        }
    }
}

/// Redirects the function's handler (or an image's command) to Datadog's
/// wrapper, or to `customHandler`.
pub fn redirect(edit: &mut FunctionEdit) {
    if !edit.config.redirect_handlers {
        return;
    }
    if edit.is_image {
        redirect_image(edit);
        return;
    }
    let custom = Target::custom(edit);
    let target = match (custom, edit.family) {
        (custom, RuntimeFamily::Java | RuntimeFamily::Dotnet) => {
            if edit.config.extension_enabled() {
                env::set(
                    edit,
                    "AWS_LAMBDA_EXEC_WRAPPER",
                    Value::String(EXEC_WRAPPER.into()),
                    "the extension wraps Java and .NET functions",
                );
            }
            match custom {
                Some(custom) => custom,
                None => return,
            }
        }
        (Some(custom), _) => custom,
        (None, RuntimeFamily::Python) => Target::datadog(PYTHON_HANDLER),
        (None, RuntimeFamily::Node) if edit.config.add_layers => {
            Target::datadog(NODE_LAYER_HANDLER)
        }
        (None, RuntimeFamily::Node) => Target::datadog(NODE_BUNDLED_HANDLER),
        (None, RuntimeFamily::Ruby | RuntimeFamily::Custom | RuntimeFamily::Unsupported) => {
            if let Some(handler) = edit.inherited("Handler").cloned() {
                env::set(edit, "DD_LAMBDA_HANDLER", handler, Slot::Handler.source());
            }
            return;
        }
    };
    let Some(current) = edit.inherited("Handler").cloned() else {
        edit.warn(format!(
            "Resource {} has no Handler, so it was not redirected to {}; set its Handler to {} and DD_LAMBDA_HANDLER to your handler.",
            edit.id,
            target.described(),
            target.shown
        ));
        return;
    };
    Slot::Handler.redirect(edit, current, target);
}

/// Images: redirect through `ImageConfig.Command` to `customHandler`, or
/// to Datadog's wrapper when `imageRuntime` says the language; otherwise
/// warn what must be done by hand.
fn redirect_image(edit: &mut FunctionEdit) {
    let target = Target::custom(edit).or(match edit.config.image_runtime {
        Some(ImageRuntime::Python) => Some(Target::datadog(PYTHON_HANDLER)),
        Some(ImageRuntime::Node) => Some(Target::datadog(NODE_BUNDLED_HANDLER)),
        None => None,
    });
    let command = edit
        .props
        .get("ImageConfig")
        .and_then(|c| c.get("Command"))
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .cloned();
    let target = match (target, command) {
        (Some(target), Some(first)) => {
            Slot::ImageCommand.redirect(edit, first, target);
            return;
        }
        (target, _) => target,
    };
    let (why, to) = match target {
        None => (
            "its language is unknown (set `imageRuntime: python` or `node` in its Metadata.Datadog.Parameters)",
            "the Datadog handler".to_string(),
        ),
        Some(target) => (
            "it has no ImageConfig.Command to redirect",
            target.described(),
        ),
    };
    edit.warn(format!(
        "Resource {} is a container image and {why}: the image must contain the Datadog library and the extension (in /opt/extensions), and its command must be redirected to {to} by hand.",
        edit.id
    ));
    edit.change(Change::Skipped {
        reason: "container image: environment only, handler not redirected".to_string(),
    });
}

/// Where the user's handler is: a function's `Handler`, or the first element
/// of an image's `ImageConfig.Command`.
#[derive(Clone, Copy)]
enum Slot {
    Handler,
    ImageCommand,
}

impl Slot {
    /// The source named for `DD_LAMBDA_HANDLER` in the report.
    fn source(self) -> &'static str {
        match self {
            Slot::Handler => "the function's handler",
            Slot::ImageCommand => "the image's ImageConfig.Command",
        }
    }

    /// Points the slot, which holds `current`, at `target`: nothing when it
    /// is redirected already; a handler of Datadog's or the custom one
    /// written by an earlier run is replaced, its `DD_LAMBDA_HANDLER` kept
    /// (Datadog's handler of another kind, or a switch to `customHandler`);
    /// the user's own handler is wrapped.
    fn redirect(self, edit: &mut FunctionEdit, current: Value, target: Target) {
        if current == target.handler {
            return;
        }
        if current.as_str().is_some_and(is_datadog_handler) {
            self.point_to(edit, current, target);
            return;
        }
        self.wrap(edit, current, target);
    }

    /// Moves the user's handler `current` to `DD_LAMBDA_HANDLER` and puts
    /// `target` in its place; when the user already sets
    /// `DD_LAMBDA_HANDLER`, warns and leaves both alone.
    fn wrap(self, edit: &mut FunctionEdit, current: Value, target: Target) {
        if !env::set_new(edit, "DD_LAMBDA_HANDLER", current.clone(), self.source()) {
            let id = &edit.id;
            let warning = match self {
                Slot::Handler => format!(
                    "Resource {id} already sets DD_LAMBDA_HANDLER but its Handler is not Datadog's; the handler was left alone. Remove DD_LAMBDA_HANDLER, or set Handler to {}.",
                    target.shown
                ),
                Slot::ImageCommand => format!(
                    "Resource {id} already sets DD_LAMBDA_HANDLER but its command is not Datadog's; the command was left alone."
                ),
            };
            edit.warn(warning);
            return;
        }
        self.point_to(edit, current, target);
    }

    /// Writes `target` in the slot and reports the redirection from `from`.
    fn point_to(self, edit: &mut FunctionEdit, from: Value, target: Target) {
        let to = target.shown;
        let target_value = target.handler;
        match self {
            Slot::Handler => match edit.props.get_mut("Handler") {
                Some(handler) => *handler = target_value,
                None => {
                    edit.props.insert("Handler", target_value);
                }
            },
            Slot::ImageCommand => {
                if let Some(Value::Array(command)) = edit
                    .props
                    .get_mut("ImageConfig")
                    .and_then(|c| c.get_mut("Command"))
                {
                    command[0] = target_value;
                }
            }
        }
        edit.change(Change::HandlerRedirected {
            from,
            to,
            source: target.source,
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::dry_run::{DryRunOutcome, in_us_east_1};
    use crate::report::Severity::{Error, Warning};

    /// A dry run of `resources` (SAM `globals` when given) with `params`.
    fn run(params: Value, globals: Option<Value>, resources: Value) -> DryRunOutcome {
        let mut template = json!({
            "Transform": ["AWS::Serverless-2016-10-31", {"Name": "DatadogServerless", "Parameters": params}],
            "Resources": resources,
        });
        if let Some(globals) = globals {
            template["Globals"] = json!({"Function": globals});
        }
        in_us_east_1(&template)
    }

    /// A SAM function of `runtime` with `handler`, `own` Datadog parameters
    /// and `vars`.
    fn function(runtime: &str, handler: &str, own: Value, vars: Value) -> Value {
        let mut function = json!({"Type": "AWS::Serverless::Function",
            "Properties": {"Runtime": runtime, "Handler": handler, "CodeUri": ".",
                "Environment": {"Variables": vars}}});
        if own != json!({}) {
            function["Metadata"] = json!({"Datadog": {"Parameters": own}});
        }
        function
    }

    /// Function `id`'s handler and `DD_LAMBDA_HANDLER` in the output.
    fn handlers(outcome: &DryRunOutcome, id: &str) -> (Value, Value) {
        let output = outcome.output.as_ref().expect("the transform succeeds");
        let props = &output["Resources"][id]["Properties"];
        let handler = props.get("Handler").cloned().unwrap_or_default();
        let original = props["Environment"]["Variables"]
            .get("DD_LAMBDA_HANDLER")
            .cloned()
            .unwrap_or_default();
        (handler, original)
    }

    /// The redirections the report shows for function `id`.
    fn redirections(outcome: &DryRunOutcome, id: &str) -> Vec<Change> {
        let resource = outcome.report.resources.iter().find(|r| r.logical_id == id);
        let changes = resource.map(|r| r.changes.clone()).unwrap_or_default();
        changes
            .into_iter()
            .filter(|c| matches!(c, Change::HandlerRedirected { .. }))
            .collect()
    }

    #[test]
    fn custom_handler_replaces_every_runtimes_handler_and_keeps_the_original() {
        let none = || json!({});
        let resources = json!({
            "Py": function("python3.12", "app.handler", none(), none()),
            "Node": function("nodejs20.x", "app.handler", none(), none()),
            "Java": function("java21", "com.example.Handler::handle", none(), none()),
            "Ruby": function("ruby3.3", "function.handler", none(), none()),
            "Custom": function("provided.al2023", "bootstrap", none(), none()),
            "Own": function("nodejs20.x", "app.handler", json!({"customHandler": "own.handler"}), none()),
        });
        let params = json!({"customHandler": "wrapper.handler", "extensionLayerVersion": 99, "apiKMSKey": "AQICAH"});
        let outcome = run(params.clone(), None, resources);
        assert_eq!(outcome.messages(Error), Vec::<String>::new());
        let cases = [
            (
                "Py",
                "app.handler",
                "wrapper.handler",
                "customHandler (transform parameter)",
            ),
            (
                "Node",
                "app.handler",
                "wrapper.handler",
                "customHandler (transform parameter)",
            ),
            (
                "Java",
                "com.example.Handler::handle",
                "wrapper.handler",
                "customHandler (transform parameter)",
            ),
            (
                "Ruby",
                "function.handler",
                "wrapper.handler",
                "customHandler (transform parameter)",
            ),
            (
                "Custom",
                "bootstrap",
                "wrapper.handler",
                "customHandler (transform parameter)",
            ),
            (
                "Own",
                "app.handler",
                "own.handler",
                "customHandler (Own Metadata.Datadog.Parameters)",
            ),
        ];
        for (id, original, custom, source) in cases {
            assert_eq!(
                handlers(&outcome, id),
                (json!(custom), json!(original)),
                "{id}"
            );
            assert_eq!(
                redirections(&outcome, id),
                [Change::HandlerRedirected {
                    from: json!(original),
                    to: custom.to_string().into(),
                    source: Some(source.into()),
                }],
                "{id}"
            );
        }
        // The Extension still wraps Java's runtime.
        let output = outcome.output.clone().unwrap();
        let java = &output["Resources"]["Java"]["Properties"]["Environment"]["Variables"];
        assert_eq!(java["AWS_LAMBDA_EXEC_WRAPPER"], EXEC_WRAPPER);
        // A handler equal to customHandler is redirected already.
        let again = run(params, None, output["Resources"].clone());
        assert_eq!(again.messages(Warning), Vec::<String>::new());
        assert_eq!(again.output.unwrap()["Resources"], output["Resources"]);
    }

    #[test]
    fn a_datadog_handler_switches_to_the_custom_one_and_keeps_dd_lambda_handler() {
        let baked = function(
            "python3.12",
            PYTHON_HANDLER,
            json!({}),
            json!({"DD_LAMBDA_HANDLER": "app.handler"}),
        );
        let outcome = run(
            json!({"customHandler": "wrapper.handler"}),
            None,
            json!({"Fn": baked}),
        );
        assert_eq!(
            handlers(&outcome, "Fn"),
            (json!("wrapper.handler"), json!("app.handler"))
        );
        assert_eq!(
            redirections(&outcome, "Fn"),
            [Change::HandlerRedirected {
                from: json!(PYTHON_HANDLER),
                to: "wrapper.handler".into(),
                source: Some("customHandler (transform parameter)".into()),
            }]
        );
    }

    #[test]
    fn an_inherited_handler_is_redirected_and_a_users_dd_lambda_handler_is_kept() {
        let outcome = run(
            json!({"customHandler": "wrapper.handler"}),
            Some(json!({"Handler": "app.handler", "Runtime": "python3.12"})),
            json!({
                "Inherits": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "."}},
                "HasOwn": function("python3.12", "app.handler", json!({}), json!({"DD_LAMBDA_HANDLER": "other.handler"})),
            }),
        );
        assert_eq!(
            handlers(&outcome, "Inherits"),
            (json!("wrapper.handler"), json!("app.handler"))
        );
        assert_eq!(
            handlers(&outcome, "HasOwn"),
            (json!("app.handler"), json!("other.handler"))
        );
        assert_eq!(
            outcome.messages(Warning),
            [
                "Resource HasOwn already sets DD_LAMBDA_HANDLER but its Handler is not Datadog's; the handler was left alone. Remove DD_LAMBDA_HANDLER, or set Handler to wrapper.handler."
            ]
        );
    }

    #[test]
    fn an_images_command_gets_the_custom_handler_whatever_its_language() {
        let image = |command: Option<&str>| {
            let mut f = json!({"Type": "AWS::Serverless::Function", "Properties": {"PackageType": "Image", "ImageUri": "x"}});
            if let Some(command) = command {
                f["Properties"]["ImageConfig"] = json!({"Command": [command]});
            }
            f
        };
        let outcome = run(
            json!({"customHandler": "wrapper.handler"}),
            None,
            json!({"WithCommand": image(Some("app.handler")), "WithoutCommand": image(None)}),
        );
        let output = outcome.output.as_ref().unwrap();
        let props = &output["Resources"]["WithCommand"]["Properties"];
        assert_eq!(props["ImageConfig"]["Command"], json!(["wrapper.handler"]));
        assert_eq!(
            props["Environment"]["Variables"]["DD_LAMBDA_HANDLER"],
            "app.handler"
        );
        assert_eq!(
            outcome.messages(Warning),
            [
                "Resource WithoutCommand is a container image and it has no ImageConfig.Command to redirect: the image must contain the Datadog library and the extension (in /opt/extensions), and its command must be redirected to `customHandler` (wrapper.handler) by hand."
            ]
        );
    }

    #[test]
    fn custom_handler_with_redirect_handlers_false_is_an_error_unless_a_function_opts_out() {
        let one = || json!({"Fn": function("nodejs20.x", "app.handler", json!({}), json!({}))});
        let error = "`customHandler` has no effect with `redirectHandlers: false`, which leaves handlers alone: remove one of the two.";
        let both = run(
            json!({"customHandler": "w.handler", "redirectHandlers": false}),
            None,
            one(),
        );
        assert_eq!(both.messages(Error), [error]);
        let own = json!({"Fn": function("nodejs20.x", "app.handler", json!({"customHandler": "w.handler", "redirectHandlers": false}), json!({}))});
        let both_own = run(json!({}), None, own);
        assert_eq!(
            both_own.messages(Error),
            [format!(
                "Resource Fn (Metadata.Datadog.Parameters): {error}"
            )]
        );
        let opts_out = json!({
            "Fn": function("nodejs20.x", "app.handler", json!({"redirectHandlers": false}), json!({})),
            "Other": function("nodejs20.x", "app.handler", json!({}), json!({})),
        });
        let outcome = run(json!({"customHandler": "w.handler"}), None, opts_out);
        assert_eq!(outcome.messages(Error), Vec::<String>::new());
        assert_eq!(
            handlers(&outcome, "Fn"),
            (json!("app.handler"), Value::Null)
        );
        assert_eq!(
            handlers(&outcome, "Other"),
            (json!("w.handler"), json!("app.handler"))
        );
        let bad = run(json!({"customHandler": "my handler"}), None, one());
        assert_eq!(
            bad.messages(Error),
            [
                "parameter `customHandler` must be a Lambda handler: 1 to 128 characters, no whitespace."
            ]
        );
    }
}
