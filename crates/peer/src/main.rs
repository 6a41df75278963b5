//! `instant-share-peer`: a participant without a window.
//!
//! `instant-share-peer requester --host URL --enrolment-code CODE` presses Instant share the
//! way the app does and takes part in the session; `instant-share-peer expert --host URL
//! --username U` (password on stdin) signs in, becomes available, accepts the first offer and
//! takes part. Both send synthetic media (a stamped test pattern, a tone) or files, and write
//! one JSON line per event on stdout — `ready`, `shared`, `joined`, `call`, `first_frame`,
//! `stats`, `done` — for the tests and benchmarks that drive them. With `--record DIR` they
//! also write what they sent and received: `sent-<track>.csv` and
//! `received-<participant>-<track>.csv` (stamp, Unix microseconds) and the received audio as
//! `heard-<participant>.wav`. With `--save-video FILE.y4m` they keep the first received camera
//! pictures (event `saved` when the file is complete).

mod record;

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use futures_util::{SinkExt, StreamExt};
use instant_share_client::{HostClient, SessionConnection, SessionEvent};
use instant_share_media::capture::{AudioSinkConfig, AudioSourceConfig, VideoSourceConfig};
use instant_share_media::peer::{MediaConfig, MediaEvent, MediaHandle, PacketFaults, TrackKind};
use instant_share_protocol::{
    ClientMessage, ServerFrame, ServerMessage, SessionStatus, ShareRequest, PROTOCOL_VERSION,
};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use record::{Recorder, VideoSaver};

#[derive(Parser)]
#[command(
    name = "instant-share-peer",
    version,
    about = "A headless Instant Share participant"
)]
struct Cli {
    #[command(subcommand)]
    role: Role,
}

#[derive(Subcommand)]
enum Role {
    /// Ask for help: enrol with a code, press Instant share, take part.
    Requester {
        #[command(flatten)]
        common: Common,
        /// A one-time enrolment code (from `instant-share-host enrolment-code`).
        #[arg(long)]
        enrolment_code: String,
        /// The topic asked about.
        #[arg(long, default_value = "network")]
        topic: String,
    },
    /// Give help: sign in, become available, accept the first offer, take part.
    Expert {
        #[command(flatten)]
        common: Common,
        /// The expert's user name; the password is read from standard input.
        #[arg(long)]
        username: String,
    },
}

#[derive(Args, Clone)]
struct Common {
    /// The help host, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    host: String,
    /// Camera: `pattern` (stamped test pattern), `file:<path.y4m>`, `camera`, or `none`.
    #[arg(long, default_value = "pattern")]
    video: String,
    /// Picture size of the pattern or camera.
    #[arg(long, default_value = "640x480")]
    size: String,
    /// Frames a second of the camera track.
    #[arg(long, default_value_t = 30)]
    fps: u32,
    /// Microphone: `tone` (440 Hz with a click each second), `file:<path.wav>`, `microphone`,
    /// or `none`.
    #[arg(long, default_value = "tone")]
    audio: String,
    /// Also share the screen (X11 `$DISPLAY`) at this many frames a second (at most 15).
    #[arg(long)]
    screen_fps: Option<u32>,
    /// Local UDP address for ICE (repeatable); `127.0.0.1:0` on loopback-only machines.
    #[arg(long = "udp", default_value = "0.0.0.0:0")]
    udp: Vec<SocketAddr>,
    /// Write sent and received stamps and the received audio here.
    #[arg(long)]
    record: Option<PathBuf>,
    /// Save the first `--save-frames` received camera pictures of `--size` as this Y4M file
    /// (to send a browser's camera picture again with `--video file:`).
    #[arg(long)]
    save_video: Option<PathBuf>,
    /// How many pictures `--save-video` keeps.
    #[arg(long, default_value_t = 150, value_parser = clap::value_parser!(u32).range(1..))]
    save_frames: u32,
    /// End the session after this many seconds in the call (default: stay until it ends).
    #[arg(long)]
    duration_secs: Option<u64>,
    /// Fault injection: drop the n-th outgoing video packet once (NACK brings it back).
    #[arg(long)]
    drop_video_packet: Vec<u64>,
    /// Fault injection: drop the n-th outgoing video packet and every retransmission of it
    /// (the receiver needs a keyframe).
    #[arg(long)]
    lose_video_packet: Vec<u64>,
    /// Poor network, emulated on this side's sending: hold every outgoing RTP and RTCP packet
    /// this many milliseconds (both sides 25 → 50 ms round trip).
    #[arg(long, default_value_t = 0)]
    net_delay_ms: u64,
    /// Poor network, emulated on this side's sending: drop this percentage of outgoing RTP
    /// and RTCP packets at random.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    net_loss_percent: u8,
    /// Connect only through the TURN relay the host names (ICE transport policy `relay`).
    #[arg(long)]
    relay_only: bool,
    /// Leave lost DTLS handshake flights to the DTLS layer's fixed one-second resend (as
    /// before the engine resent them itself): to measure the difference.
    #[arg(long)]
    stock_dtls_resend: bool,
    /// Send each call's first keyframe once, not twice (as before the engine sent it twice):
    /// to measure the difference.
    #[arg(long)]
    first_keyframe_once: bool,
    /// Print track statistics every this many seconds.
    #[arg(long, default_value_t = 1)]
    stats_every: u64,
}

