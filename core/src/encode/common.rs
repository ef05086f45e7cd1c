//! What every event shape shares: the header (`sequence`, `timestamp`, the
//! opening of the record list), the `uid_map` tail and the truncation
//! marker, written around the shape's own list by [`frame`]; container ids;
//! and the `Serialize` view both shapes use for byte strings ([`Text`]).
//! The header, the uid map and container ids are written directly (with
//! [`Cursor::push_escaped`]: serde-json-core's bytes, not its char-by-char
//! path); tests hold them to what serde-json-core writes.
//!
//! [`frame`] keeps room for the tail while the list is written, so a list
//! cut short still closes as valid JSON with `"truncated":true`.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json_core::str::EscapedStr;

use super::cursor::{Cursor, Full};
use super::cut::{Cut, MARKER_MAX};
use super::text::{escape_into, Lossy};
use super::uids::UidValues;
use super::{Encoded, Enrich, MIN_BUFFER, UNKNOWN_USER};
use crate::assemble::{Event, EventRecord};
use crate::wire::MessageType;

/// Scratch space for the encoded `uid_map`; entries that do not fit are
/// left out and the event is marked truncated.
const UID_MAP_SCRATCH: usize = 1024;
pub(super) const TRUNCATED: &[u8] = b",\"truncated\":true";
const UID_MAP_KEY: &[u8] = b"],\"uid_map\":";

