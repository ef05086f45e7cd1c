//! The normalisations of go-libaudit's `aucoalesce` table that the
//! shared goldens do not exercise, through the whole encoder: the audit
//! daemon's records, the anomalies, the syscalls added with them, and
//! the summary objects they name (or, as aucoalesce, do not).

extern crate std;

use serde_json::{json, Value as Json};
use std::string::String;

use super::tests::doc;

/// A SYSCALL record of x86_64 call `nr` by uid 1000, `items` PATH
/// records with it.
fn syscall(nr: u16, items: u8) -> String {
    std::format!(
        "arch=c000003e syscall={nr} success=yes exit=0 a0=1f40 a1=9 a2=0 a3=0 items={items} \
         ppid=1 pid=60 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 \
         sgid=1000 fsgid=1000 tty=pts1 ses=2 comm=\"tool\" exe=\"/usr/bin/tool\" key=(null)"
    )
}

/// `event.{action,category,type}` and `auditd.summary.object` of a
/// document.
fn normalised(v: &Json) -> (Json, Json, Json, Json) {
    let e = &v["event"];
    let object = v["auditd"]["summary"]["object"].clone();
    (
        e["action"].clone(),
        e["category"].clone(),
        e["type"].clone(),
        object,
    )
}

/// Each of the audit daemon's records has aucoalesce's action, the
/// service as its object, and its ECS category and type.
#[test]
fn the_audit_daemons_records_name_its_service() {
    let body: &[u8] = b"op=start ver=3.0.9 format=enriched kernel=6.18.0 auid=4294967295 \
          pid=1234 uid=0 ses=4294967295 res=success";
    let service = json!({"type":"service"});
    for (t, action, category, kind_type) in [
        (1200, "started-audit", json!(["process"]), json!(["start"])),
        (1201, "shutdown-audit", json!(["process"]), json!(["end"])),
        (
            1202,
            "aborted-auditd-startup",
            json!(["process"]),
            json!(["end"]),
        ),
        (
            1203,
            "changed-auditd-configuration",
            json!(["process", "configuration"]),
            json!(["change"]),
        ),
        (
            1204,
            "reconfigured-auditd",
            json!(["process", "configuration"]),
            json!(["info"]),
        ),
        (
            1205,
            "rotated-audit-logs",
            json!(["process"]),
            json!(["change"]),
        ),
        (
            1206,
            "resumed-audit-logging",
            json!(["process"]),
            json!(["change"]),
        ),
        (
            1207,
            "remote-audit-connected",
            json!(["network"]),
            json!(["connection", "start"]),
        ),
        (
            1208,
            "remote-audit-disconnected",
            json!(["network"]),
            json!(["connection", "start"]),
        ),
        (1209, "audit-error", json!(["process"]), json!(["info"])),
    ] {
        let v = doc(&[(t, body)]);
        let expected = (json!(action), category, kind_type, service.clone());
        assert_eq!(normalised(&v), expected, "{t}: {v}");
        assert_eq!(v["event"]["kind"], "event", "{t}");
    }
}

/// The anomalies are alerts: a login anomaly names the session's
/// terminal and peer (the user-session macro), ANOM_EXEC the command
/// refused.
#[test]
fn anomalies_are_alerts_with_their_objects() {
    let login: &[u8] = b"pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=\"alice\" \
          exe=\"/usr/sbin/sshd\" hostname=? addr=192.0.2.7 terminal=ssh res=success'";
    let v = doc(&[(2100, login)]);
    assert_eq!(v["event"]["kind"], "alert", "{v}");
    assert_eq!(
        normalised(&v),
        (
            json!("failed-log-in-too-many-times-to"),
            json!(["authentication", "intrusion_detection"]),
            json!(["start", "denied"]),
            json!({"type":"user-session","primary":"ssh","secondary":"192.0.2.7"}),
        ),
        "{v}"
    );
    let exec: &[u8] =
        b"pid=5 uid=1000 auid=1000 ses=2 msg='cmd=\"/tmp/x\" terminal=pts1 res=failed'";
    let v = doc(&[(2112, exec)]);
    assert_eq!(v["event"]["kind"], "alert", "{v}");
    assert_eq!(
        normalised(&v),
        (
            json!("attempted-execution-of-forbidden-program"),
            json!(["process", "intrusion_detection"]),
            json!(["start", "info"]),
            json!({"type":"process","primary":"/tmp/x"}),
        ),
        "{v}"
    );
}