/// Resolves on Ctrl+C or (Unix) SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn emit(value: serde_json::Value) {
    println!("{value}");
}

fn parse_size(s: &str) -> anyhow::Result<(u32, u32)> {
    let (w, h) = s
        .split_once('x')
        .with_context(|| format!("--size {s:?}: write it as WIDTHxHEIGHT"))?;
    Ok((w.parse()?, h.parse()?))
}

fn video_source(common: &Common) -> anyhow::Result<Option<VideoSourceConfig>> {
    let (width, height) = parse_size(&common.size)?;
    let fps = common.fps.max(1);
    Ok(match common.video.as_str() {
        "none" => None,
        "pattern" => Some(VideoSourceConfig::Pattern { width, height, fps }),
        "camera" => Some(VideoSourceConfig::Camera {
            device: None,
            width,
            height,
            fps,
        }),
        other => match other.strip_prefix("file:") {
            Some(path) => Some(VideoSourceConfig::File {
                path: path.into(),
                fps,
                looped: true,
            }),
            None => bail!("--video {other:?}: use pattern, file:<path.y4m>, camera or none"),
        },
    })
}

fn audio_source(common: &Common) -> anyhow::Result<Option<AudioSourceConfig>> {
    Ok(match common.audio.as_str() {
        "none" => None,
        "tone" => Some(AudioSourceConfig::Tone { frequency: 440.0 }),
        "microphone" => Some(AudioSourceConfig::Microphone { device: None }),
        other => match other.strip_prefix("file:") {
            Some(path) => Some(AudioSourceConfig::File {
                path: path.into(),
                looped: true,
            }),
            None => bail!("--audio {other:?}: use tone, file:<path.wav>, microphone or none"),
        },
    })
}

fn main() {
    // Before any thread: frame-sized blocks stay in the heap (see `memory`).
    instant_share_media::memory::keep_frame_memory();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async_main());
}

async fn async_main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                format!(
                    "warn,instant_share_media=info,{}",
                    instant_share_media::LOG_DIRECTIVES
                )
                .into()
            }),
        )
        .init();
    if let Err(e) = run(Cli::parse()).await {
        emit(json!({"event": "error", "message": format!("{e:#}")}));
        eprintln!("instant-share-peer: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut pressed: Option<Instant> = None;
    let (common, ws_url, token) = match cli.role {
        Role::Requester {
            common,
            enrolment_code,
            topic,
        } => {
            let host = HostClient::new(&common.host)?;
            let enrolled = host
                .enrol(&enrolment_code, "instant-share-peer")
                .await
                .context("enrolment")?;
            emit(json!({"event": "ready", "role": "requester"}));
            let press = *pressed.insert(Instant::now());
            let pointer = host
                .share(
                    &enrolled.credential,
                    &ShareRequest {
                        topic,
                        note: Some("headless peer".into()),
                        app_version: env!("CARGO_PKG_VERSION").into(),
                        os_version: std::env::consts::OS.into(),
                    },
                )
                .await
                .context("share")?;
            emit(json!({"event": "shared", "session_id": pointer.session_id,
                "ms": press.elapsed().as_secs_f64() * 1000.0}));
            (common, pointer.ws_url, pointer.participant_token)
        }
        Role::Expert { common, username } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let host = HostClient::new(&common.host)?;
            let ticket = host
                .expert_ticket(&username, password.trim_end_matches(['\r', '\n']))
                .await
                .context("signing in")?;
            let (ws_url, token) = accept_first_offer(&ticket.ws_url, &ticket.ticket).await?;
            (common, ws_url, token)
        }
    };
    take_part(common, ws_url, token, started, pressed).await
}

