//! Raw media without codecs or devices: I420 frames and 16-bit PCM, the synthetic sources that
//! make them, and the Y4M and WAV files that hold them. `instant-share-media` re-exports both
//! modules; they live here so that the file readers, which decode outside input, can be fuzzed
//! without building libvpx, Opus and WebRTC.
//!
//! - [`synthetic::TestPattern`]: I420 video, a moving scene with the frame number stamped into
//!   the pixels as large black and white blocks; [`synthetic::read_stamp`] reads it back from
//!   decoded pixels (and refuses a misread).
//! - [`synthetic::Tone`]: a sine tone with a click at the start of every second, for sync and
//!   for checking that audio arrived ([`synthetic::tone_energy`], [`synthetic::find_clicks`]).
//! - [`files`]: Y4M video and 16-bit PCM WAV sources and sinks, refusing bad input with typed
//!   errors, never a panic.
#![deny(missing_docs)]

pub mod files;
pub mod synthetic;
