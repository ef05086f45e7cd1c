//! `ScratchDir`: a test's own directory under the temp dir, removed with
//! everything in it when the guard is dropped, whether the test returns or
//! panics (tests unwind), so a test run leaves nothing behind in /tmp.
//! Written once, included with `#[path]` by the daemon's unit tests
//! (`daemon/src/lib.rs`) and by each integration test file that needs it.

use std::ffi::OsStr;
use std::io;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A directory `raudit-NAME-PID-N` made for one test, removed with its
/// contents on drop; it derefs to its [`Path`] and is a program's argument
/// as it is. A test whose child process writes into it keeps the guard
/// until the child is gone: declared before the child (or the child's own
/// guard), since locals are dropped in reverse order.
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// Makes a directory that no other test of this run, nor any earlier
    /// run, has: the process id and a count tell them apart, and a name
    /// left by a killed run whose pid came back is passed over, never
    /// taken (it is not ours to remove).
    pub fn new(name: &str) -> ScratchDir {
        static MADE: AtomicU32 = AtomicU32::new(0);
        loop {
            let n = MADE.fetch_add(1, Ordering::Relaxed);
            let path =
                std::env::temp_dir().join(format!("raudit-{name}-{}-{n}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => return ScratchDir(path),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("cannot make the test directory {}: {e}", path.display()),
            }
        }
    }
}

impl Deref for ScratchDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for ScratchDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<OsStr> for ScratchDir {
    fn as_ref(&self) -> &OsStr {
        self.0.as_os_str()
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            std::eprintln!("cannot remove the test directory {}: {e}", self.0.display());
        }
    }
}
