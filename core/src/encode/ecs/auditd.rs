//! `auditd.*`: message type, sequence, result, session (none when unset),
//! the aucoalesce summary as Auditbeat keeps it (actor, object, how; its
//! action is `event.action`), `data` (the primary and special
//! records' other fields, socket address) and `paths` (the PATH records).

use super::draft::key_bit;
use super::entity::{account, actor};
use super::facts::{is_auxiliary, is_data, is_moved, present, Facts, UNSET};
use super::members::Members;
use super::norm::{Norm, Object};
use super::paths::write_paths;
use super::socket::{write_socket_data, write_socket_object, Socket};
use super::{Detail, Outcome};

use crate::assemble::Event;
use crate::encode::cursor::{Cursor, Full};
use crate::encode::keys::KeySet;
use crate::encode::Enrich;
use crate::record::{field, Field, Fields, Value};
use crate::tables::arch::Arch;
use crate::tables::errno;

pub(super) fn write_auditd<'a>(
    cursor: &mut Cursor<'_>,
    event: &Event<'a>,
    (facts, sock): (&Facts<'a>, Option<Socket<'_>>),
    (norm, result): (&Norm, Outcome),
    detail: Detail,
    enrich: &impl Enrich,
) -> Result<(), Full> {
    let mut a = Members::open(cursor)?;
    if let Some(name) = facts.named().and_then(|r| r.msg_type.name()) {
        write_lower_case(a.key("message_type")?, name)?;
    }
    a.number("sequence", u64::from(event.serial()))?;
    a.str("result", result.auditd_name())?;
    if let Some(ses) = facts.session() {
        a.value("session", b"ses", Some(ses))?;
    }
    write_summary(a.key("summary")?, (facts, sock), norm, enrich)?;
    if detail == Detail::Whole {
        write_data(a.key("data")?, event, (facts, sock))?;
        if facts.paths > 0 {
            write_paths(a.key("paths")?, event, facts)?;
        }
    }
    a.close()
}

/// A message type's name in lower case (`USER_LOGIN` → `user_login`),
/// as a JSON string.
pub(super) fn write_lower_case(c: &mut Cursor<'_>, name: &str) -> Result<(), Full> {
    // Most events' name, as a constant (a test holds it to the rest).
    if name == "SYSCALL" {
        return c.push(b"\"syscall\"");
    }
    write_lowered(c, name)
}

/// [`write_lower_case`] of any name.
fn write_lowered(c: &mut Cursor<'_>, name: &str) -> Result<(), Full> {
    // A table's name (letters, digits, `_`: nothing to escape) quoted in
    // place and copied at once.
    let name = name.as_bytes();
    let mut quoted = [b'"'; 40];
    let plain = name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_');
    let fits = name.len() + 2 <= quoted.len();
    if let (true, true, Some(inner)) = (plain, fits, quoted.get_mut(1..=name.len())) {
        inner.copy_from_slice(name);
        inner.make_ascii_lowercase();
        return c.push(quoted.get(..name.len() + 2).unwrap_or_default());
    }
    c.push(b"\"")?;
    for chunk in name.chunks(64) {
        let mut buf = [0u8; 64];
        let lower = buf.get_mut(..chunk.len()).unwrap_or_default();
        lower.copy_from_slice(chunk);
        lower.make_ascii_lowercase();
        c.push_escaped(lower)?;
    }
    c.push(b"\"")
}

