//! Tests of the go-audit encoder: exact output, escaping, truncation.

extern crate std;
use std::string::String;
use std::vec;
use std::vec::Vec;

use super::*;
use crate::assemble::{Assembler, EventSlot, RecordSlot, Settings};
use crate::record::{Record, Timestamp};
use crate::time::Instant;

use crate::encode::test_names::Names;
use crate::encode::Shape;

/// Assembles `records` (type, body) as one event with serial 42 and
/// encodes it into a buffer of `size` bytes.
fn encode(records: &[(u16, &[u8])], size: usize) -> (String, Encoded) {
    encode_with(records, size, |e, out| go_audit(e, &mut Names, out))
}

/// [`encode`] through `encoder` (an entry point of this shape).
fn encode_with(
    records: &[(u16, &[u8])],
    size: usize,
    mut encoder: impl FnMut(&Event<'_>, &mut [u8]) -> Encoded,
) -> (String, Encoded) {
    let mut asm: Assembler<[EventSlot; 2], [RecordSlot; 16], [u8; 4096]> = Assembler::new(
        Settings::default(),
        [EventSlot::default(); 2],
        [RecordSlot::default(); 16],
        [0; 4096],
    );
    let mut out = std::vec![0u8; size];
    let mut result = None;
    let mut emit = |e: &Event<'_>| {
        let encoded = encoder(e, &mut out);
        result = Some((
            String::from_utf8(out[..encoded.len].to_vec()).unwrap(),
            encoded,
        ));
    };
    let ts = Timestamp {
        seconds: 1_700_000_000,
        millis: 7,
    };
    for &(t, body) in records {
        let r = Record {
            msg_type: MessageType(t),
            timestamp: ts,
            serial: 42,
            body,
            node: None,
            enriched: None,
        };
        asm.push(&r, Instant(0), &mut emit);
    }
    let eoe = Record {
        msg_type: MessageType::EOE,
        timestamp: ts,
        serial: 42,
        body: b"",
        node: None,
        enriched: None,
    };
    asm.push(&eoe, Instant(0), &mut emit);
    result.unwrap()
}

#[test]
fn writes_go_audits_shape_exactly() {
    let (json, encoded) = encode(
        &[
            (
                1300,
                b"arch=c000003e syscall=59 pid=7 auid=1000 uid=0 euid=0",
            ),
            (1309, b"argc=2 a0=\"ls\" a1=\"uid=5\""),
            (1302, b"item=0 name=\"/bin/ls\" ouid=0"),
        ],
        4096,
    );
    assert!(!encoded.truncated);
    assert_eq!(
        json,
        "{\"sequence\":42,\"timestamp\":\"1700000000.007\",\"messages\":[\
         {\"type\":1300,\"data\":\"arch=c000003e syscall=59 pid=7 auid=1000 uid=0 euid=0\"},\
         {\"type\":1309,\"data\":\"argc=2 a0=\\\"ls\\\" a1=\\\"uid=5\\\"\"},\
         {\"type\":1302,\"data\":\"item=0 name=\\\"/bin/ls\\\" ouid=0\"}],\
         \"uid_map\":{\"0\":\"root\",\"1000\":\"alice\"}}"
    );
}

#[test]
fn unknown_uids_map_to_unknown_user_and_containers_are_added() {
    let (json, _) = encode(
        &[(1300, b"syscall=59 pid=4242 auid=4294967295 uid=77")],
        4096,
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["uid_map"]["4294967295"], "UNKNOWN_USER");
    assert_eq!(v["uid_map"]["77"], "UNKNOWN_USER");
    assert_eq!(v["messages"][0]["containers"]["id"], "c0ffee");
}

#[test]
fn invalid_utf8_and_control_bytes_stay_valid_json() {
    let (json, _) = encode(
        &[(1300, b"name=\xff\xfe tab=\t nul=\x00 quote=\" back=\\")],
        4096,
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["messages"][0]["data"],
        "name=\u{fffd}\u{fffd} tab=\t nul=\u{0} quote=\" back=\\"
    );
}

#[test]
fn oversized_event_is_cut_at_a_message_and_marked() {
    let long: Vec<u8> = vec![b'x'; 600];
    let records = [
        (1300, &b"syscall=59 uid=0"[..]),
        (1309, &long[..]),
        (1302, &b"name=\"/x\""[..]),
    ];
    let (full, _) = encode(&records, 4096);
    // The marker's room is always kept, so a buffer that fits the whole
    // event plus the marker never truncates.
    let enough = full.len() + TRUNCATED.len();
    for size in [
        MIN_BUFFER,
        200,
        300,
        500,
        700,
        full.len(),
        enough,
        enough + 1,
    ] {
        let (json, encoded) = encode(&records, size);
        assert!(json.len() <= size);
        let v: serde_json::Value =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("size {size}: {e}: {json}"));
        assert_eq!(v["sequence"], 42);
        assert_eq!(encoded.truncated, size < enough, "size {size}: {json}");
        if encoded.truncated {
            assert_eq!(v["truncated"], true);
            assert!(v["messages"].as_array().unwrap().len() <= 3);
        } else {
            assert_eq!(json, full);
        }
    }
}

