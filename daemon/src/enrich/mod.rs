//! What raudit adds to the kernel's records when encoding: user names for
//! the uids in an event (go-audit's `uid_map`), group names for its gids
//! and names for the ids inside user-space records' `msg='…'` (structured
//! and ECS shapes: [`id_fields`]), ids for the accounts a record names
//! only by name (the ECS shape's, as Auditbeat's `resolve_ids` looks
//! them up), container ids for the processes in it
//! (go-audit's `extras.containers`), and the host name (the ECS shape's
//! `host.name`, read at start and every minute). The caches are bounded
//! and allocated once; [`Enricher`] prepares them from an event's records
//! before the encoder asks, and empties the account caches when the user
//! or group database changes ([`account_changes`]).

pub mod account_cache;
pub mod account_changes;
pub mod container;
pub mod lookup_budget;
pub mod process;

pub use account_cache::{NameIds, UidNames};
use account_changes::{AccountChanges, Forget};
pub use container::ContainerIds;
pub use lookup_budget::LookupBudget;
pub use process::Processes;
use raudit_core::assemble::Event;
use raudit_core::encode::id_fields::{self, id_kind, IdKind};
use raudit_core::encode::uids::{UidScanner, UidValues};
use raudit_core::encode::{Enrich, Named};
use raudit_core::record::{first_values, Fields, Value};
use raudit_core::time::Instant;
use raudit_core::wire::MessageType;

use crate::host_name;

/// Uid names and, if enabled, container ids.
pub struct Enricher {
    pub uids: UidNames,
    /// Group names by gid: the same cache over the group database.
    pub gids: UidNames,
    /// Uids and gids by user and group name (the ECS shape's); `None`
    /// when not asked for.
    pub account_ids: Option<AccountIds>,
    /// The receive thread's time all these caches' lookups may take
    /// (one for all: see [`lookup_budget`]).
    pub lookup_budget: LookupBudget,
    /// When the account caches (`uids`, `gids`, `account_ids`) forget.
    account_changes: AccountChanges,
    /// Name ids field by field: gids, and the ids the uid scan does not
    /// find (`id`, those inside `msg='…'`), as [`id_fields`] says (the
    /// structured and ECS shapes do; the go-audit shape names only its
    /// `uid_map`, and its events are not scanned for them).
    group_names: bool,
    /// Process identities (the ECS shape's `process.entity_id`,
    /// `process.parent.*`, the structured shape's `PID`/`PPID`); `None`
    /// when not asked for or no boot id.
    processes: Option<Processes>,
    pub containers: Option<ContainerIds>,
    /// Kept for every event (building one costs about as much as using it).
    uid_scanner: UidScanner,
    /// The kernel's host name (`/proc/sys/kernel/hostname`), read at start
    /// and again every [`host_name::REFRESH`] (`None`: not at all, as in
    /// replay).
    host: Option<host_name::Watch>,
    /// Also in the go-audit and structured shapes (`raudit.host_name`).
    tag_host: bool,
}

impl Enricher {
    pub fn new(uid_capacity: usize, containers: bool) -> Enricher {
        Enricher {
            uids: UidNames::new(uid_capacity),
            gids: UidNames::with_lookup(uid_capacity, crate::accounts::find_group_name),
            account_ids: None,
            lookup_budget: LookupBudget::new(),
            account_changes: AccountChanges::default(),
            group_names: false,
            processes: None,
            containers: containers.then(|| ContainerIds::new(4096)),
            uid_scanner: UidScanner::new(),
            host: Some(host_name::Watch::new(host_name::read_into)),
            tag_host: false,
        }
    }

    /// No host name at all (replay: the records may come from another
    /// host).
    pub fn without_host(mut self) -> Enricher {
        self.host = None;
        self
    }

    /// Every lookup made, however long they take (replay: no kernel waits
    /// on it).
    pub fn without_lookup_budget(mut self) -> Enricher {
        self.lookup_budget = LookupBudget::unlimited();
        self
    }

