//! App updates served by the help host: the operator drops a release's `latest.json` and its
//! signed installers into the updates directory (`--updates-dir`), and enrolled apps fetch
//! both from here with their device credential. A company's employees then never depend on a
//! site outside it, and IT decides when a release reaches them (by copying it in).
//!
//! The manifest is the Tauri updater's format (`version`, `notes`, `pub_date`, `platforms` of
//! `{url, signature}`) as the release workflow writes it. The host rewrites each platform's
//! `url` to its own copy of that file and leaves out platforms whose file it does not have:
//! the app sends its credential with the download, so a download must never go elsewhere.
//! Signatures are the app's to check (its built-in public key); the host only serves bytes.

use std::path::{Path as FsPath, PathBuf};

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use instant_share_protocol::{ApiError, ErrorCode};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::api::Device;
use crate::error::HttpError;
use crate::AppState;

/// The manifest's name in the updates directory.
pub const MANIFEST: &str = "latest.json";

/// Route of the manifest.
pub const MANIFEST_PATH: &str = "/api/v1/updates/latest.json";

/// Route prefix of the files.
const FILES_PATH: &str = "/api/v1/updates/files";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(MANIFEST_PATH, get(manifest))
        .route(&format!("{FILES_PATH}/{{name}}"), get(file))
}

/// One platform's installer in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UpdatePlatform {
    /// Where to download it.
    pub url: String,
    /// Its minisign signature (the contents of the `.sig` file the bundler wrote).
    pub signature: String,
}

/// A release as the Tauri updater reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UpdateManifest {
    /// The release's version (semver).
    pub version: String,
    /// Release notes shown to the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// When it was published (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pub_date: Option<String>,
    /// By updater target, e.g. `linux-x86_64-deb`, `windows-x86_64-msi`, `darwin-aarch64`.
    pub platforms: std::collections::BTreeMap<String, UpdatePlatform>,
}

/// Why the updates directory cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// `latest.json` could not be read.
    #[error("the update manifest {path} cannot be read: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// `latest.json` is not a manifest.
    #[error("the update manifest {path} is not valid: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The last path segment of a download URL, percent-decoded: the file's name in the updates
/// directory (a release may name `Instant Share_0.2.0_amd64.deb` as `Instant%20Share_…`).
fn file_name_of(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let segment = path.rsplit('/').next()?;
    let name = percent_decode_str(segment).decode_utf8().ok()?.into_owned();
    is_plain_name(&name).then_some(name)
}

/// What may stand in a URL path segment as it is; everything else is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A file name that stays inside the directory: no separators, not hidden, not `..`.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && name.len() <= 255
}

/// Reads `dir/latest.json` and points each platform at this host's copy of its file, dropping
/// the platforms whose file is not in `dir`. `Ok(None)`: no manifest (no update offered).
pub fn load_manifest(
    dir: &FsPath,
    public_url: &str,
) -> Result<Option<UpdateManifest>, ManifestError> {
    let path = dir.join(MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ManifestError::Unreadable {
                path,
                reason: e.to_string(),
            })
        }
    };
    let invalid = |reason: String| ManifestError::Invalid {
        path: path.clone(),
        reason,
    };
    let mut manifest: UpdateManifest =
        serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    if !is_semver(&manifest.version) {
        return Err(invalid(format!(
            "version {:?} is not a version like 1.2.3",
            manifest.version
        )));
    }
    manifest.platforms.retain(|target, platform| {
        match file_name_of(&platform.url).filter(|name| dir.join(name).is_file()) {
            Some(name) => {
                let name = utf8_percent_encode(&name, SEGMENT);
                platform.url = format!("{public_url}{FILES_PATH}/{name}");
                true
            }
            None => {
                tracing::warn!(
                    target,
                    url = platform.url,
                    dir = %dir.display(),
                    "an update's file is not in the updates directory: not offered to that platform"
                );
                false
            }
        }
    });
    Ok(Some(manifest))
}

/// `MAJOR.MINOR.PATCH`, optionally with a pre-release or build suffix.
fn is_semver(version: &str) -> bool {
    let core = version.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[utoipa::path(get, path = "/api/v1/updates/latest.json",
    security(("device" = [])),
    responses(
        (status = 200, body = UpdateManifest, description = "the release in the updates directory, each platform's file served by this host"),
        (status = 204, description = "no update is offered (no updates directory, or no manifest in it)"),
        (status = 401, body = ApiError, description = "unauthenticated or device_revoked"),
        (status = 500, body = ApiError, description = "internal: the manifest cannot be read or is not valid (the host's log says why)"),
    ))]
async fn manifest(State(state): State<AppState>, _device: Device) -> Result<Response, HttpError> {
    let Some(dir) = state.config().updates_dir.clone() else {
        return Ok(no_store(StatusCode::NO_CONTENT.into_response()));
    };
    let public_url = state.public_url().to_owned();
    let loaded = tokio::task::spawn_blocking(move || load_manifest(&dir, &public_url))
        .await
        .map_err(|e| {
            HttpError::new(
                ErrorCode::Internal,
                format!("reading the manifest failed: {e}"),
            )
        })?;
    match loaded {
        Ok(Some(manifest)) => Ok(no_store(Json(manifest).into_response())),
        Ok(None) => Ok(no_store(StatusCode::NO_CONTENT.into_response())),
        Err(e) => {
            tracing::error!(error = %e, "updates cannot be offered");
            Err(HttpError::new(
                ErrorCode::Internal,
                "the help host's update manifest is not usable; its operator has been told in the log",
            ))
        }
    }
}

#[utoipa::path(get, path = "/api/v1/updates/files/{name}",
    params(("name" = String, Path, description = "a file named by the manifest")),
    security(("device" = [])),
    responses(
        (status = 200, content_type = "application/octet-stream", description = "the file"),
        (status = 401, body = ApiError, description = "unauthenticated or device_revoked"),
        (status = 404, body = ApiError, description = "not_found: no such file in the updates directory"),
    ))]
