//! What the passes work out from a function's configuration alone, kept
//! for the functions of one transform that share that configuration (most
//! share the global one): the variables to write and the layers chosen.
//! The transform's context owns it ([`super::instrument`]); a value
//! never carries it.
//!
//! Working both out again for every function costs 8% more instructions on
//! 500 functions (callgrind, `scripts/bench`'s events/functions-500.json).

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
