//! REST bodies: those the host reads (`Body<T>` in `crates/host/src/api.rs`, axum's JSON reader
//! over `serde_json`) and those the app, the console and the headless peer read from the host.
//! The first byte picks the type, the rest is the body. Whatever is accepted must survive the
//! trip back to JSON.
#![no_main]

use instant_share_fuzz::assert_json_round_trip;
use instant_share_protocol::{
    ApiError, BoardImage, BringInRequest, ConsoleTicket, DeskOutlook, EnrolRequest, EnrolResponse,
    ExpertProfile, Feedback, GuestInvite, GuestInviteRequest, HandOverRequest, Health,
    LoginRequest, SharePointer, ShareRequest, TopicList, WrapUp,
};
use libfuzzer_sys::fuzz_target;

/// Decodes `body` as `T` the way `serde_json::from_slice` (axum's `Json`, reqwest's `json`)
/// does; checks the round trip of what it accepts.
fn body<T>(body: &[u8])
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    if let Ok(value) = serde_json::from_slice::<T>(body) {
        assert_json_round_trip(&value);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 18 {
        // Read by the host.
        0 => body::<EnrolRequest>(rest),
        1 => body::<ShareRequest>(rest),
        2 => body::<Feedback>(rest),
        3 => body::<WrapUp>(rest),
        4 => body::<GuestInviteRequest>(rest),
        5 => body::<HandOverRequest>(rest),
        6 => body::<BringInRequest>(rest),
        7 => body::<LoginRequest>(rest),
        // Read by the app, the console and the headless peer.
        8 => body::<EnrolResponse>(rest),
        9 => body::<TopicList>(rest),
        10 => body::<SharePointer>(rest),
        11 => body::<DeskOutlook>(rest),
        12 => body::<ExpertProfile>(rest),
        13 => body::<ConsoleTicket>(rest),
        14 => body::<Health>(rest),
        15 => body::<GuestInvite>(rest),
        16 => body::<BoardImage>(rest),
        _ => body::<ApiError>(rest),
    }
});
