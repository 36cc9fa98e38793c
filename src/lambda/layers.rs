//! Datadog layer ARNs (partition, region, runtime, architecture, FIPS) and
//! their insertion into `Layers`, `Fn::If` aware (SPEC §4, §11).

use std::rc::Rc;

use serde_json::Value;

use super::function::{Architecture, FunctionEdit, RuntimeFamily};
use crate::config::{Config, Param};
use crate::report::{Change, Origin};
use crate::template::intrinsics::{fn_if_branches, fn_if_branches_mut, is_no_value};
use crate::template::lookup;

/// Lambda's limit of layers per function.
pub const MAX_LAYERS: usize = 5;

/// A Datadog layer: one library layer per runtime family, and the Extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    /// `Datadog-Python3X`.
    Python,
    /// `Datadog-NodeN-x`.
    Node,
    /// `dd-trace-java`.
    Java,
    /// `dd-trace-dotnet`.
    Dotnet,
    /// `Datadog-RubyX-Y`.
    Ruby,
    /// `Datadog-Extension`.
    Extension,
}

/// Per layer: the version parameter, the ARN parameter, the bundled default
/// version (SPEC §11: "defaults at the time of writing"), and its name in messages.
const LAYER_TABLE: &[(LayerKind, Param, Param, u64, &str)] = &[
    (
        LayerKind::Python,
        Param::python_layer_version,
        Param::python_layer_arn,
        127,
        "Python Lambda Library",
    ),
    (
        LayerKind::Node,
        Param::node_layer_version,
        Param::node_layer_arn,
        142,
        "Node.js Lambda Library",
    ),
    (
        LayerKind::Java,
        Param::java_layer_version,
        Param::java_layer_arn,
        27,
        "Java Lambda Library",
    ),
    (
        LayerKind::Dotnet,
        Param::dotnet_layer_version,
        Param::dotnet_layer_arn,
        25,
        ".NET Lambda Library",
    ),
    (
        LayerKind::Ruby,
        Param::ruby_layer_version,
        Param::ruby_layer_arn,
        30,
        "Ruby Lambda Library",
    ),
    (
        LayerKind::Extension,
        Param::extension_layer_version,
        Param::extension_layer_arn,
        99,
        "Datadog Extension",
    ),
];

fn table_row(kind: LayerKind) -> (Param, Param, u64, &'static str) {
    let row = LAYER_TABLE
        .iter()
        .find(|r| r.0 == kind)
        .expect("every layer kind is in the table");
    (row.1, row.2, row.3, row.4)
}

/// The bundled default version of a layer.
pub fn default_version(kind: LayerKind) -> u64 {
    table_row(kind).2
}

impl LayerKind {
    /// The library layer of a runtime family, if it has one.
    pub fn library_for(family: RuntimeFamily) -> Option<LayerKind> {
        match family {
            RuntimeFamily::Python => Some(LayerKind::Python),
            RuntimeFamily::Node => Some(LayerKind::Node),
            RuntimeFamily::Java => Some(LayerKind::Java),
            RuntimeFamily::Dotnet => Some(LayerKind::Dotnet),
            RuntimeFamily::Ruby => Some(LayerKind::Ruby),
            RuntimeFamily::Custom | RuntimeFamily::Unsupported => None,
        }
    }

    fn version(self, config: &Config) -> Option<u64> {
        match self {
            LayerKind::Python => config.python_layer_version,
            LayerKind::Node => config.node_layer_version,
            LayerKind::Java => config.java_layer_version,
            LayerKind::Dotnet => config.dotnet_layer_version,
            LayerKind::Ruby => config.ruby_layer_version,
            LayerKind::Extension => config.extension_layer_version,
        }
    }

    fn arn(self, config: &Config) -> Option<&Value> {
        match self {
            LayerKind::Python => config.python_layer_arn.as_ref(),
            LayerKind::Node => config.node_layer_arn.as_ref(),
            LayerKind::Java => config.java_layer_arn.as_ref(),
            LayerKind::Dotnet => config.dotnet_layer_arn.as_ref(),
            LayerKind::Ruby => config.ruby_layer_arn.as_ref(),
            LayerKind::Extension => config.extension_layer_arn.as_ref(),
        }
    }
}

