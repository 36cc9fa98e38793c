//! The macro that turns the parameter table (`config/params.rs`) into code.
//!
//! Each entry of the table is
//!
//! ```text
//! /// One line saying what it does (the README's table shows it).
//! field_name: FieldType = param("parameterName", Kind).default("...").variable("DD_...");
//! ```
//!
//! and from the whole table come:
//!
//! - [`super::Param`], one variant per parameter, named as its field: the
//!   typed key for provenance (`config.source(Param::site)`) and rules;
//! - [`super::PARAMS`], the declarations ([`super::ParamSpec`]) in table
//!   order, which the merge, the "did you mean" check, the macro's
//!   environment, the `DD_*` copies, the secrets and the docs read;
//! - [`super::Config`], one public field per parameter, of the declared
//!   type, filled by [`super::values::FieldValue`] from the merged value.

/// Declares every parameter; see the module documentation.
macro_rules! parameters {
    ($(
        #[doc = $doc:literal]
        $field:ident: $type:ty = $spec:expr;
    )*) => {
        /// A parameter of the transform. Variants are named as the
        /// [`Config`] fields they fill: `Param::add_layers` is `addLayers`.
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Param {
            $(#[doc = $doc] $field,)*
        }

        impl Param {
            /// Every parameter, in table order.
            pub const ALL: &'static [Param] = &[$(Param::$field),*];
        }

        /// Every parameter's declaration, in table order (the README's):
        /// `PARAMS[p as usize]` declares `p`.
        pub static PARAMS: &[ParamSpec] =
            &[$($spec.doc($doc).literal(<$type as FieldValue>::LITERAL)),*];

        /// All parameters, typed and validated: one field per parameter of
        /// the table. Text parameters are JSON values: a string, or an
        /// intrinsic that CloudFormation resolves at deploy time.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Config {
            $(#[doc = $doc] pub $field: $type,)*
            /// Where each parameter that has a value came from.
            pub(super) sources: BTreeMap<Param, Source>,
            /// The merged values before typing, so that per-resource
            /// overrides can be merged over them and typed again.
            pub(super) merged: Merged,
        }

        impl Config {
            /// The configuration holding `values` (normalised to their
            /// kinds; a parameter without one gets its default).
            pub(super) fn from_values(
                values: &BTreeMap<Param, Value>,
                sources: BTreeMap<Param, Source>,
                merged: Merged,
            ) -> Config {
                Config {
                    $($field: FieldValue::from_json(
                        values.get(&Param::$field),
                        Param::$field.spec().default_value().as_ref(),
                    ),)*
                    sources,
                    merged,
                }
            }

            /// A parameter's value as JSON, `None` when it has none.
            pub fn value(&self, param: Param) -> Option<Value> {
                match param {
                    $(Param::$field => FieldValue::to_json(&self.$field),)*
                }
            }
        }
    };
}

pub(super) use parameters;
