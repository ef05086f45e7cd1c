//! ECS unit tests of `auditd.data`: each key written once, the facts'
//! draft of the data and when it is kept.

use super::*;
use crate::encode::ecs::facts::{is_moved, slot_of, KEYS, MOVED};

#[test]
fn data_keys_are_written_once() {
    let (text, _) = encode_with(
        &[(
            1006,
            b"pid=1 uid=0 old auid=4294967295 new auid=0 tty=a tty=b msg='tty=c op=x op=y'",
        )],
        4096,
        &mut NoEnrich,
    );
    assert_eq!(text.matches("\"tty\"").count(), 1, "{text}");
    assert_eq!(text.matches("\"op\"").count(), 1, "{text}");
    let v: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(v["auditd"]["data"]["tty"], "a");
    assert_eq!(v["auditd"]["data"]["op"], "x");
}

#[test]
fn the_first_key_in_document_order_wins_around_the_message() {
    // A key inside msg='…' that the body repeats after it, and the other
    // way round: each written once, the first value kept. With more keys
    // than the key set keeps, the scan gives the same answer.
    let mut many = String::from("pid=1 uid=0 a=1 msg='a=2 b=3 c=5' b=4 c=6");
    for i in 0..120 {
        many.push_str(&std::format!(" k{i}={i}"));
    }
    many.push_str(" k7=again b=again");
    for body in [
        &b"pid=1 uid=0 a=1 msg='a=2 b=3 c=5' b=4 c=6"[..],
        many.as_bytes(),
    ] {
        let (text, _) = encode_with(&[(1107, body)], 1 << 16, &mut NoEnrich);
        for key in ["\"a\"", "\"b\"", "\"c\"", "\"k7\""] {
            assert!(text.matches(key).count() <= 1, "{key}: {text}");
        }
        let v: Json = serde_json::from_str(&text).unwrap();
        let data = &v["auditd"]["data"];
        assert_eq!(
            (&data["a"], &data["b"], &data["c"]),
            (&json!("1"), &json!("3"), &json!("5")),
            "{text}"
        );
        if body.len() > 60 {
            assert_eq!(data["k7"], "7", "{text}");
        }
    }
}

#[test]
fn key_matches_agree_with_their_arrays() {
    for (i, key) in KEYS.iter().enumerate() {
        assert_eq!(slot_of(key), Some(i));
    }
    for key in MOVED {
        assert!(is_moved(key));
    }
    for key in [&b"a1"[..], b"", b"uidx", b"msg2", b"cwd "] {
        assert!(!is_moved(key));
        assert_eq!(slot_of(key), None);
    }
    let moved = KEYS.iter().filter(|k| is_moved(k)).count();
    assert_eq!(moved, MOVED.len() - 1, "every moved key but msg is known");
}

/// The facts' pass drafts for `auditd.data` exactly the fields
/// `is_data` names: every known and moved key, and others.
#[test]
fn drafted_fields_are_the_data_fields() {
    // The facts' pass finds `msg='…'` among the keys without a slot.
    assert_eq!(slot_of(b"msg"), None);
    // (Not `msg`: a record with one is read again, not drafted.)
    let mut keys: Vec<&[u8]> = KEYS.iter().chain(MOVED).copied().collect();
    keys.retain(|k| *k != b"msg");
    keys.extend([
        &b"a1"[..],
        b"",
        b"uidx",
        b"msg2",
        b"arch",
        b"syscall",
        b"exit",
        b"tty",
    ]);
    let body: Vec<u8> = keys
        .iter()
        .enumerate()
        .flat_map(|(i, k)| [*k, b"=", std::format!("{i} ").as_bytes()].concat())
        .collect();
    with_event(&[(1300, body.clone()), (1320, Vec::new())], |e| {
        let mut out = [0u8; 4096];
        let facts = Facts::of(e, &mut out);
        let draft = facts.data.unwrap();
        let mut text = String::from_utf8(out[draft.start..draft.end].to_vec()).unwrap();
        text.push('}');
        let drafted: serde_json::Map<String, Json> = serde_json::from_str(&text).unwrap();
        let drafted: Vec<&str> = drafted.keys().map(String::as_str).collect();
        let mut want: Vec<&str> = keys
            .iter()
            .filter(|k| super::facts::is_data(k))
            .map(|k| core::str::from_utf8(k).unwrap())
            .collect();
        want.sort_unstable();
        let mut drafted = drafted;
        drafted.sort_unstable();
        assert_eq!(drafted, want, "{text}");
    });
}

