//! The macro answering an event's bytes with the answer's bytes, without
//! building the whole template in memory: what the deployed macro and
//! `handle-event` run (speed and peak memory, README "Performance").
//!
//! The fragment is read section by section, and `Resources` resource by
//! resource, each entry left as written (borrowed from the event's bytes).
//! Only what the passes read becomes a [`Value`]: every section but
//! `Resources`; the resources of the types passes look into ([`WHOLE_TYPES`]:
//! roles, log groups, subscription filters, state machines) whole; of every
//! other resource, all but its `Properties`. Each function is read whole when
//! its turn comes, written out as soon as its passes are done, and replaced
//! in the template by a digest (what later passes read of it). The answer is
//! then written section by section, each resource no pass changed as it came.
//!
//! Whatever this path cannot vouch for (an event or a fragment of an unusual
//! shape, duplicate keys, a resource kept aside that a pass changed, a panic)
//! is answered by the general path, [`crate::handle_bytes`], which builds the
//! whole template: both always give the same answer (tests/streaming.rs).

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::lambda::FunctionBodies;
use crate::macro_event::MacroResponse;
use crate::{MAX_EVENT_BYTES, MacroEnvironment, MacroRequest, Report};

/// Resource types some pass reads beyond `Type`, `Condition` and `Metadata`
/// (besides functions, which are read one at a time): kept whole.
pub const WHOLE_TYPES: &[&str] = &[
    "AWS::IAM::Role",
    "AWS::Logs::LogGroup",
    "AWS::Logs::SubscriptionFilter",
    crate::step_functions::STATE_MACHINE_TYPE,
    crate::step_functions::SAM_STATE_MACHINE_TYPE,
];

/// The properties of a function later passes read once it is written out
/// (the Forwarder subscription: its log group's name).
const DIGEST_PROPERTIES: &[&str] = &["FunctionName", "LoggingConfig"];

/// What answering an event produced besides the answer's bytes.
#[derive(Debug, Clone)]
pub struct Answered {
    /// Whether the answer's status is `success`.
    pub success: bool,
    /// What the transform did and found (for the macro's log).
    pub report: Report,
}

/// Answers the event `bytes`, writing the response JSON to `out`.
pub fn answer_bytes(bytes: &[u8], environment: &MacroEnvironment, out: &mut Vec<u8>) -> Answered {
    if let Some(answered) = answer_streamed(bytes, environment, out) {
        return answered;
    }
    let (response, report) = crate::handle_bytes(bytes, environment);
    serde_json::to_writer(&mut *out, &response).expect("a response serialises to memory");
    Answered {
        success: response.is_success(),
        report,
    }
}

/// The streaming answer alone: `None` (and nothing written) when the event
/// needs the general path. [`answer_bytes`] is what front ends call; this
/// lets tests check which path answered.
pub fn answer_streamed(
    bytes: &[u8],
    environment: &MacroEnvironment,
    out: &mut Vec<u8>,
) -> Option<Answered> {
    if bytes.len() > MAX_EVENT_BYTES {
        return None;
    }
    let mark = out.len();
    let answered = catch_unwind(AssertUnwindSafe(|| streamed(bytes, environment, out)))
        .ok()
        .flatten();
    if answered.is_none() {
        out.truncate(mark);
    }
    answered
}

/// The streaming answer, or `None` when the general path must answer.
fn streamed(bytes: &[u8], environment: &MacroEnvironment, out: &mut Vec<u8>) -> Option<Answered> {
    let event: Entries<'_> = serde_json::from_slice(bytes).ok()?;
    let (request, fragment) = read_request(event)?;
    let (mut skeleton, mut kept) = read_fragment(fragment)?;
    let report = crate::transform_with(&mut skeleton, &request, environment, &mut kept);
    if report.has_errors() {
        let failure =
            MacroResponse::failure(request.request_id, Value::Null, crate::errors_of(&report));
        write_response(out, &failure, |out| {
            out.extend_from_slice(fragment.get().as_bytes())
        });
        return Some(Answered {
            success: false,
            report,
        });
    }
    if !kept.untouched(&skeleton) {
        return None;
    }
    let success = MacroResponse::success(request.request_id, Value::Null);
    write_response(out, &success, |out| kept.write_fragment(&skeleton, out));
    Some(Answered {
        success: true,
        report,
    })
}

