//! Unit tests of the ECS shape on hand-made events.

extern crate std;

use serde_json::{json, Value as Json};

use super::bounded::{write_bounded, BARE_MAX};
use super::facts::{is_moved, slot_of, KEYS, MOVED};
use super::*;
use crate::assemble::{Assembler, EventSlot, RecordSlot, Settings};
use crate::encode::NoEnrich;
use crate::record::{Record, Timestamp};
use crate::time::Instant;
use crate::wire::MessageType;
use std::string::String;
use std::vec::Vec;

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

#[test]
fn execve_document() {
    let v = doc(EXECVE_EVENT);
    assert_eq!(v["@timestamp"], "2025-03-14T20:13:15.885Z");
    assert_eq!(
        v["event"],
        json!({"module":"auditd","kind":"event","category":["process"],"type":["start"],
               "action":"executed","outcome":"success"})
    );
    let a = &v["auditd"];
    assert_eq!(a["message_type"], "syscall");
    assert_eq!(a["sequence"], 240);
    assert_eq!(a["result"], "success");
    assert_eq!(a["session"], "194");
    assert_eq!(
        a["summary"],
        json!({"actor":{"primary":"alice","secondary":"root"},
               "object":{"type":"file","primary":"/usr/bin/docker"},"how":"/usr/bin/docker"})
    );
    // No `items`: aucoalesce's normalizeCompound deletes it from an event
    // of several records.
    assert_eq!(
        a["data"],
        json!({"arch":"x86_64","syscall":"execve","exit":"0","a0":"55dc","a1":"55dd",
               "a2":"55de","a3":"7f6a","tty":"pts1","argc":"3"})
    );
    assert_eq!(a["paths"][0]["name"], "/usr/bin/docker");
    // No `effective`: the user's own (Auditbeat's removeRedundantEntity).
    assert_eq!(
        v["user"],
        json!({"id":"0","name":"root","group":{"id":"0"},
               "saved":{"id":"0","name":"root","group":{"id":"0"}},
               "filesystem":{"id":"0","name":"root","group":{"id":"0"}},
               "audit":{"id":"1000","name":"alice"},
               "selinux":{"user":"unconfined"}})
    );
    assert_eq!(
        v["process"],
        json!({"pid":5821,"parent":{"pid":5820},"name":"docker","executable":"/usr/bin/docker",
               "title":"docker inspect 721df12151a7\n","args":["docker","inspect","721df12151a7"],
               "working_directory":"/home/alice"})
    );
    assert_eq!(
        v["file"],
        json!({"path":"/usr/bin/docker","device":"00:00","inode":"16571","mode":"0755",
               "uid":"0","gid":"0","owner":"root"})
    );
    assert_eq!(v["tags"], json!(["exec", "64bit"]));
    assert_eq!(v["host"], json!({"name":"web-1"}));
    assert_eq!(v["container"], json!({"id":"3f9a"}));
    assert!(v.get("truncated").is_none());
}

#[test]
fn connect_has_a_destination() {
    let v = doc(&[
        (
            1300,
            b"arch=c000003e syscall=42 success=no exit=-115 a0=3 a1=7ffc a2=10 a3=0 items=0 \
              ppid=1 pid=2 auid=4294967295 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 \
              egid=1000 sgid=1000 fsgid=1000 tty=(none) ses=4294967295 comm=\"curl\" \
              exe=\"/usr/bin/curl\" key=(null)",
        ),
        (1306, b"saddr=020001BB0A0000010000000000000000"),
        (1320, b""),
    ]);
    assert_eq!(v["event"]["action"], "connected-to");
    assert_eq!(v["event"]["outcome"], "failure");
    // An unset session is left out, as Auditbeat leaves it out.
    assert!(v["auditd"].get("session").is_none(), "{v}");
    assert_eq!(v["auditd"]["summary"]["actor"]["primary"], "unset");
    assert_eq!(
        v["auditd"]["summary"]["object"],
        json!({"type":"socket","primary":"10.0.0.1","secondary":"443"})
    );
    assert_eq!(v["auditd"]["data"]["exit"], "EINPROGRESS");
    assert_eq!(v["auditd"]["data"]["tty"], "(none)");
    assert_eq!(v["destination"], json!({"ip":"10.0.0.1","port":"443"}));
    assert_eq!(v["network"], json!({"direction":"egress"}));
    assert!(v["user"].get("audit").is_none(), "unset auid left out");
    assert!(v.get("tags").is_none());
}

/// `event.action` and `event.type` of syscalls as go-libaudit's
/// `normalizations.yaml` gives them: `symlink`/`symlinkat` are
/// `symlinked` (`link`/`linkat` are `linked`), the truncates are
/// `opened-file` (type change), and the send/receive calls take the
/// network macro's type, `[connection, info]`.
#[test]
fn syscall_normalisations_follow_aucoalesce() {
    let event = |syscall: &str| {
        let body = std::format!(
            "arch=c000003e syscall={syscall} success=yes exit=0 a0=3 a1=7ffc a2=10 a3=0 \
             items=0 ppid=1 pid=2 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 \
             fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=(none) ses=3 comm=\"x\" \
             exe=\"/usr/bin/x\" key=(null)"
        );
        let v = doc(&[(1300, body.as_bytes()), (1320, b"")]);
        (v["event"]["action"].clone(), v["event"]["type"].clone())
    };
    let file_change = json!(["change"]);
    let network = json!(["connection", "info"]);
    for (name, number, action, kind) in [
        ("link", "86", "linked", json!(["creation"])),
        ("symlink", "88", "symlinked", json!(["creation"])),
        ("symlinkat", "266", "symlinked", json!(["creation"])),
        ("truncate", "76", "opened-file", file_change.clone()),
        ("sendto", "44", "sent-to", network.clone()),
        ("recvfrom", "45", "received-from", network.clone()),
        ("sendmsg", "46", "sent-to", network.clone()),
        ("recvmsg", "47", "received-from", network.clone()),
    ] {
        assert_eq!(event(number), (json!(action), kind), "{name}");
    }
}

