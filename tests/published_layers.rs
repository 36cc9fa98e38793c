//! The published layer table (`src/lambda/published/table.rs`) against the
//! vendored `serverless-plugin-datadog` tables it is generated from
//! (`fixtures/datadog-layers/packages/VERSION/layers.json` and
//! `layers-gov.json`).
//!
//! This file is also the generator: with `REGENERATE_PUBLISHED_LAYERS=1`,
//! `cargo test --test published_layers` writes the table instead of
//! comparing it (`scripts/refresh-layers` does this after vendoring). It
//! links the crate, so a change to the table's shape starts from a
//! `table.rs` that compiles (an empty `LAYERS` will do).
//!
//! How the table is derived: each key of `layers.json` (`python3.12-arm`,
//! `extension-fips`, ...) comes from the newest vendored package that lists
//! it, in either file; older packages are kept only for the runtimes newer
//! ones dropped. A layer is retired when its newest version is below its
//! family's newest. A key without `-arm` is for x86_64 only when its family
//! has `-arm` keys, and for both architectures otherwise (Node.js, Java).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use dd_serverless_macro::internals::published::{self, PublishedLayer};
use dd_serverless_macro::internals::{
    Architecture, LayerKind, datadog_account, layer_arn, partition_of,
};
use serde_json::Value;

