//! Configuration: flags, then `INSTANT_SHARE_*` environment variables, then a TOML file, then
//! the embedded defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use instant_share_core::RoutingConfig;
use instant_share_protocol::Topic;
use serde::Deserialize;

use crate::limits::{FileLimits, Limits};

/// `serve` settings. Every flag is also `INSTANT_SHARE_<FLAG>` and a key of the config file.
#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// TOML file with any of the settings below (keys as the flags, with underscores).
    #[arg(long, env = "INSTANT_SHARE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on. Port 0 picks a free one.
    #[arg(long, env = "INSTANT_SHARE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// The SQLite file (created if missing).
    #[arg(long, env = "INSTANT_SHARE_DATABASE")]
    pub database: Option<PathBuf>,
    /// The address people reach this host at; defaults to http://<listen address>.
    #[arg(long, env = "INSTANT_SHARE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The built `ui/` (console and co-browse site).
    #[arg(long, env = "INSTANT_SHARE_UI_DIR")]
    pub ui_dir: Option<PathBuf>,
    /// Seconds an offer rings before it passes to the next expert.
    #[arg(long, env = "INSTANT_SHARE_OFFER_TIMEOUT_SECS")]
    pub offer_timeout_secs: Option<u64>,
    /// Seconds a request may wait for an expert.
    #[arg(long, env = "INSTANT_SHARE_QUEUE_TIMEOUT_SECS")]
    pub queue_timeout_secs: Option<u64>,
    /// Seconds a live session may go without activity.
    #[arg(long, env = "INSTANT_SHARE_IDLE_TIMEOUT_SECS")]
    pub idle_timeout_secs: Option<u64>,
    /// Seconds a request waits for a call back, when the requester asks for one (8 hours
    /// unless set).
    #[arg(long, env = "INSTANT_SHARE_CALL_BACK_TIMEOUT_SECS")]
    pub call_back_timeout_secs: Option<u64>,
    /// Seconds before a request an expert let pass (declined, or let ring out) may be offered
    /// to that expert again, when nobody else can take it (10 unless set; 0 = at once).
    #[arg(long, env = "INSTANT_SHARE_REOFFER_PAUSE_SECS")]
    pub reoffer_pause_secs: Option<u64>,
    /// Seconds a participant token works (12 hours unless set).
    #[arg(long, env = "INSTANT_SHARE_TOKEN_LIFETIME_SECS")]
    pub token_lifetime_secs: Option<u64>,
    /// A STUN server for peer connections (`stun:host:port`); repeat for more.
    #[arg(
        long = "stun-url",
        env = "INSTANT_SHARE_STUN_URLS",
        value_delimiter = ','
    )]
    pub stun_urls: Vec<String>,
    /// A TURN server (`turn:host:port?transport=udp`); repeat for more. Needs `--turn-secret`.
    #[arg(
        long = "turn-url",
        env = "INSTANT_SHARE_TURN_URLS",
        value_delimiter = ','
    )]
    pub turn_urls: Vec<String>,
    /// The secret shared with the TURN server (coturn `static-auth-secret`): the host issues
    /// each participant a credential that expires with their token.
    #[arg(long, env = "INSTANT_SHARE_TURN_SECRET", hide_env_values = true)]
    pub turn_secret: Option<String>,
    /// A directory with an app release to offer enrolled apps: the release's `latest.json` and
    /// the installers it names (README, "Running the host for real"). None: no updates.
    #[arg(long, env = "INSTANT_SHARE_UPDATES_DIR")]
    pub updates_dir: Option<PathBuf>,
    /// Seconds within which a request's headers must have arrived, from when the connection
    /// is ready for them (10 unless set): slow senders are cut off.
    #[arg(long, env = "INSTANT_SHARE_HEADER_READ_TIMEOUT_SECS")]
    pub header_read_timeout_secs: Option<u64>,
    /// Seconds a request body may send nothing before it is given up (30 unless set).
    #[arg(long, env = "INSTANT_SHARE_BODY_READ_TIMEOUT_SECS")]
    pub body_read_timeout_secs: Option<u64>,
    /// Seconds a connection may move no byte either way before it is closed (120 unless set;
    /// not WebSockets, which have their own ping).
    #[arg(long, env = "INSTANT_SHARE_CONNECTION_IDLE_TIMEOUT_SECS")]
    pub connection_idle_timeout_secs: Option<u64>,
    /// Connections open at once from one client address (256 unless set). Behind a proxy
    /// every client has the proxy's address: raise it there.
    #[arg(long, env = "INSTANT_SHARE_MAX_CONNECTIONS_PER_ADDRESS")]
    pub max_connections_per_address: Option<usize>,
    /// Failed sign-ins (and, counted apart, failed enrolments) one client address may make
    /// before it is blocked for a while (10 unless set; the budget refills one every 20 s).
    /// Behind a proxy every client has the proxy's address: raise it there.
    #[arg(long, env = "INSTANT_SHARE_FAILED_SIGN_INS_PER_ADDRESS")]
    pub failed_sign_ins_per_address: Option<u32>,
    /// Failed sign-ins one user name may have before it is blocked for a while (5 unless set;
    /// the budget refills one a minute).
    #[arg(long, env = "INSTANT_SHARE_FAILED_SIGN_INS_PER_ACCOUNT")]
    pub failed_sign_ins_per_account: Option<u32>,
    /// Share requests one device may have open at once (3 unless set).
    #[arg(long, env = "INSTANT_SHARE_MAX_OPEN_SHARES_PER_DEVICE")]
    pub max_open_shares_per_device: Option<usize>,
    /// Pictures one session may have shared (100 unless set).
    #[arg(long, env = "INSTANT_SHARE_MAX_PICTURES_PER_SESSION")]
    pub max_pictures_per_session: Option<u32>,
    /// MiB of pictures (as kept) one session may have shared (500 unless set).
    #[arg(long, env = "INSTANT_SHARE_MAX_PICTURE_MB_PER_SESSION")]
    pub max_picture_mb_per_session: Option<u64>,
    /// Pictures shared into one device's sessions in 24 hours (300 unless set).
    #[arg(long, env = "INSTANT_SHARE_MAX_PICTURES_PER_DEVICE_PER_DAY")]
    pub max_pictures_per_device_per_day: Option<u32>,
    /// MiB of pictures shared into one device's sessions in 24 hours (2000 unless set).
    #[arg(long, env = "INSTANT_SHARE_MAX_PICTURE_MB_PER_DEVICE_PER_DAY")]
    pub max_picture_mb_per_device_per_day: Option<u64>,
    /// MiB the kept pictures may take on disk (10240 unless set); new pictures are refused
    /// beyond it until old ones are deleted.
    #[arg(long, env = "INSTANT_SHARE_PICTURE_DISK_BUDGET_MB")]
    pub picture_disk_budget_mb: Option<u64>,
    /// Create a demo expert (`demo` / `demo-password`) and print a fresh enrolment code.
    #[arg(long, env = "INSTANT_SHARE_DEMO")]
    pub demo: bool,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "INSTANT_SHARE_LOG_JSON")]
    pub log_json: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    database: Option<PathBuf>,
    public_url: Option<String>,
    ui_dir: Option<PathBuf>,
    offer_timeout_secs: Option<u64>,
    queue_timeout_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
    call_back_timeout_secs: Option<u64>,
    reoffer_pause_secs: Option<u64>,
    token_lifetime_secs: Option<u64>,
    updates_dir: Option<PathBuf>,
    demo: Option<bool>,
    stun_urls: Option<Vec<String>>,
    turn_urls: Option<Vec<String>>,
    turn_secret: Option<String>,
    topics: Option<Vec<FileTopic>>,
    header_read_timeout_secs: Option<u64>,
    body_read_timeout_secs: Option<u64>,
    connection_idle_timeout_secs: Option<u64>,
    max_connections_per_address: Option<usize>,
    failed_sign_ins_per_address: Option<u32>,
    failed_sign_ins_per_account: Option<u32>,
    max_open_shares_per_device: Option<usize>,
    max_pictures_per_session: Option<u32>,
    max_picture_mb_per_session: Option<u64>,
    max_pictures_per_device_per_day: Option<u32>,
    max_picture_mb_per_device_per_day: Option<u64>,
    picture_disk_budget_mb: Option<u64>,
}

