//! The device credential in the OS keychain (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows), through `keyring` 4's default store. Never in a file.
//!
//! The calls block (D-Bus round trips); call them from a blocking thread.

use instant_share_protocol::{ApiError, ErrorCode};

/// The keychain service name of every entry; the account is the device id.
const SERVICE: &str = "com.instantshare.app";

/// The credential store.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keychain;

impl Keychain {
    /// Whether the OS keychain can be used at all; logs why not.
    pub fn check(&self) -> Result<(), ApiError> {
        keyring::Entry::store_status()
            .as_ref()
            .map_err(|e| unavailable(e.to_string()))?;
        Ok(())
    }

    /// The credential of `device_id`, or `None` if the keychain has none.
    pub fn get(&self, device_id: &str) -> Result<Option<String>, ApiError> {
        match entry(device_id)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(failed("read", e)),
        }
    }

    /// Stores the credential of `device_id`, replacing any earlier one.
    pub fn set(&self, device_id: &str, credential: &str) -> Result<(), ApiError> {
        entry(device_id)?
            .set_password(credential)
            .map_err(|e| failed("store", e))
    }

    /// Removes the credential of `device_id`; removing a missing one is fine.
    pub fn delete(&self, device_id: &str) -> Result<(), ApiError> {
        match entry(device_id)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(failed("remove", e)),
        }
    }
}

fn entry(device_id: &str) -> Result<keyring::Entry, ApiError> {
    keyring::Entry::new(SERVICE, device_id).map_err(|e| match e {
        keyring::Error::NoDefaultStore => unavailable(
            keyring::Entry::store_status()
                .as_ref()
                .err()
                .map_or_else(|| e.to_string(), ToString::to_string),
        ),
        other => failed("open", other),
    })
}

fn unavailable(detail: String) -> ApiError {
    tracing::warn!(%detail, "no OS keychain");
    ApiError::new(
        ErrorCode::Keychain,
        "The system keychain is not available, so the app cannot keep its sign-in safely. \
         Start or unlock your keyring (for example GNOME Keyring or KWallet) and try again.",
    )
}

fn failed(action: &str, e: keyring::Error) -> ApiError {
    tracing::warn!(error = %e, action, "keychain call failed");
    match e {
        keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_) => ApiError::new(
            ErrorCode::Keychain,
            format!(
                "The system keychain refused to {action} this app's sign-in. \
                 Unlock your keyring and try again."
            ),
        ),
        other => ApiError::new(
            ErrorCode::Keychain,
            format!("The system keychain could not {action} this app's sign-in: {other}."),
        ),
    }
}
