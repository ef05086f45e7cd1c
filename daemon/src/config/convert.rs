//! The node tree to [`Config`], section by section, collecting every error.
//! Outputs are in `outputs.rs`; how scalars are read is in `values.rs`.

use std::path::PathBuf;
use std::time::Duration;

use super::error::ConfigError;
use super::outputs::outputs;
use super::values::{describe, Cx, Fields};
use super::yaml::{self, Kind, Node};
use super::{
    AssemblerConfig, Config, Containers, EventRange, Extras, Filter, Format, Kernel, LogConfig,
    MessageTracking, MetricsAddress, MetricsConfig, Mode, QueueConfig, QueuePolicy, Raudit,
    RulesPolicy, SocketBuffer, StatsConfig,
};
use crate::accounts::Accounts;
use crate::rules::compile::{compile_line, CompileOptions};

const TOP_KEYS: &[&str] = &[
    "socket_buffer",
    "events",
    "message_tracking",
    "output",
    "log",
    "rules",
    "filters",
    "extras",
    "raudit",
];
const SOCKET_BUFFER_KEYS: &[&str] = &["receive"];
const EVENTS_KEYS: &[&str] = &["min", "max"];
const TRACKING_KEYS: &[&str] = &["enabled", "log_out_of_order", "max_out_of_order"];
const LOG_KEYS: &[&str] = &["flags"];
const FILTER_KEYS: &[&str] = &["syscall", "message_type", "regex"];
const EXTRAS_KEYS: &[&str] = &["containers", "cgroups"];
const CGROUPS_KEYS: &[&str] = &["enabled"];
const CONTAINERS_KEYS: &[&str] = &[
    "enabled",
    "containerd",
    "containerd_sock",
    "containerd_namespace",
    "docker",
    "docker_api_version",
    "pid_cache",
    "docker_cache",
    "containerd_cache",
];
const RAUDIT_KEYS: &[&str] = &[
    "mode",
    "takeover",
    "priority_boost",
    "pacing",
    "format",
    "host_name",
    "redact",
    "fields",
    "max_event_bytes",
    "queue",
    "assembler",
    "stats",
    "metrics",
    "rules",
    "kernel",
    "state_file",
];
const QUEUE_KEYS: &[&str] = &["size", "buffer_size", "policy", "wait"];
const ASSEMBLER_KEYS: &[&str] = &["max_events", "max_records", "arena_bytes", "timeout"];
const STATS_KEYS: &[&str] = &["interval", "file"];
const METRICS_KEYS: &[&str] = &["listen", "allow_remote"];
const RULES_POLICY_KEYS: &[&str] = &[
    "drift_interval",
    "drift_restore",
    "allow_lock",
    "allow_panic",
    "files",
];
const KERNEL_KEYS: &[&str] = &["backlog_wait_time"];

/// Compiled size limits per filter regex, so filters stay within the
/// daemon's memory budget.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
const REGEX_DFA_LIMIT: usize = 256 << 10;
/// The largest audit record (`MAX_AUDIT_MESSAGE_LENGTH`): the arena must hold one.
const MAX_RECORD: u32 = 8970;
/// Bounds of `raudit.max_event_bytes`: room for an ordinary event's
/// records whole, up to 256 MiB (reserved address space, not memory).
const MIN_EVENT_BYTES: u32 = 4096;
const MAX_EVENT_BYTES: u32 = 256 << 20;

/// What conversion found: the config (defaults where values were wrong;
/// `None` when the YAML is broken), errors and warnings.
pub(super) struct Converted {
    pub config: Option<Config>,
    pub errors: Vec<ConfigError>,
    pub warnings: Vec<ConfigError>,
}

/// Parses and converts `text`, collecting every error and warning. A
/// leading byte-order mark is skipped (editors on other systems write one).
pub(super) fn convert(text: &str, accounts: &dyn Accounts) -> Converted {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root = match yaml::parse(text) {
        Ok(root) => root,
        Err(e) => {
            return Converted {
                config: None,
                errors: vec![e],
                warnings: Vec::new(),
            }
        }
    };
    let mut cx = Cx {
        errors: Vec::new(),
        warnings: Vec::new(),
        accounts,
    };
    let config = document(&mut cx, root.as_ref());
    Converted {
        config: Some(config),
        errors: cx.errors,
        warnings: cx.warnings,
    }
}

