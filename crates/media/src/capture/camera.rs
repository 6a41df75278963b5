//! Cameras through nokhwa (V4L2 on Linux, Media Foundation on Windows, AVFoundation on macOS).
//!
//! The camera is opened, read and closed on the capture thread (nokhwa's camera may not cross
//! threads). We ask for the format nearest to the one wanted among those we convert ourselves
//! (YUYV, NV12, MJPEG), then convert each picture to I420.
//!
//! Stopping waits for the picture being read: one frame interval with a working camera, but a
//! camera that hangs mid-read (nokhwa's V4L2 read has no timeout) holds up the drop with it.

#[cfg(any(target_os = "linux", target_os = "windows", target_os = "macos"))]
pub(super) use imp::{list, start};

#[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "macos")))]
pub(super) use unsupported::{list, start};

#[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "macos")))]
mod unsupported {
    use super::super::paced::Worker;
    use super::super::{CaptureError, CapturedFrame, DeviceInfo};

    fn error() -> CaptureError {
        CaptureError::Unsupported(format!(
            "Camera capture is not available on {}. Share your screen or a file instead.",
            std::env::consts::OS
        ))
    }

    pub(in crate::capture) fn list() -> Result<Vec<DeviceInfo>, String> {
        Err(error().to_string())
    }

    pub(in crate::capture) fn start(
        _: Option<&str>,
        _: (u32, u32),
        _: u32,
        _: impl FnMut(CapturedFrame) + Send + 'static,
    ) -> Result<(Worker, String), CaptureError> {
        Err(error())
    }
}

#[cfg(any(target_os = "linux", target_os = "windows", target_os = "macos"))]
mod imp {
    use std::time::{Duration, Instant};

    use nokhwa::utils::{
        ApiBackend, CameraFormat, CameraIndex, CameraInfo, FrameFormat, RequestedFormat,
        RequestedFormatType,
    };
    use nokhwa::Camera;

    use super::super::convert::{mjpeg_to_i420, nv12_to_i420, rgb_to_i420, yuyv_to_i420};
    use super::super::paced::{fail, unix_micros, Worker};
    use super::super::{CaptureError, CapturedFrame, DeviceInfo, Frame};

    /// The formats we convert, cheapest first.
    const ACCEPTED: [FrameFormat; 3] = [FrameFormat::NV12, FrameFormat::YUYV, FrameFormat::MJPEG];

    /// This many failed reads in a row mean the camera is gone.
    const MAX_FAILED_READS: u32 = 10;

    fn id_of(index: &CameraIndex) -> String {
        index.to_string()
    }

    /// Cameras as the system lists them.
    pub(in crate::capture) fn list() -> Result<Vec<DeviceInfo>, String> {
        let cameras = nokhwa::query(ApiBackend::Auto)
            .map_err(|e| format!("The cameras could not be listed: {e}."))?;
        Ok(cameras
            .iter()
            .map(|c| DeviceInfo {
                id: id_of(c.index()),
                name: c.human_name(),
            })
            .collect())
    }

    /// The format nearest to `want` (size first, then frame rate, faster preferred to slower,
    /// then the cheapest to convert) among those we convert.
    pub(super) fn pick_format(
        offered: &[CameraFormat],
        (width, height): (u32, u32),
        fps: u32,
    ) -> Option<CameraFormat> {
        offered
            .iter()
            .filter_map(|f| {
                let rank = ACCEPTED.iter().position(|a| *a == f.format())?;
                let dw = i64::from(f.width()) - i64::from(width);
                let dh = i64::from(f.height()) - i64::from(height);
                let slower = i64::from(fps) - i64::from(f.frame_rate());
                let fps_cost = if slower > 0 { 4 * slower } else { -slower };
                Some(((dw * dw + dh * dh, fps_cost, rank), *f))
            })
            .min_by_key(|(key, _)| *key)
            .map(|(_, f)| f)
    }

    /// One camera picture in `format` to I420.
    pub(super) fn to_i420(
        format: FrameFormat,
        width: usize,
        height: usize,
        data: &[u8],
    ) -> Result<Frame, String> {
        let short = || format!("a {width}x{height} {format} picture was cut short");
        match format {
            FrameFormat::YUYV => yuyv_to_i420(data, width, height).ok_or_else(short),
            FrameFormat::NV12 => nv12_to_i420(data, width, height).ok_or_else(short),
            FrameFormat::MJPEG => mjpeg_to_i420(data),
            FrameFormat::RAWRGB => rgb_to_i420(data, width, height).ok_or_else(short),
            other => Err(format!("the camera's {other} pictures cannot be converted")),
        }
    }

    fn open(index: &CameraIndex, want: (u32, u32), fps: u32) -> Result<Camera, String> {
        let any = RequestedFormat::with_formats(RequestedFormatType::None, &ACCEPTED);
        let mut camera = Camera::new(index.clone(), any).map_err(|e| e.to_string())?;
        let offered = camera
            .compatible_camera_formats()
            .map_err(|e| e.to_string())?;
        if let Some(best) = pick_format(&offered, want, fps) {
            if best != camera.camera_format() {
                let exact =
                    RequestedFormat::with_formats(RequestedFormatType::Exact(best), &ACCEPTED);
                camera
                    .set_camera_requset(exact)
                    .map_err(|e| e.to_string())?;
            }
        }
        camera.open_stream().map_err(|e| e.to_string())?;
        Ok(camera)
    }

