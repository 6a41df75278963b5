//! The IT department's policy: a system-wide JSON file that presets the help host and can lock
//! it, so that nobody types an address by hand and nobody can point the app elsewhere.
//!
//! Where it is (the installers write it, see `docs/IT-SETUP.md`):
//! - Linux: `/etc/instant-share/policy.json`
//! - Windows: `%ProgramData%\Instant Share\policy.json`
//! - macOS: `/Library/Application Support/Instant Share/policy.json`
//! - anywhere: `$INSTANT_SHARE_POLICY` (tests, and trying a policy out)
//!
//! What it holds: `{"host_url": "https://help.example.com", "lock_host": true, "updates": false}`.
//! Every key is optional (`updates` is true unless IT deploys new versions itself, with SCCM,
//! Intune or an MDM: then the app never looks for or installs an update of its own); any other key is an error, so that a misspelt `lock_host` never leaves a host
//! unlocked without anyone noticing. A file that cannot be used is never ignored: it is logged,
//! the window says which file and why, and the app does not enrol until IT fixes it (it cannot
//! tell which host IT allows). It never stops the app: an existing enrolment keeps working.
//!
//! No enrolment code in the policy: a code is a one-time secret for one named employee, and
//! this file is machine-wide and readable by every account on the computer (the app runs as the
//! user and must read it). A code in it would enrol whoever starts the app first, and stay on the
//! disk after use. Codes reach the employee personally, typed or as an enrolment link.
//!
//! The policy is read once, at start; a change takes effect at the next start.

use std::path::{Path, PathBuf};

use instant_share_protocol::link::normalise_host_url;
use instant_share_protocol::{ApiError, AppPolicy, ErrorCode};
use serde::Deserialize;

/// Overrides where the policy file is (tests point it at a file of their own).
pub const POLICY_ENV: &str = "INSTANT_SHARE_POLICY";

/// Largest policy file read, in bytes: a real one is under 200.
const MAX_POLICY_BYTES: u64 = 64 * 1024;

/// The policy file's path on this platform, or `$INSTANT_SHARE_POLICY` if set.
pub fn locate() -> PathBuf {
    std::env::var_os(POLICY_ENV)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(platform_path)
}

#[cfg(target_os = "windows")]
fn platform_path() -> PathBuf {
    // `%ProgramData%` is `C:\ProgramData` unless Windows was installed elsewhere.
    let base = std::env::var_os("ProgramData")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"));
    base.join("Instant Share").join("policy.json")
}

#[cfg(target_os = "macos")]
fn platform_path() -> PathBuf {
    PathBuf::from("/Library/Application Support/Instant Share/policy.json")
}

#[cfg(not(any(target_os = "windows", target_os = "macos")))]
fn platform_path() -> PathBuf {
    PathBuf::from("/etc/instant-share/policy.json")
}

/// The file's keys, exactly; anything else is refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    host_url: Option<String>,
    #[serde(default)]
    lock_host: bool,
    #[serde(default = "updates_default")]
    updates: bool,
}

fn updates_default() -> bool {
    true
}

/// What the window says when the policy turns the app's own updates off.
pub const UPDATES_OFF: &str = "Updates are managed by your IT department.";

/// A usable policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The help host, normalised (`normalise_host_url`).
    pub host_url: Option<String>,
    /// Whether the user may enrol with another host.
    pub lock_host: bool,
    /// Whether the app updates itself from the help host (false: IT deploys new versions).
    pub updates: bool,
}

/// Reads a policy from the file's bytes; the error says what is wrong, in a sentence.
///
/// UTF-8 with or without a byte-order mark (Windows PowerShell 5 and Notepad write one) and
/// UTF-16LE with one (PowerShell's `>` redirection) are read.
pub fn parse(bytes: &[u8]) -> Result<Policy, String> {
    let text = decode(bytes)?;
    let file: PolicyFile = serde_json::from_str(&text).map_err(|e| {
        format!("it is not a policy: {e} (expected {{\"host_url\": \"https://…\", \"lock_host\": true, \"updates\": false}})")
    })?;
    let host_url = match file.host_url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(normalise_host_url(raw).map_err(|e| format!("host_url: {e}"))?),
    };
    if file.lock_host && host_url.is_none() {
        return Err("lock_host is true but host_url is missing: there is no host to lock".into());
    }
    Ok(Policy {
        host_url,
        lock_host: file.lock_host,
        updates: file.updates,
    })
}

