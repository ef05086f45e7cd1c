//! The syscalls' normalisations ([`BY_SYSCALL`]), by table name: each
//! syscall go-libaudit's `aucoalesce` normalises, with its action, object
//! kind, ECS category and type; and three it does not name, given their
//! older siblings' (`openat2`, `fchmodat2`) or an action of their own
//! (`ptrace`). Any other syscall is [`SYSCALL_DEFAULT`](super::SYSCALL_DEFAULT).

use super::{n, net, own, Direction, Norm, Object};

const FILE_CREATE: (&[&str], &[&str]) = (&["file"], &["creation"]);
const FILE_CHANGE: (&[&str], &[&str]) = (&["file"], &["change"]);
const FILE_DELETE: (&[&str], &[&str]) = (&["file"], &["deletion"]);
/// aucoalesce's `ecs-file` macro.
const FILE_INFO: (&[&str], &[&str]) = (&["file"], &["info"]);
const START: &[&str] = &["start"];
const CONN_START: &[&str] = &["connection", "start"];
/// aucoalesce's `ecs-network` macro's type (send and receive calls).
const CONN_INFO: &[&str] = &["connection", "info"];
const PROCESS: &[&str] = &["process"];
const EGRESS: Option<Direction> = Some(Direction::Egress);
const INGRESS: Option<Direction> = Some(Direction::Ingress);

/// A call on a file (the event's path).
const fn file(
    action: &'static str,
    (c, t): (&'static [&'static str], &'static [&'static str]),
) -> Norm {
    n(action, Object::File, c, t)
}

/// A call on a mounted filesystem (the event's path: go-libaudit's
/// `filesystem` object).
const fn filesystem(
    action: &'static str,
    (c, t): (&'static [&'static str], &'static [&'static str]),
) -> Norm {
    n(action, Object::Filesystem, c, t)
}

/// A call that changes the system itself (its clock, its name).
const fn host(action: &'static str) -> Norm {
    n(action, Object::System, &["host"], &["change"])
}

const OPENED: Norm = file("opened-file", FILE_INFO);
const TRUNCATED: Norm = file("opened-file", FILE_CHANGE);
const CHECKED: Norm = file("checked-metadata-of", FILE_INFO);
const ATTRIBUTES: Norm = file("changed-file-attributes-of", FILE_CHANGE);
const PERMISSIONS: Norm = file("changed-file-permissions-of", FILE_CHANGE);
const OWNERSHIP: Norm = file("changed-file-ownership-of", FILE_CHANGE);
const TIMESTAMP: Norm = file("changed-timestamp-of", FILE_INFO);
const DELETED: Norm = file("deleted", FILE_DELETE);
const RENAMED: Norm = file("renamed", FILE_CHANGE);
const LINKED: Norm = file("linked", FILE_CREATE);
const SYMLINKED: Norm = file("symlinked", FILE_CREATE);
const MADE_DIRECTORY: Norm = file("created-directory", FILE_CREATE);
const MADE_DEVICE: Norm = file("make-device", FILE_CREATE);
const UNMOUNTED: Norm = filesystem("unmounted", FILE_DELETE);
const FS_CHECKED: Norm = filesystem("checked-filesystem-metadata-of", FILE_INFO);
const EXECUTED: Norm = n("executed", Object::File, PROCESS, START);
const MODULE_LOADED: Norm = n("loaded-kernel-module", Object::File, &["driver"], START);
const ACCEPTED: Norm = net("accepted-connection-from", CONN_START, INGRESS);
const RECEIVED: Norm = net("received-from", CONN_INFO, INGRESS);
const SENT: Norm = net("sent-to", CONN_INFO, EGRESS);
/// recv, recvmmsg, send and sendmmsg: their address has no side, as
/// aucoalesce's `addSockaddrRecord` sides only recvfrom, recvmsg,
/// sendto and sendmsg (with accept and connect).
const RECEIVED_UNSIDED: Norm = net("received-from", CONN_INFO, None);
const SENT_UNSIDED: Norm = net("sent-to", CONN_INFO, None);
const KILLED: Norm = n("killed-pid", Object::Process, PROCESS, &["end"]);
const IDENTITY: Norm = own("changed-identity-of", &["change"]);
const SCHEDULING: Norm = own("adjusted-scheduling-policy-of", &["change"]);
const MEMORY: Norm = n("allocated-memory", Object::Memory, PROCESS, &["info"]);
const TIME: Norm = host("changed-system-time");
const NAME: Norm = host("changed-system-name");

