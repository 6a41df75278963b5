//! Updates of the app itself, from the help host it is enrolled with (`GET
//! /api/v1/updates/latest.json`, CONTRACT.md): the host's operator decides which release the
//! company's apps get, and no other site is ever asked.
//!
//! - Checked 20 s after start and every 6 hours, and when the user asks; quietly (a failed
//!   check is logged, the window shows the last known state).
//! - Tauri's updater plugin downloads the installer, checks its signature against the public key
//!   built into the app (`plugins.updater.pubkey`) and installs it (deb/rpm through the system's
//!   package tool, the AppImage in place, msi/nsis by running the installer, the macOS bundle in
//!   place); the app then starts again.
//! - Only on the user's consent, and never while a request or a session is under way: an
//!   employee is never cut off from an expert by an update.
//! - The device credential goes with the check and the download, so both must be the enrolled
//!   host's, over https (plain http only to this machine, for development and tests).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use instant_share_protocol::{ApiError, ErrorCode};
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_updater::{Update, UpdaterExt};
use ts_rs::TS;
use url::Url;

use crate::controller::Controller;

/// The first check after start: late enough not to compete with the window and the session
/// socket coming up.
const FIRST_CHECK_AFTER: Duration = Duration::from_secs(20);

/// Checks after the first.
const CHECK_EVERY: Duration = Duration::from_secs(6 * 60 * 60);

/// How long a check or the start of a download may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The host's manifest route.
const MANIFEST_PATH: &str = "/api/v1/updates/latest.json";

/// What the window shows about updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum UpdateView {
    /// Updates are not looked for; `reason` says why (not enrolled yet, a host without https).
    Off {
        /// This app's version.
        version: String,
        /// A sentence.
        reason: String,
    },
    /// Nothing newer is known: not checked yet (`checked_at` absent) or up to date.
    Current {
        /// This app's version.
        version: String,
        /// When the host last said so (Unix milliseconds).
        #[ts(optional, type = "number")]
        #[serde(skip_serializing_if = "Option::is_none")]
        checked_at: Option<u64>,
    },
    /// Asking the host.
    Checking {
        /// This app's version.
        version: String,
    },
    /// The host offers a newer release; installing waits for the user.
    Available {
        /// This app's version.
        version: String,
        /// The release offered.
        new_version: String,
        /// Its notes, as the release wrote them.
        #[ts(optional)]
        #[serde(skip_serializing_if = "Option::is_none")]
        notes: Option<String>,
    },
    /// Downloading the installer.
    Downloading {
        /// The release being installed.
        new_version: String,
        /// Bytes so far.
        #[ts(type = "number")]
        downloaded: u64,
        /// The installer's size, when the host said it.
        #[ts(optional, type = "number")]
        #[serde(skip_serializing_if = "Option::is_none")]
        total: Option<u64>,
    },
    /// Downloaded and verified; the installer runs, then the app starts again.
    Installing {
        /// The release being installed.
        new_version: String,
    },
    /// The last check or install failed; `message` says what to do.
    Failed {
        /// This app's version.
        version: String,
        /// The release that could not be installed, if it got that far.
        #[ts(optional)]
        #[serde(skip_serializing_if = "Option::is_none")]
        new_version: Option<String>,
        /// A sentence.
        message: String,
    },
}

/// The app's updates: the state the window shows and the release found by the last check.
#[derive(Clone)]
pub struct Updates {
    inner: Arc<Inner>,
}

struct Inner {
    app: AppHandle,
    view: Mutex<UpdateView>,
    /// The release found by the last check, ready to install.
    found: Mutex<Option<Update>>,
    /// One check or install at a time.
    busy: tokio::sync::Mutex<()>,
}

/// This app's version.
fn own_version(app: &AppHandle) -> String {
    app.package_info().version.to_string()
}

/// The manifest address on the enrolled host, if updates may be fetched from it: https, or
/// http to this machine only.
pub fn manifest_url(host_url: &str) -> Result<Url, String> {
    let host = Url::parse(host_url)
        .map_err(|e| format!("The help host address {host_url:?} is not valid ({e})."))?;
    let loopback = match host.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if host.scheme() != "https" && !(host.scheme() == "http" && loopback) {
        return Err(format!(
            "Updates are only fetched over https, and the help host is {host_url}. \
             Ask your IT department for its https address."
        ));
    }
    host.join(MANIFEST_PATH.trim_start_matches('/'))
        .map_err(|e| format!("The help host address {host_url:?} is not valid ({e})."))
}

/// Whether `download` is on the same origin as the manifest (the host's): the credential goes
/// with the download.
fn same_origin(download: &Url, manifest: &Url) -> bool {
    download.origin() == manifest.origin()
}

