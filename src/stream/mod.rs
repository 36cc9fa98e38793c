//! The macro answering an event's bytes with the answer's bytes, without
//! building the whole template in memory: what the deployed macro and
//! `handle-event` run (speed and peak memory, README "Performance").
//!
//! The event is read in one pass ([`read`]): the fragment section by
//! section, `Resources` resource by resource, each entry left as written
//! (borrowed from the event's bytes). Only what the passes read becomes a
//! [`Value`] ([`kept`]): every section but `Resources`; log groups,
//! subscription filters and state machines whole; of a role, its
//! `Policies`; of a function, until its turn, all but its `Properties`; of
//! any other resource, its `Type`. When its turn comes a function is read
//! but for the properties no pass reads, written out as soon as its passes
//! are done, and replaced in the template by a digest (what later passes
//! read of it). The answer is then written section by section, each resource
//! no pass changed as it came, the values as serde_json writes them
//! ([`write`], faster on strings).
//!
//! Whatever this path cannot vouch for (an event or a fragment of an unusual
//! shape, duplicate keys, nesting near the limit, a property kept as written
//! that a pass wrote, a resource kept aside that a pass changed, a panic) is
//! answered by the general path, [`crate::handle_bytes`], which builds the
//! whole template: both give the same answer (tests/streaming.rs).

pub mod kept;
pub mod read;
pub mod write;

use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::macro_event::MacroResponse;
use crate::report::Detail;
use crate::{MAX_EVENT_BYTES, MacroEnvironment, MacroRequest, Report};
use kept::KeptAside;
use read::{EventParts, FragmentOnly, Section};

/// What answering an event produced besides the answer's bytes.
#[derive(Debug, Clone)]
pub struct Answered {
    /// Whether the answer's status is `success`.
    pub success: bool,
    /// What the transform did and found, for the macro's log: every
    /// diagnostic, and per resource only its first change and first skip
    /// ([`Detail::Summary`]) when the streaming path answered.
    pub report: Report,
    /// The event's fields but its fragment, when the streaming path read
    /// them (`None`: the general path answered).
    pub request: Option<MacroRequest>,
}

/// Answers the event `bytes`, writing the response JSON to `out` (an error
/// only when `out` fails).
pub fn answer_bytes(
    bytes: &[u8],
    environment: &MacroEnvironment,
    out: &mut impl Write,
) -> io::Result<Answered> {
    if let Some(answered) = answer_streamed(bytes, environment, out)? {
        return Ok(answered);
    }
    let (response, report) = crate::handle_bytes(bytes, environment);
    write_json(out, &response)?;
    Ok(Answered {
        success: response.is_success(),
        report,
        request: None,
    })
}

/// [`answer_bytes`] into memory, sized once for the usual answer (the event
/// and half again: what the passes add), as the deployed macro answers.
pub fn answer_to_vec(bytes: &[u8], environment: &MacroEnvironment) -> (Vec<u8>, Answered) {
    let mut out = Vec::with_capacity(bytes.len().saturating_add(bytes.len() / 2));
    let answered =
        answer_bytes(bytes, environment, &mut out).expect("writing to memory cannot fail");
    (out, answered)
}

/// The streaming answer alone: `Ok(None)` (and nothing written) when the
/// event needs the general path. [`answer_bytes`] is what front ends call;
/// this lets tests check which path answered.
pub fn answer_streamed(
    bytes: &[u8],
    environment: &MacroEnvironment,
    out: &mut impl Write,
) -> io::Result<Option<Answered>> {
    if bytes.len() > MAX_EVENT_BYTES {
        return Ok(None);
    }
    let prepared = catch_unwind(AssertUnwindSafe(|| prepare(bytes, environment)))
        .ok()
        .flatten();
    let Some(Prepared {
        mut request,
        report,
        outcome,
    }) = prepared
    else {
        return Ok(None);
    };
    let success = matches!(outcome, Outcome::Success { .. });
    match outcome {
        Outcome::Success { skeleton, kept } => {
            let response = MacroResponse::success(request.request_id.clone(), Value::Null);
            write_response(out, &response, |out| kept.write_fragment(&skeleton, out))?;
        }
        Outcome::Failure { fragment } => {
            let response = MacroResponse::failure(
                request.request_id.clone(),
                Value::Null,
                crate::errors_of(&report),
            );
            write_response(out, &response, |out| {
                out.write_all(fragment.get().as_bytes())
            })?;
        }
    }
    request.fragment = Value::Null;
    Ok(Some(Answered {
        success,
        report,
        request: Some(request),
    }))
}

