//! Users and groups, names ↔ ids: the one route every part of raudit
//! takes (rule values such as `-F uid=root`, `output.file.user`/`group`,
//! the names the enricher adds to events), through the system's user
//! database so NSS (files, LDAP, sssd) answers as it does for `id`,
//! auditctl and go-audit's `user.Lookup`.
//!
//! Lookups write into the caller's buffer (a name is made a C string on
//! the stack) and allocate only for an entry (or a database line before
//! it) larger than 4 KiB, which is then asked again with more room. A
//! rule's or the config's name → id lookup that fails (NSS unreachable)
//! answers as an unknown name does: the caller's error names the value.
//! The enricher's lookups tell a failure apart from "no such account"
//! ([`find_user_name`], [`find_group_name`], [`find_user_id`],
//! [`find_group_id`]) so that it asks again rather than remember the key
//! as unknown. [`Accounts`] lets tests supply their own database.

use std::ffi::{CStr, CString};
use std::io::{self, Write as _};

use crate::sys::passwd;

/// The uid of user `name`, if it exists.
pub fn user_id(name: &str) -> Option<u32> {
    with_c_name(name, passwd::uid_of).ok().flatten()
}

/// The gid of group `name`, if it exists.
pub fn group_id(name: &str) -> Option<u32> {
    with_c_name(name, passwd::gid_of).ok().flatten()
}

/// The uid of user `name` as decimal text written into `id`, its length;
/// `Ok(None)` when no such user exists, `Err` when the lookup failed.
pub fn find_user_id(name: &str, id: &mut [u8]) -> io::Result<Option<usize>> {
    with_c_name(name, passwd::uid_of)?.map_or(Ok(None), |uid| write_decimal(uid, id))
}

/// The gid of group `name`, as [`find_user_id`].
pub fn find_group_id(name: &str, id: &mut [u8]) -> io::Result<Option<usize>> {
    with_c_name(name, passwd::gid_of)?.map_or(Ok(None), |gid| write_decimal(gid, id))
}

/// `id` in decimal at the start of `out`, its length.
fn write_decimal(id: u32, out: &mut [u8]) -> io::Result<Option<usize>> {
    let room = out.len();
    let mut rest = &mut out[..];
    write!(rest, "{id}")?;
    Ok(Some(room - rest.len()))
}

/// Longest name made a C string on the stack; a longer one (no account
/// has one) is copied to the heap.
const C_NAME_MAX: usize = 255;

/// `lookup` of `name` as a NUL-terminated string; a name with a NUL in
/// it names no account (`InvalidInput`).
fn with_c_name<R>(name: &str, lookup: impl FnOnce(&CStr) -> io::Result<R>) -> io::Result<R> {
    if name.len() > C_NAME_MAX {
        return lookup(&CString::new(name).map_err(not_a_name)?);
    }
    let mut stack = [0u8; C_NAME_MAX + 1];
    // (In bounds: the name is at most C_NAME_MAX bytes, the NUL after.)
    stack[..name.len()].copy_from_slice(name.as_bytes());
    lookup(CStr::from_bytes_with_nul(&stack[..=name.len()]).map_err(not_a_name)?)
}

/// A name with a NUL in it (no account has one).
fn not_a_name<E>(_: E) -> io::Error {
    io::ErrorKind::InvalidInput.into()
}

/// The name of user `uid` copied into `name`, with its full length (which
/// may exceed `name.len()`: then only the prefix was copied); `None` when
/// no such user exists.
pub fn user_name(uid: u32, name: &mut [u8]) -> Option<usize> {
    passwd::user_name(uid, name).ok().flatten()
}

/// The name of group `gid`, as [`user_name`].
pub fn group_name(gid: u32, name: &mut [u8]) -> Option<usize> {
    passwd::group_name(gid, name).ok().flatten()
}

/// As [`user_name`], telling a failed lookup (`Err`: NSS unreachable, an
/// entry too large) from no such user (`Ok(None)`).
pub fn find_user_name(uid: u32, name: &mut [u8]) -> io::Result<Option<usize>> {
    passwd::user_name(uid, name)
}

/// As [`group_name`], telling a failed lookup from no such group.
pub fn find_group_name(gid: u32, name: &mut [u8]) -> io::Result<Option<usize>> {
    passwd::group_name(gid, name)
}

/// Where account names are resolved: the system ([`SystemAccounts`]) or a
/// test's own table.
pub trait Accounts {
    /// The uid of user `name`, if it exists.
    fn uid(&self, name: &str) -> Option<u32>;
    /// The gid of group `name`, if it exists.
    fn gid(&self, name: &str) -> Option<u32>;
}

/// The system's user database: [`user_id`] and [`group_id`].
pub struct SystemAccounts;

impl Accounts for SystemAccounts {
    fn uid(&self, name: &str) -> Option<u32> {
        user_id(name)
    }

