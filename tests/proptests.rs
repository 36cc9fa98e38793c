//! Property tests: generated templates (random resources and property trees,
//! runtimes and architectures that may be intrinsics, `Layers` of every
//! shape, environments, tags, parameter sets, regions and macro
//! environments) against the rules every transform must keep, checked on
//! the production entry ([`answer`]: the event's bytes in, the answer's
//! bytes out), which turns a panic into an internal error the rules refuse.
//!
//! 256 cases per property under plain `cargo test`, 2,000 under
//! `scripts/test` (which sets `PROPTEST_CASES`); `PROPTEST_CASES=N cargo test
//! --test proptests` runs N. A failing case is shrunk and saved in
//! `tests/proptests.proptest-regressions`, which is replayed first next time.

use dd_serverless_macro::internals::{is_datadog_handler, is_intrinsic};
use dd_serverless_macro::{
    MacroEnvironment, MacroRequest, MacroResponse, answer, handle_with_report,
};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError};
use serde_json::{Map, Value, json};

/// Cases per property: `PROPTEST_CASES` when set, else 256.
fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    Config {
        cases,
        ..Config::default()
    }
}

const LAMBDA: &str = "AWS::Lambda::Function";
const SERVERLESS: &str = "AWS::Serverless::Function";
const STATE_MACHINES: &[&str] = &[
    "AWS::StepFunctions::StateMachine",
    "AWS::Serverless::StateMachine",
];

const RUNTIMES: &[&str] = &[
    "python3.12",
    "python3.8",
    "python3.7",
    "python2.7",
    "python3.15",
    "nodejs20.x",
    "nodejs24.x",
    "nodejs19.x",
    "java21",
    "java8.al2",
    "dotnet8",
    "dotnet6",
    "ruby3.3",
    "ruby4.0",
    "provided.al2023",
    "provided",
    "go1.x",
    "",
    "PYTHON3.12",
];

/// `prop_oneof!` that generates every branch and keeps one, by weight:
/// proptest's union clones the test runner for each branch it does not
/// take, which made it the slowest part of generating a template.
macro_rules! one_of {
    ($($w:expr => $s:expr),+ $(,)?) => {{
        let weights: Vec<u32> = vec![$($w),+];
        let total: u32 = weights.iter().sum();
        let branches = vec![$(($s).boxed()),+];
        (0..total, branches).prop_map(move |(mut r, mut values)| {
            let mut i = 0;
            while r >= weights[i] {
                r -= weights[i];
                i += 1;
            }
            values.swap_remove(i)
        })
    }};
    ($($s:expr),+ $(,)?) => { one_of![$(1 => $s),+] };
}

// ----- generic JSON -------------------------------------------------------------------------

/// Characters of generated text (regex strategies are slow to generate from).
const CHARS: &[char] = &[
    'a', 'b', 'z', 'A', 'Q', 'Z', '0', '7', '_', ':', '.', '/', ' ', '-', '$', '{', '}', '"', '\\',
    '\n', 'é', '😀',
];
const UPPER: &[char] = &['A', 'D', 'K', 'Z', '_', 'L'];
const LOWER: &[char] = &['a', 'e', 'k', 'z', 's'];

fn chars(set: &'static [char], len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(select(set), len).prop_map(String::from_iter)
}

fn text() -> impl Strategy<Value = String> {
    chars(CHARS, 0..10)
}

/// A random property tree: scalars, lists, objects and intrinsics, built
/// from a seed (proptest's own recursive strategies cost a millisecond a value).
fn tree() -> BoxedStrategy<Value> {
    any::<u64>()
        .prop_map(|seed| grow(&mut Seed(seed | 1), 3))
        .boxed()
}

/// A xorshift generator for [`grow`].
struct Seed(u64);

impl Seed {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }

    fn word(&mut self) -> String {
        let len = self.next(6) as usize;
        (0..len)
            .map(|_| CHARS[self.next(CHARS.len() as u64) as usize])
            .collect()
    }
}

fn grow(seed: &mut Seed, depth: u32) -> Value {
    let kind = if depth == 0 {
        seed.next(5)
    } else {
        seed.next(12)
    };
    match kind {
        0 => Value::Null,
        1 => Value::Bool(seed.next(2) == 0),
        2 => json!(seed.next(2000) as i64 - 1000),
        3 => json!(seed.next(1000) as f64 / 7.0),
        4 => Value::String(seed.word()),
        5 | 6 => Value::Array((0..seed.next(4)).map(|_| grow(seed, depth - 1)).collect()),
        7 | 8 => Value::Object(
            (0..seed.next(4))
                .map(|_| (seed.word(), grow(seed, depth - 1)))
                .collect(),
        ),
        9 => {
            let target = ["X", "Stage", "AWS::NoValue", "AWS::Region"][seed.next(4) as usize];
            json!({ "Ref": target })
        }
        10 => json!({"Fn::If": ["Cond", grow(seed, depth - 1), grow(seed, depth - 1)]}),
        _ => {
            let name = [
                "Fn::Sub",
                "Fn::GetAtt",
                "Fn::Join",
                "Fn::FindInMap",
                "Fn::Select",
            ][seed.next(5) as usize];
            json!({name: grow(seed, depth - 1)})
        }
    }
}

