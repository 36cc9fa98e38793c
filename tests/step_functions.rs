//! Step Functions instrumentation (SPEC §8) on the fixtures of
//! `fixtures/stepfn/`: each runs through the whole transform with the
//! parameters of its own `DatadogServerless` Transform entry; the snapshot
//! shows the diagnostics, the report and the resources that changed. Every
//! fixture also checks that untouched resources stay byte for byte the same,
//! that a second run changes nothing, and that each rewritten definition,
//! read back as Step Functions would, carries the context where the spec
//! says.

mod stepfn_support;

use serde_json::json;
use stepfn_support::*;

const SET: &str = "stepfn";

/// Runs one fixture and checks everything every fixture must satisfy.
fn check(name: &str) {
    let request = request(SET, name);
    let out = run(&request);
    insta::assert_snapshot!(name, render(&request.fragment, &out.fragment, &out.report));
    if out.report.has_errors() {
        return;
    }
    assert_untouched(name, &request.fragment, &out.fragment, &out.report);
    assert_idempotent(name, &request, &out.fragment);
    assert_context_injected(name, &out.fragment, &out.report);
}

fixtures!(
    no_role,
    role_get_att_list,
    role_get_att_dotted,
    role_sub,
    role_plain_arn,
    role_outside_intrinsic,
    definition_join,
    definition_join_intrinsics,
    parallel_and_map,
    payload_left_alone,
    unreadable_definitions,
    sam_state_machines,
    exclude_and_overrides,
);

#[test]
fn a_plain_arn_role_is_a_role_outside_the_template() {
    // Instrumented like any role outside the template (SPEC §8): logging,
    // its log group and subscription, tags and trace context, and one
    // warning naming the role and the actions to allow on it.
    let out = run(&request(SET, "role_plain_arn"));
    assert!(!out.report.has_errors(), "{:?}", out.report.diagnostics);
    let warnings: Vec<_> = out.report.warnings().collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].resource.as_deref(), Some("External"));
    for needle in [
        "arn:aws:iam::123456789012:role/service-role/StepFunctions-External",
        "logs:CreateLogDelivery",
        "logs:DescribeLogGroups",
        "by hand",
    ] {
        assert!(
            warnings[0].message.contains(needle),
            "{needle} not in: {}",
            warnings[0].message
        );
    }
    let resources = &out.fragment["Resources"];
    let logging = &resources["External"]["Properties"]["LoggingConfiguration"];
    assert_eq!(logging["Level"], "ALL");
    assert_eq!(
        logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"],
        json!({"Fn::GetAtt": ["ExternalLogGroup", "Arn"]})
    );
    assert_eq!(
        resources["ExternalLogGroupDatadogSubscriptionFilter"]["Type"],
        "AWS::Logs::SubscriptionFilter"
    );
    assert!(
        resources["External"]["Properties"]["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["Key"] == "DD_TRACE_ENABLED")
    );
    assert!(
        resources["External"]["Properties"]["RoleArn"].is_string(),
        "the role is left as written"
    );
}

#[test]
fn a_second_run_warns_of_a_role_outside_the_template_again() {
    // The log group the first run declared is recognised as the macro's:
    // its role needs the same permission, so the same warning (and no
    // policy added twice to a role of the template).
    for name in [
        "role_plain_arn",
        "role_outside_intrinsic",
        "role_get_att_list",
        "no_role",
    ] {
        let request = request(SET, name);
        let first = run(&request);
        let second = run(&with_fragment(&request, first.fragment.clone()));
        let warnings = |out: &dd_serverless_macro::Transformed| {
            out.report
                .warnings()
                .map(|w| w.message.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(warnings(&second), warnings(&first), "{name}");
        assert_eq!(second.fragment, first.fragment, "{name}");
    }
}

#[test]
fn role_outside_the_template_as_an_intrinsic_is_a_warning() {
    let out = run(&request(SET, "role_outside_intrinsic"));
    assert!(!out.report.has_errors(), "{:?}", out.report.diagnostics);
    for id in ["SubRole", "ParameterRole"] {
        assert!(
            out.report
                .warnings()
                .any(|w| w.resource.as_deref() == Some(id)
                    && w.message.contains("logs:CreateLogDelivery")
                    && w.message.contains("by hand")),
            "no warning for {id}: {:?}",
            out.report.diagnostics
        );
        assert_eq!(
            out.fragment["Resources"][id]["Properties"]["LoggingConfiguration"]["Level"],
            "ALL"
        );
    }
}

#[test]
fn rewritten_definitions_carry_the_context_where_the_spec_says() {
    // Every definition the fixtures rewrite, read back as Step Functions
    // would receive it (intrinsics evaluated, substitutions applied).
    let mut checked = 0;
    for name in fixture_names(SET) {
        let request = request(SET, &name);
        let out = run(&request);
        if out.report.has_errors() {
            continue;
        }
        checked += assert_context_injected(&name, &out.fragment, &out.report);
    }
    // no_role 1, role_get_att_list 1, role_get_att_dotted 1, role_sub 1,
    // definition_join 1, definition_join_intrinsics 1, parallel_and_map 4,
    // payload_left_alone 1 (Done), sam_state_machines 1.
    assert_eq!(checked, 12);
}

#[test]
fn nothing_changes_without_the_parameter() {
    for name in fixture_names(SET) {
        let mut request = request(SET, &name);
        request.params.shift_remove("stepFunctionForwarderArn");
        let out = run(&request);
        let state_machines_touched = out.report.resources.iter().any(|r| {
            r.resource_type.ends_with("StateMachine")
                || r.resource_type == "AWS::Logs::LogGroup"
                || r.resource_type == "AWS::Logs::SubscriptionFilter"
        });
        assert!(
            !state_machines_touched,
            "{name}: {:?}",
            out.report.resources
        );
        let machines = dd_serverless_macro::internals::ids_of_types(
            &request.fragment,
            &[
                "AWS::StepFunctions::StateMachine",
                "AWS::Serverless::StateMachine",
            ],
        );
        assert!(
            out.report
                .diagnostics
                .iter()
                .all(|d| d.resource.as_ref().is_none_or(|r| !machines.contains(r))),
            "{name}: {:?}",
            out.report.diagnostics
        );
    }
}
