//! Pictures shared on the board, kept by content.
//!
//! Contract:
//! - Checking and cleaning an upload is [`clean`] (`crates/pictures`, re-exported here): only
//!   PNG, JPEG or WebP within the limits, written again as PNG with nothing but pixels, named
//!   by the SHA-256 of that PNG.
//! - [`ImageStore`] keeps one file per id (`<id>.png`), written whole or not at all.
//! - Which session may see which picture is the board's business (the HTTP handlers ask the
//!   hub); nothing here knows about sessions.

use std::path::{Path, PathBuf};

pub use instant_share_pictures::{
    clean, is_id, CleanImage, ImageError, MAX_PIXELS, MAX_SIDE, MAX_UPLOAD_BYTES,
};

/// Why a picture was not kept.
#[derive(Debug, thiserror::Error)]
pub enum KeepError {
    /// The pictures kept already take the whole disk budget.
    #[error("the kept pictures take {used} of the {budget} bytes they may take")]
    Full {
        /// Bytes kept now.
        used: u64,
        /// Bytes they may take.
        budget: u64,
    },
    /// The file could not be written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The folder of kept pictures, and how many bytes they take of the budget.
#[derive(Debug, Clone)]
pub struct ImageStore {
    dir: PathBuf,
    budget: u64,
    used: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl ImageStore {
    /// Pictures in `dir` (made when the first one is kept), with no budget.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self::with_budget(dir, u64::MAX)
    }

    /// Pictures in `dir` taking at most `budget` bytes; what is there already counts.
    pub fn with_budget(dir: impl Into<PathBuf>, budget: u64) -> Self {
        let dir = dir.into();
        let used = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0);
        Self {
            dir,
            budget,
            used: std::sync::Arc::new(used.into()),
        }
    }

