//! Answering a macro event: the one pipeline behind every front end (the
//! Lambda handler, `handle-event`, and `transform`'s dry runs, which answer
//! the event their template makes).
//!
//! The event's bytes are read once into a [`Template`] that keeps every
//! value as written until a pass asks for it ([`crate::template::read`]);
//! the passes edit it; the answer is written through serde, each value no
//! pass changed as it came. A failed transform answers with the template as
//! received, which the template still holds. A panic anywhere becomes a
//! `failure` naming an internal error: [`answer`] is the only place that
//! catches one.

use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::config::{self, Config, MacroEnvironment};
use crate::macro_event::{
    EventIds, EventShapeError, MacroRequest, MacroResponse, json_type_name, not_a_template,
};
use crate::report::{Detail, Report};
use crate::report_text::diagnostic_summary;
use crate::secrets::{Secrets, secret_names};
use crate::template::model::Template;
use crate::template::read::{self, Fragment, MapOr};
use crate::{MAX_EVENT_BYTES, StackContext, lambda, processed, step_functions, template};

/// The template's section where the processed template carries what the
/// transform found ([`processed`]).
const METADATA: &str = "Metadata";

/// What answering an event found besides the answer's bytes: what the
/// macro's log line needs.
#[derive(Debug, Clone, Default)]
pub struct Answered {
    /// Whether the answer's status is `success`.
    pub success: bool,
    /// What the transform did and found.
    pub report: Report,
    /// The event's ids (empty when it could not be read).
    pub ids: EventIds,
    /// What a log line about the request must mask, when the report holds
    /// warnings (messages may quote what a pass read): the secrets of the
    /// request's parameters, of the macro's environment, and of every value
    /// of the template a pass read.
    pub secrets: Secrets,
}

/// Answers the macro event `bytes` with the answer's bytes (a
/// [`MacroResponse`] as JSON), as the deployed macro does: the report keeps,
/// per resource, its first change and its first skip (what the log line of
/// the deployed macro counts). Never panics: whatever goes wrong is a
/// `failure` answer.
pub fn answer(bytes: &[u8], environment: &MacroEnvironment) -> (Vec<u8>, Answered) {
    // A summary (and passes that ask `Report::wants_change` before building
    // a change): 11% fewer instructions on functions-500 than every change
    // with its values (96.6 M to 86.1 M, callgrind); peak memory the same.
    answer_keeping(bytes, environment, Detail::Summary)
}

/// [`answer`], its report keeping `detail` of the changes (dry runs show
/// them all: [`Detail::Full`]).
pub(crate) fn answer_keeping(
    bytes: &[u8],
    environment: &MacroEnvironment,
    detail: Detail,
) -> (Vec<u8>, Answered) {
    let mut out = Vec::new();
    let answered =
        guarded(bytes, environment, detail, &mut out).expect("writing to memory cannot fail");
    (out, answered)
}

/// [`answer`], the answer written to `out` as it is made (`handle-event`:
/// a large answer is not held in memory besides the template). An error
/// only when `out` fails, or when a panic came after part of the answer was
/// written (it cannot be taken back).
pub fn answer_to(
    bytes: &[u8],
    environment: &MacroEnvironment,
    out: &mut impl Write,
) -> io::Result<Answered> {
    let mut out = Counted {
        inner: out,
        written: 0,
    };
    guarded(bytes, environment, Detail::Summary, &mut out)
}

/// Where an answer is written, as far as a panic is concerned.
trait AnswerOut: Write {
    /// How much was written so far.
    fn written(&self) -> usize;
    /// Takes back what was written since `mark`; `false` when it cannot.
    fn take_back(&mut self, mark: usize) -> bool;
}

impl AnswerOut for Vec<u8> {
    fn written(&self) -> usize {
        self.len()
    }

    fn take_back(&mut self, mark: usize) -> bool {
        self.truncate(mark);
        true
    }
}

/// A writer that counts what it wrote (what went through cannot be taken
/// back).
struct Counted<'w, W> {
    inner: &'w mut W,
    written: usize,
}

impl<W: Write> Write for Counted<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(bytes)?;
        self.written += n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> AnswerOut for Counted<'_, W> {
    fn written(&self) -> usize {
        self.written
    }

    fn take_back(&mut self, mark: usize) -> bool {
        self.written == mark
    }
}

/// The edge where a request becomes an answer: a panic anywhere below is a
/// failure naming an internal error (the only `catch_unwind` of the crate).
fn guarded(
    bytes: &[u8],
    environment: &MacroEnvironment,
    detail: Detail,
    out: &mut impl AnswerOut,
) -> io::Result<Answered> {
    let mark = out.written();
    catch_unwind(AssertUnwindSafe(|| {
        answer_event(bytes, environment, detail, out)
    }))
    .unwrap_or_else(|panic| {
        if out.take_back(mark) {
            internal_error(bytes, &*panic, out)
        } else {
            let written = out.written() - mark;
            Err(io::Error::other(format!(
                "{} (after {written} bytes of the answer)",
                internal_error_message(&*panic)
            )))
        }
    })
}

