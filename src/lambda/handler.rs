//! Handler redirection (SPEC §5): the Datadog library wraps the user's
//! handler, which moves to `DD_LAMBDA_HANDLER`. Idempotent: a handler that is
//! already Datadog's is left with its `DD_LAMBDA_HANDLER`.

use std::borrow::Cow;

use serde_json::Value;

use super::env;
use super::function::{FunctionEdit, RuntimeFamily};
use crate::config::ImageRuntime;
use crate::report::Change;
use crate::template::lookup;

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

/// Redirects the function's handler (or an image's command) to Datadog's wrapper.
pub fn redirect(edit: &mut FunctionEdit) {
    if !edit.config.redirect_handlers {
        return;
    }
    if edit.is_image {
        redirect_image(edit);
        return;
    }
    let target = match edit.family {
        RuntimeFamily::Python => PYTHON_HANDLER,
        RuntimeFamily::Node if edit.config.add_layers => NODE_LAYER_HANDLER,
        RuntimeFamily::Node => NODE_BUNDLED_HANDLER,
        RuntimeFamily::Java | RuntimeFamily::Dotnet => {
            if edit.config.extension_enabled() {
                env::set(
                    edit,
                    "AWS_LAMBDA_EXEC_WRAPPER",
                    Value::String(EXEC_WRAPPER.into()),
                    "the extension wraps Java and .NET functions",
                );
            }
            return;
        }
        RuntimeFamily::Ruby | RuntimeFamily::Custom | RuntimeFamily::Unsupported => {
            if let Some(handler) = edit.inherited("Handler").cloned() {
                env::set(edit, "DD_LAMBDA_HANDLER", handler, Slot::Handler.source());
            }
            return;
        }
    };
    let Some(current) = edit.inherited("Handler").cloned() else {
        edit.warn(format!(
            "Resource {} has no Handler, so it was not redirected to the Datadog wrapper; set its Handler to {target} and DD_LAMBDA_HANDLER to your handler.",
            edit.id
        ));
        return;
    };
    if current.as_str().is_some_and(is_datadog_handler) {
        if current.as_str() != Some(target) {
            Slot::Handler.point_to(edit, current, target);
        }
        return;
    }
    Slot::Handler.wrap(edit, current, target);
}

/// Images: redirect through `ImageConfig.Command` when `imageRuntime` says
/// the language; otherwise warn what must be done by hand.
fn redirect_image(edit: &mut FunctionEdit) {
    let target = match edit.config.image_runtime {
        Some(ImageRuntime::Python) => Some(PYTHON_HANDLER),
        Some(ImageRuntime::Node) => Some(NODE_BUNDLED_HANDLER),
        None => None,
    };
    let command = edit
        .props
        .get("ImageConfig")
        .and_then(|c| lookup::field(c, "Command"))
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .cloned();
    let (Some(target), Some(first)) = (target, command) else {
        let why = if target.is_none() {
            "its language is unknown (set `imageRuntime: python` or `node` in its Metadata.Datadog.Parameters)"
        } else {
            "it has no ImageConfig.Command to redirect"
        };
        edit.warn(format!(
            "Resource {} is a container image and {why}: the image must contain the Datadog library and the extension (in /opt/extensions), and its command must be redirected to the Datadog handler by hand.",
            edit.id
        ));
        edit.change(Change::Skipped {
            reason: "container image: environment only, handler not redirected".to_string(),
        });
        return;
    };
    if first.as_str().is_some_and(is_datadog_handler) {
        return;
    }
    Slot::ImageCommand.wrap(edit, first, target);
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

    /// Moves the user's handler `current` to `DD_LAMBDA_HANDLER` and puts
    /// Datadog's wrapper `target` in its place; when the user already sets
    /// `DD_LAMBDA_HANDLER`, warns and leaves both alone.
    fn wrap(self, edit: &mut FunctionEdit, current: Value, target: &'static str) {
        if !env::set_new(edit, "DD_LAMBDA_HANDLER", current.clone(), self.source()) {
            let id = &edit.id;
            let warning = match self {
                Slot::Handler => format!(
                    "Resource {id} already sets DD_LAMBDA_HANDLER but its Handler is not Datadog's; the handler was left alone. Remove DD_LAMBDA_HANDLER, or set Handler to {target}."
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
    fn point_to(self, edit: &mut FunctionEdit, from: Value, target: &'static str) {
        let target_value = Value::String(target.into());
        match self {
            Slot::Handler => match lookup::get_mut(&mut edit.props, "Handler") {
                Some(handler) => *handler = target_value,
                None => {
                    edit.props.insert("Handler".into(), target_value);
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
            to: Cow::Borrowed(target),
        });
    }
}
