//! HTTP handlers: thin adapters from requests to the store and the hub.

use std::net::IpAddr;
use std::path::Path;

use axum::extract::{FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use instant_share_protocol::text;
use instant_share_protocol::*;
use tower_http::services::{ServeDir, ServeFile};

use crate::error::HttpError;
use crate::hub::{NewShare, Now};
use crate::openapi::{CommonRefusals, Limits};
use crate::store::{DeviceRecord, ExpertRecord, RedeemRefusal};
use crate::throttle::{Attempt, Key};
use crate::{secrets, AppState};

/// Name of the console's login cookie.
pub const LOGIN_COOKIE: &str = "instant_share_login";

/// How long a console login lasts.
const LOGIN_LIFETIME_MS: u64 = 12 * 60 * 60 * 1000;

/// Largest JSON body accepted.
const MAX_BODY: usize = 64 * 1024;

/// The API routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/api/v1/topics", get(topics))
        .route("/api/v1/enrol", post(enrol))
        .route("/api/v1/shares", post(create_share))
        .route("/api/v1/desk", get(desk))
        .route("/api/v1/sessions/{session_id}/guests", post(invite_guest))
        .route("/api/v1/sessions/{session_id}/hand-over", post(hand_over))
        .route("/api/v1/sessions/{session_id}/experts", post(bring_in))
        .route("/api/v1/sessions/{session_id}/feedback", post(feedback))
        .route("/api/v1/sessions/{session_id}/wrap-up", post(wrap_up))
        .route(
            "/api/v1/sessions/{session_id}/guests/{participant_id}",
            axum::routing::delete(remove_guest),
        )
        .route("/api/v1/expert/login", post(login))
        .route("/api/v1/expert/logout", post(logout))
        .route("/api/v1/expert/me", get(me))
        .route("/api/v1/expert/ticket", post(ticket))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
}

/// The console and co-browse site from the `ui/` build: assets as files, pages as `index.html`.
pub fn ui_routes(ui_dir: &Path) -> Router<AppState> {
    let index = ServeFile::new(ui_dir.join("index.html"));
    Router::new()
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/console") }),
        )
        .route_service("/console", index.clone())
        .route_service("/console/{*rest}", index.clone())
        .route_service("/s/{id}", index)
        .fallback_service(ServeDir::new(ui_dir))
}

/// CSRF protection: a body must be JSON (another site's form cannot send that) and, if the
/// request names an origin, come from this host's own ([`crate::browser::same_origin`]).
/// Checked by [`Body`], so that every handler with a body has it and an address that takes no
/// `POST` still answers 405.
fn same_site(headers: &HeaderMap, state: &AppState) -> Result<(), HttpError> {
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        return Err(HttpError::new(
            ErrorCode::CrossSite,
            "send the body as application/json: other content types are what another \
             site's form could send, and are refused",
        ));
    }
    if let Some(origin) = headers.get(ORIGIN) {
        let ours = origin
            .to_str()
            .is_ok_and(|o| crate::browser::same_origin(o, state.public_url()));
        if !ours {
            crate::browser::log_foreign_origin(
                origin.to_str().unwrap_or("(not text)"),
                state.public_url(),
            );
            return Err(HttpError::new(
                ErrorCode::CrossSite,
                "requests from other sites are refused",
            ));
        }
    }
    Ok(())
}

/// JSON body of a request from this host's own pages or a native client ([`same_site`]),
/// whose rejection is an [`ApiError`] with code `bad_request` (`message_too_large` over
/// [`MAX_BODY`]). Every body is a JSON object: serde would also take a struct's fields
/// from an array, which the OpenAPI document does not allow.
pub struct Body<T>(pub T);

/// The body of a `POST` that carries nothing: `{}` (members are ignored).
#[derive(serde::Deserialize)]
#[serde(transparent)]
pub struct EmptyBody(pub serde_json::Map<String, serde_json::Value>);

impl utoipa::PartialSchema for EmptyBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Object)
            .description(Some("`{}`: nothing to say (members are ignored)"))
            .into()
    }
}

impl utoipa::ToSchema for EmptyBody {}

impl<T: serde::de::DeserializeOwned> axum::extract::FromRequest<AppState> for Body<T> {
    type Rejection = HttpError;

