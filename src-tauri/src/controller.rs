//! Carries out what the user asks (commands, tray, shortcut): talks to the host through
//! `instant-share-client`, keeps the credential in the keychain, feeds [`AppModel`] and pushes
//! every new [`AppState`] to the window as the `app-state` event.

use std::sync::{Arc, Mutex, MutexGuard};

use instant_share_client::{HostClient, SessionConnection, SessionHandle};
use instant_share_protocol::link::EnrolmentLink;
use instant_share_protocol::{
    ApiError, AppPhase, AppState, ErrorCode, Feedback, SharePointer, ShareRequest, MAX_NOTE_CHARS,
};
use tauri::AppHandle;

use crate::config::{host_url_override, Config, ConfigFile};
use crate::credentials::Keychain;
use crate::media::Calls;
use crate::policy::{same_host, PolicyStatus};
use crate::resume::LiveSession;
use crate::state::{AfterShare, AppModel, EndAction, Generation};
use crate::system;

/// How often the idle screen's picture of the help desk is brought up to date.
const DESK_REFRESH: std::time::Duration = std::time::Duration::from_secs(30);

/// How long the window shows "You will be called back" before it goes to the tray.
const CALL_BACK_HIDE_AFTER: std::time::Duration = std::time::Duration::from_millis(1500);

/// The topic of a share started from the tray or the shortcut.
pub const QUICK_SHARE_TOPIC: &str = "other";

/// The app's one controller, managed by Tauri.
#[derive(Clone)]
pub struct Controller {
    inner: Arc<Mutex<Inner>>,
    app: AppHandle,
    config_file: ConfigFile,
    keychain: Keychain,
    calls: Calls,
    /// The IT department's policy, read once at start.
    policy: Arc<PolicyStatus>,
}

struct Inner {
    model: AppModel,
    config: Config,
    session: Option<SessionHandle>,
    /// The live session's address and this participant's token, for its pictures.
    participant: Option<Participation>,
    /// An enrolment link waiting for the user's yes (its code never goes to the window).
    pending_link: Option<EnrolmentLink>,
}

/// What it takes to fetch and share a session's pictures over HTTP.
#[derive(Debug, Clone)]
pub struct Participation {
    /// The host.
    pub host: HostClient,
    /// The session.
    pub session_id: String,
    /// This participant's token.
    pub token: String,
}

impl Controller {
    /// A controller with the remembered settings under the IT department's `policy`; call
    /// [`Controller::start`] next. Each session's socket also feeds `calls`.
    pub fn new(
        app: AppHandle,
        config_file: ConfigFile,
        calls: Calls,
        policy: PolicyStatus,
    ) -> Self {
        let config = config_file.load().unwrap_or_else(|e| {
            tracing::warn!(path = %config_file.path().display(), error = %e,
                "cannot read the settings; starting unenrolled");
            Config::default()
        });
        let mut model = AppModel::new(app.package_info().version.to_string());
        // The policy's host wins over the test prefill and over the address last used.
        model.set_host_url(policy.prefill(host_url_override().or_else(|| config.host_url.clone())));
        model.set_policy(policy.to_app());
        Self {
            inner: Arc::new(Mutex::new(Inner {
                model,
                config,
                session: None,
                participant: None,
                pending_link: None,
            })),
            app,
            config_file,
            keychain: Keychain,
            calls,
            policy: Arc::new(policy),
        }
    }

    /// Finds a stored enrolment and loads the topics.
    pub async fn start(&self) {
        let keychain = self.keychain;
        match blocking(move || keychain.check()).await {
            Ok(()) => tracing::info!("OS keychain available"),
            Err(e) => tracing::warn!(error = %e, "OS keychain unavailable; enrolment will fail"),
        }
        let (device_id, host_url, employee) = {
            let inner = self.lock();
            (
                inner.config.device_id.clone(),
                inner.config.host_url.clone(),
                inner.config.employee_name.clone(),
            )
        };
        let (Some(device_id), Some(host_url)) = (device_id, host_url) else {
            return;
        };
        if !self.policy.allows_stored(&host_url) {
            self.drop_enrolment_for_policy(&host_url).await;
            return;
        }
        match self.credential(&device_id).await {
            Ok(Some(_)) => {
                tracing::info!(%host_url, %device_id, "enrolled");
                self.update(|m| m.enrolled(host_url.clone(), employee));
                self.come_back(&device_id, &host_url).await;
                self.refresh_topics(&host_url).await;
                self.refresh_desk().await;
            }
            Ok(None) => tracing::warn!(%device_id, "the keychain has no credential; enrol again"),
            Err(error) => self.update(|m| m.set_error(error)),
        }
    }

