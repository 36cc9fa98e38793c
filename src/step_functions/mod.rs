//! Instrumentation of Step Functions state machines (SPEC §8), when
//! `stepFunctionForwarderArn` is set.
//!
//! For each `AWS::StepFunctions::StateMachine` and (**[beyond]**)
//! `AWS::Serverless::StateMachine`, in this order:
//!
//! 1. [`logging`]: level `ALL` with execution data, a log group when there is
//!    no destination, and the [`role`]'s permission to deliver logs to it;
//! 2. [`logging::subscribe`]: the log group's subscription to the Forwarder;
//! 3. [`tags`]: `service`, `env`, `version`, `tags`, the macro version and
//!    `DD_TRACE_ENABLED`;
//! 4. [`trace_context`]: the context object passed to the Lambda functions
//!    and state machines it calls, in the [`definition`] however it is
//!    written.
//!
//! A state machine listed in `exclude` or marked
//! `Metadata: {Datadog: {Exclude: true}}` is left alone, and
//! `Metadata.Datadog.Parameters` overrides parameters for one state machine,
//! as for functions.

pub mod definition;
pub mod logging;
pub mod role;
pub mod tags;
pub mod trace_context;

use serde_json::{Map, Value};

use crate::StackContext;
use crate::config::{Config, exclusion_reason};
use crate::lambda::forwarder::subscription::{Served, Subscriber};
use crate::report::{Change, Report};
use crate::template::model::{PROPERTIES, Template};
use definition::Found;
use trace_context::Outcome;

/// The CloudFormation type of a state machine.
pub const STATE_MACHINE_TYPE: &str = "AWS::StepFunctions::StateMachine";
/// The SAM type of a state machine.
pub const SAM_STATE_MACHINE_TYPE: &str = "AWS::Serverless::StateMachine";

/// Where users read how to merge traces by hand.
const TROUBLESHOOTING_URL: &str =
    "https://docs.datadoghq.com/serverless/step_functions/troubleshooting/";

/// Which resource type a state machine is: the property names differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `AWS::StepFunctions::StateMachine`.
    CloudFormation,
    /// `AWS::Serverless::StateMachine`.
    Sam,
}

impl Flavor {
    /// The logging property: `LoggingConfiguration`, SAM `Logging`.
    pub fn logging_key(self) -> &'static str {
        match self {
            Flavor::CloudFormation => "LoggingConfiguration",
            Flavor::Sam => "Logging",
        }
    }

    /// The role property: `RoleArn`, SAM `Role`.
    pub fn role_key(self) -> &'static str {
        match self {
            Flavor::CloudFormation => "RoleArn",
            Flavor::Sam => "Role",
        }
    }

    /// Whether this is the SAM resource.
    pub fn is_sam(self) -> bool {
        self == Flavor::Sam
    }
}

/// The state machine being instrumented.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Its logical id.
    pub id: String,
    /// Its `Type`.
    pub resource_type: String,
    /// CloudFormation or SAM.
    pub flavor: Flavor,
    /// Its `Condition`, copied onto the resources added for it.
    pub condition: Option<Value>,
}

impl Machine {
    /// The state machine as the resource its log group and filter serve.
    pub fn served(&self) -> Served<'_> {
        Served {
            id: &self.id,
            resource_type: &self.resource_type,
            condition: self.condition.as_ref(),
            instrumented: true,
        }
    }
}

