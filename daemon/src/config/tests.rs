//! Config tests: go-audit's example keys and values, defaults, raudit's
//! keys, and one test per kind of error message.

use std::time::Duration;

use super::*;
use crate::scratch_dir::ScratchDir;

/// Every key of go-audit's `go-audit.yaml.example` with its example value
/// (written here, not copied), with the file and syslog outputs enabled as
/// well to check their values.
const GO_AUDIT_KEYS: &str = "\
socket_buffer:
  receive: 16384
events:
  min: 1300
  max: 1399
message_tracking:
  enabled: true
  log_out_of_order: false
  max_out_of_order: 500
output:
  stdout:
    enabled: true
    attempts: 2
  syslog:
    enabled: true
    attempts: 5
    network: unixgram
    address: /dev/log
    priority: 129 # local0 | emerg
    tag: \"audit-thing\"
  file:
    enabled: true
    attempts: 2
    path: /var/log/go-audit/go-audit.log
    mode: 0600
    user: root
    group: root
  gelf:
    enabled: true
    attempts: 3
    network: udp
    address: localhost:12201
    compression:
      level: 1
      type: 0
log:
  flags: 0
rules:
  - -a exit,always -F arch=b64 -S execve
  - -a exit,always -F arch=b32 -S execve
  - -e 1
filters:
  - syscall: 49
    message_type: 1306
    regex: saddr=(10..|0A..)
extras:
  containers:
    enabled: false
    containerd: false
    containerd_sock: /run/containerd/containerd.sock
    containerd_namespace: k8s.io
    docker: false
    docker_api_version: 1.24
    pid_cache: 0
    docker_cache: 0
    containerd_cache: 0
";

/// A fixed account table: root (0), syslog (104 / adm 4).
struct TestAccounts;

impl Accounts for TestAccounts {
    fn uid(&self, name: &str) -> Option<u32> {
        match name {
            "root" => Some(0),
            "syslog" => Some(104),
            _ => None,
        }
    }

    fn gid(&self, name: &str) -> Option<u32> {
        match name {
            "root" => Some(0),
            "adm" => Some(4),
            _ => None,
        }
    }
}

fn parse(text: &str) -> Result<Config, ConfigErrors> {
    Config::from_yaml_str_with(text, "test.yaml", &TestAccounts)
}

/// The error lines for `text`, which must fail.
fn errors(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(c) => panic!("expected errors, got {c:?}"),
        Err(e) => e.to_string().lines().map(str::to_string).collect(),
    }
}

const MINIMAL: &str = "output:\n  stdout:\n    enabled: true\nrules:\n  - -e 1\n";

#[test]
fn go_audit_keys_read_as_go_audit_reads_them() {
    let c = parse(GO_AUDIT_KEYS).unwrap();
    assert_eq!(c.socket_buffer.receive, Some(16384));
    assert_eq!(
        c.events,
        EventRange {
            min: 1300,
            max: 1399
        }
    );
    assert_eq!(c.message_tracking, MessageTracking::default());
    assert_eq!(c.output.stdout, Some(StdoutConfig { attempts: 2 }));
    let s = c.output.syslog.unwrap();
    assert_eq!(s.attempts, 5);
    assert_eq!(s.network, SyslogNetwork::Unixgram);
    assert_eq!(s.address, "/dev/log");
    assert_eq!(s.priority, 129);
    assert_eq!(s.tag, "audit-thing");
    assert_eq!(s.format, SyslogFormat::Rfc3164);
    let f = c.output.file.unwrap();
    assert_eq!(f.attempts, 2);
    assert_eq!(f.path, PathBuf::from("/var/log/go-audit/go-audit.log"));
    assert_eq!(f.mode, 0o600);
    let root = |name: &str| {
        Some(Account {
            name: name.to_string(),
            id: 0,
        })
    };
    assert_eq!(f.user, root("root"));
    assert_eq!(f.group, root("root"));
    let g = c.output.gelf.unwrap();
    assert_eq!(g.attempts, 3);
    assert_eq!(g.network, GelfNetwork::Udp);
    assert_eq!(g.address, "localhost:12201");
    assert_eq!(g.compression, GelfCompression::default());
    assert_eq!(c.log.flags, 0);
    assert_eq!(c.rules, Config::default_builtin().rules);
    assert_eq!(c.filters.len(), 1);
    assert_eq!(c.filters[0].syscall, Some(49));
    assert_eq!(c.filters[0].message_type, 1306);
    assert!(c.filters[0].regex.is_match(b"saddr=0A00 x"));
    assert!(!c.filters[0].regex.is_match(b"saddr=0200"));
    let x = &c.extras.containers;
    assert!(!x.enabled && !x.containerd && !x.docker);
    assert_eq!(
        x.containerd_sock,
        PathBuf::from("/run/containerd/containerd.sock")
    );
    assert_eq!(x.containerd_namespace.as_deref(), Some("k8s.io"));
    assert_eq!(x.docker_api_version.as_deref(), Some("1.24"));
    assert_eq!((x.pid_cache, x.docker_cache, x.containerd_cache), (0, 0, 0));
    assert_eq!(c.raudit, Raudit::default());
}

#[test]
fn the_example_file_parses() {
    let text = include_str!("../../../contrib/raudit.yaml.example");
    let c = parse(text).unwrap();
    assert!(c.output.stdout.is_some());
    assert_eq!(c.raudit, Raudit::default());
}

#[test]
fn go_audit_defaults() {
    let c = parse(MINIMAL).unwrap();
    assert_eq!(c.socket_buffer.receive, None);
    assert_eq!(
        c.events,
        EventRange {
            min: 1300,
            max: 1399
        }
    );
    assert!(c.message_tracking.enabled);
    assert!(!c.message_tracking.log_out_of_order);
    assert_eq!(c.message_tracking.max_out_of_order, 500);
    assert_eq!(c.output.stdout, Some(StdoutConfig { attempts: 3 }));
    assert_eq!(c.log.flags, 0);
    assert!(c.filters.is_empty());
    assert_eq!(c.extras, Extras::default());

    let text = "output:\n  syslog: {enabled: true}\n  gelf: {enabled: true, address: 'g:1'}\n  file: {enabled: true, path: /x}\nrules: ['-e 1']\n";
    let c = parse(text).unwrap();
    let s = c.output.syslog.unwrap();
    assert_eq!(
        (s.attempts, s.priority, s.tag.as_str()),
        (3, 132, "go-audit")
    );
    assert_eq!(
        (s.network, s.address.as_str()),
        (SyslogNetwork::Unixgram, "/dev/log")
    );
    let g = c.output.gelf.unwrap();
    assert_eq!((g.attempts, g.network), (3, GelfNetwork::Udp));
    assert_eq!(
        g.compression,
        GelfCompression {
            level: 1,
            kind: GelfCompressionType::Gzip
        }
    );
    let f = c.output.file.unwrap();
    assert_eq!(
        (f.attempts, f.mode, f.user, f.group),
        (3, 0o600, None, None)
    );
}