/// `None` one time in four.
fn maybe<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    often(1, 3, s)
}

/// `None` `none` times in `none + some`.
fn often<T: std::fmt::Debug + Clone + 'static>(
    none: u32,
    some: u32,
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    (0..none + some, s)
        .prop_map(move |(r, v)| (r >= none).then_some(v))
        .boxed()
}

/// One of `values`, each as often as its weight (`prop_oneof!` of `Just`s
/// costs several times more to generate).
fn pick(values: Vec<(usize, Value)>) -> impl Strategy<Value = Value> {
    select(
        values
            .into_iter()
            .flat_map(|(weight, v)| std::iter::repeat_n(v, weight))
            .collect::<Vec<_>>(),
    )
}

// ----- function properties ------------------------------------------------------------------

fn runtime() -> impl Strategy<Value = Value> {
    one_of![
        27 => pick(
            RUNTIMES
                .iter()
                .map(|r| (2, json!(r)))
                .chain([(4, json!({"Ref": "RuntimeParam"})), (2, json!({"Ref": "Unknown"}))])
                .collect()
        ),
        1 => tree(),
    ]
}

fn architectures() -> impl Strategy<Value = Value> {
    one_of![
        21 => pick(vec![
            (8, json!(["x86_64"])),
            (8, json!(["arm64"])),
            (2, json!([{"Ref": "ArchParam"}])),
            (1, json!(["mips"])),
            (1, json!("arm64")),
            (1, json!([])),
        ]),
        1 => tree(),
    ]
}

fn handler() -> impl Strategy<Value = Value> {
    one_of![
        8 => (chars(LOWER, 1..5), chars(LOWER, 1..5)).prop_map(|(a, b)| json!(format!("{a}.{b}"))),
        2 => pick(vec![
            (1, json!("datadog_lambda.handler.handler")),
            (1, json!("/opt/nodejs/node_modules/datadog-lambda-js/handler.handler")),
        ]),
        1 => tree(),
    ]
}

fn layer_item() -> impl Strategy<Value = Value> {
    one_of![
        6 => pick(vec![
            (1, json!("arn:aws:lambda:us-east-1:123456789012:layer:mine:3")),
            (1, json!("arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Python312:100")),
            (1, json!("arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Node20-x:1")),
            (1, json!("arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Extension:10")),
            (1, json!({"Ref": "LayerParam"})),
            (1, json!({"Fn::Sub": "arn:aws:lambda:${AWS::Region}:1:layer:x:1"})),
        ]),
        1 => text().prop_map(Value::String),
    ]
}

/// `Layers`: lists, `Fn::If` nests of lists (or `AWS::NoValue`), a `Ref`, garbage.
fn layers() -> impl Strategy<Value = Value> {
    let list = || prop::collection::vec(layer_item(), 0..4).prop_map(Value::Array);
    (0..16u32, list(), list(), list(), tree()).prop_map(|(shape, a, b, c, t)| match shape {
        0..=7 => a,
        8 | 9 => json!({"Fn::If": ["Cond", a, b]}),
        10 => json!({"Fn::If": ["Cond", {"Ref": "AWS::NoValue"}, a]}),
        11 => json!({"Fn::If": ["A", {"Fn::If": ["B", a, b]}, c]}),
        12 => json!({"Fn::If": ["Cond", a, "garbage"]}),
        13 => json!({"Ref": "LayerList"}),
        14 => json!({"Ref": "AWS::NoValue"}),
        _ => t,
    })
}

fn env_name() -> impl Strategy<Value = String> {
    one_of![
        chars(UPPER, 1..6),
        select(
            &[
                "DD_LOG_LEVEL",
                "DD_SITE",
                "DD_TRACE_ENABLED",
                "DD_LAMBDA_HANDLER",
                "DD_MERGE_XRAY_TRACES",
                "DD_API_KEY",
                "DD_FLUSH_TO_LOG",
                "DD_SERVICE",
                "AWS_LAMBDA_EXEC_WRAPPER",
            ][..]
        )
        .prop_map(str::to_string),
    ]
}

fn env_value() -> impl Strategy<Value = Value> {
    one_of![
        4 => text().prop_map(Value::String),
        4 => pick(vec![
            (1, json!(42)),
            (1, json!(true)),
            (1, json!({"Ref": "Table"})),
            (1, json!({"Fn::GetAtt": ["Queue", "Arn"]})),
        ]),
    ]
}

