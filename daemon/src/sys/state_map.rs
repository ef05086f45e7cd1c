//! A small file mapped shared into memory (`mmap`, one page) and seen as
//! atomic 64-bit words: the daemon's state across restarts, updated with a
//! plain store (no syscall) and still in the page cache when the process is
//! killed.

use std::fs::OpenOptions;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;

/// Bytes mapped: one page.
const MAP_BYTES: usize = 4096;
/// Words available.
pub const WORDS: usize = MAP_BYTES / 8;

/// The mapping; unmapped when dropped.
#[derive(Debug)]
pub struct StateMap {
    base: NonNull<AtomicU64>,
}

// SAFETY: the mapping is only ever accessed through `AtomicU64`s, which are
// safe to share and send between threads; the pointer is owned by this value.
unsafe impl Send for StateMap {}
// SAFETY: as above: every access is atomic.
unsafe impl Sync for StateMap {}

impl StateMap {
    /// Opens (creating, mode 0600) `path`, sizes it to one page (a shorter
    /// file is extended with zeros) and maps it shared.
    pub fn open(path: &Path) -> io::Result<StateMap> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(path)?;
        if file.metadata()?.len() < MAP_BYTES as u64 {
            file.set_len(MAP_BYTES as u64)?;
        }
        // SAFETY: a fresh shared mapping of MAP_BYTES of a file at least
        // that long, opened read-write; the result is checked before use.
        // The mapping outlives the fd (closed when `file` drops).
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                MAP_BYTES,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(ptr.cast::<AtomicU64>()).ok_or(io::ErrorKind::Other)?;
        Ok(StateMap { base })
    }

    /// The mapped words.
    pub fn words(&self) -> &[AtomicU64] {
        // SAFETY: `base` points at MAP_BYTES of readable, writable memory,
        // page-aligned (so aligned for AtomicU64), mapped until `self` is
        // dropped; the slice borrows `self`, so it cannot outlive the
        // mapping; AtomicU64 has the size of u64 and any bit pattern is valid.
        unsafe { std::slice::from_raw_parts(self.base.as_ptr(), WORDS) }
    }
}

impl Drop for StateMap {
    fn drop(&mut self) {
        // SAFETY: `base` is the start of a MAP_BYTES mapping made in `open`
        // and not unmapped before; no borrow of `words()` outlives `self`.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), MAP_BYTES);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn stores_reach_the_file_and_survive_a_new_mapping() {
        let dir = crate::scratch_dir::ScratchDir::new("state-map");
        let path = dir.join("state");
        {
            let map = StateMap::open(&path).unwrap();
            assert_eq!(map.words().len(), WORDS);
            assert_eq!(map.words()[3].load(Ordering::Relaxed), 0);
            map.words()[3].store(0x1122_3344_5566_7788, Ordering::Relaxed);
        }
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), MAP_BYTES);
        assert_eq!(&bytes[24..32], &0x1122_3344_5566_7788u64.to_ne_bytes());
        let again = StateMap::open(&path).unwrap();
        assert_eq!(
            again.words()[3].load(Ordering::Relaxed),
            0x1122_3344_5566_7788
        );
    }
}
