//! Declarative log subscriptions to the Datadog Forwarder (SPEC §7).

use serde_json::Value;

use crate::config::Config;
use crate::report::Report;

/// Subscribes the log group of each instrumented function (`function_ids`)
/// to `forwarderArn`, declaring the log group when the template has none.
/// Does nothing when `forwarderArn` is not set. (Not yet implemented.)
pub fn subscribe(
    _fragment: &mut Value,
    _function_ids: &[String],
    _config: &Config,
    _report: &mut Report,
) {
}
