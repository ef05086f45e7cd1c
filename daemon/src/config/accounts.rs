//! User and group names to ids, for `output.file.user`/`group`: resolved
//! once, when the config is read, through the system's user database (NSS,
//! as go-audit's `user.Lookup` does). A trait so tests can supply their own.

use crate::sys::passwd;

/// Where account names are resolved.
pub trait Accounts {
    /// The uid of user `name`, if it exists.
    fn uid(&self, name: &str) -> Option<u32>;
    /// The gid of group `name`, if it exists.
    fn gid(&self, name: &str) -> Option<u32>;
}

/// The system's user database (`getpwnam_r`, `getgrnam_r`).
pub struct SystemAccounts;

impl Accounts for SystemAccounts {
    fn uid(&self, name: &str) -> Option<u32> {
        passwd::uid_of(name).ok().flatten()
    }

    fn gid(&self, name: &str) -> Option<u32> {
        passwd::gid_of(name).ok().flatten()
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
    }
}
