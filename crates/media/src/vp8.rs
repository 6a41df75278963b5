//! VP8 through libvpx: the only unsafe code of the engine, kept to this file.
//!
//! Each FFI call's safety rests on the same facts: the codec context is boxed (its address does
//! not move) and initialised before use and destroyed once in `Drop`; image and data pointers
//! point into buffers that outlive the call.
#![allow(unsafe_code)]

use std::mem::MaybeUninit;
use std::os::raw::{c_int, c_uint};
use std::ptr;

use vpx_sys as vpx;

use crate::synthetic::Frame;

/// A libvpx failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("VP8 {what} failed: {code:?}")]
pub struct Vp8Error {
    /// The call that failed.
    pub what: &'static str,
    /// libvpx's code.
    pub code: vpx::vpx_codec_err_t,
}

fn check(what: &'static str, code: vpx::vpx_codec_err_t) -> Result<(), Vp8Error> {
    if code == vpx::vpx_codec_err_t::VPX_CODEC_OK {
        Ok(())
    } else {
        Err(Vp8Error { what, code })
    }
}

/// One encoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedFrame {
    /// The VP8 bitstream of the frame.
    pub data: Vec<u8>,
    /// Whether it is a keyframe (decodable on its own).
    pub keyframe: bool,
}

/// Encoder settings.
#[derive(Debug, Clone, Copy)]
pub struct EncoderConfig {
    /// Picture width (even).
    pub width: u32,
    /// Picture height (even).
    pub height: u32,
    /// Target bitrate in kbit/s.
    pub bitrate_kbps: u32,
    /// Frames a second (the time base).
    pub fps: u32,
    /// libvpx's `cpu-used`, −16…−1. In realtime mode a negative value fixes the encoder's speed
    /// level at its magnitude (12 skips quarter-pixel motion search, 15 and up half-pixel too);
    /// a positive one would let libvpx pick the level from the time frames take, which ties the
    /// picture to how busy the machine is. See [`speed_for`].
    pub speed: i32,
    /// The VP8 bitstream version (RFC 6386 §9.1), 0–3: 0 has the six-tap motion filter and the
    /// normal loop filter; 1 the bilinear filter and the simple loop filter, which cost both
    /// sides much less for a little fidelity. Every VP8 decoder reads all four.
    pub profile: u32,
}

impl EncoderConfig {
    /// Realtime settings for `width`×`height` at `fps`: speed and profile from the size
    /// ([`speed_for`], [`profile_for`]).
    pub fn realtime(width: u32, height: u32, bitrate_kbps: u32, fps: u32) -> Self {
        Self {
            width,
            height,
            bitrate_kbps,
            fps,
            speed: speed_for(width, height),
            profile: profile_for(width, height),
        }
    }
}

/// Pixels from which a picture counts as large (720p).
const LARGE: u64 = 1280 * 720;

/// The `cpu-used` for `width`×`height` pictures: speed level 12 from 720p up, 10 from 640×480
/// up, 6 below (WebRTC's own default), trading search effort for the CPU a large picture costs
/// (`cargo run --release -p instant-share-media --example vp8_speed`, BENCHMARKS.md).
pub fn speed_for(width: u32, height: u32) -> i32 {
    let pixels = u64::from(width) * u64::from(height);
    if pixels >= LARGE {
        -12
    } else if pixels >= 640 * 480 {
        -10
    } else {
        -6
    }
}

/// The VP8 profile for `width`×`height`: 1 from 720p up, where the six-tap filter and the
/// normal loop filter would take about 40 % of encode and decode time (for ≈1 dB of luma PSNR
/// at the same bitrate, BENCHMARKS.md "VP8 speed"); 0 below, where they are cheap enough.
pub fn profile_for(width: u32, height: u32) -> u32 {
    if u64::from(width) * u64::from(height) >= LARGE {
        1
    } else {
        0
    }
}

/// A realtime VP8 encoder (no lag, constant bitrate, error resilient).
pub struct Vp8Encoder {
    ctx: Box<vpx::vpx_codec_ctx_t>,
    /// The libvpx configuration in force (changed by [`Vp8Encoder::set_bitrate_kbps`]).
    cfg: vpx::vpx_codec_enc_cfg_t,
    config: EncoderConfig,
    pts: i64,
}

// The context is only reached through `&mut self`.
unsafe impl Send for Vp8Encoder {}

