//! The README keeps its promises: the parameter table is the one generated
//! from the code, and the quick-start commands name files that exist.

use std::path::Path;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
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
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/sam-app/template.yaml")
            .exists()
    );
    assert!(text.contains("\nscripts/test\n"));
    let ci =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/run")).unwrap();
    assert!(
        ci.contains("scripts/test"),
        ".ci/run must run the README's test command"
    );
}
