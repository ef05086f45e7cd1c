//! go-audit's keys, values and defaults read as go-audit reads them (its
//! example file, octal modes, key case, merge keys, extras it writes).

use std::time::Duration;

use super::*;

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
    let text = include_str!("../../../../contrib/raudit.yaml.example");
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
fn keys_match_in_any_case_as_viper_does() {
    let c = parse("Output:\n  StdOut:\n    Enabled: True\nRULES: ['-e 1']\n").unwrap();
    assert!(c.output.stdout.is_some());
    assert!(errors(&format!(
        "{MINIMAL}Events: {{min: 1}}\nevents: {{max: 2}}\n"
    ))[0]
        .contains("events: duplicate key (first on line 6)"));
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
