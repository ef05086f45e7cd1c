//! ECS unit tests of the users, identity changes and account records
//! as go-libaudit maps them.

use super::*;

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

/// An account a record names by a hex-encoded name (a space, a byte
/// beyond ASCII, sshd's `(invalid user)`) gets its id as a plain name
/// does, looked up by its decoding as Auditbeat's `resolve_ids` does:
/// USER_LOGIN's and USER_AUTH's effective user, ADD_USER's target,
/// ADD_GROUP's group. A decoding that is no name (not UTF-8) is not
/// asked: the name alone.
#[test]
fn an_account_named_by_a_hex_encoded_name_gets_its_id() {
    // (The enricher that knows names' ids.)
    let doc = |records: &[(u16, &[u8])]| {
        let (text, encoded) = encode_with(records, 8192, &mut crate::encode::test_names::Names);
        assert!(encoded.is_whole(), "{text}");
        serde_json::from_str::<Json>(&text).unwrap()
    };
    let login = |acct: &str| {
        let body = std::format!(
            "pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct={acct} \
             exe=\"/usr/sbin/sshd\" hostname=? addr=10.0.0.1 terminal=ssh res=failed'"
        );
        doc(&[(1112, body.as_bytes())])["user"].clone()
    };
    // `726F6F74` is `root`: the document of `acct="root"`.
    let hex = login("726F6F74");
    assert_eq!(hex, json!({"effective":{"id":"0","name":"root"}}));
    assert_eq!(hex, login("\"root\""));
    assert_eq!(
        login("28696E76616C6964207573657229"),
        json!({"effective":{"name":"(invalid user)"}})
    );
    // Latin-1's "Jos\xe9": not UTF-8, no lookup.
    assert!(login("4A6F73E9")["effective"].get("id").is_none());
    let auth = doc(&[(
        1100,
        b"pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication \
          grantors=pam_sss acct=4A6F73C3A92047617263C3AD61 exe=\"/usr/sbin/sshd\" hostname=? \
          addr=10.0.0.1 terminal=ssh res=success'",
    )]);
    assert_eq!(
        auth["user"]["effective"],
        json!({"id":"2000","name":"José García"}),
        "{auth}"
    );
    let add_user = doc(&[(
        1114,
        b"pid=1 uid=0 auid=4294967295 msg='op=add-user acct=616C696365 res=success'",
    )]);
    assert_eq!(
        add_user["user"]["target"],
        json!({"id":"1000","name":"alice"}),
        "{add_user}"
    );
    let add_group = doc(&[(
        1116,
        b"pid=1 uid=0 auid=4294967295 msg='op=add-group acct=776865656C res=success'",
    )]);
    assert_eq!(
        add_group["group"],
        json!({"id":"10","name":"wheel"}),
        "{add_group}"
    );
}

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

/// The calls that change the caller's own ids are told by the call:
/// `summary.how` is the syscall, the process object has no primary
/// (go-libaudit's `how: syscall`); another process call keeps the
/// executable as `how`.
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
