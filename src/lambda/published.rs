//! The layers Datadog publishes: for each library runtime (and the
//! Extension), architecture and FIPS, the regions it exists in and its newest
//! version there; for runtimes Datadog no longer builds, their last version
//! (issue 19).
//!
//! The facts are [`table::LAYERS`], generated from the `layers.json` and
//! `layers-gov.json` of the npm package `serverless-plugin-datadog`, vendored
//! under `fixtures/datadog-layers/` (`scripts/refresh-layers` refreshes both;
//! `tests/published_layers.rs` fails when they disagree). Nothing here reads
//! a file: the table is Rust constants.
//!
//! Datadog publishes in the `aws` and `aws-us-gov` partitions only: a region
//! of `aws-cn` is in no layer's list.

use super::function::Architecture;
use super::layers::LayerKind;

#[rustfmt::skip]
mod table;

pub use table::PACKAGE_VERSION;

/// One layer Datadog publishes (or once published): one key of the
/// plugin's `layers.json`, such as `python3.12-arm` or `extension-fips`.
#[derive(Debug)]
pub struct PublishedLayer {
    /// The library family, or the Extension.
    kind: LayerKind,
    /// The key in `layers.json`, as written there.
    key: &'static str,
    /// The runtime part of the key: a runtime identifier (`python3.12`,
    /// `nodejs20.x`, `ruby3.3`), or `java`, `dotnet`, `extension`.
    runtime: &'static str,
    /// The architecture the layer is built for; `None` when one layer serves
    /// both (Node.js, Java).
    arch: Option<Architecture>,
    /// The Extension's FIPS build.
    fips: bool,
    /// The layer name in its ARNs (`Datadog-Python312-ARM`).
    name: &'static str,
    /// Its newest version in any region.
    newest: u64,
    /// Whether Datadog stopped building it: its newest version is below its
    /// family's newest (python3.7 at 85 while Python is at 127; so are the
    /// runtimes only older packages list).
    retired: bool,
    /// The `serverless-plugin-datadog` version its figures come from: the
    /// newest package that lists it.
    package: &'static str,
    /// Its versions, each with the regions where it is the newest.
    regions: &'static [(u64, Regions)],
}

/// A set of regions, written the shorter way: the regions listed, or every
/// region of [`table::REGIONS`] but those listed. Lists are sorted.
#[derive(Debug)]
enum Regions {
    /// These regions.
    Only(&'static [&'static str]),
    /// Every region Datadog publishes in, but these.
    AllBut(&'static [&'static str]),
}

impl Regions {
    fn contains(&self, region: &str) -> bool {
        match self {
            Regions::Only(listed) => listed.binary_search(&region).is_ok(),
            Regions::AllBut(listed) => {
                table::REGIONS.binary_search(&region).is_ok()
                    && listed.binary_search(&region).is_err()
            }
        }
    }
}

impl PublishedLayer {
    /// The library family, or [`LayerKind::Extension`].
    pub fn kind(&self) -> LayerKind {
        self.kind
    }

    /// The key of the plugin's `layers.json` this layer comes from.
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// The runtime part of its key: a runtime identifier (`python3.7`,
    /// `nodejs8.10`), or `java`, `dotnet`, `extension`.
    pub fn runtime(&self) -> &'static str {
        self.runtime
    }

    /// The layer name, as in `arn:...:layer:NAME:VERSION`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The architecture it is built for; `None` when it serves both.
    pub fn arch(&self) -> Option<Architecture> {
        self.arch
    }

    /// Whether it is the Extension's FIPS build.
    pub fn fips(&self) -> bool {
        self.fips
    }

    /// Its newest version in `region`, or `None` when Datadog does not
    /// publish it there (China; regions newer than the layer, or than a
    /// retired runtime; regions Datadog no longer lists, as `me-south-1`).
    pub fn version_in(&self, region: &str) -> Option<u64> {
        self.regions
            .iter()
            .find(|(_, regions)| regions.contains(region))
            .map(|(version, _)| *version)
    }

    /// Its newest version in any region.
    pub fn newest(&self) -> u64 {
        self.newest
    }

    /// The last version Datadog published, when it no longer builds this
    /// layer (its runtime is retired): no version above it exists.
    pub fn last_version(&self) -> Option<u64> {
        self.retired.then_some(self.newest)
    }

    /// The `serverless-plugin-datadog` version its figures come from.
    pub fn package(&self) -> &'static str {
        self.package
    }

    /// Every region it is published in, with its newest version there,
    /// in region order.
    pub fn regions(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        table::REGIONS
            .iter()
            .filter_map(|region| Some((*region, self.version_in(region)?)))
    }

    /// Whether this layer is the one for `runtime` (its table key, see
    /// [`table_runtime`]), `arch` and `fips`.
    fn serves(&self, runtime: &str, arch: Architecture, fips: bool) -> bool {
        self.runtime == runtime && self.fips == fips && self.arch.is_none_or(|a| a == arch)
    }
}