    async fn from_request(
        req: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        same_site(req.headers(), state)?;
        match Json::<serde_json::Value>::from_request(req, state).await {
            Ok(Json(v @ serde_json::Value::Object(_))) => serde_json::from_value(v)
                .map(Body)
                .map_err(|e| HttpError::new(ErrorCode::BadRequest, format!("{e}"))),
            Ok(Json(_)) => Err(HttpError::new(
                ErrorCode::BadRequest,
                "the body must be a JSON object",
            )),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(HttpError::new(
                ErrorCode::MessageTooLarge,
                format!("a request body has at most {} KiB", MAX_BODY / 1024),
            )),
            Err(e) => Err(HttpError::new(ErrorCode::BadRequest, e.body_text())),
        }
    }
}

#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let (waiting, active, available) = state.with_hub(|hub, _, _| hub.gauges());
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics().render(waiting, active, available),
    )
}

async fn openapi() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "application/json")],
        crate::openapi::document(),
    )
}

#[utoipa::path(get, path = "/api/v1/topics", responses((status = 200, body = TopicList)))]
async fn topics(State(state): State<AppState>) -> Json<TopicList> {
    Json(TopicList {
        topics: state.config().topics.clone(),
    })
}

/// Trades a one-time enrolment code for a device credential.
///
/// Codes come from `instant-share-host enrolment-code`, which also prints an enrolment link
/// `instant-share://enrol?host=<public URL>&code=<code>` when given the host's public URL (and
/// `serve --demo` prints one for its demo code). Opening the link starts the installed app, which
/// asks the employee to confirm the host and then calls this endpoint with the link's code.
#[utoipa::path(post, path = "/api/v1/enrol", request_body = EnrolRequest, responses(
    (status = 200, body = EnrolResponse),
    (status = 401, body = ApiError, description = "enrolment_code_invalid or enrolment_code_used"),
    (status = 429, body = ApiError, description = "rate_limited: too many failed enrolments from this address; `Retry-After` says when to try again", headers(("Retry-After" = u64, description = "seconds"))),
))]
async fn enrol(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    Body(req): Body<EnrolRequest>,
) -> Result<Json<EnrolResponse>, HttpError> {
    let keys: Vec<Key> = client
        .map(|ip| Key::address(Attempt::Enrol, ip))
        .into_iter()
        .collect();
    let _checking = state
        .throttle()
        .begin(&keys)
        .map_err(|wait| throttled(wait, "enrolments"))?;
    let name = &text::DEVICE_NAME.required(&req.device_name)?;
    let code = secrets::normalise_code(&req.code);
    let device_id = secrets::id();
    let credential = secrets::token();
    let now = Now::get();
    let outcome = state
        .store()
        .redeem_enrolment_code(
            &secrets::hash(&code),
            now.millis,
            &device_id,
            name,
            &secrets::hash(&credential),
        )
        .await?;
    match outcome {
        Ok(employee_name) => {
            state.throttle().succeeded(&keys);
            state.metrics().enrolments.inc();
            tracing::info!(
                device = device_id,
                employee = employee_name,
                "device enrolled"
            );
            Ok(Json(EnrolResponse {
                device_id,
                credential,
                employee_name,
            }))
        }
        Err(refusal) => {
            state.metrics().auth_failures.inc();
            state.throttle().failed(&keys);
            Err(match refusal {
                RedeemRefusal::Invalid => HttpError::new(
                    ErrorCode::EnrolmentCodeInvalid,
                    "this enrolment code is not valid; check it, or ask for a new one",
                ),
                RedeemRefusal::Used => HttpError::new(
                    ErrorCode::EnrolmentCodeUsed,
                    "this enrolment code was already used; ask for a new one",
                ),
            })
        }
    }
}

/// The address of the client making a request: the TCP peer's (never a forwarded-for
/// header, which the client writes itself); `None` when served without a socket (tests).
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(crate::serve::peer_of(parts).map(|a| a.ip())))
    }
}

/// The refusal of a throttled attempt (`what`: "sign-ins", "enrolments").
fn throttled(wait: std::time::Duration, what: &str) -> HttpError {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    HttpError::new(
        ErrorCode::RateLimited,
        format!(
            "too many failed {what} from this address or for this account; try again in {secs} s"
        ),
    )
    .retry_after(wait)
}

