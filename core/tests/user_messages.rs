//! User-space records' nested `msg='…'` in the structured shape, read as
//! libauparse reads it: it ends at the record's last quote, so nothing a
//! user logged can close it early or add top-level fields, and values keep
//! their spaces. The project's own lines (always) and, when the shared
//! corpus is beside the project, every PAM, `USER_CMD` and other
//! user-space record in its auditd logs.

use std::path::{Path, PathBuf};

use raudit_core::assemble::{Assembler, Event, EventSlot, RecordSlot, Settings};
use raudit_core::encode::{structured, NoEnrich};
use raudit_core::record::Record;
use raudit_core::time::Instant;
use serde_json::{json, Value};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");

/// The structured records of one auditd log line (a user-space record is
/// an event of its own).
fn encode_line(line: &[u8]) -> Vec<Value> {
    let record = Record::from_log_line(line).expect("a log line");
    let mut asm = Assembler::new(
        Settings {
            type_min: 1000,
            type_max: 2999,
            ..Settings::default()
        },
        vec![EventSlot::default(); 4],
        vec![RecordSlot::default(); 16],
        vec![0u8; 1 << 16],
    );
    let mut out = vec![0u8; 1 << 16];
    let mut events = Vec::new();
    let mut emit = |e: &Event<'_>| {
        let n = structured(e, &mut NoEnrich, &mut out).len;
        let v: Value = serde_json::from_slice(&out[..n]).expect("valid JSON");
        events.extend(v["records"].as_array().expect("records").iter().cloned());
    };
    asm.push(&record, Instant(0), &mut emit);
    asm.flush(&mut emit);
    events
}

fn fields_of(line: &str) -> Value {
    let records = encode_line(line.as_bytes());
    assert_eq!(records.len(), 1, "{records:?}");
    records[0]["fields"].clone()
}

#[test]
fn auditctl_m_with_a_quote_cannot_add_top_level_fields() {
    // What the kernel logs for
    // auditctl -m "x' uid=12345 pid=1 auid=0 res=failed msg='y".
    let line = "type=USER msg=audit(1795593491.987:17): pid=4242 uid=0 auid=1000 ses=3 \
        msg='text=x' uid=12345 pid=1 auid=0 res=failed msg='y exe=\"/usr/sbin/auditctl\" \
        hostname=? addr=? terminal=pts/0 res=success'";
    let f = fields_of(line);
    assert_eq!(
        f,
        json!({"pid":4242,"uid":0,"auid":1000,"ses":3,
               "msg":{"text":"x' uid=12345 pid=1 auid=0 res=failed msg='y",
                      "exe":"/usr/sbin/auditctl","hostname":null,"addr":null,
                      "terminal":"pts/0","res":"success"}})
    );
}

#[test]
fn auditctl_m_keeps_runs_of_spaces() {
    let line = "type=USER msg=audit(1795593491.987:18): pid=1 uid=0 auid=0 ses=1 \
        msg='text=a    b  c exe=\"/usr/sbin/auditctl\" hostname=? addr=? terminal=? res=success'";
    assert_eq!(fields_of(line)["msg"]["text"], "a    b  c");
}

