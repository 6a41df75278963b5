//! Sound devices through cpal: listing, finding by id, picking a stream format, and turning
//! cpal's errors into ours.
//!
//! A default device does not prove a usable one: on a machine without a sound card, ALSA
//! offers its "null" device as the default, whose streams fail to open. So a device is only
//! "found" once a stream on it opened.

use cpal::traits::{DeviceTrait, HostTrait};
use cpal::{SampleFormat, SupportedStreamConfig, SupportedStreamConfigRange};

use super::resample::RATE;
use super::{CaptureError, DeviceInfo};

/// Input or output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// A microphone.
    Input,
    /// Speakers or headphones.
    Output,
}

impl Direction {
    fn noun(self) -> &'static str {
        match self {
            Self::Input => "microphone",
            Self::Output => "speaker",
        }
    }

    /// The "nothing there" error for this direction.
    pub(crate) fn none_found(self) -> CaptureError {
        match self {
            Self::Input => CaptureError::NoMicrophone,
            Self::Output => CaptureError::NoSpeaker,
        }
    }
}

/// What the sound system lists.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// Microphones.
    pub(crate) inputs: Vec<DeviceInfo>,
    /// Speakers.
    pub(crate) outputs: Vec<DeviceInfo>,
    /// What could not be listed.
    pub(crate) problems: Vec<String>,
}

/// ALSA's placeholder that swallows output and records silence: listed, never a real device.
fn is_placeholder(id: &str) -> bool {
    id == "null" || id.ends_with(":null")
}

/// A device's id (what configs name) and a name for people.
fn describe(device: &cpal::Device) -> Option<DeviceInfo> {
    let id = device.id().ok()?.to_string();
    let name = device
        .description()
        .map(|d| d.name().to_string())
        .unwrap_or_else(|_| id.clone());
    Some(DeviceInfo { id, name })
}

/// Lists microphones and speakers, leaving out placeholders.
pub(crate) fn list() -> Listing {
    let host = cpal::default_host();
    let mut listing = Listing::default();
    for direction in [Direction::Input, Direction::Output] {
        let devices = match direction {
            Direction::Input => host.input_devices().map(|d| d.collect::<Vec<_>>()),
            Direction::Output => host.output_devices().map(|d| d.collect::<Vec<_>>()),
        };
        match devices {
            Ok(devices) => {
                let found = devices
                    .iter()
                    .filter_map(describe)
                    .filter(|d| !is_placeholder(&d.id));
                match direction {
                    Direction::Input => listing.inputs.extend(found),
                    Direction::Output => listing.outputs.extend(found),
                }
            }
            Err(e) => listing.problems.push(format!(
                "The {}s could not be listed: {e}.",
                direction.noun()
            )),
        }
    }
    listing
}

/// The devices to try, in order: the one asked for, or the default and then the rest.
pub(crate) fn candidates(
    direction: Direction,
    wanted: Option<&str>,
) -> Result<Vec<(cpal::Device, DeviceInfo)>, CaptureError> {
    let host = cpal::default_host();
    let devices: Vec<cpal::Device> = match direction {
        Direction::Input => host.input_devices().map(|d| d.collect()),
        Direction::Output => host.output_devices().map(|d| d.collect()),
    }
    .unwrap_or_default();
    if let Some(wanted) = wanted {
        let found = wanted
            .parse::<cpal::DeviceId>()
            .ok()
            .and_then(|id| host.device_by_id(&id))
            .or_else(|| {
                devices
                    .into_iter()
                    .find(|d| describe(d).is_some_and(|i| i.id == wanted))
            });
        let device = found.ok_or_else(|| CaptureError::DeviceFailed {
            device: format!("{} {wanted:?}", direction.noun()),
            reason: "it was not found (it may have been unplugged)".into(),
        })?;
        let info = describe(&device).unwrap_or_else(|| DeviceInfo {
            id: wanted.into(),
            name: wanted.into(),
        });
        return Ok(vec![(device, info)]);
    }
    let default = match direction {
        Direction::Input => host.default_input_device(),
        Direction::Output => host.default_output_device(),
    };
    let mut list: Vec<(cpal::Device, DeviceInfo)> = Vec::new();
    for device in default.into_iter().chain(devices) {
        if let Some(info) = describe(&device) {
            // The placeholder "opens" and records silence: never a choice of ours.
            if !is_placeholder(&info.id) && !list.iter().any(|(_, seen)| seen.id == info.id) {
                list.push((device, info));
            }
        }
    }
    Ok(list)
}

/// Tries `open` on each candidate and returns the first success. When none opens: the first
/// real device's failure, or "none found" when only placeholders (or nothing) failed.
pub(crate) fn open_first<T>(
    direction: Direction,
    wanted: Option<&str>,
    mut open: impl FnMut(&cpal::Device, &DeviceInfo) -> Result<T, cpal::Error>,
) -> Result<(T, DeviceInfo), CaptureError> {
    let mut first_real_failure = None;
    for (device, info) in candidates(direction, wanted)? {
        match open(&device, &info) {
            Ok(opened) => return Ok((opened, info)),
            Err(e) => {
                tracing::info!(device = %info.id, error = %e, "sound device did not open");
                let unavailable = matches!(e.kind(), cpal::ErrorKind::DeviceNotAvailable);
                if first_real_failure.is_none()
                    && (wanted.is_some() || !(is_placeholder(&info.id) || unavailable))
                {
                    first_real_failure = Some(device_failed(direction, &info, &e));
                }
            }
        }
    }
    Err(first_real_failure.unwrap_or_else(|| direction.none_found()))
}

