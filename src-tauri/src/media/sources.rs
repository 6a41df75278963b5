//! Which sources a call uses: configuration, not code paths. Real devices by default;
//! `INSTANT_SHARE_MEDIA=synthetic` makes the camera a stamped test pattern and the microphone a
//! tone (tests and benchmarks on machines without devices). The screen is always the real one
//! (X11 `$DISPLAY` on Linux; Xvfb in tests).

use std::net::{IpAddr, SocketAddr};

use instant_share_media::capture::{AudioSinkConfig, AudioSourceConfig, VideoSourceConfig};

/// The variable that picks the sources.
pub const MEDIA_ENV: &str = "INSTANT_SHARE_MEDIA";

/// The variable that lists the local UDP addresses for ICE (comma-separated `ip:port`).
pub const UDP_ENV: &str = "INSTANT_SHARE_MEDIA_UDP";

/// The variable that picks how the window draws video: `webgl`, `2d`, or unset (by the GPU).
pub const RENDERER_ENV: &str = "INSTANT_SHARE_RENDERER";

/// How the window draws pictures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Renderer {
    /// A WebGL shader converts the planes (falls back to 2D if WebGL fails).
    Webgl,
    /// The conversion runs in JavaScript into a 2D canvas.
    #[serde(rename = "2d")]
    #[ts(rename = "2d")]
    Canvas2d,
}

impl Renderer {
    /// From the value of [`RENDERER_ENV`] and whether there is a GPU. Without a GPU, WebGL is
    /// emulated on the CPU: under Xvfb (compositing off, see `lib.rs`) the expert's 640x480
    /// camera showed at 15–19 frames a second with WebGL and 20–25 with the 2D path.
    pub fn choose(value: Option<&str>, gpu: bool) -> Self {
        match value.map(str::trim) {
            Some("webgl") => Self::Webgl,
            Some("2d") => Self::Canvas2d,
            _ if gpu => Self::Webgl,
            _ => Self::Canvas2d,
        }
    }
}

/// The synthetic camera's size and rate.
pub const PATTERN: (u32, u32, u32) = (640, 480, 30);

/// What a real camera is asked for (it gives the closest format it has).
pub const CAMERA: (u32, u32, u32) = (1280, 720, 30);

/// Screen sharing: frames a second and the widest picture sent.
pub const SCREEN: (u32, u32) = (15, 1280);

/// The synthetic microphone's tone.
pub const TONE_HZ: f64 = 440.0;

/// Where the pictures and sounds come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum MediaMode {
    /// Cameras, microphones and speakers of this computer.
    Devices,
    /// A stamped test pattern and a tone; received audio is discarded.
    Synthetic,
}

impl MediaMode {
    /// Reads the mode from the value of [`MEDIA_ENV`]. Anything else than `synthetic` (or
    /// nothing) means real devices; an unknown value is logged.
    pub fn from_env_value(value: Option<&str>) -> Self {
        match value.map(str::trim) {
            Some("synthetic") => Self::Synthetic,
            None | Some("") | Some("devices") => Self::Devices,
            Some(other) => {
                tracing::warn!(
                    value = other,
                    "{MEDIA_ENV} is neither `devices` nor `synthetic`; using the devices"
                );
                Self::Devices
            }
        }
    }

    /// The mode of this process.
    pub fn from_env() -> Self {
        Self::from_env_value(std::env::var(MEDIA_ENV).ok().as_deref())
    }

    /// The camera (`device` is an id from the device list; the pattern has none).
    pub fn camera(self, device: Option<String>) -> VideoSourceConfig {
        match self {
            Self::Devices => VideoSourceConfig::Camera {
                device,
                width: CAMERA.0,
                height: CAMERA.1,
                fps: CAMERA.2,
            },
            Self::Synthetic => VideoSourceConfig::Pattern {
                width: PATTERN.0,
                height: PATTERN.1,
                fps: PATTERN.2,
            },
        }
    }

    /// The microphone.
    pub fn microphone(self, device: Option<String>) -> AudioSourceConfig {
        match self {
            Self::Devices => AudioSourceConfig::Microphone { device },
            Self::Synthetic => AudioSourceConfig::Tone { frequency: TONE_HZ },
        }
    }

    /// The screen, in every mode.
    pub fn screen(self, window: Option<u32>) -> VideoSourceConfig {
        VideoSourceConfig::Screen {
            fps: SCREEN.0,
            max_width: SCREEN.1,
            window,
        }
    }

    /// Where the other side's sound goes.
    pub fn audio_output(self, device: Option<String>) -> AudioSinkConfig {
        match self {
            Self::Devices => AudioSinkConfig::Speaker { device },
            Self::Synthetic => AudioSinkConfig::Discard,
        }
    }
}

