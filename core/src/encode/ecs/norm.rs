//! What an event *is* in ECS terms: `event.category`, `event.type`, the
//! summary's `action` and the kind of its `object`, by syscall name or by
//! record type. Written after the behaviour of go-libaudit's `aucoalesce`
//! normalisations (which Auditbeat's dashboards and detection rules key
//! on), for the syscalls and record types the shared goldens and common
//! rule sets exercise; anything else falls back to the record type's
//! generic form (SYSCALL: `process`/`info`, no action). As aucoalesce
//! does, a record type's category and type are followed by those of the
//! event's syscall ([`Norm::adding`]). Two static tables, sorted (a test
//! checks the order): the record types' binary searched, the syscalls'
//! (one lookup every syscall event) by a perfect hash ([`NameHash`]).

use super::name_hash::NameHash;

/// The object a summary names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Object {
    File,
    Socket,
    Process,
    System,
    UserSession,
    Service,
    AuditConfig,
    Device,
    Firewall,
    /// An LSM policy decision (AVC).
    Policy,
    /// The account an account record adds, deletes or changes (its
    /// `id`, else its `acct`).
    Account,
    None,
}

impl Object {
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Object::File => "file",
            Object::Socket => "socket",
            Object::Process => "process",
            Object::System => "system",
            Object::UserSession => "user-session",
            Object::Service => "service",
            Object::AuditConfig => "audit-config",
            Object::Device => "network-device",
            Object::Firewall => "firewall",
            Object::Policy => "policy",
            Object::Account => "account",
            Object::None => return None,
        })
    }
}

/// Where a socket syscall's address goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `destination.*`, `network.direction: egress` (connect, sendto).
    Egress,
    /// `source.*`, `network.direction: ingress` (accept, recvfrom).
    Ingress,
}

/// One normalisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Norm {
    pub action: Option<&'static str>,
    pub object: Object,
    pub category: &'static [&'static str],
    pub kind_type: &'static [&'static str],
    pub direction: Option<Direction>,
    /// `event.kind: alert` rather than `event`.
    pub alert: bool,
    /// `summary.how` is the syscall, not the executable: go-libaudit's
    /// `how: syscall`, the calls that change the caller itself (its ids,
    /// its scheduling, its end), whose process object has no primary.
    pub how_syscall: bool,
    /// The category and type of the event's syscall, written after the
    /// record type's own (aucoalesce's `applyNormalization` adds them).
    pub added: Option<(&'static [&'static str], &'static [&'static str])>,
}

impl Norm {
    /// This record type's normalisation with that of the event's
    /// syscall added (unless both are one normalisation: the same
    /// action, as TIME_INJOFFSET's and adjtimex's).
    pub fn adding(self, call: Norm) -> Norm {
        if call.action.is_some() && call.action == self.action {
            return self;
        }
        Norm {
            added: Some((call.category, call.kind_type)),
            ..self
        }
    }

    /// `event.category`'s items: the record type's, then the added.
    pub fn categories(&self) -> impl Iterator<Item = &'static str> + '_ {
        let added = self.added.map_or(&[][..], |(c, _)| c);
        self.category.iter().chain(added).copied()
    }

    /// `event.type`'s items: the record type's, then the added; none
    /// when neither has one (Auditbeat's normalizeEventFields then writes
    /// no `event.type`).
    pub fn types(&self) -> impl Iterator<Item = &'static str> + '_ {
        let added = self.added.map_or(&[][..], |(_, t)| t);
        self.kind_type.iter().chain(added).copied()
    }
}

const fn n(
    action: &'static str,
    object: Object,
    category: &'static [&'static str],
    kind_type: &'static [&'static str],
) -> Norm {
    Norm {
        action: Some(action),
        object,
        category,
        kind_type,
        direction: None,
        alert: false,
        how_syscall: false,
        added: None,
    }
}

/// A socket syscall; `d` where its address goes (none for bind and
/// listen, whose address is the local one: go-libaudit writes neither
/// side for them).
const fn net(
    action: &'static str,
    kind_type: &'static [&'static str],
    d: Option<Direction>,
) -> Norm {
    Norm {
        action: Some(action),
        object: Object::Socket,
        category: &["network"],
        kind_type,
        direction: d,
        alert: false,
        how_syscall: false,
        added: None,
    }
}

