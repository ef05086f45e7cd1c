//! `output.{stdout,file,syslog,gelf}` (and `otlp`, in [`super::otlp`]), as go-audit's `createOutput` and its
//! `create*Output` functions read them.
//!
//! Every output's keys are type-checked even when it is disabled (a typo is
//! a typo), but what only matters for a running output — a required path or
//! address, an owner that must exist — is checked only when it is enabled.

use std::path::PathBuf;

use super::values::{Cx, Fields};
use super::yaml::Node;
use super::{
    Account, FileConfig, GelfCompression, GelfCompressionType, GelfConfig, GelfNetwork, IpFamily,
    Outputs, Rotation, StdoutConfig, SyslogConfig, SyslogFormat, SyslogNetwork, TlsSpec,
    TlsVersion,
};

const OUTPUT_KEYS: &[&str] = &["stdout", "file", "syslog", "gelf", "otlp"];
const STDOUT_KEYS: &[&str] = &["enabled", "attempts"];
const FILE_KEYS: &[&str] = &[
    "path",
    "mode",
    "user",
    "group",
    "enabled",
    "attempts",
    "max_bytes",
    "keep",
];
const SYSLOG_KEYS: &[&str] = &[
    "enabled",
    "attempts",
    "network",
    "address",
    "priority",
    "tag",
    "format",
    "max_message_bytes",
    "tls",
    "spool",
];
const GELF_KEYS: &[&str] = &[
    "enabled",
    "attempts",
    "network",
    "address",
    "compression",
    "tls",
    "spool",
];
const TLS_KEYS: &[&str] = &[
    "enabled",
    "ca_file",
    "cert_file",
    "key_file",
    "server_name",
    "min_version",
];
const COMPRESSION_KEYS: &[&str] = &["level", "type"];

/// go-audit's default for syslog and GELF, and raudit's for stdout and file.
const DEFAULT_ATTEMPTS: u32 = 3;
/// The smallest `output.file.max_bytes`: a few events per file at least.
const MIN_FILE_BYTES: i64 = 4096;
/// `output.file.keep` when only `max_bytes` is set (auditd's `num_logs`).
const DEFAULT_KEEP: u32 = 5;
/// The most rotated files kept (auditd's limit for `num_logs`).
const MAX_KEEP: u32 = 999;
/// The smallest `output.syslog.max_message_bytes`.
const MIN_MESSAGE_BYTES: u32 = 1024;
/// go-audit's `syslog.LOG_LOCAL0 | syslog.LOG_WARNING`.
const DEFAULT_PRIORITY: u8 = 132;

/// `output`; records "no output enabled" when none is.
pub(super) fn outputs(cx: &mut Cx, node: Option<&Node>, line: usize) -> Outputs {
    let f = cx.fields(node, "output", line, OUTPUT_KEYS);
    // Counts `enabled: true`, so an enabled output with errors of its own
    // does not also cause "no output enabled".
    let mut enabled = 0;
    let outputs = Outputs {
        stdout: stdout(cx, &f, &mut enabled),
        file: file(cx, &f, &mut enabled),
        syslog: syslog(cx, &f, &mut enabled),
        gelf: gelf(cx, &f, &mut enabled),
        otlp: super::otlp::otlp(cx, &f, &mut enabled),
    };
    if enabled == 0 {
        cx.error(
            "output",
            f.line,
            "no output enabled; enable at least one of stdout, file, syslog, gelf, otlp",
        );
    }
    outputs
}

/// Opens `output.NAME` and reads `enabled` and `attempts`.
pub(super) fn common<'n>(
    cx: &mut Cx,
    parent: &Fields<'n>,
    name: &str,
    keys: &'static [&'static str],
    count: &mut u32,
) -> (Fields<'n>, bool, u32) {
    let f = cx.fields(parent.get(name), &parent.path(name), parent.line, keys);
    let enabled = cx.bool(&f, "enabled").unwrap_or(false);
    *count += u32::from(enabled);
    let attempts = cx
        .u32(&f, "attempts", 1, u32::MAX, "at least 1 attempt")
        .unwrap_or(DEFAULT_ATTEMPTS);
    (f, enabled, attempts)
}

