//! Picture uploads, read as the host reads them (`instant_share_pictures::clean`: sniffed by
//! their bytes, bounded before decoding, decoded, written again as PNG without metadata).
//!
//! Beyond "no panic, no allocation past the limits": an accepted picture is within the limits,
//! its id is the SHA-256 of the PNG kept, and cleaning that PNG again changes nothing (what the
//! host stores is exactly what it would accept).
#![no_main]

use instant_share_pictures::{clean, is_id, MAX_PIXELS, MAX_SIDE};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

fuzz_target!(|data: &[u8]| {
    let Ok(picture) = clean(data) else {
        return;
    };
    let (width, height) = (picture.width, picture.height);
    assert!(width > 0 && height > 0, "{width}x{height}");
    assert!(width <= MAX_SIDE && height <= MAX_SIDE, "{width}x{height}");
    assert!(u64::from(width) * u64::from(height) <= MAX_PIXELS);
    assert!(is_id(&picture.id));
    let digest: String = Sha256::digest(&picture.png)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(picture.id, digest);
    let again = clean(&picture.png).expect("a cleaned picture is accepted again");
    assert_eq!((again.width, again.height), (width, height));
    assert!(
        again.png == picture.png,
        "cleaning a cleaned picture changed it"
    );
});
