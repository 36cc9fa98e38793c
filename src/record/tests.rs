//! The record and `uninstrument` on small templates through the real dry
//! run; the corpus-wide round trip is `tests/round_trip.rs`.

use serde_json::{Value, json};

use super::*;
use crate::dry_run::{self, DEFAULT_TRANSFORM_NAME, DryRunOptions};

/// The dry run's output for `template` with `params`, in us-east-1.
fn bake(template: &Value, params: &[(&str, &str)]) -> Value {
    let options = DryRunOptions {
        transform_name: DEFAULT_TRANSFORM_NAME.into(),
        params: (params.iter())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        region: "us-east-1".into(),
        ..Default::default()
    };
    let outcome = dry_run::run(template, &options, &crate::MacroEnvironment::default());
    outcome.unwrap().output.expect("the bake succeeds")
}

fn function(properties: Value) -> Value {
    json!({"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": properties}}})
}

fn python() -> Value {
    function(
        json!({"Runtime": "python3.12", "Handler": "app.handler", "Role": "arn:aws:iam::1:role/r"}),
    )
}

/// The record a template holds.
fn record_of(template: &Value) -> &Value {
    held(template).expect("a record")
}

/// Uninstrument, which must read the record.
fn undo(template: &Value) -> Undone {
    let undone = uninstrument(template).unwrap();
    assert!(undone.recorded);
    undone
}

#[test]
fn a_baked_function_is_given_back_and_its_record_names_each_change() {
    let baked = bake(&python(), &[]);
    let record = record_of(&baked);
    let ops: Vec<&str> = record["Fn"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        ops,
        [
            "/Properties/Handler",
            "/Properties/Layers",
            "/Properties/Environment",
            "/Properties/Tags"
        ]
    );
    assert_eq!(record["Fn"]["/Properties/Handler"]["Was"], "app.handler");
    let undone = undo(&baked);
    assert_eq!(undone.template, python());
    assert!(undone.warnings.is_empty(), "{:?}", undone.warnings);
}

#[test]
fn values_the_template_had_are_never_removed() {
    // Its own DD_SITE (the value Datadog would set), a variable, a layer, a tag.
    let before = function(json!({
        "Runtime": "python3.12", "Handler": "app.handler",
        "Layers": ["arn:aws:lambda:us-east-1:1:layer:mine:3"],
        "Environment": {"Variables": {"STAGE": "prod", "DD_SITE": "datadoghq.com"}},
        "Tags": [{"Key": "team", "Value": "a"}]
    }));
    let extension = [
        ("extensionLayerVersion", "99"),
        (
            "apiKeySecretArn",
            "arn:aws:secretsmanager:us-east-1:1:secret:k",
        ),
    ];
    let baked = bake(&before, &extension);
    let fn_record = &record_of(&baked)["Fn"];
    assert!(
        fn_record.get("/Properties/Layers/-").is_some(),
        "{fn_record}"
    );
    assert!(
        fn_record
            .get("/Properties/Environment/Variables/-")
            .is_some(),
        "{fn_record}"
    );
    assert!(fn_record.get("/Properties/Tags/-").is_some(), "{fn_record}");
    assert_eq!(undo(&baked).template, before);
}

#[test]
fn a_value_changed_after_the_bake_is_kept_with_a_warning() {
    let mut baked = bake(&python(), &[]);
    let props = &mut baked["Resources"]["Fn"]["Properties"];
    props["Handler"] = json!("other.handler");
    props["Environment"]["Variables"]["DD_SITE"] = json!("datadoghq.eu");
    let undone = undo(&baked);
    let props = &undone.template["Resources"]["Fn"]["Properties"];
    assert_eq!(props["Handler"], "other.handler");
    // Of the variables the transform added, only the changed one stays.
    assert_eq!(
        props["Environment"],
        json!({"Variables": {"DD_SITE": "datadoghq.eu"}})
    );
    assert!(props.get("Layers").is_none());
    assert_eq!(
        undone.warnings,
        [
            "Resources.Fn.Properties.Handler: changed after the bake, so it was kept (before the transform it was app.handler)",
            "Resources.Fn.Properties.Environment: 1 value the transform wrote there changed after the bake, so what it holds was kept (Variables.DD_SITE)",
        ]
    );
}

#[test]
fn what_the_user_adds_inside_what_the_transform_added_stays_quietly() {
    let mut baked = bake(&python(), &[]);
    let props = &mut baked["Resources"]["Fn"]["Properties"];
    props["Environment"]["Variables"]["MY_VAR"] = json!("1");
    props["Layers"]
        .as_array_mut()
        .unwrap()
        .push(json!("arn:aws:lambda:us-east-1:1:layer:mine:1"));
    let undone = undo(&baked);
    let props = &undone.template["Resources"]["Fn"]["Properties"];
    assert_eq!(props["Environment"], json!({"Variables": {"MY_VAR": "1"}}));
    assert_eq!(
        props["Layers"],
        json!(["arn:aws:lambda:us-east-1:1:layer:mine:1"])
    );
    assert!(undone.warnings.is_empty(), "{:?}", undone.warnings);
}

