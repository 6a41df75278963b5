//! One running app per user, and enrolment links into it.
//!
//! A second launch (from the menu, or by the OS for an `instant-share://` link) does not start
//! a second app: `tauri-plugin-single-instance` hands its arguments to the running one and
//! exits. With its `deep-link` feature those arguments reach `tauri-plugin-deep-link` first,
//! which passes a link in them on as an "open URL" event — the same event macOS sends, and the
//! one a cold start with a link produces. Every link ends in [`Controller::open_link`]; every
//! second launch brings the window forward.
//!
//! On Linux the two instances meet on the session D-Bus (`<identifier>.SingleInstance`), on
//! Windows through a named mutex, on macOS through a socket. The installers register the
//! scheme (`plugins.deep-link.desktop.schemes` in `tauri.conf.json`).

use tauri::{App, AppHandle};
use tauri_plugin_deep_link::DeepLinkExt;

use crate::controller::Controller;

/// The plugin that keeps one instance; register it before every other plugin.
pub fn single_instance() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri_plugin_single_instance::init(|app: &AppHandle, argv, _cwd| {
        // The arguments may hold an enrolment code: count them, never log them.
        tracing::info!(
            arguments = argv.len().saturating_sub(1),
            "a second launch: the running app takes over"
        );
        crate::tray::show_main_window(app);
    })
}

/// Sends every link opened while the app runs to the controller; returns the links the app was
/// started with, for [`Controller::open_link`] once the stored enrolment is known.
pub fn install(app: &App, controller: &Controller) -> Vec<String> {
    let deep_link = app.deep_link();
    let on_open = controller.clone();
    deep_link.on_open_url(move |event| {
        for url in event.urls() {
            on_open.open_link(url.as_str());
        }
    });
    #[cfg(target_os = "linux")]
    if std::env::var_os("APPIMAGE").is_some() {
        // An AppImage is not installed by a package manager: it registers the scheme itself.
        if let Err(e) = deep_link.register_all() {
            tracing::warn!(error = %e, "cannot register the instant-share:// scheme");
        }
    }
    match deep_link.get_current() {
        Ok(urls) => urls
            .unwrap_or_default()
            .into_iter()
            .map(|u| u.to_string())
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the link the app was started with");
            Vec::new()
        }
    }
}