/// The enrolled device making a request (`Authorization: Bearer <credential>`).
pub struct Device(pub DeviceRecord);

impl FromRequestParts<AppState> for Device {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthenticated = || {
            state.metrics().auth_failures.inc();
            HttpError::new(
                ErrorCode::Unauthenticated,
                "this device is not enrolled with the help host",
            )
        };
        let credential = bearer(&parts.headers).ok_or_else(unauthenticated)?;
        let device = state
            .store()
            .device_by_credential(&secrets::hash(credential.trim()))
            .await?
            .ok_or_else(unauthenticated)?;
        if device.revoked_at.is_some() {
            state.metrics().auth_failures.inc();
            return Err(HttpError::new(
                ErrorCode::DeviceRevoked,
                "this device's enrolment was revoked; enrol it again",
            ));
        }
        Ok(Device(device))
    }
}

#[utoipa::path(post, path = "/api/v1/shares", request_body = ShareRequest,
    security(("device" = [])),
    responses(
        (status = 201, body = SharePointer),
        (status = 400, body = ApiError, description = "unknown_topic or bad_request"),
        (status = 401, body = ApiError, description = "unauthenticated or device_revoked"),
        (status = 429, body = ApiError, description = "quota_exceeded: the device has as many requests open as it may (`--max-open-shares-per-device`)"),
    ))]
async fn create_share(
    State(state): State<AppState>,
    Device(device): Device,
    Body(req): Body<ShareRequest>,
) -> Result<(StatusCode, Json<SharePointer>), HttpError> {
    let most = state.config().limits.max_open_shares_per_device;
    let pointer = state
        .with_hub_durable(|hub, now, fx| {
            let share = NewShare::validate(&req, hub)?;
            let open = hub.open_shares_of(&device.id);
            if open >= most {
                return Err(ApiError::new(
                    ErrorCode::QuotaExceeded,
                    format!(
                        "this device has {open} help requests open, the most it may have at \
                         once; end one before asking again"
                    ),
                ));
            }
            Ok::<_, ApiError>(hub.create_share(now, &device, share, fx))
        })
        .await??;
    tracing::info!(
        session = pointer.session_id,
        device = device.id,
        topic = req.topic,
        "share requested"
    );
    Ok((StatusCode::CREATED, Json(pointer)))
}

#[utoipa::path(get, path = "/api/v1/desk",
    security(("device" = [])),
    responses(
        (status = 200, body = DeskOutlook),
        (status = 401, body = ApiError, description = "unauthenticated or device_revoked"),
    ))]
async fn desk(State(state): State<AppState>, _device: Device) -> Json<DeskOutlook> {
    Json(state.with_hub(|hub, now, _| hub.outlook(now)))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/feedback", request_body = Feedback,
    params(("session_id" = String, Path, description = "the session")),
    security(("participant" = [])),
    responses(
        (status = 204, description = "kept"),
        (status = 400, body = ApiError, description = "bad_request: a rating outside 1 to 5, a comment too long"),
        (status = 401, body = ApiError, description = "unauthenticated"),
        (status = 403, body = ApiError, description = "forbidden: only the requester gives feedback"),
        (status = 409, body = ApiError, description = "conflict: the session has not ended"),
    ))]
async fn feedback(
    State(state): State<AppState>,
    axum::extract::Path(session_id): axum::extract::Path<String>,
    headers: HeaderMap,
    Body(mut req): Body<Feedback>,
) -> Result<StatusCode, HttpError> {
    let p = ended_session_participant(&state, &headers, &session_id, Role::Requester).await?;
    if req.rating.is_some_and(|r| !(1..=5).contains(&r)) {
        return Err(HttpError::new(ErrorCode::BadRequest, "a rating is 1 to 5"));
    }
    req.comment = text::FEEDBACK_COMMENT.optional(req.comment.as_deref())?;
    state
        .store()
        .save_feedback(&session_id, &req, Now::get().millis)
        .await?;
    tracing::info!(session = session_id, participant = p.id, solved = req.solved, rating = ?req.rating, "feedback");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/wrap-up", request_body = WrapUp,
    params(("session_id" = String, Path, description = "the session")),
    security(("participant" = [])),
    responses(
        (status = 204, description = "kept"),
        (status = 400, body = ApiError, description = "bad_request: a note too long"),
        (status = 401, body = ApiError, description = "unauthenticated"),
        (status = 403, body = ApiError, description = "forbidden: only an expert of the session wraps it up"),
        (status = 409, body = ApiError, description = "conflict: the session has not ended"),
    ))]
