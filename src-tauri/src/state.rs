//! The app's state machine: `unenrolled → idle → requesting → waiting → in_session → ended`.
//!
//! Pure: it takes what happened (a command, an answer from the host, a [`SessionEvent`]) and
//! updates the [`AppState`] the window renders. The controller does the I/O around it.
//! Each share gets a generation number so that events from an earlier session's socket,
//! still draining, cannot change a later one.

use instant_share_client::SessionEvent;
use instant_share_protocol::{
    ApiError, AppPhase, AppPolicy, AppState, ConnectionState, DeskOutlook, ErrorCode,
    PendingEnrolmentLink, SessionSnapshot, SessionStatus, SharePointer, Topic,
};

/// Identifies one share request and its socket.
pub type Generation = u64;

/// What to do after the host created the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterShare {
    /// Open the session socket.
    Connect,
    /// Open it and end the session at once: the user cancelled while the request was on its way.
    ConnectAndEnd,
    /// The share is no longer current (forgotten meanwhile): drop it.
    Drop,
}

/// How to carry out an end request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndAction {
    /// Tell the session socket.
    SendEnd,
    /// The request is still on its way; it will be ended once the host answers.
    WhenCreated,
}

/// The app's state and the bookkeeping around it.
#[derive(Debug, Clone)]
pub struct AppModel {
    state: AppState,
    generation: Generation,
    cancel_requested: bool,
    /// The current share is one the app came back into after a restart, and the host has not
    /// welcomed it yet: if the host refuses it (the session ended meanwhile), the app goes back
    /// to the start screen quietly instead of showing an error about a session the user left.
    resuming: bool,
}

impl AppModel {
    /// A first-run model (unenrolled).
    pub fn new(app_version: impl Into<String>) -> Self {
        Self {
            state: AppState {
                phase: AppPhase::Unenrolled,
                host_url: None,
                employee_name: None,
                topics: Vec::new(),
                session: None,
                connection: ConnectionState::Offline,
                end_reason: None,
                error: None,
                app_version: app_version.into(),
                desk: None,
                policy: None,
                enrolment_link: None,
            },
            generation: 0,
            cancel_requested: false,
            resuming: false,
        }
    }

    /// What the window shows.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The host address to show (before enrolment: the prefill).
    pub fn set_host_url(&mut self, host_url: Option<String>) {
        self.state.host_url = host_url;
    }

    /// What the IT department's policy sets, for the window.
    pub fn set_policy(&mut self, policy: Option<AppPolicy>) {
        self.state.policy = policy;
    }

    /// An enrolment link for `host_url` waits for the user's yes; the last error goes.
    pub fn link_opened(&mut self, host_url: String) {
        self.state.enrolment_link = Some(PendingEnrolmentLink { host_url });
        self.state.error = None;
    }

    /// No enrolment link waits any more (taken or declined).
    pub fn link_closed(&mut self) {
        self.state.enrolment_link = None;
    }

    /// Enrolment worked (or a stored one was found at start).
    pub fn enrolled(&mut self, host_url: String, employee_name: Option<String>) {
        self.state.phase = AppPhase::Idle;
        self.state.host_url = Some(host_url);
        self.state.employee_name = employee_name;
        self.state.error = None;
        self.state.enrolment_link = None;
    }

    /// The topics the host routes.
    pub fn set_topics(&mut self, topics: Vec<Topic>) {
        self.state.topics = topics;
    }

    /// What the help desk looks like now.
    pub fn set_desk(&mut self, desk: DeskOutlook) {
        self.state.desk = Some(desk);
    }