/// Instruments every state machine of the fragment when
/// `stepFunctionForwarderArn` is set (globally, or for that state machine
/// through its `Metadata.Datadog.Parameters`).
pub fn instrument(
    template: &mut Template<'_>,
    config: &Config,
    context: &StackContext<'_>,
    report: &mut Report,
) {
    let ids = template.ids_of_types(&[STATE_MACHINE_TYPE, SAM_STATE_MACHINE_TYPE]);
    let functions = template.ids_of_types(crate::lambda::function::FUNCTION_TYPES);
    let mut subscriber = None;
    for id in ids {
        let Some(resource) = template.resource(&id) else {
            continue;
        };
        let resource_type = resource.str("Type").unwrap_or_default().to_string();
        let metadata = resource.get("Metadata");
        let Some(own_config) = config.for_resource(&id, metadata, report) else {
            continue;
        };
        let Some(destination) = own_config.step_function_forwarder_arn.clone() else {
            continue;
        };
        if let Some(reason) = exclusion_reason(&id, metadata, &own_config) {
            report.change(
                &id,
                &resource_type,
                Change::Skipped {
                    reason: reason.into(),
                },
            );
            continue;
        }
        let Some(mut properties) = resource.mapping(PROPERTIES).map(|p| p.to_map()) else {
            report.warn(
                Some(&id),
                format!("State machine {id} has no Properties; it was left alone."),
            );
            continue;
        };
        let machine = Machine {
            id: id.clone(),
            flavor: if resource_type == SAM_STATE_MACHINE_TYPE {
                Flavor::Sam
            } else {
                Flavor::CloudFormation
            },
            resource_type,
            condition: resource.get("Condition").cloned(),
        };
        let subscriber =
            subscriber.get_or_insert_with(|| Subscriber::of(template, config, context));
        if let Some(target) = logging::set_up(
            template,
            subscriber,
            &machine,
            &mut properties,
            own_config.env.as_ref(),
            report,
        ) {
            logging::subscribe(template, subscriber, &machine, target, &destination, report);
        }
        tags::add(&mut properties, &machine, &own_config, report);
        merge_traces(&mut properties, &machine, &functions, report);
        if let Some(resource) = template
            .resource_mut(&id)
            .and_then(|r| r.mapping_mut(PROPERTIES))
        {
            resource.assign(properties);
        }
    }
}

/// Injects the trace context into the definition, writing it back in its
/// own form when something changed. Nothing here is critical: a definition
/// that cannot be edited is left alone with a warning.
fn merge_traces(
    properties: &mut Map<String, Value>,
    machine: &Machine,
    functions: &[String],
    report: &mut Report,
) {
    let id = &machine.id;
    let mut definition = match definition::read(properties) {
        Found::Editable(definition) => definition,
        Found::Missing => return,
        Found::InS3(key) => {
            report.warn(
                Some(id),
                format!(
                    "State machine {id}: its definition is in S3 ({key}), which the macro cannot edit, so its traces will not be merged with those of the Lambda functions and state machines it calls; to merge them by hand, see {TROUBLESHOOTING_URL}."
                ),
            );
            return;
        }
        Found::Unreadable(why) => {
            report.warn(
                Some(id),
                format!(
                    "State machine {id}: its definition was left alone because {why}; its traces will not be merged with those of the Lambda functions and state machines it calls."
                ),
            );
            return;
        }
    };
    let key = definition.key();
    let resolver = trace_context::Resolver {
        substitutions: properties
            .get("DefinitionSubstitutions")
            .and_then(Value::as_object),
        functions: functions.to_vec(),
        part_spellings: definition.part_spellings(),
    };
    let mut edited = false;
    for visited in trace_context::inject(&mut definition.value, &resolver) {
        match visited.outcome {
            Outcome::Injected(detail) => {
                edited = true;
                report.change(
                    id,
                    &machine.resource_type,
                    Change::DefinitionEdited {
                        state: visited.path,
                        detail: format!("{key}: {detail}"),
                    },
                );
            }
            Outcome::AlreadyDone => {}
            Outcome::LeftAlone(reason) => report.warn(
                Some(id),
                format!(
                    "State machine {id}: state \"{}\" was left alone because {reason}; its traces will not be merged with those of the {} it calls. To merge them by hand, see {TROUBLESHOOTING_URL}.",
                    visited.path,
                    visited.callee.downstream(),
                ),
            ),
        }
    }
    if edited {
        definition.write_back(properties);
    }
}
