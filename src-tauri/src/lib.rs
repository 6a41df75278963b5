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
//! - The IT department's policy file (`policy.rs`) presets the host and can lock it; the
//!   commands refuse a locked host's change. One instance per user: a second launch or an
//!   `instant-share://enrol?host=…&code=…` link goes to the running app (`links.rs`), which
//!   asks the user to confirm the link's host (`accept_enrolment_link`, `decline_enrolment_link`).
//! - The webview never talks to the host: the Rust side holds the credential and the socket.
//! - Calls (`media`): while a session is live a media engine runs beside its socket; camera,
//!   microphone and screen start only on the user's command (`media_set_*`); the state is the
//!   `media-state` event, pictures come as raw frames over the channel of `media_open_video`.
//!   `INSTANT_SHARE_MEDIA=synthetic` swaps camera and microphone for a test pattern and a tone.
//! - Updates (`updates`): from the enrolled help host only, checked at start and every 6 hours,
//!   installed on the user's consent outside sessions; the state is the `update-state` event.

mod board;
mod commands;
mod config;
mod controller;
mod credentials;
mod events;
mod legacy;
mod links;
mod media;
mod policy;
mod resume;
mod sharing;
mod state;
mod system;
mod tray;
mod updates;

use tauri::Manager;

/// WebKitGTK's switch for accelerated compositing; the app sets it where there is no GPU.
const COMPOSITING_ENV: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

use crate::config::ConfigFile;
use crate::controller::Controller;
use crate::media::sources::{MediaMode, Renderer, RENDERER_ENV};
use crate::media::{commands as media_commands, Calls};

/// The window never leaves the app's own pages: a file dropped outside the drop zones, or a
/// link, must not replace the live session with something else.
fn navigation_guard() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_, url| {
            let ours = matches!(url.scheme(), "tauri" | "asset" | "about")
                || matches!(url.host_str(), Some("tauri.localhost") | Some("localhost"));
            if !ours {
                tracing::warn!(%url, "navigation away from the app refused");
            }
            ours
        })
        .build()
}

/// Runs the app until Quit.
pub fn run() {
    // Before any thread: frame-sized blocks stay in the heap (see `memory`).
    let frame_memory = instant_share_media::memory::keep_frame_memory();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                format!(
                    "info,instant_share_app=debug,{}",
                    instant_share_media::LOG_DIRECTIVES
                )
                .into()
            }),
        )
        .init();
    tracing::debug!(frame_memory, "allocator tuned for video frames");
    let gpu = system::has_gpu();
    if !gpu && cfg!(target_os = "linux") && std::env::var_os(COMPOSITING_ENV).is_none() {
        // Without a GPU, WebKitGTK's accelerated compositing runs on the CPU and costs more than
        // it saves: under Xvfb the expert's 640x480 camera showed at 7–9 frames a second with it
        // and 20–25 without. Set before any thread or web view exists.
        std::env::set_var(COMPOSITING_ENV, "1");
        tracing::info!("no GPU: WebKit's accelerated compositing is off");
    }
    let renderer = Renderer::choose(std::env::var(RENDERER_ENV).ok().as_deref(), gpu);

    let result = tauri::Builder::default()
        // First: a second instance hands over its arguments and exits before anything else.
        .plugin(links::single_instance())
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_global_shortcut::Builder::new().build())
        .plugin(navigation_guard())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .invoke_handler(tauri::generate_handler![
            commands::get_state,
            commands::enrol,
            commands::start_share,
            commands::end_session,
            commands::send_chat,
            commands::dismiss,
            commands::call_back,
            commands::send_feedback,
            commands::show_window,
            commands::forget_enrolment,
            commands::accept_enrolment_link,
            commands::decline_enrolment_link,
            board::board_op,
            board::board_pointer,
            board::take_screenshot,
            board::list_windows,
            board::system_picks_window,
            board::camera_still,
            board::remove_guest,
            board::share_picture,
            board::board_picture,
            board::save_export,
            board::invite_guest,
            media_commands::media_get_state,
            media_commands::media_devices,
            media_commands::media_set_camera,
            media_commands::media_set_microphone,
            media_commands::media_set_screen,
            media_commands::media_set_muted,
            media_commands::media_pause_screen,
            media_commands::media_stop_all,
            media_commands::media_dismiss_problem,
            media_commands::media_open_video,
            media_commands::media_video_ack,
            media_commands::media_stats,
            updates::update_state,
            updates::update_check,
            updates::update_install,
        ])
        .setup(move |app| {
            legacy::move_app_dirs(app);
            let config_dir = app.path().app_config_dir()?;
            let config_file = ConfigFile::locate(config_dir);
            tracing::info!(config = %config_file.path().display(), "starting");
            let policy_path = policy::locate();
            let policy = policy::PolicyStatus::load(&policy_path);
            match &policy {
                policy::PolicyStatus::Absent => {
                    tracing::info!(path = %policy_path.display(), "no IT policy file")
                }
                policy::PolicyStatus::Set { policy, .. } => tracing::info!(
                    path = %policy_path.display(), host = ?policy.host_url, locked = policy.lock_host,
                    "IT policy"
                ),
                policy::PolicyStatus::Broken { message, .. } => tracing::error!("{message}"),
            }
            // Wayland's screen-sharing permission: asked once, then kept beside the settings.
            let permission = config_file.screen_permission();
            instant_share_media::capture::keep_screen_permission(permission.load(), move |token| {
                match permission.save(token) {
                    Ok(()) => tracing::info!("the screen-sharing permission was kept"),
                    Err(e) => {
                        tracing::warn!(error = %e, "the screen-sharing permission was not kept")
                    }
                }
            });
            let calls = Calls::new(app.handle().clone(), MediaMode::from_env(), renderer);
            app.manage(calls.clone());
            let controller = Controller::new(app.handle().clone(), config_file, calls, policy);
            app.manage(controller.clone());
            let updates = updates::Updates::new(app.handle().clone());
            app.manage(updates.clone());
            updates.watch(controller.clone());
            let startup_links = links::install(app, &controller);
            tray::install_tray(app)?;
            tray::install_shortcut(app);
            tray::hide_on_close(app);
            controller.watch_desk();
            tauri::async_runtime::spawn(async move {
                controller.start().await;
                // After start: whether a link can be used depends on the stored enrolment.
                for link in startup_links {
                    controller.open_link(&link);
                }
            });
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "the app stopped with an error");
        std::process::exit(1);
    }
}
