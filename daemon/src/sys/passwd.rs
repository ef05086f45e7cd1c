//! User and group database lookups through libc, so NSS (files, LDAP,
//! sssd) answers as it does for `id`: `getpwuid_r` for the user names of
//! event uids (into buffers the caller owns), `getpwnam_r`/`getgrnam_r`
//! for rule values such as `-F uid=root`, as auditctl resolves them.

use std::ffi::{CStr, CString};
use std::io;

/// Scratch space for one lookup; glibc's `_SC_GETPW_R_SIZE_MAX` is 1024 on
/// most systems, and a `passwd` entry with long GECOS fits in 4 KiB.
const SCRATCH: usize = 4096;

/// The name of user `uid`, copied into `name`; `Ok(None)` when no such user
/// exists, `Ok(Some(len))` with the full name length (which may exceed
/// `name.len()`: then only the prefix was copied).
pub fn user_name(uid: u32, name: &mut [u8]) -> io::Result<Option<usize>> {
    let mut scratch = [0 as libc::c_char; SCRATCH];
    // SAFETY: passwd is plain old data; all-zero is a valid value.
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer refers to a live local of the right type and
    // `scratch.len()` is its exact size; getpwuid_r writes only there.
    let rc = unsafe {
        libc::getpwuid_r(
            uid,
            &mut entry,
            scratch.as_mut_ptr(),
            scratch.len(),
            &mut result,
        )
    };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    if result.is_null() || entry.pw_name.is_null() {
        return Ok(None);
    }
    // SAFETY: on success pw_name points at a NUL-terminated string inside
    // `scratch`, which is still alive.
    let found = unsafe { CStr::from_ptr(entry.pw_name) }.to_bytes();
    let copied = found.len().min(name.len());
    name[..copied].copy_from_slice(&found[..copied]);
    Ok(Some(found.len()))
}

/// The uid of user `name` (start-up only; allocates).
/// The name of group `gid`, copied into `name`, as [`user_name`] does for
/// users (`getgrgid_r`).
pub fn group_name(gid: u32, name: &mut [u8]) -> io::Result<Option<usize>> {
    let mut scratch = [0 as libc::c_char; SCRATCH];
    // SAFETY: group is plain old data; all-zero is a valid value.
    let mut entry: libc::group = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::group = std::ptr::null_mut();
    // SAFETY: every pointer refers to a live local of the right type and
    // `scratch.len()` is its exact size; getgrgid_r writes only there.
    let rc = unsafe {
        libc::getgrgid_r(
            gid,
            &mut entry,
            scratch.as_mut_ptr(),
            scratch.len(),
            &mut result,
        )
    };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    if result.is_null() || entry.gr_name.is_null() {
        return Ok(None);
    }
    // SAFETY: on success gr_name points at a NUL-terminated string inside
    // `scratch`, which is still alive.
    let found = unsafe { CStr::from_ptr(entry.gr_name) }.to_bytes();
    let copied = found.len().min(name.len());
    name[..copied].copy_from_slice(&found[..copied]);
    Ok(Some(found.len()))
}

pub fn uid_of(name: &str) -> io::Result<Option<u32>> {
    let c_name = CString::new(name).map_err(|_| io::ErrorKind::InvalidInput)?;
    let mut scratch = vec![0 as libc::c_char; SCRATCH * 4];
    // SAFETY: passwd is plain old data; all-zero is a valid value.
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: `c_name` is NUL-terminated; the other pointers refer to live
    // locals and `scratch.len()` is the buffer's exact size.
    let rc = unsafe {
        libc::getpwnam_r(
            c_name.as_ptr(),
            &mut entry,
            scratch.as_mut_ptr(),
            scratch.len(),
            &mut result,
        )
    };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    Ok((!result.is_null()).then_some(entry.pw_uid))
}

/// The gid of group `name` (start-up only; allocates).
pub fn gid_of(name: &str) -> io::Result<Option<u32>> {
    let c_name = CString::new(name).map_err(|_| io::ErrorKind::InvalidInput)?;
    // Groups with many members need room for the member list.
    let mut scratch = vec![0 as libc::c_char; SCRATCH * 16];
    // SAFETY: group is plain old data; all-zero is a valid value.
    let mut entry: libc::group = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::group = std::ptr::null_mut();
    // SAFETY: `c_name` is NUL-terminated; the other pointers refer to live
    // locals and `scratch.len()` is the buffer's exact size.
    let rc = unsafe {
        libc::getgrnam_r(
            c_name.as_ptr(),
            &mut entry,
            scratch.as_mut_ptr(),
            scratch.len(),
            &mut result,
        )
    };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    Ok((!result.is_null()).then_some(entry.gr_gid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_uid_zero() {
        let mut name = [0u8; 32];
        let len = user_name(0, &mut name).unwrap().unwrap();
        assert_eq!(&name[..len], b"root");
        assert_eq!(uid_of("root").unwrap(), Some(0));
        assert!(gid_of("root").unwrap().is_some());
        assert_eq!(uid_of("no-such-user-raudit").unwrap(), None);
    }

    #[test]
    fn unknown_uid_is_none() {
        let mut name = [0u8; 32];
        assert_eq!(user_name(4_000_000_000, &mut name).unwrap(), None);
    }
}