/// By syscall name (the table name for the event's arch). Sorted.
pub(super) static BY_SYSCALL: &[(&str, Norm)] = &[
    ("accept", ACCEPTED),
    ("accept4", ACCEPTED),
    ("access", CHECKED),
    ("adjtimex", TIME),
    ("bind", net("bound-socket", START, None)),
    ("brk", MEMORY),
    ("chmod", PERMISSIONS),
    ("chown", OWNERSHIP),
    ("clock_adjtime", TIME),
    ("clock_settime", TIME),
    ("connect", net("connected-to", CONN_START, EGRESS)),
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
    ("execve", EXECUTED),
    ("execveat", EXECUTED),
    ("exit_group", own("end", &["end"])),
    ("faccessat", CHECKED),
    ("fallocate", TRUNCATED),
    ("fchmod", PERMISSIONS),
    ("fchmodat", PERMISSIONS),
    ("fchmodat2", PERMISSIONS),
    ("fchown", OWNERSHIP),
    ("fchownat", OWNERSHIP),
    ("fgetxattr", CHECKED),
    ("finit_module", MODULE_LOADED),
    ("fremovexattr", ATTRIBUTES),
    ("fsetxattr", ATTRIBUTES),
    ("fstat", CHECKED),
    ("fstatat", CHECKED),
    ("fstatfs", FS_CHECKED),
    ("ftruncate", TRUNCATED),
    ("futimens", TIMESTAMP),
    ("futimesat", TIMESTAMP),
    ("getxattr", CHECKED),
    ("init_module", MODULE_LOADED),
    ("kill", KILLED),
    ("lchown", OWNERSHIP),
    ("lgetxattr", CHECKED),
    ("link", LINKED),
    ("linkat", LINKED),
    ("listen", net("listen-for-connections", START, None)),
    ("lremovexattr", ATTRIBUTES),
    ("lsetxattr", ATTRIBUTES),
    ("lstat", CHECKED),
    ("mkdir", MADE_DIRECTORY),
    ("mkdirat", MADE_DIRECTORY),
    ("mknod", MADE_DEVICE),
    ("mknodat", MADE_DEVICE),
    ("mmap", MEMORY),
    ("mmap2", MEMORY),
    ("mount", filesystem("mounted", FILE_CREATE)),
    ("newfstatat", CHECKED),
    ("open", OPENED),
    ("openat", OPENED),
    ("openat2", OPENED),
    (
        "ptrace",
        n("traced-process", Object::Process, PROCESS, &["access"]),
    ),
    ("read", file("read-file", FILE_INFO)),
    ("readlink", OPENED),
    ("readlinkat", OPENED),
    ("recv", RECEIVED_UNSIDED),
    ("recvfrom", RECEIVED),
    ("recvmmsg", RECEIVED_UNSIDED),
    ("recvmsg", RECEIVED),
    ("removexattr", ATTRIBUTES),
    ("rename", RENAMED),
    ("renameat", RENAMED),
    ("renameat2", RENAMED),
    ("rmdir", DELETED),
    ("sched_setattr", SCHEDULING),
    ("sched_setparam", SCHEDULING),
    ("sched_setscheduler", SCHEDULING),
    ("send", SENT_UNSIDED),
    ("sendmmsg", SENT_UNSIDED),
    ("sendmsg", SENT),
    ("sendto", SENT),
    ("setdomainname", NAME),
    ("setegid", IDENTITY),
    ("seteuid", IDENTITY),
    ("setfsgid", IDENTITY),
    ("setfsuid", IDENTITY),
    ("setgid", IDENTITY),
    ("sethostname", NAME),
    ("setregid", IDENTITY),
    ("setresgid", IDENTITY),
    ("setresuid", IDENTITY),
    ("setreuid", IDENTITY),
    ("settimeofday", TIME),
    ("setuid", IDENTITY),
    ("setxattr", ATTRIBUTES),
    ("stat", CHECKED),
    ("stat64", CHECKED),
    ("statfs", FS_CHECKED),
    ("stime", TIME),
    ("symlink", SYMLINKED),
    ("symlinkat", SYMLINKED),
    ("tgkill", KILLED),
    ("tkill", KILLED),
    ("truncate", TRUNCATED),
    ("umount", UNMOUNTED),
    ("umount2", UNMOUNTED),
    ("unlink", DELETED),
    ("unlinkat", DELETED),
    ("utime", TIMESTAMP),
    ("utimensat", TIMESTAMP),
    ("utimes", TIMESTAMP),
    ("write", file("wrote-to-file", FILE_CHANGE)),
];
