//! Audio shaping between devices and the engine: down-mixing to mono, linear resampling (good
//! enough for speech, and cheap), and cutting a stream into 20 ms blocks with capture times.
//!
//! Samples in flight are `f32` on the `i16` scale (±32768), so 16-bit input passes unchanged.

use std::time::{Duration, Instant};

/// The engine's audio rate.
pub(crate) const RATE: u32 = 48_000;
/// Samples in one 20 ms block (one Opus frame).
pub(crate) const BLOCK: usize = 960;
/// The length of one block.
pub(crate) const BLOCK_TIME: Duration = Duration::from_millis(20);

/// Mixes interleaved frames of `channels` samples down to mono by averaging, appending to `out`.
pub(crate) fn mix_to_mono(interleaved: &[f32], channels: usize, out: &mut Vec<f32>) {
    let channels = channels.max(1);
    if channels == 1 {
        out.extend_from_slice(interleaved);
        return;
    }
    let scale = 1.0 / channels as f32;
    out.extend(
        interleaved
            .chunks_exact(channels)
            .map(|frame| frame.iter().sum::<f32>() * scale),
    );
}

/// A sample on the `i16` scale, rounded and clamped.
pub(crate) fn to_i16(s: f32) -> i16 {
    s.round().clamp(-32768.0, 32767.0) as i16
}

/// A streaming linear resampler: feed chunks of any size, get the same signal at another rate.
#[derive(Debug, Clone)]
pub(crate) struct Resampler {
    /// Input samples per output sample.
    step: f64,
    /// Position of the next output sample, in input samples, relative to the current chunk
    /// (-1 is the last sample of the previous chunk).
    pos: f64,
    /// The last sample of the previous chunk.
    prev: Option<f32>,
}

impl Resampler {
    /// From `from` to `to` samples a second (both non-zero).
    pub(crate) fn new(from: u32, to: u32) -> Self {
        Self {
            step: f64::from(from.max(1)) / f64::from(to.max(1)),
            pos: 0.0,
            prev: None,
        }
    }

    /// Whether this passes samples through unchanged.
    pub(crate) fn is_identity(&self) -> bool {
        self.step == 1.0
    }

    /// Resamples `input`, appending to `out`.
    pub(crate) fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if input.is_empty() {
            return;
        }
        if self.is_identity() {
            out.extend_from_slice(input);
            return;
        }
        let prev = *self.prev.get_or_insert(input[0]);
        let last = (input.len() - 1) as f64;
        while self.pos < last {
            let i = self.pos.floor();
            let frac = (self.pos - i) as f32;
            let a = if i < 0.0 { prev } else { input[i as usize] };
            let b = input[(i + 1.0) as usize];
            out.push(a + (b - a) * frac);
            self.pos += self.step;
        }
        self.pos -= input.len() as f64;
        self.prev = Some(input[input.len() - 1]);
    }
}

/// A whole recording at any rate and channel count as 48 kHz mono.
pub(crate) fn to_48k_mono(samples: &[i16], rate: u32, channels: u16) -> Vec<i16> {
    let floats: Vec<f32> = samples.iter().map(|&s| f32::from(s)).collect();
    let mut mono = Vec::with_capacity(floats.len() / usize::from(channels.max(1)));
    mix_to_mono(&floats, usize::from(channels), &mut mono);
    let mut out = Vec::new();
    let mut resampler = Resampler::new(rate, RATE);
    resampler.process(&mono, &mut out);
    out.into_iter().map(to_i16).collect()
}

/// Cuts a 48 kHz mono stream into [`BLOCK`]-sample blocks, each with the capture time of its
/// first sample.
#[derive(Debug, Default)]
pub(crate) struct Blocker {
    pending: Vec<i16>,
    /// Capture time of `pending[0]`.
    first_at: Option<Instant>,
}