/// Every published layer, sorted by key.
pub fn layers() -> &'static [PublishedLayer] {
    table::LAYERS
}

/// Every region Datadog publishes layers in, sorted.
pub fn regions() -> &'static [&'static str] {
    table::REGIONS
}

/// The library layer Datadog publishes for a Lambda runtime identifier and
/// architecture, or `None` when there is none: a runtime with no library
/// layer (`provided.al2`, `go1.x`, `dotnetcore3.1`), one newer than the
/// vendored table, or an architecture it was never built for (python3.7 on
/// arm64).
pub fn library(runtime: &str, arch: Architecture) -> Option<&'static PublishedLayer> {
    let key = table_runtime(runtime)?;
    table::LAYERS
        .iter()
        .find(|layer| layer.kind != LayerKind::Extension && layer.serves(key, arch, false))
}

/// The Extension layer for an architecture, FIPS or not.
pub fn extension(arch: Architecture, fips: bool) -> &'static PublishedLayer {
    table::LAYERS
        .iter()
        .find(|layer| layer.kind == LayerKind::Extension && layer.serves("extension", arch, fips))
        .expect("the table has the Extension for both architectures, FIPS and not (tested)")
}

/// The runtime part of a `layers.json` key for a runtime identifier: the
/// identifier itself for Python, Node.js and Ruby, one key for every Java
/// runtime and one for every .NET runtime (`dotnet6`, `dotnet8`, ...; the
/// `dotnetcore*` runtimes predate Datadog's .NET layer). `None` for any other.
fn table_runtime(runtime: &str) -> Option<&str> {
    let versioned = |prefix: &str| {
        runtime
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    };
    if versioned("java") {
        Some("java")
    } else if versioned("dotnet") {
        Some("dotnet")
    } else if ["python", "nodejs", "ruby"].into_iter().any(versioned) {
        Some(runtime)
    } else {
        None
    }
}

/// The newest version Datadog publishes of a layer family (what its bundled
/// default should be): the highest version of any of its layers.
pub fn newest_version(kind: LayerKind) -> u64 {
    table::LAYERS
        .iter()
        .filter(|layer| layer.kind == kind)
        .map(|layer| layer.newest)
        .max()
        .expect("the table has every layer family (tested)")
}

/// The Lambda runtimes without the Lambda Extensions API, so the Datadog
/// Extension cannot run on them (Datadog's guide sends Python 3.6 and
/// earlier to the Datadog Forwarder instead).
///
/// AWS lists the runtimes that support extensions, as of their launch
/// (<https://docs.aws.amazon.com/lambda/latest/dg/using-extensions.html>,
/// <https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html>):
/// dotnetcore3.1, provided, provided.al2, java11, java8.al2, nodejs14.x,
/// nodejs12.x, nodejs10.x, python3.9, python3.8, python3.7, ruby2.7,
/// ruby2.5, and every runtime since ("All Lambda runtimes support
/// extensions", <https://docs.aws.amazon.com/lambda/latest/dg/lambda-extensions.html>);
/// the Go 1.x runtime is named as not supporting them. These are the
/// runtimes of that time missing from the list, and those deprecated before
/// it (<https://docs.aws.amazon.com/lambda/latest/dg/runtime-support-policy.html>).
pub const RUNTIMES_WITHOUT_EXTENSIONS_API: &[&str] = &[
    "dotnetcore1.0",
    "dotnetcore2.0",
    "dotnetcore2.1",
    "go1.x",
    "java8",
    "nodejs",
    "nodejs4.3",
    "nodejs4.3-edge",
    "nodejs6.10",
    "nodejs8.10",
    "python2.7",
    "python3.6",
];

