//! User and group database lookups through libc, so NSS (files, LDAP,
//! sssd) answers as it does for `id`: `getpwuid_r`/`getgrgid_r` for the
//! names of event ids (into buffers the caller owns), `getpwnam_r`/
//! `getgrnam_r` for names in rules, the config and events (the ECS
//! shape's id of an account named by name). Callers go through
//! [`crate::accounts`], the one route; this module is only its libc end.
//! A lookup that needs more room than its first scratch (`ERANGE`) is
//! asked again with a larger one, up to [`SCRATCH_MAX`].

use std::ffi::CStr;
use std::io;
use std::mem::MaybeUninit;

/// Scratch space a lookup starts with, on the stack: glibc's
/// `_SC_GETPW_R_SIZE_MAX` is 1024 on most systems, and most entries fit.
const SCRATCH: usize = 4096;
/// Largest scratch a lookup grows to. The files backend reads the
/// database line by line into the scratch, so one long line (a group with
/// thousands of members, a long GECOS) fails with `ERANGE` for its own id
/// and every id listed after it; glibc's own `getpwuid` grows its buffer
/// the same way, without a bound.
pub const SCRATCH_MAX: usize = 16 << 20;

/// One reentrant NSS call (`getpwuid_r` and its kin): `call(entry,
/// scratch, scratch length, result)`, its return value an errno. The entry
/// when one was found; its strings point into `scratch`.
fn reentrant<E>(
    scratch: &mut [libc::c_char],
    call: &mut impl FnMut(*mut E, *mut libc::c_char, usize, *mut *mut E) -> libc::c_int,
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

/// [`reentrant`] with room enough: first [`SCRATCH`] bytes on the stack,
/// then, while the call says `ERANGE`, a heap scratch doubled each time up
/// to [`SCRATCH_MAX`] (allocation only for an entry or a line before it
/// that does not fit: a cache miss, never per event). `read` takes what
/// is needed from the entry while its scratch is alive.
fn with_room<E, R>(
    mut call: impl FnMut(*mut E, *mut libc::c_char, usize, *mut *mut E) -> libc::c_int,
    read: impl FnOnce(&E) -> R,
) -> io::Result<Option<R>> {
    let mut stack = [0 as libc::c_char; SCRATCH];
    match reentrant(&mut stack, &mut call) {
        Err(e) if e.raw_os_error() == Some(libc::ERANGE) => {}
        answer => return answer.map(|entry| entry.as_ref().map(read)),
    }
    let mut len = SCRATCH * 2;
    loop {
        let mut heap = vec![0 as libc::c_char; len];
        match reentrant(&mut heap, &mut call) {
            Err(e) if e.raw_os_error() == Some(libc::ERANGE) && len < SCRATCH_MAX => len *= 2,
            answer => return answer.map(|entry| entry.as_ref().map(read)),
        }
    }
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
/// `name.len()`: then only the prefix was copied); `Err` when the lookup
/// failed (NSS unreachable, an entry larger than [`SCRATCH_MAX`]).
pub fn user_name(uid: u32, name: &mut [u8]) -> io::Result<Option<usize>> {
    let found = with_room(
        |entry, buf, len, result| {
            // SAFETY: every pointer refers to a live value of the right
            // type and `len` is the scratch's exact size; getpwuid_r
            // writes only there.
            unsafe { libc::getpwuid_r(uid, entry, buf, len, result) }
        },
        // SAFETY: pw_name points into the scratch, alive during `read`.
        |e: &libc::passwd| unsafe { copy_name(e.pw_name, name) },
    )?;
    Ok(found.flatten())
}

/// The name of group `gid`, copied into `name`; as [`user_name`].
pub fn group_name(gid: u32, name: &mut [u8]) -> io::Result<Option<usize>> {
    let found = with_room(
        |entry, buf, len, result| {
            // SAFETY: every pointer refers to a live value of the right
            // type and `len` is the scratch's exact size; getgrgid_r
            // writes only there.
            unsafe { libc::getgrgid_r(gid, entry, buf, len, result) }
        },
        // SAFETY: gr_name points into the scratch, alive during `read`.
        |e: &libc::group| unsafe { copy_name(e.gr_name, name) },
    )?;
    Ok(found.flatten())
}

/// The uid of user `name`; `Ok(None)` when no such user exists, `Err`
/// when the lookup failed (as [`user_name`]).
pub fn uid_of(name: &CStr) -> io::Result<Option<u32>> {
    with_room(
        |entry, buf, len, result| {
            // SAFETY: `name` is NUL-terminated; the other pointers refer
            // to live values and `len` is the scratch's exact size.
            unsafe { libc::getpwnam_r(name.as_ptr(), entry, buf, len, result) }
        },
        |e: &libc::passwd| e.pw_uid,
    )
}

/// The gid of group `name`, as [`uid_of`].
pub fn gid_of(name: &CStr) -> io::Result<Option<u32>> {
    with_room(
        |entry, buf, len, result| {
            // SAFETY: `name` is NUL-terminated; the other pointers refer
            // to live values and `len` is the scratch's exact size.
            unsafe { libc::getgrnam_r(name.as_ptr(), entry, buf, len, result) }
        },
        |e: &libc::group| e.gr_gid,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_uid_zero() {
        let mut name = [0u8; 32];
        let len = user_name(0, &mut name).unwrap().unwrap();
        assert_eq!(&name[..len], b"root");
        assert_eq!(uid_of(c"root").unwrap(), Some(0));
        assert!(gid_of(c"root").unwrap().is_some());
        assert_eq!(uid_of(c"no-such-user-raudit").unwrap(), None);
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
