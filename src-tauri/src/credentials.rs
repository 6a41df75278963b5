//! The device credential in the OS keychain (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows), through `keyring` 4's default store. Never in a file.
//!
//! The calls block (D-Bus round trips); call them from a blocking thread.
//!
//! The service name is the app's bundle identifier. Versions before it became valid on macOS
//! kept the credential under [`FORMER_IDENTIFIER`]; the first read that finds nothing under the
//! current name moves such an entry over (read, stored under the new name, old one removed), so
//! an enrolled device stays enrolled.

use instant_share_protocol::{ApiError, ErrorCode};

use crate::legacy::FORMER_IDENTIFIER;

/// The keychain service name of every entry (the bundle identifier); the account is the device
/// id.
pub(crate) const SERVICE: &str = "com.instantshare.desktop";

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

    /// The credential of `device_id`, or `None` if the keychain has none. One kept under the
    /// former service name is moved to the current one first.
    pub fn get(&self, device_id: &str) -> Result<Option<String>, ApiError> {
        match read(SERVICE, device_id)? {
            Some(secret) => Ok(Some(secret)),
            None => move_entry(FORMER_IDENTIFIER, SERVICE, device_id),
        }
    }

    /// Stores the credential of `device_id`, replacing any earlier one.
    pub fn set(&self, device_id: &str, credential: &str) -> Result<(), ApiError> {
        entry(SERVICE, device_id)?
            .set_password(credential)
            .map_err(|e| failed("store", e))
    }

    /// Removes the credential of `device_id`, also one left under the former service name;
    /// removing a missing one is fine.
    pub fn delete(&self, device_id: &str) -> Result<(), ApiError> {
        remove(SERVICE, device_id)?;
        remove(FORMER_IDENTIFIER, device_id)
    }
}

/// The account under which the live session of `device_id` is kept: the session's participant
/// token is a credential too, so it lives beside the device's and never in a file.
fn live_session_account(device_id: &str) -> String {
    format!("{device_id}/live-session")
}

impl Keychain {
    /// The live session kept by [`Keychain::keep_live_session`] for `device_id`, if any.
    pub fn live_session(&self, device_id: &str) -> Result<Option<String>, ApiError> {
        read(SERVICE, &live_session_account(device_id))
    }

    /// Keeps the live session of `device_id` (serialised by the caller), replacing any other.
    pub fn keep_live_session(&self, device_id: &str, session: &str) -> Result<(), ApiError> {
        entry(SERVICE, &live_session_account(device_id))?
            .set_password(session)
            .map_err(|e| failed("store", e))
    }

    /// Forgets the live session of `device_id`; forgetting none is fine.
    pub fn forget_live_session(&self, device_id: &str) -> Result<(), ApiError> {
        remove(SERVICE, &live_session_account(device_id))
    }
}

fn read(service: &str, device_id: &str) -> Result<Option<String>, ApiError> {
    match entry(service, device_id)?.get_password() {
        Ok(secret) => Ok(Some(secret)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(failed("read", e)),
    }
}

fn remove(service: &str, device_id: &str) -> Result<(), ApiError> {
    match entry(service, device_id)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(failed("remove", e)),
    }
}

/// Moves the entry of `device_id` from service `from` to service `to` and returns its secret,
/// or `None` if `from` has none. The old entry is removed only once the new one is stored; if
/// removing it fails the move still counts (the next `delete` tries again).
fn move_entry(from: &str, to: &str, device_id: &str) -> Result<Option<String>, ApiError> {
    let Some(secret) = read(from, device_id)? else {
        return Ok(None);
    };
    entry(to, device_id)?
        .set_password(&secret)
        .map_err(|e| failed("store", e))?;
    if let Err(e) = remove(from, device_id) {
        tracing::warn!(error = %e, from, "the credential was copied but its old entry stays");
    }
    tracing::info!(
        from,
        to,
        "the credential moved to the current keychain service name"
    );
    Ok(Some(secret))
}

fn entry(service: &str, device_id: &str) -> Result<keyring::Entry, ApiError> {
    keyring::Entry::new(service, device_id).map_err(|e| match e {
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

#[cfg(test)]
mod tests {
    //! These use the OS keychain: run them in the headless keyring session
    //! (`scripts/headless.sh cargo test -p instant-share`). Each test has its own device id.

    use super::*;

    fn device(name: &str) -> String {
        format!("test-{name}-{}", std::process::id())
    }

    fn raw(service: &str, device_id: &str) -> keyring::Entry {
        keyring::Entry::new(service, device_id).expect("the test keychain opens")
    }

    #[test]
    fn the_service_is_the_bundle_identifier() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
        assert_eq!(config["identifier"], SERVICE);
        assert_ne!(SERVICE, FORMER_IDENTIFIER);
    }

    #[test]
    fn a_credential_under_the_former_service_moves_on_first_read() {
        let id = device("move");
        raw(FORMER_IDENTIFIER, &id).set_password("s3cret").unwrap();
        assert!(matches!(
            raw(SERVICE, &id).get_password(),
            Err(keyring::Error::NoEntry)
        ));

        assert_eq!(Keychain.get(&id).unwrap().as_deref(), Some("s3cret"));
        assert_eq!(raw(SERVICE, &id).get_password().unwrap(), "s3cret");
        assert!(matches!(
            raw(FORMER_IDENTIFIER, &id).get_password(),
            Err(keyring::Error::NoEntry)
        ));
        // Read again: from the new place, nothing left to move.
        assert_eq!(Keychain.get(&id).unwrap().as_deref(), Some("s3cret"));
        Keychain.delete(&id).unwrap();
        assert_eq!(Keychain.get(&id).unwrap(), None);
    }

    #[test]
    fn the_current_entry_wins_and_delete_removes_both() {
        let id = device("both");
        raw(FORMER_IDENTIFIER, &id).set_password("old").unwrap();
        Keychain.set(&id, "new").unwrap();
        assert_eq!(Keychain.get(&id).unwrap().as_deref(), Some("new"));
        Keychain.delete(&id).unwrap();
        assert!(matches!(
            raw(FORMER_IDENTIFIER, &id).get_password(),
            Err(keyring::Error::NoEntry)
        ));
        assert_eq!(Keychain.get(&id).unwrap(), None);
    }

    #[test]
    fn the_live_session_is_kept_beside_the_credential_and_forgotten_alone() {
        let id = device("live");
        Keychain.set(&id, "device secret").unwrap();
        assert_eq!(Keychain.live_session(&id).unwrap(), None);
        Keychain.keep_live_session(&id, "{\"session\":1}").unwrap();
        Keychain.keep_live_session(&id, "{\"session\":2}").unwrap();
        assert_eq!(
            Keychain.live_session(&id).unwrap().as_deref(),
            Some("{\"session\":2}")
        );
        Keychain.forget_live_session(&id).unwrap();
        Keychain.forget_live_session(&id).unwrap();
        assert_eq!(Keychain.live_session(&id).unwrap(), None);
        assert_eq!(Keychain.get(&id).unwrap().as_deref(), Some("device secret"));
        Keychain.delete(&id).unwrap();
    }

    #[test]
    fn nothing_anywhere_is_not_enrolled() {
        assert_eq!(Keychain.get(&device("none")).unwrap(), None);
    }
}