/// The request without its fragment (checked by [`MacroRequest::from_value`]
/// like any event), and the fragment as written.
fn read_request(event: Entries<'_>) -> Option<(MacroRequest, &RawValue)> {
    let mut fragment = None;
    let mut rest = Map::new();
    for (key, raw) in event.0 {
        if key == "fragment" {
            if fragment.replace(raw).is_some() {
                return None;
            }
        } else {
            rest.insert(key, serde_json::from_str(raw.get()).ok()?);
        }
    }
    let fragment = fragment?;
    if !fragment.get().starts_with('{') {
        return None;
    }
    rest.insert("fragment".into(), Value::Object(Map::new()));
    let request = MacroRequest::from_value(Value::Object(rest)).ok()?;
    Some((request, fragment))
}

/// The fragment with the resources kept aside left out, and those resources.
fn read_fragment(fragment: &RawValue) -> Option<(Value, KeptAside<'_>)> {
    let sections: Entries<'_> = serde_json::from_str(fragment.get()).ok()?;
    let mut skeleton = Map::new();
    let mut kept = KeptAside::default();
    for (key, raw) in sections.0 {
        let value = if key == "Resources" {
            let resources: ResourceEntries<'_> = serde_json::from_str(raw.get()).ok()?;
            Value::Object(kept.read_resources(resources)?)
        } else {
            serde_json::from_str(raw.get()).ok()?
        };
        if skeleton.insert(key, value).is_some() {
            return None;
        }
    }
    Some((Value::Object(skeleton), kept))
}

/// Writes a response whose fragment `write_fragment` writes, in the field
/// order of [`MacroResponse`]'s own serialisation.
fn write_response(
    out: &mut Vec<u8>,
    response: &MacroResponse,
    write_fragment: impl FnOnce(&mut Vec<u8>),
) {
    out.extend_from_slice(b"{\"requestId\":");
    write_json(out, &response.request_id);
    out.extend_from_slice(b",\"status\":");
    write_json(out, &response.status);
    out.extend_from_slice(b",\"fragment\":");
    write_fragment(out);
    if let Some(message) = &response.error_message {
        out.extend_from_slice(b",\"errorMessage\":");
        write_json(out, message);
    }
    out.push(b'}');
}

/// Writes `value` as JSON to memory (which cannot fail).
fn write_json(out: &mut Vec<u8>, value: &(impl serde::Serialize + ?Sized)) {
    serde_json::to_writer(&mut *out, value).expect("JSON serialises to memory");
}

/// The resources not (or no longer) in the template the passes see, by
/// logical id: each with what stands in for it there.
#[derive(Default)]
struct KeptAside<'a> {
    resources: HashMap<String, Kept<'a>>,
    /// The functions written out so far, one after the other.
    written: Vec<u8>,
}

/// One resource kept aside.
struct Kept<'a> {
    /// What the template holds in its place: anything else there at the end
    /// means a pass changed it, and the general path answers.
    stands_in: Value,
    /// What the answer holds for it.
    body: Body<'a>,
}

