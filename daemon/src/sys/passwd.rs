//! User and group database lookups through libc, so NSS (files, LDAP,
//! sssd) answers as it does for `id`: `getpwuid_r`/`getgrgid_r` for the
//! names of event ids (into buffers the caller owns), `getpwnam_r`/
//! `getgrnam_r` for names in rules and the config. Callers go through
//! [`crate::accounts`], the one route; this module is only its libc end.

use std::ffi::{CStr, CString};
use std::io;
use std::mem::MaybeUninit;

/// Scratch space for one lookup; glibc's `_SC_GETPW_R_SIZE_MAX` is 1024 on
/// most systems, and a `passwd` entry with long GECOS fits in 4 KiB.
const SCRATCH: usize = 4096;
/// Groups with many members need room for the member list.
const GROUP_SCRATCH: usize = SCRATCH * 16;

/// One reentrant NSS call (`getpwuid_r` and its kin): `call(entry,
/// scratch, scratch length, result)`, its return value an errno. The entry
/// when one was found; its strings point into `scratch`.
fn reentrant<E>(
    scratch: &mut [libc::c_char],
    call: impl FnOnce(*mut E, *mut libc::c_char, usize, *mut *mut E) -> libc::c_int,
) -> io::Result<Option<E>> {
    let mut entry = MaybeUninit::<E>::uninit();
    let mut result: *mut E = std::ptr::null_mut();
    let rc = call(
        entry.as_mut_ptr(),
        scratch.as_mut_ptr(),
        scratch.len(),
        &mut result,
    );
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    if result.is_null() {
        return Ok(None);
    }
    // SAFETY: a call that succeeds with a non-null result has filled the
    // entry it was given (`result` points at it).
    Ok(Some(unsafe { entry.assume_init() }))
}

/// Copies the name at `found` into `name` (as much as fits); its full
/// length, or `None` for a null pointer.
///
/// # Safety
///
/// `found` is null or points at a NUL-terminated string that stays valid
/// during the call (an entry's name inside the scratch the lookup filled).
unsafe fn copy_name(found: *const libc::c_char, name: &mut [u8]) -> Option<usize> {
    if found.is_null() {
        return None;
    }
    // SAFETY: the caller's promise: a NUL-terminated string, still alive.
    let found = unsafe { CStr::from_ptr(found) }.to_bytes();
    let copied = found.len().min(name.len());
    name[..copied].copy_from_slice(&found[..copied]);
    Some(found.len())
}

/// The name of user `uid`, copied into `name`; `Ok(None)` when no such user
/// exists, `Ok(Some(len))` with the full name length (which may exceed
/// `name.len()`: then only the prefix was copied).
pub fn user_name(uid: u32, name: &mut [u8]) -> io::Result<Option<usize>> {
    let mut scratch = [0 as libc::c_char; SCRATCH];
    let entry = reentrant(&mut scratch, |entry, buf, len, result| {
        // SAFETY: every pointer refers to a live local of the right type
        // and `len` is the scratch's exact size; getpwuid_r writes only there.
        unsafe { libc::getpwuid_r(uid, entry, buf, len, result) }
    })?;
    // SAFETY: pw_name points into `scratch`, which is still alive.
    Ok(entry.and_then(|e: libc::passwd| unsafe { copy_name(e.pw_name, name) }))
}

/// The name of group `gid`, copied into `name`; as [`user_name`].
pub fn group_name(gid: u32, name: &mut [u8]) -> io::Result<Option<usize>> {
    let mut scratch = vec![0 as libc::c_char; GROUP_SCRATCH];
    let entry = reentrant(&mut scratch, |entry, buf, len, result| {
        // SAFETY: every pointer refers to a live value of the right type
        // and `len` is the scratch's exact size; getgrgid_r writes only there.
        unsafe { libc::getgrgid_r(gid, entry, buf, len, result) }
    })?;
    // SAFETY: gr_name points into `scratch`, which is still alive.
    Ok(entry.and_then(|e: libc::group| unsafe { copy_name(e.gr_name, name) }))
}

/// The uid of user `name` (start-up only; allocates).
pub fn uid_of(name: &str) -> io::Result<Option<u32>> {
    let c_name = CString::new(name).map_err(|_| io::ErrorKind::InvalidInput)?;
    let mut scratch = vec![0 as libc::c_char; SCRATCH * 4];
    let entry = reentrant(&mut scratch, |entry, buf, len, result| {
        // SAFETY: `c_name` is NUL-terminated; the other pointers refer to
        // live values and `len` is the scratch's exact size.
        unsafe { libc::getpwnam_r(c_name.as_ptr(), entry, buf, len, result) }
    })?;
    Ok(entry.map(|e: libc::passwd| e.pw_uid))
}

/// The gid of group `name` (start-up only; allocates).
pub fn gid_of(name: &str) -> io::Result<Option<u32>> {
    let c_name = CString::new(name).map_err(|_| io::ErrorKind::InvalidInput)?;
    let mut scratch = vec![0 as libc::c_char; GROUP_SCRATCH];
    let entry = reentrant(&mut scratch, |entry, buf, len, result| {
        // SAFETY: `c_name` is NUL-terminated; the other pointers refer to
        // live values and `len` is the scratch's exact size.
        unsafe { libc::getgrnam_r(c_name.as_ptr(), entry, buf, len, result) }
    })?;
    Ok(entry.map(|e: libc::group| e.gr_gid))
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
        let len = group_name(0, &mut name).unwrap().unwrap();
        assert_eq!(&name[..len], b"root");
    }

    #[test]
    fn unknown_uid_is_none() {
        let mut name = [0u8; 32];
        assert_eq!(user_name(4_000_000_000, &mut name).unwrap(), None);
        assert_eq!(group_name(4_000_000_000, &mut name).unwrap(), None);
    }
}