/// Datadog's layer account in a partition.
pub fn datadog_account(partition: &str) -> Option<&'static str> {
    match partition {
        "aws" => Some("464622532012"),
        "aws-us-gov" => Some("002406178527"),
        _ => None,
    }
}

/// The layer name for a runtime and architecture (SPEC §4 table), or why
/// there is none.
pub fn layer_name(
    kind: LayerKind,
    runtime: &str,
    arch: Architecture,
    fips: bool,
) -> Result<String, String> {
    let arm = arch == Architecture::Arm64;
    let suffix = if arm { "-ARM" } else { "" };
    Ok(match kind {
        LayerKind::Python => {
            let minor = runtime
                .strip_prefix("python3.")
                .and_then(|m| m.parse::<u32>().ok());
            if arm && minor.is_none_or(|m| m < 8) {
                return Err(format!(
                    "Datadog publishes no arm64 Python layer for {runtime} (python3.8 and later only)"
                ));
            }
            let digits = runtime.trim_start_matches("python");
            let mut name = String::with_capacity(14 + digits.len() + suffix.len());
            name.push_str("Datadog-Python");
            name.extend(digits.chars().filter(|c| *c != '.'));
            name.push_str(suffix);
            name
        }
        LayerKind::Node => {
            let major = runtime.trim_start_matches("nodejs").trim_end_matches(".x");
            joined(&["Datadog-Node", major, "-x"])
        }
        LayerKind::Java => "dd-trace-java".to_string(),
        LayerKind::Dotnet => joined(&["dd-trace-dotnet", suffix]),
        LayerKind::Ruby => {
            let version = runtime.trim_start_matches("ruby");
            let mut name = String::with_capacity(12 + version.len() + suffix.len());
            name.push_str("Datadog-Ruby");
            name.extend(version.chars().map(|c| if c == '.' { '-' } else { c }));
            name.push_str(suffix);
            name
        }
        LayerKind::Extension => {
            let fips = if fips { "-FIPS" } else { "" };
            joined(&["Datadog-Extension", suffix, fips])
        }
    })
}

/// The parts one after the other, in one allocation (no formatting
/// machinery: this runs a few times per function).
fn joined(parts: &[&str]) -> String {
    let mut text = String::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 20);
    for part in parts {
        text.push_str(part);
    }
    text
}

/// Appends a number in decimal.
fn push_number(text: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for d in &digits[start..] {
        text.push(char::from(*d));
    }
}

/// `arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION`.
pub fn layer_arn(partition: &str, region: &str, account: &str, name: &str, version: u64) -> String {
    let mut arn = joined(&[
        "arn:", partition, ":lambda:", region, ":", account, ":layer:", name, ":",
    ]);
    push_number(&mut arn, version);
    arn
}

/// A layer chosen for a function: its ARN and where it came from.
#[derive(Debug, Clone, PartialEq)]
struct Chosen {
    arn: Value,
    /// The layer name, to recognise older versions of the same layer.
    name: Option<String>,
    source: Origin,
    bundled_default: bool,
    /// The bundled default used (`pythonLayerVersion=127`), for the report.
    default_used: Option<String>,
}

/// The layers already chosen with one configuration during one transform,
/// per layer, runtime and architecture: functions alike get the same ARN
/// without building it again (kept in [`super::memo::Memo`]; the region is
/// the transform's).
#[derive(Debug, Default)]
pub struct LayerMemo {
    entries: Vec<(LayerKind, String, Architecture, Rc<Chosen>)>,
}

/// Picks the ARN of one layer for a function, or records why it cannot;
/// a layer built from versions is built once per configuration, runtime
/// and architecture.
fn choose(
    kind: LayerKind,
    edit: &mut FunctionEdit,
    region: &str,
    memo: &mut LayerMemo,
) -> Option<Rc<Chosen>> {
    let built = kind.arn(&edit.config).is_none();
    let runtime = memo_runtime(kind, edit);
    let remembered = memo
        .entries
        .iter()
        .filter(|_| built)
        .find(|(k, r, a, _)| *k == kind && *a == edit.arch && r == runtime)
        .map(|(.., chosen)| Rc::clone(chosen));
    let chosen = match remembered {
        Some(chosen) => chosen,
        None => {
            let chosen = Rc::new(choose_anew(kind, edit, region)?);
            if built {
                let runtime = memo_runtime(kind, edit).to_string();
                memo.entries
                    .push((kind, runtime, edit.arch, Rc::clone(&chosen)));
            }
            chosen
        }
    };
    if let Some(used) = &chosen.default_used {
        edit.report.default_used(used.clone());
    }
    Some(chosen)
}