/// Syscalls aucoalesce normalises beyond the goldens': their action,
/// category, type and object kind; the identity and scheduling calls and
/// `exit_group` told by the call (`how`).
#[test]
fn syscalls_newly_normalised() {
    let file = json!({"type":"file"});
    let process = json!({"type":"process"});
    let system = json!({"type":"system"});
    for (nr, action, category, kind_type, object) in [
        (4, "checked-metadata-of", ["file"], json!(["info"]), &file),
        (
            188,
            "changed-file-attributes-of",
            ["file"],
            json!(["change"]),
            &file,
        ),
        (
            9,
            "allocated-memory",
            ["process"],
            json!(["info"]),
            &json!({"type":"memory"}),
        ),
        (
            170,
            "changed-system-name",
            ["host"],
            json!(["change"]),
            &system,
        ),
        (
            122,
            "changed-identity-of",
            ["process"],
            json!(["change"]),
            &process,
        ),
        (
            144,
            "adjusted-scheduling-policy-of",
            ["process"],
            json!(["change"]),
            &process,
        ),
        (231, "end", ["process"], json!(["end"]), &process),
    ] {
        let body = syscall(nr, 0);
        let v = doc(&[(1300, body.as_bytes())]);
        let expected = (json!(action), json!(category), kind_type, object.clone());
        assert_eq!(normalised(&v), expected, "{nr}: {v}");
    }
    for (nr, call) in [
        (122, "setfsuid"),
        (144, "sched_setscheduler"),
        (231, "exit_group"),
    ] {
        let body = syscall(nr, 0);
        let v = doc(&[(1300, body.as_bytes())]);
        assert_eq!(v["auditd"]["summary"]["how"], call, "{v}");
    }
}

/// A signal's target is no field aucoalesce names: kill's process object
/// has no primary (not `a0`, the pid in hex), and `how` is the program.
#[test]
fn a_killed_process_has_no_primary() {
    for nr in [62, 200, 234] {
        let body = syscall(nr, 0);
        let v = doc(&[(1300, body.as_bytes())]);
        let summary = &v["auditd"]["summary"];
        assert_eq!(v["event"]["action"], "killed-pid", "{nr}: {v}");
        assert_eq!(summary["object"], json!({"type":"process"}), "{nr}: {v}");
        assert_eq!(summary["how"], "/usr/bin/tool", "{nr}: {v}");
    }
}

/// A mount's object is a filesystem, a path as a file's: named by its
/// PATH record, whose mode makes it a `file` as aucoalesce's
/// setFileObject writes; with no PATH record, the `filesystem`.
#[test]
fn a_mount_names_its_filesystem() {
    let mount = syscall(165, 2);
    let source: &[u8] = b"item=0 name=\"/dev/vdb\" inode=9 dev=00:05 mode=060660 ouid=0 \
          ogid=6 rdev=fe:10 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0";
    let target: &[u8] = b"item=1 name=\"/mnt\" inode=2 dev=fe:01 mode=040755 ouid=0 ogid=0 \
          rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0";
    let v = doc(&[(1300, mount.as_bytes()), (1302, source), (1302, target)]);
    assert_eq!(
        normalised(&v),
        (
            json!("mounted"),
            json!(["file"]),
            json!(["creation"]),
            json!({"type":"file","primary":"/mnt"}),
        ),
        "{v}"
    );
    assert_eq!(v["file"]["path"], "/mnt", "{v}");
    let umount = syscall(166, 0);
    let v = doc(&[(1300, umount.as_bytes())]);
    assert_eq!(v["event"]["action"], "unmounted", "{v}");
    let object = &v["auditd"]["summary"]["object"];
    assert_eq!(*object, json!({"type":"filesystem"}), "{v}");
}

/// An AVC record is normalised by its fields, alone as with a syscall:
/// an SELinux decision names no kind of object (aucoalesce's entry has
/// no `object_what`) but its target context and class, AppArmor's is a
/// policy, its operation and mask.
#[test]
fn an_selinux_denial_names_no_object_kind() {
    let avc: &[u8] = b"avc:  denied  { read } for  pid=60 comm=\"tool\" name=\"shadow\" \
          dev=\"vda1\" ino=9 scontext=system_u:system_r:tool_t:s0 \
          tcontext=system_u:object_r:shadow_t:s0 tclass=file permissive=0";
    let v = doc(&[(1400, avc)]);
    assert_eq!(v["event"]["action"], "violated-selinux-policy", "{v}");
    assert_eq!(
        v["auditd"]["summary"]["object"],
        json!({"primary":"system_u:object_r:shadow_t:s0","secondary":"file"}),
        "{v}"
    );
    assert_eq!(
        v["auditd"]["summary"]["actor"]["primary"], "system_u:system_r:tool_t:s0",
        "{v}"
    );
    let apparmor: &[u8] = b"apparmor=\"DENIED\" operation=\"open\" profile=\"/usr/bin/tool\" \
          name=\"/etc/shadow\" pid=60 comm=\"tool\" requested_mask=\"r\" denied_mask=\"r\" \
          fsuid=0 ouid=0";
    let v = doc(&[(1400, apparmor)]);
    assert_eq!(v["event"]["action"], "violated-apparmor-policy", "{v}");
    let object = &v["auditd"]["summary"]["object"];
    assert_eq!(
        *object,
        json!({"type":"policy","primary":"open","secondary":"r"}),
        "{v}"
    );
}

