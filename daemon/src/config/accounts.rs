//! User and group names to ids, for `output.file.user`/`group`.
//!
//! The system lookup reads `/etc/passwd` and `/etc/group` (as Go's pure
//! `os/user` does) rather than calling NSS: no `unsafe`, no surprises from
//! network directories at start. Tests and fuzzing pass their own table.

use std::path::Path;

/// Resolves account names.
pub trait Accounts {
    /// The uid of user `name`.
    fn uid(&self, name: &str) -> Option<u32>;
    /// The gid of group `name`.
    fn gid(&self, name: &str) -> Option<u32>;
}

/// `/etc/passwd` and `/etc/group`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemAccounts;

impl Accounts for SystemAccounts {
    fn uid(&self, name: &str) -> Option<u32> {
        lookup(Path::new("/etc/passwd"), name)
    }

    fn gid(&self, name: &str) -> Option<u32> {
        lookup(Path::new("/etc/group"), name)
    }
}

/// The third field of the line whose first field is `name`, in a
/// colon-separated account file (`name:password:id:…`).
fn lookup(file: &Path, name: &str) -> Option<u32> {
    let text = std::fs::read_to_string(file).ok()?;
    find_id(&text, name)
}

/// [`lookup`] over the file's text.
pub(super) fn find_id(text: &str, name: &str) -> Option<u32> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let mut fields = line.split(':');
            if fields.next()? != name {
                return None;
            }
            fields.nth(1)?.trim().parse().ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_id_field() {
        let passwd = "# comment\nroot:x:0:0:root:/root:/bin/sh\nsyslog:x:104:110::/home/syslog:/usr/sbin/nologin\n";
        assert_eq!(find_id(passwd, "root"), Some(0));
        assert_eq!(find_id(passwd, "syslog"), Some(104));
        assert_eq!(find_id(passwd, "sys"), None);
        assert_eq!(find_id("bad\nx:y\nz:x:notanumber\n", "z"), None);
    }

    #[test]
    fn root_exists_on_this_system() {
        assert_eq!(SystemAccounts.uid("root"), Some(0));
        assert_eq!(SystemAccounts.gid("root"), Some(0));
    }
}