    /// Opens the camera `wanted` (or the first that opens) and starts delivering frames.
    pub(in crate::capture) fn start(
        wanted: Option<&str>,
        (width, height): (u32, u32),
        fps: u32,
        mut on_frame: impl FnMut(CapturedFrame) + Send + 'static,
    ) -> Result<(Worker, String), CaptureError> {
        if fps == 0 || width < 2 || height < 2 {
            return Err(CaptureError::InvalidConfig(format!(
                "A camera picture of {width}x{height} at {fps} frames a second is not possible."
            )));
        }
        let cameras = nokhwa::query(ApiBackend::Auto).map_err(|e| CaptureError::DeviceFailed {
            device: "camera".into(),
            reason: format!("the cameras could not be listed ({e})"),
        })?;
        if cameras.is_empty() {
            return Err(CaptureError::NoCamera);
        }
        let candidates: Vec<CameraInfo> = match wanted {
            None => cameras,
            Some(id) => {
                let found: Vec<CameraInfo> = cameras
                    .into_iter()
                    .filter(|c| id_of(c.index()) == id)
                    .collect();
                if found.is_empty() {
                    return Err(CaptureError::DeviceFailed {
                        device: format!("camera {id:?}"),
                        reason: "it was not found (it may have been unplugged)".into(),
                    });
                }
                found
            }
        };
        Worker::spawn_ready("capture-camera", move |stop, failure, ready| {
            let mut first_error = None;
            let mut opened = None;
            for info in &candidates {
                match open(info.index(), (width, height), fps) {
                    Ok(camera) => {
                        opened = Some((camera, info.human_name()));
                        break;
                    }
                    Err(reason) => {
                        tracing::info!(camera = %info.human_name(), %reason, "camera did not open");
                        first_error.get_or_insert(CaptureError::DeviceFailed {
                            device: format!("camera {:?}", info.human_name()),
                            reason: reason.trim_end_matches('.').into(),
                        });
                    }
                }
            }
            let Some((mut camera, name)) = opened else {
                return ready.send(Err(first_error.unwrap_or(CaptureError::NoCamera)));
            };
            let format = camera.camera_format();
            ready.send(Ok(format!(
                "camera {name:?} {}x{} {} at {} fps",
                format.width(),
                format.height(),
                format.format(),
                format.frame_rate()
            )));
            // Cameras faster than asked for are thinned to the wanted rate.
            let interval = Duration::from_nanos(1_000_000_000 / u64::from(fps));
            let mut next_due = Instant::now();
            let mut failed_reads = 0;
            while !stop.is_set() {
                let buffer = match camera.frame() {
                    Ok(buffer) => buffer,
                    Err(e) => {
                        failed_reads += 1;
                        if failed_reads >= MAX_FAILED_READS {
                            let _ = camera.stop_stream();
                            return fail(
                                &failure,
                                CaptureError::DeviceFailed {
                                    device: format!("camera {name:?}"),
                                    reason: format!("it stopped sending pictures ({e})"),
                                },
                            );
                        }
                        continue;
                    }
                };
                failed_reads = 0;
                let now = Instant::now();
                if now + interval / 4 < next_due {
                    continue;
                }
                next_due = (next_due + interval).max(now);
                let res = buffer.resolution();
                let (w, h) = (res.width() as usize, res.height() as usize);
                match to_i420(buffer.source_frame_format(), w, h, buffer.buffer()) {
                    Ok(frame) => on_frame(CapturedFrame {
                        frame,
                        captured_at: now,
                        captured_unix_micros: unix_micros(now),
                    }),
                    // One bad picture (a torn MJPEG frame) is skipped, not fatal.
                    Err(reason) => tracing::debug!(%reason, "camera picture skipped"),
                }
            }
            let _ = camera.stop_stream();
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_nearest_format_wins_and_cheap_formats_break_ties() {
            let f = CameraFormat::new_from;
            let offered = [
                f(1920, 1080, FrameFormat::MJPEG, 30),
                f(1280, 720, FrameFormat::MJPEG, 30),
                f(1280, 720, FrameFormat::YUYV, 10),
                f(640, 480, FrameFormat::YUYV, 30),
                f(640, 480, FrameFormat::MJPEG, 30),
                f(640, 480, FrameFormat::GRAY, 60),
            ];
            assert_eq!(
                pick_format(&offered, (1280, 720), 30),
                Some(f(1280, 720, FrameFormat::MJPEG, 30))
            );
            assert_eq!(
                pick_format(&offered, (640, 480), 30),
                Some(f(640, 480, FrameFormat::YUYV, 30))
            );
            assert_eq!(
                pick_format(&offered, (1280, 720), 10),
                Some(f(1280, 720, FrameFormat::YUYV, 10))
            );
            assert_eq!(
                pick_format(&offered, (700, 500), 30),
                Some(f(640, 480, FrameFormat::YUYV, 30))
            );
            assert_eq!(pick_format(&offered[5..], (640, 480), 60), None);
        }

        #[test]
        fn camera_pictures_convert_by_their_format() {
            let yuyv = [16u8, 128, 16, 128].repeat(4);
            let f = to_i420(FrameFormat::YUYV, 4, 2, &yuyv).unwrap();
            assert_eq!((f.width, f.height, f.y[0], f.u[0]), (4, 2, 16, 128));
            assert!(to_i420(FrameFormat::NV12, 4, 4, &[0; 10]).is_err());
            assert!(to_i420(FrameFormat::MJPEG, 4, 4, b"junk").is_err());
            assert!(to_i420(FrameFormat::GRAY, 4, 4, &[0; 16]).is_err());
        }
    }
}