/// A kept resource as the answer writes it.
enum Body<'a> {
    /// As received: its entries, each as written.
    AsReceived(Vec<(String, &'a RawValue)>),
    /// A function after its passes: a range of [`KeptAside::written`].
    Written(Range<usize>),
    /// Taken by the passes and not given back (a bug): the general path answers.
    Taken,
}

impl<'a> KeptAside<'a> {
    /// The `Resources` section the passes see, keeping aside all it can.
    fn read_resources(&mut self, resources: ResourceEntries<'a>) -> Option<Map<String, Value>> {
        let mut section = Map::with_capacity(resources.0.len());
        for (id, Entries(entries)) in resources.0 {
            let resource = match kept_type(&entries) {
                Some(_) if has_duplicate_keys(&entries) => whole(&entries)?,
                Some(t) if WHOLE_TYPES.contains(&t.as_str()) => whole(&entries)?,
                Some(_) => {
                    let stands_in = Value::Object(
                        entries
                            .iter()
                            .filter(|(key, _)| key != "Properties")
                            .map(|(key, raw)| {
                                Some((key.clone(), serde_json::from_str(raw.get()).ok()?))
                            })
                            .collect::<Option<Map<_, _>>>()?,
                    );
                    let kept = Kept {
                        stands_in: stands_in.clone(),
                        body: Body::AsReceived(entries),
                    };
                    self.resources.insert(id.clone(), kept);
                    stands_in
                }
                None => whole(&entries)?,
            };
            if section.insert(id, resource).is_some() {
                return None;
            }
        }
        Some(section)
    }

    /// Whether every kept resource's stand-in is still what it was.
    fn untouched(&self, skeleton: &Value) -> bool {
        self.resources.iter().all(|(id, kept)| {
            !matches!(kept.body, Body::Taken)
                && skeleton["Resources"].get(id) == Some(&kept.stands_in)
        })
    }

    /// Writes the fragment: the skeleton, with each kept resource's body in
    /// place of its stand-in.
    fn write_fragment(&self, skeleton: &Value, out: &mut Vec<u8>) {
        let Some(sections) = skeleton.as_object() else {
            return write_json(out, skeleton);
        };
        out.push(b'{');
        for (n, (key, value)) in sections.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_json(out, key);
            out.push(b':');
            match value.as_object() {
                Some(resources) if key == "Resources" => self.write_resources(resources, out),
                _ => write_json(out, value),
            }
        }
        out.push(b'}');
    }

    fn write_resources(&self, resources: &Map<String, Value>, out: &mut Vec<u8>) {
        out.push(b'{');
        for (n, (id, resource)) in resources.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_json(out, id);
            out.push(b':');
            match self.resources.get(id).map(|kept| &kept.body) {
                Some(Body::AsReceived(entries)) => {
                    out.push(b'{');
                    for (n, (key, raw)) in entries.iter().enumerate() {
                        if n > 0 {
                            out.push(b',');
                        }
                        write_json(out, key);
                        out.push(b':');
                        out.extend_from_slice(raw.get().as_bytes());
                    }
                    out.push(b'}');
                }
                Some(Body::Written(range)) => out.extend_from_slice(&self.written[range.clone()]),
                Some(Body::Taken) | None => write_json(out, resource),
            }
        }
        out.push(b'}');
    }
}

impl FunctionBodies for KeptAside<'_> {
    fn take(&mut self, id: &str, fragment: &mut Value) -> Value {
        let slot = fragment["Resources"].get_mut(id).map(Value::take);
        let Some(kept) = self.resources.get_mut(id) else {
            return slot.unwrap_or_default();
        };
        let Body::AsReceived(entries) = std::mem::replace(&mut kept.body, Body::Taken) else {
            return slot.unwrap_or_default();
        };
        let mut stands_in = match slot {
            Some(Value::Object(map)) => map,
            _ => return Value::Null,
        };
        let mut whole = Map::with_capacity(entries.len());
        for (key, raw) in entries {
            let value = if key == "Properties" {
                match serde_json::from_str(raw.get()) {
                    Ok(value) => value,
                    Err(_) => return Value::Null,
                }
            } else {
                stands_in.remove(&key).unwrap_or_default()
            };
            whole.insert(key, value);
        }
        Value::Object(whole)
    }

    fn put(&mut self, id: &str, resource: Value, fragment: &mut Value) {
        let Some(kept) = self.resources.get_mut(id) else {
            if let Some(slot) = fragment["Resources"].get_mut(id) {
                *slot = resource;
            }
            return;
        };
        let start = self.written.len();
        write_json(&mut self.written, &resource);
        kept.body = Body::Written(start..self.written.len());
        kept.stands_in = digest(resource);
        if let Some(slot) = fragment["Resources"].get_mut(id) {
            *slot = kept.stands_in.clone();
        }
    }
}

/// What stands in for a function once written out: all but its
/// `Properties`, of which only [`DIGEST_PROPERTIES`].
fn digest(resource: Value) -> Value {
    let Value::Object(resource) = resource else {
        return resource;
    };
    let digest = resource
        .into_iter()
        .map(|(key, value)| match (key.as_str(), value) {
            ("Properties", Value::Object(props)) => {
                let kept = props
                    .into_iter()
                    .filter(|(name, _)| DIGEST_PROPERTIES.contains(&name.as_str()))
                    .collect();
                (key, Value::Object(kept))
            }
            (_, value) => (key, value),
        })
        .collect();
    Value::Object(digest)
}

/// The resource's `Type` when it is one string (else the resource is read whole).
fn kept_type(entries: &[(String, &RawValue)]) -> Option<String> {
    let mut types = entries.iter().filter(|(key, _)| key == "Type");
    let (_, raw) = types.next()?;
    if types.next().is_some() {
        return None;
    }
    serde_json::from_str(raw.get()).ok()
}

