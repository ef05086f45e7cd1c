//! The YAML config file becomes a typed [`Config`] once, at start.
//!
//! go-audit's `go-audit.yaml` works unchanged: every key of its example keeps
//! go-audit's meaning and default (viper's `SetDefault` values in go-audit's
//! `loadConfig`). Numbers follow go-audit's reading too: a leading `0` is
//! octal (`mode: 0600`), as are `0o600`, and `0x…` is hex. Keys match
//! case-insensitively, as viper lower-cases them.
//!
//! Where raudit differs from go-audit, on purpose:
//! - several outputs may be enabled at once (fan-out); none is still an error;
//! - `output.stdout.attempts` and `output.file.attempts` default to 3 (go-audit
//!   has no default and refuses to start without them);
//! - `output.file.mode` defaults to `0600`; `user`/`group` may be left out
//!   (the file keeps its owner) — go-audit requires all three;
//! - values go-audit would silently misread are errors: `enabled: yes`,
//!   `message_type: 70000`, a `syscall` that is not a number, unknown keys.
//!
//! raudit's own keys live in one top-level `raudit:` section (process-wide
//! knobs: mode, queue, assembler, stats, rule drift, kernel settings), except
//! where a key belongs to a go-audit section: `output.syslog.format`.
//! `contrib/raudit.yaml.example` documents every key.
//!
//! Errors are values: [`Config::from_yaml_str`] collects every problem as a
//! [`ConfigError`] with the key's dotted path, the line when known, what was
//! found and what was expected. Nothing here panics on bad input.

mod convert;
mod error;
mod otlp;
mod outputs;
mod spool;
mod values;
mod yaml;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::accounts::{Accounts, SystemAccounts};
pub use error::{ConfigError, ConfigErrors};

use crate::metrics::MetricsAddress;
use crate::output::{
    GelfCompression, GelfCompressionType, GelfNetwork, IpFamily, Rotation, SyslogFormat,
    SyslogNetwork, TlsSpec, TlsVersion,
};
use crate::pipeline::Format;

/// The whole configuration: go-audit's sections, then raudit's.
#[derive(Debug, Clone)]
pub struct Config {
    /// `socket_buffer`: the netlink socket's receive buffer.
    pub socket_buffer: SocketBuffer,
    /// `events`: the range of record types to capture.
    pub events: EventRange,
    /// `message_tracking`: serial gap detection.
    pub message_tracking: MessageTracking,
    /// `output`: every enabled output (at least one).
    pub output: Outputs,
    /// `log`: go-audit's `log.flags` (Go `log` package prefix flags).
    pub log: LogConfig,
    /// `rules`: auditctl-syntax lines, kept as written (empty lines dropped,
    /// as go-audit skips them). Compiled by `rules/`.
    pub rules: Vec<String>,
    /// `filters`: events dropped before output.
    pub filters: Vec<Filter>,
    /// `extras`: enrichment.
    pub extras: Extras,
    /// `raudit`: raudit's own settings.
    pub raudit: Raudit,
    /// Problems that do not stop the daemon (unknown top-level keys), one
    /// line each as `FILE:LINE: key: message`; shown by check-config and at
    /// start.
    pub warnings: Vec<String>,
}

/// Bounds of `socket_buffer.receive` when the config does not say; see
/// [`default_receive_buffer`].
pub const DEFAULT_RECEIVE_BUFFER_MIN: u32 = 2 << 20;
pub const DEFAULT_RECEIVE_BUFFER_MAX: u32 = 16 << 20;

