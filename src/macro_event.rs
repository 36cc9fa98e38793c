//! The CloudFormation macro contract: the event CloudFormation sends to the
//! macro's Lambda and the response it expects back (SPEC §1).
//!
//! The types are plain serde structs. Front ends that receive raw bytes or an
//! arbitrary JSON value go through [`MacroRequest::from_value`], which checks
//! the shape itself so that a malformed event becomes a readable failure
//! response rather than a deserialisation error of some runtime library.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The event CloudFormation sends to a macro; `F` is its fragment: a value
/// (dry runs, tests) or the [`Template`](crate::template::model::Template)
/// read from an event's bytes.
///
/// Only `fragment` is required; every other field is tolerated when missing,
/// because local dry runs and hand-written test events often omit them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MacroRequest<F = Value> {
    /// Region of the stack (and of the macro).
    #[serde(default)]
    pub region: String,
    /// Account id of the stack.
    #[serde(default)]
    pub account_id: String,
    /// The template without its `Transform` section, long-form JSON only.
    pub fragment: F,
    /// The macro's name as used in the template.
    #[serde(default)]
    pub transform_id: String,
    /// The `Parameters` given under the transform entry.
    #[serde(default)]
    pub params: Map<String, Value>,
    /// Echoed back in the response.
    #[serde(default)]
    pub request_id: String,
    /// The template's `Parameters` with their resolved values.
    #[serde(default)]
    pub template_parameter_values: Map<String, Value>,
}

/// `status` value CloudFormation treats as success; anything else fails.
pub const STATUS_SUCCESS: &str = "success";
/// `status` value for a failed transform.
pub const STATUS_FAILURE: &str = "failure";

/// The macro's answer to CloudFormation; `F` is its fragment (a value, or
/// the template written as it is kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MacroResponse<F = Value> {
    /// The request id of the event being answered.
    pub request_id: String,
    /// `success` or `failure`.
    pub status: String,
    /// The rewritten template (on failure: the fragment as received, or null).
    pub fragment: F,
    /// What went wrong, shown to the user in the stack events.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error_message: Option<String>,
}

impl<F> MacroResponse<F> {
    /// A successful response carrying the rewritten fragment.
    pub fn success(request_id: impl Into<String>, fragment: F) -> Self {
        MacroResponse {
            request_id: request_id.into(),
            status: STATUS_SUCCESS.to_string(),
            fragment,
            error_message: None,
        }
    }

    /// A failed response; `message` is what CloudFormation shows the user.
    pub fn failure(request_id: impl Into<String>, fragment: F, message: impl Into<String>) -> Self {
        let mut message = message.into();
        if message.trim().is_empty() {
            message = "the transform failed without a message (internal error)".to_string();
        }
        MacroResponse {
            request_id: request_id.into(),
            status: STATUS_FAILURE.to_string(),
            fragment,
            error_message: Some(message),
        }
    }

    /// Whether the transform succeeded.
    pub fn is_success(&self) -> bool {
        self.status == STATUS_SUCCESS
    }
}

