//! The editor on small templates whose expected output is written out.

use serde_json::{Value, json};

use super::*;

/// The text of `text` edited to read as `change` applied to its value.
fn edited(text: &str, change: impl FnOnce(&mut Value)) -> String {
    let (before, format) = template::parse(text).unwrap();
    let mut after = before.clone();
    change(&mut after);
    let edited = edit(text, format, &before, &after).unwrap_or_else(|f| panic!("{f}"));
    edited.into_text()
}

/// Why editing `text` as `change` says falls back.
fn fallback(text: &str, change: impl FnOnce(&mut Value)) -> Fallback {
    let (before, format) = template::parse(text).unwrap();
    let mut after = before.clone();
    change(&mut after);
    edit(text, format, &before, &after).unwrap_err()
}

fn push(list: &mut Value, item: Value) {
    list.as_array_mut().unwrap().push(item);
}

fn insert(map: &mut Value, key: &str, value: Value) {
    map.as_object_mut().unwrap().insert(key.into(), value);
}

const SAM: &str = "\
# Orders service
Transform:
    - AWS::Serverless-2016-10-31
    - Name: DatadogServerless   # instrument with Datadog
      Parameters: {service: orders}

Resources:
    OrdersFunction:
        Type: AWS::Serverless::Function
        Properties:
            # the entry point: keep it in sync with src/app.py
            Handler: \"app.handler\"
            Runtime: python3.12
            Role: !GetAtt OrdersRole.Arn
            Environment:
                Variables:
                    TABLE: !Ref Orders  # the table

    Orders:
        Type: AWS::DynamoDB::Table
";

#[test]
fn comments_blank_lines_quoting_and_indentation_stay() {
    let out = edited(SAM, |t| {
        t["Transform"] = json!(["AWS::Serverless-2016-10-31"]);
        let props = &mut t["Resources"]["OrdersFunction"]["Properties"];
        props["Handler"] = json!("datadog_lambda.handler.handler");
        insert(
            &mut props["Environment"]["Variables"],
            "DD_LAMBDA_HANDLER",
            json!("app.handler"),
        );
        insert(
            &mut props["Environment"]["Variables"],
            "DD_TRACE_ENABLED",
            json!("true"),
        );
        insert(
            props,
            "Layers",
            json!([{"Fn::Sub": "arn:aws:lambda:${AWS::Region}:464622532012:layer:Datadog-Python312:127"}]),
        );
        insert(props, "Tracing", json!("Active"));
    });
    assert_eq!(
        out,
        "\
# Orders service
Transform:
    - AWS::Serverless-2016-10-31

Resources:
    OrdersFunction:
        Type: AWS::Serverless::Function
        Properties:
            # the entry point: keep it in sync with src/app.py
            Handler: \"datadog_lambda.handler.handler\"
            Runtime: python3.12
            Role: !GetAtt OrdersRole.Arn
            Environment:
                Variables:
                    TABLE: !Ref Orders  # the table
                    DD_LAMBDA_HANDLER: app.handler
                    DD_TRACE_ENABLED: 'true'
            Layers:
                - !Sub arn:aws:lambda:${AWS::Region}:464622532012:layer:Datadog-Python312:127
            Tracing: Active

    Orders:
        Type: AWS::DynamoDB::Table
"
    );
}

#[test]
fn new_values_follow_the_files_lists_and_intrinsics() {
    // Lists not indented under their key; intrinsics in long form only.
    let text = "\
Resources:
  F:
    Properties:
      Layers:
      - Fn::Sub: arn:x
      Role:
        Fn::GetAtt: [R, Arn]
";
    let out = edited(text, |t| {
        let props = &mut t["Resources"]["F"]["Properties"];
        push(&mut props["Layers"], json!({"Ref": "Extension"}));
        insert(
            props,
            "Tags",
            json!([{"Key": "a", "Value": {"Ref": "AWS::StackName"}}]),
        );
    });
    assert_eq!(
        out,
        "\
Resources:
  F:
    Properties:
      Layers:
      - Fn::Sub: arn:x
      - Ref: Extension
      Role:
        Fn::GetAtt: [R, Arn]
      Tags:
      - Key: a
        Value:
          Ref: AWS::StackName
"
    );
}