/// `socket_buffer.receive` when the config does not say, for a host with
/// `physical_memory` bytes of RAM: 1/1024 of it, at least 2 MiB and at most
/// 16 MiB (16 MiB from 16 GiB up, 4 MiB with 4 GiB, 2 MiB at 2 GiB and
/// below). The kernel doubles it for its accounting, so at most 1/512 of
/// the RAM above 2 GiB; the memory is the kernel's and only what is queued
/// uses it.
///
/// The socket buffer is the second queue after the kernel's backlog, and
/// the one that matters under a storm: kauditd's send to the daemon blocks
/// while the socket is full (it does not drop), so the backlog, and with
/// `backlog_wait_time` 0 the loss, only begins once the socket has filled.
/// Then every record the daemon reads wakes kauditd to add one more, a
/// context switch each, which slows both, and the loss feeds itself. Room
/// for a few tens of milliseconds of a storm absorbs the scheduler's gaps
/// (measured on 2 CPUs, `benches/storm` sat-nowait: 2 MiB lost records in
/// 4 of 5 runs of one series, 16 MiB in 1 of 28 runs, 2,373 records).
pub fn default_receive_buffer(physical_memory: u64) -> u32 {
    let share = u32::try_from(physical_memory / 1024).unwrap_or(u32::MAX);
    share.clamp(DEFAULT_RECEIVE_BUFFER_MIN, DEFAULT_RECEIVE_BUFFER_MAX)
}

/// `socket_buffer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SocketBuffer {
    /// `receive`: `SO_RCVBUF` in bytes. Absent (`None`): raudit's default,
    /// [`default_receive_buffer`]; 0: the system's (`net.core.rmem_default`).
    pub receive: Option<u32>,
}

/// `events`: record types `min..=max` are captured, others ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRange {
    /// `min`, default 1300.
    pub min: u16,
    /// `max`, default 1399.
    pub max: u16,
}

/// `message_tracking`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageTracking {
    /// `enabled`, default true: report missed serials.
    pub enabled: bool,
    /// `log_out_of_order`, default false.
    pub log_out_of_order: bool,
    /// `max_out_of_order`, default 500: how far behind a serial may arrive
    /// before it is presumed lost.
    pub max_out_of_order: u32,
}

/// `output`: `Some` for each enabled output. At least one is `Some`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outputs {
    /// `output.stdout`.
    pub stdout: Option<StdoutConfig>,
    /// `output.file`.
    pub file: Option<FileConfig>,
    /// `output.syslog`.
    pub syslog: Option<SyslogConfig>,
    /// `output.gelf`.
    pub gelf: Option<GelfConfig>,
    /// `output.otlp`.
    pub otlp: Option<OtlpConfig>,
}

/// `output.stdout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StdoutConfig {
    /// `attempts`, default 3: writes tried (1 s apart) before giving up.
    pub attempts: u32,
}

/// `output.file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileConfig {
    /// `attempts`, default 3.
    pub attempts: u32,
    /// `path`, required: appended to, created if missing.
    pub path: PathBuf,
    /// `mode`, default `0o600`, at most `0o7777`, never 0.
    pub mode: u32,
    /// `user`: owner of the file, resolved at load; `None` keeps the owner.
    pub user: Option<Account>,
    /// `group`: group of the file, resolved at load; `None` keeps the group.
    pub group: Option<Account>,
    /// `max_bytes` and `keep` (auditd's `max_log_file` / `num_logs`):
    /// size-based rotation, off (`None`) by default.
    pub rotation: Option<Rotation>,
}

/// A user or group name and the id it resolved to when the config was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The name as written.
    pub name: String,
    /// Its uid or gid.
    pub id: u32,
}

/// `output.syslog`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogConfig {
    /// `attempts`, default 3.
    pub attempts: u32,
    /// `network`, default `unixgram`.
    pub network: SyslogNetwork,
    /// `address`, default `/dev/log` for unix networks; required for IP ones.
    pub address: String,
    /// `priority`, default 132 (`local0 | warning`), 0..=191.
    pub priority: u8,
    /// `tag`, default `go-audit` (kept so rsyslog rules keep matching).
    pub tag: String,
    /// `format` (raudit), default `rfc3164` as go-audit writes.
    pub format: SyslogFormat,
    /// `max_message_bytes` (raudit): the largest message (header and
    /// event) to send, e.g. the receiver's own limit (rsyslog's
    /// `$MaxMessageSize`, 8 KiB by default); a larger event is sent as its
    /// marked cut version. Unset: the transport's limit (a datagram's), none
    /// over a stream.
    pub max_message_bytes: Option<u32>,
    /// `tls` (raudit): TLS over `tcp` (RFC 5425), if enabled.
    pub tls: Option<TlsSpec>,
    /// `spool` (raudit), if its `path` is set.
    pub spool: Option<SpoolConfig>,
}

