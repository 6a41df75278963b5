//! What the host lets one client use: connection timeouts and caps, and quotas on share
//! requests and pictures. Each is a `serve` setting with a default meant for real use.

use std::time::Duration;

use crate::config::ServeArgs;

/// The limits in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// A request's head (request line and headers) must have arrived this long after the
    /// connection became ready for it: the first request, or the next one on a kept-alive
    /// connection. A client that sends its headers slowly is cut off after it.
    pub header_read_timeout: Duration,
    /// A request body that sends nothing for this long is given up (the upload is refused).
    pub body_read_timeout: Duration,
    /// A connection on which no byte moves either way for this long is closed. Not a
    /// WebSocket once upgraded: a session socket has its own ping and may be quiet for long.
    pub connection_idle_timeout: Duration,
    /// Connections open at once from one address (the TCP peer's); more are closed as they
    /// arrive. Behind a proxy every client has the proxy's address: raise it there.
    pub max_connections_per_address: usize,
    /// Failures one address may make at signing in, and apart at enrolling, before it is
    /// blocked (`throttle`).
    pub failed_sign_ins_per_address: u32,
    /// Failed sign-ins one user name may have before it is blocked.
    pub failed_sign_ins_per_account: u32,
    /// Share requests one device may have open (not ended) at once.
    pub max_open_shares_per_device: usize,
    /// Quota of one session's pictures.
    pub per_session: PictureQuota,
    /// Quota of the pictures shared into one device's sessions in the last 24 hours.
    pub per_device_per_day: PictureQuota,
    /// Bytes the kept pictures may take on disk in all; new pictures are refused beyond.
    pub picture_disk_budget: u64,
}

/// How many pictures, and how many bytes of them (as kept), something may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PictureQuota {
    /// Pictures.
    pub pictures: u32,
    /// Bytes of the pictures as kept (PNG).
    pub bytes: u64,
}

const MIB: u64 = 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            connection_idle_timeout: Duration::from_secs(120),
            max_connections_per_address: 256,
            failed_sign_ins_per_address: 10,
            failed_sign_ins_per_account: 5,
            max_open_shares_per_device: 3,
            per_session: PictureQuota {
                pictures: 100,
                bytes: 500 * MIB,
            },
            per_device_per_day: PictureQuota {
                pictures: 300,
                bytes: 2_000 * MIB,
            },
            picture_disk_budget: 10_240 * MIB,
        }
    }
}

/// The limits' keys in the config file (see [`ServeArgs`] for each).
#[derive(Debug, Default)]
pub(crate) struct FileLimits {
    pub header_read_timeout_secs: Option<u64>,
    pub body_read_timeout_secs: Option<u64>,
    pub connection_idle_timeout_secs: Option<u64>,
    pub max_connections_per_address: Option<usize>,
    pub failed_sign_ins_per_address: Option<u32>,
    pub failed_sign_ins_per_account: Option<u32>,
    pub max_open_shares_per_device: Option<usize>,
    pub max_pictures_per_session: Option<u32>,
    pub max_picture_mb_per_session: Option<u64>,
    pub max_pictures_per_device_per_day: Option<u32>,
    pub max_picture_mb_per_device_per_day: Option<u64>,
    pub picture_disk_budget_mb: Option<u64>,
}

