//! The picture a paused video track sends instead of what it captures: a dark card with a
//! pause sign. The app pauses its shared screen while a private picture is on it (the black-out
//! step shows a screenshot before parts are blacked out), so that nobody sees it.
//!
//! The swap happens where captured frames enter the pipeline: once [`Curtain::close`] has
//! returned, no frame captured afterwards leaves the computer, the self-view included.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::synthetic::Frame;

/// Luma of the card's background: a dark slate.
pub const CARD_LUMA: u8 = 36;
/// Luma of the pause sign's two bars.
pub const SIGN_LUMA: u8 = 210;

/// Whether a track sends the card instead of its pictures.
#[derive(Debug, Default)]
pub struct Curtain {
    closed: AtomicBool,
}

impl Curtain {
    /// From now on, every frame captured is replaced by the card.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    /// Captured frames go out again.
    pub fn open(&self) {
        self.closed.store(false, Ordering::SeqCst);
    }

    /// Whether the card is sent.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

/// Swaps captured frames for the card while the curtain is closed, drawing the card once per
/// size (the encoder keeps its size, so the call does not restart).
#[derive(Debug, Default)]
pub(crate) struct CurtainGate {
    card: Option<Frame>,
    /// Whether the last frame was the card.
    closed: bool,
}

impl CurtainGate {
    /// `frame`, or the card of its size when `curtain` is closed; and whether this is the first
    /// frame since the curtain opened or closed (to be sent as a keyframe: nothing of the frames
    /// before may show through in the ones after).
    pub fn pass(&mut self, curtain: &Curtain, frame: Frame) -> (Frame, bool) {
        let closed = curtain.is_closed();
        let switched = closed != self.closed;
        self.closed = closed;
        if !closed {
            return (frame, switched);
        }
        let fits = self
            .card
            .as_ref()
            .is_some_and(|c| c.width == frame.width && c.height == frame.height);
        if !fits {
            self.card = Some(card(frame.width, frame.height));
        }
        (self.card.clone().unwrap_or(frame), switched)
    }
}

/// The card: the background with two upright bars in the middle, a third of the height tall.
pub fn card(width: usize, height: usize) -> Frame {
    let mut y = vec![CARD_LUMA; width * height];
    let bar_h = (height / 3).max(2);
    let bar_w = (height / 12).max(2);
    let gap = bar_w;
    let top = (height - bar_h) / 2;
    let left = (width.saturating_sub(2 * bar_w + gap)) / 2;
    for row in top..top + bar_h {
        for x in [left, left + bar_w + gap]
            .into_iter()
            .filter(|x| *x < width)
        {
            let line = row * width;
            y[line + x..line + (x + bar_w).min(width)].fill(SIGN_LUMA);
        }
    }
    let chroma = width.div_ceil(2) * height.div_ceil(2);
    Frame {
        width,
        height,
        y,
        u: vec![128; chroma],
        v: vec![128; chroma],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(w: usize, h: usize) -> Frame {
        Frame {
            width: w,
            height: h,
            y: (0..w * h).map(|i| (i % 251) as u8).collect(),
            u: vec![90; w / 2 * h / 2],
            v: vec![160; w / 2 * h / 2],
        }
    }

    #[test]
    fn a_closed_curtain_sends_the_card_of_the_same_size() {
        let curtain = Curtain::default();
        let mut gate = CurtainGate::default();
        let (shown, switched) = gate.pass(&curtain, picture(64, 48));
        assert_eq!(shown.y, picture(64, 48).y, "open: the picture goes out");
        assert!(!switched);
        curtain.close();
        let (card, switched) = gate.pass(&curtain, picture(64, 48));
        assert!(switched, "the first card is a keyframe");
        assert_eq!((card.width, card.height), (64, 48));
        let dark = card.y.iter().filter(|&&l| l == CARD_LUMA).count();
        let sign = card.y.iter().filter(|&&l| l == SIGN_LUMA).count();
        assert_eq!(dark + sign, 64 * 48, "nothing of the picture is left");
        assert!(sign > 0 && dark > sign);
        assert!(card.u.iter().chain(&card.v).all(|&c| c == 128), "grey");
        // Another size: another card.
        let (other, switched) = gate.pass(&curtain, picture(32, 20));
        assert_eq!((other.width, other.height, other.y.len()), (32, 20, 640));
        assert!(!switched);
        curtain.open();
        let (back, switched) = gate.pass(&curtain, picture(32, 20));
        assert_eq!(back.y, picture(32, 20).y);
        assert!(switched, "the first picture after the pause is a keyframe");
    }

    #[test]
    fn tiny_and_odd_sizes_make_a_card_too() {
        for (w, h) in [(2, 2), (6, 4), (1280, 720), (1366, 768)] {
            let c = card(w, h);
            assert_eq!(c.y.len(), w * h);
            assert_eq!(c.u.len(), w.div_ceil(2) * h.div_ceil(2));
        }
    }
}