fn document(cx: &mut Cx, root: Option<&Node>) -> Config {
    let top = cx.fields(root, "", 1, TOP_KEYS);
    let raudit = raudit(cx, &top);
    Config {
        socket_buffer: socket_buffer(cx, &top),
        events: events(cx, &top),
        message_tracking: message_tracking(cx, &top),
        output: outputs(cx, top.get("output"), top.line),
        log: log(cx, &top),
        rules: rules(cx, &top, &raudit),
        filters: filters(cx, &top),
        extras: extras(cx, &top),
        raudit,
        warnings: Vec::new(),
    }
}

fn socket_buffer(cx: &mut Cx, top: &Fields) -> SocketBuffer {
    let f = cx.fields(
        top.get("socket_buffer"),
        "socket_buffer",
        top.line,
        SOCKET_BUFFER_KEYS,
    );
    let receive = cx.u32(&f, "receive", 0, i32::MAX as u32, "a size in bytes");
    SocketBuffer { receive }
}

fn events(cx: &mut Cx, top: &Fields) -> EventRange {
    let f = cx.fields(top.get("events"), "events", top.line, EVENTS_KEYS);
    let default = EventRange::default();
    let what = "a record type from 0 to 65535";
    let min = cx.int(&f, "min", 0, 0xffff, what);
    let max = cx.int(&f, "max", 0, 0xffff, what);
    let range = EventRange {
        min: min
            .and_then(|v| u16::try_from(v).ok())
            .unwrap_or(default.min),
        max: max
            .and_then(|v| u16::try_from(v).ok())
            .unwrap_or(default.max),
    };
    if range.min > range.max {
        let line = f.get("min").map_or(f.line, |n| n.line);
        cx.error(
            "events",
            line,
            format!(
                "min ({}) is greater than max ({}): no event would be captured",
                range.min, range.max
            ),
        );
    }
    range
}

fn message_tracking(cx: &mut Cx, top: &Fields) -> MessageTracking {
    let f = cx.fields(
        top.get("message_tracking"),
        "message_tracking",
        top.line,
        TRACKING_KEYS,
    );
    let default = MessageTracking::default();
    MessageTracking {
        enabled: cx.bool(&f, "enabled").unwrap_or(default.enabled),
        log_out_of_order: cx
            .bool(&f, "log_out_of_order")
            .unwrap_or(default.log_out_of_order),
        max_out_of_order: cx
            .u32(
                &f,
                "max_out_of_order",
                0,
                i32::MAX as u32,
                "a count of serials",
            )
            .unwrap_or(default.max_out_of_order),
    }
}

fn log(cx: &mut Cx, top: &Fields) -> LogConfig {
    let f = cx.fields(top.get("log"), "log", top.line, LOG_KEYS);
    LogConfig {
        flags: cx
            .u32(&f, "flags", 0, 127, "Go log flags from 0 to 127")
            .unwrap_or(0),
    }
}

/// `rules`: strings, empty ones dropped as go-audit skips them. A daemon
/// with none (and no `raudit.rules.files`) keeps the kernel's current
/// rules; readlog loads none.
fn rules(cx: &mut Cx, top: &Fields, raudit: &Raudit) -> Vec<String> {
    let mut rules = Vec::new();
    let node = top.get("rules");
    let items = match node.map(|n| &n.kind) {
        None => &[][..],
        Some(Kind::Seq(items)) => items.as_slice(),
        Some(_) => {
            let node = node.map_or(top.line, |n| n.line);
            cx.error("rules", node, "expected a list of auditctl rules");
            return rules;
        }
    };
    let options = raudit.rules.compile_options();
    for (i, item) in items.iter().enumerate() {
        let path = format!("rules[{i}]");
        let Kind::Scalar { text, .. } = &item.kind else {
            cx.error(
                &path,
                item.line,
                format!("expected an auditctl rule, found {}", describe(item)),
            );
            continue;
        };
        let rule = text.trim();
        if rule.is_empty() {
            continue;
        }
        compile_rule(cx, &path, item.line, rule, &options);
        rules.push(rule.to_string());
    }
    let line = node.map_or(top.line, |n| n.line);
    match raudit.mode {
        Mode::Readlog if !rules.is_empty() => cx.error(
            "rules",
            line,
            "raudit.mode is readlog, which loads no rules; remove them or use mode daemon",
        ),
        _ => {}
    }
    rules
}

