//! What an event *is* in ECS terms: `event.category`, `event.type`, the
//! summary's `action` and the kind of its `object`, by syscall name or by
//! record type. Written after the behaviour of go-libaudit's `aucoalesce`
//! normalisations (which Auditbeat's dashboards and detection rules key
//! on): every syscall and record type its `normalizations.yaml` names has
//! its entry, written here by hand; anything else falls back to the
//! record type's generic form (SYSCALL: `process`/`info`, no action). As
//! aucoalesce does, a record type's category and type are followed by
//! those of the event's syscall ([`Norm::adding`]). Two static tables,
//! sorted (a test checks the order): the record types'
//! ([`record_types`]) binary searched, the syscalls' ([`syscalls`], one
//! lookup every syscall event) by a perfect hash ([`NameHash`]).

use super::name_hash::NameHash;

/// The object a summary names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Object {
    File,
    Socket,
    Process,
    System,
    /// A mounted filesystem (the event's path, as a file's).
    Filesystem,
    /// The caller's memory (mmap, brk).
    Memory,
    /// An LSM's configuration (SELinux's booleans, policy, labels).
    MacConfig,
    /// A labelled printer (LABEL_LEVEL_CHANGE).
    Printer,
    VirtualMachine,
    /// What a terminal's user typed (TTY, USER_TTY).
    Keystrokes,
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
            Object::Filesystem => "filesystem",
            Object::Memory => "memory",
            Object::MacConfig => "mac-config",
            Object::Printer => "printer",
            Object::VirtualMachine => "virtual-machine",
            Object::Keystrokes => "keystrokes",
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

    /// Whether the object is the event's path (aucoalesce's `file` and
    /// `filesystem`, the objects its `setFileObject` fills).
    pub fn is_path(self) -> bool {
        matches!(self, Object::File | Object::Filesystem)
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
    /// The fields that name the summary's object, the first present of
    /// each list: aucoalesce's `object_primary` and `object_secondary`
    /// (every record type that names its object by its fields: accounts,
    /// user sessions, services, CONFIG_CHANGE, …). Empty: the object is
    /// what the kind finds (a syscall's path or address, SECCOMP's
    /// call), or none. A primary found here replaces the path
    /// (aucoalesce sets it after the path).
    pub object_fields: (&'static [&'static [u8]], &'static [&'static [u8]]),
    /// The fields the summary's actor is, the first present
    /// (aucoalesce's `subject_primary` where it is not the default,
    /// `auid`: an SELinux AVC's source context); empty, or none present:
    /// the default.
    pub actor_fields: &'static [&'static [u8]],
    /// The fields `summary.how` is, the first present: aucoalesce's
    /// `how` list, which replaces its default (the executable, or an
    /// interpreter's `comm`); empty, or none present: the default.
    pub how: &'static [&'static [u8]],
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
        object_fields: (&[], &[]),
        actor_fields: &[],
        how: &[],
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
        object_fields: (&[], &[]),
        actor_fields: &[],
        how: &[],
    }
}

/// `norm` with its object named by the first present of `primary`
/// and of `secondary` ([`Norm::object_fields`]).
const fn naming(
    norm: Norm,
    primary: &'static [&'static [u8]],
    secondary: &'static [&'static [u8]],
) -> Norm {
    Norm {
        object_fields: (primary, secondary),
        ..norm
    }
}

/// `norm` with `how` the first present of `fields` ([`Norm::how`]).
const fn how(norm: Norm, fields: &'static [&'static [u8]]) -> Norm {
    Norm {
        how: fields,
        ..norm
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
    object_fields: (&[], &[]),
    actor_fields: &[],
    how: &[],
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
    object_fields: (&[], &[]),
    actor_fields: &[],
    how: &[],
};

mod record_types;
mod syscalls;

use self::record_types::BY_TYPE;
use self::syscalls::BY_SYSCALL;

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
    // (No category or type of its own: the syscall's are added; an
    // SELinux decision names no kind of object.)
    // Its object: AppArmor's operation and mask, SELinux's target
    // context and class (and its actor the source context).
    if apparmor {
        naming(
            n("violated-apparmor-policy", Object::Policy, &[], &[]),
            &[b"operation"],
            &[b"requested_mask", b"denied_mask", b"capname"],
        )
    } else {
        Norm {
            actor_fields: &[b"scontext"],
            ..naming(
                n("violated-selinux-policy", Object::None, &[], &[]),
                &[b"tcontext"],
                &[b"tclass"],
            )
        }
    }
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

    /// Each record type's entry is named as raudit's message-type table
    /// names a type (an entry of another name would never be found).
    #[test]
    fn each_record_type_entry_is_a_known_type() {
        use crate::wire::MessageType;
        for &(name, _) in BY_TYPE {
            let known = MessageType::from_name(name.as_bytes()).and_then(MessageType::name);
            assert_eq!(known, Some(name), "{name}");
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