/// `output.{syslog,gelf,otlp}.spool`, when its `path` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolConfig {
    /// `path`: the spool file (absolute).
    pub path: PathBuf,
    /// `max_bytes`: the file's size at most, default 64 MiB.
    pub max_bytes: u64,
}

/// `output.gelf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GelfConfig {
    /// `attempts`, default 3.
    pub attempts: u32,
    /// `network`, default `udp`.
    pub network: GelfNetwork,
    /// `address`, required: `host:port`.
    pub address: String,
    /// `compression` (UDP only, as go-gelf).
    pub compression: GelfCompression,
    /// `tls` (raudit): TLS over `tcp`, if enabled.
    pub tls: Option<TlsSpec>,
    /// `spool` (raudit), if its `path` is set (`tcp` only).
    pub spool: Option<SpoolConfig>,
}

/// `output.otlp`: OpenTelemetry logs over OTLP/HTTP (protobuf).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpConfig {
    /// `attempts`, default 3.
    pub attempts: u32,
    /// `endpoint`, default `http://127.0.0.1:4318/v1/logs`.
    pub endpoint: String,
    /// `batch_events`: events per request at most, default 512.
    pub batch_events: u32,
    /// `batch_bytes`: encoded bytes per request at most, default 1 MiB.
    pub batch_bytes: u32,
    /// `flush_interval`: how long an event may wait for its batch to
    /// fill, default 1 s.
    pub flush_interval: Duration,
    /// `timeout`: connecting, sending and waiting for the answer, each,
    /// default 10 s.
    pub timeout: Duration,
    /// `headers`: sent with every request.
    pub headers: Vec<(String, String)>,
    /// `spool`, if its `path` is set.
    pub spool: Option<SpoolConfig>,
    /// `tls`, if enabled: how an `https://` endpoint is verified (without
    /// it, against the system's roots).
    pub tls: Option<TlsSpec>,
}

/// `log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogConfig {
    /// `flags`, default 0: Go `log` flags (1 date, 2 time, 4 µs, 32 UTC…).
    pub flags: u32,
}

/// One `filters` entry: drop an event whose syscall is `syscall` and that
/// has a record of type `message_type` whose body matches `regex`.
#[derive(Debug, Clone)]
pub struct Filter {
    /// `syscall` number; `None` matches events with no syscall (go-audit's "").
    pub syscall: Option<u32>,
    /// `message_type`, required, non-zero.
    pub message_type: u16,
    /// `regex`, required; compiled once, matched against record bytes.
    pub regex: regex::bytes::Regex,
}

/// `extras`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Extras {
    /// `extras.containers`.
    pub containers: Containers,
    /// `extras.cgroups.enabled` (go-audit has it, its example does not).
    pub cgroups: bool,
}

/// `extras.containers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Containers {
    /// `enabled`, default false.
    pub enabled: bool,
    /// `containerd`, default false.
    pub containerd: bool,
    /// `containerd_sock`, default `/run/containerd/containerd.sock`.
    pub containerd_sock: PathBuf,
    /// `containerd_namespace`; `None` uses containerd's own default.
    pub containerd_namespace: Option<String>,
    /// `docker`, default false.
    pub docker: bool,
    /// `docker_api_version` as written (`1.40` stays `1.40`); `None` negotiates.
    pub docker_api_version: Option<String>,
    /// `pid_cache`, default 0 (no cache).
    pub pid_cache: u32,
    /// `docker_cache`, default 0.
    pub docker_cache: u32,
    /// `containerd_cache`, default 0.
    pub containerd_cache: u32,
}