    /// Bytes the kept pictures take now.
    pub fn used(&self) -> u64 {
        self.used.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Bytes they may take.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keeps `image` (nothing to do if a picture with its id is kept already), unless that
    /// would take the pictures past the budget.
    pub fn put(&self, image: &CleanImage) -> Result<(), KeepError> {
        use std::sync::atomic::Ordering::Relaxed;
        let path = self.dir.join(format!("{}.png", image.id));
        if path.exists() {
            return Ok(());
        }
        let size = image.png.len() as u64;
        // Taken from the budget before writing, so two writes at once cannot both squeeze in.
        self.used
            .fetch_update(Relaxed, Relaxed, |used| {
                used.checked_add(size).filter(|total| *total <= self.budget)
            })
            .map_err(|used| KeepError::Full {
                used,
                budget: self.budget,
            })?;
        let written = self.write(image, &path);
        if !matches!(written, Ok(true)) {
            self.used.fetch_sub(size, Relaxed);
        }
        written.map(|_| ()).map_err(KeepError::Io)
    }

    /// Writes the file; `Ok(false)` when another upload wrote the same picture meanwhile.
    fn write(&self, image: &CleanImage, path: &Path) -> std::io::Result<bool> {
        std::fs::create_dir_all(&self.dir)?;
        // Written beside under a name of its own, then renamed: a crash leaves no half picture
        // under the id, and two uploads of the same picture do not write one file.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let partial = self
            .dir
            .join(format!(".{}.{}.{n}.part", image.id, std::process::id()));
        std::fs::write(&partial, &image.png)?;
        let existed = path.exists();
        std::fs::rename(&partial, path)?;
        Ok(!existed)
    }

    /// Deletes the kept pictures not named in `keep` whose file is older than `grace` (a
    /// picture being shared right now is not on a board yet), and leftovers of interrupted
    /// writes; returns how many files went.
    pub fn sweep(
        &self,
        keep: &std::collections::HashSet<String>,
        grace: std::time::Duration,
    ) -> std::io::Result<usize> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut gone = 0;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > grace);
            let stale = match name.strip_suffix(".png") {
                Some(id) if is_id(id) => !keep.contains(id),
                _ => name.starts_with('.') && name.ends_with(".part"),
            };
            if stale && old {
                let size = entry.metadata().map_or(0, |m| m.len());
                std::fs::remove_file(entry.path())?;
                self.used
                    .fetch_update(
                        std::sync::atomic::Ordering::Relaxed,
                        std::sync::atomic::Ordering::Relaxed,
                        |used| Some(used.saturating_sub(size)),
                    )
                    .ok();
                gone += 1;
            }
        }
        Ok(gone)
    }

    /// The PNG kept under `id`.
    pub fn get(&self, id: &str) -> std::io::Result<Vec<u8>> {
        if !is_id(id) {
            return Err(std::io::ErrorKind::NotFound.into());
        }
        std::fs::read(self.dir.join(format!("{id}.png")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb, RgbImage};
    use std::io::Cursor;

    fn picture(width: u32, height: u32) -> RgbImage {
        ImageBuffer::from_fn(width, height, |x, y| Rgb([x as u8, y as u8, 200]))
    }

    fn encoded(format: ImageFormat, img: &RgbImage) -> Vec<u8> {
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img.clone())
            .write_to(&mut Cursor::new(&mut out), format)
            .unwrap();
        out
    }

    #[test]
    fn a_sweep_deletes_pictures_nobody_can_see_any_more() {
        let dir = std::env::temp_dir().join(format!("is-sweep-{}", std::process::id()));
        let store = ImageStore::new(&dir);
        let a = clean(&encoded(ImageFormat::Png, &picture(8, 8))).unwrap();
        let b = clean(&encoded(ImageFormat::Png, &picture(9, 9))).unwrap();
        store.put(&a).unwrap();
        store.put(&b).unwrap();
        std::fs::write(dir.join(".leftover.1.0.part"), b"half").unwrap();
        let keep: std::collections::HashSet<String> = [a.id.clone()].into();
        // Within the grace period nothing goes.
        assert_eq!(
            store
                .sweep(&keep, std::time::Duration::from_secs(3600))
                .unwrap(),
            0
        );
        assert_eq!(store.sweep(&keep, std::time::Duration::ZERO).unwrap(), 2);
        assert!(store.get(&a.id).is_ok(), "a picture still on a board stays");
        assert!(store.get(&b.id).is_err(), "one on no board goes");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            store.sweep(&keep, std::time::Duration::ZERO).unwrap(),
            0,
            "no folder, nothing to do"
        );
    }

    #[test]
    fn the_store_keeps_whole_files_by_id() {
        let dir = std::env::temp_dir().join(format!("is-images-{}", std::process::id()));
        let store = ImageStore::new(&dir);
        let clean = clean(&encoded(ImageFormat::Png, &picture(8, 8))).unwrap();
        store.put(&clean).unwrap();
        store.put(&clean).unwrap();
        assert_eq!(store.get(&clean.id).unwrap(), clean.png);
        assert!(store.get("../../etc/passwd").is_err());
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(files.len(), 1, "one file, no leftovers");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_store_refuses_pictures_past_its_budget_and_counts_what_the_sweep_frees() {
        let dir = std::env::temp_dir().join(format!("is-budget-{}", std::process::id()));
        let a = clean(&encoded(ImageFormat::Png, &picture(8, 8))).unwrap();
        let b = clean(&encoded(ImageFormat::Png, &picture(9, 9))).unwrap();
        let budget = (a.png.len() + b.png.len() / 2) as u64;
        let store = ImageStore::with_budget(&dir, budget);
        store.put(&a).unwrap();
        store.put(&a).unwrap();
        assert_eq!(
            store.used(),
            a.png.len() as u64,
            "the same picture counts once"
        );
        assert!(matches!(store.put(&b), Err(KeepError::Full { .. })));
        assert!(store.get(&b.id).is_err(), "nothing of it is kept");
        // A host started again on the folder counts what is there.
        assert_eq!(ImageStore::with_budget(&dir, budget).used(), store.used());
        store
            .sweep(&Default::default(), std::time::Duration::ZERO)
            .unwrap();
        assert_eq!(store.used(), 0);
        store.put(&b).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