/// Our error for a device that would not open.
pub(crate) fn device_failed(
    direction: Direction,
    info: &DeviceInfo,
    e: &cpal::Error,
) -> CaptureError {
    let reason = e.to_string();
    CaptureError::DeviceFailed {
        device: format!("{} {:?}", direction.noun(), info.name),
        reason: reason.trim_end_matches('.').to_string(),
    }
}

/// Sample formats we convert, best first.
const FORMATS: [SampleFormat; 8] = [
    SampleFormat::F32,
    SampleFormat::I16,
    SampleFormat::I32,
    SampleFormat::F64,
    SampleFormat::U16,
    SampleFormat::I8,
    SampleFormat::U8,
    SampleFormat::U32,
];

/// The stream format to ask for among `ranges`: 48 kHz when offered (no resampling), the
/// fewest channels, the best sample format; `None` when no range has a format we convert.
pub(crate) fn choose_config(
    ranges: impl IntoIterator<Item = SupportedStreamConfigRange>,
) -> Option<SupportedStreamConfig> {
    let rank = |r: &SupportedStreamConfigRange| {
        let format = FORMATS.iter().position(|f| *f == r.sample_format());
        format.map(|f| (!r.contains_rate(RATE), r.channels(), f))
    };
    let best = ranges
        .into_iter()
        .filter_map(|r| rank(&r).map(|key| (key, r)))
        .min_by_key(|(key, _)| *key)?
        .1;
    // 48 kHz if offered, else the nearest rate: the least resampling.
    let rate = RATE.max(best.min_sample_rate()).min(best.max_sample_rate());
    Some(
        best.try_with_sample_rate(rate)
            .unwrap_or_else(|| best.with_max_sample_rate()),
    )
}

/// The stream format for `device`: from its supported list, else its default.
pub(crate) fn config_for(
    device: &cpal::Device,
    direction: Direction,
) -> Result<SupportedStreamConfig, cpal::Error> {
    let chosen = match direction {
        Direction::Input => device
            .supported_input_configs()
            .map(choose_config)
            .ok()
            .flatten(),
        Direction::Output => device
            .supported_output_configs()
            .map(choose_config)
            .ok()
            .flatten(),
    };
    match chosen {
        Some(config) => Ok(config),
        None => match direction {
            Direction::Input => device.default_input_config(),
            Direction::Output => device.default_output_config(),
        },
    }
}

/// Calls `$build::<T>($args…)` with `T` the Rust type of `$format`, or evaluates `$otherwise`
/// for a format we do not convert.
macro_rules! by_sample_format {
    ($format:expr, $build:ident ( $($args:expr),* ), $otherwise:expr) => {
        match $format {
            cpal::SampleFormat::F32 => $build::<f32>($($args),*),
            cpal::SampleFormat::I16 => $build::<i16>($($args),*),
            cpal::SampleFormat::I32 => $build::<i32>($($args),*),
            cpal::SampleFormat::F64 => $build::<f64>($($args),*),
            cpal::SampleFormat::U16 => $build::<u16>($($args),*),
            cpal::SampleFormat::I8 => $build::<i8>($($args),*),
            cpal::SampleFormat::U8 => $build::<u8>($($args),*),
            cpal::SampleFormat::U32 => $build::<u32>($($args),*),
            _ => $otherwise,
        }
    };
}
pub(crate) use by_sample_format;

#[cfg(test)]
mod tests {
    use super::*;
    use cpal::SupportedBufferSize;

    fn range(channels: u16, min: u32, max: u32, f: SampleFormat) -> SupportedStreamConfigRange {
        SupportedStreamConfigRange::new(channels, min, max, SupportedBufferSize::Unknown, f)
    }

    #[test]
    fn the_config_prefers_48k_then_mono_then_float() {
        let c = choose_config([
            range(2, 44_100, 44_100, SampleFormat::F32),
            range(2, 8_000, 96_000, SampleFormat::I16),
            range(1, 8_000, 96_000, SampleFormat::I32),
            range(1, 8_000, 96_000, SampleFormat::F32),
        ])
        .unwrap();
        assert_eq!(
            (c.channels(), c.sample_rate(), c.sample_format()),
            (1, 48_000, SampleFormat::F32)
        );
        let c = choose_config([range(2, 44_100, 44_100, SampleFormat::I16)]).unwrap();
        assert_eq!((c.channels(), c.sample_rate()), (2, 44_100));
        assert!(choose_config([range(1, 48_000, 48_000, SampleFormat::DsdU8)]).is_none());
        assert!(choose_config([]).is_none());
    }

    #[test]
    fn alsa_null_is_a_placeholder() {
        assert!(is_placeholder("alsa:null") && is_placeholder("null"));
        assert!(!is_placeholder("alsa:hw:CARD=PCH,DEV=0"));
    }
}
