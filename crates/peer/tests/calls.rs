//! Two headless peers in a call through a real host (in-process, loopback): media flows both
//! ways with the stamped counter increasing and the tone audible; one lost video packet comes
//! back through NACK without costing a frame; a packet lost for good costs frames until a
//! keyframe requested by PLI; over an emulated poor network (delay and random loss on the
//! sending side) the round trip grows and pictures keep coming; through a real TURN server
//! (coturn, with the host's short-lived credentials) when direct paths are not allowed.
//!
//! The peers are this crate's binary (`instant-share-peer`), run as the tests and benchmarks
//! run them.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use instant_share_host::config::{Config, ServeArgs};
use instant_share_host::hub::Now;
use instant_share_host::store::sqlite::SqliteStore;
use instant_share_host::store::{ExpertRecord, Store};
use instant_share_host::{secrets, Host};
use instant_share_media::files::read_wav;
use instant_share_media::synthetic::tone_energy;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio::sync::oneshot;

const PEER: &str = env!("CARGO_BIN_EXE_instant-share-peer");

struct TestHost {
    url: String,
    store: Arc<SqliteStore>,
    _stop: oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

async fn start_host() -> TestHost {
    start_host_with(ServeArgs::default()).await
}

/// A host with `args` (database, address and UI folder are the test's own).
async fn start_host_with(args: ServeArgs) -> TestHost {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("host.sqlite3");
    let args = ServeArgs {
        database: Some(db.clone()),
        listen: Some("127.0.0.1:0".parse().unwrap()),
        ui_dir: Some("/nonexistent".into()),
        ..args
    };
    let config = Config::load(&args).unwrap();
    let store = Arc::new(SqliteStore::open(&db).await.unwrap());
    let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let host = Host::start(config, store.clone(), addr).await.unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(host.serve(listener, async move {
        let _ = stopped.await;
    }));
    store
        .add_expert(
            &ExpertRecord {
                id: secrets::id(),
                username: "alice".into(),
                display_name: "Alice".into(),
                password_hash: secrets::hash_password("password-1").unwrap(),
                skills: vec!["network".into()],
            },
            Now::get().millis,
        )
        .await
        .unwrap();
    TestHost {
        url: format!("http://{addr}"),
        store,
        _stop: stop,
        _dir: dir,
    }
}

impl TestHost {
    async fn enrolment_code(&self) -> String {
        let code = secrets::enrolment_code();
        let now = Now::get().millis;
        self.store
            .add_enrolment_code(
                &secrets::hash(&secrets::normalise_code(&code)),
                "Ana",
                now,
                now + 3_600_000,
            )
            .await
            .unwrap();
        code
    }
}

/// What one peer printed, one JSON value per line.
struct Run {
    events: Vec<Value>,
    dir: PathBuf,
}

impl Run {
    fn named(&self, event: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["event"] == event).collect()
    }

    /// The last statistics of a received track of `kind`.
    fn received(&self, kind: &str) -> &Value {
        self.events
            .iter()
            .rev()
            .find(|e| {
                e["event"] == "stats"
                    && e["track"]["direction"] == "receive"
                    && e["track"]["kind"] == kind
            })
            .map(|e| &e["track"])
            .unwrap_or_else(|| {
                panic!(
                    "no statistics of a received {kind} track: {:?}",
                    self.events
                )
            })
    }

    /// Stamps read back from the received camera pictures, in order.
    fn stamps(&self, from: &str) -> Vec<u32> {
        let text = std::fs::read_to_string(self.dir.join(format!("received-{from}-camera.csv")))
            .unwrap_or_default();
        text.lines()
            .skip(1)
            .filter_map(|l| l.split(',').next()?.parse().ok())
            .collect()
    }
}

async fn run_peer(mut command: Command, stdin: Option<&str>, dir: PathBuf) -> Run {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("the peer starts");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.unwrap();
    }
    drop(input);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut events = Vec::new();
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            events.push(serde_json::from_str::<Value>(&line).unwrap());
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("the peer finishes in time");
    let status = child.wait().await.unwrap();
    assert!(status.success(), "the peer failed: {events:?}");
    Run { events, dir }
}

