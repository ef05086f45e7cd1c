//! A SOCKADDR in the ECS document, family by family, against what
//! go-libaudit's `parseSockaddr` and Auditbeat's mapping write for the
//! same bytes (`auditd.data.socket.*`, the summary's object, `source` /
//! `destination`, `network.direction`).

extern crate std;

use serde_json::{json, Value as Json};

use super::tests::{doc, encode_with};
use crate::encode::NoEnrich;

/// The document of syscall `number` (x86_64) given the `saddr` `hex`.
fn with_saddr(number: u32, hex: &str) -> Json {
    let syscall = std::format!(
        "arch=c000003e syscall={number} success=yes exit=0 a0=3 a1=7ffc a2=10 a3=0 items=0 \
         ppid=1 pid=2 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 \
         sgid=1000 fsgid=1000 tty=(none) ses=3 comm=\"nc\" exe=\"/usr/bin/nc\" key=(null)"
    );
    let saddr = std::format!("saddr={hex}");
    doc(&[
        (1300, syscall.as_bytes()),
        (1306, saddr.as_bytes()),
        (1320, b""),
    ])
}

const CONNECT: u32 = 42;
const ACCEPT: u32 = 43;
const BIND: u32 = 49;

/// The members the SOCKADDR gives: data's socket, the summary's object,
/// source, destination, network.
fn socket_members(v: &Json) -> [&Json; 5] {
    [
        &v["auditd"]["data"]["socket"],
        &v["auditd"]["summary"]["object"],
        &v["source"],
        &v["destination"],
        &v["network"],
    ]
}

/// The calls of many messages (sendmmsg, recvmmsg) have their action and
/// socket object, but their address no side: aucoalesce's
/// `addSockaddrRecord` sides only the calls of one.
#[test]
fn calls_of_many_messages_give_no_side() {
    for (number, action) in [(307, "sent-to"), (299, "received-from")] {
        let v = with_saddr(number, "02000050080808080000000000000000");
        assert_eq!(v["event"]["action"], action, "{v}");
        assert_eq!(
            socket_members(&v)[1..],
            [
                &json!({"type":"socket","primary":"8.8.8.8","secondary":"80"}),
                &Json::Null,
                &Json::Null,
                &Json::Null,
            ],
            "{v}"
        );
    }
}

/// go-libaudit's own test value: `auditd.data.socket` nests the
/// aucoalesce `socket_*` keys, every value a string; the destination's
/// port is a string as Auditbeat's `addAddress` writes it.
#[test]
fn ipv4_as_auditbeat_writes_it() {
    let v = with_saddr(CONNECT, "02000050080808080000000000000000");
    assert_eq!(
        socket_members(&v),
        [
            &json!({"family":"ipv4","addr":"8.8.8.8","port":"80"}),
            &json!({"type":"socket","primary":"8.8.8.8","secondary":"80"}),
            &Json::Null,
            &json!({"ip":"8.8.8.8","port":"80"}),
            &json!({"direction":"egress"}),
        ]
    );
    assert!(v["auditd"]["data"].get("socket_family").is_none());
}

/// `flow` (go-libaudit's key) when the flowinfo is not 0; no scope id.
#[test]
fn ipv6_flowinfo_is_flow() {
    let v = with_saddr(
        CONNECT,
        "0A0000501234567820010DB800000000000000000000000102000000",
    );
    assert_eq!(
        v["auditd"]["data"]["socket"],
        json!({"family":"ipv6","addr":"2001:db8::1","port":"80","flow":"305419896"})
    );
    assert_eq!(v["destination"], json!({"ip":"2001:db8::1","port":"80"}));
    // go-libaudit's test value: flowinfo 0, no `flow`.
    let v = with_saddr(
        CONNECT,
        "0A000050000000002607F8B0400C0C06000000000000006700000000",
    );
    assert_eq!(
        v["auditd"]["data"]["socket"],
        json!({"family":"ipv6","addr":"2607:f8b0:400c:c06::67","port":"80"})
    );
}

/// A path socket: the path in the data, the summary and the side.
#[test]
fn unix_path_is_the_destinations_path() {
    let v = with_saddr(
        CONNECT,
        "01002F72756E2F646275732F73797374656D5F6275735F736F636B657400",
    );
    let path = "/run/dbus/system_bus_socket";
    assert_eq!(
        socket_members(&v),
        [
            &json!({"family":"unix","path":path}),
            &json!({"type":"socket","primary":path}),
            &Json::Null,
            &json!({ "path": path }),
            &json!({"direction":"egress"}),
        ]
    );
}