/// `auditd.summary`'s object and `how` of a one-record event of type
/// `t`.
fn summary_of(t: u16, body: &[u8]) -> (Json, Json) {
    let v = doc(&[(t, body)]);
    let s = &v["auditd"]["summary"];
    (s["object"].clone(), s["how"].clone())
}

/// The record types whose object aucoalesce names by a field of their
/// own (`object_primary`, `object_secondary`: the first present of
/// each list) and whose `how` is its own list.
#[test]
fn objects_and_how_named_by_the_record_types_fields() {
    let cases: [(u16, &[u8], Json, Json); 7] = [
        (
            1005,
            b"pid=1 uid=0 auid=4294967295 ses=4294967295 msg='text=hello exe=\"/usr/bin/logger\" \
              hostname=? addr=192.0.2.9 terminal=? res=success'",
            json!({"primary":"192.0.2.9"}),
            json!("/usr/bin/logger"),
        ),
        (
            1129,
            b"pid=1 uid=0 auid=4294967295 ses=4294967295 msg='old-level=N new-level=3 \
              comm=\"systemd-update-utmp\" exe=\"/usr/lib/systemd/systemd-update-utmp\" \
              hostname=? addr=? terminal=? res=success'",
            json!({"type":"system","primary":"3"}),
            json!("/usr/lib/systemd/systemd-update-utmp"),
        ),
        (
            2500,
            b"pid=900 uid=0 auid=4294967295 ses=4294967295 msg='virt=kvm op=start \
              reason=booted vm=\"guest1\" vm-pid=901 exe=\"/usr/sbin/libvirtd\" hostname=? \
              addr=? terminal=? res=success'",
            json!({"type":"virtual-machine","primary":"start","secondary":"guest1"}),
            json!("/usr/sbin/libvirtd"),
        ),
        (
            1701,
            b"auid=1000 uid=1000 gid=1000 ses=2 subj=unconfined pid=4242 comm=\"crashy\" \
              exe=\"/usr/local/bin/crashy\" sig=11 res=1",
            json!({"type":"process","primary":"crashy","secondary":"4242"}),
            json!("11"),
        ),
        (
            2112,
            b"pid=500 uid=1000 auid=1000 ses=4 msg='cmd=\"/tmp/payload\" exe=\"/usr/bin/bash\" \
              hostname=? addr=? terminal=pts/1 res=failed'",
            json!({"type":"process","primary":"/tmp/payload"}),
            json!("pts/1"),
        ),
        (
            1330,
            b"name=\"nf_tables\"",
            json!({"type":"file","primary":"nf_tables"}),
            Json::Null,
        ),
        (
            1319,
            b"tty pid=300 uid=0 auid=1000 ses=2 major=136 minor=1 comm=\"bash\" \
              exe=\"/usr/bin/bash\" data=6C730D",
            json!({"type":"keystrokes","primary":"ls\r"}),
            json!("bash"),
        ),
    ];
    for (t, body, object, how) in cases {
        assert_eq!(summary_of(t, body), (object, how), "type {t}");
    }
}

/// A user-session record's `how` is its executable, an interpreter
/// too, else its terminal (aucoalesce's user-session macro: `how: [exe,
/// terminal]`), not the `comm` an interpreter's syscall event names.
#[test]
fn a_user_sessions_how_is_its_exe_else_its_terminal() {
    let interpreted: &[u8] = b"pid=77 uid=0 auid=1000 ses=3 msg='op=login id=1000 \
          comm=\"login-helper\" exe=\"/usr/bin/python3.11\" hostname=host1 addr=192.0.2.7 \
          terminal=/dev/pts/3 res=success'";
    assert_eq!(
        summary_of(1112, interpreted).1,
        json!("/usr/bin/python3.11")
    );
    let without_exe: &[u8] = b"pid=77 uid=0 auid=1000 ses=3 msg='op=login id=1000 \
          comm=\"login-helper\" hostname=? addr=? terminal=tty2 res=success'";
    assert_eq!(summary_of(1112, without_exe).1, json!("tty2"));
}

/// The summary's actor is named where its value is a uid the enricher
/// names, as Auditbeat's `ResolveIDs` looks the actor's primary and
/// secondary up; an unset id stays `unset`, an account's name and an id
/// nobody names stay as they are.
#[test]
fn the_summary_actor_is_named_as_auditbeat_resolves_it() {
    let named = doc(&[(1300, syscall(2, 0).as_bytes())]);
    let actor = &named["auditd"]["summary"]["actor"];
    assert_eq!(
        *actor,
        json!({"primary":"alice","secondary":"alice"}),
        "{named}"
    );
    let session: &[u8] = b"pid=77 uid=4242 auid=4294967295 ses=4294967295 msg='op=login \
          acct=\"carol\" exe=\"/usr/sbin/sshd\" hostname=? addr=? terminal=ssh res=failed'";
    let v = doc(&[(1112, session)]);
    let actor = &v["auditd"]["summary"]["actor"];
    assert_eq!(
        *actor,
        json!({"primary":"unset","secondary":"carol"}),
        "{v}"
    );
}