#[test]
fn builtin_default() {
    let c = Config::default_builtin();
    assert_eq!(c.output.stdout, Some(StdoutConfig { attempts: 3 }));
    assert!(c.output.file.is_none() && c.output.syslog.is_none() && c.output.gelf.is_none());
    assert_eq!(c.rules.len(), 3);
    assert_eq!(c.rules[2], "-e 1");
    assert_eq!(
        c.raudit.queue,
        QueueConfig {
            size: None,
            buffer_size: 16384,
            policy: QueuePolicy::Drop,
            wait: Duration::from_millis(50),
        }
    );
    assert_eq!(c.raudit.assembler.timeout, Duration::from_secs(2));
}

#[test]
fn modes_in_every_spelling() {
    for (spelling, mode) in [
        ("0600", 0o600),
        ("0o640", 0o640),
        ("384", 0o600),
        ("'0644'", 0o644),
        ("04755", 0o4755),
    ] {
        let text = format!(
            "output:\n  file: {{enabled: true, path: /x, mode: {spelling}}}\nrules: ['-e 1']\n"
        );
        assert_eq!(
            parse(&text).unwrap().output.file.unwrap().mode,
            mode,
            "{spelling}"
        );
    }
}

#[test]
fn fan_out_and_the_no_output_error() {
    let text = "output:\n  stdout: {enabled: true}\n  gelf: {enabled: true, address: 'h:1'}\nrules: ['-e 1']\n";
    let c = parse(text).unwrap();
    assert!(c.output.stdout.is_some() && c.output.gelf.is_some());
    assert_eq!(
        errors("output:\n  stdout:\n    enabled: false\nrules: ['-e 1']\n"),
        ["test.yaml:2: output: no output enabled; enable at least one of stdout, file, syslog, gelf, otlp"]
    );
    assert!(errors("")[0]
        .ends_with("no output enabled; enable at least one of stdout, file, syslog, gelf, otlp"));
}

#[test]
fn unknown_keys_name_their_path() {
    let text = "output:\n  file:\n    enabled: true\n    pathh: /x\nrules: ['-e 1']\n";
    let e = errors(text);
    assert_eq!(e[1], "test.yaml:4: output.file.pathh: unknown key; did you mean `path`? expected one of path, mode, user, group, enabled, attempts, max_bytes, keep");
    assert_eq!(
        e[0],
        "test.yaml:3: output.file.path: required when output.file is enabled"
    );
    let text = format!("{MINIMAL}raudit:\n  queue:\n    sise: 4\n");
    assert!(errors(&text)[0].starts_with(
        "test.yaml:8: raudit.queue.sise: unknown key; did you mean `size`? expected one of size, buffer_size, policy, wait"
    ));
    // Nothing close: no guess.
    let text = format!("{MINIMAL}raudit:\n  queue:\n    colour: 4\n");
    assert_eq!(
        errors(&text)[0],
        "test.yaml:8: raudit.queue.colour: unknown key; expected one of size, buffer_size, policy, wait"
    );
}

#[test]
fn the_queue_wait_is_a_bounded_duration() {
    let wait = |value: &str| {
        let text = format!("{MINIMAL}raudit:\n  queue:\n    wait: {value}\n");
        parse(&text)
            .map(|c| c.raudit.queue.wait)
            .map_err(|_| errors(&text))
    };
    assert_eq!(wait("0"), Ok(Duration::ZERO));
    assert_eq!(wait("250ms"), Ok(Duration::from_millis(250)));
    assert_eq!(wait("10s"), Ok(Duration::from_secs(10)));
    for bad in ["11s", "-1", "soon"] {
        let e = wait(bad).unwrap_err();
        assert!(
            e[0].starts_with("test.yaml:8: raudit.queue.wait: expected a duration from 0ns to 10s"),
            "{bad}: {e:?}"
        );
    }
}

#[test]
fn a_typo_inside_a_section_names_the_closest_key() {
    let text = "output:\n  stdout:\n    enabeld: true\nrules: ['-e 1']\n";
    assert!(errors(text).contains(
        &"test.yaml:3: output.stdout.enabeld: unknown key; did you mean `enabled`? expected one of enabled, attempts".to_string()
    ));
    let text = format!("{MINIMAL}message_tracking:\n  max_out_of_ordr: 4\n");
    assert!(errors(&text)[0].contains("did you mean `max_out_of_order`?"));
}

