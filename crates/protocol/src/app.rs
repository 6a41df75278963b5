//! Types between the desktop app's Rust side and its webview (Tauri commands and events).
//!
//! The webview never talks to the host itself: the Rust side holds the credential and the
//! session socket, and pushes the whole [`AppState`] as the `app-state` event on every change.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use crate::{ApiError, DeskOutlook, EndReason, SessionSnapshot, Topic};

/// What the app's main window shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppPhase {
    /// First run: asks for the host address and an enrolment code.
    Unenrolled,
    /// Enrolled; the Instant share button is ready.
    Idle,
    /// The share request is on its way to the host.
    Requesting,
    /// The host made the session; waiting for an expert (position, estimated wait, cancel).
    Waiting,
    /// An expert joined: the co-browse view with chat and participants.
    InSession,
    /// The session is over: a summary.
    Ended,
}

/// The app's link to the session socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// No session socket.
    Offline,
    /// Opening the socket for the first time.
    Connecting,
    /// Connected and up to date.
    Connected,
    /// The socket dropped; trying again (nothing is lost meanwhile).
    Reconnecting,
}

/// Everything the app window renders, pushed whole on every change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct AppState {
    /// Which screen.
    pub phase: AppPhase,
    /// The host this app is enrolled with (or was last told about).
    pub host_url: Option<String>,
    /// The enrolled employee's name.
    pub employee_name: Option<String>,
    /// Topics the host routes, for the picker.
    pub topics: Vec<Topic>,
    /// The current or last session.
    pub session: Option<SessionSnapshot>,
    /// The session socket.
    pub connection: ConnectionState,
    /// Why the session ended, in [`AppPhase::Ended`].
    pub end_reason: Option<EndReason>,
    /// The last error to show, in plain words; cleared by the next successful action.
    pub error: Option<ApiError>,
    /// The app's version.
    pub app_version: String,
    /// The help desk now (experts on duty and the expected wait per topic), for the idle
    /// screen; refreshed while idle. `None` until the host has answered.
    #[serde(default)]
    pub desk: Option<DeskOutlook>,
    /// What the IT department's policy file sets on this computer; `None` without one.
    #[serde(default)]
    pub policy: Option<AppPolicy>,
    /// An enrolment link the user opened, waiting for them to confirm its host (the code stays
    /// on the Rust side).
    #[serde(default)]
    pub enrolment_link: Option<PendingEnrolmentLink>,
}

/// The IT department's policy as the window shows it (the file: see the app's `policy.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct AppPolicy {
    /// Where the policy file is, to name it in messages.
    pub path: String,
    /// The help host address the policy sets, if it sets one.
    pub host_url: Option<String>,
    /// Whether the host address is locked: shown read-only, and the app refuses another.
    pub host_locked: bool,
    /// The file is there but cannot be used (`policy_invalid`): until IT fixes it the app says
    /// so and does not enrol (an existing enrolment keeps working).
    pub error: Option<ApiError>,
}

/// An enrolment link waiting for the user's yes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct PendingEnrolmentLink {
    /// The host the link would enrol this computer with (normalised).
    pub host_url: String,
}
