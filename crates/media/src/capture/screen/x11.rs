//! X11: a `GetImage` of the root window (or of one window's part of it) each tick.

use std::ffi::OsString;
use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ConnectionExt, ImageFormat, ImageOrder, MapState, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;

use super::super::convert::bgrx_to_i420_scaled;
use super::super::paced::{fail, unix_micros, Pacer, Worker};
use super::super::{CaptureError, CapturedFrame, Frame, ScreenWindow, Screenshot};

/// A window smaller than this either way is not offered for a screenshot (helper windows).
const MIN_WINDOW: u16 = 32;

/// A part of the screen: left, top, width, height.
type Rect = (u16, u16, u16, u16);

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

/// The display to use, from `DISPLAY` as given. (A Wayland session never comes here: see
/// `mod.rs`; XWayland's `DISPLAY` there would show X clients only.)
pub(super) fn choose_display(display: Option<OsString>) -> Result<String, CaptureError> {
    match display.filter(|d| !d.is_empty()) {
        Some(d) => Ok(d.to_string_lossy().into_owned()),
        None => Err(CaptureError::NoDisplay),
    }
}

impl X11Screen {
    /// Connects to `display` and checks that its pixels are a format we read.
    pub(super) fn open(display: &str) -> Result<Self, CaptureError> {
        let (conn, screen_num) = x11rb::connect(Some(display)).map_err(|e| failed(display, e))?;
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
        let (root, width, height) = (screen.root, screen.width_in_pixels, screen.height_in_pixels);
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
        self.bgrx_of((0, 0, self.width, self.height))
    }