/// A library's error message as the middle of a sentence: first letter small, no full stop.
fn sentence_part(message: &str) -> String {
    let trimmed = message.trim().trim_end_matches('.');
    let mut chars = trimmed.chars();
    match chars.next() {
        // "HTTP …" and the like keep their capitals.
        Some(first) if chars.clone().next().is_some_and(char::is_lowercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => trimmed.to_owned(),
    }
}

/// An error with the errors it wraps: reqwest's "builder error" alone does not say that the
/// system has no CA certificates.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Updates {
    /// Nothing checked yet.
    pub fn new(app: AppHandle) -> Self {
        let version = own_version(&app);
        Self {
            inner: Arc::new(Inner {
                app,
                view: Mutex::new(UpdateView::Current {
                    version,
                    checked_at: None,
                }),
                found: Mutex::new(None),
                busy: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// What the window shows now.
    pub fn view(&self) -> UpdateView {
        self.inner
            .view
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, view: UpdateView) {
        *self
            .inner
            .view
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = view.clone();
        crate::events::emit(&self.inner.app, crate::events::AppEvent::Update(&view));
    }

    /// Checks now, after 20 s and every 6 hours.
    pub fn watch(&self, controller: Controller) {
        let this = self.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(FIRST_CHECK_AFTER).await;
            loop {
                // A release already waiting for the user is not asked for again.
                if !matches!(this.view(), UpdateView::Available { .. }) {
                    let _ = this.check(&controller).await;
                }
                tokio::time::sleep(CHECK_EVERY).await;
            }
        });
    }

    /// Asks the enrolled host for a newer release. The view says the outcome; the error is
    /// also returned for a check the user asked for.
    pub async fn check(&self, controller: &Controller) -> Result<UpdateView, ApiError> {
        let Ok(_busy) = self.inner.busy.try_lock() else {
            return Ok(self.view());
        };
        let version = own_version(&self.inner.app);
        if let Some(reason) = controller.updates_off() {
            self.set(UpdateView::Off {
                version,
                reason: reason.into(),
            });
            return Ok(self.view());
        }
        let Some((host_url, credential)) = controller.host_credential().await else {
            self.set(UpdateView::Off {
                version,
                reason: "Updates come from the help host once this computer is enrolled.".into(),
            });
            return Ok(self.view());
        };
        let manifest = match manifest_url(&host_url) {
            Ok(url) => url,
            Err(reason) => {
                self.set(UpdateView::Off { version, reason });
                return Ok(self.view());
            }
        };
        self.set(UpdateView::Checking {
            version: version.clone(),
        });
        let found = self
            .inner
            .app
            .updater_builder()
            .endpoints(vec![manifest.clone()])
            .and_then(|b| b.header("Authorization", format!("Bearer {credential}")))
            .map(|b| b.timeout(REQUEST_TIMEOUT))
            .and_then(|b| b.build());
        let found = match found {
            Ok(updater) => updater.check().await,
            Err(e) => Err(e),
        };
        match found {
            Ok(Some(update)) if !same_origin(&update.download_url, &manifest) => {
                tracing::warn!(url = %update.download_url, "an update not served by the help host was refused");
                self.fail(
                    None,
                    "The help host offered an update from another address, which was refused. \
                     Tell your IT department."
                        .into(),
                )
            }
            Ok(Some(update)) => {
                tracing::info!(version = update.version, "an update is available");
                let view = UpdateView::Available {
                    version,
                    new_version: update.version.clone(),
                    notes: update.body.clone().filter(|n| !n.trim().is_empty()),
                };
                *self
                    .inner
                    .found
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(update);
                self.set(view);
                Ok(self.view())
            }
            Ok(None) => {
                tracing::debug!("no update");
                self.set(UpdateView::Current {
                    version,
                    checked_at: Some(now_ms()),
                });
                Ok(self.view())
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot check for updates");
                self.fail(
                    None,
                    format!(
                        "Could not check for updates: {}. The app tries again later.",
                        sentence_part(&with_causes(&e))
                    ),
                )
            }
        }
    }

    /// Says in the view that a check or install failed; the view is the answer (the window
    /// shows it where the update is shown, not as a second error).
    fn fail(&self, new_version: Option<String>, message: String) -> Result<UpdateView, ApiError> {
        self.set(UpdateView::Failed {
            version: own_version(&self.inner.app),
            new_version,
            message,
        });
        Ok(self.view())
    }

    /// Downloads, verifies and installs the release the last check found, then starts the app
    /// again. Refused while a request or session is under way.
    pub async fn install(&self, controller: &Controller) -> Result<UpdateView, ApiError> {
        if controller.busy() {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "Finish the help session first: installing restarts the app.",
            ));
        }
        let Ok(_busy) = self.inner.busy.try_lock() else {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "The app is already checking for or installing an update.",
            ));
        };
        let Some(update) = self
            .inner
            .found
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        else {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "No update is waiting. Check for updates first.",
            ));
        };
        let new_version = update.version.clone();
        tracing::info!(version = new_version, url = %update.download_url, "installing an update");
        self.set(UpdateView::Downloading {
            new_version: new_version.clone(),
            downloaded: 0,
            total: None,
        });
        // The plugin calls both back while this call waits: they borrow, nothing is cloned.
        let mut downloaded = 0u64;
        let mut last_shown = 0u64;
        let result = update
            .download_and_install(
                |chunk, total| {
                    downloaded += chunk as u64;
                    // About a hundred steps, not one event per network read.
                    let step = total.map_or(256 * 1024, |t| (t / 100).max(1));
                    if downloaded - last_shown >= step || Some(downloaded) == total {
                        last_shown = downloaded;
                        self.set(UpdateView::Downloading {
                            new_version: new_version.clone(),
                            downloaded,
                            total,
                        });
                    }
                },
                || {
                    self.set(UpdateView::Installing {
                        new_version: new_version.clone(),
                    })
                },
            )
            .await;
        match result {
            Ok(()) => {
                tracing::info!(version = new_version, "update installed; starting again");
                self.inner.app.restart();
            }
            Err(e) => {
                tracing::error!(error = %e, version = new_version, "the update failed");
                self.fail(
                    Some(new_version),
                    format!(
                        "The update could not be installed: {}. The app keeps working as it \
                         is; try again later, or ask your IT department.",
                        sentence_part(&with_causes(&e))
                    ),
                )
            }
        }
    }
}

