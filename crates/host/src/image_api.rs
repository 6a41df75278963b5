//! HTTP for pictures on the board: a participant who may draw uploads one (it is checked,
//! cleaned and kept, then put on the board); the session's participants fetch it. The
//! participant token goes in `Authorization: Bearer` — never a cookie, so another site cannot
//! make a browser upload.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, ORIGIN, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use instant_share_protocol::{text, ApiError, BoardImage, ErrorCode, ImageSource};
use serde::Deserialize;

use crate::error::HttpError;
use crate::images::{self, ImageError, KeepError, MAX_UPLOAD_BYTES};
use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/sessions/{session_id}/images", post(upload))
        .route(
            "/api/v1/sessions/{session_id}/images/{image_id}",
            get(download),
        )
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
}

/// `POST …/images?name=…&source=screenshot|file|camera`.
#[derive(Debug, Deserialize)]
pub(crate) struct UploadQuery {
    name: Option<String>,
    source: Option<ImageSource>,
}

/// Why an upload's body could not be read: too long, or stalled past the body timeout.
fn body_refusal(e: &axum::Error) -> HttpError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return HttpError::new(
                ErrorCode::BadRequest,
                "the picture stopped arriving before it was complete; try again",
            );
        }
        source = err.source();
    }
    refused(&ImageError::TooManyBytes)
}

/// The longest a picture's upload may take in all.
const UPLOAD_READ_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

fn refused(e: &ImageError) -> HttpError {
    let code = match e {
        ImageError::TooManyBytes => ErrorCode::MessageTooLarge,
        _ => ErrorCode::BadRequest,
    };
    HttpError::new(code, e.to_string())
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/images",
    params(
        ("session_id" = String, Path, description = "the session"),
        ("name" = Option<String>, Query, description = "a name to show (the file name)"),
        ("source" = Option<ImageSource>, Query, description = "screenshot, file (default) or camera"),
    ),
    request_body(content = Vec<u8>, content_type = "image/png", description = "a PNG, JPEG or WebP picture, at most 15 MiB"),
    security(("participant" = [])),
    responses(
        (status = 201, body = BoardImage, description = "kept (as PNG, without metadata) and on the board"),
        (status = 400, body = ApiError, description = "bad_request: not a PNG, JPEG or WebP; damaged; too many pixels"),
        (status = 401, body = ApiError),
        (status = 403, body = ApiError, description = "forbidden: a guest who may only look, or another site"),
        (status = 409, body = ApiError, description = "conflict: on the board already, or the board is full"),
        (status = 413, body = ApiError, description = "message_too_large"),
        (status = 429, body = ApiError, description = "quota_exceeded: the session's or the device's picture quota is used up (the message says which)"),
        (status = 507, body = ApiError, description = "storage_full: the host's disk budget for pictures is used up"),
    ))]
