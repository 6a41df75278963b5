//! The whole screen, X11 only for now: a `GetImage` of the root window each tick (at most 15 a
//! second), scaled down to the wanted width and converted to I420.
//!
//! Not done: MIT-SHM (it needs shared memory mapped by unsafe code, which this crate denies;
//! `GetImage` over the local socket costs ~4 MB a frame at 1280x800, fine at 15 fps), and the
//! Wayland, Windows and macOS capture APIs, for which [`start`] says what is missing.

#[cfg(target_os = "linux")]
pub(super) use x11::{describe, screenshot, start};

#[cfg(not(target_os = "linux"))]
pub(super) use other::{describe, screenshot, start};

#[cfg(not(target_os = "linux"))]
mod other {
    use super::super::paced::Worker;
    use super::super::{CaptureError, CapturedFrame};

    fn missing() -> String {
        let os = match std::env::consts::OS {
            "windows" => "Windows",
            "macos" => "macOS",
            other => other,
        };
        format!(
            "Screen sharing on {os} is not available yet: only Linux with X11 is supported. \
             Share a camera or a video file instead."
        )
    }

    /// The screen that can be shared, or why there is none.
    pub(in crate::capture) fn describe() -> Result<String, String> {
        Err(missing())
    }

    /// One picture of the screen.
    pub(in crate::capture) fn screenshot() -> Result<super::super::Screenshot, CaptureError> {
        Err(CaptureError::Unsupported(missing()))
    }

    /// Starts capturing the screen.
    pub(in crate::capture) fn start(
        _fps: u32,
        _max_width: usize,
        _on_frame: impl FnMut(CapturedFrame) + Send + 'static,
    ) -> Result<(Worker, String), CaptureError> {
        Err(CaptureError::Unsupported(missing()))
    }
}

