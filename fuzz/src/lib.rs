//! What the fuzz targets share: the checks that make a target more than "it did not panic".
//!
//! Every decoder here reads outside input, so a target first feeds it arbitrary bytes; what it
//! accepts must then survive the trip the project's own code makes with it (encode, send,
//! decode again) unchanged, or two sides would disagree about the same message.

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Asserts that `value` encodes to JSON and decodes back to itself, and that encoding is
/// stable (the second encoding equals the first): what the host relays, the other side reads
/// as the host read it.
pub fn assert_json_round_trip<T>(value: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let text = serde_json::to_string(value).expect("an accepted value encodes");
    let back: T =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text} does not decode again: {e}"));
    assert_eq!(&back, value, "the value changed on a trip through {text}");
    let again = serde_json::to_string(&back).expect("a decoded value encodes");
    assert_eq!(again, text, "encoding is not stable");
}

/// Decodes `text` as `T` like the receiving side does; whatever it accepts must round-trip.
/// Returns the value for further checks.
pub fn decode_and_round_trip<T>(text: &str) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let value: T = serde_json::from_str(text).ok()?;
    assert_json_round_trip(&value);
    Some(value)
}

/// The input's records: lines, as the committed corpora hold one JSON frame a line. Invalid
/// UTF-8 in a line makes it an empty record (which no decoder accepts).
pub fn lines(data: &[u8]) -> impl Iterator<Item = &str> {
    data.split(|&b| b == b'\n')
        .map(|line| std::str::from_utf8(line).unwrap_or(""))
}