fn answer_event(
    bytes: &[u8],
    environment: &MacroEnvironment,
    detail: Detail,
    out: &mut impl Write,
) -> io::Result<Answered> {
    if bytes.len() > MAX_EVENT_BYTES {
        let message = oversized_message(bytes.len() as u64);
        return refused(EventIds::default(), message, out);
    }
    let read = std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| read::event(text).ok());
    let event = match read {
        Some(MapOr::Map(event)) => event,
        Some(MapOr::Other(value)) => {
            let shape = EventShapeError::NotAnObject(json_type_name(&value));
            return refused(EventIds::default(), shape.to_string(), out);
        }
        None => return refused(EventIds::default(), not_json_message(bytes), out),
    };
    let ids = EventIds::of_fields(&event.fields);
    let request = match event.fragment {
        Some(Fragment::Template(template)) => MacroRequest::from_fields(event.fields, template),
        Some(Fragment::Other(value)) => Err(not_a_template(Some(&value))),
        None => Err(not_a_template(None)),
    };
    let mut request = match request {
        Ok(request) => request,
        Err(shape) => return refused(ids, shape.to_string(), out),
    };
    let mut template = std::mem::take(&mut request.fragment);
    let report = transform(&mut template, &request, environment, detail);
    let success = !report.fails();
    // Warnings are shown to the user (in the processed template, or in the
    // failure under `strict`) and logged: with every secret masked.
    let secrets = if report.warnings().next().is_some() {
        secrets_of(&request, &template, environment)
    } else {
        Secrets::default()
    };
    let id = &*request.request_id;
    if success {
        // Only a template with warnings has its Metadata read.
        let metadata = report
            .warnings()
            .next()
            .and_then(|_| processed::metadata_after(template.section(METADATA), &report, &secrets));
        match metadata {
            None => write_answer(out, &MacroResponse::success(id, &template))?,
            Some(metadata) => {
                let fragment = template.with_section(METADATA, &metadata);
                write_answer(out, &MacroResponse::success(id, fragment))?
            }
        }
    } else {
        let message = failure_message(&report, &secrets);
        let response = MacroResponse::failure(id, template.received(), message);
        write_answer(out, &response)?;
    }
    Ok(Answered {
        success,
        report,
        ids,
        secrets,
    })
}

/// Runs the passes on `template`: the request's parameters and the macro's
/// environment become a [`Config`], and passes edit the template and record
/// what they did in the report, whose errors decide success or failure.
fn transform(
    template: &mut Template<'_>,
    request: &MacroRequest<Template<'_>>,
    environment: &MacroEnvironment,
    detail: Detail,
) -> Report {
    let mut report = Report::with_detail(detail);
    let config = Config::build(
        config::ConfigInputs {
            params: &request.params,
            template,
            environment,
        },
        &mut report,
    );
    report.set_strict(config.strict);
    check_region(&request.region, &mut report);
    if template.resources().is_none() {
        report.error(
            None,
            "the template has no Resources section (or it is not a mapping)",
        );
    }
    if report.has_errors() {
        return report;
    }
    let context = StackContext {
        region: &request.region,
        account_id: &request.account_id,
        template_parameter_values: &request.template_parameter_values,
    };
    lambda::instrument(template, &config, &context, &mut report);
    step_functions::instrument(template, &config, &context, &mut report);
    report
}

/// The event's `region`, which layer ARNs are built with: missing or not a
/// region is an error (never an ARN with an empty region); a region of the
/// right form this macro does not list (a new one, or a typo) is a warning.
fn check_region(region: &str, report: &mut Report) {
    if region.is_empty() {
        report.error(
            None,
            "the macro event has no `region`: CloudFormation always sends the stack's region, which layer ARNs are built with; add it to the event (a dry run takes it from --region).",
        );
    } else if let Err(refused) = config::check_region(region) {
        report.error(None, format!("the macro event's region: {refused}"));
    } else if let Some(unlisted) = config::unlisted_region(region) {
        report.warn(None, unlisted.to_string());
    }
}

/// The secrets of a request a log line must mask (see [`Answered::secrets`]).
fn secrets_of(
    request: &MacroRequest<Template<'_>>,
    template: &Template<'_>,
    environment: &MacroEnvironment,
) -> Secrets {
    let params = Value::Object(request.params.clone());
    let mut secrets = Secrets::of_params(Some(&params), environment);
    let names: Vec<&str> = secret_names().collect();
    template.each_read_naming(&names, |key, value| {
        if names.contains(&key) {
            let mut entry = serde_json::Map::new();
            entry.insert(key.to_string(), value.clone());
            secrets.add_from_template(&Value::Object(entry));
        } else {
            secrets.add_from_template(value);
        }
    });
    secrets
}