    /// The state now.
    pub fn state(&self) -> AppState {
        self.lock().model.state().clone()
    }

    /// Enrols this computer with a host.
    pub async fn enrol(
        &self,
        host_url: String,
        code: String,
        device_name: Option<String>,
    ) -> Result<AppState, ApiError> {
        if self.lock().model.state().phase != AppPhase::Unenrolled {
            return self.fail(ApiError::new(
                ErrorCode::Conflict,
                "This computer is already enrolled. Forget the enrolment first.",
            ));
        }
        let client = match HostClient::new(&host_url) {
            Ok(client) => client,
            Err(e) => return self.fail(e.into()),
        };
        let host_url = client.base_url().as_str().trim_end_matches('/').to_owned();
        // Here, not only in the window: a locked host cannot be changed by any caller.
        if let Err(e) = self.policy.check_enrol(&host_url) {
            tracing::warn!(%host_url, error = %e.message, "enrolment refused by the policy");
            return self.fail(e);
        }
        let device_name = device_name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(system::device_name);
        // Before the one-time code is spent: without a keychain the credential has nowhere to go.
        let keychain = self.keychain;
        if let Err(e) = blocking(move || keychain.check()).await {
            return self.fail(e);
        }
        let enrolment = match client.enrol(&code, &device_name).await {
            Ok(enrolment) => enrolment,
            Err(e) => return self.fail(e.into()),
        };
        let (id, secret) = (enrolment.device_id.clone(), enrolment.credential.clone());
        if let Err(e) = blocking(move || keychain.set(&id, &secret)).await {
            return self.fail(e);
        }
        let config = {
            let mut inner = self.lock();
            inner.config.host_url = Some(host_url.clone());
            inner.config.device_id = Some(enrolment.device_id.clone());
            inner.config.employee_name = Some(enrolment.employee_name.clone());
            inner.config.clone()
        };
        if let Err(e) = self.config_file.save(&config) {
            tracing::error!(error = %e, "cannot save the settings");
            return self.fail(ApiError::new(
                ErrorCode::Internal,
                format!("The app could not save its settings: {e}."),
            ));
        }
        tracing::info!(%host_url, device_id = %enrolment.device_id, "enrolled");
        self.update(|m| m.enrolled(host_url.clone(), Some(enrolment.employee_name)));
        self.refresh_topics(&host_url).await;
        self.refresh_desk().await;
        Ok(self.state())
    }

    /// An enrolment link was opened (a cold start with it, a second launch, or the OS handing
    /// it over): checks it and, if it can be used, asks the user to confirm its host. Nothing
    /// is sent before the user says yes; a link that cannot be used says why in the window.
    pub fn open_link(&self, raw: &str) {
        match self.check_link(raw) {
            Ok(link) => {
                // The host is logged; the code, a secret, is not.
                tracing::info!(host = %link.host_url, "enrolment link opened; asking the user to confirm");
                let host_url = link.host_url.clone();
                self.lock().pending_link = Some(link);
                self.update(|m| m.link_opened(host_url));
            }
            Err(error) => {
                tracing::warn!(error = %error.message, "enrolment link refused");
                self.update(|m| m.set_error(error));
            }
        }
        crate::tray::bring_forward(&self.app);
    }

