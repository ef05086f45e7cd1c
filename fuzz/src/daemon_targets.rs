//! Bodies of the daemon's fuzz targets: `config`, `rules`, `gelf`,
//! `syslog`. Each takes arbitrary bytes and asserts invariants (a violated
//! one panics). They run under libFuzzer (`fuzz/fuzz_targets/`) and as the
//! stable test `daemon/tests/fuzz_daemon.rs` (seeds, generated inputs and
//! proptest), so they use only `raudit`, `raudit-core`, `serde_json` and
//! std, and touch no file, socket or name service.
#![allow(dead_code)]

use raudit::config::{Accounts, Config};
use raudit::local_time::LocalTime;
use raudit::output::gelf::compress::Compressor;
use raudit::output::gelf::message::Builder;
use raudit::output::gelf::{
    datagrams, CHUNK_DATA, CHUNK_HEADER, CHUNK_MAGIC, CHUNK_SIZE, MAX_CHUNKS,
};
use raudit::output::net::is_too_large;
use raudit::output::syslog::format::{message, Form, Header};
use raudit::output::{GelfCompression, GelfCompressionType};
use raudit::rules::compile::{compile_line, Command, CompileOptions, StatusSetting};
use raudit::rules::print::Printer;
use raudit::rules::RuleSet;
use raudit_core::tables::arch::Machine;
use raudit_core::tables::field::Field;
use raudit_core::wire::rule::{RuleData, MAX_FIELDS};
use serde_json::Value;

/// The targets whose bodies are here.
pub const DAEMON_TARGETS: &[&str] = &["config", "rules", "gelf", "syslog"];

// ---------------------------------------------------------------- config

/// Accounts without the name service: `root`/`audit` exist.
struct FakeAccounts;

impl Accounts for FakeAccounts {
    fn uid(&self, name: &str) -> Option<u32> {
        match name {
            "root" => Some(0),
            "audit" => Some(1000),
            _ => None,
        }
    }
    fn gid(&self, name: &str) -> Option<u32> {
        self.uid(name)
    }
}

/// The config loader on arbitrary text: a config or errors, never a panic;
/// every error and warning one line naming the file; and what it accepts
/// the daemon's start accepts too (check-config and the daemon cannot
/// disagree): every rule compiles with the options the start uses, the
/// event range is ordered, and some output is enabled.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match Config::from_yaml_str_with(&text, "fuzz.yaml", &FakeAccounts) {
        Err(errors) => {
            assert!(!errors.errors.is_empty(), "an error without errors");
            let shown = errors.to_string();
            assert_eq!(shown.lines().count(), errors.errors.len(), "{shown}");
            assert!(
                shown.lines().all(|l| l.starts_with("fuzz.yaml:")),
                "{shown}"
            );
        }
        Ok(config) => {
            for w in &config.warnings {
                assert!(w.starts_with("fuzz.yaml:") && !w.contains('\n'), "{w}");
            }
            assert!(config.events.min <= config.events.max);
            let o = &config.output;
            assert!(
                o.stdout.is_some()
                    || o.file.is_some()
                    || o.syslog.is_some()
                    || o.gelf.is_some()
                    || o.otlp.is_some(),
                "no output enabled"
            );
            if let Some(f) = &o.file {
                assert!(f.mode != 0 && f.mode <= 0o7777, "mode {:o}", f.mode);
            }
            let options = CompileOptions {
                is_dir: |_| false,
                ..config.raudit.rules.compile_options()
            };
            if let Err(e) = RuleSet::from_config_list_with(&config.rules, &options) {
                panic!("the config loaded but its rules do not compile: {e:?}");
            }
            let _ = config.summary();
        }
    }
}

// ----------------------------------------------------------------- rules

fn options(machine: Machine) -> CompileOptions {
    CompileOptions {
        machine: Some(machine),
        allowed: raudit::rules::guard::Allowed::default(),
        is_dir: |p| p.ends_with('/'),
    }
}