/// Encodes `event` as `{"sequence":N,"timestamp":"S.MMM","<list>":[…],
/// "uid_map":{…}}` into `out`, with `"cut":{…}` when `cut` says arguments
/// were left out; `write_list` writes the list's items (it may use all the
/// cursor's room: the tail's is held back) and returns whether it left
/// something out because the room ran out. Returns what was written and
/// that answer (`Framed::list_cut`).
pub(super) fn frame<E: Enrich>(
    event: &Event<'_>,
    enrich: &mut E,
    out: &mut [u8],
    (list, cut): (&str, Option<Cut>),
    write_list: impl FnOnce(&mut Cursor<'_>, &E) -> bool,
) -> Framed {
    const NOTHING: Framed = Framed {
        encoded: Encoded {
            len: 0,
            truncated: true,
            cut: None,
        },
        list_cut: true,
    };
    if out.len() < MIN_BUFFER {
        return NOTHING;
    }
    // Scanned once: the enricher resolves the same values.
    let uids = match enrich.uid_scanner() {
        Some(scanner) => scanner.scan_event(event),
        None => UidValues::of_event(event),
    };
    enrich.prepare(event, &uids);
    let enrich = &*enrich;
    let mut scratch = [0u8; UID_MAP_SCRATCH];
    let (uid_map_len, uids_cut) = encode_uid_map(&uids, enrich, &mut scratch);
    let mut truncated = uids.overflowed || uids_cut || event.dropped_records() > 0;

    let mut uid_map = scratch.get(..uid_map_len).unwrap_or(b"{}");
    let marker = if cut.is_some() { MARKER_MAX } else { 0 };
    let redacted = if event.redacted() > 0 {
        REDACTED_MAX
    } else {
        0
    };
    let tail =
        |map_len: usize| UID_MAP_KEY.len() + map_len + TRUNCATED.len() + marker + redacted + 1;

    let mut cursor = Cursor::new(out);
    // The outline alone fits in MIN_BUFFER (list names are short).
    // The host name when asked for and there is room for it and for the
    // smallest closing after it, an empty map and no cut marker (else a
    // room that holds the header with the host but not its closing would
    // hold nothing at all; a cut document that has no room for its marker
    // gives way to the records as far as they go, see `fit`); the outline
    // without it always fits MIN_BUFFER. Left out, it counts as the list
    // running out of room: the document is marked, and no whole attempt
    // passes without it.
    let host = enrich.host_tag();
    let with_host = write_header(&mut cursor, event, list, host);
    let closing = tail(2).saturating_sub(marker);
    let host_left_out = host.is_some() && (with_host.is_err() || closing > cursor.room());
    if host_left_out {
        cursor.unwind(0);
        if write_header(&mut cursor, event, list, None).is_err() {
            return NOTHING;
        }
    } else if with_host.is_err() {
        return NOTHING;
    }
    if tail(uid_map.len()) > cursor.room() {
        uid_map = b"{}";
        truncated = true;
    }
    cursor.reserve_tail(tail(uid_map.len()));
    let list_cut = write_list(&mut cursor, enrich) || host_left_out;
    truncated |= list_cut;
    cursor.release_tail();
    let closed = cursor
        .push(UID_MAP_KEY)
        .and_then(|()| cursor.push(uid_map))
        .and_then(|()| match cut {
            Some(cut) => write_cut(&mut cursor, cut),
            None => Ok(()),
        })
        .and_then(|()| write_redacted(&mut cursor, event.redacted()))
        .and_then(|()| {
            if truncated {
                cursor.push(TRUNCATED)
            } else {
                Ok(())
            }
        })
        .and_then(|()| cursor.push(b"}"));
    if closed.is_err() {
        return NOTHING;
    }
    Framed {
        encoded: Encoded {
            len: cursor.pos(),
            truncated,
            cut,
        },
        list_cut,
    }
}

/// What [`frame`] wrote, and whether the list ran out of room.
#[derive(Clone, Copy, Debug)]
pub(super) struct Framed {
    pub encoded: Encoded,
    pub list_cut: bool,
}

/// `,"redacted":N`: the longest.
pub(super) const REDACTED_MAX: usize = 12 + 10;

/// `,"redacted":N` when secrets were replaced in the event's records
/// (`raudit.redact`); nothing otherwise.
pub(super) fn write_redacted(cursor: &mut Cursor<'_>, redacted: u32) -> Result<(), Full> {
    if redacted == 0 {
        return Ok(());
    }
    cursor.push(b",\"redacted\":")?;
    cursor.push_u64(u64::from(redacted))
}

/// `,"cut":{"arguments":N,"bytes":M}`.
fn write_cut(cursor: &mut Cursor<'_>, cut: Cut) -> Result<(), Full> {
    cursor.push(b",\"cut\":{\"arguments\":")?;
    cursor.push_u64(u64::from(cut.arguments))?;
    cursor.push(b",\"bytes\":")?;
    cursor.push_u64(cut.bytes)?;
    cursor.push(b"}")
}

/// `{"sequence":N,"timestamp":"S.MMM",["host":"H",]"<list>":[`.
fn write_header(
    cursor: &mut Cursor<'_>,
    event: &Event<'_>,
    list: &str,
    host: Option<&str>,
) -> Result<(), Full> {
    let ts = event.timestamp();
    cursor.push(b"{\"sequence\":")?;
    cursor.push_u64(u64::from(event.serial()))?;
    cursor.push(b",\"timestamp\":\"")?;
    cursor.push_u64(ts.seconds)?;
    cursor.push(b".")?;
    cursor.push_u64_padded(u64::from(ts.millis), 3)?;
    if let Some(host) = host {
        cursor.push(b"\",\"host\":\"")?;
        cursor.push_escaped(host.as_bytes())?;
    }
    cursor.push(b"\",\"")?;
    cursor.push(list.as_bytes())?;
    cursor.push(b"\":[")
}

/// The container id go-audit adds to SYSCALL (1300) and 1326 records.
pub(super) fn container_of<'e>(
    enrich: &'e impl Enrich,
    record: EventRecord<'_>,
) -> Option<&'e str> {
    match record.msg_type {
        MessageType::SYSCALL | MessageType(1326) => {
            enrich.container_id(record.msg_type, record.body)
        }
        _ => None,
    }
}

