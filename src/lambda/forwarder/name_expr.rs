//! Names built by CloudFormation, compared without deploying.
//!
//! A log group name may be written as a literal, `{"Fn::Sub": "/aws/lambda/${Fn}"}`,
//! `{"Fn::Sub": ["/aws/lambda/${N}", {"N": {"Ref": "Fn"}}]}` or
//! `{"Fn::Join": ["", ["/aws/lambda/", {"Ref": "Fn"}]]}`: all the same name.
//! [`NameExpr::of`] reduces each form to one canonical sequence of literal
//! text and references, so two spellings of the same name compare equal.

use serde_json::Value;

use crate::template::intrinsics::{get_att, ref_target, single};

/// One piece of a name: literal text, or the value of a reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// `{"Ref": X}` or `${X}`: a parameter, pseudo parameter or resource.
    Ref(String),
    /// `{"Fn::GetAtt": [X, Y]}` or `${X.Y}`.
    GetAtt(String, String),
}

/// A name as a canonical sequence of pieces (adjacent texts merged, no
/// empty text).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NameExpr(Vec<Piece>);

impl NameExpr {
    /// The canonical form of a name written as a literal, `Ref`, `Fn::GetAtt`,
    /// `Fn::Sub` (both forms) or `Fn::Join` of those; `None` for anything
    /// else (another intrinsic, a number...).
    pub fn of(value: &Value) -> Option<NameExpr> {
        let mut pieces = Vec::new();
        push_value(value, &mut pieces)?;
        Some(NameExpr::from_pieces(pieces))
    }

    /// Literal text followed by another name (`/aws/lambda/` + function name).
    pub fn prefixed(prefix: &str, rest: NameExpr) -> NameExpr {
        let mut pieces = vec![Piece::Text(prefix.to_string())];
        pieces.extend(rest.0);
        NameExpr::from_pieces(pieces)
    }

    /// A reference alone (`{"Ref": id}`).
    pub fn reference(id: &str) -> NameExpr {
        NameExpr(vec![Piece::Ref(id.to_string())])
    }

    /// The name when it is plain text.
    #[allow(dead_code)] // only its tests read it so far
    pub fn as_literal(&self) -> Option<&str> {
        match self.0.as_slice() {
            [Piece::Text(t)] => Some(t),
            [] => Some(""),
            _ => None,
        }
    }

    /// The resource and attribute when the name is one `Fn::GetAtt` alone
    /// (`{"Fn::GetAtt": [R, A]}`, `"R.A"`, or `{"Fn::Sub": "${R.A}"}`).
    pub fn as_get_att(&self) -> Option<(&str, &str)> {
        match self.0.as_slice() {
            [Piece::GetAtt(resource, attribute)] => Some((resource, attribute)),
            _ => None,
        }
    }

    /// The name as the text of an `Fn::Sub` (`/aws/lambda/${Fn}`), literal
    /// `${` escaped as `${!`.
    pub fn to_sub_text(&self) -> String {
        self.0
            .iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.replace("${", "${!"),
                Piece::Ref(name) => format!("${{{name}}}"),
                Piece::GetAtt(resource, attribute) => format!("${{{resource}.{attribute}}}"),
            })
            .collect()
    }

    /// The name as a template writes it most simply: a string when it is
    /// plain text, else one `Fn::Sub`.
    pub fn to_value(&self) -> Value {
        match self.as_literal() {
            Some(text) => Value::String(text.to_string()),
            None => serde_json::json!({"Fn::Sub": self.to_sub_text()}),
        }
    }

    fn from_pieces(pieces: Vec<Piece>) -> NameExpr {
        let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
        for piece in pieces {
            match (out.last_mut(), piece) {
                (_, Piece::Text(t)) if t.is_empty() => {}
                (Some(Piece::Text(last)), Piece::Text(t)) => last.push_str(&t),
                (_, p) => out.push(p),
            }
        }
        NameExpr(out)
    }
}

