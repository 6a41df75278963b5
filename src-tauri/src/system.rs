//! Facts about this computer that go into requests: its name and its operating system.

/// A default device name for enrolment: the computer's host name.
pub fn device_name() -> String {
    host_name().unwrap_or_else(|| "This computer".to_owned())
}

fn host_name() -> Option<String> {
    let from_env = std::env::var("HOSTNAME")
        .or_else(|_| std::env::var("COMPUTERNAME"))
        .ok();
    let from_file = || std::fs::read_to_string("/etc/hostname").ok();
    from_env
        .or_else(from_file)
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
}

/// Whether this computer has a GPU the web view can render with. On Linux: a DRM render node
/// (`/dev/dri/renderD*`); without one, WebGL and WebKit's compositing run on the CPU (Mesa's
/// llvmpipe). Elsewhere assumed.
pub fn has_gpu() -> bool {
    if cfg!(target_os = "linux") {
        std::fs::read_dir("/dev/dri").is_ok_and(|dir| {
            dir.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        })
    } else {
        true
    }
}

/// The operating system and version, for the expert ("Debian GNU/Linux 12 (bookworm), x86_64").
pub fn os_version() -> String {
    let arch = std::env::consts::ARCH;
    match pretty_name(std::fs::read_to_string("/etc/os-release").ok().as_deref()) {
        Some(name) => format!("{name}, {arch}"),
        None => format!("{}, {arch}", std::env::consts::OS),
    }
}

/// `PRETTY_NAME` from an os-release file.
fn pretty_name(os_release: Option<&str>) -> Option<String> {
    os_release?
        .lines()
        .find_map(|line| line.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_pretty_name() {
        let file = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n";
        assert_eq!(
            pretty_name(Some(file)).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(pretty_name(Some("ID=x\n")), None);
        assert_eq!(pretty_name(None), None);
        assert!(!os_version().is_empty());
    }
}
