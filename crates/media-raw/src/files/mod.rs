//! File sources and sinks: Y4M video (I420) and WAV audio (16-bit PCM).
//!
//! Readers take any `Read` and refuse what they do not understand with a typed error, never a
//! panic: these decode outside input.

mod wav;
mod y4m;

pub use wav::{read_wav, write_wav, Wav, WavError};
pub use y4m::{write_y4m_frame, write_y4m_header, Y4mError, Y4mReader};