#[test]
fn unknown_top_level_keys_are_warnings_as_go_audit_ignores_them() {
    // go-audit's own example carries `canary: true`.
    let text = format!("canary: true\n{MINIMAL}outptu: 1\n");
    let c = parse(&text).unwrap();
    assert_eq!(
        c.warnings,
        [
            "test.yaml:1: canary: warning: unknown key; expected one of socket_buffer, events, message_tracking, output, log, rules, filters, extras, raudit; ignored, as go-audit does",
            "test.yaml:7: outptu: warning: unknown key; did you mean `output`? expected one of socket_buffer, events, message_tracking, output, log, rules, filters, extras, raudit; ignored, as go-audit does",
        ]
    );
    assert!(parse(MINIMAL).unwrap().warnings.is_empty());
    // With errors, the warnings are listed among them, by line.
    let e = errors(&format!("canary: true\n{MINIMAL}events: {{min: x}}\n"));
    assert!(
        e[0].starts_with("test.yaml:1: canary: warning: unknown key"),
        "{e:?}"
    );
    assert!(e[1].starts_with("test.yaml:7: events.min: "), "{e:?}");
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let text = format!("\u{feff}{MINIMAL}");
    let c = parse(&text).unwrap();
    assert!(c.output.stdout.is_some());
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn closest_key_needs_a_near_miss() {
    use super::values::closest;
    let keys = ["enabled", "attempts", "path", "mode"];
    assert_eq!(closest("enabeld", &keys), Some("enabled"));
    assert_eq!(closest("ENABLE", &keys), Some("enabled"));
    assert_eq!(closest("atempts", &keys), Some("attempts"));
    assert_eq!(closest("pth", &keys), Some("path"));
    assert_eq!(closest("x", &keys), None);
    assert_eq!(closest("", &keys), None);
    assert_eq!(closest("canary", &keys), None);
}

/// A long unknown key (YAML's explicit `? key` has no length limit) is
/// reported at once: the typo hint compares only keys of about its length,
/// not a table of len(key) x len(candidate) cells for each of the ~250
/// record type names (100 KB: 25 s and growing with the square).
#[test]
fn a_long_unknown_key_is_reported_without_comparing_it_letter_by_letter() {
    let key = "A".repeat(100_000);
    let text =
        format!("{MINIMAL}raudit:\n  fields:\n    ? {key}\n    : {{drop: [a0]}}\n? {key}\n: 1\n");
    let started = std::time::Instant::now();
    let result = parse(&text);
    let took = started.elapsed();
    let e = match result {
        Ok(c) => panic!("expected errors, got {c:?}"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("unknown record type"), "{}", &e[..200]);
    assert!(
        took < std::time::Duration::from_secs(1),
        "took {took:?} to report a long key"
    );
}

#[test]
fn keys_match_in_any_case_as_viper_does() {
    let c = parse("Output:\n  StdOut:\n    Enabled: True\nRULES: ['-e 1']\n").unwrap();
    assert!(c.output.stdout.is_some());
    assert!(errors(&format!(
        "{MINIMAL}Events: {{min: 1}}\nevents: {{max: 2}}\n"
    ))[0]
        .contains("events: duplicate key (first on line 6)"));
}

#[test]
fn wrong_types_name_key_found_and_expected() {
    let e = errors(&format!(
        "{MINIMAL}events:\n  min: abc\nmessage_tracking:\n  enabled: yes\n"
    ));
    assert_eq!(
        e[0],
        "test.yaml:7: events.min: expected a record type from 0 to 65535, found \"abc\""
    );
    assert_eq!(
        e[1],
        "test.yaml:9: message_tracking.enabled: expected true or false, found \"yes\""
    );
    let e = errors(&format!("{MINIMAL}log: [1]\n"));
    assert_eq!(e[0], "test.yaml:6: log: expected a mapping, found a list");
    let e = errors("output:\n  stdout: {enabled: true, attempts: 0}\nrules: ['-e 1']\n");
    assert_eq!(
        e[0],
        "test.yaml:2: output.stdout.attempts: expected at least 1 attempt, found 0"
    );
    let e = errors(
        "output:\n  syslog: {enabled: true, network: http, priority: 192}\nrules: ['-e 1']\n",
    );
    assert!(e[0].contains("output.syslog.network: expected one of unixgram, unix, udp, udp4, udp6, tcp, tcp4, tcp6, found \"http\""), "{e:?}");
    assert!(
        e[1].contains("output.syslog.priority: expected a priority from 0 to 191"),
        "{e:?}"
    );
}

#[test]
fn bad_octal_mode() {
    let e = errors(
        "output:\n  file:\n    enabled: true\n    path: /x\n    mode: 0800\nrules: ['-e 1']\n",
    );
    assert_eq!(e, ["test.yaml:5: output.file.mode: expected a file mode from 01 to 07777 (octal, as 0600), found \"0800\" (a leading 0 means octal, as in go-audit)"]);
    let e = errors("output:\n  file: {enabled: true, path: /x, mode: 010000}\nrules: ['-e 1']\n");
    assert!(
        e[0].contains("output.file.mode: expected a file mode"),
        "{e:?}"
    );
    let e = errors("output:\n  file: {enabled: true, path: /x, mode: 0}\nrules: ['-e 1']\n");
    assert!(
        e[0].contains("output.file.mode: expected a file mode"),
        "{e:?}"
    );
}

#[test]
fn bad_regex_names_its_index() {
    let text = format!(
        "{MINIMAL}filters:\n  - {{message_type: 1306, regex: ok}}\n  - {{syscall: 49, message_type: 1306, regex: 'saddr=(10'}}\n  - {{syscall: x, regex: a}}\n"
    );
    let e = errors(&text);
    assert_eq!(
        e[0],
        "test.yaml:8: filters[1].regex: invalid regex \"saddr=(10\": unclosed group"
    );
    assert_eq!(
        e[1],
        "test.yaml:9: filters[2].syscall: expected a syscall number, found \"x\""
    );
    assert_eq!(e[2], "test.yaml:9: filters[2]: missing message_type");
    let c = parse(&format!(
        "{MINIMAL}filters:\n  - {{message_type: '1306', regex: ok}}\n"
    ))
    .unwrap();
    assert_eq!(
        (c.filters[0].syscall, c.filters[0].message_type),
        (None, 1306)
    );
}

#[test]
fn min_greater_than_max() {
    let e = errors(&format!("{MINIMAL}events:\n  min: 1400\n  max: 1300\n"));
    assert_eq!(e, ["test.yaml:7: events: min (1400) is greater than max (1300): no event would be captured"]);
}

#[test]
fn every_error_is_reported() {
    let text = "output:\n  file: {enabled: true, user: nobody_here, group: nogroup_here}\n  gelf: {enabled: true}\nevents: {min: x}\nrules: []\nraudit: {rules: {files: [relative.rules]}}\n";
    let e = errors(text);
    assert_eq!(e.len(), 6, "{e:?}");
    assert!(e
        .iter()
        .any(|l| l.contains("output.file.user: no user named \"nobody_here\"")));
    assert!(e
        .iter()
        .any(|l| l.contains("output.file.group: no group named \"nogroup_here\"")));
    assert!(e.iter().any(|l| l.contains("output.file.path: required")));
    assert!(e
        .iter()
        .any(|l| l.contains("output.gelf.address: required")));
    assert!(e.iter().any(|l| l.contains("events.min: expected")));
    assert!(e
        .iter()
        .any(|l| l.contains("raudit.rules.files[0]: expected an absolute path")));
}

#[test]
fn invalid_yaml_has_a_line() {
    let e = errors("output:\n  stdout: {enabled: true\nrules: x\n");
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("test.yaml:"), "{e:?}");
    assert!(e[0].contains("invalid YAML"), "{e:?}");
}

#[test]
fn raudit_keys() {
    let text = format!(
        "{MINIMAL}raudit:
  mode: daemon
  takeover: true
  format: structured
  max_event_bytes: 65536
  queue: {{size: 128, buffer_size: 32768, policy: block, wait: 20ms}}
  assembler: {{max_events: 64, max_records: 512, arena_bytes: 131072, timeout: 500ms}}
  stats: {{interval: 10s, file: /run/raudit.stats}}
  rules: {{drift_interval: 5m, drift_restore: true, allow_lock: true, allow_panic: true}}
  kernel: {{backlog_wait_time: 0}}
output:
  syslog: {{enabled: true, network: tcp4, address: 'h:514', format: rfc5424}}
  gelf: {{enabled: true, network: tcp, address: 'h:1', compression: {{level: 9, type: none}}}}
"
    );
    // `output` twice is a duplicate; use the text without MINIMAL's output.
    assert!(errors(&text)
        .iter()
        .any(|l| l.contains("output: duplicate key")));
    let text = text.replacen("output:\n  stdout:\n    enabled: true\n", "", 1);
    let c = parse(&text).unwrap();
    let r = &c.raudit;
    assert_eq!(
        (r.mode, r.takeover, r.format, r.max_event_bytes),
        (Mode::Daemon, true, Format::Structured, 65536)
    );
    assert_eq!(
        r.queue,
        QueueConfig {
            size: Some(128),
            buffer_size: 32768,
            policy: QueuePolicy::Block,
            wait: Duration::from_millis(20),
        }
    );
    assert_eq!(
        r.assembler,
        AssemblerConfig {
            max_events: 64,
            max_records: 512,
            arena_bytes: 131072,
            timeout: Duration::from_millis(500)
        }
    );
    assert_eq!(
        r.stats,
        StatsConfig {
            interval: Duration::from_secs(10),
            file: Some(PathBuf::from("/run/raudit.stats"))
        }
    );
    assert_eq!(
        r.rules,
        RulesPolicy {
            drift_interval: Duration::from_secs(300),
            drift_restore: true,
            allow_lock: true,
            allow_panic: true,
            files: Vec::new(),
        }
    );
    assert_eq!(r.kernel.backlog_wait_time, Some(0));
    let s = c.output.syslog.unwrap();
    assert_eq!(
        (s.network, s.format),
        (SyslogNetwork::Tcp(IpFamily::V4), SyslogFormat::Rfc5424)
    );
    let g = c.output.gelf.unwrap();
    assert_eq!(
        (g.network, g.compression.level, g.compression.kind),
        (GelfNetwork::Tcp, 9, GelfCompressionType::None)
    );
}

#[test]
fn readlog_mode_loads_no_rules() {
    let c = parse("output: {stdout: {enabled: true}}\nraudit: {mode: readlog}\n").unwrap();
    assert_eq!(c.raudit.mode, Mode::Readlog);
    assert!(c.rules.is_empty());
    let e = errors(&format!("{MINIMAL}raudit: {{mode: readlog}}\n"));
    assert!(e[0].contains("rules: raudit.mode is readlog"), "{e:?}");
}

#[test]
fn locking_and_panicking_rules_need_permission() {
    let e = errors("output: {stdout: {enabled: true}}\nrules:\n  - -f 2\n  - -e 2\n  - -e2\n");
    assert!(e[0].contains("rules[0]: `-f 2` panics the kernel"), "{e:?}");
    assert!(
        e[1].contains("rules[1]: `-e 2` locks the rules until reboot"),
        "{e:?}"
    );
    assert!(e[2].contains("rules[2]: `-e 2` locks"), "{e:?}");
    let ok = "output: {stdout: {enabled: true}}\nrules: ['-f 2', '', '-e 2']\nraudit: {rules: {allow_lock: true, allow_panic: true}}\n";
    assert_eq!(parse(ok).unwrap().rules, ["-f 2", "-e 2"]);
}

#[test]
fn syslog_max_message_bytes_is_unset_by_default_and_at_least_1024() {
    let c = parse("output: {syslog: {enabled: true}}\nrules: ['-e 1']\n").unwrap();
    assert_eq!(c.output.syslog.unwrap().max_message_bytes, None);
    let c = parse("output: {syslog: {enabled: true, max_message_bytes: 8192}}\nrules: ['-e 1']\n")
        .unwrap();
    assert_eq!(c.output.syslog.unwrap().max_message_bytes, Some(8192));
    let e = errors("output: {syslog: {enabled: true, max_message_bytes: 512}}\nrules: ['-e 1']\n");
    assert!(
        e[0].contains("output.syslog.max_message_bytes: expected at least 1024 bytes"),
        "{e:?}"
    );
}

#[test]
fn syslog_over_ip_needs_an_address() {
    let e = errors("output: {syslog: {enabled: true, network: udp}}\nrules: ['-e 1']\n");
    assert!(e[0].contains("output.syslog.address: required"), "{e:?}");
}

#[test]
fn gelf_compression_type_errors_name_the_numbers() {
    let e = errors("output: {gelf: {enabled: true, address: 'h:1', compression: {type: 3, level: 10}}}\nrules: ['-e 1']\n");
    assert!(
        e.iter().any(|l| l.contains(
            "output.gelf.compression.type: expected 0 (gzip), 1 (zlib) or 2 (none), found \"3\""
        )),
        "{e:?}"
    );
    assert!(
        e.iter().any(|l| l.contains(
            "output.gelf.compression.level: expected a compress/flate level from -2 to 9, found 10"
        )),
        "{e:?}"
    );
}

#[test]
fn docker_api_version_keeps_its_text() {
    let c = parse(&format!("{MINIMAL}extras: {{containers: {{docker_api_version: 1.40}}, cgroups: {{enabled: true}}}}\n")).unwrap();
    assert_eq!(
        c.extras.containers.docker_api_version.as_deref(),
        Some("1.40")
    );
    assert!(c.extras.cgroups);
}

#[test]
fn summary_names_what_is_enabled() {
    let s = Config::default_builtin().summary();
    assert_eq!(
        s,
        "mode daemon; outputs: stdout; 3 rules; 0 filters; events 1300..=1399"
    );
}

#[test]
fn load_reports_a_missing_file() {
    let e = Config::load(Path::new("/nonexistent/raudit.yaml")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/raudit.yaml: cannot read:"),
        "{e}"
    );
}

#[test]
fn priority_boost_defaults_to_none_and_is_bounded() {
    let base = "output:\n  stdout:\n    enabled: true\nrules:\n  - -e 1\n";
    assert_eq!(parse(base).unwrap().raudit.priority_boost, 0);
    let auditds = format!("{base}raudit:\n  priority_boost: 4\n");
    assert_eq!(parse(&auditds).unwrap().raudit.priority_boost, 4);
    let wild = format!("{base}raudit:\n  priority_boost: 99\n");
    let e = errors(&wild);
    assert!(
        e.iter().any(|l| l.contains("raudit.priority_boost")),
        "{e:?}"
    );
}

#[test]
fn pacing_defaults_on_and_takes_a_bool() {
    let base = "output:\n  stdout:\n    enabled: true\nrules:\n  - -e 1\n";
    assert!(parse(base).unwrap().raudit.pacing);
    let off = format!("{base}raudit:\n  pacing: false\n");
    assert!(!parse(&off).unwrap().raudit.pacing);
    let wrong = format!("{base}raudit:\n  pacing: sometimes\n");
    let e = errors(&wrong);
    assert!(e.iter().any(|l| l.contains("raudit.pacing")), "{e:?}");
}

#[test]
fn receive_buffer_absent_zero_and_set_are_three_cases() {
    let base = "output:\n  stdout:\n    enabled: true\nrules:\n  - -e 1\n";
    let plan = |text: &str| crate::daemon::plan::from_config(&parse(text).unwrap()).unwrap();
    // Absent: raudit's default, from the host's memory.
    let memory = crate::sys::process::physical_memory();
    assert!(memory > 0);
    assert_eq!(
        plan(base).receive_buffer,
        Some(default_receive_buffer(memory))
    );
    // 0: the system's default, as go-audit leaves it.
    let zero = format!("{base}socket_buffer:\n  receive: 0\n");
    assert_eq!(parse(&zero).unwrap().socket_buffer.receive, Some(0));
    assert_eq!(plan(&zero).receive_buffer, None);
    let set = format!("{base}socket_buffer:\n  receive: 16384\n");
    assert_eq!(plan(&set).receive_buffer, Some(16384));
}

#[test]
fn the_default_receive_buffer_follows_the_host_memory_within_bounds() {
    const GIB: u64 = 1 << 30;
    // Small hosts keep the floor; the share is 1/1024 of RAM in between;
    // big hosts stop at the ceiling.
    assert_eq!(default_receive_buffer(0), DEFAULT_RECEIVE_BUFFER_MIN);
    assert_eq!(default_receive_buffer(GIB / 4), 2 << 20);
    assert_eq!(default_receive_buffer(2 * GIB), 2 << 20);
    assert_eq!(default_receive_buffer(4 * GIB), 4 << 20);
    assert_eq!(default_receive_buffer(6 * GIB), 6 << 20);
    assert_eq!(default_receive_buffer(16 * GIB), 16 << 20);
    assert_eq!(default_receive_buffer(24 * GIB), DEFAULT_RECEIVE_BUFFER_MAX);
    assert_eq!(default_receive_buffer(u64::MAX), 16 << 20);
}

#[test]
fn max_event_bytes_defaults_to_the_largest_execve_and_is_range_checked() {
    let c = parse(MINIMAL).unwrap();
    assert_eq!(c.raudit.max_event_bytes, DEFAULT_MAX_EVENT_BYTES);
    assert_eq!(DEFAULT_MAX_EVENT_BYTES, (4 << 20) + (256 << 10));
    for bad in ["4095", "268435457", "big", "-1"] {
        let e = errors(&format!("{MINIMAL}raudit:\n  max_event_bytes: {bad}\n"));
        assert!(
            e.iter()
                .any(|l| l.contains("raudit.max_event_bytes") && l.contains("4096")),
            "{bad}: {e:?}"
        );
    }
}

#[test]
fn metrics_are_off_by_default_and_listen_where_told() {
    assert_eq!(parse(MINIMAL).unwrap().raudit.metrics.listen, None);
    let with = |listen: &str| format!("{MINIMAL}raudit:\n  metrics:\n    listen: \"{listen}\"\n");
    let c = parse(&with("127.0.0.1:9469")).unwrap();
    assert_eq!(
        c.raudit.metrics.listen,
        Some(MetricsAddress::Tcp("127.0.0.1:9469".parse().unwrap()))
    );
    let c = parse(&with("[::1]:9469")).unwrap();
    assert_eq!(
        c.raudit.metrics.listen,
        Some(MetricsAddress::Tcp("[::1]:9469".parse().unwrap()))
    );
    let c = parse(&with("unix:/run/raudit/metrics.sock")).unwrap();
    assert!(
        c.summary()
            .ends_with("; metrics on unix:/run/raudit/metrics.sock"),
        "{}",
        c.summary()
    );
    assert_eq!(
        c.raudit.metrics.listen,
        Some(MetricsAddress::Unix(PathBuf::from(
            "/run/raudit/metrics.sock"
        )))
    );
    assert_eq!(parse(&with("")).unwrap().raudit.metrics.listen, None);
}

#[test]
fn metrics_refuse_remote_addresses_unless_allowed_and_name_bad_ones() {
    let with = |listen: &str, extra: &str| {
        format!("{MINIMAL}raudit:\n  metrics:\n    listen: \"{listen}\"\n{extra}")
    };
    let e = errors(&with("0.0.0.0:9469", "")).join("\n");
    assert!(e.contains("raudit.metrics.listen"), "{e}");
    assert!(e.contains("not a loopback address"), "{e}");
    assert!(e.contains("allow_remote"), "{e}");
    let c = parse(&with("0.0.0.0:9469", "    allow_remote: true\n")).unwrap();
    assert!(c.raudit.metrics.allow_remote);
    assert_eq!(
        c.raudit.metrics.listen,
        Some(MetricsAddress::Tcp("0.0.0.0:9469".parse().unwrap()))
    );
    let e = errors(&with("localhost:9469", "")).join("\n");
    assert!(e.contains("expected an IP address and port"), "{e}");
    let e = errors(&with("unix:relative.sock", "")).join("\n");
    assert!(e.contains("absolute path"), "{e}");
    let e = errors(&format!("{MINIMAL}raudit:\n  metrics:\n    port: 1\n")).join("\n");
    assert!(e.contains("raudit.metrics.port"), "{e}");
}

#[test]
fn file_rotation_is_off_by_default_and_keep_defaults_to_5() {
    let file = "output: {file: {enabled: true, path: /tmp/a.log";
    let c = parse(&format!("{file}}}}}\nrules: ['-e 1']\n")).unwrap();
    assert_eq!(c.output.file.unwrap().rotation, None);
    let c = parse(&format!(
        "{file}, max_bytes: 1048576}}}}\nrules: ['-e 1']\n"
    ))
    .unwrap();
    assert_eq!(
        c.output.file.unwrap().rotation,
        Some(Rotation {
            max_bytes: 1 << 20,
            keep: 5
        })
    );
    let c = parse(&format!(
        "{file}, max_bytes: 8192, keep: 2}}}}\nrules: ['-e 1']\n"
    ))
    .unwrap();
    assert_eq!(c.output.file.unwrap().rotation.unwrap().keep, 2);
    let e = errors(&format!("{file}, max_bytes: 100}}}}\nrules: ['-e 1']\n"));
    assert!(
        e[0].contains("output.file.max_bytes: expected a size in bytes of at least 4096"),
        "{e:?}"
    );
    let e = errors(&format!("{file}, keep: 3}}}}\nrules: ['-e 1']\n"));
    assert!(
        e[0].contains("output.file.keep: has no effect without output.file.max_bytes"),
        "{e:?}"
    );
    let e = errors(&format!(
        "{file}, max_bytes: 8192, keep: 0}}}}\nrules: ['-e 1']\n"
    ));
    assert!(
        e[0].contains("output.file.keep: expected from 1 to 999"),
        "{e:?}"
    );
}

#[test]
fn a_syslog_tag_with_a_newline_is_refused() {
    // Found by the `syslog` fuzz target: the tag is written as it is, so a
    // newline in it split every message in two.
    let text = "output:\n  syslog:\n    enabled: true\n    tag: \"a\\nb\"\nrules: ['-e 1']\n";
    assert_eq!(
        errors(text),
        ["test.yaml:4: output.syslog.tag: expected a tag without control characters (newline, tab, …), found \"a\\nb\""]
    );
}

#[test]
fn otlp_defaults_headers_and_bad_values() {
    let text = "output:\n  otlp: {enabled: true}\nrules: ['-e 1']\n";
    let o = parse(text).unwrap().output.otlp.unwrap();
    assert_eq!(o.endpoint, "http://127.0.0.1:4318/v1/logs");
    assert_eq!(
        (o.attempts, o.batch_events, o.batch_bytes),
        (3, 512, 1 << 20)
    );
    assert_eq!(
        (o.flush_interval, o.timeout),
        (Duration::from_secs(1), Duration::from_secs(10))
    );
    assert!(o.headers.is_empty());

    let text = "output:\n  otlp:\n    enabled: true\n    endpoint: http://c:4318/x\n    batch_events: 10\n    flush_interval: 200ms\n    headers:\n      X-Scope-OrgID: audit\n      Authorization: Bearer t\nrules: ['-e 1']\n";
    let o = parse(text).unwrap().output.otlp.unwrap();
    assert_eq!(
        (o.endpoint.as_str(), o.batch_events),
        ("http://c:4318/x", 10)
    );
    assert_eq!(o.flush_interval, Duration::from_millis(200));
    assert_eq!(
        o.headers,
        [
            ("X-Scope-OrgID".to_owned(), "audit".to_owned()),
            ("Authorization".to_owned(), "Bearer t".to_owned())
        ]
    );

    let text = "output:\n  otlp:\n    enabled: true\n    endpoint: ftp://c:4318\n    batch_events: 0\n    headers:\n      'bad name': x\nrules: ['-e 1']\n";
    let e = errors(text);
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(e.iter().any(|l| l.contains(
        "test.yaml:4: output.otlp.endpoint: ftp://c:4318: expected an http:// or https:// URL"
    )));
    assert!(e.iter().any(|l| l.contains("output.otlp.batch_events: ")));
    assert!(e
        .iter()
        .any(|l| l.contains("output.otlp.headers.bad name: not a valid HTTP header name")));
}

#[test]
fn format_ecs_is_accepted() {
    let text = format!("{MINIMAL}raudit:\n  format: ecs\n");
    let c = parse(&text).unwrap();
    assert_eq!(c.raudit.format, Format::Ecs);
    let e = errors(&format!("{MINIMAL}raudit:\n  format: auditbeat\n"));
    assert!(e.iter().any(|l| l.contains("format")), "{e:?}");
}

#[test]
fn host_name_is_off_unless_asked() {
    let c = parse(&format!("{MINIMAL}raudit:\n  format: structured\n")).unwrap();
    assert!(!c.raudit.host_name);
    let c = parse(&format!("{MINIMAL}raudit:\n  host_name: true\n")).unwrap();
    assert!(c.raudit.host_name);
}

#[test]
fn tls_settings_are_read_for_syslog_and_gelf_over_tcp() {
    let text = "output:\n  syslog:\n    enabled: true\n    network: tcp\n    address: 'h:6514'\n    tls: {enabled: true, ca_file: /c.pem, cert_file: /k.pem, key_file: /k.key, server_name: logs, min_version: '1.3'}\n  gelf:\n    enabled: true\n    network: tcp\n    address: 'g:12201'\n    tls: {enabled: true}\nrules: ['-e 1']\n";
    let c = parse(text).unwrap();
    let tls = c.output.syslog.unwrap().tls.unwrap();
    assert_eq!(tls.ca_file.as_deref(), Some(Path::new("/c.pem")));
    assert_eq!(tls.cert_file.as_deref(), Some(Path::new("/k.pem")));
    assert_eq!(tls.key_file.as_deref(), Some(Path::new("/k.key")));
    assert_eq!(tls.server_name.as_deref(), Some("logs"));
    assert_eq!(tls.min_version, TlsVersion::V1_3);
    let tls = c.output.gelf.unwrap().tls.unwrap();
    assert_eq!((tls.ca_file, tls.cert_file), (None, None));
    assert_eq!(tls.min_version, TlsVersion::V1_2);
    let off = "output: {syslog: {enabled: true, network: tcp, address: 'h:1', tls: {enabled: false, ca_file: /x}}}\nrules: ['-e 1']\n";
    assert_eq!(parse(off).unwrap().output.syslog.unwrap().tls, None);
}

#[test]
fn tls_needs_tcp_both_client_files_and_a_known_version() {
    let e = errors("output: {syslog: {enabled: true, network: udp, address: 'h:1', tls: {enabled: true}}}\nrules: ['-e 1']\n");
    assert!(
        e.iter().any(
            |l| l.contains("output.syslog.tls.enabled") && l.contains("TLS needs network: tcp")
        ),
        "{e:?}"
    );
    // A disabled output's TLS is not checked against its network.
    let c = parse("output: {stdout: {enabled: true}, syslog: {enabled: false, network: udp, tls: {enabled: true}}}\nrules: ['-e 1']\n");
    assert!(c.is_ok(), "{c:?}");
    let e = errors(
        "output: {gelf: {enabled: true, address: 'h:1', tls: {enabled: true}}}\nrules: ['-e 1']\n",
    );
    assert!(
        e.iter().any(|l| l.contains("output.gelf.tls.enabled")),
        "{e:?}"
    );
    let e = errors("output: {gelf: {enabled: true, network: tcp, address: 'h:1', tls: {enabled: true, cert_file: /c}}}\nrules: ['-e 1']\n");
    assert!(
        e.iter()
            .any(|l| l.contains("output.gelf.tls.key_file") && l.contains("go together")),
        "{e:?}"
    );
    let e = errors("output: {gelf: {enabled: true, network: tcp, address: 'h:1', tls: {enabled: true, min_version: '1.1'}}}\nrules: ['-e 1']\n");
    assert!(
        e.iter().any(|l| l.contains("output.gelf.tls.min_version")),
        "{e:?}"
    );
    let e = errors("output: {gelf: {enabled: true, network: tcp, address: 'h:1', tls: {enabled: true, ca: /c}}}\nrules: ['-e 1']\n");
    assert!(e.iter().any(|l| l.contains("output.gelf.tls.ca")), "{e:?}");
}

#[test]
fn every_error_is_one_line_even_with_a_newline_in_a_key() {
    // Found by the `config` fuzz target: a quoted key with a newline made
    // its error two lines.
    let text = "output:\n  gelf:\n    \"ena\\nbled\": true\nrules: ['-e 1']\n";
    let e = errors(text);
    assert!(
        e.iter()
            .any(|l| l.starts_with("test.yaml:3: output.gelf.ena\\nbled: unknown key;")),
        "{e:?}"
    );
    let shown = parse(text).unwrap_err().to_string();
    assert_eq!(
        shown.lines().count(),
        parse(text).unwrap_err().errors.len(),
        "{shown}"
    );
}

#[test]
fn redact_and_fields_are_read() {
    let text = format!(
        "{MINIMAL}raudit:\n  redact:\n    - pattern: '(--password=)\\S+'\n      replace: '${{1}}<r>'\n    - pattern: 'token'\n  fields:\n    SYSCALL: {{drop: [a0, a1]}}\n    path: {{keep: [name]}}\n    1327: {{drop: [proctitle]}}\n"
    );
    let c = parse(&text).unwrap();
    assert_eq!(
        c.raudit.redact,
        vec![
            Redact {
                pattern: r"(--password=)\S+".into(),
                replace: "${1}<r>".into()
            },
            Redact {
                pattern: "token".into(),
                replace: "<redacted>".into()
            },
        ]
    );
    let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        c.raudit.fields,
        vec![
            FieldChoice {
                msg_type: 1300,
                keep: false,
                keys: keys(&["a0", "a1"])
            },
            FieldChoice {
                msg_type: 1302,
                keep: true,
                keys: keys(&["name"])
            },
            FieldChoice {
                msg_type: 1327,
                keep: false,
                keys: keys(&["proctitle"])
            },
        ]
    );
    let off = parse(MINIMAL).unwrap();
    assert!(off.raudit.redact.is_empty() && off.raudit.fields.is_empty());
}