/// One auditctl line through the compiler: what it accepts is in range
/// (a rule the kernel can read: at most 64 fields, a known list and
/// action; `-e`/`-f` 0 or 1 without the allow keys); a rule printed as
/// `auditctl -l` prints it compiles again to the same bytes.
pub fn rules(data: &[u8]) {
    let (machine, text) = match data.split_first() {
        Some((m, rest)) if m & 1 == 1 => (Machine::Aarch64, rest),
        Some((_, rest)) => (Machine::X86_64, rest),
        None => (Machine::X86_64, data),
    };
    let text = String::from_utf8_lossy(text);
    let options = options(machine);
    for line in text.lines() {
        let command = match compile_line(line, &options) {
            Ok(Some(c)) => c,
            Ok(None) => continue,
            Err(e) => {
                assert!(e.column <= line.len(), "error column past the line");
                assert!(!e.expected.is_empty(), "an error that says nothing");
                continue;
            }
        };
        match command {
            Command::Add(bytes) | Command::Delete(bytes) => check_rule(line, &bytes, machine),
            Command::Status(s) => match s {
                StatusSetting::Enabled(n) | StatusSetting::Failure(n) => {
                    assert!(n <= 1, "{s:?} accepted without its allow key: {line}")
                }
                _ => {}
            },
            Command::DeleteAll => {}
        }
    }
}

fn check_rule(line: &str, bytes: &[u8], machine: Machine) {
    let rule = RuleData::new_checked(bytes).expect("the compiler emits a readable rule");
    assert!(rule.field_count() <= MAX_FIELDS);
    // AUDIT_FILTER_* lists 0..=7, with or without AUDIT_FILTER_PREPEND.
    assert!(rule.flags() & !0x10 <= 7, "list {:#x}", rule.flags());
    // AUDIT_NEVER, AUDIT_POSSIBLE, AUDIT_ALWAYS.
    assert!(rule.action() <= 2, "action {}", rule.action());
    // auditctl's `-l` form writes string values as they are, so one with
    // a space, a quote, a backslash or an operator character (`-F
    // path=/a>=1` splits at `>=`) cannot be read back (raudit prints as
    // auditctl does); those rules are checked for range only.
    if rule.buf().iter().any(|b| b" \t\r\n'\"\\=<>!&".contains(b)) {
        return;
    }
    // Several keys (`-k a -k b`, one field joined by \x01, or `-F key=`
    // beside `-k`) are listed as `-F key=a -F key=b`, which auditctl reads
    // as separate fields: its listing cannot carry them.
    let key_fields = rule
        .fields()
        .filter(|f| f.field == Field::FILTERKEY)
        .count();
    if key_fields > 1 || rule.buf().contains(&1) {
        return;
    }
    // The listing writes the arch fields first (before `-S`) and the key
    // last, as auditctl lists them; a rule whose fields stand otherwise
    // reads back in another order (the kernel compares fields in order).
    // Both happen: `-F arch=` after another field, and `-F KEY=k` in
    // another case than `key=` (auditctl's check for `key=` is
    // case-sensitive, libaudit's field names are not), which stays where
    // it stands while `-k` and `-F key=` go last (found by the `rules`
    // fuzz target).
    let arch_late = rule
        .fields()
        .skip_while(|f| f.field == Field::ARCH)
        .any(|f| f.field == Field::ARCH);
    let mut fields = rule.fields().map(|f| f.field);
    let key_early = fields.any(|f| f == Field::FILTERKEY) && fields.next().is_some();
    if arch_late || key_early {
        return;
    }
    // A number above i32::MAX in a field listed as a signed number (`%d`,
    // as auditctl lists most) reads back only where a sign is taken (the
    // uid fields, exit); for the rest libaudit's value must start with a
    // digit: auditctl's listing cannot carry it (found by the `rules`
    // fuzz target: `success=`). Arch, perm, inode, the comparisons and
    // a0–a3 are listed otherwise (a name, letters, unsigned, hex).
    let reads_back = |f: Field| {
        matches!(
            f,
            Field::UID
                | Field::EUID
                | Field::SUID
                | Field::FSUID
                | Field::LOGINUID
                | Field::OBJ_UID
                | Field::EXIT
                | Field::ARCH
                | Field::PERM
                | Field::INODE
                | Field::FIELD_COMPARE
                | Field::ARG0
                | Field::ARG1
                | Field::ARG2
                | Field::ARG3
        )
    };
    if rule
        .fields()
        .any(|f| !f.field.is_string() && !reads_back(f.field) && f.value > i32::MAX as u32)
    {
        return;
    }
    // An arch of another machine is listed by bitness only (`b32`), which
    // reads back as this machine's: auditctl's listing cannot carry it.
    let own = |bits: &str| match compile_line(
        &format!("-a always,exit -F arch={bits}"),
        &options(machine),
    ) {
        Ok(Some(Command::Add(b))) => RuleData::new_checked(&b)
            .ok()
            .and_then(|r| r.fields().next().map(|f| f.value)),
        _ => None,
    };
    let arches = [own("b32"), own("b64")];
    if rule
        .fields()
        .any(|f| f.field == Field::ARCH && !arches.contains(&Some(f.value)))
    {
        return;
    }
    // An io_uring rule without -S gets the whole mask (as auditctl sets
    // it) and is listed as `-S all`, which on io_uring means every named
    // operation: auditctl's listing cannot tell the two apart.
    let whole_mask = (0..64).all(|i| rule.mask_word(i) == !0);
    if rule.flags() & 0xf == 7 && whole_mask {
        return;
    }
    let listed = Printer::new(Some(machine)).rule(&rule);
    // A rule with a perm field on all syscalls and no path is listed as a
    // watch without `-w` (` -p x`), as auditctl lists it; that form has no
    // command to read it back.
    if !listed.starts_with("-a ") && !listed.starts_with("-w ") {
        return;
    }
    let again = match compile_line(&listed, &options(machine)) {
        Ok(Some(Command::Add(again))) => again,
        other => panic!("`{listed}` (as listed, from `{line}`) does not compile back: {other:?}"),
    };
    // `-A` sets AUDIT_FILTER_PREPEND (0x10) in the list word; the kernel
    // does not keep it and `-l` cannot show it, so it is left out.
    let mut want = bytes.to_vec();
    want[0] &= !0x10;
    assert!(
        again == want,
        "`{listed}` compiles to other bytes than the rule it lists (from `{line}`; first difference at byte {:?})",
        again.iter().zip(&want).position(|(a, b)| a != b)
    );
}

