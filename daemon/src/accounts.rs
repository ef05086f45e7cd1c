//! Users and groups, names ↔ ids: the one route every part of raudit
//! takes (rule values such as `-F uid=root`, `output.file.user`/`group`,
//! the names the enricher adds to events), through the system's user
//! database so NSS (files, LDAP, sssd) answers as it does for `id`,
//! auditctl and go-audit's `user.Lookup`.
//!
//! Name → id lookups allocate (start-up and reload only); id → name
//! lookups write into the caller's buffer and allocate only for an entry
//! (or a database line before it) larger than 4 KiB, which is then asked
//! again with more room. A name → id lookup that fails (NSS unreachable)
//! answers as an unknown name does: the caller's error names the value.
//! An id → name lookup that fails is told apart from "no such id"
//! ([`find_user_name`], [`find_group_name`]) so that the enricher asks
//! again rather than remember the id as unknown. [`Accounts`] lets tests
//! supply their own database.

use std::io;

use crate::sys::passwd;

/// The uid of user `name`, if it exists.
pub fn user_id(name: &str) -> Option<u32> {
    passwd::uid_of(name).ok().flatten()
}

/// The gid of group `name`, if it exists.
pub fn group_id(name: &str) -> Option<u32> {
    passwd::gid_of(name).ok().flatten()
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

    /// Runs `body` where `/etc/passwd` and `/etc/group` are these (a
    /// private mount namespace: needs root, says so on stderr without);
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
            eprintln!("note: no mount namespace (not root?); {tag} lookups not checked");
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
