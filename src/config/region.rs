//! The stack's region: whether a text is an AWS region, and the regions AWS
//! runs (for "did you mean"). A region is an input of the transform like its
//! parameters: layer ARNs are built with it, so a typo must stop the run
//! rather than give `arn:aws:lambda:eu west 1:...`. The dry run checks
//! `--region` with [`check_region`] (a usage error); every macro event's
//! `region` (the dry run's too) is checked with it and [`unlisted_region`]
//! (a warning) by `answer`.

use std::sync::LazyLock;

use regex::Regex;

use super::suggest::closest;
use crate::lambda::published;

/// The AWS regions where Datadog publishes no layers, by partition
/// (botocore's `endpoints.json`). With those it publishes in
/// ([`published::regions`]), every region [`known_regions`] lists.
pub const REGIONS_WITHOUT_LAYERS: &[&str] = &[
    // aws-cn
    "cn-north-1",
    "cn-northwest-1",
    // aws-iso, aws-iso-b, aws-iso-e, aws-iso-f
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "eu-isoe-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
    // aws-eusc (its `eusc-` prefix is not of the usual form)
    "eusc-de-east-1",
];

/// Every AWS region known here: those Datadog publishes layers in, and
/// [`REGIONS_WITHOUT_LAYERS`]. Only for suggestions and warnings: a region
/// of the right form that is not listed (a new one) is accepted.
pub fn known_regions() -> impl Iterator<Item = &'static str> {
    let with_layers = published::regions().iter();
    with_layers.chain(REGIONS_WITHOUT_LAYERS).copied()
}

/// Whether [`known_regions`] lists `region`.
fn is_known(region: &str) -> bool {
    known_regions().any(|known| known == region)
}

/// The form of a region name: `us-east-1`, `us-gov-west-1`, `us-isob-east-1`.
static REGION_FORM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$").expect("a valid pattern")
});

/// A text that is not an AWS region, and the known region it is closest to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{given}` is not an AWS region{}", hint(*closest))]
pub struct NotARegion {
    /// The text given.
    pub given: String,
    /// The known region closest to it, when one is close.
    pub closest: Option<&'static str>,
}

/// The end of [`NotARegion`]'s message: the suggestion or the form expected.
fn hint(closest: Option<&str>) -> String {
    match closest {
        Some(region) => format!("; did you mean {region}?"),
        None => " (a region looks like us-east-1 or eu-west-3)".to_string(),
    }
}

/// A region of the right form that [`known_regions`] does not list: a typo
/// (`eu-wst-1`), or a region AWS opened since.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "region `{given}` is not an AWS region this macro knows{}; layer ARNs are built with it as given",
    closest.map(|r| format!(" (did you mean {r}?)")).unwrap_or_default()
)]
pub struct UnlistedRegion {
    /// The region given.
    pub given: String,
    /// The known region closest to it, when one is close.
    pub closest: Option<&'static str>,
}

/// Whether `region` is an AWS region: of the form `xx-name-N` (with `-gov`
/// or `-isoX` after the first part), or one [`known_regions`] lists. Else
/// why not, with the closest known region.
pub fn check_region(region: &str) -> Result<(), NotARegion> {
    // The list first: compiling the pattern takes more time and memory
    // than the whole transform of a small template.
    if is_known(region) || REGION_FORM.is_match(region) {
        return Ok(());
    }
    Err(NotARegion {
        given: region.to_string(),
        closest: closest_region(region),
    })
}

/// A region (one [`check_region`] accepts) that is not listed, with the
/// closest that is; `None` when it is listed.
pub fn unlisted_region(region: &str) -> Option<UnlistedRegion> {
    (!is_known(region)).then(|| UnlistedRegion {
        given: region.to_string(),
        closest: closest_region(region),
    })
}

/// The listed region closest to `region`, when one is close.
fn closest_region(region: &str) -> Option<&'static str> {
    closest(region, known_regions())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_recognised_by_their_form() {
        for region in [
            "us-east-1",
            "us-gov-west-1",
            "us-isob-east-1",
            "cn-northwest-1",
            "eusc-de-east-1",
            // Not listed yet, but of the form.
            "xx-mars-9",
        ] {
            assert_eq!(check_region(region), Ok(()), "{region}");
        }
    }

    #[test]
    fn anything_else_is_refused_with_the_closest_region() {
        let table = [
            ("EU-WEST-1", Some("eu-west-1")),
            ("useast1", Some("us-east-1")),
            ("us-east-1 ", Some("us-east-1")),
            ("foo bar", None),
            ("", None),
        ];
        for (given, closest) in table {
            let refused = check_region(given).unwrap_err();
            assert_eq!(refused.closest, closest, "{given:?}");
        }
        assert_eq!(
            check_region("EU-WEST-1").unwrap_err().to_string(),
            "`EU-WEST-1` is not an AWS region; did you mean eu-west-1?"
        );
        assert_eq!(
            check_region("foo bar").unwrap_err().to_string(),
            "`foo bar` is not an AWS region (a region looks like us-east-1 or eu-west-3)"
        );
    }

    #[test]
    fn a_region_of_the_form_that_is_not_listed_is_named_with_the_closest() {
        assert_eq!(unlisted_region("eu-west-1"), None);
        let typo = unlisted_region("eu-wst-1").unwrap();
        assert_eq!(typo.closest, Some("eu-west-1"));
        assert_eq!(
            typo.to_string(),
            "region `eu-wst-1` is not an AWS region this macro knows (did you mean eu-west-1?); layer ARNs are built with it as given"
        );
        assert_eq!(unlisted_region("xx-mars-9").unwrap().closest, None);
    }

    #[test]
    fn every_known_region_is_of_the_form_and_listed_once() {
        let mut known: Vec<&str> = known_regions().collect();
        for region in &known {
            assert!(
                REGION_FORM.is_match(region) || region.starts_with("eusc-"),
                "{region}"
            );
        }
        let count = known.len();
        known.sort();
        known.dedup();
        assert_eq!(
            known.len(),
            count,
            "a region of REGIONS_WITHOUT_LAYERS is now one Datadog publishes in: remove it"
        );
        assert!(is_known("us-east-1") && is_known("cn-north-1"));
    }
}
