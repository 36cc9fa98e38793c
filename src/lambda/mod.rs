//! Instrumentation of Lambda functions (SPEC §3–§7, §9, §11, §12).
//!
//! Each function is worked on as a [`function::FunctionEdit`]: its properties,
//! taken out of the template, which every pass edits in turn (layers,
//! handler, environment, tracing, permissions, tags). Only when no pass
//! reported an error are the role grants applied and its changes reported;
//! otherwise its errors fail the transform, whose answer is then the
//! template as received.
//!
//! What passes may read is a contract with the streaming answer
//! ([`crate::stream`]), which does not read the rest: of a function, not its
//! [`crate::stream::kept::INERT_PROPERTIES`]; of a role, only
//! `Properties.Policies`; of any other resource outside
//! [`crate::stream::kept::WHOLE_TYPES`], only its `Type`. A pass that needs
//! more changes those lists (tests/streaming.rs compares both answers).

pub mod appsec;
pub mod env;
pub mod forwarder;
pub mod function;
pub mod handler;
pub mod iam;
pub mod layers;
pub mod memo;
pub mod published;
pub mod tags;
pub mod tracing;

use std::borrow::Cow;
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::StackContext;
use crate::config::{Config, exclusion_reason};
use crate::report::{Change, Report};
use crate::template::resources::{
    ids_of_types, is_cdk, resource_type, resources_mut, sam_function_globals,
};
use function::{FUNCTION_TYPES, FunctionKind, SERVERLESS_FUNCTION};

/// Where the instrumentation reads each function from and leaves it: in the
/// fragment itself ([`InPlace`]), or kept out of it until its turn (the
/// streaming answer to an event's bytes, [`crate::stream`]).
pub trait FunctionBodies {
    /// Takes function `id` out of `fragment`, whole.
    fn take(&mut self, id: &str, fragment: &mut Value) -> Value;
    /// Puts function `id` back once its passes are done (edited or not).
    fn put(&mut self, id: &str, resource: Value, fragment: &mut Value);
}

/// Functions live in the fragment: taken out while their passes run (no
/// copy), then put back where they were.
pub struct InPlace;

impl FunctionBodies for InPlace {
    fn take(&mut self, id: &str, fragment: &mut Value) -> Value {
        resources_mut(fragment)
            .and_then(|resources| resources.get_mut(id))
            .map(Value::take)
            .unwrap_or_default()
    }

    fn put(&mut self, id: &str, resource: Value, fragment: &mut Value) {
        if let Some(slot) = resources_mut(fragment).and_then(|resources| resources.get_mut(id)) {
            *slot = resource;
        }
    }
}

/// Instruments every function of the fragment, then subscribes the
/// instrumented ones' log groups to the Forwarder when `forwarderArn` is set.
pub fn instrument(
    fragment: &mut Value,
    config: &Config,
    context: &StackContext<'_>,
    report: &mut Report,
) {
    instrument_with(fragment, &mut InPlace, config, context, report);
}

/// [`instrument`], reading and leaving each function through `bodies`.
///
/// A function is edited in place: when a pass reports an error the edits
/// stay, but the transform fails and its fragment is not used (the answer
/// carries the template as received), so only the diagnostics are kept.
pub fn instrument_with(
    fragment: &mut Value,
    bodies: &mut dyn FunctionBodies,
    config: &Config,
    context: &StackContext<'_>,
    report: &mut Report,
) {
    let ids = ids_of_types(fragment, FUNCTION_TYPES);
    let globals = Rc::new(sam_function_globals(fragment).cloned().unwrap_or_default());
    let no_globals = Rc::new(Map::new());
    let cdk = is_cdk(fragment);
    let shared = Rc::new(config.clone());
    let mut shared_memo = memo::Memo::default();
    let mut instrumented = Vec::new();
    for id in ids {
        let mut resource = bodies.take(&id, fragment);
        // The function's passes, on `resource`; `None` when it is left alone.
        let passed = 'function: {
            if let Some(reason) = exclusion_reason(&id, &resource, config) {
                report.change(
                    &id,
                    resource_type(&resource).unwrap_or_default(),
                    Change::Skipped {
                        reason: reason.to_string(),
                    },
                );
                break 'function None;
            }
            let mut own_memo = memo::Memo::default();
            let (function_config, memo) = match config.for_resource(&id, &resource, report) {
                None => break 'function None,
                Some(Cow::Borrowed(_)) => (Rc::clone(&shared), &mut shared_memo),
                Some(Cow::Owned(own)) => (Rc::new(own), &mut own_memo),
            };
            let (kind, function_globals) = if resource_type(&resource) == Some(SERVERLESS_FUNCTION)
            {
                (FunctionKind::Serverless, Rc::clone(&globals))
            } else {
                (FunctionKind::Lambda, Rc::clone(&no_globals))
            };
            let mut edit = function::view(
                &id,
                &mut resource,
                kind,
                function_globals,
                function_config,
                fragment,
                context,
            );
            edit.report.detail = report.detail;
            if !edit.report.has_errors() {
                layers::add_layers(&mut edit, context.region, &mut memo.layers);
                handler::redirect(&mut edit);
                env::set_variables(&mut edit, &mut memo.env);
                appsec::configure(&mut edit);
                tracing::configure(&mut edit, fragment);
                tracing::grant_secret_access(&mut edit, fragment);
                tags::add_tags(&mut edit, cdk);
            }
            let grants = std::mem::take(&mut edit.grants);
            Some((edit.restore(&mut resource), grants))
        };
        // Every function goes back, edited or not.
        bodies.put(&id, resource, fragment);
        let Some((mut function_report, grants)) = passed else {
            continue;
        };
        if function_report.has_errors() {
            // All or nothing: keep only the diagnostics, not the changes.
            function_report.resources.clear();
            report.merge(function_report);
            continue;
        }
        iam::apply(fragment, &grants, report);
        report.merge_new(function_report);
        instrumented.push(id);
    }
    forwarder::subscribe(fragment, &instrumented, config, report);
}