/// An IPv4 address reached through an IPv6 socket (`::ffff:a.b.c.d`,
/// as Java and other dual-stack programs connect) is written as the
/// IPv4 address, as go-libaudit's `net.IP` prints it, wherever the ECS
/// document names it; the family stays the socket's.
#[test]
fn ipv4_mapped_addresses_are_written_as_ipv4() {
    let v = doc(&[
        (
            1300,
            b"arch=c000003e syscall=42 success=yes exit=0 a0=3 a1=7ffc a2=1c a3=0 items=0 \
              ppid=1 pid=2 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 \
              egid=1000 sgid=1000 fsgid=1000 tty=(none) ses=3 comm=\"java\" \
              exe=\"/usr/bin/java\" key=(null)",
        ),
        (
            1306,
            b"saddr=0A0001BB0000000000000000000000000000FFFF0A00000100000000",
        ),
        (1320, b""),
    ]);
    assert_eq!(v["destination"], json!({"ip":"10.0.0.1","port":"443"}));
    assert_eq!(v["auditd"]["summary"]["object"]["primary"], "10.0.0.1");
    assert_eq!(
        v["auditd"]["data"]["socket"],
        json!({"family":"ipv6","addr":"10.0.0.1","port":"443"})
    );
}

/// A SECCOMP record as aucoalesce reads it: its `arch` and `syscall`
/// named in the data (as a SYSCALL record's; structured's `interpreted`
/// names them too), the action `violated-seccomp-policy` on the process
/// with the syscall as object, and the syscall's own category and type
/// (aucoalesce adds the normalisation of the record's `syscall`).
#[test]
fn seccomp_names_its_syscall() {
    let v = doc(&[(
        1326,
        b"auid=1000 uid=1000 gid=1000 ses=3 subj=unconfined pid=1234 comm=\"x\" \
          exe=\"/usr/bin/x\" sig=31 arch=c000003e syscall=59 compat=0 ip=0x7f0 code=0x80000000",
    )]);
    let data = &v["auditd"]["data"];
    assert_eq!(
        (&data["arch"], &data["syscall"]),
        (&json!("x86_64"), &json!("execve"))
    );
    // (go-libaudit's setSignalName: the signal by its name.)
    assert_eq!(data["sig"], "SIGSYS");
    // The action is `event.action` alone, as Auditbeat writes it.
    assert!(v["auditd"]["summary"].get("action").is_none(), "{v}");
    assert_eq!(
        v["auditd"]["summary"]["object"],
        json!({"type":"process","primary":"execve"})
    );
    assert_eq!(v["event"]["action"], "violated-seccomp-policy");
    assert_eq!(v["event"]["category"], json!(["process"]));
    assert_eq!(v["event"]["type"], json!(["start"]));
}

/// aucoalesce adds the normalisation of an event's syscall to the
/// record type's own (`applyNormalization`): an AppArmor AVC on unlink
/// is a file deletion (the golden's AVC_AppArmor_unlink), a LOGIN
/// written through `write` also changed a file, a CONFIG_CHANGE sent
/// over netlink (`sendto`) is also a network exchange; a record type
/// in the same normalisation as its syscall (TIME_INJOFFSET, adjtimex)
/// adds nothing.
#[test]
fn a_record_types_category_and_type_add_its_syscalls() {
    let syscall = |number: &str| {
        std::format!(
            "arch=c000003e syscall={number} success=yes exit=0 a0=3 a1=7ffc a2=10 a3=0 items=0 \
             ppid=1 pid=2 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 \
             tty=(none) ses=3 comm=\"x\" exe=\"/usr/bin/x\" key=(null)"
        )
    };
    let event = |special: (u16, &[u8]), number: &str| {
        let call = syscall(number);
        let v = doc(&[(1300, call.as_bytes()), special, (1320, b"")]);
        (v["event"]["category"].clone(), v["event"]["type"].clone())
    };
    let avc: &[u8] = b"apparmor=\"DENIED\" operation=\"unlink\" profile=\"docker-default\" \
        name=\"/tmp/x\" pid=2 comm=\"x\" requested_mask=\"d\" denied_mask=\"d\" fsuid=0 ouid=0";
    assert_eq!(
        event((1400, avc), "87"),
        (json!(["file"]), json!(["deletion"])),
        "AVC on unlink"
    );
    assert_eq!(
        event((1400, avc), "0"),
        (json!(["file"]), json!(["info"])),
        "AVC on read"
    );
    let login: &[u8] = b"pid=2 uid=0 subj=unconfined old-auid=4294967295 auid=1000 tty=(none) \
        old-ses=4294967295 ses=3 res=1";
    assert_eq!(
        event((1006, login), "1"),
        (
            json!(["authentication", "file"]),
            json!(["start", "change"])
        ),
        "LOGIN through write"
    );
    let config: &[u8] = b"auid=1000 ses=3 subj=unconfined op=add_rule key=(null) list=4 res=1";
    assert_eq!(
        event((1305, config), "44"),
        (
            json!(["process", "configuration", "network"]),
            json!(["change", "connection", "info"])
        ),
        "CONFIG_CHANGE through sendto"
    );
    let time: &[u8] = b"sec=0 nsec=1000";
    assert_eq!(
        event((1332, time), "159"),
        (json!(["host"]), json!(["change"])),
        "TIME_INJOFFSET through adjtimex"
    );
}

/// Only the record types whose normalisation has `source_ip` (a login,
/// a session's start, an error; the crypto records) make `addr` the
/// source, which leaves the data; any other user-space record
/// (USER_AUTH, USER_ACCT, CRED_ACQ, USER_CHAUTHTOK, …) keeps `addr` in
/// its data and has no source, as aucoalesce leaves it.
#[test]
fn addr_is_the_source_only_where_aucoalesce_makes_it() {
    let body = b"pid=5 uid=0 auid=1000 ses=4 msg='op=PAM:authentication acct=\"bob\" \
                 exe=\"/usr/bin/sudo\" hostname=web addr=192.0.2.7 terminal=/dev/pts/1 \
                 res=success'";
    let types = [
        (1100, false),
        (1101, false),
        (1103, false),
        (1108, false),
        (1105, true),
        (1109, true),
        (1112, true),
    ];
    for (msg_type, source) in types {
        let v = doc(&[(msg_type, body)]);
        let data = &v["auditd"]["data"];
        if source {
            assert_eq!(v["source"], json!({"ip":"192.0.2.7"}), "{msg_type}");
            assert_eq!(v["network"], json!({"direction":"ingress"}), "{msg_type}");
            assert!(data.get("addr").is_none(), "{msg_type}: {data}");
        } else {
            assert!(v.get("source").is_none(), "{msg_type}: {v}");
            assert!(v.get("network").is_none(), "{msg_type}: {v}");
            assert_eq!(data["addr"], "192.0.2.7", "{msg_type}: {data}");
        }
        // The summary's object names the peer either way.
        assert_eq!(v["auditd"]["summary"]["object"]["secondary"], "192.0.2.7");
    }
}

