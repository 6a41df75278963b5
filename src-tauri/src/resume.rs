//! Coming back into a live session after the app restarts (a crash, a quit, a reboot).
//!
//! When the host creates a session, the app keeps what it takes to rejoin — the session's
//! address and this participant's token — in the OS keychain (the token is a credential), and
//! forgets it when the session ends. On the next start, a session still kept is joined again
//! without the user pressing anything: the host's welcome says whether it is still live, and
//! the socket's resume rules (`crates/client`) bring the chat and the board back.

use instant_share_protocol::SharePointer;
use serde::{Deserialize, Serialize};

/// What the app keeps about its live session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveSession {
    /// The host the session is on (the app only comes back to the host it is enrolled with).
    pub host_url: String,
    /// The session.
    pub session_id: String,
    /// Its co-browse site.
    pub site_url: String,
    /// Its WebSocket.
    pub ws_url: String,
    /// This participant's token.
    pub participant_token: String,
    /// When the token stops working (Unix milliseconds).
    pub token_expires_at: u64,
    /// The share's topic and note, for the window until the host's welcome.
    pub topic: String,
    /// The share's note.
    pub note: Option<String>,
}

/// Why a kept session is not joined again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotResumed {
    /// Its token has expired: the host would refuse it.
    #[error("its token expired")]
    Expired,
    /// It is on another host than the one the app is enrolled with now.
    #[error("it is on another host ({0})")]
    OtherHost(String),
}

impl LiveSession {
    /// What to keep about the session the host just created.
    pub fn new(host_url: &str, pointer: &SharePointer, topic: &str, note: Option<&str>) -> Self {
        Self {
            host_url: host_url.to_owned(),
            session_id: pointer.session_id.clone(),
            site_url: pointer.site_url.clone(),
            ws_url: pointer.ws_url.clone(),
            participant_token: pointer.participant_token.clone(),
            token_expires_at: pointer.token_expires_at,
            topic: topic.to_owned(),
            note: note.map(str::to_owned),
        }
    }

    /// Whether to join it again, enrolled with `host_url`, at `now_millis`.
    pub fn check(&self, host_url: &str, now_millis: u64) -> Result<(), NotResumed> {
        if !crate::policy::same_host(&self.host_url, host_url) {
            return Err(NotResumed::OtherHost(self.host_url.clone()));
        }
        if self.token_expires_at <= now_millis {
            return Err(NotResumed::Expired);
        }
        Ok(())
    }

    /// The pointer the app joins with, as if the host had just answered. The queue figures are
    /// unknown until the welcome, which comes within moments.
    pub fn pointer(&self) -> SharePointer {
        SharePointer {
            session_id: self.session_id.clone(),
            site_url: self.site_url.clone(),
            ws_url: self.ws_url.clone(),
            participant_token: self.participant_token.clone(),
            token_expires_at: self.token_expires_at,
            queue_position: 0,
            estimated_wait_secs: 0,
            experts_on_duty: 0,
        }
    }

    /// As kept in the keychain.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// From the keychain.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointer() -> SharePointer {
        SharePointer {
            session_id: "s1".into(),
            site_url: "https://help.example.com/s/s1".into(),
            ws_url: "wss://help.example.com/api/v1/ws".into(),
            participant_token: "tok".into(),
            token_expires_at: 1_000,
            queue_position: 3,
            estimated_wait_secs: 60,
            experts_on_duty: 1,
        }
    }

    #[test]
    fn kept_and_read_back_it_is_the_same_session() {
        let kept = LiveSession::new(
            "https://help.example.com",
            &pointer(),
            "email",
            Some("sync"),
        );
        let back = LiveSession::from_json(&kept.to_json()).unwrap();
        assert_eq!(back, kept);
        let p = back.pointer();
        assert_eq!(
            (p.session_id.as_str(), p.participant_token.as_str()),
            ("s1", "tok")
        );
        assert_eq!(p.ws_url, "wss://help.example.com/api/v1/ws");
    }

    #[test]
    fn only_a_session_on_this_host_with_a_working_token_is_joined_again() {
        let kept = LiveSession::new("https://help.example.com", &pointer(), "email", None);
        assert_eq!(kept.check("https://help.example.com/", 999), Ok(()));
        assert_eq!(
            kept.check("https://help.example.com", 1_000),
            Err(NotResumed::Expired)
        );
        assert!(matches!(
            kept.check("https://other.example.com", 10),
            Err(NotResumed::OtherHost(_))
        ));
    }

    #[test]
    fn something_else_in_the_keychain_entry_is_an_error_not_a_session() {
        assert!(LiveSession::from_json("not json").is_err());
        assert!(LiveSession::from_json("{\"session_id\":\"s1\"}").is_err());
    }
}
