//! Deterministic macro events for the benchmarks and `scripts/bench`.
//!
//! Shared by `benches/handle.rs` and `examples/gen_event.rs` through
//! `#[path]`. The same arguments always give the same bytes: no clock, no
//! randomness, only the function's index picks its runtime, architecture,
//! role and resource type.
//!
//! A function event has, per function: an `AWS::Lambda::Function` (one in
//! five an `AWS::Serverless::Function`, as when the macro runs before SAM's
//! transform), a runtime among Python, Node.js, Java, .NET, Ruby and
//! `provided` (one in three on arm64), an environment, tags, a VPC and
//! dead-letter config; one `AWS::IAM::Role` (used through `Fn::GetAtt`) per
//! four functions; and a queue, a table, a log group or a permission beside
//! every function, as a real post-SAM template has.

#![allow(dead_code)]

use serde_json::{Map, Value, json};

/// The runtimes cycled through (mixed families; all have arm64 layers).
pub const RUNTIMES: &[&str] = &[
    "python3.12",
    "nodejs20.x",
    "java21",
    "python3.11",
    "dotnet8",
    "nodejs22.x",
    "ruby3.3",
    "provided.al2023",
    "python3.9",
    "java17",
    "nodejs18.x",
    "ruby3.2",
];

/// The macro parameters of every generated event: library layers, the
/// Extension, X-Ray, the API key from Secrets Manager, and the Step
/// Functions forwarder.
pub fn params() -> Value {
    json!({
        "stackName": "bench-stack",
        "site": "datadoghq.com",
        "service": "bench",
        "env": "prod",
        "version": "1.2.3",
        "tags": "team:perf,cost-center:42",
        "addLayers": true,
        "addExtension": true,
        "enableXrayTracing": true,
        "apiKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:dd-api-key-AbCdEf",
        "stepFunctionForwarderArn": "arn:aws:lambda:us-east-1:123456789012:function:datadog-forwarder"
    })
}

fn handler_for(runtime: &str, i: usize) -> String {
    if runtime.starts_with("python") {
        format!("app_{i}.handler")
    } else if runtime.starts_with("nodejs") {
        format!("index_{i}.handler")
    } else if runtime.starts_with("java") {
        format!("com.example.orders.Handler{i}::handleRequest")
    } else if runtime.starts_with("dotnet") {
        format!("Orders::Orders.Function{i}::FunctionHandler")
    } else if runtime.starts_with("ruby") {
        format!("function_{i}.Handler.process")
    } else {
        "bootstrap".to_string()
    }
}

fn role(i: usize) -> Value {
    json!({
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Service": ["lambda.amazonaws.com"]},
                    "Action": ["sts:AssumeRole"]
                }]
            },
            "ManagedPolicyArns": [
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
            ],
            "Policies": [{
                "PolicyName": format!("role-{i}-data"),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "sqs:SendMessage"],
                        "Resource": [
                            {"Fn::GetAtt": [format!("Table{i}"), "Arn"]},
                            {"Fn::GetAtt": [format!("Queue{i}"), "Arn"]}
                        ]
                    }]
                }
            }],
            "Tags": [{"Key": "lambda:createdBy", "Value": "SAM"}]
        }
    })
}

fn environment(i: usize) -> Value {
    json!({
        "Variables": {
            "TABLE_NAME": {"Ref": format!("Table{}", i / 4)},
            "QUEUE_URL": {"Ref": format!("Queue{}", i / 4)},
            "STAGE": "prod",
            "POWERTOOLS_SERVICE_NAME": format!("orders-{i}"),
            "LOG_LEVEL": "INFO",
            "FEATURE_FLAGS": format!("{{\"fast_path\":true,\"shard\":{}}}", i % 16)
        }
    })
}