#[test]
fn user_login_from_the_network() {
    let v = doc(&[(
        1112,
        b"pid=10617 uid=0 auid=4294967295 ses=4294967295 msg='op=login \
          acct=28696E76616C6964207573657229 exe=\"/usr/sbin/sshd\" hostname=? \
          addr=198.51.100.7 terminal=sshd res=failed'",
    )]);
    assert_eq!(v["auditd"]["message_type"], "user_login");
    assert_eq!(v["auditd"]["result"], "fail");
    assert_eq!(
        v["auditd"]["summary"],
        json!({"actor":{"primary":"unset","secondary":"(invalid user)"},
               "object":{"type":"user-session","primary":"sshd","secondary":"198.51.100.7"},
               "how":"/usr/sbin/sshd"})
    );
    assert_eq!(
        v["auditd"]["data"],
        json!({"op":"login","acct":"(invalid user)","terminal":"sshd"})
    );
    assert_eq!(v["source"], json!({"ip":"198.51.100.7"}));
    assert_eq!(v["network"], json!({"direction":"ingress"}));
    assert_eq!(
        v["process"],
        json!({"pid":10617,"executable":"/usr/sbin/sshd"})
    );
    assert_eq!(
        v["event"],
        json!({"module":"auditd","kind":"event","category":["authentication"],"type":["start"],
               "action":"logged-in","outcome":"failure"})
    );
}

/// aucoalesce drops a field whose value is `?` quoted or not (PAM's
/// `acct="?"` for an unknown user): the actor's secondary falls back to
/// the uid, as in the golden's USER_ERR event (ubuntu-17.04), and the
/// data has no `acct`.
#[test]
fn a_quoted_question_mark_is_no_account() {
    let v = doc(&[(
        1109,
        b"pid=10663 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:bad_ident acct=\"?\" \
          exe=\"/usr/sbin/sshd\" hostname=185.56.82.22 addr=185.56.82.22 terminal=ssh res=failed'",
    )]);
    assert_eq!(
        v["auditd"]["summary"]["actor"],
        json!({"primary":"unset","secondary":"root"})
    );
    assert_eq!(
        v["auditd"]["data"],
        json!({"op":"PAM:bad_ident","hostname":"185.56.82.22","terminal":"ssh"})
    );
}

/// A field with an empty value (`op=`, `acct=""`) is left out of the
/// data, as auparse drops it; its neighbours stay.
#[test]
fn empty_values_leave_the_data() {
    let v = doc(&[(
        1116,
        b"pid=8 uid=0 auid=1000 ses=2 msg='op= id=1200 acct=\"\" exe=\"/usr/sbin/groupadd\" \
          hostname=box addr=? terminal=pts/2 res=success'",
    )]);
    let data = &v["auditd"]["data"];
    assert!(data.get("op").is_none(), "{data}");
    assert!(data.get("acct").is_none(), "{data}");
    assert_eq!(data["id"], "1200", "{data}");
    assert_eq!(data["terminal"], "pts/2", "{data}");
    let kernel = doc(&[(1305, b"op=set audit_enabled=1 old= res=1")]);
    let data = &kernel["auditd"]["data"];
    assert!(data.get("old").is_none(), "{data}");
    assert_eq!(data["audit_enabled"], "1", "{data}");
}

/// A user-space record's `cwd` (USER_CMD's) is the process's working
/// directory and leaves the data, as aucoalesce's `addProcess` moves it
/// for every event.
#[test]
fn a_user_records_cwd_is_the_working_directory_only() {
    let v = doc(&[(
        1123,
        b"pid=41 uid=1000 auid=1000 ses=2 msg='cwd=\"/srv/www\" cmd=\"make\" \
          terminal=pts/3 res=success'",
    )]);
    assert_eq!(v["process"]["working_directory"], "/srv/www");
    let data = &v["auditd"]["data"];
    assert!(data.get("cwd").is_none(), "{data}");
    assert_eq!(data["cmd"], "make", "{data}");
}

/// The summary's object as aucoalesce names it for record types whose
/// object is not a terminal, file or socket: the command a USER_CMD ran,
/// the unit a SERVICE_START started, the table a NETFILTER_CFG loaded,
/// the key a CRYPTO_KEY_USER used (the goldens' events).
#[test]
fn summary_objects_of_user_space_records() {
    let object = |records: &[(u16, &[u8])]| doc(records)["auditd"]["summary"]["object"].clone();
    let cmd = object(&[(
        1123,
        b"pid=9729 uid=1001 auid=1001 ses=1 msg='cwd=\"/home/carol_jones\" cmd=\"su\" \
          terminal=pts/0 res=success'",
    )]);
    assert_eq!(
        (&cmd["type"], &cmd["primary"]),
        (&json!("process"), &json!("su"))
    );
    let hex_cmd = object(&[(
        1123,
        b"pid=9729 uid=1001 auid=1001 ses=1 msg='cwd=\"/\" cmd=6C73202F746D70 terminal=pts/0 \
          res=success'",
    )]);
    assert_eq!(hex_cmd["primary"], "ls /tmp");
    let unit = object(&[(
        1130,
        b"pid=1 uid=0 auid=4294967295 ses=4294967295 msg='unit=rsyslog comm=\"systemd\" \
          exe=\"/lib/systemd/systemd\" hostname=? addr=? terminal=? res=success'",
    )]);
    assert_eq!(unit, json!({"type":"service","primary":"rsyslog"}));
    let table = object(&[
        (1325, b"table=filter family=2 entries=7"),
        (
            1300,
            b"arch=c000003e syscall=54 success=yes exit=0 a0=4 a1=0 a2=40 a3=562bf7914100 \
              items=0 ppid=9708 pid=9709 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 \
              egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"iptables\" \
              exe=\"/sbin/xtables-multi\" key=(null)",
        ),
        (1320, b""),
    ]);
    assert_eq!(table, json!({"type":"firewall","primary":"filter"}));
    let key = object(&[(
        2404,
        b"pid=1299 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 \
          msg='op=destroy kind=server fp=6d:a3:7f:ed:de:4a:79:f2:aa:49:ec:d1:75:36:97:a3 \
          direction=? spid=1299 suid=0  exe=\"/usr/sbin/sshd\" hostname=? addr=96.241.146.97 \
          terminal=? res=success'",
    )]);
    assert_eq!(
        key,
        json!({"type":"user-session","primary":"6d:a3:7f:ed:de:4a:79:f2:aa:49:ec:d1:75:36:97:a3",
               "secondary":"96.241.146.97"})
    );
}

