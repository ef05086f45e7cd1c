//! What the event acted on: `file.*` from the PATH record the summary
//! names (its values, [`ObjectFile`], found in the facts' pass),
//! `source`/`destination` and `network.direction` from a SOCKADDR (written
//! by [`socket`](super::socket)) or a user record's `addr`.

use super::facts::{present, Facts};
use super::members::Members;
use super::norm::{self, Direction};
use super::socket::{write_direction, write_socket_side, Socket};
use super::user::write_selinux;
use crate::encode::cursor::{Cursor, Full};
use crate::encode::Enrich;
use crate::record::fields::{self, find_byte};
use crate::record::prefix::{short_bare, Run};
use crate::record::{first_values, Value};

/// The values of a PATH record that `file.*` and the summary's object
/// read (each the first of its key).
#[derive(Clone, Copy, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct ObjectFile<'a> {
    pub(super) name: Option<Value<'a>>,
    pub(super) rdev: Option<Value<'a>>,
    pub(super) inode: Option<Value<'a>>,
    pub(super) mode: Option<Value<'a>>,
    pub(super) ouid: Option<Value<'a>>,
    pub(super) ogid: Option<Value<'a>>,
    /// The file's LSM label (SELinux's `user:role:domain:level`).
    pub(super) obj: Option<Value<'a>>,
}

/// A PATH record's `item` and its inode fields, in the kernel's order
/// (`audit_log_name`: `name` between the two, `nametype` after).
const PATH_ITEM: Run<1> = Run::new([b"item"]);
const PATH_INODE: Run<6> = Run::new([b"inode", b"dev", b"mode", b"ouid", b"ogid", b"rdev"]);

impl<'a> ObjectFile<'a> {
    /// The values of a PATH record's `body` and whether its (first)
    /// `nametype` says PARENT or UNKNOWN, a record aucoalesce passes
    /// over for the object: by the kernel's layout (item, name, the
    /// inode's fields, nametype) where the record has it, else in one
    /// pass ([`first_values`]).
    #[inline(always)]
    pub(super) fn of(body: &'a [u8]) -> (ObjectFile<'a>, bool) {
        Self::by_layout(body).unwrap_or_else(|| Self::by_keys(body))
    }

