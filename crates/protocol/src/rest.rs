//! REST bodies of the host's HTTP API (`/api/v1/...`).

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// Identifier of a session: 22 URL-safe characters (128 random bits).
pub type SessionId = String;

/// Seconds since the Unix epoch, in milliseconds. Every time on the wire is one of these.
pub type UnixMillis = u64;

/// `POST /api/v1/enrol`: trade a one-time enrolment code for a device credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct EnrolRequest {
    /// The code an administrator handed out (`instant-share-host enrolment-code`), typed or
    /// carried by an enrolment link (`instant-share://enrol?host=…&code=…`, see `link.rs`).
    pub code: String,
    /// A name for this device, shown to administrators ("Ana's laptop").
    pub device_name: String,
}

/// Answer to [`EnrolRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct EnrolResponse {
    /// The device's identifier.
    pub device_id: String,
    /// The device credential: a bearer secret for `Authorization: Bearer ...`. Keep it in the
    /// OS keychain; the host stores only its hash.
    pub credential: String,
    /// The name of the employee the code was made for.
    pub employee_name: String,
}

/// A topic a requester can ask about, and the skill an expert needs for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Topic {
    /// Stable identifier, also the skill name (`"email"`).
    pub id: String,
    /// What the picker shows (`"Email and calendar"`).
    pub label: String,
}

/// `GET /api/v1/topics`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct TopicList {
    /// Every topic the host routes, in display order.
    pub topics: Vec<Topic>,
}

/// `POST /api/v1/shares`: an enrolled device asks for a session. Needs the device credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct ShareRequest {
    /// One of the host's [`Topic`] ids.
    pub topic: String,
    /// What the requester wants help with, in their words (at most 500 characters).
    #[serde(default)]
    #[ts(optional)]
    pub note: Option<String>,
    /// Version of the requesting app.
    pub app_version: String,
    /// The requester's operating system and version.
    pub os_version: String,
}

/// Answer to [`ShareRequest`]: the pointer to the session's co-browse site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct SharePointer {
    /// The new session.
    pub session_id: SessionId,
    /// Absolute address of the session's co-browse site (`https://host/s/<id>`).
    pub site_url: String,
    /// Absolute address of the session WebSocket.
    pub ws_url: String,
    /// The requester's participant token; sent in the first WebSocket message, never in a URL.
    pub participant_token: String,
    /// When the participant token stops working.
    #[ts(type = "number")]
    pub token_expires_at: UnixMillis,
    /// 1 = next to be offered. 0 once an expert has been offered the request.
    pub queue_position: u32,
    /// Estimated seconds until an expert joins; 0 while nobody is on duty.
    pub estimated_wait_secs: u32,
    /// Experts on duty who could take the request; 0: nobody is, for now.
    #[serde(default)]
    pub experts_on_duty: u32,
}

/// What a new request about one topic would meet now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct TopicOutlook {
    /// The topic id.
    pub topic: String,
    /// Experts on duty (available) who take this topic, in a session or not.
    pub experts_on_duty: u32,
    /// Estimated seconds until an expert would join a request made now, from the desk's recent
    /// figures; absent while nobody is on duty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub estimated_wait_secs: Option<u32>,
}

/// `GET /api/v1/desk` (device credential): the help desk now, per topic, so that the app can
/// say honestly what to expect before anyone asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct DeskOutlook {
    /// One entry per routed topic, in the host's order.
    pub topics: Vec<TopicOutlook>,
}

/// Longest comment on [`Feedback`] or note on a [`WrapUp`], in characters.
pub const MAX_FEEDBACK_CHARS: usize = 1_000;

/// `POST /api/v1/sessions/{session_id}/feedback`, by the requester (their participant token as
/// `Authorization: Bearer`) once the session has ended: how it went. A second answer replaces
/// the first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Feedback {
    /// Did the session solve the problem?
    pub solved: bool,
    /// 1 (poor) to 5 (excellent), if the employee gave one. JSON has one kind of number: `4.0`
    /// is the integer 4, as JSON Schema reads it; `4.5` is refused.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole_number"
    )]
    #[ts(optional)]
    pub rating: Option<u8>,
    /// In their words, at most [`MAX_FEEDBACK_CHARS`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub comment: Option<String>,
}

