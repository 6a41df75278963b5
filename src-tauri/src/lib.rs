//! `instant-share`, the desktop app: a thin Tauri adapter over `instant-share-client`.
//!
//! Contract (CONTRACT.md, "Desktop app"):
//! - Commands `get_state`, `enrol`, `start_share`, `end_session`, `send_chat`, `dismiss`,
//!   `forget_enrolment`; every error is an `ApiError` `{code, message}`.
//! - The event `app-state` carries the whole `AppState` on every change.
//! - The tray has Instant share (topic `other`, shows the window), Open and Quit; the global
//!   shortcut `CmdOrCtrl+Shift+I` does what Instant share does. Closing the window hides it.
//! - The host address, device id and employee name live in `config.json` in the app's config
//!   directory (`INSTANT_SHARE_CONFIG_DIR` overrides it); the credential only in the OS
//!   keychain. `INSTANT_SHARE_HOST_URL` prefills the host address.
//! - The webview never talks to the host: the Rust side holds the credential and the socket.

mod commands;
mod config;
mod controller;
mod credentials;
mod state;
mod system;
mod tray;

use tauri::Manager;

use crate::config::ConfigFile;
use crate::controller::Controller;

/// Runs the app until Quit.
pub fn run() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,instant_share_app=debug".into()),
        )
        .init();

    let result = tauri::Builder::default()
        .plugin(tauri_plugin_global_shortcut::Builder::new().build())
        .invoke_handler(tauri::generate_handler![
            commands::get_state,
            commands::enrol,
            commands::start_share,
            commands::end_session,
            commands::send_chat,
            commands::dismiss,
            commands::forget_enrolment,
        ])
        .setup(|app| {
            let config_dir = app.path().app_config_dir()?;
            let config_file = ConfigFile::locate(config_dir);
            tracing::info!(config = %config_file.path().display(), "starting");
            let controller = Controller::new(app.handle().clone(), config_file);
            app.manage(controller.clone());
            tray::install_tray(app)?;
            tray::install_shortcut(app);
            tray::hide_on_close(app);
            tauri::async_runtime::spawn(async move { controller.start().await });
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "the app stopped with an error");
        std::process::exit(1);
    }
}