    /// Lookups not made because the budget was spent (the stats'
    /// `lookups_skipped`).
    pub fn lookups_skipped(&self) -> u64 {
        self.lookup_budget.skipped()
    }

    /// Names gids (`gid`, `egid`, `sgid`, `fsgid`, `ogid`, … every group-id
    /// field of [`id_fields`]) and the ids inside `msg='…'` for the shapes
    /// that name ids field by field.
    pub fn with_group_names(mut self, on: bool) -> Enricher {
        self.group_names = on;
        self
    }

    /// Looks up the id of an account an event names only by name (the
    /// ECS shape asks: [`Named::user_names`], [`Named::group_name`]).
    pub fn with_account_ids(mut self, on: bool) -> Enricher {
        self.account_ids = on.then(|| AccountIds {
            users: NameIds::users(NAME_CACHE),
            groups: NameIds::groups(NAME_CACHE),
        });
        self
    }

    /// Finds the identity of each event's process and parent in `/proc`
    /// (see [`process`]).
    pub fn with_processes(mut self, on: bool) -> Enricher {
        self.processes = if on { Processes::new(256) } else { None };
        self
    }

    /// Writes the host name in the go-audit and structured shapes too.
    pub fn with_host_tag(mut self, on: bool) -> Enricher {
        self.tag_host = on;
        self
    }
}

impl Enricher {
    /// The receive thread's upkeep, at `now` (its clock, once a receive):
    /// forgets every account answer older than
    /// [`ACCOUNT_TTL`](account_changes::ACCOUNT_TTL), so a change to the
    /// user or group database that no account record told is seen that
    /// late at most; reads the host name again every
    /// [`host_name::REFRESH`] (allocating only when it changed; kept when
    /// it cannot be read).
    pub fn tick(&mut self, now: Instant) {
        if self.account_changes.expired(now) {
            self.forget_accounts(Forget::All);
        }
        if let Some(host) = &mut self.host {
            host.refresh(now.0);
        }
    }

    /// An account record the receive thread saw that no event will carry
    /// (its type is outside the events range): the account caches are
    /// emptied before the next event is named (see
    /// [`AccountChanges::unassembled`]).
    pub fn note_unassembled_account_record(&mut self) {
        self.account_changes.unassembled();
    }

    /// Empties the account caches before `event` is named when it, or the
    /// event named before it, changed the user or group database.
    fn follow_account_changes(&mut self, event: &Event<'_>) {
        let first = event.records().next().map(|r| r.msg_type);
        let id = (event.serial(), event.timestamp());
        let forget = self.account_changes.before_event(id, first);
        self.forget_accounts(forget);
    }

    fn forget_accounts(&mut self, forget: Forget) {
        if forget == Forget::Nothing {
            return;
        }
        self.uids.forget(forget);
        self.gids.forget(forget);
        if let Some(ids) = &mut self.account_ids {
            ids.users.forget(forget);
            ids.groups.forget(forget);
        }
    }
}

/// Ids by account name: users', groups'.
pub struct AccountIds {
    pub users: NameIds,
    pub groups: NameIds,
}

/// Entries of each [`AccountIds`] cache: names come only in user-space
/// account and session records, a few accounts each.
const NAME_CACHE: usize = 64;

impl Enricher {
    /// The ids of a record the uid scan does not find: the first of each
    /// group-id key and of `id` among its own fields, in one pass over its
    /// keys (a kernel record names each once), and every id field of its
    /// `msg='…'`.
    fn resolve_field_ids(&mut self, msg_type: MessageType, body: &[u8]) {
        let [gids @ .., id, msg] = first_values(body, &FIELD_KEYS);
        for gid in gids.into_iter().flatten() {
            self.gids.resolve(gid.text(), &mut self.lookup_budget);
        }
        if let Some(id) = id {
            self.resolve_id(msg_type, b"id", id);
        }
        if let Some(Value::SingleQuoted(inner)) = msg {
            for f in Fields::user_message(inner) {
                self.resolve_id(msg_type, f.key, f.value);
            }
        }
    }