#[test]
fn bad_redact_and_fields_entries_name_the_key_and_value() {
    for (yaml, path, says) in [
        (
            "redact: [{pattern: '('}]",
            "raudit.redact[0]",
            "invalid regex \"(\"",
        ),
        (
            "redact: [{pattern: 'a*'}]",
            "raudit.redact[0]",
            "matches the empty string",
        ),
        (
            "redact: [{replace: x}]",
            "raudit.redact[0]",
            "missing pattern",
        ),
        (
            "redact: [{pattern: '(a)', replace: '$2'}]",
            "raudit.redact[0]",
            "no group 2",
        ),
        ("redact: {pattern: a}", "raudit.redact", "expected a list"),
        (
            "fields: {SYSCALLS: {drop: [a0]}}",
            "raudit.fields.SYSCALLS",
            "unknown record type \"SYSCALLS\": did you mean SYSCALL?",
        ),
        (
            "fields: {PATH: {drop: [a], keep: [b]}}",
            "raudit.fields.PATH",
            "both drop and keep",
        ),
        (
            "fields: {PATH: {keep: []}}",
            "raudit.fields.PATH.keep",
            "an empty list",
        ),
        (
            "fields: {PATH: {keep: ['a b']}}",
            "raudit.fields.PATH.keep[0]",
            "\"a b\"",
        ),
        (
            "fields: {PATH: {hide: [a]}}",
            "raudit.fields.PATH.hide",
            "unknown key",
        ),
        ("fields: {PATH: {}}", "raudit.fields.PATH", "expected drop"),
        ("fields: [PATH]", "raudit.fields", "expected a mapping"),
    ] {
        let e = errors(&format!("{MINIMAL}raudit:\n  {yaml}\n"));
        assert!(
            e.iter().any(|l| l.contains(path) && l.contains(says)),
            "{yaml}: {e:?}"
        );
    }
}