#[test]
fn flow_collections_are_edited_within_their_brackets() {
    let text = "\
Resources:
  F:
    Properties:
      Layers: [!Ref A]   # ours go after
      Tags: {team: a}
      Environment: {Variables: {}}
      Architectures: [arm64]
";
    let out = edited(text, |t| {
        let props = &mut t["Resources"]["F"]["Properties"];
        push(&mut props["Layers"], json!("arn:aws:lambda:x:1"));
        insert(&mut props["Tags"], "dd_sls_macro", json!("v1, beta"));
        insert(
            &mut props["Environment"]["Variables"],
            "DD_ENV",
            json!("yes"),
        );
    });
    assert_eq!(
        out,
        "\
Resources:
  F:
    Properties:
      Layers: [!Ref A, arn:aws:lambda:x:1]   # ours go after
      Tags: {team: a, dd_sls_macro: 'v1, beta'}
      Environment: {Variables: {DD_ENV: 'yes'}}
      Architectures: [arm64]
"
    );
}

#[test]
fn items_are_inserted_and_removed_where_they_are() {
    let text = "\
Transform: [AWS::Serverless-2016-10-31, DatadogServerless, Other]
Resources:
  F:
    Properties:
      Policies:
        - A
        # B is read-only
        - B
      Layers:
        - L1
        - L2  # second
        - L3
";
    let out = edited(text, |t| {
        t["Transform"] = json!(["AWS::Serverless-2016-10-31", "Other"]);
        let props = &mut t["Resources"]["F"]["Properties"];
        props["Policies"]
            .as_array_mut()
            .unwrap()
            .insert(1, json!("A2"));
        props["Layers"].as_array_mut().unwrap().remove(1);
    });
    assert_eq!(
        out,
        "\
Transform: [AWS::Serverless-2016-10-31, Other]
Resources:
  F:
    Properties:
      Policies:
        - A
        - A2
        # B is read-only
        - B
      Layers:
        - L1
        - L3
"
    );
}

#[test]
fn our_transform_entry_goes_with_its_lines() {
    let out = edited("Transform: DatadogServerless\nResources: {}\n", |t| {
        t.as_object_mut().unwrap().shift_remove("Transform");
    });
    assert_eq!(out, "Resources: {}\n");
    let text = "# head\nTransform:\n  Name: DatadogServerless\n  Parameters:\n    a: 1\n\nResources:\n  A: {Type: X}\n";
    let out = edited(text, |t| {
        t.as_object_mut().unwrap().shift_remove("Transform");
    });
    assert_eq!(out, "# head\n\nResources:\n  A: {Type: X}\n");
}

#[test]
fn new_resources_and_sections_go_last() {
    let text = "Resources:\n  A:\n    Type: X\n# the end\n";
    let out = edited(text, |t| {
        insert(
            &mut t["Resources"],
            "ALogGroup",
            json!({"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/${A}"}}}),
        );
        insert(
            t,
            "Outputs",
            json!({"Arn": {"Value": {"Fn::GetAtt": ["A", "Arn"]}}}),
        );
    });
    assert_eq!(
        out,
        "\
Resources:
  A:
    Type: X
  ALogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/${A}
Outputs:
  Arn:
    Value: !GetAtt A.Arn
# the end
"
    );
}

#[test]
fn block_scalars_keep_their_lines() {
    let text = "\
A:
  Code: |
    line 1

  Kept: |+
    line 2

B: 1
";
    let out = edited(text, |t| {
        insert(&mut t["A"], "New", json!("x"));
        t["A"]["Code"] = json!("def h(e, c):\n    return 1\n");
    });
    assert_eq!(
        out,
        "\
A:
  Code: |
    def h(e, c):
        return 1

  Kept: |+
    line 2

  New: x
B: 1
"
    );
}