fn stdout(cx: &mut Cx, parent: &Fields, count: &mut u32) -> Option<StdoutConfig> {
    let (_, enabled, attempts) = common(cx, parent, "stdout", STDOUT_KEYS, count);
    enabled.then_some(StdoutConfig { attempts })
}

/// A `mode` written without its leading 0 in octal digits only (`644`)
/// is read as decimal, as go-audit reads it: 644 is 0o1204, a log any
/// user may read. Said, since it is almost never what was meant.
fn decimal_mode_warning(cx: &mut Cx, f: &Fields) {
    let Some(node) = f.get("mode") else { return };
    let crate::config::yaml::Kind::Scalar { text, .. } = &node.kind else {
        return;
    };
    let digits = text.trim();
    let octal_looking = digits.len() >= 3
        && !digits.starts_with('0')
        && digits.bytes().all(|b| (b'0'..=b'7').contains(&b));
    if octal_looking {
        if let Ok(n) = digits.parse::<u32>() {
            cx.warnings.push(crate::config::ConfigError::new(
                &f.path("mode"),
                Some(node.line),
                format!(
                    "warning: {digits} is decimal (0{n:o} octal), as in go-audit; write 0{digits} for octal"
                ),
            ));
        }
    }
}

fn file(cx: &mut Cx, parent: &Fields, count: &mut u32) -> Option<FileConfig> {
    let (f, enabled, attempts) = common(cx, parent, "file", FILE_KEYS, count);
    let path = cx.string(&f, "path").filter(|p| !p.is_empty());
    let mode = cx.u32(
        &f,
        "mode",
        1,
        0o7777,
        "a file mode from 01 to 07777 (octal, as 0600)",
    );
    decimal_mode_warning(cx, &f);
    let user = cx.string(&f, "user");
    let group = cx.string(&f, "group");
    let rotation = rotation(cx, &f);
    if !enabled {
        return None;
    }
    if path.is_none() {
        cx.error(
            &f.path("path"),
            f.line,
            "required when output.file is enabled",
        );
    }
    let user = user.and_then(|name| {
        let id = cx.accounts.uid(&name);
        if id.is_none() {
            cx.error_at(
                &f,
                "user",
                format!("no user named {name:?} (looked up in /etc/passwd)"),
            );
        }
        Some(Account { name, id: id? })
    });
    let group = group.and_then(|name| {
        let id = cx.accounts.gid(&name);
        if id.is_none() {
            cx.error_at(
                &f,
                "group",
                format!("no group named {name:?} (looked up in /etc/group)"),
            );
        }
        Some(Account { name, id: id? })
    });
    Some(FileConfig {
        attempts,
        path: PathBuf::from(path?),
        mode: mode.unwrap_or(0o600),
        user,
        group,
        rotation,
    })
}

/// `output.file.max_bytes` and `keep`; `keep` alone is an error (it would
/// silently rotate nothing).
fn rotation(cx: &mut Cx, f: &Fields) -> Option<Rotation> {
    let max_bytes = cx.int(
        f,
        "max_bytes",
        MIN_FILE_BYTES,
        i64::MAX,
        "a size in bytes of at least 4096",
    );
    let keep = cx.u32(f, "keep", 1, MAX_KEEP, "from 1 to 999 rotated files");
    match (max_bytes, keep) {
        (Some(max_bytes), keep) => Some(Rotation {
            max_bytes: u64::try_from(max_bytes).ok()?,
            keep: keep.unwrap_or(DEFAULT_KEEP),
        }),
        (None, Some(_)) if f.get("max_bytes").is_none() => {
            cx.error_at(
                f,
                "keep",
                "has no effect without output.file.max_bytes (rotation is off by default)",
            );
            None
        }
        (None, _) => None,
    }
}