/// The runtime a remembered layer is chosen for: none for the Extension,
/// whose name does not depend on it.
fn memo_runtime(kind: LayerKind, edit: &FunctionEdit) -> &str {
    match kind {
        LayerKind::Extension => "",
        _ => edit.runtime.as_deref().unwrap_or_default(),
    }
}

/// [`choose`], building the ARN.
fn choose_anew(kind: LayerKind, edit: &mut FunctionEdit, region: &str) -> Option<Chosen> {
    let (version_param, arn_param, default, label) = table_row(kind);
    let config = Rc::clone(&edit.config);
    if let Some(arn) = kind.arn(&config) {
        return Some(Chosen {
            arn: arn.clone(),
            name: None,
            source: Origin::LayerParameter(arn_param, config.source(arn_param).cloned()),
            bundled_default: false,
            default_used: None,
        });
    }
    let partition = crate::partition_of(region);
    let account = match (&config.use_layers_from_account, datadog_account(partition)) {
        (Some(own), _) => own.as_str(),
        (None, Some(dd)) => dd,
        (None, None) => {
            edit.error(format!(
                "Resource {} cannot get Datadog layers in region {region}: Datadog publishes no layers in the {partition} partition. \
                 Copy the layers to an account of yours and set `useLayersFromAccount`, give full ARNs with `{arn_param}`, or set `addLayers: false`.",
                edit.id
            ));
            return None;
        }
    };
    let (version, source) = match kind.version(&config) {
        Some(v) => (
            v,
            Origin::LayerParameter(version_param, config.source(version_param).cloned()),
        ),
        None if config.use_layers_from_account.is_some() => {
            let family = edit.family.display_name();
            let message = if kind == LayerKind::Extension {
                format!(
                    "Resource {} needs the Datadog Extension, but no `extensionLayerVersion` was provided; with `useLayersFromAccount` there is no bundled default. Please add the 'extensionLayerVersion' parameter for the Datadog serverless macro.",
                    edit.id
                )
            } else {
                format!(
                    "Resource {} has a {family} runtime, but no {label} version was provided. Please add the '{version_param}' parameter for the Datadog serverless macro.",
                    edit.id
                )
            };
            edit.error(message);
            return None;
        }
        None => (default, Origin::BundledDefault(version_param, default)),
    };
    let fips = config.lambda_fips == Some(true);
    let bundled_default = kind.version(&config).is_none();
    let runtime = edit.runtime.as_deref().unwrap_or_default();
    match layer_name(kind, runtime, edit.arch, fips) {
        Ok(name) => {
            let default_used = bundled_default.then(|| {
                let mut used = joined(&[version_param.name(), "="]);
                push_number(&mut used, default);
                used
            });
            Some(Chosen {
                arn: Value::String(layer_arn(partition, region, account, &name, version)),
                name: Some(name),
                source,
                bundled_default,
                default_used,
            })
        }
        Err(why) => {
            edit.error(format!(
                "Resource {}: {why}. Use an x86_64 architecture or a newer runtime, or add {} to the `exclude` parameter.",
                edit.id, edit.id
            ));
            None
        }
    }
}

