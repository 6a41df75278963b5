//! What one direction of the network does to a packet: lose it, or hold it for a while.
//!
//! Sans-IO: [`Line::admit`] takes the time the packet arrived and a random source, and answers
//! when it may leave (or that it is lost). The delayer and the tests drive it alike.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use rand::Rng;

/// The impairment of one direction: a fixed one-way delay, random extra delay on top, and
/// random loss.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Impairment {
    /// Every packet is held at least this long (one way; a round trip through two impaired
    /// directions pays it twice).
    pub delay: Duration,
    /// Up to this much more, uniformly at random per packet.
    pub jitter: Duration,
    /// Share of packets lost, in percent (0–100), independently of each other.
    pub loss_percent: f64,
    /// Whether a packet may overtake an earlier one when its random extra delay is smaller.
    /// Without it, a packet leaves no earlier than the one before it (jitter then bunches
    /// packets rather than reordering them, as most real paths do).
    pub reorder: bool,
}

impl fmt::Display for Impairment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "delay={}ms,jitter={}ms,loss={}",
            self.delay.as_secs_f64() * 1e3,
            self.jitter.as_secs_f64() * 1e3,
            self.loss_percent
        )?;
        if self.reorder {
            write!(f, ",reorder")?;
        }
        Ok(())
    }
}

/// Why an impairment given on the command line was refused.
#[derive(Debug, PartialEq, Eq)]
pub struct ParseError(String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

fn millis(key: &str, value: &str) -> Result<Duration, ParseError> {
    let ms: f64 = value
        .trim_end_matches("ms")
        .parse()
        .map_err(|_| ParseError(format!("{key}: '{value}' is not a number of milliseconds")))?;
    if !(0.0..=60_000.0).contains(&ms) {
        return Err(ParseError(format!("{key}: {ms} ms is outside 0–60000")));
    }
    Ok(Duration::from_secs_f64(ms / 1e3))
}

impl FromStr for Impairment {
    type Err = ParseError;

    /// `delay=25,jitter=5,loss=2.5,reorder` (milliseconds, percent); any part may be left out.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let mut out = Impairment::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            match key {
                "delay" => out.delay = millis(key, value)?,
                "jitter" => out.jitter = millis(key, value)?,
                "loss" => {
                    out.loss_percent = value
                        .trim_end_matches('%')
                        .parse()
                        .ok()
                        .filter(|p| (0.0..=100.0).contains(p))
                        .ok_or_else(|| ParseError(format!("loss: '{value}' is not 0–100")))?
                }
                "reorder" if value.is_empty() => out.reorder = true,
                _ => return Err(ParseError(format!("unknown part '{part}'"))),
            }
        }
        Ok(out)
    }
}

/// One direction of the network in motion: the impairment and the last release time (which
/// keeps packets in order unless reordering is allowed).
#[derive(Debug, Clone)]
pub struct Line {
    impairment: Impairment,
    last_release: Option<Instant>,
}

impl Line {
    /// A direction with this impairment and nothing in flight.
    pub fn new(impairment: Impairment) -> Self {
        Self {
            impairment,
            last_release: None,
        }
    }

    /// The impairment this line applies.
    pub fn impairment(&self) -> Impairment {
        self.impairment
    }

    /// A packet arrived at `now`: `None` if the network loses it, otherwise when it may go on.
    pub fn admit(&mut self, now: Instant, rng: &mut impl Rng) -> Option<Instant> {
        let i = &self.impairment;
        if i.loss_percent > 0.0 && rng.gen::<f64>() * 100.0 < i.loss_percent {
            return None;
        }
        let extra = if i.jitter.is_zero() {
            Duration::ZERO
        } else {
            i.jitter.mul_f64(rng.gen::<f64>())
        };
        let mut release = now + i.delay + extra;
        if !i.reorder {
            if let Some(last) = self.last_release {
                release = release.max(last);
            }
        }
        self.last_release = Some(release);
        Some(release)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn parses_every_part_and_refuses_nonsense() {
        let i: Impairment = "delay=25,jitter=5ms,loss=2.5%,reorder".parse().unwrap();
        assert_eq!(i.delay, Duration::from_millis(25));
        assert_eq!(i.jitter, Duration::from_millis(5));
        assert_eq!(i.loss_percent, 2.5);
        assert!(i.reorder);
        assert_eq!("".parse::<Impairment>().unwrap(), Impairment::default());
        assert!("loss=120".parse::<Impairment>().is_err());
        assert!("delay=-1".parse::<Impairment>().is_err());
        assert!("speed=9".parse::<Impairment>().is_err());
    }

    #[test]
    fn loses_the_share_asked_for_and_delays_the_rest() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut line = Line::new("delay=30,loss=10".parse().unwrap());
        let t0 = Instant::now();
        let kept: Vec<Instant> = (0..20_000)
            .filter_map(|_| line.admit(t0, &mut rng))
            .collect();
        let lost = 20_000 - kept.len();
        assert!((1_700..2_300).contains(&lost), "{lost} lost of 20000");
        assert!(kept.iter().all(|t| *t == t0 + Duration::from_millis(30)));
    }

    #[test]
    fn jitter_keeps_order_unless_reordering_is_allowed() {
        let mut rng = StdRng::seed_from_u64(1);
        let t0 = Instant::now();
        let releases = |spec: &str, rng: &mut StdRng| {
            let mut line = Line::new(spec.parse().unwrap());
            (0..1000u64)
                .map(|n| line.admit(t0 + Duration::from_millis(n), rng).unwrap())
                .collect::<Vec<_>>()
        };
        let ordered = releases("delay=10,jitter=20", &mut rng);
        assert!(ordered.windows(2).all(|w| w[0] <= w[1]));
        let shuffled = releases("delay=10,jitter=20,reorder", &mut rng);
        let overtaken = shuffled.windows(2).filter(|w| w[0] > w[1]).count();
        assert!(overtaken > 100, "only {overtaken} of 1000 overtaken");
        for (n, t) in shuffled.iter().enumerate() {
            let held = *t - (t0 + Duration::from_millis(n as u64));
            assert!(held >= Duration::from_millis(10) && held <= Duration::from_millis(30));
        }
    }
}
