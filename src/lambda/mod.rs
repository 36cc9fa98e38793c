//! Instrumentation of Lambda functions (SPEC §3–§7, §9, §11, §12).
//!
//! Each function is worked on as a [`function::FunctionEdit`]: its
//! properties, taken out of the template, which every pass edits in turn
//! (layers, handler, environment, tracing, permissions, tags) and reads
//! through the template's model (a property no pass asks for stays as
//! received). Only when no pass reported an error are the role grants
//! applied and its changes reported; otherwise its errors fail the
//! transform, whose answer is then the template as received.

pub mod appsec;
pub mod cloudwatch_logs;
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

use serde_json::Map;

use crate::StackContext;
use crate::config::{Config, exclusion_reason};
use crate::report::{Change, Report};
use crate::template::model::Template;
use crate::template::resources::{is_cdk, sam_function_globals};
use function::{FUNCTION_TYPES, FunctionKind, SERVERLESS_FUNCTION};

/// Instruments every function of the template, then, when `forwarderArn`
/// is set, subscribes the instrumented ones' log groups to the Forwarder,
/// and the template's API Gateway and listed log groups.
///
/// A function is edited in place: when a pass reports an error the edits
/// stay, but the transform fails and its template is not used (the answer
/// carries the template as received), so only the diagnostics are kept.
pub fn instrument(
    template: &mut Template<'_>,
    config: &Config,
    context: &StackContext<'_>,
    report: &mut Report,
) {
    let ids = template.ids_of_types(FUNCTION_TYPES);
    let globals = Rc::new(sam_function_globals(template).cloned().unwrap_or_default());
    let no_globals = Rc::new(Map::new());
    let cdk = is_cdk(template);
    let shared = Rc::new(config.clone());
    let mut shared_memo = memo::Memo::default();
    let mut instrumented = Vec::new();
    let mut denials = Vec::new();
    for id in ids {
        let Some(resource) = template.resource_mut(&id) else {
            continue;
        };
        let kind = if function::resource_type(resource) == Some(SERVERLESS_FUNCTION) {
            FunctionKind::Serverless
        } else {
            FunctionKind::Lambda
        };
        let metadata = resource.get("Metadata");
        if let Some(reason) = exclusion_reason(&id, metadata, config) {
            report.change(
                &id,
                kind.resource_type(),
                Change::Skipped {
                    reason: reason.to_string(),
                },
            );
            continue;
        }
        let mut own_memo = memo::Memo::default();
        let (function_config, memo) = match config.for_resource(&id, metadata, report) {
            None => continue,
            Some(Cow::Borrowed(_)) => (Rc::clone(&shared), &mut shared_memo),
            Some(Cow::Owned(own)) => (Rc::new(own), &mut own_memo),
        };
        let function_globals = match kind {
            FunctionKind::Serverless => Rc::clone(&globals),
            FunctionKind::Lambda => Rc::clone(&no_globals),
        };
        let properties = function::take_properties(resource);
        let mut edit = function::view(
            &id,
            properties,
            kind,
            function_globals,
            function_config,
            template,
            context,
        );
        edit.report.detail = report.detail;
        let mut denial = None;
        if !edit.report.has_errors() {
            layers::add_layers(&mut edit, context.region, &mut memo.layers);
            handler::redirect(&mut edit);
            env::set_variables(&mut edit, &mut memo.env);
            appsec::configure(&mut edit);
            tracing::configure(&mut edit, template);
            tracing::grant_secret_access(&mut edit, template);
            tags::add_tags(&mut edit, cdk);
            denial = cloudwatch_logs::denial(&mut edit, template);
        }
        let grants = std::mem::take(&mut edit.grants);
        // Every function goes back, edited or not, its new values written.
        let mut function_report = edit.restore(template);
        template.settle(&id);
        if function_report.has_errors() {
            // All or nothing: keep only the diagnostics, not the changes.
            function_report.resources.clear();
            report.merge(function_report);
            continue;
        }
        iam::apply(template, &grants, report);
        report.merge_new(function_report);
        denials.extend(denial);
        instrumented.push(id);
    }
    cloudwatch_logs::apply(template, denials, report);
    forwarder::subscribe(template, &instrumented, config, context, report);
    forwarder::other_log_groups::subscribe(template, config, context, report);
}
