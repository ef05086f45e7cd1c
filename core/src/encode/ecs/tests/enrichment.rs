//! ECS unit tests of enrichment: group, owner and process names, and
//! what the enricher is asked to prepare.

use super::*;

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
