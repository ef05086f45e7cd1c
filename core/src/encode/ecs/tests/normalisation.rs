//! ECS unit tests of the normalisations: `event.action`, category and
//! type, sources and destinations as aucoalesce writes them.

use super::*;

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