fn has_duplicate_keys(entries: &[(String, &RawValue)]) -> bool {
    entries
        .iter()
        .enumerate()
        .any(|(n, (key, _))| entries[..n].iter().any(|(other, _)| other == key))
}

/// A resource read whole.
fn whole(entries: &[(String, &RawValue)]) -> Option<Value> {
    let mut map = Map::with_capacity(entries.len());
    for (key, raw) in entries {
        map.insert(key.clone(), serde_json::from_str(raw.get()).ok()?);
    }
    Some(Value::Object(map))
}

/// A JSON object read as its entries, each value as written.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(4));
                while let Some((key, value)) = map.next_entry::<String, &'de RawValue>()? {
                    entries.push((key, value));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// The `Resources` section read as each resource's entries.
struct ResourceEntries<'a>(Vec<(String, Entries<'a>)>);

impl<'de> Deserialize<'de> for ResourceEntries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ResourcesVisitor;
        impl<'de> Visitor<'de> for ResourcesVisitor {
            type Value = ResourceEntries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of JSON objects")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut resources = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some((id, resource)) = map.next_entry::<String, Entries<'de>>()? {
                    resources.push((id, resource));
                }
                Ok(ResourceEntries(resources))
            }
        }
        deserializer.deserialize_map(ResourcesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn both(event: &Value) -> (Value, Value) {
        let bytes = serde_json::to_vec(event).unwrap();
        let mut out = Vec::new();
        answer_bytes(&bytes, &MacroEnvironment::default(), &mut out);
        let streamed: Value = serde_json::from_slice(&out).expect("the answer is JSON");
        let (general, _) = crate::handle_bytes(&bytes, &MacroEnvironment::default());
        (streamed, serde_json::to_value(general).unwrap())
    }

    #[test]
    fn answers_like_the_general_path_keeping_untouched_resources_as_written() {
        let event = json!({"requestId": "r", "region": "us-east-1", "params": {"apiKey": "k", "forwarderArn": "arn:aws:lambda:us-east-1:1:function:f"},
            "fragment": {"Description": "d", "Resources": {
                "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
                "Fn": {"Type": "AWS::Lambda::Function", "Condition": "C", "Properties": {"Runtime": "python3.12", "Handler": "a.b", "Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
                "Q": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 1.50}}
            }, "Outputs": {}}});
        let (streamed, general) = both(&event);
        assert_eq!(streamed["status"], "success");
        assert_eq!(streamed, general);
        let keys: Vec<_> = streamed["fragment"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["Description", "Resources", "Outputs"]);
        // A number is written back exactly as it came.
        let bytes = br#"{"fragment": {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"N": 1e2}}}}}"#;
        let mut out = Vec::new();
        assert!(answer_bytes(bytes, &MacroEnvironment::default(), &mut out).success);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(r#""Properties":{"N": 1e2}"#), "{text}");
    }

    #[test]
    fn failures_answer_the_fragment_as_received() {
        let event = json!({"requestId": "r2", "params": {"apiKey": "k"}, "fragment": {"Resources": {
            "Good": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "a.b"}},
            "Bad": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": {"Fn::FindInMap": ["M", "a", "b"]}, "Handler": "a.b"}}
        }}});
        let (streamed, general) = both(&event);
        assert_eq!(streamed["status"], "failure");
        assert_eq!(streamed, general);
        assert_eq!(streamed["fragment"], event["fragment"]);
    }

    #[test]
    fn unusual_shapes_go_to_the_general_path() {
        for event in [
            json!("text"),
            json!({"requestId": "r"}),
            json!({"fragment": []}),
            json!({"fragment": {"Resources": []}}),
            json!({"fragment": {"Resources": {"A": 1}}}),
            json!({"fragment": {"Resources": {"A": {"Type": 1}}}, "params": [1]}),
        ] {
            let (streamed, general) = both(&event);
            assert_eq!(streamed, general, "{event}");
        }
        let mut out = Vec::new();
        let duplicate = br#"{"fragment": {"Resources": {"A": {"Type": "T"}, "A": {"Type": "U"}}}}"#;
        answer_bytes(duplicate, &MacroEnvironment::default(), &mut out);
        let answer: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(answer["fragment"]["Resources"], json!({"A": {"Type": "U"}}));
    }
}