    /// Caches the name of field `key`'s `value` when the field is an id.
    fn resolve_id(&mut self, msg_type: MessageType, key: &[u8], value: Value<'_>) {
        match id_kind(msg_type, key) {
            Some(IdKind::User) => self.uids.resolve(value.text(), &mut self.lookup_budget),
            Some(IdKind::Group) => self.gids.resolve(value.text(), &mut self.lookup_budget),
            None => {}
        }
    }

    fn resolve_uids(&mut self, uids: &UidValues<'_>) {
        for uid in &uids.values {
            self.uids.resolve(uid, &mut self.lookup_budget);
        }
    }

    /// The identities of these pids (decimal text), when asked for.
    fn resolve_processes(&mut self, pids: [Option<&[u8]>; 2]) {
        if let Some(processes) = &mut self.processes {
            let now = std::time::Instant::now();
            for pid in pids.into_iter().flatten() {
                processes.resolve(pid, now);
            }
        }
    }

    /// The container ids of the event's processes, when asked for (the
    /// test inlined: most runs ask for none).
    #[inline(always)]
    fn resolve_containers(&mut self, event: &Event<'_>) {
        if let Some(containers) = &mut self.containers {
            containers_of(containers, event);
        }
    }
}

/// Looks up (or, after an exec, again) the container ids of the event's
/// processes; of the parent too when a process has already exited (see
/// [`parent_instead`]).
fn containers_of(containers: &mut ContainerIds, event: &Event<'_>) {
    // An exec (the event has an EXECVE record) is when a process starts
    // in a container: look its cgroup up again.
    let exec = event.records().any(|r| r.msg_type.0 == EXECVE);
    for record in event.records() {
        if carries_process(record.msg_type.0) {
            if let Some(pid) = container::pid_field(record.body) {
                if exec && record.msg_type.0 == SYSCALL {
                    containers.refresh(pid);
                } else {
                    containers.resolve(pid);
                }
                if let Some(ppid) = parent_instead(containers, record.msg_type.0, record.body, pid)
                {
                    containers.resolve(ppid);
                }
            }
        }
    }
}

/// The ppid whose container stands for `pid`'s: when `pid` has exited
/// before it could be looked up (or its entry went to the parent's, in
/// the same slot), as go-audit does ("pid might have exited before we
/// could check it, try the ppid"), for the records go-audit does it for
/// (SYSCALL and SECCOMP, when they name a ppid).
fn parent_instead<'b>(
    containers: &ContainerIds,
    msg_type: u16,
    body: &'b [u8],
    pid: &[u8],
) -> Option<&'b [u8]> {
    if !matches!(msg_type, SYSCALL | SECCOMP) || containers.seen_alive(pid) {
        return None;
    }
    let [ppid] = first_values(body, &[b"ppid"]);
    ppid.map(|v| v.text())
}

impl Enrich for Enricher {
    /// Caches the names of the event's uids (the values the encoder will
    /// put in `uid_map`, scanned once by the encoder), and finds the
    /// event's gids, processes and their container ids in its records.
    fn prepare(&mut self, event: &Event<'_>, uids: &UidValues<'_>) {
        self.follow_account_changes(event);
        self.resolve_uids(uids);
        if self.processes.is_some() {
            // The event's process and its parent, from the first record
            // that names them (SYSCALL, or a user-space record).
            let named = event
                .records()
                .map(|r| r.body)
                .find_map(|body| Some((body, container::pid_field(body)?)));
            if let Some((body, pid)) = named {
                let [ppid] = first_values(body, &[b"ppid"]);
                self.resolve_processes([Some(pid), ppid.map(|v| v.text())]);
            }
        }
        if self.group_names {
            for record in event.records().filter(|r| names_groups(r.msg_type.0)) {
                self.resolve_field_ids(record.msg_type, record.body);
            }
        }
        self.resolve_containers(event);
    }