fn environment() -> impl Strategy<Value = Value> {
    one_of![
        12 => prop::collection::btree_map(env_name(), env_value(), 0..5)
            .prop_map(|m| json!({"Variables": Value::Object(m.into_iter().collect())})),
        4 => pick(vec![
            (2, json!({})),
            (1, json!({"Variables": {"Ref": "Vars"}})),
            (1, json!({"Fn::If": ["Cond", {"Variables": {}}, {"Ref": "AWS::NoValue"}]})),
        ]),
        1 => tree(),
    ]
}

fn tag_key() -> impl Strategy<Value = String> {
    one_of![
        chars(LOWER, 1..5),
        select(
            &[
                "dd_sls_macro",
                "dd_sls_macro_by",
                "service",
                "env",
                "version",
                "team",
                "lambda:createdBy",
            ][..]
        )
        .prop_map(str::to_string),
    ]
}

fn tag_value() -> impl Strategy<Value = Value> {
    one_of![
        4 => text().prop_map(Value::String),
        2 => pick(vec![(1, json!("SAM")), (1, json!({"Ref": "Stage"}))]),
    ]
}

fn tags_list() -> impl Strategy<Value = Value> {
    one_of![
        6 => prop::collection::vec((tag_key(), tag_value()), 0..4).prop_map(|pairs| {
            Value::Array(
                pairs
                    .into_iter()
                    .map(|(k, v)| json!({"Key": k, "Value": v}))
                    .collect(),
            )
        }),
        1 => pick(vec![(1, json!({"Fn::If": ["Cond", [], []]}))]),
        1 => tree(),
    ]
}

fn tags_map() -> impl Strategy<Value = Value> {
    one_of![
        6 => prop::collection::btree_map(tag_key(), tag_value(), 0..4)
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        1 => tree(),
    ]
}

fn role() -> impl Strategy<Value = Value> {
    pick(vec![
        (2, json!({"Fn::GetAtt": ["Role0", "Arn"]})),
        (2, json!({"Fn::GetAtt": ["Role1", "Arn"]})),
        (2, json!({"Fn::GetAtt": ["Role2", "Arn"]})),
        (1, json!({"Fn::GetAtt": "Role1.Arn"})),
        (1, json!({"Fn::GetAtt": ["Res0", "Arn"]})),
        (1, json!("arn:aws:iam::123456789012:role/outside")),
        (1, json!({"Ref": "RoleParam"})),
    ])
}

fn metadata() -> impl Strategy<Value = Value> {
    one_of![
        3 => pick(vec![
            (1, json!({"Datadog": {"Exclude": true}})),
            (1, json!({"Datadog": {"Exclude": "false"}})),
            (1, json!({"Datadog": {"Parameters": "garbage"}})),
        ]),
        1 => param_pair().prop_map(|(k, v)| json!({"Datadog": {"Parameters": {k: v}}})),
        1 => tree().prop_map(|t| json!({"Other": t})),
    ]
}

/// One function's `Properties` (or something that is not a mapping).
fn function_properties(serverless: bool) -> BoxedStrategy<Value> {
    let tags = if serverless {
        tags_map().boxed()
    } else {
        tags_list().boxed()
    };
    let typed = (
        (
            often(1, 12, runtime()),
            maybe(architectures()),
            often(1, 8, handler()),
            maybe(layers()),
            maybe(environment()),
            maybe(tags),
        ),
        (
            maybe(role()),
            often(
                12,
                3,
                pick(vec![
                    (1, json!("Image")),
                    (1, json!("Zip")),
                    (1, json!({"Ref": "PackageParam"})),
                ]),
            ),
            maybe(Just(json!({"Command": ["app.handler", "--flag"]}))),
            select(vec![
                None,
                None,
                None,
                None,
                Some(("TracingConfig", json!({"Mode": "PassThrough"}))),
                Some(("Tracing", json!("Active"))),
                Some(("Policies", json!(["AWSLambdaBasicExecutionRole"]))),
                Some(("Policies", json!({"Ref": "Policy"}))),
            ]),
            prop::collection::btree_map(
                chars(UPPER, 1..3).prop_map(|s| format!("Extra{s}")),
                tree(),
                0..3,
            ),
        ),
    )
        .prop_map(
            |(
                (runtime, architectures, handler, layers, environment, tags),
                (role, package, image, extra, extra_props),
            )| {
                let mut props = Map::new();
                let entries = [
                    ("Runtime", runtime),
                    ("Architectures", architectures),
                    ("Handler", handler),
                    ("Layers", layers),
                    ("Environment", environment),
                    ("Tags", tags),
                    ("Role", role),
                    ("PackageType", package),
                    ("ImageConfig", image),
                ];
                for (key, value) in entries {
                    if let Some(value) = value {
                        props.insert(key.to_string(), value);
                    }
                }
                if let Some((key, value)) = extra {
                    props.insert(key.to_string(), value);
                }
                props.extend(extra_props);
                Value::Object(props)
            },
        );
    one_of![
        40 => typed,
        2 => pick(vec![
            (1, json!({"Fn::If": ["Cond", {}, {}]})),
            (1, json!("not a mapping")),
        ]),
    ]
    .boxed()
}

