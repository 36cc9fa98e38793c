//! The record and `uninstrument` on small templates through the real dry
//! run; the corpus-wide round trip is `tests/round_trip.rs`.
