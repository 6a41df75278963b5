//! The host's records, behind [`Store`]: SQLite now ([`sqlite::SqliteStore`]), PostgreSQL later.
//!
//! Live state (who is connected, what rings) is in memory; the store keeps what must survive
//! a restart: experts and their logins, enrolment codes, devices, and every session with its
//! transitions, participants and event log. Session writes go through [`Store::apply`], one
//! transaction per batch, in the order the host made them.

pub mod sqlite;

use async_trait::async_trait;
use instant_share_protocol::{EndReason, Role, SessionStatus, UnixMillis};

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value (user name, …) is taken.
    #[error("already exists: {0}")]
    Conflict(String),
    /// The database failed.
    #[error("database: {0}")]
    Backend(String),
}

/// SHA-256 of a secret; the store never sees secrets themselves.
pub type SecretHash = [u8; 32];

/// An expert account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpertRecord {
    /// Identifier.
    pub id: String,
    /// Sign-in name.
    pub username: String,
    /// Name shown to requesters.
    pub display_name: String,
    /// Argon2 PHC string.
    pub password_hash: String,
    /// Topic ids.
    pub skills: Vec<String>,
}

/// An enrolled device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// Identifier.
    pub id: String,
    /// The name the device gave itself.
    pub name: String,
    /// Whose device it is.
    pub employee_name: String,
    /// When an administrator revoked it.
    pub revoked_at: Option<UnixMillis>,
}

/// Why an enrolment code could not be redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedeemRefusal {
    /// No such code, or it expired.
    Invalid,
    /// Already used.
    Used,
}

/// A session's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Identifier.
    pub id: String,
    /// Topic id.
    pub topic: String,
    /// Requester's note.
    pub note: Option<String>,
    /// The requesting device.
    pub device_id: String,
    /// The requester's name.
    pub requester_name: String,
    /// App and OS of the requester.
    pub client: String,
    /// When it was requested.
    pub created_at: UnixMillis,
    /// Current status.
    pub status: SessionStatus,
    /// Why it ended.
    pub end_reason: Option<EndReason>,
    /// The expert who accepted.
    pub expert_id: Option<String>,
}

/// A participant of a session with their token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantRecord {
    /// The session.
    pub session_id: String,
    /// Participant id within the session.
    pub id: String,
    /// Their part.
    pub role: Role,
    /// Name shown.
    pub display_name: String,
    /// SHA-256 of their token.
    pub token_hash: SecretHash,
    /// When the token stops working.
    pub expires_at: UnixMillis,
    /// May draw on the board (the requester and the expert always may; a guest if invited so).
    pub may_draw: bool,
    /// The expert account of an expert participant.
    pub expert_id: Option<String>,
}

/// One stored session event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// The session.
    pub session_id: String,
    /// Sequence number within the session, from 1.
    pub seq: u64,
    /// The `ServerMessage` as JSON.
    pub body: String,
    /// When it happened.
    pub at: UnixMillis,
}

/// A change to session records, applied in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// A new session (status `requested`).
    CreateSession(SessionRecord),
    /// A status change, recorded with its time.
    Transition {
        /// The session.
        session_id: String,
        /// The new status.
        status: SessionStatus,
        /// End reason or expert id, for the record.
        detail: Option<String>,
        /// When.
        at: UnixMillis,
        /// The expert, when the session became active.
        expert_id: Option<String>,
        /// The reason, when it ended.
        end_reason: Option<EndReason>,
    },
    /// Someone joined.
    AddParticipant(ParticipantRecord),
    /// A session event.
    AppendEvent(EventRecord),
    /// How the expert came to a session that just became live.
    Pickup {
        /// The session.
        session_id: String,
        /// `offer`, `queue` or `queue_override`.
        pickup: &'static str,
    },
}

/// When a recent session was offered, joined and ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentSession {
    /// When the expert joined.
    pub active_at: UnixMillis,
    /// When its last ring before that started (none when taken from the queue).
    pub offered_at: Option<UnixMillis>,
    /// When it ended, and why (none while live).
    pub ended: Option<(UnixMillis, EndReason)>,
}

/// One session as the operator's report reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// The session.
    pub session_id: String,
    /// Its topic.
    pub topic: String,
    /// The user name of the expert who joined it first (none if nobody did).
    pub expert: Option<String>,
    /// When it was requested.
    pub created_at: UnixMillis,
    /// When the first expert joined.
    pub active_at: Option<UnixMillis>,
    /// When it ended.
    pub ended_at: Option<UnixMillis>,
    /// Why it ended.
    pub end_reason: Option<EndReason>,
    /// How the expert came to it: `offer`, `queue` or `queue_override`.
    pub pickup: Option<String>,
    /// The employee's answer to "did this solve it?".
    pub solved: Option<bool>,
    /// The employee's rating, 1 to 5.
    pub rating: Option<u8>,
    /// The outcome the first expert recorded.
    pub outcome: Option<instant_share_protocol::Outcome>,
}