/// Default `raudit.max_event_bytes`: the longest line the largest `execve`
/// a default Linux allows needs ([`crate::pipeline::LARGEST_EXECVE_LINE`]).
pub const DEFAULT_MAX_EVENT_BYTES: u32 = crate::pipeline::LARGEST_EXECVE_LINE;

/// `raudit`: settings go-audit does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raudit {
    /// `mode`, default `daemon`.
    pub mode: Mode,
    /// `takeover`, default false: claim the audit pid even when another live
    /// process holds it.
    pub takeover: bool,
    /// `priority_boost`, default 0: how much to lower raudit's nice value
    /// at start (auditd's `priority_boost`, whose default is 4). Left at 0
    /// because kauditd, the kernel thread that feeds raudit, runs at nice
    /// 0: a daemon favoured above it takes its CPU under a storm, the
    /// kernel's backlog overflows, and with `backlog_wait_time 0` records
    /// are lost (measured: README, sat-nowait).
    pub priority_boost: u32,
    /// `pacing`, default true: when a receive empties the socket while
    /// records arrive fast, pause briefly (at most 2 ms, never longer than
    /// the socket buffer allows, none while the CPUs are busy) so the next
    /// wake-up takes a batch; false wakes for every record.
    pub pacing: bool,
    /// `format`, default `go-audit`: the JSON shape of events.
    pub format: Format,
    /// `host_name`, default false: the host name as `"host"` after
    /// `"timestamp"` in the go-audit and structured shapes (the ECS shape
    /// always has `host.name`).
    pub host_name: bool,
    /// `redact`, default none: regexes whose matches in EXECVE arguments
    /// and PROCTITLE are replaced before any shape writes the event.
    pub redact: Vec<Redact>,
    /// `fields`, default none: per record type, the keys to drop or the
    /// only keys to keep, in every shape.
    pub fields: Vec<FieldChoice>,
    /// `max_event_bytes`, default [`DEFAULT_MAX_EVENT_BYTES`]: the largest
    /// event line; larger events lose EXECVE arguments from the middle and
    /// say so (`"cut"`), every other record whole.
    pub max_event_bytes: u32,
    /// `queue`: buffers between the receive thread and the writers.
    pub queue: QueueConfig,
    /// `assembler`: in-flight events.
    pub assembler: AssemblerConfig,
    /// `stats`: the periodic loss/throughput report.
    pub stats: StatsConfig,
    /// `metrics`: the Prometheus endpoint.
    pub metrics: MetricsConfig,
    /// `rules`: how the rule set is applied and watched.
    pub rules: RulesPolicy,
    /// `kernel`: audit status settings.
    pub kernel: Kernel,
    /// `state_file`, default `/run/raudit/state`: the last serial handed to
    /// the outputs, kept across restarts (loss between two instances is
    /// reported); `state_file.lock` beside it keeps a second daemon out.
    pub state_file: PathBuf,
}

/// `raudit.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `daemon`: be the audit daemon (`AUDIT_SET` pid), load the rules.
    Daemon,
    /// `readlog`: read-only listener on multicast group 1 beside another
    /// daemon; loads no rules.
    Readlog,
}

/// `raudit.queue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueConfig {
    /// `size`: pooled event buffers (many events each); unset, 64 for each
    /// output configured at start ([`DEFAULT_BUFFERS_PER_OUTPUT`]: 1 MiB of
    /// 16 KiB buffers an output, touched only as bursts need them; twice
    /// that under `structured` and `ecs`).
    pub size: Option<u32>,
    /// `buffer_size`, default 16384: bytes per buffer (larger events are
    /// truncated with a marker).
    pub buffer_size: u32,
    /// `policy`, default `drop`.
    pub policy: QueuePolicy,
    /// `wait`, default [`DEFAULT_QUEUE_WAIT`]: under `drop`, how long the
    /// receive thread waits for a free buffer before it drops (once an
    /// overrun); 0: never waits.
    pub wait: Duration,
}

