//! Client → host socket messages, read as the host reads them (`ClientMessage::from_text`: the
//! size bound, then the schema). Whatever it accepts must survive the trip back to JSON; what
//! it refuses must be refused with the codes the contract names.
#![no_main]

use instant_share_fuzz::assert_json_round_trip;
use instant_share_protocol::{ClientMessage, ErrorCode, MAX_WS_MESSAGE_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The socket delivers text frames only as UTF-8 (binary ones are refused before this).
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match ClientMessage::from_text(text) {
        Ok(message) => {
            assert!(text.len() <= MAX_WS_MESSAGE_BYTES);
            assert_json_round_trip(&message);
        }
        Err(error) => {
            let expected = if text.len() > MAX_WS_MESSAGE_BYTES {
                ErrorCode::MessageTooLarge
            } else {
                ErrorCode::BadRequest
            };
            assert_eq!(error.code, expected, "{error}");
        }
    }
});
