//! Tests of the structured encoder: exact output, every value form, EXECVE
//! joining, invalid UTF-8, truncation.

extern crate std;
use std::boxed::Box;
use std::string::String;
use std::vec;
use std::vec::Vec;

use serde_json::{json, Value as Json};

use super::*;
use crate::assemble::{Assembler, EventSlot, RecordSlot, Settings};
use crate::encode::MIN_BUFFER;
use crate::record::{Record, Timestamp};
use crate::time::Instant;

use crate::encode::test_names::Names;

type Boxed = Assembler<Box<[EventSlot]>, Box<[RecordSlot]>, Box<[u8]>>;

/// Assembles `records` (type, body) as one event with serial 42 and
/// encodes it into a buffer of `size` bytes.
fn encode(records: &[(u16, &[u8])], size: usize) -> (String, Encoded) {
    let mut out = vec![0u8; size];
    let mut result = None;
    with_event(records, &mut |e| {
        let encoded = structured(e, &mut Names, &mut out);
        result = Some((
            String::from_utf8(out[..encoded.len].to_vec()).unwrap(),
            encoded,
        ));
    });
    result.unwrap()
}

fn json(records: &[(u16, &[u8])]) -> Json {
    let (text, encoded) = encode(records, 1 << 16);
    assert!(!encoded.truncated, "{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| std::format!("{b:02X}")).collect()
}

#[test]
fn writes_the_structured_shape_exactly() {
    let (text, encoded) = encode(
        &[
            (
                1300,
                b"arch=c000003e syscall=59 success=yes exit=0 auid=1000 uid=0 tty=(none) comm=\"ls\" exe=\"/usr/bin/ls\" key=(null)",
            ),
            (1309, b"argc=2 a0=\"ls\" a1=2D6C"),
            (1327, b"proctitle=6C73002D6C"),
        ],
        4096,
    );
    assert!(!encoded.truncated);
    assert_eq!(
        text,
        "{\"sequence\":42,\"timestamp\":\"1700000000.007\",\"records\":[\
         {\"type\":\"SYSCALL\",\"fields\":{\"arch\":\"c000003e\",\"syscall\":59,\
         \"success\":\"yes\",\"exit\":0,\"auid\":1000,\"uid\":0,\"tty\":null,\
         \"comm\":\"ls\",\"exe\":\"/usr/bin/ls\",\"key\":null},\
         \"interpreted\":{\"arch\":\"x86_64\",\"syscall\":\"execve\",\"AUID\":\"alice\",\"UID\":\"root\"}},\
         {\"type\":\"EXECVE\",\"fields\":{\"argc\":2},\"argv\":[\"ls\",\"-l\"]},\
         {\"type\":\"PROCTITLE\",\"fields\":{\"proctitle\":[\"ls\",\"-l\"]}}],\
         \"uid_map\":{\"0\":\"root\",\"1000\":\"alice\"}}"
    );
}

#[test]
fn value_forms() {
    let v = json(&[(
        1302,
        b"item=0 name=2F746D702F6120622E747874 cwd=\"/home\" ouid=0 nametype=NORMAL \
          host=? tty=(none) key=(null) e= num=10 dev=fe:00",
    )]);
    assert_eq!(
        v["records"][0]["fields"],
        json!({"item":"0","name":"/tmp/a b.txt","cwd":"/home","ouid":0,
               "nametype":"NORMAL","host":null,"tty":null,"key":null,"e":"",
               "num":"10","dev":"fe:00"})
    );
}

#[test]
fn hex_only_where_the_kernel_hex_encodes_and_never_quoted() {
    let v = json(&[(
        1300,
        b"a0=41424344 comm=\"41424344\" exe=41424344 key=6B31016B32 name=abcd cwd=ABC",
    )]);
    let f = &v["records"][0]["fields"];
    assert_eq!(f["a0"], "41424344", "SYSCALL arguments are numbers");
    assert_eq!(f["comm"], "41424344", "quoted is never hex");
    assert_eq!(f["exe"], "ABCD");
    assert_eq!(f["key"], "k1\u{1}k2");
    assert_eq!(f["name"], "abcd", "lower case is not the kernel's hex");
    assert_eq!(f["cwd"], "ABC", "odd length is not hex");
}

/// The other fields auparse's type table reads as encoded strings
/// (`AUPARSE_TYPE_ESCAPED`: user space's `audit_encode_nv_string` fields
/// of libvirt, rpm/dnf and shadow, and the kernel's SELinux
/// `invalid_context`) are decoded when bare hex, like `acct` or `exe`.
#[test]
fn every_field_auparse_reads_as_encoded_is_decoded() {
    let encoded = |key: &str| -> Json {
        let body = std::format!(
            "pid=1 uid=0 auid=4294967295 ses=4294967295 msg='virt=kvm {key}={} \
             exe=\"/usr/sbin/libvirtd\" hostname=? addr=? terminal=? res=success'",
            hex(b"my vm \"x\"")
        );
        json(&[(2501, body.as_bytes())])["records"][0]["fields"]["msg"][key].clone()
    };
    for key in [
        "vm",
        "device",
        "cgroup",
        "old-chardev",
        "new-chardev",
        "old-disk",
        "new-disk",
        "old-fs",
        "new-fs",
        "old-net",
        "new-net",
        "old-rng",
        "new-rng",
        "sw",
        "new_group",
        "invalid_context",
    ] {
        assert_eq!(encoded(key), "my vm \"x\"", "{key}");
    }
    let selinux = std::format!(
        "op=security_compute_sid invalid_context={} scontext=system_u:system_r:init_t:s0 \
         tcontext=system_u:object_r:bin_t:s0 tclass=process",
        hex(b"system_u:system_r:x t:s0")
    );
    let v = json(&[(1401, selinux.as_bytes())]);
    assert_eq!(
        v["records"][0]["fields"]["invalid_context"],
        "system_u:system_r:x t:s0"
    );
}

#[test]
fn user_space_msg_becomes_an_object() {
    let v = json(&[(
        1112,
        b"pid=1 uid=0 auid=1000 ses=2 msg='op=login acct=\"root\" exe=2F62696E2F6C 6F67696E \
          hostname=? addr=? terminal=pts/0 res=success'",
    )]);
    let f = &v["records"][0]["fields"];
    assert_eq!(v["records"][0]["type"], "USER_LOGIN");
    assert_eq!(f["pid"], 1);
    assert_eq!(
        f["msg"],
        json!({"op":"login","acct":"root","exe":"/bin/l","hostname":null,"addr":null,
               "terminal":"pts/0","res":"success","text":"6F67696E"})
    );
}

#[test]
fn words_without_equals_go_to_text() {
    let v = json(&[(
        1400,
        b"avc:  denied  { read } for  pid=13010 comm=\"pickup\" permissive=0",
    )]);
    assert_eq!(
        v["records"][0],
        json!({"type":"AVC","fields":{"pid":13010,"comm":"pickup","permissive":"0",
               "text":"avc:  denied  { read } for"}})
    );
    // auditctl -m: the message is text= followed by its other words.
    let v = json(&[(
        1005,
        b"pid=1 uid=0 msg='text=capture test \"quotes\" exe=\"/usr/sbin/auditctl\" res=success'",
    )]);
    assert_eq!(
        v["records"][0]["fields"]["msg"],
        json!({"exe":"/usr/sbin/auditctl","res":"success","text":"capture test \"quotes\""})
    );
    assert!(v["records"][0].get("duplicates").is_none());
    // A nested message with free words keeps them in its own "text".
    let v = json(&[(
        1107,
        b"pid=1 msg='avc:  received setenforce notice (enforcing=1) exe=\"/x\"'",
    )]);
    assert_eq!(
        v["records"][0]["fields"]["msg"],
        json!({"(enforcing":"1)","exe":"/x","text":"avc:  received setenforce notice"})
    );
}

/// The body the kernel logs for
/// `auditctl -m "x' uid=12345 pid=1 auid=0 res=failed msg='y"`.
const INJECTED: &[u8] = b"pid=4242 uid=0 auid=1000 ses=3 subj=unconfined msg='text=x' uid=12345 pid=1 \
    auid=0 res=failed msg='y exe=\"/usr/sbin/auditctl\" hostname=? addr=? terminal=pts/0 res=success'";

#[test]
fn a_quote_in_a_user_message_cannot_close_it_or_add_top_level_fields() {
    let v = json(&[(1107, INJECTED)]);
    let f = &v["records"][0]["fields"];
    assert_eq!(
        *f,
        json!({"pid":4242,"uid":0,"auid":1000,"ses":3,"subj":"unconfined",
               "msg":{"text":"x' uid=12345 pid=1 auid=0 res=failed msg='y",
                      "exe":"/usr/sbin/auditctl","hostname":null,"addr":null,
                      "terminal":"pts/0","res":"success"}})
    );
    assert!(v["records"][0].get("duplicates").is_none(), "{v}");
}

#[test]
fn user_message_text_keeps_its_spaces() {
    let v = json(&[(
        1107,
        b"pid=1 uid=0 msg='text=two  spaces and   three exe=\"/usr/sbin/auditctl\" res=success'",
    )]);
    assert_eq!(
        v["records"][0]["fields"]["msg"],
        json!({"text":"two  spaces and   three","exe":"/usr/sbin/auditctl","res":"success"})
    );
    // Without libaudit's ` exe=`, the text runs to the end of the message.
    let v = json(&[(1107, b"pid=1 msg='text=a b=c  d'")]);
    assert_eq!(v["records"][0]["fields"]["msg"], json!({"text":"a b=c  d"}));
}

#[test]
fn duplicate_keys_keep_the_first_and_are_counted() {
    let (text, _) = encode(
        &[(
            1006,
            b"pid=1 uid=0 old auid=4294967295 new auid=0 msg='a=1 a=2' text=t",
        )],
        4096,
    );
    assert!(!text.contains("\"a\":\"2\""), "{text}");
    let v: Json = serde_json::from_str(&text).unwrap();
    let r = &v["records"][0];
    assert_eq!(r["fields"]["auid"], 4_294_967_295u64);
    assert_eq!(r["fields"]["msg"], json!({"a":"1"}));
    assert_eq!(
        r["fields"]["text"], "old new t",
        "text= joins the free words"
    );
    assert_eq!(r["duplicates"], 2, "auid and a");
}

#[test]
fn unknown_types_are_named_unknown_n() {
    let v = json(&[(1399, b"x=1"), (1300, b"arch=ffff syscall=1 exit=-13")]);
    assert_eq!(v["records"][0]["type"], "UNKNOWN[1399]");
    // An unknown arch leaves arch and syscall out; the errno is still named.
    assert_eq!(v["records"][1]["interpreted"], json!({"exit":"EACCES"}));
}

#[test]
fn interpreted_names_arch_syscall_and_errno() {
    let v = json(&[(1300, b"arch=40000003 syscall=5 success=no exit=-2 pid=4242")]);
    let r = &v["records"][0];
    assert_eq!(
        r["interpreted"],
        json!({"arch":"i386","syscall":"open","exit":"ENOENT"})
    );
    assert_eq!(r["containers"]["id"], "c0ffee");
}

/// `mode` as auparse prints it: a PATH record's with the file type and
/// `suid`/`sgid`/`sticky`; an MQ_OPEN record's short (`print_mode_short`).
#[test]
fn modes_read_as_auparse_prints_them() {
    let v = json(&[
        (
            1302,
            b"item=0 name=\"/usr/bin/passwd\" inode=9 dev=fe:00 mode=0104755 ouid=0 ogid=0 \
              rdev=00:00 nametype=NORMAL",
        ),
        (
            1302,
            b"item=1 name=\"/tmp\" inode=2 dev=fe:00 mode=041777 nametype=PARENT",
        ),
        (
            1312,
            b"oflag=0x40 mode=0644 mq_flags=0x0 mq_maxmsg=10 mq_msgsize=8192 mq_curmsgs=0",
        ),
    ]);
    let modes: Vec<&Json> = (0..3)
        .map(|i| &v["records"][i]["interpreted"]["mode"])
        .collect();
    assert_eq!(modes, ["file,suid,755", "dir,sticky,777", "0644"]);
}

#[test]
fn execve_arguments_join_across_records() {
    // "é" split between two pieces, the pieces spread over three records.
    let long = "x\u{e9}y".repeat(3);
    let h = hex(long.as_bytes());
    let (p0, rest) = h.split_at(4); // "x" + first byte of "é"
    let (p1, p2) = rest.split_at(10);
    let r1 = std::format!(
        "argc=4 a0=\"/bin/echo\" a1=\"two words\" a2_len={} a2[0]={p0}",
        h.len()
    );
    let r2 = std::format!(" a2[1]={p1}");
    let r3 = std::format!(" a2[2]={p2} a3={}", hex(b"tab\there"));
    let v = json(&[
        (1300, b"syscall=59"),
        (1309, r1.as_bytes()),
        (1309, r2.as_bytes()),
        (1307, b"cwd=\"/\""),
        (1309, r3.as_bytes()),
    ]);
    let records = v["records"].as_array().unwrap();
    assert_eq!(records.len(), 3, "EXECVE records are one: {v}");
    assert_eq!(
        records[1],
        json!({"type":"EXECVE","fields":{"argc":4},
               "argv":["/bin/echo","two words",long,"tab\there"]})
    );
    assert_eq!(records[2]["type"], "CWD");
}

#[test]
fn proctitle_forms() {
    let p = |body: &[u8]| json(&[(1327, body)])["records"][0]["fields"]["proctitle"].clone();
    assert_eq!(
        p(b"proctitle=\"/usr/sbin/sshd\""),
        json!(["/usr/sbin/sshd"])
    );
    assert_eq!(p(b"proctitle=6261736800"), json!(["bash"]));
    assert_eq!(p(b"proctitle=61000062"), json!(["a", "", "b"]));
    // "00" at an odd offset is not a NUL byte.
    assert_eq!(p(b"proctitle=3130"), json!(["10"]));
    assert_eq!(p(b"proctitle=(null)"), Json::Null);
}

#[test]
fn invalid_utf8_and_control_bytes_stay_valid_json() {
    let mut bytes = b"name=\"\x01\xff\ttab\" exe=".to_vec();
    bytes.extend_from_slice(hex(b"caf\xc3\xa9-\xff\xfe\"\n").as_bytes());
    let v = json(&[(1302, &bytes), (1309, b"a0=FFFE41 a1=\"\xc3\"")]);
    let f = &v["records"][0]["fields"];
    assert_eq!(f["name"], "\u{1}\u{fffd}\ttab");
    assert_eq!(f["exe"], "caf\u{e9}-\u{fffd}\u{fffd}\"\n");
    assert_eq!(
        v["records"][1]["argv"],
        json!(["\u{fffd}\u{fffd}A", "\u{fffd}"])
    );
}

fn three_records(long: &[u8]) -> Vec<(u16, Vec<u8>)> {
    vec![
        (
            1300,
            b"arch=c000003e syscall=59 uid=0 exe=\"/bin/x\"".to_vec(),
        ),
        (1302, [&b"item=0 name=\""[..], long, b"\""].concat()),
        (1327, b"proctitle=78".to_vec()),
    ]
}

fn check_cuts(records: &[(u16, Vec<u8>)], sizes: &[usize]) -> Vec<Json> {
    let records: Vec<(u16, &[u8])> = records.iter().map(|(t, b)| (*t, &b[..])).collect();
    let (full, _) = encode(&records, 1 << 18);
    let enough = full.len() + crate::encode::common::TRUNCATED.len();
    let mut seen = Vec::new();
    for &size in sizes.iter().chain(&[full.len(), enough, enough + 1]) {
        let (text, encoded) = encode(&records, size);
        assert!(text.len() <= size);
        let v: Json =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("size {size}: {e}: {text}"));
        assert_eq!(v["sequence"], 42);
        assert_eq!(!encoded.is_whole(), size < enough, "size {size}: {text}");
        if encoded.truncated {
            assert_eq!(v["truncated"], true, "size {size}");
        }
        if let Some(cut) = encoded.cut {
            assert_eq!(v["cut"]["arguments"], cut.arguments, "size {size}");
            assert_eq!(v["cut"]["bytes"], cut.bytes, "size {size}");
        }
        if encoded.is_whole() {
            assert_eq!(text, full);
        }
        seen.push(v);
    }
    seen
}

