//! What the passes work out from a function's configuration alone, kept
//! for the functions of one transform that share that configuration (most
//! share the global one): the variables to write and the layers chosen.
//! The transform's context owns it ([`super::instrument`]); a value
//! never carries it.
//!
//! With the memo, 12% fewer instructions on functions-500 (97.6 M to 86.1 M)
//! and 16% on framework-500 (callgrind, `scripts/bench`'s events).

use super::env::Plan;
use super::layers::LayerMemo;

/// The memo of one configuration during one transform.
#[derive(Debug, Default)]
pub struct Memo {
    /// The variables [`super::env::set_variables`] writes, once worked out.
    pub env: Option<Plan>,
    /// The layers [`super::layers::add_layers`] chose so far.
    pub layers: LayerMemo,
}