// ------------------------------------------------------------------ gelf

/// A GELF message: the builder's JSON for the line is valid with the
/// fields Graylog needs; compressed and split into datagrams, at most 128
/// chunks of at most 1420 bytes, one id, numbered in order, which
/// reassemble (and decompress) to the message; larger is refused whole.
/// The first byte picks the compression and a size multiplier, so inputs
/// reach the 128-chunk limit.
pub fn gelf(data: &[u8]) {
    let Some((&control, line)) = data.split_first() else {
        return;
    };
    // GELF's escaper (SSSE3 where the CPU has it) writes what the
    // portable one writes, refusing the same rooms: the exact size, one
    // byte less, and a block's worst case more.
    let size = raudit_core::encode::text::escaped_size(line);
    for room in [size, size.saturating_sub(1), size + 32] {
        let (mut fast, mut portable) = (vec![0u8; room], vec![0u8; room]);
        let a = raudit::sys::json_text::escape_json_text_into(line, &mut fast);
        let b = raudit_core::encode::text::escape_json_text_into(line, &mut portable);
        assert_eq!(a, b, "room {room} of {size}");
        if let Some(n) = a {
            assert_eq!(fast[..n], portable[..n], "room {room}");
        }
    }
    let builder = Builder::new("fuzz-host");
    let mut json = Vec::new();
    builder.build(&mut json, line, None);
    let value: Value = serde_json::from_slice(&json).unwrap_or_else(|e| {
        panic!(
            "invalid GELF JSON ({e}): {}",
            String::from_utf8_lossy(&json)
        )
    });
    assert_eq!(value["version"], "1.1");
    assert!(value["short_message"].is_string() && value["timestamp"].is_number());
    let kind = match control % 3 {
        0 => GelfCompressionType::Gzip,
        1 => GelfCompressionType::Zlib,
        _ => GelfCompressionType::None,
    };
    let mut compressor = Compressor::new(GelfCompression { level: 1, kind }, json.len());
    let payload = compressor
        .compress(&json)
        .expect("compression into memory")
        .to_vec();
    check_chunks(&payload);
    // The chunker alone on a larger payload: the input repeated, up to
    // 256 KiB (past the 128-chunk limit of 180,224 bytes, no further: the
    // first libFuzzer run, without the cap, managed 86 exec/s).
    let times = usize::from(control >> 2) * 64 + 1;
    let len = (line.len() * times).min(256 << 10);
    let big: Vec<u8> = line.iter().copied().cycle().take(len).collect();
    check_chunks(&big);
}

