//! `dd-serverless-macro`: the `DatadogServerless` CloudFormation macro, which
//! instruments Lambda functions and Step Functions state machines with
//! Datadog, and the library behind its CLI dry runs.
//!
//! Every front end (the Lambda handler, `handle-event`, `transform`) answers
//! through [`answer()`] (or [`answer_to`], which writes the answer as it is
//! made): an event's bytes in, the answer's bytes out, the template read
//! once and each of its values parsed when a pass first asks for it. A dry
//! run answers the event its template makes ([`handle_with_report`],
//! [`transform`]), its [`Report`] keeping every change. Data flows one way:
//! the request and the macro's environment ([`MacroEnvironment`]) become a
//! configuration, passes edit the template and record what they did in the
//! report, and the report's errors decide success or failure.
//!
//! The modules are private but for the front ends ([`dry_run`], the CLI's
//! commands; [`serve`], the deployed macro) and what their entry points
//! take and give ([`template`] files, [`report`]s).

#![deny(missing_docs)]

// The front ends: the CLI's dry runs and the deployed macro; and what their
// entry points take and give (templates as files, reports).
pub mod dry_run;
pub mod report;
pub mod serve;
pub mod template;

mod answer;
mod config;
mod edit;
mod lambda;
mod macro_event;
mod processed;
mod record;
mod report_json;
mod report_text;
mod secrets;
mod step_functions;

use serde_json::Value;

pub use answer::{Answered, answer, answer_to};
pub use config::{MacroEnvironment, parameters_markdown};
pub use macro_event::{MacroRequest, MacroResponse};
pub use report::Report;

/// The version of this macro, written in the `dd_sls_macro` tag.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The largest macro event accepted, in bytes (Lambda's payload limit).
pub const MAX_EVENT_BYTES: usize = 6 * 1024 * 1024;

/// What a transform produced: the answer's fragment (the rewritten
/// template, or on failure the template as received) and what was done.
#[derive(Debug, Clone)]
pub struct Transformed {
    /// The answer's fragment.
    pub fragment: Value,
    /// Changes, warnings and errors.
    pub report: Report,
}

/// Answers the event of a request (a dry run: the event its template
/// makes), its report keeping every change, as dry runs show them.
pub fn handle_with_report(
    request: MacroRequest,
    environment: &MacroEnvironment,
) -> (MacroResponse, Report) {
    let bytes = serde_json::to_vec(&request).expect("a request serialises");
    let (out, answered) = answer::answer_keeping(&bytes, environment, report::Detail::Full);
    let response = serde_json::from_slice(&out).expect("an answer is a response");
    (response, answered.report)
}

/// [`handle_with_report`] on a request given by reference, giving the
/// answer's fragment and the report.
pub fn transform(request: &MacroRequest, environment: &MacroEnvironment) -> Transformed {
    let (response, report) = handle_with_report(request.clone(), environment);
    Transformed {
        fragment: response.fragment,
        report,
    }
}

/// Facts about the stack that passes need besides the parameters (public
/// only for the crate's own tests, through [`internals`]).
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct StackContext<'a> {
    /// The stack's region.
    pub region: &'a str,
    /// The stack's account id.
    pub account_id: &'a str,
    /// The template's parameter values, for resolving `Ref`s.
    pub template_parameter_values: &'a serde_json::Map<String, Value>,
}

/// The AWS partition of a region (`aws`, `aws-us-gov`, `aws-cn`).
fn partition_of(region: &str) -> &'static str {
    if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("cn-") {
        "aws-cn"
    } else {
        "aws"
    }
}

/// Parts of the crate its own integration tests, benchmarks and fuzz
/// targets check directly (the layer table, the editor of template files,
/// the parameter table...). Not a supported interface: it changes with the
/// crate's insides.
#[doc(hidden)]
pub mod internals {
    pub use crate::StackContext;
    pub use crate::config::{Config, ConfigInputs, Kind, PARAMS};
    pub use crate::lambda::forwarder::subscribe;
    pub use crate::lambda::function::Architecture;
    pub use crate::lambda::handler::is_datadog_handler;
    pub use crate::lambda::layers::{LayerKind, datadog_account, layer_arn};
    pub use crate::report_text::{diagnostic_summary, render};
    pub use crate::secrets::Secrets;
    pub use crate::serve::summary::{EventIds, RequestSummary};
    pub use crate::template::intrinsics::{get_att, is_intrinsic};
    pub use crate::template::model::Template;
    pub use crate::template::resources::ids_of_types;

    /// The AWS partition of a region.
    pub fn partition_of(region: &str) -> &'static str {
        crate::partition_of(region)
    }

    /// The table of Datadog's published layers.
    pub mod published {
        pub use crate::lambda::published::*;
    }

    /// The record of what a bake added, which `uninstrument` takes out.
    pub mod record {
        pub use crate::record::*;
    }

    /// The editor of template files.
    pub mod edit {
        pub use crate::edit::{Construct, edit, unified_diff};
    }

    /// The report as JSON.
    pub mod report_json {
        pub use crate::report_json::{change_value, to_value};
    }

    /// The deployed macro's logs.
    #[cfg(feature = "lambda")]
    pub mod logging {
        pub use crate::serve::logging::{log_start, subscriber};
    }

    /// The Step Functions definitions.
    pub mod definition {
        pub use crate::step_functions::definition::{Found, read};
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions() {
        assert_eq!(partition_of("us-east-1"), "aws");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
    }
}