impl FileConfig {
    fn limits(&self) -> FileLimits {
        FileLimits {
            header_read_timeout_secs: self.header_read_timeout_secs,
            body_read_timeout_secs: self.body_read_timeout_secs,
            connection_idle_timeout_secs: self.connection_idle_timeout_secs,
            max_connections_per_address: self.max_connections_per_address,
            failed_sign_ins_per_address: self.failed_sign_ins_per_address,
            failed_sign_ins_per_account: self.failed_sign_ins_per_account,
            max_open_shares_per_device: self.max_open_shares_per_device,
            max_pictures_per_session: self.max_pictures_per_session,
            max_picture_mb_per_session: self.max_picture_mb_per_session,
            max_pictures_per_device_per_day: self.max_pictures_per_device_per_day,
            max_picture_mb_per_device_per_day: self.max_picture_mb_per_device_per_day,
            picture_disk_budget_mb: self.picture_disk_budget_mb,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTopic {
    id: String,
    label: String,
}

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// SQLite file.
    pub database: PathBuf,
    /// Public base address, without a trailing slash; `None` = derived from the bound address.
    pub public_url: Option<String>,
    /// The `ui/` build.
    pub ui_dir: PathBuf,
    /// Routing timers.
    pub routing: RoutingConfig,
    /// Topics routed.
    pub topics: Vec<Topic>,
    /// Demo expert and enrolment code.
    pub demo: bool,
    /// Lifetime of participant tokens.
    pub token_lifetime: Duration,
    /// STUN and TURN servers handed to participants.
    pub ice: IceConfig,
    /// The app release offered to enrolled apps (`updates.rs`); `None`: no updates.
    pub updates_dir: Option<PathBuf>,
    /// Timeouts, connection caps and quotas.
    pub limits: Limits,
}

impl Config {
    /// Where shared pictures are kept: beside the database, `<database>.images/`.
    pub fn image_dir(&self) -> PathBuf {
        let mut dir = self.database.clone().into_os_string();
        dir.push(".images");
        dir.into()
    }
}

/// The ICE servers participants are given.
#[derive(Debug, Clone, Default)]
pub struct IceConfig {
    /// STUN addresses.
    pub stun_urls: Vec<String>,
    /// TURN addresses.
    pub turn_urls: Vec<String>,
    /// Shared secret for TURN credentials (set whenever `turn_urls` is not empty).
    pub turn_secret: Option<String>,
}

impl IceConfig {
    fn load(args: &ServeArgs, file: &mut FileConfig) -> anyhow::Result<Self> {
        let pick = |flag: &Vec<String>, file: Option<Vec<String>>| {
            if flag.is_empty() {
                file.unwrap_or_default()
            } else {
                flag.clone()
            }
        };
        let stun_urls = pick(&args.stun_urls, file.stun_urls.take());
        let turn_urls = pick(&args.turn_urls, file.turn_urls.take());
        let turn_secret = args
            .turn_secret
            .clone()
            .or(file.turn_secret.take())
            .filter(|s| !s.is_empty());
        for url in &stun_urls {
            if !url.starts_with("stun:") && !url.starts_with("stuns:") {
                anyhow::bail!("STUN server {url:?} must start with stun: or stuns:");
            }
        }
        for url in &turn_urls {
            if !url.starts_with("turn:") && !url.starts_with("turns:") {
                anyhow::bail!("TURN server {url:?} must start with turn: or turns:");
            }
        }
        if !turn_urls.is_empty() && turn_secret.is_none() {
            anyhow::bail!("TURN servers are set but no --turn-secret to issue credentials with");
        }
        Ok(Self {
            stun_urls,
            turn_urls,
            turn_secret,
        })
    }
}

/// The topics a host routes unless its config file says otherwise.
pub fn default_topics() -> Vec<Topic> {
    [
        ("email", "Email and calendar"),
        ("network", "Network and VPN"),
        ("printing", "Printing"),
        ("software", "Installing software"),
        ("other", "Something else"),
    ]
    .into_iter()
    .map(|(id, label)| Topic {
        id: id.into(),
        label: label.into(),
    })
    .collect()
}

impl Config {
    /// Merges flags and environment (already in `args`) over the file over the defaults.
    pub fn load(args: &ServeArgs) -> anyhow::Result<Self> {
        let mut file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("cannot read the config file {}: {e}", path.display())
                })?;
                toml::from_str::<FileConfig>(&text).map_err(|e| {
                    anyhow::anyhow!("the config file {} is not valid: {e}", path.display())
                })?
            }
            None => FileConfig::default(),
        };
        let ice = IceConfig::load(args, &mut file)?;
        let limits = Limits::load(args, &file.limits())?;
        let mut routing = RoutingConfig::default();
        if let Some(s) = args.offer_timeout_secs.or(file.offer_timeout_secs) {
            routing.offer_timeout = Duration::from_secs(s.max(1));
        }
        if let Some(s) = args.queue_timeout_secs.or(file.queue_timeout_secs) {
            routing.queue_timeout = Duration::from_secs(s.max(1));
        }
        if let Some(s) = args.idle_timeout_secs.or(file.idle_timeout_secs) {
            routing.idle_timeout = Duration::from_secs(s.max(1));
        }
        if let Some(s) = args.call_back_timeout_secs.or(file.call_back_timeout_secs) {
            routing.call_back_timeout = Duration::from_secs(s.max(1));
        }
        if let Some(s) = args.reoffer_pause_secs.or(file.reoffer_pause_secs) {
            routing.reoffer_pause = Duration::from_secs(s);
        }
        let public_url = args
            .public_url
            .clone()
            .or(file.public_url)
            .map(|u| u.trim_end_matches('/').to_owned());
        if let Some(u) = &public_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                anyhow::bail!("public URL {u:?} must start with http:// or https://");
            }
        }
        let topics = match file.topics {
            Some(t) if t.is_empty() => anyhow::bail!("the config file lists no topics"),
            Some(t) => t
                .into_iter()
                .map(|t| Topic {
                    id: t.id,
                    label: t.label,
                })
                .collect(),
            None => default_topics(),
        };
        Ok(Self {
            ice,
            limits,
            listen: args
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            database: args
                .database
                .clone()
                .or(file.database)
                .unwrap_or_else(|| PathBuf::from("instant-share.sqlite3")),
            public_url,
            ui_dir: args
                .ui_dir
                .clone()
                .or(file.ui_dir)
                .unwrap_or_else(|| PathBuf::from("ui/dist")),
            routing,
            topics,
            updates_dir: args.updates_dir.clone().or(file.updates_dir),
            demo: args.demo || file.demo.unwrap_or(false),
            token_lifetime: Duration::from_secs(
                args.token_lifetime_secs
                    .or(file.token_lifetime_secs)
                    .unwrap_or(12 * 60 * 60)
                    .max(1),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_which_overrides_the_defaults() {
        let dir = std::env::temp_dir().join(format!("instant-share-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("host.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\noffer_timeout_secs = 5\npublic_url = \"https://help.example.com/\"\n\
             [[topics]]\nid = \"vpn\"\nlabel = \"VPN\"\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(file.clone()),
            offer_timeout_secs: Some(7),
            ..ServeArgs::default()
        };
        let c = Config::load(&args).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(
            c.routing.offer_timeout,
            Duration::from_secs(7),
            "the flag wins over the file"
        );
        assert_eq!(c.public_url.as_deref(), Some("https://help.example.com"));
        assert_eq!(
            c.topics,
            vec![Topic {
                id: "vpn".into(),
                label: "VPN".into()
            }]
        );
        assert_eq!(
            c.routing.queue_timeout,
            RoutingConfig::default().queue_timeout
        );

        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\nlisten_port = 3\n").unwrap();
        let err = Config::load(&args).unwrap_err().to_string();
        assert!(err.contains("not valid"), "{err}");
        let bad_url = ServeArgs {
            public_url: Some("help.example.com".into()),
            ..ServeArgs::default()
        };
        assert!(Config::load(&bad_url).is_err());
        let turn_without_secret = ServeArgs {
            turn_urls: vec!["turn:127.0.0.1:3478".into()],
            ..ServeArgs::default()
        };
        let err = Config::load(&turn_without_secret).unwrap_err().to_string();
        assert!(err.contains("--turn-secret"), "{err}");
        let bad_stun = ServeArgs {
            stun_urls: vec!["127.0.0.1:3478".into()],
            ..ServeArgs::default()
        };
        assert!(Config::load(&bad_stun).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