/// A call that changes the caller itself ([`Norm::how_syscall`]).
const fn own(action: &'static str, kind_type: &'static [&'static str]) -> Norm {
    Norm {
        how_syscall: true,
        ..n(action, Object::Process, &["process"], kind_type)
    }
}

/// A syscall no table entry names.
pub const SYSCALL_DEFAULT: Norm = Norm {
    action: None,
    object: Object::None,
    category: &["process"],
    kind_type: &["info"],
    direction: None,
    alert: false,
    how_syscall: false,
    added: None,
};

/// A record type no table entry names (go-libaudit finds no
/// normalisation: no ECS category or type).
pub const RECORD_DEFAULT: Norm = Norm {
    action: None,
    object: Object::None,
    category: &[],
    kind_type: &[],
    direction: None,
    alert: false,
    how_syscall: false,
    added: None,
};

const FILE_CREATE: (&[&str], &[&str]) = (&["file"], &["creation"]);
const FILE_CHANGE: (&[&str], &[&str]) = (&["file"], &["change"]);
const FILE_DELETE: (&[&str], &[&str]) = (&["file"], &["deletion"]);
const FILE_INFO: (&[&str], &[&str]) = (&["file"], &["info"]);
const HOST_CHANGE: (&[&str], &[&str]) = (&["host"], &["change"]);
const START: &[&str] = &["start"];
const CONN_START: &[&str] = &["connection", "start"];
/// aucoalesce's `ecs-network` macro's type (send and receive calls).
const CONN_INFO: &[&str] = &["connection", "info"];

const fn file(
    action: &'static str,
    (c, t): (&'static [&'static str], &'static [&'static str]),
) -> Norm {
    n(action, Object::File, c, t)
}