fn push_value(value: &Value, out: &mut Vec<Piece>) -> Option<()> {
    match value {
        Value::String(s) => out.push(Piece::Text(s.clone())),
        _ => {
            if let Some(target) = ref_target(value) {
                out.push(Piece::Ref(target.to_string()));
            } else if let Some((resource, attribute)) = get_att(value) {
                out.push(Piece::GetAtt(resource.to_string(), attribute.to_string()));
            } else if let Some(sub) = single(value, "Fn::Sub") {
                match sub {
                    Value::String(text) => push_sub(text, None, out)?,
                    Value::Array(parts) if parts.len() == 2 => {
                        push_sub(parts[0].as_str()?, parts[1].as_object(), out)?
                    }
                    _ => return None,
                }
            } else if let Some(Value::Array(join)) = single(value, "Fn::Join") {
                let [separator, Value::Array(parts)] = join.as_slice() else {
                    return None;
                };
                let separator = separator.as_str()?;
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push(Piece::Text(separator.to_string()));
                    }
                    push_value(part, out)?;
                }
            } else {
                return None;
            }
        }
    }
    Some(())
}

/// The pieces of an `Fn::Sub` string; `${Var}` is looked up in `vars` first.
fn push_sub(
    text: &str,
    vars: Option<&serde_json::Map<String, Value>>,
    out: &mut Vec<Piece>,
) -> Option<()> {
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push(Piece::Text(rest[..start].to_string()));
        let after = &rest[start + 2..];
        let end = after.find('}')?;
        let name = &after[..end];
        if let Some(literal) = name.strip_prefix('!') {
            out.push(Piece::Text(format!("${{{literal}}}")));
        } else if let Some(value) = vars.and_then(|v| v.get(name)) {
            push_value(value, out)?;
        } else if let Some((resource, attribute)) = name.split_once('.') {
            out.push(Piece::GetAtt(resource.to_string(), attribute.to_string()));
        } else {
            out.push(Piece::Ref(name.to_string()));
        }
        rest = &after[end + 1..];
    }
    out.push(Piece::Text(rest.to_string()));
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expr(v: Value) -> NameExpr {
        NameExpr::of(&v).expect("a name")
    }

    #[test]
    fn every_spelling_of_a_function_log_group_is_equal() {
        let want = NameExpr::prefixed("/aws/lambda/", NameExpr::reference("Fn"));
        assert_eq!(expr(json!({"Fn::Sub": "/aws/lambda/${Fn}"})), want);
        assert_eq!(
            expr(json!({"Fn::Sub": ["/aws/lambda/${N}", {"N": {"Ref": "Fn"}}]})),
            want
        );
        assert_eq!(
            expr(json!({"Fn::Join": ["", ["/aws/lambda/", {"Ref": "Fn"}]]})),
            want
        );
        assert_eq!(
            expr(json!({"Fn::Join": ["/", ["", "aws", "lambda", {"Ref": "Fn"}]]})),
            want
        );
        assert_ne!(expr(json!({"Fn::Sub": "/aws/lambda/${Other}"})), want);
    }

    #[test]
    fn literals_get_atts_and_escapes() {
        assert_eq!(
            expr(json!("/aws/lambda/x")).as_literal(),
            Some("/aws/lambda/x")
        );
        assert_eq!(
            expr(json!({"Fn::Sub": "a${!b}c"})).as_literal(),
            Some("a${b}c")
        );
        assert_eq!(
            expr(json!({"Fn::Sub": "${R.Arn}"})),
            expr(json!({"Fn::GetAtt": "R.Arn"}))
        );
        assert_eq!(NameExpr::of(&json!({"Fn::ImportValue": "x"})), None);
        let mixed = expr(
            json!({"Fn::Join": ["", ["a${b}/", {"Ref": "S"}, "/", {"Fn::GetAtt": ["R", "Name"]}]]}),
        );
        assert_eq!(mixed.to_sub_text(), "a${!b}/${S}/${R.Name}");
        assert_eq!(expr(mixed.to_value()), mixed);
        assert_eq!(expr(json!("plain")).to_value(), json!("plain"));
        assert_eq!(NameExpr::of(&json!({"Fn::Sub": "${unclosed"})), None);
    }
}
