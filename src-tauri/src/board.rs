//! The co-browse board in the app. Operations and pointer moves go over the session socket
//! (the host decides; the board itself reaches the window inside the app state's snapshot);
//! pictures go over HTTP with the participant token; a screenshot is taken natively and handed
//! to the window, which shows it to the user to black out parts before anything is sent.

use instant_share_protocol::{ApiError, BoardImage, BoardOp, ErrorCode, ImageSource, PointerAt};
use tauri::ipc::{InvokeBody, Request, Response};
use tauri::{AppHandle, State};

use crate::controller::Controller;
use crate::media::commands::WindowChoice;
use crate::media::Calls;

/// Sends a board operation; returns its `op_id` (the change arrives in the app state).
#[tauri::command]
pub fn board_op(controller: State<'_, Controller>, op: BoardOp) -> Result<String, ApiError> {
    controller
        .live_session()?
        .send_board(op)
        .map_err(ApiError::from)
}

/// Says where this participant's pointer is on the board (`null`: off it).
#[tauri::command]
pub fn board_pointer(
    controller: State<'_, Controller>,
    pointer: Option<PointerAt>,
) -> Result<(), ApiError> {
    controller
        .live_session()?
        .send_pointer(pointer)
        .map_err(ApiError::from)
}

/// The windows on the screen that a screenshot or a share can show on their own, topmost
/// first; not the app's own windows (sharing the app would show the expert themselves).
#[tauri::command]
pub async fn list_windows(app: tauri::AppHandle) -> Result<Vec<WindowChoice>, ApiError> {
    let own = own_windows(&app);
    let windows = tauri::async_runtime::spawn_blocking(instant_share_media::capture::list_windows)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("the window list failed: {e}")))?
        .map_err(|e| {
            tracing::warn!(error = %e, "no window list");
            ApiError::new(ErrorCode::Conflict, e.to_string())
        })?;
    Ok(windows
        .into_iter()
        .filter(|w| !own.contains(&w.id))
        .map(WindowChoice::from)
        .collect())
}

/// Whether one window to share is chosen in the system's own dialog (Wayland's screen-sharing
/// portal) instead of from [`list_windows`], which cannot see other applications' windows there.
#[tauri::command]
pub fn system_picks_window() -> bool {
    instant_share_media::capture::system_picks_window()
}

/// The X11 ids of the app's windows. Elsewhere the media crate leaves the app's own windows out
/// of its list (by process), so none are needed.
fn own_windows(app: &tauri::AppHandle) -> Vec<u32> {
    use raw_window_handle::{HasWindowHandle, RawWindowHandle};
    use tauri::Manager;
    // On Wayland there is no X11 id to leave out, and asking for the handle of a window that is
    // not on screen (the hidden sharing bar) aborts the app: tao 0.37 makes a non-null pointer
    // of the null `wl_surface` of an unmapped GTK window.
    if instant_share_media::capture::system_picks_window() {
        return Vec::new();
    }
    app.webview_windows()
        .values()
        .filter_map(|w| match w.window_handle().ok()?.as_raw() {
            // `c_ulong`: 64 bits on Linux, 32 on Windows (where no X11 handle ever comes).
            #[allow(clippy::useless_conversion)]
            RawWindowHandle::Xlib(h) => u32::try_from(h.window).ok(),
            RawWindowHandle::Xcb(h) => Some(h.window.get()),
            _ => None,
        })
        .collect()
}

/// Takes a screenshot of the screen, or of one window (`window`, an id from [`list_windows`]),
/// and returns it as PNG, for the window to show before anything is shared.
#[tauri::command]
pub async fn take_screenshot(window: Option<u32>) -> Result<Response, ApiError> {
    let png = tauri::async_runtime::spawn_blocking(move || -> Result<Vec<u8>, ApiError> {
        let shot = match window {
            None => instant_share_media::capture::screenshot(),
            Some(id) => instant_share_media::capture::screenshot_window(id),
        }
        .map_err(|e| {
            tracing::warn!(error = %e, ?window, "no screenshot");
            ApiError::new(ErrorCode::Conflict, e.to_string())
        })?;
        encode_png(shot.width as u32, shot.height as u32, shot.rgb)
    })
    .await
    .map_err(|e| ApiError::new(ErrorCode::Internal, format!("the screenshot failed: {e}")))??;
    tracing::info!(bytes = png.len(), ?window, "screenshot taken");
    Ok(Response::new(png))
}

/// A still of this computer's camera as it is now (PNG, full size), for the window to show
/// before anything is shared. An error while the camera is off.
#[tauri::command]
pub async fn camera_still(calls: State<'_, Calls>) -> Result<Response, ApiError> {
    let frame = calls.camera_still()?;
    let png = tauri::async_runtime::spawn_blocking(move || {
        let rgb = instant_share_media::capture::i420_to_rgb(&frame);
        encode_png(frame.width as u32, frame.height as u32, rgb)
    })
    .await
    .map_err(|e| ApiError::new(ErrorCode::Internal, format!("the camera still failed: {e}")))??;
    tracing::info!(bytes = png.len(), "camera still taken");
    Ok(Response::new(png))
}

