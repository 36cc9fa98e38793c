//! What the layer pass says when a function cannot get a layer, and the
//! notes it leaves: each names the function, the runtime or region, and
//! the remedies that work (tests/layer_arns.rs runs each remedy).

use super::LayerKind;
use crate::config::Param;
use crate::lambda::function::{Architecture, RuntimeFamily};
use crate::lambda::published::{PACKAGE_VERSION, PublishedLayer};

/// The Extension on a runtime without the Lambda Extensions API.
pub(super) fn no_extensions_api(id: &str, runtime: &str) -> String {
    format!(
        "Resource {id} runs {runtime}, which has no Lambda Extensions API, so the Datadog Extension cannot run on it. \
         Send its telemetry through the Datadog Forwarder instead (`forwarderArn`, without the Extension; for this function alone, \
         when the Extension is on through `addExtension`, set `addExtension: false` and `forwarderArn` in its `Metadata.Datadog.Parameters`), \
         or add {id} to the `exclude` parameter."
    )
}

/// A runtime whose library layer Datadog never built for this
/// architecture (python3.7 on arm64), or at all.
pub(super) fn no_layer_for(
    id: &str,
    family: RuntimeFamily,
    runtime: &str,
    arch: Architecture,
    arn_param: Param,
) -> String {
    let family = family.display_name();
    if arch == Architecture::Arm64 {
        format!(
            "Resource {id}: Datadog publishes no arm64 {family} layer for {runtime}. \
             Use an x86_64 architecture or a newer runtime, give the ARN of a layer of yours with `{arn_param}`, or add {id} to the `exclude` parameter."
        )
    } else {
        format!(
            "Resource {id}: Datadog's layer table (serverless-plugin-datadog {PACKAGE_VERSION}) has no {family} layer for {runtime}. \
             Give the ARN of a layer of yours with `{arn_param}`, or add {id} to the `exclude` parameter."
        )
    }
}

/// `useLayersFromAccount` without the version of a layer: the user's
/// copies have no bundled default.
pub(super) fn no_version_for_own_account(
    id: &str,
    family: RuntimeFamily,
    kind: LayerKind,
    label: &str,
    version_param: Param,
) -> String {
    if kind == LayerKind::Extension {
        format!(
            "Resource {id} needs the Datadog Extension, but no `{version_param}` was provided; with `useLayersFromAccount` there is no bundled default. Please add the '{version_param}' parameter for the Datadog serverless macro."
        )
    } else {
        format!(
            "Resource {id} has a {} runtime, but no {label} version was provided. Please add the '{version_param}' parameter for the Datadog serverless macro.",
            family.display_name()
        )
    }
}

/// What works when Datadog does not publish a layer where the stack is:
/// the user's own copies (by account, or by ARN), leaving the function out,
/// and for a library layer, bundling the library instead. (`addLayers:
/// false` is not offered for the Extension: it does not remove it.)
pub(super) fn remedies(
    kind: LayerKind,
    id: &str,
    version_param: Param,
    arn_param: Param,
) -> String {
    let own = format!(
        "copy the layer to an account of yours and set `useLayersFromAccount` with `{version_param}`; give the ARN of your copy with `{arn_param}`"
    );
    match kind {
        LayerKind::Extension => format!("Remedies: {own}; or add {id} to the `exclude` parameter."),
        _ => format!(
            "Remedies: {own}; set `addLayers: false` and bundle the library with the function's code; or add {id} to the `exclude` parameter."
        ),
    }
}

/// A layer Datadog does not publish in the stack's region (or partition).
pub(super) fn not_published(
    id: &str,
    label: &str,
    layer: &PublishedLayer,
    region: &str,
    remedies: &str,
) -> String {
    let name = layer.name();
    let partition = crate::partition_of(region);
    let why = if super::datadog_account(partition).is_none() {
        format!("Datadog publishes no layers in the {partition} partition")
    } else {
        format!(
            "Datadog does not publish {name} there (serverless-plugin-datadog {PACKAGE_VERSION}'s layer table)"
        )
    };
    format!(
        "Resource {id} cannot get the {label} layer ({name}) in region {region}: {why}. {remedies}"
    )
}

/// A version given above the last one Datadog published for a retired runtime.
pub(super) fn above_last_version(
    id: &str,
    runtime: &str,
    region: &str,
    layer: &PublishedLayer,
    last: u64,
    (param, version): (Param, u64),
) -> String {
    let name = layer.name();
    format!(
        "Resource {id} runs {runtime}, whose last Datadog layer in {region} is {name}:{last}: `{param}` {version} does not exist for it. \
         Set `{param}` to {last} or lower (in the function's `Metadata.Datadog.Parameters` if other functions need a newer one), or move the function to a newer runtime."
    )
}

/// The note for a bundled default clipped to a retired runtime's last
/// version: `python3.7: Datadog's last Python 3.7 layer is 85`.
pub(super) fn last_version_note(family: RuntimeFamily, runtime: &str, last: u64) -> String {
    let number = runtime
        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .trim_end_matches(".x");
    format!(
        "{runtime}: Datadog's last {} {number} layer is {last}",
        family.display_name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_name_the_runtime_as_people_do() {
        let cases = [
            (
                RuntimeFamily::Python,
                "python3.7",
                85,
                "python3.7: Datadog's last Python 3.7 layer is 85",
            ),
            (
                RuntimeFamily::Node,
                "nodejs16.x",
                120,
                "nodejs16.x: Datadog's last Node.js 16 layer is 120",
            ),
            (
                RuntimeFamily::Node,
                "nodejs8.10",
                18,
                "nodejs8.10: Datadog's last Node.js 8.10 layer is 18",
            ),
            (
                RuntimeFamily::Ruby,
                "ruby2.7",
                22,
                "ruby2.7: Datadog's last Ruby 2.7 layer is 22",
            ),
        ];
        for (family, runtime, last, expected) in cases {
            assert_eq!(last_version_note(family, runtime, last), expected);
        }
    }
}
