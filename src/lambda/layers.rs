//! Datadog layer ARNs (partition, region, runtime, architecture, FIPS) and
//! their insertion into `Layers`, `Fn::If` aware (SPEC §4, §11).
//!
//! Which layers exist is Datadog's published table ([`published`], issue
//! 19): a layer must be published in the stack's region, a retired
//! runtime's layer stops at its last version, and the bundled default is the
//! newest version there. A parameter's ARN or `useLayersFromAccount` (the
//! user's copies) bypasses it. A Datadog layer already on the function is
//! replaced only by a version or ARN a parameter gives, never by a bundled
//! default (so baking twice changes nothing).

mod messages;

use std::rc::Rc;

use serde_json::Value;

use super::function::{Architecture, FunctionEdit, RuntimeFamily};
use super::published::{self, PublishedLayer};
use crate::config::{Config, Param};
use crate::report::{Change, Origin, VersionFrom};
use crate::template::intrinsics::{fn_if_branches, fn_if_branches_mut, is_no_value};

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

/// Per layer: the version parameter, the ARN parameter, and its name in
/// messages. Its bundled default is not here: it is the newest version
/// Datadog publishes, from the published table ([`default_version`]).
const LAYER_PARAMS: &[(LayerKind, Param, Param, &str)] = &[
    (
        LayerKind::Python,
        Param::python_layer_version,
        Param::python_layer_arn,
        "Python Lambda Library",
    ),
    (
        LayerKind::Node,
        Param::node_layer_version,
        Param::node_layer_arn,
        "Node.js Lambda Library",
    ),
    (
        LayerKind::Java,
        Param::java_layer_version,
        Param::java_layer_arn,
        "Java Lambda Library",
    ),
    (
        LayerKind::Dotnet,
        Param::dotnet_layer_version,
        Param::dotnet_layer_arn,
        ".NET Lambda Library",
    ),
    (
        LayerKind::Ruby,
        Param::ruby_layer_version,
        Param::ruby_layer_arn,
        "Ruby Lambda Library",
    ),
    (
        LayerKind::Extension,
        Param::extension_layer_version,
        Param::extension_layer_arn,
        "Datadog Extension",
    ),
];

fn params_row(kind: LayerKind) -> (Param, Param, &'static str) {
    let row = LAYER_PARAMS
        .iter()
        .find(|r| r.0 == kind)
        .expect("every layer kind is in the table");
    (row.1, row.2, row.3)
}

/// The bundled default version of a layer: the newest version Datadog
/// publishes of it ([`published::newest_version`]). A function whose
/// runtime's layer stopped earlier, or in a region where the layer is
/// older, gets the newest version there instead (see [`add_layers`]).
pub fn default_version(kind: LayerKind) -> u64 {
    published::newest_version(kind)
}

/// The bundled default of a `*LayerVersion` parameter (the parameter table
/// shows it); `None` for any other parameter.
pub fn bundled_default(param: Param) -> Option<u64> {
    LAYER_PARAMS
        .iter()
        .find(|row| row.1 == param)
        .map(|row| default_version(row.0))
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

/// Datadog's layer account in each partition it publishes in.
const DATADOG_ACCOUNTS: [(&str, &str); 2] =
    [("aws", "464622532012"), ("aws-us-gov", "002406178527")];

/// Datadog's layer account in a partition.
pub fn datadog_account(partition: &str) -> Option<&'static str> {
    DATADOG_ACCOUNTS
        .iter()
        .find(|(p, _)| *p == partition)
        .map(|(_, account)| *account)
}

/// The published layer of `kind` for a function: the runtime's library
/// layer for its architecture, or the Extension for its architecture and
/// FIPS. Names come from Datadog's table only (no naming rule beside it):
/// every runtime [`RuntimeFamily::of`] gives a library family has a layer
/// there (tested), so a rule could only answer for runtimes the transform
/// does not instrument.
fn published_layer(
    kind: LayerKind,
    runtime: &str,
    arch: Architecture,
    fips: bool,
) -> Option<&'static PublishedLayer> {
    match kind {
        LayerKind::Extension => Some(published::extension(arch, fips)),
        _ => published::library(runtime, arch),
    }
}

