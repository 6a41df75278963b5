//! Instant Share's media engine (knows nothing of Tauri).
//!
//! Contract so far: synthetic sources for machines without camera or microphone, built so that
//! what comes out of a lossy codec can still be checked —
//! - [`synthetic::TestPattern`]: I420 video, a moving scene with the frame number stamped into
//!   the pixels as large black and white blocks; [`synthetic::read_stamp`] reads it back from
//!   decoded pixels (and refuses a misread).
//! - [`synthetic::Tone`]: a sine tone with a click at the start of every second, for sync and
//!   for checking that audio arrived ([`synthetic::tone_energy`], [`synthetic::find_clicks`]).
//!
//! - [`files`]: Y4M video and 16-bit PCM WAV sources and sinks, refusing bad input with typed errors.
//!   ([`synthetic`] and [`files`] live in `crates/media-raw`, which builds without codecs, so
//!   that the file readers can be fuzzed on their own.)
//! - [`opus`]: Opus encode and decode, 20 ms frames at 48 kHz.
//! - [`vp8`]: a VP8 encoder and decoder over libvpx (realtime, one thread each; the caller runs
//!   them on threads of their own so they never block async workers).
//!
//! - [`capture`]: cameras (nokhwa), microphones and speakers (cpal), the X11 screen, and the
//!   synthetic and file sources and sinks behind the same calls: video as I420 frames with
//!   their capture time, audio as 20 ms blocks of 48 kHz mono, paced without drift.
#![deny(missing_docs)]

pub mod capture;
pub mod memory;
pub mod opus;
pub mod peer;
pub mod vp8;

pub use instant_share_media_raw::{files, synthetic};

/// Log filter directives a program using the engine adds to its defaults. The webrtc crate's
/// SRTP handler warns of every packet it drops as a repeat; the engine sends repeats on purpose
/// (each call's first keyframe twice, `peer::first_frame`, and NACKed packets that race their
/// original), dozens a call. Its errors still show; `RUST_LOG` overrides all of it.
pub const LOG_DIRECTIVES: &str = "rtc::peer_connection::handler=error";