/// The update state, for a window that opens.
#[tauri::command]
pub fn update_state(updates: State<'_, Updates>) -> UpdateView {
    updates.view()
}

/// Checks for an update now.
#[tauri::command]
pub async fn update_check(
    updates: State<'_, Updates>,
    controller: State<'_, Controller>,
) -> Result<UpdateView, ApiError> {
    updates.check(&controller).await
}

/// Installs the update found, then restarts the app.
#[tauri::command]
pub async fn update_install(
    updates: State<'_, Updates>,
    controller: State<'_, Controller>,
) -> Result<UpdateView, ApiError> {
    updates.install(&controller).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Path of the generated TypeScript, relative to the workspace root.
    const GENERATED_PATH: &str = "ui/src/app/update-types.ts";

    /// The TypeScript mirror of [`UpdateView`] and its event name.
    fn typescript() -> String {
        instant_share_protocol::typescript::module(
            "src-tauri/src/updates.rs by `UPDATE_GENERATED=1 cargo test -p instant-share updates`",
            &[],
            &[UpdateView::decl()],
        )
    }

    #[test]
    fn generated_typescript_is_current() {
        instant_share_protocol::typescript::check_or_update(
            GENERATED_PATH,
            &typescript(),
            "UPDATE_GENERATED=1 cargo test -p instant-share updates",
        );
    }

    #[test]
    fn updates_come_over_https_or_from_this_machine() {
        assert_eq!(
            manifest_url("https://help.example.com").unwrap().as_str(),
            "https://help.example.com/api/v1/updates/latest.json"
        );
        assert_eq!(
            manifest_url("https://help.example.com/").unwrap().as_str(),
            "https://help.example.com/api/v1/updates/latest.json"
        );
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
        ] {
            assert!(manifest_url(local).is_ok(), "{local}");
        }
        let e = manifest_url("http://help.example.com").unwrap_err();
        assert!(e.contains("only fetched over https"), "{e}");
        assert!(manifest_url("http://10.0.0.1").is_err());
        assert!(manifest_url("not a url").unwrap_err().contains("not valid"));
    }

    #[test]
    fn library_errors_read_as_part_of_a_sentence() {
        assert_eq!(
            sentence_part("The signature was created with a different key."),
            "the signature was created with a different key"
        );
        assert_eq!(sentence_part("HTTP status 502"), "HTTP status 502");
        assert_eq!(sentence_part(""), "");
    }

    /// An error that says little and wraps the one that says why, as reqwest's do.
    #[derive(Debug)]
    struct Builder(std::io::Error);

    impl std::fmt::Display for Builder {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("builder error")
        }
    }

    impl std::error::Error for Builder {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn an_error_says_what_it_wraps() {
        let e = Builder(std::io::Error::other(
            "No CA certificates were loaded from the system",
        ));
        assert_eq!(
            with_causes(&e),
            "builder error: No CA certificates were loaded from the system"
        );
        assert_eq!(with_causes(&e.0), e.0.to_string());
    }

    #[test]
    fn a_download_elsewhere_than_the_host_is_refused() {
        let manifest = manifest_url("https://help.example.com").unwrap();
        let ok = Url::parse("https://help.example.com/api/v1/updates/files/a.deb").unwrap();
        assert!(same_origin(&ok, &manifest));
        for other in [
            "https://github.com/acme/a.deb",
            "http://help.example.com/api/v1/updates/files/a.deb",
            "https://help.example.com:8443/a.deb",
        ] {
            assert!(
                !same_origin(&Url::parse(other).unwrap(), &manifest),
                "{other}"
            );
        }
    }
}