    /// Whether the user may ask to be called back now: only while waiting for an expert.
    pub fn check_call_back(&self) -> Result<(), ApiError> {
        if self.state.phase == AppPhase::Waiting {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::Conflict,
                "A call back can be asked for only while waiting for an expert.",
            ))
        }
    }

    /// Shows an error until the next successful action.
    pub fn set_error(&mut self, error: ApiError) {
        self.state.error = Some(error);
    }

    /// Back to the first-run screen; any session is dropped.
    pub fn forgot(&mut self) {
        self.generation += 1;
        self.cancel_requested = false;
        self.resuming = false;
        self.state.phase = AppPhase::Unenrolled;
        self.state.employee_name = None;
        self.state.topics.clear();
        self.state.session = None;
        self.state.connection = ConnectionState::Offline;
        self.state.end_reason = None;
        self.state.error = None;
    }

    /// The user asked for a session. Allowed when idle or looking at the last summary.
    pub fn begin_share(&mut self) -> Result<Generation, ApiError> {
        match self.state.phase {
            AppPhase::Idle | AppPhase::Ended => {}
            AppPhase::Unenrolled => {
                return Err(ApiError::new(
                    ErrorCode::Unauthenticated,
                    "Enrol this computer with the help host first.",
                ))
            }
            AppPhase::Requesting | AppPhase::Waiting | AppPhase::InSession => {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    "A session is already under way.",
                ))
            }
        }
        self.generation += 1;
        self.cancel_requested = false;
        self.state.phase = AppPhase::Requesting;
        self.state.session = None;
        self.state.end_reason = None;
        self.state.error = None;
        self.state.connection = ConnectionState::Offline;
        Ok(self.generation)
    }

    /// The host created the session. Until the socket's welcome, the window shows what the
    /// pointer says (queue place and estimated wait).
    pub fn share_created(
        &mut self,
        generation: Generation,
        pointer: &SharePointer,
        topic: &str,
        note: Option<&str>,
        now_millis: u64,
    ) -> AfterShare {
        if generation != self.generation || self.state.phase != AppPhase::Requesting {
            return AfterShare::Drop;
        }
        self.state.phase = AppPhase::Waiting;
        self.state.connection = ConnectionState::Connecting;
        self.state.session = Some(SessionSnapshot {
            session_id: pointer.session_id.clone(),
            topic: topic.to_owned(),
            note: note.map(str::to_owned),
            status: if pointer.queue_position == 0 {
                SessionStatus::Offered
            } else {
                SessionStatus::Queued
            },
            end_reason: None,
            queue_position: pointer.queue_position,
            estimated_wait_secs: pointer.estimated_wait_secs,
            experts_on_duty: pointer.experts_on_duty,
            call_back_until: None,
            participants: Vec::new(),
            chat: Vec::new(),
            board: Default::default(),
            you: String::new(),
            created_at: now_millis,
        });
        if self.cancel_requested {
            AfterShare::ConnectAndEnd
        } else {
            AfterShare::Connect
        }
    }

    /// The share request failed: back to idle with the reason.
    pub fn share_failed(&mut self, generation: Generation, error: ApiError) {
        if generation != self.generation || self.state.phase != AppPhase::Requesting {
            return;
        }
        self.state.phase = AppPhase::Idle;
        self.state.error = Some(error);
    }

    /// The user wants to cancel the request or end the session.
    pub fn request_end(&mut self) -> Result<EndAction, ApiError> {
        match self.state.phase {
            AppPhase::Requesting => {
                self.cancel_requested = true;
                Ok(EndAction::WhenCreated)
            }
            AppPhase::Waiting | AppPhase::InSession => Ok(EndAction::SendEnd),
            _ => Err(ApiError::new(
                ErrorCode::Conflict,
                "There is no session to end.",
            )),
        }
    }

    /// Comes back into the session `pointer` that was live when the app last ran (it crashed
    /// or was quit mid-session): as if the share had just been created, from the start screen
    /// only. Returns the new share's generation, or `None` if the app is busy with another.
    pub fn resume(
        &mut self,
        pointer: &SharePointer,
        topic: &str,
        note: Option<&str>,
        now_millis: u64,
    ) -> Option<Generation> {
        if self.state.phase != AppPhase::Idle {
            return None;
        }
        let generation = self.begin_share().ok()?;
        if self.share_created(generation, pointer, topic, note, now_millis) != AfterShare::Connect {
            return None;
        }
        self.resuming = true;
        Some(generation)
    }

    /// Applies an event from the session socket of `generation`. Returns whether the state
    /// changed.
    pub fn on_session_event(&mut self, generation: Generation, event: SessionEvent) -> bool {
        if generation != self.generation
            || !matches!(self.state.phase, AppPhase::Waiting | AppPhase::InSession)
        {
            return false;
        }
        let before = self.state.clone();
        match event {
            // The session socket logs the refusal.
            SessionEvent::Fatal(_) if self.resuming => {
                self.resuming = false;
                self.state.phase = AppPhase::Idle;
                self.state.session = None;
                self.state.connection = ConnectionState::Offline;
            }
            SessionEvent::Snapshot(snapshot) => {
                self.resuming = false;
                self.state.phase = match snapshot.status {
                    SessionStatus::Requested | SessionStatus::Queued | SessionStatus::Offered => {
                        AppPhase::Waiting
                    }
                    SessionStatus::Active => AppPhase::InSession,
                    SessionStatus::Ended => {
                        self.state.connection = ConnectionState::Offline;
                        self.state.end_reason = snapshot.end_reason;
                        AppPhase::Ended
                    }
                };
                self.state.session = Some(*snapshot);
            }
            SessionEvent::Connection(connection) => self.state.connection = connection,
            SessionEvent::Ended(reason) => {
                self.state.phase = AppPhase::Ended;
                self.state.end_reason = Some(reason);
                self.state.connection = ConnectionState::Offline;
                if let Some(session) = &mut self.state.session {
                    session.status = SessionStatus::Ended;
                    session.end_reason = Some(reason);
                }
            }
            // The call's business, not the window state's: the controller hands them on.
            SessionEvent::Welcomed { .. }
            | SessionEvent::Signal { .. }
            | SessionEvent::Pointer { .. }
            | SessionEvent::BoardRejected { .. } => {}
            SessionEvent::Fatal(error) => {
                self.state.phase = AppPhase::Ended;
                self.state.connection = ConnectionState::Offline;
                self.state.error = Some(error);
            }
        }
        self.state != before
    }

    /// Leaves the summary for the idle screen; in any phase, clears the error.
    pub fn dismiss(&mut self) {
        self.state.error = None;
        if self.state.phase == AppPhase::Ended {
            self.generation += 1;
            self.state.phase = AppPhase::Idle;
            self.state.session = None;
            self.state.end_reason = None;
            self.state.connection = ConnectionState::Offline;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use instant_share_protocol::{EndReason, Participant, Role};

    fn enrolled() -> AppModel {
        let mut m = AppModel::new("0.1.0");
        m.enrolled("http://127.0.0.1:8080".into(), Some("Ana".into()));
        m
    }

    fn pointer(position: u32) -> SharePointer {
        SharePointer {
            session_id: "s1".into(),
            site_url: "http://127.0.0.1:8080/s/s1".into(),
            ws_url: "ws://127.0.0.1:8080/api/v1/ws".into(),
            participant_token: "tok".into(),
            token_expires_at: 10,
            queue_position: position,
            estimated_wait_secs: 60,
            experts_on_duty: 1,
        }
    }

    #[test]
    fn a_restarted_app_comes_back_into_its_session() {
        let mut m = enrolled();
        let g = m
            .resume(&pointer(0), "email", Some("sync"), 5)
            .expect("idle: resumes");
        assert_eq!(m.state().phase, AppPhase::Waiting);
        assert_eq!(m.state().session.as_ref().unwrap().topic, "email");
        assert!(m.on_session_event(
            g,
            SessionEvent::Snapshot(Box::new(snapshot(SessionStatus::Active)))
        ));
        assert_eq!(m.state().phase, AppPhase::InSession);
        // Welcomed: a refusal now is a real error, shown as for any session.
        m.on_session_event(
            g,
            SessionEvent::Fatal(ApiError::new(ErrorCode::Unauthenticated, "expired")),
        );
        assert_eq!(m.state().phase, AppPhase::Ended);
        assert!(m.state().error.is_some());
    }

    #[test]
    fn a_session_that_ended_while_the_app_was_away_leaves_it_at_the_start_quietly() {
        let mut m = enrolled();
        let g = m.resume(&pointer(0), "other", None, 5).unwrap();
        assert!(m.on_session_event(
            g,
            SessionEvent::Fatal(ApiError::new(ErrorCode::Unauthenticated, "unknown token")),
        ));
        assert_eq!(m.state().phase, AppPhase::Idle);
        assert_eq!(m.state().error, None);
        assert_eq!(m.state().session, None);
        // And a new share is a normal one.
        let g2 = m.begin_share().unwrap();
        m.share_created(g2, &pointer(1), "other", None, 6);
        m.on_session_event(
            g2,
            SessionEvent::Fatal(ApiError::new(ErrorCode::Unauthenticated, "x")),
        );
        assert_eq!(m.state().phase, AppPhase::Ended);
    }

    #[test]
    fn resuming_only_from_the_start_screen() {
        let mut m = AppModel::new("0.1.0");
        assert_eq!(
            m.resume(&pointer(0), "other", None, 5),
            None,
            "not enrolled"
        );
        let mut m = enrolled();
        m.begin_share().unwrap();
        assert_eq!(
            m.resume(&pointer(0), "other", None, 5),
            None,
            "busy with a share"
        );
        assert_eq!(m.state().phase, AppPhase::Requesting);
    }

    fn snapshot(status: SessionStatus) -> SessionSnapshot {
        SessionSnapshot {
            session_id: "s1".into(),
            topic: "other".into(),
            note: None,
            status,
            end_reason: None,
            queue_position: 1,
            estimated_wait_secs: 30,
            experts_on_duty: 1,
            call_back_until: None,
            participants: vec![Participant {
                id: "me".into(),
                role: Role::Requester,
                display_name: "Ana".into(),
                online: true,
                media: Default::default(),
                may_draw: true,
                left: false,
                in_charge: false,
            }],
            chat: vec![],
            board: Default::default(),
            you: "me".into(),
            created_at: 1,
        }
    }

    #[test]
    fn a_share_goes_through_every_phase() {
        let mut m = enrolled();
        assert_eq!(m.state().phase, AppPhase::Idle);
        let g = m.begin_share().unwrap();
        assert_eq!(m.state().phase, AppPhase::Requesting);
        assert_eq!(
            m.share_created(g, &pointer(2), "other", Some("VPN"), 5),
            AfterShare::Connect
        );
        assert_eq!(m.state().phase, AppPhase::Waiting);
        let s = m.state().session.as_ref().unwrap();
        assert_eq!((s.queue_position, s.estimated_wait_secs), (2, 60));
        assert_eq!(s.note.as_deref(), Some("VPN"));
        assert!(m.on_session_event(g, SessionEvent::Connection(ConnectionState::Connected)));
        assert!(m.on_session_event(
            g,
            SessionEvent::Snapshot(Box::new(snapshot(SessionStatus::Queued)))
        ));
        assert_eq!(m.state().phase, AppPhase::Waiting);
        assert!(m.on_session_event(
            g,
            SessionEvent::Snapshot(Box::new(snapshot(SessionStatus::Active)))
        ));
        assert_eq!(m.state().phase, AppPhase::InSession);
        assert_eq!(m.request_end(), Ok(EndAction::SendEnd));
        assert!(m.on_session_event(g, SessionEvent::Ended(EndReason::EndedByRequester)));
        assert_eq!(m.state().phase, AppPhase::Ended);
        assert_eq!(m.state().end_reason, Some(EndReason::EndedByRequester));
        assert_eq!(m.state().connection, ConnectionState::Offline);
        m.dismiss();
        assert_eq!(m.state().phase, AppPhase::Idle);
        assert!(m.state().session.is_none());
    }

    #[test]
    fn a_refused_share_returns_to_idle_with_the_reason() {
        let mut m = enrolled();
        let g = m.begin_share().unwrap();
        m.share_failed(g, ApiError::new(ErrorCode::HostUnreachable, "down"));
        assert_eq!(m.state().phase, AppPhase::Idle);
        assert_eq!(
            m.state().error.as_ref().unwrap().code,
            ErrorCode::HostUnreachable
        );
        // The next successful action clears it.
        m.begin_share().unwrap();
        assert!(m.state().error.is_none());
    }

    #[test]
    fn cancelling_while_requesting_ends_the_session_once_created() {
        let mut m = enrolled();
        let g = m.begin_share().unwrap();
        assert_eq!(m.request_end(), Ok(EndAction::WhenCreated));
        assert_eq!(
            m.share_created(g, &pointer(1), "other", None, 0),
            AfterShare::ConnectAndEnd
        );
    }

    #[test]
    fn events_of_an_earlier_share_change_nothing() {
        let mut m = enrolled();
        let old = m.begin_share().unwrap();
        m.share_created(old, &pointer(1), "other", None, 0);
        m.on_session_event(old, SessionEvent::Ended(EndReason::Cancelled));
        m.dismiss();
        let new = m.begin_share().unwrap();
        m.share_created(new, &pointer(3), "email", None, 0);
        assert!(!m.on_session_event(
            old,
            SessionEvent::Snapshot(Box::new(snapshot(SessionStatus::Active)))
        ));
        assert!(!m.on_session_event(old, SessionEvent::Ended(EndReason::IdleTimeout)));
        assert_eq!(m.state().phase, AppPhase::Waiting);
        assert_eq!(m.state().session.as_ref().unwrap().topic, "email");
        // A late answer for a share that was forgotten meanwhile is dropped too.
        m.forgot();
        assert_eq!(
            m.share_created(new, &pointer(1), "x", None, 0),
            AfterShare::Drop
        );
        assert_eq!(m.state().phase, AppPhase::Unenrolled);
    }

    #[test]
    fn only_one_session_at_a_time_and_only_when_enrolled() {
        let mut first = AppModel::new("0.1.0");
        assert_eq!(
            first.begin_share().unwrap_err().code,
            ErrorCode::Unauthenticated
        );
        let mut m = enrolled();
        m.begin_share().unwrap();
        assert_eq!(m.begin_share().unwrap_err().code, ErrorCode::Conflict);
        assert_eq!(
            enrolled().request_end().unwrap_err().code,
            ErrorCode::Conflict
        );
    }

    #[test]
    fn a_refused_token_ends_with_the_error_shown() {
        let mut m = enrolled();
        let g = m.begin_share().unwrap();
        m.share_created(g, &pointer(1), "other", None, 0);
        m.on_session_event(
            g,
            SessionEvent::Fatal(ApiError::new(ErrorCode::Unauthenticated, "expired")),
        );
        assert_eq!(m.state().phase, AppPhase::Ended);
        assert_eq!(
            m.state().error.as_ref().unwrap().code,
            ErrorCode::Unauthenticated
        );
        m.dismiss();
        assert_eq!(m.state().phase, AppPhase::Idle);
        assert!(m.state().error.is_none());
    }

    #[test]
    fn an_ended_snapshot_ends_the_session() {
        let mut m = enrolled();
        let g = m.begin_share().unwrap();
        m.share_created(g, &pointer(1), "other", None, 0);
        let mut ended = snapshot(SessionStatus::Ended);
        ended.end_reason = Some(EndReason::NoExpertAvailable);
        m.on_session_event(g, SessionEvent::Snapshot(Box::new(ended)));
        assert_eq!(m.state().phase, AppPhase::Ended);
        assert_eq!(m.state().end_reason, Some(EndReason::NoExpertAvailable));
    }

    #[test]
    fn an_enrolment_link_waits_until_taken_declined_or_enrolled() {
        let mut m = AppModel::new("1");
        m.set_error(ApiError::new(ErrorCode::Conflict, "old"));
        m.link_opened("https://help.example.com".into());
        assert_eq!(
            m.state()
                .enrolment_link
                .as_ref()
                .map(|l| l.host_url.as_str()),
            Some("https://help.example.com")
        );
        assert_eq!(m.state().error, None, "a new link clears the last error");
        m.link_closed();
        assert_eq!(m.state().enrolment_link, None);
        m.link_opened("https://help.example.com".into());
        m.enrolled("https://help.example.com".into(), Some("Ana".into()));
        assert_eq!(m.state().enrolment_link, None);
    }
}