fn function() -> impl Strategy<Value = Value> {
    (any::<bool>(), often(5, 1, metadata()))
        .prop_flat_map(|(serverless, metadata)| {
            (
                Just(serverless),
                Just(metadata),
                often(1, 20, function_properties(serverless)),
            )
        })
        .prop_map(|(serverless, metadata, props)| {
            let mut resource = Map::new();
            resource.insert(
                "Type".into(),
                json!(if serverless { SERVERLESS } else { LAMBDA }),
            );
            if let Some(props) = props {
                resource.insert("Properties".into(), props);
            }
            if let Some(metadata) = metadata {
                resource.insert("Metadata".into(), metadata);
            }
            Value::Object(resource)
        })
}

// ----- other resources ----------------------------------------------------------------------

fn iam_role() -> impl Strategy<Value = Value> {
    let statement = json!({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"});
    let policies = one_of![
        7 => pick(vec![
            (1, Value::Null),
            (1, json!([])),
            (1, json!([{"PolicyName": "p", "PolicyDocument": {"Statement": [statement.clone()]}}])),
            (1, json!([{"PolicyName": "p", "PolicyDocument": {"Statement": statement}}])),
            (1, json!([{"PolicyName": "x", "PolicyDocument": {
                "Statement": [{"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"}]
            }}])),
            (1, json!({"Ref": "Policies"})),
            (1, json!([{"Fn::If": ["Cond", {}, {"Ref": "AWS::NoValue"}]}])),
        ]),
        1 => tree(),
    ]
    .prop_map(|p| (!p.is_null()).then_some(p));
    (policies, any::<bool>()).prop_map(|(policies, with_props)| {
        let mut props = Map::new();
        props.insert(
            "AssumeRolePolicyDocument".into(),
            json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        );
        if let Some(p) = policies {
            props.insert("Policies".into(), p);
        }
        if with_props {
            json!({"Type": "AWS::IAM::Role", "Properties": props})
        } else {
            json!({"Type": "AWS::IAM::Role"})
        }
    })
}

fn state_machine() -> impl Strategy<Value = Value> {
    let definition = r#"{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},"End":true}}}"#;
    (
        select(STATE_MACHINES),
        one_of![
            4 => pick(vec![
                (1, json!({"DefinitionString": definition})),
                (1, json!({"DefinitionString": {"Fn::Sub": definition}})),
                (1, json!({"Definition": {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}})),
                (1, json!({"DefinitionString": "{not json"})),
            ]),
            1 => tree().prop_map(|t| json!({"DefinitionString": t})),
        ],
        select(vec![
            Some(json!({"Fn::GetAtt": ["Role2", "Arn"]})),
            Some(json!({"Fn::Sub": "${Role1.Arn}"})),
            Some(json!("arn:aws:iam::123456789012:role/states")),
            None,
        ]),
    )
        .prop_map(|(ty, mut props, role)| {
            if let Some(role) = role {
                props["RoleArn"] = role;
            }
            json!({"Type": ty, "Properties": props})
        })
}

fn other_resource() -> impl Strategy<Value = Value> {
    one_of![
        8 => (
            select(
                &[
                    "AWS::SQS::Queue",
                    "AWS::S3::Bucket",
                    "AWS::SNS::Topic",
                    "AWS::DynamoDB::Table",
                    "AWS::Logs::LogGroup",
                    "AWS::Lambda::Permission",
                    "AWS::Lambda::LayerVersion",
                    "Custom::Thing",
                ][..]
            ),
            tree(),
        )
            .prop_map(|(ty, props)| json!({"Type": ty, "Properties": props})),
        4 => pick(vec![
            (1, json!("not a resource")),
            (1, json!({"Properties": {}})),
            (1, json!({"Type": 42})),
            (1, json!({"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12"}, "Metadata": {"Datadog": {"Exclude": "TRUE"}}})),
        ]),
    ]
}

// ----- templates and requests ---------------------------------------------------------------

fn globals() -> impl Strategy<Value = Value> {
    (
        maybe(runtime()),
        maybe(handler()),
        maybe(layers()),
        maybe(environment()),
        maybe(tags_map()),
    )
        .prop_map(|(runtime, handler, layers, environment, tags)| {
            let mut function = Map::new();
            for (key, value) in [
                ("Runtime", runtime),
                ("Handler", handler),
                ("Layers", layers),
                ("Environment", environment),
                ("Tags", tags),
            ] {
                if let Some(value) = value {
                    function.insert(key.to_string(), value);
                }
            }
            json!({"Function": function})
        })
}

/// One parameter and a value for it: valid, invalid, intrinsic or unknown.
fn param_pair() -> impl Strategy<Value = (String, Value)> {
    let table: Vec<(&str, Value)> = vec![
        ("addLayers", json!(false)),
        ("addLayers", json!("true")),
        ("addLayers", json!("yes")),
        ("addExtension", json!(true)),
        ("addExtension", json!("false")),
        ("pythonLayerVersion", json!(130)),
        ("pythonLayerVersion", json!("abc")),
        ("nodeLayerVersion", json!("120")),
        ("extensionLayerVersion", json!(80)),
        ("extensionLayerVersion", json!(-1)),
        ("javaLayerVersion", json!(1.5)),
        (
            "pythonLayerArn",
            json!("arn:aws:lambda:us-east-1:123456789012:layer:custom-python:4"),
        ),
        ("pythonLayerArn", json!("not-an-arn")),
        ("extensionLayerArn", json!({"Ref": "ExtensionArn"})),
        ("useLayersFromAccount", json!("123456789012")),
        ("apiKey", json!("0123456789abcdef")),
        (
            "apiKeySecretArn",
            json!("arn:aws:secretsmanager:us-east-1:123456789012:secret:k"),
        ),
        ("apiKeySecretArn", json!({"Ref": "SecretArn"})),
        (
            "apiKeySsmArn",
            json!("arn:aws:ssm:us-east-1:123456789012:parameter/k"),
        ),
        ("apiKMSKey", json!("AQICAHg=")),
        ("site", json!("datadoghq.eu")),
        ("site", json!("ddog-gov.com")),
        ("site", json!("nowhere.example")),
        ("logLevel", json!("debug")),
        ("logLevel", json!("LOUD")),
        ("flushMetricsToLogs", json!(false)),
        ("enableXrayTracing", json!(true)),
        ("enableDDTracing", json!(false)),
        ("enableDDLogs", json!("false")),
        ("captureLambdaPayload", json!(true)),
        ("service", json!("svc")),
        ("service", json!({"Ref": "Service"})),
        ("env", json!("prod")),
        ("env", json!(7)),
        ("version", json!("1.0")),
        ("tags", json!("team:a,cost:b")),
        ("tags", json!("bad")),
        ("gitData", json!("abc123,https://github.com/o/r.git")),
        ("exclude", json!(["Fn0", "Fn1"])),
        ("exclude", json!("Fn2")),
        (
            "forwarderArn",
            json!("arn:aws:lambda:us-east-1:123456789012:function:forwarder"),
        ),
        ("forwarderArn", json!("nope")),
        ("existingLogGroups", json!(true)),
        ("existingLogGroups", json!(["Fn0"])),
        ("stackName", json!("stack")),
        (
            "stepFunctionForwarderArn",
            json!("arn:aws:lambda:us-east-1:123456789012:function:forwarder"),
        ),
        ("enableColdStartTracing", json!(false)),
        ("lambdaFips", json!(true)),
        ("redirectHandlers", json!(false)),
        ("imageRuntime", json!("python")),
        ("imageRuntime", json!("go")),
        ("grantSecretReadAccess", json!(false)),
        ("enableMergeXrayTraces", json!(true)),
        ("injectLogContext", json!(false)),
        ("captureCloudServicePayload", json!(true)),
        ("llmObsEnabled", json!(true)),
        ("llmObsMlApp", json!("my-app")),
        ("bogusParameter", json!(1)),
        ("site", json!(null)),
    ];
    select(table).prop_map(|(k, v)| (k.to_string(), v))
}

fn params() -> impl Strategy<Value = Map<String, Value>> {
    (
        pick(vec![
            (1, json!({})),
            (10, json!({"site": "datadoghq.com", "apiKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:dd"})),
            (4, json!({"apiKey": "0123456789abcdef", "addExtension": true})),
        ]),
        prop::collection::vec(param_pair(), 0..3),
        0..3usize,
    )
        .prop_map(|(base, extra, keep)| {
            let mut params = base.as_object().cloned().unwrap_or_default();
            params.extend(extra.into_iter().take(keep));
            params
        })
}

fn macro_environment() -> impl Strategy<Value = MacroEnvironment> {
    prop::collection::vec(
        select(
            &[
                ("DD_SITE", "datadoghq.eu"),
                ("DD_SITE", "bogus"),
                (
                    "DD_API_KEY_SECRET_ARN",
                    "arn:aws:secretsmanager:us-east-1:1:secret:s",
                ),
                ("DD_ENV", "staging"),
                ("DD_LOG_LEVEL", "debug"),
                ("DD_SERVICE", "from-env"),
            ][..],
        ),
        0..3,
    )
    .prop_map(MacroEnvironment::from_pairs)
}

fn fragment() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(function(), 1..4),
        prop::collection::vec(iam_role(), 0..3),
        prop::collection::vec(other_resource(), 0..4),
        prop::collection::vec(state_machine(), 0..2),
        maybe(globals()),
        maybe(prop::collection::vec(param_pair(), 0..3)),
        (select(RUNTIMES), select(&["x86_64", "arm64"][..])),
        any::<bool>(),
    )
        .prop_map(
            |(functions, roles, others, machines, globals, mappings, defaults, cdk)| {
                let mut resources = Map::new();
                for (i, r) in roles.into_iter().enumerate() {
                    resources.insert(format!("Role{i}"), r);
                }
                for (i, r) in others.into_iter().enumerate() {
                    resources.insert(format!("Res{i}"), r);
                }
                for (i, f) in functions.into_iter().enumerate() {
                    resources.insert(format!("Fn{i}"), f);
                }
                for (i, m) in machines.into_iter().enumerate() {
                    resources.insert(format!("Sm{i}"), m);
                }
                if cdk {
                    resources.insert(
                        "CDKMetadata".into(),
                        json!({"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:x"}}),
                    );
                }
                let mut template = json!({
                    "Parameters": {
                        "RuntimeParam": {"Type": "String", "Default": defaults.0},
                        "ArchParam": {"Type": "String", "Default": defaults.1},
                        "LayerList": {"Type": "CommaDelimitedList"},
                        "Stage": {"Type": "String", "Default": "prod"}
                    },
                    "Resources": resources
                });
                if let Some(globals) = globals {
                    template["Globals"] = globals;
                }
                if let Some(pairs) = mappings {
                    let params: Map<String, Value> = pairs.into_iter().collect();
                    template["Mappings"] = json!({"Datadog": {"Parameters": params}});
                }
                template
            },
        )
}