/// aucoalesce's object of an audit configuration change is the first of
/// `op`, `key`, `audit_enabled`, `audit_pid`, `audit_backlog_limit`,
/// `audit_failure` present (a backlog limit change has no `op`: its new
/// value); a crypto session's is its peer, `addr`, and the peer's port,
/// `rport` (the goldens' events).
#[test]
fn summary_objects_of_configuration_and_crypto_sessions() {
    let object = |records: &[(u16, &[u8])]| doc(records)["auditd"]["summary"]["object"].clone();
    let backlog = object(&[(
        1305,
        b"audit_backlog_limit=64 old=8192 auid=4294967295 ses=4294967295 \
          subj=system_u:system_r:unconfined_service_t:s0 res=1",
    )]);
    assert_eq!(backlog, json!({"type":"audit-config","primary":"64"}));
    let enabled = object(&[(1305, b"audit_enabled=1 old=1 auid=0 ses=2 res=1")]);
    assert_eq!(enabled, json!({"type":"audit-config","primary":"1"}));
    let rule = object(&[(
        1305,
        b"auid=1001 ses=67 op=\"remove_rule\" key=\"x\" list=4 res=1",
    )]);
    assert_eq!(rule, json!({"type":"audit-config","primary":"remove_rule"}));
    let session = object(&[(
        2407,
        b"pid=1298 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 \
          msg='op=start direction=from-server cipher=chacha20-poly1305@openssh.com ksize=512 mac= \
          pfs=curve25519-sha256@libssh.org spid=1299 suid=74 rport=63927 laddr=10.142.0.2 \
          lport=22  exe=\"/usr/sbin/sshd\" hostname=? addr=96.241.146.97 terminal=? res=success'",
    )]);
    assert_eq!(
        session,
        json!({"type":"user-session","primary":"96.241.146.97","secondary":"63927"})
    );
}

/// The object file's SELinux label is `file.selinux`, split as the
/// subject's is (the goldens' make-device event); a file without one
/// has none.
#[test]
fn the_object_files_label_is_file_selinux() {
    let syscall: &[u8] = b"arch=c000003e syscall=133 success=yes exit=0 a0=7ff61dde1960 a1=1180 \
        a2=0 a3=2 items=2 ppid=1 pid=326 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 \
        sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"systemd-logind\" \
        exe=\"/usr/lib/systemd/systemd-logind\" subj=system_u:system_r:systemd_logind_t:s0 \
        key=\"specialfiles\"";
    let path = |obj: &str| {
        std::format!(
            "item=1 name=\"/run/systemd/sessions/23.ref\" inode=98040 dev=00:13 mode=010600 \
             ouid=0 ogid=0 rdev=00:00 {obj}nametype=CREATE"
        )
    };
    let labelled = path("obj=system_u:object_r:systemd_logind_sessions_t:s0 ");
    let v = doc(&[(1300, syscall), (1302, labelled.as_bytes()), (1320, b"")]);
    assert_eq!(
        v["file"]["selinux"],
        json!({"user":"system_u","role":"object_r","domain":"systemd_logind_sessions_t",
               "level":"s0"}),
        "{v}"
    );
    assert_eq!(v["user"]["selinux"]["domain"], "systemd_logind_t");
    let plain = path("");
    let v = doc(&[(1300, syscall), (1302, plain.as_bytes()), (1320, b"")]);
    assert_eq!(v["file"]["path"], "/run/systemd/sessions/23.ref", "{v}");
    assert!(v["file"].get("selinux").is_none(), "{v}");
}

/// The object file as aucoalesce picks it: from the syscall's path
/// index (mount's target is item 1), past PARENT and UNKNOWN records:
/// the golden's mount event (rhel-7, whose kernel says `objtype=`) and
/// the same on a kernel that writes `nametype`.
#[test]
fn the_object_file_skips_unknown_paths_and_takes_mounts_target() {
    const SYSCALL: &[u8] = b"arch=c000003e syscall=165 success=yes exit=0 a0=7ff61c0a7270 \
        a1=7ff61dddf470 a2=7ff61c0a7270 a3=6 items=2 ppid=1 pid=326 auid=4294967295 uid=0 gid=0 \
        euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 \
        comm=\"systemd-logind\" exe=\"/usr/lib/systemd/systemd-logind\" key=\"mount\"";
    let target = json!({"path":"/run/user/0","device":"00:00","inode":"454267","mode":"0700",
                        "uid":"0","gid":"0"});
    let file = |paths: [&[u8]; 2]| {
        let v = doc(&[
            (1300, SYSCALL),
            (1307, b"cwd=\"/\""),
            (1302, paths[0]),
            (1302, paths[1]),
            (1320, b""),
        ]);
        let mut file = v["file"].clone();
        if let Some(f) = file.as_object_mut() {
            f.remove("owner");
            f.remove("group");
        }
        file
    };
    // rhel-7 (kernel 3.10): `objtype`; SELinux's label.
    let mut labelled = target.clone();
    labelled["selinux"] =
        json!({"user":"system_u","role":"object_r","domain":"user_tmp_t","level":"s0"});
    assert_eq!(
        file([
            b"item=0 name=\"/run/user/0\" objtype=UNKNOWN",
            b"item=1 name=\"/run/user/0\" inode=454267 dev=00:13 mode=040700 ouid=0 ogid=0 \
              rdev=00:00 obj=system_u:object_r:user_tmp_t:s0 objtype=NORMAL",
        ]),
        labelled
    );
    // A kernel of today: `nametype`, the source device not found.
    assert_eq!(
        file([
            b"item=0 name=\"tmpfs\" nametype=UNKNOWN cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 \
              cap_frootid=0",
            b"item=1 name=\"/run/user/0\" inode=454267 dev=00:13 mode=040700 ouid=0 ogid=0 \
              rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
        ]),
        target
    );
    // A bind mount: the source is found too; the object is the target.
    assert_eq!(
        file([
            b"item=0 name=\"/srv/data\" inode=77 dev=08:01 mode=040755 ouid=0 ogid=0 \
              rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
            b"item=1 name=\"/run/user/0\" inode=454267 dev=00:13 mode=040700 ouid=0 ogid=0 \
              rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
        ]),
        target
    );
}

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