impl Blocker {
    /// Adds `samples`, the first captured at `at`, and calls `emit` for each full block. Each
    /// chunk's time re-anchors the clock, so device timing errors do not accumulate.
    pub(crate) fn push(
        &mut self,
        samples: &[i16],
        at: Instant,
        emit: &mut impl FnMut(&[i16], Instant),
    ) {
        let buffered = Duration::from_nanos(self.pending.len() as u64 * 1_000_000_000 / 48_000);
        self.first_at = Some(at.checked_sub(buffered).unwrap_or(at));
        self.pending.extend_from_slice(samples);
        let mut start = 0;
        while self.pending.len() - start >= BLOCK {
            let first = self.first_at.unwrap_or(at);
            emit(&self.pending[start..start + BLOCK], first);
            self.first_at = Some(first + BLOCK_TIME);
            start += BLOCK;
        }
        self.pending.drain(..start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{tone_energy, Tone};

    #[test]
    fn stereo_mixes_to_the_mean() {
        let mut out = Vec::new();
        mix_to_mono(&[100.0, 300.0, -10.0, 10.0, 7.0], 2, &mut out);
        assert_eq!(out, vec![200.0, 0.0]);
        mix_to_mono(&[1.0, 2.0], 1, &mut out);
        assert_eq!(out, vec![200.0, 0.0, 1.0, 2.0]);
        assert_eq!(
            (to_i16(40_000.0), to_i16(-1.6), to_i16(0.4)),
            (32767, -2, 0)
        );
    }

    #[test]
    fn the_same_rate_is_untouched() {
        let samples: Vec<i16> = (0..1000).map(|i| (i * 37 % 2000 - 1000) as i16).collect();
        assert_eq!(to_48k_mono(&samples, 48_000, 1), samples);
    }

    #[test]
    fn a_tone_keeps_its_pitch_and_length_across_rates() {
        for rate in [8_000, 16_000, 44_100, 96_000] {
            let mut tone = Tone::new(rate, 440.0).unwrap();
            let mut samples = vec![0i16; rate as usize];
            tone.fill(&mut samples);
            // Fed in odd-sized chunks: the stream joins seamlessly.
            let mut r = Resampler::new(rate, RATE);
            let mut out = Vec::new();
            for chunk in samples.chunks(333) {
                let f: Vec<f32> = chunk.iter().map(|&s| f32::from(s)).collect();
                r.process(&f, &mut out);
            }
            assert!(
                (47_990..=48_000).contains(&out.len()),
                "{rate}: {}",
                out.len()
            );
            let out: Vec<i16> = out.into_iter().map(to_i16).collect();
            let energy = tone_energy(&out[1_000..47_000], RATE, 440.0);
            assert!(energy > 0.9, "{rate}: {energy}");
        }
    }

    #[test]
    fn stereo_files_become_mono_at_48k() {
        let interleaved: Vec<i16> = (0..22_050).flat_map(|_| [1000i16, 3000]).collect();
        let mono = to_48k_mono(&interleaved, 22_050, 2);
        assert!((47_990..=48_000).contains(&mono.len()), "{}", mono.len());
        assert!(mono.iter().all(|&s| s == 2000));
    }

    #[test]
    fn blocks_are_960_samples_with_their_first_sample_time() {
        let t0 = Instant::now();
        let mut b = Blocker::default();
        let mut got = Vec::new();
        let mut emit = |s: &[i16], at: Instant| got.push((s.len(), s[0], at));
        // 10 ms chunks numbered by their sample index, each stamped with its own time.
        for k in 0..7u64 {
            let chunk: Vec<i16> = (0..480).map(|i| (k * 480 + i) as i16).collect();
            b.push(&chunk, t0 + Duration::from_millis(10 * k), &mut emit);
        }
        assert_eq!(got.len(), 3);
        for (n, (len, first, at)) in got.into_iter().enumerate() {
            assert_eq!((len, first), (960, (n * 960) as i16));
            assert_eq!(at - t0, Duration::from_millis(20 * n as u64));
        }
    }
}