/// Compiles one rule as the daemon will load it (the same function and
/// options), so a rule the daemon would refuse is an error here, at its
/// line, naming the word and what was expected; `-e 2` (lock until reboot)
/// and `-f 2` (panic on loss) without their `raudit.rules.allow_*` key
/// ([`guard`](crate::rules::guard)) name the key.
fn compile_rule(cx: &mut Cx, path: &str, line: usize, rule: &str, options: &CompileOptions) {
    if let Err(e) = compile_line(rule, options) {
        let message = if let Some(refused) = e.refused {
            refused.to_string()
        } else if e.token.is_empty() {
            format!("`{rule}`: at the end of the rule: expected {}", e.expected)
        } else {
            format!(
                "`{rule}`: word `{}` (column {}): expected {}",
                e.token,
                e.column + 1,
                e.expected
            )
        };
        cx.error(path, line, message);
    }
}

/// `filters`, as go-audit's `createFilters`, each error naming its index.
fn filters(cx: &mut Cx, top: &Fields) -> Vec<Filter> {
    let mut filters = Vec::new();
    let items = match top.get("filters").map(|n| (&n.kind, n.line)) {
        None => return filters,
        Some((Kind::Seq(items), _)) => items,
        Some((_, line)) => {
            cx.error(
                "filters",
                line,
                "expected a list of {syscall, message_type, regex}",
            );
            return filters;
        }
    };
    for (i, item) in items.iter().enumerate() {
        if let Some(filter) = filter(cx, item, &format!("filters[{i}]")) {
            filters.push(filter);
        }
    }
    filters
}

fn filter(cx: &mut Cx, item: &Node, path: &str) -> Option<Filter> {
    let f = cx.fields(Some(item), path, item.line, FILTER_KEYS);
    let syscall = cx.u32(&f, "syscall", 0, u32::MAX, "a syscall number");
    let message_type = cx.int(
        &f,
        "message_type",
        1,
        0xffff,
        "a record type from 1 to 65535",
    );
    let regex = f.get("regex").and_then(|node| {
        let Kind::Scalar { text, .. } = &node.kind else {
            cx.error(
                &f.path("regex"),
                node.line,
                format!("expected a regex, found {}", describe(node)),
            );
            return None;
        };
        // Go's regexp classes (\d, \w, \s, \b) are ASCII; so are ours. Without
        // Unicode mode the regex crate needs none of its Unicode tables,
        // which would otherwise stay resident (~0.5 MB) for the daemon's
        // life; `.` then matches any byte, as the data is bytes anyway.
        match regex::bytes::RegexBuilder::new(text)
            .unicode(false)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_DFA_LIMIT)
            .build()
        {
            Ok(re) => Some(re),
            Err(e) => {
                // The regex crate's message spans lines (pattern, caret,
                // reason); keep the reason so errors stay one per line.
                let reason = e.to_string();
                let reason = reason.lines().last().unwrap_or("").trim();
                let reason = reason.strip_prefix("error: ").unwrap_or(reason);
                cx.error(
                    &f.path("regex"),
                    node.line,
                    format!("invalid regex {text:?}: {reason}"),
                );
                None
            }
        }
    });
    let has = |key| f.get(key).is_some();
    if !has("regex") {
        cx.error(path, item.line, "missing regex");
    }
    if !has("message_type") {
        cx.error(path, item.line, "missing message_type");
    }
    // Without `syscall`, go-audit keys the filter on "", the syscall of
    // events that have none: `syscall: None` keeps that meaning.
    Some(Filter {
        syscall,
        message_type: u16::try_from(message_type?).ok()?,
        regex: regex?,
    })
}

