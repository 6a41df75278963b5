//! What a headless peer sent and received, as CSV files of (stamp, Unix microseconds): the
//! stamped frame number read back from the pixels, and when. Joined on the stamp, a sender's
//! and a receiver's files give glass-to-glass latency on one machine's clock.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