#[test]
fn line_breaks_byte_order_mark_and_last_line_are_kept() {
    let text = "\u{feff}A:\r\n  B: 1\r\nC:\r\n  - x";
    let out = edited(text, |t| {
        insert(&mut t["A"], "D", json!({"E": [1]}));
        push(&mut t["C"], json!("z"));
    });
    assert_eq!(
        out,
        "\u{feff}A:\r\n  B: 1\r\n  D:\r\n    E:\r\n      - 1\r\nC:\r\n  - x\r\n  - z"
    );
}

#[test]
fn json_keeps_its_indentation_key_order_and_spacing() {
    let text =
        "{\n    \"Z\": 1,\n    \"Resources\": {\n        \"F\": {\"Type\": \"X\"}\n    }\n}\n";
    let out = edited(text, |t| {
        insert(
            &mut t["Resources"],
            "G",
            json!({"Type": "Y", "Properties": {"A": [1, 2]}}),
        );
        insert(&mut t["Resources"]["F"], "Properties", json!({"B": true}));
    });
    assert_eq!(
        out,
        "{\n    \"Z\": 1,\n    \"Resources\": {\n        \"F\": {\"Type\": \"X\", \"Properties\": {\"B\": true}},\n        \"G\": {\n            \"Type\": \"Y\",\n            \"Properties\": {\n                \"A\": [\n                    1,\n                    2\n                ]\n            }\n        }\n    }\n}\n"
    );
    let out = edited(
        "{\"Transform\":\"DatadogServerless\",\"Resources\":{\"F\":{\"Type\":\"X\"}}}",
        |t| {
            t.as_object_mut().unwrap().shift_remove("Transform");
            insert(
                &mut t["Resources"]["F"],
                "Tags",
                json!([{"Key": "a", "Value": "b"}]),
            );
        },
    );
    assert_eq!(
        out,
        "{\"Resources\":{\"F\":{\"Type\":\"X\",\"Tags\":[{\"Key\":\"a\",\"Value\":\"b\"}]}}}"
    );
}

#[test]
fn an_unchanged_template_is_returned_byte_for_byte() {
    let (before, format) = template::parse(SAM).unwrap();
    let edited = edit(SAM, format, &before, &before).unwrap();
    assert_eq!(edited.text(), SAM);
    assert!(edited.regions().is_empty());
    assert_eq!(unified_diff(SAM, &edited, "a", "b"), "");
}

const SHARED: &str = "\
Resources:
  A:
    Type: AWS::Lambda::Function
    Properties: &props
      Handler: app.handler
      Runtime: python3.12
  B:
    Type: AWS::Lambda::Function
    Properties: *props
  C:
    Type: AWS::Lambda::Function
    Properties:
      <<: *props
      Timeout: 3
";

#[test]
fn a_change_through_an_alias_falls_back_naming_it() {
    let f = fallback(SHARED, |t| {
        t["Resources"]["B"]["Properties"]["Handler"] = json!("datadog_lambda.handler.handler");
    });
    assert_eq!(f.construct, Construct::Alias("props".into()));
    assert_eq!(f.line, 9);
    assert_eq!(
        f.to_string(),
        "the file cannot be edited in place at `Resources.B.Properties` (line 9): the change goes through the YAML alias `*props`"
    );
}

#[test]
fn a_change_inside_a_repeated_anchor_falls_back_naming_it() {
    let f = fallback(SHARED, |t| {
        insert(
            &mut t["Resources"]["A"]["Properties"],
            "Layers",
            json!(["arn:x"]),
        );
    });
    assert_eq!(f.construct, Construct::Anchor("props".into()));
    assert_eq!(f.line, 4);
}

#[test]
fn a_change_to_a_merged_key_falls_back_naming_the_merge_key() {
    let f = fallback(SHARED, |t| {
        t["Resources"]["C"]["Properties"]["Handler"] = json!("datadog_lambda.handler.handler");
    });
    assert_eq!(f.construct, Construct::MergeKey);
    assert_eq!(f.line, 13);
    assert!(
        f.to_string()
            .ends_with("the changed key comes from a `<<` merge key"),
        "{f}"
    );
    // A key the merge does not give is added beside it.
    let out = edited(SHARED, |t| {
        insert(
            &mut t["Resources"]["C"]["Properties"],
            "MemorySize",
            json!(1024),
        );
    });
    assert!(
        out.ends_with("      Timeout: 3\n      MemorySize: 1024\n"),
        "{out}"
    );
}