impl Limits {
    /// Flags over the file over the defaults. A timeout or a cap of 0 would lock everyone
    /// out, so it is refused with the setting's name.
    pub(crate) fn load(args: &ServeArgs, file: &FileLimits) -> anyhow::Result<Self> {
        let d = Self::default();
        let positive = |name: &str, v: Option<u64>, default: u64| -> anyhow::Result<u64> {
            match v {
                Some(0) => anyhow::bail!("--{name} must be at least 1"),
                Some(v) => Ok(v),
                None => Ok(default),
            }
        };
        // A timeout longer than a day is a mistake (and a huge one would overflow the clock).
        let secs = |name: &str, flag: Option<u64>, file: Option<u64>, default: Duration| {
            let v = positive(name, flag.or(file), default.as_secs())?;
            if v > 86_400 {
                anyhow::bail!("--{name} must be at most 86400 (a day)");
            }
            Ok::<_, anyhow::Error>(Duration::from_secs(v))
        };
        let count = |name: &str, flag: Option<u64>, file: Option<u64>, default: u64| {
            positive(name, flag.or(file), default)
        };
        let mb = |name: &str, flag: Option<u64>, file: Option<u64>, default: u64| {
            positive(name, flag.or(file), default / MIB).map(|v| v.saturating_mul(MIB))
        };
        // A count kept as u32: larger settings are as good as u32::MAX.
        let count32 = |name: &str, flag: Option<u64>, file: Option<u64>, default: u64| {
            count(name, flag, file, default).map(|v| v.min(u64::from(u32::MAX)) as u32)
        };
        let wide = |v: Option<usize>| v.map(|v| v as u64);
        let narrow = |v: Option<u32>| v.map(u64::from);
        Ok(Self {
            header_read_timeout: secs(
                "header-read-timeout-secs",
                args.header_read_timeout_secs,
                file.header_read_timeout_secs,
                d.header_read_timeout,
            )?,
            body_read_timeout: secs(
                "body-read-timeout-secs",
                args.body_read_timeout_secs,
                file.body_read_timeout_secs,
                d.body_read_timeout,
            )?,
            connection_idle_timeout: secs(
                "connection-idle-timeout-secs",
                args.connection_idle_timeout_secs,
                file.connection_idle_timeout_secs,
                d.connection_idle_timeout,
            )?,
            max_connections_per_address: count(
                "max-connections-per-address",
                wide(args.max_connections_per_address),
                wide(file.max_connections_per_address),
                d.max_connections_per_address as u64,
            )? as usize,
            failed_sign_ins_per_address: count32(
                "failed-sign-ins-per-address",
                narrow(args.failed_sign_ins_per_address),
                narrow(file.failed_sign_ins_per_address),
                u64::from(d.failed_sign_ins_per_address),
            )?,
            failed_sign_ins_per_account: count32(
                "failed-sign-ins-per-account",
                narrow(args.failed_sign_ins_per_account),
                narrow(file.failed_sign_ins_per_account),
                u64::from(d.failed_sign_ins_per_account),
            )?,
            max_open_shares_per_device: count(
                "max-open-shares-per-device",
                wide(args.max_open_shares_per_device),
                wide(file.max_open_shares_per_device),
                d.max_open_shares_per_device as u64,
            )? as usize,
            per_session: PictureQuota {
                pictures: count32(
                    "max-pictures-per-session",
                    narrow(args.max_pictures_per_session),
                    narrow(file.max_pictures_per_session),
                    u64::from(d.per_session.pictures),
                )?,
                bytes: mb(
                    "max-picture-mb-per-session",
                    args.max_picture_mb_per_session,
                    file.max_picture_mb_per_session,
                    d.per_session.bytes,
                )?,
            },
            per_device_per_day: PictureQuota {
                pictures: count32(
                    "max-pictures-per-device-per-day",
                    narrow(args.max_pictures_per_device_per_day),
                    narrow(file.max_pictures_per_device_per_day),
                    u64::from(d.per_device_per_day.pictures),
                )?,
                bytes: mb(
                    "max-picture-mb-per-device-per-day",
                    args.max_picture_mb_per_device_per_day,
                    file.max_picture_mb_per_device_per_day,
                    d.per_device_per_day.bytes,
                )?,
            },
            picture_disk_budget: mb(
                "picture-disk-budget-mb",
                args.picture_disk_budget_mb,
                file.picture_disk_budget_mb,
                d.picture_disk_budget,
            )?,
        })
    }
}