#[test]
fn buffer_below_minimum_writes_nothing_and_says_so() {
    let (json, encoded) = encode(&[(1300, b"x")], MIN_BUFFER - 1);
    assert_eq!(
        (json.as_str(), encoded),
        (
            "",
            Encoded {
                len: 0,
                truncated: true,
                cut: None,
            }
        )
    );
}

#[test]
fn direct_message_writer_matches_the_serde_serialization() {
    let bodies: [&[u8]; 5] = [
        b"arch=c000003e syscall=59 comm=\"ls\"",
        b"",
        b"ctl \x01\x1f tab\t \xff\xfe bad",
        "caf\u{e9} \u{2028}".as_bytes(),
        b"back\\slash \"q\"",
    ];
    for body in bodies {
        for container in [None, Some("c0\"ffee")] {
            let record = EventRecord {
                msg_type: MessageType(1300),
                body,
            };
            let message = Message {
                record,
                container,
                budget: None,
            };
            let mut a = [0u8; 512];
            let mut b = [0u8; 512];
            let mut direct = Cursor::new(&mut a);
            write_whole_message(&mut direct, &message, true).unwrap();
            let len = direct.pos();
            let mut via_serde = Cursor::new(&mut b);
            via_serde.serialize(&message).unwrap();
            let serde_len = via_serde.pos();
            assert_eq!(&a[..len], &b[..serde_len], "{body:?}");
        }
    }
}

/// `raudit.host_name`: `"host"` after `"timestamp"` when the enricher
/// says so; with room for nothing more the outline goes without it.
#[test]
fn host_name_after_the_timestamp_when_asked() {
    struct Host(&'static str);
    impl Enrich for Host {
        fn user_name(&self, _uid: &[u8]) -> Option<&str> {
            None
        }
        fn host_tag(&self) -> Option<&str> {
            Some(self.0)
        }
    }
    let mut asm: Assembler<[EventSlot; 2], [RecordSlot; 16], [u8; 4096]> = Assembler::new(
        Settings::default(),
        [EventSlot::default(); 2],
        [RecordSlot::default(); 16],
        [0; 4096],
    );
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut emit = |e: &Event<'_>| {
        let mut out = vec![0u8; 4096];
        let n = go_audit(e, &mut Host("web-1"), &mut out).len;
        let with = String::from_utf8(out[..n].to_vec()).unwrap();
        let long = "h".repeat(120);
        let long: &'static str = std::boxed::Box::leak(long.into_boxed_str());
        let mut small = vec![0u8; MIN_BUFFER];
        let n = go_audit(e, &mut Host(long), &mut small).len;
        seen.push((with, String::from_utf8(small[..n].to_vec()).unwrap()));
    };
    let r = Record {
        msg_type: MessageType::SYSCALL,
        timestamp: Timestamp {
            seconds: 1_700_000_000,
            millis: 7,
        },
        serial: 42,
        body: b"arch=c000003e syscall=1 success=yes exit=1 pid=3 uid=0",
        node: None,
        enriched: None,
    };
    asm.push(&r, Instant(0), &mut emit);
    asm.flush(&mut emit);
    let (with, small) = &seen[0];
    assert!(
        with.starts_with(
            r#"{"sequence":42,"timestamp":"1700000000.007","host":"web-1","messages":["#
        ),
        "{with}"
    );
    let v: serde_json::Value = serde_json::from_str(small).unwrap();
    assert!(v.get("host").is_none(), "{small}");
    assert_eq!(v["truncated"], true);
}

