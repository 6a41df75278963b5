//! Host → client socket frames, read as the app and the headless peer read them
//! (`serde_json::from_str::<ServerFrame>` in `crates/client`). Whatever they accept must
//! survive the trip back to JSON (the host encodes what clients decode). What the frames do to
//! the session is `client_tracker`'s business.
#![no_main]

use instant_share_fuzz::decode_and_round_trip;
use instant_share_protocol::ServerFrame;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        decode_and_round_trip::<ServerFrame>(text);
    }
});
