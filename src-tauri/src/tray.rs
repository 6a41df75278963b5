//! The tray icon (Instant share, Open, Quit), the global shortcut, and the main window's
//! show/hide behaviour. Closing the window hides it; the app keeps running in the tray.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{App, AppHandle, Manager, WindowEvent};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, ShortcutState};

use crate::controller::Controller;
use crate::media::Calls;

/// The global shortcut that does what the tray's Instant share does.
pub const SHORTCUT: &str = "CmdOrCtrl+Shift+I";

const MAIN_WINDOW: &str = "main";

/// Builds the tray icon and its menu.
pub fn install_tray(app: &App) -> tauri::Result<()> {
    let share = MenuItem::with_id(app, "instant-share", "Instant share", true, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", "Open", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&share, &open, &separator, &quit])?;
    TrayIconBuilder::with_id("main")
        .icon(tauri::include_image!("../icons/tray.png"))
        .tooltip("Instant Share")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "instant-share" => quick_share(app),
            "open" => show_main_window(app),
            "quit" => app.exit(0),
            other => tracing::debug!(id = other, "unknown tray menu item"),
        })
        .build(app)?;
    Ok(())
}

/// Registers the global shortcut. Where that is impossible (a headless X server, a shortcut
/// taken by another program) the app logs a warning and goes on without it.
pub fn install_shortcut(app: &App) {
    let result = app
        .global_shortcut()
        .on_shortcut(SHORTCUT, |app, _shortcut, event| {
            if event.state == ShortcutState::Pressed {
                quick_share(app);
            }
        });
    match result {
        Ok(()) => tracing::info!(shortcut = SHORTCUT, "global shortcut registered"),
        Err(e) => tracing::warn!(shortcut = SHORTCUT, error = %e, "no global shortcut"),
    }
}

/// Makes closing the main window hide it instead of quitting. Camera, microphone and screen go
/// off with it: nothing visible would say any more that they are on.
pub fn hide_on_close(app: &App) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let hidden = window.clone();
        let handle = app.handle().clone();
        window.on_window_event(move |event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                api.prevent_close();
                if let Err(e) = hidden.hide() {
                    tracing::warn!(error = %e, "cannot hide the window");
                }
                let calls = handle.state::<Calls>().inner().clone();
                tauri::async_runtime::spawn(async move { calls.window_closed().await });
            }
        });
    }
}

/// Shows the window and starts a share about "something else".
fn quick_share(app: &AppHandle) {
    show_main_window(app);
    let controller = app.state::<Controller>().inner().clone();
    tauri::async_runtime::spawn(async move { controller.quick_share().await });
}

/// Shows the main window in front (from the tray, or when help arrives).
pub fn show_main_window(app: &AppHandle) {
    match app.get_webview_window(MAIN_WINDOW) {
        Some(window) => {
            let hidden = !main_window_shown(app);
            let _ = window.unminimize();
            if let Err(e) = window.show().and_then(|()| window.set_focus()) {
                tracing::warn!(error = %e, "cannot show the window");
            }
            // A second launch can ask for the window before the controller exists.
            if let Some(controller) = app.try_state::<Controller>().filter(|_| hidden) {
                controller.window_shown();
            }
        }
        None => tracing::warn!("the main window is gone"),
    }
}

/// Whether the main window is on the screen (shown and not minimised).
pub fn main_window_shown(app: &AppHandle) -> bool {
    app.get_webview_window(MAIN_WINDOW)
        .is_some_and(|w| w.is_visible().unwrap_or(false) && !w.is_minimized().unwrap_or(false))
}

/// An expert joined: the window comes forward wherever it was (hidden in the tray, minimised,
/// behind others), and asks for attention where the desktop shows that.
pub fn bring_forward(app: &AppHandle) {
    show_main_window(app);
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.request_user_attention(Some(tauri::UserAttentionType::Informational));
    }
}

/// Hides the main window to the tray (the request goes on: it comes back when help arrives).
pub fn hide_main_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        if let Err(e) = window.hide() {
            tracing::warn!(error = %e, "cannot hide the window");
        }
    }
}