fn syslog(cx: &mut Cx, parent: &Fields, count: &mut u32) -> Option<SyslogConfig> {
    use IpFamily::{Any, V4, V6};
    let (f, enabled, attempts) = common(cx, parent, "syslog", SYSLOG_KEYS, count);
    let network = cx
        .choice(
            &f,
            "network",
            &[
                ("unixgram", SyslogNetwork::Unixgram),
                ("unix", SyslogNetwork::Unix),
                ("udp", SyslogNetwork::Udp(Any)),
                ("udp4", SyslogNetwork::Udp(V4)),
                ("udp6", SyslogNetwork::Udp(V6)),
                ("tcp", SyslogNetwork::Tcp(Any)),
                ("tcp4", SyslogNetwork::Tcp(V4)),
                ("tcp6", SyslogNetwork::Tcp(V6)),
            ],
        )
        .unwrap_or(SyslogNetwork::Unixgram);
    let address = cx.string(&f, "address").filter(|a| !a.is_empty());
    let priority = cx
        .int(
            &f,
            "priority",
            0,
            191,
            "a priority from 0 to 191 (facility * 8 + severity)",
        )
        .and_then(|p| u8::try_from(p).ok())
        .unwrap_or(DEFAULT_PRIORITY);
    let tag = cx
        .string(&f, "tag")
        .unwrap_or_else(|| "go-audit".to_string());
    // A newline or other control character in the tag would split or
    // garble every message (the tag is written as it is, as Go does).
    if tag.chars().any(char::is_control) {
        cx.error_at(
            &f,
            "tag",
            format!("expected a tag without control characters (newline, tab, …), found {tag:?}"),
        );
    }
    let format = cx
        .choice(
            &f,
            "format",
            &[
                ("rfc3164", SyslogFormat::Rfc3164),
                ("rfc5424", SyslogFormat::Rfc5424),
            ],
        )
        .unwrap_or(SyslogFormat::Rfc3164);
    let max_message_bytes = cx.u32(
        &f,
        "max_message_bytes",
        MIN_MESSAGE_BYTES,
        u32::MAX,
        "at least 1024 bytes (a message's header and the cut event must fit)",
    );
    let tls = tls(cx, &f, enabled, matches!(network, SyslogNetwork::Tcp(_)));
    let spool = super::spool::spool(cx, &f, enabled, matches!(network, SyslogNetwork::Udp(_)));
    if !enabled {
        return None;
    }
    let address = match (address, network) {
        (Some(a), SyslogNetwork::Udp(_) | SyslogNetwork::Tcp(_)) => {
            host_port(cx, &f, &a);
            a
        }
        (Some(a), _) => {
            if let Some(problem) = super::values::unix_path_problem(&a) {
                cx.error_at(&f, "address", problem);
            }
            a
        }
        (None, SyslogNetwork::Unixgram | SyslogNetwork::Unix) => "/dev/log".to_string(),
        (None, _) => {
            cx.error(
                &f.path("address"),
                f.line,
                "required (host:port) when network is udp or tcp",
            );
            return None;
        }
    };
    Some(SyslogConfig {
        attempts,
        network,
        address,
        priority,
        tag,
        format,
        max_message_bytes,
        tls,
        spool,
    })
}

