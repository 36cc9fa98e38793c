//! Keeping secrets out of what the dry run shows: the API key given as
//! `apiKey` (or its KMS-encrypted form `apiKMSKey`) must appear nowhere in a
//! diff or a change report, whichever way it was given.
//!
//! [`Secrets::collect`] gathers every literal value that can hold such a
//! secret (the transform's parameters, `Mappings.Datadog.Parameters`,
//! per-resource `Metadata.Datadog.Parameters`, `DD_API_KEY` /
//! `DD_KMS_API_KEY` environment variables already in a template, and the
//! macro's own environment); [`Secrets::mask`] replaces each occurrence in a
//! text with [`MASK`].

use std::borrow::Cow;

use serde_json::Value;

use crate::MacroRequest;
use crate::config::{MacroEnvironment, PARAMS, ParamSpec};

/// What a secret is replaced with.
pub const MASK: &str = "****";

/// The parameters whose values are secrets (declared `.secret()`).
fn secret_params() -> impl Iterator<Item = &'static ParamSpec> {
    PARAMS.iter().filter(|spec| spec.secret)
}

/// Whether a parameter's value is a secret.
pub fn is_secret_param(name: &str) -> bool {
    secret_params().any(|spec| spec.name == name)
}

/// Whether an environment variable holds a secret (the variable a secret
/// parameter is), so that its value is never shown (whatever a report
/// entry carries).
pub fn is_secret_variable(name: &str) -> bool {
    secret_params().any(|spec| spec.sets == Some(name) || spec.macro_env == Some(name))
}

/// Every name a secret goes by: its parameters' and their variables'.
pub fn secret_names() -> impl Iterator<Item = &'static str> {
    secret_params().flat_map(|spec| {
        std::iter::once(spec.name)
            .chain(spec.sets)
            .chain(spec.macro_env)
    })
}

/// The secret values of one dry run, longest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    /// Gathers the secrets of a dry run: the request's parameters, the
    /// macro's environment, and any secret-named key in the given templates
    /// (the input, the fragment sent, the output).
    pub fn collect(
        request: &MacroRequest,
        environment: &MacroEnvironment,
        templates: &[&Value],
    ) -> Secrets {
        let mut secrets = Secrets::given(|name| request.params.get(name), environment);
        for template in templates {
            secrets.add_from_template(template);
        }
        secrets
    }

    /// Adds one secret value (empty strings are ignored).
    pub fn add(&mut self, value: &str) {
        if value.is_empty() || self.values.iter().any(|v| v == value) {
            return;
        }
        self.values.push(value.to_string());
        // Longest first, so that a secret containing another is masked whole.
        self.values
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    /// The secrets of a macro event known before it is read: its `params`
    /// and the macro's environment. The macro's log adds the template's own
    /// with [`Secrets::add_from_template`] when it needs them.
    pub fn of_params(params: Option<&Value>, environment: &MacroEnvironment) -> Secrets {
        Secrets::given(|name| params?.get(name), environment)
    }

    /// The secrets among parameters (`param` gives a parameter's value by
    /// name) and the macro's environment.
    fn given<'v>(
        param: impl Fn(&str) -> Option<&'v Value>,
        environment: &MacroEnvironment,
    ) -> Secrets {
        let mut secrets = Secrets::default();
        for spec in secret_params() {
            if let Some(value) = param(spec.name) {
                secrets.add_value(value);
            }
            if let Some(value) = spec.macro_env.and_then(|var| environment.get(var)) {
                secrets.add(value);
            }
        }
        secrets
    }

    /// Adds a scalar JSON value (an intrinsic is not a literal secret).
    fn add_value(&mut self, value: &Value) {
        match value {
            Value::String(s) => self.add(s),
            Value::Number(n) => self.add(&n.to_string()),
            _ => {}
        }
    }

    /// Adds the value of every key named like a secret parameter or variable.
    pub fn add_from_template(&mut self, value: &Value) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    if is_secret_param(key) || is_secret_variable(key) {
                        self.add_value(v);
                    }
                    self.add_from_template(v);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.add_from_template(v)),
            _ => {}
        }
    }

    /// Whether there is nothing to mask.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The text with every secret replaced by [`MASK`]: as written, and as
    /// JSON or single-quoted YAML would escape it.
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for secret in &self.values {
            for form in written_forms(secret) {
                if out.contains(form.as_str()) {
                    out = Cow::Owned(out.replace(form.as_str(), MASK));
                }
            }
        }
        out
    }

    /// A JSON value with every secret masked inside its strings (and keys).
    pub fn mask_value(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.mask(s).into_owned()),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.mask_value(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (self.mask(k).into_owned(), self.mask_value(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// The ways a secret can be written in a template or report: itself, its
/// JSON-escaped form, its single-quoted YAML form.
fn written_forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string()];
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    let yaml = secret.replace('\'', "''");
    for form in [json, yaml] {
        if !forms.contains(&form) {
            forms.push(form);
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_of_a_raw_event_and_its_output() {
        let env = MacroEnvironment::from_pairs([("DD_KMS_API_KEY", "kms-site-wide")]);
        let mut s = Secrets::of_params(Some(&json!({"apiKey": "abc123secret"})), &env);
        s.add_from_template(&json!({"Resources": {"F": {"Properties": {"Environment": {"Variables": {"DD_API_KEY": "fn-key-9"}}}}}}));
        assert_eq!(
            s.mask("abc123secret kms-site-wide fn-key-9 kept"),
            "**** **** **** kept"
        );
    }

    fn request(params: Value) -> MacroRequest {
        MacroRequest {
            params: params.as_object().unwrap().clone(),
            ..Default::default()
        }
    }

    #[test]
    fn collects_from_params_environment_and_templates() {
        let template = json!({
            "Mappings": {"Datadog": {"Parameters": {"apiKMSKey": "kms-blob"}}},
            "Resources": {"F": {
                "Metadata": {"Datadog": {"Parameters": {"apiKey": "per-function"}}},
                "Properties": {"Environment": {"Variables": {"DD_API_KEY": "already-there", "OTHER": "visible"}}}
            }}
        });
        let env = MacroEnvironment::from_pairs([("DD_API_KEY", "from-env")]);
        let secrets = Secrets::collect(
            &request(json!({"apiKey": "param-key", "service": "shop"})),
            &env,
            &[&template],
        );
        let text = "param-key from-env kms-blob per-function already-there visible shop";
        assert_eq!(secrets.mask(text), "**** **** **** **** **** visible shop");
    }

    #[test]
    fn masks_escaped_forms_and_longest_first() {
        let mut secrets = Secrets::default();
        secrets.add("ab");
        secrets.add("ab\"c'd");
        secrets.add("");
        assert_eq!(secrets.mask(r#"x ab\"c'd y"#), "x **** y");
        assert_eq!(secrets.mask("x 'ab\"c''d' y"), "x '****' y");
        assert_eq!(secrets.mask("ab\"c'd ab"), "**** ****");
        assert_eq!(
            secrets.mask_value(&json!({"k": ["ab", {"ab": 1}]})),
            json!({"k": ["****", {"****": 1}]})
        );
    }

    #[test]
    fn intrinsics_are_not_secrets() {
        let secrets = Secrets::collect(
            &request(json!({"apiKey": {"Ref": "Key"}})),
            &MacroEnvironment::default(),
            &[],
        );
        assert!(secrets.is_empty());
        assert!(is_secret_variable("DD_API_KEY"));
        assert!(!is_secret_variable("DD_API_KEY_SECRET_ARN"));
    }
}
