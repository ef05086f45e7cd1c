//! raudit's own keys (`raudit.*`): queue, rules, kernel settings, buffers,
//! metrics, format, redact and fields: their defaults, values and errors.

use std::time::Duration;

use super::*;

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
fn summary_names_what_is_enabled() {
    let s = Config::default_builtin().summary();
    assert_eq!(
        s,
        "mode daemon; outputs: stdout; 3 rules; 0 filters; events 1300..=1399"
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