fn encode_png(width: u32, height: u32, rgb: Vec<u8>) -> Result<Vec<u8>, ApiError> {
    let picture = image::RgbImage::from_raw(width, height, rgb)
        .ok_or_else(|| ApiError::new(ErrorCode::Internal, "the picture had the wrong size"))?;
    let mut png = Vec::new();
    picture
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| {
            ApiError::new(
                ErrorCode::Internal,
                format!("the picture could not be written: {e}"),
            )
        })?;
    Ok(png)
}

/// Shares a picture on the board: the raw PNG body (already blacked out where the user
/// chose), its name in the `x-picture-name` header (URI-encoded) and `x-picture-source`
/// (`screenshot`, `file` or `camera`).
#[tauri::command]
pub async fn share_picture(
    controller: State<'_, Controller>,
    request: Request<'_>,
) -> Result<BoardImage, ApiError> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "send the picture as raw bytes",
        ));
    };
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let name = url::form_urlencoded::parse(format!("n={}", header("x-picture-name")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let source = match header("x-picture-source").as_str() {
        "screenshot" => ImageSource::Screenshot,
        "camera" => ImageSource::Camera,
        _ => ImageSource::File,
    };
    controller.live_session()?;
    let p = controller.participation()?;
    let image = p
        .host
        .upload_image(&p.session_id, &p.token, bytes.clone(), &name, source)
        .await
        .map_err(ApiError::from)?;
    tracing::info!(
        image = image.id,
        width = image.width,
        height = image.height,
        "picture shared"
    );
    Ok(image)
}

/// Saves a session's export (the zip the window made: annotated pictures and the chat) in the
/// user's Downloads folder (their home folder if there is none); the raw body is the file, its
/// name in the `x-file-name` header. Returns where it was saved.
#[tauri::command]
pub async fn save_export(app: AppHandle, request: Request<'_>) -> Result<String, ApiError> {
    use tauri::Manager;
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "send the file as raw bytes",
        ));
    };
    let wanted = request
        .headers()
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("instant-share-session.zip");
    // Only a plain file name: no folders, nothing hidden.
    let name: String = wanted
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_owned();
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("no folder to save in: {e}")))?;
    let bytes = bytes.clone();
    let path =
        tauri::async_runtime::spawn_blocking(move || -> std::io::Result<std::path::PathBuf> {
            std::fs::create_dir_all(&dir)?;
            let (stem, ext) = name.rsplit_once('.').unwrap_or((&name, "zip"));
            let mut path = dir.join(&name);
            let mut n = 1;
            while path.exists() {
                n += 1;
                path = dir.join(format!("{stem}-{n}.{ext}"));
            }
            std::fs::write(&path, &bytes)?;
            Ok(path)
        })
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?
        .map_err(|e| {
            ApiError::new(
                ErrorCode::Internal,
                format!("the export could not be saved: {e}"),
            )
        })?;
    tracing::info!(path = %path.display(), "session export saved");
    Ok(path.display().to_string())
}

/// Invites one more person into the live session by link; returns the invitation.
#[tauri::command]
pub async fn invite_guest(
    controller: State<'_, Controller>,
    display_name: String,
    may_draw: bool,
) -> Result<instant_share_protocol::GuestInvite, ApiError> {
    controller.live_session()?;
    let p = controller.participation()?;
    let request = instant_share_protocol::GuestInviteRequest {
        display_name,
        may_draw,
    };
    let invite = p
        .host
        .invite_guest(&p.session_id, &p.token, &request)
        .await
        .map_err(ApiError::from)?;
    tracing::info!(guest = invite.participant_id, may_draw, "guest invited");
    Ok(invite)
}

/// Removes a guest from the live session: their link stops working and their place is free.
#[tauri::command]
pub async fn remove_guest(
    controller: State<'_, Controller>,
    participant_id: String,
) -> Result<(), ApiError> {
    controller.live_session()?;
    let p = controller.participation()?;
    p.host
        .remove_guest(&p.session_id, &p.token, &participant_id)
        .await
        .map_err(ApiError::from)?;
    tracing::info!(guest = participant_id, "guest removed");
    Ok(())
}

/// A picture of the session's board (live or just ended), as PNG.
#[tauri::command]
pub async fn board_picture(
    controller: State<'_, Controller>,
    image_id: String,
) -> Result<Response, ApiError> {
    let p = controller.participation()?;
    let png = p
        .host
        .fetch_image(&p.session_id, &p.token, &image_id)
        .await
        .map_err(ApiError::from)?;
    Ok(Response::new(png))
}