#[test]
fn a_line_is_never_shorter_than_its_bodies_so_a_room_below_them_is_skipped() {
    let mut asm: Assembler<[EventSlot; 2], [RecordSlot; 16], [u8; 4096]> = Assembler::new(
        Settings::default(),
        [EventSlot::default(); 2],
        [RecordSlot::default(); 16],
        [0; 4096],
    );
    let bodies: [&[u8]; 3] = [
        b"arch=c000003e syscall=59 success=yes uid=0",
        b"argc=2 a0=\"ls\" a1=2D6C20E282AC",
        b"name=\"a \\\"b\xff\" \x01",
    ];
    let sum: usize = bodies.iter().map(|b| b.len()).sum();
    let mut checked = false;
    let mut emit = |e: &Event<'_>| {
        let mut out = vec![0u8; 4096];
        let whole = go_audit(e, &mut Names, &mut out);
        assert!(whole.cut.is_none() && !whole.truncated);
        assert!(whole.len >= sum, "{} < {sum}", whole.len);
        assert!(Shape::GoAudit.surely_exceeds(e, sum - 1));
        assert!(!Shape::GoAudit.surely_exceeds(e, sum));
        for room in [MIN_BUFFER, sum - 1] {
            let mut small = vec![0u8; room];
            assert!(Shape::GoAudit
                .encode_whole(e, &mut Names, &mut small)
                .is_none());
        }
        // The other shapes decode and parse: no bound is claimed.
        assert!(!Shape::Structured.surely_exceeds(e, 0));
        assert!(!Shape::Ecs.surely_exceeds(e, 0));
        checked = true;
    };
    let ts = Timestamp {
        seconds: 1_700_000_000,
        millis: 7,
    };
    for (t, body) in [
        (1300u16, bodies[0]),
        (1309, bodies[1]),
        (1302, bodies[2]),
        (1320, b""),
    ] {
        let r = Record {
            msg_type: MessageType(t),
            timestamp: ts,
            serial: 42,
            body,
            node: None,
            enriched: None,
        };
        asm.push(&r, Instant(0), &mut emit);
    }
    assert!(checked);
}

#[test]
fn whole_is_what_the_whole_attempt_of_the_cut_encoder_gives() {
    // `whole` stops at the first message that does not fit instead of
    // cutting it: the same answer as the cut encoder's whole attempt,
    // which it replaces where only a whole document is wanted.
    let records: &[(u16, &[u8])] = &[
        (
            1300,
            b"arch=c000003e syscall=59 success=yes exit=0 uid=0 comm=\"ls\" exe=\"/bin/ls\"",
        ),
        (1309, b"argc=2 a0=\"ls\" a1=\"-l\""),
        (1307, b"cwd=\"/root\""),
    ];
    let (full, encoded) = encode(records, 4096);
    assert!(encoded.is_whole());
    // None shows as an empty, truncated document.
    let none = Encoded {
        len: 0,
        truncated: true,
        cut: None,
    };
    let mut fitted = 0;
    for size in 0..full.len() + 64 {
        let (new, whole) = encode_with(records, size, |e, out| {
            super::whole(e, &mut Names, out).unwrap_or(none)
        });
        let (old, attempt) = encode_with(records, size, |e, out| {
            let framed = keeping(e, &mut Names, out, Keep::ALL, None);
            if framed.list_cut {
                none
            } else {
                framed.encoded
            }
        });
        let old = if attempt.len == 0 { "" } else { old.as_str() };
        assert_eq!((new.as_str(), whole.len), (old, attempt.len), "{size}");
        if whole.len > 0 {
            assert_eq!(new, full, "{size}");
            fitted += 1;
        }
    }
    assert!(fitted > 0, "some room holds the whole document");
}