async fn wrap_up(
    State(state): State<AppState>,
    axum::extract::Path(session_id): axum::extract::Path<String>,
    headers: HeaderMap,
    Body(mut req): Body<WrapUp>,
) -> Result<StatusCode, HttpError> {
    let p = ended_session_participant(&state, &headers, &session_id, Role::Expert).await?;
    req.note = text::WRAP_UP_NOTE.optional(req.note.as_deref())?;
    let expert = p.expert_id.unwrap_or_default();
    state
        .store()
        .save_wrap_up(&session_id, &expert, &req, Now::get().millis)
        .await?;
    tracing::info!(session = session_id, expert, outcome = ?req.outcome, "wrap-up");
    Ok(StatusCode::NO_CONTENT)
}

/// The participant of an ended session whose token is in the request, if they have `role`.
/// Read from the records, so that it works after a restart too.
async fn ended_session_participant(
    state: &AppState,
    headers: &HeaderMap,
    session_id: &str,
    role: Role,
) -> Result<crate::store::ParticipantRecord, HttpError> {
    let token = bearer(headers).unwrap_or_default();
    let found = state
        .store()
        .participant_by_token(session_id, &secrets::hash(token.trim()), Now::get().millis)
        .await?;
    let Some((p, status)) = found else {
        state.metrics().auth_failures.inc();
        return Err(HttpError::new(
            ErrorCode::Unauthenticated,
            "this session token is not valid for this session",
        ));
    };
    if p.role != role {
        return Err(HttpError::new(
            ErrorCode::Forbidden,
            match role {
                Role::Requester => "only the person who asked for help gives feedback",
                _ => "only an expert of the session wraps it up",
            },
        ));
    }
    if status != SessionStatus::Ended {
        return Err(HttpError::new(
            ErrorCode::Conflict,
            "the session has not ended yet",
        ));
    }
    Ok(p)
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/guests", request_body = GuestInviteRequest,
    params(("session_id" = String, Path, description = "the session")),
    security(("participant" = [])),
    responses(
        (status = 201, body = GuestInvite),
        (status = 400, body = ApiError, description = "bad_request"),
        (status = 401, body = ApiError, description = "unauthenticated"),
        (status = 403, body = ApiError, description = "forbidden: a guest cannot invite"),
        (status = 409, body = ApiError, description = "conflict: no expert yet, or four people already"),
    ))]
async fn invite_guest(
    State(state): State<AppState>,
    axum::extract::Path(session_id): axum::extract::Path<String>,
    headers: HeaderMap,
    Body(req): Body<GuestInviteRequest>,
) -> Result<(StatusCode, Json<GuestInvite>), HttpError> {
    let inviter = session_participant(&state, &headers, &session_id)?;
    let invite = state
        .with_hub_durable(|hub, now, fx| hub.invite_guest(now, &session_id, &inviter, &req, fx))
        .await??;
    Ok((StatusCode::CREATED, Json(invite)))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/hand-over", request_body = HandOverRequest,
    params(("session_id" = String, Path, description = "the session")),
    security(("participant" = [])),
    responses(
        (status = 204, description = "handed over: the other expert joins, this one has left"),
        (status = 401, body = ApiError),
        (status = 403, body = ApiError, description = "forbidden: not the expert in charge"),
        (status = 404, body = ApiError, description = "not_found: no expert with that user name has a console open"),
        (status = 409, body = ApiError, description = "conflict: that expert is not free, or the session is not live"),
    ))]