/// Where the generated table lives, from the crate root.
const TABLE: &str = "src/lambda/published/table.rs";
/// Where the vendored packages live, one folder per version.
const PACKAGES: &str = "fixtures/datadog-layers/packages";
/// The files of a package that list layers.
const FILES: [&str; 2] = ["layers.json", "layers-gov.json"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A package version, ordered numerically (5.134.1 after 5.57.1).
type Version = (u64, u64, u64);

fn parse_version(text: &str) -> Option<Version> {
    let mut parts = text.split('.').map(|p| p.parse::<u64>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

/// One vendored package: its version and, per `layers.json` key, per region,
/// the ARN listed.
struct Package {
    version: String,
    keys: BTreeMap<String, BTreeMap<String, String>>,
}

/// The vendored packages, newest first.
fn packages() -> Vec<Package> {
    let dir = root().join(PACKAGES);
    let mut found: Vec<(Version, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let version = parse_version(&name).unwrap_or_else(|| {
                panic!(
                    "{}: folders here are package versions (X.Y.Z)",
                    path.display()
                )
            });
            (version, path)
        })
        .collect();
    found.sort();
    found.reverse();
    found
        .into_iter()
        .map(|(_, path)| {
            let mut keys: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
            for file in FILES {
                let path = path.join(file);
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let json: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let regions = json["regions"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{}: no \"regions\" object", path.display()));
                for (region, layers) in regions {
                    for (key, arn) in layers.as_object().unwrap() {
                        let arn = arn.as_str().unwrap_or_else(|| {
                            panic!("{}: {region}/{key} is not a string", path.display())
                        });
                        let previous = keys
                            .entry(key.clone())
                            .or_default()
                            .insert(region.clone(), arn.to_string());
                        assert!(
                            previous.is_none(),
                            "{}: {region}/{key} twice",
                            path.display()
                        );
                    }
                }
            }
            assert!(!keys.is_empty(), "{}: no layers", path.display());
            let version = path.file_name().unwrap().to_string_lossy().into_owned();
            Package { version, keys }
        })
        .collect()
}

/// One key of the table, as the vendored packages give it.
struct Vendored {
    key: String,
    kind: LayerKind,
    runtime: String,
    arm: bool,
    fips: bool,
    package: String,
    name: String,
    /// Per region, the version listed.
    versions: BTreeMap<String, u64>,
}

/// The family of a `layers.json` key.
fn kind_of(key: &str) -> LayerKind {
    let prefixes = [
        ("python", LayerKind::Python),
        ("nodejs", LayerKind::Node),
        ("java", LayerKind::Java),
        ("dotnet", LayerKind::Dotnet),
        ("ruby", LayerKind::Ruby),
        ("extension", LayerKind::Extension),
    ];
    prefixes
        .iter()
        .find(|(prefix, _)| key.starts_with(prefix))
        .map(|(_, kind)| *kind)
        .unwrap_or_else(|| {
            panic!(
                "layers.json has a layer of a family this project does not know: {key:?}; \
                 add it to LayerKind and to kind_of in tests/published_layers.rs"
            )
        })
}

/// Every key, from the newest package that lists it.
fn vendored() -> Vec<Vendored> {
    let packages = packages();
    let mut table: BTreeMap<String, Vendored> = BTreeMap::new();
    for package in &packages {
        for (key, regions) in &package.keys {
            if table.contains_key(key) {
                continue;
            }
            let base = key.strip_suffix("-fips").unwrap_or(key);
            let runtime = base.strip_suffix("-arm").unwrap_or(base);
            let mut name = None;
            let mut versions = BTreeMap::new();
            for (region, arn) in regions {
                let parts: Vec<&str> = arn.split(':').collect();
                assert!(
                    parts.len() == 8 && parts[0] == "arn" && parts[5] == "layer",
                    "{}: {region}/{key}: not a layer ARN: {arn}",
                    package.version
                );
                assert_eq!(parts[3], region, "{}: {key}: {arn}", package.version);
                let version = parts[7].parse::<u64>().unwrap_or_else(|_| {
                    panic!("{}: {region}/{key}: version of {arn}", package.version)
                });
                let layer_name = parts[6].to_string();
                match &name {
                    None => name = Some(layer_name),
                    Some(n) => assert_eq!(n, &layer_name, "{}: {key}", package.version),
                }
                versions.insert(region.clone(), version);
            }
            table.insert(
                key.clone(),
                Vendored {
                    key: key.clone(),
                    kind: kind_of(key),
                    runtime: runtime.to_string(),
                    arm: base != runtime,
                    fips: key != base,
                    package: package.version.clone(),
                    name: name.unwrap(),
                    versions,
                },
            );
        }
    }
    for package in &packages[1..] {
        assert!(
            table.values().any(|v| v.package == package.version),
            "{PACKAGES}/{}: every layer it lists is in a newer package; delete it",
            package.version
        );
    }
    table.into_values().collect()
}

fn newest(layer: &Vendored) -> u64 {
    layer.versions.values().copied().max().unwrap()
}

fn family_newest(table: &[Vendored], kind: LayerKind) -> u64 {
    table
        .iter()
        .filter(|v| v.kind == kind)
        .map(newest)
        .max()
        .unwrap()
}

fn family_has_arm(table: &[Vendored], kind: LayerKind) -> bool {
    table.iter().any(|v| v.kind == kind && v.arm)
}

/// The text of `src/lambda/published/table.rs`.
fn generate() -> String {
    let table = vendored();
    let current = &packages()[0].version;
    let mut out = String::new();
    out.push_str(&format!(
        "// @generated by tests/published_layers.rs from {PACKAGES}/*/layers*.json\n\
         // (serverless-plugin-datadog {current}, and older packages for the runtimes it dropped).\n\
         // Do not edit: run scripts/refresh-layers, or regenerate from the vendored files with\n\
         // REGENERATE_PUBLISHED_LAYERS=1 cargo test --test published_layers\n\
         \n\
         //! Datadog's published layers (generated; see the parent module).\n\
         \n\
         use super::{{PublishedLayer, Regions}};\n\
         use crate::lambda::function::Architecture;\n\
         use crate::lambda::layers::LayerKind;\n\
         \n\
         /// The `serverless-plugin-datadog` version of the newest vendored tables.\n\
         pub const PACKAGE_VERSION: &str = \"{current}\";\n\
         \n\
         /// Every region a vendored table lists (Datadog publishes in no other), sorted.\n\
         pub(super) const REGIONS: &[&str] = &[\n"
    ));
    let universe = every_region(&table);
    for region in &universe {
        let _ = writeln!(out, "    {region:?},");
    }
    out.push_str(
        "];\n\
         \n\
         /// Every layer of the vendored tables, sorted by key.\n\
         pub(super) const LAYERS: &[PublishedLayer] = &[\n",
    );
    for layer in &table {
        let arch = if layer.arm {
            "Some(Architecture::Arm64)"
        } else if family_has_arm(&table, layer.kind) {
            "Some(Architecture::X86_64)"
        } else {
            "None"
        };
        let newest = newest(layer);
        let retired = newest < family_newest(&table, layer.kind);
        let mut by_version: BTreeMap<u64, Vec<&str>> = BTreeMap::new();
        for (region, version) in &layer.versions {
            by_version.entry(*version).or_default().push(region);
        }
        let _ = write!(
            out,
            "    PublishedLayer {{\n        \
                 kind: LayerKind::{:?},\n        \
                 key: {:?},\n        \
                 runtime: {:?},\n        \
                 arch: {arch},\n        \
                 fips: {},\n        \
                 name: {:?},\n        \
                 newest: {newest},\n        \
                 retired: {retired},\n        \
                 package: {:?},\n        \
                 regions: &[\n",
            layer.kind, layer.key, layer.runtime, layer.fips, layer.name, layer.package
        );
        for (version, regions) in by_version {
            let others: Vec<&str> = universe
                .iter()
                .map(String::as_str)
                .filter(|region| !regions.contains(region))
                .collect();
            let (form, listed) = if others.len() < regions.len() {
                ("AllBut", others)
            } else {
                ("Only", regions)
            };
            let _ = write!(out, "            ({version}, Regions::{form}(&[");
            for (i, region) in listed.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                let _ = write!(out, "{sep}{region:?}");
            }
            out.push_str("])),\n");
        }
        out.push_str("        ],\n    },\n");
    }
    out.push_str("];\n");
    out
}