pub(crate) async fn upload(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Result<(StatusCode, Json<BoardImage>), HttpError> {
    if let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) {
        if !crate::browser::same_origin(origin, state.public_url()) {
            crate::browser::log_foreign_origin(origin, state.public_url());
            return Err(HttpError::new(
                ErrorCode::CrossSite,
                "requests from other sites are refused",
            ));
        }
    }
    let by = crate::api::session_participant(&state, &headers, &session_id)?;
    let device = state.with_hub(|hub, _, _| {
        hub.may_share_image(&session_id, &by)?;
        Ok::<_, ApiError>(hub.device_of(&session_id).unwrap_or_default().to_owned())
    })?;
    // One upload of a session in hand at a time (decode.rs): read, checked and kept before
    // the session's next one is read.
    let _turn = state.decoder().turn(&session_id).await;
    // The body is read only now, for someone who may share, and never past the limit.
    // The body timeout restarts at every chunk: a byte every few seconds would hold the
    // session's turn for ever without a limit on the whole (50 KB/s at the largest picture).
    let body: Bytes = tokio::time::timeout(
        UPLOAD_READ_LIMIT,
        axum::body::to_bytes(request.into_body(), MAX_UPLOAD_BYTES),
    )
    .await
    .map_err(|_| {
        tracing::info!(
            session = session_id,
            by,
            "picture upload too slow: given up"
        );
        HttpError::new(
            ErrorCode::BadRequest,
            "the upload took longer than 5 minutes and was given up; try again on a faster network",
        )
    })?
    .map_err(|e| body_refusal(&e))?;
    let received = body.len();
    let clean = state
        .decoder()
        .run(move || images::clean(&body))
        .await
        .ok_or_else(|| HttpError::new(ErrorCode::Internal, "the picture could not be checked"))?
        .map_err(|e| {
            tracing::info!(session = session_id, by, bytes = received, reason = %e, "picture refused");
            refused(&e)
        })?;
    let source = query.source.unwrap_or(ImageSource::File);
    let name = text::PICTURE_NAME
        .optional(query.name.as_deref())?
        .unwrap_or_else(|| {
            match source {
                ImageSource::Screenshot => "Screenshot",
                ImageSource::File => "Picture",
                ImageSource::Camera => "Photo",
            }
            .to_owned()
        });
    let image = BoardImage {
        id: clean.id.clone(),
        by: by.clone(),
        name,
        source,
        width: clean.width,
        height: clean.height,
        hidden: false,
    };
    state.with_hub(|hub, _, _| hub.may_add_image(&session_id, &by, &image))?;
    let charge = state.pictures().charge(
        &session_id,
        &device,
        clean.png.len() as u64,
        std::time::Instant::now(),
    )?;
    let store = state.images().clone();
    let kept = tokio::task::spawn_blocking(move || store.put(&clean))
        .await
        .map_err(|_| HttpError::new(ErrorCode::Internal, "the picture could not be kept"))?;
    match kept {
        Ok(()) => {}
        Err(KeepError::Full { used, budget }) => {
            tracing::warn!(
                dir = %state.images().dir().display(),
                used_mib = used / (1024 * 1024),
                budget_mib = budget / (1024 * 1024),
                "the kept pictures have reached their disk budget: new pictures are refused. \
                 Raise --picture-disk-budget-mb (if the disk has room), or wait: pictures are \
                 deleted once no session can show them (their tokens expired)"
            );
            return Err(HttpError::new(
                ErrorCode::StorageFull,
                "the help host has no room for more pictures now; tell its operator",
            ));
        }
        Err(KeepError::Io(e)) => {
            tracing::error!(session = session_id, error = %e, "could not keep a picture");
            return Err(HttpError::new(
                ErrorCode::Internal,
                "the host could not keep the picture; try again",
            ));
        }
    }
    state
        .with_hub_durable(|hub, now, fx| hub.board_image(now, &session_id, &by, &image, fx))
        .await??;
    charge.keep();
    tracing::info!(
        session = session_id,
        by,
        image = image.id,
        width = image.width,
        height = image.height,
        bytes = received,
        "picture shared"
    );
    Ok((StatusCode::CREATED, Json(image)))
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/images/{image_id}",
    params(
        ("session_id" = String, Path, description = "the session"),
        ("image_id" = String, Path, description = "the picture's id (its SHA-256)"),
    ),
    security(("participant" = [])),
    responses(
        (status = 200, content_type = "image/png", description = "the picture as kept"),
        (status = 401, body = ApiError),
        (status = 404, body = ApiError, description = "not on this session's board"),
    ))]
pub(crate) async fn download(
    State(state): State<AppState>,
    Path((session_id, image_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    crate::api::session_participant(&state, &headers, &session_id)?;
    let not_found = || HttpError::new(ErrorCode::NotFound, "no such picture in this session");
    if !images::is_id(&image_id)
        || !state.with_hub(|hub, _, _| hub.board_has_image(&session_id, &image_id))
    {
        return Err(not_found());
    }
    let store = state.images().clone();
    let png = tokio::task::spawn_blocking(move || store.get(&image_id))
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(not_found)?;
    Ok((
        [
            (CONTENT_TYPE, "image/png"),
            (CACHE_CONTROL, "private, max-age=86400, immutable"),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (CONTENT_DISPOSITION, "inline"),
        ],
        png,
    )
        .into_response())
}