/// A request and the macro environment it runs in.
fn request() -> impl Strategy<Value = (MacroRequest, MacroEnvironment)> {
    (
        fragment(),
        params(),
        select(
            &[
                "us-east-1",
                "us-east-1",
                "us-east-1",
                "eu-west-1",
                "us-gov-west-1",
                "cn-north-1",
                "",
            ][..],
        ),
        prop::collection::btree_map(
            select(&["RuntimeParam", "ArchParam", "Stage"][..]),
            pick(vec![
                (1, json!("python3.9")),
                (1, json!("ruby3.3")),
                (1, json!(["arm64"])),
            ]),
            0..2,
        ),
        macro_environment(),
    )
        .prop_map(|(fragment, params, region, values, environment)| {
            let request = MacroRequest {
                region: region.to_string(),
                account_id: "123456789012".into(),
                fragment,
                transform_id: "DatadogServerless".into(),
                params,
                request_id: "request-1".into(),
                template_parameter_values: values
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            };
            (request, environment)
        })
}

// ----- what the properties look at ----------------------------------------------------------

fn resources(fragment: &Value) -> &Map<String, Value> {
    fragment["Resources"]
        .as_object()
        .expect("a generated template has Resources")
}

fn type_of(resource: &Value) -> &str {
    resource.get("Type").and_then(Value::as_str).unwrap_or("")
}