#[test]
fn table_is_generated_from_the_vendored_files() {
    let path = root().join(TABLE);
    let generated = generate();
    if std::env::var_os("REGENERATE_PUBLISHED_LAYERS").is_some() {
        std::fs::write(&path, &generated)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{TABLE} is not what {PACKAGES} generates. Regenerate it with \
         `REGENERATE_PUBLISHED_LAYERS=1 cargo test --test published_layers` \
         (scripts/refresh-layers does this after vendoring a new package)."
    );
}

/// Every region a vendored file names.
fn every_region(table: &[Vendored]) -> BTreeSet<String> {
    table
        .iter()
        .flat_map(|v| v.versions.keys().cloned())
        .collect()
}

/// The API's layer for a vendored key, looked up the way the layer pass does.
fn api_layer(v: &Vendored, arch: Architecture) -> Option<&'static PublishedLayer> {
    match v.kind {
        LayerKind::Extension => Some(published::extension(arch, v.fips)),
        LayerKind::Java => published::library("java21", arch),
        LayerKind::Dotnet => published::library("dotnet8", arch),
        _ => published::library(&v.runtime, arch),
    }
}

/// Every (layer, region, version) the API answers is an ARN of the vendored
/// files, with the partition and account the transform writes.
#[test]
fn every_answer_is_a_vendored_arn() {
    let packages = packages();
    let mut answers = 0;
    for layer in published::layers() {
        let package = packages
            .iter()
            .find(|p| p.version == layer.package())
            .unwrap_or_else(|| panic!("{}: package {} not vendored", layer.key(), layer.package()));
        let listed = &package.keys[layer.key()];
        for (region, version) in layer.regions() {
            let partition = partition_of(region);
            let account = datadog_account(partition).unwrap_or_else(|| {
                panic!(
                    "{}: {region} is in a partition without Datadog",
                    layer.key()
                )
            });
            let arn = layer_arn(partition, region, account, layer.name(), version);
            assert_eq!(
                listed.get(region),
                Some(&arn),
                "{} in {region}",
                layer.key()
            );
            assert_eq!(layer.version_in(region), Some(version));
            answers += 1;
        }
    }
    assert!(answers > 1000, "only {answers} answers");
}

/// Every vendored key, in every region (and in China and an unknown region),
/// is what the API answers, for each architecture it serves.
#[test]
fn every_vendored_layer_is_answered() {
    let table = vendored();
    let mut regions = every_region(&table);
    // China's regions, and one that does not exist yet.
    for other in ["cn-north-1", "cn-northwest-1", "xx-future-1"] {
        regions.insert(other.to_string());
    }
    for v in &table {
        let archs: &[Architecture] = match (v.arm, family_has_arm(&table, v.kind)) {
            (true, _) => &[Architecture::Arm64],
            (false, true) => &[Architecture::X86_64],
            (false, false) => &[Architecture::X86_64, Architecture::Arm64],
        };
        for &arch in archs {
            let layer = api_layer(v, arch).unwrap_or_else(|| panic!("{}: no answer", v.key));
            assert_eq!(layer.key(), v.key);
            assert_eq!(layer.name(), v.name);
            assert_eq!(layer.kind(), v.kind);
            assert_eq!(layer.package(), v.package);
            assert_eq!(layer.newest(), newest(v));
            for region in &regions {
                assert_eq!(
                    layer.version_in(region),
                    v.versions.get(region).copied(),
                    "{} in {region}",
                    v.key
                );
            }
        }
    }
    assert_eq!(published::layers().len(), table.len());
}

