//! Every object of an ECS document has each key once, whatever the
//! records (strict consumers reject a repeated key; lenient ones keep one
//! of the two at random): a checker stricter than `serde_json`'s, which
//! keeps the last silently.

extern crate std;

use core::fmt;

use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeSet;
use std::string::String;
use std::vec;
use std::vec::Vec;

use super::tests::encode_with;
use crate::encode::NoEnrich;

/// A JSON value read only to refuse an object with a key twice.
struct Strict;

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Strict, M::Error> {
        let mut keys = BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<Strict>()?;
            if !keys.insert(key.clone()) {
                return Err(M::Error::custom(std::format!("the key {key:?} twice")));
            }
        }
        Ok(Strict)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Strict, S::Error> {
        while seq.next_element::<Strict>()?.is_some() {}
        Ok(Strict)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_str<E>(self, _: &str) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict)
    }
}

/// Panics, naming the key and the document, when an object of `text`
/// has a key twice (or `text` is not JSON).
pub(super) fn assert_unique_keys(text: &str) {
    if let Err(e) = serde_json::from_str::<Strict>(text) {
        panic!("{e}: {text}");
    }
}

#[test]
fn the_checker_refuses_a_key_twice_at_any_depth() {
    assert_unique_keys(r#"{"a":1,"b":{"a":[{"c":1},{"c":2}]}}"#);
    for twice in [r#"{"a":1,"a":2}"#, r#"{"x":[{"y":{"c":1,"c":1}}]}"#] {
        assert!(serde_json::from_str::<Strict>(twice).is_err(), "{twice}");
    }
}

#[test]
fn an_execve_record_alone_gives_its_argc_once() {
    let records: [(u16, &[u8]); 1] = [(1309, b"argc=3 a0=\"ls\" a1=\"-l\" a2=\"/tmp\"")];
    let (text, _) = encode_with(&records, 8192, &mut NoEnrich);
    assert_unique_keys(&text);
    assert!(text.contains(r#""argc":"3""#), "{text}");
}

/// Keys the kernel never repeats but an odd record may: a PATH record's
/// own repeat, a first record's `argc` beside an EXECVE record's, a
/// record's `socket_port` beside a SOCKADDR's: each written once, the
/// record's first.
#[test]
fn repeated_keys_are_written_once_the_first_kept() {
    let cases: [&[(u16, &[u8])]; 3] = [
        &[
            (1300, b"arch=c000003e syscall=2 success=yes exit=3 pid=1"),
            (
                1302,
                b"item=0 name=\"/x\" inode=5 inode=6 nametype=NORMAL x=1 x=2",
            ),
        ],
        &[
            (1400, b"apparmor=\"DENIED\" argc=7"),
            (1309, b"argc=1 a0=\"ls\""),
        ],
        &[
            (
                1300,
                b"arch=c000003e syscall=42 success=yes exit=0 pid=1 socket_port=9",
            ),
            (1306, b"saddr=02000050C0A800010000000000000000"),
        ],
    ];
    let wants = [
        [r#""inode":"5""#, r#""x":"1""#],
        [r#""argc":"7""#, r#""apparmor":"DENIED""#],
        [r#""socket_port":"9""#, r#""socket_addr":"192.168.0.1""#],
    ];
    for (records, want) in cases.iter().zip(wants) {
        let (text, _) = encode_with(records, 8192, &mut NoEnrich);
        assert_unique_keys(&text);
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
];

fn record() -> impl proptest::strategy::Strategy<Value = (u16, Vec<u8>)> {
    use proptest::prelude::*;
    let value = prop_oneof![
        Just(String::from("1")),
        Just(String::from("c000003e")),
        Just(String::from("3b")),
        Just(String::from("\"/bin/ls\"")),
        Just(String::from("?")),
        Just(String::from("(null)")),
        Just(String::from("4294967295")),
        Just(String::from("2F746D70")),
        Just(String::from("0200005000000000")),
        Just(String::from(
            "'op=login acct=\"root\" exe=\"/bin/su\" res=success'"
        )),
        Just(String::from("'pid=7 uid=0 key=k'")),
    ];
    let field = (proptest::sample::select(KEYS), value).prop_map(|(k, v)| std::format!("{k}={v}"));
    (
        proptest::sample::select(TYPES),
        proptest::collection::vec(field, 0..10),
    )
        .prop_map(|(t, fields)| (t, fields.join(" ").into_bytes()))
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

    #[test]
    fn no_object_has_a_key_twice(
        records in proptest::collection::vec(record(), 1..6),
        room in proptest::sample::select(&[8192usize, 1024, 400][..]),
    ) {
        // (An event starts with a record that is not EOE.)
        let mut records = records;
        if let Some(first) = records.first_mut().filter(|r| r.0 == 1320) {
            first.0 = 1300;
        }
        let borrowed: Vec<(u16, &[u8])> = records.iter().map(|(t, b)| (*t, &b[..])).collect();
        let (text, _) = encode_with(&borrowed, room, &mut NoEnrich);
        if !text.is_empty() {
            assert_unique_keys(&text);
        }
    }
}
