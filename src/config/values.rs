//! The types of [`super::Config`]'s fields, and how each is read from a
//! parameter's value (normalised by its [`super::Kind`]) and written back
//! as JSON.

use serde_json::Value;

/// A type a parameter's field may have.
pub trait FieldValue: Sized {
    /// The field from the parameter's normalised value (`None`: it has
    /// none) or else its default (the same form).
    fn from_json(value: Option<&Value>, default: Option<&Value>) -> Self;

    /// The field as JSON (the form [`FieldValue::from_json`] reads), `None`
    /// when it holds nothing.
    fn to_json(&self) -> Option<Value>;

    /// Whether the field holds only what is known when the transform runs:
    /// a value of its parameter that is an intrinsic function, which only
    /// CloudFormation can resolve later, is then an error, not a value
    /// left unset.
    const LITERAL: bool = false;
}

impl FieldValue for bool {
    fn from_json(value: Option<&Value>, default: Option<&Value>) -> bool {
        value
            .or(default)
            .and_then(Value::as_bool)
            .unwrap_or_default()
    }

    fn to_json(&self) -> Option<Value> {
        Some(Value::Bool(*self))
    }
}

impl FieldValue for Option<bool> {
    fn from_json(value: Option<&Value>, _: Option<&Value>) -> Option<bool> {
        value.and_then(Value::as_bool)
    }

    fn to_json(&self) -> Option<Value> {
        self.map(Value::Bool)
    }
}

impl FieldValue for Option<u64> {
    fn from_json(value: Option<&Value>, _: Option<&Value>) -> Option<u64> {
        value.and_then(Value::as_u64)
    }

    fn to_json(&self) -> Option<Value> {
        self.map(Value::from)
    }
}

/// Text or an ARN: a string, or an intrinsic left for CloudFormation.
impl FieldValue for Option<Value> {
    fn from_json(value: Option<&Value>, _: Option<&Value>) -> Option<Value> {
        value.cloned()
    }

    fn to_json(&self) -> Option<Value> {
        self.clone()
    }
}

/// Text that must be known now: a string given, else the default.
impl FieldValue for String {
    const LITERAL: bool = true;

    fn from_json(value: Option<&Value>, default: Option<&Value>) -> String {
        value
            .and_then(Value::as_str)
            .or_else(|| default.and_then(Value::as_str))
            .unwrap_or_default()
            .to_string()
    }

    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.clone()))
    }
}

/// Text that must be known now, if given.
impl FieldValue for Option<String> {
    const LITERAL: bool = true;

    fn from_json(value: Option<&Value>, _: Option<&Value>) -> Option<String> {
        value.and_then(Value::as_str).map(str::to_string)
    }

    fn to_json(&self) -> Option<Value> {
        self.clone().map(Value::String)
    }
}

/// A list of logical ids.
impl FieldValue for Vec<String> {
    fn from_json(value: Option<&Value>, _: Option<&Value>) -> Vec<String> {
        strings(value)
    }

    fn to_json(&self) -> Option<Value> {
        (!self.is_empty()).then(|| self.iter().cloned().map(Value::String).collect())
    }
}

/// The strings of a list value (none for anything else).
fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `existingLogGroups`: the log groups that exist outside the template
/// already, named by the resource that writes to them (a function, or an
/// API Gateway stage or API for execution logs).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ExistingLogGroups {
    /// Declare a log group for every function or stage without one.
    #[default]
    None,
    /// Every such log group exists already.
    All,
    /// The log groups of these resources exist already.
    Only(Vec<String>),
}

impl ExistingLogGroups {
    /// Whether the log group of this resource exists outside the template.
    pub fn contains(&self, logical_id: &str) -> bool {
        match self {
            ExistingLogGroups::None => false,
            ExistingLogGroups::All => true,
            ExistingLogGroups::Only(ids) => ids.iter().any(|id| id == logical_id),
        }
    }
}

impl FieldValue for ExistingLogGroups {
    fn from_json(value: Option<&Value>, default: Option<&Value>) -> ExistingLogGroups {
        match value.or(default) {
            Some(Value::Bool(true)) => ExistingLogGroups::All,
            Some(Value::Array(_)) => ExistingLogGroups::Only(strings(value)),
            _ => ExistingLogGroups::None,
        }
    }

    fn to_json(&self) -> Option<Value> {
        Some(match self {
            ExistingLogGroups::None => Value::Bool(false),
            ExistingLogGroups::All => Value::Bool(true),
            ExistingLogGroups::Only(ids) => ids.iter().cloned().map(Value::String).collect(),
        })
    }
}