fn is_function(resource: &Value) -> bool {
    matches!(type_of(resource), LAMBDA | SERVERLESS)
}

/// The logical id a role reference (`Fn::GetAtt`, dotted or list, or
/// `Fn::Sub "${Role.Arn}"`) points at.
fn role_target(reference: &Value) -> Option<String> {
    if let Some(att) = reference.get("Fn::GetAtt") {
        return match att {
            Value::Array(parts) => parts.first()?.as_str().map(str::to_string),
            Value::String(dotted) => dotted.split('.').next().map(str::to_string),
            _ => None,
        };
    }
    let sub = reference.get("Fn::Sub")?.as_str()?;
    let start = sub.find("${")? + 2;
    let end = sub[start..].find('.')? + start;
    Some(sub[start..end].to_string())
}

/// Resources the transform may change: functions, state machines, and the
/// roles they use.
fn may_change(fragment: &Value) -> Vec<String> {
    let mut ids = Vec::new();
    for (id, resource) in resources(fragment) {
        let ty = type_of(resource);
        let role = if is_function(resource) {
            resource.get("Properties").and_then(|p| p.get("Role"))
        } else if STATE_MACHINES.contains(&ty) {
            resource.get("Properties").and_then(|p| p.get("RoleArn"))
        } else {
            continue;
        };
        ids.push(id.clone());
        ids.extend(role.and_then(role_target));
    }
    ids
}

fn variables(props: &Value) -> Option<&Map<String, Value>> {
    props.get("Environment")?.get("Variables")?.as_object()
}

/// Whether a layer ARN is one of Datadog's (which the transform may replace
/// by another version).
fn is_datadog_layer(layer: &Value) -> bool {
    layer.as_str().is_some_and(|arn| {
        let name = arn.split(':').nth(6).unwrap_or("");
        arn.contains(":layer:") && (name.starts_with("Datadog-") || name.starts_with("dd-trace-"))
    })
}