/// Every runtime with a library layer, and the runtime part of its key:
/// the runtimes of the table's keys, and the Java and .NET runtimes their
/// one key serves.
fn library_runtimes(table: &[Vendored]) -> Vec<(String, String)> {
    let mut runtimes: Vec<(String, String)> = table
        .iter()
        .filter(|v| {
            !matches!(
                v.kind,
                LayerKind::Extension | LayerKind::Java | LayerKind::Dotnet
            )
        })
        .map(|v| (v.runtime.clone(), v.runtime.clone()))
        .collect();
    for java in ["java8", "java8.al2", "java11", "java17", "java21", "java25"] {
        runtimes.push((java.to_string(), "java".to_string()));
    }
    for dotnet in ["dotnet6", "dotnet8", "dotnet10"] {
        runtimes.push((dotnet.to_string(), "dotnet".to_string()));
    }
    runtimes.dedup();
    runtimes
}

/// Runtimes × architectures: the library layer is the one of the runtime's
/// key, its `-arm` key on arm64, or none when the family has `-arm` keys but
/// not this runtime (python3.7 on arm64).
#[test]
fn every_runtime_and_architecture() {
    let table = vendored();
    let key_of = |key: &str| table.iter().find(|v| v.key == key);
    let runtimes = library_runtimes(&table);
    for (runtime, key) in &runtimes {
        let x86 = published::library(runtime, Architecture::X86_64).map(PublishedLayer::key);
        assert_eq!(x86, Some(key.as_str()), "{runtime} x86_64");
        let kind = key_of(key).unwrap().kind;
        let arm_key = format!("{key}-arm");
        let expected_arm = match key_of(&arm_key) {
            Some(_) => Some(arm_key.as_str()),
            None if family_has_arm(&table, kind) => None,
            None => Some(key.as_str()),
        };
        let arm = published::library(runtime, Architecture::Arm64).map(PublishedLayer::key);
        assert_eq!(arm, expected_arm, "{runtime} arm64");
    }
    for runtime in [
        "ruby2.7",
        "nodejs8.10",
        "python2.7",
        "python3.14",
        "nodejs24.x",
        "ruby4.0",
    ] {
        assert!(
            runtimes.iter().any(|(r, _)| r == runtime),
            "{runtime} missing"
        );
    }
}

/// The newest version of each family is the highest the vendored files list.
#[test]
fn newest_version_per_family() {
    let table = vendored();
    for kind in [
        LayerKind::Python,
        LayerKind::Node,
        LayerKind::Java,
        LayerKind::Dotnet,
        LayerKind::Ruby,
        LayerKind::Extension,
    ] {
        assert_eq!(
            published::newest_version(kind),
            family_newest(&table, kind),
            "{kind:?}"
        );
    }
}

/// SOURCE.md names the package the table comes from.
#[test]
fn source_names_the_vendored_package() {
    let source = std::fs::read_to_string(root().join("fixtures/datadog-layers/SOURCE.md")).unwrap();
    let line = format!("serverless-plugin-datadog@{}", published::PACKAGE_VERSION);
    assert!(source.contains(&line), "SOURCE.md does not name {line}");
    assert_eq!(published::PACKAGE_VERSION, packages()[0].version);
}

/// The vendored key of the library layer for a runtime's key part and
/// architecture: its `-arm` key on arm64 when the family has them, the
/// shared key otherwise; `None` when it was never built for arm64.
fn library_key<'t>(table: &'t [Vendored], key: &str, arm: bool) -> Option<&'t Vendored> {
    let kind = table.iter().find(|v| v.key == key)?.kind;
    let wanted = if arm && family_has_arm(table, kind) {
        format!("{key}-arm")
    } else {
        key.to_string()
    };
    table.iter().find(|v| v.key == wanted)
}

/// The ARN a vendored file lists for a key in a region.
fn listed_arn(packages: &[Package], v: &Vendored, region: &str) -> Option<String> {
    let package = packages.iter().find(|p| p.version == v.package).unwrap();
    package.keys[&v.key].get(region).cloned()
}

