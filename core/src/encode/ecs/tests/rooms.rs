//! ECS unit tests of the room: every buffer from the minimum up gets a
//! document, whole or marked truncated, never past its room.

use super::*;
use crate::encode::ecs::bounded::{write_bounded, BARE_MAX};

#[test]
fn too_small_loses_details_then_everything() {
    let (text, whole) = encode_with(EXECVE_EVENT, 8192, &mut NoEnrich);
    assert!(whole.is_whole());
    let (small, encoded) = encode_with(EXECVE_EVENT, text.len() - 1, &mut NoEnrich);
    assert!(encoded.truncated, "{small}");
    assert!(small.len() < text.len() - 1, "{small}");
    let v: Json = serde_json::from_str(&small).unwrap();
    assert_eq!(v["truncated"], true);
    assert!(v["auditd"].get("data").is_none());
    assert!(v["process"].get("args").is_none());
    let (none, encoded) = encode_with(EXECVE_EVENT, MIN_BUFFER - 1, &mut NoEnrich);
    assert_eq!((none.len(), encoded.len, encoded.truncated), (0, 0, true));
    // Every room from the outline up gives valid JSON.
    for room in (MIN_BUFFER..text.len() + 8).step_by(7) {
        let (t, e) = encode_with(EXECVE_EVENT, room, &mut NoEnrich);
        if e.len > 0 {
            serde_json::from_str::<Json>(&t).unwrap_or_else(|err| panic!("{room}: {err}: {t}"));
        }
    }
}

/// Names everything with 4 KiB of text: the host, every user and group,
/// the container and both processes.
struct Hostile(String);

impl Enrich for Hostile {
    fn user_name(&self, _uid: &[u8]) -> Option<&str> {
        Some(&self.0)
    }

    fn group_name(&self, _gid: &[u8]) -> Option<&str> {
        Some(&self.0)
    }

    fn process(&self, _pid: &[u8]) -> Option<crate::encode::ProcessInfo<'_>> {
        Some(crate::encode::ProcessInfo {
            entity_id: &self.0,
            executable: Some(&self.0),
            name: Some(&self.0),
        })
    }

    fn container_id(&self, _msg_type: MessageType, _body: &[u8]) -> Option<&str> {
        Some(&self.0)
    }

    fn host_name(&self) -> Option<&str> {
        Some(&self.0)
    }
}

/// Encodes each event of `records` into every room of `rooms` through
/// `Shape::encode_within` in a larger buffer, checks that nothing past
/// the room was written, and returns each room's document.
fn within_rooms(
    records: &[(u16, Vec<u8>)],
    serial: u32,
    rooms: core::ops::Range<usize>,
    enrich: &mut impl Enrich,
) -> Vec<(usize, String, Encoded)> {
    const SENTINEL: u8 = 0xa5;
    let mut docs = Vec::new();
    let stamp = Timestamp {
        seconds: u64::MAX,
        millis: 999,
    };
    with_stamped_event(records, serial, stamp, |e| {
        assert_eq!(
            e.dropped_records(),
            0,
            "the test's event fits the assembler"
        );
        for room in rooms.clone() {
            let mut out = std::vec![SENTINEL; room + 64];
            let encoded = crate::encode::Shape::Ecs.encode_within(e, enrich, &mut out, room);
            assert!(
                out[room..].iter().all(|&b| b == SENTINEL),
                "{room}: past the room"
            );
            assert!(encoded.len <= room, "{room}: {encoded:?}");
            let text = String::from_utf8(out[..encoded.len].to_vec()).unwrap();
            docs.push((room, text, encoded));
        }
    });
    docs
}

#[test]
fn every_room_from_the_minimum_gets_a_marked_document() {
    let long = "x".repeat(4096);
    let syscall = std::format!(
        "arch=c000003e syscall=59 success=yes exit=0 a0=1 items=1 ppid=18446744073709551615 \
         pid=4294967295 auid=1000 uid={long} gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 \
         fsgid=0 tty=pts1 ses=7 comm=\"{long}\" exe=\"/{long}\" subj={long} key=\"{long}\""
    );
    let user = std::format!(
        "pid=1 uid=0 auid=4294967295 ses={long} msg='op=login acct=\"{long}\" \
         exe=\"/{long}\" hostname={long} addr=? terminal={long} res=failed'"
    );
    let events: [&[(u16, Vec<u8>)]; 2] = [
        &[
            (1300, syscall.into_bytes()),
            (1309, std::format!("argc=1 a0=\"{long}\"").into_bytes()),
            (1307, std::format!("cwd=\"/{long}\"").into_bytes()),
            (1327, b"proctitle=6C73".to_vec()),
            (1320, Vec::new()),
        ],
        &[(1112, user.into_bytes())],
    ];
    let mut sizes = std::collections::BTreeSet::new();
    for (serial, records) in (u32::MAX - 1..=u32::MAX).zip(events) {
        let docs = within_rooms(
            records,
            serial,
            MIN_BUFFER..2048,
            &mut Hostile(long.clone()),
        );
        assert_eq!(docs.len(), 2048 - MIN_BUFFER);
        for (room, text, encoded) in docs {
            assert!(encoded.len > 0, "{room}: nothing written");
            assert!(encoded.truncated, "{room}: {text}");
            let v: Json =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{room}: {e}: {text}"));
            assert_eq!(v["auditd"]["sequence"], serial, "{room}: {text}");
            assert_eq!(v["truncated"], true, "{room}: {text}");
            assert_eq!(
                v["@timestamp"].as_str().map(str::len),
                Some(32),
                "{room}: {text}"
            );
            sizes.insert(v.as_object().unwrap().len());
        }
        // Below the minimum: nothing, marked.
        let small = within_rooms(records, serial, 0..MIN_BUFFER, &mut Hostile(long.clone()));
        assert!(small.iter().all(|(_, _, e)| e.len == 0 && e.truncated));
    }
    // The bare document and larger ones were both reached.
    assert!(sizes.contains(&3) && sizes.len() > 1, "{sizes:?}");
}