/// The local UDP addresses for ICE: the list in [`UDP_ENV`] if given; otherwise every interface,
/// plus loopback when the help host itself is on loopback (then the other side may be on this
/// computer too, and `0.0.0.0` leaves loopback out).
pub fn udp_addrs(configured: Option<&str>, ws_url: &str) -> Vec<SocketAddr> {
    if let Some(list) = configured.filter(|l| !l.trim().is_empty()) {
        let parsed: Vec<SocketAddr> = list
            .split(',')
            .filter_map(|a| match a.trim().parse() {
                Ok(addr) => Some(addr),
                Err(e) => {
                    tracing::warn!(address = a, error = %e, "{UDP_ENV}: not an ip:port; ignored");
                    None
                }
            })
            .collect();
        if !parsed.is_empty() {
            return parsed;
        }
    }
    let mut addrs = vec![SocketAddr::from(([0, 0, 0, 0], 0))];
    if host_is_loopback(ws_url) {
        addrs.push(SocketAddr::from(([127, 0, 0, 1], 0)));
    }
    addrs
}

fn host_is_loopback(ws_url: &str) -> bool {
    let Ok(url) = url::Url::parse(ws_url) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_unless_synthetic_is_asked_for() {
        assert_eq!(MediaMode::from_env_value(None), MediaMode::Devices);
        assert_eq!(MediaMode::from_env_value(Some("")), MediaMode::Devices);
        assert_eq!(
            MediaMode::from_env_value(Some("devices")),
            MediaMode::Devices
        );
        assert_eq!(MediaMode::from_env_value(Some("fake")), MediaMode::Devices);
        assert_eq!(
            MediaMode::from_env_value(Some(" synthetic\n")),
            MediaMode::Synthetic
        );
    }

    #[test]
    fn synthetic_sources_are_the_pattern_and_the_tone() {
        let m = MediaMode::Synthetic;
        assert_eq!(
            m.camera(Some("ignored".into())),
            VideoSourceConfig::Pattern {
                width: 640,
                height: 480,
                fps: 30
            }
        );
        assert_eq!(
            m.microphone(None),
            AudioSourceConfig::Tone { frequency: 440.0 }
        );
        assert_eq!(m.audio_output(None), AudioSinkConfig::Discard);
        assert!(matches!(
            m.screen(None),
            VideoSourceConfig::Screen { fps: 15, .. }
        ));
    }

    #[test]
    fn device_sources_carry_the_chosen_device() {
        let m = MediaMode::Devices;
        assert!(matches!(
            m.camera(Some("/dev/video2".into())),
            VideoSourceConfig::Camera { device: Some(d), .. } if d == "/dev/video2"
        ));
        assert_eq!(
            m.microphone(Some("hw:1".into())),
            AudioSourceConfig::Microphone {
                device: Some("hw:1".into())
            }
        );
        assert_eq!(
            m.audio_output(None),
            AudioSinkConfig::Speaker { device: None }
        );
    }

    #[test]
    fn webgl_with_a_gpu_the_2d_canvas_without_unless_told() {
        assert_eq!(Renderer::choose(None, true), Renderer::Webgl);
        assert_eq!(Renderer::choose(None, false), Renderer::Canvas2d);
        assert_eq!(Renderer::choose(Some("webgl"), false), Renderer::Webgl);
        assert_eq!(Renderer::choose(Some("2d"), true), Renderer::Canvas2d);
        assert_eq!(Renderer::choose(Some("other"), true), Renderer::Webgl);
        assert_eq!(
            serde_json::to_string(&Renderer::Canvas2d).unwrap(),
            "\"2d\""
        );
    }

    #[test]
    fn loopback_is_added_for_a_host_on_this_computer() {
        let any: SocketAddr = "0.0.0.0:0".parse().unwrap();
        let lo: SocketAddr = "127.0.0.1:0".parse().unwrap();
        assert_eq!(
            udp_addrs(None, "ws://127.0.0.1:8080/api/v1/ws"),
            vec![any, lo]
        );
        assert_eq!(
            udp_addrs(None, "ws://localhost:8080/api/v1/ws"),
            vec![any, lo]
        );
        assert_eq!(udp_addrs(None, "ws://[::1]:8080/api/v1/ws"), vec![any, lo]);
        assert_eq!(
            udp_addrs(None, "wss://help.example.com/api/v1/ws"),
            vec![any]
        );
        assert_eq!(udp_addrs(None, "not a url"), vec![any]);
    }

    #[test]
    fn a_configured_list_wins() {
        let a: SocketAddr = "10.0.0.5:0".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        assert_eq!(
            udp_addrs(Some("10.0.0.5:0, 127.0.0.1:40000"), "ws://127.0.0.1/"),
            vec![a, b]
        );
        assert_eq!(
            udp_addrs(Some("nonsense"), "wss://help.example.com/"),
            vec!["0.0.0.0:0".parse::<SocketAddr>().unwrap()],
            "nothing usable: the default"
        );
    }
}
