//! What a headless peer sent and received, as CSV files of (stamp, Unix microseconds): the
//! stamped frame number read back from the pixels, and when. Joined on the stamp, a sender's
//! and a receiver's files give glass-to-glass latency on one machine's clock.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use instant_share_media::files::{write_y4m_frame, write_y4m_header};
use instant_share_media::peer::TrackKind;
use instant_share_media::synthetic::{read_stamp, Frame};

/// Writes one CSV file per track.
pub struct Recorder {
    dir: PathBuf,
    files: Mutex<HashMap<String, BufWriter<File>>>,
}

impl Recorder {
    /// Records into `dir` (created if missing).
    pub fn new(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            dir: dir.to_owned(),
            files: Mutex::new(HashMap::new()),
        })
    }

    fn write(&self, name: String, frame: &Frame, at: u64) {
        let Some(stamp) = read_stamp(&frame.y, frame.width, frame.height) else {
            return;
        };
        let Ok(mut files) = self.files.lock() else {
            return;
        };
        let file = match files.get_mut(&name) {
            Some(f) => f,
            None => match File::create(self.dir.join(&name)) {
                Ok(f) => {
                    let mut w = BufWriter::new(f);
                    let _ = writeln!(w, "stamp,unix_micros");
                    files.entry(name).or_insert(w)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot record");
                    return;
                }
            },
        };
        // Flushed line by line: tests read the files while the peer runs.
        let _ = writeln!(file, "{stamp},{at}");
        let _ = file.flush();
    }

    /// A frame this peer sent (read before encoding).
    /// `at`: when it was captured (Unix microseconds).
    pub fn sent(&self, kind: TrackKind, frame: &Frame, at: u64) {
        self.write(format!("sent-{}.csv", kind.name()), frame, at);
    }

    /// A frame this peer received (read after decoding).
    /// `at`: when it was decoded (Unix microseconds).
    pub fn received(&self, from: &str, kind: TrackKind, frame: &Frame, at: u64) {
        let safe: String = from
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        self.write(format!("received-{safe}-{}.csv", kind.name()), frame, at);
    }

    /// Flushes every file.
    pub fn finish(self) -> anyhow::Result<()> {
        let files = self.files.into_inner().unwrap_or_default();
        for (_, mut f) in files {
            f.flush()?;
        }
        Ok(())
    }
}

/// Keeps the first `frames` received camera pictures of one size as a Y4M file: a recording of
/// what another sender (a browser's camera) sends, to send again as a file source.
pub struct VideoSaver {
    path: PathBuf,
    width: usize,
    height: usize,
    fps: u32,
    wanted: usize,
    written: usize,
    out: Option<BufWriter<File>>,
}

impl VideoSaver {
    /// Saves pictures of `width`×`height` only (a sender ramping up starts smaller); the file
    /// says `fps`.
    pub fn new(path: &Path, width: usize, height: usize, fps: u32, frames: usize) -> Self {
        Self {
            path: path.to_owned(),
            width,
            height,
            fps,
            wanted: frames,
            written: 0,
            out: None,
        }
    }

    /// Adds `frame` if it has the size and more are wanted; `Ok(true)` when this one was the
    /// last (the file is complete and closed).
    pub fn add(&mut self, frame: &Frame) -> anyhow::Result<bool> {
        if self.written >= self.wanted || (frame.width, frame.height) != (self.width, self.height) {
            return Ok(false);
        }
        let out = match &mut self.out {
            Some(out) => out,
            None => {
                let file = File::create(&self.path).with_context(|| {
                    format!("cannot write the received video to {}", self.path.display())
                })?;
                let mut out = BufWriter::new(file);
                write_y4m_header(&mut out, self.width, self.height, (self.fps, 1))?;
                self.out.insert(out)
            }
        };
        write_y4m_frame(out, frame)?;
        self.written += 1;
        if self.written < self.wanted {
            return Ok(false);
        }
        if let Some(mut out) = self.out.take() {
            out.flush()?;
        }
        Ok(true)
    }

    /// Frames written so far.
    pub fn written(&self) -> usize {
        self.written
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use instant_share_media::files::Y4mReader;
    use instant_share_media::synthetic::TestPattern;
    use std::io::BufReader;

    #[test]
    fn saves_frames_of_its_size_only_and_stops_at_the_count() {
        let dir = std::env::temp_dir().join(format!("is-saver-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("got.y4m");
        let mut small = TestPattern::new(640, 480).unwrap();
        let mut big = TestPattern::new(1280, 720).unwrap();
        let mut saver = VideoSaver::new(&path, 1280, 720, 30, 3);
        assert!(!saver.add(&small.next_frame()).unwrap());
        assert!(
            !path.exists(),
            "nothing is written before a picture of the size comes"
        );
        let frames: Vec<Frame> = (0..5).map(|_| big.next_frame()).collect();
        let done: Vec<bool> = frames.iter().map(|f| saver.add(f).unwrap()).collect();
        assert_eq!(done, [false, false, true, false, false]);
        assert_eq!(saver.written(), 3);
        let mut reader = Y4mReader::new(BufReader::new(File::open(&path).unwrap())).unwrap();
        for want in &frames[..3] {
            assert_eq!(&reader.next_frame().unwrap().unwrap(), want);
        }
        assert!(reader.next_frame().unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unwritable_path_is_a_clear_error() {
        let mut pattern = TestPattern::new(640, 480).unwrap();
        let mut saver = VideoSaver::new(Path::new("/nonexistent/dir/x.y4m"), 640, 480, 30, 2);
        let err = saver.add(&pattern.next_frame()).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/dir/x.y4m"), "{err}");
    }
}
