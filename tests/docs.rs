//! The documentation's links between its own files lead somewhere: every
//! relative Markdown link of README.md, CONTRIBUTING.md and `docs/` names a
//! file or folder of the repository (a moved or renamed document breaks it).

mod common;

use std::path::{Path, PathBuf};

use common::repo_root;

/// README.md, CONTRIBUTING.md and every Markdown file of `docs/`.
fn documents() -> Vec<PathBuf> {
    let root = repo_root();
    let mut files = vec![root.join("README.md"), root.join("CONTRIBUTING.md")];
    let docs = root.join("docs");
    let mut in_docs: Vec<PathBuf> = std::fs::read_dir(&docs)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", docs.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    in_docs.sort();
    files.extend(in_docs);
    files
}

/// The targets of the inline links `[text](target)` of a Markdown text that
/// point inside the repository: not a URL, not an anchor of the same page;
/// an anchor after the path is dropped.
fn local_links(text: &str) -> Vec<&str> {
    text.match_indices("](")
        .filter_map(|(i, _)| {
            let rest = &text[i + 2..];
            let target = &rest[..rest.find(')')?];
            let path = target.split('#').next().unwrap_or_default();
            let external = target.contains("://") || target.starts_with("mailto:");
            (!external && !path.is_empty() && !path.contains(char::is_whitespace)).then_some(path)
        })
        .collect()
}

#[test]
fn relative_links_name_files_of_the_repository() {
    let mut broken = Vec::new();
    for document in documents() {
        let text = std::fs::read_to_string(&document).unwrap();
        let dir = document.parent().unwrap_or(Path::new("."));
        for link in local_links(&text) {
            if !dir.join(link).exists() {
                broken.push(format!("{}: {link}", document.display()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links to nothing:\n{}",
        broken.join("\n")
    );
}

#[test]
fn links_are_read_from_markdown() {
    let text =
        "See [a](docs/a.md#part), [b](https://example.com/x), [c](#here) and [d](../LICENSE).";
    assert_eq!(local_links(text), ["docs/a.md", "../LICENSE"]);
}
