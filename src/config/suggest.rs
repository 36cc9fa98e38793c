//! "Did you mean ...?": the known name closest to one that is not known
//! (a parameter, a logical id, a region, a template parameter).

/// The candidate closest to `unknown`, ignoring case, when it is close
/// enough to be what was meant: at most 3 edits (a transposition is one),
/// or a quarter of the candidate's length for long names. A candidate that
/// differs only in case always is.
pub fn closest<'a>(
    unknown: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = unknown.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let distance = strsim::damerau_levenshtein(&lower, &candidate.to_ascii_lowercase());
            (distance, candidate)
        })
        .filter(|(distance, candidate)| *distance <= 3.max(candidate.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closest_candidate_within_reach_is_suggested() {
        let ids = ["AddBookFunction", "ListBooksFunction", "Table"];
        assert_eq!(closest("AddBookFuncton", ids), Some("AddBookFunction"));
        assert_eq!(closest("addbookfunction", ids), Some("AddBookFunction"));
        assert_eq!(closest("Tabel", ids), Some("Table"));
        assert_eq!(closest("SomethingElse", ids), None);
        assert_eq!(closest("x", Vec::<&str>::new()), None);
    }
}