/// Adds the library layer (with `addLayers`) and the Extension layer (when
/// enabled) to the function, library first. Errors leave the function to be
/// discarded by the caller. `memo` holds the layers chosen so far with
/// the function's configuration.
pub fn add_layers(edit: &mut FunctionEdit, region: &str, memo: &mut LayerMemo) {
    if edit.is_image {
        return;
    }
    let mut wanted = Vec::new();
    if edit.config.add_layers
        && let Some(kind) = LayerKind::library_for(edit.family)
        && let Some(chosen) = choose(kind, edit, region, memo)
    {
        wanted.push(chosen);
    }
    if edit.config.extension_enabled()
        && let Some(chosen) = choose(LayerKind::Extension, edit, region, memo)
    {
        wanted.push(chosen);
    }
    if wanted.is_empty() || edit.report.has_errors() {
        return;
    }
    let inherited: &[Value] = match lookup::get(&edit.globals, "Layers") {
        Some(Value::Array(items)) => items,
        _ => &[],
    };
    let mut changes = Vec::new();
    // Edited in place: on an error the function's copy is discarded anyway.
    let result = match lookup::get_mut(&mut edit.props, "Layers") {
        Some(layers) => insert_all(layers, &wanted, &edit.config, inherited, &mut changes),
        None => {
            let mut layers = Value::Array(Vec::new());
            let result = insert_all(&mut layers, &wanted, &edit.config, inherited, &mut changes);
            edit.props.insert("Layers".to_string(), layers);
            result
        }
    };
    if let Err(message) = result {
        let id = edit.id.clone();
        edit.error(format!("Resource {id} {message}"));
        return;
    }
    for c in changes {
        edit.change(c);
    }
}

/// Inserts the wanted layers into a `Layers` value: a list, or `Fn::If` of
/// lists (recursively), where `{"Ref": "AWS::NoValue"}` counts as no layers.
fn insert_all(
    layers: &mut Value,
    wanted: &[Rc<Chosen>],
    config: &Config,
    inherited: &[Value],
    changes: &mut Vec<Change>,
) -> Result<(), String> {
    if is_no_value(layers) {
        *layers = Value::Array(Vec::new());
    }
    if let Some((a, b)) = fn_if_branches_mut(layers) {
        insert_all(a, wanted, config, inherited, changes)?;
        let mut other = Vec::new();
        insert_all(b, wanted, config, inherited, &mut other)?;
        for c in other {
            if !changes.contains(&c) {
                changes.push(c);
            }
        }
        return Ok(());
    }
    let Value::Array(items) = layers else {
        return Err(
            "has Layers written as an intrinsic function other than a list or Fn::If, so layers cannot be added; it was left unchanged. \
             Write its Layers as a list (or an Fn::If of lists), or add it to the `exclude` parameter."
                .to_string(),
        );
    };
    for chosen in wanted {
        if items.contains(&chosen.arn) || inherited.contains(&chosen.arn) {
            continue;
        }
        let older = chosen.name.as_deref().and_then(|name| {
            items.iter().position(|item| {
                item.as_str()
                    .is_some_and(|s| is_older_version(s, name, config))
            })
        });
        match older {
            Some(i) => {
                let old = std::mem::replace(&mut items[i], chosen.arn.clone());
                changes.push(Change::LayerReplaced {
                    old: old.as_str().unwrap_or_default().to_string(),
                    new: arn_text(&chosen.arn),
                });
            }
            None => {
                items.push(chosen.arn.clone());
                changes.push(Change::LayerAdded {
                    arn: arn_text(&chosen.arn),
                    source: chosen.source.clone(),
                    bundled_default: chosen.bundled_default,
                });
            }
        }
    }
    if items.len() + inherited.len() > MAX_LAYERS {
        return Err(format!(
            "would have {} layers with Datadog's, but Lambda allows {MAX_LAYERS} per function. Remove a layer, or add it to the `exclude` parameter.",
            items.len() + inherited.len()
        ));
    }
    Ok(())
}

fn arn_text(arn: &Value) -> String {
    arn.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| arn.to_string())
}

/// Whether `existing` is another version of the Datadog layer `name`, from
/// Datadog's account or the `useLayersFromAccount` one.
fn is_older_version(existing: &str, name: &str, config: &Config) -> bool {
    // arn:partition:lambda:region:account:layer:name:version. The name is
    // checked first: most layers are not Datadog's, and that needs no split.
    let name_matches = existing
        .rsplit_once(':')
        .and_then(|(rest, _version)| rest.rsplit_once(':'))
        .is_some_and(|(_, n)| n == name);
    if !name_matches {
        return false;
    }
    let mut split = existing.split(':');
    let mut parts = [""; 8];
    for part in &mut parts {
        match split.next() {
            Some(p) => *part = p,
            None => return false,
        }
    }
    if split.next().is_some()
        || parts[0] != "arn"
        || parts[2] != "lambda"
        || parts[5] != "layer"
        || parts[6] != name
    {
        return false;
    }
    let account = parts[4];
    let ours = config.use_layers_from_account.as_deref() == Some(account);
    ours || ["464622532012", "002406178527"].contains(&account)
}