pub(super) fn write_summary(
    cursor: &mut Cursor<'_>,
    (facts, sock): (&Facts<'_>, Option<Socket<'_>>),
    norm: &Norm,
    enrich: &impl Enrich,
) -> Result<(), Full> {
    let mut s = Members::open(cursor)?;
    {
        let mut a = Members::open(s.key("actor")?)?;
        let own = first_present(facts, norm.actor_fields).map(|(key, v)| (key, Some(v)));
        match own.unwrap_or_else(|| actor(facts)) {
            (_, Some(v)) if v.text() == UNSET => a.str("primary", "unset")?,
            (key, v) => write_actor_member(&mut a, "primary", (key, v), enrich)?,
        }
        write_actor_member(&mut a, "secondary", account(facts), enrich)?;
        a.close()?;
    }
    // The action is `event.action` alone: Auditbeat's summary holds the
    // actor, the object and how (audit_linux.go, buildMetricbeatEvent).
    let (primary, secondary) = norm.object_fields;
    let named = first_present(facts, primary);
    let second = first_present(facts, secondary);
    let kind = norm.object.name();
    // (Auditbeat writes the object's members each when set: a primary
    // without a kind too.)
    if kind.is_some() || named.is_some() || second.is_some() {
        let mut o = Members::open(s.key("object")?)?;
        if let Some(kind) = kind {
            o.str("type", path_object_type(norm.object, facts).unwrap_or(kind))?;
        }
        // The type's own lists decide, each alone (how every record
        // type that names its object by a field does it); a path object
        // whose field is missing keeps its path (aucoalesce names the
        // path first, then the field). Below: the objects found
        // otherwise (the path, the address, the syscall).
        if !primary.is_empty() {
            match named {
                Some((key, v)) => o.value("primary", key, Some(v))?,
                None if norm.object.is_path() => {
                    o.value("primary", b"name", facts.object.name)?;
                }
                None => {}
            }
            if let Some((key, v)) = second {
                o.value("secondary", key, Some(v))?;
            }
            o.close()?;
            return write_how(s, facts, norm);
        }
        match norm.object {
            // Set only with the object path.
            Object::File | Object::Filesystem => {
                o.value("primary", b"name", facts.object.name)?;
            }
            Object::Socket => write_socket_object(&mut o, sock)?,
            // The caller itself (`how` names the call), or the process
            // a signal went to (aucoalesce names no field of it): no
            // primary.
            Object::Process if facts.is_syscall => {}
            // SECCOMP: the syscall the filter acted on.
            Object::Process if facts.names_call() => {
                if let Some(name) = facts.syscall {
                    o.str("primary", name)?;
                }
            }
            // Anything else names its object by its type's lists.
            _ => {}
        }
        o.close()?;
    }
    write_how(s, facts, norm)
}

/// `summary.how`, and the summary closed: the call, for the calls that
/// change the caller; else the first present of the normalisation's own
/// list ([`Norm::how`]); else the executable, an interpreter's `comm`.
fn write_how(mut s: Members<'_, '_>, facts: &Facts<'_>, norm: &Norm) -> Result<(), Full> {
    if let Some(call) = facts.syscall.filter(|_| norm.how_syscall) {
        s.str("how", call)?;
        return s.close();
    }
    if let Some((key, v)) = first_present(facts, norm.how) {
        s.value("how", key, Some(v))?;
        return s.close();
    }
    // An interpreter's `comm` is the script's name: more telling.
    let exe = present(facts.get(b"exe"));
    let interpreted = exe.is_some_and(|v| is_interpreter(v.text()));
    let how = exe.filter(|_| !interpreted).map(|v| (&b"exe"[..], v));
    let how = how.or(present(facts.get(b"comm")).map(|v| (&b"comm"[..], v)));
    let how = how.or(exe.map(|v| (&b"exe"[..], v)));
    if let Some((key, v)) = how {
        s.value("how", key, Some(v))?;
    }
    s.close()
}

/// A member of the summary's actor: the user's name where its value is
/// a uid the enricher names (Auditbeat's `ResolveIDs` looks the actor's
/// primary and secondary up, and keeps a value it cannot name: an
/// account's name, a context), else the value.
fn write_actor_member(
    a: &mut Members<'_, '_>,
    member: &'static str,
    (key, v): (&'static [u8], Option<Value<'_>>),
    enrich: &impl Enrich,
) -> Result<(), Full> {
    match present(v).and_then(|v| enrich.user_name(v.text())) {
        Some(name) => a.str(member, name),
        None => a.value(member, key, v),
    }
}

/// The first of `keys` the event's record has a value of (the record
/// that names it, else the primary one), and its key: how aucoalesce
/// reads a normalisation's field lists.
fn first_present<'a>(
    facts: &Facts<'a>,
    keys: &[&'static [u8]],
) -> Option<(&'static [u8], Value<'a>)> {
    keys.iter()
        .find_map(|&key| Some((key, present(facts.special_get(key))?)))
}