#[test]
fn a_spool_is_off_by_default_and_read_for_stream_outputs_and_otlp() {
    let c =
        parse("output: {syslog: {enabled: true, network: tcp, address: 'h:1'}}\nrules: ['-e 1']\n")
            .unwrap();
    assert_eq!(c.output.syslog.unwrap().spool, None);
    let c = parse("output:\n  syslog: {enabled: true, network: tcp, address: 'h:1', spool: {path: /var/lib/raudit/spool/syslog}}\n  gelf: {enabled: true, network: tcp, address: 'h:2', spool: {path: /s/gelf, max_bytes: 65536}}\n  otlp: {enabled: true, spool: {path: /s/otlp}}\nrules: ['-e 1']\n").unwrap();
    let syslog = c.output.syslog.unwrap().spool.unwrap();
    assert_eq!(
        (syslog.path, syslog.max_bytes),
        (PathBuf::from("/var/lib/raudit/spool/syslog"), 64 << 20)
    );
    assert_eq!(c.output.gelf.unwrap().spool.unwrap().max_bytes, 65536);
    assert!(c.output.otlp.unwrap().spool.is_some());
}

#[test]
fn a_spool_needs_a_transport_that_tells_delivery_an_absolute_path_and_room() {
    let e = errors(
        "output: {gelf: {enabled: true, address: 'h:1', spool: {path: /s/g}}}\nrules: ['-e 1']\n",
    );
    assert!(
        e.iter()
            .any(|l| l.contains("output.gelf.spool.path") && l.contains("over UDP")),
        "{e:?}"
    );
    let e = errors("output: {syslog: {enabled: true, network: udp, address: 'h:1', spool: {path: /s/g}}}\nrules: ['-e 1']\n");
    assert!(
        e.iter().any(|l| l.contains("output.syslog.spool.path")),
        "{e:?}"
    );
    let e = errors("output: {otlp: {enabled: true, spool: {path: rel/otlp}}}\nrules: ['-e 1']\n");
    assert!(e.iter().any(|l| l.contains("absolute")), "{e:?}");
    let e = errors(
        "output: {otlp: {enabled: true, spool: {path: /s/o, max_bytes: 1000}}}\nrules: ['-e 1']\n",
    );
    assert!(
        e.iter().any(|l| l.contains("output.otlp.spool.max_bytes")),
        "{e:?}"
    );
    let e =
        errors("output: {otlp: {enabled: true, spool: {max_bytes: 100000}}}\nrules: ['-e 1']\n");
    assert!(
        e.iter()
            .any(|l| l.contains("has no effect without spool.path")),
        "{e:?}"
    );
}