    /// [`prepare`](Self::prepare) with the ids the encoder named: its
    /// gids and pids are not looked for in the records.
    fn prepare_named(&mut self, event: &Event<'_>, named: &Named<'_>) {
        self.follow_account_changes(event);
        self.resolve_uids(&named.uids);
        self.resolve_processes(named.pids);
        if self.group_names {
            for gid in &named.gids.values {
                self.gids.resolve(gid, &mut self.lookup_budget);
            }
        }
        if let Some(ids) = &mut self.account_ids {
            // (By the bytes the encoder asks about: a hex-encoded name's
            // decoding.)
            let budget = &mut self.lookup_budget;
            for name in named.user_names.into_iter().flatten() {
                name.with_bytes(|name| ids.users.resolve(name, budget));
            }
            if let Some(name) = named.group_name {
                name.with_bytes(|name| ids.groups.resolve(name, budget));
            }
        }
        self.resolve_containers(event);
    }

    fn user_name(&self, uid: &[u8]) -> Option<&str> {
        self.uids.cached(uid)
    }

    fn user_id(&self, name: &[u8]) -> Option<&str> {
        self.account_ids.as_ref()?.users.cached(name)
    }

    fn group_id(&self, name: &[u8]) -> Option<&str> {
        self.account_ids.as_ref()?.groups.cached(name)
    }

    fn process(&self, pid: &[u8]) -> Option<raudit_core::encode::ProcessInfo<'_>> {
        self.processes.as_ref()?.info(pid)
    }

    fn group_name(&self, gid: &[u8]) -> Option<&str> {
        self.gids.cached(gid)
    }

    fn uid_scanner(&self) -> Option<&UidScanner> {
        Some(&self.uid_scanner)
    }

    fn host_name(&self) -> Option<&str> {
        self.host.as_ref().and_then(host_name::Watch::name)
    }

    fn host_tag(&self) -> Option<&str> {
        self.host_name().filter(|_| self.tag_host)
    }

    fn container_id(&self, msg_type: MessageType, body: &[u8]) -> Option<&str> {
        if !carries_process(msg_type.0) {
            return None;
        }
        let containers = self.containers.as_ref()?;
        let pid = container::pid_field(body)?;
        match parent_instead(containers, msg_type.0, body, pid) {
            Some(ppid) => containers.id(ppid),
            None => containers.id(pid),
        }
    }
}

const SYSCALL: u16 = 1300;
const SECCOMP: u16 = 1326;

/// The keys [`Enricher::resolve_field_ids`] reads of a record's own
/// fields: the group-id fields, then `id` (the one user-id field the uid
/// scan, which finds every key ending in `uid`, misses), then `msg`.
const FIELD_KEYS: [&[u8]; id_fields::GROUP_KEYS.len() + 2] = {
    let mut keys: [&[u8]; id_fields::GROUP_KEYS.len() + 2] =
        [b"id"; id_fields::GROUP_KEYS.len() + 2];
    let mut i = 0;
    while i < id_fields::GROUP_KEYS.len() {
        keys[i] = id_fields::GROUP_KEYS[i];
        i += 1;
    }
    keys[i + 1] = b"msg";
    keys
};

/// Records whose gids are named: SYSCALL, PATH, and the user-space and
/// other kernel records that carry ids (not EXECVE, PROCTITLE, SOCKADDR,
/// CWD: they have none).
fn names_groups(msg_type: u16) -> bool {
    !matches!(msg_type, 1306 | 1307 | 1309 | 1320 | 1327)
}
const EXECVE: u16 = 1309;

/// Record types go-audit looks up containers for: SYSCALL, PATH, EXECVE,
/// SECCOMP.
fn carries_process(msg_type: u16) -> bool {
    matches!(msg_type, 1300 | 1302 | 1309 | 1326)
}

#[cfg(test)]
mod tests;
