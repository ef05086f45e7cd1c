use super::*;

const LINE: &[u8] = br#"{"sequence":1234,"timestamp":"1700000000.123","messages":[{"type":1300,"data":"arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=4321 auid=1000 uid=0 gid=0 comm=\"ls\" exe=\"/usr/bin/ls\" key=\"exec\""},{"type":1309,"data":"argc=1 a0=\"ls\""}],"uid_map":{"0":"root"}}
"#;

fn build(line: &[u8]) -> serde_json::Value {
    let mut b = Builder::new("host\"1", 4096);
    let mut out = Vec::new();
    b.build(&mut out, line);
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn go_audit_line_becomes_gelf_with_fields() {
    let v = build(LINE);
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
    assert_eq!(v["_comm"], "ls");
    assert_eq!(v["_exe"], "/usr/bin/ls");
}

#[test]
fn hex_values_are_decoded_and_null_key_left_out() {
    let line = br#"{"sequence":7,"timestamp":"1.5","messages":[{"type":1300,"data":"syscall=2 comm=6D7920636F6D6D exe=\"/bin/x\" key=(null) auid=4294967295"}],"uid_map":{}}"#;
    let v = build(line);
    assert_eq!(v["_comm"], "my comm");
    assert!(v.get("_key").is_none());
    assert_eq!(v["_auid"], 4_294_967_295u64);
    assert_eq!(v["timestamp"].as_f64().unwrap(), 1.5);
}

#[test]
fn not_go_audit_shaped_still_valid_gelf() {
    for line in [
        &b"hello"[..],
        b"",
        b"{\"sequence\":\"x\"}",
        b"{\"messages\":[{\"type\":1300,\"data\":\"syscall=59 comm=\\\"a",
        b"\xff\xfe\x00\x01\"\\",
        br#"{"timestamp":"01.2","a":"\"sequence\":5"}"#,
        br#"{"x":1,"messages":[{"type":1300,"data":"comm=\"\u00e9\ud83d\ude00\ud800\" uid=1"}]}"#,
    ] {
        let v = build(line);
        assert_eq!(v["version"], "1.1");
        assert!(v.get("_sequence").is_none(), "{line:?}");
        assert!(v["timestamp"].as_f64().unwrap() > 1.6e9);
    }
    let v =
        build(br#"{"messages":[{"type":1300,"data":"comm=\"\u00e9\ud83d\ude00\ud800\" uid=1"}]}"#);
    assert_eq!(v["_comm"], "\u{e9}\u{1f600}\u{fffd}");
    assert_eq!(v["_uid"], 1);
}

#[test]
fn escape_control_and_invalid_utf8() {
    let mut out = Vec::new();
    escape(&mut out, b"a\"b\\c\n\x01\xffz");
    assert_eq!(out, "a\\\"b\\\\c\\n\\u0001\u{fffd}z".as_bytes());
}

#[test]
fn no_growth_after_first_build() {
    let mut b = Builder::new("h", 4096);
    let mut out = Vec::with_capacity(8192);
    b.build(&mut out, LINE);
    let caps = (out.capacity(), b.data.capacity(), b.hex.capacity());
    for _ in 0..100 {
        b.build(&mut out, LINE);
    }
    assert_eq!(caps, (out.capacity(), b.data.capacity(), b.hex.capacity()));
}

#[test]
fn a_sequence_with_leading_zeros_is_left_out_not_copied() {
    // Found by the `gelf` fuzz target: `"_sequence":007` is not JSON.
    let v = build(b"{\"sequence\":007,\"messages\":[]}");
    assert!(v.get("_sequence").is_none(), "{v}");
    assert_eq!(build(b"{\"sequence\":0}")["_sequence"], 0);
    assert_eq!(build(b"{\"sequence\":10}")["_sequence"], 10);
}
