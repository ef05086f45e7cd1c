//! `auditd.paths`: each PATH record's fields as an object, in order. A
//! field where the kernel puts it ([`PATH`]) is told by its key's place
//! and written with its member's head as a constant; any other field is
//! parsed and written as usual: the same members either way. The LSM's
//! label `obj` is split as go-libaudit splits it (`obj_user`, `obj_role`,
//! `obj_domain`, `obj_level`, [`label_parts`]).

use super::facts::{present, Facts};
use super::members::Members;
use super::user::label_parts;
use crate::assemble::Event;
use crate::encode::cursor::{Cursor, Full};
use crate::encode::keys::KeySet;
use crate::encode::layout::Layout;
use crate::record::fields::{bare, find_byte};
use crate::record::{Fields, Value};
use crate::wire::MessageType;

/// A PATH record's keys in the kernel's order (`audit_log_name`: the
/// inode's fields and the LSM's `obj` only when known, then the file
/// capabilities).
const PATH: Layout<15> = Layout::new(PATH_KEYS);

const PATH_KEYS: [&[u8]; 15] = [
    b"item",
    b"name",
    b"inode",
    b"dev",
    b"mode",
    b"ouid",
    b"ogid",
    b"rdev",
    b"obj",
    b"nametype",
    b"cap_fp",
    b"cap_fi",
    b"cap_fe",
    b"cap_fver",
    b"cap_frootid",
];

/// Where the inode's fields (`inode` … `rdev`) start in [`PATH`].
const INODE_AT: usize = 2;

const _: () = assert!(PATH.key_is(INODE_AT, b"inode") && PATH.key_is(INODE_AT + 5, b"rdev"));

/// Where the label starts in [`PATH`].
const OBJ_AT: usize = 8;

const _: () = assert!(PATH.key_is(OBJ_AT, b"obj"));

/// The members of `obj`'s parts, as go-libaudit names them.
const OBJ_PARTS: [&str; 5] = [
    "obj_user",
    "obj_role",
    "obj_domain",
    "obj_level",
    "obj_category",
];

/// Where the file capabilities start in [`PATH`].
const CAPS_AT: usize = 10;

/// The file capabilities of a file that has none, as the kernel ends a
/// PATH record with them (`audit_log_fcaps`: nearly every record), and
/// their members: a run of five fields written as one constant.
const _: () = assert!(PATH.key_is(CAPS_AT, b"cap_fp") && PATH.key_is(CAPS_AT + 4, b"cap_frootid"));
const NO_CAPS: &[u8] = b"cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0";
const NO_CAPS_MEMBERS: &[u8] =
    b",\"cap_fp\":\"0\",\"cap_fi\":\"0\",\"cap_fe\":\"0\",\"cap_fver\":\"0\",\"cap_frootid\":\"0\"";

/// `auditd.paths` of `event`: its PATH records' bodies as the facts
/// kept them ([`Facts::path_bodies`]), else (more than they keep) as
/// the event's records give them.
pub(super) fn write_paths(
    cursor: &mut Cursor<'_>,
    event: &Event<'_>,
    facts: &Facts<'_>,
) -> Result<(), Full> {
    let kept = usize::try_from(facts.paths)
        .ok()
        .and_then(|n| facts.path_bodies.get(..n));
    match kept {
        Some(bodies) => write_bodies(cursor, bodies.iter().copied()),
        None => write_path_records(cursor, event),
    }
}

/// [`write_paths`] from the event's records.
fn write_path_records(cursor: &mut Cursor<'_>, event: &Event<'_>) -> Result<(), Full> {
    let paths = event.records().filter(|r| r.msg_type == MessageType::PATH);
    write_bodies(cursor, paths.map(|r| r.body))
}

/// The PATH records' `bodies` as an array of objects.
#[inline(always)]
fn write_bodies<'b>(
    cursor: &mut Cursor<'_>,
    bodies: impl Iterator<Item = &'b [u8]>,
) -> Result<(), Full> {
    cursor.push(b"[")?;
    let mut first = true;
    for body in bodies {
        if !first {
            cursor.push(b",")?;
        }
        first = false;
        let mut p = Members::open(cursor)?;
        write_path(&mut p, body)?;
        p.close()?;
    }
    cursor.push(b"]")
}

