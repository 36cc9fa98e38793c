//! App and API Protection (`appSecMode`, issue 17): where it runs for each
//! function, the variables that turn it on there, and what the function
//! must have for it to work.
//!
//! It runs in the Python library (tracer mode, `DD_APPSEC_ENABLED`) or in
//! the Datadog Extension (extension mode, `DD_SERVERLESS_APPSEC_ENABLED`,
//! with the Extension's exec wrapper starting the runtime). `tracer` and
//! `extension` choose; `on` chooses per function: the library for a Python
//! function with Datadog's Python layer from version 114 (the first with
//! it, library 8.114.0), the Extension otherwise. That `enableDDTracing`
//! is on is checked with the parameters (`config::validate`).

use serde_json::Value;

use super::env;
use super::function::{FunctionEdit, RuntimeFamily};
use super::handler::EXEC_WRAPPER;
use super::layers::{has_extension_layer, library_version_on};
use crate::config::{AppSecMode, ImageRuntime, Param};
use crate::report::Origin;
use crate::report_text::show;

/// The first Datadog Python layer whose library runs App and API
/// Protection itself (8.114.0).
pub const FIRST_PYTHON_LAYER_IN_TRACER: u64 = 114;

/// Where App and API Protection runs for one function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// In the Python library.
    Tracer,
    /// In the Datadog Extension.
    Extension,
}

/// Writes the variables of App and API Protection on the function, where
/// `appSecMode` asks for it; an unmet condition is an error naming the
/// function, the parameter and the fix.
pub fn configure(edit: &mut FunctionEdit) {
    let mode = edit.config.app_sec_mode;
    if mode == AppSecMode::Off {
        return;
    }
    let python = edit.family == RuntimeFamily::Python
        || (edit.is_image && edit.config.image_runtime == Some(ImageRuntime::Python));
    let python_layer = library_version_on(edit).filter(|_| python);
    let Some((place, why)) = place(edit, mode, python, python_layer) else {
        return;
    };
    let from = edit.config.source(Param::app_sec_mode);
    let from = from.map(|s| format!(" ({s})")).unwrap_or_default();
    let given = format!("{} {}{from}", Param::app_sec_mode, mode.name());
    let source = match (&why, place) {
        (Some(why), Place::Tracer) => format!("{given}: in the Python library ({why})"),
        (Some(why), Place::Extension) => format!("{given}: in the Extension ({why})"),
        (None, _) => given,
    };
    match place {
        Place::Tracer => enable(edit, "DD_APPSEC_ENABLED", source.into()),
        Place::Extension => in_extension(edit, mode, why, source.into()),
    }
}

/// Where App and API Protection runs for the function, and, for `on`, why
/// there; `None` (an error recorded) when `tracer` cannot run.
fn place(
    edit: &mut FunctionEdit,
    mode: AppSecMode,
    python: bool,
    python_layer: Option<u64>,
) -> Option<(Place, Option<String>)> {
    let recent = python_layer.map(|v| v >= FIRST_PYTHON_LAYER_IN_TRACER);
    let id = edit.id.clone();
    Some(match mode {
        AppSecMode::Off => return None,
        AppSecMode::Extension => (Place::Extension, None),
        AppSecMode::Tracer if !python => {
            edit.error(format!(
                "Resource {id} {}, but `appSecMode: tracer` runs App and API Protection in the Python library only: use `on` or `extension` for it (in its Metadata.Datadog.Parameters).",
                what(edit)
            ));
            return None;
        }
        AppSecMode::Tracer if recent == Some(false) => {
            edit.error(format!(
                "Resource {id} has Datadog's Python layer {}, but `appSecMode: tracer` needs version {FIRST_PYTHON_LAYER_IN_TRACER} or later (the Python library 8.114.0): raise `pythonLayerVersion`, or use `appSecMode: extension`.",
                python_layer.unwrap_or_default()
            ));
            return None;
        }
        AppSecMode::Tracer => (Place::Tracer, None),
        AppSecMode::On => match (python, python_layer) {
            (true, Some(v)) if v >= FIRST_PYTHON_LAYER_IN_TRACER => {
                (Place::Tracer, Some(format!("Datadog's Python layer {v}")))
            }
            (true, Some(v)) => (
                Place::Extension,
                Some(format!(
                    "Datadog's Python layer {v} is older than {FIRST_PYTHON_LAYER_IN_TRACER}"
                )),
            ),
            (true, None) => (
                Place::Extension,
                Some("no Datadog Python layer on the function".to_string()),
            ),
            (false, _) => (Place::Extension, Some(format!("it {}", what(edit)))),
        },
    })
}

