//! The README keeps its promises: the parameter table is the one generated
//! from the code, and the quick-start commands name files that exist.

mod common;

use common::{read_repo_file, repo_root};

fn readme() -> String {
    read_repo_file("README.md")
}

#[test]
fn parameter_table_matches_the_code() {
    let table = dd_serverless_macro::parameters_markdown();
    assert!(
        readme().contains(&table),
        "README.md's parameter table is out of date: replace it with the output of `dd-serverless-macro parameters`"
    );
}

#[test]
fn quick_start_commands_are_real() {
    let text = readme();
    assert!(text.contains("cargo run --release -- transform examples/sam-app/template.yaml"));
    assert!(repo_root().join("examples/sam-app/template.yaml").exists());
    assert!(text.contains("\nscripts/test\n"));
    let ci = read_repo_file(".ci/run");
    assert!(
        ci.contains("scripts/test"),
        ".ci/run must run the README's test command"
    );
}

/// The diff the README shows ("Dry runs") is the one the example gives:
/// each run of lines between its `…` is in the real diff, in order.
#[test]
fn the_dry_run_diff_shown_is_the_examples() {
    let text = readme();
    let start = text.find("```diff\n").expect("a diff block in README.md") + "```diff\n".len();
    let shown = &text[start..start + text[start..].find("```").unwrap()];
    let output = common::run(
        &["transform", "examples/sam-app/template.yaml", "--diff"],
        b"",
    );
    assert!(output.status.success(), "{output:?}");
    let diff = common::stdout(&output);
    let mut rest = diff.as_str();
    for part in shown.split("…\n").filter(|part| !part.is_empty()) {
        let at = rest
            .find(part)
            .unwrap_or_else(|| panic!("README.md shows lines the diff does not have, in this order:\n{part}\nThe diff:\n{diff}"));
        rest = &rest[at + part.len()..];
    }
    assert!(
        shown.starts_with("--- examples/sam-app/template.yaml\n"),
        "{shown}"
    );
}