/// The failure message of a report: every error, one per line; then,
/// under `strict`, every warning that fails the transform, one per line
/// naming its resource, its secrets masked.
fn failure_message(report: &Report, secrets: &Secrets) -> String {
    let mut lines: Vec<String> = report.errors().map(|d| d.message.clone()).collect();
    let strict: Vec<String> = report
        .strict_warnings()
        .map(|w| format!("warning: {}", secrets.mask(&diagnostic_summary(w))))
        .collect();
    if !strict.is_empty() {
        lines.push(format!(
            "`strict` is true, so {} the transform (`strict: false` lets it succeed, the warnings listed in the processed template's Metadata.DatadogServerless.Warnings):",
            match strict.len() {
                1 => "this warning fails".to_string(),
                n => format!("these {n} warnings fail"),
            }
        ));
        lines.extend(strict);
    }
    lines.join("\n")
}

/// Writes an answer.
fn write_answer(out: &mut impl Write, response: &MacroResponse<impl Serialize>) -> io::Result<()> {
    serde_json::to_writer(out, response).map_err(io::Error::from)
}

/// The answer to an event refused before any transform (too large, not
/// JSON, of the wrong shape): a failure without a fragment.
pub(crate) fn refused(
    ids: EventIds,
    message: String,
    out: &mut impl Write,
) -> io::Result<Answered> {
    failed(ids, Value::Null, message, out)
}

/// A failure answering `fragment`, its one error `message`.
fn failed(
    ids: EventIds,
    fragment: impl Serialize,
    message: String,
    out: &mut impl Write,
) -> io::Result<Answered> {
    let response = MacroResponse::failure(ids.request_id.as_str(), fragment, message.as_str());
    write_answer(out, &response)?;
    let mut report = Report::default();
    report.error(None, message);
    Ok(Answered {
        report,
        ids,
        ..Answered::default()
    })
}

/// Why the bytes of an event are not JSON, as serde_json says it reading
/// them into a value (its message and position are the same whichever
/// rule the event breaks: syntax, UTF-8, nesting, a number out of range, a
/// lone surrogate).
fn not_json_message(bytes: &[u8]) -> String {
    let why = match serde_json::from_slice::<Value>(bytes) {
        Err(e) => template::json_error(&e).to_string(),
        // The event reader refused what serde_json accepts: say so rather
        // than nothing (tests/answers.rs checks they agree).
        Ok(_) => "it breaks a rule of the macro's reader".to_string(),
    };
    format!("the macro event is not valid JSON: {why}")
}

/// The answer to an event of `len` bytes, over [`MAX_EVENT_BYTES`]: a
/// failure saying so. Front ends that stop reading at the limit give the
/// size they counted.
pub(crate) fn oversized(len: u64, out: &mut impl Write) -> io::Result<Answered> {
    refused(EventIds::default(), oversized_message(len), out)
}

/// The message for an event of `len` bytes, over [`MAX_EVENT_BYTES`].
fn oversized_message(len: u64) -> String {
    format!(
        "the macro event is {len} bytes; the largest accepted is {MAX_EVENT_BYTES} bytes (Lambda's payload limit)"
    )
}

/// What a panic is answered with.
fn internal_error_message(panic: &(dyn std::any::Any + Send)) -> String {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    format!(
        "internal error in the DatadogServerless macro ({what}); the template was not changed. Please report this with the template that caused it."
    )
}