#[cfg(target_os = "linux")]
mod x11 {
    use std::ffi::OsString;
    use std::time::{Duration, Instant};

    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ConnectionExt, ImageFormat, ImageOrder, Window};
    use x11rb::rust_connection::RustConnection;

    use super::super::convert::bgrx_to_i420_scaled;
    use super::super::paced::{fail, unix_micros, Pacer, Worker};
    use super::super::{CaptureError, CapturedFrame, Frame, Screenshot};

    /// The screen is never captured faster than this.
    const MAX_FPS: u32 = 15;

    /// How the server lays out a 32-bit pixel.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Layout {
        /// Bytes of a pixel are most significant first.
        msb_first: bool,
        /// Where red, green and blue sit in the pixel value (shift of each 8-bit mask).
        shifts: [u32; 3],
    }

    impl Layout {
        /// The common case that converts without a copy: B, G, R, X in memory.
        const BGRX: Self = Self {
            msb_first: false,
            shifts: [16, 8, 0],
        };
    }

    /// A connection to an X server and what is needed to read its root window.
    pub(super) struct X11Screen {
        display: String,
        conn: RustConnection,
        root: Window,
        width: u16,
        height: u16,
        layout: Layout,
    }

    fn failed(display: &str, reason: impl std::fmt::Display) -> CaptureError {
        CaptureError::DeviceFailed {
            device: format!("X11 display {display}"),
            reason: reason.to_string(),
        }
    }

    /// The display to use, from `DISPLAY` and `WAYLAND_DISPLAY` as given.
    pub(super) fn choose_display(
        display: Option<OsString>,
        wayland: Option<OsString>,
    ) -> Result<String, CaptureError> {
        match display.filter(|d| !d.is_empty()) {
            Some(d) => Ok(d.to_string_lossy().into_owned()),
            None if wayland.is_some_and(|w| !w.is_empty()) => Err(CaptureError::Unsupported(
                "Screen sharing on Wayland is not available yet: only X11 is supported. Log in \
                 to an X11 session (or run the app under XWayland with DISPLAY set) to share \
                 your screen."
                    .into(),
            )),
            None => Err(CaptureError::NoDisplay),
        }
    }

    impl X11Screen {
        /// Connects to `display` and checks that its pixels are a format we read.
        pub(super) fn open(display: &str) -> Result<Self, CaptureError> {
            let (conn, screen_num) =
                x11rb::connect(Some(display)).map_err(|e| failed(display, e))?;
            let setup = conn.setup();
            let screen = setup
                .roots
                .get(screen_num)
                .ok_or_else(|| failed(display, "it has no such screen"))?;
            let bits = setup
                .pixmap_formats
                .iter()
                .find(|f| f.depth == screen.root_depth)
                .map(|f| f.bits_per_pixel);
            let visual = screen
                .allowed_depths
                .iter()
                .flat_map(|d| &d.visuals)
                .find(|v| v.visual_id == screen.root_visual);
            let unsupported = || {
                CaptureError::Unsupported(format!(
                    "The X11 display {display} uses {}-bit colour at {} bits a pixel, which \
                     screen sharing cannot read yet. Use a 24-bit (true colour) display.",
                    screen.root_depth,
                    bits.unwrap_or(0)
                ))
            };
            let (Some(32), Some(visual)) = (bits, visual) else {
                return Err(unsupported());
            };
            let shift = |mask: u32| (mask.count_ones() == 8).then(|| mask.trailing_zeros());
            let (Some(r), Some(g), Some(b)) = (
                shift(visual.red_mask),
                shift(visual.green_mask),
                shift(visual.blue_mask),
            ) else {
                return Err(unsupported());
            };
            let layout = Layout {
                msb_first: setup.image_byte_order == ImageOrder::MSB_FIRST,
                shifts: [r, g, b],
            };
            let (root, width, height) =
                (screen.root, screen.width_in_pixels, screen.height_in_pixels);
            Ok(Self {
                display: display.into(),
                conn,
                root,
                width,
                height,
                layout,
            })
        }

        /// E.g. `X11 :99 1280x800`.
        pub(super) fn describe(&self) -> String {
            format!("X11 {} {}x{}", self.display, self.width, self.height)
        }

        /// Reads the root window's size again (the screen was resized).
        fn refresh_size(&mut self) -> Result<(), CaptureError> {
            let geometry = self
                .conn
                .get_geometry(self.root)
                .map_err(|e| failed(&self.display, e))?
                .reply()
                .map_err(|e| failed(&self.display, e))?;
            (self.width, self.height) = (geometry.width, geometry.height);
            Ok(())
        }

        /// The whole screen as B, G, R, X bytes, row by row (`GetImage` of the root window).
        fn bgrx(&self) -> Result<Vec<u8>, CaptureError> {
            let (w, h) = (usize::from(self.width), usize::from(self.height));
            let image = self
                .conn
                .get_image(
                    ImageFormat::Z_PIXMAP,
                    self.root,
                    0,
                    0,
                    self.width,
                    self.height,
                    !0,
                )
                .map_err(|e| failed(&self.display, e))?
                .reply()
                .map_err(|e| failed(&self.display, e))?;
            if image.data.len() < w * h * 4 {
                return Err(failed(&self.display, "it sent a picture cut short"));
            }
            Ok(if self.layout == Layout::BGRX {
                image.data
            } else {
                to_bgrx(&image.data, self.layout)
            })
        }

        /// One picture of the whole screen, at most `max_width` wide.
        pub(super) fn grab(&self, max_width: usize) -> Result<Frame, CaptureError> {
            let (w, h) = (usize::from(self.width), usize::from(self.height));
            bgrx_to_i420_scaled(&self.bgrx()?, w, h, w * 4, max_width)
                .ok_or_else(|| failed(&self.display, "it sent a picture cut short"))
        }

        /// One picture of the whole screen at full size, 8-bit RGB (a screenshot to share).
        fn grab_rgb(&self) -> Result<Screenshot, CaptureError> {
            let (w, h) = (usize::from(self.width), usize::from(self.height));
            let rgb = self
                .bgrx()?
                .chunks_exact(4)
                .take(w * h)
                .flat_map(|px| [px[2], px[1], px[0]])
                .collect();
            Ok(Screenshot {
                width: w,
                height: h,
                rgb,
            })
        }
    }

    /// One picture of the screen of `DISPLAY`.
    pub(in crate::capture) fn screenshot() -> Result<Screenshot, CaptureError> {
        let display = choose_display(
            std::env::var_os("DISPLAY"),
            std::env::var_os("WAYLAND_DISPLAY"),
        )?;
        X11Screen::open(&display)?.grab_rgb()
    }

    /// Rearranges 32-bit pixels of any channel order and byte order into B, G, R, X bytes.
    fn to_bgrx(data: &[u8], layout: Layout) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len());
        for px in data.chunks_exact(4) {
            let bytes = [px[0], px[1], px[2], px[3]];
            let value = if layout.msb_first {
                u32::from_be_bytes(bytes)
            } else {
                u32::from_le_bytes(bytes)
            };
            let [r, g, b] = layout.shifts.map(|s| (value >> s) as u8);
            out.extend([b, g, r, 0]);
        }
        out
    }

    /// The screen that can be shared, or a sentence saying why there is none.
    pub(in crate::capture) fn describe() -> Result<String, String> {
        let display = choose_display(
            std::env::var_os("DISPLAY"),
            std::env::var_os("WAYLAND_DISPLAY"),
        )
        .map_err(|e| e.to_string())?;
        X11Screen::open(&display)
            .map(|s| s.describe())
            .map_err(|e| e.to_string())
    }

    /// Starts capturing the screen of `DISPLAY`.
    pub(in crate::capture) fn start(
        fps: u32,
        max_width: usize,
        on_frame: impl FnMut(CapturedFrame) + Send + 'static,
    ) -> Result<(Worker, String), CaptureError> {
        let display = choose_display(
            std::env::var_os("DISPLAY"),
            std::env::var_os("WAYLAND_DISPLAY"),
        )?;
        start_on(X11Screen::open(&display)?, fps, max_width, on_frame)
    }

    /// Starts capturing `screen`.
    pub(super) fn start_on(
        mut screen: X11Screen,
        fps: u32,
        max_width: usize,
        mut on_frame: impl FnMut(CapturedFrame) + Send + 'static,
    ) -> Result<(Worker, String), CaptureError> {
        if fps == 0 {
            return Err(CaptureError::InvalidConfig(
                "A screen share of 0 frames a second is not possible. Choose 1 to 15.".into(),
            ));
        }
        let fps = fps.min(MAX_FPS);
        // Fail now, not on the thread, if the first picture cannot be read.
        let first = screen.grab(max_width)?;
        let description = format!(
            "screen {} as {}x{} at {fps} fps",
            screen.describe(),
            first.width,
            first.height
        );
        let worker = Worker::spawn("capture-screen", move |stop, failure| {
            let mut pacer = Pacer::new(Instant::now(), fps);
            let allowance = Duration::from_millis(500) / fps;
            while pacer.wait(&stop, allowance).is_some() {
                let at = Instant::now();
                let frame = match screen.grab(max_width) {
                    Ok(frame) => frame,
                    // Resized (RandR) since the last picture: read the size, try once more.
                    Err(_) => match screen.refresh_size().and_then(|()| screen.grab(max_width)) {
                        Ok(frame) => frame,
                        Err(e) => return fail(&failure, e),
                    },
                };
                on_frame(CapturedFrame {
                    frame,
                    captured_at: at,
                    captured_unix_micros: unix_micros(at),
                });
            }
        })?;
        Ok((worker, description))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn no_display_and_wayland_only_are_told_apart() {
            assert!(matches!(
                choose_display(None, None),
                Err(CaptureError::NoDisplay)
            ));
            assert!(matches!(
                choose_display(Some("".into()), None),
                Err(CaptureError::NoDisplay)
            ));
            let Err(CaptureError::Unsupported(text)) =
                choose_display(None, Some("wayland-0".into()))
            else {
                panic!("Wayland without DISPLAY must be unsupported");
            };
            assert!(text.contains("Wayland"));
            assert_eq!(
                choose_display(Some(":99".into()), Some("wayland-0".into())).unwrap(),
                ":99"
            );
        }

        #[test]
        fn other_pixel_layouts_are_rearranged() {
            // R, G, B, X as a big-endian value 0xRRGGBBXX.
            let rgbx_be = Layout {
                msb_first: true,
                shifts: [24, 16, 8],
            };
            assert_eq!(to_bgrx(&[10, 20, 30, 0], rgbx_be), vec![30, 20, 10, 0]);
            assert_eq!(
                to_bgrx(&[30, 20, 10, 99], Layout::BGRX),
                vec![30, 20, 10, 0]
            );
        }

        #[test]
        fn an_unreachable_display_is_a_device_failure() {
            // A display number nobody serves: the socket does not exist.
            let Err(e) = X11Screen::open(":4321") else {
                panic!("nothing serves :4321");
            };
            assert!(matches!(e, CaptureError::DeviceFailed { .. }), "{e}");
        }
    }
}