/// `raudit.queue.wait`'s default: longer than the stalls measured under a
/// storm on a 2-CPU host (an output thread kept off a CPU for 13–20 ms by
/// the kernel), shorter than what raudit's default socket buffer and a
/// backlog of 8192 records hold at 150,000 events/s (about 45 ms).
pub const DEFAULT_QUEUE_WAIT: Duration = Duration::from_millis(50);

/// `raudit.queue.policy`: what the receive thread does when no buffer is free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueuePolicy {
    /// `drop`: drop the event and count it, after waiting at most `wait`
    /// (once an overrun); a dead output never holds the receive thread
    /// longer.
    Drop,
    /// `block`: wait for a writer; the kernel backlog absorbs the delay.
    Block,
}

/// `raudit.assembler`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssemblerConfig {
    /// `max_events`, default 256: events in flight at once.
    pub max_events: u32,
    /// `max_records`, default 1024: records in flight, all events together.
    pub max_records: u32,
    /// `arena_bytes`, default 131072: record bytes in flight.
    pub arena_bytes: u32,
    /// `timeout`, default 2 s (go-audit's COMPLETE_AFTER).
    pub timeout: Duration,
}

/// `raudit.stats`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsConfig {
    /// `interval`, default 60 s; 0 disables the periodic report.
    pub interval: Duration,
    /// `file`: also rewrite this file with the latest counters.
    pub file: Option<PathBuf>,
}

/// `raudit.metrics`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetricsConfig {
    /// `listen`, default none (off): where to serve the counters in the
    /// Prometheus text format, `IP:PORT` or `unix:/absolute/path`.
    pub listen: Option<MetricsAddress>,
    /// `allow_remote`, default false: permit a `listen` address that is not
    /// loopback (the endpoint has no authentication).
    pub allow_remote: bool,
}

/// `raudit.rules`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesPolicy {
    /// `drift_interval`, default 60 s: how often the kernel's rule set is
    /// compared with the config's; 0 disables.
    pub drift_interval: Duration,
    /// `drift_restore`, default false: reload the rules on drift (else report).
    pub drift_restore: bool,
    /// `allow_lock`, default false: permit `-e 2` (locked until reboot).
    pub allow_lock: bool,
    /// `allow_panic`, default false: permit `-f 2` (kernel panic on loss).
    pub allow_panic: bool,
    /// `files`: auditd rules files (absolute paths, `*`/`?` globs in the
    /// file name), loaded as augenrules loads them, before `rules`.
    pub files: Vec<String>,
}

/// `raudit.kernel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Kernel {
    /// `backlog_wait_time`: kernel ticks audited tasks may wait when the
    /// backlog is full (as `auditctl --backlog_wait_time`); `None` leaves it.
    pub backlog_wait_time: Option<u32>,
}

impl Config {
    /// The config used when raudit runs without one: JSON to stdout, every
    /// `execve` (64 and 32 bit) audited, auditing enabled.
    pub fn default_builtin() -> Config {
        Config {
            output: Outputs {
                stdout: Some(StdoutConfig::default()),
                ..Outputs::default()
            },
            rules: vec![
                "-a exit,always -F arch=b64 -S execve".to_string(),
                "-a exit,always -F arch=b32 -S execve".to_string(),
                "-e 1".to_string(),
            ],
            ..Config::empty()
        }
    }

