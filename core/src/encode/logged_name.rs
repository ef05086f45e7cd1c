//! [`LoggedName`]: an account's name as a record logged it, its own text
//! or the hex the kernel and PAM write for a name with a space, a quote,
//! a byte beyond ASCII (`"José García"` of an LDAP or SSSD account) or
//! sshd's `(invalid user)`. The one rule for the bytes an enricher is
//! asked the id of ([`Enrich::user_id`](super::Enrich::user_id),
//! [`Enrich::group_id`](super::Enrich::group_id)): the decoded name, as
//! Auditbeat's `resolve_ids` looks up the text aucoalesce decoded. Hex is
//! decoded on the stack, never into the event.

use crate::record::decode_looked_hex;

/// Longest name asked about, in bytes once decoded: Linux's
/// `LOGIN_NAME_MAX` (an enricher may know shorter names only).
pub const LOGGED_NAME_MAX: usize = 256;

/// An account's name as a record logged it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoggedName<'a> {
    /// The value's bytes, as the record holds them.
    logged: &'a [u8],
    /// `logged` is hex digits (as `looks_hex` accepts them) whose decoding
    /// is the name.
    hex: bool,
}

impl<'a> LoggedName<'a> {
    /// A name the record writes as its own text.
    pub const fn text(logged: &'a [u8]) -> LoggedName<'a> {
        LoggedName { logged, hex: false }
    }

    /// A name the record writes hex-encoded: `digits` are upper-case hex
    /// digits (another byte decodes to an unspecified byte, never a
    /// panic).
    pub const fn hex(digits: &'a [u8]) -> LoggedName<'a> {
        LoggedName {
            logged: digits,
            hex: true,
        }
    }

    /// Calls `f` with the name's bytes, decoded on the stack when the
    /// record hex-encoded them: the key an enricher resolves and is
    /// later asked about. `None` (`f` not called) when they are no name an
    /// account can have: empty, not UTF-8, with a NUL, longer than
    /// [`LOGGED_NAME_MAX`].
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if !self.hex {
            return is_name(self.logged).then(|| f(self.logged));
        }
        let mut buf = [0u8; LOGGED_NAME_MAX];
        let n = decode_looked_hex(self.logged, &mut buf)?;
        let name = buf.get(..n)?;
        is_name(name).then(|| f(name))
    }

    /// [`with_bytes`](Self::with_bytes) would call its function: the name
    /// is asked about.
    pub fn is_asked(self) -> bool {
        self.with_bytes(|_| ()).is_some()
    }
}

/// `bytes` can be an account's name: not empty, UTF-8, no NUL, at most
/// [`LOGGED_NAME_MAX`] bytes.
fn is_name(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes.len() <= LOGGED_NAME_MAX
        && !bytes.contains(&0)
        && core::str::from_utf8(bytes).is_ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec::Vec;

    fn bytes(name: LoggedName<'_>) -> Option<Vec<u8>> {
        name.with_bytes(<[u8]>::to_vec)
    }

    #[test]
    fn a_hex_name_is_its_decoding() {
        assert_eq!(bytes(LoggedName::hex(b"726F6F74")).unwrap(), b"root");
        let invalid = LoggedName::hex(b"28696E76616C6964207573657229");
        assert_eq!(bytes(invalid).unwrap(), b"(invalid user)");
        // "José García".
        let accented = LoggedName::hex(b"4A6F73C3A92047617263C3AD61");
        assert_eq!(bytes(accented).unwrap(), "José García".as_bytes());
        assert_eq!(bytes(LoggedName::text(b"alice")).unwrap(), b"alice");
        // Digits that are a text name are not decoded.
        assert_eq!(bytes(LoggedName::text(b"3030")).unwrap(), b"3030");
    }

    #[test]
    fn what_no_account_can_be_named_is_not_asked() {
        // Not UTF-8 (a lone 0xE9, Latin-1's é), a NUL, empty.
        for digits in [&b"4A6F73E9"[..], b"726F006F74", b""] {
            let name = LoggedName::hex(digits);
            assert_eq!(bytes(name), None, "{digits:?}");
            assert!(!name.is_asked());
        }
        assert!(!LoggedName::text(b"").is_asked());
        assert!(!LoggedName::text(b"a\xffb").is_asked());
        // The longest asked, and one byte more.
        let longest = [b'6'; 2 * LOGGED_NAME_MAX];
        assert_eq!(bytes(LoggedName::hex(&longest)).unwrap().len(), 256);
        let longer = [b'6'; 2 * LOGGED_NAME_MAX + 2];
        assert!(!LoggedName::hex(&longer).is_asked());
        assert!(!LoggedName::text(&[b'a'; LOGGED_NAME_MAX + 1]).is_asked());
        // An odd count of digits, or junk: no panic, no name.
        assert!(!LoggedName::hex(b"726").is_asked());
        let _ = LoggedName::hex(b"zz").is_asked();
    }
}