#[test]
fn otlp_tls_is_read_and_needs_an_https_endpoint() {
    let c = parse("output: {otlp: {enabled: true, endpoint: 'https://c/v1/logs', tls: {enabled: true, ca_file: /ca.pem}}}\nrules: ['-e 1']\n").unwrap();
    let tls = c.output.otlp.unwrap().tls.unwrap();
    assert_eq!(tls.ca_file, Some(PathBuf::from("/ca.pem")));
    let e = errors("output: {otlp: {enabled: true, endpoint: 'http://c:1', tls: {enabled: true}}}\nrules: ['-e 1']\n");
    assert!(
        e.iter()
            .any(|l| l.contains("output.otlp.tls") && l.contains("https://")),
        "{e:?}"
    );
}

/// The endpoint's scheme is read in any case (`HTTPS://` is TLS, as the
/// output's URL parser reads it), so `tls` with it is not refused as if
/// the endpoint were plain http.
#[test]
fn otlp_tls_takes_an_https_endpoint_in_any_case() {
    let c = parse("output: {otlp: {enabled: true, endpoint: 'HTTPS://c/v1/logs', tls: {enabled: true, server_name: c}}}\nrules: ['-e 1']\n").unwrap();
    let otlp = c.output.otlp.unwrap();
    assert!(otlp.tls.is_some());
    let e = errors("output: {otlp: {enabled: true, endpoint: 'HTTP://c:1', tls: {enabled: true}}}\nrules: ['-e 1']\n");
    assert!(
        e.iter()
            .any(|l| l.contains("output.otlp.tls") && l.contains("https://")),
        "{e:?}"
    );
}

