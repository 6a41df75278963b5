//! Synthetic sources: what the engine sends where there is no camera or microphone.

mod pattern;
mod tone;

pub use pattern::{read_stamp, Frame, TestPattern, STAMP_BLOCK};
pub use tone::{find_clicks, tone_energy, Tone};
