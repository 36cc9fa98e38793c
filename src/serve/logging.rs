//! The deployed macro's logs: JSON lines (one per request, see
//! [`super::summary`]) on standard output, which Lambda sends to the
//! function's log group.
//!
//! `RUST_LOG` sets the level (default `info`; invalid directives are
//! ignored). Nothing forces debug. Whatever `RUST_LOG` says, TRACE events of
//! the runtime library are dropped: `lambda_runtime` traces every raw event,
//! secrets included, and this macro never writes a property value to a log.

use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, registry};

use crate::MacroEnvironment;
use crate::config::PARAMS;

/// Target prefix of the runtime library's events.
const RUNTIME_TARGET: &str = "lambda_runtime";

/// The level filter from `RUST_LOG`, `info` when unset.
pub fn env_filter() -> EnvFilter {
    EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .from_env_lossy()
}

/// Whether an event may be logged at all: not a TRACE event of the runtime
/// library, which carries raw event payloads.
pub fn never_payloads(metadata: &Metadata<'_>) -> bool {
    !(*metadata.level() == Level::TRACE && metadata.target().starts_with(RUNTIME_TARGET))
}

/// The macro's subscriber: JSON lines with the event's fields at the top
/// level, the runtime's invocation span (AWS request id), writing to `writer`
/// and filtered by `filter` (tests pass a buffer and their own filter).
pub fn subscriber<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let layer = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_ansi(false)
        .with_writer(writer)
        .with_filter(filter.and(filter_fn(never_payloads)));
    registry().with(layer)
}

/// Installs the subscriber on standard output for the whole process, and a
/// panic hook that logs where a panic happened but not its message (which
/// may quote a value; the failure response tells the user what went wrong).
pub fn install() {
    // A second install (tests, a library user) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber(env_filter(), std::io::stdout));
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(%location, "panic in the macro; the request is answered with a failure");
    }));
}

/// The names (never the values) of the `DD_*` site-wide defaults set in the
/// macro's environment.
pub fn site_wide_default_names(environment: &MacroEnvironment) -> Vec<&'static str> {
    PARAMS
        .iter()
        .filter_map(|spec| spec.macro_env)
        .filter(|name| environment.get(name).is_some())
        .collect()
}

/// Logs the start of serving: the version and which site-wide defaults are set.
pub fn log_start(environment: &MacroEnvironment) {
    tracing::info!(
        version = crate::VERSION,
        site_wide_defaults = %site_wide_default_names(environment).join(","),
        "DatadogServerless macro ready"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_wide_defaults_are_listed_by_name_only() {
        let environment = MacroEnvironment::from_pairs([
            ("DD_SITE", "datadoghq.eu"),
            ("DD_API_KEY", "secret-value"),
            ("DD_ENV", ""),
            ("UNRELATED", "x"),
        ]);
        let names = site_wide_default_names(&environment);
        assert!(names.contains(&"DD_SITE") && names.contains(&"DD_API_KEY"));
        assert_eq!(names.len(), 2, "{names:?}");
    }
}