/// A header the request already carries or whose meaning is the body's
/// framing (raudit writes Host, Content-Type and Content-Length itself,
/// and neither chunks nor compresses the body) is refused: sent twice or
/// wrong, it made every request malformed (a 400 drops the batch), while
/// check-config said ok.
#[test]
fn otlp_headers_that_raudit_writes_or_that_frame_the_body_are_refused() {
    for name in [
        "Host",
        "content-length",
        "Content-Type",
        "Transfer-Encoding",
        "Content-Encoding",
    ] {
        let text = format!(
            "output:\n  otlp:\n    enabled: true\n    headers:\n      {name}: x\nrules: ['-e 1']\n"
        );
        let e = errors(&text);
        assert_eq!(e.len(), 1, "{name}: {e:?}");
        assert!(
            e[0].starts_with(&format!("test.yaml:5: output.otlp.headers.{name}: ")),
            "{name}: {e:?}"
        );
    }
    let ok = "output:\n  otlp:\n    enabled: true\n    headers: {Authorization: Bearer t, X-Content-Length: 1}\nrules: ['-e 1']\n";
    assert_eq!(parse(ok).unwrap().output.otlp.unwrap().headers.len(), 2);
}

/// YAML merge keys (`<<: *anchor`, or a list of them), which go-audit's
/// YAML library (yaml.v3, through viper) applies: the mapping gets the
/// anchored entries it does not set itself.
#[test]
fn merge_keys_apply_as_in_go_audit() {
    let text = "\
defaults: &out
  enabled: true
  attempts: 2
extra: &more
  attempts: 9
  network: tcp
output:
  stdout:
    <<: *out
  gelf:
    <<: [*out, *more]
    attempts: 4
    address: 127.0.0.1:12201
rules: ['-e 1']
";
    let c = parse(text).unwrap();
    assert_eq!(c.output.stdout, Some(StdoutConfig { attempts: 2 }));
    let gelf = c.output.gelf.unwrap();
    assert_eq!(gelf.attempts, 4);
    assert_eq!(gelf.network, GelfNetwork::Tcp);
    let e = errors("output:\n  stdout:\n    <<: 5\n    enabled: true\nrules: ['-e 1']\n");
    assert!(
        e.iter()
            .any(|l| l.starts_with("test.yaml:3: ") && l.contains("<<")),
        "{e:?}"
    );
}