/// The number of layers in the longest branch of a `Layers` value (for tests).
pub fn max_layer_count(layers: &Value) -> usize {
    match fn_if_branches(layers) {
        Some((a, b)) => max_layer_count(a).max(max_layer_count(b)),
        None => layers.as_array().map_or(0, Vec::len),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Architecture::*;
    use LayerKind::*;

    #[test]
    fn layer_names_for_every_runtime_and_architecture() {
        let table: &[(LayerKind, &str, Architecture, bool, &str)] = &[
            (Python, "python2.7", X86_64, false, "Datadog-Python27"),
            (Python, "python3.6", X86_64, false, "Datadog-Python36"),
            (Python, "python3.12", X86_64, false, "Datadog-Python312"),
            (Python, "python3.8", Arm64, false, "Datadog-Python38-ARM"),
            (Python, "python3.14", Arm64, false, "Datadog-Python314-ARM"),
            (Node, "nodejs12.x", X86_64, false, "Datadog-Node12-x"),
            (Node, "nodejs20.x", Arm64, false, "Datadog-Node20-x"),
            (Node, "nodejs24.x", X86_64, false, "Datadog-Node24-x"),
            (Java, "java21", X86_64, false, "dd-trace-java"),
            (Java, "java8.al2", Arm64, false, "dd-trace-java"),
            (Dotnet, "dotnet8", X86_64, false, "dd-trace-dotnet"),
            (Dotnet, "dotnet8", Arm64, false, "dd-trace-dotnet-ARM"),
            (Ruby, "ruby3.3", X86_64, false, "Datadog-Ruby3-3"),
            (Ruby, "ruby3.2", Arm64, false, "Datadog-Ruby3-2-ARM"),
            (Ruby, "ruby4.0", X86_64, false, "Datadog-Ruby4-0"),
            (Extension, "", X86_64, false, "Datadog-Extension"),
            (Extension, "", Arm64, false, "Datadog-Extension-ARM"),
            (Extension, "", X86_64, true, "Datadog-Extension-FIPS"),
            (Extension, "", Arm64, true, "Datadog-Extension-ARM-FIPS"),
        ];
        for (kind, runtime, arch, fips, expected) in table {
            assert_eq!(
                layer_name(*kind, runtime, *arch, *fips).unwrap(),
                *expected,
                "{runtime} {arch:?}"
            );
        }
    }

    #[test]
    fn old_python_on_arm_is_an_error() {
        for runtime in ["python3.7", "python3.6", "python2.7"] {
            let e = layer_name(Python, runtime, Arm64, false).unwrap_err();
            assert!(e.contains(runtime) && e.contains("python3.8"), "{e}");
        }
    }

    #[test]
    fn arns_per_partition() {
        assert_eq!(
            layer_arn(
                "aws",
                "eu-west-1",
                datadog_account("aws").unwrap(),
                "Datadog-Python312",
                127
            ),
            "arn:aws:lambda:eu-west-1:464622532012:layer:Datadog-Python312:127"
        );
        assert_eq!(
            layer_arn(
                "aws-us-gov",
                "us-gov-west-1",
                datadog_account("aws-us-gov").unwrap(),
                "Datadog-Extension-ARM-FIPS",
                99
            ),
            "arn:aws-us-gov:lambda:us-gov-west-1:002406178527:layer:Datadog-Extension-ARM-FIPS:99"
        );
        assert_eq!(datadog_account("aws-cn"), None);
    }

    #[test]
    fn defaults_table_matches_spec() {
        assert_eq!(
            [Python, Node, Java, Dotnet, Ruby, Extension].map(default_version),
            [127, 142, 27, 25, 30, 99]
        );
    }
}
