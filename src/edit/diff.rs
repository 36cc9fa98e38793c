//! The unified diff of a user's file against its edit: plain text that
//! `patch -p0` (or `git apply`) applies to the file to give the edited text
//! exactly, each hunk header naming the resources or sections its changes
//! belong to (`@@ -10,6 +10,12 @@ Resources.OrdersFunction`), read from the
//! edit's regions rather than from the text.
//!
//! Nothing is masked here: a diff with `****` in place of a secret no longer
//! applies. A caller showing it to people masks the lines it prints (line
//! counts do not change, so hunk headers stay right) and says that the
//! masked diff is for reading only.

use std::collections::BTreeSet;

use similar::{Algorithm, ChangeTag, TextDiff};

use super::Edited;
use super::tree::Lines;
use crate::dry_run::diff::with_names;

/// The unified diff from `original` to `edited`'s text, with `--- old_name`
/// and `+++ new_name` headers; empty when the texts are equal.
pub fn unified_diff(original: &str, edited: &Edited, old_name: &str, new_name: &str) -> String {
    let diff = TextDiff::configure()
        // Patience: 10 ms for 500 instrumented functions, Myers and Histogram 50 ms.
        .algorithm(Algorithm::Patience)
        .diff_lines(original, edited.text());
    let labels = LineLabels::new(original, edited);
    with_names(&diff, old_name, new_name, |hunk| {
        let mut changed = BTreeSet::new();
        for change in hunk.iter_changes() {
            match change.tag() {
                ChangeTag::Delete => changed.extend(change.old_index().and_then(|i| labels.old[i])),
                ChangeTag::Insert => changed.extend(change.new_index().and_then(|i| labels.new[i])),
                ChangeTag::Equal => {}
            }
        }
        if changed.is_empty() {
            // The line diff placed the change beside the region's own lines
            // (among equal ones): name the regions the hunk's context holds.
            let (first, last) = (hunk.ops()[0], hunk.ops()[hunk.ops().len() - 1]);
            let old_lines = first.old_range().start..last.old_range().end;
            let new_lines = first.new_range().start..last.new_range().end;
            changed.extend(old_lines.filter_map(|i| labels.old[i]));
            changed.extend(new_lines.filter_map(|i| labels.new[i]));
        }
        names(
            changed
                .into_iter()
                .map(|i| edited.regions[i].label.as_str()),
        )
    })
}

/// The most names a hunk header lists; the rest are counted.
const MAX_NAMES: usize = 3;

/// The distinct labels of a hunk's regions, in the order of the text:
/// `Resources.A, Resources.B`, or `Resources.A, Resources.B, Resources.C
/// and 4 more` when changes are so close together that one hunk holds many.
fn names<'a>(labels: impl Iterator<Item = &'a str>) -> String {
    let mut distinct: Vec<&str> = Vec::new();
    for label in labels {
        if distinct.last() != Some(&label) && !distinct.contains(&label) {
            distinct.push(label);
        }
    }
    let mut text = distinct
        .iter()
        .take(MAX_NAMES)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if distinct.len() > MAX_NAMES {
        text.push_str(&format!(" and {} more", distinct.len() - MAX_NAMES));
    }
    text
}

/// For each line of both texts, the region (index) that changed it.
struct LineLabels {
    old: Vec<Option<usize>>,
    new: Vec<Option<usize>>,
}

impl LineLabels {
    fn new(original: &str, edited: &Edited) -> LineLabels {
        let (old_lines, new_lines) = (Lines::new(original), Lines::new(edited.text()));
        let mut old = vec![None; original.lines().count() + 1];
        let mut new = vec![None; edited.text().lines().count() + 1];
        for (i, region) in edited.regions.iter().enumerate() {
            mark(&mut old, &old_lines, &region.old, i);
            mark(&mut new, &new_lines, &region.new, i);
        }
        LineLabels { old, new }
    }
}

/// Marks the lines a byte range touches (none for an empty range).
fn mark(
    labels: &mut [Option<usize>],
    lines: &Lines,
    range: &std::ops::Range<usize>,
    region: usize,
) {
    if range.is_empty() {
        return;
    }
    let first = lines.line_of(range.start);
    let last = lines.line_of(range.end - 1);
    for slot in labels.iter_mut().take(last + 1).skip(first) {
        slot.get_or_insert(region);
    }
}
