//! ECS unit tests of the summary's object and the object file as
//! aucoalesce picks them.

use super::*;

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