/// An abstract name is `@name` wherever the path goes (go-libaudit
/// writes `""`, the path cut at the namespace's NUL; a documented
/// difference); an unnamed socket's path is `""` as go-libaudit's, with
/// no side object and no summary primary, as Auditbeat leaves them.
#[test]
fn unix_abstract_and_unnamed() {
    let v = with_saddr(CONNECT, "0100006E616D6500000000");
    assert_eq!(
        socket_members(&v),
        [
            &json!({"family":"unix","path":"@name"}),
            &json!({"type":"socket","primary":"@name"}),
            &Json::Null,
            &json!({"path":"@name"}),
            &json!({"direction":"egress"}),
        ]
    );
    let v = with_saddr(CONNECT, "0100");
    assert_eq!(
        socket_members(&v),
        [
            &json!({"family":"unix","path":""}),
            &json!({"type":"socket"}),
            &Json::Null,
            &Json::Null,
            &json!({"direction":"egress"}),
        ]
    );
}

/// Netlink: go-libaudit keeps the record's hex as `saddr`; packet,
/// vsock and families it does not know are their numbers.
#[test]
fn other_families_keep_the_hex() {
    for (hex, family) in [
        ("100000000000000000000000", "netlink"),
        // Shorter than raudit's netlink decoding needs: still netlink.
        ("10000000", "netlink"),
        ("110000030200000001000006AABBCCDDEEFF0000", "17"),
        ("280000003905000003000000", "40"),
        ("2600AABBCCDD", "38"),
    ] {
        let v = with_saddr(CONNECT, hex);
        assert_eq!(
            socket_members(&v),
            [
                &json!({"family":family,"saddr":hex}),
                &json!({"type":"socket"}),
                &Json::Null,
                &Json::Null,
                &json!({"direction":"egress"}),
            ],
            "{hex}"
        );
    }
}

/// Bytes go-libaudit refuses (too short for the family) give nothing.
#[test]
fn too_short_gives_nothing() {
    for hex in ["0200", "020000500808", "0A00005000000000", "02"] {
        let v = with_saddr(CONNECT, hex);
        assert_eq!(
            socket_members(&v),
            [
                &Json::Null,
                &json!({"type":"socket"}),
                &Json::Null,
                &Json::Null,
                &Json::Null,
            ],
            "{hex}"
        );
    }
}

/// accept's address is the source (ingress); bind's is the local one:
/// in the data and summary only, no side, no direction.
#[test]
fn accept_is_the_source_and_bind_no_side() {
    let hex = "0200E31C4853E6640000000000000000";
    let v = with_saddr(ACCEPT, hex);
    assert_eq!(v["source"], json!({"ip":"72.83.230.100","port":"58140"}));
    assert_eq!(v["network"], json!({"direction":"ingress"}));
    assert!(v.get("destination").is_none());
    let v = with_saddr(BIND, hex);
    assert_eq!(
        socket_members(&v),
        [
            &json!({"family":"ipv4","addr":"72.83.230.100","port":"58140"}),
            &json!({"type":"socket","primary":"72.83.230.100","secondary":"58140"}),
            &Json::Null,
            &Json::Null,
            &Json::Null,
        ]
    );
}

/// A record's own `socket` field stays; the address's object is left
/// out rather than written as a second `socket` key.
#[test]
fn a_records_own_socket_key_stays() {
    let (text, _) = encode_with(
        &[
            (
                1300,
                b"arch=c000003e syscall=42 success=yes exit=0 a0=3 a1=7ffc a2=10 a3=0 items=0 \
                  ppid=1 pid=2 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 \
                  egid=1000 sgid=1000 fsgid=1000 tty=(none) ses=3 comm=\"nc\" \
                  exe=\"/usr/bin/nc\" socket=own key=(null)",
            ),
            (1306, b"saddr=02000050080808080000000000000000"),
            (1320, b""),
        ],
        8192,
        &mut NoEnrich,
    );
    assert_eq!(text.matches("\"socket\":").count(), 1, "{text}");
    let v: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(v["auditd"]["data"]["socket"], "own");
    assert_eq!(v["destination"], json!({"ip":"8.8.8.8","port":"80"}));
}

/// The side goes by the SYSCALL record's syscall whatever record type
/// names the event: auditctl's sendto to the kernel under a
/// CONFIG_CHANGE record is egress, as go-libaudit reads the data's
/// `syscall`; the summary's object stays the record type's.
#[test]
fn the_direction_follows_the_syscall_under_a_record_type() {
    let v = doc(&[
        (
            1305,
            b"op=set audit_failure=1 old=1 auid=4294967295 ses=4294967295 res=1",
        ),
        (
            1300,
            b"arch=c000003e syscall=44 success=yes exit=60 a0=3 a1=7ffcfc191100 a2=3c a3=0 \
              items=0 ppid=1 pid=2 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 \
              sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"auditctl\" \
              exe=\"/usr/sbin/auditctl\" key=(null)",
        ),
        (1306, b"saddr=100000000000000000000000"),
        (1320, b""),
    ]);
    assert_eq!(v["auditd"]["message_type"], "config_change");
    assert_eq!(
        v["auditd"]["data"]["socket"],
        json!({"family":"netlink","saddr":"100000000000000000000000"})
    );
    assert_eq!(v["network"], json!({"direction":"egress"}));
    assert!(v.get("destination").is_none());
    assert_ne!(v["auditd"]["summary"]["object"]["type"], "socket");
}