/// By syscall name (the table name for the event's arch). Sorted.
static BY_SYSCALL: &[(&str, Norm)] = &[
    (
        "accept",
        net(
            "accepted-connection-from",
            CONN_START,
            Some(Direction::Ingress),
        ),
    ),
    (
        "accept4",
        net(
            "accepted-connection-from",
            CONN_START,
            Some(Direction::Ingress),
        ),
    ),
    (
        "adjtimex",
        n(
            "changed-system-time",
            Object::System,
            HOST_CHANGE.0,
            HOST_CHANGE.1,
        ),
    ),
    ("bind", net("bound-socket", START, None)),
    ("chmod", file("changed-file-permissions-of", FILE_CHANGE)),
    ("chown", file("changed-file-ownership-of", FILE_CHANGE)),
    (
        "clock_adjtime",
        n(
            "changed-system-time",
            Object::System,
            HOST_CHANGE.0,
            HOST_CHANGE.1,
        ),
    ),
    (
        "clock_settime",
        n(
            "changed-system-time",
            Object::System,
            HOST_CHANGE.0,
            HOST_CHANGE.1,
        ),
    ),
    (
        "connect",
        net("connected-to", CONN_START, Some(Direction::Egress)),
    ),
    ("creat", file("opened-file", FILE_CREATE)),
    (
        "delete_module",
        n(
            "unloaded-kernel-module",
            Object::File,
            &["driver"],
            &["end"],
        ),
    ),
    ("execve", n("executed", Object::File, &["process"], START)),
    ("execveat", n("executed", Object::File, &["process"], START)),
    ("fchmod", file("changed-file-permissions-of", FILE_CHANGE)),
    ("fchmodat", file("changed-file-permissions-of", FILE_CHANGE)),
    (
        "fchmodat2",
        file("changed-file-permissions-of", FILE_CHANGE),
    ),
    ("fchown", file("changed-file-ownership-of", FILE_CHANGE)),
    ("fchownat", file("changed-file-ownership-of", FILE_CHANGE)),
    (
        "finit_module",
        n("loaded-kernel-module", Object::File, &["driver"], START),
    ),
    (
        "init_module",
        n("loaded-kernel-module", Object::File, &["driver"], START),
    ),
    (
        "kill",
        n("killed-pid", Object::Process, &["process"], &["end"]),
    ),
    ("lchown", file("changed-file-ownership-of", FILE_CHANGE)),
    ("link", file("linked", FILE_CREATE)),
    ("linkat", file("linked", FILE_CREATE)),
    ("listen", net("listen-for-connections", START, None)),
    ("mkdir", file("created-directory", FILE_CREATE)),
    ("mkdirat", file("created-directory", FILE_CREATE)),
    ("mknod", file("make-device", FILE_CREATE)),
    ("mknodat", file("make-device", FILE_CREATE)),
    ("mount", file("mounted", FILE_CREATE)),
    ("open", file("opened-file", FILE_INFO)),
    ("openat", file("opened-file", FILE_INFO)),
    ("openat2", file("opened-file", FILE_INFO)),
    (
        "ptrace",
        n("traced-process", Object::Process, &["process"], &["access"]),
    ),
    ("read", file("read-file", FILE_INFO)),
    (
        "recvfrom",
        net("received-from", CONN_INFO, Some(Direction::Ingress)),
    ),
    (
        "recvmsg",
        net("received-from", CONN_INFO, Some(Direction::Ingress)),
    ),
    ("rename", file("renamed", FILE_CHANGE)),
    ("renameat", file("renamed", FILE_CHANGE)),
    ("renameat2", file("renamed", FILE_CHANGE)),
    ("rmdir", file("deleted", FILE_DELETE)),
    (
        "sendmsg",
        net("sent-to", CONN_INFO, Some(Direction::Egress)),
    ),
    ("sendto", net("sent-to", CONN_INFO, Some(Direction::Egress))),
    ("setgid", own("changed-identity-of", &["change"])),
    ("setregid", own("changed-identity-of", &["change"])),
    ("setresgid", own("changed-identity-of", &["change"])),
    ("setresuid", own("changed-identity-of", &["change"])),
    ("setreuid", own("changed-identity-of", &["change"])),
    (
        "settimeofday",
        n(
            "changed-system-time",
            Object::System,
            HOST_CHANGE.0,
            HOST_CHANGE.1,
        ),
    ),
    ("setuid", own("changed-identity-of", &["change"])),
    (
        "stime",
        n(
            "changed-system-time",
            Object::System,
            HOST_CHANGE.0,
            HOST_CHANGE.1,
        ),
    ),
    ("symlink", file("symlinked", FILE_CREATE)),
    ("symlinkat", file("symlinked", FILE_CREATE)),
    (
        "tkill",
        n("killed-pid", Object::Process, &["process"], &["end"]),
    ),
    ("truncate", file("opened-file", FILE_CHANGE)),
    ("umount", file("unmounted", FILE_DELETE)),
    ("umount2", file("unmounted", FILE_DELETE)),
    ("unlink", file("deleted", FILE_DELETE)),
    ("unlinkat", file("deleted", FILE_DELETE)),
    ("write", file("wrote-to-file", FILE_CHANGE)),
];

/// go-libaudit's `ecs-iam` category.
const IAM: &[&str] = &["iam"];
const AUTH_INFO: (&[&str], &[&str]) = (&["authentication"], &["info"]);
const CONFIG_CHANGE: (&[&str], &[&str]) = (&["process", "configuration"], &["change"]);

const fn user(
    action: &'static str,
    object: Object,
    (c, t): (&'static [&'static str], &'static [&'static str]),
) -> Norm {
    n(action, object, c, t)
}

