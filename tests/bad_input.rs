//! Bad input to the template reader, through the real binary (`transform
//! FILE` and `convert FILE --format json`: exit code 2, a message naming the
//! file and the problem, nothing on standard output, no panic) and through
//! the library (`template::parse`: the same message as an error).

mod common;

use common::*;
use dd_serverless_macro::template::{self, TemplateError};
use dd_serverless_macro::{MacroEnvironment, MacroResponse, answer};

/// Address-space limit for the binary on hostile input: far below what
/// expanding a "billion laughs" would take, well above what reading a 5 MB
/// template takes.
const MEMORY_LIMIT_KIB: usize = 512 * 1024;

/// Runs both subcommands on `content` saved as `file_name` and checks that
/// each exits with code 2 and a message holding the file's path and every
/// text in `expected`. Returns the message.
fn refused_by_binary(file_name: &str, content: &[u8], expected: &[&str]) -> String {
    let dir = scratch(&format!("bad_input-{file_name}"));
    let path = write_file(&dir, file_name, content);
    let path = path.to_str().unwrap();
    let mut message = String::new();
    for args in [
        vec!["transform", path],
        vec!["convert", path, "--format", "json"],
    ] {
        let output = run_limited(MEMORY_LIMIT_KIB, &args, b"");
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            output.stdout.is_empty(),
            "{args:?} printed {}",
            stdout(&output)
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            err.starts_with(&format!("error: {path}: "))
                || err.starts_with(&format!("error: {path} ")),
            "{args:?} does not name the file: {err}"
        );
        for text in expected {
            assert!(err.contains(text), "{args:?}: {err:?} lacks {text:?}");
        }
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
        message = err;
    }
    message
}

/// The library's error for `text`, checked to hold every text in `expected`.
fn refused_by_library(text: &str, expected: &[&str]) -> TemplateError {
    let error = template::parse(text).expect_err("should be refused");
    let message = error.to_string();
    for e in expected {
        assert!(message.contains(e), "{message:?} lacks {e:?}");
    }
    error
}

#[test]
fn invalid_json_is_refused_with_its_position() {
    let text = "{\"Resources\": {\n  \"B\": {\"Type\": }\n}}\n";
    let expected = ["invalid JSON at line 2, column 17", "expected value"];
    refused_by_binary("broken.json", text.as_bytes(), &expected);
    refused_by_library(text, &expected);
}

#[test]
fn invalid_yaml_is_refused_with_its_position() {
    let text = "Resources:\n  B:\n    Type: [AWS::S3::Bucket\n  C: d\n";
    let expected = [
        "invalid YAML at line 4, column",
        "did not find expected ',' or ']'",
    ];
    refused_by_binary("broken.yaml", text.as_bytes(), &expected);
    refused_by_library(text, &expected);

    // Bad indentation, a tab where YAML wants spaces.
    let text = "Resources:\n\tB: 1\n";
    refused_by_binary(
        "tab.yaml",
        text.as_bytes(),
        &["invalid YAML at line 2, column 1"],
    );
    refused_by_library(text, &["invalid YAML at line 2, column 1"]);
}

#[test]
fn binary_data_is_refused() {
    let bytes = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe";
    refused_by_binary("image.png", bytes, &["is not UTF-8 text (byte 0)"]);
    // Valid UTF-8 but a control character YAML does not allow.
    let text = "Resources: \u{1}\n";
    refused_by_binary("control.yaml", text.as_bytes(), &["invalid YAML"]);
    refused_by_library(text, &["invalid YAML"]);
}

#[test]
fn unknown_tag_is_refused_naming_tag_and_line() {
    let text = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Reff Name\n";
    let expected = ["unknown YAML tag `!Reff` at line 5"];
    refused_by_binary("tag.yaml", text.as_bytes(), &expected);
    let error = refused_by_library(text, &expected);
    assert_eq!(
        error,
        TemplateError::UnknownTag {
            tag: "!Reff".into(),
            line: 5
        }
    );
}

#[test]
fn a_list_or_a_scalar_is_not_a_template() {
    for (name, text, what) in [
        ("list.yaml", "- Resources\n- Outputs\n", "not a list"),
        ("list.json", "[{\"Resources\": {}}]", "not a list"),
        ("string.yaml", "Resources and more\n", "not a string"),
        ("string.json", "\"Resources\"", "not a string"),
        ("number.yaml", "42\n", "not a number"),
        ("boolean.yaml", "true\n", "not a boolean"),
        (
            "tagged.yaml",
            "!Ref Bucket\n",
            "not an intrinsic function (`!Ref`)",
        ),
    ] {
        let expected = ["a template must be a mapping of sections", what];
        refused_by_binary(name, text.as_bytes(), &expected);
        let error = refused_by_library(text, &expected);
        assert!(
            matches!(error, TemplateError::Shape(_)),
            "{name}: {error:?}"
        );
    }
}