fn extras(cx: &mut Cx, top: &Fields) -> Extras {
    let f = cx.fields(top.get("extras"), "extras", top.line, EXTRAS_KEYS);
    let g = cx.fields(f.get("cgroups"), &f.path("cgroups"), f.line, CGROUPS_KEYS);
    let c = cx.fields(
        f.get("containers"),
        &f.path("containers"),
        f.line,
        CONTAINERS_KEYS,
    );
    let d = Containers::default();
    let cache = |cx: &mut Cx, key| {
        cx.u32(
            &c,
            key,
            0,
            i32::MAX as u32,
            "a number of entries (0: no cache)",
        )
    };
    let extras = Extras {
        cgroups: cx.bool(&g, "enabled").unwrap_or(false),
        containers: Containers {
            enabled: cx.bool(&c, "enabled").unwrap_or(d.enabled),
            containerd: cx.bool(&c, "containerd").unwrap_or(d.containerd),
            containerd_sock: cx
                .string(&c, "containerd_sock")
                .filter(|s| !s.is_empty())
                .map_or(d.containerd_sock, PathBuf::from),
            containerd_namespace: cx
                .string(&c, "containerd_namespace")
                .filter(|s| !s.is_empty()),
            docker: cx.bool(&c, "docker").unwrap_or(d.docker),
            docker_api_version: cx
                .string(&c, "docker_api_version")
                .filter(|s| !s.is_empty()),
            pid_cache: cache(cx, "pid_cache").unwrap_or(d.pid_cache),
            docker_cache: cache(cx, "docker_cache").unwrap_or(d.docker_cache),
            containerd_cache: cache(cx, "containerd_cache").unwrap_or(d.containerd_cache),
        },
    };
    // go-audit's extras that raudit reads but does not write: said, so
    // their fields are not missing from every event without a word.
    let not_written = |cx: &mut Cx, f: &Fields, key: &str, what: &str| {
        let line = f.get(key).map_or(f.line, |n| n.line);
        cx.warnings.push(ConfigError::new(
            &f.path(key),
            Some(line),
            format!("warning: {what}"),
        ));
    };
    let details = "raudit does not ask it for container details: \"containers\" has the id \
                   only, without go-audit's image, name, pod_uid, pod_name and pod_namespace";
    if extras.containers.enabled && extras.containers.docker {
        not_written(cx, &c, "docker", details);
    }
    if extras.containers.enabled && extras.containers.containerd {
        not_written(cx, &c, "containerd", details);
    }
    if extras.cgroups {
        not_written(
            cx,
            &g,
            "enabled",
            "raudit does not write go-audit's \"extras\":{\"cgroup_root\":...}; events carry \
             no cgroup path (extras.containers gives the container id)",
        );
    }
    extras
}

/// `raudit`: raudit's own section.
fn raudit(cx: &mut Cx, top: &Fields) -> Raudit {
    let f = cx.fields(top.get("raudit"), "raudit", top.line, RAUDIT_KEYS);
    let d = Raudit::default();
    let mode = cx
        .choice(
            &f,
            "mode",
            &[("daemon", Mode::Daemon), ("readlog", Mode::Readlog)],
        )
        .unwrap_or(d.mode);
    Raudit {
        mode,
        takeover: cx.bool(&f, "takeover").unwrap_or(d.takeover),
        priority_boost: cx
            .u32(&f, "priority_boost", 0, 20, "a nice decrement from 0 to 20")
            .unwrap_or(d.priority_boost),
        pacing: cx.bool(&f, "pacing").unwrap_or(d.pacing),
        format: cx
            .choice(
                &f,
                "format",
                &[
                    ("go-audit", Format::GoAudit),
                    ("structured", Format::Structured),
                    ("ecs", Format::Ecs),
                ],
            )
            .unwrap_or(d.format),
        host_name: cx.bool(&f, "host_name").unwrap_or(d.host_name),
        redact: super::rewrite::redact(cx, &f),
        fields: super::rewrite::fields(cx, &f),
        max_event_bytes: cx
            .u32(
                &f,
                "max_event_bytes",
                MIN_EVENT_BYTES,
                MAX_EVENT_BYTES,
                "bytes from 4096 to 268435456",
            )
            .unwrap_or(d.max_event_bytes),
        queue: queue(cx, &f),
        assembler: assembler(cx, &f),
        stats: stats(cx, &f),
        metrics: metrics(cx, &f),
        rules: rules_policy(cx, &f, mode),
        kernel: kernel(cx, &f, mode),
        state_file: state_file(cx, &f).unwrap_or(d.state_file),
    }
}

