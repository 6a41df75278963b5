//! What the app kept under its former bundle identifier, moved to the current one at start.
//!
//! Until 0.1 the identifier was `com.instantshare.app`, which macOS refuses (an identifier may
//! not end in `.app`). Tauri names the app's directories after the identifier (config, data,
//! local data, cache, logs: `~/.config/<identifier>` and `~/.local/share/<identifier>` on Linux,
//! `~/Library/Application Support/<identifier>` on macOS, `%APPDATA%\<identifier>` and
//! `%LOCALAPPDATA%\<identifier>` on Windows), so after the rename an enrolled device would find
//! no `config.json` — no host, no device id — and start unenrolled. The keychain entry, named
//! after the identifier too, moves in `credentials.rs`.

use std::io;
use std::path::{Path, PathBuf};

use tauri::Manager;

/// The bundle identifier (and keychain service name) of versions up to 0.1.
pub const FORMER_IDENTIFIER: &str = "com.instantshare.app";

/// What [`move_dir`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Moved {
    /// There was nothing under the former name.
    Nothing,
    /// The whole directory was renamed.
    Renamed,
    /// Both existed: what the new one lacked moved in; `kept` are the old entries left where
    /// they were because the new directory has one of the same name (the old directory stays
    /// only if there are any).
    Merged {
        /// The entries left in the old directory.
        kept: Vec<PathBuf>,
    },
}

/// `dir` with its component `identifier` replaced by `former`, or `None` if no component of
/// `dir` is `identifier` (then the directory is not named after the app).
pub fn former_dir(dir: &Path, identifier: &str, former: &str) -> Option<PathBuf> {
    let mut found = false;
    let path = dir
        .components()
        .map(|c| {
            if !found && c.as_os_str() == identifier {
                found = true;
                std::ffi::OsStr::new(former)
            } else {
                c.as_os_str()
            }
        })
        .collect::<PathBuf>();
    found.then_some(path)
}

/// Moves the directory `old` to `new`: a rename if `new` does not exist yet, otherwise entry by
/// entry without overwriting anything in `new`.
pub fn move_dir(old: &Path, new: &Path) -> io::Result<Moved> {
    if old == new || !old.is_dir() {
        return Ok(Moved::Nothing);
    }
    if std::fs::symlink_metadata(new).is_err() {
        if let Some(parent) = new.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::rename(old, new)?;
        return Ok(Moved::Renamed);
    }
    let mut kept = Vec::new();
    for entry in std::fs::read_dir(old)? {
        let entry = entry?;
        let target = new.join(entry.file_name());
        if std::fs::symlink_metadata(&target).is_ok() {
            kept.push(entry.path());
        } else {
            std::fs::rename(entry.path(), target)?;
        }
    }
    if kept.is_empty() {
        std::fs::remove_dir(old)?;
    }
    Ok(Moved::Merged { kept })
}

/// Moves every directory Tauri derives from the identifier from its former name to the current
/// one. Never fails the start: a directory that cannot be moved is logged, and the app then
/// behaves as on a first run for what it held.
pub fn move_app_dirs(app: &tauri::App) {
    let identifier = app.config().identifier.clone();
    let paths = app.path();
    let dirs = [
        paths.app_config_dir(),
        paths.app_data_dir(),
        paths.app_local_data_dir(),
        paths.app_cache_dir(),
        paths.app_log_dir(),
    ];
    for dir in dirs.into_iter().flatten() {
        let Some(old) = former_dir(&dir, &identifier, FORMER_IDENTIFIER) else {
            continue;
        };
        match move_dir(&old, &dir) {
            Ok(Moved::Nothing) => {}
            Ok(moved) => {
                tracing::info!(from = %old.display(), to = %dir.display(), ?moved,
                    "moved the app's files from its former identifier");
            }
            Err(e) => tracing::warn!(from = %old.display(), to = %dir.display(), error = %e,
                "cannot move the app's files from its former identifier"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "instant-share-legacy-test-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_former_dir_replaces_the_identifier_component_only() {
        let id = "com.instantshare.desktop";
        assert_eq!(
            former_dir(
                Path::new("/home/a/.config/com.instantshare.desktop"),
                id,
                FORMER_IDENTIFIER
            ),
            Some(PathBuf::from("/home/a/.config/com.instantshare.app"))
        );
        // Linux's log dir lies inside the data dir.
        assert_eq!(
            former_dir(
                Path::new("/home/a/.local/share/com.instantshare.desktop/logs"),
                id,
                FORMER_IDENTIFIER
            ),
            Some(PathBuf::from(
                "/home/a/.local/share/com.instantshare.app/logs"
            ))
        );
        assert_eq!(
            former_dir(Path::new("/home/a/.config/other"), id, FORMER_IDENTIFIER),
            None
        );
    }

    #[test]
    fn an_old_directory_alone_is_renamed_with_the_enrolment() {
        let root = scratch("rename");
        let old = root.join(FORMER_IDENTIFIER);
        let new = root.join("com.instantshare.desktop");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join("config.json"), br#"{"device_id":"dev-1"}"#).unwrap();

        assert_eq!(move_dir(&old, &new).unwrap(), Moved::Renamed);
        assert!(!old.exists());
        let config = crate::config::ConfigFile::in_dir(&new).load().unwrap();
        assert_eq!(config.device_id.as_deref(), Some("dev-1"));
        // A second start finds nothing to move.
        assert_eq!(move_dir(&old, &new).unwrap(), Moved::Nothing);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn into_an_existing_directory_only_what_is_missing_moves() {
        let root = scratch("merge");
        let old = root.join(FORMER_IDENTIFIER);
        let new = root.join("com.instantshare.desktop");
        std::fs::create_dir_all(old.join("EBWebView")).unwrap();
        std::fs::write(old.join("config.json"), b"old").unwrap();
        // The web view made its folder under the new name before the move ran.
        std::fs::create_dir_all(new.join("EBWebView")).unwrap();

        let moved = move_dir(&old, &new).unwrap();
        assert_eq!(
            moved,
            Moved::Merged {
                kept: vec![old.join("EBWebView")]
            }
        );
        assert_eq!(std::fs::read(new.join("config.json")).unwrap(), b"old");
        assert!(
            old.join("EBWebView").is_dir(),
            "nothing in the new place is overwritten"
        );

        // Nothing in the way: the old directory goes.
        std::fs::remove_dir(new.join("EBWebView")).unwrap();
        assert_eq!(
            move_dir(&old, &new).unwrap(),
            Moved::Merged { kept: vec![] }
        );
        assert!(!old.exists());
        assert!(new.join("EBWebView").is_dir());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_new_parent_is_created() {
        let root = scratch("parent");
        let old = root.join("a").join(FORMER_IDENTIFIER);
        let new = root.join("b").join("com.instantshare.desktop");
        std::fs::create_dir_all(&old).unwrap();
        assert_eq!(move_dir(&old, &new).unwrap(), Moved::Renamed);
        assert!(new.is_dir());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