fn peer_command(role: &str, host: &str, dir: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(PEER);
    c.args([
        role,
        "--host",
        host,
        "--udp",
        "127.0.0.1:0",
        "--duration-secs",
        "3",
    ])
    .arg("--record")
    .arg(dir)
    .args(extra);
    c
}

/// Runs an expert and a requester; the requester's extra flags apply to what it sends.
async fn call(requester_flags: &[&str]) -> (Run, Run) {
    call_through(start_host().await, requester_flags, &[]).await
}

/// Runs an expert and a requester through `host`, each with its extra flags.
async fn call_through(
    host: TestHost,
    requester_flags: &[&str],
    expert_flags: &[&str],
) -> (Run, Run) {
    let out = tempfile::tempdir().unwrap().keep();
    let (edir, rdir) = (out.join("expert"), out.join("requester"));
    let mut expert = peer_command("expert", &host.url, &edir, expert_flags);
    expert.args(["--username", "alice"]);
    let expert = tokio::spawn(run_peer(expert, Some("password-1\n"), edir));
    tokio::time::sleep(Duration::from_millis(800)).await;
    let code = host.enrolment_code().await;
    let mut requester = peer_command("requester", &host.url, &rdir, requester_flags);
    requester.args(["--enrolment-code", &code]);
    let requester = run_peer(requester, None, rdir).await;
    let expert = expert.await.unwrap();
    (requester, expert)
}

/// A recorded CSV of stamps: stamp → Unix microseconds (the first of each stamp).
fn csv_times(path: &Path) -> std::collections::HashMap<u32, i64> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut times = std::collections::HashMap::new();
    for line in text.lines().skip(1) {
        let mut fields = line.split(',');
        if let (Some(Ok(stamp)), Some(Ok(at))) = (
            fields.next().map(str::parse::<u32>),
            fields.next().map(str::parse::<i64>),
        ) {
            times.entry(stamp).or_insert(at);
        }
    }
    times
}

