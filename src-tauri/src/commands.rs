//! The Tauri commands of CONTRACT.md: thin wrappers over the [`Controller`].

use instant_share_protocol::{ApiError, AppState, Feedback};
use tauri::State;

use crate::controller::Controller;

/// The state now. The window asks for it as soon as its UI has mounted, so the log line marks
/// "the UI is up" for `scripts/bench-app.sh`.
#[tauri::command]
pub fn get_state(controller: State<'_, Controller>) -> AppState {
    tracing::info!("ui asked for state");
    controller.state()
}

/// Enrols this computer with a host.
#[tauri::command]
pub async fn enrol(
    controller: State<'_, Controller>,
    host_url: String,
    code: String,
    device_name: Option<String>,
) -> Result<AppState, ApiError> {
    controller.enrol(host_url, code, device_name).await
}

/// Asks for a session (phase `requesting`, then `waiting` by event).
#[tauri::command]
pub async fn start_share(
    controller: State<'_, Controller>,
    topic: String,
    note: Option<String>,
) -> Result<AppState, ApiError> {
    controller.start_share(topic, note).await
}

/// Cancels while waiting, ends while in session.
#[tauri::command]
pub fn end_session(controller: State<'_, Controller>) -> Result<AppState, ApiError> {
    controller.end_session()
}

/// Sends a chat message.
#[tauri::command]
pub fn send_chat(controller: State<'_, Controller>, text: String) -> Result<(), ApiError> {
    controller.send_chat(&text)
}

/// From `ended` back to `idle`; clears the error.
#[tauri::command]
pub fn dismiss(controller: State<'_, Controller>) -> Result<AppState, ApiError> {
    Ok(controller.dismiss())
}

/// Forgets the enrolment and the credential.
#[tauri::command]
pub async fn forget_enrolment(controller: State<'_, Controller>) -> Result<AppState, ApiError> {
    controller.forget_enrolment().await
}

/// While waiting: be called back instead (the window goes to the tray and comes back when an
/// expert joins).
#[tauri::command]
pub fn call_back(controller: State<'_, Controller>) -> Result<AppState, ApiError> {
    controller.call_back()
}

/// After the session: did it solve the problem, a rating, a comment.
#[tauri::command]
pub async fn send_feedback(
    controller: State<'_, Controller>,
    feedback: Feedback,
) -> Result<(), ApiError> {
    controller.send_feedback(feedback).await
}

/// Brings the main window forward (the sharing bar's "Open Instant Share").
#[tauri::command]
pub fn show_window(app: tauri::AppHandle) {
    crate::tray::show_main_window(&app);
}

/// The user confirmed the host of the enrolment link they opened: enrols with it.
#[tauri::command]
pub async fn accept_enrolment_link(
    controller: State<'_, Controller>,
) -> Result<AppState, ApiError> {
    controller.accept_enrolment_link().await
}

/// The user did not want the enrolment link they opened.
#[tauri::command]
pub fn decline_enrolment_link(controller: State<'_, Controller>) -> AppState {
    controller.decline_enrolment_link()
}
