//! io_uring operation names for `-a always,io_uring -S OP`, both
//! directions. The table is libaudit's `lib/uringop_table.h` (audit-userspace
//! 4.1.3, following Linux 6.19): only the operations the kernel audits (those
//! without `audit_skip` in `io_uring/opdef.c`), numbered as
//! `enum io_uring_op` in `<linux/io_uring.h>`. Names resolve in any case, as
//! libaudit's generated `uringop_s2i` (`--lowercase`) resolves them.
//!
//! The operation numbers are bits of the rule's syscall mask, exactly where a
//! syscall's bit would be on the exit list.

use super::eq_ignore_case;

/// `IORING_OP_LAST` of the kernel the table follows: `-S all` on the
/// io_uring list sets the bit of every named operation below it, and
/// `auditctl -l` looks for operations below it.
pub const OP_LAST: u32 = 65;

/// `(number, name)` sorted by number (`uringop_table.h`).
pub static OPS: &[(u16, &str)] = &[
    (9, "sendmsg"),
    (10, "recvmsg"),
    (13, "accept"),
    (16, "connect"),
    (17, "fallocate"),
    (18, "openat"),
    (19, "close"),
    (28, "openat2"),
    (34, "shutdown"),
    (35, "renameat"),
    (36, "unlinkat"),
    (37, "mkdirat"),
    (38, "symlinkat"),
    (39, "linkat"),
    (40, "msg_ring"),
    (41, "fsetxattr"),
    (42, "setxattr"),
    (43, "fgetxattr"),
    (44, "getxattr"),
    (46, "uring_cmd"),
    (48, "sendmsg_zc"),
    (50, "waitid"),
    (51, "futex_wait"),
    (52, "futex_wake"),
    (53, "futex_waitv"),
    (54, "fixed_fd_install"),
    (55, "ftruncate"),
    (56, "bind"),
    (57, "listen"),
    (64, "uring_cmd128"),
];

/// The name of operation `op`.
pub fn name(op: u32) -> Option<&'static str> {
    let op = u16::try_from(op).ok()?;
    let at = OPS.partition_point(|&(n, _)| n < op);
    match OPS.get(at) {
        Some(&(n, name)) if n == op => Some(name),
        _ => None,
    }
}

/// The number of operation `name` (any case).
pub fn number(name: &[u8]) -> Option<u32> {
    OPS.iter()
        .find(|(_, n)| eq_ignore_case(n.as_bytes(), name))
        .map(|&(n, _)| u32::from(n))
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::string::String;
    use std::vec::Vec;

    use super::*;

    #[test]
    fn sorted_unique_and_below_last() {
        assert!(OPS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(OPS.iter().all(|&(n, _)| u32::from(n) < OP_LAST));
        let mut names: Vec<&str> = OPS.iter().map(|&(_, s)| s).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OPS.len());
    }

    #[test]
    fn lookups() {
        assert_eq!(number(b"openat"), Some(18));
        assert_eq!(number(b"OpenAt2"), Some(28));
        assert_eq!(number(b"connect"), Some(16));
        assert_eq!(number(b"uring_cmd128"), Some(64));
        // A syscall name that is not an audited operation.
        assert_eq!(number(b"read"), None);
        assert_eq!(number(b""), None);
        assert_eq!(name(9), Some("sendmsg"));
        assert_eq!(name(57), Some("listen"));
        assert_eq!(name(0), None);
        assert_eq!(name(47), None);
        assert_eq!(name(1 << 20), None);
    }

    /// The numbers agree with `enum io_uring_op` of this machine's kernel
    /// headers, for the operations those headers know (older headers stop
    /// early; a renumbering would be a table bug). Built as ignored without
    /// the header (`tests/build_env.rs`).
    #[test]
    #[cfg_attr(
        raudit_no_kernel_headers,
        ignore = "no kernel headers (Debian package linux-libc-dev)"
    )]
    fn numbers_match_linux_io_uring_h() {
        let header = std::fs::read_to_string("/usr/include/linux/io_uring.h")
            .expect("<linux/io_uring.h> (RAUDIT_REQUIRE_LIVE=1, or it vanished after the build)");
        let start = header
            .find("enum io_uring_op {")
            .expect("enum io_uring_op in <linux/io_uring.h>");
        let body = &header[start..];
        let body = &body[..body.find('}').unwrap_or(body.len())];
        // Plain enumerators, in order; none of them has an explicit value.
        let enumerators: Vec<String> = body
            .lines()
            .filter_map(|l| l.trim().strip_prefix("IORING_OP_"))
            .map(|l| l.trim_end_matches(',').to_ascii_lowercase())
            .collect();
        assert!(enumerators.len() > 40, "{enumerators:?}");
        let mut checked = 0;
        for &(n, name) in OPS {
            if let Some(at) = enumerators.iter().position(|e| e == name) {
                assert_eq!(at, usize::from(n), "{name}");
                checked += 1;
            }
        }
        assert!(checked >= 20, "only {checked} ops found in the header");
    }
}
