//! The EXAMPLES section each command's `--help` ends with (as cargo's and
//! ripgrep's do): per example, what it does and the command line.

/// `transform`.
pub const TRANSFORM: &[(&str, &str)] = &[
    (
        "What the macro would change, and why",
        "dd-serverless-macro transform template.yaml --diff --report text",
    ),
    (
        "The deployable template; any warning fails (CI)",
        "dd-serverless-macro transform template.yaml --strict -o instrumented.yaml",
    ),
    (
        "A parameter the template does not set",
        "dd-serverless-macro transform template.yaml --param extensionLayerVersion=99",
    ),
    (
        "Template parameters' values, as sam deploy takes them",
        "dd-serverless-macro transform template.yaml --region eu-west-1 --parameter-overrides \"Stage=prod Owner='Ops team'\"",
    ),
    (
        "A template on standard input, the report for a pipeline",
        "cat template.json | dd-serverless-macro transform - --report json",
    ),
];

/// `uninstrument`.
pub const UNINSTRUMENT: &[(&str, &str)] = &[
    (
        "What would be removed from a baked template",
        "dd-serverless-macro uninstrument template.yaml --diff",
    ),
    (
        "Undo the bake in place; fail if anything had to be left",
        "dd-serverless-macro uninstrument template.yaml -o template.yaml --strict",
    ),
];

/// `handle-event`.
pub const HANDLE_EVENT: &[(&str, &str)] = &[
    (
        "The answer to a saved event",
        "dd-serverless-macro handle-event event.json",
    ),
    (
        "Only its status",
        "dd-serverless-macro handle-event - < event.json | jq .status",
    ),
];

/// `parameters`.
pub const PARAMETERS: &[(&str, &str)] = &[(
    "The table as a file",
    "dd-serverless-macro parameters > parameters.md",
)];

/// `convert`.
pub const CONVERT: &[(&str, &str)] = &[(
    "A CDK template as YAML",
    "dd-serverless-macro convert cdk.out/Stack.template.json --format yaml -o stack.yaml",
)];

/// `serve`.
pub const SERVE: &[(&str, &str)] = &[(
    "Under a local Lambda Runtime API (cargo lambda watch; see tests/emulator.rs)",
    "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9000 dd-serverless-macro serve",
)];

/// The section, its heading styled as clap styles its own.
pub fn section(examples: &[(&str, &str)]) -> String {
    let heading = anstyle::Style::new().bold().underline();
    let mut text = format!("{heading}Examples:{heading:#}\n");
    for (what, command) in examples {
        text.push_str(&format!("  # {what}\n  {command}\n\n"));
    }
    text.truncate(text.trim_end().len());
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_list_each_example_under_a_heading() {
        let text = anstream::adapter::strip_str(&section(PARAMETERS)).to_string();
        assert_eq!(
            text,
            "Examples:\n  # The table as a file\n  dd-serverless-macro parameters > parameters.md"
        );
        for list in [
            TRANSFORM,
            UNINSTRUMENT,
            HANDLE_EVENT,
            PARAMETERS,
            CONVERT,
            SERVE,
        ] {
            assert!(
                list.iter()
                    .all(|(_, line)| line.contains("dd-serverless-macro "))
            );
        }
    }
}