/// `raudit.state_file`: an absolute path (its directory is created at
/// start if missing).
fn state_file(cx: &mut Cx, f: &Fields) -> Option<PathBuf> {
    let path = cx.string(f, "state_file")?;
    if !path.starts_with('/') {
        cx.error_at(
            f,
            "state_file",
            format!("expected an absolute path, found {path:?}"),
        );
        return None;
    }
    Some(PathBuf::from(path))
}

fn queue(cx: &mut Cx, r: &Fields) -> QueueConfig {
    let f = cx.fields(r.get("queue"), &r.path("queue"), r.line, QUEUE_KEYS);
    let d = QueueConfig::default();
    QueueConfig {
        size: cx
            .u32(
                &f,
                "size",
                1,
                1 << 16,
                "a number of buffers from 1 to 65536",
            )
            .or(d.size),
        buffer_size: cx
            .u32(
                &f,
                "buffer_size",
                1024,
                64 << 20,
                "bytes per buffer from 1024 to 67108864",
            )
            .unwrap_or(d.buffer_size),
        policy: cx
            .choice(
                &f,
                "policy",
                &[("drop", QueuePolicy::Drop), ("block", QueuePolicy::Block)],
            )
            .unwrap_or(d.policy),
        wait: cx
            .duration(&f, "wait", Duration::ZERO, Duration::from_secs(10))
            .unwrap_or(d.wait),
    }
}

fn assembler(cx: &mut Cx, r: &Fields) -> AssemblerConfig {
    let f = cx.fields(
        r.get("assembler"),
        &r.path("assembler"),
        r.line,
        ASSEMBLER_KEYS,
    );
    let d = AssemblerConfig::default();
    let a = AssemblerConfig {
        max_events: cx
            .u32(
                &f,
                "max_events",
                1,
                1 << 20,
                "a number of events from 1 to 1048576",
            )
            .unwrap_or(d.max_events),
        max_records: cx
            .u32(
                &f,
                "max_records",
                1,
                1 << 22,
                "a number of records from 1 to 4194304",
            )
            .unwrap_or(d.max_records),
        arena_bytes: cx
            .u32(
                &f,
                "arena_bytes",
                MAX_RECORD,
                1 << 30,
                "bytes from 8970 (one record) to 1073741824",
            )
            .unwrap_or(d.arena_bytes),
        timeout: cx
            .duration(
                &f,
                "timeout",
                Duration::from_millis(1),
                Duration::from_secs(3600),
            )
            .unwrap_or(d.timeout),
    };
    if a.max_records < a.max_events {
        cx.error_at(
            &f,
            "max_records",
            format!(
                "must be at least max_events ({}), found {}",
                a.max_events, a.max_records
            ),
        );
    }
    a
}

fn stats(cx: &mut Cx, r: &Fields) -> StatsConfig {
    let f = cx.fields(r.get("stats"), &r.path("stats"), r.line, STATS_KEYS);
    let d = StatsConfig::default();
    StatsConfig {
        interval: cx
            .duration(&f, "interval", Duration::ZERO, Duration::from_secs(86_400))
            .unwrap_or(d.interval),
        file: cx
            .string(&f, "file")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from),
    }
}

fn metrics(cx: &mut Cx, r: &Fields) -> MetricsConfig {
    let f = cx.fields(r.get("metrics"), &r.path("metrics"), r.line, METRICS_KEYS);
    let allow_remote = cx.bool(&f, "allow_remote").unwrap_or(false);
    let line = f.get("listen").map_or(f.line, |n| n.line);
    let listen = cx
        .string(&f, "listen")
        .filter(|s| !s.trim().is_empty())
        .and_then(|text| match metrics_address(text.trim(), allow_remote) {
            Ok(address) => Some(address),
            Err(message) => {
                cx.error(&f.path("listen"), line, message);
                None
            }
        });
    MetricsConfig {
        listen,
        allow_remote,
    }
}