#[test]
fn pam_user_cmd_and_user_avc_read_whole() {
    let pam = "type=USER_START msg=audit(1795593491.827:19): pid=18965 uid=0 auid=4294967295 \
        ses=4294967295 msg='op=PAM:session_open grantors=pam_env,pam_unix acct=\"tester\" \
        exe=\"/usr/bin/su\" hostname=? addr=? terminal=? res=success'";
    assert_eq!(
        fields_of(pam)["msg"],
        json!({"op":"PAM:session_open","grantors":"pam_env,pam_unix","acct":"tester",
               "exe":"/usr/bin/su","hostname":null,"addr":null,"terminal":null,
               "res":"success"})
    );
    // sudo's USER_CMD: cmd hex encoded (it has spaces).
    let cmd = "type=USER_CMD msg=audit(1795593491.827:20): pid=7 uid=1000 auid=1000 ses=2 \
        msg='cwd=\"/home/t\" cmd=6C73202D6C20272F746D7027 terminal=pts/1 res=success'";
    assert_eq!(
        fields_of(cmd)["msg"],
        json!({"cwd":"/home/t","cmd":"ls -l '/tmp'","terminal":"pts/1","res":"success"})
    );
    // systemd's USER_AVC: SELinux words, fields, two spaces before exe=.
    let avc = "type=USER_AVC msg=audit(1795593491.827:21): pid=1 uid=0 auid=4294967295 \
        ses=4294967295 subj=system_u:system_r:init_t:s0 msg='avc:  denied  { status } for \
        auid=0 uid=0 gid=0 path=\"/usr/lib/systemd/system/x.service\" cmdline=\"systemctl status x\" \
        scontext=u:r:t:s0 tcontext=u:r:x:s0 tclass=service permissive=0  \
        exe=\"/usr/lib/systemd/systemd\" sauid=0 hostname=? addr=? terminal=?'";
    let f = fields_of(avc);
    assert_eq!(f["subj"], "system_u:system_r:init_t:s0");
    let msg = &f["msg"];
    assert_eq!(msg["text"], "avc:  denied  { status } for");
    assert_eq!(msg["cmdline"], "systemctl status x");
    assert_eq!(msg["tclass"], "service");
    assert_eq!(msg["exe"], "/usr/lib/systemd/systemd");
    assert_eq!(msg["uid"], 0, "a decimal id is a number");
    assert!(msg["terminal"].is_null());
    // Nothing of the message at the top.
    let mut top: Vec<&String> = f.as_object().unwrap().keys().collect();
    top.sort();
    assert_eq!(top, ["auid", "msg", "pid", "ses", "subj", "uid"]);
}

fn log_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            log_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "log") {
            out.push(path);
        }
    }
}

/// The top-level members the body before ` msg='` gives, sorted: its
/// keys, `text` for words without `=`, and `msg`.
fn members_before_msg(body: &str) -> Vec<String> {
    let head = body.split(" msg='").next().unwrap_or("");
    let mut keys: Vec<String> = head
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(|t| t.split_once('=').map_or("text", |(k, _)| k).to_string())
        .collect();
    keys.push("msg".into());
    keys.sort();
    keys.dedup();
    keys
}

#[test]
#[cfg_attr(raudit_no_corpus, ignore = "../shared/corpus is absent")]
fn corpus_user_messages_keep_their_fields_inside() {
    let root = PathBuf::from(CORPUS);
    assert!(
        root.is_dir(),
        "{CORPUS} is absent (RAUDIT_REQUIRE_CORPUS=1, or it vanished)"
    );
    let mut files = Vec::new();
    log_files(&root, &mut files);
    let (mut pam, mut user_cmd, mut checked) = (0, 0, 0);
    for file in files {
        let text = std::fs::read(&file).unwrap();
        for line in text.split(|&b| b == b'\n') {
            let Ok(record) = Record::from_log_line(line) else {
                continue;
            };
            let body = String::from_utf8_lossy(record.body);
            if !record.msg_type.is_user_space() || !body.contains(" msg='") || !body.ends_with('\'')
            {
                continue;
            }
            let records = encode_line(line);
            let f = &records[0]["fields"];
            let mut top: Vec<String> = f.as_object().unwrap().keys().cloned().collect();
            top.sort();
            assert_eq!(top, members_before_msg(&body), "{}: {body}", file.display());
            let msg = &f["msg"];
            assert!(msg.is_object(), "{}: {body}", file.display());
            if msg["op"].as_str().is_some_and(|op| op.starts_with("PAM:")) {
                pam += 1;
                assert!(msg["res"] == "success" || msg["res"] == "failed", "{msg}");
                assert!(msg.get("exe").is_some(), "{msg}");
            }
            if records[0]["type"] == "USER_CMD" {
                user_cmd += 1;
                assert!(msg["cmd"].is_string() && msg.get("res").is_some(), "{msg}");
            }
            checked += 1;
        }
    }
    println!("{checked} user-space records, {pam} PAM, {user_cmd} USER_CMD");
    assert!(pam > 10 && user_cmd > 0, "{pam} PAM, {user_cmd} USER_CMD");
}