#[test]
fn the_bounded_level_keeps_short_numbers_and_leaves_out_text() {
    let long = "x".repeat(4096);
    let syscall = std::format!(
        "arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=42 auid=1000 uid=0 gid=0{long} \
         euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 ses=3 comm=\"c\" exe=\"/{long}\""
    );
    let records = [(1300, syscall.into_bytes()), (1320, Vec::new())];
    let docs = within_rooms(&records, 9, 700..701, &mut NoEnrich);
    let v: Json = serde_json::from_str(&docs[0].1).unwrap();
    assert_eq!(v["event"]["action"], "executed", "{v}");
    assert_eq!(v["auditd"]["result"], "success");
    assert_eq!(v["auditd"]["session"], "3");
    // (No `effective`: the user's own, as in the whole document.)
    assert_eq!(
        v["user"],
        json!({"id":"0","saved":{"id":"0","group":{"id":"0"}},
               "filesystem":{"id":"0","group":{"id":"0"}},"audit":{"id":"1000"}})
    );
    assert_eq!(v["process"], json!({"pid":42,"parent":{"pid":1}}));
    assert!(v["auditd"].get("summary").is_none(), "{v}");
}

#[test]
fn the_longest_bare_document_is_bare_max() {
    let mut buf = [0u8; 256];
    let mut a = Assembler::new(
        Settings::default(),
        [EventSlot::default(); 2],
        [RecordSlot::default(); 4],
        [0u8; 256],
    );
    let mut lens = Vec::new();
    let mut emit = |e: &Event<'_>| {
        let mut c = Cursor::new(&mut buf);
        write_bounded(&mut c, e, &Facts::default(), Detail::Bare).unwrap();
        lens.push(c.pos());
    };
    let r = Record {
        msg_type: MessageType::SYSCALL,
        timestamp: Timestamp {
            seconds: u64::MAX,
            millis: 999,
        },
        serial: u32::MAX,
        body: b"pid=1",
        node: None,
        enriched: None,
    };
    a.push(&r, Instant(0), &mut emit);
    a.flush(&mut emit);
    // Without `redacted` (a redacted event says how many, at most a u32).
    assert_eq!(lens, [BARE_MAX - 12 - 10]);
}

#[test]
fn shape_ecs_is_reachable() {
    let mut out = [0u8; 4096];
    let mut seen: Vec<usize> = Vec::new();
    let settings = Settings::default();
    let mut a = Assembler::new(
        settings,
        [EventSlot::default(); 2],
        [RecordSlot::default(); 8],
        [0u8; 1024],
    );
    let mut emit = |e: &Event<'_>| {
        let n = crate::encode::Shape::Ecs
            .encode(e, &mut NoEnrich, &mut out)
            .len;
        seen.push(n);
        let whole = crate::encode::Shape::Ecs.encode_whole(e, &mut NoEnrich, &mut out);
        assert_eq!(whole.map(|w| w.len), Some(n));
        assert_eq!(
            crate::encode::Shape::Ecs.encode_whole(e, &mut NoEnrich, &mut out[..MIN_BUFFER]),
            None
        );
    };
    let r = Record {
        msg_type: MessageType::SYSCALL,
        timestamp: Timestamp::default(),
        serial: 1,
        body: b"arch=c000003e syscall=1 success=yes exit=1 pid=3 uid=0 comm=\"x\"",
        node: None,
        enriched: None,
    };
    a.push(&r, Instant(0), &mut emit);
    a.flush(&mut emit);
    assert_eq!(seen.len(), 1);
    assert!(seen[0] > 0);
}

/// The whole document in any room from its own length up, also where
/// its part before `auditd.data` is longer than half the room (where the
/// facts' draft of the data is: it is then read again).
#[test]
fn the_whole_document_in_any_room_it_fits() {
    let exe = "/x".repeat(200);
    for exe in [&exe[..], "/bin/ls"] {
        let syscall = std::format!(
            "arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 items=1 ppid=1 pid=42 \
             auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts1 \
             ses=7 comm=\"c\" exe=\"{exe}\" key=(null)"
        );
        let records = [(1300, syscall.into_bytes()), (1320, Vec::new())];
        let full = within_rooms(&records, 5, 8192..8193, &mut NoEnrich);
        let (_, whole, encoded) = &full[0];
        assert!(!encoded.truncated, "{whole}");
        let len = whole.len();
        for (room, text, encoded) in within_rooms(&records, 5, len - 1..len + 40, &mut NoEnrich) {
            if room < len {
                assert!(encoded.truncated, "{room}: {text}");
            } else {
                assert_eq!(&text, whole, "{room}");
            }
        }
    }
}