    fn check_link(&self, raw: &str) -> Result<EnrolmentLink, ApiError> {
        let link = EnrolmentLink::parse(raw).map_err(|e| {
            ApiError::new(
                ErrorCode::EnrolmentLinkRefused,
                format!("This enrolment link cannot be used: {e} Ask your IT department for a new link."),
            )
        })?;
        let state = self.state();
        if state.phase != AppPhase::Unenrolled {
            let current = state.host_url.unwrap_or_else(|| "a help host".into());
            let message = if same_host(&current, &link.host_url) {
                format!("This computer is already connected to {current}; the enrolment link is not needed.")
            } else {
                format!(
                    "This computer is already connected to {current}. To use the enrolment link for {}, choose \"Disconnect this computer\" first, then open the link again.",
                    link.host_url
                )
            };
            return Err(ApiError::new(ErrorCode::EnrolmentLinkRefused, message));
        }
        self.policy.check_enrol(&link.host_url).map_err(|e| match self.policy.locked_host() {
            Some(locked) => ApiError::new(
                ErrorCode::SetByPolicy,
                format!(
                    "This enrolment link is for {}, but your IT department set this computer's help host to {locked}. Ask your IT department for a link to {locked}.",
                    link.host_url
                ),
            ),
            None => e,
        })?;
        Ok(link)
    }

