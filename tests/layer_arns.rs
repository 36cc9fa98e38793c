//! The layer ARNs the transform writes are ones Datadog publishes (issue
//! 19): each row of the issue's first table, the errors that replace an ARN
//! that would not exist (and the remedies they name, each run here), where
//! the report says a version came from, and layers the template already
//! pins (issue 16, items 6 and 7). The whole table of runtimes ×
//! architectures × regions is in tests/published_layers.rs.

use dd_serverless_macro::internals::{Architecture, Secrets, partition_of, published, report_json};
use dd_serverless_macro::report::Change;
use dd_serverless_macro::{MacroEnvironment, MacroRequest, Report, handle_with_report};
use serde_json::{Value, json};

const SECRET_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dd-api-key-AbCdEf";
const DD: &str = "464622532012";

/// What one transform gave.
struct Run {
    fragment: Option<Value>,
    report: Report,
}

impl Run {
    /// The layers of function `id`; panics when the transform failed.
    #[track_caller]
    fn layers(&self, id: &str) -> Vec<String> {
        let Some(fragment) = &self.fragment else {
            panic!("the transform failed: {}", self.errors());
        };
        fragment["Resources"][id]["Properties"]["Layers"]
            .as_array()
            .map(|layers| {
                layers
                    .iter()
                    .map(|l| l.as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every error message, one per line.
    fn errors(&self) -> String {
        let messages: Vec<&str> = self.report.errors().map(|d| d.message.as_str()).collect();
        messages.join("\n")
    }

    /// The one error; panics unless there is exactly one.
    #[track_caller]
    fn error(&self) -> String {
        let errors: Vec<_> = self.report.errors().collect();
        assert_eq!(errors.len(), 1, "{}", self.errors());
        errors[0].message.clone()
    }
}

/// A function on `runtime` and `arch`, with `extra` properties.
fn function(runtime: &str, arch: &str, extra: Value) -> Value {
    let mut properties = json!({
        "Runtime": runtime,
        "Architectures": [arch],
        "Handler": "app.handler",
        "Role": "arn:aws:iam::123456789012:role/r",
        "Code": {"S3Bucket": "b", "S3Key": "k"}
    });
    for (key, value) in extra.as_object().unwrap() {
        properties[key] = value.clone();
    }
    json!({"Type": "AWS::Lambda::Function", "Properties": properties})
}

/// The transform of `resources` in `region` with `params`.
fn transform(region: &str, params: Value, resources: Value) -> Run {
    let request = MacroRequest {
        region: region.into(),
        account_id: "123456789012".into(),
        fragment: json!({"Resources": resources}),
        transform_id: "123456789012::DatadogServerless".into(),
        params: params.as_object().unwrap().clone(),
        request_id: "layer-arns".into(),
        template_parameter_values: Default::default(),
    };
    let (response, report) = handle_with_report(request, &MacroEnvironment::default());
    Run {
        fragment: response.is_success().then_some(response.fragment),
        report,
    }
}

/// One function `F` on `runtime` and `arch`.
fn one(region: &str, runtime: &str, arch: &str, params: Value) -> Run {
    transform(
        region,
        params,
        json!({"F": function(runtime, arch, json!({}))}),
    )
}

fn arn(region: &str, name: &str, version: u64) -> String {
    format!("arn:aws:lambda:{region}:{DD}:layer:{name}:{version}")
}

/// The Extension on, with the API key it needs.
fn extension_on() -> Value {
    json!({"addExtension": true, "apiKeySecretArn": SECRET_ARN})
}

// ---------------------------------------------------------------- issue 19

/// Rows 1–3 and 4: retired runtimes get their last version, not the
/// bundled default, with a note; ruby2.7 and nodejs8.10 get their layer.
#[test]
fn retired_runtimes_get_their_last_layer_version() {
    let rows = [
        ("python3.7", "x86_64", "Datadog-Python37", 85, "Python 3.7"),
        ("python3.6", "x86_64", "Datadog-Python36", 60, "Python 3.6"),
        ("python2.7", "x86_64", "Datadog-Python27", 49, "Python 2.7"),
        (
            "nodejs16.x",
            "x86_64",
            "Datadog-Node16-x",
            120,
            "Node.js 16",
        ),
        ("nodejs14.x", "arm64", "Datadog-Node14-x", 105, "Node.js 14"),
        ("nodejs12.x", "x86_64", "Datadog-Node12-x", 88, "Node.js 12"),
        ("nodejs10.x", "x86_64", "Datadog-Node10-x", 59, "Node.js 10"),
        (
            "nodejs8.10",
            "x86_64",
            "Datadog-Node8-10",
            18,
            "Node.js 8.10",
        ),
        ("ruby2.7", "x86_64", "Datadog-Ruby2-7", 22, "Ruby 2.7"),
        ("ruby2.7", "arm64", "Datadog-Ruby2-7-ARM", 22, "Ruby 2.7"),
    ];
    for (runtime, arch, name, last, title) in rows {
        let run = one("us-east-1", runtime, arch, json!({}));
        assert_eq!(
            run.layers("F"),
            [arn("us-east-1", name, last)],
            "{runtime} {arch}"
        );
        assert_eq!(
            run.report.notes,
            [format!("{runtime}: Datadog's last {title} layer is {last}")]
        );
        assert!(
            run.report.defaults_used.is_empty(),
            "{:?}",
            run.report.defaults_used
        );
    }
}

/// The bundled defaults are the newest versions published: Ruby's is 29
/// (there is no Ruby 30), and a region that lags gets its own newest
/// (ARM-FIPS Extension 98 in me-central-1).
#[test]
fn bundled_defaults_are_the_newest_published_there() {
    let ruby = one("eu-west-1", "ruby3.3", "x86_64", json!({}));
    assert_eq!(ruby.layers("F"), [arn("eu-west-1", "Datadog-Ruby3-3", 29)]);
    assert_eq!(ruby.report.defaults_used, ["rubyLayerVersion=29"]);

    let mut fips = extension_on();
    fips["lambdaFips"] = json!(true);
    fips["site"] = json!("ddog-gov.com");
    for (region, version) in [("me-central-1", 98), ("eu-west-1", 99)] {
        let run = one(region, "python3.12", "arm64", fips.clone());
        let layers = run.layers("F");
        assert_eq!(
            layers[1],
            arn(region, "Datadog-Extension-ARM-FIPS", version)
        );
    }
    let lagging = one("me-central-1", "python3.12", "arm64", fips);
    assert!(
        lagging.report.defaults_used.contains(
            &"extensionLayerVersion=98 (Datadog-Extension-ARM-FIPS in me-central-1)".to_string()
        ),
        "{:?}",
        lagging.report.defaults_used
    );
}

/// Row 5: a layer Datadog does not publish in the stack's region is an
/// error naming the region, the layer and the remedies.
#[test]
fn layers_not_published_in_the_region_are_errors() {
    let cases = [
        (
            "ap-east-2",
            "ruby3.3",
            "x86_64",
            "Datadog-Ruby3-3",
            "rubyLayer",
        ),
        (
            "ap-southeast-6",
            "ruby3.4",
            "arm64",
            "Datadog-Ruby3-4-ARM",
            "rubyLayer",
        ),
        (
            "ap-east-2",
            "java21",
            "x86_64",
            "dd-trace-java",
            "javaLayer",
        ),
        (
            "ap-southeast-6",
            "dotnet8",
            "arm64",
            "dd-trace-dotnet-ARM",
            "dotnetLayer",
        ),
        (
            "me-central-1",
            "ruby4.0",
            "x86_64",
            "Datadog-Ruby4-0",
            "rubyLayer",
        ),
        (
            "ca-west-1",
            "python3.7",
            "x86_64",
            "Datadog-Python37",
            "pythonLayer",
        ),
        (
            "mx-central-1",
            "nodejs16.x",
            "x86_64",
            "Datadog-Node16-x",
            "nodeLayer",
        ),
        (
            "me-south-1",
            "python3.12",
            "x86_64",
            "Datadog-Python312",
            "pythonLayer",
        ),
    ];
    for (region, runtime, arch, name, param) in cases {
        let run = one(region, runtime, arch, json!({}));
        assert!(run.fragment.is_none(), "{runtime} in {region}");
        let message = run.error();
        for part in [
            "Resource F cannot get the".to_string(),
            format!("({name}) in region {region}: Datadog does not publish {name} there"),
            format!("`useLayersFromAccount` with `{param}Version`"),
            format!("`{param}Arn`"),
            "`addLayers: false`".to_string(),
            "add F to the `exclude` parameter".to_string(),
        ] {
            assert!(message.contains(&part), "{part:?} not in: {message}");
        }
    }
    // Of the commercial regions where the Extension is published, the
    // seven newer ones without python3.7, the four without nodejs16.x.
    let regions: Vec<&str> = published::extension(Architecture::X86_64, false)
        .regions()
        .map(|(region, _)| region)
        .filter(|region| partition_of(region) == "aws")
        .collect();
    assert_eq!(regions.len(), 33);
    let failing = |runtime: &str| {
        regions
            .iter()
            .filter(|region| one(region, runtime, "x86_64", json!({})).fragment.is_none())
            .count()
    };
    assert_eq!(failing("python3.7"), 7);
    assert_eq!(failing("nodejs16.x"), 4);
    assert_eq!(failing("python3.12"), 0);
}

/// With `useLayersFromAccount` or a layer ARN, the table is not consulted:
/// the user's copies exist where they put them.
#[test]
fn own_copies_are_not_checked_against_the_table() {
    let own = one(
        "ap-east-2",
        "ruby3.3",
        "x86_64",
        json!({"useLayersFromAccount": "123456789012", "rubyLayerVersion": 31}),
    );
    assert_eq!(
        own.layers("F"),
        ["arn:aws:lambda:ap-east-2:123456789012:layer:Datadog-Ruby3-3:31"]
    );
    let by_arn = "arn:aws:lambda:ap-east-2:123456789012:layer:my-ruby:4";
    let run = one(
        "ap-east-2",
        "ruby3.3",
        "x86_64",
        json!({"rubyLayerArn": by_arn}),
    );
    assert_eq!(run.layers("F"), [by_arn]);
    // Above the last version of a retired runtime: their copy, their versions.
    let old = one(
        "us-east-1",
        "python3.7",
        "x86_64",
        json!({"useLayersFromAccount": "123456789012", "pythonLayerVersion": 127}),
    );
    assert_eq!(
        old.layers("F"),
        ["arn:aws:lambda:us-east-1:123456789012:layer:Datadog-Python37:127"]
    );
}

/// A version given above a retired runtime's last one is an error naming
/// the function, the runtime and the last version; one at or below it is used.
#[test]
fn explicit_versions_above_a_runtimes_last_are_errors() {
    let run = one(
        "us-east-1",
        "python3.7",
        "x86_64",
        json!({"pythonLayerVersion": 106}),
    );
    let message = run.error();
    for part in [
        "Resource F runs python3.7",
        "Datadog-Python37:85",
        "`pythonLayerVersion` 106",
    ] {
        assert!(message.contains(part), "{part:?} not in: {message}");
    }
    // One region lags: Node.js 14's last there is 104.
    let lagging = one(
        "eu-north-1",
        "nodejs14.x",
        "x86_64",
        json!({"nodeLayerVersion": 105}),
    );
    assert!(
        lagging
            .error()
            .contains("in eu-north-1 is Datadog-Node14-x:104")
    );

    let run = one(
        "us-east-1",
        "python3.7",
        "x86_64",
        json!({"pythonLayerVersion": 80}),
    );
    assert_eq!(run.layers("F"), [arn("us-east-1", "Datadog-Python37", 80)]);
    assert!(run.report.notes.is_empty());
    // A current runtime: a version newer than the table knows is the user's call.
    let run = one(
        "us-east-1",
        "python3.12",
        "x86_64",
        json!({"pythonLayerVersion": 200}),
    );
    assert_eq!(
        run.layers("F"),
        [arn("us-east-1", "Datadog-Python312", 200)]
    );
}

/// Row 6: the Extension on a runtime without the Lambda Extensions API is
/// an error sending the function to the Forwarder or `exclude`; both work.
#[test]
fn the_extension_needs_the_extensions_api() {
    for runtime in ["python3.6", "python2.7", "nodejs8.10", "go1.x", "java8"] {
        let run = one("us-east-1", runtime, "x86_64", extension_on());
        let message = run.error();
        for part in [
            format!("Resource F runs {runtime}, which has no Lambda Extensions API"),
            "`forwarderArn`".to_string(),
            "add F to the `exclude` parameter".to_string(),
        ] {
            assert!(message.contains(&part), "{part:?} not in: {message}");
        }
    }
    // The remedies, beside a function that keeps the Extension.
    let forwarder = "arn:aws:lambda:us-east-1:123456789012:function:DatadogForwarder";
    let resources = json!({
        "Old": function("python3.6", "x86_64", json!({})),
        "New": function("python3.12", "x86_64", json!({})),
    });
    let mut excluded = extension_on();
    excluded["exclude"] = json!(["Old"]);
    let run = transform("us-east-1", excluded, resources.clone());
    assert_eq!(run.layers("Old"), Vec::<String>::new());
    assert_eq!(run.layers("New").len(), 2);

    let mut resources = resources;
    resources["Old"]["Metadata"] =
        json!({"Datadog": {"Parameters": {"addExtension": false, "forwarderArn": forwarder}}});
    let run = transform("us-east-1", extension_on(), resources);
    assert_eq!(
        run.layers("Old"),
        [arn("us-east-1", "Datadog-Python36", 60)]
    );
    assert_eq!(run.layers("New").len(), 2);
    let subscribed = run.fragment.unwrap()["Resources"]
        .as_object()
        .unwrap()
        .values()
        .any(|r| {
            r["Type"] == "AWS::Logs::SubscriptionFilter"
                && r["Properties"]["DestinationArn"] == forwarder
        });
    assert!(subscribed, "Old's logs go to the Forwarder");
}

/// python3.7 on arm64: Datadog never built it.
#[test]
fn a_layer_never_built_for_the_architecture_is_an_error() {
    let run = one("us-east-1", "python3.7", "arm64", json!({}));
    assert!(
        run.error()
            .contains("Datadog publishes no arm64 Python layer for python3.7")
    );
}

/// Item 4: the report says where each version came from.
#[test]
fn the_report_says_where_each_version_came_from() {
    let resources = json!({
        "Given": function("python3.12", "x86_64", json!({})),
        "Default": function("nodejs22.x", "x86_64", json!({})),
        "Last": function("nodejs16.x", "x86_64", json!({})),
    });
    let run = transform("us-east-1", json!({"pythonLayerVersion": 120}), resources);
    let json = report_json::to_value(&run.report, &Secrets::default());
    let layer_of = |id: &str| {
        let resource = json["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["logicalId"] == id)
            .unwrap();
        resource["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "layerAdded")
            .unwrap()
            .clone()
    };
    assert_eq!(layer_of("Given")["versionFrom"], "parameter");
    assert_eq!(layer_of("Given")["bundledDefault"], false);
    assert_eq!(layer_of("Default")["versionFrom"], "bundledDefault");
    assert_eq!(
        layer_of("Default")["source"],
        "bundled default nodeLayerVersion=142"
    );
    assert_eq!(layer_of("Last")["versionFrom"], "runtimeLast");
    assert_eq!(layer_of("Last")["bundledDefault"], true);
    assert_eq!(
        json["notes"],
        json!(["nodejs16.x: Datadog's last Node.js 16 layer is 120"])
    );

    let text = dd_serverless_macro::internals::render(&run.report, &Secrets::default());
    for line in [
        "Datadog-Python312:120 [parameter pythonLayerVersion (transform parameter)]",
        "Datadog-Node22-x:142 [bundled default nodeLayerVersion=142]",
        "Datadog-Node16-x:120 [nodejs16.x's last version (the bundled default nodeLayerVersion=142 does not exist for it)]",
        "Notes:\n  nodejs16.x: Datadog's last Node.js 16 layer is 120",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
}

// --------------------------------------------------------- issue 16, item 6

/// A Datadog layer the template pins: a bundled default keeps it, a
/// version or ARN given replaces it.
#[test]
fn a_pinned_layer_is_replaced_only_by_a_version_given() {
    let pinned = arn("us-east-1", "Datadog-Python312", 106);
    let copy = "arn:aws:lambda:us-east-1:123456789012:layer:Datadog-Python312:3";
    let resources = json!({
        "Pinned": function("python3.12", "x86_64", json!({"Layers": [pinned]})),
        "Copy": function("python3.12", "x86_64", json!({"Layers": [copy]})),
    });
    let run = transform("us-east-1", json!({}), resources.clone());
    assert_eq!(run.layers("Pinned"), std::slice::from_ref(&pinned));
    assert_eq!(run.layers("Copy"), [copy]);
    assert!(
        run.report.defaults_used.is_empty(),
        "no default was written"
    );
    let kept = run
        .report
        .resources
        .iter()
        .find(|r| r.logical_id == "Pinned")
        .unwrap();
    assert!(
        kept.changes
            .iter()
            .any(|c| matches!(c, Change::LayerKept { arn, .. } if *arn == pinned))
    );

    let run = transform(
        "us-east-1",
        json!({"pythonLayerVersion": 127}),
        resources.clone(),
    );
    assert_eq!(
        run.layers("Pinned"),
        [arn("us-east-1", "Datadog-Python312", 127)]
    );
    let replaced = run
        .report
        .resources
        .iter()
        .find(|r| r.logical_id == "Pinned")
        .unwrap();
    assert!(
        replaced
            .changes
            .iter()
            .any(|c| matches!(c, Change::LayerReplaced { old, .. } if *old == pinned))
    );

    let given = "arn:aws:lambda:us-east-1:123456789012:layer:Datadog-Python312:4";
    let run = transform("us-east-1", json!({"pythonLayerArn": given}), resources);
    assert_eq!(
        run.layers("Pinned"),
        [given],
        "Datadog's layer replaced by the ARN given"
    );
    assert_eq!(
        run.layers("Copy"),
        [given],
        "the user's copy replaced by the ARN given"
    );
}

/// SAM: a layer pinned in `Globals.Function.Layers` is kept too.
#[test]
fn a_layer_pinned_in_sam_globals_is_kept() {
    let pinned = arn("us-east-1", "Datadog-Node20-x", 130);
    let request = MacroRequest {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        fragment: json!({
            "Transform": "AWS::Serverless-2016-10-31",
            "Globals": {"Function": {"Layers": [pinned]}},
            "Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {
                "Runtime": "nodejs20.x", "Handler": "index.handler", "CodeUri": "."}}}
        }),
        transform_id: "123456789012::DatadogServerless".into(),
        params: Default::default(),
        request_id: "globals".into(),
        template_parameter_values: Default::default(),
    };
    let (response, _) = handle_with_report(request, &MacroEnvironment::default());
    assert!(response.is_success());
    let layers = &response.fragment["Resources"]["F"]["Properties"]["Layers"];
    assert!(
        layers.is_null(),
        "nothing added beside the pinned layer: {layers}"
    );
}

// --------------------------------------------------------- issue 16, item 7

/// The backticked names of a message (`useLayersFromAccount`, ...).
fn named(message: &str) -> Vec<String> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|name| name.split(':').next().unwrap().to_string())
        .collect()
}

/// In China, each layer's error lists only remedies that work; each is run
/// here in cn-north-1 and succeeds. The Extension's does not offer
/// `addLayers: false`, which does not remove it.
#[test]
fn china_errors_list_only_remedies_that_work() {
    let region = "cn-north-1";
    let mut params = extension_on();
    let run = one(region, "python3.12", "x86_64", params.clone());
    let errors: Vec<String> = run.report.errors().map(|d| d.message.clone()).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    let (library, extension) = (&errors[0], &errors[1]);
    assert!(library.contains("(Datadog-Python312) in region cn-north-1: Datadog publishes no layers in the aws-cn partition"));
    assert!(extension.contains("(Datadog-Extension) in region cn-north-1"));
    assert_eq!(
        named(library),
        [
            "useLayersFromAccount",
            "pythonLayerVersion",
            "pythonLayerArn",
            "addLayers",
            "exclude"
        ]
    );
    assert_eq!(
        named(extension),
        [
            "useLayersFromAccount",
            "extensionLayerVersion",
            "extensionLayerArn",
            "exclude"
        ]
    );

    let own = "arn:aws-cn:lambda:cn-north-1:123456789012:layer";
    // useLayersFromAccount with the versions: both layers from the user's account.
    params["useLayersFromAccount"] = json!("123456789012");
    params["pythonLayerVersion"] = json!(127);
    params["extensionLayerVersion"] = json!(99);
    let run = one(region, "python3.12", "x86_64", params);
    assert_eq!(
        run.layers("F"),
        [
            format!("{own}:Datadog-Python312:127"),
            format!("{own}:Datadog-Extension:99")
        ]
    );
    // The ARNs of the user's copies.
    let mut params = extension_on();
    params["pythonLayerArn"] = json!(format!("{own}:dd-python:1"));
    params["extensionLayerArn"] = json!(format!("{own}:dd-extension:2"));
    let run = one(region, "python3.12", "x86_64", params);
    assert_eq!(
        run.layers("F"),
        [
            format!("{own}:dd-python:1"),
            format!("{own}:dd-extension:2")
        ]
    );
    // addLayers: false, without the Extension.
    let run = one(region, "python3.12", "x86_64", json!({"addLayers": false}));
    assert_eq!(run.layers("F"), Vec::<String>::new());
    // exclude.
    let mut params = extension_on();
    params["exclude"] = json!(["F"]);
    let run = one(region, "python3.12", "x86_64", params);
    assert_eq!(run.layers("F"), Vec::<String>::new());
    // And what does not work is not offered: addLayers: false keeps the
    // Extension's error.
    let mut params = extension_on();
    params["addLayers"] = json!(false);
    let run = one(region, "python3.12", "x86_64", params);
    assert_eq!(run.errors(), *extension);
}
