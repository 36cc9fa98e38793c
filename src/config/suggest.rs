//! "Did you mean ...?": the known name closest to one that is not known
//! (a parameter, a logical id, a region, a template parameter).

/// The candidate closest to `unknown`, ignoring case, when it is close
/// enough to be what was meant: at most 3 edits (a transposition is one),
/// or a quarter of the candidate's length for long names. A candidate that
/// differs only in case always is. Of two as close, the one that shares
/// the longer beginning with `unknown` (`nodejs22` is `nodejs22.x` rather
/// than `nodejs`).
pub fn closest<'a>(
    unknown: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = unknown.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let candidate_lower = candidate.to_ascii_lowercase();
            let distance = strsim::damerau_levenshtein(&lower, &candidate_lower);
            let shared = lower
                .bytes()
                .zip(candidate_lower.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            (distance, std::cmp::Reverse(shared), candidate)
        })
        .filter(|(distance, _, candidate)| *distance <= 3.max(candidate.len() / 4))
        .min_by_key(|(distance, shared, _)| (*distance, *shared))
        .map(|(_, _, candidate)| candidate)
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
        let runtimes = ["nodejs", "nodejs22.x"];
        assert_eq!(closest("nodejs22", runtimes), Some("nodejs22.x"));
    }
}
