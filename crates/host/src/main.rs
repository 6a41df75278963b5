//! `instant-share-host`: serve, and the administrator's subcommands.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use instant_share_host::config::{Config, ServeArgs};
use instant_share_host::hub::Now;
use instant_share_host::store::sqlite::SqliteStore;
use instant_share_host::store::{ExpertRecord, Store, StoreError};
use instant_share_host::{secrets, Host};
use instant_share_protocol::link::{normalise_host_url, EnrolmentLink};
use instant_share_protocol::text;

#[derive(Parser)]
#[command(
    name = "instant-share-host",
    version,
    about = "The Instant Share help host"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct DbArg {
    /// The SQLite file.
    #[arg(
        long,
        env = "INSTANT_SHARE_DATABASE",
        default_value = "instant-share.sqlite3"
    )]
    database: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, the WebSocket, the console and the co-browse site.
    Serve(Box<ServeArgs>),
    /// Create an expert account.
    ExpertAdd {
        #[command(flatten)]
        db: DbArg,
        /// Sign-in name.
        #[arg(long)]
        username: String,
        /// Name shown to requesters.
        #[arg(long)]
        display_name: String,
        /// Topic ids, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        skills: Vec<String>,
        /// Read the password from standard input instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Make a one-time enrolment code for an employee's device. Prints the code and, when the
    /// host's public address is given, an enrolment link (`instant-share://enrol?...`) that
    /// fills in host and code in the app.
    EnrolmentCode {
        #[command(flatten)]
        db: DbArg,
        /// The employee's name.
        #[arg(long)]
        employee: String,
        /// Hours until the code expires.
        #[arg(long, default_value_t = 72)]
        valid_hours: u64,
        /// The address employees reach the host at (as `serve --public-url`): with it, the
        /// enrolment link is printed on a second line.
        #[arg(long, env = "INSTANT_SHARE_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Revoke an enrolled device: its credential stops working at once.
    DeviceRevoke {
        #[command(flatten)]
        db: DbArg,
        /// The device id (from the host's log of the enrolment).
        device_id: String,
    },
    /// Print the operator's report: per topic and per expert, time to expert (p50/p95),
    /// handling time, the employees' feedback and rating, the experts' outcomes, overrides.
    Report {
        #[command(flatten)]
        db: DbArg,
        /// Sessions requested in the last this many days.
        #[arg(long, default_value_t = 30)]
        days: u64,
        /// JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Print the OpenAPI document.
    Openapi,
}

fn main() -> anyhow::Result<()> {
    malloc::return_large_blocks();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

/// How the process's allocator is set up.
mod malloc {
    /// Allocations this large or larger get pages of their own, given back to the system when
    /// freed.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    const OWN_PAGES_FROM: i32 = 1024 * 1024;

    /// Makes memory of large blocks go back to the system when they are freed.
    ///
    /// Every password check takes 19 MiB (argon2). glibc's malloc, after the first such block
    /// is freed, raises its threshold for blocks with their own pages to that size, so the
    /// next ones come from its arenas (one per thread that allocates), which keep freed memory:
    /// after a burst of sign-ins the host kept hundreds of MiB it no longer used. A fixed
    /// threshold keeps large blocks on their own pages, unmapped when freed (BENCHMARKS.md,
    /// "Memory after a burst of sign-ins", has the figures). An operator who tunes malloc
    /// with `GLIBC_TUNABLES` keeps their settings.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    pub fn return_large_blocks() {
        if std::env::var_os("GLIBC_TUNABLES").is_some() {
            return;
        }
        // SAFETY: `mallopt` only changes malloc's parameters; it is called before any other
        // thread exists, and with a parameter and value glibc documents.
        let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, OWN_PAGES_FROM) };
        if ok != 1 {
            eprintln!("could not set malloc's mmap threshold; memory may stay high after bursts");
        }
    }

    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    pub fn return_large_blocks() {}
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::ExpertAdd {
            db,
            username,
            display_name,
            skills,
            password_stdin,
        } => {
            let password = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                s.trim_end_matches(['\n', '\r']).to_owned()
            } else {
                anyhow::bail!("pass the password on standard input with --password-stdin");
            };
            if password.chars().count() < 8 {
                anyhow::bail!("the password must have at least 8 characters");
            }
            let store = SqliteStore::open(&db.database).await?;
            add_expert(&store, &username, &display_name, skills, &password).await?;
            println!("expert added: {username}");
            Ok(())
        }
        Command::EnrolmentCode {
            db,
            employee,
            valid_hours,
            public_url,
        } => {
            // Before a code is made: a link the app would refuse is no use to anyone.
            let link_host = public_url
                .map(|u| {
                    normalise_host_url(&u).map_err(|e| {
                        anyhow::anyhow!("--public-url cannot be used in an enrolment link: {e}")
                    })
                })
                .transpose()?;
            let store = SqliteStore::open(&db.database).await?;
            let code = enrolment_code(&store, &employee, valid_hours).await?;
            println!("{code}");
            if let Some(host) = link_host {
                println!("{}", EnrolmentLink::new(&host, &code)?);
            }
            Ok(())
        }
        Command::DeviceRevoke { db, device_id } => {
            let store = SqliteStore::open(&db.database).await?;
            if store.revoke_device(&device_id, Now::get().millis).await? {
                println!("revoked: {device_id}");
                Ok(())
            } else {
                anyhow::bail!("no enrolled, unrevoked device has the id {device_id}")
            }
        }
        Command::Report { db, days, json } => {
            let store = SqliteStore::open(&db.database).await?;
            let since = Now::get().millis.saturating_sub(days * 24 * 3_600_000);
            let report = instant_share_host::report::summarise(&store.report(since).await?);
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("Sessions requested in the last {days} days\n");
                print!("{}", instant_share_host::report::render(&report));
            }
            Ok(())
        }
        Command::Openapi => {
            print!("{}", instant_share_host::openapi::document());
            Ok(())
        }
    }
}