fn decode(bytes: &[u8]) -> Result<String, String> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        if rest.len() % 2 != 0 {
            return Err("it is not valid UTF-16 text".into());
        }
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        return String::from_utf16(&units).map_err(|_| "it is not valid UTF-16 text".into());
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8(bytes.to_vec()).map_err(|_| "it is not UTF-8 text".into())
}

/// What the app found at the policy path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyStatus {
    /// No file: the user chooses the host.
    Absent,
    /// A usable policy.
    Set {
        /// Where it was read from.
        path: PathBuf,
        /// What it says.
        policy: Policy,
    },
    /// A file that cannot be used; the sentence says which and why.
    Broken {
        /// Where it is.
        path: PathBuf,
        /// What is wrong, for people.
        message: String,
    },
}

impl PolicyStatus {
    /// Reads the file at `path`. Never fails: a file that cannot be used is [`Self::Broken`].
    pub fn load(path: &Path) -> Self {
        let broken = |why: String| {
            Self::Broken {
            path: path.to_owned(),
            message: format!(
                "Your IT department's settings file {} cannot be used: {why}. Instant Share cannot connect a new computer until it is fixed; ask your IT department.",
                path.display()
            ),
        }
        };
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Self::Absent,
            Err(e) => return broken(format!("it cannot be read ({e})")),
        };
        let mut bytes = Vec::new();
        if let Err(e) = std::io::Read::read_to_end(
            &mut std::io::Read::take(file, MAX_POLICY_BYTES + 1),
            &mut bytes,
        ) {
            return broken(format!("it cannot be read ({e})"));
        }
        if bytes.len() as u64 > MAX_POLICY_BYTES {
            return broken(format!("it is larger than {} KiB", MAX_POLICY_BYTES / 1024));
        }
        match parse(&bytes) {
            Ok(policy) => Self::Set {
                path: path.to_owned(),
                policy,
            },
            Err(why) => broken(why),
        }
    }

    /// The host address to show on the enrol form: the policy's, else `fallback` (the test
    /// prefill, then the address the user last used).
    pub fn prefill(&self, fallback: Option<String>) -> Option<String> {
        match self {
            Self::Set {
                policy:
                    Policy {
                        host_url: Some(host),
                        ..
                    },
                ..
            } => Some(host.clone()),
            _ => fallback,
        }
    }

    /// The host a locked policy sets, if it locks one.
    pub fn locked_host(&self) -> Option<&str> {
        match self {
            Self::Set {
                policy:
                    Policy {
                        host_url: Some(host),
                        lock_host: true,
                        ..
                    },
                ..
            } => Some(host),
            _ => None,
        }
    }

    /// Why the app must not update itself, if the policy says so. A broken policy does not turn
    /// updates off: the file's author meant something else, and a fixed release may be the cure.
    pub fn updates_off(&self) -> Option<&'static str> {
        match self {
            Self::Set {
                policy: Policy { updates: false, .. },
                ..
            } => Some(UPDATES_OFF),
            _ => None,
        }
    }

    /// Whether the app may enrol with `host_url` now; the error is the sentence to show.
    pub fn check_enrol(&self, host_url: &str) -> Result<(), ApiError> {
        if let Self::Broken { message, .. } = self {
            return Err(ApiError::new(ErrorCode::PolicyInvalid, message.clone()));
        }
        match self.locked_host() {
            Some(locked) if !same_host(locked, host_url) => Err(ApiError::new(
                ErrorCode::SetByPolicy,
                format!(
                    "Your IT department set this computer's help host to {locked}; Instant Share cannot connect to {host_url} instead."
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Whether an enrolment stored earlier with `host_url` may still be used: not when a
    /// locked policy names another host (a broken policy keeps what works).
    pub fn allows_stored(&self, host_url: &str) -> bool {
        self.locked_host()
            .is_none_or(|locked| same_host(locked, host_url))
    }

    /// What the window shows of the policy.
    pub fn to_app(&self) -> Option<AppPolicy> {
        match self {
            Self::Absent => None,
            Self::Set { path, policy } => Some(AppPolicy {
                path: path.display().to_string(),
                host_url: policy.host_url.clone(),
                host_locked: policy.lock_host,
                error: None,
            }),
            Self::Broken { path, message } => Some(AppPolicy {
                path: path.display().to_string(),
                host_url: None,
                host_locked: false,
                error: Some(ApiError::new(ErrorCode::PolicyInvalid, message.clone())),
            }),
        }
    }
}

/// Whether two host addresses name the same host (after normalising both; an address that does
/// not normalise matches nothing).
pub fn same_host(a: &str, b: &str) -> bool {
    match (normalise_host_url(a), normalise_host_url(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "https://help.example.com";

    fn set(host_url: Option<&str>, lock_host: bool) -> PolicyStatus {
        PolicyStatus::Set {
            path: PathBuf::from("/etc/instant-share/policy.json"),
            policy: Policy {
                host_url: host_url.map(str::to_owned),
                lock_host,
                updates: true,
            },
        }
    }

    #[test]
    fn a_policy_reads_with_or_without_either_key() {
        assert_eq!(
            parse(br#"{"host_url": "https://Help.Example.com/", "lock_host": true}"#),
            Ok(Policy {
                host_url: Some(HOST.into()),
                lock_host: true,
                updates: true,
            })
        );
        assert_eq!(
            parse(br#"{"host_url": "https://help.example.com"}"#),
            Ok(Policy {
                host_url: Some(HOST.into()),
                lock_host: false,
                updates: true,
            })
        );
        assert_eq!(
            parse(b"{}"),
            Ok(Policy {
                host_url: None,
                lock_host: false,
                updates: true,
            })
        );
    }

    #[test]
    fn it_can_turn_the_apps_own_updates_off() {
        let off = parse(br#"{"host_url": "https://help.example.com", "updates": false}"#).unwrap();
        assert!(!off.updates);
        let status = PolicyStatus::Set {
            path: PathBuf::from("/etc/instant-share/policy.json"),
            policy: off,
        };
        assert_eq!(status.updates_off(), Some(UPDATES_OFF));
        assert!(parse(br#"{"updates": true}"#).unwrap().updates);
        assert_eq!(set(Some(HOST), true).updates_off(), None);
        assert_eq!(PolicyStatus::Absent.updates_off(), None);
        let broken = PolicyStatus::Broken {
            path: PathBuf::from("/etc/instant-share/policy.json"),
            message: "cannot be used".into(),
        };
        assert_eq!(broken.updates_off(), None);
        assert!(parse(br#"{"updates": "no"}"#)
            .unwrap_err()
            .contains("not a policy"));
    }

    #[test]
    fn windows_encodings_are_read() {
        let json = r#"{"host_url":"https://help.example.com","lock_host":true}"#;
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(json.as_bytes());
        assert_eq!(parse(&bom).unwrap().host_url.as_deref(), Some(HOST));
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(json.encode_utf16().flat_map(u16::to_le_bytes));
        assert!(parse(&utf16).unwrap().lock_host);
    }

    #[test]
    fn a_bad_policy_says_what_is_wrong() {
        for (bytes, says) in [
            (
                &b"{\"host_url\": \"https://help.example.com\",,}"[..],
                "not a policy",
            ),
            (b"", "not a policy"),
            (b"[1]", "not a policy"),
            (
                br#"{"lock-host": true, "host_url": "https://h.example"}"#,
                "unknown field `lock-host`",
            ),
            (
                br#"{"host_url": "https://h.example", "lock_host": "yes"}"#,
                "not a policy",
            ),
            (br#"{"lock_host": true}"#, "no host to lock"),
            (br#"{"host_url": "http://help.example.com"}"#, "host_url"),
            (br#"{"host_url": "help.example.com"}"#, "host_url"),
            (b"\xFF\xFE\x00", "UTF-16"),
            (b"\xC3\x28", "UTF-8"),
        ] {
            let err = parse(bytes).expect_err(&String::from_utf8_lossy(bytes));
            assert!(err.contains(says), "{err:?} should say {says:?}");
        }
    }

    #[test]
    fn files_missing_broken_and_good() {
        let dir = std::env::temp_dir().join(format!("instant-share-policy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("policy.json");
        assert_eq!(PolicyStatus::load(&path), PolicyStatus::Absent);
        std::fs::write(&path, "{ not json").unwrap();
        let PolicyStatus::Broken { message, .. } = PolicyStatus::load(&path) else {
            panic!("a malformed file is broken");
        };
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("ask your IT department"), "{message}");
        std::fs::write(&path, vec![b' '; 70 * 1024]).unwrap();
        assert!(
            matches!(PolicyStatus::load(&path), PolicyStatus::Broken { message, .. } if message.contains("larger than"))
        );
        std::fs::write(
            &path,
            br#"{"host_url": "https://help.example.com", "lock_host": true}"#,
        )
        .unwrap();
        assert_eq!(
            PolicyStatus::load(&path),
            set(Some(HOST), true).with_path(&path)
        );
        // A directory where the file should be is an error too, not "no policy".
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        assert!(matches!(
            PolicyStatus::load(&path),
            PolicyStatus::Broken { .. }
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    impl PolicyStatus {
        fn with_path(self, at: &Path) -> Self {
            match self {
                Self::Set { policy, .. } => Self::Set {
                    path: at.to_owned(),
                    policy,
                },
                other => other,
            }
        }
    }

    #[test]
    fn the_policy_host_wins_over_the_users() {
        let remembered = Some("https://old.example.com".to_owned());
        assert_eq!(
            set(Some(HOST), false)
                .prefill(remembered.clone())
                .as_deref(),
            Some(HOST)
        );
        assert_eq!(
            set(Some(HOST), true).prefill(remembered.clone()).as_deref(),
            Some(HOST)
        );
        assert_eq!(set(None, false).prefill(remembered.clone()), remembered);
        assert_eq!(PolicyStatus::Absent.prefill(remembered.clone()), remembered);
    }

    #[test]
    fn a_locked_host_cannot_be_changed() {
        let locked = set(Some(HOST), true);
        assert!(locked.check_enrol("https://HELP.example.com:443/").is_ok());
        let err = locked.check_enrol("https://evil.example.com").unwrap_err();
        assert_eq!(err.code, ErrorCode::SetByPolicy);
        assert!(err.message.contains(HOST) && err.message.contains("IT department"));
        assert!(locked.check_enrol("not a url").is_err());
        assert!(locked.allows_stored(HOST));
        assert!(!locked.allows_stored("https://old.example.com"));
        // Unlocked: a preset, nothing more.
        let preset = set(Some(HOST), false);
        assert!(preset.check_enrol("https://other.example.com").is_ok());
        assert!(preset.allows_stored("https://other.example.com"));
        assert!(PolicyStatus::Absent
            .check_enrol("http://anything.example")
            .is_ok());
    }

    #[test]
    fn a_broken_policy_stops_new_enrolments_only() {
        let broken = PolicyStatus::Broken {
            path: PathBuf::from("/etc/instant-share/policy.json"),
            message: "Your IT department's settings file … cannot be used".into(),
        };
        assert_eq!(
            broken.check_enrol(HOST).unwrap_err().code,
            ErrorCode::PolicyInvalid
        );
        assert!(broken.allows_stored("https://old.example.com"));
        let shown = broken.to_app().unwrap();
        assert_eq!(shown.error.map(|e| e.code), Some(ErrorCode::PolicyInvalid));
        assert!(!shown.host_locked);
        assert_eq!(PolicyStatus::Absent.to_app(), None);
        assert!(set(Some(HOST), true).to_app().unwrap().host_locked);
    }
}
