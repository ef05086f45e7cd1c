//! Users and groups, names ↔ ids: the one route every part of raudit
//! takes (rule values such as `-F uid=root`, `output.file.user`/`group`,
//! the names the enricher adds to events), through the system's user
//! database so NSS (files, LDAP, sssd) answers as it does for `id`,
//! auditctl and go-audit's `user.Lookup`.
//!
//! Name → id lookups allocate (start-up and reload only); id → name
//! lookups write into the caller's buffer and do not. A lookup that fails
//! (NSS unreachable) answers as an unknown name does: the caller's error
//! names the value. [`Accounts`] lets tests supply their own database.

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
}