/// Opens the console, becomes available, accepts the first offer; returns the session socket
/// address and the participant token.
async fn accept_first_offer(ws_url: &str, ticket: &str) -> anyhow::Result<(String, String)> {
    let (mut socket, _) = tokio_tungstenite::connect_async(ws_url)
        .await
        .context("opening the console socket")?;
    let send =
        |m: &ClientMessage| Message::Text(serde_json::to_string(m).unwrap_or_default().into());
    socket
        .send(send(&ClientMessage::Hello {
            token: ticket.to_owned(),
            protocol: PROTOCOL_VERSION,
            last_seq: None,
        }))
        .await?;
    socket
        .send(send(&ClientMessage::SetAvailability { available: true }))
        .await?;
    let mut announced = false;
    while let Some(message) = socket.next().await {
        let Message::Text(text) = message? else {
            continue;
        };
        let frame: ServerFrame = serde_json::from_str(text.as_str())?;
        match frame.msg {
            ServerMessage::ConsoleWelcome {
                available: true, ..
            } if !announced => {
                announced = true;
                emit(json!({"event": "ready", "role": "expert"}));
            }
            ServerMessage::Offered { offer } => {
                socket
                    .send(send(&ClientMessage::Accept {
                        session_id: offer.entry.session_id.clone(),
                    }))
                    .await?;
            }
            ServerMessage::Joined {
                session_id,
                participant_token,
                ..
            } => {
                emit(json!({"event": "accepted", "session_id": session_id}));
                let ws = ws_url.to_owned();
                // The console stays open in the background (closing it would set us away).
                tokio::spawn(async move { while let Some(Ok(_)) = socket.next().await {} });
                return Ok((ws, participant_token));
            }
            ServerMessage::Error { error } => bail!("the host refused: {error}"),
            _ => {}
        }
    }
    bail!("the console socket closed before an offer came")
}