/// A PATH record's fields as [`Members::field`] writes them (tokens
/// without `=` left out), in one pass; a key the record repeats is
/// written once, its first field deciding (an object with a key twice is
/// refused by strict readers: Elasticsearch's among them). Fields found
/// in their layout places cannot repeat (the places only grow); from the
/// first field that is not, the rest of the record is read by the
/// grammar, each key checked ([`write_rest`]): a kernel's record never
/// pays for it.
fn write_path(p: &mut Members<'_, '_>, body: &[u8]) -> Result<(), Full> {
    let mut rest = body;
    // The place in the layout after the last key found there.
    let mut next = 0;
    loop {
        while let [b' ', tail @ ..] = rest {
            rest = tail;
        }
        if rest.is_empty() {
            return Ok(());
        }
        // After `name`: the inode's fields, one after another.
        if next == INODE_AT {
            let (at, tail) = p.headed_run(&PATH, (INODE_AT, INODE_AT + 6), rest);
            if at > next {
                next = at;
                rest = tail;
                continue;
            }
        }
        if let Some((i, key)) = PATH.find(rest, next) {
            // No file capabilities (most files): five fields at once.
            if i == CAPS_AT {
                let tail = rest.strip_prefix(NO_CAPS);
                if let Some(tail) = tail.filter(|t| matches!(t, [] | [b' ', ..])) {
                    p.spelled(NO_CAPS_MEMBERS)?;
                    next = CAPS_AT + 5;
                    rest = tail;
                    continue;
                }
            }
            let after = rest.get(key.len..).unwrap_or_default();
            if i == OBJ_AT {
                if let Some((value, tail)) = value_of(after) {
                    // (The fields before, in their places: none is a part.)
                    write_label(p, value, |_| true)?;
                    next = i + 1;
                    rest = tail;
                    continue;
                }
            }
            // A short bare value (most): one look at its bytes.
            if let Some(used) = p.headed_short(&key.head, after) {
                next = i + 1;
                rest = after.get(used..).unwrap_or_default();
                continue;
            }
            if let Some((value, tail)) = value_of(after) {
                p.headed(&key.head, key.key, value)?;
                next = i + 1;
                rest = tail;
                continue;
            }
        }
        return write_rest(p, body, rest);
    }
}

/// The fields of `body` from `rest` (its tail) on, by the grammar, each
/// member written once: not if a field before wrote it (those before
/// `rest` were written, each member once; an `obj` wrote its parts).
fn write_rest(p: &mut Members<'_, '_>, body: &[u8], rest: &[u8]) -> Result<(), Full> {
    let read = body
        .get(..body.len().saturating_sub(rest.len()))
        .unwrap_or_default();
    let mut met = KeySet::default();
    for f in Fields::new(read) {
        met.insert(f.key);
        if f.key == b"obj" {
            for part in OBJ_PARTS {
                met.insert(part.as_bytes());
            }
        }
    }
    let mut fields = Fields::new(rest);
    while let Some(f) = fields.next_inlined() {
        let tail = fields.remainder();
        let again = met.add(f.key, || repeated_before(body, tail, f.key));
        // Any `obj` claims its parts' members, those no field before did
        // fresh.
        let mut fresh = [false; OBJ_PARTS.len()];
        if f.key == b"obj" {
            for (fresh, part) in fresh.iter_mut().zip(OBJ_PARTS) {
                let part = part.as_bytes();
                *fresh = !met.add(part, || repeated_before(body, tail, part));
            }
        }
        if again || f.value == Value::Absent {
            continue;
        }
        if f.key == b"obj" {
            write_label(p, f.value, |name| {
                OBJ_PARTS
                    .iter()
                    .zip(fresh)
                    .any(|(part, fresh)| fresh && *part == name)
            })?;
        } else {
            p.field(f.key, f.value)?;
        }
    }
    Ok(())
}

