//! The parameter table as Markdown: the README's "Parameters" section and
//! the `parameters` command print it, generated from the declarations
//! (tests/readme.rs keeps the README in step).

use super::params::{PARAMS, Param};
use crate::lambda::layers::bundled_default;

/// The parameter table as Markdown, one row per parameter in table order,
/// then one per alias.
pub fn parameters_markdown() -> String {
    let mut out = String::from(
        "| parameter | type | default | macro environment | what it does |\n| --- | --- | --- | --- | --- |\n",
    );
    for &param in Param::ALL {
        let spec = param.spec();
        let default = match spec.default {
            Some(d) => format!("`{d}`"),
            None if spec.bundled_default => {
                let version = bundled_default(param).expect(
                    "a `.bundled()` parameter is a layer version (tested in lambda::layers)",
                );
                format!("`{version}`")
            }
            None => "—".to_string(),
        };
        let env = spec
            .macro_env
            .map(|e| format!("`{e}`"))
            .unwrap_or_else(|| "—".to_string());
        let kind = spec.kind.table_name();
        let kind = match spec.literal {
            true => format!("{kind} (literal)"),
            false => kind.into_owned(),
        };
        out.push_str(&format!(
            "| `{}` | {kind} | {default} | {env} | {} |\n",
            spec.name, spec.doc
        ));
    }
    for spec in PARAMS {
        for alias in spec.aliases {
            out.push_str(&format!("| `{alias}` | | | | alias of `{}` |\n", spec.name));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_parameter_and_alias() {
        let table = parameters_markdown();
        let aliases: usize = PARAMS.iter().map(|s| s.aliases.len()).sum();
        assert_eq!(table.lines().count(), 2 + PARAMS.len() + aliases);
        assert!(table.contains(
            "| `site` | string (literal) | `datadoghq.com` | `DD_SITE` | `DD_SITE`: the Datadog site to send data to. |\n"
        ));
        assert!(table.contains("| `pythonLayerVersion` | int | `127` | — |"));
        assert!(table.contains("| `rubyLayerVersion` | int | `29` | — |"));
        assert!(table.ends_with(
            "| `coldStartTraceMinDuration` | | | | alias of `minColdStartTraceDuration` |\n"
        ));
    }
}