/// `arch` and `syscall` are read from the first field of each key in
/// the primary record, whatever its value, as a lookup in its body
/// finds them; not from its `msg='…'`, nor from an earlier record.
#[test]
fn arch_and_syscall_are_the_first_fields_of_their_keys() {
    let bodies: [&[u8]; 5] = [
        b"arch=c000003e syscall=59 success=yes",
        b"arch syscall arch=c000003e syscall=59",
        b"syscall=x arch=C000003E syscall=59 arch=40000028",
        b"success=yes msg='arch=c000003e syscall=59'",
        b"arch=(null) syscall=?",
    ];
    for body in bodies {
        let records = std::vec![
            (1400, b"arch=40000028 syscall=1".to_vec()),
            (1300, body.to_vec()),
            (1320, Vec::new()),
        ];
        with_event(&records, |e| {
            let facts = Facts::of(e, &mut [0u8; 4096]);
            let bare = |key: &[u8]| crate::record::field(body, key).and_then(super::facts::bare);
            let arch = bare(b"arch").and_then(|a| crate::record::number::parse_u32(a, 16));
            assert_eq!(
                facts.arch.map(|a| a.0),
                arch,
                "{}",
                String::from_utf8_lossy(body)
            );
            let call = bare(b"syscall").and_then(crate::tables::syscall::Syscall::parse);
            let name = arch
                .zip(call)
                .and_then(|(a, c)| c.name(crate::tables::arch::Arch(a)));
            assert_eq!(facts.syscall, name, "{}", String::from_utf8_lossy(body));
        });
    }
}

/// The draft of `auditd.data` is kept only when its keys are all
/// different and no `msg='…'` is among them (else `auditd.data` reads the
/// record again and remembers its keys), and when the record's `syscall`
/// (named by its arch) comes after its `arch`.
#[test]
fn the_draft_is_kept_only_for_distinct_keys() {
    let cases: [(&[u8], bool); 7] = [
        (
            b"arch=c000003e syscall=2 a0=1 a1=2 exit=3 items=0 tty=pts0 pid=1 uid=0",
            true,
        ),
        (b"arch=c000003e syscall=2 a0=1 a0=2", false),
        (b"arch=c000003e op=x pid=1 op=y", false),
        (b"arch=c000003e syscall=2 msg='op=x'", false),
        (b"arch=c000003e syscall=2 uid=0 uid=1 auid=1 auid=2", true),
        (b"syscall=2 arch=c000003e a0=1", false),
        (b"a0=1 exit=-2", true),
    ];
    for (body, kept) in cases {
        with_event(&[(1300, body.to_vec()), (1320, Vec::new())], |e| {
            let facts = Facts::of(e, &mut [0u8; 4096]);
            assert_eq!(
                facts.data.is_some(),
                kept,
                "{}",
                String::from_utf8_lossy(body)
            );
        });
        // Kept, the same members as the record read again.
        with_event(&[(1300, body.to_vec()), (1320, Vec::new())], |e| {
            let mut out = [0u8; 4096];
            let facts = Facts::of(e, &mut out);
            let Some(draft) = facts.data else {
                return;
            };
            let mut again = [0u8; 4096];
            let mut c = crate::encode::cursor::Cursor::new(&mut again);
            let mut d = super::members::Members::open(&mut c).unwrap();
            super::auditd::write_primary_data(&mut d, &facts).unwrap();
            let len = c.pos();
            assert_eq!(&out[draft.start..draft.end], &again[..len]);
        });
    }
}

/// A control byte in a key (seen by the fuzz target in a LOGIN record)
/// is escaped, not written raw.
#[test]
fn odd_keys_are_escaped() {
    let (text, _) = encode_with(
        &[
            (
                1006,
                b"pid=1 uid=0 old\x00ses=4294967295 a\"b=1 ses=2 res=1",
            ),
            (
                1300,
                b"arch=c000003e syscall=1 success=yes exit=1 pid=1 uid=0 comm=\"x\" we\x01rd=2",
            ),
            (1320, b""),
        ],
        4096,
        &mut NoEnrich,
    );
    let v: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(v["auditd"]["data"]["old\u{0}ses"], "4294967295");
    assert_eq!(v["auditd"]["data"]["a\"b"], "1");
    assert_eq!(v["auditd"]["data"]["we\u{1}rd"], "2");
}