/// Every user layer of `before` is still in `after`, branch by branch.
fn layers_kept(before: &Value, after: Option<&Value>) -> Result<(), String> {
    if before == &json!({"Ref": "AWS::NoValue"}) {
        return Ok(());
    }
    let Some(after) = after else {
        return Err(format!("Layers {before} was removed"));
    };
    match (before, after) {
        (Value::Array(items), Value::Array(now)) => {
            for item in items.iter().filter(|i| !is_datadog_layer(i)) {
                if !now.contains(item) {
                    return Err(format!("layer {item} was removed from {after}"));
                }
            }
            Ok(())
        }
        (Value::Object(b), Value::Object(a)) if b.contains_key("Fn::If") => {
            match (
                b["Fn::If"].as_array(),
                a.get("Fn::If").and_then(Value::as_array),
            ) {
                (Some(bb), Some(aa)) if bb.len() == 3 && aa.len() == 3 => {
                    if bb[0] != aa[0] {
                        return Err(format!("the condition of {before} changed"));
                    }
                    layers_kept(&bb[1], Some(&aa[1]))?;
                    layers_kept(&bb[2], Some(&aa[2]))
                }
                _ if before == after => Ok(()),
                _ => Err(format!("Layers {before} became {after}")),
            }
        }
        _ if before == after => Ok(()),
        _ => Err(format!("Layers {before} became {after}")),
    }
}

/// Every user tag of `before` is in `after` with its value.
fn tags_kept(before: &Value, after: Option<&Value>) -> Result<(), String> {
    let Some(after) = after else {
        return Err(format!("Tags {before} were removed"));
    };
    match (before, after) {
        (Value::Array(items), Value::Array(now)) => {
            for item in items {
                if !now.contains(item) {
                    return Err(format!("tag {item} was removed from {after}"));
                }
            }
            Ok(())
        }
        (Value::Object(map), Value::Object(now)) => {
            for (k, v) in map {
                if now.get(k) != Some(v) {
                    return Err(format!("tag {k}: {v} became {:?}", now.get(k)));
                }
            }
            Ok(())
        }
        _ if before == after => Ok(()),
        _ => Err(format!("Tags {before} became {after}")),
    }
}

/// The user's variables, tags and layers of one function are all kept
/// (`DD_LOG_LEVEL` may be set; a moved `Handler` is in `DD_LAMBDA_HANDLER`).
fn user_values_kept(id: &str, before: &Value, after: &Value) -> Result<(), String> {
    let (Some(b), Some(a)) = (before.get("Properties"), after.get("Properties")) else {
        return Ok(());
    };
    let after_vars = variables(a);
    if let Some(vars) = variables(b) {
        for (name, value) in vars {
            if name == "DD_LOG_LEVEL" {
                continue;
            }
            if after_vars.and_then(|v| v.get(name)) != Some(value) {
                return Err(format!(
                    "{id}: variable {name}={value} was changed or removed"
                ));
            }
        }
    }
    if let Some(handler) = b.get("Handler")
        && a.get("Handler") != Some(handler)
    {
        // A number or boolean handler moves as text, like every variable.
        let as_text = match handler {
            Value::Number(n) => json!(n.to_string()),
            Value::Bool(b) => json!(b.to_string()),
            other => other.clone(),
        };
        let moved = after_vars.and_then(|v| v.get("DD_LAMBDA_HANDLER")) == Some(&as_text);
        let ours = handler.as_str().is_some_and(is_datadog_handler);
        if !moved && !ours {
            return Err(format!(
                "{id}: Handler {handler} was replaced but not kept in DD_LAMBDA_HANDLER"
            ));
        }
    }
    // Nothing is written into an intrinsic (a one-key `Fn::If`...): it would
    // no longer be one.
    let intrinsics = [
        b.get("Environment"),
        b.get("Environment").and_then(|e| e.get("Variables")),
        b.get("Tags"),
    ];
    let now = [
        a.get("Environment"),
        a.get("Environment").and_then(|e| e.get("Variables")),
        a.get("Tags"),
    ];
    for (before, after) in intrinsics.into_iter().zip(now) {
        if let Some(before) = before.filter(|v| is_intrinsic(v))
            && after != Some(before)
        {
            return Err(format!("{id}: the intrinsic {before} became {after:?}"));
        }
    }
    if let Some(tags) = b.get("Tags") {
        tags_kept(tags, a.get("Tags")).map_err(|e| format!("{id}: {e}"))?;
    }
    if let Some(layers) = b.get("Layers") {
        layers_kept(layers, a.get("Layers")).map_err(|e| format!("{id}: {e}"))?;
    }
    Ok(())
}

// ----- the properties -----------------------------------------------------------------------

