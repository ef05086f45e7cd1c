//! Tests only: runs a closure on a thread of its own in a private mount
//! namespace, with files bind-mounted over others (the accounts tests put
//! their own `/etc/passwd` and `/etc/group` there). Nothing reaches the
//! host's mounts: the thread unshares its own namespace, makes every mount
//! in it private (recursively) before any bind mount, and the namespace
//! ends with the thread.

use std::ffi::CString;
use std::io;
use std::path::PathBuf;

/// Runs `body` where each `(file, over)` of `binds` is bind-mounted over
/// the path `over`; `Ok(false)` without running it when no mount namespace
/// can be made (not root: the caller says so). A failed mount after that
/// is an error; a panic in `body` is the caller's.
pub fn with_files_over(
    binds: Vec<(PathBuf, &'static str)>,
    body: impl FnOnce() + Send + 'static,
) -> io::Result<bool> {
    let thread = std::thread::spawn(move || -> io::Result<bool> {
        // SAFETY: unshare takes no pointers; it changes only this thread's
        // mount namespace (CLONE_NEWNS also unshares this thread's fs
        // information, which no other thread shares after it).
        if unsafe { libc::unshare(libc::CLONE_NEWNS) } != 0 {
            return Ok(false);
        }
        let root = c_path("/")?;
        // SAFETY: `root` is NUL-terminated and alive; the null source,
        // type and data are allowed for a propagation change.
        let private = unsafe {
            libc::mount(
                std::ptr::null(),
                root.as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            )
        };
        if private != 0 {
            return Err(io::Error::last_os_error());
        }
        for (file, over) in &binds {
            let from = c_path(file.to_str().ok_or(io::ErrorKind::InvalidInput)?)?;
            let to = c_path(over)?;
            // SAFETY: both paths are NUL-terminated and alive; a bind mount
            // takes no type or data. The namespace is private (above).
            let bound = unsafe {
                libc::mount(
                    from.as_ptr(),
                    to.as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND,
                    std::ptr::null(),
                )
            };
            if bound != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        body();
        Ok(true)
    });
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

fn c_path(path: &str) -> io::Result<CString> {
    CString::new(path).map_err(|_| io::ErrorKind::InvalidInput.into())
}