async fn file(
    State(state): State<AppState>,
    _device: Device,
    Path(name): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, HttpError> {
    let not_found = || HttpError::new(ErrorCode::NotFound, "no such update file");
    let dir = state.config().updates_dir.clone().ok_or_else(not_found)?;
    if !is_plain_name(&name) || name == MANIFEST {
        return Err(not_found());
    }
    let path = dir.join(&name);
    if !tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_file()) {
        return Err(not_found());
    }
    // ServeFile answers ranges and sends the length, so the app's progress has a total.
    let served = ServeFile::new(&path)
        .oneshot(request)
        .await
        .map_err(|e| HttpError::new(ErrorCode::Internal, format!("reading {name} failed: {e}")))?;
    let mut response = served.into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        response.headers_mut().insert(CONTENT_DISPOSITION, value);
    }
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    tracing::info!(file = name, "update file served");
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "dW50cnVzdGVkIGNvbW1lbnQ=";

    fn write_release(dir: &FsPath, files: &[&str], platforms: &[(&str, &str)]) {
        for f in files {
            std::fs::write(dir.join(f), b"installer bytes").unwrap();
        }
        let platforms: serde_json::Map<String, serde_json::Value> = platforms
            .iter()
            .map(|(target, url)| {
                (
                    (*target).to_owned(),
                    serde_json::json!({ "url": url, "signature": SIG }),
                )
            })
            .collect();
        let manifest = serde_json::json!({
            "version": "0.2.0",
            "notes": "Faster screen sharing",
            "pub_date": "2026-12-01T10:00:00Z",
            "platforms": platforms,
        });
        std::fs::write(dir.join(MANIFEST), manifest.to_string()).unwrap();
    }

    #[test]
    fn platforms_point_at_this_host_and_missing_files_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        write_release(
            dir.path(),
            &["Instant Share_0.2.0_amd64.deb", "Instant.Share_0.2.0_x64_en-US.msi"],
            &[
                (
                    "linux-x86_64-deb",
                    "https://github.com/acme/instant-share/releases/download/v0.2.0/Instant%20Share_0.2.0_amd64.deb",
                ),
                (
                    "windows-x86_64-msi",
                    "https://example.com/Instant.Share_0.2.0_x64_en-US.msi?download=1",
                ),
                ("darwin-aarch64", "https://example.com/Instant.Share.app.tar.gz"),
            ],
        );
        let m = load_manifest(dir.path(), "https://help.example.com")
            .unwrap()
            .unwrap();
        assert_eq!(m.version, "0.2.0");
        assert_eq!(m.notes.as_deref(), Some("Faster screen sharing"));
        let targets: Vec<&str> = m.platforms.keys().map(String::as_str).collect();
        assert_eq!(targets, ["linux-x86_64-deb", "windows-x86_64-msi"]);
        assert_eq!(
            m.platforms["linux-x86_64-deb"].url,
            "https://help.example.com/api/v1/updates/files/Instant%20Share_0.2.0_amd64.deb"
        );
        assert_eq!(
            m.platforms["windows-x86_64-msi"].url,
            "https://help.example.com/api/v1/updates/files/Instant.Share_0.2.0_x64_en-US.msi"
        );
        assert_eq!(m.platforms["linux-x86_64-deb"].signature, SIG);
    }

    #[test]
    fn no_manifest_is_no_update_and_a_bad_one_says_why() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_manifest(dir.path(), "http://h").unwrap().is_none());
        std::fs::write(dir.path().join(MANIFEST), "{\"version\": 2}").unwrap();
        let e = load_manifest(dir.path(), "http://h").unwrap_err();
        assert!(e.to_string().contains("is not valid"), "{e}");
        std::fs::write(
            dir.path().join(MANIFEST),
            r#"{"version": "two", "platforms": {}}"#,
        )
        .unwrap();
        let e = load_manifest(dir.path(), "http://h").unwrap_err();
        assert!(e.to_string().contains("\"two\" is not a version"), "{e}");
    }

    #[test]
    fn only_plain_names_inside_the_directory_are_files() {
        for ok in ["a.deb", "Instant.Share_0.2.0_amd64.AppImage", "x.msi.sig"] {
            assert!(is_plain_name(ok), "{ok}");
        }
        for bad in ["", ".", "..", ".hidden", "a/b", "..\\x", "a\0b"] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
        assert_eq!(
            file_name_of("https://h/x/../y.deb?q=1#f").as_deref(),
            Some("y.deb")
        );
        assert_eq!(
            file_name_of("https://h/Instant%20Share_0.2.0_amd64.deb").as_deref(),
            Some("Instant Share_0.2.0_amd64.deb")
        );
        assert_eq!(file_name_of("https://h/..%2Fhost.sqlite3"), None);
        assert_eq!(file_name_of("https://h/dir/"), None);
        assert!(is_semver("1.2.3") && is_semver("0.2.0-beta.1+7"));
        assert!(!is_semver("1.2") && !is_semver("v1.2.3") && !is_semver("1.2.x"));
    }
}