    /// [`of`](Self::of) of a record laid out as the kernel writes a
    /// known inode's (`item`, `name`, `inode`, `dev`, `mode`, `ouid`,
    /// `ogid`, `rdev`, `nametype`, each a space apart; `name` bare or
    /// double-quoted and closed, the others short and bare: [`Run`]),
    /// read by its places: every key the object reads is then found, its
    /// first field, before any other. `None` for any other record.
    #[inline(always)]
    fn by_layout(body: &'a [u8]) -> Option<(ObjectFile<'a>, bool)> {
        let (_, rest) = PATH_ITEM.read(body)?;
        let after = rest.strip_prefix(b"name=")?;
        // As the grammar reads the value, with one space after it.
        let (name, rest) = match after {
            [b'"', inner @ ..] => {
                let close = find_byte(inner, b'"')?;
                let (text, quote) = inner.split_at_checked(close)?;
                (Value::DoubleQuoted(text), quote.strip_prefix(b"\" ")?)
            }
            [b'\'', ..] => return None,
            _ => {
                let end = find_byte(after, b' ')?;
                let (text, tail) = after.split_at_checked(end)?;
                (fields::bare(text), tail.get(1..)?)
            }
        };
        let ([inode, _, mode, ouid, ogid, rdev], rest) = PATH_INODE.read(rest)?;
        // The label, where an LSM gives one (bare, one space after it).
        let (obj, rest) = match rest.strip_prefix(b"obj=") {
            Some(after @ [b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_', ..]) => {
                let end = find_byte(after, b' ')?;
                let (text, tail) = after.split_at_checked(end)?;
                (Some(fields::bare(text)), tail.get(1..)?)
            }
            Some(_) => return None,
            None => (None, rest),
        };
        let (nametype, rest) = short_bare(rest.strip_prefix(b"nametype=")?)?;
        // Not in its place: none in a kernel's record, perhaps later in
        // another's (a few bytes looked at once).
        let obj = obj.or_else(|| {
            let later = rest.windows(4).any(|w| w == b"obj=");
            later.then(|| crate::record::field(rest, b"obj")).flatten()
        });
        let file = ObjectFile {
            name: Some(name),
            rdev: Some(rdev),
            inode: Some(inode),
            mode: Some(mode),
            ouid: Some(ouid),
            ogid: Some(ogid),
            obj,
        };
        Some((file, passed_over(nametype)))
    }

    /// [`of`](Self::of) of any record, in one pass ([`first_values`]).
    #[inline(always)]
    fn by_keys(body: &'a [u8]) -> (ObjectFile<'a>, bool) {
        let [name, rdev, inode, mode, ouid, ogid, obj, nametype] = first_values(
            body,
            &[
                b"name",
                b"rdev",
                b"inode",
                b"mode",
                b"ouid",
                b"ogid",
                b"obj",
                b"nametype",
            ],
        );
        let file = ObjectFile {
            name,
            rdev,
            inode,
            mode,
            ouid,
            ogid,
            obj,
        };
        // (Not `objtype`, old kernels' name for it: aucoalesce reads
        // `nametype` only, and takes a PARENT there, as its goldens say.)
        let skip = nametype.is_some_and(passed_over);
        (file, skip)
    }
}

/// A PATH record aucoalesce does not take for the object (its
/// `setFileObject`): a parent directory, or a name the kernel found no
/// inode for.
fn passed_over(nametype: Value<'_>) -> bool {
    matches!(nametype.text(), b"PARENT" | b"UNKNOWN")
}

/// The PATH record (0-based) from which aucoalesce looks for a syscall's
/// object (`object_path_index`): a mount's target, the directory mkdir
/// made, the old name rename gave up.
pub(super) fn object_path_index(syscall: Option<&str>) -> usize {
    match syscall {
        Some("mkdir" | "mkdirat" | "mount") => 1,
        Some("rename" | "renameat" | "renameat2") => 2,
        _ => 0,
    }
}

/// `file.*` from the PATH record the summary names (its values found
/// with the facts).
pub(super) fn write_file(
    cursor: &mut Cursor<'_>,
    file: &ObjectFile<'_>,
    enrich: &impl Enrich,
) -> Result<(), Full> {
    let ObjectFile {
        name,
        rdev,
        inode,
        mode,
        ouid,
        ogid,
        obj,
    } = *file;
    let mut f = Members::open(cursor)?;
    f.value("path", b"name", name)?;
    f.value("device", b"rdev", rdev)?;
    f.value("inode", b"inode", inode)?;
    if let Some(mode) = present(mode) {
        // The permission bits, as four octal digits (`0100755` → `0755`).
        let text = mode.text();
        let perm = text.get(text.len().saturating_sub(4)..).unwrap_or(text);
        f.key("mode")?.push_string(perm)?;
    }
    f.value("uid", b"ouid", ouid)?;
    f.value("gid", b"ogid", ogid)?;
    // ECS `file.owner` / `file.group`: the names of the owner's ids.
    if let Some(owner) = present(ouid).and_then(|v| enrich.user_name(v.text())) {
        f.str("owner", owner)?;
    }
    if let Some(group) = present(ogid).and_then(|v| enrich.group_name(v.text())) {
        f.str("group", group)?;
    }
    if let Some(label) = present(obj) {
        write_selinux(f.key("selinux")?, label.text())?;
    }
    f.close()
}

pub(super) fn write_network(
    doc: &mut Members<'_, '_>,
    (facts, sock): (&Facts<'_>, Option<Socket<'_>>),
) -> Result<(), Full> {
    // The side by the SYSCALL record's syscall, whatever record type
    // names the event (go-libaudit reads the data's `syscall`: the
    // sendto of auditctl's CONFIG_CHANGE event is egress too).
    let direction = facts
        .syscall
        .filter(|_| facts.is_syscall && sock.is_some())
        .and_then(|name| norm::of_syscall(name).direction);
    if write_socket_side(doc, sock, direction)? {
        return Ok(());
    }
    // A user-space record's remote address (sshd's `addr=`), where its
    // type makes it the source.
    if facts.addr_is_source() {
        if let Some(addr) = present(facts.get(b"addr")) {
            let ip: Option<core::net::IpAddr> = core::str::from_utf8(addr.text())
                .ok()
                .and_then(|t| t.parse().ok());
            if let Some(ip) = ip {
                let mut s = Members::open(doc.key("source")?)?;
                s.key("ip")?.push_display(&ip)?;
                s.close()?;
                return write_direction(doc, Direction::Ingress);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    extern crate std;

    use super::*;

    /// Where the layout reads a PATH record, it finds what the keys'
    /// first fields give.
    fn check(body: &[u8]) {
        if let Some(found) = ObjectFile::by_layout(body) {
            assert_eq!(
                found,
                ObjectFile::by_keys(body),
                "{:?}",
                std::string::String::from_utf8_lossy(body)
            );
        }
    }

    const KERNEL: &str = "item=1 name=\"/etc/passwd\" inode=19 dev=fe:00 mode=0100644 ouid=1000 \
        ogid=100 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0";

    #[test]
    fn a_kernel_record_is_read_by_its_layout() {
        let (file, parent) = ObjectFile::by_layout(KERNEL.as_bytes()).unwrap();
        assert_eq!(file.name, Some(Value::DoubleQuoted(b"/etc/passwd")));
        assert_eq!(file.mode, Some(Value::Bare(b"0100644")));
        assert_eq!(file.rdev, Some(Value::Bare(b"00:00")));
        assert_eq!(
            (file.ouid, file.ogid),
            (Some(Value::Bare(b"1000")), Some(Value::Bare(b"100")))
        );
        assert!(!parent);
        check(KERNEL.as_bytes());
        assert_eq!(file.obj, None);
        // SELinux's label in its place (before `nametype`).
        let labelled = KERNEL.replace(" nametype", " obj=system_u:object_r:etc_t:s0 nametype");
        let (file, _) = ObjectFile::by_layout(labelled.as_bytes()).unwrap();
        assert_eq!(file.obj, Some(Value::Bare(b"system_u:object_r:etc_t:s0")));
        check(labelled.as_bytes());
        let parent = KERNEL.replace("NORMAL", "PARENT");
        assert!(ObjectFile::by_layout(parent.as_bytes()).unwrap().1);
        for other in [
            "item=0 name=\"/x\" nametype=UNKNOWN cap_fp=0 cap_fi=0 cap_fe=0",
            "item=0 name=\"/x\"y inode=1 dev=fe:00 mode=1 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0",
            "item=0 name=\"/x inode=1 dev=fe:00 mode=1 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0",
        ] {
            assert!(ObjectFile::by_layout(other.as_bytes()).is_none(), "{other}");
        }
    }

    proptest::proptest! {
        /// The kernel's record with fields edited at random: a value
        /// (quoted, unclosed, hex, markers, long, empty), the separator
        /// after it, its key (repeated, out of order, another).
        #[test]
        fn the_layout_reads_the_first_fields(
            edits in proptest::collection::vec(
                (
                    0usize..14,
                    proptest::sample::select(&[
                        "", "0", "?", "(null)", "(none)", "\"q\"", "\"q r\"", "\"open", "'q'", "a=b",
                        "2F746D70", "123456789012345", "1234567890123456", "\u{e9}", "PARENT",
                    ][..]),
                    proptest::sample::select(&[" ", "  ", "", " x=1 ", " name=\"n\" "][..]),
                    proptest::sample::select(&["", "name", "inode", "mode", "nametype", "obj", "item"][..]),
                ),
                0..5,
            ),
        ) {
            let body = crate::record::prefix::tests::edit_record(KERNEL, "=", &edits);
            check(body.as_bytes());
        }
    }
}
