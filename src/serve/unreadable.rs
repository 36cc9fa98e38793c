//! Events whose bytes are not JSON: answered with a `failure`, like every
//! other bad event, instead of being refused by the runtime library.
//!
//! `lambda_runtime` parses the body itself before calling the handler; bytes
//! that are not JSON would become a Lambda error (and bytes that are not
//! UTF-8 would even stop its loop). [`UnreadableLayer`] runs first: it
//! replaces such a body with a small JSON marker holding the reason, which
//! [`problem_of`] recognises in the handler. CloudFormation only ever sends
//! JSON, so this is a safety net for other callers.

#[cfg(feature = "lambda")]
use std::task::{Context, Poll};

#[cfg(feature = "lambda")]
use lambda_runtime::{LambdaInvocation, tower::Layer, tower::Service};
use serde_json::Value;

/// The only key of the marker object that stands in for an unreadable body.
pub const MARKER_KEY: &str = "__ddServerlessMacroUnreadableEvent";

/// The marker body for `body` when it is not a JSON document (or is too
/// large), carrying the failure message; `None` when the body is JSON.
#[cfg(any(feature = "lambda", test))]
pub fn marker_for(body: &[u8]) -> Option<Vec<u8>> {
    // UTF-8 first: skipping over a string does not check its bytes.
    if body.len() <= crate::MAX_EVENT_BYTES
        && std::str::from_utf8(body).is_ok()
        && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
    {
        return None;
    }
    // The library words the failure, exactly as `handle-event` would.
    let (_, answered) = crate::answer(body, &crate::MacroEnvironment::default());
    let message = answered
        .report
        .errors()
        .next()
        .map_or("the macro event could not be read", |e| e.message.as_str());
    let mut marker = serde_json::Map::new();
    marker.insert(MARKER_KEY.to_string(), Value::String(message.to_string()));
    Some(serde_json::to_vec(&Value::Object(marker)).expect("a map of strings serialises"))
}

/// The failure message when `raw` is the marker of an unreadable body.
pub fn problem_of(raw: &Value) -> Option<&str> {
    let map = raw.as_object()?;
    if map.len() != 1 {
        return None;
    }
    map.get(MARKER_KEY)?.as_str()
}

/// The failure message when `body` is the marker of an unreadable body.
pub fn problem_in(body: &[u8]) -> Option<String> {
    let key = body.strip_prefix(b"{\"")?;
    if !key.starts_with(MARKER_KEY.as_bytes()) {
        return None;
    }
    let raw: Value = serde_json::from_slice(body).ok()?;
    problem_of(&raw).map(str::to_string)
}

#[cfg(feature = "lambda")]
/// Tower layer that swaps an unreadable invocation body for its marker.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnreadableLayer;

#[cfg(feature = "lambda")]
impl<S> Layer<S> for UnreadableLayer {
    type Service = UnreadableService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        UnreadableService { inner }
    }
}

#[cfg(feature = "lambda")]
/// The service made by [`UnreadableLayer`].
#[derive(Debug, Clone)]
pub struct UnreadableService<S> {
    inner: S,
}

#[cfg(feature = "lambda")]
impl<S> Service<LambdaInvocation> for UnreadableService<S>
where
    S: Service<LambdaInvocation>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        if let Some(marker) = marker_for(&invocation.body) {
            invocation.body = marker.into();
        }
        self.inner.call(invocation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_pass_untouched() {
        assert_eq!(marker_for(br#"{"fragment": {}}"#), None);
        assert_eq!(marker_for(b"null"), None);
        assert_eq!(marker_for(b"\"a string\""), None);
    }

    #[test]
    fn unreadable_bodies_become_a_marker_with_the_reason() {
        for body in [
            &b"not json"[..],
            b"",
            b"{\"a\": \"\xff\xfe\"}",
            b"\xff\xfe\x00",
        ] {
            let marker = marker_for(body).expect("unreadable");
            let raw: Value = serde_json::from_slice(&marker).expect("the marker is JSON");
            let problem = problem_of(&raw).expect("recognised");
            assert_eq!(problem_in(&marker).as_deref(), Some(problem));
            assert!(problem.contains("not valid JSON"), "{problem}");
        }
    }

    #[test]
    fn an_oversized_body_is_refused_by_size() {
        let body = vec![b' '; crate::MAX_EVENT_BYTES + 1];
        let raw: Value = serde_json::from_slice(&marker_for(&body).unwrap()).unwrap();
        assert!(problem_of(&raw).unwrap().contains("largest accepted"));
    }

    #[test]
    fn real_events_are_not_mistaken_for_the_marker() {
        assert_eq!(problem_of(&serde_json::json!({"fragment": {}})), None);
        assert_eq!(
            problem_of(&serde_json::json!({MARKER_KEY: "x", "fragment": {}})),
            None
        );
        assert_eq!(problem_of(&serde_json::json!([MARKER_KEY])), None);
    }
}