/// Whether a runtime has no Lambda Extensions API (see
/// [`RUNTIMES_WITHOUT_EXTENSIONS_API`]).
pub fn lacks_extensions_api(runtime: &str) -> bool {
    RUNTIMES_WITHOUT_EXTENSIONS_API.contains(&runtime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Architecture::*;

    /// The first table of issue 19, row by row: the last version of each
    /// retired runtime, its layer names (x86_64, arm64) and the package
    /// version the figure comes from.
    #[test]
    fn retired_runtimes_keep_their_last_version() {
        let rows = [
            ("python3.7", "Datadog-Python37", None, 85, PACKAGE_VERSION),
            ("python3.6", "Datadog-Python36", None, 60, "5.25.0"),
            ("python2.7", "Datadog-Python27", None, 49, "4.1.2"),
            (
                "nodejs16.x",
                "Datadog-Node16-x",
                Some("Datadog-Node16-x"),
                120,
                PACKAGE_VERSION,
            ),
            (
                "nodejs14.x",
                "Datadog-Node14-x",
                Some("Datadog-Node14-x"),
                105,
                "5.57.1",
            ),
            (
                "nodejs12.x",
                "Datadog-Node12-x",
                Some("Datadog-Node12-x"),
                88,
                "5.57.1",
            ),
            (
                "nodejs10.x",
                "Datadog-Node10-x",
                Some("Datadog-Node10-x"),
                59,
                "4.1.2",
            ),
            (
                "nodejs8.10",
                "Datadog-Node8-10",
                Some("Datadog-Node8-10"),
                18,
                "2.6.2",
            ),
            (
                "ruby2.7",
                "Datadog-Ruby2-7",
                Some("Datadog-Ruby2-7-ARM"),
                22,
                "5.57.1",
            ),
        ];
        for (runtime, x86_name, arm_name, last, package) in rows {
            let x86 = library(runtime, X86_64).unwrap();
            let arm = library(runtime, Arm64);
            assert_eq!(x86.name(), x86_name);
            assert_eq!(
                arm.map(PublishedLayer::name),
                arm_name,
                "{runtime} on arm64"
            );
            for layer in std::iter::once(x86).chain(arm) {
                assert_eq!(layer.last_version(), Some(last), "{runtime}");
                assert_eq!(layer.version_in("us-east-1"), Some(last), "{runtime}");
                assert_eq!(layer.package(), package, "{runtime}");
            }
        }
        assert_eq!(library("ruby2.7", X86_64).unwrap().kind(), LayerKind::Ruby);
        assert_eq!(
            library("nodejs8.10", X86_64).unwrap().kind(),
            LayerKind::Node
        );
    }

    #[test]
    fn current_runtimes_are_not_retired() {
        for runtime in [
            "python3.8",
            "python3.14",
            "nodejs18.x",
            "nodejs24.x",
            "ruby3.2",
        ] {
            let layer = library(runtime, X86_64).unwrap();
            assert_eq!(layer.last_version(), None, "{runtime}");
        }
        assert_eq!(library("java21", Arm64).unwrap().name(), "dd-trace-java");
        assert_eq!(
            library("dotnet8", Arm64).unwrap().name(),
            "dd-trace-dotnet-ARM"
        );
        assert_eq!(extension(Arm64, true).last_version(), None);
    }

    #[test]
    fn layers_missing_from_newer_regions() {
        for region in ["ap-east-2", "ap-southeast-6"] {
            for runtime in ["ruby3.3", "java21", "dotnet8"] {
                for arch in [X86_64, Arm64] {
                    let layer = library(runtime, arch).unwrap();
                    assert_eq!(layer.version_in(region), None, "{runtime} {region}");
                    assert!(layer.version_in("eu-west-1").is_some(), "{runtime}");
                }
            }
            assert!(
                library("python3.12", Arm64)
                    .unwrap()
                    .version_in(region)
                    .is_some()
            );
        }
        assert_eq!(
            library("ruby4.0", X86_64)
                .unwrap()
                .version_in("me-central-1"),
            None
        );
        assert!(
            library("ruby3.4", X86_64)
                .unwrap()
                .version_in("me-central-1")
                .is_some()
        );

        let count_missing = |runtime: &str| {
            let layer = library(runtime, X86_64).unwrap();
            let extension = extension(X86_64, false);
            extension
                .regions()
                .filter(|(region, _)| layer.version_in(region).is_none())
                .count()
        };
        assert_eq!(count_missing("python3.7"), 7);
        assert_eq!(count_missing("nodejs16.x"), 4);
    }

    #[test]
    fn old_python_has_no_extensions_api() {
        assert!(lacks_extensions_api("python2.7"));
        assert!(lacks_extensions_api("python3.6"));
        assert!(!lacks_extensions_api("python3.7"));
        assert!(!lacks_extensions_api("provided.al2023"));
    }

    #[test]
    fn extension_builds_and_regions() {
        for (arch, fips, name) in [
            (X86_64, false, "Datadog-Extension"),
            (Arm64, false, "Datadog-Extension-ARM"),
            (X86_64, true, "Datadog-Extension-FIPS"),
            (Arm64, true, "Datadog-Extension-ARM-FIPS"),
        ] {
            let layer = extension(arch, fips);
            assert_eq!(layer.name(), name);
            assert!(layer.version_in("us-gov-west-1").is_some(), "{name}");
            assert!(layer.version_in("us-gov-east-1").is_some(), "{name}");
            assert_eq!(layer.version_in("cn-north-1"), None, "{name}");
        }
        // One region lags one version behind for ARM-FIPS.
        let arm_fips = extension(Arm64, true);
        assert_eq!(arm_fips.version_in("me-central-1"), Some(98));
        assert_eq!(arm_fips.version_in("us-east-1"), Some(arm_fips.newest()));
    }

    #[test]
    fn no_library_layer_for_other_runtimes() {
        for runtime in [
            "provided.al2",
            "go1.x",
            "dotnetcore3.1",
            "dotnet",
            "nodejs",
            "java",
            "python3.99",
            "",
        ] {
            assert!(library(runtime, X86_64).is_none(), "{runtime}");
        }
    }
}
