//! A guard against YAML documents whose aliases (`*name`, repeating what an
//! anchor `&name` marks) expand a small text into a huge value: the "billion
//! laughs" attack, or one large string repeated many times.
//!
//! serde_yaml limits the number of alias replays, but not the size of what
//! is replayed. Before the real parse, [`check`] walks the document as
//! serde_yaml expands it, without building anything, and stops as soon as the
//! expanded size passes the limits.

use std::cell::Cell;
use std::fmt;

use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};

/// The most text (bytes of all scalars, keys included) a document may hold
/// once its aliases are expanded.
pub const MAX_EXPANDED_BYTES: usize = 10 * 1024 * 1024;

/// The most values (scalars, lists, mappings) a document may hold once its
/// aliases are expanded; a 1 MB template holds a few hundred thousand at most.
pub const MAX_EXPANDED_VALUES: usize = 1_000_000;

/// Marks the error [`check`] raises, to tell it apart from syntax errors.
pub(super) const TOO_LARGE: &str = "expanded document too large";

/// True when the text may use aliases at all (it needs both an anchor `&`
/// and an alias `*`); documents without them expand to their own size.
pub(super) fn may_have_aliases(text: &str) -> bool {
    text.contains('&') && text.contains('*')
}

/// Walks the document as serde_yaml expands it; fails with a message
/// containing [`TOO_LARGE`] past the limits, or with serde_yaml's own error
/// (syntax, depth, repetition).
pub(super) fn check(text: &str) -> Result<(), serde_yaml::Error> {
    let budget = Budget {
        bytes: Cell::new(MAX_EXPANDED_BYTES),
        values: Cell::new(MAX_EXPANDED_VALUES),
    };
    serde_yaml::Deserializer::from_str(text).deserialize_any(Measure(&budget))
}

struct Budget {
    bytes: Cell<usize>,
    values: Cell<usize>,
}

#[derive(Clone, Copy)]
struct Measure<'b>(&'b Budget);

impl Measure<'_> {
    fn charge<E: de::Error>(self, bytes: usize) -> Result<(), E> {
        let (b, v) = (self.0.bytes.get(), self.0.values.get());
        if b < bytes || v == 0 {
            return Err(E::custom(TOO_LARGE));
        }
        self.0.bytes.set(b - bytes);
        self.0.values.set(v - 1);
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Measure<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Measure<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.charge(0)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.charge(0)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.charge(0)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.charge(0)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.charge(v.len())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.charge(0)
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.charge(0)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.charge(0)?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.charge(0)?;
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        // A tagged value (`!Ref x`): the tag, then its value.
        let (de::IgnoredAny, variant) = data.variant()?;
        variant.newtype_variant_seed(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_documents_pass() {
        check("a: &x [1, {b: !Ref c}]\nb: *x\nc: !GetAZs\n").unwrap();
    }

    #[test]
    fn one_large_string_repeated_is_refused() {
        let big = "x".repeat(1024 * 1024);
        let aliases = vec!["*b"; 20].join(", ");
        let doc = format!("big: &b {big}\nlist: [{aliases}]\n");
        let e = check(&doc).unwrap_err().to_string();
        assert!(e.contains(TOO_LARGE), "{e}");
    }

    #[test]
    fn many_small_values_are_refused() {
        let mut doc = String::from("a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n");
        for i in 1..7 {
            let prev = format!("*a{}", i - 1);
            doc.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(",")));
        }
        let e = check(&doc).unwrap_err().to_string();
        assert!(
            e.contains(TOO_LARGE) || e.contains("repetition limit"),
            "{e}"
        );
    }
}