    /// Reads and converts the file at `path`, resolving users and groups
    /// from the system's account files.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let source = path.display().to_string();
        match read_text(path) {
            Ok(text) => Config::from_yaml_str(&text, &source),
            Err(e) => Err(ConfigErrors::single(&source, e)),
        }
    }

    /// Converts YAML text; `source_name` (a file name) prefixes the errors.
    pub fn from_yaml_str(text: &str, source_name: &str) -> Result<Config, ConfigErrors> {
        Config::from_yaml_str_with(text, source_name, &SystemAccounts)
    }

    /// As [`Config::from_yaml_str`], resolving users and groups through
    /// `accounts` (tests and fuzzing pass a fixed table).
    pub fn from_yaml_str_with(
        text: &str,
        source_name: &str,
        accounts: &dyn Accounts,
    ) -> Result<Config, ConfigErrors> {
        match Config::from_yaml_str_partial(text, source_name, accounts) {
            (Some(config), None) => Ok(config),
            (_, Some(errors)) => Err(errors),
            (None, None) => Err(ConfigErrors::single(
                source_name,
                ConfigError::new("", None, "no config"),
            )),
        }
    }

    /// Reads the file as far as it can: the errors (warnings listed among
    /// them, so every problem shows at once) and the config with defaults
    /// where values were wrong (`None` when the YAML itself is broken or
    /// the file unreadable), so that check-config can also check what the
    /// rest of the file asks of the host.
    pub fn load_partial(path: &Path) -> (Option<Config>, Option<ConfigErrors>) {
        let source = path.display().to_string();
        match read_text(path) {
            Ok(text) => Config::from_yaml_str_partial(&text, &source, &SystemAccounts),
            Err(e) => (None, Some(ConfigErrors::single(&source, e))),
        }
    }

    fn from_yaml_str_partial(
        text: &str,
        source_name: &str,
        accounts: &dyn Accounts,
    ) -> (Option<Config>, Option<ConfigErrors>) {
        let converted = convert::convert(text, accounts);
        let mut config = converted.config;
        if converted.errors.is_empty() {
            if let Some(config) = config.as_mut().filter(|_| !converted.warnings.is_empty()) {
                let warnings = ConfigErrors::new(source_name, converted.warnings);
                config.warnings = warnings.to_string().lines().map(str::to_owned).collect();
            }
            return (config, None);
        }
        let mut all = converted.errors;
        all.extend(converted.warnings);
        (config, Some(ConfigErrors::new(source_name, all)))
    }

    /// Every default, and no output or rule: the base the converter fills.
    fn empty() -> Config {
        Config {
            socket_buffer: SocketBuffer::default(),
            events: EventRange::default(),
            message_tracking: MessageTracking::default(),
            output: Outputs::default(),
            log: LogConfig::default(),
            rules: Vec::new(),
            filters: Vec::new(),
            extras: Extras::default(),
            raudit: Raudit::default(),
            warnings: Vec::new(),
        }
    }

    /// One line naming what is enabled, for `check-config` and the start log.
    pub fn summary(&self) -> String {
        let mut outputs = Vec::new();
        if self.output.stdout.is_some() {
            outputs.push("stdout".to_string());
        }
        if let Some(f) = &self.output.file {
            outputs.push(format!("file {}", f.path.display()));
        }
        if let Some(s) = &self.output.syslog {
            outputs.push(format!("syslog {}", s.address));
        }
        if let Some(g) = &self.output.gelf {
            outputs.push(format!("gelf {}", g.address));
        }
        if let Some(o) = &self.output.otlp {
            outputs.push(format!("otlp {}", o.endpoint));
        }
        let mode = match self.raudit.mode {
            Mode::Daemon => "daemon",
            Mode::Readlog => "readlog",
        };
        let metrics = match &self.raudit.metrics.listen {
            Some(address) => format!("; metrics on {address}"),
            None => String::new(),
        };
        format!(
            "mode {mode}; outputs: {}; {} rules; {} filters; events {}..={}{metrics}",
            outputs.join(", "),
            self.rules.len(),
            self.filters.len(),
            self.events.min,
            self.events.max,
        )
    }
}

/// The file's text; text that is not UTF-8 is an error at the line and
/// column (1-based, in bytes) of the first byte that is not.
fn read_text(path: &Path) -> Result<String, ConfigError> {
    let bytes =
        std::fs::read(path).map_err(|e| ConfigError::new("", None, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let before = bytes.get(..at).unwrap_or_default();
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let byte = bytes.get(at).copied().unwrap_or_default();
        ConfigError::new(
            "",
            Some(line),
            format!(
                "not UTF-8 text: byte {byte:#04x} at column {} (save the file as UTF-8)",
                at - line_start + 1
            ),
        )
    })
}

