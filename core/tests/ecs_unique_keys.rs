//! Every object of an ECS document has each key once, whatever the
//! records: Elasticsearch refuses a document with a key twice, and
//! lenient readers keep one of the two at random. The checker is the fuzz
//! targets' (`fuzz/src/shape_check.rs`: `unique_keys`), which every shape
//! of `encode_props` and the fuzz bodies also meets.

#[path = "../../fuzz/src/encode_check.rs"]
mod encode_check;
#[path = "../../fuzz/src/shape_check.rs"]
mod shape_check;

use encode_check::with_events;
use proptest::prelude::*;
use raudit_core::encode::{ecs, NoEnrich};
use raudit_core::record::Timestamp;
use shape_check::unique_keys;

/// The ECS document of the event of `records`, in a room of `room`.
fn document(records: &[(u16, Vec<u8>)], room: usize) -> String {
    let mut text = String::new();
    let timestamp = Timestamp {
        seconds: 1_700_000_000,
        millis: 42,
    };
    with_events(240, timestamp, records, 1 << 16, |event| {
        let mut out = vec![0u8; room];
        let encoded = ecs(event, &mut NoEnrich, &mut out);
        text = String::from_utf8_lossy(&out[..encoded.len]).into_owned();
    });
    text
}

fn owned(records: &[(u16, &[u8])]) -> Vec<(u16, Vec<u8>)> {
    records.iter().map(|(t, b)| (*t, b.to_vec())).collect()
}

#[test]
fn the_checker_refuses_a_key_twice_at_any_depth() {
    assert!(unique_keys(br#"{"a":1,"b":{"a":[{"c":1},{"c":2}]}}"#).is_ok());
    for twice in [&br#"{"a":1,"a":2}"#[..], br#"{"x":[{"y":{"c":1,"c":1}}]}"#] {
        assert!(
            unique_keys(twice).is_err(),
            "{}",
            String::from_utf8_lossy(twice)
        );
    }
}

#[test]
fn an_execve_record_alone_gives_its_argc_once() {
    let text = document(
        &owned(&[(1309, b"argc=3 a0=\"ls\" a1=\"-l\" a2=\"/tmp\"")]),
        8192,
    );
    unique_keys(text.as_bytes()).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(text.contains(r#""argc":"3""#), "{text}");
}

/// An event's records, and two members its document must have.
type Case<'a> = (&'a [(u16, &'a [u8])], [&'a str; 2]);

/// Keys the kernel never repeats but an odd record may: a PATH record's
/// own repeat, a first record's `argc` beside an EXECVE record's, a
/// record's `socket` beside a SOCKADDR's, a special record's key
/// that the SYSCALL record's `msg='…'` gave: each written once, the
/// first kept.
#[test]
fn repeated_keys_are_written_once_the_first_kept() {
    let cases: [Case<'_>; 4] = [
        (
            &[
                (1300, b"arch=c000003e syscall=2 success=yes exit=3 pid=1"),
                (
                    1302,
                    b"item=0 name=\"/x\" inode=5 inode=6 nametype=NORMAL x=1 x=2",
                ),
            ],
            [r#""inode":"5""#, r#""x":"1""#],
        ),
        (
            &[
                (1400, b"apparmor=\"DENIED\" argc=7"),
                (1309, b"argc=1 a0=\"ls\""),
            ],
            [r#""argc":"7""#, r#""apparmor":"DENIED""#],
        ),
        (
            &[
                (
                    1300,
                    b"arch=c000003e syscall=42 success=yes exit=0 pid=1 socket=9",
                ),
                (1306, b"saddr=02000050C0A800010000000000000000"),
            ],
            [
                r#""socket":"9""#,
                r#""destination":{"ip":"192.168.0.1","port":"80"}"#,
            ],
        ),
        (
            &[
                (1300, b"msg='op=login acct=\"root\" res=success'"),
                (1400, b"acct=other"),
            ],
            [r#""acct":"root""#, r#""op":"login""#],
        ),
    ];
    for (records, want) in cases {
        let text = document(&owned(records), 8192);
        unique_keys(text.as_bytes()).unwrap_or_else(|e| panic!("{e}: {text}"));
        for member in want {
            assert!(text.contains(member), "{member} in {text}");
        }
    }
}

/// Record types an event is made of, and keys their fields use (each
/// record's own repeats included).
const TYPES: &[u16] = &[
    1300, 1309, 1400, 1100, 1112, 1302, 1307, 1327, 1306, 1318, 1320,
];
const KEYS: &[&str] = &[
    "argc",
    "a0",
    "a1",
    "a1[0]",
    "a1_len",
    "pid",
    "ppid",
    "uid",
    "auid",
    "ses",
    "key",
    "exe",
    "comm",
    "name",
    "tty",
    "items",
    "arch",
    "syscall",
    "success",
    "exit",
    "res",
    "saddr",
    "cwd",
    "proctitle",
    "nametype",
    "inode",
    "mode",
    "subj",
    "acct",
    "addr",
    "hostname",
    "terminal",
    "op",
    "old-auid",
    "apparmor",
    "msg",
    "x",
    "socket",
    "socket_port",
];

fn record() -> impl Strategy<Value = (u16, Vec<u8>)> {
    let value = prop_oneof![
        Just("1"),
        Just("c000003e"),
        Just("3b"),
        Just("\"/bin/ls\""),
        Just("?"),
        Just("(null)"),
        Just("4294967295"),
        Just("2F746D70"),
        Just("0200005000000000"),
        Just("02000050C0A800010000000000000000"),
        Just("'op=login acct=\"root\" exe=\"/bin/su\" res=success'"),
        Just("'pid=7 uid=0 key=k'"),
    ];
    let field = (proptest::sample::select(KEYS), value).prop_map(|(k, v)| format!("{k}={v}"));
    (
        proptest::sample::select(TYPES),
        proptest::collection::vec(field, 0..10),
    )
        .prop_map(|(t, fields)| (t, fields.join(" ").into_bytes()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn no_object_has_a_key_twice(
        records in proptest::collection::vec(record(), 1..6),
        room in proptest::sample::select(&[8192usize, 1024, 400][..]),
    ) {
        let text = document(&records, room);
        // (An EOE alone is no event: nothing written.)
        if let Err(e) = unique_keys(text.as_bytes()).or_else(|e| if text.is_empty() { Ok(()) } else { Err(e) }) {
            panic!("{e}: {text}");
        }
    }
}