/// What the function is, in messages: `runs nodejs20.x`, `is a container
/// image`.
fn what(edit: &FunctionEdit) -> String {
    match &edit.runtime {
        Some(runtime) => format!("runs {runtime}"),
        None => "is a container image".to_string(),
    }
}

/// Extension mode: the function must get the Extension, and the
/// Extension's exec wrapper must start its runtime. `why`: why `on` chose it.
fn in_extension(edit: &mut FunctionEdit, mode: AppSecMode, why: Option<String>, source: Origin) {
    let id = edit.id.clone();
    let mut unmet = false;
    // A layer of an earlier run counts: a baked template keeps its Extension.
    if !edit.config.extension_enabled() && !has_extension_layer(edit) {
        let why = why
            .map(|why| format!(" for it ({why})"))
            .unwrap_or_default();
        edit.error(format!(
            "Resource {id}: `appSecMode: {}` runs App and API Protection in the Datadog Extension{why}, which {id} does not get: set `addExtension: true` (or `extensionLayerVersion`), or `appSecMode: off` for it (in its Metadata.Datadog.Parameters).",
            mode.name()
        ));
        unmet = true;
    }
    match env::current(edit, "AWS_LAMBDA_EXEC_WRAPPER") {
        Some((wrapper, _)) if wrapper.as_str() == Some(EXEC_WRAPPER) => {}
        Some((wrapper, place)) => {
            let message = format!(
                "Resource {id} sets AWS_LAMBDA_EXEC_WRAPPER to {} ({place}), but App and API Protection in the Extension needs {EXEC_WRAPPER} there, and a function has one wrapper. Remove yours, or set `appSecMode: off` for {id} (in its Metadata.Datadog.Parameters).",
                show(wrapper)
            );
            edit.error(message);
            unmet = true;
        }
        None if !unmet => {
            env::set(
                edit,
                "AWS_LAMBDA_EXEC_WRAPPER",
                Value::String(EXEC_WRAPPER.into()),
                source.clone(),
            );
        }
        None => {}
    }
    if unmet {
        return;
    }
    enable(edit, "DD_SERVERLESS_APPSEC_ENABLED", source);
    if edit
        .runtime
        .as_deref()
        .is_some_and(|r| r.starts_with("provided"))
    {
        edit.warn(format!(
            "Resource {id} runs on an OS-only runtime ({}), where Lambda runs no exec wrapper: App and API Protection in the Extension does not start there.",
            edit.runtime.as_deref().unwrap_or_default()
        ));
    }
    if edit.is_image {
        edit.warn(format!(
            "Resource {id} is a container image: for App and API Protection, the image must contain the Datadog Extension (in /opt/extensions) and {EXEC_WRAPPER}."
        ));
    }
}