/// A file that is not UTF-8 (a Latin-1 comment) is refused naming the line
/// and column of the first byte that is not, by every reader of the file
/// (the daemon's start and check-config, SIGHUP, replay).
#[test]
fn a_file_that_is_not_utf8_names_the_line_and_column() {
    let dir = ScratchDir::new("latin1");
    let path = dir.join("raudit.yaml");
    std::fs::write(
        &path,
        b"output:\n  stdout:\n    enabled: true # caf\xe9\nrules: ['-e 1']\n",
    )
    .unwrap();
    let shown = path.display().to_string();
    let e = Config::load(&path).unwrap_err().to_string();
    let (config, partial) = Config::load_partial(&path);
    assert!(
        e.starts_with(&format!(
            "{shown}:3: not UTF-8 text: byte 0xe9 at column 24"
        )),
        "{e}"
    );
    assert!(config.is_none());
    assert_eq!(partial.unwrap().to_string(), e);
}

/// A syslog (udp, tcp) or GELF address without a port, or whose port is
/// not a number from 1 to 65535, can never be dialled: an error at its
/// line (go-audit refuses to start with it too), not a warning that it
/// "does not resolve now" while every event to the output is lost.
#[test]
fn an_ip_address_without_a_usable_port_is_an_error() {
    for (output, address) in [
        ("gelf: {enabled: true", "localhost"),
        ("gelf: {enabled: true, network: tcp", "127.0.0.1:99999"),
        ("syslog: {enabled: true, network: udp", "localhost:abc"),
        ("syslog: {enabled: true, network: tcp6", "[::1]"),
        ("syslog: {enabled: true, network: tcp", ":514"),
    ] {
        let name = output.split(':').next().unwrap();
        let e = errors(&format!(
            "output:\n  {output},\n    address: '{address}'}}\nrules: ['-e 1']\n"
        ));
        assert_eq!(e.len(), 1, "{address}: {e:?}");
        assert!(
            e[0].starts_with(&format!(
                "test.yaml:3: output.{name}.address: expected host:port"
            )),
            "{address}: {e:?}"
        );
    }
    for (output, address) in [
        ("gelf: {enabled: true", "localhost:12201"),
        ("syslog: {enabled: true, network: udp6", "[::1]:514"),
        (
            "syslog: {enabled: true, network: tcp",
            "logs.example.org:6514",
        ),
    ] {
        let text = format!("output:\n  {output},\n    address: '{address}'}}\nrules: ['-e 1']\n");
        assert!(parse(&text).is_ok(), "{address}: {:?}", parse(&text).err());
    }
}

/// go-audit's `extras.cgroups.enabled` (`"extras":{"cgroup_root":…}` on
/// each message) and `extras.containers.docker`/`containerd` (the image,
/// name and pod fields) are read but not acted on: the config says so
/// (a warning at start and in check-config) instead of the fields
/// silently missing from every event.
#[test]
fn go_audit_extras_raudit_does_not_write_are_warnings() {
    let text = format!(
        "{MINIMAL}extras:\n  containers: {{enabled: true, docker: true, containerd: true}}\n  cgroups: {{enabled: true}}\n"
    );
    let c = parse(&text).unwrap();
    assert_eq!(c.warnings.len(), 3, "{:?}", c.warnings);
    assert!(
        c.warnings[0].starts_with("test.yaml:7: extras.containers.docker: warning: ")
            && c.warnings[0].contains("image"),
        "{:?}",
        c.warnings
    );
    assert!(
        c.warnings[1].starts_with("test.yaml:7: extras.containers.containerd: warning: "),
        "{:?}",
        c.warnings
    );
    assert!(
        c.warnings[2].starts_with("test.yaml:8: extras.cgroups.enabled: warning: ")
            && c.warnings[2].contains("cgroup_root"),
        "{:?}",
        c.warnings
    );
    // Off (go-audit's example: every one false), nothing is said.
    let off = format!("{MINIMAL}extras:\n  containers: {{enabled: true, docker: false}}\n  cgroups: {{enabled: false}}\n");
    assert!(parse(&off).unwrap().warnings.is_empty());
}

/// A unix socket path longer than a sockaddr_un holds (107 bytes) can never
/// be bound or connected: an error at its line, for the metrics endpoint
/// (the start failed with "path must be shorter than SUN_LEN" after
/// check-config said ok) and a unix syslog address (never connected,
/// every event lost).
#[test]
fn a_unix_socket_path_too_long_for_sockaddr_un_is_an_error() {
    let long = format!("/run/{}", "d".repeat(103)); // 108 bytes
    let fits = format!("/run/{}", "d".repeat(102)); // 107 bytes
    let metrics = |path: &str| format!("{MINIMAL}raudit:\n  metrics:\n    listen: unix:{path}\n");
    let e = errors(&metrics(&long));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("test.yaml:8: raudit.metrics.listen: "),
        "{e:?}"
    );
    assert!(e[0].contains("107 bytes"), "{e:?}");
    assert!(parse(&metrics(&fits)).is_ok());
    for network in ["unix", "unixgram"] {
        let syslog = |path: &str| {
            format!("output:\n  syslog:\n    enabled: true\n    network: {network}\n    address: {path}\nrules: ['-e 1']\n")
        };
        let e = errors(&syslog(&long));
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with("test.yaml:5: output.syslog.address: "),
            "{e:?}"
        );
        assert!(parse(&syslog(&fits)).is_ok());
    }
}

/// readlog mode touches no kernel setting (the plan applies
/// `raudit.kernel` with the rules, in daemon mode only): a
/// `backlog_wait_time` there is an error at its line, as rules are, not
/// silently left unapplied.
#[test]
fn readlog_mode_sets_no_kernel_setting() {
    let e = errors(
        "output: {stdout: {enabled: true}}\nraudit:\n  mode: readlog\n  kernel:\n    backlog_wait_time: 60000\n",
    );
    assert_eq!(
        e,
        ["test.yaml:5: raudit.kernel.backlog_wait_time: raudit.mode is readlog, which changes no kernel setting; remove it or use mode daemon"]
    );
    let c = parse(
        "output: {stdout: {enabled: true}}\nraudit:\n  kernel:\n    backlog_wait_time: 60000\n",
    )
    .unwrap();
    assert_eq!(c.raudit.kernel.backlog_wait_time, Some(60000));
}

#[test]
fn a_file_mode_in_octal_digits_without_its_zero_is_read_as_decimal_and_said() {
    let with = |mode: &str| {
        format!("output:\n  file:\n    enabled: true\n    path: /tmp/x.log\n    mode: {mode}\n")
    };
    let c = parse(&with("644")).unwrap();
    assert_eq!(c.output.file.as_ref().unwrap().mode, 644);
    assert_eq!(
        c.warnings,
        ["test.yaml:5: output.file.mode: warning: 644 is decimal (01204 octal), as in go-audit; write 0644 for octal"]
    );
    for quiet in ["0644", "0o600", "384", "12"] {
        let c = parse(&with(quiet)).unwrap();
        assert!(c.warnings.is_empty(), "{quiet}: {:?}", c.warnings);
    }
}