/// How a session ended, in the expert's judgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The problem is fixed.
    Solved,
    /// It works around the problem for now.
    Workaround,
    /// Not fixed.
    NotSolved,
    /// Passed on to another team.
    Escalated,
    /// Someone follows up later.
    FollowUp,
}

/// `POST /api/v1/sessions/{session_id}/wrap-up`, by an expert of the session (their
/// participant token as `Authorization: Bearer`) once it has ended. A second one replaces the
/// first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct WrapUp {
    /// The outcome.
    pub outcome: Outcome,
    /// A note for the record, at most [`MAX_FEEDBACK_CHARS`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub note: Option<String>,
}

/// `POST /api/v1/sessions/{session_id}/guests`, by the requester or the expert (their
/// participant token as `Authorization: Bearer`): one more person, by link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct GuestInviteRequest {
    /// The name the others will see, 1 to 60 characters.
    pub display_name: String,
    /// `true`: the guest may draw on the board; `false`: look and point only.
    pub may_draw: bool,
}

/// Answer to [`GuestInviteRequest`]: the link to pass on. Whoever has it joins as the guest
/// until the session ends or the token expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct GuestInvite {
    /// The guest's participant id.
    pub participant_id: String,
    /// The co-browse site with the guest's token in the fragment (`…/s/<id>#token=…`; the
    /// fragment never reaches a server or its logs).
    pub link: String,
    /// When the guest's token stops working.
    #[ts(type = "number")]
    pub token_expires_at: UnixMillis,
}

/// `POST /api/v1/sessions/{session_id}/hand-over`, by the expert in charge (their participant
/// token as `Authorization: Bearer`): another expert takes the session over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct HandOverRequest {
    /// The other expert's user name.
    pub to_username: String,
}

/// `POST /api/v1/sessions/{session_id}/experts`, by the expert in charge (their participant
/// token as `Authorization: Bearer`): a colleague joins beside them, with the board and the
/// chat as they are. The colleague must be free; they can later be handed the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct BringInRequest {
    /// The colleague's user name.
    pub username: String,
}

/// Most people in a session: the requester and, together, the experts and guests.
pub const MAX_PARTICIPANTS: usize = 4;

/// `POST /api/v1/expert/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct LoginRequest {
    /// The expert's user name.
    pub username: String,
    /// The expert's password.
    pub password: String,
}

/// The signed-in expert (`GET /api/v1/expert/me`, answer to login).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct ExpertProfile {
    /// The expert's identifier.
    pub id: String,
    /// The expert's user name.
    pub username: String,
    /// Name shown to requesters.
    pub display_name: String,
    /// Topic ids this expert takes.
    pub skills: Vec<String>,
}

/// `POST /api/v1/expert/ticket`: a short-lived token for the console WebSocket's `hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct ConsoleTicket {
    /// Single-use, expires after a minute.
    pub ticket: String,
    /// Absolute address of the WebSocket.
    pub ws_url: String,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Health {
    /// `"ok"` when the host serves requests.
    pub status: String,
    /// The host's version.
    pub version: String,
}

/// An optional small whole number written as `4` or as `4.0`: JSON Schema's `integer` is any
/// number whose fraction is zero, and clients in languages with one number type send either.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    use serde::de::Error;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let whole = match n.as_u64() {
        Some(u) => Some(u),
        None => n
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u8::MAX))
            .map(|f| f as u64),
    };
    whole
        .and_then(|u| u8::try_from(u).ok())
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("expected a whole number from 0 to 255, got {n}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(json: &str) -> Result<Option<u8>, String> {
        serde_json::from_str::<Feedback>(&format!(r#"{{"solved":true{json}}}"#))
            .map(|f| f.rating)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_rating_is_a_whole_number_however_it_is_written() {
        assert_eq!(rating(""), Ok(None));
        assert_eq!(rating(r#","rating":null"#), Ok(None));
        assert_eq!(rating(r#","rating":4"#), Ok(Some(4)));
        assert_eq!(rating(r#","rating":4.0"#), Ok(Some(4)));
        assert_eq!(rating(r#","rating":2e0"#), Ok(Some(2)));
        for bad in ["4.5", "-1", "256", "1e300", r#""4""#] {
            assert!(rating(&format!(r#","rating":{bad}"#)).is_err(), "{bad}");
        }
    }
}