#[test]
fn oversized_event_is_cut_at_a_record_and_marked() {
    let records = three_records(&[b'x'; 600]);
    let seen = check_cuts(&records, &[MIN_BUFFER, 150, 200, 300, 500, 700, 800]);
    let kept: Vec<usize> = seen
        .iter()
        .map(|v| v["records"].as_array().unwrap().len())
        .collect();
    // Records are whole or absent: 0, 1, then all 3.
    assert!(kept.windows(2).all(|w| w[0] <= w[1]), "{kept:?}");
    assert_eq!(kept.first(), Some(&0));
    assert!(kept.contains(&1));
    assert_eq!(kept.last(), Some(&3));
    for v in &seen {
        for r in v["records"].as_array().unwrap() {
            if r["type"] == "PATH" {
                assert_eq!(r["fields"]["name"].as_str().unwrap().len(), 600);
            }
        }
    }
}

#[test]
fn long_argv_loses_middle_arguments_and_keeps_every_other_record() {
    let long = vec![b'x'; 3000];
    let a2 = hex(&long);
    let (p0, p1) = a2.split_at(2000);
    let r1 = std::format!("argc=4 a0=\"/bin/echo\" a1=\"\u{e9}\u{e9}\" a2_len=6000 a2[0]={p0}");
    let r2 = std::format!(" a2[1]={p1} a3=\"end\"");
    let records = vec![
        (1300, b"syscall=59 uid=0".to_vec()),
        (1309, r1.into_bytes()),
        (1309, r2.into_bytes()),
        (1327, b"proctitle=78".to_vec()),
    ];
    let lengths = [9u64, 4, 3000, 3];
    let sizes: Vec<usize> = (MIN_BUFFER..3400).step_by(37).collect();
    let seen = check_cuts(&records, &sizes);
    let mut cut_with_ends = 0;
    for v in &seen {
        let Some(cut) = v.get("cut") else {
            continue;
        };
        if v.get("truncated").is_some() {
            continue; // even the records without arguments did not fit
        }
        let list = v["records"].as_array().unwrap();
        let types: Vec<&str> = list.iter().map(|r| r["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["SYSCALL", "EXECVE", "PROCTITLE"], "{v}");
        let argv: Vec<&str> = list[1]["argv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let all = ["/bin/echo", "\u{e9}\u{e9}", &"x".repeat(3000), "end"];
        let kept: Vec<usize> = argv
            .iter()
            .map(|a| all.iter().position(|w| w == a).expect("a whole argument"))
            .collect();
        assert!(kept.windows(2).all(|w| w[0] < w[1]), "{kept:?}");
        let dropped: Vec<usize> = (0..4).filter(|i| !kept.contains(i)).collect();
        assert_eq!(cut["arguments"], dropped.len() as u64);
        let bytes: u64 = dropped.iter().map(|&i| lengths[i]).sum();
        assert_eq!(cut["bytes"], bytes);
        if kept.first() == Some(&0) && kept.last() == Some(&3) {
            cut_with_ends += 1;
        }
    }
    assert!(cut_with_ends > 10, "{cut_with_ends}");
}

#[test]
fn buffer_below_minimum_writes_nothing_and_says_so() {
    let (text, encoded) = encode(&[(1300, b"x=1")], MIN_BUFFER - 1);
    assert_eq!(
        (text.as_str(), encoded),
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
fn kernel_numbers_are_json_numbers() {
    let v = json(&[(
        1300,
        b"arch=c000003e syscall=2 success=no exit=-13 a0=7ffd items=1 ppid=0100 \
          pid=18446744073709551615 uid=18446744073709551616 auid=-9223372036854775808 \
          ses=-9223372036854775809 gid=+1 euid= suid=0 tty=pts0 key=\"7\" sig=-0",
    )]);
    let f = &v["records"][0]["fields"];
    assert_eq!(f["syscall"], 2);
    assert_eq!(f["exit"], -13);
    assert_eq!(f["items"], 1);
    assert_eq!(f["a0"], "7ffd", "hex arguments stay strings");
    assert_eq!(
        f["ppid"], "0100",
        "a leading zero is not the kernel's decimal"
    );
    assert_eq!(f["pid"], u64::MAX);
    assert_eq!(f["uid"], "18446744073709551616", "beyond 64 bits: kept");
    assert_eq!(f["auid"], i64::MIN);
    assert_eq!(f["ses"], "-9223372036854775809");
    assert_eq!(f["gid"], "+1");
    assert_eq!(f["euid"], "");
    assert_eq!(f["suid"], 0);
    assert_eq!(f["key"], "7", "quoted values are text");
    assert_eq!(f["sig"], 0);
    assert_eq!(f["tty"], "pts0");
}

/// Every id is a number, the user message's `id` and the inode's and
/// object's ids too, as the top level's `uid` is; an unset or unknown one
/// as the kernel writes it.
#[test]
fn ids_everywhere_are_json_numbers() {
    let v = json(&[(
        1112,
        b"pid=1234 uid=0 auid=1000 ses=3 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" \
          hostname=? addr=? terminal=/dev/pts/1 res=success'",
    )]);
    let f = &v["records"][0]["fields"];
    assert_eq!(f["uid"], 0);
    assert_eq!(f["msg"]["id"], 1000);
    assert_eq!(f["msg"]["hostname"], serde_json::Value::Null);
    let v = json(&[(
        1300,
        b"arch=c000003e syscall=2 iuid=5 igid=6 inode_uid=7 inode_gid=8 sauid=9 \
          obj_uid=10 obj_gid=11 new_gid=12 id=abc",
    )]);
    let f = &v["records"][0]["fields"];
    for (key, n) in [
        ("iuid", 5),
        ("igid", 6),
        ("inode_uid", 7),
        ("inode_gid", 8),
        ("sauid", 9),
        ("obj_uid", 10),
        ("obj_gid", 11),
        ("new_gid", 12),
    ] {
        assert_eq!(f[key], n, "{key}");
    }
    assert_eq!(f["id"], "abc", "not a decimal: kept as text");
}

#[test]
fn number_fields_are_sorted() {
    use super::value::NUMBER_FIELDS;
    assert!(NUMBER_FIELDS.windows(2).all(|w| w[0] < w[1]));
}

/// An id is a number wherever it is written: every id field (whose
/// value `interpreted` names) is a number field.
#[test]
fn every_id_field_is_a_number_field() {
    use super::value::is_number_field;
    use crate::encode::id_fields::ID_FIELDS;
    for field in ID_FIELDS {
        assert!(is_number_field(field.key), "{:?}", field.key);
    }
}

#[test]
fn field_matches_agree_with_their_tables() {
    use super::value::{is_hex_field, is_number_field, HEX_FIELDS, NUMBER_FIELDS};
    assert!(HEX_FIELDS.windows(2).all(|w| w[0] < w[1]));
    // Every name of either table, their neighbours and a few near misses.
    let mut keys: Vec<Vec<u8>> = HEX_FIELDS
        .iter()
        .chain(NUMBER_FIELDS)
        .map(|k| k.to_vec())
        .collect();
    for k in keys.clone() {
        keys.push(k[..k.len() - 1].to_vec());
        keys.push([&k[..], b"x"].concat());
        keys.push(k.to_ascii_uppercase());
    }
    keys.extend([b"".to_vec(), b"a0".to_vec(), b"saddr".to_vec()]);
    for key in &keys {
        assert_eq!(
            is_hex_field(key),
            HEX_FIELDS.binary_search(&&key[..]).is_ok(),
            "{key:?}"
        );
        assert_eq!(
            is_number_field(key),
            NUMBER_FIELDS.binary_search(&&key[..]).is_ok(),
            "{key:?}"
        );
    }
}

/// Calls `check` with the one event `records` make.
fn with_event(records: &[(u16, &[u8])], check: &mut dyn FnMut(&Event<'_>)) {
    let mut check = |e: &Event<'_>| check(e);
    let mut asm: Boxed = Assembler::new(
        Settings {
            type_min: 1000,
            type_max: 2999,
            ..Settings::default()
        },
        vec![EventSlot::default(); 2].into_boxed_slice(),
        vec![RecordSlot::default(); 64].into_boxed_slice(),
        vec![0u8; 1 << 18].into_boxed_slice(),
    );
    let record = |t: u16, body| Record {
        msg_type: MessageType(t),
        timestamp: Timestamp {
            seconds: 1_700_000_000,
            millis: 7,
        },
        serial: 42,
        body,
        node: None,
        enriched: None,
    };
    for &(t, body) in records {
        asm.push(&record(t, body), Instant(0), &mut check);
    }
    asm.push(&record(1320, b""), Instant(0), &mut check);
    asm.flush(&mut check);
}

#[test]
fn direct_arguments_match_the_serialized_ones() {
    use super::execve::{write_arg, ArgValue, Args};
    use crate::encode::cursor::Cursor;
    // Characters split between pieces and across the writer's 512-byte
    // chunks, invalid bytes, quotes, controls, long and empty pieces.
    let text: Vec<u8> = "é€😀\"\\\u{1}x".bytes().cycle().take(1500).collect();
    let mut bodies = Vec::new();
    for (cut, bad) in [
        (1usize, false),
        (2, true),
        (511, false),
        (513, true),
        (1024, false),
    ] {
        let mut piece_a = text[..cut].to_vec();
        if bad {
            piece_a.push(0xff);
        }
        let piece_b = &text[cut..];
        bodies.push(std::format!(
            "argc=4 a0=\"ls\" a1_len={} a1[0]={} a1[1]={} a2={} a3=\"\"",
            piece_a.len() + piece_b.len(),
            hex(&piece_a),
            hex(piece_b),
            hex(&text[..cut]),
        ));
    }
    bodies.push("argc=2 a0=\"x\" a1[0]=41 a1[1]=\"q\\\"\"".into());
    for body in &bodies {
        let mut args = 0;
        with_event(&[(1309, body.as_bytes())], &mut |e| {
            for arg in Args::of(e) {
                args += 1;
                let mut fast = vec![0u8; 1 << 14];
                let mut cursor = Cursor::new(&mut fast);
                write_arg(&mut cursor, &arg).unwrap();
                let len = cursor.pos();
                let mut slow = vec![0u8; 1 << 14];
                let whole = ArgValue {
                    arg: &arg,
                    budget: usize::MAX,
                };
                let n = serde_json_core::to_slice(&whole, &mut slow).unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&fast[..len]),
                    String::from_utf8_lossy(&slow[..n]),
                    "{body}"
                );
            }
        });
        assert!(args >= 2, "{body}");
    }
}

/// Group ids get names like user ids (`GID`, `OGID`, … as auditd's
/// enriched format names them).
#[test]
fn group_ids_are_named() {
    let doc = json(&[
        (
            1300,
            b"arch=c000003e syscall=2 uid=1000 gid=10 egid=10 sgid=5 comm=\"cat\"",
        ),
        (1302, b"item=0 name=\"/x\" ouid=0 ogid=10"),
        (1320, b""),
    ]);
    let syscall = &doc["records"][0]["interpreted"];
    assert_eq!(syscall["GID"], "wheel");
    assert_eq!(syscall["EGID"], "wheel");
    assert_eq!(syscall["UID"], "alice");
    assert!(syscall.get("SGID").is_none(), "no name known for 5");
    let path = &doc["records"][1]["interpreted"];
    assert_eq!(path["OGID"], "wheel");
    assert_eq!(path["OUID"], "root");
}

/// The `interpreted` object of the one record `body` of type `msg_type`.
fn interpreted_of(msg_type: u16, body: &[u8]) -> Json {
    json(&[(msg_type, body)])["records"][0]["interpreted"].clone()
}

/// The ids inside a user-space record's `msg='…'` are named as the
/// record's own are, under auditd's ENRICHED names (auparse's table:
/// `id`, `sauid`, `new_gid`, …), unset ones (`4294967295`, `-1`) never.
#[test]
fn ids_inside_the_user_message_are_named() {
    // shadow-utils' useradd: the new account's id.
    let add_user = b"pid=1301 uid=0 auid=1000 ses=3 msg='op=add-user id=1000 \
        exe=\"/usr/sbin/useradd\" hostname=? addr=? terminal=pts/0 res=success'";
    assert_eq!(
        interpreted_of(1114, add_user),
        json!({"AUID":"alice","UID":"root","ID":"alice"})
    );
    // sshd's CRYPTO_KEY_USER: the session's uid, and no msg id unset.
    let key_user = b"pid=1299 uid=0 auid=4294967295 ses=4294967295 msg='op=destroy \
        kind=server fp=ab:cd direction=? spid=1299 suid=1000  exe=\"/usr/sbin/sshd\" \
        hostname=? addr=10.0.0.1 terminal=? res=success'";
    assert_eq!(
        interpreted_of(2404, key_user),
        json!({"UID":"root","SUID":"alice"})
    );
    // A login of an unknown id, its session's id unset both ways.
    for unset in ["4294967295", "-1"] {
        let login = std::format!(
            "pid=9 uid=0 auid={unset} ses=1 msg='op=login id={unset} sauid={unset} \
             exe=\"/usr/sbin/sshd\" hostname=? addr=? terminal=/dev/pts/0 res=failed'"
        );
        assert_eq!(
            interpreted_of(1112, login.as_bytes()),
            json!({"UID":"root"})
        );
    }
    // usermod: the group's id and the acting account's.
    let mgmt = b"pid=3 uid=0 auid=1000 ses=2 msg='op=changing-primary-group acct=\"bob\" \
        exe=\"/usr/sbin/usermod\" new_gid=10 sauid=0 obj_gid=10 inode_uid=1000 res=success'";
    assert_eq!(
        interpreted_of(1102, mgmt),
        json!({"AUID":"alice","UID":"root","INODE_UID":"alice","SAUID":"root",
               "OBJ_GID":"wheel","NEW_GID":"wheel"})
    );
}

/// In the group-account records (ADD_GROUP, GRP_MGMT, DEL_GROUP) `id` is
/// a group's, as auparse reads it; elsewhere a user's.
#[test]
fn id_is_a_groups_in_the_group_records() {
    for (msg_type, op) in [
        (1116, "add-group"),
        (1132, "add-shadow-group"),
        (1117, "delete-group"),
    ] {
        let body = std::format!(
            "pid=1235 uid=0 auid=4294967295 ses=4294967295 msg='op={op} id=10 \
             exe=\"/usr/sbin/groupadd\" hostname=? addr=? terminal=? res=success'"
        );
        assert_eq!(
            interpreted_of(msg_type, body.as_bytes()),
            json!({"UID":"root","ID":"wheel"}),
            "{op}"
        );
        // 1000 is a user's name, never a group's.
        let alice = body.replace("id=10 ", "id=1000 ");
        assert_eq!(
            interpreted_of(msg_type, alice.as_bytes()),
            json!({"UID":"root"})
        );
    }
    // The same id in a user record: a user's (10 is no user).
    let add_user = b"pid=1 uid=0 msg='op=add-user id=10 res=success'";
    assert_eq!(interpreted_of(1114, add_user), json!({"UID":"root"}));
}

/// A record's own id comes first: `msg`'s same key does not name it
/// again, nor replace it.
#[test]
fn the_records_own_id_wins_over_the_messages() {
    let body = b"pid=1 uid=1000 auid=0 msg='op=x uid=0 auid=1000 id=0 res=success'";
    assert_eq!(
        interpreted_of(1100, body),
        json!({"AUID":"root","UID":"alice","ID":"root"})
    );
}

/// What the caller found of 77 and its parent 76.
struct Procs;

impl Enrich for Procs {
    fn user_name(&self, _uid: &[u8]) -> Option<&str> {
        None
    }

    fn process(&self, pid: &[u8]) -> Option<crate::encode::ProcessInfo<'_>> {
        let (entity_id, executable, name) = match pid {
            b"77" => ("e-77", "/bin/cat", "cat"),
            b"76" => ("e-76", "/bin/bash", "bash"),
            _ => return None,
        };
        Some(crate::encode::ProcessInfo {
            entity_id,
            executable: Some(executable),
            name: Some(name),
        })
    }
}

/// The SYSCALL record's `interpreted` carries the process identities the
/// caller found (laurel's `PPID` names for the parent).
#[test]
fn process_identities_in_interpreted() {
    let mut text = String::new();
    let body = b"arch=c000003e syscall=2 ppid=76 pid=77 comm=\"cat\"";
    with_event(&[(1300, &body[..])], &mut |e| {
        let mut out = vec![0u8; 4096];
        let encoded = structured(e, &mut Procs, &mut out);
        text = String::from_utf8(out[..encoded.len].to_vec()).unwrap();
    });
    let doc: Json = serde_json::from_str(&text).unwrap();
    let i = &doc["records"][0]["interpreted"];
    assert_eq!(i["PID"], json!({"entity_id": "e-77"}));
    assert_eq!(
        i["PPID"],
        json!({"entity_id": "e-76", "exe": "/bin/bash", "comm": "bash"})
    );
}

/// The arguments as runs of consecutive argument fields with the same
/// index, read the plain way (every field of every EXECVE record in
/// order): what `Args` must give, argument by argument, piece by piece.
fn argument_runs(bodies: &[Vec<u8>]) -> Vec<(u32, Vec<Vec<u8>>)> {
    let mut runs: Vec<(u32, Vec<Vec<u8>>)> = Vec::new();
    let mut current: Option<u32> = None;
    let mut open = false;
    for body in bodies {
        for f in crate::record::Fields::new(body) {
            let Some(arg) = crate::record::ExecveArg::parse(f.key).filter(|a| !a.is_len) else {
                continue;
            };
            if current == Some(arg.index) {
                if open {
                    if let Some(run) = runs.last_mut() {
                        run.1.push(f.value.text().to_vec());
                    }
                }
                continue;
            }
            current = Some(arg.index);
            open = true;
            runs.push((arg.index, vec![f.value.text().to_vec()]));
        }
    }
    runs
}

proptest::proptest! {
    #[test]
    fn arguments_are_runs_of_pieces(
        records in proptest::collection::vec(
            proptest::collection::vec(
                proptest::sample::select(&[
                    "a0=\"x\"", "a1=\"y z\"", "a0[0]=41", "a0[1]=42", "a1[0]=\"q\"",
                    "a1[1]=43", "a2_len=4", "argc=3", "a2", "a3=", "  ", "b1=7",
                ][..]),
                0..8,
            ),
            1..4,
        ),
    ) {
        use super::execve::Args;
        let bodies: Vec<Vec<u8>> = records.iter().map(|r| r.join(" ").into_bytes()).collect();
        let want = argument_runs(&bodies);
        let typed: Vec<(u16, &[u8])> = bodies.iter().map(|b| (1309u16, b.as_slice())).collect();
        let mut got: Vec<(u32, Vec<Vec<u8>>)> = Vec::new();
        let mut seen = false;
        with_event(&typed, &mut |e| {
            seen = true;
            got = Args::of(e)
                .map(|arg| {
                    let pieces = arg.pieces_for_test().map(|v| v.text().to_vec()).collect();
                    (arg.index_for_test(), pieces)
                })
                .collect();
        });
        proptest::prop_assert!(seen);
        proptest::prop_assert_eq!(got, want);
    }
}

proptest::proptest! {
    /// The one-pass argument writer, when it answers, writes what the
    /// joined arguments give, on EXECVE bodies of quoted, hex, split and
    /// odd fields.
    #[test]
    fn single_pass_arguments_are_the_joined_ones(
        tokens in proptest::collection::vec(
            proptest::sample::select(vec![
                "a0=\"ls\"", "a1=\"-la b\"", "a2=2F746D70", "a1=\"x\"", "a3=\"\"", "a01=\"z\"",
                "a2[0]=41", "a2_len=2", "argc=3", "a4=\"open", "a5=\"q\"r", "a6=(null)",
                "a7='s'", "x", "a9=\"\u{e9}\\\\\"", "a10=\"long argument text here\"",
            ]),
            0..8,
        ),
        split in 0usize..8,
    ) {
        use super::execve::{write_arg, write_single_args, Args};
        use crate::encode::cursor::Cursor;
        let (first, second) = tokens.split_at(split.min(tokens.len()));
        let bodies = [first.join(" "), second.join("  ")];
        let records: Vec<(u16, &[u8])> = bodies.iter().map(|b| (1309u16, b.as_bytes())).collect();
        with_event(&records, &mut |e| {
            let mut single = vec![0u8; 4096];
            let mut c = Cursor::new(&mut single);
            if write_single_args(&mut c, e).is_none() {
                return;
            }
            let len = c.pos();
            let mut joined = vec![0u8; 4096];
            let mut j = Cursor::new(&mut joined);
            for (i, arg) in Args::of(e).enumerate() {
                if i > 0 {
                    j.push(b",").unwrap();
                }
                write_arg(&mut j, &arg).unwrap();
            }
            let jlen = j.pos();
            assert_eq!(
                String::from_utf8_lossy(&single[..len]),
                String::from_utf8_lossy(&joined[..jlen]),
                "{bodies:?}"
            );
        });
    }
}