impl Default for EventRange {
    fn default() -> Self {
        EventRange {
            min: 1300,
            max: 1399,
        }
    }
}

impl Default for MessageTracking {
    fn default() -> Self {
        MessageTracking {
            enabled: true,
            log_out_of_order: false,
            max_out_of_order: 500,
        }
    }
}

impl Default for StdoutConfig {
    fn default() -> Self {
        StdoutConfig { attempts: 3 }
    }
}

impl Default for GelfCompression {
    fn default() -> Self {
        GelfCompression {
            level: 1,
            kind: GelfCompressionType::Gzip,
        }
    }
}

impl Default for Containers {
    fn default() -> Self {
        Containers {
            enabled: false,
            containerd: false,
            containerd_sock: PathBuf::from("/run/containerd/containerd.sock"),
            containerd_namespace: None,
            docker: false,
            docker_api_version: None,
            pid_cache: 0,
            docker_cache: 0,
            containerd_cache: 0,
        }
    }
}

/// Where the daemon keeps its state across restarts, by default.
pub const DEFAULT_STATE_FILE: &str = "/run/raudit/state";

impl Default for Raudit {
    fn default() -> Self {
        Raudit {
            mode: Mode::Daemon,
            takeover: false,
            priority_boost: 0,
            pacing: true,
            format: Format::GoAudit,
            host_name: false,
            redact: Vec::new(),
            fields: Vec::new(),
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
            queue: QueueConfig::default(),
            assembler: AssemblerConfig::default(),
            stats: StatsConfig::default(),
            metrics: MetricsConfig::default(),
            rules: RulesPolicy::default(),
            kernel: Kernel::default(),
            state_file: PathBuf::from(DEFAULT_STATE_FILE),
        }
    }
}

/// Pooled buffers for each output configured at start when
/// `raudit.queue.size` is unset. Each output may fall three quarters of the
/// pool behind before it drops; with several outputs on a busy machine, a
/// pool sized for one (1 MiB: about 10 ms of a saturating storm) let the
/// file output drop events while the CPU went to the network outputs.
/// Twice as many for the shapes whose lines are twice as long
/// (`Format::line_scale`).
pub const DEFAULT_BUFFERS_PER_OUTPUT: u32 = 64;

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            size: None,
            buffer_size: 16 * 1024,
            policy: QueuePolicy::Drop,
            wait: DEFAULT_QUEUE_WAIT,
        }
    }
}

impl Default for AssemblerConfig {
    fn default() -> Self {
        AssemblerConfig {
            max_events: 256,
            max_records: 1024,
            arena_bytes: 128 * 1024,
            timeout: Duration::from_secs(2),
        }
    }
}

impl Default for StatsConfig {
    fn default() -> Self {
        StatsConfig {
            interval: Duration::from_secs(60),
            file: None,
        }
    }
}

impl RulesPolicy {
    /// How the config's rules compile on this host, at load and at start
    /// (one definition, so check-config and the daemon cannot disagree).
    pub fn compile_options(&self) -> crate::rules::CompileOptions {
        crate::rules::CompileOptions {
            allowed: crate::rules::guard::Allowed {
                lock: self.allow_lock,
                panic: self.allow_panic,
            },
            ..crate::rules::CompileOptions::host()
        }
    }
}

impl Default for RulesPolicy {
    fn default() -> Self {
        RulesPolicy {
            drift_interval: Duration::from_secs(60),
            drift_restore: false,
            allow_lock: false,
            allow_panic: false,
            files: Vec::new(),
        }
    }
}

#[cfg(test)]
mod props;
mod rewrite;
pub use rewrite::{FieldChoice, Redact};
#[cfg(test)]
mod tests;