/// `arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION`.
pub fn layer_arn(partition: &str, region: &str, account: &str, name: &str, version: u64) -> String {
    format!("arn:{partition}:lambda:{region}:{account}:layer:{name}:{version}")
}

/// The account and name of a layer version ARN
/// (`arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION`).
fn account_and_name(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.split(':');
    let mut part = [""; 8];
    for slot in &mut part {
        *slot = parts.next()?;
    }
    let well_formed = parts.next().is_none()
        && part[0] == "arn"
        && part[2] == "lambda"
        && part[5] == "layer"
        && part[7].parse::<u64>().is_ok();
    well_formed.then_some((part[4], part[6]))
}

/// A layer chosen for a function: its ARN and where it came from.
#[derive(Debug, Clone, PartialEq)]
struct Chosen {
    arn: Value,
    /// Its name in Datadog's table, to recognise another version of the
    /// same layer already on the function (`None`: an ARN given for a layer
    /// the table does not have).
    name: Option<&'static str>,
    /// Where its version or ARN came from, for the report.
    source: Origin,
    /// The same, in one word.
    version_from: VersionFrom,
    /// The parameter that pins another version (named when a pinned layer is kept).
    version_param: Param,
    /// The bundled default used (`pythonLayerVersion=127`), for the report.
    default_used: Option<String>,
    /// A remark for the report (`python3.7: Datadog's last Python 3.7 layer is 85`).
    note: Option<String>,
}

impl Chosen {
    /// Whether a parameter gave its version or ARN: only then does it
    /// replace another version of the same layer already on the function.
    fn explicit(&self) -> bool {
        self.version_from == VersionFrom::Parameter
    }
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
    if kind == LayerKind::Extension
        && let Some(runtime) = edit.runtime.as_deref()
        && published::lacks_extensions_api(runtime)
    {
        let message = messages::no_extensions_api(&edit.id, runtime);
        edit.error(message);
        return None;
    }
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
    Some(chosen)
}

/// The runtime a remembered layer is chosen for: none for the Extension,
/// whose layer does not depend on it (whether the runtime can run it is
/// checked before, in [`choose`]).
fn memo_runtime<'e>(kind: LayerKind, edit: &'e FunctionEdit) -> &'e str {
    match kind {
        LayerKind::Extension => "",
        _ => edit.runtime.as_deref().unwrap_or_default(),
    }
}

