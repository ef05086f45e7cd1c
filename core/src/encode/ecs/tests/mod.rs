//! Unit tests of the ECS shape on hand-made events: the shared helpers
//! (the test names, one event's document, its assembly); the tests by topic.

extern crate std;

use serde_json::{json, Value as Json};

use super::*;
use crate::assemble::{Assembler, EventSlot, RecordSlot, Settings};
use crate::encode::NoEnrich;
use crate::record::{Record, Timestamp};
use crate::time::Instant;
use crate::wire::MessageType;
use std::string::String;
use std::vec::Vec;

mod data;
mod enrichment;
mod normalisation;
mod objects;
mod rooms;
mod users;
mod writers;

/// The encoders' shared test names, with a host name and a container for
/// the SYSCALL record.
struct Names;

static SHARED: crate::encode::test_names::Names = crate::encode::test_names::Names;

impl Enrich for Names {
    fn user_name(&self, uid: &[u8]) -> Option<&str> {
        SHARED.user_name(uid)
    }

    fn group_name(&self, gid: &[u8]) -> Option<&str> {
        SHARED.group_name(gid)
    }

    fn host_name(&self) -> Option<&str> {
        Some("web-1")
    }

    fn container_id(&self, msg_type: MessageType, _body: &[u8]) -> Option<&str> {
        (msg_type == MessageType::SYSCALL).then_some("3f9a")
    }
}

/// Encodes the event of `records` (one serial) into a buffer of `room`.
pub(super) fn encode_with(
    records: &[(u16, &[u8])],
    room: usize,
    enrich: &mut impl Enrich,
) -> (String, Encoded) {
    let settings = Settings {
        type_min: 1000,
        type_max: 2999,
        ..Settings::default()
    };
    let mut a = Assembler::new(
        settings,
        [EventSlot::default(); 4],
        [RecordSlot::default(); 64],
        [0u8; 1 << 14],
    );
    let mut out = std::vec![0u8; room];
    let mut result = None;
    let mut emit = |e: &Event<'_>| {
        let encoded = ecs(e, enrich, &mut out);
        result = Some((
            String::from_utf8(out[..encoded.len].to_vec()).unwrap(),
            encoded,
        ));
    };
    for &(t, body) in records {
        let r = Record {
            msg_type: MessageType(t),
            timestamp: Timestamp {
                seconds: 1_741_983_195,
                millis: 885,
            },
            serial: 240,
            body,
            node: None,
            enriched: None,
        };
        a.push(&r, Instant(0), &mut emit);
    }
    a.flush(&mut emit);
    result.unwrap()
}

pub(super) fn doc(records: &[(u16, &[u8])]) -> Json {
    let (text, encoded) = encode_with(records, 8192, &mut Names);
    assert!(encoded.is_whole(), "{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

const EXECVE_EVENT: &[(u16, &[u8])] = &[
    (
        1300,
        b"arch=c000003e syscall=59 success=yes exit=0 a0=55dc a1=55dd a2=55de a3=7f6a items=2 \
          ppid=5820 pid=5821 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 \
          tty=pts1 ses=194 comm=\"docker\" exe=\"/usr/bin/docker\" subj=unconfined \
          key=65786563013634626974",
    ),
    (
        1309,
        b"argc=3 a0=\"docker\" a1=\"inspect\" a2=\"721df12151a7\"",
    ),
    (1307, b"cwd=\"/home/alice\""),
    (
        1302,
        b"item=0 name=\"/usr/bin/docker\" inode=16571 dev=08:01 mode=0100755 ouid=0 ogid=0 \
          rdev=00:00 nametype=NORMAL",
    ),
    (
        1327,
        b"proctitle=646F636B657200696E7370656374003732316466313231353161370A",
    ),
    (1320, b""),
];

/// Runs `check` on the event of `records` (one serial, any types).
pub(super) fn with_event(records: &[(u16, Vec<u8>)], check: impl FnMut(&Event<'_>)) {
    with_stamped_event(records, 5, Timestamp::default(), check);
}

/// [`with_event`] with the records' serial and time given.
fn with_stamped_event(
    records: &[(u16, Vec<u8>)],
    serial: u32,
    timestamp: Timestamp,
    mut check: impl FnMut(&Event<'_>),
) {
    let mut a = Assembler::new(
        Settings {
            type_min: 1000,
            type_max: 2999,
            ..Settings::default()
        },
        [EventSlot::default(); 4],
        [RecordSlot::default(); 16],
        // Room for a record longer than an index offset (64 KiB).
        std::vec![0u8; 1 << 18].into_boxed_slice(),
    );
    let mut seen = 0;
    let mut emit = |e: &Event<'_>| {
        seen += 1;
        check(e);
    };
    for (t, body) in records {
        let r = Record {
            msg_type: MessageType(*t),
            timestamp,
            serial,
            body,
            node: None,
            enriched: None,
        };
        a.push(&r, Instant(0), &mut emit);
    }
    a.flush(&mut emit);
    assert_eq!(seen, 1);
}