/// The language of a container-image function (`imageRuntime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageRuntime {
    /// Python: handler `datadog_lambda.handler.handler`.
    Python,
    /// Node.js: the bundled handler.
    Node,
}

impl ImageRuntime {
    /// The runtime a name stands for (`python`, `node` or `nodejs`, in any case).
    pub fn from_name(name: &str) -> Option<ImageRuntime> {
        match name.to_ascii_lowercase().as_str() {
            "python" => Some(ImageRuntime::Python),
            "node" | "nodejs" => Some(ImageRuntime::Node),
            _ => None,
        }
    }
}

impl FieldValue for Option<ImageRuntime> {
    const LITERAL: bool = true;

    fn from_json(value: Option<&Value>, _: Option<&Value>) -> Option<ImageRuntime> {
        value
            .and_then(Value::as_str)
            .and_then(ImageRuntime::from_name)
    }

    fn to_json(&self) -> Option<Value> {
        self.map(|runtime| {
            Value::String(
                match runtime {
                    ImageRuntime::Python => "python",
                    ImageRuntime::Node => "node",
                }
                .to_string(),
            )
        })
    }
}

/// `appSecMode`: where App and API Protection runs, if anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppSecMode {
    /// Not at all.
    #[default]
    Off,
    /// In the Python library when the function has Datadog's Python layer
    /// recent enough, in the Extension otherwise.
    On,
    /// In the Python library (`DD_APPSEC_ENABLED`).
    Tracer,
    /// In the Extension (`DD_SERVERLESS_APPSEC_ENABLED` and its exec wrapper).
    Extension,
}

impl AppSecMode {
    /// Every mode, in the order of [`AppSecMode::NAMES`].
    const ALL: [AppSecMode; 4] = [
        AppSecMode::Off,
        AppSecMode::On,
        AppSecMode::Tracer,
        AppSecMode::Extension,
    ];
    /// The modes' names, as users write them (the plugin's and CDK's).
    pub const NAMES: &'static [&'static str] = &["off", "on", "tracer", "extension"];

    /// The name users write.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The mode of a name (as [`super::Kind::OneOf`] writes it).
    fn from_name(name: &str) -> Option<AppSecMode> {
        let i = Self::NAMES.iter().position(|n| *n == name)?;
        Some(Self::ALL[i])
    }
}

impl FieldValue for AppSecMode {
    fn from_json(value: Option<&Value>, default: Option<&Value>) -> AppSecMode {
        value
            .or(default)
            .and_then(Value::as_str)
            .and_then(AppSecMode::from_name)
            .unwrap_or_default()
    }

    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.name().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Reads a field from `value`, writes it back, reads it again.
    fn round_trip<T: FieldValue + PartialEq + std::fmt::Debug>(value: Value) -> T {
        let field = T::from_json(Some(&value), None);
        let again = T::from_json(field.to_json().as_ref(), None);
        assert_eq!(field, again, "{value}");
        field
    }

    #[test]
    fn fields_read_back_what_they_write() {
        assert!(round_trip::<bool>(json!(true)));
        assert_eq!(round_trip::<Option<u64>>(json!(7)), Some(7));
        assert_eq!(
            round_trip::<Option<Value>>(json!({"Ref": "P"})),
            Some(json!({"Ref": "P"}))
        );
        assert_eq!(round_trip::<String>(json!("x")), "x");
        assert_eq!(round_trip::<Vec<String>>(json!(["A"])), ["A"]);
        assert_eq!(
            round_trip::<ExistingLogGroups>(json!(["A"])),
            ExistingLogGroups::Only(vec!["A".into()])
        );
        assert_eq!(
            round_trip::<Option<ImageRuntime>>(json!("NodeJS")),
            Some(ImageRuntime::Node)
        );
        for mode in AppSecMode::ALL {
            assert_eq!(round_trip::<AppSecMode>(json!(mode.name())), mode);
        }
    }

    #[test]
    fn defaults_fill_what_is_not_given_or_not_known_now() {
        let default = json!("datadoghq.com");
        assert_eq!(
            String::from_json(Some(&json!({"Ref": "S"})), Some(&default)),
            "datadoghq.com"
        );
        assert!(bool::from_json(None, Some(&json!(true))));
        assert_eq!(
            Option::<String>::from_json(Some(&json!({"Ref": "A"})), None),
            None
        );
        let groups = ExistingLogGroups::from_json(Some(&json!(true)), None);
        assert!(groups.contains("X"));
        assert!(!ExistingLogGroups::None.contains("X"));
    }
}
