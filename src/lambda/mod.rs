//! Instrumentation of Lambda functions (SPEC §3–§7, §9, §11, §12).
//!
//! Each function is worked on as a [`function::FunctionEdit`]: a copy of its
//! properties that every pass edits in turn (layers, handler, environment,
//! tracing, permissions, tags). Only when no pass reported an error is the
//! copy written back and the role grants applied; otherwise the function is
//! left exactly as it was and the errors fail the transform.

pub mod env;
pub mod forwarder;
pub mod function;
pub mod handler;
pub mod iam;
pub mod layers;
pub mod tags;
pub mod tracing;

use std::borrow::Cow;
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::StackContext;
use crate::config::{Config, exclusion_reason};
use crate::report::{Change, Report};
use crate::template::resources::{ids_of_types, is_cdk, sam_function_globals};
use function::{FunctionKind, LAMBDA_FUNCTION, SERVERLESS_FUNCTION};

/// Instruments every function of the fragment, then subscribes the
/// instrumented ones' log groups to the Forwarder when `forwarderArn` is set.
pub fn instrument(
    fragment: &mut Value,
    config: &Config,
    context: &StackContext<'_>,
    report: &mut Report,
) {
    let ids = ids_of_types(fragment, &[LAMBDA_FUNCTION, SERVERLESS_FUNCTION]);
    let globals = sam_function_globals(fragment).cloned().unwrap_or_default();
    let no_globals = Map::new();
    let cdk = is_cdk(fragment);
    let shared = Rc::new(config.clone());
    let mut instrumented = Vec::new();
    for id in ids {
        let resource = &fragment["Resources"][&id];
        let kind = if resource["Type"] == SERVERLESS_FUNCTION {
            FunctionKind::Serverless
        } else {
            FunctionKind::Lambda
        };
        if let Some(reason) = exclusion_reason(&id, resource, config) {
            report.change(
                &id,
                resource["Type"].as_str().unwrap_or_default(),
                Change::Skipped {
                    reason: reason.to_string(),
                },
            );
            continue;
        }
        let function_config = match config.for_resource(&id, resource, report) {
            None => continue,
            Some(Cow::Borrowed(_)) => Rc::clone(&shared),
            Some(Cow::Owned(own)) => Rc::new(own),
        };
        let function_globals = if kind == FunctionKind::Serverless {
            &globals
        } else {
            &no_globals
        };
        let mut edit = function::view(
            &id,
            resource,
            kind,
            function_globals,
            function_config,
            fragment,
            context,
        );
        if !edit.report.has_errors() {
            layers::add_layers(&mut edit, context.region);
            handler::redirect(&mut edit);
            env::set_variables(&mut edit);
            tracing::configure(&mut edit, fragment);
            tracing::grant_secret_access(&mut edit, fragment);
            tags::add_tags(&mut edit, cdk);
        }
        if edit.report.has_errors() {
            // All or nothing: keep only the diagnostics, not the changes.
            edit.report.resources.clear();
            report.merge(edit.report);
            continue;
        }
        let Some(resource) = fragment["Resources"]
            .get_mut(&id)
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let changed = resource.get("Properties").and_then(Value::as_object) != Some(&edit.props);
        if changed {
            resource.insert("Properties".into(), Value::Object(edit.props));
        }
        iam::apply(fragment, &edit.grants, report);
        report.merge(edit.report);
        instrumented.push(id);
    }
    forwarder::subscribe(fragment, &instrumented, config, report);
}