/// The type of a path object whose PATH record has a mode: always
/// `file`, as aucoalesce's `setFileObject` writes it (it tests the mode's
/// bits as Go's `os.FileMode`, whose type bits lie elsewhere, so every
/// mode reads as a regular file's).
fn path_object_type(object: Object, facts: &Facts<'_>) -> Option<&'static str> {
    let mode = present(facts.object.mode).filter(|_| object.is_path());
    mode.and(Object::File.name())
}

/// Executables whose `comm` names the script they run.
pub(super) fn is_interpreter(exe: &[u8]) -> bool {
    let name = exe.rsplit(|&b| b == b'/').next().unwrap_or(exe);
    ["python", "perl", "ruby", "node", "php"]
        .iter()
        .any(|i| name.starts_with(i.as_bytes()))
}

/// `auditd.data`: the primary record's fields but the moved ones (the
/// facts' draft moved into place, when kept and the cursor's tail holds
/// it; else read again here), the special records' own, `argc`, the
/// socket address.
pub(super) fn write_data<'a>(
    cursor: &mut Cursor<'_>,
    event: &Event<'a>,
    (facts, sock): (&Facts<'a>, Option<Socket<'_>>),
) -> Result<(), Full> {
    let body = facts.body();
    let mut d = match facts.data.filter(|_| cursor.holds_tail()) {
        Some(draft) => {
            cursor.release_tail();
            cursor.push_within(draft.start..draft.end)?;
            Members::resume(cursor, draft.first)
        }
        None => {
            let mut d = Members::open(cursor)?;
            write_primary_data(&mut d, facts)?;
            d
        }
    };
    // Keys the special records wrote: each once (a record may repeat a
    // key; its first present value wins). Made only when there are any
    // (a set is a few hundred bytes to clear).
    let mut from_specials: Option<KeySet<'_>> = None;
    let specials = event.records().filter(|r| !is_auxiliary(r.msg_type));
    if facts.special.is_some() {
        let from_specials = from_specials.insert(KeySet::default());
        // Each special record's own fields, after the SYSCALL record's
        // (its ids stay: ANOM_PROMISCUOUS' auid, uid…); what the SYSCALL
        // record or an earlier special record already gave is not written
        // twice (the first value wins: no duplicate keys). `top`: the
        // body's own keys (what special records defer to), when the
        // draft's bits for them cannot say.
        // (A kept draft's record has no `msg='…'`; otherwise its fields,
        // flattened into the data, are the body's too.)
        let drafted = facts.data.map(|d| d.keys);
        let mut top = KeySet::default();
        if drafted.is_none() {
            for f in Fields::new(body) {
                top.insert(f.key);
                if let (b"msg", Value::SingleQuoted(inner)) = (f.key, f.value) {
                    for nested in Fields::new(inner) {
                        top.insert(nested.key);
                    }
                }
            }
        }
        let in_body = |key: &[u8]| match drafted {
            Some(bits) => bits & key_bit(key) != 0 && field(body, key).is_some(),
            None => top.contains(key, || facts.scan(key).is_some()),
        };
        let mut earlier = KeySet::default();
        let mut each = specials.clone().enumerate().peekable();
        while let Some((n, special)) = each.next() {
            for f in Fields::new(special.body) {
                let in_body = !is_moved(f.key) && in_body(f.key);
                let given = in_body
                    || earlier.contains(f.key, || {
                        specials
                            .clone()
                            .take(n)
                            .any(|r| field(r.body, f.key).is_some())
                    });
                let process = matches!(f.key, b"pid" | b"comm" | b"exe" | b"key" | b"subj");
                if !given
                    && !process
                    && present(Some(f.value)).is_some()
                    && !from_specials.add(f.key, || written_before(specials.clone(), (n, f.key)))
                {
                    d.field(f.key, f.value)?;
                }
            }
            // (What the next special records defer to; none after the last.)
            if each.peek().is_some() {
                for f in Fields::new(special.body) {
                    earlier.insert(f.key);
                }
            }
        }
    }
    // A key the primary record (its `msg='…'` too) or a special record
    // gave: what `argc` and the socket's members do not write again.
    let given = |key: &[u8]| {
        // (A kept draft's bits say "not there" without a scan.)
        let maybe_in_primary = facts.data.is_none_or(|d| d.keys & key_bit(key) != 0);
        (maybe_in_primary && present(facts.get(key)).is_some())
            || from_specials.as_ref().is_some_and(|set| {
                set.contains(key, || {
                    specials
                        .clone()
                        .any(|r| Fields::new(r.body).any(|f| f.key == key))
                })
            })
    };
    // (An EXECVE record that is itself the primary one gave its `argc`
    // above.)
    if facts.has_execve && !given(b"argc") {
        d.value("argc", b"argc", facts.argc)?;
    }
    write_socket_data(&mut d, sock, &given)?;
    d.close()
}

/// The primary record's fields that `auditd.data` reads, read from the
/// record: a key repeated in the body (the old LOGIN form `old auid=…
/// new auid=…`) or in its `msg='…'` (whose fields are flattened in) is
/// written once, the first in the document's order kept: the keys so
/// far are remembered, not looked for again. A moved key (written
/// elsewhere, never here) is not remembered: its repeats are moved too.
pub(super) fn write_primary_data<'a>(
    d: &mut Members<'_, '_>,
    facts: &Facts<'a>,
) -> Result<(), Full> {
    let body = facts.body();
    let named = facts.names_call().then_some((facts.arch, facts.syscall));
    let mut written = KeySet::default();
    let mut datum = |f: Field<'a>| -> Result<(), Full> {
        if f.key == b"msg" {
            if let Value::SingleQuoted(inner) = f.value {
                for nested in Fields::new(inner) {
                    if facts.moves_from_msg(nested.key) {
                        continue;
                    }
                    let before = written.add(nested.key, || earlier_key(body, nested.key));
                    if !before {
                        write_datum(d, named, nested)?;
                    }
                }
            }
            return Ok(());
        }
        let before = written.add(f.key, || earlier_key(body, f.key));
        if !before {
            write_datum(d, named, f)?;
        }
        Ok(())
    };
    Fields::new(body)
        .filter(|f| is_data(f.key) && facts.in_data(f.key))
        .try_for_each(&mut datum)
}