/// Why a JSON value is not a macro event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventShapeError {
    /// The event is not a JSON object at all.
    #[error("the macro event must be a JSON object, not {0}")]
    NotAnObject(&'static str),
    /// A required field is absent.
    #[error(
        "the macro event has no `{0}` field; CloudFormation always sends the template in `fragment`"
    )]
    Missing(&'static str),
    /// A field has the wrong JSON type.
    #[error("the macro event's `{field}` must be {expected}, not {found}")]
    WrongType {
        /// The field name.
        field: &'static str,
        /// The JSON type expected.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
}

/// The JSON type of a value, in words, for error messages.
pub fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Why an event's `fragment` (`None`: absent), which is not a mapping, is
/// not a template.
pub fn not_a_template(fragment: Option<&Value>) -> EventShapeError {
    match fragment {
        None | Some(Value::Null) => EventShapeError::Missing("fragment"),
        Some(other) => EventShapeError::WrongType {
            field: "fragment",
            expected: "an object (the template)",
            found: json_type_name(other),
        },
    }
}

impl MacroRequest {
    /// Validates the shape of a raw event and builds the request from it.
    pub fn from_value(raw: Value) -> Result<MacroRequest, EventShapeError> {
        let Value::Object(mut map) = raw else {
            return Err(EventShapeError::NotAnObject(json_type_name(&raw)));
        };
        match map.remove("fragment") {
            Some(fragment @ Value::Object(_)) => MacroRequest::from_fields(map, fragment),
            other => Err(not_a_template(other.as_ref())),
        }
    }
}

impl<F> MacroRequest<F> {
    /// The request of an event whose fields but `fragment` are `map`,
    /// checking their types, with its fragment.
    pub fn from_fields(mut map: Map<String, Value>, fragment: F) -> Result<Self, EventShapeError> {
        fn string(
            map: &mut Map<String, Value>,
            field: &'static str,
        ) -> Result<String, EventShapeError> {
            match map.remove(field) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s),
                Some(other) => Err(EventShapeError::WrongType {
                    field,
                    expected: "a string",
                    found: json_type_name(&other),
                }),
            }
        }
        fn object(
            map: &mut Map<String, Value>,
            field: &'static str,
        ) -> Result<Map<String, Value>, EventShapeError> {
            match map.remove(field) {
                None | Some(Value::Null) => Ok(Map::new()),
                Some(Value::Object(o)) => Ok(o),
                Some(other) => Err(EventShapeError::WrongType {
                    field,
                    expected: "an object",
                    found: json_type_name(&other),
                }),
            }
        }
        Ok(MacroRequest {
            region: string(&mut map, "region")?,
            account_id: string(&mut map, "accountId")?,
            fragment,
            transform_id: string(&mut map, "transformId")?,
            params: object(&mut map, "params")?,
            request_id: string(&mut map, "requestId")?,
            template_parameter_values: object(&mut map, "templateParameterValues")?,
        })
    }
}

/// The identifying fields of an event, read whatever its shape (so they are
/// known even for a malformed event, for its answer and the macro's log).
/// A value that is not a string reads as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventIds {
    /// `requestId`.
    pub request_id: String,
    /// `transformId` (`ACCOUNT::MacroName`).
    pub transform_id: String,
    /// `region`.
    pub region: String,
    /// `accountId`.
    pub account_id: String,
}

impl EventIds {
    /// The ids among an event's fields.
    pub fn of_fields(fields: &Map<String, Value>) -> Self {
        let text = |name: &str| {
            fields
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        EventIds {
            request_id: text("requestId"),
            transform_id: text("transformId"),
            region: text("region"),
            account_id: text("accountId"),
        }
    }

    /// The ids of an event given as its bytes (after a panic, when the
    /// event read once is gone): an event that is not a JSON object has none.
    pub fn read(bytes: &[u8]) -> Self {
        serde_json::from_slice::<Map<String, Value>>(bytes)
            .map(|fields| EventIds::of_fields(&fields))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tolerates_missing_optional_fields() {
        let req = MacroRequest::from_value(json!({"fragment": {"Resources": {}}})).unwrap();
        assert_eq!(req.region, "");
        assert!(req.params.is_empty());
    }

    #[test]
    fn names_wrong_shapes() {
        let err = MacroRequest::from_value(json!({"requestId": "r"})).unwrap_err();
        assert!(err.to_string().contains("`fragment`"));
        let err = MacroRequest::from_value(json!({"fragment": {}, "params": [1]})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the macro event's `params` must be an object, not a list"
        );
        let err = MacroRequest::from_value(json!([1])).unwrap_err();
        assert!(err.to_string().contains("not a list"));
    }

    #[test]
    fn ids_of_the_wrong_type_read_as_empty() {
        let ids = EventIds::read(
            br#"{"requestId": 5, "region": "eu-west-1", "fragment": {}, "params": {"apiKey": "k"}}"#,
        );
        assert_eq!(ids.request_id, "");
        assert_eq!(ids.region, "eu-west-1");
        assert_eq!(EventIds::read(b"[1]"), EventIds::default());
        assert_eq!(EventIds::read(b"not json"), EventIds::default());
    }

    #[test]
    fn response_serialises_camel_case_without_null_message() {
        let ok = serde_json::to_value(MacroResponse::success("id", json!({}))).unwrap();
        assert_eq!(
            ok,
            json!({"requestId": "id", "status": "success", "fragment": {}})
        );
        let bad = serde_json::to_value(MacroResponse::<Value>::failure("id", Value::Null, "boom"))
            .unwrap();
        assert_eq!(bad["errorMessage"], "boom");
        assert_eq!(bad["status"], "failure");
    }
}
