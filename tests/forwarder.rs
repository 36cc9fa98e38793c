//! Declarative Forwarder subscriptions (SPEC §7) on the fixtures of
//! `fixtures/forwarder/`.
//!
//! The function pass decides which functions are instrumented and hands
//! their ids to `lambda::forwarder::subscribe`; these tests call it directly
//! with every function of the fixture (minus `exclude`), with the
//! configuration of the fixture's own Transform entry, so that the snapshot
//! shows only what this pass adds. `whole_transform_subscribes_the_same`
//! checks that the whole transform adds the same resources.

mod stepfn_support;

use dd_serverless_macro::internals::{
    Config, ConfigInputs, StackContext, Template, ids_of_types, subscribe,
};
use dd_serverless_macro::report::Report;
use dd_serverless_macro::{MacroEnvironment, MacroRequest};
use serde_json::{Map, Value};
use stepfn_support::*;

const SET: &str = "forwarder";
const FUNCTION_TYPES: &[&str] = &["AWS::Lambda::Function", "AWS::Serverless::Function"];

/// `subscribe` on the fixture with every non-excluded function.
fn subscribe_all(request: &MacroRequest, fragment: &Value) -> (Value, Report) {
    let mut report = Report::default();
    let config = Config::build(
        ConfigInputs {
            params: &request.params,
            template: &Template::from_value(request.fragment.clone()),
            environment: &MacroEnvironment::default(),
        },
        &mut report,
    );
    assert!(!report.has_errors(), "{:?}", report.diagnostics);
    let ids: Vec<String> = ids_of_types(fragment, FUNCTION_TYPES)
        .into_iter()
        .filter(|id| !config.exclude.contains(id))
        .collect();
    let mut out = Template::from_value(fragment.clone());
    let context = StackContext {
        region: &request.region,
        account_id: &request.account_id,
        template_parameter_values: &request.template_parameter_values,
    };
    subscribe(&mut out, &ids, &config, &context, &mut report);
    (out.to_value(), report)
}

fn check(name: &str) {
    let request = request(SET, name);
    let (out, report) = subscribe_all(&request, &request.fragment);
    insta::assert_snapshot!(name, render(&request.fragment, &out, &report));
    assert!(!report.has_errors(), "{name}: {:?}", report.diagnostics);
    assert_untouched(name, &request.fragment, &out, &report);
    let (again, report) = subscribe_all(&request, &out);
    assert_eq!(again, out, "{name}: a second run changed the template");
    assert!(
        report.resources.is_empty(),
        "{name}: {:?}",
        report.resources
    );
}

fixtures!(
    no_log_group,
    log_group_by_name,
    logging_config,
    existing_log_groups,
    existing_filters,
    sam_functions,
);

/// The log groups and subscription filters a run added.
fn added_log_resources(input: &Value, output: &Value) -> Map<String, Value> {
    let before = input["Resources"].as_object().unwrap();
    output["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(id, r)| {
            !before.contains_key(*id)
                && matches!(
                    r["Type"].as_str(),
                    Some("AWS::Logs::LogGroup" | "AWS::Logs::SubscriptionFilter")
                )
        })
        .map(|(id, r)| (id.clone(), r.clone()))
        .collect()
}

#[test]
fn whole_transform_subscribes_the_same() {
    for name in fixture_names(SET) {
        let request = request(SET, &name);
        let (direct, _) = subscribe_all(&request, &request.fragment);
        let whole = run(&request);
        assert!(
            !whole.report.has_errors(),
            "{name}: {:?}",
            whole.report.diagnostics
        );
        assert_eq!(
            added_log_resources(&request.fragment, &whole.fragment),
            added_log_resources(&request.fragment, &direct),
            "{name}: the whole transform subscribed differently"
        );
        assert_idempotent(&name, &request, &whole.fragment);
    }
}

#[test]
fn nothing_without_forwarder_arn() {
    for name in fixture_names(SET) {
        let mut request = request(SET, &name);
        request.params.shift_remove("forwarderArn");
        let (out, report) = subscribe_all(&request, &request.fragment);
        assert_eq!(out, request.fragment, "{name}");
        assert!(report.resources.is_empty(), "{name}");
    }
}