/// Through the transform, for every runtime with a library layer (and a
/// custom runtime for the Extension alone), both architectures, every
/// region of the vendored files in both partitions, China and a region
/// Datadog does not know, with the library layer alone, with the
/// Extension and with its FIPS build: the transform writes exactly the
/// ARNs the vendored files list for that key and region (the bundled
/// default is the newest there, a retired runtime's its last), and fails
/// where they list none or the runtime cannot run the Extension.
#[test]
fn every_arn_the_transform_writes_is_vendored() {
    use dd_serverless_macro::{MacroEnvironment, MacroRequest, handle_with_report};
    use serde_json::json;

    let table = vendored();
    let packages = packages();
    let mut regions = every_region(&table);
    for other in ["cn-north-1", "cn-northwest-1", "xx-future-1"] {
        regions.insert(other.to_string());
    }
    let partitions: BTreeSet<&str> = regions.iter().map(|r| partition_of(r)).collect();
    assert_eq!(partitions, BTreeSet::from(["aws", "aws-cn", "aws-us-gov"]));
    let mut runtimes: Vec<(String, Option<String>)> = library_runtimes(&table)
        .into_iter()
        .map(|(runtime, key)| (runtime, Some(key)))
        .collect();
    runtimes.push(("provided.al2023".to_string(), None));
    let extension = |arm: bool, fips: bool| {
        let key = match (arm, fips) {
            (false, false) => "extension",
            (true, false) => "extension-arm",
            (false, true) => "extension-fips",
            (true, true) => "extension-arm-fips",
        };
        table.iter().find(|v| v.key == key).unwrap()
    };
    let environment = MacroEnvironment::default();
    let (mut written, mut refused) = (0, 0);
    for region in &regions {
        for (runtime, key) in &runtimes {
            for arm in [false, true] {
                // None: no Extension; Some(fips).
                for extension_mode in [None, Some(false), Some(true)] {
                    let mut expected = Vec::new();
                    let mut possible = true;
                    if let Some(key) = key {
                        match library_key(&table, key, arm)
                            .and_then(|v| listed_arn(&packages, v, region))
                        {
                            Some(arn) => expected.push(arn),
                            None => possible = false,
                        }
                    }
                    let mut params = json!({});
                    if let Some(fips) = extension_mode {
                        params = json!({
                            "addExtension": true,
                            "lambdaFips": fips,
                            "site": "ddog-gov.com",
                            "apiKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:k",
                        });
                        let lacks_api = published::lacks_extensions_api(runtime);
                        match listed_arn(&packages, extension(arm, fips), region) {
                            Some(arn) if !lacks_api => expected.push(arn),
                            _ => possible = false,
                        }
                    }
                    if expected.is_empty() && possible {
                        continue; // nothing to add: a custom runtime without the Extension
                    }
                    let arch = if arm { "arm64" } else { "x86_64" };
                    let request = MacroRequest {
                        region: region.clone(),
                        account_id: "123456789012".into(),
                        fragment: json!({"Resources": {"F": {
                            "Type": "AWS::Lambda::Function",
                            "Properties": {
                                "Runtime": runtime, "Architectures": [arch], "Handler": "app.handler",
                                "Role": "arn:aws:iam::123456789012:role/r",
                                "Code": {"S3Bucket": "b", "S3Key": "k"}
                            }
                        }}}),
                        transform_id: "123456789012::DatadogServerless".into(),
                        params: params.as_object().unwrap().clone(),
                        request_id: "table".into(),
                        template_parameter_values: Default::default(),
                    };
                    let (response, _) = handle_with_report(request, &environment);
                    let case =
                        format!("{runtime} {arch} in {region}, Extension {extension_mode:?}");
                    if possible {
                        assert!(
                            response.is_success(),
                            "{case}: {:?}",
                            response.error_message
                        );
                        let layers = &response.fragment["Resources"]["F"]["Properties"]["Layers"];
                        assert_eq!(layers, &json!(expected), "{case}");
                        written += 1;
                    } else {
                        assert!(
                            !response.is_success(),
                            "{case}: wrote {}",
                            response.fragment
                        );
                        refused += 1;
                    }
                }
            }
        }
    }
    // 5,854 and 2,024 with serverless-plugin-datadog 5.134.1.
    assert!(
        written > 5000 && refused > 1000,
        "{written} written, {refused} refused"
    );
}
