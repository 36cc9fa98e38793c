//! Warnings reach the people deploying a stack (issue 20), through the
//! deployed macro's answer (`handle-event`, run for real on each event):
//! for every kind of warning the transform gives, with `strict: true` the
//! answer is a failure whose `errorMessage` lists that warning, naming its
//! resource; without it the answer succeeds and its processed template
//! lists the warning in `Metadata.DatadogServerless.Warnings`, which a run
//! on that template does not grow. `strict` comes from every source a
//! parameter comes from; one bad value gives one message.

mod common;

use common::run_with_env;
use serde_json::{Value, json};

const ROLE: &str = "arn:aws:iam::123456789012:role/outside";
const FORWARDER: &str = "arn:aws:lambda:us-east-1:123456789012:function:DatadogForwarder";
const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dd-api-key-AbCdEf";

/// One kind of warning: the event's parameters and template, the region
/// (us-east-1 unless said), the resource it names (`None`: the
/// template) and words of its message.
struct Case {
    name: &'static str,
    params: Value,
    fragment: Value,
    region: &'static str,
    resource: Option<&'static str>,
    says: &'static str,
}

/// A Lambda function of `runtime` whose role is outside the template, with
/// `more` properties.
fn function(runtime: &str, more: Value) -> Value {
    let mut properties = json!({"Runtime": runtime, "Handler": "app.handler", "Role": ROLE,
        "Code": {"ZipFile": "x"}});
    properties
        .as_object_mut()
        .unwrap()
        .extend(more.as_object().unwrap().clone());
    json!({"Type": "AWS::Lambda::Function", "Properties": properties})
}

/// A state machine of `properties`.
fn machine(properties: Value) -> Value {
    json!({"Type": "AWS::StepFunctions::StateMachine", "Properties": properties})
}