/// By record type name, for events whose first record is not SYSCALL.
/// Sorted.
static BY_TYPE: &[(&str, Norm)] = &[
    (
        "ACCT_LOCK",
        n("locked-account", Object::None, IAM, &["user", "info"]),
    ),
    (
        "ACCT_UNLOCK",
        n("unlocked-account", Object::None, IAM, &["user", "info"]),
    ),
    (
        "ADD_GROUP",
        n(
            "added-group-account-to",
            Object::Account,
            IAM,
            &["group", "creation"],
        ),
    ),
    (
        "ADD_USER",
        n(
            "added-user-account",
            Object::Account,
            IAM,
            &["user", "creation"],
        ),
    ),
    (
        "ANOM_ABEND",
        Norm {
            action: Some("crashed-program"),
            object: Object::Process,
            category: &["process", "intrusion_detection"],
            kind_type: &["end", "info"],
            direction: None,
            alert: true,
            how_syscall: false,
            added: None,
        },
    ),
    (
        "ANOM_PROMISCUOUS",
        Norm {
            action: Some("changed-promiscuous-mode-on-device"),
            object: Object::Device,
            category: &["intrusion_detection"],
            kind_type: &["info", "change"],
            direction: None,
            alert: true,
            how_syscall: false,
            added: None,
        },
    ),
    (
        "CONFIG_CHANGE",
        user(
            "changed-audit-configuration",
            Object::AuditConfig,
            CONFIG_CHANGE,
        ),
    ),
    (
        "CRED_ACQ",
        user("acquired-credentials", Object::UserSession, AUTH_INFO),
    ),
    (
        "CRED_DISP",
        user("disposed-credentials", Object::UserSession, AUTH_INFO),
    ),
    (
        "CRED_REFR",
        user("refreshed-credentials", Object::UserSession, AUTH_INFO),
    ),
    (
        "CRYPTO_KEY_USER",
        user(
            "negotiated-crypto-key",
            Object::UserSession,
            (&["process"], &["info"]),
        ),
    ),
    (
        "CRYPTO_SESSION",
        user(
            "started-crypto-session",
            Object::UserSession,
            (&["process"], &["info"]),
        ),
    ),
    (
        "DEL_GROUP",
        n(
            "deleted-group-account-from",
            Object::Account,
            IAM,
            &["group", "deletion"],
        ),
    ),
    (
        "DEL_USER",
        n(
            "deleted-user-account",
            Object::Account,
            IAM,
            &["user", "deletion"],
        ),
    ),
    (
        "GRP_AUTH",
        user("authenticated-to-group", Object::None, AUTH_INFO),
    ),
    (
        "GRP_CHAUTHTOK",
        user(
            "changed-group-password",
            Object::UserSession,
            (IAM, &["group", "change"]),
        ),
    ),
    (
        "GRP_MGMT",
        n(
            "modified-group-account",
            Object::Account,
            IAM,
            &["group", "change"],
        ),
    ),
    (
        "LOGIN",
        user(
            "changed-login-id-to",
            Object::UserSession,
            (&["authentication"], START),
        ),
    ),
    (
        "NETFILTER_CFG",
        user(
            "loaded-firewall-rule-to",
            Object::Firewall,
            (&["configuration"], &["change"]),
        ),
    ),
    (
        "ROLE_ASSIGN",
        n(
            "assigned-user-role-to",
            Object::Account,
            IAM,
            &["user", "change"],
        ),
    ),
    (
        "ROLE_MODIFY",
        n("modified-role", Object::None, IAM, &["change"]),
    ),
    (
        "ROLE_REMOVE",
        n(
            "removed-user-role-from",
            Object::Account,
            IAM,
            &["user", "change"],
        ),
    ),
    (
        "SECCOMP",
        n("violated-seccomp-policy", Object::Process, &[], &[]),
    ),
    (
        "SERVICE_START",
        user("started-service", Object::Service, (&["process"], START)),
    ),
    (
        "SERVICE_STOP",
        user("stopped-service", Object::Service, (&["process"], &["end"])),
    ),
    (
        "TIME_ADJNTPVAL",
        user("changed-system-time", Object::System, HOST_CHANGE),
    ),
    (
        "TIME_INJOFFSET",
        user("changed-system-time", Object::System, HOST_CHANGE),
    ),
    (
        "USER_ACCT",
        user("was-authorized", Object::UserSession, AUTH_INFO),
    ),
    (
        "USER_AUTH",
        user("authenticated", Object::UserSession, AUTH_INFO),
    ),
    (
        "USER_CHAUTHTOK",
        user(
            "changed-password",
            Object::UserSession,
            (&["iam"], &["user", "change"]),
        ),
    ),
    (
        "USER_CMD",
        user("ran-command", Object::Process, (&["process"], START)),
    ),
    (
        "USER_END",
        user(
            "ended-session",
            Object::UserSession,
            (&["session"], &["end"]),
        ),
    ),
    ("USER_ERR", user("error", Object::UserSession, AUTH_INFO)),
    (
        "USER_LOGIN",
        user(
            "logged-in",
            Object::UserSession,
            (&["authentication"], START),
        ),
    ),
    (
        "USER_LOGOUT",
        user(
            "logged-out",
            Object::UserSession,
            (&["authentication"], &["end"]),
        ),
    ),
    (
        "USER_MGMT",
        user(
            "modified-user-account",
            Object::UserSession,
            (IAM, &["user", "change"]),
        ),
    ),
    (
        "USER_ROLE_CHANGE",
        n("changed-role-to", Object::UserSession, &[], &[]),
    ),
    (
        "USER_START",
        user(
            "started-session",
            Object::UserSession,
            (&["session"], START),
        ),
    ),
];

