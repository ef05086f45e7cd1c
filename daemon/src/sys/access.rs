//! Whether this process may write a path (`faccessat(W_OK, AT_EACCESS)`),
//! for check-config and the start-up checks, which must not create files
//! to find out.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// `Ok(())` when this process (its effective ids) may write `path`; the
/// error says why not (`EACCES`, `EROFS`, `ENOENT`, …).
pub fn check_writable(path: &Path) -> io::Result<()> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
    // SAFETY: `c` is a NUL-terminated string that outlives the call; the
    // call only reads it.
    let rc = unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::W_OK, libc::AT_EACCESS) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_dir_is_writable_and_a_missing_path_is_not() {
        assert!(check_writable(&std::env::temp_dir()).is_ok());
        let missing = check_writable(Path::new("/nonexistent/raudit/x")).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        assert!(check_writable(Path::new("a\0b")).is_err());
    }
}