    /// A part of the screen as B, G, R, X bytes, row by row.
    fn bgrx_of(&self, (x, y, width, height): Rect) -> Result<Vec<u8>, CaptureError> {
        let (w, h) = (usize::from(width), usize::from(height));
        let image = self
            .conn
            .get_image(
                ImageFormat::Z_PIXMAP,
                self.root,
                x as i16,
                y as i16,
                width,
                height,
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

    /// The windows with a title that show on the screen, topmost first: the window
    /// manager's client list where there is one (EWMH), else the root's mapped children.
    fn windows(&self) -> Result<Vec<ScreenWindow>, CaptureError> {
        let candidates = match self.client_list()? {
            Some(clients) => clients,
            None => {
                self.conn
                    .query_tree(self.root)
                    .map_err(|e| failed(&self.display, e))?
                    .reply()
                    .map_err(|e| failed(&self.display, e))?
                    .children
            }
        };
        // `_NET_WM_NAME` in UTF-8, asked for once for the whole list.
        let utf8_name = self.atom(b"_NET_WM_NAME").zip(self.atom(b"UTF8_STRING"));
        let mut windows = Vec::new();
        // Stacking order is bottom to top.
        for window in candidates.into_iter().rev() {
            let Some(title) = self.title(window, utf8_name) else {
                continue;
            };
            let Some((x, y, width, height)) = self.rect_of(window) else {
                continue;
            };
            if width >= MIN_WINDOW && height >= MIN_WINDOW {
                windows.push(ScreenWindow {
                    id: window,
                    title,
                    x: x.into(),
                    y: y.into(),
                    width: width.into(),
                    height: height.into(),
                });
            }
        }
        Ok(windows)
    }

    /// `_NET_CLIENT_LIST_STACKING` of the root, if a window manager keeps one.
    fn client_list(&self) -> Result<Option<Vec<Window>>, CaptureError> {
        let Some(atom) = self.atom(b"_NET_CLIENT_LIST_STACKING") else {
            return Ok(None);
        };
        let reply = self
            .conn
            .get_property(false, self.root, atom, AtomEnum::WINDOW, 0, 4096)
            .map_err(|e| failed(&self.display, e))?
            .reply()
            .map_err(|e| failed(&self.display, e))?;
        let clients: Vec<Window> = reply.value32().into_iter().flatten().collect();
        Ok((!clients.is_empty()).then_some(clients))
    }

    /// An atom that exists already (`None`: nobody has used the name, so no window has it).
    fn atom(&self, name: &[u8]) -> Option<u32> {
        let atom = self.conn.intern_atom(true, name).ok()?.reply().ok()?.atom;
        (atom != u32::from(AtomEnum::NONE)).then_some(atom)
    }

    /// A window's title: `_NET_WM_NAME` (UTF-8), else `WM_NAME`; `None` without one.
    fn title(&self, window: Window, utf8_name: Option<(u32, u32)>) -> Option<String> {
        let read = |property: u32, kind: u32| -> Option<String> {
            let reply = self
                .conn
                .get_property(false, window, property, kind, 0, 1024)
                .ok()?
                .reply()
                .ok()?;
            let text = String::from_utf8_lossy(&reply.value).trim().to_owned();
            (!text.is_empty()).then_some(text)
        };
        if let Some(title) = utf8_name.and_then(|(net, utf8)| read(net, utf8)) {
            return Some(title);
        }
        // `STRING` (Latin-1) or `COMPOUND_TEXT`; either reads well enough as text for a
        // list of windows (plain ASCII titles are the same in both).
        read(AtomEnum::WM_NAME.into(), AtomEnum::ANY.into())
    }

    /// The part of the screen a mapped window covers, clipped to the screen; `None` when
    /// it is gone, unmapped, input-only or entirely off the screen.
    fn rect_of(&self, window: Window) -> Option<Rect> {
        let attributes = self.conn.get_window_attributes(window).ok()?.reply().ok()?;
        if attributes.map_state != MapState::VIEWABLE || attributes.class == WindowClass::INPUT_ONLY
        {
            return None;
        }
        let geometry = self.conn.get_geometry(window).ok()?.reply().ok()?;
        let at = self
            .conn
            .translate_coordinates(window, self.root, 0, 0)
            .ok()?
            .reply()
            .ok()?;
        clip(
            (at.dst_x.into(), at.dst_y.into()),
            (geometry.width.into(), geometry.height.into()),
            (self.width, self.height),
        )
    }

    /// One window as it shows on the screen, full size, 8-bit RGB.
    fn grab_window_rgb(&self, window: Window) -> Result<Screenshot, CaptureError> {
        let rect = self.rect_of(window).ok_or(CaptureError::WindowGone)?;
        self.rgb_of(rect)
    }

    /// One picture of the whole screen, at most `max_width` wide.
    pub(super) fn grab(&self, max_width: usize) -> Result<Frame, CaptureError> {
        let (w, h) = (usize::from(self.width), usize::from(self.height));
        bgrx_to_i420_scaled(&self.bgrx()?, w, h, w * 4, max_width)
            .ok_or_else(|| failed(&self.display, "it sent a picture cut short"))
    }

    /// One picture of a window as it shows on the screen now (where it is now, at the size
    /// it has now, what covers it included), at most `max_width` wide.
    pub(super) fn grab_window(
        &self,
        window: Window,
        max_width: usize,
    ) -> Result<Frame, CaptureError> {
        let rect = self.rect_of(window).ok_or(CaptureError::WindowGone)?;
        let (w, h) = (usize::from(rect.2), usize::from(rect.3));
        bgrx_to_i420_scaled(&self.bgrx_of(rect)?, w, h, w * 4, max_width)
            .ok_or_else(|| failed(&self.display, "it sent a picture cut short"))
    }

    /// The whole screen, or one window.
    fn grab_source(&self, window: Option<Window>, max_width: usize) -> Result<Frame, CaptureError> {
        match window {
            None => self.grab(max_width),
            Some(w) => self.grab_window(w, max_width),
        }
    }

    /// One picture of the whole screen at full size, 8-bit RGB (a screenshot to share).
    fn grab_rgb(&self) -> Result<Screenshot, CaptureError> {
        self.rgb_of((0, 0, self.width, self.height))
    }

    /// A part of the screen, 8-bit RGB.
    fn rgb_of(&self, rect: Rect) -> Result<Screenshot, CaptureError> {
        let (w, h) = (usize::from(rect.2), usize::from(rect.3));
        let rgb = self
            .bgrx_of(rect)?
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

/// The part of a `size` box at `at` (which may be off the screen) that is on a `screen`.
fn clip(at: (i32, i32), size: (i32, i32), screen: (u16, u16)) -> Option<Rect> {
    let left = at.0.max(0);
    let top = at.1.max(0);
    let right = (at.0 + size.0).min(screen.0.into());
    let bottom = (at.1 + size.1).min(screen.1.into());
    (right > left && bottom > top).then(|| {
        (
            left as u16,
            top as u16,
            (right - left) as u16,
            (bottom - top) as u16,
        )
    })
}

/// The screen of `DISPLAY`.
fn open_display() -> Result<X11Screen, CaptureError> {
    let display = choose_display(std::env::var_os("DISPLAY"))?;
    X11Screen::open(&display)
}

/// One picture of the screen of `DISPLAY`, or of one of its windows.
pub(in crate::capture) fn screenshot(window: Option<u32>) -> Result<Screenshot, CaptureError> {
    let screen = open_display()?;
    match window {
        None => screen.grab_rgb(),
        Some(window) => screen.grab_window_rgb(window),
    }
}

/// The windows of `DISPLAY` that a screenshot can show, topmost first.
pub(in crate::capture) fn list_windows() -> Result<Vec<ScreenWindow>, CaptureError> {
    open_display()?.windows()
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
    let display = choose_display(std::env::var_os("DISPLAY")).map_err(|e| e.to_string())?;
    X11Screen::open(&display)
        .map(|s| s.describe())
        .map_err(|e| e.to_string())
}

/// Starts capturing the screen of `DISPLAY`, or one of its windows.
pub(in crate::capture) fn start(
    fps: u32,
    max_width: usize,
    window: Option<u32>,
    on_frame: impl FnMut(CapturedFrame) + Send + 'static,
) -> Result<(Worker, String), CaptureError> {
    let display = choose_display(std::env::var_os("DISPLAY"))?;
    start_on(X11Screen::open(&display)?, fps, max_width, window, on_frame)
}

/// Starts capturing `screen`, or one `window` of it.
pub(super) fn start_on(
    mut screen: X11Screen,
    fps: u32,
    max_width: usize,
    window: Option<Window>,
    mut on_frame: impl FnMut(CapturedFrame) + Send + 'static,
) -> Result<(Worker, String), CaptureError> {
    let fps = super::frame_rate(fps)?;
    // Fail now, not on the thread, if the first picture cannot be read.
    let first = screen.grab_source(window, max_width)?;
    let what = match window {
        None => format!("screen {}", screen.describe()),
        Some(w) => format!("window {w:#x} of {}", screen.describe()),
    };
    let description = format!("{what} as {}x{} at {fps} fps", first.width, first.height);
    let worker = Worker::spawn("capture-screen", move |stop, failure| {
        let mut pacer = Pacer::new(Instant::now(), fps);
        let allowance = Duration::from_millis(500) / fps;
        while pacer.wait(&stop, allowance).is_some() {
            let at = Instant::now();
            let frame = match screen.grab_source(window, max_width) {
                Ok(frame) => frame,
                // The shared window was closed (or unmapped): the share ends, saying why.
                Err(CaptureError::WindowGone) => return fail(&failure, CaptureError::WindowGone),
                // Resized (RandR) since the last picture: read the size, try once more.
                Err(_) => match screen
                    .refresh_size()
                    .and_then(|()| screen.grab_source(window, max_width))
                {
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
    fn no_display_is_told() {
        assert!(matches!(choose_display(None), Err(CaptureError::NoDisplay)));
        assert!(matches!(
            choose_display(Some("".into())),
            Err(CaptureError::NoDisplay)
        ));
        assert_eq!(choose_display(Some(":99".into())).unwrap(), ":99");
    }

    #[test]
    fn windows_are_clipped_to_the_screen() {
        let screen = (1280, 800);
        assert_eq!(clip((10, 20), (300, 200), screen), Some((10, 20, 300, 200)));
        assert_eq!(clip((-50, -10), (300, 200), screen), Some((0, 0, 250, 190)));
        assert_eq!(
            clip((1200, 700), (300, 200), screen),
            Some((1200, 700, 80, 100))
        );
        assert_eq!(
            clip((1280, 0), (300, 200), screen),
            None,
            "right of the screen"
        );
        assert_eq!(clip((-300, 0), (300, 200), screen), None, "left of it");
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