/// A transformed event, ready to be written.
struct Prepared<'a> {
    request: MacroRequest,
    report: Report,
    outcome: Outcome<'a>,
}

enum Outcome<'a> {
    /// The template to write: the skeleton, with the kept resources.
    Success {
        skeleton: Value,
        kept: KeptAside<'a>,
    },
    /// The transform failed: the answer carries the fragment as received.
    Failure { fragment: &'a RawValue },
}

/// Reads and transforms the event, or `None` when the general path must answer.
fn prepare<'a>(bytes: &'a [u8], environment: &MacroEnvironment) -> Option<Prepared<'a>> {
    // Checked as UTF-8 once, whole: read as text, serde_json does not check
    // again each entry it keeps as written.
    let text = std::str::from_utf8(bytes).ok()?;
    let event: EventParts<'_> = serde_json::from_str(text).ok()?;
    let (request, sections) = event.into_request()?;
    let (mut skeleton, mut kept) = read_fragment(sections, bytes.len())?;
    let report = crate::transform_with(
        &mut skeleton,
        &request,
        environment,
        &mut kept,
        Detail::Summary,
    );
    if kept.is_broken() {
        return None;
    }
    let outcome = if report.has_errors() {
        // Read once more, for the fragment as written.
        let FragmentOnly { fragment } = serde_json::from_str(text).ok()?;
        Outcome::Failure { fragment }
    } else if kept.untouched(&skeleton) {
        Outcome::Success { skeleton, kept }
    } else {
        return None;
    };
    Some(Prepared {
        request,
        report,
        outcome,
    })
}

/// The template the passes see, with the resources kept aside left out,
/// and those resources (`size`: the event's, to size the functions' output).
fn read_fragment(
    sections: Vec<(String, Section<'_>)>,
    size: usize,
) -> Option<(Value, KeptAside<'_>)> {
    let mut skeleton = Map::with_capacity(sections.len());
    let mut kept = KeptAside::with_room(size);
    for (key, section) in sections {
        let value = match section {
            Section::Resources(resources) => Value::Object(kept.read_resources(resources)?),
            Section::Other(value) => value,
        };
        if skeleton.insert(key, value).is_some() {
            return None;
        }
    }
    Some((Value::Object(skeleton), kept))
}

/// Writes a response whose fragment `write_fragment` writes, in the field
/// order of [`MacroResponse`]'s own serialisation.
fn write_response<W: Write>(
    out: &mut W,
    response: &MacroResponse,
    write_fragment: impl FnOnce(&mut W) -> io::Result<()>,
) -> io::Result<()> {
    out.write_all(b"{\"requestId\":")?;
    write_json(out, &response.request_id)?;
    out.write_all(b",\"status\":")?;
    write_json(out, &response.status)?;
    out.write_all(b",\"fragment\":")?;
    write_fragment(out)?;
    if let Some(message) = &response.error_message {
        out.write_all(b",\"errorMessage\":")?;
        write_json(out, message)?;
    }
    out.write_all(b"}")
}

/// Writes `value` as JSON.
fn write_json(out: &mut impl Write, value: &(impl serde::Serialize + ?Sized)) -> io::Result<()> {
    serde_json::to_writer(out, value).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn both(event: &Value) -> (Value, Value) {
        let bytes = serde_json::to_vec(event).unwrap();
        let mut out = Vec::new();
        answer_bytes(&bytes, &MacroEnvironment::default(), &mut out).unwrap();
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
        assert!(
            answer_bytes(bytes, &MacroEnvironment::default(), &mut out)
                .unwrap()
                .success
        );
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(r#""Properties":{"N":1e2}"#), "{text}");
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
        answer_bytes(duplicate, &MacroEnvironment::default(), &mut out).unwrap();
        let answer: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(answer["fragment"]["Resources"], json!({"A": {"Type": "U"}}));
    }
}