/// Encodes the uid map, `{"UID":"NAME",…}`, into `scratch`: the entries
/// in order up to the last that fits with the closing brace. Returns its
/// length and whether entries were left out.
fn encode_uid_map(uids: &UidValues<'_>, enrich: &impl Enrich, scratch: &mut [u8]) -> (usize, bool) {
    let mut map = Cursor::new(scratch);
    map.reserve_tail(1); // the closing brace
    if map.push(b"{").is_err() {
        return (0, true);
    }
    let mut kept = 0;
    for uid in &uids.values {
        let name = enrich.user_name(uid).unwrap_or(UNKNOWN_USER);
        let at = map.pos();
        let open: &[u8] = if kept > 0 { b",\"" } else { b"\"" };
        let entry = map
            .push(open)
            .and_then(|()| map.push_escaped(uid))
            .and_then(|()| map.push(b"\":\""))
            .and_then(|()| map.push_escaped(name.as_bytes()))
            .and_then(|()| map.push(b"\""));
        if entry.is_err() {
            map.unwind(at);
            break;
        }
        kept += 1;
    }
    map.release_tail();
    if map.push(b"}").is_err() {
        return (0, true);
    }
    (map.pos(), kept < uids.values.len())
}

/// Writes go-audit's `containers` member's value, `{"id":"…"}` (the bytes
/// [`ContainerId`] serializes to).
pub(super) fn write_container(cursor: &mut Cursor<'_>, id: &str) -> Result<(), Full> {
    cursor.push(b"{\"id\":\"")?;
    cursor.push_escaped(id.as_bytes())?;
    cursor.push(b"\"}")
}

/// A byte string as a JSON string, lossily (see [`Lossy`]).
pub(super) struct Text<'a>(pub Lossy<'a>);

/// Escaped form of one value, on the stack; values whose escaped form is
/// larger go through `collect_str` instead. Kept small: the scratch is
/// zeroed on every call (go-audit's large `data` values do not come here,
/// they are escaped straight into the output).
const ESCAPE_SCRATCH: usize = 512;

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.budget == usize::MAX {
            let bytes = self.0.bytes;
            // Most values need no escaping at all: copy them as they are.
            if bytes.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\') {
                if let Ok(plain) = core::str::from_utf8(bytes) {
                    return EscapedStr(plain).serialize(serializer);
                }
            }
            let mut scratch = [0u8; ESCAPE_SCRATCH];
            if let Some(len) = escape_into(bytes, &mut scratch) {
                if let Ok(escaped) = core::str::from_utf8(scratch.get(..len).unwrap_or_default()) {
                    return EscapedStr(escaped).serialize(serializer);
                }
            }
        }
        serializer.collect_str(&self.0)
    }
}

/// `{"id":…}`, go-audit's `containers` member.
pub(super) struct ContainerId<'a>(pub &'a str);