impl Vp8Encoder {
    /// An encoder for `config`.
    pub fn new(config: EncoderConfig) -> Result<Self, Vp8Error> {
        let invalid = Vp8Error {
            what: "configuration",
            code: vpx::vpx_codec_err_t::VPX_CODEC_INVALID_PARAM,
        };
        if config.width == 0
            || config.height == 0
            || config.width % 2 == 1
            || config.height % 2 == 1
            || config.fps == 0
            || !(-16..=-1).contains(&config.speed)
            || config.profile > 3
        {
            return Err(invalid);
        }
        // SAFETY: libvpx fills the whole config; zeroed memory is never read as a Rust enum
        // before that (mem::zeroed on this struct would be UB: some enums have no 0 variant).
        let mut cfg = MaybeUninit::<vpx::vpx_codec_enc_cfg_t>::uninit();
        check("default config", unsafe {
            vpx::vpx_codec_enc_config_default(vpx::vpx_codec_vp8_cx(), cfg.as_mut_ptr(), 0)
        })?;
        // SAFETY: initialised by the successful call above.
        let mut cfg = unsafe { cfg.assume_init() };
        cfg.g_w = config.width;
        cfg.g_h = config.height;
        cfg.g_timebase = vpx::vpx_rational {
            num: 1,
            den: config.fps as c_int,
        };
        cfg.rc_target_bitrate = config.bitrate_kbps;
        cfg.rc_end_usage = vpx::vpx_rc_mode::VPX_CBR;
        cfg.g_lag_in_frames = 0;
        cfg.g_threads = 1;
        cfg.g_error_resilient = vpx::VPX_ERROR_RESILIENT_DEFAULT;
        cfg.kf_max_dist = 10 * config.fps;
        cfg.g_profile = config.profile;
        // SAFETY: a context is plain data until initialised; the box keeps its address stable.
        let mut ctx: Box<vpx::vpx_codec_ctx_t> =
            Box::new(unsafe { MaybeUninit::zeroed().assume_init() });
        check("encoder init", unsafe {
            vpx::vpx_codec_enc_init_ver(
                &mut *ctx,
                vpx::vpx_codec_vp8_cx(),
                &cfg,
                0,
                vpx::VPX_ENCODER_ABI_VERSION as c_int,
            )
        })?;
        let mut encoder = Self {
            ctx,
            cfg,
            config,
            pts: 0,
        };
        check("cpu-used", unsafe {
            vpx::vpx_codec_control_(
                &mut *encoder.ctx,
                vpx::vp8e_enc_control_id::VP8E_SET_CPUUSED as c_int,
                config.speed as c_int,
            )
        })?;
        // Macroblocks that did not change at all are skipped rather than searched (as WebRTC's
        // own VP8 encoder does): the still background of a camera picture costs nothing.
        check("static threshold", unsafe {
            vpx::vpx_codec_control_(
                &mut *encoder.ctx,
                vpx::vp8e_enc_control_id::VP8E_SET_STATIC_THRESHOLD as c_int,
                1 as c_int,
            )
        })?;
        Ok(encoder)
    }

    /// Changes the target bitrate (from the bandwidth estimate); takes effect from the next frame.
    pub fn set_bitrate_kbps(&mut self, kbps: u32) -> Result<(), Vp8Error> {
        let kbps = kbps.max(1);
        if kbps == self.cfg.rc_target_bitrate {
            return Ok(());
        }
        self.cfg.rc_target_bitrate = kbps;
        self.config.bitrate_kbps = kbps;
        // SAFETY: the context is initialised; the config lives in `self` for the call.
        check("bitrate", unsafe {
            vpx::vpx_codec_enc_config_set(&mut *self.ctx, &self.cfg)
        })
    }

    /// The target bitrate in force, in kbit/s.
    pub fn bitrate_kbps(&self) -> u32 {
        self.config.bitrate_kbps
    }

    /// The picture size this encoder takes.
    pub fn size(&self) -> (u32, u32) {
        (self.config.width, self.config.height)
    }