/// Every room from nothing to past the whole line: nothing below
/// `MIN_BUFFER`, else valid JSON within the room whose marks say what
/// `Encoded` says, whose non-EXECVE messages are whole unless truncated,
/// and whose cut message (if any) is a prefix of the record.
#[test]
fn every_room_size_keeps_the_contract() {
    let long_hex: Vec<u8> = b"a2_len=400 a2[0]="
        .iter()
        .copied()
        .chain(core::iter::repeat_n(b'4', 200))
        .chain(b" a2[1]=".iter().copied())
        .chain(core::iter::repeat_n(b'4', 200))
        .collect();
    let mut execve: Vec<u8> = b"argc=6 a0=\"ls\" a1=\"-l\" ".to_vec();
    execve.extend_from_slice(&long_hex);
    execve.extend_from_slice(b" a3=\"x\\y\" a4=E282AC a5=\"last\"");
    let events: [Vec<(u16, Vec<u8>)>; 3] = [
        vec![
            (1300, b"arch=c000003e syscall=59 success=yes pid=4242 auid=1000 uid=0 comm=\"ls\"".to_vec()),
            (1309, execve.clone()),
            (1307, b"cwd=\"/root\"".to_vec()),
            (1302, b"item=0 name=\"/bin/ls\" ouid=0 \xff\x01\"\\".to_vec()),
        ],
        vec![
            (1300, b"syscall=2 uid=0 name=\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac \x01\x02\x03\x04\"\"\"\"\\\\\\\\".to_vec()),
            (1302, [b'y'; 300].to_vec()),
        ],
        vec![(1309, b"argc=3 a0=\"a\" a1=\"bb\" a2=\"ccc\"".to_vec())],
    ];
    /// [`Names`] with a host name as long as the kernel allows.
    struct Host;
    impl Enrich for Host {
        fn user_name(&self, uid: &[u8]) -> Option<&str> {
            Names.user_name(uid)
        }
        fn container_id(&self, t: MessageType, body: &[u8]) -> Option<&str> {
            Names.container_id(t, body)
        }
        fn host_tag(&self) -> Option<&str> {
            Some("h234567890123456789012345678901234567890123456789012345678901\"")
        }
    }
    let mut marked_cuts = 0;
    for (records, host) in events.iter().flat_map(|r| [(r, false), (r, true)]) {
        let refs: Vec<(u16, &[u8])> = records.iter().map(|(t, b)| (*t, &b[..])).collect();
        let encode = |refs: &[(u16, &[u8])], size: usize| {
            if host {
                encode_with(refs, size, |e, out| go_audit(e, &mut Host, out))
            } else {
                encode(refs, size)
            }
        };
        let (full, whole) = encode(&refs, 8192);
        assert!(whole.is_whole(), "{full}");
        let full_v: serde_json::Value = serde_json::from_str(&full).unwrap();
        for size in 0..full.len() + 80 {
            let (json, encoded) = encode(&refs, size);
            assert_eq!(json.len(), encoded.len);
            if size < MIN_BUFFER {
                assert_eq!(encoded.len, 0, "{size}");
                continue;
            }
            assert!(
                encoded.len > 0 && encoded.len <= size,
                "{size}, host {host}"
            );
            let v: serde_json::Value =
                serde_json::from_str(&json).unwrap_or_else(|e| panic!("size {size}: {e}: {json}"));
            assert_eq!(v["sequence"], 42, "{size}");
            assert_eq!(v["timestamp"], "1700000000.007", "{size}");
            assert!(v["uid_map"].is_object(), "{size}: {json}");
            if v.get("host").is_none() && host {
                // Left out only when even the outline had no room for it.
                assert!(encoded.truncated, "{size}: {json}");
            }
            if encoded.is_whole() {
                assert_eq!(json, full, "{size}");
                continue;
            }
            assert_eq!(
                v.get("truncated").is_some(),
                encoded.truncated,
                "{size}: {json}"
            );
            match encoded.cut {
                Some(cut) => {
                    assert_eq!(v["cut"]["arguments"], cut.arguments, "{size}: {json}");
                    assert_eq!(v["cut"]["bytes"], cut.bytes, "{size}: {json}");
                    assert!(cut.arguments > 0, "{size}: {json}");
                }
                None => assert!(v.get("cut").is_none(), "{size}: {json}"),
            }
            let got = v["messages"].as_array().unwrap();
            if let (Some(cut), false) = (encoded.cut, encoded.truncated) {
                // The arguments left out are exactly those the marker counts.
                let args = |ms: &[serde_json::Value]| {
                    let mut groups: Vec<(u32, u64)> = Vec::new();
                    for m in ms.iter().filter(|m| m["type"] == 1309) {
                        for token in m["data"].as_str().unwrap().split(' ') {
                            if let Some((arg, value)) = argument(token.as_bytes()) {
                                let bytes = if arg.is_len { 0 } else { decoded_len(value) };
                                match groups.last_mut() {
                                    Some((i, b)) if *i == arg.index => *b += bytes,
                                    _ => groups.push((arg.index, bytes)),
                                }
                            }
                        }
                    }
                    groups
                };
                let (kept, all) = (args(got), args(full_v["messages"].as_array().unwrap()));
                let gone: Vec<_> = all.iter().filter(|g| !kept.contains(g)).collect();
                assert_eq!(gone.len() as u32, cut.arguments, "{size}: {json}");
                assert_eq!(
                    gone.iter().map(|g| g.1).sum::<u64>(),
                    cut.bytes,
                    "{size}: {json}"
                );
                marked_cuts += 1;
            }
            let all = full_v["messages"].as_array().unwrap();
            let mut at = 0;
            for m in got {
                // Messages appear in order; an EXECVE one may be missing.
                while all[at]["type"] != m["type"] {
                    assert_eq!(all[at]["type"], 1309, "{size}: {json}");
                    at += 1;
                }
                let data = m["data"].as_str().unwrap();
                let orig = all[at]["data"].as_str().unwrap();
                if m["type"] != 1309 && data != orig {
                    assert!(encoded.truncated, "{size}: {json}");
                    assert!(orig.starts_with(data), "{size}: {json}");
                }
                at += 1;
            }
            if !encoded.truncated {
                let non_execve = |ms: &[serde_json::Value]| {
                    ms.iter()
                        .filter(|m| m["type"] != 1309)
                        .cloned()
                        .collect::<Vec<_>>()
                };
                assert_eq!(non_execve(got), non_execve(all), "{size}: {json}");
                assert_eq!(v["uid_map"], full_v["uid_map"], "{size}: {json}");
            }
        }
    }
    assert!(marked_cuts > 100, "the middle-cut path ran: {marked_cuts}");
}
