//! `process.*`: pid, parent, name, executable, title (PROCTITLE decoded),
//! args (EXECVE arguments joined across records), working directory.

use super::facts::{present, Facts};
use super::members::Members;
use super::Detail;
use crate::assemble::Event;
use crate::encode::cursor::{Cursor, Full};
use crate::encode::structured::execve::{write_arg, write_single_args, Args};
use crate::encode::Enrich;
use crate::record::{looks_hex, Value};

/// Longest proctitle decoded for `process.title` (the kernel logs 128).
pub(super) const TITLE_MAX: usize = 512;

// A title is decoded whole on the stack when it is not written in place.
const _: () = assert!(TITLE_MAX <= crate::encode::cursor::HEX_STACK);

pub(super) fn write_process(
    doc: &mut Members<'_, '_>,
    event: &Event<'_>,
    facts: &Facts<'_>,
    enrich: &impl Enrich,
    detail: Detail,
) -> Result<(), Full> {
    let pid_text = present(facts.get(b"pid")).map(|v| v.text());
    let ppid_text = present(facts.get(b"ppid")).map(|v| v.text());
    let pid = pid_text.and_then(Decimal::of);
    let ppid = ppid_text.and_then(Decimal::of);
    let comm = present(facts.get(b"comm"));
    let exe = present(facts.get(b"exe"));
    let cwd = present(facts.cwd);
    let title = present(facts.proctitle).filter(|_| detail == Detail::Whole);
    let args = facts.has_execve && detail == Detail::Whole;
    if pid.is_none() && comm.is_none() && exe.is_none() {
        return Ok(());
    }
    let mut p = Members::open(doc.key("process")?)?;
    if let Some(pid) = pid {
        p.decimal("pid", pid)?;
        // The identity the caller found, while the process was alive.
        if let Some(me) = pid_text.and_then(|t| enrich.process(t)) {
            p.str("entity_id", me.entity_id)?;
        }
    }
    if let Some(ppid) = ppid {
        let mut parent = Members::open(p.key("parent")?)?;
        parent.decimal("pid", ppid)?;
        if let Some(up) = ppid_text.and_then(|t| enrich.process(t)) {
            parent.str("entity_id", up.entity_id)?;
            if let Some(exe) = up.executable {
                parent.str("executable", exe)?;
            }
            if let Some(name) = up.name {
                parent.str("name", name)?;
            }
        }
        parent.close()?;
    }
    p.value("name", b"comm", comm)?;
    p.value("executable", b"exe", exe)?;
    if let Some(title) = title {
        write_title(p.key("title")?, title)?;
    }
    if args {
        write_args(p.key("args")?, event)?;
    }
    p.value("working_directory", b"cwd", cwd)?;
    p.close()
}

/// A decimal number as `u64`'s `FromStr` reads it.
pub(super) fn number(text: &[u8]) -> Option<u64> {
    crate::record::number::parse_u64(text, 10)
}

/// A decimal number to write as JSON: its text when that is how `{}`
/// writes it (the kernel's pids: copied), else the number it reads as
/// ([`number`]: written again).
#[derive(Clone, Copy)]
pub(super) enum Decimal<'a> {
    Text(&'a [u8]),
    Value(u64),
}

impl<'a> Decimal<'a> {
    /// `text` as a number, when [`number`] reads one.
    #[inline(always)]
    pub(super) fn of(text: &'a [u8]) -> Option<Decimal<'a>> {
        if crate::record::number::is_canonical_decimal(text) {
            return Some(Decimal::Text(text));
        }
        number(text).map(Decimal::Value)
    }
}

/// `proctitle` as one string: hex decoded, NULs between arguments as
/// spaces (a quoted title as it is).
pub(super) fn write_title(c: &mut Cursor<'_>, title: Value<'_>) -> Result<(), Full> {
    match title {
        Value::Bare(hex) if looks_hex(hex) => {
            let even = hex.len().min(2 * TITLE_MAX) & !1;
            c.push_hex_string_mapped(hex.get(..even).unwrap_or_default(), |title| {
                nuls_to_spaces(title);
                title.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1)
            })
        }
        value => c.push_string(value.text()),
    }
}