    /// Encodes one picture of the configured size; `keyframe` forces a keyframe (after a PLI).
    pub fn encode(&mut self, frame: &Frame, keyframe: bool) -> Result<Vec<EncodedFrame>, Vp8Error> {
        let (w, h) = (self.config.width as usize, self.config.height as usize);
        if frame.width != w
            || frame.height != h
            || frame.y.len() != w * h
            || frame.u.len() != w * h / 4
            || frame.v.len() != w * h / 4
        {
            return Err(Vp8Error {
                what: "encode (picture size)",
                code: vpx::vpx_codec_err_t::VPX_CODEC_INVALID_PARAM,
            });
        }
        let mut image = MaybeUninit::<vpx::vpx_image_t>::zeroed();
        // SAFETY: describes the frame's three planes (alive and unchanged for this call) without
        // copying them: `vpx_img_wrap` fills the descriptor for a contiguous buffer starting at
        // the Y plane, then the U and V pointers are set to the frame's own planes. libvpx
        // only reads a source image; the `*mut` is its C signature.
        let wrapped = unsafe {
            let img = vpx::vpx_img_wrap(
                image.as_mut_ptr(),
                vpx::vpx_img_fmt::VPX_IMG_FMT_I420,
                w as c_uint,
                h as c_uint,
                1,
                frame.y.as_ptr() as *mut u8,
            );
            if !img.is_null() {
                (*img).planes[vpx::VPX_PLANE_U as usize] = frame.u.as_ptr() as *mut u8;
                (*img).planes[vpx::VPX_PLANE_V as usize] = frame.v.as_ptr() as *mut u8;
                (*img).stride[vpx::VPX_PLANE_U as usize] = (w / 2) as c_int;
                (*img).stride[vpx::VPX_PLANE_V as usize] = (w / 2) as c_int;
            }
            img
        };
        if wrapped.is_null() {
            return Err(Vp8Error {
                what: "image wrap",
                code: vpx::vpx_codec_err_t::VPX_CODEC_ERROR,
            });
        }
        let flags = if keyframe {
            vpx::VPX_EFLAG_FORCE_KF as vpx::vpx_enc_frame_flags_t
        } else {
            0
        };
        // SAFETY: context initialised; `wrapped` points at `image`, which points into `buffer`.
        check("encode", unsafe {
            vpx::vpx_codec_encode(
                &mut *self.ctx,
                wrapped,
                self.pts,
                1,
                flags,
                vpx::VPX_DL_REALTIME as _,
            )
        })?;
        self.pts += 1;
        let mut out = Vec::new();
        let mut iter: vpx::vpx_codec_iter_t = ptr::null();
        loop {
            // SAFETY: the packet stays valid until the next call on this context.
            let pkt = unsafe { vpx::vpx_codec_get_cx_data(&mut *self.ctx, &mut iter) };
            if pkt.is_null() {
                break;
            }
            // SAFETY: non-null packet from libvpx; `frame` is the union member for frame packets.
            unsafe {
                if (*pkt).kind == vpx::vpx_codec_cx_pkt_kind::VPX_CODEC_CX_FRAME_PKT {
                    let f = (*pkt).data.frame;
                    let data =
                        std::slice::from_raw_parts(f.buf as *const u8, f.sz as usize).to_vec();
                    out.push(EncodedFrame {
                        data,
                        keyframe: f.flags & vpx::VPX_FRAME_IS_KEY != 0,
                    });
                }
            }
        }
        Ok(out)
    }
}