/// Sets the switch `name` to `true`; a user's other value is kept, with a
/// warning that protection then stays off.
fn enable(edit: &mut FunctionEdit, name: &'static str, source: Origin) {
    if let Some((value, place)) = env::current(edit, name)
        && let Value::String(text) = env::as_env_value(value)
        && !text.eq_ignore_ascii_case("true")
    {
        if place == env::GLOBAL_VARIABLES && !edit.config.is_own(Param::app_sec_mode) {
            // One cause for every function that inherits it: said once.
            edit.report.warn(
                None,
                format!(
                    "The functions that inherit {name} \"{text}\" from {place} keep it, so App and API Protection stays off for them; remove it, or set it to true."
                ),
            );
        } else {
            let message = format!(
                "Resource {} keeps its {name} \"{text}\" ({place}), so App and API Protection stays off for it; remove it, or set it to true.",
                edit.id
            );
            edit.warn(message);
        }
    }
    env::set(edit, name, env::text(true), source);
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::dry_run::{DryRunOutcome, in_us_east_1};
    use crate::report::Change;
    use crate::report::Severity::{Error, Warning};

    const KEY: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dd-key-AbCdEf";

    /// A function of `runtime`, with `own` Datadog parameters and `vars`.
    fn function(runtime: &str, own: Value, vars: Value) -> Value {
        let mut function = json!({"Type": "AWS::Lambda::Function",
            "Properties": {"Runtime": runtime, "Handler": "app.handler", "Role": "arn:aws:iam::123456789012:role/r",
                "Code": {"ZipFile": "x"}, "Environment": {"Variables": vars}}});
        if own != json!({}) {
            function["Metadata"] = json!({"Datadog": {"Parameters": own}});
        }
        function
    }

    /// A dry run of `resources` with `params` (and the Extension's API key).
    fn run(mut params: Value, resources: Value) -> DryRunOutcome {
        params["apiKeySecretArn"] = json!(KEY);
        params["grantSecretReadAccess"] = json!(false);
        in_us_east_1(&json!({
            "Transform": [{"Name": "DatadogServerless", "Parameters": params}],
            "Resources": resources,
        }))
    }

    /// The App and API Protection variables function `id` has, and the
    /// report's source of each.
    fn appsec(outcome: &DryRunOutcome, id: &str) -> Vec<(String, String, String)> {
        let output = outcome.output.as_ref().expect("the transform succeeds");
        let vars = &output["Resources"][id]["Properties"]["Environment"]["Variables"];
        let changes = &outcome
            .report
            .resources
            .iter()
            .find(|r| r.logical_id == id)
            .unwrap()
            .changes;
        [
            "DD_APPSEC_ENABLED",
            "DD_SERVERLESS_APPSEC_ENABLED",
            "AWS_LAMBDA_EXEC_WRAPPER",
        ]
        .into_iter()
        .filter_map(|name| {
            let value = vars.get(name)?.as_str()?.to_string();
            let source = changes.iter().find_map(|c| match c {
                Change::EnvSet {
                    name: n, source, ..
                } if n == name => Some(source.to_string()),
                Change::EnvKept { name: n } if n == name => Some("kept".to_string()),
                _ => None,
            });
            Some((name.to_string(), value, source.unwrap_or_default()))
        })
        .collect()
    }

    fn row(name: &str, value: &str, source: &str) -> (String, String, String) {
        (name.to_string(), value.to_string(), source.to_string())
    }

    #[test]
    fn on_runs_in_the_python_library_from_layer_114_and_in_the_extension_otherwise() {
        let none = json!({});
        let outcome = run(
            json!({"appSecMode": "on", "addExtension": true}),
            json!({
                "Py": function("python3.12", json!({}), json!({})),
                "PyOld": function("python3.12", json!({"pythonLayerVersion": 113}), none.clone()),
                "Py37": function("python3.7", json!({}), none.clone()),
                "PyOwnLibrary": function("python3.12", json!({"addLayers": false}), none.clone()),
                "Node": function("nodejs20.x", json!({}), none.clone()),
            }),
        );
        assert_eq!(outcome.messages(Error), Vec::<String>::new());
        let on = "appSecMode on (transform parameter)";
        assert_eq!(
            appsec(&outcome, "Py"),
            [row(
                "DD_APPSEC_ENABLED",
                "true",
                &format!("{on}: in the Python library (Datadog's Python layer 127)")
            )]
        );
        let extension = |why: &str| {
            let source = format!("{on}: in the Extension ({why})");
            vec![
                row("DD_SERVERLESS_APPSEC_ENABLED", "true", &source),
                row("AWS_LAMBDA_EXEC_WRAPPER", "/opt/datadog_wrapper", &source),
            ]
        };
        assert_eq!(
            appsec(&outcome, "PyOld"),
            extension("Datadog's Python layer 113 is older than 114")
        );
        assert_eq!(
            appsec(&outcome, "Py37"),
            extension("Datadog's Python layer 85 is older than 114")
        );
        assert_eq!(
            appsec(&outcome, "PyOwnLibrary"),
            extension("no Datadog Python layer on the function")
        );
        assert_eq!(appsec(&outcome, "Node"), extension("it runs nodejs20.x"));
    }

    #[test]
    fn tracer_and_extension_choose_and_a_second_run_changes_nothing() {
        let resources = json!({
            "Py": function("python3.13", json!({"appSecMode": "tracer"}), json!({})),
            "PyOwnLibrary": function("python3.13", json!({"appSecMode": "Tracer", "addLayers": false}), json!({})),
            "Node": function("nodejs22.x", json!({}), json!({})),
            // Its wrapper is written once, by the handler pass.
            "Java": function("java21", json!({}), json!({})),
        });
        let params = json!({"datadogAppSecMode": "extension", "addExtension": true});
        let outcome = run(params.clone(), resources);
        assert_eq!(outcome.messages(Error), Vec::<String>::new());
        let tracer = "appSecMode tracer (Py Metadata.Datadog.Parameters)";
        assert_eq!(
            appsec(&outcome, "Py"),
            [row("DD_APPSEC_ENABLED", "true", tracer)]
        );
        assert_eq!(
            appsec(&outcome, "PyOwnLibrary"),
            [row(
                "DD_APPSEC_ENABLED",
                "true",
                "appSecMode tracer (PyOwnLibrary Metadata.Datadog.Parameters)"
            )]
        );
        let extension = "appSecMode extension (transform parameter)";
        assert_eq!(
            appsec(&outcome, "Node"),
            [
                row("DD_SERVERLESS_APPSEC_ENABLED", "true", extension),
                row("AWS_LAMBDA_EXEC_WRAPPER", "/opt/datadog_wrapper", extension),
            ]
        );
        assert_eq!(
            appsec(&outcome, "Java"),
            [
                row("DD_SERVERLESS_APPSEC_ENABLED", "true", extension),
                row(
                    "AWS_LAMBDA_EXEC_WRAPPER",
                    "/opt/datadog_wrapper",
                    "the extension wraps Java and .NET functions"
                ),
            ]
        );
        let output = outcome.output.unwrap();
        let again = run(params, output["Resources"].clone());
        assert_eq!(again.output.unwrap()["Resources"], output["Resources"]);
    }

    #[test]
    fn each_unmet_condition_is_an_error_naming_the_function_and_the_fix() {
        let outcome = run(
            json!({"appSecMode": "extension", "addExtension": true}),
            json!({
                "NoTracing": function("python3.12", json!({"enableDDTracing": false}), json!({})),
                "NodeTracer": function("nodejs20.x", json!({"appSecMode": "tracer"}), json!({})),
                "OldTracer": function("python3.12", json!({"appSecMode": "tracer", "pythonLayerVersion": 100}), json!({})),
                "NoExtension": function("nodejs20.x", json!({"appSecMode": "on", "addExtension": false}), json!({})),
                "OwnWrapper": function("nodejs20.x", json!({}), json!({"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-handler"})),
                "Fine": function("nodejs20.x", json!({}), json!({})),
            }),
        );
        assert_eq!(
            outcome.messages(Error),
            [
                "Resource NoTracing (Metadata.Datadog.Parameters): `appSecMode: extension` needs Datadog tracing, which `enableDDTracing: false` turns off: set `enableDDTracing: true`, or `appSecMode: off`.",
                "Resource NodeTracer runs nodejs20.x, but `appSecMode: tracer` runs App and API Protection in the Python library only: use `on` or `extension` for it (in its Metadata.Datadog.Parameters).",
                "Resource OldTracer has Datadog's Python layer 100, but `appSecMode: tracer` needs version 114 or later (the Python library 8.114.0): raise `pythonLayerVersion`, or use `appSecMode: extension`.",
                "Resource NoExtension: `appSecMode: on` runs App and API Protection in the Datadog Extension for it (it runs nodejs20.x), which NoExtension does not get: set `addExtension: true` (or `extensionLayerVersion`), or `appSecMode: off` for it (in its Metadata.Datadog.Parameters).",
                "Resource OwnWrapper sets AWS_LAMBDA_EXEC_WRAPPER to /opt/otel-handler (its Environment.Variables), but App and API Protection in the Extension needs /opt/datadog_wrapper there, and a function has one wrapper. Remove yours, or set `appSecMode: off` for OwnWrapper (in its Metadata.Datadog.Parameters).",
            ]
        );
        assert!(outcome.output.is_none());
    }

    #[test]
    fn template_wide_errors_name_the_parameter() {
        let cases = [
            (
                json!({"appSecMode": "on", "enableDDTracing": false}),
                "`appSecMode: on` needs Datadog tracing, which `enableDDTracing: false` turns off: set `enableDDTracing: true`, or `appSecMode: off`.",
            ),
            (
                json!({"appSecMode": "yes"}),
                "parameter `appSecMode` must be one of `off`, `on`, `tracer`, `extension`, not the string \"yes\".",
            ),
            (
                json!({"appSecMode": "extension"}),
                "Resource Fn: `appSecMode: extension` runs App and API Protection in the Datadog Extension, which Fn does not get: set `addExtension: true` (or `extensionLayerVersion`), or `appSecMode: off` for it (in its Metadata.Datadog.Parameters).",
            ),
        ];
        for (params, expected) in cases {
            let outcome = run(
                params.clone(),
                json!({"Fn": function("nodejs20.x", json!({}), json!({}))}),
            );
            assert_eq!(outcome.messages(Error), [expected], "{params}");
        }
    }

    #[test]
    fn a_wrapper_of_the_users_in_sam_globals_is_an_error_too() {
        let outcome = in_us_east_1(&json!({
            "Transform": ["AWS::Serverless-2016-10-31", {"Name": "DatadogServerless",
                "Parameters": {"appSecMode": "on", "addExtension": true, "apiKeySecretArn": KEY}}],
            "Globals": {"Function": {"Environment": {"Variables": {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/mine"}}}},
            "Resources": {"Fn": {"Type": "AWS::Serverless::Function",
                "Properties": {"Runtime": "nodejs20.x", "Handler": "app.handler", "CodeUri": "."}}},
        }));
        assert_eq!(
            outcome.messages(Error),
            [
                "Resource Fn sets AWS_LAMBDA_EXEC_WRAPPER to /opt/mine (SAM Globals.Function.Environment.Variables), but App and API Protection in the Extension needs /opt/datadog_wrapper there, and a function has one wrapper. Remove yours, or set `appSecMode: off` for Fn (in its Metadata.Datadog.Parameters)."
            ]
        );
    }

    #[test]
    fn a_switch_off_in_sam_globals_is_one_warning_for_every_function() {
        let function = json!({"Type": "AWS::Serverless::Function",
            "Properties": {"Runtime": "nodejs20.x", "Handler": "app.handler", "CodeUri": "."}});
        let outcome = in_us_east_1(&json!({
            "Transform": ["AWS::Serverless-2016-10-31", {"Name": "DatadogServerless",
                "Parameters": {"appSecMode": "extension", "addExtension": true, "apiKeySecretArn": KEY}}],
            "Globals": {"Function": {"Environment": {"Variables": {"DD_SERVERLESS_APPSEC_ENABLED": "false"}}}},
            "Resources": {"A": function, "B": function, "C": function},
        }));
        assert_eq!(
            outcome.messages(Warning),
            [
                "The functions that inherit DD_SERVERLESS_APPSEC_ENABLED \"false\" from SAM Globals.Function.Environment.Variables keep it, so App and API Protection stays off for them; remove it, or set it to true."
            ]
        );
    }

    #[test]
    fn warnings_where_protection_would_stay_off() {
        let image = json!({"Type": "AWS::Lambda::Function", "Properties": {"PackageType": "Image",
            "Role": "arn:aws:iam::123456789012:role/r", "Code": {"ImageUri": "x"}}});
        let outcome = run(
            json!({"appSecMode": "on", "addExtension": true, "site": "us2.ddog-gov.com"}),
            json!({
                "Py": function("python3.12", json!({}), json!({"DD_APPSEC_ENABLED": "false"})),
                "Node": function("nodejs20.x", json!({}), json!({"DD_SERVERLESS_APPSEC_ENABLED": "TRUE"})),
                "Custom": function("provided.al2023", json!({}), json!({})),
                "Image": image,
            }),
        );
        assert_eq!(outcome.messages(Error), Vec::<String>::new());
        let warnings = outcome.messages(Warning);
        let expected = [
            "`appSecMode` is on but the site is us2.ddog-gov.com, where Datadog does not offer App and API Protection.",
            "Resource Py keeps its DD_APPSEC_ENABLED \"false\" (its Environment.Variables), so App and API Protection stays off for it; remove it, or set it to true.",
            "Resource Custom runs on an OS-only runtime (provided.al2023), where Lambda runs no exec wrapper: App and API Protection in the Extension does not start there.",
            "Resource Image is a container image: for App and API Protection, the image must contain the Datadog Extension (in /opt/extensions) and /opt/datadog_wrapper.",
        ];
        for message in expected {
            assert!(
                warnings.iter().any(|w| w == message),
                "{message}\nnot in {warnings:#?}"
            );
        }
        assert!(
            !warnings.iter().any(|w| w.contains("Resource Node ")),
            "{warnings:#?}"
        );
        assert_eq!(
            appsec(&outcome, "Py"),
            [row("DD_APPSEC_ENABLED", "false", "kept")]
        );
    }

    #[test]
    fn an_extension_layer_of_an_earlier_run_counts() {
        let mut baked = function("nodejs20.x", json!({}), json!({}));
        baked["Properties"]["Layers"] =
            json!(["arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Extension-ARM:88"]);
        let outcome = run(json!({"appSecMode": "extension"}), json!({"Fn": baked}));
        assert_eq!(outcome.messages(Error), Vec::<String>::new());
        assert_eq!(appsec(&outcome, "Fn").len(), 2);
    }

    #[test]
    fn off_changes_nothing() {
        let resources = json!({"Fn": function("nodejs20.x", json!({}), json!({}))});
        let off = run(json!({"appSecMode": "off"}), resources.clone());
        let absent = run(json!({}), resources);
        assert_eq!(off.output, absent.output);
        assert_eq!(appsec(&off, "Fn"), []);
    }
}
