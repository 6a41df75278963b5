//! What the app remembers between runs, in `config.json` in the app's config directory.
//!
//! Never the credential: that lives only in the OS keychain (see `credentials.rs`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Overrides the directory of `config.json` (tests point it at a temporary directory).
pub const CONFIG_DIR_ENV: &str = "INSTANT_SHARE_CONFIG_DIR";

/// Prefills the host address on the enrolment screen.
pub const HOST_URL_ENV: &str = "INSTANT_SHARE_HOST_URL";

/// The remembered settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// The host this app is enrolled with, or was last told about.
    pub host_url: Option<String>,
    /// The device id the host gave at enrolment; names the keychain entry.
    pub device_id: Option<String>,
    /// The enrolled employee's name.
    pub employee_name: Option<String>,
}

impl Config {
    /// Drops the enrolment, keeping the host address for the next one.
    pub fn forget_enrolment(&mut self) {
        self.device_id = None;
        self.employee_name = None;
    }
}

/// Where `config.json` lives.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    path: PathBuf,
}

impl ConfigFile {
    /// `config.json` in `$INSTANT_SHARE_CONFIG_DIR` if set, otherwise in `default_dir`.
    pub fn locate(default_dir: PathBuf) -> Self {
        let dir = std::env::var_os(CONFIG_DIR_ENV)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or(default_dir);
        Self::in_dir(&dir)
    }

    /// `config.json` in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            path: dir.join("config.json"),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The screen-sharing permission's file, beside `config.json`.
    pub fn screen_permission(&self) -> PermissionFile {
        PermissionFile {
            path: self.path.with_file_name("screen-permission"),
        }
    }

    /// Reads the settings. A missing file is a first run; an unreadable one is reported.
    pub fn load(&self) -> std::io::Result<Config> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(e),
        }
    }

    /// Writes the settings atomically (a temporary file renamed over the old one).
    pub fn save(&self, config: &Config) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let json = serde_json::to_vec_pretty(config).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, &self.path)
    }
}

/// The desktop's permission to share the whole screen (Wayland: the screen-sharing portal's
/// restore token), so its dialog is asked once, not at every share. A file of its own: the
/// capture hands out a new token at every start, from its own thread, apart from the settings.
#[derive(Debug, Clone)]
pub struct PermissionFile {
    path: PathBuf,
}

impl PermissionFile {
    /// The token stored last; `None` when there is none (or it cannot be read: then the
    /// dialog is asked again, which is all a lost token costs).
    pub fn load(&self) -> Option<String> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let token = text.trim();
        (!token.is_empty()).then(|| token.to_owned())
    }

    /// Stores `token` in place of the old one (atomically, readable by this user only).
    pub fn save(&self, token: &str) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, token)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
        }
        std::fs::rename(&tmp, &self.path)
    }
}

/// The host address to prefill from `$INSTANT_SHARE_HOST_URL`, if set.
pub fn host_url_override() -> Option<String> {
    std::env::var(HOST_URL_ENV)
        .ok()
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "instant-share-config-test-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_missing_file_is_a_first_run_and_saves_round_trip() {
        let dir = scratch_dir("roundtrip");
        let file = ConfigFile::in_dir(&dir.join("nested"));
        assert_eq!(file.load().unwrap(), Config::default());
        let config = Config {
            host_url: Some("http://127.0.0.1:8080".into()),
            device_id: Some("dev-1".into()),
            employee_name: Some("Ana".into()),
        };
        file.save(&config).unwrap();
        assert_eq!(file.load().unwrap(), config);
        let text = std::fs::read_to_string(file.path()).unwrap();
        assert!(
            !text.contains("credential"),
            "no secret in the file: {text}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_screen_permission_is_kept_beside_the_settings() {
        let dir = scratch_dir("permission");
        let file = ConfigFile::in_dir(&dir).screen_permission();
        assert_eq!(file.load(), None, "none before the first share");
        file.save("token-1").unwrap();
        file.save("token-2").unwrap();
        assert_eq!(file.load().as_deref(), Some("token-2"));
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_corrupt_file_is_an_error_not_a_first_run() {
        let dir = scratch_dir("corrupt");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.json"), b"{not json").unwrap();
        let err = ConfigFile::in_dir(&dir).load().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn forgetting_keeps_the_host() {
        let mut config = Config {
            host_url: Some("https://help.example.com".into()),
            device_id: Some("d".into()),
            employee_name: Some("Ana".into()),
        };
        config.forget_enrolment();
        assert_eq!(config.host_url.as_deref(), Some("https://help.example.com"));
        assert_eq!(config.device_id, None);
        assert_eq!(config.employee_name, None);
    }
}