/// A state machine role of the template.
fn role() -> Value {
    json!({"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}})
}

fn resources(resources: Value) -> Value {
    json!({"Resources": resources})
}

fn cases() -> Vec<Case> {
    let sfn = |more: Value| {
        let mut params = json!({"stepFunctionForwarderArn": FORWARDER, "exclude": ["F"]});
        params
            .as_object_mut()
            .unwrap()
            .extend(more.as_object().unwrap().clone());
        params
    };
    let definition = |states: Value| json!({"StartAt": "S", "States": states});
    let case = |name, params, fragment, resource, says| Case {
        name,
        params,
        fragment,
        region: "us-east-1",
        resource,
        says,
    };
    vec![
        case(
            "FIPS on a commercial site",
            json!({"lambdaFips": true}),
            resources(json!({})),
            None,
            "`lambdaFips` is true but the site is datadoghq.com",
        ),
        case(
            "App and API Protection where Datadog does not offer it",
            json!({"appSecMode": "tracer", "site": "us2.ddog-gov.com"}),
            resources(json!({})),
            None,
            "where Datadog does not offer App and API Protection",
        ),
        case(
            "an API key in plain text",
            json!({"apiKey": "0123456789abcdef0123456789abcdef"}),
            resources(json!({})),
            None,
            "the API key is given in plain text",
        ),
        case(
            "tags that cannot be split",
            json!({"tags": {"Fn::Sub": "team:${AWS::StackName}"}, "forwarderArn": FORWARDER}),
            resources(json!({})),
            None,
            "the `tags` parameter is the intrinsic function Fn::Sub",
        ),
        case(
            "an excluded id that names nothing",
            json!({"exclude": ["Fnction"]}),
            resources(json!({"Function": function("python3.12", json!({}))})),
            None,
            "did you mean `Function`?",
        ),
        Case {
            region: "xx-mars-9",
            ..case(
                "a region this macro does not list",
                json!({}),
                resources(json!({"T": {"Type": "AWS::SNS::Topic"}})),
                None,
                "region `xx-mars-9` is not an AWS region this macro knows",
            )
        },
        case(
            "a runtime Lambda does not know",
            json!({}),
            resources(json!({"F": function("pyhton3.12", json!({}))})),
            Some("F"),
            "did you mean python3.12?",
        ),
        case(
            "a role outside the template (X-Ray)",
            json!({"enableXrayTracing": true}),
            resources(json!({"F": function("python3.12", json!({}))})),
            Some("F"),
            "allow xray:PutTraceSegments and xray:PutTelemetryRecords",
        ),
        case(
            "a role outside the template (the API key secret)",
            json!({"apiKeySecretArn": SECRET}),
            resources(json!({"F": function("python3.12", json!({}))})),
            Some("F"),
            "allow secretsmanager:GetSecretValue",
        ),
        case(
            "SAM Policies as an intrinsic",
            json!({"apiKeySecretArn": SECRET}),
            resources(
                json!({"F": {"Type": "AWS::Serverless::Function", "Properties": {
                "Runtime": "python3.12", "Handler": "app.handler", "CodeUri": ".",
                "Policies": {"Fn::If": ["C", ["AWSLambdaBasicExecutionRole"], {"Ref": "AWS::NoValue"}]}}}}),
            ),
            Some("F"),
            "has Policies written as an intrinsic function",
        ),
        case(
            "a role's Policies as an intrinsic",
            json!({"enableXrayTracing": true}),
            resources(json!({
                "R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {},
                    "Policies": {"Fn::If": ["C", [], {"Ref": "AWS::NoValue"}]}}},
                "F": function("python3.12", json!({"Role": {"Fn::GetAtt": ["R", "Arn"]}})),
            })),
            Some("R"),
            "Role R has Policies written as an intrinsic function",
        ),
        case(
            "Tags that cannot be extended",
            json!({}),
            resources(
                json!({"F": function("python3.12", json!({"Tags": {"Fn::If": ["C", [], []]}}))}),
            ),
            Some("F"),
            "has Tags in a form that cannot be extended",
        ),
        case(
            "a parameter that loses to the template",
            json!({"env": "prod"}),
            resources(json!({"F": function("python3.12",
                json!({"Environment": {"Variables": {"DD_ENV": "staging"}}}))})),
            Some("F"),
            "keeps its DD_ENV \"staging\"",
        ),
        case(
            "no Handler",
            json!({}),
            resources(
                json!({"F": {"Type": "AWS::Lambda::Function", "Properties": {
                "Runtime": "python3.12", "Role": ROLE, "Code": {"ZipFile": "x"}}}}),
            ),
            Some("F"),
            "has no Handler, so it was not redirected",
        ),
        case(
            "a container image of unknown language",
            json!({}),
            resources(
                json!({"F": {"Type": "AWS::Lambda::Function", "Properties": {
                "PackageType": "Image", "Role": ROLE, "Code": {"ImageUri": "x"}}}}),
            ),
            Some("F"),
            "is a container image and its language is unknown",
        ),
        case(
            "DD_LAMBDA_HANDLER set by hand",
            json!({}),
            resources(json!({"F": function("python3.12",
                json!({"Environment": {"Variables": {"DD_LAMBDA_HANDLER": "mine.handler"}}}))})),
            Some("F"),
            "already sets DD_LAMBDA_HANDLER",
        ),
        case(
            "App and API Protection kept off by the function",
            json!({"appSecMode": "tracer"}),
            resources(json!({"F": function("python3.12",
                json!({"Environment": {"Variables": {"DD_APPSEC_ENABLED": "false"}}}))})),
            Some("F"),
            "so App and API Protection stays off for it",
        ),
        case(
            "App and API Protection on an OS-only runtime",
            json!({"appSecMode": "extension", "addExtension": true, "apiKeySecretArn": SECRET,
                "grantSecretReadAccess": false}),
            resources(json!({"F": function("provided.al2023", json!({}))})),
            Some("F"),
            "runs on an OS-only runtime (provided.al2023)",
        ),
        case(
            "a state machine whose logging is not a mapping",
            sfn(json!({})),
            resources(
                json!({"M": machine(json!({"RoleArn": {"Fn::GetAtt": ["R", "Arn"]},
                "LoggingConfiguration": {"Fn::If": ["C", {}, {}]},
                "Definition": definition(json!({"S": {"Type": "Pass", "End": true}}))})),
                "R": role()}),
            ),
            Some("M"),
            "its LoggingConfiguration is not a mapping",
        ),
        case(
            "a state machine logging to a group the macro cannot follow",
            sfn(json!({})),
            resources(
                json!({"M": machine(json!({"RoleArn": {"Fn::GetAtt": ["R", "Arn"]},
                "LoggingConfiguration": {"Destinations": [{"CloudWatchLogsLogGroup":
                    {"LogGroupArn": {"Ref": "LogGroupArn"}}}]},
                "Definition": definition(json!({"S": {"Type": "Pass", "End": true}}))})),
                "R": role()}),
            ),
            Some("M"),
            "was not subscribed to the Datadog Forwarder; subscribe it by hand",
        ),
        case(
            "a state machine role given as a plain ARN",
            sfn(json!({})),
            resources(json!({"M": machine(json!({"RoleArn": ROLE,
                "Definition": definition(json!({"S": {"Type": "Pass", "End": true}}))}))})),
            Some("M"),
            "its RoleArn is the ARN \"arn:aws:iam::123456789012:role/outside\", a role outside this template",
        ),
        case(
            "state machine Tags that cannot be extended",
            sfn(json!({})),
            resources(
                json!({"M": machine(json!({"RoleArn": {"Fn::GetAtt": ["R", "Arn"]},
                "Tags": {"Fn::If": ["C", [], []]},
                "Definition": definition(json!({"S": {"Type": "Pass", "End": true}}))})),
                "R": role()}),
            ),
            Some("M"),
            "its Tags is not a list, so the Datadog tags were not added",
        ),
        case(
            "a state machine without Properties",
            sfn(json!({})),
            resources(json!({"M": {"Type": "AWS::StepFunctions::StateMachine"}})),
            Some("M"),
            "State machine M has no Properties",
        ),
        case(
            "a definition in S3",
            sfn(json!({})),
            resources(
                json!({"M": machine(json!({"RoleArn": {"Fn::GetAtt": ["R", "Arn"]},
                "DefinitionS3Location": {"Bucket": "b", "Key": "k"}})), "R": role()}),
            ),
            Some("M"),
            "its definition is in S3",
        ),
        case(
            "a definition that is not JSON",
            sfn(json!({})),
            resources(
                json!({"M": machine(json!({"RoleArn": {"Fn::GetAtt": ["R", "Arn"]},
                "DefinitionString": "not json"})), "R": role()}),
            ),
            Some("M"),
            "its definition was left alone because it is not valid JSON",
        ),
        case(
            "a state whose payload cannot carry the trace context",
            sfn(json!({})),
            resources(
                json!({"M": machine(json!({"RoleArn": {"Fn::GetAtt": ["R", "Arn"]},
                "Definition": definition(json!({"S": {"Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "f", "Payload": "text"}, "End": true}}))})),
                "R": role()}),
            ),
            Some("M"),
            "state \"S\" was left alone because its `Payload` is not an object",
        ),
    ]
}

/// The event of a case, with `strict` when given.
fn event(case: &Case, strict: Option<bool>) -> Value {
    let mut params = case.params.clone();
    if let Some(strict) = strict {
        params["strict"] = json!(strict);
    }
    json!({"requestId": "r", "region": case.region, "accountId": "123456789012",
        "transformId": "123456789012::DatadogServerless", "params": params,
        "fragment": case.fragment, "templateParameterValues": {}})
}

/// The answer of `handle-event` to `event`, with the macro's environment `env`.
fn handle_event(event: &Value, env: &[(&str, &str)]) -> Value {
    let output = run_with_env(
        &["handle-event", "-"],
        env,
        serde_json::to_string(event).unwrap().as_bytes(),
    );
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("an answer is JSON")
}

/// The warnings an answer's processed template lists.
fn listed(answer: &Value) -> Vec<String> {
    let warnings = &answer["fragment"]["Metadata"]["DatadogServerless"]["Warnings"];
    warnings
        .as_array()
        .map(|w| w.iter().map(|w| w.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// The line of a case's warning among `lines`: it names the resource and
/// says what the case says.
fn line_of<'l>(case: &Case, lines: impl IntoIterator<Item = &'l str>) -> Option<&'l str> {
    lines
        .into_iter()
        .find(|line| line.contains(case.says) && case.resource.is_none_or(|id| line.contains(id)))
}

#[test]
fn every_warning_fails_under_strict_and_is_listed_in_the_processed_template_otherwise() {
    for case in cases() {
        let name = case.name;
        let answer = handle_event(&event(&case, None), &[]);
        assert_eq!(answer["status"], "success", "{name}: {answer}");
        let warnings = listed(&answer);
        let line = line_of(&case, warnings.iter().map(String::as_str))
            .unwrap_or_else(|| panic!("{name}: not in Metadata: {warnings:?}"))
            .to_string();
        assert_eq!(
            answer["fragment"]["Metadata"]["DatadogServerless"]["Version"],
            format!("v{}", dd_serverless_macro::VERSION),
            "{name}"
        );

        // The processed template run again: the entry does not grow.
        let mut again = event(&case, None);
        again["fragment"] = answer["fragment"].clone();
        let second = handle_event(&again, &[]);
        assert_eq!(second["status"], "success", "{name}");
        assert_eq!(
            second["fragment"]["Metadata"], answer["fragment"]["Metadata"],
            "{name}: a second run changed the Metadata"
        );

        let failed = handle_event(&event(&case, Some(true)), &[]);
        assert_eq!(failed["status"], "failure", "{name}: {failed}");
        assert_eq!(
            failed["fragment"], case.fragment,
            "{name}: the template as received"
        );
        let message = failed["errorMessage"].as_str().unwrap();
        let strict_lines: Vec<&str> = message
            .lines()
            .filter_map(|l| l.strip_prefix("warning: "))
            .collect();
        assert_eq!(
            strict_lines.len(),
            warnings.len(),
            "{name}: every warning, one per line: {message}"
        );
        assert_eq!(
            line_of(&case, strict_lines),
            Some(line.as_str()),
            "{name}: {message}"
        );
    }
}

#[test]
fn without_warnings_nothing_is_added_under_strict_or_not() {
    let fragment = resources(
        json!({"F": {"Type": "AWS::Lambda::Function", "Properties": {
        "Runtime": "python3.12", "Handler": "app.handler",
        "Role": {"Fn::GetAtt": ["R", "Arn"]}, "Code": {"ZipFile": "x"}}},
        "R": role()}),
    );
    let case = Case {
        name: "none",
        params: json!({}),
        fragment,
        region: "us-east-1",
        resource: None,
        says: "",
    };
    for strict in [None, Some(true)] {
        let answer = handle_event(&event(&case, strict), &[]);
        assert_eq!(answer["status"], "success", "{answer}");
        assert!(answer["fragment"].get("Metadata").is_none(), "{answer}");
    }
}

/// A template with one warning about function `F` (X-Ray on a role
/// outside the template) and `G`, another function, with its own `params`.
fn two_functions(params: Value, g_params: Option<Value>) -> Value {
    let mut g = function("python3.12", json!({"Role": {"Fn::GetAtt": ["R", "Arn"]}}));
    if let Some(own) = g_params {
        g["Metadata"] = json!({"Datadog": {"Parameters": own}});
    }
    json!({"requestId": "r", "region": "us-east-1", "params": params,
        "fragment": {"Resources": {"F": function("python3.12", json!({})), "G": g, "R": role()}}})
}

#[test]
fn strict_comes_from_every_source_of_a_parameter() {
    let xray = json!({"enableXrayTracing": true});
    let status = |event: &Value, env: &[(&str, &str)]| handle_event(event, env)["status"].clone();
    assert_eq!(status(&two_functions(xray.clone(), None), &[]), "success");
    // The transform entry.
    let mut params = xray.clone();
    params["strict"] = json!("true");
    assert_eq!(status(&two_functions(params, None), &[]), "failure");
    // The Mappings.
    let mut event = two_functions(xray.clone(), None);
    event["fragment"]["Mappings"] = json!({"Datadog": {"Parameters": {"strict": true}}});
    assert_eq!(status(&event, &[]), "failure");
    // The macro's environment, a site-wide default a stack may turn off.
    let site_wide = [("DD_STRICT", "true")];
    assert_eq!(
        status(&two_functions(xray.clone(), None), &site_wide),
        "failure"
    );
    let mut params = xray.clone();
    params["strict"] = json!(false);
    assert_eq!(status(&two_functions(params, None), &site_wide), "success");
    // A function's own Metadata: only the warnings about it.
    let own = Some(json!({"strict": true}));
    assert_eq!(
        status(&two_functions(xray.clone(), own.clone()), &[]),
        "success"
    );
    let mut f_own = two_functions(xray.clone(), None);
    f_own["fragment"]["Resources"]["F"]["Metadata"] =
        json!({"Datadog": {"Parameters": {"strict": true}}});
    assert_eq!(status(&f_own, &[]), "failure");
    // ... and one that turns it off for itself.
    let mut f_off = two_functions(xray, None);
    f_off["fragment"]["Resources"]["F"]["Metadata"] =
        json!({"Datadog": {"Parameters": {"strict": false}}});
    assert_eq!(status(&f_off, &site_wide), "success");
}

#[test]
fn the_strict_failure_lists_every_warning_one_per_line_naming_its_resource() {
    let event = two_functions(
        json!({"enableXrayTracing": true, "lambdaFips": true, "strict": true}),
        None,
    );
    let answer = handle_event(&event, &[]);
    assert_eq!(answer["status"], "failure");
    assert_eq!(
        answer["errorMessage"]
            .as_str()
            .unwrap()
            .lines()
            .collect::<Vec<_>>(),
        [
            "`strict` is true, so these 2 warnings fail the transform (`strict: false` lets it succeed, the warnings listed in the processed template's Metadata.DatadogServerless.Warnings):",
            "warning: `lambdaFips` is true but the site is datadoghq.com; FIPS endpoints exist only for ddog-gov.com.",
            "warning: Resource F's role is not defined in this template, so X-Ray tracing could not be granted: allow xray:PutTraceSegments and xray:PutTelemetryRecords on * in that role by hand.",
        ]
    );
}

#[test]
fn no_secret_in_the_processed_template_or_the_failure() {
    let key = "0123456789abcdef0123456789abcdef";
    let mut event = two_functions(json!({"env": "prod"}), None);
    event["fragment"]["Resources"]["F"]["Properties"]["Environment"] =
        json!({"Variables": {"DD_ENV": "staging", "DD_API_KEY": key}});
    event["params"]["apiKey"] = json!("fedcba9876543210fedcba9876543210");
    for strict in [false, true] {
        event["params"]["strict"] = json!(strict);
        let answer = handle_event(&event, &[]);
        let shown = format!(
            "{} {}",
            answer["fragment"]["Metadata"], answer["errorMessage"]
        );
        assert!(shown.contains("DD_API_KEY"), "{shown}");
        assert!(
            !shown.contains(key) && !shown.contains("fedcba9876543210fedcba9876543210"),
            "{shown}"
        );
    }
}

#[test]
fn one_bad_value_gives_one_error_in_the_answer() {
    // Issue 20's example: not an ARN, so not also "no API key".
    let event = json!({"requestId": "r", "region": "us-east-1",
        "params": {"apiKeySecretArn": "some-resource:from:aws:secrets-manager:arn", "extensionLayerVersion": 99},
        "fragment": {"Resources": {"F": function("python3.12", json!({}))}}});
    let answer = handle_event(&event, &[]);
    assert_eq!(answer["status"], "failure");
    let message = answer["errorMessage"].as_str().unwrap();
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.starts_with("parameter `apiKeySecretArn` must be an ARN"),
        "{message}"
    );
}