/// Auditbeat's removeRedundantEntity: no `user.effective` when it is
/// the user, by id or by name, its group with it; kept when another.
#[test]
fn the_effective_user_is_left_out_when_it_is_the_user() {
    let user = |ids: &str| {
        let body = std::format!(
            "arch=c000003e syscall=2 success=yes exit=3 pid=7 auid=1000 {ids} comm=\"cat\""
        );
        doc(&[(1300, body.as_bytes()), (1320, b"")])["user"].clone()
    };
    let same = user("uid=1000 gid=100 euid=1000 egid=10");
    assert_eq!(
        same,
        json!({"id":"1000","name":"alice","group":{"id":"100"},
               "audit":{"id":"1000","name":"alice"}})
    );
    let setuid = user("uid=1000 gid=100 euid=0 egid=10");
    assert_eq!(
        setuid["effective"],
        json!({"id":"0","name":"root","group":{"id":"10","name":"wheel"}})
    );
    // No uid to compare: the effective user stays.
    let alone = user("euid=1000");
    assert_eq!(alone["effective"], json!({"id":"1000","name":"alice"}));
}

/// Login and session records' users as Auditbeat writes go-libaudit's
/// entity mapping over the ids (the goldens' events): the actor is
/// `user` (an unset one none: `uid` is gone), the account named the
/// effective user (a decimal its id, else its name, hex decoded),
/// LOGIN's new login id the effective user, USER_CHAUTHTOK's account
/// the target and its `uid` the effective user.
#[test]
fn login_and_session_records_map_their_users() {
    let user = |t: u16, body: &[u8]| doc(&[(t, body)])["user"].clone();
    let failed = user(
        1112,
        b"pid=12635 uid=0 auid=4294967295 ses=4294967295 msg='op=login \
          acct=28696E76616C6964207573657229 exe=\"/usr/sbin/sshd\" hostname=? \
          addr=203.0.113.9 terminal=sshd res=failed'",
    );
    assert_eq!(failed, json!({"effective":{"name":"(invalid user)"}}));
    let start = user(
        1105,
        b"pid=1 uid=0 auid=1001 ses=3 msg='op=PAM:session_open acct=\"carol_jones\" \
          exe=\"/usr/sbin/sshd\" hostname=1.2.3.4 addr=1.2.3.4 terminal=ssh res=success'",
    );
    assert_eq!(
        start,
        json!({"id":"1001","effective":{"name":"carol_jones"},"audit":{"id":"1001"}})
    );
    let login = user(
        1006,
        b"pid=1298 uid=0 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 old-auid=4294967295 \
          auid=1000 old-ses=4294967295 ses=1 res=1",
    );
    assert_eq!(
        login["effective"],
        json!({"id":"1000","name":"alice"}),
        "{login}"
    );
    assert!(
        login.get("id").is_none() && login.get("name").is_none(),
        "{login}"
    );
    let password = user(
        1108,
        b"pid=1 uid=1002 auid=1001 ses=2 msg='op=PAM:chauthtok acct=\"dsmith\" \
          exe=\"/usr/bin/passwd\" hostname=? addr=? terminal=pts/0 res=failed'",
    );
    assert_eq!(
        password,
        json!({"id":"1001","effective":{"id":"1002"},"target":{"name":"dsmith"},
               "audit":{"id":"1001"}})
    );
    // The effective user named as the user is: left out.
    let cron = user(
        1106,
        b"pid=1 uid=0 auid=0 ses=5 msg='op=PAM:session_close acct=\"root\" \
          exe=\"/usr/sbin/cron\" hostname=? addr=? terminal=cron res=success'",
    );
    assert_eq!(
        cron,
        json!({"id":"0","name":"root","audit":{"id":"0","name":"root"}})
    );
    // GRP_MGMT: its `uid` is the effective user and, as go-libaudit
    // maps it, the group.
    let v = doc(&[(
        1132,
        b"pid=1 uid=10 auid=1000 msg='op=add-shadow-group id=7 res=success'",
    )]);
    assert_eq!(v["group"], json!({"id":"10","name":"wheel"}), "{v}");
    assert_eq!(v["user"]["effective"], json!({"id":"10"}), "{v}");
}

/// The calls that change the caller's own ids are told by the call:
/// `summary.how` is the syscall, the process object has no primary
/// (go-libaudit's `how: syscall`); another process call keeps the
/// executable as `how`.
/// A lone SYSCALL record keeps `items` in `auditd.data`; with any other
/// record beside it (PROCTITLE, PATH, even one dropped for its size) it
/// is left out, as aucoalesce's normalizeCompound deletes it; both by the
/// prefix's layout and field by field.
#[test]
fn items_stays_only_in_an_event_of_one_record() {
    let syscall: &[u8] = b"arch=c000003e syscall=39 success=yes exit=60 a0=0 a1=0 a2=0 a3=0 \
          items=0 ppid=1 pid=60 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 \
          egid=1000 sgid=1000 fsgid=1000 tty=pts1 ses=2 comm=\"sh\" exe=\"/bin/sh\" key=(null)";
    // The same fields in another order: not the kernel's prefix, so read
    // field by field.
    let shuffled: &[u8] = b"syscall=39 arch=c000003e items=0 success=yes exit=60 a0=0 a1=0 \
          a2=0 a3=0 ppid=1 pid=60 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 \
          fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts1 ses=2 comm=\"sh\" exe=\"/bin/sh\"";
    for body in [syscall, shuffled] {
        let alone = doc(&[(1300, body)]);
        assert_eq!(alone["auditd"]["data"]["items"], "0", "{alone}");
        let compound = doc(&[(1300, body), (1327, b"proctitle=7368")]);
        assert!(
            compound["auditd"]["data"].get("items").is_none(),
            "{compound}"
        );
        assert_eq!(compound["auditd"]["data"]["tty"], "pts1");
    }
}