async fn take_part(
    common: Common,
    ws_url: String,
    token: String,
    started: Instant,
    pressed: Option<Instant>,
) -> anyhow::Result<()> {
    let recorder = match &common.record {
        Some(dir) => Some(Recorder::new(dir)?),
        None => None,
    };
    let mut saver = match &common.save_video {
        Some(path) => {
            let (width, height) = parse_size(&common.size)?;
            Some(VideoSaver::new(
                path,
                width as usize,
                height as usize,
                common.fps.max(1),
                common.save_frames as usize,
            ))
        }
        None => None,
    };
    let (media_tx, mut media_rx) = mpsc::channel(256);
    let media = MediaHandle::spawn(
        MediaConfig {
            udp_addrs: common.udp.clone(),
            audio_output: match &common.record {
                Some(dir) => AudioSinkConfig::Wav {
                    path: dir.join("heard.wav"),
                },
                None => AudioSinkConfig::Discard,
            },
            self_view: recorder.is_some(),
            faults: PacketFaults {
                drop_once: common.drop_video_packet.clone(),
                drop_always: common.lose_video_packet.clone(),
                delay: Duration::from_millis(common.net_delay_ms),
                loss_percent: common.net_loss_percent,
            },
            relay_only: common.relay_only,
            fast_dtls_resend: !common.stock_dtls_resend,
            first_keyframe_twice: !common.first_keyframe_once,
        },
        media_tx,
    );
    if let Some(source) = video_source(&common)? {
        media
            .set_video(TrackKind::Camera, Some(source))
            .await
            .map_err(anyhow::Error::msg)?;
    }
    if let Some(fps) = common.screen_fps {
        media
            .set_video(
                TrackKind::Screen,
                Some(VideoSourceConfig::Screen {
                    fps,
                    max_width: 1280,
                    window: None,
                }),
            )
            .await
            .map_err(anyhow::Error::msg)?;
    }
    if let Some(source) = audio_source(&common)? {
        media
            .set_audio(Some(source))
            .await
            .map_err(anyhow::Error::msg)?;
    }
    let (session, mut session_rx) = SessionConnection::spawn(ws_url, token);
    let mut stats = tokio::time::interval(Duration::from_secs(common.stats_every.max(1)));
    let mut first_frames = std::collections::HashSet::new();
    let mut connected_at: Option<Instant> = None;
    let mut joined = false;
    // Interrupted (Ctrl+C, or SIGTERM from a test or benchmark): end the session as at the
    // deadline, so the host frees the expert at once.
    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        let deadline = async {
            match (connected_at, common.duration_secs) {
                (Some(at), Some(secs)) => {
                    tokio::time::sleep_until((at + Duration::from_secs(secs)).into()).await
                }
                _ => std::future::pending().await,
            }
        };
        let deadline = async {
            tokio::select! {
                _ = deadline => {}
                _ = &mut stop => {}
            }
        };
        tokio::select! {
            event = session_rx.recv() => match event {
                Some(SessionEvent::Snapshot(snapshot)) => {
                    if snapshot.status == SessionStatus::Active && !joined {
                        joined = true;
                        emit(json!({"event": "joined", "you": snapshot.you,
                            "ms": started.elapsed().as_secs_f64() * 1000.0}));
                    }
                    media.session(&snapshot);
                }
                Some(SessionEvent::Welcomed { ice_servers, .. }) => media.welcomed(ice_servers),
                Some(SessionEvent::Signal { from, signal }) => media.signal(from, signal),
                Some(SessionEvent::Connection(_) | SessionEvent::Pointer { .. } | SessionEvent::BoardRejected { .. }) => {}
                Some(SessionEvent::Ended(reason)) => {
                    emit(json!({"event": "ended", "reason": reason}));
                    break;
                }
                Some(SessionEvent::Fatal(error)) => bail!("the host refused the session: {error}"),
                None => break,
            },
            event = media_rx.recv() => match event {
                Some(MediaEvent::Signal { to, signal }) => {
                    let _ = session.send_signal(&to, signal);
                }
                Some(MediaEvent::MediaState(state)) => {
                    let _ = session.set_media(state);
                }
                Some(MediaEvent::Video { from, kind, frame, decoded_unix_micros, .. }) => {
                    if first_frames.insert((from.clone(), kind)) {
                        // `since_press_ms`: from Instant share (requester) to this picture.
                        emit(json!({"event": "first_frame", "from": from, "kind": kind,
                            "width": frame.width, "height": frame.height,
                            "ms": started.elapsed().as_secs_f64() * 1000.0,
                            "since_press_ms": pressed.map(|p| p.elapsed().as_secs_f64() * 1000.0)}));
                    }
                    if let Some(r) = &recorder {
                        r.received(&from, kind, &frame, decoded_unix_micros);
                    }
                    if let Some(s) = saver.as_mut().filter(|_| kind == TrackKind::Camera) {
                        if s.add(&frame)? {
                            emit(json!({"event": "saved", "path": s.path(), "frames": s.written()}));
                        }
                    }
                }
                Some(MediaEvent::LocalVideo { kind, frame, captured_unix_micros }) => {
                    if let Some(r) = &recorder {
                        r.sent(kind, &frame, captured_unix_micros);
                    }
                }
                Some(MediaEvent::Call { with, state }) => {
                    emit(json!({"event": "call", "with": with, "state": state,
                        "ms": started.elapsed().as_secs_f64() * 1000.0}));
                    if state == instant_share_media::peer::CallState::Connected {
                        connected_at.get_or_insert_with(Instant::now);
                    }
                }
                Some(MediaEvent::Problem { kind, message }) => {
                    emit(json!({"event": "problem", "kind": kind, "message": message}));
                }
                Some(MediaEvent::SourceEnded { kind, message }) => {
                    emit(json!({"event": "source_ended", "kind": kind, "message": message}));
                }
                Some(MediaEvent::NetworkChanged) => {
                    emit(json!({"event": "network_changed",
                        "ms": started.elapsed().as_secs_f64() * 1000.0}));
                    session.reconnect();
                }
                None => break,
            },
            _ = stats.tick() => {
                for s in media.stats().await {
                    emit(json!({"event": "stats", "track": s}));
                }
            }
            _ = deadline => {
                // Time is up, or interrupted: end the session as a user would (the host then
                // frees the expert).
                let _ = session.end_session();
                let wait = tokio::time::sleep(Duration::from_secs(3));
                tokio::pin!(wait);
                loop {
                    tokio::select! {
                        event = session_rx.recv() => match event {
                            Some(SessionEvent::Ended(reason)) => {
                                emit(json!({"event": "ended", "reason": reason}));
                                break;
                            }
                            None => break,
                            _ => {}
                        },
                        _ = &mut wait => break,
                    }
                }
                break;
            }
        }
    }
    match tokio::time::timeout(Duration::from_secs(2), media.stats()).await {
        Ok(stats) => {
            for s in stats {
                emit(json!({"event": "stats", "track": s}));
            }
        }
        Err(_) => tracing::warn!("the media session did not answer for its statistics"),
    }
    media.close();
    session.close();
    if let Some(r) = recorder {
        r.finish()?;
    }
    // Let the audio sinks finish their files.
    tokio::time::sleep(Duration::from_millis(200)).await;
    emit(json!({"event": "done", "ms": started.elapsed().as_secs_f64() * 1000.0}));
    Ok(())
}