    /// The user confirmed the enrolment link's host: enrols with its code.
    pub async fn accept_enrolment_link(&self) -> Result<AppState, ApiError> {
        let link = self.lock().pending_link.take();
        self.update(|m| m.link_closed());
        let Some(link) = link else {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "There is no enrolment link waiting; open the link again.",
            ));
        };
        self.enrol(link.host_url, link.code, None).await
    }

    /// The user did not want the enrolment link.
    pub fn decline_enrolment_link(&self) -> AppState {
        if self.lock().pending_link.take().is_some() {
            tracing::info!("enrolment link declined");
        }
        self.update(|m| m.link_closed());
        self.state()
    }

    /// A locked policy names another host than the stored enrolment's: that enrolment no
    /// longer counts. Its credential is removed and the user is told to enrol again.
    async fn drop_enrolment_for_policy(&self, stored_host: &str) {
        let locked = self.policy.locked_host().unwrap_or_default().to_owned();
        tracing::warn!(%stored_host, policy_host = %locked,
            "the policy locks another help host; the stored enrolment is dropped");
        self.forget_stored_enrolment().await;
        self.update(|m| {
            m.forgot();
            m.set_host_url(Some(locked.clone()));
            m.set_error(ApiError::new(
                ErrorCode::SetByPolicy,
                format!(
                    "Your IT department set this computer's help host to {locked}, so the connection to {stored_host} was removed. Connect again with an enrolment code for {locked}."
                ),
            ));
        });
    }

    /// Asks the host for a session and joins it.
    pub async fn start_share(
        &self,
        topic: String,
        note: Option<String>,
    ) -> Result<AppState, ApiError> {
        let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
        {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("The note can have at most {MAX_NOTE_CHARS} characters."),
            ));
        }
        let (generation, host_url, device_id) = {
            let mut inner = self.lock();
            let generation = inner.model.begin_share()?;
            (
                generation,
                inner.config.host_url.clone().unwrap_or_default(),
                inner.config.device_id.clone().unwrap_or_default(),
            )
        };
        self.publish();
        let pointer = match self
            .request_share(&host_url, &device_id, &topic, note.clone())
            .await
        {
            Ok(pointer) => pointer,
            Err(error) => {
                if matches!(
                    error.code,
                    ErrorCode::Unauthenticated | ErrorCode::DeviceRevoked
                ) {
                    // The host no longer knows this device: enrolling again is the way out.
                    self.forget_credential().await;
                    self.update(|m| {
                        m.forgot();
                        m.set_error(error.clone());
                    });
                } else {
                    self.update(|m| m.share_failed(generation, error.clone()));
                }
                return Err(error);
            }
        };
        let after = self.lock().model.share_created(
            generation,
            &pointer,
            &topic,
            note.as_deref(),
            now_millis(),
        );
        if after != AfterShare::Drop {
            self.open_session(
                generation,
                &pointer,
                &host_url,
                after == AfterShare::ConnectAndEnd,
            );
        }
        if after == AfterShare::Connect {
            // Kept until it ends, so that a restarted app comes back into it.
            let kept = LiveSession::new(&host_url, &pointer, &topic, note.as_deref());
            self.keep_live_session(&device_id, kept);
        }
        tracing::info!(session = %pointer.session_id, ?after, "share created");
        self.publish();
        Ok(self.state())
    }

    /// Opens the socket of the session `pointer` for share `generation` (closing an older
    /// one), starts its calls unless it is ended at once, and feeds its events.
    fn open_session(
        &self,
        generation: Generation,
        pointer: &SharePointer,
        host_url: &str,
        end_at_once: bool,
    ) {
        let (handle, events) =
            SessionConnection::spawn(pointer.ws_url.clone(), pointer.participant_token.clone());
        if end_at_once {
            let _ = handle.end_session();
        }
        {
            let mut inner = self.lock();
            if let Some(old) = inner.session.replace(handle.clone()) {
                old.close();
            }
            inner.participant = HostClient::new(host_url).ok().map(|host| Participation {
                host,
                session_id: pointer.session_id.clone(),
                token: pointer.participant_token.clone(),
            });
        }
        // Outside the lock: the calls talk to the window, whose commands wait for this lock on
        // the main thread. The calls start before the events flow (they buffer meanwhile), so
        // the engine sees the welcome and the first snapshot.
        if !end_at_once {
            self.calls.start(generation, handle, &pointer.ws_url);
        }
        self.forward(generation, events);
    }

    /// Joins the session kept from the app's last run, if it was live when the app stopped
    /// (a crash, a quit): no press needed. One that cannot be joined is forgotten; one the
    /// host says is over leaves the app on the start screen (see `AppModel::resume`).
    async fn come_back(&self, device_id: &str, host_url: &str) {
        let keychain = self.keychain;
        let id = device_id.to_owned();
        let kept = match blocking(move || keychain.live_session(&id)).await {
            Ok(Some(kept)) => kept,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, "cannot read the kept session; not coming back to it");
                return;
            }
        };
        let session = match LiveSession::from_json(&kept) {
            Ok(session) => session,
            Err(error) => {
                tracing::warn!(%error, "the kept session is unreadable; forgetting it");
                self.forget_live_session(device_id);
                return;
            }
        };
        if let Err(why) = session.check(host_url, now_millis()) {
            tracing::info!(session = %session.session_id, %why, "not coming back to the kept session");
            self.forget_live_session(device_id);
            return;
        }
        let pointer = session.pointer();
        let generation = self.lock().model.resume(
            &pointer,
            &session.topic,
            session.note.as_deref(),
            now_millis(),
        );
        let Some(generation) = generation else { return };
        tracing::info!(session = %session.session_id, "coming back into the session the app left");
        self.publish();
        self.open_session(generation, &pointer, host_url, false);
    }

    /// Keeps `session` in the keychain, off the caller's thread (a D-Bus round trip).
    fn keep_live_session(&self, device_id: &str, session: LiveSession) {
        let keychain = self.keychain;
        let id = device_id.to_owned();
        tauri::async_runtime::spawn(async move {
            let json = session.to_json();
            if let Err(error) = blocking(move || keychain.keep_live_session(&id, &json)).await {
                tracing::warn!(%error, "cannot keep the session; a restarted app will not come back to it");
            }
        });
    }

    /// Forgets the kept session, off the caller's thread.
    fn forget_live_session(&self, device_id: &str) {
        let keychain = self.keychain;
        let id = device_id.to_owned();
        tauri::async_runtime::spawn(async move {
            if let Err(error) = blocking(move || keychain.forget_live_session(&id)).await {
                tracing::warn!(%error, "cannot forget the kept session");
            }
        });
    }

    /// Cancels the request or ends the session.
    pub fn end_session(&self) -> Result<AppState, ApiError> {
        let result = {
            let mut inner = self.lock();
            match inner.model.request_end() {
                Ok(EndAction::SendEnd) => match &inner.session {
                    Some(handle) => handle.end_session().map_err(ApiError::from),
                    None => Err(ApiError::new(
                        ErrorCode::Conflict,
                        "There is no session to end.",
                    )),
                },
                Ok(EndAction::WhenCreated) => Ok(()),
                Err(e) => Err(e),
            }
        };
        result?;
        Ok(self.state())
    }

    /// Sends a chat message in the session.
    pub fn send_chat(&self, text: &str) -> Result<(), ApiError> {
        let inner = self.lock();
        if inner.model.state().phase != AppPhase::InSession {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "There is no live session to chat in.",
            ));
        }
        match &inner.session {
            Some(handle) => handle.send_chat(text).map(|_| ()).map_err(ApiError::from),
            None => Err(ApiError::new(
                ErrorCode::Conflict,
                "There is no live session to chat in.",
            )),
        }
    }

    /// Leaves the summary; clears the error.
    pub fn dismiss(&self) -> AppState {
        self.update(|m| m.dismiss());
        let this = self.clone();
        tauri::async_runtime::spawn(async move { this.refresh_desk().await });
        self.state()
    }

    /// While waiting: the user would rather be called back. The request waits for hours, the
    /// window goes to the tray, and comes forward when an expert joins.
    pub fn call_back(&self) -> Result<AppState, ApiError> {
        {
            let inner = self.lock();
            inner.model.check_call_back()?;
            match &inner.session {
                Some(handle) => handle.call_back().map_err(ApiError::from)?,
                None => {
                    return Err(ApiError::new(
                        ErrorCode::Conflict,
                        "There is no request waiting.",
                    ))
                }
            }
        }
        tracing::info!("the user asked to be called back");
        // The window first says so (the host's answer comes within moments), then goes to the
        // tray; it comes forward again when an expert joins.
        let app = self.app.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(CALL_BACK_HIDE_AFTER).await;
            crate::tray::hide_main_window(&app);
        });
        Ok(self.state())
    }

    /// The employee's word on the session that just ended.
    pub async fn send_feedback(&self, feedback: Feedback) -> Result<(), ApiError> {
        let p = {
            let inner = self.lock();
            if inner.model.state().phase != AppPhase::Ended {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    "Feedback is asked for once the session has ended.",
                ));
            }
            inner.participant.clone()
        };
        let p = p.ok_or_else(|| ApiError::new(ErrorCode::Conflict, "There is no session."))?;
        p.host
            .feedback(&p.session_id, &p.token, &feedback)
            .await
            .map_err(ApiError::from)?;
        tracing::info!(session = p.session_id, solved = feedback.solved, rating = ?feedback.rating, "feedback sent");
        Ok(())
    }

    /// Keeps the idle screen's picture of the help desk current while someone can see it:
    /// idle (or on the summary) with the window on the screen. A window in the tray asks the
    /// keychain and the host nothing; showing it brings the picture up to date at once.
    pub fn watch_desk(&self) {
        let this = self.clone();
        tauri::async_runtime::spawn(async move {
            loop {
                tokio::time::sleep(DESK_REFRESH).await;
                let phase = this.lock().model.state().phase;
                if matches!(phase, AppPhase::Idle | AppPhase::Ended)
                    && crate::tray::main_window_shown(&this.app)
                {
                    this.refresh_desk().await;
                }
            }
        });
    }

    /// The window came back on the screen: the idle screen's picture may be old.
    pub fn window_shown(&self) {
        let phase = self.lock().model.state().phase;
        if matches!(phase, AppPhase::Idle | AppPhase::Ended) {
            let this = self.clone();
            tauri::async_runtime::spawn(async move { this.refresh_desk().await });
        }
    }

    /// Asks the host what the help desk looks like now. Quietly: a failure leaves the last
    /// picture (or none), and the share button says nothing it does not know.
    async fn refresh_desk(&self) {
        let Some((host_url, credential)) = self.host_credential().await else {
            return;
        };
        let result = match HostClient::new(&host_url) {
            Ok(client) => client.desk(&credential).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(desk) => self.update(|m| m.set_desk(desk)),
            Err(e) => tracing::debug!(error = %e, "cannot read the help desk"),
        }
    }

    /// The enrolled host's address and this device's credential, for requests outside a
    /// session (the desk, updates); `None` when not enrolled or the keychain does not answer.
    pub async fn host_credential(&self) -> Option<(String, String)> {
        let (host_url, device_id) = {
            let inner = self.lock();
            (
                inner.config.host_url.clone(),
                inner.config.device_id.clone(),
            )
        };
        let (host_url, device_id) = (host_url?, device_id?);
        match self.credential(&device_id).await {
            Ok(Some(credential)) => Some((host_url, credential)),
            Ok(None) => None,
            Err(e) => {
                tracing::debug!(error = %e, "the credential cannot be read");
                None
            }
        }
    }

    /// Whether a request or a session is under way (nothing may restart the app then).
    /// Why the app must not update itself, when the IT policy turns its updates off.
    pub fn updates_off(&self) -> Option<&'static str> {
        self.policy.updates_off()
    }

    pub fn busy(&self) -> bool {
        matches!(
            self.lock().model.state().phase,
            AppPhase::Requesting | AppPhase::Waiting | AppPhase::InSession
        )
    }

    /// Forgets the enrolment: closes any session, removes the credential and the device id.
    pub async fn forget_enrolment(&self) -> Result<AppState, ApiError> {
        if let Some(handle) = self.lock().session.take() {
            handle.close();
        }
        self.calls.stop(None);
        self.forget_stored_enrolment().await;
        self.update(|m| m.forgot());
        Ok(self.state())
    }

    /// The tray's and the shortcut's Instant share: a share about "something else" if idle.
    pub async fn quick_share(&self) {
        let phase = self.lock().model.state().phase;
        if matches!(phase, AppPhase::Idle | AppPhase::Ended) {
            if let Err(e) = self.start_share(QUICK_SHARE_TOPIC.to_owned(), None).await {
                tracing::warn!(error = %e, "quick share failed");
            }
        }
    }

    async fn request_share(
        &self,
        host_url: &str,
        device_id: &str,
        topic: &str,
        note: Option<String>,
    ) -> Result<instant_share_protocol::SharePointer, ApiError> {
        let client = HostClient::new(host_url).map_err(ApiError::from)?;
        let credential = self.credential(device_id).await?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "This computer's sign-in is missing from the keychain. Enrol again.",
            )
        })?;
        if self.lock().model.state().topics.is_empty() {
            self.refresh_topics(host_url).await;
        }
        let request = ShareRequest {
            topic: topic.to_owned(),
            note,
            app_version: self.app.package_info().version.to_string(),
            os_version: system::os_version(),
        };
        client
            .share(&credential, &request)
            .await
            .map_err(ApiError::from)
    }

    async fn credential(&self, device_id: &str) -> Result<Option<String>, ApiError> {
        let keychain = self.keychain;
        let device_id = device_id.to_owned();
        blocking(move || keychain.get(&device_id)).await
    }

    /// Removes the credential from the keychain and the device id from the saved settings.
    async fn forget_stored_enrolment(&self) {
        self.forget_credential().await;
        let config = {
            let mut inner = self.lock();
            inner.config.forget_enrolment();
            inner.config.clone()
        };
        if let Err(e) = self.config_file.save(&config) {
            tracing::warn!(error = %e, "cannot save the settings");
        }
    }

    async fn forget_credential(&self) {
        let device_id = self.lock().config.device_id.clone();
        if let Some(device_id) = device_id {
            let keychain = self.keychain;
            let result = blocking(move || {
                keychain.forget_live_session(&device_id)?;
                keychain.delete(&device_id)
            })
            .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "cannot remove the credential");
            }
        }
    }

    async fn refresh_topics(&self, host_url: &str) {
        let result = match HostClient::new(host_url) {
            Ok(client) => client.topics().await,
            Err(e) => Err(e),
        };
        match result {
            Ok(topics) => self.update(|m| m.set_topics(topics)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot load the topics");
                self.update(|m| m.set_error(e.into()));
            }
        }
    }

    /// Feeds the session task's events into the calls and the model.
    fn forward(
        &self,
        generation: Generation,
        mut events: tokio::sync::mpsc::Receiver<instant_share_client::SessionEvent>,
    ) {
        let this = self.clone();
        tauri::async_runtime::spawn(async move {
            while let Some(event) = events.recv().await {
                tracing::debug!(event = event_kind(&event), "session event");
                crate::events::on_session_event(&this.app, &event);
                this.calls.on_session_event(generation, &event);
                let (changed, joined, ended_device) = {
                    let mut inner = this.lock();
                    let before = inner.model.state().phase;
                    let changed = inner.model.on_session_event(generation, event);
                    let after = inner.model.state().phase;
                    let live = |p| matches!(p, AppPhase::Waiting | AppPhase::InSession);
                    (
                        changed,
                        before == AppPhase::Waiting && after == AppPhase::InSession,
                        // The device whose kept session to forget, once it is over.
                        (live(before) && !live(after))
                            .then(|| inner.config.device_id.clone())
                            .flatten(),
                    )
                };
                if changed {
                    this.publish();
                }
                if let Some(device_id) = ended_device {
                    this.forget_live_session(&device_id);
                }
                if joined {
                    // Help arrived: wherever the window was, it comes forward.
                    crate::tray::bring_forward(&this.app);
                }
            }
            this.calls.stop(Some(generation));
        });
    }

    /// The live session's socket, or why there is none.
    pub fn live_session(&self) -> Result<SessionHandle, ApiError> {
        let inner = self.lock();
        match (&inner.session, inner.model.state().phase) {
            (Some(handle), AppPhase::InSession) => Ok(handle.clone()),
            _ => Err(ApiError::new(
                ErrorCode::Conflict,
                "There is no live session for the board.",
            )),
        }
    }

    /// How to reach the last session's pictures (live, or ended: for the export), or why
    /// there is no way.
    pub fn participation(&self) -> Result<Participation, ApiError> {
        self.lock()
            .participant
            .clone()
            .ok_or_else(|| ApiError::new(ErrorCode::Conflict, "There is no session with pictures."))
    }

    fn fail<T>(&self, error: ApiError) -> Result<T, ApiError> {
        self.update(|m| m.set_error(error.clone()));
        Err(error)
    }

    fn update(&self, f: impl FnOnce(&mut AppModel)) {
        f(&mut self.lock().model);
        self.publish();
    }

    fn publish(&self) {
        let state = self.state();
        crate::events::emit(&self.app, crate::events::AppEvent::State(&state));
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves a state that is still well-formed.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| {
            Err(ApiError::new(
                ErrorCode::Internal,
                format!("keychain task failed: {e}"),
            ))
        })
}

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// An event's kind for the log (snapshots hold chat text, which stays out of logs).
fn event_kind(event: &instant_share_client::SessionEvent) -> String {
    use instant_share_client::SessionEvent;
    match event {
        SessionEvent::Snapshot(s) => format!("snapshot {:?}", s.status),
        SessionEvent::Connection(c) => format!("connection {c:?}"),
        SessionEvent::Ended(r) => format!("ended {r:?}"),
        SessionEvent::Fatal(e) => format!("fatal {:?}", e.code),
        SessionEvent::Welcomed {
            resumed,
            ice_servers,
        } => {
            format!(
                "welcomed resumed={resumed} ice_servers={}",
                ice_servers.len()
            )
        }
        SessionEvent::Pointer { from, .. } => format!("pointer of {from}"),
        SessionEvent::BoardRejected { error, .. } => format!("board refused {:?}", error.code),
        SessionEvent::Signal { from, signal } => {
            let kind = match signal {
                instant_share_protocol::Signal::Offer { .. } => "offer",
                instant_share_protocol::Signal::Answer { .. } => "answer",
                instant_share_protocol::Signal::Candidate { .. } => "candidate",
                instant_share_protocol::Signal::Hangup { .. } => "hangup",
                instant_share_protocol::Signal::Restart { .. } => "restart",
            };
            format!("signal {kind} from {from}")
        }
    }
}