/// The answer after a panic: a failure naming it, with the fragment as
/// received when the event can be read again.
fn internal_error(
    bytes: &[u8],
    panic: &(dyn std::any::Any + Send),
    out: &mut impl Write,
) -> io::Result<Answered> {
    #[derive(serde::Deserialize)]
    struct FragmentOnly<'a> {
        #[serde(borrow)]
        fragment: Option<&'a RawValue>,
    }
    let fragment = serde_json::from_slice::<FragmentOnly<'_>>(bytes)
        .ok()
        .and_then(|event| event.fragment);
    failed(
        EventIds::read(bytes),
        fragment,
        internal_error_message(panic),
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answered(event: &Value) -> (Value, Answered) {
        let (out, answered) = answer(
            &serde_json::to_vec(event).unwrap(),
            &MacroEnvironment::default(),
        );
        (
            serde_json::from_slice(&out).expect("an answer is JSON"),
            answered,
        )
    }

    #[test]
    fn a_failure_answers_the_fragment_as_received() {
        // One function instrumented, one refused: the answer carries neither edit.
        let event = json!({"requestId": "r2", "region": "us-east-1", "params": {"apiKey": "k"}, "fragment": {"Resources": {
            "Good": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "a.b"}},
            "Bad": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": {"Fn::FindInMap": ["M", "a", "b"]}, "Handler": "a.b"}}
        }}});
        let (response, answered) = answered(&event);
        assert_eq!(response["status"], "failure");
        assert_eq!(response["requestId"], "r2");
        assert!(
            response["errorMessage"]
                .as_str()
                .unwrap()
                .contains("Resource Bad")
        );
        assert_eq!(response["fragment"], event["fragment"]);
        assert!(answered.report.has_errors() && !answered.success);
    }

    #[test]
    fn every_error_is_listed() {
        let event = json!({"requestId": "r1", "region": "us-east-1", "params": {"site": "nope", "bogus": 1}, "fragment": {"Resources": {}}});
        let (response, _) = answered(&event);
        assert_eq!(response["status"], "failure");
        assert_eq!(response["fragment"], json!({"Resources": {}}));
        assert_eq!(
            response["errorMessage"].as_str().unwrap().lines().count(),
            2
        );
    }

    #[test]
    fn an_event_without_a_region_or_with_one_that_is_not_a_region_fails() {
        let function = json!({"Resources": {"F": {"Type": "AWS::Lambda::Function",
            "Properties": {"Runtime": "python3.12", "Handler": "a.b"}}}});
        let cases = [
            (json!(null), "the macro event has no `region`"),
            (json!(""), "the macro event has no `region`"),
            (
                json!("EU-WEST-1"),
                "the macro event's region: `EU-WEST-1` is not an AWS region; did you mean eu-west-1?",
            ),
            (
                json!("foo bar"),
                "the macro event's region: `foo bar` is not an AWS region (a region looks like us-east-1",
            ),
        ];
        for (region, says) in cases {
            let mut event = json!({"requestId": "r", "fragment": function});
            if !region.is_null() {
                event["region"] = region.clone();
            }
            let (response, _) = answered(&event);
            assert_eq!(response["status"], "failure", "{region}");
            let message = response["errorMessage"].as_str().unwrap();
            assert!(message.starts_with(says), "{region}: {message}");
            assert_eq!(
                response["fragment"], function,
                "no ARN with an empty region"
            );
        }
        let topic = json!({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}});
        let event = json!({"requestId": "r", "region": "eu-wst-1", "fragment": topic});
        let (response, answered) = answered(&event);
        assert_eq!(response["status"], "success");
        let warnings: Vec<&str> = answered
            .report
            .warnings()
            .map(|w| w.message.as_str())
            .collect();
        assert_eq!(
            warnings,
            [
                "region `eu-wst-1` is not an AWS region this macro knows (did you mean eu-west-1?); layer ARNs are built with it as given"
            ]
        );
    }

    #[test]
    fn malformed_events_are_failures_with_their_request_id() {
        let (response, answered) = answered(&json!({"requestId": "abc", "params": {}}));
        assert_eq!(response["status"], "failure");
        assert_eq!(response["requestId"], "abc");
        assert_eq!(answered.ids.request_id, "abc");
        let (out, _) = answer(b"not json", &MacroEnvironment::default());
        let response: Value = serde_json::from_slice(&out).unwrap();
        assert!(
            response["errorMessage"]
                .as_str()
                .unwrap()
                .starts_with("the macro event is not valid JSON: invalid JSON at line 1")
        );
    }

    #[test]
    fn a_panic_is_a_failure_naming_an_internal_error() {
        let bytes = br#"{"requestId": "p", "fragment": {"Resources": {}}}"#;
        let mut out = Vec::new();
        let answered = internal_error(bytes, &"boom", &mut out).unwrap();
        let response: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(response["requestId"], "p");
        assert_eq!(response["fragment"], json!({"Resources": {}}));
        assert!(
            response["errorMessage"]
                .as_str()
                .unwrap()
                .starts_with("internal error in the DatadogServerless macro (boom)")
        );
        assert!(!answered.success);
    }

    #[test]
    fn the_log_masks_the_secrets_of_what_passes_read() {
        let event = json!({"region": "us-east-1", "params": {"apiKey": "param-key", "forwarderArn": "arn:aws:lambda:us-east-1:1:function:f"},
            "fragment": {"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {
                "Runtime": "python3.12", "Handler": "a.b", "Role": "arn:aws:iam::1:role/outside",
                "Environment": {"Variables": {"DD_KMS_API_KEY": "template-key"}}}}}}});
        let mut with_xray = event.clone();
        with_xray["params"]["enableXrayTracing"] = json!(true);
        let (_, answered) = answered(&with_xray);
        assert!(answered.report.warnings().next().is_some());
        let masked = answered.secrets.mask("param-key template-key");
        assert_eq!(masked, "**** ****");
    }
}