/// `raudit.metrics.listen`: `IP:PORT` (loopback unless `allow_remote`) or
/// `unix:/absolute/path`.
fn metrics_address(text: &str, allow_remote: bool) -> Result<MetricsAddress, String> {
    if let Some(path) = text.strip_prefix("unix:") {
        return if let Some(problem) = super::values::unix_path_problem(path) {
            Err(problem)
        } else if path.starts_with('/') {
            Ok(MetricsAddress::Unix(PathBuf::from(path)))
        } else {
            Err(format!(
                "expected unix: and an absolute path, found {text:?}"
            ))
        };
    }
    let addr: std::net::SocketAddr = text.parse().map_err(|_| {
        format!(
            "expected an IP address and port (127.0.0.1:9469, [::1]:9469) or unix:/path, found {text:?}"
        )
    })?;
    if !addr.ip().is_loopback() && !allow_remote {
        return Err(format!(
            "{addr} is not a loopback address and the metrics endpoint has no authentication; \
             set raudit.metrics.allow_remote: true to serve it there"
        ));
    }
    Ok(MetricsAddress::Tcp(addr))
}

fn rules_policy(cx: &mut Cx, r: &Fields, mode: Mode) -> RulesPolicy {
    let f = cx.fields(r.get("rules"), &r.path("rules"), r.line, RULES_POLICY_KEYS);
    let d = RulesPolicy::default();
    RulesPolicy {
        drift_interval: cx
            .duration(
                &f,
                "drift_interval",
                Duration::ZERO,
                Duration::from_secs(86_400),
            )
            .unwrap_or(d.drift_interval),
        drift_restore: cx.bool(&f, "drift_restore").unwrap_or(d.drift_restore),
        allow_lock: cx.bool(&f, "allow_lock").unwrap_or(d.allow_lock),
        allow_panic: cx.bool(&f, "allow_panic").unwrap_or(d.allow_panic),
        files: rules_files(cx, &f, mode),
    }
}

/// `raudit.rules.files`: absolute paths, globs in the file name allowed;
/// none in readlog mode, which loads no rules.
fn rules_files(cx: &mut Cx, f: &Fields, mode: Mode) -> Vec<String> {
    let mut files = Vec::new();
    let Some(node) = f.get("files") else {
        return files;
    };
    let path = f.path("files");
    let Kind::Seq(items) = &node.kind else {
        cx.error(
            &path,
            node.line,
            "expected a list of rules file paths or globs",
        );
        return files;
    };
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        match &item.kind {
            Kind::Scalar { text, .. } if text.trim().starts_with('/') => {
                files.push(text.trim().to_string());
            }
            _ => cx.error(
                &at,
                item.line,
                format!(
                    "expected an absolute path or glob (/etc/audit/rules.d/*.rules), found {}",
                    describe(item)
                ),
            ),
        }
    }
    if mode == Mode::Readlog && !files.is_empty() {
        cx.error(
            &path,
            node.line,
            "raudit.mode is readlog, which loads no rules; remove them or use mode daemon",
        );
    }
    files
}

/// `raudit.kernel`: applied with the rules, so not in readlog mode.
fn kernel(cx: &mut Cx, r: &Fields, mode: Mode) -> Kernel {
    let f = cx.fields(r.get("kernel"), &r.path("kernel"), r.line, KERNEL_KEYS);
    let kernel = Kernel {
        // The kernel refuses more than 10 * 60 * HZ; HZ is at most 1000.
        backlog_wait_time: cx.u32(
            &f,
            "backlog_wait_time",
            0,
            600_000,
            "kernel ticks from 0 to 600000",
        ),
    };
    if mode == Mode::Readlog && kernel.backlog_wait_time.is_some() {
        cx.error_at(
            &f,
            "backlog_wait_time",
            "raudit.mode is readlog, which changes no kernel setting; remove it or use mode daemon",
        );
    }
    kernel
}
