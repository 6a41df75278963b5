//! A sine tone with a sync click at the start of every second.

use std::f64::consts::TAU;

/// Length of a click, in milliseconds.
const CLICK_MS: u32 = 5;

/// Generates mono 16-bit samples: a sine at `frequency`, and at the start of every second a
/// full-scale square click of 5 ms that marks the second for sync measurements.
#[derive(Debug, Clone)]
pub struct Tone {
    sample_rate: u32,
    frequency: f64,
    position: u64,
}

impl Tone {
    /// A tone; `frequency` must be below half the sample rate.
    pub fn new(sample_rate: u32, frequency: f64) -> Result<Self, String> {
        if sample_rate == 0 || !(frequency > 0.0 && frequency < f64::from(sample_rate) / 2.0) {
            return Err(format!(
                "a {frequency} Hz tone cannot be sampled at {sample_rate} Hz"
            ));
        }
        Ok(Self {
            sample_rate,
            frequency,
            position: 0,
        })
    }

    /// Fills `out` with the next samples.
    pub fn fill(&mut self, out: &mut [i16]) {
        let rate = u64::from(self.sample_rate);
        let click = rate * u64::from(CLICK_MS) / 1000;
        for s in out {
            let in_second = self.position % rate;
            *s = if in_second < click {
                if (in_second / 8).is_multiple_of(2) {
                    i16::MAX
                } else {
                    i16::MIN + 1
                }
            } else {
                let t = self.position as f64 / self.sample_rate as f64;
                ((TAU * self.frequency * t).sin() * 0.3 * f64::from(i16::MAX)) as i16
            };
            self.position += 1;
        }
    }
}

/// Energy at `frequency` relative to the whole signal's (0..=1), by the Goertzel algorithm: how
/// much of what arrived is the tone.
pub fn tone_energy(samples: &[i16], sample_rate: u32, frequency: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let n = samples.len() as f64;
    // At the exact frequency, not the nearest bin: the window need not hold whole periods.
    let w = TAU * frequency / f64::from(sample_rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let mut total = 0.0f64;
    for &x in samples {
        let x = f64::from(x);
        total += x * x;
        let s = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    if total == 0.0 {
        return 0.0;
    }
    // A pure sine of n samples puts n/2 * sum(x^2) into its Goertzel bin.
    (power / (total * n / 2.0)).min(1.0)
}

/// Sample indices where a click starts: a run of near-full-scale samples after quiet.
pub fn find_clicks(samples: &[i16]) -> Vec<usize> {
    let loud = |s: i16| s.unsigned_abs() > 30_000;
    let mut clicks = Vec::new();
    let mut quiet = usize::MAX / 2;
    for (i, &s) in samples.iter().enumerate() {
        if loud(s) {
            if quiet >= 64 {
                clicks.push(i);
            }
            quiet = 0;
        } else {
            quiet += 1;
        }
    }
    clicks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tone_is_mostly_its_frequency() {
        let mut t = Tone::new(48_000, 440.0).unwrap();
        let mut buf = vec![0i16; 48_000];
        t.fill(&mut buf);
        // Skip the click at the start of the second.
        let body = &buf[480..48_000];
        assert!(tone_energy(body, 48_000, 440.0) > 0.9);
        assert!(tone_energy(body, 48_000, 1_000.0) < 0.01);
        assert_eq!(tone_energy(&[0; 100], 48_000, 440.0), 0.0);
    }

    #[test]
    fn clicks_mark_every_second() {
        let mut t = Tone::new(48_000, 440.0).unwrap();
        let mut buf = vec![0i16; 3 * 48_000];
        // Filled in odd-sized chunks: the clicks stay on the second.
        for chunk in buf.chunks_mut(960 + 7) {
            t.fill(chunk);
        }
        assert_eq!(find_clicks(&buf), vec![0, 48_000, 96_000]);
    }

    #[test]
    fn impossible_tones_are_refused() {
        assert!(Tone::new(8_000, 5_000.0).is_err());
        assert!(Tone::new(0, 440.0).is_err());
    }
}