async fn hand_over(
    State(state): State<AppState>,
    axum::extract::Path(session_id): axum::extract::Path<String>,
    headers: HeaderMap,
    Body(req): Body<HandOverRequest>,
) -> Result<StatusCode, HttpError> {
    let expert = session_participant(&state, &headers, &session_id)?;
    state
        .with_hub_durable(|hub, now, fx| {
            hub.hand_over(now, &session_id, &expert, &req.to_username, fx)
        })
        .await??;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/sessions/{session_id}/guests/{participant_id}",
    params(("session_id" = String, Path, description = "the session"),
        ("participant_id" = String, Path, description = "the guest")),
    security(("participant" = [])),
    responses(
        (status = 204, description = "removed: the guest's link stops working, their place is free"),
        (status = 401, body = ApiError),
        (status = 403, body = ApiError, description = "forbidden: a guest cannot remove anyone"),
        (status = 404, body = ApiError, description = "not_found: no such guest in this session (or removed already)"),
        (status = 410, body = ApiError, description = "session_ended"),
    ))]
async fn remove_guest(
    State(state): State<AppState>,
    axum::extract::Path((session_id, guest)): axum::extract::Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, HttpError> {
    let by = session_participant(&state, &headers, &session_id)?;
    state
        .with_hub_durable(|hub, now, fx| hub.remove_guest(now, &session_id, &by, &guest, fx))
        .await??;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/experts", request_body = BringInRequest,
    params(("session_id" = String, Path, description = "the session")),
    security(("participant" = [])),
    responses(
        (status = 204, description = "brought in: the colleague's consoles get the link"),
        (status = 401, body = ApiError),
        (status = 403, body = ApiError, description = "forbidden: not the expert in charge"),
        (status = 404, body = ApiError, description = "not_found: no expert with that user name has a console open"),
        (status = 409, body = ApiError, description = "conflict: that expert is not free, the session is full, or it is not live"),
    ))]
async fn bring_in(
    State(state): State<AppState>,
    axum::extract::Path(session_id): axum::extract::Path<String>,
    headers: HeaderMap,
    Body(req): Body<BringInRequest>,
) -> Result<StatusCode, HttpError> {
    let expert = session_participant(&state, &headers, &session_id)?;
    state
        .with_hub_durable(|hub, now, fx| hub.bring_in(now, &session_id, &expert, &req.username, fx))
        .await??;
    Ok(StatusCode::NO_CONTENT)
}

/// The token of `Authorization: Bearer <token>`.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The participant of `session_id` whose token the request carries (`Authorization: Bearer`).
pub(crate) fn session_participant(
    state: &AppState,
    headers: &HeaderMap,
    session_id: &str,
) -> Result<String, HttpError> {
    let token = bearer(headers).unwrap_or_default();
    state
        .with_hub(|hub, now, _| hub.participant_by_token(now, token))
        .filter(|(s, _)| s == session_id)
        .map(|(_, p)| p)
        .ok_or_else(|| {
            state.metrics().auth_failures.inc();
            HttpError::new(
                ErrorCode::Unauthenticated,
                "this session token is not valid for this session",
            )
        })
}

/// The expert signed in to the console (login cookie).
pub struct Expert(pub ExpertRecord, pub [u8; 32]);

fn login_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(LOGIN_COOKIE)
                .and_then(|r| r.strip_prefix('='))
        })
}

impl FromRequestParts<AppState> for Expert {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthenticated =
            || HttpError::new(ErrorCode::Unauthenticated, "sign in to the console first");
        let token = login_cookie(&parts.headers).ok_or_else(unauthenticated)?;
        let hash = secrets::hash(token);
        let expert = state
            .store()
            .expert_by_login(&hash, Now::get().millis)
            .await?
            .ok_or_else(unauthenticated)?;
        Ok(Expert(expert, hash))
    }
}

fn profile(e: &ExpertRecord) -> ExpertProfile {
    ExpertProfile {
        id: e.id.clone(),
        username: e.username.clone(),
        display_name: e.display_name.clone(),
        skills: e.skills.clone(),
    }
}

