//! Instrumentation of Lambda functions (SPEC §3–§7, §9, §11, §12).

use serde_json::Value;

use crate::StackContext;
use crate::config::Config;
use crate::report::Report;

/// Instruments every function of the fragment. (Filled in by the Lambda
/// instrumentation work; until then the fragment is returned unchanged.)
pub fn instrument(
    _fragment: &mut Value,
    _config: &Config,
    _context: &StackContext<'_>,
    _report: &mut Report,
) {
}
