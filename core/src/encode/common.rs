//! What every event shape shares: the header (`sequence`, `timestamp`, the
//! opening of the record list), the `uid_map` tail and the truncation
//! marker, written around the shape's own list by [`frame`]; and the
//! `Serialize` views both shapes use for byte strings ([`Text`]), the uid
//! map and container ids.
//!
//! [`frame`] keeps room for the tail while the list is written, so a list
//! cut short still closes as valid JSON with `"truncated":true`.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json_core::str::EscapedStr;

use super::cursor::{Cursor, Full};
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
/// "uid_map":{…}}` into `out`; `write_list` writes the list's items (it
/// may use all the cursor's room: the tail's is held back) and returns
/// whether it left something out.
pub(super) fn frame<E: Enrich>(
    event: &Event<'_>,
    enrich: &mut E,
    out: &mut [u8],
    list: &str,
    write_list: impl FnOnce(&mut Cursor<'_>, &E) -> bool,
) -> Encoded {
    const NOTHING: Encoded = Encoded {
        len: 0,
        truncated: true,
    };
    if out.len() < MIN_BUFFER {
        return NOTHING;
    }
    // Scanned once: the enricher resolves the same values.
    let uids = UidValues::of_event(event);
    enrich.prepare(event, &uids);
    let enrich = &*enrich;
    let mut scratch = [0u8; UID_MAP_SCRATCH];
    let (uid_map_len, uids_cut) = encode_uid_map(&uids, enrich, &mut scratch);
    let mut truncated = uids.overflowed || uids_cut || event.dropped_records() > 0;

    let mut cursor = Cursor::new(out);
    // The outline alone fits in MIN_BUFFER (list names are short).
    if write_header(&mut cursor, event, list).is_err() {
        return NOTHING;
    }
    let mut uid_map = scratch.get(..uid_map_len).unwrap_or(b"{}");
    let tail = |map_len: usize| UID_MAP_KEY.len() + map_len + TRUNCATED.len() + 1;
    if tail(uid_map.len()) > cursor.room() {
        uid_map = b"{}";
        truncated = true;
    }
    cursor.reserve_tail(tail(uid_map.len()));
    truncated |= write_list(&mut cursor, enrich);
    cursor.release_tail();
    let closed = cursor
        .push(UID_MAP_KEY)
        .and_then(|()| cursor.push(uid_map))
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
    Encoded {
        len: cursor.pos(),
        truncated,
    }
}

/// `{"sequence":N,"timestamp":"S.MMM","<list>":[`.
fn write_header(cursor: &mut Cursor<'_>, event: &Event<'_>, list: &str) -> Result<(), Full> {
    let ts = event.timestamp();
    cursor.push(b"{\"sequence\":")?;
    cursor.push_u64(u64::from(event.serial()))?;
    cursor.push(b",\"timestamp\":\"")?;
    cursor.push_u64(ts.seconds)?;
    cursor.push(b".")?;
    cursor.push_u64_padded(u64::from(ts.millis), 3)?;
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

/// Encodes the uid map into `scratch`, dropping entries from the end until
/// it fits. Returns its length and whether entries were dropped.
fn encode_uid_map(uids: &UidValues<'_>, enrich: &impl Enrich, scratch: &mut [u8]) -> (usize, bool) {
    let mut count = uids.values.len();
    loop {
        let map = UidMap {
            uids: uids.values.get(..count).unwrap_or(&[]),
            enrich,
        };
        if let Ok(len) = serde_json_core::to_slice(&map, scratch) {
            return (len, count < uids.values.len());
        }
        if count == 0 {
            return (0, true);
        }
        count -= 1;
    }
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

struct UidMap<'a, N> {
    uids: &'a [&'a [u8]],
    enrich: &'a N,
}

impl<N: Enrich> Serialize for UidMap<'_, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.uids.len()))?;
        for uid in self.uids {
            let name = self.enrich.user_name(uid).unwrap_or(UNKNOWN_USER);
            map.serialize_entry(&Text(Lossy::new(uid)), name)?;
        }
        map.end()
    }
}