fn assert_increasing(stamps: &[u32], who: &str) {
    assert!(
        stamps.len() >= 40,
        "{who} decoded {} readable pictures",
        stamps.len()
    );
    assert!(
        stamps.windows(2).all(|w| w[1] > w[0]),
        "{who}'s stamps go up: {stamps:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_native_peers_see_and_hear_each_other() {
    let (requester, expert) = call(&[]).await;
    for (run, who, other) in [(&requester, "requester", "p2"), (&expert, "expert", "p1")] {
        assert!(
            run.named("call").iter().any(|e| e["state"] == "connected"),
            "{who} connected: {:?}",
            run.events
        );
        assert_eq!(run.named("first_frame").len(), 1, "{who} saw the camera");
        assert_increasing(&run.stamps(other), who);
        let video = run.received("camera");
        assert_eq!(video["freezes"], 0, "{who}: {video}");
        // Counter mode with HMAC, never AES-GCM: a NACKed packet is resent with another header
        // under the same SRTP index (`connection.rs`).
        assert_eq!(
            video["srtp_cipher"], "SRTP_AES128_CM_HMAC_SHA1_80",
            "{who}: {video}"
        );
        let wav =
            read_wav(std::fs::File::open(run.dir.join(format!("heard-{other}.wav"))).unwrap())
                .expect("the received audio is a WAV file");
        // Two seconds from the middle: the 440 Hz tone, far above what is next to it.
        let n = wav.samples.len();
        assert!(n > 48_000 * 2, "{who} heard {n} samples");
        let middle = &wav.samples[n / 2 - 48_000..n / 2 + 48_000];
        let tone = tone_energy(middle, 48_000, 440.0);
        let off = tone_energy(middle, 48_000, 1_000.0);
        assert!(
            tone > 100.0 * off.max(1e-9),
            "{who}: 440 Hz {tone} vs 1 kHz {off}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_lost_packet_is_resent_after_a_nack() {
    // The requester drops its 150th video packet once; the expert NACKs it and gets it.
    let (_, expert) = call(&["--drop-video-packet", "150"]).await;
    let video = expert.received("camera");
    assert_eq!(video["frames_lost"], 0, "nothing lost for good: {video}");
    assert!(
        video["nacks"].as_u64().unwrap() >= 1,
        "it was asked for: {video}"
    );
    assert_eq!(video["freezes"], 0, "{video}");
    assert_increasing(&expert.stamps("p1"), "expert");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_packet_lost_for_good_is_repaired_by_a_keyframe() {
    // The requester drops its 150th video packet and every retransmission of it.
    let (_, expert) = call(&["--lose-video-packet", "150"]).await;
    let video = expert.received("camera");
    assert!(video["frames_lost"].as_u64().unwrap() >= 1, "{video}");
    assert!(
        video["keyframe_requests_or_drops"].as_u64().unwrap() >= 1,
        "a keyframe was asked for: {video}"
    );
    assert!(
        video["keyframes"].as_u64().unwrap() >= 2,
        "and came: {video}"
    );
    // Pictures keep coming after the repair.
    let stamps = expert.stamps("p1");
    assert_increasing(&stamps, "expert");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poor_network_delays_and_loses_packets_and_the_call_goes_on() {
    // The requester's sending is held 40 ms and loses 5 % of its packets at random.
    let (requester, expert) = call(&["--net-delay-ms", "40", "--net-loss-percent", "5"]).await;
    let video = expert.received("camera");
    // Glass to glass from the stamps (one machine, one clock): the delay is in every picture.
    let sent = csv_times(&requester.dir.join("sent-camera.csv"));
    let shown = csv_times(&expert.dir.join("received-p1-camera.csv"));
    let mut latencies: Vec<i64> = shown
        .iter()
        .filter_map(|(stamp, at)| sent.get(stamp).map(|s| (at - s) / 1000))
        .collect();
    latencies.sort_unstable();
    let median = latencies.get(latencies.len() / 2).copied();
    assert!(
        median.is_some_and(|ms| ms >= 40),
        "glass to glass includes the 40 ms: median {median:?} ms of {}",
        latencies.len()
    );
    assert!(
        video["loss_percent"].as_f64().unwrap_or(0.0) > 0.0
            || video["frames_lost"].as_u64().unwrap_or(0) > 0
            || expert
                .named("stats")
                .iter()
                .any(|e| { e["track"]["loss_percent"].as_f64().unwrap_or(0.0) > 0.0 }),
        "packets were lost on the way: {video}"
    );
    // Pictures keep coming, in order (retransmissions and keyframes repair the losses).
    let stamps = expert.stamps("p1");
    assert!(
        stamps.len() >= 20,
        "the expert decoded {} readable pictures",
        stamps.len()
    );
    assert!(
        stamps.windows(2).all(|w| w[1] > w[0]),
        "stamps go up: {stamps:?}"
    );
}

/// A coturn on loopback with the REST-API shared secret, for as long as it lives.
struct Coturn {
    child: tokio::process::Child,
    url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Coturn {
    async fn start(secret: &str) -> Coturn {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.path().join("turnserver.log");
        let child = Command::new("turnserver")
            .args([
                "-n",
                "--no-cli",
                "--no-tls",
                "--no-dtls",
                "--listening-ip=127.0.0.1",
                "--relay-ip=127.0.0.1",
                "--allow-loopback-peers",
                "--use-auth-secret",
                "--realm=instant-share.test",
                "--min-port=40000",
                "--max-port=40999",
                "--verbose",
            ])
            .arg(format!("--listening-port={port}"))
            .arg(format!("--static-auth-secret={secret}"))
            .arg(format!("--log-file={}", log.display()))
            .arg("--simple-log")
            .arg(format!(
                "--pidfile={}",
                dir.path().join("turnserver.pid").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect(
                "coturn's turnserver runs (Debian package coturn; scripts/deps.sh installs it)",
            );
        // Ready once it says it listens.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains("listener opened on") || text.contains("IPv4. UDP listener opened") {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "coturn did not start listening: {text}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Coturn {
            child,
            url: format!("turn:127.0.0.1:{port}?transport=udp"),
            log,
            _dir: dir,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_a_turn_relay_with_the_host_s_credentials() {
    let secret = "a secret the host and coturn share";
    let mut turn = Coturn::start(secret).await;
    let host = start_host_with(ServeArgs {
        turn_urls: vec![turn.url.clone()],
        turn_secret: Some(secret.into()),
        ..ServeArgs::default()
    })
    .await;
    // Neither side may connect directly: only relayed candidates are used.
    let (requester, expert) = call_through(host, &["--relay-only"], &["--relay-only"]).await;
    for (run, who, other) in [(&requester, "requester", "p2"), (&expert, "expert", "p1")] {
        assert!(
            run.named("call").iter().any(|e| e["state"] == "connected"),
            "{who} connected through the relay: {:?}",
            run.events
        );
        assert_increasing(&run.stamps(other), who);
    }
    // coturn took the host's short-lived credentials (user `<expiry>:<participant>`) and relayed.
    let log = std::fs::read_to_string(&turn.log).unwrap_or_default();
    for participant in ["p1", "p2"] {
        assert!(
            log.lines().any(|l| l.contains(&format!(":{participant}>"))
                && l.contains("ALLOCATE processed, success")),
            "coturn allocated a relay for {participant}: {log}"
        );
    }
    assert!(
        log.contains("CREATE_PERMISSION processed, success"),
        "coturn let the peers reach each other's relays: {log}"
    );
    let _ = turn.child.kill().await;
}

/// `--save-video` keeps the received camera pictures as a Y4M file (the benchmark's recording
/// of a browser's camera), and SIGTERM ends the session as a user would: the other side learns
/// it ended and exits, and the host frees the expert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_saves_what_it_receives_and_ends_the_session_on_sigterm() {
    let host = start_host().await;
    let out = tempfile::tempdir().unwrap();
    let saved = out.path().join("received.y4m");
    let mut expert = Command::new(PEER);
    expert
        .args(["expert", "--host", &host.url, "--udp", "127.0.0.1:0"])
        .args(["--username", "alice", "--video", "none", "--audio", "none"])
        .args(["--save-frames", "20", "--save-video"])
        .arg(&saved)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    let mut expert = expert.spawn().unwrap();
    let mut input = expert.stdin.take().unwrap();
    input.write_all(b"password-1\n").await.unwrap();
    drop(input);
    let mut lines = BufReader::new(expert.stdout.take().unwrap()).lines();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let code = host.enrolment_code().await;
    let mut requester = Command::new(PEER);
    requester.args(["requester", "--host", &host.url, "--udp", "127.0.0.1:0"]);
    requester.args(["--enrolment-code", &code]);
    let requester = tokio::spawn(run_peer(requester, None, out.path().join("requester")));

    let saved_event = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let event: Value = serde_json::from_str(&line).unwrap();
            if event["event"] == "saved" {
                return event;
            }
        }
        panic!("the expert ended without saving");
    })
    .await
    .expect("20 pictures saved in time");
    assert_eq!(saved_event["frames"], 20);
    let pid = expert.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), expert.wait())
        .await
        .expect("the expert exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
    // The requester (no --duration-secs) ends because the session ended.
    let requester = requester.await.unwrap();
    assert_eq!(requester.named("ended").len(), 1, "{:?}", requester.events);

    let file = std::fs::File::open(&saved).unwrap();
    let mut reader = instant_share_media::files::Y4mReader::new(std::io::BufReader::new(file))
        .expect("a Y4M header");
    let mut stamps = Vec::new();
    while let Some(frame) = reader.next_frame().unwrap() {
        assert_eq!((frame.width, frame.height), (640, 480));
        stamps.extend(instant_share_media::synthetic::read_stamp(
            &frame.y,
            frame.width,
            frame.height,
        ));
    }
    assert_eq!(stamps.len(), 20, "every saved picture is the requester's");
    assert!(stamps.windows(2).all(|w| w[1] > w[0]), "{stamps:?}");
}