    fn gid(&self, name: &str) -> Option<u32> {
        group_id(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_exists_on_this_system() {
        assert_eq!(SystemAccounts.uid("root"), Some(0));
        assert_eq!(SystemAccounts.gid("root"), Some(0));
        assert_eq!(SystemAccounts.uid("no-such-user-raudit"), None);
        assert_eq!(group_id("no-such-group-raudit"), None);
        let mut name = [0u8; 32];
        let len = user_name(0, &mut name).unwrap();
        assert_eq!(&name[..len], b"root");
        let len = group_name(0, &mut name).unwrap();
        assert_eq!(&name[..len], b"root");
        assert_eq!(user_name(4_000_000_000, &mut name), None);
    }

    /// Names to ids as the enricher asks (decimal text): root is 0, a
    /// name no account has none, a name with a NUL in it a failure (no
    /// lookup), a name longer than the stack's room asked all the same.
    #[test]
    fn names_to_decimal_ids() {
        let mut id = [0u8; 16];
        let len = find_user_id("root", &mut id).unwrap().unwrap();
        assert_eq!(&id[..len], b"0");
        let len = find_group_id("root", &mut id).unwrap().unwrap();
        assert_eq!(&id[..len], b"0");
        assert_eq!(find_user_id("no-such-user-raudit", &mut id).unwrap(), None);
        assert_eq!(
            find_group_id("no-such-group-raudit", &mut id).unwrap(),
            None
        );
        assert!(find_user_id("ro\0ot", &mut id).is_err());
        let long = "x".repeat(C_NAME_MAX + 1);
        assert_eq!(find_user_id(&long, &mut id).unwrap(), None);
        assert_eq!(user_id(&format!("{long}\0")), None);
        let mut short = [0u8; 3];
        assert!(write_decimal(4_000_000_000, &mut short).is_err(), "no room");
        let len = write_decimal(4_000_000_000, &mut id).unwrap().unwrap();
        assert_eq!(&id[..len], b"4000000000");
    }

    /// Runs `body` where `/etc/passwd` and `/etc/group` are these (a
    /// private mount namespace: needs root; without, a visible skip, and a
    /// failure under `RAUDIT_REQUIRE_LIVE`, which CI sets as root);
    /// checks after that the host's answers did not change.
    fn with_databases(tag: &str, passwd: String, group: String, body: fn()) {
        let mut name = [0u8; 64];
        let host_before = (user_name(4243, &mut name), group_name(4243, &mut name));
        let dir = crate::scratch_dir::ScratchDir::new(&format!("acct-{tag}"));
        let (p, g) = (dir.join("passwd"), dir.join("group"));
        std::fs::write(&p, passwd).unwrap();
        std::fs::write(&g, group).unwrap();
        let ran = crate::sys::private_mounts::with_files_over(
            vec![(p, "/etc/passwd"), (g, "/etc/group")],
            body,
        );
        if !ran.unwrap() {
            skip!("SKIPPED: no mount namespace (not root?); {tag} lookups not checked");
        }
        let host_after = (user_name(4243, &mut name), group_name(4243, &mut name));
        assert_eq!(
            host_after, host_before,
            "the host's databases are untouched"
        );
    }

    fn base_passwd() -> String {
        "root:x:0:0:root:/root:/bin/sh\n".to_owned()
    }

    fn base_group() -> String {
        "root:x:0:\n".to_owned()
    }

    /// One group line longer than the first scratch (glibc's files backend
    /// says ERANGE for it and every group after it) does not leave them
    /// unnamed.
    #[test]
    fn a_group_with_many_members_is_named() {
        let members: Vec<String> = (0..10_000).map(|i| format!("member{i:05}")).collect();
        let group = format!(
            "{}big:x:4242:{}\nafter:x:4243:\n",
            base_group(),
            members.join(",")
        );
        with_databases("group", base_passwd(), group, || {
            let mut name = [0u8; 64];
            let len = group_name(4243, &mut name);
            assert_eq!(
                len.map(|l| &name[..l]),
                Some(&b"after"[..]),
                "the group after the big one"
            );
            let len = group_name(4242, &mut name);
            assert_eq!(
                len.map(|l| &name[..l]),
                Some(&b"big"[..]),
                "the big group itself"
            );
            assert_eq!(group_id("big"), Some(4242), "and by name");
            assert_eq!(group_id("after"), Some(4243));
            assert!(
                matches!(find_group_name(4244, &mut name), Ok(None)),
                "no such group"
            );
        });
    }

    /// As for groups, one passwd line longer than the first scratch.
    #[test]
    fn a_user_with_a_long_passwd_line_is_named() {
        let gecos = "G".repeat(5000);
        let passwd = format!("{}long:x:4242:4242:{gecos}:/home/long:/bin/sh\nafter:x:4243:4243::/home/after:/bin/sh\n", base_passwd());
        with_databases("passwd", passwd, base_group(), || {
            let mut name = [0u8; 64];
            let len = user_name(4243, &mut name);
            assert_eq!(
                len.map(|l| &name[..l]),
                Some(&b"after"[..]),
                "the user after the long line"
            );
            let len = user_name(4242, &mut name);
            assert_eq!(
                len.map(|l| &name[..l]),
                Some(&b"long"[..]),
                "the user with the long line"
            );
            assert_eq!(user_id("long"), Some(4242), "and by name");
            assert_eq!(user_id("after"), Some(4243));
            assert!(
                matches!(find_user_name(4244, &mut name), Ok(None)),
                "no such user"
            );
        });
    }
}