#[utoipa::path(post, path = "/api/v1/expert/login", request_body = LoginRequest, responses(
    (status = 200, body = ExpertProfile, description = "signed in; sets the login cookie"),
    (status = 401, body = ApiError, description = "bad_credentials"),
    (status = 429, body = ApiError, description = "rate_limited: too many failed sign-ins from this address or for this user name; `Retry-After` says when to try again", headers(("Retry-After" = u64, description = "seconds"))),
    (status = 503, body = ApiError, description = "busy: every password check is taken; `Retry-After` says when to try again", headers(("Retry-After" = u64, description = "seconds"))),
))]
async fn login(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    Body(req): Body<LoginRequest>,
) -> Result<Response, HttpError> {
    let mut keys = vec![Key::account(&req.username)];
    keys.extend(client.map(|ip| Key::address(Attempt::SignIn, ip)));
    let _checking = state
        .throttle()
        .begin(&keys)
        .map_err(|wait| throttled(wait, "sign-ins"))?;
    let expert = state
        .store()
        .expert_by_username(req.username.trim())
        .await?;
    let password = req.password;
    let permit = state.hashing().enter().await.ok_or_else(|| {
        HttpError::new(
            ErrorCode::Busy,
            "the host is busy checking other sign-ins; try again in a moment",
        )
        .retry_after(std::time::Duration::from_secs(1))
    })?;
    let (expert, ok) = tokio::task::spawn_blocking(move || {
        let phc = expert
            .as_ref()
            .map_or(secrets::decoy_password_hash(), |e| e.password_hash.as_str());
        let ok = secrets::verify_password(&password, phc);
        drop(permit);
        (expert, ok)
    })
    .await
    .map_err(|_| HttpError::new(ErrorCode::Internal, "password check failed"))?;
    let Some(expert) = expert.filter(|_| ok) else {
        state.throttle().failed(&keys);
        state.metrics().auth_failures.inc();
        return Err(HttpError::new(
            ErrorCode::BadCredentials,
            "wrong user name or password",
        ));
    };
    state.throttle().succeeded(&keys);
    let token = secrets::token();
    let now = Now::get();
    state
        .store()
        .add_login(
            &secrets::hash(&token),
            &expert.id,
            now.millis + LOGIN_LIFETIME_MS,
        )
        .await?;
    let secure = if state.public_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{LOGIN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        LOGIN_LIFETIME_MS / 1000
    );
    tracing::info!(expert = expert.username, "expert signed in");
    Ok(([(SET_COOKIE, cookie)], Json(profile(&expert))).into_response())
}

#[utoipa::path(post, path = "/api/v1/expert/logout", request_body = EmptyBody,
    security(("console" = [])),
    responses((status = 204, description = "signed out"), (status = 401, body = ApiError)))]
async fn logout(
    State(state): State<AppState>,
    expert: Expert,
    _body: Body<EmptyBody>,
) -> Result<Response, HttpError> {
    state.store().remove_login(&expert.1).await?;
    let cookie = format!("{LOGIN_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, cookie)]).into_response())
}

#[utoipa::path(get, path = "/api/v1/expert/me", security(("console" = [])), responses(
    (status = 200, body = ExpertProfile),
    (status = 401, body = ApiError),
))]
async fn me(expert: Expert) -> Json<ExpertProfile> {
    Json(profile(&expert.0))
}

#[utoipa::path(post, path = "/api/v1/expert/ticket", request_body = EmptyBody,
    security(("console" = [])),
    responses(
    (status = 200, body = ConsoleTicket),
    (status = 401, body = ApiError),
))]
async fn ticket(
    State(state): State<AppState>,
    expert: Expert,
    _body: Body<EmptyBody>,
) -> Json<ConsoleTicket> {
    let ticket = state.with_hub(|hub, now, _| hub.issue_ticket(now, profile(&expert.0)));
    let ws = state.public_url().replacen("http", "ws", 1);
    Json(ConsoleTicket {
        ticket,
        ws_url: format!("{ws}/api/v1/ws"),
    })
}

/// The paths documented in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Instant Share host", description = "The help host's HTTP API. The WebSocket at /api/v1/ws speaks ClientMessage and ServerFrame."),
    paths(healthz, metrics, topics, enrol, create_share, desk, invite_guest, hand_over, bring_in, feedback, wrap_up, remove_guest, crate::image_api::upload, crate::image_api::download, crate::updates::manifest, crate::updates::file, login, logout, me, ticket),
    components(schemas(ClientMessage, ServerFrame, ServerMessage, EmptyBody)),
    modifiers(&SecuritySchemes, &Limits, &CommonRefusals),
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("device credential"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "console",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                LOGIN_COOKIE,
                "the console's login cookie (POST /api/v1/expert/login sets it)",
            ))),
        );
        components.add_security_scheme(
            "participant",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("participant token of the session"))
                    .build(),
            ),
        );
    }
}
