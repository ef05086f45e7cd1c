//! User and group names to ids (`getpwnam_r`, `getgrnam_r`), for rule
//! values such as `-F uid=root`, as auditctl resolves them.

use std::ffi::CString;
use std::io;

/// The uid of user `name`, `None` when there is no such user.
pub fn uid_by_name(name: &str) -> io::Result<Option<u32>> {
    let Ok(cname) = CString::new(name) else {
        return Ok(None);
    };
    let mut buf = vec![0u8; 16 * 1024];
    // SAFETY: passwd is plain old data; all-zero is a valid value.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call: `cname` is a
    // NUL-terminated string, `pwd` and `result` are writable, and `buf` is
    // writable for the length passed.
    let rc = unsafe {
        libc::getpwnam_r(
            cname.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    Ok((!result.is_null()).then_some(pwd.pw_uid))
}

/// The gid of group `name`, `None` when there is no such group.
pub fn gid_by_name(name: &str) -> io::Result<Option<u32>> {
    let Ok(cname) = CString::new(name) else {
        return Ok(None);
    };
    let mut buf = vec![0u8; 64 * 1024];
    // SAFETY: group is plain old data; all-zero is a valid value.
    let mut grp: libc::group = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::group = std::ptr::null_mut();
    // SAFETY: as for getpwnam_r above.
    let rc = unsafe {
        libc::getgrnam_r(
            cname.as_ptr(),
            &mut grp,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    Ok((!result.is_null()).then_some(grp.gr_gid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_resolves() {
        assert_eq!(uid_by_name("root").unwrap(), Some(0));
        assert_eq!(gid_by_name("root").unwrap(), Some(0));
        assert_eq!(uid_by_name("no-such-user-raudit").unwrap(), None);
    }
}