#[test]
fn empty_files_are_refused() {
    for (name, text) in [
        ("empty.yaml", ""),
        ("blank.yaml", "\n  \n\t\n"),
        ("comment.yaml", "# nothing here yet\n"),
        ("null.yaml", "~\n"),
        ("document.yaml", "---\n...\n"),
        ("bom.json", "\u{feff}"),
    ] {
        refused_by_binary(name, text.as_bytes(), &["the template is empty"]);
        assert_eq!(
            template::parse(text).unwrap_err(),
            TemplateError::Empty,
            "{name}"
        );
    }
}

/// The classic "billion laughs": ten levels of ten aliases each, 10^9
/// strings once expanded.
fn billion_laughs() -> String {
    let mut doc = String::from(
        "a0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n",
    );
    for i in 1..10 {
        let aliases = vec![format!("*a{}", i - 1); 10].join(", ");
        doc.push_str(&format!("a{i}: &a{i} [{aliases}]\n"));
    }
    doc.push_str("Resources: *a9\n");
    doc
}

/// One 1 MiB string repeated by 3,000 aliases: a 1 MiB file that expands to
/// 3 GiB, with few alias uses (the kind of bomb a limit on the number of
/// alias uses does not catch).
fn large_string_bomb() -> String {
    let mut doc = format!("Big: &big \"{}\"\n", "x".repeat(1024 * 1024));
    doc.push_str("Resources: [");
    doc.push_str(&vec!["*big"; 3000].join(", "));
    doc.push_str("]\n");
    doc
}

#[test]
fn alias_bombs_are_refused_without_running_out_of_memory() {
    let expected = ["aliases expand it to more than 10 MiB", "billion laughs"];
    for (name, text) in [
        ("laughs.yaml", billion_laughs()),
        ("bigstring.yaml", large_string_bomb()),
    ] {
        // The binary runs under a 512 MiB address-space limit: it must refuse
        // the document, not die trying to build it.
        let message = refused_by_binary(name, text.as_bytes(), &expected);
        assert!(message.contains("invalid YAML"), "{message}");
        refused_by_library(&text, &expected);
    }
    // Aliases within the limits are fine (and expanded).
    let (value, _) =
        template::parse("Defaults: &d {Runtime: python3.12}\nResources: {A: *d, B: *d}\n").unwrap();
    assert_eq!(value["Resources"]["B"]["Runtime"], "python3.12");
}

/// 10,000 levels of nesting in each syntax.
fn deep_documents() -> Vec<(&'static str, String)> {
    let n = 10_000;
    vec![
        (
            "deep.json",
            format!("{{\"Resources\": {}{}}}", "[".repeat(n), "]".repeat(n)),
        ),
        (
            "deep-objects.json",
            format!("{}1{}", "{\"a\": ".repeat(n), "}".repeat(n)),
        ),
        (
            "deep-flow.yaml",
            format!("Resources: {}{}\n", "[".repeat(n), "]".repeat(n)),
        ),
        (
            "deep-flow-maps.yaml",
            format!("Resources: {}1{}\n", "{a: ".repeat(n), "}".repeat(n)),
        ),
        (
            "deep-block.yaml",
            format!("Resources:\n  {}x\n", "- ".repeat(n)),
        ),
        (
            "deep-tags.yaml",
            format!("Resources: {}x\n", "!Base64 [".repeat(n) + &"]".repeat(n)),
        ),
    ]
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for (name, text) in deep_documents() {
        let message = refused_by_binary(name, text.as_bytes(), &["nested too deeply"]);
        assert!(
            message.contains("more than 128 levels"),
            "{name}: {message}"
        );
        refused_by_library(&text, &["nested too deeply"]);
    }
}

#[test]
fn the_library_answers_bad_events_with_failures() {
    let environment = MacroEnvironment::default();
    let deep = format!(
        "{{\"requestId\": \"r\", \"fragment\": {}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    for (event, expected) in [
        (deep.as_str(), "nested too deeply"),
        ("", "not valid JSON"),
        ("Resources: {}", "not valid JSON"),
        ("[1]", "not"),
        ("{\"requestId\": \"r\", \"fragment\": [1]}", "fragment"),
    ] {
        let (out, _) = answer(event.as_bytes(), &environment);
        let response: MacroResponse = serde_json::from_slice(&out).unwrap();
        assert_eq!(response.status, "failure", "{event:.40}");
        let message = response.error_message.unwrap_or_default();
        assert!(message.contains(expected), "{event:.40}: {message}");
    }
}

#[test]
fn bad_input_on_standard_input_is_named_as_such() {
    for args in [
        vec!["transform", "-"],
        vec!["convert", "-", "--format", "yaml"],
    ] {
        let output = run(&args, b"- not\n- a template\n");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(
            stderr(&output),
            "error: standard input: a template must be a mapping of sections (Resources, Parameters...), not a list\n"
        );
    }
}