/// `known` as noting the primary record's fields (then its `msg='…'`'s)
/// by a plain parse gives it.
fn reference_known<'a>(primary: &'a [u8]) -> Facts<'a> {
    let mut f = Facts::default();
    let mut nested = None;
    for field in crate::record::Fields::new(primary) {
        if let (b"msg", Value::SingleQuoted(inner)) = (field.key, field.value) {
            nested = nested.or(Some(inner));
        }
        f.note(field);
    }
    for field in crate::record::Fields::new(nested.unwrap_or_default()) {
        f.note(field);
    }
    f
}

#[test]
fn facts_note_the_primary_record_whatever_comes_first_or_fits() {
    let many: String = (0..200).map(|i| std::format!("k{i}=v ")).collect();
    let crowded = std::format!("{many}pid=7 uid=8 exe=\"/crowded\" msg='res=ok acct=x'");
    let long = std::format!("x={} pid=9 auid=10", "y".repeat(70_000));
    let syscall = b"arch=c000003e syscall=59 success=yes pid=1 uid=2 auid=3 comm=\"c\"".to_vec();
    let crowded2 = crowded.clone();
    // Each event's records and the position of its primary record.
    type Case = (Vec<(u16, Vec<u8>)>, usize);
    let cases: [Case; 6] = [
        // SYSCALL first; SYSCALL after another record; no SYSCALL; a
        // first record of many fields (once more than the index kept);
        // one longer than an offset could say.
        (
            std::vec![(1300, syscall.clone()), (1307, b"cwd=\"/\"".to_vec())],
            0,
        ),
        (
            std::vec![
                (1400, b"apparmor=x pid=5 uid=6".to_vec()),
                (1300, syscall.clone())
            ],
            1,
        ),
        (
            std::vec![(
                1112,
                b"pid=4 uid=0 msg='op=x acct=\"a\" res=success'".to_vec()
            )],
            0,
        ),
        (
            std::vec![(1400, crowded.into_bytes()), (1300, syscall.clone())],
            1,
        ),
        (std::vec![(1400, crowded2.into_bytes())], 0),
        (std::vec![(1107, long.into_bytes())], 0),
    ];
    for (records, primary) in cases {
        with_event(&records, |e| {
            let body = e.records().nth(primary).unwrap().body;
            let facts = Facts::of(e, &mut [0u8; 4096]);
            let want = reference_known(body);
            assert!(core::ptr::eq(facts.body(), body));
            for key in KEYS {
                assert_eq!(
                    facts.get(key),
                    want.get(key),
                    "{}",
                    String::from_utf8_lossy(key)
                );
            }
        });
    }
}

/// A special record's fields that the SYSCALL record has too are left to
/// the SYSCALL record's, whether its data was drafted (its keys known by
/// their bits) or read again (a repeated key: no draft).
#[test]
fn special_records_defer_to_the_syscall_records_keys_drafted_or_not() {
    let special: &[u8] =
        b"apparmor=\"DENIED\" operation=\"open\" pid=1 comm=\"c\" name=\"/x\" tty=pts9 a0=9 newkey=5";
    for syscall in [
        &b"arch=c000003e syscall=2 success=yes exit=3 a0=1 tty=pts0 pid=1 uid=0 comm=\"c\" exe=\"/e\""[..],
        b"arch=c000003e syscall=2 success=yes exit=3 a0=1 a1=1 a1=2 tty=pts0 pid=1 uid=0 comm=\"c\" exe=\"/e\"",
    ] {
        let records = [(1300, syscall.to_vec()), (1400, special.to_vec()), (1320, Vec::new())];
        with_event(&records, |e| {
            let facts = Facts::of(e, &mut [0u8; 4096]);
            let repeated = syscall.windows(3).filter(|w| *w == b"a1=").count() > 1;
            assert_eq!(facts.data.is_some(), !repeated);
        });
        let borrowed: Vec<(u16, &[u8])> = records.iter().map(|(t, b)| (*t, &b[..])).collect();
        let (text, _) = encode_with(&borrowed, 8192, &mut NoEnrich);
        let v: Json = serde_json::from_str(&text).unwrap();
        let data = &v["auditd"]["data"];
        assert_eq!(data["a0"], "1", "{text}");
        assert_eq!(data["tty"], "pts0", "{text}");
        assert_eq!(data["name"], "/x", "{text}");
        assert_eq!(data["newkey"], "5", "{text}");
        assert!(data.get("pid").is_none(), "{text}");
        assert_eq!(text.matches("\"a0\"").count(), 1, "{text}");
    }
}