/// A session that was not over when the host stopped.
#[derive(Debug, Clone)]
pub struct OpenSession {
    /// Its row.
    pub record: SessionRecord,
    /// Its participants, in order of joining.
    pub participants: Vec<ParticipantRecord>,
    /// Its events, in order.
    pub events: Vec<EventRecord>,
}

/// The host's persistent records.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Adds an expert; `Conflict` when the user name is taken.
    async fn add_expert(&self, expert: &ExpertRecord, now: UnixMillis) -> Result<(), StoreError>;
    /// Finds an expert by sign-in name.
    async fn expert_by_username(&self, username: &str) -> Result<Option<ExpertRecord>, StoreError>;
    /// Every expert.
    async fn experts(&self) -> Result<Vec<ExpertRecord>, StoreError>;
    /// Remembers a console login (cookie).
    async fn add_login(
        &self,
        token: &SecretHash,
        expert_id: &str,
        expires_at: UnixMillis,
    ) -> Result<(), StoreError>;
    /// The expert a console login belongs to, if it has not expired.
    async fn expert_by_login(
        &self,
        token: &SecretHash,
        now: UnixMillis,
    ) -> Result<Option<ExpertRecord>, StoreError>;
    /// Forgets a console login.
    async fn remove_login(&self, token: &SecretHash) -> Result<(), StoreError>;
    /// Stores a new enrolment code.
    async fn add_enrolment_code(
        &self,
        code: &SecretHash,
        employee_name: &str,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> Result<(), StoreError>;
    /// Uses an enrolment code once, creating the device, atomically. Returns the employee's name.
    async fn redeem_enrolment_code(
        &self,
        code: &SecretHash,
        now: UnixMillis,
        device_id: &str,
        device_name: &str,
        credential: &SecretHash,
    ) -> Result<Result<String, RedeemRefusal>, StoreError>;
    /// The device a credential belongs to.
    async fn device_by_credential(
        &self,
        credential: &SecretHash,
    ) -> Result<Option<DeviceRecord>, StoreError>;
    /// Revokes a device; false when there is no such device.
    async fn revoke_device(&self, device_id: &str, now: UnixMillis) -> Result<bool, StoreError>;
    /// Applies session writes in one transaction, in order.
    async fn apply(&self, writes: &[Write]) -> Result<(), StoreError>;
    /// Every session not yet ended, with its participants and events.
    async fn open_sessions(&self) -> Result<Vec<OpenSession>, StoreError>;
    /// The most recent `limit` sessions an expert joined, oldest first: what the desk's
    /// figures (session length, time to answer) are seeded from at start.
    async fn recent_sessions(&self, limit: u32) -> Result<Vec<RecentSession>, StoreError>;
    /// The participant a token belongs to in `session_id` (also after the session ended, and
    /// after a restart), unless it expired or was revoked; with the session's status.
    async fn participant_by_token(
        &self,
        session_id: &str,
        token: &SecretHash,
        now: UnixMillis,
    ) -> Result<Option<(ParticipantRecord, SessionStatus)>, StoreError>;
    /// Keeps the requester's feedback on a session (replacing an earlier one).
    async fn save_feedback(
        &self,
        session_id: &str,
        feedback: &instant_share_protocol::Feedback,
        at: UnixMillis,
    ) -> Result<(), StoreError>;
    /// Keeps an expert's wrap-up of a session (replacing their earlier one).
    async fn save_wrap_up(
        &self,
        session_id: &str,
        expert_id: &str,
        wrap_up: &instant_share_protocol::WrapUp,
        at: UnixMillis,
    ) -> Result<(), StoreError>;
    /// Every session requested since `since`, as the operator's report reads it, oldest first.
    async fn report(&self, since: UnixMillis) -> Result<Vec<ReportRow>, StoreError>;
    /// A session's transitions: `(status, detail, at)`, oldest first.
    async fn transitions(
        &self,
        session_id: &str,
    ) -> Result<Vec<(SessionStatus, Option<String>, UnixMillis)>, StoreError>;
}

/// The wire name of a unit enum (status, reason, role), as stored.
pub(crate) fn enum_name<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The unit enum a stored name means.
pub(crate) fn parse_enum<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| StoreError::Backend(format!("unknown value {s:?} in the database")))
}