async fn add_expert(
    store: &dyn Store,
    username: &str,
    name: &str,
    skills: Vec<String>,
    password: &str,
) -> anyhow::Result<()> {
    let username = &text::PERSON_NAME.required(username).map_err(|_| {
        anyhow::anyhow!("the user name needs 1 to 100 characters, without control characters")
    })?;
    let name = text::PERSON_NAME.required(name)?;
    let skills: Vec<String> = skills
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    let password = password.to_owned();
    let password_hash = tokio::task::spawn_blocking(move || secrets::hash_password(&password))
        .await?
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?;
    let record = ExpertRecord {
        id: secrets::id(),
        username: username.to_owned(),
        display_name: name,
        password_hash,
        skills,
    };
    match store.add_expert(&record, Now::get().millis).await {
        Err(StoreError::Conflict(_)) => anyhow::bail!("the user name {username:?} is taken"),
        other => Ok(other?),
    }
}

async fn enrolment_code(
    store: &dyn Store,
    employee: &str,
    valid_hours: u64,
) -> anyhow::Result<String> {
    let employee = &text::PERSON_NAME
        .required(employee)
        .map_err(|e| anyhow::anyhow!("name the employee the code is for: {e}"))?;
    let code = secrets::enrolment_code();
    let now = Now::get().millis;
    let hash = secrets::hash(&secrets::normalise_code(&code));
    store
        .add_enrolment_code(&hash, employee, now, now + valid_hours * 3_600_000)
        .await?;
    Ok(code)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("INSTANT_SHARE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if args.log_json {
        fmt.json().init();
    } else {
        fmt.init();
    }
    let config = Config::load(&args)?;
    if !config.ui_dir.join("index.html").exists() {
        tracing::warn!(dir = %config.ui_dir.display(), "no ui build here: the console and site will answer 404 (run `npm run build` in ui/)");
    }
    let store = Arc::new(
        SqliteStore::open(&config.database)
            .await
            .with_context(|| format!("opening the database {}", config.database.display()))?,
    );
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let demo = config.demo;
    let all_topics: Vec<String> = config.topics.iter().map(|t| t.id.clone()).collect();
    if demo {
        match store.expert_by_username("demo").await? {
            Some(_) => {}
            None => {
                add_expert(
                    store.as_ref(),
                    "demo",
                    "Demo Expert",
                    all_topics,
                    "demo-password",
                )
                .await?
            }
        }
    }
    let host = Host::start(config, store.clone(), addr).await?;
    println!("instant-share-host listening on http://{addr}");
    if demo {
        let code = enrolment_code(store.as_ref(), "Demo Employee", 72).await?;
        println!("console: {}/console", host.state().public_url());
        println!("demo expert: demo / demo-password");
        println!("enrolment code: {code}");
        match EnrolmentLink::new(host.state().public_url(), &code) {
            Ok(link) => println!("enrolment link: {link}"),
            Err(e) => tracing::info!("no enrolment link for the demo code: {e}"),
        }
    }
    host.serve(listener, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