fn check_chunks(payload: &[u8]) {
    let mut sent: Vec<Vec<u8>> = Vec::new();
    let mut chunk = [0u8; CHUNK_SIZE];
    let result = datagrams(
        payload,
        || *b"\x01\x02\x03\x04\x05\x06\x07\x08",
        &mut chunk,
        |d| {
            sent.push(d.to_vec());
            Ok(())
        },
    );
    let needed = payload.len().div_ceil(CHUNK_DATA);
    if payload.len() <= CHUNK_SIZE {
        assert!(result.is_ok());
        assert_eq!(sent, [payload.to_vec()], "a small message is one datagram");
        return;
    }
    if needed > MAX_CHUNKS {
        let e = result.expect_err("more than 128 chunks is refused");
        assert!(is_too_large(&e), "{e}");
        assert!(sent.is_empty(), "part of a refused message was sent");
        return;
    }
    assert!(result.is_ok());
    assert_eq!(sent.len(), needed);
    assert!(sent.len() <= MAX_CHUNKS);
    let mut whole = Vec::new();
    for (i, d) in sent.iter().enumerate() {
        assert!(d.len() <= CHUNK_SIZE && d.len() > CHUNK_HEADER);
        assert_eq!(d[..2], CHUNK_MAGIC);
        assert_eq!(&d[2..10], b"\x01\x02\x03\x04\x05\x06\x07\x08");
        assert_eq!((usize::from(d[10]), usize::from(d[11])), (i, needed));
        whole.extend_from_slice(&d[CHUNK_HEADER..]);
    }
    assert!(whole == payload, "chunks do not reassemble to the message");
}

// ---------------------------------------------------------------- syslog

/// The syslog framer: one message per event line in every form; a JSON
/// event line (no raw newline in it) is never split by a newline; the
/// octet count is the length of what follows it; header fields hold no
/// space or newline whatever the tag and host name. The input is
/// `tag \0 host \0 line`.
pub fn syslog(data: &[u8]) {
    let mut parts = data.splitn(3, |&b| b == 0);
    // The config refuses control characters in the tag.
    let tag: String = String::from_utf8_lossy(parts.next().unwrap_or_default())
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let host = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let raw = parts.next().unwrap_or_default();
    let priority = data.first().map_or(132, |b| b % 192);
    let mut header = Header::new(priority, &tag, &host, 4242);
    let time = LocalTime::at(1_709_622_489, 123_456, 3600);
    // The event as the encoder would give it: a JSON string, one line.
    let event = serde_json::to_string(&String::from_utf8_lossy(raw)).unwrap() + "\n";
    for line in [event.as_bytes(), raw] {
        let internal = line.strip_suffix(b"\n").unwrap_or(line);
        let newlines = internal.iter().filter(|&&b| b == b'\n').count();
        let mut out = Vec::new();
        for form in [
            Form::Rfc3164Local,
            Form::Rfc3164Network,
            Form::Rfc3164OctetCounted,
            Form::Rfc5424 {
                octet_counted: false,
            },
            Form::Rfc5424 {
                octet_counted: true,
            },
        ] {
            let start = message(&mut out, form, &mut header, &time, line);
            let msg = &out[start..];
            let pri = format!("<{priority}>");
            match form {
                Form::Rfc3164Local | Form::Rfc3164Network => {
                    assert!(msg.starts_with(pri.as_bytes()));
                    assert!(msg.ends_with(b"\n"), "3164 messages end in a newline");
                    let count = msg.iter().filter(|&&b| b == b'\n').count();
                    assert_eq!(count, newlines + 1, "a newline splits the message");
                    assert!(msg.ends_with(line) || msg[..msg.len() - 1].ends_with(line));
                }
                Form::Rfc3164OctetCounted => {
                    // RFC 5425's framing of the network form: the count,
                    // then the message without its newline.
                    let space = msg.iter().position(|&b| b == b' ').expect("count");
                    let len: usize = std::str::from_utf8(&msg[..space]).unwrap().parse().unwrap();
                    let rest = &msg[space + 1..];
                    assert_eq!(len, rest.len(), "octet count");
                    assert!(rest.starts_with(pri.as_bytes()));
                    assert!(rest.ends_with(internal), "the event is the message");
                }
                Form::Rfc5424 { octet_counted } => {
                    let framed = if octet_counted {
                        let space = msg.iter().position(|&b| b == b' ').expect("count");
                        let len: usize =
                            std::str::from_utf8(&msg[..space]).unwrap().parse().unwrap();
                        let rest = &msg[space + 1..];
                        assert_eq!(len, rest.len(), "octet count");
                        rest
                    } else {
                        msg
                    };
                    assert!(framed.starts_with(pri.as_bytes()));
                    assert!(framed.ends_with(internal), "the event is the message");
                    // <PRI>1 TIME HOST APP PID - - MSG: seven header fields.
                    let head = &framed[..framed.len() - internal.len()];
                    assert_eq!(head.iter().filter(|&&b| b == b' ').count(), 7, "{head:?}");
                    assert!(!head.contains(&b'\n'));
                    if line == event.as_bytes() {
                        assert!(!framed.contains(&b'\n'), "a newline in a 5424 message");
                    }
                }
            }
        }
    }
}