#[test]
fn identity_changes_are_told_by_the_call() {
    let call = |nr: u16| {
        std::format!(
            "arch=c000003e syscall={nr} success=yes exit=0 a0=3e8 a1=0 a2=0 a3=0 items=0 \
             ppid=1 pid=60 auid=1000 uid=1000 gid=1000 euid=0 suid=0 fsuid=0 egid=0 sgid=0 \
             fsgid=0 tty=pts1 ses=2 comm=\"su\" exe=\"/bin/su\" key=(null)"
        )
    };
    for (nr, name) in [(105, "setuid"), (106, "setgid"), (117, "setresuid")] {
        let body = call(nr);
        let v = doc(&[(1300, body.as_bytes())]);
        let summary = v["auditd"]["summary"].clone();
        assert_eq!(v["event"]["action"], "changed-identity-of", "{name}");
        assert_eq!(summary["how"], name, "{summary}");
        assert_eq!(summary["object"], json!({"type":"process"}), "{summary}");
    }
    let body = call(62);
    let kill = doc(&[(1300, body.as_bytes())])["auditd"]["summary"].clone();
    assert_eq!(kill["how"], "/bin/su", "{kill}");
}

/// One account record's case: type, message, action, types, object.
type Case = (
    u16,
    &'static str,
    &'static str,
    &'static [&'static str],
    Json,
);

/// The account records as go-libaudit normalises them: an IAM action,
/// category and type; the account (`id`, else `acct`) the summary's
/// object, the record's `uid` its actor's secondary (no user-session
/// macro: aucoalesce's default subject). USER_MGMT and GRP_CHAUTHTOK are
/// user sessions (the terminal; the group named), USER_ROLE_CHANGE's
/// object is the context chosen.
#[test]
fn account_records_are_iam_events() {
    let summary = |v: &Json| {
        let s = &v["auditd"]["summary"];
        (s["actor"]["secondary"].clone(), s["object"].clone())
    };
    let ecs = |v: &Json| {
        let e = &v["event"];
        (
            e["action"].clone(),
            e["category"].clone(),
            e["type"].clone(),
        )
    };
    let tail = "exe=\"/usr/sbin/useradd\" hostname=box addr=10.1.1.1 terminal=pts/4 res=success'";
    let text = |msg: &str| std::format!("pid=77 uid=0 auid=1000 ses=9 msg='{msg} {tail}");
    let cases: [Case; 6] = [
        (
            1114,
            "op=add-user id=1500",
            "added-user-account",
            &["user", "creation"],
            json!({"type":"account","primary":"1500"}),
        ),
        (
            1116,
            "op=add-group acct=\"devs\"",
            "added-group-account-to",
            &["group", "creation"],
            json!({"type":"account","primary":"devs"}),
        ),
        (
            1117,
            "op=delete-group id=1500",
            "deleted-group-account-from",
            &["group", "deletion"],
            json!({"type":"account","primary":"1500"}),
        ),
        (
            1132,
            "op=changing-group-members id=1500",
            "modified-group-account",
            &["group", "change"],
            json!({"type":"account","primary":"1500"}),
        ),
        (
            1102,
            "op=changing-shell id=1500",
            "modified-user-account",
            &["user", "change"],
            json!({"type":"user-session","primary":"pts/4","secondary":"10.1.1.1"}),
        ),
        (
            1133,
            "op=changing-group-password acct=\"devs\"",
            "changed-group-password",
            &["group", "change"],
            json!({"type":"user-session","primary":"devs","secondary":"10.1.1.1"}),
        ),
    ];
    for (msg_type, msg, action, types, object) in cases {
        let body = text(msg);
        let v = doc(&[(msg_type, body.as_bytes())]);
        assert_eq!(
            ecs(&v),
            (json!(action), json!(["iam"]), json!(types)),
            "{msg_type}"
        );
        let secondary = match msg_type {
            // User sessions: the account named.
            1102 => json!("1500"),
            1133 => json!("devs"),
            // The uid, named.
            _ => json!("root"),
        };
        assert_eq!(summary(&v), (secondary, object), "{msg_type}");
    }
    let role = text("op=su acct=\"root\" selected-context=staff_r");
    let v = doc(&[(2300, role.as_bytes())]);
    assert_eq!(v["event"]["action"], "changed-role-to");
    assert_eq!(
        summary(&v),
        (
            json!("root"),
            json!({"type":"user-session","primary":"staff_r","secondary":"10.1.1.1"})
        )
    );
}

/// An INTEGRITY_RULE record (IMA's), a type go-libaudit does not
/// normalise.
const INTEGRITY_RULE: &[u8] =
    b"file=\"/usr/bin/true\" hash=\"sha256:00ff\" ppid=1 pid=2 auid=4294967295 uid=0 res=1";

/// An event without ECS categories keeps Auditbeat's first
/// `event.category`: aucoalesce's own group of its record type, a
/// string; one with them has their array.
#[test]
fn an_event_without_ecs_categories_has_aucoalesces_own() {
    let event = |t: u16, body: &[u8]| doc(&[(t, body)])["event"]["category"].clone();
    let integrity = event(1805, INTEGRITY_RULE);
    assert_eq!(integrity, json!("integrity"));
    let role = event(
        2300,
        b"pid=1 uid=0 auid=1000 msg='op=su acct=\"root\" selected-context=x res=success'",
    );
    assert_eq!(role, json!("mac"));
    let login = event(
        1112,
        b"pid=1 uid=0 auid=1000 msg='op=login id=1000 res=success'",
    );
    assert_eq!(login, json!(["authentication"]));
}

/// An event whose normalisation has no ECS type, or that has none (a
/// record type go-libaudit does not normalise), has no `event.type`, as
/// Auditbeat's normalizeEventFields writes none; a syscall always has one.
#[test]
fn no_ecs_type_no_event_type() {
    let event = |t: u16, body: &[u8]| doc(&[(t, body)])["event"].clone();
    let role = event(
        2300,
        b"pid=1 uid=0 auid=1000 msg='op=su acct=\"root\" selected-context=x res=success'",
    );
    assert!(role.get("type").is_none(), "{role}");
    let integrity = event(1805, INTEGRITY_RULE);
    assert!(integrity.get("type").is_none(), "{integrity}");
    let call = event(
        1300,
        b"arch=c000003e syscall=39 success=yes exit=60 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 \
          pid=60 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 \
          sgid=1000 fsgid=1000 tty=pts1 ses=2 comm=\"sh\" exe=\"/bin/sh\" key=(null)",
    );
    assert_eq!(call["type"], json!(["info"]), "{call}");
}