/// Whether member `key` was written by a field of `body` before `rest`
/// (its tail) other than the last one read: what a [`KeySet`] past its
/// list asks. An `obj` field writes its parts' members.
fn repeated_before(body: &[u8], rest: &[u8], key: &[u8]) -> bool {
    let read = body.len().saturating_sub(rest.len());
    let part = OBJ_PARTS.iter().any(|p| p.as_bytes() == key);
    let mut seen = Fields::new(body.get(..read).unwrap_or_default())
        .filter(|f| f.key == key || part && f.key == b"obj");
    seen.next().is_some() && seen.next().is_some()
}

/// A PATH record's label, `obj`, as its parts' members (`?` and
/// `(null)` none), those `fresh` says no field before wrote.
fn write_label(
    p: &mut Members<'_, '_>,
    label: Value<'_>,
    fresh: impl Fn(&str) -> bool,
) -> Result<(), Full> {
    if let Some(label) = present(Some(label)) {
        for (name, part) in label_parts(label.text(), &OBJ_PARTS) {
            if fresh(name) {
                p.key(name)?.push_string(part)?;
            }
        }
    }
    Ok(())
}

/// The value that starts `after` (what follows a key's `=`) and the rest
/// of the body, as [`Fields`] reads them, when bare or double-quoted and
/// closed; `None` for any other (single-quoted, an unclosed quote).
#[inline(always)]
fn value_of(after: &[u8]) -> Option<(Value<'_>, &[u8])> {
    match after {
        [b'"', inner @ ..] => {
            let close = find_byte(inner, b'"')?;
            let (text, tail) = inner.split_at_checked(close)?;
            Some((Value::DoubleQuoted(text), tail.get(1..)?))
        }
        [b'\'', ..] => None,
        _ => {
            let end = find_byte(after, b' ').unwrap_or(after.len());
            let (text, tail) = after.split_at_checked(end)?;
            Some((bare(text), tail))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    extern crate std;

    use super::*;

    /// A PATH record written field by field, as before the layout, each
    /// key's first field deciding.
    fn reference(p: &mut Members<'_, '_>, body: &[u8]) -> Result<(), Full> {
        let mut seen: std::vec::Vec<&[u8]> = std::vec::Vec::new();
        for f in Fields::new(body) {
            let again = seen.contains(&f.key);
            seen.push(f.key);
            if f.key != b"obj" {
                if f.value != Value::Absent && !again {
                    p.field(f.key, f.value)?;
                }
                continue;
            }
            // The parts no field before wrote.
            let mut fresh = std::vec::Vec::new();
            for part in OBJ_PARTS {
                if !seen.contains(&part.as_bytes()) {
                    fresh.push(part);
                }
                seen.push(part.as_bytes());
            }
            let label = present(Some(f.value)).filter(|_| !again);
            for (name, part) in label.iter().flat_map(|l| label_parts(l.text(), &OBJ_PARTS)) {
                if fresh.contains(&name) {
                    p.key(name)?.push_string(part)?;
                }
            }
        }
        Ok(())
    }

    fn object(
        body: &[u8],
        room: usize,
        write: fn(&mut Members<'_, '_>, &[u8]) -> Result<(), Full>,
    ) -> (bool, std::vec::Vec<u8>) {
        let mut out = std::vec![0u8; room];
        let mut c = Cursor::new(&mut out);
        let ok = Members::open(&mut c)
            .and_then(|mut p| write(&mut p, body).and_then(|()| p.close()))
            .is_ok();
        let len = c.pos();
        out.truncate(len);
        (ok, out)
    }

    fn check(body: &[u8]) {
        for room in [0, 1, 10, 17, 30, 64, 100, 4 * body.len() + 64] {
            let (want_ok, want) = object(body, room, reference);
            let (ok, got) = object(body, room, write_path);
            assert_eq!(ok, want_ok, "{body:?} in {room}");
            if ok {
                assert_eq!(
                    got,
                    want,
                    "{:?} in {room}",
                    std::string::String::from_utf8_lossy(body)
                );
            }
        }
    }

    /// Events of up to eight PATH records among others: the bodies the
    /// facts kept write what the records give.
    #[test]
    fn kept_bodies_write_what_the_records_give() {
        for n in 0..8u8 {
            let mut records = std::vec![(1300u16, b"arch=c000003e syscall=2 items=1".to_vec())];
            records.push((1307, b"cwd=\"/\"".to_vec()));
            for i in 0..n {
                let body = std::format!("item={i} name=\"/f{i}\" inode={i} nametype=NORMAL");
                records.push((1302, body.into_bytes()));
                if i == 1 {
                    records.push((1327, b"proctitle=6C73".to_vec()));
                }
            }
            records.push((1320, std::vec::Vec::new()));
            crate::encode::ecs::tests::with_event(&records, |e| {
                let mut draft = [0u8; 1024];
                let facts = Facts::of(e, &mut draft);
                assert_eq!(facts.paths, u32::from(n));
                for room in [0, 20, 100, 4096] {
                    let (mut a, mut b) = (std::vec![0u8; room], std::vec![0u8; room]);
                    let (mut ca, mut cb) = (Cursor::new(&mut a), Cursor::new(&mut b));
                    let ra = write_paths(&mut ca, e, &facts);
                    let rb = write_path_records(&mut cb, e);
                    assert_eq!(ra, rb, "{n} in {room}");
                    let (ea, eb) = (ca.pos(), cb.pos());
                    assert_eq!(a[..ea], b[..eb], "{n} in {room}");
                }
            });
        }
    }

    #[test]
    fn kernel_records() {
        check(
            b"item=0 name=\"/etc/\" inode=19 dev=fe:00 mode=040755 ouid=0 ogid=0 rdev=00:00 \
              nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
        );
        check(
            b"item=0 name=\"/root/.pyenv/versions/3.11.7/bin/auditctl\" nametype=UNKNOWN cap_fp=0",
        );
        check(b"item=1 name=2F746D702F6120622063 inode=5 obj=system_u:object_r:tmp_t:s0 nametype=CREATE");
        check(b"item=0 name=(null) inode=? dev=(none) nametype=NORMAL");
        check(b"item=0 name=\"a\\\"b\" name=\"x\xc3\xa9\" mode=a\"b inode='q r' dev=\"open");
        check(b"nametype=NORMAL item=0 inode=1 name=\"late\" word  cap_fp=0");
        check(b"cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0");
        check(b"item=0 cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0 cap_fp=0 x=1");
        check(b"item=0 cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0x");
        check(b"item=0 cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0=");
        check(b"item=12345678901234 inode=123456789012345 dev=1234567890123456 mode=?");
    }

    /// The label is split as go-libaudit splits it, in the layout's
    /// place or out of it (`?` and an empty part end it).
    #[test]
    fn the_label_is_split_into_its_parts() {
        let members = |body: &[u8]| {
            let (ok, out) = object(body, 1024, write_path);
            assert!(ok);
            check(body);
            let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
            v
        };
        let kernel = members(
            b"item=0 name=\"/run/systemd/sessions/\" inode=11378 dev=00:13 mode=040755 ouid=0 \
              ogid=0 rdev=00:00 obj=system_u:object_r:systemd_logind_sessions_t:s0 \
              nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
        );
        assert_eq!(
            kernel,
            serde_json::json!({"item":"0","name":"/run/systemd/sessions/","inode":"11378",
                "dev":"00:13","mode":"040755","ouid":"0","ogid":"0","rdev":"00:00",
                "obj_user":"system_u","obj_role":"object_r",
                "obj_domain":"systemd_logind_sessions_t","obj_level":"s0","nametype":"PARENT",
                "cap_fp":"0","cap_fi":"0","cap_fe":"0","cap_fver":"0","cap_frootid":"0"})
        );
        let late = members(b"nametype=NORMAL obj=u:r:t:s0-s0:c0.c1023:x obj=other item=1");
        assert_eq!(
            late,
            serde_json::json!({"nametype":"NORMAL","obj_user":"u","obj_role":"r",
                "obj_domain":"t","obj_level":"s0-s0","obj_category":"c0.c1023:x","item":"1"})
        );
        assert_eq!(
            members(b"item=0 obj=? nametype=NORMAL"),
            serde_json::json!({"item":"0","nametype":"NORMAL"})
        );
        assert_eq!(
            members(b"obj=unconfined"),
            serde_json::json!({"obj_user":"unconfined"})
        );
        assert_eq!(members(b"obj=u::t"), serde_json::json!({"obj_user":"u"}));
        // A member once, whoever writes it first.
        let text = |body: &[u8]| {
            let (ok, out) = object(body, 1024, write_path);
            assert!(ok);
            check(body);
            std::string::String::from_utf8(out).unwrap()
        };
        assert_eq!(
            text(b"item=0 obj=u:r:t:s0 obj_user=x obj_level=y z=1"),
            r#"{"item":"0","obj_user":"u","obj_role":"r","obj_domain":"t","obj_level":"s0","z":"1"}"#
        );
        assert_eq!(
            text(b"obj_role=x item=0 obj=u:r:t:s0"),
            r#"{"obj_role":"x","item":"0","obj_user":"u","obj_domain":"t","obj_level":"s0"}"#
        );
    }

    const KEYS: &[&str] = &[
        "item",
        "name",
        "inode",
        "dev",
        "mode",
        "obj",
        "obj_user",
        "obj_level",
        "nametype",
        "cap_fp",
        "cap_frootid",
        "items",
        "x",
        "",
    ];
    const VALUES: &[&str] = &[
        "=0",
        "=19",
        "=fe:00",
        "=(null)",
        "=?",
        "=(none)",
        "=2F62",
        "=",
        "=\"/a b\"",
        "=\"\"",
        "=\"open",
        "='q r'",
        "=a\\b",
        "=\u{e9}",
        "=a=b",
        "=?x",
        "=(null)x",
        "=u:r:t:s0",
        "=u::t",
        "=(none)",
        "=(nul)",
        "='",
        "=\u{1}",
        "=0123456789abcd",
        "=0123456789abcde",
        "=0123456789abcdef",
        "=0123456789abcdefg",
        "=0123456789abcde\"",
        "=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
        "=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=01",
        "=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=",
        "",
    ];

    proptest::proptest! {
        #[test]
        fn the_layout_writes_what_the_fields_give(
            tokens in proptest::collection::vec(
                (
                    proptest::sample::select(KEYS),
                    proptest::sample::select(VALUES),
                    proptest::sample::select(&[" ", "  ", ""][..]),
                ),
                0..20,
            ),
        ) {
            let body: std::string::String = tokens.iter().map(|(k, v, s)| std::format!("{k}{v}{s}")).collect();
            check(body.as_bytes());
        }

        /// The kernel's record with fields edited at random (values
        /// quoted, long, markers, hex, odd bytes; keys repeated,
        /// replaced, out of order; separators), so that runs stop at any
        /// field.
        #[test]
        fn edited_kernel_records(
            edits in proptest::collection::vec(
                (
                    0usize..14,
                    proptest::sample::select(VALUES),
                    proptest::sample::select(&[" ", "  ", "", " x=1 "][..]),
                    proptest::sample::select(&["", "name", "inode", "dev", "rdev", "nametype", "obj", "item"][..]),
                ),
                0..4,
            ),
        ) {
            let kernel = "item=1 name=\"/etc/passwd\" inode=19 dev=fe:00 mode=0100644 ouid=1000 \
                ogid=100 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0";
            // (The values bring their own `=`, or none.)
            let body = crate::record::prefix::tests::edit_record(kernel, "", &edits);
            check(body.as_bytes());
            check(body.trim_end().as_bytes());
        }

        #[test]
        fn any_bytes(body in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::sample::select(&b"  ==\"'\\aemnitox01()?"[..]),
                proptest::num::u8::ANY,
            ],
            0..100,
        )) {
            check(&body);
        }
    }
}
