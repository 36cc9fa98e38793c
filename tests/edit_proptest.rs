//! A property test of the in-place editor (`dd_serverless_macro::edit`):
//! generated templates, written four ways (our YAML, the same indented by
//! four, pretty JSON, one-line JSON), changed at random places (keys added,
//! removed and replaced, list items appended, inserted and removed). The
//! editor never panics; an edit it returns reads back as the changed value;
//! and it never needs its proof to catch a wrong edit (`Unverified`).
//!
//! 500 cases by default; `PROPTEST_CASES=N` runs N.

use dd_serverless_macro::internals::edit::{self, Construct};
use dd_serverless_macro::template::{self, Format};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    Config {
        cases,
        ..Config::default()
    }
}

/// Strings that YAML or JSON writers must take care with.
const TEXTS: &[&str] = &[
    "plain",
    "yes",
    "a: b",
    "#x",
    "x #y",
    "two\nlines\n",
    "",
    "é",
    "1.0",
    "'q'",
    "\"dq\"",
    "- x",
    "[a]",
    "{b}",
    "a,b",
    "arn:aws:lambda:${AWS::Region}:1:layer:L:3",
    " lead",
];

const KEYS: &[&str] = &[
    "Handler",
    "Layers",
    "Variables",
    "Ref",
    "Fn::Sub",
    "k",
    "a b",
    "200",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        select(TEXTS).prop_map(|s| json!(s)),
        any::<i32>().prop_map(|n| json!(n)),
        any::<bool>().prop_map(|b| json!(b)),
        Just(Value::Null),
        select(TEXTS).prop_map(|s| json!({"Ref": s})),
        select(TEXTS).prop_map(|s| json!({"Fn::Sub": s})),
        Just(json!({"Fn::GetAtt": ["Role", "Arn"]})),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((select(KEYS), inner.clone()), 0..4).prop_map(|entries| {
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                )
            }),
            inner.prop_map(|v| json!({"Fn::If": ["Cond", v, {"Ref": "AWS::NoValue"}]})),
        ]
    })
}

fn template() -> impl Strategy<Value = Value> {
    prop::collection::vec(value(), 1..5).prop_map(|properties| {
        let resources: Map<String, Value> = properties
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    format!("R{i}"),
                    json!({"Type": "AWS::Lambda::Function", "Properties": {"P": p, "Handler": "app.handler"}}),
                )
            })
            .collect();
        json!({"Transform": ["AWS::Serverless-2016-10-31", "DatadogServerless"], "Resources": resources})
    })
}

/// One change: where to go (`path`, each step taken modulo the children's
/// number), what to do there, and the new value.
#[derive(Debug, Clone)]
struct Change {
    path: Vec<usize>,
    action: u8,
    new: Value,
}

fn change() -> impl Strategy<Value = Change> {
    (
        prop::collection::vec(any::<usize>(), 0..6),
        any::<u8>(),
        value(),
    )
        .prop_map(|(path, action, new)| Change { path, action, new })
}

/// The children of a collection, in order.
fn children(value: &Value) -> Vec<&Value> {
    match value {
        Value::Object(map) => map.values().collect(),
        Value::Array(items) => items.iter().collect(),
        _ => Vec::new(),
    }
}

fn child_mut(value: &mut Value, i: usize) -> &mut Value {
    match value {
        Value::Object(map) => map.values_mut().nth(i).unwrap(),
        Value::Array(items) => &mut items[i],
        other => other,
    }
}

fn apply(value: &mut Value, change: &Change, fresh: usize) {
    // The collections along the path, as child indices.
    let mut indices = Vec::new();
    let mut walk = &*value;
    for step in &change.path {
        let kids = children(walk);
        if kids.is_empty() {
            break;
        }
        let i = step % kids.len();
        if !matches!(kids[i], Value::Object(_) | Value::Array(_)) {
            break;
        }
        indices.push(i);
        walk = kids[i];
    }
    let mut here = value;
    for i in indices {
        here = child_mut(here, i);
    }
    let at = change.path.last().copied().unwrap_or(0);
    match (here, change.action % 4) {
        (Value::Object(map), 0) => {
            map.insert(format!("New{fresh}"), change.new.clone());
        }
        (Value::Object(map), 1) if !map.is_empty() => {
            let key = map.keys().nth(at % map.len()).cloned().unwrap_or_default();
            map.shift_remove(&key);
        }
        (Value::Object(map), _) if !map.is_empty() => {
            let i = at % map.len();
            if let Some((_, v)) = map.iter_mut().nth(i) {
                *v = change.new.clone();
            }
        }
        (Value::Array(items), 0) => items.push(change.new.clone()),
        (Value::Array(items), 1) if !items.is_empty() => {
            let i = at % items.len();
            items.remove(i);
        }
        (Value::Array(items), 2) => {
            let i = at % (items.len() + 1);
            items.insert(i, change.new.clone());
        }
        (Value::Array(items), _) if !items.is_empty() => {
            let i = at % items.len();
            items[i] = change.new.clone();
        }
        (other, _) => *other = change.new.clone(),
    }
}

/// The template written four ways.
fn texts(value: &Value) -> Vec<(String, Format)> {
    let yaml = template::to_string(value, Format::Yaml);
    // Doubling every indentation keeps a block YAML document's meaning.
    let wide: String = yaml
        .lines()
        .map(|line| {
            let body = line.trim_start_matches(' ');
            format!("{}{body}\n", " ".repeat(2 * (line.len() - body.len())))
        })
        .collect();
    vec![
        (yaml, Format::Yaml),
        (wide, Format::Yaml),
        (template::to_string(value, Format::Json), Format::Json),
        (serde_json::to_string(value).unwrap(), Format::Json),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn edits_read_back_as_the_changed_template(
        template in template(),
        changes in prop::collection::vec(change(), 1..4),
    ) {
        for (text, format) in texts(&template) {
            let Ok((before, read_format)) = template::parse(&text) else {
                continue;
            };
            prop_assert_eq!(read_format, format);
            let mut after = before.clone();
            for (i, change) in changes.iter().enumerate() {
                apply(&mut after, change, i);
            }
            if !after.is_object() {
                continue;
            }
            match edit::edit(&text, format, &before, &after) {
                Ok(edited) => {
                    let (reread, _) = template::parse(edited.text()).unwrap();
                    prop_assert_eq!(&reread, &after, "{}", edited.text());
                }
                Err(fallback) => {
                    prop_assert!(
                        !matches!(fallback.construct, Construct::Unverified(_)),
                        "{fallback}\n{text}\n{after:#}"
                    );
                }
            }
        }
    }
}