fn lambda_function(i: usize, runtime: &str, arm: bool) -> Value {
    let mut props = json!({
        "Code": {
            "S3Bucket": "bench-artifacts-123456789012-us-east-1",
            "S3Key": format!("orders/function-{i}/5f4dcc3b5aa765d61d8327deb882cf99.zip")
        },
        "Handler": handler_for(runtime, i),
        "Role": {"Fn::GetAtt": [format!("Role{}", i / 4), "Arn"]},
        "Runtime": runtime,
        "MemorySize": 128 << (i % 4),
        "Timeout": 30,
        "Description": format!("Order processing step {i}"),
        "Environment": environment(i),
        "VpcConfig": {
            "SecurityGroupIds": ["sg-0123456789abcdef0"],
            "SubnetIds": ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"]
        },
        "DeadLetterConfig": {"TargetArn": {"Fn::GetAtt": [format!("Queue{}", i / 4), "Arn"]}},
        "Tags": [
            {"Key": "lambda:createdBy", "Value": "SAM"},
            {"Key": "team", "Value": "orders"},
            {"Key": "component", "Value": format!("step-{}", i % 7)}
        ]
    });
    if arm {
        props["Architectures"] = json!(["arm64"]);
    }
    if i % 6 == 5 {
        props["Layers"] = json!([format!(
            "arn:aws:lambda:us-east-1:123456789012:layer:shared-utils:{}",
            i % 9 + 1
        )]);
    }
    json!({"Type": "AWS::Lambda::Function", "Properties": props})
}

fn serverless_function(i: usize, runtime: &str, arm: bool) -> Value {
    let mut props = json!({
        "CodeUri": format!("s3://bench-artifacts-123456789012-us-east-1/orders/function-{i}.zip"),
        "Handler": handler_for(runtime, i),
        "Role": {"Fn::GetAtt": [format!("Role{}", i / 4), "Arn"]},
        "Runtime": runtime,
        "MemorySize": 256,
        "Environment": environment(i),
        "Tags": {"team": "orders", "component": format!("step-{}", i % 7)},
        "Events": {
            "Queue": {
                "Type": "SQS",
                "Properties": {"Queue": {"Fn::GetAtt": [format!("Queue{}", i / 4), "Arn"]}, "BatchSize": 10}
            }
        }
    });
    if arm {
        props["Architectures"] = json!(["arm64"]);
    }
    json!({"Type": "AWS::Serverless::Function", "Properties": props})
}