/// Group ids are named like user ids (`group.name` beside `group.id`).
#[test]
fn group_names_beside_group_ids() {
    let d = doc(&[
        (
            1300,
            b"arch=c000003e syscall=2 success=yes exit=3 pid=7 auid=1000 uid=1000 gid=10 \
              euid=0 egid=10 suid=1000 sgid=0 fsuid=1000 fsgid=10 comm=\"cat\" exe=\"/bin/cat\"",
        ),
        (1320, b""),
    ]);
    let u = &d["user"];
    assert_eq!(u["group"], json!({"id": "10", "name": "wheel"}));
    assert_eq!(
        u["effective"]["group"],
        json!({"id": "10", "name": "wheel"})
    );
    assert_eq!(
        u["filesystem"]["group"],
        json!({"id": "10", "name": "wheel"})
    );
    assert_eq!(
        u["saved"]["group"],
        json!({"id": "0"}),
        "no name known for 0"
    );
    assert_eq!(u["name"], "alice");
}

/// `file.owner` and `file.group` name the PATH's `ouid` and `ogid`.
#[test]
fn file_owner_and_group_are_named() {
    let d = doc(&[
        (1300, b"arch=c000003e syscall=2 success=yes exit=3 pid=7 uid=0 comm=\"cat\" exe=\"/bin/cat\""),
        (1302, b"item=0 name=\"/etc/x\" inode=9 dev=fd:00 mode=0100640 ouid=1000 ogid=10 nametype=NORMAL"),
        (1320, b""),
    ]);
    assert_eq!(d["file"]["owner"], "alice", "{d}");
    assert_eq!(d["file"]["group"], "wheel", "{d}");
    assert_eq!(d["file"]["gid"], "10");
}

/// What a caller found of live processes: 5821 and its parent 5820.
struct Procs;

impl Enrich for Procs {
    fn user_name(&self, _uid: &[u8]) -> Option<&str> {
        None
    }

    fn process(&self, pid: &[u8]) -> Option<crate::encode::ProcessInfo<'_>> {
        match pid {
            b"5821" => Some(crate::encode::ProcessInfo {
                entity_id: "e-5821",
                executable: Some("/usr/bin/docker"),
                name: Some("docker"),
            }),
            b"5820" => Some(crate::encode::ProcessInfo {
                entity_id: "e-5820",
                executable: Some("/bin/bash"),
                name: Some("bash"),
            }),
            _ => None,
        }
    }
}

/// `process.entity_id` and the parent's identity, executable and name
/// come from the caller; a process it did not find has none.
#[test]
fn process_identities_from_the_caller() {
    let (text, _) = encode_with(EXECVE_EVENT, 8192, &mut Procs);
    let d: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(d["process"]["entity_id"], "e-5821");
    assert_eq!(
        d["process"]["parent"],
        json!({"pid": 5820, "entity_id": "e-5820", "executable": "/bin/bash", "name": "bash"})
    );
    let (text, _) = encode_with(EXECVE_EVENT, 8192, &mut NoEnrich);
    let d: Json = serde_json::from_str(&text).unwrap();
    assert!(d["process"].get("entity_id").is_none());
    assert_eq!(d["process"]["parent"], json!({"pid": 5820}));
}

/// Remembers the uids `prepare` was given and every uid a name was asked
/// of.
#[derive(Default)]
struct Asked {
    prepared: std::cell::RefCell<Vec<Vec<u8>>>,
    named: std::cell::RefCell<Vec<Vec<u8>>>,
}

impl Enrich for Asked {
    fn prepare(&mut self, _event: &Event<'_>, uids: &crate::encode::uids::UidValues<'_>) {
        let values = uids.values.iter().map(|v| v.to_vec()).collect();
        *self.prepared.borrow_mut() = values;
    }

    fn user_name(&self, uid: &[u8]) -> Option<&str> {
        self.named.borrow_mut().push(uid.to_vec());
        None
    }
}

#[test]
fn prepare_is_given_every_uid_the_document_names_and_only_those() {
    let mut asked = Asked::default();
    let (text, encoded) = encode_with(
        &[
            (
                1300,
                b"arch=c000003e syscall=2 success=yes exit=3 items=1 ppid=1 pid=2 auid=1000 \
                  uid=1 gid=2 euid=3 suid=4 fsuid=5 egid=6 sgid=7 fsgid=8 ses=9 comm=\"x\" \
                  exe=\"/x\" ouid=77 xuid=78",
            ),
            (1321, b"fver=0 kuid=79"),
            (
                1302,
                b"item=0 name=\"/etc/x\" inode=1 dev=08:01 mode=0100644 ouid=42 ogid=43 \
                  nametype=NORMAL",
            ),
            (1320, b""),
        ],
        8192,
        &mut asked,
    );
    assert!(encoded.is_whole(), "{text}");
    let prepared = asked.prepared.borrow().clone();
    // (The SYSCALL record's own `ouid` is named too, as `user.ouid`.)
    let want: Vec<Vec<u8>> = ["1", "1000", "3", "4", "42", "5", "77"]
        .iter()
        .map(|v| v.as_bytes().to_vec())
        .collect();
    assert_eq!(prepared, want, "sorted, unique");
    let mut named = asked.named.borrow().clone();
    named.sort();
    named.dedup();
    assert_eq!(named, want, "every name asked was prepared: {text}");
}

/// Remembers the gids and pids `prepare_named` was given and every gid
/// and pid the document asked about.
#[derive(Default)]
struct AskedIds {
    prepared: GidsAndPids,
    asked: std::cell::RefCell<GidsAndPids>,
}

type GidsAndPids = (Vec<Vec<u8>>, Vec<Vec<u8>>);

impl Enrich for AskedIds {
    fn prepare_named(&mut self, _event: &Event<'_>, named: &crate::encode::Named<'_>) {
        let gids = named.gids.values.iter().map(|v| v.to_vec()).collect();
        let pids = named.pids.iter().flatten().map(|v| v.to_vec()).collect();
        self.prepared = (gids, pids);
    }

