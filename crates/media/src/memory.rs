//! The allocator and video: every picture is a megabyte or more (a 720p I420 frame is 1.4 MB),
//! made and dropped 30 times a second per stream. glibc serves allocations that large with
//! `mmap` and gives them back with `munmap` (or trims its heap after them), so each new frame
//! starts on fresh pages: a page fault per 4 KiB touched, zeroing, and accounting in the
//! kernel. In a 720p30 call that was about a tenth of the process's CPU (perf: `exc_page_fault`,
//! `clear_page`, `unmap_page_range` under the capture and decode threads).
//!
//! [`keep_frame_memory`] makes glibc keep such blocks in its heap for reuse instead. The cost is
//! memory that stays with the process after a call: a few frames' worth per stream.

// `mallopt` is a C function; the one call below is the only unsafe code here.
#![allow(unsafe_code)]

/// Blocks up to this size come from the heap (glibc's upper limit on 64-bit systems).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 32 << 20;

/// Free memory at the top of the heap beyond this goes back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: libc::c_int = 128 << 20;

/// Tunes the process's allocator for frame-sized blocks (see the module). Call once, early in
/// `main`, before threads start. Returns whether the allocator took the settings (only glibc
/// has them; elsewhere nothing changes).
pub fn keep_frame_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes allocator parameters; it is called before other threads
        // allocate, and the values are within glibc's documented ranges.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_allocator_takes_the_settings_where_it_has_them() {
        let taken = super::keep_frame_memory();
        assert_eq!(taken, cfg!(all(target_os = "linux", target_env = "gnu")));
        // Frame-sized blocks still allocate, fill and free as before.
        for _ in 0..4 {
            let frame = vec![7u8; 1280 * 720 * 3 / 2];
            assert_eq!(frame[frame.len() - 1], 7);
        }
    }
}