/// Every NUL of `text` a space, eight bytes at a time.
#[inline]
fn nuls_to_spaces(text: &mut [u8]) {
    const LOW: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let mut words = text.chunks_exact_mut(8);
    for word in &mut words {
        let Ok(eight) = <[u8; 8]>::try_from(&*word) else {
            continue;
        };
        let x = u64::from_le_bytes(eight);
        // 0x80 in exactly the bytes that are 0 (no borrow between bytes).
        let zeros = !(((x & LOW) + LOW) | x | LOW);
        if zeros != 0 {
            // 0x80 >> 2 is a space.
            word.copy_from_slice(&(x | zeros >> 2).to_le_bytes());
        }
    }
    for b in words.into_remainder() {
        if *b == 0 {
            *b = b' ';
        }
    }
}

/// The EXECVE arguments in order, joined across records and decoded:
/// in one pass while each is one field (the usual case), else (a split
/// argument, or no room in that pass) again by [`write_joined_args`].
pub(super) fn write_args(c: &mut Cursor<'_>, event: &Event<'_>) -> Result<(), Full> {
    let start = c.pos();
    let one_pass = c.push(b"[").ok().and_then(|()| write_single_args(c, event));
    if one_pass.and_then(|()| c.push(b"]").ok()).is_some() {
        return Ok(());
    }
    c.unwind(start);
    write_joined_args(c, event)
}

/// The arguments as [`Args`] joins them (pieces of a split argument in
/// order, across records).
pub(super) fn write_joined_args(c: &mut Cursor<'_>, event: &Event<'_>) -> Result<(), Full> {
    c.push(b"[")?;
    for (i, arg) in Args::of(event).enumerate() {
        if i > 0 {
            c.push(b",")?;
        }
        write_arg(c, &arg)?;
    }
    c.push(b"]")
}

#[cfg(test)]
mod tests {
    extern crate std;

    use crate::encode::cursor::Cursor;
    use crate::record::Value;

    /// `process.title` as it was written before it was decoded in place:
    /// through a stack buffer, NULs as spaces, trailing spaces trimmed.
    fn title_reference(hex: &[u8]) -> std::vec::Vec<u8> {
        let mut out = std::vec![0u8; 4096];
        let mut c = Cursor::new(&mut out);
        let mut buf = [0u8; super::TITLE_MAX];
        let even = hex.len().min(2 * super::TITLE_MAX) & !1;
        let n = crate::record::decode_hex(&hex[..even], &mut buf).unwrap_or(0);
        let title = &mut buf[..n];
        for b in title.iter_mut() {
            if *b == 0 {
                *b = b' ';
            }
        }
        let end = title.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
        c.push_string(&title[..end]).unwrap();
        let len = c.pos();
        out.truncate(len);
        out
    }

    proptest::proptest! {
        /// Eight bytes at a time, every NUL becomes a space and nothing
        /// else changes.
        #[test]
        fn nuls_become_spaces(bytes in proptest::collection::vec(proptest::sample::select(std::vec![0u8, 1, b' ', 0x7f, 0x80, 0xff, b'a']), 0..40)) {
            let mut text = bytes.clone();
            super::nuls_to_spaces(&mut text);
            let want: std::vec::Vec<u8> = bytes.iter().map(|&b| if b == 0 { b' ' } else { b }).collect();
            proptest::prop_assert_eq!(text, want);
        }

        /// The title decoded in place is what the stack buffer gave, in
        /// any room (a room too small for it refuses in both).
        #[test]
        fn title_in_place_equals_the_reference(
            bytes in proptest::collection::vec(
                proptest::sample::select(std::vec![0u8, b' ', b'a', b'"', 0x7f, 0xc3, 0xa9, 0xff]),
                1..700,
            ),
            room in 0usize..1600,
        ) {
            let hex: std::string::String = bytes.iter().map(|b| std::format!("{b:02X}")).collect();
            let want = title_reference(hex.as_bytes());
            let mut out = std::vec![0u8; room];
            let mut c = Cursor::new(&mut out);
            let written = super::write_title(&mut c, Value::Bare(hex.as_bytes()));
            let len = c.pos();
            if want.len() <= room {
                proptest::prop_assert!(written.is_ok());
                proptest::prop_assert_eq!(&out[..len], &want[..]);
            } else {
                proptest::prop_assert!(written.is_err());
            }
        }

    }
}