/// The non-function resource beside function `i`: a queue, a table, a log
/// group or an invoke permission.
fn neighbour(i: usize) -> (String, Value) {
    match i % 4 {
        0 => (
            format!("Queue{}", i / 4),
            json!({"Type": "AWS::SQS::Queue", "Properties": {
                "VisibilityTimeout": 180,
                "MessageRetentionPeriod": 1209600,
                "Tags": [{"Key": "team", "Value": "orders"}]
            }}),
        ),
        1 => (
            format!("Table{}", i / 4),
            json!({"Type": "AWS::DynamoDB::Table", "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"}
            }}),
        ),
        2 => (
            format!("Function{}LogGroup", i - 2),
            json!({"Type": "AWS::Logs::LogGroup", "Properties": {
                "LogGroupName": {"Fn::Sub": format!("/aws/lambda/${{Function{}}}", i - 2)},
                "RetentionInDays": 14
            }}),
        ),
        _ => (
            format!("Function{}Permission", i - 3),
            json!({"Type": "AWS::Lambda::Permission", "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": format!("Function{}", i - 3)},
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*/*/*"}
            }}),
        ),
    }
}

/// A template with `functions` functions, their roles and neighbours.
pub fn function_template(functions: usize) -> Value {
    let mut resources = Map::new();
    for i in 0..functions {
        if i % 4 == 0 {
            resources.insert(format!("Role{}", i / 4), role(i / 4));
        }
        let runtime = RUNTIMES[i % RUNTIMES.len()];
        let arm = i % 3 == 1;
        let function = if i % 5 == 4 {
            serverless_function(i, runtime, arm)
        } else {
            lambda_function(i, runtime, arm)
        };
        resources.insert(format!("Function{i}"), function);
        let (id, resource) = neighbour(i);
        resources.insert(id, resource);
    }
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("Generated benchmark template with {functions} functions"),
        "Parameters": {
            "Stage": {"Type": "String", "Default": "prod", "AllowedValues": ["dev", "staging", "prod"]}
        },
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
        "Resources": resources,
        "Outputs": {
            "Function0Arn": {"Value": {"Fn::GetAtt": ["Function0", "Arn"]}}
        }
    })
}

/// A state machine definition with `tasks` Lambda invocations (one in three
/// through the legacy `arn:aws:lambda` resource), a `Parallel` and a `Map`.
fn definition(sm: usize, tasks: usize) -> Value {
    let mut states = Map::new();
    for t in 0..tasks {
        let next = if t + 1 < tasks {
            json!({"Next": format!("Step{}", t + 1)})
        } else {
            json!({"Next": "Fanout"})
        };
        let mut state = if t % 3 == 2 {
            json!({
                "Type": "Task",
                "Resource": format!(
                    "arn:aws:lambda:us-east-1:123456789012:function:orders-{}",
                    (sm * tasks + t) % 20
                ),
                "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0}]
            })
        } else {
            json!({
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": format!("${{Function{}.Arn}}", (sm * tasks + t) % 20),
                    "Payload.$": "$"
                },
                "ResultPath": format!("$.step{t}")
            })
        };
        state
            .as_object_mut()
            .expect("a state is an object")
            .extend(next.as_object().expect("an object").clone());
        states.insert(format!("Step{t}"), state);
    }
    states.insert(
        "Fanout".into(),
        json!({
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Notify", "States": {"Notify": {
                    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "${Function0.Arn}", "Payload": {"kind": "notify"}},
                    "End": true
                }}},
                {"StartAt": "Audit", "States": {"Audit": {
                    "Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                    "Parameters": {"StateMachineArn": "${Audit.Arn}", "Input": {"source": "bench"}},
                    "End": true
                }}}
            ],
            "Next": "Items"
        }),
    );
    states.insert(
        "Items".into(),
        json!({
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "Item", "States": {"Item": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "${Function1.Arn}"},
                "End": true
            }}},
            "End": true
        }),
    );
    json!({"Comment": format!("Order workflow {sm}"), "StartAt": "Step0", "States": states})
}

/// A template with `machines` state machines (definitions as a JSON string,
/// `Fn::Sub` of one, and `Fn::Sub` with variables), their roles, and the
/// 20 functions they invoke.
pub fn state_machine_template(machines: usize) -> Value {
    let mut template = function_template(20);
    let resources = template["Resources"]
        .as_object_mut()
        .expect("Resources is an object");
    for sm in 0..machines {
        let text = serde_json::to_string(&definition(sm, 6)).expect("a definition serialises");
        let definition_string = match sm % 3 {
            0 => Value::String(text.replace("${", "").replace(".Arn}", "")),
            1 => json!({"Fn::Sub": text}),
            _ => json!({"Fn::Sub": [text, {"Unused": {"Ref": "AWS::Region"}}]}),
        };
        resources.insert(
            format!("Workflow{sm}Role"),
            json!({"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"
                }]},
                "Policies": [{"PolicyName": "invoke", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"
                }]}}]
            }}),
        );
        let mut props = json!({
            "StateMachineName": format!("orders-workflow-{sm}"),
            "RoleArn": {"Fn::GetAtt": [format!("Workflow{sm}Role"), "Arn"]},
            "DefinitionString": definition_string,
            "Tags": [{"Key": "team", "Value": "orders"}]
        });
        if sm % 4 == 3 {
            props["LoggingConfiguration"] = json!({
                "Level": "ERROR",
                "IncludeExecutionData": false,
                "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": ["SharedStatesLogs", "Arn"]}}}]
            });
        }
        resources.insert(
            format!("Workflow{sm}"),
            json!({"Type": "AWS::StepFunctions::StateMachine", "Properties": props}),
        );
    }
    resources.insert(
        "SharedStatesLogs".into(),
        json!({"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}}),
    );
    resources.insert(
        "Audit".into(),
        json!({"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "RoleArn": {"Fn::GetAtt": ["Workflow0Role", "Arn"]},
            "Definition": {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
        }}),
    );
    template
}

/// The macro parameters of the SAM shape: library layers and the
/// Forwarder (log subscriptions) instead of the Extension, with X-Ray.
pub fn forwarder_params() -> Value {
    json!({
        "stackName": "bench-sam",
        "site": "datadoghq.eu",
        "service": "payments",
        "env": "staging",
        "addLayers": true,
        "enableXrayTracing": true,
        "forwarderArn": "arn:aws:lambda:eu-west-1:123456789012:function:datadog-forwarder"
    })
}

/// A long inline policy: `statements` statements of several actions on
/// several resources, as a generated role often carries.
fn long_policy(i: usize, name: &str, statements: usize) -> Value {
    let statements: Vec<Value> = (0..statements)
        .map(|s| {
            json!({
                "Sid": format!("{name}{i}s{s}"),
                "Effect": if s % 5 == 4 { "Deny" } else { "Allow" },
                "Action": [
                    format!("s3:GetObject{}", if s % 2 == 0 { "" } else { "Version" }),
                    "s3:PutObject", "s3:ListBucket", "kms:Decrypt", "kms:GenerateDataKey",
                    format!("ssm:GetParameter{}", if s % 3 == 0 { "s" } else { "" })
                ],
                "Resource": [
                    {"Fn::Sub": format!("arn:${{AWS::Partition}}:s3:::payments-{i}-{s}")},
                    {"Fn::Sub": format!("arn:${{AWS::Partition}}:s3:::payments-{i}-{s}/*")},
                    {"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718"},
                    {"Fn::Join": ["", ["arn:aws:ssm:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"}, format!(":parameter/payments/{i}/*")]]}
                ],
                "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}
            })
        })
        .collect();
    json!({"PolicyName": format!("{name}-{i}"), "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}})
}

/// A SAM template with `functions` `AWS::Serverless::Function`s that take
/// their runtime, memory, tracing and part of their environment from
/// `Globals`, each with its own role carrying long inline policies and an
/// API event.
pub fn sam_globals_template(functions: usize) -> Value {
    let mut resources = Map::new();
    for i in 0..functions {
        let mut props = json!({
            "Handler": format!("payments/step_{i}.handler"),
            "CodeUri": format!("s3://bench-sam-artifacts/payments/{i}/3858f62230ac3c915f300c664312c63f.zip"),
            "Role": {"Fn::GetAtt": [format!("Function{i}Role"), "Arn"]},
            "Events": {
                "Api": {"Type": "Api", "Properties": {"Path": format!("/payments/{i}"), "Method": "post", "RestApiId": {"Ref": "PaymentsApi"}}}
            },
            "Environment": {"Variables": {"STEP": format!("{i}"), "BUCKET": format!("payments-{i}")}}
        });
        // One in three overrides the runtime of `Globals`.
        if i % 3 == 1 {
            props["Runtime"] = json!(RUNTIMES[i % RUNTIMES.len()]);
        }
        resources.insert(
            format!("Function{i}"),
            json!({"Type": "AWS::Serverless::Function", "Properties": props}),
        );
        resources.insert(
            format!("Function{i}Role"),
            json!({"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"
                }]},
                "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
                "Policies": [long_policy(i, "data", 2), long_policy(i, "keys", 1)]
            }}),
        );
    }
    resources.insert(
        "PaymentsApi".into(),
        json!({"Type": "AWS::Serverless::Api", "Properties": {"StageName": "v1", "TracingEnabled": true}}),
    );
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("Generated SAM benchmark template with {functions} functions"),
        "Globals": {"Function": {
            "Runtime": "python3.12",
            "MemorySize": 512,
            "Timeout": 20,
            "Architectures": ["arm64"],
            "Environment": {"Variables": {"POWERTOOLS_SERVICE_NAME": "payments", "LOG_LEVEL": "INFO"}},
            "Tags": {"team": "payments"}
        }},
        "Resources": resources
    })
}

/// A template as the Serverless Framework writes it: small
/// `AWS::Lambda::Function`s (inline environment, no tags), one log group
/// each, one role shared by all, and an API method per function.
pub fn framework_template(functions: usize) -> Value {
    let mut resources = Map::new();
    resources.insert(
        "IamRoleLambdaExecution".into(),
        json!({"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"]
            }]},
            "Policies": [{"PolicyName": {"Fn::Join": ["-", ["shop", "dev", "lambda"]]}, "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:CreateLogGroup", "logs:TagResource"],
                 "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/shop-dev*:*"}]}
            ]}}],
            "Path": "/",
            "RoleName": {"Fn::Join": ["-", ["shop", "dev", {"Ref": "AWS::Region"}, "lambdaRole"]]}
        }}),
    );
    for i in 0..functions {
        let runtime = RUNTIMES[(i * 5) % RUNTIMES.len()];
        resources.insert(
            format!("F{i}LogGroup"),
            json!({"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": format!("/aws/lambda/shop-dev-f{i}")}}),
        );
        resources.insert(
            format!("F{i}LambdaFunction"),
            json!({"Type": "AWS::Lambda::Function", "Properties": {
                "Code": {"S3Bucket": {"Ref": "ServerlessDeploymentBucket"}, "S3Key": format!("serverless/shop/dev/1700000000000/f{i}.zip")},
                "Handler": handler_for(runtime, i),
                "Runtime": runtime,
                "FunctionName": format!("shop-dev-f{i}"),
                "MemorySize": 1024,
                "Timeout": 6,
                "Role": {"Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"]}
            }, "DependsOn": [format!("F{i}LogGroup")]}),
        );
        resources.insert(
            format!("ApiGatewayMethodF{i}Post"),
            json!({"Type": "AWS::ApiGateway::Method", "Properties": {
                "HttpMethod": "POST", "RequestParameters": {}, "ResourceId": {"Ref": format!("ApiGatewayResourceF{i}")},
                "RestApiId": {"Ref": "ApiGatewayRestApi"}, "ApiKeyRequired": false, "AuthorizationType": "NONE",
                "Integration": {"IntegrationHttpMethod": "POST", "Type": "AWS_PROXY", "Uri": {"Fn::Join": ["", [
                    "arn:", {"Ref": "AWS::Partition"}, ":apigateway:", {"Ref": "AWS::Region"}, ":lambda:path/2015-03-31/functions/",
                    {"Fn::GetAtt": [format!("F{i}LambdaFunction"), "Arn"]}, "/invocations"]]}},
                "MethodResponses": []
            }, "DependsOn": [format!("F{i}LambdaPermissionApiGateway")]}),
        );
    }
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "The AWS CloudFormation template for this Serverless application",
        "Resources": resources,
        "Outputs": {"ServerlessDeploymentBucketName": {"Value": {"Ref": "ServerlessDeploymentBucket"}}}
    })
}

/// The macro parameters of the Serverless Framework shape: the Extension
/// with an API key given as text.
pub fn extension_params() -> Value {
    json!({
        "site": "datadoghq.com",
        "service": "shop",
        "env": "dev",
        "addExtension": true,
        "apiKey": "0123456789abcdef0123456789abcdef"
    })
}

/// The macro event around a template, with the macro parameters `params`.
pub fn event(fragment: Value, params: Value) -> Value {
    json!({
        "region": "us-east-1",
        "accountId": "123456789012",
        "fragment": fragment,
        "transformId": "123456789012::DatadogServerless",
        "params": params,
        "requestId": "5c8a6b1e-5c3f-4a7e-9d2b-0e8f4b3a2c1d",
        "templateParameterValues": {"Stage": "prod"}
    })
}

/// The named events: `functions-1`, `functions-50`, `functions-500` and
/// `state-machines-20` from [`function_template`] and
/// [`state_machine_template`]; `sam-50` and `sam-500`
/// ([`sam_globals_template`], the Forwarder), `framework-50` and
/// `framework-500` ([`framework_template`]): the same numbers of functions
/// in other shapes.
pub const EVENTS: &[&str] = &[
    "functions-1",
    "functions-50",
    "functions-500",
    "state-machines-20",
    "sam-50",
    "sam-500",
    "framework-50",
    "framework-500",
];

/// The event with one of the names in [`EVENTS`], as compact JSON bytes.
pub fn event_bytes(name: &str) -> Option<Vec<u8>> {
    let (fragment, params) = match name {
        "functions-1" => (function_template(1), params()),
        "functions-50" => (function_template(50), params()),
        "functions-500" => (function_template(500), params()),
        "state-machines-20" => (state_machine_template(20), params()),
        "sam-50" => (sam_globals_template(50), forwarder_params()),
        "sam-500" => (sam_globals_template(500), forwarder_params()),
        "framework-50" => (framework_template(50), extension_params()),
        "framework-500" => (framework_template(500), extension_params()),
        _ => return None,
    };
    Some(serde_json::to_vec(&event(fragment, params)).expect("an event serialises"))
}