fn gelf(cx: &mut Cx, parent: &Fields, count: &mut u32) -> Option<GelfConfig> {
    let (f, enabled, attempts) = common(cx, parent, "gelf", GELF_KEYS, count);
    let network = cx
        .choice(
            &f,
            "network",
            &[("udp", GelfNetwork::Udp), ("tcp", GelfNetwork::Tcp)],
        )
        .unwrap_or(GelfNetwork::Udp);
    let address = cx.string(&f, "address").filter(|a| !a.is_empty());
    let c = cx.fields(
        f.get("compression"),
        &f.path("compression"),
        f.line,
        COMPRESSION_KEYS,
    );
    let default = GelfCompression::default();
    let level = cx
        .int(&c, "level", -2, 9, "a compress/flate level from -2 to 9")
        .and_then(|l| i8::try_from(l).ok())
        .unwrap_or(default.level);
    let kind = compression_type(cx, &c).unwrap_or(default.kind);
    let tls = tls(cx, &f, enabled, network == GelfNetwork::Tcp);
    let spool = super::spool::spool(cx, &f, enabled, network == GelfNetwork::Udp);
    if !enabled {
        return None;
    }
    let Some(address) = address else {
        cx.error(
            &f.path("address"),
            f.line,
            "required (host:port) when output.gelf is enabled",
        );
        return None;
    };
    host_port(cx, &f, &address);
    Some(GelfConfig {
        attempts,
        network,
        address,
        compression: GelfCompression { level, kind },
        tls,
        spool,
    })
}

/// An IP output's `address` is `host:port` with a port from 1 to 65535
/// (as the outputs resolve it); anything else can never be dialled, so it
/// is an error here rather than a "does not resolve now" at start.
fn host_port(cx: &mut Cx, f: &Fields, address: &str) {
    let usable = address.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty() && port.parse::<u16>().is_ok_and(|port| port != 0)
    });
    if !usable {
        cx.error_at(f, "address", format!(
                "expected host:port with a port number from 1 to 65535 (127.0.0.1:514, [::1]:12201), found {address:?}"
            ));
    }
}

/// `PARENT.tls`, if `enabled`; TLS runs over a stream, so `over_tcp` must
/// hold when the output is enabled. The files are read where the plan is
/// built.
pub(super) fn tls(
    cx: &mut Cx,
    parent: &Fields,
    output_enabled: bool,
    over_tcp: bool,
) -> Option<TlsSpec> {
    let f = cx.fields(
        parent.get("tls"),
        &parent.path("tls"),
        parent.line,
        TLS_KEYS,
    );
    let enabled = cx.bool(&f, "enabled").unwrap_or(false);
    let path = |cx: &mut Cx, key| {
        cx.string(&f, key)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
    };
    let ca_file = path(cx, "ca_file");
    let cert_file = path(cx, "cert_file");
    let key_file = path(cx, "key_file");
    let server_name = cx.string(&f, "server_name").filter(|n| !n.is_empty());
    let min_version = cx
        .choice(
            &f,
            "min_version",
            &[("1.2", TlsVersion::V1_2), ("1.3", TlsVersion::V1_3)],
        )
        .unwrap_or(TlsVersion::V1_2);
    if !enabled {
        return None;
    }
    if output_enabled && !over_tcp {
        cx.error(
            &f.path("enabled"),
            f.line,
            "TLS needs network: tcp (or tcp4, tcp6)",
        );
    }
    if cert_file.is_some() != key_file.is_some() {
        cx.error(
            &f.path(if cert_file.is_some() {
                "key_file"
            } else {
                "cert_file"
            }),
            f.line,
            "cert_file and key_file go together: set both or neither",
        );
    }
    Some(TlsSpec {
        ca_file,
        cert_file,
        key_file,
        server_name,
        min_version,
    })
}

/// go-gelf's `CompressType` number, or its name.
fn compression_type(cx: &mut Cx, c: &Fields) -> Option<GelfCompressionType> {
    let node = c.get("type")?;
    let by_name = cx.choice(
        c,
        "type",
        &[
            ("0", GelfCompressionType::Gzip),
            ("1", GelfCompressionType::Zlib),
            ("2", GelfCompressionType::None),
            ("gzip", GelfCompressionType::Gzip),
            ("zlib", GelfCompressionType::Zlib),
            ("none", GelfCompressionType::None),
        ],
    );
    if by_name.is_none() {
        // Replace choice's generic message with the meaning of the numbers.
        cx.errors.pop();
        cx.error(
            &c.path("type"),
            node.line,
            format!(
                "expected 0 (gzip), 1 (zlib) or 2 (none), found {}",
                super::values::describe(node)
            ),
        );
    }
    by_name
}