// ------------------------------------------------------------------ seeds

/// Built-in seeds per target (the project's own shapes; nothing copied).
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let example = include_bytes!("../../contrib/raudit.yaml.example");
    match target {
        "config" => vec![
            example.to_vec(),
            b"canary: true\noutput:\n  stdout:\n    enabled: true\nrules:\n  - -a exit,always -S connect\n  - -e 1\n".to_vec(),
            b"\xef\xbb\xbfoutput:\n  file: {enabled: true, path: /var/log/x.log, mode: 0640, user: root}\nrules: ['-w /etc/passwd -p wa -k id', '-b 8192']\nfilters:\n  - {syscall: 42, message_type: 1306, regex: 'saddr=(0200....7F|01)'}\n".to_vec(),
            b"output:\n  gelf: {enabled: true, address: 'h:12201', compression: {level: 9, type: 1}}\n  syslog: {enabled: true, network: tcp, address: 'h:514'}\nraudit:\n  mode: daemon\n  queue: {size: 8, policy: block}\nrules: ['-e 1']\n".to_vec(),
        ],
        "rules" => vec![
            b"\x00-a always,exit -F arch=b64 -S execve,execveat -F auid>=1000 -F auid!=-1 -k exec".to_vec(),
            b"\x00-w /etc/shadow -p rwa -k shadow\n-w /etc/ -p wa\n-a never,exit -F pid=42".to_vec(),
            b"\x01-a exit,always -S openat -F exit=-EACCES -F dir=/home -F key=a\n-D\n-e 1\n-f 1\n-b 8192\n-r 100".to_vec(),
            b"\x00-A always,exit -F arch=b32 -S 11 -F a0=0x10 -F success=0 -F obj_type=x_t\n-a always,exclude -F msgtype=CWD\n-a always,user -F uid=0".to_vec(),
            b"\x00-a always,io_uring -S openat -F key=u\n-d always,exit -S all -F path=/bin/su -F perm=x".to_vec(),
            b"\x00-w /a -p w -F success=3333333332 -F ppid=4294967295\n-a always,exit -F success=0 -F arch=b64 -S all\n-d always,exit -S all -F path=/bin/s -F Key=k -p a\n-a always,exit -S all -F KEY=k -F path=/a -F perm=w".to_vec(),
            // An empty permission set (once a watch that never fires).
            b"\x00-w /etc/ -p \t''''''\n-w /etc -p \"\"".to_vec(),
        ],
        "gelf" => vec![
            [&[0u8][..], b"{\"sequence\":7,\"timestamp\":\"1700000000.123\",\"messages\":[{\"type\":1300,\"data\":\"arch=c000003e syscall=59 success=yes exit=0 pid=5 uid=0 comm=\\\"ls\\\" exe=\\\"/usr/bin/ls\\\" key=6B6579\"}],\"uid_map\":{\"0\":\"root\"}}\n"].concat(),
            [&[7u8][..], &[b'x'; 3000][..]].concat(),
            [&[255u8][..], b"{\"sequence\":007}"].concat(),
        ],
        "syslog" => vec![
            b"go-audit\0box\0{\"sequence\":1,\"messages\":[]}\n".to_vec(),
            b"tag with space\0host\tname\0line\nwith\nnewlines".to_vec(),
            b"\0\0".to_vec(),
        ],
        _ => Vec::new(),
    }
}