/// Whether a key equal to `key` (a slice of `body`) comes before it in
/// `body`, its `msg='…'` included: the answer [`KeySet`] asks for when
/// a record has more keys than it keeps.
pub(super) fn earlier_key(body: &[u8], key: &[u8]) -> bool {
    let here = key.as_ptr() as usize;
    let before = |k: &[u8]| (k.as_ptr() as usize) < here;
    for f in Fields::new(body) {
        if !before(f.key) {
            return false;
        }
        if f.key == key {
            return true;
        }
        if let (b"msg", Value::SingleQuoted(inner)) = (f.key, f.value) {
            for nested in Fields::new(inner) {
                if !before(nested.key) {
                    return false;
                }
                if nested.key == key {
                    return true;
                }
            }
        }
    }
    false
}

/// Whether a special record before the `n`th, or the `n`th before `key`
/// (a slice of its body), has a field named `key` with a value: what
/// [`KeySet`] asks when a record has more keys than it keeps.
fn written_before<'a>(
    specials: impl Iterator<Item = crate::assemble::EventRecord<'a>>,
    (n, key): (usize, &[u8]),
) -> bool {
    let here = key.as_ptr() as usize;
    specials.take(n + 1).enumerate().any(|(i, r)| {
        Fields::new(r.body)
            .take_while(|f| i < n || (f.key.as_ptr() as usize) < here)
            .any(|f| f.key == key && present(Some(f.value)).is_some())
    })
}

/// A field of the primary record (not a moved one) in `auditd.data`;
/// `named`, for a SYSCALL record: its arch and syscall names, which
/// replace the `arch` and `syscall` numbers (and `exit` is named).
#[inline(always)]
pub(super) fn write_datum(
    d: &mut Members<'_, '_>,
    named: Option<(Option<Arch>, Option<&'static str>)>,
    f: Field<'_>,
) -> Result<(), Full> {
    // No value, or an empty one (`op=`, `acct=""`): auparse drops the
    // field.
    if f.value == Value::Absent || f.value.text().is_empty() {
        return Ok(());
    }
    if let Some((arch, syscall)) = named {
        match f.key {
            b"arch" => {
                if let Some(m) = arch.and_then(Arch::machine) {
                    return d.str("arch", m.name());
                }
            }
            b"syscall" => {
                if let Some(name) = syscall {
                    return d.str("syscall", name);
                }
            }
            // (A SECCOMP record's: go-libaudit's setSignalName.)
            b"sig" => {
                if let Some(name) = bare_number(f.value).and_then(signal_name) {
                    return d.str("sig", name);
                }
            }
            b"exit" => {
                let named = f
                    .value
                    .text()
                    .strip_prefix(b"-")
                    .and_then(|n| core::str::from_utf8(n).ok()?.parse::<u32>().ok())
                    .and_then(errno::name);
                if let Some(name) = named {
                    return d.str("exit", name);
                }
            }
            _ => {}
        }
    }
    d.field(f.key, f.value)
}

/// A bare decimal value.
fn bare_number(value: Value<'_>) -> Option<u32> {
    match value {
        Value::Bare(text) => crate::record::number::parse_u32(text, 10),
        _ => None,
    }
}

/// The name of Linux signal `n` (the numbering x86, Arm, PowerPC and
/// s390 share), as Go's `unix.SignalName` gives it.
fn signal_name(n: u32) -> Option<&'static str> {
    const NAMES: [&str; 31] = [
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    NAMES.get(usize::try_from(n.checked_sub(1)?).ok()?).copied()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_syscall_name_is_its_lower_case() {
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        let (mut ca, mut cb) = (Cursor::new(&mut a), Cursor::new(&mut b));
        write_lower_case(&mut ca, "SYSCALL").unwrap();
        write_lowered(&mut cb, "SYSCALL").unwrap();
        let (la, lb) = (ca.pos(), cb.pos());
        assert_eq!(&a[..la], &b[..lb]);
        assert_eq!(&a[..la], b"\"syscall\"");
    }
}