impl Serialize for ContainerId<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("id", self.0)?;
        map.end()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    extern crate std;
    use std::format;
    use std::string::String;
    use std::vec::Vec;

    use serde::ser::SerializeMap;

    use super::*;
    use crate::encode::uids::MAX_UIDS;

    /// Names with everything JSON escapes, and long ones to fill the map.
    struct Names;

    impl Enrich for Names {
        fn user_name(&self, uid: &[u8]) -> Option<&str> {
            match uid {
                b"0" => Some("root"),
                b"1" => Some("q\"uote\\back"),
                b"2" => Some("ctl\u{1}\u{1f}\t\n"),
                b"3" => Some("caf\u{e9} \u{2028} \u{1f600}"),
                b"4" => Some("x"),
                [b'9', ..] => Some("a-rather-long-user-name-to-fill-the-scratch-fast"),
                _ => None,
            }
        }
    }

    /// The uid map as serde-json-core serializes it (how it was written
    /// before it was written directly).
    struct UidMap<'a>(&'a [&'a [u8]]);

    impl Serialize for UidMap<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(Some(self.0.len()))?;
            for uid in self.0 {
                let name = Names.user_name(uid).unwrap_or(UNKNOWN_USER);
                map.serialize_entry(&Text(Lossy::new(uid)), name)?;
            }
            map.end()
        }
    }

    /// The old way: serde-json-core, dropping entries from the end until
    /// the map fits.
    fn uid_map_via_serde(uids: &UidValues<'_>, scratch: &mut [u8]) -> (usize, bool) {
        let mut count = uids.values.len();
        loop {
            if let Ok(len) = serde_json_core::to_slice(&UidMap(&uids.values[..count]), scratch) {
                return (len, count < uids.values.len());
            }
            if count == 0 {
                return (0, true);
            }
            count -= 1;
        }
    }

    fn uids<'a>(values: &[&'a [u8]]) -> UidValues<'a> {
        let mut uids = UidValues::default();
        for value in values {
            uids.values.push(value).unwrap();
        }
        uids
    }

    fn both(uids: &UidValues<'_>, size: usize) -> ((Vec<u8>, bool), (Vec<u8>, bool)) {
        let mut a = std::vec![0u8; size];
        let mut b = std::vec![0u8; size];
        let (len, cut) = encode_uid_map(uids, &Names, &mut a);
        let (serde_len, serde_cut) = uid_map_via_serde(uids, &mut b);
        (
            (a[..len].to_vec(), cut),
            (b[..serde_len].to_vec(), serde_cut),
        )
    }

    #[test]
    fn uid_map_matches_serde_json_core() {
        let odd: [&[u8]; 9] = [
            b"",
            b"0",
            b"1",
            b"2",
            b"3",
            b"4",
            b"77",
            b"bad\xff\xfe\"\\\x01",
            b"\xe2\x82\xac",
        ];
        let uids = uids(&odd);
        let (direct, via_serde) = both(&uids, UID_MAP_SCRATCH);
        assert_eq!(direct, via_serde);
        assert!(!direct.1);
        let text = String::from_utf8(direct.0).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["1"], "q\"uote\\back");
        assert_eq!(parsed["bad\u{fffd}\u{fffd}\"\\\u{1}"], UNKNOWN_USER);

        let empty = both(&UidValues::default(), UID_MAP_SCRATCH);
        assert_eq!(empty.0, (b"{}".to_vec(), false));
        assert_eq!(empty.0, empty.1);
    }

    #[test]
    fn uid_map_is_cut_at_the_same_entry_as_before() {
        let owned: Vec<String> = (0..MAX_UIDS).map(|i| format!("9{i:03}")).collect();
        let values: Vec<&[u8]> = owned.iter().map(|v| v.as_bytes()).collect();
        let uids = uids(&values);
        // The real scratch holds some of these, not all.
        let (direct, via_serde) = both(&uids, UID_MAP_SCRATCH);
        assert!(direct.1);
        assert_eq!(direct, via_serde);
        // Every size, from one that cannot hold `{}` up.
        for size in 0..200 {
            assert_eq!(both(&uids, size).0, both(&uids, size).1, "{size}");
        }
        let odd = uids_with_escapes();
        for size in 0..120 {
            let (direct, via_serde) = both(&odd, size);
            assert_eq!(direct, via_serde, "{size}");
        }
    }

    fn uids_with_escapes() -> UidValues<'static> {
        uids(&[b"0", b"1", b"2", b"3", b"\x01\x02", b"x\xff"])
    }

    #[test]
    fn container_writer_matches_serde_json_core() {
        for id in ["0123abcd", "", "c0\"ff\\ee\u{1}", "caf\u{e9}"] {
            let mut a = [0u8; 128];
            let mut b = [0u8; 128];
            let mut direct = Cursor::new(&mut a);
            write_container(&mut direct, id).unwrap();
            let len = direct.pos();
            let serde_len = serde_json_core::to_slice(&ContainerId(id), &mut b).unwrap();
            assert_eq!(&a[..len], &b[..serde_len], "{id:?}");
        }
    }
}
