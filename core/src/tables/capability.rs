//! Capability names by number (`include/uapi/linux/capability.h`,
//! `CAP_CHOWN` = 0 … `CAP_CHECKPOINT_RESTORE` = 40), in lower case without
//! the `CAP_` prefix, as auditd interprets `capability=` fields.

/// The name of capability `number`, `None` past the table.
pub fn name(number: u32) -> Option<&'static str> {
    NAMES.get(usize::try_from(number).ok()?).copied()
}

/// Indexed by number.
static NAMES: [&str; 41] = [
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn known_numbers() {
        assert_eq!(name(0), Some("chown"));
        assert_eq!(name(12), Some("net_admin"));
        assert_eq!(name(21), Some("sys_admin"));
        assert_eq!(name(40), Some("checkpoint_restore"));
        assert_eq!(name(41), None);
        assert_eq!(name(u32::MAX), None);
    }

    /// The numbers agree with this machine's `<linux/capability.h>` for
    /// every capability it defines (built as ignored without the header,
    /// `tests/build_env.rs`).
    #[test]
    #[cfg_attr(
        raudit_no_kernel_headers,
        ignore = "no kernel headers (Debian package linux-libc-dev)"
    )]
    fn numbers_match_linux_capability_h() {
        let header = std::fs::read_to_string("/usr/include/linux/capability.h")
            .expect("<linux/capability.h> (RAUDIT_REQUIRE_LIVE=1, or it vanished after the build)");
        let mut checked = 0;
        for line in header.lines() {
            let mut words = line.split_whitespace();
            let (Some("#define"), Some(macro_name), Some(value)) =
                (words.next(), words.next(), words.next())
            else {
                continue;
            };
            let (Some(cap), Ok(n)) = (macro_name.strip_prefix("CAP_"), value.parse::<u32>()) else {
                continue;
            };
            if cap == "LAST_CAP" {
                continue;
            }
            assert_eq!(
                name(n),
                Some(cap.to_ascii_lowercase().as_str()),
                "{macro_name}"
            );
            checked += 1;
        }
        assert!(checked >= 38, "only {checked} capabilities in the header");
    }
}