#[test]
fn a_secret_is_recorded_by_its_name_and_removed_whatever_it_became() {
    let key = "0123456789abcdef0123456789abcdef";
    let mut baked = bake(&python(), &[("apiKey", key)]);
    assert_eq!(
        baked["Resources"]["Fn"]["Properties"]["Environment"]["Variables"]["DD_API_KEY"],
        key
    );
    assert!(!record_of(&baked).to_string().contains(key));
    baked["Resources"]["Fn"]["Properties"]["Environment"]["Variables"]["DD_API_KEY"] =
        json!("rotated");
    let undone = undo(&baked);
    assert_eq!(undone.template, python());
    assert!(undone.warnings.is_empty(), "{:?}", undone.warnings);
}

#[test]
fn a_second_bake_keeps_the_earliest_value_before() {
    // The first bake pins a layer version, the second replaces it.
    let first = bake(&python(), &[("pythonLayerVersion", "100")]);
    let second = bake(&first, &[("pythonLayerVersion", "127")]);
    let layers = &second["Resources"]["Fn"]["Properties"]["Layers"];
    assert_eq!(
        layers,
        &json!(["arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Python312:127"])
    );
    let fn_record = &record_of(&second)["Fn"];
    assert!(!fn_record.to_string().contains(":100"), "{fn_record}");
    assert_eq!(fn_record["/Properties/Handler"]["Was"], "app.handler");
    assert_eq!(undo(&second).template, python());
    // Nothing more to add: the same record, the same template.
    assert_eq!(bake(&second, &[("pythonLayerVersion", "127")]), second);
}

#[test]
fn a_resource_the_transform_added_stays_while_referred_to_or_changed() {
    let forwarder = [("forwarderArn", "arn:aws:lambda:us-east-1:1:function:fwd")];
    let baked = bake(&python(), &forwarder);
    let added = record_of(&baked).as_object().unwrap();
    assert!(added["FnLogGroup"].is_string(), "{added:?}");
    let mut referred = baked.clone();
    referred["Outputs"] = json!({"Logs": {"Value": {"Ref": "FnLogGroup"}}});
    let undone = undo(&referred);
    let resources = undone.template["Resources"].as_object().unwrap();
    assert!(
        resources.contains_key("FnLogGroup") && !resources.contains_key("FnLogGroupSubscription")
    );
    assert_eq!(
        undone.warnings,
        [
            "Resources.FnLogGroup was added by the transform, but what the template keeps refers to it (Ref, Fn::GetAtt, Fn::Sub or DependsOn), so it was kept"
        ]
    );
    let mut changed = baked.clone();
    changed["Resources"]["FnLogGroup"]["Properties"]["RetentionInDays"] = json!(30);
    let undone = undo(&changed);
    assert!(undone.template["Resources"].get("FnLogGroup").is_some());
    assert_eq!(
        undone.warnings,
        [
            "Resources.FnLogGroup was added by the transform and changed after the bake, so it was kept"
        ]
    );
}

#[test]
fn the_record_goes_into_metadata_the_template_has_and_leaves_it_as_it_was() {
    let mut before = python();
    before["Metadata"] = json!({"AWS::CloudFormation::Interface": {"ParameterGroups": []}});
    let baked = bake(&before, &[]);
    let keys: Vec<&String> = baked["Metadata"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["AWS::CloudFormation::Interface", "DatadogServerless"]
    );
    assert_eq!(undo(&baked).template, before);
}

#[test]
fn without_a_change_or_a_record_nothing_is_written_or_removed() {
    let queue = json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}});
    assert_eq!(bake(&queue, &[]), queue);
    let undone = uninstrument(&python()).unwrap();
    assert!(!undone.recorded);
    assert_eq!(undone.template, python());
}

#[test]
fn an_unreadable_record_is_refused_naming_where() {
    let mut baked = bake(&python(), &[]);
    baked["Metadata"]["DatadogServerless"]["Added"]["Fn"]["/Properties/Layers"] = json!("not hex");
    let error = uninstrument(&baked).unwrap_err().to_string();
    assert!(
        error.starts_with("Metadata.DatadogServerless.Added at `Fn./Properties/Layers` is not a record of what the transform added"),
        "{error}"
    );
    baked["Metadata"]["DatadogServerless"]["Added"] = json!([]);
    assert!(uninstrument(&baked).is_err());
}

/// What no pass does today, the generic record still inverts: a value
/// removed, an item replaced that moved since.
#[test]
fn removed_values_come_back_and_a_replaced_item_is_found_where_it_moved() {
    let before = json!({"Resources": {"R": {"Type": "T", "Properties": {"Gone": {"a": 1}, "L": ["x", "old", "y"]}}}});
    let mut after =
        json!({"Resources": {"R": {"Type": "T", "Properties": {"L": ["x", "new", "y"]}}}});
    let record = diff::diff(&before, &after);
    let Change::Changed(ops) = &record.resources[0].1 else {
        panic!("{record:?}");
    };
    assert!(
        matches!(&ops[0], (at, Op::Removed { was }) if at == "/Properties/Gone" && was == &json!({"a": 1}))
    );
    assert!(matches!(&ops[1], (at, Op::Replaced { .. }) if at == "/Properties/L/1"));
    // The user put an item before the replaced one.
    after["Resources"]["R"]["Properties"]["L"] = json!(["first", "x", "new", "y"]);
    let mut warnings = Vec::new();
    undo::undo(&record, &mut after, &mut warnings);
    assert_eq!(
        after,
        json!({"Resources": {"R": {"Type": "T", "Properties": {"L": ["first", "x", "old", "y"], "Gone": {"a": 1}}}}})
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(Record::from_value(&record.to_value()).unwrap(), record);
}
