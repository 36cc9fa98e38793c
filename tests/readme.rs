//! The README keeps its promises: the parameter table is the one generated
//! from the code, and the quick-start commands name files that exist.

mod common;

use common::{read_repo_file, repo_root};

fn readme() -> String {
    read_repo_file("README.md")
}

#[test]
fn parameter_table_matches_the_code() {
    let table = dd_serverless_macro::config::parameters_markdown();
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