impl Drop for Vp8Encoder {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`, destroyed only here.
        unsafe { vpx::vpx_codec_destroy(&mut *self.ctx) };
    }
}

/// A VP8 decoder.
pub struct Vp8Decoder {
    ctx: Box<vpx::vpx_codec_ctx_t>,
}

// The context is only reached through `&mut self`.
unsafe impl Send for Vp8Decoder {}

impl Vp8Decoder {
    /// A decoder (one thread).
    pub fn new() -> Result<Self, Vp8Error> {
        let cfg = vpx::vpx_codec_dec_cfg_t {
            threads: 1,
            w: 0,
            h: 0,
        };
        // SAFETY: as for the encoder.
        let mut ctx: Box<vpx::vpx_codec_ctx_t> =
            Box::new(unsafe { MaybeUninit::zeroed().assume_init() });
        check("decoder init", unsafe {
            vpx::vpx_codec_dec_init_ver(
                &mut *ctx,
                vpx::vpx_codec_vp8_dx(),
                &cfg,
                0,
                vpx::VPX_DECODER_ABI_VERSION as c_int,
            )
        })?;
        Ok(Self { ctx })
    }

    /// Decodes one frame's bitstream; returns the pictures it yields (zero or one for VP8).
    /// A corrupt frame is an error, and the decoder stays usable for the next keyframe.
    pub fn decode(&mut self, data: &[u8]) -> Result<Vec<Frame>, Vp8Error> {
        // SAFETY: `data` outlives the call; the context is initialised.
        check("decode", unsafe {
            vpx::vpx_codec_decode(
                &mut *self.ctx,
                data.as_ptr(),
                data.len() as c_uint,
                ptr::null_mut(),
                0,
            )
        })?;
        let mut out = Vec::new();
        let mut iter: vpx::vpx_codec_iter_t = ptr::null();
        loop {
            // SAFETY: the image stays valid until the next decode on this context.
            let img = unsafe { vpx::vpx_codec_get_frame(&mut *self.ctx, &mut iter) };
            if img.is_null() {
                break;
            }
            // SAFETY: a non-null I420 image from libvpx with the given strides and sizes.
            out.push(unsafe { copy_i420(&*img) });
        }
        Ok(out)
    }
}

/// Copies a libvpx I420 image (with row strides) into a tightly packed [`Frame`].
///
/// # Safety
/// `img` must be a valid I420 image whose planes hold `d_h` (luma) and `d_h/2` (chroma) rows.
unsafe fn copy_i420(img: &vpx::vpx_image_t) -> Frame {
    let (w, h) = (img.d_w as usize, img.d_h as usize);
    let plane = |i: usize, pw: usize, ph: usize| {
        let stride = img.stride[i] as usize;
        let mut out = Vec::with_capacity(pw * ph);
        for row in 0..ph {
            // SAFETY: guaranteed by the caller: every row lies inside plane `i`.
            let line = unsafe { std::slice::from_raw_parts(img.planes[i].add(row * stride), pw) };
            out.extend_from_slice(line);
        }
        out
    };
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    Frame {
        width: w,
        height: h,
        y: plane(0, w, h),
        u: plane(1, cw, ch),
        v: plane(2, cw, ch),
    }
}

impl Drop for Vp8Decoder {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`, destroyed only here.
        unsafe { vpx::vpx_codec_destroy(&mut *self.ctx) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{read_stamp, TestPattern};

    fn config() -> EncoderConfig {
        EncoderConfig::realtime(640, 480, 800, 30)
    }

    #[test]
    fn the_stamp_survives_a_vp8_round_trip() {
        let mut pattern = TestPattern::new(640, 480).unwrap();
        let mut enc = Vp8Encoder::new(config()).unwrap();
        let mut dec = Vp8Decoder::new().unwrap();
        let mut read = Vec::new();
        for i in 0..60 {
            let frame = pattern.next_frame();
            for packet in enc.encode(&frame, false).unwrap() {
                assert_eq!(
                    packet.keyframe,
                    i == 0,
                    "only the first frame is a keyframe"
                );
                for picture in dec.decode(&packet.data).unwrap() {
                    assert_eq!((picture.width, picture.height), (640, 480));
                    read.push(read_stamp(&picture.y, picture.width, picture.height));
                }
            }
        }
        let expected: Vec<Option<u16>> = (0..60).map(Some).collect();
        assert_eq!(read, expected, "every decoded picture carries its number");
    }

    #[test]
    fn large_pictures_use_the_cheaper_profile_and_stay_readable() {
        let config = EncoderConfig::realtime(1280, 720, 1500, 30);
        assert_eq!((config.speed, config.profile), (-12, 1));
        assert_eq!(EncoderConfig::realtime(640, 480, 800, 30).profile, 0);
        let mut pattern = TestPattern::new(1280, 720).unwrap();
        let mut enc = Vp8Encoder::new(config).unwrap();
        let mut dec = Vp8Decoder::new().unwrap();
        let mut read = Vec::new();
        for _ in 0..10 {
            for packet in enc.encode(&pattern.next_frame(), false).unwrap() {
                // The bitstream says which version it is: bits 1–3 of the frame tag.
                assert_eq!((packet.data[0] >> 1) & 0b111, 1, "VP8 version 1");
                for picture in dec.decode(&packet.data).unwrap() {
                    read.push(read_stamp(&picture.y, picture.width, picture.height));
                }
            }
        }
        assert_eq!(read, (0..10).map(Some).collect::<Vec<_>>());
    }

    #[test]
    fn a_forced_keyframe_is_a_keyframe() {
        let mut pattern = TestPattern::new(640, 480).unwrap();
        let mut enc = Vp8Encoder::new(config()).unwrap();
        enc.encode(&pattern.next_frame(), false).unwrap();
        let p = enc.encode(&pattern.next_frame(), true).unwrap();
        assert!(p.iter().all(|f| f.keyframe) && !p.is_empty());
    }

    #[test]
    fn bad_input_is_an_error_not_a_crash() {
        assert!(Vp8Encoder::new(EncoderConfig {
            width: 641,
            ..config()
        })
        .is_err());
        let mut enc = Vp8Encoder::new(config()).unwrap();
        let small = TestPattern::new(320, 240).unwrap().next_frame();
        assert!(enc.encode(&small, false).is_err());
        let mut dec = Vp8Decoder::new().unwrap();
        assert!(dec.decode(&[0x9d, 0x01, 0x2a, 0xff, 0x00, 0x13]).is_err());
        // Still usable afterwards.
        let mut pattern = TestPattern::new(640, 480).unwrap();
        let packets = enc.encode(&pattern.next_frame(), true).unwrap();
        assert_eq!(dec.decode(&packets[0].data).unwrap().len(), 1);
    }
}
