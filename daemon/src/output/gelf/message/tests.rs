//! Tests of the GELF message: fields from the facts (never the line), escaping, no growth.

use super::*;

const LINE: &[u8] = br#"{"sequence":1234,"timestamp":"1700000000.123","messages":[{"type":1300,"data":"arch=c000003e syscall=59"}],"uid_map":{"0":"root"}}
"#;

fn facts() -> Facts<'static> {
    Facts {
        sequence: 1234,
        seconds: 1_700_000_000,
        millis: 123,
        syscall: Some(59),
        success: Some(true),
        auid: Some(1000),
        uid: Some(0),
        pid: Some(4321),
        key: Some(b"exec"),
        exe: Some(b"/usr/bin/ls"),
        comm: Some(b"my \"comm\"\n"),
    }
}

fn build(line: &[u8], facts: Option<&Facts<'_>>) -> serde_json::Value {
    let b = Builder::new("host\"1");
    let mut out = Vec::new();
    b.build(&mut out, line, facts);
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn the_fields_come_from_the_facts() {
    let v = build(LINE, Some(&facts()));
    assert_eq!(v["version"], "1.1");
    assert_eq!(v["host"], "host\"1");
    let line = std::str::from_utf8(LINE).unwrap().trim_end();
    assert_eq!(v["short_message"], line);
    assert_eq!(v["timestamp"].as_f64().unwrap(), 1_700_000_000.123);
    assert_eq!(v["level"], 6);
    assert_eq!(v["facility"], "go-audit");
    assert_eq!(v["_sequence"], 1234);
    assert_eq!(v["_syscall"], 59);
    assert_eq!(v["_success"], "yes");
    assert_eq!(v["_key"], "exec");
    assert_eq!(v["_auid"], 1000);
    assert_eq!(v["_uid"], 0);
    assert_eq!(v["_pid"], 4321);
    assert_eq!(v["_comm"], "my \"comm\"\n");
    assert_eq!(v["_exe"], "/usr/bin/ls");
}

#[test]
fn the_line_is_not_read_for_fields() {
    // A structured-format line, or anything: the fields are the facts'.
    let v = build(
        br#"{"records":[{"type":"SYSCALL"}],"x":"\"sequence\":5"}"#,
        Some(&facts()),
    );
    assert_eq!(v["_sequence"], 1234);
    assert_eq!(v["_key"], "exec");
    let absent = Facts {
        syscall: None,
        key: None,
        success: None,
        ..facts()
    };
    let v = build(LINE, Some(&absent));
    assert!(v.get("_syscall").is_none() && v.get("_key").is_none());
    assert!(v.get("_success").is_none());
}

#[test]
fn without_facts_only_the_time_of_sending() {
    for line in [&b"hello"[..], b"", b"\xff\xfe\x00\x01\"\\", LINE] {
        let v = build(line, None);
        assert_eq!(v["version"], "1.1");
        assert!(v.get("_sequence").is_none(), "{line:?}");
        assert!(v["timestamp"].as_f64().unwrap() > 1.6e9);
    }
}

#[test]
fn escape_control_and_invalid_utf8() {
    let mut out = Vec::new();
    crate::json::string_body(&mut out, b"a\"b\\c\n\x01\xffz");
    assert_eq!(out, "a\\\"b\\\\c\\n\\u0001\u{fffd}z".as_bytes());
}

#[test]
fn no_growth_after_first_build() {
    let b = Builder::new("h");
    let mut out = Vec::with_capacity(8192);
    b.build(&mut out, LINE, Some(&facts()));
    let cap = out.capacity();
    for _ in 0..100 {
        b.build(&mut out, LINE, Some(&facts()));
    }
    assert_eq!(cap, out.capacity());
}

#[test]
fn the_message_is_written_byte_for_byte() {
    // The envelope, the members' order and their punctuation, pinned: the
    // head is written once per builder and the member names as literals.
    let b = Builder::new("host\"1");
    let mut out = Vec::new();
    let mut f = facts();
    b.build(&mut out, b"say \"hi\"\n", Some(&f));
    assert_eq!(
        std::str::from_utf8(&out).unwrap(),
        r#"{"version":"1.1","host":"host\"1","short_message":"say \"hi\"","timestamp":1700000000.123,"level":6,"facility":"go-audit","_sequence":1234,"_syscall":59,"_auid":1000,"_uid":0,"_pid":4321,"_success":"yes","_key":"exec","_comm":"my \"comm\"\n","_exe":"/usr/bin/ls"}"#
    );
    f.success = Some(false);
    f.key = None;
    f.syscall = None;
    b.build(&mut out, b"hello", Some(&f));
    assert_eq!(
        std::str::from_utf8(&out).unwrap(),
        r#"{"version":"1.1","host":"host\"1","short_message":"hello","timestamp":1700000000.123,"level":6,"facility":"go-audit","_sequence":1234,"_auid":1000,"_uid":0,"_pid":4321,"_success":"no","_comm":"my \"comm\"\n","_exe":"/usr/bin/ls"}"#
    );
}