/// [`choose`], building the ARN. Datadog's table decides, unless a
/// parameter gave the ARN or `useLayersFromAccount` names the user's own
/// copies: a layer must exist in the stack's region, a retired runtime's
/// layer stops at its last version, and the bundled default is the newest
/// version there.
fn choose_anew(kind: LayerKind, edit: &mut FunctionEdit, region: &str) -> Option<Chosen> {
    let (version_param, arn_param, label) = params_row(kind);
    let config = Rc::clone(&edit.config);
    let runtime = edit.runtime.clone().unwrap_or_default();
    let fips = config.lambda_fips == Some(true);
    let layer = published_layer(kind, &runtime, edit.arch, fips);
    let name = layer.map(PublishedLayer::name);
    let pick = |arn: Value, source: Origin, version_from: VersionFrom| Chosen {
        arn,
        name,
        source,
        version_from,
        version_param,
        default_used: None,
        note: None,
    };
    if let Some(arn) = kind.arn(&config) {
        let source = Origin::LayerParameter(arn_param, config.source(arn_param).cloned());
        return Some(pick(arn.clone(), source, VersionFrom::Parameter));
    }
    let Some(layer) = layer else {
        edit.error(messages::no_layer_for(
            &edit.id,
            edit.family,
            &runtime,
            edit.arch,
            arn_param,
        ));
        return None;
    };
    let partition = crate::partition_of(region);
    let given = kind.version(&config).map(|version| {
        let source = Origin::LayerParameter(version_param, config.source(version_param).cloned());
        (version, source)
    });
    if let Some(own) = &config.use_layers_from_account {
        // The user's copies: the table says nothing of what they hold.
        let Some((version, source)) = given else {
            let message = messages::no_version_for_own_account(
                &edit.id,
                edit.family,
                kind,
                label,
                version_param,
            );
            edit.error(message);
            return None;
        };
        let arn = layer_arn(partition, region, own, layer.name(), version);
        return Some(pick(Value::String(arn), source, VersionFrom::Parameter));
    }
    let (Some(account), Some(newest_here)) = (datadog_account(partition), layer.version_in(region))
    else {
        let remedies = messages::remedies(kind, &edit.id, version_param, arn_param);
        edit.error(messages::not_published(
            &edit.id, label, layer, region, &remedies,
        ));
        return None;
    };
    let retired = layer.last_version().is_some();
    let arn = |version| Value::String(layer_arn(partition, region, account, layer.name(), version));
    Some(match given {
        Some((version, _)) if retired && version > newest_here => {
            edit.error(messages::above_last_version(
                &edit.id,
                &runtime,
                region,
                layer,
                newest_here,
                (version_param, version),
            ));
            return None;
        }
        Some((version, source)) => pick(arn(version), source, VersionFrom::Parameter),
        None if retired => {
            let source = Origin::RuntimeLast(version_param, default_version(kind), layer.runtime());
            Chosen {
                note: Some(messages::last_version_note(
                    edit.family,
                    &runtime,
                    newest_here,
                )),
                ..pick(arn(newest_here), source, VersionFrom::RuntimeLast)
            }
        }
        None => {
            let mut used = format!("{}={newest_here}", version_param.name());
            if newest_here != default_version(kind) {
                // A region behind the others: say which layer, where.
                used.push_str(&format!(" ({} in {region})", layer.name()));
            }
            let source = Origin::BundledDefault(version_param, newest_here);
            Chosen {
                default_used: Some(used),
                ..pick(arn(newest_here), source, VersionFrom::BundledDefault)
            }
        }
    })
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
    let inherited: &[Value] = match edit.globals.get("Layers") {
        Some(Value::Array(items)) => items,
        _ => &[],
    };
    let mut changes = Vec::new();
    // Edited in place: on an error the function's copy is discarded anyway.
    let result = match edit.props.get_mut("Layers") {
        Some(layers) => insert_all(layers, &wanted, &edit.config, inherited, &mut changes),
        None => {
            let mut layers = Value::Array(Vec::new());
            let result = insert_all(&mut layers, &wanted, &edit.config, inherited, &mut changes);
            // None when every layer was kept (pinned in Globals).
            if layers.as_array().is_some_and(|l| !l.is_empty()) {
                edit.props.insert("Layers".to_string(), layers);
            }
            result
        }
    };
    if let Err(message) = result {
        let id = edit.id.clone();
        edit.error(format!("Resource {id} {message}"));
        return;
    }
    // The defaults and notes of the layers written (not of those a pin kept).
    for chosen in &wanted {
        let written = changes.iter().any(
            |c| matches!(c, Change::LayerAdded { arn, .. } if chosen.arn.as_str() == Some(arn)),
        );
        if written {
            if let Some(used) = &chosen.default_used {
                edit.report.default_used(used.clone());
            }
            if let Some(note) = &chosen.note {
                edit.report.note(note.clone());
            }
        }
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
        // Another version of the same layer, on the function or (SAM) in
        // its Globals: a parameter's version replaces the function's own if
        // it is Datadog's or the user's copy; a bundled default keeps it.
        let on_function = chosen.name.and_then(|name| {
            items.iter().enumerate().find_map(|(i, item)| {
                let account = account_if_named(item.as_str()?, name)?;
                Some((i, replaceable(account, config, &chosen.arn)))
            })
        });
        let in_globals = chosen.name.and_then(|name| {
            inherited.iter().find(|item| {
                item.as_str()
                    .and_then(|arn| account_if_named(arn, name))
                    .is_some()
            })
        });
        match (on_function, in_globals) {
            (Some((i, true)), _) if chosen.explicit() => {
                let old = std::mem::replace(&mut items[i], chosen.arn.clone());
                changes.push(Change::LayerReplaced {
                    old: arn_text(&old),
                    new: arn_text(&chosen.arn),
                    source: chosen.source.clone(),
                });
            }
            (Some((i, _)), _) if !chosen.explicit() => changes.push(Change::LayerKept {
                arn: arn_text(&items[i]),
                param: chosen.version_param,
            }),
            (None, Some(pinned)) if !chosen.explicit() => changes.push(Change::LayerKept {
                arn: arn_text(pinned),
                param: chosen.version_param,
            }),
            _ => {
                items.push(chosen.arn.clone());
                changes.push(Change::LayerAdded {
                    arn: arn_text(&chosen.arn),
                    source: chosen.source.clone(),
                    version_from: chosen.version_from,
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

/// The account of `existing` when it is a version of the layer `name`, in
/// any account.
fn account_if_named<'a>(existing: &'a str, name: &str) -> Option<&'a str> {
    // The name is checked first: most layers are not Datadog's, and that
    // needs no split.
    let (rest, _version) = existing.rsplit_once(':')?;
    if !rest.strip_suffix(name)?.ends_with(':') {
        return None;
    }
    let (account, found) = account_and_name(existing)?;
    (found == name).then_some(account)
}

/// Whether a layer of `account` may be replaced by a parameter's version:
/// it is Datadog's, or in the `useLayersFromAccount` account or that of the
/// ARN given (the user's copies).
fn replaceable(account: &str, config: &Config, chosen: &Value) -> bool {
    DATADOG_ACCOUNTS.iter().any(|(_, dd)| *dd == account)
        || config.use_layers_from_account.as_deref() == Some(account)
        || chosen
            .as_str()
            .and_then(account_and_name)
            .is_some_and(|(own, _)| own == account)
}

/// The version of the Datadog library layer of the function's runtime
/// that the function has: in its own `Layers` or, for SAM, those of
/// `Globals.Function`, in every `Fn::If` branch (the lowest), in any account.
pub fn library_version_on(edit: &FunctionEdit) -> Option<u64> {
    let name = published::library(edit.runtime.as_deref()?, edit.arch)?.name();
    lowest_version_on(edit, |found| found == name)
}

/// Whether the function has a Datadog Extension layer (any architecture,
/// FIPS or not; wherever [`library_version_on`] looks), whether this run
/// adds it or an earlier one did.
pub fn has_extension_layer(edit: &FunctionEdit) -> bool {
    let extension = |name: &str| {
        published::layers()
            .iter()
            .any(|layer| layer.kind() == LayerKind::Extension && layer.name() == name)
    };
    lowest_version_on(edit, extension).is_some()
}

/// The lowest version of the layers named as `wanted` says that the
/// function has: in its own `Layers` or, for SAM, those of
/// `Globals.Function`, in every `Fn::If` branch, in any account; `None`
/// when no literal ARN is one.
fn lowest_version_on(edit: &FunctionEdit, wanted: impl Fn(&str) -> bool) -> Option<u64> {
    fn lowest(layers: &Value, wanted: &dyn Fn(&str) -> bool, found: &mut Option<u64>) {
        if let Some((a, b)) = fn_if_branches(layers) {
            lowest(a, wanted, found);
            lowest(b, wanted, found);
            return;
        }
        let versions = layers.as_array().into_iter().flatten().filter_map(|layer| {
            let arn = layer.as_str()?;
            let (_, name) = account_and_name(arn)?;
            if !wanted(name) {
                return None;
            }
            arn.rsplit_once(':')?.1.parse::<u64>().ok()
        });
        for version in versions {
            *found = Some(found.map_or(version, |v| v.min(version)));
        }
    }
    let mut found = None;
    for layers in [edit.props.get("Layers"), edit.globals.get("Layers")]
        .into_iter()
        .flatten()
    {
        lowest(layers, &wanted, &mut found);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use Architecture::*;

    /// Every runtime the transform gives a library layer has one in
    /// Datadog's table, and every runtime of the table is one the transform
    /// gives that layer: the table is the only source of layer names.
    #[test]
    fn runtime_families_and_the_published_table_agree() {
        let versions = |prefix: &str, majors: std::ops::RangeInclusive<u32>, suffix: &str| {
            let prefix = prefix.to_string();
            let suffix = suffix.to_string();
            majors.map(move |m| format!("{prefix}{m}{suffix}"))
        };
        let candidates = versions("python2.", 0..=9, "")
            .chain(versions("python3.", 0..=30, ""))
            .chain(versions("nodejs", 0..=40, ".x"))
            .chain(versions("ruby2.", 0..=9, ""))
            .chain(versions("ruby3.", 0..=9, ""))
            .chain(versions("ruby4.", 0..=9, ""))
            .chain(versions("java", 0..=40, ""))
            .chain(versions("dotnet", 0..=20, ""))
            .chain(
                [
                    "nodejs8.10",
                    "nodejs6.10",
                    "nodejs4.3",
                    "java8.al2",
                    "dotnetcore3.1",
                    "go1.x",
                ]
                .map(String::from),
            );
        for runtime in candidates {
            if let Some(kind) = LayerKind::library_for(RuntimeFamily::of(&runtime)) {
                let layer = published::library(&runtime, X86_64)
                    .unwrap_or_else(|| panic!("{runtime}: no published layer"));
                assert_eq!(layer.kind(), kind, "{runtime}");
            }
        }
        // The other way: each runtime the table names (Java's and .NET's
        // layers serve every version) is one the transform instruments.
        for layer in published::layers() {
            if ![LayerKind::Java, LayerKind::Dotnet, LayerKind::Extension].contains(&layer.kind()) {
                let family = RuntimeFamily::of(layer.runtime());
                assert_eq!(
                    LayerKind::library_for(family),
                    Some(layer.kind()),
                    "Datadog publishes {} for {}: add the runtime to RuntimeFamily::of (src/lambda/function.rs)",
                    layer.name(),
                    layer.runtime()
                );
            }
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

    /// The bundled defaults are the newest versions Datadog publishes (issue
    /// 19's figures; SPEC §11's Ruby 30 does not exist).
    #[test]
    fn bundled_defaults_are_the_newest_published() {
        use LayerKind::*;
        assert_eq!(
            [Python, Node, Java, Dotnet, Ruby, Extension].map(default_version),
            [127, 142, 27, 25, 29, 99]
        );
        assert_eq!(bundled_default(Param::ruby_layer_version), Some(29));
        for &param in Param::ALL {
            assert_eq!(
                bundled_default(param).is_some(),
                param.spec().bundled_default,
                "{param}: declared `.bundled()` exactly when it is a layer version"
            );
        }
    }

    #[test]
    fn another_version_of_a_layer_is_recognised_in_any_account() {
        let arn = |account: &str, name: &str| {
            format!("arn:aws:lambda:us-east-1:{account}:layer:{name}:106")
        };
        let dd = arn("464622532012", "Datadog-Python312");
        assert_eq!(
            account_if_named(&dd, "Datadog-Python312"),
            Some("464622532012")
        );
        let own = arn("123456789012", "Datadog-Python312");
        assert_eq!(
            account_if_named(&own, "Datadog-Python312"),
            Some("123456789012")
        );
        assert_eq!(
            account_if_named(&dd, "Python312"),
            None,
            "a suffix of the name"
        );
        assert_eq!(account_if_named(&dd, "Datadog-Python31"), None);
        assert_eq!(
            account_if_named("Datadog-Python312:106", "Datadog-Python312"),
            None
        );
        assert_eq!(
            account_if_named(&format!("{dd}:1"), "Datadog-Python312"),
            None
        );
    }
}
