//! Opus audio: 20 ms frames of 48 kHz mono 16-bit samples, as WebRTC carries them.

/// Samples a second.
pub const SAMPLE_RATE: u32 = 48_000;
/// Samples in one 20 ms frame.
pub const FRAME_SAMPLES: usize = 960;
/// The longest packet an encoder writes.
const MAX_PACKET: usize = 1500;

/// An Opus failure.
#[derive(Debug, thiserror::Error)]
#[error("Opus: {0}")]
pub struct OpusError(#[from] opus::Error);

/// An Opus encoder for speech and general audio (VoIP mode, in-band FEC).
pub struct OpusEncoder {
    inner: opus::Encoder,
    packet: Vec<u8>,
}

impl OpusEncoder {
    /// An encoder at `bitrate` bit/s.
    pub fn new(bitrate: i32) -> Result<Self, OpusError> {
        let mut inner =
            opus::Encoder::new(SAMPLE_RATE, opus::Channels::Mono, opus::Application::Voip)?;
        inner.set_bitrate(opus::Bitrate::Bits(bitrate))?;
        inner.set_inband_fec(true)?;
        Ok(Self {
            inner,
            packet: vec![0; MAX_PACKET],
        })
    }

    /// Encodes one 20 ms frame ([`FRAME_SAMPLES`] samples).
    pub fn encode(&mut self, frame: &[i16]) -> Result<Vec<u8>, OpusError> {
        let n = self.inner.encode(frame, &mut self.packet)?;
        Ok(self.packet[..n].to_vec())
    }

    /// Changes the bitrate (from the bandwidth estimate).
    pub fn set_bitrate(&mut self, bitrate: i32) -> Result<(), OpusError> {
        Ok(self.inner.set_bitrate(opus::Bitrate::Bits(bitrate))?)
    }
}

/// An Opus decoder.
pub struct OpusDecoder {
    inner: opus::Decoder,
    pcm: Vec<i16>,
}

impl OpusDecoder {
    /// A decoder for 48 kHz mono.
    pub fn new() -> Result<Self, OpusError> {
        Ok(Self {
            inner: opus::Decoder::new(SAMPLE_RATE, opus::Channels::Mono)?,
            pcm: vec![0; 6 * FRAME_SAMPLES],
        })
    }

    /// Decodes one packet; `None` conceals a lost one.
    pub fn decode(&mut self, packet: Option<&[u8]>) -> Result<Vec<i16>, OpusError> {
        let n = match packet {
            Some(p) => self.inner.decode(p, &mut self.pcm, false)?,
            // Concealment fills exactly the buffer it is given: one frame.
            None => self
                .inner
                .decode(&[], &mut self.pcm[..FRAME_SAMPLES], false)?,
        };
        Ok(self.pcm[..n].to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{find_clicks, tone_energy, Tone};

    #[test]
    fn the_tone_and_its_clicks_survive_opus() {
        let mut tone = Tone::new(SAMPLE_RATE, 440.0).unwrap();
        let mut enc = OpusEncoder::new(32_000).unwrap();
        let mut dec = OpusDecoder::new().unwrap();
        let mut out = Vec::new();
        let mut frame = vec![0i16; FRAME_SAMPLES];
        for _ in 0..150 {
            tone.fill(&mut frame);
            let packet = enc.encode(&frame).unwrap();
            assert!(
                packet.len() < 200,
                "about 32 kbit/s: {} bytes",
                packet.len()
            );
            out.extend(dec.decode(Some(&packet)).unwrap());
        }
        assert_eq!(out.len(), 150 * FRAME_SAMPLES);
        // Between the clicks, the tone dominates.
        assert!(tone_energy(&out[12_000..40_000], SAMPLE_RATE, 440.0) > 0.8);
        // The clicks arrive one second apart, after the codec's fixed delay.
        let clicks = find_clicks(&out);
        assert!(clicks.len() >= 2, "{clicks:?}");
        let gaps: Vec<usize> = clicks.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|g| g.abs_diff(48_000) < 100), "{clicks:?}");
        assert!(clicks[0] < 1_000, "codec delay is a few ms: {clicks:?}");
    }

    #[test]
    fn a_lost_packet_is_concealed_and_garbage_refused() {
        let mut dec = OpusDecoder::new().unwrap();
        let mut enc = OpusEncoder::new(24_000).unwrap();
        let first = enc.encode(&[0; FRAME_SAMPLES]).unwrap();
        dec.decode(Some(&first)).unwrap();
        assert_eq!(dec.decode(None).unwrap().len(), FRAME_SAMPLES);
        assert!(enc.encode(&[0; 100]).is_err(), "not a valid frame size");
        assert!(dec.decode(Some(&[0xff; 3])).is_err());
    }
}
