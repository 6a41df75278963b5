//! What the desktop shows while this computer shares anything: a small always-on-top bar
//! (what is shared, with whom, Stop) above every other window, also with the main window
//! hidden; and the main window stepping aside (minimised) while the screen is shared, so that
//! the expert sees the user's work rather than the app mirrored, back when the share stops.
//!
//! [`Presence::follow`] is told every new media state and carries out the changes; window work
//! runs on the main thread, where the windowing toolkit wants it.

use std::sync::Mutex;

use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};

/// The bar's window label (also in `capabilities/default.json`).
pub const BAR_WINDOW: &str = "sharing-bar";
const MAIN_WINDOW: &str = "main";
/// The bar's size: one line of text and two buttons.
const BAR_SIZE: (f64, f64) = (560.0, 52.0);
/// Gap between the bar and the top of the screen.
const BAR_MARGIN: f64 = 8.0;

/// What the last media state said, and what this module did about it.
#[derive(Debug, Default)]
struct Seen {
    /// Anything (camera, microphone, screen) was on or starting.
    anything: bool,
    /// The screen was on or starting.
    screen: bool,
    /// The main window was minimised because the screen went on.
    stepped_aside: bool,
    /// The bar window exists.
    bar_built: bool,
}

/// Follows what is shared with the bar and the main window. One per app.
pub struct Presence {
    app: AppHandle,
    seen: Mutex<Seen>,
}

impl Presence {
    /// Nothing shared yet: no bar.
    pub fn new(app: AppHandle) -> Self {
        Self {
            app,
            seen: Mutex::new(Seen::default()),
        }
    }

    /// The media state changed: `anything` is on, the `screen` among it.
    pub fn follow(&self, anything: bool, screen: bool) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if anything && !seen.anything {
            if !seen.bar_built {
                seen.bar_built = true;
                let app = self.app.clone();
                let built = self.app.run_on_main_thread(move || build_bar(&app));
                if let Err(e) = built {
                    tracing::warn!(error = %e, "the sharing bar cannot be made");
                }
            } else if let Some(bar) = self.app.get_webview_window(BAR_WINDOW) {
                place(&self.app, &bar);
                if let Err(e) = bar.show() {
                    tracing::warn!(error = %e, "the sharing bar cannot be shown");
                }
            }
            tracing::info!("sharing: the bar shows");
        } else if !anything && seen.anything {
            if let Some(bar) = self.app.get_webview_window(BAR_WINDOW) {
                let _ = bar.hide();
            }
            tracing::info!("sharing: nothing shared, the bar hides");
        }
        if screen && !seen.screen {
            if let Some(main) = self.app.get_webview_window(MAIN_WINDOW) {
                // Only a window on the screen steps aside; one in the tray stays there.
                if crate::tray::main_window_shown(&self.app) {
                    match main.minimize() {
                        Ok(()) => {
                            seen.stepped_aside = true;
                            tracing::info!("screen shared: the window steps aside");
                        }
                        Err(e) => tracing::warn!(error = %e, "the window cannot be minimised"),
                    }
                }
            }
        } else if !screen && seen.screen && seen.stepped_aside {
            seen.stepped_aside = false;
            crate::tray::show_main_window(&self.app);
            tracing::info!("screen no longer shared: the window is back");
        }
        seen.anything = anything;
        seen.screen = screen;
    }
}

/// Makes the bar: small, without a frame, above every window, not in the task bar, not taking
/// the focus from what the user works on.
fn build_bar(app: &AppHandle) {
    let built = WebviewWindowBuilder::new(app, BAR_WINDOW, WebviewUrl::App("index.html".into()))
        .title("Instant Share \u{2022} sharing")
        .inner_size(BAR_SIZE.0, BAR_SIZE.1)
        // Its size is fixed by equal least and most sizes, not by `resizable(false)`: on GTK
        // that makes any window at least 200 pixels tall (tauri-apps/tao#561).
        .min_inner_size(BAR_SIZE.0, BAR_SIZE.1)
        .max_inner_size(BAR_SIZE.0, BAR_SIZE.1)
        .decorations(false)
        .always_on_top(true)
        .skip_taskbar(true)
        .focused(false)
        .visible(false)
        .build();
    match built {
        Ok(bar) => {
            place(app, &bar);
            if let Err(e) = bar.show() {
                tracing::warn!(error = %e, "the sharing bar cannot be shown");
            }
        }
        Err(e) => tracing::warn!(error = %e, "the sharing bar cannot be made"),
    }
}

/// Puts the bar at the top centre of the screen the main window is on.
fn place(app: &AppHandle, bar: &tauri::WebviewWindow) {
    let monitor = app
        .get_webview_window(MAIN_WINDOW)
        .and_then(|w| w.current_monitor().ok().flatten())
        .or_else(|| bar.primary_monitor().ok().flatten());
    let Some(monitor) = monitor else { return };
    let scale = monitor.scale_factor();
    let size = monitor.size().to_logical::<f64>(scale);
    let origin = monitor.position().to_logical::<f64>(scale);
    let x = origin.x + (size.width - BAR_SIZE.0) / 2.0;
    let y = origin.y + BAR_MARGIN;
    if let Err(e) = bar.set_position(tauri::LogicalPosition::new(x, y)) {
        tracing::debug!(error = %e, "the sharing bar cannot be placed");
    }
}