/// The answer of the production entry to the event of `request`.
fn handle(request: MacroRequest, environment: &MacroEnvironment) -> MacroResponse {
    let bytes = serde_json::to_vec(&request).expect("a request serialises");
    let (out, answered) = answer(&bytes, environment);
    let response: MacroResponse = serde_json::from_slice(&out).expect("an answer is a response");
    assert_eq!(answered.success, response.is_success());
    response
}

/// One input, one answer: the same event indented, and the same request as
/// a dry run answers it (its report keeping every change), get the same
/// fragment or the same error.
fn one_answer(
    request: &MacroRequest,
    environment: &MacroEnvironment,
    response: &MacroResponse,
) -> Result<(), TestCaseError> {
    let indented = serde_json::to_vec_pretty(request).expect("a request serialises");
    let (out, _) = answer(&indented, environment);
    let again: MacroResponse = serde_json::from_slice(&out).expect("an answer is a response");
    prop_assert_eq!(&again, response);
    let (dry_run, _) = handle_with_report(request.clone(), environment);
    prop_assert_eq!(&dry_run, response);
    Ok(())
}

/// The answer is `success`, or `failure` with a message that is not an
/// internal error, carrying the fragment as received.
fn success_or_failure_with_a_message(
    request: &MacroRequest,
    response: &MacroResponse,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(&response.request_id, "request-1");
    match response.status.as_str() {
        "success" => prop_assert!(response.error_message.is_none()),
        "failure" => {
            let message = response.error_message.clone().unwrap_or_default();
            prop_assert!(!message.trim().is_empty());
            prop_assert!(!message.contains("internal error"), "{}", message);
            prop_assert_eq!(&response.fragment, &request.fragment);
        }
        other => prop_assert!(false, "status {}", other),
    }
    Ok(())
}

/// A second run on a successful output changes nothing.
fn a_second_run_changes_nothing(
    request: &MacroRequest,
    environment: &MacroEnvironment,
    first: &MacroResponse,
) -> Result<(), TestCaseError> {
    let again = MacroRequest {
        fragment: first.fragment.clone(),
        ..request.clone()
    };
    let second = handle(again, environment);
    prop_assert!(second.is_success(), "{:?}", second.error_message);
    prop_assert_eq!(&second.fragment, &first.fragment);
    Ok(())
}

/// Every resource other than a function, a state machine or their roles is
/// unchanged; none is removed; `Parameters`, `Mappings` and `Globals` too.
fn other_resources_are_untouched(
    request: &MacroRequest,
    response: &MacroResponse,
) -> Result<(), TestCaseError> {
    let exempt = may_change(&request.fragment);
    let after = resources(&response.fragment);
    for (id, resource) in resources(&request.fragment) {
        let now = after.get(id);
        prop_assert!(now.is_some(), "{} was removed", id);
        if !exempt.contains(id) {
            prop_assert_eq!(now, Some(resource), "{} changed", id);
        }
    }
    for section in ["Parameters", "Mappings", "Globals"] {
        prop_assert_eq!(
            response.fragment.get(section),
            request.fragment.get(section)
        );
    }
    Ok(())
}

/// No user environment variable, tag or layer is removed or changed.
fn user_values_are_kept(
    request: &MacroRequest,
    response: &MacroResponse,
) -> Result<(), TestCaseError> {
    let after = resources(&response.fragment);
    for (id, resource) in resources(&request.fragment) {
        if is_function(resource) {
            let now = after.get(id).expect("functions are not removed");
            if let Err(e) = user_values_kept(id, resource, now) {
                prop_assert!(false, "{}", e);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// The answer's rules, each a function above, checked on the same cases
    /// (generating a template costs more than answering it). A panic would
    /// be a failure naming an internal error, which the first rule refuses.
    #[test]
    fn answers_keep_the_rules((request, environment) in request()) {
        let response = handle(request.clone(), &environment);
        success_or_failure_with_a_message(&request, &response)?;
        one_answer(&request, &environment, &response)?;
        if response.is_success() {
            a_second_run_changes_nothing(&request, &environment, &response)?;
            other_resources_are_untouched(&request, &response)?;
            user_values_are_kept(&request, &response)?;
        }
    }
}

/// The generator makes templates the transform accepts, not only failures:
/// otherwise the properties about successful outputs would test nothing.
#[test]
fn generated_requests_often_succeed() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = request();
    let (mut successes, mut instrumented) = (0, 0);
    for _ in 0..400 {
        let (request, environment) = strategy.new_tree(&mut runner).expect("a request").current();
        let response = handle(request.clone(), &environment);
        if response.is_success() {
            successes += 1;
            if response.fragment != request.fragment {
                instrumented += 1;
            }
        }
    }
    // 70: an intrinsic `Environment` or `Variables` (two of the generator's
    // seventeen environments) is an error since the transform stopped writing
    // Datadog's variables beside the intrinsic's key (which made it invalid).
    assert!(successes >= 70, "only {successes} of 400 succeeded");
    assert!(
        instrumented >= 60,
        "only {instrumented} of 400 changed anything"
    );
}
