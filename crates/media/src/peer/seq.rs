//! RTP sequence numbers extended to 64 bits, so that order survives their wrap at 65,536: one
//! rule for the assembler and the NACK list.

/// RTP sequence numbers extended to 64 bits, so that order survives their wrap at 65,536.
#[derive(Default)]
pub(crate) struct SeqUnwrapper {
    last: Option<u64>,
}

impl SeqUnwrapper {
    /// Extends a 16-bit sequence number to 64 bits, nearest to the highest one seen.
    pub fn extend(&mut self, seq: u16) -> u64 {
        let ext = match self.last {
            None => (1u64 << 32) + u64::from(seq),
            Some(last) => {
                let base = last & !0xffff;
                let candidates = [base.wrapping_sub(0x1_0000), base, base + 0x1_0000];
                candidates
                    .into_iter()
                    .map(|b| b + u64::from(seq))
                    .min_by_key(|c| c.abs_diff(last))
                    .unwrap_or(base + u64::from(seq))
            }
        };
        if self.last.is_none_or(|l| ext > l) {
            self.last = Some(ext);
        }
        ext
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_survives_the_wrap_and_late_packets_stay_behind() {
        let mut s = SeqUnwrapper::default();
        let a = s.extend(65_534);
        let b = s.extend(65_535);
        let c = s.extend(0);
        let d = s.extend(1);
        assert!(a < b && b < c && c < d);
        // A late packet from before the wrap is still before it.
        assert_eq!(s.extend(65_535), b);
        assert_eq!(d - a, 3);
    }
}