    fn user_name(&self, _uid: &[u8]) -> Option<&str> {
        None
    }

    fn group_name(&self, gid: &[u8]) -> Option<&str> {
        self.asked.borrow_mut().0.push(gid.to_vec());
        None
    }

    fn process(&self, pid: &[u8]) -> Option<crate::encode::ProcessInfo<'_>> {
        self.asked.borrow_mut().1.push(pid.to_vec());
        None
    }
}

/// `prepare_named` is given every gid and pid the document asks about,
/// and only those: the enricher need not look for them in the records.
#[test]
fn prepare_named_is_given_every_gid_and_pid_the_document_asks_about() {
    let mut asked = AskedIds::default();
    let (text, encoded) = encode_with(
        &[
            (
                1300,
                b"arch=c000003e syscall=2 success=yes exit=3 items=1 ppid=11 pid=12 auid=1000 \
                  uid=1 gid=2 euid=3 suid=4 fsuid=5 egid=6 sgid=2 fsgid=4294967295 ses=9 \
                  comm=\"x\" exe=\"/x\" ogid=77",
            ),
            (1321, b"fver=0 fgid=79"),
            (
                1302,
                b"item=0 name=\"/etc/x\" inode=1 dev=08:01 mode=0100644 ouid=42 ogid=43 \
                  nametype=NORMAL",
            ),
            (1320, b""),
        ],
        8192,
        &mut asked,
    );
    assert!(encoded.is_whole(), "{text}");
    let bytes = |v: &[&str]| -> Vec<Vec<u8>> { v.iter().map(|s| s.as_bytes().to_vec()).collect() };
    let (gids, pids) = asked.prepared.clone();
    // (The SYSCALL record's own `ogid` is named too, as `user.ogid`.)
    assert_eq!(gids, bytes(&["2", "43", "6", "77"]), "sorted, unique, set");
    assert_eq!(pids, bytes(&["12", "11"]));
    let (mut gids_asked, mut pids_asked) = asked.asked.borrow().clone();
    gids_asked.sort();
    gids_asked.dedup();
    pids_asked.sort();
    assert_eq!(gids_asked, gids, "every group asked was prepared: {text}");
    assert_eq!(pids_asked, bytes(&["11", "12"]), "{text}");

    // A pid that is not a number is neither written nor asked about.
    let mut asked = AskedIds::default();
    encode_with(
        &[
            (
                1300,
                b"arch=c000003e syscall=2 success=yes ppid=x pid=12 uid=1",
            ),
            (1320, b""),
        ],
        8192,
        &mut asked,
    );
    assert_eq!(asked.prepared.1, bytes(&["12"]));
}

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

/// EXECVE fields as the kernel writes them, and what it never writes.
fn execve_field() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    let key = prop_oneof![
        4 => (0u32..4).prop_map(|i| std::format!("a{i}")),
        1 => (0u32..4, 0u32..3).prop_map(|(i, p)| std::format!("a{i}[{p}]")),
        1 => (0u32..4).prop_map(|i| std::format!("a{i}_len")),
        1 => Just(String::from("argc")),
        1 => "[a-z0-9\\[\\]_]{0,5}",
    ];
    let value = prop_oneof![
        3 => "[ -~]{0,12}".prop_map(|v| std::format!("\"{}\"", v.replace('"', ""))),
        2 => "[ -~\u{e9}\u{1}]{13,19}".prop_map(|v| std::format!("\"{}\"", v.replace('"', ""))),
        1 => Just(String::from("\"open")),
        2 => proptest::collection::vec(any::<u8>(), 0..8).prop_map(|b| {
            b.iter().map(|x| std::format!("{x:02X}")).collect::<String>()
        }),
        1 => Just(String::from("(null)")),
        1 => Just(String::from("C3")),
        1 => "[a-z]{0,4}",
    ];
    (key, value, any::<bool>()).prop_map(|(k, v, bare_token)| {
        if bare_token {
            k.into_bytes()
        } else {
            std::format!("{k}={v}").into_bytes()
        }
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// The one-pass writer (`write_single_args`, shared with the
    /// structured shape's `argv`) gives the joined reader's bytes whenever
    /// it finishes, and hands over to it otherwise: `write_args` is
    /// `write_joined_args` for any EXECVE records and any room.
    #[test]
    fn one_pass_args_equal_the_joined_reader(
        records in proptest::collection::vec(
            proptest::collection::vec(execve_field(), 0..8),
            1..4,
        ),
        room in 0usize..300,
    ) {
        let mut records: Vec<(u16, Vec<u8>)> = records
            .into_iter()
            .map(|fields| (1309, fields.join(&b' ')))
            .collect();
        records.insert(0, (1300, b"arch=c000003e syscall=59 success=yes pid=1".to_vec()));
        records.push((1320, Vec::new()));
        with_event(&records, |event| {
            let mut one = std::vec![0u8; room];
            let mut joined = std::vec![0u8; room];
            let mut a = Cursor::new(&mut one);
            let mut b = Cursor::new(&mut joined);
            let ra = super::process::write_args(&mut a, event);
            let rb = super::process::write_joined_args(&mut b, event);
            let (na, nb) = (a.pos(), b.pos());
            assert_eq!(ra.is_ok(), rb.is_ok());
            if ra.is_ok() {
                assert_eq!(
                    String::from_utf8_lossy(&one[..na]),
                    String::from_utf8_lossy(&joined[..nb])
                );
            }
        });
    }
}

#[test]
fn message_type_names_in_lower_case_are_json_strings() {
    let long = "A_".repeat(30);
    let names = (0..=u16::MAX).filter_map(|t| MessageType(t).name()).chain([
        "",
        "X",
        "Ab\"c\\",
        "ÉTÉ",
        &long[..38],
        &long[..39],
        &long,
    ]);
    for name in names {
        let mut buf = [0u8; 256];
        let mut c = Cursor::new(&mut buf);
        super::auditd::write_lower_case(&mut c, name).unwrap();
        let n = c.pos();
        let text: String = serde_json::from_slice(&buf[..n]).unwrap();
        assert_eq!(text, name.to_ascii_lowercase(), "{name}");
    }
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