#[test]
fn hunk_headers_name_the_resources_and_sections() {
    let (before, format) = template::parse(SAM).unwrap();
    let mut after = before.clone();
    after["Transform"] = json!(["AWS::Serverless-2016-10-31"]);
    insert(
        &mut after["Resources"]["Orders"],
        "Properties",
        json!({"BillingMode": "PAY_PER_REQUEST"}),
    );
    let edited = edit(SAM, format, &before, &after).unwrap();
    let labels: Vec<&str> = edited.regions().iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["Transform", "Resources.Orders"]);
    let diff = unified_diff(SAM, &edited, "template.yaml", "template.yaml");
    let headers: Vec<&str> = diff.lines().filter(|l| l.starts_with("@@")).collect();
    assert_eq!(
        headers,
        [
            "@@ -1,8 +1,6 @@ Transform",
            "@@ -18,3 +16,5 @@ Resources.Orders"
        ],
        "{diff}"
    );
    assert!(diff.starts_with("--- template.yaml\n+++ template.yaml\n"));
}

#[test]
fn first_difference_names_a_path() {
    assert_eq!(
        first_difference(
            &json!({"A": {"B": [1, {"C": 2}]}}),
            &json!({"A": {"B": [1, {"C": 3}]}})
        ),
        "A.B[1].C"
    );
    assert_eq!(first_difference(&json!({"A": 1}), &json!({"B": 1})), "A");
    assert_eq!(first_difference(&json!(1), &json!(2)), "");
}

#[test]
fn empty_values_and_values_with_comments_after_them_take_blocks() {
    let text = "\
---
Resources:
  F:
    Properties:
      Environment:
      Tags: {}   # none yet
      Layers: []
...
";
    let out = edited(text, |t| {
        let props = &mut t["Resources"]["F"]["Properties"];
        props["Environment"] = json!({"Variables": {"DD_ENV": "prod"}});
        props["Tags"] = json!({"team": "a"});
        props["Layers"] = json!(["arn:x"]);
    });
    assert_eq!(
        out,
        "\
---
Resources:
  F:
    Properties:
      Environment:
        Variables:
          DD_ENV: prod
      Tags:   # none yet
        team: a
      Layers:
        - arn:x
...
"
    );
}

#[test]
fn nested_lists_explicit_keys_and_odd_spacing_are_edited() {
    let text = "\
A:
  - - a
    - b
  -   c
? B
: x
C:    [ 1 ,2 ]
";
    let out = edited(text, |t| {
        push(&mut t["A"][0], json!("b2"));
        t["A"][1] = json!("c2");
        t["B"] = json!("z");
        push(&mut t["C"], json!(3));
    });
    assert_eq!(
        out,
        "A:\n  - - a\n    - b\n    - b2\n  -   c2\n? B\n: z\nC:    [ 1 ,2, 3 ]\n"
    );
}

#[test]
fn the_first_entry_after_a_dash_gives_its_place_to_the_next() {
    let out = edited("A:\n  - k: 1\n    m: 2\n  - - x\n    - y\n", |t| {
        t["A"][0].as_object_mut().unwrap().shift_remove("k");
        t["A"][1].as_array_mut().unwrap().remove(0);
    });
    assert_eq!(out, "A:\n  - m: 2\n  - - y\n");
}

#[test]
fn what_cannot_be_written_in_place_falls_back_rather_than_panics() {
    // Before the first item of a list that follows a `- ` on its line.
    let f = fallback("A:\n  - - x\n", |t| {
        t["A"][0].as_array_mut().unwrap().insert(0, json!("w"));
    });
    assert!(matches!(f.construct, Construct::Layout(_)), "{f}");
    assert_eq!((f.path.as_str(), f.line), ("A[0]", 2));
}
