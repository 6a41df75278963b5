//! The app's reading of the host's HTTP answers (`instant_share_client::decode_reply`): any
//! status with any body. A success must decode to the expected type or be a protocol error; a
//! failure must be the host's `{code, message}` or a protocol error — never a panic, and never
//! an `Unreachable` (the host did answer).
#![no_main]

use instant_share_client::{decode_reply, ClientError, StatusCode};
use instant_share_protocol::{
    ConsoleTicket, DeskOutlook, EnrolResponse, ExpertProfile, GuestInvite, SharePointer, TopicList,
};
use libfuzzer_sys::fuzz_target;

fn reply<T>(status: StatusCode, body: &[u8])
where
    T: serde::de::DeserializeOwned + std::fmt::Debug,
{
    match decode_reply::<T>(status, body) {
        Ok(_) => assert!(status.is_success()),
        Err(ClientError::Api(_)) => assert!(!status.is_success()),
        Err(ClientError::Protocol(message)) => assert!(!message.is_empty()),
        Err(other) => panic!("an answer read as {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let [which, hi, lo, body @ ..] = data else {
        return;
    };
    let Ok(status) = StatusCode::from_u16(100 + u16::from_be_bytes([*hi, *lo]) % 500) else {
        return;
    };
    match which % 8 {
        0 => reply::<TopicList>(status, body),
        1 => reply::<EnrolResponse>(status, body),
        2 => reply::<SharePointer>(status, body),
        3 => reply::<DeskOutlook>(status, body),
        4 => reply::<ExpertProfile>(status, body),
        5 => reply::<ConsoleTicket>(status, body),
        6 => reply::<GuestInvite>(status, body),
        _ => reply::<serde_json::Value>(status, body),
    }
});