/// [`BY_SYSCALL`]'s names hashed (once an event: a binary search's
/// steps were each a branch that follows the name).
static BY_SYSCALL_HASH: NameHash = NameHash::of(BY_SYSCALL);

/// The normalisation of a syscall (by its table name).
pub fn of_syscall(name: &str) -> Norm {
    match BY_SYSCALL_HASH
        .index(name.as_bytes())
        .and_then(|i| BY_SYSCALL.get(i))
    {
        Some(&(known, norm)) if known == name => norm,
        _ => SYSCALL_DEFAULT,
    }
}

/// An AVC record's: AppArmor's when it has an `apparmor=` field, else
/// SELinux's.
pub fn of_avc(apparmor: bool) -> Norm {
    let action = if apparmor {
        "violated-apparmor-policy"
    } else {
        "violated-selinux-policy"
    };
    // (No category or type of its own: the syscall's are added.)
    n(action, Object::Policy, &[], &[])
}

/// The normalisation of a non-syscall event (by its first record's type
/// name).
pub fn of_type(name: &str) -> Norm {
    known_type(name).unwrap_or(RECORD_DEFAULT)
}

/// The normalisation the table has for record type `name`.
pub fn known_type(name: &str) -> Option<Norm> {
    BY_TYPE
        .binary_search_by(|&(s, _)| inline_cmp(s, name))
        .ok()
        .and_then(|i| BY_TYPE.get(i))
        .map(|&(_, norm)| norm)
}

/// `a.cmp(b)` byte by byte in place: the names are a few bytes long,
/// shorter to compare here than in a call to `memcmp` each.
#[inline(always)]
fn inline_cmp(a: &str, b: &str) -> core::cmp::Ordering {
    a.as_bytes().iter().cmp(b.as_bytes().iter())
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn inline_cmp_orders_as_str() {
        let names: std::vec::Vec<&str> = BY_SYSCALL
            .iter()
            .chain(BY_TYPE)
            .map(|&(s, _)| s)
            .chain(["", "a", "open", "openat2", "\u{e9}", "OPEN"])
            .collect();
        for a in &names {
            for b in &names {
                assert_eq!(inline_cmp(a, b), a.cmp(b), "{a} {b}");
            }
        }
    }

    #[test]
    fn tables_are_sorted() {
        assert!(BY_SYSCALL.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(BY_TYPE.windows(2).all(|w| w[0].0 < w[1].0));
    }

    /// What [`of_syscall`] found before the hash: the binary search.
    fn searched(name: &str) -> Norm {
        BY_SYSCALL
            .binary_search_by(|&(s, _)| s.cmp(name))
            .map_or(SYSCALL_DEFAULT, |i| BY_SYSCALL[i].1)
    }

    /// Every name the syscall tables have (on every machine), each of
    /// [`BY_SYSCALL`]'s and some near them: the hash finds what the
    /// search does.
    #[test]
    fn the_hash_finds_what_the_search_does() {
        use crate::tables::arch::Machine;
        let tables = Machine::ALL.into_iter().flat_map(|m| {
            crate::tables::syscall::table(m)
                .iter()
                .map(|&(_, name)| name)
        });
        let own = BY_SYSCALL.iter().map(|&(name, _)| name);
        let near = [
            "", "a", "open2", "execv", "execvee", "Execve", "\u{e9}", "rename\0",
        ];
        for name in tables.chain(own).chain(near) {
            assert_eq!(of_syscall(name), searched(name), "{name:?}");
        }
        for (name, norm) in BY_SYSCALL {
            assert_eq!(of_syscall(name), *norm, "{name}");
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(of_syscall("execve").action, Some("executed"));
        assert_eq!(of_syscall("getpid"), SYSCALL_DEFAULT);
        assert_eq!(of_type("USER_LOGIN").action, Some("logged-in"));
        assert_eq!(of_type("AVC"), RECORD_DEFAULT);
        assert_eq!(of_syscall("connect").direction, Some(Direction::Egress));
    }
}
